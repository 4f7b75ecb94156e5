"""Rule-based customer classification (R14): rules are data an admin edits, not code.

Model:
- `(:ClassificationRule {id, dimension, classKey, nameZh, nameEn, description, priority,
  conditions, enabled, version, ...})-[:ASSIGNS]->(:CustomerClass)`. `conditions` is a JSON
  string (Neo4j stores no nested maps): an all-of list of `{field, op, value}` in the closed
  language below (FEATURES x OPS), checked by `check_conditions` before every save.
- `(:CustomerClass {id: '<dimension>:<key>', dimension, key, nameZh, nameEn})`: one node per
  class, named by the rule saved last that assigns it.
- `(c:Customer)-[:CLASSIFIED_AS {dimension, since, ruleId}]->(:CustomerClass)`: at most one
  per dimension per customer (the review writes them, one writer at a time). Why an edge to a
  class node rather than a property on the customer: the class is a thing of its own (names
  in two languages, edited in one place), "customers of class X" is one traversal from the
  class node (the list filter), the edge carries when and by which rule, and a renamed class
  renames itself for every customer without touching them.
- `(:ClassificationReview {id, startedAt, finishedAt, abortedAt, by, dryRun, counts})`
  with `(:ClassificationChange {id, seq, dimension, ruleId, at})-[:IN_REVIEW]->(review)`,
  `-[:OF]->(customer)`, `-[:FROM]->(class)` and `-[:TO]->(class)`: what a review changed,
  kept as history.

Per dimension, the enabled rules are tried by ascending `priority` (ties: class key, then
id) and the first whose conditions all hold assigns its class; no match removes the class.

The review (`review`) is a system job, as the scoring job is: it classifies every customer
whatever the caller may see, reading `BATCH` customers per statement in id order and writing
each batch's changes in one statement. What it reports back to a viewer is filtered with
graph/access.py (`changes`). A dry run reads the same and writes nothing. Archived customers
keep their classes as they are; a person who objects to automated profiling (PIPL art. 24,
graph/privacy.py's `objects_to_profiling`, as the scoring job reads it) is classified in no
dimension: the review removes their classes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString, NotRequired, TypedDict

from graph import access, clock, pages
from graph.actor import Actor
from graph.cypher import counts, current
from graph.db import Cypher, Database, Tx
from graph.errors import CrmError
from graph.nodes import AUDIT, PROJECTION, Audit, new_id
from graph.privacy import objects_to_profiling
from graph.refusal import Refusal
from graph.vocab import CustomerKind, Dimension, LifecycleStage, Tier

log = logging.getLogger(__name__)

BATCH = 1000  # customers per read and per write statement of a review
MAX_CONDITIONS = 20
MAX_VALUES = 50  # items of an IN / NOT_IN / HAS_ANY list
MAX_TEXT = 100  # a text value in a condition
MAX_RULES = 500  # rules per dimension that a read returns
PREVIEW = 1000  # changes a review's summary carries (all of them are stored)
STALE_MINUTES = 60  # a review unfinished for longer no longer blocks a new one
NS = uuid.UUID("3b7f2a6c-91d4-4c0e-8f5a-6d2e1c9b0a47")


class ConditionOp(Enum):
    EQ = "EQ"
    NE = "NE"
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    IN = "IN"
    NOT_IN = "NOT_IN"
    CONTAINS = "CONTAINS"
    HAS = "HAS"
    HAS_ANY = "HAS_ANY"
    IS_NULL = "IS_NULL"
    NOT_NULL = "NOT_NULL"


class ValueType(Enum):
    NUMBER = "NUMBER"
    TEXT = "TEXT"
    ENUM = "ENUM"
    LIST = "LIST"  # a list of texts


class Feature(Enum):
    """The closed list of fields a condition may test: profile properties of the customer,
    and features computed from its records when the review runs."""

    PARTY_TYPE = "partyType"
    CUSTOMER_KIND = "customerKind"
    INDUSTRY = "industry"
    SCALE = "scale"
    COMPANY_TYPE = "companyType"
    EMPLOYEE_COUNT = "employeeCount"
    REGISTERED_CAPITAL = "registeredCapital"
    MAIN_BUSINESS = "mainBusiness"
    ADDRESS = "address"
    OCCUPATION = "occupation"
    LIFECYCLE_STAGE = "lifecycleStage"
    TIER = "tier"
    DISTRIBUTES_FOR = "distributesFor"
    ORDERS = "orders"
    DAYS_SINCE_FIRST_ORDER = "daysSinceFirstOrder"
    DAYS_SINCE_LAST_ORDER = "daysSinceLastOrder"
    CURRENCY = "currency"
    AMOUNT_CENTS = "amountCents"
    AMOUNT_365_CENTS = "amount365Cents"
    OVERDUE_CENTS = "overdueCents"
    OVERDUE_ORDERS = "overdueOrders"
    OPEN_COMPLAINTS = "openComplaints"
    COMPLAINTS_365 = "complaints365"
    DAYS_SINCE_LAST_INTERACTION = "daysSinceLastInteraction"
    PRODUCT_CATEGORIES = "productCategories"


@dataclass(frozen=True)
class FeatureSpec:
    type: ValueType
    description: str
    options: tuple[str, ...] = ()


def _names(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


FEATURES: dict[Feature, FeatureSpec] = {
    Feature.PARTY_TYPE: FeatureSpec(ValueType.ENUM, "COMPANY or PERSON.", ("COMPANY", "PERSON")),
    Feature.CUSTOMER_KIND: FeatureSpec(
        ValueType.ENUM, "ENTERPRISE or INDIVIDUAL.", _names(CustomerKind)
    ),
    Feature.INDUSTRY: FeatureSpec(ValueType.TEXT, "A company's industry."),
    Feature.SCALE: FeatureSpec(ValueType.TEXT, "A company's size band (大型 / 中型 / 小型)."),
    Feature.COMPANY_TYPE: FeatureSpec(ValueType.TEXT, "A company's legal form (有限责任公司 …)."),
    Feature.EMPLOYEE_COUNT: FeatureSpec(ValueType.NUMBER, "A company's number of employees."),
    Feature.REGISTERED_CAPITAL: FeatureSpec(ValueType.NUMBER, "Registered capital, CNY 10,000."),
    Feature.MAIN_BUSINESS: FeatureSpec(ValueType.TEXT, "A company's main business."),
    Feature.ADDRESS: FeatureSpec(
        ValueType.TEXT, "A company's registered address: the region, with CONTAINS '广东'."
    ),
    Feature.OCCUPATION: FeatureSpec(ValueType.TEXT, "A person customer's occupation."),
    Feature.LIFECYCLE_STAGE: FeatureSpec(
        ValueType.ENUM, "Lifecycle stage, as last set (may be null).", _names(LifecycleStage)
    ),
    Feature.TIER: FeatureSpec(
        ValueType.ENUM, "Value tier, as last set (may be null).", _names(Tier)
    ),
    Feature.DISTRIBUTES_FOR: FeatureSpec(
        ValueType.NUMBER, "Current DISTRIBUTES_FOR edges from the customer (an intermediary)."
    ),
    Feature.ORDERS: FeatureSpec(ValueType.NUMBER, "Orders, all time, voided ones left out."),
    Feature.DAYS_SINCE_FIRST_ORDER: FeatureSpec(
        ValueType.NUMBER, "Whole days since the first order (null without orders)."
    ),
    Feature.DAYS_SINCE_LAST_ORDER: FeatureSpec(
        ValueType.NUMBER, "Whole days since the latest order (null without orders)."
    ),
    Feature.CURRENCY: FeatureSpec(
        ValueType.TEXT, "The main currency: the one with the most orders (null without orders)."
    ),
    Feature.AMOUNT_CENTS: FeatureSpec(
        ValueType.NUMBER, "Orders' total in the main currency, cents."
    ),
    Feature.AMOUNT_365_CENTS: FeatureSpec(
        ValueType.NUMBER, "Orders' total of the last 365 days in the main currency, cents."
    ),
    Feature.OVERDUE_CENTS: FeatureSpec(
        ValueType.NUMBER, "Unpaid past the due date in the main currency, cents."
    ),
    Feature.OVERDUE_ORDERS: FeatureSpec(
        ValueType.NUMBER, "Orders with an amount unpaid past their due date, any currency."
    ),
    Feature.OPEN_COMPLAINTS: FeatureSpec(ValueType.NUMBER, "Complaints open or in progress."),
    Feature.COMPLAINTS_365: FeatureSpec(ValueType.NUMBER, "Complaints of the last 365 days."),
    Feature.DAYS_SINCE_LAST_INTERACTION: FeatureSpec(
        ValueType.NUMBER, "Whole days since the latest interaction (null without any)."
    ),
    Feature.PRODUCT_CATEGORIES: FeatureSpec(
        ValueType.LIST, "Categories of the products bought (at most 100), for PRODUCT_LINE."
    ),
}

_SCALAR = {ConditionOp.EQ, ConditionOp.NE, ConditionOp.IN, ConditionOp.NOT_IN}
_NULLS = {ConditionOp.IS_NULL, ConditionOp.NOT_NULL}
_ORDERED = {ConditionOp.GT, ConditionOp.GTE, ConditionOp.LT, ConditionOp.LTE}
OPS: dict[ValueType, frozenset[ConditionOp]] = {
    ValueType.NUMBER: frozenset(_SCALAR | _NULLS | _ORDERED),
    ValueType.TEXT: frozenset(_SCALAR | _NULLS | {ConditionOp.CONTAINS}),
    ValueType.ENUM: frozenset(_SCALAR | _NULLS),
    ValueType.LIST: frozenset({ConditionOp.HAS, ConditionOp.HAS_ANY} | _NULLS),
}
_LISTS = {ConditionOp.IN, ConditionOp.NOT_IN, ConditionOp.HAS_ANY}


@dataclass(frozen=True)
class Condition:
    field: Feature
    op: ConditionOp
    value: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field.value, "op": self.op.value, "value": self.value}


@dataclass(frozen=True)
class Problem:
    """What is wrong with condition `index`: its `part` ("field", "op", "value"), or the list
    as a whole (index None)."""

    index: int | None
    part: str | None
    message: str


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _scalar_problem(spec: FeatureSpec, value: Any) -> str | None:
    """Why one value does not fit a feature of this type (None: it fits)."""
    if spec.type is ValueType.NUMBER:
        return None if _number(value) else "must be a number"
    if not isinstance(value, str) or not value.strip():
        return "must be a non-blank text"
    if len(value) > MAX_TEXT:
        return f"is longer than {MAX_TEXT} characters"
    if spec.type is ValueType.ENUM and value not in spec.options:
        return "must be one of " + ", ".join(spec.options)
    return None


def check_condition(field: Feature, op: ConditionOp, value: Any) -> tuple[str | None, str]:
    """(the part at fault, why), or (None, "") when the condition is well formed."""
    spec = FEATURES[field]
    if op not in OPS[spec.type]:
        allowed = ", ".join(sorted(o.value for o in OPS[spec.type]))
        return (
            "op",
            f"{op.value} does not apply to {field.value} ({spec.type.value}): use {allowed}",
        )
    if op in _NULLS:
        return ("value", "IS_NULL and NOT_NULL take no value") if value is not None else (None, "")
    if op in _LISTS:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_VALUES:
            return "value", f"must be a list of 1..{MAX_VALUES} values"
        item_spec = FeatureSpec(ValueType.TEXT, "") if spec.type is ValueType.LIST else spec
        for item in value:
            if (why := _scalar_problem(item_spec, item)) is not None:
                return "value", f"every item {why}"
        return None, ""
    if op is ConditionOp.HAS or op is ConditionOp.CONTAINS:
        why = _scalar_problem(FeatureSpec(ValueType.TEXT, ""), value)
        return ("value", why) if why else (None, "")
    why = _scalar_problem(spec, value)
    return ("value", why) if why else (None, "")


def check_conditions(raw: list[dict[str, Any]]) -> tuple[list[Condition], list[Problem]]:
    """The conditions, or every problem with them. `raw` items hold `field` and `op` as
    Feature / ConditionOp members or their values, and `value` as JSON."""
    if len(raw) > MAX_CONDITIONS:
        return [], [Problem(None, None, f"at most {MAX_CONDITIONS} conditions")]
    out: list[Condition] = []
    problems: list[Problem] = []
    for i, item in enumerate(raw):
        try:
            field = item["field"] if isinstance(item["field"], Feature) else Feature(item["field"])
        except (KeyError, ValueError):
            problems.append(Problem(i, "field", "not a classification field"))
            continue
        try:
            op = item["op"] if isinstance(item["op"], ConditionOp) else ConditionOp(item["op"])
        except (KeyError, ValueError):
            problems.append(Problem(i, "op", "not a condition operator"))
            continue
        value = item.get("value")
        if isinstance(value, str):
            value = value.strip()
        elif isinstance(value, list):
            value = [x.strip() if isinstance(x, str) else x for x in value]
        part, why = check_condition(field, op, value)
        if part is not None:
            problems.append(Problem(i, part, why))
            continue
        out.append(Condition(field, op, value))
    return out, problems


def parse_stored(text: str | None) -> list[Condition]:
    """A stored rule's conditions (checked when saved)."""
    conditions, problems = check_conditions(json.loads(text or "[]"))
    if problems:
        raise ValueError(f"stored conditions do not check: {problems}")
    return conditions


