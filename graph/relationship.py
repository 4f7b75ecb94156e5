"""Edges of the closed vocabulary: link, update, end, unlink, and stance history (R1-R6).

Statements are prebuilt per relationship type (and endpoint labels) at import time from
`graph.vocab.Rel`; no type or label ever comes from input. Every write runs in one transaction
with its audit event (targetId = the relationship's id, targetLabel = its type). Ids of the
edge, the audit event and any stance change are chosen before the transaction starts, so the
driver's retries MERGE the same records instead of duplicating them.

Locking and acyclicity. A link first takes the write locks of both endpoint nodes (ids sorted,
so two links over the same pair lock in the same order), which serialises duplicate checks for
that pair. `SUBSIDIARY_OF` and `REPORTS_TO` must stay acyclic, and a cycle can be closed by
edges between *different* pairs (A→B racing B→C and C→A), which endpoint locks alone do not
serialise. Writes to those two types therefore also take one lock node per type
(`:__EdgeLock {type}`), first, before any other lock. Hierarchy writes are rare, so serialising
them costs little, and it makes "check then write" race-free: of several transactions that
each add part of a cycle, only those that commit before the others check can succeed.

Acyclicity holds on every day: an edge is refused when, on some day of its own span, edges
valid that day would lead from its end back to its start (a missing `since` counts as
"always was", as the maps read it, on the new edge too). History may contain a company that
was once the parent of its later parent, as long as the two spans do not meet: the later edge
says when it began (`since`). Paths are followed up to `CYCLE_HOPS` hops; hierarchies deeper
than that are not expected (a deeper cycle would go unnoticed).

One parent for a branch. A company may have several parents (a joint venture), but a branch
or a division is part of one company: on no day may a company have a `BRANCH` or `DIVISION`
parent beside another parent (ONE_PARENT). linkNodes and updateLink check it, under the type
lock; imports and merges do not (as they do not check overlaps between a pair either).

Access (graph/access.py), judged in the statement that locks the endpoints or the edge, so in
the same transaction and without another round trip:
- an edge is visible when both its ends are; otherwise it is NOT_FOUND, as a missing one, and
  a link to a node the viewer cannot see is NOT_FOUND at that end;
- an edge that grants access (WORKS_AT, FOR, ON_TEAM, KNOWS: they make a person, project or
  account visible to more staff) needs edit rights on every end that is not a User;
- OWNS (linked, changed, ended, unlinked or handed over with transferOwnership) needs the
  account to be held: owned by the viewer, a team-mate or someone in a team the viewer
  manages, or the viewer is ADMIN. An EDIT share does not let one take ownership;
- SUBSIDIARY_OF needs edit rights on both ends too: it moves a company into or out of a
  group, which changes that group's hierarchy and roll-ups for every team that sees it, so a
  READ share does not let a rep hang their company under the shared one (or the reverse);
- any other edge needs edit rights on at least one end (and sight of the other): a rep may
  record that their customer supplies another team's company they can see;
- a person with no employer yet is seen and edited by whoever created them (their team and
  managers too, as an account's owner), so a rep can attach the contact they just created;
- AUDITOR and ANALYST never write: FORBIDDEN before any statement runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, LiteralString

from neo4j.time import Date

from graph import clock, history
from graph.access import acl_params, editable, visible
from graph.actor import Actor
from graph.cypher import NODE_LABELS, hops, label_list
from graph.db import Cypher, Database, Row, Tx
from graph.errors import CrmError
from graph.nodes import AUDIT, RESOLVE_ANY, Audit, audit_from, new_id, plain, same_value
from graph.refusal import Part, Refusal
from graph.rows import EdgeRow, StanceChangeRow
from graph.vocab import ACYCLIC, ENDPOINTS, Label, Rel, SubsidiaryKind

CYCLE_HOPS = 50  # cycle checks follow paths this long (also graph/merge.py)
HISTORY_CAP = 200

# Properties each relationship type may carry (docs/MODEL.md), besides since/until.
EDGE_PROPS: dict[Rel, tuple[str, ...]] = {
    Rel.SUBSIDIARY_OF: ("kind", "ownership"),
    Rel.SUPPLIES: ("products",),
    Rel.DISTRIBUTES_FOR: ("region",),
    Rel.PARTNERS_WITH: ("note",),
    Rel.INVESTS_IN: ("ownership",),
    Rel.INFLUENCES_PURCHASE: ("strength", "note"),
    Rel.INCUMBENT_AT: ("products", "satisfaction", "repName"),
    Rel.WORKS_AT: ("title", "department"),
    Rel.REPORTS_TO: ("kind",),
    Rel.INFLUENCES: ("strength", "polarity", "basis", "projectId"),
    Rel.RELATED_TO: ("kind",),
    Rel.PARTICIPATES_IN: ("role", "stance", "concerns"),
    Rel.FOR: (),
    Rel.OWNS: (),
    Rel.ON_TEAM: ("role",),
    Rel.KNOWS: ("strength",),
    Rel.REFERRED: ("note",),
}

# Relationship projection: stored properties plus type and endpoint ids.
PROJECTION: LiteralString = (
    "r{.*, __lock: null, type: type(r), fromId: startNode(r).id, toId: endNode(r).id}"
)

NOT_ENDED: LiteralString = "(x.until IS NULL OR x.until > date())"


def _held(v: LiteralString) -> LiteralString:
    """The account `v` is the viewer's to hand over: ADMIN, or a current owner is in the
    viewer's own scope (itself, its team, teams it manages); shares do not count."""
    return (
        "($acl.editAll OR EXISTS { MATCH (" + v + ")<-[" + v + "_h:OWNS]-(" + v + "_hu:User) "
        "WHERE " + v + "_hu.id IN $acl.editUsers AND (" + v + "_h.until IS NULL OR " + v
        + "_h.until > date()) })"
    )  # fmt: skip


