"""Cypher for related accounts (R1), paths and warm introductions (R6).

relatedAccounts is one statement with a bounded company-chain expansion, the whole group by
hierarchy (up and down at most GROUP_MAX_LEVELS each, when asked), plus three fixed 2-3 hop
people patterns. path and warmIntroPaths use Neo4j 5's `SHORTEST k` over a quantified
path pattern whose inline predicate checks the relationship type and its validity on $asOf,
so the search is a bounded bidirectional BFS rather than an enumeration of all paths.
warmIntroPaths walks only one of parallel edges between the same two nodes (so they do not use
up its k), then collapses the paths by their chain of people and gathers, per pair of
consecutive people, every direct tie and shared employer (one hop each, with a LIMIT).
Hop caps are literals, so the statements are prebuilt per cap.

Visibility (graph/access.py): every statement takes `$acl`; an invisible node is left out with
its edges, no search passes through one (the predicate sits in the variable-length expand or
in the quantified pattern's inline WHERE, so the shape of the hidden part does not leak either),
and an invisible centre, end or target is reported as not found.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.maps import (
    COMPANY_UNION,
    GROUP_MAX_LEVELS,
    GROUP_ROOTS,
    clean,
    edge,
    node,
    placed,
    read_map,
    through_visible,
    valid,
)
from graph.vocab import Rel

MAX_HOPS_RELATED = 4
MAX_HOPS_PATH = 6
RELATED_MAX_COMPANIES = 500
PEOPLE_LINKS_LIMIT = 300
PATHS_PER_QUERY = 10
# `path` answers the PATHS_PER_QUERY strongest of this many shortest paths: SHORTEST k orders
# by hops only, so the k it keeps among paths of one length are arbitrary.
PATH_CANDIDATES = 50
INTRO_PATHS_PER_PAIR = 5  # one edge per pair of nodes, before collapsing by people
INTRO_TIES_PER_HOP = 10
INTRO_MAX_USERS = 200
INTRO_MAX_TARGETS = 20
INTRO_MAX_PATHS = 200


class RelatedRows(TypedDict):
    """relatedAccounts' bounded subgraph: companies (the centre first) and the chain edges
    between them, and the people and project links found around the centre."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    people: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    truncated: bool


ALL_UNION = "|".join(r.value for r in Rel)
INTRO_RELS = (Rel.KNOWS, Rel.INFLUENCES, Rel.RELATED_TO, Rel.WORKS_AT, Rel.REPORTS_TO)
INTRO_UNION = "|".join(r.value for r in INTRO_RELS)
# Direct ties between two people (or staff and a person); WORKS_AT only makes colleagues.
TIE_RELS = (Rel.KNOWS, Rel.INFLUENCES, Rel.RELATED_TO, Rel.REPORTS_TO)
TIE_UNION = "|".join(r.value for r in TIE_RELS)

ANY_NODE = (
    "CALL () {{ "
    "  MATCH (x:Company {{id: ${p}}}) RETURN x UNION "
    "  MATCH (x:Person {{id: ${p}}}) RETURN x UNION "
    "  MATCH (x:Project {{id: ${p}}}) RETURN x UNION "
    "  MATCH (x:User {{id: ${p}}}) RETURN x "
    "}} "
)

PATH_PROJECTION = (
    f"{{nodes: [pn IN nodes(p) | {placed('pn')}], edges: [pe IN relationships(p) | {edge('pe')}]}}"
)


# The whole group, however many hierarchy hops away: up to the ultimate parent(s), then down,
# as groupHierarchy does (same level caps), within its own LIMIT.
_GROUP = (
    "CALL (c) { " + GROUP_ROOTS + "  UNWIND roots AS root "
    f"  MATCH wp = (root)<-[downs:SUBSIDIARY_OF*0..{GROUP_MAX_LEVELS}]-(m:Company) "
    f"  WHERE all(r IN downs WHERE {valid('r')}) AND m <> c AND {through_visible('wp', 'c')} "
    f"  WITH DISTINCT m LIMIT {RELATED_MAX_COMPANIES + 1} "
    "  RETURN collect(m) AS group "
    "} "
)


