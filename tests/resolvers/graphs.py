"""Hand-built graphs with known answers, written with plain Cypher following docs/MODEL.md."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL, Response

# Ids are readable on purpose; the API treats them as opaque strings.
GROUP = """
CREATE (g1:Company:Customer {id: 'g1', name: '华东集团', nameEn: 'East Group', tier: 'CORE',
        lifecycleStage: 'ACTIVE', industry: 'manufacturing'})
CREATE (g2:Company {id: 'g2', name: '西部投资', nameEn: 'West Invest'})
CREATE (s1:Company:Customer {id: 's1', name: '华东机械', tier: 'GENERAL'})
CREATE (s2:Company {id: 's2', name: '华东物流'})
CREATE (b1:Company:Customer {id: 'b1', name: '华东机械上海分公司', tier: 'GENERAL'})
CREATE (jv:Company {id: 'jv', name: '东西合资'})
CREATE (s1)-[:SUBSIDIARY_OF {id: 'e-s1', kind: 'SUBSIDIARY', ownership: 1.0}]->(g1)
CREATE (s2)-[:SUBSIDIARY_OF {id: 'e-s2', kind: 'SUBSIDIARY', since: date('2010-01-01')}]->(g1)
CREATE (b1)-[:SUBSIDIARY_OF {id: 'e-b1', kind: 'BRANCH'}]->(s1)
CREATE (jv)-[:SUBSIDIARY_OF {id: 'e-jv1', kind: 'JOINT_VENTURE', ownership: 0.5}]->(s1)
CREATE (jv)-[:SUBSIDIARY_OF {id: 'e-jv2', kind: 'JOINT_VENTURE', ownership: 0.5}]->(g2)
CREATE (:Project {id: 'p-b1', name: '上海产线', status: 'OPEN', amount: 100.0})
  -[:FOR {id: 'f1'}]->(b1)
CREATE (:Project {id: 'p-jv', name: '合资仓储', status: 'OPEN', amount: 50.0})
  -[:FOR {id: 'f2'}]->(jv)
CREATE (:Project {id: 'p-s2', name: '物流系统', status: 'WON', amount: 999.0})
  -[:FOR {id: 'f3'}]->(s2)
// the supply chain around the group
CREATE (m:Company {id: 'm', name: '精工钢材', nameEn: 'Precision Steel'})
CREATE (d:Company {id: 'd', name: '华南经销', nameEn: 'South Distribution'})
CREATE (di:Company {id: 'di', name: '设计研究院', nameEn: 'Design Institute'})
CREATE (x:Company {id: 'x', name: '旧伙伴', nameEn: 'Old Partner'})
CREATE (m)-[:SUPPLIES {id: 'e-m', products: 'steel'}]->(g1)
CREATE (d)-[:DISTRIBUTES_FOR {id: 'e-d', region: 'south'}]->(m)
CREATE (di)-[:INFLUENCES_PURCHASE {id: 'e-di', strength: 0.8}]->(g1)
CREATE (x)-[:PARTNERS_WITH {id: 'e-x', since: date('2015-01-01'), until: date('2020-01-01')}]->(g1)
"""

PEOPLE = """
MATCH (g1:Company {id: 'g1'}), (s1:Company {id: 's1'}), (m:Company {id: 'm'})
CREATE (ceo:Person {id: 'zhang', name: '张伟'})-[:WORKS_AT {id: 'w-zhang', title: '总经理',
        department: '总经办'}]->(g1)
CREATE (cto:Person {id: 'wang', name: '王强'})-[:WORKS_AT {id: 'w-wang', title: '技术总监',
        department: '技术部'}]->(g1)
CREATE (cfo:Person {id: 'zhao', name: '赵敏'})-[:WORKS_AT {id: 'w-zhao', title: '财务经理',
        department: '财务部'}]->(g1)
CREATE (eng:Person {id: 'chen', name: '陈工'})-[:WORKS_AT {id: 'w-chen', title: '工程师',
        department: '设备科'}]->(s1)
