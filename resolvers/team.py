"""Teams: listed for every viewer, changed by admins only. Team codes are what `User.team`
holds, so a code never changes once created; archiving waits until no one is left in it."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from graph import team as repo
from graph.access import TEAM_DEPTH
from graph.errors import ConstraintViolation
from graph.refusal import Part, Refusal
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.common import audit
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import load_grouped, load_one
from resolvers.shapes import NodeRow, TeamRow, UserErrorRow

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,49}")


class TeamPayload(TypedDict):
    team: TeamRow | None
    errors: list[UserErrorRow]


def _refused(errors: list[UserErrorRow]) -> TeamPayload:
    return {"team": None, "errors": errors}


def _denied(ctx: Context) -> list[UserErrorRow]:
    if ctx.viewer.has("ADMIN"):
        return []
    return [payload_error(ErrorCode.FORBIDDEN, "only admins manage teams")]


def _result(result: repo.TeamResult, team_id: str | None = None) -> TeamPayload:
    if result.refusal is None:
        return {"team": result.team, "errors": []}
    messages: dict[Refusal, tuple[ErrorCode, str, str | None]] = {
        Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, f"no team with id {team_id}", "input.id"),
        Refusal.CONFLICT: (
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the team is at version {result.current_version}",
            "input.expectedVersion",
        ),
        Refusal.CYCLE: (
            ErrorCode.CYCLE,
            "the parent is this team or a team below it",
            "input.parent",
        ),
        Refusal.TOO_DEEP: (
            ErrorCode.VALIDATION,
            f"the team hierarchy would be deeper than {TEAM_DEPTH} levels",
            "input.parent",
        ),
        Refusal.IN_USE: (
            ErrorCode.VALIDATION,
            f"the team still has {result.members} active members and {result.children} "
            "active child teams; move them first",
            "input.id",
        ),
    }
    code, message, field = messages[result.refusal]
    if result.refusal is Refusal.NOT_FOUND and result.part is Part.PARENT:
        message, field = "no active team with this id", "input.parent"
    return _refused([payload_error(code, message, field)])


async def teams(ctx: Context, first: int, archived: bool) -> list[TeamRow]:
    return await repo.teams(ctx.db, ctx.actor, page_size(first), archived)


async def team(ctx: Context, team_id: str) -> TeamRow | None:
    return await load_one(ctx, "team", team_id, lambda ids: repo.by_ids(ctx.db, ctx.actor, ids))


async def children(ctx: Context, team_id: str) -> list[TeamRow]:
    return await load_grouped(
        ctx,
        "team.children",
        team_id,
        lambda ids: repo.children(ctx.db, ctx.actor, ids, repo.MAX_ITEMS),
    )


async def members(ctx: Context, team_id: str, first: int) -> list[NodeRow]:
    cap = page_size(first)

    return await load_grouped(
        ctx, f"team.members.{cap}", team_id, lambda ids: repo.members(ctx.db, ctx.actor, ids, cap)
    )


async def known_code(ctx: Context, code: str) -> bool:
    """Whether an active team has this code (what `User.team` must name)."""
    return await repo.code_exists(ctx.db, ctx.actor, code)


def _code(errors: v.Errors, value: Any) -> str | None:
    code = v.text(errors, value, "input.code", required=True, max_len=50)
    if code is not None and not CODE.fullmatch(code):
        errors.add(
            ErrorCode.VALIDATION,
            "must be upper-case letters, digits, `_` or `-`, e.g. EAST",
            "input.code",
        )
        return None
    return code


async def create_team(ctx: Context, data: dict[str, Any]) -> TeamPayload:
    if denied := _denied(ctx):
        return _refused(denied)
    errors = v.Errors()
    code = _code(errors, data.get("code"))
    name = v.text(errors, data.get("name"), "input.name", required=True, max_len=100, one_line=True)
    if errors or code is None or name is None:
        return _refused(errors)
    try:
        result = await repo.create(
            ctx.db, code, name, data.get("parent"), audit(ctx, "team.create")
        )
    except ConstraintViolation:
        return _refused(
            [payload_error(ErrorCode.DUPLICATE, f"a team with code {code} exists", "input.code")]
        )
    return _result(result)


async def update_team(ctx: Context, data: dict[str, Any]) -> TeamPayload:
    if denied := _denied(ctx):
        return _refused(denied)
    errors = v.Errors()
    props: dict[str, Any] = {}
    if "name" in data:
        props["name"] = v.text(
            errors, data["name"], "input.name", required=True, max_len=100, one_line=True
        )
    if errors:
        return _refused(errors)
    result = await repo.update(
        ctx.db,
        data["id"],
        data["expectedVersion"],
        props,
        "parent" in data,
        data.get("parent"),
        audit(ctx, "team.update"),
    )
    return _result(result, data["id"])


async def archive_team(ctx: Context, team_id: str, expected_version: int | None) -> TeamPayload:
    if denied := _denied(ctx):
        return _refused(denied)
    result = await repo.archive(ctx.db, team_id, expected_version, audit(ctx, "team.archive"))
    return _result(result, team_id)
