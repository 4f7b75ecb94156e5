"""Teams (`:Team {id, code, name}`) and their hierarchy (`(:Team)-[:PART_OF]->(:Team)`).

A user belongs to the team whose `code` is in `User.team`; managers see down the hierarchy
(graph/access.py). Writes keep the hierarchy acyclic and at most `access.TEAM_DEPTH` edges
deep, so the scope's capped walk always reaches every team below a manager. Teams are visible
to every authenticated viewer; only admins change them (checked by the resolver).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from graph import clock
from graph.access import TEAM_DEPTH
from graph.actor import Actor
from graph.cypher import hops
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, PROJECTION, Audit, new_id
from graph.refusal import Part, Refusal
from graph.rows import NodeRow, TeamRow

# Per team: children and members listed at most.
MAX_ITEMS = 100
DEPTH: LiteralString = hops(0, TEAM_DEPTH)


def projection(t: LiteralString) -> LiteralString:
    """Team `t` as a TeamRow (one pattern comprehension for its parent)."""
    return (
        t + "{.id, .code, .name, version: coalesce(" + t + ".version, 1), .createdAt, "
        ".updatedAt, .archivedAt, parentId: head([(" + t + ")-[:PART_OF]->(" + t
        + "_p:Team) | " + t + "_p.id])}"
    )  # fmt: skip


TEAM: LiteralString = projection("t")

LIST = Cypher(
    "team.list",
    "MATCH (t:Team) WHERE $archived OR t.archivedAt IS NULL "
    "WITH t ORDER BY t.code LIMIT $first RETURN " + TEAM + " AS team",
)
BY_IDS = Cypher(
    "team.by_ids",
    "UNWIND $ids AS id MATCH (t:Team {id: id}) RETURN id, " + TEAM + " AS team",
)
CHILDREN = Cypher(
    "team.children",
    "UNWIND $ids AS id "
    "CALL (id) { "
    "  OPTIONAL MATCH (:Team {id: id})<-[:PART_OF]-(t:Team) WHERE t.archivedAt IS NULL "
    "  WITH t ORDER BY t.code LIMIT $cap RETURN collect(" + TEAM + ") AS items "
    "} RETURN id, items",
)
MEMBERS = Cypher(
    "team.members",
    "UNWIND $ids AS id "
    "CALL (id) { "
    "  MATCH (t:Team {id: id}) MATCH (n:User {team: t.code}) WHERE n.archivedAt IS NULL "
    "  WITH n ORDER BY n.name, n.id LIMIT $cap RETURN collect(" + PROJECTION + ") AS items "
    "} RETURN id, items",
)
CODE_EXISTS = Cypher(
    "team.code_exists",
    "RETURN EXISTS { MATCH (t:Team {code: $code}) WHERE t.archivedAt IS NULL } AS found",
)
LOCK = Cypher(
    "team.lock",
    "MATCH (t:Team {id: $id}) SET t.__lock = true REMOVE t.__lock "
    "RETURN coalesce(t.version, 1) AS version",
)
# Where `$parent` would put a team: does it exist, would it close a cycle (the parent is the
# team or below it), and how many edges lie above the parent and below the team.
PLACEMENT = Cypher(
    "team.placement",
    "MATCH (p:Team {id: $parent}) WHERE p.archivedAt IS NULL "
    "OPTIONAL MATCH (t:Team {id: $id}) "
    "CALL (p) { OPTIONAL MATCH path = (p)-[:PART_OF" + DEPTH + "]->(r:Team) "
    "  WHERE NOT (r)-[:PART_OF]->(:Team) RETURN max(length(path)) AS up } "
    "CALL (t) { OPTIONAL MATCH path = (:Team)-[:PART_OF" + DEPTH + "]->(t) "
    "  RETURN coalesce(max(length(path)), 0) AS down } "
    "RETURN t IS NOT NULL AND EXISTS { MATCH (p)-[:PART_OF" + DEPTH + "]->(t) } AS cycle, "
    "up, down LIMIT 1",
)
CREATE = Cypher(
    "team.create",
    "MERGE (t:Team {id: $targetId}) ON CREATE SET t.code = $code, t.name = $name, "
    "t.version = 1, t.createdAt = datetime(), t.updatedAt = datetime() "
    "WITH t OPTIONAL MATCH (p:Team {id: $parent}) "
    "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (t)-[:PART_OF]->(p)) "
    "WITH t " + AUDIT + " RETURN " + TEAM + " AS team",
)
UPDATE = Cypher(
    "team.update",
    "MATCH (t:Team {id: $targetId}) "
    "SET t += $props, t.version = coalesce(t.version, 1) + 1, t.updatedAt = datetime() "
    "WITH t CALL (t) { OPTIONAL MATCH (t)-[old:PART_OF]->(:Team) WITH old WHERE $moveTo "
    "  DELETE old } "
    "WITH t OPTIONAL MATCH (p:Team {id: $parent}) WHERE $moveTo "
    "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (t)-[:PART_OF]->(p)) "
    "WITH t " + AUDIT + " RETURN " + TEAM + " AS team",
)
IN_USE = Cypher(
    "team.in_use",
    "MATCH (t:Team {id: $id}) "
    "RETURN COUNT { MATCH (u:User {team: t.code}) WHERE u.archivedAt IS NULL } AS members, "
    "COUNT { MATCH (c:Team)-[:PART_OF]->(t) WHERE c.archivedAt IS NULL } AS children",
)


@dataclass(frozen=True)
class TeamResult:
    team: TeamRow | None
    refusal: Refusal | None = None
    part: Part | None = None
    current_version: int | None = None
    # For IN_USE: active members and child teams still in the team.
    members: int = 0
    children: int = 0


def _audit(audit: Audit, team_id: str, fields: list[str]) -> dict[str, Any]:
    return {
        "auditId": new_id(),
        "actor": audit.actor.id,
        "action": audit.action,
        "targetId": team_id,
        "targetLabel": "Team",
        "fields": sorted(fields),
        "requestId": audit.request_id,
    }


async def teams(db: Database, actor: Actor, first: int, archived: bool) -> list[TeamRow]:
    rows = await db.read(LIST, {"first": first, "archived": archived})
    return [r["team"] for r in rows]


async def by_ids(db: Database, actor: Actor, ids: list[str]) -> dict[str, TeamRow]:
    rows = await db.read(BY_IDS, {"ids": ids})
    return {r["id"]: r["team"] for r in rows}


async def children(
    db: Database, actor: Actor, ids: list[str], cap: int
) -> dict[str, list[TeamRow]]:
    rows = await db.read(CHILDREN, {"ids": ids, "cap": min(cap, MAX_ITEMS)})
    return {r["id"]: r["items"] for r in rows}


async def members(db: Database, actor: Actor, ids: list[str], cap: int) -> dict[str, list[NodeRow]]:
    rows = await db.read(MEMBERS, {"ids": ids, "cap": min(cap, MAX_ITEMS)})
    return {r["id"]: r["items"] for r in rows}


async def code_exists(db: Database, actor: Actor, code: str) -> bool:
    rows = await db.read(CODE_EXISTS, {"code": code})
    return bool(rows[0]["found"])


async def _lock(tx: Tx, team_id: str, expected_version: int | None) -> TeamResult | None:
    """Lock the team for a change; the refusal when it is missing or not at the version read."""
    locked = await tx.run(LOCK, {"id": team_id})
    if not locked:
        return TeamResult(None, Refusal.NOT_FOUND, Part.WHOLE)
    current = locked[0]["version"]
    if expected_version is not None and current != expected_version:
        return TeamResult(None, Refusal.CONFLICT, Part.VERSION, current)
    return None


async def _placement(tx: Tx, team_id: str | None, parent: str) -> TeamResult | None:
    """A refusal when `parent` cannot hold the team `team_id` (None: a new team)."""
    rows = await tx.run(PLACEMENT, {"id": team_id, "parent": parent})
    if not rows:
        return TeamResult(None, Refusal.NOT_FOUND, Part.PARENT)
    row = rows[0]
    if row["cycle"]:
        return TeamResult(None, Refusal.CYCLE, Part.PARENT)
    # `up` is null when no root lies within the cap above the parent: already too deep.
    if row["up"] is None or row["up"] + 1 + row["down"] > TEAM_DEPTH:
        return TeamResult(None, Refusal.TOO_DEEP, Part.PARENT)
    return None


async def create(
    db: Database, code: str, name: str, parent: str | None, audit: Audit
) -> TeamResult:
    """A new team under `parent` (or at the top). A taken code raises ConstraintViolation."""
    team_id = new_id()
    fields = ["code", "name"] + (["parent"] if parent else [])
    params = {"code": code, "name": name, "parent": parent, **_audit(audit, team_id, fields)}

    async def work(tx: Tx) -> TeamResult:
        if parent is not None and (refused := await _placement(tx, None, parent)):
            return refused
        rows = await tx.run(CREATE, params)
        return TeamResult(rows[0]["team"])

    return await db.transaction(work)


async def update(
    db: Database,
    team_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    move: bool,
    parent: str | None,
    audit: Audit,
) -> TeamResult:
    """Change `props`; with `move`, put the team under `parent` (None: at the top)."""
    fields = list(props) + (["parent"] if move else [])

    async def work(tx: Tx) -> TeamResult:
        if refused := await _lock(tx, team_id, expected_version):
            return refused
        if move and parent is not None and (refused := await _placement(tx, team_id, parent)):
            return refused
        params = {
            "props": props,
            "moveTo": move,
            "parent": parent,
            **_audit(audit, team_id, fields),
        }
        rows = await tx.run(UPDATE, params)
        return TeamResult(rows[0]["team"])

    return await db.transaction(work)


async def archive(
    db: Database, team_id: str, expected_version: int | None, audit: Audit
) -> TeamResult:
    """Archive a team that no active user or child team refers to any more; one archived
    already is answered as it is (its first archive time and version kept: a retry is safe,
    as archiveUser's; tester BO saw a second archive move both)."""

    async def work(tx: Tx) -> TeamResult:
        if refused := await _lock(tx, team_id, expected_version):
            return refused
        stored = (await tx.run(BY_IDS, {"ids": [team_id]}))[0]["team"]
        if stored["archivedAt"] is not None:
            return TeamResult(stored)
        used = (await tx.run(IN_USE, {"id": team_id}))[0]
        if used["members"] or used["children"]:
            return TeamResult(
                None, Refusal.IN_USE, Part.WHOLE, members=used["members"], children=used["children"]
            )
        params = {
            "props": {"archivedAt": clock.now()},
            "moveTo": False,
            "parent": None,
            **_audit(audit, team_id, ["archivedAt"]),
        }
        rows = await tx.run(UPDATE, params)
        return TeamResult(rows[0]["team"])

    return await db.transaction(work)
