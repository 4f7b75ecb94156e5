"""Pieces every node domain shares: the customer profile, payload shaping and
the create/update/archive/delete flow over graph.nodes; and the save of a settings document.

Domains (company, person, project, user) supply validated properties; this module turns the
graph's outcome into a payload dict `{<key>: node, "errors": [...]}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, TypeVar

from graph import clock, nodes
from graph.db import ConstraintViolation, Database
from graph.refusal import Refusal
from graph.vocab import DISTINCT_LINES, CustomerKind, Label
from resolvers import validation as v
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import forget, load_one
from resolvers.shapes import DeleteRow, NodePayload, NodeRow, UserErrorRow

CUSTOMER_FIELDS = ("customerCode", "customerKind", "lifecycleStage", "classification", "tier")

# A function applied to every node a payload returns (e.g. personal-data masking).
Present = Callable[[Context, NodeRow | None], NodeRow | None]
# A node kind's validation: (errors, input data, creating) -> the properties to store.
PropsOf = Callable[[v.Errors, dict[str, Any], bool], dict[str, Any]]
# A node kind's root resolvers, as schema/base.py's NodeSchema calls them.
Write = Callable[[Context, dict[str, Any]], Awaitable[NodePayload]]
# An update's checks against the stored node (input, validated props, errors to add to).
StoredCheck = Callable[[Context, dict[str, Any], dict[str, Any], v.Errors], Awaitable[None]]
Archive = Callable[[Context, str, int | None], Awaitable[NodePayload]]
Delete = Callable[[Context, str, int | None], Awaitable[DeleteRow]]
Load = Callable[[Context, str], Awaitable[NodeRow | None]]


def as_is(ctx: Context, node: NodeRow | None) -> NodeRow | None:
    return node


class Required(NamedTuple):
    """Create or upsert input without custom values (resolvers/customfields.py `deferred`):
    the write statement refuses when custom fields of `kind` are required, and `missing` then
    reads the definitions for the errors to report."""

    kind: str
    missing: Callable[[], Awaitable[v.Errors]]


def customer_props(
    errors: v.Errors, profile: dict[str, Any], field: str, default_kind: CustomerKind
) -> dict[str, Any]:
    """Flatten a customer profile input into `:Customer` properties. The kind follows the
    record: a company is an ENTERPRISE customer, a person an INDIVIDUAL one."""
    kind = profile.get("customerKind")
    if kind is not None and CustomerKind(kind) is not default_kind:
        errors.add(
            ErrorCode.VALIDATION,
            f"must be {default_kind.value} for this kind of record",
            f"{field}.customerKind",
        )
    props: dict[str, Any] = {"customerKind": kind or default_kind}
    if "customerCode" in profile:
        props["customerCode"] = v.text(
            errors, profile["customerCode"], f"{field}.customerCode", max_len=50
        )
    for key in ("lifecycleStage", "tier"):
        if key in profile:
            props[key] = profile[key]
    if "classification" in profile:
        props["classification"] = v.text(
            errors, profile["classification"], f"{field}.classification", max_len=100
        )
    return props


def customer_role(
    errors: v.Errors, data: dict[str, Any], props: dict[str, Any], kind: CustomerKind
) -> bool | None:
    """Adds the customer profile to `props`; True/False to set/remove the role, None to keep."""
    if "customer" not in data:
        return None
    profile = data["customer"]
    if profile is None:
        return False
    props.update(customer_props(errors, profile, "input.customer", kind))
    return True


def invalid(key: str, errors: v.Errors, upsert: bool = False) -> NodePayload:
    """The payload for input that failed validation: nothing was written."""
    out: dict[str, Any] = {key: None, "errors": errors}
    if upsert:
        out.update(created=False, changedFields=[])
    return out


def external_props(
    errors: v.Errors, data: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    """`externalSource` and `externalId` come together (and, for upserts, are required)."""
    source = v.text(errors, data.get("externalSource"), "input.externalSource", required, 100)
    external_id = v.text(errors, data.get("externalId"), "input.externalId", required, 200)
    if not required and (source is None) != (external_id is None):
        errors.add(
            ErrorCode.VALIDATION, "externalId and externalSource go together", "input.externalId"
        )
    return {"externalSource": source, "externalId": external_id}


def audit(ctx: Context, action: str) -> nodes.Audit:
    return nodes.Audit(ctx.actor, action, ctx.request_id)


READ_ONLY = "your role may read records but not change them"


def read_only(ctx: Context) -> list[UserErrorRow]:
    """The refusal of a change by a role that only reads; empty for a role that may edit."""
    if ctx.actor.scope.may_edit:
        return []
    return [payload_error(ErrorCode.FORBIDDEN, READ_ONLY, None)]


def admin_only(ctx: Context, message: str, field: str | None = None) -> list[UserErrorRow]:
    """The refusal of a change only an ADMIN may make; empty for an ADMIN."""
    if "ADMIN" in ctx.viewer.roles:
        return []
    return [payload_error(ErrorCode.FORBIDDEN, message, field)]


T = TypeVar("T")
# graph/documents.py's save as a settings module wraps it: (db, value, expected version, audit)
# -> (the new version, or None and the refusal).
SaveDocument = Callable[
    [Database, T, int | None, nodes.Audit], Awaitable[tuple[int | None, Refusal | None]]
]


async def save_document(
    ctx: Context,
    save: SaveDocument[T],
    value: T,
    expected_version: int | None,
    action: str,
    what: str,
) -> tuple[int | None, list[UserErrorRow]]:
    """Save a settings document with its optimistic version check: the new version, or None
    and a CONFLICT ("the <what> changed meanwhile") when another save came first."""
    version, refusal = await save(ctx.db, value, expected_version, audit(ctx, action))
    if refusal is not None or version is None:
        message = f"the {what} changed meanwhile"
        return None, [payload_error(ErrorCode.CONFLICT, message, "input.expectedVersion")]
    return version, []


def forbidden(key: str, message: str, field: str | None) -> NodePayload:
    return {key: None, "errors": [payload_error(ErrorCode.FORBIDDEN, message, field)]}


def node_payload(result: nodes.UpdateResult, key: str, node_id: str) -> NodePayload:
    if result.refusal is Refusal.FORBIDDEN:
        return forbidden(key, f"you may not change this {key}", "input.id")
    if result.refusal is Refusal.NOT_FOUND:
        return {
            key: None,
            "errors": [
                payload_error(ErrorCode.NOT_FOUND, f"no {key} with id {node_id}", "input.id")
            ],
        }
    if result.refusal is Refusal.CONFLICT:
        return {key: None, "errors": [stale(key, result.current_version)]}
    if result.refusal is Refusal.IN_USE:
        return {key: None, "errors": [kept_customer(key)]}
    return {key: result.node, "errors": []}


def kept_customer(key: str) -> UserErrorRow:
    """Removing the customer role from one with records: they would become everyone's."""
    message = (
        f"the {key} has records, which stay with their customer: it keeps the customer role "
        f"(archive the {key} instead)"
    )
    return payload_error(ErrorCode.CONFLICT, message, "input.customer")


