"""Filtered, sorted, keyset-paginated lists of companies, people, projects and customers.

Every statement is assembled from closed dicts (scope x name filter x order x the set of
filters in use), once per combination, so nothing a client sends becomes Cypher text: filter
values are parameters, and the order is a key into `ORDERS`. A page costs one round trip; when
the total count is asked for, the page comes from a statement that counts as it reads.

Each row is projected whole (`full`) or as a summary (`summary`: id, names, the customer
profile), which the resolver picks when the selection reads nothing else: two shapes of each
statement at most.

Keyset pagination: the cursor carries the sort key (as text) and the id of the last row; the
next page starts strictly after that pair, so inserts and deletes never shift pages. Strings
compare in code point order, as ORDER BY sorts them (graph/pages.py's `text_after`).
Both statements filter with graph/access.py's `visible`: pages and counts hold only the
rows the viewer may see.
Name filters are case-sensitive `CONTAINS` / `STARTS WITH` over the text indexes on `name`
(migrations/V0003), which match Chinese as well as Latin text.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, LiteralString, cast

from graph import clock, pages
from graph.access import acl_params, named, personal_key, visible, visible_as
from graph.actor import Actor
from graph.cypher import NODE_LABELS, current
from graph.db import Cypher, Database
from graph.maps import GROUP_MAX_LEVELS
from graph.nodes import PROJECTION
from graph.rows import PageRow

SCOPES: dict[str, LiteralString] = {
    "company": "MATCH (n:Company)",
    "person": "MATCH (n:Person)",
    "project": "MATCH (n:Project)",
    "customer": "MATCH (n:Customer)",
}


# What a page returns of each row, a closed choice: every stored property (graph/nodes.py's
# PROJECTION), or a summary of the keys below, which the caller picks when they are all it
# will read. Measured (W7, 50 customers of a tier, scale S, in-process A/B): the summary
# takes 0.43x the time of the full projection as ADMIN and 0.61x as SALES (bench/README.md).
SUMMARY_KEYS = frozenset({"id", "name", "nameEn", "__typename", "isCustomer", "customer"})
PROJECTIONS: dict[str, LiteralString] = {
    "full": PROJECTION,
    "summary": "n{.id, .name, .nameEn, __typename: head([l IN labels(n) WHERE l IN "
    + NODE_LABELS
    + "]), isCustomer: n:Customer, "
    "customer: CASE WHEN n:Customer THEN {customerCode: n.customerCode, "
    "customerKind: n.customerKind, lifecycleStage: n.lifecycleStage, "
    "classification: n.classification, tier: n.tier} END}",
}


@dataclass(frozen=True)
class Order:
    key: LiteralString  # the sort expression
    text: LiteralString  # the sort key as cursor text
    param: LiteralString  # the cursor text back as a comparable value
    direction: LiteralString
    after: LiteralString  # comparison that means "comes after" in this direction
    # A string key, compared in code point order as ORDER BY sorts (graph/pages.py).
    string: bool = False


ORDERS: dict[str, Order] = {
    "NAME_ASC": Order("n.name", "n.name", "$afterKey", "ASC", ">", string=True),
    "NAME_DESC": Order("n.name", "n.name", "$afterKey", "DESC", "<", string=True),
    "UPDATED_DESC": Order(
        "n.updatedAt", "toString(n.updatedAt)", "datetime($afterKey)", "DESC", "<"
    ),
    "UPDATED_ASC": Order("n.updatedAt", "toString(n.updatedAt)", "datetime($afterKey)", "ASC", ">"),
    "CREATED_DESC": Order(
        "n.createdAt", "toString(n.createdAt)", "datetime($afterKey)", "DESC", "<"
    ),
    "CREATED_ASC": Order("n.createdAt", "toString(n.createdAt)", "datetime($afterKey)", "ASC", ">"),
    # Scores written by the scoring run (graph/intelligence.py); unscored rows sort last.
    "VALUE_DESC": Order(
        "coalesce(n.valueScore, -1.0)",
        "toString(coalesce(n.valueScore, -1.0))",
        "toFloat($afterKey)",
        "DESC",
        "<",
    ),
    "CHURN_RISK_DESC": Order(
        "coalesce(n.churnRisk, -1)",
        "toString(coalesce(n.churnRisk, -1))",
        "toInteger($afterKey)",
        "DESC",
        "<",
    ),
}


# Sorting on a custom field (graph/customfields.py): the property is `$sortProp`, a
# parameter. Nodes without a value sort below the type's lowest value (first ascending, last
# descending), so keyset comparisons never meet a null. The cursor's text goes back to the
# field's type. A boolean sorts as 1 and 0, so that no value (-1) is apart from false
# (tester BM found them mixed, by id).
def _custom_orders() -> dict[str, Order]:
    value: LiteralString = "n[$sortProp]"
    kinds: dict[LiteralString, tuple[LiteralString, LiteralString, LiteralString]] = {
        "TEXT": (value, "''", "$afterKey"),
        "NUMBER": (value, "-1.0e308", "toFloat($afterKey)"),
        "DATE": (value, "date('0001-01-01')", "date($afterKey)"),
        "BOOLEAN": ("toInteger(" + value + ")", "-1", "toInteger($afterKey)"),
    }
    out: dict[str, Order] = {}
    for kind, (stored, lowest, param) in kinds.items():
        key: LiteralString = "coalesce(" + stored + ", " + lowest + ")"
        text: LiteralString = "toString(" + key + ")"
        string = kind == "TEXT"
        out[f"CUSTOM_{kind}_ASC"] = Order(key, text, param, "ASC", ">", string)
        out[f"CUSTOM_{kind}_DESC"] = Order(key, text, param, "DESC", "<", string)
    return out


ORDERS.update(_custom_orders())

# The name orders as an anonymised viewer (graph/access.py's NAMED_ROLES) gets them on a list
# that holds people: people by id, the rest by name. The real-name order of pseudonyms would
# spell the names out, and the cursor carries the sort key, so it must not be the name.
_NEUTRAL: LiteralString = "CASE WHEN n:Person THEN n.id ELSE n.name END"
ORDERS["NAME_ASC_ANONYMISED"] = Order(_NEUTRAL, _NEUTRAL, "$afterKey", "ASC", ">", True)
ORDERS["NAME_DESC_ANONYMISED"] = Order(_NEUTRAL, _NEUTRAL, "$afterKey", "DESC", "<", True)
ANONYMISED_ORDERS = {"NAME_ASC": "NAME_ASC_ANONYMISED", "NAME_DESC": "NAME_DESC_ANONYMISED"}

# The name predicate comes first, unguarded, so the planner can use the text index. A person
# matches a name only for a viewer who sees names (`personal_key`): else a guessed name, or
# a prefix growing letter by letter, would unmask a pseudonym.
NAME_MODES: dict[str, LiteralString] = {
    "none": "",
    "contains": "n.name CONTAINS $nameContains "
    "AND ($namePrefix IS NULL OR n.name STARTS WITH $namePrefix) AND "
    + personal_key("n")
    + " AND ",
    "prefix": "n.name STARTS WITH $namePrefix AND " + personal_key("n") + " AND ",
}


GROUP_LEVELS: LiteralString = str(GROUP_MAX_LEVELS)  # a constant, never input

# One predicate per filter, in the statement only when that filter is set: a plain
# `n.tier = $tier` can be answered from the range indexes (V0003), where the catch-all
# `($tier IS NULL OR n.tier = $tier)` made every page scan and sort the whole label.
PREDICATES: dict[str, LiteralString] = {
    "industry": "n.industry = $industry",
    "customerKind": "n.customerKind = $customerKind",
    "lifecycleStage": "n.lifecycleStage = $lifecycleStage",
    "tier": "n.tier = $tier",
    "churnLevel": "n.churnLevel = $churnLevel",
    "stage": "n.stage = $stage",
    "status": "n.status = $status",
    "updatedSince": "n.updatedAt >= $updatedSince",
    "owner": "EXISTS { MATCH (:User {id: $owner})-[o:OWNS]->(n) WHERE " + current("o") + " }",
    "customer": "EXISTS { MATCH (n)-[f:FOR]->(c) WHERE c.id = $customer AND " + current("f") + " }",
    # The company or one below it in its group (today's hierarchy, GROUP_MAX_LEVELS down),
    # through companies the viewer sees, as groupHierarchy draws it: a hidden group or
    # parent must not be told by the projects filed under it.
    "customerGroup": "EXISTS { MATCH gp = (n)-[f:FOR]->(:Company)-[s:SUBSIDIARY_OF*0.."
    + GROUP_LEVELS
    + "]->(:Company {id: $customerGroup}) WHERE "
    + current("f")
    + " AND all(r IN s WHERE "
    + current("r")
    + ") AND all(gx IN nodes(gp)[1..] WHERE "
    + visible_as("gx", "Company")
    + ") }",
    # A class of graph/classification.py, by its id `<dimension>:<key>`.
    "customerClass": "EXISTS { MATCH (n)-[:CLASSIFIED_AS]->(:CustomerClass {id: $customerClass}) }",
    # Custom field filters, ANDed: `{prop, op, value, values}` each, typed by the resolver
    # from the field's definition. `n[f.prop]`: the property name is a parameter.
    "custom": "all(f IN $custom WHERE CASE f.op "
    "WHEN 'EQ' THEN n[f.prop] = f.value WHEN 'GT' THEN n[f.prop] > f.value "
    "WHEN 'LT' THEN n[f.prop] < f.value WHEN 'CONTAINS' THEN n[f.prop] CONTAINS f.value "
    "WHEN 'HAS' THEN f.value IN n[f.prop] WHEN 'IN' THEN n[f.prop] IN f.values "
    "WHEN 'HAS_ANY' THEN any(x IN f.values WHERE x IN n[f.prop]) ELSE false END)",
}


def _filters(active: frozenset[str], unplaced: bool) -> LiteralString:
    text: LiteralString = "($includeArchived OR n.archivedAt IS NULL) "
    for key, predicate in PREDICATES.items():
        if key in active:
            text += "AND " + predicate + " "
    # Last, after the indexable filters: rows the viewer may not see are not in the page
    # and not in `totalCount`.
    return text + "AND " + visible("n", unplaced) + " "


FILTER_KEYS = (
    "nameContains",
    "namePrefix",
    "industry",
    "customerKind",
    "lifecycleStage",
    "tier",
    "churnLevel",
    "stage",
    "status",
    "updatedSince",
    "owner",
    "customer",
    "customerGroup",
    "customerClass",
    "custom",
)


def _suffix(active: frozenset[str]) -> str:
    return "+".join(k for k in PREDICATES if k in active) or "all"


def _matched(scope: str, mode: str, active: frozenset[str]) -> LiteralString:
    # A person list also shows the viewer's new contacts with no employer yet.
    unplaced = scope == "person"
    return SCOPES[scope] + " WHERE " + NAME_MODES[mode] + _filters(active, unplaced)


def _after_and_limit(o: Order, wide: bool) -> LiteralString:
    """The keyset condition (continuing a WHERE) and the ordered page of `$limit` rows;
    `wide`: the cursor's string key has a character from U+E000 up."""
    tie = pages.text_after("n.id", "afterId", o.after)  # an imported id is any text
    if o.string and wide:
        beyond = pages.text_after(o.key, "afterKey", o.after, tie)
    else:
        # Without such a character the plain comparison agrees with code point order, and
        # costs less (measured: a 20,000-row scan +10% with text_after, +30% when it has
        # a prefix to check).
        beyond = (
            o.key + " " + o.after + " " + o.param
            + " OR (" + o.key + " = " + o.param + " AND " + tie + ")"
        )  # fmt: skip
    return (
        "AND ($afterId IS NULL OR "
        + beyond
        + ") WITH n ORDER BY "
        + o.key
        + " "
        + o.direction
        + ", n.id "
        + o.direction
        + " LIMIT $limit "
    )


