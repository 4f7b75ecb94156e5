"""Change requests (R20): changes held for review, and their approval, rejection or withdrawal.

A `(:ChangeRequest)` records who asked, the target node (`targetId`, `targetLabel`: a property,
not an edge, so that maps, merges and deletes never traverse or move it), the changes as JSON
text (`[{field, old, new, kind}]`), the reason, where the request came from (STAFF or
CUSTOMER), the node's version when it was filed (`baseVersion`), its status and who decided
it, when and why.

Every write here is one transaction together with its audit event (field names only, never
values) on the target node:
- filing: the direct part of the update (if any) and the request, audited as
  `<label>.changeRequest`;
- approval: the node's optimistic-concurrency check against `baseVersion`, the change and the
  status, audited once as `<label>.changeApprove`; a node that changed since the request
  gives CONFLICT and nothing is written (the request stays PENDING: reject or withdraw it
  and file again);
- rejection and withdrawal: the status, audited as `<label>.changeReject` / `.changeWithdraw`.

Requests are visible exactly when their target is (graph/access.py `visible`), inside each
statement. The node statements themselves (lock, update, upsert lock) are graph/nodes.py's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, LiteralString, NotRequired, TypedDict

from graph import access, crypto, nodes, pages, pinyin
from graph.actor import Actor
from graph.db import Cypher, Database, Tx, native
from graph.rows import NodeRow
from graph.vocab import Label

# Labels whose updates may be held for review.
REVIEWED = (Label.COMPANY, Label.PERSON)
# Pending requests shown on one node (`pendingChanges`): the newest ones.
MAX_PENDING_PER_NODE = 20
# The profile keys graph.nodes.PROJECTION gathers under `customer`.
PROFILE_KEYS = ("customerCode", "customerKind", "lifecycleStage", "classification", "tier")
# The pseudo-field recording a change of the customer role itself (the :Customer label).
CUSTOMER_ROLE = "customer"


class Status:
    PENDING: LiteralString = "PENDING"
    APPROVED: LiteralString = "APPROVED"
    REJECTED: LiteralString = "REJECTED"
    WITHDRAWN: LiteralString = "WITHDRAWN"


class Outcome(Enum):
    """Why a review write was refused."""

    NOT_FOUND = "not_found"  # no such request or node, or the viewer may not see it
    FORBIDDEN = "forbidden"  # visible, but the viewer may not do this
    OWN_REQUEST = "own_request"  # nobody decides their own request
    CLOSED = "closed"  # the request is no longer pending
    CONFLICT = "conflict"  # the node's version is not the expected one
    IN_USE = "in_use"  # the customer role removed from one with records (graph/nodes.py)
    SAME_LINE = "same_line"  # the given phone is the stored fax, or the reverse (graph/nodes.py)


class ChangeRequestRow(TypedDict):
    """A stored change request (`cr{.*}`), with its target where the statement joins it."""

    id: str
    status: str
    source: str
    targetId: str
    targetLabel: str
    fields: list[str]
    changes: str  # JSON text: [{field, old, new, kind}]
    baseVersion: int
    requestedBy: str
    requestedAt: Any
    reason: NotRequired[str | None]
    setCustomer: NotRequired[bool | None]
    decidedBy: NotRequired[str | None]
    decidedAt: NotRequired[Any]
    decisionNote: NotRequired[str | None]
    target: NotRequired[NodeRow]


@dataclass(frozen=True)
class Held:
    """The part of a write that waits for review."""

    props: dict[str, Any]
    customer: bool | None  # set (True) or remove (False) the customer role; None: unchanged
    source: str  # STAFF or CUSTOMER
    reason: str | None


@dataclass(frozen=True)
class Audits:
    """The two audit events a reviewed write may write: the direct update and the filing."""

    update: nodes.Audit
    request: nodes.Audit


@dataclass(frozen=True)
class Filed:
    node: NodeRow | None
    request: ChangeRequestRow | None = None
    outcome: Outcome | None = None
    current_version: int | None = None
    created: bool = False  # upserts: the node was created (then nothing is held)
    changed: list[str] = field(default_factory=list)  # upserts: fields applied directly


@dataclass(frozen=True)
class Decided:
    request: ChangeRequestRow | None
    node: NodeRow | None = None
    outcome: Outcome | None = None
    current_version: int | None = None


# The request's target `n`, whichever reviewed label it has: one index seek per label.
TARGET_OF: LiteralString = (
    "CALL (cr) { "
    + " UNION ".join(
        "MATCH (n:" + lb.value + " {id: cr.targetId}) WHERE cr.targetLabel = '" + lb.value
        + "' RETURN n"
        for lb in REVIEWED
    )
    + " } "
)  # fmt: skip


def _target_statement(label: Label) -> Cypher:
    lb: LiteralString = label.value  # closed vocabulary, never input
    # A person with no employer yet is their creator's, as in graph/nodes.py's statements.
    unplaced = label is Label.PERSON
    return Cypher(
        f"review.{label.value.lower()}_target",
        "MATCH (n:" + lb + " {id: $id}) "
        "WITH n, "
        + access.visible("n", unplaced)
        + " AS seen, "
        + access.editable("n", unplaced)
        + " AS mine "
        "FOREACH (_ IN CASE WHEN mine THEN [1] ELSE [] END | "
        "SET n.__lock = true REMOVE n.__lock) "
        "RETURN seen, mine, " + nodes.PROJECTION + " AS node",
    )


TARGET: dict[Label, Cypher] = {label: _target_statement(label) for label in REVIEWED}

FILE = Cypher(
    "review.file",
    "MERGE (cr:ChangeRequest {id: $request.id}) "
    "ON CREATE SET cr += $request, cr.status = 'PENDING', cr.requestedAt = datetime() "
    "WITH cr " + nodes.AUDIT + " SET a.changeRequestId = cr.id "
    "RETURN cr{.*} AS request",
)

# Load a request whose target the viewer sees, and take the write locks of both.
LOAD = Cypher(
    "review.load",
    "MATCH (cr:ChangeRequest {id: $id}) " + TARGET_OF + "WITH cr, n WHERE "
    + access.visible("n") + " "
    "WITH cr, n, " + access.editable("n") + " AS mine "
    "SET cr.__lock = true REMOVE cr.__lock "
    "FOREACH (_ IN CASE WHEN mine THEN [1] ELSE [] END | SET n.__lock = true REMOVE n.__lock) "
    "RETURN cr{.*} AS request, mine, " + nodes.PROJECTION + " AS node",
)  # fmt: skip

CLOSE = Cypher(
    "review.close",
    "MATCH (cr:ChangeRequest {id: $id}) WHERE cr.status = 'PENDING' "
    "SET cr.status = $status, cr.decidedBy = $actor, cr.decidedAt = datetime(), "
    "cr.decisionNote = $note "
    "WITH cr " + nodes.AUDIT + " SET a.changeRequestId = cr.id "
    "RETURN cr{.*} AS request",
)

FILTER: LiteralString = (
    "MATCH (cr:ChangeRequest) "
    "WHERE ($status IS NULL OR cr.status = $status) "
    "AND ($target IS NULL OR cr.targetId = $target) "
    "AND ($requestedBy IS NULL OR cr.requestedBy = $requestedBy) "
)
VISIBLE_TARGET: LiteralString = TARGET_OF + "WITH cr, n WHERE " + access.visible("n") + " "

PAGE = Cypher(
    "review.page",
    FILTER + "AND ($afterAt IS NULL OR cr.requestedAt < datetime($afterAt) "
    "OR (cr.requestedAt = datetime($afterAt) AND cr.id < $afterId)) "
    + VISIBLE_TARGET
    + "WITH cr, n ORDER BY cr.requestedAt DESC, cr.id DESC LIMIT $limit "
    "RETURN cr{.*, target: " + nodes.PROJECTION + "} AS request",
)
COUNT = Cypher("review.count", FILTER + VISIBLE_TARGET + "RETURN count(cr) AS total")

PENDING = Cypher(
    "review.pending",
    "UNWIND $ids AS key MATCH (cr:ChangeRequest {targetId: key}) WHERE cr.status = 'PENDING' "
    + TARGET_OF
    + "WITH key, cr, n WHERE "
    + access.visible("n")
    + " WITH key, cr, n ORDER BY cr.requestedAt DESC, cr.id DESC "
    "WITH key, collect(cr{.*, target: " + nodes.PROJECTION + "})[..$limit] AS requests "
    "RETURN key, requests",
)


# A held ID number is kept as ciphertext in the request, as on the person (graph/crypto.py):
# both sides of the change, so that the request node never holds the number in clear.
ENCRYPTED = crypto.ENCRYPTED


def _secret_change(node: NodeRow, new: Any) -> dict[str, Any] | None:
    """The change of the ID number, or None when it is the stored one (compared by digest)."""
    ring = crypto.keyring()
    stored_digest = node.get(crypto.DIGEST)
    if new is None:
        if node.get(crypto.ID_NUMBER) is None:
            return None
        return {"field": crypto.ID_NUMBER, "old": node.get(crypto.CIPHER), "new": None,
                "kind": ENCRYPTED}  # fmt: skip
    plain = str(new)
    if stored_digest is not None and stored_digest == ring.digest(plain):
        return None
    old = node.get(crypto.CIPHER)
    if old is None and node.get(crypto.ID_NUMBER) is not None:
        old = ring.encrypt(str(node.get(crypto.ID_NUMBER)))  # stored before encryption
    return {"field": crypto.ID_NUMBER, "old": old, "new": ring.encrypt(plain), "kind": ENCRYPTED}


def encode(value: Any) -> tuple[Any, str]:
    """A stored or new value as JSON, with the kind needed to turn it back."""
    value = native(nodes.plain(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(), "datetime"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    return value, "value"


def decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == ENCRYPTED:
        return crypto.keyring().decrypt(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    return value


def changes_of(request: ChangeRequestRow) -> list[dict[str, Any]]:
    """The request's changes: `{field, old, new, kind}` each."""
    out: list[dict[str, Any]] = json.loads(request["changes"])
    return out


