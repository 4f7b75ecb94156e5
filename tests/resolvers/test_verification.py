"""Channel verification, freshness and the data-quality report (R19) through the API, on a
hand-built account network with known answers, as a rep, a rep of another team, a manager
and an admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from graph import clock
from neo4j import Driver
from tests.conftest import GQL, PERSONAS

OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]


def vid(n: int) -> str:
    return f"00000000-0000-4000-a190-{n:012d}"


C1, C2, C3, P1, P2 = vid(1), vid(2), vid(3), vid(11), vid(12)

GRAPH = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
CREATE (o)-[:OWNS]->(c1:Company:Customer {id: $c1, name: '华东精密机械有限公司', version: 1,
        phone: '+861088888888', fax: '+861088888889', address: '上海市浦东新区张江路1号'})
CREATE (o)-[:OWNS]->(:Company:Customer {id: $c2, name: '导入客户', version: 1,
        phone: '+862112345678', externalSource: 'crm-import', externalId: 'X-1'})
CREATE (w)-[:OWNS]->(:Company:Customer {id: $c3, name: '西部客户', version: 1,
        phone: '+862887654321'})
CREATE (:Person {id: $p1, name: '张伟', mobile: '+8613800000001', email: 'zhang@example.com',
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $p2, name: '李娜', mobile: '+8613800000002', version: 1})-[:WORKS_AT]->(c1)
"""

VERIFY = """mutation($checks: [ChannelCheckInput!]!) { verifyChannels(input: {checks: $checks}) {
  verifications errors { code field message } } }"""
PROFILE = """query($id: ID!) { node(id: $id) {
  ... on Company { channels { field present status method by validUntil flag }
                   dataQuality { score reachable neverVerified stale invalid } }
  ... on Person { version channels { field present status method by validUntil flag }
                  dataQuality { score reachable neverVerified stale invalid } } } }"""
HISTORY = """query($id: ID!, $field: ContactField) { verificationHistory(id: $id, field: $field) {
  field status method note at by } }"""
RULES = """mutation($rules: [VerificationRuleInput!]!) {
  saveVerificationRules(input: {rules: $rules}) { rules { version rules { label field days } }
  errors { code field message } } }"""
REPORT = """query($by: QualityDimension!) { dataQualityReport(by: $by) { by customers
  reachableShare truncated groups { key name customers reachable reachableShare averageScore
  neverVerified stale invalid } } }"""


def ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def network(cypher: Driver) -> None:
    cypher.execute_query(
        GRAPH, owner=OWNER, west=WEST_REP, c1=C1, c2=C2, c3=C3, p1=P1, p2=P2, database_="neo4j"
    )


def check(id_: str, field: str, status: str, method: str = "CALL", **more: Any) -> dict[str, Any]:
    return {"id": id_, "field": field, "status": status, "method": method, **more}


def channels(gql: GQL, id_: str) -> dict[str, dict[str, Any]]:
    node = gql(PROFILE, {"id": id_}).data["node"]
    return {c["field"]: c for c in node["channels"]}


