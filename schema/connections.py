"""Lists as Relay cursor connections: companies, people, projects and customers.

`first` is required, 1..100; `after` continues from a cursor. A page costs one Cypher round
trip, with `totalCount` or without (it is counted in the same statement, only when selected).
Archived records are left out unless `includeArchived`.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any

import strawberry

from resolvers import connections as r
from resolvers.connections import ListOrder
from resolvers.shapes import ConnectionOf, NodeRow
from resolvers.vocab import (
    CustomerKind,
    Dimension,
    LifecycleStage,
    ProjectStage,
    ProjectStatus,
    Tier,
)
from schema.base import Info, page_type, provided, selected_below, vocab_enum, wants_total
from schema.company import Company
from schema.customfields import CustomFieldFilter
from schema.intelligence import ChurnLevel
from schema.person import CustomerParty, Person
from schema.project import Project

vocab_enum(
    ListOrder,
    "Sort orders of lists; ties are broken by id, so pages never overlap.",
    {
        "NAME_ASC": "By name, A→Z (Unicode code point order). People by id for a viewer who "
        "sees them anonymised (ANALYST).",
        "NAME_DESC": "By name, Z→A. People by id, descending, for an anonymised viewer.",
        "UPDATED_DESC": "Most recently changed first.",
        "UPDATED_ASC": "Least recently changed first.",
        "CREATED_DESC": "Newest first.",
        "CREATED_ASC": "Oldest first.",
        "CUSTOM_ASC": "By the custom field `customSortKey`, lowest first (records without a "
        "value first). Companies, people and projects only.",
        "CUSTOM_DESC": "By the custom field `customSortKey`, highest first (records without a "
        "value last).",
        "VALUE_DESC": "By value score (R15), highest first; customers not scored yet last. "
        "Not for projects (BAD_USER_INPUT).",
        "CHURN_RISK_DESC": "By churn risk (R17), highest first; customers without one last. "
        "Not for projects (BAD_USER_INPUT).",
    },
)

FIRST = strawberry.argument(description="Page size, required, 1..100.")
AFTER = strawberry.argument(description="Continue after this cursor (from the same orderBy).")
ORDER = strawberry.argument(description="Sort order; NAME_ASC by default.")
FILTER = strawberry.argument(description="Filters; all given ones must match.")
SORT_KEY = strawberry.argument(
    description="The custom field key to sort by, with orderBy CUSTOM_ASC / CUSTOM_DESC."
)


@strawberry.input(
    description="Filters shared by the lists. Name filters match the text as typed: case and "
    "character width count (（） is not (), Ａ is not A), as they use the name's text index. "
    "`search` forgives both."
)
class ListFilter:
    nameContains: str | None = strawberry.field(
        default=None,
        description="Name contains this text (Chinese or Latin), ≤ 100. No person matches "
        "for a viewer who sees people anonymised (ANALYST).",
    )
    namePrefix: str | None = strawberry.field(
        default=None,
        description="Name starts with this text, ≤ 100. No person matches for an "
        "anonymised viewer.",
    )
    updatedSince: dt.datetime | None = strawberry.field(
        default=None, description="Changed at or after this time."
    )
    includeArchived: bool = strawberry.field(default=False, description="Include archived records.")
    custom: list[CustomFieldFilter] | None = strawberry.field(
        default=None,
        description="Custom field filters (R10), all of which must match; at most 10. "
        "On customers, a key defined for companies or for people filters both (the other "
        "kind lacks it); a key the two kinds define with different types is unknown there. "
        "Not index-backed: they filter the rows the other filters leave.",
    )


@strawberry.input(description="Filters for parties (companies, people, customers).")
class PartyFilter(ListFilter):
    industry: str | None = strawberry.field(
        default=None, description="Exact industry (companies only; people never match)."
    )
    lifecycleStage: LifecycleStage | None = strawberry.field(
        default=None, description="Customer lifecycle stage (only customers match)."
    )
    tier: Tier | None = strawberry.field(
        default=None,
        description="Customer value tier, the segment the scoring run sets (only customers match).",
    )
    churnLevel: ChurnLevel | None = strawberry.field(
        default=None, description="Churn risk level of the last scoring run (only customers match)."
    )
    owner: strawberry.ID | None = strawberry.field(
        default=None, description="Owned by this staff member (a User id, current OWNS edge)."
    )


@strawberry.input(description="A customer class (R14): its dimension and key.")
class CustomerClassFilter:
    dimension: Dimension = strawberry.field(description="The dimension, e.g. TRADE.")
    key: str = strawberry.field(description="The class key, e.g. LONG_TERM.")


@strawberry.input(description="Filters for customers.")
class CustomerFilter(PartyFilter):
    customerKind: CustomerKind | None = strawberry.field(
        default=None, description="ENTERPRISE (companies) or INDIVIDUAL (people)."
    )
    customerClass: CustomerClassFilter | None = strawberry.field(
        default=None,
        description="Only customers the last classification review put in this class "
        "(`classificationRules` lists the keys).",
    )


@strawberry.input(description="Filters for projects.")
class ProjectFilter(ListFilter):
    stage: ProjectStage | None = strawberry.field(default=None, description="Sales stage.")
    status: ProjectStatus | None = strawberry.field(default=None, description="Status.")
    customer: strawberry.ID | None = strawberry.field(
        default=None, description="For this customer (a Company or Person id, current FOR edge)."
    )
    customerGroup: strawberry.ID | None = strawberry.field(
        default=None,
        description="For this company or a company below it in its group (today's "
        "SUBSIDIARY_OF edges, at most 8 levels down): a group's projects.",
    )


CompanyConnection = page_type(Company, "Company", "A company", "companies", "The company.")
PersonConnection = page_type(Person, "Person", "A person", "people", "The person.")
ProjectConnection = page_type(Project, "Project", "A project", "projects", "The project.")
CustomerConnection = page_type(
    CustomerParty,
    "Customer",
    "A customer",
    "customers (companies and people with a customer profile)",
    "The customer: a Company or a Person.",
)


def _filters(value: Any) -> dict[str, Any]:
    return provided(value) if value is not None else {}


def _list_field(kind: str, filter_type: Any, connection: Any, description: str) -> Any:
    """A list root field: `first`, `after`, `orderBy` and a `filter` of `filter_type`."""

    async def resolve(
        info: Info,
        first: int,
        after: str | None = None,
        orderBy: ListOrder = ListOrder.NAME_ASC,
        filter: Any = None,
        customSortKey: str | None = None,
    ) -> ConnectionOf[NodeRow]:
        filters = _filters(filter)  # custom filters too, as dicts (`provided`)
        # The page's nodes (`edges { node }` and `nodes`): the statement projects only these.
        nodes = selected_below(info, "edges", "node") + selected_below(info, "nodes")
        return await r.connection(
            info.context,
            kind,
            first,
            after,
            orderBy,
            filters,
            wants_total(info),
            customSortKey,
            frozenset(f.name.value for f in nodes),
        )

    # Strawberry reads the arguments from the signature; the filter type varies per list.
    p, k = inspect.Parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD
    resolve.__dict__["__signature__"] = inspect.Signature(
        [
            p("info", k, annotation=Info),
            p("first", k, annotation=Annotated[int, FIRST]),
            p("after", k, default=None, annotation=Annotated[str | None, AFTER]),
            p("orderBy", k, default=ListOrder.NAME_ASC, annotation=Annotated[ListOrder, ORDER]),
            p("filter", k, default=None, annotation=Annotated[filter_type | None, FILTER]),
            p("customSortKey", k, default=None, annotation=Annotated[str | None, SORT_KEY]),
        ]
    )
    return strawberry.field(resolver=resolve, graphql_type=connection, description=description)


@strawberry.type
class Query:
    companies = _list_field(
        "company",
        PartyFilter,
        CompanyConnection,
        "Companies, filtered and sorted; keyset-paginated.",
    )
    people = _list_field(
        "person",
        PartyFilter,
        PersonConnection,
        "People (contacts and individuals), filtered and sorted.",
    )
    projects = _list_field(
        "project", ProjectFilter, ProjectConnection, "Projects, filtered and sorted."
    )
    customers = _list_field(
        "customer",
        CustomerFilter,
        CustomerConnection,
        "Customers: companies and people with a customer profile, in one list "
        "(the CustomerParty union).",
    )
