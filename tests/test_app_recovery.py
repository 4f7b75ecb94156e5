"""Neo4j goes away while the app runs, then comes back: the app follows without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph.server import LocalNeo4j
from settings import Settings
from tests.conftest import start_local_server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    server = start_local_server(tmp_path_factory.mktemp("recovery"))
    yield server
    server.stop()


def wait_for(client: TestClient, status: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    code = -1
    while time.monotonic() < deadline:
        code = client.get("/readyz").status_code
        if code == status:
            return code
        time.sleep(0.2)
    return code


def test_unavailable_then_recovers(own_server: LocalNeo4j) -> None:
    from app import create_app

    settings = Settings(
        neo4j_uri=own_server.uri,
        neo4j_password=own_server.password,
        allow_anonymous=True,
        warm_up_seconds=0,  # a fresh server: planning everything would outlast the wait below
    )
    query = {"query": "{ database { version } }"}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert wait_for(client, 200) == 200
        assert client.post("/graphql", json=query).json()["data"]["database"]["version"]

        own_server.stop()
        r = client.get("/readyz")
        assert r.status_code == 503
        assert "neo4j" in r.json()["reason"]
        g = client.post("/graphql", json=query)
        assert g.status_code == 503  # retryable: nothing was answered, try again later
        assert g.headers["retry-after"]
        body = g.json()
        assert body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
        assert body["errors"][0]["extensions"]["retryable"] is True
        assert "Traceback" not in g.text
        assert "MATCH" not in g.text

        own_server.start()
        assert wait_for(client, 200) == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = client.post("/graphql", json=query).json()
            if "errors" not in body:
                break
            time.sleep(0.3)
        assert body["data"]["database"]["version"].startswith("5.26.")


def test_a_failing_start_up_step_is_logged_and_retried_in_dev(
    own_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A start-up step that fails (here the ID-number check, once, as a seed that ran past its
    timeout did) is logged with its traceback and retried; /readyz says why meanwhile."""
    import app
    from graph import crypto

    if not own_server.alive():
        own_server.start()
    real = crypto.encrypt_plain_ids
    calls = []

    async def flaky(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first start-up attempt fails")
        return await real(*args, **kwargs)

    monkeypatch.setattr(app.crypto, "encrypt_plain_ids", flaky)
    settings = Settings(
        neo4j_uri=own_server.uri,
        neo4j_password=own_server.password,
        allow_anonymous=True,
        warm_up_seconds=0,
    )
    with TestClient(app.create_app(settings), raise_server_exceptions=False) as client:
        assert wait_for(client, 200) == 200
    assert len(calls) >= 2
    failed = [r for r in caplog.records if "preparing the database failed" in r.getMessage()]
    assert failed
    assert failed[0].exc_info is not None
