"""Query cost (schema/cost.py): computed from the document and variables before anything
runs, reported in `extensions.cost`, refused over the budget with QUERY_TOO_COSTLY."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType, get_introspection_query, graphql_sync, parse

from schema import build_schema
from schema.cost import COSTS, operation_cost, request_cost
from tests.conftest import GQL

SCHEMA = build_schema()._schema
MAP = "nodes { id name } edges { id source target }"  # 3 + 4 per item


def cost(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return operation_cost(SCHEMA, parse(query), variables, name)


def test_plain_fields_cost_one_each() -> None:
    assert cost("{ version }") == 1
    assert cost('{ company(id: "x") { id name } }') == 3
    assert cost('{ node(id: "x") { id } }') == 2 + 1  # `node` searches every label: 2
    assert cost('{ __typename company(id: "x") { __typename id } }') == 2  # __typename: 0


def test_first_multiplies_what_the_page_selects() -> None:
    page = "{ companies(first: 10) { edges { node { id name } } } }"
    # 5 + 10 × (edges 1 + node 1 + id 1 + name 1)
    assert cost(page) == 5 + 10 * 4
    with_var = "query($n: Int!) { companies(first: $n) { edges { node { id name } } } }"
    assert cost(with_var, {"n": 100}) == 5 + 100 * 4
    # A value the resolver refuses counts as the cap (the resolver then says why).
    assert cost(with_var, {"n": 10_000}) == 5 + 100 * 4


def test_map_limits_multiply_and_defaults_apply() -> None:
    account = 'query($l: Int) { accountMap(center: "c", limit: $l) { ' + MAP + " } }"
    per_item = 1 + 2 + 1 + 3
    assert cost(account, {"l": 100}) == 20 + 100 * per_item
    assert cost(account, {}) == 20 + 500 * per_item  # the schema default, 500
    group = '{ groupHierarchy(company: "c") { map { nodes { id } } } }'
    assert cost(group) == 20 + 2000 * 3  # bounded in code: 2000 companies
    intro = '{ warmIntroPaths(target: "t", first: 5, maxHops: 3) { strength } }'
    assert cost(intro) == 20 + 5 * 3 * 1


def test_aliased_maps_add_up() -> None:
    one = 'accountMap(center: "c", limit: 2000) { ' + MAP + " }"
    single = cost("{ a: " + one + " }")
    assert cost("{ a: " + one + " b: " + one + " c: " + one + " }") == 3 * single


def test_fragments_are_priced_once_and_multiplied() -> None:
    spread = (
        "query Q { companies(first: 20) { edges { node { ...F } } } } "
        "fragment F on Company { id name }"
    )
    assert cost(spread) == 5 + 20 * 4
    # 2^30 fields once expanded: priced in a few dozen steps, not a billion.
    bomb = "query B { ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
    )
    assert cost(bomb + " fragment F30 on Query { version }") == 2**30


def test_only_the_named_operation_counts() -> None:
    doc = "query A { version } query B { companies(first: 100) { edges { cursor } } }"
    assert cost(doc, name="A") == 1
    assert cost(doc, name="B") == 5 + 100 * 2


def test_every_priced_field_exists_and_says_its_cost() -> None:
    for type_name, field_name in COSTS:
        owner = SCHEMA.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType), type_name
        field = owner.fields[field_name]
        assert "Cost:" in (field.description or ""), (type_name, field_name)


def test_cost_is_reported_in_extensions(gql: GQL) -> None:
    r = gql("query($id: ID!) { company(id: $id) { id name } }", {"id": "nope"})
    assert r.data == {"company": None}
    assert r.body["extensions"] == {"cost": 3}


def test_aliased_maps_over_budget_are_refused_before_any_cypher(gql: GQL) -> None:
    one = "accountMap(center: $c, limit: 2000) { " + MAP + " }"
    query = "query($c: ID!) { a: " + one + " b: " + one + " }"  # 2 × 14,020
    small = gql(query.replace("b: " + one, ""), {"c": "nope"})
    assert small.body["extensions"]["cost"] == 20 + 2000 * 7
    many = "query($c: ID!) { " + " ".join(f"m{i}: {one}" for i in range(8)) + " }"
    r = gql(many, {"c": "nope"})
    assert r.codes() == ["QUERY_TOO_COSTLY"]
    ext = r.errors[0]["extensions"]
    assert (ext["cost"], ext["budget"]) == (8 * (20 + 2000 * 7), 100_000)
    assert r.body["extensions"]["cost"] == ext["cost"]
    assert r.body.get("data") is None
    assert r.round_trips == 0


def _answered(value: object) -> int:
    """How many fields a response answers (an object's keys, all the way down)."""
    if isinstance(value, dict):
        return sum(1 + _answered(v) for v in value.values())
    if isinstance(value, list):
        return sum(_answered(v) for v in value)
    return 0


FULL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def test_introspection_costs_the_fields_it_answers() -> None:
    """It cost 0, and thirty aliased copies of the schema stalled a dev server for seconds."""
    answer = graphql_sync(SCHEMA, FULL_INTROSPECTION)
    assert answer.errors is None
    assert cost(FULL_INTROSPECTION) == _answered(answer.data)
    company = SCHEMA.get_type("Company")
    assert isinstance(company, GraphQLObjectType)
    one_type = '{ __type(name: "Company") { name fields { name } } }'
    assert cost(one_type) == 1 + 2 + len(company.fields)
    by_variable = "query($n: String!) { __type(name: $n) { name fields { name } } }"
    assert cost(by_variable, {"n": "Company"}) == cost(one_type)
    assert cost('{ __type(name: "NoSuchType") { name fields { name } } }') == 1


def test_aliased_introspection_over_budget_is_refused_and_stops_counting(gql: GQL) -> None:
    whole = gql(FULL_INTROSPECTION)
    assert whole.errors == []
    assert whole.body["extensions"]["cost"] == _answered(whole.data)
    copies = " ".join(
        f"s{i}: __schema {{ types {{ name fields {{ name args {{ name }} }} }} }}"
        for i in range(30)
    )
    r = gql("{ " + copies + " }")
    assert r.codes() == ["QUERY_TOO_COSTLY"]
    ext = r.errors[0]["extensions"]
    # Counting stopped past the budget: the figure is a lower bound, budget + 1.
    assert (ext["cost"], ext["budget"]) == (100_001, 100_000)
    assert r.round_trips == 0


def memoised(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return request_cost(SCHEMA, query, parse(query), variables, name)


def test_memoised_cost_equals_the_computed_one_for_every_variable_value() -> None:
    # The memo keys on the values of the variables pricing reads: a new value is priced
    # anew, an id that is no multiplier shares the figure, and 1, 1.0 and true stay apart
    # (a bool or a float counts as the cap, an int as itself).
    page = "query($n: Int, $id: ID) { companies(first: $n) { edges { node { id name } } } }"
    values: list[Any] = [10, 100, 1, 1.0, True, None, 10_000, "7", 10, 1, True]
    for n in values:
        for ident in ("a", "b"):
            v = {"n": n, "id": ident}
            assert memoised(page, v) == cost(page, v), v
    assert memoised(page, {}) == cost(page, {}) == 5 + 100 * 4  # left out: the default, 100
    assert memoised(page, {"n": 3}) == 5 + 3 * 4


def test_memoised_cost_keeps_operations_and_texts_apart() -> None:
    doc = "query A { version } query B { companies(first: 100) { edges { cursor } } }"
    for name in ("A", "B", None, "A"):
        assert memoised(doc, name=name) == cost(doc, name=name)
    other = doc.replace("100", "50")
    assert memoised(other, name="B") == 5 + 50 * 2


def test_memoised_cost_reads_variables_inside_literal_objects() -> None:
    # A literal list or object that holds variables is read whole: keyed on every variable.
    ids = 'query($a: ID!, $b: ID!) { nodes(ids: [$a, $b, "c"]) { id } }'
    assert memoised(ids, {"a": "1", "b": "2"}) == cost(ids, {"a": "1", "b": "2"}) == 2 + 3 * 1
    listed = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    for given in (["1"], ["1", "2", "3"], ["1"], []):
        assert memoised(listed, {"ids": given}) == cost(listed, {"ids": given}), given


def test_memoised_cost_with_values_json_cannot_spell_is_computed() -> None:
    from decimal import Decimal

    # A caller in code may pass what JSON cannot spell: priced each time, never memoised.
    query = "query($n: Int) { companies(first: $n) { edges { cursor } } }"
    for n in (Decimal(20), 20, Decimal(20)):
        assert memoised(query, {"n": n}) == cost(query, {"n": n})
    assert memoised(query, {"n": Decimal(20)}) == 5 + 100 * 2  # not an int: the cap
