"""Project mutations through the real app, and the project's customer field."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.customfields import define
from tests.resolvers.test_relationship import count

FIELDS = "id name stage status amount currency expectedClose version"
ERRORS = "errors { code field }"
CREATE = f"""mutation($input: CreateProjectInput!) {{
  createProject(input: $input) {{ project {{ {FIELDS} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateProjectInput!) {{
  updateProject(input: $input) {{ project {{ {FIELDS} }} {ERRORS} }} }}"""
UPSERT = f"""mutation($input: UpsertProjectInput!) {{
  upsertProject(input: $input) {{ project {{ {FIELDS} }} created changedFields {ERRORS} }} }}"""


def create(gql: GQL, **fields: Any) -> dict[str, Any]:
    payload = gql(CREATE, {"input": {"name": "数据中心扩容", **fields}}).data["createProject"]
    assert payload["errors"] == []
    return payload["project"]  # type: ignore[no-any-return]


def test_create_defaults_currency_and_validates(gql: GQL) -> None:
    p = create(gql, stage="LEAD", status="OPEN", amount=1200000.5, expectedClose="2027-03-31")
    assert p["currency"] == "CNY"
    assert (p["stage"], p["status"], p["amount"]) == ("LEAD", "OPEN", 1200000.5)
    assert p["expectedClose"] == "2027-03-31"
    bad = gql(CREATE, {"input": {"name": "", "amount": -1, "currency": "RMBX"}}).data
    assert {e["field"]: e["code"] for e in bad["createProject"]["errors"]} == {
        "input.name": "VALIDATION",
        "input.amount": "VALIDATION",
        "input.currency": "VALIDATION",
    }


def test_currency_is_cny_without_an_amount_and_an_iso_code_or_refused(gql: GQL) -> None:
    """A deal created without amount had no currency (the SDL says CNY), and RMB or CNH,
    which orders and plans refuse, were taken as codes."""
    assert create(gql)["currency"] == "CNY"
    assert create(gql, currency=" usd ")["currency"] == "USD"
    for nickname in ("RMB", "CNH", "XXX"):
        bad = gql(CREATE, {"input": {"name": "人民币报价", "currency": nickname}}).data
        assert bad["createProject"]["errors"] == [
            {"code": "VALIDATION", "field": "input.currency"}
        ], nickname


def test_update_conflict_not_found_duplicate(gql: GQL) -> None:
    p = create(gql, externalSource="crm", externalId="1")
    ok = gql(UPDATE, {"input": {"id": p["id"], "expectedVersion": 1, "stage": "PROPOSAL"}})
    assert ok.data["updateProject"]["project"]["stage"] == "PROPOSAL"
    stale = gql(UPDATE, {"input": {"id": p["id"], "expectedVersion": 1, "stage": "CLOSED"}})
    assert [e["code"] for e in stale.data["updateProject"]["errors"]] == ["CONFLICT"]
    missing = gql(UPDATE, {"input": {"id": "nope", "expectedVersion": 1}})
    assert [e["code"] for e in missing.data["updateProject"]["errors"]] == ["NOT_FOUND"]
    dup = gql(CREATE, {"input": {"name": "x", "externalSource": "crm", "externalId": "1"}})
    assert [e["code"] for e in dup.data["createProject"]["errors"]] == ["DUPLICATE"]


def test_upsert_idempotent(gql: GQL, cypher: Driver) -> None:
    data = {"externalSource": "erp", "externalId": "O-1", "name": "智慧园区", "amount": 5.0}
    first = gql(UPSERT, {"input": data}).data["upsertProject"]
    assert first["created"] is True
    again = gql(UPSERT, {"input": data}).data["upsertProject"]
    assert (again["created"], again["changedFields"], again["project"]["version"]) == (
        False,
        [],
        1,
    )
    events = count(
        cypher, "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a)", id=first["project"]["id"]
    )
    assert events == 1


def test_archive_delete_and_customer(gql: GQL, cypher: Driver) -> None:
    p = create(gql)
    company = gql(
        'mutation { createCompany(input: {name: "华为技术有限公司"}) { company { id } } }'
    ).data["createCompany"]["company"]
    cypher.execute_query(
        "MATCH (p:Project {id: $p}), (c:Company {id: $c}) "
        "CREATE (p)-[:FOR {id: randomUUID(), since: date('2020-01-01'), version: 1}]->(c)",
        p=p["id"],
        c=company["id"],
        database_="neo4j",
    )
    got = gql(
        "query($id: ID!) { project(id: $id) { customer { __typename ... on Company { name } } } }",
        {"id": p["id"]},
    )
    assert got.data["project"]["customer"] == {"__typename": "Company", "name": "华为技术有限公司"}
    archive = (
        "mutation($i: NodeRefInput!) { archiveProject(input: $i) { project { archivedAt } "
        + ("errors { code } } }")
    )
    assert gql(archive, {"i": {"id": "nope"}}).data["archiveProject"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]
    assert gql(archive, {"i": {"id": p["id"]}}).data["archiveProject"]["project"]["archivedAt"]
    delete = (
        "mutation($i: NodeRefInput!) { deleteProject(input: $i) { deletedId errors { code } } }"
    )
    assert gql(delete, {"i": {"id": p["id"]}}).data["deleteProject"]["deletedId"] == p["id"]
    assert gql(delete, {"i": {"id": p["id"]}}).data["deleteProject"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]


def test_a_required_custom_field_refuses_an_upsert_without_values(gql: GQL, cypher: Driver) -> None:
    data = {"externalSource": "erp", "externalId": "O-2", "name": "智慧园区"}
    gql('query { project(id: "warm-up") { id } }')  # signs the key in
    first = gql(UPSERT, {"input": data})
    assert first.data["upsertProject"]["created"] is True
    assert first.round_trips == 2  # the lock with the required-field check, the write
    again = gql(UPSERT, {"input": data})
    assert again.data["upsertProject"]["changedFields"] == []
    assert again.round_trips == 1
    define(gql, "PROJECT", "phase", "TEXT", required=True)
    gql('query { project(id: "warm-up") { id } }')
    refused = gql(UPSERT, {"input": {**data, "externalId": "O-3"}})
    assert refused.data["upsertProject"] == {
        "project": None,
        "created": False,
        "changedFields": [],
        "errors": [{"code": "VALIDATION", "field": "input.custom.phase"}],
    }
    assert refused.round_trips == 2  # the refused lock, then the definitions to name it
    projects = "MATCH (p:Project) RETURN count(p)"
    assert count(cypher, projects) == 1


def test_amounts_are_capped_like_order_amounts(gql: GQL) -> None:
    # 1e300 once stored broke planVsActual for managers (weighting overflowed).
    for amount in (1e300, 1e13 + 1):
        bad = gql(CREATE, {"input": {"name": "天价项目", "amount": amount}}).data["createProject"]
        assert bad["errors"] == [{"code": "VALIDATION", "field": "input.amount"}], amount
    p = create(gql, amount=1e13)
    assert p["amount"] == 1e13
    for amount in (1e300, -1.0):
        upd = {"id": p["id"], "expectedVersion": 1, "amount": amount}
        bad = gql(UPDATE, {"input": upd}).data["updateProject"]
        assert bad["errors"] == [{"code": "VALIDATION", "field": "input.amount"}], amount
    upsert = {"externalSource": "erp", "externalId": "huge", "name": "x", "amount": 1e300}
    bad = gql(UPSERT, {"input": upsert}).data["upsertProject"]
    assert bad["errors"] == [{"code": "VALIDATION", "field": "input.amount"}]
    # Cents, as orders: a third decimal would round one way in one sum and another in the next.
    for amount in (500000.555, 1e-9):
        bad = gql(CREATE, {"input": {"name": "零头项目", "amount": amount}}).data["createProject"]
        assert bad["errors"] == [{"code": "VALIDATION", "field": "input.amount"}], amount
    assert create(gql, amount=0.29)["amount"] == 0.29


def test_an_expected_close_typo_is_refused(gql: GQL) -> None:
    for day in ("0001-01-01", "9999-12-31"):
        bad = gql(CREATE, {"input": {"name": "远期项目", "expectedClose": day}})
        assert bad.data["createProject"]["errors"] == [
            {"code": "VALIDATION", "field": "input.expectedClose"}
        ], day
    assert create(gql, expectedClose="2027-03-31")["expectedClose"] == "2027-03-31"
