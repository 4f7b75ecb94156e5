"""Relation fields through per-request DataLoaders: Company.contacts, nested under
subsidiaries, with masking and a round-trip bound that does not grow with the tree."""

from __future__ import annotations

from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.graphs import GROUP, PEOPLE, build

CONTACTS = "contacts(first: $first) { id name mobile }"
TREE = f"""query($id: ID!, $first: Int!) {{ company(id: $id) {{ id name {CONTACTS}
  subsidiaries {{ id name {CONTACTS} subsidiaries {{ id name {CONTACTS} }} }} }} }}"""
# company by id and, beside it, the whole tree in one statement (resolvers.relations
# .prefetch_tree primes the loaders the nested fields read).
TREE_ROUND_TRIPS = 2
# The same tree through `node`, which prefetches nothing: company by id, then per level
# subsidiaries and contacts (two loaders), and the third level's contacts.
BY_NODE = f"""query($id: ID!, $first: Int!) {{ node(id: $id) {{ ... on Company {{ id name
  {CONTACTS} subsidiaries {{ id name {CONTACTS} subsidiaries {{ id name {CONTACTS} }} }} }} }} }}"""
LOADER_ROUND_TRIPS = 6


def names(people: list[dict[str, str]]) -> list[str]:
    return [p["name"] for p in people]


def test_contacts_are_current_staff_by_name(gql: GQL, cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE)
    r = gql(TREE, {"id": "g1", "first": 20})
    g1 = r.data["company"]
    assert names(g1["contacts"]) == ["张伟", "王强", "赵敏"]
    subs = {s["id"]: s for s in g1["subsidiaries"]}
    # 李娜 left 华东机械 in 2022: an ended WORKS_AT is history, not a contact.
    assert names(subs["s1"]["contacts"]) == ["陈工"]
    assert subs["s2"]["contacts"] == []
    assert {s["id"] for s in subs["s1"]["subsidiaries"]} == {"b1", "jv"}
    assert all(s["contacts"] == [] for s in subs["s1"]["subsidiaries"])
    assert r.round_trips == TREE_ROUND_TRIPS

    assert names(gql(TREE, {"id": "g1", "first": 2}).data["company"]["contacts"]) == [
        "张伟",
        "王强",
    ]
    # One level: the tree's three at 101 (priced as 100) would cost over the budget first.
    flat = "query($id: ID!, $first: Int!) { company(id: $id) { " + CONTACTS + " } }"
    bad = gql(flat, {"id": "g1", "first": 101})
    assert bad.codes() == ["BAD_USER_INPUT"]


def test_contacts_mask_personal_data(gql: GQL, cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE)
    cypher.execute_query(
        "MATCH (p:Person {id: 'zhang'}) SET p.mobile = '+8613812345678'", database_="neo4j"
    )
    cypher.execute_query(  # the rep's own account, so only the field rules differ
        "MATCH (u:User {id: $owner}), (c:Company {id: 'g1'}) SET c:Customer MERGE (u)-[:OWNS]->(c)",
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )
    q = '{ company(id: "g1") { contacts(first: 1) { name mobile } } }'
    assert gql(q).data["company"]["contacts"] == [{"name": "张伟", "mobile": "+8613812345678"}]
    masked = gql.as_("owner")(q).data["company"]["contacts"]
    assert masked == [{"name": "张伟", "mobile": "+86138****5678"}]


def _tree(cypher: Driver, width: int) -> None:
    """A root with `width` subsidiaries, each with `width` of its own, and 3 current staff
    at every company (plus one former employee who must not show)."""
    cypher.execute_query(
        "CREATE (root:Company {id: 'root', name: 'root'}) "
        "WITH root UNWIND range(1, $w) AS i "
        "CREATE (a:Company {id: 'a' + i, name: 'a' + i})-[:SUBSIDIARY_OF {id: 'sa' + i}]->(root) "
        "WITH a, i UNWIND range(1, $w) AS j "
        "CREATE (:Company {id: 'b' + i + '-' + j, name: 'b' + i + '-' + j})"
        "-[:SUBSIDIARY_OF {id: 'sb' + i + '-' + j}]->(a) "
        "WITH count(*) AS _ MATCH (c:Company) "
        "UNWIND range(1, 3) AS k "
        "CREATE (:Person {id: c.id + '-p' + k, name: c.id + '-p' + k})"
        "-[:WORKS_AT {id: c.id + '-w' + k}]->(c) "
        "WITH DISTINCT c "
        "CREATE (:Person {id: c.id + '-old', name: c.id + '-old'})"
        "-[:WORKS_AT {id: c.id + '-wo', until: date('2020-01-01')}]->(c)",
        w=width,
        database_="neo4j",
    )