def test_checks_set_statuses_and_refusals_stand_alone(gql: GQL, network: None) -> None:
    owner = gql.as_("owner")
    r = owner(
        VERIFY,
        {
            "checks": [
                check(C1, "PHONE", "VERIFIED"),
                check(P1, "MOBILE", "VERIFIED", "SMS", at=ago(200)),  # default keeps 180 days
                check(P1, "EMAIL", "BOUNCED", "EMAIL", note="退信：邮箱不存在"),
                check(C3, "PHONE", "VERIFIED"),  # another team's customer
                check(C1, "MOBILE", "VERIFIED"),  # a company has no mobile
                check(C1, "ADDRESS", "VERIFIED", at=ago(-2)),  # in the future
                check(C1, "ADDRESS", "VERIFIED", at="1900-01-01T00:00:00+08:00"),  # a typo
                # Tester BA: statuses the channel cannot have (read as INVALID afterwards).
                check(C1, "PHONE", "BOUNCED"),
                check(C1, "ADDRESS", "NO_ANSWER", "VISIT"),
            ]
        },
    ).data["verifyChannels"]
    # A bad input refuses the whole batch before anything is written...
    assert [(e["code"], e["field"]) for e in r["errors"]] == [
        ("VALIDATION", "input.checks[5].at"),
        ("VALIDATION", "input.checks[6].at"),
        ("VALIDATION", "input.checks[7].status"),
        ("VALIDATION", "input.checks[8].status"),
    ]
    assert r["errors"][2]["message"] == "BOUNCED is a status of EMAIL or MOBILE only"
    assert r["verifications"] == [None] * 9
    assert channels(gql, C1)["PHONE"]["status"] == "UNVERIFIED"
    # ... while a refusal of one record refuses that check alone.
    r = owner(
        VERIFY,
        {
            "checks": [
                check(C1, "PHONE", "VERIFIED"),
                check(P1, "MOBILE", "VERIFIED", "SMS", at=ago(200)),
                check(P1, "EMAIL", "BOUNCED", "EMAIL", note="退信：邮箱不存在"),
                check(C3, "PHONE", "VERIFIED"),
                check(C1, "MOBILE", "VERIFIED"),
                # The other kind's channel on a hidden id: missing too, not "no such channel".
                check(C3, "MOBILE", "VERIFIED"),
            ]
        },
    ).data["verifyChannels"]
    assert [(e["code"], e["field"]) for e in r["errors"]] == [
        ("NOT_FOUND", "input.checks[3].id"),
        ("VALIDATION", "input.checks[4].field"),
        ("NOT_FOUND", "input.checks[5].id"),
    ]
    assert [x is not None for x in r["verifications"]] == [True, True, True, False, False, False]
    company = channels(gql, C1)
    assert company["PHONE"]["status"] == "VERIFIED"
    assert company["PHONE"]["flag"] == "OK"
    assert company["PHONE"]["by"] == OWNER
    assert company["PHONE"]["method"] == "CALL"
    assert company["PHONE"]["validUntil"] == str(clock.today() + dt.timedelta(365))
    assert (company["FAX"]["status"], company["FAX"]["flag"]) == ("UNVERIFIED", "NEVER_VERIFIED")
    person = channels(gql, P1)
    assert (person["MOBILE"]["flag"], person["EMAIL"]["flag"]) == ("STALE", "INVALID")
    assert (person["OFFICE_PHONE"]["present"], person["OFFICE_PHONE"]["flag"]) == (False, "EMPTY")
    # Recording a status is not an edit: the person's version did not move.
    assert gql(PROFILE, {"id": P1}).data["node"]["version"] == 1
    # The other team's customer was not touched.
    assert channels(gql, C3)["PHONE"]["status"] == "UNVERIFIED"
    history = gql(HISTORY, {"id": P1}).data["verificationHistory"]
    assert [(h["field"], h["status"], h["note"]) for h in history] == [
        ("EMAIL", "BOUNCED", "退信：邮箱不存在"),
        ("MOBILE", "VERIFIED", None),
    ]
    # The other team sees neither the record nor its history.
    assert gql.as_("other_team")(HISTORY, {"id": P1}).data["verificationHistory"] == []


