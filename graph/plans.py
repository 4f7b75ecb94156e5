"""Sales plans against actuals (R25): targets per period, the orders that meet them, and the
forecast to the period's end.

A plan is a `(:SalesPlan)` node keyed by (period, dimension, target, currency): its id is a
UUID made from that key, so saving the same key again changes the same node (an import is the
same call as a manual entry) and saving the same amount again writes nothing. Amounts are
integer cents in an ISO 4217 currency, as the records keep them; there is no currency
conversion: a CNY plan is met by CNY orders only.

Periods are calendar months (`2027-01`), quarters (`2027-Q1`) and years (`2027`) in the
company's calendar, China Standard Time (PERIOD_TZ): an order placed at 23:30 on 31 January
in Shanghai counts in January.

Actuals are computed on read from the `:Order` records (graph/records.py), never stored:
orders that happened in the period before `asOf` (default now), voided ones left out (a void
corrects a mistake: the sale did not happen), counted only where the viewer may see the
order's customer (graph/access.py). Attribution per dimension:
- CUSTOMER: the orders ABOUT the customer;
- PRODUCT: the order lines' amounts for the product;
- USER: the orders STAFFED_BY the user. An order with two of our staff on it counts in full
  for each: we store no split ratio, and a rep's figure should not shrink because a colleague
  helped (shared credit, as sales teams usually pay it);
- TEAM: the orders staffed by any member of the team or of a team below it (users by their
  current `team` code, down TEAM_DEPTH levels), each order once: two members of the same
  team on one order do not count it twice, so a team's actual can be less than the sum of
  its members'.

A team's plan is its own (SET) when one is stored for the period and currency, else the sum
of its members' USER plans and its sub-teams' plans (ROLLUP), each sub-team again its own or
its rollup.

The forecast to the period's end is the actual plus the open pipeline expected to close in
the period (open projects with `expectedClose` in [period start, period end): one past its
date this period is still open, and `forecast` counts it in its month too), each
weighted by graph/pipeline.py's win probability for its stage (or its override); method
PIPELINE. Products have no pipeline (projects carry no products), so a PRODUCT row projects
its run rate, actual ÷ elapsed share of the period (RUN_RATE). Once the period is over the
forecast is the actual (FINAL). The pipeline read is today's pipeline, also for an `asOf` in
the past (the pipeline module rebuilds past stages; plans do not replay them).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, LiteralString, TypedDict

from graph import access, clock, pipeline
from graph.access import TEAM_DEPTH
from graph.actor import Actor
from graph.db import Cypher, Database, Tx
from graph.nodes import PROJECTION, Audit, audit_from
from graph.refusal import Refusal
from graph.team import projection as team_projection

PERIOD_TZ = clock.ZONE  # the business calendar
# Caps: rows one save takes, plans one period reads, rows one table shows, open projects the
# forecast reads.
MAX_SAVE = 500
MAX_PLANS = 20_000
MAX_ROWS = 500
MAX_PIPELINE = 50_000
MAX_PROJECT_AMOUNT = 10**13  # what createProject and updateProject accept
MAX_TEAMS = 2_000
PLANS_NS = uuid.UUID("3d0e6f52-6a1b-4c8e-9f27-8b5a41c0d7e3")


class Dimension(Enum):
    CUSTOMER = "CUSTOMER"
    PRODUCT = "PRODUCT"
    TEAM = "TEAM"
    USER = "USER"


class PeriodKind(Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class PlanSource(Enum):
    SET = "SET"  # stored for this target
    ROLLUP = "ROLLUP"  # a team's members' and sub-teams' plans summed


class ForecastMethod(Enum):
    PIPELINE = "PIPELINE"
    RUN_RATE = "RUN_RATE"
    FINAL = "FINAL"


# --- Periods (pure) ---------------------------------------------------------------------------
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    key: str
    kind: PeriodKind
    start: dt.date
    end: dt.date  # the first day after the period

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), PERIOD_TZ)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), PERIOD_TZ)

    def elapsed(self, at: dt.datetime) -> float:
        """The share of the period that lies before `at`, 0..1."""
        whole = (self.ends_at - self.starts_at).total_seconds()
        done = (min(max(at, self.starts_at), self.ends_at) - self.starts_at).total_seconds()
        return done / whole


def _add_months(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period | None:
    """`2027-01`, `2027-Q1` or `2027` as a Period; None when it is none of them."""
    m = _PERIOD.match(text.strip())
    if m is None:
        return None
    year = int(m["year"])
    if year < 1900 or year > 2999:
        return None
    if m["month"] is not None:
        month = int(m["month"])
        if not 1 <= month <= 12:
            return None
        start = dt.date(year, month, 1)
        return Period(f"{year:04d}-{month:02d}", PeriodKind.MONTH, start, _add_months(start, 1))
    if m["quarter"] is not None:
        q = int(m["quarter"])
        start = dt.date(year, 3 * q - 2, 1)
        return Period(f"{year:04d}-Q{q}", PeriodKind.QUARTER, start, _add_months(start, 3))
    return Period(f"{year:04d}", PeriodKind.YEAR, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))


def period_of(day: dt.date, kind: PeriodKind) -> Period:
    """The period of `kind` that holds `day`."""
    if kind is PeriodKind.MONTH:
        text = f"{day.year:04d}-{day.month:02d}"
    elif kind is PeriodKind.QUARTER:
        text = f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    else:
        text = f"{day.year:04d}"
    period = parse_period(text)
    assert period is not None
    return period


def previous(period: Period) -> Period:
    return period_of(period.start - dt.timedelta(days=1), period.kind)


def days_in(period: Period) -> int:
    return (period.end - period.start).days


def plan_id(period: str, dimension: Dimension, target: str, currency: str) -> str:
    """A plan's id, from its key: the same key is the same plan."""
    return str(uuid.uuid5(PLANS_NS, "\x1f".join((period, dimension.value, target, currency))))


