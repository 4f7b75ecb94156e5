"""Field history (R9, R23): old and new value of every change to a dynamic field.

A `(:FieldChange {id, targetId, targetLabel, field, old, new, at, by, requestId, auditId})`
is written by the statement that changes the field, so history and change commit or fail
together and no write path can skip it:
- graph/nodes.py's update statement (plain updates, upserts, approved change requests)
  records the tracked properties of its label that `$props` changes (`RECORD`);
- transferOwnership records the pseudo-field `owner` (user ids, `OWNER_CHANGE`).
Creating a node records nothing (there is no old value). The change's id is
`<audit event id>/<field>`, MERGEd, so a write the driver retries records it once.

What is tracked: the fixed dynamic fields in `TRACKED`, and every custom field whose
definition is marked dynamic (stored as `custom.<key>`, graph/customfields.py), looked up in
the same statement. Values are stored as the node stores them: the ID number as its mask
plus the ciphertext (`oldCipher`, `newCipher`; graph/crypto.py), never in clear; its
change is detected on the digest, since two numbers can share a mask.

Reads (`page`) show a node's history only when the viewer may see the node
(graph/access.py `visible`); an invisible node has no history, as a missing one. A merge
moves the merged record's changes to the survivor, each marked `mergedFrom` (graph/merge.py),
and a merged id reads the survivor's history.
"""

from __future__ import annotations

from typing import Any, LiteralString, NotRequired, TypedDict

from graph import crypto, pages
from graph.access import acl_params, own_request, visible
from graph.actor import Actor
from graph.cypher import any_label_union
from graph.db import Cypher, Database, Tx
from graph.vocab import CHANNELS, Label

# The dynamic properties of each label (seed 000 ❸: data that changes over a customer's
# life). `lifecycleStage` is the customer profile's, stored on the node.
TRACKED: dict[Label, tuple[LiteralString, ...]] = {
    Label.PERSON: ("mobile", "officePhone", "email", crypto.ID_NUMBER, "lifecycleStage"),
    Label.COMPANY: ("phone", "settlementMethod", "bankAccount", "visitCycleDays", "lifecycleStage"),
    # An opportunity's stage and every input of its forecast, so graph/pipeline.py can
    # replay it at any past moment.
    Label.PROJECT: (
        "status",
        "stage",
        "amount",
        "currency",
        "expectedClose",
        "winProbability",
        "winProbabilityReason",
        "lostReason",
        "lostNote",
    ),
}
# The pseudo-field of an ownership transfer (values: user ids).
OWNER: LiteralString = "owner"
# Custom field values are stored under this prefix (graph/customfields.py).
CUSTOM_PREFIX: LiteralString = "custom."
MAX_PAGE = 100


class FieldChangeRow(TypedDict):
    id: str
    targetId: str
    targetLabel: str
    field: str
    old: NotRequired[Any]
    new: NotRequired[Any]
    oldCipher: NotRequired[str | None]
    newCipher: NotRequired[str | None]
    at: Any
    by: str
    requestId: NotRequired[str | None]
    mergedFrom: NotRequired[str | None]


def _list(values: tuple[LiteralString, ...]) -> LiteralString:
    out: LiteralString = "["
    for i, v in enumerate(values):
        out += ("" if i == 0 else ", ") + "'" + v + "'"
    return out + "]"


# Null-safe "differs": both null is no change.
def _differs(a: LiteralString, b: LiteralString) -> LiteralString:
    return "NOT coalesce(" + a + " = " + b + ", " + a + " IS NULL AND " + b + " IS NULL)"


# The properties holding a channel's verification (graph/verification.py), after its name.
STATUS_SUFFIXES: tuple[LiteralString, ...] = ("Status", "StatusAt", "StatusBy", "StatusMethod")


def unverify(
    label: Label, n: LiteralString = "n", props: LiteralString = "$props"
) -> LiteralString:
    """Before the update of `n`: a contact channel whose value `props` changes loses its
    verification (it was about the old value). Saving the same value keeps it; statuses in
    `props` itself (an import of exported data) are set after this, so they stand."""
    channels = CHANNELS.get(label)
    if not channels:
        return ""
    sets: LiteralString = ""
    for i, suffix in enumerate(STATUS_SUFFIXES):
        sets += ("" if i == 0 else ", ") + n + "[k + '" + suffix + "'] = null"
    return (
        "FOREACH (k IN [k IN " + _list(channels) + " WHERE k IN keys(" + props + ") AND "
        + _differs(n + "[k]", props + "[k]") + "] | SET " + sets + ") "
    )  # fmt: skip


def before(label: Label) -> LiteralString:
    """`WITH n, <the tracked values $props is about to change> AS before`, for the node `n`
    before its update. Nothing for a node the upsert just made (version 0: a create)."""
    tracked = TRACKED.get(label)
    if tracked is None:
        return "WITH n, [] AS before "
    kind: LiteralString = label.value.upper()
    return (
        "WITH n, CASE WHEN n.version = 0 THEN [] ELSE [k IN " + _list(tracked) + " + COLLECT { "
        "MATCH (d:CustomFieldDefinition {kind: '" + kind + "'}) WHERE d.dynamic "
        "RETURN '" + CUSTOM_PREFIX + "' + d.key } WHERE k IN keys($props) | "
        "{field: k, old: n[k], oldCipher: CASE WHEN k = '" + crypto.ID_NUMBER + "' THEN n."
        + crypto.CIPHER + " END, oldDigest: CASE WHEN k = '" + crypto.ID_NUMBER + "' THEN n."
        + crypto.DIGEST + " END}] END AS before "
    )  # fmt: skip


