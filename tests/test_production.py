"""Production mode (CRM_DEV=0) refuses to start while it would be open: anonymous access on,
or a public demo key (graph/demo_data.py) still working."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient
from starlette.types import Message

from app import StartupRefused, create_app
from graph import demo_data
from neo4j import Driver
from settings import Settings
from tests.conftest import create_user_with_key

# Production also needs data keys (graph/crypto.py): test-only values, never reuse them.
DATA_KEYS = "t1:" + base64.b64encode(b"k" * 32).decode()
HASH_KEY = base64.b64encode(b"h" * 32).decode()


def production(settings: Settings) -> Settings:
    return replace(
        settings,
        dev=False,
        allow_anonymous=False,
        warm_up_seconds=0,
        data_keys=DATA_KEYS,
        data_hash_key=HASH_KEY,
    )


def test_anonymous_access_refuses_to_start(settings: Settings) -> None:
    with pytest.raises(StartupRefused, match="CRM_ALLOW_ANONYMOUS"):
        create_app(replace(production(settings), allow_anonymous=True))


def test_the_environment_default_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # CRM_DEV=0 alone leaves anonymous access off; turning it on is refused.
    monkeypatch.setenv("CRM_DEV", "0")
    assert Settings.from_env().allow_anonymous is False
    monkeypatch.setenv("CRM_ALLOW_ANONYMOUS", "1")
    with pytest.raises(StartupRefused):
        create_app(Settings.from_env())


def test_a_working_demo_key_refuses_to_start(settings: Settings, cypher: Driver) -> None:
    name, _, team, roles, key = demo_data.USERS["liu_yang"]
    create_user_with_key(cypher, demo_data.demo_id("user", "liu_yang"), name, roles, team, key)
    app = create_app(production(settings))
    with pytest.raises(StartupRefused, match="demo API keys") as refused, TestClient(app):
        pass
    assert name in str(refused.value)
    # ... and says how out: the CLI commands that work while the server is stopped.
    assert "crm-graph api-key create" in str(refused.value)
    assert "crm-graph api-key revoke-demo" in str(refused.value)


def test_the_refusal_reaches_uvicorn_without_a_traceback(
    settings: Settings, cypher: Driver
) -> None:
    # uvicorn prints a failed start-up's message after the app's own CRITICAL line.
    name, _, team, roles, key = demo_data.USERS["liu_yang"]
    create_user_with_key(cypher, demo_data.demo_id("user", "liu_yang"), name, roles, team, key)
    app = create_app(production(settings))
    steps: list[Message] = [{"type": "lifespan.startup"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return steps.pop(0) if steps else {"type": "lifespan.shutdown"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    with pytest.raises(StartupRefused):
        asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "lifespan.startup.failed", "message": ""}]


def test_starts_once_the_demo_keys_are_revoked(settings: Settings, cypher: Driver) -> None:
    name, _, team, roles, key = demo_data.USERS["admin"]
    create_user_with_key(cypher, demo_data.demo_id("user", "admin"), name, roles, team, key)
    cypher.execute_query("MATCH (k:ApiKey) SET k.revokedAt = datetime()", database_="neo4j")
    with TestClient(create_app(production(settings))) as client:
        assert client.get("/readyz").status_code == 200  # checked before serving
        r = client.post("/graphql", json={"query": "{ version }"})
        assert r.status_code == 401  # and no anonymous access


def test_dev_mode_keeps_demo_keys(settings: Settings, cypher: Driver) -> None:
    name, _, team, roles, key = demo_data.USERS["admin"]
    create_user_with_key(cypher, demo_data.demo_id("user", "admin"), name, roles, team, key)
    with TestClient(create_app(replace(settings, warm_up_seconds=0))) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.1)
        r = client.post(
            "/graphql", json={"query": "{ version }"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 200
