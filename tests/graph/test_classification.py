"""Classification (graph/classification.py): the condition language, rule order, and the review
over hand-built customers with known answers, run with the default rules of the migration."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pytest

import migrations
from graph import classification as g
from graph.actor import Actor
from graph.migrate import load
from graph.nodes import Audit
from graph.server import LocalNeo4j
from graph.vocab import Dimension
from neo4j import Driver
from tests.graph.reading import run

T = TypeVar("T")
ADMIN = Audit(Actor("system:test", frozenset({"ADMIN"})), "classification.review", "test")


def rule(
    rule_id: str, dimension: Dimension, key: str, priority: int, *conds: tuple[str, str, Any]
) -> g.Rule:
    checked, problems = g.check_conditions([{"field": f, "op": o, "value": v} for f, o, v in conds])
    assert problems == []
    return g.Rule(rule_id, dimension, key, priority, tuple(checked))


# --- The language, without a database ---------------------------------------------------------
def test_the_first_matching_rule_by_priority_wins_per_dimension() -> None:
    rules = g.ordered(
        [
            rule("late", Dimension.TRADE, "NEW", 20, ("orders", "GTE", 1)),
            rule("early", Dimension.TRADE, "LONG_TERM", 10, ("orders", "GTE", 3)),
            rule("any", Dimension.NATURE, "MANUFACTURER", 5, ("industry", "CONTAINS", "制造")),
        ]
    )
    chosen = g.classify(rules, {"orders": 4, "industry": "机械制造"})
    assert {d: r.id for d, r in chosen.items()} == {"TRADE": "early", "NATURE": "any"}
    chosen = g.classify(rules, {"orders": 1, "industry": "软件"})
    assert {d: r.id for d, r in chosen.items()} == {"TRADE": "late"}
    # Equal priorities: the class key, then the id decides, whatever order they come in.
    tie = g.ordered([rule("b", Dimension.TRADE, "B", 1), rule("a", Dimension.TRADE, "B", 1)])
    assert [r.id for r in tie[Dimension.TRADE]] == ["a", "b"]


def test_missing_values_satisfy_only_is_null() -> None:
    features: dict[str, Any] = {"daysSinceLastOrder": None, "productCategories": []}
    for op, value in (("GT", 1), ("LT", 1), ("NE", 1), ("NOT_IN", [1]), ("EQ", 0)):
        cond = rule("x", Dimension.TRADE, "X", 1, ("daysSinceLastOrder", op, value)).conditions[0]
        assert not g.holds(cond, features), op
    is_null = rule("x", Dimension.TRADE, "X", 1, ("daysSinceLastOrder", "IS_NULL", None))
    assert g.holds(is_null.conditions[0], features)
    empty = rule("x", Dimension.PRODUCT_LINE, "X", 1, ("productCategories", "IS_NULL", None))
    assert g.holds(empty.conditions[0], features)
    has_any = rule("x", Dimension.PRODUCT_LINE, "X", 1, ("productCategories", "HAS_ANY", ["机床"]))
    assert g.holds(has_any.conditions[0], {"productCategories": ["备件", "机床"]})


def test_bad_conditions_are_reported_at_their_index_and_part() -> None:
    _, problems = g.check_conditions(
        [
            {"field": "industry", "op": "EQ", "value": "制造业"},  # fine
            {"field": "industry", "op": "GT", "value": "x"},  # GT on text
            {"field": "tier", "op": "EQ", "value": "GOLD"},  # not a Tier
            {"field": "orders", "op": "IN", "value": 3},  # IN wants a list
            {"field": "orders", "op": "EQ", "value": True},  # a boolean is no number
            {"field": "orders", "op": "IS_NULL", "value": 1},  # IS_NULL takes none
            {"field": "nonsense", "op": "EQ", "value": 1},
            {"field": "productCategories", "op": "HAS", "value": " "},
        ]
    )
    assert [(p.index, p.part) for p in problems] == [
        (1, "op"),
        (2, "value"),
        (3, "value"),
        (4, "value"),
        (5, "value"),
        (6, "field"),
        (7, "value"),
    ]
    _, too_many = g.check_conditions([{"field": "orders", "op": "GTE", "value": 1}] * 21)
    assert [(p.index, p.part) for p in too_many] == [(None, None)]


def test_every_default_rule_of_the_migration_checks() -> None:
    [seed] = [m for m in load(migrations.DIRECTORY) if m.source.endswith("_rules.cypher")]
    text = seed.statements[0]
    # Each default is one line `{id: ..., conditions: '<json>'}`.
    found = [line.split("conditions: '", 1)[1].rsplit("'}", 1)[0] for line in text.splitlines()
             if "conditions: '" in line]  # fmt: skip
    assert len(found) >= 20
    for conditions in found:
        assert g.parse_stored(conditions)
    zh = {
        line.split("nameZh: '")[1].split("'")[0]
        for line in text.splitlines()
        if "nameZh: '" in line
    }
    assert {"长期客户", "新客户", "问题客户", "前客户", "潜在客户"} <= zh
    assert {"个人", "中间商", "制造商", "政府机构"} <= zh


# --- Reviews over hand-built customers --------------------------------------------------------
CUSTOMERS = """
CREATE (steady:Company:Customer {id: 'c-steady', name: '稳定机械', customerKind: 'ENTERPRISE',
        industry: '机械制造', scale: '大型', employeeCount: 2000})