def record(label: Label) -> LiteralString:
    """After the update of `n` (with `before` bound): one FieldChange per tracked value that
    changed, with the write's `$auditId`, `$actor` and `$requestId`."""
    lb: LiteralString = label.value
    changed: LiteralString = (
        "CASE WHEN c.field = '" + crypto.ID_NUMBER + "' THEN "
        + _differs("c.oldDigest", "n." + crypto.DIGEST)
        + " ELSE " + _differs("c.old", "n[c.field]") + " END"
    )  # fmt: skip
    return (
        "WITH n, before FOREACH (c IN [c IN before WHERE " + changed + "] | "
        "MERGE (fc:FieldChange {id: $auditId + '/' + c.field}) ON CREATE SET "
        "fc.targetId = n.id, fc.targetLabel = '" + lb + "', fc.field = c.field, "
        "fc.old = c.old, fc.new = n[c.field], fc.oldCipher = c.oldCipher, "
        "fc.newCipher = CASE WHEN c.field = '" + crypto.ID_NUMBER + "' THEN n."
        + crypto.CIPHER + " END, "
        "fc.at = datetime(), fc.by = $actor, fc.requestId = $requestId, fc.auditId = $auditId) "
    )  # fmt: skip


OWNER_CHANGE = Cypher(
    "history.owner_change",
    "MERGE (fc:FieldChange {id: $auditId + '/owner'}) ON CREATE SET "
    "fc.targetId = $targetId, fc.targetLabel = $label, fc.field = 'owner', fc.old = $old, "
    "fc.new = $new, fc.at = datetime(), fc.by = $actor, fc.requestId = $requestId, "
    "fc.auditId = $auditId",
)


async def owner_change(
    tx: Tx,
    target_id: str,
    label: Label,
    old: list[str],
    new: str,
    audit: dict[str, Any],
) -> None:
    """Record an ownership transfer inside the transfer's transaction. `old` holds the
    owners whose edges it ended (stored as one id, or a list when there were several)."""
    previous: str | list[str] | None = old[0] if len(old) == 1 else (sorted(old) or None)
    await tx.run(
        OWNER_CHANGE,
        {
            "auditId": audit["auditId"],
            "targetId": target_id,
            "label": label.value,
            "old": previous,
            "new": new,
            "actor": audit["actor"],
            "requestId": audit["requestId"],
        },
    )


# A merged id reads its survivor's history, which holds its own (graph/merge.py moved it).
_GATE: LiteralString = (
    "OPTIONAL MATCH (:MergedId {id: $id})-[:MERGED_INTO]->(survivor) "
    "WITH coalesce(survivor.id, $id) AS key "
    "OPTIONAL CALL (key) { " + any_label_union("t", "key") + " } "
    "WITH t WHERE t IS NOT NULL AND " + visible("t") + " "
)
PAGE = Cypher(
    "history.page",
    _GATE + "MATCH (fc:FieldChange {targetId: t.id, field: $field}) "
    "WHERE $afterAt IS NULL OR fc.at < datetime($afterAt) "
    "OR (fc.at = datetime($afterAt) AND fc.id < $afterId) "
    "WITH fc ORDER BY fc.at DESC, fc.id DESC LIMIT $limit "
    "RETURN fc{.*, requestId: " + own_request("fc", "by") + "} AS change",
)
COUNT = Cypher(
    "history.count",
    _GATE + "MATCH (fc:FieldChange {targetId: t.id, field: $field}) RETURN count(fc) AS n",
)
# The label of a node the viewer may see (null when it may not): which fields it has.
LABEL_OF = Cypher(
    "history.label_of",
    _GATE + "RETURN [l IN labels(t) WHERE l IN $labels][0] AS label",
)


async def label_of(db: Database, actor: Actor, node_id: str) -> Label | None:
    """The node's label when the viewer may see it, else None (as a missing node)."""
    labels = [lb.value for lb in TRACKED]
    rows = await db.read(LABEL_OF, {"id": node_id, "labels": labels, "acl": acl_params(actor)})
    return Label(rows[0]["label"]) if rows and rows[0]["label"] else None


async def page(
    db: Database,
    actor: Actor,
    node_id: str,
    field: str,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[FieldChangeRow], int | None]:
    """The field's changes on a node the viewer sees, newest first (`limit` of them)."""
    acl = acl_params(actor)
    params = {
        "id": node_id,
        "field": field,
        "limit": limit,
        **pages.after(after),
        "acl": acl,
    }
    rows = await db.read(PAGE, params)
    total = None
    if with_total:
        counted = await db.read(COUNT, {"id": node_id, "field": field, "acl": acl})
        total = counted[0]["n"] if counted else 0
    return [r["change"] for r in rows], total
