"""Change review (R20): which parts of an update wait for a reviewer, and the decisions.

A field whose rule (resolvers/permissions.py) is marked `review` and which the viewer's roles
may not edit directly is held: the update applies the rest and files one change request for
the held fields. A change the customer asked for (`requestedBy: CUSTOMER`) is held whole,
whatever the viewer's roles. Approving, rejecting and withdrawing are in graph/review.py;
here they get their messages and input paths.

Values in a request are shown as the field itself would be: in full to roles that read the
field, masked (or null) for the others.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from graph import review as g
from graph.review import Action, ChangeRequestRow, Outcome
from graph.vocab import CustomerKind, Label
from resolvers import customfields
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.common import (
    Present,
    PropsOf,
    Required,
    StoredCheck,
    Write,
    as_is,
    audit,
    create_node,
    customer_role,
    external_props,
    invalid,
    kept_customer,
    load_node,
    same_line,
    update_node,
    upsert_node,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import load_grouped
from resolvers.masking import mask_id_number, mask_phone
from resolvers.pages import time_ordered, time_position
from resolvers.permissions import FieldRule, Mask, mask_for, may_edit, may_read, rule
from resolvers.shapes import ConnectionOf, NodePayload, NodeRow, UserErrorRow

__all__ = ["Action", "ChangeRequestRow"]

MAX_REASON = 500
# Held together: an ID number's type goes with the number.
COUPLED = {"idNumber": ("idType",)}
PROFILE_TYPE = "CustomerProfile"


class ChangeSource(Enum):
    STAFF = "STAFF"
    CUSTOMER = "CUSTOMER"


class ChangeRequestStatus(Enum):
    PENDING = g.Status.PENDING
    APPROVED = g.Status.APPROVED
    REJECTED = g.Status.REJECTED
    WITHDRAWN = g.Status.WITHDRAWN


def field_rule(type_name: str, key: str) -> FieldRule:
    """The rule of a stored property: the customer profile's keys are CustomerProfile's."""
    return rule(PROFILE_TYPE if key in g.PROFILE_KEYS else type_name, key)


def options(errors: v.Errors, data: dict[str, Any]) -> tuple[ChangeSource, str | None]:
    """`requestedBy` and `changeReason` of an update; a customer's request needs a reason."""
    source = data.get("requestedBy") or ChangeSource.STAFF
    reason = v.text(
        errors,
        data.get("changeReason"),
        "input.changeReason",
        required=source is ChangeSource.CUSTOMER,
        max_len=MAX_REASON,
    )
    return source, reason


def split(
    ctx: Context,
    label: Label,
    props: dict[str, Any],
    customer: bool | None,
    source: ChangeSource,
    reason: str | None,
) -> tuple[dict[str, Any], bool | None, g.Held]:
    """(direct props, direct customer role change, held part)."""
    if source is ChangeSource.CUSTOMER:
        return {}, None, g.Held(dict(props), customer, source.value, reason)
    roles = ctx.viewer.roles
    held_keys = {
        k for k in props if (r := field_rule(label.value, k)).review and not may_edit(roles, r)
    }
    for key, partners in COUPLED.items():
        if key in held_keys:
            held_keys.update(p for p in partners if p in props)
    direct = {k: val for k, val in props.items() if k not in held_keys}
    held = {k: val for k, val in props.items() if k in held_keys}
    return direct, customer, g.Held(held, None, source.value, reason)


def _refused(key: str, outcome: Outcome, node_id: str, current: int | None) -> UserErrorRow:
    if outcome is Outcome.IN_USE:
        return kept_customer(key)
    if outcome is Outcome.FORBIDDEN:
        return payload_error(ErrorCode.FORBIDDEN, f"you may not change this {key}", "input.id")
    if outcome is Outcome.CONFLICT:
        return payload_error(
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the {key} is at version {current}; "
            "re-read it and apply your change again",
            "input.expectedVersion",
        )
    return payload_error(ErrorCode.NOT_FOUND, f"no {key} with id {node_id}", "input.id")