@pytest.mark.parametrize("width", [2, 6])
def test_nested_tree_costs_constant_round_trips(gql: GQL, cypher: Driver, width: int) -> None:
    _tree(cypher, width)
    r = gql(TREE, {"id": "root", "first": 20})
    root = r.data["company"]
    assert len(root["subsidiaries"]) == width
    leaves = [b for a in root["subsidiaries"] for b in a["subsidiaries"]]
    assert len(leaves) == width * width
    for c in [root, *root["subsidiaries"], *leaves]:
        assert names(c["contacts"]) == [f"{c['id']}-p{k}" for k in (1, 2, 3)]
    assert r.round_trips == TREE_ROUND_TRIPS


@pytest.mark.parametrize("persona", ["admin", "owner", "other_team", "analyst"])
def test_the_prefetched_tree_is_what_the_loaders_give(
    gql: GQL, cypher: Driver, persona: str
) -> None:
    build(cypher, GROUP, PEOPLE)
    cypher.execute_query(  # one subsidiary the rep owns, so visibility differs by persona
        "MATCH (u:User {id: $owner}), (c:Company {id: 's1'}) SET c:Customer MERGE (u)-[:OWNS]->(c)",
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )
    for first in (1, 20):
        tree = gql.as_(persona)(TREE, {"id": "g1", "first": first})
        loaded = gql.as_(persona)(BY_NODE, {"id": "g1", "first": first})
        assert tree.data["company"] == loaded.data["node"], (persona, first)
        if tree.data["company"] is not None:
            assert tree.round_trips == TREE_ROUND_TRIPS
            assert loaded.round_trips == LOADER_ROUND_TRIPS


def test_levels_asking_different_sizes_prefetch_the_subsidiaries_only(
    gql: GQL, cypher: Driver
) -> None:
    _tree(cypher, 2)
    below = """contacts(first: 1) { name }
      subsidiaries { contacts(first: 2) { name } subsidiaries { id } }"""
    r = gql('{ company(id: "root") { ' + below + " } }")
    root = r.data["company"]
    assert names(root["contacts"]) == ["root-p1"]
    assert [names(a["contacts"]) for a in root["subsidiaries"]] == [
        ["a1-p1", "a1-p2"],
        ["a2-p1", "a2-p2"],
    ]
    loaded = gql('{ node(id: "root") { ... on Company { ' + below + " } } }")
    assert loaded.data["node"] == root


def test_subsidiaries_first_caps_each_level_in_the_tree_and_the_loaders(
    gql: GQL, cypher: Driver
) -> None:
    """`first` on subsidiaries is what the cost model multiplies by: each level returns at
    most that many, by name, whether the tree statement or the loaders answer."""
    _tree(cypher, 3)
    same = "subsidiaries(first: 2) { id subsidiaries(first: 2) { id } }"
    tree = gql('{ company(id: "root") { ' + same + " } }")
    loaded = gql('{ node(id: "root") { ... on Company { ' + same + " } } }")
    root = tree.data["company"]
    assert [a["id"] for a in root["subsidiaries"]] == ["a1", "a2"]
    assert [[b["id"] for b in a["subsidiaries"]] for a in root["subsidiaries"]] == [
        ["b1-1", "b1-2"],
        ["b2-1", "b2-2"],
    ]
    assert loaded.data["node"] == root
    assert tree.round_trips == TREE_ROUND_TRIPS
    # Levels asking different sizes: the loaders answer each as asked.
    mixed = "subsidiaries(first: 1) { id subsidiaries(first: 3) { id } }"
    r = gql('{ company(id: "root") { ' + mixed + " } }")
    assert [[b["id"] for b in a["subsidiaries"]] for a in r.data["company"]["subsidiaries"]] == [
        ["b1-1", "b1-2", "b1-3"]
    ]
    parents = gql('{ company(id: "b1-1") { parents(first: 1) { id } } }')
    assert parents.data["company"]["parents"] == [{"id": "a1"}]
    assert gql('{ company(id: "root") { subsidiaries(first: 0) { id } } }').codes() == [
        "BAD_USER_INPUT"
    ]