def holds(c: Condition, features: dict[str, Any]) -> bool:
    """Whether one condition holds. A missing value (null, or an empty list) satisfies only
    IS_NULL; every comparison with it is false."""
    actual = features.get(c.field.value)
    if isinstance(actual, list) and not actual:
        actual = None
    if c.op is ConditionOp.IS_NULL:
        return actual is None
    if c.op is ConditionOp.NOT_NULL or actual is None:
        return c.op is ConditionOp.NOT_NULL and actual is not None
    v = c.value
    match c.op:
        case ConditionOp.EQ:
            return bool(actual == v)
        case ConditionOp.NE:
            return bool(actual != v)
        case ConditionOp.GT:
            return bool(actual > v)
        case ConditionOp.GTE:
            return bool(actual >= v)
        case ConditionOp.LT:
            return bool(actual < v)
        case ConditionOp.LTE:
            return bool(actual <= v)
        case ConditionOp.IN:
            return actual in v
        case ConditionOp.NOT_IN:
            return actual not in v
        case ConditionOp.CONTAINS:
            return isinstance(actual, str) and v in actual
        case ConditionOp.HAS:
            return v in actual
        case ConditionOp.HAS_ANY:
            return any(x in actual for x in v)
    return False


@dataclass(frozen=True)
class Rule:
    id: str
    dimension: Dimension
    class_key: str
    priority: int
    conditions: tuple[Condition, ...]

    @property
    def class_id(self) -> str:
        return class_id(self.dimension, self.class_key)


