"""What every domain shares: scalars, the Node interface, pages, payload errors, the resolver
`Info`, the mutation `INPUT` argument and the archive/delete input and payload."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import decimal
import inspect
import re
import types
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from types import ModuleType
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types.enum import has_enum_definition

from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.shapes import instant_text, parse_date, parse_instant
from resolvers.vocab import LABELS, Rel


def _iso(value: Any) -> str:
    if isinstance(value, str):  # maps format temporals in Cypher (graph/maps.py)
        return value
    # Neo4j's temporal types spell it iso_format(); Python's spell it isoformat().
    fmt = getattr(value, "iso_format", None) or value.isoformat
    return str(fmt())


DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 date and time with offset, e.g. 2026-11-23T09:30:00+08:00. "
    "Sent: any offset within ±18:00; one instant is the same instant at every offset (in "
    "filters, and in upserts that find nothing changed). Stored and answered in the business "
    "time zone (CRM_TIMEZONE, default Asia/Shanghai, +08:00), to the microsecond at most.",
    serialize=instant_text,
    parse_value=parse_instant,
)
Date = strawberry.scalar(
    name="Date",
    description="An ISO-8601 calendar date, e.g. 2026-11-23.",
    serialize=_iso,
    parse_value=parse_date,
)


DECIMAL_DIGITS, DECIMAL_PLACES = 20, 20


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def _decimal(value: object) -> decimal.Decimal:
    # A ValueError, not the GraphQLError strawberry's own Decimal raises: graphql-core then
    # names the refused value's place, inline as in a variable (schema/extensions.py).
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("expected a decimal number, as a string or a number")
    text = str(value)
    # Python's reading also takes "12_000", full-width digits and surrounding blanks: a
    # client sending those meant something else, or nothing. NaN and Infinity go on (below).
    if not (_PLAIN_DECIMAL.fullmatch(text) or _NOT_FINITE.fullmatch(text)):
        raise ValueError('not a decimal number: digits 0-9 and a point, e.g. "1234.50"')
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError("not a decimal number") from None
    # `1e-999999999` rounds to 0 and `1e999999999` overflows every sum: refused here, before
    # any field's own checks see them. (NaN and Infinity go on to those checks.)
    if number.is_finite() and (
        number.adjusted() >= DECIMAL_DIGITS or int(number.as_tuple().exponent) < -DECIMAL_PLACES
    ):
        raise ValueError(
            f"out of range: below 10^{DECIMAL_DIGITS}, at most {DECIMAL_PLACES} decimal places"
        )
    return number


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='A decimal number, sent as a string ("1234.50") or a number, answered as a string.',
    serialize=str,
    parse_value=_decimal,
)
SCALAR_MAP: dict[object, Any] = {
    dt.datetime: DateTime,
    dt.date: Date,
    decimal.Decimal: DecimalScalar,
}


# The display labels `enumLabels` serves, per GraphQL enum name: (value, zh, en) for each
# value. Filled as vocab_enum registers the enums whose values all carry a label (from
# LABELS, or a description written `中文 / English.`); `GRAPHQL_NAME` maps each registered
# Python enum to its GraphQL name.
ENUM_LABELS: dict[str, list[tuple[str, str, str]]] = {}
GRAPHQL_NAME: dict[type[Enum], str] = {}
_LABELLED = re.compile(r"([^/]*[\u4e00-\u9fff][^/]*) / ([^/]+?)\.?")


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
    labels: list[tuple[str, str, str]] = []
    for value_def in registered.__strawberry_definition__.values:
        member = py_enum[value_def.name]
        if values and value_def.name in values:
            value_def.description = values[value_def.name]
            if m := _LABELLED.fullmatch(value_def.description):
                labels.append((value_def.name, m[1].strip(), m[2].strip()))
        elif member in LABELS:
            zh, en = LABELS[member]
            value_def.description = f"{zh} / {en}"
            labels.append((value_def.name, zh, en))
    graphql_name = name or py_enum.__name__
    GRAPHQL_NAME[py_enum] = graphql_name
    if labels and len(labels) == len(registered.__strawberry_definition__.values):
        ENUM_LABELS[graphql_name] = labels


def enum_labels_table() -> dict[str, list[tuple[str, str, str]]]:
    """Every labelled vocabulary by the name a client meets: the GraphQL enums', and for the
    vocabularies the schema carries as plain strings (edge kinds such as DecisionRole), the
    vocabulary's own."""
    table = dict(ENUM_LABELS)
    for member, (zh, en) in LABELS.items():
        kind = type(member)
        if kind not in GRAPHQL_NAME:
            name = SAME_VALUES.get(kind.__name__, kind.__name__)
            table.setdefault(name, []).append((member.name, zh, en))
    return table


