"""Merging duplicate companies or people into one survivor (deduplication, R22/R23).

One transaction: lock the survivor and the merged nodes, move every edge of the merged nodes
(both directions, every relationship type of the closed vocabulary that touches the label) to
the survivor with its properties and history, and the edges of its records, outreach, shares
and classification changes (SATELLITES) with it, drop edges that would become self-loops, record
`(:MergedId {id: old})-[:MERGED_INTO]->(survivor)` (re-pointing older merged ids), delete the
merged nodes, copy the properties the survivor lacks, and audit every node involved.

There is no APOC on Neo4j Community, and a relationship's type cannot be changed in place, so
each moved edge is re-created with `SET r2 = properties(r)` by statements prebuilt per type.
Moving hierarchy edges can close a cycle (A→X→B merged into B gives B→X→B): those merges take
the acyclic types' locks first, check afterwards, and roll the whole transaction back.

Access: the viewer must be able to edit the survivor and every merged record, judged in the
statement that locks them (graph/access.py); one they cannot see is NOT_FOUND, one they see
but may not edit FORBIDDEN, and nothing is written. Viewers who never edit are refused
before any statement runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, LiteralString

from graph import crypto
from graph.access import acl_params
from graph.cypher import current, hops
from graph.db import Cypher, Database, Row, Tx
from graph.history import STATUS_SUFFIXES
from graph.nodes import PROJECTION, Audit, audit_from, new_id, verdict
from graph.refusal import Refusal
from graph.relationship import CYCLE_HOPS, NOT_ENDED, TYPE_LOCK
from graph.rows import NodeRow
from graph.vocab import ACYCLIC, CHANNELS, ENDPOINTS, Label, Rel

MAX_MERGED = 20

# Never copied from a merged node: identity, bookkeeping and lifecycle of the record itself.
NOT_COPIED = frozenset(
    {"id", "version", "createdAt", "updatedAt", "archivedAt", "externalSource", "externalId"}
)


# Edges of the records and the workflows around a customer or person, outside the graph
# vocabulary (ENDPOINTS): (type, True when it points at the merged node). A record is ABOUT its
# customer and INVOLVES its people, an outreach message goes TO_CUSTOMER and TO_PERSON, a
# classification change is OF its customer, and an account is SHARED_WITH users and teams.
# Left behind, they would go with the merged node, and its history with them.
SATELLITES: dict[Label, tuple[tuple[LiteralString, bool], ...]] = {
    Label.COMPANY: (("ABOUT", True), ("TO_CUSTOMER", True), ("OF", True), ("SHARED_WITH", False)),
    Label.PERSON: (
        ("ABOUT", True),
        ("TO_CUSTOMER", True),
        ("OF", True),
        ("SHARED_WITH", False),
        ("INVOLVES", True),
        ("TO_PERSON", True),
    ),
}


def _moved_types(label: Label) -> list[str]:
    """The relationship type of each count `_move` returns, in order."""
    out: list[str] = []
    for rel, (froms, tos) in ENDPOINTS.items():
        out += [rel.value] * ((label in froms) + (label in tos))
    return out + [t for t, _ in SATELLITES[label]]


def _move(label: Label) -> Cypher:
    lb: LiteralString = label.value
    parts: list[LiteralString] = []
    counts: list[LiteralString] = []
    i = 0
    for rel, (froms, tos) in ENDPOINTS.items():
        t: LiteralString = rel.value
        patterns: list[LiteralString] = []
        if label in froms:
            patterns.append(
                "MATCH (m:" + lb + " {id: mid})-[r:" + t + "]->(x) WHERE NOT x.id IN $all "
                "CREATE (s)-[r2:" + t + "]->(x) SET r2 = properties(r)"
            )
        if label in tos:
            # The survivor keeps its own owner: a merged record's current ownership ends
            # today on it (kept as history, and the access with it), else it would gain
            # a second owner, and that owner's team the account.
            ends: LiteralString = (
                ", r2.until = CASE WHEN owned AND " + current("r") + " THEN date() ELSE r.until END"
                if rel is Rel.OWNS
                else ""
            )
            patterns.append(
                "MATCH (x)-[r:" + t + "]->(m:" + lb + " {id: mid}) WHERE NOT x.id IN $all "
                "CREATE (x)-[r2:" + t + "]->(s) SET r2 = properties(r)" + ends
            )
        for pattern in patterns:
            c: LiteralString = "c" + str(i)
            parts.append(
                "CALL (s, owned) { UNWIND $merged AS mid " + pattern + " RETURN count(r2) AS "
                + c + " } "
            )  # fmt: skip
            counts.append(c)
            i += 1
    for t, incoming in SATELLITES[label]:
        # Never a second edge of the type between one pair: a record about both, or a share
        # with one principal from both, keeps the survivor's.
        # (x is a record, a message, a change, a user or a team: never one of the merged.)
        pattern = (
            "MATCH (x)-[r:" + t + "]->(m:" + lb + " {id: mid}) "
            "WHERE NOT EXISTS { (x)-[:" + t + "]->(s) } "
            "CREATE (x)-[r2:" + t + "]->(s) SET r2 = properties(r)"
            if incoming
            else "MATCH (m:" + lb + " {id: mid})-[r:" + t + "]->(x) "
            "WHERE NOT EXISTS { (s)-[:" + t + "]->(x) } "
            "CREATE (s)-[r2:" + t + "]->(x) SET r2 = properties(r)"
        )
        c = "c" + str(i)
        parts.append(
            "CALL (s) { UNWIND $merged AS mid " + pattern + " RETURN count(r2) AS " + c + " } "
        )
        counts.append(c)
        i += 1
    return Cypher(
        f"merge.move.{label.value.lower()}",
        "MATCH (s:"
        + lb
        + " {id: $survivor}) WITH s, EXISTS { MATCH (s)<-[o:OWNS]-(:User) WHERE "
        + current("o")
        + " } AS owned "
        + "".join(parts)
        + "RETURN "
        + " + ".join(counts)
        + " AS moved, ["
        + ", ".join(counts)
        + "] AS counts",
    )


def _statements(label: Label) -> dict[str, Cypher]:
    lb: LiteralString = label.value
    name = label.value.lower()
    return {
        "lock": Cypher(
            f"merge.lock.{name}",
            "UNWIND $ids AS id MATCH (n:" + lb + " {id: id}) "
            "SET n.__lock = true REMOVE n.__lock "
            "RETURN n.id AS id, properties(n) AS props, n:Customer AS customer, "
            + verdict(label is Label.PERSON)  # a person without employer: their creator's
            + " AS verdict",
        ),
        "move": _move(label),
        "merged_ids": Cypher(
            f"merge.merged_ids.{name}",
            "MATCH (s:" + lb + " {id: $survivor}) "
            "OPTIONAL MATCH (old:MergedId)-[was:MERGED_INTO]->(m:" + lb + ") "
            "WHERE m.id IN $merged "
            "DELETE was "
            "WITH DISTINCT s, old "
            "FOREACH (o IN CASE WHEN old IS NULL THEN [] ELSE [old] END | "
            "  MERGE (o)-[:MERGED_INTO]->(s)) "
            "WITH DISTINCT s UNWIND $merged AS mid "
            "MERGE (mi:MergedId {id: mid}) SET mi += coalesce($keys[mid], {}) "
            "MERGE (mi)-[:MERGED_INTO]->(s)",
        ),
        "delete": Cypher(
            f"merge.delete.{name}",
            "MATCH (m:" + lb + ") WHERE m.id IN $merged DETACH DELETE m",
        ),
        # Duplicate candidates (graph/duplicates.py) naming a merged record are settled.
        "candidates": Cypher(
            f"merge.candidates.{name}",
            "MATCH (d:DuplicateCandidate) WHERE d.a IN $merged OR d.b IN $merged DETACH DELETE d",
        ),
        "survivor": Cypher(
            f"merge.survivor.{name}",
            "MATCH (n:" + lb + " {id: $survivor}) "
            "SET n += $extra, n.version = n.version + 1, n.updatedAt = datetime() "
            "FOREACH (_ IN CASE WHEN $customer THEN [1] ELSE [] END | SET n:Customer) "
            "WITH n UNWIND $audits AS ev "
            + audit_from("ev")
            + " WITH DISTINCT n RETURN "
            + PROJECTION
            + " AS node",
        ),
    }


def _cycle_through(rel: Rel) -> Cypher:
    t: LiteralString = rel.value
    lb: LiteralString = ENDPOINTS[rel][0][0].value
    return Cypher(
        f"merge.cycle.{rel.value.lower()}",
        "MATCH (s:" + lb + " {id: $survivor}) "
        "RETURN EXISTS { MATCH (s)-[rs:" + t + hops(1, CYCLE_HOPS) + "]->(s) "
        "WHERE all(x IN rs WHERE " + NOT_ENDED + ") } AS cycle",
    )


MERGEABLE = (Label.COMPANY, Label.PERSON)
STATEMENTS: dict[Label, dict[str, Cypher]] = {label: _statements(label) for label in MERGEABLE}
MOVED_TYPES: dict[Label, list[str]] = {label: _moved_types(label) for label in MERGEABLE}
CYCLE_THROUGH: dict[Rel, Cypher] = {rel: _cycle_through(rel) for rel in ACYCLIC}
STANCE_OWNER = Cypher(
    "merge.stance_changes",
    "MATCH (c:StanceChange) WHERE c.personId IN $merged SET c.personId = $survivor "
    # Consent records (graph/privacy.py) follow the person too: one statement, no extra trip.
    "WITH count(*) AS _ "
    "MATCH (k:Consent) WHERE k.personId IN $merged SET k.personId = $survivor",
)
# The checks of a merged node's phones, e-mails and addresses (graph/verification.py) are the
# survivor's history now: its current statuses were copied with the properties it lacked.
VERIFICATIONS = Cypher(
    "merge.verifications",
    "MATCH (v:Verification) WHERE v.targetId IN $merged SET v.targetId = $survivor "
    "RETURN count(v) AS moved",
)


@dataclass(frozen=True)
class MergeResult:
    """The survivor, or the refusal: NOT_FOUND or FORBIDDEN (detail: the id, or None when the
    viewer never edits), CONFLICT (detail: id and current version) or CYCLE (detail: the
    relationship type)."""

    node: NodeRow | None
    refusal: Refusal | None = None
    detail: Any = None
    moved: int = 0
    # Edges moved per relationship type, and the properties copied to the survivor.
    moved_by_type: dict[str, int] | None = None
    copied: tuple[str, ...] = ()
    # A dry run: everything above was computed in a transaction that was rolled back.
    dry_run: bool = False


class _Refused(Exception):
    """Raised inside the transaction to roll back everything written so far."""

    def __init__(self, result: MergeResult) -> None:
        super().__init__(result.refusal)
        self.result = result


def _checked_channel(label: Label, key: str) -> str | None:
    """The channel whose verification `key` holds (phoneStatus → phone), else None."""
    for suffix in STATUS_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in CHANNELS[label]:
            return key[: -len(suffix)]
    return None


def _missing(label: Label, survivor: Row, merged: list[Row]) -> dict[str, Any]:
    """Properties the survivor lacks, taken from the merged nodes in the order given. A
    channel's verification comes only with the value it checked: a merged record's VERIFIED
    phone says nothing of the survivor's other number."""
    have: dict[str, Any] = dict(survivor)
    extra: dict[str, Any] = {}
    for props in merged:
        # The values first, then their checks, which look at the values as copied.
        ordered = sorted(props.items(), key=lambda kv: _checked_channel(label, kv[0]) is not None)
        for key, value in ordered:
            if key in NOT_COPIED or key.startswith("__") or value is None:
                continue
            channel = _checked_channel(label, key)
            if channel is not None and have.get(channel) != props.get(channel):
                continue
            if key == "custom":
                mine = json.loads(have.get("custom") or "{}")
                theirs = json.loads(value)
                combined = {**theirs, **mine}
                if combined != mine:
                    extra["custom"] = have["custom"] = json.dumps(
                        combined, ensure_ascii=False, sort_keys=True
                    )
                continue
            if have.get(key) is None:
                extra[key] = have[key] = value
        if have.get("externalId") is None and props.get("externalId") is not None:
            for key in ("externalSource", "externalId"):
                extra[key] = have[key] = props.get(key)
    return extra


