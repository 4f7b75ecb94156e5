"""Cypher for the relationship maps: accountMap, groupHierarchy, contactMap (R1, R2, R4).

Each map is ONE statement. Variable-length hop counts cannot be parameters in Cypher, so the
statements are prebuilt per hop cap at import time from the closed vocabulary (graph/vocab.py);
the caller's edge kinds arrive as `$types` and filter `type(r) IN $types` against a fixed type
union in the pattern. Every variable-length pattern has a hop cap and a LIMIT. Relationships
count only when valid on `$asOf` (MODEL.md: since <= D < until). Temporals leave as ISO
strings, and the per-node and per-edge `data` maps are built only under `$withData`.

Visibility (graph/access.py, docs/ACCESS.md): every statement takes `$acl`. An invisible node
is left out together with its edges, and no expansion passes through one: the path predicate
`all(x IN nodes(wp) WHERE visible)` is inlined into the planner's pruning BFS expand, so it is
checked once per node reached, and a visible company behind an invisible one is not reached.
An archived company is a wall in the same way (but for the centre, asked for by id), so a map
never holds pieces that only an archived company joined. An invisible centre is reported as
not found. `truncated`, `moreBeyondDepth` and rollups count visible nodes only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, LiteralString, TypedDict

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database, Row
from graph.export import jsonable
from graph.vocab import DECISION_CHAIN, HIERARCHY, INDUSTRY_CHAIN, Rel

MAX_DEPTH = 4
MAX_LIMIT = 2000
GROUP_MAX_LEVELS = 8
GROUP_MAX_COMPANIES = 2000
CONTACT_MAX_SUBSIDIARY_LEVELS = 4
# How far up the reporting lines contactMap looks to rank people when its limit cuts.
CONTACT_RANK_LEVELS = 8

COMPANY_RELS = (*HIERARCHY, *INDUSTRY_CHAIN, *DECISION_CHAIN, Rel.INCUMBENT_AT)
COMPANY_UNION = "|".join(r.value for r in COMPANY_RELS)


def valid(r: LiteralString) -> LiteralString:
    """Cypher predicate: relationship variable `r` is valid on $asOf."""
    return f"({r}.since IS NULL OR {r}.since <= $asOf) AND ({r}.until IS NULL OR {r}.until > $asOf)"


def through_visible(
    path: LiteralString,
    start: LiteralString,
    x: LiteralString = "x",
    label: LiteralString = "Company",
) -> LiteralString:
    """Cypher predicate: every node of path variable `path` is visible to `$acl` and not
    archived, but for its `start` (a centre asked for by id). Written as a path predicate, the
    planner checks it inside the (pruning) variable-length expand, so a traversal never
    continues through a node the viewer may not see, nor through an archived one: a map
    around it is drawn as without it, not as pieces it no longer joins."""
    return (
        f"all({x} IN nodes({path}) WHERE {x} = {start} OR ({x}.archivedAt IS NULL "
        f"AND {access.visible_as(x, label)}))"
    )


# Temporal values leave Neo4j as ISO strings: the driver's Python temporal types cost more than
# half of a big map's request time to build (bench/results/profile-*.txt), only to be
# formatted back into strings for JSON.
TEMPORAL_TYPES: LiteralString = "DATE | ZONED DATETIME | LOCAL DATETIME | ZONED TIME | LOCAL TIME"


def props(x: LiteralString) -> LiteralString:
    """All stored properties of `x` as [key, value] pairs with temporals as strings, or null
    unless `$withData`: the `data` field is the one part of a map that is costly to build."""
    return (
        f"CASE WHEN $withData THEN [k IN keys({x}) | [k, CASE WHEN {x}[k] IS :: "
        f"{TEMPORAL_TYPES} THEN toString({x}[k]) ELSE {x}[k] END]] END"
    )


def edge(r: LiteralString, extra: LiteralString = "") -> LiteralString:
    """Map projection of a relationship for MapEdge; `extra` adds `key: expr` entries.
    `projectId` is kept for the decision tree's scoping even when `data` is not asked for."""
    return (
        f"{{id: {r}.id, source: startNode({r}).id, target: endNode({r}).id, type: type({r}), "
        f"since: toString({r}.since), until: toString({r}.until), kind: {r}.kind, "
        f"strength: {r}.strength, polarity: {r}.polarity, projectId: {r}.projectId, "
        f"data: {props(r)}{extra}}}"
    )