CREATE (cto)-[:REPORTS_TO {id: 'r-wang', kind: 'SOLID'}]->(ceo)
CREATE (cfo)-[:REPORTS_TO {id: 'r-zhao', kind: 'DOTTED'}]->(ceo)
CREATE (eng)-[:REPORTS_TO {id: 'r-chen', kind: 'SOLID'}]->(cto)
CREATE (cto)-[:INFLUENCES {id: 'i-wang', strength: 0.7, polarity: 'POSITIVE'}]->(ceo)
// 李娜 changed jobs: at 华东机械 until 2022, at 精工钢材 since
CREATE (li:Person {id: 'li', name: '李娜'})
CREATE (li)-[:WORKS_AT {id: 'w-li-old', title: '采购员', department: '采购部',
        since: date('2015-03-01'), until: date('2022-01-01')}]->(s1)
CREATE (li)-[:WORKS_AT {id: 'w-li-new', title: '销售经理', department: '销售部',
        since: date('2022-01-01')}]->(m)
CREATE (li)-[:REPORTS_TO {id: 'r-li', kind: 'SOLID', until: date('2022-01-01')}]->(eng)
"""


def build(cypher: Driver, *parts: str) -> None:
    with cypher.session(database="neo4j") as s:
        for part in parts:
            s.run(part).consume()


# A project whose decision maker 张伟 is swayed by 刘教授, who takes no part in the project.
PROJECT = """
MATCH (g1:Company {id: 'g1'}), (zhang:Person {id: 'zhang'}), (wang:Person {id: 'wang'}),
      (zhao:Person {id: 'zhao'}), (chen:Person {id: 'chen'})
CREATE (p:Project {id: 'proj', name: '智能工厂', status: 'OPEN', amount: 500.0})
CREATE (p)-[:FOR {id: 'f-proj'}]->(g1)
CREATE (zhang)-[:PARTICIPATES_IN {id: 'pi-zhang', role: 'DECISION_MAKER', stance: 'NEUTRAL'}]->(p)
CREATE (wang)-[:PARTICIPATES_IN {id: 'pi-wang', role: 'TECHNICAL_EVALUATOR',
        stance: 'SUPPORTER'}]->(p)
CREATE (zhao)-[:PARTICIPATES_IN {id: 'pi-zhao', role: 'FINANCIAL_APPROVER', stance: 'OPPONENT',
        concerns: 'budget'}]->(p)
CREATE (ex:Person {id: 'exdm', name: '前任'})-[:PARTICIPATES_IN {id: 'pi-ex',
        role: 'DECISION_MAKER', until: date('2020-01-01')}]->(p)
CREATE (liu:Person {id: 'liu', name: '刘教授'})
CREATE (liu)-[:INFLUENCES {id: 'i-liu', strength: 0.9, polarity: 'NEGATIVE',
        basis: 'former professor'}]->(zhang)
CREATE (zhao)-[:INFLUENCES {id: 'i-zhao', strength: 0.6, polarity: 'NEGATIVE',
        projectId: 'proj'}]->(zhang)
CREATE (chen)-[:INFLUENCES {id: 'i-chen-other', strength: 0.9, projectId: 'other'}]->(zhang)
CREATE (:StanceChange {id: 'sc1', projectId: 'proj', personId: 'zhao', from: 'NEUTRAL',
        to: 'OPPONENT', at: datetime('2026-10-01T09:00:00+08:00'), by: 'u-owner'})