# --- Rows -------------------------------------------------------------------------------------
class PlanRow(TypedDict):
    """A stored plan."""

    id: str
    period: str
    dimension: str
    targetId: str
    currency: str
    amountCents: int
    note: str | None
    version: int
    updatedAt: Any
    updatedBy: str | None


class TableRow(TypedDict):
    """One line of the plan-versus-actual table."""

    dimension: str
    targetId: str
    currency: str
    planCents: int | None
    planSource: str | None
    planVersion: int | None  # a SET plan's version, for `expectedVersion`
    actualCents: int
    percentage: float | None  # actual ÷ plan, one decimal
    gapCents: int | None  # plan − actual: still to sell (negative: over the plan)
    orders: int
    pipelineCents: int | None  # weighted open pipeline counted in the forecast
    forecastCents: int | None
    forecastMethod: str
    customer: Any  # NodeRow of a CUSTOMER row
    product: Any  # product map of a PRODUCT row
    user: Any  # NodeRow of a USER row
    team: Any  # TeamRow of a TEAM row


class Table(TypedDict):
    period: str
    periodKind: str
    startsAt: dt.datetime
    endsAt: dt.datetime
    asOf: dt.datetime
    elapsedShare: float
    dimension: str
    rows: list[TableRow]
    truncated: bool