def class_id(dimension: Dimension, key: str) -> str:
    return f"{dimension.value}:{key}"


def ordered(rules: list[Rule]) -> dict[Dimension, list[Rule]]:
    """Enabled rules per dimension in the order they are tried."""
    out: dict[Dimension, list[Rule]] = {d: [] for d in Dimension}
    for r in sorted(rules, key=lambda r: (r.priority, r.class_key, r.id)):
        out[r.dimension].append(r)
    return out


def classify(rules: dict[Dimension, list[Rule]], features: dict[str, Any]) -> dict[str, Rule]:
    """The first matching rule per dimension (dimension value -> rule)."""
    out: dict[str, Rule] = {}
    for dimension, tried in rules.items():
        for r in tried:
            if all(holds(c, features) for c in r.conditions):
                out[dimension.value] = r
                break
    return out


# --- Rows -------------------------------------------------------------------------------------
class RuleRow(TypedDict):
    id: str
    dimension: str
    classKey: str
    nameZh: str
    nameEn: str | None
    description: str | None
    priority: int
    conditions: str  # JSON
    enabled: bool
    version: int
    createdAt: Any
    updatedAt: Any
    updatedBy: str | None


class ClassRow(TypedDict):
    id: str
    dimension: str
    key: str
    nameZh: str | None
    nameEn: str | None