def _external_keys(survivor: Row, merged: dict[str, Row]) -> dict[str, dict[str, str]]:
    """Per merged id, its key in a source system when the survivor (as it will be) holds
    another: kept on its MergedId, so that imports from that source still find the account."""
    kept = (survivor.get("externalSource"), survivor.get("externalId"))
    keys: dict[str, dict[str, str]] = {}
    for node_id, props in merged.items():
        key = (props.get("externalSource"), props.get("externalId"))
        if key[0] is not None and key[1] is not None and key != kept:
            keys[node_id] = {"externalSource": key[0], "externalId": key[1]}
    return keys


async def merge(
    db: Database,
    label: Label,
    survivor_id: str,
    merged_ids: list[str],
    expected_versions: dict[str, int],
    audit: Audit,
    dry_run: bool = False,
) -> MergeResult:
    """Merge `merged_ids` into `survivor_id`. `dry_run` runs the very same statements and
    rolls the transaction back: the result shows what would move and nothing changes."""
    if not audit.actor.scope.may_edit:
        return MergeResult(None, Refusal.FORBIDDEN, None)
    acl = acl_params(audit.actor)
    st = STATEMENTS[label]
    acyclic = [rel for rel in ACYCLIC if label in ENDPOINTS[rel][0]]
    audit_ids = {i: new_id() for i in [survivor_id, *merged_ids]}
    everyone = [survivor_id, *merged_ids]

    async def work(tx: Tx) -> MergeResult:
        for rel in acyclic:
            await tx.run(TYPE_LOCK[rel])
        rows = await tx.run(st["lock"], {"ids": sorted(everyone), "acl": acl})
        found = {r["id"]: r for r in rows if r["verdict"] != "missing"}
        for node_id in everyone:
            if node_id not in found:
                return MergeResult(None, Refusal.NOT_FOUND, node_id)
        for node_id in everyone:
            if found[node_id]["verdict"] == "forbidden":
                return MergeResult(None, Refusal.FORBIDDEN, node_id)
        for node_id, version in expected_versions.items():
            current = found[node_id]["props"].get("version")
            if current != version:
                return MergeResult(None, Refusal.CONFLICT, (node_id, current))
        params = {"survivor": survivor_id, "merged": merged_ids, "all": everyone}
        move = (await tx.run(st["move"], params))[0]
        moved = move["moved"]
        by_type: dict[str, int] = {}
        for type_name, n in zip(MOVED_TYPES[label], move["counts"], strict=True):
            if n:
                by_type[type_name] = by_type.get(type_name, 0) + n
        for rel in acyclic:
            cyc = await tx.run(CYCLE_THROUGH[rel], {"survivor": survivor_id})
            if cyc and cyc[0]["cycle"]:
                raise _Refused(MergeResult(None, Refusal.CYCLE, rel))
        extra = _missing(
            label, found[survivor_id]["props"], [found[i]["props"] for i in merged_ids]
        )
        keys = _external_keys(
            {**found[survivor_id]["props"], **extra}, {i: found[i]["props"] for i in merged_ids}
        )
        await tx.run(
            st["merged_ids"], {"survivor": survivor_id, "merged": merged_ids, "keys": keys}
        )
        if label is Label.PERSON:
            await tx.run(STANCE_OWNER, {"survivor": survivor_id, "merged": merged_ids})
        await tx.run(VERIFICATIONS, {"survivor": survivor_id, "merged": merged_ids})
        await tx.run(st["delete"], {"merged": merged_ids})
        await tx.run(st["candidates"], {"merged": merged_ids})
        copied = tuple(sorted(extra))  # the field names, before encryption renames any
        extra = crypto.protect(label, extra)  # a merged node's plain number, if not migrated
        customer = not found[survivor_id]["customer"] and any(
            found[i]["customer"] for i in merged_ids
        )
        action = f"{label.value.lower()}.merge"
        audits = [
            {
                "auditId": audit_ids[survivor_id],
                "actor": audit.actor.id,
                "action": action,
                "targetId": survivor_id,
                "targetLabel": label.value,
                "fields": sorted([*extra, "mergedFrom"]),
                "requestId": audit.request_id,
            }
        ] + [
            {
                "auditId": audit_ids[i],
                "actor": audit.actor.id,
                "action": action,
                "targetId": i,
                "targetLabel": label.value,
                "fields": ["mergedInto"],
                "requestId": audit.request_id,
            }
            for i in merged_ids
        ]
        out = await tx.run(
            st["survivor"],
            {"survivor": survivor_id, "extra": extra, "customer": customer, "audits": audits},
        )
        result = MergeResult(
            out[0]["node"],
            moved=moved,
            moved_by_type=by_type,
            copied=copied,
            dry_run=dry_run,
        )
        if dry_run:
            raise _Refused(result)  # roll back: a dry run changes nothing
        return result

    try:
        return await db.transaction(work)
    except _Refused as refused:
        return refused.result
