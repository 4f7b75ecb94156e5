"""decisionTree on a project whose decision maker is swayed by a hidden influencer."""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.graphs import ACCESS_PERSONAS, answer_on_access_graph

TREE = """
query($p: ID!, $a: Date) {
  decisionTree(project: $p, asOf: $a) {
    roots uncoveredRoles riskyOpponents unconnectedDecisionMakers decisionMakersNobodyKnows
    staffTies { userId userName personId strength decisionMaker }
    stanceHistory { id projectId personId from to at by }
    map {
      nodes { id name role stance influence hidden depth title companyId x y data }
      edges { id source target type polarity }
      truncated
    }
  }
}"""


def test_decision_tree_with_hidden_influencer(gql: GQL, project_graph: None) -> None:
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
    assert t["decisionMakersNobodyKnows"] == ["zhang"]
    assert t["staffTies"] == []
    assert t["stanceHistory"] == [
        {
            "id": "sc1",
            "projectId": "proj",
            "personId": "zhao",
            "from": "NEUTRAL",
            "to": "OPPONENT",
            "at": "2026-10-01T09:00:00+08:00",
            "by": "u-owner",
        }
    ]
    assert {e["id"] for e in t["map"]["edges"]} == {"i-liu", "i-zhao", "i-wang", "r-wang", "r-zhao"}


