"""The benchmark workloads, in one table: for each, our GraphQL query, the raw Cypher and the
peer's query (@neo4j/graphql).

`raw` (W1-W7, W9) is exactly the Cypher our resolvers send, imported from graph/ (maps.py,
decision.py, related.py, lists.py, nodes.py, relations.py) with the parameters the resolver
passes for that request, run through the Python driver with no HTTP and no GraphQL.
GraphQL/raw therefore isolates our layer: HTTP, parsing, validation, resolvers,
post-processing (scores, layout-free maps, masking) and serialisation. W7 is one statement
(the page and its totalCount), as in the app. W9's raw is the six statements our DataLoaders
send for a three-level company tree, each with the ids the level before returned
(`_w9_chain`). W8's raw statements are the three bare writes (`W8_*` below); our mutations
also write an audit event and take locks in the same transaction, so W8's GraphQL/raw
includes that work.

The peer (@neo4j/graphql) runs literally the same statements for W1-W6: each @cypher field
holds the raw statement, taken from the import below at run time, wrapped only as the library
needs (`peer_statement`: `CALL () { <ours> } RETURN {<each column>} AS result`, the columns
read from the statement's final RETURN). The peer gets the raw parameters as GraphQL
variables; its `Date` scalar turns `asOf` into a Neo4j Date, and Int arguments reach Cypher
as integers. bench/run.py checks before measuring that raw and peer return the same node
and relationship ids (W9 too). Ours/peer therefore isolates the GraphQL layer on W1-W6.
W7, W8 and W9 use the library's generated queries and mutations.

Centres come from `Centres`, sampled once from a seeded generator over the loaded data set, so
every variant runs exactly the same sequence of requests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, LiteralString

from bench.generate import Dataset
from graph import decision, lists, maps, nodes, pages, records, related, relations
from graph.vocab import DecisionRole, Label, Rel
from resolvers.relations import TREE_MAX_COMPANIES

Vars = dict[str, Any]

AS_OF = "2026-01-01"  # the generator's fixed "today"
AS_OF_DATE = dt.date.fromisoformat(AS_OF)  # what our resolvers pass to the driver

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
# `.edit_all`: the text graph/db.py sends the benchmark's ADMIN (`Cypher.for_params`), without
# the visibility subqueries that are true for that viewer anyway. Raw and the peer run what the
# app runs; the full text (`.text`) is what a SALES viewer is sent.

W1_ACCOUNT_MAP_RAW = (maps.ACCOUNT_MAP[2].edit_all,)
W2_GROUP_HIERARCHY_RAW = (maps.GROUP_HIERARCHY.edit_all,)
W3_CONTACT_MAP_RAW = (maps.CONTACT_MAP[(False, True)].edit_all,)  # company only, with influence
W4_DECISION_TREE_RAW = (decision.DECISION_TREE.edit_all,)
W5_RELATED_ACCOUNTS_RAW = (related.RELATED[2].edit_all,)
W6_WARM_INTRO_PATHS_RAW = (related.WARM_INTRO[4].edit_all,)
# W7's selection reads only fields of the summary projection, so the resolver sends that one.
W7_CUSTOMER_LIST_RAW = (
    lists.counted_page_statement(
        "customer", "none", "NAME_ASC", frozenset({"tier"}), "summary"
    ).edit_all,
)
W10_TIMELINE_RAW = (records.TIMELINE[True][0].edit_all,)
W11_FIGURES_RAW = (
    lists.page_statement("customer", "none", "NAME_ASC", frozenset({"tier"})).edit_all,
    records.FIGURES.edit_all,
)


# --- the peer's @cypher statements: our raw statements, wrapped ---------------------------------

_CLAUSE_END = re.compile(r"\b(ORDER\s+BY|SKIP|LIMIT|UNION)\b", re.IGNORECASE)


def _top_level(text: str) -> list[tuple[int, str]]:
    """(offset, character) of every character outside brackets, braces, parentheses and
    string literals: where a statement's own clauses are."""
    out: list[tuple[int, str]] = []
    depth, quote, i = 0, "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            out.append((i, ch))
        i += 1
    return out


