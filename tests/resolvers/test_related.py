"""relatedAccounts, path and warmIntroPaths on the hand-built group, supply chain and project."""

from __future__ import annotations

from typing import Any

import pytest

from neo4j import Driver
from resolvers.masking import WITHHELD_TEXT
from schema.related import RelatedAccount
from tests.conftest import GQL, PERSONAS
from tests.resolvers.graphs import ACCESS_PERSONAS, INVISIBLE, answer_on_access_graph, leaks

OWNER = PERSONAS["owner"]["id"]
OTHER = PERSONAS["other_team"]["id"]

EXTRA = """
MATCH (g1:Company {id: 'g1'}), (di:Company {id: 'di'}), (wang:Person {id: 'wang'}),
      (chen:Person {id: 'chen'}), (p:Project {id: 'proj'}), (u:User {id: $owner})
CREATE (dual:Person {id: 'dual', name: '双聘专家'})
CREATE (dual)-[:WORKS_AT {id: 'w-dual-1'}]->(g1)
CREATE (dual)-[:WORKS_AT {id: 'w-dual-2'}]->(di)
CREATE (chen)-[:PARTICIPATES_IN {id: 'pi-chen', role: 'USER', stance: 'SUPPORTER'}]->(p)
CREATE (u)-[:KNOWS {id: 'k-wang', strength: 0.8}]->(wang)
"""


@pytest.fixture
def graph(cypher: Driver, project_graph: None) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(EXTRA, owner=OWNER).consume()


RELATED = """
query($c: ID!, $v: [RelatedVia!], $h: Int, $f: Int) {
  relatedAccounts(company: $c, via: $v, maxHops: $h, first: $f) {
    company { id name depth } score via
    paths { strength explanation nodes { id } edges { id type } }
  }
}"""


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["company"]["id"]: i for i in items}


def test_related_accounts_ranked_with_paths(gql: GQL, graph: None) -> None:
    r = gql(RELATED, {"c": "g1"})
    items = r.data["relatedAccounts"]
    assert r.round_trips == 1
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    rel = by_id(items)
    assert set(rel) == {"s1", "s2", "m", "di", "b1", "jv", "d"}
    assert items[0]["company"]["id"] == "s1"  # hierarchy (1.0) + a shared project (0.5)
    assert rel["s1"]["via"] == ["HIERARCHY", "SHARED_PROJECTS"]
    assert rel["s1"]["score"] == pytest.approx(1.5)
    assert rel["di"]["via"] == ["DECISION_CHAIN", "SHARED_PEOPLE"]
    assert rel["di"]["score"] == pytest.approx(0.9 + 0.6)
    assert rel["d"]["company"]["depth"] == 2
    assert rel["d"]["score"] == pytest.approx(0.8 / 2)
    assert rel["d"]["paths"][0]["explanation"] == [
        "精工钢材 supplies 华东集团",
        "华南经销 distributes for 精工钢材",
    ]
    shared = next(p for p in rel["di"]["paths"] if len(p["edges"]) == 2)
    assert [n["id"] for n in shared["nodes"]] == ["g1", "dual", "di"]


def test_a_shared_project_counts_once_however_many_take_part(
    gql: GQL, graph: None, cypher: Driver
) -> None:
    # Two more of 华东机械's people join the same project: still one shared project.
    with cypher.session(database="neo4j") as s:
        s.run(
            "MATCH (s1:Company {id: 's1'}), (p:Project {id: 'proj'}) "
            "UNWIND ['sp1', 'sp2'] AS id "
            "CREATE (x:Person {id: id, name: '项目成员' + id})-[:WORKS_AT {id: 'w-' + id}]->(s1) "
            "CREATE (x)-[:PARTICIPATES_IN {id: 'pi-' + id, role: 'USER'}]->(p)"
        ).consume()
    rel = by_id(gql(RELATED, {"c": "g1", "v": ["SHARED_PROJECTS"]}).data["relatedAccounts"])
    assert rel["s1"]["score"] == pytest.approx(0.5)
    assert rel["s1"]["via"] == ["SHARED_PROJECTS"]
    # each person is still a path that explains the link
    people = {p["nodes"][2]["id"] for p in rel["s1"]["paths"]}
    assert people == {"chen", "sp1", "sp2"}


