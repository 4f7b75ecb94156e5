"""Pipeline and forecast (R24), risk flags, and the hand-over (R6, R27): argument checks,
settings, shaping, and the brief composed from existing reads.

Every figure is computed over what the viewer may see (graph/pipeline.py's scope runs inside
the visibility predicate), so a rep's funnel is their accounts' and a manager's their teams'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, TypedDict

from graph import clock
from graph import funnel as f
from graph import handover as ho
from graph import pipeline as repo
from graph import records as records_repo
from graph.refusal import Part, Refusal
from graph.vocab import ProjectStage
from resolvers import args, records
from resolvers import validation as v
from resolvers.common import admin_only, audit, read_only, save_document
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import loader
from resolvers.node import node, nodes_by_ids
from resolvers.shapes import UserErrorRow

RiskFlag = f.RiskFlag
Step = f.Step
MAX_PERIOD_DAYS = 3660
MAX_AT_RISK = 100
PRIVILEGED = frozenset({"ADMIN", "MANAGER"})

# What each flag means, in the user's two languages (the viewer picks one).
REASONS: dict[f.RiskFlag, tuple[str, str]] = {
    f.RiskFlag.DECISION_MAKER_OPPOSED: ("决策者持反对态度", "A decision maker opposes the deal"),
    f.RiskFlag.OPPOSED_INFLUENCER: (
        "有影响力的人持反对态度",
        "An influential person (a power role, or one who sways a decision maker) opposes it",
    ),
    f.RiskFlag.DECISION_MAKER_UNKNOWN_TO_STAFF: (
        "我方无人直接认识决策者",
        "Nobody on our staff knows a decision maker directly",
    ),
    f.RiskFlag.NO_RECENT_INTERACTION: ("{days} 天没有互动", "No interaction for {days} days"),
    f.RiskFlag.CLOSE_DATE_PASSED: (
        "预计成交日期已过 {days} 天",
        "The expected close date passed {days} days ago",
    ),
    f.RiskFlag.DECISION_MAKER_STANCE_UNKNOWN: (
        "决策者立场未知",
        "A decision maker's stance is unknown",
    ),
}


# --- Arguments ---------------------------------------------------------------------------------
def scope(data: dict[str, Any] | None) -> repo.ScopeParams:
    data = data or {}
    return repo.scope_params(
        owner=data.get("owner"),
        team=data.get("team"),
        customer_class=data.get("customerClass"),
        group=data.get("group"),
    )


def _period(
    since: dt.date | None, until: dt.date | None, default_days: int
) -> tuple[dt.date, dt.date]:
    until = until or clock.today()
    since = since or until - dt.timedelta(days=default_days)
    if since > until:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "since must not be after until", "since")
    if (until - since).days > MAX_PERIOD_DAYS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "a period of at most 10 years", "since")
    return since, until


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of business day `day`, at a fixed offset for the driver (graph/clock.py)."""
    return clock.fixed(dt.datetime(day.year, day.month, day.day, tzinfo=clock.ZONE))


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of business day `day`: a period's `until` includes its whole day."""
    return start_of(day + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


# --- Settings ----------------------------------------------------------------------------------
def settings_row(s: repo.Settings, version: int) -> dict[str, Any]:
    return {
        "version": version,
        "stageProbabilities": [
            {"stage": ProjectStage(k), "probability": p}
            for k, p in s.stage_probability.items()
            if k in ProjectStage.__members__
        ],
        "staleDays": s.stale_days,
        "highInfluenceAt": s.high_influence_at,
    }


async def settings(ctx: Context) -> dict[str, Any]:
    s, version = await repo.settings(ctx.db, ctx.actor)
    return settings_row(s, version)


class SettingsPayload(TypedDict):
    settings: dict[str, Any] | None
    errors: list[UserErrorRow]


async def save_settings(ctx: Context, data: dict[str, Any]) -> SettingsPayload:
    if denied := admin_only(ctx, "pipeline settings are kept by ADMIN"):
        return {"settings": None, "errors": denied}
    current, _ = await repo.settings(ctx.db, ctx.actor)
    errors = v.Errors()
    probabilities = dict(current.stage_probability)
    named: set[str] = set()
    for i, item in enumerate(data.get("stageProbabilities") or []):
        if item["stage"].value in named:  # which of the two was meant cannot be told
            errors.add(
                ErrorCode.VALIDATION,
                "this stage is named twice",
                f"input.stageProbabilities.{i}.stage",
            )
        named.add(item["stage"].value)
        if not 0.0 <= item["probability"] <= 1.0:
            errors.add(
                ErrorCode.VALIDATION,
                "must be between 0 and 1",
                f"input.stageProbabilities.{i}.probability",
            )
        probabilities[item["stage"].value] = float(item["probability"])
    merged = replace(current, stage_probability=probabilities)
    if data.get("staleDays") is not None:
        if not 1 <= data["staleDays"] <= 365:
            errors.add(ErrorCode.VALIDATION, "1..365 days", "input.staleDays")
        merged = replace(merged, stale_days=int(data["staleDays"]))
    if data.get("highInfluenceAt") is not None:
        if not 0.0 < data["highInfluenceAt"] <= 1.0:
            errors.add(ErrorCode.VALIDATION, "above 0, at most 1", "input.highInfluenceAt")
        merged = replace(merged, high_influence_at=float(data["highInfluenceAt"]))
    if errors:
        return {"settings": None, "errors": errors}
    expected = data.get("expectedVersion")
    version, conflict = await save_document(
        ctx, repo.save_settings, merged, expected, "pipeline.settings", "settings"
    )
    if version is None:
        return {"settings": None, "errors": conflict}
    return {"settings": settings_row(merged, version), "errors": []}


# --- Funnel and forecast -----------------------------------------------------------------------
async def funnel(
    ctx: Context,
    scope_input: dict[str, Any] | None,
    since: dt.date | None,
    until: dt.date | None,
    currency: str,
) -> dict[str, Any]:
    code = args.currency(currency)
    start, end = _period(since, until, 90)
    fetched = await repo.opportunities(ctx.db, ctx.actor, scope(scope_input), end_of(end))
    result = f.funnel(fetched["opportunities"], start_of(start), end_of(end), code)
    return {
        "since": start,
        "until": end,
        "currency": code,
        "steps": [
            {
                "stage": s.stage,
                "reached": s.reached,
                "reachedAmount": s.reached_amount,
                "current": s.current,
                "currentAmount": s.current_amount,
                "conversion": s.conversion,
                "medianDays": s.median_days,
            }
            for s in result.steps
        ],
        "cohort": result.cohort,
        "won": result.won,
        "wonAmount": result.won_amount,
        "lost": result.lost,
        "lostAmount": result.lost_amount,
        "lossReasons": [
            {"reason": x.reason, "count": x.count, "amount": x.amount} for x in result.loss_reasons
        ],
        "winRate": result.win_rate,
        "otherCurrency": result.other_currency,
        "truncated": fetched["truncated"],
    }


def _month_row(m: f.MonthFigures) -> dict[str, Any]:
    return {
        "open": m.open,
        "amount": m.amount,
        "weighted": m.weighted,
        "won": m.won,
        "onHold": m.on_hold,
    }


async def forecast(
    ctx: Context,
    scope_input: dict[str, Any] | None,
    since: dt.date | None,
    until: dt.date | None,
    as_of: dt.date | None,
    compare_to: dt.date | None,
    currency: str,
) -> dict[str, Any]:
    code = args.currency(currency)
    today = clock.today()
    first = since or today.replace(day=1)
    last = until or (first + dt.timedelta(days=31 * 5)).replace(day=1) - dt.timedelta(days=1)
    start, end = _period(first, last, 0)
    if (end.year - start.year) * 12 + end.month - start.month >= f.MAX_MONTHS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {f.MAX_MONTHS} months at once", "until")
    moment = as_of or today
    then = compare_to or moment - dt.timedelta(days=30)
    if then > moment:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "compareTo must not be after asOf", "compareTo")
    s, _ = await repo.settings(ctx.db, ctx.actor)
    fetched = await repo.opportunities(ctx.db, ctx.actor, scope(scope_input), end_of(moment))
    months = f.forecast(
        fetched["opportunities"], start, end, end_of(moment), end_of(then), code, s.probability
    )
    rows = [
        {"month": m.month, "now": _month_row(m.now), "then": _month_row(m.then)} for m in months
    ]
    return {
        "since": start,
        "until": end,
        "asOf": moment,
        "compareTo": then,
        "currency": code,
        "months": rows,
        "total": _month_row(_sum([m.now for m in months])),
        "totalThen": _month_row(_sum([m.then for m in months])),
        "truncated": fetched["truncated"],
    }


