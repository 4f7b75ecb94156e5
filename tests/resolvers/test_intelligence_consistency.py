"""Customer intelligence stays consistent between runs and after a hand's or a person's say:
the factors shown belong to the value shown, a manual lifecycle move explains itself and ends
the churn risk at once, and an objection to profiling takes the computed segment and the
purchase predictions with it."""

from __future__ import annotations

from typing import Any

from graph.server import LocalNeo4j
from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.test_intelligence import HISTORY, WARNINGS, book, intel, score

__all__ = ["book"]  # the fixture, shared with test_intelligence

OWNER = PERSONAS["owner"]["id"]
SET_STAGE = """mutation($input: SetLifecycleStageInput!) { setLifecycleStage(input: $input) {
  intelligence { churnRisk churnLevel churnSignals { reason }
    lifecycle { stage manual lostReason lostNote reason } } errors { code field } } }"""


def _contribution(i: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in i["factors"] if f["factor"] == "CONTRIBUTION")
    return found


def test_the_factors_shown_belong_to_the_value_shown_after_another_run(
    gql: GQL, cypher: Driver, book: dict[str, str], neo4j_server: LocalNeo4j
) -> None:
    score(neo4j_server)
    before = {name: intel(gql, cid) for name, cid in book.items()}
    peers = _contribution(before["稳定客户"])["inputs"]["peers"]
    # One more buyer: every contribution rank moves a little, most values by less than a
    # rounding step, so their snapshots are only confirmed.
    cypher.execute_query(
        "CREATE (c:Company:Customer {id: 'late-buyer', name: '新买家', version: 1, "
        "  lifecycleStage: 'NEW'}) "
        "CREATE (:Record:Order {id: 'late-o', occurredAt: datetime() - duration('P3D'), "
        "  amountCents: 100, currency: 'CNY', version: 1})-[:ABOUT]->(c)",
        database_="neo4j",
    )
    score(neo4j_server)
    confirmed = 0
    for name, cid in book.items():
        now = intel(gql, cid)
        assert round(sum(f["share"] for f in now["factors"]), 2) == now["value"], name
        assert _contribution(now)["inputs"]["peers"] == peers + 1, name
        history = gql(HISTORY, {"id": cid}).data["scoreHistory"]
        latest = history["nodes"][0]
        assert latest["value"] == now["value"], name
        assert round(sum(f["share"] for f in latest["factors"]), 2) == latest["value"], name
        if history["totalCount"] == 1 and now["value"] != before[name]["value"]:
            confirmed += 1
    # The case at hand: a value that moved less than a rounding step, so no new snapshot.
    assert confirmed >= 1


def test_a_manual_move_out_of_new_and_active_explains_itself_and_ends_the_churn_risk(
    gql: GQL, book: dict[str, str], neo4j_server: LocalNeo4j
) -> None:
    score(neo4j_server)
    cid = book["欠款客户"]
    assert intel(gql, cid)["churnRisk"] is not None
    listed = gql(WARNINGS, {"first": 10}).data["churnWarnings"]["nodes"]
    assert cid in [w["id"] for w in listed]
    out = gql.as_("owner")(
        SET_STAGE,
        {"input": {"customer": cid, "stage": "LOST", "note": "被竞品抢走",
                   "lostReason": "COMPETITOR"}},
    ).data["setLifecycleStage"]  # fmt: skip
    assert out["errors"] == []
    moved = out["intelligence"]
    assert moved["lifecycle"]["reason"] == "被竞品抢走"
    assert (moved["churnRisk"], moved["churnLevel"], moved["churnSignals"]) == (None, None, [])
    now = intel(gql, cid)
    assert now["lifecycle"]["reason"] == "被竞品抢走"
    assert (now["churnRisk"], now["churnLevel"], now["churnSignals"]) == (None, None, [])
    listed = gql(WARNINGS, {"first": 10}).data["churnWarnings"]
    assert cid not in [w["id"] for w in listed["nodes"]]
    # The run keeps the manual stage and its note.
    score(neo4j_server)
    after = intel(gql, cid)
    assert (after["lifecycle"]["stage"], after["lifecycle"]["reason"]) == ("LOST", "被竞品抢走")
    assert after["churnRisk"] is None


