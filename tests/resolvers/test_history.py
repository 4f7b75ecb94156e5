"""Field history (R9, R23) through the real app: every kind of dynamic field records old and
new values in the write's own transaction (updates, review approvals, ownership transfers,
custom fields marked dynamic), and reading it masks the values exactly as the live field."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.accounts import own
from tests.resolvers.customfields import define

HISTORY = """query($n: ID!, $f: String!) { fieldHistory(node: $n, field: $f) {
  totalCount edges { node { field oldValue newValue by targetLabel requestId } } } }"""
CREATE_PERSON = """mutation($input: CreatePersonInput!) { createPerson(input: $input) {
  person { id version } errors { code field } } }"""
UPDATE_PERSON = """mutation($input: UpdatePersonInput!) { updatePerson(input: $input) {
  person { id version } changeRequests { id } errors { code field } } }"""
CREATE_COMPANY = """mutation($input: CreateCompanyInput!) { createCompany(input: $input) {
  company { id version } errors { code field } } }"""
UPDATE_COMPANY = """mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) {
  company { id version settlementMethod bankAccount visitCycleDays } errors { code field } } }"""
TRANSFER = """mutation($i: TransferOwnershipInput!) { transferOwnership(input: $i) {
  errors { code field } } }"""
APPROVE = """mutation($i: ChangeRequestDecisionInput!) { approveChangeRequest(input: $i) {
  errors { code field } } }"""
ID_1 = "11010519491231002X"
ID_2 = "110101199003071233"
OWNER = PERSONAS["owner"]["id"]
OTHER = PERSONAS["other_team"]["id"]
ADMIN = PERSONAS["admin"]["id"]


def history(gql: GQL, persona: str, node: str, field: str) -> list[dict[str, Any]]:
    data = gql.as_(persona)(HISTORY, {"n": node, "f": field}).data["fieldHistory"]
    assert data["totalCount"] == len(data["edges"])
    return [e["node"] for e in data["edges"]]


def values(gql: GQL, persona: str, node: str, field: str) -> list[tuple[Any, Any]]:
    return [(c["oldValue"], c["newValue"]) for c in history(gql, persona, node, field)]


def person(gql: GQL, cypher: Driver) -> dict[str, Any]:
    """A customer person owned by the `owner` persona (SALES, EAST)."""
    fields = {
        "name": "张伟",
        "mobile": "13812345678",
        "officePhone": "010-6552 9988",
        "email": "zhang.wei@example.com",
        "idNumber": ID_1,
        "customer": {"lifecycleStage": "NEW"},
    }
    created = gql(CREATE_PERSON, {"input": fields}).data["createPerson"]
    assert created["errors"] == []
    own(cypher, created["person"]["id"])
    return dict(created["person"])


def test_person_fields_keep_history_masked_as_the_live_field(gql: GQL, cypher: Driver) -> None:
    p = person(gql, cypher)
    assert values(gql, "admin", p["id"], "mobile") == []  # creating is not changing
    changed = gql(
        UPDATE_PERSON,
        {
            "input": {
                "id": p["id"],
                "expectedVersion": 1,
                "mobile": "13987654321",
                "officePhone": "010-6552 0000",
                "email": "wei@example.org",
                "idNumber": ID_2,
                "customer": {"lifecycleStage": "NEW"},  # the profile sent back as it is
                "occupation": "工程师",  # not dynamic: no history
            }
        },
    ).data["updatePerson"]
    assert changed["errors"] == []
    # A stage moves by hand through setLifecycleStage, not an update (tester AV).
    moved = {"id": p["id"], "expectedVersion": 2, "customer": {"lifecycleStage": "ACTIVE"}}
    refused = gql(UPDATE_PERSON, {"input": moved}).data["updatePerson"]
    assert [e["field"] for e in refused["errors"]] == ["input.customer.lifecycleStage"]
    stage = gql(
        "mutation($i: SetLifecycleStageInput!) { setLifecycleStage(input: $i) { "
        "errors { code } } }",
        {"i": {"customer": p["id"], "stage": "ACTIVE", "note": "已下单"}},
    ).data["setLifecycleStage"]
    assert stage["errors"] == []
    mobile = history(gql, "admin", p["id"], "mobile")
    assert [(c["oldValue"], c["newValue"], c["by"]) for c in mobile] == [
        ("+8613812345678", "+8613987654321", ADMIN)
    ]
    assert mobile[0]["requestId"]
    # Tester BH: a rep sees a colleague's change, not the id of the request behind it; their
    # own requests' ids they do see.
    assert history(gql, "owner", p["id"], "mobile")[0]["requestId"] is None
    at = gql("query($id: ID!) { person(id: $id) { version } }", {"id": p["id"]}).data["person"]
    mine = gql.as_("owner")(
        UPDATE_PERSON,
        {"input": {"id": p["id"], "expectedVersion": at["version"], "occupation": "教师"}},
    )
    assert mine.data["updatePerson"]["errors"] == []
    trail = gql.as_("owner")(
        "query($id: ID!) { auditTrail(id: $id, first: 20) { nodes { actor requestId } } }",
        {"id": p["id"]},
    ).data["auditTrail"]["nodes"]
    assert {e["actor"] for e in trail} == {ADMIN, OWNER}
    assert all((e["requestId"] is None) == (e["actor"] != OWNER) for e in trail), trail
    assert all(
        e["requestId"]
        for e in gql.as_("admin")(
            "query($id: ID!) { auditTrail(id: $id, first: 20) { nodes { requestId } } }",
            {"id": p["id"]},
        ).data["auditTrail"]["nodes"]
    )
    # As on the person itself: SALES sees the mobile masked, ANALYST not even masked
    assert values(gql, "owner", p["id"], "mobile") == [("+86138****5678", "+86139****4321")]
    assert values(gql, "analyst", p["id"], "mobile") == [(None, None)]
    assert values(gql, "owner", p["id"], "email") == [("zhang.wei@example.com", "wei@example.org")]
    assert values(gql, "analyst", p["id"], "email") == [(None, None)]
    assert values(gql, "owner", p["id"], "officePhone") == [("+861065529988", "+861065520000")]
    assert values(gql, "analyst", p["id"], "officePhone") == [(None, None)]
    assert values(gql, "admin", p["id"], "lifecycleStage") == [("NEW", "ACTIVE")]
    # the ID number: whole for ADMIN (decrypted), masked for SALES, never stored in clear
    assert values(gql, "admin", p["id"], "idNumber") == [(ID_1, ID_2)]
    assert values(gql, "owner", p["id"], "idNumber") == [
        ("1101**********002X", "1101**********1233")
    ]
    stored = cypher.execute_query(
        "MATCH (fc:FieldChange {targetId: $id}) RETURN properties(fc) AS p", id=p["id"]
    ).records
    assert len(stored) == 5
    assert not any(ID_1 in str(r["p"]) or ID_2 in str(r["p"]) for r in stored)
    # someone who may not see the person gets nothing, as for a missing node
    assert values(gql, "other_team", p["id"], "mobile") == []
    assert values(gql, "admin", "00000000-0000-4000-8000-00000000dead", "mobile") == []


def test_approved_change_requests_are_recorded_with_the_approver(gql: GQL, cypher: Driver) -> None:
    p = person(gql, cypher)
    gql.as_("owner")("{ __typename }")
    asked = gql.as_("owner")(
        UPDATE_PERSON,
        {"input": {"id": p["id"], "expectedVersion": 1, "mobile": "13900001111",
                   "changeReason": "客户换号"}},
    ).data["updatePerson"]  # fmt: skip
    assert asked["errors"] == []
    assert len(asked["changeRequests"]) == 1
    assert values(gql, "admin", p["id"], "mobile") == []  # only filed, not changed
    approved = gql.as_("manager_above")(APPROVE, {"i": {"id": asked["changeRequests"][0]["id"]}})
    assert approved.data["approveChangeRequest"]["errors"] == []
    changes = history(gql, "admin", p["id"], "mobile")
    assert [(c["oldValue"], c["newValue"], c["by"]) for c in changes] == [
        ("+8613812345678", "+8613900001111", PERSONAS["manager_above"]["id"])
    ]


def test_company_terms_owner_transfers_and_project_status(gql: GQL, cypher: Driver) -> None:
    created = gql(
        CREATE_COMPANY,
        {"input": {"name": "华星集团", "phone": "0755 2878 0808", "settlementMethod": "月结30天",
                   "bankAccount": "招商银行 6225 0000", "visitCycleDays": 30, "customer": {}}},
    ).data["createCompany"]  # fmt: skip
    assert created["errors"] == []
    c = created["company"]["id"]
    updated = gql(
        UPDATE_COMPANY,
        {"input": {"id": c, "expectedVersion": 1, "phone": "0755 2878 0000",
                   "settlementMethod": "预付", "bankAccount": "工商银行 6222 1111",
                   "visitCycleDays": 14}},
    ).data["updateCompany"]  # fmt: skip
    assert updated["errors"] == []
    assert updated["company"]["visitCycleDays"] == 14
    bad = gql(UPDATE_COMPANY, {"input": {"id": c, "expectedVersion": 2, "visitCycleDays": 0}})
    assert bad.data["updateCompany"]["errors"] == [
        {"code": "VALIDATION", "field": "input.visitCycleDays"}
    ]
    assert values(gql, "admin", c, "phone") == [("+8675528780808", "+8675528780000")]
    assert values(gql, "admin", c, "settlementMethod") == [("月结30天", "预付")]
    assert values(gql, "admin", c, "bankAccount") == [("招商银行 6225 0000", "工商银行 6222 1111")]
    assert values(gql, "admin", c, "visitCycleDays") == [(30, 14)]

    for to in (OWNER, OTHER):
        moved = gql(TRANSFER, {"i": {"customer": c, "toUser": to}})
        assert moved.data["transferOwnership"]["errors"] == []
    assert values(gql, "admin", c, "owner") == [(OWNER, OTHER), (None, OWNER)]  # newest first
    assert values(gql, "owner", c, "owner") == []  # no longer theirs: not visible

    project = gql(
        'mutation { createProject(input: {name: "数据中心", status: OPEN, stage: LEAD}) '
        "{ project { id } errors { code } } }"
    ).data["createProject"]["project"]["id"]
    done = gql(
        "mutation($id: ID!) { updateProject(input: {id: $id, expectedVersion: 1, "
        "status: WON, stage: CLOSED}) { errors { code field } } }",
        {"id": project},
    )
    assert done.data["updateProject"]["errors"] == []
    assert values(gql, "admin", project, "status") == [("OPEN", "WON")]
    wrong = gql(HISTORY, {"n": project, "f": "phone"})
    assert wrong.codes() == ["BAD_USER_INPUT"]
    assert wrong.errors[0]["extensions"]["field"] == "field"
    unknown = gql(HISTORY, {"n": c, "f": "name"})
    assert unknown.codes() == ["BAD_USER_INPUT"]


def test_custom_fields_marked_dynamic_keep_history(gql: GQL, cypher: Driver) -> None:
    define(gql, "COMPANY", "creditLimit", "NUMBER", dynamic=True, labelZh="信用额度")
    define(gql, "COMPANY", "region", "TEXT")  # not dynamic
    define(gql, "PERSON", "wechat", "TEXT", dynamic=True, personal=True, labelZh="微信")
    c = gql(
        CREATE_COMPANY, {"input": {"name": "额度公司", "custom": {"creditLimit": 100000,
                                                               "region": "华南"}}},
    ).data["createCompany"]["company"]  # fmt: skip
    gql(
        UPDATE_COMPANY,
        {"input": {"id": c["id"], "expectedVersion": 1,
                   "custom": {"creditLimit": 50000, "region": "华北"}}},
    )  # fmt: skip
    assert values(gql, "analyst", c["id"], "custom.creditLimit") == [(100000.0, 50000.0)]
    region = gql(HISTORY, {"n": c["id"], "f": "custom.region"})
    assert region.codes() == ["BAD_USER_INPUT"]  # not marked dynamic

    p = person(gql, cypher)
    gql(UPDATE_PERSON, {"input": {"id": p["id"], "expectedVersion": 1,
                                  "custom": {"wechat": "zw_2024"}}})  # fmt: skip
    gql(UPDATE_PERSON, {"input": {"id": p["id"], "expectedVersion": 2,
                                  "custom": {"wechat": "张伟的微信"}}})  # fmt: skip
    assert values(gql, "owner", p["id"], "custom.wechat") == [
        ("zw_2024", "张伟的微信"),
        (None, "zw_2024"),
    ]
    # personal: hidden from ANALYST, as the live value is
    assert values(gql, "analyst", p["id"], "custom.wechat") == [(None, None), (None, None)]


def test_erasure_empties_the_history_of_a_person(gql: GQL, cypher: Driver) -> None:
    p = person(gql, cypher)
    gql(UPDATE_PERSON, {"input": {"id": p["id"], "expectedVersion": 1, "mobile": "13900002222"}})
    erased = gql(
        "mutation($p: ID!) { erasePerson(input: {person: $p, reason: SUBJECT_REQUEST}) "
        "{ outcome errors { code } } }",
        {"p": p["id"]},
    ).data["erasePerson"]
    assert erased == {"outcome": "ERASED", "errors": []}
    [kept] = cypher.execute_query(
        "MATCH (fc:FieldChange {targetId: $id}) RETURN properties(fc) AS p", id=p["id"]
    ).records
    assert kept["p"]["field"] == "mobile"  # that it changed stays; the values go
    assert "13900002222" not in str(kept["p"])
    assert "13812345678" not in str(kept["p"])
