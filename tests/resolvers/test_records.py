"""Records over time through the API: every kind saved, upserted and voided; the timeline of a
customer, a group and a person; follow-ups; the computed figures after each write; bad input
refused with typed errors and nothing written."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from graph import clock
from neo4j import Driver
from tests.conftest import GQL, PERSONAS

OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

SAVE = """mutation($input: SaveRecordInput!) { saveRecord(input: $input) {
  created changed errors { code field message }
  record { id kind version occurredAt subject voidedAt customer { ... on Company { id } }
    staff { id } contacts { id }
    ... on Interaction { channel agreement followUps { id action status dueAt } }
    ... on Order { currency amount quantity lines { position quantity unitPrice amount
      product { sku } } }
    ... on Payment { amount order { id } }
    ... on Delivery { trackingNo complete order { id } }
    ... on ServiceCase { category status resolutionHours }
    ... on Survey { score answers { question answer } } } } }"""
VOID = """mutation($input: VoidRecordInput!) { voidRecord(input: $input) {
  record { id voidedAt voidReason version } errors { code field } } }"""
CLOSE = """mutation($input: CloseFollowUpInput!) { closeFollowUp(input: $input) {
  followUp { id status outcome assignee { id } } errors { code field } } }"""
PRODUCT = """mutation($input: SaveProductInput!) { saveProduct(input: $input) {
  product { id sku name listPrice version } errors { code field } } }"""
TIMELINE = """query($party: ID!, $first: Int!, $after: String, $group: Boolean!,
  $voided: Boolean!, $kinds: [RecordKind!]) {
  timeline(party: $party, first: $first, after: $after, includeSubsidiaries: $group,
           includeVoided: $voided, kinds: $kinds) {
    nodes { id kind subject occurredAt customer { ... on Company { name } ... on Person { name } }
            employer { name } }
    pageInfo { hasNextPage endCursor } } }"""
FIGURES = """query($id: ID!) { company(id: $id) { figures {
  purchases { currency orders meanDaysBetweenOrders receivable overdue overpaid
    windows { days orders amount quantity averagePrice } }
  lastInteractionAt lastInteractionChannel nextVisitAt openFollowUps overdueFollowUps
  openComplaints meanSatisfaction surveys } } }"""


@pytest.fixture
def shop(cypher: Driver) -> dict[str, str]:
    """A customer of the owner persona with a contact and a subsidiary, a customer of the west
    rep, a company that is no customer, and two products."""
    row = cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $west}) "
        "CREATE (o)-[:OWNS]->(c:Company:Customer {id: randomUUID(), name: '华东机械', version: 1}) "
        "CREATE (o)-[:OWNS]->(s:Company:Customer {id: randomUUID(), name: '华东机械苏州分公司', "
        "  version: 1})-[:SUBSIDIARY_OF]->(c) "
        "CREATE (p:Person {id: randomUUID(), name: '李工', version: 1})-[:WORKS_AT]->(c) "
        "CREATE (w)-[:OWNS]->(x:Company:Customer {id: randomUUID(), name: '西部客户', version: 1}) "
        "CREATE (r:Company {id: randomUUID(), name: '非客户', version: 1}) "
        "CREATE (a:Product {id: randomUUID(), sku: 'CNC-1', name: '数控机床', version: 1}) "
        "CREATE (b:Product {id: randomUUID(), sku: 'SP-9', name: '主轴备件', version: 1}) "
        "RETURN c.id AS customer, s.id AS sub, p.id AS contact, x.id AS west, r.id AS ref, "
        "a.id AS cnc, b.id AS spare",
        owner=OWNER,
        west=WEST_REP,
    ).records[0]
    return dict(row)


def at(days_ago: float) -> str:
    return (NOW - dt.timedelta(days=days_ago)).isoformat()


def order(shop: dict[str, str], days_ago: float = 1, **extra: Any) -> dict[str, Any]:
    return {
        "customer": shop["customer"],
        "occurredAt": at(days_ago),
        "order": {
            "currency": "CNY",
            "orderNo": "SO-2026-001",
            "lines": [
                {"product": shop["cnc"], "quantity": "2", "unitPrice": "150000.00"},
                {"product": shop["spare"], "quantity": "3.5", "unitPrice": "99.99"},
            ],
            "paymentDueOn": (clock.today() - dt.timedelta(days=1)).isoformat(),
        },
        **extra,
    }


def saved(gql: GQL, data: dict[str, Any]) -> dict[str, Any]:
    payload = gql(SAVE, {"input": data}).data["saveRecord"]
    assert payload["errors"] == [], payload["errors"]
    record: dict[str, Any] = payload["record"]
    return record


def figures(gql: GQL, company: str) -> dict[str, Any]:
    result: dict[str, Any] = gql(FIGURES, {"id": company}).data["company"]["figures"]
    return result


def records_stored(cypher: Driver) -> int:
    return int(cypher.execute_query("MATCH (r:Record) RETURN count(r) AS n").records[0]["n"])


def test_a_visit_with_a_next_step_becomes_a_follow_up_and_moves_the_figures(
    gql: GQL, shop: dict[str, str]
) -> None:
    owner = gql.as_("owner")
    due = (NOW + dt.timedelta(days=7)).isoformat()
    visit = saved(
        owner,
        {
            "customer": shop["customer"],
            "occurredAt": at(0.5),
            "subject": "季度拜访",
            "contacts": [shop["contact"]],
            "interaction": {
                "channel": "VISIT",
                "agreement": "下周提交报价",
                "nextStep": {"action": "发送报价单", "dueAt": due},
            },
        },
    )
    assert visit["kind"] == "INTERACTION"
    assert visit["staff"] == [{"id": OWNER}]  # who logs it took part
    assert visit["contacts"] == [{"id": shop["contact"]}]
    [follow_up] = visit["followUps"]
    assert follow_up["status"] == "OPEN"
    assert follow_up["action"] == "发送报价单"
    # The record's own follow-ups carry what `followUps` lists: assignee, customer, record.
    linked = owner(
        """query($id: ID!) { record(id: $id) { ... on Interaction { followUps {
          assignee { id } customer { ... on Company { id } } record { id } } } } }""",
        {"id": visit["id"]},
    ).data["record"]["followUps"]
    assert linked == [
        {
            "assignee": {"id": OWNER},
            "customer": {"id": shop["customer"]},
            "record": {"id": visit["id"]},
        }
    ]

    f = figures(owner, shop["customer"])
    assert f["lastInteractionChannel"] == "VISIT"
    assert f["openFollowUps"] == 1
    assert f["overdueFollowUps"] == 0

    listed = owner(f'query {{ followUps(first: 10, assignee: "{OWNER}") {{ nodes {{ id }} }} }}')
    assert [n["id"] for n in listed.data["followUps"]["nodes"]] == [follow_up["id"]]
    # The west rep does not see the owner's customer, so not its follow-ups either.
    west = gql.as_("other_team")("query { followUps(first: 10) { nodes { id } } }")
    assert west.data["followUps"]["nodes"] == []

    closed = owner(CLOSE, {"input": {"id": follow_up["id"], "outcome": "已发送"}})
    # As stored: tester AM saw the answer's assignee null (the customer's variable reused).
    assert closed.data["closeFollowUp"]["followUp"]["status"] == "DONE"
    assert closed.data["closeFollowUp"]["followUp"]["assignee"] == {"id": OWNER}
    again = owner(CLOSE, {"input": {"id": follow_up["id"]}})
    assert again.data["closeFollowUp"]["errors"] == [{"code": "CONFLICT", "field": "input.id"}]
    assert figures(owner, shop["customer"])["openFollowUps"] == 0
    # The void's answer lists the record's contacts as a read does (the same reuse hid them).
    void = """mutation($input: VoidRecordInput!) { voidRecord(input: $input) {
      record { contacts { id } } errors { code } } }"""
    voided = owner(void, {"input": {"id": visit["id"], "reason": "重复"}}).data["voidRecord"]
    assert voided == {"record": {"contacts": [{"id": shop["contact"]}]}, "errors": []}


def test_windows_count_business_days_and_nothing_dated_ahead(
    gql: GQL, shop: dict[str, str]
) -> None:
    owner = gql.as_("owner")
    # 07:00 in Shanghai 29 days ago, sent in UTC (the day before there): 29 business days old,
    # inside the 30-day window; 30 days ago at the same hour is outside it.
    day = clock.today() - dt.timedelta(days=29)
    inside = dt.datetime(day.year, day.month, day.day, 7, tzinfo=clock.ZONE)
    outside = inside - dt.timedelta(days=1)
    for when in (inside, outside):
        saved(owner, {**order(shop), "occurredAt": when.astimezone(dt.UTC).isoformat()})
    # An order dated next month is not a purchase yet: not in a window, nor receivable.
    ahead = order(shop, days_ago=-30)
    ahead["order"]["paymentDueOn"] = (clock.today() + dt.timedelta(days=60)).isoformat()
    saved(owner, ahead)
    [money] = figures(owner, shop["customer"])["purchases"]
    assert money["orders"] == 2
    assert [(w["days"], w["orders"]) for w in money["windows"]] == [
        (30, 1), (90, 2), (365, 2), (None, 2)
    ]  # fmt: skip
    assert money["receivable"] == "600699.94"  # two orders of 300349.97


def test_an_order_of_two_products_and_a_payment_give_amounts_and_receivables(
    gql: GQL, shop: dict[str, str]
) -> None:
    owner = gql.as_("owner")
    o = saved(owner, order(shop, days_ago=10))
    # 2 × 150000.00 + 3.5 × 99.99 = 300000 + 349.965 → 349.97 (half up)
    assert o["amount"] == "300349.97"
    assert [line["amount"] for line in o["lines"]] == ["300000", "349.97"]
    assert [line["product"]["sku"] for line in o["lines"]] == ["CNC-1", "SP-9"]
    assert o["quantity"] == 5.5

    [money] = figures(owner, shop["customer"])["purchases"]
    assert money["currency"] == "CNY"
    assert money["orders"] == 1
    assert money["receivable"] == "300349.97"
    assert money["overdue"] == "300349.97"
    d30 = money["windows"][0]
    assert d30["days"] == 30
    assert d30["orders"] == 1
    assert d30["quantity"] == 5.5
    assert d30["averagePrice"] == "54609.09"  # 30034997 cents / 5.5 units

    paid = saved(
        owner,
        {
            "customer": shop["customer"],
            "occurredAt": at(1),
            "payment": {"order": o["id"], "amount": "300000", "currency": "CNY"},
        },
    )
    assert paid["order"] == {"id": o["id"]}
    # A delivery has no amount, hence no currency to compare with the order's.
    sent = saved(
        owner,
        {
            "customer": shop["customer"],
            "occurredAt": at(1),
            "delivery": {"order": o["id"], "trackingNo": "SF123"},
        },
    )
    assert (sent["kind"], sent["trackingNo"], sent["complete"]) == ("DELIVERY", "SF123", True)
    assert sent["order"] == {"id": o["id"]}
    [money] = figures(owner, shop["customer"])["purchases"]
    assert money["receivable"] == "349.97"
    assert money["overdue"] == "349.97"

    # A second order 40 days earlier: the 30-day window keeps one, all time has two.
    saved(owner, order(shop, days_ago=50))
    [money] = figures(owner, shop["customer"])["purchases"]
    assert [w["orders"] for w in money["windows"]] == [1, 2, 2, 2]
    assert money["meanDaysBetweenOrders"] == 40.0


def test_bad_input_gets_typed_errors_with_paths_and_nothing_is_written(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    owner = gql.as_("owner")
    bad = order(shop)
    bad["order"]["lines"][0]["quantity"] = "-1"
    bad["order"]["lines"][1]["currency"] = "USD"
    errors = owner(SAVE, {"input": bad}).data["saveRecord"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {
        ("VALIDATION", "input.order.lines[0].quantity"),
        ("VALIDATION", "input.order.lines[1].currency"),
    }

    early = {
        "customer": shop["customer"],
        "occurredAt": at(0),
        "interaction": {
            "channel": "CALL",
            "nextStep": {"action": "回电", "dueAt": at(1)},
        },
    }
    errors = owner(SAVE, {"input": early}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("VALIDATION", "input.interaction.nextStep.dueAt")
    ]

    unknown = order(shop)
    unknown["order"]["lines"][1]["product"] = "00000000-0000-4000-8000-000000000000"
    errors = owner(SAVE, {"input": unknown}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NOT_FOUND", "input.order.lines[1].product")
    ]

    both = {**order(shop), "survey": {"score": 5}}
    errors = owner(SAVE, {"input": both}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input")]

    early = order(shop, days_ago=3)
    early["order"]["paymentDueOn"] = (clock.today() - dt.timedelta(days=10)).isoformat()
    errors = owner(SAVE, {"input": early}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.order.paymentDueOn")]

    no_offset = {**order(shop), "occurredAt": "2026-11-01T10:00:00"}
    errors = owner(SAVE, {"input": no_offset}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.occurredAt")]
    for typo in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00"):
        errors = owner(SAVE, {"input": {**order(shop), "occurredAt": typo}}).data["saveRecord"]
        assert [(e["code"], e["field"]) for e in errors["errors"]] == [
            ("VALIDATION", "input.occurredAt")
        ]

    # Amounts past 10^13 could never be paid (nor stored as 64-bit cents): refused, per line
    # and in total.
    huge = order(shop)
    huge["order"]["lines"][0].update(quantity="100000", unitPrice="999999999999")
    errors = owner(SAVE, {"input": huge}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.order.lines[0]")]
    total = order(shop)
    for line in total["order"]["lines"]:
        line.update(quantity="1000", unitPrice="6000000000")  # 6×10^12 each
    errors = owner(SAVE, {"input": total}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.order.lines")]

    not_customer = {**order(shop), "customer": shop["ref"]}
    errors = owner(SAVE, {"input": not_customer}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.customer")]

    assert records_stored(cypher) == 0


def test_rights_follow_the_customer(gql: GQL, shop: dict[str, str], cypher: Driver) -> None:
    # The west rep cannot see the owner's customer: the same answer as a missing one.
    west = gql.as_("other_team")(SAVE, {"input": order(shop)})
    assert west.data["saveRecord"]["errors"][0]["code"] == "NOT_FOUND"
    analyst = gql.as_("analyst")(SAVE, {"input": order(shop)})
    assert analyst.data["saveRecord"]["errors"][0]["code"] == "FORBIDDEN"
    assert records_stored(cypher) == 0

    o = saved(gql.as_("owner"), order(shop))
    hidden = gql.as_("other_team")(
        TIMELINE, {"party": shop["customer"], "first": 10, "group": False, "voided": False}
    )
    # Hidden means missing: NOT_FOUND as for an unknown id, with neither name nor id said.
    missing = gql.as_("other_team")(
        TIMELINE, {"party": "no-such-party", "first": 10, "group": False, "voided": False}
    )
    assert hidden.codes() == missing.codes() == ["NOT_FOUND"]
    assert hidden.errors[0]["message"] == missing.errors[0]["message"]
    assert shop["customer"] not in json.dumps(hidden.body)
    # A visible party without records is an empty timeline.
    none = gql(TIMELINE, {"party": shop["ref"], "first": 10, "group": False, "voided": False})
    assert none.data["timeline"]["nodes"] == []
    assert (
        gql.as_("other_team")('{{ record(id: "{}") {{ id }} }}'.format(o["id"])).data["record"]
        is None
    )
    void = gql.as_("other_team")(VOID, {"input": {"id": o["id"], "reason": "x"}})
    assert void.data["voidRecord"]["errors"] == [{"code": "NOT_FOUND", "field": "input.id"}]
    # Naming the hidden record in a save answers as a missing id would, and its key says only
    # "another customer's", whatever its kind.
    mine = order(shop, customer=shop["west"])
    by_id = gql.as_("other_team")(SAVE, {"input": {**mine, "id": o["id"], "expectedVersion": 1}})
    missing = gql.as_("other_team")(
        SAVE,
        {"input": {**mine, "id": "00000000-0000-4000-8000-00000000dead", "expectedVersion": 1}},
    )
    assert by_id.data["saveRecord"]["errors"] == missing.data["saveRecord"]["errors"]
    assert missing.data["saveRecord"]["errors"] == [
        {"code": "NOT_FOUND", "field": "input.id", "message": "no record with this id"}
    ]
    keyed = saved(gql.as_("owner"), order(shop, externalSource="erp", externalId="SO-9"))
    visit = {
        "customer": shop["west"],
        "occurredAt": at(1),
        "externalSource": "erp",
        "externalId": "SO-9",
        "interaction": {"channel": "VISIT"},
    }
    assert saved(gql.as_("other_team"), visit)["id"] != keyed["id"]  # keys are per kind
    taken = gql.as_("other_team")(
        SAVE, {"input": order(shop, customer=shop["west"], externalSource="erp", externalId="SO-9")}
    )
    assert taken.data["saveRecord"]["errors"] == [
        {
            "code": "DUPLICATE",
            "field": "input.externalId",
            "message": "this externalSource and externalId name a record of another customer; "
            "records do not move",
        }
    ]
    # The analyst reads it, without the free text.
    seen = gql.as_("analyst")('{{ record(id: "{}") {{ id notes }} }}'.format(o["id"]))
    assert seen.data["record"]["id"] == o["id"]


def test_upserts_by_external_id_are_idempotent(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    owner = gql.as_("owner")
    data = order(shop, externalSource="erp", externalId="SO-1")
    first = owner(SAVE, {"input": data}).data["saveRecord"]
    second = owner(SAVE, {"input": data}).data["saveRecord"]
    assert (first["created"], first["changed"]) == (True, True)
    assert (second["created"], second["changed"]) == (False, False)
    assert second["record"]["id"] == first["record"]["id"]
    assert second["record"]["version"] == 1
    data["order"]["lines"].pop()
    third = owner(SAVE, {"input": data}).data["saveRecord"]
    assert (third["created"], third["changed"]) == (False, True)
    assert third["record"]["version"] == 2
    assert third["record"]["amount"] == "300000"
    assert records_stored(cypher) == 1
    lines = cypher.execute_query("MATCH (:Order)-[l:LINE]->() RETURN count(l) AS n").records
    assert lines[0]["n"] == 1  # replaced, not added


def test_the_order_contacts_are_given_in_is_no_change(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    # A re-import lists them in the order the edges come back, not the order first given.
    other = cypher.execute_query(
        "MATCH (c:Company {id: $c}) CREATE (p:Person {id: randomUUID(), name: '王工', "
        "version: 1})-[:WORKS_AT]->(c) RETURN p.id AS id",
        c=shop["customer"],
    ).records[0]["id"]
    owner = gql.as_("owner")
    data = {
        "customer": shop["customer"],
        "occurredAt": at(1),
        "externalSource": "crm",
        "externalId": "T-1",
        "contacts": [shop["contact"], other],
        "interaction": {"channel": "CALL"},
    }
    first = owner(SAVE, {"input": data}).data["saveRecord"]
    assert (first["created"], first["errors"]) == (True, [])
    again = owner(SAVE, {"input": {**data, "contacts": [other, shop["contact"]]}})
    assert again.data["saveRecord"]["changed"] is False
    assert again.data["saveRecord"]["record"]["version"] == 1


@pytest.mark.parametrize(
    ("section", "body", "check"),
    [
        ("serviceCase", {"category": "COMPLAINT", "severity": "HIGH"}, {"status": "OPEN"}),
        (
            "survey",
            {"score": 4, "answers": [{"question": "服务态度", "answer": "满意"}]},
            {"answers": [{"question": "服务态度", "answer": "满意"}]},
        ),
        ("contract", {"title": "年度框架协议", "amount": "500000", "currency": "CNY"}, {}),
        ("visitPlan", {"purpose": "设备巡检"}, {}),
        ("marketing", {"campaign": "2026 上海工博会", "response": "到场"}, {}),
    ],
)
def test_every_kind_is_saved_and_voided(
    gql: GQL, shop: dict[str, str], section: str, body: dict[str, Any], check: dict[str, Any]
) -> None:
    owner = gql.as_("owner")
    data = {"customer": shop["customer"], "occurredAt": at(2), section: body}
    record = saved(owner, {**data, "externalSource": "t", "externalId": section})
    assert all(record[k] == v for k, v in check.items()), record
    again = owner(SAVE, {"input": {**data, "externalSource": "t", "externalId": section}})
    assert again.data["saveRecord"]["changed"] is False

    voided = owner(VOID, {"input": {"id": record["id"], "reason": "录入错误"}})
    assert voided.data["voidRecord"]["record"]["voidReason"] == "录入错误"
    twice = owner(VOID, {"input": {"id": record["id"], "reason": "again"}})
    assert twice.data["voidRecord"]["errors"] == [{"code": "CONFLICT", "field": "input.id"}]
    variables = {"party": shop["customer"], "first": 10, "group": False}
    assert owner(TIMELINE, {**variables, "voided": False}).data["timeline"]["nodes"] == []
    shown = owner(TIMELINE, {**variables, "voided": True}).data["timeline"]["nodes"]
    assert [n["id"] for n in shown] == [record["id"]]


def test_voided_orders_and_complaints_leave_the_figures(gql: GQL, shop: dict[str, str]) -> None:
    owner = gql.as_("owner")
    o = saved(owner, order(shop))
    complaint = saved(
        owner,
        {
            "customer": shop["customer"],
            "occurredAt": at(3),
            "serviceCase": {"category": "COMPLAINT"},
        },
    )
    saved(owner, {"customer": shop["customer"], "occurredAt": at(3), "survey": {"score": 2}})
    saved(owner, {"customer": shop["customer"], "occurredAt": at(2), "survey": {"score": 5}})
    f = figures(owner, shop["customer"])
    assert f["openComplaints"] == 1
    assert f["meanSatisfaction"] == 3.5
    assert f["surveys"] == 2
    assert f["purchases"][0]["orders"] == 1
    for rid in (o["id"], complaint["id"]):
        assert owner(VOID, {"input": {"id": rid, "reason": "重复"}}).data["voidRecord"]["record"]
    f = figures(owner, shop["customer"])
    assert f["openComplaints"] == 0
    assert f["purchases"] == []


def test_a_paid_order_is_voided_only_after_its_payments(gql: GQL, shop: dict[str, str]) -> None:
    """Voiding a paid order dropped the money received out of the figures (tester AV)."""
    owner = gql.as_("owner")
    o = saved(owner, order(shop))
    payment = {"order": o["id"], "amount": "1000", "currency": "CNY"}
    paid = saved(owner, {"customer": shop["customer"], "occurredAt": at(0.5), "payment": payment})
    refused = owner(VOID, {"input": {"id": o["id"], "reason": "客户取消订单"}}).data["voidRecord"]
    assert refused == {"record": None, "errors": [{"code": "CONFLICT", "field": "input.id"}]}
    assert figures(owner, shop["customer"])["purchases"][0]["orders"] == 1
    assert owner(VOID, {"input": {"id": paid["id"], "reason": "退款"}}).data["voidRecord"]["record"]
    assert owner(VOID, {"input": {"id": o["id"], "reason": "客户取消订单"}}).data["voidRecord"][
        "record"
    ]
    assert figures(owner, shop["customer"])["purchases"] == []


def test_a_group_timeline_pages_newest_first_in_one_round_trip(
    gql: GQL, shop: dict[str, str]
) -> None:
    owner = gql.as_("owner")
    ids = []
    for i, party in enumerate([shop["customer"], shop["sub"], shop["customer"], shop["sub"]]):
        rec = saved(
            owner,
            {
                "customer": party,
                "occurredAt": at(10 - i),
                "subject": f"第{i}次",
                "interaction": {"channel": "CALL"},
            },
        )
        ids.append(rec["id"])
    variables = {"party": shop["customer"], "first": 3, "group": True, "voided": False}
    page = owner(TIMELINE, variables)
    assert page.round_trips == 1
    nodes = page.data["timeline"]["nodes"]
    assert [n["id"] for n in nodes] == ids[::-1][:3]
    assert nodes[0]["customer"]["name"] == "华东机械苏州分公司"
    cursor = page.data["timeline"]["pageInfo"]["endCursor"]
    rest = owner(TIMELINE, {**variables, "after": cursor}).data["timeline"]
    assert [n["id"] for n in rest["nodes"]] == [ids[0]]
    assert not rest["pageInfo"]["hasNextPage"]
    alone = owner(TIMELINE, {**variables, "group": False, "first": 10}).data["timeline"]
    assert [n["id"] for n in alone["nodes"]] == [ids[2], ids[0]]
    orders = owner(TIMELINE, {**variables, "kinds": ["ORDER"]}).data["timeline"]
    assert orders["nodes"] == []


def test_a_person_timeline_shows_the_employer_at_the_time(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    # 李工 worked at 西部客户 until a year ago; the owner sees both customers here.
    cypher.execute_query(
        "MATCH (p:Person {id: $p}), (x:Company {id: $west}), (o:User {id: $owner}) "
        "CREATE (p)-[:WORKS_AT {until: date() - duration('P365D')}]->(x) "
        "CREATE (o)-[:OWNS]->(x)",
        p=shop["contact"],
        west=shop["west"],
        owner=OWNER,
    )
    owner = gql.as_("owner")
    for party, days in ((shop["west"], 500), (shop["customer"], 5)):
        saved(
            owner,
            {
                "customer": party,
                "occurredAt": at(days),
                "contacts": [shop["contact"]],
                "interaction": {"channel": "MEETING"},
            },
        )
    variables = {"party": shop["contact"], "first": 10, "group": False, "voided": False}
    nodes = owner(TIMELINE, variables).data["timeline"]["nodes"]
    assert [(n["customer"]["name"], n["employer"]["name"]) for n in nodes] == [
        ("华东机械", "华东机械"),
        ("西部客户", "西部客户"),
    ]


def test_concurrent_orders_are_both_counted(gql: GQL, shop: dict[str, str]) -> None:
    owner = gql.as_("owner")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: owner(SAVE, {"input": order(shop, i + 1)}), range(4)))
    assert all(r.data["saveRecord"]["errors"] == [] for r in results)
    assert figures(owner, shop["customer"])["purchases"][0]["orders"] == 4


def test_a_next_step_goes_to_someone_who_may_see_the_customer(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    owner = gql.as_("owner")
    due = (NOW + dt.timedelta(days=7)).isoformat()
    step = {"action": "给西区: 底价", "dueAt": due, "assignee": WEST_REP}
    visit = {"customer": shop["customer"], "occurredAt": at(1)}
    named = owner(SAVE, {"input": {**visit, "interaction": {"channel": "VISIT", "nextStep": step}}})
    assert named.data["saveRecord"]["errors"] == [
        {
            "code": "VALIDATION",
            "field": "input.interaction.nextStep.assignee",
            "message": "no active user who may see this customer",
        }
    ]
    del step["assignee"]  # the first of the staff takes it
    staffed = owner(
        SAVE,
        {
            "input": {
                **visit,
                "staff": [WEST_REP, OWNER],
                "interaction": {"channel": "VISIT", "nextStep": step},
            }
        },
    )
    assert [e["field"] for e in staffed.data["saveRecord"]["errors"]] == ["input.staff"]
    assert records_stored(cypher) == 0
    # The admin sees every customer, so may take it.
    step["assignee"] = PERSONAS["admin"]["id"]
    saved(owner, {**visit, "interaction": {"channel": "VISIT", "nextStep": step}})


def test_concurrent_voids_and_closes_have_one_winner(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    """A double submit: one void (one close) succeeds, the others are refused, one audit each."""
    owner = gql.as_("owner")
    due = (NOW + dt.timedelta(days=7)).isoformat()
    visit = saved(
        owner,
        {
            "customer": shop["customer"],
            "occurredAt": at(1),
            "interaction": {"channel": "VISIT", "nextStep": {"action": "回访", "dueAt": due}},
        },
    )
    fid = visit["followUps"][0]["id"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        closes = list(
            pool.map(
                lambda s: owner(CLOSE, {"input": {"id": fid, "status": s}}).data["closeFollowUp"],
                ["DONE", "CANCELLED", "DONE", "CANCELLED"],
            )
        )
    assert sorted(len(c["errors"]) for c in closes) == [0, 1, 1, 1]
    o = saved(owner, order(shop))
    with ThreadPoolExecutor(max_workers=4) as pool:
        voids = list(
            pool.map(
                lambda i: owner(VOID, {"input": {"id": o["id"], "reason": f"重复 {i}"}}).data[
                    "voidRecord"
                ],
                range(4),
            )
        )
    assert sorted(len(x["errors"]) for x in voids) == [0, 1, 1, 1]
    events = cypher.execute_query(
        "MATCH (a:AuditEvent) WHERE a.targetId IN [$f, $o] AND a.action IN "
        "['follow_up.close', 'record.void'] RETURN a.action AS action ORDER BY action",
        f=fid,
        o=o["id"],
    ).records
    assert [e["action"] for e in events] == ["follow_up.close", "record.void"]


def test_a_replacement_by_id_names_its_version_and_keeps_the_external_key(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    owner = gql.as_("owner")
    first = saved(owner, order(shop, externalSource="erp", externalId="SO-7"))
    # The same content by id is no change, though the input leaves out the key it keeps
    # (an outside test saw a new version and audit event).
    same = {**order(shop), "id": first["id"], "expectedVersion": 1}
    unchanged = owner(SAVE, {"input": same}).data["saveRecord"]
    assert (unchanged["changed"], unchanged["record"]["version"]) == (False, 1)
    blind = owner(SAVE, {"input": {**order(shop, subject="改"), "id": first["id"]}})
    assert blind.data["saveRecord"]["errors"] == [
        {
            "code": "VALIDATION",
            "field": "input.expectedVersion",
            "message": "required when replacing a record by id: the version you read",
        }
    ]
    edited = saved(owner, {**order(shop, subject="改"), "id": first["id"], "expectedVersion": 1})
    assert edited["version"] == 2
    # The ERP's next sync of SO-7 still finds the record: no second order.
    synced = saved(owner, order(shop, externalSource="erp", externalId="SO-7", subject="同步"))
    assert synced["id"] == first["id"]
    assert records_stored(cypher) == 1


def test_a_page_of_customers_with_figures_costs_a_bounded_number_of_round_trips(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    cypher.execute_query(
        "MATCH (o:User {id: $owner}) UNWIND range(1, 60) AS i "
        "CREATE (o)-[:OWNS]->(:Company:Customer {id: randomUUID(), name: '客户' + i, version: 1})",
        owner=OWNER,
    )
    saved(gql.as_("owner"), order(shop))
    query = (
        "{ companies(first: 100) { nodes { id figures { openFollowUps purchases { orders } } } } }"
    )
    response = gql.as_("owner")(query)
    nodes = response.data["companies"]["nodes"]
    assert len(nodes) >= 60
    assert response.round_trips <= 2
    withorders = [n for n in nodes if n["figures"] and n["figures"]["purchases"]]
    assert [n["id"] for n in withorders] == [shop["customer"]]


def test_products_are_kept_by_managers(gql: GQL, shop: dict[str, str]) -> None:
    denied = gql.as_("owner")(PRODUCT, {"input": {"sku": "X-1", "name": "新品"}})
    assert denied.data["saveProduct"]["errors"][0]["code"] == "FORBIDDEN"
    made = gql(PRODUCT, {"input": {"sku": "X-1", "name": "新品", "listPrice": "12.50"}})
    product = made.data["saveProduct"]["product"]
    assert product["listPrice"] == "12.5"
    assert product["version"] == 1
    taken = gql(PRODUCT, {"input": {"sku": "CNC-1", "name": "重复"}})
    assert taken.data["saveProduct"]["errors"] == [{"code": "DUPLICATE", "field": "input.sku"}]
    stale = gql(PRODUCT, {"input": {"id": product["id"], "expectedVersion": 7, "name": "改"}})
    assert stale.data["saveProduct"]["errors"][0]["code"] == "CONFLICT"
    found = gql.as_("owner")('{ products(first: 10, text: "机床") { nodes { sku } } }')
    assert found.data["products"]["nodes"] == [{"sku": "CNC-1"}]


def test_product_text_ignores_case_and_is_bounded(gql: GQL, shop: dict[str, str]) -> None:
    query = "query($t: String) { products(first: 10, text: $t) { nodes { sku } } }"
    assert gql.as_("owner")(query, {"t": "cnc"}).data["products"]["nodes"] == [{"sku": "CNC-1"}]
    assert gql.as_("owner")(query, {"t": "sp-"}).data["products"]["nodes"] == [{"sku": "SP-9"}]
    long = gql.as_("owner")(query, {"t": "机" * 101})
    assert long.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert long.errors[0]["extensions"]["field"] == "text"


def test_an_archived_product_takes_orders_dated_before_it_was_archived(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    # An import of past orders names products archived since; new orders may not.
    cypher.execute_query(
        "MATCH (p:Product {id: $id}) SET p.archivedAt = datetime($at)", id=shop["spare"], at=at(5)
    )
    owner = gql.as_("owner")
    assert saved(owner, order(shop, days_ago=10))["lines"][1]["product"] == {"sku": "SP-9"}
    errors = owner(SAVE, {"input": order(shop, days_ago=1)}).data["saveRecord"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NOT_FOUND", "input.order.lines[1].product")
    ]
    assert records_stored(cypher) == 1


def expected_figures(model: dict[str, Any]) -> dict[str, Any]:
    """The figures, computed in Python from what the test wrote and did not void."""
    orders = [o for o in model["orders"].values() if not o["voided"]]
    today = dt.datetime.now(dt.UTC).date()
    windows = []
    for days in (30, 90, 365, None):
        inside = [o for o in orders if days is None or (today - o["at"].date()).days < days]
        cents = sum(o["cents"] for o in inside)
        windows.append((len(inside), cents, sum(o["units"] for o in inside)))
    open_cents = [max(0, o["cents"] - o["paid"]) for o in orders]
    overdue = [max(0, o["cents"] - o["paid"]) for o in orders if o["due"] < clock.today()]
    scores = [s for s, voided in model["surveys"] if not voided]
    return {
        "orders": len(orders),
        "windows": windows,
        "receivable": sum(open_cents),
        "overdue": sum(overdue),
        "openFollowUps": sum(1 for f in model["followUps"].values() if f == "OPEN"),
        "meanSatisfaction": round(sum(scores) / len(scores), 2) if scores else None,
    }


def cents_of(text: str) -> int:
    return int(Decimal(text) * 100)


def test_figures_equal_a_recomputation_after_a_random_sequence_of_writes(
    gql: GQL, shop: dict[str, str]
) -> None:
    """Seeded random writes through the API (orders, payments, voids, interactions with next
    steps, closes, surveys); after each, the figures the API computes equal the ones this
    test computes from what it wrote."""
    rng = random.Random(13)
    owner = gql.as_("owner")
    model: dict[str, Any] = {"orders": {}, "surveys": [], "followUps": {}, "ids": {}}
    for step in range(24):
        op = rng.choice(("order", "order", "pay", "void", "talk", "close", "survey"))
        if op == "order":
            qty, price = rng.randint(1, 9), rng.randint(1, 99_999)
            days = rng.randint(1, 400)
            data = order(shop, days_ago=days)
            due = NOW.date() + dt.timedelta(days=rng.randint(-60, 60))
            data["order"]["paymentDueOn"] = due.isoformat()
            data["order"]["lines"] = [
                {"product": shop["cnc"], "quantity": str(qty), "unitPrice": f"{price / 100:.2f}"}
            ]
            rec = saved(owner, data)
            model["orders"][rec["id"]] = {
                "at": NOW - dt.timedelta(days=days), "cents": qty * price, "units": qty,
                "paid": 0, "voided": False,
                "due": dt.date.fromisoformat(data["order"]["paymentDueOn"]),
            }  # fmt: skip
        elif op == "pay" and model["orders"]:
            oid, o = rng.choice(sorted(model["orders"].items()))
            left = o["cents"] - o["paid"]
            if o["voided"] or left <= 0:
                continue
            amount = rng.randint(1, left)
            pay = {"order": oid, "amount": f"{amount / 100:.2f}", "currency": "CNY"}
            saved(owner, {"customer": shop["customer"], "occurredAt": at(0.1), "payment": pay})
            o["paid"] += amount
        elif op == "void" and model["ids"]:
            rid = rng.choice(sorted(model["ids"]))
            kind = model["ids"].pop(rid)
            response = owner(VOID, {"input": {"id": rid, "reason": f"step {step}"}})
            assert response.data["voidRecord"]["errors"] == []
            if kind == "order":
                model["orders"][rid]["voided"] = True
            elif kind == "talk":
                for fid, status in model["followUps"].items():
                    if fid.startswith(rid) and status == "OPEN":
                        model["followUps"][fid] = "CANCELLED"
        elif op == "talk":
            step_due = (NOW + dt.timedelta(days=rng.randint(1, 30))).isoformat()
            nxt = {"action": "回访", "dueAt": step_due} if rng.random() < 0.7 else None
            rec = saved(owner, {"customer": shop["customer"], "occurredAt": at(0.5),
                                "interaction": {"channel": "CALL", "nextStep": nxt}})  # fmt: skip
            model["ids"][rec["id"]] = "talk"
            for f in rec["followUps"]:
                model["followUps"][rec["id"] + f["id"]] = "OPEN"
        elif op == "close":
            open_ones = sorted(k for k, s in model["followUps"].items() if s == "OPEN")
            if not open_ones:
                continue
            key = rng.choice(open_ones)
            fid = key[36:]
            assert owner(CLOSE, {"input": {"id": fid}}).data["closeFollowUp"]["errors"] == []
            model["followUps"][key] = "DONE"
        elif op == "survey":
            score = rng.randint(1, 5)
            saved(
                owner,
                {"customer": shop["customer"], "occurredAt": at(1), "survey": {"score": score}},
            )
            model["surveys"].append((score, False))
        if op == "order":
            model["ids"][rec["id"]] = "order"
        want = expected_figures(model)
        got = figures(owner, shop["customer"])
        money = got["purchases"][0] if got["purchases"] else None
        assert (money["orders"] if money else 0) == want["orders"], step
        if money:
            assert [
                (w["orders"], cents_of(w["amount"]), w["quantity"]) for w in money["windows"]
            ] == want["windows"], step
            assert cents_of(money["receivable"]) == want["receivable"], step
            assert cents_of(money["overdue"]) == want["overdue"], step
        assert got["openFollowUps"] == want["openFollowUps"], step
        assert got["meanSatisfaction"] == want["meanSatisfaction"], step


def test_a_timeline_period_needs_offsets_and_an_order(gql: GQL, shop: dict[str, str]) -> None:
    query = """query($party: ID!, $since: DateTime, $until: DateTime) {
      timeline(party: $party, first: 5, since: $since, until: $until) { nodes { id } } }"""
    party = shop["customer"]
    naive = gql(query, {"party": party, "since": "2026-12-01T08:30:00"})
    assert naive.codes() == ["BAD_USER_INPUT"]
    assert naive.errors[0]["extensions"]["field"] == "since"
    backwards = gql(query, {"party": party, "since": at(1), "until": at(2)})
    assert backwards.codes() == ["BAD_USER_INPUT"]
    assert backwards.errors[0]["extensions"]["field"] == "since"
    fine = gql(query, {"party": party, "since": at(2), "until": at(1)})
    assert fine.data["timeline"]["nodes"] == []
    # An offset in seconds (local mean time) is no offset the store or ISO 8601 keeps.
    seconds = gql(query, {"party": party, "since": "2026-12-01T10:00:00+08:00:30"})
    assert seconds.codes() == ["BAD_USER_INPUT"]
    assert seconds.errors[0]["extensions"]["field"] == "since"
    # No kinds is a mistake, not "every kind".
    none = gql(TIMELINE, {"party": party, "first": 5, "group": False, "voided": False,
                          "kinds": []})  # fmt: skip
    assert none.codes() == ["BAD_USER_INPUT"]
    assert none.errors[0]["extensions"]["field"] == "kinds"
    # The same for the follow-ups due before an instant: never a silently empty page.
    due = "query($d: DateTime) { followUps(first: 5, dueBefore: $d) { totalCount } }"
    refused = gql(due, {"d": "2099-01-01T00:00:00"})
    assert refused.codes() == ["BAD_USER_INPUT"]
    assert refused.errors[0]["extensions"]["field"] == "dueBefore"
    zoned = gql(due, {"d": "2099-01-01T00:00:00+08:00"})
    assert (zoned.codes(), type(zoned.data["followUps"]["totalCount"])) == ([], int)


def test_a_day_in_1900_is_kept_in_china_time_with_a_whole_offset(
    gql: GQL, shop: dict[str, str]
) -> None:
    """Before 1901 the time-zone data gives Shanghai local mean time (+08:05:43), which no
    client reads back; the first day of 1900 in China is within the bounds."""
    for sent, read in (
        ("1900-01-01T00:00:00+08:00", "1900-01-01T00:00:00+08:00"),
        ("1900-01-01T12:00:00+08:00", "1900-01-01T12:00:00+08:00"),
    ):
        record = saved(gql, {**order(shop), "occurredAt": sent})
        assert record["occurredAt"] == read
    errors = gql(SAVE, {"input": {**order(shop), "occurredAt": "1899-12-31T23:00:00+08:00"}})
    assert [(e["code"], e["field"]) for e in errors.data["saveRecord"]["errors"]] == [
        ("VALIDATION", "input.occurredAt")
    ]


DELETE = """mutation($i: NodeRefInput!) {
  deleteCompany(input: $i) { deletedId errors { code field message } } }"""


def test_a_customer_with_records_is_not_deleted(gql: GQL, shop: dict[str, str]) -> None:
    """Records are never deleted; deleting their customer would leave them unreachable."""
    kept = saved(gql, {"customer": shop["customer"], "occurredAt": at(1),
                       "interaction": {"channel": "CALL"}})  # fmt: skip
    refused = gql(DELETE, {"i": {"id": shop["customer"]}}).data["deleteCompany"]
    assert refused["deletedId"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("CONFLICT", "input.id")]
    assert "archive" in refused["errors"][0]["message"]
    read = gql("query($id: ID!) { record(id: $id) { id } }", {"id": kept["id"]})
    assert read.data["record"] == {"id": kept["id"]}
    # Without records it goes, as before.
    gone = gql(DELETE, {"i": {"id": shop["west"]}}).data["deleteCompany"]
    assert gone == {"deletedId": shop["west"], "errors": []}


def test_a_record_saved_while_its_customer_is_deleted_is_not_found(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    """The delete holds the customer; the save waits for it, then finds it gone: NOT_FOUND,
    as for any missing customer, not "give the party a customer profile first"."""
    customer = shop["west"]
    holding, release = threading.Event(), threading.Event()

    def delete() -> None:
        with cypher.session(database="neo4j") as s, s.begin_transaction() as tx:
            tx.run("MATCH (c:Company {id: $id}) DETACH DELETE c", id=customer).consume()
            holding.set()
            release.wait(30)
            tx.commit()

    deleter = threading.Thread(target=delete)
    deleter.start()
    assert holding.wait(30)
    threading.Timer(1.0, release.set).start()  # the save below waits on the lock meanwhile
    try:
        r = gql(SAVE, {"input": {"customer": customer, "occurredAt": at(1),
                                 "interaction": {"channel": "CALL"}}})  # fmt: skip
    finally:
        release.set()
        deleter.join(30)
    assert [(e["code"], e["field"]) for e in r.data["saveRecord"]["errors"]] == [
        ("NOT_FOUND", "input.customer")
    ]
    assert records_stored(cypher) == 0


def test_a_customer_with_records_keeps_the_customer_role(
    gql: GQL, cypher: Driver, shop: dict[str, str]
) -> None:
    """Records are visible where their customer is, and a company that is no customer is
    everyone's: dropping the role would show the account's orders to every rep."""
    saved(gql, {"customer": shop["customer"], "occurredAt": at(1),
                "interaction": {"channel": "CALL"}})  # fmt: skip
    owner = gql.as_("owner")
    update = """mutation($i: UpdateCompanyInput!) {
      updateCompany(input: $i) { company { id } errors { code field message } } }"""
    refused = owner(update, {"i": {"id": shop["customer"], "expectedVersion": 1, "customer": None}})
    payload = refused.data["updateCompany"]
    assert payload["company"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", "input.customer")]
    cypher.execute_query(
        "MATCH (c:Company {id: $id}) SET c.externalSource = 'erp', c.externalId = 'K-1'",
        id=shop["customer"],
    )
    upsert = """mutation($i: UpsertCompanyInput!) {
      upsertCompany(input: $i) { company { id } errors { code field } } }"""
    by_key = gql(upsert, {"i": {"externalSource": "erp", "externalId": "K-1", "name": "华东机械",
                                "customer": None}})  # fmt: skip
    assert by_key.data["upsertCompany"]["errors"] == [
        {"code": "CONFLICT", "field": "input.customer"}
    ]
    # A rep's upsert with a name (a change for review) goes the review path: refused alike.
    by_rep = owner(upsert, {"i": {"externalSource": "erp", "externalId": "K-1",
                                  "name": "华东机械有限公司", "customer": None}})  # fmt: skip
    assert by_rep.data["upsertCompany"]["errors"] == [
        {"code": "CONFLICT", "field": "input.customer"}
    ]
    still = cypher.execute_query(
        "MATCH (c:Company:Customer {id: $id}) RETURN c.version AS v", id=shop["customer"]
    ).records
    assert [r["v"] for r in still] == [1]
    west = gql.as_("other_team")("query($id: ID!) { company(id: $id) { id } }",
                                 {"id": shop["customer"]})  # fmt: skip
    assert west.data["company"] is None
    # A customer without records may still stop being one.
    ok = gql(update, {"i": {"id": shop["west"], "expectedVersion": 1, "customer": None}})
    assert ok.data["updateCompany"]["errors"] == []


def test_approving_a_filed_role_removal_after_records_came_is_refused(
    gql: GQL, cypher: Driver, shop: dict[str, str]
) -> None:
    """A customer's own request to stop being one, filed before any record, is checked again
    when approved: records saved meanwhile keep the role."""
    update = """mutation($i: UpdateCompanyInput!) {
      updateCompany(input: $i) { changeRequests { id status } errors { code field } } }"""
    filed = gql.as_("owner")(update, {"i": {"id": shop["customer"], "expectedVersion": 1,
                                            "customer": None, "requestedBy": "CUSTOMER",
                                            "changeReason": "客户来函"}})  # fmt: skip
    payload = filed.data["updateCompany"]
    assert payload["errors"] == []
    [request] = payload["changeRequests"]
    saved(gql, {"customer": shop["customer"], "occurredAt": at(1),
                "interaction": {"channel": "CALL"}})  # fmt: skip
    approve = """mutation($i: ChangeRequestDecisionInput!) {
      approveChangeRequest(input: $i) {
        changeRequest { status } errors { code field message } } }"""
    out = gql.as_("manager_above")(approve, {"i": {"id": request["id"]}}).data
    [error] = out["approveChangeRequest"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "input.id")
    assert "has records" in error["message"]
    role = cypher.execute_query(
        "MATCH (c:Company {id: $id}) MATCH (r:ChangeRequest {id: $request}) "
        "RETURN c:Customer AS customer, r.status AS status",
        id=shop["customer"],
        request=request["id"],
    ).records[0]
    assert (role["customer"], role["status"]) == (True, "PENDING")


def test_an_order_with_payments_keeps_their_currency(gql: GQL, shop: dict[str, str]) -> None:
    """A payment is in its order's currency: replacing the order in another currency would
    leave the payments in the old one, still netted off the new receivable."""
    owner = gql.as_("owner")
    o = saved(owner, order(shop, days_ago=10))
    pay = {"customer": shop["customer"], "occurredAt": at(1),
           "payment": {"order": o["id"], "amount": "300349.97", "currency": "CNY"}}  # fmt: skip
    paid = saved(owner, pay)
    usd = order(shop, days_ago=10, id=o["id"], expectedVersion=1)
    usd["order"] = {**usd["order"], "currency": "USD"}
    refused = owner(SAVE, {"input": usd}).data["saveRecord"]
    assert refused["record"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("VALIDATION", "input.order.currency")
    ]
    assert "CNY" in refused["errors"][0]["message"]
    [money] = figures(owner, shop["customer"])["purchases"]
    assert (money["currency"], money["receivable"]) == ("CNY", "0")
    # The same currency replaces as before; with the payment voided, so does another.
    assert saved(owner, order(shop, days_ago=9, id=o["id"], expectedVersion=1))["version"] == 2
    voided = owner(VOID, {"input": {"id": paid["id"], "reason": "录入错误"}})
    assert voided.data["voidRecord"]["errors"] == []
    usd["expectedVersion"] = 2
    assert saved(owner, usd)["currency"] == "USD"


def test_an_order_is_in_real_money(gql: GQL, shop: dict[str, str]) -> None:
    """ISO 4217's XXX (no currency) and XTS (testing) are refused, as sales plans refuse
    them."""
    for code in ("XXX", "xts"):
        data = order(shop)
        data["order"] = {**data["order"], "currency": code}
        refused = gql(SAVE, {"input": data}).data["saveRecord"]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("VALIDATION", "input.order.currency")
        ], code


def test_a_payment_dated_ahead_is_not_received_yet(gql: GQL, shop: dict[str, str]) -> None:
    """Figures are up to now: as an order dated ahead is not a purchase yet, a payment dated
    ahead has not reduced the receivable yet."""
    owner = gql.as_("owner")
    o = saved(owner, order(shop, days_ago=10))
    for days_ago, amount in ((-30, "300000"), (1, "300")):
        payment = {"order": o["id"], "amount": amount, "currency": "CNY"}
        saved(owner, {"customer": shop["customer"], "occurredAt": at(days_ago), "payment": payment})
    [money] = figures(owner, shop["customer"])["purchases"]
    assert (money["receivable"], money["overdue"]) == ("300049.97", "300049.97")
    assert money["overpaid"] == "0"
    # Paid beyond the amount: no receivable, and the credit is shown, not lost.
    payment = {"order": o["id"], "amount": "300100", "currency": "CNY"}
    saved(owner, {"customer": shop["customer"], "occurredAt": at(0.5), "payment": payment})
    [money] = figures(owner, shop["customer"])["purchases"]
    assert (money["receivable"], money["overdue"], money["overpaid"]) == ("0", "0", "50.03")


def test_a_closed_next_step_is_not_changed_in_silence(gql: GQL, shop: dict[str, str]) -> None:
    """A record's follow-up keeps its id across saves and changes only while open: a new
    next step on a record whose follow-up is closed is refused, not dropped."""
    owner = gql.as_("owner")
    due = (NOW + dt.timedelta(days=7)).isoformat()
    step_in = {"action": "发报价", "dueAt": due}
    call = {"customer": shop["customer"], "occurredAt": at(1), "subject": "电话",
            "interaction": {"channel": "CALL", "nextStep": step_in}}  # fmt: skip
    first = saved(owner, call)
    [step] = first["followUps"]
    closed = owner(CLOSE, {"input": {"id": step["id"], "outcome": "已发送"}})
    assert closed.data["closeFollowUp"]["errors"] == []
    later = (NOW + dt.timedelta(days=9)).isoformat()
    step_v2 = {"action": "发报价v2", "dueAt": later}
    changed = {**call, "id": first["id"], "expectedVersion": 1,
               "interaction": {"channel": "CALL", "nextStep": step_v2}}  # fmt: skip
    refused = owner(SAVE, {"input": changed}).data["saveRecord"]
    assert refused["record"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("VALIDATION", "input.interaction.nextStep")
    ]
    # The same next step with other content is saved, the follow-up left closed.
    kept = saved(owner, {**call, "id": first["id"], "expectedVersion": 1, "subject": "电话沟通"})
    assert [(f["status"], f["action"]) for f in kept["followUps"]] == [("DONE", "发报价")]


def test_every_problem_of_a_record_is_reported_at_once(gql: GQL, shop: dict[str, str]) -> None:
    """Bad values and unknown ids together: one answer names them all, nothing is written."""
    owner = gql.as_("owner")
    nobody = "00000000-0000-4000-8000-00000000dead"
    data = order(shop, contacts=[nobody])
    data["order"]["lines"] = [
        {"product": shop["cnc"], "quantity": "-1", "unitPrice": "10"},
        {"product": nobody, "quantity": "1", "unitPrice": "10"},
    ]
    r = owner(SAVE, {"input": data}).data["saveRecord"]
    assert r["record"] is None
    assert sorted((e["code"], e["field"]) for e in r["errors"]) == [
        ("NOT_FOUND", "input.contacts[0]"),
        ("NOT_FOUND", "input.order.lines[1].product"),
        ("VALIDATION", "input.order.lines[0].quantity"),
    ]
    # Valid values, two unknown references: both, not the first alone.
    fine = order(shop, contacts=[nobody])
    fine["order"]["lines"][1]["product"] = nobody
    r = owner(SAVE, {"input": fine}).data["saveRecord"]
    assert sorted((e["code"], e["field"]) for e in r["errors"]) == [
        ("NOT_FOUND", "input.contacts[0]"),
        ("NOT_FOUND", "input.order.lines[1].product"),
    ]
    # A payment with a bad amount against an order that is not there.
    pay = {"customer": shop["customer"], "occurredAt": at(1),
           "payment": {"order": nobody, "amount": "-5", "currency": "CNY"}}  # fmt: skip
    r = owner(SAVE, {"input": pay}).data["saveRecord"]
    assert sorted((e["code"], e["field"]) for e in r["errors"]) == [
        ("NOT_FOUND", "input.payment.order"),
        ("VALIDATION", "input.payment.amount"),
    ]


def test_cents_refuses_what_the_decimal_context_cannot_hold() -> None:
    """An import's amounts come as text, past the API's Decimal scalar: 1e999999999 × 100
    overflows the context and 1e-999999999 × 100 underflows to a zero that looked whole."""
    from decimal import Decimal

    from resolvers import validation as v
    from resolvers.records import cents

    for text, kept, message in (
        ("1e999999999", None, "must be below 10^13"),
        ("1e-999999999", None, "at most two decimal places"),
        ("0.001", None, "at most two decimal places"),
        ("12.30", 1230, None),
        ("0", 0, None),
        ("-1", None, "must be zero or more and below 10^13"),  # tester BM: zero passes
    ):
        errors = v.Errors()
        assert cents(errors, Decimal(text), "p", positive=False) == kept, text
        assert [e["message"] for e in errors] == ([message] if message else []), text


def test_one_instant_at_any_offset_is_one_instant(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    """An outside test: Neo4j orders equal instants at different offsets apart, so `since`
    at 01:00+08:00 missed a record saved at 17:00Z the evening before, `dueBefore` counted a
    follow-up due at that very instant, and the same order sent again in UTC was a change
    (a new version and audit event on every ERP sync). Instants are stored at the business
    zone's offset now, whatever offset the client sent."""
    owner = gql.as_("owner")
    data = {**order(shop, externalSource="erp", externalId="SO-Z"),
            "occurredAt": "2026-11-19T17:00:00Z"}  # fmt: skip
    first = owner(SAVE, {"input": data}).data["saveRecord"]
    assert first["record"]["occurredAt"] == "2026-11-20T01:00:00+08:00"
    for same in ("2026-11-20T01:00:00+08:00", "2026-11-19T12:00:00-05:00", "2026-11-19T17:00Z"):
        again = owner(SAVE, {"input": {**data, "occurredAt": same}}).data["saveRecord"]
        assert (again["created"], again["changed"], again["record"]["version"]) == (
            False,
            False,
            1,
        ), same
    stored = cypher.execute_query(
        "MATCH (r:Record {id: $id}) RETURN toString(r.occurredAt) AS at", id=first["record"]["id"]
    ).records
    assert stored[0]["at"] == "2026-11-20T01:00:00+08:00"

    period = """query($party: ID!, $since: DateTime, $until: DateTime) {
      timeline(party: $party, first: 5, since: $since, until: $until) { totalCount } }"""

    def count(since: str, until: str) -> int:
        r = owner(period, {"party": shop["customer"], "since": since, "until": until})
        return int(r.data["timeline"]["totalCount"])

    for instant, hour_before, hour_after in (
        ("2026-11-20T01:00:00+08:00", "2026-11-20T00:00:00+08:00", "2026-11-20T02:00:00+08:00"),
        ("2026-11-19T17:00:00Z", "2026-11-19T16:00:00Z", "2026-11-19T18:00:00Z"),
        ("2026-11-19T12:00:00-05:00", "2026-11-19T11:00:00-05:00", "2026-11-19T13:00:00-05:00"),
    ):
        assert count(instant, hour_after) == 1, instant  # `since` includes the instant
        assert count(hour_before, instant) == 0, instant  # `until` leaves it out

    saved(owner, {
        "customer": shop["customer"], "occurredAt": at(0.5),
        "interaction": {"channel": "CALL", "nextStep": {"action": "回访",
                                                        "dueAt": "2027-12-04T16:00:00Z"}},
    })  # fmt: skip
    due = """query($c: ID!, $d: DateTime) {
      followUps(first: 5, customer: $c, dueBefore: $d) { totalCount } }"""
    for before, n in (
        ("2027-12-05T00:00:00+08:00", 0),
        ("2027-12-04T16:00:00Z", 0),
        ("2027-12-04T11:00:00-05:00", 0),
        ("2027-12-05T00:00:01+08:00", 1),
    ):
        r = owner(due, {"c": shop["customer"], "d": before})
        assert r.data["followUps"]["totalCount"] == n, before


