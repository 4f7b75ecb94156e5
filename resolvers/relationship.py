"""Relationships (R1-R6): validation per type, link / update / end / unlink, stance history
and ownership hand-over. Every payload is `{relationship, errors}`; expected failures are
errors with a code and the input field at fault, and nothing is written then."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from graph import nodes
from graph import relationship as repo
from graph.refusal import Part, Refusal
from graph.vocab import DecisionRole, PersonalTie, Rel, ReportingKind, SubsidiaryKind
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.shapes import EdgePayload, EdgeRow, StanceChangeRow, UserErrorRow

EDGE_PROPS = repo.EDGE_PROPS
ENDED_LINES_MAX = repo.ENDED_LINES_MAX

# Free-text properties and their length caps.
TEXT_CAPS: dict[str, int] = {
    "products": 500,
    "region": 100,
    "note": 500,
    "repName": 100,
    "title": 100,
    "department": 100,
    "basis": 300,
    "concerns": 500,
}
UNIT_INTERVAL = ("ownership", "strength", "satisfaction")
# `kind` and `role` are strings whose allowed values depend on the relationship type.
KIND_ENUMS: dict[Rel, type[Enum]] = {
    Rel.SUBSIDIARY_OF: SubsidiaryKind,
    Rel.REPORTS_TO: ReportingKind,
    Rel.RELATED_TO: PersonalTie,
}
ROLE_ENUMS: dict[Rel, type[Enum]] = {Rel.PARTICIPATES_IN: DecisionRole}
ON_TEAM_ROLE_CAP = 50
ALL_PROPS = tuple(sorted({p for props in EDGE_PROPS.values() for p in props}))
HISTORY_MAX = 100


def _audit(ctx: Context, action: str) -> nodes.Audit:
    return nodes.Audit(ctx.actor, action, ctx.request_id)


def payload(
    rel: EdgeRow | None, errors: list[UserErrorRow], also_ended: Sequence[EdgeRow] = ()
) -> EdgePayload:
    return {"relationship": rel, "alsoEnded": list(also_ended), "errors": errors}


def _enum_value(
    errors: v.Errors, value: str, allowed: type[Enum], rel: Rel, field: str
) -> str | None:
    normal = value.strip().upper()
    if normal not in {m.value for m in allowed}:
        names = ", ".join(m.value for m in allowed)
        errors.add(ErrorCode.VALIDATION, f"for {rel.value} must be one of {names}", field)
        return None
    return normal


def edge_props(errors: v.Errors, rel: Rel, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated properties present in `data` for an edge of type `rel`. On create a null
    property is simply absent; on update null removes it."""
    allowed = EDGE_PROPS[rel]
    props: dict[str, Any] = {}
    for key in ALL_PROPS:
        if key not in data or (creating and data[key] is None):
            continue
        field = f"input.{key}"
        if key not in allowed:
            can = ", ".join(allowed) or "no properties besides since and until"
            errors.add(ErrorCode.VALIDATION, f"is not a property of {rel.value} ({can})", field)
            continue
        value = data[key]
        if value is None:
            props[key] = None
        elif key in TEXT_CAPS:
            props[key] = v.text(errors, value, field, max_len=TEXT_CAPS[key])
        elif key in UNIT_INTERVAL:
            props[key] = v.unit_interval(errors, value, field)
        elif key == "kind":
            props[key] = _enum_value(errors, value, KIND_ENUMS[rel], rel, field)
        elif key == "role" and rel in ROLE_ENUMS:
            props[key] = _enum_value(errors, value, ROLE_ENUMS[rel], rel, field)
        elif key == "role":
            props[key] = v.text(errors, value, field, max_len=ON_TEAM_ROLE_CAP)
        elif key == "projectId":
            props[key] = v.text(errors, value, field, max_len=100)
        else:  # stance, polarity: typed enums checked by GraphQL
            props[key] = value
    for key in ("since", "until"):
        if key in data and not (creating and data[key] is None):
            props[key] = data[key]
    return props