def node(n: LiteralString, extra: LiteralString = "") -> LiteralString:
    """Map projection of any node for MapNode (never personal data such as mobile, idNumber);
    `extra` adds `key: expr` entries."""
    return (
        f"{{id: {n}.id, kind: CASE WHEN {n}:Company THEN 'COMPANY' WHEN {n}:Person THEN 'PERSON' "
        f"WHEN {n}:Project THEN 'PROJECT' ELSE 'USER' END, name: coalesce({n}.name, {n}.id), "
        f"nameEn: {n}.nameEn, isCustomer: {n}:Customer, tier: {n}.tier, "
        f"lifecycleStage: {n}.lifecycleStage, hidden: false, "
        f"data: CASE WHEN $withData THEN {n}{{.industry, .scale, .shortName, .customerCode, "
        f".customerKind, .classification, .stage, .status, .amount, .currency, "
        f"expectedClose: toString({n}.expectedClose), .occupation, .hasPurchasingPower, "
        f".team}} END{extra}}}"
    )


def job(w: LiteralString, company_id: LiteralString) -> LiteralString:
    """`node()` extras for a person's job: title and department of WORKS_AT `w` (or of any map
    with those keys) and the employer's id. Shaped here, so no caller reshapes people."""
    return f", title: {w}.title, department: {w}.department, companyId: {company_id}"


def placed(n: LiteralString) -> LiteralString:
    """`node(n)` with the job for a person met on a path rather than through an employer:
    title, department and employer id of their job valid on $asOf at a company the viewer
    sees (the latest begun), as `job()` shapes them; nulls for anyone else. The viewer needs
    the employer to offer a person's org chart (tester AQ: paths had none)."""
    found: LiteralString = (
        "head(COLLECT { MATCH (" + n + ")-[ej:WORKS_AT]->(ec:Company) WHERE " + valid("ej")
        + " AND ec.archivedAt IS NULL AND " + access.visible_as("ec", "Company") + " "
        "WITH ej, ec ORDER BY ej.since DESC, ec.id "
        "RETURN {title: ej.title, department: ej.department, companyId: ec.id} })"
    )  # fmt: skip
    return "head([jx IN [" + found + "] | " + node(n, job("jx", "jx.companyId")) + "])"


ACCOUNT_MAP: dict[int, Cypher] = {}
for _d in range(1, MAX_DEPTH + 1):
    ACCOUNT_MAP[_d] = Cypher(
        f"maps.account_map.d{_d}",
        f"MATCH (c:Company {{id: $center}}) WHERE {access.visible_as('c', 'Company')} "
        "CALL (c) { "
        f"  MATCH wp = (c)-[rs:{COMPANY_UNION}*1..{_d}]-(o:Company) "
        f"  WHERE all(r IN rs WHERE type(r) IN $types AND {valid('r')}) AND o <> c "
        f"    AND {through_visible('wp', 'c')} "
        "  WITH DISTINCT o LIMIT $limitPlus "
        "  RETURN collect(o) AS found "
        "} "
        "WITH c, found, size(found) > $limit AS truncated "
        "WITH [c] + found[..$limit] AS ns, truncated "
        "CALL (ns) { "
        "  UNWIND ns AS a "
        f"  MATCH (a)-[r:{COMPANY_UNION}]->(b:Company) "
        f"  WHERE type(r) IN $types AND {valid('r')} AND b IN ns "
        f"  RETURN collect({edge('r')}) AS edges "
        "} "
        # Depth: when the size cap did not bite, every company within the depth is in ns, so
        # any valid edge leaving ns reaches a company past the depth. Reported apart from
        # `truncated`: a small map with more beyond is complete for the depth asked.
        "CALL (ns, truncated) { "
        "  UNWIND CASE WHEN truncated THEN [] ELSE ns END AS a "
        "  WITH a WHERE EXISTS { "
        f"    MATCH (a)-[r:{COMPANY_UNION}]-(b:Company) "
        f"    WHERE type(r) IN $types AND {valid('r')} AND b.archivedAt IS NULL "
        f"      AND NOT b IN ns AND {access.visible_as('b', 'Company')} }} "
        "  WITH a LIMIT 1 "
        "  RETURN count(a) > 0 AS beyond "
        "} "
        f"RETURN [n IN ns | {node('n')}] AS nodes, edges, truncated, beyond",
    )


