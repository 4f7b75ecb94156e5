"""Import and export of whole account networks (issue 15): the statements behind `crm-graph
import` and `crm-graph export`. Rows arrive validated (resolvers/transfer.py); nothing here
knows a file format or a mapping.

The live write path: one write transaction per batch, so a batch is written whole or not at
all. Nodes are MERGEd on their key, (externalSource, externalId) or the CRM `id` (an
export's own rows), and only the properties that differ from the stored ones are set: a
node whose values are all unchanged is not touched at all (no version bump, no audit), so
re-running an import changes nothing. Relationships are keyed by `id`, chosen by the caller
(a hash of the source and the row's external id, or the exported id), between endpoints
found by the same node key. One audit event per batch that changed something, with the
field names and no values. A person an import creates keeps its creator (`createdBy`), which
the visibility of a person with no employer yet reads (graph/access.py).

The export reads page by page in `id` order, with the viewer's visibility predicate, so a key
exports exactly what it may see, as its list queries show it (people with the `unplaced` rule,
as `people` lists them; an edge when both its ends are visible, as `relationship` reads one):
projects and their FOR and PARTICIPATES_IN links too, and our staff's OWNS, ON_TEAM and KNOWS
edges, found by the User's id on import, all of which an export's own file imports again
(teams and users: graph/transfer_staff.py; masking is applied above, by resolvers/masking.py).
Records (graph/records.py) are read in id order,
each as its timeline shows it: only records about a customer the viewer sees, voided ones
left out. Products (the catalogue, which every viewer
reads) are read whole, in id order, so that an order's lines find them on import; imported
products and records are written by graph/records.py's `save_product` and `save`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString

from graph import access, history
from graph.access import visible
from graph.actor import Actor
from graph.cypher import merged_survivor
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, PROJECTION, Audit
from graph.records import RECORD
from graph.relationship import ALWAYS, TYPE_LOCK, loop_back
from graph.relationship import PROJECTION as EDGE_PROJECTION
from graph.vocab import ACYCLIC, ENDPOINTS, Label, Rel

Row = dict[str, Any]


class Key(Enum):
    """How an imported row names its node: by the source system's id, or by the CRM's id."""

    EXTERNAL = "external"
    ID = "id"


# The node and relationship kinds a mapped import writes: the customer network (companies,
# people and the relationships between them). An export also holds the projects, their
# customers (FOR) and their people (PARTICIPATES_IN), which its own file imports again, and
# our side's edges (OWNS, ON_TEAM, KNOWS: ownership, project teams, who knows whom), whose
# users and teams an export holds as lines of their own (resolvers/transfer_staff.py).
LABELS: tuple[Label, ...] = (Label.COMPANY, Label.PERSON)


def _between(labels: tuple[Label, ...]) -> tuple[Rel, ...]:
    return tuple(
        r
        for r in Rel
        if set(ENDPOINTS[r][0]) <= set(labels) and set(ENDPOINTS[r][1]) <= set(labels)
    )


RELS: tuple[Rel, ...] = _between(LABELS)
EXPORT_LABELS: tuple[Label, ...] = (*LABELS, Label.PROJECT)
STAFF_RELS: tuple[Rel, ...] = (Rel.OWNS, Rel.ON_TEAM, Rel.KNOWS)
EXPORT_RELS: tuple[Rel, ...] = (
    RELS + tuple(r for r in _between(EXPORT_LABELS) if r not in RELS) + STAFF_RELS
)
# The labels an exported edge's ends may carry: a staff edge starts at a User.
EDGE_LABELS: tuple[Label, ...] = (*EXPORT_LABELS, Label.USER)

_DIGEST: LiteralString = "idNumberDigest"  # graph/crypto.py's DIGEST


def _key(key: Key, value: LiteralString, source: LiteralString = "row.source") -> LiteralString:
    if key is Key.EXTERNAL:
        return "{externalSource: " + source + ", externalId: " + value + "}"
    return "{id: " + value + "}"


def match_node(
    var: LiteralString,
    label: Label,
    key: Key,
    value: LiteralString,
    source: LiteralString = "row.source",
) -> LiteralString:
    lb: LiteralString = label.value  # closed vocabulary, never input
    return "(" + var + ":" + lb + " " + _key(key, value, source) + ")"


def find_node(
    var: LiteralString,
    label: Label,
    key: Key,
    value: LiteralString,
    source: LiteralString = "row.source",
) -> LiteralString:
    """Binds `var` (or null) to the node holding the key, or by an external key, to the
    survivor of a merged node that held it. Scope: `row`; `var` is the only new variable."""
    if key is Key.ID:
        return "OPTIONAL MATCH " + match_node(var, label, key, value, source) + " "
    held: LiteralString = var + "_held"
    merged: LiteralString = var + "_merged"
    return (
        "OPTIONAL MATCH " + match_node(held, label, key, value, source) + " "
        + merged_survivor(merged, label, _key(key, value, source), "row")
        + "WITH *, coalesce(" + held + ", " + merged + ") AS " + var + " "
    )  # fmt: skip


# Which keys of `row.props` differ from the stored entity `x` (a stored null differs).
_CHANGED: LiteralString = "[k IN keys(row.props) WHERE NOT coalesce(x[k] = row.props[k], false)]"


# What a batch did: how many entities it created, and the names of the fields it set.
_SUMMARY: LiteralString = (
    "WITH collect({created: created, changed: changed}) AS done "
    "RETURN size([d IN done WHERE d.created]) AS created, "
    "size([d IN done WHERE NOT d.created]) AS updated, "
    "reduce(s = [], d IN done | s + [f IN d.changed WHERE NOT f IN s]) AS fields"
)


# Who created a person, kept on the node (`createdBy`, the importing actor's id): one import
# audit event covers a whole batch, and a person with no employer yet is visible to their
# creator's scope (graph/access.py `_unplaced`), which reads this marker.
_CREATOR: dict[Label, LiteralString] = {Label.PERSON: ", x." + access.CREATED_BY + " = $actor"}


def _node_write(label: Label, key: Key) -> Cypher:
    creator = _CREATOR.get(label, "")
    on_create: LiteralString = (
        "ON CREATE SET x.id = row.id, x.version = 0, x.createdAt = datetime()" + creator + " "
        if key is Key.EXTERNAL
        else "ON CREATE SET x.version = 0, x.createdAt = datetime()" + creator + " "
    )
    value: LiteralString = "row.externalId" if key is Key.EXTERNAL else "row.id"
    # By an external key that a merge left on a MergedId, the survivor takes the row.
    found: LiteralString = (
        merged_survivor("merged", label, _key(key, value), "row")
        + "CALL (row, merged) { WITH row WHERE merged IS NULL MERGE "
        + match_node("x", label, key, value)
        + " "
        + on_create
        + "RETURN x UNION WITH merged WHERE merged IS NOT NULL RETURN merged AS x } "
        if key is Key.EXTERNAL
        else "MERGE " + match_node("x", label, key, value) + " " + on_create
    )
    return Cypher(
        f"transfer.node.{label.value}.{key.value}",
        "UNWIND $rows AS row " + found + "WITH x, row, x.version = 0 AS created "
        # A node just created differs in every key: no need to read them back.
        "WITH x, row, created, CASE WHEN created THEN keys(row.props) ELSE "
        + _CHANGED
        + " END + CASE WHEN row.secret IS NOT NULL AND NOT coalesce(x."
        + _DIGEST
        + " = row.secret."
        + _DIGEST
        + ", false) THEN ['idNumber'] ELSE [] END"
        " + CASE WHEN row.customer AND NOT x:Customer THEN ['customer'] ELSE [] END AS changed "
        "WITH x, row, created, changed WHERE created OR size(changed) > 0 "
        # A changed phone, e-mail or address is unverified again, as through the API.
        + history.unverify(label, "x", "row.props")
        + "SET x += row.props, x += coalesce(row.derived, {}), x.version = x.version + 1, "
        "x.updatedAt = datetime() "
        "FOREACH (_ IN CASE WHEN 'idNumber' IN changed THEN [1] ELSE [] END | "
        "SET x += row.secret) "
        "FOREACH (_ IN CASE WHEN row.customer THEN [1] ELSE [] END | SET x:Customer) " + _SUMMARY,
    )


NODE_WRITES: dict[tuple[Label, Key], Cypher] = {
    (label, key): _node_write(label, key) for label in EXPORT_LABELS for key in Key
}


def _held_by_another_type(rel: Rel) -> LiteralString:
    """Whether an edge of another type holds `row.id` (an index seek per type, as
    graph/relationship.py's look-up by id): a new edge with that id would make the id name two
    relationships (tester AT: a rep's SUPPLIES line took the id of another team's hidden
    WORKS_AT). Only for rows that would create an edge."""
    parts: list[LiteralString] = []
    for other in Rel:
        if other is not rel:
            t: LiteralString = other.value
            # The hint, as the statement's own look-up has it: without one the planner may
            # scan the type (measured: a first load's edges took four times as long).
            parts.append(
                "EXISTS { MATCH ()-[y:" + t + " {id: row.id}]->() "
                "USING INDEX SEEK y:" + t + "(id) }"
            )
    return " OR ".join(parts)


def _edge(rel: Rel, a: Label, b: Label, key: Key) -> Cypher:
    """One statement per batch: find both ends by the node key and any edge with the row's id,
    refuse what cannot be written, create the new edges, update the changed ones, and answer
    with one summary row. (A look-up that returned every row, then a write, cost two round
    trips and about 50 µs of driver time per row just to stream the look-up's records.)"""
    t: LiteralString = rel.value  # closed vocabulary, never input
    return Cypher(
        f"transfer.rel.{rel.value}.{a.value}.{b.value}.{key.value}",
        "UNWIND $rows AS row "
        + find_node("a", a, key, "row.from", "row.fromSource")
        + find_node("b", b, key, "row.to", "row.toSource")
        + "OPTIONAL CALL (row) { MATCH (s)-[x:"
        + t
        + " {id: row.id}]->(d) "
        "USING INDEX SEEK x:" + t + "(id) RETURN x, s.id AS was, d.id AS wasTo LIMIT 1 } "
        "WITH row, a, b, x, CASE WHEN a IS NULL THEN 'from' WHEN b IS NULL THEN 'to' "
        "WHEN a = b THEN 'loop' "
        "WHEN x IS NOT NULL AND (was <> a.id OR wasTo <> b.id) THEN 'moved' "
        "WHEN x IS NULL AND (" + _held_by_another_type(rel) + ") THEN 'moved' END AS refused "
        # New edges: MERGE, not CREATE, so that an import running beside this one cannot
        # create the same id twice (MERGE locks both ends).
        "CALL (row, a, b, x, refused) { WITH row, a, b WHERE refused IS NULL AND x IS NULL "
        "MERGE (a)-[n:" + t + " {id: row.id}]->(b) "
        "ON CREATE SET n += row.props, n.version = 1, n.createdAt = datetime(), "
        "n.updatedAt = datetime() } "
        "WITH row, x, refused, CASE WHEN refused IS NULL AND x IS NOT NULL THEN "
        + _CHANGED
        + " ELSE [] END AS changed "
        "CALL (row, x, changed) { WITH row, x WHERE size(changed) > 0 "
        "SET x += row.props, x.version = x.version + 1, x.updatedAt = datetime() } "
        "WITH collect(CASE WHEN refused IS NOT NULL THEN [row.n, refused] END) AS refusals, "
        "sum(CASE WHEN refused IS NULL AND x IS NULL THEN 1 ELSE 0 END) AS created, "
        "sum(CASE WHEN size(changed) > 0 THEN 1 ELSE 0 END) AS updated, "
        "collect(CASE WHEN refused IS NULL AND x IS NULL THEN keys(row.props) "
        "ELSE changed END) AS lists, "
        # The rows that created or changed an edge (CASE without ELSE: null, not collected),
        # which a hierarchy's loop check looks at.
        "collect(CASE WHEN refused IS NULL AND (x IS NULL OR size(changed) > 0) "
        "THEN row.id END) AS touched "
        "RETURN refusals, created, updated, "
        + ("touched, " if rel in ACYCLIC else "[] AS touched, ")
        + "reduce(s = [], fs IN lists | s + [f IN fs WHERE NOT f IN s]) AS fields",
    )


def _loops(rel: Rel) -> Cypher:
    """Of the edges `$ids` an import wrote, those on a loop of edges all valid on one day of
    the edge's own span: what linkNodes refuses as CYCLE (graph/relationship.py)."""
    t: LiteralString = rel.value
    return Cypher(
        f"transfer.loops.{rel.value}",
        "UNWIND $ids AS id MATCH (a)-[e:" + t + " {id: id}]->(b) "
        "WITH e, a, b, coalesce(e.since, " + ALWAYS + ") AS since, "
        "  coalesce(e.until, date('9999-12-31')) AS stop "
        "WHERE " + loop_back(rel, "a", "b", "e.id") + " RETURN e.id AS id",
    )


LOOPS: dict[Rel, Cypher] = {rel: _loops(rel) for rel in ACYCLIC}
LOOP_ROUNDS = 5


class _Looped(Exception):
    """Rolls a batch back: edges `ids` of it would close a loop."""

    def __init__(self, ids: set[str]) -> None:
        super().__init__(f"{len(ids)} edges on a loop")
        self.ids = ids


EDGE_WRITES: dict[tuple[Rel, Label, Label, Key], Cypher] = {
    (rel, a, b, key): _edge(rel, a, b, key)
    for rel in EXPORT_RELS
    for a in ENDPOINTS[rel][0]
    for b in ENDPOINTS[rel][1]
    for key in Key
}

BATCH_AUDIT = Cypher("transfer.audit", AUDIT)


@dataclass(frozen=True)
class Written:
    """What one batch did: entities created, and existing ones changed."""

    created: int = 0
    updated: int = 0


async def _audit(tx: Tx, audit: Audit, import_id: str, kind: str, fields: Sequence[str]) -> None:
    await tx.run(BATCH_AUDIT, audit.params(import_id, kind, [f for f in fields if f]))


async def write_nodes(
    db: Database, label: Label, key: Key, rows: Sequence[Row], audit: Audit, import_id: str
) -> Written:
    """Upsert one batch of `label` nodes in one transaction. Rows: `{id, source, externalId,
    props, secret (the protected ID number, or None), customer}`; `id` is used only when the
    node is created (Key.EXTERNAL) or is the key (Key.ID). A person created is marked as
    created by the audit's actor when that is a user (`createdBy`: the job's creator)."""

    async def work(tx: Tx) -> Written:
        # Only a user is a creator the visibility rule can match: the CLI's system actor
        # marks nothing, as the admin path's store files mark nothing.
        creator = None if audit.actor.id.startswith("system:") else audit.actor.id
        params = {"rows": list(rows), "actor": creator}
        out = (await tx.run(NODE_WRITES[(label, key)], params))[0]
        if out["fields"] or out["created"]:
            await _audit(tx, audit, import_id, label.value, out["fields"])
        return Written(out["created"], out["updated"])

    return await db.transaction(work)


def _existing(label: Label, key: Key) -> Cypher:
    value: LiteralString = "row.externalId" if key is Key.EXTERNAL else "row.id"
    return Cypher(
        f"transfer.existing.{label.value}.{key.value}",
        "UNWIND $rows AS row " + find_node("x", label, key, value) + "WITH row WHERE x IS NOT NULL "
        "RETURN row.n AS n",
    )


EXISTING: dict[tuple[Label, Key], Cypher] = {
    (label, key): _existing(label, key) for label in EXPORT_LABELS for key in Key
}


async def existing(db: Database, label: Label, key: Key, rows: Sequence[Row]) -> set[int]:
    """The numbers (`n`) of the node rows whose key is already in the database: each updates
    its node and creates none. Read over every node, whatever the importer's rights."""
    keys = [{k: row[k] for k in ("n", "id", "source", "externalId")} for row in rows]
    return {r["n"] for r in await db.read(EXISTING[(label, key)], {"rows": keys})}


def _lines(key: Key) -> Cypher:
    value: LiteralString = "row.externalId" if key is Key.EXTERNAL else "row.id"
    return Cypher(
        f"transfer.lines.{key.value}",
        "UNWIND $rows AS row " + find_node("x", Label.COMPANY, key, value) + "WITH row, x "
        "WHERE x IS NOT NULL AND " + access.visible_as("x", "Company") + " "
        "RETURN row.n AS n, x {.phone, .fax} AS lines",
    )


# The stored phone and fax of the companies a batch's rows name (vocab.DISTINCT_LINES).
LINES: dict[Key, Cypher] = {key: _lines(key) for key in Key}


async def stored_lines(
    db: Database, actor: Actor, key: Key, rows: Sequence[Row]
) -> dict[int, dict[str, Any]]:
    """The stored phone and fax of each company row's company that exists and `actor` may
    see, by the row's number (`n`): a row naming one it may not see is refused when written,
    and saying more would tell its numbers."""
    keys = [{k: row[k] for k in ("n", "id", "source", "externalId")} for row in rows]
    params = {"rows": keys, "acl": access.acl_params(actor)}
    return {r["n"]: r["lines"] for r in await db.read(LINES[key], params)}


@dataclass(frozen=True)
class EdgeRefusal:
    n: int  # the row's number, as the caller gave it in `n`
    part: str  # "from", "to" or "id"
    reason: str  # "missing", "moved", "loop" (to itself) or "cycle" (back through others)


# What the edge statement's refusal names: (the row's part, the reason).
_REFUSALS: dict[str, tuple[str, str]] = {
    "from": ("from", "missing"),
    "to": ("to", "missing"),
    "loop": ("to", "loop"),
    "moved": ("id", "moved"),
}


def _runs(rows: Sequence[Row]) -> Iterator[list[Row]]:
    """`rows` cut where an id comes back: within a run every id is new, so one statement's
    reads see each id before this batch wrote it, and a later row with an id written earlier
    in the batch updates it (or is refused, if its ends differ)."""
    run: list[Row] = []
    ids: set[str] = set()
    for row in rows:
        if row["id"] in ids:
            yield run
            run, ids = [], set()
        run.append(row)
        ids.add(row["id"])
    if run:
        yield run


async def write_edges(
    db: Database,
    rel: Rel,
    ends: tuple[Label, Label],
    key: Key,
    rows: Sequence[Row],
    audit: Audit,
    import_id: str,
) -> tuple[Written, list[EdgeRefusal]]:
    """Upsert one batch of `rel` edges in one transaction. Rows: `{n, id, from, fromSource,
    to, toSource, props}` with `from`/`to` naming the endpoints by the node key. Rows whose
    endpoint is missing, that join a node to itself, whose id already joins other endpoints,
    or (SUBSIDIARY_OF, REPORTS_TO) that would close a loop are refused (returned) and not
    written; the others are."""
    statement = EDGE_WRITES[(rel, ends[0], ends[1], key)]
    batch = list(rows)

    async def work(tx: Tx) -> tuple[Written, list[EdgeRefusal]]:
        created = updated = 0
        fields: set[str] = set()
        refused: list[EdgeRefusal] = []
        touched: list[str] = []
        if rel in ACYCLIC:  # serialised with linkNodes' own check of this type
            await tx.run(TYPE_LOCK[rel])
        for run in _runs(batch):
            out = (await tx.run(statement, {"rows": run}))[0]
            created += out["created"]
            updated += out["updated"]
            fields.update(out["fields"])
            touched += out["touched"]
            refused.extend(EdgeRefusal(n, *_REFUSALS[why]) for n, why in out["refusals"])
        if touched and (looped := await tx.run(LOOPS[rel], {"ids": touched})):
            raise _Looped({r["id"] for r in looped})
        if created or fields:
            await _audit(tx, audit, import_id, rel.value, sorted(fields))
        return Written(created, updated), sorted(refused, key=lambda r: r.n)

    # The store had no loop before, so every loop found passes through rows of this batch.
    # As linkNodes would, row after row, the last row on a loop is the one refused: the batch
    # is written again without it (taking an edge away closes no loop). After LOOP_ROUNDS
    # rounds every row still on a loop is refused at once, so a file of loops costs a few
    # rewrites of its batches, not one each.
    looping: list[EdgeRefusal] = []
    rounds = 0
    while True:
        try:
            written, refused = await db.transaction(work)
        except _Looped as loop:
            rounds += 1
            on_loop = [r for r in batch if r["id"] in loop.ids]
            gone = on_loop if rounds >= LOOP_ROUNDS else [max(on_loop, key=lambda r: r["n"])]
            looping += [EdgeRefusal(r["n"], "to", "cycle") for r in gone]
            ids = {r["id"] for r in gone}
            batch = [r for r in batch if r["id"] not in ids]
            continue
        return written, sorted(refused + looping, key=lambda r: r.n)


# Export: every node of a label, and every edge of a type, the viewer may see, by id pages.
def _node_page(label: Label) -> Cypher:
    lb: LiteralString = label.value
    # As the `people` list: also the viewer's scope's people with no employer yet.
    unplaced = label is Label.PERSON
    return Cypher(
        f"transfer.export.{label.value}",
        "MATCH (n:" + lb + ") WHERE n.id > $after AND " + visible("n", unplaced) + " "
        "WITH n ORDER BY n.id LIMIT $limit RETURN " + PROJECTION + " AS node",
    )


def _edge_page(rel: Rel) -> Cypher:
    t: LiteralString = rel.value
    return Cypher(
        f"transfer.export.{rel.value}",
        "MATCH (a)-[r:" + t + "]->(b) WHERE r.id > $after AND " + access.rel_visible("a", "b") + " "
        "WITH a, r, b ORDER BY r.id LIMIT $limit "
        "RETURN " + EDGE_PROJECTION + " AS edge, "
        "head([l IN labels(a) WHERE l IN ['Company', 'Person', 'Project', 'User']]) AS fromLabel, "
        "head([l IN labels(b) WHERE l IN ['Company', 'Person', 'Project', 'User']]) AS toLabel",
    )


NODE_PAGES: dict[Label, Cypher] = {label: _node_page(label) for label in EXPORT_LABELS}
EDGE_PAGES: dict[Rel, Cypher] = {rel: _edge_page(rel) for rel in EXPORT_RELS}
PAGE = 2000


async def export_nodes(db: Database, actor: Actor, label: Label, after: str) -> list[Row]:
    """The next page (up to PAGE) of `label` nodes the actor sees, with ids above `after`."""
    params = {"after": after, "limit": PAGE, "acl": access.acl_params(actor)}
    return [r["node"] for r in await db.read(NODE_PAGES[label], params)]


async def export_edges(db: Database, actor: Actor, rel: Rel, after: str) -> list[Row]:
    """The next page of `rel` edges whose both ends the actor sees, with endpoint labels."""
    params = {"after": after, "limit": PAGE, "acl": access.acl_params(actor)}
    rows = await db.read(EDGE_PAGES[rel], params)
    return [{**r["edge"], "fromLabel": r["fromLabel"], "toLabel": r["toLabel"]} for r in rows]


# Records in id order, whatever their kind (one statement to plan, one pass over the index).
RECORD_PAGE = Cypher(
    "transfer.export.records",
    "MATCH (r:Record)-[:ABOUT]->(acc) WHERE r.id > $after AND r.voidedAt IS NULL "
    "AND (acc:Company OR acc:Person) AND " + visible("acc") + " "
    "WITH r ORDER BY r.id LIMIT $limit "
    "RETURN " + RECORD + " AS record, "
    "head([(r)-[:NEXT_STEP]->(:FollowUp)-[:ASSIGNED_TO]->(u:User) | u.id]) AS assignee",
)


async def export_records(db: Database, actor: Actor, after: str) -> list[Row]:
    """The next page of records (not voided) about customers the actor sees, in id order,
    each with its next step's assignee (`nextAssignee`)."""
    params = {"after": after, "limit": PAGE, "acl": access.acl_params(actor)}
    rows = await db.read(RECORD_PAGE, params)
    return [{**r["record"], "nextAssignee": r["assignee"]} for r in rows]


# The product catalogue in id order: reference data every signed-in viewer reads (as the
# `products` query), archived products included.
PRODUCT_PAGE = Cypher(
    "transfer.export.products",
    "MATCH (p:Product) WHERE p.id > $after WITH p ORDER BY p.id LIMIT $limit "
    "RETURN p{.*} AS product",
)


async def export_products(db: Database, actor: Actor, after: str) -> list[Row]:
    """The next page of catalogue products, with ids above `after` (every viewer sees the
    whole catalogue, so `actor` narrows nothing)."""
    rows = await db.read(PRODUCT_PAGE, {"after": after, "limit": PAGE})
    return [r["product"] for r in rows]
