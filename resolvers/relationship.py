"""Relationships (R1-R6): validation per type, link / update / end / unlink, stance history
and ownership hand-over. Every payload is `{relationship, errors}`; expected failures are
errors with a code and the input field at fault, and nothing is written then."""

from __future__ import annotations

from enum import Enum
from typing import Any

from graph import nodes
from graph import relationship as repo
from graph.db import Row
from graph.vocab import DecisionRole, PersonalTie, Rel, ReportingKind, SubsidiaryKind
from resolvers import validation as v
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error

EDGE_PROPS = repo.EDGE_PROPS

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
    return nodes.Audit(ctx.viewer.actor, action, ctx.request_id)


def payload(rel: Row | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"relationship": rel, "errors": errors}


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


def _errors_for(result: repo.EdgeResult, rel: Rel | None = None) -> list[dict[str, Any]]:
    """Map a repository refusal to payload errors."""
    status, field, detail = result.status, result.field, result.detail
    if status == "not_found":
        what = "relationship" if field == "input.id" else "node"
        if field == "input.projectId":
            what = "project"
        return [payload_error(ErrorCode.NOT_FOUND, f"no {what} with id {detail}", field)]
    if status == "wrong_label" and rel is not None:
        label, allowed = detail
        want = " or ".join(a.value for a in allowed)
        return [
            payload_error(
                ErrorCode.VALIDATION,
                f"{rel.value} needs a {want} here, not a {label.value}",
                field,
            )
        ]
    if status == "self_loop":
        return [payload_error(ErrorCode.VALIDATION, "an edge cannot join a node to itself", field)]
    if status == "cycle":
        return [
            payload_error(
                ErrorCode.CYCLE,
                "this edge would close a cycle: the target already reaches the source "
                "through current edges of the same type",
                field,
            )
        ]
    if status == "duplicate":
        return [
            payload_error(
                ErrorCode.DUPLICATE,
                f"an edge of this type between these nodes overlaps these dates: {detail}",
                field,
            )
        ]
    if status == "conflict":
        return [
            payload_error(
                ErrorCode.CONFLICT,
                f"stale expectedVersion: the relationship is at version {detail}; "
                "re-read it and apply your change again",
                field,
            )
        ]
    if status == "ended":
        return [payload_error(ErrorCode.VALIDATION, f"the edge already ended on {detail}", field)]
    return [payload_error(ErrorCode.VALIDATION, str(detail), field)]


def _result(result: repo.EdgeResult, rel: Rel | None = None) -> dict[str, Any]:
    if result.status != "ok":
        return payload(None, _errors_for(result, rel))
    return payload(result.rel, [])


async def link_nodes(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    rel: Rel = data["type"]
    errors = v.Errors()
    props = edge_props(errors, rel, data, creating=True)
    v.date_range(errors, props.get("since"), props.get("until"))
    if data["from"] == data["to"]:
        errors.add(ErrorCode.VALIDATION, "an edge cannot join a node to itself", "input.to")
    if errors:
        return payload(None, errors)
    action = f"relationship.link.{rel.value.lower()}"
    result = await repo.link(ctx.db, rel, data["from"], data["to"], props, _audit(ctx, action))
    return _result(result, rel)


async def update_link(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    current = await repo.by_id(ctx.db, data["id"])
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


async def end_link(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    result = await repo.end(
        ctx.db,
        data["id"],
        data.get("until"),
        data.get("expectedVersion"),
        _audit(ctx, "relationship.end"),
    )
    return _result(result)


async def unlink(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    result = await repo.unlink(
        ctx.db, data["id"], data.get("expectedVersion"), _audit(ctx, "relationship.unlink")
    )
    return _result(result)


async def set_stance(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    result = await repo.set_stance(
        ctx.db,
        data["project"],
        data["person"],
        nodes.plain(data["stance"]),
        data.get("expectedVersion"),
        _audit(ctx, "relationship.update.participates_in"),
    )
    if result.status == "not_found" and result.field == "input.person":
        return payload(
            None,
            [
                payload_error(
                    ErrorCode.NOT_FOUND,
                    "this person has no current participation in this project",
                    "input.person",
                )
            ],
        )
    return _result(result, Rel.PARTICIPATES_IN)


async def transfer_ownership(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    result = await repo.transfer_ownership(
        ctx.db, data["customer"], data["toUser"], _audit(ctx, "relationship.transfer_ownership")
    )
    if result.status == "wrong_label":
        field = result.field
        message = (
            "must be one of our staff (a User)"
            if field == "input.toUser"
            else "must be a company or person"
        )
        return payload(None, [payload_error(ErrorCode.VALIDATION, message, field)])
    return _result(result, Rel.OWNS)


async def relationship(ctx: Context, edge_id: str) -> Row | None:
    return await repo.by_id(ctx.db, edge_id)


async def stance_history(
    ctx: Context, project: str, person: str | None, first: int
) -> list[repo.StanceChangeRow]:
    if first < 1 or first > HISTORY_MAX:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, f"`first` must be between 1 and {HISTORY_MAX}", "first"
        )
    return await repo.stance_history(ctx.db, project, person, first)