# A line given that is the node's other line (graph/vocab.py DISTINCT_LINES), by its key.
SAME_LINE = {
    "phone": "is the fax number; give one someone answers",
    "fax": "is the phone number; a fax is another line",
}


def same_line(label: Label, props: dict[str, Any]) -> UserErrorRow:
    """The VALIDATION error of a write refused as SAME_LINE, at the line it gave (one alone:
    both given and equal are refused by the kind's own checks before any read)."""
    key = next(k for k in DISTINCT_LINES[label] if k in props)
    return payload_error(ErrorCode.VALIDATION, SAME_LINE[key], f"input.{key}")


def stale(key: str, current_version: int | None) -> UserErrorRow:
    """The CONFLICT of a write whose expectedVersion is stale, with the stored version."""
    return payload_error(
        ErrorCode.CONFLICT,
        f"stale expectedVersion: the {key} is at version {current_version}; "
        "re-read it and apply your change again",
        "input.expectedVersion",
    )


def duplicate(key: str, message: str, field: str = "input") -> NodePayload:
    return {key: None, "errors": [payload_error(ErrorCode.DUPLICATE, message, field)]}


def taken(key: str, exc: ConstraintViolation) -> NodePayload:
    """A create or update refused by a unique key: which one, at its input field."""
    if "customerCode" in exc.properties:
        return duplicate(
            key, "another customer has this customer code", "input.customer.customerCode"
        )
    if "externalId" in exc.properties:
        return duplicate(
            key, f"another {key} has this externalSource and externalId", "input.externalId"
        )
    return duplicate(key, f"a {key} with this customer code or external id exists")