def test_a_walk_over_too_many_companies_primes_nothing(
    gql: GQL, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import relations

    _tree(cypher, 2)
    whole = gql(TREE, {"id": "root", "first": 20})
    monkeypatch.setattr(relations, "TREE_MAX_COMPANIES", 3)
    capped = gql(TREE, {"id": "root", "first": 20})
    assert capped.data == whole.data
    assert capped.round_trips == TREE_ROUND_TRIPS + LOADER_ROUND_TRIPS - 1


# A group where the level-by-level tree statement must give what the loaders give: `z` is a
# subsidiary of the top and of `a` (levels 1 and 2), `x` of `a` and `b` (twice at level 2),
# `y` below `x` (level 3); `hid` is a customer nobody owns (hidden from a rep) with `u` below
# it; `old` hangs on an ended edge, `fut` on one not begun, `arch` is archived.
GROUP_TWICE = """
CREATE (top:Company:Customer {id: 'top', name: 'top'})
CREATE (a:Company {id: 'a', name: 'a'}), (b:Company {id: 'b', name: 'b'})
CREATE (z:Company {id: 'z', name: 'z'}), (x:Company {id: 'x', name: 'x'})
CREATE (y:Company {id: 'y', name: 'y'}), (hid:Company:Customer {id: 'hid', name: 'hid'})
CREATE (u:Company {id: 'u', name: 'u'}), (old:Company {id: 'old', name: 'old'})
CREATE (fut:Company {id: 'fut', name: 'fut'}), (o2:Company {id: 'o2', name: 'o2'})
CREATE (arch:Company {id: 'arch', name: 'arch', archivedAt: datetime()})
CREATE (a)-[:SUBSIDIARY_OF {id: 's-a'}]->(top), (b)-[:SUBSIDIARY_OF {id: 's-b'}]->(top)
CREATE (z)-[:SUBSIDIARY_OF {id: 's-z1'}]->(top), (z)-[:SUBSIDIARY_OF {id: 's-z2'}]->(a)
CREATE (x)-[:SUBSIDIARY_OF {id: 's-x1'}]->(a), (x)-[:SUBSIDIARY_OF {id: 's-x2'}]->(b)
CREATE (y)-[:SUBSIDIARY_OF {id: 's-y'}]->(x), (hid)-[:SUBSIDIARY_OF {id: 's-h'}]->(top)
CREATE (u)-[:SUBSIDIARY_OF {id: 's-u'}]->(hid), (arch)-[:SUBSIDIARY_OF {id: 's-ar'}]->(top)
CREATE (old)-[:SUBSIDIARY_OF {id: 's-o', until: date('2020-01-01')}]->(top)
CREATE (o2)-[:SUBSIDIARY_OF {id: 's-o2'}]->(old)
CREATE (fut)-[:SUBSIDIARY_OF {id: 's-f', since: date('2999-01-01')}]->(b)
WITH * MATCH (c:Company) UNWIND [3, 1, 2] AS k
CREATE (:Person {id: c.id + '-p' + k, name: c.id + '-p' + k})-[:WORKS_AT {id: c.id + '-w' + k}]->(c)
"""


def _nested(depth: int, subs: int = 5) -> str:
    """`subs` subsidiaries per level: three levels of the default 20 with 20 contacts each
    cost more than the budget (schema/cost.py)."""
    inner = "id name " + CONTACTS
    for _ in range(depth):
        inner = f"id name {CONTACTS} subsidiaries(first: {subs}) {{ {inner} }}"
    return inner


def _ids(company: dict[str, Any], depth: int) -> list[Any]:
    """The tree as nested ids, in the order the fields give them."""
    subs = company.get("subsidiaries") or []
    return [company["id"], [_ids(s, depth - 1) for s in subs]] if depth else [company["id"]]


@pytest.mark.parametrize("persona", ["admin", "owner"])
def test_the_tree_by_levels_matches_the_loaders_where_companies_recur(
    gql: GQL, cypher: Driver, persona: str
) -> None:
    build(cypher, GROUP_TWICE)
    cypher.execute_query(  # the rep owns the top, not `hid`
        "MATCH (u:User {id: $owner}), (c:Company {id: 'top'}) MERGE (u)-[:OWNS]->(c)",
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )
    seen: dict[tuple[int, int], Any] = {}
    for depth in (1, 2, 3):
        for first in (2, 20):
            variables = {"id": "top", "first": first}
            tree = gql.as_(persona)(
                "query($id: ID!, $first: Int!) { company(id: $id) { " + _nested(depth) + " } }",
                variables,
            )
            loaded = gql.as_(persona)(
                "query($id: ID!, $first: Int!) { node(id: $id) { ... on Company { "
                + _nested(depth)
                + " } } }",
                variables,
            )
            assert tree.data["company"] == loaded.data["node"], (persona, depth, first)
            assert tree.round_trips == TREE_ROUND_TRIPS
            assert loaded.round_trips > TREE_ROUND_TRIPS
            seen[(depth, first)] = tree.data["company"]
    top = seen[(3, 2)]
    assert names(top["contacts"]) == ["top-p1", "top-p2"]
    hidden = [] if persona == "owner" else [["hid", [["u", []]]]]
    assert _ids(top, 3) == [
        "top",
        [
            ["a", [["x", [["y"]]], ["z", []]]],
            ["b", [["x", [["y"]]]]],
            *hidden,
            ["z", []],
        ],
    ]
    # Every company shows its own contacts wherever it recurs, to the last level.
    a, b = top["subsidiaries"][:2]
    assert names(a["subsidiaries"][0]["subsidiaries"][0]["contacts"]) == ["y-p1", "y-p2"]
    assert a["subsidiaries"][0] == b["subsidiaries"][0]
    assert names(seen[(1, 20)]["subsidiaries"][0]["contacts"]) == ["a-p1", "a-p2", "a-p3"]
    assert "subsidiaries" not in seen[(1, 20)]["subsidiaries"][0]


# --- the summary projection of the nested lists (graph/lists.py PROJECTIONS) -------------------

# Properties outside the summary on every company and person of GROUP_TWICE, and a customer
# profile on the two customers, so a summary row and a full row differ.
DETAILS = """
MATCH (c:Company) SET c.nameEn = 'EN ' + c.id, c.phone = '+8621' + size(c.id) + '000000',
  c.industry = 'machinery', c.version = 1
WITH count(*) AS _ MATCH (c:Customer) SET c.tier = 'CORE', c.customerCode = 'C-' + c.id,
  c.customerKind = 'ENTERPRISE'
WITH count(*) AS _ MATCH (p:Person) SET p.nameEn = 'EN ' + p.id, p.officePhone = '+862155500000',
  p.mobile = '+8613812345678', p.`custom.wechat` = 'wx-' + p.id, p.version = 1
"""
# W9 as the benchmark asks it (bench/workloads.py GQL_W9), and with the summary's other keys.
W9_CONTACT = "{ id name nameEn }"
W9 = f"""query($id: ID!, $first: Int!) {{ company(id: $id) {{ id name
  contacts(first: $first) {W9_CONTACT} subsidiaries {{ id name
  contacts(first: $first) {W9_CONTACT} subsidiaries {{ id name
  contacts(first: $first) {W9_CONTACT} }} }} }} }}"""
W9_WIDER = W9.replace("{ id name", "{ __typename id name nameEn customer { tier customerCode }")


def _sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the statements sent from now on, in order."""
    from graph import db

    sent: list[str] = []
    count = db._count

    def spy(name: str) -> None:
        sent.append(name)
        count(name)

    monkeypatch.setattr(db, "_count", spy)
    return sent


def _group_with_details(cypher: Driver) -> None:
    build(cypher, GROUP_TWICE, DETAILS)
    cypher.execute_query(  # the rep owns the top, not `hid`
        "MATCH (u:User {id: $owner}), (c:Company {id: 'top'}) MERGE (u)-[:OWNS]->(c)",
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )


@pytest.mark.parametrize("persona", ["admin", "owner"])
def test_w9_projects_summaries_and_answers_as_the_full_projection(
    gql: GQL, cypher: Driver, persona: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import relations

    _group_with_details(cypher)
    sent = _sent(monkeypatch)
    as_ = gql.as_(persona)
    for query in (W9, W9_WIDER):
        for first in (2, 20):
            variables = {"id": "top", "first": first}
            sent.clear()
            slim = as_(query, variables)
            assert slim.round_trips == TREE_ROUND_TRIPS
            assert "relations.tree.d2.summary.contacts.summary" in sent, sent
            # the loaders alone (no tree through `node`) project summaries too
            sent.clear()
            by_node = as_(
                query.replace("company(id: $id) {", "node(id: $id) { ... on Company {") + " }",
                variables,
            )
            assert {"relations.subsidiaries.summary", "relations.contacts.summary"} <= set(sent)
            assert not {"relations.subsidiaries", "relations.contacts"} & set(sent), sent
            with monkeypatch.context() as forced:
                forced.setattr(relations, "projection", lambda items, fields: "full")
                sent.clear()
                full = as_(query, variables)
                assert full.round_trips == TREE_ROUND_TRIPS
                assert "relations.tree.d2.contacts" in sent, sent
            assert slim.data["company"] == full.data["company"], (persona, query, first)
            assert by_node.data["node"] == full.data["company"]
    top = as_(W9_WIDER, {"id": "top", "first": 20}).data["company"]
    assert top["customer"] == {"tier": "CORE", "customerCode": "C-top"}
    contact = top["contacts"][0]  # W9_WIDER asks the contacts for the wider summary too
    assert (contact["__typename"], contact["nameEn"], contact["customer"]) == (
        "Person",
        "EN top-p1",
        None,
    )
    a = top["subsidiaries"][0]
    assert (a["__typename"], a["nameEn"], a["customer"]) == ("Company", "EN a", None)
    shown = [s["id"] for s in top["subsidiaries"]]
    assert shown == (["a", "b", "z"] if persona == "owner" else ["a", "b", "hid", "z"])


def test_a_field_outside_the_summary_gets_the_full_row(
    gql: GQL, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.resolvers.customfields import define

    _group_with_details(cypher)
    define(gql, "PERSON", "wechat", "TEXT")
    sent = _sent(monkeypatch)
    # Only the last level's contacts ask for more than the summary: the contacts are projected
    # whole, the companies as summaries.
    deep = W9.replace(
        "contacts(first: $first) " + W9_CONTACT + " } } } }",
        "contacts(first: $first) { id name officePhone mobile custom version } } } } }",
    )
    assert deep != W9
    for persona, mobile in (("admin", "+8613812345678"), ("owner", "+86138****5678")):
        sent.clear()
        r = gql.as_(persona)(deep, {"id": "top", "first": 20})
        # A key that does not read everything reads the definitions once, to withhold a
        # REFERENCE naming a node it cannot see (resolvers/customfields.py).
        assert r.round_trips == TREE_ROUND_TRIPS + (persona != "admin")
        assert "relations.tree.d2.summary.contacts" in sent, sent
        x = r.data["company"]["subsidiaries"][0]["subsidiaries"][0]  # a > x
        assert x["contacts"][0] == {
            "id": "x-p1",
            "name": "x-p1",
            "officePhone": "+862155500000",
            "mobile": mobile,
            "custom": {"wechat": "wx-x-p1"},
            "version": 1,
        }
        # the levels above ask only the summary, and read the same full rows
        assert r.data["company"]["contacts"][0] == {
            "id": "top-p1",
            "name": "top-p1",
            "nameEn": "EN top-p1",
        }
    # The same asked through fragments on the items: still the full contacts.
    spread = (
        W9.replace(
            "contacts(first: $first) " + W9_CONTACT + " } } } }",
            "contacts(first: $first) { ... on Person { id } ...More } } } } }",
        )
        + " fragment More on Person { officePhone }"
    )
    assert spread != W9
    sent.clear()
    r = gql(spread, {"id": "top", "first": 20})
    assert r.round_trips == TREE_ROUND_TRIPS
    assert "relations.tree.d2.summary.contacts" in sent, sent
    x = r.data["company"]["subsidiaries"][0]["subsidiaries"][0]
    assert x["contacts"][0] == {"id": "x-p1", "officePhone": "+862155500000"}
    # A company field outside the summary on the second level only: the companies are
    # projected whole, and the first level, which asks less, reads those rows (no third trip).
    phone = W9.replace(
        "subsidiaries { id name\n  contacts(first: $first) " + W9_CONTACT + " } } } }",
        "subsidiaries { id name phone industry\n  contacts(first: $first) "
        + W9_CONTACT
        + " } } } }",
    )
    assert phone != W9
    sent.clear()
    r = gql(phone, {"id": "top", "first": 20})
    assert r.round_trips == TREE_ROUND_TRIPS
    assert "relations.tree.d2.contacts.summary" in sent, sent
    x = r.data["company"]["subsidiaries"][0]["subsidiaries"][0]
    assert (x["id"], x["phone"], x["industry"]) == ("x", "+86211000000", "machinery")
    assert "phone" not in r.data["company"]["subsidiaries"][0]


def test_the_projection_is_chosen_from_the_fields_on_the_items() -> None:
    from resolvers.relations import projection

    assert projection("subsidiaries", frozenset({"id", "name", "contacts", "subsidiaries"})) == (
        "summary"
    )
    assert projection("contacts", frozenset({"id", "name", "nameEn", "customer"})) == "summary"
    assert projection("contacts", frozenset()) == "summary"  # `__typename` alone, say
    assert projection("contacts", frozenset({"name", "mobile"})) == "full"
    assert projection("subsidiaries", frozenset({"name", "custom"})) == "full"
    assert projection("subsidiaries", None) == "full"
