"""Cypher for the project decision tree (R3): participants, hidden influencers, the influence
and reporting edges between them, who on our staff knows them (KNOWS, with its stored
strength), and the stance history.
One statement; every expansion is one hop with a LIMIT.

Visibility (graph/access.py): an invisible project is not found; invisible participants and
influencers are left out with their edges, staff ties and stance changes, and a person's
employer shows only when the viewer may see it. Limits and `truncated` count visible people."""

from __future__ import annotations

import datetime as dt
from typing import Any, LiteralString, TypedDict

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.maps import clean, edge, job, node, read_map, valid
from graph.relationship import STANCE_CHANGE_FIELDS, stance_change_row
from graph.rows import StanceChangeRow

MAX_PARTICIPANTS = 500
MAX_HIDDEN = 200
MAX_HISTORY = 500
MAX_STAFF_TIES = 2000


class StaffTieRow(TypedDict):
    """A KNOWS edge from one of our staff to someone in the tree, strength as stored."""

    userId: str
    userName: str
    personId: str
    strength: float | None


class DecisionTreeRows(TypedDict):
    parts: list[dict[str, Any]]
    hidden: list[str]
    people: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    known: list[StaffTieRow]
    history: list[StanceChangeRow]


def person_nodes(xs: LiteralString, out: LiteralString, at: LiteralString = "") -> LiteralString:
    """A CALL block turning the list `xs` of :Person into MapNode maps with their employer
    as of $asOf (title, department, companyId), flattened here so no caller reshapes them.
    `at`, if given, names a list of the map's companies, its own first: a job there is the
    one shown, before a later one elsewhere."""
    first = f"CASE WHEN co = head({at}) THEN 0 WHEN co IN {at} THEN 1 ELSE 2 END, " if at else ""
    return (
        f"CALL ({xs}{', ' + at if at else ''}) {{ "
        f"  UNWIND {xs} AS p "
        "  WITH p, head(COLLECT { "
        "    MATCH (p)-[w:WORKS_AT]->(co:Company) "
        f"    WHERE {valid('w')} AND {access.visible_as('co', 'Company')} "
        "    RETURN {title: w.title, department: w.department, companyId: co.id} "
        f"    ORDER BY {first}w.since DESC LIMIT 1 }}) AS job "
        f"  RETURN collect({node('p', job('job', 'job.companyId'))}) AS {out} "
        "} "
    )


DECISION_TREE = Cypher(
    "decision.tree",
    f"MATCH (pr:Project {{id: $project}}) WHERE {access.visible_as('pr', 'Project')} "
    "CALL (pr) { "
    "  MATCH (p:Person)-[pi:PARTICIPATES_IN]->(pr) "
    f"  WHERE {valid('pi')} AND p.archivedAt IS NULL AND {access.visible_as('p', 'Person')} "
    # By name, by id for an anonymised viewer (access.name_order): the order would tell names.
    f"  WITH p, pi ORDER BY {access.name_order('p')}, p.id LIMIT {MAX_PARTICIPANTS + 1} "
    "  RETURN collect({id: p.id, role: pi.role, stance: pi.stance, concerns: pi.concerns}) "
    "    AS parts, collect(p) AS ps "
    "} "
    "CALL (pr, ps) { "
    "  UNWIND ps AS t "
    "  MATCH (h:Person)-[i:INFLUENCES]->(t) "
    f"  WHERE {valid('i')} AND (i.projectId IS NULL OR i.projectId = pr.id) "
    "    AND NOT h IN ps AND h.archivedAt IS NULL "
    # Visibility once per distinct influencer, not once per influence edge.
    "  WITH DISTINCT h "
    f"  WHERE {access.visible_as('h', 'Person')} "
    f"  WITH h LIMIT {MAX_HIDDEN + 1} "
    "  RETURN collect(h) AS hs "
    "} "
    "WITH pr, parts, ps, hs, ps + hs AS everyone "
    "CALL (pr, everyone) { "
    "  UNWIND everyone AS a "
    "  MATCH (a)-[r:INFLUENCES|REPORTS_TO]->(b:Person) "
    f"  WHERE {valid('r')} AND b IN everyone AND (r.projectId IS NULL OR r.projectId = pr.id) "
    f"  RETURN collect({edge('r')}) AS edges "
    "} "
    "CALL (everyone) { "
    "  UNWIND everyone AS a "
    "  MATCH (u:User)-[k:KNOWS]->(a) "
    f"  WHERE {valid('k')} "
    f"  WITH u, k, a ORDER BY k.strength DESC, u.id LIMIT {MAX_STAFF_TIES} "
    "  RETURN collect({user: u.id, userName: coalesce(u.name, u.id), person: a.id, "
    "    strength: k.strength}) AS known "
    "} "
    "CALL (pr, everyone) { "
    "  MATCH (c:StanceChange {projectId: pr.id}) "
    # Changes of people the viewer may not see are left out, before the LIMIT counts them.
    "  WHERE c.personId IN [x IN everyone | x.id] "
    f"  WITH c ORDER BY c.at, c.id LIMIT {MAX_HISTORY} "
    "  RETURN collect(c" + STANCE_CHANGE_FIELDS + ") AS history "
    "} "
    # Titles at the project's customer first, not at a later job elsewhere.
    + f"WITH *, [(pr)-[f:FOR]->(x:Company) WHERE {valid('f')} | x] AS titled "
    + person_nodes("everyone", "people", "titled")
    + "RETURN pr.id AS project, parts, [h IN hs | h.id] AS hidden, people, edges, known, history",
)


async def decision_tree(
    db: Database, actor: Actor, project: str, as_of: dt.date, *, with_data: bool
) -> DecisionTreeRows | None:
    row = await read_map(db, DECISION_TREE, actor, as_of, {"project": project}, with_data=with_data)
    if row is None:
        return None
    return {
        "parts": row["parts"],
        "hidden": row["hidden"],
        "people": clean(row["people"]),
        "edges": clean(row["edges"]),
        "known": [
            {
                "userId": k["user"],
                "userName": k["userName"],
                "personId": k["person"],
                "strength": k["strength"],
            }
            for k in row["known"]
        ],
        "history": [stance_change_row(h) for h in row["history"]],
    }
