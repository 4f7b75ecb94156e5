"""Customer intelligence (graph/intelligence.py): scores on the customer, their history, the
lifecycle moved by hand, the 80/20 view, churn lists and analysis, settings and runs, and the
scheduler that runs scoring inside the server.

Explanations are stored as JSON on each snapshot; they are shaped here once. The people and
companies a churn signal names (a contact who left, a new incumbent) are stored as ids and
resolved through the node loader, so they are shown only where the viewer may see them, masked
as everywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from enum import Enum
from typing import Any, TypedDict

from graph import classification, clock, scoring
from graph import intelligence as repo
from graph import team as team_repo
from graph.actor import Actor
from graph.db import Database
from graph.errors import DatabaseUnavailable
from graph.nodes import Audit
from graph.refusal import Refusal
from graph.vocab import Label, LifecycleStage, LostReason
from resolvers import args
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.common import admin_only, audit, load_node, read_only, save_document
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import loader
from resolvers.node import node, nodes_by_ids
from resolvers.pages import connection, decode_cursor, encode_cursor, time_ordered, time_position
from resolvers.permissions import WHOLE_BOOK, may_read
from resolvers.records import currency
from resolvers.shapes import ConnectionOf, NodeRow, UserErrorRow

log = logging.getLogger(__name__)

# The scoring vocabulary, re-exported for schema/ (which never imports graph/).
Factor = scoring.Factor
ChurnReason = scoring.ChurnReason
RiskLevel = scoring.RiskLevel
Population = scoring.Population
SnapshotRow = repo.SnapshotRow
WarningRow = repo.WarningRow
StageChangeRow = repo.StageChangeRow
MAX_STAGE_HISTORY = 100
MAX_PERIOD_DAYS = 3660
PRIVILEGED = frozenset({"ADMIN", "MANAGER"})


# --- Shaping ----------------------------------------------------------------------------------
def _signals(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in reasons:
        detail = dict(r.get("detail") or {})
        people = detail.pop("contacts", None) or []
        companies = detail.pop("competitors", None) or []
        if people:
            detail["contacts"] = len(people)
        if companies:
            detail["competitors"] = len(companies)
        out.append(
            {
                "reason": r["reason"],
                "points": r["points"],
                "detail": detail,
                "personIds": people,
                "companyIds": companies,
            }
        )
    return out


def explain(text: str | None) -> dict[str, Any]:
    """A snapshot's stored explanation as the schema reads it."""
    e: dict[str, Any] = json.loads(text) if text else {}
    return {
        "factors": e.get("factors", []),
        "rfm": e.get("rfm"),
        "signals": _signals(e.get("churnReasons", [])),
        "stageReason": e.get("stageReason"),
        "model": e.get("model"),
    }


def _cell(r: Any, f: Any, m: Any) -> str | None:
    return f"R{r}F{f}M{m}" if r is not None else None


