"""The benchmark workloads, in one table: for each, our GraphQL query, the raw Cypher and the
peer's query (@neo4j/graphql).

`raw` (W1-W7) is exactly the Cypher our resolvers send, imported from graph/ (maps.py,
decision.py, related.py, lists.py) with the parameters the resolver passes for that request,
run through the Python driver with no HTTP and no GraphQL. GraphQL/raw therefore isolates our
layer: HTTP, parsing, validation, resolvers, post-processing (scores, layout-free maps,
masking) and serialisation. W7 is two statements (the page and its totalCount), as in the app.
W8's raw statements are the three bare writes (`W8_*` below); our mutations also write an
audit event and take locks in the same transaction, so W8's GraphQL/raw includes that work.

The peer's @cypher fields need one column named `result` and plain arguments, so they hold
the simpler single-column statements `PEER_CYPHER_W*` below (the same questions, the same hop
caps and limits, but not our exact statements). Ours/peer therefore compares whole stacks.

Centres come from `Centres`, sampled once from a seeded generator over the loaded data set, so
every variant runs exactly the same sequence of requests.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, LiteralString

from bench.generate import Dataset
from graph import decision, lists, maps, related
from graph.vocab import DecisionRole, Label, Rel

Vars = dict[str, Any]

AS_OF = "2026-01-01"  # the generator's fixed "today"
AS_OF_DATE = dt.date.fromisoformat(AS_OF)  # what our resolvers pass to the driver

# Map node and edge projections shared by every map statement.
_NODE: LiteralString = (
    "{id: n.id, name: n.name, nameEn: n.nameEn, tier: n.tier, "
    "lifecycleStage: n.lifecycleStage, isCustomer: n:Customer, "
    "kind: CASE WHEN n:Company THEN 'COMPANY' WHEN n:Person THEN 'PERSON' "
    "WHEN n:Project THEN 'PROJECT' ELSE 'USER' END}"
)
_EDGE: LiteralString = (
    "{id: r.id, source: startNode(r).id, target: endNode(r).id, type: type(r), "
    "since: toString(r.since), until: toString(r.until), kind: r.kind, "
    "strength: r.strength, polarity: r.polarity}"
)
_VALID: LiteralString = "(r.since IS NULL OR r.since <= d) AND (r.until IS NULL OR r.until > d)"
_AS_OF: LiteralString = "WITH date(coalesce($asOf, toString(date()))) AS d "

PEER_CYPHER_W1_ACCOUNT_MAP: LiteralString = (
    _AS_OF + "MATCH (c:Company {id: $center}) "
    "OPTIONAL MATCH p = (c)-[*1..2]-() "
    "WHERE all(r IN relationships(p) WHERE " + _VALID + ") "
    "WITH c, p LIMIT $limit "
    "WITH c, collect(p) AS ps "
    "CALL (c, ps) { UNWIND [[c]] + [p IN ps | nodes(p)] AS ns UNWIND ns AS n "
    "  WITH DISTINCT n RETURN collect(" + _NODE + ") AS nodes } "
    "CALL (ps) { UNWIND ps AS p UNWIND relationships(p) AS r "
    "  WITH DISTINCT r RETURN collect(" + _EDGE + ") AS edges } "
    "RETURN {nodes: nodes, edges: edges, truncated: size(ps) >= $limit} AS result"
)

PEER_CYPHER_W2_GROUP_HIERARCHY: LiteralString = (
    _AS_OF + "MATCH (c:Company {id: $company}) "
    "CALL (c) { MATCH (c)-[:SUBSIDIARY_OF*0..4]->(root:Company) "
    "  WHERE NOT (root)-[:SUBSIDIARY_OF]->() RETURN collect(DISTINCT root) AS roots } "
    "UNWIND roots AS root "
    "MATCH p = (root)<-[:SUBSIDIARY_OF*0..4]-(:Company) "
    "WHERE all(r IN relationships(p) WHERE " + _VALID + ") "
    "WITH p LIMIT 2000 "
    "WITH collect(p) AS ps "
    "CALL (ps) { UNWIND ps AS p UNWIND nodes(p) AS n "
    "  WITH DISTINCT n RETURN collect(" + _NODE + ") AS nodes } "
    "CALL (ps) { UNWIND ps AS p UNWIND relationships(p) AS r "
    "  WITH DISTINCT r RETURN collect(" + _EDGE + ") AS edges } "
    "RETURN {nodes: nodes, edges: edges, truncated: size(ps) >= 2000} AS result"
)

PEER_CYPHER_W3_CONTACT_MAP: LiteralString = (
    _AS_OF + "MATCH (c:Company {id: $company}) "
    "MATCH (n:Person)-[w:WORKS_AT]->(c) "
    "WHERE (w.since IS NULL OR w.since <= d) AND (w.until IS NULL OR w.until > d) "
    "WITH c, d, n, w LIMIT $limit "
    "WITH c, d, collect(n) AS people, "
    "  collect({id: n.id, name: n.name, nameEn: n.nameEn, kind: 'PERSON', "
    "    isCustomer: n:Customer, title: w.title, department: w.department}) AS staff "
    "CALL (people, d) { UNWIND people AS a "
    "  MATCH (a)-[r:REPORTS_TO|INFLUENCES]->(b:Person) "
    "  WHERE b IN people AND " + _VALID + " "
    "  RETURN collect(" + _EDGE + ") AS edges } "
    "WITH c AS n, staff, edges, size(people) AS found "
    "RETURN {nodes: [" + _NODE + "] + staff, edges: edges, truncated: found >= $limit} "
    "AS result"
)

PEER_CYPHER_W4_DECISION_TREE: LiteralString = (
    _AS_OF + "MATCH (pr:Project {id: $project}) "
    "MATCH (n:Person)-[pi:PARTICIPATES_IN]->(pr) "
    "WITH d, pr, collect(n) AS parts, "
    "  collect({id: n.id, name: n.name, nameEn: n.nameEn, kind: 'PERSON', "
    "    isCustomer: n:Customer, role: pi.role, stance: pi.stance, hidden: false}) AS pnodes "
    "CALL (d, pr, parts) { UNWIND parts AS p "
    "  MATCH (h:Person)-[r:INFLUENCES]->(p) "
    "  WHERE NOT h IN parts AND (r.projectId IS NULL OR r.projectId = pr.id) AND " + _VALID + " "
    "  WITH DISTINCT h LIMIT 100 RETURN collect(h) AS hidden } "
    "CALL (d, pr, parts, hidden) { UNWIND parts + hidden AS a "
    "  MATCH (a)-[r:INFLUENCES|REPORTS_TO]->(b:Person) "
    "  WHERE (b IN parts OR b IN hidden) AND (r.projectId IS NULL OR r.projectId = pr.id) "
    "    AND " + _VALID + " "
    "  RETURN collect(" + _EDGE + ") AS edges } "
    "CALL (parts) { UNWIND parts AS p MATCH (n:User)-[r:KNOWS]->(p) "
    "  RETURN collect(DISTINCT " + _NODE + ") AS users, collect(" + _EDGE + ") AS knows } "
    "RETURN {nodes: pnodes + [n IN hidden | {id: n.id, name: n.name, nameEn: n.nameEn, "
    "  kind: 'PERSON', isCustomer: n:Customer, hidden: true}] + users, "
    "  edges: edges + knows, truncated: false} AS result"
)

PEER_CYPHER_W5_RELATED_ACCOUNTS: LiteralString = (
    "MATCH (c:Company {id: $company}) "
    "CALL (c) { "
    "  MATCH p = (c)-[:SUBSIDIARY_OF|SUPPLIES|DISTRIBUTES_FOR|PARTNERS_WITH|INVESTS_IN|"
    "INFLUENCES_PURCHASE*1..2]-(o:Company) WHERE o <> c "
    "  WITH o, p LIMIT 5000 "
    "  RETURN o, 1.0 / length(p) AS s, "
    "    CASE WHEN all(r IN relationships(p) WHERE type(r) = 'SUBSIDIARY_OF') THEN 'HIERARCHY' "
    "    WHEN any(r IN relationships(p) WHERE type(r) = 'INFLUENCES_PURCHASE') "
    "    THEN 'DECISION_CHAIN' ELSE 'INDUSTRY_CHAIN' END AS via "
    "  UNION ALL "
    "  MATCH (c)<-[:WORKS_AT]-(:Person)-[:WORKS_AT]->(o:Company) WHERE o <> c "
    "  WITH o LIMIT 5000 "
    "  RETURN o, 0.5 AS s, 'SHARED_PEOPLE' AS via } "
    "WITH o, sum(s) AS score, collect(DISTINCT via) AS via "
    "ORDER BY score DESC, o.id LIMIT $first "
    "RETURN {id: o.id, name: o.name, score: score, via: via} AS result"
)

PEER_CYPHER_W6_WARM_INTRO_PATHS: LiteralString = (
    "MATCH (t:Person {id: $target}) "
    "MATCH p = ANY SHORTEST (t)-[:KNOWS|INFLUENCES|RELATED_TO|REPORTS_TO]-{1,4}(:User) "
    "WITH p ORDER BY length(p) LIMIT $first "
    "WITH reverse(nodes(p)) AS ns, reverse(relationships(p)) AS rs "
    "RETURN {nodes: [n IN ns | " + _NODE + "], edges: [r IN rs | " + _EDGE + "], "
    "  strength: reduce(s = 1.0, r IN rs | s * coalesce(r.strength, 1.0))} AS result"
)

W8_CREATE_PERSON: LiteralString = (
    "MERGE (p:Person {id: $id}) ON CREATE SET p.name = $name, p.version = 1, "
    "p.createdAt = datetime(), p.updatedAt = datetime() RETURN p.id AS result"
)
W8_LINK: LiteralString = (
    "MATCH (p:Person {id: $id}) MATCH (c:Company {id: $company}) "
    "MERGE (p)-[r:WORKS_AT {id: $rel}]->(c) ON CREATE SET r.title = $title, r.since = date(), "
    "r.version = 1, r.createdAt = datetime(), r.updatedAt = datetime() RETURN r.id AS result"
)
W8_UPDATE: LiteralString = (
    "MATCH (p:Person {id: $id}) WHERE p.version = $expectedVersion "
    "SET p.name = $name, p.version = p.version + 1, p.updatedAt = datetime() "
    "RETURN p.version AS result"
)

# --- raw: the statements our resolvers send (graph/) --------------------------------------------

W1_ACCOUNT_MAP_RAW = (maps.ACCOUNT_MAP[2].text,)
W2_GROUP_HIERARCHY_RAW = (maps.GROUP_HIERARCHY.text,)
W3_CONTACT_MAP_RAW = (maps.CONTACT_MAP[(False, True)].text,)  # company only, with influence
W4_DECISION_TREE_RAW = (decision.DECISION_TREE.text,)
W5_RELATED_ACCOUNTS_RAW = (related.RELATED[2].text,)
W6_WARM_INTRO_PATHS_RAW = (related.WARM_INTRO[4].text,)
W7_CUSTOMER_LIST_RAW = (
    lists.page_statement("customer", "none", "NAME_ASC", frozenset({"tier"})).text,
    lists.count_statement("customer", "none", frozenset({"tier"})).text,
)
ALL_COMPANY_TYPES = [r.value for r in maps.COMPANY_RELS]
# relatedAccounts with `via` null: every chain type and all three people links.
RELATED_TYPES = [r.value for r in maps.COMPANY_RELS if r is not Rel.INCUMBENT_AT]


def _list_params(tier: str, first: int) -> Vars:
    filters = {k: None for k in lists.FILTER_KEYS}
    return {
        **filters,
        "tier": tier,
        "includeArchived": False,
        "afterKey": None,
        "afterId": None,
        "limit": first + 1,
    }


# --- our GraphQL (schema.graphql) --------------------------------------------------------------

_MAP_FIELDS = (
    "nodes { id kind name nameEn isCustomer tier lifecycleStage title department companyId "
    "depth role stance hidden } "
    "edges { id source target type since until kind strength polarity } truncated"
)
_PATH_FIELDS = (
    "nodes { id kind name nameEn isCustomer } "
    "edges { id source target type since until kind strength polarity } strength"
)
_ERRORS = "errors { code field message }"

GQL_W1 = (
    "query W1($center: ID!, $asOf: Date) { accountMap(center: $center, depth: 2, limit: 500, "
    "asOf: $asOf, layout: NONE) { " + _MAP_FIELDS + " } }"
)
GQL_W2 = (
    "query W2($company: ID!, $asOf: Date) { groupHierarchy(company: $company, asOf: $asOf, "
    "layout: NONE) { roots map { " + _MAP_FIELDS + " } "
    "rollups { companyId companies customers openProjectAmount } } }"
)
GQL_W3 = (
    "query W3($company: ID!, $asOf: Date) { contactMap(company: $company, "
    "includeInfluence: true, limit: 500, asOf: $asOf, layout: NONE) { " + _MAP_FIELDS + " } }"
)
GQL_W4 = (
    "query W4($project: ID!, $asOf: Date) { decisionTree(project: $project, asOf: $asOf, "
    "layout: NONE) { roots uncoveredRoles riskyOpponents unconnectedDecisionMakers "
    "map { " + _MAP_FIELDS + " } } }"
)
GQL_W5 = (
    "query W5($company: ID!, $asOf: Date) { relatedAccounts(company: $company, maxHops: 2, "
    "first: 20, asOf: $asOf) { score via company { id name } } }"
)
GQL_W6 = (
    "query W6($target: ID!, $asOf: Date) { warmIntroPaths(target: $target, maxHops: 4, "
    "first: 5, asOf: $asOf) { " + _PATH_FIELDS + " } }"
)
GQL_W7 = (
    "query W7($first: Int!, $tier: Tier) { customers(first: $first, filter: {tier: $tier}) { "
    "totalCount edges { cursor node { ... on Company { id name nameEn "
    "customer { tier lifecycleStage customerCode } } "
    "... on Person { id name nameEn customer { tier lifecycleStage customerCode } } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
GQL_W8 = (
    "mutation W8a($input: CreatePersonInput!) { createPerson(input: $input) { "
    "person { id version } " + _ERRORS + " } }",
    "mutation W8b($input: LinkInput!) { linkNodes(input: $input) { "
    "relationship { id } " + _ERRORS + " } }",
    "mutation W8c($input: UpdatePersonInput!) { updatePerson(input: $input) { "
    "person { id version } " + _ERRORS + " } }",
)

PEER_CYPHER: dict[str, str] = {
    "W1": PEER_CYPHER_W1_ACCOUNT_MAP,
    "W2": PEER_CYPHER_W2_GROUP_HIERARCHY,
    "W3": PEER_CYPHER_W3_CONTACT_MAP,
    "W4": PEER_CYPHER_W4_DECISION_TREE,
    "W5": PEER_CYPHER_W5_RELATED_ACCOUNTS,
    "W6": PEER_CYPHER_W6_WARM_INTRO_PATHS,
}

# --- the peer (@neo4j/graphql): @cypher fields over the statements above ------------------------

_PEER_MAP = (
    "nodes { id kind name nameEn isCustomer tier lifecycleStage title department depth "
    "role stance hidden } "
    "edges { id source target type since until kind strength polarity } truncated"
)
PEER_W1 = (
    "query W1($center: ID!, $asOf: String) { accountMap(center: $center, limit: 500, "
    "asOf: $asOf) { " + _PEER_MAP + " } }"
)
PEER_W2 = (
    "query W2($company: ID!, $asOf: String) { groupHierarchy(company: $company, asOf: $asOf) "
    "{ " + _PEER_MAP + " } }"
)
PEER_W3 = (
    "query W3($company: ID!, $asOf: String) { contactMap(company: $company, limit: 500, "
    "asOf: $asOf) { " + _PEER_MAP + " } }"
)
PEER_W4 = (
    "query W4($project: ID!, $asOf: String) { decisionTree(project: $project, asOf: $asOf) "
    "{ " + _PEER_MAP + " } }"
)
PEER_W5 = (
    "query W5($company: ID!) { relatedAccounts(company: $company, first: 20) "
    "{ id name score via } }"
)
PEER_W6 = (
    "query W6($target: ID!) { warmIntroPaths(target: $target, first: 5) { "
    "nodes { id kind name nameEn isCustomer } "
    "edges { id source target type since until kind strength polarity } strength } }"
)
# Generated by the library from the type definitions: filter, sort, limit.
PEER_W7 = (
    "query W7($first: Int!, $tier: String!) { customers(where: {tier: {eq: $tier}}, "
    "sort: [{name: ASC}], limit: $first) { id name nameEn tier lifecycleStage customerCode } }"
)
PEER_W8 = (
    "mutation W8a($id: ID!, $name: String!) { createPeople(input: [{id: $id, name: $name, "
    "version: 1}]) { people { id version } } }",
    "mutation W8b($id: ID!, $company: ID!) { updatePeople(where: {id: {eq: $id}}, "
    "update: {worksAt: [{connect: [{where: {node: {id: {eq: $company}}}}]}]}) "
    "{ people { id } } }",
    "mutation W8c($id: ID!, $expectedVersion: Int!, $nextVersion: Int!, $name: String!) { "
    "updatePeople("
    "where: {id: {eq: $id}, version: {eq: $expectedVersion}}, "
    "update: {name: {set: $name}, version: {set: $nextVersion}}) { people { id version } } }",
)


# --- centres --------------------------------------------------------------------------------


@dataclass
class Centres:
    """Seeded request parameters drawn from the data set, identical for every variant."""

    companies: list[str]
    large_companies: list[str]
    grouped_companies: list[str]
    projects: list[str]
    decision_makers: list[str]
    tiers: list[str]
    w8_companies: list[str]
    seed: int

    @classmethod
    def sample(cls, ds: Dataset, seed: int, n: int = 500) -> Centres:
        rng = random.Random(f"centres:{seed}")
        companies = [c["id"] for c in ds.nodes[Label.COMPANY]]
        in_groups = sorted(
            {r["src"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
            | {r["dst"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
        )
        projects = [p["id"] for p in ds.nodes[Label.PROJECT]]
        makers = sorted(
            {
                r["src"]
                for r in ds.rels[Rel.PARTICIPATES_IN]
                if r["props"]["role"] == DecisionRole.DECISION_MAKER.value
            }
        )
        return cls(
            companies=[rng.choice(companies) for _ in range(n)],
            large_companies=[rng.choice(ds.large_companies) for _ in range(n)],
            grouped_companies=[rng.choice(in_groups) for _ in range(n)],
            projects=[rng.choice(projects) for _ in range(n)],
            decision_makers=[rng.choice(makers) for _ in range(n)],
            tiers=[rng.choice(["CORE", "GENERAL", "PROBLEM"]) for _ in range(n)],
            w8_companies=[rng.choice(companies) for _ in range(n)],
            seed=seed,
        )


def w8_ids(variant: str, i: int, seed: int) -> tuple[str, str]:
    """Fresh person and relationship ids per variant and request, reproducible per seed."""
    rng = random.Random(f"w8:{seed}:{variant}:{i}")
    return (
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    )


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One request of a workload: our query, the raw statement, the peer's query, and the
    variables each needs for request number i."""

    gql: str
    raw: tuple[LiteralString, ...]  # run in sequence, one transaction each, same parameters
    peer: str
    gql_vars: Callable[[Centres, int, str], Vars]
    raw_vars: Callable[[Centres, int, str], Vars]
    peer_vars: Callable[[Centres, int, str], Vars]
    write: bool = False
    # Our mutations create ids on the server: fill this step's variables from the previous
    # step's response `data` (same request).
    gql_chain: Callable[[Vars, dict[str, Any]], Vars] | None = None


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    steps: tuple[Step, ...]
    peer_field: str | None = None  # the @cypher field on the peer, keyed by `key`
    notes: str = ""
    tags: tuple[str, ...] = field(default=())

    @property
    def write(self) -> bool:
        return any(s.write for s in self.steps)


