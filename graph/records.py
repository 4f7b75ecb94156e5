"""Records over time (R11-R13): what was said, bought, paid, delivered, complained about.

A record is a `:Record` node with its kind's label (graph.vocab.RecordKind), linked into the
graph:
- `(r)-[:ABOUT]->(customer)`: exactly one, a `:Customer` company or person;
- `(r)-[:INVOLVES]->(:Person)`: the customer's people who took part;
- `(r)-[:STAFFED_BY]->(:User)`: our staff;
- `(r)-[:IN_PROJECT]->(:Project)`: the project (a project for the same customer);
- an order's lines: `(order)-[:LINE {position, quantity, unitPriceCents, amountCents}]->
  (:Product)`; payments and deliveries: `(r)-[:AGAINST]->(:Order)`;
- an interaction's next step: `(r)-[:NEXT_STEP]->(:FollowUp)-[:ABOUT]->(customer)`, assigned
  by `(:FollowUp)-[:ASSIGNED_TO]->(:User)`.

Access follows the customer (graph/access.py): a record is visible where its customer is, and
changed where its customer may be edited (read-only shares, AUDITOR and ANALYST never write).
A record's contacts are listed only where the viewer sees those people too.

Money is stored in integer cents with an ISO 4217 currency (no float rounding in sums); a
quantity is a number. Records are never deleted through the API: `void` marks them with a
reason (audited), and voided records drop out of the timeline and of the computed figures.

Upserts: a record with `externalSource` and `externalId` is keyed by `extKey` (kind, source,
id; unique); saving the same key again replaces its content, and saving identical content
again changes nothing (the stored `digest` of the normalised input says so).

The customer figures (R9, "system-generated") are computed on read from the records, in one
statement for a whole page of customers (`figures`): always exact, concurrent writes
included, and no second copy to keep in step (docs/DECISIONS.md has the measurements).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, LiteralString, NotRequired, TypedDict

from graph import access, clock, pages
from graph.actor import Actor, of_user
from graph.cypher import counts
from graph.db import Cypher, Database, Tx, native
from graph.nodes import AUDIT, PROJECTION, Audit, new_id
from graph.refusal import Part, Refusal
from graph.rows import NodeRow
from graph.share import ACCOUNT, check_account
from graph.vocab import RecordKind

# Caps: list sizes a record may carry, and how far a group timeline reaches.
MAX_CONTACTS = 20
MAX_STAFF = 10
MAX_LINES = 100
GROUP_DEPTH = 6
GROUP_COMPANIES = 500
# Purchase windows of the computed figures, in days (0: all time).
WINDOWS: tuple[int, ...] = (30, 90, 365, 0)


class RecordRow(TypedDict):
    """RECORD: a record's stored properties with what it links to."""

    id: str
    kind: str
    version: int
    occurredAt: Any
    customer: NodeRow
    contacts: list[NodeRow]
    staff: list[NodeRow]
    project: NodeRow | None
    lines: list[dict[str, Any]]
    followUps: list[dict[str, Any]]
    order: dict[str, Any] | None
    voidedAt: NotRequired[Any]
    answers: NotRequired[str]  # surveys: JSON text
    employer: NotRequired[NodeRow | None]  # person timelines: the employer at the time


class FollowUpRow(TypedDict):
    id: str
    status: str
    action: str
    dueAt: Any
    version: int
    customer: NodeRow
    assignee: NodeRow | None
    recordId: str | None


class ProductRow(TypedDict):
    id: str
    sku: str
    name: str
    version: int


# --- Projections ------------------------------------------------------------------------------
def _node(pattern: LiteralString) -> LiteralString:
    """The first node `n` a pattern from `r` reaches, as a node row (null when none)."""
    return "head([(r)" + pattern + " | " + PROJECTION + "])"


FOLLOW_UP: LiteralString = (
    "f{.*, customer: head([(f)-[:ABOUT]->(n) | " + PROJECTION + "]), "
    "assignee: head([(f)-[:ASSIGNED_TO]->(n:User) | " + PROJECTION + "]), "
    "recordId: head([(f)<-[:NEXT_STEP]-(x:Record) | x.id])}"
)


def _record(extra: LiteralString = "") -> LiteralString:
    """Record `r` as a RecordRow; `extra` adds entries (`, key: expression`)."""
    return (
        "r{.*, digest: null, extKey: null, "
        # Knowledge marks a record as team knowledge (graph/knowledge.py); it is no kind.
        "__typename: head([x IN labels(r) WHERE x <> 'Record' AND x <> 'Knowledge']), "
        "customer: " + _node("-[:ABOUT]->(n)") + ", "
        "contacts: [(r)-[:INVOLVES]->(n:Person) WHERE " + access.visible_as("n", "Person")
        + " | " + PROJECTION + "][.." + str(MAX_CONTACTS) + "], "
        "staff: [(r)-[:STAFFED_BY]->(n:User) | " + PROJECTION + "][.." + str(MAX_STAFF) + "], "
        "project: " + _node("-[:IN_PROJECT]->(n:Project)") + ", "
        "lines: [(r)-[l:LINE]->(p:Product) | l{.*, product: p{.*}}], "
        "followUps: [(r)-[:NEXT_STEP]->(f:FollowUp) | " + FOLLOW_UP + "], "
        "order: head([(r)-[:AGAINST]->(o:Order) | o{.id, .orderNo, .amountCents, .currency}])"
        + extra + "}"
    )  # fmt: skip


RECORD = _record()