def shape(row: repo.IntelligenceRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    e = explain(row["explanation"])
    scored = row["scoredAt"] is not None
    return {
        "id": row["id"],
        "scored": scored,
        "value": row["value"] if scored else None,
        "segment": row["segment"] if scored else None,
        "rfm": {
            "recency": row["recency"],
            "frequency": row["frequency"],
            "monetary": row["monetary"],
            "cell": _cell(row["recency"], row["frequency"], row["monetary"]),
            "inputs": e["rfm"],
        }
        if scored
        else None,
        "factors": e["factors"],
        "churnRisk": row["churnRisk"],
        "churnLevel": row["churnLevel"],
        # No risk (a manual move out of NEW/ACTIVE ended it): the snapshot's signals are old.
        "churnSignals": e["signals"] if row["churnRisk"] is not None else [],
        "pAlive": row["pAlive"],
        "scoredAt": row["scoredAt"],
        "confirmedAt": row["confirmedAt"],
        "modelVersion": row["modelVersion"],
        "model": e["model"],
        "lifecycle": {
            "stage": row["stage"],
            "since": row["stageSince"],
            "manual": row["stageManual"],
            "lostReason": row["lostReason"],
            "lostNote": row["lostNote"],
            # A stage set by hand is explained by its note until the rules move it again.
            "reason": row["stageNote"]
            if row["stageManual"] and row["stageNote"]
            else e["stageReason"],
        },
    }


def shape_snapshot(row: SnapshotRow) -> dict[str, Any]:
    e = explain(row["explanation"])
    return {
        **row,
        "cell": _cell(row["recency"], row["frequency"], row["monetary"]),
        "factors": e["factors"],
        "churnSignals": e["signals"],
        "stageReason": e["stageReason"],
        "model": e["model"],
    }


async def of(ctx: Context, customer_id: str) -> dict[str, Any] | None:
    """A customer's scores, batched: one round trip for every customer of a page."""

    async def batch(ids: list[str]) -> list[dict[str, Any] | None]:
        found = await repo.of(ctx.db, ctx.actor, ids)
        return [shape(found.get(i)) for i in ids]

    result: dict[str, Any] | None = await loader(ctx, "intelligence.of", batch).load(customer_id)
    return result


async def customer(ctx: Context, customer_id: str) -> NodeRow | None:
    return await node(ctx, customer_id)


def factor_inputs(ctx: Context, factor: dict[str, Any]) -> dict[str, Any]:
    """A value factor's inputs as the viewer may read them. INFLUENCE counts the whole graph
    (the companies of the group, chain partners, referrals, people's influence), hidden
    accounts too: only a viewer who reads every customer gets the counts (tester BD: a rep
    read `groupCompanies: 1` of a group whose other company the map hid)."""
    inputs: dict[str, Any] = factor.get("inputs") or {}
    if may_read(ctx.viewer.roles, WHOLE_BOOK):
        return inputs
    if factor.get("factor") == scoring.Factor.INFLUENCE.value:
        return {}
    return _peers_left_out(inputs)


def without_peers(ctx: Context, inputs: dict[str, Any] | None) -> dict[str, Any] | None:
    """RFM's inputs as the viewer may read them: `peers` as in CONTRIBUTION's."""
    if inputs is None or may_read(ctx.viewer.roles, WHOLE_BOOK):
        return inputs
    return _peers_left_out(inputs)


def _peers_left_out(inputs: dict[str, Any]) -> dict[str, Any]:
    """Without `peers`, the number of customers a rank is among: every customer, hidden ones
    too (tester BH: a rep of 2 customers read 7)."""
    return {k: v for k, v in inputs.items() if k != "peers"}


async def named(ctx: Context, ids: list[str]) -> list[NodeRow]:
    """The nodes a signal names that the viewer may see (one batched look-up per request)."""
    return [r for r in await nodes_by_ids(ctx, ids) if r is not None]


# --- Reads ------------------------------------------------------------------------------------
async def history(
    ctx: Context, customer_id: str, first: int, after: str | None, with_total: bool
) -> ConnectionOf[dict[str, Any]]:
    limit = page_size(first)
    position = time_position(after, "scoreHistory", [customer_id])
    rows, total = await repo.history(
        ctx.db, ctx.actor, customer_id, limit + 1, position, with_total
    )
    if not rows and after is None:
        await _visible(ctx, customer_id)
    shaped = [shape_snapshot(r) for r in rows]
    return time_ordered(
        shaped,
        limit,
        after,
        total,
        lambda r: (_iso(r["scoredAt"]), r["id"]),
        "scoreHistory",
        [customer_id],
    )


def _iso(value: Any) -> str:
    native = value.to_native() if hasattr(value, "to_native") else value
    return str(native.isoformat())


async def stage_history(ctx: Context, customer_id: str, first: int) -> list[StageChangeRow]:
    if not 1 <= first <= MAX_STAGE_HISTORY:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"first must be 1..{MAX_STAGE_HISTORY}", "first")
    rows = await repo.stage_history(ctx.db, ctx.actor, customer_id, first)
    if not rows:
        await _visible(ctx, customer_id)
    return rows


