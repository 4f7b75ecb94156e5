"""Outreach (R26): message templates, batch sends as jobs, one message per recipient, and the
outbox that stands in for a real SMS (or unconfigured e-mail) provider.

Nodes and edges:
- `(:MessageTemplate {id, name, channel, locale, subject, body, version, createdBy,
  archivedAt})`: shared by the whole company (templates name no one; rendering does);
- `(:OutreachJob {id, channel, templateId, status, ratePerMinute, createdBy, createdAt,
  finishedAt, audience})`: one batch send. `status` is RUNNING until no message of it is
  PENDING or SENDING, then DONE;
- `(:OutreachMessage {id, key, seq, jobId, status, reason, channel, customerId, personId,
  address, subject, body, sendingAt, sentAt, recordId})`, `-[:IN_JOB]->(job)`,
  `-[:TO_CUSTOMER]->(customer)`, `-[:TO_PERSON]->(person)`. One per (job, customer, person),
  created with the job (`key` is unique, so a retried creation makes no second message);
  the text is rendered at creation, so a template edited later changes no queued message;
- `(:OutboxEntry {id = message id, channel, address, subject, body, at, jobId,
  customerId})`: what the outbox channel "sent".

Message states: PENDING -> SENDING -> SENT | FAILED, PENDING -> SKIPPED (with a reason),
SENDING -> UNKNOWN. At most once: `claim` commits SENDING before the provider is called, and
only a PENDING message is ever claimed. A message still SENDING `STALE_SENDING_SECONDS` after
its claim was interrupted (a crash, a restart) between the claim and the provider's answer:
nobody knows whether the provider took it, so `recover` marks it UNKNOWN for a person to
review instead of sending it again. A customer who gets a message twice is worse than one
who gets none and is called.

A message SENT becomes an Interaction record (graph/records.py's own SAVE statement, keyed by
`externalSource` "outreach" and the message id) in the same transaction that marks it SENT,
so it is on the customer's timeline exactly once. A FAILED one whose recipient the provider
refused marks the person's channel status (`emailStatus` or `mobileStatus` = BOUNCED, with
`…StatusAt`, `…StatusBy` and `…StatusMethod`), which later jobs skip. Issue 15 brings a fuller
verification model; these four properties are its seed.

Access: a job is visible to its creator, to those whose scope holds the creator (their
managers) and to roles that read everything; a message, an outbox entry and a customer's
recipients only where the customer is visible (graph/access.py). A job addresses only
customers its creator may edit; each claim checks that again with the creator's scope, as it
is when the message goes out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString, NotRequired, TypedDict, cast

from graph import access, clock, privacy, records
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, PROJECTION, Audit, new_id
from graph.refusal import Refusal
from graph.share import check_account
from graph.vocab import ConsentPurpose, RecordKind

# Caps: customers one job may address, recipients per company, templates listed.
MAX_CUSTOMERS = 2000
MAX_PER_COMPANY = 20
MAX_TEMPLATES = 500
# A claim older than this without an answer was interrupted (the SMTP timeout is 30 s).
STALE_SENDING_SECONDS = 120
# A template goes to a person at most once in this window, across jobs: a send clicked twice,
# or two managers sending the same campaign, must not reach anyone twice.
REPEAT_HOURS = 24
# Consent outreach needs (graph/privacy.py).
PURPOSE = ConsentPurpose.MARKETING
SOURCE = "outreach"  # the Interaction records' externalSource


class OutreachChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class Locale(Enum):
    ZH_CN = "zh-CN"
    EN = "en"


class JobStatus(Enum):
    RUNNING = "RUNNING"
    DONE = "DONE"
    CANCELLED = "CANCELLED"  # ended by a cancel; what had gone out before it stays SENT


class MessageStatus(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    UNKNOWN = "UNKNOWN"


class SkipReason(Enum):
    """Why a recipient was not sent to (or a message ended as it did)."""

    NO_CONSENT = "NO_CONSENT"  # no MARKETING consent recorded
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"  # the newest record withdraws it
    CONSENT_EXPIRED = "CONSENT_EXPIRED"  # the newest grant has expired
    ERASED = "ERASED"  # erased or restricted (PIPL art. 47)
    NO_ADDRESS = "NO_ADDRESS"  # no e-mail address / mobile number for the channel
    BOUNCED = "BOUNCED"  # the channel's status on the person is BOUNCED
    NOT_WORKING = "NOT_WORKING"  # the channel was checked INVALID or WRONG_PERSON (R19)
    NO_RECIPIENT = "NO_RECIPIENT"  # a company with no current decision maker
    DUPLICATE = "DUPLICATE"  # the person is addressed already, for another customer
    RECENTLY_SENT = "RECENTLY_SENT"  # another job of the template addressed them lately
    RENDER_FAILED = "RENDER_FAILED"  # the template failed for this recipient
    NOT_PERMITTED = "NOT_PERMITTED"  # at sending time the sender may no longer edit them
    CANCELLED = "CANCELLED"  # the job was cancelled before this message went out
    INTERRUPTED = "INTERRUPTED"  # UNKNOWN: the process stopped while it was being sent


# The person properties holding each channel's address and status.
ADDRESS: dict[OutreachChannel, str] = {
    OutreachChannel.EMAIL: "email",
    OutreachChannel.SMS: "mobile",
}
STATUS: dict[OutreachChannel, LiteralString] = {
    OutreachChannel.EMAIL: "emailStatus",
    OutreachChannel.SMS: "mobileStatus",
}


class TemplateRow(TypedDict):
    id: str
    name: str
    channel: str
    locale: str
    subject: NotRequired[str | None]
    body: str
    version: int
    createdBy: str
    createdAt: Any
    updatedAt: Any
    archivedAt: NotRequired[Any]


class RecipientRow(TypedDict):
    """A customer with one of its recipients (person fields null for a company without)."""

    customerId: str
    customerName: str | None
    customerCode: str | None
    ownerName: str | None
    personId: str | None
    personName: str | None
    title: str | None
    email: str | None
    mobile: str | None
    emailStatus: str | None
    mobileStatus: str | None
    erased: bool | None
    consented: bool | None
    latestGranted: bool | None
    matched: int


class JobRow(TypedDict):
    id: str
    channel: str
    status: str
    templateId: str
    ratePerMinute: int
    createdBy: str
    createdAt: Any
    finishedAt: NotRequired[Any]
    cancelledAt: NotRequired[Any]
    cancelledBy: NotRequired[str]
    statuses: list[dict[str, Any]]


class MessageRow(TypedDict):
    id: str
    seq: int
    jobId: str
    status: str
    reason: NotRequired[str | None]
    channel: str
    customerId: str
    personId: NotRequired[str | None]
    address: NotRequired[str | None]
    subject: NotRequired[str | None]
    body: NotRequired[str | None]
    customer: Any
    person: Any


class OutboxRow(TypedDict):
    id: str
    channel: str
    address: str
    subject: NotRequired[str | None]
    body: str
    at: Any
    jobId: str
    customerId: str


# --- Templates --------------------------------------------------------------------------------
TEMPLATE_LOCK = Cypher(
    "outreach.template.lock",
    "MATCH (t:MessageTemplate {id: $id}) SET t.__lock = true REMOVE t.__lock "
    "RETURN t{.*} AS template",
)
TEMPLATE_WRITE = Cypher(
    "outreach.template.write",
    "MERGE (t:MessageTemplate {id: $id}) ON CREATE SET t.version = 0, t.createdAt = datetime(), "
    "t.createdBy = $actor "
    "SET t += $props, t.version = t.version + 1, t.updatedAt = datetime() "
    "WITH t " + AUDIT + " RETURN t{.*} AS template",
)
TEMPLATES = Cypher(
    "outreach.templates",
    "MATCH (t:MessageTemplate) WHERE ($archived OR t.archivedAt IS NULL) "
    "AND ($channel IS NULL OR t.channel = $channel) AND ($locale IS NULL OR t.locale = $locale) "
    "WITH t ORDER BY t.name, t.id LIMIT $limit RETURN t{.*} AS template",
)
TEMPLATE_BY_ID = Cypher(
    "outreach.template.by_id",
    "MATCH (t:MessageTemplate {id: $id}) RETURN t{.*} AS template",
)

# --- The audience -----------------------------------------------------------------------------
# Each listed id: may the viewer address it (see it, edit it, a customer not archived)?
CHECK = Cypher(
    "outreach.check",
    "UNWIND range(0, size($customers) - 1) AS i WITH i, $customers[i] AS key "
    "OPTIONAL MATCH (c:Customer {id: key}) "
    "RETURN i, key, CASE WHEN c IS NULL OR NOT " + access.visible("c") + " THEN 'missing' "
    "WHEN NOT " + access.editable("c") + " THEN 'forbidden' "
    "WHEN c.archivedAt IS NOT NULL THEN 'archived' ELSE 'ok' END AS verdict",
)  # fmt: skip

# The recipients of customer `c`: a person customer is their own recipient; a company's are
# its current employees who decide purchases (`hasPurchasingPower`, or DECISION_MAKER in one
# of its projects) and whom the viewer sees, at most MAX_PER_COMPANY. A company without any
# gives one row with null person fields (skipped as NO_RECIPIENT).
_DECIDES: LiteralString = (
    "(p.hasPurchasingPower = true OR EXISTS { MATCH (p)-[pp:PARTICIPATES_IN]->(:Project)"
    "-[:FOR]->(c) WHERE pp.role = 'DECISION_MAKER' AND pp.until IS NULL })"
)
RECIPIENTS: LiteralString = (
    "WITH c, matched, head([(u:User)-[o:OWNS]->(c) WHERE " + current("o") + " | u.name]) "
    "AS ownerName "
    "WITH c, matched, ownerName, CASE WHEN c:Person THEN [{p: c, title: null}] ELSE "
    "[(p:Person)-[w:WORKS_AT]->(c) WHERE " + current("w") + " AND p.archivedAt IS NULL AND "
    + access.visible_as("p", "Person") + " AND " + _DECIDES + " | {p: p, title: w.title}]"
    "[.." + str(MAX_PER_COMPANY) + "] END AS people "
    "UNWIND CASE WHEN people = [] THEN [null] ELSE people END AS x "
    "WITH c, matched, ownerName, x.p AS p, x.title AS title "
    "RETURN c.id AS customerId, c.name AS customerName, c.customerCode AS customerCode, "
    "ownerName, p.id AS personId, p.name AS personName, title, p.email AS email, "
    "p.mobile AS mobile, p.emailStatus AS emailStatus, p.mobileStatus AS mobileStatus, "
    "p.erasedAt IS NOT NULL OR coalesce(p.restricted, false) AS erased, "
    # The newest consent record, read once: `audience` derives privacy.consented's answer
    # and its reason from it (the claim asks privacy.consented itself).
    "CASE WHEN p IS NULL THEN null ELSE head(COLLECT { MATCH (k:Consent {personId: p.id, "
    "purpose: $purpose}) WITH k ORDER BY k.at DESC, k.id DESC LIMIT 1 RETURN {granted: "
    "k.granted, current: k.expiresAt IS NULL OR k.expiresAt > datetime()} }) END AS consent, "
    "matched "
    "ORDER BY customerName, customerId, personName, personId"
)  # fmt: skip
AUDIENCE_LIST = Cypher(
    "outreach.audience.list",
    "UNWIND $customers AS key MATCH (c:Customer {id: key}) WHERE c.archivedAt IS NULL AND "
    + access.editable("c") + " WITH DISTINCT c, size($customers) AS matched " + RECIPIENTS,
)  # fmt: skip
# A preview reads one customer the viewer sees (it sends nothing).
AUDIENCE_VISIBLE = Cypher(
    "outreach.audience.visible",
    "UNWIND $customers AS key MATCH (c:Customer {id: key}) WHERE " + access.visible("c")
    + " WITH DISTINCT c, size($customers) AS matched " + RECIPIENTS,
)  # fmt: skip
AUDIENCE_SEGMENT = Cypher(
    "outreach.audience.segment",
    "MATCH (c:Customer) WHERE c.archivedAt IS NULL "
    "AND ($tiers IS NULL OR c.tier IN $tiers) "
    "AND ($churnLevels IS NULL OR c.churnLevel IN $churnLevels) "
    "AND ($stages IS NULL OR c.lifecycleStage IN $stages) "
    "AND ($customerClass IS NULL OR EXISTS { MATCH (c)-[:CLASSIFIED_AS]->"
    "(:CustomerClass {id: $customerClass}) }) "
    "AND " + access.editable_customer("c") + " "
    "WITH c ORDER BY c.id WITH collect(c) AS cs "
    "UNWIND cs[..$cap] AS c WITH c, size(cs) AS matched " + RECIPIENTS,
)  # fmt: skip

# --- Jobs -------------------------------------------------------------------------------------
# Which of these people another job of the template addressed in the last $hours (a message
# not skipped, failed or cancelled: it is queued, going out, sent or maybe sent).
RECENT = Cypher(
    "outreach.recent",
    "UNWIND $recipients AS pid MATCH (:Person {id: pid})<-[:TO_PERSON]-(m:OutreachMessage)"
    "-[:IN_JOB]->(j:OutreachJob {templateId: $template}) WHERE j.id <> $jobId "
    "AND m.status IN $live AND m.createdAt > datetime() - duration({hours: $hours}) "
    "RETURN DISTINCT pid",
)
LIVE = [s.value for s in (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.SENT,
                          MessageStatus.UNKNOWN)]  # fmt: skip
CREATE_JOB = Cypher(
    "outreach.job.create",
    "MERGE (j:OutreachJob {id: $id}) ON CREATE SET j.channel = $channel, "
    "j.templateId = $template, j.status = $status, j.ratePerMinute = $rate, "
    "j.createdBy = $actor, j.createdAt = datetime(), j.audience = $audience, "
    "j.finishedAt = CASE WHEN $status = 'DONE' THEN datetime() END "
    "WITH j CALL (j) { UNWIND $messages AS row "
    "  MERGE (m:OutreachMessage {key: row.key}) ON CREATE SET m += row.props, m.id = row.id, "
    "  m.jobId = j.id, m.createdAt = datetime() "
    "  MERGE (m)-[:IN_JOB]->(j) "
    "  WITH m, row CALL (m, row) { MATCH (c:Customer {id: row.customerId}) "
    "    MERGE (m)-[:TO_CUSTOMER]->(c) } "
    "  CALL (m, row) { MATCH (p:Person {id: row.personId}) MERGE (m)-[:TO_PERSON]->(p) } } "
    "WITH j " + AUDIT + " RETURN j.id AS id",
)
_JOB_VISIBLE: LiteralString = "($acl.all OR j.createdBy IN $acl.users) "
# The job `j` as a JobRow: its message counts per status, gathered first.
JOB: LiteralString = (
    "CALL (j) { OPTIONAL MATCH (m:OutreachMessage {jobId: j.id}) "
    "WITH m.status AS status, count(m) AS n WHERE status IS NOT NULL "
    "RETURN collect({status: status, n: n}) AS statuses } "
    "RETURN j{.*, audience: null, statuses: statuses} AS job"
)
JOBS = Cypher(
    "outreach.jobs",
    "MATCH (j:OutreachJob) WHERE " + _JOB_VISIBLE + "AND ($status IS NULL OR j.status = $status) "
    "WITH j ORDER BY j.createdAt DESC, j.id DESC LIMIT $limit "
    + JOB
    + " ORDER BY job.createdAt DESC, job.id DESC",
)
JOB_BY_ID = Cypher(
    "outreach.job.by_id",
    "MATCH (j:OutreachJob {id: $id}) WHERE " + _JOB_VISIBLE + JOB,
)
MESSAGES = Cypher(
    "outreach.messages",
    "MATCH (j:OutreachJob {id: $jobId}) WHERE " + _JOB_VISIBLE
    + "MATCH (m:OutreachMessage {jobId: j.id}) WHERE ($status IS NULL OR m.status = $status) "
    "AND m.seq > $afterSeq "
    "MATCH (m)-[:TO_CUSTOMER]->(c) WHERE " + access.visible("c") + " "
    "WITH m ORDER BY m.seq LIMIT $limit "
    "RETURN m{.*, customer: head(COLLECT { MATCH (m)-[:TO_CUSTOMER]->(n) RETURN "
    + PROJECTION + " }), person: head(COLLECT { MATCH (m)-[:TO_PERSON]->(n:Person) WHERE "
    + access.visible_as("n", "Person") + " RETURN " + PROJECTION + " })} AS message",
)  # fmt: skip

# A cancel stops what has not gone out: PENDING messages end SKIPPED (CANCELLED) under their
# write locks, so a runner's CLAIM either took one first or finds it skipped; one being handed
# to the channel now ends as the channel answers, and the runner's FINISH then ends the job.
CANCEL_JOB = Cypher(
    "outreach.job.cancel",
    "MATCH (j:OutreachJob {id: $id}) WHERE " + _JOB_VISIBLE
    + "SET j.__lock = true REMOVE j.__lock "
    "WITH j, CASE WHEN NOT ($anyones OR j.createdBy = $acl.me) THEN 'forbidden' "
    "WHEN j.status <> 'RUNNING' THEN 'ended' END AS verdict "
    "CALL (j, verdict) { WITH j WHERE verdict IS NULL "
    "  OPTIONAL MATCH (m:OutreachMessage {jobId: j.id, status: 'PENDING'}) "
    "  SET m.status = 'SKIPPED', m.reason = 'CANCELLED' "
    "  RETURN count(m) AS cancelled } "
    "CALL (j, verdict) { WITH j WHERE verdict IS NULL "
    "  SET j.cancelledAt = datetime(), j.cancelledBy = $actor "
    "  WITH j WHERE NOT EXISTS { MATCH (m:OutreachMessage {jobId: j.id, status: 'SENDING'}) } "
    "  SET j.status = 'CANCELLED', j.finishedAt = datetime() } "
    "CALL (j, verdict) { WITH j WHERE verdict IS NULL " + AUDIT + " } "
    "RETURN verdict, cancelled",
)  # fmt: skip


@dataclass(frozen=True)
class CancelResult:
    cancelled: int  # messages that will not be sent
    refusal: Refusal | None = None  # NOT_FOUND or FORBIDDEN


async def cancel_job(db: Database, job_id: str, anyones: bool, audit: Audit) -> CancelResult:
    """Stop a RUNNING job: the sender, or (`anyones`) a manager or admin who sees it. A job
    that has finished is left as it is (nothing to stop, nothing written)."""
    params = {
        "id": job_id,
        "anyones": anyones,
        "acl": access.acl_params(audit.actor),
        **audit.params(job_id, "OutreachJob", ["status"], new_id()),
    }
    rows = await db.write(CANCEL_JOB, params)
    if not rows:
        return CancelResult(0, Refusal.NOT_FOUND)
    verdict = rows[0]["verdict"]
    refusal = Refusal.FORBIDDEN if verdict == "forbidden" else None
    return CancelResult(0 if refusal else int(rows[0]["cancelled"]), refusal)


# --- Saved audiences: a named filter, resolved each time it is used ----------------------------
MAX_AUDIENCES = 100


class AudienceRow(TypedDict):
    id: str
    name: str
    filter: str  # JSON: {customers, tiers, churnLevels, lifecycleStages, customerClass}
    createdBy: str
    createdAt: dt.datetime
    updatedAt: dt.datetime
    version: int


# Seen like jobs: by its creator, the managers above them and the roles that read everything;
# changed by its creator or ADMIN.
_AUDIENCE_VISIBLE: LiteralString = "($acl.all OR s.createdBy IN $acl.users) "
AUDIENCE_FIELDS: LiteralString = (
    "s{.id, .name, .filter, .createdBy, .createdAt, .updatedAt, .version} AS audience"
)
AUDIENCES = Cypher(
    "outreach.audiences",
    "MATCH (s:SavedAudience) WHERE " + _AUDIENCE_VISIBLE + "WITH s ORDER BY s.name, s.id "
    "LIMIT $limit RETURN " + AUDIENCE_FIELDS,
)
AUDIENCE_BY_ID = Cypher(
    "outreach.audience.by_id",
    "MATCH (s:SavedAudience {id: $id}) WHERE " + _AUDIENCE_VISIBLE + "RETURN " + AUDIENCE_FIELDS,
)
SAVE_AUDIENCE = Cypher(
    "outreach.audience.save",
    "MERGE (s:SavedAudience {id: $id}) ON CREATE SET s.createdBy = $actor, "
    "s.createdAt = datetime(), s.version = 0 "
    "WITH s WHERE s.createdBy = $actor OR $admin "
    "SET s.name = $name, s.filter = $filter, s.version = s.version + 1, s.updatedAt = datetime() "
    "WITH s " + AUDIT + " RETURN " + AUDIENCE_FIELDS,
)
DELETE_AUDIENCE = Cypher(
    "outreach.audience.delete",
    "MATCH (s:SavedAudience {id: $id}) WHERE " + _AUDIENCE_VISIBLE + "AND (s.createdBy = $actor "
    "OR $admin) WITH s, s.id AS id DETACH DELETE s WITH id " + AUDIT + " RETURN id",
)


async def audiences(db: Database, actor: Actor) -> list[AudienceRow]:
    params = {"limit": MAX_AUDIENCES, "acl": access.acl_params(actor)}
    return [r["audience"] for r in await db.read(AUDIENCES, params)]


async def saved_audience(db: Database, actor: Actor, audience_id: str) -> AudienceRow | None:
    rows = await db.read(AUDIENCE_BY_ID, {"id": audience_id, "acl": access.acl_params(actor)})
    return rows[0]["audience"] if rows else None


async def save_audience(
    db: Database, audience_id: str | None, name: str, filter_json: str, audit: Audit
) -> tuple[AudienceRow | None, Refusal | None]:
    """Create (no id) or replace a saved audience; FORBIDDEN when another user's (not ADMIN),
    NOT_FOUND when the id names none the actor sees."""
    actor = audit.actor
    if audience_id is not None and await saved_audience(db, actor, audience_id) is None:
        return None, Refusal.NOT_FOUND
    ident = audience_id or new_id()
    params = {
        "id": ident,
        "name": name,
        "filter": filter_json,
        "admin": "ADMIN" in actor.roles,
        **audit.params(ident, "SavedAudience", ["name", "filter"]),
    }
    rows = await db.write(SAVE_AUDIENCE, params)
    return (rows[0]["audience"], None) if rows else (None, Refusal.FORBIDDEN)


async def delete_audience(db: Database, audience_id: str, audit: Audit) -> Refusal | None:
    actor = audit.actor
    if await saved_audience(db, actor, audience_id) is None:
        return Refusal.NOT_FOUND
    params = {
        "id": audience_id,
        "admin": "ADMIN" in actor.roles,
        "acl": access.acl_params(actor),
        **audit.params(audience_id, "SavedAudience", ["deleted"]),
    }
    rows = await db.write(DELETE_AUDIENCE, params)
    return None if rows else Refusal.FORBIDDEN


# --- The runner -------------------------------------------------------------------------------
# RUNNING jobs, oldest first, with their next PENDING messages.
NEXT = Cypher(
    "outreach.next",
    "MATCH (j:OutreachJob {status: 'RUNNING'}) WITH j ORDER BY j.createdAt, j.id LIMIT $limit "
    "RETURN j.id AS jobId, j.ratePerMinute AS rate, j.createdBy AS createdBy, "
    "COLLECT { MATCH (m:OutreachMessage {jobId: j.id, status: 'PENDING'}) "
    "WITH m ORDER BY m.seq LIMIT $limit RETURN m.id } AS pending",
)
FINISH = Cypher(
    "outreach.finish",
    "MATCH (j:OutreachJob {status: 'RUNNING'}) WHERE NOT EXISTS { MATCH (m:OutreachMessage "
    "{jobId: j.id}) WHERE m.status IN ['PENDING', 'SENDING'] } "
    "SET j.status = CASE WHEN j.cancelledAt IS NULL THEN 'DONE' ELSE 'CANCELLED' END, "
    "j.finishedAt = datetime() RETURN count(j) AS n",
)
RECOVER = Cypher(
    "outreach.recover",
    "MATCH (m:OutreachMessage {status: 'SENDING'}) "
    "WHERE m.sendingAt < datetime() - duration({seconds: $grace}) "
    "SET m.status = 'UNKNOWN', m.reason = 'INTERRUPTED', m.unknownAt = datetime() "
    "RETURN count(m) AS n",
)
# The message is taken under its write lock: only a PENDING one, and only while the sender
# may still edit its customer and the person still consents; otherwise it is SKIPPED.
CLAIM = Cypher(
    "outreach.claim",
    "MATCH (m:OutreachMessage {id: $id}) SET m.__lock = true REMOVE m.__lock "
    "WITH m WHERE m.status = 'PENDING' "
    "OPTIONAL MATCH (m)-[:TO_CUSTOMER]->(c) OPTIONAL MATCH (m)-[:TO_PERSON]->(p:Person) "
    "WITH m, c, p, CASE WHEN c IS NULL OR NOT " + access.editable("c") + " THEN 'NOT_PERMITTED' "
    "WHEN p IS NULL THEN 'NO_RECIPIENT' "
    "WHEN p.erasedAt IS NOT NULL OR coalesce(p.restricted, false) THEN 'ERASED' "
    "WHEN NOT " + privacy.consented("p", "$purpose") + " THEN 'CONSENT_WITHDRAWN' "
    "WHEN (m.channel = 'EMAIL' AND p.emailStatus = 'BOUNCED') "
    "OR (m.channel = 'SMS' AND p.mobileStatus = 'BOUNCED') THEN 'BOUNCED' "
    "WHEN (CASE m.channel WHEN 'EMAIL' THEN p.emailStatus ELSE p.mobileStatus END) "
    "IN ['INVALID', 'WRONG_PERSON'] THEN 'NOT_WORKING' END AS stop "
    "SET m.status = CASE WHEN stop IS NULL THEN 'SENDING' ELSE 'SKIPPED' END, m.reason = stop, "
    "m.sendingAt = CASE WHEN stop IS NULL THEN datetime() END, "
    "m.attempts = coalesce(m.attempts, 0) + 1 "
    "RETURN m{.*} AS message, stop",
)  # fmt: skip
MARK_SENT = Cypher(
    "outreach.mark_sent",
    "MATCH (m:OutreachMessage {id: $id}) WHERE m.status = 'SENDING' "
    "SET m.status = 'SENT', m.sentAt = datetime(), m.recordId = $record, "
    "m.providerId = $providerId RETURN m.id AS id",
)
MARK_FAILED = Cypher(
    "outreach.mark_failed",
    "MATCH (m:OutreachMessage {id: $id}) WHERE m.status = 'SENDING' "
    "SET m.status = 'FAILED', m.failure = $failure, m.failedAt = datetime() RETURN m.id AS id",
)


def _bounce(channel: OutreachChannel) -> Cypher:
    key = STATUS[channel]  # closed: a code constant per channel
    return Cypher(
        f"outreach.bounce.{channel.value.lower()}",
        "MATCH (:OutreachMessage {id: $id})-[:TO_PERSON]->(p:Person) "
        "SET p." + key + " = 'BOUNCED', p." + key + "At = datetime(), p." + key + "By = $actor, "
        "p." + key + "Method = $method, p.version = p.version + 1, p.updatedAt = datetime() "
        "WITH p " + AUDIT + " RETURN p.id AS id",
    )


BOUNCE = {channel: _bounce(channel) for channel in OutreachChannel}

# --- The outbox -------------------------------------------------------------------------------
OUTBOX_PUT = Cypher(
    "outreach.outbox.put",
    "MERGE (o:OutboxEntry {id: $id}) ON CREATE SET o += $props, o.at = datetime() "
    "RETURN o.id AS id",
)
OUTBOX = Cypher(
    "outreach.outbox",
    "MATCH (o:OutboxEntry) WHERE ($channel IS NULL OR o.channel = $channel) "
    "AND ($jobId IS NULL OR o.jobId = $jobId) "
    "MATCH (c:Customer {id: o.customerId}) WHERE " + access.visible("c") + " "
    "WITH o ORDER BY o.at DESC, o.id DESC LIMIT $limit RETURN o{.*} AS entry",
)


# --- Repository -------------------------------------------------------------------------------
async def templates(
    db: Database,
    actor: Actor,
    channel: str | None,
    locale: str | None,
    archived: bool,
    limit: int = MAX_TEMPLATES,
) -> list[TemplateRow]:
    """Templates are company-wide reference data: every signed-in viewer reads them."""
    params = {"channel": channel, "locale": locale, "archived": archived, "limit": limit}
    return [r["template"] for r in await db.read(TEMPLATES, params)]


async def template(db: Database, actor: Actor, template_id: str) -> TemplateRow | None:
    rows = await db.read(TEMPLATE_BY_ID, {"id": template_id})
    return rows[0]["template"] if rows else None


@dataclass(frozen=True)
class TemplateResult:
    template: TemplateRow | None = None
    refusal: Refusal | None = None
    current_version: int | None = None


async def save_template(
    db: Database,
    template_id: str | None,
    props: dict[str, Any],
    expected_version: int | None,
    may_change: frozenset[str] | None,
    audit: Audit,
) -> TemplateResult:
    """Create (no id) or change a template. `may_change`: whose templates the actor may
    change (their creators' ids), None for any. An archived template is ENDED."""
    tid = template_id or new_id()
    audit_id = new_id()

    async def work(tx: Tx) -> TemplateResult:
        if template_id is not None:
            found = await tx.run(TEMPLATE_LOCK, {"id": tid})
            if not found:
                return TemplateResult(refusal=Refusal.NOT_FOUND)
            row = found[0]["template"]
            if may_change is not None and row["createdBy"] not in may_change:
                return TemplateResult(refusal=Refusal.FORBIDDEN)
            if row.get("archivedAt") is not None:
                if "archivedAt" in props:  # archived again: as it is, its first time kept
                    return TemplateResult(template=row)
                return TemplateResult(refusal=Refusal.ENDED)
            if expected_version is not None and row["version"] != expected_version:
                return TemplateResult(refusal=Refusal.CONFLICT, current_version=row["version"])
        params = {
            "id": tid,
            "props": props,
            **audit.params(tid, "MessageTemplate", sorted(props), audit_id),
        }
        rows = await tx.run(TEMPLATE_WRITE, params)
        return TemplateResult(template=rows[0]["template"])

    return await db.transaction(work)


@dataclass(frozen=True)
class Verdict:
    index: int
    key: str
    verdict: str  # ok, missing, forbidden, archived


async def check_customers(db: Database, actor: Actor, ids: list[str]) -> list[Verdict]:
    """May the actor address each listed customer? One verdict per id, in order."""
    if not ids:
        return []
    rows = await db.read(CHECK, {"customers": ids, "acl": access.acl_params(actor)})
    return [Verdict(r["i"], r["key"], r["verdict"]) for r in rows]


@dataclass(frozen=True)
class Segment:
    """A segment of the intelligence issue; None fields do not filter."""

    tiers: list[str] | None = None
    churn_levels: list[str] | None = None
    stages: list[str] | None = None
    customer_class: str | None = None


async def audience(
    db: Database,
    actor: Actor,
    customers: list[str] | None,
    segment: Segment | None,
    visible: bool = False,
) -> tuple[list[RecipientRow], int]:
    """The recipients of the customers listed (already checked) or of a segment, among the
    customers the actor may edit (`visible`: sees, for previews); and how many customers
    matched (a segment over MAX_CUSTOMERS is cut there)."""
    base = {"purpose": PURPOSE.value, "acl": access.acl_params(actor)}
    if customers is not None:
        statement = AUDIENCE_VISIBLE if visible else AUDIENCE_LIST
        rows = await db.read(statement, {**base, "customers": customers})
    else:
        s = segment or Segment()
        params = {
            **base,
            "tiers": s.tiers,
            "churnLevels": s.churn_levels,
            "stages": s.stages,
            "customerClass": s.customer_class,
            "cap": MAX_CUSTOMERS,
        }
        rows = await db.read(AUDIENCE_SEGMENT, params)
    matched = rows[0]["matched"] if rows else 0
    for r in rows:
        consent = r.pop("consent")
        granted = consent["granted"] if consent else None
        r["latestGranted"] = granted
        r["consented"] = (
            None
            if r["personId"] is None
            else bool(not r["erased"] and granted and consent["current"])
        )
    return [cast(RecipientRow, r) for r in rows], matched


def _recent_params(template_id: str, people: list[str], job_id: str = "") -> dict[str, Any]:
    return {
        "recipients": people,
        "template": template_id,
        "jobId": job_id,  # a retried creation is not its own repeat
        "live": LIVE,
        "hours": REPEAT_HOURS,
    }


async def recent(db: Database, template_id: str, people: list[str]) -> set[str]:
    """Who of `people` another job of the template addressed within REPEAT_HOURS."""
    if not people:
        return set()
    rows = await db.read(RECENT, _recent_params(template_id, people))
    return {str(r["pid"]) for r in rows}


def message_key(job_id: str, customer_id: str, person_id: str | None) -> str:
    """Idempotency key of a message: one per (job, customer, person)."""
    return f"{job_id}/{customer_id}/{person_id or '-'}"


def message_id(key: str) -> str:
    return str(uuid.uuid5(MESSAGES_NS, key))


MESSAGES_NS = uuid.UUID("3b7e0c52-9a41-4c8e-b1f6-0d2a9e6c4f11")


async def create_job(
    db: Database,
    job_id: str,
    channel: OutreachChannel,
    template_id: str,
    rate: int,
    audience_json: str,
    messages: list[dict[str, Any]],
    audit: Audit,
) -> set[str]:
    """The job with all its messages in one transaction (rows: `{key, id, customerId,
    personId, props}`); DONE at once when none is PENDING. Jobs of one template are created
    one at a time (the template is locked): a PENDING message to someone another job
    addressed meanwhile is SKIPPED as RECENTLY_SENT here. Returns those people's ids."""

    async def work(tx: Tx) -> set[str]:
        await tx.run(TEMPLATE_LOCK, {"id": template_id})
        pending = [m for m in messages if m["props"]["status"] == MessageStatus.PENDING.value]
        people = sorted({str(m["personId"]) for m in pending})
        taken = (
            {
                str(r["pid"])
                for r in await tx.run(RECENT, _recent_params(template_id, people, job_id))
            }
            if people
            else set()
        )
        for m in pending:
            if m["personId"] in taken:
                m["props"].update(
                    status=MessageStatus.SKIPPED.value,
                    reason=SkipReason.RECENTLY_SENT.value,
                    address=None,
                    subject=None,
                    body=None,
                )
        still = any(m["props"]["status"] == MessageStatus.PENDING.value for m in messages)
        status = JobStatus.RUNNING if still else JobStatus.DONE
        params = {
            "id": job_id,
            "channel": channel.value,
            "template": template_id,
            "status": status.value,
            "rate": rate,
            "audience": audience_json,
            "messages": messages,
            **audit.params(job_id, "OutreachJob", ["status"], new_id()),
        }
        await tx.run(CREATE_JOB, params)
        return taken

    return await db.transaction(work)


async def jobs(db: Database, actor: Actor, status: str | None, limit: int) -> list[JobRow]:
    params = {"status": status, "limit": limit, "acl": access.acl_params(actor)}
    return [r["job"] for r in await db.read(JOBS, params)]


async def jobs_by_id(db: Database, actor: Actor, ids: list[str]) -> dict[str, JobRow]:
    out: dict[str, JobRow] = {}
    for job_id in ids:
        rows = await db.read(JOB_BY_ID, {"id": job_id, "acl": access.acl_params(actor)})
        if rows:
            out[job_id] = rows[0]["job"]
    return out


async def messages(
    db: Database, actor: Actor, job_id: str, status: str | None, after_seq: int, limit: int
) -> list[MessageRow]:
    params = {
        "jobId": job_id,
        "status": status,
        "afterSeq": after_seq,
        "limit": limit,
        "acl": access.acl_params(actor),
    }
    return [r["message"] for r in await db.read(MESSAGES, params)]


async def outbox(
    db: Database, actor: Actor, channel: str | None, job_id: str | None, limit: int
) -> list[OutboxRow]:
    params = {"channel": channel, "jobId": job_id, "limit": limit, "acl": access.acl_params(actor)}
    return [r["entry"] for r in await db.read(OUTBOX, params)]


async def put_outbox(db: Database, entry_id: str, props: dict[str, Any], audit: Audit) -> None:
    """Store what the outbox channel 'sent' (idempotent on the message id)."""
    await db.write(OUTBOX_PUT, {"id": entry_id, "props": props})


# --- The runner's steps -----------------------------------------------------------------------
async def recover(db: Database, audit: Audit, grace: float = STALE_SENDING_SECONDS) -> int:
    """Mark messages left SENDING longer than `grace` seconds UNKNOWN (never resent)."""
    rows = await db.write(RECOVER, {"grace": grace})
    return int(rows[0]["n"])


async def finish(db: Database, audit: Audit) -> int:
    """Close RUNNING jobs with nothing left to send."""
    return int((await db.write(FINISH, {}))[0]["n"])


async def next_batch(db: Database, audit: Audit, limit: int = 20) -> list[dict[str, Any]]:
    """RUNNING jobs (oldest first) with up to `limit` PENDING message ids each."""
    return await db.read(NEXT, {"limit": limit})


async def claim(
    db: Database, message: str, audit: Audit
) -> tuple[dict[str, Any] | None, str | None]:
    """Take a PENDING message for sending (committed SENDING), as the job's sender: the
    message, or (message, reason) when it was SKIPPED instead, or (None, None) when it was
    not PENDING any more."""
    params = {"id": message, "purpose": PURPOSE.value, "acl": access.acl_params(audit.actor)}
    rows = await db.write(CLAIM, params)
    if not rows:
        return None, None
    return rows[0]["message"], rows[0]["stop"]


def record_id_of(message: str) -> str:
    """The Interaction a sent message becomes: its id follows from the message's."""
    return str(uuid.uuid5(MESSAGES_NS, "record/" + message))


async def mark_sent(
    db: Database, message: dict[str, Any], provider_id: str | None, audit: Audit
) -> str | None:
    """SENT, with its Interaction on the customer's timeline, in one transaction (records'
    own SAVE statement, keyed by the message id). The record id; None when the message was not
    SENDING (nothing written) or the sender may no longer edit the customer (SENT without a
    record: it did go out)."""
    mid = message["id"]
    record = record_id_of(mid)
    props = {
        "occurredAt": None,  # set below: the moment of sending
        "subject": message.get("subject"),
        "notes": message.get("body"),
        "externalSource": SOURCE,
        "externalId": mid,
        "channel": message["channel"],
        "direction": "OUTBOUND",
        "agreement": None,
        "durationMinutes": None,
    }
    ext_key = f"{RecordKind.INTERACTION.name}\x1f{SOURCE}\x1f{mid}"
    digest = hashlib.sha256(("outreach/" + mid).encode()).hexdigest()
    person = message.get("personId")
    customer = message["customerId"]
    staff = [] if audit.actor.id.startswith("anonymous:") else [audit.actor.id]

    async def work(tx: Tx) -> str | None:
        refusal, _ = await check_account(tx, audit.actor, customer)
        saved = record if refusal is None else None
        marked = await tx.run(MARK_SENT, {"id": mid, "record": saved, "providerId": provider_id})
        if not marked or saved is None:  # not SENDING (any more), or nothing to archive
            return None
        params = {
            "account": customer,
            "id": record,
            "props": {**props, "occurredAt": clock.now(), "extKey": ext_key},
            "digest": digest,
            "contacts": [person] if person and person != customer else [],
            "staff": staff,
            "projectIds": [],
            "lines": [],
            "orders": [],
            "followUps": [],
            "acl": access.acl_params(audit.actor),
            **audit.params(record, RecordKind.INTERACTION, sorted(props)),
        }
        await tx.run(records.SAVE[RecordKind.INTERACTION], params)
        return saved

    return await db.transaction(work)


async def mark_failed(
    db: Database,
    message: dict[str, Any],
    reason: str,
    bounced: bool,
    method: str,
    audit: Audit,
) -> None:
    """FAILED with its reason; when the provider refused the recipient, the person's channel
    status becomes BOUNCED (audited, without the address)."""
    channel = OutreachChannel(message["channel"])

    async def work(tx: Tx) -> None:
        await tx.run(MARK_FAILED, {"id": message["id"], "failure": reason[:500]})
        if bounced and message.get("personId"):
            params = {
                "id": message["id"],
                "method": method,
                **audit.params(message["personId"], "Person", [STATUS[channel]]),
            }
            await tx.run(BOUNCE[channel], params)

    await db.transaction(work)
