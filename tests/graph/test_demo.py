"""The demo data set: loads once into an empty database, and has the shapes the maps rely on."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from stdnum.cn import uscc

import migrations
from graph import clock, demo, demo_pipeline, plans
from graph import demo_data as data
from graph.db import Database
from graph.migrate import Runner
from graph.server import LocalNeo4j
from graph.vocab import Rel
from neo4j import Driver, GraphDatabase
from tests.conftest import PERSONAS, reset_database
from tests.graph.test_clock import STORED_OFFSETS
from tests.process import crm


def seed(server: LocalNeo4j) -> bool:
    async def run() -> bool:
        db = Database(server.uri, "neo4j", server.password)
        try:
            # The constraints and the full-text index, as `crm-graph seed --demo` has them.
            await Runner(db, migrations.DIRECTORY).apply()
            return await demo.seed_if_empty(db)
        finally:
            await db.close()

    return asyncio.run(run())


def query(driver: Driver, text: str, **params: Any) -> list[dict[str, Any]]:
    with driver.session(database="neo4j") as s:
        return s.run(text, params).data()  # type: ignore[arg-type]


def one(driver: Driver, text: str, **params: Any) -> Any:
    rows = query(driver, text, **params)
    return next(iter(rows[0].values()))


@pytest.fixture(scope="module")
def seeded(neo4j_server: LocalNeo4j) -> Iterator[Driver]:
    """The demo data, loaded once for the read-only tests of this module. These tests take no
    `cypher` fixture, so the per-test reset leaves the seeded data alone between them."""
    driver = GraphDatabase.driver(neo4j_server.uri, auth=("neo4j", neo4j_server.password))
    reset_database(driver)
    assert seed(neo4j_server) is True
    yield driver
    driver.close()


def test_seeds_an_empty_database_once(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    # The test personas (:User only) are there: staff alone do not count as data.
    assert one(cypher, "MATCH (u:User) RETURN count(u)") == len(PERSONAS)
    assert seed(neo4j_server) is True
    counts = query(
        cypher,
        "MATCH (n) UNWIND labels(n) AS l RETURN l AS label, count(*) AS n ORDER BY label",
    )
    before = {r["label"]: r["n"] for r in counts}
    rels_before = one(cypher, "MATCH ()-[r]->() RETURN count(r)")
    assert before["Company"] == len(data.COMPANIES)
    assert before["Person"] == len(data.PEOPLE) == 60
    assert before["Project"] == len(data.PROJECTS) + len(demo_pipeline.DEALS)
    assert before["User"] == len(PERSONAS) + len(data.USERS)
    assert before["ApiKey"] == len(PERSONAS) + len(data.USERS)
    assert before["StanceChange"] == len(data.STANCE_CHANGES)

    assert seed(neo4j_server) is False
    counts = query(
        cypher,
        "MATCH (n) UNWIND labels(n) AS l RETURN l AS label, count(*) AS n ORDER BY label",
    )
    assert {r["label"]: r["n"] for r in counts} == before
    assert one(cypher, "MATCH ()-[r]->() RETURN count(r)") == rels_before


def test_an_unchanged_export_of_the_demo_records_imports_as_unchanged(
    cypher: Driver, neo4j_server: LocalNeo4j, tmp_path: Path
) -> None:
    """Tester AN: the demo's bulk-loaded records carried another content digest than the one
    saveRecord and the import compare, so importing an unchanged export re-saved hundreds of
    them once (`updated`, an audit event each, no change). `crm-graph seed` settles them."""
    env = {**os.environ, "NEO4J_URI": neo4j_server.uri, "NEO4J_PASSWORD": neo4j_server.password}
    seeded = crm(["seed", "--demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    assert "demo data loaded" in seeded.stdout
    everything = tmp_path / "all.jsonl"
    assert crm(["export", "--format", "jsonl", "--out", str(everything)], env).returncode == 0
    lines = everything.read_bytes().splitlines()
    kinds = [orjson.loads(line)["kind"] for line in lines]
    picked = [line for line, kind in zip(lines, kinds, strict=True) if kind == "record"][::15]
    assert len(picked) >= 30
    sample = tmp_path / "records.jsonl"
    sample.write_bytes(b"\n".join(picked) + b"\n")
    out = crm(["import", str(sample), "--format", "jsonl", "--quiet"], env)
    assert out.returncode == 0, out.stdout + out.stderr
    n = len(picked)
    assert f"{n} rows read: 0 created, 0 updated, {n} unchanged, 0 rejected" in out.stdout


def test_a_non_empty_database_is_left_alone(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    query(cypher, "CREATE (:Company {id: 'x', name: '别人的公司', version: 1})")
    assert seed(neo4j_server) is False
    assert one(cypher, "MATCH (c:Company) RETURN count(c)") == 1


def test_the_api_serves_the_demo_data(
    app_client: TestClient, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    """The README's session: the demo admin key works, and a stale version gives CONFLICT."""
    assert seed(neo4j_server) is True

    def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = app_client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": "Bearer demo-admin-key"},
        )
        body = r.json()
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    group = post(
        "query($id: ID!) { company(id: $id) { name shortName foundedOn version "
        "customer { customerCode tier } } }",
        {"id": data.GROUP_ID},
    )["company"]
    assert group == {
        "name": "华星集团有限公司",
        "shortName": "华星",
        "foundedOn": "1998-05-18",
        "version": 1,
        "customer": {"customerCode": "HX-C-0001", "tier": "CORE"},
    }
    update = (
        "mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) { "
        "company { version } errors { code } } }"
    )
    change = {"id": data.GROUP_ID, "expectedVersion": 1, "employeeCount": 13000}
    first = post(update, {"input": change})["updateCompany"]
    assert first == {"company": {"version": 2}, "errors": []}
    second = post(update, {"input": change})["updateCompany"]
    assert second == {"company": None, "errors": [{"code": "CONFLICT"}]}


