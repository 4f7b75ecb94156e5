"""How fields are read: the default resolver, and an execution context that completes flat
objects, and lists of them, in one loop.

A 500-person org chart is about 13,000 leaf fields. graphql-core executes each one alone:
resolve info, resolver, awaitable check, completion; together that was most of the request's
CPU once the Cypher stopped returning temporal objects (bench/README.md, "Profiles"). For an
object whose selected fields are all plain stored leaves (strawberry fields without a
resolver, arguments or extensions, typed as a scalar or an enum) the result is just each
value coerced by its type, so that dict is built directly. The same holds, at any depth,
for a stored field holding a list of leaves (each item coerced alike), and for one holding
an object, a union member (a row carrying `__typename`) or a list of them, when their own
selections are flat in turn: a customer page's edges, nodes
and profiles complete in one pass (W7 at S, in one process with its client: 11.7 ms of
CPU a request before, 7.1 after). A plan over dict rows (ours all are) is compiled into one
Python function (`compile_plan`), which saves the loop's per-entry steps: W1 at S 12.1 → 11.2
ms of CPU a request, W7 8.1 → 7.2.
Anything else, and anything unusual on the way (a null in a non-null field, a value the
type refuses, an awaitable, a row no union member claims), goes down graphql-core's own
path from the outermost flat object, so results and errors stay exactly the stock ones.

Field rules (schema/fieldrules.py) wrap a guarded field's resolver; a wrapped plain leaf stays
on this path, and its guard is applied here to the value read, exactly as the wrapper would.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    GraphQLUnionType,
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
# are (str for String and ID, int, float, bool) or None, whether the leaf is an enum, and
# for an object, union or list of them (`Nested`) how to complete it, else None)
Entry = tuple[str, str | None, Any, bool, Guard | None, type | None, bool, "Nested | None"]

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


class Nested:
    """A field whose value is an object, a union member or a list of them, read like a leaf
    and completed on the flat path with its own selection (`details`, its field group); or
    a list of leaves (`leaf`: their scalar or enum type), each coerced as a leaf field is."""

    __slots__ = ("details", "is_enum", "is_list", "item_non_null", "leaf", "same", "type")

    def __init__(
        self,
        type_: GraphQLObjectType | GraphQLUnionType | None,
        is_list: bool,
        item_non_null: bool,
        details: FieldDetailsList,
        leaf: Any = None,
    ) -> None:
        self.type = type_
        self.is_list = is_list
        self.item_non_null = item_non_null
        self.details = details
        self.leaf = leaf
        self.same = _SAME.get(leaf) if leaf is not None else None
        self.is_enum = leaf is not None and is_enum_type(leaf)


# A plan compiled for dict rows (`compile_plan`): (context, row, roles) -> the completed
# object, or None to leave it to the stock path.
Compiled = Callable[["FlatObjectExecutionContext", dict[str, Any], Any], "dict[str, Any] | None"]


class Plan:
    """The flat fields of one selection on one type, and how to read them."""

    __slots__ = ("compiled", "entries", "resolve")

    def __init__(self, entries: list[Entry], resolve: Any) -> None:
        self.entries = entries
        self.resolve = resolve  # the one default resolver all entries share
        # Rows read through our own resolver are dicts: they take the compiled function.
        self.compiled = compile_plan(entries) if resolve is default_resolver else None


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
        return self._complete_items(non_null, items, lambda item: self._complete_flat(plan, item))

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
        compiled = plan.compiled
        if compiled is not None and type(source) is dict:
            return compiled(self, source, self._roles)
        # Dicts read through our own resolver hold no awaitables: skip that check for them.
        plain = plan.resolve is default_resolver and type(source) is dict
        read = source.get if plain else lambda name: plan.resolve(source, name)
        out: dict[str, Any] = {}
        roles = self._roles
        try:
            for key, name, leaf, non_null, guard, same, is_enum, nested in plan.entries:
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
                if nested is not None:
                    done = self._complete_nested(nested, value)
                    if done is None:
                        return None
                    out[key] = done
                    continue
                coerced = self._leaf_value(leaf, same, is_enum, value)
                if coerced is None:
                    return None
                out[key] = coerced
        except Exception:  # the stock path reports it, located
            return None
        return out

    def _coerce_leaf(self, leaf: Any, is_enum: bool, value: Any) -> Any:
        """The leaf type's coercion of `value`, or None when it refuses it (or is it)."""
        enum = is_enum and type(value) is str
        coerced = self._coerced.get((leaf, value), Undefined) if enum else Undefined
        if coerced is Undefined:
            coerced = leaf.coerce_output_value(value)
            if coerced is Undefined:
                return None
            if enum and coerced is not None:
                self._coerced[(leaf, value)] = coerced
        return coerced

    def _complete_nested(self, nested: Nested, value: Any) -> Any:
        """The completed object or list, or None to leave the whole parent to the stock
        path (which then reports any error where it belongs)."""
        if type(value) is not list and nested.is_list:
            return None  # other iterables, and the error for a non-list, are the stock path's
        one_type = nested.type
        if one_type is None:
            return self._complete_items(
                nested.item_non_null,
                value,
                lambda item: self._leaf_value(nested.leaf, nested.same, nested.is_enum, item),
            )
        if not nested.is_list:
            return self._complete_object(one_type, nested.details, value)
        if isinstance(one_type, GraphQLObjectType) and one_type.is_type_of is None:
            # one plan for every item, found once (a map's hundreds of nodes)
            plan = self._object_plan(one_type, nested.details)
            if plan is None:
                return None
            return self._complete_items(
                nested.item_non_null, value, lambda item: self._complete_flat(plan, item)
            )
        return self._complete_items(
            nested.item_non_null,
            value,
            lambda item: self._complete_object(one_type, nested.details, item),
        )

    def _leaf_value(self, leaf: Any, same: type | None, is_enum: bool, value: Any) -> Any:
        """A leaf field's value, or a list item, as its type completes it; None when the
        type refuses it. What the coercion would return unchanged (_SAME) is not coerced."""
        kind = type(value)
        if kind is same and (
            kind is str
            or kind is bool
            or (kind is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT)
            or (kind is float and isfinite(value))
        ):
            return value
        return self._coerce_leaf(leaf, is_enum, value)

    @staticmethod
    def _complete_items(
        item_non_null: bool, items: list[Any], complete: Callable[[Any], Any]
    ) -> list[Any] | None:
        """Each item completed, or None when one cannot be here (the stock path then raises
        the located error for a null item the list refuses)."""
        out: list[Any] = []
        for item in items:
            if item is None:
                if item_non_null:
                    return None
                out.append(None)
                continue
            done = complete(item)
            if done is None:
                return None
            out.append(done)
        return out

    def _complete_object(
        self,
        return_type: GraphQLObjectType | GraphQLUnionType,
        details: FieldDetailsList,
        value: Any,
    ) -> dict[str, Any] | None:
        if isinstance(return_type, GraphQLUnionType):
            object_type = _union_member(return_type, value)
            if object_type is None:
                return None
        else:
            object_type = return_type
            check = object_type.is_type_of
            if check is not None and check(value, _NO_INFO) is not True:
                return None  # the stock path asks again, and refuses the value
        plan = self._object_plan(object_type, details)
        return None if plan is None else self._complete_flat(plan, value)

    def _object_plan(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Plan | None:
        # graphql-core memoizes the sub-selection per request (it depends on the variables)
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
        return None if new_defer_usages else self._plan(object_type, grouped)


# What `is_type_of` gets for `info` here: ours (schema.common.typename_is, a custom field's
# kind test) read the value alone; one that reads `info` raises, and the stock path decides.
_NO_INFO: Any = None


def _union_member(union: GraphQLUnionType, value: Any) -> GraphQLObjectType | None:
    """The member a row completes as, found as strawberry's union resolver finds it for a
    value that is not a strawberry object (a dict cannot be cast): the first member whose
    `is_type_of` says so. None when none does, or an answer is not a plain True or False."""
    if type(value) is not dict:
        return None
    members: list[GraphQLObjectType] = union.types
    for member in members:
        check = member.is_type_of
        if check is None:
            continue
        answer = check(value, _NO_INFO)
        if answer is True:
            return member
        if answer is not False:
            return None
    return None


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
            entries.append((key, None, parent_type.name, True, None, None, False, None))
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
        if is_leaf_type(leaf):
            same = _SAME.get(leaf)
            entry = (key, definition.python_name, leaf, non_null, guard, same, is_enum_type(leaf))
            entries.append((*entry, None))
        else:
            nested = _nested(leaf, details)
            if nested is None or guard is not None:
                return None
            entries.append((key, definition.python_name, leaf, non_null, None, None, False, nested))
        resolvers.add(definition.default_resolver)
    if len(resolvers) > 1:
        return None
    return Plan(entries, resolvers.pop() if resolvers else default_resolver)


# The extra test a passed-through Int or Float value must pass (see _SAME).
_IN_RANGE: dict[type, str] = {
    int: " or not MIN_INT <= {v} <= MAX_INT",
    float: " or not isfinite({v})",
}


def compile_plan(entries: list[Entry]) -> Compiled:
    """The plan as one Python function over a dict row, as graphql-jit compiles a query: a
    straight line of reads and type tests ending in one dict display, instead of a loop that
    unpacks every entry of every row. It does what `_complete_flat`'s loop does for a dict,
    step for step. Its source holds only generated names (keys, field names, types and guards
    are bound as globals), so nothing from a query is ever read as code."""
    scope: dict[str, Any] = {
        "Undefined": Undefined,
        "isfinite": isfinite,
        "MIN_INT": GRAPHQL_MIN_INT,
        "MAX_INT": GRAPHQL_MAX_INT,
    }
    body: list[str] = []
    shown: list[str] = []
    for i, (key, name, leaf, non_null, guard, same, is_enum, nested) in enumerate(entries):
        scope[f"K{i}"] = key
        if name is None:  # __typename
            scope[f"T{i}"] = leaf
            shown.append(f"K{i}: T{i}")
            continue
        v = f"v{i}"
        shown.append(f"K{i}: {v}")
        scope[f"N{i}"] = name
        body.append(f"{v} = get(N{i})")
        if guard is not None:
            scope[f"G{i}"] = guard
            body.append(f"{v} = G{i}({v}, row, roles)")
        if nested is not None:
            scope[f"S{i}"] = nested
            check = [f"{v} = ctx._complete_nested(S{i}, {v})", f"if {v} is None: return None"]
        else:
            scope[f"L{i}"] = leaf
            check = [
                f"{v} = ctx._coerce_leaf(L{i}, {bool(is_enum)}, {v})",
                f"if {v} is None: return None",
            ]
            if same is not None:
                scope[f"P{i}"] = same
                test = f"type({v}) is not P{i}" + _IN_RANGE.get(same, "").format(v=v)
                check = [f"if {test}:", *("    " + line for line in check)]
        if non_null:
            body += [f"if {v} is None or {v} is Undefined: return None", *check]
        else:
            body += [f"if {v} is None or {v} is Undefined: {v} = None", "else:"]
            body += ["    " + line for line in check]
    body.append("return {" + ", ".join(shown) + "}")
    source = "\n".join(
        [
            "def complete(ctx, row, roles):",
            "    get = row.get",
            "    try:",
            *("        " + line for line in body),
            "    except Exception:",  # the stock path reports it, located
            "        return None",
        ]
    )
    exec(compile(source, "<flat plan>", "exec"), scope)  # noqa: S102 - generated names only
    compiled: Compiled = scope["complete"]
    return compiled


def _nested(field_type: Any, details: FieldDetailsList) -> Nested | None:
    """How to complete a field of this (nullable) type on the flat path: an object, a union,
    a list of either, or a list of leaves. None for anything else (interfaces, lists of
    lists)."""
    is_list = isinstance(field_type, GraphQLList)
    item = field_type.of_type if is_list else field_type
    item_non_null = isinstance(item, GraphQLNonNull)
    named = item.of_type if item_non_null else item
    if is_list and any(x.name.value == "stream" for d in details for x in d.node.directives or ()):
        return None  # streamed items are the stock path's (the schema has no @stream today)
    if is_list and is_leaf_type(named):
        return Nested(None, is_list, item_non_null, details, leaf=named)
    if not isinstance(named, GraphQLObjectType | GraphQLUnionType):
        return None
    return Nested(named, is_list, item_non_null, details)


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
