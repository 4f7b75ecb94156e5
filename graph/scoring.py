"""Customer intelligence as pure functions (R15-R17): RFM, the five value factors, the segment,
the lifecycle stage and the churn risk, each with its working shown.

Nothing here touches the database: graph/intelligence.py extracts a `Features` per customer,
calls `score_population`, and writes what it returns. So every rule can be tested on
hand-built inputs with known answers, and a score's explanation is the same data that made it.

Explanations are the contract (PIPL art. 24, and managers act only on numbers they can argue
with): every factor lists its inputs, its 0-100 score, its weight and its share of the value
score; the shares are rounded first and the value score is their sum, so the explanation sums
to the score exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypedDict

from graph.vocab import LifecycleStage, Tier

# Bump when a rule or a default changes: stored snapshots name the version that made them.
MODEL_VERSION = "2026.12-1"


class Population(Enum):
    """Whom a customer is compared with for the RFM quintiles and the contribution rank."""

    ALL = "ALL"  # every scored customer
    KIND = "KIND"  # enterprises with enterprises, individuals with individuals
    CLASSIFICATION = "CLASSIFICATION"  # customers sharing the free classification label


class RiskLevel(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Factor(Enum):
    CONTRIBUTION = "CONTRIBUTION"
    SUPPORT = "SUPPORT"
    CREDIT = "CREDIT"
    GROWTH = "GROWTH"
    INFLUENCE = "INFLUENCE"


class ChurnReason(Enum):
    OVERDUE_FOR_CYCLE = "OVERDUE_FOR_CYCLE"
    FALLING_AMOUNTS = "FALLING_AMOUNTS"
    COMPLAINTS = "COMPLAINTS"
    POOR_SATISFACTION = "POOR_SATISFACTION"
    KEY_CONTACT_LEFT = "KEY_CONTACT_LEFT"
    COMPETITOR_INCUMBENT = "COMPETITOR_INCUMBENT"
    LOW_P_ALIVE = "LOW_P_ALIVE"


@dataclass(frozen=True)
class Settings:
    """The model's knobs; stored as data (graph/intelligence.py), these are the defaults."""

    currency: str = "CNY"  # amounts are compared in this currency
    rates: dict[str, float] = field(default_factory=dict)  # other currency -> `currency`
    population: Population = Population.ALL
    weights: dict[Factor, float] = field(
        default_factory=lambda: {
            Factor.CONTRIBUTION: 0.35,
            Factor.SUPPORT: 0.15,
            Factor.CREDIT: 0.20,
            Factor.GROWTH: 0.15,
            Factor.INFLUENCE: 0.15,
        }
    )
    core_at: float = 60.0  # value score from which a customer is core
    problem_below: float = 25.0  # value score under which a customer is a problem
    problem_credit_below: float = 40.0  # or credit under this: a problem whatever its value
    rfm_window_days: int = 730  # orders older than this leave F and M
    growth_window_days: int = 180  # growth compares the last window with the one before
    lapse_factor: float = 2.5  # lost after this many of its own purchase cycles without an order
    min_horizon_days: int = 60
    single_order_horizon_days: int = 365  # a one-order customer has no cycle of its own yet
    high_risk_at: int = 60
    medium_risk_at: int = 30


class OrderIn(TypedDict):
    """One order as the extract returns it: when, amount in cents and currency, and whether
    and when it was paid (for credit)."""

    at: dt.date
    cents: int
    currency: str
    dueOn: dt.date | None
    paidCents: int
    settledOn: dt.date | None  # the day the payments first covered the amount


@dataclass
class Features:
    """What the extract knows of one customer on `today`."""

    id: str
    kind: str  # "Company" or "Person"
    classification: str | None
    stage: str | None  # the stored lifecycle stage
    stage_since: dt.date | None
    stage_manual: bool
    orders: list[OrderIn]
    # An order placed after the stage was set, judged to the instant by the extract; None:
    # judged by days from `orders` (a same-day order is then no news).
    ordered_since_stage: bool | None = None
    surveys_365: int = 0
    satisfaction_365: float | None = None  # mean 1..5
    complaints_180: int = 0
    open_complaints: int = 0
    follow_ups_due: int = 0  # follow-ups due in the last 365 days
    follow_ups_kept: int = 0  # of those, closed DONE by their due time
    interactions_90: int = 0
    inbound_90: int = 0  # interactions the customer started
    referrals: int = 0  # customers it referred to us
    group_companies: int = 0  # companies in its group besides itself (capped)
    chain_partners: int = 0  # industry-chain neighbours
    people_influence: int = 0  # its people's influence edges into other accounts
    contacts_left: list[str] = field(default_factory=list)  # names of key contacts who left
    new_incumbents: list[str] = field(default_factory=list)  # competitors incumbent lately
    p_alive: float | None = None  # from the BG/NBD model (graph/clv.py), if it could be fitted


