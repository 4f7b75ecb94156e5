"""Manual shares of customer accounts with a user or a team (graph/share.py).

The sharer needs edit rights on the account (admins have them on every account); a share of
an account the viewer cannot see is refused exactly as a missing account (NOT_FOUND).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, TypedDict

from graph import share as repo
from graph.access import ShareLevel as Levels
from graph.refusal import Part, Refusal
from resolvers import validation as v
from resolvers.common import audit
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import loader
from resolvers.shapes import ShareRow, UserErrorRow


class ShareLevel(Enum):
    READ = Levels.READ
    EDIT = Levels.EDIT


class SharePayload(TypedDict):
    share: ShareRow | None
    errors: list[UserErrorRow]


class UnsharePayload(TypedDict):
    unsharedId: str | None
    errors: list[UserErrorRow]


def _principal(errors: v.Errors, data: dict[str, Any]) -> tuple[repo.Principal, str, str] | None:
    """Exactly one of `withUser` / `withTeam`: its kind, id and input path."""
    user, team = data.get("withUser"), data.get("withTeam")
    if (user is None) == (team is None):
        errors.add(ErrorCode.VALIDATION, "give exactly one of withUser or withTeam", "input")
        return None
    if user is not None:
        return repo.Principal.USER, str(user), "input.withUser"
    return repo.Principal.TEAM, str(team), "input.withTeam"


def _errors(result: repo.ShareResult, field: str) -> list[UserErrorRow]:
    if result.part is Part.PRINCIPAL:
        what = "user" if field == "input.withUser" else "team"
        return [payload_error(ErrorCode.NOT_FOUND, f"no active {what} with this id", field)]
    code, message = {
        Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no company or person with this id"),
        Refusal.WRONG_LABEL: (
            ErrorCode.VALIDATION,
            "only customer accounts (a company or person with a customer profile) are shared",
        ),
        Refusal.FORBIDDEN: (
            ErrorCode.FORBIDDEN,
            "you may not share this account: that takes edit rights of your own (its owner, "
            "their team and managers, its project team, an admin), not through a share",
        ),
    }[result.refusal or Refusal.NOT_FOUND]
    return [payload_error(code, message, "input.account")]


def _until(errors: v.Errors, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    # A date-time without offset would be stored as a local time, which never compares
    # with datetime(): the share would silently never count.
    if value.tzinfo is None:
        errors.add(ErrorCode.VALIDATION, "needs a time-zone offset, e.g. +08:00", "input.until")
        return None
    if value <= dt.datetime.now(dt.UTC):
        errors.add(ErrorCode.VALIDATION, "must be in the future", "input.until")
        return None
    return value


async def share_account(ctx: Context, data: dict[str, Any]) -> SharePayload:
    errors = v.Errors()
    principal = _principal(errors, data)
    until = _until(errors, data.get("until"))
    reason = v.text(errors, data.get("reason"), "input.reason", max_len=300)
    if errors or principal is None:
        return {"share": None, "errors": errors}
    kind, principal_id, field = principal
    level: ShareLevel = data["level"]
    result = await repo.share(
        ctx.db,
        str(data["account"]),
        kind,
        principal_id,
        level.value,
        until,
        reason,
        audit(ctx, "account.share"),
    )
    if result.refusal is not None:
        return {"share": None, "errors": _errors(result, field)}
    return {"share": result.share, "errors": []}


async def unshare_account(ctx: Context, data: dict[str, Any]) -> UnsharePayload:
    errors = v.Errors()
    principal = _principal(errors, data)
    if errors or principal is None:
        return {"unsharedId": None, "errors": errors}
    kind, principal_id, field = principal
    result = await repo.unshare(
        ctx.db, str(data["account"]), kind, principal_id, audit(ctx, "account.unshare")
    )
    if result.refusal is not None:
        if result.part is Part.PRINCIPAL:
            message = "the account is not shared with this principal"
            return {
                "unsharedId": None,
                "errors": [payload_error(ErrorCode.NOT_FOUND, message, field)],
            }
        return {"unsharedId": None, "errors": _errors(result, field)}
    return {"unsharedId": result.share_id, "errors": []}


async def shares(ctx: Context, account_id: str, expired: bool) -> list[ShareRow]:
    """An account's shares, batched per request (one loader per `expired`)."""

    async def batch(ids: list[str]) -> list[list[ShareRow]]:
        found = await repo.shares(ctx.db, ctx.actor, ids, expired)
        return [found.get(i, []) for i in ids]

    result: list[ShareRow] = await loader(ctx, f"shares.{expired}", batch).load(account_id)
    return result