class AssignmentRow(TypedDict):
    dimension: str
    since: Any
    ruleId: str | None
    customerClass: ClassRow
    rule: RuleRow | None


class ChangeRow(TypedDict):
    id: str
    seq: int
    dimension: str
    customerId: str
    ruleId: str | None
    fromId: str | None  # class ids
    toId: str | None
    customer: NotRequired[Any]  # the customer's node row, where the viewer sees it


class ReviewRow(TypedDict):
    id: str | None
    dryRun: bool
    by: str
    startedAt: Any
    finishedAt: Any
    abortedAt: NotRequired[Any]
    counts: str  # JSON: {customers, changes, classes: {classId: n}, changed: {dimension: n}}


class ReviewSummary(TypedDict):
    """What `review` returns: the review as stored (`id` None for a dry run), its counts,
    and its first PREVIEW changes."""

    id: str | None
    dryRun: bool
    by: str
    startedAt: dt.datetime
    finishedAt: dt.datetime
    counts: str
    customers: int
    changed: int
    preview: list[ChangeRow]


# --- Statements -------------------------------------------------------------------------------
RULE: LiteralString = "r{.*}"
CLASS: LiteralString = "k{.id, .dimension, .key, .nameZh, .nameEn}"

RULES = Cypher(
    "classification.rules",
    "MATCH (r:ClassificationRule) WHERE $dimension IS NULL OR r.dimension = $dimension "
    "WITH r ORDER BY r.dimension, r.priority, r.classKey, r.id LIMIT " + str(4 * MAX_RULES)
    + " RETURN " + RULE + " AS rule",
)  # fmt: skip
RULES_BY_ID = Cypher(
    "classification.rules_by_id",
    "UNWIND $ids AS key MATCH (r:ClassificationRule {id: key}) RETURN key, " + RULE + " AS rule",
)
# Takes the rule's write lock, then reports its version (none: it does not exist).
RULE_LOCK = Cypher(
    "classification.rule_lock",
    "MATCH (r:ClassificationRule {id: $id}) SET r.__lock = true REMOVE r.__lock "
    "RETURN r.version AS version",
)
RULE_SAVE = Cypher(
    "classification.rule_save",
    "MERGE (k:CustomerClass {id: $classId}) ON CREATE SET k.createdAt = datetime() "
    "SET k += $classProps "
    "MERGE (r:ClassificationRule {id: $id}) ON CREATE SET r.version = 0, "
    "r.createdAt = datetime() "
    "SET r += $props, r.version = r.version + 1, r.updatedAt = datetime(), r.updatedBy = $actor "
    "WITH r, k CALL (r) { MATCH (r)-[old:ASSIGNS]->() DELETE old } "
    "MERGE (r)-[:ASSIGNS]->(k) "
    "WITH r " + AUDIT + " RETURN " + RULE + " AS rule",
)  # fmt: skip
RULE_DELETE = Cypher(
    "classification.rule_delete",
    "MATCH (r:ClassificationRule {id: $id}) DETACH DELETE r WITH count(*) AS gone "
    + AUDIT + " RETURN gone",
)  # fmt: skip

