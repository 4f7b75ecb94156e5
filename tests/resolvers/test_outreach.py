"""Outreach through the API: a Chinese e-mail template delivered once to a local SMTP server
(aiosmtpd) and archived once on each customer's timeline; a job resumed after a simulated
restart sends nothing twice; recipients without consent, erased or bounced are skipped with
their reason; invisible customers are never addressed; SMS goes to the outbox; template errors
are typed and hostile templates refused."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.testclient import TestClient

from graph.server import free_port
from neo4j import Driver
from resolvers.outreach import OutboxChannel, OutreachChannel, Runner, SmtpChannel, SmtpConfig
from tests.conftest import GQL, PERSONAS

NS = uuid.UUID("8d1f3c6a-52b4-4e7f-9a0c-6b2e1d4f7a93")
OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


C1, P2, C3 = fid("c1"), fid("p2"), fid("c3")
ZHANG, LI, WANG, ZHAO, BOUNCE, ERASED, WEST = (
    fid(x) for x in ("zhang", "li", "wang", "zhao", "bounce", "erased", "west")
)

GRAPH = """
MATCH (o:User {id: $owner}), (w:User {id: $west})
CREATE (o)-[:OWNS]->(c1:Company:Customer {id: $c1, name: '华东机械', customerCode: 'HD-01',
        customerKind: 'ENTERPRISE', tier: 'CORE', version: 1})
CREATE (o)-[:OWNS]->(p2:Person:Customer {id: $p2, name: '陈个人', email: 'chen@example.com',
        mobile: '+8613800000002', customerKind: 'INDIVIDUAL', version: 1})
