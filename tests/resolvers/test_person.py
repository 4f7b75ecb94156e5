"""Person mutations and look-ups through the real app: validation, masking, every error code,
a race on updates and idempotent upserts."""

from __future__ import annotations

from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.customfields import define
from tests.resolvers.updates import assert_one_of_twenty_updates_wins

ID_NUMBER = "11010519491231002X"
FIELDS = (
    "id name nameEn gender birthDate idType idNumber mobile officePhone email hobbies "
    "hasPurchasingPower version custom customer { customerCode customerKind lifecycleStage }"
)
ERRORS = "errors { code field message }"
CREATE = f"""mutation($input: CreatePersonInput!) {{
  createPerson(input: $input) {{ person {{ {FIELDS} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdatePersonInput!) {{
  updatePerson(input: $input) {{ person {{ {FIELDS} }} {ERRORS} }} }}"""
UPSERT = f"""mutation($input: UpsertPersonInput!) {{
  upsertPerson(input: $input) {{ person {{ {FIELDS} }} created changedFields {ERRORS} }} }}"""
GET = f"query($id: ID!) {{ person(id: $id) {{ {FIELDS} }} }}"


def create(gql: GQL, **fields: Any) -> dict[str, Any]:
    r = gql(CREATE, {"input": {"name": "张伟", **fields}})
    payload = r.data["createPerson"]
    assert payload["errors"] == [], payload["errors"]
    return payload["person"]  # type: ignore[no-any-return]


def audit_count(cypher: Driver, node_id: str) -> int:
    records = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a) AS n", id=node_id, database_="neo4j"
    ).records
    return int(records[0]["n"])


def test_create_normalises_and_audits_field_names_only(gql: GQL, cypher: Driver) -> None:
    define(gql, "PERSON", "wechat", "TEXT", personal=True, labelZh="微信")
    p = create(
        gql,
        nameEn=" Zhang Wei ",
        gender="MALE",
        birthDate="1949-12-31",
        idNumber=ID_NUMBER.lower(),
        mobile="138 1234 5678",
        officePhone="010-6552 9988",
        email="Zhang.Wei@Example.COM",
        hobbies=["高尔夫", " 茶 "],
        hasPurchasingPower=True,
        custom={"wechat": "zw"},
        customer={"customerCode": "P-001", "lifecycleStage": "NEW"},
    )
    assert p["nameEn"] == "Zhang Wei"
    assert p["idNumber"] == ID_NUMBER  # admin sees it whole
    assert p["idType"] == "RESIDENT_ID"
    assert p["mobile"] == "+8613812345678"
    assert p["officePhone"] == "+861065529988"
    assert p["email"] == "Zhang.Wei@example.com"
    assert p["hobbies"] == ["高尔夫", "茶"]
    assert p["custom"] == {"wechat": "zw"}
    assert p["customer"] == {
        "customerCode": "P-001",
        "customerKind": "INDIVIDUAL",
        "lifecycleStage": "NEW",
    }
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action, a.fields AS fields",
        id=p["id"],
        database_="neo4j",
    ).records
    assert [e["action"] for e in events] == ["person.create"]
    assert "idNumber" in events[0]["fields"]
    assert ID_NUMBER not in str(events[0]["fields"])


def test_validation_errors_write_nothing(gql: GQL, cypher: Driver) -> None:
    r = gql(
        CREATE,
        {
            "input": {
                "name": " ",
                "idNumber": "110105194912310021",
                "mobile": "12345",
                "email": "not-an-email",
                "birthDate": "2999-01-01",
                "custom": [1, 2],
            }
        },
    )
    payload = r.data["createPerson"]
    assert payload["person"] is None
    assert {e["field"]: e["code"] for e in payload["errors"]} == {
        "input.name": "VALIDATION",
        "input.idNumber": "VALIDATION",
        "input.mobile": "VALIDATION",
        "input.email": "VALIDATION",
        "input.birthDate": "VALIDATION",
        "input.custom": "VALIDATION",
    }
    n = cypher.execute_query("MATCH (p:Person) RETURN count(p) AS n", database_="neo4j")
    assert n.records[0]["n"] == 0


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        # valid checksums, but born in 2030 and in 1850
        ({"idNumber": "11010120301201001X"}, "input.idNumber", "2030-12-01 is not between"),
        ({"idNumber": "110101185001010034"}, "input.idNumber", "1850-01-01 is not between"),
    ],
)
def test_an_id_numbers_birth_date_is_a_real_one(
    gql: GQL, cypher: Driver, given: dict[str, str], field: str, says: str
) -> None:
    out = gql(CREATE, {"input": {"name": "赵个人", **given}}).data["createPerson"]
    assert out["person"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("VALIDATION", field)]
    assert says in out["errors"][0]["message"]
    n = cypher.execute_query("MATCH (p:Person) RETURN count(p) AS n", database_="neo4j")
    assert n.records[0]["n"] == 0
    # a real one is taken, and a birthDate of another day (a lunar birthday) is kept
    same = create(gql, idNumber="110101199001010015", birthDate="1990-02-10")
    assert same["birthDate"] == "1990-02-10"


