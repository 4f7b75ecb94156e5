"""Lists as Relay cursor connections: companies, people, projects and customers.

`first` is required, 1..100; `after` continues from a cursor. A page costs one Cypher round
trip, `totalCount` one more (only when selected). Archived records are left out unless
`includeArchived`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from resolvers import connections as r
from resolvers.connections import ListOrder
from resolvers.shapes import ConnectionOf, NodeRow
from resolvers.vocab import CustomerKind, LifecycleStage, ProjectStage, ProjectStatus, Tier
from schema.base import Info, PageInfo, provided, vocab_enum
from schema.company import Company
from schema.person import CustomerParty, Person
from schema.project import Project

vocab_enum(
    ListOrder,
    "Sort orders of lists; ties are broken by id, so pages never overlap.",
    {
        "NAME_ASC": "By name, A→Z (Unicode code point order).",
        "NAME_DESC": "By name, Z→A.",
        "UPDATED_DESC": "Most recently changed first.",
        "UPDATED_ASC": "Least recently changed first.",
        "CREATED_DESC": "Newest first.",
        "CREATED_ASC": "Oldest first.",
    },
)

FIRST = strawberry.argument(description="Page size, required, 1..100.")
AFTER = strawberry.argument(description="Continue after this cursor (from the same orderBy).")
ORDER = strawberry.argument(description="Sort order; NAME_ASC by default.")
FILTER = strawberry.argument(description="Filters; all given ones must match.")


def _selects(selections: list[Any], name: str) -> bool:
    for s in selections:
        if isinstance(s, SelectedField) and s.name == name:
            return True
        if isinstance(s, FragmentSpread | InlineFragment) and _selects(s.selections, name):
            return True
    return False


def wants_total(info: Info) -> bool:
    """Whether this field's selection asks for `totalCount` (fragments included)."""
    return any(_selects(f.selections, "totalCount") for f in info.selected_fields)


@strawberry.input(description="Filters shared by the lists. Name filters are case-sensitive.")
class ListFilter:
    nameContains: str | None = strawberry.field(
        default=None, description="Name contains this text (Chinese or Latin), ≤ 100."
    )
    namePrefix: str | None = strawberry.field(
        default=None, description="Name starts with this text, ≤ 100."
    )
    updatedSince: dt.datetime | None = strawberry.field(
        default=None, description="Changed at or after this time."
    )
    includeArchived: bool = strawberry.field(default=False, description="Include archived records.")


@strawberry.input(description="Filters for parties (companies, people, customers).")
class PartyFilter(ListFilter):
    industry: str | None = strawberry.field(
        default=None, description="Exact industry (companies only; people never match)."
    )
    lifecycleStage: LifecycleStage | None = strawberry.field(
        default=None, description="Customer lifecycle stage (only customers match)."
    )
    tier: Tier | None = strawberry.field(
        default=None, description="Customer value tier (only customers match)."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="Owned by this staff member (a User id, current OWNS edge)."
    )


@strawberry.input(description="Filters for customers.")
class CustomerFilter(PartyFilter):
    customerKind: CustomerKind | None = strawberry.field(
        default=None, description="ENTERPRISE (companies) or INDIVIDUAL (people)."
    )


@strawberry.input(description="Filters for projects.")
class ProjectFilter(ListFilter):
    stage: ProjectStage | None = strawberry.field(default=None, description="Sales stage.")
    status: ProjectStatus | None = strawberry.field(default=None, description="Status.")
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="For this customer (a Company or Person id, current FOR edge)."
    )


N = TypeVar("N")  # the item type
E = TypeVar("E")  # its edge type


@strawberry.type
class Edge(Generic[N]):
    """An item of a page with its cursor; each list names its item in its own `node`."""

    cursor: str = strawberry.field(description="Opaque cursor of this item.")


