"""Change review (R20): change requests, their queue, and the decisions on them.

Who may do what:
- `changeRequests`: every authenticated viewer; only requests whose target node the viewer
  may see are listed or counted. Values are shown as the field itself would be (masked for
  roles without the read right).
- `approveChangeRequest`, `rejectChangeRequest`: ADMIN, or a MANAGER of the requester's team
  or a team above it who may edit the target; never the requester.
- `withdrawChangeRequest`: the requester only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import review as r
from resolvers.review import Action, ChangeRequestRow, ChangeRequestStatus, ChangeSource
from resolvers.shapes import ConnectionOf, NodeRow
from schema.base import (
    Info,
    Node,
    bound,
    input_mutation,
    optional,
    page_type,
    payload_type,
    vocab_enum,
    wants_total,
)

vocab_enum(
    ChangeSource,
    "Who asked for a change.",
    {
        "STAFF": "Our own staff; only fields marked for review wait for a reviewer.",
        "CUSTOMER": "The customer asked for it; every field of it waits for a reviewer.",
    },
)
vocab_enum(
    ChangeRequestStatus,
    "Where a change request stands.",
    {
        "PENDING": "Waiting for a reviewer; nothing has been applied.",
        "APPROVED": "Applied to the record.",
        "REJECTED": "Refused by a reviewer; the record was left as it was.",
        "WITHDRAWN": "Withdrawn by the requester; the record was left as it was.",
    },
)


@strawberry.input(description="Review options of an update (R20).")
class ReviewRequestInput:
    requestedBy: ChangeSource = strawberry.field(
        default=ChangeSource.STAFF,
        description="CUSTOMER when the customer asked for this change: then every field of "
        "it becomes a change request, whatever the viewer's roles. STAFF by default.",
    )
    changeReason: str | None = optional(
        "Why; recorded on the change request this update files (≤ 500 "
        "characters). Required when `requestedBy` is CUSTOMER."
    )


@strawberry.type(description="One field of a change request, before and after.")
class FieldChange:
    field: str = strawberry.field(
        description="The field, as named in the update input (`customer` for the customer "
        "role itself, customer profile fields by their own names, e.g. `tier`)."
    )
    oldValue: JSON | None = strawberry.field(
        description="The stored value when the request was filed (dates as ISO text); "
        "masked or null when the viewer may not read the field in full."
    )
    newValue: JSON | None = strawberry.field(
        description="The requested value; null clears the field. Masked as `oldValue`."
    )
    masked: bool = strawberry.field(
        description="True when the values are masked or hidden for this viewer."
    )


@strawberry.type(
    description="A change held for review (R20): filed by an update that touched fields the "
    "requester may not change directly, or that the customer asked for. Nothing of it is "
    "applied until it is approved."
)
class ChangeRequest:
    id: strawberry.ID = strawberry.field(description="Change request id (UUID).")
    status: ChangeRequestStatus = strawberry.field(description="Where the request stands.")
    source: ChangeSource = strawberry.field(description="Who asked for the change.")
    targetId: strawberry.ID = strawberry.field(description="Id of the record to change.")
    targetLabel: str = strawberry.field(description="Its type: Company or Person.")
    fields: list[str] = strawberry.field(description="Names of the fields to change.")
    reason: str | None = strawberry.field(description="Why, as the requester gave it.")
    baseVersion: int = strawberry.field(
        description="The record's version when the request was filed; approval applies the "
        "change only while the record is still at this version (else CONFLICT)."
    )
    requestedBy: strawberry.ID = strawberry.field(description="User id of the requester.")
    requestedAt: dt.datetime = strawberry.field(description="When the request was filed.")
    decidedBy: strawberry.ID | None = strawberry.field(
        description="User id of whoever approved, rejected or withdrew it; null while pending."
    )
    decidedAt: dt.datetime | None = strawberry.field(description="When it was decided.")
    decisionNote: str | None = strawberry.field(description="Why it was decided so.")

    @strawberry.field(
        description="The changes, field by field (at most the fields of one update).",
        graphql_type=list[FieldChange],
    )
    def changes(
        self, info: Info, root: strawberry.Parent[ChangeRequestRow]
    ) -> list[dict[str, Any]]:
        return r.changes(info.context, root)

    @strawberry.field(
        description="The record to change, as it is now (masked as usual); one batched round "
        "trip per request when not already loaded with the list.",
        graphql_type=Node | None,
    )
    async def target(self, info: Info, root: strawberry.Parent[ChangeRequestRow]) -> NodeRow | None:
        return await r.target(info.context, root)


ChangeRequestConnection = page_type(
    ChangeRequest,
    "ChangeRequest",
    "A change request",
    "change requests, newest first",
    "The change request.",
)


@strawberry.input(description="Approve, reject or withdraw a change request.")
class ChangeRequestDecisionInput:
    id: strawberry.ID = strawberry.field(description="The change request.")
    note: str | None = optional("Why (≤ 500 characters); required to reject, optional otherwise.")


ChangeRequestPayload = payload_type(
    "ChangeRequestPayload",
    "Result of a decision on a change request.",
    errors="Expected failures (NOT_FOUND, FORBIDDEN, CONFLICT, VALIDATION); nothing was "
    "written then.",
    changeRequest=(
        ChangeRequest | None,
        "The request after the decision; null when `errors` is not empty.",
    ),
    node=(
        Node | None,
        "The record after the decision (changed only by an approval); null when `errors` is "
        "not empty.",
    ),
)


def filed(root: dict[str, Any]) -> list[ChangeRequestRow]:
    """A node payload's `changeRequests` (creates and archives file none)."""
    found: list[ChangeRequestRow] = root.get("changeRequests") or []
    return found


