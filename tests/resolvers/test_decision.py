"""decisionTree on a project whose decision maker is swayed by a hidden influencer."""

from __future__ import annotations

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.graphs import GROUP, PEOPLE, PROJECT, build

TREE = """
query($p: ID!, $a: Date) {
  decisionTree(project: $p, asOf: $a) {
    roots uncoveredRoles riskyOpponents unconnectedDecisionMakers
    stanceHistory { personId from to at by }
    map {
      nodes { id name role stance influence hidden depth title companyId x y data }
      edges { id source target type polarity }
      truncated
    }
  }
}"""


def test_decision_tree_with_hidden_influencer(gql: GQL, cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE, PROJECT)
    r = gql(TREE, {"p": "proj"})
    t = r.data["decisionTree"]
    assert r.round_trips == 1
    assert t["roots"] == ["zhang"]  # the former decision maker's part ended in 2020
    nodes = {n["id"]: n for n in t["map"]["nodes"]}
    assert set(nodes) == {"zhang", "wang", "zhao", "liu"}  # 陈工's influence is for another project
    assert nodes["liu"]["hidden"] is True
    assert nodes["liu"]["role"] is None
    assert nodes["zhao"]["hidden"] is False
    # children of the decision maker: project-scoped influence first, then general by strength
    assert [n["id"] for n in t["map"]["nodes"]] == ["zhang", "zhao", "liu", "wang"]
    assert {n["id"]: n["depth"] for n in t["map"]["nodes"]} == {
        "zhang": 0,
        "zhao": 1,
        "liu": 1,
        "wang": 1,
    }
    assert nodes["zhao"]["influence"] > 0
    assert max(n["influence"] for n in nodes.values()) == 1.0
    assert (nodes["wang"]["title"], nodes["wang"]["companyId"]) == ("技术总监", "g1")
    assert nodes["zhao"]["data"]["concerns"] == "budget"
    assert nodes["zhao"]["data"]["stanceHistory"][0]["to"] == "OPPONENT"
    assert nodes["zhang"]["y"] < nodes["liu"]["y"]
    assert t["uncoveredRoles"] == ["ECONOMIC_BUYER", "USER", "CHAMPION"]
    assert "zhao" in t["riskyOpponents"]
    assert "wang" not in t["riskyOpponents"]
    assert t["unconnectedDecisionMakers"] == ["zhang"]  # nobody on our staff knows anyone
    assert t["stanceHistory"] == [
        {
            "personId": "zhao",
            "from": "NEUTRAL",
            "to": "OPPONENT",
            "at": "2026-10-01T09:00:00+08:00",
            "by": "u-owner",
        }
    ]
    assert {e["id"] for e in t["map"]["edges"]} == {"i-liu", "i-zhao", "i-wang", "r-wang", "r-zhao"}


def test_knowing_a_colleague_connects_the_decision_maker(gql: GQL, cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE, PROJECT)
    with cypher.session(database="neo4j") as s:
        s.run(
            "MATCH (u:User {id: $u}), (p:Person {id: 'wang'}) "
            "CREATE (u)-[:KNOWS {id: 'k1', strength: 0.8}]->(p)",
            u=PERSONAS["owner"]["id"],
        ).consume()
    t = gql(TREE, {"p": "proj"}).data["decisionTree"]
    assert t["unconnectedDecisionMakers"] == []


def test_decision_tree_as_of_and_unknown(gql: GQL, cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE, PROJECT)
    old = gql(TREE, {"p": "proj", "a": "2019-01-01"}).data["decisionTree"]
    assert "exdm" in old["roots"]
    r = gql(TREE, {"p": "nope"})
    assert r.codes() == ["NOT_FOUND"]
    assert r.errors[0]["extensions"]["field"] == "project"
