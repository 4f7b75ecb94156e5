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


COUNTED = """mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  company { id name version } created changedFields changeRequests { fields }
  errors { code field message } } }"""
GET = 'query { company(id: "warm-up") { id } }'
KEY = {"externalSource": "erp", "externalId": "C-200"}


def audit_events(cypher: Driver) -> int:
    rows = cypher.execute_query("MATCH (a:AuditEvent) RETURN count(a) AS n", database_="neo4j")
    return int(rows.records[0]["n"])


def stored(cypher: Driver, external_id: str) -> list[tuple[str, int]]:
    rows = cypher.execute_query(
        "MATCH (c:Company {externalId: $x}) RETURN c.name AS name, c.version AS version",
        x=external_id,
        database_="neo4j",
    ).records
    return [(r["name"], r["version"]) for r in rows]


def test_an_upsert_takes_one_statement_and_two_when_it_writes(gql: GQL) -> None:
    """Issue 16: the required-field check is in the upsert's lock statement, so an import
    without custom values costs the lock (and the update when something changed); with
    values, the definitions are read first to check them, as before."""
    gql(GET)  # signs the key in: its look-ups are not the upsert's cost
    first = gql(COUNTED, {"input": {**KEY, "name": "华星"}})
    assert first.data["upsertCompany"]["created"] is True
    assert first.round_trips == 2
    same = gql(COUNTED, {"input": {**KEY, "name": "华星"}})
    assert same.data["upsertCompany"]["changedFields"] == []
    assert same.round_trips == 1
    renamed = gql(COUNTED, {"input": {**KEY, "name": "华星科技"}})
    assert renamed.data["upsertCompany"]["changedFields"] == ["name"]
    assert renamed.round_trips == 2
    define(gql, "COMPANY", "region", "TEXT")
    valued = gql(COUNTED, {"input": {**KEY, "name": "华星科技", "custom": {"region": "华南"}}})
    assert valued.data["upsertCompany"]["changedFields"] == ["custom.region"]
    assert valued.round_trips == 3


def test_a_required_custom_field_refuses_an_upsert_without_values(gql: GQL, cypher: Driver) -> None:
    """The upsert's lock statement checks required fields itself; when one is missing it
    writes nothing (no node, no lock taken on a new key, no audit event), and the
    definitions are read to name it: the same payload as when they were read first."""
    existing = gql(COUNTED, {"input": {**KEY, "name": "华星"}}).data["upsertCompany"]
    assert existing["errors"] == []
    definition = define(gql, "COMPANY", "region", "TEXT", required=True)
    gql(GET)
    events = audit_events(cypher)
    refused_payload = {
        "company": None,
        "created": False,
        "changedFields": [],
        "changeRequests": [],
        "errors": [
            {"code": "VALIDATION", "field": "input.custom.region", "message": "is required"}
        ],
    }
    new = gql(COUNTED, {"input": {"externalSource": "erp", "externalId": "C-201", "name": "新"}})
    assert new.data["upsertCompany"] == refused_payload
    assert new.round_trips == 2
    assert stored(cypher, "C-201") == []
    renamed = gql(COUNTED, {"input": {**KEY, "name": "改名"}})
    assert renamed.data["upsertCompany"] == refused_payload
    assert renamed.round_trips == 2
    # Fields held for review, and options refused: the definitions are read before either.
    held = {**KEY, "name": "改名", "requestedBy": "CUSTOMER", "changeReason": "客户来电"}
    assert gql(COUNTED, {"input": held}).data["upsertCompany"] == refused_payload
    no_reason = {**KEY, "name": "改名", "requestedBy": "CUSTOMER"}
    assert gql(COUNTED, {"input": no_reason}).data["upsertCompany"] == refused_payload
    assert stored(cypher, KEY["externalId"]) == [("华星", 1)]
    assert audit_events(cypher) == events
    requests = cypher.execute_query("MATCH (r:ChangeRequest) RETURN count(r) AS n")
    assert requests.records[0]["n"] == 0

    given = gql(COUNTED, {"input": {**KEY, "name": "改名", "custom": {"region": "华南"}}})
    assert given.data["upsertCompany"]["changedFields"] == ["custom.region", "name"]
    gql(
        "mutation($input: NodeRefInput!) { archiveCustomFieldDefinition(input: $input) { "
        "errors { code } } }",
        {"input": {"id": definition["id"]}},
    )
    after = gql(COUNTED, {"input": {"externalSource": "erp", "externalId": "C-201", "name": "新"}})
    assert after.data["upsertCompany"]["created"] is True  # an archived field requires nothing
    assert after.round_trips == 2


def test_a_reps_new_contact_upserted_twice_is_found_again(gql: GQL) -> None:
    """A person without an employer is their creator's: the second upsert, whose new name
    waits for review, finds the person instead of calling the key taken."""
    upsert = """mutation($input: UpsertPersonInput!) { upsertPerson(input: $input) {
      created person { id } changeRequests { id } errors { code field } } }"""
    rep = gql.as_("owner")
    key = {"externalSource": "crm-probe", "externalId": "v-1"}
    first = rep(upsert, {"input": {**key, "name": "独特人名"}}).data["upsertPerson"]
    assert (first["created"], first["errors"]) == (True, [])
    again = rep(upsert, {"input": {**key, "name": "独特人名"}}).data["upsertPerson"]
    assert (again["created"], again["errors"], again["person"]) == (False, [], first["person"])
    renamed = rep(upsert, {"input": {**key, "name": "另一个名字"}}).data["upsertPerson"]
    assert renamed["errors"] == []
    assert len(renamed["changeRequests"]) == 1
    other = gql.as_("other_team")(upsert, {"input": {**key, "name": "独特人名"}})
    assert [e["code"] for e in other.data["upsertPerson"]["errors"]] == ["DUPLICATE"]