def _stored(node: NodeRow, key: str) -> Any:
    if key in PROFILE_KEYS:
        profile: dict[str, Any] = dict(node.get("customer") or {})
        return profile.get(key)
    return node.get(key)


def diff(node: NodeRow, held: Held) -> list[dict[str, Any]]:
    """The held changes that would change something, with the stored value as `old`."""
    out: list[dict[str, Any]] = []
    for key in sorted(held.props):
        if key == crypto.ID_NUMBER:
            change = _secret_change(node, held.props[key])
            if change is not None:
                out.append(change)
            continue
        old, _ = encode(_stored(node, key))
        new, kind = encode(held.props[key])
        if old != new:
            out.append({"field": key, "old": old, "new": new, "kind": kind})
    if held.customer is not None and held.customer != node["isCustomer"]:
        out.append(
            {
                "field": CUSTOMER_ROLE,
                "old": node["isCustomer"],
                "new": held.customer,
                "kind": "value",
            }
        )
    return out


def _apply_params(changes: list[dict[str, Any]]) -> tuple[dict[str, Any], bool | None]:
    props = {
        c["field"]: decode(c["new"], c["kind"]) for c in changes if c["field"] != CUSTOMER_ROLE
    }
    role = [c["new"] for c in changes if c["field"] == CUSTOMER_ROLE]
    return props, (bool(role[0]) if role else None)


