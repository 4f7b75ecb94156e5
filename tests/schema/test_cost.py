"""Query cost (schema/cost.py): computed from the document and variables before anything
runs, reported in `extensions.cost`, refused over the budget with QUERY_TOO_COSTLY."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    graphql_sync,
    is_leaf_type,
    is_list_type,
    parse,
)

from neo4j import Driver
from schema import build_schema
from schema import cost as pricing
from schema.base import enum_labels_table
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
        assert isinstance(owner, GraphQLObjectType | GraphQLInterfaceType), type_name
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


# --- Every list is priced ---------------------------------------------------------------------
BUDGET = 100_000

# Lists that need no entry in COSTS: so short that a multiplier would change nothing, or already
# counted by the field above them. Keep it short; everything else is priced.
TINY: dict[tuple[str, str], str] = {
    # One next step per record: its id is derived from the record's (graph/records.py).
    ("Interaction", "followUps"): "at most 1",
    # The one change request an update filed, or none (resolvers/review.py).
    ("CompanyPayload", "changeRequests"): "at most 1",
    ("PersonPayload", "changeRequests"): "at most 1",
    ("UpsertCompanyPayload", "changeRequests"): "at most 1",
    ("UpsertPersonPayload", "changeRequests"): "at most 1",
    # One per hop, and a few nodes and edges per hop: warmIntroPaths multiplies what each path
    # selects by `maxHops` already.
    ("IntroPath", "hops"): "maxHops",
    ("IntroPath", "nodes"): "maxHops",
    ("IntroPath", "edges"): "maxHops",
}
# Lists of these items anywhere: a payload's errors, one per problem in its input, flat rows.
TINY_ITEMS = {"UserError"}


def _is_list(field: GraphQLField) -> bool:
    return is_list_type(get_nullable_type(field.type))


def _fields() -> list[tuple[str, str, GraphQLField]]:
    return [
        (type_name, field_name, field)
        for type_name, owner in SCHEMA.type_map.items()
        if not type_name.startswith("__")
        and isinstance(owner, GraphQLObjectType | GraphQLInterfaceType)
        for field_name, field in owner.fields.items()
    ]


def _sized(type_name: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a type is a page (a connection, a map, a tree): returned only as a single value,
    by priced fields that multiply (or by fields of pages), so those fields' multiplier is the
    size of its own lists (`nodes`, `edges`)."""
    returning = [
        (owner, name, field)
        for owner, name, field in _fields()
        if get_named_type(field.type).name == type_name
    ]
    if not returning or type_name in seen:
        return False

    def multiplies(owner: str, name: str) -> bool:
        price = COSTS.get((owner, name))
        return price is not None and (price.size > 1 or bool(price.multipliers))

    return all(
        not _is_list(field) and (multiplies(owner, name) or _sized(owner, seen | {type_name}))
        for owner, name, field in returning
    )


def test_every_list_field_is_priced_by_its_size() -> None:
    """A list nobody priced multiplied nothing: nested under it, anything ran at the price of
    one item (`company { subsidiaries { parents { ... } } }` at 11 levels cost 36 and answered
    3.8 MB). Each list is in COSTS, is a page's own list (`nodes`, `edges` of a connection or a
    map, which the field returning the page multiplies), is in TINY, or holds leaves: a list of
    scalars or enums selects nothing a multiplier could multiply."""
    unpriced = []
    for type_name, field_name, field in _fields():
        if not _is_list(field) or (type_name, field_name) in COSTS:
            continue
        item = get_named_type(field.type)
        if is_leaf_type(item) or item.name in TINY_ITEMS or (type_name, field_name) in TINY:
            continue
        if not _sized(type_name):
            unpriced.append(f"{type_name}.{field_name}: {field.type}")
    assert unpriced == []


def test_tiny_lists_are_lists_and_not_priced() -> None:
    for type_name, field_name in TINY:
        owner = SCHEMA.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType), type_name
        assert _is_list(owner.fields[field_name]), (type_name, field_name)
        assert (type_name, field_name) not in COSTS, (type_name, field_name)


