"""Team knowledge through the API: notes marked on records, found by Chinese and English words,
only where the viewer sees the customer; voided and unmarked records drop out."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS

NS = uuid.UUID("5b7e2c1d-8f3a-4e6b-9d0c-2a1b3c4d5e6f")
OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


A, B = fid("A"), fid("B")
K1, K2, K3, K4, K5 = (fid(f"k{i}") for i in range(1, 6))

BUILD = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
CREATE (o)-[:OWNS]->(:Company:Customer {id: $a, name: '甲客户', version: 1})
CREATE (w)-[:OWNS]->(:Company:Customer {id: $b, name: '乙客户', version: 1})
WITH *
UNWIND $records AS x
MATCH (acc:Company {id: x.customer})
CREATE (:Record:Interaction {id: x.id, kind: 'Interaction', version: 1, channel: 'VISIT',
        direction: 'OUTBOUND', occurredAt: datetime('2026-10-01T10:00:00+08:00'),
        subject: x.subject, notes: x.notes, createdAt: datetime(), updatedAt: datetime()})
        -[:ABOUT]->(acc)
"""
RECORDS = [
    {"id": K1, "customer": A, "subject": "赢单复盘",
     "notes": "客户认为价格太高，我们用三年总拥有成本回应了这个异议。"},
    {"id": K2, "customer": B, "subject": "交期", "notes": "客户对交期有异议，承诺分批交货。"},
    {"id": K3, "customer": A, "subject": "Won deal",
     "notes": "The buyer pushed for a discount; we answered with a service bundle."},
    {"id": K4, "customer": A, "subject": "作废", "notes": "价格异议，后来作废的记录。"},
    {"id": K5, "customer": A, "subject": "未标记", "notes": "价格异议，没有标记为知识。"},
]  # fmt: skip

MARK = """mutation($input: MarkKnowledgeInput!) { markKnowledge(input: $input) {
  record { id version } errors { code field } } }"""
SEARCH = """query($text: String!, $first: Int!, $after: String, $tags: [String!]) {
  knowledgeSearch(text: $text, first: $first, after: $after, tags: $tags) {
    nodes { title tags score markedBy { id } record { id notes
      customer { ... on Company { id } } } }
    pageInfo { hasNextPage endCursor } totalCount } }"""


@pytest.fixture
def notes(cypher: Driver, gql: GQL) -> None:
    cypher.execute_query(BUILD, owner=OWNER, west=WEST_REP, a=A, b=B, records=RECORDS)
    marks = [
        ("owner", K1, "价格异议的回答", ["异议", "价格"]),
        ("admin", K2, "交期异议", ["异议", "交期"]),
        ("owner", K3, "Discount objection", ["objection"]),
        ("owner", K4, "作废前的笔记", ["异议"]),
    ]
    for persona, record, title, tags in marks:
        result = gql.as_(persona)(MARK, {"input": {"record": record, "title": title, "tags": tags}})
        assert result.data["markKnowledge"]["errors"] == []
    cypher.execute_query("MATCH (r:Record {id: $id}) SET r.voidedAt = datetime()", id=K4)


def found(gql: GQL, text: str, **args: Any) -> list[str]:
    result = gql(SEARCH, {"text": text, "first": 20, **args})
    return sorted(n["record"]["id"] for n in result.data["knowledgeSearch"]["nodes"])


def test_chinese_words_find_chinese_notes_where_the_viewer_sees_them(notes: None, gql: GQL) -> None:
    owner = gql.as_("owner")
    # K2 is another team's customer, K4 voided, K5 never marked.
    assert found(owner, "异议") == [K1]
    assert found(gql, "异议") == sorted([K1, K2])
    assert found(owner, "价格") == [K1]
    assert found(gql.as_("other_team"), "异议") == [K2]
    assert found(gql.as_("other_team"), "价格") == []


def test_english_words_tags_and_titles_are_searched(notes: None, gql: GQL) -> None:
    assert found(gql, "Discount") == [K3]
    assert found(gql, "bundle") == [K3]
    assert found(gql, "objection") == [K3]
    # The title alone: 回答 is in K1's title, not its notes.
    assert found(gql, "回答") == [K1]


def test_tags_filter_the_results(notes: None, gql: GQL) -> None:
    assert found(gql, "异议", tags=["交期"]) == [K2]
    assert found(gql, "价格", tags=["交期"]) == []


def test_lucene_syntax_in_user_text_is_taken_literally(notes: None, gql: GQL) -> None:
    for text in ("价格 AND (异议", "异议~ -价格* title:x", '"价格', "\\"):
        result = gql(SEARCH, {"text": text, "first": 5})
        assert result.errors == [], text
    assert K1 in found(gql, "价格 AND (异议")


def test_one_chinese_character_is_matched_as_a_substring(notes: None, gql: GQL) -> None:
    assert found(gql.as_("owner"), "价") == [K1]


def test_pages_follow_the_score(notes: None, gql: GQL) -> None:
    first = gql(SEARCH, {"text": "异议", "first": 1}).data["knowledgeSearch"]
    assert first["totalCount"] == 2
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(SEARCH, {"text": "异议", "first": 1, "after": first["pageInfo"]["endCursor"]})
    page = second.data["knowledgeSearch"]
    assert page["pageInfo"]["hasNextPage"] is False
    ids = {first["nodes"][0]["record"]["id"], page["nodes"][0]["record"]["id"]}
    assert ids == {K1, K2}