def test_a_check_of_a_channel_without_a_value_is_refused_alone(
    gql: GQL, cypher: Driver, network: None
) -> None:
    # A blank value left by an old import counts as none.
    cypher.execute_query("MATCH (c:Company {id: $id}) SET c.fax = ''", id=C2, database_="neo4j")
    r = gql.as_("owner")(
        VERIFY,
        {
            "checks": [
                check(C2, "ADDRESS", "VERIFIED", "VISIT"),  # no address
                check(C2, "FAX", "VERIFIED"),  # blank
                check(P2, "EMAIL", "BOUNCED", "EMAIL"),  # no e-mail
                check(P2, "OFFICE_PHONE", "NO_ANSWER"),  # no office phone
                check(C2, "PHONE", "VERIFIED"),
                check(C3, "ADDRESS", "VERIFIED"),  # hidden: missing, whatever its values
            ]
        },
    ).data["verifyChannels"]
    assert [(e["code"], e["field"]) for e in r["errors"]] == [
        ("VALIDATION", "input.checks[0].field"),
        ("VALIDATION", "input.checks[1].field"),
        ("VALIDATION", "input.checks[2].field"),
        ("VALIDATION", "input.checks[3].field"),
        ("NOT_FOUND", "input.checks[5].id"),
    ]
    assert [x is not None for x in r["verifications"]] == [False] * 4 + [True, False]
    company, person = channels(gql, C2), channels(gql, P2)
    assert [company[f]["flag"] for f in ("ADDRESS", "FAX")] == ["EMPTY", "EMPTY"]
    assert [company[f]["status"] for f in ("ADDRESS", "FAX", "PHONE")] == [None, None, "VERIFIED"]
    assert [person[f]["status"] for f in ("EMAIL", "OFFICE_PHONE")] == [None, None]
    history = gql(HISTORY, {"id": C2}).data["verificationHistory"]
    assert [h["field"] for h in history] == ["PHONE"]
    assert gql(HISTORY, {"id": P2}).data["verificationHistory"] == []


def test_only_newer_checks_replace_and_a_new_value_loses_its_status(
    gql: GQL, network: None
) -> None:
    owner = gql.as_("owner")
    owner(VERIFY, {"checks": [check(C1, "PHONE", "VERIFIED")]})
    late = owner(VERIFY, {"checks": [check(C1, "PHONE", "NO_ANSWER", at=ago(30))]})
    assert late.data["verifyChannels"]["errors"] == []
    assert channels(gql, C1)["PHONE"]["status"] == "VERIFIED"
    only_phone = gql(HISTORY, {"id": C1, "field": "PHONE"}).data["verificationHistory"]
    assert [h["status"] for h in only_phone] == ["VERIFIED", "NO_ANSWER"]
    update = """mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) {
      errors { code field } } }"""
    # The same value saved again keeps the check (and, changing nothing, the version) ...
    same = owner(update, {"input": {"id": C1, "expectedVersion": 1, "phone": "010 8888 8888"}})
    assert same.data["updateCompany"]["errors"] == []
    assert channels(gql, C1)["PHONE"]["status"] == "VERIFIED"
    # ... a new number starts unverified; the history stays.
    new = owner(update, {"input": {"id": C1, "expectedVersion": 1, "phone": "010 6666 6666"}})
    assert new.data["updateCompany"]["errors"] == []
    phone = channels(gql, C1)["PHONE"]
    assert (phone["status"], phone["flag"], phone["by"]) == ("UNVERIFIED", "NEVER_VERIFIED", None)
    assert len(gql(HISTORY, {"id": C1}).data["verificationHistory"]) == 2


