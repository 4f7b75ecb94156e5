"""Sales plans against actuals through the API, on hand-built orders with known answers.

March 2030 (China time). Teams HQ > EAST, WEST (conftest). Customers: A and C of the owner
(EAST), B of the west rep. Orders, CNY:
- o1 A, 5 Mar, owner, P1 100,000;
- o2 A, 20 Mar, owner + mate (EAST), P1 20,000 + P2 30,000;
- o3 B, 10 Mar, west rep, P2 40,000;
- o4 A, 12 Mar, owner, P1 999,999, voided;
- o5 C, 28 Feb 23:30 +08:00, owner, P2 7,000 (February in China, though 1 March in no zone);
- o6 C, 31 Mar 23:30 +08:00, owner, P2 10,000 (March, though 31 Mar 15:30 UTC);
- o7 A, 1 Apr 00:30 +08:00, owner, P1 8,000 (April, though 31 Mar UTC);
- o8 A, 8 Mar, west rep, P2 4,000 (a WEST rep on an EAST customer).
Plans (saved through savePlans): users owner 200,000, mate 50,000, west rep 100,000; team
WEST 80,000 (its own, over its member's 100,000); customers A 150,000, B 50,000; product P1
200,000.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, TEAMS

NS = uuid.UUID("9a3c1e5b-4d2f-4a6b-8c7d-1e2f3a4b5c6d")
OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]
HQ, EAST, WEST = (TEAMS[c][0] for c in ("HQ", "EAST", "WEST"))
END = "2030-04-05T00:00:00+08:00"  # after March: FINAL figures
MID = "2030-03-15T00:00:00+08:00"


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


MATE, A, B, C, P1, P2 = (fid(x) for x in ("mate", "A", "B", "C", "P1", "P2"))

BUILD = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
CREATE (mate:User {id: $mate, name: '同事 Mate', roles: ['SALES'], team: 'EAST', version: 1})
CREATE (o)-[:OWNS]->(a:Company:Customer {id: $a, name: '甲客户', version: 1})
CREATE (w)-[:OWNS]->(b:Company:Customer {id: $b, name: '乙客户', version: 1})
CREATE (o)-[:OWNS]->(c:Company:Customer {id: $c, name: '丙客户', version: 1})
CREATE (:Product {id: $p1, sku: 'PL-1', name: '计划产品一', version: 1})
CREATE (:Product {id: $p2, sku: 'PL-2', name: '计划产品二', version: 1})
WITH *
UNWIND $orders AS x
MATCH (acc:Company {id: x.customer})
CREATE (r:Record:Order {id: x.id, kind: 'Order', version: 1, occurredAt: datetime(x.at),
        currency: 'CNY', amountCents: reduce(s = 0, l IN x.lines | s + l.cents),
        voidedAt: CASE WHEN x.voided THEN datetime() END})-[:ABOUT]->(acc)
WITH r, x
CALL (r, x) { UNWIND x.staff AS s MATCH (u:User {id: s}) CREATE (r)-[:STAFFED_BY]->(u) }
CALL (r, x) { UNWIND range(0, size(x.lines) - 1) AS i MATCH (p:Product {id: x.lines[i].product})
  CREATE (r)-[:LINE {position: i + 1, quantity: 1.0, unitPriceCents: x.lines[i].cents,
                     amountCents: x.lines[i].cents}]->(p) }
"""
PROJECTS = """
MATCH (o:User {id: $owner}), (a:Company {id: $a})
UNWIND $projects AS x
CREATE (p:Project {id: x.id, name: x.id, version: 1, status: x.status, stage: x.stage,
        amount: x.amount, currency: 'CNY', expectedClose: date(x.close),
        winProbability: x.override})-[:FOR]->(a)
CREATE (o)-[:ON_TEAM {role: 'LEAD'}]->(p)
"""


def _order(
    name: str, customer: str, at: str, staff: list[str], lines: list[tuple[str, int]],
    voided: bool = False,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": fid(name),
        "customer": customer,
        "at": at,
        "staff": staff,
        "lines": [{"product": p, "cents": yuan * 100} for p, yuan in lines],
        "voided": voided,
    }


