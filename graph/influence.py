"""Cypher for influenceRanking: the people in a scope (a company with its subsidiaries, or a
project's participants and their direct influencers) and the influence and reporting edges
between them. One statement; the subsidiary expansion has a hop cap and a LIMIT."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph.actor import Actor
from graph.db import Cypher, Database
from graph.decision import person_nodes
from graph.maps import clean, edge, valid

SCOPE_MAX_LEVELS = 4
SCOPE_MAX_COMPANIES = 500
SCOPE_MAX_PEOPLE = 2000

INFLUENCE_SCOPE = Cypher(
    "influence.scope",
    "OPTIONAL MATCH (co:Company {id: $scope}) "
    "OPTIONAL MATCH (pr:Project {id: $scope}) "
    "CALL (co, pr) { "
    "  CALL (co, pr) { "
    "    WITH co WHERE co IS NOT NULL "
    f"    MATCH (co)<-[rs:SUBSIDIARY_OF*0..{SCOPE_MAX_LEVELS}]-(m:Company) "
    f"    WHERE all(r IN rs WHERE {valid('r')}) "
    f"    WITH DISTINCT m LIMIT {SCOPE_MAX_COMPANIES} "
    "    MATCH (p:Person)-[w:WORKS_AT]->(m) "
    f"    WHERE {valid('w')} "
    "    RETURN p "
    "    UNION "
    "    WITH pr WHERE pr IS NOT NULL "
    "    MATCH (p:Person)-[pi:PARTICIPATES_IN]->(pr) "
    f"    WHERE {valid('pi')} "
    "    RETURN p "
    "    UNION "
    "    WITH pr WHERE pr IS NOT NULL "
    "    MATCH (p:Person)-[i:INFLUENCES]->(:Person)-[pi:PARTICIPATES_IN]->(pr) "
    f"    WHERE {valid('pi')} AND {valid('i')} AND (i.projectId IS NULL OR i.projectId = pr.id) "
    "    RETURN p "
    "  } "
    "  WITH DISTINCT p WHERE p.archivedAt IS NULL "
    f"  WITH p ORDER BY p.id LIMIT {SCOPE_MAX_PEOPLE + 1} "
    "  RETURN collect(p) AS found "
    "} "
    f"WITH co, pr, found[..{SCOPE_MAX_PEOPLE}] AS ps, size(found) > {SCOPE_MAX_PEOPLE} "
    "  AS truncated "
    "CALL (pr, ps) { "
    "  UNWIND ps AS a "
    "  MATCH (a)-[r:INFLUENCES|REPORTS_TO]->(b:Person) "
    f"  WHERE {valid('r')} AND b IN ps "
    "    AND (pr IS NULL OR r.projectId IS NULL OR r.projectId = pr.id) "
    f"  RETURN collect({edge('r')}) AS edges "
    "} " + person_nodes("ps", "people") + "RETURN co IS NOT NULL OR pr IS NOT NULL AS found, "
    "  people, edges, truncated",
)


async def scope(
    db: Database, actor: Actor, scope_id: str, as_of: dt.date, *, with_data: bool
) -> dict[str, Any]:
    rows = await db.read(INFLUENCE_SCOPE, {"scope": scope_id, "asOf": as_of, "withData": with_data})
    row = rows[0]
    return {
        "found": row["found"],
        "people": clean(row["people"]),
        "edges": clean(row["edges"]),
        "truncated": row["truncated"],
    }