# The roots of the group around company `c`: its ultimate parents within GROUP_MAX_LEVELS
# (a top whose only parents are invisible is a root of the group the viewer sees), or, with
# none that near (`deep`), the companies exactly GROUP_MAX_LEVELS above it, so the map still
# shows as much of the group above as its levels allow. Binds `c`, `roots` and `deep`.
GROUP_ROOTS: LiteralString = (
    "CALL (c) { "
    f"  MATCH wp = (c)-[ups:SUBSIDIARY_OF*0..{GROUP_MAX_LEVELS}]->(top:Company) "
    f"  WHERE all(r IN ups WHERE {valid('r')}) AND {through_visible('wp', 'c')} "
    f"    AND NOT EXISTS {{ MATCH (top)-[p:SUBSIDIARY_OF]->(up:Company) WHERE {valid('p')} "
    f"      AND up.archivedAt IS NULL AND {access.visible_as('up', 'Company')} }} "
    "  WITH DISTINCT top ORDER BY top.name, top.id LIMIT 20 "
    "  RETURN collect(top) AS tops "
    "} "
    "CALL (c, tops) { "
    "  WITH c WHERE size(tops) = 0 "
    f"  MATCH wp = (c)-[ups:SUBSIDIARY_OF*{GROUP_MAX_LEVELS}]->(far:Company) "
    f"  WHERE all(r IN ups WHERE {valid('r')}) AND {through_visible('wp', 'c')} "
    "  WITH DISTINCT far ORDER BY far.name, far.id LIMIT 20 "
    "  RETURN collect(far) AS fars "
    "} "
    "WITH c, CASE WHEN size(tops) > 0 THEN tops WHEN size(fars) > 0 THEN fars ELSE [c] END "
    "  AS roots, size(tops) = 0 AS deep "
)

GROUP_HIERARCHY = Cypher(
    "maps.group_hierarchy",
    f"MATCH (c:Company {{id: $company}}) WHERE {access.visible_as('c', 'Company')} "
    + GROUP_ROOTS
    + "CALL (c, roots) { "
    "  UNWIND roots AS root "
    f"  MATCH wp = (root)<-[downs:SUBSIDIARY_OF*0..{GROUP_MAX_LEVELS}]-(m:Company) "
    f"  WHERE all(r IN downs WHERE {valid('r')}) AND {through_visible('wp', 'c')} "
    "  WITH DISTINCT m LIMIT $limitPlus "
    "  RETURN collect(m) AS found "
    "} "
    "WITH c, roots, deep, found[..$limit] AS ms, size(found) > $limit AS truncated "
    "CALL (ms) { "
    "  UNWIND ms AS a "
    "  MATCH (a)-[r:SUBSIDIARY_OF]->(b:Company) "
    f"  WHERE {valid('r')} AND b IN ms "
    f"  RETURN collect({edge('r')}) AS edges "
    "} "
    "CALL (ms) { "
    "  UNWIND ms AS m "
    # A visible company's projects may still be invisible (a public, non-customer company).
    "  OPTIONAL MATCH (p:Project)-[:FOR]->(m) "
    # No status counts as OPEN, as in the pipeline and forecasts (graph/pipeline.py).
    "  WHERE coalesce(p.status, 'OPEN') = 'OPEN' AND p.archivedAt IS NULL "
    f"    AND {access.visible_as('p', 'Project')} "
    "  WITH m, sum(coalesce(p.amount, 0.0)) AS amount "
    f"  RETURN collect({node('m', ', openProjectAmount: amount')}) AS nodes "
    "} "
    # Levels: no ultimate parent within reach above, or a member with a subsidiary left out
    # (it lies past the levels below; when the size cap did not bite, nothing else can).
    "CALL (ms, truncated) { "
    "  UNWIND CASE WHEN truncated THEN [] ELSE ms END AS a "
    "  WITH a WHERE EXISTS { "
    "    MATCH (a)<-[r:SUBSIDIARY_OF]-(b:Company) "
    f"    WHERE {valid('r')} AND b.archivedAt IS NULL AND NOT b IN ms "
    f"      AND {access.visible_as('b', 'Company')} }} "
    "  WITH a LIMIT 1 "
    "  RETURN count(a) > 0 AS below "
    "} "
    # An archived centre, answered by id (the only archived company a group map holds).
    "RETURN nodes, edges, [r IN roots | r.id] AS roots, truncated, deep OR below AS deep, "
    "CASE WHEN c.archivedAt IS NULL THEN null ELSE c.id END AS archivedCentre",
)


