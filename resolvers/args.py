"""Query-argument checks, one message per check. A failure raises ApiError naming the
argument, which the client sees with `extensions.code` and `extensions.field`."""

from __future__ import annotations

import datetime as dt

import pycountry

from graph import clock
from resolvers.errors import ApiError, ErrorCode

MAX_PAGE = 100  # `first` on lists, as GitHub's API caps it


def check_range(value: int, low: int, high: int, field: str) -> int:
    if not low <= value <= high:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, f"`{field}` must be between {low} and {high}", field
        )
    return value


def currency(value: str, field: str = "currency") -> str:
    """An ISO 4217 code argument, upper-cased: one the standard lists, so that a typo (XYZ)
    is refused instead of answering with empty figures."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or pycountry.currencies.get(alpha_3=code) is None:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "an ISO 4217 code, e.g. CNY", field)
    return code


def page_size(first: int, high: int = MAX_PAGE, field: str = "first") -> int:
    return check_range(first, 1, high, field)


def not_found(what: str, ident: str, field: str) -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, f"No {what} with id {ident!r}.", field)


def as_of_or_today(as_of: dt.date | None) -> dt.date:
    # The business day (CRM_TIMEZONE): in UTC, an edge begun today in Beijing was missing
    # from every map until 08:00.
    return as_of or clock.today()


def zoned(*moments: tuple[str, dt.datetime | None]) -> None:
    """Instants given as arguments carry their offset: one without it would be compared as
    no instant at all (Neo4j) or read as UTC, silently missing eight hours of a China day."""
    for name, moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "needs a time-zone offset, e.g. +08:00", name)
