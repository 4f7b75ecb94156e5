"""Lists as Relay connections: companies, people, projects and customers.

`first` is required (1..100); `after` is a cursor this API issued for the same `orderBy`.
The page costs one round trip; `totalCount` one more, and only when the query selects it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from enum import Enum
from typing import Any

from graph import lists
from graph.vocab import Label
from resolvers import customfields
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.pages import Tag, decode_cursor, encode_cursor, is_time
from resolvers.pages import connection as page_of
from resolvers.shapes import ConnectionOf, NodeRow
from resolvers.validation import visible


class ListOrder(Enum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    UPDATED_ASC = "UPDATED_ASC"
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"
    CUSTOM_ASC = "CUSTOM_ASC"
    CUSTOM_DESC = "CUSTOM_DESC"
    VALUE_DESC = "VALUE_DESC"
    CHURN_RISK_DESC = "CHURN_RISK_DESC"


# Orders by a customer's scores (graph/intelligence.py), which no project has.
CUSTOMER_ORDERS = frozenset({ListOrder.VALUE_DESC, ListOrder.CHURN_RISK_DESC})

# Each list's cursors name it: one list's cursor is refused by another.
TAGS: dict[str, Tag] = {
    "company": "companies",
    "person": "people",
    "project": "projects",
    "customer": "customers",
}

# The node kind of each list that has custom fields (the customers list mixes two kinds).
CUSTOM_SCOPES = {"company": Label.COMPANY, "person": Label.PERSON, "project": Label.PROJECT}


# The node fields a page's summary projection answers (graph/lists.py), per list: each is
# the row key of the same name (`customer` the profile map, whatever it selects within).
# Any other field, e.g. a relation or a custom field, needs the full row.
SUMMARY_FIELDS = {
    "company": frozenset({"__typename", "id", "name", "nameEn", "customer"}),
    "person": frozenset({"__typename", "id", "name", "nameEn", "customer"}),
    "customer": frozenset({"__typename", "id", "name", "nameEn", "customer"}),
    "project": frozenset({"__typename", "id", "name"}),
}
assert all(f <= lists.SUMMARY_KEYS for f in SUMMARY_FIELDS.values())


def projection(scope: str, node_fields: frozenset[str] | None) -> str:
    """`summary` when the selection reads nothing else, else `full` (also when unknown)."""
    if node_fields is not None and node_fields <= SUMMARY_FIELDS[scope]:
        return "summary"
    return "full"


def _plain(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in filters.items()}


MAX_NAME_FILTER = 100
_INTEGER = re.compile(r"-?\d{1,18}(\.0)?")  # a whole number, as Cypher prints one
_FLOAT = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _key_fits(order: str, key: str) -> bool:
    """Whether a cursor's sort key reads as its order's kind of value, as the statement will
    read it back (graph/lists.py ORDERS): a tampered one was an internal error in Cypher
    (`datetime('not a date')`), or an empty last page (`toFloat('x')` is null; tester BB)."""
    if order.startswith(("UPDATED_", "CREATED_")):
        return is_time(key)
    if order == "CHURN_RISK_DESC":
        return _INTEGER.fullmatch(key) is not None
    if order == "VALUE_DESC" or order.startswith("CUSTOM_NUMBER_"):
        return _FLOAT.fullmatch(key) is not None and math.isfinite(float(key))
    if order.startswith("CUSTOM_DATE_"):
        try:
            return _DATE.fullmatch(key) is not None and bool(dt.date.fromisoformat(key))
        except ValueError:
            return False
    if order.startswith("CUSTOM_BOOLEAN_"):
        return key in ("1", "0", "-1")  # true, false, no value
    return True  # a name or a text value: any text


async def connection(
    ctx: Context,
    scope: str,
    first: int,
    after: str | None,
    order: ListOrder,
    filters: dict[str, Any],
    with_total: bool = True,
    custom_sort_key: str | None = None,
    node_fields: frozenset[str] | None = None,
) -> ConnectionOf[NodeRow]:
    """A page of `scope`; `node_fields`, the fields selected on its nodes, lets the statement
    project only what they read (None: every property)."""
    limit = page_size(first)
    filters = _plain(filters)
    of = copy.deepcopy(filters)  # the rows a cursor is of, as asked
    for name in ("nameContains", "namePrefix"):
        value = filters.get(name)
        if value is None:
            continue
        if len(value) > MAX_NAME_FILTER:  # as described; it was not checked (tester BB)
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, f"at most {MAX_NAME_FILTER} characters", f"filter.{name}"
            )
        filters[name] = visible(value)  # as names are stored: e + U+0301 finds é
    chosen = filters.get("customerClass")
    if isinstance(chosen, dict):  # {dimension, key}: the class node's id
        filters["customerClass"] = f"{chosen['dimension'].value}:{chosen['key']}"
    custom = order in (ListOrder.CUSTOM_ASC, ListOrder.CUSTOM_DESC)
    if custom != (custom_sort_key is not None):
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            "customSortKey goes with orderBy CUSTOM_ASC or CUSTOM_DESC, and only with them",
            "customSortKey",
        )
    if scope == "project" and order in CUSTOMER_ORDERS:  # every project would tie (tester BB)
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            f"{order.value} sorts customers; a project has no value score or churn risk",
            "orderBy",
        )
    order_name = order.value
    if filters.get("custom") or custom:
        params, sort_order, sort_prop = await customfields.list_params(
            ctx,
            CUSTOM_SCOPES.get(scope),
            filters.get("custom"),
            custom_sort_key,
            order is ListOrder.CUSTOM_DESC,
        )
        filters["custom"] = params
        if sort_order is not None:
            order_name, filters["sortProp"] = sort_order, sort_prop
    # The cursor names the order and, for a custom one, the key: it fits no other sort.
    cursor_order = order_name + (f":{custom_sort_key}" if custom else "")
    position: tuple[str, str] | None = None
    if after is not None:  # an empty cursor is no cursor, not the first page
        given_order, key, node_id = decode_cursor(TAGS[scope], after, 3, of=of)
        if given_order != cursor_order:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, "this cursor belongs to another orderBy", "after"
            )
        if not _key_fits(order_name, key):
            raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after")
        position = (key, node_id)
    page = await lists.page(
        ctx.db,
        ctx.actor,
        scope,
        order_name,
        limit,
        position,
        filters,
        with_total,
        projection(scope, node_fields),
    )
    items = [
        (
            encode_cursor(TAGS[scope], cursor_order, str(r["sortKey"]), r["node"]["id"], of=of),
            r["node"],
        )
        for r in page.rows
    ]
    return page_of(items, page.has_next, after, page.total)