@pytest.mark.usefixtures("project_graph")
def test_knowing_a_colleague_connects_the_decision_maker(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(
            "MATCH (u:User {id: $u}), (p:Person {id: 'wang'}) "
            "CREATE (u)-[:KNOWS {id: 'k1', strength: 0.8}]->(p)",
            u=PERSONAS["owner"]["id"],
        ).consume()
    t = gql(TREE, {"p": "proj"}).data["decisionTree"]
    assert t["unconnectedDecisionMakers"] == []


def test_decision_tree_as_of_and_unknown(gql: GQL, project_graph: None) -> None:
    old = gql(TREE, {"p": "proj", "a": "2019-01-01"}).data["decisionTree"]
    assert "exdm" in old["roots"]
    r = gql(TREE, {"p": "nope"})
    assert r.codes() == ["NOT_FOUND"]
    assert r.errors[0]["extensions"]["field"] == "project"


OWNER = PERSONAS["owner"]["id"]
OTHER = PERSONAS["other_team"]["id"]
# A second decision maker 王强 (also the technical evaluator's person) whom two of our staff
# know with stored strengths; 张伟 stays known by nobody. 赵敏 is known without a strength.
COVERAGE = """
MATCH (p:Project {id: 'proj'}), (wang:Person {id: 'wang'}), (zhao:Person {id: 'zhao'}),
      (o:User {id: $owner}), (x:User {id: $other})
MATCH (wang)-[pi:PARTICIPATES_IN]->(p) SET pi.role = 'DECISION_MAKER'
CREATE (o)-[:KNOWS {id: 'k-o-wang', strength: 0.4}]->(wang)
CREATE (x)-[:KNOWS {id: 'k-x-wang', strength: 0.9}]->(wang)
CREATE (o)-[:KNOWS {id: 'k-o-zhao'}]->(zhao)
CREATE (o)-[:KNOWS {id: 'k-o-old', strength: 1.0, until: date('2020-01-01')}]->(zhao)
"""


@pytest.mark.usefixtures("project_graph")
def test_decision_makers_nobody_on_staff_knows(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(COVERAGE, owner=OWNER, other=OTHER).consume()
    r = gql(TREE, {"p": "proj"})
    t = r.data["decisionTree"]
    assert r.round_trips == 1
    assert t["roots"] == ["zhang", "wang"]  # 张伟, 王强 in code-point order of their names
    # 张伟 is reachable through 王强's influence, yet nobody on our staff knows him directly
    assert t["unconnectedDecisionMakers"] == []
    assert t["decisionMakersNobodyKnows"] == ["zhang"]
    ties = [(x["personId"], x["userId"], x["strength"], x["decisionMaker"]) for x in t["staffTies"]]
    # decision makers first, strongest first; the ended KNOWS edge is left out
    assert ties == [
        ("wang", OTHER, 0.9, True),
        ("wang", OWNER, 0.4, True),
        ("zhao", OWNER, None, False),
    ]
    assert t["staffTies"][0]["userName"] == PERSONAS["other_team"]["name"]
    # as of 2019 the tie to 赵敏 that ended in 2020 counts, with its own stored strength
    old = gql(TREE, {"p": "proj", "a": "2019-01-01"}).data["decisionTree"]
    assert ("zhao", OWNER, 1.0) in [
        (x["personId"], x["userId"], x["strength"]) for x in old["staffTies"]
    ]


@pytest.mark.usefixtures("project_graph")
def test_stance_history_is_one_type_with_one_precision(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(
            "CREATE (:StanceChange {id: 'sc2', projectId: 'proj', personId: 'wang', "
            "from: 'NEUTRAL', to: 'SUPPORTER', by: 'u-owner', "
            "at: datetime('2026-10-02T09:00:00.123456789Z')})"
        ).consume()
    fields = "id projectId personId from to at by"
    r = gql(
        f'{{ decisionTree(project: "proj") {{ stanceHistory {{ {fields} }} }} '
        f'stanceHistory(project: "proj") {{ {fields} }} }}'
    )
    tree, query = r.data["decisionTree"]["stanceHistory"], r.data["stanceHistory"]
    # the same entries, oldest first in the tree and newest first in the query
    assert tree == list(reversed(query))
    sc2 = next(h for h in tree if h["id"] == "sc2")
    assert sc2["at"] == "2026-10-02T17:00:00.123456+08:00"  # microseconds, business zone
    assert (sc2["from"], sc2["to"]) == ("NEUTRAL", "SUPPORTER")
    types = gql(
        '{ a: __type(name: "DecisionTree") { fields { name type { ofType { ofType { ofType '
        '{ name } } } } } } b: __type(name: "StanceChange") { name } }'
    ).data
    history = next(f for f in types["a"]["fields"] if f["name"] == "stanceHistory")
    assert history["type"]["ofType"]["ofType"]["ofType"]["name"] == "StanceHistoryEntry"
    assert types["b"] is None


TREE_ALL = """
query($p: ID!) {
  decisionTree(project: $p) {
    roots uncoveredRoles riskyOpponents unconnectedDecisionMakers decisionMakersNobodyKnows
    staffTies { userId userName personId strength decisionMaker }
    stanceHistory { id projectId personId from to at by }
    map {
      nodes { id kind name role stance influence hidden depth title companyId data }
      edges { id source target type polarity strength data }
      truncated moreBeyondDepth cytoscape graphml
    }
  }
}"""


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_decision_tree_leaves_out_hidden_participants_influencers_and_ties(
    gql: GQL, access_graph: None, persona: str
) -> None:
    r = answer_on_access_graph(
        gql, persona, TREE_ALL, {"p": "x-east-project"}, centre="x-east-project"
    )
    if r is None:
        return
    t = r.data["decisionTree"]
    nodes = {n["id"]: n for n in t["map"]["nodes"]}
    ties = {(k["userId"], k["personId"]) for k in t["staffTies"]}
    owner = PERSONAS["owner"]["id"]
    if persona == "owner":
        assert set(nodes) == {"x-east-person"}
        # his newest job is at the west customer: the employer shown is the one it may see
        assert nodes["x-east-person"]["companyId"] == "x-east-co"
        assert ties == {(owner, "x-east-person")}
        assert t["stanceHistory"] == []
        assert "ECONOMIC_BUYER" in t["uncoveredRoles"]  # filled by someone it may not see
        assert t["riskyOpponents"] == []
        assert nodes["x-east-person"]["influence"] == 1.0
    else:
        assert set(nodes) == {"x-east-person", "x-cust-person", "x-west-person"}
        assert nodes["x-west-person"]["hidden"] is True
        # his job at the project's customer, not his newer one at the west customer
        assert nodes["x-east-person"]["companyId"] == "x-east-co"
        assert (PERSONAS["other_team"]["id"], "x-cust-person") in ties
        assert [h["personId"] for h in t["stanceHistory"]] == ["x-cust-person"]
        assert "ECONOMIC_BUYER" not in t["uncoveredRoles"]


# A gatekeeper with no tie to anyone in the tree, and a participant who sways only him.
OUTSIDE_THE_TREE = """
MATCH (p:Project {id: 'proj'})
CREATE (g:Person {id: 'gate', name: '门卫'})-[:PARTICIPATES_IN {id: 'pi-gate',
        role: 'GATEKEEPER', stance: 'NEUTRAL'}]->(p)
CREATE (f:Person {id: 'gate-f', name: '门卫的朋友'})-[:PARTICIPATES_IN {id: 'pi-gate-f',
        role: 'USER', stance: 'NEUTRAL'}]->(p)
CREATE (f)-[:INFLUENCES {id: 'i-gate', strength: 0.6, polarity: 'POSITIVE'}]->(g)
"""


@pytest.mark.usefixtures("project_graph")
def test_people_outside_the_decision_makers_tree_have_no_depth(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(OUTSIDE_THE_TREE).consume()
    t = gql(TREE, {"p": "proj"}).data["decisionTree"]
    assert t["roots"] == ["zhang"]
    assert [(n["id"], n["depth"]) for n in t["map"]["nodes"]] == [
        ("zhang", 0),
        ("zhao", 1),
        ("liu", 1),
        ("wang", 1),
        ("gate", None),  # after the tree, as before: it heads a tree of its own
        ("gate-f", None),  # not depth 1: nobody below a decision maker
    ]
    # Drawn in a band below the tree, not on the roots' row (tester BC read a second root).
    y = {n["id"]: n["y"] for n in t["map"]["nodes"]}
    assert y["gate"] > y["wang"] > y["zhang"]
    assert y["gate-f"] > y["gate"]