def _contact_map(subsidiaries: bool, influence: bool) -> Cypher:
    if subsidiaries:
        companies = (
            f"MATCH wp = (c)<-[rs:SUBSIDIARY_OF*0..{CONTACT_MAX_SUBSIDIARY_LEVELS}]-(co:Company) "
            f"WHERE all(r IN rs WHERE {valid('r')}) AND {through_visible('wp', 'c')} "
            f"WITH DISTINCT co LIMIT {GROUP_MAX_COMPANIES} "
        )
    else:
        companies = "WITH c AS co "
    person_rels = "REPORTS_TO|INFLUENCES|RELATED_TO" if influence else "REPORTS_TO"
    return Cypher(
        f"maps.contact_map.{'group' if subsidiaries else 'company'}."
        f"{'influence' if influence else 'reporting'}",
        f"MATCH (c:Company {{id: $company}}) WHERE {access.visible_as('c', 'Company')} "
        "CALL (c) { "
        f"  {companies}"
        "  RETURN collect(co) AS cos "
        "} "
        "CALL (cos) { "
        "  UNWIND cos AS co "
        "  MATCH (p:Person)-[w:WORKS_AT]->(co) "
        # A person who is a customer of their own follows their own account, not the employer.
        f"  WHERE {valid('w')} AND p.archivedAt IS NULL AND {access.visible_as('p', 'Person')} "
        # People by name within a company, by id for an anonymised viewer (access.name_order).
        f"  WITH p, w, co ORDER BY co.name, {access.name_order('p')}, p.id LIMIT $limitPlus "
        "  RETURN collect({p: p, w: w, co: co}) AS found "
        "} "
        # Only when the limit cuts: keep the top of the chart, people with the fewest reporting
        # lines above them, so a small limit never drops the head for a name late in order.
        "CALL (cos, found) { "
        "  UNWIND CASE WHEN size(found) > $limit THEN cos ELSE [] END AS co "
        "  MATCH (p:Person)-[w:WORKS_AT]->(co) "
        f"  WHERE {valid('w')} AND p.archivedAt IS NULL AND {access.visible_as('p', 'Person')} "
        "  WITH p, w, co, COUNT { "
        f"    MATCH up = (p)-[rs:REPORTS_TO*1..{CONTACT_RANK_LEVELS}]->(:Person) "
        f"    WHERE all(r IN rs WHERE {valid('r')}) "
        f"      AND {through_visible('up', 'p', label='Person')} "
        "  } AS above "
        f"  ORDER BY above, co.name, {access.name_order('p')}, p.id LIMIT $limit "
        "  RETURN collect({p: p, w: w, co: co}) AS ranked "
        "} "
        "WITH cos, CASE WHEN size(found) > $limit THEN ranked ELSE found END AS rows, "
        "  size(found) > $limit AS truncated "
        "WITH cos, rows, [x IN rows | x.p] AS ps, truncated "
        "CALL (ps) { "
        # A person working at two companies of the group is in `ps` twice: edges once.
        "  UNWIND ps AS a WITH DISTINCT a "
        f"  MATCH (a)-[r:{person_rels}]->(b:Person) "
        f"  WHERE {valid('r')} AND b IN ps "
        f"  RETURN collect({edge('r')}) AS personEdges "
        "} "
        "CALL (cos) { "
        "  UNWIND cos AS a "
        "  MATCH (a)-[r:SUBSIDIARY_OF]->(b:Company) "
        f"  WHERE {valid('r')} AND b IN cos "
        f"  RETURN collect({edge('r')}) AS companyEdges "
        "} "
        "CALL (rows) { "
        "  UNWIND rows AS x "
        "  WITH x.p AS p, x.w AS w, x.co AS co "
        f"  RETURN collect({{person: {node('p', job('w', 'co.id'))}, works: {edge('w')}, "
        "    roles: COLLECT { MATCH (p)-[pi:PARTICIPATES_IN]->(pr:Project) "
        f"      WHERE {valid('pi')} AND pr.archivedAt IS NULL "
        f"        AND {access.visible_as('pr', 'Project')} "
        "      RETURN {projectId: pr.id, project: pr.name, role: pi.role, stance: pi.stance} "
        "      ORDER BY pr.name LIMIT 20 }}) AS people "
        "} "
        f"RETURN [co IN cos | {node('co')}] AS companies, people, "
        "  personEdges, companyEdges, truncated",
    )


