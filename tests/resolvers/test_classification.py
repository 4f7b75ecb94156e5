"""Classification through the API: rules saved and refused with typed errors at their paths, a
rule edit followed by a review listing exactly what changed, dry runs, who sees which changes,
the `classes` of a page of customers in one round trip, and the customers list by class."""

from __future__ import annotations

from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS

OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]

SAVE = """mutation($input: SaveClassificationRuleInput!) { saveClassificationRule(input: $input) {
  rule { id dimension classKey nameZh nameEn priority enabled version
         conditions { field op value } }
  errors { code field message } } }"""
DELETE = """mutation($input: DeleteClassificationRuleInput!) {
  deleteClassificationRule(input: $input) { deletedId errors { code field } } }"""
RUN = """mutation($dry: Boolean) { runClassificationReview(input: {dryRun: $dry}) {
  review { id changed customers dimensions { dimension changed }
           classes { classId customers customerClass { nameZh } } }
  run { dryRun customers changed changes { customerId dimension
        fromClass { key } toClass { key nameZh } rule { id } } }
  errors { code field message } } }"""
REVIEW = """query($id: ID!, $after: String) { classificationReview(id: $id) { id changed
  changes(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { customerId dimension fromClass { key } toClass { key } ruleId
            customer { ... on Company { id name } ... on Person { id name } } } } } }"""
RULES = """query($d: ClassificationDimension) { classificationRules(dimension: $d) {
  id classKey priority enabled nameZh conditions { field op value } } }"""


@pytest.fixture
def book(cypher: Driver) -> dict[str, str]:
    """Customers of the owner persona (EAST) and of the west rep, with and without orders."""
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $west}) "
        "CREATE (o)-[:OWNS]->(a:Company:Customer {id: 'cl-east-maker', name: '东部制造', "
        "  industry: '机械制造', customerKind: 'ENTERPRISE', version: 1}) "
        "CREATE (o)-[:OWNS]->(:Company:Customer {id: 'cl-east-trader', name: '东部贸易', "
        "  industry: '批发贸易', customerKind: 'ENTERPRISE', version: 1}) "
        "CREATE (o)-[:OWNS]->(:Person:Customer {id: 'cl-east-person', name: '东部个人', "
        "  customerKind: 'INDIVIDUAL', version: 1}) "
        "CREATE (w)-[:OWNS]->(b:Company:Customer {id: 'cl-west-maker', name: '西部制造', "
        "  industry: '汽车制造', customerKind: 'ENTERPRISE', version: 1}) "
        "WITH a, b UNWIND [[a, 3], [b, 1]] AS x WITH x[0] AS c, x[1] AS n "
        "UNWIND range(1, n) AS i "
        "CREATE (:Record:Order {id: c.id + '/' + i, kind: 'Order', currency: 'CNY', "
        "  amountCents: 5000000, occurredAt: datetime() - duration({days: 30 * i})})"
        "-[:ABOUT]->(c)",
        owner=OWNER,
        west=WEST_REP,
    )
    return {"maker": "cl-east-maker", "trader": "cl-east-trader", "west": "cl-west-maker"}


def saved(gql: GQL, data: dict[str, Any]) -> dict[str, Any]:
    payload = gql(SAVE, {"input": data}).data["saveClassificationRule"]
    assert payload["errors"] == [], payload["errors"]
    rule: dict[str, Any] = payload["rule"]
    return rule


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out = {"field": field, "op": op}
    return {**out, "value": value} if value is not None else out


def nature_rules(gql: GQL) -> dict[str, dict[str, Any]]:
    return {
        "maker": saved(
            gql,
            {
                "dimension": "NATURE",
                "classKey": "MANUFACTURER",
                "nameZh": "制造商",
                "nameEn": "Manufacturer",
                "priority": 20,
                "conditions": [cond("INDUSTRY", "CONTAINS", "制造")],
            },
        ),
        "trader": saved(
            gql,
            {
                "dimension": "NATURE",
                "classKey": "INTERMEDIARY",
                "nameZh": "中间商",
                "priority": 10,
                "conditions": [cond("INDUSTRY", "CONTAINS", "贸易")],
            },
        ),
        "buyer": saved(
            gql,
            {
                "dimension": "TRADE",
                "classKey": "REPEAT",
                "nameZh": "多次购买客户",
                "priority": 10,
                "conditions": [cond("ORDERS", "GTE", 2), cond("CURRENCY", "EQ", "CNY")],
            },
        ),
    }