def test_a_save_keeps_the_contacts_its_author_cannot_see(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    """Tester AL: an admin put the owner's contact 李工 on a west customer's visit; the west
    rep, shown no contacts, corrected the subject, and the link to 李工 was gone."""
    visit = {
        "customer": shop["west"],
        "occurredAt": at(1),
        "subject": "联合拜访",
        "contacts": [shop["contact"]],
        "interaction": {"channel": "MEETING"},
    }
    made = saved(gql, visit)
    west = gql.as_("other_team")
    shown = west("query($id: ID!) { record(id: $id) { contacts { id } } }", {"id": made["id"]})
    assert shown.data["record"] == {"contacts": []}
    fix = {**visit, "id": made["id"], "expectedVersion": 1, "subject": "联合拜访(更正)"}
    del fix["contacts"]
    edited = saved(west, fix)
    assert (edited["subject"], edited["contacts"]) == ("联合拜访(更正)", [])
    kept = cypher.execute_query(
        "MATCH (:Record {id: $id})-[:INVOLVES]->(p:Person) RETURN p.id AS id", id=made["id"]
    ).records
    assert [r["id"] for r in kept] == [shop["contact"]]
    # Its author, who sees 李工, still removes the link by leaving him out.
    saved(gql, {**fix, "expectedVersion": 2})
    assert not cypher.execute_query(
        "MATCH (:Record {id: $id})-[:INVOLVES]->(p) RETURN p", id=made["id"]
    ).records


def test_a_group_timeline_does_not_pass_a_company_the_viewer_cannot_see(
    gql: GQL, shop: dict[str, str], cypher: Driver
) -> None:
    """Tester AL: the west rep's group timeline listed the records of a west subsidiary
    reached only through the owner's company, which the rep's group map leaves out."""
    below = cypher.execute_query(
        "MATCH (w:User {id: $west}), (x:Company {id: $x}), (c:Company {id: $c}) "
        "CREATE (c)-[:SUBSIDIARY_OF]->(x) "
        "CREATE (w)-[:OWNS]->(b:Company:Customer {id: randomUUID(), name: '西部孙公司', "
        "  version: 1})-[:SUBSIDIARY_OF]->(c) RETURN b.id AS id",
        west=WEST_REP,
        x=shop["west"],
        c=shop["customer"],
    ).records[0]["id"]
    west = gql.as_("other_team")
    visit = {"customer": below, "occurredAt": at(2), "interaction": {"channel": "CALL"}}
    made = saved(west, visit)
    variables = {"party": shop["west"], "first": 10, "group": True, "voided": False}
    assert west(TIMELINE, variables).data["timeline"]["nodes"] == []
    # The admin sees the company between, and so the record.
    nodes = gql(TIMELINE, variables).data["timeline"]["nodes"]
    assert [n["id"] for n in nodes] == [made["id"]]


def test_the_average_price_rounds_half_up_as_line_amounts_do() -> None:
    # Tester BP: 100.25 over 2 units read 50.12 (round() rounds half to even).
    from decimal import Decimal

    from resolvers.records import _average

    assert _average(10025, 2.0) == Decimal("50.13")
    assert _average(36500050, 4.0) == Decimal("91250.13")
    assert _average(30034997, 5.5) == Decimal("54609.09")
    assert _average(1000, 0.333) == Decimal("30.03")
