"""Cross-sell and up-sell (R18): purchase preferences, repeat cycles, related products and
recommendations, computed on read from the order records (graph/records.py).

What counts: `(o:Order)-[:ABOUT]->(customer)` with its lines `(o)-[l:LINE]->(p:Product)`;
voided orders (`voidedAt` set) never count, nor orders dated ahead until their time has come
(as in the customer figures). Nothing is stored: every figure is exact after
every write, like the customer figures.

- **Preferences** (`preferences`): per product and per category of a customer, the orders,
  units, amounts per currency, first and last order, the repeat cycle and the next expected
  order. The cycle is the *median* of the gaps between consecutive order days of the product
  (business days: two orders on one day are one purchase), not the mean: one pause (a plant
  shut for a quarter) or one rush order the week after a regular one moves a mean a long way
  and a median not at all, and the next date a rep acts on should follow the usual rhythm.
  The mean, (last − first) ÷ (order days − 1), is returned beside it so both can be argued
  with. Fewer than two order days: no cycle. Only the newest
  MAX_ORDERS orders of a customer are read (`truncated` says when there were more).
- **Related products** (`related`): for a product P, the products Q bought by customers who
  bought P (association rules over customers, not baskets): support = customers buying both,
  confidence = support ÷ customers buying P, lift = confidence ÷ (customers buying Q ÷
  customers with any order). These are aggregates over *all* customers, whatever the viewer
  may see: so that no pair tells one customer's purchases to a viewer who may not see that
  customer, only pairs with support ≥ MIN_SUPPORT customers are reported. At most
  MAX_BUYERS buyers of P are examined (a sample beyond: `sampled`), and the MAX_CANDIDATES
  products with the highest support are scored.
- **Recommendations** (`recommendations`): for a page of customers, in one statement: (a)
  products related by co-purchase (as above, lift > 1) to the customer's MAX_SEEDS most
  ordered products that it has not bought: computed once per distinct seed of the page
  (customers of a page share their popular products), the buyer counts once per distinct
  product, and what a customer already bought is left out afterwards (so from the
  MAX_CANDIDATES best supported products of each seed); (b) products that related accounts
  buy and it does not: its group (SUBSIDIARY_OF up to GROUP_DEPTH levels up, then down
  again, at most GROUP_COMPANIES companies) and its industry chain (SUPPLIES,
  DISTRIBUTES_FOR, PARTNERS_WITH, one hop, current edges), only accounts the viewer may see
  (graph/access.py), at most MAX_ACCOUNTS of them; (c) its own purchases due again
  (`preferences`). `score` ranks them: the sum of the reasons' points (REPURCHASE_DUE 1.0
  overdue or 0.75 due; CO_PURCHASE the best rule's confidence; RELATED_ACCOUNTS 0.25 per
  account, at most 1.0), so every score is explained by its parts.

A person who objects to profiling (graph/privacy.py `objects_to_profiling`) gets no
recommendations; their preferences keep the plain sums of their own records, like the
figures, without the repeat cycle and the next expected order, which predict their habits.

Access: a customer's preferences and recommendations follow the customer's visibility;
accounts named as evidence are filtered by the viewer's visibility inside the statement, so
a hidden account neither appears nor contributes a product. Restricted persons (graph/
access.py) are no buyers anywhere.

Scale (measured with `python -m tests.graph.crosssell_scale`: median of 3 runs after a
warm-up, on the shared 2-core machine with a load average of about 6 from other work, Neo4j
5.26 with a 768 MB heap; that module describes the data):

    10,000 customers, 49,364 orders, 107,022 lines, 60 products (Zipf-like popularity),
    1,600 group edges, 2,500 chain edges
    related products, the most bought product (1,000 of ~4,000 buyers examined)    0.99 s
    related products, the 21st product (393 buyers)                                 0.74 s
    preferences, a page of 20 customers                                   0.08 - 0.26 s
    recommendations, a page of 20 customers (SALES or ADMIN)               0.6 - 1.8 s
    (the first version, co-purchase per customer and seed with buyer counts per pair,
    took 69 s for a page of 20 at 1,000 customers)

Complexity: preferences read O(lines of the customer's newest MAX_ORDERS orders) per
customer. Related products read O(b · l) for b ≤ MAX_BUYERS buyers of P and l lines per
buyer, O(lines of each of ≤ MAX_CANDIDATES candidates) for their buyer counts and
O(customers) for the population; the last two dominate for a product with few buyers (a
popular candidate has many lines), which is why the 21st product costs nearly as much as
the first. Recommendations for a page: O(s · b · l) for the s ≤ 20 · MAX_SEEDS distinct
seeds of the page (few: customers share popular products) with b ≤ MAX_SEED_BUYERS, the
buyer counts once per distinct candidate, and O(group + chain accounts × their lines) per
customer. Not done: a stored per-product buyer count (kept on each order write) would
remove the per-candidate line scans, the largest remaining cost.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypedDict

from graph import access, clock, records
from graph.actor import Actor
from graph.cypher import counts, current
from graph.db import Cypher, Database
from graph.nodes import PROJECTION
from graph.privacy import objects_to_profiling
from graph.rows import NodeRow

# Caps: what one statement examines and returns. The group reaches as far as a group timeline.
GROUP_DEPTH = records.GROUP_DEPTH
GROUP_COMPANIES = records.GROUP_COMPANIES
MAX_ORDERS = 500  # newest orders per customer read for preferences
MAX_PRODUCTS = 100  # products per customer in the preferences (most ordered first)
MAX_CATEGORIES = 50
MAX_BUYERS = 1000  # buyers of a product examined for co-purchase (a sample beyond)
MAX_CANDIDATES = 50  # co-purchased products scored per product
MAX_RELATED = 50  # relatedProducts `first`
MIN_SUPPORT = 3  # customers buying both, before a pair is reported (see the module doc)
MAX_SEEDS = 5  # a customer's most ordered products that co-purchase starts from
MAX_SEED_BUYERS = 300  # buyers of each seed examined for recommendations
MAX_ACCOUNTS = 200  # related accounts (group and chain) examined per customer
MAX_ACCOUNT_PRODUCTS = 50  # products of related accounts kept per customer
MAX_NAMED = 5  # accounts named per recommendation
MAX_RULES = 3  # co-purchase rules shown per recommendation
MAX_RECOMMENDATIONS = 100  # `first`
DUE_WITHIN_DAYS = 14  # a repurchase due within this many days is DUE
# The next order is expected at least this long after the last: two orders a day apart are
# one purchase split in two, not a daily habit to be "overdue" for within the week.
MIN_REPEAT_DAYS = 7
# Points of each reason (module doc, "Recommendations"); a recommendation's score is their sum.
OVERDUE_POINTS = 1.0
DUE_POINTS = 0.75
PER_ACCOUNT_POINTS = 0.25  # per related account buying it, at most 1.0
CAP_POINTS = 1.0

CURRENT_CHAIN = current("r")
COUNTS = counts("o")  # an order that counts: neither voided nor dated ahead

# The party by id (company or person), a visible customer.
_CUSTOMERS: LiteralString = (
    "UNWIND $ids AS key "
    "CALL (key) { MATCH (acc:Company {id: key}) RETURN acc "
    "  UNION MATCH (acc:Person {id: key}) RETURN acc } "
    "WITH population, key, acc WHERE acc:Customer AND " + access.visible("acc") + " "
)
# Customers with at least one order that counts: the population lift compares against.
# Co-purchase counts the customers the viewer sees, as every count does: over all of them, a
# rep's confidence and lift told that hidden customers bought both products (tester BQ).
# (visible() leaves restricted people out for every role.)
_BUYER: LiteralString = access.visible("c", unplaced=True)
_POPULATION: LiteralString = (
    "CALL () { MATCH (c:Customer) WHERE " + _BUYER + " "
    "  AND EXISTS { MATCH (c)<-[:ABOUT]-(o:Order) WHERE " + COUNTS + " } "
    "  RETURN count(c) AS population } "
)
# The lines of the customer's newest MAX_ORDERS orders.
_LINES: LiteralString = (
    "CALL (acc) { MATCH (acc)<-[:ABOUT]-(o:Order) WHERE " + COUNTS + " "
    "  WITH o ORDER BY o.occurredAt DESC LIMIT " + str(MAX_ORDERS) + " "
    "  MATCH (o)-[l:LINE]->(p:Product) "
    "  RETURN count(DISTINCT o) AS examined, "
    "  collect({order: o.id, at: o.occurredAt, currency: o.currency, product: p.id, "
    "    quantity: l.quantity, amountCents: l.amountCents}) AS lines, "
    "  collect(DISTINCT p{.*}) AS products } "
    "WITH *, COUNT { (acc)<-[:ABOUT]-(o:Order) WHERE " + COUNTS + " } AS orders "
)  # fmt: skip


def _pairs(cap: int) -> LiteralString:
    """From product `p`: the products `q` bought by its first `cap` buyers found, with
    support >= MIN_SUPPORT (the MAX_CANDIDATES best supported), as `pairs`; `buyers` is how
    many buyers were examined."""
    return _FIRST_BUYERS + str(cap) + _PAIRS


_FIRST_BUYERS: LiteralString = (
    "CALL (p) { MATCH (p)<-[:LINE]-(o:Order)-[:ABOUT]->(c:Customer) "
    "  WHERE " + COUNTS + " AND " + _BUYER + " "
    "  WITH DISTINCT c LIMIT "
)
_PAIRS: LiteralString = (
    " RETURN collect(c) AS buyers } "
    "CALL (p, buyers) { UNWIND buyers AS c "
    "  MATCH (c)<-[:ABOUT]-(o:Order)-[:LINE]->(q:Product) "
    "  WHERE " + COUNTS + " AND q <> p AND q.archivedAt IS NULL "
    "  WITH q, count(DISTINCT c) AS support WHERE support >= " + str(MIN_SUPPORT) + " "
    "  WITH q, support ORDER BY support DESC, q.id LIMIT " + str(MAX_CANDIDATES) + " "
    "  RETURN collect({product: q{.*}, support: support}) AS pairs } "
)  # fmt: skip
# How many customers bought each product of `coPurchase`'s pairs, as `buyerCounts`: once per
# product for the whole statement, however many seeds and customers share it.
_BUYER_COUNTS: LiteralString = (
    "CALL (coPurchase) { UNWIND coPurchase AS s UNWIND s.pairs AS pair "
    "  WITH DISTINCT pair.product.id AS id MATCH (q:Product {id: id}) "
    "  CALL (q) { MATCH (q)<-[:LINE]-(o:Order)-[:ABOUT]->(c:Customer) "
    "    WHERE " + COUNTS + " AND " + _BUYER + " "
    "    RETURN count(DISTINCT c) AS n } "
    "  RETURN collect({id: id, buyers: n}) AS buyerCounts } "
)  # fmt: skip

PREFERENCES = Cypher(
    "crosssell.preferences",
    "WITH 0 AS population " + _CUSTOMERS + _LINES
    + "RETURN key, examined, orders, lines, products, "
    + objects_to_profiling("acc") + " AS objects",
)  # fmt: skip

RELATED = Cypher(
    "crosssell.related",
    "MATCH (p:Product {id: $product}) " + _POPULATION + _pairs(MAX_BUYERS)
    + "WITH population, [{seed: p{.*}, buyers: size(buyers), pairs: pairs, "
    "  sampled: size(buyers) >= " + str(MAX_BUYERS) + "}] AS coPurchase "
    + _BUYER_COUNTS + "RETURN population, coPurchase, buyerCounts",
)  # fmt: skip

# Everything the customer bought (to leave out), and its MAX_SEEDS most ordered products,
# which co-purchase starts from.
_BOUGHT: LiteralString = (
    "CALL (acc) { MATCH (acc)<-[:ABOUT]-(o:Order)-[:LINE]->(p:Product) "
    "  WHERE " + COUNTS + " "
    "  WITH p, count(DISTINCT o) AS n ORDER BY n DESC, p.id "
    "  RETURN collect(p) AS bought } "
)
# (b) group (up, then down again) and chain (one hop) accounts the viewer sees, and what they
# buy that the customer does not. A person customer has neither.
_ACCOUNTS: LiteralString = (
    "CALL (acc, bought) { "
    "  CALL (acc) { "
    "    MATCH up = (acc)-[:SUBSIDIARY_OF*0.." + str(GROUP_DEPTH) + "]->(top:Company) "
    "    WHERE all(r IN relationships(up) WHERE " + CURRENT_CHAIN + ") "
    "    WITH DISTINCT top LIMIT " + str(GROUP_COMPANIES) + " "
    "    MATCH down = (top)<-[:SUBSIDIARY_OF*0.." + str(GROUP_DEPTH) + "]-(x:Company) "
    "    WHERE all(r IN relationships(down) WHERE " + CURRENT_CHAIN + ") "
    "    WITH DISTINCT x LIMIT " + str(GROUP_COMPANIES) + " RETURN x, 'GROUP' AS via "
    "    UNION "
    "    MATCH (acc:Company)-[r:SUPPLIES|DISTRIBUTES_FOR|PARTNERS_WITH]-(x:Company) "
    "    WHERE " + CURRENT_CHAIN + " "
    "    RETURN DISTINCT x, CASE type(r) "
    "      WHEN 'PARTNERS_WITH' THEN 'PARTNER' "
    "      WHEN 'SUPPLIES' THEN CASE WHEN startNode(r) = x THEN 'SUPPLIER' ELSE 'SUPPLIED' END "
    "      ELSE CASE WHEN startNode(r) = x THEN 'DISTRIBUTOR' ELSE 'PRINCIPAL' END END AS via "
    "  } "
    "  WITH acc, bought, x, via WHERE x <> acc AND x:Customer AND x.archivedAt IS NULL "
    "  AND " + access.visible_as("x", "Company") + " "
    "  WITH bought, x, collect(DISTINCT via) AS vias ORDER BY x.id LIMIT " + str(MAX_ACCOUNTS)
    + "  MATCH (x)<-[:ABOUT]-(o:Order)-[:LINE]->(q:Product) "
    "  WHERE " + COUNTS + " AND q.archivedAt IS NULL AND NOT q IN bought "
    "  WITH q, x AS n, vias, count(DISTINCT o) AS orders ORDER BY orders DESC, n.id "
    "  WITH q, collect({account: " + PROJECTION + ", via: vias, orders: orders}) AS buyers "
    "  ORDER BY size(buyers) DESC, q.id LIMIT " + str(MAX_ACCOUNT_PRODUCTS) + " "
    "  RETURN collect({product: q{.*}, accounts: size(buyers), "
    "    buyers: buyers[.." + str(MAX_NAMED) + "]}) AS fromAccounts } "
)  # fmt: skip

# One row for the page: each customer's lines, what it bought and its related accounts'
# products; then (a) co-purchase once per distinct seed of the page (customers of a page share
# their popular products), and the buyer counts once per distinct product.
RECOMMENDATIONS = Cypher(
    "crosssell.recommendations",
    _POPULATION + _CUSTOMERS
    # A person who objects to profiling (PIPL art. 24) gets no recommendations.
    + "AND NOT " + objects_to_profiling("acc") + " " + _LINES + _BOUGHT + _ACCOUNTS
    + "WITH population, collect({key: key, examined: examined, orders: orders, lines: lines, "
    "  products: products, bought: [b IN bought | b.id], fromAccounts: fromAccounts}) AS page, "
    "  collect(bought[.." + str(MAX_SEEDS) + "]) AS seeds "
    "CALL (seeds) { UNWIND seeds AS some UNWIND some AS p WITH DISTINCT p "
    + _pairs(MAX_SEED_BUYERS)
    + "  RETURN collect({seed: p{.*}, buyers: size(buyers), pairs: pairs, "
    "  sampled: size(buyers) >= " + str(MAX_SEED_BUYERS) + "}) AS coPurchase } "
    + _BUYER_COUNTS + "RETURN population, page, coPurchase, buyerCounts",
)  # fmt: skip


# --- Shapes -----------------------------------------------------------------------------------
class Amount(TypedDict):
    currency: str
    amountCents: int


class Preference(TypedDict):
    """One product's or one category's purchases by a customer."""

    product: dict[str, Any] | None  # the product row (null for a category)
    category: str | None
    orders: int
    orderDays: int  # distinct business days with an order of it
    units: float
    amounts: list[Amount]
    firstOrderAt: dt.datetime
    lastOrderAt: dt.datetime
    cycleDays: float | None  # median gap between consecutive order days
    meanDaysBetweenOrders: float | None
    nextExpectedAt: dt.datetime | None
    daysUntilExpected: float | None  # negative: overdue by that many days
    repurchase: str  # UNKNOWN, NOT_DUE, DUE, OVERDUE


class Preferences(TypedDict):
    products: list[Preference]
    categories: list[Preference]
    ordersExamined: int
    orders: int
    truncated: bool


class RelatedProduct(TypedDict):
    basedOn: dict[str, Any]
    product: dict[str, Any]
    support: int
    confidence: float
    lift: float
    buyersOfProduct: int
    buyersOfRelated: int
    population: int
    sampled: bool


class Evidence(TypedDict):
    account: NodeRow
    via: list[str]
    orders: int


class Reason(TypedDict):
    kind: str  # CO_PURCHASE, RELATED_ACCOUNTS, REPURCHASE_DUE
    points: float
    explanation: str
    rules: list[RelatedProduct]  # CO_PURCHASE: the rules "bought `basedOn` → bought it"
    accounts: list[Evidence]  # RELATED_ACCOUNTS: who buys it (≤ MAX_NAMED)
    accountCount: int
    preference: Preference | None  # REPURCHASE_DUE


class Recommendation(TypedDict):
    product: dict[str, Any]
    score: float
    reasons: list[Reason]


# --- Arithmetic -------------------------------------------------------------------------------
def _native(value: Any) -> dt.datetime:
    native: dt.datetime = value.to_native() if hasattr(value, "to_native") else value
    return native


def _days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


@dataclass
class _Tally:
    orders: dict[str, dt.datetime] = field(default_factory=dict)  # order id -> when
    units: float = 0.0
    cents: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, line: dict[str, Any]) -> None:
        self.orders[line["order"]] = _native(line["at"])
        self.units += float(line["quantity"] or 0)
        self.cents[line["currency"]] += int(line["amountCents"] or 0)

    def preference(
        self, now: dt.datetime, product: dict[str, Any] | None, category: str | None
    ) -> Preference:
        times = sorted(self.orders.values())
        # Gaps between order days (business days, graph/clock.py), as the churn signal counts
        # them: a purchase split into two orders an hour apart is one purchase, not a 0-day
        # cycle.
        days = sorted({clock.day_of(t) for t in times})
        gaps = [(b - a).days for a, b in itertools.pairwise(days)]
        median = statistics.median(gaps) if gaps else None
        cycle = round(median, 1) if median is not None else None
        mean = round((days[-1] - days[0]).days / len(gaps), 1) if gaps else None
        wait = max(median, MIN_REPEAT_DAYS) if median is not None else None
        expected = times[-1] + dt.timedelta(days=wait) if wait is not None else None
        until = round(_days(expected - now), 1) if expected is not None else None
        return {
            "product": product,
            "category": category,
            "orders": len(times),
            "orderDays": len(days),
            "units": round(self.units, 3),
            "amounts": [{"currency": c, "amountCents": a} for c, a in sorted(self.cents.items())],
            "firstOrderAt": times[0],
            "lastOrderAt": times[-1],
            "cycleDays": cycle,
            "meanDaysBetweenOrders": mean,
            "nextExpectedAt": expected,
            "daysUntilExpected": until,
            "repurchase": repurchase_status(until),
        }


def repurchase_status(days_until: float | None) -> str:
    if days_until is None:
        return "UNKNOWN"
    if days_until < 0:
        return "OVERDUE"
    return "DUE" if days_until <= DUE_WITHIN_DAYS else "NOT_DUE"


def _order_key(p: Preference) -> tuple[int, float, str]:
    name = (p["product"] or {}).get("name") or p["category"] or ""
    return (-p["orders"], -p["lastOrderAt"].timestamp(), name)


def shape_preferences(row: dict[str, Any], now: dt.datetime) -> Preferences:
    """The statement's lines, tallied per product and per category."""
    products = {p["id"]: p for p in row["products"]}
    by_product: dict[str, _Tally] = defaultdict(_Tally)
    by_category: dict[str, _Tally] = defaultdict(_Tally)
    for line in row["lines"]:
        if line["product"] is None:
            continue  # an order without lines
        by_product[line["product"]].add(line)
        category = products[line["product"]].get("category")
        if category:
            by_category[category].add(line)
    prefs = [t.preference(now, products[pid], None) for pid, t in by_product.items()]
    cats = [t.preference(now, None, c) for c, t in by_category.items()]
    return {
        "products": sorted(prefs, key=_order_key)[:MAX_PRODUCTS],
        "categories": sorted(cats, key=_order_key)[:MAX_CATEGORIES],
        "ordersExamined": row["examined"],
        "orders": row["orders"],
        "truncated": row["orders"] > row["examined"],
    }