# A review: the lock node serialises starts; an unfinished review younger than STALE_MINUTES
# refuses a second one.
REVIEW_START = Cypher(
    "classification.review_start",
    "MERGE (l:ClassificationLock {name: 'review'}) SET l.at = datetime() "
    "WITH l OPTIONAL MATCH (busy:ClassificationReview) WHERE busy.finishedAt IS NULL "
    "AND busy.abortedAt IS NULL AND busy.startedAt > datetime() - duration({minutes: "
    + str(STALE_MINUTES) + "}) "
    "WITH l, count(busy) AS running "
    "CALL (running) { WITH running WHERE running = 0 "
    "  CREATE (v:ClassificationReview {id: $id, startedAt: datetime(), by: $actor, "
    "  dryRun: false}) WITH v " + AUDIT + " } "
    "RETURN running",
)  # fmt: skip
REVIEW_FINISH = Cypher(
    "classification.review_finish",
    "MATCH (v:ClassificationReview {id: $id}) SET v.finishedAt = datetime(), v.counts = $counts "
    "RETURN v.finishedAt AS finishedAt",
)
REVIEW_ABORT = Cypher(
    "classification.review_abort",
    "MATCH (v:ClassificationReview {id: $id}) SET v.abortedAt = datetime() RETURN v.id AS id",
)
# A batch of customers in id order after `$after` ('' for the first), with what the rules
# test and the classes they hold. Money counts per currency; the main one is chosen in code.
FEATURES_BATCH = Cypher(
    "classification.features",
    "MATCH (c:Customer) WHERE c.id > $after WITH c ORDER BY c.id LIMIT $limit "
    "CALL (c) { MATCH (c)<-[:ABOUT]-(o:Order) WHERE " + counts("o") + " "
    "  CALL (o) { OPTIONAL MATCH (o)<-[:AGAINST]-(p:Payment) WHERE " + counts("p") + " "
    "    RETURN coalesce(sum(p.amountCents), 0) AS paid } "
    "  WITH o, CASE WHEN o.amountCents - paid > 0 AND o.paymentDueOn < date() "
    "    THEN o.amountCents - paid ELSE 0 END AS overdue "
    "  WITH o.currency AS currency, count(o) AS orders, min(o.occurredAt) AS firstAt, "
    "  max(o.occurredAt) AS lastAt, sum(o.amountCents) AS amount, "
    "  sum(CASE WHEN o.occurredAt >= datetime() - duration({days: 365}) "
    "    THEN o.amountCents ELSE 0 END) AS amount365, "
    "  sum(overdue) AS overdue, count(CASE WHEN overdue > 0 THEN 1 END) AS overdueOrders "
    "  RETURN collect({currency: currency, orders: orders, amount: amount, "
    "  amount365: amount365, overdue: overdue, overdueOrders: overdueOrders, "
    "  firstDays: duration.inDays(firstAt, datetime()).days, "
    "  lastDays: duration.inDays(lastAt, datetime()).days}) AS money } "
    "CALL (c) { OPTIONAL MATCH (c)<-[:ABOUT]-(i:Interaction) WHERE i.voidedAt IS NULL "
    "  AND i.occurredAt <= datetime() RETURN max(i.occurredAt) AS lastInteractionAt } "
    "RETURN c.id AS id, c.archivedAt IS NOT NULL AS skip, "
    + objects_to_profiling("c") + " AS objects, "
    "c{.customerKind, .industry, .scale, .companyType, .employeeCount, "
    "  .registeredCapital, .mainBusiness, .address, .occupation, .lifecycleStage, .tier, "
    "  partyType: CASE WHEN c:Company THEN 'COMPANY' ELSE 'PERSON' END, "
    "  distributesFor: COUNT { (c)-[d:DISTRIBUTES_FOR]->(:Company) WHERE " + current("d") + " }, "
    "  openComplaints: COUNT { (c)<-[:ABOUT]-(s:ServiceCase) WHERE s.voidedAt IS NULL "
    "    AND s.category = 'COMPLAINT' AND s.status IN ['OPEN', 'IN_PROGRESS'] }, "
    "  complaints365: COUNT { (c)<-[:ABOUT]-(s:ServiceCase) WHERE s.voidedAt IS NULL "
    "    AND s.category = 'COMPLAINT' AND s.occurredAt >= datetime() - duration({days: 365}) }, "
    "  daysSinceLastInteraction: duration.inDays(lastInteractionAt, datetime()).days, "
    "  productCategories: COLLECT { MATCH (c)<-[:ABOUT]-(o:Order)-[:LINE]->(p:Product) "
    "    WHERE " + counts("o") + " AND p.category IS NOT NULL "
    "    RETURN DISTINCT p.category AS category ORDER BY category LIMIT 100 }} AS features, "
    "money, [(c)-[a:CLASSIFIED_AS]->(k:CustomerClass) | {dimension: a.dimension, "
    "  classId: k.id, ruleId: a.ruleId}] AS held",
)  # fmt: skip
# One batch's writes: each row moves one customer's class in one dimension (`to` null:
# none), or only re-tags the rule that holds it (`change` false); changes are kept.
APPLY = Cypher(
    "classification.apply",
    "MATCH (v:ClassificationReview {id: $review}) "
    "UNWIND $rows AS row MATCH (c:Customer {id: row.customer}) "
    "CALL (c, row) { MATCH (c)-[old:CLASSIFIED_AS {dimension: row.dimension}]->(k0) "
    "  WHERE row.to IS NULL OR k0.id <> row.to DELETE old } "
    "CALL (c, row) { MATCH (k:CustomerClass {id: row.to}) "
    "  MERGE (c)-[a:CLASSIFIED_AS {dimension: row.dimension}]->(k) "
    "  ON CREATE SET a.since = datetime() SET a.ruleId = row.ruleId } "
    "CALL (c, row, v) { WITH * WHERE row.change "
    "  CREATE (ch:ClassificationChange {id: row.id, seq: row.seq, dimension: row.dimension, "
    "  ruleId: row.ruleId, customerId: c.id, at: datetime()})-[:IN_REVIEW]->(v) "
    "  CREATE (ch)-[:OF]->(c) "
    "  WITH ch, row CALL (ch, row) { MATCH (f:CustomerClass {id: row.from}) "
    "    CREATE (ch)-[:FROM]->(f) } "
    "  CALL (ch, row) { MATCH (t:CustomerClass {id: row.to}) CREATE (ch)-[:TO]->(t) } } "
    "RETURN count(*) AS n",
)  # fmt: skip
CLASSES_BY_ID = Cypher(
    "classification.classes_by_id",
    "UNWIND $ids AS key MATCH (k:CustomerClass {id: key}) RETURN key, " + CLASS + " AS class",
)