# --- Statements -------------------------------------------------------------------------------
# Each `key`'s visible customer `n`, company or person. A customer merged away (graph/merge.py)
# is its survivor, as `node(id)` reads it: saved and read on the survivor.
_CUSTOMER_OF_KEY: LiteralString = (
    "OPTIONAL MATCH (:MergedId {id: key})-[:MERGED_INTO]->(survivor) "
    "WITH key, coalesce(survivor.id, key) AS id "
    "CALL (id) { MATCH (n:Company {id: id}) RETURN n UNION MATCH (n:Person {id: id}) RETURN n } "
    "WITH key, n WHERE n:Customer AND " + access.visible("n") + " "
)
# What a save refers to, checked in its transaction: which customers exist, that the viewer
# sees, and which of those they may edit; which products, users and teams exist.
CUSTOMER_TARGETS = Cypher(
    "plans.targets.customers",
    "UNWIND $customers AS key " + _CUSTOMER_OF_KEY
    + "RETURN key, n.id AS id, " + access.editable("n") + " AS editable",
)  # fmt: skip
TARGETS = Cypher(
    "plans.targets",
    "RETURN [x IN $products WHERE EXISTS { MATCH (:Product {id: x}) }] AS products, "
    "[x IN $users WHERE EXISTS { MATCH (:User {id: x}) }] AS users, "
    # Who sells no more (archived) or never (ANALYST or AUDITOR only): no new plan.
    "[x IN $users WHERE EXISTS { MATCH (u:User {id: x}) WHERE u.archivedAt IS NOT NULL "
    "OR all(r IN coalesce(u.roles, []) WHERE r IN $readOnly) }] AS inactive, "
    "[x IN $teamIds WHERE EXISTS { MATCH (:Team {id: x}) }] AS teams",
)
LOCK = Cypher(
    "plans.lock",
    "UNWIND $ids AS key MATCH (s:SalesPlan {id: key}) SET s.__lock = true REMOVE s.__lock "
    "RETURN s.id AS id, s.version AS version, s.amountCents AS amountCents, s.note AS note",
)
SAVE = Cypher(
    "plans.save",
    "UNWIND $rows AS row "
    "MERGE (s:SalesPlan {id: row.id}) ON CREATE SET s.version = 0, s.createdAt = datetime(), "
    "s.createdBy = $actor, s.period = row.period, s.periodKind = row.periodKind, "
    "s.dimension = row.dimension, s.targetId = row.target, s.currency = row.currency "
    "WITH s, row WHERE s.version = 0 OR s.amountCents <> row.amountCents "
    "OR coalesce(s.note, '') <> coalesce(row.note, '') "
    "SET s.amountCents = row.amountCents, s.note = row.note, s.version = s.version + 1, "
    "s.updatedAt = datetime(), s.updatedBy = $actor "
    "WITH s, row " + audit_from("row.audit") + " RETURN s.id AS id",
)  # fmt: skip
REMOVE = Cypher(
    "plans.remove",
    "UNWIND $rows AS row MATCH (s:SalesPlan {id: row.id}) DELETE s "
    "WITH row " + audit_from("row.audit") + " RETURN row.id AS id",
)
BY_IDS = Cypher(
    "plans.by_ids",
    "UNWIND $ids AS key MATCH (s:SalesPlan {id: key}) RETURN s{.*, targetId: s.targetId} AS plan",
)
OF_PERIOD = Cypher(
    "plans.of_period",
    "MATCH (s:SalesPlan) WHERE s.period = $period AND s.dimension IN $dimensions "
    "AND ($currency IS NULL OR s.currency = $currency) "
    "RETURN s{.*} AS plan ORDER BY s.id LIMIT $cap",
)
TEAMS = Cypher(
    "plans.teams",
    "MATCH (t:Team) WITH t ORDER BY t.code LIMIT $cap "
    "RETURN " + team_projection("t") + " AS team, "
    "COLLECT { MATCH (u:User) WHERE u.team = t.code RETURN u.id } AS members",
)
# The orders of the period the viewer may see: `o` and its customer `c`.
_ORDERS: LiteralString = (
    "MATCH (o:Record)-[:ABOUT]->(c) WHERE o:Order AND o.occurredAt >= $from "
    "AND o.occurredAt < $to AND o.voidedAt IS NULL "
    "AND ($currency IS NULL OR o.currency = $currency) AND " + access.visible("c") + " "
)
_SUMS: LiteralString = (
    " AS target, o.currency AS currency, sum(o.amountCents) AS cents, count(o) AS orders"
)
ACTUALS = {
    Dimension.CUSTOMER: Cypher(
        "plans.actuals.customer",
        _ORDERS + "AND c.id IN $ids RETURN c.id" + _SUMS,
    ),
    Dimension.PRODUCT: Cypher(
        "plans.actuals.product",
        _ORDERS + "MATCH (o)-[l:LINE]->(p:Product) WHERE p.id IN $ids "
        "RETURN p.id AS target, o.currency AS currency, sum(l.amountCents) AS cents, "
        "count(DISTINCT o) AS orders",
    ),
    Dimension.USER: Cypher(
        "plans.actuals.user",
        _ORDERS + "MATCH (o)-[:STAFFED_BY]->(u:User) WHERE u.id IN $ids RETURN u.id" + _SUMS,
    ),
    # `$teams`: each team with the codes of its subtree; an order counts once per team.
    Dimension.TEAM: Cypher(
        "plans.actuals.team",
        _ORDERS + "WITH o, COLLECT { MATCH (o)-[:STAFFED_BY]->(u:User) RETURN u.team } AS codes "
        "UNWIND $teams AS t WITH o, t WHERE any(x IN codes WHERE x IN t.codes) "
        "RETURN t.id" + _SUMS,
    ),
}
# The open pipeline expected to close in [since, until), as the viewer sees it.
PIPELINE = Cypher(
    "plans.pipeline",
    pipeline.SCOPED + "WITH p, c, ownerId WHERE coalesce(p.status, 'OPEN') = 'OPEN' "
    "AND p.expectedClose >= $since AND p.expectedClose < $until AND p.amount > 0 "
    "AND ($currency IS NULL OR coalesce(p.currency, 'CNY') = $currency) "
    "RETURN p.id AS id, c.id AS customerId, ownerId, p.amount AS amount, "
    "coalesce(p.currency, 'CNY') AS currency, p.stage AS stage, p.status AS status, "
    "p.winProbability AS winProbability LIMIT $cap",
)  # fmt: skip
CUSTOMERS = Cypher(
    "plans.customers",
    "UNWIND $ids AS key " + _CUSTOMER_OF_KEY + "RETURN key, " + PROJECTION + " AS node",
)  # fmt: skip
USERS = Cypher(
    "plans.users",
    "UNWIND $ids AS key MATCH (n:User {id: key}) RETURN key, " + PROJECTION + " AS node",
)
PRODUCTS = Cypher(
    "plans.products",
    "UNWIND $ids AS key MATCH (p:Product {id: key}) RETURN key, p{.*} AS node",
)


