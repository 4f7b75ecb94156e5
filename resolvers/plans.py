"""Sales plans against actuals (graph/plans.py): the batch save with typed errors at input
paths, and the plan-versus-actual table.

Who plans: ADMIN everything; a MANAGER the users and teams of their scope (their team and
the teams below it) and the customers they may edit; product plans are company-wide targets,
ADMIN's. SALES, ANALYST and AUDITOR read plans, never enter them. Every row of a save is
checked before anything is written; on any problem nothing is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from graph import clock
from graph import plans as repo
from graph import team as team_repo
from graph.refusal import Refusal
from resolvers import validation as v
from resolvers.args import zoned
from resolvers.common import audit, read_only
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.records import cents, currency
from resolvers.shapes import UserErrorRow
from resolvers.team import team as team_of

Dimension = repo.Dimension
PeriodKind = repo.PeriodKind
PlanSource = repo.PlanSource
ForecastMethod = repo.ForecastMethod
PlanRow = repo.PlanRow
TableRow = repo.TableRow
Table = repo.Table
PLANNERS = frozenset({"ADMIN", "MANAGER"})


class PlansPayload(TypedDict):
    plans: list[PlanRow]
    changed: int
    errors: list[UserErrorRow]


def _failed(errors: list[UserErrorRow]) -> PlansPayload:
    return {"plans": [], "changed": 0, "errors": errors}


def parse_rows(rows: list[dict[str, Any]], errors: v.Errors) -> list[repo.PlanSave]:
    """The input rows as PlanSaves; every problem recorded in `errors` with its path."""
    out: list[repo.PlanSave] = []
    if not 1 <= len(rows) <= repo.MAX_SAVE:
        errors.add(ErrorCode.VALIDATION, f"1..{repo.MAX_SAVE} plans", "input.plans")
        return out
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        path = f"input.plans[{i}]"
        period = repo.parse_period(str(row.get("period") or ""))
        if period is None:
            errors.add(ErrorCode.VALIDATION, "a month 2027-01, quarter 2027-Q1 or year 2027",
                       f"{path}.period")  # fmt: skip
        code = currency(errors, row.get("currency"), f"{path}.currency")
        remove = bool(row.get("remove"))
        amount = None
        if not remove:
            if row.get("amount") is None:
                errors.add(ErrorCode.VALIDATION, "an amount, or remove: true", f"{path}.amount")
            else:
                amount = cents(errors, row["amount"], f"{path}.amount", positive=False)
        note = v.text(errors, row.get("note"), f"{path}.note", max_len=500)
        # An enum from the API, a string from a CSV import.
        given = row.get("dimension")
        dimension = str(getattr(given, "value", given)).upper()
        if dimension not in repo.Dimension.__members__:
            errors.add(ErrorCode.VALIDATION, "CUSTOMER, PRODUCT, TEAM or USER", f"{path}.dimension")
            continue
        if period is None or code is None or (amount is None and not remove):
            continue
        plan = repo.PlanSave(
            period=period,
            dimension=repo.Dimension(dimension),
            target=str(row.get("target") or ""),
            currency=code,
            amount_cents=amount,
            note=note,
            expected_version=row.get("expectedVersion"),
        )
        if plan.id in seen:
            errors.add(ErrorCode.VALIDATION, f"the same plan as input.plans[{seen[plan.id]}]",
                       path)  # fmt: skip
            continue
        seen[plan.id] = i
        out.append(plan)
    return out


def refusal_error(refusal: repo.RowRefusal) -> UserErrorRow:
    path = f"input.plans[{refusal.index}]"
    if refusal.refusal is Refusal.CONFLICT:
        return payload_error(
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the plan is at version {refusal.current_version}",
            f"{path}.expectedVersion",
        )
    if refusal.refusal is Refusal.FORBIDDEN:
        return payload_error(
            ErrorCode.FORBIDDEN, "you may not plan for this target", f"{path}.target"
        )
    if refusal.refusal is Refusal.DUPLICATE:
        return payload_error(
            ErrorCode.VALIDATION,
            f"the same plan as input.plans[{refusal.other}]: both ids name one customer "
            "(a merged customer's id stands for the one it was merged into)",
            f"{path}.target",
        )
    if refusal.refusal is Refusal.INACTIVE:
        return payload_error(
            ErrorCode.VALIDATION,
            "a user's plan is for an active user who may sell (not archived, not ANALYST or "
            "AUDITOR only); an existing one may still be removed",
            f"{path}.target",
        )
    return payload_error(ErrorCode.NOT_FOUND, "no such target of this dimension", f"{path}.target")


async def save_plans(ctx: Context, data: dict[str, Any]) -> PlansPayload:
    if denied := read_only(ctx):
        return _failed(denied)
    if not PLANNERS & ctx.actor.roles:
        message = "sales plans are entered by ADMIN and MANAGER"
        return _failed([payload_error(ErrorCode.FORBIDDEN, message, None)])
    errors = v.Errors()
    rows = parse_rows(data.get("plans") or [], errors)
    if errors:
        return _failed(errors)
    result = await repo.save(ctx.db, rows, audit(ctx, "plans.save"))
    if result.refusals:
        return _failed([refusal_error(r) for r in result.refusals])
    return {"plans": result.plans, "changed": result.changed, "errors": []}


def _decimal(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


async def plan_vs_actual(
    ctx: Context,
    period: str,
    dimension: Dimension,
    as_of: dt.datetime | None,
    ids: list[str] | None,
    team: str | None,
    currency_code: str | None,
) -> Table:
    parsed = repo.parse_period(period)
    if parsed is None:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, "a month 2027-01, quarter 2027-Q1 or year 2027", "period"
        )
    zoned(("asOf", as_of))
    if team is not None and dimension not in (Dimension.USER, Dimension.TEAM):
        raise ApiError(ErrorCode.BAD_USER_INPUT, "only with dimension USER or TEAM", "team")
    if ids is not None and len(ids) > repo.MAX_ROWS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {repo.MAX_ROWS}", "ids")
    code = None
    if currency_code is not None:
        errors = v.Errors()
        code = currency(errors, currency_code, "currency")
        if code is None:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "not an ISO 4217 currency code", "currency")
    q = repo.TableQuery(
        period=parsed,
        dimension=dimension,
        as_of=as_of or clock.now(),
        ids=[str(x) for x in ids] if ids is not None else None,
        team=str(team) if team is not None else None,
        currency=code,
    )
    table = await repo.table(ctx.db, ctx.actor, q)
    if team is not None and not table["rows"] and await team_of(ctx, str(team)) is None:
        # An empty table should mean an empty team, not a mistyped one.
        hint = " (give its id, not its code)" if await team_repo.code_exists(
            ctx.db, ctx.actor, str(team)) else ""  # fmt: skip
        raise ApiError(ErrorCode.NOT_FOUND, f"no such team{hint}", "team")
    return table