def test_one_audit_event(seeded: Driver) -> None:
    rows = query(seeded, "MATCH (a:AuditEvent) RETURN a.action AS action, a.targetId AS target")
    assert rows == [{"action": "demo.seed", "target": data.GROUP_ID}]


def test_every_instant_is_stored_at_the_business_offset(seeded: Driver) -> None:
    # Records seeded in UTC were exported at +00:00, and a CSV round trip rewrote 661 of them.
    stored = {r["key"]: r["offsets"] for r in query(seeded, STORED_OFFSETS)}
    assert "Interaction.occurredAt" in stored
    assert {k: o for k, o in stored.items() if o != [clock.offset_seconds()]} == {}


def test_every_node_and_relationship_is_addressable(seeded: Driver) -> None:
    assert (
        one(
            seeded,
            "MATCH (n) WHERE (n:Company OR n:Person OR n:Project OR n:User OR n:StanceChange) "
            "AND (n.id IS NULL OR n.version IS NULL OR n.createdAt IS NULL "
            "OR n.updatedAt IS NULL) RETURN count(n)",
        )
        == 0
    )
    assert (
        one(
            seeded,
            "MATCH ()-[r]->() WHERE type(r) IN $types AND (r.id IS NULL OR r.version IS NULL "
            "OR r.createdAt IS NULL) RETURN count(r)",
            types=[rel.value for rel in Rel],
        )
        == 0
    )
    ids = query(
        seeded,
        "MATCH ()-[r]->() WHERE type(r) IN $types RETURN count(r) AS n, count(DISTINCT r.id) AS d",
        types=[rel.value for rel in Rel],
    )[0]
    assert ids["n"] == ids["d"] > 200
    # Dates are stored as Neo4j dates, not strings.
    assert (
        one(seeded, "MATCH ()-[r:WORKS_AT]->() WHERE NOT r.since IS :: DATE RETURN count(r)") == 0
    )


