"""Cross-sell statements straight through graph/ (graph/crosssell.py), on hand-built customers
and orders whose answers are worked out by hand: a steady repeat buyer's cycle and next date,
co-purchase support, confidence and lift on a small basket set, the minimum-support cut,
voided orders, a customer without orders, and group and chain accounts by visibility."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

import pytest

from graph import crosssell
from graph.server import LocalNeo4j
from neo4j import Driver
from tests.conftest import PERSONAS
from tests.graph.reading import as_persona

T = TypeVar("T")
NS = uuid.UUID("3d6f1a52-8b0e-4c7d-9a41-5e2b7c9d0f13")
OWNER = PERSONAS["owner"]["id"]
WEST = PERSONAS["other_team"]["id"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


CUSTOMERS = """
UNWIND $rows AS row
MATCH (u:User {id: row.owner})
CREATE (u)-[:OWNS]->(c:Company:Customer {id: row.id, name: row.name, version: 1})
"""
PRODUCTS = """
UNWIND $rows AS row
CREATE (:Product {id: row.id, sku: row.sku, name: row.name, category: row.category, version: 1})
"""
ORDERS = """
UNWIND $rows AS row
MATCH (c:Customer {id: row.customer})
CREATE (o:Record:Order {id: row.id, kind: 'Order', version: 1, currency: row.currency,
        occurredAt: datetime(row.at), amountCents: 0, voidedAt: datetime(row.voidedAt)})
CREATE (o)-[:ABOUT]->(c)
WITH o, row UNWIND range(0, size(row.lines) - 1) AS i
MATCH (p:Product {id: row.lines[i].product})
CREATE (o)-[:LINE {position: i + 1, quantity: row.lines[i].quantity,
        unitPriceCents: row.lines[i].cents,
        amountCents: row.lines[i].cents * row.lines[i].quantity}]->(p)
