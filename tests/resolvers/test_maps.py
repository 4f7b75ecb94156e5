"""accountMap, groupHierarchy and contactMap through the real app, on hand-built graphs."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.graphs import (
    ACCESS_PERSONAS,
    GROUP,
    PEOPLE,
    answer_on_access_graph,
    build,
    leaks,
)

ACCOUNT = """
query($c: ID!, $d: Int, $k: [EdgeType!], $l: Int, $a: Date, $lay: Layout) {
  accountMap(center: $c, depth: $d, edgeKinds: $k, limit: $l, asOf: $a, layout: $lay) {
    nodes { id kind name isCustomer tier depth x y data }
    edges { id source target type since until kind strength data }
    truncated moreBeyondDepth
  }
}"""


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["id"] for i in items}


@pytest.fixture
def group(cypher: Driver) -> None:
    build(cypher, GROUP, PEOPLE)


def test_account_map_depth_one(gql: GQL, group: None) -> None:
    r = gql(ACCOUNT, {"c": "g1", "d": 1})
    m = r.data["accountMap"]
    # the partner whose relationship ended in 2020 is left out today
    assert ids(m["nodes"]) == {"g1", "s1", "s2", "m", "di"}
    # nothing was cut for size; the depth hides b1, jv and d, and that is said apart
    assert (m["truncated"], m["moreBeyondDepth"]) == (False, True)
    assert r.round_trips == 1
    g1 = next(n for n in m["nodes"] if n["id"] == "g1")
    assert (g1["kind"], g1["isCustomer"], g1["tier"], g1["depth"]) == ("COMPANY", True, "CORE", 0)
    assert g1["data"]["industry"] == "manufacturing"
    di = next(e for e in m["edges"] if e["id"] == "e-di")
    assert (di["source"], di["target"], di["type"], di["strength"]) == (
        "di",
        "g1",
        "INFLUENCES_PURCHASE",
        0.8,
    )
    s2 = next(e for e in m["edges"] if e["id"] == "e-s2")
    assert s2["since"] == "2010-01-01"
    assert s2["kind"] == "SUBSIDIARY"
    assert s2["data"]["since"] == "2010-01-01"


def test_account_map_depth_follows_hops(gql: GQL, group: None) -> None:
    m2 = gql(ACCOUNT, {"c": "g1", "d": 2}).data["accountMap"]
    assert ids(m2["nodes"]) == {"g1", "s1", "s2", "m", "di", "b1", "jv", "d"}
    depth = {n["id"]: n["depth"] for n in m2["nodes"]}
    assert (depth["jv"], depth["d"], depth["s1"]) == (2, 2, 1)
    m3 = gql(ACCOUNT, {"c": "g1", "d": 3}).data["accountMap"]
    assert "g2" in ids(m3["nodes"])  # through the joint venture's second parent
    assert (m3["truncated"], m3["moreBeyondDepth"]) == (False, False)  # nothing beyond 3 hops


def test_account_map_edge_kinds_and_as_of(gql: GQL, group: None) -> None:
    chain = gql(ACCOUNT, {"c": "g1", "d": 2, "k": ["SUPPLIES", "DISTRIBUTES_FOR"]})
    assert ids(chain.data["accountMap"]["nodes"]) == {"g1", "m", "d"}
    old = gql(ACCOUNT, {"c": "g1", "d": 1, "a": "2019-06-01"}).data["accountMap"]
    # in 2019 the partnership was valid and 物流 (since 2010) was already a subsidiary
    assert {"x", "s2"} <= ids(old["nodes"])
    older = gql(ACCOUNT, {"c": "g1", "d": 1, "a": "2009-06-01"}).data["accountMap"]
    assert "s2" not in ids(older["nodes"])


def test_account_map_limit_truncates(gql: GQL, group: None) -> None:
    r = gql(ACCOUNT, {"c": "g1", "d": 4, "l": 2})
    m = r.data["accountMap"]
    assert (m["truncated"], m["moreBeyondDepth"]) == (True, False)
    assert len(m["nodes"]) == 3  # the centre plus two
    assert all(
        e["source"] in ids(m["nodes"]) and e["target"] in ids(m["nodes"]) for e in m["edges"]
    )
    assert r.round_trips == 1


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"c": "g1", "d": 9}, "BAD_USER_INPUT", "depth"),
        ({"c": "g1", "d": 0}, "BAD_USER_INPUT", "depth"),
        ({"c": "g1", "l": 5000}, "BAD_USER_INPUT", "limit"),
        ({"c": "g1", "k": ["KNOWS"]}, "BAD_USER_INPUT", "edgeKinds"),
        ({"c": "g1", "k": []}, "BAD_USER_INPUT", "edgeKinds"),
        ({"c": "nope"}, "NOT_FOUND", "center"),
    ],
)
def test_account_map_bad_arguments(
    gql: GQL, group: None, variables: dict[str, Any], code: str, field: str
) -> None:
    r = gql(ACCOUNT, variables)
    assert r.codes() == [code]
    assert r.errors[0]["extensions"]["field"] == field
    assert r.body["data"] is None
    if variables.get("k") == []:  # worded as the other empty lists
        assert r.errors[0]["message"] == "`edgeKinds` must not be empty."


def test_account_map_layout_is_seeded(gql: GQL, group: None) -> None:
    a = gql(ACCOUNT, {"c": "g1", "d": 3, "lay": "FORCE"}).data["accountMap"]
    b = gql(ACCOUNT, {"c": "g1", "d": 3, "lay": "FORCE"}).data["accountMap"]
    assert all(n["x"] is not None and n["y"] is not None for n in a["nodes"])
    assert [(n["x"], n["y"]) for n in a["nodes"]] == [(n["x"], n["y"]) for n in b["nodes"]]
    plain = gql(ACCOUNT, {"c": "g1", "d": 1}).data["accountMap"]
    assert all(n["x"] is None for n in plain["nodes"])


GROUP_Q = """
query($c: ID!, $a: Date) {
  groupHierarchy(company: $c, asOf: $a) {
    roots
    rollups { companyId companies customers openProjectAmount }
    map { nodes { id depth x y } edges { id kind } truncated moreBeyondDepth }
  }
}"""


def test_group_hierarchy_with_joint_venture(gql: GQL, group: None, cypher: Driver) -> None:
    r = gql(GROUP_Q, {"c": "jv"})
    h = r.data["groupHierarchy"]
    assert r.round_trips == 1
    assert sorted(h["roots"]) == ["g1", "g2"]
    assert ids(h["map"]["nodes"]) == {"g1", "g2", "s1", "s2", "b1", "jv"}
    roll = {x["companyId"]: x for x in h["rollups"]}
    # the joint venture counts under both parents; only OPEN projects add up
    assert roll["g1"] == {
        "companyId": "g1",
        "companies": 5,
        "customers": 3,
        "openProjectAmount": 150.0,
    }
    assert (roll["g2"]["companies"], roll["g2"]["openProjectAmount"]) == (2, 50.0)
    assert (roll["s1"]["companies"], roll["s1"]["customers"]) == (3, 2)
    depth = {n["id"]: n["depth"] for n in h["map"]["nodes"]}
    assert depth == {"g1": 0, "g2": 0, "s1": 1, "s2": 1, "b1": 2, "jv": 1}
    pos = {n["id"]: (n["x"], n["y"]) for n in h["map"]["nodes"]}
    assert pos["b1"][1] > pos["s1"][1] > pos["g1"][1]  # HIERARCHY: children below parents
    assert (h["map"]["truncated"], h["map"]["moreBeyondDepth"]) == (False, False)
    # from a branch, the ultimate parent above it is the root
    below = gql(GROUP_Q, {"c": "b1"}).data["groupHierarchy"]
    assert below["roots"] == ["g1"]
    assert ids(below["map"]["nodes"]) == {"g1", "s1", "s2", "b1", "jv"}
    # a project saved without a status is open, as the pipeline and forecasts count it
    build(
        cypher,
        "MATCH (c:Company {id: 's2'}) "
        "CREATE (:Project {id: 'p-unset', name: '未定状态', amount: 7.0})-[:FOR]->(c)",
    )
    again = gql(GROUP_Q, {"c": "jv"}).data["groupHierarchy"]
    assert {x["companyId"]: x["openProjectAmount"] for x in again["rollups"]}["g1"] == 157.0


def test_an_archived_company_is_a_wall_not_a_gap(gql: GQL, group: None, cypher: Driver) -> None:
    """Archived 华东机械 (s1) between the group and its branch and joint venture: no map passes
    through it, so each map is whole around what is left, every node at its level."""
    cypher.execute_query("MATCH (c:Company {id: 's1'}) SET c.archivedAt = datetime()")
    below = gql(GROUP_Q, {"c": "b1"}).data["groupHierarchy"]
    assert below["roots"] == ["b1"]  # its parent is gone: it heads what is left
    assert {n["id"]: n["depth"] for n in below["map"]["nodes"]} == {"b1": 0}
    jv = gql(GROUP_Q, {"c": "jv"}).data["groupHierarchy"]
    assert jv["roots"] == ["g2"]
    assert {n["id"]: n["depth"] for n in jv["map"]["nodes"]} == {"g2": 0, "jv": 1}
    m = gql(ACCOUNT, {"c": "g1", "d": 3}).data["accountMap"]
    assert {n["id"]: n["depth"] for n in m["nodes"]} == {
        "g1": 0, "s2": 1, "m": 1, "di": 1, "d": 2,
    }  # fmt: skip
    # The archived centre itself still shows what is around it.
    own = gql(ACCOUNT, {"c": "s1", "d": 1}).data["accountMap"]
    assert ids(own["nodes"]) == {"s1", "g1", "b1", "jv"}
    # Its group too; but the parent's figures leave it and what hangs only below it out, as
    # from any other centre (tester BC: 4 companies under the parent from here, 2 elsewhere).
    centred = gql(GROUP_Q, {"c": "s1"}).data["groupHierarchy"]
    elsewhere = gql(GROUP_Q, {"c": "s2"}).data["groupHierarchy"]
    figures = {x["companyId"]: x for x in centred["rollups"]}
    assert figures["g1"] == {x["companyId"]: x for x in elsewhere["rollups"]}["g1"]
    assert figures["s1"]["companies"] == 3  # itself, its branch and the joint venture
    # An archived ultimate parent: the group below it has its own roots, each in the map.
    cypher.execute_query("MATCH (c:Company {id: 'g1'}) SET c.archivedAt = datetime()")
    top = gql(GROUP_Q, {"c": "s2"}).data["groupHierarchy"]
    assert top["roots"] == ["s2"]
    assert [(n["id"], n["depth"]) for n in top["map"]["nodes"]] == [("s2", 0)]
    assert [x["companyId"] for x in top["rollups"]] == ["s2"]


def test_small_map_with_more_beyond_is_not_truncated(gql: GQL, cypher: Driver) -> None:
    # A chain of 13 companies: at depth 4, from one end 5 nodes and from the middle 9, nothing
    # cut for size, more past the depth. A limit of 7 companies cuts the 8 within reach.
    build(
        cypher,
        "UNWIND range(0, 12) AS i CREATE (:Company {id: 'c' + i, name: 'C' + i}) "
        "WITH collect(i) AS xs UNWIND range(1, 12) AS i "
        "MATCH (a:Company {id: 'c' + i}), (b:Company {id: 'c' + (i - 1)}) "
        "CREATE (a)-[:SUPPLIES {id: 'e' + i}]->(b)",
    )
    end = gql(ACCOUNT, {"c": "c0", "d": 4}).data["accountMap"]
    assert len(end["nodes"]) == 5
    assert (end["truncated"], end["moreBeyondDepth"]) == (False, True)
    middle = gql(ACCOUNT, {"c": "c6", "d": 4}).data["accountMap"]
    assert len(middle["nodes"]) == 9
    assert (middle["truncated"], middle["moreBeyondDepth"]) == (False, True)
    cut = gql(ACCOUNT, {"c": "c6", "d": 4, "l": 7}).data["accountMap"]
    assert len(cut["nodes"]) == 8
    assert (cut["truncated"], cut["moreBeyondDepth"]) == (True, False)


def test_group_hierarchy_deeper_than_its_levels(gql: GQL, cypher: Driver) -> None:
    # 10 levels of SUBSIDIARY_OF: from the bottom no ultimate parent lies within 8 levels up,
    # so the map is as much of the group above as 8 levels show, and says it goes on.
    build(
        cypher,
        "UNWIND range(0, 10) AS i CREATE (:Company {id: 'h' + i, name: 'H' + i}) "
        "WITH collect(i) AS xs UNWIND range(1, 10) AS i "
        "MATCH (a:Company {id: 'h' + i}), (b:Company {id: 'h' + (i - 1)}) "
        "CREATE (a)-[:SUBSIDIARY_OF {id: 's' + i}]->(b)",
    )
    h = gql(GROUP_Q, {"c": "h10"}).data["groupHierarchy"]
    assert h["roots"] == ["h2"]
    depths = {n["id"]: n["depth"] for n in h["map"]["nodes"]}
    assert depths == {f"h{i}": i - 2 for i in range(2, 11)}
    assert (h["map"]["truncated"], h["map"]["moreBeyondDepth"]) == (False, True)
    mid = gql(GROUP_Q, {"c": "h9"}).data["groupHierarchy"]
    assert mid["roots"] == ["h1"]
    assert {n["id"] for n in mid["map"]["nodes"]} == {f"h{i}" for i in range(1, 10)}
    # from h2 the root h0 is found, but h9 and h10 lie more than 8 levels below it
    top = gql(GROUP_Q, {"c": "h2"}).data["groupHierarchy"]
    assert top["roots"] == ["h0"]
    assert len(top["map"]["nodes"]) == 9
    assert (top["map"]["truncated"], top["map"]["moreBeyondDepth"]) == (False, True)


def test_group_hierarchy_unknown_company(gql: GQL, group: None) -> None:
    r = gql(GROUP_Q, {"c": "nope"})
    assert r.codes() == ["NOT_FOUND"]
    assert r.errors[0]["extensions"]["field"] == "company"


CONTACT = """
query($c: ID!, $s: Boolean, $i: Boolean, $a: Date) {
  contactMap(company: $c, includeSubsidiaries: $s, includeInfluence: $i, asOf: $a) {
    nodes { id kind name title department companyId depth role data x y }
    edges { id source target type kind strength polarity }
    truncated moreBeyondDepth
  }
}"""


def test_contact_map_org_chart(gql: GQL, group: None) -> None:
    r = gql(CONTACT, {"c": "g1"})
    m = r.data["contactMap"]
    assert r.round_trips == 1
    assert ids(m["nodes"]) == {"g1", "zhang", "wang", "zhao"}
    wang = next(n for n in m["nodes"] if n["id"] == "wang")
    assert (wang["title"], wang["department"], wang["companyId"]) == ("技术总监", "技术部", "g1")
    kinds = {e["id"]: (e["type"], e["kind"]) for e in m["edges"]}
    assert kinds["r-wang"] == ("REPORTS_TO", "SOLID")
    assert kinds["r-zhao"] == ("REPORTS_TO", "DOTTED")
    assert "i-wang" in kinds  # influence overlay
    depth = {n["id"]: n["depth"] for n in m["nodes"]}
    assert depth == {"g1": 0, "zhang": 1, "wang": 2, "zhao": 2}
    # the company comes first, marked as one; the people follow with their employer
    assert [(n["id"], n["kind"], n["companyId"]) for n in m["nodes"][:1]] == [
        ("g1", "COMPANY", None)
    ]
    assert {n["kind"] for n in m["nodes"][1:]} == {"PERSON"}
    assert (m["truncated"], m["moreBeyondDepth"]) == (False, False)
    no_influence = gql(CONTACT, {"c": "g1", "i": False}).data["contactMap"]
    assert "i-wang" not in ids(no_influence["edges"])


def test_a_group_contact_map_lists_each_edge_once(gql: GQL, cypher: Driver, group: None) -> None:
    """Someone who works at two companies of the group is one person with two jobs: their
    reporting lines once each (cytoscape refuses a repeated element id)."""
    cypher.execute_query(
        "MATCH (g1:Company {id: 'g1'}), (s1:Company {id: 's1'}), (wang:Person {id: 'wang'}) "
        "CREATE (p:Person {id: 'both', name: '两地人'})-[:WORKS_AT {id: 'w-both-g1'}]->(g1), "
        "(p)-[:WORKS_AT {id: 'w-both-s1'}]->(s1), "
        "(p)-[:REPORTS_TO {id: 'r-both', kind: 'SOLID'}]->(wang), "
        "(p)-[:INFLUENCES {id: 'i-both', strength: 0.4}]->(wang)"
    )
    m = gql(
        'query { contactMap(company: "g1", includeSubsidiaries: true) { '
        "nodes { id } edges { id } cytoscape } }"
    ).data["contactMap"]
    edge_ids = [e["id"] for e in m["edges"]]
    assert len(edge_ids) == len(set(edge_ids))
    assert {"r-both", "i-both", "w-both-g1", "w-both-s1"} <= set(edge_ids)
    drawn = [e["data"]["id"] for e in m["cytoscape"]["elements"]["edges"]]
    assert len(drawn) == len(set(drawn))


def test_contact_map_without_data_keeps_job_fields(gql: GQL, group: None) -> None:
    # `data` is built only when selected; the fields derived from the job stay either way.
    lean = gql(
        '{ contactMap(company: "g1") { nodes { id title department companyId } '
        "edges { id since } } }"
    ).data["contactMap"]
    wang = next(n for n in lean["nodes"] if n["id"] == "wang")
    assert (wang["title"], wang["department"], wang["companyId"]) == ("技术总监", "技术部", "g1")
    # asked for through a named fragment, `data` comes back whole
    full = gql(
        '{ contactMap(company: "g1") { nodes { id } edges { ...E } } } '
        "fragment E on MapEdge { id type data }"
    ).data["contactMap"]
    works = next(e for e in full["edges"] if e["id"] == "w-wang")
    assert works["data"] == {"id": "w-wang", "title": "技术总监", "department": "技术部"}


# 赵总 heads 华北重工 but sorts last by name (code point); 王一 reports to him; 李二 and
# 孙三 to 王一; 蔡四 solid to 王一 and dotted to 赵总. A limit that cuts keeps the top.
CHART = """
CREATE (c:Company {id: 'oc', name: '华北重工'})
CREATE (head:Person {id: 'oc-head', name: '赵总'})-[:WORKS_AT {id: 'w-oc-head'}]->(c)
CREATE (a:Person {id: 'oc-a', name: '王一'})-[:WORKS_AT {id: 'w-oc-a'}]->(c)
CREATE (b:Person {id: 'oc-b', name: '李二'})-[:WORKS_AT {id: 'w-oc-b'}]->(c)
CREATE (d:Person {id: 'oc-d', name: '孙三'})-[:WORKS_AT {id: 'w-oc-d'}]->(c)
CREATE (e:Person {id: 'oc-e', name: '蔡四'})-[:WORKS_AT {id: 'w-oc-e'}]->(c)
CREATE (a)-[:REPORTS_TO {id: 'r-oc-a', kind: 'SOLID'}]->(head)
CREATE (b)-[:REPORTS_TO {id: 'r-oc-b', kind: 'SOLID'}]->(a)
CREATE (d)-[:REPORTS_TO {id: 'r-oc-d', kind: 'SOLID'}]->(a)
CREATE (e)-[:REPORTS_TO {id: 'r-oc-e', kind: 'SOLID'}]->(a)
CREATE (e)-[:REPORTS_TO {id: 'r-oc-e2', kind: 'DOTTED'}]->(head)
// an old head whose line ended: today she is at the top too, and first by name
CREATE (old:Person {id: 'oc-old', name: '艾老'})-[:WORKS_AT {id: 'w-oc-old'}]->(c)
CREATE (old)-[:REPORTS_TO {id: 'r-oc-old', kind: 'SOLID', until: date('2020-01-01')}]->(b)
"""


@pytest.mark.parametrize(
    ("limit", "kept"),
    [
        (1, {"oc-old"}),
        (2, {"oc-old", "oc-head"}),
        (3, {"oc-old", "oc-head", "oc-a"}),
        # 李二 and 孙三 have two lines above them, 蔡四 three: the name (code point) breaks ties
        (4, {"oc-old", "oc-head", "oc-a", "oc-d"}),
        (5, {"oc-old", "oc-head", "oc-a", "oc-d", "oc-b"}),
    ],
)
def test_contact_map_limit_keeps_the_top_of_the_chart(
    gql: GQL, cypher: Driver, limit: int, kept: set[str]
) -> None:
    build(cypher, CHART)
    r = gql(
        'query($l: Int) { contactMap(company: "oc", limit: $l) { nodes { id kind } truncated } }',
        {"l": limit},
    )
    m = r.data["contactMap"]
    assert {n["id"] for n in m["nodes"] if n["kind"] == "PERSON"} == kept
    assert m["truncated"] is True
    assert r.round_trips == 1
    whole = gql('{ contactMap(company: "oc", limit: 6) { nodes { id } truncated } }')
    assert len(whole.data["contactMap"]["nodes"]) == 7
    assert whole.data["contactMap"]["truncated"] is False


def test_contact_map_across_subsidiaries(gql: GQL, group: None) -> None:
    m = gql(CONTACT, {"c": "g1", "s": True}).data["contactMap"]
    assert {"chen", "s1", "b1", "jv"} <= ids(m["nodes"])
    assert "r-chen" in ids(m["edges"])  # a reporting line across companies of the group


def test_contact_map_person_who_changed_jobs(gql: GQL, group: None) -> None:
    before = gql(CONTACT, {"c": "s1", "a": "2021-06-01"}).data["contactMap"]
    li = next(n for n in before["nodes"] if n["id"] == "li")
    assert (li["title"], li["companyId"]) == ("采购员", "s1")
    assert "r-li" in ids(before["edges"])
    after = gql(CONTACT, {"c": "s1", "a": "2023-06-01"}).data["contactMap"]
    assert "li" not in ids(after["nodes"])
    new_job = gql(CONTACT, {"c": "m", "a": "2023-06-01"}).data["contactMap"]
    li = next(n for n in new_job["nodes"] if n["id"] == "li")
    assert (li["title"], li["companyId"]) == ("销售经理", "m")


def test_exports(gql: GQL, group: None) -> None:
    r = gql(
        """{ accountMap(center: "g1", depth: 1, layout: HIERARCHY) {
               nodes { id } cytoscape graphml } }"""
    )
    m = r.data["accountMap"]
    assert r.round_trips == 1
    cy = m["cytoscape"]["elements"]
    assert {n["data"]["id"] for n in cy["nodes"]} == ids(m["nodes"])
    assert all("position" in n for n in cy["nodes"])
    assert {e["data"]["type"] for e in cy["edges"]} >= {"SUBSIDIARY_OF", "SUPPLIES"}
    root = ET.fromstring(m["graphml"])  # noqa: S314 (our own output)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert {n.get("id") for n in root.iterfind(".//g:node", ns)} == ids(m["nodes"])
    assert len(root.findall(".//g:edge", ns)) == len(cy["edges"])


# Visibility: every persona on the hand-built ACCESS graph (tests/resolvers/graphs.py).
MAP_FIELDS = """
  nodes { id kind name nameEn isCustomer tier depth title companyId role stance data }
  edges { id source target type kind strength data }
  truncated moreBeyondDepth cytoscape graphml