def _same(make: Callable[[Centres, int], Vars]) -> Callable[[Centres, int, str], Vars]:
    return lambda c, i, _variant: make(c, i)


def _read(
    gql: str,
    raw: tuple[LiteralString, ...],
    peer: str,
    make: Callable[[Centres, int], Vars],
    make_raw: Callable[[Centres, int], Vars],
) -> Step:
    return Step(gql, raw, peer, _same(make), _same(make_raw), _same(make))


def _pick(xs: list[str], i: int) -> str:
    return xs[i % len(xs)]


def _w8_create(c: Centres, i: int, v: str) -> Vars:
    pid, _ = w8_ids(v, i, c.seed)
    return {"id": pid, "name": f"压测用户 {i}"}


def _w8_link(c: Centres, i: int, v: str) -> Vars:
    pid, rid = w8_ids(v, i, c.seed)
    return {"id": pid, "rel": rid, "company": _pick(c.w8_companies, i), "title": "工程师"}


def _w8_update(c: Centres, i: int, v: str) -> Vars:
    pid, _ = w8_ids(v, i, c.seed)
    return {"id": pid, "expectedVersion": 1, "name": f"压测用户 {i} (改)"}


def _gql_create(c: Centres, i: int, v: str) -> Vars:
    return {"input": {"name": _w8_create(c, i, v)["name"]}}