ORDERS = [
    _order("o1", A, "2030-03-05T10:00:00+08:00", [OWNER], [(P1, 100_000)]),
    _order("o2", A, "2030-03-20T10:00:00+08:00", [OWNER, MATE], [(P1, 20_000), (P2, 30_000)]),
    _order("o3", B, "2030-03-10T10:00:00+08:00", [WEST_REP], [(P2, 40_000)]),
    _order("o4", A, "2030-03-12T10:00:00+08:00", [OWNER], [(P1, 999_999)], voided=True),
    _order("o5", C, "2030-02-28T23:30:00+08:00", [OWNER], [(P2, 7_000)]),
    _order("o6", C, "2030-03-31T23:30:00+08:00", [OWNER], [(P2, 10_000)]),
    _order("o7", A, "2030-04-01T00:30:00+08:00", [OWNER], [(P1, 8_000)]),
    _order("o8", A, "2030-03-08T10:00:00+08:00", [WEST_REP], [(P2, 4_000)]),
]

SAVE = """mutation($input: SavePlansInput!) { savePlans(input: $input) {
  changed errors { code field message } plans { id period dimension targetId currency amount
  version } } }"""
TABLE = """query($period: String!, $dimension: PlanDimension!, $asOf: DateTime, $ids: [ID!],
  $team: ID) { planVsActual(period: $period, dimension: $dimension, asOf: $asOf, ids: $ids,
  team: $team) { period elapsedShare rows { targetId currency plan planSource planVersion
  actual orders percentage gap pipeline forecast forecastMethod
  customer { ... on Company { name } } product { sku } user { id } team { code } } } }"""


def plan(dimension: str, target: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "period": "2030-03",
        "dimension": dimension,
        "target": target,
        "currency": "CNY",
        "amount": amount,
        **extra,
    }


PLANS = [
    plan("USER", OWNER, "200000"),
    plan("USER", MATE, "50000"),
    plan("USER", WEST_REP, "100000"),
    plan("TEAM", WEST, "80000"),
    plan("CUSTOMER", A, "150000"),
    plan("CUSTOMER", B, "50000"),
    plan("PRODUCT", P1, "200000"),
]


@pytest.fixture
def sales(cypher: Driver, gql: GQL) -> None:
    cypher.execute_query(
        BUILD, owner=OWNER, west=WEST_REP, mate=MATE, a=A, b=B, c=C, p1=P1, p2=P2, orders=ORDERS
    )
    saved = gql(SAVE, {"input": {"plans": PLANS}}).data["savePlans"]
    assert saved["errors"] == []
    assert saved["changed"] == len(PLANS)


def table(gql: GQL, dimension: str, as_of: str = END, **args: Any) -> dict[str, dict[str, Any]]:
    result = gql(TABLE, {"period": "2030-03", "dimension": dimension, "asOf": as_of, **args})
    return {r["targetId"]: r for r in result.data["planVsActual"]["rows"]}


def test_user_rows_credit_each_staff_member_in_full(sales: None, gql: GQL) -> None:
    rows = table(gql, "USER")
    assert set(rows) == {OWNER, MATE, WEST_REP}
    owner = rows[OWNER]
    # o1 + o2 + o6; o4 is voided, o5 is February and o7 April in China time.
    assert (owner["plan"], owner["actual"], owner["orders"]) == ("200000", "160000", 3)
    assert (owner["percentage"], owner["gap"], owner["planSource"]) == (80.0, "40000", "SET")
    assert (owner["forecast"], owner["forecastMethod"]) == ("160000", "FINAL")
    assert owner["planVersion"] == 1
    # o2 counts in full for the mate too.
    assert (rows[MATE]["actual"], rows[MATE]["percentage"], rows[MATE]["gap"]) == (
        "50000",
        100.0,
        "0",
    )
    assert (rows[WEST_REP]["actual"], rows[WEST_REP]["percentage"]) == ("44000", 44.0)