# --- Writes -----------------------------------------------------------------------------------
_EXISTING: LiteralString = (
    "{id: e.id, kind: e.kind, version: e.version, digest: e.digest, "
    "source: e.externalSource, external: e.externalId, voided: e.voidedAt IS NOT NULL, "
    "customerId: a.id, visible: " + access.visible("a") + ", "
    "paidIn: [(e)<-[:AGAINST]-(p:Payment) WHERE p.voidedAt IS NULL | p.currency], "
    "nextStep: head([(e)-[:NEXT_STEP]->(f) | f{.status, .action, .dueAt}])}"
)
# What the write refers to, checked in the write transaction after the account's lock: the
# ids that do not exist (or that the viewer may not see), the order a payment or delivery is
# against, and the record the write replaces (by id, or by its source key).
REFS = Cypher(
    "records.refs",
    "RETURN [x IN $contacts WHERE NOT EXISTS { MATCH (c:Person {id: x}) WHERE "
    + access.visible_as("c", "Person") + " }] AS contacts, "
    "[x IN $staff WHERE NOT EXISTS { MATCH (u:User {id: x}) WHERE u.archivedAt IS NULL }] "
    "AS staff, "
    "[x IN $projectIds WHERE NOT EXISTS { MATCH (:Project {id: x})-[:FOR]->(a) "
    "WHERE a.id = $account }] AS projects, "
    # A product archived after the order's date still takes it (an import of past orders).
    "[x IN $products WHERE NOT EXISTS { MATCH (p:Product {id: x}) "
    "WHERE p.archivedAt IS NULL OR p.archivedAt > $occurredAt }] AS products, "
    "head([(o:Record {id: $order})-[:ABOUT]->(a) WHERE o:Order | {customerId: a.id, "
    "currency: o.currency, voided: o.voidedAt IS NOT NULL}]) AS order, "
    "head([(e:Record {id: $id})-[:ABOUT]->(a) | " + _EXISTING + "] "
    "+ [(e:Record {extKey: $extKey})-[:ABOUT]->(a) | " + _EXISTING + "]) AS existing",
)  # fmt: skip


# A save by a viewer replaces only the contacts and projects it sees: the others stay linked
# (it was not shown them, so leaving them out is no wish to remove them).
_KEEP_HIDDEN: LiteralString = (
    " WHERE NOT ((type(x) = 'INVOLVES' AND NOT " + access.visible_as("t", "Person") + ") "
    "OR (type(x) = 'IN_PROJECT' AND NOT " + access.visible_as("t", "Project") + "))"
)  # fmt: skip


def _write(kind: RecordKind, src: LiteralString, kept: LiteralString = "") -> LiteralString:
    """Write record `r` about account `acc` with its links, reading each value from `src`:
    `$` for one record's parameters, `row.` for a batch row; `kept`: which old links stay."""
    label: LiteralString = kind.value  # closed vocabulary, never input
    return (
        "MERGE (r:Record {id: " + src + "id}) "
        "ON CREATE SET r:" + label + ", r.kind = '" + label + "', r.version = 0, "
        "r.createdAt = datetime(), r.createdBy = $actor "
        "SET r += " + src + "props, r.version = r.version + 1, r.updatedAt = datetime(), "
        "r.digest = " + src + "digest "
        "MERGE (r)-[:ABOUT]->(acc) "
        # Replacing content replaces the links too.
        "WITH * CALL (r) { MATCH (r)-[x:INVOLVES|STAFFED_BY|IN_PROJECT|LINE|AGAINST]->(t)"
        + kept + " DELETE x } "
        "CALL (*) { UNWIND " + src + "contacts AS x MATCH (p:Person {id: x}) "
        "  MERGE (r)-[:INVOLVES]->(p) } "
        "CALL (*) { UNWIND " + src + "staff AS x MATCH (u:User {id: x}) "
        "  MERGE (r)-[:STAFFED_BY]->(u) } "
        "CALL (*) { UNWIND " + src + "projectIds AS x MATCH (p:Project {id: x}) "
        "  MERGE (r)-[:IN_PROJECT]->(p) } "
        "CALL (*) { UNWIND " + src + "lines AS x MATCH (p:Product {id: x.product}) "
        "  CREATE (r)-[l:LINE]->(p) SET l = x.props } "
        "CALL (*) { UNWIND " + src + "orders AS x MATCH (o:Record {id: x}) WHERE o:Order "
        "  MERGE (r)-[:AGAINST]->(o) } "
        # A next step keeps its id across saves: saving again updates it while it is open.
        "CALL (*) { UNWIND " + src + "followUps AS x "
        "  MERGE (f:FollowUp {id: x.id}) ON CREATE SET f.status = 'OPEN', f.version = 0, "
        "  f.createdAt = datetime() "
        "  WITH * WHERE f.status = 'OPEN' "
        "  SET f += x.props, f.version = f.version + 1, f.updatedAt = datetime() "
        "  MERGE (r)-[:NEXT_STEP]->(f) MERGE (f)-[:ABOUT]->(acc) "
        "  WITH * CALL (f) { MATCH (f)-[old:ASSIGNED_TO]->() DELETE old } "
        "  MATCH (u:User {id: x.assignee}) MERGE (f)-[:ASSIGNED_TO]->(u) } "
    )  # fmt: skip


def _save(kind: RecordKind) -> Cypher:
    return Cypher(
        f"records.save.{kind.name.lower()}",
        ACCOUNT
        + _write(kind, "$", _KEEP_HIDDEN)
        + "WITH r "
        + AUDIT
        + " RETURN "
        + RECORD
        + " AS record",
    )