def _request_params(
    actor: Actor, request_id: str, label: Label, node: NodeRow, held: Held, changes: list[Any]
) -> dict[str, Any]:
    return {
        "id": request_id,
        "source": held.source,
        "targetId": node["id"],
        "targetLabel": label.value,
        "fields": [c["field"] for c in changes],
        "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
        "setCustomer": held.customer,
        "reason": held.reason,
        "baseVersion": node["version"],
        "requestedBy": actor.id,
    }


async def _update(
    tx: Tx,
    actor: Actor,
    label: Label,
    node_id: str,
    props: dict[str, Any],
    customer: bool | None,
    audit: dict[str, Any],
) -> NodeRow | None:
    """graph/nodes.py's update statement, inside this transaction (the lock is held). None,
    and nothing written, when it would remove the customer role from one with records."""
    acl = access.acl_params(actor)
    if customer is False and await nodes.keeps_customer_role(tx, label, node_id, acl):
        return None
    # An approved ID number is stored as every write stores it: encrypted, with its digest.
    props = pinyin.with_keys(
        label, crypto.protect(label, {k: nodes.plain(v) for k, v in props.items()})
    )
    params = {
        "id": node_id,
        "props": props,
        "customer": customer,
        "acl": acl,
        **nodes.claim_params(actor),
        **audit,
    }
    rows = await tx.run(nodes.STATEMENTS[label]["update"], params)
    node: NodeRow = rows[0]["node"]
    return node


