"""Relation fields through per-request DataLoaders: Company.contacts, nested under
subsidiaries, with masking and a round-trip bound that does not grow with the tree."""

from __future__ import annotations

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
    bad = gql(TREE, {"id": "g1", "first": 101})
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
