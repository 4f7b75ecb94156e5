"""Relay-style look-ups by id, and the audit trail of any node."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import node as r
from resolvers.shapes import AuditEventRow, ConnectionOf, NodeRow
from schema.base import ID_ARG, Info, Node, page_type


@strawberry.type(
    description="One audited change (R20): who did what to which fields. Values "
    "are never recorded, so personal data stays out of the trail."
)
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="Event id.")
    at: dt.datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(description="The user id (or `anonymous:demo`) that acted.")
    action: str = strawberry.field(description="What was done, e.g. `company.update`.")
    targetId: strawberry.ID = strawberry.field(description="The node changed.")
    targetLabel: str = strawberry.field(description="The node's type.")
    fields: list[str] = strawberry.field(description="Names of the fields changed.")
    requestId: str | None = strawberry.field(
        description="The request that made the change: null unless the viewer made it or "
        "reads everything (ADMIN, AUDITOR, ANALYST)."
    )


# As every other list's page: tester AO found `nodes` missing here alone.
AuditEventConnection = page_type(
    AuditEvent, "AuditEvent", "An audit event", "audit events, newest first", "The event."
)


@strawberry.type
class Query:
    @strawberry.field(
        description="A company, person, project or user by id; merged ids resolve to the "
        "survivor; null when there is none or the viewer may not see it. One round trip. "
        "Teams, records and custom field definitions, though they are nodes too, are read "
        "by `team(id)`, `record(id)` and `customFieldDefinitions`: null here.",
        graphql_type=Node | None,
    )
    async def node(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> NodeRow | None:
        return await r.node(info.context, id)

    @strawberry.field(
        description="Companies, people, projects and users by id, as `node`, in the order "
        "asked, null where missing or not visible to the viewer. At most 100 ids; one round "
        "trip.",
        graphql_type=list[Node | None],
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="At most 100 ids.")],
    ) -> list[NodeRow | None]:
        return await r.nodes_by_ids(info.context, list(ids))

    @strawberry.field(
        description="What one request wrote, oldest first: its audit events (at most 100), "
        "one per change. A client whose write got no answer (`WRITE_OUTCOME_UNKNOWN`, a "
        "dropped connection) looks here before sending it again: an empty list means the "
        "request saved nothing. The viewer's own requests; ADMIN, AUDITOR and ANALYST "
        "anyone's (no restricted person's). One round trip.",
        graphql_type=list[AuditEvent],
    )
    async def writesOfRequest(
        self,
        info: Info,
        requestId: Annotated[
            str,
            strawberry.argument(
                description="The request's id: the `X-Request-Id` it was sent with (1..64 "
                "letters, digits and `._:-`), else the one its answer (or its "
                "`WRITE_OUTCOME_UNKNOWN` error) carried."
            ),
        ],
    ) -> list[AuditEventRow]:
        return await r.request_events(info.context, requestId)

    @strawberry.field(
        description="The audit trail of a node, newest first, with the events of its "
        "ownership edges (hand-overs); empty unless the viewer may see the node (ADMIN, "
        "AUDITOR and ANALYST: any node, deleted ones too, but no restricted person); a staff "
        "user's trail only for those three roles. `first` is required, 1..100.",
        graphql_type=AuditEventConnection,
    )
    async def auditTrail(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARG],
        first: Annotated[int, strawberry.argument(description="Page size, 1..100.")],
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> ConnectionOf[AuditEventRow]:
        return await r.audit_trail(info.context, id, first, after)
