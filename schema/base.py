"""Types every domain shares: scalars, the Node interface, pages and payload errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers.errors import ErrorCode

__all__ = ["JSON", "SCALAR_MAP", "ErrorCode", "Node", "PageInfo", "UserError", "provided"]


def _iso(value: Any) -> str:
    # Neo4j's temporal types spell it iso_format(); Python's spell it isoformat().
    fmt = getattr(value, "iso_format", None) or value.isoformat
    return str(fmt())


DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 date and time with offset, e.g. 2026-11-23T09:30:00+08:00.",
    serialize=_iso,
    parse_value=dt.datetime.fromisoformat,
)
Date = strawberry.scalar(
    name="Date",
    description="An ISO-8601 calendar date, e.g. 2026-11-23.",
    serialize=_iso,
    parse_value=dt.date.fromisoformat,
)
SCALAR_MAP: dict[object, Any] = {dt.datetime: DateTime, dt.date: Date}

strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Machine-readable error codes, in payload `errors` and in `extensions.code`.",
)


@strawberry.type(description="An expected failure of a mutation. Nothing was written.")
class UserError:
    code: ErrorCode = strawberry.field(description="What kind of failure this is.")
    message: str = strawberry.field(description="A human-readable explanation, in English.")
    field: str | None = strawberry.field(
        description="Dotted path of the input field at fault, e.g. `input.since`; null when "
        "the failure is not about one field."
    )


@strawberry.interface(description="An object with a stable, globally unique id (a UUID).")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Globally unique, stable id (UUID). Merged records resolve to the survivor."
    )


@strawberry.type(description="Cursor pagination state (Relay).")
class PageInfo:
    hasNextPage: bool = strawberry.field(description="Whether more items follow this page.")
    hasPreviousPage: bool = strawberry.field(
        description="Whether items precede this page (true when `after` was given)."
    )
    startCursor: str | None = strawberry.field(description="Cursor of the first item.")
    endCursor: str | None = strawberry.field(
        description="Cursor of the last item; pass as `after` to get the next page."
    )


def provided(obj: Any) -> dict[str, Any]:
    """The fields a client actually sent in an input object (UNSET ones are left out), with
    nested inputs converted too. `None` stays: it means "clear this field"."""
    out: dict[str, Any] = {}
    for key, value in vars(obj).items():
        if value is strawberry.UNSET:
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = provided(value)
        out[key] = value
    return out
