"""The web viewer's graph views in a real headless Chromium, against the real app with the demo
data (fixtures in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.viewer.browser import DEMO_GROUP, DEMO_GROUP_NAME, Viewer, open_demo_group

pytestmark = pytest.mark.browser


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
    # The group's projects, also those nobody takes part in yet (a deal of the pipeline).
    listed = project_links.all_inner_texts()
    assert {"华星智慧工厂项目", "集团机器人框架采购", "华星苏州产线自动化"} <= set(listed), listed
    viewer.click_link('#info a[data-project]:text-is("华星智慧工厂项目")')
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
    # The edge-kind filter lists this drawing's kinds (it listed the previous view's).
    listed = viewer.page.eval_on_selector_all("#edge-kinds input", "xs => xs.map(x => x.value)")
    assert set(listed) == {e["type"] for e in viewer.edges()}
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
