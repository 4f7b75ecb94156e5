"""The funnel, the forecast and the risk ranking, computed from opportunities and their changes
(pure: no database; graph/pipeline.py fetches, this computes, tests check known answers).

An opportunity is replayed from its tracked fields' changes (graph/history.py): its value of a
field at moment `t` is the `old` of the first change after `t`, or its current value when none
came after. So the funnel and the forecast can be asked as of any moment, including "the
forecast as it stood a month ago", from one fetch.

Definitions (the API descriptions repeat them):
- The funnel's *cohort* for a period [since, until] is every opportunity that existed by
  `until` and had not already closed (WON or LOST) before `since`.
- An opportunity *reached* a stage when it was ever at that stage or a later one by `until`,
  so a deal created at PROPOSAL counts as having passed LEAD and QUALIFIED; a WON deal reached
  every stage and the final WON step, and only a WON one did (the stage CLOSED alone is no
  win). A deal at CLOSED while open or on hold is in closing: past NEGOTIATION, and counted
  there while it sits there. One moved to CLOSED as it was lost reached only the stages it
  was at. Every deal of the cohort reached LEAD. Conversion from a stage is the share of
  those that reached it that reached the next step.
- Losses in the period are also counted by the loss reason each had at `until`.
- Days in a stage: the median length of the stays in it that ended inside the period.
- The forecast weighs each OPEN opportunity's amount by its win probability (its override,
  else its stage's), in the month of its expected close (up to the period's last day), as
  the opportunity stood at the moment asked. ON_HOLD deals are not weighted (they are
  counted apart). WON deals count in the month they were won. Current settings are used for
  both moments.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graph import clock
from graph.vocab import ProjectStage, ProjectStatus

OPEN_STAGES: tuple[str, ...] = (
    ProjectStage.LEAD.value,
    ProjectStage.QUALIFIED.value,
    ProjectStage.PROPOSAL.value,
    ProjectStage.NEGOTIATION.value,
)
# CLOSED is no step of its own, and the WON step needs the status WON. A deal at CLOSED while
# open is in closing (the forecast weighs it at CLOSED's probability): it passed NEGOTIATION
# and sits there. One moved to CLOSED as it was lost reached the stages it was at.
STAGE_RANK: dict[str, int] = {s: i for i, s in enumerate(OPEN_STAGES)}
CLOSED = ProjectStage.CLOSED.value
CLOSING = ProjectStage.NEGOTIATION.value
WON = ProjectStatus.WON.value
LOST = ProjectStatus.LOST.value
OPEN = ProjectStatus.OPEN.value
ON_HOLD = ProjectStatus.ON_HOLD.value
FINAL = (WON, LOST)
# The forecast reads at most this many months.
MAX_MONTHS = 36
# A deal without a currency (created before createProject set one) is in CNY, as the API
# says of an omitted one: counted in every currency, it swelled each one's cohort.
DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any
    at: dt.datetime


@dataclass
class Opportunity:
    id: str
    name: str
    created: dt.datetime
    current: dict[str, Any]
    # Ascending by time.
    changes: list[Change] = field(default_factory=list)
    owner_id: str | None = None
    customer_id: str | None = None

    def at(self, name: str, t: dt.datetime) -> Any:
        """The field's value at moment `t`."""
        for c in self.changes:
            if c.field == name and c.at > t:
                return c.old
        return self.current.get(name)

    def stays(self, until: dt.datetime) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
        """(stage, entered, left) from creation to `until`; the last stay has no end."""
        stage = self.at("stage", self.created)
        entered = self.created
        out: list[tuple[str | None, dt.datetime, dt.datetime | None]] = []
        for c in self.changes:
            if c.field != "stage" or c.at > until:
                continue
            out.append((stage, entered, c.at))
            stage, entered = c.new, c.at
        out.append((stage, entered, None))
        return out

    def status(self, t: dt.datetime) -> str:
        """Its status at `t`; a deal without one is open (projects need not set it)."""
        value: str | None = self.at("status", t)
        return value or OPEN

    def closed_at(self, until: dt.datetime) -> dt.datetime | None:
        """When it last became WON or LOST by `until` (None while open)."""
        if self.status(until) not in FINAL:
            return None
        moment = None
        for c in self.changes:
            if c.field == "status" and c.at <= until and c.new in FINAL:
                moment = c.at
        return moment or self.created