def _load(kind: RecordKind) -> Cypher:
    """Many records of one kind at once (demo data, imports): rows of the `$` parameters of
    SAVE, with `account` and a `digest` of the content (`row_digest`); no audit event per
    row (the caller writes one for the batch). Returns how many rows were written."""
    return Cypher(
        f"records.load.{kind.name.lower()}",
        "UNWIND $rows AS row "
        # A row whose content is stored already is skipped: loading again changes nothing.
        "OPTIONAL MATCH (old:Record {id: row.id}) "
        "WITH row WHERE old IS NULL OR old.digest <> row.digest "
        "CALL (row) { MATCH (acc:Company {id: row.account}) RETURN acc "
        "  UNION MATCH (acc:Person {id: row.account}) RETURN acc } "
        + _write(kind, "row.") + "RETURN count(DISTINCT r) AS n",
    )  # fmt: skip


SAVE = {kind: _save(kind) for kind in RecordKind}
LOAD = {kind: _load(kind) for kind in RecordKind}
# Content digests computed afresh (resolvers/transfer_records.py settle_digests): a bulk
# load's own digest is not the one saveRecord and the import compare.
SET_DIGESTS = Cypher(
    "records.set_digests",
    "UNWIND $rows AS row MATCH (r:Record {id: row.id}) SET r.digest = row.digest "
    "RETURN count(r) AS n",
)


async def set_digests(db: Database, rows: list[dict[str, str]], audit: Audit) -> int:
    """Store each row's `digest` on its record (`id`); bookkeeping, not a change of content:
    no version, no audit event (`audit` names who asked, for the layering rule)."""
    if not audit.actor.scope.edit_all:
        return 0
    done = await db.transaction(lambda tx: tx.run(SET_DIGESTS, {"rows": rows}))
    return int(done[0]["n"])


FIND = Cypher(
    "records.find",
    "UNWIND $ids AS key MATCH (r:Record {id: key})-[:ABOUT]->(acc) WHERE "
    + access.visible("acc") + " RETURN key, " + RECORD + " AS record",
)  # fmt: skip


# Customers by their id in a source system (imports name them so): each key with the ids of
# the companies and people the viewer sees that carry it (two: the key is ambiguous).
BY_EXTERNAL = Cypher(
    "records.customers_by_external",
    "UNWIND $ids AS key "
    "CALL (key) { MATCH (acc:Company {externalSource: $source, externalId: key}) RETURN acc "
    "  UNION MATCH (acc:Person {externalSource: $source, externalId: key}) RETURN acc "
    # ... or the survivor of a merged one that held the key (graph/merge.py)
    "  UNION MATCH (:MergedId {externalSource: $source, externalId: key})-[:MERGED_INTO]->(acc) "
    "  WHERE NOT EXISTS { MATCH (:Company {externalSource: $source, externalId: key}) } "
    "  AND NOT EXISTS { MATCH (:Person {externalSource: $source, externalId: key}) } "
    "  RETURN acc } "
    "WITH key, acc WHERE " + access.visible("acc") + " "
    "RETURN key, collect(acc.id) AS found",
)  # fmt: skip


def _verdict(v: LiteralString, closed: LiteralString) -> LiteralString:
    """The verdict on changing `v` (bound, or null when missing) whose customer is `n`:
    missing (or invisible), forbidden, ended (`closed` holds), conflict or ok."""
    return (
        "CASE WHEN " + v + " IS NULL OR NOT " + access.visible("n") + " THEN 'missing' "
        "WHEN NOT " + access.editable("n") + " THEN 'forbidden' "
        "WHEN " + closed + " THEN 'ended' "
        "WHEN $expectedVersion IS NOT NULL AND " + v + ".version <> $expectedVersion "
        "THEN 'conflict' ELSE 'ok' END AS verdict "
    )


# Takes `v`'s write lock before the verdict reads it, so of two concurrent closes or voids
# the second sees the first's and is refused (ENDED), instead of both "succeeding".
def _lock(v: LiteralString) -> LiteralString:
    return (
        "CALL (" + v + ") { WITH " + v + " WHERE " + v + " IS NOT NULL "
        "SET " + v + ".__lock = true REMOVE " + v + ".__lock } "
    )


# Void: the verdict on the record's customer, then the void with its audit event; open
# follow-ups of a voided record are cancelled with it. An order with live payments or
# deliveries against it is in use: voiding it dropped the money received out of every figure
# (tester AV); they are voided first. The customer's lock comes first, as a save takes it
# (graph/share.py check_account): a payment saved meanwhile waits, then finds the order voided.
VOID = Cypher(
    "records.void",
    "OPTIONAL MATCH (r:Record {id: $id})-[:ABOUT]->(n) " + _lock("n") + _lock("r")
    + "WITH r, n, " + _verdict("r", "r.voidedAt IS NOT NULL")
    + "WITH r, CASE WHEN verdict = 'ok' AND EXISTS { MATCH (r)<-[:AGAINST]-(x:Record) "
    "  WHERE x.voidedAt IS NULL } THEN 'in_use' ELSE verdict END AS verdict "
    "CALL (r, verdict) { WITH r WHERE verdict = 'ok' "
    "  SET r.voidedAt = datetime(), r.voidReason = $reason, r.voidedBy = $actor, "
    "  r.version = r.version + 1, r.updatedAt = datetime() "
    "  WITH r OPTIONAL MATCH (r)-[:NEXT_STEP]->(f:FollowUp {status: 'OPEN'}) "
    "  SET f.status = 'CANCELLED', f.closedAt = datetime(), f.closedBy = $actor, "
    "  f.outcome = $reason, f.version = f.version + 1, f.updatedAt = datetime() "
    "  WITH DISTINCT r " + AUDIT + " } "
    # `n` (the customer) leaves scope: the projection's own patterns bind `n` afresh.
    "WITH r, verdict "
    "RETURN verdict, r.version AS version, CASE WHEN verdict = 'ok' THEN " + RECORD
    + " END AS record",
)  # fmt: skip