_VISIBLE_CHANGES: LiteralString = (
    "MATCH (v:ClassificationReview {id: $id})<-[:IN_REVIEW]-(ch:ClassificationChange)-[:OF]->(n) "
    "WHERE ($dimension IS NULL OR ch.dimension = $dimension) AND " + access.visible("n") + " "
)
CHANGES = Cypher(
    "classification.changes",
    _VISIBLE_CHANGES + "AND ch.seq > $afterSeq WITH ch, n ORDER BY ch.seq LIMIT $limit "
    "RETURN ch{.id, .seq, .dimension, .customerId, .ruleId, "
    "fromId: head([(ch)-[:FROM]->(k) | k.id]), toId: head([(ch)-[:TO]->(k) | k.id]), "
    "customer: " + PROJECTION + "} AS change",
)  # fmt: skip
CHANGES_COUNT = Cypher(
    "classification.changes.count", _VISIBLE_CHANGES + "RETURN count(ch) AS total"
)
REVIEWS = Cypher(
    "classification.reviews",
    "MATCH (v:ClassificationReview) WHERE $afterAt IS NULL OR v.startedAt < datetime($afterAt) "
    "OR (v.startedAt = datetime($afterAt) AND v.id < $afterId) "
    "WITH v ORDER BY v.startedAt DESC, v.id DESC LIMIT $limit RETURN v{.*} AS review",
)
REVIEWS_COUNT = Cypher(
    "classification.reviews.count", "MATCH (v:ClassificationReview) RETURN count(v) AS total"
)
REVIEWS_BY_ID = Cypher(
    "classification.reviews_by_id",
    "UNWIND $ids AS key MATCH (v:ClassificationReview {id: key}) RETURN key, v{.*} AS review",
)
# The classes of a page of customers, with the rule that assigned each.
ASSIGNMENTS = Cypher(
    "classification.assignments",
    "UNWIND $ids AS key MATCH (c:Customer {id: key}) WHERE " + access.visible("c") + " "
    "MATCH (c)-[a:CLASSIFIED_AS]->(k:CustomerClass) "
    "RETURN key, collect({dimension: a.dimension, since: a.since, ruleId: a.ruleId, "
    "customerClass: " + CLASS + ", "
    "rule: COLLECT { MATCH (r:ClassificationRule {id: a.ruleId}) RETURN " + RULE + " }[0]}) "
    "AS classes",
)  # fmt: skip
VISIBLE_CUSTOMERS = Cypher(
    "classification.visible_customers",
    "UNWIND $ids AS key MATCH (n:Customer {id: key}) WHERE " + access.visible("n") + " "
    "RETURN key, " + PROJECTION + " AS customer",
)  # fmt: skip


# --- Rules: reads and writes ------------------------------------------------------------------
async def rules(db: Database, actor: Actor, dimension: Dimension | None) -> list[RuleRow]:
    """Every rule (of a dimension), in the order they are tried. Rules are reference data
    every signed-in viewer reads (`actor` unused)."""
    rows = await db.read(RULES, {"dimension": dimension.value if dimension else None})
    return [r["rule"] for r in rows]


