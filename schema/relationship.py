"""Relationships (R1-R6): the generic edge API over the closed vocabulary of edge types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import node as nodes_r
from resolvers import relationship as r
from resolvers.shapes import EdgeRow, StanceChangeRow
from resolvers.vocab import Polarity, Rel, Stance
from schema.base import (
    ID_ARG,
    Info,
    Node,
    NodeRefInput,
    input_mutation,
    optional,
    payload_type,
    vocab_enum,
)
from schema.common import by_parent

vocab_enum(Stance, "A participant's stance on a project (R3).")
vocab_enum(Polarity, "Whether an influence works for or against us (R2).")

KIND_DOC = (
    "SUBSIDIARY_OF: SUBSIDIARY, BRANCH, DIVISION or JOINT_VENTURE; REPORTS_TO: SOLID or "
    "DOTTED; RELATED_TO: SPOUSE, FAMILY, FORMER_COLLEAGUE, CLASSMATE or FRIEND."
)
ROLE_DOC = (
    "PARTICIPATES_IN: a decision role (DECISION_MAKER, ECONOMIC_BUYER, TECHNICAL_EVALUATOR, "
    "FINANCIAL_APPROVER, USER, INFLUENCER, CHAMPION, GATEKEEPER, BLOCKER); ON_TEAM: free "
    "text, ≤ 50."
)


@strawberry.type(
    description="An edge of the relationship graph. Valid at date D when `since` is null or "
    "≤ D and `until` is null or > D; ended edges stay as history. Only the properties of its "
    "`type` are ever set (see docs/MODEL.md)."
)
class Relationship:
    id: strawberry.ID = strawberry.field(description="The relationship's id (UUID).")
    type: Rel = strawberry.field(description="The relationship type.")
    fromId: strawberry.ID = strawberry.field(description="Id of the start node.")
    toId: strawberry.ID = strawberry.field(description="Id of the end node.")
    since: dt.date | None = strawberry.field(description="Valid from (inclusive); null: always.")
    until: dt.date | None = strawberry.field(
        description="Valid until (exclusive); null: still valid."
    )
    version: int = strawberry.field(
        description="Optimistic-concurrency version; pass it as `expectedVersion`."
    )
    createdAt: dt.datetime = strawberry.field(description="When the edge was created.")
    updatedAt: dt.datetime = strawberry.field(description="When the edge last changed.")
    kind: str | None = strawberry.field(description="Kind. " + KIND_DOC)
    ownership: float | None = strawberry.field(
        description="SUBSIDIARY_OF / INVESTS_IN: share held, 0..1."
    )
    products: str | None = strawberry.field(description="SUPPLIES / INCUMBENT_AT: products.")
    region: str | None = strawberry.field(description="DISTRIBUTES_FOR: sales region.")
    note: str | None = strawberry.field(description="PARTNERS_WITH / INFLUENCES_PURCHASE: note.")
    strength: float | None = strawberry.field(
        description="INFLUENCES_PURCHASE / INFLUENCES / KNOWS: strength, 0..1."
    )
    satisfaction: float | None = strawberry.field(
        description="INCUMBENT_AT: the customer's satisfaction with the competitor, 0..1."
    )
    repName: str | None = strawberry.field(description="INCUMBENT_AT: the competitor's rep.")
    title: str | None = strawberry.field(description="WORKS_AT: job title.")
    department: str | None = strawberry.field(description="WORKS_AT: department.")
    polarity: Polarity | None = strawberry.field(description="INFLUENCES: for or against us.")
    basis: str | None = strawberry.field(description="INFLUENCES: what the influence rests on.")
    projectId: strawberry.ID | None = strawberry.field(
        description="INFLUENCES: the project the influence is limited to; null: everywhere."
    )
    role: str | None = strawberry.field(description="Role. " + ROLE_DOC)
    stance: Stance | None = strawberry.field(description="PARTICIPATES_IN: stance.")
    concerns: str | None = strawberry.field(description="PARTICIPATES_IN: concerns.")

    fromNode = by_parent(
        nodes_r.node, Node | None, "The start node (batched per request).", key="fromId"
    )
    toNode = by_parent(nodes_r.node, Node | None, "The end node (batched per request).", key="toId")


@strawberry.type(description="One recorded change of a participant's stance on a project (R3).")
class StanceHistoryEntry:
    id: strawberry.ID = strawberry.field(description="Id of the change.")
    projectId: strawberry.ID = strawberry.field(description="The project.")
    personId: strawberry.ID = strawberry.field(description="Whose stance changed.")
    from_: Stance | None = strawberry.field(
        name="from", description="Stance before; null for the first recorded stance."
    )
    to: Stance | None = strawberry.field(description="Stance after; null when it was cleared.")
    at: dt.datetime = strawberry.field(description="When it changed.")
    by: str = strawberry.field(description="Who changed it (a user id).")


@strawberry.input(
    description="Properties of an edge. Only those of the edge's type may be set (VALIDATION "
    "naming the field otherwise); text is trimmed, blank means absent."
)
class EdgeFields:
    since: dt.date | None = optional("Valid from (inclusive).")
    until: dt.date | None = optional("Valid until (exclusive); after `since`.")
    kind: str | None = optional(KIND_DOC)
    ownership: float | None = optional("SUBSIDIARY_OF / INVESTS_IN: 0..1.")
    products: str | None = optional("SUPPLIES / INCUMBENT_AT: ≤ 500.")
    region: str | None = optional("DISTRIBUTES_FOR: ≤ 100.")
    note: str | None = optional("PARTNERS_WITH / INFLUENCES_PURCHASE: ≤ 500.")
    strength: float | None = optional("INFLUENCES_PURCHASE / INFLUENCES / KNOWS: 0..1.")
    satisfaction: float | None = optional("INCUMBENT_AT: 0..1.")
    repName: str | None = optional("INCUMBENT_AT: ≤ 100.")
    title: str | None = optional("WORKS_AT: ≤ 100.")
    department: str | None = optional("WORKS_AT: ≤ 100.")
    polarity: Polarity | None = optional("INFLUENCES.")
    basis: str | None = optional("INFLUENCES: ≤ 300.")
    role: str | None = optional(ROLE_DOC)
    stance: Stance | None = optional(
        "PARTICIPATES_IN; every change is recorded in the stance history."
    )
    concerns: str | None = optional("PARTICIPATES_IN: ≤ 500.")


@strawberry.input(description="A new edge between two existing nodes.")
class LinkInput(EdgeFields):
    type: Rel = strawberry.field(
        description="The edge type; the endpoints' kinds must match it (VALIDATION otherwise)."
    )
    from_: strawberry.ID = strawberry.field(
        name="from", description="Start node id (merged ids resolve to the survivor)."
    )
    to: strawberry.ID = strawberry.field(
        description="End node id; not the start node. SUBSIDIARY_OF and REPORTS_TO refuse "
        "an edge that would close a cycle (CYCLE)."
    )
    projectId: strawberry.ID | None = optional(
        "INFLUENCES only: limit the influence to this project (NOT_FOUND if none)."
    )


@strawberry.input(description="Changes to an edge. Omitted fields stay; null clears.")
class UpdateLinkInput(EdgeFields):
    id: strawberry.ID = strawberry.field(description="The relationship to change.")
    expectedVersion: int = strawberry.field(
        description="The version you read; a stale one gives CONFLICT and nothing is written."
    )


@strawberry.input(description="End an edge: it stays as history with `until` set.")
class EndLinkInput:
    id: strawberry.ID = strawberry.field(description="The relationship to end.")
    until: dt.date | None = strawberry.field(
        default=None,
        description="End date (exclusive); default today (the business day, China time).",
    )
    expectedVersion: int | None = strawberry.field(
        default=None, description="Optional; when given, a stale version gives CONFLICT."
    )
    endReportingLines: bool = strawberry.field(
        default=True,
        description="On a WORKS_AT (a person leaving a company): also end, on the same date, "
        "the person's open REPORTS_TO edges either way with people who worked there on their "
        "last day, unless the two still share another employer (listed in `alsoEnded`). "
        "False leaves them open. Ignored for other types.",
    )


@strawberry.input(description="Delete an edge (a mistake rather than history).")
class UnlinkInput(NodeRefInput):
    id: strawberry.ID = strawberry.field(description="The relationship to delete.")


@strawberry.input(description="Change a participant's stance on a project (R3).")
class SetStanceInput:
    project: strawberry.ID = strawberry.field(description="The project.")
    person: strawberry.ID = strawberry.field(
        description="The participant; needs a current PARTICIPATES_IN edge (NOT_FOUND otherwise)."
    )
    stance: Stance = strawberry.field(description="The new stance.")
    expectedVersion: int | None = strawberry.field(
        default=None, description="Optional version of the PARTICIPATES_IN edge."
    )


@strawberry.input(description="Hand a customer over to another staff member (R6).")
class TransferOwnershipInput:
    customer: strawberry.ID = strawberry.field(description="The customer (company or person).")
    toUser: strawberry.ID = strawberry.field(description="The new owner (a User).")


RelationshipPayload = payload_type(
    "RelationshipPayload",
    "Result of a relationship mutation.",
    relationship=(
        Relationship | None,
        "The edge after the change (unlink: as it was); null when `errors` is not empty.",
    ),
    alsoEnded=(
        list[Relationship],
        "Edges the change ended along with it: endLink on a WORKS_AT lists the reporting "
        "lines it ended (see `endReportingLines`; at most 200); empty otherwise.",
    ),
)


@strawberry.type
class Query:
    @strawberry.field(
        description="One relationship by its id, whatever its type; null when missing or "
        "when the viewer may not see both of its ends.",
        graphql_type=Relationship | None,
    )
    async def relationship(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A relationship id.")],
    ) -> EdgeRow | None:
        return await r.relationship(info.context, id)

    @strawberry.field(
        description="Stance changes on a project (R3), newest first, at most `first` (≤ 100); "
        "empty when the viewer may not see the project, and only about people they may see.",
        graphql_type=list[StanceHistoryEntry],
    )
    async def stanceHistory(
        self,
        info: Info,
        project: Annotated[strawberry.ID, ID_ARG],
        person: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this participant.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="How many, 1..100.")] = 50,
    ) -> list[StanceChangeRow]:
        return await r.stance_history(info.context, project, person, first)


@strawberry.type
class Mutation:
    linkNodes = input_mutation(
        LinkInput,
        r.link_nodes,
        RelationshipPayload,
        "Link two nodes with an edge of any type. Errors: VALIDATION (endpoint "
        "kinds, properties of another type, ranges, dates), NOT_FOUND (also an end the viewer "
        "may not see), FORBIDDEN (edit rights: one end for most types, every account end for "
        "WORKS_AT, FOR, ON_TEAM, KNOWS and SUBSIDIARY_OF, the account held for OWNS; any write "
        "by AUDITOR or ANALYST), CYCLE, DUPLICATE (an edge of the type between the same nodes "
        "overlaps these dates), CONFLICT (a second parent beside a BRANCH or DIVISION "
        "SUBSIDIARY_OF on some day). Audited.",
    )

    updateLink = input_mutation(
        UpdateLinkInput,
        r.update_link,
        RelationshipPayload,
        "Change an edge's properties with optimistic concurrency (CONFLICT when "
        "stale). A stance change is recorded in the stance history. NOT_FOUND unless the "
        "viewer sees both ends; FORBIDDEN without the edit rights linkNodes needs; new dates "
        "or kind are checked as linkNodes checks them (CYCLE, DUPLICATE, CONFLICT).",
    )

    endLink = input_mutation(
        EndLinkInput,
        r.end_link,
        RelationshipPayload,
        "End an edge (sets `until`); it stays as history. Access as updateLink. Ending a "
        "WORKS_AT also ends the person's reporting lines at that company (see "
        "`endReportingLines`, listed in `alsoEnded`, each audited); INFLUENCES edges stay open.",
    )

    unlink = input_mutation(
        UnlinkInput,
        r.unlink,
        RelationshipPayload,
        "Delete an edge for good. The audit trail stays. Access as updateLink.",
    )

    setStance = input_mutation(
        SetStanceInput,
        r.set_stance,
        RelationshipPayload,
        "Set a participant's stance on a project; the change is recorded (R3). "
        "NOT_FOUND unless the viewer sees the person and the project.",
    )

    transferOwnership = input_mutation(
        TransferOwnershipInput,
        r.transfer_ownership,
        RelationshipPayload,
        "Hand a customer over (R6): its current OWNS edges end today and the new "
        "owner's starts today, in one transaction. The viewer must hold the account: be its "
        "owner, on the owner's team, a manager above it, or ADMIN (an EDIT share is not "
        "enough: FORBIDDEN); NOT_FOUND when they cannot see it.",
    )