def run_review(gql: GQL, dry: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = gql(RUN, {"dry": dry}).data["runClassificationReview"]
    assert payload["errors"] == [], payload["errors"]
    return payload


def stored_rules(cypher: Driver) -> int:
    rows = cypher.execute_query("MATCH (r:ClassificationRule) RETURN count(r) AS n").records
    return int(rows[0]["n"])


def test_bad_rules_are_refused_at_their_paths_and_nothing_is_written(
    gql: GQL, cypher: Driver
) -> None:
    payload = gql(
        SAVE,
        {
            "input": {
                "dimension": "NATURE",
                "classKey": "manufacturer",
                "nameZh": " ",
                "priority": -1,
                "conditions": [
                    cond("INDUSTRY", "EQ", "制造业"),
                    cond("INDUSTRY", "GT", "x"),
                    cond("TIER", "EQ", "GOLD"),
                    cond("ORDERS", "IN", 3),
                    cond("ORDERS", "IS_NULL", 1),
                ],
            }
        },
    ).data["saveClassificationRule"]
    assert payload["rule"] is None
    assert sorted(e["field"] for e in payload["errors"]) == [
        "input.classKey",
        "input.conditions[1].op",
        "input.conditions[2].value",
        "input.conditions[3].value",
        "input.conditions[4].value",
        "input.nameZh",
        "input.priority",
    ]
    assert {e["code"] for e in payload["errors"]} == {"VALIDATION"}
    assert stored_rules(cypher) == 0


def test_only_admins_edit_rules_and_every_role_reads_them(gql: GQL, cypher: Driver) -> None:
    data = {"dimension": "TRADE", "classKey": "ANY", "nameZh": "全部", "conditions": []}
    for persona in ("manager_above", "owner", "analyst"):
        payload = gql.as_(persona)(SAVE, {"input": data}).data["saveClassificationRule"]
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], persona
    assert stored_rules(cypher) == 0
    rule = saved(gql, data)
    assert rule["version"] == 1
    assert rule["enabled"] is True
    assert rule["priority"] == 100
    for persona in ("owner", "analyst", "auditor"):
        rules = gql.as_(persona)(RULES, {"d": "TRADE"}).data["classificationRules"]
        assert [r["id"] for r in rules] == [rule["id"]], persona
    assert gql(RULES, {"d": "NATURE"}).data["classificationRules"] == []


def test_versions_conflict_and_unknown_rules_are_not_found(gql: GQL) -> None:
    rule = saved(gql, {"dimension": "TRADE", "classKey": "X", "nameZh": "某类", "conditions": []})
    changed = saved(gql, {"id": rule["id"], "expectedVersion": 1, "nameEn": "Some class"})
    assert changed["version"] == 2
    assert changed["nameZh"] == "某类"  # omitted fields stay
    assert changed["nameEn"] == "Some class"
    stale = gql(SAVE, {"input": {"id": rule["id"], "expectedVersion": 1, "priority": 5}})
    assert [(e["code"], e["field"]) for e in stale.data["saveClassificationRule"]["errors"]] == [
        ("CONFLICT", "input.expectedVersion")
    ]
    missing = gql(SAVE, {"input": {"id": "no-such-rule", "expectedVersion": 1, "priority": 5}})
    assert [(e["code"], e["field"]) for e in missing.data["saveClassificationRule"]["errors"]] == [
        ("NOT_FOUND", "input.id")
    ]
    gone = gql(DELETE, {"input": {"id": rule["id"], "expectedVersion": 2}})
    assert gone.data["deleteClassificationRule"] == {"deletedId": rule["id"], "errors": []}
    again = gql(DELETE, {"input": {"id": rule["id"]}}).data["deleteClassificationRule"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]


