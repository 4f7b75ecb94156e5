"""Change review (R20) through the real app: held fields, customer requests, approval with the
version check, rejection, withdrawal, who may decide, masking of the values and the queue."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, TEAMS, Response
from tests.resolvers.accounts import own

MOBILE = "+8613812345678"
NEW_MOBILE = "+8613987654321"
ERRORS = "errors { code field message }"
REQUEST = (
    "id status source targetId targetLabel fields reason baseVersion requestedBy decidedBy "
    "decisionNote changes { field oldValue newValue masked } "
    "target { id ... on Person { mobile version } ... on Company { name version } }"
)
UPDATE_PERSON = f"""mutation($input: UpdatePersonInput!) {{
  updatePerson(input: $input) {{
    person {{ id mobile occupation version }} changeRequests {{ {REQUEST} }} {ERRORS} }} }}"""
UPSERT_PERSON = f"""mutation($input: UpsertPersonInput!) {{
  upsertPerson(input: $input) {{ person {{ id version }} created changedFields
    changeRequests {{ {REQUEST} }} {ERRORS} }} }}"""
UPDATE_COMPANY = f"""mutation($input: UpdateCompanyInput!) {{
  updateCompany(input: $input) {{
    company {{ id name industry version customer {{ tier }} }}
    changeRequests {{ {REQUEST} }} {ERRORS} }} }}"""
DECIDE = """mutation($input: ChangeRequestDecisionInput!) {{
  {name}(input: $input) {{ changeRequest {{ {request} }}
    node {{ id ... on Person {{ version }} ... on Company {{ version }} }} {errors} }} }}"""
LIST = f"""query($status: ChangeRequestStatus, $target: ID, $first: Int!, $after: String) {{
  changeRequests(status: $status, target: $target, first: $first, after: $after) {{
    totalCount nodes {{ {REQUEST} }} pageInfo {{ hasNextPage endCursor }} }} }}"""


def decide(gql: GQL, persona: str, name: str, request_id: str, note: str | None = None) -> Any:
    q = DECIDE.format(name=name, request=REQUEST, errors=ERRORS)
    data: dict[str, Any] = {"id": request_id}
    if note is not None:
        data["note"] = note
    return gql.as_(persona)(q, {"input": data}).data[name]


def one(cypher: Driver, query: str, **params: Any) -> Any:
    return cypher.execute_query(query, params, database_="neo4j").records[0][0]


def owned_person(gql: GQL, cypher: Driver, **fields: Any) -> dict[str, Any]:
    """A customer person with a mobile, owned by the `owner` persona (SALES, EAST)."""
    r = gql(
        """mutation($input: CreatePersonInput!) {
          createPerson(input: $input) { person { id version } errors { code } } }""",
        {"input": {"name": "张伟", "mobile": MOBILE, "customer": {}, **fields}},
    )
    person: dict[str, Any] = r.data["createPerson"]["person"]
    own(cypher, person["id"])
    return person


def ask_mobile(gql: GQL, person: dict[str, Any], **extra: Any) -> Response:
    """The owner persona changes the person's mobile (a reviewed field), with a reason."""
    return gql.as_("owner")(
        UPDATE_PERSON,
        {
            "input": {
                "id": person["id"],
                "expectedVersion": person["version"],
                "mobile": NEW_MOBILE,
                "changeReason": "客户换号",
                **extra,
            }
        },
    )