def test_a_person_is_an_individual_customer(gql: GQL) -> None:
    r = gql(CREATE, {"input": {"name": "企业类型", "customer": {"customerKind": "ENTERPRISE"}}})
    out = r.data["createPerson"]
    assert out["person"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [
        ("VALIDATION", "input.customer.customerKind")
    ]
    assert create(gql, customer={"customerKind": "INDIVIDUAL"})["id"]


def test_other_documents_are_not_checked_as_resident_ids(gql: GQL) -> None:
    p = create(gql, idType="PASSPORT", idNumber="E12345678")
    assert (p["idType"], p["idNumber"]) == ("PASSPORT", "E12345678")


def test_a_masked_value_read_back_is_refused_not_stored(gql: GQL) -> None:
    """A rep's export holds mobiles and ID numbers masked; written back, a passport number
    would pass as text and replace the real one with its stars."""
    masked = {"name": "王五", "mobile": "+86138****5678", "officePhone": "010****8888",
              "idType": "PASSPORT", "idNumber": "E123****5678"}  # fmt: skip
    out = gql(CREATE, {"input": masked}).data["createPerson"]
    assert out["person"] is None
    assert sorted((e["field"], e["message"]) for e in out["errors"]) == [
        (f"input.{f}", "is masked (as a key without the right to the whole value reads it, "
         "or exports it): give the whole value, or leave the field out")
        for f in ("idNumber", "mobile", "officePhone")
    ]  # fmt: skip


def test_duplicate_customer_code_and_external_id(gql: GQL) -> None:
    create(gql, customer={"customerCode": "P-9"}, externalSource="crm1", externalId="7")
    r = gql(CREATE, {"input": {"name": "李娜", "customer": {"customerCode": "P-9"}}})
    assert [(e["code"], e["field"]) for e in r.data["createPerson"]["errors"]] == [
        ("DUPLICATE", "input.customer.customerCode")
    ]
    r = gql(CREATE, {"input": {"name": "李娜", "externalSource": "crm1", "externalId": "7"}})
    assert [(e["code"], e["field"]) for e in r.data["createPerson"]["errors"]] == [
        ("DUPLICATE", "input.externalId")
    ]
    r = gql(CREATE, {"input": {"name": "李娜", "externalId": "8"}})
    assert [e["field"] for e in r.data["createPerson"]["errors"]] == ["input.externalId"]


def test_update_conflict_not_found_and_customer_role(gql: GQL) -> None:
    p = create(gql, mobile="13812345678")
    ok = gql(
        UPDATE,
        {
            "input": {
                "id": p["id"],
                "expectedVersion": 1,
                "mobile": None,
                "gender": "FEMALE",
                "customer": {"tier": "CORE"},
            }
        },
    ).data["updatePerson"]
    assert ok["errors"] == []
    assert ok["person"]["version"] == 2
    assert ok["person"]["mobile"] is None
    assert ok["person"]["gender"] == "FEMALE"
    assert ok["person"]["customer"]["customerKind"] == "INDIVIDUAL"
    stale = gql(UPDATE, {"input": {"id": p["id"], "expectedVersion": 1, "nameEn": "x"}})
    assert [e["code"] for e in stale.data["updatePerson"]["errors"]] == ["CONFLICT"]
    bad = gql(UPDATE, {"input": {"id": p["id"], "expectedVersion": 2, "email": "@@"}})
    assert [e["code"] for e in bad.data["updatePerson"]["errors"]] == ["VALIDATION"]
    missing = gql(UPDATE, {"input": {"id": "nope", "expectedVersion": 1, "nameEn": "x"}})
    assert [e["code"] for e in missing.data["updatePerson"]["errors"]] == ["NOT_FOUND"]
    removed = gql(UPDATE, {"input": {"id": p["id"], "expectedVersion": 2, "customer": None}})
    assert removed.data["updatePerson"]["person"]["customer"] is None


def test_the_same_id_number_again_writes_nothing(gql: GQL, cypher: Driver) -> None:
    # Its ciphertext is new on every write: the digest says whether the number changed.
    p = create(gql, idNumber=ID_NUMBER, hobbies=["围棋", "钓鱼"])
    same = {"id": p["id"], "expectedVersion": 1, "idNumber": ID_NUMBER, "hobbies": ["围棋", "钓鱼"]}
    r = gql(UPDATE, {"input": same}).data["updatePerson"]
    assert (r["errors"], r["person"]["version"]) == ([], 1)
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.fields AS f", id=p["id"]
    ).records
    assert len(events) == 1  # the create's
    other = {**same, "idNumber": "110101199001010015"}
    assert gql(UPDATE, {"input": other}).data["updatePerson"]["person"]["version"] == 2


