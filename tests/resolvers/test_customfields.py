"""Custom fields (R10) through the real app: definitions (ADMIN only), values checked on every
write with their input paths, list filters and sorting, and narrowing that reports misfits."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.customfields import ARCHIVE, DEFINE, UPDATE, define, hidden_reference

COMPANY = """mutation($input: CreateCompanyInput!) { createCompany(input: $input) {
  company { id version custom } errors { code field message } } }"""
UPDATE_COMPANY = """mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) {
  company { id version custom } errors { code field message } } }"""
PROJECT = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id custom } errors { code field } } }"""
DEFINITIONS = """query($kind: CustomFieldKind) { customFieldDefinitions(kind: $kind) {
  key type labelZh options } }"""
COMPANIES = """query($f: PartyFilter, $order: ListOrder, $key: String, $after: String) {
  companies(first: 2, filter: $f, orderBy: $order, customSortKey: $key, after: $after) {
  totalCount edges { cursor node { name custom } } pageInfo { hasNextPage endCursor } } }"""


def company(gql: GQL, name: str, **custom: Any) -> dict[str, Any]:
    r = gql(COMPANY, {"input": {"name": name, "custom": custom}})
    payload = r.data["createCompany"]
    assert payload["errors"] == [], payload["errors"]
    created: dict[str, Any] = payload["company"]
    return created


def count(cypher: Driver, label: str) -> int:
    query = "MATCH (n) WHERE $label IN labels(n) RETURN count(n) AS n"
    return int(cypher.execute_query(query, label=label).records[0]["n"])


def test_only_admins_define_and_every_viewer_reads(gql: GQL, cypher: Driver) -> None:
    for persona in ("owner", "manager_above", "analyst"):
        r = gql.as_(persona)(DEFINE, {"input": {"kind": "COMPANY", "key": "x", "type": "TEXT"}})
        assert [e["code"] for e in r.data["defineCustomField"]["errors"]] == ["FORBIDDEN"]
    assert count(cypher, "CustomFieldDefinition") == 0
    d = define(gql, "COMPANY", "channel", "ENUM", options=["直销", "代理"], labelZh="渠道",
               labelEn="Channel")  # fmt: skip
    assert (d["labelZh"], d["options"], d["version"]) == ("渠道", ["直销", "代理"], 1)
    listed = gql.as_("owner")(DEFINITIONS, {"kind": "COMPANY"}).data["customFieldDefinitions"]
    assert listed == [
        {"key": "channel", "type": "ENUM", "labelZh": "渠道", "options": ["直销", "代理"]}
    ]
    assert gql.as_("analyst")(DEFINITIONS, {"kind": "PERSON"}).data["customFieldDefinitions"] == []
    again = gql(DEFINE, {"input": {"kind": "COMPANY", "key": "channel", "type": "TEXT"}})
    assert again.data["defineCustomField"]["errors"][0]["code"] == "DUPLICATE"
    # the same key on another kind is another field
    define(gql, "PERSON", "channel", "TEXT")
    bad = gql(DEFINE, {"input": {"kind": "COMPANY", "key": "渠道", "type": "ENUM"}})
    fields = {e["field"] for e in bad.data["defineCustomField"]["errors"]}
    assert fields == {"input.key", "input.options"}
    # ';' separates a list's values in CSV: an option holding one came back as two (AY)
    sep = {"kind": "COMPANY", "key": "tags", "type": "MULTI_ENUM", "options": ["技术", "财务;采购"]}
    split = gql(DEFINE, {"input": sep}).data["defineCustomField"]["errors"]
    assert [e["field"] for e in split] == ["input.options[1]"]
    wrong_bound = gql(
        DEFINE,
        {"input": {"kind": "COMPANY", "key": "size", "type": "TEXT", "validation": {"min": 1}}},
    )
    assert wrong_bound.data["defineCustomField"]["errors"][0]["field"] == "input.validation.min"
    # updates: admins only, optimistic concurrency; archive; each audited
    denied = gql.as_("owner")(UPDATE, {"input": {"id": d["id"], "expectedVersion": 1}})
    assert denied.data["updateCustomFieldDefinition"]["errors"][0]["code"] == "FORBIDDEN"
    renamed = gql(UPDATE, {"input": {"id": d["id"], "expectedVersion": 1, "labelEn": "Sales"}})
    assert renamed.data["updateCustomFieldDefinition"]["definition"]["labelEn"] == "Sales"
    stale = gql(UPDATE, {"input": {"id": d["id"], "expectedVersion": 1, "labelEn": "X"}})
    assert [
        (e["code"], e["field"]) for e in stale.data["updateCustomFieldDefinition"]["errors"]
    ] == [("CONFLICT", "input.expectedVersion")]
    kept = company(gql, "乙", channel="代理")
    archived = gql(ARCHIVE, {"input": {"id": d["id"]}}).data["archiveCustomFieldDefinition"]
    assert archived["definition"]["archivedAt"]
    # An archived field's value stays readable, may be cleared, and is not set again.
    update = """mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) {
      company { custom } errors { code field message } } }"""
    reset = gql(
        update, {"i": {"id": kept["id"], "expectedVersion": 1, "custom": {"channel": "直销"}}}
    )
    [error] = reset.data["updateCompany"]["errors"]
    assert (error["field"], "archived" in error["message"]) == ("input.custom.channel", True)
    cleared = gql(
        update, {"i": {"id": kept["id"], "expectedVersion": 1, "custom": {"channel": None}}}
    )
    assert cleared.data["updateCompany"] == {"company": {"custom": None}, "errors": []}
    # Archived again (a retry): nothing changes, not even when.
    again = gql(ARCHIVE, {"input": {"id": d["id"]}}).data["archiveCustomFieldDefinition"]
    assert again["definition"] == archived["definition"]
    assert gql(DEFINITIONS, {"kind": "COMPANY"}).data["customFieldDefinitions"] == []
    r = gql(COMPANY, {"input": {"name": "甲", "custom": {"channel": "直销"}}})
    assert r.data["createCompany"]["errors"][0]["field"] == "input.custom.channel"
    actions = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action ORDER BY a.at", id=d["id"]
    ).records
    assert [a["action"] for a in actions] == [
        "customField.define",
        "customField.update",
        "customField.archive",
    ]