GROUP_WIDE = """
query($c: ID!, $v: [RelatedVia!], $h: Int, $w: Boolean) {
  relatedAccounts(company: $c, via: $v, maxHops: $h, wholeGroup: $w, first: 100) {
    company { id depth } score via paths { nodes { id } edges { id } }
  }
}"""


def test_related_accounts_reach_the_whole_group_by_default(gql: GQL, graph: None) -> None:
    # From the branch b1 (b1 -> s1 -> g1 <- s2) its sibling subsidiary s2 is three hierarchy
    # hops away; the default maxHops 2 used to miss it.
    r = gql(GROUP_WIDE, {"c": "b1", "v": ["HIERARCHY"]})
    rel = by_id(r.data["relatedAccounts"])
    assert r.round_trips == 1
    assert set(rel) == {"s1", "g1", "jv", "s2"}  # the whole group of g1, and nothing else
    assert rel["s2"]["company"]["depth"] == 3
    assert rel["s2"]["score"] == pytest.approx(1.0 / 3)
    assert [n["id"] for n in rel["s2"]["paths"][0]["nodes"]] == ["b1", "s1", "g1", "s2"]
    assert [e["id"] for e in rel["s2"]["paths"][0]["edges"]] == ["e-b1", "e-s1", "e-s2"]
    # g2 is the joint venture's other parent: three hops away but of another group
    assert "g2" not in rel
    # maxHops still bounds hierarchy when the whole group is not asked for
    near = by_id(
        gql(GROUP_WIDE, {"c": "b1", "v": ["HIERARCHY"], "w": False}).data["relatedAccounts"]
    )
    assert set(near) == {"s1", "g1", "jv"}
    far = by_id(gql(GROUP_WIDE, {"c": "b1", "v": ["HIERARCHY"], "h": 3}).data["relatedAccounts"])
    assert {"s2", "g2"} <= set(far)
    # without HIERARCHY in `via` the group is not added
    chain = by_id(gql(GROUP_WIDE, {"c": "b1", "v": ["INDUSTRY_CHAIN"]}).data["relatedAccounts"])
    assert "s2" not in chain


def test_related_accounts_reach_eight_levels_up_a_deeper_group(gql: GQL, cypher: Driver) -> None:
    # 12 levels: from the bottom no ultimate parent lies within 8 levels, so the group is
    # taken from the company 8 levels up, as groupHierarchy does, not from 2 hops.
    with cypher.session(database="neo4j") as s:
        s.run(
            "UNWIND range(0, 12) AS i CREATE (:Company {id: 'dl' + i, name: '深' + i}) "
            "WITH collect(i) AS xs UNWIND range(1, 12) AS i "
            "MATCH (a:Company {id: 'dl' + i}), (b:Company {id: 'dl' + (i - 1)}) "
            "CREATE (a)-[:SUBSIDIARY_OF {id: 'dls' + i}]->(b)"
        ).consume()
    found = {
        i["company"]["id"] for i in gql(RELATED, {"c": "dl12", "f": 50}).data["relatedAccounts"]
    }
    assert found == {f"dl{i}" for i in range(4, 12)}


def test_related_accounts_former_employees(gql: GQL, graph: None) -> None:
    items = gql(RELATED, {"c": "s1", "v": ["FORMER_EMPLOYEES"]}).data["relatedAccounts"]
    assert [i["company"]["id"] for i in items] == ["m"]
    assert items[0]["via"] == ["FORMER_EMPLOYEES"]
    # Her old job is told as what it was, with its end; the new one as it is.
    assert items[0]["paths"][0]["explanation"] == [
        "李娜 worked at 华东机械 through 2021-12-31",
        "李娜 works at 精工钢材",
    ]
    # Sentences that name people are withheld from an anonymised viewer, as the nodes are.
    seen = gql.as_("analyst")(RELATED, {"c": "s1", "v": ["FORMER_EMPLOYEES"]}).data
    assert seen["relatedAccounts"][0]["paths"][0]["explanation"] == [WITHHELD_TEXT] * 2