@strawberry.type
class Connection(Generic[E, N]):
    """A page of a list. Subclasses give the GraphQL name and description."""

    edges: list[E] = strawberry.field(description="Items with their cursors.")
    nodes: list[N] = strawberry.field(description="The items alone.")
    pageInfo: PageInfo = strawberry.field(description="Pagination state.")
    totalCount: int = strawberry.field(
        description="All matches of the filter (one extra round trip, only when selected)."
    )


@strawberry.type(description="A company in a page.")
class CompanyEdge(Edge[Company]):
    node: Company = strawberry.field(description="The company.")


@strawberry.type(description="A page of companies.")
class CompanyConnection(Connection[CompanyEdge, Company]):
    pass


@strawberry.type(description="A person in a page.")
class PersonEdge(Edge[Person]):
    node: Person = strawberry.field(description="The person.")


@strawberry.type(description="A page of people.")
class PersonConnection(Connection[PersonEdge, Person]):
    pass


@strawberry.type(description="A project in a page.")
class ProjectEdge(Edge[Project]):
    node: Project = strawberry.field(description="The project.")


@strawberry.type(description="A page of projects.")
class ProjectConnection(Connection[ProjectEdge, Project]):
    pass


@strawberry.type(description="A customer in a page.")
class CustomerEdge(Edge[CustomerParty]):
    node: CustomerParty = strawberry.field(description="The customer: a Company or a Person.")


@strawberry.type(description="A page of customers (companies and people with a customer profile).")
class CustomerConnection(Connection[CustomerEdge, CustomerParty]):
    pass


def _filters(value: Any) -> dict[str, Any]:
    return provided(value) if value is not None else {}


@strawberry.type
class Query:
    @strawberry.field(
        description="Companies, filtered and sorted; keyset-paginated.",
        graphql_type=CompanyConnection,
    )
    async def companies(
        self,
        info: Info,
        first: Annotated[int, FIRST],
        after: Annotated[str | None, AFTER] = None,
        orderBy: Annotated[ListOrder, ORDER] = ListOrder.NAME_ASC,
        filter: Annotated[PartyFilter | None, FILTER] = None,
    ) -> ConnectionOf[NodeRow]:
        return await r.connection(
            info.context, "company", first, after, orderBy, _filters(filter), wants_total(info)
        )

    @strawberry.field(
        description="People (contacts and individuals), filtered and sorted.",
        graphql_type=PersonConnection,
    )
    async def people(
        self,
        info: Info,
        first: Annotated[int, FIRST],
        after: Annotated[str | None, AFTER] = None,
        orderBy: Annotated[ListOrder, ORDER] = ListOrder.NAME_ASC,
        filter: Annotated[PartyFilter | None, FILTER] = None,
    ) -> ConnectionOf[NodeRow]:
        return await r.connection(
            info.context, "person", first, after, orderBy, _filters(filter), wants_total(info)
        )

    @strawberry.field(
        description="Projects, filtered and sorted.",
        graphql_type=ProjectConnection,
    )
    async def projects(
        self,
        info: Info,
        first: Annotated[int, FIRST],
        after: Annotated[str | None, AFTER] = None,
        orderBy: Annotated[ListOrder, ORDER] = ListOrder.NAME_ASC,
        filter: Annotated[ProjectFilter | None, FILTER] = None,
    ) -> ConnectionOf[NodeRow]:
        return await r.connection(
            info.context, "project", first, after, orderBy, _filters(filter), wants_total(info)
        )

    @strawberry.field(
        description="Customers: companies and people with a customer profile, in one list "
        "(the CustomerParty union).",
        graphql_type=CustomerConnection,
    )
    async def customers(
        self,
        info: Info,
        first: Annotated[int, FIRST],
        after: Annotated[str | None, AFTER] = None,
        orderBy: Annotated[ListOrder, ORDER] = ListOrder.NAME_ASC,
        filter: Annotated[CustomerFilter | None, FILTER] = None,
    ) -> ConnectionOf[NodeRow]:
        return await r.connection(
            info.context, "customer", first, after, orderBy, _filters(filter), wants_total(info)
        )
