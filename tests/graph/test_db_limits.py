"""The database gate's limits on a real Neo4j: transaction timeout, warm-up planning."""

from __future__ import annotations

import logging
from typing import TypeVar

import pytest

from graph import maps, related
from graph.db import Cypher
from graph.errors import CrmError, QueryTimeout
from graph.server import LocalNeo4j
from graph.warmup import sample_parameters, statements, warm_up
from tests.graph.reading import run

T = TypeVar("T")
SLOW = Cypher(
    "test.slow",
    "UNWIND range(1, 500000000) AS i WITH i WHERE i % 7 = 0 RETURN count(*) AS n",
)


@pytest.mark.timeout(120)
def test_a_transaction_past_its_timeout_is_stopped_with_a_code(neo4j_server: LocalNeo4j) -> None:
    with pytest.raises(QueryTimeout) as caught:
        run(neo4j_server, lambda db: db.read(SLOW), transaction_timeout=3.0)
    assert isinstance(caught.value, CrmError)
    assert caught.value.code == "QUERY_TIMEOUT"
    assert caught.value.expected
    # Quick statements are not affected.
    rows = run(
        neo4j_server,
        lambda db: db.read(Cypher("t.one", "RETURN 1 AS one")),
        transaction_timeout=3.0,
    )
    assert rows == [{"one": 1}]


def test_statements_are_found_in_graph_modules() -> None:
    found = {q.name for q in statements()}
    assert {q.name for q in maps.ACCOUNT_MAP.values()} <= found
    assert {q.name for q in related.RELATED.values()} <= found
    assert any(name.startswith("maps.contact_map.") for name in found)
    # What users wait for comes first: the key look-up every request makes, then the maps.
    names = [q.name for q in statements()]
    assert names[0] == "apikey.by_hash"
    assert names[1].startswith("maps.")


def test_sample_parameters_cover_every_parameter() -> None:
    unknown = {
        name
        for q in statements()
        for name, value in sample_parameters(q.text).items()
        if value is None
    }
    assert unknown == set()


# About 650 statement variants (635 s at the last CI on a slow 2-core machine, beside
# another worker): the guard leaves room for planning, it does not time it (benchmarks do).
@pytest.mark.timeout(1560)
def test_warm_up_plans_every_statement(
    neo4j_server: LocalNeo4j, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="graph.warmup")
    planned, left = run(neo4j_server, lambda db: warm_up(db, budget=1500))
    assert left == 0, [r.getMessage() for r in caplog.records]
    assert planned == sum(len(q.variants()) for q in statements())