# --- Team trees (pure) ------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamTree:
    """Teams by id: their rows, parents, children and direct members."""

    rows: dict[str, Any]
    children: dict[str, list[str]]
    members: dict[str, list[str]]

    @staticmethod
    def of(teams: Iterable[tuple[Any, list[str]]]) -> TeamTree:
        rows: dict[str, Any] = {}
        children: dict[str, list[str]] = {}
        members: dict[str, list[str]] = {}
        for row, team_members in teams:
            rows[row["id"]] = row
            members[row["id"]] = sorted(team_members)
        for team_id, row in rows.items():
            parent = row.get("parentId")
            if parent in rows:
                children.setdefault(parent, []).append(team_id)
        return TeamTree(rows, {k: sorted(v) for k, v in children.items()}, members)

    def subtree(self, team_id: str) -> list[str]:
        """The team and the teams below it, down TEAM_DEPTH levels."""
        out, level, seen = [], [team_id], {team_id}
        for _ in range(TEAM_DEPTH + 1):
            out.extend(level)
            nxt = [c for t in level for c in self.children.get(t, []) if c not in seen]
            seen.update(nxt)
            level = nxt
        return out

    def users_of(self, team_id: str) -> list[str]:
        return sorted({u for t in self.subtree(team_id) for u in self.members.get(t, [])})

    def codes_of(self, team_id: str) -> list[str]:
        return [self.rows[t]["code"] for t in self.subtree(team_id)]


Key = tuple[str, str]  # (target id, currency)