def test_a_pattern_that_backtracks_for_minutes_is_stopped(gql: GQL, cypher: Driver) -> None:
    # With Python's re this value held the event loop, and so every request, for minutes.
    define(gql, "COMPANY", "ref", "TEXT", validation={"pattern": "(a|aa)+c"})
    before = count(cypher, "Company")
    payload = gql(COMPANY, {"input": {"name": "回溯公司", "custom": {"ref": "a" * 60}}}).data[
        "createCompany"
    ]
    assert payload["errors"] == [
        {
            "code": "VALIDATION",
            "field": "input.custom.ref",
            "message": "could not be checked against the field's pattern in time",
        }
    ]
    assert count(cypher, "Company") == before
    # Python's pattern syntax still holds: \\u escapes and back-references.
    define(gql, "COMPANY", "pair", "TEXT", validation={"pattern": "([\\u4e00-\\u9fff])\\1"})
    assert company(gql, "叠字公司", pair="华华")["custom"] == {"pair": "华华"}


def test_every_type_is_checked_with_its_path_and_nothing_is_written(
    gql: GQL, cypher: Driver
) -> None:
    define(gql, "COMPANY", "code", "TEXT", validation={"maxLength": 6, "pattern": "[A-Z]+-[0-9]+"})
    define(gql, "COMPANY", "rating", "NUMBER", validation={"min": 1, "max": 5})
    define(gql, "COMPANY", "signedOn", "DATE", validation={"minDate": "2020-01-01"})
    define(gql, "COMPANY", "vip", "BOOLEAN")
    define(gql, "COMPANY", "region", "ENUM", options=["华南", "华北"])
    define(gql, "COMPANY", "lines", "MULTI_ENUM", options=["A", "B", "C"])
    define(gql, "COMPANY", "partner", "REFERENCE", referenceKind="COMPANY")
    define(gql, "COMPANY", "note", "TEXT", labelZh="备注")
    bad = {
        "code": "abc-1",
        "rating": 6,
        "signedOn": "2019-12-31",
        "vip": "yes",
        "region": "华东",
        "lines": ["A", "D"],
        "partner": "00000000-0000-4000-8000-00000000dead",
        "note": 5,
        "unknown": 1,
    }
    before = count(cypher, "Company")
    r = gql(COMPANY, {"input": {"name": "坏数据公司", "custom": bad}})
    payload = r.data["createCompany"]
    assert payload["company"] is None
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == sorted(
        ("VALIDATION", f"input.custom.{k}") for k in bad
    )
    said = {e["field"]: e["message"] for e in payload["errors"]}
    assert said["input.custom.rating"] == "must be between 1 and 5"
    assert said["input.custom.signedOn"] == "must be at least 2020-01-01"  # no "None" bound
    assert said["input.custom.note"] == "must be text (a JSON string)"  # not "non-blank"
    assert count(cypher, "Company") == before
    partner = company(gql, "伙伴公司")
    good = {
        "code": "AB-12",
        "rating": 4.5,
        "signedOn": "2024-03-01",
        "vip": True,
        "region": "华南",
        "lines": ["C", "A", "A"],
        "partner": partner["id"],
        "note": "长期合作，付款及时",
    }
    c = company(gql, "好数据公司", **good)
    assert c["custom"] == {**good, "lines": ["A", "C"]}  # options order, no duplicates
    stored = cypher.execute_query(
        "MATCH (c:Company {id: $id}) RETURN c.`custom.signedOn` AS d, c.`custom.rating` AS r",
        id=c["id"],
    ).records[0]
    assert (str(stored["d"]), stored["r"]) == ("2024-03-01", 4.5)  # native date and number