def test_a_rule_edit_then_a_review_lists_exactly_the_changes(
    gql: GQL, book: dict[str, str], cypher: Driver
) -> None:
    rules = nature_rules(gql)
    first = run_review(gql)
    assert first["review"]["customers"] == 4
    # maker and west are manufacturers, trader an intermediary; maker repeats (3 orders).
    assert first["review"]["changed"] == 4
    counts = {c["classId"]: c["customers"] for c in first["review"]["classes"]}
    assert counts == {"NATURE:INTERMEDIARY": 1, "NATURE:MANUFACTURER": 2, "TRADE:REPEAT": 1}
    # The edit: 贸易 no longer makes an intermediary; 制造 buyers are intermediaries first.
    rule = rules["trader"]
    saved(
        gql,
        {
            "id": rule["id"],
            "expectedVersion": rule["version"],
            "conditions": [cond("INDUSTRY", "CONTAINS", "汽车")],
        },
    )
    second = run_review(gql)
    moved = sorted(
        (c["customerId"], c["dimension"], (c["fromClass"] or {}).get("key"),
         (c["toClass"] or {}).get("key"))
        for c in second["run"]["changes"]
    )  # fmt: skip
    assert moved == [
        ("cl-east-trader", "NATURE", "INTERMEDIARY", None),
        ("cl-west-maker", "NATURE", "MANUFACTURER", "INTERMEDIARY"),
    ]
    assert second["review"]["changed"] == 2
    dims = {d["dimension"]: d["changed"] for d in second["review"]["dimensions"]}
    assert dims == {"CHARACTERISTICS": 0, "TRADE": 0, "NATURE": 2, "PRODUCT_LINE": 0}
    # The stored review pages through the same changes.
    page = gql(REVIEW, {"id": second["review"]["id"]}).data["classificationReview"]["changes"]
    assert page["totalCount"] == 2
    assert [n["customerId"] for n in page["nodes"]] == ["cl-east-trader", "cl-west-maker"]
    assert page["nodes"][1]["ruleId"] == rule["id"]
    # A disabled rule: the repeat buyer loses its TRADE class at the next review.
    buyer = rules["buyer"]
    saved(gql, {"id": buyer["id"], "expectedVersion": 1, "enabled": False})
    third = run_review(gql)
    assert [(c["customerId"], c["dimension"], c["toClass"]) for c in third["run"]["changes"]] == [
        ("cl-east-maker", "TRADE", None)
    ]


def test_a_dry_run_lists_changes_and_writes_nothing(
    gql: GQL, book: dict[str, str], cypher: Driver
) -> None:
    nature_rules(gql)
    payload = run_review(gql, dry=True)
    assert payload["review"] is None
    assert payload["run"]["dryRun"] is True
    assert payload["run"]["changed"] == 4
    assert len(payload["run"]["changes"]) == 4
    left = cypher.execute_query(
        "RETURN COUNT { ()-[:CLASSIFIED_AS]->() } AS edges, "
        "COUNT { (:ClassificationReview) } AS reviews, COUNT { (:ClassificationChange) } AS ch"
    ).records[0]
    assert dict(left) == {"edges": 0, "reviews": 0, "ch": 0}