"""


def customers(cypher: Driver, *names: str, owner: str = OWNER) -> None:
    rows = [{"id": fid(n), "name": n, "owner": owner} for n in names]
    cypher.execute_query(CUSTOMERS, rows=rows, database_="neo4j")


def products(cypher: Driver, *skus: str, category: str | None = None) -> None:
    rows = [{"id": fid(s), "sku": s, "name": f"产品{s}", "category": category} for s in skus]
    cypher.execute_query(PRODUCTS, rows=rows, database_="neo4j")


def order(
    customer: str,
    days_ago: float,
    *lines: tuple[str, float, int],
    currency: str = "CNY",
    voided: bool = False,
) -> dict[str, Any]:
    key = f"{customer}/{days_ago}/{'+'.join(x[0] for x in lines)}/{currency}/{voided}"
    return {
        "id": fid(key),
        "customer": fid(customer),
        "currency": currency,
        "at": (NOW - dt.timedelta(days=days_ago)).isoformat(),
        "voidedAt": NOW.isoformat() if voided else None,
        "lines": [{"product": fid(p), "quantity": q, "cents": c} for p, q, c in lines],
    }


def orders(cypher: Driver, *rows: dict[str, Any]) -> None:
    cypher.execute_query(ORDERS, rows=list(rows), database_="neo4j")


def prefs(server: LocalNeo4j, name: str, persona: str = "admin") -> crosssell.Preferences | None:
    found = as_persona(server, persona, lambda db, a: crosssell.preferences(db, a, [fid(name)]))
    return found.get(fid(name))


def recs(server: LocalNeo4j, name: str, persona: str = "admin") -> list[crosssell.Recommendation]:
    found = as_persona(server, persona, lambda db, a: crosssell.recommendations(db, a, [fid(name)]))
    return found.get(fid(name), [])


def related(server: LocalNeo4j, sku: str) -> list[crosssell.RelatedProduct]:
    # As ADMIN, who counts every customer: a rep counts the customers they see (the API
    # tests hold that, tests/resolvers/test_crosssell.py).
    return as_persona(server, "admin", lambda db, a: crosssell.related(db, a, fid(sku), 10))


# --- Preferences and cycles -------------------------------------------------------------------
@pytest.fixture
def steady(cypher: Driver, neo4j_server: LocalNeo4j) -> LocalNeo4j:
    """`steady` buys A every 30 days (last 10 days ago) and B with gaps 20, 20, 80 (last 25
    days ago); a voided order of A yesterday; one order in USD. `idle` has no orders."""
    customers(cypher, "steady", "idle")
    products(cypher, "A", "B", category="备件")
    orders(
        cypher,
        *(order("steady", d, ("A", 2, 1000)) for d in (100, 70, 40)),
        order("steady", 10, ("A", 1, 1000), currency="USD"),
        order("steady", 1, ("A", 50, 1000), voided=True),
        *(order("steady", d, ("B", 1, 500)) for d in (145, 65, 45)),
        order("steady", 25, ("B", 1, 500), ("A", 0.5, 1000)),
    )
    return neo4j_server


def test_a_steady_buyer_has_its_cycle_and_next_date(steady: LocalNeo4j) -> None:
    found = prefs(steady, "steady")
    assert found is not None
    by_sku = {p["product"]["sku"]: p for p in found["products"] if p["product"]}
    a = by_sku["A"]
    # Orders 100, 70, 40, 25 (with B) and 10 days ago: gaps 30, 30, 15, 15 -> median 22.5.
    assert a["orders"] == 5
    assert a["cycleDays"] == 22.5
    assert a["meanDaysBetweenOrders"] == 22.5
    assert a["lastOrderAt"] == NOW - dt.timedelta(days=10)
    assert a["nextExpectedAt"] == NOW - dt.timedelta(days=10) + dt.timedelta(days=22.5)
    assert a["repurchase"] == "DUE"  # 12.5 days from now, within 14
    # The voided order of 50 units does not count; the USD order is kept apart.
    assert a["units"] == 2 * 3 + 1 + 0.5
    assert a["amounts"] == [
        {"currency": "CNY", "amountCents": 6000 + 500},
        {"currency": "USD", "amountCents": 1000},
    ]
    b = by_sku["B"]
    # Gaps 80, 20, 20: the median 20 follows the rhythm, the mean 40 the pause.
    assert (b["cycleDays"], b["meanDaysBetweenOrders"]) == (20.0, 40.0)
    assert b["daysUntilExpected"] == -5.0
    assert b["repurchase"] == "OVERDUE"
    [category] = found["categories"]
    assert category["category"] == "备件"
    assert category["orders"] == 8  # distinct orders with any line of the category
    assert (found["orders"], found["ordersExamined"], found["truncated"]) == (8, 8, False)


def test_a_customer_without_orders_has_empty_preferences(steady: LocalNeo4j) -> None:
    found = prefs(steady, "idle")
    assert found is not None
    assert (found["products"], found["categories"], found["orders"]) == ([], [], 0)
    assert recs(steady, "idle") == []


def test_one_order_gives_no_cycle() -> None:
    row = {
        "lines": [
            {"order": "o1", "at": NOW, "currency": "CNY", "product": "p", "quantity": 1.0,
             "amountCents": 100}
        ],
        "products": [{"id": "p", "sku": "P", "name": "P"}],
        "examined": 1,
        "orders": 1,
    }  # fmt: skip
    [p] = crosssell.shape_preferences(row, NOW)["products"]
    assert (p["cycleDays"], p["nextExpectedAt"], p["repurchase"]) == (None, None, "UNKNOWN")


def test_orders_on_one_day_are_one_purchase_for_the_cycle() -> None:
    # Monthly purchases, each split into two orders an hour apart: a 30-day cycle, not 0.
    day = dt.datetime(2026, 8, 1, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai
    lines = [
        {"order": f"o{m}{h}", "at": day + dt.timedelta(days=30 * m, hours=h), "currency": "CNY",
         "product": "p", "quantity": 1.0, "amountCents": 100}
        for m in range(3) for h in (0, 1)
    ]  # fmt: skip
    row = {"lines": lines, "products": [{"id": "p", "sku": "P", "name": "P"}], "orders": 6}
    [p] = crosssell.shape_preferences(row | {"examined": 6}, day)["products"]
    assert (p["orders"], p["orderDays"]) == (6, 3)
    assert (p["cycleDays"], p["meanDaysBetweenOrders"]) == (30.0, 30.0)
    assert p["nextExpectedAt"] == day + dt.timedelta(days=90, hours=1)


def test_an_order_dated_ahead_is_no_purchase_yet(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    customers(cypher, "ahead")
    products(cypher, "F")
    orders(cypher, order("ahead", 10, ("F", 1, 1000)), order("ahead", -30, ("F", 1, 1000)))
    found = prefs(neo4j_server, "ahead")
    assert found is not None
    [p] = found["products"]
    assert (p["orders"], p["cycleDays"], found["orders"]) == (1, None, 1)
    assert p["lastOrderAt"] == NOW - dt.timedelta(days=10)


def test_an_overdue_repurchase_is_recommended_with_its_points(steady: LocalNeo4j) -> None:
    found = recs(steady, "steady")
    by_sku = {r["product"]["sku"]: r for r in found}
    assert [r["product"]["sku"] for r in found] == ["B", "A"]  # overdue 1.0, due 0.75
    [reason] = by_sku["B"]["reasons"]
    assert reason["kind"] == "REPURCHASE_DUE"
    assert reason["points"] == by_sku["B"]["score"] == crosssell.OVERDUE_POINTS
    assert "5 days overdue" in reason["explanation"]
    assert by_sku["A"]["score"] == crosssell.DUE_POINTS


def test_the_newest_orders_only_are_read(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    customers(cypher, "busy")
    products(cypher, "A")
    many = crosssell.MAX_ORDERS + 5
    orders(cypher, *(order("busy", d, ("A", 1, 100)) for d in range(1, many + 1)))
    found = prefs(neo4j_server, "busy")
    assert found is not None
    assert (found["orders"], found["ordersExamined"], found["truncated"]) == (
        many,
        crosssell.MAX_ORDERS,
        True,
    )
    assert found["products"][0]["firstOrderAt"] == NOW - dt.timedelta(days=crosssell.MAX_ORDERS)


# --- Co-purchase ------------------------------------------------------------------------------
def plant_baskets(cypher: Driver) -> None:
    """c1: A B, c2: A B, c3: A B C, c4: A C, c5: B (and a voided A), c6: D.
    Buyers: A 4, B 4, C 2, D 1; six customers with orders. c5 and c6 belong to the west rep.
    Also the API tests' baskets (tests/resolvers/test_crosssell.py)."""
    customers(cypher, "c1", "c2", "c3", "c4")
    customers(cypher, "c5", "c6", owner=WEST)
    products(cypher, "A", "B", "C", "D")
    orders(
        cypher,
        order("c1", 30, ("A", 1, 100), ("B", 1, 100)),
        order("c2", 20, ("A", 1, 100)),
        order("c2", 10, ("B", 1, 100)),
        order("c3", 5, ("A", 1, 100), ("B", 1, 100), ("C", 1, 100)),
        order("c4", 5, ("A", 1, 100), ("C", 1, 100)),
        order("c5", 5, ("B", 1, 100)),
        order("c5", 3, ("A", 1, 100), voided=True),
        order("c6", 5, ("D", 1, 100)),
    )