CREATE (w)-[:OWNS]->(c3:Company:Customer {id: $c3, name: '西部客户', tier: 'CORE', version: 1})
CREATE (:Person {id: $zhang, name: '张伟', email: 'zhang@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT {title: '采购经理'}]->(c1)
CREATE (:Person {id: $li, name: '李娜', email: 'li@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $wang, name: '王强', email: 'wang@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $zhao, name: '赵六', email: 'zhao@example.com', hasPurchasingPower: false,
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $bounce, name: '退信', email: 'bounce@example.com', hasPurchasingPower: true,
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $erased, name: '已删除个人', erasedAt: datetime(), hasPurchasingPower: true,
        version: 1})-[:WORKS_AT]->(c1)
CREATE (:Person {id: $westP, name: '西部联系人', email: 'west@example.com',
        hasPurchasingPower: true, version: 1})-[:WORKS_AT]->(c3)
WITH 1 AS one
UNWIND [[$zhang, true, 'P2D'], [$wang, true, 'P2D'], [$wang, false, 'P1D'],
        [$zhao, true, 'P2D'], [$bounce, true, 'P2D'], [$erased, true, 'P2D'],
        [$westP, true, 'P2D'], [$p2, true, 'P2D']] AS c
CREATE (:Consent {id: c[0] + '/' + c[2], personId: c[0], purpose: 'MARKETING', granted: c[1],
        source: 'WRITTEN', at: datetime() - duration(c[2]), by: 'test'})
"""

SAVE = """mutation($input: SaveMessageTemplateInput!) { saveMessageTemplate(input: $input) {
  template { id name channel locale subject body version variables }
  errors { code field message } } }"""
SEND = """mutation($input: SendOutreachInput!) { sendOutreach(input: $input) {
  job { id status channel counts { total pending sent failed skipped unknown } }
  dryRun customers addressed skipped
  planned { customerId personId willSend reason email mobile subject body }
  errors { code field message } } }"""
JOB = """query($id: ID!) { outreachJob(id: $id) { id status finishedAt cancelledAt cancelledBy
  counts { total pending sending sent failed skipped unknown } } }"""
MESSAGES = """query($id: ID!) { outreachMessages(jobId: $id) { id seq status reason failure
  customerId personId email mobile subject body recordId person { id name } } }"""
TIMELINE = """query($id: ID!) { timeline(party: $id, first: 50) { nodes { id kind subject notes
  ... on Interaction { channel direction } contacts { id } staff { id } } } }"""

EMAIL_ZH = {
    "name": "新品介绍",
    "channel": "EMAIL",
    "locale": "ZH_CN",
    "subject": "{{ customer.name }}：新品介绍",
    "body": "{{ contact.name }}您好：\n我是贵司的客户经理{{ owner.name }}。"
    "{% if contact.title %}（{{ contact.title }}）{% endif %}\n—— {{ sender.name }}",
}
SMS_EN = {
    "name": "Visit reminder",
    "channel": "SMS",
    "locale": "EN",
    "body": "Hi {{ contact.name }}, {{ owner.name }} will visit {{ customer.name }} next week.",
}


@pytest.fixture
def people(cypher: Driver) -> None:
    cypher.execute_query(
        GRAPH,
        owner=OWNER,
        west=WEST_REP,
        c1=C1,
        p2=P2,
        c3=C3,
        zhang=ZHANG,
        li=LI,
        wang=WANG,
        zhao=ZHAO,
        bounce=BOUNCE,
        erased=ERASED,
        westP=WEST,
        database_="neo4j",
    )


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and refuses `bounce@…` recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("bounce@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = cast(bytes, envelope.original_content or envelope.content)
        mail = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        self.received.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


def _runner(client: TestClient) -> Runner:
    return cast(Runner, cast(Any, client.app).state.outreach)


@pytest.fixture
def smtp(gql: GQL) -> Iterator[Inbox]:
    """A local SMTP server the app's runner delivers e-mail to, for this test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=port, starttls=False, timeout=10))
    _runner(gql.client).configure(OutreachChannel.EMAIL, channel)
    try:
        yield inbox
    finally:
        _runner(gql.client).configure(OutreachChannel.EMAIL, OutboxChannel())
        controller.stop()


def template(gql: GQL, data: dict[str, Any]) -> str:
    payload = gql(SAVE, {"input": data}).data["saveMessageTemplate"]
    assert payload["errors"] == []
    return str(payload["template"]["id"])


def send(gql: GQL, data: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = gql(SEND, {"input": data}).data["sendOutreach"]
    return payload


def finished(gql: GQL, job_id: str, timeout: float = 60.0, status: str = "DONE") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = gql(JOB, {"id": job_id}).data["outreachJob"]
        if job["status"] != "RUNNING":
            assert job["status"] == status, job
            assert job["finishedAt"] is not None, job
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} did not finish: {job}")


def by_person(messages: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {m["personId"]: m for m in messages}


def interactions(cypher: Driver, message_id: str) -> int:
    rows = cypher.execute_query(
        "MATCH (r:Interaction {externalSource: 'outreach', externalId: $id}) RETURN count(r) AS n",
        id=message_id,
        database_="neo4j",
    ).records
    return int(rows[0]["n"])


def test_a_chinese_email_is_delivered_once_and_archived_once_on_each_timeline(
    gql: GQL, people: None, smtp: Inbox, cypher: Driver
) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    sent = send(owner, {"template": tid, "audience": {"customers": [C1, P2]},
                        "ratePerMinute": 600})  # fmt: skip
    assert sent["errors"] == []
    assert (sent["customers"], sent["addressed"], sent["skipped"]) == (2, 3, 3)
    job = finished(gql, sent["job"]["id"])
    assert job["counts"] == {"total": 6, "pending": 0, "sending": 0, "sent": 2, "failed": 1,
                             "skipped": 3, "unknown": 0}  # fmt: skip

    # What the SMTP server received: one e-mail each, in Chinese, to the right address.
    assert len(smtp.received) == 2
    [zhang] = smtp.to("zhang@example.com")
    assert zhang["Subject"] == "华东机械：新品介绍"
    body = zhang.get_content()
    assert "张伟您好" in body
    assert "客户经理王销售 Wang (owner)" in body
    assert "（采购经理）" in body
    assert "—— 王销售 Wang (owner)" in body
    [chen] = smtp.to("chen@example.com")
    assert chen["Subject"] == "陈个人：新品介绍"
    assert "陈个人您好" in chen.get_content()

    messages = by_person(gql(MESSAGES, {"id": sent["job"]["id"]}).data["outreachMessages"])
    assert messages[ZHANG]["status"] == "SENT"
    assert messages[P2]["status"] == "SENT"
    assert messages[BOUNCE]["status"] == "FAILED"
    assert "550" in messages[BOUNCE]["failure"]
    # Each sent message is on its customer's timeline exactly once, as an e-mail by the sender.
    for person, customer in ((ZHANG, C1), (P2, P2)):
        message = messages[person]
        assert interactions(cypher, message["id"]) == 1
        timeline = gql(TIMELINE, {"id": customer}).data["timeline"]["nodes"]
        [record] = [r for r in timeline if r["id"] == message["recordId"]]
        assert record["channel"] == "EMAIL"
        assert record["direction"] == "OUTBOUND"
        assert record["subject"] == message["subject"]
        assert record["staff"] == [{"id": OWNER}]
    assert interactions(cypher, messages[BOUNCE]["id"]) == 0
    # The refused address is marked on the person, and later jobs skip it.
    status = cypher.execute_query(
        "MATCH (p:Person {id: $id}) RETURN p.emailStatus AS s, p.emailStatusMethod AS m",
        id=BOUNCE,
        database_="neo4j",
    ).records[0]
    assert (status["s"], status["m"]) == ("BOUNCED", "SMTP_REJECT")
    again = send(owner, {"template": tid, "audience": {"customers": [C1]}, "dryRun": True})
    assert by_person(again["planned"])[BOUNCE]["reason"] == "BOUNCED"


def test_one_template_reaches_nobody_twice_across_jobs(
    gql: GQL, people: None, cypher: Driver
) -> None:
    """A send clicked three times at once: each person is addressed by one job; the others
    skip them as RECENTLY_SENT, and so does a later dry run. Another template still goes."""
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    data = {"template": tid, "audience": {"customers": [C1, P2]}, "ratePerMinute": 600}
    with ThreadPoolExecutor(max_workers=3) as pool:
        sent = list(pool.map(lambda _: send(owner, data), range(3)))
    assert [s["errors"] for s in sent] == [[], [], []]
    assert sorted(s["addressed"] for s in sent) == [0, 0, 3]
    for s in sent:
        finished(gql, s["job"]["id"])
    late = next(s for s in sent if s["addressed"] == 0)
    reasons = {k: v["reason"] for k, v in by_person(late["planned"]).items()}
    assert [reasons[k] for k in (ZHANG, BOUNCE, P2)] == ["RECENTLY_SENT"] * 3
    assert late["job"]["counts"]["pending"] == 0
    went = cypher.execute_query(
        "MATCH (m:OutreachMessage)-[:TO_PERSON]->(p:Person) WHERE m.status <> 'SKIPPED' "
        "RETURN p.id AS person, count(m) AS n",
        database_="neo4j",
    ).records
    assert {r["person"]: r["n"] for r in went} == dict.fromkeys((ZHANG, BOUNCE, P2), 1)
    dry = send(owner, {**data, "dryRun": True})
    assert (dry["addressed"], by_person(dry["planned"])[ZHANG]["reason"]) == (0, "RECENTLY_SENT")
    other = template(owner, {**EMAIL_ZH, "name": "回访"})
    assert send(owner, {**data, "template": other, "dryRun": True})["addressed"] == 3


def test_opt_outs_and_missing_consent_are_skipped_with_their_reason(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    dry = send(owner, {"template": tid, "audience": {"customers": [C1]}, "dryRun": True})
    assert dry["errors"] == []
    assert dry["job"] is None
    planned = by_person(dry["planned"])
    assert {k: (v["willSend"], v["reason"]) for k, v in planned.items()} == {
        ZHANG: (True, None),
        BOUNCE: (True, None),
        LI: (False, "NO_CONSENT"),
        WANG: (False, "CONSENT_WITHDRAWN"),
        ERASED: (False, "ERASED"),
    }  # 赵六 decides nothing: not a recipient at all
    assert planned[ZHANG]["body"].startswith("张伟您好")
    assert planned[LI]["body"] is None
    # A dry run writes nothing.
    assert gql("{ outreachJobs { id } }").data["outreachJobs"] == []


def test_a_channel_checked_as_not_working_is_skipped(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    verify = """mutation($id: ID!) { verifyChannels(input: {checks: [{id: $id, field: EMAIL,
      status: WRONG_PERSON, method: CALL}]}) { errors { code } } }"""
    assert owner(verify, {"id": ZHANG}).data["verifyChannels"]["errors"] == []
    dry = send(owner, {"template": template(owner, EMAIL_ZH), "audience": {"customers": [C1]},
                       "dryRun": True})  # fmt: skip
    planned = by_person(dry["planned"])
    assert (planned[ZHANG]["willSend"], planned[ZHANG]["reason"]) == (False, "NOT_WORKING")
    assert (planned[BOUNCE]["willSend"], planned[BOUNCE]["reason"]) == (True, None)


def test_a_saved_audience_is_resolved_when_used(gql: GQL, people: None) -> None:
    owner, west = gql.as_("owner"), gql.as_("other_team")
    save = """mutation($input: SaveOutreachAudienceInput!) { saveOutreachAudience(input: $input) {
      audience { id name tiers customers version } errors { code field } } }"""
    saved = owner(save, {"input": {"name": "核心客户", "audience": {"tiers": ["CORE"]}}})
    audience = saved.data["saveOutreachAudience"]["audience"]
    assert (audience["name"], audience["tiers"], audience["customers"]) == (
        "核心客户",
        ["CORE"],
        None,
    )
    tid = template(owner, EMAIL_ZH)
    dry = send(owner, {"template": tid, "audience": {"saved": audience["id"]}, "dryRun": True})
    # Both CORE customers match; the west one is not the owner's to write to.
    assert dry["errors"] == []
    assert {p["customerId"] for p in dry["planned"]} == {C1}
    # A class or a customer that is not there (or not the viewer's to see) is named.
    unknown = {"name": "无", "audience": {"customerClass": "nope"}}
    nope = owner(save, {"input": unknown}).data["saveOutreachAudience"]
    assert nope["errors"] == [{"code": "NOT_FOUND", "field": "input.audience.customerClass"}]
    nope = send(owner, {"template": tid, "audience": {"customerClass": "value:nope"}})
    assert [(e["code"], e["field"]) for e in nope["errors"]] == [
        ("NOT_FOUND", "input.audience.customerClass")
    ]
    ghost = {"name": "无", "audience": {"customers": [C1, "00000000-0000-4000-8000-0000000000ff"]}}
    nope = owner(save, {"input": ghost}).data["saveOutreachAudience"]
    assert nope["errors"] == [{"code": "NOT_FOUND", "field": "input.audience.customers[1]"}]
    mixed = send(owner, {"template": tid, "audience": {"saved": audience["id"], "customers": [C1]}})
    assert [(e["code"], e["field"]) for e in mixed["errors"]] == [
        ("VALIDATION", "input.audience.saved")
    ]
    # Another team neither sees nor uses nor changes it.
    assert west("{ outreachAudiences { id } }").data["outreachAudiences"] == []
    theirs = send(west, {"template": tid, "audience": {"saved": audience["id"]}, "dryRun": True})
    assert [e["code"] for e in theirs["errors"]] == ["NOT_FOUND"]
    renamed = {"id": audience["id"], "name": "改名", "audience": {"tiers": ["GENERAL"]}}
    refused = west(save, {"input": renamed}).data["saveOutreachAudience"]
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    again = owner(save, {"input": renamed}).data["saveOutreachAudience"]["audience"]
    assert (again["name"], again["tiers"], again["version"]) == ("改名", ["GENERAL"], 2)
    # A manager above sees it but only its creator (or ADMIN) changes it.
    above = gql.as_("manager_above")
    assert [a["id"] for a in above("{ outreachAudiences { id } }").data["outreachAudiences"]] == [
        audience["id"]
    ]
    delete = """mutation($id: ID!) { deleteOutreachAudience(input: {id: $id}) { id
      errors { code } } }"""
    assert [e["code"] for e in above(delete, {"id": audience["id"]}).data[
        "deleteOutreachAudience"]["errors"]] == ["FORBIDDEN"]  # fmt: skip
    assert owner(delete, {"id": audience["id"]}).data["deleteOutreachAudience"]["id"] == audience[
        "id"]  # fmt: skip
    assert gql("{ outreachAudiences { id } }").data["outreachAudiences"] == []


def test_a_withdrawal_after_the_job_was_created_stops_the_message(
    gql: GQL, people: None, cypher: Driver
) -> None:
    owner = gql.as_("owner")
    runner = _runner(gql.client)
    portal = gql.client.portal
    assert portal is not None
    portal.call(runner.stop)
    try:
        tid = template(owner, SMS_EN)
        sent = send(owner, {"template": tid, "audience": {"customers": [P2]}})
        assert sent["addressed"] == 1
        cypher.execute_query(
            "CREATE (:Consent {id: 'withdrawn', personId: $p, purpose: 'MARKETING', "
            "granted: false, source: 'VERBAL', at: datetime(), by: 'test'})",
            p=P2,
            database_="neo4j",
        )
    finally:
        portal.call(runner.start, cast(Any, gql.client.app).state.db)
    finished(gql, sent["job"]["id"])
    [message] = gql(MESSAGES, {"id": sent["job"]["id"]}).data["outreachMessages"]
    assert (message["status"], message["reason"]) == ("SKIPPED", "CONSENT_WITHDRAWN")
    assert gql("{ outboxMessages { id } }").data["outboxMessages"] == []


def test_a_sender_archived_while_the_job_runs_sends_no_more(
    gql: GQL, people: None, cypher: Driver
) -> None:
    # One message every 10 s: the sender's rights are read again before the next one.
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    sent = send(owner, {"template": tid, "audience": {"customers": [C1, P2]}, "ratePerMinute": 6})
    job = sent["job"]["id"]
    deadline = time.monotonic() + 30
    while gql(JOB, {"id": job}).data["outreachJob"]["counts"]["sent"] == 0:
        assert time.monotonic() < deadline, "the first message never went out"
        time.sleep(0.1)
    cypher.execute_query(
        "MATCH (u:User {id: $id}) SET u.archivedAt = datetime()", id=OWNER, database_="neo4j"
    )
    before = {m["id"]: m["status"] for m in gql(MESSAGES, {"id": job}).data["outreachMessages"]}
    waiting = {i for i, status in before.items() if status == "PENDING"}
    assert waiting, before  # two or more were addressed: some wait their turn
    finished(gql, job, timeout=90)
    after = {m["id"]: m for m in gql(MESSAGES, {"id": job}).data["outreachMessages"]}
    assert {(after[i]["status"], after[i]["reason"]) for i in waiting} == {
        ("SKIPPED", "NOT_PERMITTED")
    }
    assert sum(m["status"] == "SENT" for m in after.values()) == 1


CANCEL = """mutation($id: ID!) { cancelOutreachJob(input: {id: $id}) {
  job { id status counts { pending sent skipped } } cancelled errors { code field } } }"""


def test_a_running_job_can_be_stopped_by_its_sender_only(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    sent = send(owner, {"template": tid, "audience": {"customers": [C1, P2]}, "ratePerMinute": 1})
    job = sent["job"]["id"]
    # Another team's rep does not see it; the auditor sees it but sends nothing.
    west = gql.as_("other_team")(CANCEL, {"id": job}).data["cancelOutreachJob"]
    assert west["errors"] == [{"code": "NOT_FOUND", "field": "input.id"}]
    auditor = gql.as_("auditor")(CANCEL, {"id": job}).data["cancelOutreachJob"]
    assert auditor["errors"] == [{"code": "FORBIDDEN", "field": "input"}]
    stopped = owner(CANCEL, {"id": job}).data["cancelOutreachJob"]
    assert stopped["errors"] == []
    assert stopped["cancelled"] >= 1
    # CANCELLED at once, or once a message being sent has gone
    ended = finished(gql, job, status="CANCELLED")
    assert ended["cancelledBy"] == OWNER
    assert ended["cancelledAt"] is not None
    messages = gql(MESSAGES, {"id": job}).data["outreachMessages"]
    reasons = {m["reason"] for m in messages if m["status"] == "SKIPPED"}
    assert "CANCELLED" in reasons
    assert sum(m["reason"] == "CANCELLED" for m in messages) == stopped["cancelled"]
    assert all(m["status"] in ("SENT", "SKIPPED") for m in messages)
    again = owner(CANCEL, {"id": job}).data["cancelOutreachJob"]
    assert (again["errors"], again["cancelled"], again["job"]["status"]) == ([], 0, "CANCELLED")


def test_a_new_job_does_not_wait_out_a_slow_jobs_minute(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    slow = send(owner, {"template": tid, "audience": {"customers": [C1]}, "ratePerMinute": 1})
    deadline = time.monotonic() + 30
    while gql(JOB, {"id": slow["job"]["id"]}).data["outreachJob"]["counts"]["sent"] == 0:
        assert time.monotonic() < deadline, "the slow job's first message never went out"
        time.sleep(0.1)
    # The runner now pauses a minute for the slow job's next message; a new job ends it.
    fast = send(owner, {"template": tid, "audience": {"customers": [P2]}, "ratePerMinute": 600})
    job = finished(gql, fast["job"]["id"], timeout=40)
    assert job["counts"]["sent"] == 1
    stopped = owner(CANCEL, {"id": slow["job"]["id"]}).data["cancelOutreachJob"]
    assert stopped["errors"] == []


def test_a_job_resumed_after_a_restart_sends_nothing_twice(
    gql: GQL, people: None, smtp: Inbox, cypher: Driver
) -> None:
    owner = gql.as_("owner")
    client = gql.client
    portal = client.portal
    assert portal is not None
    app_state = cast(Any, client.app).state
    tid = template(owner, EMAIL_ZH)
    first = send(owner, {"template": tid, "audience": {"customers": [C1, P2]},
                         "ratePerMinute": 600})  # fmt: skip
    finished(gql, first["job"]["id"])
    assert len(smtp.received) == 2
    # A day later (a repeat within 24 hours would be skipped as RECENTLY_SENT).
    cypher.execute_query(
        "MATCH (m:OutreachMessage) SET m.createdAt = m.createdAt - duration('P2D')",
        database_="neo4j",
    )

    # The server goes down with a second job under way: one message was handed to SMTP
    # (SENDING) when it stopped, the other still PENDING.
    portal.call(app_state.outreach.stop)
    second = send(owner, {"template": tid, "audience": {"customers": [C1, P2]},
                          "ratePerMinute": 600})  # fmt: skip
    assert second["job"]["status"] == "RUNNING"
    cypher.execute_query(
        "MATCH (m:OutreachMessage {jobId: $job, personId: $p}) "
        "SET m.status = 'SENDING', m.sendingAt = datetime() - duration('PT10M')",
        job=second["job"]["id"],
        p=ZHANG,
        database_="neo4j",
    )

    # A new process: a new runner resumes every RUNNING job (twice, to be sure).
    email = app_state.outreach.channels[OutreachChannel.EMAIL]
    for restart in range(2):
        runner = Runner(email)
        app_state.outreach = runner
        portal.call(runner.start, app_state.db)
        job = finished(gql, second["job"]["id"])
        assert job["counts"]["unknown"] == 1, restart
        assert job["counts"]["sent"] == 1, restart
        if restart == 0:
            portal.call(runner.stop)

    messages = by_person(gql(MESSAGES, {"id": second["job"]["id"]}).data["outreachMessages"])
    assert (messages[ZHANG]["status"], messages[ZHANG]["reason"]) == ("UNKNOWN", "INTERRUPTED")
    assert messages[P2]["status"] == "SENT"
    # Three e-mails in all: the first job's two, and the second job's one PENDING message.
    # Nothing of the first job again, and not the interrupted one.
    assert len(smtp.received) == 3
    assert len(smtp.to("zhang@example.com")) == 1
    assert len(smtp.to("chen@example.com")) == 2
    assert interactions(cypher, messages[ZHANG]["id"]) == 0
    assert interactions(cypher, messages[P2]["id"]) == 1
    first_messages = gql(MESSAGES, {"id": first["job"]["id"]}).data["outreachMessages"]
    assert sorted(m["status"] for m in first_messages).count("SENT") == 2


def test_sms_goes_to_the_outbox_and_onto_the_timeline(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    tid = template(owner, SMS_EN)
    sent = send(owner, {"template": tid, "audience": {"customers": [P2]}, "ratePerMinute": 600})
    job = finished(gql, sent["job"]["id"])
    assert job["counts"]["sent"] == 1
    query = "{ outboxMessages(channel: SMS) { id channel mobile email subject body jobId } }"
    [entry] = gql(query).data["outboxMessages"]
    assert entry["body"] == "Hi 陈个人, 王销售 Wang (owner) will visit 陈个人 next week."
    assert entry["mobile"] == "+8613800000002"  # ADMIN reads the number
    assert entry["subject"] is None
    assert entry["jobId"] == sent["job"]["id"]
    [masked] = owner(query).data["outboxMessages"]
    assert masked["mobile"] == "+86138****0002"  # SALES sees it masked
    # Someone who does not see the customer does not see its outbox entry.
    assert gql.as_("other_team")(query).data["outboxMessages"] == []
    timeline = gql(TIMELINE, {"id": P2}).data["timeline"]["nodes"]
    assert [(r["channel"], r["notes"]) for r in timeline] == [("SMS", entry["body"])]


def test_erasure_empties_the_messages_sent_to_the_person(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    sent = send(
        owner,
        {
            "template": template(owner, SMS_EN),
            "audience": {"customers": [P2]},
            "ratePerMinute": 600,
        },
    )
    job = finished(gql, sent["job"]["id"])
    assert job["counts"]["sent"] == 1
    erase = """mutation($p: ID!) { erasePerson(input: {person: $p, reason: SUBJECT_REQUEST}) {
      outcome errors { code } } }"""
    assert gql(erase, {"p": P2}).data["erasePerson"]["outcome"] == "ERASED"
    query = "{ outboxMessages(channel: SMS) { mobile body } }"
    assert gql(query).data["outboxMessages"] == [{"mobile": None, "body": None}]
    [message] = gql(MESSAGES, {"id": job["id"]}).data["outreachMessages"]
    assert (message["status"], message["mobile"], message["body"]) == ("SENT", None, None)
    [record] = gql(TIMELINE, {"id": P2}).data["timeline"]["nodes"]
    assert (record["channel"], record["notes"]) == ("SMS", None)


def test_invisible_customers_are_never_addressed(gql: GQL, people: None, cypher: Driver) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    listed = send(owner, {"template": tid, "audience": {"customers": [C1, C3]}})
    assert [(e["code"], e["field"]) for e in listed["errors"]] == [
        ("NOT_FOUND", "input.audience.customers[1]")
    ]
    assert "西部" not in str(listed)
    # A segment holds only the customers the sender may edit.
    segment = send(owner, {"template": tid, "audience": {"tiers": ["CORE"]}, "dryRun": True})
    assert {p["customerId"] for p in segment["planned"]} == {C1}
    assert WEST not in {p["personId"] for p in segment["planned"]}
    # The west rep owns C3 and reaches its contact.
    west = send(gql.as_("other_team"), {"template": tid, "audience": {"tiers": ["CORE"]},
                                        "dryRun": True})  # fmt: skip
    assert {p["personId"] for p in west["planned"]} == {WEST}
    # Roles that read everything never send.
    for persona in ("auditor", "analyst"):
        refused = send(gql.as_(persona), {"template": tid, "audience": {"customers": [C1]}})
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], persona
    jobs = cypher.execute_query("MATCH (j:OutreachJob) RETURN count(j) AS n", database_="neo4j")
    assert jobs.records[0]["n"] == 0


def test_a_preview_renders_for_one_customer_the_viewer_sees(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    query = """query($t: ID!, $c: ID!) { previewMessage(templateId: $t, customerId: $c) {
      recipients { personId willSend reason subject body email } } }"""
    recipients = by_person(owner(query, {"t": tid, "c": C1}).data["previewMessage"]["recipients"])
    assert recipients[ZHANG]["subject"] == "华东机械：新品介绍"
    assert recipients[ZHANG]["email"] == "zhang@example.com"  # SALES reads e-mail addresses
    assert recipients[LI]["reason"] == "NO_CONSENT"
    hidden = owner(query, {"t": tid, "c": C3})
    assert hidden.codes() == ["NOT_FOUND"]
    assert "西部" not in str(hidden.body)
    assert gql.as_("analyst")(query, {"t": tid, "c": C1}).codes() == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"body": "{{ contact.name "}, "input.body", "syntax error"),
        ({"body": "{{ revenue }}"}, "input.body", "unknown variable"),
        ({"body": "{{ customer.revenue }}"}, "input.body", "unknown field"),
        ({"subject": "{% if %}"}, "input.subject", "syntax error"),
        ({"subject": None}, "input.subject", "needs a subject"),
        ({"body": "   "}, "input.body", "blank"),
        ({"body": "{% include 'x' %}"}, "input.body", "not allowed"),
        ({"body": "{{ contact.name | nosuchfilter }}"}, "input.body", "syntax error"),
    ],
)
def test_template_errors_are_typed_with_their_path(
    gql: GQL, cypher: Driver, change: dict[str, Any], field: str, words: str
) -> None:
    payload = gql(SAVE, {"input": {**EMAIL_ZH, **change}}).data["saveMessageTemplate"]
    assert payload["template"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)]
    assert words in payload["errors"][0]["message"]
    stored = cypher.execute_query("MATCH (t:MessageTemplate) RETURN count(t) AS n",
                                  database_="neo4j")  # fmt: skip
    assert stored.records[0]["n"] == 0


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.__class__ }}",
        "{{ contact.name.upper() }}",
        "{{ customer['__class__'] }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ (customer|attr('__class__')) }}",
        "{{ cycler.__init__.__globals__ }}",
        # Jinja's own names as values: internal object text in a customer's message.
        "{{ self }}",
        "{{ self|string|length }}",
        "{{ range }}",
        "{% for x in self %}{{ x }}{% endfor %}",
        "{% for i in range(2) %}{{ loop }}{% endfor %}",
    ],
)
def test_a_hostile_template_is_refused(gql: GQL, hostile: str) -> None:
    payload = gql(SAVE, {"input": {**SMS_EN, "body": hostile}}).data["saveMessageTemplate"]
    assert payload["template"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "input.body")]