@dataclass(frozen=True)
class CoPurchase:
    """The statement's co-purchase part: per seed product id, its buyers examined and its
    pairs; customers buying each paired product; customers with any order."""

    seeds: dict[str, dict[str, Any]]
    buyers: dict[str, int]
    population: int

    @staticmethod
    def of(row: dict[str, Any]) -> CoPurchase:
        return CoPurchase(
            {s["seed"]["id"]: s for s in row["coPurchase"]},
            {c["id"]: c["buyers"] for c in row["buyerCounts"]},
            row["population"],
        )

    def rules(self, seed_id: str) -> list[RelatedProduct]:
        seed = self.seeds.get(seed_id)
        if seed is None:
            return []
        return [_rule(seed, pair, self.buyers[pair["product"]["id"]], self.population)
                for pair in seed["pairs"]]  # fmt: skip


def _rule(
    seed: dict[str, Any], pair: dict[str, Any], buyers_of_related: int, population: int
) -> RelatedProduct:
    seed_buyers = seed["buyers"]
    confidence = pair["support"] / max(seed_buyers, 1)
    base = buyers_of_related / population if population else 0.0
    return {
        "basedOn": seed["seed"],
        "product": pair["product"],
        "support": pair["support"],
        "confidence": round(confidence, 4),
        "lift": round(confidence / base, 4) if base else 0.0,
        "buyersOfProduct": seed_buyers,
        "buyersOfRelated": buyers_of_related,
        "population": population,
        "sampled": seed["sampled"],
    }