def test_team_rows_roll_up_unless_set_and_count_each_order_once(sales: None, gql: GQL) -> None:
    rows = table(gql, "TEAM")
    assert set(rows) == {HQ, EAST, WEST}
    east, west, hq = rows[EAST], rows[WEST], rows[HQ]
    # EAST: the owner's and the mate's plans; o1, o2, o6 once each (not 160,000 + 50,000).
    assert (east["plan"], east["planSource"], east["actual"], east["percentage"]) == (
        "250000",
        "ROLLUP",
        "160000",
        64.0,
    )
    assert east["planVersion"] is None
    # WEST's own plan wins over its member's 100,000.
    assert (west["plan"], west["planSource"], west["actual"], west["percentage"]) == (
        "80000",
        "SET",
        "44000",
        55.0,
    )
    assert (hq["plan"], hq["planSource"], hq["actual"], hq["percentage"]) == (
        "330000",
        "ROLLUP",
        "204000",
        61.8,
    )
    assert hq["team"]["code"] == "HQ"


def test_removing_a_team_plan_reverts_it_to_the_rollup(sales: None, gql: GQL) -> None:
    removed = gql(SAVE, {"input": {"plans": [{**plan("TEAM", WEST, "0"), "remove": True}]}})
    assert removed.data["savePlans"]["changed"] == 1
    west = table(gql, "TEAM")[WEST]
    assert (west["plan"], west["planSource"]) == ("100000", "ROLLUP")


def test_customer_and_product_rows(sales: None, gql: GQL) -> None:
    customers = table(gql, "CUSTOMER")
    assert set(customers) == {A, B}
    a = customers[A]
    assert (a["actual"], a["percentage"], a["gap"], a["orders"]) == ("154000", 102.7, "-4000", 3)
    assert a["customer"]["name"] == "甲客户"
    assert (customers[B]["actual"], customers[B]["percentage"]) == ("40000", 80.0)
    products = table(gql, "PRODUCT")
    assert set(products) == {P1}
    assert (products[P1]["actual"], products[P1]["percentage"], products[P1]["orders"]) == (
        "120000",
        60.0,
        2,
    )
    assert products[P1]["product"]["sku"] == "PL-1"


def test_ids_ask_for_rows_without_a_plan(sales: None, gql: GQL) -> None:
    rows = table(gql, "PRODUCT", ids=[P2])
    p2 = rows[P2]
    # o2 30,000 + o3 40,000 + o6 10,000 + o8 4,000.
    assert (p2["plan"], p2["planSource"], p2["actual"], p2["percentage"], p2["gap"]) == (
        None,
        None,
        "84000",
        None,
        None,
    )


def test_as_of_counts_only_what_had_happened(sales: None, gql: GQL) -> None:
    result = gql(TABLE, {"period": "2030-03", "dimension": "USER", "asOf": MID})
    body = result.data["planVsActual"]
    assert body["elapsedShare"] == round(14 / 31, 4)
    owner = {r["targetId"]: r for r in body["rows"]}[OWNER]
    assert (owner["actual"], owner["orders"]) == ("100000", 1)


def test_products_forecast_their_run_rate(sales: None, gql: GQL) -> None:
    p1 = table(gql, "PRODUCT", as_of=MID)[P1]
    # 100,000 in 14 of 31 days.
    assert (p1["actual"], p1["forecastMethod"], p1["forecast"]) == (
        "100000",
        "RUN_RATE",
        "221428.57",
    )
    assert p1["pipeline"] is None