def request_mobile(gql: GQL, person: dict[str, Any], **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = ask_mobile(gql, person, **extra).data["updatePerson"]
    assert payload["errors"] == [], payload["errors"]
    return payload


def stored_mobile(cypher: Driver, node_id: str) -> str:
    return str(one(cypher, "MATCH (p:Person {id: $id}) RETURN p.mobile", id=node_id))


def test_sales_change_to_a_reviewed_field_files_a_request_and_applies_the_rest(
    gql: GQL, cypher: Driver
) -> None:
    person = owned_person(gql, cypher)
    gql.as_("owner")("{ __typename }")  # warm the key cache
    r = ask_mobile(gql, person, occupation="工程师")
    payload = r.data["updatePerson"]
    assert payload["errors"] == []
    # The occupation is applied at once, the mobile is not.
    assert payload["person"]["occupation"] == "工程师"
    assert payload["person"]["version"] == person["version"] + 1
    assert stored_mobile(cypher, person["id"]) == MOBILE
    [request] = payload["changeRequests"]
    assert request["status"] == "PENDING"
    assert request["source"] == "STAFF"
    assert request["fields"] == ["mobile"]
    assert request["reason"] == "客户换号"
    assert request["requestedBy"] == PERSONAS["owner"]["id"]
    assert request["baseVersion"] == person["version"] + 1
    # SALES may not read the mobile in full: neither in the request.
    assert request["changes"] == [
        {
            "field": "mobile",
            "oldValue": "+86138****5678",
            "newValue": "+86139****4321",
            "masked": True,
        }
    ]
    assert request["target"]["id"] == person["id"]
    # One transaction: target lock+read, the direct update, the filing.
    assert r.round_trips == 3
    # No value in the audit trail, only field names.
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action, a.fields AS fields, "
        "a.changeRequestId AS cr ORDER BY a.at",
        id=person["id"],
        database_="neo4j",
    ).records
    assert [(e["action"], e["fields"]) for e in events][-2:] == [
        ("person.update", ["occupation"]),
        ("person.changeRequest", ["mobile"]),
    ]
    assert events[-1]["cr"] == request["id"]


def test_manager_above_approves_and_the_change_is_applied_with_both_steps_audited(
    gql: GQL, cypher: Driver
) -> None:
    person = owned_person(gql, cypher)
    request = request_mobile(gql, person)["changeRequests"][0]
    # The manager reads the values in full.
    listed = gql.as_("manager_above")(LIST, {"status": "PENDING", "first": 10}).data
    [seen] = listed["changeRequests"]["nodes"]
    assert seen["changes"][0]["newValue"] == NEW_MOBILE
    assert seen["changes"][0]["masked"] is False

    gql.as_("manager_above")("{ __typename }")
    r = gql.as_("manager_above")(
        DECIDE.format(name="approveChangeRequest", request=REQUEST, errors=ERRORS),
        {"input": {"id": request["id"], "note": "核实无误"}},
    )
    out = r.data["approveChangeRequest"]
    assert out["errors"] == []
    assert out["changeRequest"]["status"] == "APPROVED"
    assert out["changeRequest"]["decidedBy"] == PERSONAS["manager_above"]["id"]
    assert out["changeRequest"]["decisionNote"] == "核实无误"
    assert out["node"]["version"] == request["baseVersion"] + 1
    assert r.round_trips == 3  # load+lock, apply, close: one transaction
    assert stored_mobile(cypher, person["id"]) == NEW_MOBILE
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) WHERE a.action STARTS WITH 'person.change' "
        "RETURN a.action AS action, a.actor AS actor, a.fields AS fields, "
        "a.changeRequestId AS cr ORDER BY a.at",
        id=person["id"],
        database_="neo4j",
    ).records
    assert [(e["action"], e["actor"], e["fields"], e["cr"]) for e in events] == [
        ("person.changeRequest", PERSONAS["owner"]["id"], ["mobile"], request["id"]),
        ("person.changeApprove", PERSONAS["manager_above"]["id"], ["mobile"], request["id"]),
    ]
    # Audit events hold no values.
    stored = cypher.execute_query(
        "MATCH (a:AuditEvent) RETURN properties(a) AS p", database_="neo4j"
    ).records
    assert stored
    assert not any("13987" in str(e["p"]) for e in stored)
    # Approving twice: CONFLICT, nothing written.
    again = decide(gql, "manager_above", "approveChangeRequest", request["id"])
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "input.id")]
    assert "APPROVED" in again["errors"][0]["message"]


