"""Merging duplicate companies or people into one survivor (deduplication, R22/R23).

One transaction: lock the survivor and the merged nodes, move every edge of the merged nodes
(both directions, every relationship type of the closed vocabulary that touches the label) to
the survivor with its properties and history, and the edges of its records, outreach and
classification changes (SATELLITES) with it, end the merged records' shares (below), drop
edges that would become self-loops, record
`(:MergedId {id: old})-[:MERGED_INTO]->(survivor)` (re-pointing older merged ids), delete the
merged nodes, copy the properties the survivor lacks, and audit every node involved. The
merged records' field history and channel checks become the survivor's, marked with the
record they were about.

Parallel edges. Both records may hold the same tie (two people both working at C09, two
companies both SUBSIDIARY_OF one parent): moved, it would be a second edge of the type between
the survivor and the same node, which linkNodes forbids when the dates overlap. Moved edges
carry a marker (`__merged`: the merged id they came from) until the merge has collapsed
every group of same-type, same-direction edges to one node whose [since, until) overlap
(directly or through one another; INFLUENCES only within one project) into one edge: the
survivor's own, else the first merged record's, its dates widened to cover the group and the
properties it lacks filled from the others (graph/relationship.py's overlap rule, applied to
every type of the vocabulary the merge moves, both directions). The edges folded in are
deleted and audited (`mergedInto`), the kept one changed and audited like an update; they
do not count as moved (`collapsed_by_type` counts them). Edges between the survivor and a
merged record are never moved (no self-loop), nor are the satellites, which keep one edge per
pair as they move.

Sales plans (graph/plans.py). A merged customer's CUSTOMER plans become the survivor's: the
id of a plan is made from its key, so a plan for a (period, currency) the survivor has none
for takes the survivor's id and target; where the survivor has one, the merged plan's amount
is added to it (a merged customer's target is part of the survivor's now) and the merged plan
deleted. Either way the plan kept gets a new version, `updatedAt`/`updatedBy`, and an audit
event, as savePlans writes; the dry run counts them (`plans_retargeted`, `plans_combined`).

There is no APOC on Neo4j Community, and a relationship's type cannot be changed in place, so
each moved edge is re-created with `SET r2 = properties(r)` by statements prebuilt per type.
Moving hierarchy edges can close a cycle (A→X→B merged into B gives B→X→B): those merges take
the acyclic types' locks first, check afterwards, and roll the whole transaction back.

Shares. A share gave its holder one account, not the one it is merged into: moved, it would
open the survivor's own records, contacts and history to someone its owner never chose. The
merged records' shares end with them, each audited as an unshare (`mergedInto`, with its
principal); the payload counts them (`sharesEnded`), the dry run too, and the survivor's
owner shares it again if the holder should keep working on it.

Access: the viewer must be able to edit the survivor and every merged record through rights
of its own (an EDIT share's do not count: a merge outlives the share), judged in the
statement that locks them (graph/access.py); one they cannot see is NOT_FOUND, one they see
but may not edit FORBIDDEN, and nothing is written. Viewers who never edit are refused
before any statement runs.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from typing import Any, LiteralString

from graph import crypto, pinyin
from graph.access import acl_params, visible
from graph.cypher import current, hops
from graph.db import Cypher, Database, Row, Tx
from graph.history import STATUS_SUFFIXES
from graph.nodes import PROJECTION, Audit, audit_from, new_id, verdict
from graph.plans import Dimension, plan_id
from graph.privacy import SCORE_PROPS
from graph.refusal import Refusal
from graph.relationship import CYCLE_HOPS, NOT_ENDED, TYPE_LOCK
from graph.rows import NodeRow
from graph.vocab import ACYCLIC, CHANNELS, ENDPOINTS, Label, Rel

MAX_MERGED = 20

# Never copied from a merged node: identity, bookkeeping and lifecycle of the record itself.
NOT_COPIED = frozenset(
    {"id", "version", "createdAt", "updatedAt", "archivedAt", "externalSource", "externalId"}
)
# Computed from other values (search keys, scores, the ID number's ciphertext): a merged
# record's differing one is no value a user loses. Its digest stands for the ID number.
NOT_DROPPED = frozenset(
    {*pinyin.DERIVED, *SCORE_PROPS, crypto.CIPHER, "lifecycleChangedAt", "lifecycleMovedAt"}
)


# Edges of the records and the workflows around a customer or person, outside the graph
# vocabulary (ENDPOINTS): (type, True when it points at the merged node). A record is ABOUT its
# customer and INVOLVES its people, an outreach message goes TO_CUSTOMER and TO_PERSON, a
# classification change is OF its customer. Left behind, they would go with the merged node,
# and its history with them. (Its shares do not move: see the module doc.)
SATELLITES: dict[Label, tuple[tuple[LiteralString, bool], ...]] = {
    Label.COMPANY: (("ABOUT", True), ("TO_CUSTOMER", True), ("OF", True)),
    Label.PERSON: (
        ("ABOUT", True),
        ("TO_CUSTOMER", True),
        ("OF", True),
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
                "CREATE (s)-[r2:" + t + "]->(x) SET r2 = properties(r), r2.__merged = mid"
            )
        if label in tos:
            # The survivor keeps its own owner: a merged record's current ownership ends
            # today on it (kept as history, and the access with it), else it would gain
            # a second owner, and that owner's team the account. Unless that owner already
            # owns the survivor: the edge is left current and collapses into theirs (ended,
            # an ownership begun today would stay as a second, empty edge).
            ends: LiteralString = (
                ", r2.until = CASE WHEN owned AND " + current("r") + " AND NOT EXISTS { "
                "MATCH (x)-[k:OWNS]->(s) WHERE k <> r2 AND k.__merged IS NULL AND "
                + current("k")
                + " } THEN date() ELSE r.until END"
                if rel is Rel.OWNS
                else ""
            )
            patterns.append(
                "MATCH (x)-[r:" + t + "]->(m:" + lb + " {id: mid}) WHERE NOT x.id IN $all "
                "CREATE (x)-[r2:" + t + "]->(s) SET r2 = properties(r), r2.__merged = mid" + ends
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
        # The merged records' shares, which end with them (one row each, for its audit).
        + "CALL () { MATCH (m:"
        + lb
        + ")-[r:SHARED_WITH]->(x) WHERE m.id IN $merged "
        "RETURN collect({account: m.id, principal: x.id}) AS shares } "
        "RETURN " + " + ".join(counts) + " AS moved, [" + ", ".join(counts) + "] AS counts, shares",
    )


def _parallel(label: Label) -> Cypher:
    """The survivor's edges of the graph vocabulary that have a sibling: another edge of the
    same type and direction to the same node. `merged` is the merged id a moved edge came
    from (null: the survivor's own)."""
    lb: LiteralString = label.value
    types: LiteralString = ", ".join(
        ["'" + rel.value + "'" for rel, ends in ENDPOINTS.items() if label in (*ends[0], *ends[1])]
    )
    return Cypher(
        f"merge.parallel.{label.value.lower()}",
        "MATCH (s:" + lb + " {id: $survivor})-[r]-(x) WHERE type(r) IN [" + types + "] "
        "WITH x, type(r) AS type, startNode(r) = s AS out, collect(r) AS rs "
        "WHERE size(rs) > 1 AND any(r IN rs WHERE r.__merged IS NOT NULL) "
        "UNWIND rs AS r "
        "RETURN elementId(r) AS edge, type, out, x.id AS other, r.__merged AS merged, "
        "properties(r) AS props",
    )


def _collapse(label: Label) -> Cypher:
    """Collapse parallel edges: each kept edge (`$rows`: keep, its element id; props, its
    widened dates and filled properties) changes, the edges folded into it (`$edges`) go,
    and the moved edges lose their marker; audited (`$audits`)."""
    lb: LiteralString = label.value
    return Cypher(
        f"merge.collapse.{label.value.lower()}",
        "MATCH (s:" + lb + " {id: $survivor}) "
        "CALL (s) { UNWIND $rows AS row MATCH (s)-[r]-() WHERE elementId(r) = row.keep "
        "SET r += row.props, r.version = coalesce(r.version, 0) + 1, r.updatedAt = datetime() } "
        "CALL (s) { MATCH (s)-[d]-() WHERE elementId(d) IN $edges DELETE d } "
        "CALL (s) { MATCH (s)-[m]-() WHERE m.__merged IS NOT NULL REMOVE m.__merged } "
        "WITH s UNWIND $audits AS ev " + audit_from("ev"),
    )


def _statements(label: Label) -> dict[str, Cypher]:
    lb: LiteralString = label.value
    name = label.value.lower()
    return {
        "parallel": _parallel(label),
        "collapse": _collapse(label),
        "lock": Cypher(
            f"merge.lock.{name}",
            "UNWIND $ids AS id MATCH (n:" + lb + " {id: id}) "
            "SET n.__lock = true REMOVE n.__lock "
            "RETURN n.id AS id, properties(n) AS props, n:Customer AS customer, "
            # A person without employer: their creator's. Rights of one's own: a merge
            # moves records, contacts and ownership for good.
             + verdict(label is Label.PERSON, shares=False) + " AS verdict",
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
        # Ids no live node holds that an earlier merge folded into a survivor (a racing
        # merge of the same record): the survivor, when the viewer sees it.
        "folded": Cypher(
            f"merge.folded.{name}",
            "UNWIND $ids AS id MATCH (:MergedId {id: id})-[:MERGED_INTO]->(s:" + lb + ") "
            "WHERE " + visible("s", label is Label.PERSON) + " RETURN id, s.id AS survivor",
        ),
        # `$rows`: a merged record's share (account, principal) with its audit event.
        "shares_end": Cypher(
            f"merge.shares_end.{name}",
            "UNWIND $rows AS row MATCH (m:" + lb + " {id: row.account})-[s:SHARED_WITH]->(x) "
            "WHERE x.id = row.principal DELETE s "
            "WITH row " + audit_from("row.audit") + ", a.principalId = row.principal",
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
# The checks of a merged node's phones, e-mails and addresses (graph/verification.py), and
# its field history (graph/history.py: owner, mobile, lifecycle stage ...), are the
# survivor's history now, each marked with the record it was about (`mergedFrom`, kept from
# an earlier merge): a merged record's check of its own number is not the survivor's.
HISTORY = Cypher(
    "merge.history",
    "MATCH (v:Verification) WHERE v.targetId IN $merged "
    "SET v.mergedFrom = coalesce(v.mergedFrom, v.targetId), v.targetId = $survivor "
    "WITH count(*) AS _ "
    "MATCH (fc:FieldChange) WHERE fc.targetId IN $merged "
    "SET fc.mergedFrom = coalesce(fc.mergedFrom, fc.targetId), fc.targetId = $survivor",
)


# Sales plans of the merged customers (graph/plans.py), locked as savePlans locks them: a plan
# is keyed by (period, dimension, target, currency) and its id made from that key, so a plan
# that moves takes the survivor's id for its key; where the survivor has one, the amounts add
# up in the survivor's (its version goes up, as a save's would) and the merged plan goes.
# (`$all`: the survivor and the merged ids.)
PLANS_OF = Cypher(
    "merge.plans",
    "MATCH (p:SalesPlan) WHERE p.dimension = 'CUSTOMER' AND p.targetId IN $all "
    "SET p.__lock = true REMOVE p.__lock "
    "RETURN p.id AS id, p.targetId AS targetId, p.period AS period, p.currency AS currency, "
    "p.amountCents AS amountCents, p.note AS note ORDER BY p.id",
)
# `$rows`: per plan, `keep` (the id it has after the merge) with its amount and note, or
# `drop` (folded into another); each with its audit event.
PLANS_MOVE = Cypher(
    "merge.plans.move",
    "CALL () { UNWIND $rows AS row WITH row WHERE row.drop "
    "MATCH (p:SalesPlan {id: row.id}) DELETE p } "
    "CALL () { UNWIND $rows AS row WITH row WHERE NOT row.drop "
    "MATCH (p:SalesPlan {id: row.id}) "
    "SET p.id = row.keep, p.targetId = $survivor, p.amountCents = row.amountCents, "
    "p.note = row.note, p.version = p.version + 1, p.updatedAt = datetime(), "
    "p.updatedBy = $actor } "
    "UNWIND $rows AS row " + audit_from("row.audit"),
)


@dataclass(frozen=True)
class MergeResult:
    """The survivor, or the refusal: NOT_FOUND or FORBIDDEN (detail: the id, or None when the
    viewer never edits), CONFLICT (detail: id, current version, and the survivor of an id
    merged already, else None) or CYCLE (detail: the relationship type)."""

    node: NodeRow | None
    refusal: Refusal | None = None
    detail: Any = None
    moved: int = 0
    # Edges moved per relationship type, and the properties copied to the survivor.
    moved_by_type: dict[str, int] | None = None
    copied: tuple[str, ...] = ()
    # The channels whose check came from a merged record (the survivor had none for that
    # value, or an older one), and the fields where a merged record's value was dropped.
    checks_copied: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    # A dry run: everything above was computed in a transaction that was rolled back.
    dry_run: bool = False
    # Moved edges folded into a parallel edge of the survivor (same type, direction and other
    # end, overlapping dates), per type; `moved_by_type` and `moved` leave them out.
    collapsed_by_type: dict[str, int] | None = None
    # The merged customers' sales plans: re-targeted to the survivor (it had none for the
    # key), and added to a plan of the survivor for the same key.
    plans_retargeted: int = 0
    plans_combined: int = 0
    # The merged records' shares, ended with them.
    shares_ended: int = 0


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


def _newer_check(label: Label, have: Row, props: Row) -> set[str]:
    """The channels whose check a merged record holds for the very value the survivor has,
    made after the survivor's own (or where it has none): that check is the current one."""
    out: set[str] = set()
    for channel in CHANNELS[label]:
        value = props.get(channel)
        if value is None or have.get(channel) != value or props.get(channel + "Status") is None:
            continue
        theirs, mine = props.get(channel + "StatusAt"), have.get(channel + "StatusAt")
        if have.get(channel + "Status") is None or (
            theirs is not None and (mine is None or theirs > mine)
        ):
            out.add(channel)
    return out


def _missing(label: Label, survivor: Row, merged: list[Row]) -> tuple[dict[str, Any], list[str]]:
    """Properties the survivor lacks, taken from the merged nodes in the order given, and the
    fields where a merged record's different value is dropped (the survivor's stays). A
    channel's verification comes only with the value it checked: a merged record's VERIFIED
    phone says nothing of the survivor's other number; of the same number, the newer check is
    the current one (the older joins the history, as verifyChannels keeps it)."""
    have: dict[str, Any] = dict(survivor)
    extra: dict[str, Any] = {}
    dropped: set[str] = set()
    for props in merged:
        for key, value in props.items():
            if key in NOT_COPIED or key.startswith("__") or value is None:
                continue
            if _checked_channel(label, key) is not None:
                continue  # below, once the values are copied
            if key == "custom":
                mine = json.loads(have.get("custom") or "{}")
                theirs = json.loads(value)
                combined = {**theirs, **mine}
                dropped |= {f"custom.{k}" for k in theirs if k in mine and mine[k] != theirs[k]}
                if combined != mine:
                    extra["custom"] = have["custom"] = json.dumps(
                        combined, ensure_ascii=False, sort_keys=True
                    )
                continue
            if have.get(key) is None:
                extra[key] = have[key] = value
            elif have[key] != value and key not in NOT_DROPPED:
                dropped.add(crypto.ID_NUMBER if key == crypto.DIGEST else key)
        # A check moves as a whole (status, when, by whom, how), the newer over the older.
        for channel in sorted(_newer_check(label, have, props)):
            for suffix in STATUS_SUFFIXES:
                extra[channel + suffix] = have[channel + suffix] = props.get(channel + suffix)
        if have.get("externalId") is None and props.get("externalId") is not None:
            for key in ("externalSource", "externalId"):
                extra[key] = have[key] = props.get(key)
    return extra, sorted(dropped)


# Edge properties that are the edge's own bookkeeping, never filled from a collapsed sibling.
_EDGE_OWN = frozenset({"id", "version", "createdAt", "updatedAt", "since", "until", "__merged"})


def _day(value: Any) -> str | None:
    """A date bound as comparable text (a Date, or an imported string or DateTime)."""
    if value is None:
        return None
    text: str = value.iso_format() if hasattr(value, "iso_format") else str(value)
    return text[:10]


def _overlap(a: Row, b: Row) -> bool:
    """Two edges' [since, until) meet (a missing bound is open), as linkNodes judges them;
    INFLUENCES edges of different projects never do."""
    pa, pb = a["props"], b["props"]
    if (pa.get("projectId") or "") != (pb.get("projectId") or ""):
        return False
    a_since, a_until, b_since, b_until = (
        _day(pa.get("since")), _day(pa.get("until")), _day(pb.get("since")), _day(pb.get("until"))
    )  # fmt: skip
    return (a_since is None or b_until is None or a_since < b_until) and (
        b_since is None or a_until is None or b_since < a_until
    )


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        i = parent[i]
    return i


def collapse_plan(
    edges: list[Row], merged_ids: list[str]
) -> list[tuple[Row, dict[str, Any], list[Row]]]:
    """The parallel edges `edges` (merge.parallel rows) grouped into the ones a merge
    collapses: per group of the same type, direction and other end whose dates overlap,
    directly or through one another, and holding a moved edge: the edge kept (the
    survivor's own first, else the first merged record's), its changed properties (dates
    widened to cover the group, properties it lacks filled in the order of `merged_ids`),
    and the edges folded into it."""

    def rank(e: Row) -> tuple[int, str]:
        merged = e["merged"]
        return (0 if merged is None else 1 + merged_ids.index(merged), e["edge"])

    groups: dict[tuple[str, bool, str], list[Row]] = {}
    for e in edges:
        groups.setdefault((e["type"], e["out"], e["other"]), []).append(e)
    out: list[tuple[Row, dict[str, Any], list[Row]]] = []
    for group in groups.values():
        group.sort(key=rank)
        parent = list(range(len(group)))  # union-find over "overlaps"
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                if _overlap(group[i], group[j]):
                    parent[_root(parent, j)] = _root(parent, i)
        components: dict[int, list[Row]] = {}
        for i, e in enumerate(group):
            components.setdefault(_root(parent, i), []).append(e)
        for component in components.values():
            if len(component) < 2 or all(e["merged"] is None for e in component):
                continue  # the survivor's own edges, as they were before the merge
            keep, folded = component[0], component[1:]
            mine = keep["props"]
            sinces = [e["props"].get("since") for e in component]
            untils = [e["props"].get("until") for e in component]
            widened = {
                "since": None if None in sinces else min(sinces, key=lambda v: _day(v) or ""),
                "until": None if None in untils else max(untils, key=lambda v: _day(v) or ""),
            }
            changes = {k: v for k, v in widened.items() if mine.get(k) != v}
            for e in folded:
                for key, value in e["props"].items():
                    if key in _EDGE_OWN or key.startswith("__") or value is None:
                        continue
                    if mine.get(key) is None and key not in changes:
                        changes[key] = value
            out.append((keep, changes, folded))
    return out


def plan_moves(
    plans: list[Row], survivor_id: str, merged_ids: list[str]
) -> list[tuple[Row, str, int, str | None, list[Row]]]:
    """What a merge does to the CUSTOMER plans `plans` (merge.plans rows) of the survivor and
    the merged records: per (period, currency) that a merged record plans, the plan kept (the
    survivor's, else the first merged record's), the id it has afterwards (its key's, with the
    survivor as target), the amount (every plan of the key added up), the note (the kept
    plan's, else the first other one's), and the plans folded into it."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for p in plans:
        groups.setdefault((p["period"], p["currency"]), []).append(p)
    order = [survivor_id, *merged_ids]
    out: list[tuple[Row, str, int, str | None, list[Row]]] = []
    for (period, currency), group in sorted(groups.items()):
        if all(p["targetId"] == survivor_id for p in group):
            continue
        group.sort(key=lambda p: (order.index(p["targetId"]), p["id"]))
        keep, folded = group[0], group[1:]
        new_id = plan_id(period, Dimension.CUSTOMER, survivor_id, currency)
        total = sum(p["amountCents"] or 0 for p in group)
        note = next((p["note"] for p in group if p["note"] is not None), None)
        out.append((keep, new_id, total, note, folded))
    return out


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
        missing = [i for i in everyone if i not in found]
        if missing:
            # Merged a moment ago by someone else: "re-read it", not "no such record", which
            # `company(id)` contradicts by answering the survivor (tester BI).
            into = {
                r["id"]: r["survivor"]
                for r in await tx.run(st["folded"], {"ids": missing, "acl": acl})
            }
            if missing[0] in into:
                return MergeResult(None, Refusal.CONFLICT, (missing[0], None, into[missing[0]]))
            return MergeResult(None, Refusal.NOT_FOUND, missing[0])
        for node_id in everyone:
            if found[node_id]["verdict"] == "forbidden":
                return MergeResult(None, Refusal.FORBIDDEN, node_id)
        for node_id, version in expected_versions.items():
            current = found[node_id]["props"].get("version")
            if current != version:
                return MergeResult(None, Refusal.CONFLICT, (node_id, current, None))
        params = {"survivor": survivor_id, "merged": merged_ids, "all": everyone}
        move = (await tx.run(st["move"], params))[0]
        moved = move["moved"]
        by_type: dict[str, int] = {}
        for type_name, n in zip(MOVED_TYPES[label], move["counts"], strict=True):
            if n:
                by_type[type_name] = by_type.get(type_name, 0) + n
        namespace = uuid.UUID(audit_ids[survivor_id])  # audit ids the driver's retries repeat
        ended = move["shares"]
        if ended:
            unshare = dataclasses.replace(audit, action="account.unshare")
            rows_end = []
            for share in ended:
                key = f"share:{share['account']}:{share['principal']}"
                event = unshare.params(
                    share["account"], label, ["mergedInto"], str(uuid.uuid5(namespace, key))
                )
                rows_end.append({**share, "audit": event})
            await tx.run(st["shares_end"], {"rows": rows_end})
        collapsed: dict[str, int] = {}
        if moved:
            edges = await tx.run(st["parallel"], {"survivor": survivor_id})
            keeps, gone, events = [], [], []
            for keep, changes, folded in collapse_plan(edges, merged_ids):
                kind = keep["type"]
                if changes:
                    keeps.append({"keep": keep["edge"], "props": changes})
                    if keep["props"].get("id") is not None:
                        events.append(
                            audit.params(
                                keep["props"]["id"], kind, list(changes),
                                str(uuid.uuid5(namespace, "edge:" + keep["props"]["id"])),
                            )
                        )  # fmt: skip
                for e in folded:
                    gone.append(e["edge"])
                    collapsed[kind] = collapsed.get(kind, 0) + 1
                    if e["merged"] is not None:  # a moved edge: it did not come as its own
                        by_type[kind] -= 1
                        moved -= 1
                    if e["props"].get("id") is not None:
                        events.append(
                            audit.params(
                                e["props"]["id"], kind, ["mergedInto"],
                                str(uuid.uuid5(namespace, "edge:" + e["props"]["id"])),
                            )
                        )  # fmt: skip
            await tx.run(
                st["collapse"],
                {"survivor": survivor_id, "rows": keeps, "edges": gone, "audits": events},
            )
            by_type = {k: n for k, n in by_type.items() if n}
        retargeted = combined = 0
        plan_rows = await tx.run(PLANS_OF, {"all": everyone})
        writes: list[dict[str, Any]] = []
        for keep, keep_id, total, note, folded in plan_moves(plan_rows, survivor_id, merged_ids):
            fields = [] if keep_id == keep["id"] else ["id", "targetId"]
            fields += [] if total == keep["amountCents"] else ["amountCents"]
            fields += [] if note == keep["note"] else ["note"]
            retargeted += keep_id != keep["id"]
            writes.append(
                {
                    "id": keep["id"], "drop": False, "keep": keep_id, "amountCents": total,
                    "note": note,
                    "audit": audit.params(
                        keep_id, "SalesPlan", fields,
                        str(uuid.uuid5(namespace, "plan:" + keep["id"])),
                    ),
                }
            )  # fmt: skip
            for p in folded:
                combined += 1
                writes.append(
                    {
                        "id": p["id"], "drop": True,
                        "audit": audit.params(
                            p["id"], "SalesPlan", ["amountCents"],
                            str(uuid.uuid5(namespace, "plan:" + p["id"])),
                        ),
                    }
                )  # fmt: skip
        if writes:
            await tx.run(
                PLANS_MOVE, {"rows": writes, "survivor": survivor_id, "actor": audit.actor.id}
            )
        for rel in acyclic:
            cyc = await tx.run(CYCLE_THROUGH[rel], {"survivor": survivor_id})
            if cyc and cyc[0]["cycle"]:
                raise _Refused(MergeResult(None, Refusal.CYCLE, rel))
        extra, dropped = _missing(
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
        await tx.run(HISTORY, {"survivor": survivor_id, "merged": merged_ids})
        await tx.run(st["delete"], {"merged": merged_ids})
        await tx.run(st["candidates"], {"merged": merged_ids})
        # The field names, before encryption renames any; a check as its channel.
        checks = {c for c in (_checked_channel(label, k) for k in extra) if c is not None}
        copied = tuple(sorted(k for k in extra if _checked_channel(label, k) is None))
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
            checks_copied=tuple(sorted(checks)),
            dropped=tuple(dropped),
            dry_run=dry_run,
            collapsed_by_type=collapsed,
            plans_retargeted=retargeted,
            plans_combined=combined,
            shares_ended=len(ended),
        )
        if dry_run:
            raise _Refused(result)  # roll back: a dry run changes nothing
        return result

    try:
        return await db.transaction(work)
    except _Refused as refused:
        return refused.result
