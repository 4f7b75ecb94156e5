"""Look-ups by id across types, and audit trails."""

from __future__ import annotations

import base64
from typing import Any

from graph import nodes
from graph.db import Row
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.loaders import loader
from resolvers.masking import present, present_all

MAX_IDS = 100


def page_size(first: int, field: str = "first") -> int:
    if first < 1 or first > 100:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`first` must be between 1 and 100", field)
    return first


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode()


def decode_cursor(cursor: str, parts: int, field: str = "after") -> list[str]:
    try:
        values = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except (ValueError, UnicodeDecodeError):
        values = []
    if len(values) != parts:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", field)
    return values


def _node_loader(ctx: Context) -> Any:
    async def batch(ids: list[str]) -> list[Row | None]:
        found = await nodes.by_ids(ctx.db, None, ids)
        return [found.get(i) for i in ids]

    return loader(ctx, "node", batch)


async def node(ctx: Context, node_id: str) -> Row | None:
    result: Row | None = await _node_loader(ctx).load(node_id)
    return present(ctx, result)


async def nodes_by_ids(ctx: Context, ids: list[str]) -> list[Row | None]:
    if len(ids) > MAX_IDS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_IDS} ids", "ids")
    result: list[Row | None] = await _node_loader(ctx).load_many(ids)
    return present_all(ctx, result)


async def audit_trail(ctx: Context, node_id: str, first: int, after: str | None) -> dict[str, Any]:
    limit = page_size(first)
    position = tuple(decode_cursor(after, 2)) if after else None
    events, total = await nodes.audit_trail(ctx.db, node_id, limit + 1, position)  # type: ignore[arg-type]
    page = events[:limit]
    edges = [{"cursor": encode_cursor(str(e["at"]), e["id"]), "node": e} for e in page]
    return {
        "edges": edges,
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": len(events) > limit,
            "hasPreviousPage": after is not None,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
