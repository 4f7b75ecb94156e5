"""Projects and opportunities (R3): a sale in progress at a customer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import project as r
from resolvers import relations
from resolvers.common import custom_fields
from resolvers.shapes import DeleteRow, NodePayload, NodeRow
from resolvers.vocab import ProjectStage, ProjectStatus
from schema.base import (
    ID_ARG,
    INPUT,
    DeletePayload,
    ExternalRefInput,
    Info,
    NodeRefInput,
    Record,
    UserError,
    provided,
    vocab_enum,
)
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

    @strawberry.field(description="Custom fields (R10) as a JSON object.", graphql_type=JSON | None)
    def custom(self, root: strawberry.Parent[NodeRow]) -> dict[str, Any] | None:
        return custom_fields(root)

    @strawberry.field(
        description="The customer the project is for (the current FOR edge): a Company or a "
        "Person. One round trip per request for all projects.",
        graphql_type=CustomerParty | None,
    )
    async def customer(self, info: Info, root: strawberry.Parent[NodeRow]) -> NodeRow | None:
        return await relations.project_customer(info.context, root["id"])

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, dict) and obj.get("__typename") == "Project"


@strawberry.input(description="Project fields. Text is trimmed; blank means absent.")
class ProjectFields:
    stage: ProjectStage | None = strawberry.field(
        default=strawberry.UNSET, description="Sales stage."
    )
    status: ProjectStatus | None = strawberry.field(default=strawberry.UNSET, description="Status.")
    amount: float | None = strawberry.field(default=strawberry.UNSET, description="≥ 0.")
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="3-letter ISO 4217 code; CNY when omitted."
    )
    expectedClose: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Expected closing date."
    )
    custom: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Custom fields: a JSON object."
    )


@strawberry.input(description="A new project. Link it to its customer with an edge mutation.")
class CreateProjectInput(ProjectFields, ExternalRefInput):
    name: str = strawberry.field(description="Required, ≤ 200 characters.")


@strawberry.input(description="Changes to a project. Omitted fields stay; null clears.")
class UpdateProjectInput(ProjectFields):
    id: strawberry.ID = strawberry.field(description="The project to change.")
    expectedVersion: int = strawberry.field(
        description="The version you read; a stale one gives CONFLICT and nothing is written."
    )
    name: str | None = strawberry.field(default=strawberry.UNSET, description="≤ 200.")


@strawberry.input(description="Create or update a project by its id in a source system.")
class UpsertProjectInput(ProjectFields):
    externalSource: str = strawberry.field(description="Source system; ≤ 100.")
    externalId: str = strawberry.field(description="Id in the source system; ≤ 200.")
    name: str = strawberry.field(description="Required, ≤ 200 characters.")


@strawberry.type(description="Result of a project mutation.")
class ProjectPayload:
    project: Project | None = strawberry.field(
        description="The project after the change; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(description="Expected failures; empty on success.")


@strawberry.type(description="Result of a project upsert.")
class UpsertProjectPayload:
    project: Project | None = strawberry.field(
        description="The project after the upsert; null when `errors` is not empty."
    )
    created: bool = strawberry.field(description="True when the upsert created the project.")
    changedFields: list[str] = strawberry.field(
        description="Names of the fields that changed; empty when nothing was written."
    )
    errors: list[UserError] = strawberry.field(description="Expected failures; empty on success.")


@strawberry.type
class Query:
    @strawberry.field(
        description="One project by id. Batched per request.",
        graphql_type=Project | None,
    )
    async def project(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> NodeRow | None:
        return await r.project(info.context, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a project; VALIDATION or DUPLICATE errors write nothing.",
        graphql_type=ProjectPayload,
    )
    async def createProject(
        self, info: Info, input: Annotated[CreateProjectInput, INPUT]
    ) -> NodePayload:
        return await r.create_project(info.context, provided(input))

    @strawberry.mutation(
        description="Update a project with optimistic concurrency.",
        graphql_type=ProjectPayload,
    )
    async def updateProject(
        self, info: Info, input: Annotated[UpdateProjectInput, INPUT]
    ) -> NodePayload:
        return await r.update_project(info.context, provided(input))

    @strawberry.mutation(
        description="Create or update a project by (externalSource, externalId); idempotent.",
        graphql_type=UpsertProjectPayload,
    )
    async def upsertProject(
        self, info: Info, input: Annotated[UpsertProjectInput, INPUT]
    ) -> NodePayload:
        return await r.upsert_project(info.context, provided(input))

    @strawberry.mutation(
        description="Archive a project: it leaves lists, keeps its history.",
        graphql_type=ProjectPayload,
    )
    async def archiveProject(
        self, info: Info, input: Annotated[NodeRefInput, INPUT]
    ) -> NodePayload:
        return await r.archive_project(info.context, input.id, input.expectedVersion)

    @strawberry.mutation(
        description="Delete a project and its edges. The audit trail stays.",
        graphql_type=DeletePayload,
    )
    async def deleteProject(self, info: Info, input: Annotated[NodeRefInput, INPUT]) -> DeleteRow:
        return await r.delete_project(info.context, input.id)
