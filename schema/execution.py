"""How fields are read: the default resolver, and an execution context that completes flat
objects, and lists of them, in one loop.

A 500-person org chart is about 13,000 leaf fields. graphql-core executes each one alone:
resolve info, resolver, awaitable check, completion; together that was most of the request's
CPU once the Cypher stopped returning temporal objects (bench/README.md, "Profiles"). For an
object whose selected fields are all plain stored leaves (strawberry fields without a
resolver, arguments or extensions, typed as a scalar or an enum) the result is just each
value coerced by its type, so that dict is built directly. Anything else, and anything
unusual on the way (a null in a non-null field, a value the type refuses, an awaitable),
goes down graphql-core's own path, so results and errors stay exactly the stock ones.

Field rules (schema/fieldrules.py) wrap a guarded field's resolver; a wrapped plain leaf stays
on this path, and its guard is applied here to the value read, exactly as the wrapper would.
"""

from __future__ import annotations

from math import isfinite
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    is_enum_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.masking import Guard, roles_of
from schema.fieldrules import GuardedResolver


def default_resolver(source: Any, name: str) -> Any:
    # Repositories return plain dicts (Cypher map projections); read them without copying.
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name)


# (response key, python name or None for __typename, leaf type or the type name, non-null,
# the field rule's guard or None, the Python type whose values the leaf type returns as they
# are (str for String and ID, int, float, bool) or None, whether the leaf is an enum)
Entry = tuple[str, str | None, Any, bool, Guard | None, type | None, bool]

# What graphql-core's coercion returns unchanged: a str for String and ID, a bool for
# Boolean, an int within 32 bits for Int, a finite float for Float. Anything else (and any
# other leaf type) goes through the type's own coercion.
_SAME: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
    GraphQLFloat: float,
}

# Plans shared across requests, keyed by the parent type and the identity of the field
# nodes grouped (the parse memo hands every request of a text the same document). The
# value keeps the group, hence its nodes, alive, so their ids cannot be reused meanwhile.
_SHARED_PLANS: dict[tuple[Any, ...], tuple[GroupedFieldSet, Plan | None]] = {}
SHARED_PLANS_MAX = 4096


class Plan:
    """The flat fields of one selection on one type, and how to read them."""

    __slots__ = ("entries", "resolve")

    def __init__(self, entries: list[Entry], resolve: Any) -> None:
        self.entries = entries
        self.resolve = resolve  # the one default resolver all entries share


class FlatObjectExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the identity of graphql-core's memoized field groups, which live as long
        # as this request; the group is kept in the value so its id cannot be reused.
        self._plans: dict[int, tuple[GroupedFieldSet, Plan | None]] = {}
        # (enum type, stored name) -> coerced value: a map repeats a handful of enum values
        # (kinds, edge types) thousands of times, and strawberry's enum coercion is a loop.
        self._coerced: dict[tuple[Any, Any], Any] = {}
        self._roles = roles_of(self.context_value)  # for the field rules' guards

    def execute_collected_subfields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path,
        grouped_field_set: GroupedFieldSet,
        new_defer_usages: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        # Field middleware (strawberry extensions with a `resolve` hook) must see every field.
        middleware = self.middleware_manager is not None and self.middleware_manager.middlewares
        if not new_defer_usages and not middleware:
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                flat = self._complete_flat(plan, source_value)
                if flat is not None:
                    return flat
        return super().execute_collected_subfields(
            parent_type, source_value, path, grouped_field_set, new_defer_usages, position_context
        )

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        # A map's nodes and edges: hundreds of flat objects of one type. One loop here instead
        # of graphql-core's per-item completion (item path, value checks, sub-field lookup).
        if type(items) is list and items:
            flat = self._complete_flat_list(item_type, field_details_list, path, items)
            if flat is not None:
                return flat
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _complete_flat_list(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
        items: list[Any],
    ) -> list[Any] | None:
        """The completed list when every item is null or completes on the flat path."""
        non_null = isinstance(item_type, GraphQLNonNull)
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not isinstance(object_type, GraphQLObjectType) or object_type.is_type_of is not None:
            return None
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        plan = self._plan(object_type, grouped)
        if plan is None:
            return None
        complete = self._complete_flat
        out: list[Any] = []
        for item in items:
            if item is None:
                if non_null:
                    return None  # the stock path raises the located error
                out.append(None)
                continue
            done = complete(plan, item)
            if done is None:
                return None
            out.append(done)
        return out

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Plan | None:
        cached = self._plans.get(id(fields))
        if cached is not None:
            return cached[1]
        key = _group_key(parent_type, fields)
        shared = _SHARED_PLANS.get(key) if key is not None else None
        if shared is not None:
            plan = shared[1]
        else:
            plan = build_plan(self.schema, parent_type, fields)
            if key is not None:
                if len(_SHARED_PLANS) >= SHARED_PLANS_MAX:
                    _SHARED_PLANS.clear()
                _SHARED_PLANS[key] = (fields, plan)
        self._plans[id(fields)] = (fields, plan)
        return plan

    def _complete_flat(self, plan: Plan, source: Any) -> dict[str, Any] | None:
        # Dicts read through our own resolver hold no awaitables: skip that check for them.
        plain = plan.resolve is default_resolver and type(source) is dict
        read = source.get if plain else lambda name: plan.resolve(source, name)
        out: dict[str, Any] = {}
        roles = self._roles
        try:
            for key, name, leaf, non_null, guard, same, is_enum in plan.entries:
                if name is None:
                    out[key] = leaf
                    continue
                value = read(name)
                if guard is not None:
                    if not plain:
                        return None  # the wrapper guards it on the stock path
                    value = guard(value, source, roles)
                if value is None or value is Undefined:
                    if non_null:
                        return None  # the stock path raises the located error
                    out[key] = None
                    continue
                if not plain and self.is_awaitable(value):
                    getattr(value, "close", lambda: None)()  # the stock path resolves again
                    return None
                kind = type(value)
                if kind is same and (
                    kind is str
                    or kind is bool
                    or (kind is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT)
                    or (kind is float and isfinite(value))
                ):
                    out[key] = value  # what the type's coercion returns for it (_SAME)
                    continue
                enum = is_enum and kind is str
                coerced = self._coerced.get((leaf, value), Undefined) if enum else Undefined
                if coerced is Undefined:
                    coerced = leaf.coerce_output_value(value)
                    if coerced is None or coerced is Undefined:
                        return None
                    if enum:
                        self._coerced[(leaf, value)] = coerced
                out[key] = coerced
        except Exception:  # the stock path reports it, located
            return None
        return out


def build_plan(schema: Any, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> Plan | None:
    """A plan when every field of the group is a plain stored leaf, else None."""
    entries: list[Entry] = []
    resolvers = set()
    for key, details in fields.items():
        if any(d.defer_usage is not None for d in details):
            return None
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            entries.append((key, None, parent_type.name, True, None, None, False))
            continue
        field_def = schema.get_field(parent_type, name)
        if field_def is None or field_def.args or node.arguments:
            return None
        definition = (field_def.extensions or {}).get("strawberry-definition")
        resolve, guard = field_def.resolve, None
        if isinstance(resolve, GuardedResolver):
            resolve, guard = resolve.inner, resolve.guard
        basic = getattr(resolve, "_is_default", False)
        if definition is None or not basic or not definition.is_basic_field:
            return None
        non_null = is_non_null_type(field_def.type)
        leaf = field_def.type.of_type if non_null else field_def.type
        if not is_leaf_type(leaf):
            return None
        same = _SAME.get(leaf)
        entries.append(
            (key, definition.python_name, leaf, non_null, guard, same, is_enum_type(leaf))
        )
        resolvers.add(definition.default_resolver)
    if len(resolvers) > 1:
        return None
    return Plan(entries, resolvers.pop() if resolvers else default_resolver)


def _group_key(parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> tuple[Any, ...] | None:
    """What a plan depends on: the type, and each response key with its field nodes (their
    names and arguments). None for a group with deferred fields, which has no plan anyway."""
    key: list[Any] = [parent_type]
    for response_key, details in fields.items():
        key.append(response_key)
        for d in details:
            if d.defer_usage is not None:
                return None
            key.append(id(d.node))
    return tuple(key)
