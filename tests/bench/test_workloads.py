"""The peer's @cypher statements are our raw statements, wrapped so Neo4j accepts them and
with every column the statement returns."""

from __future__ import annotations

import pytest

from bench.workloads import BY_KEY, WORKLOADS, peer_cypher, peer_statement, return_columns
from graph.db import EDIT_ALL_MARK, READ_ALL_MARK
from neo4j import Driver


def test_return_columns_reads_only_the_final_top_level_return() -> None:
    text = (
        "MATCH (n) CALL (n) { RETURN 1 AS inner } "
        "RETURN DISTINCT n.x AS a, 'x, y RETURN z' AS b, {k: [1, 2]} AS `c`, n ORDER BY a"
    )
    with pytest.raises(ValueError, match="without a name"):  # a backquoted alias
        return_columns(text)
    assert return_columns(text.replace("`c`", "c")) == ["a", "b", "c", "n"]
    with pytest.raises(ValueError, match="without a name"):
        return_columns("MATCH (n) RETURN n.x")


def test_peer_runs_the_raw_statement_unchanged() -> None:
    statements = peer_cypher()
    assert set(statements) == {"W1", "W2", "W3", "W4", "W5", "W6"}
    for key, text in statements.items():
        # The same statement, with the admin's `$acl` written in as literals.
        assert peer_statement(BY_KEY[key].steps[0].raw[0]) == text


def test_raw_runs_the_text_the_app_sends_its_admin() -> None:
    # graph/db.py cuts the marked role-dependent parts for a viewer who reads and edits all.
    texts = [t for w in WORKLOADS for step in w.steps for t in step.raw]
    assert len(texts) >= 9
    for text in texts:
        assert READ_ALL_MARK[0] not in text, text[:80]
        assert EDIT_ALL_MARK[0] not in text, text[:80]


@pytest.mark.parametrize("key", [w.key for w in WORKLOADS if w.peer_field])
def test_columns_match_what_neo4j_plans(cypher: Driver, key: str) -> None:
    raw = BY_KEY[key].steps[0].raw[0]
    planned = cypher.execute_query("EXPLAIN " + raw, database_="neo4j").keys
    assert return_columns(raw) == list(planned)
    wrapped = cypher.execute_query("EXPLAIN " + peer_statement(raw), database_="neo4j").keys
    assert list(wrapped) == ["result"]
