"""Defining custom fields in tests, as an admin would."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL, PERSONAS

DEFINITION = (
    "id kind key type required options referenceKind labelZh labelEn personal dynamic version "
    "archivedAt validation { min max minDate maxDate pattern maxLength }"
)
PAYLOAD = (
    f"definition {{ {DEFINITION} }} misfits {{ count nodes {{ id }} }} "
    "errors { code field message }"
)
DEFINE = f"""mutation($input: DefineCustomFieldInput!) {{
  defineCustomField(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($input: UpdateCustomFieldDefinitionInput!) {{
  updateCustomFieldDefinition(input: $input) {{ {PAYLOAD} }} }}"""
ARCHIVE = f"""mutation($input: NodeRefInput!) {{
  archiveCustomFieldDefinition(input: $input) {{ {PAYLOAD} }} }}"""


def define(gql: GQL, kind: str, key: str, type_: str, **extra: Any) -> dict[str, Any]:
    """Define a field as the admin; fails the test when refused."""
    r = gql(DEFINE, {"input": {"kind": kind, "key": key, "type": type_, **extra}})
    payload = r.data["defineCustomField"]
    assert payload["errors"] == [], payload["errors"]
    definition: dict[str, Any] = payload["definition"]
    return definition


def hidden_reference(gql: GQL, cypher: Driver) -> dict[str, str]:
    """An EAST customer whose REFERENCE fields name a WEST contact (hidden from the EAST rep)
    and a reference company (seen by every rep): the ids of `company`, `person` and `ref`."""
    define(gql, "COMPANY", "boss", "REFERENCE", referenceKind="PERSON")
    define(gql, "COMPANY", "partner", "REFERENCE", referenceKind="COMPANY")
    row = cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $west}) "
        "CREATE (o)-[:OWNS]->(c:Company:Customer {id: randomUUID(), name: '东部客户', "
        "  version: 1}) "
        "CREATE (w)-[:OWNS]->(x:Company:Customer {id: randomUUID(), name: '西部客户', "
        "  version: 1}) "
        "CREATE (p:Person {id: randomUUID(), name: '西部联系人', version: 1})-[:WORKS_AT]->(x) "
        "CREATE (r:Company {id: randomUUID(), name: '参考公司', version: 1}) "
        "SET c.`custom.boss` = p.id, c.`custom.partner` = r.id "
        "RETURN c.id AS company, p.id AS person, r.id AS ref",
        owner=PERSONAS["owner"]["id"],
        west=PERSONAS["other_team"]["id"],
    ).records[0]
    return {k: str(row[k]) for k in ("company", "person", "ref")}