def _judged(v: LiteralString, unplaced: bool) -> LiteralString:
    """The viewer's rights on node `v`: seen, may (edit), own (edit without a share), held
    (see _held) and its label; `unplaced` as in graph/access.py."""
    return (
        "label: head([l IN labels(" + v + ") WHERE l IN " + NODE_LABELS + "]), "
        "seen: " + visible(v, unplaced) + ", may: " + editable(v, unplaced) + ", "
        "own: " + editable(v, unplaced, shares=False) + ", held: " + _held(v)
    )


# Resolve ids (merged ids to their survivor) and take each node's write lock, in the order of
# `$ids` (callers sort them), with the viewer's rights on each node found.
_LOCK_AND_JUDGE: LiteralString = (
    RESOLVE_ANY + "SET n.__lock = true REMOVE n.__lock "
    "WITH key, n, {" + _judged("n", True) + "} AS rights "
)
# The live id, label and version of each node locked, and the viewer's rights on it.
LOCK_NODES = Cypher(
    "relationship.lock_nodes",
    _LOCK_AND_JUDGE + "RETURN key, n.id AS id, n.version AS version, rights.label AS label, "
    "rights.seen AS seen, rights.may AS may, rights.own AS own, rights.held AS held, "
    "n:Customer AS customer",
)

# Edges that widen who sees what (graph/access.py), and the hierarchy edge that reshapes both
# ends' groups: edit rights on every non-User end.
BOTH_ENDS = frozenset({Rel.WORKS_AT, Rel.FOR, Rel.ON_TEAM, Rel.KNOWS, Rel.SUBSIDIARY_OF})
# The ends (from, to) whose access an edge gives away: a team's project, a project's account,
# a known person, a contact taken to another employer. Linking, or moving the dates of, such
# an edge needs edit rights of the viewer's own there, not an EDIT share's: tester AT joined
# a shared account's project team and kept the account after the share ended, as a share
# is not shared on (graph/share.py). A share holder still adds contacts to the account.
OWN_ENDS: dict[Rel, tuple[bool, bool]] = {
    Rel.ON_TEAM: (False, True),
    Rel.FOR: (True, True),
    Rel.KNOWS: (False, True),
    Rel.WORKS_AT: (True, False),
}


SHARED = "shared"  # a FORBIDDEN's detail: the viewer's right there is an EDIT share's


def own_ends(rel: Rel, ends: Sequence[Row]) -> bool:
    """Whether the viewer has rights of its own on the ends `OWN_ENDS` names for `rel`."""
    needs = OWN_ENDS.get(rel, (False, False))
    return all(e.get("own", False) for e, need in zip(ends, needs, strict=True) if need)


def may_write(rel: Rel, ends: Sequence[Row], giving: bool = True) -> bool:
    """May the viewer write an edge of type `rel` between these judged ends (from, to)?
    `giving`: the write may give access away (a link; not a change, end or unlink of an edge
    whose dates stay, which `_update_in` checks apart)."""
    if rel is Rel.OWNS:
        return bool(ends[1]["held"])
    accounts = [e for e in ends if e["label"] != Label.USER.value]
    if rel in BOTH_ENDS:
        return all(e["may"] for e in accounts) and (not giving or own_ends(rel, ends))
    return any(e["may"] for e in accounts)


def _union_by_id() -> LiteralString:
    parts: list[LiteralString] = []
    for rel in Rel:
        t: LiteralString = rel.value
        parts.append("MATCH ()-[r:" + t + " {id: $id}]->() RETURN r")
    return "CALL () { " + " UNION ".join(parts) + " } "


# One relationship by id whatever its type: an index seek per type. Locking returns the
# viewer's rights on both ends; reading returns the edge only when both ends are visible.
LOCK_EDGE = Cypher(
    "relationship.lock",
    _union_by_id() + "WITH r, startNode(r) AS ea, endNode(r) AS eb "
    "SET r.__lock = true REMOVE r.__lock RETURN " + PROJECTION + " AS rel, "
    "[{" + _judged("ea", False) + "}, {" + _judged("eb", False) + "}] AS ends",
)
BY_ID = Cypher(
    "relationship.by_id",
    _union_by_id() + "WITH r, startNode(r) AS ea, endNode(r) AS eb "
    "WHERE " + visible("ea") + " AND " + visible("eb") + " "
    "RETURN " + PROJECTION + " AS rel",
)

STANCE_CHANGE = Cypher(
    "relationship.stance_change",
    "MERGE (c:StanceChange {id: $changeId}) ON CREATE SET c.projectId = $projectId, "
    "c.personId = $personId, c.from = $from, c.to = $to, c.at = datetime(), c.by = $by",
)

# One shape for a stance change wherever it is read (stanceHistory, the decision tree).
STANCE_CHANGE_FIELDS: LiteralString = "{.id, .projectId, .personId, .from, .to, .at, .by}"


def stance_change_row(change: Row) -> StanceChangeRow:
    """A projected :StanceChange with `at` as a Python datetime (Neo4j keeps nanoseconds;
    readers used to see 9 or 6 digits depending on the query)."""
    at = change["at"].to_native()
    return {
        "id": change["id"],
        "projectId": change["projectId"],
        "personId": change["personId"],
        "from_": change["from"],  # `from` is a Python keyword
        "to": change["to"],
        "at": at,
        "by": change["by"],
    }