def test_who_may_decide(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    request = request_mobile(gql, person)["changeRequests"][0]

    def codes(persona: str, name: str = "approveChangeRequest") -> list[tuple[str, str]]:
        out = decide(gql, persona, name, request["id"], note="n")
        return [(e["code"], e["field"]) for e in out["errors"]]

    # Another branch's manager does not see the record: as if it did not exist.
    assert codes("manager_west") == [("NOT_FOUND", "input.id")]
    assert codes("other_team") == [("NOT_FOUND", "input.id")]
    # The requester never decides their own request.
    assert codes("owner") == [("FORBIDDEN", "input.id")]
    # Read-all roles see it but do not decide.
    assert codes("analyst") == [("FORBIDDEN", "input.id")]
    assert codes("auditor", "rejectChangeRequest") == [("FORBIDDEN", "input.id")]
    # Only the requester withdraws.
    assert codes("manager_above", "withdrawChangeRequest") == [("FORBIDDEN", "input.id")]
    # Shared with WEST for editing: the west manager now sees and edits the record, but the
    # requester is not in their team or below it.
    cypher.execute_query(
        "MATCH (p:Person {id: $id}), (t:Team {id: $team}) "
        "CREATE (p)-[:SHARED_WITH {level: 'EDIT'}]->(t)",
        id=person["id"],
        team=TEAMS["WEST"][0],
        database_="neo4j",
    )
    assert codes("manager_west") == [("FORBIDDEN", "input.id")]
    assert stored_mobile(cypher, person["id"]) == MOBILE
    assert one(cypher, "MATCH (c:ChangeRequest) RETURN c.status") == "PENDING"
    assert decide(gql, "admin", "approveChangeRequest", request["id"])["errors"] == []
    assert stored_mobile(cypher, person["id"]) == NEW_MOBILE


def test_a_stale_request_gives_conflict_and_stays_pending(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    request = request_mobile(gql, person)["changeRequests"][0]
    # Someone changes the record after the request was filed.
    assert request["baseVersion"] == person["version"]  # nothing was applied directly
    update = {"id": person["id"], "expectedVersion": person["version"], "nameEn": "Z"}
    r = gql(UPDATE_PERSON, {"input": update})
    assert r.data["updatePerson"]["errors"] == []
    out = decide(gql, "manager_above", "approveChangeRequest", request["id"])
    [error] = out["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "input.id")
    assert "version 1, now 2" in error["message"]
    assert out["changeRequest"] is None
    assert stored_mobile(cypher, person["id"]) == MOBILE
    assert one(cypher, "MATCH (c:ChangeRequest) RETURN c.status") == "PENDING"
    assert one(cypher, "MATCH (p:Person {id: $id}) RETURN p.version", id=person["id"]) == 2


def test_a_customer_request_is_reviewed_even_from_an_admin(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    base = {"id": person["id"], "expectedVersion": person["version"], "occupation": "律师"}
    missing = gql(UPDATE_PERSON, {"input": {**base, "requestedBy": "CUSTOMER"}}).data
    assert [(e["code"], e["field"]) for e in missing["updatePerson"]["errors"]] == [
        ("VALIDATION", "input.changeReason")
    ]
    r = gql(
        UPDATE_PERSON,
        {
            "input": {
                **base,
                "mobile": NEW_MOBILE,
                "requestedBy": "CUSTOMER",
                "changeReason": "来电",
            }
        },
    )
    payload = r.data["updatePerson"]
    assert payload["errors"] == []
    assert payload["person"]["version"] == person["version"]  # nothing applied
    assert payload["person"]["occupation"] is None
    [request] = payload["changeRequests"]
    assert request["source"] == "CUSTOMER"
    assert request["fields"] == ["mobile", "occupation"]
    assert request["changes"][0]["newValue"] == NEW_MOBILE  # the admin reads it in full
    # The admin filed it, so another reviewer decides it.
    own_try = decide(gql, "admin", "approveChangeRequest", request["id"])
    assert own_try["errors"][0]["code"] == "FORBIDDEN"
    assert decide(gql, "manager_above", "approveChangeRequest", request["id"])["errors"] == []
    assert stored_mobile(cypher, person["id"]) == NEW_MOBILE


def test_rejected_and_withdrawn_requests_leave_the_record_untouched(
    gql: GQL, cypher: Driver
) -> None:
    person = owned_person(gql, cypher)
    request = request_mobile(gql, person)["changeRequests"][0]
    version = one(cypher, "MATCH (p:Person {id: $id}) RETURN p.version", id=person["id"])
    no_note = decide(gql, "manager_above", "rejectChangeRequest", request["id"])
    assert [(e["code"], e["field"]) for e in no_note["errors"]] == [("VALIDATION", "input.note")]
    out = decide(gql, "manager_above", "rejectChangeRequest", request["id"], note="号码无法核实")
    assert out["errors"] == []
    assert out["changeRequest"]["status"] == "REJECTED"
    assert out["changeRequest"]["decisionNote"] == "号码无法核实"
    assert stored_mobile(cypher, person["id"]) == MOBILE
    assert one(cypher, "MATCH (p:Person {id: $id}) RETURN p.version", id=person["id"]) == version
    assert (
        one(
            cypher,
            "MATCH (a:AuditEvent {action: 'person.changeReject'}) RETURN a.actor",
        )
        == PERSONAS["manager_above"]["id"]
    )

    second = request_mobile(gql, {"id": person["id"], "version": version})["changeRequests"][0]
    out = decide(gql, "owner", "withdrawChangeRequest", second["id"])
    assert out["errors"] == []
    assert out["changeRequest"]["status"] == "WITHDRAWN"
    late = decide(gql, "manager_above", "approveChangeRequest", second["id"])
    assert late["errors"][0]["code"] == "CONFLICT"
    assert stored_mobile(cypher, person["id"]) == MOBILE


def test_the_queue_and_pending_changes_follow_visibility(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    request = request_mobile(gql, person)["changeRequests"][0]
    for persona, expected in [
        ("owner", 1),
        ("manager_above", 1),
        ("admin", 1),
        ("other_team", 0),
        ("manager_west", 0),
    ]:
        gql.as_(persona)("{ __typename }")
        r = gql.as_(persona)(LIST, {"first": 10, "target": person["id"]})
        page = r.data["changeRequests"]
        assert page["totalCount"] == expected, persona
        assert [n["id"] for n in page["nodes"]] == [request["id"]] * expected
        assert r.round_trips == 2  # the page and its count
    pending = """query($id: ID!) { person(id: $id) {
        pendingChanges { id status changes { field oldValue masked } } } }"""
    seen = gql.as_("owner")(pending, {"id": person["id"]}).data["person"]["pendingChanges"]
    assert seen == [
        {
            "id": request["id"],
            "status": "PENDING",
            "changes": [{"field": "mobile", "oldValue": "+86138****5678", "masked": True}],
        }
    ]
    assert decide(gql, "manager_above", "approveChangeRequest", request["id"])["errors"] == []
    after = gql.as_("owner")(pending, {"id": person["id"]}).data["person"]["pendingChanges"]
    assert after == []
    approved = gql.as_("owner")(LIST, {"first": 10, "status": "APPROVED"}).data
    assert approved["changeRequests"]["totalCount"] == 1
    bad = gql.as_("owner")(LIST, {"first": 10, "after": "nonsense"})
    assert bad.codes() == ["BAD_USER_INPUT"]


def test_pages_continue_after_the_cursor(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    ids = []
    version = person["version"]
    for mobile in ("+8613900000001", "+8613900000002", "+8613900000003"):
        r = gql(
            UPDATE_PERSON,
            {
                "input": {
                    "id": person["id"],
                    "expectedVersion": version,
                    "mobile": mobile,
                    "requestedBy": "CUSTOMER",
                    "changeReason": "来电",
                }
            },
        )
        ids.append(r.data["updatePerson"]["changeRequests"][0]["id"])
    first = gql(LIST, {"first": 2}).data["changeRequests"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = gql(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}).data
    got = [n["id"] for n in first["nodes"]] + [n["id"] for n in rest["changeRequests"]["nodes"]]
    assert sorted(got) == sorted(ids)
    assert rest["changeRequests"]["pageInfo"]["hasNextPage"] is False


def test_company_identity_and_tier_are_reviewed_for_sales_not_for_admins(
    gql: GQL, cypher: Driver
) -> None:
    r = gql(
        """mutation { createCompany(input: {name: "东方科技有限公司", customer: {tier: GENERAL}}) {
          company { id version } errors { code } } }"""
    )
    company = r.data["createCompany"]["company"]
    own(cypher, company["id"])
    r = gql.as_("owner")(
        UPDATE_COMPANY,
        {
            "input": {
                "id": company["id"],
                "expectedVersion": 1,
                "name": "东方科技股份有限公司",
                "industry": "制造",
                "customer": {"tier": "CORE", "lifecycleStage": "ACTIVE"},
            }
        },
    )
    payload = r.data["updateCompany"]
    assert payload["errors"] == []
    assert payload["company"]["name"] == "东方科技有限公司"
    assert payload["company"]["industry"] == "制造"
    assert payload["company"]["customer"] == {"tier": "GENERAL"}
    [request] = payload["changeRequests"]
    assert request["fields"] == ["name", "tier"]
    assert request["changes"][1] == {
        "field": "tier",
        "oldValue": "GENERAL",
        "newValue": "CORE",
        "masked": False,
    }
    out = decide(gql, "manager_above", "approveChangeRequest", request["id"])
    assert out["errors"] == []
    after = gql(
        "query($id: ID!) { company(id: $id) { name version customer { tier lifecycleStage } } }",
        {"id": company["id"]},
    ).data["company"]
    assert after == {
        "name": "东方科技股份有限公司",
        "version": 3,
        "customer": {"tier": "CORE", "lifecycleStage": "ACTIVE"},
    }
    # ADMIN changes the same fields directly.
    direct = gql(
        UPDATE_COMPANY,
        {"input": {"id": company["id"], "expectedVersion": 3, "name": "东方科技"}},
    ).data["updateCompany"]
    assert direct["changeRequests"] == []
    assert direct["company"]["name"] == "东方科技"


def test_upsert_holds_reviewed_fields_of_existing_records_only(gql: GQL, cypher: Driver) -> None:
    key = {"externalSource": "erp", "externalId": "P-1", "name": "张伟"}
    created = gql.as_("owner")(UPSERT_PERSON, {"input": {**key, "mobile": MOBILE}}).data
    payload = created["upsertPerson"]
    assert payload["created"] is True
    assert payload["changeRequests"] == []
    person_id = payload["person"]["id"]
    assert stored_mobile(cypher, person_id) == MOBILE
    cypher.execute_query(
        "MATCH (p:Person {id: $id}) SET p:Customer", id=person_id, database_="neo4j"
    )
    own(cypher, person_id)
    again = gql.as_("owner")(
        UPSERT_PERSON, {"input": {**key, "mobile": NEW_MOBILE, "occupation": "医生"}}
    ).data["upsertPerson"]
    assert again["errors"] == []
    assert again["created"] is False
    assert again["changedFields"] == ["occupation"]
    [request] = again["changeRequests"]
    assert request["fields"] == ["mobile"]
    assert stored_mobile(cypher, person_id) == MOBILE
    # The same import again files no second request for values already stored.
    same = gql.as_("owner")(UPSERT_PERSON, {"input": {**key, "occupation": "医生"}}).data
    assert same["upsertPerson"]["changedFields"] == []
    assert same["upsertPerson"]["changeRequests"] == []


def test_only_editors_of_the_record_file_requests(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher)
    update = {"id": person["id"], "expectedVersion": person["version"], "mobile": NEW_MOBILE}
    for persona, code in [("other_team", "NOT_FOUND"), ("auditor", "FORBIDDEN")]:
        out = gql.as_(persona)(UPDATE_PERSON, {"input": update}).data["updatePerson"]
        assert [(e["code"], e["field"]) for e in out["errors"]] == [(code, "input.id")], persona
        assert out["changeRequests"] == []
    stale = gql.as_("owner")(UPDATE_PERSON, {"input": {**update, "expectedVersion": 7}}).data
    assert [e["code"] for e in stale["updatePerson"]["errors"]] == ["CONFLICT"]
    assert one(cypher, "MATCH (c:ChangeRequest) RETURN count(c)") == 0


ID_OLD = "11010519491231002X"
ID_NEW = "110105198001010016"


def test_a_held_id_number_is_encrypted_in_the_request_and_applied_on_approval(
    gql: GQL, cypher: Driver
) -> None:
    person = owned_person(gql, cypher, idType="RESIDENT_ID", idNumber=ID_OLD)
    gql.as_("owner")("{ __typename }")
    r = gql.as_("owner")(
        UPDATE_PERSON,
        {"input": {"id": person["id"], "expectedVersion": person["version"],
                   "idNumber": ID_NEW}},
    )  # fmt: skip
    payload = r.data["updatePerson"]
    assert payload["errors"] == []
    [request] = payload["changeRequests"]
    assert request["fields"] == ["idNumber"]
    # The rep sees masks; the request node holds neither number in clear.
    assert request["changes"] == [
        {"field": "idNumber", "oldValue": "1101**********002X",
         "newValue": "1101**********0016", "masked": True}
    ]  # fmt: skip
    stored = str(one(cypher, "MATCH (r:ChangeRequest) RETURN properties(r)"))
    assert ID_NEW not in stored
    assert ID_OLD not in stored
    # The manager above reads both in full, and approving stores the new one encrypted.
    listed = gql.as_("manager_above")(LIST, {"status": "PENDING", "first": 10}).data
    [seen] = listed["changeRequests"]["nodes"]
    assert seen["changes"][0]["oldValue"] == ID_OLD
    assert seen["changes"][0]["newValue"] == ID_NEW
    out = decide(gql, "manager_above", "approveChangeRequest", request["id"])
    assert out["errors"] == []
    row = one(cypher, "MATCH (p:Person {id: $id}) RETURN properties(p)", id=person["id"])
    assert row["idNumber"] == "1101**********0016"
    assert ID_NEW not in str(row)
    full = gql.as_("manager_above")(
        "query($id: ID!) { person(id: $id) { idNumber } }", {"id": person["id"]}
    )
    assert full.data["person"]["idNumber"] == ID_NEW


def test_filing_the_stored_id_number_again_files_nothing(gql: GQL, cypher: Driver) -> None:
    person = owned_person(gql, cypher, idType="RESIDENT_ID", idNumber=ID_OLD)
    r = gql.as_("owner")(
        UPDATE_PERSON,
        {"input": {"id": person["id"], "expectedVersion": person["version"],
                   "idNumber": ID_OLD}},
    )  # fmt: skip
    assert r.data["updatePerson"]["errors"] == []
    assert r.data["updatePerson"]["changeRequests"] == []
    # Nor does it make a version or an audit event: nothing changed.
    assert r.data["updatePerson"]["person"]["version"] == person["version"]


def test_a_reps_update_to_the_stored_values_writes_nothing(gql: GQL, cypher: Driver) -> None:
    # A form that sends every field back made a version and an empty event (fields: []),
    # so a colleague's save got CONFLICT.
    person = owned_person(gql, cypher, occupation="工程师")
    events = "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a) AS n"
    before = one(cypher, events, id=person["id"])
    same = {"id": person["id"], "expectedVersion": person["version"], "name": "张伟",
            "mobile": MOBILE, "occupation": "工程师"}  # fmt: skip
    payload = gql.as_("owner")(UPDATE_PERSON, {"input": same}).data["updatePerson"]
    assert (payload["errors"], payload["changeRequests"]) == ([], [])
    assert payload["person"]["version"] == person["version"]
    assert one(cypher, events, id=person["id"]) == before
    changed = gql.as_("owner")(UPDATE_PERSON, {"input": {**same, "occupation": "经理"}})
    assert changed.data["updatePerson"]["person"]["version"] == person["version"] + 1
