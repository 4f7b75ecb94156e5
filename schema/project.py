"""Projects and opportunities (R3): a sale in progress at a customer."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from resolvers import project as r
from resolvers import relations
from resolvers.vocab import ProjectStage, ProjectStatus
from schema.base import CUSTOM_INPUT, NodeSchema, Record, optional, vocab_enum
from schema.common import by_parent, custom_field, typename_is
from schema.person import CustomerParty

vocab_enum(
    ProjectStage, "Sales stage of a project: lead → qualified → proposal → negotiation → closed."
)
vocab_enum(ProjectStatus, "Whether a project is open, won, lost or on hold.")


@strawberry.type(description="A project or opportunity (项目/商机) at a customer.")
class Project(Record):
    name: str = strawberry.field(description="Project name, at most 200 characters.")
    stage: ProjectStage | None = strawberry.field(description="Sales stage.")
    status: ProjectStatus | None = strawberry.field(description="Open, won, lost or on hold.")
    amount: float | None = strawberry.field(description="Expected amount in `currency`; ≥ 0.")
    currency: str | None = strawberry.field(description="ISO 4217 code; CNY by default.")
    expectedClose: dt.date | None = strawberry.field(description="Expected closing date.")

    custom = custom_field()
    customer = by_parent(
        relations.project_customer,
        CustomerParty | None,
        "The customer the project is for (the current FOR edge): a Company or a "
        "Person. One round trip per request for all projects.",
    )
    is_type_of = typename_is("Project")


@strawberry.input(description="Project fields. Text is trimmed; blank means absent.")
class ProjectFields:
    stage: ProjectStage | None = optional("Sales stage.")
    status: ProjectStatus | None = optional("Status.")
    amount: float | None = optional("≥ 0.")
    currency: str | None = optional("3-letter ISO 4217 code; CNY when omitted.")
    expectedClose: dt.date | None = optional("Expected closing date.")
    custom: JSON | None = optional(CUSTOM_INPUT)


_SCHEMA = NodeSchema(
    Project,
    r,
    ProjectFields,
    name_max=200,
    lookup="One project by id. Batched per request.",
    keeps="it leaves lists, keeps its history",
    create_note=" Link it to its customer with an edge mutation.",
)
Query = _SCHEMA.query()
Mutation, ProjectPayload, UpsertProjectPayload = _SCHEMA.mutation()
