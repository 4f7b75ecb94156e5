"""Cypher for influenceRanking: the people in a scope (a company with its subsidiaries, or a
project's participants and their direct influencers) and the influence and reporting edges
between them. One statement; the subsidiary expansion has a hop cap and a LIMIT.

Visibility (graph/access.py): an invisible scope is not found, the subsidiary expansion does
not pass through invisible companies, and invisible people are left out before the ranking,
so PageRank and betweenness are computed over the visible subgraph only (a hidden person's
influence cannot be read back from the others' scores)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.decision import person_nodes
from graph.maps import clean, edge, read_map, through_visible, valid

SCOPE_MAX_LEVELS = 4
SCOPE_MAX_COMPANIES = 500
SCOPE_MAX_PEOPLE = 2000

INFLUENCE_SCOPE = Cypher(
    "influence.scope",
    f"OPTIONAL MATCH (co:Company {{id: $scope}}) WHERE {access.visible_as('co', 'Company')} "
    f"OPTIONAL MATCH (pr:Project {{id: $scope}}) WHERE {access.visible_as('pr', 'Project')} "
    # The company and its subsidiaries, itself first (a person's title is the one there).
    "CALL (co) { "
    "  WITH co WHERE co IS NOT NULL "
    f"  MATCH wp = (co)<-[rs:SUBSIDIARY_OF*0..{SCOPE_MAX_LEVELS}]-(m:Company) "
    f"  WHERE all(r IN rs WHERE {valid('r')}) AND {through_visible('wp', 'co')} "
    f"  WITH DISTINCT m LIMIT {SCOPE_MAX_COMPANIES} "
    "  RETURN collect(m) AS companies "
    "} "
    "WITH co, pr, CASE WHEN co IS NULL THEN [] "
    f"  ELSE [co] + [m IN companies WHERE m <> co][..{SCOPE_MAX_COMPANIES - 1}] END AS ms "
    "CALL (co, pr, ms) { "
    "  CALL (pr, ms) { "
    "    UNWIND ms AS m "
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
    "    MATCH (p:Person)-[i:INFLUENCES]->(t:Person)-[pi:PARTICIPATES_IN]->(pr) "
    f"    WHERE {valid('pi')} AND {valid('i')} AND (i.projectId IS NULL OR i.projectId = pr.id) "
    # Not through a participant the viewer may not see.
    f"      AND {access.visible_as('t', 'Person')} "
    "    RETURN p "
    "  } "
    # Visibility once per distinct person, after the union.
    f"  WITH DISTINCT p WHERE p.archivedAt IS NULL AND {access.visible_as('p', 'Person')} "
    f"  WITH p ORDER BY p.id LIMIT {SCOPE_MAX_PEOPLE + 1} "
    "  RETURN collect(p) AS found "
    "} "
    f"WITH co, pr, ms, found[..{SCOPE_MAX_PEOPLE}] AS ps, size(found) > {SCOPE_MAX_PEOPLE} "
    "  AS truncated "
    # Titles at the scope company, or at the project's customer.
    "WITH pr, ps, truncated, co, CASE WHEN pr IS NULL THEN ms ELSE "
    f"  [(pr)-[f:FOR]->(x:Company) WHERE {valid('f')} | x] END AS titled "
    "CALL (pr, ps) { "
    "  UNWIND ps AS a "
    "  MATCH (a)-[r:INFLUENCES|REPORTS_TO]->(b:Person) "
    f"  WHERE {valid('r')} AND b IN ps "
    # Influence limited to a project counts in that project's scope only (tester AU saw one
    # project's 0.95 lift a person in the whole company's ranking).
    "    AND (r.projectId IS NULL OR r.projectId = pr.id) "
    f"  RETURN collect({edge('r')}) AS edges "
    "} " + person_nodes("ps", "people", "titled") + "RETURN co IS NOT NULL OR pr IS NOT NULL "
    "AS found, "
    "  people, edges, truncated",
)


async def scope(
    db: Database, actor: Actor, scope_id: str, as_of: dt.date, *, with_data: bool
) -> dict[str, Any]:
    params = {"scope": scope_id}
    row = await read_map(db, INFLUENCE_SCOPE, actor, as_of, params, with_data=with_data)
    assert row is not None  # an aggregate: always one row
    return {
        "found": row["found"],
        "people": clean(row["people"]),
        "edges": clean(row["edges"]),
        "truncated": row["truncated"],
    }