CREATE (fresh:Company:Customer {id: 'c-fresh', name: '新贸易', customerKind: 'ENTERPRISE',
        industry: '批发贸易', scale: '小型'})
CREATE (lapsed:Company:Customer {id: 'c-lapsed', name: '流失软件', customerKind: 'ENTERPRISE',
        industry: '信息技术', employeeCount: 150})
CREATE (troubled:Company:Customer {id: 'c-troubled', name: '问题单位',
        customerKind: 'ENTERPRISE', companyType: '事业单位'})
CREATE (prospect:Person:Customer {id: 'c-prospect', name: '潜在个人', customerKind: 'INDIVIDUAL'})
CREATE (overdue:Company:Customer {id: 'c-overdue', name: '欠款经销', customerKind: 'ENTERPRISE'})
CREATE (overdue)-[:DISTRIBUTES_FOR]->(:Company {id: 'maker', name: '厂家'})
CREATE (:Person:Customer {id: 'c-objector', name: '反对画像', customerKind: 'INDIVIDUAL'})
CREATE (:Consent {id: 'objection', personId: 'c-objector', purpose: 'PROFILING', granted: false,
        at: datetime()})
CREATE (:Company:Customer {id: 'c-archived', name: '归档', customerKind: 'ENTERPRISE',
        industry: '制造业', archivedAt: datetime()})
CREATE (cnc:Product {id: 'p-cnc', sku: 'CNC', name: '机床', category: '机床'})
CREATE (spare:Product {id: 'p-spare', sku: 'SP', name: '备件', category: '备件'})
CREATE (soft:Product {id: 'p-soft', sku: 'SW', name: '软件', category: '软件'})
CREATE (robot:Product {id: 'p-robot', sku: 'RB', name: '机器人', category: '机器人'})
WITH *
UNWIND [['c-steady', 400, 'p-cnc'], ['c-steady', 200, 'p-cnc'], ['c-steady', 10, 'p-cnc'],
        ['c-fresh', 20, 'p-spare'], ['c-lapsed', 500, 'p-soft'], ['c-troubled', 30, 'p-robot'],
        ['c-overdue', 100, null], ['c-archived', 5, 'p-cnc']] AS o
MATCH (c:Customer {id: o[0]})
CREATE (r:Record:Order {id: o[0] + '/' + o[1], kind: 'Order', currency: 'CNY',
        amountCents: 100000, occurredAt: datetime() - duration({days: o[1]}),
        paymentDueOn: CASE WHEN o[0] = 'c-overdue' THEN date() - duration('P10D') END})
        -[:ABOUT]->(c)