def test_a_date_is_only_yyyy_mm_dd_and_text_has_no_direction_marks(gql: GQL) -> None:
    """Python also reads 20120304 and the week date 2012-W10-7 (as 11 March): a value the
    client did not mean as that day. Text is checked as every other text of the API."""
    define(gql, "COMPANY", "since", "DATE")
    define(gql, "COMPANY", "memo", "TEXT")
    for custom in ({"since": "20120304"}, {"since": "2012-W10-7"}, {"memo": "a\u202eb"}):
        r = gql(COMPANY, {"input": {"name": "日期公司", "custom": custom}})
        payload = r.data["createCompany"]
        assert payload["company"] is None, custom
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("VALIDATION", f"input.custom.{next(iter(custom))}")
        ], custom
    c = company(gql, "日期公司", since="2012-03-04", memo="  长期\u200b合作 ")
    assert c["custom"] == {"since": "2012-03-04", "memo": "长期合作"}


def test_required_unknown_and_patch_semantics(gql: GQL) -> None:
    define(gql, "PROJECT", "budgetCode", "TEXT", required=True, labelZh="预算编号")
    define(gql, "PROJECT", "priority", "NUMBER")
    missing = gql(PROJECT, {"input": {"name": "新项目"}}).data["createProject"]
    assert missing["errors"] == [{"code": "VALIDATION", "field": "input.custom.budgetCode"}]
    unknown = gql(PROJECT, {"input": {"name": "新项目", "custom": {"budgetCode": "B1", "x": 1}}})
    assert unknown.data["createProject"]["errors"] == [
        {"code": "VALIDATION", "field": "input.custom.x"}
    ]
    # companies have no required field: their creates need no custom object
    c = company(gql, "无自定义公司")
    assert c["custom"] is None
    define(gql, "COMPANY", "rank", "NUMBER")
    define(gql, "COMPANY", "region", "TEXT")
    c = company(gql, "补丁公司", rank=1, region="华南")
    patched = gql(
        UPDATE_COMPANY, {"input": {"id": c["id"], "expectedVersion": 1, "custom": {"rank": 2}}}
    ).data["updateCompany"]
    assert patched["company"]["custom"] == {"rank": 2.0, "region": "华南"}
    removed = gql(
        UPDATE_COMPANY, {"input": {"id": c["id"], "expectedVersion": 2, "custom": {"rank": None}}}
    ).data["updateCompany"]
    assert removed["company"]["custom"] == {"region": "华南"}


