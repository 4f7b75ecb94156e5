"""graph/outreach.py on a real Neo4j: the audience (decision makers, consent, only customers
the sender may edit), at-most-once claims, recovery of interrupted sends, idempotent job
creation and a sent message archived as exactly one Interaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph import outreach as repo
from graph.db import Database
from graph.nodes import Audit
from graph.server import LocalNeo4j
from neo4j import Driver
from tests.conftest import PERSONAS
from tests.graph.reading import actor_of, run

OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]

GRAPH = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
CREATE (o)-[:OWNS]->(c:Company:Customer {id: 'g-c1', name: '甲公司', tier: 'CORE', version: 1})
CREATE (w)-[:OWNS]->(x:Company:Customer {id: 'g-c2', name: '乙公司', tier: 'CORE', version: 1})
CREATE (o)-[:OWNS]->(:Company:Customer {id: 'g-c3', name: '丙公司', tier: 'GENERAL',
        version: 1})
CREATE (:Person {id: 'g-dm', name: '决策人', email: 'dm@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT]->(c)
CREATE (pm:Person {id: 'g-pm', name: '项目决策人', email: 'pm@example.com', version: 1})
       -[:WORKS_AT]->(c)
CREATE (pm)-[:PARTICIPATES_IN {role: 'DECISION_MAKER'}]->(:Project {id: 'g-pr', name: 'P',
        version: 1})-[:FOR]->(c)
CREATE (:Person {id: 'g-left', name: '离职', email: 'left@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT {until: date() - duration('P1D')}]->(c)
CREATE (:Person {id: 'g-user', name: '使用者', email: 'user@example.com', version: 1})
       -[:WORKS_AT]->(c)
CREATE (:Person {id: 'g-other', name: '乙决策人', email: 'o@example.com',
        hasPurchasingPower: true, version: 1})-[:WORKS_AT]->(x)
WITH 1 AS one UNWIND ['g-dm', 'g-other'] AS p
CREATE (:Consent {id: p, personId: p, purpose: 'MARKETING', granted: true, source: 'WRITTEN',
        at: datetime() - duration('P1D')})
"""


@pytest.fixture
def graph(cypher: Driver, neo4j_server: LocalNeo4j, outreach_paused: None) -> LocalNeo4j:
    cypher.execute_query(GRAPH, owner=OWNER, west=WEST_REP, database_="neo4j")
    return neo4j_server


def test_a_segment_reaches_the_current_decision_makers_of_customers_the_sender_edits(
    graph: LocalNeo4j,
) -> None:
    async def main(db: Database) -> tuple[list[repo.RecipientRow], int]:
        owner = await actor_of(db, "owner")
        return await repo.audience(db, owner, None, repo.Segment(tiers=["CORE"]))

    rows, matched = run(graph, main)
    assert matched == 1  # 乙公司 belongs to the west team; 丙公司 is GENERAL
    by_person = {r["personId"]: r for r in rows}
    # Who decides: by the flag or by a DECISION_MAKER role; not someone who left, not a user.
    assert set(by_person) == {"g-dm", "g-pm"}
    assert by_person["g-dm"]["consented"] is True
    assert by_person["g-pm"]["consented"] is False
    assert by_person["g-pm"]["latestGranted"] is None


def test_a_company_without_a_decision_maker_gives_one_row_to_skip(graph: LocalNeo4j) -> None:
    async def main(db: Database) -> list[repo.RecipientRow]:
        owner = await actor_of(db, "owner")
        rows, _ = await repo.audience(db, owner, ["g-c3"], None)
        return rows

    [row] = run(graph, main)
    assert (row["customerId"], row["personId"]) == ("g-c3", None)


def _job(job_id: str, status: str = "PENDING") -> list[dict[str, Any]]:
    key = repo.message_key(job_id, "g-c1", "g-dm")
    props = {"seq": 1, "key": key, "status": status, "channel": "EMAIL", "customerId": "g-c1",
             "personId": "g-dm", "address": "dm@example.com", "subject": "主题",
             "body": "正文"}  # fmt: skip
    return [{"key": key, "id": repo.message_id(key), "customerId": "g-c1", "personId": "g-dm",
             "props": props}]  # fmt: skip