CLOSE_FOLLOW_UP = Cypher(
    "records.close_follow_up",
    "OPTIONAL MATCH (f:FollowUp {id: $id})-[:ABOUT]->(n) " + _lock("f")
    + "WITH f, n, " + _verdict("f", "f.status <> 'OPEN'")
    + "CALL (f, verdict) { WITH f WHERE verdict = 'ok' "
    "  SET f.status = $status, f.closedAt = datetime(), f.closedBy = $actor, "
    "  f.outcome = $outcome, f.version = f.version + 1, f.updatedAt = datetime() "
    "  WITH f " + AUDIT + " } "
    "WITH f, verdict "
    "RETURN verdict, f.version AS version, CASE WHEN verdict = 'ok' THEN " + FOLLOW_UP
    + " END AS followUp",
)  # fmt: skip

# --- Reads ------------------------------------------------------------------------------------
# A party by id: a company or a person, through the per-label indexes.
PARTY: LiteralString = (
    "CALL () { MATCH (acc:Company {id: $party}) RETURN acc "
    "UNION MATCH (acc:Person {id: $party}) RETURN acc } "
)
# Records of the party: about it, about its subsidiaries (group timelines), and those a
# person took part in, for any customer the viewer sees.
_ABOUT: LiteralString = "MATCH (r:Record)-[:ABOUT]->(acc) RETURN r "
# Every company on the way down must be visible too, as in the maps: a subsidiary reached only
# through a hidden one is not the viewer's group (its records would tell the hidden link).
_GROUP: LiteralString = (
    "UNION CALL (acc) { MATCH g = (acc)<-[:SUBSIDIARY_OF*1.." + str(GROUP_DEPTH) + "]-(c:Company) "
    "WHERE all(x IN nodes(g) WHERE x = acc OR " + access.visible_as("x", "Company") + ") "
    "RETURN DISTINCT c LIMIT " + str(GROUP_COMPANIES) + " } "
    "MATCH (r:Record)-[:ABOUT]->(c) RETURN r "
)  # fmt: skip
_TOOK_PART: LiteralString = (
    "UNION MATCH (acc:Person)<-[:INVOLVES]-(r:Record)-[:ABOUT]->(c) WHERE "
    + access.visible("c")
    + " RETURN r "
)
_FILTER: LiteralString = (
    "WITH DISTINCT acc, r WHERE ($kinds IS NULL OR r.kind IN $kinds) "
    "AND ($voided OR r.voidedAt IS NULL) "
    "AND ($from IS NULL OR r.occurredAt >= $from) AND ($to IS NULL OR r.occurredAt < $to) "
    "AND ($staffId IS NULL OR EXISTS { MATCH (r)-[:STAFFED_BY]->(:User {id: $staffId}) }) "
    "AND ($projectId IS NULL OR EXISTS { MATCH (r)-[:IN_PROJECT]->(:Project {id: $projectId}) }) "
)
# The employer of a person party when the record happened.
_EMPLOYER: LiteralString = (
    "CASE WHEN acc:Person THEN head([(acc)-[w:WORKS_AT]->(n:Company) WHERE "
    "(w.since IS NULL OR w.since <= date(r.occurredAt)) AND "
    "(w.until IS NULL OR w.until > date(r.occurredAt)) | " + PROJECTION + "]) END"
)


# An imported record keeps its id, any text: ids compare as ORDER BY sorts them.
_ID_BEFORE = pages.text_after("r.id", "afterId", "<")


def _timeline(group: bool) -> tuple[Cypher, Cypher]:
    name = "group" if group else "party"
    records: LiteralString = (
        PARTY + "WITH acc WHERE " + access.visible("acc") + " "
        "CALL (acc) { " + _ABOUT + (_GROUP if group else "") + _TOOK_PART + "} " + _FILTER
    )
    page = Cypher(
        f"records.timeline.{name}",
        records + "AND ($afterAt IS NULL OR r.occurredAt < datetime($afterAt) "
        "OR (r.occurredAt = datetime($afterAt) AND " + _ID_BEFORE + ")) "
        "WITH acc, r ORDER BY r.occurredAt DESC, r.id DESC LIMIT $limit "
        "RETURN " + _record(", employer: " + _EMPLOYER) + " AS record",
    )
    count = Cypher(f"records.timeline.{name}.count", records + "RETURN count(r) AS total")
    return page, count


TIMELINE = {group: _timeline(group) for group in (False, True)}