def test_lists_filter_and_sort_on_custom_fields(gql: GQL) -> None:
    define(gql, "COMPANY", "rank", "NUMBER")
    define(gql, "COMPANY", "region", "ENUM", options=["华南", "华北"])
    define(gql, "COMPANY", "tags", "MULTI_ENUM", options=["制造", "零售"])
    define(gql, "COMPANY", "vip", "BOOLEAN")
    company(gql, "甲公司", rank=3, region="华南", tags=["制造"], vip=True)
    company(gql, "乙公司", rank=10, region="华北", tags=["零售", "制造"], vip=False)
    company(gql, "丙公司", rank=7, region="华南", vip=True)
    company(gql, "丁公司")

    def names(data: dict[str, Any]) -> list[str]:
        return [e["node"]["name"] for e in data["companies"]["edges"]]

    south = gql(COMPANIES, {"f": {"custom": [{"key": "region", "op": "EQ", "value": "华南"}]}})
    assert sorted(names(south.data)) == ["丙公司", "甲公司"]
    assert south.data["companies"]["totalCount"] == 2
    big = gql(
        COMPANIES,
        {"f": {"custom": [{"key": "rank", "op": "GT", "value": 5}]}, "order": "CUSTOM_DESC",
         "key": "rank"},
    )  # fmt: skip
    assert names(big.data) == ["乙公司", "丙公司"]
    tagged = gql(COMPANIES, {"f": {"custom": [{"key": "tags", "op": "IN", "values": ["制造"]}]}})
    assert sorted(names(tagged.data)) == ["乙公司", "甲公司"]
    # sorted by a number, two per page: numeric order, then the company without a rank
    first = gql(COMPANIES, {"order": "CUSTOM_DESC", "key": "rank"}).data
    assert names(first) == ["乙公司", "丙公司"]
    cursor = first["companies"]["pageInfo"]["endCursor"]
    second = gql(COMPANIES, {"order": "CUSTOM_DESC", "key": "rank", "after": cursor}).data
    assert names(second) == ["甲公司", "丁公司"]

    # Tester BM: no BOOLEAN value sorted as false, mixed with the false ones by id. True
    # first descending, then false, then none; the reverse ascending, across pages.
    def walk(order: str) -> list[str]:
        out, after = [], None
        while True:
            page = gql(COMPANIES, {"order": order, "key": "vip", "after": after}).data
            out += names(page)
            if not page["companies"]["pageInfo"]["hasNextPage"]:
                return out
            after = page["companies"]["pageInfo"]["endCursor"]

    down = walk("CUSTOM_DESC")
    assert sorted(down[:2]) == ["丙公司", "甲公司"]
    assert down[2:] == ["乙公司", "丁公司"]
    assert walk("CUSTOM_ASC") == down[::-1]
    wrong = gql(COMPANIES, {"order": "CUSTOM_ASC", "key": "nope"})
    assert wrong.codes() == ["BAD_USER_INPUT"]
    bad_value = gql(COMPANIES, {"f": {"custom": [{"key": "rank", "op": "EQ", "value": "x"}]}})
    assert bad_value.codes() == ["BAD_USER_INPUT"]
    assert bad_value.errors[0]["extensions"]["field"] == "filter.custom[0].value"
    unknown = gql(COMPANIES, {"f": {"custom": [{"key": "nope", "op": "EQ", "value": 1}]}})
    assert unknown.errors[0]["extensions"]["field"] == "filter.custom[0].key"
    # IN with nothing to match, and GT on an enum, say so (tester AV)
    empty = gql(COMPANIES, {"f": {"custom": [{"key": "rank", "op": "IN"}]}})
    assert empty.errors[0]["extensions"]["field"] == "filter.custom[0].values"
    above = gql(COMPANIES, {"f": {"custom": [{"key": "region", "op": "GT", "value": "华"}]}})
    assert "GT and LT apply" in above.errors[0]["message"]
    other_order = gql(COMPANIES, {"order": "NAME_ASC", "after": cursor})
    assert other_order.codes() == ["BAD_USER_INPUT"]


