"""Create, update, archive, delete and fetch nodes of any label in the closed vocabulary.

Statements are prebuilt per label at import time from `graph.vocab.Label`, so no label ever
comes from input. Each write writes its audit event in the same transaction (R20, R23), and is
idempotent under the driver's retries: nodes and audit events are MERGEd on ids chosen by the
caller.

Optimistic concurrency: an update (or a delete) first takes the node's write lock
(`SET n.__lock`), then compares `version` with `expectedVersion`. Two racing writes with the
same expected version serialise on the lock; the second then sees the bumped version (or no
node) and gets CONFLICT (or NOT_FOUND). An update that changes nothing writes nothing: no new
version, no audit event, as an upsert of the same values.

Row-level access (graph/access.py): every read filters with `visible`, so an invisible node is
exactly a missing one. Every write checks `editable` in the statement that takes the lock (or
deletes), in the same transaction: invisible is NOT_FOUND, visible but not editable FORBIDDEN.
Viewers whose roles never edit (AUDITOR, ANALYST) are refused before any statement runs.
A customer created (or made a customer) by a viewer who does not edit everything gets that
viewer as its owner (an OWNS edge in the same statement), else it would vanish from their own
view; a project they create gets them on its team (ON_TEAM). ADMIN creates unowned records,
to be handed over with transferOwnership.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString

from graph import access, crypto, history, pages, pinyin
from graph.access import editable, visible
from graph.actor import Actor
from graph.cypher import NODE_LABELS, any_label_union, merged_survivor
from graph.db import Cypher, Database, Tx
from graph.refusal import Refusal
from graph.rows import AuditEventRow, NodeRow
from graph.vocab import DISTINCT_LINES, Label


def new_id() -> str:
    return str(uuid.uuid4())


# Node projection: every stored property, minus secrets and search keys (graph/pinyin.py),
# plus the GraphQL type name and the customer profile gathered from the :Customer label.
PROJECTION: LiteralString = (
    "n{.*, apiKeyHash: null, "
    + pinyin.KEYS
    + ": null, "
    + pinyin.SOURCE
    + ": null, __typename: head([l IN labels(n) WHERE l IN "
    + NODE_LABELS
    + "]), isCustomer: n:Customer, "
    "customer: CASE WHEN n:Customer THEN {customerCode: n.customerCode, "
    "customerKind: n.customerKind, lifecycleStage: n.lifecycleStage, "
    "classification: n.classification, tier: n.tier} END}"
)

AUDIT: LiteralString = (
    "MERGE (a:AuditEvent {id: $auditId}) ON CREATE SET a.at = datetime(), a.actor = $actor, "
    "a.action = $action, a.targetId = $targetId, a.targetLabel = $targetLabel, "
    "a.fields = $fields, a.requestId = $requestId"
)


def audit_from(row: LiteralString) -> LiteralString:
    """AUDIT for batches: the event's fields read from the map `row` of an UNWIND."""
    return (
        "MERGE (a:AuditEvent {id: " + row + ".auditId}) ON CREATE SET a.at = datetime(), "
        "a.actor = " + row + ".actor, a.action = " + row + ".action, "
        "a.targetId = " + row + ".targetId, a.targetLabel = " + row + ".targetLabel, "
        "a.fields = " + row + ".fields, a.requestId = " + row + ".requestId"
    )


# The creator's claim on what they create (see the module doc), for the node `n` just written.
# `$owner` is the viewer's id, or null for ADMIN. An OWNS edge when the write made `n` a
# customer (`$customer = true`) and it has no current owner; an ON_TEAM edge when `n` is a
# project just created (version 1). Each claim is audited with the write.
def _claim(rel: LiteralString, when: LiteralString, audit_id: LiteralString) -> LiteralString:
    return (
        "FOREACH (_ IN CASE WHEN claimer IS NOT NULL AND " + when + " THEN [1] ELSE [] END | "
        "MERGE (claimer)-[c:" + rel + " {id: $claimId}]->(n) ON CREATE SET c.since = date(), "
        "c.version = 1, c.createdAt = datetime(), c.updatedAt = datetime() "
        "MERGE (ca:AuditEvent {id: " + audit_id + "}) ON CREATE SET ca.at = datetime(), "
        "ca.actor = $actor, ca.action = 'relationship.claim', ca.targetId = $claimId, "
        "ca.targetLabel = '" + rel + "', ca.fields = ['since'], ca.requestId = $requestId) "
    )