def _label(product: dict[str, Any]) -> str:
    return f"{product.get('name')} ({product.get('sku')})"


def _count(n: float, noun: str) -> str:
    return f"{n:g} {noun}" + ("" if n == 1 else "s")


def _reason(kind: str, points: float, explanation: str) -> Reason:
    return {
        "kind": kind,
        "points": round(points, 4),
        "explanation": explanation,
        "rules": [],
        "accounts": [],
        "accountCount": 0,
        "preference": None,
    }


VIA_WORDS = {
    "GROUP": "in its group",
    "SUPPLIER": "a supplier of it",
    "SUPPLIED": "supplied by it",
    "DISTRIBUTOR": "a distributor for it",
    "PRINCIPAL": "a principal it distributes for",
    "PARTNER": "a partner",
}


def shape_recommendations(
    row: dict[str, Any], co: CoPurchase, now: dt.datetime, counts: bool = True
) -> list[Recommendation]:
    """Reasons per product, each with its points; ranked by their sum (then by name).
    Without `counts`, a co-purchase is explained by its ratios alone: its counts are of
    every customer, which only the roles that read them all are told (tester BP read them in
    the text while the rule's own count fields were withheld)."""
    reasons: dict[str, list[Reason]] = defaultdict(list)
    product_rows: dict[str, dict[str, Any]] = {}
    for pref in shape_preferences(row, now)["products"]:
        if pref["repurchase"] not in ("DUE", "OVERDUE") or pref["product"] is None:
            continue
        overdue = pref["repurchase"] == "OVERDUE"
        days = pref["daysUntilExpected"] or 0.0
        when = f"{-days:g} days overdue" if overdue else f"due in {days:g} days"
        last = clock.day_of(pref["lastOrderAt"]).isoformat()
        cycle, gaps = pref["cycleDays"] or 0.0, pref["orderDays"] - 1
        floored = f", expected after {MIN_REPEAT_DAYS}" if cycle < MIN_REPEAT_DAYS else ""
        r = _reason(
            "REPURCHASE_DUE",
            OVERDUE_POINTS if overdue else DUE_POINTS,
            f"Reorder {when}: bought every {_count(cycle, 'day')} (median of "
            f"{_count(gaps, 'gap')}{floored}), last on {last}.",
        )
        r["preference"] = pref
        product_rows[pref["product"]["id"]] = pref["product"]
        reasons[pref["product"]["id"]].append(r)
    rules: dict[str, list[RelatedProduct]] = defaultdict(list)
    bought = set(row["bought"])
    for seed in row["bought"][:MAX_SEEDS]:
        for rule in co.rules(seed):
            # Not what it has, and only when buying the seed makes it likelier, not less.
            if rule["product"]["id"] not in bought and rule["lift"] > 1:
                rules[rule["product"]["id"]].append(rule)
    for pid, found in rules.items():
        found.sort(key=lambda x: (-x["confidence"], -x["lift"], x["basedOn"]["id"]))
        best = found[0]
        share = (
            f"{best['support']} of {best['buyersOfProduct']} customers" if counts else "Customers"
        )
        r = _reason(
            "CO_PURCHASE",
            best["confidence"] * CAP_POINTS,
            f"{share} who bought {_label(best['basedOn'])} also bought it (confidence "
            f"{best['confidence']:.2f}, lift {best['lift']:.2f}).",
        )
        r["rules"] = found[:MAX_RULES]
        product_rows[pid] = best["product"]
        reasons[pid].append(r)
    for item in row["fromAccounts"]:
        pid = item["product"]["id"]
        count = item["accounts"]
        vias = sorted({v for b in item["buyers"] for v in b["via"]})
        r = _reason(
            "RELATED_ACCOUNTS",
            min(CAP_POINTS, PER_ACCOUNT_POINTS * count),
            f"Bought by {count} related account{'s' if count != 1 else ''} "
            f"({', '.join(VIA_WORDS[v] for v in vias)}); this customer has not bought it.",
        )
        r["accounts"] = item["buyers"]
        r["accountCount"] = count
        product_rows[pid] = item["product"]
        reasons[pid].append(r)
    out: list[Recommendation] = [
        {
            "product": product_rows[pid],
            "score": round(sum(r["points"] for r in rs), 4),
            "reasons": sorted(rs, key=lambda r: -r["points"]),
        }
        for pid, rs in reasons.items()
    ]
    out.sort(key=lambda x: (-x["score"], str(x["product"].get("name")), x["product"]["id"]))
    return out[:MAX_RECOMMENDATIONS]


