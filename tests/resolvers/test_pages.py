"""Cursors: a page continues exactly where the last one ended, in code point order whatever
the characters; a cursor a client tampered with, or one of another list, is refused as
BAD_USER_INPUT at `after`, never INTERNAL."""

from __future__ import annotations

import base64

import pytest

from graph import crypto
from neo4j import Driver
from resolvers.pages import CURSOR, Tag, encode_cursor
from tests.conftest import GQL
from tests.resolvers.customfields import define

CUSTOMER = "4e4f3a80-a081-5c56-bbae-5c91ce59dfd8"


def cursor(text: str) -> str:
    """A cursor made by hand and sealed as the server seals one: what the server checks
    beyond the seal (a key its order cannot read) is checked still."""
    return crypto.keyring().seal(CURSOR, text)


def test_a_cursor_built_or_altered_by_hand_is_refused_and_shows_nothing(
    gql: GQL, cypher: Driver
) -> None:
    """Tester BH: cursors were base64 of `list, order, last name, last id`: one built by hand
    paged from any name, and an admin's link showed a hidden customer's name and id."""
    cypher.execute_query(
        "CREATE (:Company:Customer {id: randomUUID(), name: '封口客户甲', version: 1}), "
        "(:Company:Customer {id: randomUUID(), name: '封口客户乙', version: 1})"
    )
    query = "query($a: String) { customers(first: 1, after: $a) { pageInfo { endCursor } } }"
    issued = gql(query, {"a": None}).data["customers"]["pageInfo"]["endCursor"]
    plain = crypto.keyring().unseal(CURSOR, issued)
    assert plain is not None
    assert plain.startswith("customers\x1fNAME_ASC\x1f")
    node_id = plain.rsplit("\x1f", 1)[1]
    assert node_id not in issued
    assert node_id.encode() not in base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4))
    assert gql(query, {"a": issued}).errors == []
    flipped = issued[:5] + ("A" if issued[5] != "A" else "B") + issued[6:]
    by_hand = base64.urlsafe_b64encode(f"customers\x1fNAME_ASC\x1f华\x1f{node_id}".encode())
    for after in (flipped, by_hand.decode()):
        r = gql(query, {"a": after})
        assert r.codes() == ["BAD_USER_INPUT"], after
        assert r.errors[0]["message"] == "not a cursor this API issued"


# A date the calendar lacks, and one out of every range, in the shape of an issued cursor
# (after the list's tag).
TAMPERED = [
    f"2026-02-30T10:00:00+08:00\x1f{CUSTOMER}",
    "2026-13-45T99:00:00\x1fzzz",
    "2026-02-28T24:30:00.000000000+08:00\x1fzzz",
    "yesterday\x1fzzz",
]
QUERIES = {
    "timeline": 'timeline(party: "$id", first: 2, after: $a) { nodes { id } }',
    "followUps": "followUps(first: 2, after: $a) { nodes { id } }",
    "changeRequests": "changeRequests(first: 2, after: $a) { nodes { id } }",
    "scoreHistory": 'scoreHistory(customer: "$id", first: 2, after: $a) { nodes { id } }',
    "auditTrail": 'auditTrail(id: "$id", first: 2, after: $a) { edges { cursor } }',
}


def query(field: str) -> str:
    return "query($a: String) { " + QUERIES[field].replace("$id", CUSTOMER) + " }"


# One row on each list: Neo4j parses the cursor's date only when a row is there to compare.
BUILD = """
CREATE (c:Company:Customer {id: $id, name: '游标客户', version: 1})
CREATE (:Record:Interaction {id: 'r1', kind: 'Interaction', version: 1, channel: 'VISIT',
        direction: 'OUTBOUND', occurredAt: datetime('2026-02-01T10:00:00+08:00'),
        subject: 's', createdAt: datetime(), updatedAt: datetime()})-[:ABOUT]->(c)
CREATE (:FollowUp {id: 'f1', status: 'OPEN', title: 't', version: 1,
        dueAt: datetime('2026-02-01T10:00:00+08:00'), createdAt: datetime()})-[:ABOUT]->(c)
CREATE (:ChangeRequest {id: 'cr1', status: 'PENDING', targetId: $id, targetLabel: 'Company',
        requestedBy: 'x', requestedAt: datetime('2026-02-01T10:00:00+08:00')})
CREATE (:ScoreSnapshot {id: 's1', customerId: $id,
        scoredAt: datetime('2026-02-01T10:00:00+08:00')})
CREATE (:AuditEvent {id: 'a1', targetId: $id, action: 'x',
        at: datetime('2026-02-01T10:00:00+08:00')})
CREATE (:Person:Customer {id: 'p1', name: '游标联系人', version: 1})
CREATE (:Project {id: 'j1', name: '游标项目', version: 1})
CREATE (:Product {id: 'd1', name: '游标产品', sku: 'CUR-1', version: 1})
"""