# Changes on a project and person the viewer may see; a change whose person is gone only for
# read-all roles.
STANCE_HISTORY = Cypher(
    "relationship.stance_history",
    "MATCH (j:Project {id: $project}) WHERE " + visible("j") + " "
    "MATCH (c:StanceChange {projectId: $project}) "
    "WHERE c.personId IS NOT NULL AND ($person IS NULL OR c.personId = $person) "
    "AND ($acl.all OR EXISTS { MATCH (p:Person {id: c.personId}) WHERE " + visible("p") + " }) "
    "WITH c ORDER BY c.at DESC, c.id DESC LIMIT $limit RETURN c"
    + STANCE_CHANGE_FIELDS
    + " AS change",
)
CURRENT_PARTICIPATION = Cypher(
    "relationship.current_participation",
    "OPTIONAL MATCH (j:Project {id: $project}) WHERE " + visible("j") + " "
    "OPTIONAL MATCH (p:Person {id: $person})-[x:PARTICIPATES_IN]->(j) "
    "WHERE " + NOT_ENDED + " AND " + visible("p") + " "
    "RETURN j IS NOT NULL AS project, x.id AS id ORDER BY x.since DESC LIMIT 1",
)


def _lock_type(rel: Rel) -> Cypher:
    t: LiteralString = rel.value
    return Cypher(
        f"relationship.type_lock.{rel.value.lower()}",
        "MERGE (l:__EdgeLock {type: '" + t + "'}) SET l.__lock = true REMOVE l.__lock",
    )


def loop_back(
    rel: Rel, start: LiteralString, end: LiteralString, skip: LiteralString
) -> LiteralString:
    """A pattern predicate: a path of `rel` edges leads from node `end` back to node `start`,
    other than edge `skip`, all valid on one day of the span [`since`, `stop`) that the
    variables of those names hold. Spans on a line that meet pairwise meet in one day, so the
    latest start must lie before the earliest end; each edge meeting the span is the per-hop
    test that prunes the walk."""
    t: LiteralString = rel.value
    return (
        "EXISTS { MATCH (" + end + ")-[rs:" + t + hops(1, CYCLE_HOPS) + "]->(" + start + ") "
        "WHERE all(x IN rs WHERE x.id <> " + skip + " "
        "  AND (x.since IS NULL OR x.since < stop) AND (x.until IS NULL OR x.until > since)) "
        "  AND reduce(s = since, x IN rs | CASE WHEN x.since > s THEN x.since ELSE s END) "
        "    < reduce(u = stop, x IN rs | CASE WHEN x.until < u THEN x.until ELSE u END) }"
    )  # fmt: skip


# The first day an edge without `since` counts from.
ALWAYS: LiteralString = "date('0001-01-01')"


def _cycle(rel: Rel) -> Cypher:
    """Whether a path leads from `$to` back to `$from` (ignoring edge `$exclude`) whose edges
    are all valid on some day of the new edge's span [`$since`, `$until`): the day the maps
    would draw a loop. A missing `since` is "always was", on the path's edges and on the new
    one (as the maps read it: a check from today on would let them draw a loop on an earlier
    day), and a missing `until` is open."""
    lb: LiteralString = ENDPOINTS[rel][0][0].value
    return Cypher(
        f"relationship.cycle.{rel.value.lower()}",
        "MATCH (f:" + lb + " {id: $from}), (t:" + lb + " {id: $to}) "
        "WITH f, t, coalesce($since, " + ALWAYS + ") AS since, "
        "  coalesce($until, date('9999-12-31')) AS stop "
        "RETURN " + loop_back(rel, "f", "t", "$exclude") + " AS cycle",
    )


# Edge `x` (of the type, between the pair) other than `$exclude` is valid over part of
# [$since, $until) (for INFLUENCES: within the same project scope). A new edge without
# `since` is taken to start today: it states a current tie, so only edges that have not
# ended stand in its way.
_OVERLAPS: LiteralString = (
    "x.id <> $exclude "
    "AND (x.since IS NULL OR $until IS NULL OR x.since < $until) "
    "AND (x.until IS NULL OR coalesce($since, date()) < x.until) "
    "AND coalesce(x.projectId, '') = coalesce($projectId, '') "
)


# SUBSIDIARY_OF kinds whose child is part of its parent: beside one, no other parent.
PART_OF = frozenset({SubsidiaryKind.BRANCH.value, SubsidiaryKind.DIVISION.value})
_BRANCH: LiteralString = SubsidiaryKind.BRANCH.value
_DIVISION: LiteralString = SubsidiaryKind.DIVISION.value
_PART_OF: LiteralString = "['" + _BRANCH + "', '" + _DIVISION + "']"

# Another parent of company `$from` over part of [$since, $until) (`_OVERLAPS`) when the new
# edge (kind `$kind`) or that one is a branch or division; `seen`: whether the viewer sees it.
OTHER_PARENT = Cypher(
    "relationship.other_parent",
    "MATCH (:Company {id: $from})-[x:SUBSIDIARY_OF]->(p:Company) "
    "WHERE p.id <> $to AND "
    + _OVERLAPS
    + "AND ($kind IN "
    + _PART_OF
    + " OR x.kind IN "
    + _PART_OF
    + ") "
    "RETURN x.id AS id, " + visible("p") + " AS seen ORDER BY x.id LIMIT 1",
)


_WRITE_EDGE: LiteralString = (
    "ON CREATE SET r += $props, r.version = 1, r.createdAt = datetime(), "
    "r.updatedAt = datetime() WITH r " + AUDIT + " RETURN " + PROJECTION + " AS rel"
)


def _create(rel: Rel, frm: Label, to: Label) -> Cypher:
    """The edge, audited, between ends already locked and judged."""
    t: LiteralString = rel.value
    fl: LiteralString = frm.value
    tl: LiteralString = to.value
    return Cypher(
        f"relationship.link.{rel.value.lower()}",
        "MATCH (f:" + fl + " {id: $from}), (t:" + tl + " {id: $to}) "
        "MERGE (f)-[r:" + t + " {id: $id}]->(t) " + _WRITE_EDGE,
    )