def _audits(ctx: Context, key: str, action: str) -> g.Audits:
    return g.Audits(audit(ctx, f"{key}.{action}"), audit(ctx, f"{key}.changeRequest"))


async def update(
    ctx: Context,
    label: Label,
    data: dict[str, Any],
    props: dict[str, Any],
    customer: bool | None,
    present_node: Present = as_is,
) -> NodePayload:
    """updateCompany / updatePerson: the plain update when nothing is held, else the direct
    part and one change request in one transaction. The payload lists the requests filed."""
    errors = v.Errors()
    source, reason = options(errors, data)
    key = label.value.lower()
    if errors:
        return {key: None, "errors": errors, "changeRequests": []}
    direct, direct_customer, held = split(ctx, label, props, customer, source, reason)
    if not held.props and held.customer is None:
        out = await update_node(ctx, label, data, direct, direct_customer, present_node)
        return {**out, "changeRequests": []}
    filed = await g.update(
        ctx.db,
        ctx.actor,
        label,
        data["id"],
        data["expectedVersion"],
        direct,
        direct_customer,
        held,
        _audits(ctx, key, "update"),
    )
    if filed.outcome is not None:
        error = _refused(key, filed.outcome, data["id"], filed.current_version)
        return {key: None, "errors": [error], "changeRequests": []}
    requests = [filed.request] if filed.request else []
    return {key: present_node(ctx, filed.node), "errors": [], "changeRequests": requests}


async def upsert(
    ctx: Context,
    label: Label,
    data: dict[str, Any],
    external: dict[str, Any],
    props: dict[str, Any],
    customer: bool | None,
    present_node: Present = as_is,
    required: Required | None = None,
) -> NodePayload:
    """upsertCompany / upsertPerson with review; creating a node holds nothing. With
    `required`, the required custom fields are checked by the plain upsert's statement;
    otherwise (refused options, held fields) they are read first, as with values given."""
    errors = v.Errors()
    source, reason = options(errors, data)
    key = label.value.lower()
    direct, direct_customer, held = split(ctx, label, props, customer, source, reason)
    plain = not held.props and held.customer is None
    if required is not None and (errors or not plain):
        if missing := await required.missing():
            return invalid(key, missing, upsert=True)
        required = None
    if errors:
        return {key: None, "errors": errors, "created": False, "changedFields": []}
    if plain:
        out = await upsert_node(
            ctx, label, external, direct, direct_customer, present_node, required
        )
        return {**out, "changeRequests": []}
    filed = await g.upsert(
        ctx.db,
        ctx.actor,
        label,
        external["externalSource"],
        external["externalId"],
        direct,
        direct_customer,
        held,
        _audits(ctx, key, "upsert"),
    )
    if filed.outcome is Outcome.NOT_FOUND:
        # As a create with a taken key: the record's existence is all that is said.
        error = payload_error(
            ErrorCode.DUPLICATE, f"the external id is taken by another {key}", "input.externalId"
        )
    elif filed.outcome is Outcome.SAME_LINE:
        error = same_line(label, direct)
    elif filed.outcome is not None:
        error = _refused(key, filed.outcome, external["externalId"], filed.current_version)
        if filed.outcome is not Outcome.IN_USE:
            error["field"] = "input.externalId"
    if filed.outcome is not None:
        return {
            key: None,
            "errors": [error],
            "created": False,
            "changedFields": [],
            "changeRequests": [],
        }
    return {
        key: present_node(ctx, filed.node),
        "created": filed.created,
        "changedFields": filed.changed,
        "errors": [],
        "changeRequests": [filed.request] if filed.request else [],
    }


# Decisions -----------------------------------------------------------------------------