@pytest.fixture
def rows(cypher: Driver) -> None:
    cypher.execute_query(BUILD, id=CUSTOMER)


def issued_list(gql: GQL, field: str) -> str:
    """The list a cursor the server issued on `field` names (its tag, and a digest of the
    arguments that choose the rows, where there are any): a hand-made cursor of that list."""
    issued = gql(page_query(field), {"a": None}).data[field]["pageInfo"]["endCursor"]
    plain = crypto.keyring().unseal(CURSOR, issued)
    assert plain is not None
    return plain.split("\x1f")[0]


@pytest.mark.parametrize("field", sorted(QUERIES))
@pytest.mark.usefixtures("rows")
def test_a_cursor_with_an_impossible_date_is_bad_input(gql: GQL, field: str) -> None:
    key = issued_list(gql, field)
    for after in TAMPERED:
        r = gql(query(field), {"a": cursor(f"{key}\x1f{after}")})
        assert r.codes() == ["BAD_USER_INPUT"], (field, r.errors)
        assert r.errors[0]["extensions"].get("field") == "after", r.errors
        assert r.errors[0]["message"] == "not a cursor this API issued"


@pytest.mark.usefixtures("rows")
def test_a_real_date_in_a_cursor_still_pages(gql: GQL) -> None:
    for field in sorted(QUERIES):
        key = issued_list(gql, field)
        after = cursor(f"{key}\x1f2026-02-28T10:00:00.123456789+08:00\x1f{CUSTOMER}")
        assert gql(query(field), {"a": after}).errors == [], field


# --- one list's cursor is refused by every other --------------------------------------------

# Each list with `after` as `$a`, and the part of its page that holds the end cursor.
LISTS: dict[str, str] = {
    "companies": "companies(first: 1, after: $a)",
    "people": "people(first: 1, after: $a)",
    "projects": "projects(first: 1, after: $a)",
    "customers": "customers(first: 1, after: $a)",
    "timeline": 'timeline(party: "$id", first: 1, after: $a)',
    "followUps": "followUps(first: 1, after: $a)",
    "products": "products(first: 1, after: $a)",
    "auditTrail": 'auditTrail(id: "$id", first: 1, after: $a)',
    "changeRequests": "changeRequests(first: 1, after: $a)",
    "duplicateCandidates": "duplicateCandidates(label: COMPANY, first: 1, after: $a)",
    "scoreHistory": 'scoreHistory(customer: "$id", first: 1, after: $a)',
    "classificationReviews": "classificationReviews(first: 1, after: $a)",
    "churnWarnings": "churnWarnings(first: 1, after: $a)",
    "knowledgeSearch": 'knowledgeSearch(text: "游标", first: 1, after: $a)',
    "fieldHistory": 'fieldHistory(node: "$id", field: "name", first: 1, after: $a)',
}


def page_query(field: str) -> str:
    return (
        "query($a: String) { "
        + LISTS[field].replace("$id", CUSTOMER)
        + " { pageInfo { endCursor } } }"
    )


# Cursors of the lists BUILD leaves empty, as they would issue them.
MADE: dict[Tag, tuple[str, ...]] = {
    "duplicateCandidates": ("0.9", "c1"),
    "churnWarnings": ("70", CUSTOMER),
    "classificationReviews": ("2026-02-01T10:00:00+08:00", "v1"),
    "knowledgeSearch": ("1.5", "n1"),
    "fieldHistory": ("2026-02-01T10:00:00+08:00", "h1"),
    "classificationChanges": ("3",),
}