def _may_write(rel: Rel) -> LiteralString:
    """`may_write` over the judged ends `f` and `t`, in Cypher."""
    if rel is Rel.OWNS:
        return "t.held"
    user: LiteralString = Label.USER.value
    if rel in BOTH_ENDS:
        own_from, own_to = OWN_ENDS.get(rel, (False, False))
        return (
            "(f.label = '"
            + user
            + "' OR f.may) AND (t.label = '"
            + user
            + "' OR t.may)"
            + (" AND f.own" if own_from else "")
            + (" AND t.own" if own_to else "")
        )
    return "((f.label <> '" + user + "' AND f.may) OR (t.label <> '" + user + "' AND t.may))"


def _link(rel: Rel) -> Cypher:
    """A link in one round trip (types that need no cycle check): LOCK_NODES's locks and
    rights over `$ids`, and the edge, written only when every check `link` makes in Python
    passes and no edge of the type between the pair overlaps its dates (`_OVERLAPS`). `rel`
    is null when nothing was written; `found` then says why, or `OVERLAP` names the edge in
    the way."""
    t: LiteralString = rel.value
    froms, tos = ENDPOINTS[rel]
    project: LiteralString = Label.PROJECT.value
    return Cypher(
        f"relationship.link_one.{rel.value.lower()}",
        _LOCK_AND_JUDGE
        + "WITH collect(rights{key: key, n: n, id: n.id, version: n.version, .label, .seen, "
        ".may, .own, .held}) AS found "
        "WITH found, [x IN found WHERE x.key = $from AND x.seen][0] AS f, "
        "[x IN found WHERE x.key = $to AND x.seen][0] AS t "
        "OPTIONAL CALL (found, f, t) { "
        "WITH found, f, t, f.n AS fn, t.n AS tn "
        "WHERE f.label IN " + label_list(froms) + " AND t.label IN " + label_list(tos) + " "
        "AND ($projectId IS NULL OR any(x IN found WHERE x.key = $projectId AND x.seen "
        "AND x.label = '" + project + "')) "
        "AND fn <> tn AND " + _may_write(rel) + " "
        "AND NOT EXISTS { MATCH (fn)-[x:" + t + "]->(tn) WHERE " + _OVERLAPS + "} "
        "MERGE (fn)-[r:" + t + " {id: $id}]->(tn) " + _WRITE_EDGE + " } "
        "RETURN [x IN found | x{.key, .id, .version, .label, .seen, .may, .own, .held}] "
        "AS found, "
        "rel",
    )


def _overlap(rel: Rel, frm: Label, to: Label) -> Cypher:
    """The id of an edge in the way of a new one (`_OVERLAPS`)."""
    t: LiteralString = rel.value
    fl: LiteralString = frm.value
    tl: LiteralString = to.value
    return Cypher(
        f"relationship.overlap.{rel.value.lower()}",
        "MATCH (:" + fl + " {id: $from})-[x:" + t + "]->(:" + tl + " {id: $to}) "
        "WHERE " + _OVERLAPS + "RETURN x.id AS id LIMIT 1",
    )


def _update(rel: Rel) -> Cypher:
    t: LiteralString = rel.value
    return Cypher(
        f"relationship.update.{rel.value.lower()}",
        "MATCH ()-[r:" + t + " {id: $id}]->() "
        "SET r += $props, r.version = r.version + 1, r.updatedAt = datetime() "
        "WITH r " + AUDIT + " RETURN " + PROJECTION + " AS rel",
    )


def _delete(rel: Rel) -> Cypher:
    t: LiteralString = rel.value
    return Cypher(
        f"relationship.unlink.{rel.value.lower()}",
        "MATCH ()-[r:" + t + " {id: $id}]->() DELETE r "
        "WITH count(*) AS deleted WHERE deleted > 0 " + AUDIT + " RETURN deleted",
    )


def _valid_on(r: LiteralString, day: LiteralString) -> LiteralString:
    return (
        "(" + r + ".since IS NULL OR " + r + ".since <= " + day + ") "
        "AND (" + r + ".until IS NULL OR " + r + ".until > " + day + ")"
    )


ENDED_LINES_MAX = 200  # reporting lines one job's end closes (a large team's head)

# A person leaving a company (their WORKS_AT `$id` ends on `$until`) ends their open
# reporting lines, either way, with those who worked there on their last day, unless the
# two still share another employer. Influence is personal and stays. A line to someone the
# viewer may not see is left alone: hidden means missing (tester AQ: it was ended, and
# listed with the hidden person's id).
END_REPORTING_LINES = Cypher(
    "relationship.end.reporting_lines",
    "MATCH (p:Person)-[:WORKS_AT {id: $id}]->(c:Company) "
    "MATCH (p)-[r:REPORTS_TO]-(o:Person) "
    "WHERE (r.until IS NULL OR r.until > $until) AND (r.since IS NULL OR r.since < $until) "
    "AND " + visible("o") + " "
    "AND EXISTS { MATCH (o)-[x:WORKS_AT]->(c) "
    "  WHERE " + _valid_on("x", "$until - duration({days: 1})") + " } "
    "AND NOT EXISTS { MATCH (p)-[y:WORKS_AT]->(d:Company)<-[z:WORKS_AT]-(o) "
    "  WHERE d <> c AND " + _valid_on("y", "$until") + " AND " + _valid_on("z", "$until") + " } "
    "WITH DISTINCT r ORDER BY r.id LIMIT " + str(ENDED_LINES_MAX) + " "
    "SET r.until = $until, r.version = r.version + 1, r.updatedAt = datetime() "
    "MERGE (a:AuditEvent {id: $auditId + '/' + r.id}) ON CREATE SET a.at = datetime(), "
    "a.actor = $actor, a.action = $action, a.targetId = r.id, a.targetLabel = 'REPORTS_TO', "
    "a.fields = ['until'], a.requestId = $requestId "
    "RETURN " + PROJECTION + " AS rel",
)