def test_forecasts_add_the_weighted_pipeline_closing_in_the_period(
    sales: None, gql: GQL, cypher: Driver
) -> None:
    projects = [
        # PROPOSAL at 0.5 and an override of 0.2: counted.
        {"id": fid("pr1"), "status": "OPEN", "stage": "PROPOSAL", "amount": 60000.0,
         "close": "2030-03-25", "override": None},
        {"id": fid("pr2"), "status": "OPEN", "stage": "NEGOTIATION", "amount": 10000.0,
         "close": "2030-03-20", "override": 0.2},
        # Still open past its date in March (before asOf): counted, as forecast counts it.
        {"id": fid("pr4"), "status": "OPEN", "stage": "PROPOSAL", "amount": 90000.0,
         "close": "2030-03-10", "override": None},
        # Closing after March, before it, or already won: not counted.
        {"id": fid("pr3"), "status": "OPEN", "stage": "PROPOSAL", "amount": 90000.0,
         "close": "2030-04-10", "override": None},
        {"id": fid("pr6"), "status": "OPEN", "stage": "PROPOSAL", "amount": 90000.0,
         "close": "2030-02-27", "override": None},
        {"id": fid("pr5"), "status": "WON", "stage": "CLOSED", "amount": 90000.0,
         "close": "2030-03-28", "override": None},
    ]  # fmt: skip
    cypher.execute_query(PROJECTS, owner=OWNER, a=A, projects=projects)
    owner = table(gql, "USER", as_of=MID)[OWNER]
    assert (owner["actual"], owner["pipeline"], owner["forecast"], owner["forecastMethod"]) == (
        "100000",
        "77000",
        "177000",
        "PIPELINE",
    )
    # A: o1 and o8 (4,000) by the 15th.
    assert table(gql, "CUSTOMER", as_of=MID)[A]["forecast"] == "181000"
    east = table(gql, "TEAM", as_of=MID)[EAST]
    assert (east["actual"], east["forecast"]) == ("100000", "177000")
    # The mate leads nothing: actual only.
    mate = table(gql, "USER", as_of=MID)[MATE]
    assert (mate["actual"], mate["pipeline"], mate["forecast"]) == ("0", "0", "0")


def test_a_team_argument_lists_its_members_and_sub_teams(sales: None, gql: GQL) -> None:
    assert set(table(gql, "USER", team=EAST)) == {OWNER, MATE}
    assert set(table(gql, "TEAM", team=EAST)) == {EAST}
    assert set(table(gql, "TEAM", team=HQ)) == {HQ, EAST, WEST}
    # A team's code, or no team at all, is named as such, not an empty table.
    for wrong, hint in (("EAST", "give its id"), ("00000000-0000-4000-8000-00000000beef", "")):
        refused = gql(TABLE, {"period": "2030-03", "dimension": "USER", "team": wrong})
        assert refused.codes() == ["NOT_FOUND"]
        assert refused.errors[0]["extensions"]["field"] == "team"
        assert hint in refused.errors[0]["message"]


def test_a_sales_rep_sees_their_team_and_their_customers_only(sales: None, gql: GQL) -> None:
    rep = gql.as_("owner")
    assert set(table(rep, "USER")) == {OWNER, MATE}
    assert set(table(rep, "TEAM")) == {EAST}
    assert set(table(rep, "CUSTOMER")) == {A}
    # Asked for by id, another team's customer is still not there.
    assert table(rep, "CUSTOMER", ids=[B]) == {}
    # P2's actual without B's o3 (another team's customer): o2, o6 and o8.
    assert table(rep, "PRODUCT", ids=[P2])[P2]["actual"] == "44000"


def test_a_manager_counts_only_customers_they_see(sales: None, gql: GQL) -> None:
    manager = gql.as_("manager_west")
    rows = table(manager, "USER")
    assert set(rows) == {WEST_REP}
    # o8 is about A, an EAST customer WEST does not see.
    assert rows[WEST_REP]["actual"] == "40000"
    assert table(manager, "TEAM")[WEST]["actual"] == "40000"
    assert set(table(gql.as_("manager_above"), "TEAM")) == {HQ, EAST, WEST}


def test_saving_the_same_plans_again_writes_nothing(sales: None, gql: GQL, cypher: Driver) -> None:
    events = "MATCH (e:AuditEvent {action: 'plans.save'}) RETURN count(e) AS n"
    before = cypher.execute_query(events).records[0]["n"]
    assert before == len(PLANS)
    again = gql(SAVE, {"input": {"plans": PLANS}}).data["savePlans"]
    assert again["changed"] == 0
    assert {p["version"] for p in again["plans"]} == {1}
    assert cypher.execute_query(events).records[0]["n"] == before
    changed = gql(SAVE, {"input": {"plans": [plan("USER", OWNER, "210000.50")]}})
    assert changed.data["savePlans"]["plans"][0]["version"] == 2
    assert changed.data["savePlans"]["plans"][0]["amount"] == "210000.5"


