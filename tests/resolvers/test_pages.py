"""Cursors a client tampered with: refused as BAD_USER_INPUT at `after`, never INTERNAL."""

from __future__ import annotations

import base64

import pytest

from neo4j import Driver
from tests.conftest import GQL

CUSTOMER = "4e4f3a80-a081-5c56-bbae-5c91ce59dfd8"


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


# A date the calendar lacks, and one out of every range, in the shape of an issued cursor.
TAMPERED = [
    cursor(f"2026-02-30T10:00:00+08:00\x1f{CUSTOMER}"),
    cursor("2026-13-45T99:00:00\x1fzzz"),
    cursor("2026-02-28T24:30:00.000000000+08:00\x1fzzz"),
    cursor("yesterday\x1fzzz"),
]
QUERIES = {
    "timeline": 'timeline(party: "$id", first: 2, after: $a) { nodes { id } }',
    "followUps": "followUps(first: 2, after: $a) { nodes { id } }",
    "changeRequests": "changeRequests(first: 2, after: $a) { nodes { id } }",
    "scoreHistory": 'scoreHistory(customer: "$id", first: 2, after: $a) { nodes { id } }',
    "auditTrail": 'auditTrail(id: "$id", first: 2, after: $a) { edges { cursor } }',
}


def query(field: str) -> str:
    return "query($a: String) { " + QUERIES[field].replace("$id", CUSTOMER) + " }"


# One row on each list: Neo4j parses the cursor's date only when a row is there to compare.
BUILD = """
CREATE (c:Company:Customer {id: $id, name: '游标客户', version: 1})
CREATE (:Record:Interaction {id: 'r1', kind: 'Interaction', version: 1, channel: 'VISIT',
        direction: 'OUTBOUND', occurredAt: datetime('2026-02-01T10:00:00+08:00'),
        subject: 's', createdAt: datetime(), updatedAt: datetime()})-[:ABOUT]->(c)
CREATE (:FollowUp {id: 'f1', status: 'OPEN', title: 't', version: 1,
        dueAt: datetime('2026-02-01T10:00:00+08:00'), createdAt: datetime()})-[:ABOUT]->(c)
CREATE (:ChangeRequest {id: 'cr1', status: 'PENDING', targetId: $id, targetLabel: 'Company',
        requestedBy: 'x', requestedAt: datetime('2026-02-01T10:00:00+08:00')})
CREATE (:ScoreSnapshot {id: 's1', customerId: $id,
        scoredAt: datetime('2026-02-01T10:00:00+08:00')})
CREATE (:AuditEvent {id: 'a1', targetId: $id, action: 'x',
        at: datetime('2026-02-01T10:00:00+08:00')})
"""


@pytest.fixture
def rows(cypher: Driver) -> None:
    cypher.execute_query(BUILD, id=CUSTOMER)


@pytest.mark.parametrize("field", sorted(QUERIES))
@pytest.mark.usefixtures("rows")
def test_a_cursor_with_an_impossible_date_is_bad_input(gql: GQL, field: str) -> None:
    for after in TAMPERED:
        r = gql(query(field), {"a": after})
        assert r.codes() == ["BAD_USER_INPUT"], (field, r.errors)
        assert r.errors[0]["extensions"].get("field") == "after", r.errors
        assert r.errors[0]["message"] == "not a cursor this API issued"


@pytest.mark.usefixtures("rows")
def test_a_real_date_in_a_cursor_still_pages(gql: GQL) -> None:
    after = cursor(f"2026-02-28T10:00:00.123456789+08:00\x1f{CUSTOMER}")
    for field in sorted(QUERIES):
        assert gql(query(field), {"a": after}).errors == [], field
