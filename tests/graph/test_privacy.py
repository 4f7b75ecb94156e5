"""The privacy predicates on a hand-built graph: restricted persons leave `visible()` for
every viewer, and `consented()` answers from the newest, unexpired record."""

from __future__ import annotations

import pytest

from graph import access, privacy
from graph.db import Cypher
from graph.server import LocalNeo4j
from neo4j import Driver
from tests.graph.reading import read_as

VISIBLE = Cypher(
    "test.privacy.visible",
    "MATCH (n:Person) WHERE " + access.visible("n") + " RETURN n.id AS id",
)
EDITABLE = Cypher(
    "test.privacy.editable",
    "MATCH (n:Person) WHERE " + access.editable("n") + " RETURN n.id AS id",
)
CONSENTED = Cypher(
    "test.privacy.consented",
    "MATCH (n:Person) WHERE " + privacy.consented("n", "$purpose") + " RETURN n.id AS id",
)

GRAPH = """
CREATE (:Person {id: 'plain', name: 'a'})
CREATE (:Person {id: 'restricted', name: 'b', restricted: true})
CREATE (:Person {id: 'granted', name: 'c'})
CREATE (:Person {id: 'withdrawn', name: 'd'})
CREATE (:Person {id: 'expired', name: 'e'})
CREATE (:Person {id: 'erased', name: 'f', erasedAt: datetime()})
CREATE (:Consent {id: 'c1', personId: 'granted', purpose: 'MARKETING', granted: true,
        at: datetime() - duration('P2D')})
CREATE (:Consent {id: 'c2', personId: 'withdrawn', purpose: 'MARKETING', granted: true,
        at: datetime() - duration('P2D')})
CREATE (:Consent {id: 'c3', personId: 'withdrawn', purpose: 'MARKETING', granted: false,
        at: datetime() - duration('P1D')})
CREATE (:Consent {id: 'c4', personId: 'expired', purpose: 'MARKETING', granted: true,
        at: datetime() - duration('P2D'), expiresAt: datetime() - duration('P1D')})
CREATE (:Consent {id: 'c5', personId: 'restricted', purpose: 'MARKETING', granted: true,
        at: datetime() - duration('P2D')})
CREATE (:Consent {id: 'c6', personId: 'erased', purpose: 'MARKETING', granted: true,
        at: datetime() - duration('P2D')})
CREATE (:Consent {id: 'c7', personId: 'plain', purpose: 'PROFILING', granted: true,
        at: datetime() - duration('P2D')})
"""


def ids(server: LocalNeo4j, persona: str, statement: Cypher, **params: str) -> set[str]:
    return {r["id"] for r in read_as(server, persona, statement, **params)}


@pytest.fixture
def graph(cypher: Driver, neo4j_server: LocalNeo4j) -> LocalNeo4j:
    cypher.execute_query(GRAPH, database_="neo4j")
    return neo4j_server


@pytest.mark.parametrize("persona", ["admin", "analyst", "auditor"])
def test_restricted_persons_are_visible_to_nobody(graph: LocalNeo4j, persona: str) -> None:
    seen = ids(graph, persona, VISIBLE)
    assert "restricted" not in seen
    assert {"plain", "granted", "erased"} <= seen


def test_restricted_persons_are_editable_by_nobody(graph: LocalNeo4j) -> None:
    assert "restricted" not in ids(graph, "admin", EDITABLE)
    assert "plain" in ids(graph, "admin", EDITABLE)


def test_consented_takes_the_newest_unexpired_grant(graph: LocalNeo4j) -> None:
    assert ids(graph, "admin", CONSENTED, purpose="MARKETING") == {"granted"}
    assert ids(graph, "admin", CONSENTED, purpose="PROFILING") == {"plain"}
    assert ids(graph, "admin", CONSENTED, purpose="CROSS_BORDER_TRANSFER") == set()


def test_placeholder_is_stable_and_names_nobody() -> None:
    a = privacy.placeholder("zhang")
    assert a == privacy.placeholder("zhang") != privacy.placeholder("wang")
    assert "zhang" not in a