def test_a_stale_version_is_a_conflict_and_nothing_is_written(
    sales: None, gql: GQL, cypher: Driver
) -> None:
    rows = [plan("USER", MATE, "1", expectedVersion=1), plan("USER", OWNER, "1", expectedVersion=7)]
    result = gql(SAVE, {"input": {"plans": rows}}).data["savePlans"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("CONFLICT", "input.plans[1].expectedVersion")
    ]
    assert table(gql, "USER")[MATE]["plan"] == "50000"
    fresh = gql(SAVE, {"input": {"plans": [plan("USER", MATE, "1", period="2030-Q1",
                                                expectedVersion=0)]}})  # fmt: skip
    assert fresh.data["savePlans"]["errors"] == []


def test_bad_rows_are_reported_with_their_paths(sales: None, gql: GQL) -> None:
    rows = [
        {**plan("USER", OWNER, "1"), "period": "2030-13"},
        {**plan("USER", OWNER, "1.234")},
        {**plan("USER", OWNER, "1"), "currency": "XX"},
        plan("USER", MATE, "1"),
        plan("USER", MATE, "2"),
        {**plan("USER", OWNER, "1"), "amount": None},
    ]
    result = gql(SAVE, {"input": {"plans": rows}}).data["savePlans"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("VALIDATION", "input.plans[0].period"),
        ("VALIDATION", "input.plans[1].amount"),
        ("VALIDATION", "input.plans[2].currency"),
        ("VALIDATION", "input.plans[4]"),
        ("VALIDATION", "input.plans[5].amount"),
    ]
    unknown = gql(SAVE, {"input": {"plans": [plan("CUSTOMER", fid("nobody"), "1")]}})
    assert [(e["code"], e["field"]) for e in unknown.data["savePlans"]["errors"]] == [
        ("NOT_FOUND", "input.plans[0].target")
    ]