def test_the_customers_list_filters_on_either_kinds_fields(gql: GQL, cypher: Driver) -> None:
    """Customers are companies and people: a field of either kind filters the one list."""
    define(gql, "COMPANY", "region", "ENUM", options=["华南", "华北"])
    define(gql, "PERSON", "region", "ENUM", options=["华南", "西南"])
    define(gql, "COMPANY", "rank", "NUMBER")
    define(gql, "PERSON", "rank", "TEXT")
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'cf-c1', name: '甲公司', version: 1, "
        "`custom.region`: '华南'}),"
        " (:Company:Customer {id: 'cf-c2', name: '乙公司', version: 1, `custom.region`: '华北'}),"
        " (:Person:Customer {id: 'cf-p1', name: '张三', version: 1, `custom.region`: '西南'}),"
        " (:Company {id: 'cf-c3', name: '丙公司', version: 1, `custom.region`: '华南'})"
    )
    query = """query($f: CustomerFilter) { customers(first: 10, filter: $f) {
      totalCount nodes { ... on Company { id } ... on Person { id } } } }"""
    south = gql(
        query, {"f": {"custom": [{"key": "region", "op": "IN", "values": ["华南", "西南"]}]}}
    )
    assert sorted(n["id"] for n in south.data["customers"]["nodes"]) == ["cf-c1", "cf-p1"]
    assert south.data["customers"]["totalCount"] == 2
    north = gql(query, {"f": {"custom": [{"key": "region", "op": "EQ", "value": "华北"}]}})
    assert [n["id"] for n in north.data["customers"]["nodes"]] == ["cf-c2"]
    # A key the two kinds type differently has no one meaning across them.
    mixed = gql(query, {"f": {"custom": [{"key": "rank", "op": "GT", "value": 1}]}})
    assert mixed.codes() == ["BAD_USER_INPUT"]


def test_a_new_required_field_lists_the_nodes_that_lack_it(gql: GQL) -> None:
    filled = company(gql, "甲公司")
    empty = company(gql, "乙公司")
    r = gql(DEFINE, {"input": {"kind": "COMPANY", "key": "tier", "type": "TEXT", "required": True}})
    payload = r.data["defineCustomField"]
    assert payload["errors"] == []
    assert payload["misfits"]["count"] == 2
    assert {n["id"] for n in payload["misfits"]["nodes"]} == {filled["id"], empty["id"]}
    optional = define(gql, "COMPANY", "note", "TEXT")
    assert optional["key"] == "note"
    again = gql(DEFINE, {"input": {"kind": "PROJECT", "key": "code", "type": "TEXT"}})
    assert again.data["defineCustomField"]["misfits"] == {"count": 0, "nodes": []}