def team_plans(
    tree: TeamTree, own: dict[Key, int], users: dict[Key, int]
) -> dict[Key, tuple[int, PlanSource]]:
    """Every team's plan per currency: its own (`own`, SET) or, without one, the sum of its
    direct members' plans (`users`) and its sub-teams' plans (ROLLUP). A team with neither
    has no entry."""
    currencies = sorted({c for _, c in own} | {c for _, c in users})
    out: dict[Key, tuple[int, PlanSource]] = {}

    def plan(team_id: str, currency: str, depth: int) -> int | None:
        key = (team_id, currency)
        if key in out:
            return out[key][0]
        if key in own:
            out[key] = (own[key], PlanSource.SET)
            return own[key]
        parts = [
            users[(u, currency)] for u in tree.members.get(team_id, []) if (u, currency) in users
        ]
        if depth < TEAM_DEPTH:
            for child in tree.children.get(team_id, []):
                sub = plan(child, currency, depth + 1)
                if sub is not None:
                    parts.append(sub)
        if not parts:
            return None
        out[key] = (sum(parts), PlanSource.ROLLUP)
        return out[key][0]

    for team_id in tree.rows:
        for currency in currencies:
            plan(team_id, currency, 0)
    return out


# --- Forecast (pure) --------------------------------------------------------------------------
def weighted_pipeline(
    projects: Iterable[dict[str, Any]], settings: pipeline.Settings
) -> list[dict[str, Any]]:
    """Each open project with its weighted amount in cents; one whose amount is out of the
    API's range is left out."""
    out = []
    for p in projects:
        # An import (or the API before it capped project amounts) may have stored 1e300 or
        # Infinity: weighting that overflows, and no forecast could use it anyway.
        if not 0 < p["amount"] <= MAX_PROJECT_AMOUNT:
            continue
        probability = settings.probability(p["stage"], p["status"], p["winProbability"])
        out.append({**p, "weightedCents": round(float(p["amount"]) * 100 * probability)})
    return out


def forecast(
    method: ForecastMethod, actual: int, pipeline_cents: int, elapsed: float
) -> int | None:
    if method is ForecastMethod.FINAL:
        return actual
    if method is ForecastMethod.PIPELINE:
        return actual + pipeline_cents
    return round(actual / elapsed) if elapsed > 0 else None


def percentage(actual: int, plan: int | None) -> float | None:
    """Actual as a percentage of the plan, one decimal rounded half up as amounts are
    (tester BR: 365,000 of 400,000 read 91.2); None without a (non-zero) plan."""
    if not plan:
        return None
    exact = Decimal(actual * 100) / Decimal(plan)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- Repository -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanSave:
    """A normalised plan row, as the resolver validated it."""

    period: Period
    dimension: Dimension
    target: str
    currency: str
    amount_cents: int | None  # None: remove the plan
    note: str | None = None
    expected_version: int | None = None

    @property
    def id(self) -> str:
        return plan_id(self.period.key, self.dimension, self.target, self.currency)


@dataclass(frozen=True)
class RowRefusal:
    index: int
    refusal: Refusal
    current_version: int | None = None
    other: int | None = None  # DUPLICATE: the row naming the same plan first


@dataclass(frozen=True)
class SaveResult:
    plans: list[PlanRow] = field(default_factory=list)
    changed: int = 0
    refusals: list[RowRefusal] = field(default_factory=list)


def may_plan(actor: Actor, dimension: Dimension, target: str, editable: set[str]) -> bool:
    """ADMIN plans everything; a MANAGER plans the users and teams of their scope (their team
    and the teams below it) and the customers they may edit; product plans are company-wide
    targets, ADMIN's."""
    scope = actor.scope
    if scope.edit_all:
        return True
    if "MANAGER" not in actor.roles:
        return False
    if dimension is Dimension.USER:
        return target in scope.users
    if dimension is Dimension.TEAM:
        return target in scope.principals
    if dimension is Dimension.CUSTOMER:
        return target in editable
    return False


