"""Hand-over (R6, R27): a staff member leaves and the customers stay the company's.

One transaction moves everything the departed user holds to named successors:
- each customer they own (current `OWNS`): the edge ends today and the successor's starts, the
  owner change kept in field history (graph/history.py), as transferOwnership does for one;
- their place on the team (`ON_TEAM`, same role) of every open or on-hold opportunity: the
  edge ends today and the successor joins, unless already on that team;
- their open follow-ups (`ASSIGNED_TO`), reassigned;
- their place on the team of every closed (won, lost, cancelled) or archived opportunity: the
  edge ends today and nobody joins. Project-team members read and edit the account
  (graph/access.py), so a closed deal's team would otherwise keep the account open to them;
- the accounts shared with them by hand (`SHARED_WITH` to the user): each share ends now and
  moves to nobody, since whoever shared chose that person, not a successor. Only their number
  is said: the viewer may not see those accounts (another team's, shared across).

A customer goes to its named successor, or to the default one; an opportunity and a follow-up
go where their customer goes. The viewer must be able to edit every account moved
(graph/access.py `editable`), else nothing moves (FORBIDDEN, naming the first). A deal or a
follow-up of a customer outside the viewer's reach (the rep helped on another team's deal) is
not touched: it is listed as left behind, for an ADMIN or that team's manager to hand over:
a manager handing over a rep outside their teams moves only what they may edit (the rep's
place on their deals and follow-ups on their customers), never the rep's own accounts or
shares. A successor must be an active user who may edit (not archived, not only ANALYST or
AUDITOR: INACTIVE) and one the viewer's scope reaches (their team or teams below), unless the
viewer edits everything. The hand-over is one audit event and one `(:HandOver)` node saying
what moved, so a retried transaction writes it once (ids are derived from the hand-over's).

The brief a successor reads per account (open opportunities with their risk flags, open
follow-ups, the last interactions) is composed by the resolver from existing reads; this
module adds the key people with our staff's relationships to them (`KEY_PEOPLE`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TypedDict

from graph import access
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, Audit
from graph.refusal import Part, Refusal

MAX_ACCOUNTS = 2_000
MAX_PROJECTS = 2_000
MAX_FOLLOW_UPS = 5_000
MAX_KEY_PEOPLE = 20
NS = uuid.UUID("6d1f0a5c-3b8e-4f2a-9c47-0e5b8d2a7f13")

GATHER = Cypher(
    "handover.gather",
    "MATCH (d:User {id: $departed}) "
    "RETURN COLLECT { MATCH (d)-[o:OWNS]->(c:Customer) WHERE o.until IS NULL "
    "OR o.until > date() RETURN {edge: o.id, customer: c.id, editable: "
    + access.editable("c") + "} AS a ORDER BY c.id LIMIT " + str(MAX_ACCOUNTS + 1) + " } "
    "AS accounts, "
    "COLLECT { MATCH (d)-[t:ON_TEAM]->(p:Project) WHERE " + current("t") + " AND "
    "coalesce(p.status, 'OPEN') IN ['OPEN', 'ON_HOLD'] AND p.archivedAt IS NULL "
    "RETURN {edge: t.id, project: p.id, role: t.role, customer: head([(p)-[:FOR]->(pc) | "
    "pc.id]), editable: " + access.editable("p") + ", seen: " + access.visible_as("p", "Project")
    + "} AS t ORDER BY p.id LIMIT "
    + str(MAX_PROJECTS + 1) + " } AS projects, "
    "COLLECT { MATCH (d)-[t:ON_TEAM]->(p:Project) WHERE " + current("t") + " AND "
    "(NOT coalesce(p.status, 'OPEN') IN ['OPEN', 'ON_HOLD'] OR p.archivedAt IS NOT NULL) "
    "RETURN {edge: t.id, project: p.id, role: t.role, customer: head([(p)-[:FOR]->(pc) | "
    "pc.id]), editable: " + access.editable("p") + ", seen: " + access.visible_as("p", "Project")
    + "} AS t ORDER BY p.id LIMIT "
    + str(MAX_PROJECTS + 1) + " } AS closed, "
    "COLLECT { MATCH (f:FollowUp {status: 'OPEN'})-[:ASSIGNED_TO]->(d) "
    "OPTIONAL MATCH (f)-[:ABOUT]->(fc) "
    "RETURN {id: f.id, customer: fc.id, editable: fc IS NOT NULL AND "
    + access.editable("fc") + ", seen: fc IS NOT NULL AND " + access.visible("fc")
    + "} AS f ORDER BY f.id "
    "LIMIT " + str(MAX_FOLLOW_UPS + 1) + " } AS followUps, "
    "COUNT { (d)<-[s:SHARED_WITH]-() WHERE s.until IS NULL OR s.until > datetime() } AS shares",
)  # fmt: skip
# Takes the departed user's write lock first: two hand-overs of one rep (a double submit)
# run one after the other, and the second finds nothing left to move.
USERS = Cypher(
    "handover.users",
    "MATCH (u:User) WHERE u.id IN $ids "
    "CALL (u) { WITH u WHERE u.id = $departed SET u.__lock = true REMOVE u.__lock } "
    "RETURN u.id AS id, u.archivedAt IS NULL AS active, coalesce(u.roles, []) AS roles",
)
MOVE_ACCOUNTS = Cypher(
    "handover.move_accounts",
    "UNWIND $accounts AS a "
    "MATCH (:User {id: $departed})-[o:OWNS {id: a.edge}]->(c) "
    "SET o.until = date(), o.version = o.version + 1, o.updatedAt = datetime() "
    "WITH a, c MATCH (s:User {id: a.to}) "
    "CALL (a, c, s) { "
    "  WITH a, c, s WHERE NOT EXISTS { MATCH (s)-[x:OWNS]->(c) WHERE x.until IS NULL "
    "  OR x.until > date() } "
    "  MERGE (s)-[n:OWNS {id: a.newEdge}]->(c) ON CREATE SET n.since = date(), n.version = 1, "
    "  n.createdAt = datetime(), n.updatedAt = datetime() } "
    "MERGE (fc:FieldChange {id: $auditId + '/owner/' + c.id}) ON CREATE SET "
    "fc.targetId = c.id, fc.targetLabel = a.label, fc.field = 'owner', fc.old = $departed, "
    "fc.new = s.id, fc.at = datetime(), fc.by = $actor, fc.requestId = $requestId, "
    "fc.auditId = $auditId "
    "RETURN count(*) AS moved",
)
MOVE_TEAMS = Cypher(
    "handover.move_teams",
    "UNWIND $teams AS t "
    "MATCH (:User {id: $departed})-[e:ON_TEAM {id: t.edge}]->(p:Project) "
    "SET e.until = date(), e.version = e.version + 1, e.updatedAt = datetime() "
    "WITH t, p MATCH (s:User {id: t.to}) "
    "CALL (t, p, s) { "
    "  WITH t, p, s WHERE NOT EXISTS { MATCH (s)-[x:ON_TEAM]->(p) WHERE " + current("x") + " } "
    "  MERGE (s)-[n:ON_TEAM {id: t.newEdge}]->(p) ON CREATE SET n.role = t.role, "
    "  n.since = date(), n.version = 1, n.createdAt = datetime(), n.updatedAt = datetime() } "
    "RETURN count(*) AS moved",
)  # fmt: skip
END_TEAMS = Cypher(
    "handover.end_teams",
    "UNWIND $edges AS edge "
    "MATCH (:User {id: $departed})-[e:ON_TEAM {id: edge}]->(:Project) "
    "SET e.until = date(), e.version = e.version + 1, e.updatedAt = datetime() "
    "RETURN count(*) AS ended",
)
MOVE_FOLLOW_UPS = Cypher(
    "handover.move_follow_ups",
    "UNWIND $followUps AS x "
    "MATCH (f:FollowUp {id: x.id})-[old:ASSIGNED_TO]->(:User {id: $departed}) "
    "MATCH (s:User {id: x.to}) DELETE old MERGE (f)-[:ASSIGNED_TO]->(s) "
    "RETURN count(*) AS moved",
)
END_SHARES = Cypher(
    "handover.end_shares",
    "MATCH (:User {id: $departed})<-[s:SHARED_WITH]-() "
    "WHERE s.until IS NULL OR s.until > datetime() "
    "SET s.until = datetime(), s.endedBy = $actor, s.endedByHandOver = $targetId "
    "RETURN count(s) AS ended",
)
RECORD = Cypher(
    "handover.record",
    "MERGE (h:HandOver {id: $targetId}) ON CREATE SET h.from = $departed, h.at = datetime(), "
    "h.by = $actor, h.note = $note, h.accounts = $nAccounts, h.projects = $nProjects, "
    "h.followUps = $nFollowUps, h.moved = $moved "
    "WITH h " + AUDIT + " RETURN h.id AS id",
)
LABEL_OF = Cypher(
    "handover.labels",
    "UNWIND $ids AS cid MATCH (c:Customer {id: cid}) "
    "RETURN c.id AS id, CASE WHEN c:Company THEN 'Company' ELSE 'Person' END AS label",
)


class Move(TypedDict):
    id: str  # the customer, project or follow-up moved
    to: str  # the successor
    customerId: str | None


class HandOverRow(TypedDict):
    id: str | None  # null on a dry run
    accounts: list[Move]
    projects: list[Move]
    followUps: list[Move]
    # Closed or archived deals whose team the departed leaves (`to`: the account's successor;
    # nobody joins the team).
    closedProjects: list[Move]
    # Deals and follow-ups of customers the viewer may not edit but may see: not moved (`to`:
    # the successor they would have gone to).
    leftBehind: list[Move]
    leftBehindHidden: int  # and those the viewer may not even see: only counted
    sharesEnded: int  # accounts shared with the departed by hand: those shares end
    refusal: Refusal | None
    part: Part | None
    detail: str | None  # the id the refusal names
    truncated: bool


def _refused(refusal: Refusal, part: Part, detail: str | None) -> HandOverRow:
    return {
        "id": None,
        "accounts": [],
        "projects": [],
        "followUps": [],
        "closedProjects": [],
        "leftBehind": [],
        "leftBehindHidden": 0,
        "sharesEnded": 0,
        "refusal": refusal,
        "part": part,
        "detail": detail,
        "truncated": False,
    }


def _edge_id(handover: str, edge: str) -> str:
    return str(uuid.uuid5(NS, handover + "/" + edge))


async def hand_over(
    db: Database,
    departed: str,
    default_to: str,
    routes: dict[str, str],
    note: str | None,
    dry_run: bool,
    audit: Audit,
) -> HandOverRow:
    """Move what `departed` holds to the successors (`routes`: customer id -> user id; the
    rest to `default_to`), in one transaction; on a dry run, only say what would move."""
    actor: Actor = audit.actor
    if not actor.scope.may_edit:
        return _refused(Refusal.FORBIDDEN, Part.WHOLE, None)
    successors = sorted({default_to, *routes.values()})
    if departed in successors:
        return _refused(Refusal.SELF_LOOP, Part.TO, departed)
    ev = audit.params(str(uuid.uuid4()), "HandOver", ["accounts", "projects", "followUps"])
    handover = ev["targetId"]

    async def work(tx: Tx) -> HandOverRow:
        found = {
            r["id"]: r
            for r in await tx.run(USERS, {"ids": [departed, *successors], "departed": departed})
        }
        for u in [departed, *successors]:
            if u not in found:  # users are no secret: an unknown one is named as such
                return _refused(Refusal.NOT_FOUND, Part.FROM if u == departed else Part.TO, u)
        # A rep of another team (who helped on this manager's deals) is an outsider: their
        # place on what the viewer may edit moves, their own accounts and shares stay theirs.
        outsider = not actor.scope.edit_all and departed not in actor.scope.users
        for u in successors:  # the departed may be archived already; a successor may not
            if not found[u]["active"] or not set(found[u]["roles"]) - access.READ_ONLY_ROLES:
                return _refused(Refusal.INACTIVE, Part.TO, u)
        if not actor.scope.edit_all:
            outside = [u for u in successors if u not in actor.scope.users]
            if outside:
                return _refused(Refusal.FORBIDDEN, Part.TO, outside[0])
        rows = await tx.run(GATHER, {"departed": departed, "acl": access.acl_params(actor)})
        g: dict[str, Any] = rows[0]
        if outsider:
            g = {**g, "accounts": [], "shares": 0}
        truncated = (
            len(g["accounts"]) > MAX_ACCOUNTS
            or len(g["projects"]) > MAX_PROJECTS
            or len(g["followUps"]) > MAX_FOLLOW_UPS
            or len(g["closed"]) > MAX_PROJECTS
        )
        if truncated:
            return {**_refused(Refusal.TOO_MANY, Part.WHOLE, None), "truncated": True}
        for a in g["accounts"]:
            if not a["editable"]:
                return _refused(Refusal.FORBIDDEN, Part.ACCOUNT, a["customer"])
        unknown = set(routes) - {a["customer"] for a in g["accounts"]}
        if unknown:
            return _refused(Refusal.NOT_FOUND, Part.ACCOUNT, sorted(unknown)[0])

        def to(customer: str | None) -> str:
            return routes.get(customer or "", default_to)

        accounts: list[Move] = [
            {"id": a["customer"], "to": to(a["customer"]), "customerId": a["customer"]}
            for a in g["accounts"]
        ]
        stays: list[tuple[Move, dict[str, Any]]] = [
            ({"id": x["project"], "to": to(x["customer"]), "customerId": x["customer"]}, x)
            for x in (*g["projects"], *g["closed"])
            if not x["editable"]
        ] + [
            ({"id": x["id"], "to": to(x["customer"]), "customerId": x["customer"]}, x)
            for x in g["followUps"]
            if not x["editable"]
        ]
        # What the viewer may not see is told only as a number: hidden means missing.
        left: list[Move] = [m for m, x in stays if x["seen"]]
        hidden = len(stays) - len(left)
        ended = [t for t in g["closed"] if t["editable"]]
        closed: list[Move] = [
            {"id": t["project"], "to": to(t["customer"]), "customerId": t["customer"]}
            for t in ended
        ]
        teams = [t for t in g["projects"] if t["editable"]]
        projects: list[Move] = [
            {"id": t["project"], "to": to(t["customer"]), "customerId": t["customer"]}
            for t in teams
        ]
        follow_ups: list[Move] = [
            {"id": f["id"], "to": to(f["customer"]), "customerId": f["customer"]}
            for f in g["followUps"]
            if f["editable"]
        ]
        if outsider and not (projects or follow_ups or closed):
            # Nothing of theirs is the viewer's to move: as before, not one of their reps.
            return _refused(Refusal.FORBIDDEN, Part.FROM, departed)
        out: HandOverRow = {
            "id": None if dry_run else handover,
            "accounts": accounts,
            "projects": projects,
            "followUps": follow_ups,
            "closedProjects": closed,
            "leftBehind": left,
            "leftBehindHidden": hidden,
            "sharesEnded": int(g["shares"]),
            "refusal": None,
            "part": None,
            "detail": None,
            "truncated": False,
        }
        if dry_run:
            return out
        labels = {
            r["id"]: r["label"]
            for r in await tx.run(LABEL_OF, {"ids": [a["customer"] for a in g["accounts"]]})
        }
        common = {"departed": departed, **ev}
        await tx.run(
            MOVE_ACCOUNTS,
            {
                **common,
                "accounts": [
                    {
                        "edge": a["edge"],
                        "to": to(a["customer"]),
                        "newEdge": _edge_id(handover, a["edge"]),
                        "label": labels.get(a["customer"], "Company"),
                    }
                    for a in g["accounts"]
                ],
            },
        )
        await tx.run(
            MOVE_TEAMS,
            {
                "departed": departed,
                "teams": [
                    {
                        "edge": t["edge"],
                        "to": to(t["customer"]),
                        "role": t["role"],
                        "newEdge": _edge_id(handover, t["edge"]),
                    }
                    for t in teams
                ],
            },
        )
        await tx.run(END_TEAMS, {"departed": departed, "edges": [t["edge"] for t in ended]})
        await tx.run(
            MOVE_FOLLOW_UPS,
            {
                "departed": departed,
                "followUps": [{"id": f["id"], "to": f["to"]} for f in follow_ups],
            },
        )
        if not outsider:
            await tx.run(END_SHARES, {"departed": departed, **common})
        moved = json.dumps(
            {
                "sharesEnded": int(g["shares"]),
                "accounts": accounts,
                "projects": projects,
                "followUps": follow_ups,
                "closedProjects": closed,
                "leftBehind": [m for m, _ in stays],
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        await tx.run(
            RECORD,
            {
                **common,
                "note": note,
                "nAccounts": len(accounts),
                "nProjects": len(projects),
                "nFollowUps": len(follow_ups),
                "moved": moved,
            },
        )
        return out

    return await db.transaction(work)


# --- The brief's key people --------------------------------------------------------------------
KEY_PEOPLE = Cypher(
    "handover.key_people",
    "MATCH (c:Customer {id: $account}) WHERE " + access.visible("c") + " "
    "CALL (c) { "
    "  MATCH (x:Person)-[w:WORKS_AT]->(c) WHERE " + current("w") + " RETURN x "
    "  UNION WITH c AS x WHERE x:Person RETURN x "
    "  UNION MATCH (x:Person)-[pi:PARTICIPATES_IN]->(:Project)-[:FOR]->(c) WHERE "
    + current("pi") + " RETURN x } "
    "WITH DISTINCT x WHERE x.archivedAt IS NULL AND " + access.visible_as("x", "Person") + " "
    "WITH x, COLLECT { MATCH (x)-[pi:PARTICIPATES_IN]->(p:Project)-[:FOR]->(:Customer "
    "{id: $account}) WHERE " + current("pi") + " AND coalesce(p.status, 'OPEN') = 'OPEN' "
    "RETURN {projectId: p.id, role: pi.role, stance: pi.stance} } AS roles, "
    "COLLECT { MATCH (u:User)-[k:KNOWS]->(x) WHERE " + current("k") + " "
    "RETURN {userId: u.id, userName: coalesce(u.name, u.id), strength: k.strength} AS tie "
    "ORDER BY tie.strength DESC } AS ties "
    "WITH x, roles, ties ORDER BY size(roles) DESC, size(ties) DESC, x.name, x.id "
    "LIMIT " + str(MAX_KEY_PEOPLE) + " "
    "RETURN x.id AS personId, roles, ties",
)  # fmt: skip


class TieRow(TypedDict):
    userId: str
    userName: str
    strength: float | None


class KeyPersonRow(TypedDict):
    personId: str
    roles: list[dict[str, Any]]
    ties: list[TieRow]


async def key_people(db: Database, actor: Actor, customer: str) -> list[KeyPersonRow]:
    """The account's people a successor must know, with who on our staff knows them: its
    current contacts and its open opportunities' participants (or the person customer),
    those in decision roles first, then the best known."""
    rows = await db.read(KEY_PEOPLE, {"account": customer, "acl": access.acl_params(actor)})
    return [{"personId": r["personId"], "roles": r["roles"], "ties": r["ties"]} for r in rows]
