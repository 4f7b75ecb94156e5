"""Relationship maps: the shared flat map shape and accountMap, groupHierarchy, contactMap.

The contract is docs/API-MAPS.md. Every map is one Cypher round trip; layout coordinates come
from networkx on the server so every client draws the same, seeded picture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.scalars import JSON

from resolvers import maps as r
from resolvers.vocab import Rel
from schema.base import Info, selects_any


@strawberry.enum(description="What a map node is.")
class NodeKind(Enum):
    COMPANY = strawberry.enum_value("COMPANY", description="A company (企业).")
    PERSON = strawberry.enum_value("PERSON", description="A person: contact or customer (个人).")
    PROJECT = strawberry.enum_value("PROJECT", description="A project / opportunity (项目).")
    USER = strawberry.enum_value("USER", description="One of our staff (员工).")


# The relationship vocabulary is registered once, as EdgeType, in schema/base.py.
EdgeType = Rel


@strawberry.enum(
    description="Server-side layout of a map (networkx, seeded: same input, same picture)."
)
class Layout(Enum):
    NONE = strawberry.enum_value("NONE", description="No coordinates; x and y are null.")
    FORCE = strawberry.enum_value(
        "FORCE", description="Force-directed (Fruchterman-Reingold, 60 iterations, seeded)."
    )
    HIERARCHY = strawberry.enum_value(
        "HIERARCHY",
        description="Layered tree: parents above children. Suits org charts, groups and "
        "decision trees.",
    )


T = TypeVar("T")


def or_(value: T | None, default: T) -> T:
    """Arguments are nullable with defaults (docs/API-MAPS.md): an explicit null means the
    default."""
    return default if value is None else value


def mode(value: Layout | None, default: Layout) -> str:
    return (value or default).name


def kinds(values: list[EdgeType] | None) -> list[str] | None:
    return None if values is None else [v.name for v in values]


@strawberry.type(description="A node of a map, tree or path. Scalar fields only; no lookups.")
class MapNode:
    id: strawberry.ID = strawberry.field(description="The node's id (UUID).")
    kind: NodeKind = strawberry.field(description="Company, person, project or staff member.")
    name: str = strawberry.field(description="Display name, Chinese or English as stored.")
    nameEn: str | None = strawberry.field(description="English name, when recorded.")
    isCustomer: bool = strawberry.field(description="Whether the node is one of our customers.")
    tier: str | None = strawberry.field(description="Customer tier: CORE, GENERAL or PROBLEM.")
    lifecycleStage: str | None = strawberry.field(
        description="Customer lifecycle: POTENTIAL, NEW, ACTIVE or LOST."
    )
    title: str | None = strawberry.field(
        description="People: title at the map's company, as of `asOf`."
    )
    department: str | None = strawberry.field(
        description="People: department at the map's company, as of `asOf`."
    )
    companyId: strawberry.ID | None = strawberry.field(
        description="People: employer id as of `asOf`."
    )
    depth: int | None = strawberry.field(
        description="Hops from the centre, or level in a tree (0 = root); null for a "
        "decision-tree participant no decision maker's tree reaches (drawn below the tree)."
    )
    role: str | None = strawberry.field(
        description="Decision role (DecisionRole) in the project, or the first project role."
    )
    stance: str | None = strawberry.field(description="Stance on the project (Stance).")
    influence: float | None = strawberry.field(
        description="Influence score 0..1 (weighted PageRank, the top person scores 1)."
    )
    hidden: bool = strawberry.field(
        description="Decision trees: an influencer who does not take part in the project."
    )
    x: float | None = strawberry.field(description="Layout x when a layout was asked for.")
    y: float | None = strawberry.field(description="Layout y when a layout was asked for.")
    data: JSON | None = strawberry.field(
        description="Everything else for a details panel (industry, project roles, ...)."
    )


@strawberry.type(description="A relationship in a map, tree or path.")
class MapEdge:
    id: strawberry.ID = strawberry.field(description="The relationship's id (UUID).")
    source: strawberry.ID = strawberry.field(description="Id of the start node.")
    target: strawberry.ID = strawberry.field(description="Id of the end node.")
    type: EdgeType = strawberry.field(description="Relationship type.")
    since: dt.date | None = strawberry.field(description="Valid from (inclusive).")
    until: dt.date | None = strawberry.field(description="Valid until (exclusive).")
    kind: str | None = strawberry.field(
        description="SUBSIDIARY_OF kind, REPORTS_TO SOLID/DOTTED, RELATED_TO kind."
    )
    strength: float | None = strawberry.field(
        description="INFLUENCES / KNOWS / INFLUENCES_PURCHASE strength, 0..1."
    )
    polarity: str | None = strawberry.field(description="INFLUENCES: POSITIVE or NEGATIVE.")
    data: JSON | None = strawberry.field(description="All stored properties of the edge.")


@strawberry.type(
    description="A flat map: nodes and edges. `truncated` says a size cap cut it; "
    "`moreBeyondDepth` says the graph goes on past the depth asked. Only what the viewer may "
    "see: an invisible node is left out with its edges, no map, tree or path passes through "
    "one, and the flags, counts and rollups count visible nodes only; an invisible centre is "
    "NOT_FOUND, as a missing one."
)
class GraphMap:
    nodes: list[MapNode] = strawberry.field(
        description="The nodes: at most the query's limit, besides accountMap's centre and "
        "contactMap's companies."
    )
    edges: list[MapEdge] = strawberry.field(description="Edges between the returned nodes.")
    truncated: bool = strawberry.field(
        description="True when a size cap (the query's `limit`, or a documented maximum such as "
        "2000 companies) left out nodes that belong in the map: the map is incomplete."
    )
    moreBeyondDepth: bool = strawberry.field(
        description="True when the map is complete for the depth asked but the graph goes on: "
        "accountMap has companies one hop past `depth`; groupHierarchy finds no ultimate "
        f"parent within {r.GROUP_MAX_LEVELS} levels up, or subsidiaries more than "
        f"{r.GROUP_MAX_LEVELS} levels below it. Always false for contactMap and "
        "decisionTree, which have no depth; not checked (false) when `truncated`."
    )

    @strawberry.field(
        description="The same map as Cytoscape.js elements: "
        "{elements: {nodes: [{data, position?}], edges: [{data}]}}. Cheap bulk form for big maps.",
        graphql_type=JSON,
    )
    def cytoscape(self, root: strawberry.Parent[Any]) -> dict[str, Any]:
        return r.cytoscape(root)

    @strawberry.field(description="The same map as GraphML (for Gephi); `data` as JSON strings.")
    def graphml(self, root: strawberry.Parent[Any]) -> str:
        return r.graphml(root)


@strawberry.type(description="Counts and amounts over a company and everything below it.")
class SubtreeRollup:
    companyId: strawberry.ID = strawberry.field(description="The subtree's top company.")
    companies: int = strawberry.field(description="Companies in the subtree, itself included.")
    customers: int = strawberry.field(description="How many of them are customers.")
    openProjectAmount: float = strawberry.field(
        description="Sum of `amount` of OPEN projects for companies in the subtree: the "
        "projects and customer flags as they are today, also with `asOf`."
    )


@strawberry.type(description="A group of companies from its ultimate parent(s) down.")
class GroupHierarchy:
    map: GraphMap = strawberry.field(
        description=f"Companies and SUBSIDIARY_OF edges; at most {r.GROUP_MAX_LEVELS} levels up "
        f"and down and {r.GROUP_MAX_COMPANIES} companies."
    )
    roots: list[strawberry.ID] = strawberry.field(
        description="The ultimate parents (several for a joint venture). When none lies "
        f"within {r.GROUP_MAX_LEVELS} levels up, the companies exactly {r.GROUP_MAX_LEVELS} "
        "levels up instead, and the map's `moreBeyondDepth` is true."
    )
    rollups: list[SubtreeRollup] = strawberry.field(
        description="One rollup per company in the map; a joint venture counts under each parent."
    )


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


AS_OF = "Only relationships valid on this date (since <= asOf < until); default today."
LAYOUT = "Compute x/y on the server (networkx, seeded)."
# The arguments every map query takes alike.
AsOf = Annotated[dt.date | None, arg(AS_OF)]
MapLayout = Annotated[Layout | None, arg(LAYOUT)]

R = TypeVar("R")
# Fields whose values need every stored property of a map's nodes and edges.
DETAIL_FIELDS = frozenset({"data", "cytoscape", "graphml"})


async def with_data(
    info: Info, resolve: Callable[..., Awaitable[R]], *args: Any, **kwargs: Any
) -> R:
    """`resolve(context, *args, **kwargs)`, told whether to build the `data` JSON of nodes
    and edges (only when the query selects it, fragments included)."""
    selected = selects_any(info, DETAIL_FIELDS)
    return await resolve(info.context, *args, **kwargs, with_data=selected)


@strawberry.type
class Query:
    @strawberry.field(
        description="Companies reachable from `center` through hierarchy, industry-chain and "
        f"decision-chain edges (R1). depth 1..{r.MAX_DEPTH}; limit 1..{r.MAX_LIMIT} companies "
        "besides the centre; `truncated` when the limit cut the map, `moreBeyondDepth` when "
        "companies lie past the depth; one Cypher round trip.",
        graphql_type=GraphMap,
    )
    async def accountMap(
        self,
        info: Info,
        center: Annotated[strawberry.ID, arg("The company at the centre.")],
        depth: Annotated[int | None, arg(f"Hops from the centre, 1..{r.MAX_DEPTH}.")] = 2,
        edgeKinds: Annotated[
            list[EdgeType] | None,
            arg(
                "Company-to-company kinds to follow; default all seven (SUBSIDIARY_OF ... "
                "INCUMBENT_AT)."
            ),
        ] = None,
        limit: Annotated[
            int | None,
            arg(f"Most companies returned besides the centre, 1..{r.MAX_LIMIT}."),
        ] = 500,
        asOf: AsOf = None,
        layout: MapLayout = Layout.NONE,
    ) -> dict[str, Any]:
        return await with_data(
            info,
            r.account_map,
            center,
            or_(depth, 2),
            kinds(edgeKinds),
            or_(limit, 500),
            asOf,
            mode(layout, Layout.NONE),
        )

    @strawberry.field(
        description="The whole group around `company`, from the ultimate parent(s) down, with "
        f"subtree rollups. Up to {r.GROUP_MAX_LEVELS} levels and {r.GROUP_MAX_COMPANIES} "
        "companies; one Cypher round trip.",
        graphql_type=GroupHierarchy,
    )
    async def groupHierarchy(
        self,
        info: Info,
        company: Annotated[strawberry.ID, arg("Any company of the group.")],
        asOf: AsOf = None,
        layout: MapLayout = Layout.HIERARCHY,
    ) -> dict[str, Any]:
        return await with_data(
            info, r.group_hierarchy, company, asOf, mode(layout, Layout.HIERARCHY)
        )

    @strawberry.field(
        description="Org chart of a company's people (R2, R4): solid and dotted reporting "
        "lines, optionally across its subsidiaries (4 levels), overlaid with influence and "
        "personal ties. The nodes hold the company itself (`kind: COMPANY`, `depth: 0`; with "
        "`includeSubsidiaries` each subsidiary too, one level below its parent), listed "
        "first, then the people "
        "(`kind: PERSON`, `companyId` = employer); WORKS_AT edges join people to companies. "
        f"limit 1..{r.MAX_LIMIT} people (companies do not count); when it cuts, the people "
        "nearest the top are kept (fewest reporting lines above them, up to 8 levels, then by "
        "name), "
        "so the chart keeps its head. One Cypher round trip.",
        graphql_type=GraphMap,
    )
    async def contactMap(
        self,
        info: Info,
        company: Annotated[strawberry.ID, arg("The company.")],
        includeSubsidiaries: Annotated[
            bool | None, arg("Also people of subsidiaries, up to 4 levels down.")
        ] = False,
        includeInfluence: Annotated[
            bool | None, arg("Add INFLUENCES and RELATED_TO edges between the people.")
        ] = True,
        asOf: AsOf = None,
        limit: Annotated[int | None, arg(f"Most people returned, 1..{r.MAX_LIMIT}.")] = 500,
        layout: MapLayout = Layout.HIERARCHY,
    ) -> dict[str, Any]:
        return await with_data(
            info,
            r.contact_map,
            company,
            or_(includeSubsidiaries, False),
            or_(includeInfluence, True),
            or_(limit, 500),
            asOf,
            mode(layout, Layout.HIERARCHY),
        )