async def _visible(ctx: Context, customer_id: str) -> None:
    """An empty history should mean a customer without one, not a wrong or hidden id (hidden
    means missing: NOT_FOUND, as `timeline` answers). One look-up, only when empty."""
    if await node(ctx, customer_id) is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no company or person with this id", "customer")


def _period(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    until = until or clock.today() + dt.timedelta(days=1)
    since = since or until - dt.timedelta(days=365)
    if since >= until:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "since must be before until", "since")
    if (until - since).days > MAX_PERIOD_DAYS:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "a period of at most 10 years", "since")
    return since, until


async def pareto(
    ctx: Context, since: dt.date | None, until: dt.date | None, currency: str, share: float
) -> dict[str, Any]:
    if not 0 < share < 1:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            "share must be above 0 and below 1 (0.2: the top 20%)",
            "share",
        )
    code = args.currency(currency)
    start, end = _period(since, until)
    row = await repo.pareto(ctx.db, ctx.actor, start, end, code, share)
    total = row["totalCents"]
    return {
        "since": start,
        "until": end,
        "currency": code,
        "share": share,
        "customers": row["customers"],
        "topCustomers": row["top"],
        "topAmount": row["topCents"] / 100,
        "totalAmount": total / 100,
        "topShare": round(row["topCents"] / total, 4) if total else None,
    }