def test_related_accounts_first_and_bad_arguments(gql: GQL, graph: None) -> None:
    assert len(gql(RELATED, {"c": "g1", "f": 2}).data["relatedAccounts"]) == 2
    for variables, code, field in [
        ({"c": "g1", "h": 5}, "BAD_USER_INPUT", "maxHops"),
        ({"c": "g1", "h": -1}, "BAD_USER_INPUT", "maxHops"),
        ({"c": "g1", "f": 101}, "BAD_USER_INPUT", "first"),
        ({"c": "nope"}, "NOT_FOUND", "company"),
    ]:
        r = gql(RELATED, variables)
        assert r.codes() == [code], variables
        assert r.errors[0]["extensions"]["field"] == field


PATH = """
query($a: ID!, $b: ID!, $h: Int, $k: [EdgeType!], $d: Date) {
  path(from: $a, to: $b, maxHops: $h, edgeKinds: $k, asOf: $d) {
    strength explanation nodes { id kind companyId } edges { id type }
  }
}"""


def test_path_ranked_by_strength(gql: GQL, graph: None) -> None:
    r = gql(PATH, {"a": OWNER, "b": "zhang"})
    paths = r.data["path"]
    assert r.round_trips == 1
    assert paths[0]["strength"] == pytest.approx(0.8 * 0.7)
    assert paths[0]["explanation"][0] == "王销售 Wang (owner) knows 王强 (0.8)"
    assert paths[0]["nodes"][0]["kind"] == "USER"
    # People carry their employer, as in maps (tester AQ: null, so no org chart offered)
    assert [(n["id"], n["companyId"]) for n in paths[0]["nodes"]] == [
        (OWNER, None),
        ("wang", "g1"),
        ("zhang", "g1"),
    ]
    strengths = [p["strength"] for p in paths]
    assert strengths == sorted(strengths, reverse=True)
    colleagues = gql(PATH, {"a": OWNER, "b": "zhang", "k": ["KNOWS", "WORKS_AT"]}).data["path"]
    assert [e["type"] for e in colleagues[0]["edges"]] == ["KNOWS", "WORKS_AT", "WORKS_AT"]
    assert colleagues[0]["strength"] == pytest.approx(0.8 * 0.7 * 0.7)
    assert gql(PATH, {"a": OWNER, "b": "zhang", "h": 1}).data["path"] == []
    anonymised = gql.as_("analyst")(PATH, {"a": OWNER, "b": "zhang"}).data["path"]
    assert anonymised[0]["explanation"] == [WITHHELD_TEXT] * len(paths[0]["explanation"])
    assert "王强" not in str(anonymised)


# Twelve weak two-hop routes (colleagues at twelve companies, 0.7 x 0.7) and one strong
# three-hop one (three INFLUENCES of 0.95): the strong one must not be cut for being longer.
CROWDED = """
CREATE (a:Person {id: 'cr-a', name: '甲'}), (b:Person {id: 'cr-b', name: '乙'}),
       (x:Person {id: 'cr-x', name: '丙'}), (y:Person {id: 'cr-y', name: '丁'}),
       (a)-[:INFLUENCES {id: 'cr-i1', strength: 0.95}]->(x),
       (x)-[:INFLUENCES {id: 'cr-i2', strength: 0.95}]->(y),
       (y)-[:INFLUENCES {id: 'cr-i3', strength: 0.95}]->(b)
WITH a, b UNWIND range(1, 12) AS i
CREATE (c:Company {id: 'cr-c' + i, name: '公司' + i})
CREATE (a)-[:WORKS_AT {id: 'cr-wa' + i}]->(c), (b)-[:WORKS_AT {id: 'cr-wb' + i}]->(c)
"""


