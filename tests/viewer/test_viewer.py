"""The web viewer in a real headless Chromium, against the real app with the demo data.

The app runs under uvicorn in a background thread on a free loopback port, pointed at the
test Neo4j, with demo data loaded into an emptied database. Every test fails on a console
error and leaves a screenshot in test-artifacts/viewer/.

Set CRM_VIEWER_TEST_URL to drive an already running server instead (e.g. `make run`).
Chromium is Debian's (/usr/bin/chromium, or CHROMIUM=/path); without it the tests skip.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from graph.server import LocalNeo4j, free_port
from neo4j import GraphDatabase
from settings import ROOT, Settings
from tests.conftest import reset_database

pytestmark = pytest.mark.browser

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


def wait_ready(base: str, timeout: float = 180.0) -> None:
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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def base_url(chromium: str, request: pytest.FixtureRequest) -> Iterator[str]:
    external = os.environ.get("CRM_VIEWER_TEST_URL")
    if external:
        yield external.rstrip("/")
        return
    import uvicorn

    from app import create_app

    # Requested lazily: the module-wide `cypher` fixture would wipe the demo data before each test.
    server: LocalNeo4j = request.getfixturevalue("neo4j_server")
    empty_database(server)
    settings = Settings(
        neo4j_uri=server.uri,
        neo4j_password=server.password,
        dev=True,
        allow_anonymous=True,
        demo_data=True,
        log_level="WARNING",
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


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Viewer:
    """One page of the viewer plus what its console said."""

    page: Any
    name: str
    console_errors: list[str] = field(default_factory=list)
    allowed: tuple[str, ...] = ()

    def wait(self, timeout: float = 60_000) -> None:
        """Waits until the page says it finished loading (or showed an error)."""
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


def test_landing_offers_starting_points_and_search_opens_the_account_map(
    viewer: Viewer, base_url: str
) -> None:
    viewer.goto(base_url)
    assert viewer.page.is_visible("#landing")
    starts = viewer.page.locator("#starts a.hit")
    assert starts.count() >= 1, "the landing page lists no starting points"
    assert DEMO_GROUP in viewer.page.inner_text("#starts")
    viewer.shot("-landing")

    group_id = open_demo_group(viewer, base_url)
    nodes = viewer.nodes()
    names = {n["name"] for n in nodes}
    assert DEMO_GROUP_NAME in names
    assert len(nodes) >= 5, names
    centre = next(n for n in nodes if n["id"] == group_id)
    assert centre.get("center") is True
    assert viewer.edges(), "the account map drew no edges"
    assert viewer.page.inner_text("#subject") == DEMO_GROUP_NAME
    # The demo group's map is small: the status line must not call it cut, and says that
    # the graph goes on only when the server says so.
    extent = viewer.page.evaluate(
        "(({truncated, moreBeyondDepth}) => ({truncated, moreBeyondDepth}))"
        "(window.crmViewer.state.result.map)"
    )
    assert extent["truncated"] is False
    status = viewer.page.inner_text("#status") if viewer.page.is_visible("#status") else ""
    assert "截断" not in status
    assert ("更远处还有关联公司" in status) is extent["moreBeyondDepth"]


def test_group_hierarchy(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=hierarchy]")
    nodes = viewer.nodes()
    assert all(n["kind"] == "COMPANY" for n in nodes)
    assert len(nodes) >= 5, [n["name"] for n in nodes]
    subsidiary = [e for e in viewer.edges() if e["type"] == "SUBSIDIARY_OF"]
    assert len(subsidiary) >= 4
    # Three levels below the group: some company's parent has a parent too.
    parent = {e["source"]: e["target"] for e in subsidiary}
    assert any(p in parent for p in parent.values()), "fewer than three levels"
    assert any(n.get("root") for n in nodes)
    viewer.shot()


def test_org_chart_details_and_influence_overlay(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=contacts]")
    people = [n for n in viewer.nodes() if n["kind"] == "PERSON"]
    assert len(people) >= 5, [n["name"] for n in people]
    types = {e["type"] for e in viewer.edges()}
    assert "REPORTS_TO" in types

    person = people[0]
    viewer.click_node(person["id"])
    assert viewer.page.inner_text("#details .node-name") == person["name"]
    if person.get("title"):
        assert person["title"] in viewer.page.inner_text("#details")
    viewer.shot("-details")

    assert viewer.page.is_visible("#influence")
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.uncheck("#influence")
    viewer.wait_ready()
    assert "INFLUENCES" not in {e["type"] for e in viewer.edges()}


def test_decision_tree_shows_who_decides_and_who_sways_them(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    project_links = viewer.page.locator("#info a[data-project]")
    assert project_links.count() >= 1, "the group's account map lists no projects"
    viewer.click_link("#info a[data-project] >> nth=0")
    assert viewer.page.evaluate("location.hash").startswith("#/decision/")

    nodes = viewer.nodes()
    roots = [n for n in nodes if n.get("root")]
    assert roots, "no decision makers marked"
    assert all(n["kind"] == "PERSON" for n in nodes)
    assert any(n.get("stance") for n in nodes), "no stances"
    assert any(n.get("role") for n in nodes), "no roles"
    summary = viewer.page.inner_text("#info")
    for root in roots:
        assert root["name"] in summary
    assert "谁影响他们" in summary
    assert "未覆盖的角色" in summary
    # decision makers nobody on our staff knows are listed under their own heading
    assert "我方无人直接认识的决策者" in summary
    section = summary.split("我方无人直接认识的决策者", 1)[1].split("我方谁认识谁", 1)[0]
    unknown = set(
        viewer.page.evaluate("window.crmViewer.state.result.tree.decisionMakersNobodyKnows")
    )
    for root in roots:
        assert (root["name"] in section) is (root["id"] in unknown), root["name"]

    decider = roots[0]
    viewer.click_node(decider["id"])
    details = viewer.page.inner_text("#details")
    assert decider["name"] in details
    assert "决策角色" in details
    viewer.shot()

    viewer.click_link("#tabs a[data-view=intro-project]")
    assert viewer.page.is_visible("#info .intro-target")
    viewer.shot("-intro")


def test_related_accounts_and_language_switch(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=related]")
    assert viewer.page.is_visible("#info h3")
    viewer.page.click("#lang")
    assert viewer.page.inner_text("#tabs a[data-view=account]") == "Account map"
    assert viewer.page.inner_text("#lang") == "中文"
    viewer.shot("-en")
    viewer.page.click("#lang")
    assert viewer.page.inner_text("#tabs a[data-view=account]") == "关系图"


def test_expand_filter_as_of_and_exports(viewer: Viewer, base_url: str) -> None:
    group_id = open_demo_group(viewer, base_url)
    before = {n["id"] for n in viewer.nodes()}
    other = next(n for n in viewer.nodes() if n["id"] != group_id and n["kind"] == "COMPANY")
    viewer.click_node(other["id"])
    viewer.click_link("#details button.action >> text=展开相邻节点")
    after = {n["id"] for n in viewer.nodes()}
    assert before <= after

    # Edge-kind filter: unticking a type hides its edges.
    edge_type = viewer.edges()[0]["type"]
    viewer.page.click(".edge-filter summary")
    viewer.page.uncheck(f"#edge-kinds input[value={edge_type}]")
    hidden = viewer.page.evaluate(
        "t => window.crmViewer.cy.edges().filter(e => e.data('type') === t)"
        ".every(e => e.hasClass('kind-hidden'))",
        edge_type,
    )
    assert hidden
    viewer.page.check(f"#edge-kinds input[value={edge_type}]")

    with viewer.page.expect_download() as png:
        viewer.page.click("#export-png")
    assert png.value.suggested_filename.endswith(".png")
    with viewer.page.expect_download() as graphml:
        viewer.page.click("#export-graphml")
    assert graphml.value.suggested_filename.endswith(".graphml")
    assert "<graphml" in Path(graphml.value.path()).read_text(encoding="utf-8")

    # As-of date: the map is queried again for that day.
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.fill("#as-of", "2020-01-01")
    viewer.page.dispatch_event("#as-of", "change")
    viewer.wait_ready()
    assert viewer.page.evaluate("window.crmViewer.state.asOf") == "2020-01-01"
    viewer.shot()


def test_graphql_errors_show_as_readable_messages(viewer: Viewer, base_url: str) -> None:
    # A failed request may log the HTTP status in the console; that one is expected here.
    viewer.allowed = ("Failed to load resource",)
    viewer.page.goto(f"{base_url}/viewer/#/account/00000000-0000-4000-8000-00000000dead")
    viewer.wait()
    assert viewer.page.evaluate("document.body.dataset.state") == "error"
    assert viewer.page.is_visible("#error")
    assert viewer.page.inner_text("#error-message").strip()
    assert viewer.page.inner_text("#error-code").strip()
    viewer.shot()


@pytest.mark.parametrize("viewer", [(390, 844)], indirect=True, ids=["phone"])
def test_phone_width_has_no_sideways_scrolling(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    width = viewer.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"
    assert viewer.page.is_visible("#cy")
    assert len(viewer.nodes()) >= 5
