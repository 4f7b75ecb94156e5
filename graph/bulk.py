"""The bulk path: batched, parameterised upserts, one statement per label and relationship type.

Each statement takes `$rows` and UNWINDs it, so a batch of thousands of rows is one round trip.
Nodes and relationships are MERGEd on their `id`, so re-running a load (or a retried batch)
changes nothing. Relationship rows name their endpoints by `id` (`src`, `dst`); the endpoints
must already exist (load nodes first) and are found through the unique `id` constraints.

Rows look like `{"id": ..., "props": {...}}` for nodes (plus `"customer": bool` for Company and
Person, which adds the `:Customer` label) and `{"id": ..., "src": ..., "dst": ..., "props": {...}}`
for relationships. `props` holds stored property values only (no nested maps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from graph.db import Cypher, Database
from graph.vocab import ENDPOINTS, Label, Rel

Row = dict[str, Any]


def _node(label: LiteralString, customer: bool) -> Cypher:
    text: LiteralString = (
        "UNWIND $rows AS row MERGE (n:" + label + " {id: row.id}) SET n += row.props"
    )
    if customer:
        text += " FOREACH (_ IN CASE WHEN row.customer THEN [1] ELSE [] END | SET n:Customer)"
    return Cypher(f"bulk.node.{label}", text)


def _rel(src: LiteralString, rel: LiteralString, dst: LiteralString) -> Cypher:
    text: LiteralString = (
        "UNWIND $rows AS row "
        "MATCH (a:" + src + " {id: row.src}) "
        "MATCH (b:" + dst + " {id: row.dst}) "
        "MERGE (a)-[r:" + rel + " {id: row.id}]->(b) "
        "SET r += row.props"
    )
    return Cypher(f"bulk.rel.{rel}.{dst}", text)


NODE_STATEMENTS: dict[Label, Cypher] = {
    Label.COMPANY: _node("Company", customer=True),
    Label.PERSON: _node("Person", customer=True),
    Label.PROJECT: _node("Project", customer=False),
    Label.USER: _node("User", customer=False),
}

# Keyed by (type, target label): FOR and OWNS point at a Company or a Person.
REL_STATEMENTS: dict[tuple[Rel, Label], Cypher] = {
    (Rel.SUBSIDIARY_OF, Label.COMPANY): _rel("Company", "SUBSIDIARY_OF", "Company"),
    (Rel.SUPPLIES, Label.COMPANY): _rel("Company", "SUPPLIES", "Company"),
    (Rel.DISTRIBUTES_FOR, Label.COMPANY): _rel("Company", "DISTRIBUTES_FOR", "Company"),
    (Rel.PARTNERS_WITH, Label.COMPANY): _rel("Company", "PARTNERS_WITH", "Company"),
    (Rel.INVESTS_IN, Label.COMPANY): _rel("Company", "INVESTS_IN", "Company"),
    (Rel.INFLUENCES_PURCHASE, Label.COMPANY): _rel("Company", "INFLUENCES_PURCHASE", "Company"),
    (Rel.INCUMBENT_AT, Label.COMPANY): _rel("Company", "INCUMBENT_AT", "Company"),
    (Rel.WORKS_AT, Label.COMPANY): _rel("Person", "WORKS_AT", "Company"),
    (Rel.REPORTS_TO, Label.PERSON): _rel("Person", "REPORTS_TO", "Person"),
    (Rel.INFLUENCES, Label.PERSON): _rel("Person", "INFLUENCES", "Person"),
    (Rel.RELATED_TO, Label.PERSON): _rel("Person", "RELATED_TO", "Person"),
    (Rel.PARTICIPATES_IN, Label.PROJECT): _rel("Person", "PARTICIPATES_IN", "Project"),
    (Rel.FOR, Label.COMPANY): _rel("Project", "FOR", "Company"),
    (Rel.FOR, Label.PERSON): _rel("Project", "FOR", "Person"),
    (Rel.OWNS, Label.COMPANY): _rel("User", "OWNS", "Company"),
    (Rel.OWNS, Label.PERSON): _rel("User", "OWNS", "Person"),
    (Rel.ON_TEAM, Label.PROJECT): _rel("User", "ON_TEAM", "Project"),
    (Rel.KNOWS, Label.PERSON): _rel("User", "KNOWS", "Person"),
}


def rel_statement(rel: Rel, dst: Label | None = None) -> Cypher:
    """The statement for `rel` rows whose targets carry `dst` (default: the only target)."""
    targets = ENDPOINTS[rel][1]
    if dst is None:
        if len(targets) != 1:
            raise ValueError(f"{rel.value} points at {targets}; say which label")
        dst = targets[0]
    return REL_STATEMENTS[(rel, dst)]


async def upsert_nodes(db: Database, label: Label, rows: Sequence[Row]) -> int:
    """MERGE one batch of `label` nodes on `id`; returns the number of rows sent."""
    if rows:
        await db.write(NODE_STATEMENTS[label], {"rows": list(rows)})
    return len(rows)


async def upsert_rels(db: Database, rel: Rel, rows: Sequence[Row], dst: Label | None = None) -> int:
    """MERGE one batch of `rel` relationships on `id` between existing endpoints."""
    if rows:
        await db.write(rel_statement(rel, dst), {"rows": list(rows)})
    return len(rows)