def test_path_keeps_a_strong_route_that_is_one_hop_longer(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(CROWDED).consume()
    paths = gql(PATH, {"a": "cr-a", "b": "cr-b", "h": 4}).data["path"]
    assert len(paths) == 10
    assert [n["id"] for n in paths[0]["nodes"]] == ["cr-a", "cr-x", "cr-y", "cr-b"]
    assert paths[0]["strength"] == pytest.approx(0.95**3)
    assert [p["strength"] for p in paths[1:]] == [pytest.approx(0.49)] * 9


def test_paths_and_intros_do_not_pass_an_archived_person(
    gql: GQL, graph: None, cypher: Driver
) -> None:
    """王强 carries the best route to 张伟. Archived, he leaves the maps and the decision
    tree, and so every route through him (an end asked for by id is still an end)."""
    through = gql(PATH, {"a": OWNER, "b": "zhang"}).data["path"]
    assert any("wang" in [n["id"] for n in p["nodes"][1:-1]] for p in through)
    assert any(chain(p)[1] == "wang" for p in gql(INTRO, {"t": "proj"}).data["warmIntroPaths"])
    cypher.execute_query("MATCH (p:Person {id: 'wang'}) SET p.archivedAt = datetime()")
    after = gql(PATH, {"a": OWNER, "b": "zhang"}).data["path"]
    assert all("wang" not in [n["id"] for n in p["nodes"]] for p in after)
    intros = gql(INTRO, {"t": "proj"}).data["warmIntroPaths"]
    assert all("wang" not in chain(p) for p in intros)
    # Asked for by id, the archived person is still an end of a path.
    direct = gql(PATH, {"a": OWNER, "b": "wang"}).data["path"]
    assert [n["id"] for n in direct[0]["nodes"]] == [OWNER, "wang"]


def test_path_respects_as_of(gql: GQL, graph: None) -> None:
    v = {"a": "chen", "b": "li", "k": ["WORKS_AT"]}
    before = gql(PATH, {**v, "d": "2021-06-01"}).data["path"]
    assert [n["id"] for n in before[0]["nodes"]] == ["chen", "s1", "li"]
    assert gql(PATH, {**v, "d": "2023-06-01"}).data["path"] == []


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"a": "g1", "b": "m", "h": 7}, "BAD_USER_INPUT", "maxHops"),
        ({"a": "g1", "b": "m", "h": -1}, "BAD_USER_INPUT", "maxHops"),
        ({"a": "nope", "b": "m"}, "NOT_FOUND", "from"),
        ({"a": "g1", "b": "nope"}, "NOT_FOUND", "to"),
    ],
)
def test_path_bad_arguments(
    gql: GQL, graph: None, variables: dict[str, Any], code: str, field: str
) -> None:
    r = gql(PATH, variables)
    assert r.codes() == [code]
    assert r.errors[0]["extensions"]["field"] == field


INTRO = """
query($t: ID!, $f: [ID!], $h: Int) {
  warmIntroPaths(target: $t, from: $f, maxHops: $h) {
    strength colleagueHops explanation ranking nodes { id kind companyId } edges { id type }
    hops { from to tie types strength explanation edgeIds }
  }
}"""


def chain(path: dict[str, Any]) -> list[str]:
    return [path["hops"][0]["from"]] + [h["to"] for h in path["hops"]]


def test_warm_intro_to_a_projects_decision_maker(gql: GQL, graph: None) -> None:
    r = gql(INTRO, {"t": "proj"})
    paths = r.data["warmIntroPaths"]
    assert r.round_trips == 1
    assert all(chain(p)[0] == OWNER and chain(p)[-1] == "zhang" for p in paths)
    # 王强 both influences and reports to 张伟, and works with him: one introduction, not three
    chains = [chain(p) for p in paths]
    assert len(chains) == len({tuple(c) for c in chains})
    best = paths[0]
    assert chains[0] == [OWNER, "wang", "zhang"]
    assert best["strength"] == pytest.approx(0.8 * 0.7)
    hop = best["hops"][1]
    assert hop["types"] == ["INFLUENCES", "REPORTS_TO", "WORKS_AT"]
    assert hop["tie"] == "PERSONAL"
    assert hop["explanation"] == (
        "王强 influences 张伟 (0.7); 王强 reports to 张伟 (solid); "
        "王强 and 张伟 both work at 华东集团"
    )
    assert set(hop["edgeIds"]) == {"i-wang", "r-wang", "w-wang", "w-zhang"}
    assert [n["id"] for n in best["nodes"]] == [OWNER, "wang", "zhang", "g1"]
    assert [n["companyId"] for n in best["nodes"]] == [None, "g1", "g1", None]
    assert best["edges"][0]["type"] == "KNOWS"
    assert gql(INTRO, {"t": "proj", "f": [OTHER]}).data["warmIntroPaths"] == []
    direct = gql(INTRO, {"t": "wang", "f": [OWNER]}).data["warmIntroPaths"]
    assert direct[0]["explanation"] == ["王销售 Wang (owner) knows 王强 (0.8)"]


