"""Company mutations and look-ups through the real app: happy paths and every error code."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from graph import clock
from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.customfields import define
from tests.resolvers.updates import assert_one_of_twenty_updates_wins

FIELDS = (
    "id name nameEn unifiedSocialCreditCode phone version custom "
    "customer { customerCode customerKind lifecycleStage tier }"
)
CREATE = f"""mutation($input: CreateCompanyInput!) {{
  createCompany(input: $input) {{ company {{ {FIELDS} }} errors {{ code field message }} }} }}"""
UPDATE = f"""mutation($input: UpdateCompanyInput!) {{
  updateCompany(input: $input) {{ company {{ {FIELDS} }} errors {{ code field message }} }} }}"""
USCC = "91440300708461136T"


def create(gql: GQL, **fields: Any) -> dict[str, Any]:
    r = gql(CREATE, {"input": {"name": "华为技术有限公司", **fields}})
    payload = r.data["createCompany"]
    assert payload["errors"] == []
    return payload["company"]  # type: ignore[no-any-return]


def test_create_normalises_and_audits(gql: GQL, cypher: Driver) -> None:
    define(gql, "COMPANY", "channel", "TEXT", labelZh="渠道")
    c = create(
        gql,
        nameEn=" Huawei ",
        unifiedSocialCreditCode=USCC.lower(),
        phone="0755 2878 0808",
        custom={"channel": "直销"},
        customer={"customerCode": "C-001", "lifecycleStage": "ACTIVE", "tier": "CORE"},
    )
    assert c["nameEn"] == "Huawei"
    assert c["unifiedSocialCreditCode"] == USCC
    assert c["phone"] == "+8675528780808"
    assert c["version"] == 1
    assert c["custom"] == {"channel": "直销"}
    assert c["customer"] == {
        "customerCode": "C-001",
        "customerKind": "ENTERPRISE",
        "lifecycleStage": "ACTIVE",
        "tier": "CORE",
    }
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action, a.fields AS fields, "
        "a.actor AS actor",
        id=c["id"],
        database_="neo4j",
    ).records
    assert len(events) == 1
    assert events[0]["action"] == "company.create"
    assert "phone" in events[0]["fields"]
    assert events[0]["actor"] == "00000000-0000-4000-8000-000000000003"
    # field names only, never values
    assert "+8675528780808" not in str(events[0]["fields"])


def test_create_validation_errors_write_nothing(gql: GQL, cypher: Driver) -> None:
    r = gql(
        CREATE,
        {
            "input": {
                "name": "  ",
                "unifiedSocialCreditCode": "91440300708461136X",
                "phone": "12345",
                "employeeCount": -3,
                "registeredCapital": 1e308,  # finite, but beyond what sums may hold
            }
        },
    )
    payload = r.data["createCompany"]
    assert payload["company"] is None
    fields = {e["field"]: e["code"] for e in payload["errors"]}
    assert fields == {
        "input.name": "VALIDATION",
        "input.unifiedSocialCreditCode": "VALIDATION",
        "input.phone": "VALIDATION",
        "input.employeeCount": "VALIDATION",
        "input.registeredCapital": "VALIDATION",
    }
    n = cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n", database_="neo4j").records[
        0
    ]["n"]
    assert n == 0


def test_a_future_founding_date_and_an_individual_kind_are_refused(
    gql: GQL, cypher: Driver
) -> None:
    r = gql(
        CREATE,
        {
            "input": {
                "name": "未来科技有限公司",
                "foundedOn": "2099-01-01",
                "customer": {"customerKind": "INDIVIDUAL"},
            }
        },
    ).data["createCompany"]
    assert r["company"] is None
    assert [(e["code"], e["field"]) for e in r["errors"]] == [
        ("VALIDATION", "input.foundedOn"),
        ("VALIDATION", "input.customer.customerKind"),
    ]
    n = cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n", database_="neo4j")
    assert n.records[0]["n"] == 0
    # Today (the business day, China) and an explicit ENTERPRISE are fine; an update alike.
    today = clock.today().isoformat()
    c = create(gql, foundedOn=today, customer={"customerKind": "ENTERPRISE"})
    tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    for change in ({"foundedOn": tomorrow}, {"customer": {"customerKind": "INDIVIDUAL"}}):
        u = gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": 1, **change}})
        assert [e["code"] for e in u.data["updateCompany"]["errors"]] == ["VALIDATION"]


def test_a_phone_with_letters_is_refused_but_an_extension_is_not(gql: GQL) -> None:
    # phonenumbers would store 010-ABCD1234 as +861022231234 (keypad letters).
    for phone in ("010-ABCD1234", "010 8888 8888 ab", "010-ABCD1234 ext 12"):
        r = gql(CREATE, {"input": {"name": "字母电话公司", "phone": phone}})
        assert r.data["createCompany"]["errors"] == [
            {
                "code": "VALIDATION",
                "field": "input.phone",
                "message": "must not contain letters, but for an extension marker (ext, x, 转)",
            }
        ]
    fax = gql(CREATE, {"input": {"name": "字母传真公司", "fax": "021-FAXX1234"}})
    assert [e["field"] for e in fax.data["createCompany"]["errors"]] == ["input.fax"]
    # The extension is kept (tester BK: it was dropped, and a phone and fax of one
    # switchboard then read as one number and the company was refused).
    written = {"010-8888 8888 ext. 123": "123", "010-8888 8888 x123": "123",
               "010 8888 8888#12": "12", "010-88888888 转 12": "12", "010-88888888转12": "12",
               "010 8888 8888 分机 123": "123"}  # fmt: skip
    for i, (phone, extension) in enumerate(written.items()):
        stored = create(gql, name=f"分机公司{i}", phone=phone)["phone"]
        assert stored == f"+861088888888;ext={extension}"
    both = create(gql, name="分机公司总机", phone="(010)62751234转8001", fax="010-62751234转2")
    assert both["phone"] == "+861062751234;ext=8001"


def test_invisible_and_direction_characters(gql: GQL, cypher: Driver) -> None:
    # A name of zero-width spaces is blank; a right-to-left override makes it read otherwise.
    for name, message in (
        ("\u200b\u200b", "must not be blank"),
        ("abc\u202edef", "must not contain control or text-direction characters or line breaks"),
        ("华星\n智能", "must not contain control or text-direction characters or line breaks"),
    ):
        errors = gql(CREATE, {"input": {"name": name}}).data["createCompany"]["errors"]
        assert errors == [{"code": "VALIDATION", "field": "input.name", "message": message}]
    assert create(gql, name="华星\u200b智能制造有限公司")["name"] == "华星智能制造有限公司"
    rows = cypher.execute_query("MATCH (c:Company) RETURN c.name AS name", database_="neo4j")
    assert [r["name"] for r in rows.records] == ["华星智能制造有限公司"]


def test_a_website_is_a_web_address(gql: GQL) -> None:
    # A client may render it as a link: a javascript: one would run on a click.
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "a b.cn"):
        r = gql(CREATE, {"input": {"name": "链接公司", "website": bad}}).data["createCompany"]
        assert [(e["code"], e["field"]) for e in r["errors"]] == [("VALIDATION", "input.website")]
    for good in ("https://example.cn", "HTTP://example.cn", "www.example.cn", "example.cn:8080/a"):
        r = gql(CREATE, {"input": {"name": "链接公司", "website": good}}).data["createCompany"]
        assert r["errors"] == [], good


def test_duplicate_customer_code(gql: GQL) -> None:
    create(gql, customer={"customerCode": "C-9"})
    r = gql(CREATE, {"input": {"name": "另一家", "customer": {"customerCode": "C-9"}}})
    assert [e["code"] for e in r.data["createCompany"]["errors"]] == ["DUPLICATE"]


def test_update_and_conflict(gql: GQL) -> None:
    c = create(gql)
    ok = gql(
        UPDATE,
        {
            "input": {
                "id": c["id"],
                "expectedVersion": 1,
                "nameEn": "Huawei Tech",
                "customer": {"tier": "GENERAL"},
            }
        },
    ).data["updateCompany"]
    assert ok["errors"] == []
    assert ok["company"]["version"] == 2
    assert ok["company"]["nameEn"] == "Huawei Tech"
    assert ok["company"]["customer"]["tier"] == "GENERAL"
    stale = gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": 1, "nameEn": "X"}})
    payload = stale.data["updateCompany"]
    assert payload["company"] is None
    assert payload["errors"][0]["code"] == "CONFLICT"
    assert payload["errors"][0]["field"] == "input.expectedVersion"
    again = gql("query($id: ID!) { company(id: $id) { nameEn version } }", {"id": c["id"]})
    assert again.data["company"] == {"nameEn": "Huawei Tech", "version": 2}


def test_an_update_to_the_same_values_writes_nothing(gql: GQL, cypher: Driver) -> None:
    c = create(gql, nameEn="Huawei", phone="010-65529988", customer={"customerCode": "C-1"})
    events = "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a) AS n"
    before = cypher.execute_query(events, id=c["id"]).records[0]["n"]
    for same in (
        {},
        {"nameEn": "Huawei", "phone": "010-65529988"},
        {"customer": {"customerCode": "C-1"}},
    ):
        r = gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": 1, **same}})
        payload = r.data["updateCompany"]
        assert payload["errors"] == []
        assert (payload["company"]["version"], payload["company"]["nameEn"]) == (1, "Huawei")
    assert cypher.execute_query(events, id=c["id"]).records[0]["n"] == before
    # A stale version is still a conflict, and a real change still counts.
    changed = gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": 1, "nameEn": "HW"}})
    assert changed.data["updateCompany"]["company"]["version"] == 2
    stale = gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": 1}})
    assert [e["code"] for e in stale.data["updateCompany"]["errors"]] == ["CONFLICT"]


def test_update_clears_with_null_and_removes_customer_role(gql: GQL) -> None:
    c = create(gql, nameEn="Huawei", customer={"customerCode": "C-1"})
    r = gql(
        UPDATE, {"input": {"id": c["id"], "expectedVersion": 1, "nameEn": None, "customer": None}}
    ).data["updateCompany"]
    assert r["company"]["nameEn"] is None
    assert r["company"]["customer"] is None


def test_update_unknown_id(gql: GQL) -> None:
    r = gql(UPDATE, {"input": {"id": "nope", "expectedVersion": 1, "nameEn": "x"}})
    assert r.data["updateCompany"]["errors"][0]["code"] == "NOT_FOUND"


def test_twenty_concurrent_updates_one_wins(gql: GQL) -> None:
    c = create(gql)

    assert_one_of_twenty_updates_wins(gql, UPDATE, "updateCompany", c["id"])
    final = gql("query($id: ID!) { company(id: $id) { version } }", {"id": c["id"]})
    assert final.data["company"]["version"] == 2


def test_archive_and_delete(gql: GQL) -> None:
    c = create(gql)
    archived = gql(
        "mutation($i: NodeRefInput!) { archiveCompany(input: $i) { "
        "company { archivedAt version } errors { code } } }",
        {"i": {"id": c["id"], "expectedVersion": 1}},
    ).data["archiveCompany"]
    assert archived["errors"] == []
    assert archived["company"]["archivedAt"]
    # Archived again (a retry): answered as it is, the first archive's time and version kept.
    again = gql(
        "mutation($i: NodeRefInput!) { archiveCompany(input: $i) { "
        "company { archivedAt version } errors { code } } }",
        {"i": {"id": c["id"]}},
    ).data["archiveCompany"]
    assert again == archived
    # Tester BJ: twice in one request, the second read the request's cached row (not yet
    # archived) and archived again: a new time, a new version, a second audit event.
    twice = create(gql)
    both = gql(
        "mutation($id: ID!) { a: archiveCompany(input: {id: $id}) { company { archivedAt "
        "version } } b: archiveCompany(input: {id: $id}) { company { archivedAt version } } }",
        {"id": twice["id"]},
    ).data
    assert both["a"] == both["b"]
    assert both["b"]["company"]["version"] == 2
    events = gql(
        "query($id: ID!) { auditTrail(id: $id, first: 10) { nodes { action } } }",
        {"id": twice["id"]},
    ).data["auditTrail"]["nodes"]
    assert [e["action"] for e in events].count("company.archive") == 1
    # Tester BI: archives racing past their reads (each saw the company unarchived) archived
    # it once each. The write itself now keeps a stored archive time.
    raced = create(gql)

    def archive(_: int) -> dict[str, Any]:
        out: dict[str, Any] = gql(
            "mutation($id: ID!) { archiveCompany(input: {id: $id}) { company { archivedAt "
            "version } errors { code } } }",
            {"id": raced["id"]},
        ).data["archiveCompany"]
        return out

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(archive, range(8)))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["company"]["version"] == 2
    events = gql(
        "query($id: ID!) { auditTrail(id: $id, first: 20) { nodes { action } } }",
        {"id": raced["id"]},
    ).data["auditTrail"]["nodes"]
    assert [e["action"] for e in events].count("company.archive") == 1
    deleted = gql(
        "mutation($i: NodeRefInput!) { deleteCompany(input: $i) { deletedId errors { code } } }",
        {"i": {"id": c["id"]}},
    ).data["deleteCompany"]
    assert deleted == {"deletedId": c["id"], "errors": []}
    gone = gql(
        "mutation($i: NodeRefInput!) { deleteCompany(input: $i) { deletedId errors { code } } }",
        {"i": {"id": c["id"]}},
    ).data["deleteCompany"]
    assert gone["errors"][0]["code"] == "NOT_FOUND"
    trail = gql(
        "query($id: ID!) { auditTrail(id: $id, first: 10) { totalCount "
        "edges { node { action } } nodes { action } } }",
        {"id": c["id"]},
    ).data["auditTrail"]
    assert [e["node"]["action"] for e in trail["edges"]] == [
        "company.delete",
        "company.archive",
        "company.create",
    ]
    assert trail["nodes"] == [e["node"] for e in trail["edges"]]  # as every list has them
    assert trail["totalCount"] == 3


def test_audit_trail_pages(gql: GQL) -> None:
    c = create(gql)
    for version in (1, 2, 3):
        gql(UPDATE, {"input": {"id": c["id"], "expectedVersion": version, "nameEn": f"v{version}"}})
    q = (
        "query($id: ID!, $after: String) { auditTrail(id: $id, first: 3, after: $after) { "
        "edges { cursor node { action } } pageInfo { hasNextPage endCursor } } }"
    )
    first = gql(q, {"id": c["id"]}).data["auditTrail"]
    assert len(first["edges"]) == 3
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(q, {"id": c["id"], "after": first["pageInfo"]["endCursor"]}).data["auditTrail"]
    assert [e["node"]["action"] for e in second["edges"]] == ["company.create"]
    bad = gql('{ auditTrail(id: "x", first: 500) { totalCount } }')
    assert bad.codes() == ["BAD_USER_INPUT"]
    assert bad.errors[0]["extensions"]["field"] == "first"


def test_node_lookup(gql: GQL) -> None:
    c = create(gql)
    r = gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Company { name } } }",
        {"ids": [c["id"], "missing"]},
    )
    assert r.data["nodes"] == [
        {"__typename": "Company", "id": c["id"], "name": "华为技术有限公司"},
        None,
    ]
    assert r.round_trips == 1
