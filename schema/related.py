"""Related accounts (R1), paths and warm introductions (R6)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry

from resolvers import related as r
from schema.base import Info
from schema.maps import AsOf, EdgeType, MapEdge, MapNode, arg, kinds, or_, with_data


@strawberry.enum(description="Ways two companies can be related.")
class RelatedVia(Enum):
    HIERARCHY = strawberry.enum_value("HIERARCHY", description="SUBSIDIARY_OF chains.")
    INDUSTRY_CHAIN = strawberry.enum_value(
        "INDUSTRY_CHAIN", description="SUPPLIES, DISTRIBUTES_FOR, PARTNERS_WITH, INVESTS_IN."
    )
    DECISION_CHAIN = strawberry.enum_value(
        "DECISION_CHAIN", description="INFLUENCES_PURCHASE (e.g. a design institute)."
    )
    SHARED_PEOPLE = strawberry.enum_value(
        "SHARED_PEOPLE", description="Someone works at both now (as of `asOf`)."
    )
    FORMER_EMPLOYEES = strawberry.enum_value(
        "FORMER_EMPLOYEES", description="Someone worked at one and now works at the other."
    )
    SHARED_PROJECTS = strawberry.enum_value(
        "SHARED_PROJECTS",
        description="Someone from one company takes part in a project for the other.",
    )


@strawberry.type(description="A path between two nodes, explained hop by hop.")
class RelPath:
    nodes: list[MapNode] = strawberry.field(description="The nodes, in path order.")
    edges: list[MapEdge] = strawberry.field(
        description="The edges, in path order (each in its stored direction)."
    )
    strength: float = strawberry.field(
        description="Product of hop strengths, 0..1: an edge's stored strength where it has "
        "one (KNOWS, INFLUENCES, INFLUENCES_PURCHASE), else by type: KNOWS and "
        "INFLUENCES 0.5 (negative influence x0.3), RELATED_TO by kind (spouse 0.9 ... former "
        "colleague 0.55, else 0.6), WORKS_AT and REPORTS_TO 0.7, OWNS and ON_TEAM 0.6, "
        "PARTICIPATES_IN and FOR 0.5, company links 0.5."
    )
    explanation: list[str] = strawberry.field(
        description='One sentence per hop, e.g. "张伟 knows 李娜 (0.8)"; a tie ended by `asOf` '
        'in the past tense with its end, e.g. "陈晓明 worked at 瑞丰 until 2024-06-30".'
    )


@strawberry.enum(description="How two consecutive people of a warm introduction are joined.")
class IntroTie(Enum):
    PERSONAL = strawberry.enum_value(
        "PERSONAL",
        description="A personal tie: KNOWS (staff to person), RELATED_TO (family, friend, "
        "classmate, former colleague) or INFLUENCES.",
    )
    REPORTING = strawberry.enum_value(
        "REPORTING", description="A reporting line (REPORTS_TO) is their strongest tie."
    )
    COLLEAGUE = strawberry.enum_value(
        "COLLEAGUE",
        description="No direct tie: they only work at the same company now (two WORKS_AT). "
        "Weakest: the path ranks after paths with fewer such hops.",
    )


@strawberry.type(description="One hop of a warm introduction: two people and what joins them.")
class IntroHop:
    from_: strawberry.ID = strawberry.field(
        name="from", description="The person (or our staff member) who makes the introduction."
    )
    to: strawberry.ID = strawberry.field(description="The person introduced to.")
    tie: IntroTie = strawberry.field(
        description="Kind of the strongest connection between them (see IntroTie)."
    )
    types: list[EdgeType] = strawberry.field(
        description="Every relationship type joining them, sorted (WORKS_AT for a shared employer)."
    )
    strength: float = strawberry.field(
        description="The strongest tie's strength, 0..1: KNOWS/INFLUENCES their stored strength "
        "(0.5 when none; negative influence x0.3), RELATED_TO by kind (spouse 0.9 ... former "
        "colleague 0.55), REPORTS_TO 0.7; a shared employer alone "
        f"{r.COLLEAGUE_HOP}."
    )
    explanation: str = strawberry.field(
        description='Every tie and shared employer, strongest first, e.g. "王强 influences '
        '张伟 (0.7); 王强 reports to 张伟 (solid); 王强 and 张伟 both work at 华东集团".'
    )
    edgeIds: list[strawberry.ID] = strawberry.field(
        description="Ids of the path's `edges` behind this hop (at most 10 ties and 10 shared "
        "employers)."
    )


@strawberry.type(
    description="A warm introduction: a chain of people from one of our staff to the target, "
    "each hop explained by all that joins its two people."
)
class IntroPath:
    nodes: list[MapNode] = strawberry.field(
        description="The people in introduction order (our staff member first, the target "
        "last), then the companies that colleague hops share."
    )
    edges: list[MapEdge] = strawberry.field(
        description="Every stored edge behind the hops, each in its stored direction."
    )
    hops: list[IntroHop] = strawberry.field(description="One per pair of consecutive people.")
    strength: float = strawberry.field(description="Product of the hops' strengths, 0..1.")
    colleagueHops: int = strawberry.field(
        description="Hops joined only by a shared employer. Paths rank by this first (fewer "
        "first), then by strength, then by length."
    )
    explanation: list[str] = strawberry.field(
        description="One sentence per hop (the hop's `explanation`)."
    )
    ranking: str = strawberry.field(
        description="Why the path ranks where it does: its colleague hops and how its strength "
        'is made, e.g. "all 2 hops are personal or reporting ties: ranked ahead of every '
        "introduction through colleagues; strength 0.56 = 0.8 x 0.7 (each hop's strongest "
        'tie)".'
    )


@strawberry.type(description="A company related to the one asked about, with why.")
class RelatedAccount:
    company: MapNode = strawberry.field(
        description="The related company; `depth` is its chain distance (hierarchy hops for "
        "a group member past `maxHops`) when it has one."
    )
    score: float = strawberry.field(
        description="Higher is closer: the shortest chain path to the company (one, however "
        "many lie within `maxHops`) adds the weight of its strongest kind / its hops "
        "(hierarchy 1.0, decision chain 0.9, industry chain 0.8); each people link adds "
        "0.6 per shared person, 0.4 per former employee, 0.5 per shared project (however "
        "many of its people link the two; at most 3 of each kind count)."
    )
    via: list[RelatedVia] = strawberry.field(description="The kinds of link found.")
    paths: list[RelPath] = strawberry.field(
        description="Up to 3 explaining paths, strongest first: the shortest chain path "
        "and the people and project links."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Companies related to `company`, ranked by score, each with the paths "
        "that explain it. Hierarchy reaches the whole group by default (`wholeGroup`): every "
        f"company under the same ultimate parent(s), {r.GROUP_MAX_LEVELS} levels up and down "
        f"at most, whatever `maxHops`. maxHops 1..{r.MAX_HOPS_RELATED} bounds the other "
        "company chains (and hierarchy when `wholeGroup` is false); people links are fixed "
        f"2-3 hop patterns; at most {r.RELATED_MAX_COMPANIES} companies by chain and "
        f"{r.RELATED_MAX_COMPANIES} by group considered; first 1..{r.MAX_FIRST}; one Cypher "
        "round trip.",
        graphql_type=list[RelatedAccount],
    )
    async def relatedAccounts(
        self,
        info: Info,
        company: Annotated[strawberry.ID, arg("The company.")],
        via: Annotated[list[RelatedVia] | None, arg("Kinds of link to use; default all.")] = None,
        maxHops: Annotated[int | None, arg(f"Chain hops, 1..{r.MAX_HOPS_RELATED}.")] = 2,
        first: Annotated[int | None, arg(f"Most results, 1..{r.MAX_FIRST}.")] = 20,
        asOf: AsOf = None,
        wholeGroup: Annotated[
            bool | None,
            arg(
                "With HIERARCHY in `via`: reach every company of the group (same ultimate "
                "parents) however many hierarchy hops away; false limits hierarchy to `maxHops` "
                "like the other chains. Default true."
            ),
        ] = True,
    ) -> list[dict[str, Any]]:
        return await with_data(
            info,
            r.related_accounts,
            company,
            None if via is None else [v.name for v in via],
            or_(maxHops, 2),
            or_(first, 20),
            asOf,
            whole_group=or_(wholeGroup, True),
        )

    @strawberry.field(
        description=f"The {r.PATHS_PER_QUERY} strongest of the {r.PATH_CANDIDATES} shortest "
        "paths (fewest hops; where more paths of one length reach the cut, which of them are "
        "kept is arbitrary) between any two nodes (companies, people, projects, staff). "
        "Strength: the product of each hop's stored strength or its type's default (a "
        "negative INFLUENCES hop counts 0.3 of its strength; a dotted reporting line as a "
        f"solid one). maxHops 1..{r.MAX_HOPS_PATH}; one Cypher round trip (SHORTEST k).",
        graphql_type=list[RelPath],
    )
    async def path(
        self,
        info: Info,
        from_: Annotated[
            strawberry.ID, strawberry.argument(name="from", description="Start node id.")
        ],
        to: Annotated[strawberry.ID, arg("End node id.")],
        maxHops: Annotated[int | None, arg(f"Hops, 1..{r.MAX_HOPS_PATH}.")] = 4,
        edgeKinds: Annotated[
            list[EdgeType] | None, arg("Relationship types to follow; default all.")
        ] = None,
        asOf: AsOf = None,
    ) -> list[dict[str, Any]]:
        return await with_data(info, r.path, from_, to, or_(maxHops, 4), kinds(edgeKinds), asOf)

    @strawberry.field(
        description="Warm introductions from our staff to a person, or to a project's "
        "decision makers, through KNOWS, INFLUENCES, RELATED_TO, REPORTS_TO and colleagues "
        "(two WORKS_AT to the same company). Paths with the same people are one introduction, "
        "each hop explained by every tie between its two people. Ranked by colleague-only "
        "hops (fewer first), then strength (the product of the hops'); `ranking` says why. "
        + r.HOP_DOC
        + f" maxHops 1..{r.MAX_HOPS_PATH} relationships; first 1..{r.MAX_FIRST}; up to "
        f"{r.INTRO_MAX_USERS} staff and {r.INTRO_MAX_TARGETS} targets, "
        f"{r.INTRO_PATHS_PER_PAIR} shortest paths per staff member and target before "
        "collapsing (parallel edges between the same two nodes walked once); one Cypher "
        "round trip.",
        graphql_type=list[IntroPath],
    )
    async def warmIntroPaths(
        self,
        info: Info,
        target: Annotated[strawberry.ID, arg("A person, or a project (its decision makers).")],
        from_: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                name="from",
                description="Our staff (User ids); default every staff member (at most 200).",
            ),
        ] = None,
        maxHops: Annotated[int | None, arg(f"Hops, 1..{r.MAX_HOPS_PATH}.")] = 4,
        first: Annotated[int | None, arg(f"Most paths, 1..{r.MAX_FIRST}.")] = 5,
        asOf: AsOf = None,
    ) -> list[dict[str, Any]]:
        return await with_data(
            info, r.warm_intro_paths, target, from_, or_(maxHops, 4), or_(first, 5), asOf
        )