@pytest.mark.usefixtures("rows")
def test_a_cursor_of_one_list_is_refused_by_every_other(gql: GQL) -> None:
    issued: dict[str, str] = {}
    for field in LISTS:
        if field in MADE:
            continue
        page = gql(page_query(field), {"a": None}).data[field]
        assert page["pageInfo"]["endCursor"], field
        issued[field] = page["pageInfo"]["endCursor"]
        # its own list takes it
        assert gql(page_query(field), {"a": issued[field]}).errors == [], field
    issued |= {tag: encode_cursor(tag, *parts) for tag, parts in MADE.items()}
    # Hand-made: a list order and nothing else, which two lists used to read as no position.
    issued["hand-made"] = cursor("NAME_ASC\x1f")
    for source, after in issued.items():
        for field in LISTS:
            if field == source:
                continue
            r = gql(page_query(field), {"a": after})
            assert r.codes() == ["BAD_USER_INPUT"], (source, field, r.errors)
            assert r.errors[0]["extensions"].get("field") == "after", (source, field)
            assert r.errors[0]["message"] == "not a cursor of this list", (source, field)


@pytest.mark.usefixtures("rows")
def test_a_cursor_of_the_same_list_with_other_arguments_is_refused(gql: GQL) -> None:
    """Tester BM: one party's timeline cursor, used on another party's timeline, skipped
    that party's newer records in silence; so did a followUps cursor under another filter."""
    asked = (
        "query($a: String, $p: ID!, $k: [RecordKind!]) { "
        "timeline(party: $p, kinds: $k, first: 1, after: $a) { pageInfo { endCursor } } }"
    )
    mine = gql(asked, {"a": None, "p": CUSTOMER}).data["timeline"]["pageInfo"]["endCursor"]
    assert gql(asked, {"a": mine, "p": CUSTOMER}).errors == []
    for other in ({"p": "p1"}, {"p": CUSTOMER, "k": ["ORDER"]}):  # BUILD's person; a kind
        theirs = gql(asked, {"a": mine, **other})
        assert theirs.codes() == ["BAD_USER_INPUT"], other
        assert theirs.errors[0]["extensions"]["field"] == "after"
        assert "other arguments" in theirs.errors[0]["message"]
    # A list's filter is an argument too.
    page = gql("query { companies(first: 1) { pageInfo { endCursor } } }").data
    filtered = gql(
        'query($a: String) { companies(first: 1, after: $a, filter: {namePrefix: "游"}) '
        "{ nodes { id } } }",
        {"a": page["companies"]["pageInfo"]["endCursor"]},
    )
    assert filtered.codes() == ["BAD_USER_INPUT"]
    assert "other arguments" in filtered.errors[0]["message"]


# --- string orders: code point order, continued exactly ----------------------------------------

PREFIX = "边界重复"
# Where code point order and UTF-16 code unit order part: characters above U+FFFF (CJK
# Extension B, emoji) against U+E000..U+FFFF (full-width forms, private use); with BMP
# Chinese, ASCII and the bare prefix around them.
STEMS = [
    *("Ａ", "（甲）", "１２", "\ue000", "\uffff"),
    *("𠀀", "𠀁", "😀", "𠀀Ａ", "Ａ𠀀"),
    *("甲", "乙", "a", "Z", ""),
]
# Equal names, told apart by ids that differ at the same kind of characters.
TIES = [("Ａ", "tie-Ａ"), ("Ａ", "tie-𠀀"), ("Ａ", "tie-a"), ("𠀀", "tie-１"), ("𠀀", "tie-😀")]


def named_rows(kind: str) -> list[tuple[str, str]]:
    """(name, id) of each node of a kind, the ids prefixed so that kinds never share one."""
    plain = [(PREFIX + stem, f"{kind}-{i:02d}") for i, stem in enumerate(STEMS)]
    return plain + [(PREFIX + stem, f"{kind}-{tie}") for stem, tie in TIES]


def create(cypher: Driver, labels: str, kind: str) -> list[tuple[str, str]]:
    made = named_rows(kind)
    cypher.execute_query(
        # labels: the tests' own literals
        f"UNWIND $rows AS row CREATE (n:{labels} {{id: row[1], name: row[0], version: 1, "
        "createdAt: datetime(), updatedAt: datetime()})",
        rows=[list(r) for r in made],
    )
    return made


PAGE = """query($first: Int!, $after: String) { FIELD(first: $first, after: $after ARGS) {
  nodes { NODE } pageInfo { hasNextPage endCursor } } }"""