@pytest.fixture
def baskets(cypher: Driver, neo4j_server: LocalNeo4j) -> LocalNeo4j:
    plant_baskets(cypher)
    return neo4j_server


def test_co_purchase_support_confidence_and_lift(baskets: LocalNeo4j) -> None:
    [b] = related(baskets, "A")
    # A -> B: c1, c2 (in two orders: customers, not baskets), c3; 3 of A's 4 buyers; B has 4
    # buyers among 6 customers: lift 0.75 / (4/6) = 1.125. A -> C (2 customers) is cut.
    assert b["basedOn"]["sku"] == "A"
    assert b["product"]["sku"] == "B"
    assert (b["support"], b["buyersOfProduct"], b["buyersOfRelated"], b["population"]) == (
        3,
        4,
        4,
        6,
    )
    assert (b["confidence"], b["lift"], b["sampled"]) == (0.75, 1.125, False)


def test_pairs_below_the_minimum_support_are_not_reported(
    baskets: LocalNeo4j, cypher: Driver
) -> None:
    assert [r["product"]["sku"] for r in related(baskets, "C")] == []  # C -> A, B: 2 and 1
    assert related(baskets, "D") == []
    assert related(baskets, "no such product") == []
    # A third buyer of A and C lifts the pair over the cut.
    customers(cypher, "c7")
    orders(cypher, order("c7", 2, ("A", 1, 100), ("C", 1, 100)))
    assert [(r["product"]["sku"], r["support"]) for r in related(baskets, "C")] == [("A", 3)]


def test_a_voided_order_makes_no_buyer(baskets: LocalNeo4j) -> None:
    [a] = related(baskets, "B")
    assert (a["product"]["sku"], a["support"], a["buyersOfRelated"]) == ("A", 3, 4)


def test_co_purchase_recommends_what_the_customer_lacks(baskets: LocalNeo4j) -> None:
    [rec] = recs(baskets, "c4", persona="admin")
    assert rec["product"]["sku"] == "B"
    [reason] = rec["reasons"]
    assert reason["kind"] == "CO_PURCHASE"
    assert reason["points"] == rec["score"] == 0.75
    [rule] = reason["rules"]
    assert (rule["basedOn"]["sku"], rule["support"], rule["lift"]) == ("A", 3, 1.125)
    assert "3 of 4 customers who bought 产品A (A)" in reason["explanation"]
    # c1 bought A and B already; nothing related by 3 customers is left to offer.
    assert recs(baskets, "c1", persona="admin") == []
    # The rep counts their own four customers, among whom B is no likelier after A (c5, its
    # fourth buyer, is the west rep's): no co-purchase to offer (tester BQ).
    assert recs(baskets, "c4", persona="owner") == []


# --- Related accounts -------------------------------------------------------------------------
GROUP = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
MATCH (s1:Company {id: $s1}), (s2:Company {id: $s2}), (s3:Company {id: $s3}),
      (x:Company {id: $x}), (old:Company {id: $old})