CLAIM: LiteralString = (
    "WITH n OPTIONAL MATCH (claimer:User {id: $owner}) "
    + _claim(
        "OWNS",
        "$customer = true AND n:Customer AND NOT EXISTS { MATCH (n)<-[x:OWNS]-(:User) "
        "WHERE x.until IS NULL OR x.until > date() }",
        "$claimAuditId",
    )
    + _claim(
        "ON_TEAM",
        "n:Project AND n.version = 1 AND NOT EXISTS { MATCH (n)<-[:ON_TEAM]-(claimer) }",
        "$claimAuditId",
    )
)


# Whether writing `$props` (and `$customer`) changes node `n`. The ID number's ciphertext is
# new on every write; its digest says whether the number changed (graph/crypto.py).
# Another archive time over a stored one is no change: two archives racing past their reads
# (each saw the node unarchived) write one time, one version and one audit event (tester
# BI). Removing it (an import's line with `archivedAt: null`) is one.
CHANGES: LiteralString = (
    "(($customer IS NOT NULL AND $customer <> n:Customer) OR any(k IN keys($props) WHERE "
    "k <> '" + crypto.CIPHER + "' "
    "AND NOT (k = 'archivedAt' AND n.archivedAt IS NOT NULL AND $props[k] IS NOT NULL) "
    "AND NOT coalesce(n[k] = $props[k], n[k] IS NULL AND $props[k] IS NULL)))"
)


def verdict(unplaced: bool = False, shares: bool = True) -> LiteralString:
    """Verdict of a write on node `n` (bound, or null when missing), for the viewer in `$acl`;
    `unplaced` as in graph/access.py (a person's statements take it). Without `shares`, an
    EDIT share's right does not count: deleting or merging a node outlives the share (tester
    AW deleted and merged away accounts shared with him for an afternoon)."""
    return (
        "CASE WHEN n IS NULL THEN 'missing' WHEN NOT "
        + visible("n", unplaced)
        + " THEN 'missing' WHEN NOT "
        + editable("n", unplaced, shares)
        + " THEN 'forbidden' ELSE 'ok' END"
    )


VERDICT = verdict()


# What a node takes with it when deleted: a user's API keys stop existing with the user.
_OWN_KEYS: dict[Label, LiteralString] = {
    Label.USER: "CALL (n, verdict) { MATCH (n)-[:HAS_KEY]->(k:ApiKey) WHERE verdict = 'ok' "
    "DETACH DELETE k } "
}

# A customer's records are never deleted (voidRecord marks one): a customer that has any is
# refused (archive it instead), under the lock, so a record saved meanwhile is seen. Nor does
# it lose the customer role, which would show its records to everyone (records are visible
# where their customer is; a company that is not a customer, to every key).
_RECORDED: LiteralString = "EXISTS { MATCH (n)<-[:ABOUT]-(:Record) }"
_HAS_RECORDS: LiteralString = (
    "WITH n, version, CASE WHEN verdict = 'ok' AND " + _RECORDED + " "
    "THEN 'in_use' ELSE verdict END AS verdict "
)
_KEPT: dict[Label, LiteralString] = {Label.COMPANY: _HAS_RECORDS, Label.PERSON: _HAS_RECORDS}

# The tail of a create or an update: the creator's claims, the audit event, the node.
CLAIMED_AND_AUDITED: LiteralString = (
    CLAIM + "WITH n " + AUDIT + " RETURN " + PROJECTION + " AS node"
)