def walk(gql: GQL, field: str, args: str, first: int) -> list[str]:
    """The ids of every page of a list, `first` at a time."""
    node = "... on Company { id } ... on Person { id }" if field == "customers" else "id"
    text = PAGE.replace("FIELD", field).replace("ARGS", args).replace("NODE", node)
    ids: list[str] = []
    after = None
    for _ in range(100):
        page = gql(text, {"first": first, "after": after}).data[field]
        ids += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        assert page["nodes"], (field, args, first, "an empty page before the end")
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("too many pages")


def assert_walks(gql: GQL, field: str, args: str, expected: list[str]) -> None:
    """One big page holds `expected`, in its order; so does every walk, each item once."""
    assert walk(gql, field, args, 100) == expected, (field, args)
    for first in (1, 2, 3):
        assert walk(gql, field, args, first) == expected, (field, args, first)


def test_string_orders_page_in_code_point_order_both_ways(gql: GQL, cypher: Driver) -> None:
    companies = create(cypher, "Company:Customer", "co")
    people = create(cypher, "Person:Customer", "pe")
    projects = create(cypher, "Project", "pr")
    products = create(cypher, "Product", "pd")
    # Python compares str by code point: the order the contract promises.
    lists = {
        "companies": companies,
        "people": people,
        "projects": projects,
        "customers": companies + people,
    }
    for field, made in lists.items():
        ascending = [i for _, i in sorted(made)]
        for order, expected in (("NAME_ASC", ascending), ("NAME_DESC", ascending[::-1])):
            args = f', orderBy: {order}, filter: {{namePrefix: "{PREFIX}"}}'
            assert_walks(gql, field, args, expected)
    assert_walks(gql, "products", f', text: "{PREFIX}"', [i for _, i in sorted(products)])


def test_a_custom_text_key_pages_in_code_point_order_both_ways(gql: GQL, cypher: Driver) -> None:
    define(gql, "COMPANY", "code", "TEXT")
    made = create(cypher, "Company", "co")
    # The stem as the key; the companies without one sort as '' (first ascending).
    keys = {i: name[len(PREFIX) :] for name, i in made}
    keys |= {i: None for _, i in made[:2]}
    cypher.execute_query(
        "UNWIND keys($keys) AS id MATCH (c:Company {id: id}) SET c.`custom.code` = $keys[id]",
        keys=keys,
    )
    ascending = [i for _, i in sorted((keys[i] or "", i) for i in keys)]
    for order, expected in (("CUSTOM_ASC", ascending), ("CUSTOM_DESC", ascending[::-1])):
        args = f', orderBy: {order}, customSortKey: "code", filter: {{namePrefix: "{PREFIX}"}}'
        assert_walks(gql, "companies", args, expected)


# Tester BB: a sort key the order cannot read back was INTERNAL (a date) or an empty last
# page (a score); an empty cursor read as the first page with `hasPreviousPage: true`.
ORDERED = {
    ("companies", "CREATED_ASC"): "not a date",
    ("people", "UPDATED_DESC"): "2026-02-30T10:00:00+08:00",
    ("customers", "VALUE_DESC"): "not-a-number",
    ("customers", "CHURN_RISK_DESC"): "1.5",
}


@pytest.mark.usefixtures("rows")
def test_a_cursor_whose_sort_key_its_order_cannot_read_is_bad_input(gql: GQL) -> None:
    for (field, order), key in ORDERED.items():
        q = (
            f"query($a: String) {{ {field}(first: 2, after: $a, orderBy: {order}) "
            "{ pageInfo { hasNextPage } } }"
        )
        r = gql(q, {"a": cursor(f"{field}\x1f{order}\x1f{key}\x1fzzz")})
        assert r.codes() == ["BAD_USER_INPUT"], (field, order, r.errors)
        assert r.errors[0]["message"] == "not a cursor this API issued"
        # A key it can read still pages.
        real = "2026-02-01T10:00:00+08:00" if "_" in order and order[0] in "CU" else "0.5"
        real = "3" if order == "CHURN_RISK_DESC" else real
        ok = gql(q, {"a": cursor(f"{field}\x1f{order}\x1f{real}\x1fzzz")})
        assert ok.errors == [], (field, order, ok.errors)
    for field in ("companies", "timeline", "churnWarnings", "knowledgeSearch", "products"):
        empty = gql(page_query(field), {"a": ""})
        assert empty.codes() == ["BAD_USER_INPUT"], field