def _sum(ms: list[f.MonthFigures]) -> f.MonthFigures:
    out = f.MonthFigures()
    for m in ms:
        out.open += m.open
        out.amount += m.amount
        out.weighted += m.weighted
        out.won += m.won
        out.on_hold += m.on_hold
    out.amount, out.weighted = round(out.amount, 2), round(out.weighted, 2)
    out.won, out.on_hold = round(out.won, 2), round(out.on_hold, 2)
    return out


# --- Risk --------------------------------------------------------------------------------------
async def _flags(ctx: Context, rows: list[list[f.Flag]]) -> list[list[dict[str, Any]]]:
    """Flags shaped for the API, the people they name loaded in one batch (masked and
    filtered as every Person is: someone the viewer may not see is left out)."""
    ids = sorted({pid for flags in rows for x in flags for pid in x.people})
    found = {pid: p for pid, p in zip(ids, await nodes_by_ids(ctx, ids), strict=True) if p}
    out = []
    for flags in rows:
        shaped = []
        for x in flags:
            zh, en = REASONS[x.flag]
            days = x.days if x.days is not None else 0
            shaped.append(
                {
                    "flag": x.flag,
                    "weight": f.WEIGHTS[x.flag],
                    "reasonZh": zh.format(days=days),
                    "reason": en.format(days=days),
                    "days": x.days,
                    "since": x.since,
                    "people": [found[pid] for pid in x.people if pid in found],
                }
            )
        out.append(shaped)
    return out