async def save(db: Database, rows: list[PlanSave], audit: Audit) -> SaveResult:
    """Save (or remove) many plans in one transaction: every row is checked first (target
    exists and the actor may plan it; a user's new amount needs an active user who may sell:
    INACTIVE; expected version), and on any refusal nothing is written. Rows whose amount
    and note are already stored write nothing. A merged customer's id is planned on its
    survivor; two rows that then name one plan are refused (DUPLICATE)."""
    by_dim: dict[Dimension, list[str]] = {d: [] for d in Dimension}
    for r in rows:
        by_dim[r.dimension].append(r.target)

    async def work(tx: Tx) -> SaveResult:
        found = (
            await tx.run(
                TARGETS,
                {
                    "products": by_dim[Dimension.PRODUCT],
                    "users": by_dim[Dimension.USER],
                    "teamIds": by_dim[Dimension.TEAM],
                    "readOnly": sorted(access.READ_ONLY_ROLES),
                },
            )
        )[0]
        customers = by_dim[Dimension.CUSTOMER]
        seen = (
            await tx.run(
                CUSTOMER_TARGETS,
                {"customers": customers, "acl": access.acl_params(audit.actor)},
            )
            if customers
            else []
        )
        # A merged customer's id names its survivor's plan from here on.
        survivor = {r["key"]: r["id"] for r in seen}
        plans = [
            replace(r, target=survivor[r.target])
            if r.dimension is Dimension.CUSTOMER and r.target in survivor
            else r
            for r in rows
        ]
        exists = {
            Dimension.CUSTOMER: set(survivor.values()),
            Dimension.PRODUCT: set(found["products"]),
            Dimension.USER: set(found["users"]),
            Dimension.TEAM: set(found["teams"]),
        }
        editable = {r["id"] for r in seen if r["editable"]}
        inactive = set(found["inactive"])
        stored = {r["id"]: r for r in await tx.run(LOCK, {"ids": [r.id for r in plans]})}
        refusals = []
        first: dict[str, int] = {}
        for i, r in enumerate(plans):
            current = stored.get(r.id)
            if first.setdefault(r.id, i) != i:  # two ids of one customer, one merged away
                refusals.append(RowRefusal(i, Refusal.DUPLICATE, other=first[r.id]))
            elif r.target not in exists[r.dimension]:
                refusals.append(RowRefusal(i, Refusal.NOT_FOUND))
            elif not may_plan(audit.actor, r.dimension, r.target, editable):
                refusals.append(RowRefusal(i, Refusal.FORBIDDEN))
            elif (r.dimension is Dimension.USER and r.amount_cents is not None
                  and r.target in inactive):  # fmt: skip
                refusals.append(RowRefusal(i, Refusal.INACTIVE))
            elif r.expected_version is not None and (
                (current["version"] if current else 0) != r.expected_version
            ):
                version = current["version"] if current else 0
                refusals.append(RowRefusal(i, Refusal.CONFLICT, version))
        if refusals:
            return SaveResult(refusals=refusals)
        writes, removals = [], []
        for r in plans:
            if r.amount_cents is None:
                if r.id in stored:
                    removals.append(
                        {"id": r.id, "audit": audit.params(r.id, "SalesPlan", ["amountCents"])}
                    )
                continue
            current = stored.get(r.id)
            if current and current["amountCents"] == r.amount_cents and current["note"] == r.note:
                continue
            writes.append(
                {
                    "id": r.id,
                    "period": r.period.key,
                    "periodKind": r.period.kind.value,
                    "dimension": r.dimension.value,
                    "target": r.target,
                    "currency": r.currency,
                    "amountCents": r.amount_cents,
                    "note": r.note,
                    "audit": audit.params(r.id, "SalesPlan", ["amountCents", "note"]),
                }
            )
        if writes:
            await tx.run(SAVE, {"rows": writes, "actor": audit.actor.id})
        if removals:
            await tx.run(REMOVE, {"rows": removals})
        kept = [r.id for r in plans if r.amount_cents is not None]
        saved = [x["plan"] for x in await tx.run(BY_IDS, {"ids": kept})]
        return SaveResult(plans=saved, changed=len(writes) + len(removals))

    return await db.transaction(work)


