"""Pipeline, forecast, risk flags and hand-over through the API, on a hand-built pipeline with
known answers (backdated stage history), as a rep, a manager of another branch and an admin."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from graph import clock
from neo4j import Driver
from tests.conftest import GQL, PERSONAS, TEAMS

OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]
SPARE = "00000000-0000-4000-8000-00000000b001"  # an EAST rep who takes over
TODAY = clock.today()


def pid(n: int) -> str:
    return f"00000000-0000-4000-a100-{n:012d}"


CUSTOMER, WEST_CUSTOMER = pid(1), pid(2)
DM, OPPONENT, CHAMPION = pid(11), pid(12), pid(13)
# key -> (customer, lead user, stage, status, amount, days since created, close in N days,
#         stage changes as (from, to, days ago), status changes as (from, to, days ago))
DEALS: dict[str, tuple[Any, ...]] = {
    "won": (CUSTOMER, OWNER, "CLOSED", "WON", 100.0, 50, -5,
            [("LEAD", "QUALIFIED", 40), ("QUALIFIED", "PROPOSAL", 30), ("PROPOSAL", "CLOSED", 10)],
            [("OPEN", "WON", 10)]),
    "lost": (CUSTOMER, OWNER, "PROPOSAL", "LOST", 200.0, 45, -1,
             [("QUALIFIED", "PROPOSAL", 25)], [("OPEN", "LOST", 5)]),
    "risky": (CUSTOMER, OWNER, "NEGOTIATION", "OPEN", 1000.0, 60, -3,
              [("LEAD", "NEGOTIATION", 20)], []),
    "calm": (CUSTOMER, OWNER, "LEAD", "OPEN", 50.0, 2, 40, [], []),
    "west": (WEST_CUSTOMER, WEST_REP, "PROPOSAL", "OPEN", 7777.0, 30, 20, [], []),
}  # fmt: skip
DEAL_IDS = {k: pid(100 + i) for i, k in enumerate(DEALS)}

# Every deal's expected close falls in these months, whatever day the suite runs.
PERIOD = {"since": str(TODAY - dt.timedelta(days=62)), "until": str(TODAY + dt.timedelta(days=60))}
FUNNEL = """query($scope: PipelineScopeInput, $since: Date) { funnel(scope: $scope, since: $since) {
  cohort won wonAmount lost lostAmount winRate otherCurrency truncated
  steps { stage reached reachedAmount current currentAmount conversion medianDays } } }"""
FORECAST = """query($asOf: Date, $compareTo: Date, $since: Date, $until: Date) {
  forecast(since: $since, until: $until, asOf: $asOf, compareTo: $compareTo) {
  months { month now { open amount weighted won } then { open amount weighted won } }
  total { open weighted won } totalThen { open weighted } } }"""
AT_RISK = """{ atRiskOpportunities(first: 10) { totalCount items { score
  project { id name } flags { flag weight reason reasonZh days people { id } } } } }"""
HAND_OVER = """mutation($input: HandOverInput!) { handOver(input: $input) {
  handOver { id dryRun accounts { id to } projects { id to } followUps { id to }
    closedProjects { id } sharesEnded }
  errors { code field message } } }"""
BRIEF = """query($id: ID!) { handOverBrief(account: $id) {
  account { ... on Company { id name } }
  openOpportunities { score project { id } flags { flag } }
  openFollowUps { totalCount nodes { id action } }
  lastInteractions { totalCount nodes { id } }
  keyPeople { person { id ... on Person { name } } roles { role stance }
    ties { userId strength decisionMaker } } } }"""


@pytest.fixture
def pipeline(cypher: Driver) -> None:
    cypher.execute_query(
        "MERGE (u:User {id: $spare}) SET u.name = '接任者 Spare', u.team = 'EAST', "
        "u.roles = ['SALES'], u.version = 1",
        spare=SPARE,
    )
    for cid, owner, name in ((CUSTOMER, OWNER, "东方客户"), (WEST_CUSTOMER, WEST_REP, "西部客户")):
        cypher.execute_query(
            "MATCH (u:User {id: $owner}) CREATE (u)-[:OWNS {id: $id + '-owns', version: 1, "
            "since: date() - duration({days: 400})}]->(:Company:Customer {id: $id, name: $name, "
            "version: 1})",
            owner=owner,
            id=cid,
            name=name,
        )
    for key, (cid, lead, stage, status, amount, age, close, stages, statuses) in DEALS.items():
        changes = [{"field": "stage", "old": a, "new": b, "ago": d} for a, b, d in stages] + [
            {"field": "status", "old": a, "new": b, "ago": d} for a, b, d in statuses
        ]
        cypher.execute_query(
            "MATCH (c {id: $customer}), (u:User {id: $lead}) "
            "CREATE (p:Project {id: $id, name: $name, stage: $stage, status: $status, "
            "amount: $amount, currency: 'CNY', version: 1, "
            "createdAt: datetime() - duration({days: $age}), "
            "expectedClose: date() + duration({days: $close})})-[:FOR {id: $id + '-for', "
            "version: 1}]->(c), (u)-[:ON_TEAM {id: $id + '-team', role: 'LEAD', version: 1}]->(p) "
            "WITH p UNWIND $changes AS ch "
            "CREATE (:FieldChange {id: p.id + '/' + ch.field + ch.ago, targetId: p.id, "
            "targetLabel: 'Project', field: ch.field, old: ch.old, new: ch.new, "
            "at: datetime() - duration({days: ch.ago}), by: $lead})",
            customer=cid,
            lead=lead,
            id=DEAL_IDS[key],
            name=f"商机-{key}",
            stage=stage,
            status=status,
            amount=amount,
            age=age,
            close=close,
            changes=changes,
        )
    # The risky deal's tree: an opposed decision maker nobody on our staff knows, an economic
    # buyer against it, and a champion the owner knows; no interaction for 45 days.
    cypher.execute_query(
        "MATCH (p:Project {id: $risky}), (c:Company {id: $customer}), (u:User {id: $owner}) "
        "CREATE (dm:Person {id: $dm, name: '刘决策', version: 1})-[:PARTICIPATES_IN "
        "{id: $dm + '-pi', role: 'DECISION_MAKER', stance: 'OPPONENT', version: 1}]->(p), "
        "(op:Person {id: $op, name: '王反对', version: 1})-[:PARTICIPATES_IN {id: $op + '-pi', "
        "role: 'ECONOMIC_BUYER', stance: 'OPPONENT', version: 1}]->(p), "
        "(ch:Person {id: $ch, name: '张支持', version: 1})-[:PARTICIPATES_IN {id: $ch + '-pi', "
        "role: 'CHAMPION', stance: 'SUPPORTER', version: 1}]->(p), "
        "(dm)-[:WORKS_AT {id: $dm + '-w', version: 1}]->(c), "
        "(op)-[:WORKS_AT {id: $op + '-w', version: 1}]->(c), "
        "(ch)-[:WORKS_AT {id: $ch + '-w', version: 1}]->(c), "
        "(u)-[:KNOWS {id: $ch + '-k', strength: 0.8, version: 1}]->(ch), "
        "(:Record:Interaction {id: $risky + '-i', kind: 'Interaction', "
        "occurredAt: datetime() - duration({days: 45}), "
        "channel: 'VISIT', summary: '拜访', version: 1})-[:ABOUT]->(c), "
        "(f:FollowUp {id: $risky + '-f', status: 'OPEN', action: '报价跟进', version: 1, "
        "dueAt: datetime() + duration({days: 3})})-[:ABOUT]->(c), (f)-[:ASSIGNED_TO]->(u)",
        risky=DEAL_IDS["risky"],
        customer=CUSTOMER,
        owner=OWNER,
        dm=DM,
        op=OPPONENT,
        ch=CHAMPION,
    )
    # The calm deal was touched yesterday (which says nothing about the risky one).
    cypher.execute_query(
        "MATCH (p:Project {id: $calm})-[:FOR]->(c) "
        "CREATE (i:Record:Interaction {id: $calm + '-i', kind: 'Interaction', "
        "occurredAt: datetime() - duration({days: 1}), channel: 'PHONE', version: 1})"
        "-[:IN_PROJECT]->(p), (i)-[:ABOUT]->(c)",
        calm=DEAL_IDS["calm"],
    )


def steps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stage"]: s for s in data["funnel"]["steps"]}


def test_the_funnel_of_a_reps_own_deals(gql: GQL, pipeline: None) -> None:
    r = gql.as_("owner")(FUNNEL, {"since": str(TODAY - dt.timedelta(days=90))})
    f = r.data["funnel"]
    s = steps(r.data)
    # The west rep's deal is not theirs to see.
    assert f["cohort"] == 4
    assert [s[k]["reached"] for k in ("LEAD", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON")] == [
        4,
        3,
        3,
        2,
        1,
    ]
    assert s["LEAD"]["reachedAmount"] == 1350.0
    assert s["LEAD"]["conversion"] == 0.75
    assert s["NEGOTIATION"]["conversion"] == 0.5
    assert s["LEAD"]["current"] == 1
    assert s["NEGOTIATION"]["current"] == 1
    assert s["NEGOTIATION"]["currentAmount"] == 1000.0
    # won: LEAD 10 days, QUALIFIED 10, PROPOSAL 20; lost: QUALIFIED 20; risky: LEAD 40.
    assert s["LEAD"]["medianDays"] == 25.0
    assert s["QUALIFIED"]["medianDays"] == 15.0
    assert s["PROPOSAL"]["medianDays"] == 20.0
    assert (f["won"], f["wonAmount"], f["lost"], f["lostAmount"], f["winRate"]) == (
        1,
        100.0,
        1,
        200.0,
        0.5,
    )
    assert r.round_trips <= 2
    everything = gql(FUNNEL, {"since": str(TODAY - dt.timedelta(days=90))}).data["funnel"]
    assert everything["cohort"] == 5
    west = gql(FUNNEL, {"scope": {"owner": WEST_REP}}).data["funnel"]
    assert west["cohort"] == 1
    east = gql(
        FUNNEL, {"scope": {"team": TEAMS["EAST"][0]}, "since": str(TODAY - dt.timedelta(days=90))}
    ).data["funnel"]
    assert east["cohort"] == 4
    # A currency the standard does not list is a typo, not a currency with no deals.
    for code, refused in (("XYZ", True), ("usd", False)):
        r = gql("query($c: String!) { funnel(currency: $c) { cohort } }", {"c": code})
        assert (r.codes(), r.errors[0]["extensions"]["field"] if refused else None) == (
            (["BAD_USER_INPUT"], "currency") if refused else ([], None)
        ), code


def test_the_forecast_now_and_a_month_ago(gql: GQL, pipeline: None) -> None:
    r = gql.as_("owner")(FORECAST, PERIOD)
    f = r.data["forecast"]
    # Now: risky (NEGOTIATION, 0.75 × 1000) and calm (LEAD, 0.1 × 50) are open; won is won.
    assert f["total"]["open"] == 2
    assert f["total"]["weighted"] == 755.0
    assert f["total"]["won"] == 100.0
    # Thirty days ago risky was a LEAD (0.1 × 1000), won was at PROPOSAL (0.5 × 100), lost
    # was still QUALIFIED (0.25 × 200), and calm did not exist.
    assert f["totalThen"]["open"] == 3
    assert f["totalThen"]["weighted"] == 200.0


def test_risk_flags_rank_the_riskiest_deal_first(gql: GQL, pipeline: None) -> None:
    items = gql.as_("owner")(AT_RISK).data["atRiskOpportunities"]["items"]
    assert items[0]["project"]["id"] == DEAL_IDS["risky"]
    flags = {x["flag"]: x for x in items[0]["flags"]}
    assert set(flags) == {
        "DECISION_MAKER_OPPOSED",
        "OPPOSED_INFLUENCER",
        "DECISION_MAKER_UNKNOWN_TO_STAFF",
        "NO_RECENT_INTERACTION",
        "CLOSE_DATE_PASSED",
    }
    assert [p["id"] for p in flags["DECISION_MAKER_OPPOSED"]["people"]] == [DM]
    assert [p["id"] for p in flags["OPPOSED_INFLUENCER"]["people"]] == [OPPONENT]
    assert flags["NO_RECENT_INTERACTION"]["days"] == 45
    assert flags["NO_RECENT_INTERACTION"]["reasonZh"] == "45 天没有互动"
    assert flags["CLOSE_DATE_PASSED"]["days"] == 3
    assert items[0]["score"] == 5 + 4 + 3 + 3 + 2
    # The calm deal has nothing wrong; the west deal is not the rep's to see.
    ids = {i["project"]["id"] for i in items}
    assert DEAL_IDS["calm"] not in ids
    assert DEAL_IDS["west"] not in ids
    one = gql.as_("owner")(
        "query($id: ID!) { project(id: $id) { riskFlags { flag } } }", {"id": DEAL_IDS["risky"]}
    )
    assert len(one.data["project"]["riskFlags"]) == 5


def test_a_win_probability_override_needs_a_reason_and_is_kept(gql: GQL, pipeline: None) -> None:
    update = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
      project { winProbability winProbabilityReason } errors { code field } } }"""
    r = gql.as_("owner")(
        update, {"input": {"id": DEAL_IDS["calm"], "expectedVersion": 1, "winProbability": 0.6}}
    )
    assert r.data["updateProject"]["errors"] == [
        {"code": "VALIDATION", "field": "input.winProbabilityReason"}
    ]
    r = gql.as_("owner")(
        update,
        {
            "input": {
                "id": DEAL_IDS["calm"],
                "expectedVersion": 1,
                "winProbability": 0.6,
                "winProbabilityReason": "客户已口头确认",
            }
        },
    )
    assert r.data["updateProject"]["project"] == {
        "winProbability": 0.6,
        "winProbabilityReason": "客户已口头确认",
    }
    f = gql.as_("owner")(FORECAST, PERIOD).data["forecast"]
    assert f["total"]["weighted"] == 780.0  # 750 + 0.6 × 50
    history = gql.as_("owner")(
        'query($id: ID!) { fieldHistory(node: $id, field: "winProbability", first: 5) '
        "{ nodes { oldValue newValue by } } }",
        {"id": DEAL_IDS["calm"]},
    )
    assert history.data["fieldHistory"]["nodes"] == [
        {"oldValue": None, "newValue": 0.6, "by": OWNER}
    ]