# Goes on (one row) only when no active custom field of `$requiredKind` is required: the
# check of input without custom values, made by the write itself (see `create`, `upsert`).
COMPLETE: LiteralString = (
    "OPTIONAL MATCH (req:CustomFieldDefinition {kind: $requiredKind}) "
    "WHERE req.required AND req.archivedAt IS NULL "
    "WITH count(req) AS missing WHERE missing = 0 "
)


def _statements(label: Label) -> dict[str, Cypher]:
    lb: LiteralString = label.value  # closed vocabulary, never input
    name = label.value.lower()
    # A person created without an employer stays the creator's (graph/access.py).
    unplaced = label is Label.PERSON
    judge = verdict(unplaced)
    own = verdict(unplaced, shares=False)
    lock: LiteralString = (
        "OPTIONAL MATCH (n:" + lb + " {id: $id}) "
        "FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | "
        "SET x.__lock = true REMOVE x.__lock) "
    )
    changes: LiteralString = (
        history.before(label)
        + history.unverify(label)
        + "SET n += $props, n.version = n.version + 1, n.updatedAt = datetime() "
        "FOREACH (_ IN CASE WHEN $customer = true THEN [1] ELSE [] END | SET n:Customer) "
        "FOREACH (_ IN CASE WHEN $customer = false THEN [1] ELSE [] END | "
        "REMOVE n:Customer) " + history.record(label) + CLAIMED_AND_AUDITED
    )
    create: LiteralString = (
        "MERGE (n:" + lb + " {id: $id}) "
        "ON CREATE SET n += $props, n.version = 1, n.createdAt = datetime(), "
        "n.updatedAt = datetime() "
        "FOREACH (_ IN CASE WHEN $customer THEN [1] ELSE [] END | SET n:Customer) "
        + CLAIMED_AND_AUDITED
    )

    def locked(j: LiteralString) -> LiteralString:
        return lock + "RETURN n.version AS version, " + j + " AS verdict, " + _RECORDED + " AS kept"

    def lock_update(j: LiteralString) -> LiteralString:
        return (
            lock
            + "WITH n WHERE "
            + j
            + " = 'ok' AND ($expectedVersion IS NULL OR n.version = $expectedVersion) "
            + "AND ($customer IS NULL OR $customer OR NOT "
            + _RECORDED
            + ") AND "
            + CHANGES
            + " "
            + changes
        )

    key: LiteralString = "{externalSource: $source, externalId: $externalId}"
    # The key a merge left on a MergedId names the survivor (graph/merge.py).
    upsert_lock: LiteralString = (
        merged_survivor("merged", label, key, "")
        + "CALL (merged) { WITH merged WHERE merged IS NULL MERGE (n:"
        + lb
        + " "
        + key
        + ") "
        "ON CREATE SET n.id = $id, n.version = 0, n.createdAt = datetime() RETURN n "
        "UNION WITH merged WHERE merged IS NOT NULL RETURN merged AS n } "
        "SET n.__lock = true REMOVE n.__lock "
        "RETURN "
        + PROJECTION
        + " AS node, CASE WHEN n.version = 0 THEN 'ok' ELSE "
        + judge
        + " END AS verdict"
    )
    return {
        "create": Cypher(f"{name}.create", create),
        # A create without custom values: no row when the kind has a required custom field
        # (then the caller reads the definitions to say which), so the common case is one
        # round trip instead of a read of the definitions and then the write.
        "create_complete": Cypher(f"{name}.create_complete", COMPLETE + create),
        # Takes the lock and judges the viewer's right to change the node, in one statement;
        # `_own`: by the viewer's own right alone (an EDIT share's does not count): an archive,
        # which no mutation undoes, outlives the share as a delete would.
        "lock": Cypher(f"{name}.lock", locked(judge)),
        "lock_own": Cypher(f"{name}.lock_own", locked(own)),
        # Records the dynamic fields it changes in the same statement (graph/history.py).
        "update": Cypher(f"{name}.update", "MATCH (n:" + lb + " {id: $id}) " + changes),
        # `lock`, its verdict, the version check and `update` in one statement: no row when
        # refused or when nothing changes (then `lock`, run again in the same transaction,
        # tells which).
        "lock_update": Cypher(f"{name}.lock_update", lock_update(judge)),
        "lock_update_own": Cypher(f"{name}.lock_update_own", lock_update(own)),
        # `update` when it changes something: no row (nothing written) otherwise.
        "update_changed": Cypher(
            f"{name}.update_changed",
            "MATCH (n:" + lb + " {id: $id}) WITH n WHERE " + CHANGES + " " + changes,
        ),
        # Locked, judged, version-checked and deleted in one statement; the audit event only
        # when deleted. The version is read under the lock, so a racing update and delete with
        # the same expected version serialise: the second sees the first's outcome.
        "delete": Cypher(
            f"{name}.delete",
            "OPTIONAL MATCH (n:" + lb + " {id: $targetId}) "
            "FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | "
            "SET x.__lock = true REMOVE x.__lock) "
            "WITH n, " + verdict(unplaced, shares=False) + " AS verdict "
            "WITH n, CASE WHEN verdict <> 'ok' OR $expectedVersion IS NULL "
            "OR n.version = $expectedVersion THEN verdict ELSE 'conflict' END AS verdict "
            "WITH n, verdict, CASE WHEN verdict = 'conflict' THEN n.version END AS version "
            + _KEPT.get(label, "")
            + _OWN_KEYS.get(label, "")
            + "FOREACH (_ IN CASE WHEN verdict = 'ok' THEN [1] ELSE [] END | DETACH DELETE n) "
            "WITH verdict, version "
            "FOREACH (_ IN CASE WHEN verdict = 'ok' THEN [1] ELSE [] END | "
            + AUDIT
            + ") RETURN verdict, version",
        ),
        "by_ids": Cypher(
            f"{name}.by_ids",
            "UNWIND $ids AS key "
            "OPTIONAL MATCH (m:MergedId {id: key})-[:MERGED_INTO]->(survivor:" + lb + ") "
            "WITH key, coalesce(survivor.id, key) AS id "
            "MATCH (n:" + lb + " {id: id}) WHERE " + visible("n", unplaced) + " "
            "RETURN key, " + PROJECTION + " AS node",
        ),
        # Upserts: find-or-create on the composite unique key and take the write lock, in the
        # same transaction as the update and audit that follow (see `upsert`). A node found
        # is judged like `lock`; one just created is the viewer's own.
        "upsert_lock": Cypher(f"{name}.upsert_lock", upsert_lock),
        # The same for input without custom values: no row, and nothing written, when the
        # kind has a required custom field (as `create_complete`).
        "upsert_lock_complete": Cypher(f"{name}.upsert_lock_complete", COMPLETE + upsert_lock),
    }