WITH r, o, c
CALL (r, o) { MATCH (p:Product {id: o[2]}) CREATE (r)-[:LINE {amountCents: 100000}]->(p) }
CALL (r, c) { WITH r, c WHERE c.id <> 'c-overdue'
  CREATE (:Record:Payment {id: r.id + '/paid', kind: 'Payment', amountCents: 100000,
          currency: 'CNY', occurredAt: r.occurredAt})-[:AGAINST]->(r) }
WITH DISTINCT c WHERE c.id = 'c-troubled'
CREATE (:Record:ServiceCase {id: 'complaint', kind: 'ServiceCase', category: 'COMPLAINT',
        status: 'OPEN', occurredAt: datetime() - duration('P3D')})-[:ABOUT]->(c)
"""
EXPECTED = {
    "c-steady": {
        "TRADE": "LONG_TERM",
        "NATURE": "MANUFACTURER",
        "CHARACTERISTICS": "LARGE",
        "PRODUCT_LINE": "MACHINE_TOOLS",
    },
    "c-fresh": {
        "TRADE": "NEW",
        "NATURE": "INTERMEDIARY",
        "CHARACTERISTICS": "SMALL",
        "PRODUCT_LINE": "AFTERMARKET",
    },
    "c-lapsed": {"TRADE": "FORMER", "CHARACTERISTICS": "MEDIUM", "PRODUCT_LINE": "SOFTWARE"},
    "c-troubled": {"TRADE": "PROBLEM", "NATURE": "GOVERNMENT", "PRODUCT_LINE": "ROBOTICS"},
    "c-prospect": {"TRADE": "POTENTIAL", "NATURE": "INDIVIDUAL", "CHARACTERISTICS": "CONSUMER"},
    "c-overdue": {"TRADE": "PROBLEM", "NATURE": "INTERMEDIARY"},
}


def seed_defaults(cypher: Driver) -> None:
    [seed] = [m for m in load(migrations.DIRECTORY) if m.source.endswith("_rules.cypher")]
    for statement in seed.statements:
        cypher.execute_query(statement, database_="neo4j")


def held(cypher: Driver) -> dict[str, dict[str, str]]:
    rows = cypher.execute_query(
        "MATCH (c:Customer)-[a:CLASSIFIED_AS]->(k:CustomerClass) "
        "RETURN c.id AS id, a.dimension AS dimension, k.key AS key, a.ruleId AS rule",
        database_="neo4j",
    ).records
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        assert row["rule"], row
        out.setdefault(row["id"], {})[row["dimension"]] = row["key"]
    return out


def snapshot(cypher: Driver) -> str:
    row = cypher.execute_query(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() WITH n, collect(r {.*, t: type(r)}) AS rs "
        "ORDER BY elementId(n) RETURN collect([labels(n), n {.*}, rs]) AS all",
        database_="neo4j",
    ).records[0]
    return json.dumps(row["all"], default=str, sort_keys=True)


@pytest.fixture
def customers(cypher: Driver) -> None:
    seed_defaults(cypher)
    cypher.execute_query(CUSTOMERS, database_="neo4j")


def test_the_default_rules_classify_hand_built_customers(
    customers: None, cypher: Driver, neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two customers a batch: the keyset walk crosses batch edges (8 customers, 4 batches).
    monkeypatch.setattr(g, "BATCH", 2)
    summary = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    # The archived customer is left alone; the one who objects to profiling has no class.
    assert held(cypher) == EXPECTED
    assert summary["customers"] == 6
    assert summary["changed"] == sum(len(v) for v in EXPECTED.values())
    counts = json.loads(summary["counts"])
    assert counts["classes"]["TRADE:PROBLEM"] == 2
    assert counts["changed"]["TRADE"] == 6
    stored = cypher.execute_query(
        "MATCH (v:ClassificationReview {id: $id}) "
        "RETURN v.finishedAt IS NOT NULL AS done, v.by AS by, "
        "COUNT { (v)<-[:IN_REVIEW]-(:ClassificationChange)-[:OF]->(:Customer) } AS changes, "
        "COUNT { (v)<-[:IN_REVIEW]-(:ClassificationChange)-[:FROM]->() } AS froms",
        id=summary["id"],
        database_="neo4j",
    ).records[0]
    assert stored["done"]
    assert stored["by"] == "system:test"
    assert stored["changes"] == summary["changed"]
    assert stored["froms"] == 0  # nobody had a class before
    # Nothing moved since: a second review changes nothing and keeps `since`.
    again = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    assert again["changed"] == 0
    assert held(cypher) == EXPECTED
    # An objection withdrawn (a newer grant): the person is classified again.
    cypher.execute_query(
        "CREATE (:Consent {id: 'granted', personId: 'c-objector', purpose: 'PROFILING', "
        "granted: true, at: datetime() + duration('PT1S')})",
        database_="neo4j",
    )
    back = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    assert held(cypher)["c-objector"] == {
        "TRADE": "POTENTIAL",
        "NATURE": "INDIVIDUAL",
        "CHARACTERISTICS": "CONSUMER",
    }
    assert back["changed"] == 3
    # And withdrawn once more: the review removes every class it held.
    cypher.execute_query(
        "CREATE (:Consent {id: 'again', personId: 'c-objector', purpose: 'PROFILING', "
        "granted: false, at: datetime() + duration('PT2S')})",
        database_="neo4j",
    )
    gone = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    assert (
        sorted((c["customerId"], c["toId"]) for c in gone["preview"]) == [("c-objector", None)] * 3
    )
    assert held(cypher) == EXPECTED


def test_a_dry_run_writes_nothing_and_reports_what_a_review_would_change(
    customers: None, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    before = snapshot(cypher)
    dry = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=True))
    assert snapshot(cypher) == before
    assert dry["id"] is None
    wet = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    key = [(c["customerId"], c["dimension"], c["fromId"], c["toId"], c["ruleId"])
           for c in dry["preview"]]  # fmt: skip
    assert key == [
        (c["customerId"], c["dimension"], c["fromId"], c["toId"], c["ruleId"])
        for c in wet["preview"]
    ]
    assert dry["counts"] == wet["counts"]


def test_a_disabled_rule_is_skipped_and_a_lost_match_removes_the_class(
    customers: None, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    # Without the complaint rule the troubled customer's order (30 days ago) makes it NEW;
    # without the overdue rule the overdue one (100 days ago) is NEW too.
    cypher.execute_query(
        "MATCH (r:ClassificationRule) WHERE r.dimension = 'TRADE' AND r.classKey = 'PROBLEM' "
        "SET r.enabled = false",
        database_="neo4j",
    )
    cypher.execute_query(
        "MATCH (r:ClassificationRule {dimension: 'NATURE', classKey: 'GOVERNMENT'}) "
        "DETACH DELETE r",
        database_="neo4j",
    )
    summary = run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    moved = sorted((c["customerId"], c["dimension"], c["fromId"], c["toId"])
                   for c in summary["preview"])  # fmt: skip
    assert moved == [
        ("c-overdue", "TRADE", "TRADE:PROBLEM", "TRADE:NEW"),
        ("c-troubled", "NATURE", "NATURE:GOVERNMENT", None),
        ("c-troubled", "TRADE", "TRADE:PROBLEM", "TRADE:NEW"),
    ]
    now = held(cypher)
    assert "NATURE" not in now["c-troubled"]
    assert now["c-troubled"]["TRADE"] == "NEW"


def test_a_second_review_waits_for_the_first(
    customers: None, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    cypher.execute_query(
        "CREATE (:ClassificationReview {id: 'running', startedAt: datetime(), by: 'x', "
        "dryRun: false})",
        database_="neo4j",
    )
    with pytest.raises(g.ReviewRunning):
        run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    assert held(cypher) == {}
    # A review left unfinished for longer than STALE_MINUTES no longer blocks.
    cypher.execute_query(
        "MATCH (v:ClassificationReview {id: 'running'}) "
        "SET v.startedAt = datetime() - duration({minutes: $m})",
        m=g.STALE_MINUTES + 1,
        database_="neo4j",
    )
    run(neo4j_server, lambda db: g.review(db, ADMIN, dry_run=False))
    assert held(cypher) == EXPECTED