def test_twenty_concurrent_updates_one_wins(gql: GQL) -> None:
    p = create(gql)

    assert_one_of_twenty_updates_wins(gql, UPDATE, "updatePerson", p["id"])
    assert gql(GET, {"id": p["id"]}).data["person"]["version"] == 2


def test_personal_data_masked_for_sales_shown_to_manager(gql: GQL, cypher: Driver) -> None:
    p = create(gql, idNumber=ID_NUMBER, mobile="13812345678", officePhone="010-65529988")
    # An individual customer of the owner persona's, so that the SALES viewer may see it.
    cypher.execute_query(
        "MATCH (u:User {id: $owner}), (p:Person {id: $id}) "
        "SET p:Customer, p.customerKind = 'INDIVIDUAL' "
        "CREATE (u)-[:OWNS {id: randomUUID()}]->(p)",
        owner=PERSONAS["owner"]["id"],
        id=p["id"],
        database_="neo4j",
    )
    sales = gql.as_("owner")(GET, {"id": p["id"]}).data["person"]
    assert sales["idNumber"] == "1101**********002X"
    assert sales["mobile"] == "+86138****5678"
    assert sales["officePhone"] == "+861065529988"  # not personal data
    via_node = gql.as_("owner")(
        "query($id: ID!) { node(id: $id) { ... on Person { idNumber mobile } } }", {"id": p["id"]}
    ).data["node"]
    assert via_node == {"idNumber": "1101**********002X", "mobile": "+86138****5678"}
    # a sales rep's own update returns the masked values too
    updated = gql.as_("owner")(
        UPDATE, {"input": {"id": p["id"], "expectedVersion": 1, "nameEn": "Zhang"}}
    ).data["updatePerson"]["person"]
    assert updated["mobile"] == "+86138****5678"
    # the HQ manager sees the EAST rep's customer, unmasked
    manager = gql.as_("manager_above")(GET, {"id": p["id"]}).data["person"]
    assert manager["idNumber"] == ID_NUMBER
    assert manager["mobile"] == "+8613812345678"


def test_upsert_is_idempotent(gql: GQL, cypher: Driver) -> None:
    data = {
        "externalSource": "hr",
        "externalId": "E-1",
        "name": "王芳",
        "birthDate": "1990-05-01",
        "mobile": "13812345678",
        "hobbies": ["读书"],
        "customer": {"customerCode": "P-77"},
    }
    first = gql(UPSERT, {"input": data}).data["upsertPerson"]
    assert first["errors"] == []
    assert first["created"] is True
    assert first["person"]["version"] == 1
    assert "mobile" in first["changedFields"]
    node_id = first["person"]["id"]
    second = gql(UPSERT, {"input": data}).data["upsertPerson"]
    assert second["created"] is False
    assert second["changedFields"] == []
    assert second["person"]["version"] == 1
    assert second["person"]["id"] == node_id
    assert audit_count(cypher, node_id) == 1
    changed = gql(UPSERT, {"input": {**data, "mobile": "+86 138 1234 5679"}}).data["upsertPerson"]
    assert changed["changedFields"] == ["mobile"]
    assert changed["person"]["version"] == 2
    assert audit_count(cypher, node_id) == 2
    n = cypher.execute_query("MATCH (p:Person) RETURN count(p) AS n", database_="neo4j")
    assert n.records[0]["n"] == 1


def test_upsert_errors(gql: GQL) -> None:
    r = gql(UPSERT, {"input": {"externalSource": " ", "externalId": "1", "name": "x"}})
    assert [e["field"] for e in r.data["upsertPerson"]["errors"]] == ["input.externalSource"]
    gql(CREATE, {"input": {"name": "甲", "customer": {"customerCode": "DUP"}}})
    dup = gql(
        UPSERT,
        {
            "input": {
                "externalSource": "s",
                "externalId": "1",
                "name": "乙",
                "customer": {"customerCode": "DUP"},
            }
        },
    ).data["upsertPerson"]
    assert [e["code"] for e in dup["errors"]] == ["DUPLICATE"]