def test_a_lost_deal_keeps_its_reason_until_it_reopens(gql: GQL, pipeline: None) -> None:
    update = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
      project { version status lostReason lostNote } errors { code field } } }"""
    deal = DEAL_IDS["lost"]

    def send(**fields: Any) -> dict[str, Any]:
        version = gql.as_("owner")(
            "query($id: ID!) { project(id: $id) { version } }", {"id": deal}
        ).data["project"]["version"]
        result: dict[str, Any] = gql.as_("owner")(
            update, {"input": {"id": deal, "expectedVersion": version, **fields}}
        ).data["updateProject"]
        return result

    # A reason goes with the status LOST, and only with it; refusals write nothing.
    assert send(lostReason="PRICE")["errors"] == [
        {"code": "VALIDATION", "field": "input.lostReason"}
    ]
    assert send(status="WON", lostNote="太贵")["errors"] == [
        {"code": "VALIDATION", "field": "input.lostNote"}
    ]
    assert send(status="LOST", lostNote="x" * 501)["errors"] == [
        {"code": "VALIDATION", "field": "input.lostNote"}
    ]
    done = send(status="LOST", lostReason="COMPETITOR", lostNote="  竞品报价低 15%  ")
    assert done["errors"] == []
    assert done["project"] | {"version": 0} == {
        "version": 0,
        "status": "LOST",
        "lostReason": "COMPETITOR",
        "lostNote": "竞品报价低 15%",
    }
    funnel = gql.as_("owner")(
        "query($since: Date) { funnel(since: $since) { lost "
        "lossReasons { reason count amount } } }",
        {"since": PERIOD["since"]},
    ).data["funnel"]
    assert funnel == {
        "lost": 1,
        "lossReasons": [{"reason": "COMPETITOR", "count": 1, "amount": 200.0}],
    }
    # Reopened, it is no longer lost for any reason; the history keeps what it was.
    reopened = send(status="OPEN")["project"]
    assert (reopened["lostReason"], reopened["lostNote"]) == (None, None)
    history = gql.as_("owner")(
        'query($id: ID!) { fieldHistory(node: $id, field: "lostReason", first: 5) '
        "{ nodes { oldValue newValue by } } }",
        {"id": deal},
    )
    assert history.data["fieldHistory"]["nodes"] == [
        {"oldValue": "COMPETITOR", "newValue": None, "by": OWNER},
        {"oldValue": None, "newValue": "COMPETITOR", "by": OWNER},
    ]


def test_settings_change_the_weights(gql: GQL, pipeline: None) -> None:
    save = """mutation($input: SavePipelineSettingsInput!) { savePipelineSettings(input: $input) {
      settings { version stageProbabilities { stage probability } } errors { code field } } }"""
    refused = gql.as_("manager_above")(
        save, {"input": {"stageProbabilities": [{"stage": "NEGOTIATION", "probability": 0.5}]}}
    )
    assert refused.data["savePipelineSettings"]["errors"][0]["code"] == "FORBIDDEN"
    bad = gql(save, {"input": {"stageProbabilities": [{"stage": "LEAD", "probability": 2}]}})
    assert bad.data["savePipelineSettings"]["errors"] == [
        {"code": "VALIDATION", "field": "input.stageProbabilities[0].probability"}
    ]
    twice = [{"stage": "LEAD", "probability": 0.1}, {"stage": "LEAD", "probability": 0.2}]
    doubled = gql(save, {"input": {"stageProbabilities": twice}})
    assert doubled.data["savePipelineSettings"]["errors"] == [
        {"code": "VALIDATION", "field": "input.stageProbabilities[1].stage"}
    ]
    ok = gql(
        save, {"input": {"stageProbabilities": [{"stage": "NEGOTIATION", "probability": 0.5}]}}
    )
    assert ok.data["savePipelineSettings"]["settings"]["version"] == 1
    f = gql.as_("owner")(FORECAST, PERIOD).data["forecast"]
    assert f["total"]["weighted"] == 505.0


def holdings(cypher: Driver, user: str) -> tuple[int, int, int]:
    rows, _, _ = cypher.execute_query(
        "MATCH (u:User {id: $u}) RETURN "
        "COUNT { (u)-[o:OWNS]->() WHERE o.until IS NULL OR o.until > date() } AS owns, "
        "COUNT { (u)-[t:ON_TEAM]->(p:Project) WHERE (t.until IS NULL OR t.until > date()) "
        "AND p.status IN ['OPEN', 'ON_HOLD'] } AS teams, "
        "COUNT { (f:FollowUp {status: 'OPEN'})-[:ASSIGNED_TO]->(u) } AS followUps",
        u=user,
    )
    return rows[0]["owns"], rows[0]["teams"], rows[0]["followUps"]


def test_a_hand_over_leaves_nothing_with_the_departed(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    before = holdings(cypher, OWNER)
    assert before == (1, 2, 1)
    # The west team shared one of its accounts with the departing rep, to edit.
    cypher.execute_query(
        "MATCH (c:Customer {id: $c}), (u:User {id: $u}) "
        "CREATE (c)-[:SHARED_WITH {id: 'share-ho', level: 'EDIT', by: $w, at: datetime()}]->(u)",
        c=WEST_CUSTOMER,
        u=OWNER,
        w=WEST_REP,
    )
    node = """query($id: ID!) { node(id: $id) { id } }"""
    assert gql.as_("owner")(node, {"id": WEST_CUSTOMER}).data["node"] is not None
    dry = gql.as_("manager_above")(
        HAND_OVER, {"input": {"from": OWNER, "to": SPARE, "dryRun": True}}
    )
    plan = dry.data["handOver"]["handOver"]
    assert plan["dryRun"] is True
    assert plan["sharesEnded"] == 1
    assert [a["id"] for a in plan["accounts"]] == [CUSTOMER]
    assert sorted(p["id"] for p in plan["projects"]) == sorted(
        [DEAL_IDS["risky"], DEAL_IDS["calm"]]
    )
    assert holdings(cypher, OWNER) == before
    # A rep may not hand a colleague's accounts over; a west manager does not reach EAST.
    for persona in ("other_team", "manager_west"):
        refused = gql.as_(persona)(HAND_OVER, {"input": {"from": OWNER, "to": SPARE}})
        assert refused.data["handOver"]["errors"][0]["code"] == "FORBIDDEN"
    assert holdings(cypher, OWNER) == before
    done = gql.as_("manager_above")(
        HAND_OVER, {"input": {"from": OWNER, "to": SPARE, "note": "离职交接"}}
    ).data["handOver"]
    assert done["errors"] == []
    assert done["handOver"]["id"]
    assert holdings(cypher, OWNER) == (0, 0, 0)
    assert holdings(cypher, SPARE) == (1, 2, 1)
    # The share ends with the hand-over and goes to nobody: the west team chose that rep.
    assert done["handOver"]["sharesEnded"] == 1
    assert gql.as_("owner")(node, {"id": WEST_CUSTOMER}).data["node"] is None
    shares, _, _ = cypher.execute_query(
        "MATCH (:Customer {id: $c})-[s:SHARED_WITH]->(u:User) "
        "RETURN u.id AS user, s.until IS NOT NULL AS ended",
        c=WEST_CUSTOMER,
    )
    assert [(r["user"], r["ended"]) for r in shares] == [(OWNER, True)]
    rows, _, _ = cypher.execute_query(
        "MATCH (fc:FieldChange {targetId: $c, field: 'owner'}) RETURN fc.old AS old, fc.new AS new",
        c=CUSTOMER,
    )
    assert [(r["old"], r["new"]) for r in rows] == [(OWNER, SPARE)]
    # The account's own trail shows the hand-over that moved it, with who did it.
    trail = gql(
        """query($id: ID!) { auditTrail(id: $id, first: 20) {
          edges { node { targetId targetLabel actor } } } }""",
        {"id": CUSTOMER},
    ).data["auditTrail"]["edges"]
    assert {
        "targetId": done["handOver"]["id"],
        "targetLabel": "HandOver",
        "actor": PERSONAS["manager_above"]["id"],
    } in [e["node"] for e in trail]
    roles, _, _ = cypher.execute_query(
        "MATCH (:User {id: $s})-[t:ON_TEAM]->(p:Project {id: $p}) RETURN t.role AS role",
        s=SPARE,
        p=DEAL_IDS["risky"],
    )
    assert [r["role"] for r in roles] == ["LEAD"]
    # The pipeline follows: the open deals are the successor's, the closed ones stay put.
    since = str(TODAY - dt.timedelta(days=90))
    mine = gql(FUNNEL, {"scope": {"owner": SPARE}, "since": since}).data["funnel"]
    assert mine["cohort"] == 2
    theirs = gql(FUNNEL, {"scope": {"owner": OWNER}, "since": since}).data["funnel"]
    assert (theirs["cohort"], theirs["won"], theirs["lost"]) == (2, 1, 1)
    # The won and lost deals keep their history with the departed rep, whose place on their
    # team ends today: a closed deal's team would still open the account to them.
    closed, _, _ = cypher.execute_query(
        "MATCH (:User {id: $o})-[t:ON_TEAM]->(p:Project) WHERE p.status IN ['WON', 'LOST'] "
        "RETURN count(CASE WHEN t.until IS NULL THEN 1 END) AS open, "
        "count(CASE WHEN t.until = date() THEN 1 END) AS ended",
        o=OWNER,
    )
    assert (closed[0]["open"], closed[0]["ended"]) == (0, 2)
    assert sorted(p["id"] for p in done["handOver"]["closedProjects"]) == sorted(
        [DEAL_IDS["won"], DEAL_IDS["lost"]]
    )


def test_a_closed_deal_without_a_lead_stays_with_its_owner_when_it_closed(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    """A deal nobody leads is its customer's owner's; once closed, it stays with the owner of
    that day, so a hand-over does not move the departed rep's wins into the successor's
    figures. An open one follows the customer to the successor."""
    # (solo-today closes on the hand-over's own day, just before it: tester AJ; solo-entered
    # was entered already won, with no status change: tester AS saw it move)
    deals = (("solo-won", "WON", 8), ("solo-today", "WON", 0), ("solo-open", "OPEN", None),
             ("solo-entered", "WON", None))  # fmt: skip
    for key, status, ago in deals:
        cypher.execute_query(
            "MATCH (c {id: $customer}) "
            "CREATE (p:Project {id: $id, name: $id, stage: 'CLOSED', status: $status, "
            "amount: 30.0, currency: 'CNY', version: 1, "
            "createdAt: datetime() - duration({days: 20}), expectedClose: date()})"
            "-[:FOR {id: $id + '-for', version: 1}]->(c) "
            "WITH p WHERE $ago IS NOT NULL "
            "CREATE (:FieldChange {id: p.id + '/status', targetId: p.id, targetLabel: 'Project', "
            "field: 'status', old: 'OPEN', new: $status, "
            "at: datetime() - duration({days: $ago}), by: $owner})",
            customer=CUSTOMER,
            id=key,
            status=status,
            ago=ago,
            owner=OWNER,
        )
    since = str(TODAY - dt.timedelta(days=90))

    def won(owner: str) -> tuple[int, int]:
        f = gql(FUNNEL, {"scope": {"owner": owner}, "since": since}).data["funnel"]
        return f["cohort"], f["won"]

    assert won(OWNER) == (8, 4)
    assert won(SPARE) == (0, 0)
    done = gql(HAND_OVER, {"input": {"from": OWNER, "to": SPARE}}).data["handOver"]
    assert done["errors"] == []
    # the LEAD-less open deal went with the customer; the LEAD-less wins stayed
    assert won(OWNER) == (5, 4)
    assert won(SPARE) == (3, 0)


def test_the_manager_of_another_team_hands_over_what_the_rep_left_on_their_deals(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    """The EAST rep helped on a WEST deal, which an EAST manager's hand-over leaves behind:
    the WEST manager moves it, without touching the rep's own accounts, deals or shares."""
    cypher.execute_query(
        "MATCH (u:User {id: $u}), (p:Project {id: $p}) "
        "CREATE (u)-[:ON_TEAM {id: 'helper-team', role: 'SUPPORT', version: 1}]->(p)",
        u=OWNER,
        p=DEAL_IDS["west"],
    )
    before = holdings(cypher, OWNER)
    # A successor outside the WEST manager's teams is still refused.
    east = gql.as_("manager_west")(HAND_OVER, {"input": {"from": OWNER, "to": SPARE}})
    assert east.data["handOver"]["errors"][0]["code"] == "FORBIDDEN"
    assert east.data["handOver"]["errors"][0]["field"] == "input.to"
    assert east.data["handOver"]["errors"][0]["message"].startswith(
        "the successor is outside the teams you manage"
    )
    done = gql.as_("manager_west")(HAND_OVER, {"input": {"from": OWNER, "to": WEST_REP}})
    moved = done.data["handOver"]
    assert moved["errors"] == []
    assert moved["handOver"]["accounts"] == []
    assert moved["handOver"]["projects"] == [{"id": DEAL_IDS["west"], "to": WEST_REP}]
    assert moved["handOver"]["sharesEnded"] == 0
    owns, teams, follow_ups = before
    assert holdings(cypher, OWNER) == (owns, teams - 1, follow_ups)