# --- RFM --------------------------------------------------------------------------------------
def quintile(values: Sequence[float], v: float) -> int:
    """1..5 by the mid-rank percentile of `v` among `values` (which include it): ties share a
    score, one customer alone scores 3, and n < 5 spreads over the range by percentile."""
    below = sum(1 for x in values if x < v)
    same = sum(1 for x in values if x == v)
    p = (below + same / 2) / len(values)
    return min(5, 1 + math.floor(5 * p))


def to_currency(cents: int, currency: str, s: Settings) -> float | None:
    """`cents` in the settings' currency, or None when no rate is set for it."""
    if currency == s.currency:
        return float(cents)
    rate = s.rates.get(currency)
    return cents * rate if rate is not None else None


@dataclass
class Derived:
    """Per customer, what the population comparisons need."""

    last_order: dt.date | None
    order_days: list[dt.date]
    frequency: int  # orders in the RFM window
    monetary: float  # cents in the RFM window, in the settings' currency
    recent: float  # cents in the last growth window
    previous: float  # cents in the window before it
    unconverted: int  # orders left out for want of a rate


def derive(f: Features, today: dt.date, s: Settings) -> Derived:
    window = today - dt.timedelta(days=s.rfm_window_days)
    g1 = today - dt.timedelta(days=s.growth_window_days)
    g0 = g1 - dt.timedelta(days=s.growth_window_days)
    freq, monetary, recent, previous, unconverted = 0, 0.0, 0.0, 0.0, 0
    for o in f.orders:
        amount = to_currency(o["cents"], o["currency"], s)
        if amount is None:
            unconverted += 1
            continue
        if o["at"] > window:
            freq += 1
            monetary += amount
        if o["at"] > g1:
            recent += amount
        elif o["at"] > g0:
            previous += amount
    days = sorted({o["at"] for o in f.orders})
    return Derived(
        last_order=days[-1] if days else None,
        order_days=days,
        frequency=freq,
        monetary=monetary,
        recent=recent,
        previous=previous,
        unconverted=unconverted,
    )


# --- The five factors -------------------------------------------------------------------------
class FactorOut(TypedDict):
    factor: str
    score: float  # 0..100
    weight: float
    share: float  # weight * score, rounded: the shares sum to the value score
    inputs: dict[str, Any]


def _clamp(x: float) -> float:
    return max(0.0, min(100.0, x))


def percentile(values: Sequence[float], v: float) -> float:
    """0..100: the mid-rank percentile of `v` among `values`."""
    below = sum(1 for x in values if x < v)
    same = sum(1 for x in values if x == v)
    return 100 * (below + same / 2) / len(values)


def contribution(d: Derived, peers: Sequence[float], s: Settings) -> tuple[float, dict[str, Any]]:
    """Revenue in the RFM window, ranked among the peers (margin is not recorded yet)."""
    score = percentile(peers, d.monetary) if d.monetary > 0 else 0.0
    return score, {
        "revenue": round(d.monetary / 100, 2),
        "currency": s.currency,
        "windowDays": s.rfm_window_days,
        "peers": len(peers),
        "unconvertedOrders": d.unconverted,
    }


def support(f: Features) -> tuple[float, dict[str, Any]]:
    """Cooperation: follow-ups kept, surveys answered (each worth what it scored: answering
    1 of 5 is no cooperation to reward), the customer's own initiative."""
    parts: list[float] = []
    kept = f.follow_ups_kept / f.follow_ups_due if f.follow_ups_due else None
    if kept is not None:
        parts.append(100 * kept)
    mean = f.satisfaction_365
    parts.append(25 * (mean - 1) if f.surveys_365 > 0 and mean is not None else 0.0)
    initiative = f.inbound_90 / f.interactions_90 if f.interactions_90 else None
    if initiative is not None:
        parts.append(_clamp(200 * initiative))  # half of the contacts started by them: full
    return sum(parts) / len(parts), {
        "followUpsDue": f.follow_ups_due,
        "followUpsKept": f.follow_ups_kept,
        "surveys365": f.surveys_365,
        "meanSatisfaction": None if mean is None else round(mean, 2),
        "interactions90": f.interactions_90,
        "inbound90": f.inbound_90,
    }