def _decision_error(
    action: Action, outcome: Outcome, request: ChangeRequestRow | None, current: int | None
) -> UserErrorRow:
    if outcome is Outcome.NOT_FOUND or request is None:
        return payload_error(ErrorCode.NOT_FOUND, "no change request with this id", "input.id")
    if outcome is Outcome.OWN_REQUEST:
        return payload_error(
            ErrorCode.FORBIDDEN, "nobody approves or rejects their own change request", "input.id"
        )
    if outcome is Outcome.FORBIDDEN:
        message = (
            "only the requester may withdraw a change request"
            if action is Action.WITHDRAW
            else "only an ADMIN, or a MANAGER of the requester's team or a team above it "
            "who may edit the record, may decide this change request"
        )
        return payload_error(ErrorCode.FORBIDDEN, message, "input.id")
    if outcome is Outcome.CLOSED:
        return payload_error(
            ErrorCode.CONFLICT,
            f"the change request is {request['status']}, no longer PENDING",
            "input.id",
        )
    if outcome is Outcome.IN_USE:
        message = (
            "the customer has records, which stay with their customer: it keeps the customer "
            "role; reject or withdraw this request"
        )
        return payload_error(ErrorCode.CONFLICT, message, "input.id")
    return payload_error(
        ErrorCode.CONFLICT,
        f"the {request['targetLabel'].lower()} changed since this request was filed (it was at "
        f"version {request['baseVersion']}, now {current}); nothing was applied and the "
        "request stays PENDING: reject or withdraw it and file the change again",
        "input.id",
    )


async def decide(
    ctx: Context, action: Action, data: dict[str, Any], note_required: bool = False
) -> dict[str, Any]:
    """approveChangeRequest / rejectChangeRequest / withdrawChangeRequest."""
    errors = v.Errors()
    note = v.text(errors, data.get("note"), "input.note", note_required, MAX_REASON)
    if errors:
        return {"changeRequest": None, "node": None, "errors": errors}
    decided = await g.decide(ctx.db, ctx.actor, data["id"], action, note, ctx.request_id)
    if decided.outcome is not None:
        error = _decision_error(action, decided.outcome, decided.request, decided.current_version)
        return {"changeRequest": None, "node": None, "errors": [error]}
    return {"changeRequest": decided.request, "node": decided.node, "errors": []}


# Reads -----------------------------------------------------------------------------------


