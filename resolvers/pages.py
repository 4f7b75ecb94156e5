"""Relay pages: opaque cursors, and the one place a connection dict is built."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from resolvers.errors import ApiError, ErrorCode
from resolvers.shapes import ConnectionOf, EdgeOf, parse_instant

T = TypeVar("T")


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


def connection(
    items: Sequence[tuple[str, T]], has_next: bool, after: str | None, total: int | None
) -> ConnectionOf[T]:
    """A page of (cursor, node) pairs; `after` is the cursor the page continued from."""
    edges: list[EdgeOf[T]] = [{"cursor": cursor, "node": node} for cursor, node in items]
    return {
        "edges": edges,
        "nodes": [node for _, node in items],
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": after is not None,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


# The time-ordered lists' cursors carry `str()` of a driver DateTime, which Cypher's
# datetime() parses: checked here first, as a tampered one (2026-02-30, hour 99, "yesterday")
# would otherwise fail in the database as an internal error.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?")


def is_time(text: str) -> bool:
    """Whether a cursor's sort value is a date-time the calendar has."""
    if not _DATE_TIME.fullmatch(text):
        return False
    try:
        parse_instant(text)  # the calendar (no February 30, no hour 99) and Neo4j's offsets
    except ValueError:
        return False
    return True


def time_position(after: str | None) -> tuple[str, str] | None:
    """Where a page in (time, id) order continues: the position `after` names, if any."""
    if not after:
        return None
    at, row_id = decode_cursor(after, 2)
    if not is_time(at):
        raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after")
    return (at, row_id)


def time_ordered(
    rows: Sequence[T],
    limit: int,
    after: str | None,
    total: int | None,
    position: Callable[[T], tuple[str, str]],
) -> ConnectionOf[T]:
    """A page of `rows` in (time, id) order, read `limit + 1` at a time (the extra row says
    there is a next page); `position` gives a row's (time, id) for its cursor."""
    items = [(encode_cursor(*position(r)), r) for r in rows[:limit]]
    return connection(items, len(rows) > limit, after, total)