def test_rules_are_data_kept_by_admin(gql: GQL, network: None) -> None:
    gql.as_("owner")(VERIFY, {"checks": [check(P1, "MOBILE", "VERIFIED", at=ago(200))]})
    assert channels(gql, P1)["MOBILE"]["flag"] == "STALE"
    one_year = [{"label": "PERSON", "field": "MOBILE", "days": 365}]
    refused = gql.as_("manager_above")(RULES, {"rules": one_year}).data["saveVerificationRules"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    bad = gql(RULES, {"rules": [{"label": "COMPANY", "field": "EMAIL", "days": 0}]})
    assert [(e["code"], e["field"]) for e in bad.data["saveVerificationRules"]["errors"]] == [
        ("VALIDATION", "input.rules[0].field"),
        ("VALIDATION", "input.rules[0].days"),
    ]
    twice = gql(RULES, {"rules": [*one_year, {**one_year[0], "days": 30}]})
    assert [(e["code"], e["field"]) for e in twice.data["saveVerificationRules"]["errors"]] == [
        ("VALIDATION", "input.rules[1]")
    ]
    saved = gql(RULES, {"rules": one_year}).data["saveVerificationRules"]
    assert saved["errors"] == []
    assert saved["rules"]["version"] == 1
    assert {"label": "PERSON", "field": "MOBILE", "days": 365} in saved["rules"]["rules"]
    assert channels(gql, P1)["MOBILE"]["flag"] == "OK"
    # Saving what is stored, or nothing, makes no new version.
    for same in (one_year, []):
        again = gql(RULES, {"rules": same}).data["saveVerificationRules"]
        assert (again["errors"], again["rules"]["version"]) == ([], 1)
    stale = """mutation($rules: [VerificationRuleInput!]!) {
      saveVerificationRules(input: {rules: $rules, expectedVersion: 0}) {
        errors { code field } } }"""
    assert gql(stale, {"rules": []}).data["saveVerificationRules"]["errors"] == [
        {"code": "CONFLICT", "field": "input.expectedVersion"}
    ]


def test_quality_and_the_report_over_what_each_viewer_sees(gql: GQL, network: None) -> None:
    gql(
        VERIFY,
        {
            "checks": [
                check(C1, "ADDRESS", "VERIFIED", "VISIT"),
                check(P2, "MOBILE", "VERIFIED"),
                check(C2, "PHONE", "INVALID"),
                check(C3, "PHONE", "VERIFIED"),
            ]
        },
    )
    c1 = gql(PROFILE, {"id": C1}).data["node"]["dataQuality"]
    # Phone never verified (0.3), address OK (1): 65; reachable through 李娜's mobile.
    assert c1 == {
        "score": 65,
        "reachable": True,
        "neverVerified": ["PHONE", "FAX"],
        "stale": [],
        "invalid": [],
    }
    c2 = gql(PROFILE, {"id": C2}).data["node"]["dataQuality"]
    assert (c2["score"], c2["reachable"], c2["invalid"]) == (0, False, ["PHONE"])
    by_owner = gql.as_("owner")(REPORT, {"by": "OWNER"}).data["dataQualityReport"]
    assert (by_owner["customers"], by_owner["reachableShare"]) == (2, 0.5)
    assert by_owner["groups"] == [
        {
            "key": OWNER,
            "name": PERSONAS["owner"]["name"],
            "customers": 2,
            "reachable": 1,
            "reachableShare": 0.5,
            "averageScore": 32.5,
            "neverVerified": 2,
            "stale": 0,
            "invalid": 1,
        }
    ]
    by_source = gql(REPORT, {"by": "SOURCE"}).data["dataQualityReport"]
    assert {g["key"]: (g["customers"], g["reachable"]) for g in by_source["groups"]} == {
        None: (2, 2),
        "crm-import": (1, 0),
    }
    by_team = gql.as_("manager_above")(REPORT, {"by": "TEAM"}).data["dataQualityReport"]
    assert {g["key"]: g["customers"] for g in by_team["groups"]} == {"EAST": 2, "WEST": 1}
    west = gql.as_("other_team")(REPORT, {"by": "OWNER"}).data["dataQualityReport"]
    assert [(g["key"], g["customers"], g["reachable"]) for g in west["groups"]] == [
        (WEST_REP, 1, 1)
    ]


def test_read_only_roles_record_nothing(gql: GQL, network: None) -> None:
    r = gql.as_("auditor")(VERIFY, {"checks": [check(C1, "PHONE", "VERIFIED")]})
    assert [e["code"] for e in r.data["verifyChannels"]["errors"]] == ["FORBIDDEN"]
    assert channels(gql, C1)["PHONE"]["status"] == "UNVERIFIED"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "010 8888 8888", "is not a mobile number"),
        ("mobile", "+86 12345", "is not a valid phone number"),
        ("officePhone", "+1 900 555 0100", "is a premium-rate number, not a contact number"),
    ],
)
def test_numbers_nobody_answers_are_refused_at_entry(
    gql: GQL, field: str, value: str, message: str
) -> None:
    create = """mutation($input: CreatePersonInput!) { createPerson(input: $input) {
      person { id } errors { code field message } } }"""
    r = gql(create, {"input": {"name": "王五", field: value}}).data["createPerson"]
    assert r["person"] is None
    assert [(e["code"], e["field"], e["message"]) for e in r["errors"]] == [
        ("VALIDATION", f"input.{field}", message)
    ]