def _projected(projection: str) -> str:
    return "" if projection == "full" else f".{projection}"


def _wide(wide: bool) -> str:
    return ".wide" if wide else ""


@functools.cache
def page_statement(
    scope: str,
    mode: str,
    order: str,
    active: frozenset[str],
    projection: str = "full",
    wide: bool = False,
) -> Cypher:
    """The page statement for `scope`, name `mode`, `order`, the set filters `active`
    (keys of PREDICATES), `projection` (a key of PROJECTIONS) and a `wide` cursor key
    (`_after_and_limit`); built once per combination, from the dicts above only."""
    o = ORDERS[order]
    return Cypher(
        f"list.{scope}.{mode}.{order.lower()}.{_suffix(active)}{_projected(projection)}"
        + _wide(wide),
        _matched(scope, mode, active)
        + _after_and_limit(o, wide)
        + "RETURN "
        + PROJECTIONS[projection]
        + " AS node, "
        + o.text
        + " AS sortKey",
    )


@functools.cache
def counted_page_statement(
    scope: str,
    mode: str,
    order: str,
    active: frozenset[str],
    projection: str = "full",
    wide: bool = False,
) -> Cypher:
    """The page and `totalCount` in one pass over the matching rows: counting them in a
    statement of its own read every match twice (the benchmark's W7)."""
    o = ORDERS[order]
    return Cypher(
        f"list.{scope}.{mode}.{order.lower()}.{_suffix(active)}.counted{_projected(projection)}"
        + _wide(wide),
        _matched(scope, mode, active)
        + "WITH collect(n) AS matched "
        + "CALL (matched) { UNWIND matched AS n WITH n WHERE true "
        + _after_and_limit(o, wide)
        + "RETURN collect({node: "
        + PROJECTIONS[projection]
        + ", sortKey: "
        + o.text
        + "}) AS rows } "
        + "RETURN size(matched) AS total, rows",
    )