CONTACT_MAP = {(s, i): _contact_map(s, i) for s in (False, True) for i in (False, True)}


class MapRows(TypedDict):
    """A map as its query returns it. `truncated`: a size cap cut it; `beyond`: the graph
    goes on past the depth or levels asked (accountMap, groupHierarchy), nothing was cut."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool
    beyond: bool


class GroupRows(MapRows):
    roots: list[str]
    archivedCentre: str | None


def clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`data` as a dict without nulls (edges send it as [key, value] pairs), in place."""
    for row in rows:
        data = row.get("data")
        if data is not None:
            pairs = data.items() if isinstance(data, dict) else data
            row["data"] = jsonable({k: v for k, v in pairs if v is not None})
    return rows


async def read_map(
    db: Database,
    q: Cypher,
    actor: Actor,
    as_of: dt.date,
    params: dict[str, Any],
    *,
    with_data: bool,
    limit: int | None = None,
) -> Row | None:
    """The one row of traversal `q` over the graph as `actor` sees it on `as_of`, or None when
    there is none (a missing or hidden centre). `params` are the statement's own; a `limit` is
    sent with the one more row that tells a truncated answer from a full one."""
    shared: dict[str, Any] = {"acl": access.acl_params(actor), "asOf": as_of, "withData": with_data}
    if limit is not None:
        shared |= {"limit": limit, "limitPlus": limit + 1}
    rows = await db.read(q, {**params, **shared})
    return rows[0] if rows else None


def _map_rows(row: Row, *, beyond: bool) -> MapRows:
    return {
        "nodes": clean(row["nodes"]),
        "edges": clean(row["edges"]),
        "truncated": row["truncated"],
        "beyond": beyond,
    }


async def account_map(
    db: Database,
    actor: Actor,
    center: str,
    depth: int,
    types: list[str],
    limit: int,
    as_of: dt.date,
    *,
    with_data: bool,
) -> MapRows | None:
    params = {"center": center, "types": types}
    row = await read_map(
        db, ACCOUNT_MAP[depth], actor, as_of, params, with_data=with_data, limit=limit
    )
    return None if row is None else _map_rows(row, beyond=row["beyond"])


async def group_hierarchy(
    db: Database, actor: Actor, company: str, as_of: dt.date, *, with_data: bool
) -> GroupRows | None:
    q, params = GROUP_HIERARCHY, {"company": company}
    row = await read_map(
        db, q, actor, as_of, params, with_data=with_data, limit=GROUP_MAX_COMPANIES
    )
    if row is None:
        return None
    return {
        **_map_rows(row, beyond=row["deep"]),
        "roots": row["roots"],
        "archivedCentre": row["archivedCentre"],
    }


async def contact_map(
    db: Database,
    actor: Actor,
    company: str,
    subsidiaries: bool,
    influence: bool,
    limit: int,
    as_of: dt.date,
    *,
    with_data: bool,
) -> dict[str, Any] | None:
    q, params = CONTACT_MAP[(subsidiaries, influence)], {"company": company}
    row = await read_map(db, q, actor, as_of, params, with_data=with_data, limit=limit)
    if row is None:
        return None
    return {
        "companies": clean(row["companies"]),
        "people": [
            {
                "person": clean([p["person"]])[0],
                "works": clean([p["works"]])[0],
                "roles": p["roles"],
            }
            for p in row["people"]
        ],
        "edges": clean(row["companyEdges"]) + clean(row["personEdges"]),
        "truncated": row["truncated"],
    }