def credit(f: Features, today: dt.date) -> tuple[float, dict[str, Any]]:
    """Payment punctuality over orders whose due day has passed, less the share still
    overdue (as the figures count it: an order due today is not overdue yet)."""
    due = [o for o in f.orders if o["dueOn"] is not None and o["dueOn"] < today]
    on_time = sum(
        1 for o in due if o["settledOn"] is not None and o["dueOn"] and o["settledOn"] <= o["dueOn"]
    )
    overdue = sum(max(0, o["cents"] - o["paidCents"]) for o in due)
    billed = sum(o["cents"] for o in due)
    if not due:
        return 100.0, {"ordersDue": 0, "paidOnTime": 0, "overdueCents": 0, "dueCents": 0}
    score = 100 * on_time / len(due) - 100 * (overdue / billed if billed else 0)
    # `dueCents` too: without the amount billed, the overdue share could not be worked out
    # from the inputs shown (tester BD).
    return _clamp(score), {
        "ordersDue": len(due),
        "paidOnTime": on_time,
        "overdueCents": overdue,
        "dueCents": billed,
    }


def growth(d: Derived, s: Settings) -> tuple[float, dict[str, Any]]:
    """50 is flat; 100 is all of it new, 0 all of it gone (the last window against the one
    before it)."""
    top = max(d.recent, d.previous)
    change = (d.recent - d.previous) / top if top else 0.0
    return 50 + 50 * change, {
        "recent": round(d.recent / 100, 2),
        "previous": round(d.previous / 100, 2),
        "windowDays": s.growth_window_days,
        "change": round(change, 4),
    }


def influence(f: Features) -> tuple[float, dict[str, Any]]:
    """What the graph knows: referrals (10 each, up to 40), the group it heads or belongs to
    (4 per company, up to 20), its industry-chain ties (5 each, up to 20) and its people's
    influence on other accounts (5 each, up to 20)."""
    score = (
        min(40, 10 * f.referrals)
        + min(20, 4 * f.group_companies)
        + min(20, 5 * f.chain_partners)
        + min(20, 5 * f.people_influence)
    )
    return float(score), {
        "referrals": f.referrals,
        "groupCompanies": f.group_companies,
        "chainPartners": f.chain_partners,
        "peopleInfluence": f.people_influence,
    }


# --- Lifecycle --------------------------------------------------------------------------------
class Transition(TypedDict):
    stage: str
    rule: str | None  # None: no change
    reason: str


def horizon(d: Derived, s: Settings) -> tuple[int, float | None]:
    """Days without an order after which the customer is lost, and its own mean purchase cycle."""
    days = d.order_days
    if len(days) < 2:
        return s.single_order_horizon_days, None
    cycle = (days[-1] - days[0]).days / (len(days) - 1)
    return max(s.min_horizon_days, math.ceil(s.lapse_factor * cycle)), cycle


def min_cycle(s: Settings) -> float:
    """The shortest purchase cycle the churn signal counts: the one whose lapse horizon is
    the least horizon (60 / 2.5 = 24 days by default)."""
    return s.min_horizon_days / s.lapse_factor


def natural_stage(d: Derived, today: dt.date, s: Settings) -> tuple[LifecycleStage, str, str]:
    """The stage the records alone say, with the rule and a reason."""
    if not d.order_days:
        return LifecycleStage.POTENTIAL, "NO_ORDER", "no order yet"
    h, _ = horizon(d, s)
    assert d.last_order is not None
    idle = (today - d.last_order).days
    if idle > h:
        return LifecycleStage.LOST, "LAPSED", f"no order for {idle} days (horizon {h} days)"
    if len(d.order_days) == 1:
        return LifecycleStage.NEW, "FIRST_ORDER", f"first order on {d.order_days[0].isoformat()}"
    return LifecycleStage.ACTIVE, "REPEAT_ORDERS", f"{len(d.order_days)} order days"