# Vocabularies whose values a GraphQL enum of another name spells alike: graph.vocab.Label is
# NodeKind (schema/maps.py) on the maps.
SAME_VALUES = {"Label": "NodeKind"}


vocab_enum(
    ErrorCode,
    "Machine-readable error codes, in payload `errors` and in `extensions.code`.",
    {
        "VALIDATION": "An input value is malformed or out of range; `field` names it.",
        "NOT_FOUND": "A referenced id does not exist, or the viewer may not see it.",
        "CONFLICT": "The record changed first: `expectedVersion` is stale, or it is no longer "
        "in a state that allows this (already closed, voided, ended, archived or decided).",
        "DUPLICATE": "A unique key (customer code, external id) is taken.",
        "CYCLE": "The edge would close a cycle in a hierarchy or reporting line.",
        "FORBIDDEN": "The viewer may not do this: they see the record but may not change it, "
        "or their role (AUDITOR, ANALYST) never writes.",
        "UNAUTHENTICATED": "No valid API key.",
        "BAD_USER_INPUT": "An argument value its type or range refuses, or with an input field "
        "its type lacks (`extensions.field` names its path, e.g. `input.foundedOn`), whether "
        "sent in a variable or written inline; nothing ran.",
        "GRAPHQL_VALIDATION_FAILED": "The document does not fit the schema (an unknown field "
        "to select or argument, a required one missing) or a document limit; nothing ran.",
        "DATABASE_UNAVAILABLE": "Neo4j cannot be reached; retry shortly (HTTP 503).",
        "SERVER_BUSY": "Too many requests in flight, or no database connection came free in "
        "time (CRM_NEO4J_ACQUISITION_TIMEOUT: a database that is slow or frozen looks like this "
        "too); retry after `Retry-After` (HTTP 503).",
        "QUERY_TIMEOUT": "The statement ran past the transaction timeout; narrow the query.",
        "WRITE_OUTCOME_UNKNOWN": "The database stopped answering while a change was being "
        "committed: it may have been saved. Not retryable as it is; `extensions.requestId` "
        "is the request id its audit event carries, to check first.",
        "PARTLY_SAVED": "A mutation of several fields failed after some of its changes were "
        "saved, and their answers are lost with `data`: `extensions.saved` counts the saved "
        "changes, `extensions.ranBefore` names the fields that ran before the failure, "
        "`extensions.cause` is the failure's own code. Not retryable as a whole: read back "
        "what was saved (its audit events carry `extensions.requestId`), then send the rest.",
        "BAD_REQUEST": "The HTTP request is not a GraphQL request (HTTP 400).",
        "PAYLOAD_TOO_LARGE": "The request body is over the size limit (HTTP 413).",
        "REQUEST_TIMEOUT": "The request body did not arrive within the body timeout "
        "(CRM_BODY_TIMEOUT_SECONDS; HTTP 408).",
        "METHOD_NOT_ALLOWED": "Use GET or POST, and POST for a mutation (HTTP 405, with Allow).",
        "NOT_ACCEPTABLE": "The Accept header allows no JSON response (HTTP 406).",
        "UNSUPPORTED_MEDIA_TYPE": "Send the request as `application/json` (HTTP 415).",
        "INTERNAL": "An unexpected error; quote the request id.",
        "DATA_KEY_MISSING": "A stored value (an ID number) is encrypted under a data key the "
        "server is not configured with: an operator's fix, not the client's; quote the "
        "request id.",
        "QUERY_TOO_COSTLY": "The request's computed cost is over the budget; nothing ran. "
        "`extensions.cost` and `extensions.budget` give both figures.",
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


CUSTOM_INPUT = (
    "Custom field values (R10): a JSON object keyed by the kind's active definitions "
    "(`customFieldDefinitions`), each value of the field's type (dates `YYYY-MM-DD`). On "
    "create and upsert every required field must be given; on update it is a patch (a null "
    "removes a value). An unknown key or a bad value is VALIDATION at `input.custom.<key>`."
)


def optional(description: str) -> Any:
    """An input field the client may leave out: it is UNSET then, and `provided` drops it,
    so an update keeps the stored value (null, by contrast, clears it)."""
    return strawberry.field(default=strawberry.UNSET, description=description)


@strawberry.input(description="The record's id in a source system; give both or neither.")
class ExternalRefInput:
    externalSource: str | None = optional("Source system (with externalId), ≤ 100.")
    externalId: str | None = optional("Id in the source system, ≤ 200.")


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


N = TypeVar("N")  # the item type
E = TypeVar("E")  # its edge type


@strawberry.type
class Edge(Generic[N]):
    """An item of a page with its cursor; each list names its item in its own `node`."""

    cursor: str = strawberry.field(description="Opaque cursor of this item.")


@strawberry.type
class Connection(Generic[E, N]):
    """A page of a list. Subclasses give the GraphQL name and description."""

    edges: list[E] = strawberry.field(description="Items with their cursors.")
    nodes: list[N] = strawberry.field(description="The items alone.")
    pageInfo: PageInfo = strawberry.field(description="Pagination state.")
    totalCount: int = strawberry.field(
        description="All matches of the filter that the viewer may see (counted only when "
        "selected: at most one extra round trip; companies, people, projects and customers "
        "count in the page's own statement)."
    )


def _generic(cls: Any, *args: Any) -> Any:
    """`cls[args]` for type arguments made at run time (values to mypy, not types)."""
    return cls[args]


def page_type(item: Any, name: str, noun: str, plural: str, node: str) -> Any:
    """`<Name>Edge` and `<Name>Connection` for one item type: every list's page type."""
    body = {"__annotations__": {"node": item}, "node": strawberry.field(description=node)}
    edge = strawberry.type(
        types.new_class(f"{name}Edge", (Edge[item],), exec_body=lambda ns: ns.update(body)),
        description=f"{noun} in a page.",
    )
    return strawberry.type(
        types.new_class(f"{name}Connection", (_generic(Connection, edge, item),)),
        description=f"A page of {plural}.",
    )


def _fields_in(fragments: Mapping[str, Any], selected: SelectionSetNode | None) -> list[FieldNode]:
    """The fields of one selection set, through inline fragments and fragment spreads."""
    out: list[FieldNode] = []
    for s in selected.selections if selected is not None else ():
        if isinstance(s, FieldNode):
            out.append(s)
        elif isinstance(s, InlineFragmentNode):
            out += _fields_in(fragments, s.selection_set)
        elif isinstance(s, FragmentSpreadNode):
            fragment = fragments.get(s.name.value)
            out += _fields_in(fragments, fragment.selection_set if fragment else None)
    return out


def selected_below(info: Info, *path: str) -> list[FieldNode]:
    """The fields selected on the value of the field being resolved, or below it along `path`
    (field names, e.g. "edges", "node"), fragments included. Read from the query document,
    where strawberry's `selected_fields` would first convert the whole subtree."""
    raw = info._raw_info
    level = [f for node in raw.field_nodes for f in _fields_in(raw.fragments, node.selection_set)]
    for name in path:
        level = [
            f
            for node in level
            if node.name.value == name
            for f in _fields_in(raw.fragments, node.selection_set)
        ]
    return level


def selects_any(info: Info, names: frozenset[str]) -> bool:
    """Whether the selection under the field being resolved asks for any of `names`, at any
    depth, fragments included."""
    raw = info._raw_info
    todo = list(selected_below(info))
    while todo:
        field = todo.pop()
        if field.name.value in names:
            return True
        todo += _fields_in(raw.fragments, field.selection_set)
    return False


def wants_total(info: Info) -> bool:
    """Whether this page field's selection asks for `totalCount` (fragments included): it
    costs a round trip of its own."""
    return any(f.name.value == "totalCount" for f in selected_below(info))


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
    nested inputs (and lists of them) converted too. `None` stays: it means "clear this field"."""
    out: dict[str, Any] = {}
    for key, value in vars(obj).items():
        if value is strawberry.UNSET:
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = provided(value)
        elif isinstance(value, list):
            value = [
                provided(x) if dataclasses.is_dataclass(x) and not isinstance(x, type) else x
                for x in value
            ]
        out[key] = value
    return out


vocab_enum(
    Rel, "Relationship types: the closed vocabulary of edges (docs/MODEL.md).", name="EdgeType"
)


# --- Mutation factories -------------------------------------------------------------------
# Every node kind's create/update/upsert/archive/delete mutation has the same shape: one
# `input`, a resolver, a payload type. These build them from the parts, so the shape is
# written once.

Resolve = Callable[[Context, dict[str, Any]], Awaitable[Any]]
ResolveRef = Callable[[Context, str, int | None], Awaitable[Any]]


def _one_input(fn: Callable[..., Any], input_type: Any) -> Callable[..., Any]:
    """Give `fn(info, input)` a signature strawberry can read at run time (this module's
    annotations are strings, and the input type is only known to the caller)."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fn.__dict__["__signature__"] = inspect.Signature(
        [
            inspect.Parameter("info", kind, annotation=Info),
            inspect.Parameter("input", kind, annotation=Annotated[input_type, INPUT]),
        ]
    )
    return fn


def bound(resolve: Callable[..., Awaitable[Any]], arg: Any, **kwargs: Any) -> Resolve:
    """`resolve(context, arg, fields, **kwargs)` as a `Resolve`: for one resolver that serves
    several mutations, told apart by `arg` (a label, an action)."""

    async def run(ctx: Context, fields: dict[str, Any]) -> Any:
        return await resolve(ctx, arg, fields, **kwargs)

    return run


def input_mutation(input_type: Any, resolve: Resolve, payload: Any, description: str) -> Any:
    """A mutation taking one `input`; the resolver gets the fields the client sent."""

    async def mutate(info: Info, input: Any) -> Any:
        return await resolve(info.context, provided(input))

    return strawberry.mutation(
        resolver=_one_input(mutate, input_type), graphql_type=payload, description=description
    )


def archive_mutation(payload: Any, resolve: ResolveRef, description: str) -> Any:
    """Archive by `NodeRefInput` (id and expected version)."""

    async def mutate(info: Info, input: NodeRefInput) -> Any:
        return await resolve(info.context, input.id, input.expectedVersion)

    return strawberry.mutation(
        resolver=_one_input(mutate, NodeRefInput), graphql_type=payload, description=description
    )


def delete_mutation(resolve: ResolveRef, description: str) -> Any:
    """Delete by `NodeRefInput` (id and expected version); answers a DeletePayload."""

    async def mutate(info: Info, input: NodeRefInput) -> Any:
        return await resolve(info.context, input.id, input.expectedVersion)

    return strawberry.mutation(
        resolver=_one_input(mutate, NodeRefInput),
        graphql_type=DeletePayload,
        description=description,
    )


def _object(name: str, description: str, fields: dict[str, Any]) -> type:
    """A strawberry object type built from (annotation, description) per field, or from a
    field already made (one with a resolver)."""
    body: dict[str, Any] = {"__annotations__": {}}
    for key, value in fields.items():
        if isinstance(value, tuple):
            body["__annotations__"][key] = value[0]
            body[key] = strawberry.field(description=value[1])
        else:
            body[key] = value
    return strawberry.type(type(name, (), body), description=description)


ExtraFields = Callable[[], dict[str, Any]]
EXPECTED_FAILURES = "Expected failures; empty on success."


def payload_type(
    name: str, description: str, errors: str = EXPECTED_FAILURES, **fields: Any
) -> type:
    """A mutation's result type: `fields` as (annotation, description), then `errors`."""
    return _object(name, description, {**fields, "errors": (list[UserError], errors)})


def _input(name: str, description: str, bases: tuple[type, ...], fields: dict[str, Any]) -> type:
    """A strawberry input type: `fields` maps a name to (annotation, description[, default])."""
    body: dict[str, Any] = {"__annotations__": {k: v[0] for k, v in fields.items()}}
    for key, (_, text, *default) in fields.items():
        body[key] = (
            strawberry.field(default=default[0], description=text)
            if default
            else strawberry.field(description=text)
        )
    return strawberry.input(type(name, bases, body), description=description)


def node_payloads(node: Any, noun: str, extra: ExtraFields | None = None) -> tuple[type, type]:
    """`<Node>Payload` and `Upsert<Node>Payload`: the node after the change, `extra()`
    fields (made afresh for each type), and errors."""
    errors = (list[UserError], EXPECTED_FAILURES)
    payload = _object(
        f"{node.__name__}Payload",
        f"Result of a {noun} mutation.",
        {
            noun: (node | None, f"The {noun} after the change; null when `errors` is not empty."),
            **(extra() if extra else {}),
            "errors": errors,
        },
    )
    upsert = _object(
        f"Upsert{node.__name__}Payload",
        f"Result of a {noun} upsert.",
        {
            noun: (node | None, f"The {noun} after the upsert; null when `errors` is not empty."),
            "created": (bool, f"True when the upsert created the {noun}."),
            "changedFields": (
                list[str],
                "Names of the fields that changed; empty when the input matched what was "
                "stored (then nothing was written: same version, no audit event).",
            ),
            **(extra() if extra else {}),
            "errors": errors,
        },
    )
    return payload, upsert


@dataclasses.dataclass(frozen=True)
class NodeSchema:
    """One node kind's root fields: `<noun>(id)` and create/update/upsert/archive/delete.

    The resolvers module names them by convention (`company`, `create_company`, …); a
    missing one fails at import, not at request time.
    """

    node: Any  # the strawberry type, e.g. Company
    resolvers: ModuleType
    fields: type  # the input fields create, update and upsert share, e.g. CompanyFields
    name_max: int  # longest name accepted
    lookup: str  # description of the by-id field
    keeps: str  # what archiving keeps, for the description
    upsert_note: str = ""
    create_note: str = ""
    # Change review (schema/review.py): an extra base of the update and upsert inputs, and
    # extra payload fields; kept out of here so that base.py does not import a domain.
    change_input: type | None = None
    payload_fields: ExtraFields | None = None
    # Run beside the by-id lookup, with the same info: loads what the selection nests below
    # the node ahead of its fields (schema/company.py: the group's tree in one statement).
    prefetch: Callable[[Info, str], Awaitable[None]] | None = None

    def _resolver(self, verb: str) -> Any:
        noun = self.node.__name__.lower()
        return getattr(self.resolvers, f"{verb}_{noun}" if verb else noun)

    def query(self) -> type:
        resolve = self._resolver("")

        prefetch = self.prefetch

        async def by_id(info: Info, id: strawberry.ID) -> Any:
            if prefetch is None:
                return await resolve(info.context, id)
            found, _ = await asyncio.gather(resolve(info.context, id), prefetch(info, id))
            return found

        p, k = inspect.Parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD
        by_id.__dict__["__signature__"] = inspect.Signature(
            [
                p("info", k, annotation=Info),
                p("id", k, annotation=Annotated[strawberry.ID, ID_ARG]),
            ]
        )
        field = strawberry.field(
            resolver=by_id, graphql_type=self.node | None, description=self.lookup
        )
        return strawberry.type(type("Query", (), {self.node.__name__.lower(): field}))

    def inputs(self) -> tuple[type, type, type]:
        """`Create<Node>Input`, `Update<Node>Input` and `Upsert<Node>Input`."""
        name, noun = self.node.__name__, self.node.__name__.lower()
        article = "an" if noun[0] in "aeiou" else "a"
        changes = (self.fields, self.change_input) if self.change_input else (self.fields,)
        create = _input(
            f"Create{name}Input",
            f"A new {noun}.{self.create_note}",
            (self.fields, ExternalRefInput),
            {"name": (str, f"Required, ≤ {self.name_max} characters.")},
        )
        update = _input(
            f"Update{name}Input",
            f"Changes to {article} {noun}. Omitted fields stay; null clears.",
            changes,
            {
                "id": (strawberry.ID, f"The {noun} to change."),
                "expectedVersion": (
                    int,
                    "The version you read; a stale one gives CONFLICT and nothing is written.",
                ),
                "name": (str | None, f"≤ {self.name_max}.", strawberry.UNSET),
            },
        )
        upsert = _input(
            f"Upsert{name}Input",
            f"Create or update {article} {noun} by its id in a source system. Fields left "
            "out stay as they are; running the same input twice changes nothing the second "
            "time.",
            changes,
            {
                "externalSource": (str, "Source system, e.g. `erp`; ≤ 100."),
                "externalId": (str, "Id in the source system; ≤ 200."),
                "name": (str, f"Required, ≤ {self.name_max} characters."),
            },
        )
        return create, update, upsert

    def mutation(self) -> tuple[type, type, type]:
        """The Mutation type and the two payload types it answers with."""
        name, noun = self.node.__name__, self.node.__name__.lower()
        payload, upsert_payload = node_payloads(self.node, noun, self.payload_fields)
        create, update, upsert = self.inputs()
        article = "an" if noun[0] in "aeiou" else "a"
        fields = {
            f"create{name}": input_mutation(
                create,
                self._resolver("create"),
                payload,
                f"Create {article} {noun}; VALIDATION or DUPLICATE errors write nothing; "
                "AUDITOR and ANALYST get FORBIDDEN. A customer created by anyone but an ADMIN "
                "is owned by its creator, and a project's creator joins its team, in the same "
                "transaction; a contact follows its employer (its creator may link it).",
            ),
            f"update{name}": input_mutation(
                update,
                self._resolver("update"),
                payload,
                f"Update {article} {noun} with optimistic concurrency. NOT_FOUND when the "
                "viewer may not see it, FORBIDDEN when they may not edit it.",
            ),
            f"upsert{name}": input_mutation(
                upsert,
                self._resolver("upsert"),
                upsert_payload,
                f"Create or update {article} {noun} by (externalSource, externalId) in one "
                "transaction with its audit event; idempotent. A record the viewer may not "
                "see holds the key: DUPLICATE; one they may not edit: FORBIDDEN."
                + self.upsert_note,
            ),
            f"archive{name}": archive_mutation(
                payload, self._resolver("archive"), f"Archive {article} {noun}: {self.keeps}."
            ),
            f"delete{name}": delete_mutation(
                self._resolver("delete"),
                f"Delete {article} {noun} and its edges. The audit trail stays. NOT_FOUND or "
                "FORBIDDEN as for updates; a stale expectedVersion gives CONFLICT and deletes "
                "nothing, as does a customer with records (records are never deleted: archive "
                "it instead).",
            ),
        }
        return strawberry.type(type("Mutation", (), fields)), payload, upsert_payload