def test_a_phone_that_is_the_fax_is_refused(gql: GQL) -> None:
    create = """mutation($input: CreateCompanyInput!) { createCompany(input: $input) {
      company { id } errors { code field } } }"""
    same = {"name": "传真公司", "phone": "021 1234 5678", "fax": "+86 21 12345678"}
    r = gql(create, {"input": same}).data["createCompany"]
    assert [(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "input.phone")]
    # An update giving one of them is compared with the stored other one.
    made = gql(create, {"input": {**same, "fax": None}}).data["createCompany"]
    assert made["errors"] == []
    company = made["company"]["id"]
    update = """mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) {
      company { phone fax } errors { code field } } }"""
    fax_alike = {"id": company, "expectedVersion": 1, "fax": "+862112345678"}
    r = gql(update, {"input": fax_alike}).data["updateCompany"]
    assert [(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "input.fax")]
    fax_apart = {**fax_alike, "fax": "021 1234 5679"}
    r = gql(update, {"input": fax_apart}).data["updateCompany"]
    assert (r["errors"], r["company"]) == ([], {"phone": "+862112345678", "fax": "+862112345679"})
    phone_alike = {"id": company, "expectedVersion": 2, "phone": "+86 21 1234 5679"}
    r = gql(update, {"input": phone_alike}).data["updateCompany"]
    assert [(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "input.phone")]
    # Both at once, apart: the stored values do not matter.
    swapped = {**phone_alike, "phone": "+862112345679", "fax": "+862112345678"}
    assert gql(update, {"input": swapped}).data["updateCompany"]["errors"] == []


UPSERT_COMPANY = """mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  company { phone fax version } changeRequests { id } errors { code field } } }"""


def test_an_upsert_giving_one_line_is_compared_with_the_stored_other(
    gql: GQL, cypher: Driver
) -> None:
    """As an update: a re-import giving the phone alone may not make it the stored fax, on
    the plain path, on the path that files a change request, and the other way round."""
    sales = gql.as_("owner")
    key = {"externalSource": "erp", "externalId": "FAX-1", "name": "传真贸易公司"}

    def upsert(as_: GQL, **fields: str) -> dict[str, Any]:
        out: dict[str, Any] = as_(UPSERT_COMPANY, {"input": {**key, **fields}}).data
        return out["upsertCompany"]

    assert upsert(sales, fax="+862112345678")["errors"] == []
    refused = [("VALIDATION", "input.phone")]
    r = upsert(sales, phone="021 1234 5678")
    assert ([(e["code"], e["field"]) for e in r["errors"]], r["company"]) == (refused, None)
    # A new name waits for review (SALES): the phone is still refused, and nothing is filed.
    r = upsert(sales, phone="021 1234 5678", name="传真贸易有限公司")
    assert ([(e["code"], e["field"]) for e in r["errors"]], r["company"]) == (refused, None)
    assert upsert(sales, phone="021 1234 5679")["company"]["phone"] == "+862112345679"
    r = upsert(gql, fax="+86 21 1234 5679")
    assert [(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "input.fax")]
    stored = cypher.execute_query(
        "MATCH (c:Company {externalId: 'FAX-1'}) OPTIONAL MATCH (r:ChangeRequest) "
        "WHERE r.targetId = c.id RETURN c.phone AS phone, c.fax AS fax, c.version AS version, "
        "c.name AS name, count(r) AS requests",
        database_="neo4j",
    ).records
    assert [dict(s) for s in stored] == [
        {
            "phone": "+862112345679",
            "fax": "+862112345678",
            "version": 2,
            "name": "传真贸易公司",
            "requests": 0,
        }
    ]