def test_caps_stated_in_the_cost_map_are_those_of_graph() -> None:
    """schema/ never imports graph/: the caps of graph/ statements are restated in
    schema/cost.py, and held to their source here."""
    from graph import (
        apikey,
        classification,
        customfields,
        funnel,
        handover,
        intelligence,
        merge,
        nodes,
        outreach,
        pipeline,
        plans,
        privacy,
        records,
        related,
        relations,
        review,
        share,
        team,
    )
    from graph.vocab import CHANNELS
    from resolvers import args

    assert pricing.API_KEYS == apikey.MAX_KEYS_PER_USER
    assert args.MAX_PAGE == relations.MAX_ITEMS  # `first` on parents and subsidiaries
    assert pricing.SHARES == share.MAX_ITEMS
    assert pricing.REQUEST_EVENTS == nodes.MAX_REQUEST_EVENTS
    served = sum(len(v) for v in enum_labels_table().values())
    assert served <= pricing.ENUM_LABEL_ROWS < served + 200  # a bound, not a guess
    assert pricing.TEAM_CHILDREN == team.MAX_ITEMS
    assert pricing.PENDING_CHANGES == review.MAX_PENDING_PER_NODE
    assert pricing.CONSENTS == privacy.CONSENT_HISTORY
    assert pricing.CONDITIONS == classification.MAX_CONDITIONS
    assert pricing.RULES_PER_DIMENSION == classification.MAX_RULES
    assert pricing.CUSTOM_FIELDS == customfields.MAX_PER_KIND
    assert pricing.MISFITS == customfields.MAX_MISFITS
    assert pricing.RECORD_CONTACTS == records.MAX_CONTACTS
    assert pricing.RECORD_STAFF == records.MAX_STAFF
    assert pricing.ORDER_LINES == records.MAX_LINES
    assert len(records.WINDOWS) == pricing.PURCHASE_WINDOWS
    assert max(len(c) for c in CHANNELS.values()) == pricing.CHANNELS_PER_LABEL
    assert sum(len(c) for c in CHANNELS.values()) == pricing.VERIFICATION_RULES
    assert "LIMIT 5 } AS contactsLeft" in intelligence.EXTRACT.text
    assert "LIMIT 5 } AS newIncumbents" in " ".join(intelligence.EXTRACT.text.split())
    assert pricing.SIGNAL_NAMES == 5
    assert pricing.FORECAST_MONTHS == funnel.MAX_MONTHS
    assert pricing.DEAL_PEOPLE == pipeline.MAX_PARTICIPANTS
    assert pricing.OPEN_DEALS == pipeline.MAX_OPEN_PER_ACCOUNT
    assert pricing.HAND_OVER_ACCOUNTS == handover.MAX_ACCOUNTS
    assert pricing.HAND_OVER_PROJECTS == handover.MAX_PROJECTS
    assert pricing.HAND_OVER_FOLLOW_UPS == handover.MAX_FOLLOW_UPS
    assert pricing.KEY_PEOPLE == handover.MAX_KEY_PEOPLE
    assert pricing.PLAN_ROWS == plans.MAX_ROWS
    assert pricing.PLANS_SAVED == plans.MAX_SAVE
    assert pricing.COMPANY_RECIPIENTS == outreach.MAX_PER_COMPANY
    assert pricing.TEMPLATES == outreach.MAX_TEMPLATES
    assert pricing.AUDIENCES == outreach.MAX_AUDIENCES
    assert max(len(t) for t in merge.MOVED_TYPES.values()) == pricing.MERGED_TYPES
    assert pricing.PATHS_PER_QUERY == related.PATHS_PER_QUERY


def test_a_change_request_holds_at_most_the_fields_of_one_update() -> None:
    """CHANGE_FIELDS allows 50 for a Company's or Person's own fields (and the customer
    profile's, and the customer role itself), besides its custom fields."""
    profile = SCHEMA.get_type("CustomerProfileInput")
    assert isinstance(profile, GraphQLInputObjectType)
    for name in ("UpdateCompanyInput", "UpdatePersonInput"):
        update = SCHEMA.get_type(name)
        assert isinstance(update, GraphQLInputObjectType)
        assert len(update.fields) + len(profile.fields) + 1 <= 50, name
    assert pricing.CHANGE_FIELDS == 50 + pricing.CUSTOM_FIELDS


def _levels(names: list[str], inner: str, each: str = "") -> str:
    """`a { each b { each ... inner } }`: each of `names` nested in the one before."""
    for name in reversed(names):
        inner = f"{name} {{ {each}{inner} }}"
    return inner