"""
ACCOUNT_ALL = "query($c: ID!, $d: Int) { accountMap(center: $c, depth: $d) {" + MAP_FIELDS + "} }"
GROUP_ALL = (
    "query($c: ID!) { groupHierarchy(company: $c) { roots "
    "rollups { companyId companies customers openProjectAmount } map {" + MAP_FIELDS + "} } }"
)
CONTACT_ALL = (
    "query($c: ID!) { contactMap(company: $c, includeSubsidiaries: true, "
    "includeInfluence: true) {" + MAP_FIELDS + "} }"
)


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_account_map_leaks_nothing_and_does_not_pass_hidden_nodes(
    gql: GQL, access_graph: None, persona: str
) -> None:
    for depth in (1, 2):
        variables = {"c": "x-east-co", "d": depth}
        r = answer_on_access_graph(gql, persona, ACCOUNT_ALL, variables, centre="x-east-co")
        if r is None:
            continue
        m = r.data["accountMap"]
        if persona == "owner":
            # 东方远端 lies behind the west customer only: not reached, and not "beyond".
            assert ids(m["nodes"]) == {"x-east-co", "x-east-sub", "x-public"}
            assert (m["truncated"], m["moreBeyondDepth"]) == (False, False)
        else:
            everyone = {"x-east-co", "x-east-sub", "x-public", "x-west-co", "x-west-group"}
            assert ids(m["nodes"]) == everyone | ({"x-east-far"} if depth == 2 else set())
            assert m["moreBeyondDepth"] is (depth == 1)
    # The west rep maps the west customer, but nothing of the east side through it.
    if persona in ("other_team", "manager_west"):
        r = gql.as_(persona)(ACCOUNT_ALL, {"c": "x-west-co", "d": 2})
        assert ids(r.data["accountMap"]["nodes"]) == {"x-west-co"}
        assert r.data["accountMap"]["moreBeyondDepth"] is False
        assert leaks(persona, r.body) == []


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_group_hierarchy_roots_and_rollups_count_visible_companies(
    gql: GQL, access_graph: None, persona: str
) -> None:
    r = answer_on_access_graph(gql, persona, GROUP_ALL, {"c": "x-east-co"}, centre="x-east-co")
    if r is None:
        return
    g = r.data["groupHierarchy"]
    rollups = {x["companyId"]: x for x in g["rollups"]}
    if persona == "owner":
        # The west parent is left out: the east customer is the top of the group it sees.
        assert g["roots"] == ["x-east-co"]
        assert ids(g["map"]["nodes"]) == {"x-east-co", "x-east-sub"}
        assert (rollups["x-east-co"]["companies"], rollups["x-east-co"]["customers"]) == (2, 2)
    else:
        assert g["roots"] == ["x-west-group"]
        assert rollups["x-west-group"]["companies"] == 3
    assert rollups["x-east-co"]["openProjectAmount"] == 100.0


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_contact_map_leaves_out_hidden_people_and_their_projects(
    gql: GQL, access_graph: None, persona: str
) -> None:
    r = answer_on_access_graph(gql, persona, CONTACT_ALL, {"c": "x-east-co"}, centre="x-east-co")
    if r is None:
        return
    nodes = {n["id"]: n for n in r.data["contactMap"]["nodes"]}
    roles = {x["project"] for x in nodes["x-east-person"]["data"]["projectRoles"]}
    if persona == "owner":
        # 客户个人 is a west account of her own, though she works at the east customer.
        assert set(nodes) == {"x-east-co", "x-east-sub", "x-east-person"}
        assert roles == {"东方项目"}
    else:
        assert "x-cust-person" in nodes
        assert roles == {"东方项目", "西部机密项目"}


def test_maps_default_to_the_business_day_not_the_utc_one(
    gql: GQL, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`asOf` defaulted to the UTC date: for eight hours of every Beijing day, an edge begun
    today was missing and one ended today still shown."""
    from graph import clock
    from tests.resolvers.test_relationship import node

    day = dt.date(2031, 3, 1)
    monkeypatch.setattr(clock, "today", lambda: day)
    hub, starts, ended = (node(cypher, "Company", n) for n in ("今日枢纽", "今日起供", "今日止供"))
    cypher.execute_query(
        "MATCH (h:Company {id: $h}), (s:Company {id: $s}), (e:Company {id: $e}) "
        "CREATE (h)-[:SUPPLIES {id: randomUUID(), version: 1, since: $day}]->(s) "
        "CREATE (h)-[:SUPPLIES {id: randomUUID(), version: 1, since: date('2020-01-01'), "
        "until: $day}]->(e)",
        h=hub, s=starts, e=ended, day=day, database_="neo4j",
    )  # fmt: skip
    shown = gql(ACCOUNT, {"c": hub, "d": 1}).data["accountMap"]
    assert ids(shown["nodes"]) == {hub, starts}