CREATE: dict[tuple[Rel, Label, Label], Cypher] = {}
OVERLAP: dict[tuple[Rel, Label, Label], Cypher] = {}
for _rel, (_froms, _tos) in ENDPOINTS.items():
    for _f in _froms:
        for _t in _tos:
            CREATE[(_rel, _f, _t)] = _create(_rel, _f, _t)
            OVERLAP[(_rel, _f, _t)] = _overlap(_rel, _f, _t)
LINK: dict[Rel, Cypher] = {rel: _link(rel) for rel in Rel if rel not in ACYCLIC}
UPDATE: dict[Rel, Cypher] = {rel: _update(rel) for rel in Rel}
DELETE: dict[Rel, Cypher] = {rel: _delete(rel) for rel in Rel}
TYPE_LOCK: dict[Rel, Cypher] = {rel: _lock_type(rel) for rel in ACYCLIC}
CYCLE: dict[Rel, Cypher] = {rel: _cycle(rel) for rel in ACYCLIC}


@dataclass(frozen=True)
class EdgeResult:
    """The outcome of an edge write: the edge, or why it was refused and which part of the
    request that concerns. `detail` by refusal: NOT_FOUND the id, WRONG_LABEL (label found,
    labels allowed), DUPLICATE the overlapping edge's id, CONFLICT the current version, ENDED
    the end date."""

    rel: EdgeRow | None
    refusal: Refusal | None = None
    part: Part | None = None
    detail: Any = None
    # Edges the change ended along with `rel` (a job's end: the reporting lines there).
    also_ended: tuple[EdgeRow, ...] = ()


@dataclass
class _Ids:
    """Ids chosen once per call, so retries of the transaction write the same records."""

    edge: str = field(default_factory=new_id)
    change: str = field(default_factory=new_id)


def _is_ended(until: Any) -> bool:
    return until is not None and _as_date(until) <= clock.today()


def _as_date(value: Date | dt.date) -> dt.date:
    return value.to_native() if isinstance(value, Date) else value


async def lock_nodes(tx: Tx, ids: Sequence[str], acl: Row) -> dict[str, Row]:
    """Lock the nodes with these ids (in sorted order); those the viewer sees, keyed by the id
    asked for (one it may not see is left out, as a missing one)."""
    return _seen(await tx.run(LOCK_NODES, {"ids": sorted(set(ids)), "acl": acl}))


def _seen(judged: Sequence[Row]) -> dict[str, Row]:
    """Judged nodes the viewer sees, keyed by the id asked for. A node a racing delete removed
    while this waited for its lock reads with no label: missing, as it now is (tester BI: it
    was an internal error)."""
    return {r["key"]: r for r in judged if r["seen"] and r["label"] is not None}


READ_ONLY = EdgeResult(None, Refusal.FORBIDDEN, Part.WHOLE)


async def _stance_change(
    tx: Tx, change_id: str, rel: EdgeRow, before: Any, after: Any, by: str
) -> None:
    await tx.run(
        STANCE_CHANGE,
        {
            "changeId": change_id,
            "projectId": rel["toId"],
            "personId": rel["fromId"],
            "from": before,
            "to": after,
            "by": by,
        },
    )


async def link(
    db: Database,
    rel: Rel,
    from_id: str,
    to_id: str,
    props: dict[str, Any],
    audit: Audit,
) -> EdgeResult:
    """Create an edge of type `rel`. `props` are validated values (since/until included)."""
    if not audit.actor.scope.may_edit:
        return READ_ONLY
    acl = dict(acl_params(audit.actor))
    props = {k: plain(v) for k, v in props.items() if v is not None}
    ids = _Ids()
    params_audit = audit.params(ids.edge, rel, list(props))
    project_id = props.get("projectId")

    wanted = sorted({from_id, to_id, *([project_id] if project_id else [])})
    span = (props.get("since"), props.get("until"))
    window = {"exclude": "", "since": span[0], "until": span[1], "projectId": project_id}

    async def work(tx: Tx) -> EdgeResult:
        written: EdgeRow | None = None
        if rel in ACYCLIC:
            await tx.run(TYPE_LOCK[rel])
            found = await lock_nodes(tx, wanted, acl)
        else:
            # Locks, rights and the write in one statement; the checks below then only say
            # why nothing was written, and must agree with the statement's.
            params = {"ids": wanted, "acl": acl, "from": from_id, "to": to_id, "id": ids.edge}
            rows = await tx.run(LINK[rel], {**params, "props": props, **window, **params_audit})
            found = _seen(rows[0]["found"])
            written = rows[0]["rel"]
        refused = _judge(rel, found, from_id, to_id, project_id)
        if written is not None:
            if refused is not None:  # the statement and the checks disagree: a bug
                raise CrmError(f"{rel.value} written although refused ({refused.refusal})")
            created = written
        else:
            if refused is not None:
                return refused
            src, dst = found[from_id]["id"], found[to_id]["id"]
            key3 = (rel, Label(found[from_id]["label"]), Label(found[to_id]["label"]))
            kind = props.get("kind")
            parent = (kind, Part.KIND if kind in PART_OF else Part.TO, acl)
            if clash := await _clash(tx, key3, src, dst, "", span, project_id, Part.TO, parent):
                return clash
            if rel not in ACYCLIC:
                # The ends are locked since the statement: only an overlap could stop it.
                raise CrmError(f"{rel.value} between locked ends neither written nor refused")
            create = {"from": src, "to": dst, "id": ids.edge, "props": props, **params_audit}
            created = (await tx.run(CREATE[key3], create))[0]["rel"]
        if rel is Rel.PARTICIPATES_IN and props.get("stance") is not None:
            await _stance_change(tx, ids.change, created, None, props["stance"], audit.actor.id)
        return EdgeResult(created)

    return await db.transaction(work)