def return_columns(text: str) -> list[str]:
    """The column names of a statement's final top-level RETURN, in order."""
    top = _top_level(text)
    # Blank out everything nested, keeping offsets, so keyword searches see only this level.
    masked = [" "] * len(text)
    for i, ch in top:
        masked[i] = ch
    level = "".join(masked)
    found = list(re.finditer(r"\bRETURN\b(\s+DISTINCT\b)?", level, re.IGNORECASE))
    if not found:
        raise ValueError("no top-level RETURN")
    start = found[-1].end()
    stop = _CLAUSE_END.search(level, start)
    end = stop.start() if stop else len(text)
    cols: list[str] = []
    item_start = start
    for i in [i for i, ch in top if start <= i < end and ch == ","] + [end]:
        item, item_level = text[item_start:i].strip(), level[item_start:i].strip()
        alias = re.search(r"\bAS\s+(\w+)\s*$", item_level, re.IGNORECASE)
        name = alias.group(1) if alias else item
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f"RETURN item without a name: {item!r}")
        cols.append(name)
        item_start = i + 1
    return cols


# The admin's `$acl` (graph/access.py), as literals: the peer's @cypher arguments are scalars,
# and the raw variant sends the same values as a map parameter.
_ADMIN_ACL_LITERALS = {
    "me": "'bench-admin'",
    "all": "true",
    "users": "[]",
    "principals": "[]",
    "editAll": "true",
    "editUsers": "[]",
    "editPrincipals": "[]",
    "editMe": "'bench-admin'",
    "publicCompanies": "true",
    "named": "true",
}


def peer_statement(text: str) -> str:
    """Our statement as one @cypher field: @neo4j/graphql reads a single column (`result`), so
    the statement runs in a unit subquery and its columns become one map. The visibility
    predicate's `$acl.x` become the admin's values, written as literals."""
    cols = ", ".join(f"{c}: {c}" for c in return_columns(text))
    text = re.sub(r"\$acl\.(\w+)", lambda m: _ADMIN_ACL_LITERALS[m.group(1)], text)
    return "CALL () { " + text + " } RETURN {" + cols + "} AS result"


