"""A viewer who sees people only as pseudonyms (ANALYST) cannot find, filter or order them by
a personal value: a guessed name or e-mail would otherwise confirm who a pseudonym is, and a
name prefix or the name order would spell it out (docs/ACCESS.md, "Anonymised view")."""

from __future__ import annotations

from typing import Any

import pytest

from graph import crypto
from resolvers.pages import CURSOR
from tests.conftest import GQL

PERSON = """mutation($input: CreatePersonInput!) {
  createPerson(input: $input) { person { id } errors { code field } } }"""
COMPANY = """mutation($input: CreateCompanyInput!) {
  createCompany(input: $input) { company { id } errors { code field } } }"""
LINK = """mutation($input: LinkInput!) { linkNodes(input: $input) { errors { code field } } }"""

# Real names in code point order: 测试乙 < 测试甲 < 阿尔法 (乙 U+4E59, 甲 U+7532, 阿 U+963F).
NAMES = ("测试甲", "测试乙", "阿尔法")


def _made(r: Any, field: str, kind: str) -> str:
    payload = r.data[field]
    assert payload["errors"] == [], payload["errors"]
    return str(payload[kind]["id"])


@pytest.fixture
def people(gql: GQL) -> dict[str, str]:
    """As admin: a customer company 测试公司 with three contacts, and an individual customer
    (a person) 测试客户. Returns the ids by name."""
    company = _made(
        gql(COMPANY, {"input": {"name": "测试公司", "customer": {}}}), "createCompany", "company"
    )
    ids = {"测试公司": company}
    extra = {"测试甲": {"nameEn": "Jia Ceshi", "mobile": "+8613812345678",
                       "email": "jia@example.com"}}  # fmt: skip
    for name in NAMES:
        pid = _made(
            gql(PERSON, {"input": {"name": name, **extra.get(name, {})}}), "createPerson", "person"
        )
        job = {"type": "WORKS_AT", "from": pid, "to": company, "since": "2021-01-01"}
        assert gql(LINK, {"input": job}).data["linkNodes"]["errors"] == []
        ids[name] = pid
    ids["测试客户"] = _made(
        gql(PERSON, {"input": {"name": "测试客户", "customer": {}}}), "createPerson", "person"
    )
    return ids


LISTS = """query($first: Int!, $f: PartyFilter, $c: CustomerFilter, $o: ListOrder) {
  a: people(first: $first, filter: $f, orderBy: $o) {
    totalCount nodes { id name } pageInfo { endCursor } }
  b: customers(first: $first, filter: $c, orderBy: $o) {
    totalCount nodes { ... on Person { id name } ... on Company { id name } } } }"""
SEARCH = "query($t: String!) { search(text: $t) { id kind name } }"
CONTACTS = """query($id: ID!) { company(id: $id) {
  contacts(first: 3) { id name } subsidiaries { id } } }"""


def _lists(gql: GQL, flt: dict[str, Any] | None, order: str = "NAME_ASC") -> Any:
    return gql(LISTS, {"first": 10, "f": flt, "c": flt, "o": order})


@pytest.mark.parametrize(
    "flt",
    [{"nameContains": "测试甲"}, {"namePrefix": "测"}, {"nameContains": "试", "namePrefix": "测"}],
)
def test_an_analyst_cannot_filter_people_by_name(
    gql: GQL, people: dict[str, str], flt: dict[str, Any]
) -> None:
    # The same filter finds the people for a viewer who sees names: nothing changes there.
    named = _lists(gql.as_("auditor"), flt).data
    assert people["测试甲"] in {n["id"] for n in named["a"]["nodes"]}
    r = _lists(gql.as_("analyst"), flt)
    assert r.data["a"] == {"totalCount": 0, "nodes": [], "pageInfo": {"endCursor": None}}
    # The customers list still matches companies by name, never a person.
    kinds = {n["id"] for n in r.data["b"]["nodes"]}
    assert people["测试客户"] not in kinds
    assert kinds == ({people["测试公司"]} if "测试甲" not in str(flt) else set())
    assert r.data["b"]["totalCount"] == len(kinds)


