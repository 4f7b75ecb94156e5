"""Settings stored as data: one versioned JSON document per kind (freshness rules, the scoring
model, the pipeline model), saved with an optimistic version check and an audit event.

Each kind is a `(:Label {id: 'default'})` node holding the JSON text in one property. The
module that owns a kind declares it with `document(...)` at module level (a NamedTuple, so
graph/warmup.py finds its statements) and converts the JSON to its own settings type.
"""

from __future__ import annotations

from typing import LiteralString, NamedTuple

from graph.actor import Actor
from graph.db import Cypher, Database
from graph.nodes import AUDIT, Audit
from graph.refusal import Refusal


class Document(NamedTuple):
    label: LiteralString
    prop: LiteralString
    load: Cypher
    save: Cypher


def document(name: LiteralString, label: LiteralString, prop: LiteralString) -> Document:
    """The statements of one kind: `<name>.load` and `<name>.save`."""
    load = Cypher(
        name + ".load",
        "OPTIONAL MATCH (m:" + label + " {id: 'default'}) RETURN m." + prop + " AS body, "
        "m.version AS version",
    )
    save = Cypher(
        name + ".save",
        "MERGE (n:" + label + " {id: 'default'}) ON CREATE SET n.version = 0 "
        "WITH n WHERE $expectedVersion IS NULL OR n.version = $expectedVersion "
        "SET n." + prop + " = $body, n.version = n.version + 1, n.updatedAt = datetime(), "
        "n.updatedBy = $actor WITH n " + AUDIT + " RETURN n.version AS version",
    )
    return Document(label, prop, load, save)


async def load(db: Database, doc: Document, actor: Actor) -> tuple[str | None, int]:
    """The stored JSON (None: never saved) and its version (0: the defaults). Every signed-in
    role reads settings."""
    rows = await db.read(doc.load)
    return rows[0]["body"], rows[0]["version"] or 0


async def save(
    db: Database, doc: Document, body: str, expected_version: int | None, audit: Audit
) -> tuple[int | None, Refusal | None]:
    """Store `body` unless `expected_version` is given and stale (CONFLICT); the new version."""
    params = {
        "body": body,
        "expectedVersion": expected_version,
        **audit.params("default", doc.label, [doc.prop]),
    }
    rows = await db.write(doc.save, params)
    if not rows:
        return None, Refusal.CONFLICT
    return rows[0]["version"], None