STATEMENTS: dict[Label, dict[str, Cypher]] = {label: _statements(label) for label in Label}


def _may_edit(label: Label) -> Cypher:
    lb: LiteralString = label.value  # closed vocabulary, never input
    return Cypher(
        f"{label.value.lower()}.may_edit",
        "UNWIND $ids AS key MATCH (n:" + lb + " {id: key}) WHERE "
        + visible("n", label is Label.PERSON)
        + " RETURN key, " + editable("n", label is Label.PERSON) + " AS may",
    )  # fmt: skip


# Whether the viewer may change a node it is shown: the rule every write of it judges with.
MAY_EDIT: dict[Label, Cypher] = {
    label: _may_edit(label) for label in (Label.COMPANY, Label.PERSON, Label.PROJECT)
}

# Each of `$ids` as `key`, followed to its survivor when merged, and its node `n` of any label.
RESOLVE_ANY: LiteralString = (
    "UNWIND $ids AS key "
    "OPTIONAL MATCH (:MergedId {id: key})-[:MERGED_INTO]->(survivor) "
    "WITH key, coalesce(survivor.id, key) AS id "
    "CALL (id) { " + any_label_union("n", "id") + " } "
)

ANY_BY_IDS = Cypher(
    "node.by_ids",
    RESOLVE_ANY
    + "WITH key, n WHERE "
    + visible("n", unplaced=True)
    + " RETURN key, "
    + PROJECTION
    + " AS node",
)