def _judge(
    rel: Rel, found: dict[str, Row], from_id: str, to_id: str, project_id: str | None
) -> EdgeResult | None:
    """Why an edge `from_id`->`to_id` may not be written, from the locked and judged nodes
    (`lock_nodes`); None when it may, overlaps and cycles aside."""
    froms, tos = ENDPOINTS[rel]
    for key, allowed, part in ((from_id, froms, Part.FROM), (to_id, tos, Part.TO)):
        row = found.get(key)
        if row is None:
            return EdgeResult(None, Refusal.NOT_FOUND, part, key)
        label = Label(row["label"])
        if label not in allowed:
            return EdgeResult(None, Refusal.WRONG_LABEL, part, (label, allowed))
    if project_id and (
        project_id not in found or found[project_id]["label"] != Label.PROJECT.value
    ):
        return EdgeResult(None, Refusal.NOT_FOUND, Part.PROJECT, project_id)
    src, dst = found[from_id]["id"], found[to_id]["id"]
    if src == dst:
        return EdgeResult(None, Refusal.SELF_LOOP, Part.TO)
    ends = [found[from_id], found[to_id]]
    if not may_write(rel, ends):
        # Blame the end the viewer would need to edit: the account side first. `detail`
        # SHARED: the right there is an EDIT share's, which gives no access away.
        need = OWN_ENDS.get(rel, (False, False))
        lacks = [not e["may"] or (n and not e.get("own")) for e, n in zip(ends, need, strict=True)]
        part = Part.TO if rel is Rel.OWNS or lacks[1] else Part.FROM
        only_shared = all(e["may"] for e in ends if e["label"] != Label.USER.value)
        return EdgeResult(None, Refusal.FORBIDDEN, part, SHARED if only_shared else None)
    return None


async def _clash(
    tx: Tx,
    key3: tuple[Rel, Label, Label],
    src: str,
    dst: str,
    exclude: str,
    span: tuple[Any, Any],
    project_id: Any,
    cycle_part: Part,
    parent: tuple[Any, Part, Row] = (None, Part.TO, {}),
) -> EdgeResult | None:
    """The refusal of an edge `src`->`dst` valid over `span` (since, until), other than edge
    `exclude`: an overlapping edge of its type, a second parent beside a branch (SUBSIDIARY_OF
    of the kind, the part to blame and the acl in `parent`; detail: the other edge's id when
    the viewer sees its parent), or a cycle (blamed on `cycle_part`)."""
    rel = key3[0]
    since, until = span
    params = {"from": src, "to": dst, "exclude": exclude}
    overlap = await tx.run(
        OVERLAP[key3], {**params, "since": since, "until": until, "projectId": project_id}
    )
    if overlap:
        return EdgeResult(None, Refusal.DUPLICATE, Part.WHOLE, overlap[0]["id"])
    if rel is Rel.SUBSIDIARY_OF:
        kind, part, acl = parent
        window = {"since": since, "until": until, "projectId": None, "kind": kind, "acl": acl}
        if other := await tx.run(OTHER_PARENT, {**params, **window}):
            seen = other[0]["id"] if other[0]["seen"] else None
            return EdgeResult(None, Refusal.ONE_PARENT, part, seen)
    if rel in ACYCLIC:  # an ended edge too: on a day of its span it may close a loop
        cyc = await tx.run(CYCLE[rel], {**params, "since": since, "until": until})
        if cyc and cyc[0]["cycle"]:
            return EdgeResult(None, Refusal.CYCLE, cycle_part)
    return None


async def update(
    db: Database,
    edge_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    audit: Audit,
) -> EdgeResult:
    """Change an edge's properties (a None value removes one). Callers validate `props`
    against the edge's type first (see `by_id`)."""
    if not audit.actor.scope.may_edit:
        return READ_ONLY
    props = {k: plain(v) for k, v in props.items()}
    ids = _Ids()
    audit_id = new_id()

    async def work(tx: Tx) -> EdgeResult:
        return await _update_in(tx, edge_id, expected_version, props, audit, ids, audit_id)

    return await db.transaction(work)


