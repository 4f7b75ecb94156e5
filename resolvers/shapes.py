"""What resolvers hand to the schema: the repositories' row shapes (re-exported, since schema/
never imports graph/) and the payloads resolvers build around them.

The schema's resolver methods are annotated with these shapes and name their GraphQL type in
`graphql_type=`, so mypy checks each hand-over instead of being told to look away.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

from graph import clock
from graph.rows import ApiKeyRow as ApiKeyRow
from graph.rows import AuditEventRow as AuditEventRow
from graph.rows import EdgeRow as EdgeRow
from graph.rows import EmploymentRow as EmploymentRow
from graph.rows import NodeRow as NodeRow
from graph.rows import ShareRow as ShareRow
from graph.rows import StanceChangeRow as StanceChangeRow
from graph.rows import TeamRow as TeamRow

T = TypeVar("T")

# One `payload_error` entry.
UserErrorRow = dict[str, Any]
# A node mutation's payload: `{<company|person|project|user>: node, "errors": [...]}` (plus
# `created` and `changedFields` for upserts). The key varies with the label, hence a dict.
NodePayload = dict[str, Any]


class EdgePayload(TypedDict):
    relationship: EdgeRow | None
    alsoEnded: list[EdgeRow]
    errors: list[UserErrorRow]


class DeleteRow(TypedDict):
    deletedId: str | None
    errors: list[UserErrorRow]


class MovedRow(TypedDict):
    type: str
    count: int


class MergeRow(TypedDict):
    survivor: NodeRow | None
    mergedIds: list[str]
    movedEdges: int
    movedByType: list[MovedRow]
    collapsedByType: list[MovedRow]
    plansRetargeted: int
    plansCombined: int
    sharesEnded: int
    copiedFields: list[str]
    droppedFields: list[str]
    dryRun: bool
    errors: list[UserErrorRow]


class SearchHitRow(TypedDict):
    id: str
    kind: str
    name: str | None
    nameEn: str | None
    score: float
    node: NodeRow


class PageInfoRow(TypedDict):
    hasNextPage: bool
    hasPreviousPage: bool
    startCursor: str | None
    endCursor: str | None


class EdgeOf(TypedDict, Generic[T]):
    cursor: str
    node: T


class ConnectionOf(TypedDict, Generic[T]):
    """A Relay page of `T`; `nodes` only on lists, `totalCount` None unless selected."""

    edges: list[EdgeOf[T]]
    nodes: NotRequired[list[T]]
    pageInfo: PageInfoRow
    totalCount: int | None


_MINUTE = dt.timedelta(minutes=1)  # offsets are whole minutes, in and out


def instant_text(value: Any) -> str:
    """A DateTime as the API writes every one: in the business zone (CRM_TIMEZONE, the
    calendar days and periods are counted in) with its offset, to the microsecond at most
    (Neo4j keeps nanoseconds; Python and most clients keep microseconds or less)."""
    if isinstance(value, str):  # maps format temporals in Cypher (graph/maps.py)
        return value
    native = value.to_native() if hasattr(value, "to_native") else value
    return str(clock.fixed(native).isoformat())


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Neo4j keeps offsets within ±18:00 (Python's reach ±23:59): a wider one would be refused by
# the database, as an internal error, after the request had passed every check.
_MAX_OFFSET = dt.timedelta(hours=18)


def parse_date(text: str) -> dt.date:
    """A calendar date as the API documents it, YYYY-MM-DD: not the basic (20120304) or week
    (2012-W10-7) forms Python's parser also reads, which a client never meant."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    return dt.date.fromisoformat(text)


def parse_instant(text: str, keep_offset: bool = False) -> dt.datetime:
    """An ISO-8601 date and time in the extended form, its offset (if any) within ±18:00,
    moved to the business zone's offset (graph/clock.py `fixed`) unless `keep_offset`."""
    example = "must be a date and time, e.g. 2026-03-01T10:00:00+08:00"
    if not isinstance(text, str) or not _DATE.match(text) or text[10:11] not in ("T", " "):
        raise ValueError(example)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:  # Python's message quotes the text; the calendar's does not
        raise ValueError(example if "'" in str(exc) else str(exc)) from None
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > _MAX_OFFSET:
        raise ValueError("the offset must be within ±18:00")
    if offset is not None and offset % _MINUTE:
        # The driver cannot send it (whole minutes only), nor does ISO 8601 write it.
        raise ValueError("the offset must be whole minutes, e.g. +08:00")
    if offset is not None:
        try:  # 9999-12-31T23:59-12:00 is in year 10000 in UTC, which no store keeps
            moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("must fall within the years 1 to 9999 in UTC") from None
        if not keep_offset:
            try:
                return clock.fixed(moment)
            except OverflowError:  # 9999-12-31T23:00Z is in year 10000 in Beijing
                raise ValueError("must fall within the years 1 to 9999") from None
    return moment