async def change_requests(
    ctx: Context,
    status: ChangeRequestStatus | None,
    target: str | None,
    requested_by: str | None,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[ChangeRequestRow]:
    limit = page_size(first)
    of = [status.value if status else None, target, requested_by]
    rows, total = await g.page(
        ctx.db,
        ctx.actor,
        status.value if status else None,
        target,
        requested_by,
        limit + 1,
        time_position(after, "changeRequests", of),
        with_total,
    )
    return time_ordered(
        rows, limit, after, total, lambda r: (str(r["requestedAt"]), r["id"]), "changeRequests", of
    )


async def pending(ctx: Context, node_id: str) -> list[ChangeRequestRow]:
    """A node's pending requests, batched: one round trip for every node of the request."""
    return await load_grouped(
        ctx, "review.pending", node_id, lambda ids: g.pending(ctx.db, ctx.actor, ids)
    )


def _mask(value: Any, mask: Mask) -> Any:
    if isinstance(value, str) and mask is Mask.PHONE:
        return mask_phone(value)
    if isinstance(value, str) and mask is Mask.ID_NUMBER:
        return mask_id_number(value)
    return None  # HIDE, EMAIL, PSEUDONYM: a change request has no place for a stand-in


def changes(ctx: Context, request: ChangeRequestRow) -> list[dict[str, Any]]:
    """The request's changes as this viewer may see them."""
    out = []
    for c in g.changes_of(request):
        r = field_rule(request["targetLabel"], c["field"])
        shown = may_read(ctx.viewer.roles, r)
        old, new = c["old"], c["new"]
        if c["kind"] == g.ENCRYPTED:  # an ID number: held as ciphertext
            old, new = g.decode(old, g.ENCRYPTED), g.decode(new, g.ENCRYPTED)
        out.append(
            {
                "field": c["field"],
                "oldValue": old if shown else _mask(old, mask_for(r.mask, ctx.viewer.roles)),
                "newValue": new if shown else _mask(new, mask_for(r.mask, ctx.viewer.roles)),
                "masked": not shown,
            }
        )
    return out


async def target(ctx: Context, request: ChangeRequestRow) -> NodeRow | None:
    """The target as the listing statement joined it (visible to the viewer), else loaded
    through the request's batched loader. The schema masks its fields (schema/fieldrules.py)."""
    node: NodeRow | None = request.get("target")
    if node is None:
        node = await load_node(ctx, Label(request["targetLabel"]), request["targetId"])
    return node


async def _stage_kept(
    ctx: Context, label: Label, data: dict[str, Any], props: dict[str, Any], errors: v.Errors
) -> None:
    """An update may give the lifecycle stage a customer has (a profile sent back whole), or
    one to a customer that has none yet; a move goes through setLifecycleStage (tester AV:
    an update moved an ACTIVE customer to LOST with no reason, and the next run moved it
    back)."""
    given = props["lifecycleStage"]
    given = given.value if isinstance(given, Enum) else given
    stored = await load_node(ctx, label, data["id"])
    profile = stored["customer"] if stored is not None else None
    current = profile["lifecycleStage"] if profile is not None else None
    if current in (None, given):
        return  # (a node not found: the update itself says NOT_FOUND)
    errors.add(
        ErrorCode.VALIDATION,
        f"the customer is {current}: move it with setLifecycleStage (a note; LOST with its "
        "reason), not by an update",
        "input.customer.lifecycleStage",
    )


def account_writes(
    label: Label, props_of: PropsOf, kind: CustomerKind, stored_check: StoredCheck | None = None
) -> tuple[Write, Write, Write]:
    """Create, update and upsert of a node kind that may be a customer (companies, people):
    validated with its customer role; on update and upsert, fields needing review wait for a
    reviewer (R20) and the rest applies now. Upsert finds the node by (externalSource,
    externalId), so repeated imports are idempotent."""
    key = label.value.lower()

    async def create_account(ctx: Context, data: dict[str, Any]) -> NodePayload:
        errors = v.Errors()
        props = props_of(errors, data, True)
        customer = customer_role(errors, data, props, kind)
        props.update(external_props(errors, data))
        required = None if errors else customfields.deferred(ctx, label, data)
        if required is None:
            props.update(await customfields.values(ctx, label, errors, data, creating=True))
        if errors:
            return invalid(key, errors)
        out = await create_node(ctx, label, props, bool(customer), required=required)
        out["created"] = out.get(key) is not None  # the payload's likelyDuplicates asks
        return out

    async def update_account(ctx: Context, data: dict[str, Any]) -> NodePayload:
        errors = v.Errors()
        props = props_of(errors, data, False)
        customer = customer_role(errors, data, props, kind)
        props.update(await customfields.values(ctx, label, errors, data, creating=False))
        if stored_check is not None and not errors:
            await stored_check(ctx, data, props, errors)
        if "lifecycleStage" in props and not errors:
            await _stage_kept(ctx, label, data, props, errors)
        if errors:
            return invalid(key, errors)
        return await update(ctx, label, data, props, customer)

    async def upsert_account(ctx: Context, data: dict[str, Any]) -> NodePayload:
        errors = v.Errors()
        external = external_props(errors, data, required=True)
        props = props_of(errors, data, True)
        customer = customer_role(errors, data, props, kind)
        required = None if errors else customfields.deferred(ctx, label, data)
        if required is None:
            props.update(await customfields.values(ctx, label, errors, data, creating=True))
        if errors:
            return invalid(key, errors, upsert=True)
        return await upsert(ctx, label, data, external, props, customer, required=required)

    return create_account, update_account, upsert_account