def test_after_a_hand_over_the_departed_rep_no_longer_opens_the_account(
    gql: GQL, pipeline: None
) -> None:
    """Handed to another team's rep, the account leaves the departed rep's view, closed deals
    and all (their teams gave read and edit)."""
    seen = "query($id: ID!) { company(id: $id) { id } }"
    assert gql.as_("owner")(seen, {"id": CUSTOMER}).data["company"] == {"id": CUSTOMER}
    done = gql(HAND_OVER, {"input": {"from": OWNER, "to": WEST_REP}}).data["handOver"]
    assert done["errors"] == []
    assert gql.as_("owner")(seen, {"id": CUSTOMER}).data["company"] is None
    assert gql.as_("other_team")(seen, {"id": CUSTOMER}).data["company"] == {"id": CUSTOMER}


def test_concurrent_hand_overs_of_one_rep_leave_one_owner(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    """A double submit, or two admins at once: the first moves everything, the rest find
    nothing left, and the account keeps one current owner."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(
            pool.map(
                lambda to: gql(HAND_OVER, {"input": {"from": OWNER, "to": to}}).data["handOver"],
                [SPARE, WEST_REP, SPARE, WEST_REP],
            )
        )
    assert all(d["errors"] == [] for d in done)
    assert sorted(len(d["handOver"]["accounts"]) for d in done) == [0, 0, 0, 1]
    owners = cypher.execute_query(
        "MATCH (u:User)-[o:OWNS]->(:Customer {id: $c}) WHERE o.until IS NULL OR o.until > date() "
        "RETURN count(u) AS n",
        c=CUSTOMER,
    ).records
    assert owners[0]["n"] == 1


def test_a_successor_must_be_active_and_may_edit(gql: GQL, cypher: Driver, pipeline: None) -> None:
    cypher.execute_query("MATCH (u:User {id: $spare}) SET u.archivedAt = datetime()", spare=SPARE)
    for to in (SPARE, PERSONAS["analyst"]["id"]):
        refused = gql(HAND_OVER, {"input": {"from": OWNER, "to": to, "dryRun": True}})
        assert refused.data["handOver"]["errors"] == [
            {
                "code": "VALIDATION",
                "field": "input.to",
                "message": "a successor must be an active user who may edit (not archived, "
                f"not ANALYST or AUDITOR only): {to}",
            }
        ]
    # A route's own successor is refused at that route, not at the default `to`.
    route = {"from": OWNER, "to": WEST_REP, "dryRun": True,
             "accounts": [{"account": CUSTOMER, "to": PERSONAS["analyst"]["id"]}]}  # fmt: skip
    refused = gql(HAND_OVER, {"input": route})
    assert [(e["code"], e["field"]) for e in refused.data["handOver"]["errors"]] == [
        ("VALIDATION", "input.accounts[0].to")
    ]
    assert holdings(cypher, OWNER) == (1, 2, 1)
    # A manager naming a departed user outside their teams, with nothing of theirs on the
    # manager's deals, is refused at input.from.
    outside = gql.as_("manager_west")(HAND_OVER, {"input": {"from": OWNER, "to": WEST_REP}})
    assert [(e["code"], e["field"]) for e in outside.data["handOver"]["errors"]] == [
        ("FORBIDDEN", "input.from")
    ]
    assert (
        "the rep is outside the teams you manage"
        in (outside.data["handOver"]["errors"][0]["message"])
    )
    # An unknown successor is named as unknown, to a manager as to an admin.
    nobody = "00000000-0000-4000-8000-00000000dead"
    for persona in ("manager_above", "admin"):
        r = gql.as_(persona)(HAND_OVER, {"input": {"from": OWNER, "to": nobody, "dryRun": True}})
        assert [(e["code"], e["field"]) for e in r.data["handOver"]["errors"]] == [
            ("NOT_FOUND", "input.to")
        ], persona


def test_the_brief_of_an_account(gql: GQL, pipeline: None) -> None:
    r = gql.as_("owner")(BRIEF, {"id": CUSTOMER})
    b = r.data["handOverBrief"]
    assert b["account"]["id"] == CUSTOMER
    opps = {o["project"]["id"]: o for o in b["openOpportunities"]}
    assert set(opps) == {DEAL_IDS["risky"], DEAL_IDS["calm"]}
    assert opps[DEAL_IDS["risky"]]["score"] == 17
    assert opps[DEAL_IDS["calm"]]["flags"] == []
    assert [f["action"] for f in b["openFollowUps"]["nodes"]] == ["报价跟进"]
    assert b["openFollowUps"]["totalCount"] == 1
    assert [i["id"] for i in b["lastInteractions"]["nodes"]] == [
        DEAL_IDS["calm"] + "-i",
        DEAL_IDS["risky"] + "-i",
    ]
    assert b["lastInteractions"]["totalCount"] == 2
    people = {p["person"]["id"]: p for p in b["keyPeople"]}
    assert set(people) == {DM, OPPONENT, CHAMPION}
    assert people[DM]["roles"] == [{"role": "DECISION_MAKER", "stance": "OPPONENT"}]
    assert people[DM]["ties"] == []
    assert people[CHAMPION]["ties"] == [{"userId": OWNER, "strength": 0.8, "decisionMaker": False}]
    # Someone who cannot see the account gets nothing.
    assert gql.as_("other_team")(BRIEF, {"id": CUSTOMER}).data["handOverBrief"] is None


def test_left_behind_names_only_what_the_manager_may_see(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    # The west rep helps on two east deals; the east account is shared READ with the west
    # manager, so that one deal is seen (named) but not edited; the admin is told of both.
    cypher.execute_query(
        "MATCH (u:User {id: $rep}), (p:Project {id: $risky}), (q:Project {id: $calm}), "
        "(m:User {id: $manager}), (c:Customer {id: $customer}) "
        "CREATE (u)-[:ON_TEAM {id: $risky + '-help', role: 'SUPPORT', version: 1}]->(p) "
        "CREATE (u)-[:ON_TEAM {id: $calm + '-help', role: 'SUPPORT', version: 1}]->(q)",
        rep=WEST_REP,
        risky=DEAL_IDS["risky"],
        calm=DEAL_IDS["calm"],
        manager=PERSONAS["manager_west"]["id"],
        customer=CUSTOMER,
    )
    query = HAND_OVER.replace(
        "closedProjects { id }", "closedProjects { id } leftBehind { id } leftBehindHidden"
    )
    manager = PERSONAS["manager_west"]["id"]
    asked = {"input": {"from": WEST_REP, "to": manager, "dryRun": True}}
    west = gql.as_("manager_west")(query, asked).data["handOver"]["handOver"]
    assert (west["leftBehind"], west["leftBehindHidden"]) == ([], 2)
    cypher.execute_query(
        "MATCH (c:Customer {id: $customer}), (m:User {id: $manager}) "
        "CREATE (c)-[:SHARED_WITH {id: 'share-lb', level: 'READ', by: 'x', at: datetime()}]->(m)",
        customer=CUSTOMER,
        manager=manager,
    )
    west = gql.as_("manager_west")(query, asked).data["handOver"]["handOver"]
    assert sorted(m["id"] for m in west["leftBehind"]) == sorted(
        [DEAL_IDS["risky"], DEAL_IDS["calm"]]
    )
    assert west["leftBehindHidden"] == 0
    everything = gql.as_("admin")(query, asked).data["handOver"]["handOver"]
    assert everything["leftBehindHidden"] == 0
    assert {DEAL_IDS["risky"], DEAL_IDS["calm"]} <= {p["id"] for p in everything["projects"]}


def test_a_manager_moves_what_is_theirs_and_lists_the_rest(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    # The west rep also helps on the east team's risky deal, which the west manager may not edit.
    cypher.execute_query(
        "MATCH (u:User {id: $rep}), (p:Project {id: $risky}) "
        "CREATE (u)-[:ON_TEAM {id: $risky + '-help', role: 'SUPPORT', version: 1}]->(p)",
        rep=WEST_REP,
        risky=DEAL_IDS["risky"],
    )
    manager = PERSONAS["manager_west"]["id"]
    done = gql.as_("manager_west")(
        HAND_OVER.replace(
            "closedProjects { id }", "closedProjects { id } leftBehind { id to } leftBehindHidden"
        ),
        {"input": {"from": WEST_REP, "to": manager}},
    ).data["handOver"]
    assert done["errors"] == []
    moved = done["handOver"]
    assert [a["id"] for a in moved["accounts"]] == [WEST_CUSTOMER]
    assert [p["id"] for p in moved["projects"]] == [DEAL_IDS["west"]]
    # The east deal stays; the west manager may not see it, so it is counted, not named.
    assert (moved["leftBehind"], moved["leftBehindHidden"]) == ([], 1)
    assert holdings(cypher, WEST_REP) == (0, 1, 0)


def test_a_manager_sees_and_hands_over_a_reps_deal_with_no_customer_yet(
    gql: GQL, cypher: Driver, pipeline: None
) -> None:
    """A deal not yet linked to a customer follows its team's members as an account follows
    its owner (tester AX: the manager could neither see nor move it)."""
    made = gql.as_("owner")(
        'mutation { createProject(input: {name: "未定客户的商机", stage: LEAD}) '
        "{ project { id } errors { code } } }"
    ).data["createProject"]
    assert made["errors"] == []
    deal = made["project"]["id"]
    seen = "query($id: ID!) { project(id: $id) { id } }"
    assert gql.as_("manager_above")(seen, {"id": deal}).data["project"] == {"id": deal}
    assert gql.as_("other_team")(seen, {"id": deal}).data["project"] is None
    done = gql.as_("manager_above")(
        HAND_OVER.replace("closedProjects { id }", "closedProjects { id } leftBehindHidden"),
        {"input": {"from": OWNER, "to": SPARE}},
    ).data["handOver"]
    assert done["errors"] == []
    assert {"id": deal, "to": SPARE} in done["handOver"]["projects"]
    assert done["handOver"]["leftBehindHidden"] == 0