async def _update_in(
    tx: Tx,
    edge_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    audit: Audit,
    ids: _Ids,
    audit_id: str,
) -> EdgeResult:
    # Peek at the type without locking, so an acyclic type's lock is taken before the edge's.
    acl = dict(acl_params(audit.actor))
    peek = await tx.run(BY_ID, {"id": edge_id, "acl": acl})
    if not peek:
        return EdgeResult(None, Refusal.NOT_FOUND, Part.EDGE, edge_id)
    rel = Rel(peek[0]["rel"]["type"])
    if rel in ACYCLIC:
        await tx.run(TYPE_LOCK[rel])
    current = await _lock_edge(tx, edge_id, expected_version, acl)
    if isinstance(current, EdgeResult):
        return current
    since = props["since"] if "since" in props else current.get("since")
    until = props["until"] if "until" in props else current.get("until")
    if since is not None and until is not None and _as_date(until) <= _as_date(since):
        return EdgeResult(None, Refusal.UNTIL_BEFORE_SINCE, Part.UNTIL)
    if "since" in props or "until" in props or (rel is Rel.SUBSIDIARY_OF and "kind" in props):
        frm = current["fromId"]
        to = current["toId"]
        found = await tx.run(LOCK_NODES, {"ids": sorted({frm, to}), "acl": acl})
        labels = {r["id"]: Label(r["label"]) for r in found}
        by_id = {r["id"]: r for r in found}
        if ("since" in props or "until" in props) and not own_ends(rel, [by_id[frm], by_id[to]]):
            # Reopening or stretching an edge that gives access away: as a new one (link).
            return EdgeResult(None, Refusal.FORBIDDEN, Part.EDGE, SHARED)
        key3 = (rel, labels[frm], labels[to])
        project_id = props.get("projectId", current.get("projectId"))
        # Blamed on the date the update changes (`until` when it changes both).
        moved = Part.UNTIL if "until" in props else Part.SINCE
        kind = props["kind"] if "kind" in props else current.get("kind")
        parent = (kind, Part.KIND if "kind" in props else moved, acl)
        span = (since, until)
        if refused := await _clash(tx, key3, frm, to, edge_id, span, project_id, moved, parent):
            return refused
    if all(same_value(current.get(k), v) for k, v in props.items()):
        return EdgeResult(current)  # a change to nothing: no new version, no audit event
    params = {
        "id": edge_id,
        "props": props,
        **audit.params(edge_id, rel, list(props), audit_id),
    }
    rows = await tx.run(UPDATE[rel], params)
    updated: EdgeRow = rows[0]["rel"]
    stance_changed = "stance" in props and props["stance"] != current.get("stance")
    if rel is Rel.PARTICIPATES_IN and stance_changed:
        await _stance_change(
            tx, ids.change, updated, current.get("stance"), props["stance"], audit.actor.id
        )
    return EdgeResult(updated)


async def _lock_edge(
    tx: Tx, edge_id: str, expected_version: int | None, acl: Row
) -> EdgeRow | EdgeResult:
    """The edge, write-locked, or the refusal: not found (or an end the viewer cannot see),
    forbidden (see the module doc), or a version other than expected."""
    locked = await tx.run(LOCK_EDGE, {"id": edge_id, "acl": acl})
    if not locked or not all(e["seen"] for e in locked[0]["ends"]):
        return EdgeResult(None, Refusal.NOT_FOUND, Part.EDGE, edge_id)
    current: EdgeRow = locked[0]["rel"]
    if not may_write(Rel(current["type"]), locked[0]["ends"], giving=False):
        return EdgeResult(None, Refusal.FORBIDDEN, Part.EDGE, edge_id)
    if expected_version is not None and current["version"] != expected_version:
        return EdgeResult(None, Refusal.CONFLICT, Part.VERSION, current["version"])
    return current


# A change of one locked edge: (transaction, the edge's row, its type, the audit event's id).
EdgeChange = Callable[[Tx, EdgeRow, Rel, str], Awaitable[EdgeResult]]


async def _change_edge(
    db: Database, edge_id: str, expected_version: int | None, audit: Audit, change: EdgeChange
) -> EdgeResult:
    """`change` applied to the edge once it is locked at the version read; READ_ONLY, or the
    lock's refusal, otherwise."""
    if not audit.actor.scope.may_edit:
        return READ_ONLY
    acl = dict(acl_params(audit.actor))
    audit_id = new_id()

    async def work(tx: Tx) -> EdgeResult:
        current = await _lock_edge(tx, edge_id, expected_version, acl)
        if isinstance(current, EdgeResult):
            return current
        return await change(tx, current, Rel(current["type"]), audit_id)

    return await db.transaction(work)


async def end(
    db: Database,
    edge_id: str,
    until: dt.date | None,
    expected_version: int | None,
    audit: Audit,
    reporting_lines: bool = True,
) -> EdgeResult:
    """Set `until` (default the business day today) and keep the edge as history. Refused
    (ENDED) when the edge has already ended; a future `until` may be brought forward. A
    WORKS_AT's end, with `reporting_lines`, also ends the person's reporting lines at that
    company (END_REPORTING_LINES), each with its own audit event."""
    until = until or clock.today()

    # Ending never closes a cycle, so no type lock is needed; the edge's own lock suffices.
    async def end_edge(tx: Tx, current: EdgeRow, rel: Rel, audit_id: str) -> EdgeResult:
        if _is_ended(current.get("until")):
            return EdgeResult(None, Refusal.ENDED, Part.EDGE, _as_date(current["until"]))
        since = current.get("since")
        if since is not None and until <= _as_date(since):
            return EdgeResult(None, Refusal.UNTIL_BEFORE_SINCE, Part.UNTIL)
        params = {
            "id": edge_id,
            "props": {"until": until},
            **audit.params(edge_id, rel, ["until"], audit_id),
        }
        rows = await tx.run(UPDATE[rel], params)
        if rel is not Rel.WORKS_AT or not reporting_lines:
            return EdgeResult(rows[0]["rel"])
        acl = dict(acl_params(audit.actor))
        lines = await tx.run(
            END_REPORTING_LINES, {**params, "until": until, "action": audit.action, "acl": acl}
        )
        return EdgeResult(rows[0]["rel"], also_ended=tuple(r["rel"] for r in lines))

    return await _change_edge(db, edge_id, expected_version, audit, end_edge)


async def unlink(
    db: Database, edge_id: str, expected_version: int | None, audit: Audit
) -> EdgeResult:
    """Delete an edge for good (a mistake, not history); the audit event stays."""

    async def delete_edge(tx: Tx, current: EdgeRow, rel: Rel, audit_id: str) -> EdgeResult:
        await tx.run(DELETE[rel], {"id": edge_id, **audit.params(edge_id, rel, [], audit_id)})
        return EdgeResult(current)

    return await _change_edge(db, edge_id, expected_version, audit, delete_edge)