CREATE (top:Company:Customer {id: $top, name: '集团总部', version: 1})<-[:OWNS]-(o)
CREATE (s1)-[:SUBSIDIARY_OF]->(top), (s2)-[:SUBSIDIARY_OF]->(top), (s3)-[:SUBSIDIARY_OF]->(top)
CREATE (x)-[:SUPPLIES]->(s1)
CREATE (old)-[:PARTNERS_WITH {until: date() - duration('P1D')}]->(s1)
"""


@pytest.fixture
def group(cypher: Driver, neo4j_server: LocalNeo4j) -> LocalNeo4j:
    """s1, s2 and s3 are subsidiaries of one group; s3 belongs to the west rep. x supplies s1;
    old was a partner of s1 until yesterday. s2 buys E, s3 buys F, x buys G and E, old buys
    H; s1 buys A."""
    customers(cypher, "s1", "s2", "x", "old")
    customers(cypher, "s3", owner=WEST)
    products(cypher, "A", "E", "F", "G", "H")
    cypher.execute_query(
        GROUP,
        owner=OWNER,
        west=WEST,
        top=fid("top"),
        **{k: fid(k) for k in ("s1", "s2", "s3", "x", "old")},
        database_="neo4j",
    )
    orders(
        cypher,
        order("s1", 5, ("A", 1, 100)),
        order("s2", 5, ("E", 1, 100)),
        order("s2", 3, ("E", 1, 100)),
        order("s3", 5, ("F", 1, 100)),
        order("x", 5, ("G", 1, 100), ("E", 1, 100)),
        order("old", 5, ("H", 1, 100)),
    )
    return neo4j_server


def test_group_and_chain_accounts_name_what_they_buy(group: LocalNeo4j) -> None:
    found = {r["product"]["sku"]: r for r in recs(group, "s1", persona="admin")}
    assert set(found) == {"E", "F", "G"}  # not H: that partnership ended
    [e] = found["E"]["reasons"]
    assert e["kind"] == "RELATED_ACCOUNTS"
    assert e["accountCount"] == 2
    assert e["points"] == 2 * crosssell.PER_ACCOUNT_POINTS
    # The sibling with two orders first, then the supplier.
    assert [(a["account"]["id"], a["via"], a["orders"]) for a in e["accounts"]] == [
        (fid("s2"), ["GROUP"], 2),
        (fid("x"), ["SUPPLIER"], 1),
    ]
    assert found["F"]["reasons"][0]["accounts"][0]["account"]["id"] == fid("s3")


def test_a_hidden_sibling_is_neither_named_nor_counted(group: LocalNeo4j) -> None:
    found = recs(group, "s1", persona="owner")
    assert {r["product"]["sku"] for r in found} == {"E", "G"}
    assert fid("s3") not in repr(found)
    # The west rep does not see s1 at all.
    assert recs(group, "s1", persona="other_team") == []
    assert prefs(group, "s1", persona="other_team") is None


def test_the_group_reaches_down_from_the_customer_too(group: LocalNeo4j) -> None:
    # From the top of the group, every visible subsidiary counts.
    found = as_persona(group, "owner", lambda db, a: crosssell.recommendations(db, a, [fid("top")]))
    skus = {r["product"]["sku"] for r in found[fid("top")]}
    assert skus == {"A", "E"}


def test_a_person_who_objects_to_profiling_gets_no_recommendations(
    cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    cypher.execute_query(
        "MATCH (u:User {id: $owner}) "
        "CREATE (u)-[:OWNS]->(:Person:Customer {id: $id, name: '李四', version: 1})",
        owner=OWNER,
        id=fid("li"),
    )
    products(cypher, "A")
    orders(cypher, *(order("li", d, ("A", 1, 100)) for d in (100, 70, 40)))
    [due] = recs(neo4j_server, "li", persona="owner")
    assert due["reasons"][0]["kind"] == "REPURCHASE_DUE"  # every 30 days, 10 days overdue
    cypher.execute_query(
        "CREATE (:Consent {id: $cid, personId: $id, purpose: 'PROFILING', granted: false, "
        "at: datetime()})",
        cid=fid("li/consent"),
        id=fid("li"),
    )
    assert recs(neo4j_server, "li", persona="owner") == []
    found = prefs(neo4j_server, "li", persona="owner")  # their own sums stay
    assert found is not None
    assert found["products"][0]["orders"] == 3
    # ... but not the habits read from them and the next order predicted (profiling).
    assert found["products"][0]["cycleDays"] is None
    assert found["products"][0]["nextExpectedAt"] is None
    assert found["products"][0]["repurchase"] == "UNKNOWN"