# --- Funnel ------------------------------------------------------------------------------------
class Step(Enum):
    """A funnel step: the open stages in order, then the deal won."""

    LEAD = "LEAD"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    WON = "WON"


@dataclass(frozen=True)
class StageStep:
    stage: Step
    reached: int
    reached_amount: float
    current: int  # open at this stage at `until`
    current_amount: float
    conversion: float | None  # to the next step; None when nobody reached this one
    median_days: float | None


@dataclass(frozen=True)
class LossReason:
    reason: str | None  # None: lost without a reason given
    count: int
    amount: float


@dataclass(frozen=True)
class Funnel:
    steps: list[StageStep]
    cohort: int
    won: int
    won_amount: float
    lost: int
    lost_amount: float
    # The period's losses by their reason as it stood at `until`: most first.
    loss_reasons: list[LossReason]
    win_rate: float | None
    other_currency: int  # cohort members in another currency, left out of the figures


def _in_cohort(o: Opportunity, since: dt.datetime, until: dt.datetime) -> bool:
    if o.created > until:
        return False
    return o.created > since or o.status(since) not in FINAL


def _rank(o: Opportunity, stage: str | None, entered: dt.datetime) -> int:
    """The furthest open stage a stay at `stage` shows the deal passed."""
    if stage == CLOSED and o.status(entered) in (OPEN, ON_HOLD):
        return STAGE_RANK[CLOSING]
    return STAGE_RANK.get(stage or "", 0)


def funnel(
    opps: list[Opportunity], since: dt.datetime, until: dt.datetime, currency: str
) -> Funnel:
    names = (*OPEN_STAGES, WON)
    reached = dict.fromkeys(names, 0)
    reached_amount = dict.fromkeys(names, 0.0)
    current = dict.fromkeys(OPEN_STAGES, 0)
    current_amount = dict.fromkeys(OPEN_STAGES, 0.0)
    days: dict[str, list[float]] = {s: [] for s in OPEN_STAGES}
    cohort = won = lost = other = 0
    won_amount = lost_amount = 0.0
    losses: dict[str | None, list[float]] = {}
    for o in opps:
        if not _in_cohort(o, since, until):
            continue
        if (o.at("currency", until) or DEFAULT_CURRENCY) != currency:
            other += 1
            continue
        cohort += 1
        amount = float(o.at("amount", until) or 0.0)
        status = o.status(until)
        stays = o.stays(until)
        # Every deal of the cohort is a lead: one entered at CLOSED, never at an open stage,
        # was in the cohort and in no step (tester BE), so the funnel did not add up. One in
        # closing passed NEGOTIATION (tester BL: it had reached LEAD only).
        top = max((_rank(o, s, entered) for s, entered, _ in stays), default=0)
        if status == WON:
            top = len(OPEN_STAGES)
        for i, s in enumerate(names):
            if top >= i:
                reached[s] += 1
                reached_amount[s] += amount
        for stage, entered, left in stays:
            if stage in days and left is not None and since <= left <= until:
                days[stage].append((left - entered).total_seconds() / 86400)
        now = CLOSING if stays[-1][0] == CLOSED else stays[-1][0]
        if status in (OPEN, ON_HOLD) and now is not None and now in current:
            current[now] += 1
            current_amount[now] += amount
        closed = o.closed_at(until)
        if closed is not None and closed >= since:
            if status == WON:
                won += 1
                won_amount += amount
            else:
                lost += 1
                lost_amount += amount
                losses.setdefault(o.at("lostReason", until), []).append(amount)
    steps = []
    for i, s in enumerate(names):
        nxt = names[i + 1] if i + 1 < len(names) else None
        conv = round(reached[nxt] / reached[s], 4) if nxt is not None and reached[s] > 0 else None
        med = days.get(s)
        steps.append(
            StageStep(
                stage=Step(s),
                reached=reached[s],
                reached_amount=round(reached_amount[s], 2),
                current=current.get(s, 0),
                current_amount=round(current_amount.get(s, 0.0), 2),
                conversion=conv,
                median_days=round(statistics.median(med), 1) if med else None,
            )
        )
    decided = won + lost
    return Funnel(
        steps=steps,
        cohort=cohort,
        won=won,
        won_amount=round(won_amount, 2),
        lost=lost,
        lost_amount=round(lost_amount, 2),
        loss_reasons=[
            LossReason(reason, len(amounts), round(sum(amounts), 2))
            for reason, amounts in sorted(
                losses.items(), key=lambda kv: (-len(kv[1]), kv[0] is None, kv[0] or "")
            )
        ],
        win_rate=round(won / decided, 4) if decided else None,
        other_currency=other,
    )