async def rules_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, RuleRow]:
    rows = await db.read(RULES_BY_ID, {"ids": ids})
    return {r["key"]: r["rule"] for r in rows}


@dataclass(frozen=True)
class RuleSave:
    """A checked rule write, in storage terms: `props` hold every stored property but the
    version; `rule_id` None creates."""

    props: dict[str, Any]
    rule_id: str | None = None
    expected_version: int | None = None


async def save_rule(
    db: Database, s: RuleSave, audit: Audit
) -> tuple[RuleRow | None, Refusal | None, int | None]:
    """Create or change a rule (and name its class); NOT_FOUND or CONFLICT otherwise."""

    async def work(tx: Tx) -> tuple[RuleRow | None, Refusal | None, int | None]:
        rule_id = s.rule_id or new_id()
        if s.rule_id is not None:
            found = await tx.run(RULE_LOCK, {"id": rule_id})
            if not found:
                return None, Refusal.NOT_FOUND, None
            version = found[0]["version"]
            if s.expected_version is not None and version != s.expected_version:
                return None, Refusal.CONFLICT, version
        dimension = Dimension(s.props["dimension"])
        params = {
            "id": rule_id,
            "props": s.props,
            "classId": class_id(dimension, s.props["classKey"]),
            "classProps": {
                "dimension": dimension.value,
                "key": s.props["classKey"],
                "nameZh": s.props["nameZh"],
                "nameEn": s.props.get("nameEn"),
            },
            **audit.params(rule_id, "ClassificationRule", sorted(s.props)),
        }
        rows = await tx.run(RULE_SAVE, params)
        return rows[0]["rule"], None, None

    return await db.transaction(work)


async def delete_rule(
    db: Database, rule_id: str, expected_version: int | None, audit: Audit
) -> tuple[Refusal | None, int | None]:
    """Delete a rule; the classes it assigned stay until the next review moves them."""

    async def work(tx: Tx) -> tuple[Refusal | None, int | None]:
        found = await tx.run(RULE_LOCK, {"id": rule_id})
        if not found:
            return Refusal.NOT_FOUND, None
        version = found[0]["version"]
        if expected_version is not None and version != expected_version:
            return Refusal.CONFLICT, version
        await tx.run(
            RULE_DELETE, {"id": rule_id, **audit.params(rule_id, "ClassificationRule", [])}
        )
        return None, None

    return await db.transaction(work)


# --- The review -------------------------------------------------------------------------------
class ReviewRunning(CrmError):
    """Another review is running (started less than STALE_MINUTES ago, not finished)."""

    code = "CONFLICT"
    expected = True
    log_level = logging.INFO
    public_message = "A classification review is running; try again when it has finished."


def _to_rule(row: dict[str, Any]) -> Rule | None:
    try:
        return Rule(
            id=row["id"],
            dimension=Dimension(row["dimension"]),
            class_key=row["classKey"],
            priority=int(row["priority"]),
            conditions=tuple(parse_stored(row.get("conditions"))),
        )
    except (ValueError, KeyError, TypeError) as exc:  # saved by hand in the database
        log.warning("classification rule %s skipped: %s", row.get("id"), exc)
        return None


def features_of(features: dict[str, Any], money: list[dict[str, Any]]) -> dict[str, Any]:
    """The statement's profile features with the money ones added (main currency: most
    orders, then the larger total, then the code)."""
    out = dict(features)
    out["productCategories"] = sorted(set(out.get("productCategories") or []))
    money = [m for m in money if m["orders"]]
    main = min(money, key=lambda m: (-m["orders"], -m["amount"], m["currency"] or ""), default=None)
    out["orders"] = sum(m["orders"] for m in money)
    out["overdueOrders"] = sum(m["overdueOrders"] for m in money)
    out["daysSinceFirstOrder"] = max((m["firstDays"] for m in money), default=None)
    out["daysSinceLastOrder"] = min((m["lastDays"] for m in money), default=None)
    out["currency"] = main["currency"] if main else None
    out["amountCents"] = main["amount"] if main else None
    out["amount365Cents"] = main["amount365"] if main else None
    out["overdueCents"] = main["overdue"] if main else None
    return out


def _preview(write: dict[str, Any]) -> ChangeRow:
    return {
        "id": write["id"],
        "seq": write["seq"],
        "dimension": write["dimension"],
        "customerId": write["customer"],
        "ruleId": write["ruleId"],
        "fromId": write["from"],
        "toId": write["to"],
    }


def change_id(review_id: str, customer: str, dimension: str) -> str:
    return str(uuid.uuid5(NS, f"{review_id}/{customer}/{dimension}"))


