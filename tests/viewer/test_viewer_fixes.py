"""Browser tests of the viewer's wording and navigation: errors worded by code, labelled
details, paths worded from their hops, deep links that name their subject, tabs that follow
the page, the API key control, search hits, roll-ups and maps opened fitted to the screen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.viewer.browser import Viewer, open_demo_group

pytestmark = pytest.mark.browser

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LATIN_WORDS = re.compile(r"\b(knows|reports to|is a subsidiary of|works at|influences)\b")


def gql(v: Viewer, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = v.page.evaluate(
        """async ([query, variables]) => {
            const headers = {'content-type': 'application/json'};
            const body = JSON.stringify({query, variables});
            const r = await fetch('/graphql', {method: 'POST', headers, body});
            return r.json();
        }""",
        [query, variables or {}],
    )
    assert not result.get("errors"), result
    return result["data"]


def company_id(v: Viewer, name: str) -> str:
    hits = gql(v, "query($t: String!) { search(text: $t, first: 20) { id name } }", {"t": name})
    return str(next(h["id"] for h in hits["search"] if h["name"] == name))


def navigate(v: Viewer, fragment: str) -> None:
    v.page.evaluate("document.body.dataset.state = 'navigating'")
    v.page.evaluate("f => { location.hash = f; }", fragment)
    v.wait_ready()


def first_project(v: Viewer, base: str) -> tuple[str, str, str]:
    """The demo group's project with the fullest decision tree, from the side panel (which
    also lists deals nobody takes part in yet): (group id, project id, project name)."""
    group = open_demo_group(v, base)
    link = v.page.locator('#info a[data-project]:text-is("华星智慧工厂项目")')
    return group, str(link.get_attribute("data-project")), link.inner_text()


def test_project_deep_link_names_it_and_tabs_follow_the_page(viewer: Viewer, base_url: str) -> None:
    _, project, name = first_project(viewer, base_url)
    # A reload (or a shared link) knows only the id.
    viewer.goto(base_url, f"viewer/#/decision/{project}")
    assert viewer.page.inner_text("#subject") == name
    tabs = viewer.page.inner_text("#tabs")
    assert "…" not in tabs
    assert name in tabs
    # The project's customer gets its tabs too.
    assert viewer.page.locator("#tabs a[data-view=account]").count() == 1
    customer = viewer.page.get_attribute("#tabs a[data-view=account]", "href")
    viewer.goto(base_url, f"viewer/#/intro-project/{project}")
    assert viewer.page.inner_text("#subject") == name
    assert viewer.page.locator("#tabs a[data-view=decision]").count() == 1
    # On the project's customer the project's tabs stay; on other pages they go.
    navigate(viewer, str(customer))
    assert viewer.page.locator("#tabs a[data-view=decision]").count() == 1
    other = company_id(viewer, "智科自动化系统有限公司")
    navigate(viewer, f"#/account/{other}")
    assert viewer.page.locator("#tabs a[data-view=decision]").count() == 0
    assert viewer.page.locator("#tabs .tab-group").count() == 1
    navigate(viewer, "#/risk/all")
    assert viewer.page.locator("#tabs a").count() == 0
    # Back navigation recomputes them from the address.
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.go_back()
    viewer.wait_ready()
    assert viewer.page.locator("#tabs a[data-view=decision]").count() == 0
    assert viewer.page.locator("#tabs a[data-view=account]").count() == 1


def test_related_accounts_of_a_lone_company_shows_its_name(viewer: Viewer, base_url: str) -> None:
    viewer.goto(base_url)
    lone = company_id(viewer, "智科自动化系统有限公司")
    viewer.goto(base_url, f"viewer/#/related/{lone}")
    assert viewer.page.inner_text("#subject") == "智科自动化系统有限公司"
    assert "智科自动化系统有限公司" in viewer.page.inner_text("#tabs")
    names = [n["name"] for n in viewer.nodes()]
    assert names == ["智科自动化系统有限公司"]
    assert not UUID.search(viewer.page.inner_text("body"))


def test_errors_are_worded_by_their_code(viewer: Viewer, base_url: str) -> None:
    viewer.allowed = ("Failed to load resource",)
    viewer.page.goto(f"{base_url}/viewer/#/account/00000000-0000-4000-8000-00000000dead")
    viewer.wait()
    assert viewer.page.get_attribute("#error", "data-code") == "NOT_FOUND"
    message = viewer.page.inner_text("#error-message")
    assert "找不到" in message
    assert not re.search("[A-Za-z]{4,}", message), message
    # The server's own words stay, as a detail.
    assert viewer.page.is_visible("#error-detail")
    assert "00000000-0000-4000-8000-00000000dead" in viewer.page.inner_text("#error-detail")
    # Tester BG: no "…" tabs and no exports for a record that is not there.
    assert viewer.page.locator("#tabs a").count() == 0
    assert viewer.page.is_disabled("#export-png")
    assert viewer.page.is_disabled("#export-graphml")
    viewer.page.click("#lang")
    assert "Not found" in viewer.page.inner_text("#error-message")
    # An unknown route: the viewer's own words, no server text (no server was asked).
    viewer.page.goto(f"{base_url}/viewer/#/nosuchview/123")
    viewer.page.reload()
    viewer.wait()
    assert viewer.page.get_attribute("#error", "data-code") == "NO_SUCH_VIEW"
    assert not viewer.page.is_visible("#error-detail")


def test_api_key_control_signs_in_and_out(viewer: Viewer, base_url: str) -> None:
    viewer.allowed = ("Failed to load resource",)
    viewer.goto(base_url)
    assert viewer.page.is_visible("#key-btn")
    assert viewer.page.inner_text("#key-btn") == "未登录"
    viewer.page.click("#key-btn")
    assert viewer.page.is_visible("#key-dialog")
    assert viewer.page.get_attribute("#key-input", "type") == "password"
    assert not viewer.page.is_visible("#key-forget")
    viewer.page.fill("#key-input", "not-a-real-key-1234")
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.click("#key-use")
    viewer.wait()
    # The page was loaded again with the key: the server refuses it, in Chinese.
    assert not viewer.page.is_visible("#key-dialog")
    assert viewer.page.evaluate("localStorage.getItem('crm.apiKey')") == "not-a-real-key-1234"
    assert "1234" in viewer.page.inner_text("#key-btn")
    assert viewer.page.get_attribute("#error", "data-code") == "UNAUTHENTICATED"
    assert "API 密钥" in viewer.page.inner_text("#error-message")
    # Sign out: the key is forgotten and the landing page lists its starting points again.
    viewer.page.click("#key-btn")
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.click("#key-forget")
    viewer.wait_ready()
    assert viewer.page.evaluate("localStorage.getItem('crm.apiKey')") is None
    assert viewer.page.inner_text("#key-btn") == "未登录"
    assert viewer.page.locator("#starts a.hit").count() >= 1
    assert not viewer.page.is_visible("#error")


def test_details_label_every_property(viewer: Viewer, base_url: str) -> None:
    _, project, _ = first_project(viewer, base_url)
    navigate(viewer, f"#/decision/{project}")
    people = [n for n in viewer.nodes() if (n.get("data") or {}).get("hasPurchasingPower")]
    assert people
    viewer.click_node(people[0]["id"])
    keys = viewer.page.eval_on_selector_all("#details dt", "els => els.map(e => e.innerText)")
    assert "有采购权" in keys
    assert not [k for k in keys if re.fullmatch(r"[a-z][A-Za-z]+", k)], keys
    details = viewer.page.inner_text("#details")
    assert "true" not in details
    assert "DECISION_MAKER" not in details
    # Influence shows two decimals at most.
    assert not re.search(r"\d\.\d{3,}", details), details
    # Hidden influencers are grey like "unknown" in the legend, singular per node.
    hidden = viewer.page.evaluate(
        "window.crmViewer.cy.nodes('[?hidden]')"
        ".map(n => [n.style('background-color'), n.data('label')])"
    )
    unknown = viewer.page.evaluate(
        "getComputedStyle(document.querySelector('#info .legend [data-stance=UNKNOWN]'))"
        ".backgroundColor"
    )
    assert hidden
    for colour, text in hidden:
        assert colour.replace(" ", "") == unknown.replace(" ", "")
        assert text.endswith("(隐性影响者)")


def test_paths_are_worded_from_their_hops_in_both_languages(viewer: Viewer, base_url: str) -> None:
    _, project, _ = first_project(viewer, base_url)
    navigate(viewer, f"#/intro-project/{project}")
    hops = viewer.page.eval_on_selector_all("#info li.hop", "els => els.map(e => e.innerText)")
    assert hops
    assert not any(LATIN_WORDS.search(h) for h in hops), hops
    assert any("认识" in h for h in hops), hops
    # Tester BG: "李娜 向 刘建国 汇报；李娜 影响 刘建国（强度 0.7）" gave the influence (0.5)
    # the reporting line's strength. Several ties: each its own, the hop's named as such.
    both = [h for h in hops if "影响" in h and "汇报" in h]
    assert both, hops
    for h in both:
        assert "李娜 影响 刘建国（强度 0.5）" in h, h
        assert h.endswith("（本步按最强关系计 0.7）"), h
    viewer.page.click("#lang")
    hops_en = viewer.page.eval_on_selector_all("#info li.hop", "els => els.map(e => e.innerText)")
    people = [n for n in viewer.nodes() if n.get("kind") == "PERSON" and n.get("nameEn")]
    names_en = {n["nameEn"] for n in people}
    names_zh = {n["name"] for n in people}
    text = " ".join(hops_en)
    # The same name rule as the graph's labels: English names in English.
    assert any(n in text for n in names_en), text
    assert not any(n in text for n in names_zh), text


def test_related_account_paths_in_chinese(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=related]")
    hops = viewer.page.eval_on_selector_all("#info li.hop", "els => els.map(e => e.innerText)")
    assert hops
    assert not any(LATIN_WORDS.search(h) for h in hops), hops
    assert any("下属公司" in h for h in hops), hops


def test_hierarchy_rollups_count_the_companies_below(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=hierarchy]")
    nodes = viewer.nodes()
    leaf = next(n for n in nodes if n.get("rollup") and n["rollup"]["companies"] == 1)
    viewer.click_node(leaf["id"])
    assert "无下属公司" in viewer.page.inner_text("#details .rollup")
    root = next(n for n in nodes if n.get("root"))
    below = root["rollup"]["companies"] - 1
    assert f"下属 {below} 家公司" in viewer.page.inner_text("#info .rollup")


def test_search_lists_every_hit(viewer: Viewer, base_url: str) -> None:
    viewer.goto(base_url)
    viewer.page.fill("#search", "华星")
    viewer.page.locator("#search-results a.hit", has_text="昆山分公司").wait_for()
    assert viewer.page.locator("#search-results a.hit", has_text="武汉分公司").count() == 1


def test_a_person_customer_found_by_search_has_the_customer_tab(
    viewer: Viewer, base_url: str
) -> None:
    """Tester BK: 陈国栋, an individual customer, opened from search with his intro tab only;
    the README gives a person who is a customer the customer tab too."""
    viewer.goto(base_url)
    viewer.page.fill("#search", "陈国栋")
    hit = viewer.page.locator("#search-results a.hit", has_text="陈国栋").first
    hit.wait_for()
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    hit.click()
    viewer.wait_ready()
    assert viewer.page.locator("#tabs a[data-view=customer]").count() == 1


@pytest.mark.parametrize(
    "viewer", [(1366, 768), (390, 844)], indirect=True, ids=["laptop", "phone"]
)
def test_maps_open_fitted_to_the_visible_canvas(viewer: Viewer, base_url: str) -> None:
    open_demo_group(viewer, base_url)
    box = viewer.page.evaluate(
        """() => {
            const cy = window.crmViewer.cy;
            const status = document.querySelector('#status');
            const top = status.hidden ? 0 : status.getBoundingClientRect().bottom
              - cy.container().getBoundingClientRect().top;
            const nodes = cy.nodes().map(n => n.renderedBoundingBox({includeLabels: false}));
            return {top, w: cy.width(), h: cy.height(), zoom: cy.zoom(), nodes};
        }"""
    )
    assert box["zoom"] >= 0.6
    inside = [
        b
        for b in box["nodes"]
        if b["x1"] >= 0 and b["x2"] <= box["w"] and b["y1"] >= box["top"] and b["y2"] <= box["h"]
    ]
    if box["w"] > 1000:
        # The account map fits a laptop screen whole, below the banner.
        assert len(inside) == len(box["nodes"]), box
    else:
        # On a phone it is too big: centred on the company, which is on screen.
        centre = viewer.page.evaluate(
            "window.crmViewer.cy.nodes('[?center]').first().renderedPosition()"
        )
        assert 0 < centre["x"] < box["w"]
        assert box["top"] < centre["y"] < box["h"]
    labels = viewer.page.evaluate("window.crmViewer.cy.nodes().map(n => n.data('label'))")
    assert all(len(line) <= 14 for text in labels for line in text.split("\n")), labels


def test_dates_and_times_read_as_the_server_wrote_them(viewer: Viewer, base_url: str) -> None:
    """Tester BG: a browser in UTC showed 14:00+08:00 as 06:00, and a stage set on 8 December
    (+08:00) beside a scoring "on 7 December" of the same morning."""
    viewer.goto(base_url)
    shown = viewer.page.evaluate(
        """async () => {
          const m = await import('/viewer/js/i18n.js');
          const offset = new Date('2026-12-08T04:42:00+08:00').getTimezoneOffset();
          return [m.formatWhen('2026-12-08T04:42:00+08:00', { time: true }),
                  m.formatWhen('2026-12-08T04:42:00+08:00'), m.formatWhen('2026-12-08'), offset];
        }"""
    )
    timed, dated, bare, offset = shown
    assert timed.startswith("2026年12月8日 04:42"), timed
    assert timed.endswith("(UTC+08:00)") == (offset != -480), timed
    assert dated == bare == "2026年12月8日"
