"""Fixtures of the viewer's browser tests: the real app with demo data, Chromium, one page.

The app runs under uvicorn in a background thread on a free loopback port, pointed at the
test Neo4j, with demo data loaded into an emptied database; it starts once for the whole
package (scope "package"), so every browser test module shares it. Every test fails on a
console error and leaves a screenshot in test-artifacts/viewer/.

Set CRM_VIEWER_TEST_URL to drive an already running server instead (e.g. `make run`).
Chromium is Debian's (/usr/bin/chromium, or CHROMIUM=/path); without it the tests skip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from graph.server import LocalNeo4j, free_port
from settings import Settings
from tests.viewer.browser import CHROMIUM_ARGS, Viewer, empty_database, find_chromium, wait_ready


@pytest.fixture(scope="package")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        reason = (
            "Chromium not found at /usr/bin/chromium, on PATH or in $CHROMIUM; "
            "install it with `apt-get install chromium` (scripts/setup.sh does as root)"
        )
        print(f"skipping the viewer's browser tests: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="package")
def base_url(chromium: str, request: pytest.FixtureRequest) -> Iterator[str]:
    external = os.environ.get("CRM_VIEWER_TEST_URL")
    if external:
        yield external.rstrip("/")
        return
    import uvicorn

    from app import create_app

    # Requested lazily: asking for `cypher` would make clean_db wipe the demo data before each test.
    server: LocalNeo4j = request.getfixturevalue("neo4j_server")
    empty_database(server)
    settings = Settings(
        neo4j_uri=server.uri,
        neo4j_password=server.password,
        dev=True,
        allow_anonymous=True,
        demo_data=True,
        log_level="WARNING",
        # The demo seed is one transaction; on a busy machine it outlasts the 15 s default,
        # and a dev-mode app then never becomes ready. These tests are about the viewer.
        transaction_timeout=120.0,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    uv_server = uvicorn.Server(config)
    thread = threading.Thread(target=uv_server.run, name="viewer-app", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        uv_server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def viewer(browser: Any, request: pytest.FixtureRequest) -> Iterator[Viewer]:
    width, height = getattr(request, "param", (1366, 768))
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    v = Viewer(page, request.node.name.replace("[", "-").replace("]", ""))
    page.on("console", lambda m: v.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: v.console_errors.append(f"page error: {e}"))
    try:
        yield v
    finally:
        v.shot("-final")
        context.close()
    unexpected = [e for e in v.console_errors if not any(a in e for a in v.allowed)]
    assert not unexpected, f"console errors: {unexpected}"