# 乙 is a friend of the target and sways her; 甲 only works at the same company. Our rep knows
# 甲 well (0.9) and 乙 barely (0.3): by strength alone the colleague route (0.9 x 0.3 = 0.27)
# would beat the personal one (0.3 x 0.75 = 0.225).
INTRO_GRAPH = """
MATCH (u:User {id: $owner})
CREATE (co:Company {id: 'co', name: '大公司'})
CREATE (t:Person {id: 't', name: '目标'})-[:WORKS_AT {id: 'w-t'}]->(co)
CREATE (a:Person {id: 'a', name: '甲'})-[:WORKS_AT {id: 'w-a'}]->(co)
CREATE (b:Person {id: 'b', name: '乙'})-[:WORKS_AT {id: 'w-b'}]->(co)
CREATE (u)-[:KNOWS {id: 'k-a', strength: 0.9}]->(a)
CREATE (u)-[:KNOWS {id: 'k-b', strength: 0.3}]->(b)
CREATE (b)-[:RELATED_TO {id: 'rel-b', kind: 'FRIEND'}]->(t)
CREATE (b)-[:INFLUENCES {id: 'inf-b', strength: 0.4, polarity: 'POSITIVE'}]->(t)
"""


def test_warm_intro_ranks_a_personal_tie_above_a_colleague(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(INTRO_GRAPH, owner=OWNER).consume()
    r = gql(INTRO, {"t": "t"})
    paths = r.data["warmIntroPaths"]
    assert r.round_trips == 1
    chains = [chain(p) for p in paths]
    assert chains[:2] == [[OWNER, "b", "t"], [OWNER, "a", "t"]]
    assert len(chains) == len({tuple(c) for c in chains})  # RELATED_TO + INFLUENCES: one path
    personal, colleague = paths[0], paths[1]
    assert (personal["strength"], personal["colleagueHops"]) == (pytest.approx(0.225), 0)
    friend = personal["hops"][1]
    assert (friend["tie"], friend["strength"]) == ("PERSONAL", 0.75)
    assert friend["types"] == ["INFLUENCES", "RELATED_TO", "WORKS_AT"]
    assert friend["explanation"] == (
        "乙 is related to 目标 (friend); 乙 influences 目标 (0.4); 乙 and 目标 both work at 大公司"
    )
    assert personal["ranking"].startswith("all 2 hops are personal or reporting ties")
    assert (colleague["strength"], colleague["colleagueHops"]) == (pytest.approx(0.27), 1)
    work = colleague["hops"][1]
    assert (work["tie"], work["types"], work["strength"]) == ("COLLEAGUE", ["WORKS_AT"], 0.3)
    assert work["explanation"] == "甲 and 目标 both work at 大公司"
    assert colleague["ranking"].startswith("1 of 2 hops only through a shared employer")
    assert "strength 0.27 = 0.9 x 0.3" in colleague["ranking"]
    assert [n["id"] for n in colleague["nodes"]] == [OWNER, "a", "t", "co"]
    assert {e["id"] for e in colleague["edges"]} == {"k-a", "w-a", "w-t"}
    assert all(p["colleagueHops"] >= 1 for p in paths[1:])


# Two ties each way between 李 and the target (李 reports to her, she sways him): SHORTEST k
# alone offered the walk 王 -> 甲 -> 目标 -> 李 -> 目标 as an introduction.
LOOP_GRAPH = """
MATCH (u:User {id: $owner})
CREATE (t:Person {id: 'lp-t', name: '目标'}), (a:Person {id: 'lp-a', name: '甲'}),
       (l:Person {id: 'lp-l', name: '李'}), (s:Person {id: 'lp-s', name: '孙'}),
       (c:Person {id: 'lp-c', name: '陈'})
CREATE (u)-[:KNOWS {id: 'lp-ua', strength: 0.9}]->(a)
CREATE (a)-[:INFLUENCES {id: 'lp-at', strength: 0.9, polarity: 'POSITIVE'}]->(t)
CREATE (l)-[:REPORTS_TO {id: 'lp-lt', kind: 'SOLID'}]->(t)
CREATE (t)-[:INFLUENCES {id: 'lp-tl', strength: 0.9, polarity: 'POSITIVE'}]->(l)
CREATE (u)-[:KNOWS {id: 'lp-ul', strength: 0.5}]->(l)
CREATE (l)-[:KNOWS {id: 'lp-ls', strength: 0.5}]->(s)
CREATE (s)-[:KNOWS {id: 'lp-sc', strength: 0.5}]->(c)
CREATE (c)-[:KNOWS {id: 'lp-ct', strength: 0.5}]->(t)
"""


def test_intros_and_paths_never_pass_a_node_twice(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(LOOP_GRAPH, owner=OWNER).consume()
    intros = gql(INTRO, {"t": "lp-t", "f": [OWNER], "h": 4}).data["warmIntroPaths"]
    assert sorted(tuple(chain(p)) for p in intros) == [
        (OWNER, "lp-a", "lp-t"),
        (OWNER, "lp-l", "lp-s", "lp-c", "lp-t"),
        (OWNER, "lp-l", "lp-t"),
    ]
    to_li = gql(INTRO, {"t": "lp-l", "f": [OWNER], "h": 4}).data["warmIntroPaths"]
    # 甲 -> 目标 -> 陈 -> 孙 -> 李 would be 5 hops
    assert sorted(tuple(chain(p)) for p in to_li) == [
        (OWNER, "lp-a", "lp-t", "lp-l"),
        (OWNER, "lp-l"),
    ]
    paths = gql(PATH, {"a": OWNER, "b": "lp-t", "h": 4}).data["path"]
    walks = sorted([n["id"] for n in p["nodes"]] for p in paths)
    assert walks == [
        [OWNER, "lp-a", "lp-t"],
        [OWNER, "lp-l", "lp-s", "lp-c", "lp-t"],
        [OWNER, "lp-l", "lp-t"],  # by REPORTS_TO
        [OWNER, "lp-l", "lp-t"],  # by INFLUENCES
    ]


def test_warm_intro_bad_arguments(gql: GQL, graph: None) -> None:
    for variables, code, field in [
        ({"t": "nope"}, "NOT_FOUND", "target"),
        ({"t": "proj", "f": ["nobody"]}, "NOT_FOUND", "from"),
        ({"t": "proj", "h": 9}, "BAD_USER_INPUT", "maxHops"),
    ]:
        r = gql(INTRO, variables)
        assert r.codes() == [code], variables
        assert r.errors[0]["extensions"]["field"] == field


# Visibility on the hand-built ACCESS graph (tests/resolvers/graphs.py), every persona.
NODE_FIELDS = "id kind name nameEn title companyId data"
RELATED_ALL = (
    "query($c: ID!) { relatedAccounts(company: $c) { company { " + NODE_FIELDS + " } score via "
    "paths { strength explanation nodes { " + NODE_FIELDS + " } edges { id source target "
    "type data } } } }"
)
PATH_ALL = (
    # Without OWNS: the owner persona owns both east ends, a route it may well see.
    "query($a: ID!, $b: ID!) { path(from: $a, to: $b, maxHops: 6, edgeKinds: [SUPPLIES, "
    "SUBSIDIARY_OF, PARTNERS_WITH, WORKS_AT, RELATED_TO, KNOWS, INFLUENCES, FOR, "
    "PARTICIPATES_IN]) { strength explanation "
    "nodes { " + NODE_FIELDS + " } edges { id source target type data } } }"
)
INTRO_ALL = (
    "query($t: ID!) { warmIntroPaths(target: $t, maxHops: 4) { strength colleagueHops "
    "explanation ranking nodes { " + NODE_FIELDS + " } edges { id source target type data } "
    "hops { from to tie types strength explanation edgeIds } } }"
)


def _east_blind(persona: str) -> bool:
    return "x-east-co" in INVISIBLE[persona]


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_related_accounts_leave_out_hidden_companies_and_people(
    gql: GQL, access_graph: None, persona: str
) -> None:
    r = answer_on_access_graph(gql, persona, RELATED_ALL, {"c": "x-east-co"}, centre="x-east-co")
    if r is None:
        return
    found = {x["company"]["id"] for x in r.data["relatedAccounts"]}
    if persona == "owner":
        assert found == {"x-east-sub", "x-public"}
    else:
        # the west customer by chain and through 刘东, who works at both
        assert {"x-east-sub", "x-public", "x-west-co", "x-west-group", "x-east-far"} <= found


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_path_through_a_hidden_node_is_no_path(gql: GQL, access_graph: None, persona: str) -> None:
    ends = {"a": "x-east-co", "b": "x-east-far"}
    r = answer_on_access_graph(gql, persona, PATH_ALL, ends, centre="x-east-co")
    if r is not None:
        paths = r.data["path"]
        # Every route to 东方远端 passes the west customer or the west person.
        assert (paths == []) is (persona == "owner")
    hidden_end = gql.as_(persona)(PATH_ALL, {"a": "x-east-sub", "b": "x-west-co"})
    if persona == "owner" or _east_blind(persona):
        assert hidden_end.codes() == ["NOT_FOUND"]
        assert hidden_end.body["data"] is None


@pytest.mark.parametrize("persona", ACCESS_PERSONAS)
def test_warm_intros_never_route_through_a_hidden_person(
    gql: GQL, access_graph: None, persona: str
) -> None:
    # 远端张 is known to our staff only through the west person.
    far = gql.as_(persona)(INTRO_ALL, {"t": "x-far-person"})
    # The project's decision maker 刘东: the owner knows him; the west manager knows the west
    # person, who influences him.
    project = gql.as_(persona)(INTRO_ALL, {"t": "x-east-project"})
    if _east_blind(persona):
        assert far.codes() == ["NOT_FOUND"]
        assert project.codes() == ["NOT_FOUND"]
        return
    for r in (far, project):
        assert r.round_trips == 1
        assert leaks(persona, r.body) == []
    chains = [
        [n["id"] for n in p["nodes"] if n["kind"] != "COMPANY"]
        for p in project.data["warmIntroPaths"]
    ]
    if persona == "owner":
        assert far.data["warmIntroPaths"] == []
        assert chains == [[PERSONAS["owner"]["id"], "x-east-person"]]
    else:
        assert [n["id"] for n in far.data["warmIntroPaths"][0]["nodes"]] == [
            PERSONAS["manager_west"]["id"],
            "x-west-person",
            "x-far-person",
        ]
        assert [PERSONAS["manager_west"]["id"], "x-west-person", "x-east-person"] in chains


# 吴海涛 and the target 周建华 share five ties; 钱丽 only reports to him. All four work at A1,
# and our rep knows only 孙小明. Parallel ties made five paths with the same people, which
# used up SHORTEST k, so the introduction through 钱丽 was never found.
PARALLEL_GRAPH = """
MATCH (u:User {id: $owner})
CREATE (co:Company {id: 'pa-a1', name: 'A1'})
CREATE (s:Person {id: 'pa-sun', name: '孙小明'})-[:WORKS_AT {id: 'pa-ws'}]->(co)
CREATE (w:Person {id: 'pa-wu', name: '吴海涛'})-[:WORKS_AT {id: 'pa-ww'}]->(co)
CREATE (q:Person {id: 'pa-qian', name: '钱丽'})-[:WORKS_AT {id: 'pa-wq'}]->(co)
CREATE (t:Person {id: 'pa-zhou', name: '周建华'})-[:WORKS_AT {id: 'pa-wt'}]->(co)
CREATE (u)-[:KNOWS {id: 'pa-us', strength: 0.8}]->(s)
CREATE (w)-[:INFLUENCES {id: 'pa-i1', strength: 0.8, polarity: 'POSITIVE'}]->(t)
CREATE (w)-[:KNOWS {id: 'pa-k1', strength: 0.6}]->(t)
CREATE (t)-[:KNOWS {id: 'pa-k2', strength: 0.5}]->(w)
CREATE (w)-[:RELATED_TO {id: 'pa-r1', kind: 'CLASSMATE'}]->(t)
CREATE (w)-[:REPORTS_TO {id: 'pa-r2', kind: 'SOLID'}]->(t)
CREATE (t)-[:INFLUENCES {id: 'pa-i2', strength: 0.3, polarity: 'POSITIVE'}]->(w)
CREATE (q)-[:REPORTS_TO {id: 'pa-rq', kind: 'SOLID'}]->(t)
"""


def test_parallel_ties_do_not_crowd_out_another_introduction(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(PARALLEL_GRAPH, owner=OWNER).consume()
    r = gql(INTRO, {"t": "pa-zhou", "f": [OWNER], "h": 4})
    paths = r.data["warmIntroPaths"]
    # Each has one colleague-only hop (孙小明 to his colleague): ranked by strength.
    assert [chain(p) for p in paths] == [
        [OWNER, "pa-sun", "pa-zhou"],
        [OWNER, "pa-sun", "pa-wu", "pa-zhou"],
        [OWNER, "pa-sun", "pa-qian", "pa-zhou"],
    ]
    assert [p["colleagueHops"] for p in paths] == [1, 1, 1]
    assert [p["strength"] for p in paths] == [
        pytest.approx(0.8 * 0.3),
        pytest.approx(0.8 * 0.3 * 0.8),
        pytest.approx(0.8 * 0.3 * 0.7),
    ]
    assert paths[1]["hops"][2]["edgeIds"][:2] == ["pa-i1", "pa-r2"]
    assert set(paths[1]["hops"][2]["edgeIds"]) == {
        "pa-i1",
        "pa-k1",
        "pa-k2",
        "pa-r1",
        "pa-r2",
        "pa-i2",
        "pa-ww",
        "pa-wt",
    }
    assert paths[2]["hops"][2]["edgeIds"] == ["pa-rq", "pa-wq", "pa-wt"]
    # path lists the walk the introduction takes
    walks = gql(PATH, {"a": OWNER, "b": "pa-zhou", "h": 4}).data["path"]
    assert [OWNER, "pa-sun", "pa-a1", "pa-qian", "pa-zhou"] in [
        [n["id"] for n in p["nodes"]] for p in walks
    ]


# A supply cycle: 乙 is one hop from 甲 and two through 丙. Only the shortest chain path to a
# company counts (as the description says), not every path within maxHops.
CYCLE_GRAPH = """
CREATE (b:Company {id: 'cy-b', name: '甲厂'}), (x:Company {id: 'cy-x', name: '乙厂'}),
       (y:Company {id: 'cy-y', name: '丙厂'})
CREATE (b)-[:SUPPLIES {id: 'cy-bx'}]->(x)
CREATE (b)-[:SUPPLIES {id: 'cy-by'}]->(y)
CREATE (y)-[:SUPPLIES {id: 'cy-yx'}]->(x)
"""


def test_related_accounts_score_the_shortest_chain_path(gql: GQL, cypher: Driver) -> None:
    with cypher.session(database="neo4j") as s:
        s.run(CYCLE_GRAPH).consume()
    rel = by_id(
        gql(RELATED, {"c": "cy-b", "v": ["INDUSTRY_CHAIN"], "h": 2}).data["relatedAccounts"]
    )
    assert set(rel) == {"cy-x", "cy-y"}
    assert rel["cy-x"]["score"] == pytest.approx(0.8)
    assert [[e["id"] for e in p["edges"]] for p in rel["cy-x"]["paths"]] == [["cy-bx"]]
    fields = {f.python_name: f.description for f in RelatedAccount.__strawberry_definition__.fields}
    assert "shortest chain path" in fields["score"]
    assert "shortest chain path" in fields["paths"]