def _related(hops: int, whole_group: bool) -> Cypher:
    return Cypher(
        f"related.accounts.h{hops}{'' if whole_group else '.near'}",
        f"MATCH (c:Company {{id: $company}}) WHERE {access.visible_as('c', 'Company')} "
        "CALL (c) { "
        f"  MATCH wp = (c)-[rs:{COMPANY_UNION}*1..{hops}]-(o:Company) "
        f"  WHERE all(r IN rs WHERE type(r) IN $types AND {valid('r')}) AND o <> c "
        f"    AND {through_visible('wp', 'c')} "
        f"  WITH DISTINCT o LIMIT {RELATED_MAX_COMPANIES + 1} "
        "  RETURN collect(o) AS found "
        "} " + (_GROUP if whole_group else "WITH c, found, [] AS group ") + "WITH c, found, group, "
        f"  size(found) > {RELATED_MAX_COMPANIES} OR size(group) > {RELATED_MAX_COMPANIES} "
        "  AS truncated "
        "WITH c, [c] + found + [m IN group WHERE NOT m IN found] AS ns, truncated "
        "CALL (ns) { "
        "  UNWIND ns AS a "
        f"  MATCH (a)-[r:{COMPANY_UNION}]->(b:Company) "
        f"  WHERE type(r) IN $types AND {valid('r')} AND b IN ns "
        f"  RETURN collect({edge('r')}) AS chainEdges "
        "} "
        "CALL (c) { "
        "  WITH c WHERE $people "
        "  MATCH (c)<-[w1:WORKS_AT]-(p:Person)-[w2:WORKS_AT]->(o:Company) "
        "  WHERE o <> c AND o.archivedAt IS NULL AND p.archivedAt IS NULL "
        f"    AND {access.visible_as('p', 'Person')} AND {access.visible_as('o', 'Company')} AND ( "
        f"    ($shared AND {valid('w1')} AND {valid('w2')}) OR "
        f"    ($former AND ((w1.until <= $asOf AND {valid('w2')}) OR "
        f"                  ({valid('w1')} AND w2.until <= $asOf))) ) "
        f"  WITH o, p, w1, w2 LIMIT {PEOPLE_LINKS_LIMIT} "
        f"  RETURN collect({{company: {node('o')}, person: {placed('p')}, "
        f"    w1: {edge('w1')}, w2: {edge('w2')}, "
        f"    shared: {valid('w1')} AND {valid('w2')}}}) AS peopleLinks "
        "} "
        "CALL (c) { "
        "  WITH c WHERE $projects "
        "  CALL (c) { "
        "    MATCH (c)<-[f:FOR]-(pr:Project)<-[pi:PARTICIPATES_IN]-(p:Person)"
        "-[w:WORKS_AT]->(o:Company) "
        f"    WHERE o <> c AND {valid('pi')} AND {valid('w')} AND pr.archivedAt IS NULL "
        "    RETURN o, pr, p, [f, pi, w] AS rels "
        "    UNION "
        "    MATCH (c)<-[w:WORKS_AT]-(p:Person)-[pi:PARTICIPATES_IN]->(pr:Project)"
        "-[f:FOR]->(o:Company) "
        f"    WHERE o <> c AND {valid('pi')} AND {valid('w')} AND pr.archivedAt IS NULL "
        "    RETURN o, pr, p, [w, pi, f] AS rels "
        "  } "
        f"  WITH o, pr, p, rels WHERE o.archivedAt IS NULL AND p.archivedAt IS NULL "
        f"  AND {access.visible_as('o', 'Company')} AND {access.visible_as('pr', 'Project')} "
        f"    AND {access.visible_as('p', 'Person')} "
        f"  WITH o, pr, p, rels LIMIT {PEOPLE_LINKS_LIMIT} "
        f"  RETURN collect({{company: {node('o')}, project: {node('pr')}, person: {node('p')}, "
        f"    edges: [r IN rels | {edge('r')}]}}) AS projectLinks "
        "} "
        f"RETURN [n IN ns | {node('n')}] AS nodes, chainEdges, peopleLinks, projectLinks, "
        "  truncated",
    )


# RELATED: hierarchy reaches the whole group (the default); RELATED_NEAR: only within hops.
RELATED = {h: _related(h, True) for h in range(1, MAX_HOPS_RELATED + 1)}
RELATED_NEAR = {h: _related(h, False) for h in range(1, MAX_HOPS_RELATED + 1)}


def _each_once(steps: str, end: str | None = None) -> str:
    """No node twice on a path. SHORTEST k only never reuses a relationship, so two ties
    between the same people made a walk there and back count as one of the k. Inside the
    selector's parentheses the check runs during the search: a walk is passed over, not
    counted and then dropped. `steps` is the group variable of each step's first node; `end`
    the last node, when it could stand among them."""
    rest = f"{steps}[i + 1..]" + (f" + [{end}]" if end else "")
    return f"all(i IN range(0, size({steps}) - 1) WHERE NOT {steps}[i] IN ({rest}))"