async def review(db: Database, audit: Audit, dry_run: bool) -> ReviewSummary:
    """Re-run every enabled rule over every customer, BATCH at a time; write the classes that
    changed (unless `dry_run`) and keep the changes with the review. Raises ReviewRunning when
    another review is under way. Called by the API, the CLI and the scoring job."""
    started = clock.now()
    review_id = None if dry_run else new_id()
    stored = [row["rule"] for row in await db.read(RULES, {"dimension": None})]
    tried = ordered([r for row in stored if row.get("enabled") and (r := _to_rule(row))])
    if review_id is not None:
        rows = await db.write(
            REVIEW_START,
            {"id": review_id, **audit.params(review_id, "ClassificationReview", ["startedAt"])},
        )
        if rows[0]["running"]:
            raise ReviewRunning("another classification review is running")
    customers = 0
    seq = 0
    preview: list[ChangeRow] = []
    classes: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    after = ""
    try:
        while True:
            batch = await db.read(FEATURES_BATCH, {"after": after, "limit": BATCH})
            writes: list[dict[str, Any]] = []
            for row in batch:
                if row["skip"]:
                    continue
                chosen: dict[str, Rule] = {}
                if not row["objects"]:
                    customers += 1
                    chosen = classify(tried, features_of(row["features"], row["money"]))
                held = {h["dimension"]: h for h in row["held"]}
                for dimension in Dimension:
                    d = dimension.value
                    rule = chosen.get(d)
                    to = rule.class_id if rule else None
                    was = held.get(d)
                    before = was["classId"] if was else None
                    if to is not None:
                        classes[to] += 1
                    same_rule = was is not None and rule is not None and was["ruleId"] == rule.id
                    if before == to and (to is None or same_rule):
                        continue
                    write = {
                        "customer": row["id"],
                        "dimension": d,
                        "from": before,
                        "to": to,
                        "ruleId": rule.id if rule else None,
                        "change": before != to,
                    }
                    if before != to:
                        seq += 1
                        changed[d] += 1
                        write["seq"] = seq
                        write["id"] = change_id(review_id or "dry-run", row["id"], d)
                        if len(preview) < PREVIEW:
                            preview.append(_preview(write))
                    writes.append(write)
            if review_id is not None and writes:
                await db.write(APPLY, {"review": review_id, "rows": writes})
            if len(batch) < BATCH:
                break
            after = batch[-1]["id"]
    except BaseException:
        if review_id is not None:
            await db.write(REVIEW_ABORT, {"id": review_id})
        raise
    counts = json.dumps(
        {
            "customers": customers,
            "changes": seq,
            "changed": dict(sorted(changed.items())),
            "classes": dict(sorted(classes.items())),
        },
        ensure_ascii=False,
    )
    finished = clock.now()
    if review_id is not None:
        await db.write(REVIEW_FINISH, {"id": review_id, "counts": counts})
    return {
        "id": review_id,
        "dryRun": dry_run,
        "by": audit.actor.id,
        "startedAt": started,
        "finishedAt": finished,
        "counts": counts,
        "customers": customers,
        "changed": seq,
        "preview": preview,
    }


# --- Reads ------------------------------------------------------------------------------------
async def reviews(
    db: Database,
    actor: Actor,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[ReviewRow], int | None]:
    """Reviews newest first. They hold counts only, no customer (`actor` unused); their
    changes are read through `changes`, which filters."""
    position = pages.after(after)
    rows, total = await pages.read(db, REVIEWS, REVIEWS_COUNT, {}, position, limit, with_total)
    return [r["review"] for r in rows], total


async def reviews_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, ReviewRow]:
    rows = await db.read(REVIEWS_BY_ID, {"ids": ids})
    return {r["key"]: r["review"] for r in rows}


async def changes(
    db: Database,
    actor: Actor,
    review_id: str,
    dimension: Dimension | None,
    limit: int,
    after_seq: int,
    with_total: bool,
) -> tuple[list[ChangeRow], int | None]:
    """A review's changes in order, only those of customers the viewer sees."""
    params: dict[str, Any] = {
        "id": review_id,
        "dimension": dimension.value if dimension else None,
        "acl": access.acl_params(actor),
    }
    position = {"afterSeq": after_seq}
    rows, total = await pages.read(db, CHANGES, CHANGES_COUNT, params, position, limit, with_total)
    return [r["change"] for r in rows], total


async def assignments(db: Database, actor: Actor, ids: list[str]) -> dict[str, list[AssignmentRow]]:
    """The classes of the customers `ids` the viewer sees: one round trip."""
    rows = await db.read(ASSIGNMENTS, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: r["classes"] for r in rows}


async def classes_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, ClassRow]:
    """Classes are reference data (`actor` unused)."""
    rows = await db.read(CLASSES_BY_ID, {"ids": ids})
    return {r["key"]: r["class"] for r in rows}


async def visible_customers(db: Database, actor: Actor, ids: list[str]) -> dict[str, Any]:
    """The node rows of the customers `ids` the viewer sees (a dry run's changes)."""
    rows = await db.read(VISIBLE_CUSTOMERS, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: r["customer"] for r in rows}
