"""Helpers of the viewer's browser tests: finding Chromium, waiting for the app, one page.

The fixtures that use them are in conftest.py, shared by every browser test module so the app
and its demo data start once.
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from graph.server import LocalNeo4j
from neo4j import GraphDatabase
from settings import ROOT
from tests.conftest import reset_database

ARTIFACTS = ROOT / "test-artifacts" / "viewer"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_GROUP = "华星集团"  # searched as typed; the stored name is the full one
DEMO_GROUP_NAME = "华星集团有限公司"


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def wait_ready(base: str, timeout: float = 900.0) -> None:
    # Generous: the demo's two years of records take minutes to load on a busy machine.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"the app at {base} never became ready")


def empty_database(server: LocalNeo4j) -> None:
    """Demo data only loads into an empty database; other tests' leftovers go first."""
    with GraphDatabase.driver(server.uri, auth=("neo4j", server.password)) as driver:
        reset_database(driver)


@dataclass
class Viewer:
    """One page of the viewer plus what its console said."""

    page: Any
    name: str
    console_errors: list[str] = field(default_factory=list)
    allowed: tuple[str, ...] = ()

    def wait(self, timeout: float = 180_000) -> None:
        """Waits until the page says it finished loading (or showed an error). A page's first
        opening plans its statements in Neo4j: seconds each on a loaded machine."""
        self.page.wait_for_function(
            "['ready', 'error'].includes(document.body.dataset.state)", timeout=timeout
        )

    def wait_ready(self) -> None:
        self.wait()
        state = self.page.evaluate("document.body.dataset.state")
        if state != "ready":
            message = self.page.inner_text("#error")
            pytest.fail(f"the viewer shows an error: {message}")

    def goto(self, base: str, fragment: str = "") -> None:
        self.page.goto(f"{base}/{fragment}")
        self.wait_ready()

    def click_link(self, selector: str) -> None:
        self.page.evaluate("document.body.dataset.state = 'navigating'")
        self.page.click(selector)
        self.wait_ready()

    def nodes(self) -> list[dict[str, Any]]:
        return self.page.evaluate(  # type: ignore[no-any-return]
            "window.crmViewer.cy.nodes().map(n => n.data())"
        )

    def edges(self) -> list[dict[str, Any]]:
        return self.page.evaluate(  # type: ignore[no-any-return]
            "window.crmViewer.cy.edges().map(e => e.data())"
        )

    def click_node(self, node_id: str) -> None:
        """A real mouse click at the node's position on the canvas."""
        pos = self.page.evaluate(
            """id => {
                const cy = window.crmViewer.cy;
                const n = cy.getElementById(id);
                cy.center(n);
                const p = n.renderedPosition();
                const r = cy.container().getBoundingClientRect();
                return {x: r.left + p.x, y: r.top + p.y};
            }""",
            node_id,
        )
        self.page.mouse.click(pos["x"], pos["y"])
        self.page.wait_for_function(
            "id => document.querySelector('#details .node-name') &&"
            " window.crmViewer.state.selected === id",
            arg=node_id,
        )

    def shot(self, suffix: str = "") -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}{suffix}.png"), full_page=True)


def open_demo_group(v: Viewer, base: str) -> str:
    """Landing page -> search the group's Chinese name -> its account map. Returns its id."""
    v.goto(base)
    assert v.page.is_visible("#search")
    v.page.fill("#search", DEMO_GROUP)
    hit = v.page.locator("#search-results a.hit", has_text=DEMO_GROUP).first
    hit.wait_for()
    group_id = hit.get_attribute("data-id")
    v.page.evaluate("document.body.dataset.state = 'navigating'")
    hit.click()
    v.wait_ready()
    assert v.page.evaluate("location.hash").startswith("#/account/")
    return str(group_id)