FOLLOW_UPS: LiteralString = (
    "MATCH (f:FollowUp)-[:ABOUT]->(c) WHERE ($status IS NULL OR f.status = $status) "
    "AND ($dueBefore IS NULL OR f.dueAt < $dueBefore) "
    "AND ($customerId IS NULL OR c.id = $customerId) "
    "AND ($assignee IS NULL OR EXISTS { MATCH (f)-[:ASSIGNED_TO]->(:User {id: $assignee}) }) "
    "AND " + access.visible("c") + " "
)
FOLLOW_UP_PAGE = Cypher(
    "records.follow_ups",
    FOLLOW_UPS + "AND ($afterAt IS NULL OR f.dueAt > datetime($afterAt) "
    "OR (f.dueAt = datetime($afterAt) AND f.id > $afterId)) "
    "WITH f ORDER BY f.dueAt, f.id LIMIT $limit RETURN " + FOLLOW_UP + " AS followUp",
)
FOLLOW_UP_COUNT = Cypher("records.follow_ups.count", FOLLOW_UPS + "RETURN count(f) AS total")


def _window(days: int) -> LiteralString:
    """Sums over a customer's orders `o` (age in days `age`) within the last `days`."""
    d: LiteralString = str(days)  # a code constant
    within: LiteralString = "true" if days == 0 else "age < " + d
    return (
        "sum(CASE WHEN " + within + " THEN 1 ELSE 0 END) AS n" + d + ", "
        "sum(CASE WHEN " + within + " THEN o.amountCents ELSE 0 END) AS a" + d + ", "
        "sum(CASE WHEN " + within + " THEN o.quantity ELSE 0 END) AS q" + d
    )


# The computed profile of each customer in `$ids` the viewer sees: one statement for a page.
FIGURES = Cypher(
    "records.figures",
    "UNWIND $ids AS key "
    "CALL (key) { MATCH (acc:Company {id: key}) RETURN acc "
    "  UNION MATCH (acc:Person {id: key}) RETURN acc } "
    "WITH key, acc WHERE acc:Customer AND " + access.visible("acc") + " "
    # Orders up to now (one dated ahead is not a purchase yet), aged in business days
    # (graph/clock.py) whatever offset they were saved with.
    "CALL (acc) { MATCH (acc)<-[:ABOUT]-(o:Order) WHERE " + counts("o") + " "
    # Payments up to now, too: one dated ahead has not been received yet.
    "  CALL (o) { OPTIONAL MATCH (o)<-[:AGAINST]-(p:Payment) WHERE " + counts("p") + " "
    "    RETURN coalesce(sum(p.amountCents), 0) AS paid } "
    "  WITH o, o.amountCents - paid AS open, duration.inDays("
    "  date(datetime({datetime: o.occurredAt, timezone: $zone})), date({timezone: $zone})"
    "  ).days AS age "
    "  WITH o.currency AS currency, count(o) AS orders, "
    "  min(o.occurredAt) AS firstAt, max(o.occurredAt) AS lastAt, "
    + ", ".join(_window(d) for d in WINDOWS) + ", "
    "  sum(CASE WHEN open > 0 THEN open ELSE 0 END) AS receivable, "
    "  sum(CASE WHEN open < 0 THEN -open ELSE 0 END) AS overpaid, "
    "  sum(CASE WHEN open > 0 AND o.paymentDueOn < date({timezone: $zone}) THEN open ELSE 0 END) "
    "  AS overdue "
    "  RETURN collect({currency: currency, orders: orders, firstAt: firstAt, lastAt: lastAt, "
    + ", ".join("n" + str(d) + ": n" + str(d) + ", a" + str(d) + ": a" + str(d) + ", q"
                + str(d) + ": q" + str(d) for d in WINDOWS)
    + ", receivable: receivable, overdue: overdue, overpaid: overpaid}) AS money } "
    "CALL (acc) { OPTIONAL MATCH (acc)<-[:ABOUT]-(i:Interaction) WHERE i.voidedAt IS NULL "
    "  AND i.occurredAt <= datetime() "
    "  WITH i ORDER BY i.occurredAt DESC LIMIT 1 "
    "  RETURN i.occurredAt AS lastInteractionAt, i.channel AS lastInteractionChannel } "
    "CALL (acc) { OPTIONAL MATCH (acc)<-[:ABOUT]-(v:VisitPlan) WHERE v.voidedAt IS NULL "
    "  AND v.status = 'PLANNED' AND v.occurredAt >= datetime() "
    "  WITH v ORDER BY v.occurredAt LIMIT 1 RETURN v.occurredAt AS nextVisitAt } "
    "CALL (acc) { OPTIONAL MATCH (acc)<-[:ABOUT]-(s:Survey) WHERE s.voidedAt IS NULL "
    "  RETURN avg(s.score) AS satisfaction, count(s) AS surveys } "
    "RETURN key, money, lastInteractionAt, lastInteractionChannel, nextVisitAt, "
    "satisfaction, surveys, "
    "COUNT { (acc)<-[:ABOUT]-(f:FollowUp {status: 'OPEN'}) } AS openFollowUps, "
    "COUNT { (acc)<-[:ABOUT]-(f:FollowUp {status: 'OPEN'}) WHERE f.dueAt < datetime() } "
    "AS overdueFollowUps, "
    "COUNT { (acc)<-[:ABOUT]-(s:ServiceCase) WHERE s.voidedAt IS NULL "
    "  AND s.category = 'COMPLAINT' AND s.status IN ['OPEN', 'IN_PROGRESS'] } "
    "AS openComplaints",
)  # fmt: skip