async def _file(
    tx: Tx,
    actor: Actor,
    label: Label,
    node: NodeRow,
    held: Held,
    changes: list[dict[str, Any]],
    request_id: str,
    audit: dict[str, Any],
) -> ChangeRequestRow:
    params = {"request": _request_params(actor, request_id, label, node, held, changes), **audit}
    params["fields"] = [c["field"] for c in changes]
    rows = await tx.run(FILE, params)
    request: ChangeRequestRow = rows[0]["request"]
    request["target"] = node
    return request


def _changed(stored: NodeRow, direct: dict[str, Any], customer: bool | None) -> list[str]:
    """The directly applied fields (and the customer role) that differ from what is stored."""
    changed = [k for k, v in direct.items() if encode(_stored(stored, k))[0] != encode(v)[0]]
    if customer is not None and customer != stored["isCustomer"]:
        changed.append(CUSTOMER_ROLE)
    return changed


def _direct_fields(props: dict[str, Any], customer: bool | None) -> list[str]:
    return list(props) + ([CUSTOMER_ROLE] if customer is not None else [])


async def update(
    db: Database,
    actor: Actor,
    label: Label,
    node_id: str,
    expected_version: int | None,
    direct: dict[str, Any],
    direct_customer: bool | None,
    held: Held,
    audits: Audits,
) -> Filed:
    """Apply `direct` and file the held changes that differ from what is stored as one
    change request, in one transaction: 2 statements, 3 when something is applied directly.
    The request's `baseVersion` is the node's version after the direct part."""
    request_id = nodes.new_id()
    request_audit = audits.request.params(node_id, label, [])
    acl = access.acl_params(actor)

    async def work(tx: Tx) -> Filed:
        found = await tx.run(TARGET[label], {"id": node_id, "acl": acl})
        if not found or not found[0]["seen"]:
            return Filed(None, outcome=Outcome.NOT_FOUND)
        if not found[0]["mine"]:
            return Filed(None, outcome=Outcome.FORBIDDEN)
        node: NodeRow = found[0]["node"]
        if expected_version is not None and node["version"] != expected_version:
            return Filed(None, outcome=Outcome.CONFLICT, current_version=node["version"])
        changes = diff(node, held)
        # Only what differs is written: the same values again make no version and no event.
        changed = _changed(node, direct, direct_customer)
        if changed:
            audit = audits.update.params(node_id, label, changed)
            updated = await _update(tx, actor, label, node_id, direct, direct_customer, audit)
            if updated is None:
                return Filed(None, outcome=Outcome.IN_USE)
            node = updated
        request = None
        if changes:
            request = await _file(tx, actor, label, node, held, changes, request_id, request_audit)
        return Filed(node, request)

    return await db.transaction(work)


async def upsert(
    db: Database,
    actor: Actor,
    label: Label,
    source: str,
    external_id: str,
    direct: dict[str, Any],
    direct_customer: bool | None,
    held: Held,
    audits: Audits,
) -> Filed:
    """graph/nodes.py's upsert, with review: a node it creates takes every field (creating
    is not changing); an existing one takes the direct fields that differ and files the held
    ones that differ as one change request. One transaction, at most 4 statements."""
    request_id = nodes.new_id()
    acl = access.acl_params(actor)
    statements = nodes.STATEMENTS[label]

    async def work(tx: Tx) -> Filed:
        rows = await tx.run(
            statements["upsert_lock"],
            {"source": source, "externalId": external_id, "id": nodes.new_id(), "acl": acl},
        )
        stored: NodeRow = rows[0]["node"]
        node_id = stored["id"]
        if stored["version"] == 0:
            props = {**direct, **held.props}
            customer = held.customer if held.customer is not None else direct_customer
            fields = _direct_fields(props, customer)
            audit = audits.update.params(node_id, label, fields)
            created = await _update(tx, actor, label, node_id, props, customer, audit)
            if created is None:  # not so for a node without records; for the type checker
                return Filed(None, outcome=Outcome.IN_USE)
            return Filed(created, created=True, changed=sorted(fields))
        found = await tx.run(TARGET[label], {"id": node_id, "acl": acl})
        if not found[0]["seen"]:
            return Filed(None, outcome=Outcome.NOT_FOUND)
        if not found[0]["mine"]:
            return Filed(None, outcome=Outcome.FORBIDDEN)
        if nodes.same_line(label, stored, direct) is not None:
            return Filed(None, outcome=Outcome.SAME_LINE)
        node = stored
        changed = _changed(stored, direct, direct_customer)
        if changed:
            audit = audits.update.params(node_id, label, changed)
            updated = await _update(tx, actor, label, node_id, direct, direct_customer, audit)
            if updated is None:
                return Filed(None, outcome=Outcome.IN_USE)
            node = updated
        changes = diff(node, held)
        request = None
        if changes:
            audit = audits.request.params(node_id, label, [])
            request = await _file(tx, actor, label, node, held, changes, request_id, audit)
        return Filed(node, request, changed=sorted(changed))

    return await db.transaction(work)


