"""Relay pages: opaque cursors, and the one place a connection dict is built."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

from graph import crypto
from resolvers.errors import ApiError, ErrorCode
from resolvers.shapes import ConnectionOf, EdgeOf, parse_instant

T = TypeVar("T")
CURSOR = "cursor"  # what a sealed cursor is for (graph/crypto.py Keyring.seal)

# The list a cursor belongs to, its first part: a cursor of one list, whose parts may read
# as well in another (a time and an id, a name and an id), is refused there.
Tag = Literal[
    "companies",
    "people",
    "projects",
    "customers",
    "timeline",
    "followUps",
    "products",
    "auditTrail",
    "fieldHistory",
    "changeRequests",
    "duplicateCandidates",
    "scoreHistory",
    "churnWarnings",
    "classificationReviews",
    "classificationChanges",
    "knowledgeSearch",
    "transferJobs",
]


def _list_key(tag: Tag, of: object) -> str:
    """The list a cursor belongs to: its tag, and a digest of the arguments that choose its
    rows (a timeline's party and kinds, a list's filters), so that a cursor of one party's
    timeline skips no rows of another's in silence (tester BM)."""
    if isinstance(of, dict):
        of = {k: v for k, v in of.items() if v not in (None, [], {})}
    elif isinstance(of, list) and all(v in (None, [], {}) for v in of):
        of = None
    if not of:  # the list as it is without arguments: a cursor names its tag alone
        return tag
    canonical = json.dumps(of, sort_keys=True, default=str, ensure_ascii=False)
    return f"{tag}#{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:16]}"


def encode_cursor(tag: Tag, *parts: str, of: object = None) -> str:
    """The opaque cursor of the item at `parts` of the list `tag` with the arguments `of`:
    sealed, since its sort key is a name, a score or an id that the client need not read (a
    hidden reference's id, an admin's hidden customer in a shared link), and one a client
    altered is refused (tester BH)."""
    return crypto.keyring().seal(CURSOR, "\x1f".join((_list_key(tag, of), *parts)))


def decode_cursor(
    tag: Tag, cursor: str, parts: int, field: str = "after", of: object = None
) -> list[str]:
    """The `parts` of a cursor `encode_cursor` made for the list `tag` with arguments `of`."""
    plain = crypto.keyring().unseal(CURSOR, cursor)
    values = [] if plain is None else plain.split("\x1f")
    if len(values) > 1 and values[0] != _list_key(tag, of):
        message = (
            "this cursor belongs to the same list with other arguments; page with the ones "
            "it came from"
            if values[0].partition("#")[0] == tag
            else "not a cursor of this list"
        )
        raise ApiError(ErrorCode.BAD_USER_INPUT, message, field)
    if len(values) != parts + 1:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", field)
    return values[1:]


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


def time_position(after: str | None, tag: Tag, of: object = None) -> tuple[str, str] | None:
    """Where a page in (time, id) order of the list `tag` (arguments `of`) continues: the
    position `after` names, if any."""
    if after is None:  # an empty cursor is no cursor, not the first page
        return None
    at, row_id = decode_cursor(tag, after, 2, of=of)
    if not is_time(at):
        raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after")
    return (at, row_id)


def time_ordered(
    rows: Sequence[T],
    limit: int,
    after: str | None,
    total: int | None,
    position: Callable[[T], tuple[str, str]],
    tag: Tag,
    of: object = None,
) -> ConnectionOf[T]:
    """A page of the list `tag` (arguments `of`), `rows` in (time, id) order, read `limit + 1`
    at a time (the extra row says there is a next page); `position` gives a row's (time, id)
    for its cursor."""
    items = [(encode_cursor(tag, *position(r), of=of), r) for r in rows[:limit]]
    return connection(items, len(rows) > limit, after, total)
