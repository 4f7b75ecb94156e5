"""Customer intelligence (R14-R17): value, segment, RFM, lifecycle and churn, each explained.

Scores are computed by the scoring run (a CLI command, the server's schedule, or
`runScoring`), not on read: reading them costs one round trip for a whole page of customers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import intelligence as r
from resolvers.intelligence import ChurnReason, Factor, Population, RiskLevel
from resolvers.shapes import ConnectionOf, NodeRow
from resolvers.vocab import LifecycleStage, LostReason, Tier
from schema.base import (
    ID_ARG,
    Info,
    Node,
    input_mutation,
    page_type,
    payload_type,
    vocab_enum,
    wants_total,
)
from schema.person import CustomerParty

vocab_enum(
    Factor,
    "The five value factors of seed 000 (R15).",
    {
        "CONTRIBUTION": "贡献 / Contribution: revenue in the RFM window, ranked among peers.",
        "SUPPORT": "支持 / Support and cooperation: follow-ups kept, surveys, own initiative.",
        "CREDIT": "信用 / Credit: payment punctuality, less what is overdue.",
        "GROWTH": "成长 / Growth: the last window's amount against the one before.",
        "INFLUENCE": "影响 / Influence from the graph: referrals, group, chain, people.",
    },
    name="ValueFactorKind",
)
vocab_enum(
    ChurnReason,
    "Why a customer may be leaving (R17).",
    {
        "OVERDUE_FOR_CYCLE": "No order for longer than its own purchase cycle (the mean gap "
        "between order days, counted as at least the least lapse horizon ÷ the lapse factor).",
        "FALLING_AMOUNTS": "The last window's amount fell by more than a fifth.",
        "COMPLAINTS": "Complaints in the last 180 days, or open ones.",
        "POOR_SATISFACTION": "Mean survey score under 3 in the last year.",
        "KEY_CONTACT_LEFT": "A contact who took part in its projects or records left it.",
        "COMPETITOR_INCUMBENT": "A competitor became incumbent there in the last year.",
        "LOW_P_ALIVE": "The BG/NBD model gives it less than even odds of still buying.",
    },
    name="ChurnSignalKind",
)
vocab_enum(
    RiskLevel,
    "Churn risk level: HIGH from `highRiskAt` points, MEDIUM from `mediumRiskAt`.",
    {"LOW": "低 / Low.", "MEDIUM": "中 / Medium.", "HIGH": "高 / High."},
    name="ChurnLevel",
)
vocab_enum(
    Population,
    "Whom a customer is compared with for RFM quintiles and contribution.",
    {
        "ALL": "Every scored customer.",
        "KIND": "Enterprises with enterprises, individuals with individuals.",
        "CLASSIFICATION": "Customers sharing the profile's classification label.",
    },
    name="ScoringPopulation",
)
vocab_enum(LostReason, "Why a customer stopped buying (seed 003).")

ChurnLevel = RiskLevel


@strawberry.type(description="One value factor: its score, weight, share and the inputs behind it.")
class ValueFactor:
    factor: Factor = strawberry.field(description="Which factor.")
    score: float = strawberry.field(description="0..100.")
    weight: float = strawberry.field(description="Its weight; the weights sum to 1.")
    share: float = strawberry.field(
        description="weight × score, rounded to 2 places: the shares sum to the value score."
    )

    @strawberry.field(
        description="The numbers it was computed from (amounts in the settings' currency). "
        "INFLUENCE's count the whole graph (group companies, chain partners, referrals, "
        "people's influence), accounts the viewer may not see among them: `{}` unless the "
        "viewer reads every customer (ADMIN, ANALYST, AUDITOR); CONTRIBUTION's `peers` (every "
        "customer) likewise.",
        graphql_type=JSON,
    )
    def inputs(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> dict[str, Any]:
        return r.factor_inputs(info.context, root)


@strawberry.type(description="One churn signal with its points and evidence.")
class ChurnSignal:
    reason: ChurnReason = strawberry.field(description="Which signal.")
    points: int = strawberry.field(description="Its points; the signals add up to the risk.")
    detail: JSON = strawberry.field(description="The figures behind it (no names).")

    @strawberry.field(
        description="The people it names (contacts who left) that the viewer may see, masked "
        "as on Person. Batched with every node look-up of the request.",
        graphql_type=list[Node],
    )
    async def people(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> list[NodeRow]:
        return await r.named(info.context, root["personIds"])

    @strawberry.field(
        description="The companies it names (new incumbents) that the viewer may see.",
        graphql_type=list[Node],
    )
    async def companies(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> list[NodeRow]:
        return await r.named(info.context, root["companyIds"])


@strawberry.type(description="RFM: recency, frequency and monetary value, 1..5 by quintile.")
class Rfm:
    recency: int | None = strawberry.field(description="5: bought most recently among peers.")
    frequency: int | None = strawberry.field(description="5: most orders in the window.")
    monetary: int | None = strawberry.field(description="5: most spent in the window.")
    cell: str | None = strawberry.field(description="E.g. `R5F4M3`; null without an order.")

    @strawberry.field(
        description="Days since the last order, orders, amount, window and `peers` (how many "
        "customers the quintiles rank among: all of them, so only for a viewer who reads "
        "every customer).",
        graphql_type=JSON | None,
    )
    def inputs(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> dict[str, Any] | None:
        return r.without_peers(info.context, root["inputs"])


@strawberry.type(description="Where a customer is in its lifecycle (R16).")
class LifecycleState:
    stage: LifecycleStage | None = strawberry.field(description="The current stage.")
    since: dt.date | None = strawberry.field(
        description="When the move was recorded: a rule's move by the scoring run that found it "
        "(a lapse found late is dated by that run; its `reason` gives the days without an order)."
    )
    manual: bool = strawberry.field(
        description="Set by hand: holds until the records bring news (an order, a lapse)."
    )
    lostReason: LostReason | None = strawberry.field(description="Why it stopped, if LOST.")
    lostNote: str | None = strawberry.field(description="The note of the move to LOST.")
    reason: str | None = strawberry.field(
        description="What the rules said at the last run, e.g. `no order for 400 days`; for a "
        "stage set by hand, the note of that move."
    )


@strawberry.type(
    description="A customer's scores from the last scoring run, each explained: the value "
    "score with its factors, the segment, RFM, lifecycle, churn risk with its signals and "
    "the BG/NBD probability of still being active."
)
class CustomerIntelligence:
    scored: bool = strawberry.field(
        description="False until a run scored it (and for a person who objects to profiling)."
    )
    value: float | None = strawberry.field(description="0..100: the sum of the factor shares.")
    segment: Tier | None = strawberry.field(description="Core, general or problem (seed 000).")
    factors: list[ValueFactor] = strawberry.field(description="The five factors.")
    rfm: Rfm | None = strawberry.field(description="RFM cell; null until scored.")
    churnRisk: int | None = strawberry.field(
        description="0..100 for NEW and ACTIVE customers; null for others."
    )
    churnLevel: RiskLevel | None = strawberry.field(description="LOW, MEDIUM or HIGH.")
    churnSignals: list[ChurnSignal] = strawberry.field(description="Strongest first.")
    pAlive: float | None = strawberry.field(
        description="BG/NBD probability of still buying, 0..1; null when the population was "
        "too small to fit the model (see `model`), and for a customer who has bought on one "
        "day only: the model takes such a buyer as alive however long ago that was."
    )
    lifecycle: LifecycleState = strawberry.field(description="Lifecycle stage and its reason.")
    scoredAt: dt.datetime | None = strawberry.field(description="When these scores were made.")
    confirmedAt: dt.datetime | None = strawberry.field(
        description="The last run that found them unchanged."
    )
    modelVersion: str | None = strawberry.field(description="The model version that made them.")
    model: JSON | None = strawberry.field(
        description="Model details: version, settings version, the BG/NBD parameters or why "
        "it was not fitted."
    )


@strawberry.type(description="A kept snapshot of a customer's scores (one per change).")
class ScoreSnapshot:
    id: strawberry.ID = strawberry.field(description="Snapshot id.")
    scoredAt: dt.datetime = strawberry.field(description="The run that made it.")
    confirmedAt: dt.datetime = strawberry.field(description="The last run that found it so.")
    modelVersion: str = strawberry.field(description="Model version.")
    value: float = strawberry.field(
        description="Value score, as last confirmed (the sum of `factors`' shares)."
    )
    segment: Tier = strawberry.field(description="Segment.")
    cell: str | None = strawberry.field(description="RFM cell.")
    churnRisk: int | None = strawberry.field(description="Churn risk.")
    churnLevel: RiskLevel | None = strawberry.field(description="Churn level.")
    pAlive: float | None = strawberry.field(description="BG/NBD probability alive.")
    stage: LifecycleStage = strawberry.field(description="Lifecycle stage.")
    stageReason: str | None = strawberry.field(description="What the rules said.")
    factors: list[ValueFactor] = strawberry.field(description="The five factors.")
    churnSignals: list[ChurnSignal] = strawberry.field(description="Churn signals.")


@strawberry.type(description="A lifecycle move: by a rule of the scoring run or by hand.")
class LifecycleChange:
    id: strawberry.ID = strawberry.field(description="Change id.")
    at: dt.datetime = strawberry.field(description="When.")
    old: LifecycleStage | None = strawberry.field(description="From.")
    new: LifecycleStage | None = strawberry.field(description="To.")
    by: str = strawberry.field(description="A user id, or `system:scoring`.")
    rule: str | None = strawberry.field(
        description="FIRST_ORDER, REPEAT_ORDERS, LAPSED, WON_BACK, NO_ORDER or MANUAL."
    )
    reason: str | None = strawberry.field(description="The rule's reason or the user's note.")
    lostReason: LostReason | None = strawberry.field(description="For a manual move to LOST.")


@strawberry.type(description="A customer on the churn warning list.")
class ChurnWarning:
    id: strawberry.ID = strawberry.field(description="The customer's id.")
    churnRisk: int = strawberry.field(description="0..100.")
    churnLevel: RiskLevel = strawberry.field(description="Level.")
    reasons: list[ChurnReason] = strawberry.field(description="Its signals, strongest first.")
    value: float | None = strawberry.field(description="Its value score.")
    segment: Tier | None = strawberry.field(description="Its segment.")
    stage: LifecycleStage | None = strawberry.field(description="Its lifecycle stage.")
    pAlive: float | None = strawberry.field(description="BG/NBD probability alive.")

    @strawberry.field(
        description="The customer (batched node look-up).", graphql_type=CustomerParty | None
    )
    async def customer(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> NodeRow | None:
        return await r.customer(info.context, root["id"])


@strawberry.type(description="The 80/20 view: what share of revenue the top customers bring.")
class ParetoView:
    since: dt.date = strawberry.field(description="Period start (inclusive).")
    until: dt.date = strawberry.field(description="Period end (exclusive).")
    currency: str = strawberry.field(description="Orders in this currency only.")
    share: float = strawberry.field(description="The top fraction of customers, e.g. 0.2.")
    customers: int = strawberry.field(description="Customers with orders in the period.")
    topCustomers: int = strawberry.field(description="ceil(customers × share).")
    topAmount: float = strawberry.field(description="Their revenue.")
    totalAmount: float = strawberry.field(description="Everyone's revenue.")
    topShare: float | None = strawberry.field(description="topAmount / totalAmount.")


@strawberry.type(description="A count per key.")
class KeyCount:
    key: str | None = strawberry.field(
        description="A stage or a reason code; null: a customer who had no stage yet."
    )
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="Churn by stage and by reason (R17), over customers the viewer sees.")
class ChurnAnalysis:
    since: dt.date = strawberry.field(description="Period start.")
    until: dt.date = strawberry.field(description="Period end (exclusive).")
    lostByStage: list[KeyCount] = strawberry.field(
        description="Moves to LOST in the period, by the stage they left (`key` null: the "
        "customer had no stage yet, as before its first scoring run)."
    )
    lostByReason: list[KeyCount] = strawberry.field(
        description="Moves to LOST in the period, by reason (LAPSED: the rule)."
    )
    atRiskByStage: list[KeyCount] = strawberry.field(
        description="Customers at risk now (the levels asked), by stage."
    )
    atRiskByReason: list[KeyCount] = strawberry.field(
        description="Their churn signals, counted per signal."
    )


@strawberry.type(description="An exchange rate into the settings' currency.")
class Rate:
    currency: str = strawberry.field(description="ISO 4217.")
    rate: float = strawberry.field(description="One unit in the settings' currency.")


@strawberry.type(description="A factor's weight.")
class FactorWeight:
    factor: Factor = strawberry.field(description="Factor.")
    weight: float = strawberry.field(description="Weight, 0..1 (normalised to sum to 1).")


@strawberry.type(description="The scoring model's settings (data, not code; ADMIN edits them).")
class ScoringSettings:
    version: int = strawberry.field(description="0: the defaults, never saved.")
    modelVersion: str = strawberry.field(description="The rules' version.")
    currency: str = strawberry.field(description="Amounts are compared in this currency.")
    rates: list[Rate] = strawberry.field(description="Other currencies; without one, left out.")
    population: Population = strawberry.field(description="Peers for RFM and contribution.")
    weights: list[FactorWeight] = strawberry.field(description="Factor weights.")
    coreAt: float = strawberry.field(description="Value score from which a customer is CORE.")
    problemBelow: float = strawberry.field(description="Under this value: PROBLEM.")
    problemCreditBelow: float = strawberry.field(description="Credit under this: PROBLEM.")
    rfmWindowDays: int = strawberry.field(description="Orders older leave F and M.")
    growthWindowDays: int = strawberry.field(description="Growth compares two such windows.")
    lapseFactor: float = strawberry.field(
        description="LOST after this many of its own purchase cycles without an order."
    )
    highRiskAt: int = strawberry.field(description="Churn points for HIGH.")
    mediumRiskAt: int = strawberry.field(description="Churn points for MEDIUM.")


@strawberry.type(description="A finished scoring run.")
class ScoringRun:
    id: strawberry.ID = strawberry.field(description="Run id.")
    startedAt: dt.datetime = strawberry.field(description="Start.")
    finishedAt: dt.datetime = strawberry.field(description="End.")
    by: str = strawberry.field(description="Who started it (`system:scoring` on schedule).")
    customers: int = strawberry.field(description="Customers scored.")
    excluded: int = strawberry.field(description="People left out: they object to profiling.")
    moved: int = strawberry.field(description="Customers whose scores changed (new snapshots).")
    stageChanges: int = strawberry.field(description="Lifecycle moves by rule.")
    fitted: bool = strawberry.field(description="Whether the BG/NBD model was fitted.")
    fitSkipped: str | None = strawberry.field(description="Why not, if not.")
    seconds: float = strawberry.field(description="Wall time.")
    extractSeconds: float = strawberry.field(description="Reading customers and records.")
    fitSeconds: float = strawberry.field(description="Fitting BG/NBD (0 when skipped).")
    writeSeconds: float = strawberry.field(description="Scoring and writing back.")
    modelVersion: str = strawberry.field(description="Rules' version.")


ScoreSnapshotConnection = page_type(
    ScoreSnapshot, "ScoreSnapshot", "A snapshot", "score snapshots", "The snapshot."
)
ChurnWarningConnection = page_type(
    ChurnWarning, "ChurnWarning", "A warning", "churn warnings", "The warning."
)


@strawberry.input(description="Move a customer's lifecycle stage by hand, with a reason.")
class SetLifecycleStageInput:
    customer: strawberry.ID = strawberry.field(description="A customer you may edit.")
    stage: LifecycleStage = strawberry.field(description="The new stage.")
    note: str = strawberry.field(description="Why, ≤ 500; required.")
    lostReason: LostReason | None = strawberry.field(
        default=None, description="Required for LOST, not allowed otherwise; not LAPSED."
    )


@strawberry.input(description="An exchange rate.")
class RateInput:
    currency: str = strawberry.field(description="ISO 4217, e.g. USD; once in a list.")
    rate: float = strawberry.field(
        description="One unit in the settings' currency, 0 < rate < 10^6."
    )


@strawberry.input(description="A factor's weight.")
class FactorWeightInput:
    factor: Factor = strawberry.field(description="Factor.")
    weight: float = strawberry.field(description="0..1; each factor once, not all 0.")


@strawberry.input(description="Change the scoring settings; omitted fields keep their value.")
class SaveScoringSettingsInput:
    expectedVersion: int | None = strawberry.field(default=None, description="CONFLICT if stale.")
    currency: str | None = strawberry.field(
        default=None,
        description="ISO 4217 code amounts are compared in, e.g. CNY (not XXX or XTS). An "
        "order in another currency counts only with a rate in `rates`: without one it is left "
        "out of the customer's revenue (the CONTRIBUTION factor's detail counts it in "
        "`unconvertedOrders`).",
    )
    rates: list[RateInput] | None = strawberry.field(
        default=None,
        description="Replaces all: one per other currency, none for `currency` itself.",
    )
    population: Population | None = strawberry.field(default=None, description="Peers.")
    weights: list[FactorWeightInput] | None = strawberry.field(
        default=None,
        description="Weights of the factors given (each 0..1); others keep theirs. Weights are "
        "relative: they are saved divided by their sum (1/1/1/1/1 is saved as 0.2 each), as "
        "a run applies them.",
    )
    coreAt: float | None = strawberry.field(default=None, description="0..100.")
    problemBelow: float | None = strawberry.field(default=None, description="0..100, ≤ coreAt.")
    problemCreditBelow: float | None = strawberry.field(default=None, description="0..100.")
    rfmWindowDays: int | None = strawberry.field(default=None, description="1..3660.")
    growthWindowDays: int | None = strawberry.field(default=None, description="1..1830.")
    lapseFactor: float | None = strawberry.field(default=None, description="0.5..20.")
    highRiskAt: int | None = strawberry.field(default=None, description="0..100.")
    mediumRiskAt: int | None = strawberry.field(default=None, description="0..100, ≤ high.")


@strawberry.input(description="Start a scoring run.")
class RunScoringInput:
    wait: bool = strawberry.field(
        default=False,
        description="Wait up to 60 s for the run to end and answer its summary (small "
        "databases, scripts); otherwise answer at once and see scoringRuns.",
    )


LifecyclePayload = payload_type(
    "LifecyclePayload",
    "Result of setLifecycleStage.",
    intelligence=(CustomerIntelligence | None, "The customer's state after the move."),
)
ScoringSettingsPayload = payload_type(
    "ScoringSettingsPayload",
    "Result of saveScoringSettings.",
    settings=(ScoringSettings | None, "The settings as saved."),
)
RunScoringPayload = payload_type(
    "RunScoringPayload",
    "Result of runScoring.",
    accepted=(bool, "Whether a run started (see scoringRuns for its end)."),
    run=(
        ScoringRun | None,
        "With `wait`, the run's summary if it ended in time. A run that ended without one "
        "(the database unavailable, another server scoring, a failure) is an error here: "
        "DATABASE_UNAVAILABLE, CONFLICT or INTERNAL with the request id.",
    ),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


LEVELS = [RiskLevel.HIGH, RiskLevel.MEDIUM]


@strawberry.type
class Query:
    @strawberry.field(
        description="A customer's score snapshots, newest first: one per change, so a "
        "manager sees how it moved and why. `first` 1..100. One round trip, one more for "
        "`totalCount`.",
        graphql_type=ScoreSnapshotConnection,
    )
    async def scoreHistory(
        self,
        info: Info,
        customer: Annotated[strawberry.ID, arg("A customer.")],
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
    ) -> ConnectionOf[dict[str, Any]]:
        return await r.history(info.context, str(customer), first, after, wants_total(info))

    @strawberry.field(
        description="A customer's lifecycle moves, newest first (rule and manual), at most "
        "`first` (1..100, default 50). One round trip.",
        graphql_type=list[LifecycleChange],
    )
    async def lifecycleHistory(
        self,
        info: Info,
        customer: Annotated[strawberry.ID, ID_ARG],
        first: Annotated[int, arg("How many, 1..100.")] = 50,
    ) -> list[r.StageChangeRow]:
        return await r.stage_history(info.context, str(customer), first)

    @strawberry.field(
        description="NEW and ACTIVE customers the viewer sees at churn risk, highest first "
        "(a move out of those stages takes a customer off at once); filter by owner "
        "or team (with the teams under it). `first` 1..100. One round trip a page, one more "
        "for `totalCount`.",
        graphql_type=ChurnWarningConnection,
    )
    async def churnWarnings(
        self,
        info: Info,
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        levels: Annotated[list[RiskLevel] | None, arg("Levels (default HIGH, MEDIUM).")] = None,
        owner: Annotated[
            strawberry.ID | None, arg("Owned by this user; NOT_FOUND when there is none.")
        ] = None,
        team: Annotated[
            str | None,
            arg("Owned by this team (code) or one under it; NOT_FOUND when there is none."),
        ] = None,
    ) -> ConnectionOf[r.WarningRow]:
        chosen = [x.value for x in (levels or LEVELS)]
        owner_id = str(owner) if owner else None
        return await r.warnings(
            info.context, chosen, owner_id, team, first, after, wants_total(info)
        )

    @strawberry.field(
        description="The 80/20 view over customers the viewer sees: the share of revenue "
        "of the top `share` of customers in a period (default the last 365 days), in one "
        "currency. One round trip.",
        graphql_type=ParetoView,
    )
    async def pareto(
        self,
        info: Info,
        since: Annotated[dt.date | None, arg("Start (inclusive).")] = None,
        until: Annotated[dt.date | None, arg("End (exclusive); default tomorrow.")] = None,
        currency: Annotated[str, arg("ISO 4217, default CNY.")] = "CNY",
        share: Annotated[float, arg("Top fraction, default 0.2.")] = 0.2,
    ) -> dict[str, Any]:
        return await r.pareto(info.context, since, until, currency, share)

    @strawberry.field(
        description="Churn analysis over customers the viewer sees: losses in a period "
        "(default the last 365 days) by stage and reason, and who is at risk now by stage and "
        "signal. One round trip.",
        graphql_type=ChurnAnalysis,
    )
    async def churnAnalysis(
        self,
        info: Info,
        since: Annotated[dt.date | None, arg("Start (inclusive).")] = None,
        until: Annotated[dt.date | None, arg("End (exclusive).")] = None,
        levels: Annotated[
            list[RiskLevel] | None, arg("At-risk levels (default HIGH, MEDIUM).")
        ] = None,
    ) -> dict[str, Any]:
        chosen = [x.value for x in (levels or LEVELS)]
        return await r.churn_analysis(info.context, since, until, chosen)

    @strawberry.field(
        description="The scoring settings (every signed-in role reads them). One round trip.",
        graphql_type=ScoringSettings,
    )
    async def scoringSettings(self, info: Info) -> dict[str, Any]:
        return await r.settings(info.context)

    @strawberry.field(
        description="The latest scoring runs, newest first (ADMIN, MANAGER). `first` 1..100.",
        graphql_type=list[ScoringRun],
    )
    async def scoringRuns(
        self, info: Info, first: Annotated[int, arg("How many, 1..100.")] = 10
    ) -> list[dict[str, Any]]:
        return await r.runs(info.context, first)


@strawberry.type
class Mutation:
    setLifecycleStage = input_mutation(
        SetLifecycleStageInput,
        r.set_stage,
        LifecyclePayload,
        "Move a customer's lifecycle stage by hand with a note (and a lost reason for LOST). "
        "The stage holds until the records bring news. Same rights as editing the customer. "
        "Kept in lifecycleHistory; audited.",
    )
    saveScoringSettings = input_mutation(
        SaveScoringSettingsInput,
        r.save_settings,
        ScoringSettingsPayload,
        "Change the scoring settings (ADMIN); the next run uses them. Audited.",
    )
    runScoring = input_mutation(
        RunScoringInput,
        r.run_scoring,
        RunScoringPayload,
        "Start a scoring run in the background (ADMIN); CONFLICT while one is going. The run "
        "takes a database lock, so two servers never score at once. Audited.",
    )