async def create_node(
    ctx: Context,
    label: Label,
    props: dict[str, Any],
    customer: bool = False,
    present: Present = as_is,
    required: Required | None = None,
) -> NodePayload:
    key = label.value.lower()
    action = f"{key}.create"
    try:
        kind = required.kind if required else None
        result = await nodes.create(
            ctx.db, label, props, audit(ctx, action), customer, custom_kind=kind
        )
        if result.refusal is Refusal.INCOMPLETE and required is not None:
            if errors := await required.missing():
                return invalid(key, errors)
            # The required field was archived between the two reads: nothing is missing now.
            result = await nodes.create(ctx.db, label, props, audit(ctx, action), customer)
    except ConstraintViolation as exc:
        return taken(key, exc)
    if result.refusal is Refusal.FORBIDDEN:
        return forbidden(key, READ_ONLY, "input")
    return {key: present(ctx, result.node), "errors": []}


async def _update(
    ctx: Context,
    label: Label,
    node_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    action: str,
    present: Present,
    customer: bool | None = None,
) -> NodePayload:
    key = label.value.lower()
    try:
        result = await nodes.update(
            ctx.db,
            label,
            node_id,
            expected_version,
            props,
            audit(ctx, f"{key}.{action}"),
            customer=customer,
            # No mutation undoes an archive: an EDIT share's right does not reach it, as it
            # does not reach a delete (tester BO archived an account shared with him).
            shares=action != "archive",
        )
    except ConstraintViolation as exc:
        return taken(key, exc)
    if result.node is not None:
        forget(ctx, node_id)
    if result.refusal is Refusal.NOT_FOUND:
        # A merged-away id reads as its survivor: say so, so the client can re-read it.
        survivor = await load_node(ctx, label, node_id)
        if survivor is not None and survivor["id"] != node_id:
            message = (
                f"the {key} was merged into {survivor['id']}; re-read that one and apply "
                "your change to it"
            )
            return {key: None, "errors": [payload_error(ErrorCode.CONFLICT, message, "input.id")]}
    out = node_payload(result, key, node_id)
    out[key] = present(ctx, out[key])
    return out


async def update_node(
    ctx: Context,
    label: Label,
    data: dict[str, Any],
    props: dict[str, Any],
    customer: bool | None = None,
    present: Present = as_is,
) -> NodePayload:
    return await _update(
        ctx, label, data["id"], data["expectedVersion"], props, "update", present, customer
    )


async def archive_node(
    ctx: Context,
    label: Label,
    node_id: str,
    expected_version: int | None,
    present: Present = as_is,
) -> NodePayload:
    stored = await load_node(ctx, label, node_id) if ctx.actor.scope.may_edit else None
    if stored is not None and stored.get("archivedAt") is not None:
        # Archived already: answered as it is, so a retry keeps the first archive's time.
        return {label.value.lower(): present(ctx, stored), "errors": []}
    archived = {"archivedAt": clock.now()}
    return await _update(ctx, label, node_id, expected_version, archived, "archive", present)


