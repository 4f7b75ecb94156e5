"""Field rules as data (resolvers/permissions.py) against the built schema: every field of a
personal type has a rule, no rule is stale, and every guarded field carries its guard."""

from __future__ import annotations

import strawberry
from graphql import GraphQLField, GraphQLObjectType, is_non_null_type

from resolvers.permissions import FIELD_RULES, PARTIAL, PERSONAL_TYPES, Mask, rule
from schema import build_schema
from schema.fieldrules import ExportResolver, GuardedResolver, unruled

SCHEMA = build_schema()._schema


def test_every_field_of_a_personal_type_has_a_rule() -> None:
    assert unruled(SCHEMA) == []
    for type_name in PERSONAL_TYPES:
        assert isinstance(SCHEMA.type_map.get(type_name), GraphQLObjectType), type_name


@strawberry.type(name="Person")
class ToyPerson:
    id: strawberry.ID
    name: str
    shoeSize: int | None  # personal, and nobody declared who may read it


@strawberry.type
class ToyQuery:
    person: ToyPerson | None = None


def field(type_name: str, name: str) -> GraphQLField:
    gql_type = SCHEMA.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    return gql_type.fields[name]


def test_a_field_added_to_person_without_a_rule_fails() -> None:
    missing = unruled(strawberry.Schema(query=ToyQuery)._schema)
    assert "Person.shoeSize" in missing
    assert "Person.id" not in missing
    assert "Person.name" not in missing


def test_guarded_fields_carry_their_guard() -> None:
    for type_name, name in FIELD_RULES:
        resolve = field(type_name, name).resolve
        if (type_name, name) in {("GraphMap", "cytoscape"), ("GraphMap", "graphml")}:
            assert isinstance(resolve, ExportResolver)
        elif rule(type_name, name).guarded:
            assert isinstance(resolve, GuardedResolver), f"{type_name}.{name}"


def test_hidden_fields_are_nullable() -> None:
    # A null from the HIDE mask in a non-null field would fail the whole parent object.
    for (type_name, name), r in FIELD_RULES.items():
        if r.guarded and (r.mask is Mask.HIDE or r.mask in PARTIAL):  # PARTIAL: see mask_for
            assert not is_non_null_type(field(type_name, name).type), f"{type_name}.{name}"