# --- Forecast ----------------------------------------------------------------------------------
@dataclass
class MonthFigures:
    open: int = 0
    amount: float = 0.0
    weighted: float = 0.0
    won: float = 0.0
    on_hold: float = 0.0


@dataclass(frozen=True)
class ForecastMonth:
    month: dt.date  # its first day
    now: MonthFigures
    then: MonthFigures


def months(since: dt.date, until: dt.date) -> list[dt.date]:
    out: list[dt.date] = []
    m = since.replace(day=1)
    while m <= until and len(out) < MAX_MONTHS:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def _month(d: dt.date) -> dt.date:
    return d.replace(day=1)


def forecast_at(
    opps: list[Opportunity],
    t: dt.datetime,
    wanted: set[dt.date],
    currency: str,
    probability: Any,
    days: tuple[dt.date, dt.date] | None = None,
) -> dict[dt.date, MonthFigures]:
    """Each month's figures as the opportunities stood at moment `t`, counting only the days
    in `days` (first, last) when given: a period may start or end inside a month.
    `probability(stage, status, override)` is the pipeline settings' rule."""
    out = {m: MonthFigures() for m in wanted}

    def inside(day: dt.date) -> bool:
        return days is None or days[0] <= day <= days[1]

    for o in opps:
        if o.created > t or (o.at("currency", t) or DEFAULT_CURRENCY) != currency:
            continue
        status = o.status(t)
        amount = float(o.at("amount", t) or 0.0)
        if status == WON:
            closed = o.closed_at(t)
            won_on = clock.day_of(closed) if closed else None
            if won_on is not None and inside(won_on) and _month(won_on) in out:
                out[_month(won_on)].won += amount
            continue
        close = o.at("expectedClose", t)
        if status not in (OPEN, ON_HOLD) or close is None or not inside(close):
            continue
        f = out.get(_month(close))
        if f is None:
            continue
        if status == ON_HOLD:
            f.on_hold += amount
            continue
        f.open += 1
        f.amount += amount
        f.weighted += amount * probability(o.at("stage", t), status, o.at("winProbability", t))
    for f in out.values():
        f.amount, f.weighted = round(f.amount, 2), round(f.weighted, 2)
        f.won, f.on_hold = round(f.won, 2), round(f.on_hold, 2)
    return out


def forecast(
    opps: list[Opportunity],
    since: dt.date,
    until: dt.date,
    at: dt.datetime,
    then: dt.datetime,
    currency: str,
    probability: Any,
) -> list[ForecastMonth]:
    ms = months(since, until)
    days = (since.replace(day=1), until)  # from the first month's start to the last day
    now = forecast_at(opps, at, set(ms), currency, probability, days)
    before = forecast_at(opps, then, set(ms), currency, probability, days)
    return [ForecastMonth(m, now[m], before[m]) for m in ms]