# Where each part of a refused edge write sits in a mutation's input.
PATHS: dict[Part, str] = {
    Part.EDGE: "input.id",
    Part.FROM: "input.from",
    Part.TO: "input.to",
    Part.PROJECT: "input.projectId",
    Part.PARTICIPATION: "input.person",
    Part.VERSION: "input.expectedVersion",
    Part.SINCE: "input.since",
    Part.UNTIL: "input.until",
    Part.KIND: "input.kind",
    Part.WHOLE: "input",
}
# transferOwnership names the OWNS edge's endpoints by role: the new owner and the customer.
OWNERSHIP_PATHS = {**PATHS, Part.FROM: "input.toUser", Part.TO: "input.customer"}
# setStance names the project as `project`.
STANCE_PATHS = {**PATHS, Part.PROJECT: "input.project"}


READ_ONLY = "your role may read records but not change them"


def _message(result: repo.EdgeResult, rel: Rel | None) -> tuple[ErrorCode, str]:
    refusal, part, detail = result.refusal, result.part, result.detail
    if refusal is Refusal.FORBIDDEN:
        if part is Part.WHOLE:
            return ErrorCode.FORBIDDEN, READ_ONLY
        if rel is Rel.OWNS:
            return (
                ErrorCode.FORBIDDEN,
                "only its owner, their team, a manager above them or an admin may hand over "
                "or change this account's ownership",
            )
        if detail == repo.SHARED:
            return (
                ErrorCode.FORBIDDEN,
                "an EDIT share lets you edit the account, not give access to it away: "
                "project teams, a project's customer, whom our staff know and a contact's "
                "other employers need rights of your own",
            )
        what = "relationship" if part is Part.EDGE else "node"
        return ErrorCode.FORBIDDEN, f"you may not change this {what}"
    if refusal is Refusal.NOT_FOUND:
        if part is Part.PARTICIPATION:
            return ErrorCode.NOT_FOUND, "this person has no current participation in this project"
        what = {Part.EDGE: "relationship", Part.PROJECT: "project"}.get(part or Part.WHOLE, "node")
        return ErrorCode.NOT_FOUND, f"no {what} with id {detail}"
    if refusal is Refusal.WRONG_LABEL and rel is not None:
        label, allowed = detail
        want = " or ".join(a.value for a in allowed)
        return ErrorCode.VALIDATION, f"{rel.value} needs a {want} here, not a {label.value}"
    if refusal is Refusal.SELF_LOOP:
        return ErrorCode.VALIDATION, "an edge cannot join a node to itself"
    if refusal is Refusal.CYCLE:
        return (
            ErrorCode.CYCLE,
            "this edge would close a cycle: the target already reaches the source "
            "through edges of the same type valid during this edge's dates (without `since` "
            "an edge counts as always having been there: give the day it began)",
        )
    if refusal is Refusal.DUPLICATE:
        return (
            ErrorCode.DUPLICATE,
            f"an edge of this type between these nodes overlaps these dates: {detail}",
        )
    if refusal is Refusal.ONE_PARENT:
        which = f" (relationship {detail})" if detail else ""
        return (
            ErrorCode.CONFLICT,
            "a branch or division is part of one company: on some of these days the company "
            f"would have another parent beside a BRANCH or DIVISION edge{which}; end or "
            "change that edge first",
        )
    if refusal is Refusal.CONFLICT:
        return (
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the relationship is at version {detail}; "
            "re-read it and apply your change again",
        )
    if refusal is Refusal.ENDED:
        return ErrorCode.CONFLICT, f"the edge already ended on {detail}"
    if refusal is Refusal.UNTIL_BEFORE_SINCE:
        return ErrorCode.VALIDATION, v.UNTIL_BY_SINCE
    if refusal is Refusal.ALREADY_OWNER:
        return ErrorCode.VALIDATION, "is already an owner of it"
    return ErrorCode.VALIDATION, str(detail)


def _result(
    result: repo.EdgeResult, rel: Rel | None = None, paths: dict[Part, str] = PATHS
) -> EdgePayload:
    """The payload: the edge, or the repository's refusal as an error at its input path."""
    if result.refusal is None:
        return payload(result.rel, [], result.also_ended)
    code, message = _message(result, rel)
    field = paths[result.part] if result.part is not None else None
    return payload(None, [payload_error(code, message, field)])


