"""Field rules per persona through the real app (R21, R22): every place a person's values can
appear is masked for SALES, shown to MANAGER and ADMIN, and anonymised for ANALYST."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx
import pytest

from neo4j import Driver
from resolvers.masking import Guards
from settings import Settings
from tests.conftest import GQL, PERSONAS
from tests.resolvers.graphs import GROUP, PEOPLE, PROJECT
from tests.resolvers.graphs import build as build_graph

MOBILE, MOBILE_MASKED = "+8613812345678", "+86138****5678"
ID_NUMBER, ID_MASKED = "11010519491231002X", "1101**********002X"
EMAIL = "zhang@example.com"
# A property the schema does not know (e.g. a future ciphertext): never shown to anyone.
UNKNOWN = "CIPHERTEXT-never-shown"
# Values only named viewers may see.
NAMED_ONLY = ("张伟", "李娜", "Zhang Wei", EMAIL, "老同学", "工程师")

GRAPH = """
CREATE (c:Company {id: 'acme', name: '华星科技', version: 1, createdAt: datetime(),
        updatedAt: datetime()})
CREATE (z:Person:Customer {id: 'zhang', name: '张伟', nameEn: 'Zhang Wei', mobile: $mobile,
        idNumber: $idNumber, email: $email, occupation: '工程师', secretCipher: $unknown,
        customerKind: 'INDIVIDUAL', version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (l:Person:Customer {id: 'li', name: '李娜', mobile: '+8613900001111',
        customerKind: 'INDIVIDUAL', version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (z)-[:WORKS_AT {id: 'w-zhang', title: '总经理', secretCipher: $unknown}]->(c)
CREATE (l)-[:WORKS_AT {id: 'w-li', title: '财务经理'}]->(c)
CREATE (l)-[:INFLUENCES {id: 'i-li', strength: 0.8, polarity: 'POSITIVE', basis: '老同学',
        secretCipher: $unknown}]->(z)
WITH z, l
MATCH (u:User {id: $owner})
CREATE (u)-[:OWNS {id: 'o-zhang'}]->(z), (u)-[:OWNS {id: 'o-li'}]->(l)
"""

PERSON = "id name nameEn mobile idNumber email occupation"
QUERIES = {
    "person": f'{{ person(id: "zhang") {{ {PERSON} }} }}',
    "node": f'{{ node(id: "zhang") {{ ... on Person {{ {PERSON} }} }} }}',
    "people": f"{{ people(first: 10) {{ edges {{ node {{ {PERSON} }} }} }} }}",
    "contacts": f'{{ company(id: "acme") {{ contacts(first: 10) {{ {PERSON} }} }} }}',
    "search": f'{{ search(text: "张伟") {{ kind name node {{ ... on Person {{ {PERSON} }} }} }} }}',
    "contactMap": '{ contactMap(company: "acme") { nodes { id kind name nameEn data } '
    "edges { type data } cytoscape graphml } }",
}


def build(cypher: Driver) -> None:
    cypher.execute_query(
        GRAPH,
        mobile=MOBILE,
        idNumber=ID_NUMBER,
        email=EMAIL,
        unknown=UNKNOWN,
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )


def answers(gql: GQL, persona: str) -> dict[str, Any]:
    return {name: gql.as_(persona)(q).data for name, q in QUERIES.items()}


def merge(gql: GQL, persona: str) -> dict[str, Any]:
    r = gql.as_(persona)(
        "mutation($i: MergeInput!) { mergePeople(input: $i) { errors { code } "
        f"survivor {{ ... on Person {{ {PERSON} }} }} }} }}",
        {"i": {"survivor": "zhang", "merged": ["li"]}},
    )
    payload: dict[str, Any] = r.data["mergePeople"]
    assert payload["errors"] == []
    return payload


def zhang_in_map(data: dict[str, Any]) -> dict[str, Any]:
    nodes = data["contactMap"]["nodes"]
    found: dict[str, Any] = next(n for n in nodes if n["id"] == "zhang")
    return found


def test_sales_sees_masked_mobile_and_id_number_everywhere(gql: GQL, cypher: Driver) -> None:
    build(cypher)
    got = answers(gql, "owner")
    text = json.dumps(got, ensure_ascii=False)
    assert MOBILE not in text
    assert ID_NUMBER not in text
    assert UNKNOWN not in text
    zhang = got["person"]["person"]
    assert zhang["mobile"] == MOBILE_MASKED
    assert zhang["idNumber"] == ID_MASKED
    assert zhang["name"] == "张伟"
    assert zhang["email"] == EMAIL
    assert got["node"]["node"] == zhang
    assert zhang in [e["node"] for e in got["people"]["people"]["edges"]]
    assert zhang in got["contacts"]["company"]["contacts"]
    assert got["search"]["search"][0]["node"] == zhang
    # The map: names and the influence's basis are shown; unknown properties are not.
    assert zhang_in_map(got["contactMap"])["data"]["occupation"] == "工程师"
    influence = next(
        e for e in got["contactMap"]["contactMap"]["edges"] if e["type"] == "INFLUENCES"
    )
    assert influence["data"]["basis"] == "老同学"
    assert "secretCipher" not in influence["data"]
    # The mutation payload is masked too (it once leaked: issue 12).
    survivor = merge(gql, "owner")["survivor"]
    assert survivor["mobile"] == MOBILE_MASKED
    assert survivor["idNumber"] == ID_MASKED


@pytest.mark.parametrize("persona", ["manager_above", "admin"])
def test_manager_and_admin_see_full_values(gql: GQL, cypher: Driver, persona: str) -> None:
    build(cypher)
    got = answers(gql, persona)
    zhang = got["person"]["person"]
    assert zhang["mobile"] == MOBILE
    assert zhang["idNumber"] == ID_NUMBER
    assert got["search"]["search"][0]["node"] == zhang
    assert zhang in got["contacts"]["company"]["contacts"]
    text = json.dumps(got, ensure_ascii=False)
    assert UNKNOWN not in text
    assert "secretCipher" not in text
    survivor = merge(gql, persona)["survivor"]
    assert survivor["mobile"] == MOBILE
    assert survivor["idNumber"] == ID_NUMBER


def test_analyst_sees_pseudonyms_and_no_contact_details(
    gql: GQL, cypher: Driver, settings: Settings
) -> None:
    build(cypher)
    got = answers(gql, "analyst")
    text = json.dumps(got, ensure_ascii=False)
    for value in (*NAMED_ONLY, MOBILE, ID_NUMBER, UNKNOWN, "13812345678", "13900001111"):
        assert value not in text, value
    alias = Guards(settings.pseudonym_key).pseudonym("zhang")
    zhang = got["person"]["person"]
    assert zhang == {
        "id": "zhang",
        "name": alias,
        "nameEn": None,
        # Not even masked: beside a pseudonym, part of a number still singles one out.
        "mobile": None,
        "idNumber": None,
        "email": None,
        "occupation": None,
    }
    # A search for the real name finds no one: a hit would confirm who the pseudonym is.
    assert got["search"]["search"] == []
    # Maps still work: the same people and ties, pseudonymised, in every form.
    graph_map = got["contactMap"]["contactMap"]
    assert {n["id"] for n in graph_map["nodes"]} == {"acme", "zhang", "li"}
    assert zhang_in_map(got["contactMap"])["name"] == alias
    assert "occupation" not in zhang_in_map(got["contactMap"])["data"]
    assert {e["type"] for e in graph_map["edges"]} == {"WORKS_AT", "INFLUENCES"}
    cyto = {n["data"]["id"]: n["data"] for n in graph_map["cytoscape"]["elements"]["nodes"]}
    assert cyto["zhang"]["name"] == alias
    assert cyto["acme"]["name"] == "华星科技"
    graphml = nx.parse_graphml(graph_map["graphml"])
    assert graphml.nodes["zhang"]["name"] == alias
    assert graphml.nodes["acme"]["name"] == "华星科技"
    # GraphML escapes Chinese as character references: check its parsed text as well.
    parsed = json.dumps([*graphml.nodes(data=True), *graphml.edges(data=True)], ensure_ascii=False)
    for value in (*NAMED_ONLY, UNKNOWN):
        assert value not in parsed, value


PEOPLE_NAMES = ("张伟", "王强", "赵敏", "陈工", "刘教授", "李娜")
TREES_AND_PATHS = {
    "decisionTree": '{ decisionTree(project: "proj") { roots staffTies { personId userName } '
    "map { nodes { id kind name nameEn data } edges { type data } cytoscape graphml } } }",
    "influenceRanking": '{ influenceRanking(scope: "g1") { rank explanation '
    "person { id kind name nameEn title data } } }",
    "warmIntroPaths": 'query($f: [ID!]) { warmIntroPaths(target: "zhang", from: $f) { '
    "explanation hops { from to explanation } nodes { id kind name data } edges { data } } }",
}
# The rep knows 王强 (an intro path starts there) and 刘教授, who works nowhere and would
# otherwise be hidden from a rep (graph/access.py), so the owner's views name every person.
KNOWS = (
    "MATCH (u:User {id: $owner}), (w:Person {id: 'wang'}), (l:Person {id: 'liu'}) "
    "CREATE (u)-[:KNOWS {id: 'k-w', strength: 0.8}]->(w) "
    "CREATE (u)-[:KNOWS {id: 'k-l', strength: 0.1}]->(l)"
)


def trees_and_paths(gql: GQL, persona: str) -> str:
    variables = {"f": [PERSONAS["owner"]["id"]]}
    got = {name: gql.as_(persona)(q, variables).data for name, q in TREES_AND_PATHS.items()}
    for name, data in got.items():
        assert data[name], name  # every view still answers
    tree = got["decisionTree"]["decisionTree"]["map"]
    parsed = nx.parse_graphml(tree.pop("graphml"))  # names are character references there
    nodes = [*parsed.nodes(data=True), *parsed.edges(data=True)]
    return json.dumps([got, nodes], ensure_ascii=False)


def test_analyst_trees_rankings_and_paths_name_nobody(gql: GQL, cypher: Driver) -> None:
    build_graph(cypher, GROUP, PEOPLE, PROJECT)
    cypher.execute_query(KNOWS, owner=PERSONAS["owner"]["id"], database_="neo4j")
    # The rep owns every company of this graph, so rows are visible and only fields differ.
    cypher.execute_query(
        "MATCH (u:User {id: $owner}), (c:Company) SET c:Customer MERGE (u)-[:OWNS]->(c)",
        owner=PERSONAS["owner"]["id"],
        database_="neo4j",
    )
    named = trees_and_paths(gql, "owner")
    for value in (*PEOPLE_NAMES[:5], "budget", "former professor"):
        assert value in named, value  # the check below could fail
    anonymous = trees_and_paths(gql, "analyst")
    for value in (*PEOPLE_NAMES, "budget", "former professor"):
        assert value not in anonymous, value
    assert "华东集团" in anonymous  # companies keep their names
    assert "Person " in anonymous