def test_fixed_ids(seeded: Driver) -> None:
    group = query(
        seeded, "MATCH (c:Company:Customer {id: $id}) RETURN c{.*} AS c", id=data.GROUP_ID
    )
    assert group[0]["c"]["name"] == "华星集团有限公司"
    assert group[0]["c"]["shortName"] == "华星"
    assert group[0]["c"]["tier"] == "CORE"
    project = one(
        seeded, "MATCH (p:Project {id: $id}) RETURN p.name", id=data.SMART_FACTORY_PROJECT_ID
    )
    assert project == "华星智慧工厂项目"
    admin = query(
        seeded,
        "MATCH (u:User)-[:HAS_KEY]->(:ApiKey {hash: $hash}) RETURN u.id AS id, u.roles AS roles",
        hash=data.sha256_hex("demo-admin-key"),
    )
    assert admin == [{"id": data.ADMIN_USER_ID, "roles": ["ADMIN"]}]


def test_credit_codes_pass_their_checksum(seeded: Driver) -> None:
    codes = query(
        seeded,
        "MATCH (c:Company) WHERE c.unifiedSocialCreditCode IS NOT NULL "
        "RETURN c.unifiedSocialCreditCode AS code",
    )
    assert codes
    for row in codes:
        assert uscc.is_valid(row["code"]), row["code"]


def test_group_hierarchy(seeded: Driver) -> None:
    # Three levels below the group.
    deepest = one(
        seeded,
        "MATCH p = (:Company)-[:SUBSIDIARY_OF*]->(g:Company {id: $id}) RETURN max(length(p))",
        id=data.GROUP_ID,
    )
    assert deepest == 3
    jv = query(
        seeded,
        "MATCH (c:Company)-[r:SUBSIDIARY_OF]->(p:Company) WITH c, collect(r) AS rs "
        "WHERE size(rs) = 2 RETURN c.id AS id, [r IN rs | r.kind] AS kinds",
    )
    assert jv == [{"id": data.JOINT_VENTURE_ID, "kinds": ["JOINT_VENTURE", "JOINT_VENTURE"]}]
    kinds = one(seeded, "MATCH ()-[r:SUBSIDIARY_OF]->() RETURN collect(DISTINCT r.kind)")
    assert set(kinds) == {"SUBSIDIARY", "BRANCH", "DIVISION", "JOINT_VENTURE"}


def test_no_hierarchy_or_reporting_cycles(seeded: Driver) -> None:
    for rel in ("SUBSIDIARY_OF", "REPORTS_TO"):
        cycles = one(seeded, f"MATCH p = (n)-[:{rel}*]->(n) RETURN count(p)")
        assert cycles == 0, rel


def test_company_links(seeded: Driver) -> None:
    types = one(
        seeded,
        "MATCH (:Company)-[r]->(:Company) WHERE type(r) <> 'SUBSIDIARY_OF' "
        "RETURN collect(DISTINCT type(r))",
    )
    assert set(types) == {
        "SUPPLIES",
        "DISTRIBUTES_FOR",
        "PARTNERS_WITH",
        "INVESTS_IN",
        "INFLUENCES_PURCHASE",
        "INCUMBENT_AT",
    }
    incumbent = query(seeded, "MATCH ()-[r:INCUMBENT_AT]->() RETURN r{.*} AS r")[0]["r"]
    assert incumbent["repName"] == "赵磊"
    assert 0 <= incumbent["satisfaction"] <= 1


def test_exactly_one_job_change(seeded: Driver) -> None:
    rows = query(
        seeded,
        "MATCH (p:Person)-[w:WORKS_AT]->(c:Company) WITH p, collect(w) AS ws "
        "WHERE size(ws) = 2 RETURN p.id AS id, "
        "[w IN ws WHERE w.until IS NOT NULL | toString(w.until)] AS ended, "
        "[w IN ws WHERE w.until IS NULL | toString(w.since)] AS current",
    )
    # `until` is exclusive: she worked at the supplier through 2024-06-30 (tester AQ found no
    # employer on that day when it said 2024-06-30)
    assert rows == [{"id": data.JOB_CHANGER_ID, "ended": ["2024-07-01"], "current": ["2024-07-01"]}]
    assert one(seeded, "MATCH ()-[w:WORKS_AT]->() WHERE w.until IS NOT NULL RETURN count(w)") == 1


