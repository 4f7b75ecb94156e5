"""Look-ups by id across types, and audit trails."""

from __future__ import annotations

from typing import Any

from graph import nodes
from resolvers.args import page_size
from resolvers.context import REQUEST_ID, Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.loaders import loader
from resolvers.pages import time_ordered, time_position
from resolvers.shapes import AuditEventRow, ConnectionOf, NodeRow

MAX_IDS = 100


def _node_loader(ctx: Context) -> Any:
    async def batch(ids: list[str]) -> list[NodeRow | None]:
        found = await nodes.by_ids(ctx.db, ctx.actor, None, ids)
        return [found.get(i) for i in ids]

    return loader(ctx, "node", batch)


async def node(ctx: Context, node_id: str) -> NodeRow | None:
    result: NodeRow | None = await _node_loader(ctx).load(node_id)
    return result


async def nodes_by_ids(ctx: Context, ids: list[str]) -> list[NodeRow | None]:
    if len(ids) > MAX_IDS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_IDS} ids", "ids")
    result: list[NodeRow | None] = await _node_loader(ctx).load_many(ids)
    return result


async def audit_trail(
    ctx: Context, node_id: str, first: int, after: str | None
) -> ConnectionOf[AuditEventRow]:
    limit = page_size(first)
    position = time_position(after, "auditTrail", [node_id])
    events, total = await nodes.audit_trail(ctx.db, ctx.actor, node_id, limit + 1, position)
    return time_ordered(
        events, limit, after, total, lambda e: (str(e["at"]), e["id"]), "auditTrail", [node_id]
    )


async def request_events(ctx: Context, request_id: str) -> list[AuditEventRow]:
    """`writesOfRequest`: what one request wrote, as far as the viewer may read it."""
    if not REQUEST_ID.fullmatch(request_id):
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            "not a request id: 1..64 letters, digits and . _ : -, as X-Request-Id keeps them",
            "requestId",
        )
    return await nodes.request_events(ctx.db, ctx.actor, request_id)
