"""Browser tests of how the viewer loads and whom it offers edits: one "load more" request at a
time per list, no view's data left on screen (or written into the next one) once another view
is asked for, tables within a phone's width, the header when a key is refused, and no write
forms for keys that edit nothing (ANALYST, AUDITOR).

A slow server is played by the page itself: an init script wraps `fetch` so that chosen
GraphQL operations wait until the test releases them (`hold`, `release`), and records every
request sent (`sent`). The demo has fewer churn warnings than a page, so for the risk page's
"load more" the same script makes the first page say there is another (`fake_next_page`)
and answers for it with the first page's rows under new ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.viewer.browser import DEMO_GROUP_NAME, Viewer
from tests.viewer.test_customer_panel import api
from tests.viewer.test_intelligence_panel import scored  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

SLOW_SERVER = """
(() => {
  const realFetch = window.fetch.bind(window);
  window.__sent = [];      // {op, variables} of every GraphQL request
  window.__held = [];      // resolvers of the requests waiting for release()
  window.__hold = null;    // {ops: [...], paged: bool}: which operations wait
  window.__settled = 0;    // held requests whose answer has fully arrived
  const json = (body, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  async function answer(url, init, op, variables) {
    const fake = window.__fakeNext;  // {op, field}: a second page the server does not have
    if (!fake || fake.op !== op) return realFetch(url, init);
    if (variables.after === 'viewer-test-cursor') {
      const nodes = (window.__firstPage || []).map((n) => ({ ...n, id: `${n.id}-2` }));
      const pageInfo = { hasNextPage: false, endCursor: 'viewer-test-end' };
      return json({ data: { [fake.field]: { nodes, pageInfo } } });
    }
    const response = await realFetch(url, init);
    const body = await response.json();
    const page = body.data && body.data[fake.field];
    if (page && !page.pageInfo.hasNextPage) {
      window.__firstPage = page.nodes;
      page.pageInfo = { hasNextPage: true, endCursor: 'viewer-test-cursor' };
    }
    return json(body, response.status);
  }
  window.fetch = async (url, init) => {
    let body = null;
    try { body = JSON.parse(init && init.body); } catch (e) { body = null; }
    const m = /^\\s*(?:query|mutation)\\s+(\\w+)/.exec((body && body.query) || '');
    const op = m ? m[1] : null;
    const variables = (body && body.variables) || {};
    window.__sent.push({ op, variables });
    const hold = window.__hold;
    const held = Boolean(hold && hold.ops.includes(op) && (!hold.paged || variables.after));
    if (held) await new Promise((resolve) => window.__held.push(resolve));
    const response = await answer(url, init, op, variables);
    if (held) {
      await response.clone().text();
      window.__settled += 1;
    }
    return response;
  };
})();
"""


def slow_server(v: Viewer) -> None:
    v.page.add_init_script(SLOW_SERVER)


def fake_next_page(v: Viewer, op: str, field: str) -> None:
    """The list's first page says there is another; the script answers for it."""
    v.page.add_init_script(f"window.__fakeNext = {{op: '{op}', field: '{field}'}};")


def hold(v: Viewer, *ops: str, paged: bool = False) -> None:
    """From now on these operations wait for release(); `paged`: only those with a cursor."""
    v.page.evaluate("([ops, paged]) => { window.__hold = {ops, paged}; }", [list(ops), paged])


def release(v: Viewer) -> int:
    """Lets every held request go and stops holding; returns how many there were."""
    n: int = v.page.evaluate(
        "() => { window.__hold = null; const h = window.__held; window.__held = [];"
        " h.forEach((r) => r()); return h.length; }"
    )
    return n


def sent(v: Viewer, op: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = v.page.evaluate(
        "op => window.__sent.filter((r) => r.op === op).map((r) => r.variables)", op
    )
    return out


def navigate(v: Viewer, fragment: str, wait: bool = True) -> None:
    v.page.evaluate("document.body.dataset.state = 'navigating'")
    v.page.evaluate("f => { location.hash = f; }", fragment)
    if wait:
        v.wait_ready()


def group_id(base: str) -> str:
    hits = api(base, 'query { search(text: "华星集团", first: 5) { id name } }')["search"]
    return str(next(h["id"] for h in hits if h["name"] == DEMO_GROUP_NAME))


def project_id(base: str, group: str) -> str:
    query = """query($g: ID!) { projects(first: 100, filter: { customerGroup: $g }) {
      nodes { id name } } }"""
    nodes = api(base, query, {"g": group})["projects"]["nodes"]
    return str(next(p["id"] for p in nodes if p["name"] == "华星智慧工厂项目"))


def check_one_page_per_click(v: Viewer, list_sel: str, row_sel: str, op: str) -> None:
    """Double-clicks the list's "load more" while the server is slow: one request, the button
    disabled meanwhile, then one page appended, every row once."""
    more = f"{list_sel} button.more"
    assert v.page.is_visible(more), "the list has no second page to load"
    rows = v.page.locator(f"{list_sel} {row_sel}")
    before = rows.count()
    hold(v, op, paged=True)
    v.page.evaluate("document.body.dataset.state = 'paging'")
    v.page.dblclick(more)
    v.page.wait_for_function("window.__held.length >= 1")
    v.page.wait_for_timeout(300)  # a second request would be sent by now
    assert len([r for r in sent(v, op) if r.get("after")]) == 1
    assert v.page.is_disabled(more)
    assert release(v) == 1
    v.wait_ready()
    ids = rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert len(ids) > before
    assert len(ids) <= 2 * before
    assert len(set(ids)) == len(ids), "a page was appended twice"
    assert len([r for r in sent(v, op) if r.get("after")]) == 1
    if v.page.is_visible(more):
        assert v.page.is_enabled(more)


# ---------- one "load more" at a time ----------


def test_timeline_load_more_sends_one_request_per_page(viewer: Viewer, base_url: str) -> None:
    slow_server(viewer)
    viewer.page.add_init_script("localStorage.setItem('crm.apiKey', 'demo-east-sales-key')")
    viewer.goto(base_url, f"viewer/#/customer/{group_id(base_url)}")
    check_one_page_per_click(viewer, "#cust-timeline", "li.record", "Timeline")


def test_risk_page_load_more_sends_one_request_per_page(
    viewer: Viewer,
    base_url: str,
    scored: dict[str, Any],  # noqa: F811
) -> None:
    slow_server(viewer)
    fake_next_page(viewer, "ChurnWarnings", "churnWarnings")
    viewer.goto(base_url, "viewer/#/risk/all")
    check_one_page_per_click(viewer, "#risk-list", "tr.warning", "ChurnWarnings")


# ---------- the view before does not linger, nor come back ----------


def test_a_loading_view_shows_nothing_of_the_one_before_and_a_late_answer_is_dropped(
    viewer: Viewer, base_url: str
) -> None:
    slow_server(viewer)
    group = group_id(base_url)
    project = project_id(base_url, group)
    viewer.goto(base_url, f"viewer/#/contacts/{group}")
    assert viewer.nodes()
    assert "个节点" in viewer.page.inner_text("#info")
    # The decision tree is slow: while it loads, nothing of the org chart is left.
    hold(viewer, "DecisionTree")
    navigate(viewer, f"#/decision/{project}", wait=False)
    viewer.page.wait_for_function("window.__held.length >= 1")
    assert viewer.page.evaluate("document.body.dataset.state") == "loading"
    assert viewer.nodes() == []
    assert viewer.page.inner_text("#info").strip() == ""
    assert viewer.page.locator("#info a[data-project]").count() == 0
    assert viewer.page.inner_text("#status") == "加载中…"
    assert viewer.page.locator("#edge-kinds input").count() == 0
    # The user goes on before it answers; the late tree must not replace the page shown.
    navigate(viewer, f"#/hierarchy/{group}")
    shown = sorted(n["id"] for n in viewer.nodes())
    info = viewer.page.inner_text("#info")
    assert shown
    assert release(viewer) == 1
    viewer.page.wait_for_function("window.__settled >= 1")
    viewer.page.wait_for_timeout(500)
    assert sorted(n["id"] for n in viewer.nodes()) == shown
    assert viewer.page.inner_text("#info") == info
    assert viewer.page.inner_text("#subject") == DEMO_GROUP_NAME
    assert viewer.page.evaluate("document.body.dataset.state") == "ready"


def test_a_late_expansion_is_not_drawn_into_the_next_view(viewer: Viewer, base_url: str) -> None:
    slow_server(viewer)
    group = group_id(base_url)
    project = project_id(base_url, group)
    viewer.goto(base_url, f"viewer/#/account/{group}")
    viewer.click_node(group)
    hold(viewer, "AccountMap")
    viewer.page.click("#details .actions button:text-is('展开相邻节点')")
    viewer.page.wait_for_function("window.__held.length >= 1")
    navigate(viewer, f"#/decision/{project}")
    shown = sorted(n["id"] for n in viewer.nodes())
    assert shown
    assert release(viewer) == 1
    viewer.page.wait_for_function("window.__settled >= 1")
    viewer.page.wait_for_timeout(500)
    assert sorted(n["id"] for n in viewer.nodes()) == shown
    assert viewer.page.inner_text("#status") != "没有新的相邻节点"
    assert viewer.page.evaluate("document.body.dataset.state") == "ready"


# ---------- phones ----------


@pytest.mark.parametrize("viewer", [(390, 844)], indirect=True, ids=["phone"])
def test_risk_and_pipeline_pages_fit_a_phone(
    viewer: Viewer,
    base_url: str,
    scored: dict[str, Any],  # noqa: F811
) -> None:
    viewer.goto(base_url, "viewer/#/risk/all")
    assert viewer.page.locator("#risk-list tr.warning").count() >= 1
    width = viewer.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the risk page is {width}px wide at 390px"
    # The table scrolls inside its card rather than squeezing names to a character a line.
    name = viewer.page.locator("#risk-list tr.warning a.customer-link").first.bounding_box()
    assert name is not None
    assert name["height"] < 3 * 24, name
    card = viewer.page.locator("#risk-list").bounding_box()
    assert card is not None
    assert card["x"] + card["width"] <= 390
    # The last column (阶段) is reached by scrolling the table in its card.
    wrap = viewer.page.locator("#risk-list .table-wrap")
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    stage = viewer.page.locator("#risk-list thead th").last.bounding_box()
    box = wrap.bounding_box()
    assert stage is not None
    assert box is not None
    assert stage["x"] + stage["width"] <= box["x"] + box["width"] + 1
    viewer.shot("-risk")

    navigate(viewer, "#/pipeline")
    width = viewer.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the pipeline page is {width}px wide at 390px"
    for section in ("#pl-funnel", "#pl-forecast", "#pl-plans", "#pl-at-risk"):
        box = viewer.page.locator(section).bounding_box()
        assert box is not None, section
        assert box["x"] + box["width"] <= 390, section
        # A table wider than its card scrolls inside it.
        for wrap in viewer.page.locator(f"{section} .table-wrap").all():
            assert wrap.evaluate("w => getComputedStyle(w).overflowX") == "auto", section
            b = wrap.bounding_box()
            assert b is not None
            assert b["x"] + b["width"] <= 390, section
    # The forecast's headings stay on one line each (not 赢/单 stacked) and it scrolls.
    heights = viewer.page.locator("#pl-forecast thead th").evaluate_all(
        "ths => ths.map(th => th.getBoundingClientRect().height)"
    )
    assert max(heights) < 30, heights
    viewer.shot("-pipeline")


# ---------- the API key ----------


def test_a_refused_key_is_not_shown_as_signed_in(viewer: Viewer, base_url: str) -> None:
    viewer.allowed = ("Failed to load resource",)
    viewer.page.add_init_script("localStorage.setItem('crm.apiKey', 'bogus-key-123')")
    viewer.page.goto(f"{base_url}/viewer/")
    viewer.wait()
    assert viewer.page.get_attribute("#error", "data-code") == "UNAUTHENTICATED"
    viewer.page.wait_for_function(
        "document.getElementById('key-btn').dataset.signedIn === 'refused'"
    )
    text = viewer.page.inner_text("#key-btn")
    assert "已登录" not in text
    assert "未登录" in text
    assert "-123" in text
    viewer.page.click("#lang")
    assert viewer.page.inner_text("#key-btn").startswith("Not signed in")
    # Another key clears it: the demo key signs in.
    viewer.page.click("#key-btn")
    viewer.page.fill("#key-input", "demo-east-sales-key")
    viewer.page.evaluate("document.body.dataset.state = 'navigating'")
    viewer.page.click("#key-use")
    viewer.wait_ready()
    viewer.page.wait_for_function("document.getElementById('key-btn').dataset.signedIn === 'yes'")
    assert "refused" not in viewer.page.inner_text("#key-btn")


# ---------- who may edit ----------


@pytest.mark.parametrize("key", ["demo-analyst-key", "demo-auditor-key"])
def test_read_only_keys_get_no_write_forms(viewer: Viewer, base_url: str, key: str) -> None:
    group = group_id(base_url)
    viewer.page.add_init_script(f"localStorage.setItem('crm.apiKey', '{key}')")
    viewer.goto(base_url, f"viewer/#/customer/{group}")
    assert viewer.page.is_visible("#cust-timeline li.record")
    assert not viewer.page.is_visible("#cust-log")
    assert viewer.page.locator("form.log, #cust-log button[type=submit]").count() == 0
    assert viewer.page.locator("button.close-follow-up").count() == 0
    assert viewer.page.locator("#cust-intel .stage-move, form.stage-form").count() == 0


def test_a_sales_key_gets_the_write_forms(viewer: Viewer, base_url: str) -> None:
    group = group_id(base_url)
    viewer.page.add_init_script("localStorage.setItem('crm.apiKey', 'demo-east-sales-key')")
    viewer.goto(base_url, f"viewer/#/customer/{group}")
    assert viewer.page.is_visible("#cust-log form.log")
    assert viewer.page.locator("#cust-intel .stage-move").count() == 1


def test_an_account_only_read_through_a_share_gets_no_write_forms(
    viewer: Viewer, base_url: str
) -> None:
    """The demo's 刘洋 (WEST) shares 华星云 with 张伟 (EAST) to read: his key edits other
    accounts, but on this one the panel offers nothing the server would refuse."""
    hits = api(base_url, 'query { search(text: "华星云数据服务", first: 5) { id name } }')
    cloud = next(h["id"] for h in hits["search"] if h["name"] == "华星云数据服务(贵州)有限公司")
    viewer.page.add_init_script("localStorage.setItem('crm.apiKey', 'demo-east-sales-key')")
    viewer.goto(base_url, f"viewer/#/customer/{cloud}")
    assert "华星云" in viewer.page.inner_text(".customer-panel h2")
    assert not viewer.page.is_visible("#cust-log")
    assert viewer.page.locator("form.log, button.close-follow-up").count() == 0
    assert viewer.page.locator("#cust-intel .stage-move, form.stage-form").count() == 0
