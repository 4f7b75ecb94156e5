"""Two teams' accounts side by side, for row-level visibility tests (graph/access.py).

EAST (the `owner` persona) owns 东方客户 with its contact 东方联系人 (personal data set), its
project 东方项目 and a subsidiary; WEST (`other_team`) owns 西方客户 and the same. Both teams'
accounts touch: 西方客户 SUPPLIES 东方客户, and 西方子公司 is a subsidiary of 东方客户. Each
account has audit events. Names and ids say whose they are, so a leak is easy to spot.
"""

from __future__ import annotations

import json

from neo4j import Driver
from tests.conftest import PERSONAS

ACCOUNTS = """
MATCH (east:User {id: $east}), (west:User {id: $west})
CREATE (ec:Company:Customer {id: 'east-co', name: '东方客户', nameEn: 'East Customer',
        customerKind: 'ENTERPRISE', version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (wc:Company:Customer {id: 'west-co', name: '西方客户', nameEn: 'West Customer',
        customerKind: 'ENTERPRISE', version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (es:Company:Customer {id: 'east-sub', name: '东方子公司', customerKind: 'ENTERPRISE',
        version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (ws:Company:Customer {id: 'west-sub', name: '西方子公司', customerKind: 'ENTERPRISE',
        version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (ep:Person {id: 'east-person', name: '东方联系人', mobile: '+8613812345678',
        idNumber: '11010519491231002X', version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (wp:Person {id: 'west-person', name: '西方联系人', mobile: '+8613912345678',
        version: 1, createdAt: datetime(), updatedAt: datetime()})
CREATE (wp2:Person {id: 'west-person-2', name: '西方联系人二', version: 1,
        createdAt: datetime(), updatedAt: datetime()})
CREATE (ej:Project {id: 'east-project', name: '东方项目', version: 1, createdAt: datetime(),
        updatedAt: datetime()})
CREATE (wj:Project {id: 'west-project', name: '西方项目', version: 1, createdAt: datetime(),
        updatedAt: datetime()})
CREATE (east)-[:OWNS {id: 'owns-east', version: 1}]->(ec)
CREATE (east)-[:OWNS {id: 'owns-east-sub', version: 1}]->(es)
CREATE (west)-[:OWNS {id: 'owns-west', version: 1}]->(wc)
CREATE (west)-[:OWNS {id: 'owns-west-sub', version: 1}]->(ws)
CREATE (ep)-[:WORKS_AT {id: 'works-east', version: 1}]->(ec)
CREATE (wp)-[:WORKS_AT {id: 'works-west', version: 1}]->(wc)
CREATE (wp2)-[:WORKS_AT {id: 'works-west-2', version: 1}]->(wc)
CREATE (ej)-[:FOR {id: 'for-east', version: 1}]->(ec)
CREATE (wj)-[:FOR {id: 'for-west', version: 1}]->(wc)
CREATE (es)-[:SUBSIDIARY_OF {id: 'sub-east', version: 1}]->(ec)
CREATE (ws)-[:SUBSIDIARY_OF {id: 'sub-west', version: 1}]->(ec)
CREATE (wc)-[:SUPPLIES {id: 'supplies-west-east', version: 1}]->(ec)
CREATE (wp)-[:REPORTS_TO {id: 'reports-west', version: 1}]->(wp2)
CREATE (wp)-[:PARTICIPATES_IN {id: 'part-west', stance: 'NEUTRAL', version: 1}]->(wj)
CREATE (ep)-[:PARTICIPATES_IN {id: 'part-east', stance: 'NEUTRAL', version: 1}]->(ej)
CREATE (:StanceChange {id: 'sc-west', projectId: 'west-project', personId: 'west-person',
        from: null, to: 'NEUTRAL', at: datetime(), by: $west})
CREATE (:StanceChange {id: 'sc-east', projectId: 'east-project', personId: 'east-person',
        from: null, to: 'NEUTRAL', at: datetime(), by: $east})
WITH ec, wc
UNWIND [['ev-east', 'east-co'], ['ev-west', 'west-co'], ['ev-west-p', 'west-person']] AS ev
CREATE (:AuditEvent {id: ev[0], at: datetime(), actor: $admin, action: 'company.update',
        targetId: ev[1], targetLabel: 'Company', fields: ['name'], requestId: 'r'})
"""

EAST_IDS = ("east-co", "east-sub", "east-person", "east-project")
WEST_IDS = ("west-co", "west-sub", "west-person", "west-person-2", "west-project")
EAST_NAMES = ("东方客户", "东方子公司", "东方联系人", "东方项目")
WEST_NAMES = ("西方客户", "西方子公司", "西方联系人", "西方联系人二", "西方项目")

# Who sees and who edits each team's accounts (docs: graph/access.py).
SEES_EAST = frozenset({"owner", "manager_above", "analyst", "auditor", "admin"})
SEES_WEST = frozenset(
    {"other_team", "manager_above", "manager_west", "analyst", "auditor", "admin"}
)
EDITS_EAST = frozenset({"owner", "manager_above", "admin"})
EDITS_WEST = frozenset({"other_team", "manager_above", "manager_west", "admin"})
PERSONA_NAMES = (
    "owner",
    "other_team",
    "manager_above",
    "manager_west",
    "analyst",
    "auditor",
    "admin",
)
READ_ONLY = frozenset({"analyst", "auditor"})


def build_accounts(cypher: Driver) -> None:
    cypher.execute_query(
        ACCOUNTS,
        east=PERSONAS["owner"]["id"],
        west=PERSONAS["other_team"]["id"],
        admin=PERSONAS["admin"]["id"],
        database_="neo4j",
    )


def own(cypher: Driver, node_id: str, persona: str = "owner") -> None:
    """Make `persona` the owner of the node `node_id` (from today)."""
    cypher.execute_query(
        "MATCH (u:User {id: $user}), (n {id: $id}) "
        "CREATE (u)-[:OWNS {id: randomUUID(), since: date()}]->(n)",
        user=PERSONAS[persona]["id"],
        id=node_id,
        database_="neo4j",
    )


def leaks(text: str, names: tuple[str, ...], ids: tuple[str, ...]) -> set[str]:
    """Which of these names or ids appear anywhere in a response's text."""
    return {x for x in (*names, *ids) if x in text}


def hidden_leaks(persona: str, data: object) -> set[str]:
    """The names and ids of the team accounts `persona` may not see found in a response."""
    text = json.dumps(data, ensure_ascii=False)
    found = set()
    if persona not in SEES_WEST:
        found |= leaks(text, WEST_NAMES, WEST_IDS)
    if persona not in SEES_EAST:
        found |= leaks(text, EAST_NAMES, EAST_IDS)
    return found