# --- Products ---------------------------------------------------------------------------------
PRODUCT_SAVE = Cypher(
    "records.product.save",
    "MERGE (p:Product {id: $id}) ON CREATE SET p.version = 0, p.createdAt = datetime() "
    "SET p += $props, p.version = p.version + 1, p.updatedAt = datetime() "
    "WITH p " + AUDIT + " RETURN p{.*} AS product",
)
PRODUCT_LOAD = Cypher(
    "records.product.load",
    "UNWIND $rows AS row MERGE (p:Product {id: row.id}) ON CREATE SET p += row.props, "
    "p.version = 1, p.createdAt = datetime(), p.updatedAt = datetime() RETURN count(p) AS n",
)
PRODUCT_VERSION = Cypher(
    "records.product.version",
    "MATCH (p:Product {id: $id}) SET p.__lock = true REMOVE p.__lock RETURN p.version AS version",
)
PRODUCT_FILTER: LiteralString = (
    "MATCH (p:Product) WHERE ($archived OR p.archivedAt IS NULL) "
    "AND ($text IS NULL OR toLower(p.name) CONTAINS $text OR toLower(p.sku) STARTS WITH $text "
    "OR toLower(p.category) CONTAINS $text) "
)
PRODUCT_PAGE = Cypher(
    "records.products",
    PRODUCT_FILTER
    + "AND ($afterName IS NULL OR "
    + pages.text_after("p.name", "afterName", ">", pages.text_after("p.id", "afterId", ">"))
    + ") WITH p ORDER BY p.name, p.id LIMIT $limit RETURN p{.*} AS product",
)
PRODUCT_COUNT = Cypher("records.products.count", PRODUCT_FILTER + "RETURN count(p) AS total")
PRODUCTS_BY_ID = Cypher(
    "records.products.by_id",
    "UNWIND $ids AS key MATCH (p:Product {id: key}) RETURN key, p{.*} AS product",
)


def follow_up_id(record_id: str) -> str:
    """The id of a record's next step (one per record)."""
    return str(uuid.uuid5(FOLLOW_UPS_NS, record_id))


FOLLOW_UPS_NS = uuid.UUID("6c0b8f3e-2d4a-4f1b-9e7a-5d3c2b1a0f9e")