def test_people_ties(seeded: Driver) -> None:
    kinds = one(seeded, "MATCH ()-[r:RELATED_TO]->() RETURN collect(DISTINCT r.kind)")
    assert {"SPOUSE", "FORMER_COLLEAGUE", "CLASSMATE"} <= set(kinds)
    assert one(seeded, "MATCH ()-[r:REPORTS_TO {kind: 'DOTTED'}]->() RETURN count(r)") >= 2
    scoped = one(
        seeded, "MATCH ()-[r:INFLUENCES]->() WHERE r.projectId IS NOT NULL RETURN count(r)"
    )
    assert scoped >= 3
    across = one(
        seeded,
        "MATCH (a)-[:INFLUENCES]->(b), (a)-[wa:WORKS_AT]->(ca), (b)-[wb:WORKS_AT]->(cb) "
        "WHERE wa.until IS NULL AND wb.until IS NULL AND ca <> cb RETURN count(*)",
    )
    assert across >= 1
    assert (
        one(
            seeded,
            "MATCH ()-[r:INFLUENCES]->() WHERE NOT r.strength >= 0 OR NOT r.strength <= 1 "
            "RETURN count(r)",
        )
        == 0
    )


def test_projects_and_roles(seeded: Driver) -> None:
    rows = query(
        seeded,
        "MATCH (p:Project)-[:FOR]->(c:Customer) WHERE p.id IN $ids "
        "OPTIONAL MATCH (p)<-[r:PARTICIPATES_IN]-(:Person) "
        "RETURN p.id AS id, collect(DISTINCT r.role) AS roles",
        ids=[data.demo_id("project", k) for k in data.PROJECTS],
    )
    assert len(rows) == 3
    all_roles = {
        "DECISION_MAKER",
        "ECONOMIC_BUYER",
        "TECHNICAL_EVALUATOR",
        "FINANCIAL_APPROVER",
        "USER",
        "INFLUENCER",
        "CHAMPION",
        "GATEKEEPER",
        "BLOCKER",
    }
    missing = {r["id"]: all_roles - set(r["roles"]) for r in rows}
    assert missing[data.SMART_FACTORY_PROJECT_ID] == {"FINANCIAL_APPROVER"}
    assert sum(1 for m in missing.values() if m) == 1
    stances = one(seeded, "MATCH ()-[r:PARTICIPATES_IN]->() RETURN collect(DISTINCT r.stance)")
    assert set(stances) == {"SUPPORTER", "NEUTRAL", "OPPONENT", "UNKNOWN"}
    changes = one(
        seeded,
        "MATCH (s:StanceChange), (:Person {id: s.personId})-[r:PARTICIPATES_IN]->"
        "(:Project {id: s.projectId}) RETURN count(DISTINCT s)",
    )
    assert changes == len(data.STANCE_CHANGES)


def test_hidden_influencer(seeded: Driver) -> None:
    rows = query(
        seeded,
        "MATCH (h:Person)-[i:INFLUENCES]->(dm:Person)-[:PARTICIPATES_IN {role: 'DECISION_MAKER'}]"
        "->(p:Project) WHERE NOT (h)-[:PARTICIPATES_IN]->(p) "
        "AND (i.projectId IS NULL OR i.projectId = p.id) AND p.id IN $ids "
        "RETURN h.id AS hidden, dm.id AS dm, p.id AS project, i.strength AS strength",
        ids=[data.demo_id("project", k) for k in data.PROJECTS],
    )
    strong = [r for r in rows if r["strength"] >= 0.8]
    assert strong == [
        {
            "hidden": data.HIDDEN_INFLUENCER_ID,
            "dm": data.DECISION_MAKER_ID,
            "project": data.SMART_FACTORY_PROJECT_ID,
            "strength": 0.9,
        }
    ]


