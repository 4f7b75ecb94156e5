"""Field history (R9, R23): old and new values of a node's dynamic fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import history as r
from resolvers.shapes import ConnectionOf
from schema.base import ID_ARG, Info, page_type, wants_total


@strawberry.type(
    description="One change of a dynamic field (动态信息): the value before and after, when "
    "and by whom. Values are masked exactly as the live field is for this viewer (e.g. a "
    "mobile as `+86138****5678` for SALES, nothing for ANALYST)."
)
class FieldHistoryEntry:
    id: strawberry.ID = strawberry.field(description="Change id.")
    targetId: strawberry.ID = strawberry.field(description="The node changed.")
    targetLabel: str = strawberry.field(description="Its type: Company, Person or Project.")
    field: str = strawberry.field(
        description="The field, e.g. `mobile`, `owner` (user ids) or `custom.<key>`."
    )
    oldValue: JSON | None = strawberry.field(description="The value before; null when unset.")
    newValue: JSON | None = strawberry.field(description="The value after; null when removed.")
    at: dt.datetime = strawberry.field(description="When it changed.")
    by: str = strawberry.field(description="The user id who changed it.")
    requestId: str | None = strawberry.field(
        description="The request that made the change (as in the audit trail): null "
        "unless the viewer made it or reads everything (ADMIN, AUDITOR, ANALYST)."
    )
    mergedFrom: strawberry.ID | None = strawberry.field(
        description="The merged record whose field this was, when its history came to this "
        "node with a merge (mergeCompanies, mergePeople); null for the node's own changes."
    )


FieldHistoryConnection = page_type(
    FieldHistoryEntry,
    "FieldHistory",
    "A change",
    "a field's history, newest first",
    "The change.",
)


@strawberry.type
class Query:
    @strawberry.field(
        description="The history of one dynamic field of a node, newest first (R9, R23): "
        "Person mobile, officePhone, email, idNumber, lifecycleStage, owner; Company phone, "
        "settlementMethod, bankAccount, visitCycleDays, lifecycleStage, owner; Project "
        "status, stage, amount, currency, expectedClose, winProbability, "
        "winProbabilityReason, lostReason, lostNote; and `custom.<key>` for custom fields "
        "marked dynamic. Empty when the node does not exist or the viewer may not see it; a "
        "field without history gives BAD_USER_INPUT at `field`. 2-3 round trips.",
        graphql_type=FieldHistoryConnection,
    )
    async def fieldHistory(
        self,
        info: Info,
        node: Annotated[strawberry.ID, ID_ARG],
        field: Annotated[str, strawberry.argument(description="The field name.")],
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> ConnectionOf[dict[str, Any]]:
        return await r.field_history(info.context, node, field, first, after, wants_total(info))