# --- Risk --------------------------------------------------------------------------------------
class RiskFlag(Enum):
    NO_RECENT_INTERACTION = "NO_RECENT_INTERACTION"
    CLOSE_DATE_PASSED = "CLOSE_DATE_PASSED"
    DECISION_MAKER_OPPOSED = "DECISION_MAKER_OPPOSED"
    DECISION_MAKER_STANCE_UNKNOWN = "DECISION_MAKER_STANCE_UNKNOWN"
    OPPOSED_INFLUENCER = "OPPOSED_INFLUENCER"
    DECISION_MAKER_UNKNOWN_TO_STAFF = "DECISION_MAKER_UNKNOWN_TO_STAFF"


# How much each flag adds to an opportunity's risk score: an opposed decision maker or a
# powerful opponent can end a deal; silence and a passed date say it is drifting.
WEIGHTS: dict[RiskFlag, int] = {
    RiskFlag.DECISION_MAKER_OPPOSED: 5,
    RiskFlag.OPPOSED_INFLUENCER: 4,
    RiskFlag.DECISION_MAKER_UNKNOWN_TO_STAFF: 3,
    RiskFlag.NO_RECENT_INTERACTION: 3,
    RiskFlag.CLOSE_DATE_PASSED: 2,
    RiskFlag.DECISION_MAKER_STANCE_UNKNOWN: 2,
}


def score(flags: list[RiskFlag]) -> int:
    return sum(WEIGHTS[f] for f in flags)


DECISION_MAKER = "DECISION_MAKER"
# Roles whose opposition weighs on its own, whatever their measured influence.
POWER_ROLES = frozenset({"ECONOMIC_BUYER", "FINANCIAL_APPROVER"})


@dataclass(frozen=True)
class Participant:
    id: str
    role: str | None
    stance: str | None
    known_by_staff: bool
    # The strongest stored INFLUENCES strength from this person onto the deal's people.
    influence: float
    sways_decision_maker: bool


@dataclass(frozen=True)
class Flag:
    flag: RiskFlag
    people: tuple[str, ...] = ()
    days: int | None = None
    since: dt.date | None = None


def risk_flags(
    *,
    today: dt.date,
    created: dt.date,
    expected_close: dt.date | None,
    last_interaction: dt.date | None,
    participants: list[Participant],
    stale_days: int,
    high_influence_at: float,
) -> list[Flag]:
    """The reasons an OPEN opportunity is at risk, most severe first."""
    out: list[Flag] = []
    deciders = [p for p in participants if p.role == DECISION_MAKER]
    opposed = tuple(p.id for p in deciders if p.stance == "OPPONENT")
    if opposed:
        out.append(Flag(RiskFlag.DECISION_MAKER_OPPOSED, opposed))
    powerful = tuple(
        p.id
        for p in participants
        if p.role != DECISION_MAKER
        and p.stance == "OPPONENT"
        and (p.role in POWER_ROLES or p.sways_decision_maker or p.influence >= high_influence_at)
    )
    if powerful:
        out.append(Flag(RiskFlag.OPPOSED_INFLUENCER, powerful))
    unknown = tuple(p.id for p in deciders if not p.known_by_staff)
    if unknown:
        out.append(Flag(RiskFlag.DECISION_MAKER_UNKNOWN_TO_STAFF, unknown))
    last = last_interaction or created
    quiet = (today - last).days
    if quiet > stale_days:
        out.append(Flag(RiskFlag.NO_RECENT_INTERACTION, days=quiet, since=last_interaction))
    if expected_close is not None and expected_close < today:
        out.append(
            Flag(
                RiskFlag.CLOSE_DATE_PASSED, days=(today - expected_close).days, since=expected_close
            )
        )
    undecided = tuple(p.id for p in deciders if p.stance in (None, "UNKNOWN"))
    if undecided:
        out.append(Flag(RiskFlag.DECISION_MAKER_STANCE_UNKNOWN, undecided))
    out.sort(key=lambda f: -WEIGHTS[f.flag])
    return out