def test_who_may_plan(sales: None, gql: GQL) -> None:
    def codes(persona: str, rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
        result = gql.as_(persona)(SAVE, {"input": {"plans": rows}}).data["savePlans"]
        return [(e["code"], e["field"]) for e in result["errors"]]

    assert codes("owner", [plan("USER", OWNER, "1")]) == [("FORBIDDEN", None)]
    assert codes("analyst", [plan("USER", OWNER, "1")]) == [("FORBIDDEN", None)]
    # The WEST manager plans WEST's people and team, not EAST's, nor products.
    assert codes("manager_west", [plan("USER", WEST_REP, "1"), plan("TEAM", WEST, "1")]) == []
    assert codes("manager_west", [plan("USER", OWNER, "1")]) == [
        ("FORBIDDEN", "input.plans[0].target")
    ]
    assert codes("manager_west", [plan("TEAM", EAST, "1")]) == [
        ("FORBIDDEN", "input.plans[0].target")
    ]
    assert codes("manager_west", [plan("PRODUCT", P1, "1")]) == [
        ("FORBIDDEN", "input.plans[0].target")
    ]
    # A customer the WEST manager cannot see is not found; one they edit, planned.
    assert codes("manager_west", [plan("CUSTOMER", A, "1")]) == [
        ("NOT_FOUND", "input.plans[0].target")
    ]
    assert codes("manager_west", [plan("CUSTOMER", B, "1")]) == []
    assert codes("manager_above", [plan("USER", OWNER, "1"), plan("CUSTOMER", A, "1")]) == []


def test_a_user_plan_is_for_someone_who_sells(sales: None, gql: GQL, cypher: Driver) -> None:
    """An ANALYST never sells and an archived user no longer does: no new plan for them (it
    would fill a team's rollup with targets nobody works to). A stored one may be removed."""

    def codes(rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
        result = gql(SAVE, {"input": {"plans": rows}}).data["savePlans"]
        return [(e["code"], e["field"]) for e in result["errors"]]

    assert codes([plan("USER", PERSONAS["analyst"]["id"], "1")]) == [
        ("VALIDATION", "input.plans[0].target")
    ]
    assert codes([plan("USER", OWNER, "1")]) == []
    cypher.execute_query("MATCH (u:User {id: $id}) SET u.archivedAt = datetime()", id=OWNER)
    assert codes([plan("USER", OWNER, "2")]) == [("VALIDATION", "input.plans[0].target")]
    removal = {k: x for k, x in plan("USER", OWNER, "1").items() if k != "amount"}
    assert codes([{**removal, "remove": True}]) == []


def test_bad_arguments(gql: GQL) -> None:
    bad = gql(TABLE, {"period": "March", "dimension": "USER"})
    assert bad.codes() == ["BAD_USER_INPUT"]
    team = gql(TABLE, {"period": "2030-03", "dimension": "CUSTOMER", "team": EAST})
    assert team.codes() == ["BAD_USER_INPUT"]


def test_a_stored_amount_out_of_range_leaves_the_table_working(
    sales: None, gql: GQL, cypher: Driver
) -> None:
    # An import (or the API before it capped project amounts) may have stored such amounts:
    # weighting them overflowed (OverflowError) and the whole table failed as INTERNAL.
    projects = [
        {"id": fid(f"huge{i}"), "status": "OPEN", "stage": "PROPOSAL", "amount": amount,
         "close": "2030-03-25", "override": None}
        for i, amount in enumerate((1e300, 1.7e308, float("inf"), float("nan"), -5.0))
    ] + [{"id": fid("fine"), "status": "OPEN", "stage": "PROPOSAL", "amount": 60000.0,
          "close": "2030-03-25", "override": None}]  # fmt: skip
    cypher.execute_query(PROJECTS, owner=OWNER, a=A, projects=projects)
    for persona in ("admin", "manager_above", "owner"):
        for dimension in ("TEAM", "USER", "CUSTOMER"):
            result = gql.as_(persona)(
                TABLE, {"period": "2030-03", "dimension": dimension, "asOf": MID}
            )
            assert result.errors == [], (persona, dimension, result.errors)
    # Only the amount in range is weighted (PROPOSAL: 0.5).
    assert table(gql, "USER", as_of=MID)[OWNER]["pipeline"] == "30000"


def test_plan_amounts_must_be_numbers_and_currencies_money(sales: None, gql: GQL) -> None:
    rows = [
        plan("USER", OWNER, "NaN"),
        plan("USER", MATE, "Infinity"),
        {**plan("USER", WEST_REP, "1"), "currency": "XXX"},
        {**plan("CUSTOMER", A, "1"), "currency": "ABC"},
    ]
    result = gql(SAVE, {"input": {"plans": rows}}).data["savePlans"]
    assert [(e["field"], e["message"]) for e in result["errors"]] == [
        ("input.plans[0].amount", "must be a number, not NaN or Infinity"),
        ("input.plans[1].amount", "must be a number, not NaN or Infinity"),
        ("input.plans[2].currency", "XXX is ISO 4217's code for no real currency"),
        ("input.plans[3].currency", "not an ISO 4217 currency code, e.g. CNY"),
    ]


def test_a_currency_lists_the_planned_targets_with_that_currencys_figures(
    sales: None, gql: GQL
) -> None:
    """The plans are in CNY: asked in USD, the same people get rows, with no plan and no
    USD orders, as they would with a USD order (it was listed only without the filter)."""
    query = TABLE.replace("$team: ID)", "$team: ID, $currency: String)").replace(
        "team: $team)", "team: $team, currency: $currency)"
    )
    asked = {"period": "2030-03", "dimension": "USER", "asOf": END, "currency": "USD"}
    rows = {r["targetId"]: r for r in gql(query, asked).data["planVsActual"]["rows"]}
    assert set(rows) == {OWNER, MATE, WEST_REP}
    assert {(r["currency"], r["plan"], r["actual"]) for r in rows.values()} == {("USD", None, "0")}
