"""Fields the node types share: look-ups answered from an id of the parent row, custom
fields, and the account fields (pending changes, shares) of companies and people."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import (
    classification,
    common,
    customfields,
    intelligence,
    records,
    review,
    verification,
)
from resolvers import share as sharing
from resolvers.shapes import NodeRow, ShareRow
from resolvers.vocab import Label
from schema.base import Info, selected_below

if TYPE_CHECKING:
    from schema.classification import CustomerClassAssignment
    from schema.intelligence import CustomerIntelligence
    from schema.records import CustomerFigures
    from schema.review import ChangeRequest
    from schema.share import AccountShare
    from schema.verification import ChannelVerification, DataQuality


def item_fields(info: Info) -> frozenset[str]:
    """The names of the fields selected on the value (or the list's items) of the field being
    resolved, fragments included, one level only."""
    return frozenset(f.name.value for f in selected_below(info))


def by_parent(
    resolve: Callable[..., Awaitable[Any]],
    graphql_type: Any,
    description: str,
    key: str = "id",
    optional: bool = False,
    with_fields: bool = False,
) -> Any:
    """A field answered by `resolve(context, parent[key])`: the resolvers batch these per
    request, so the description's "one round trip" holds. With `optional`, a parent without
    that id answers null without asking. With `with_fields`, `resolve` is also passed the
    names of the fields selected on what it returns (`item_fields`), to project no more."""

    async def field(info: Info, root: strawberry.Parent[dict[str, Any]]) -> Any:
        if with_fields:
            return await resolve(info.context, root[key], item_fields(info))
        if optional:
            value = root.get(key)
            return await resolve(info.context, value) if value else None
        return await resolve(info.context, root[key])

    return strawberry.field(resolver=field, graphql_type=graphql_type, description=description)


def by_parent_first(
    resolve: Callable[..., Awaitable[Any]],
    graphql_type: Any,
    description: str,
    items: str,
    default: int,
    with_fields: bool = False,
) -> Any:
    """As `by_parent`, with a `first` argument (1..100) passed on: how many `items`."""

    async def field(info: Info, root: strawberry.Parent[dict[str, Any]], first: int) -> Any:
        if with_fields:
            return await resolve(info.context, root["id"], first, item_fields(info))
        return await resolve(info.context, root["id"], first)

    # The argument's default and description vary per field: strawberry reads them from the
    # signature.
    p, k = inspect.Parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD
    doc = strawberry.argument(description=f"How many {items}, 1..100 (default {default}).")
    field.__dict__["__signature__"] = inspect.Signature(
        [
            p("info", k, annotation=Info),
            p("root", k, annotation=strawberry.Parent[dict[str, Any]]),
            p("first", k, default=default, annotation=Annotated[int, doc]),
        ]
    )
    return strawberry.field(resolver=field, graphql_type=graphql_type, description=description)


def typename_is(name: str) -> Any:
    """`is_type_of` for a type whose rows carry `__typename` (interfaces and unions ask)."""

    def is_type_of(cls: type, obj: Any, info: Any) -> bool:
        return isinstance(obj, dict) and obj.get("__typename") == name

    return classmethod(is_type_of)


def custom_field() -> Any:
    async def custom(info: Info, root: strawberry.Parent[NodeRow]) -> dict[str, Any] | None:
        return await customfields.read(info.context, root)

    return strawberry.field(
        resolver=custom,
        graphql_type=JSON | None,
        description="Custom fields (R10) as a JSON object keyed by definition key (see "
        "`customFieldDefinitions`); dates as `YYYY-MM-DD`. Fields marked personal are left "
        "out for viewers who may not read personal data. At most one round trip per request "
        "(the definitions, only for such viewers).",
    )


def intelligence_field() -> Any:
    return by_parent(
        intelligence.of,
        Annotated["CustomerIntelligence", strawberry.lazy("schema.intelligence")] | None,
        "Scores (R15-R17) from the last scoring run: value with its five factors, segment, "
        "RFM, lifecycle, churn risk with its signals, BG/NBD probability alive; every number "
        "explained. Null unless a customer. One round trip per request for every customer asked.",
    )


def pending_changes_field(noun: str) -> Any:
    return by_parent(
        review.pending,
        list[Annotated["ChangeRequest", strawberry.lazy("schema.review")]],
        f"Pending change requests on this {noun} (R20), newest first, at most 20; values "
        "masked as the fields are. One round trip per request for all of them.",
    )


def shares_field() -> Any:
    async def shares(
        info: Info,
        root: strawberry.Parent[NodeRow],
        includeExpired: Annotated[
            bool, strawberry.argument(description="Also list expired shares (default false).")
        ] = False,
    ) -> list[ShareRow]:
        return await sharing.shares(info.context, root["id"], includeExpired)

    return strawberry.field(
        resolver=shares,
        graphql_type=list[Annotated["AccountShare", strawberry.lazy("schema.share")]],
        description="Manual shares of this account (empty unless it is a customer): who it is "
        "shared with, the level, until when and by whom; newest first, at most 100. Live "
        "shares only unless `includeExpired`. One round trip per request.",
    )


def figures_field() -> Any:
    return by_parent(
        records.figures,
        Annotated["CustomerFigures", strawberry.lazy("schema.records")] | None,
        "Computed figures (R9): purchases by window, order rhythm, receivables, last "
        "interaction, follow-ups, complaints, satisfaction; computed from the records on read. "
        "Null unless a customer. One round trip per request for every customer asked.",
    )


def classes_field() -> Any:
    return by_parent(
        classification.classes,
        list[Annotated["CustomerClassAssignment", strawberry.lazy("schema.classification")]],
        "Classes (R14): per dimension the class the last classification review assigned, "
        "with the rule and since when; by dimension, at most 4. Empty unless a customer. One "
        "round trip per request for every customer asked.",
    )


def channels_field(label: Label) -> Any:
    async def channels(info: Info, root: strawberry.Parent[NodeRow]) -> list[dict[str, Any]]:
        return await verification.channels(info.context, label, dict(root))

    return strawberry.field(
        resolver=channels,
        graphql_type=list[Annotated["ChannelVerification", strawberry.lazy("schema.verification")]],
        description="Each contact channel with its verification (R19): status, when, how and by "
        "whom, until when it stays valid under `verificationRules`, and its flag (STALE, "
        "INVALID, NEVER_VERIFIED ...). No value is shown here. One round trip per request (the "
        "rules).",
    )


def may_edit_field(label: Label) -> Any:
    async def may_edit(info: Info, root: strawberry.Parent[NodeRow]) -> bool:
        return await common.may_edit(info.context, label, root["id"])

    return strawberry.field(
        resolver=may_edit,
        graphql_type=bool,
        description="Whether the key in use may change this record: its fields, links, "
        "records and follow-ups (some fields may still go through review, R20). False for "
        "keys that edit nothing and on accounts only read through a share or a known contact. "
        "No round trip for keys that edit nothing or everything; else one per request for "
        "all records of this kind.",
    )


def quality_field(label: Label) -> Any:
    async def quality(info: Info, root: strawberry.Parent[NodeRow]) -> Any:
        return await verification.quality(info.context, label, dict(root))

    extra = (
        " A company is reachable through its current contacts too: one more round trip per "
        "request for every company asked."
        if label is Label.COMPANY
        else ""
    )
    return strawberry.field(
        resolver=quality,
        graphql_type=Annotated["DataQuality", strawberry.lazy("schema.verification")],
        description="Data quality (R19): a 0-100 score over the channels a customer file should "
        "have checked, whether anyone can reach this record, and the channels never verified, "
        "stale or invalid. One round trip per request (the rules)." + extra,
    )
