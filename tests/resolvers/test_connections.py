"""Lists (companies, people, projects, customers): keyset pagination, filters, masking and
round-trip bounds, and the relation fields' DataLoaders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, plan_operators
from tests.resolvers.accounts import (
    PERSONA_NAMES,
    SEES_EAST,
    SEES_WEST,
    build_accounts,
    hidden_leaks,
)

OWNER = PERSONAS["owner"]["id"]
OTHER = PERSONAS["other_team"]["id"]


def run(cypher: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records = cypher.execute_query(query, params, database_="neo4j").records
    return [r.data() for r in records]


def companies(cypher: Driver, names: list[str], **props: Any) -> None:
    """Companies with these names, all with the same timestamps (so sort ties happen)."""
    run(
        cypher,
        "WITH datetime() AS t UNWIND $names AS name "
        "CREATE (c:Company {id: randomUUID(), name: name, version: 1, createdAt: t, "
        "updatedAt: t}) SET c += $props",
        names=names,
        props=props,
    )


def link(cypher: Driver, rel: str, a: str, b: str, **props: Any) -> None:
    """An edge as docs/MODEL.md stores it: id, since/until, timestamps, version."""
    # rel comes from the tests' own literals, never from input
    run(
        cypher,
        "MATCH (a {id: $a}), (b {id: $b}) "
        f"CREATE (a)-[r:{rel} {{id: randomUUID(), version: 1, createdAt: datetime(), "
        "updatedAt: datetime()}]->(b) SET r += $props",
        a=a,
        b=b,
        props=props,
    )


def ids_by_name(cypher: Driver) -> dict[str, str]:
    rows = run(cypher, "MATCH (n) WHERE n:Company OR n:Person RETURN n.name AS name, n.id AS id")
    return {r["name"]: r["id"] for r in rows}


LIST = """query($first: Int!, $after: String, $order: ListOrder, $filter: PartyFilter) {
  companies(first: $first, after: $after, orderBy: $order, filter: $filter) {
    totalCount edges { cursor node { name } } nodes { id }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def all_pages(gql: GQL, first: int, order: str, **variables: Any) -> list[str]:
    names: list[str] = []
    after = None
    for _ in range(20):
        page = gql(LIST, {"first": first, "after": after, "order": order, **variables}).data[
            "companies"
        ]
        names += [e["node"]["name"] for e in page["edges"]]
        assert len(page["nodes"]) == len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("too many pages")


def test_pages_by_name_and_by_updated_with_ties(gql: GQL, cypher: Driver) -> None:
    names = [f"公司{i:02d}" for i in range(25)]
    companies(cypher, names)
    first = gql(LIST, {"first": 10}).data["companies"]
    assert first["totalCount"] == 25
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert all_pages(gql, 10, "NAME_ASC") == names
    assert all_pages(gql, 7, "NAME_DESC") == names[::-1]
    # every updatedAt is equal: the id breaks ties, so pages neither skip nor repeat
    by_updated = all_pages(gql, 4, "UPDATED_DESC")
    assert sorted(by_updated) == names
    assert len(set(by_updated)) == 25
    assert sorted(all_pages(gql, 6, "CREATED_ASC")) == names


def test_bad_arguments(gql: GQL, cypher: Driver) -> None:
    companies(cypher, ["甲", "乙"])
    assert gql(LIST, {"first": 0}).codes() == ["BAD_USER_INPUT"]
    assert gql(LIST, {"first": 101}).codes() == ["BAD_USER_INPUT"]
    cursor = gql(LIST, {"first": 1}).data["companies"]["pageInfo"]["endCursor"]
    other_order = gql(LIST, {"first": 1, "after": cursor, "order": "UPDATED_DESC"})
    assert other_order.codes() == ["BAD_USER_INPUT"]
    assert gql(LIST, {"first": 1, "after": "garbage"}).codes() == ["BAD_USER_INPUT"]
    # Tester BB: the described limit on name filters held nowhere.
    named = "query($f: PartyFilter) { companies(first: 5, filter: $f) { totalCount } }"
    for key in ("nameContains", "namePrefix"):
        long = gql(named, {"f": {key: "华" * 101}})
        assert long.codes() == ["BAD_USER_INPUT"]
        assert long.errors[0]["extensions"]["field"] == f"filter.{key}"
        assert gql(named, {"f": {key: "华" * 100}}).data["companies"]["totalCount"] == 0
    # Tester BB: projects sorted by a customer's score all tied, with no word of it.
    for order in ("VALUE_DESC", "CHURN_RISK_DESC"):
        scored = gql(f"{{ projects(first: 5, orderBy: {order}) {{ nodes {{ id }} }} }}")
        assert scored.codes() == ["BAD_USER_INPUT"]
        assert scored.errors[0]["extensions"]["field"] == "orderBy"


def test_a_name_filter_is_normalised_as_names_are_stored(gql: GQL) -> None:
    # Tester BB: a decomposed é (e + U+0301, as some keyboards type it) found nothing.
    create = 'mutation { createCompany(input: {name: "Cafe\u0301咖啡"}) { company { id } } }'
    made = gql(create).data["createCompany"]["company"]["id"]
    named = "query($f: PartyFilter) { companies(first: 5, filter: $f) { nodes { id } } }"
    for text in ("Cafe\u0301", "Caf\u00e9"):
        found = gql(named, {"f": {"nameContains": text}})
        assert found.data["companies"]["nodes"] == [{"id": made}], text


def test_filters(gql: GQL, cypher: Driver) -> None:
    companies(cypher, ["华为技术有限公司", "华为终端有限公司"], industry="通信")
    companies(cypher, ["中兴通讯股份有限公司"], industry="通信")
    companies(cypher, ["深圳华强集团"], industry="电子")
    companies(cypher, ["Huawei Cloud"])
    run(
        cypher,
        "MATCH (c:Company {name: '华为技术有限公司'}) SET c:Customer, c.customerKind = "
        "'ENTERPRISE', c.lifecycleStage = 'ACTIVE', c.tier = 'CORE'",
    )
    run(cypher, "MATCH (c:Company {name: '深圳华强集团'}) SET c.archivedAt = datetime()")
    ids = ids_by_name(cypher)
    link(cypher, "OWNS", OWNER, ids["华为技术有限公司"], since=dt.date(2020, 1, 1))
    link(cypher, "OWNS", OWNER, ids["中兴通讯股份有限公司"], until=dt.date(2020, 1, 1))  # ended
    link(cypher, "OWNS", OTHER, ids["华为终端有限公司"])

    def names(**flt: Any) -> list[str]:
        page = gql(LIST, {"first": 50, "filter": flt}).data["companies"]
        assert page["totalCount"] == len(page["edges"])
        return [e["node"]["name"] for e in page["edges"]]

    assert names(nameContains="华为") == ["华为技术有限公司", "华为终端有限公司"]
    assert names(nameContains="有限", namePrefix="华为终") == ["华为终端有限公司"]
    assert names(namePrefix="中兴") == ["中兴通讯股份有限公司"]
    assert names(nameContains="华") == ["华为技术有限公司", "华为终端有限公司"]  # archived out
    assert names(nameContains="华", includeArchived=True) == [
        "华为技术有限公司",
        "华为终端有限公司",
        "深圳华强集团",
    ]
    assert names(industry="通信") == [
        "中兴通讯股份有限公司",
        "华为技术有限公司",
        "华为终端有限公司",
    ]
    assert names(lifecycleStage="ACTIVE") == ["华为技术有限公司"]
    assert names(tier="GENERAL") == []
    assert names(owner=OWNER) == ["华为技术有限公司"]  # the ended OWNS edge does not count
    assert names(owner=OTHER) == ["华为终端有限公司"]
    assert names(updatedSince="2999-01-01T00:00:00+00:00") == []
    assert len(names(updatedSince="2000-01-01T00:00:00+08:00")) == 4


def test_customers_mix_companies_and_people(gql: GQL, cypher: Driver) -> None:
    companies(cypher, ["B 公司"])
    run(
        cypher,
        "MATCH (c:Company) SET c:Customer, c.customerKind = 'ENTERPRISE' "
        "CREATE (:Person:Customer {id: randomUUID(), name: 'A 张伟', customerKind: 'INDIVIDUAL', "
        "mobile: '+8613812345678', version: 1, createdAt: datetime(), updatedAt: datetime()}) "
        "CREATE (:Person {id: randomUUID(), name: 'C 非客户', version: 1, "
        "createdAt: datetime(), updatedAt: datetime()})",
    )
    # The SALES viewer below sees the customers it owns.
    run(
        cypher,
        "MATCH (u:User {id: $owner}), (c:Customer) CREATE (u)-[:OWNS {id: randomUUID()}]->(c)",
        owner=OWNER,
    )
    q = """query($f: CustomerFilter) { customers(first: 10, filter: $f) { totalCount
      nodes { __typename ... on Company { name } ... on Person { name mobile } } } }"""
    got = gql.as_("owner")(q).data["customers"]
    assert got["totalCount"] == 2
    assert got["nodes"] == [
        {"__typename": "Person", "name": "A 张伟", "mobile": "+86138****5678"},
        {"__typename": "Company", "name": "B 公司"},
    ]
    only = gql(q, {"f": {"customerKind": "INDIVIDUAL"}}).data["customers"]["nodes"]
    assert only == [{"__typename": "Person", "name": "A 张伟", "mobile": "+8613812345678"}]


def test_people_employer_and_projects(gql: GQL, cypher: Driver) -> None:
    companies(cypher, ["华为技术有限公司", "旧东家"])
    run(
        cypher,
        "UNWIND ['张伟', '李娜'] AS name CREATE (:Person {id: randomUUID(), name: name, "
        "version: 1, createdAt: datetime(), updatedAt: datetime()}) "
        "WITH count(*) AS _ CREATE (:Project {id: randomUUID(), name: '云', stage: 'LEAD', "
        "version: 1, createdAt: datetime(), updatedAt: datetime()}), "
        "(:Project {id: randomUUID(), name: '园区', stage: 'PROPOSAL', version: 1, "
        "createdAt: datetime(), updatedAt: datetime()})",
    )
    ids = ids_by_name(cypher)
    link(cypher, "WORKS_AT", ids["张伟"], ids["旧东家"], title="工程师", until=dt.date(2019, 1, 1))
    link(
        cypher,
        "WORKS_AT",
        ids["张伟"],
        ids["华为技术有限公司"],
        title="采购总监",
        department="采购部",
        since=dt.date(2019, 1, 1),
    )
    people = gql(
        "{ people(first: 10) { nodes { name employer { title department company { name } } } } }"
    )
    assert people.data["people"]["nodes"] == [
        {
            "name": "张伟",
            "employer": {
                "title": "采购总监",
                "department": "采购部",
                "company": {"name": "华为技术有限公司"},
            },
        },
        {"name": "李娜", "employer": None},
    ]
    assert people.round_trips == 2  # the page and one batched employer look-up
    project_ids = {
        r["name"]: r["id"]
        for r in run(cypher, "MATCH (p:Project) RETURN p.name AS name, p.id AS id")
    }
    link(cypher, "FOR", project_ids["园区"], ids["华为技术有限公司"])
    q = """query($f: ProjectFilter) { projects(first: 10, filter: $f) { nodes { name } } }"""
    assert gql(q, {"f": {"stage": "LEAD"}}).data["projects"]["nodes"] == [{"name": "云"}]
    by_customer = gql(q, {"f": {"customer": ids["华为技术有限公司"]}})
    assert by_customer.data["projects"]["nodes"] == [{"name": "园区"}]


def test_a_groups_projects_are_those_of_its_companies_today(gql: GQL, cypher: Driver) -> None:
    """customerGroup: the company's projects and those of every company below it, by today's
    hierarchy; a sold-off subsidiary's and another group's are not the group's."""
    companies(cypher, ["集团", "子公司", "孙公司", "已出售", "别家"])
    run(
        cypher,
        "UNWIND ['总部项目', '子项目', '孙项目', '出售前', '别家项目'] AS name "
        "CREATE (:Project {id: randomUUID(), name: name, version: 1, createdAt: datetime(), "
        "updatedAt: datetime()})",
    )
    ids = ids_by_name(cypher) | {
        r["name"]: r["id"]
        for r in run(cypher, "MATCH (p:Project) RETURN p.name AS name, p.id AS id")
    }
    link(cypher, "SUBSIDIARY_OF", ids["子公司"], ids["集团"], since=dt.date(2015, 1, 1))
    link(cypher, "SUBSIDIARY_OF", ids["孙公司"], ids["子公司"])
    link(cypher, "SUBSIDIARY_OF", ids["已出售"], ids["集团"], until=dt.date(2020, 1, 1))
    for project, company in (("总部项目", "集团"), ("子项目", "子公司"), ("孙项目", "孙公司"),
                             ("出售前", "已出售"), ("别家项目", "别家")):  # fmt: skip
        link(cypher, "FOR", ids[project], ids[company])
    q = """query($f: ProjectFilter) { projects(first: 10, filter: $f) { nodes { name } } }"""

    def names(company: str) -> list[str]:
        got = gql(q, {"f": {"customerGroup": ids[company]}}).data["projects"]["nodes"]
        return [p["name"] for p in got]

    assert names("集团") == sorted(["总部项目", "子项目", "孙项目"])
    assert names("子公司") == sorted(["子项目", "孙项目"])
    assert names("别家") == ["别家项目"]

    # A rep who sees the group and the grandchild but not the child between them (another
    # team's customer): the grandchild's project is not the group's to them, as their
    # groupHierarchy stops at the hidden child, and the hidden child's id filters nothing.
    for name, rep in (("集团", OWNER), ("子公司", OTHER), ("孙公司", OWNER)):
        run(
            cypher,
            "MATCH (c:Company {id: $c}), (u:User {id: $u}) SET c:Customer "
            "CREATE (u)-[:OWNS {id: randomUUID(), version: 1}]->(c)",
            c=ids[name],
            u=rep,
        )
    owner = gql.as_("owner")

    def seen(company: str) -> list[str]:
        got = owner(q, {"f": {"customerGroup": ids[company]}}).data["projects"]["nodes"]
        return [p["name"] for p in got]

    assert seen("集团") == ["总部项目"]
    assert seen("子公司") == []
    assert seen("孙公司") == ["孙项目"]


def _estate(cypher: Driver, n: int) -> None:
    """`n` customer companies under one parent, each owned by the owner persona."""
    run(
        cypher,
        "CREATE (p:Company {id: 'parent', name: '集团总部', version: 1, createdAt: datetime(), "
        "updatedAt: datetime()}) "
        "WITH p MATCH (u:User {id: $owner}) "
        "UNWIND range(1, $n) AS i "
        "CREATE (c:Company:Customer {id: 'c' + i, name: '子公司' + right('000' + i, 3), "
        "customerKind: 'ENTERPRISE', tier: 'CORE', version: 1, createdAt: datetime(), "
        "updatedAt: datetime()}) "
        "CREATE (c)-[:SUBSIDIARY_OF {id: randomUUID(), kind: 'SUBSIDIARY', "
        "since: date('2015-01-01'), version: 1}]->(p) "
        "CREATE (u)-[:OWNS {id: randomUUID(), since: date('2020-01-01'), version: 1}]->(c)",
        owner=OWNER,
        n=n,
    )


@pytest.mark.parametrize("with_total", [True, False])
def test_round_trips_do_not_grow_with_page_size(gql: GQL, cypher: Driver, with_total: bool) -> None:
    _estate(cypher, 100)
    total = "totalCount" if with_total else ""
    q = f"""query($first: Int!) {{ companies(first: $first, filter: {{namePrefix: "子公司"}}) {{
      {total} nodes {{ id name customer {{ tier }} parents {{ name }} owner {{ name }} }} }} }}"""
    small = gql(q, {"first": 5})
    large = gql(q, {"first": 100})
    nodes = large.data["companies"]["nodes"]
    assert len(nodes) == 100
    assert all(n["parents"] == [{"name": "集团总部"}] for n in nodes)
    assert all(n["owner"]["name"] == PERSONAS["owner"]["name"] for n in nodes)
    assert all(n["customer"] == {"tier": "CORE"} for n in nodes)
    # the page (with its count when asked, in the same statement) + parents + owner
    assert small.round_trips == large.round_trips == 3
    if with_total:
        assert large.data["companies"]["totalCount"] == 100


def test_subsidiaries_and_ended_parent_links(gql: GQL, cypher: Driver) -> None:
    _estate(cypher, 3)
    run(
        cypher, "MATCH (:Company {id: 'c3'})-[r:SUBSIDIARY_OF]->() SET r.until = date('2021-01-01')"
    )
    got = gql(
        '{ company(id: "parent") { subsidiaries { name } } '
        'c3: company(id: "c3") { parents { name } } }'
    ).data
    assert got["company"]["subsidiaries"] == [{"name": "子公司001"}, {"name": "子公司002"}]
    assert got["c3"]["parents"] == []


@pytest.mark.parametrize(("mode", "operator"), [("contains", "NodeIndexContainsScan")])
def test_name_filter_uses_the_text_index(
    gql: GQL, cypher: Driver, mode: str, operator: str
) -> None:
    from graph import lists

    assert gql("{ version }").status == 200  # the app has migrated: indexes exist
    params = {
        **lists._params({"nameContains": "华为", "namePrefix": None}),
        "afterKey": None,
        "afterId": None,
        "limit": 11,
    }
    for order in lists.ORDERS:
        statement = lists.page_statement("company", mode, order, frozenset())
        summary = cypher.execute_query("EXPLAIN " + statement.text, params, database_="neo4j")
        assert operator in plan_operators(summary.summary.plan), statement.name


def test_a_set_filter_uses_its_range_index(gql: GQL, cypher: Driver) -> None:
    from graph import lists

    assert gql("{ version }").status == 200
    params = {**lists._params({"tier": "CORE"}), "afterKey": None, "afterId": None, "limit": 51}
    page = lists.page_statement("customer", "none", "NAME_ASC", frozenset({"tier"}))
    counted = lists.counted_page_statement("customer", "none", "NAME_ASC", frozenset({"tier"}))
    for statement in (page, counted):
        assert "$tier IS NULL" not in statement.text
        summary = cypher.execute_query("EXPLAIN " + statement.text, params, database_="neo4j")
        assert "NodeIndexSeek" in plan_operators(summary.summary.plan), statement.name
    # unset filters stay out of the statement altogether
    assert "$tier" not in lists.page_statement("customer", "none", "NAME_ASC", frozenset()).text


LISTS = """{
  companies(first: 50) { totalCount nodes { name } }
  people(first: 50) { totalCount nodes { name } }
  projects(first: 50) { totalCount nodes { name } }
  customers(first: 50) { totalCount nodes { ... on Company { name } ... on Person { name } } }
}"""


def test_lists_and_counts_hold_visible_rows_only(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    for persona in PERSONA_NAMES:
        _lists(gql, persona)


def _lists(gql: GQL, persona: str) -> None:
    r = gql.as_(persona)(LISTS)
    east, west = persona in SEES_EAST, persona in SEES_WEST
    for key, east_names, west_names in (
        ("companies", {"东方客户", "东方子公司"}, {"西方客户", "西方子公司"}),
        ("people", {"东方联系人"}, {"西方联系人", "西方联系人二"}),
        ("projects", {"东方项目"}, {"西方项目"}),
        ("customers", {"东方客户", "东方子公司"}, {"西方客户", "西方子公司"}),
    ):
        got = r.data[key]
        names = {n["name"] for n in got["nodes"]}
        want = (east_names if east else set()) | (west_names if west else set())
        if persona == "analyst" and key == "people":
            # The analyst sees every row, people under pseudonyms (schema/fieldrules.py).
            assert len(names) == len(want), key
            assert all(n.startswith("Person ") for n in names), names
        else:
            assert names == want, key
        assert got["totalCount"] == len(names), key  # counts only what the viewer sees
    assert hidden_leaks(persona, r.data) == set()
    # four pages, each with its count, for every persona
    assert r.round_trips == 4


# --- the summary projection (graph/lists.py PROJECTIONS) ---------------------------------------


def _customers(cypher: Driver) -> None:
    """The two teams' accounts, plus customers of both kinds over two tiers, with name ties,
    an archived one and half of them owned by the owner persona."""
    build_accounts(cypher)
    run(
        cypher,
        "MATCH (u:User {id: $owner}) UNWIND range(1, 12) AS i "
        "CREATE (n:Customer {id: 'cust-' + right('0' + i, 2), name: '客户' + (i % 5), "
        "nameEn: CASE WHEN i % 3 = 0 THEN null ELSE 'Customer ' + i END, "
        "customerCode: 'C' + i, tier: CASE WHEN i % 2 = 0 THEN 'CORE' ELSE 'GENERAL' END, "
        "lifecycleStage: 'ACTIVE', industry: '制造', mobile: '+8613800000' + right('00' + i, 3), "
        "version: i, createdAt: datetime(), updatedAt: datetime()}) "
        "FOREACH (_ IN CASE WHEN i <= 6 THEN [1] ELSE [] END | SET n:Company, "
        "n.customerKind = 'ENTERPRISE') "
        "FOREACH (_ IN CASE WHEN i > 6 THEN [1] ELSE [] END | SET n:Person, "
        "n.customerKind = 'INDIVIDUAL') "
        "FOREACH (_ IN CASE WHEN i = 5 THEN [1] ELSE [] END | SET n.archivedAt = datetime()) "
        "FOREACH (_ IN CASE WHEN i % 2 = 1 THEN [1] ELSE [] END | "
        "CREATE (u)-[:OWNS {id: 'owns-cust-' + i, version: 1}]->(n))",
        owner=OWNER,
    )


PAGE = """query($after: String, $f: CustomerFilter, $order: ListOrder) {
  customers(first: 4, after: $after, filter: $f, orderBy: $order) { totalCount
    edges { cursor node { ... on Company { %s } ... on Person { %s } } }
    pageInfo { hasNextPage endCursor } } }"""


def _walk(gql: GQL, selection: str, variables: dict[str, Any]) -> list[Any]:
    """Every page of the customers list with this node selection, in order."""
    pages: list[Any] = []
    after = None
    for _ in range(10):
        r = gql(PAGE % (selection, selection), {**variables, "after": after})
        assert r.round_trips == 1  # the page and its count, one statement
        page = r.data["customers"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("too many pages")


def _without(pages: list[Any], key: str) -> list[Any]:
    for page in pages:
        for edge in page["edges"]:
            edge["node"].pop(key)
    return pages


SUMMARY_SELECTIONS = (
    "id name nameEn customer { tier lifecycleStage customerCode }",  # the benchmark's W7
    "name",
    "__typename id",
    "customer { tier customerKind }",
)


def _projections_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The projection of every list page read from now on, in order."""
    from graph import lists

    used: list[str] = []
    page = lists.page

    async def spy(*args: Any) -> lists.Page:
        used.append(args[-1])
        return await page(*args)

    monkeypatch.setattr(lists, "page", spy)
    return used


def test_summary_pages_equal_full_pages(
    gql: GQL, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same rows, order, cursors and totalCount with the summary projection as with every
    property (`version` is outside the summary, so selecting it forces the full one)."""
    _customers(cypher)
    used = _projections_used(monkeypatch)
    for persona in ("admin", "owner", "analyst"):
        as_ = gql.as_(persona)
        for selection in SUMMARY_SELECTIONS:
            for variables in (
                {"f": {"tier": "CORE"}},
                {"f": {"includeArchived": True}, "order": "NAME_DESC"},
                {},
            ):
                used.clear()
                slim = _walk(as_, selection, variables)
                assert set(used) == {"summary"}, selection
                used.clear()
                full = _without(_walk(as_, selection + " version", variables), "version")
                assert set(used) == {"full"}, selection
                assert slim == full, (persona, selection, variables)
                assert sum(len(p["edges"]) for p in slim) == slim[0]["totalCount"]
    # the owner, a SALES rep, sees its own customers only, under the visibility predicate
    owner = _walk(gql.as_("owner"), "id", {"f": {"tier": "GENERAL"}})
    ids = [e["node"]["id"] for p in owner for e in p["edges"]]
    # its odd customers but the archived cust-05, by name (客户1 twice: ties go by id)
    assert ids == ["cust-01", "cust-11", "cust-07", "cust-03", "cust-09"], ids
    assert owner[0]["totalCount"] == 5


FRAGMENTED = """query($f: CustomerFilter) { customers(first: 4, filter: $f) { ...Page } }
fragment Page on CustomerConnection { totalCount edges { ...Edge } pageInfo { hasNextPage } }
fragment Edge on CustomerEdge { cursor node { ... on Company { ...C } ... on Person { %s } } }
fragment C on Company { %s }"""


def test_fragments_at_every_level_ask_as_inline_fields_do(
    gql: GQL, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """totalCount and the node fields are read from the document through named fragments
    too: the same page, the same count, and the projection the node fields call for."""
    _customers(cypher)
    used = _projections_used(monkeypatch)
    for selection, projection in (("id name", "summary"), ("id name version", "full")):
        used.clear()
        r = gql(FRAGMENTED % (selection, selection), {"f": {"tier": "CORE"}})
        assert r.round_trips == 1
        assert used == [projection], selection
        got = r.data["customers"]
        inline = _walk(gql, selection, {"f": {"tier": "CORE"}})[0]
        assert got["totalCount"] == inline["totalCount"] > 0
        assert got["edges"] == inline["edges"]


def test_projection_is_chosen_from_the_selected_node_fields() -> None:
    from resolvers.connections import projection

    w7 = frozenset({"id", "name", "nameEn", "customer"})
    assert projection("customer", w7) == "summary"
    assert projection("customer", frozenset()) == "summary"  # totalCount or cursors only
    assert projection("customer", w7 | {"version"}) == "full"
    assert projection("person", frozenset({"name", "mobile"})) == "full"
    assert projection("project", frozenset({"name", "customer"})) == "full"  # a relation there
    assert projection("company", None) == "full"