def may_decide(actor: Actor, request: ChangeRequestRow, editor: bool) -> bool:
    """ADMIN, or a MANAGER whose scope (its team and the teams below) holds the requester and
    who may edit the target."""
    if "ADMIN" in actor.roles:
        return True
    return "MANAGER" in actor.roles and editor and request["requestedBy"] in actor.scope.users


class Action(Enum):
    APPROVE = ("changeApprove", Status.APPROVED)
    REJECT = ("changeReject", Status.REJECTED)
    WITHDRAW = ("changeWithdraw", Status.WITHDRAWN)


async def decide(
    db: Database,
    actor: Actor,
    request_id: str,
    action: Action,
    note: str | None,
    request_id_of_call: str,
) -> Decided:
    """Approve, reject or withdraw a pending request, in one transaction with its audit
    event: 2 statements, 3 for an approval (which applies the change with the version check
    against `baseVersion`)."""
    verb, status = action.value
    audit_id = nodes.new_id()
    acl = access.acl_params(actor)

    async def work(tx: Tx) -> Decided:
        rows = await tx.run(LOAD, {"id": request_id, "acl": acl})
        if not rows:
            return Decided(None, outcome=Outcome.NOT_FOUND)
        request: ChangeRequestRow = rows[0]["request"]
        node: NodeRow = rows[0]["node"]
        if action is Action.WITHDRAW:
            if request["requestedBy"] != actor.id:
                return Decided(request, outcome=Outcome.FORBIDDEN)
        elif request["requestedBy"] == actor.id:
            return Decided(request, outcome=Outcome.OWN_REQUEST)
        elif not may_decide(actor, request, bool(rows[0]["mine"])):
            return Decided(request, outcome=Outcome.FORBIDDEN)
        if request["status"] != Status.PENDING:
            return Decided(request, outcome=Outcome.CLOSED)
        label = Label(request["targetLabel"])
        audit = nodes.Audit(actor, f"{label.value.lower()}.{verb}", request_id_of_call).params(
            node["id"], label, request["fields"], audit_id
        )
        if action is Action.APPROVE:
            if node["version"] != request["baseVersion"]:
                return Decided(request, outcome=Outcome.CONFLICT, current_version=node["version"])
            props, customer = _apply_params(changes_of(request))
            approved = await _update(tx, actor, label, node["id"], props, customer, audit)
            if approved is None:
                return Decided(request, outcome=Outcome.IN_USE)
            node = approved
        closed = await tx.run(CLOSE, {"id": request_id, "status": status, "note": note, **audit})
        decided: ChangeRequestRow = closed[0]["request"]
        decided["target"] = node
        return Decided(decided, node)

    return await db.transaction(work)


async def page(
    db: Database,
    actor: Actor,
    status: str | None,
    target: str | None,
    requested_by: str | None,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[ChangeRequestRow], int | None]:
    """Requests whose target the viewer sees, newest first; the count is a second round trip,
    only when asked for."""
    params: dict[str, Any] = {
        "status": status,
        "target": target,
        "requestedBy": requested_by,
        "acl": access.acl_params(actor),
    }
    rows, total = await pages.read(db, PAGE, COUNT, params, pages.after(after), limit, with_total)
    return [r["request"] for r in rows], total


async def pending(
    db: Database, actor: Actor, node_ids: list[str]
) -> dict[str, list[ChangeRequestRow]]:
    """Pending requests per node (newest first, at most MAX_PENDING_PER_NODE each) for the
    nodes the viewer sees: one round trip for all of them."""
    rows = await db.read(
        PENDING, {"ids": node_ids, "limit": MAX_PENDING_PER_NODE, "acl": access.acl_params(actor)}
    )
    return {r["key"]: r["requests"] for r in rows}
