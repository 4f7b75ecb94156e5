"""Create, update, archive, delete and fetch nodes of any label in the closed vocabulary.

Statements are prebuilt per label at import time from `graph.vocab.Label`, so no label ever
comes from input. Each write writes its audit event in the same transaction (R20, R23), and is
idempotent under the driver's retries: nodes and audit events are MERGEd on ids chosen by the
caller.

Optimistic concurrency: an update first takes the node's write lock (`SET n.__lock`), then
compares `version` with `expectedVersion`. Two racing updates with the same expected version
serialise on the lock; the second then sees the bumped version and gets CONFLICT.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString

from graph import crypto
from graph.actor import Actor
from graph.cypher import NODE_LABELS, any_label_union
from graph.db import Cypher, Database, Tx
from graph.refusal import Refusal
from graph.rows import AuditEventRow, NodeRow
from graph.vocab import Label, Rel


def new_id() -> str:
    return str(uuid.uuid4())


# Node projection: every stored property, minus secrets, plus the GraphQL type name and the
# customer profile gathered from the :Customer label.
PROJECTION: LiteralString = (
    "n{.*, apiKeyHash: null, __typename: head([l IN labels(n) WHERE l IN "
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


def _statements(label: Label) -> dict[str, Cypher]:
    lb: LiteralString = label.value  # closed vocabulary, never input
    name = label.value.lower()
    return {
        "create": Cypher(
            f"{name}.create",
            "MERGE (n:" + lb + " {id: $id}) "
            "ON CREATE SET n += $props, n.version = 1, n.createdAt = datetime(), "
            "n.updatedAt = datetime() "
            "FOREACH (_ IN CASE WHEN $customer THEN [1] ELSE [] END | SET n:Customer) "
            "WITH n " + AUDIT + " RETURN " + PROJECTION + " AS node",
        ),
        "lock": Cypher(
            f"{name}.lock",
            "MATCH (n:" + lb + " {id: $id}) SET n.__lock = true REMOVE n.__lock "
            "RETURN n.version AS version",
        ),
        "update": Cypher(
            f"{name}.update",
            "MATCH (n:" + lb + " {id: $id}) "
            "SET n += $props, n.version = n.version + 1, n.updatedAt = datetime() "
            "FOREACH (_ IN CASE WHEN $customer = true THEN [1] ELSE [] END | SET n:Customer) "
            "FOREACH (_ IN CASE WHEN $customer = false THEN [1] ELSE [] END | "
            "REMOVE n:Customer) "
            "WITH n " + AUDIT + " RETURN " + PROJECTION + " AS node",
        ),
        "delete": Cypher(
            f"{name}.delete",
            "MATCH (n:" + lb + " {id: $targetId}) DETACH DELETE n "
            "WITH count(*) AS deleted WHERE deleted > 0 " + AUDIT + " RETURN deleted",
        ),
        "by_ids": Cypher(
            f"{name}.by_ids",
            "UNWIND $ids AS key "
            "OPTIONAL MATCH (m:MergedId {id: key})-[:MERGED_INTO]->(survivor:" + lb + ") "
            "WITH key, coalesce(survivor.id, key) AS id "
            "MATCH (n:" + lb + " {id: id}) RETURN key, " + PROJECTION + " AS node",
        ),
        # Upserts: find-or-create on the composite unique key and take the write lock, in the
        # same transaction as the update and audit that follow (see `upsert`).
        "upsert_lock": Cypher(
            f"{name}.upsert_lock",
            "MERGE (n:" + lb + " {externalSource: $source, externalId: $externalId}) "
            "ON CREATE SET n.id = $id, n.version = 0, n.createdAt = datetime() "
            "SET n.__lock = true REMOVE n.__lock "
            "RETURN " + PROJECTION + " AS node",
        ),
    }


STATEMENTS: dict[Label, dict[str, Cypher]] = {label: _statements(label) for label in Label}

# Each of `$ids` as `key`, followed to its survivor when merged, and its node `n` of any label.
RESOLVE_ANY: LiteralString = (
    "UNWIND $ids AS key "
    "OPTIONAL MATCH (:MergedId {id: key})-[:MERGED_INTO]->(survivor) "
    "WITH key, coalesce(survivor.id, key) AS id "
    "CALL (id) { " + any_label_union("n", "id") + " } "
)

ANY_BY_IDS = Cypher(
    "node.by_ids",
    RESOLVE_ANY + "RETURN key, " + PROJECTION + " AS node",
)

AUDIT_TRAIL = Cypher(
    "audit.trail",
    "MATCH (a:AuditEvent {targetId: $id}) "
    "WHERE $afterAt IS NULL OR a.at < datetime($afterAt) "
    "OR (a.at = datetime($afterAt) AND a.id < $afterId) "
    "WITH a ORDER BY a.at DESC, a.id DESC LIMIT $limit "
    "RETURN a{.*} AS event",
)
AUDIT_COUNT = Cypher("audit.count", "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a) AS n")


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
        target: Label | Rel,
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
            "targetLabel": target.value,
            "fields": sorted(fields),
            "requestId": self.request_id,
        }


async def create(
    db: Database,
    label: Label,
    props: dict[str, Any],
    audit: Audit,
    customer: bool = False,
    node_id: str | None = None,
) -> NodeRow:
    node_id = node_id or new_id()
    props = {k: plain(v) for k, v in props.items() if v is not None}
    fields = list(props)
    props = crypto.protect(label, props)
    params = {
        "id": node_id,
        "props": props,
        "customer": customer,
        **audit.params(node_id, label, fields),
    }
    rows = await db.write(STATEMENTS[label]["create"], params)
    node: NodeRow = rows[0]["node"]
    return node


@dataclass(frozen=True)
class UpdateResult:
    node: NodeRow | None
    refusal: Refusal | None = None  # NOT_FOUND or CONFLICT
    current_version: int | None = None


async def update(
    db: Database,
    label: Label,
    node_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    audit: Audit,
    customer: bool | None = None,
) -> UpdateResult:
    """Apply `props` (a None value removes the property). With `expected_version`, refuse
    with CONFLICT unless it matches the stored version."""
    statements = STATEMENTS[label]
    props = {k: plain(v) for k, v in props.items()}
    fields = list(props) + (["customer"] if customer is not None else [])
    props = crypto.protect(label, props)

    async def work(tx: Tx) -> UpdateResult:
        locked = await tx.run(statements["lock"], {"id": node_id})
        if not locked:
            return UpdateResult(None, Refusal.NOT_FOUND)
        current = locked[0]["version"]
        if expected_version is not None and current != expected_version:
            return UpdateResult(None, Refusal.CONFLICT, current)
        params = {
            "id": node_id,
            "props": props,
            "customer": customer,
            **audit.params(node_id, label, fields),
        }
        rows = await tx.run(statements["update"], params)
        return UpdateResult(rows[0]["node"])

    return await db.transaction(work)


@dataclass(frozen=True)
class UpsertResult:
    node: NodeRow
    created: bool
    changed: list[str]


def _same(stored: Any, given: Any) -> bool:
    to_native = getattr(stored, "to_native", None)  # neo4j.time values
    if to_native is not None:
        stored = to_native()
    return bool(stored == given)


async def upsert(
    db: Database,
    label: Label,
    source: str,
    external_id: str,
    props: dict[str, Any],
    audit: Audit,
    customer: bool | None = None,
) -> UpsertResult:
    """Create or update the node keyed by (externalSource, externalId), in one transaction.

    The fields in `props` are compared with the stored ones first: when nothing differs the
    transaction writes nothing (no version bump, no audit event), so running the same import
    twice is a no-op. A None value removes a property. The audit event lists the changed
    field names only."""
    props = {k: plain(v) for k, v in props.items()}
    statements = STATEMENTS[label]

    async def work(tx: Tx) -> UpsertResult:
        node_id = new_id()
        rows = await tx.run(
            statements["upsert_lock"], {"source": source, "externalId": external_id, "id": node_id}
        )
        stored: NodeRow = rows[0]["node"]
        created = stored["version"] == 0
        # An unchanged ID number is dropped here: its ciphertext differs on every write.
        given = crypto.protect(label, props, stored)
        changed = crypto.field_names([k for k, v in given.items() if not _same(stored.get(k), v)])
        if customer is not None and customer != stored["isCustomer"]:
            changed.append("customer")
        if not changed and not created:
            return UpsertResult(stored, False, [])
        params = {
            "id": stored["id"],
            "props": given,
            "customer": customer,
            **audit.params(stored["id"], label, changed),
        }
        updated = await tx.run(statements["update"], params)
        return UpsertResult(updated[0]["node"], created, sorted(changed))

    return await db.transaction(work)


async def delete(db: Database, label: Label, node_id: str, audit: Audit) -> bool:
    rows = await db.write(STATEMENTS[label]["delete"], audit.params(node_id, label, []))
    return bool(rows and rows[0]["deleted"])


async def by_ids(
    db: Database, actor: Actor, label: Label | None, ids: list[str]
) -> dict[str, NodeRow]:
    """Nodes by id (merged ids resolve to their survivor), keyed by the id asked for."""
    q = ANY_BY_IDS if label is None else STATEMENTS[label]["by_ids"]
    rows = await db.read(q, {"ids": ids})
    return {r["key"]: r["node"] for r in rows}


async def audit_trail(
    db: Database, actor: Actor, node_id: str, limit: int, after: tuple[str, str] | None
) -> tuple[list[AuditEventRow], int]:
    params = {
        "id": node_id,
        "limit": limit,
        "afterAt": after[0] if after else None,
        "afterId": after[1] if after else None,
    }
    rows = await db.read(AUDIT_TRAIL, params)
    total = await db.read(AUDIT_COUNT, {"id": node_id})
    return [r["event"] for r in rows], total[0]["n"]