def test_a_message_is_claimed_once_and_archived_once(graph: LocalNeo4j, cypher: Driver) -> None:
    async def main(db: Database) -> tuple[list[Any], str | None, str | None]:
        owner = await actor_of(db, "owner")
        who = Audit(owner, "outreach.send", "test")
        messages = _job("job-1")
        for _ in range(2):  # a retried creation makes no second message
            await repo.create_job(db, "job-1", repo.OutreachChannel.EMAIL, "t", 60, "{}",
                                  messages, who)  # fmt: skip
        mid = messages[0]["id"]
        claims = await asyncio.gather(*(repo.claim(db, mid, who) for _ in range(4)))
        message = next(m for m, _ in claims if m is not None)
        first = await repo.mark_sent(db, message, "p-1", who)
        second = await repo.mark_sent(db, message, "p-1", who)  # a repeated call: no-op
        return claims, first, second

    claims, first, second = run(graph, main)
    assert sum(1 for m, _ in claims if m is not None) == 1
    assert first is not None
    assert second is None  # no longer SENDING: nothing written again
    counts = cypher.execute_query(
        "MATCH (m:OutreachMessage) WITH count(m) AS messages "
        "MATCH (r:Interaction {externalSource: 'outreach'})-[:ABOUT]->(:Company {id: 'g-c1'}) "
        "RETURN messages, count(r) AS records, collect(r.channel) AS channels",
        database_="neo4j",
    ).records[0]
    assert (counts["messages"], counts["records"], counts["channels"]) == (1, 1, ["EMAIL"])


def test_a_claim_skips_a_person_who_withdrew_and_a_sender_who_may_not_edit(
    graph: LocalNeo4j, cypher: Driver
) -> None:
    async def main(db: Database) -> list[tuple[Any, str | None]]:
        owner = await actor_of(db, "owner")
        west = await actor_of(db, "other_team")
        for job in ("job-a", "job-b"):
            await repo.create_job(db, job, repo.OutreachChannel.EMAIL, job, 60, "{}", _job(job),
                                  Audit(owner, "outreach.send", "test"))  # fmt: skip
        cypher.execute_query(
            "CREATE (:Consent {id: 'w', personId: 'g-dm', purpose: 'MARKETING', "
            "granted: false, at: datetime()})",
            database_="neo4j",
        )
        a = await repo.claim(db, _job("job-a")[0]["id"], Audit(owner, "x", "t"))
        b = await repo.claim(db, _job("job-b")[0]["id"], Audit(west, "x", "t"))
        return [a, b]

    (_, a), (_, b) = run(graph, main)
    assert a == "CONSENT_WITHDRAWN"
    assert b == "NOT_PERMITTED"


def test_recovery_marks_only_interrupted_sends_unknown(graph: LocalNeo4j, cypher: Driver) -> None:
    async def main(db: Database) -> int:
        owner = await actor_of(db, "owner")
        who = Audit(owner, "outreach.send", "test")
        for job in ("old", "new"):
            await repo.create_job(db, job, repo.OutreachChannel.EMAIL, job, 60, "{}", _job(job),
                                  who)  # fmt: skip
            await repo.claim(db, _job(job)[0]["id"], who)
        cypher.execute_query(
            "MATCH (m:OutreachMessage {jobId: 'old'}) "
            "SET m.sendingAt = datetime() - duration('PT10M')",
            database_="neo4j",
        )
        return await repo.recover(db, who)

    assert run(graph, main) == 1
    states = cypher.execute_query(
        "MATCH (m:OutreachMessage) RETURN m.jobId AS job, m.status AS status, m.reason AS reason "
        "ORDER BY job",
        database_="neo4j",
    ).records
    assert [(r["job"], r["status"], r["reason"]) for r in states] == [
        ("new", "SENDING", None),
        ("old", "UNKNOWN", "INTERRUPTED"),
    ]