async def link_nodes(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    rel: Rel = data["type"]
    errors = v.Errors()
    props = edge_props(errors, rel, data, creating=True)
    v.date_range(errors, props.get("since"), props.get("until"))
    # `from_`: the input field `from` is a Python keyword (schema/relationship.py).
    if data["from_"] == data["to"]:
        errors.add(ErrorCode.VALIDATION, "an edge cannot join a node to itself", "input.to")
    if errors:
        return payload(None, errors)
    action = f"relationship.link.{rel.value.lower()}"
    result = await repo.link(ctx.db, rel, data["from_"], data["to"], props, _audit(ctx, action))
    return _result(result, rel)


async def update_link(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    if not ctx.actor.scope.may_edit:  # before the look-up: no statement for a read-only role
        return payload(None, [payload_error(ErrorCode.FORBIDDEN, READ_ONLY, "input")])
    current = await repo.by_id(ctx.db, ctx.actor, data["id"])
    if current is None:
        return payload(
            None,
            [
                payload_error(
                    ErrorCode.NOT_FOUND, f"no relationship with id {data['id']}", "input.id"
                )
            ],
        )
    rel = Rel(current["type"])
    errors = v.Errors()
    props = edge_props(errors, rel, data, creating=False)
    if "projectId" in props and props["projectId"] is not None:
        errors.add(
            ErrorCode.VALIDATION,
            "the project scope of an influence cannot change; end it and link anew",
            "input.projectId",
        )
    if errors:
        return payload(None, errors)
    if not props:
        return payload(current, [])
    action = f"relationship.update.{rel.value.lower()}"
    result = await repo.update(
        ctx.db, data["id"], data["expectedVersion"], props, _audit(ctx, action)
    )
    return _result(result, rel)


async def end_link(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    result = await repo.end(
        ctx.db,
        data["id"],
        data.get("until"),
        data.get("expectedVersion"),
        _audit(ctx, "relationship.end"),
        reporting_lines=data.get("endReportingLines", True),
    )
    return _result(result)


async def unlink(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    result = await repo.unlink(
        ctx.db, data["id"], data.get("expectedVersion"), _audit(ctx, "relationship.unlink")
    )
    return _result(result)


async def set_stance(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    result = await repo.set_stance(
        ctx.db,
        data["project"],
        data["person"],
        nodes.plain(data["stance"]),
        data.get("expectedVersion"),
        _audit(ctx, "relationship.update.participates_in"),
    )
    return _result(result, Rel.PARTICIPATES_IN, STANCE_PATHS)


async def transfer_ownership(ctx: Context, data: dict[str, Any]) -> EdgePayload:
    result = await repo.transfer_ownership(
        ctx.db, data["customer"], data["toUser"], _audit(ctx, "relationship.transfer_ownership")
    )
    missing = (Refusal.WRONG_LABEL, Refusal.NOT_FOUND)
    if result.refusal in missing and result.part in (Part.FROM, Part.TO):
        # An id of another kind (or a company or person that is no customer) is NOT_FOUND,
        # as in every field that names one kind, and said as a missing one is.
        given, what = (
            (data["toUser"], "user") if result.part is Part.FROM else (data["customer"], "customer")
        )
        message = f"no {what} with id {given}"
        error = payload_error(ErrorCode.NOT_FOUND, message, OWNERSHIP_PATHS[result.part])
        return payload(None, [error])
    return _result(result, Rel.OWNS, OWNERSHIP_PATHS)


async def relationship(ctx: Context, edge_id: str) -> EdgeRow | None:
    return await repo.by_id(ctx.db, ctx.actor, edge_id)


async def stance_history(
    ctx: Context, project: str, person: str | None, first: int
) -> list[StanceChangeRow]:
    page_size(first, HISTORY_MAX)
    return await repo.stance_history(ctx.db, ctx.actor, project, person, first)