def test_opponent_with_high_influence(seeded: Driver) -> None:
    rows = query(
        seeded,
        "MATCH (o:Person)-[r:PARTICIPATES_IN {stance: 'OPPONENT'}]->(p:Project), "
        "(o)-[i:INFLUENCES]->(:Person)-[:PARTICIPATES_IN {role: 'DECISION_MAKER'}]->(p) "
        "WHERE i.strength >= 0.7 RETURN o.name AS name",
    )
    assert rows == [{"name": "马强"}]


def test_warm_path_to_an_unknown_decision_maker(seeded: Driver) -> None:
    assert (
        one(
            seeded,
            "MATCH (:User)-[:KNOWS]->(p:Person {id: $id}) RETURN count(*)",
            id=data.DECISION_MAKER_ID,
        )
        == 0
    )
    hops = one(
        seeded,
        "MATCH p = shortestPath((:User)-[:KNOWS|INFLUENCES|RELATED_TO|REPORTS_TO*..3]-"
        "(:Person {id: $id})) RETURN min(length(p))",
        id=data.DECISION_MAKER_ID,
    )
    assert hops in (2, 3)
    three = one(
        seeded,
        "MATCH (:User)-[:KNOWS]->(:Person)-[:RELATED_TO]-(h:Person)-[:INFLUENCES]->"
        "(:Person {id: $id}) RETURN collect(DISTINCT h.id)",
        id=data.DECISION_MAKER_ID,
    )
    assert three == [data.HIDDEN_INFLUENCER_ID]


def test_customers_and_staff(seeded: Driver) -> None:
    kinds = query(
        seeded,
        "MATCH (c:Customer) RETURN c.customerKind AS kind, "
        "CASE WHEN c:Person THEN 'Person' ELSE 'Company' END AS label, count(*) AS n "
        "ORDER BY kind",
    )
    assert {(r["kind"], r["label"]) for r in kinds} == {
        ("ENTERPRISE", "Company"),
        ("INDIVIDUAL", "Person"),
    }
    assert one(seeded, "MATCH (c:Customer) WHERE c.customerCode IS NULL RETURN count(c)") == 0
    teams = one(
        seeded,
        "MATCH (u:User) WHERE u.id IN $ids RETURN collect(DISTINCT u.team)",
        ids=[data.demo_id("user", k) for k in data.USERS],
    )
    assert set(teams) == {"EAST", "WEST", "HQ"}
    assert one(seeded, "MATCH (:User)-[r:OWNS]->(:Customer) RETURN count(r)") == len(data.OWNS)
    # Each demo pipeline deal has its lead on the team too.
    assert one(seeded, "MATCH (:User)-[r:ON_TEAM]->(:Project) RETURN count(r)") == len(
        data.ON_TEAM
    ) + len(demo_pipeline.DEALS)


def test_found_by_full_text_search(seeded: Driver) -> None:
    names = one(
        seeded,
        "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh() "
        "CALL db.index.fulltext.queryNodes('party_names', '华星') YIELD node "
        "RETURN collect(node.id)",
    )
    assert data.GROUP_ID in names