def lifecycle(f: Features, d: Derived, today: dt.date, s: Settings) -> Transition:
    """The next stage. A manual stage holds until the records bring news after it: an order
    placed after the change, or a lapse that happened after it. A customer lost by hand
    comes back only with an order after its loss; one lost by the lapse rule also when the
    records no longer show the lapse (an order entered late, dated before the loss)."""
    stage, rule, reason = natural_stage(d, today, s)
    current = f.stage
    if current == stage.value:
        return {"stage": stage.value, "rule": None, "reason": reason}
    since = f.stage_since
    ordered_since = (
        f.ordered_since_stage
        if f.ordered_since_stage is not None
        else since is not None and d.last_order is not None and d.last_order > since
    )
    if current == LifecycleStage.LOST.value and not ordered_since and since is not None:
        if f.stage_manual:
            return {"stage": current, "rule": None, "reason": "lost; no order since"}
        # The lapse was judged on records that were not complete: ERP orders arrive late.
        return {"stage": stage.value, "rule": rule, "reason": f"{reason}; no longer lapsed"}
    if f.stage_manual and since is not None and not ordered_since:
        h, _ = horizon(d, s)
        lapsed_after = (
            stage is LifecycleStage.LOST
            and d.last_order is not None
            and d.last_order + dt.timedelta(days=h) > since
        )
        if not lapsed_after:
            return {"stage": current or stage.value, "rule": None, "reason": "set by hand"}
    if current == LifecycleStage.LOST.value and stage in (
        LifecycleStage.NEW,
        LifecycleStage.ACTIVE,
    ):
        rule, reason = "WON_BACK", f"ordered again on {d.last_order}"
        stage = LifecycleStage.ACTIVE
    return {"stage": stage.value, "rule": rule, "reason": reason}


# --- Churn ------------------------------------------------------------------------------------
class ReasonOut(TypedDict):
    reason: str
    points: int
    detail: dict[str, Any]


def churn(
    f: Features, d: Derived, growth_inputs: dict[str, Any], today: dt.date, s: Settings
) -> list[ReasonOut]:
    """The churn signals of a NEW or ACTIVE customer, strongest first (points add up, to 100)."""
    out: list[ReasonOut] = []
    h, cycle = horizon(d, s)
    if d.last_order is not None:
        idle = (today - d.last_order).days
        # Floored as the lapse horizon is: two orders a day apart make no 1-day cycle that
        # a customer is "overdue" for five days later.
        expected = max(cycle, min_cycle(s)) if cycle is not None else h / 2
        ratio = idle / expected if expected else 0.0
        if ratio > 1:
            out.append(
                {
                    "reason": ChurnReason.OVERDUE_FOR_CYCLE.value,
                    "points": min(40, 10 + round(20 * (ratio - 1))),
                    "detail": {
                        "daysSinceLastOrder": idle,
                        "cycleDays": round(expected, 1),
                        "ratio": round(ratio, 2),
                    },
                }
            )
    # Judged on the cents, not on the rounded `change` shown: 1000.00 -> 799.99 is a fall of
    # 20.001%, more than a fifth, though it rounds to -0.2.
    if d.previous > 0 and 5 * (d.previous - d.recent) > d.previous:
        fall = (d.previous - d.recent) / d.previous
        out.append(
            {
                "reason": ChurnReason.FALLING_AMOUNTS.value,
                "points": round(30 * min(1.0, fall)),
                "detail": growth_inputs,
            }
        )
    if f.complaints_180 or f.open_complaints:
        out.append(
            {
                "reason": ChurnReason.COMPLAINTS.value,
                "points": min(20, 10 * f.complaints_180 + 5 * f.open_complaints),
                "detail": {"complaints180": f.complaints_180, "open": f.open_complaints},
            }
        )
    if f.satisfaction_365 is not None and f.satisfaction_365 < 3:
        out.append(
            {
                "reason": ChurnReason.POOR_SATISFACTION.value,
                "points": round(10 * (3 - f.satisfaction_365)),
                "detail": {"meanSatisfaction": round(f.satisfaction_365, 2)},
            }
        )
    if f.contacts_left:
        out.append(
            {
                "reason": ChurnReason.KEY_CONTACT_LEFT.value,
                "points": min(30, 20 * len(f.contacts_left)),
                "detail": {"contacts": f.contacts_left},
            }
        )
    if f.new_incumbents:
        out.append(
            {
                "reason": ChurnReason.COMPETITOR_INCUMBENT.value,
                "points": 25,
                "detail": {"competitors": f.new_incumbents},
            }
        )
    if f.p_alive is not None and f.p_alive < 0.5:
        out.append(
            {
                "reason": ChurnReason.LOW_P_ALIVE.value,
                "points": round(30 * (1 - f.p_alive / 0.5)),
                "detail": {"pAlive": round(f.p_alive, 4)},
            }
        )
    return sorted((r for r in out if r["points"] > 0), key=lambda r: -r["points"])