def test_churn_warnings_list_only_new_and_active_customers(
    gql: GQL, cypher: Driver, book: dict[str, str], neo4j_server: LocalNeo4j
) -> None:
    score(neo4j_server)
    # A stage stored without the run (an import, an older version) with a stale risk.
    cypher.execute_query(
        "MATCH (c:Customer {id: $id}) SET c.lifecycleStage = 'LOST'",
        id=book["欠款客户"],
        database_="neo4j",
    )
    listed = gql(WARNINGS, {"first": 10}).data["churnWarnings"]
    assert book["欠款客户"] not in [w["id"] for w in listed["nodes"]]
    assert listed["totalCount"] == len(listed["nodes"])


PERSON = """query($id: ID!) { person(id: $id) { customer { tier }
  intelligence { scored segment }
  purchasePreferences { orders products { orders cycleDays meanDaysBetweenOrders
    nextExpectedAt daysUntilExpected repurchase } categories { cycleDays repurchase } } } }"""
PROBLEM = """{ people(first: 50, filter: {tier: PROBLEM}) { nodes { id } } }"""
WITHDRAW = """mutation($p: ID!) { withdrawConsent(input: {person: $p, purpose: PROFILING,
  source: WRITTEN}) { errors { code } } }"""


def _debtor(cypher: Driver, pid: str) -> None:
    """A person customer with four unpaid orders of one product, 30 days apart: credit 0."""
    cypher.execute_query(
        "MATCH (u:User {id: $owner}) "
        "CREATE (u)-[:OWNS]->(p:Person:Customer {id: $id, name: '欠款个人', version: 1, "
        "  customerKind: 'INDIVIDUAL', lifecycleStage: 'ACTIVE'}) "
        "MERGE (x:Product {id: 'prod-x'}) ON CREATE SET x.sku = 'X', x.name = '耗材X', "
        "  x.category = '耗材', x.version = 1 "
        "WITH p, x UNWIND [100, 70, 40, 10] AS d "
        "CREATE (o:Record:Order {id: $id + '-o' + d, occurredAt: datetime() - "
        "  duration({days: d}), amountCents: 90000, currency: 'CNY', version: 1, "
        "  paymentDueOn: date() - duration({days: d - 5})})-[:ABOUT]->(p) "
        "CREATE (o)-[:LINE {id: $id + '-l' + d, quantity: 3, amountCents: 90000}]->(x)",
        owner=OWNER,
        id=pid,
        database_="neo4j",
    )


def test_an_objection_to_profiling_takes_the_computed_tier_and_the_predictions(
    gql: GQL, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    _debtor(cypher, "obj-1")
    _debtor(cypher, "obj-2")
    score(neo4j_server)
    seen = gql(PERSON, {"id": "obj-1"}).data["person"]
    assert seen["customer"]["tier"] == "PROBLEM"
    [pref] = seen["purchasePreferences"]["products"]
    assert pref["cycleDays"] == 30
    assert pref["nextExpectedAt"] is not None
    assert {"obj-1", "obj-2"} <= {n["id"] for n in gql(PROBLEM).data["people"]["nodes"]}
    # obj-2's tier is then set by hand: a person's judgement, not the run's, so it stays.
    hand = gql(
        """mutation { updatePerson(input: {id: "obj-2", expectedVersion: 1,
        customer: {tier: GENERAL}}) {
        errors { code } } }"""
    ).data["updatePerson"]
    assert hand["errors"] == []
    for pid in ("obj-1", "obj-2"):
        assert gql.as_("owner")(WITHDRAW, {"p": pid}).data["withdrawConsent"]["errors"] == []

    gone = gql(PERSON, {"id": "obj-1"}).data["person"]
    assert gone["intelligence"] == {"scored": False, "segment": None}
    assert gone["customer"]["tier"] is None
    assert "obj-1" not in {n["id"] for n in gql(PROBLEM).data["people"]["nodes"]}
    prefs = gone["purchasePreferences"]
    assert prefs["orders"] == 4  # the plain sums of their own records stay
    [pref] = prefs["products"]
    assert pref == {
        "orders": 4,
        "cycleDays": None,
        "meanDaysBetweenOrders": None,
        "nextExpectedAt": None,
        "daysUntilExpected": None,
        "repurchase": "UNKNOWN",
    }
    assert prefs["categories"] == [{"cycleDays": None, "repurchase": "UNKNOWN"}]
    kept = gql(PERSON, {"id": "obj-2"}).data["person"]
    assert kept["customer"]["tier"] == "GENERAL"
    # A run leaves both as they are.
    score(neo4j_server)
    assert gql(PERSON, {"id": "obj-1"}).data["person"]["customer"]["tier"] is None
    assert gql(PERSON, {"id": "obj-2"}).data["person"]["customer"]["tier"] == "GENERAL"