async def warnings(
    ctx: Context,
    levels: list[str],
    owner: str | None,
    team: str | None,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[WarningRow]:
    limit = page_size(first)
    position: tuple[int, str] | None = None
    of = [sorted(levels), owner, team]
    if after is not None:  # an empty cursor is no cursor, not the first page
        risk, row_id = decode_cursor("churnWarnings", after, 2, of=of)
        if not risk.lstrip("-").isdigit():
            raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor of this list", "after")
        position = (int(risk), row_id)
    rows, total = await repo.warnings(
        ctx.db, ctx.actor, levels, owner, team, limit + 1, position, with_total
    )
    if team is not None and not rows and not await team_repo.code_exists(ctx.db, ctx.actor, team):
        # An empty list should mean a team without warnings, not a mistyped code.
        raise ApiError(ErrorCode.NOT_FOUND, "no team with this code", "team")
    if owner is not None and not rows and await load_node(ctx, Label.USER, owner) is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no staff member with this id", "owner")
    items = [
        (encode_cursor("churnWarnings", str(r["churnRisk"]), r["id"], of=of), r)
        for r in rows[:limit]
    ]
    return connection(items, len(rows) > limit, after, total)


async def churn_analysis(
    ctx: Context, since: dt.date | None, until: dt.date | None, levels: list[str]
) -> dict[str, Any]:
    start, end = _period(since, until)
    out = await repo.churn_analysis(ctx.db, ctx.actor, start, end, levels)
    return {"since": start, "until": end, **out}


async def settings(ctx: Context) -> dict[str, Any]:
    s, version = await repo.settings(ctx.db, ctx.actor)
    return settings_row(s, version)


def settings_row(s: scoring.Settings, version: int) -> dict[str, Any]:
    return {
        **repo.scalar_settings(s),
        "version": version,
        "modelVersion": scoring.MODEL_VERSION,
        "rates": [{"currency": k, "rate": r} for k, r in sorted(s.rates.items())],
        "population": s.population.value,
        "weights": [{"factor": f.value, "weight": w} for f, w in s.weights.items()],
    }


async def runs(ctx: Context, first: int) -> list[dict[str, Any]]:
    if not PRIVILEGED & ctx.viewer.roles:
        raise ApiError(ErrorCode.FORBIDDEN, "scoring runs are for ADMIN and MANAGER", None)
    return await repo.runs(ctx.db, ctx.actor, page_size(first))


# --- Mutations --------------------------------------------------------------------------------
class StagePayload(TypedDict):
    intelligence: dict[str, Any] | None
    errors: list[UserErrorRow]


async def set_stage(ctx: Context, data: dict[str, Any]) -> StagePayload:
    if denied := read_only(ctx):
        return {"intelligence": None, "errors": denied}
    errors = v.Errors()
    note = v.text(errors, data.get("note"), "input.note", required=True, max_len=500)
    stage: LifecycleStage = data["stage"]
    lost: LostReason | None = data.get("lostReason")
    if stage is LifecycleStage.LOST and lost is None:
        errors.add(ErrorCode.VALIDATION, "say why the customer was lost", "input.lostReason")
    if stage is not LifecycleStage.LOST and lost is not None:
        errors.add(
            ErrorCode.VALIDATION, "only a move to LOST has a lost reason", "input.lostReason"
        )
    if lost is LostReason.LAPSED:
        errors.add(ErrorCode.VALIDATION, "LAPSED is the rule's reason", "input.lostReason")
    if errors or note is None:
        return {"intelligence": None, "errors": errors}
    customer = str(data["customer"])
    refusal = await repo.set_stage(
        ctx.db,
        customer,
        stage.value,
        note,
        lost.value if lost else None,
        audit(ctx, "customer.lifecycle"),
    )
    if refusal is Refusal.NOT_FOUND:
        error = payload_error(ErrorCode.NOT_FOUND, "no such customer", "input.customer")
        return {"intelligence": None, "errors": [error]}
    if refusal is Refusal.FORBIDDEN:
        error = payload_error(
            ErrorCode.FORBIDDEN, "you may not change this customer", "input.customer"
        )
        return {"intelligence": None, "errors": [error]}
    ctx.loaders.pop("intelligence.of", None)
    return {"intelligence": await of(ctx, customer), "errors": []}


class SettingsPayload(TypedDict):
    settings: dict[str, Any] | None
    errors: list[UserErrorRow]


def _positive(errors: v.Errors, value: Any, path: str, top: float, low: float = 0.0) -> None:
    if value is not None and not low <= value <= top:
        errors.add(ErrorCode.VALIDATION, f"must be between {low:g} and {top:g}", path)


async def save_settings(ctx: Context, data: dict[str, Any]) -> SettingsPayload:
    if denied := admin_only(ctx, "scoring settings are kept by ADMIN"):
        return {"settings": None, "errors": denied}
    current, _ = await repo.settings(ctx.db, ctx.actor)
    errors = v.Errors()
    changes: dict[str, Any] = {}
    number: type[float] | type[int]
    # A lapse factor or a window of 0 divides by zero or empties every customer's figures
    # (tester AV: lapseFactor 0 was saved, and every later run failed).
    for key, attr, low, top, number in (
        ("coreAt", "core_at", 0.0, 100.0, float),
        ("problemBelow", "problem_below", 0.0, 100.0, float),
        ("problemCreditBelow", "problem_credit_below", 0.0, 100.0, float),
        ("lapseFactor", "lapse_factor", 0.5, 20.0, float),
        ("rfmWindowDays", "rfm_window_days", 1.0, 3660.0, int),
        ("growthWindowDays", "growth_window_days", 1.0, 1830.0, int),
        ("highRiskAt", "high_risk_at", 0.0, 100.0, int),
        ("mediumRiskAt", "medium_risk_at", 0.0, 100.0, int),
    ):
        if data.get(key) is not None:
            _positive(errors, data[key], f"input.{key}", top, low)
            changes[attr] = number(data[key])
    if data.get("population") is not None:
        changes["population"] = scoring.Population(data["population"].value)
    if data.get("currency") is not None:
        # The orders' and plans' check: a code outside ISO 4217 (ABC) would leave every order
        # without a rate, and a scoring run would zero every customer's revenue.
        code = currency(errors, str(data["currency"]), "input.currency")
        if code is not None:
            changes["currency"] = code
    reporting = changes.get("currency", current.currency)
    if data.get("rates") is not None:
        # Nested inputs arrive as dicts (input_mutation), not as the input classes.
        rates: dict[str, float] = {}
        named: set[str] = set()
        for i, r in enumerate(data["rates"]):
            path = f"input.rates.{i}"
            rate_code = currency(errors, str(r["currency"]), f"{path}.currency")
            if rate_code == reporting:
                errors.add(ErrorCode.VALIDATION, "the settings' own currency needs no rate",
                           f"{path}.currency")  # fmt: skip
            elif rate_code in named:
                errors.add(ErrorCode.VALIDATION, "this currency is named twice", f"{path}.currency")
            if not 0 < r["rate"] < 1e6:
                errors.add(ErrorCode.VALIDATION, "a positive rate below 10^6", f"{path}.rate")
            if rate_code is not None:
                named.add(rate_code)
                rates[rate_code] = float(r["rate"])
        changes["rates"] = rates
    if data.get("weights") is not None:
        weights: dict[scoring.Factor, float] = {}
        for i, w in enumerate(data["weights"]):
            path = f"input.weights.{i}"
            factor = scoring.Factor(w["factor"].value)
            if factor in weights:
                errors.add(ErrorCode.VALIDATION, "this factor is named twice", f"{path}.factor")
                continue
            _positive(errors, w["weight"], f"{path}.weight", 1.0)
            weights[factor] = float(w["weight"])
        merged_weights = {**current.weights, **weights}
        # The factors not given keep theirs: it is the merged weights that must not all be 0.
        total = sum(merged_weights.values())
        if total <= 0:
            errors.add(ErrorCode.VALIDATION, "at least one weight above 0", "input.weights")
        else:
            # Saved as applied: a run divides by the sum, so 1/1/1/1/1 is stored as 0.2 each
            # (tester AV read back 1.0 while the run used 0.2).
            changes["weights"] = {f: round(w / total, 6) for f, w in merged_weights.items()}
    merged = scoring.Settings(**{**current.__dict__, **changes})
    if merged.problem_below > merged.core_at:
        errors.add(
            ErrorCode.VALIDATION, "problemBelow must not exceed coreAt", "input.problemBelow"
        )
    if merged.medium_risk_at > merged.high_risk_at:
        errors.add(
            ErrorCode.VALIDATION, "mediumRiskAt must not exceed highRiskAt", "input.mediumRiskAt"
        )
    if errors:
        return {"settings": None, "errors": errors}
    expected = data.get("expectedVersion")
    version, conflict = await save_document(
        ctx, repo.save_settings, merged, expected, "scoring.settings", "settings"
    )
    if version is None:
        return {"settings": None, "errors": conflict}
    return {"settings": settings_row(merged, version), "errors": []}


class RunPayload(TypedDict):
    accepted: bool
    run: repo.RunRow | None
    errors: list[UserErrorRow]


WAIT_SECONDS = 60.0


async def run_scoring(ctx: Context, data: dict[str, Any]) -> RunPayload:
    """Start a run in the background (ADMIN): a run over M-scale data takes minutes, longer
    than a request may. With `wait`, answer its summary if it ends within a minute."""
    if denied := admin_only(ctx, "scoring runs are started by ADMIN"):
        return {"accepted": False, "run": None, "errors": denied}
    task = ctx.scheduler.trigger(ctx.db, audit(ctx, "scoring.run")) if ctx.scheduler else None
    if task is None:
        error = payload_error(ErrorCode.CONFLICT, "a scoring run is already going", None)
        return {"accepted": False, "run": None, "errors": [error]}
    run: repo.RunRow | RunFailed | None = None
    if data.get("wait"):
        with contextlib.suppress(TimeoutError):
            run = await asyncio.wait_for(asyncio.shield(task), WAIT_SECONDS)
    if isinstance(run, RunFailed):
        # It started and ended without a summary: say so, not "accepted" and nothing else.
        return {"accepted": True, "run": None, "errors": [_failed(run, ctx.request_id)]}
    return {"accepted": True, "run": run, "errors": []}


class RunFailed(Enum):
    """Why a run ended without a summary (logged by the scheduler)."""

    UNAVAILABLE = "the database was unavailable; try again shortly"
    LOCKED = "another server was scoring; its run's summary is in scoringRuns"
    FAILED = "the run failed and was logged whole"


def _failed(why: RunFailed, request_id: str) -> UserErrorRow:
    code = {
        RunFailed.UNAVAILABLE: ErrorCode.DATABASE_UNAVAILABLE,
        RunFailed.LOCKED: ErrorCode.CONFLICT,
        RunFailed.FAILED: ErrorCode.INTERNAL,
    }[why]
    message = f"the scoring run ended without a summary: {why.value} (request id {request_id})"
    return payload_error(code, message, None)


# --- The scheduler ----------------------------------------------------------------------------
class Scheduler:
    """Runs scoring in this app (one per app, in `app.state`): every `interval` (when the
    last run is older), and on demand. The database lock (graph/intelligence.py) keeps two
    processes from scoring at once; this object keeps one app from starting two runs."""

    def __init__(self, classify: bool = True) -> None:
        # Scheduled and API runs re-run the classification rules afterwards.
        self.classify = classify
        self._task: asyncio.Task[repo.RunRow | RunFailed] | None = None
        self._loop: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def trigger(self, db: Database, who: Audit) -> asyncio.Task[repo.RunRow | RunFailed] | None:
        """Start a run now; None while one is going."""
        if self.running:
            return None
        self._task = asyncio.create_task(self._run(db, who))
        return self._task

    async def _run(self, db: Database, who: Audit) -> repo.RunRow | RunFailed:
        try:
            out = await repo.run(db, who)
        except asyncio.CancelledError:
            raise
        except DatabaseUnavailable as exc:  # an outage: the next run tries again
            log.warning("scoring run skipped: the database is unavailable (%s)", exc)
            return RunFailed.UNAVAILABLE
        except Exception:
            log.exception("scoring run failed (request %s)", who.request_id)
            return RunFailed.FAILED
        if out is None:
            log.info("scoring skipped: another process holds the lock")
            return RunFailed.LOCKED
        log.info(
            "scored %d customers in %.1fs (%d moved, %d lifecycle changes)",
            out["customers"], out["seconds"], out["moved"], out["stageChanges"],
        )  # fmt: skip
        if self.classify:
            await self._classify(db, who)
        return out

    async def _classify(self, db: Database, who: Audit) -> None:
        """The periodic classification review (R14), after scoring: its TRADE rules read the
        lifecycle stage and tier the run just wrote."""
        try:
            review = await classification.review(db, who, dry_run=False)
        except classification.ReviewRunning:
            log.info("classification review skipped: another one is running")
            return
        except DatabaseUnavailable as exc:
            log.warning("classification review skipped: the database is unavailable (%s)", exc)
            return
        except Exception:
            log.exception("classification review failed")
            return
        log.info("classification review %s: %s", review["id"], review["counts"])

    def start(self, db: Database, interval_hours: float, who: Audit) -> None:
        """Score now if the last run is older than the interval, then every interval."""
        if interval_hours <= 0 or self._loop is not None:
            return

        async def loop() -> None:
            while True:
                wait = interval_hours * 3600
                try:
                    latest = await repo.runs(db, who.actor, 1)
                    age = None
                    if latest:
                        started = latest[0]["startedAt"].to_native()
                        age = (dt.datetime.now(dt.UTC) - started).total_seconds()
                    if age is None or age >= wait:
                        self.trigger(db, who)
                    else:
                        wait -= age
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database may be down for a while: ask again later, keep the schedule.
                    log.exception("scoring schedule: could not read the last run")
                    wait = 60.0
                await asyncio.sleep(max(60.0, wait))

        self._loop = asyncio.create_task(loop())

    async def stop(self) -> None:
        for task in (self._loop, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop = self._task = None


# Who scheduled runs are audited as.
SYSTEM = Audit(Actor(repo.SYSTEM_ACTOR), "scoring.run", "scheduler")