@dataclass(frozen=True)
class Page:
    rows: list[PageRow]
    has_next: bool
    total: int | None


def _params(filters: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {k: filters.get(k) for k in FILTER_KEYS}
    params["includeArchived"] = bool(filters.get("includeArchived"))
    since = params["updatedSince"]
    if isinstance(since, dt.datetime) and since.tzinfo is None:
        params["updatedSince"] = clock.fixed(since)
    return params


def _mode(filters: dict[str, Any]) -> str:
    if filters.get("nameContains"):
        return "contains"
    if filters.get("namePrefix"):
        return "prefix"
    return "none"


async def page(
    db: Database,
    actor: Actor,
    scope: str,
    order: str,
    limit: int,
    after: tuple[str, str] | None,
    filters: dict[str, Any],
    with_total: bool,
    projection: str = "full",
) -> Page:
    """Up to `limit` rows after the cursor position `(sortKey, id)`; `scope`, `order` and
    `projection` must be keys of SCOPES, ORDERS and PROJECTIONS."""
    mode = _mode(filters)
    if scope in ("person", "customer") and not named(actor):
        order = ANONYMISED_ORDERS.get(order, order)
    params = {**_params(filters), "acl": acl_params(actor)}
    active = frozenset(k for k in PREDICATES if params.get(k) is not None)
    params |= {
        **pages.after(after, "afterKey"),
        "limit": limit + 1,
        "sortProp": filters.get("sortProp"),
    }
    params |= pages.text_params(params, "afterKey", "afterId")
    wide = ORDERS[order].string and pages.turns(params, "afterKey")
    total = None
    if with_total:
        found = await db.read(
            counted_page_statement(scope, mode, order, active, projection, wide), params
        )
        rows, total = found[0]["rows"], found[0]["total"]
    else:
        rows = await db.read(page_statement(scope, mode, order, active, projection, wide), params)
    return Page(cast(list[PageRow], rows[:limit]), len(rows) > limit, total)