@dataclass(frozen=True)
class TableQuery:
    period: Period
    dimension: Dimension
    as_of: dt.datetime
    ids: list[str] | None = None  # only these targets
    team: str | None = None  # USER: the team's members; TEAM: the team and those below
    currency: str | None = None


def _method(q: TableQuery) -> ForecastMethod:
    if q.as_of >= q.period.ends_at:
        return ForecastMethod.FINAL
    return ForecastMethod.RUN_RATE if q.dimension is Dimension.PRODUCT else ForecastMethod.PIPELINE


def _sums(rows: Iterable[dict[str, Any]]) -> dict[Key, tuple[int, int]]:
    return {(r["target"], r["currency"]): (r["cents"], r["orders"]) for r in rows}


async def table(db: Database, actor: Actor, q: TableQuery) -> Table:
    """The plan-versus-actual table of one period and dimension, as `actor` may see it."""
    acl = access.acl_params(actor)
    scope = actor.scope
    dims = [q.dimension.value] + (["USER"] if q.dimension is Dimension.TEAM else [])
    stored = [
        r["plan"]
        for r in await db.read(
            OF_PERIOD,
            # Every currency: a target planned in one gets its row in another currency too.
            {"period": q.period.key, "dimensions": dims, "currency": None, "cap": MAX_PLANS},
        )
    ]
    own = {
        (p["targetId"], p["currency"]): p["amountCents"]
        for p in stored
        if p["dimension"] == q.dimension.value
    }
    versions = {
        (p["targetId"], p["currency"]): p["version"]
        for p in stored
        if p["dimension"] == q.dimension.value
    }
    tree: TeamTree | None = None
    if q.dimension in (Dimension.TEAM, Dimension.USER) and (
        q.team or q.dimension is Dimension.TEAM
    ):
        teams = await db.read(TEAMS, {"cap": MAX_TEAMS})
        tree = TeamTree.of((t["team"], t["members"]) for t in teams)

    # Which targets get rows: those asked for, else the team's, else every planned one; then
    # only those the viewer may see.
    plans: dict[Key, tuple[int, PlanSource]] = {k: (v, PlanSource.SET) for k, v in own.items()}
    if q.dimension is Dimension.TEAM:
        assert tree is not None
        users = {
            (p["targetId"], p["currency"]): p["amountCents"]
            for p in stored
            if p["dimension"] == "USER"
        }
        plans = team_plans(tree, own, users)
    if q.ids is not None:
        targets = list(dict.fromkeys(q.ids))
    elif q.team is not None and tree is not None:
        if q.team not in tree.rows:
            targets = []
        elif q.dimension is Dimension.USER:
            targets = tree.users_of(q.team)
        else:
            targets = tree.subtree(q.team)
    else:
        targets = sorted({t for t, _ in plans})
    if q.currency is not None:
        # Chosen above from the plans in every currency, as without the filter: the table in
        # one currency lists the same targets, with only that currency's figures.
        plans = {k: v for k, v in plans.items() if k[1] == q.currency}
        versions = {k: v for k, v in versions.items() if k[1] == q.currency}
    if not scope.read_all:
        if q.dimension is Dimension.USER:
            targets = [t for t in targets if t in scope.users]
        elif q.dimension is Dimension.TEAM:
            targets = [t for t in targets if t in scope.principals]
    nodes: dict[str, Any]
    if q.dimension is Dimension.TEAM:
        assert tree is not None
        nodes = {t: tree.rows[t] for t in targets if t in tree.rows}
    else:
        lookup = {Dimension.CUSTOMER: CUSTOMERS, Dimension.USER: USERS, Dimension.PRODUCT: PRODUCTS}
        found = await db.read(lookup[q.dimension], {"ids": targets, "acl": acl})
        nodes = {r["node"]["id"]: r["node"] for r in found}
        survivor = {r["key"]: r["node"]["id"] for r in found}  # a merged id: its survivor
        targets = list(dict.fromkeys(survivor.get(t, t) for t in targets))
    targets = [t for t in targets if t in nodes]
    truncated = len(targets) > MAX_ROWS
    targets = targets[:MAX_ROWS]

    window = {
        "from": clock.fixed(q.period.starts_at),
        "to": clock.fixed(min(q.as_of, q.period.ends_at)),
        "currency": q.currency,
        "acl": acl,
    }
    if q.dimension is Dimension.TEAM:
        assert tree is not None
        teams_param = [{"id": t, "codes": tree.codes_of(t)} for t in targets]
        actual_rows = await db.read(ACTUALS[Dimension.TEAM], {**window, "teams": teams_param})
    else:
        actual_rows = await db.read(ACTUALS[q.dimension], {**window, "ids": targets})
    actuals = _sums(actual_rows)

    method = _method(q)
    weighted: dict[Key, int] = {}
    if method is ForecastMethod.PIPELINE:
        settings, _ = await pipeline.settings(db, actor)
        projects = await db.read(
            PIPELINE,
            {
                "within": pipeline.scope_params(),
                "since": q.period.start,
                "until": q.period.end,
                "currency": q.currency,
                "cap": MAX_PIPELINE,
                "acl": acl,
            },
        )
        owners_of: dict[str, list[str]] = {}
        if q.dimension is Dimension.TEAM:
            assert tree is not None
            for t in targets:
                for u in tree.users_of(t):
                    owners_of.setdefault(u, []).append(t)
        for p in weighted_pipeline(projects, settings):
            if q.dimension is Dimension.CUSTOMER:
                hits = [p["customerId"]]
            elif q.dimension is Dimension.USER:
                hits = [p["ownerId"]]
            else:
                hits = owners_of.get(p["ownerId"], [])
            for k in hits:
                key = (k, p["currency"])
                weighted[key] = weighted.get(key, 0) + p["weightedCents"]

    elapsed = q.period.elapsed(q.as_of)
    wanted = set(targets)
    keys = {k for k in (*plans, *actuals, *weighted) if k[0] in wanted}
    for t in targets:
        if not any(k[0] == t for k in keys):
            keys.add((t, q.currency or "CNY"))
    out: list[TableRow] = []
    for target, currency in keys:
        plan = plans.get((target, currency))
        cents, orders = actuals.get((target, currency), (0, 0))
        pipe = weighted.get((target, currency), 0) if method is ForecastMethod.PIPELINE else None
        node = nodes[target]
        out.append(
            {
                "dimension": q.dimension.value,
                "targetId": target,
                "currency": currency,
                "planCents": plan[0] if plan else None,
                "planSource": plan[1].value if plan else None,
                "planVersion": versions.get((target, currency)) if plan else None,
                "actualCents": cents,
                "percentage": percentage(cents, plan[0] if plan else None),
                "gapCents": plan[0] - cents if plan else None,
                "orders": orders,
                "pipelineCents": pipe,
                "forecastCents": forecast(method, cents, pipe or 0, elapsed),
                "forecastMethod": method.value,
                "customer": node if q.dimension is Dimension.CUSTOMER else None,
                "product": node if q.dimension is Dimension.PRODUCT else None,
                "user": node if q.dimension is Dimension.USER else None,
                "team": node if q.dimension is Dimension.TEAM else None,
            }
        )
    out.sort(
        key=lambda r: (-(r["planCents"] or 0), -r["actualCents"], r["targetId"], r["currency"])
    )
    return {
        "period": q.period.key,
        "periodKind": q.period.kind.value,
        "startsAt": q.period.starts_at,
        "endsAt": q.period.ends_at,
        "asOf": q.as_of,
        "elapsedShare": round(elapsed, 4),
        "dimension": q.dimension.value,
        "rows": out,
        "truncated": truncated,
    }