def _path(hops: int) -> Cypher:
    return Cypher(
        f"related.path.h{hops}",
        # Each lookup aggregates inside its own CALL, so a missing id yields null, not no row.
        "CALL () { " + ANY_NODE.format(p="from") + f"WITH x WHERE {access.visible('x')} "
        "RETURN collect(x)[0] AS a } "
        "CALL () { " + ANY_NODE.format(p="to") + f"WITH x WHERE {access.visible('x')} "
        "RETURN collect(x)[0] AS b } "
        "CALL (a, b) { "
        "  WITH a, b WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b "
        # Each step's far node must be visible: a path through a hidden node is no path. Nor
        # through an archived one, as maps leave them out (the ends were asked for by id).
        f"  MATCH p = SHORTEST {PATH_CANDIDATES} ((a)((x)-[r:{ALL_UNION}]-(y) "
        f"    WHERE type(r) IN $types AND {valid('r')} AND {access.visible('y')} "
        f"      AND (y = b OR y.archivedAt IS NULL)){{1,{hops}}}(b) "
        f"    WHERE {_each_once('x', 'b')}) "
        f"  RETURN collect({PATH_PROJECTION}) AS paths "
        "} "
        "RETURN a IS NOT NULL AS fromFound, b IS NOT NULL AS toFound, paths",
    )


PATH = {h: _path(h) for h in range(1, MAX_HOPS_PATH + 1)}


def _intro(hops: int) -> Cypher:
    return Cypher(
        f"related.warm_intro.h{hops}",
        "CALL () { "
        f"  MATCH (t:Person {{id: $target}}) WHERE {access.visible_as('t', 'Person')} "
        "  RETURN t UNION "
        "  MATCH (pj:Project {id: $target})<-[pi:PARTICIPATES_IN]-(t:Person) "
        f"  WHERE pi.role = 'DECISION_MAKER' AND {valid('pi')} AND t.archivedAt IS NULL "
        f"    AND {access.visible_as('pj', 'Project')} "
        f"    AND {access.visible_as('t', 'Person')} RETURN t "
        "} "
        f"WITH collect(t)[..{INTRO_MAX_TARGETS}] AS targets "
        "CALL () { "
        "  MATCH (u:User) WHERE $staff IS NULL OR u.id IN $staff "
        f"  WITH u ORDER BY u.id LIMIT {INTRO_MAX_USERS} "
        "  RETURN collect(u) AS users "
        "} "
        # One search per target, outwards to every staff member at once (the planner's
        # StatefulShortestPath(All)), not one per staff x target pair: 36x fewer db hits for
        # a decision maker at scale S. Paths come out target-first, so they are reversed.
        "CALL (targets, users) { "
        "  UNWIND targets AS t "
        f"  MATCH p = SHORTEST {INTRO_PATHS_PER_PAIR} ((t)((x)-[r:{INTRO_UNION}]-(y) "
        # Every node before the staff member must be visible: the chain names each person,
        # so a route through someone hidden is not offered at all.
        f"    WHERE NOT x:User AND {valid('r')} AND {access.visible('x')} "
        # Nor through anyone or any employer archived (the decision tree leaves them out).
        "      AND (x = t OR x.archivedAt IS NULL) "
        # Of parallel edges between the same two nodes (KNOWS and INFLUENCES, two stints at
        # one employer) only the first valid one by id is walked: the others only make paths
        # with the same nodes, which used up the k per pair and crowded out an introduction
        # through someone else; the hop's ties below still list them all. Neo4j 5.26 checks
        # the subquery on each path found (not inlined in the expand), before it counts.
        f"    AND NOT EXISTS {{ MATCH (x)-[o:{INTRO_UNION}]-(y) "
        f"      WHERE o.id < r.id AND {valid('o')} }}){{1,{hops}}}(u:User) "
        f"    WHERE {_each_once('x')}) "
        "  WHERE u IN users "
        f"  WITH p LIMIT {INTRO_MAX_PATHS} "
        # An introduction is a chain of people (staff first): paths that differ only in the
        # edges between the same people, or in the employer two colleagues share, are one.
        "  WITH DISTINCT [n IN reverse(nodes(p)) WHERE NOT n:Company] AS ppl "
        "  UNWIND range(0, size(ppl) - 2) AS i "
        "  WITH ppl, i, ppl[i] AS a, ppl[i + 1] AS b "
        # Every tie between the two explains the hop, not just the one the search walked.
        "  CALL (a, b) { "
        f"    MATCH (a)-[r:{TIE_UNION}]-(b) WHERE {valid('r')} "
        f"    WITH r ORDER BY r.id LIMIT {INTRO_TIES_PER_HOP} "
        f"    RETURN collect({edge('r')}) AS ties "
        "  } "
        "  CALL (a, b) { "
        "    MATCH (a)-[w1:WORKS_AT]->(co:Company)<-[w2:WORKS_AT]-(b) "
        f"    WHERE {valid('w1')} AND {valid('w2')} AND co.archivedAt IS NULL "
        f"      AND {access.visible_as('co', 'Company')} "
        f"    WITH co, w1, w2 ORDER BY co.name, co.id LIMIT {INTRO_TIES_PER_HOP} "
        f"    RETURN collect({{company: {node('co')}, edges: [{edge('w1')}, {edge('w2')}]}}) "
        "      AS employers "
        "  } "
        "  WITH ppl, i, ties, employers ORDER BY i "
        "  WITH ppl, collect({ties: ties, employers: employers}) AS hops "
        f"  RETURN collect({{people: [n IN ppl | {placed('n')}], hops: hops}}) AS paths "
        "} "
        "RETURN size(targets) > 0 OR EXISTS { MATCH (pj:Project {id: $target}) "
        f"  WHERE {access.visible_as('pj', 'Project')} }} AS targetFound, "
        "  [u IN users | u.id] AS users, paths",
    )


