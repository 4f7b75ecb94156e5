"""influenceRanking over a project and over a group."""

from __future__ import annotations

import pytest

from neo4j import Driver
from resolvers.masking import WITHHELD_TEXT
from tests.conftest import GQL
from tests.resolvers.graphs import ACCESS_PERSONAS, answer_on_access_graph

RANK = """
query($s: ID!, $f: Int) {
  influenceRanking(scope: $s, first: $f) {
    rank score betweenness explanation person { id name title influence }
  }
}"""


def test_influence_ranking_of_a_project(gql: GQL, project_graph: None) -> None:
    r = gql(RANK, {"s": "proj"})
    ranks = r.data["influenceRanking"]
    assert r.round_trips == 1
    # participants (the former decision maker's part has ended) and the hidden influencer
    assert {x["person"]["id"] for x in ranks} == {"zhang", "wang", "zhao", "liu"}
    assert [x["rank"] for x in ranks] == [1, 2, 3, 4]
    assert ranks[0]["person"]["id"] == "zhang"
    assert ranks[0]["score"] == 1.0
    assert ranks[0]["person"]["title"] == "总经理"
    scores = [x["score"] for x in ranks]
    assert scores == sorted(scores, reverse=True)
    liu = next(x for x in ranks if x["person"]["id"] == "liu")
    assert "negative influence on 1: 张伟 (0.9)" in liu["explanation"]
    # 王强 both influences (0.7) and reports to 张伟: told apart, with the stored strength
    wang = next(x for x in ranks if x["person"]["id"] == "wang")
    assert "influences 1: 张伟 (0.7)" in wang["explanation"]
    assert "manages" not in wang["explanation"]
    zhang = ranks[0]["explanation"]
    assert "manages 1 directly: 王强" in zhang
    assert "manages 1 on a dotted line: 赵敏" in zhang
    zhang = ranks[0]
    assert zhang["betweenness"] > 0  # everyone's ties run through the decision maker


def test_influence_ranking_of_a_group_and_errors(gql: GQL, project_graph: None) -> None:
    ranks = gql(RANK, {"s": "g1", "f": 10}).data["influenceRanking"]
    assert {x["person"]["id"] for x in ranks} == {"zhang", "wang", "zhao", "chen"}
    # Influence limited to a project counts in that project only (tester AU).
    by_id = {x["person"]["id"]: x for x in ranks}
    assert "influences 1" not in by_id["chen"]["explanation"]
    assert "negative influence" not in by_id["zhao"]["explanation"]
    assert "influences 1: 张伟 (0.7)" in by_id["wang"]["explanation"]
    assert len(gql(RANK, {"s": "g1", "f": 2}).data["influenceRanking"]) == 2
    bad = gql(RANK, {"s": "nope"})
    assert bad.codes() == ["NOT_FOUND"]
    assert bad.errors[0]["extensions"]["field"] == "scope"
    assert gql(RANK, {"s": "g1", "f": 0}).codes() == ["BAD_USER_INPUT"]


RANK_ALL = """
query($s: ID!) {
  influenceRanking(scope: $s, first: 100) {
    rank score betweenness explanation person { id name title companyId influence data }
  }
}"""


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_influence_ranking_is_computed_over_the_visible_people_only(
    gql: GQL, access_graph: None, persona: str
) -> None:
    for scope in ("x-east-co", "x-east-project"):
        r = answer_on_access_graph(gql, persona, RANK_ALL, {"s": scope}, centre=scope)
        if r is None:
            continue
        ranks = r.data["influenceRanking"]
        people = {x["person"]["id"] for x in ranks}
        if persona == "owner":
            # Alone in the visible scope: rank 1 of 1, whatever the hidden influencers add.
            assert people == {"x-east-person"}
            assert ranks[0]["explanation"].startswith("rank 1 of 1")
        else:
            assert {"x-east-person", "x-cust-person"} <= people
            if persona == "analyst":  # explanations name people: withheld from this role
                assert {x["explanation"] for x in ranks} == {WITHHELD_TEXT}
            else:
                assert ranks[0]["explanation"].startswith(f"rank 1 of {len(people)}")


# Each also works at the supplier 精工钢材, more recently: the map's company decides the title.
TWO_JOBS = """
MATCH (g1:Company {id: 'g1'}), (s1:Company {id: 's1'}), (m:Company {id: 'm'})
CREATE (a:Person {id: 'two-a', name: '双职甲'})
CREATE (a)-[:WORKS_AT {id: 'two-a1', title: '顾问', since: date('2015-01-01')}]->(g1)
CREATE (a)-[:WORKS_AT {id: 'two-a2', title: '销售', since: date('2020-01-01')}]->(m)
CREATE (b:Person {id: 'two-b', name: '双职乙'})
CREATE (b)-[:WORKS_AT {id: 'two-b1', title: '工程师', since: date('2010-01-01')}]->(s1)
CREATE (b)-[:WORKS_AT {id: 'two-b2', title: '销售', since: date('2021-01-01')}]->(m)
"""


def test_influence_ranking_titles_are_at_the_scope_company(
    gql: GQL, cypher: Driver, project_graph: None
) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(TWO_JOBS).consume()
    ranks = gql(RANK_ALL, {"s": "g1"}).data["influenceRanking"]
    people = {x["person"]["id"]: x["person"] for x in ranks}
    assert (people["two-a"]["title"], people["two-a"]["companyId"]) == ("顾问", "g1")
    # a subsidiary is in the scope too
    assert (people["two-b"]["title"], people["two-b"]["companyId"]) == ("工程师", "s1")
    assert (people["zhang"]["title"], people["zhang"]["companyId"]) == ("总经理", "g1")


def test_a_projects_people_are_titled_at_its_customer(
    gql: GQL, cypher: Driver, project_graph: None
) -> None:
    """A project's map shows each person's title at the project's customer, not a later job
    elsewhere (the influence ranking of a project, and its decision tree)."""
    cypher.execute_query(
        "MATCH (z:Person {id: 'zhang'})-[w:WORKS_AT {id: 'w-zhang'}]->(), (m:Company {id: 'm'}) "
        "SET w.since = date('2010-01-01') "
        "CREATE (z)-[:WORKS_AT {id: 'w-zhang-later', title: '独立董事', "
        "since: date('2024-01-01')}]->(m)"
    )
    ranks = gql(RANK_ALL, {"s": "proj"}).data["influenceRanking"]
    zhang = next(x["person"] for x in ranks if x["person"]["id"] == "zhang")
    assert (zhang["title"], zhang["companyId"]) == ("总经理", "g1")
    tree = gql('{ decisionTree(project: "proj") { map { nodes { id title data } } } }').data[
        "decisionTree"
    ]
    node = next(n for n in tree["map"]["nodes"] if n["id"] == "zhang")
    assert node["title"] == "总经理"