def test_teams_personas_and_share(seeded: Driver) -> None:
    parents = query(
        seeded,
        "MATCH (t:Team) OPTIONAL MATCH (t)-[:PART_OF]->(p:Team) "
        "RETURN t.code AS code, p.code AS parent ORDER BY code",
    )
    assert {r["code"]: r["parent"] for r in parents} == {"EAST": "HQ", "HQ": None, "WEST": "HQ"}
    # Every demo user names an existing team, and every role has a demo persona.
    orphans = "MATCH (u:User) WHERE NOT EXISTS { MATCH (:Team {code: u.team}) } RETURN count(u)"
    assert one(seeded, orphans) == 0
    roles = {r for (_, _, _, user_roles, _) in data.USERS.values() for r in user_roles}
    assert roles == {"ADMIN", "MANAGER", "SALES", "ANALYST", "AUDITOR"}
    keys = [key for (*_, key) in data.USERS.values()]
    assert len(set(keys)) == len(keys)
    share = query(
        seeded,
        "MATCH (c:Company)-[s:SHARED_WITH]->(u:User) "
        "RETURN c.id AS company, u.id AS user, s.level AS level, s.by AS by",
    )
    assert share == [
        {
            "company": data.demo_id("company", "hx_cloud"),
            "user": data.demo_id("user", "zhang_wei"),
            "level": "READ",
            "by": data.WEST_SALES_USER_ID,
        }
    ]


def test_two_years_of_records_tell_the_story(seeded: Driver) -> None:
    jv, suzhou = data.demo_id("company", "hx_jv"), data.demo_id("company", "hx_suzhou")
    span = query(
        seeded,
        "MATCH (r:Record) RETURN duration.inDays(min(r.occurredAt), max(r.occurredAt)).days AS d",
    )[0]["d"]
    assert 600 < span < 760
    # Every record is about one customer and has its kind label (marked team knowledge aside).
    odd = (
        "MATCH (r:Record) WHERE COUNT { (r)-[:ABOUT]->(:Customer) } <> 1 "
        "OR size([x IN labels(r) WHERE x <> 'Knowledge']) <> 2 RETURN count(r)"
    )
    assert one(seeded, odd) == 0
    # 华星合资 stopped ordering eight months ago, after a complaint and a poor survey.
    last = (
        "MATCH (:Company {id: $c})<-[:ABOUT]-(o:Order) "
        "RETURN duration.inDays(max(o.occurredAt), datetime()).days"
    )
    assert one(seeded, last, c=jv) >= 8 * 30
    assert (
        one(seeded, "MATCH (:Company {id: $c})<-[:ABOUT]-(s:Survey) RETURN min(s.score)", c=jv) == 2
    )
    # 苏州: an open complaint and an order past its due date without payment.
    open_cases = (
        "MATCH (:Company {id: $c})<-[:ABOUT]-(s:ServiceCase {status: 'IN_PROGRESS'}) "
        "RETURN count(s)"
    )
    assert one(seeded, open_cases, c=suzhou) == 1
    unpaid = (
        "MATCH (:Company {id: $c})<-[:ABOUT]-(o:Order) WHERE o.paymentDueOn < date() "
        "AND NOT EXISTS { (o)<-[:AGAINST]-(:Payment) } RETURN count(o)"
    )
    assert one(seeded, unpaid, c=suzhou) >= 1
    # Seasonal: February is the quietest month, December the busiest.
    by_month = {
        r["m"]: r["n"]
        for r in query(seeded, "MATCH (o:Order) RETURN o.occurredAt.month AS m, count(o) AS n")
    }
    assert by_month.get(2, 0) < by_month[12]
    # Lines add up to the order; payments never exceed it.
    assert one(seeded, "MATCH (o:Order) WHERE o.amountCents <> "
                       "reduce(s = 0, l IN [(o)-[l:LINE]->() | l.amountCents] | s + l) "
                       "RETURN count(o)") == 0  # fmt: skip
    assert one(seeded, "MATCH (p:Payment)-[:AGAINST]->(o:Order) "
                       "WHERE p.amountCents > o.amountCents RETURN count(p)") == 0  # fmt: skip
    assert one(seeded, "MATCH (:Company)-[r:REFERRED]->(:Person:Customer) RETURN count(r)") == 1
    assert one(seeded, "MATCH (f:FollowUp {status: 'OPEN'}) RETURN count(f)") >= 4