def payload_fields() -> dict[str, Any]:
    """The fields review adds to a node kind's payloads (a fresh field for each type)."""

    def change_requests(root: strawberry.Parent[dict[str, Any]]) -> list[ChangeRequestRow]:
        return filed(root)

    return {
        "changeRequests": strawberry.field(
            resolver=change_requests,
            graphql_type=list[ChangeRequest],
            description="Change requests this mutation filed (R20): the fields it held for a "
            "reviewer instead of applying; empty when everything was applied.",
        )
    }


@strawberry.type
class Query:
    @strawberry.field(
        description="Change requests whose record the viewer may see, newest first; "
        "keyset-paginated, `first` 1..100. One round trip a page, one more for `totalCount`.",
        graphql_type=ChangeRequestConnection,
    )
    async def changeRequests(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, required, 1..100.")],
        after: Annotated[
            str | None, strawberry.argument(description="Continue after this cursor.")
        ] = None,
        status: Annotated[
            ChangeRequestStatus | None,
            strawberry.argument(description="Only requests in this status."),
        ] = None,
        target: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only requests to change this record."),
        ] = None,
        requestedBy: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only requests filed by this user."),
        ] = None,
    ) -> ConnectionOf[ChangeRequestRow]:
        return await r.change_requests(
            info.context, status, target, requestedBy, first, after, wants_total(info)
        )


@strawberry.type
class Mutation:
    approveChangeRequest = input_mutation(
        ChangeRequestDecisionInput,
        bound(r.decide, Action.APPROVE),
        ChangeRequestPayload,
        "Approve a pending change request: its changes are applied in one "
        "transaction with the version check against `baseVersion` (CONFLICT when the record "
        "changed since; the request then stays PENDING). ADMIN, or a MANAGER of the "
        "requester's team or above who may edit the record; never the requester. Audited.",
    )
    rejectChangeRequest = input_mutation(
        ChangeRequestDecisionInput,
        bound(r.decide, Action.REJECT, note_required=True),
        ChangeRequestPayload,
        "Reject a pending change request with a note; the record is left as it "
        "is. Who may: as for approveChangeRequest. Audited.",
    )
    withdrawChangeRequest = input_mutation(
        ChangeRequestDecisionInput,
        bound(r.decide, Action.WITHDRAW),
        ChangeRequestPayload,
        "Withdraw your own pending change request; the record is left as it is. "
        "Only the requester. Audited.",
    )
