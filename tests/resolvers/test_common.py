"""Node writes under row-level access (resolvers/common.py, graph/nodes.py): a write needs
edit rights on the node; invisible is NOT_FOUND, visible but not editable FORBIDDEN, a role
that never edits FORBIDDEN before any statement runs; a refused write writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.accounts import (
    EDITS_WEST,
    PERSONA_NAMES,
    READ_ONLY,
    SEES_WEST,
    build_accounts,
)

UPDATE = """mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) {
  company { id nameEn } errors { code field } } }"""
ARCHIVE = """mutation($i: NodeRefInput!) { archiveProject(input: $i) {
  project { id } errors { code field } } }"""
DELETE = """mutation($i: NodeRefInput!) { deletePerson(input: $i) {
  deletedId errors { code field } } }"""


def expected_code(persona: str) -> str | None:
    if persona in READ_ONLY:
        return "FORBIDDEN"
    if persona in EDITS_WEST:
        return None
    return "FORBIDDEN" if persona in SEES_WEST else "NOT_FOUND"


def state(cypher: Driver) -> dict[str, Any]:
    rec = cypher.execute_query(
        "MATCH (c:Company {id: 'west-co'}), (j:Project {id: 'west-project'}) "
        "RETURN c.nameEn AS nameEn, c.version AS version, j.archivedAt IS NOT NULL AS archived, "
        "EXISTS { MATCH (:Person {id: 'west-person-2'}) } AS person, "
        "COUNT { MATCH (a:AuditEvent) WHERE a.targetId IN "
        "['west-co', 'west-project', 'west-person-2'] } AS events",
        database_="neo4j",
    ).records[0]
    return dict(rec)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_writes_on_another_teams_rows(gql: GQL, cypher: Driver, persona: str) -> None:
    build_accounts(cypher)
    # manager_west can edit, other personas of other branches cannot; give one of them a
    # read share so that "visible but not editable" is exercised by a SALES user too
    if persona == "owner":
        cypher.execute_query(
            "MATCH (c:Company {id: 'west-co'}), (u:User {id: $u}) "
            "CREATE (c)-[:SHARED_WITH {level: 'READ'}]->(u)",
            u=PERSONAS["owner"]["id"],
            database_="neo4j",
        )
    before = state(cypher)
    code = "FORBIDDEN" if persona == "owner" else expected_code(persona)
    as_ = gql.as_(persona)
    up = as_(UPDATE, {"i": {"id": "west-co", "expectedVersion": 1, "nameEn": "X"}})
    ar = as_(ARCHIVE, {"i": {"id": "west-project"}})
    de = as_(DELETE, {"i": {"id": "west-person-2"}})
    payloads = (up.data["updateCompany"], ar.data["archiveProject"], de.data["deletePerson"])
    if code is None:
        assert all(p["errors"] == [] for p in payloads), payloads
        after = state(cypher)
        assert (after["nameEn"], after["archived"], after["person"]) == ("X", True, False)
        return
    if persona == "owner":
        # the read share shows the company (FORBIDDEN), not its project or its other contact
        assert up.data["updateCompany"]["errors"] == [{"code": "FORBIDDEN", "field": "input.id"}]
        assert ar.data["archiveProject"]["errors"][0]["code"] == "FORBIDDEN"
        assert de.data["deletePerson"]["errors"][0]["code"] == "FORBIDDEN"
    else:
        for p in payloads:
            assert [e["code"] for e in p["errors"]] == [code], (persona, p)
    assert state(cypher) == before  # nothing written, not even an audit event
    if persona in READ_ONLY:
        assert up.round_trips == ar.round_trips == de.round_trips == 0


CREATE = """mutation($i: CreateCompanyInput!) { createCompany(input: $i) {
  company { id ... on Company { owner { id } } } errors { code field } } }"""
CREATE_PROJECT = """mutation($i: CreateProjectInput!) { createProject(input: $i) {
  project { id } errors { code field } } }"""
GET = """query($id: ID!) { company(id: $id) { id } }"""


@pytest.mark.parametrize("persona", ["owner", "manager_west", "admin", "auditor"])
def test_a_creator_owns_the_customer_they_create(gql: GQL, cypher: Driver, persona: str) -> None:
    me = PERSONAS[persona]["id"]
    r = gql.as_(persona)(CREATE, {"i": {"name": "新客户", "customer": {}}})
    payload = r.data["createCompany"]
    if persona == "auditor":
        assert payload == {"company": None, "errors": [{"code": "FORBIDDEN", "field": "input"}]}
        assert r.round_trips == 0
        assert cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n").records[0]["n"] == 0
        return
    assert payload["errors"] == []
    new = payload["company"]["id"]
    owners = cypher.execute_query(
        "MATCH (u:User)-[o:OWNS]->(:Company {id: $id}) RETURN u.id AS u, o.since AS since",
        id=new,
        database_="neo4j",
    ).records
    if persona == "admin":
        assert owners == []  # admins create unowned customers, handed over later
    else:
        assert [o["u"] for o in owners] == [me]
        assert payload["company"]["owner"] == {"id": me}
        assert gql.as_(persona)(GET, {"id": new}).data["company"] == {"id": new}
        # the other team cannot see it
        other = "owner" if persona == "manager_west" else "other_team"
        assert gql.as_(other)(GET, {"id": new}).data["company"] is None
    # the create with its claim and its check of required custom fields, and the owner field
    assert r.round_trips == 2
    project = gql.as_(persona)(CREATE_PROJECT, {"i": {"name": "新项目"}}).data["createProject"]
    assert project["errors"] == []
    team = cypher.execute_query(
        "MATCH (u:User)-[:ON_TEAM]->(:Project {id: $id}) RETURN collect(u.id) AS ids",
        id=project["project"]["id"],
        database_="neo4j",
    ).records[0]["ids"]
    assert team == ([] if persona == "admin" else [me])


UPSERT = """mutation($i: UpsertCompanyInput!) { upsertCompany(input: $i) {
  company { id } created errors { code field } } }"""


def test_upsert_onto_a_record_the_viewer_cannot_see_is_refused(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    cypher.execute_query(
        "MATCH (c:Company {id: 'west-co'}) SET c.externalSource = 'erp', c.externalId = 'W1'",
        database_="neo4j",
    )
    i = {"externalSource": "erp", "externalId": "W1", "name": "改名"}
    hidden = gql.as_("owner")(UPSERT, {"i": i}).data["upsertCompany"]
    assert hidden["errors"] == [{"code": "DUPLICATE", "field": "input.externalId"}]
    readonly = gql.as_("analyst")(UPSERT, {"i": i}).data["upsertCompany"]
    assert readonly["errors"] == [{"code": "FORBIDDEN", "field": "input.externalId"}]
    name = cypher.execute_query("MATCH (c:Company {id: 'west-co'}) RETURN c.name AS n")
    assert name.records[0]["n"] == "西方客户"
    ok = gql.as_("other_team")(UPSERT, {"i": i}).data["upsertCompany"]
    assert ok["errors"] == []
    assert ok["company"]["id"] == "west-co"