async def delete_node(
    ctx: Context, label: Label, node_id: str, expected_version: int | None = None
) -> DeleteRow:
    """Delete the node; with `expected_version`, a stale one gives CONFLICT (at
    `input.expectedVersion`, with the stored version) and deletes nothing."""
    key = label.value.lower()
    result = await nodes.delete(
        ctx.db, label, node_id, audit(ctx, f"{key}.delete"), expected_version
    )
    refusal = result.refusal
    if refusal is Refusal.CONFLICT:
        return {"deletedId": None, "errors": [stale(key, result.current_version)]}
    if refusal is Refusal.IN_USE:
        message = f"the {key} has records, which are never deleted: archive the {key} instead"
        return {
            "deletedId": None,
            "errors": [payload_error(ErrorCode.CONFLICT, message, "input.id")],
        }
    if refusal is Refusal.FORBIDDEN:
        message = READ_ONLY if not ctx.actor.scope.may_edit else f"you may not delete this {key}"
        error = payload_error(ErrorCode.FORBIDDEN, message, "input.id")
        return {"deletedId": None, "errors": [error]}
    if refusal is not None:
        return {
            "deletedId": None,
            "errors": [
                payload_error(ErrorCode.NOT_FOUND, f"no {key} with id {node_id}", "input.id")
            ],
        }
    return {"deletedId": node_id, "errors": []}


async def upsert_node(
    ctx: Context,
    label: Label,
    external: dict[str, Any],
    props: dict[str, Any],
    customer: bool | None = None,
    present: Present = as_is,
    required: Required | None = None,
) -> NodePayload:
    """Create or update the node with this (externalSource, externalId); nothing is written
    (no version bump, no audit event) when every given field already has its value."""
    key = label.value.lower()

    async def write(kind: str | None) -> nodes.UpsertResult:
        return await nodes.upsert(
            ctx.db,
            label,
            external["externalSource"],
            external["externalId"],
            props,
            audit(ctx, f"{key}.upsert"),
            customer=customer,
            custom_kind=kind,
        )

    try:
        result = await write(required.kind if required else None)
        if result.refusal is Refusal.INCOMPLETE and required is not None:
            if errors := await required.missing():
                return invalid(key, errors, upsert=True)
            # The required field was archived between the two reads: nothing is missing now.
            result = await write(None)
    except ConstraintViolation:
        out = duplicate(key, f"another {key} has this customer code")
        out.update(created=False, changedFields=[])
        return out
    if result.refusal is not None:
        if result.refusal is Refusal.FORBIDDEN:
            message = (
                READ_ONLY if not ctx.actor.scope.may_edit else f"you may not change this {key}"
            )
            out = forbidden(key, message, "input.externalId")
        elif result.refusal is Refusal.IN_USE:
            out = {key: None, "errors": [kept_customer(key)]}
        elif result.refusal is Refusal.SAME_LINE:
            out = {key: None, "errors": [same_line(label, props)]}
        else:  # a record you cannot see holds the key: as a create with a taken key
            out = duplicate(key, f"a {key} with this external id exists", "input.externalId")
        out.update(created=False, changedFields=[])
        return out
    return {
        key: present(ctx, result.node),
        "created": result.created,
        "changedFields": result.changed,
        "errors": [],
    }


async def load_node(ctx: Context, label: Label, node_id: str) -> NodeRow | None:
    """One node of `label` by id through the request's DataLoader for that label, so every
    look-up of the same kind in a request shares one round trip."""

    return await load_one(
        ctx, label.value.lower(), node_id, lambda ids: nodes.by_ids(ctx.db, ctx.actor, label, ids)
    )


async def may_edit(ctx: Context, label: Label, node_id: str) -> bool:
    """Whether the viewer may change the node it is shown (the rule its writes judge with):
    no round trip for a role that edits nothing or everything, else one per request and kind."""
    scope = ctx.actor.scope
    if not scope.may_edit or scope.edit_all:
        return scope.may_edit
    found = await load_one(
        ctx,
        f"{label.value.lower()}.may_edit",
        node_id,
        lambda ids: nodes.may_edit(ctx.db, ctx.actor, label, ids),
    )
    return bool(found)


def archive_delete_load(label: Label) -> tuple[Archive, Delete, Load]:
    """The archive, delete and by-id resolvers of a node kind that adds nothing to them."""

    async def archive(ctx: Context, node_id: str, expected_version: int | None) -> NodePayload:
        return await archive_node(ctx, label, node_id, expected_version)

    async def delete(ctx: Context, node_id: str, expected_version: int | None) -> DeleteRow:
        return await delete_node(ctx, label, node_id, expected_version)

    async def load(ctx: Context, node_id: str) -> NodeRow | None:
        return await load_node(ctx, label, node_id)

    return archive, delete, load
