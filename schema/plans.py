"""Sales plans against actuals (R25): plans per period and dimension, saved in batches, and the
manager's plan-versus-actual table with the forecast to the period's end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from resolvers import plans as r
from resolvers.plans import Dimension, ForecastMethod, PeriodKind, PlanSource, Table
from schema.base import Info, input_mutation, optional, payload_type, vocab_enum
from schema.person import CustomerParty
from schema.records import Product, money
from schema.team import Team
from schema.user import User

vocab_enum(
    Dimension,
    "What a sales plan is set for.",
    {
        "CUSTOMER": "A customer (company or person): the orders about it.",
        "PRODUCT": "A product: the order lines for it.",
        "TEAM": "A team (department): the orders its members and its sub-teams' members "
        "took part in, each order once.",
        "USER": "One of our staff: the orders they took part in (STAFFED_BY), each in full.",
    },
    name="PlanDimension",
)
vocab_enum(
    PeriodKind,
    "The length of a plan period.",
    {"MONTH": "A calendar month, 2027-01.", "QUARTER": "A quarter, 2027-Q1.", "YEAR": "2027."},
    name="PlanPeriodKind",
)
vocab_enum(
    PlanSource,
    "Where a row's plan comes from.",
    {
        "SET": "Stored for this target and period.",
        "ROLLUP": "A team without its own plan: its members' and its sub-teams' plans summed.",
    },
)
vocab_enum(
    ForecastMethod,
    "How a row's forecast to the period's end was made.",
    {
        "PIPELINE": "The actual plus the open pipeline expected to close in the period (a deal "
        "still open past its date in the period included), weighted by win probability.",
        "RUN_RATE": "The actual divided by the elapsed share of the period (products: "
        "projects carry no products).",
        "FINAL": "The period is over: the forecast is the actual.",
    },
)


@strawberry.type(description="A sales plan (销售计划): a target amount for one period.")
class SalesPlan:
    id: strawberry.ID = strawberry.field(
        description="The plan's id, made from (period, dimension, target, currency)."
    )
    period: str = strawberry.field(description="2027-01, 2027-Q1 or 2027.")
    periodKind: PeriodKind = strawberry.field(description="Month, quarter or year.")
    dimension: Dimension = strawberry.field(description="What the plan is for.")
    targetId: strawberry.ID = strawberry.field(
        description="The customer, product, team or user it is for."
    )
    currency: str = strawberry.field(description="ISO 4217 code.")
    amount = money("amountCents", "The target amount.")
    note: str | None = strawberry.field(description="A note, ≤ 500.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")


@strawberry.type(description="One line of the plan-versus-actual table: a target in a currency.")
class PlanVsActualRow:
    dimension: Dimension = strawberry.field(description="The table's dimension.")
    targetId: strawberry.ID = strawberry.field(description="The target's id.")
    currency: str = strawberry.field(
        description="ISO 4217 code; plans and orders in other currencies are other rows (no "
        "conversion)."
    )
    plan = money("planCents", "The plan; null when the target has none for the period.")
    planSource: PlanSource | None = strawberry.field(
        description="SET or ROLLUP (teams); null without a plan."
    )
    planVersion: int | None = strawberry.field(
        description="The stored plan's version (SET rows), for `expectedVersion`."
    )
    actual = money(
        "actualCents",
        "Orders of the period placed before `asOf` (voided ones left out), over the customers the "
        "viewer may see.",
    )
    orders: int = strawberry.field(description="How many orders make the actual.")
    percentage: float | None = strawberry.field(
        description="actual ÷ plan × 100, one decimal; null without a non-zero plan."
    )
    gap = money("gapCents", "plan − actual: still to sell (negative: over the plan).")
    pipeline = money(
        "pipelineCents",
        "PIPELINE rows: the weighted open pipeline expected to close in the period, a deal "
        "still open past its date in it included; today's pipeline, also for an `asOf` in the "
        "past (`forecast(compareTo:)` replays past stages).",
    )
    forecast = money(
        "forecastCents",
        "Expected at the period's end (see `forecastMethod`); null for a run rate before the "
        "period starts.",
    )
    forecastMethod: ForecastMethod = strawberry.field(description="How `forecast` was made.")
    customer: CustomerParty | None = strawberry.field(description="CUSTOMER rows: the customer.")
    product: Product | None = strawberry.field(description="PRODUCT rows: the product.")
    user: User | None = strawberry.field(description="USER rows: the staff member.")
    team: Team | None = strawberry.field(description="TEAM rows: the team.")


@strawberry.type(description="The plan-versus-actual table of one period and dimension.")
class PlanVsActual:
    period: str = strawberry.field(description="The period, normalised (2027-01, 2027-Q1, 2027).")
    periodKind: PeriodKind = strawberry.field(description="Month, quarter or year.")
    startsAt: dt.datetime = strawberry.field(
        description="The period's first instant, China Standard Time (+08:00)."
    )
    endsAt: dt.datetime = strawberry.field(description="The instant after its end.")
    asOf: dt.datetime = strawberry.field(description="The moment the actuals are counted to.")
    elapsedShare: float = strawberry.field(
        description="The share of the period before `asOf`, 0..1."
    )
    dimension: Dimension = strawberry.field(description="The rows' dimension.")
    rows: list[PlanVsActualRow] = strawberry.field(
        description="Largest plan first, then largest actual; at most 500."
    )
    truncated: bool = strawberry.field(description="Whether rows were left out past 500.")


@strawberry.input(description="One plan to save (or remove).")
class SalesPlanInput:
    period: str = strawberry.field(description="A month 2027-01, quarter 2027-Q1 or year 2027.")
    dimension: Dimension = strawberry.field(description="What the plan is for.")
    target: strawberry.ID = strawberry.field(
        description="The customer, product, team or user (of that dimension)."
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")
    amount: Decimal | None = optional("≥ 0, ≤ 2 decimals; required unless `remove`.")
    note: str | None = optional("≤ 500.")
    expectedVersion: int | None = optional(
        "CONFLICT if the stored plan is at another version (0: must not exist yet); omitted: "
        "upsert."
    )
    remove: bool | None = optional("True: delete the plan (a team's plan reverts to ROLLUP).")


@strawberry.input(
    description="Save many plans at once (an import is the same call): idempotent per "
    "(period, dimension, target, currency)."
)
class SavePlansInput:
    plans: list[SalesPlanInput] = strawberry.field(description="1..500 plans.")


SavePlansPayload = payload_type(
    "SavePlansPayload",
    "Result of savePlans.",
    plans=(list[SalesPlan], "The saved plans as stored (removed ones left out)."),
    changed=(int, "How many plans were written or removed (0: all as stored already)."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="Plan against actual (计划完成情况) for one period and dimension, as the "
        "viewer may see it: per row the plan (a team's own, or its members' and sub-teams' "
        "summed), the actual from the orders placed before `asOf`, percentage, gap and the "
        "forecast to the period's end. Rows: the `ids` given, else the `team`'s members (USER) "
        "or the team and its sub-teams (TEAM), else every target with a plan. SALES see their "
        "own and their team's rows, MANAGER their teams', ADMIN, ANALYST and AUDITOR all; "
        "actuals always count only customers the viewer sees. 3-6 round trips.",
        graphql_type=PlanVsActual,
    )
    async def planVsActual(
        self,
        info: Info,
        period: Annotated[str, arg("2027-01, 2027-Q1 or 2027.")],
        dimension: Annotated[Dimension, arg("CUSTOMER, PRODUCT, TEAM or USER.")],
        asOf: Annotated[
            dt.datetime | None, arg("Count orders placed before this instant; default now.")
        ] = None,
        ids: Annotated[
            list[strawberry.ID] | None,
            arg(
                "Only these targets, ≤ 500 (a merged customer's id answers as the customer "
                "it was merged into)."
            ),
        ] = None,
        team: Annotated[strawberry.ID | None, arg("USER and TEAM only: this team's.")] = None,
        currency: Annotated[str | None, arg("Only this currency.")] = None,
    ) -> Table:
        return await r.plan_vs_actual(
            info.context,
            period,
            dimension,
            asOf,
            [str(x) for x in ids] if ids is not None else None,
            str(team) if team is not None else None,
            currency,
        )


@strawberry.type
class Mutation:
    savePlans = input_mutation(
        SavePlansInput,
        r.save_plans,
        SavePlansPayload,
        "Save sales plans in one transaction (the CSV import `crm-graph import-plans` is the "
        "same call): ADMIN plans everything; MANAGER the users and teams of their teams and "
        "the customers they may edit; product plans are ADMIN's. Every row is checked first, "
        "with errors at `input.plans[i]`; on any, nothing is written. The same amount again "
        "writes nothing. Audited per plan.",
    )
