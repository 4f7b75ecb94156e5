"""graph/merge.py's planning of parallel edges and sales plans, and its dry run of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import access, merge
from graph.actor import Actor
from graph.nodes import Audit
from graph.plans import Dimension, plan_id
from graph.server import LocalNeo4j
from graph.vocab import Label
from neo4j import Driver
from tests.graph.reading import run

ADMIN = Actor("test:admin", frozenset({"ADMIN"}), access.Scope.everything())
D = dt.date


def edge(
    name: str, merged: str | None, type: str = "WORKS_AT", other: str = "c09", out: bool = True,
    **props: Any,
) -> dict[str, Any]:  # fmt: skip
    """A merge.parallel row."""
    return {"edge": name, "type": type, "out": out, "other": other, "merged": merged,
            "props": {"id": name, "version": 1, **props}}  # fmt: skip


def test_overlapping_parallel_edges_collapse_into_the_survivors() -> None:
    edges = [
        edge("mine", None, since=D(2022, 5, 1), department="采购部"),
        edge("theirs", "p08", since=D(2021, 1, 1), title="经理", department="销售部"),
        edge("old", "p08", since=D(2015, 1, 1), until=D(2018, 1, 1)),  # history: stays
        edge("touching", "p09", since=D(2018, 1, 1), until=D(2021, 1, 1)),  # meets neither
    ]
    [(keep, changes, folded)] = merge.collapse_plan(edges, ["p08", "p09"])
    assert keep["edge"] == "mine"
    assert changes == {"since": D(2021, 1, 1), "title": "经理"}  # department: the survivor's
    assert [e["edge"] for e in folded] == ["theirs"]


def test_a_group_of_moved_edges_keeps_the_first_merged_records_and_widens_both_ends() -> None:
    edges = [
        edge("b", "p09", until=D(2030, 1, 1), out=False, type="KNOWS", other="u1"),
        edge(
            "a",
            "p08",
            since=D(2020, 1, 1),
            until=D(2025, 1, 1),
            out=False,
            type="KNOWS",
            other="u1",
            strength=0.5,
        ),
        edge("c", "p09", since=D(2029, 1, 1), out=False, type="KNOWS", other="u1"),
    ]
    [(keep, changes, folded)] = merge.collapse_plan(edges, ["p08", "p09"])
    assert keep["edge"] == "a"
    assert changes == {"since": None, "until": None}  # open at both ends, as b and c are
    assert sorted(e["edge"] for e in folded) == ["b", "c"]


def test_edges_apart_by_direction_end_project_or_survivor_only_stay() -> None:
    edges = [
        edge("out", None, type="SUPPLIES", other="x"),
        edge("in", "m", type="SUPPLIES", other="x", out=False),
        edge("other-end", "m", type="SUPPLIES", other="y"),
        edge("p1", None, type="INFLUENCES", other="z", projectId="P1"),
        edge("p2", "m", type="INFLUENCES", other="z", projectId="P2"),
        edge("own1", None, type="PARTNERS_WITH", other="w"),
        edge("own2", None, type="PARTNERS_WITH", other="w"),  # no moved edge among them
    ]
    assert merge.collapse_plan(edges, ["m"]) == []


def plan_row(target: str, period: str, cents: int, note: str | None = None) -> dict[str, Any]:
    return {"id": plan_id(period, Dimension.CUSTOMER, target, "CNY"), "targetId": target,
            "period": period, "currency": "CNY", "amountCents": cents, "note": note}  # fmt: skip


def test_plans_add_up_under_the_survivors_key_or_move_to_it() -> None:
    rows = [
        plan_row("c10", "2026-Q4", 100),
        plan_row("c11", "2026-Q4", 200, "华东"),
        plan_row("c12", "2026-Q4", 50),
        plan_row("c12", "2026-Q3", 30),
        plan_row("c11", "2026-Q3", 70),
        plan_row("c10", "2026-Q2", 9),  # the survivor's alone: untouched
    ]
    moves = merge.plan_moves(rows, "c10", ["c11", "c12"])
    got = [(k["targetId"], k["period"], new, total, note, [f["targetId"] for f in folded])
           for k, new, total, note, folded in moves]  # fmt: skip
    assert got == [
        ("c11", "2026-Q3", plan_id("2026-Q3", Dimension.CUSTOMER, "c10", "CNY"), 100, None,
         ["c12"]),
        ("c10", "2026-Q4", rows[0]["id"], 350, "华东", ["c11", "c12"]),
    ]  # fmt: skip


def test_a_dry_run_counts_the_plans_and_collapsed_edges_and_changes_nothing(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    cypher.execute_query(
        "CREATE (k:Company:Customer {id: 'c10', name: '十', version: 1}), "
        "(d:Company:Customer {id: 'c11', name: '十一', version: 1}), "
        "(p:Company {id: 'c09', name: '母', version: 1}), "
        "(k)-[:SUBSIDIARY_OF {id: 'e1', version: 1}]->(p), "
        "(d)-[:SUBSIDIARY_OF {id: 'e2', version: 1, ownership: 0.5}]->(p) "
        "WITH * UNWIND $plans AS x CREATE (s:SalesPlan) SET s = x, s.dimension = 'CUSTOMER', "
        "s.version = 1",
        plans=[
            plan_row("c10", "2026-Q4", 100),
            plan_row("c11", "2026-Q4", 200),
            plan_row("c11", "2026-Q3", 30),
        ],
        database_="neo4j",
    )
    snapshot = (
        "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) "
        "RETURN collect(DISTINCT n{.*}) AS nodes, collect([n.id, type(r), m.id, r{.*}]) AS edges"
    )
    before = cypher.execute_query(snapshot, database_="neo4j").records[0]

    def call(dry: bool) -> merge.MergeResult:
        return run(
            neo4j_server,
            lambda db: merge.merge(db, Label.COMPANY, "c10", ["c11"], {},
                                   Audit(ADMIN, "company.merge", "test"), dry_run=dry),
        )  # fmt: skip

    dry = call(True)
    assert (dry.dry_run, dry.moved, dry.moved_by_type) == (True, 0, {})
    assert dry.collapsed_by_type == {"SUBSIDIARY_OF": 1}
    assert (dry.plans_retargeted, dry.plans_combined) == (1, 1)
    after = cypher.execute_query(snapshot, database_="neo4j").records[0]
    assert sorted(map(str, after["nodes"])) == sorted(map(str, before["nodes"]))
    assert sorted(map(str, after["edges"])) == sorted(map(str, before["edges"]))

    done = call(False)
    assert (done.collapsed_by_type, done.plans_retargeted, done.plans_combined) == (
        dry.collapsed_by_type, 1, 1
    )  # fmt: skip
    plans = cypher.execute_query(
        "MATCH (s:SalesPlan) RETURN s.id AS id, s.targetId AS t, s.period AS period, "
        "s.amountCents AS cents, s.version AS version, s.updatedBy AS by ORDER BY period",
        database_="neo4j",
    ).records
    assert [tuple(p.values()) for p in plans] == [
        (plan_id("2026-Q3", Dimension.CUSTOMER, "c10", "CNY"), "c10", "2026-Q3", 30, 2, ADMIN.id),
        (plan_id("2026-Q4", Dimension.CUSTOMER, "c10", "CNY"), "c10", "2026-Q4", 300, 2, ADMIN.id),
    ]
    [parent] = cypher.execute_query(
        "MATCH (:Company {id: 'c10'})-[r:SUBSIDIARY_OF]->() RETURN r{.*} AS r", database_="neo4j"
    ).records
    assert (parent["r"]["id"], parent["r"]["ownership"], parent["r"]["version"]) == ("e1", 0.5, 2)