def risk_level(risk: int, s: Settings) -> RiskLevel:
    if risk >= s.high_risk_at:
        return RiskLevel.HIGH
    return RiskLevel.MEDIUM if risk >= s.medium_risk_at else RiskLevel.LOW


# --- One population ---------------------------------------------------------------------------
class ScoreOut(TypedDict):
    """What one scoring run says of one customer."""

    id: str
    value: float
    segment: str
    factors: list[FactorOut]
    recency: int | None  # RFM scores 1..5; None without an order in the window
    frequency: int | None
    monetary: int | None
    rfmInputs: dict[str, Any]
    stage: str
    stageRule: str | None
    stageReason: str
    churnRisk: int | None  # None: not an active customer
    churnLevel: str | None
    churnReasons: list[ReasonOut]
    pAlive: float | None


def _idle(d: Derived, today: dt.date) -> int:
    """Days since the last order (a buyer's: callers check there is one)."""
    return (today - d.last_order).days if d.last_order is not None else 10**6


def _peer_key(f: Features, s: Settings) -> str:
    if s.population is Population.KIND:
        return f.kind
    if s.population is Population.CLASSIFICATION:
        return f.classification or ""
    return ""


def score_population(customers: Sequence[Features], today: dt.date, s: Settings) -> list[ScoreOut]:
    """Score every customer against its peers (the settings' population)."""
    derived = {f.id: derive(f, today, s) for f in customers}
    groups: dict[str, list[Features]] = {}
    for f in customers:
        groups.setdefault(_peer_key(f, s), []).append(f)
    out: list[ScoreOut] = []
    for members in groups.values():
        buyers = [m for m in members if derived[m.id].frequency > 0]
        rec = [-float(_idle(derived[m.id], today)) for m in buyers]
        freq = [float(derived[m.id].frequency) for m in buyers]
        mon = [derived[m.id].monetary for m in buyers]
        for f in members:
            out.append(_score_one(f, derived[f.id], rec, freq, mon, today, s))
    return out


def _score_one(
    f: Features,
    d: Derived,
    rec: list[float],
    freq: list[float],
    mon: list[float],
    today: dt.date,
    s: Settings,
) -> ScoreOut:
    r = fr = m = None
    if d.frequency > 0:
        r = quintile(rec, -float(_idle(d, today)))
        fr = quintile(freq, float(d.frequency))
        m = quintile(mon, d.monetary)
    growth_score, growth_inputs = growth(d, s)
    computed = {
        Factor.CONTRIBUTION: contribution(d, mon or [0.0], s),
        Factor.SUPPORT: support(f),
        Factor.CREDIT: credit(f, today),
        Factor.GROWTH: (growth_score, growth_inputs),
        Factor.INFLUENCE: influence(f),
    }
    total_weight = sum(s.weights.values()) or 1.0
    factors: list[FactorOut] = []
    for factor, (score, inputs) in computed.items():
        weight = s.weights.get(factor, 0.0) / total_weight
        factors.append(
            {
                "factor": factor.value,
                "score": round(score, 2),
                "weight": round(weight, 4),
                "share": round(weight * score, 2),
                "inputs": inputs,
            }
        )
    value = round(sum(x["share"] for x in factors), 2)
    credit_score = computed[Factor.CREDIT][0]
    if value < s.problem_below or credit_score < s.problem_credit_below:
        segment = Tier.PROBLEM
    elif value >= s.core_at:
        segment = Tier.CORE
    else:
        segment = Tier.GENERAL
    step = lifecycle(f, d, today, s)
    risk: int | None = None
    level: str | None = None
    reasons: list[ReasonOut] = []
    if step["stage"] in (LifecycleStage.NEW.value, LifecycleStage.ACTIVE.value):
        reasons = churn(f, d, growth_inputs, today, s)
        risk = min(100, sum(x["points"] for x in reasons))
        level = risk_level(risk, s).value
    return {
        "id": f.id,
        "value": value,
        "segment": segment.value,
        "factors": factors,
        "recency": r,
        "frequency": fr,
        "monetary": m,
        "rfmInputs": {
            "daysSinceLastOrder": (today - d.last_order).days if d.last_order else None,
            "orders": d.frequency,
            "amount": round(d.monetary / 100, 2),
            "currency": s.currency,
            "windowDays": s.rfm_window_days,
            "peers": len(mon),
        },
        "stage": step["stage"],
        "stageRule": step["rule"],
        "stageReason": step["reason"],
        "churnRisk": risk,
        "churnLevel": level,
        "churnReasons": reasons,
        "pAlive": f.p_alive,
    }