WARM_INTRO = {h: _intro(h) for h in range(1, MAX_HOPS_PATH + 1)}


async def related_accounts(
    db: Database,
    actor: Actor,
    company: str,
    hops: int,
    types: list[str],
    shared: bool,
    former: bool,
    projects: bool,
    as_of: dt.date,
    *,
    whole_group: bool,
    with_data: bool,
) -> RelatedRows | None:
    params = {
        "company": company,
        "types": types,
        "people": shared or former,
        "shared": shared,
        "former": former,
        "projects": projects,
    }
    q = (RELATED if whole_group else RELATED_NEAR)[hops]
    row = await read_map(db, q, actor, as_of, params, with_data=with_data)
    if row is None:
        return None
    people = []
    for link in row["peopleLinks"]:
        people.append(
            {
                "company": clean([link["company"]])[0],
                "person": clean([link["person"]])[0],
                "edges": clean([link["w1"], link["w2"]]),
                "shared": link["shared"],
            }
        )
    projects_out = []
    for link in row["projectLinks"]:
        projects_out.append(
            {
                "company": clean([link["company"]])[0],
                "project": clean([link["project"]])[0],
                "person": clean([link["person"]])[0],
                "edges": clean(link["edges"]),
            }
        )
    return {
        "nodes": clean(row["nodes"]),
        "edges": clean(row["chainEdges"]),
        "people": people,
        "projects": projects_out,
        "truncated": row["truncated"],
    }


def _clean_paths(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"nodes": clean(p["nodes"]), "edges": clean(p["edges"])} for p in paths]


async def paths(
    db: Database,
    actor: Actor,
    source: str,
    target: str,
    hops: int,
    types: list[str],
    as_of: dt.date,
    *,
    with_data: bool,
) -> dict[str, Any]:
    params = {"from": source, "to": target, "types": types}
    row = await read_map(db, PATH[hops], actor, as_of, params, with_data=with_data)
    assert row is not None  # an aggregate: always one row
    return {
        "fromFound": row["fromFound"],
        "toFound": row["toFound"],
        "paths": _clean_paths(row["paths"]),
    }


class EmployerRow(TypedDict):
    """Two people both work at `company` (valid on asOf): its two WORKS_AT edges."""

    company: dict[str, Any]
    edges: list[dict[str, Any]]


class IntroHopRows(TypedDict):
    """Everything joining two consecutive people of an introduction."""

    ties: list[dict[str, Any]]
    employers: list[EmployerRow]


class IntroChainRows(TypedDict):
    """One chain of people, our staff member first, the target last."""

    people: list[dict[str, Any]]
    hops: list[IntroHopRows]


class WarmIntroRows(TypedDict):
    targetFound: bool
    users: list[str]
    paths: list[IntroChainRows]


async def warm_intro_paths(
    db: Database,
    actor: Actor,
    target: str,
    users: list[str] | None,
    hops: int,
    as_of: dt.date,
    *,
    with_data: bool,
) -> WarmIntroRows:
    params = {"target": target, "staff": users}
    row = await read_map(db, WARM_INTRO[hops], actor, as_of, params, with_data=with_data)
    assert row is not None  # an aggregate: always one row
    return {
        "targetFound": row["targetFound"],
        "users": row["users"],
        "paths": [
            {
                "people": clean(p["people"]),
                "hops": [
                    {
                        "ties": clean(h["ties"]),
                        "employers": [
                            {"company": clean([x["company"]])[0], "edges": clean(x["edges"])}
                            for x in h["employers"]
                        ],
                    }
                    for h in p["hops"]
                ],
            }
            for p in row["paths"]
        ],
    }
