"""Lists as Relay connections: companies, people, projects and customers.

`first` is required (1..100); `after` is a cursor this API issued for the same `orderBy`.
The page costs one round trip; `totalCount` one more, and only when the query selects it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from graph import lists
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.pages import connection as page_of
from resolvers.pages import decode_cursor, encode_cursor
from resolvers.shapes import ConnectionOf, NodeRow


class ListOrder(Enum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    UPDATED_ASC = "UPDATED_ASC"
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"


def _plain(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in filters.items()}


async def connection(
    ctx: Context,
    scope: str,
    first: int,
    after: str | None,
    order: ListOrder,
    filters: dict[str, Any],
    with_total: bool = True,
) -> ConnectionOf[NodeRow]:
    limit = page_size(first)
    position: tuple[str, str] | None = None
    if after:
        order_name, key, node_id = decode_cursor(after, 3)
        if order_name != order.value:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, "this cursor belongs to another orderBy", "after"
            )
        position = (key, node_id)
    page = await lists.page(
        ctx.db, ctx.actor, scope, order.value, limit, position, _plain(filters), with_total
    )
    items = [
        (encode_cursor(order.value, str(r["sortKey"]), r["node"]["id"]), r["node"])
        for r in page.rows
    ]
    return page_of(items, page.has_next, after, page.total)