def _nested_cost(levels: int, own: int, size: int, per_level: int, leaf: int) -> int:
    """What `levels` nested lists cost, each `own + size × (per_level + the one below)`."""
    total = leaf
    for _ in range(levels):
        total = own + size * (per_level + total)
    return total


ALTERNATING = ["subsidiaries", "parents"] * 5 + ["subsidiaries"]  # 11 levels
TREE_LEVELS = '{ company(id: "c1") { id name ' + _levels(ALTERNATING, "", "id name ") + " } }"


def test_the_testers_queries_cost_what_the_formula_says() -> None:
    """An outside test found lists missing from the cost map: nesting under them got around
    the budget."""
    # 11 levels of subsidiaries and parents: 36 before, and 3.8 MB answered.
    each = COSTS["Company", "subsidiaries"]
    assert COSTS["Company", "parents"] == each
    assert each.multipliers == (("first", 100),)
    default = 20  # `first` left out (schema/company.py GROUP_DEFAULT)
    exact = 1 + 2 + _nested_cost(11, each.cost, default, 2, 0)  # 4.5 × 10^14
    assert cost(TREE_LEVELS) == min(exact, pricing.MAX_FIGURE) > BUDGET
    # Three levels of 100 go over already (graph/relations.py holds 100 per list); of the
    # default 20 they pass, and of 100 two levels do.
    three = '{ company(id: "c1") { ' + _levels(ALTERNATING[:3], "id") + " } }"
    assert cost(three) == 1 + _nested_cost(3, 2, default, 0, 1) < BUDGET
    hundred = ["subsidiaries(first: 100)", "parents(first: 100)"] * 2
    three = '{ company(id: "c1") { ' + _levels(hundred[:3], "id") + " } }"
    assert cost(three) == 1 + _nested_cost(3, 2, 100, 0, 1) > BUDGET
    two = '{ company(id: "c1") { ' + _levels(hundred[:2], "id name") + " } }"
    assert cost(two) == 1 + 2 + 100 * (2 + 100 * 2) < BUDGET

    # The timeline's records' customers' contacts: 205 before, as the same page of companies
    # (20,305) costs, and 100 more for the customer each record names.
    contacts = "contacts(first: 100) { id name }"
    timeline = (
        '{ timeline(party: "c1", first: 100) { nodes { customer { ... on Company { '
        + contacts
        + " } } } } }"
    )
    companies = "{ companies(first: 100) { nodes { " + contacts + " } } }"
    assert cost(companies) == 5 + 100 * (1 + 2 + 100 * 2) == 20_305
    assert cost(timeline) == 5 + 100 * (1 + 1 + 2 + 100 * 2) == 20_405
    # A record's own contacts and staff: ≤ 20 and ≤ 10, through the interface or a type.
    people = "contacts { id name } staff { id name }"
    own = '{ timeline(party: "c1", first: 100) { nodes { ' + people + " } } }"
    per_record = 1 + (1 + 20 * 2) + (1 + 10 * 2)
    assert cost(own) == 5 + 100 * per_record
    typed = '{ timeline(party: "c1", first: 100) { nodes { ... on Order { ' + people + " } } } }"
    assert cost(typed) == cost(own)

    # The timeline, then 5 levels of subsidiaries and parents: 18 before, and 486 KB answered.
    deep = (
        '{ timeline(party: "c1", first: 100) { nodes { customer { ... on Company { '
        + _levels(ALTERNATING[:5], "id name")
        + " } } } } }"
    )
    below = _nested_cost(5, 2, 20, 0, 2)
    assert cost(deep) == 5 + 100 * (1 + 1 + below) > BUDGET


def test_lists_by_first_are_capped_where_their_resolver_caps_them() -> None:
    for field, cap in (("followUps", 100), ("products", 100), ("changeRequests", 100)):
        page = "query($n: Int!) { " + field + "(first: $n) { nodes { id } } }"
        assert cost(page, {"n": 10}) == 5 + 10 * 2, field
        assert cost(page, {"n": 10_000}) == 5 + cap * 2, field
    search = 'query($n: Int!) { knowledgeSearch(text: "x", first: $n) { nodes { id } } }'
    assert cost(search, {"n": 10_000}) == 5 + 100 * 2
    jobs = "{ outreachJobs { id } }"  # the default, 50; up to 500
    assert cost(jobs) == 2 + 50 * 1
    assert cost("{ outreachJobs(first: 5000) { id } }") == 2 + 500 * 1
    teams = "{ teams { id members { id } } }"  # both default: 100 teams, 50 members each
    assert cost(teams) == 2 + 100 * (1 + 2 + 50 * 1)


