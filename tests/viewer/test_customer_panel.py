"""The customer profile (客户档案, viewer/js/views/customer.js) in a real headless Chromium:
figures, timeline filters and paging, follow-ups and the log-an-interaction form, against
the real app with the demo data (fixtures in conftest.py).

Writes go through the form (or, to make a second timeline page, the public API), and the
assertions compare before and after rather than absolute numbers, so they hold whatever the
demo data holds.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.viewer.browser import DEMO_GROUP, DEMO_GROUP_NAME, Viewer, open_demo_group

pytestmark = pytest.mark.browser

DUE_FIELD = "input.interaction.nextStep.dueAt"


def api(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One GraphQL request to the app under test (dev mode: the anonymous admin). Retries a
    QUERY_TIMEOUT: on a loaded machine a statement's first planning can outlast the timeout."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    for attempt in range(4):
        req = urllib.request.Request(  # noqa: S310 (loopback)
            f"{base}/graphql", data=body, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 (loopback)
            result: dict[str, Any] = json.load(r)
        codes = [e.get("extensions", {}).get("code") for e in result.get("errors") or []]
        if codes == ["QUERY_TIMEOUT"] and attempt < 3:
            continue
        break
    assert not result.get("errors"), result
    data: dict[str, Any] = result["data"]
    return data


CALLS = 21  # one more than the viewer's page
WARM_UP = """query($c: ID!) {
  node(id: $c) { ... on Company { figures { purchases { currency receivable
    windows { days amount } } lastInteractionAt openFollowUps openComplaints meanSatisfaction } } }
  a: timeline(party: $c, first: 20) { nodes { id customer { __typename } staff { id }
    contacts { id } ... on Interaction { channel followUps { id status } } }
    pageInfo { endCursor } }
  b: timeline(party: $c, first: 20, includeSubsidiaries: true, kinds: [INTERACTION],
    since: "2025-03-01T00:00:00Z") { nodes { id customer { __typename } } }
  followUps(first: 20, customer: $c) { totalCount nodes { id assignee { id } record { id } } }
}"""


@pytest.fixture(scope="module")
def company(base_url: str) -> str:
    """The demo group, with 21 calls of March 2025 made through the public API, so its timeline
    has a second page (the last call has an overdue next step). Upserts by external id: a re-run
    against the same server writes nothing new. The panel's queries then run once, so their
    statements are planned before a browser waits on them."""
    query = "query($t: String!) { search(text: $t, first: 5) { id name } }"
    hits = api(base_url, query, {"t": DEMO_GROUP})
    group = str(next(h["id"] for h in hits["search"] if h["name"] == DEMO_GROUP_NAME))
    calls = []
    for i in range(CALLS):
        next_step = (
            ', nextStep: { action: "寄送样品", dueAt: "2025-03-28T18:00:00+08:00" }'
            if i == CALLS - 1
            else ""
        )
        calls.append(
            f'c{i}: saveRecord(input: {{ customer: $c, externalSource: "viewer-test", '
            f'externalId: "call-{i}", occurredAt: "2025-03-{i + 1:02d}T09:00:00+08:00", '
            f'subject: "电话回访 {i:02d}", interaction: {{ channel: CALL{next_step} }} }}) '
            "{ errors { code field } }"
        )
    saved = api(base_url, f"mutation($c: ID!) {{ {' '.join(calls)} }}", {"c": group})
    assert all(not p["errors"] for p in saved.values()), saved
    api(base_url, WARM_UP, {"c": group})
    return group


def open_panel(v: Viewer, base: str, company: str) -> None:
    v.goto(base, f"viewer/#/customer/{company}")
    assert v.page.is_visible("#panel .customer-panel")


def local_input(at: datetime) -> str:
    """A datetime-local value (the browser runs in this machine's time zone)."""
    return at.strftime("%Y-%m-%dT%H:%M")


def submit(v: Viewer, selector: str = "#cust-log button[type=submit]") -> None:
    v.page.evaluate("document.body.dataset.state = 'saving'")
    v.page.click(selector)
    v.wait_ready()


def follow_up_count(v: Viewer) -> int:
    return int(v.page.inner_text("#cust-follow-ups [data-count=followUps]"))


def open_follow_ups_figure(v: Viewer) -> int:
    return int(v.page.inner_text("#cust-figures [data-figure=openFollowUps]"))


def record_subjects(v: Viewer) -> list[str]:
    return v.page.locator("#cust-timeline li.record .record-subject").all_inner_texts()


def test_log_a_visit_with_a_next_step_then_close_it(
    viewer: Viewer, base_url: str, company: str
) -> None:
    # Reached as a user would: search the group, then its 客户档案 tab.
    open_demo_group(viewer, base_url)
    viewer.click_link("#tabs a[data-view=customer]")
    assert viewer.page.evaluate("location.hash") == f"#/customer/{company}"
    assert viewer.page.inner_text("#panel .panel-head h2") == DEMO_GROUP_NAME
    figures = viewer.page.inner_text("#cust-figures")
    assert "系统生成信息" in figures
    assert "待跟进" in figures
    assert "满意度" in figures
    before_list = follow_up_count(viewer)
    before_figure = open_follow_ups_figure(viewer)
    assert before_list == before_figure

    subject = f"季度拜访 {uuid.uuid4().hex[:6]}"
    action = f"发送扩产方案报价 {uuid.uuid4().hex[:4]}"
    now = datetime.now()
    form = "#cust-log form.log"
    viewer.page.select_option(f"{form} select[name=channel]", "VISIT")
    viewer.page.fill(f"{form} input[name=occurredAt]", local_input(now - timedelta(hours=1)))
    viewer.page.fill(f"{form} input[name=subject]", subject)
    viewer.page.fill(f"{form} textarea[name=agreement]", "12月提交扩产方案")
    viewer.page.fill(f"{form} input[name=nextAction]", action)
    viewer.page.fill(f"{form} input[name=nextDue]", local_input(now + timedelta(days=7)))
    submit(viewer)

    assert viewer.page.is_visible("#cust-log .notice-ok")
    assert not viewer.page.locator("#cust-log .field-error").count()
    # The timeline gained the visit, with what was agreed and the next step. (Not necessarily
    # first: planned visits in the future sort above it.)
    assert record_subjects(viewer).count(subject) == 1
    visit = viewer.page.locator("#cust-timeline li.record", has_text=subject)
    assert visit.get_attribute("data-kind") == "INTERACTION"
    text = visit.inner_text()
    assert "沟通记录" in text
    assert "拜访" in text
    assert "12月提交扩产方案" in text
    assert action in text
    assert "待跟进" in text
    # The open follow-ups went up by one, in the list and in the computed figure.
    assert follow_up_count(viewer) == before_list + 1
    assert open_follow_ups_figure(viewer) == before_figure + 1
    assert action in viewer.page.inner_text("#cust-follow-ups")
    assert "最近沟通" in viewer.page.inner_text("#cust-figures")
    # The form is ready for the next entry.
    assert viewer.page.input_value(f"{form} input[name=subject]") == ""
    viewer.page.evaluate("document.getElementById('panel').scrollTop = 0")
    viewer.shot("-saved")

    # Close it: the count goes back down and the timeline shows it done.
    item = viewer.page.locator("#cust-follow-ups li.follow-up", has_text=action)
    item.locator("button.close-follow-up").click()
    item.locator("input[name=outcome]").fill("报价单已发送")
    submit(viewer, "#cust-follow-ups .close-form button[type=submit]")
    assert follow_up_count(viewer) == before_list
    assert open_follow_ups_figure(viewer) == before_figure
    assert action not in viewer.page.inner_text("#cust-follow-ups")
    assert "已完成" in visit.inner_text()


def test_two_visits_with_next_steps_make_two_follow_ups(
    viewer: Viewer, base_url: str, company: str
) -> None:
    open_panel(viewer, base_url, company)
    before = follow_up_count(viewer)
    form = "#cust-log form.log"
    now = datetime.now()
    for n in (1, 2):
        viewer.page.fill(f"{form} input[name=occurredAt]", local_input(now - timedelta(hours=n)))
        viewer.page.fill(f"{form} input[name=subject]", f"拜访 {n} {uuid.uuid4().hex[:6]}")
        viewer.page.fill(f"{form} input[name=nextAction]", f"跟进 {n} {uuid.uuid4().hex[:6]}")
        viewer.page.fill(f"{form} input[name=nextDue]", local_input(now + timedelta(days=n)))
        submit(viewer)
        assert viewer.page.is_visible("#cust-log .notice-ok")
    assert follow_up_count(viewer) == before + 2


def test_a_next_step_due_before_the_visit_is_shown_at_its_field(
    viewer: Viewer, base_url: str, company: str
) -> None:
    open_panel(viewer, base_url, company)
    before = follow_up_count(viewer)
    subject = f"错误的跟进日期 {uuid.uuid4().hex[:6]}"
    visit = datetime.now() - timedelta(hours=2)
    form = "#cust-log form.log"
    viewer.page.fill(f"{form} input[name=occurredAt]", local_input(visit))
    viewer.page.fill(f"{form} input[name=subject]", subject)
    viewer.page.fill(f"{form} input[name=nextAction]", "回访")
    viewer.page.fill(f"{form} input[name=nextDue]", local_input(visit - timedelta(days=1)))
    submit(viewer)

    # The server's typed error sits under the due-date field, with its code; nothing else is marked.
    field = viewer.page.locator(f'#cust-log .field[data-field="{DUE_FIELD}"]')
    assert "invalid" in (field.get_attribute("class") or "")
    error = field.locator(".field-error")
    assert error.count() == 1
    # Worded in Chinese by its code; the server's English text only as a detail.
    assert error.get_attribute("data-code") == "VALIDATION"
    assert error.inner_text().startswith("填写的内容不符合要求")
    assert "before the interaction" in error.locator(".error-detail").inner_text()
    assert field.locator("input").get_attribute("aria-invalid") == "true"
    assert viewer.page.locator("#cust-log .field.invalid").count() == 1
    assert not viewer.page.is_visible("#cust-log .notice-ok")
    # Nothing was written.
    assert subject not in record_subjects(viewer)
    assert follow_up_count(viewer) == before
    viewer.page.locator("#cust-log").scroll_into_view_if_needed()
    viewer.shot("-error")

    # In English the labels change; what was typed and the error stay.
    viewer.page.click("#lang")
    assert viewer.page.inner_text("#tabs a[data-view=customer]") == "Customer profile"
    assert "Next step due" in viewer.page.inner_text("#cust-log")
    assert viewer.page.input_value(f"{form} input[name=subject]") == subject
    assert field.locator(".field-error").count() == 1
    assert "Computed figures" in viewer.page.inner_text("#cust-figures")
    viewer.shot("-en")

    # A missing time is caught before sending (the API cannot parse a visit without one).
    viewer.page.fill(f"{form} input[name=occurredAt]", "")
    submit(viewer)
    occurred = viewer.page.locator('#cust-log .field[data-field="input.occurredAt"] .field-error')
    assert occurred.inner_text() == "required"


def test_timeline_filters_and_load_more(viewer: Viewer, base_url: str, company: str) -> None:
    open_panel(viewer, base_url, company)
    items = viewer.page.locator("#cust-timeline li.record")
    assert items.count() == 20
    assert viewer.page.is_visible("#cust-timeline button.more")
    first_page = [items.nth(i).get_attribute("data-id") for i in range(20)]
    viewer.page.evaluate("document.body.dataset.state = 'paging'")
    viewer.page.click("#cust-timeline button.more")
    viewer.wait_ready()
    ids = [items.nth(i).get_attribute("data-id") for i in range(items.count())]
    assert len(ids) > 20
    assert ids[:20] == first_page
    assert len(set(ids)) == len(ids), "a record came twice across pages"
    times = viewer.page.locator("#cust-timeline li.record time").evaluate_all(
        "ts => ts.map(t => Date.parse(t.getAttribute('datetime')))"
    )
    assert times == sorted(times, reverse=True), "the timeline is not newest first"

    def refilter(action: Any) -> None:
        viewer.page.evaluate("document.body.dataset.state = 'filtering'")
        action()
        viewer.wait_ready()

    # Kinds: only orders -> none of the calls.
    refilter(lambda: viewer.page.check("#cust-timeline input[name=kind][value=ORDER]"))
    kinds = viewer.page.locator("#cust-timeline li.record").evaluate_all(
        "rs => rs.map(r => r.dataset.kind)"
    )
    assert set(kinds) <= {"ORDER"}
    assert not any(s.startswith("电话回访") for s in record_subjects(viewer))
    refilter(lambda: viewer.page.uncheck("#cust-timeline input[name=kind][value=ORDER]"))

    # Date range, both days included: the calls of 1..20 March 2025, not the one of the 21st.
    # (Midnight is the browser's; the calls at 09:00 +08:00 fall on their day from UTC-1 to UTC+9.)
    refilter(lambda: viewer.page.fill("#cust-timeline input[name=since]", "2025-03-01"))
    refilter(lambda: viewer.page.fill("#cust-timeline input[name=until]", "2025-03-20"))
    while viewer.page.is_visible("#cust-timeline button.more"):  # other March records may exist
        refilter(lambda: viewer.page.click("#cust-timeline button.more"))
    calls = sorted(s for s in record_subjects(viewer) if s.startswith("电话回访"))
    assert calls == [f"电话回访 {i:02d}" for i in range(20)]
    assert "没有更多记录了" in viewer.page.inner_text("#cust-timeline")
    # A "from" after the "to" is said at the dates, lists nothing and sends nothing.
    viewer.page.fill("#cust-timeline input[name=since]", "2025-03-25")
    backwards = viewer.page.locator("#cust-timeline .field-error")
    backwards.wait_for()
    assert "晚于" in backwards.inner_text()
    assert viewer.page.locator("#cust-timeline li.record").count() == 0
    refilter(lambda: viewer.page.fill("#cust-timeline input[name=since]", "2025-03-01"))
    assert viewer.page.locator("#cust-timeline .field-error").count() == 0

    # Subsidiaries: the group's timeline includes at least its own records.
    own = viewer.page.locator("#cust-timeline li.record").count()
    refilter(lambda: viewer.page.check("#cust-timeline input[name=subsidiaries]"))
    assert viewer.page.locator("#cust-timeline li.record").count() >= own
    viewer.shot()


@pytest.mark.parametrize("viewer", [(390, 844)], indirect=True, ids=["phone"])
def test_customer_panel_at_phone_width(viewer: Viewer, base_url: str, company: str) -> None:
    open_panel(viewer, base_url, company)
    width = viewer.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"
    for section in ("#cust-figures", "#cust-follow-ups", "#cust-log", "#cust-timeline"):
        box = viewer.page.locator(section).bounding_box()
        assert box is not None, section
        assert box["width"] <= 390, section
    viewer.page.locator("#cust-log").scroll_into_view_if_needed()
    assert viewer.page.is_visible("#cust-log button[type=submit]")


def test_a_person_who_is_a_customer_has_the_panel_too(viewer: Viewer, base_url: str) -> None:
    hits = api(base_url, 'query { search(text: "陈国栋", first: 5) { id kind name } }')["search"]
    person = next(h for h in hits if h["kind"] == "PERSON" and h["name"] == "陈国栋")
    open_panel(viewer, base_url, person["id"])
    assert viewer.page.inner_text("#panel .panel-head h2") == "陈国栋"
    assert "HX-P-0001" in viewer.page.inner_text("#panel .panel-head")
    # A person has no subsidiaries; the tab sits with the person's other tab.
    assert not viewer.page.locator("#cust-timeline input[name=subsidiaries]").count()
    assert viewer.page.is_visible("#cust-log form.log")
    group = viewer.page.locator("#tabs .tab-group", has_text="陈国栋")
    assert group.locator("a[data-view=intro]").count() == 1
    assert "active" in (group.locator("a[data-view=customer]").get_attribute("class") or "")
