"""Field rules on the schema's fields (R21, R22): installed once, when the schema is built.

Every field that resolvers/permissions.py guards gets its resolver wrapped in
`GuardedResolver`, which passes the resolved value through the field's guard
(resolvers/masking.py) for the request's viewer. The flat execution path
(schema/execution.py) recognises the wrapper and applies the same guard, so no path skips it.
Export fields (cytoscape, GraphML) read their parent's rows themselves: `ExportResolver`
hands them a copy whose rows are masked as their own types first.
"""

from __future__ import annotations

from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, default_field_resolver

from resolvers.masking import Guard, Guards, Roles, has_full_value_reader, roles_of
from resolvers.permissions import EXPORTS, FIELD_RULES, PERSONAL_TYPES, rule


class GuardedResolver:
    """A field's own resolver, then its guard."""

    __slots__ = ("guard", "inner")

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard

    def __call__(self, source: Any, info: Any, **kwargs: Any) -> Any:
        value = self.inner(source, info, **kwargs)
        roles = roles_of(info.context)
        if isawaitable(value):
            return self._later(value, source, roles)
        return self.guard(value, source, roles)

    async def _later(self, value: Any, source: Any, roles: Roles) -> Any:
        return self.guard(await value, source, roles)


class ExportResolver:
    """An export field's resolver, given its parent with the row lists masked."""

    __slots__ = ("exports", "guards", "inner")

    def __init__(self, inner: Any, guards: Guards, exports: Mapping[str, str]) -> None:
        self.inner = inner
        self.guards = guards
        self.exports = exports

    def __call__(self, source: Any, info: Any, **kwargs: Any) -> Any:
        masked = self.guards.export_source(self.exports, source, roles_of(info.context))
        return self.inner(masked, info, **kwargs)


def install(schema: GraphQLSchema, guards: Guards) -> None:
    """Wrap the resolver of every guarded field of `schema`, in place."""
    for type_name, gql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        for name, field in gql_type.fields.items():
            inner = field.resolve or default_field_resolver
            if isinstance(inner, GuardedResolver | ExportResolver):
                continue  # already installed (a type shared by two schemas)
            exports = EXPORTS.get((type_name, name))
            if exports is not None:
                field.resolve = ExportResolver(inner, guards, exports)
            elif rule(type_name, name).guarded or has_full_value_reader(type_name, name):
                field.resolve = GuardedResolver(inner, guards.field(type_name, name))


def unruled(schema: GraphQLSchema) -> list[str]:
    """`Type.field` for every field of a personal type without its own rule, and every rule
    naming a field the schema does not have (a renamed field would lose its rule)."""
    out = []
    for type_name in sorted(PERSONAL_TYPES):
        gql_type = schema.type_map.get(type_name)
        if isinstance(gql_type, GraphQLObjectType):
            out += [
                f"{type_name}.{f}" for f in gql_type.fields if (type_name, f) not in FIELD_RULES
            ]
    for type_name, field in FIELD_RULES:
        gql_type = schema.type_map.get(type_name)
        if not isinstance(gql_type, GraphQLObjectType) or field not in gql_type.fields:
            out.append(f"{type_name}.{field} (rule without a field)")
    return out