# The tester's 11 levels, each asking 100: 2 × 10^22 before saturation.
WIDE = [f"{name}(first: 100)" for name in ALTERNATING]
WIDE_LEVELS = '{ company(id: "c1") { id name ' + _levels(WIDE, "", "id name ") + " } }"


def test_costs_saturate_where_json_clients_still_read_them_exactly() -> None:
    assert pricing.MAX_FIGURE == 2**53 - 1
    assert cost(WIDE_LEVELS) == pricing.MAX_FIGURE
    deeper = '{ company(id: "c1") { ' + _levels(ALTERNATING * 4, "id") + " } }"
    assert cost(deeper) == pricing.MAX_FIGURE
    aliased = (
        "{ "
        + " ".join(f'a{i}: company(id: "c{i}") {{ ' + _levels(WIDE, "id") + " }" for i in range(3))
        + " }"
    )
    assert cost(aliased) == pricing.MAX_FIGURE


def test_nested_subsidiaries_are_refused_before_any_cypher(gql: GQL) -> None:
    """The figure is an integer JSON can carry: 2 × 10^22 was a 500 from the serializer."""
    r = gql(WIDE_LEVELS)
    assert r.codes() == ["QUERY_TOO_COSTLY"]
    assert r.errors[0]["extensions"]["cost"] == pricing.MAX_FIGURE
    assert r.errors[0]["message"].startswith("The query costs more than can be counted;")
    assert r.body["extensions"]["cost"] == pricing.MAX_FIGURE
    assert r.round_trips == 0


def test_an_argument_naming_one_kind_prices_that_kind_only() -> None:
    """All dimensions' rules are 4 × 500; one dimension's, 500 (an admin's rules page with
    their conditions cost 132,002 and was refused)."""
    rules = "query($d: ClassificationDimension) { classificationRules(dimension: $d) { id } }"
    everything = pricing.RULES_PER_DIMENSION * len(pricing.classification.Dimension)
    assert cost(rules) == 2 + everything * 1
    assert cost(rules, {"d": "TRADE"}) == 2 + pricing.RULES_PER_DIMENSION * 1
    assert cost("{ classificationRules(dimension: TRADE) { id } }") == 2 + 500
    kinds = "query($k: CustomFieldKind) { customFieldDefinitions(kind: $k) { key } }"
    assert cost(kinds) == 2 + pricing.CUSTOM_FIELDS * len(pricing.customfields.KIND_OF_LABEL)
    assert cost(kinds, {"k": "COMPANY"}) == 2 + pricing.CUSTOM_FIELDS
    described = COSTS["Query", "classificationRules"].describe()
    assert described == f"2 + {everything} (all, 500 with `dimension`) × its subfields"


SAVED_THEN_REFUSED = """mutation($n: Int!) { a: createCompany(input: {name: "单个保存测试甲"}) {
  company { id } errors { code } }
  b: createCompany(input: {name: "单个保存测试乙"}) {
  company { id ... on Company { contacts(first: $n) { id } } } errors { code } } }"""


def test_a_mutation_selecting_a_page_out_of_range_is_refused_before_it_writes(
    gql: GQL, cypher: Driver
) -> None:
    """Tester BB: `parents(first: 0)` under createCompany's payload was refused after the
    company was saved; the client read `company: null`, "nothing ran", and retried."""
    for n in (0, 101):
        r = gql(SAVED_THEN_REFUSED, {"n": n})
        assert r.codes() == ["BAD_USER_INPUT"]
        assert r.errors[0]["extensions"]["field"] == "first"
        assert r.body.get("data") is None
        assert r.round_trips == 0
    inline = gql(
        'mutation { createCompany(input: {name: "单个保存测试丙"}) { company { id '
        "parents(first: 0) { id } } errors { code } } }"
    )
    assert inline.codes() == ["BAD_USER_INPUT"]
    saved = cypher.execute_query(
        "MATCH (c:Company) WHERE c.name STARTS WITH '单个保存测试' RETURN count(c) AS n",
        database_="neo4j",
    ).records[0]["n"]
    assert saved == 0
    ok = gql(SAVED_THEN_REFUSED, {"n": 100})
    assert ok.data["b"]["company"]["contacts"] == []