def test_narrowing_reports_misfits_and_refuses_unless_forced(gql: GQL, cypher: Driver) -> None:
    rank = define(gql, "COMPANY", "rank", "NUMBER", validation={"max": 100})
    region = define(gql, "COMPANY", "region", "ENUM", options=["华南", "华北", "华东"])
    high = company(gql, "高分公司", rank=90, region="华东")
    company(gql, "低分公司", rank=10, region="华南")
    company(gql, "空白公司")

    narrower = {"id": rank["id"], "expectedVersion": 1, "validation": {"max": 50}}
    refused = gql(UPDATE, {"input": narrower}).data["updateCustomFieldDefinition"]
    assert refused["definition"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "input.force")]
    assert refused["misfits"] == {"count": 1, "nodes": [{"id": high["id"]}]}
    version = cypher.execute_query(
        "MATCH (d:CustomFieldDefinition {id: $id}) RETURN d.version AS v, d.max AS max",
        id=rank["id"],
    ).records[0]
    assert (version["v"], version["max"]) == (1, 100.0)  # nothing changed

    required = gql(
        UPDATE, {"input": {"id": rank["id"], "expectedVersion": 1, "required": True}}
    ).data["updateCustomFieldDefinition"]
    assert required["misfits"]["count"] == 1  # 空白公司 has no rank

    fewer = {"id": region["id"], "expectedVersion": 1, "options": ["华南", "华北"], "force": True}
    forced = gql(UPDATE, {"input": fewer}).data["updateCustomFieldDefinition"]
    assert forced["errors"] == []
    assert forced["definition"]["options"] == ["华南", "华北"]
    assert forced["misfits"] == {"count": 1, "nodes": [{"id": high["id"]}]}
    # the value is kept as it was, for hand correction
    kept = gql("query($id: ID!) { company(id: $id) { custom } }", {"id": high["id"]})
    assert kept.data["company"]["custom"]["region"] == "华东"

    to_text = {"id": rank["id"], "expectedVersion": 1, "type": "TEXT"}
    retyped = gql(UPDATE, {"input": to_text}).data["updateCustomFieldDefinition"]
    assert retyped["misfits"]["count"] == 2  # both stored ranks are numbers


def test_narrowing_a_required_field_counts_no_gap_it_did_not_make(gql: GQL) -> None:
    """Tester BO: dropping an option nobody used was refused, "13 stored values would no
    longer fit", for the nodes without a value of a field already required."""
    graded = company(gql, "甲等公司")
    company(gql, "无等公司")
    grade = define(gql, "COMPANY", "grade", "ENUM", options=["甲", "乙", "丙"])
    gql(
        UPDATE_COMPANY,
        {"input": {"id": graded["id"], "expectedVersion": 1, "custom": {"grade": "甲"}}},
    )
    required = {"id": grade["id"], "expectedVersion": 1, "required": True, "force": True}
    made = gql(UPDATE, {"input": required}).data["updateCustomFieldDefinition"]
    assert made["misfits"]["count"] == 1  # the gap this change makes: 无等公司
    unused = {"id": grade["id"], "expectedVersion": 2, "options": ["甲", "乙"]}
    dropped = gql(UPDATE, {"input": unused}).data["updateCustomFieldDefinition"]
    assert dropped["errors"] == []
    assert dropped["misfits"] == {"count": 0, "nodes": []}
    used = {"id": grade["id"], "expectedVersion": 3, "options": ["乙"]}
    refused = gql(UPDATE, {"input": used}).data["updateCustomFieldDefinition"]
    assert refused["misfits"] == {"count": 1, "nodes": [{"id": graded["id"]}]}


def test_personal_custom_fields_are_hidden_from_analysts(gql: GQL) -> None:
    define(gql, "COMPANY", "contactWechat", "TEXT", personal=True, labelZh="联系人微信")
    define(gql, "COMPANY", "region", "TEXT")
    c = company(gql, "微信公司", contactWechat="wx_zhang", region="华南")
    query = "query($id: ID!) { company(id: $id) { custom } }"
    assert gql.as_("analyst")(query, {"id": c["id"]}).data["company"]["custom"] == {
        "region": "华南"
    }
    assert gql.as_("auditor")(query, {"id": c["id"]}).data["company"]["custom"] == {
        "contactWechat": "wx_zhang",
        "region": "华南",
    }
    # nor may an analyst filter on it: the matches would reveal the value
    probe = {"f": {"custom": [{"key": "contactWechat", "op": "EQ", "value": "wx_zhang"}]}}
    assert gql.as_("analyst")(COMPANIES, probe).codes() == ["BAD_USER_INPUT"]
    assert gql.as_("auditor")(COMPANIES, probe).data["companies"]["totalCount"] == 1


