"""Our own staff in `crm-graph export` and `import`: the statements behind the team and user
lines (resolvers/transfer_staff.py). Staff edges (OWNS, ON_TEAM, KNOWS) are ordinary edges of
graph/transfer.py.

Teams and users are visible to every signed-in viewer (graph/access.py, graph/team.py), so
the export reads them whole, in id order; a user is read without anything of its API keys.
An imported team is saved under its own id, with team.py's placement rules (the parent
exists, no cycle, at most TEAM_DEPTH deep) judged in the same transaction as the write, and
one audit event; an imported user is saved by graph/nodes.py, as createUser and updateUser
save one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, LiteralString

from graph import pages, team
from graph.access import TEAM_DEPTH
from graph.actor import Actor
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, Audit
from graph.refusal import Part, Refusal
from graph.rows import TeamRow
from graph.vocab import ENDPOINTS, Label, Rel

PAGE = 2000

TEAM_PAGE = Cypher(
    "transfer.export.teams",
    "MATCH (t:Team) WHERE t.id > $after WITH t ORDER BY t.id LIMIT $limit "
    "RETURN " + team.TEAM + " AS team",
)
# Never the key hash (a pre-V0006 `apiKeyHash`) nor anything of the :ApiKey nodes.
_USER: LiteralString = (
    "u{.id, .name, .email, .team, roles: coalesce(u.roles, []), .externalSource, .externalId, "
    ".oidcSubject, .archivedAt}"
)
USER_PAGE = Cypher(
    "transfer.export.users",
    "MATCH (u:User) WHERE u.id > $after WITH u ORDER BY u.id LIMIT $limit "
    "RETURN " + _USER + " AS user",
)
USERS_BY_ID = Cypher(
    "transfer.staff.users_by_id",
    "UNWIND $ids AS id MATCH (u:User {id: id}) RETURN " + _USER + " AS user",
)
# team.py's PLACEMENT, but an archived team may sit under an archived parent (archiving a
# parent waits for its children, so an archived child keeps its archived parent).
PLACEMENT = Cypher(
    "transfer.staff.placement",
    "MATCH (p:Team {id: $parent}) WHERE p.archivedAt IS NULL OR $archived "
    "OPTIONAL MATCH (t:Team {id: $targetId}) "
    "CALL (p) { OPTIONAL MATCH path = (p)-[:PART_OF" + team.DEPTH + "]->(r:Team) "
    "  WHERE NOT (r)-[:PART_OF]->(:Team) RETURN max(length(path)) AS up } "
    "CALL (t) { OPTIONAL MATCH path = (:Team)-[:PART_OF" + team.DEPTH + "]->(t) "
    "  RETURN coalesce(max(length(path)), 0) AS down } "
    "RETURN t IS NOT NULL AND EXISTS { MATCH (p)-[:PART_OF" + team.DEPTH + "]->(t) } AS cycle, "
    "up, down LIMIT 1",
)
SAVE_TEAM = Cypher(
    "transfer.staff.save_team",
    "MERGE (t:Team {id: $targetId}) ON CREATE SET t.version = 0, t.createdAt = datetime() "
    "SET t += $props, t.version = coalesce(t.version, 1) + 1, t.updatedAt = datetime() "
    "WITH t CALL (t) { OPTIONAL MATCH (t)-[old:PART_OF]->(:Team) DELETE old } "
    "WITH t OPTIONAL MATCH (p:Team {id: $parent}) "
    "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (t)-[:PART_OF]->(p)) "
    "WITH t " + AUDIT + " RETURN " + team.TEAM + " AS team",
)


def _owns_overlap(customer: Label) -> Cypher:
    """relationship.py's OVERLAP for OWNS, a batch at once: for each row, another OWNS edge
    between its user and customer whose validity overlaps the row's [since, until) (no
    `since`: from today)."""
    label: LiteralString = customer.value
    return Cypher(
        f"transfer.staff.owns_overlap.{label.lower()}",
        "UNWIND $rows AS row "
        "MATCH (:User {id: row.from})-[x:OWNS]->(:" + label + " {id: row.to}) "
        "WHERE x.id <> row.id "
        "AND (x.since IS NULL OR row.until IS NULL OR x.since < row.until) "
        "AND (x.until IS NULL OR coalesce(row.since, date()) < x.until) "
        "WITH row, x ORDER BY x.id "
        "RETURN row.n AS n, collect(x.id)[..$limit] AS others",
    )


OWNS_OVERLAP = {label: _owns_overlap(label) for label in ENDPOINTS[Rel.OWNS][1]}


async def export_teams(db: Database, actor: Actor, after: str) -> list[TeamRow]:
    """The next page of teams (archived ones too), with ids above `after` (every viewer sees
    every team, so `actor` narrows nothing)."""
    rows = await db.read(TEAM_PAGE, {"after": after, "limit": PAGE})
    return [r["team"] for r in rows]


async def export_users(db: Database, actor: Actor, after: str) -> list[dict[str, Any]]:
    """The next page of users (archived ones too), with ids above `after`: every viewer sees
    every user (masking, of `email`, is applied above)."""
    rows = await db.read(USER_PAGE, {"after": after, "limit": PAGE})
    return [r["user"] for r in rows]


async def all_teams(db: Database, actor: Actor) -> list[TeamRow]:
    """Every team (there are few: a hierarchy a manager's scope walks)."""
    return [team async for team in pages.every(partial(export_teams, db, actor))]


async def users_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await db.read(USERS_BY_ID, {"ids": ids})
    return {r["user"]["id"]: r["user"] for r in rows}


async def owns_overlaps(
    db: Database, actor: Actor, customer: Label, rows: list[dict[str, Any]]
) -> dict[int, list[str]]:
    """Row number -> the ids of stored OWNS edges (some), other than the row's, between its
    user and customer overlapping its dates (rows: n, id, from, to, since, until). `actor`
    edits everything (staff edges are imported by such keys only), so nothing is hidden."""
    found = await db.read(OWNS_OVERLAP[customer], {"rows": rows, "limit": len(rows) + 1})
    return {r["n"]: r["others"] for r in found}


@dataclass(frozen=True)
class TeamSaved:
    team: TeamRow | None
    refusal: Refusal | None = None  # NOT_FOUND (the parent), CYCLE, TOO_DEEP or IN_USE
    part: Part | None = None
    members: int = 0  # IN_USE: the active users and child teams left in it
    children: int = 0


# team.py's IN_USE, for an active team only: archiving waits until no one is left in it.
STILL_USED = Cypher(
    "transfer.staff.still_used",
    "MATCH (t:Team {id: $id}) WHERE t.archivedAt IS NULL "
    "RETURN COUNT { MATCH (u:User {team: t.code}) WHERE u.archivedAt IS NULL } AS members, "
    "COUNT { MATCH (c:Team)-[:PART_OF]->(t) WHERE c.archivedAt IS NULL } AS children",
)


async def save_team(
    db: Database,
    team_id: str,
    props: dict[str, Any],
    parent: str | None,
    fields: list[str],
    audit: Audit,
) -> TeamSaved:
    """Create or change the team `team_id` (its code, name, archive moment in `props`; a
    None value removes it) under `parent` (None: at the top), in one transaction with its
    audit event naming `fields`. A code another team holds raises ConstraintViolation.
    Archiving an active team waits, as archiveTeam does, until no active user or child team
    is left in it (IN_USE)."""
    archived = props.get("archivedAt") is not None

    async def work(tx: Tx) -> TeamSaved:
        if archived:
            used = await tx.run(STILL_USED, {"id": team_id})
            if used and (used[0]["members"] or used[0]["children"]):
                return TeamSaved(
                    None, Refusal.IN_USE, Part.WHOLE, used[0]["members"], used[0]["children"]
                )
        if parent is not None:
            rows = await tx.run(
                PLACEMENT, {"targetId": team_id, "parent": parent, "archived": archived}
            )
            if not rows:
                return TeamSaved(None, Refusal.NOT_FOUND, Part.PARENT)
            row = rows[0]
            if row["cycle"]:
                return TeamSaved(None, Refusal.CYCLE, Part.PARENT)
            if row["up"] is None or row["up"] + 1 + row["down"] > TEAM_DEPTH:
                return TeamSaved(None, Refusal.TOO_DEEP, Part.PARENT)
        params = {
            "props": props,
            "parent": parent,
            **audit.params(team_id, "Team", fields),
        }
        rows = await tx.run(SAVE_TEAM, params)
        return TeamSaved(rows[0]["team"])

    return await db.transaction(work)
