"""What every domain shares: scalars, the Node interface, pages, payload errors, the resolver
`Info`, the mutation `INPUT` argument and the archive/delete input and payload."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.enum import has_enum_definition

from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.vocab import LABELS, Rel


def _iso(value: Any) -> str:
    if isinstance(value, str):  # maps format temporals in Cypher (graph/maps.py)
        return value
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


def vocab_enum(
    py_enum: type[Enum],
    description: str,
    values: dict[str, str] | None = None,
    name: str | None = None,
) -> None:
    """Register a Python enum with GraphQL, describing each value by its Chinese and English
    labels from graph.vocab.LABELS (or by `values`)."""
    registered = strawberry.enum(py_enum, name=name, description=description)
    assert has_enum_definition(registered)
    for value_def in registered.__strawberry_definition__.values:
        member = py_enum[value_def.name]
        if values and value_def.name in values:
            value_def.description = values[value_def.name]
        elif member in LABELS:
            zh, en = LABELS[member]
            value_def.description = f"{zh} / {en}"


vocab_enum(
    ErrorCode,
    "Machine-readable error codes, in payload `errors` and in `extensions.code`.",
    {
        "VALIDATION": "An input value is malformed or out of range; `field` names it.",
        "NOT_FOUND": "A referenced id does not exist.",
        "CONFLICT": "`expectedVersion` is stale: someone changed the record first.",
        "DUPLICATE": "A unique key (customer code, external id) is taken.",
        "CYCLE": "The edge would close a cycle in a hierarchy or reporting line.",
        "FORBIDDEN": "The viewer may not do this.",
        "UNAUTHENTICATED": "No valid API key.",
        "BAD_USER_INPUT": "A query argument is out of its documented range.",
        "DATABASE_UNAVAILABLE": "Neo4j cannot be reached; retry shortly.",
        "INTERNAL": "An unexpected error; quote the request id.",
    },
)


Info = strawberry.Info[Context, None]
ID_ARG = strawberry.argument(description="A node id (UUID); merged ids resolve to the survivor.")
INPUT = strawberry.argument(description="The mutation's input.")


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


@strawberry.interface(
    description="A stored record: versioned for optimistic concurrency, timestamped, and "
    "optionally keyed by its id in a source system (for idempotent imports)."
)
class Record(Node):
    externalSource: str | None = strawberry.field(description="Source system of `externalId`.")
    externalId: str | None = strawberry.field(
        description="Id in the source system; unique per source and type."
    )
    version: int = strawberry.field(
        description="Optimistic-concurrency version; pass it as `expectedVersion` when updating."
    )
    createdAt: dt.datetime = strawberry.field(description="When the record was created.")
    updatedAt: dt.datetime = strawberry.field(description="When the record last changed.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When it was archived; archived records leave lists."
    )


@strawberry.input(description="The record's id in a source system; give both or neither.")
class ExternalRefInput:
    externalSource: str | None = strawberry.field(
        default=strawberry.UNSET, description="Source system (with externalId), ≤ 100."
    )
    externalId: str | None = strawberry.field(
        default=strawberry.UNSET, description="Id in the source system, ≤ 200."
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


@strawberry.input(description="Archive or delete a node.")
class NodeRefInput:
    id: strawberry.ID = strawberry.field(description="The node.")
    expectedVersion: int | None = strawberry.field(
        default=None, description="Optional; when given, a stale version gives CONFLICT."
    )


@strawberry.type(description="Result of a delete.")
class DeletePayload:
    deletedId: strawberry.ID | None = strawberry.field(description="The id that was deleted.")
    errors: list[UserError] = strawberry.field(description="Expected failures.")


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


vocab_enum(
    Rel, "Relationship types: the closed vocabulary of edges (docs/MODEL.md).", name="EdgeType"
)