# W9, `company { contacts subsidiaries { contacts subsidiaries { contacts } } }`: the
# company by id and, beside it, the group's tree to two levels with contacts (the app sends
# both at once; raw sends them one after the other). See _w9_chain and _w9_view.
W9_CONTACTS_FIRST = 20
W9_SUBSIDIARIES_FIRST = 20  # both sides ask it; the cost model prices the nesting by it
W9_DEPTH = 2
W9_COMPANY_TREE_RAW = (
    nodes.STATEMENTS[Label.COMPANY]["by_ids"].edit_all,
    # W9 selects only summary fields: the app projects both lists as summaries.
    relations.TREE[(W9_DEPTH, "summary", "summary")].edit_all,
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
        **pages.text_params({}, "afterKey", "afterId"),
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

# --- the peer (@neo4j/graphql): @cypher fields holding our raw statements ---------------------

# Every column our statements return, every key of their maps except `data` (a map of
# arbitrary keys, which our GraphQL queries do not select either). `%N` stands for a map
# node's fields, `%E` for a map edge's.
_PEER_NODE = "id kind name nameEn isCustomer tier lifecycleStage hidden"
_PEER_EDGE = "id source target type since until kind strength polarity"


def _peer(query: str) -> str:
    return query.replace("%N", "{ " + _PEER_NODE + " }").replace("%E", "{ " + _PEER_EDGE + " }")


PEER_W1 = _peer(
    "query W1($center: ID!, $types: [String!]!, $limit: Int!, $limitPlus: Int!, $asOf: Date, "
    "$withData: Boolean!) { accountMap(center: $center, types: $types, limit: $limit, "
    "limitPlus: $limitPlus, asOf: $asOf, withData: $withData) "
    "{ nodes %N edges %E truncated } }"
)
PEER_W2 = _peer(
    "query W2($company: ID!, $limit: Int!, $limitPlus: Int!, $asOf: Date, $withData: Boolean!) "
    "{ groupHierarchy(company: $company, limit: $limit, limitPlus: $limitPlus, asOf: $asOf, "
    "withData: $withData) "
    "{ nodes { " + _PEER_NODE + " openProjectAmount } edges %E roots truncated } }"
)
PEER_W3 = _peer(
    "query W3($company: ID!, $limit: Int!, $limitPlus: Int!, $asOf: Date, $withData: Boolean!) "
    "{ contactMap(company: $company, limit: $limit, limitPlus: $limitPlus, asOf: $asOf, "
    "withData: $withData) "
    "{ companies %N people { person %N works %E roles { projectId project role stance } } "
    "personEdges %E companyEdges %E truncated } }"
)
PEER_W4 = _peer(
    "query W4($project: ID!, $asOf: Date, $withData: Boolean!) { decisionTree(project: $project, "
    "asOf: $asOf, withData: $withData) "
    "{ project parts { id role stance concerns } hidden "
    "people { " + _PEER_NODE + " job { title department companyId } } edges %E "
    "known { user person strength } history { personId from to at by } } }"
)
PEER_W5 = _peer(
    "query W5($company: ID!, $types: [String!]!, $people: Boolean!, $shared: Boolean!, "
    "$former: Boolean!, $projects: Boolean!, $asOf: Date, $withData: Boolean!) { "
    "relatedAccounts(company: $company, "
    "types: $types, people: $people, shared: $shared, former: $former, projects: $projects, "
    "asOf: $asOf, withData: $withData) { nodes %N chainEdges %E peopleLinks { company %N "
    "person %N w1 %E w2 %E shared } projectLinks { company %N project %N person %N edges %E } "
    "truncated } }"
)
PEER_W6 = _peer(
    "query W6($target: ID!, $staff: [ID!], $asOf: Date, $withData: Boolean!) { "
    "warmIntroPaths(target: $target, staff: $staff, asOf: $asOf, withData: $withData) "
    "{ targetFound users paths { people %N hops { ties %E "
    "employers { company %N edges %E } } } } }"
)
# W9 over @relationship fields: current edges only (since/until against today, as our
# relations statements do with date()), sorted and limited like ours.
_PEER_CURRENT = (
    "where: {edge: {AND: [{OR: [{since: {eq: null}}, {since: {lte: $today}}]}, "
    "{OR: [{until: {eq: null}}, {until: {gt: $today}}]}]}, node: {archivedAt: {eq: null}}}"
)
_PEER_CONTACTS = (
    "employeesConnection(first: $first, sort: [{node: {name: ASC}}, {node: {id: ASC}}], "
    + _PEER_CURRENT
    + ") { edges { node { id name nameEn } } }"
)


def _peer_subsidiaries(inner: str) -> str:
    return (
        "subsidiariesConnection(first: $subs, sort: [{node: {name: ASC}}, {node: {id: ASC}}], "
        + _PEER_CURRENT
        + ") { edges { node { "
        + inner
        + " } } }"
    )


_PEER_W9_LEVEL2 = (
    "id name " + _PEER_CONTACTS + " " + _peer_subsidiaries("id name " + _PEER_CONTACTS)
)
PEER_W9 = (
    "query W9($id: ID!, $first: Int!, $subs: Int!, $today: Date!) { "
    "companies(where: {id: {eq: $id}}) { "
    "id name " + _PEER_CONTACTS + " " + _peer_subsidiaries(_PEER_W9_LEVEL2) + " } }"
)
_CONTACT = "{ id name nameEn }"
GQL_W9 = (
    "query W9($id: ID!, $first: Int!, $subs: Int!) { company(id: $id) { id name "
    "contacts(first: $first) " + _CONTACT + " subsidiaries(first: $subs) { id name "
    "contacts(first: $first) " + _CONTACT + " subsidiaries(first: $subs) { id name "
    "contacts(first: $first) " + _CONTACT + " } } } }"
)

# Generated by the library from the type definitions: filter, sort, limit.
PEER_W7 = (
    "query W7($first: Int!, $tier: String!) { customersConnection(where: {tier: {eq: $tier}}, "
    "sort: [{name: ASC}, {id: ASC}], first: $first) { totalCount edges { cursor node { "
    "id name nameEn tier lifecycleStage customerCode } } pageInfo { hasNextPage endCursor } } }"
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
    group_roots: list[str] = field(default_factory=list)  # tops of company groups (W9)

    def lists(self) -> dict[str, list[str]]:
        """The id lists requests are drawn from, by name."""
        return {
            "companies": self.companies,
            "large_companies": self.large_companies,
            "grouped_companies": self.grouped_companies,
            "projects": self.projects,
            "decision_makers": self.decision_makers,
        }

    def only(self, visible: set[str]) -> Centres:
        """The same centres, in the same order, less those not in `visible` (a viewer's)."""

        def keep(xs: list[str]) -> list[str]:
            return [x for x in xs if x in visible]

        return dataclasses.replace(
            self,
            companies=keep(self.companies),
            large_companies=keep(self.large_companies),
            grouped_companies=keep(self.grouped_companies),
            projects=keep(self.projects),
            decision_makers=keep(self.decision_makers),
        )

    @classmethod
    def sample(cls, ds: Dataset, seed: int, n: int = 500) -> Centres:
        rng = random.Random(f"centres:{seed}")
        companies = [c["id"] for c in ds.nodes[Label.COMPANY]]
        in_groups = sorted(
            {r["src"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
            | {r["dst"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
        )
        roots = sorted(
            {r["dst"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
            - {r["src"] for r in ds.rels[Rel.SUBSIDIARY_OF]}
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
            # Drawn last, so the other centres stay what they were for a seed.
            group_roots=[rng.choice(roots) for _ in range(n)],
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
    # Parameters of raw statement k from raw_vars and the rows of statements 0..k-1, or None
    # to skip it (as the app sends nothing for an empty batch). Without it, all share raw_vars.
    raw_chain: Callable[[int, Vars, list[list[dict[str, Any]]]], Vars | None] | None = None
    # What the app shows of the raw rows (given raw_vars), when that is not all of them: the
    # peer is checked against it.
    raw_view: Callable[[Vars, list[list[dict[str, Any]]]], Any] | None = None


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    steps: tuple[Step, ...]
    peer_field: str | None = None  # the @cypher field on the peer, keyed by `key`
    # The peer must return what raw returns (checked before measuring): always for @cypher
    # fields, and where the generated query asks the same question (W7, W9).
    peer_same: bool = False

    @property
    def peer_checked(self) -> bool:
        return self.peer_field is not None or self.peer_same

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
    make_peer: Callable[[Centres, int], Vars] | None = None,
) -> Step:
    peer_make = make_peer or _as_peer(make_raw)
    return Step(gql, raw, peer, _same(make), _same(make_raw), _same(peer_make))


def _as_peer(make_raw: Callable[[Centres, int], Vars]) -> Callable[[Centres, int], Vars]:
    """The raw parameters as GraphQL variables: the peer's `Date` scalar turns the ISO string
    back into a Neo4j Date, the type our resolvers pass."""

    def make(c: Centres, i: int) -> Vars:
        vs = make_raw(c, i)
        return {**vs, "asOf": AS_OF} if "asOf" in vs else vs

    return make


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


def _w9_chain(k: int, base: Vars, done: list[list[dict[str, Any]]]) -> Vars:
    """Parameters of W9's raw statement k, as resolvers/relations.py sends them."""
    if k == 0:
        return {"ids": [base["id"]]}
    return {
        "id": base["id"],
        "limit": TREE_MAX_COMPANIES + 1,
        "subCap": base["subs"],
        "cap": base["first"],
    }


def _w9_view(base: Vars, done: list[list[dict[str, Any]]]) -> Any:
    """What the app shows of W9's raw rows: the company, then the tree walked from it level
    by level, as resolvers/relations.py primes its loaders from the rows."""
    by_id = {row["id"]: row for row in done[1]}
    shown: list[Any] = [done[0]]
    level = [base["id"]]
    for k in range(W9_DEPTH + 1):
        below: list[str] = []
        for company in level:
            row = by_id.get(company)
            if row is None:
                continue
            shown.append(row["contacts"])
            if k < W9_DEPTH:
                shown.append(row["subsidiaries"])
                below += [n["id"] for n in row["subsidiaries"]]
        level = below
    return shown


def _w7_view(base: Vars, done: list[list[dict[str, Any]]]) -> Any:
    """The page the app shows: it reads one row more, which only says whether a next page
    exists."""
    return done[0][0]["rows"][: base["limit"] - 1]


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
                    "staff": None,
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
            dataclasses.replace(
                _read(
                    GQL_W7,
                    W7_CUSTOMER_LIST_RAW,
                    PEER_W7,
                    lambda c, i: {"first": 50, "tier": _pick(c.tiers, i)},
                    lambda c, i: _list_params(_pick(c.tiers, i), 50),
                    lambda c, i: {"first": 50, "tier": _pick(c.tiers, i)},
                ),
                raw_view=_w7_view,
            ),
        ),
        notes="ours and raw: page + totalCount (one statement); "
        "peer: the library's generated connection query (filter, sort, first, totalCount) "
        "over the same Customer label, companies and people",
        peer_same=True,
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

GQL_W10 = (
    "query W10($party: ID!) { timeline(party: $party, first: 20, includeSubsidiaries: true) { "
    "nodes { id kind occurredAt subject customer { ... on Company { id name } } "
    "contacts { id name } staff { id name } } pageInfo { hasNextPage endCursor } } }"
)
_FIGURES = (
    "figures { purchases { currency orders lastOrderAt meanDaysBetweenOrders receivable overdue "
    "windows { days orders amount quantity averagePrice } } lastInteractionAt "
    "lastInteractionChannel nextVisitAt openFollowUps openComplaints meanSatisfaction }"
)
GQL_W11 = (
    "query W11($first: Int!, $tier: Tier) { customers(first: $first, filter: {tier: $tier}) { "
    "nodes { ... on Company { id name " + _FIGURES + " } "
    "... on Person { id name " + _FIGURES + " } } } }"
)


def _w10_raw(c: Centres, i: int) -> Vars:
    return {
        "party": _pick(c.group_roots, i),
        "kinds": None,
        "from": None,
        "to": None,
        "staffId": None,
        "projectId": None,
        "voided": False,
        "afterAt": None,
        "afterId": None,
        **pages.text_params({}, "afterId"),
        "limit": 21,
    }


def _w11_chain(k: int, base: Vars, done: list[list[dict[str, Any]]]) -> Vars | None:
    """The page, then the figures of its customers (one batched statement, as the loader)."""
    if k == 0:
        return base
    return {"ids": [row["node"]["id"] for row in done[0]][: base["limit"] - 1]}


def _w9_vars(c: Centres, i: int) -> Vars:
    return {
        "id": _pick(c.group_roots, i),
        "first": W9_CONTACTS_FIRST,
        "subs": W9_SUBSIDIARIES_FIRST,
    }


WORKLOADS.append(
    Workload(
        "W9",
        "company tree: subsidiaries two levels down, contacts at every level",
        (
            Step(
                GQL_W9,
                W9_COMPANY_TREE_RAW,
                PEER_W9,
                _same(lambda c, i: _w9_vars(c, i)),
                _same(lambda c, i: _w9_vars(c, i)),
                _same(
                    lambda c, i: {
                        **_w9_vars(c, i),
                        "today": dt.datetime.now(dt.UTC).date().isoformat(),
                    }
                ),
                raw_chain=_w9_chain,
                raw_view=_w9_view,
            ),
        ),
        notes="ours: 2 round trips at once (the company, and the group's tree with every "
        "level's contacts, which primes the loaders); raw: the same 2 statements in sequence; "
        "peer: one generated statement over @relationship "
        "connections with edge filters for current employment and subsidiary edges",
        peer_same=True,
    )
)
WORKLOADS.append(
    Workload(
        "W10",
        "timeline of a group, newest 20 records with customer, contacts and staff",
        (
            Step(
                GQL_W10,
                W10_TIMELINE_RAW,
                GQL_W10,
                _same(lambda c, i: {"party": _pick(c.group_roots, i)}),
                _same(_w10_raw),
                _same(lambda c, i: {"party": _pick(c.group_roots, i)}),
            ),
        ),
        notes="ours and raw: one statement (records about the group's companies, newest first); "
        "peer: no records in its schema, not measured",
    )
)
WORKLOADS.append(
    Workload(
        "W11",
        "100 customers with their computed figures",
        (
            Step(
                GQL_W11,
                W11_FIGURES_RAW,
                GQL_W11,
                _same(lambda c, i: {"first": 100, "tier": _pick(c.tiers, i)}),
                _same(lambda c, i: _list_params(_pick(c.tiers, i), 100)),
                _same(lambda c, i: {"first": 100, "tier": _pick(c.tiers, i)}),
                raw_chain=_w11_chain,
            ),
        ),
        notes="ours: the page, then one batched statement for every customer's figures "
        "(computed from the records on read); raw: the same two statements; peer: not measured",
    )
)

BY_KEY = {w.key: w for w in WORKLOADS}


def peer_cypher() -> dict[str, str]:
    """The statements the peer's @cypher fields hold, by workload key: each workload's raw
    statement, wrapped by `peer_statement` and otherwise unchanged."""
    return {w.key: peer_statement(w.steps[0].raw[0]) for w in WORKLOADS if w.peer_field}
