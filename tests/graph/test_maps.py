"""The map statements' plans: the path predicate that keeps a traversal away from hidden and
archived companies must sit inside the pruning variable-length expand (checked per company
reached), not in a filter over every path enumerated."""

from __future__ import annotations

from typing import Any

import pytest

from graph import maps, related
from graph.db import Cypher
from graph.warmup import sample_parameters
from neo4j import Driver


def operators(plan: Any) -> list[tuple[str, str]]:
    """(operator, details) of every operator in an EXPLAIN plan, depth first."""
    out = [(str(plan["operatorType"]), str(plan.get("args", {}).get("Details", "")))]
    for child in plan.get("children", []):
        out += operators(child)
    return out


@pytest.mark.parametrize(
    "statement",
    [maps.ACCOUNT_MAP[3], maps.GROUP_HIERARCHY, related.RELATED[3]],
    ids=lambda q: q.name,
)
def test_the_company_walk_prunes_inside_the_expand(cypher: Driver, statement: Cypher) -> None:
    params = sample_parameters(statement.text)
    summary = cypher.execute_query("EXPLAIN " + statement.text, params, database_="neo4j").summary
    assert summary.plan is not None
    ops = operators(summary.plan)
    expands = [d for op, d in ops if "VarLengthExpand" in op]
    assert expands, ops
    # Each walk checks archivedAt on the company it reaches, inside the expand.
    assert all("archivedAt IS NULL" in d for d in expands), expands
    assert not any(op.startswith("Filter") and "all(x IN nodes" in d for op, d in ops)