async def set_stance(
    db: Database,
    project_id: str,
    person_id: str,
    stance: str,
    expected_version: int | None,
    audit: Audit,
) -> EdgeResult:
    """Change the stance on the person's current participation in the project (NOT_FOUND
    at the project when the viewer cannot see it, else at the participation)."""
    if not audit.actor.scope.may_edit:
        return READ_ONLY
    acl = dict(acl_params(audit.actor))
    ids = _Ids()
    audit_id = new_id()

    async def work(tx: Tx) -> EdgeResult:
        found = await tx.run(
            CURRENT_PARTICIPATION, {"person": person_id, "project": project_id, "acl": acl}
        )
        if not found[0]["project"]:
            return EdgeResult(None, Refusal.NOT_FOUND, Part.PROJECT, project_id)
        if found[0]["id"] is None:
            return EdgeResult(None, Refusal.NOT_FOUND, Part.PARTICIPATION, person_id)
        return await _update_in(
            tx, found[0]["id"], expected_version, {"stance": stance}, audit, ids, audit_id
        )

    result = await db.transaction(work)
    if result.part is Part.EDGE:  # the caller named the participation, not an edge id
        return EdgeResult(None, result.refusal, Part.PARTICIPATION, person_id)
    return result


async def by_id(db: Database, actor: Actor, edge_id: str) -> EdgeRow | None:
    """The edge, when the viewer may see both its ends."""
    rows = await db.read(BY_ID, {"id": edge_id, "acl": acl_params(actor)})
    rel: EdgeRow | None = rows[0]["rel"] if rows else None
    return rel


async def stance_history(
    db: Database, actor: Actor, project_id: str, person_id: str | None, limit: int
) -> list[StanceChangeRow]:
    rows = await db.read(
        STANCE_HISTORY,
        {
            "project": project_id,
            "person": person_id,
            "limit": min(limit, HISTORY_CAP),
            "acl": acl_params(actor),
        },
    )
    return [stance_change_row(r["change"]) for r in rows]


def _current_owners(label: Label) -> Cypher:
    lb: LiteralString = label.value
    return Cypher(
        f"relationship.current_owners.{label.value.lower()}",
        "MATCH (u:User)-[x:OWNS]->(:" + lb + " {id: $customer}) WHERE " + NOT_ENDED + " "
        "RETURN x.id AS id, u.id AS userId LIMIT 100",
    )


CURRENT_OWNERS: dict[Label, Cypher] = {
    label: _current_owners(label) for label in ENDPOINTS[Rel.OWNS][1]
}
END_OWNS = Cypher(
    "relationship.end_owns",
    "UNWIND $ends AS e MATCH ()-[x:OWNS {id: e.targetId}]->() "
    "SET x.until = date(), x.version = x.version + 1, x.updatedAt = datetime() " + audit_from("e"),
)


async def transfer_ownership(
    db: Database, customer_id: str, user_id: str, audit: Audit
) -> EdgeResult:
    """Hand a customer over (R6): end its current OWNS edges today and link the new owner,
    in one transaction. The customer stays the company's: history shows every owner. The
    viewer must hold the account (see `_held`): its owner, a team-mate or a manager above,
    or ADMIN; else FORBIDDEN (NOT_FOUND when they cannot see it)."""
    if not audit.actor.scope.may_edit:
        return READ_ONLY
    acl = dict(acl_params(audit.actor))
    ids = _Ids()
    since = clock.today()
    create_audit = audit.params(ids.edge, Rel.OWNS, ["since"])
    end_audits: dict[str, Row] = {}

    async def work(tx: Tx) -> EdgeResult:
        found = await lock_nodes(tx, [customer_id, user_id], acl)
        for key, part in ((customer_id, Part.TO), (user_id, Part.FROM)):
            if key not in found:
                return EdgeResult(None, Refusal.NOT_FOUND, part, key)
        customer, user = found[customer_id], found[user_id]
        froms, tos = ENDPOINTS[Rel.OWNS]
        if Label(user["label"]) not in froms:
            return EdgeResult(None, Refusal.WRONG_LABEL, Part.FROM, (Label(user["label"]), froms))
        label = Label(customer["label"])
        if label not in tos or not customer["customer"]:  # only a customer has owners
            return EdgeResult(None, Refusal.WRONG_LABEL, Part.TO, (label, tos))
        if not customer["held"]:
            return EdgeResult(None, Refusal.FORBIDDEN, Part.TO)
        owners = await tx.run(CURRENT_OWNERS[label], {"customer": customer["id"]})
        if any(o["userId"] == user["id"] for o in owners):
            return EdgeResult(None, Refusal.ALREADY_OWNER, Part.FROM)
        ends = []
        for o in owners:
            # One audit id per ended edge, kept across retries of this transaction.
            ev = end_audits.setdefault(o["id"], audit.params(o["id"], Rel.OWNS, ["until"]))
            ends.append(ev)
        if ends:
            await tx.run(END_OWNS, {"ends": ends})
        rows = await tx.run(
            CREATE[(Rel.OWNS, Label.USER, label)],
            {
                "from": user["id"],
                "to": customer["id"],
                "id": ids.edge,
                "props": {"since": since},
                **create_audit,
            },
        )
        # The owner is a dynamic field (R9): its change is kept with the transfer.
        previous = [o["userId"] for o in owners]
        await history.owner_change(tx, customer["id"], label, previous, user["id"], create_audit)
        return EdgeResult(rows[0]["rel"])

    return await db.transaction(work)