# A node's trail is shown when the viewer may see the node; only read-all roles (ADMIN,
# AUDITOR, ANALYST) see the trail of a node that is gone (deleted or merged away), or of a
# staff user (every viewer sees our staff, but not who changed their roles and teams: tester
# AT). A restricted person (README, Personal data) is left out for every role, its trail too.
TRAIL_GATE: LiteralString = (
    "OPTIONAL CALL () { " + any_label_union("t", "$id") + " } "
    "WITH t WHERE ($acl.all AND NOT coalesce(t:Person AND t.restricted, false)) "
    "OR (t IS NOT NULL AND NOT t:User AND " + visible("t") + ") "
)


def ownership_edges(v: LiteralString) -> LiteralString:
    """The ids of `v`'s OWNS edges: a hand-over (transferOwnership) audits the edges it ends
    and creates, and those events belong with the customer's own."""
    return "COLLECT { MATCH (" + v + ")<-[o:OWNS]-(:User) RETURN o.id }"


# The node's own events, those of its ownership edges, and the team hand-overs that moved
# it (one event on the HandOver node for many accounts; its owner changes name the event).
TRAIL_EVENTS: LiteralString = (
    "WITH [$id] + CASE WHEN t IS NULL THEN [] ELSE " + ownership_edges("t") + " END AS ids "
    "CALL (ids) { MATCH (a:AuditEvent) WHERE a.targetId IN ids RETURN a "
    "  UNION MATCH (fc:FieldChange {targetId: $id, field: 'owner'}) "
    "  MATCH (a:AuditEvent {id: fc.auditId}) RETURN a } "
    "WITH a WHERE true "
)
AUDIT_TRAIL = Cypher(
    "audit.trail",
    TRAIL_GATE + TRAIL_EVENTS + "AND ("
    "$afterAt IS NULL OR a.at < datetime($afterAt) "
    "OR (a.at = datetime($afterAt) AND a.id < $afterId)) "
    "WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit "
    "RETURN a{.*, requestId: " + access.own_request("a", "actor") + "} AS event",
)
AUDIT_COUNT = Cypher("audit.count", TRAIL_GATE + TRAIL_EVENTS + "RETURN count(a) AS n")
# The events one request wrote (the `X-Request-Id` a client sent or was given), oldest first:
# the viewer's own, or anyone's for the read-all roles (no restricted person's, as above).
# A client whose write got no answer looks here before sending it again (tester AZ: the
# trail by node needs the id the lost answer held).
MAX_REQUEST_EVENTS = 100
REQUEST_EVENTS = Cypher(
    "audit.request",
    "MATCH (a:AuditEvent {requestId: $requestId}) "
    "WHERE a.actor = $acl.me OR ($acl.all AND NOT EXISTS { "
    "  MATCH (p:Person {id: a.targetId}) WHERE p.restricted }) "
    "WITH a ORDER BY a.at, a.id LIMIT $limit RETURN a{.*} AS event",
)


