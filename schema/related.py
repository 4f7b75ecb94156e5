"""Related accounts (R1), paths and warm introductions (R6)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

from resolvers import related as r
from resolvers.common import selects_any
from schema.maps import AS_OF, EdgeType, Info, MapEdge, MapNode, arg, kinds, or_


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
        description="Product of hop strengths, 0..1: KNOWS/INFLUENCES use their strength "
        "(negative influence x0.3), RELATED_TO by kind (spouse 0.9 ... former colleague 0.55), "
        "WORKS_AT and REPORTS_TO 0.7, company links 0.5."
    )
    explanation: list[str] = strawberry.field(
        description='One sentence per hop, e.g. "张伟 knows 李娜 (0.8)".'
    )


@strawberry.type(description="A company related to the one asked about, with why.")
class RelatedAccount:
    company: MapNode = strawberry.field(
        description="The related company; `depth` is its chain distance (hierarchy hops for "
        "a group member past `maxHops`) when it has one."
    )
    score: float = strawberry.field(
        description="Higher is closer: each chain path adds its kind's weight / hops "
        "(hierarchy 1.0, decision chain 0.9, industry chain 0.8); each people link adds "
        "0.6 shared, 0.5 project, 0.4 former (at most 3 links of each kind count)."
    )
    via: list[RelatedVia] = strawberry.field(description="The kinds of link found.")
    paths: list[RelPath] = strawberry.field(
        description="Up to 3 explaining paths, strongest first."
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
        "round trip."
    )
    async def relatedAccounts(
        self,
        info: Info,
        company: Annotated[strawberry.ID, arg("The company.")],
        via: Annotated[list[RelatedVia] | None, arg("Kinds of link to use; default all.")] = None,
        maxHops: Annotated[int | None, arg(f"Chain hops, 1..{r.MAX_HOPS_RELATED}.")] = 2,
        first: Annotated[int | None, arg(f"Most results, 1..{r.MAX_FIRST}.")] = 20,
        asOf: Annotated[dt.date | None, arg(AS_OF)] = None,
        wholeGroup: Annotated[
            bool | None,
            arg(
                "With HIERARCHY in `via`: reach every company of the group (same ultimate "
                "parents) however many hierarchy hops away; false limits hierarchy to `maxHops` "
                "like the other chains. Default true."
            ),
        ] = True,
    ) -> list[RelatedAccount]:
        return await r.related_accounts(  # type: ignore[return-value]
            info.context,
            company,
            None if via is None else [v.name for v in via],
            or_(maxHops, 2),
            or_(first, 20),
            asOf,
            whole_group=or_(wholeGroup, True),
            with_data=selects_any(info.selected_fields),
        )

    @strawberry.field(
        description="Up to 10 shortest paths between any two nodes (companies, people, "
        f"projects, staff), ranked by strength. maxHops 1..{r.MAX_HOPS_PATH}; one Cypher "
        "round trip (SHORTEST k)."
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
        asOf: Annotated[dt.date | None, arg(AS_OF)] = None,
    ) -> list[RelPath]:
        return await r.path(  # type: ignore[return-value]
            info.context,
            from_,
            to,
            or_(maxHops, 4),
            kinds(edgeKinds),
            asOf,
            with_data=selects_any(info.selected_fields),
        )

    @strawberry.field(
        description="Warm introductions from our staff to a person, or to a project's "
        "decision makers, through KNOWS, INFLUENCES, RELATED_TO, REPORTS_TO and colleagues "
        f"(WORKS_AT). Ranked by strength. maxHops 1..{r.MAX_HOPS_PATH}; first 1..{r.MAX_FIRST};"
        " up to 200 staff and 20 targets, 3 shortest paths per pair; one Cypher round trip."
    )
    async def warmIntroPaths(
        self,
        info: Info,
        target: Annotated[strawberry.ID, arg("A person, or a project (its decision makers).")],
        from_: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                name="from", description="Our staff (User ids); default the whole team."
            ),
        ] = None,
        maxHops: Annotated[int | None, arg(f"Hops, 1..{r.MAX_HOPS_PATH}.")] = 4,
        first: Annotated[int | None, arg(f"Most paths, 1..{r.MAX_FIRST}.")] = 5,
        asOf: Annotated[dt.date | None, arg(AS_OF)] = None,
    ) -> list[RelPath]:
        return await r.warm_intro_paths(  # type: ignore[return-value]
            info.context,
            target,
            from_,
            or_(maxHops, 4),
            or_(first, 5),
            asOf,
            with_data=selects_any(info.selected_fields),
        )