def test_archive_and_delete(gql: GQL) -> None:
    p = create(gql)
    ref = "mutation($i: NodeRefInput!) { archivePerson(input: $i) { person { archivedAt } " + (
        "errors { code } } }"
    )
    assert gql(ref, {"i": {"id": p["id"], "expectedVersion": 7}}).data["archivePerson"][
        "errors"
    ] == [{"code": "CONFLICT"}]
    archived = gql(ref, {"i": {"id": p["id"], "expectedVersion": 1}}).data["archivePerson"]
    assert archived["person"]["archivedAt"]
    delete = "mutation($i: NodeRefInput!) { deletePerson(input: $i) { deletedId errors { code } } }"
    assert gql(delete, {"i": {"id": p["id"]}}).data["deletePerson"] == {
        "deletedId": p["id"],
        "errors": [],
    }
    assert gql(delete, {"i": {"id": p["id"]}}).data["deletePerson"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]


LINK = """mutation($input: LinkInput!) { linkNodes(input: $input) {
  relationship { id } errors { code field } } }"""


def test_writes_take_one_statement_and_refusals_a_second(gql: GQL, cypher: Driver) -> None:
    """Issue 16: a create, an update and a link are one statement each (the locks, the
    checks, the audit event included); a refusal costs one more, to say why."""
    cypher.execute_query("CREATE (:Company {id: 'rt-co', name: '华星', version: 1})")
    gql(GET, {"id": "warm-up"})  # signs the key in: its look-ups are not the writes' cost
    made = gql(CREATE, {"input": {"name": "张伟"}})
    person = made.data["createPerson"]["person"]
    assert (made.round_trips, person["version"], audit_count(cypher, person["id"])) == (1, 1, 1)

    updated = gql(UPDATE, {"input": {"id": person["id"], "expectedVersion": 1, "nameEn": "W"}})
    assert updated.round_trips == 1
    assert updated.data["updatePerson"]["person"]["version"] == 2
    stale = gql(UPDATE, {"input": {"id": person["id"], "expectedVersion": 1, "nameEn": "X"}})
    assert stale.round_trips == 2
    assert stale.data["updatePerson"]["errors"][0]["code"] == "CONFLICT"
    assert "version 2" in stale.data["updatePerson"]["errors"][0]["message"]
    missing = gql(UPDATE, {"input": {"id": "nope", "expectedVersion": 1, "nameEn": "X"}})
    assert missing.data["updatePerson"]["errors"][0]["code"] == "NOT_FOUND"
    assert gql(GET, {"id": person["id"]}).data["person"]["nameEn"] == "W"

    job = {"type": "WORKS_AT", "from": person["id"], "to": "rt-co", "since": "2021-01-01"}
    linked = gql(LINK, {"input": job})
    assert linked.data["linkNodes"]["errors"] == []
    assert linked.round_trips == 1  # the ends locked and judged, and the edge
    again = gql(LINK, {"input": job})
    assert again.data["linkNodes"]["errors"] == [{"code": "DUPLICATE", "field": "input"}]
    assert again.round_trips == 2
    earlier = gql(LINK, {"input": {**job, "since": "2019-01-01", "until": "2020-01-01"}})
    assert earlier.data["linkNodes"]["errors"] == []  # dates that do not overlap the first
    edges = "MATCH (:Person {id: $id})-[r:WORKS_AT]->() RETURN count(r) AS n"
    assert cypher.execute_query(edges, id=person["id"]).records[0]["n"] == 2


def test_a_required_custom_field_refuses_a_create_without_values(gql: GQL, cypher: Driver) -> None:
    """The create statement checks required fields itself; when one is missing it writes
    nothing, and the definitions are read to name it."""
    define(gql, "PERSON", "wechat", "TEXT", required=True)
    gql(GET, {"id": "warm-up"})
    refused = gql(CREATE, {"input": {"name": "张伟"}})
    assert refused.data["createPerson"]["errors"] == [
        {"code": "VALIDATION", "field": "input.custom.wechat", "message": "is required"}
    ]
    assert refused.round_trips == 2
    assert cypher.execute_query("MATCH (p:Person) RETURN count(p) AS n").records[0]["n"] == 0
    given = create(gql, custom={"wechat": "zw88"})
    assert given["custom"] == {"wechat": "zw88"}
    field = gql("query { customFieldDefinitions(kind: PERSON) { id } }").data[
        "customFieldDefinitions"
    ][0]["id"]
    gql(
        "mutation($input: NodeRefInput!) { archiveCustomFieldDefinition(input: $input) { "
        "errors { code } } }",
        {"input": {"id": field}},
    )
    assert create(gql)["custom"] is None  # an archived definition requires nothing