def test_sales_see_only_the_changes_of_their_customers(gql: GQL, book: dict[str, str]) -> None:
    nature_rules(gql)
    # A MANAGER may run a review; its payload names only the customers it sees.
    payload = gql.as_("manager_west")(RUN, {"dry": True}).data["runClassificationReview"]
    assert {c["customerId"] for c in payload["run"]["changes"]} == {"cl-west-maker"}
    assert payload["run"]["changed"] is None  # of every customer: for read-all roles only
    refused = gql.as_("owner")(RUN, {"dry": True}).data["runClassificationReview"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    review_id = run_review(gql)["review"]["id"]
    east = gql.as_("owner")(REVIEW, {"id": review_id}).data["classificationReview"]
    # The review's own count is of every customer: not a rep's to read (tester AT).
    assert east["changed"] is None
    assert gql(REVIEW, {"id": review_id}).data["classificationReview"]["changed"] == 4
    seen = {n["customerId"] for n in east["changes"]["nodes"]}
    assert east["changes"]["totalCount"] == 3
    assert east["changes"]["pageInfo"]["hasNextPage"] is True
    after = east["changes"]["pageInfo"]["endCursor"]
    rest = gql.as_("owner")(REVIEW, {"id": review_id, "after": after}).data
    seen |= {n["customerId"] for n in rest["classificationReview"]["changes"]["nodes"]}
    assert seen == {"cl-east-maker", "cl-east-trader"}
    west = gql.as_("other_team")(REVIEW, {"id": review_id}).data["classificationReview"]
    assert [n["customerId"] for n in west["changes"]["nodes"]] == ["cl-west-maker"]


CLASSES = """{ customers(first: 50) { nodes {
  ... on Company { id classes { dimension since ruleId customerClass { key nameZh } rule { id } } }
  ... on Person { id classes { dimension customerClass { key } } } } } }"""


def test_a_page_of_customers_reads_its_classes_in_one_round_trip(
    gql: GQL, book: dict[str, str], cypher: Driver
) -> None:
    cypher.execute_query(
        "MATCH (o:User {id: $owner}) UNWIND range(1, 30) AS i "
        "CREATE (o)-[:OWNS]->(:Company:Customer {id: 'cl-more-' + i, name: '更多' + i, "
        "industry: '制造业', version: 1})",
        owner=OWNER,
    )
    rules = nature_rules(gql)
    run_review(gql)
    response = gql.as_("owner")(CLASSES)
    nodes = {n["id"]: n["classes"] for n in response.data["customers"]["nodes"]}
    assert len(nodes) == 33  # the west customer is not the owner's
    assert response.round_trips == 2  # the page, then every customer's classes at once
    maker = {c["dimension"]: c for c in nodes["cl-east-maker"]}
    assert maker["NATURE"]["customerClass"] == {"key": "MANUFACTURER", "nameZh": "制造商"}
    assert maker["NATURE"]["rule"] == {"id": rules["maker"]["id"]}
    assert maker["TRADE"]["customerClass"]["key"] == "REPEAT"
    assert nodes["cl-east-person"] == []
    # The list filter by class.
    by_class = gql.as_("owner")(
        """query($c: CustomerClassFilter) { customers(first: 50, filter: {customerClass: $c})
        { nodes { ... on Company { id } } totalCount } }""",
        {"c": {"dimension": "NATURE", "key": "INTERMEDIARY"}},
    ).data["customers"]
    assert by_class == {"nodes": [{"id": "cl-east-trader"}], "totalCount": 1}


def test_a_saved_review_whose_answer_fails_says_it_was_saved(
    gql: GQL, book: dict[str, str], cypher: Driver
) -> None:
    """A field of a saved mutation's answer refused its argument (a cursor): the error's own
    code, BAD_USER_INPUT, says nothing ran, and a client would run the review again."""
    nature_rules(gql)
    r = gql(
        "mutation { runClassificationReview(input: {}) { review { id changed "
        'changes(first: 2, after: "garbage") { totalCount } } errors { code } } }'
    )
    [error] = r.errors
    request_id = error["extensions"]["requestId"]
    assert error["path"] == ["runClassificationReview", "review", "changes"]
    assert error["extensions"]["saved"] >= 1  # a review commits in batches
    assert error["extensions"] == {
        "code": "PARTLY_SAVED",
        "cause": "BAD_USER_INPUT",
        "saved": error["extensions"]["saved"],
        "ranBefore": [],
        "requestId": request_id,
    }
    assert "`runClassificationReview` was saved" in error["message"]
    assert request_id in error["message"]
    assert r.body["data"]["runClassificationReview"] == {"review": None, "errors": []}
    reviews = cypher.execute_query("RETURN COUNT { (:ClassificationReview) } AS n").records
    assert reviews[0]["n"] == 1
    # A query's nested refusal keeps its own code: nothing was saved.
    read = gql(
        '{ classificationReviews(first: 1) { nodes { changes(first: 2, after: "x") '
        "{ totalCount } } } }"
    )
    assert read.codes() == ["BAD_USER_INPUT"]