async def at_risk(ctx: Context, scope_input: dict[str, Any] | None, first: int) -> dict[str, Any]:
    args.page_size(first, MAX_AT_RISK)
    s, _ = await repo.settings(ctx.db, ctx.actor)
    rows, truncated = await repo.at_risk(ctx.db, ctx.actor, scope(scope_input), s, clock.today())
    page = rows[:first]
    flags = await _flags(ctx, [r["flags"] for r in page])
    items = [
        {"project": r["project"], "score": r["score"], "flags": shaped}
        for r, shaped in zip(page, flags, strict=True)
    ]
    return {
        "items": items,
        "totalCount": len(rows),
        "truncated": truncated,
    }


async def risk_flags(ctx: Context, project_id: str) -> list[dict[str, Any]]:
    """A project's flags (empty unless OPEN): one round trip for every project asked."""

    async def batch(ids: list[str]) -> list[repo.RiskRow | None]:
        s, _ = await repo.settings(ctx.db, ctx.actor)
        found = await repo.risk_of(ctx.db, ctx.actor, ids, s, clock.today())
        return [found.get(i) for i in ids]

    row: repo.RiskRow | None = await loader(ctx, "pipeline.risk", batch).load(project_id)
    return [] if row is None else (await _flags(ctx, [row["flags"]]))[0]


# --- Hand-over ---------------------------------------------------------------------------------
class HandOverPayload(TypedDict):
    handOver: dict[str, Any] | None
    errors: list[UserErrorRow]


_PATHS: dict[Part, str] = {
    Part.FROM: "input.from",
    Part.TO: "input.to",
    Part.ACCOUNT: "input.accounts",
    Part.PROJECT: "input.from",
    Part.WHOLE: "input",
}
_CODES: dict[Refusal, tuple[ErrorCode, str]] = {
    Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no such user or account held by them"),
    Refusal.FORBIDDEN: (ErrorCode.FORBIDDEN, "you may not move this"),
    Refusal.SELF_LOOP: (ErrorCode.VALIDATION, "the successor must not be the departed user"),
    Refusal.TOO_MANY: (ErrorCode.VALIDATION, "more than one hand-over may move at once"),
    Refusal.INACTIVE: (
        ErrorCode.VALIDATION,
        "a successor must be an active user who may edit (not archived, not ANALYST or "
        "AUDITOR only)",
    ),
}

# Why a FORBIDDEN hand-over was refused, by the part it names.
_FORBIDDEN: dict[Part, str] = {
    Part.WHOLE: "your role may not hand over (ADMIN, or a MANAGER of the rep's team)",
    Part.TO: "the successor is outside the teams you manage",
    Part.FROM: "the rep is outside the teams you manage and holds nothing you may edit",
    Part.ACCOUNT: "you may not edit this account of the rep's",
}


def _route_path(data: dict[str, Any], part: Part | None, named: str | None) -> str | None:
    """The route (`input.accounts[i]`) a refusal names: its successor when that is not the
    default `to`, or its account."""
    routes = data.get("accounts") or []
    if part is Part.TO and named != str(data["to"]):
        key, field = "to", "to"
    elif part is Part.ACCOUNT:
        key, field = "account", "account"
    else:
        return None
    i = next((i for i, a in enumerate(routes) if str(a[key]) == named), None)
    return None if i is None else f"input.accounts.{i}.{field}"