"""


# Visibility (graph/access.py) on the maps. `x-east-*` accounts are owned by the owner persona
# (team EAST), `x-west-*` by other_team (WEST); `x-public` is a non-customer company.
# The east companies meet the far one only through the west customer, and the far person is
# known to our staff only through the west person, so a viewer who may not see the west side
# must not reach (or learn the shape of) anything behind it. 东方客户's contact 刘东 also
# works at the west customer (later), and 客户个人 is a person who is a west account herself.
ACCESS = """
MATCH (o:User {id: $owner}), (w:User {id: $west}), (mw:User {id: $managerWest})
CREATE (ec:Company:Customer {id: 'x-east-co', name: '东方客户', tier: 'CORE'})
CREATE (es:Company:Customer {id: 'x-east-sub', name: '东方子公司'})
CREATE (ef:Company:Customer {id: 'x-east-far', name: '东方远端'})
CREATE (wc:Company:Customer {id: 'x-west-co', name: '西部秘密客户', nameEn: 'WestSecret'})
CREATE (wg:Company:Customer {id: 'x-west-group', name: '西部集团总部'})
CREATE (pub:Company {id: 'x-public', name: '公共设计院'})
CREATE (o)-[:OWNS {id: 'x-own-1'}]->(ec), (o)-[:OWNS {id: 'x-own-2'}]->(es),
       (o)-[:OWNS {id: 'x-own-3'}]->(ef),
       (w)-[:OWNS {id: 'hid-own-wc'}]->(wc), (w)-[:OWNS {id: 'hid-own-wg'}]->(wg)
CREATE (ec)-[:SUPPLIES {id: 'hid-ec-wc'}]->(wc)
CREATE (wc)-[:SUPPLIES {id: 'hid-wc-ef'}]->(ef)
CREATE (es)-[:SUBSIDIARY_OF {id: 'x-es-ec'}]->(ec)
CREATE (ec)-[:SUBSIDIARY_OF {id: 'hid-ec-wg'}]->(wg)
CREATE (pub)-[:PARTNERS_WITH {id: 'x-pub-ec'}]->(ec)
CREATE (ep:Person {id: 'x-east-person', name: '刘东'})
CREATE (ep)-[:WORKS_AT {id: 'x-ep-ec', title: '厂长', since: date('2020-01-01')}]->(ec)
CREATE (ep)-[:WORKS_AT {id: 'hid-ep-wc', title: '西部顾问', since: date('2024-01-01')}]->(wc)
CREATE (fp:Person {id: 'x-far-person', name: '远端张'})
CREATE (fp)-[:WORKS_AT {id: 'x-fp-ef'}]->(ef)
CREATE (wp:Person {id: 'x-west-person', name: '隐身王五'})
CREATE (wp)-[:WORKS_AT {id: 'hid-wp-wc'}]->(wc)
CREATE (pc:Person:Customer {id: 'x-cust-person', name: '客户个人'})
CREATE (w)-[:OWNS {id: 'hid-own-pc'}]->(pc)
CREATE (pc)-[:WORKS_AT {id: 'hid-pc-ec'}]->(ec)
CREATE (wp)-[:RELATED_TO {id: 'hid-wp-fp', kind: 'FRIEND'}]->(fp)
CREATE (mw)-[:KNOWS {id: 'hid-mw-wp', strength: 0.9}]->(wp)
CREATE (o)-[:KNOWS {id: 'x-o-ep', strength: 0.5}]->(ep)
CREATE (w)-[:KNOWS {id: 'hid-w-pc', strength: 0.7}]->(pc)
CREATE (wp)-[:INFLUENCES {id: 'hid-wp-ep', strength: 0.9}]->(ep)
CREATE (pc)-[:INFLUENCES {id: 'hid-pc-ep', strength: 0.8}]->(ep)
CREATE (pr:Project {id: 'x-east-project', name: '东方项目', status: 'OPEN', amount: 100.0})
CREATE (pr)-[:FOR {id: 'x-pr-ec'}]->(ec)
CREATE (ep)-[:PARTICIPATES_IN {id: 'x-ep-pr', role: 'DECISION_MAKER', stance: 'NEUTRAL'}]->(pr)
CREATE (pc)-[:PARTICIPATES_IN {id: 'hid-pc-pr', role: 'ECONOMIC_BUYER', stance: 'OPPONENT'}]->(pr)
CREATE (wpr:Project {id: 'x-west-project', name: '西部机密项目', status: 'OPEN', amount: 7.0})
CREATE (wpr)-[:FOR {id: 'hid-wpr-wc'}]->(wc)
CREATE (ep)-[:PARTICIPATES_IN {id: 'hid-ep-wpr', role: 'USER'}]->(wpr)
CREATE (:StanceChange {id: 'hid-sc', projectId: 'x-east-project', personId: 'x-cust-person',
        from: 'NEUTRAL', to: 'OPPONENT', at: datetime('2026-10-01T09:00:00+08:00'), by: 'u'})
