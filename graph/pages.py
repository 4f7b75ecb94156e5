"""Keyset pages: the rows after the last one a client saw, and their total when asked.

A paged statement orders by a sort value and the id, and reads its position as `$<key>` (the
sort value: `$afterAt`, `$afterScore`, ...) and `$afterId`, both null on the first page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from graph.db import Cypher, Database, Row


def after(position: tuple[Any, str] | None, key: str = "afterAt") -> dict[str, Any]:
    """The parameters of a cursor position `(sort value, id)`; None: the first page."""
    return {key: position[0] if position else None, "afterId": position[1] if position else None}


async def read(
    db: Database,
    page: Cypher,
    count: Cypher,
    params: Mapping[str, Any],
    position: Mapping[str, Any],
    limit: int,
    with_total: bool,
) -> tuple[list[Row], int | None]:
    """`limit` rows of `page` after `position`, then, when asked, the `total` that `count`
    finds with the same filters (`params`, without the position)."""
    rows = await db.read(page, {**params, **position, "limit": limit})
    total = (await db.read(count, params))[0]["total"] if with_total else None
    return rows, total


RowT = TypeVar("RowT", bound=Mapping[str, Any])


async def every(next_page: Callable[[str], Awaitable[Sequence[RowT]]]) -> AsyncIterator[RowT]:
    """Every row of a walk page by page in id order: `next_page(after)` answers the rows with
    ids above `after` ("" at first), and an empty page after the last."""
    after = ""
    while page := await next_page(after):
        for row in page:
            yield row
        after = page[-1]["id"]