def test_a_sales_manager_sees_the_demo_pipeline(
    app_client: TestClient, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    """Issue 17's acceptance on the demo: the funnel, the forecast moving, and the riskiest
    deals with their reasons."""
    assert seed(neo4j_server) is True

    def post(key: str, text: str) -> dict[str, Any]:
        r = app_client.post(
            "/graphql", json={"query": text}, headers={"Authorization": f"Bearer {key}"}
        )
        body = r.json()
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    funnel = post(
        "demo-admin-key",
        '{ funnel(since: "2025-06-01") { cohort won lost winRate steps { stage reached '
        "conversion medianDays } lossReasons { reason count amount } } }",
    )["funnel"]
    assert funnel["cohort"] == len(data.PROJECTS) + len(demo_pipeline.DEALS)
    assert (funnel["won"], funnel["lost"]) == (2, 2)
    assert funnel["winRate"] == 0.5
    assert funnel["lossReasons"] == [
        {"reason": "COMPETITOR", "count": 1, "amount": 3_200_000.0},
        {"reason": "NO_BUDGET", "count": 1, "amount": 1_500_000.0},
    ]
    lead = funnel["steps"][0]
    assert lead["reached"] == funnel["cohort"]
    assert lead["medianDays"] is not None
    forecast = post(
        "demo-admin-key", "{ forecast { total { open weighted } totalThen { open weighted } } }"
    )["forecast"]
    assert forecast["total"]["weighted"] > 0
    assert forecast["total"] != forecast["totalThen"]
    risky = post(
        "demo-admin-key",
        "{ atRiskOpportunities(first: 3) { items { score project { id name } "
        "flags { flag reasonZh } } } }",
    )["atRiskOpportunities"]["items"]
    assert len(risky) == 3
    assert [r["score"] for r in risky] == sorted((r["score"] for r in risky), reverse=True)
    by_id = {r["project"]["id"]: r for r in risky}
    platform = by_id[data.demo_id("project", "group_data")]
    assert {"CLOSE_DATE_PASSED", "DECISION_MAKER_UNKNOWN_TO_STAFF"} <= {
        f["flag"] for f in platform["flags"]
    }
    # 王芳 manages EAST: her funnel counts EAST's accounts only.
    east = post("demo-east-manager-key", '{ funnel(since: "2025-06-01") { cohort } }')["funnel"]
    assert 0 < east["cohort"] < funnel["cohort"]


def test_a_manager_sees_plan_against_actual_and_team_knowledge(
    app_client: TestClient, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    """Issue 17's acceptance: 王芳 (EAST manager) opens last month's plan-versus-actual table for
    her team and people, with real numbers, and finds the price objection's answer."""
    assert seed(neo4j_server) is True
    last_month = plans.previous(plans.period_of(clock.today(), plans.PeriodKind.MONTH)).key

    def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = app_client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": "Bearer demo-east-manager-key"},
        )
        body = r.json()
        assert not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    table = (
        "query($p: String!, $d: PlanDimension!) { planVsActual(period: $p, dimension: $d) "
        "{ rows { plan planSource actual percentage forecastMethod team { code } "
        "user { name } } } }"
    )
    teams = post(table, {"p": last_month, "d": "TEAM"})["planVsActual"]["rows"]
    assert [(t["team"]["code"], t["planSource"]) for t in teams] == [("EAST", "ROLLUP")]
    assert float(teams[0]["plan"]) > 0
    assert teams[0]["forecastMethod"] == "FINAL"
    people = post(table, {"p": last_month, "d": "USER"})["planVsActual"]["rows"]
    assert {p["user"]["name"] for p in people} <= {"张伟 Zhang Wei", "王芳 Wang Fang"}
    assert any(float(p["actual"]) > 0 for p in people)
    found = post('{ knowledgeSearch(text: "异议", first: 5) { nodes { title tags } } }', {})[
        "knowledgeSearch"
    ]["nodes"]
    assert [n["title"] for n in found] == ["报价异议：用三年总拥有成本回应价格顾虑"]
