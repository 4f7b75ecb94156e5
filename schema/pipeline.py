"""Pipeline and forecast (R24), risk flags on open opportunities, and the hand-over of a
departed rep's accounts with a brief per account (R6, R27).

Figures are computed on read from the opportunities and their field history, over what the
viewer may see: one round trip for a funnel or forecast, one for the at-risk list.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import pipeline as r
from resolvers.pipeline import RiskFlag, Step
from resolvers.shapes import NodeRow
from resolvers.vocab import DealLossReason, ProjectStage, Stance
from schema.base import ID_ARG, Info, Node, input_mutation, payload_type, vocab_enum
from schema.decision import StaffTie
from schema.person import CustomerParty
from schema.project import Project
from schema.records import CustomerRecordConnection, FollowUpConnection

vocab_enum(
    RiskFlag,
    "Why an open opportunity is at risk (R24). The last three come from its decision tree.",
    {
        "NO_RECENT_INTERACTION": "No interaction with the customer or in the deal for longer "
        "than `staleDays`.",
        "CLOSE_DATE_PASSED": "Still open after its expected close date.",
        "DECISION_MAKER_OPPOSED": "A decision maker's stance is OPPONENT.",
        "DECISION_MAKER_STANCE_UNKNOWN": "A decision maker's stance is UNKNOWN or not set.",
        "OPPOSED_INFLUENCER": "An opponent with power: an economic buyer or financial "
        "approver, someone who influences a decision maker, or stored influence strength "
        "at or above `highInfluenceAt`.",
        "DECISION_MAKER_UNKNOWN_TO_STAFF": "Nobody on our staff has a current KNOWS tie to a "
        "decision maker.",
    },
    name="OpportunityRiskFlag",
)
vocab_enum(
    Step,
    "A funnel step: the open stages in order, then the deal won.",
    {
        "LEAD": "线索 / Lead.",
        "QUALIFIED": "已确认 / Qualified.",
        "PROPOSAL": "方案 / Proposal.",
        "NEGOTIATION": "谈判 / Negotiation.",
        "WON": "赢单 / Won.",
    },
    name="FunnelStepKind",
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.input(
    description="Whose opportunities: all given conditions hold, always within what the viewer "
    "may see. An opportunity's owner is its team's LEAD, else its customer's owner; a closed "
    "one's is whoever that was when it closed (its last LEAD, else the customer's owner at "
    "its last status change, from the owner history)."
)
class PipelineScopeInput:
    owner: strawberry.ID | None = strawberry.field(default=None, description="A user id.")
    team: strawberry.ID | None = strawberry.field(
        default=None, description="A team id: its members' and its sub-teams' members'."
    )
    customerClass: strawberry.ID | None = strawberry.field(
        default=None, description="A customer class id (classification rules)."
    )
    group: strawberry.ID | None = strawberry.field(
        default=None,
        description="A company id: it and the companies under it (SUBSIDIARY_OF, ≤ 6 hops).",
    )


@strawberry.type(description="One step of the funnel.")
class FunnelStep:
    stage: Step = strawberry.field(description="The step.")
    reached: int = strawberry.field(
        description="Opportunities of the cohort that were ever at this step or a later one "
        "(only a WON deal reached WON; every deal reached LEAD; one at CLOSED while open or "
        "on hold, in closing, reached NEGOTIATION; one moved to CLOSED as it was lost, only "
        "the stages it was at)."
    )
    reachedAmount: float = strawberry.field(description="Their amounts, as at `until`.")
    current: int = strawberry.field(
        description="Open (or on hold) at this stage at `until`; NEGOTIATION's include the "
        "deals in closing (stage CLOSED, still open or on hold)."
    )
    currentAmount: float = strawberry.field(description="Their amounts.")
    conversion: float | None = strawberry.field(
        description="Share of `reached` that reached the next step (0..1); null for WON or "
        "when none reached this one."
    )
    medianDays: float | None = strawberry.field(
        description="Median days spent at this stage, over the stays that ended in the period."
    )


@strawberry.type(description="The deals lost in the period for one reason.")
class FunnelLossReason:
    reason: DealLossReason | None = strawberry.field(
        description="The deal's `lostReason` as it stood at `until`; null: none was given."
    )
    count: int = strawberry.field(description="Deals lost for it.")
    amount: float = strawberry.field(description="Their amounts.")


@strawberry.type(
    description="The funnel for a period: the cohort is every opportunity that existed by "
    "`until` and had not closed before `since`."
)
class Funnel:
    since: dt.date = strawberry.field(description="First day.")
    until: dt.date = strawberry.field(description="Last day (included).")
    currency: str = strawberry.field(
        description="Only opportunities in this currency count (one stored without a "
        "currency counts as CNY)."
    )
    steps: list[FunnelStep] = strawberry.field(description="LEAD to WON.")
    cohort: int = strawberry.field(description="Opportunities counted.")
    won: int = strawberry.field(description="Won in the period.")
    wonAmount: float = strawberry.field(description="Their amounts.")
    lost: int = strawberry.field(description="Lost in the period.")
    lostAmount: float = strawberry.field(description="Their amounts.")
    lossReasons: list[FunnelLossReason] = strawberry.field(
        description="The period's losses by reason, most deals first (a tie by reason, "
        "unstated last); the counts add up to `lost`."
    )
    winRate: float | None = strawberry.field(description="won / (won + lost); null without any.")
    otherCurrency: int = strawberry.field(
        description="Cohort members in another currency, left out."
    )
    truncated: bool = strawberry.field(description="More than 50,000 opportunities: cut there.")


@strawberry.type(description="A month's forecast figures, as the opportunities stood then.")
class ForecastFigures:
    open: int = strawberry.field(description="OPEN opportunities expected to close this month.")
    amount: float = strawberry.field(description="Their amounts, unweighted.")
    weighted: float = strawberry.field(
        description="Σ amount × win probability (the override, else the stage's)."
    )
    won: float = strawberry.field(description="Amounts won this month.")
    onHold: float = strawberry.field(
        description="ON_HOLD amounts expected this month (unweighted)."
    )


@strawberry.type(description="One month of the forecast, now and at `compareTo`.")
class ForecastMonth:
    month: dt.date = strawberry.field(description="Its first day.")
    now: ForecastFigures = strawberry.field(description="As at `asOf`.")
    then: ForecastFigures = strawberry.field(description="As at `compareTo`.")


@strawberry.type(
    description="The weighted forecast by expected close month, and the same forecast as it "
    "stood on an earlier date, rebuilt from field history, so a manager sees it move."
)
class Forecast:
    since: dt.date = strawberry.field(description="First month.")
    until: dt.date = strawberry.field(description="Last day.")
    asOf: dt.date = strawberry.field(description="The moment of `now` (end of that day).")
    compareTo: dt.date = strawberry.field(description="The moment of `then`.")
    currency: str = strawberry.field(description="Only this currency counts.")
    months: list[ForecastMonth] = strawberry.field(description="One row per month, ≤ 36.")
    total: ForecastFigures = strawberry.field(description="The months summed, now.")
    totalThen: ForecastFigures = strawberry.field(description="The months summed, then.")
    truncated: bool = strawberry.field(description="More than 50,000 opportunities: cut there.")


@strawberry.type(description="One reason an opportunity is at risk.")
class RiskReason:
    flag: RiskFlag = strawberry.field(description="Which.")
    weight: int = strawberry.field(description="What it adds to the opportunity's risk score.")
    reason: str = strawberry.field(description="In English, e.g. `No interaction for 45 days`.")
    reasonZh: str = strawberry.field(description="In Chinese, e.g. `45 天没有互动`.")
    days: int | None = strawberry.field(description="Days quiet, or days past the close date.")
    since: dt.date | None = strawberry.field(
        description="The last interaction, or the passed close date."
    )

    @strawberry.field(
        description="The people it names (decision makers, opponents) that the viewer may see, "
        "masked as on Person.",
        graphql_type=list[Node],
    )
    async def people(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> list[NodeRow]:
        result: list[NodeRow] = root["people"]
        return result


@strawberry.type(description="An open opportunity with its risk flags.")
class AtRiskOpportunity:
    project: Project = strawberry.field(description="The opportunity.")
    score: int = strawberry.field(description="The flags' weights summed: higher is riskier.")
    flags: list[RiskReason] = strawberry.field(description="Most severe first.")


@strawberry.type(description="The riskiest open opportunities in scope.")
class AtRiskOpportunities:
    items: list[AtRiskOpportunity] = strawberry.field(
        description="Riskiest first (score, then amount)."
    )
    totalCount: int = strawberry.field(description="Open opportunities with at least one flag.")
    truncated: bool = strawberry.field(
        description="More than 5,000 open opportunities in scope: only those were checked."
    )


@strawberry.type(description="A stage's win probability.")
class StageProbability:
    stage: ProjectStage = strawberry.field(description="The stage.")
    probability: float = strawberry.field(description="0..1.")


@strawberry.type(description="The pipeline settings (stored as data; ADMIN changes them).")
class PipelineSettings:
    version: int = strawberry.field(description="0: the defaults.")
    stageProbabilities: list[StageProbability] = strawberry.field(
        description="Win probability per stage; WON counts 1, LOST 0."
    )
    staleDays: int = strawberry.field(
        description="Days without an interaction that flag an open opportunity."
    )
    highInfluenceAt: float = strawberry.field(
        description="Stored influence strength (0..1) from which an opponent is a risk."
    )


@strawberry.input(description="A stage's win probability.")
class StageProbabilityInput:
    stage: ProjectStage = strawberry.field(description="The stage.")
    probability: float = strawberry.field(description="0..1.")


@strawberry.input(description="Settings to change; absent ones stay.")
class SavePipelineSettingsInput:
    stageProbabilities: list[StageProbabilityInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Stages to change."
    )
    staleDays: int | None = strawberry.field(default=strawberry.UNSET, description="1..365.")
    highInfluenceAt: float | None = strawberry.field(
        default=strawberry.UNSET, description="Above 0, at most 1."
    )
    expectedVersion: int | None = strawberry.field(
        default=strawberry.UNSET, description="Refused with CONFLICT when the settings moved."
    )


PipelineSettingsPayload = payload_type(
    "PipelineSettingsPayload",
    "Result of savePipelineSettings.",
    settings=(PipelineSettings | None, "The settings as saved."),
)


# --- Hand-over ---------------------------------------------------------------------------------
@strawberry.input(description="Send one account to a successor other than the default.")
class HandOverRouteInput:
    account: strawberry.ID = strawberry.field(description="A customer the departed user owns.")
    to: strawberry.ID = strawberry.field(description="Its successor (a user id).")


@strawberry.input(description="Hand a departed user's accounts, opportunities and follow-ups over.")
class HandOverInput:
    from_: strawberry.ID = strawberry.field(name="from", description="The user who leaves.")
    to: strawberry.ID = strawberry.field(description="The default successor.")
    accounts: list[HandOverRouteInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Accounts that go to someone else; their opportunities and follow-ups "
        "follow them.",
    )
    note: str | None = strawberry.field(default=strawberry.UNSET, description="Why; ≤ 2000.")
    dryRun: bool = strawberry.field(
        default=False, description="Only say what would move; change nothing."
    )


@strawberry.type(description="One thing moved to a successor.")
class HandOverMove:
    id: strawberry.ID = strawberry.field(description="The customer, project or follow-up.")
    to: strawberry.ID = strawberry.field(description="The successor's user id.")
    customerId: strawberry.ID | None = strawberry.field(description="Its customer.")


@strawberry.type(description="What a hand-over moved (or, on a dry run, would move).")
class HandOver:
    id: strawberry.ID | None = strawberry.field(
        description="The hand-over's id; null on a dry run."
    )
    dryRun: bool = strawberry.field(description="Nothing was changed.")
    accounts: list[HandOverMove] = strawberry.field(description="Customers (OWNS moved).")
    projects: list[HandOverMove] = strawberry.field(
        description="Open and on-hold opportunities (their ON_TEAM place, same role)."
    )
    followUps: list[HandOverMove] = strawberry.field(description="Open follow-ups reassigned.")
    closedProjects: list[HandOverMove] = strawberry.field(
        description="Won, lost, cancelled or archived opportunities: the departed rep's place "
        "on their team ends today (kept in history) and nobody joins, so the deal no longer "
        "opens its account to them. `to` is the account's successor."
    )
    leftBehind: list[HandOverMove] = strawberry.field(
        description="Deals and follow-ups of customers you may see but not edit (the "
        "departed rep helped on another team's deal): not moved; an ADMIN or that team's "
        "manager hands them over. `to` is where they would have gone."
    )
    leftBehindHidden: int = strawberry.field(
        description="How many more deals and follow-ups stay behind on customers you may "
        "not even see: only counted, never named (hidden means missing). An ADMIN edits "
        "everything, so leaves nothing behind."
    )
    sharesEnded: int = strawberry.field(
        description="Accounts shared with the departed rep by hand: each share ends (nobody "
        "inherits it; whoever shared chose that person). Only counted: the accounts may be "
        "another team's."
    )


HandOverPayload = payload_type(
    "HandOverPayload",
    "Result of handOver.",
    handOver=(HandOver | None, "What moved."),
)


@strawberry.type(description="A key person's part in one of the account's open deals.")
class DealRole:
    projectId: strawberry.ID = strawberry.field(description="The opportunity.")
    role: str | None = strawberry.field(
        description="Their decision role: DECISION_MAKER, ECONOMIC_BUYER, TECHNICAL_EVALUATOR, "
        "FINANCIAL_APPROVER, USER, INFLUENCER, CHAMPION, GATEKEEPER or BLOCKER."
    )
    stance: Stance | None = strawberry.field(description="Their stance.")


@strawberry.type(description="A person a successor must know, with our ties to them.")
class KeyPerson:
    roles: list[DealRole] = strawberry.field(description="In the account's open deals.")
    ties: list[StaffTie] = strawberry.field(
        description="Who on our staff knows them, strongest first."
    )

    @strawberry.field(description="The person, masked as on Person.", graphql_type=Node)
    async def person(self, info: Info, root: strawberry.Parent[dict[str, Any]]) -> NodeRow:
        result: NodeRow = root["person"]
        return result


@strawberry.type(description="A hand-over brief: what a new owner reads first about an account.")
class HandOverBrief:
    account: CustomerParty = strawberry.field(description="The customer.")
    openOpportunities: list[AtRiskOpportunity] = strawberry.field(
        description="Open and on-hold opportunities (≤ 50), soonest close first, with their "
        "risk flags (none for ON_HOLD)."
    )
    openFollowUps: Any = strawberry.field(
        graphql_type=FollowUpConnection, description="Open follow-ups, soonest due first (≤ 20)."
    )
    lastInteractions: Any = strawberry.field(
        graphql_type=CustomerRecordConnection, description="The 5 latest interactions."
    )
    keyPeople: list[KeyPerson] = strawberry.field(
        description="≤ 20: people in decision roles first, then the best known."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The pipeline settings (every signed-in role reads them). One round trip.",
        graphql_type=PipelineSettings,
    )
    async def pipelineSettings(self, info: Info) -> dict[str, Any]:
        return await r.settings(info.context)

    @strawberry.field(
        description="The sales funnel (销售漏斗) for a period: per step, how many reached it, "
        "their amount, how many sit there now, conversion to the next step and median days "
        "in it; won, lost and the win rate. Counted over the opportunities the viewer sees "
        "in `scope`. Default period: the last 90 days. One round trip.",
        graphql_type=Funnel,
    )
    async def funnel(
        self,
        info: Info,
        scope: Annotated[PipelineScopeInput | None, arg("Whose opportunities.")] = None,
        since: Annotated[dt.date | None, arg("First day; default until − 90 days.")] = None,
        until: Annotated[dt.date | None, arg("Last day (included); default today.")] = None,
        currency: Annotated[str, arg("ISO 4217 code.")] = "CNY",
    ) -> dict[str, Any]:
        return await r.funnel(info.context, _scope(scope), since, until, currency)

    @strawberry.field(
        description="The weighted forecast by expected close month (≤ 36 months), and the "
        "same as it stood at `compareTo` (default 30 days before `asOf`). Default months: this "
        "one and the next four. One round trip (two with the settings).",
        graphql_type=Forecast,
    )
    async def forecast(
        self,
        info: Info,
        scope: Annotated[PipelineScopeInput | None, arg("Whose opportunities.")] = None,
        since: Annotated[dt.date | None, arg("First month (any day in it).")] = None,
        until: Annotated[
            dt.date | None,
            arg(
                "Last day (included): a deal expected or won after it is left out, even in "
                "its month."
            ),
        ] = None,
        asOf: Annotated[dt.date | None, arg("Forecast as at this day; default today.")] = None,
        compareTo: Annotated[dt.date | None, arg("The earlier day to compare with.")] = None,
        currency: Annotated[str, arg("ISO 4217 code.")] = "CNY",
    ) -> dict[str, Any]:
        return await r.forecast(
            info.context, _scope(scope), since, until, asOf, compareTo, currency
        )

    @strawberry.field(
        description="Open opportunities with risk flags, riskiest first, each with its reasons "
        "(R24): silence, a passed close date, and from the decision tree an opposed or "
        "undecided decision maker, a powerful opponent, a decision maker nobody on our staff "
        "knows. `first` 1..100. Checks at most 5,000 open opportunities. Two round trips "
        "(and one for the people named).",
        graphql_type=AtRiskOpportunities,
    )
    async def atRiskOpportunities(
        self,
        info: Info,
        scope: Annotated[PipelineScopeInput | None, arg("Whose opportunities.")] = None,
        first: Annotated[int, arg("How many, 1..100.")] = 10,
    ) -> dict[str, Any]:
        return await r.at_risk(info.context, _scope(scope), first)

    @strawberry.field(
        description="The hand-over brief of an account (R27): its open opportunities with "
        "their risk flags, open follow-ups, the last interactions, and the key people with who "
        "on our staff knows them. Null when the viewer cannot see the account. About nine "
        "round trips.",
        graphql_type=HandOverBrief | None,
    )
    async def handOverBrief(
        self, info: Info, account: Annotated[strawberry.ID, ID_ARG]
    ) -> dict[str, Any] | None:
        return await r.brief(info.context, str(account))


def _scope(scope: PipelineScopeInput | None) -> dict[str, Any] | None:
    if scope is None:
        return None
    return {
        "owner": str(scope.owner) if scope.owner else None,
        "team": str(scope.team) if scope.team else None,
        "customerClass": str(scope.customerClass) if scope.customerClass else None,
        "group": str(scope.group) if scope.group else None,
    }


@strawberry.type
class Mutation:
    savePipelineSettings = input_mutation(
        SavePipelineSettingsInput,
        r.save_settings,
        PipelineSettingsPayload,
        "Change the stage win probabilities, stale days or risky influence (ADMIN). Audited.",
    )
    handOver = input_mutation(
        HandOverInput,
        r.hand_over,
        HandOverPayload,
        "Hand a departed user's customers, open opportunities (their team place and role) "
        "and open follow-ups to successors, in one audited transaction (R6). ADMIN, or a "
        "MANAGER whose teams include the departed user and every successor. Successors are "
        "active users who may edit (else VALIDATION at input.to). The departed user's place "
        "on closed deals' teams ends. Nothing moves when one of their accounts may not be "
        "edited; deals and follow-ups of other teams' customers stay, listed in `leftBehind` "
        "(only counted, in `leftBehindHidden`, when you may not see them). "
        "`dryRun` shows what would move.",
    )
