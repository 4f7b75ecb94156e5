"""Company upserts by (externalSource, externalId): idempotent imports."""

from __future__ import annotations

from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.customfields import define

UPSERT = """mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  company { id name phone version customer { tier } } created changedFields
  errors { code field } } }"""


def events(cypher: Driver, node_id: str) -> list[str]:
    rows = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action ORDER BY a.at",
        id=node_id,
        database_="neo4j",
    ).records
    return [r["action"] for r in rows]


def test_same_import_twice_changes_nothing(gql: GQL, cypher: Driver) -> None:
    define(gql, "COMPANY", "region", "TEXT", labelZh="区域")
    data = {
        "externalSource": "erp",
        "externalId": "C-100",
        "name": "华为技术有限公司",
        "phone": "0755 2878 0808",
        "foundedOn": "1987-09-15",
        "registeredCapital": 4000000.0,
        "custom": {"region": "华南"},
        "customer": {"tier": "CORE"},
    }
    first = gql(UPSERT, {"input": data}).data["upsertCompany"]
    assert first["errors"] == []
    assert first["created"] is True
    assert first["company"]["version"] == 1
    assert first["company"]["customer"] == {"tier": "CORE"}
    node_id = first["company"]["id"]
    second = gql(UPSERT, {"input": data}).data["upsertCompany"]
    assert (second["created"], second["changedFields"]) == (False, [])
    assert second["company"]["version"] == 1
    assert events(cypher, node_id) == ["company.upsert"]
    third = gql(UPSERT, {"input": {**data, "name": "华为", "customer": None}}).data["upsertCompany"]
    assert third["changedFields"] == ["customer", "name"]
    assert third["company"]["version"] == 2
    assert third["company"]["customer"] is None
    assert events(cypher, node_id) == ["company.upsert", "company.upsert"]
    other_source = gql(UPSERT, {"input": {**data, "externalSource": "crm"}}).data["upsertCompany"]
    assert other_source["created"] is True
    assert other_source["company"]["id"] != node_id


def test_upsert_validation_writes_nothing(gql: GQL, cypher: Driver) -> None:
    r = gql(
        UPSERT,
        {"input": {"externalSource": "erp", "externalId": "1", "name": "x", "phone": "1"}},
    ).data["upsertCompany"]
    assert r["errors"] == [{"code": "VALIDATION", "field": "input.phone"}]
    n = cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n", database_="neo4j")
    assert n.records[0]["n"] == 0


def test_concurrent_identical_upserts_create_one_node(gql: GQL, cypher: Driver) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = {"externalSource": "erp", "externalId": "RACE", "name": "并发公司"}

    def attempt(_: int) -> dict[str, object]:
        return gql(UPSERT, {"input": data}).data["upsertCompany"]  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(attempt, range(10)))
    assert all(r["errors"] == [] for r in results)
    assert sum(1 for r in results if r["created"]) == 1
    n = cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n", database_="neo4j")
    assert n.records[0]["n"] == 1
    assert len(events(cypher, results[0]["company"]["id"])) == 1  # type: ignore[index]