def test_a_note_carries_its_title_tags_and_who_marked_it(notes: None, gql: GQL) -> None:
    nodes = gql(SEARCH, {"text": "回答", "first": 5}).data["knowledgeSearch"]["nodes"]
    assert [(n["title"], n["tags"], n["markedBy"]["id"]) for n in nodes] == [
        ("价格异议的回答", ["异议", "价格"], OWNER)
    ]
    # Marked, the record is still its kind.
    kind = gql("query($id: ID!) { record(id: $id) { __typename } }", {"id": K1})
    assert kind.data["record"]["__typename"] == "Interaction"
    # The analyst finds it by a tag, but reads neither the title nor the notes (personal
    # free text), and no word of those finds it for them.
    nodes = gql.as_("analyst")(SEARCH, {"text": "价格", "first": 5}).data["knowledgeSearch"]
    assert [(n["title"], n["record"]["notes"]) for n in nodes["nodes"]] == [(None, None)]


def test_marking_needs_edit_rights_on_the_customer(notes: None, gql: GQL, cypher: Driver) -> None:
    def codes(persona: str, data: dict[str, Any]) -> list[tuple[str, str | None]]:
        result = gql.as_(persona)(MARK, {"input": data})
        return [(e["code"], e["field"]) for e in result.data["markKnowledge"]["errors"]]

    mark = {"record": K5, "title": "t"}
    assert codes("other_team", mark) == [("NOT_FOUND", "input.record")]
    assert codes("analyst", mark) == [("FORBIDDEN", None)]
    assert codes("owner", {"record": K4, "title": "t"}) == [("VALIDATION", "input.record")]
    assert codes("owner", {"record": K5}) == [("VALIDATION", "input.title")]
    assert codes("owner", {**mark, "tags": ["x" * 51]}) == [("VALIDATION", "input.tags[0]")]
    assert codes("owner", {**mark, "expectedVersion": 9}) == [("CONFLICT", "input.expectedVersion")]
    assert codes("owner", mark) == []
    assert found(gql, "未标记") == [K5]
    events = cypher.execute_query(
        "MATCH (e:AuditEvent {action: 'knowledge.mark', targetId: $id}) RETURN e.actor AS actor",
        id=K5,
    ).records
    assert [e["actor"] for e in events] == [OWNER]


def test_unmarking_takes_a_note_out_of_the_search(notes: None, gql: GQL) -> None:
    result = gql.as_("owner")(MARK, {"input": {"record": K1, "remove": True}})
    assert result.data["markKnowledge"]["errors"] == []
    assert found(gql, "价格") == []
    assert found(gql, "异议") == [K2]


MAX_TEXT = 500  # knowledgeSearch's documented cap


def test_a_long_text_is_bad_input_not_an_internal_error(notes: None, gql: GQL) -> None:
    # One word of 2,001 letters made Lucene's prefix automaton too large: INTERNAL.
    for text in ("a" * 2001, "价格异议 " * 500):
        result = gql(SEARCH, {"text": text, "first": 5})
        assert result.codes() == ["BAD_USER_INPUT"], result.errors
        assert result.errors[0]["extensions"]["field"] == "text"
        assert result.errors[0]["message"] == f"at most {MAX_TEXT} characters"
    # Up to the cap, the worst shapes still search: one long word, many short ones.
    longest = "ab " * (MAX_TEXT // 3) + "ab"
    for text in ("a" * MAX_TEXT, longest[:MAX_TEXT], "价" * MAX_TEXT):
        assert gql(SEARCH, {"text": text, "first": 5}).errors == [], len(text)


def test_an_anonymised_viewer_searches_tags_only(notes: None, gql: GQL) -> None:
    """The ANALYST reads no title, subject or free text (personal): a match there on a guessed
    name would tell what it says, and confirm who a pseudonym is. Tags stay searchable."""
    analyst = gql.as_("analyst")
    assert found(analyst, "bundle") == []  # K3's notes only
    assert found(analyst, "Discount") == []  # K3's title and notes
    assert found(analyst, "回答") == []  # K1's title
    assert found(analyst, "成") == []  # one character, in K1's notes only
    assert found(analyst, "Won") == []  # K3's subject
    assert found(analyst, "objection") == [K3]  # K3's tag
    assert found(analyst, "价") == [K1]  # one character, in K1's tag 价格
    # Everyone else still searches everything.
    assert found(gql.as_("auditor"), "bundle") == [K3]


def test_marking_again_as_it_stands_writes_nothing(notes: None, gql: GQL) -> None:
    owner = gql.as_("owner")
    same = {"record": K1, "title": "价格异议的回答", "tags": ["异议", "价格"]}
    first = owner(MARK, {"input": same}).data["markKnowledge"]
    again = owner(MARK, {"input": same}).data["markKnowledge"]
    assert (again["errors"], again["record"]["version"]) == ([], first["record"]["version"])
    retitled = owner(MARK, {"input": {**same, "title": "价格异议"}}).data["markKnowledge"]
    assert retitled["record"]["version"] == first["record"]["version"] + 1


def test_marking_answers_with_the_records_contacts(notes: None, gql: GQL, cypher: Driver) -> None:
    """The mark's answer lost the record's contacts: the statement's customer variable was
    still in scope when the record's projection bound its own."""
    person = cypher.execute_query(
        "MATCH (a:Company {id: $a}), (r:Record {id: $k}) "
        "CREATE (p:Person {id: randomUUID(), name: '知识联系人', version: 1})-[:WORKS_AT]->(a) "
        "CREATE (r)-[:INVOLVES]->(p) RETURN p.id AS id",
        a=A,
        k=K5,
    ).records[0]["id"]
    mark = """mutation($input: MarkKnowledgeInput!) { markKnowledge(input: $input) {
      record { contacts { id } } errors { code } } }"""
    result = gql.as_("owner")(mark, {"input": {"record": K5, "title": "联系人", "tags": []}})
    assert result.data["markKnowledge"] == {
        "record": {"contacts": [{"id": person}]},
        "errors": [],
    }