def _gql_link(c: Centres, i: int, v: str) -> Vars:
    link = _w8_link(c, i, v)
    return {"input": {"type": "WORKS_AT", "from": None, "to": link["company"], "title": "工程师"}}


def _gql_update(c: Centres, i: int, v: str) -> Vars:
    return {"input": {"id": None, "expectedVersion": None, "name": _w8_update(c, i, v)["name"]}}


def _chain_link(vs: Vars, prev: dict[str, Any]) -> Vars:
    vs["input"]["from"] = prev["createPerson"]["person"]["id"]
    return vs


def _chain_update(vs: Vars, prev: dict[str, Any]) -> Vars:
    person = prev["createPerson"]["person"]
    vs["input"]["id"] = person["id"]
    vs["input"]["expectedVersion"] = person["version"]
    return vs


WORKLOADS: list[Workload] = [
    Workload(
        "W1",
        "account map, 2 hops",
        (
            _read(
                GQL_W1,
                W1_ACCOUNT_MAP_RAW,
                PEER_W1,
                lambda c, i: {"center": _pick(c.companies, i), "asOf": AS_OF, "limit": 500},
                lambda c, i: {
                    "center": _pick(c.companies, i),
                    "types": ALL_COMPANY_TYPES,
                    "limit": 500,
                    "limitPlus": 501,
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="accountMap",
    ),
    Workload(
        "W2",
        "group hierarchy",
        (
            _read(
                GQL_W2,
                W2_GROUP_HIERARCHY_RAW,
                PEER_W2,
                lambda c, i: {"company": _pick(c.grouped_companies, i), "asOf": AS_OF},
                lambda c, i: {
                    "company": _pick(c.grouped_companies, i),
                    "limit": maps.GROUP_MAX_COMPANIES,
                    "limitPlus": maps.GROUP_MAX_COMPANIES + 1,
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="groupHierarchy",
    ),
    Workload(
        "W3",
        "org chart, 200-500 people",
        (
            _read(
                GQL_W3,
                W3_CONTACT_MAP_RAW,
                PEER_W3,
                lambda c, i: {"company": _pick(c.large_companies, i), "asOf": AS_OF, "limit": 500},
                lambda c, i: {
                    "company": _pick(c.large_companies, i),
                    "limit": 500,
                    "limitPlus": 501,
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="contactMap",
    ),
    Workload(
        "W4",
        "decision tree",
        (
            _read(
                GQL_W4,
                W4_DECISION_TREE_RAW,
                PEER_W4,
                lambda c, i: {"project": _pick(c.projects, i), "asOf": AS_OF},
                lambda c, i: {
                    "project": _pick(c.projects, i),
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="decisionTree",
    ),
    Workload(
        "W5",
        "related accounts, 2 hops, first 20",
        (
            _read(
                GQL_W5,
                W5_RELATED_ACCOUNTS_RAW,
                PEER_W5,
                lambda c, i: {"company": _pick(c.companies, i), "asOf": AS_OF, "first": 20},
                lambda c, i: {
                    "company": _pick(c.companies, i),
                    "types": RELATED_TYPES,
                    "people": True,
                    "shared": True,
                    "former": True,
                    "projects": True,
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="relatedAccounts",
    ),
    Workload(
        "W6",
        "warm-intro paths, 4 hops, first 5",
        (
            _read(
                GQL_W6,
                W6_WARM_INTRO_PATHS_RAW,
                PEER_W6,
                lambda c, i: {"target": _pick(c.decision_makers, i), "asOf": AS_OF, "first": 5},
                lambda c, i: {
                    "target": _pick(c.decision_makers, i),
                    "from": None,
                    "asOf": AS_OF_DATE,
                    "withData": False,
                },
            ),
        ),
        peer_field="warmIntroPaths",
    ),
    Workload(
        "W7",
        "customer list page, first 50, filtered by tier",
        (
            _read(
                GQL_W7,
                W7_CUSTOMER_LIST_RAW,
                PEER_W7,
                lambda c, i: {"first": 50, "tier": _pick(c.tiers, i)},
                lambda c, i: _list_params(_pick(c.tiers, i), 50),
            ),
        ),
        notes="ours and raw: page + totalCount (two statements); "
        "peer: the library's generated list query (filter, sort, limit)",
    ),
    Workload(
        "W8",
        "write mix: create a person, link to a company, update with expectedVersion",
        (
            Step(
                GQL_W8[0],
                (W8_CREATE_PERSON,),
                PEER_W8[0],
                _gql_create,
                _w8_create,
                _w8_create,
                write=True,
            ),
            Step(
                GQL_W8[1],
                (W8_LINK,),
                PEER_W8[1],
                _gql_link,
                _w8_link,
                lambda c, i, v: {k: _w8_link(c, i, v)[k] for k in ("id", "company")},
                write=True,
                gql_chain=_chain_link,
            ),
            Step(
                GQL_W8[2],
                (W8_UPDATE,),
                PEER_W8[2],
                _gql_update,
                _w8_update,
                # Without APOC the peer cannot increment; it sets expectedVersion + 1.
                lambda c, i, v: {**_w8_update(c, i, v), "nextVersion": 2},
                write=True,
                gql_chain=_chain_update,
            ),
        ),
        notes="one request = three mutations in sequence; latency is their sum. "
        "raw: three bare writes; ours also writes audit events and takes locks",
    ),
]

BY_KEY = {w.key: w for w in WORKLOADS}


def peer_cypher() -> dict[str, str]:
    """The statements the peer's @cypher fields hold, by workload key."""
    return {w.key: PEER_CYPHER[w.key] for w in WORKLOADS if w.peer_field}