async def hand_over(ctx: Context, data: dict[str, Any]) -> HandOverPayload:
    if denied := read_only(ctx):
        return {"handOver": None, "errors": denied}
    if not PRIVILEGED & ctx.viewer.roles:
        error = payload_error(ErrorCode.FORBIDDEN, "hand-overs are for ADMIN and MANAGER", None)
        return {"handOver": None, "errors": [error]}
    errors = v.Errors()
    note = v.text(errors, data.get("note"), "input.note", max_len=2000)
    routes: dict[str, str] = {}
    for i, a in enumerate(data.get("accounts") or []):
        if str(a["account"]) in routes:
            errors.add(ErrorCode.VALIDATION, "named twice", f"input.accounts.{i}.account")
        routes[str(a["account"])] = str(a["to"])
    if errors:
        return {"handOver": None, "errors": errors}
    row = await ho.hand_over(
        ctx.db,
        str(data["from_"]),
        str(data["to"]),
        routes,
        note,
        bool(data.get("dryRun")),
        audit(ctx, "handOver"),
    )
    if row["refusal"] is not None:
        code, message = _CODES.get(row["refusal"], (ErrorCode.VALIDATION, "refused"))
        if row["refusal"] is Refusal.FORBIDDEN:
            message = _FORBIDDEN.get(row["part"] or Part.WHOLE, message)
        path = _route_path(data, row["part"], row["detail"]) or _PATHS.get(
            row["part"] or Part.WHOLE, "input"
        )
        if row["detail"]:
            message = f"{message}: {row['detail']}"
        return {"handOver": None, "errors": [payload_error(code, message, path)]}
    if row["id"] is not None:
        for u in {m["to"] for m in row["accounts"]} | {str(data["from_"])}:
            ctx.user_changed(u)
    return {
        "handOver": {
            "id": row["id"],
            "dryRun": row["id"] is None,
            "accounts": row["accounts"],
            "projects": row["projects"],
            "followUps": row["followUps"],
            "closedProjects": row["closedProjects"],
            "leftBehind": row["leftBehind"],
            "leftBehindHidden": row["leftBehindHidden"],
            "sharesEnded": row["sharesEnded"],
        },
        "errors": [],
    }


async def brief(ctx: Context, account_id: str) -> dict[str, Any] | None:
    """What a successor reads first about an account: its open opportunities with their risk
    flags, open follow-ups, the last interactions, and the key people with our ties to them.
    None when the viewer cannot see the account."""
    account = await node(ctx, account_id)
    if account is None or not account.get("isCustomer"):
        return None
    opps = await repo.open_projects(ctx.db, ctx.actor, account_id)
    flags = await _flags_of(ctx, [o["id"] for o in opps])
    follow_ups = await records.follow_ups(
        ctx,
        {"status": "OPEN", "assignee": None, "customerId": account_id, "dueBefore": None},
        20,
        None,
        True,
    )
    last = await records.timeline(
        ctx, records_repo.TimelineQuery(party=account_id, kinds=["Interaction"]), 5, None, True
    )
    people = await ho.key_people(ctx.db, ctx.actor, account_id)
    key = []
    found = await nodes_by_ids(ctx, [p["personId"] for p in people])
    for p, person in zip(people, found, strict=True):
        if person is not None:
            decides = any(x["role"] == "DECISION_MAKER" for x in p["roles"])
            ties = [{**t, "personId": p["personId"], "decisionMaker": decides} for t in p["ties"]]
            key.append({"person": person, "roles": p["roles"], "ties": ties})
    return {
        "account": account,
        "openOpportunities": [
            {"project": o, "flags": flags.get(o["id"], []), "score": _score(flags, o["id"])}
            for o in opps
        ],
        "openFollowUps": follow_ups,
        "lastInteractions": last,
        "keyPeople": key,
    }


async def _flags_of(ctx: Context, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    s, _ = await repo.settings(ctx.db, ctx.actor)
    found = await repo.risk_of(ctx.db, ctx.actor, ids, s, clock.today())
    keys = [i for i in ids if i in found]
    shaped = await _flags(ctx, [found[i]["flags"] for i in keys])
    return dict(zip(keys, shaped, strict=True))


def _score(flags: dict[str, list[dict[str, Any]]], project_id: str) -> int:
    return sum(x["weight"] for x in flags.get(project_id, []))