def test_analysts_filter_and_sort_on_no_field_people_have(gql: GQL) -> None:
    """Tester AL: ANALYST reads no person's custom values, yet filtered people by a field not
    marked personal (`CONTAINS "钓"` counted 1, `"打"` 0), recovering a value letter by letter."""
    define(gql, "PERSON", "hobbyNote", "TEXT")
    made = gql(
        "mutation($i: CreatePersonInput!) { createPerson(input: $i) { errors { code } } }",
        {"i": {"name": "钓鱼人", "custom": {"hobbyNote": "钓鱼"}}},
    )
    assert made.data["createPerson"]["errors"] == []
    people = """query($f: PartyFilter, $key: String, $order: ListOrder) {
      people(first: 5, filter: $f, customSortKey: $key, orderBy: $order) { totalCount } }"""
    customers = """query($f: CustomerFilter) { customers(first: 5, filter: $f) { totalCount } }"""
    probe = {"custom": [{"key": "hobbyNote", "op": "CONTAINS", "value": "钓"}]}
    assert gql.as_("auditor")(people, {"f": probe}).data["people"]["totalCount"] == 1
    for query in (people, customers):
        r = gql.as_("analyst")(query, {"f": probe})
        assert r.codes() == ["BAD_USER_INPUT"]
        assert r.errors[0]["extensions"]["field"] == "filter.custom[0].key"
    sort = gql.as_("analyst")(people, {"key": "hobbyNote", "order": "CUSTOM_DESC"})
    assert sort.codes() == ["BAD_USER_INPUT"]
    assert sort.errors[0]["extensions"]["field"] == "customSortKey"


def test_a_reference_to_a_node_the_viewer_cannot_see_is_not_shown(gql: GQL, cypher: Driver) -> None:
    """Tester AL: a rep read another team's hidden contact's id in a company's `custom`, while
    `person(id)` answered null for it. Hidden means missing."""
    ids = hidden_reference(gql, cypher)
    query = "query($id: ID!) { company(id: $id) { custom } }"
    shown = gql.as_("owner")(query, {"id": ids["company"]})
    assert shown.data["company"]["custom"] == {"partner": ids["ref"]}
    full = gql(query, {"id": ids["company"]}).data["company"]["custom"]
    assert full == {"boss": ids["person"], "partner": ids["ref"]}


def test_a_reference_filter_finds_nothing_by_a_hidden_id(gql: GQL, cypher: Driver) -> None:
    """Tester BH: filtering on the hidden contact's id found the rep's company (whose `custom`
    showed no value), and a made-up id found nothing: the filter told the hidden id existed."""
    ids = hidden_reference(gql, cypher)
    query = """query($f: PartyFilter) { companies(first: 5, filter: $f) {
      totalCount nodes { id } } }"""
    made_up = "00000000-0000-4000-8000-00000000beef"

    def found(persona: str, op: str, *values: str) -> list[str]:
        f = {"key": "boss", "op": op}
        f |= {"values": list(values)} if op == "IN" else {"value": values[0]}
        page = gql.as_(persona)(query, {"f": {"custom": [f]}}).data["companies"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["id"] for n in page["nodes"]]

    for op in ("EQ", "IN"):
        assert found("owner", op, ids["person"]) == found("owner", op, made_up) == []
        assert found("admin", op, ids["person"]) == [ids["company"]]  # who reads everything
    assert found("owner", "IN", ids["person"], made_up) == []
    partner = {"key": "partner", "op": "IN", "values": [ids["ref"], ids["person"]]}
    page = gql.as_("owner")(query, {"f": {"custom": [partner]}}).data["companies"]
    assert [n["id"] for n in page["nodes"]] == [ids["company"]]  # a visible id still matches