def test_templates_are_versioned_and_kept_by_their_creator_or_a_manager(gql: GQL) -> None:
    owner = gql.as_("owner")
    saved = owner(SAVE, {"input": EMAIL_ZH}).data["saveMessageTemplate"]["template"]
    assert saved["locale"] == "ZH_CN"
    assert "contact.name" in saved["variables"]
    change = {**EMAIL_ZH, "id": saved["id"], "expectedVersion": 1, "name": "新品介绍 v2"}
    assert owner(SAVE, {"input": change}).data["saveMessageTemplate"]["template"]["version"] == 2
    stale = owner(SAVE, {"input": change}).data["saveMessageTemplate"]["errors"]
    assert [(e["code"], e["field"]) for e in stale] == [("CONFLICT", "input.expectedVersion")]
    other = gql.as_("other_team")(SAVE, {"input": {**change, "expectedVersion": 2}})
    assert [e["code"] for e in other.data["saveMessageTemplate"]["errors"]] == ["FORBIDDEN"]
    manager = gql.as_("manager_above")(SAVE, {"input": {**change, "expectedVersion": 2}})
    assert manager.data["saveMessageTemplate"]["errors"] == []
    archive = """mutation($id: ID!) { archiveMessageTemplate(input: {id: $id}) {
      template { archivedAt } errors { code } } }"""
    first = owner(archive, {"id": saved["id"]}).data["archiveMessageTemplate"]
    assert first["errors"] == []
    # Archived again: as it is, with the first archive's time.
    assert owner(archive, {"id": saved["id"]}).data["archiveMessageTemplate"] == first
    late = owner(SAVE, {"input": {**change, "expectedVersion": 3}}).data["saveMessageTemplate"]
    assert [(e["code"], e["field"]) for e in late["errors"]] == [("CONFLICT", "input.id")]
    listed = "{ messageTemplates { id } }"
    assert gql.as_("auditor")(listed).data["messageTemplates"] == []
    refused = send(owner, {"template": saved["id"], "audience": {"customers": [C1]}})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("VALIDATION", "input.template")
    ]


def test_without_smtp_email_goes_to_the_outbox_at_the_job_rate(
    gql: GQL, people: None, cypher: Driver
) -> None:
    owner = gql.as_("owner")
    tid = template(owner, EMAIL_ZH)
    sent = send(owner, {"template": tid, "audience": {"customers": [C1, P2]}, "ratePerMinute": 20})
    finished(gql, sent["job"]["id"], timeout=120)
    entries = gql("{ outboxMessages(channel: EMAIL) { email subject } }").data["outboxMessages"]
    assert sorted(e["email"] for e in entries) == [
        "bounce@example.com",  # the outbox refuses no one
        "chen@example.com",
        "zhang@example.com",
    ]
    rows = cypher.execute_query(
        "MATCH (m:OutreachMessage {jobId: $job, status: 'SENT'}) RETURN m.sendingAt AS at "
        "ORDER BY at",
        job=sent["job"]["id"],
        database_="neo4j",
    ).records
    times = [r["at"].to_native() for r in rows]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert len(gaps) == 2
    assert all(gap >= 2.0 for gap in gaps), gaps  # 20 a minute: one every 3 s
