"""The bulk path: batched, parameterised upserts, three statements per label and relationship type.

Each statement takes a whole batch (`$ids` or `$rows`) and UNWINDs it: one round trip per
statement. A batch runs in one write transaction: look up which of its ids exist (an index
seek per id, answered as one collected list), CREATE the rows whose ids are new, and update
the others (MERGE for nodes, a lookup by id for relationships, then `SET +=`). So a first load
into an empty store only creates, a re-run (or a retried batch) only updates, and re-running a
load changes nothing. Ids must be unique within a batch. Relationship rows name their
endpoints by `id` (`src`, `dst`); the endpoints must already exist (load nodes first; rows
whose endpoints are missing are skipped), and an existing relationship id that names other
endpoints is refused (ValueError): a relationship cannot move.

Why: the former single statement (MERGE nodes; OPTIONAL MATCH the relationship between its
endpoints, CREATE in a `CALL {} UNION` when absent) was re-planned by Neo4j once a type had a
few thousand edges, into a scan of the whole relationship-id index per row (PROFILE: 9.4 M
rows for the last 469 WORKS_AT rows at scale S, 6-10 s). At scale M that made loading
quadratic (SUBSIDIARY_OF: 2.7 s of server CPU per 1,000 rows). The lookup here pins the index
seek with a hint, and the CREATE needs no lookup at all; at M the edge phase costs 0.135 s of
server CPU per 1,000 rows. Node time is mostly index upkeep (the CJK full-text and text
indexes on names, the unique and range indexes), which CREATE cannot avoid.

Rows look like `{"id": ..., "props": {...}}` for nodes (plus `"customer": bool` for Company and
Person, which adds the `:Customer` label) and `{"id": ..., "src": ..., "dst": ..., "props": {...}}`
for relationships. `props` holds stored property values only (no nested maps).

Temporal values travel as ISO strings and are rebuilt on the server (`datetime()`, `date()`):
the Python driver converts each `datetime`/`date` to its wire form in Python, which cost about
85% of the client's time per batch. Only the temporal properties the schema defines
(`NODE_TEMPORALS`, `REL_TEMPORALS`, a closed list written into the CREATE statements as
`SET x.k = datetime(row.dt.k)`) travel this way, and only fixed-offset datetimes and dates, so
what is stored is identical; anything else (other keys, naive or named-zone datetimes) is sent
as is. The former dynamic-key `FOREACH (k IN keys(row.dt) | SET x[k] = ...)` doubled the node
statements' cost; it remains only on the update path, which is rare.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from graph import crypto, pinyin
from graph.db import ConstraintViolation, Cypher, Database, Tx
from graph.vocab import ENDPOINTS, Label, Rel

Row = dict[str, Any]

# The temporal properties each label and relationship type stores (schema.graphql), as
# (DateTime keys, Date keys). A closed list, so the keys can be written into Cypher text.
_RECORD: tuple[LiteralString, ...] = ("createdAt", "updatedAt", "archivedAt")
NODE_TEMPORALS: dict[Label, tuple[tuple[LiteralString, ...], tuple[LiteralString, ...]]] = {
    Label.COMPANY: (_RECORD, ("foundedOn",)),
    Label.PERSON: (_RECORD, ("birthDate",)),
    Label.PROJECT: (_RECORD, ("expectedClose",)),
    Label.USER: (_RECORD, ()),
}
REL_TEMPORALS: tuple[tuple[LiteralString, ...], tuple[LiteralString, ...]] = (
    ("createdAt", "updatedAt"),
    ("since", "until"),
)

# Updates are the rare path (a re-run, a retried batch): rebuild whichever keys were sent.
_ANY_TEMPORALS: LiteralString = (
    " FOREACH (k IN keys(row.dt) | SET x[k] = datetime(row.dt[k]))"
    " FOREACH (k IN keys(row.d) | SET x[k] = date(row.d[k]))"
)
_CUSTOMER: LiteralString = (
    " FOREACH (_ IN CASE WHEN row.customer THEN [1] ELSE [] END | SET x:Customer)"
)


def _encode(rows: Sequence[Row], datetimes: tuple[str, ...], dates: tuple[str, ...]) -> list[Row]:
    """Rows with fixed-offset datetimes under `datetimes` keys moved to `dt`, and dates under
    `dates` keys moved to `d`, as ISO strings. Any other value stays in `props` as it is."""
    out: list[Row] = []
    for row in rows:
        props: dict[str, Any] = {}
        dts: dict[str, str] = {}
        ds: dict[str, str] = {}
        for k, v in row["props"].items():
            if isinstance(v, dt.datetime):
                if k in datetimes and isinstance(v.tzinfo, dt.timezone):
                    dts[k] = v.isoformat()
                else:
                    props[k] = v
            elif k in dates and isinstance(v, dt.date):
                ds[k] = v.isoformat()
            else:
                props[k] = v
        out.append({**row, "props": props, "dt": dts, "d": ds})
    return out


def _set_temporals(
    datetimes: tuple[LiteralString, ...], dates: tuple[LiteralString, ...]
) -> LiteralString:
    # On a new entity, `SET x.k = null` (key not sent) is a no-op, so no CASE is needed.
    text: LiteralString = ""
    for k in datetimes:
        text += ", x." + k + " = datetime(row.dt." + k + ")"
    for k in dates:
        text += ", x." + k + " = date(row.d." + k + ")"
    return text


@dataclass(frozen=True)
class Statements:
    """The three statements behind one label or (type, target label): which of a batch's ids
    exist already, create the others, update the existing ones."""

    lookup: Cypher
    create: Cypher
    update: Cypher


def _node(label: Label) -> Statements:
    lb: LiteralString = label.value  # closed vocabulary, never input
    customer: LiteralString = _CUSTOMER if label in (Label.COMPANY, Label.PERSON) else ""
    name = f"bulk.node.{label.value}"
    return Statements(
        Cypher(
            name + ".lookup",
            "UNWIND $ids AS id MATCH (x:" + lb + " {id: id}) RETURN collect(id) AS found",
        ),
        Cypher(
            name + ".create",
            "UNWIND $rows AS row CREATE (x:"
            + lb
            + " {id: row.id}) SET x += row.props"
            + _set_temporals(*NODE_TEMPORALS[label])
            + customer,
        ),
        Cypher(
            name + ".update",
            "UNWIND $rows AS row MERGE (x:"
            + lb
            + " {id: row.id}) SET x += row.props"
            + _ANY_TEMPORALS
            + customer,
        ),
    )


def _rel(rel: Rel, dst: Label) -> Statements:
    a: LiteralString = ENDPOINTS[rel][0][0].value  # closed vocabulary, never input
    b: LiteralString = dst.value
    t: LiteralString = rel.value
    # The hint pins the id lookup to an index seek: left to itself, the planner re-planned a
    # similar lookup, once the type had 20,000 edges, as a scan of the whole id index per row.
    by_id: LiteralString = "]->(b) USING INDEX SEEK x:" + t + "(id) "
    name = f"bulk.rel.{rel.value}.{dst.value}"
    return Statements(
        Cypher(
            name + ".lookup",
            "UNWIND $ids AS id MATCH (a)-[x:"
            + t
            + " {id: id"
            + "}"
            + by_id
            + "RETURN collect([id, a.id, b.id]) AS found",
        ),
        Cypher(
            name + ".create",
            "UNWIND $rows AS row MATCH (a:"
            + a
            + " {id: row.src}) MATCH (b:"
            + b
            + " {id: row.dst}) "
            "CREATE (a)-[x:"
            + t
            + " {id: row.id}]->(b) SET x += row.props"
            + _set_temporals(*REL_TEMPORALS),
        ),
        Cypher(
            name + ".update",
            "UNWIND $rows AS row MATCH (a)-[x:"
            + t
            + " {id: row.id"
            + "}"
            + by_id
            + "SET x += row.props"
            + _ANY_TEMPORALS,
        ),
    )


NODE_STATEMENTS: dict[Label, Statements] = {
    label: _node(label) for label in (Label.COMPANY, Label.PERSON, Label.PROJECT, Label.USER)
}

# Keyed by (type, target label): FOR and OWNS point at a Company or a Person.
REL_STATEMENTS: dict[tuple[Rel, Label], Statements] = {
    (rel, dst): _rel(rel, dst) for rel in Rel for dst in ENDPOINTS[rel][1]
}


def rel_statement(rel: Rel, dst: Label | None = None) -> Statements:
    """The statements for `rel` rows whose targets carry `dst` (default: the only target)."""
    targets = ENDPOINTS[rel][1]
    if dst is None:
        if len(targets) != 1:
            raise ValueError(f"{rel.value} points at {targets}; say which label")
        dst = targets[0]
    return REL_STATEMENTS[(rel, dst)]


async def _upsert(db: Database, st: Statements, rows: list[Row], rels: bool) -> None:
    async def work(tx: Tx) -> None:
        # One collected value, not a record per id: decoding records costs Python CPU.
        found = (await tx.run(st.lookup, {"ids": [r["id"] for r in rows]}))[0]["found"]
        if not found:
            await tx.run(st.create, {"rows": rows})
            return
        existing = {f[0]: f for f in found} if rels else {f: f for f in found}
        new = [r for r in rows if r["id"] not in existing]
        old = [r for r in rows if r["id"] in existing]
        if rels:
            for r in old:
                _, src, dst = existing[r["id"]]
                if (src, dst) != (r["src"], r["dst"]):
                    raise ValueError(f"relationship {r['id']} exists between {src} and {dst}")
        if new:
            await tx.run(st.create, {"rows": new})
        if old:
            await tx.run(st.update, {"rows": old})

    try:
        await db.transaction(work)
    except ConstraintViolation:
        # Another writer created one of the new ids after the lookup; look again once.
        await db.transaction(work)


async def upsert_nodes(db: Database, label: Label, rows: Sequence[Row]) -> int:
    """Upsert one batch of `label` nodes by `id`; returns the number of rows sent."""
    if rows:
        rows = [
            {**r, "props": pinyin.with_keys(label, crypto.protect(label, r["props"]))} for r in rows
        ]
        await _upsert(db, NODE_STATEMENTS[label], _encode(rows, *NODE_TEMPORALS[label]), False)
    return len(rows)


async def upsert_rels(db: Database, rel: Rel, rows: Sequence[Row], dst: Label | None = None) -> int:
    """Upsert one batch of `rel` relationships by `id` between existing endpoints."""
    if rows:
        await _upsert(db, rel_statement(rel, dst), _encode(rows, *REL_TEMPORALS), True)
    return len(rows)