def plain(value: Any) -> Any:
    """Enums to their stored string values, recursively through lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Audit:
    """Who does what, for the audit event written with a change."""

    actor: Actor
    action: str
    request_id: str

    def params(
        self,
        target_id: str,
        target: Enum | str,
        fields: Sequence[str],
        audit_id: str | None = None,
    ) -> dict[str, Any]:
        """The event's parameters for a node of any label or an edge of any type. Pass
        `audit_id` when chosen before a transaction, so its retries write one event."""
        return {
            "auditId": audit_id or new_id(),
            "actor": self.actor.id,
            "action": self.action,
            "targetId": target_id,
            "targetLabel": target.value if isinstance(target, Enum) else target,
            "fields": sorted(fields),
            "requestId": self.request_id,
        }


def claim_params(actor: Actor) -> dict[str, Any]:
    """Who claims what a write creates (CLAIM): the viewer, unless they edit everything."""
    return {
        "owner": None if actor.scope.edit_all else actor.id,
        "claimId": new_id(),
        "claimAuditId": new_id(),
    }


def _refusal(verdict: str) -> Refusal | None:
    return {"missing": Refusal.NOT_FOUND, "forbidden": Refusal.FORBIDDEN}.get(verdict)


@dataclass(frozen=True)
class UpdateResult:
    node: NodeRow | None
    # NOT_FOUND, FORBIDDEN, CONFLICT; IN_USE: the customer role removed from one with records
    refusal: Refusal | None = None
    current_version: int | None = None


async def create(
    db: Database,
    label: Label,
    props: dict[str, Any],
    audit: Audit,
    customer: bool = False,
    node_id: str | None = None,
    custom_kind: str | None = None,
) -> UpdateResult:
    """Create a node (FORBIDDEN, without a statement, for viewers who never edit). With
    `custom_kind`, the write is for input without custom values: INCOMPLETE, and nothing
    written, when that kind of node has a required custom field."""
    if not audit.actor.scope.may_edit:
        return UpdateResult(None, Refusal.FORBIDDEN)
    node_id = node_id or new_id()
    props = {k: plain(v) for k, v in props.items() if v is not None}
    fields = list(props)
    props = pinyin.with_keys(label, crypto.protect(label, props))
    params = {
        "id": node_id,
        "props": props,
        "customer": customer,
        **claim_params(audit.actor),
        **audit.params(node_id, label, fields),
    }
    if custom_kind is None:
        rows = await db.write(STATEMENTS[label]["create"], params)
    else:
        params["requiredKind"] = custom_kind
        rows = await db.write(STATEMENTS[label]["create_complete"], params)
        if not rows:
            return UpdateResult(None, Refusal.INCOMPLETE)
    return UpdateResult(rows[0]["node"])


async def update(
    db: Database,
    label: Label,
    node_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    audit: Audit,
    customer: bool | None = None,
    shares: bool = True,
) -> UpdateResult:
    """Apply `props` (a None value removes the property). With `expected_version`, refuse
    with CONFLICT unless it matches the stored version. NOT_FOUND when the viewer cannot see
    the node, FORBIDDEN when they see it but may not edit it (without `shares`, by their own
    right: an archive). When nothing changes, nothing is written (no new version, no audit
    event) and the stored node is returned."""
    if not audit.actor.scope.may_edit:
        return UpdateResult(None, Refusal.FORBIDDEN)
    statements = STATEMENTS[label]
    props = {k: plain(v) for k, v in props.items()}
    fields = list(props) + (["customer"] if customer is not None else [])
    acl = access.acl_params(audit.actor)
    claim = claim_params(audit.actor)
    props = pinyin.with_keys(label, crypto.protect(label, props))

    params = {
        "id": node_id,
        "props": props,
        "customer": customer,
        **claim,
        **audit.params(node_id, label, fields),
    }

    async def work(tx: Tx) -> UpdateResult:
        # One round trip when the write goes through; a refusal costs a second to say why.
        rows = await tx.run(
            statements["lock_update" if shares else "lock_update_own"],
            {**params, "acl": acl, "expectedVersion": expected_version},
        )
        if rows:
            return UpdateResult(rows[0]["node"])
        locked = await tx.run(
            statements["lock" if shares else "lock_own"], {"id": node_id, "acl": acl}
        )
        if refusal := _refusal(locked[0]["verdict"]):
            return UpdateResult(None, refusal)
        current = locked[0]["version"]
        if expected_version is not None and current != expected_version:
            return UpdateResult(None, Refusal.CONFLICT, current)
        if customer is False and locked[0]["kept"]:
            return UpdateResult(None, Refusal.IN_USE)
        # A change to nothing, or a node created by another transaction between the two
        # statements (now locked by this one).
        rows = await tx.run(statements["update_changed"], params)
        if not rows:
            rows = await tx.run(statements["by_ids"], {"ids": [node_id], "acl": acl})
        return UpdateResult(rows[0]["node"])

    return await db.transaction(work)


async def keeps_customer_role(tx: Tx, label: Label, node_id: str, acl: access.AclParams) -> bool:
    """Whether the node, locked by this transaction, has records: then it keeps the customer
    role (see _RECORDED)."""
    locked = await tx.run(STATEMENTS[label]["lock"], {"id": node_id, "acl": acl})
    return bool(locked and locked[0]["kept"])


@dataclass(frozen=True)
class UpsertResult:
    node: NodeRow | None
    created: bool
    changed: list[str]
    # FORBIDDEN: the node exists and the viewer may not edit it (or never edits);
    # DUPLICATE: it exists and the viewer cannot see it (as a create with a taken key);
    # INCOMPLETE: a required custom field has no value (with `custom_kind`);
    # IN_USE: the customer role removed from one with records;
    # SAME_LINE: the given phone is the stored fax, or the other way round (nodes.same_line).
    refusal: Refusal | None = None


def same_value(stored: Any, given: Any) -> bool:
    to_native = getattr(stored, "to_native", None)  # neo4j.time values
    if to_native is not None:
        stored = to_native()
    return bool(stored == given)


def same_line(label: Label, stored: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """The key of `given` that would make the node's two distinct lines (vocab.DISTINCT_LINES)
    hold one number once written over `stored`, else None."""
    pair = DISTINCT_LINES.get(label)
    if pair is None or not any(k in given for k in pair):
        return None
    a, b = (given[k] if k in given else stored.get(k) for k in pair)
    if a is None or a != b:
        return None
    return pair[0] if pair[0] in given else pair[1]


async def upsert(
    db: Database,
    label: Label,
    source: str,
    external_id: str,
    props: dict[str, Any],
    audit: Audit,
    customer: bool | None = None,
    custom_kind: str | None = None,
) -> UpsertResult:
    """Create or update the node keyed by (externalSource, externalId), in one transaction.

    The fields in `props` are compared with the stored ones first: when nothing differs the
    transaction writes nothing (no version bump, no audit event), so running the same import
    twice is a no-op. A None value removes a property. The audit event lists the changed
    field names only. With `custom_kind`, as `create`: INCOMPLETE, and nothing written, when
    that kind of node has a required custom field."""
    if not audit.actor.scope.may_edit:
        return UpsertResult(None, False, [], Refusal.FORBIDDEN)
    props = {k: plain(v) for k, v in props.items()}
    statements = STATEMENTS[label]
    acl = access.acl_params(audit.actor)
    claim = claim_params(audit.actor)

    async def work(tx: Tx) -> UpsertResult:
        node_id = new_id()
        params = {"source": source, "externalId": external_id, "id": node_id, "acl": acl}
        if custom_kind is None:
            rows = await tx.run(statements["upsert_lock"], params)
        else:
            params["requiredKind"] = custom_kind
            rows = await tx.run(statements["upsert_lock_complete"], params)
            if not rows:
                return UpsertResult(None, False, [], Refusal.INCOMPLETE)
        verdict = rows[0]["verdict"]
        if verdict != "ok":
            refusal = Refusal.FORBIDDEN if verdict == "forbidden" else Refusal.DUPLICATE
            return UpsertResult(None, False, [], refusal)
        stored: NodeRow = rows[0]["node"]
        created = stored["version"] == 0
        # An unchanged ID number is dropped here: its ciphertext differs on every write.
        given = pinyin.with_keys(label, crypto.protect(label, props, stored), stored)
        changed = crypto.field_names(
            [
                k
                for k, v in given.items()
                if k not in pinyin.DERIVED and not same_value(stored.get(k), v)
            ]
        )
        if customer is not None and customer != stored["isCustomer"]:
            changed.append("customer")
            if customer is False and await keeps_customer_role(tx, label, stored["id"], acl):
                return UpsertResult(None, False, [], Refusal.IN_USE)
        if same_line(label, stored, given) is not None:
            return UpsertResult(None, False, [], Refusal.SAME_LINE)
        if not changed and not created:
            return UpsertResult(stored, False, [])
        update = {
            "id": stored["id"],
            "props": given,
            "customer": customer,
            **claim,
            **audit.params(stored["id"], label, changed),
        }
        updated = await tx.run(statements["update"], update)
        return UpsertResult(updated[0]["node"], created, sorted(changed))

    return await db.transaction(work)


@dataclass(frozen=True)
class DeleteResult:
    refusal: Refusal | None = None  # None when deleted; else NOT_FOUND, FORBIDDEN, CONFLICT, IN_USE
    current_version: int | None = None  # the stored version, with CONFLICT


async def delete(
    db: Database,
    label: Label,
    node_id: str,
    audit: Audit,
    expected_version: int | None = None,
) -> DeleteResult:
    """Delete a node and its edges. NOT_FOUND when the viewer cannot see it, FORBIDDEN when
    they see it but may not edit it; with `expected_version`, CONFLICT (and the stored version)
    unless it matches, checked under the node's write lock in the deleting statement; IN_USE
    for a customer with records. A refused delete writes nothing, no audit event either."""
    if not audit.actor.scope.may_edit:
        return DeleteResult(Refusal.FORBIDDEN)
    params = {
        **audit.params(node_id, label, []),
        "acl": access.acl_params(audit.actor),
        "expectedVersion": expected_version,
    }
    rows = await db.write(STATEMENTS[label]["delete"], params)
    verdict = rows[0]["verdict"]
    if verdict == "conflict":
        if rows[0]["version"] is None:  # deleted by the delete whose lock this one waited for
            return DeleteResult(Refusal.NOT_FOUND)
        return DeleteResult(Refusal.CONFLICT, rows[0]["version"])
    if verdict == "in_use":
        return DeleteResult(Refusal.IN_USE)
    return DeleteResult(_refusal(verdict))


async def by_ids(
    db: Database, actor: Actor, label: Label | None, ids: list[str]
) -> dict[str, NodeRow]:
    """Nodes by id (merged ids resolve to their survivor), keyed by the id asked for; ids
    the viewer may not see are left out, as missing ones."""
    q = ANY_BY_IDS if label is None else STATEMENTS[label]["by_ids"]
    rows = await db.read(q, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: r["node"] for r in rows}


async def may_edit(db: Database, actor: Actor, label: Label, ids: list[str]) -> dict[str, bool]:
    """Per id: may the viewer change that node of `label`? Ids it may not see are left out."""
    rows = await db.read(MAY_EDIT[label], {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: bool(r["may"]) for r in rows}


async def request_events(db: Database, actor: Actor, request_id: str) -> list[AuditEventRow]:
    """The events request `request_id` wrote that the viewer may read (REQUEST_EVENTS)."""
    params = {"requestId": request_id, "limit": MAX_REQUEST_EVENTS}
    rows = await db.read(REQUEST_EVENTS, {**params, "acl": access.acl_params(actor)})
    return [r["event"] for r in rows]


async def audit_trail(
    db: Database, actor: Actor, node_id: str, limit: int, after: tuple[str, str] | None
) -> tuple[list[AuditEventRow], int]:
    """The node's events, when the viewer may see the node (read-all roles: always)."""
    acl = access.acl_params(actor)
    params = {"id": node_id, "limit": limit, "acl": acl, **pages.after(after)}
    rows = await db.read(AUDIT_TRAIL, params)
    total = await db.read(AUDIT_COUNT, {"id": node_id, "acl": acl})
    return [r["event"] for r in rows], total[0]["n"]
