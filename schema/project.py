"""Projects and opportunities (R3): a sale in progress at a customer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import pipeline, relations
from resolvers import project as r
from resolvers.vocab import DealLossReason, Label, ProjectStage, ProjectStatus
from schema.base import CUSTOM_INPUT, Info, NodeSchema, Record, optional, vocab_enum
from schema.common import by_parent, custom_field, may_edit_field, typename_is
from schema.person import CustomerParty

if TYPE_CHECKING:
    from schema.pipeline import RiskReason

vocab_enum(
    ProjectStage, "Sales stage of a project: lead → qualified → proposal → negotiation → closed."
)
vocab_enum(ProjectStatus, "Whether a project is open, won, lost or on hold.")
vocab_enum(DealLossReason, "Why an opportunity was lost; the funnel counts losses by it.")


@strawberry.type(description="A project or opportunity (项目/商机) at a customer.")
class Project(Record):
    name: str = strawberry.field(description="Project name, at most 200 characters.")
    stage: ProjectStage | None = strawberry.field(description="Sales stage.")
    status: ProjectStatus | None = strawberry.field(
        description="Open, won, lost or on hold. Unset counts as OPEN everywhere (pipeline, "
        "forecasts, group rollups)."
    )
    amount: float | None = strawberry.field(description="Expected amount in `currency`; ≥ 0.")
    currency: str | None = strawberry.field(description="ISO 4217 code; CNY by default.")
    expectedClose: dt.date | None = strawberry.field(description="Expected closing date.")
    winProbability: float | None = strawberry.field(
        description="This opportunity's own win probability, 0..1, overriding its stage's "
        "(pipelineSettings) in forecasts; null: the stage's."
    )
    winProbabilityReason: str | None = strawberry.field(
        description="Why the override was set, ≤ 500 characters."
    )
    lostReason: DealLossReason | None = strawberry.field(
        description="Why it was lost; only a LOST project has one. Kept in fieldHistory."
    )
    lostNote: str | None = strawberry.field(
        description="What happened, in the rep's words, ≤ 500 characters; only when LOST."
    )

    custom = custom_field()
    mayEdit = may_edit_field(Label.PROJECT)
    customer = by_parent(
        relations.project_customer,
        CustomerParty | None,
        "The customer the project is for (the current FOR edge): a Company or a "
        "Person. One round trip per request for all projects.",
    )

    @strawberry.field(
        description="Why this open opportunity is at risk, most severe first (empty when not "
        "OPEN, or when nothing is wrong). One round trip for every project of the request.",
        graphql_type=list[Annotated["RiskReason", strawberry.lazy("schema.pipeline")]],
    )
    async def riskFlags(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> Any:
        return await pipeline.risk_flags(info.context, root["id"])

    is_type_of = typename_is("Project")


@strawberry.input(description="Project fields. Text is trimmed; blank means absent.")
class ProjectFields:
    stage: ProjectStage | None = optional("Sales stage.")
    status: ProjectStatus | None = optional("Status; unset counts as OPEN.")
    amount: float | None = optional("≥ 0 and ≤ 10^13, as order amounts.")
    currency: str | None = optional("3-letter ISO 4217 code; CNY when omitted.")
    expectedClose: dt.date | None = optional("Expected closing date.")
    winProbability: float | None = optional(
        "Override of the stage's win probability, 0..1; needs `winProbabilityReason`. Null "
        "clears it (and its reason). Kept in fieldHistory."
    )
    winProbabilityReason: str | None = optional("Why, ≤ 500; required with `winProbability`.")
    lostReason: DealLossReason | None = optional(
        "Why it was lost: given with `status: LOST` (send the status again to add a reason to "
        "a lost deal). Any other status clears it and `lostNote`; null clears it."
    )
    lostNote: str | None = optional("≤ 500 characters; given with `status: LOST`, as the reason.")
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