def test_an_analyst_cannot_search_people_by_a_personal_value(
    gql: GQL, people: dict[str, str]
) -> None:
    for text in ("测试甲", "测", "甲", "Jia", "jia@example.com", "测试客户", "8613812345678"):
        found = gql.as_("analyst")(SEARCH, {"t": text}).data["search"]
        assert [h for h in found if h["kind"] == "PERSON"] == [], text
    # Companies are still found by name; named viewers still find people.
    found = gql.as_("analyst")(SEARCH, {"t": "测试"}).data["search"]
    assert [(h["id"], h["kind"]) for h in found] == [(people["测试公司"], "COMPANY")]
    assert people["测试甲"] in {h["id"] for h in gql(SEARCH, {"t": "测试甲"}).data["search"]}
    auditor = gql.as_("auditor")(SEARCH, {"t": "Jia"}).data["search"]
    assert [h["name"] for h in auditor] == ["测试甲"]


def _decoded(cursor: str) -> str:
    plain = crypto.keyring().unseal(CURSOR, cursor)  # what the server reads in it
    assert plain is not None
    return plain


@pytest.mark.parametrize("order", ["NAME_ASC", "NAME_DESC"])
def test_an_analyst_sees_people_in_id_order_not_name_order(
    gql: GQL, people: dict[str, str], order: str
) -> None:
    staff = sorted(people[n] for n in (*NAMES, "测试客户"))
    by_name = [people[n] for n in sorted((*NAMES, "测试客户"), reverse=order == "NAME_DESC")]
    admin = _lists(gql, None, order).data
    assert [n["id"] for n in admin["a"]["nodes"]] == by_name  # unchanged for named viewers
    r = _lists(gql.as_("analyst"), None, order).data
    ids = [n["id"] for n in r["a"]["nodes"]]
    assert ids == (staff if order == "NAME_ASC" else staff[::-1])
    # Pages carry the sort key in their cursor: never a real name.
    r = gql.as_("analyst")(LISTS, {"first": 1, "o": order}).data
    cursor = _decoded(r["a"]["pageInfo"]["endCursor"])
    assert not any(name in cursor for name in (*NAMES, "测试客户")), cursor
    rest = gql.as_("analyst")(
        """query($a: String, $o: ListOrder) { people(first: 10, after: $a, orderBy: $o) {
          nodes { id } } }""",
        {"a": r["a"]["pageInfo"]["endCursor"], "o": order},
    ).data["people"]["nodes"]
    assert [r["a"]["nodes"][0]["id"], *(n["id"] for n in rest)] == ids
    # In the customers list the companies keep their name order; the person sorts by id.
    customers = _lists(gql.as_("analyst"), None, order).data["b"]["nodes"]
    assert {n["id"] for n in customers} == {people["测试公司"], people["测试客户"]}


def test_an_analysts_contact_list_is_in_id_order(gql: GQL, people: dict[str, str]) -> None:
    contacts = [people[n] for n in NAMES]
    admin = gql(CONTACTS, {"id": people["测试公司"]}).data["company"]["contacts"]
    assert [c["id"] for c in admin] == [people[n] for n in sorted(NAMES)]
    analyst = gql.as_("analyst")(CONTACTS, {"id": people["测试公司"]}).data["company"]
    assert [c["id"] for c in analyst["contacts"]] == sorted(contacts)
    assert all(c["name"].startswith("Person ") for c in analyst["contacts"])


def test_an_analyst_does_not_see_a_persons_source_key(gql: GQL) -> None:
    """An HR system's employee number names a person as well as their name does."""
    made = gql(
        'mutation { upsertPerson(input: {externalSource: "hr", externalId: "EP01", '
        'name: "测试员工"}) { person { id } errors { code } } }'
    ).data["upsertPerson"]
    assert made["errors"] == []
    query = "query($id: ID!) { person(id: $id) { name externalSource externalId } }"
    pid = made["person"]["id"]
    assert gql(query, {"id": pid}).data["person"]["externalId"] == "EP01"
    seen = gql.as_("analyst")(query, {"id": pid}).data["person"]
    assert seen["externalId"] is None
    assert seen["externalSource"] == "hr"
    assert seen["name"].startswith("Person ")
