"""Hand-built graphs with known answers, written with plain Cypher following docs/MODEL.md."""

from __future__ import annotations

from neo4j import Driver

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