# --- Repository -------------------------------------------------------------------------------
def _now() -> dt.datetime:
    return clock.now()


async def preferences(db: Database, actor: Actor, ids: list[str]) -> dict[str, Preferences]:
    """Purchase preferences of the visible customers among `ids` (one round trip)."""
    rows = await db.read(PREFERENCES, {"ids": ids, "acl": access.acl_params(actor)})
    now = _now()
    out: dict[str, Preferences] = {}
    for r in rows:
        prefs = shape_preferences(r, now)
        out[r["key"]] = _unpredicted(prefs) if r["objects"] else prefs
    return out


def _unpredicted(prefs: Preferences) -> Preferences:
    """A person who objects to profiling: their purchase habits (the repeat cycle) and the
    next order predicted from them are profiling (PIPL art. 24, 73); the sums stay."""
    for p in (*prefs["products"], *prefs["categories"]):
        p["cycleDays"] = p["meanDaysBetweenOrders"] = None
        p["nextExpectedAt"] = None
        p["daysUntilExpected"] = None
        p["repurchase"] = repurchase_status(None)
    return prefs


async def related(db: Database, actor: Actor, product: str, limit: int) -> list[RelatedProduct]:
    """Products bought by the buyers of `product` the viewer sees, by lift, then support
    (≤ `limit`): pairs bought by fewer than MIN_SUPPORT of them are never reported."""
    rows = await db.read(RELATED, {"product": product, "acl": access.acl_params(actor)})
    if not rows:
        return []
    co = CoPurchase.of(rows[0])
    rules = co.rules(product)
    rules.sort(key=lambda r: (-r["lift"], -r["support"], str(r["product"].get("sku"))))
    return rules[: min(limit, MAX_RELATED)]


async def recommendations(
    db: Database, actor: Actor, ids: list[str]
) -> dict[str, list[Recommendation]]:
    """Recommendations for the visible customers among `ids` (one round trip)."""
    rows = await db.read(RECOMMENDATIONS, {"ids": ids, "acl": access.acl_params(actor)})
    if not rows:  # no visible customer among them
        return {}
    now = _now()
    co = CoPurchase.of(rows[0])
    counts = actor.scope.read_all
    return {r["key"]: shape_recommendations(r, co, now, counts) for r in rows[0]["page"]}