def row_digest(row: dict[str, Any]) -> str:
    """What identifies a LOAD row's content (its own digest left out)."""
    body = {k: v for k, v in row.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- Repository -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Save:
    """A normalised record write: what the resolver validated, in storage terms."""

    kind: RecordKind
    customer: str
    props: dict[str, Any]
    digest: str
    record_id: str | None = None  # replace this record (with `expected_version`)
    # The id a new record gets (an import of an export keeps its ids); saving again updates it.
    create_id: str | None = None
    expected_version: int | None = None
    ext_key: str | None = None
    contacts: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # {product, props}
    order: str | None = None  # payments and deliveries
    follow_ups: list[dict[str, Any]] = field(default_factory=list)  # {props, assignee}
    # The digest of this content under a record's source key (externalSource, externalId):
    # a replacement by id keeps the record's key, which its input leaves out.
    redigest: Callable[[str | None, str | None], str] | None = None


@dataclass(frozen=True)
class SaveResult:
    record: RecordRow | None = None
    created: bool = False
    changed: bool = False
    refusal: Refusal | None = None
    part: Part | None = None
    missing: list[str] = field(default_factory=list)  # ids that do not exist (part given)
    currency: str | None = None  # on a mismatch: a payment's order's, or an order's payments'
    unknown: dict[Part, list[str]] = field(default_factory=dict)  # every part's missing ids
    current_version: int | None = None


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal | None
    row: Any = None
    current_version: int | None = None


def _refusal_of(verdict: str) -> Refusal | None:
    return {
        "missing": Refusal.NOT_FOUND,
        "forbidden": Refusal.FORBIDDEN,
        "ended": Refusal.ENDED,
        "conflict": Refusal.CONFLICT,
        "in_use": Refusal.IN_USE,
    }.get(verdict)


# The references REFS checks, by the part of the write they are.
REF_PARTS = ((Part.CONTACTS, "contacts"), (Part.STAFF, "staff"), (Part.PROJECT, "projects"),
             (Part.PRODUCTS, "products"))  # fmt: skip


async def unknown_refs(
    db: Database,
    actor: Actor,
    account: str,
    given: dict[Part, list[str]],
    order: str | None,
    at: Any,
) -> dict[Part, list[str]]:
    """Of the ids a record write names, those that do not exist (or the actor may not see),
    by part; Part.ORDER when `order` is no order of `account`. For input refused before any
    write, so that it is refused with every problem at once."""
    params = {
        "account": account,
        "contacts": given.get(Part.CONTACTS, []),
        "staff": given.get(Part.STAFF, []),
        "projectIds": given.get(Part.PROJECT, []),
        "products": sorted(set(given.get(Part.PRODUCTS, []))),
        "occurredAt": at,
        "order": order,
        "id": None,
        "extKey": None,
        "acl": access.acl_params(actor),
    }
    refs = (await db.read(REFS, params))[0]
    out = {part: refs[key] for part, key in REF_PARTS if refs[key]}
    if order is not None and (refs["order"] is None or refs["order"]["customerId"] != account):
        out[Part.ORDER] = [order]
    return out


async def save(db: Database, s: Save, audit: Audit) -> SaveResult:
    """Create, upsert or replace a record, once the actor may change its customer; typed
    refusals otherwise, with nothing written."""

    async def work(tx: Tx) -> SaveResult:
        refusal, _ = await check_account(tx, audit.actor, s.customer)
        if refusal is not None:
            return SaveResult(refusal=refusal, part=Part.ACCOUNT)
        refs = (await tx.run(REFS, _refs(s, audit.actor)))[0]
        if unknown := {part: refs[key] for part, key in REF_PARTS if refs[key]}:
            first = next(iter(unknown))  # every part's, to report every problem at once
            return SaveResult(refusal=Refusal.NOT_FOUND, part=first, missing=unknown[first],
                              unknown=unknown)  # fmt: skip
        if s.order is not None:
            order = refs["order"]
            if order is None or order["customerId"] != s.customer:
                return SaveResult(refusal=Refusal.NOT_FOUND, part=Part.ORDER)
            if order["voided"]:
                return SaveResult(refusal=Refusal.ENDED, part=Part.ORDER)
            # A payment is in its order's currency; a delivery carries no amount.
            if s.kind is RecordKind.PAYMENT and order["currency"] != s.props.get("currency"):
                return SaveResult(refusal=Refusal.MISMATCH, part=Part.ORDER,
                                  currency=order["currency"])  # fmt: skip
        existing = refs["existing"]
        record_id = s.record_id or s.create_id or new_id()
        if s.record_id is not None and existing is None:
            return SaveResult(refusal=Refusal.NOT_FOUND, part=Part.RECORD)
        if existing is not None:
            # A record the viewer may not see is, by id, a missing one; by its key, only
            # "another customer's" (a key is unique, so that much cannot be hidden), never its
            # kind.
            if not existing["visible"]:
                refusal = Refusal.NOT_FOUND if s.record_id is not None else Refusal.WRONG_LABEL
                return SaveResult(refusal=refusal, part=Part.RECORD)
            if existing["kind"] != s.kind.value or existing["customerId"] != s.customer:
                return SaveResult(refusal=Refusal.WRONG_LABEL, part=Part.RECORD)
            if existing["voided"]:
                return SaveResult(refusal=Refusal.ENDED, part=Part.RECORD)
            version = existing["version"]
            if s.expected_version is not None and version != s.expected_version:
                return SaveResult(refusal=Refusal.CONFLICT, part=Part.VERSION,
                                  current_version=version)  # fmt: skip
            # The payments against an order are in its currency (checked as each is saved):
            # a new currency would leave them in the old one, yet netted off the receivable.
            paid_in = sorted(set(existing["paidIn"]) - {s.props.get("currency")})
            if s.kind is RecordKind.ORDER and paid_in:
                return SaveResult(refusal=Refusal.MISMATCH, part=Part.RECORD, currency=paid_in[0])
            record_id = existing["id"]
            same = existing["digest"] == s.digest
            if not same and s.record_id is not None and s.redigest is not None:
                same = existing["digest"] == s.redigest(existing["source"], existing["external"])
            if same:  # the same content again: nothing to write
                rows = await tx.run(
                    FIND, {"ids": [record_id], "acl": access.acl_params(audit.actor)}
                )
                return SaveResult(record=rows[0]["record"])
            # A closed next step is history: the write would leave it as it is, in silence.
            step = existing["nextStep"]
            if s.follow_ups and step is not None and step["status"] != "OPEN":
                given = s.follow_ups[0]["props"]
                if given["action"] != step["action"] or given["dueAt"] != native(step["dueAt"]):
                    return SaveResult(refusal=Refusal.ENDED, part=Part.NEXT_STEP)
        props = {**s.props, "extKey": s.ext_key}
        if s.record_id is not None:  # replaced by id: the source system's key stays
            for key in ("externalSource", "externalId", "extKey"):
                props.pop(key, None)
        fields = sorted(props.keys() - {"extKey"})
        params = {
            **_links(s, record_id),
            "account": s.customer,
            "id": record_id,
            "props": props,
            "digest": s.digest,
            "acl": access.acl_params(audit.actor),
            **audit.params(record_id, s.kind, fields),
        }
        rows = await tx.run(SAVE[s.kind], params)
        return SaveResult(record=rows[0]["record"], created=existing is None, changed=True)

    return await db.transaction(work)


SEES_ACCOUNT = Cypher(
    "records.sees_account",
    "MATCH (c:Customer {id: $account}) WHERE " + access.visible("c", unplaced=True) + " "
    "RETURN c.id AS id",
)


async def sees_account(db: Database, actor: Actor, user_id: str, account: str) -> bool:
    """Whether active user `user_id` may see customer `account`, judged with their own scope
    (the actor asks on their behalf): a follow-up assigned to someone who may not would be a
    task its assignee never sees."""
    other = await of_user(db, actor, user_id, public_companies=actor.scope.public_companies)
    if other is None:
        return False
    params = {"account": account, "acl": access.acl_params(other)}
    return bool(await db.read(SEES_ACCOUNT, params))


def _links(s: Save, record_id: str) -> dict[str, Any]:
    """What `_write` links the record to, as its parameters."""
    return {
        "contacts": s.contacts,
        "staff": s.staff,
        "projectIds": s.projects,
        "lines": s.lines,
        "orders": [s.order] if s.order else [],
        # A next step's id follows from its record, so saving the record again updates it.
        "followUps": [{**f, "id": follow_up_id(record_id)} for f in s.follow_ups],
    }


def _refs(s: Save, actor: Actor) -> dict[str, Any]:
    products = sorted({line["product"] for line in s.lines})
    return {
        "account": s.customer,
        "contacts": s.contacts,
        "staff": s.staff,
        "projectIds": s.projects,
        "products": products,
        "occurredAt": s.props.get("occurredAt"),
        "order": s.order,
        "id": s.record_id or s.create_id,
        "extKey": s.ext_key,
        "acl": access.acl_params(actor),
    }


async def void(
    db: Database, record_id: str, reason: str, expected_version: int | None, audit: Audit
) -> Verdict:
    params = {
        "id": record_id,
        "reason": reason,
        "expectedVersion": expected_version,
        "acl": access.acl_params(audit.actor),
        **audit.params(record_id, "Record", ["voidedAt", "voidReason"]),
    }
    rows = await db.write(VOID, params)
    row = rows[0]
    return Verdict(_refusal_of(row["verdict"]), row["record"], row["version"])


async def close_follow_up(
    db: Database,
    follow_up_id: str,
    status: str,
    outcome: str | None,
    expected_version: int | None,
    audit: Audit,
) -> Verdict:
    params = {
        "id": follow_up_id,
        "status": status,
        "outcome": outcome,
        "expectedVersion": expected_version,
        "acl": access.acl_params(audit.actor),
        **audit.params(follow_up_id, "FollowUp", ["status", "outcome"]),
    }
    rows = await db.write(CLOSE_FOLLOW_UP, params)
    row = rows[0]
    return Verdict(_refusal_of(row["verdict"]), row["followUp"], row["version"])


async def customers_by_external(
    db: Database, actor: Actor, source: str, external_ids: list[str]
) -> dict[str, list[str]]:
    """The CRM ids of the companies and people `actor` sees with these externalIds in
    `source` (index-backed: the (externalSource, externalId) constraints); absent: none."""
    params = {"ids": external_ids, "source": source, "acl": access.acl_params(actor)}
    rows = await db.read(BY_EXTERNAL, params)
    return {r["key"]: sorted(r["found"]) for r in rows}


async def records(db: Database, actor: Actor, ids: list[str]) -> dict[str, RecordRow]:
    rows = await db.read(FIND, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: r["record"] for r in rows}


@dataclass(frozen=True)
class TimelineQuery:
    party: str
    group: bool = False
    kinds: list[str] | None = None
    since: Any = None
    until: Any = None
    staff: str | None = None
    project: str | None = None
    voided: bool = False


async def timeline(
    db: Database,
    actor: Actor,
    q: TimelineQuery,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[RecordRow], int | None]:
    """A party's records newest first: one round trip a page, one more for the count."""
    params: dict[str, Any] = {
        "party": q.party,
        "kinds": q.kinds,
        "from": q.since,
        "to": q.until,
        "staffId": q.staff,
        "projectId": q.project,
        "voided": q.voided,
        "acl": access.acl_params(actor),
    }
    page, count = TIMELINE[q.group]
    position = pages.after(after)
    position |= pages.text_params(position, "afterId")
    rows, total = await pages.read(db, page, count, params, position, limit, with_total)
    return [r["record"] for r in rows], total


async def follow_ups(
    db: Database,
    actor: Actor,
    filters: dict[str, Any],
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[FollowUpRow], int | None]:
    params = {**filters, "acl": access.acl_params(actor)}
    position = pages.after(after)
    rows, total = await pages.read(
        db, FOLLOW_UP_PAGE, FOLLOW_UP_COUNT, params, position, limit, with_total
    )
    return [r["followUp"] for r in rows], total


async def figures(db: Database, actor: Actor, ids: list[str]) -> dict[str, dict[str, Any]]:
    params = {"ids": ids, "acl": access.acl_params(actor), "zone": clock.neo4j_zone()}
    rows = await db.read(FIGURES, params)
    return {r["key"]: r for r in rows}


async def save_product(
    db: Database,
    product_id: str | None,
    props: dict[str, Any],
    expected_version: int | None,
    audit: Audit,
    *,
    keep_id: bool = False,
) -> tuple[ProductRow | None, Refusal | None, int | None]:
    """Create a product (no id) or change one; CONFLICT on a stale version. `keep_id` (an
    imported product): a `product_id` not stored yet is created with that id."""

    async def work(tx: Tx) -> tuple[ProductRow | None, Refusal | None, int | None]:
        pid = product_id or new_id()
        if product_id is not None:
            found = await tx.run(PRODUCT_VERSION, {"id": pid})
            if not found and not keep_id:
                return None, Refusal.NOT_FOUND, None
            if found and expected_version is not None and found[0]["version"] != expected_version:
                return None, Refusal.CONFLICT, found[0]["version"]
        params = {
            "id": pid,
            "props": props,
            "expectedVersion": expected_version,
            **audit.params(pid, "Product", sorted(props)),
        }
        rows = await tx.run(PRODUCT_SAVE, params)
        return rows[0]["product"], None, None

    return await db.transaction(work)


async def products(
    db: Database,
    actor: Actor,
    text: str | None,
    archived: bool,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[ProductRow], int | None]:
    """The catalogue is reference data every signed-in viewer reads (`actor` unused)."""
    # Case-folded on both sides: "abc-1" finds SKU ABC-1 (a catalogue is small; no index).
    folded = None if text is None else text.lower()
    params: dict[str, Any] = {"text": folded, "archived": archived}
    position = pages.after(after, "afterName")
    position |= pages.text_params(position, "afterName", "afterId")
    rows, total = await pages.read(
        db, PRODUCT_PAGE, PRODUCT_COUNT, params, position, limit, with_total
    )
    return [r["product"] for r in rows], total


async def products_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, ProductRow]:
    return {r["key"]: r["product"] for r in await db.read(PRODUCTS_BY_ID, {"ids": ids})}