"""

# Per node: its id and name. Which of them each persona may not see (docs/ACCESS.md).
ACCESS_NAMES = {
    "x-east-co": "东方客户",
    "x-east-sub": "东方子公司",
    "x-east-far": "东方远端",
    "x-west-co": "西部秘密客户",
    "x-west-group": "西部集团总部",
    "x-public": "公共设计院",
    "x-east-person": "刘东",
    "x-far-person": "远端张",
    "x-west-person": "隐身王五",
    "x-cust-person": "客户个人",
    "x-east-project": "东方项目",
    "x-west-project": "西部机密项目",
}
_EAST = {"x-east-co", "x-east-sub", "x-east-far", "x-far-person", "x-east-project"}
_WEST = {"x-west-co", "x-west-group", "x-west-person", "x-cust-person", "x-west-project"}
INVISIBLE = {
    "owner": _WEST,
    "other_team": _EAST,
    # manager_west KNOWS the west person, and sees the west accounts anyway.
    "manager_west": _EAST,
    "manager_above": set(),
    "analyst": set(),
    "auditor": set(),
    "admin": set(),
}
ACCESS_PERSONAS = tuple(INVISIBLE)


def build_access(cypher: Driver) -> None:
    from tests.conftest import PERSONAS

    with cypher.session(database="neo4j") as s:
        s.run(
            ACCESS,
            owner=PERSONAS["owner"]["id"],
            west=PERSONAS["other_team"]["id"],
            managerWest=PERSONAS["manager_west"]["id"],
        ).consume()


def leaks(persona: str, body: object) -> list[str]:
    """Every id, name or hidden edge id (`hid-…`, edges touching a node `persona` may not see)
    of an invisible node found anywhere in the response text."""
    import json

    text = json.dumps(body, ensure_ascii=False)
    hidden = INVISIBLE[persona]
    found = [t for nid in hidden for t in (nid, ACCESS_NAMES[nid]) if t in text]
    if hidden:
        # Every edge touching a west node is named `hid-…`; for the east-blind personas the
        # east edges are listed instead.
        if persona == "owner":
            found += sorted(_hid_ids(text))
        else:
            found += [e for e in _EAST_EDGES if e in text]
    return found


def answer_on_access_graph(
    gql: GQL, persona: str, query: str, variables: dict[str, Any], *, centre: str
) -> Response | None:
    """`query` asked as `persona` of the access graph, about `centre`. A centre the persona may
    not see is refused exactly as a missing one (None is returned then); any other answer takes
    one round trip and holds nothing the persona may not see."""
    r = gql.as_(persona)(query, variables)
    if centre in INVISIBLE[persona]:
        assert r.codes() == ["NOT_FOUND"]
        assert r.body["data"] is None
        return None
    assert r.round_trips == 1
    assert leaks(persona, r.body) == []
    return r


_EAST_EDGES = ("x-own-1", "x-own-2", "x-own-3", "hid-ec-wc", "hid-wc-ef", "x-es-ec", "hid-ec-wg",
               "x-pub-ec", "x-ep-ec", "x-fp-ef", "hid-pc-ec", "hid-wp-fp", "x-pr-ec",
               "x-ep-pr", "hid-pc-pr")  # fmt: skip


def _hid_ids(text: str) -> set[str]:
    import re

    return set(re.findall(r"hid-[a-z]+(?:-[a-z]+)?", text))
