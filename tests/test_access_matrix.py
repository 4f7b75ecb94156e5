"""The authorization matrix (issue 12): persona × every root field and mutation × ownership.

Generated from the schema: `test_every_root_field_has_a_row` collects every root Query and
Mutation field of the strawberry schema and fails when one has no row in `ROWS` (or a row
names a field that is gone). `test_matrix[<field>]` then runs its row for every persona and
every ownership case on a hand-made graph (`build`), through the real ASGI app, and reports
every failing (persona, case) of the field at once.

Ownership cases (accounts as seen by the `owner` persona, a SALES rep of team EAST):
- own: owned by `owner`;
- team: owned by a team mate in EAST;
- shared_read / shared_edit: owned by a WEST rep, shared READ / EDIT with `owner`;
- none: owned by a rep of team NORTH (under HQ), not shared with anyone who matters.
Each case has two customer companies (`co`, and `co2` SUBSIDIARY_OF it), two contacts (`p1`,
`p2`) working at `co`, a project for `co` in which `p1` takes part, a stance change and an
audit event. Every name carries the case's token (MXOWN, MXTEAM, ...). Cross-case edges (a
PARTNERS_WITH ring of the `co`s, a RELATED_TO ring of the `p1`s, every `co` SUPPLIES a public
reference company) put hidden nodes next to visible ones, so a map, path or ranking that does
not filter leaks them.

What is asserted, per (persona, case):
- anonymous: 401 UNAUTHENTICATED, nothing else;
- every response: 0 leaks. The raw response text contains no token, id or edge id of a case
  the persona may not see (values the request itself sent are not counted: a NOT_FOUND
  message may echo them);
- reads of a visible case mention its node's id (`expect`); rows with `count` also check that
  `totalCount` counts exactly the visible fixture nodes;
- writes allowed to the persona succeed (no errors); forbidden writes are refused (a payload
  or GraphQL error) and leave the database unchanged (every node and edge property; audit
  events and a key's `lastUsedAt` aside).

Expected visibility and edit rights per persona and case are `VISIBLE` and `EDITABLE`, which
restate graph/access.py's rules for this graph.

Adding a root field: add one entry to `ROWS`, keyed by the field name:
    "myField": Row(
        text="query($id: ID!) { myField(id: $id) { id } }",   # the document
        variables=lambda fx, case: {"id": fx.id(case, "co")},  # per case (None when global)
        cases=CASES,            # or GLOBAL for a field that takes no account
        write=False,            # True for mutations
        expect=lambda fx, case: fx.id(case, "co"),  # id a visible read must contain, or None
        allowed=None,           # writes: who may, (persona, case) -> bool; default EDITABLE
        readers=None,           # reads only some roles may make (e.g. admins); default all
    )
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import graphql
import pytest
from starlette.testclient import TestClient

from graph import access
from graph.db import Cypher
from graph.server import LocalNeo4j
from neo4j import Driver
from schema import build_schema
from tests.conftest import PERSONAS, reset_database
from tests.graph.reading import read_as
from tests.resolvers.accounts import PERSONA_NAMES as SIGNED_IN

NS = uuid.UUID("0f5b6a2e-7c1d-4e9a-9b3f-2a6c8d4e1f70")

CASES: tuple[str, ...] = ("own", "team", "shared_read", "shared_edit", "none")
GLOBAL: tuple[str | None, ...] = (None,)
TOKENS = {
    "own": "MXOWN",
    "team": "MXTEAM",
    "shared_read": "MXSHREAD",
    "shared_edit": "MXSHEDIT",
    "none": "MXNONE",
}
PERSONA_NAMES = ("anonymous", *SIGNED_IN)
EVERY = frozenset(CASES)
VISIBLE: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "owner": frozenset({"own", "team", "shared_read", "shared_edit"}),
    "other_team": frozenset({"shared_read", "shared_edit"}),
    "manager_above": EVERY,
    "manager_west": frozenset({"shared_read", "shared_edit"}),
    "analyst": EVERY,
    "auditor": EVERY,
    "admin": EVERY,
}
EDITABLE: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "owner": frozenset({"own", "team", "shared_edit"}),
    "other_team": frozenset({"shared_read", "shared_edit"}),
    "manager_above": EVERY,
    "manager_west": frozenset({"shared_read", "shared_edit"}),
    "analyst": frozenset(),
    "auditor": frozenset(),
    "admin": EVERY,
}
WRITERS = frozenset({"owner", "other_team", "manager_above", "manager_west", "admin"})


def fid(*parts: str) -> str:
    return str(uuid.uuid5(NS, ":".join(parts)))


# Users and teams of the fixture, beside the conftest personas (fixed ids: scopes are cached).
TEAM_MATE = fid("user", "team_mate")  # SALES, EAST
WEST_MATE = fid("user", "west_mate")  # SALES, WEST: owns the shared accounts
NORTH_REP = fid("user", "north_rep")  # SALES, NORTH: owns the `none` accounts
SPARE_USER = fid("user", "spare")  # SALES, HQ: the target of user mutations and shares
SPARE_KEY = fid("apikey", "spare")  # an API key of the spare user (its secret is unknown)
NORTH = fid("team", "NORTH")
SPARE_TEAM = fid("team", "MXSPARE")
PUBLIC_REF = fid("company", "public_ref")
PRODUCT = fid("product", "catalogue")
SPARE_FIELD = fid("customfield", "spare")  # a custom field definition, for its mutations
RULE = fid("classification", "rule")  # a classification rule every customer matches
REVIEW = fid("classification", "review")  # a review with one change per case's `co`
TEMPLATE = fid("outreach", "template")  # an SMS template the owner persona wrote
AUDIENCE = fid("outreach", "audience")  # a saved audience (core tier) the owner persona saved
JOB = fid("outreach", "job")  # the owner's job: one message (and outbox entry) per case's `co`
CASE_OWNER = {
    "own": PERSONAS["owner"]["id"],
    "team": TEAM_MATE,
    "shared_read": WEST_MATE,
    "shared_edit": WEST_MATE,
    "none": NORTH_REP,
}


@dataclass(frozen=True)
class Fixture:
    def id(self, case: str | None, part: str) -> str:
        assert case is not None
        return fid(case, part)

    def leaks(self, case: str) -> set[str]:
        """What must not appear in a response to a persona that may not see `case`."""
        parts = ("co", "co2", "p1", "p2", "project", "works", "works2", "sub", "part", "stance")
        parts += ("request", "record", "followup", "message", "dupe")
        return {TOKENS[case], *(fid(case, p) for p in parts), fid(case, "audit")}


FX = Fixture()

BUILD = """
MATCH (owner:User {id: $owner}), (otherTeam:User {id: $otherTeam}), (hq:Team {code: 'HQ'})
CREATE (north:Team {id: $north, code: 'NORTH', name: 'North', version: 1})-[:PART_OF]->(hq)
CREATE (:Team {id: $spareTeam, code: 'MXSPARE', name: 'Spare', version: 1})-[:PART_OF]->(hq)
CREATE (:User {id: $teamMate, name: 'Team mate', roles: ['SALES'], team: 'EAST', version: 1})
CREATE (:User {id: $westMate, name: 'West mate', roles: ['SALES'], team: 'WEST', version: 1})
CREATE (:User {id: $northRep, name: 'North rep', roles: ['SALES'], team: 'NORTH', version: 1})
CREATE (spare:User {id: $spare, name: 'Spare user', roles: ['SALES'], team: 'HQ', version: 1})
CREATE (spare)-[:HAS_KEY]->(:ApiKey {id: $spareKey, name: 'spare', hash: 'not a real digest',
        prefix: 'spare', createdAt: datetime(), createdBy: 'test'})
CREATE (ref:Company {id: $publicRef, name: 'MXPUBLIC reference', version: 1,
        createdAt: datetime(), updatedAt: datetime()})
CREATE (:Product {id: $product, sku: 'MX-1', name: 'MXPRODUCT 产品', version: 1})
CREATE (:CustomFieldDefinition {id: $spareField, kind: 'COMPANY', key: 'mxSpare', type: 'TEXT',
        required: false, personal: false, dynamic: false, version: 1, createdAt: datetime(),
        updatedAt: datetime()})
CREATE (:MessageTemplate {id: $template, name: 'MX 模板', channel: 'SMS', locale: 'zh-CN',
        body: '{{ contact.name }} 您好', version: 1, createdBy: $owner, createdAt: datetime(),
        updatedAt: datetime()})
CREATE (job:OutreachJob {id: $job, channel: 'SMS', templateId: $template, status: 'DONE',
        ratePerMinute: 60, createdBy: $owner, createdAt: datetime(), finishedAt: datetime()})
CREATE (:SavedAudience {id: $audience, name: 'MX 受众', filter: '{"tiers": ["CORE"]}',
        createdBy: $owner, createdAt: datetime(), updatedAt: datetime(), version: 1})
WITH owner, otherTeam, spare, ref, job
UNWIND $cases AS c
MATCH (o:User {id: c.owner})
CREATE (co:Company:Customer {id: c.co, name: c.token + ' company 矩阵客户', version: 1,
        externalSource: 'mx', externalId: c.token, customerKind: 'ENTERPRISE',
        createdAt: datetime(), updatedAt: datetime()})
CREATE (co2:Company:Customer {id: c.co2, name: c.token + ' subsidiary 子公司', version: 1,
        customerKind: 'ENTERPRISE', createdAt: datetime(), updatedAt: datetime()})
// A duplicate candidate pairing the case's two companies (graph/duplicates.py).
CREATE (:DuplicateCandidate {id: c.dupe, label: 'Company', a: c.co, b: c.co2, score: 0.9,
        reasons: ['NAME_SIMILAR 0.90'], status: 'OPEN', foundAt: datetime(), scanId: 'mx'})
CREATE (:FieldChange {id: c.co + '/settlementMethod', targetId: c.co, targetLabel: 'Company',
        field: 'settlementMethod', old: c.token + ' 月结', new: '预付', at: datetime(),
        by: c.owner})
CREATE (p1:Person {id: c.p1, name: c.token + ' 联系人甲', version: 1, mobile: '+8613800000000',
        externalSource: 'mx', externalId: c.token, createdAt: datetime(), updatedAt: datetime()})
CREATE (p2:Person {id: c.p2, name: c.token + ' 联系人乙', version: 1,
        createdAt: datetime(), updatedAt: datetime()})
CREATE (pr:Project {id: c.project, name: c.token + ' project 项目', version: 1,
        externalSource: 'mx', externalId: c.token, createdAt: datetime(), updatedAt: datetime()})
CREATE (o)-[:OWNS {id: c.owns, version: 1, createdAt: datetime(), updatedAt: datetime()}]->(co)
CREATE (o)-[:OWNS {id: c.owns2, version: 1, createdAt: datetime(), updatedAt: datetime()}]->(co2)
CREATE (co2)-[:SUBSIDIARY_OF {id: c.sub, kind: 'SUBSIDIARY', version: 1,
        createdAt: datetime(), updatedAt: datetime()}]->(co)
CREATE (p1)-[:WORKS_AT {id: c.works, title: c.token + ' 经理', version: 1,
        createdAt: datetime(), updatedAt: datetime()}]->(co)
CREATE (p2)-[:WORKS_AT {id: c.works2, version: 1, createdAt: datetime(),
        updatedAt: datetime()}]->(co)
CREATE (p2)-[:INFLUENCES {id: c.influences, strength: 0.8, polarity: 'POSITIVE', version: 1,
        createdAt: datetime(), updatedAt: datetime()}]->(p1)
CREATE (pr)-[:FOR {id: c.for, version: 1, createdAt: datetime(), updatedAt: datetime()}]->(co)
CREATE (p1)-[:PARTICIPATES_IN {id: c.part, role: 'DECISION_MAKER', stance: 'NEUTRAL',
        version: 1, createdAt: datetime(), updatedAt: datetime()}]->(pr)
CREATE (co)-[:SUPPLIES {id: c.supplies, version: 1, createdAt: datetime(),
        updatedAt: datetime()}]->(ref)
CREATE (:StanceChange {id: c.stance, projectId: c.project, personId: c.p1, from: 'UNKNOWN',
        to: 'NEUTRAL', at: datetime(), by: c.owner, version: 1})
CREATE (:ChangeRequest {id: c.request, status: 'PENDING', source: 'STAFF', targetId: c.p2,
        targetLabel: 'Person', fields: ['name'], baseVersion: 1, requestedBy: $teamMate,
        requestedAt: datetime(), reason: 'mx',
        changes: '[{"field": "name", "kind": "value", "new": "' + c.token
                 + ' 改名", "old": null}]'})
CREATE (rec:Record:Interaction {id: c.record, kind: 'Interaction', version: 1,
        occurredAt: datetime() - duration('P1D'), channel: 'CALL', direction: 'OUTBOUND',
        subject: c.token + ' 沟通', notes: c.token + ' 备注', createdAt: datetime(),
        updatedAt: datetime()})-[:ABOUT]->(co)
CREATE (rec)-[:INVOLVES]->(p1)
CREATE (rec)-[:NEXT_STEP]->(fu:FollowUp {id: c.followup, action: c.token + ' 跟进',
        status: 'OPEN', dueAt: datetime() + duration('P7D'), version: 1})-[:ABOUT]->(co)
CREATE (fu)-[:ASSIGNED_TO]->(o)
// Outreach: the owner's job wrote to every case's contact (the outbox kept a copy).
CREATE (m:OutreachMessage {id: c.message, key: c.message, seq: c.seq, jobId: $job,
        status: 'SENT', channel: 'SMS', customerId: c.co, personId: c.p1,
        address: '+8613800000000', body: c.token + ' 短信'})-[:IN_JOB]->(job)
CREATE (m)-[:TO_CUSTOMER]->(co)
CREATE (m)-[:TO_PERSON]->(p1)
CREATE (:OutboxEntry {id: c.message, channel: 'SMS', address: '+8613800000000',
        body: c.token + ' 短信', at: datetime(), jobId: $job, customerId: c.co})
// Scores of the last run (graph/intelligence.py): on the customer, a snapshot and a move.
SET co.valueScore = 50.0, co.tier = 'GENERAL', co.churnRisk = 40, co.churnLevel = 'MEDIUM',
    co.churnReasonCodes = ['COMPLAINTS'], co.lifecycleStage = 'ACTIVE', co.scoreId = c.co + '/s'
CREATE (:ScoreSnapshot {id: c.co + '/s', customerId: c.co, scoredAt: datetime(),
        confirmedAt: datetime(), modelVersion: 'mx', value: 50.0, segment: 'GENERAL',
        churnRisk: 40, churnLevel: 'MEDIUM', stage: 'ACTIVE',
        explanation: '{"stageReason": "' + c.token + ' 规则", "factors": [], "churnReasons": []}'})
CREATE (:FieldChange {id: c.co + '/lifecycleStage', targetId: c.co, targetLabel: 'Company',
        field: 'lifecycleStage', old: 'NEW', new: 'ACTIVE', at: datetime(), by: c.owner,
        rule: 'MANUAL', reason: c.token + ' 原因'})
CREATE (:AuditEvent {id: c.audit, at: datetime(), actor: c.owner, action: 'company.update',
        targetId: c.co, targetLabel: 'Company', fields: ['name'], requestId: 'mx'})
CREATE (co)-[:SHARED_WITH {id: c.spareShare, level: 'READ', by: c.owner, at: datetime()}]->(spare)
FOREACH (_ IN CASE WHEN c.level IS NULL THEN [] ELSE [1] END |
  CREATE (co)-[:SHARED_WITH {id: c.share, level: c.level, by: c.owner, at: datetime(),
          until: datetime() + duration('P30D')}]->(owner)
  // A subsidiary is an account of its own: shared with the same terms.
  CREATE (co2)-[:SHARED_WITH {id: c.share2, level: c.level, by: c.owner, at: datetime(),
          until: datetime() + duration('P30D')}]->(owner))
WITH owner, otherTeam, collect(c) AS cs
// Rings across the cases, so hidden nodes sit next to visible ones.
UNWIND range(0, size(cs) - 1) AS i
WITH owner, otherTeam, cs[i] AS a, cs[(i + 1) % size(cs)] AS b
MATCH (ca:Company {id: a.co}), (cb:Company {id: b.co}), (pa:Person {id: a.p1}),
      (pb:Person {id: b.p1})
CREATE (ca)-[:PARTNERS_WITH {id: a.ring, version: 1, createdAt: datetime(),
        updatedAt: datetime()}]->(cb)
CREATE (pa)-[:RELATED_TO {id: a.tie, kind: 'FRIEND', version: 1, createdAt: datetime(),
        updatedAt: datetime()}]->(pb)
WITH DISTINCT owner, otherTeam
MATCH (ownP2:Person {id: $ownP2}), (srP2:Person {id: $srP2})
CREATE (owner)-[:KNOWS {id: $knows1, strength: 0.9, version: 1}]->(ownP2)
CREATE (otherTeam)-[:KNOWS {id: $knows2, strength: 0.9, version: 1}]->(srP2)
"""

EDGE_PARTS = ("owns", "owns2", "sub", "works", "works2", "influences", "for", "part",
              "supplies", "spareShare", "share", "share2", "ring", "tie")  # fmt: skip


def build(driver: Driver) -> None:
    cases = []
    for seq, case in enumerate(CASES, start=1):
        level = {"shared_read": "READ", "shared_edit": "EDIT"}.get(case)
        row: dict[str, Any] = {"token": TOKENS[case], "owner": CASE_OWNER[case], "level": level,
                               "seq": seq}  # fmt: skip
        parts = ("co", "co2", "p1", "p2", "project", "stance", "audit", "request", "record")
        for part in (*parts, "followup", "message", "dupe", *EDGE_PARTS):
            row[part] = fid(case, part)
        cases.append(row)
    driver.execute_query(
        BUILD,
        owner=PERSONAS["owner"]["id"],
        otherTeam=PERSONAS["other_team"]["id"],
        north=NORTH,
        spareTeam=SPARE_TEAM,
        teamMate=TEAM_MATE,
        westMate=WEST_MATE,
        northRep=NORTH_REP,
        spare=SPARE_USER,
        spareKey=SPARE_KEY,
        publicRef=PUBLIC_REF,
        product=PRODUCT,
        spareField=SPARE_FIELD,
        template=TEMPLATE,
        audience=AUDIENCE,
        job=JOB,
        cases=cases,
        ownP2=fid("own", "p2"),
        srP2=fid("shared_read", "p2"),
        knows1=fid("knows", "owner"),
        knows2=fid("knows", "other_team"),
        database_="neo4j",
    )
    changes = [{"co": fid(c, "co"), "change": fid(c, "change"), "seq": i + 1}
               for i, c in enumerate(CASES)]  # fmt: skip
    driver.execute_query(CLASSIFICATION, rule=RULE, review=REVIEW, cases=changes, database_="neo4j")
    records = [fid(c, "record") for c in CASES]
    driver.execute_query(KNOWLEDGE, records=records, database_="neo4j")


# Classification: a rule, its class, and a stored review that changed every case's `co`.
CLASSIFICATION = """
CREATE (k:CustomerClass {id: 'NATURE:MXCLASS', dimension: 'NATURE', key: 'MXCLASS',
        nameZh: '矩阵类', nameEn: 'Matrix class'})
CREATE (:ClassificationRule {id: $rule, dimension: 'NATURE', classKey: 'MXCLASS',
        nameZh: '矩阵类', priority: 1, enabled: true, version: 1, createdAt: datetime(),
        updatedAt: datetime(),
        conditions: '[{"field": "customerKind", "op": "EQ", "value": "ENTERPRISE"}]'})
        -[:ASSIGNS]->(k)
CREATE (v:ClassificationReview {id: $review, startedAt: datetime(), finishedAt: datetime(),
        by: 'mx', dryRun: false, counts: '{"customers": 10, "changes": 5}'})
WITH k, v UNWIND $cases AS c MATCH (co:Company {id: c.co})
CREATE (ch:ClassificationChange {id: c.change, seq: c.seq, dimension: 'NATURE', ruleId: $rule,
        customerId: co.id, at: datetime()})-[:IN_REVIEW]->(v)
CREATE (ch)-[:OF]->(co)
CREATE (ch)-[:TO]->(k)
"""

# Team knowledge: every case's interaction is marked, so a search that does not filter leaks.
KNOWLEDGE = """
MATCH (r:Record) WHERE r.id IN $records
SET r:Knowledge, r.knowledgeTitle = r.subject, r.knowledgeTags = ['矩阵'], r.knowledgeText = '矩阵',
    r.knowledgeMarkedAt = datetime()
"""


SNAPSHOT = """
MATCH (n) WHERE NOT n:AuditEvent AND NOT n:__Neo4jMigration AND NOT n:__Neo4jMigrationsLock
  AND NOT n:__EdgeLock  // per-type lock nodes a refused hierarchy write may create
WITH n ORDER BY n.id
WITH collect(n {.*, lastUsedAt: null, labels: labels(n)}) AS nodes
OPTIONAL MATCH (a)-[r]->(b) WHERE NOT a:AuditEvent AND NOT b:AuditEvent
WITH nodes, r, a, b ORDER BY a.id, type(r), b.id, r.id
RETURN nodes, collect(r {.*, type: type(r), a: a.id, b: b.id}) AS edges
"""


def snapshot(driver: Driver) -> str:
    record = driver.execute_query(SNAPSHOT, database_="neo4j").records[0]
    return json.dumps({"nodes": record["nodes"], "edges": record["edges"]}, default=str)


Variables = Callable[[Fixture, str | None], dict[str, Any]]
Allowed = Callable[[str, str | None], bool]


def none(fx: Fixture, case: str | None) -> dict[str, Any]:
    return {}


def by_case(part: str, name: str = "id") -> Variables:
    return lambda fx, case: {name: fx.id(case, part)}


def editable(persona: str, case: str | None) -> bool:
    return case is not None and case in EDITABLE[persona]


def sharers(persona: str, case: str | None) -> bool:
    """Edit rights of one's own: the owner edits `shared_edit` only through its share, which
    is not passed on."""
    return editable(persona, case) and not (persona == "owner" and case == "shared_edit")


def writers(persona: str, case: str | None) -> bool:
    return persona in WRITERS


def admins(persona: str, case: str | None) -> bool:
    return persona == "admin"


def everyone(persona: str, case: str | None) -> bool:
    return persona != "anonymous"


def holders(persona: str, case: str | None) -> bool:
    """Handing an account over needs it held (own, team, managed team, ADMIN); a share to
    the viewer, even EDIT, is not enough."""
    shared_to_me = persona == "owner" and case in {"shared_read", "shared_edit"}
    return editable(persona, case) and not shared_to_me


def nobody(persona: str, case: str | None) -> bool:
    return False


def privileged(persona: str, case: str | None) -> bool:
    return persona in {"admin", "manager_above", "manager_west"}


def admins_on_cases(persona: str, case: str | None) -> bool:
    return persona == "admin" and case is not None


def deciders(persona: str, case: str | None) -> bool:
    """ADMIN, or a MANAGER above the requester's team (EAST) who may edit the target."""
    return persona == "admin" or (persona == "manager_above" and editable(persona, case))


def planners(persona: str, case: str | None) -> bool:
    """Sales plans for a customer: ADMIN, or a MANAGER who may edit it."""
    managers = {"manager_above", "manager_west"}
    return persona == "admin" or (persona in managers and editable(persona, case))


def exporters(persona: str, case: str | None) -> bool:
    """ADMIN, or a MANAGER who sees the person."""
    visible = case is not None and case in VISIBLE[persona]
    return persona == "admin" or (persona in {"manager_above", "manager_west"} and visible)


@dataclass(frozen=True)
class Row:
    text: str
    variables: Variables = none
    cases: tuple[str | None, ...] = CASES
    write: bool = False
    # A read of a visible case must mention this id (None: nothing to look for).
    expect: Callable[[Fixture, str | None], str | None] | None = None
    # Writes: who may. Reads of a global row: visible to everyone signed in.
    allowed: Allowed = editable
    # Reads of a global row only some roles may make (e.g. admins): who. Default: everyone.
    readers: Allowed | None = None
    # Reads: (data, persona, case) -> a failure message or None, for counts.
    check: Callable[[dict[str, Any], str, str | None], str | None] | None = None
    notes: str = field(default="")


def expect(part: str) -> Callable[[Fixture, str | None], str | None]:
    return lambda fx, case: fx.id(case, part)


def total(path: tuple[str, ...], per_case: int, extra: int = 0) -> Callable[..., str | None]:
    """`totalCount` at `path` counts `per_case` nodes per visible case (+ `extra`)."""

    def check(data: dict[str, Any], persona: str, case: str | None) -> str | None:
        node: Any = data
        for key in path:
            node = node[key]
        want = per_case * len(VISIBLE[persona]) + extra
        got = node["totalCount"]
        return None if got == want else f"totalCount {got}, expected {want}"

    return check


def named_filter(check: Callable[..., str | None]) -> Callable[..., str | None]:
    """`check`, except for the anonymised ANALYST: a name filter matches no person for them
    (docs/ACCESS.md, the anonymised view), whatever they may see."""

    def wrapped(data: dict[str, Any], persona: str, case: str | None) -> str | None:
        if persona != "analyst":
            return check(data, persona, case)
        got = data["people"]
        return None if got == {"totalCount": 0, "nodes": []} else f"people {got}, expected none"

    return wrapped


def warned(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    """The warning list holds exactly the visible cases' scored companies."""
    got = len(data["churnWarnings"]["nodes"])
    want = len(VISIBLE[persona])
    return None if got == want else f"{got} warnings, expected {want}"


def counted(got: int, persona: str) -> str | None:
    """One deal per visible case (each case's project)."""
    want = len(VISIBLE[persona])
    return None if got == want else f"counted {got} deals, want {want}"


def at_risk(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    counts = {x["key"]: x["count"] for x in data["churnAnalysis"]["atRiskByReason"]}
    want = len(VISIBLE[persona])
    got = counts.get("COMPLAINTS", 0)
    return None if got == want else f"{got} at risk, expected {want}"


def quality_counted(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    """Two customers (the company and its subsidiary) per visible case."""
    got = data["dataQualityReport"]["customers"]
    want = 2 * len(VISIBLE[persona])
    return None if got == want else f"counted {got} customers, want {want}"


def audit_total(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    got = data["auditTrail"]["totalCount"]
    want = 1 if case in VISIBLE[persona] else 0
    return None if got == want else f"totalCount {got}, expected {want}"


def request_writes(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    """Every case's event was written by request `mx`, by the case's owner: a viewer reads
    its own events, the read-all roles everyone's."""
    got = {e["targetId"] for e in data["writesOfRequest"]}
    mine = {fid(c, "co") for c in CASES if CASE_OWNER[c] == PERSONAS.get(persona, {}).get("id")}
    want = {fid(c, "co") for c in CASES} if persona in ("analyst", "auditor", "admin") else mine
    return None if got == want else f"events about {sorted(got)}, expected {sorted(want)}"


MX = {"nameContains": "MX"}
NODE_FIELDS = "id ... on Company { name } ... on Person { name } ... on Project { name }"
MAP = "nodes { id name } edges { id source target } truncated moreBeyondDepth"
PAYLOAD = "errors { code field }"

ROWS: dict[str, Row] = {
    # --- system: nothing per account ---------------------------------------------------------
    "enumLabels": Row('{ enumLabels(enum: "Tier") { value } }', cases=GLOBAL),
    "version": Row("{ version }", cases=GLOBAL),
    "database": Row("{ database { name } }", cases=GLOBAL),
    "me": Row("{ me { name roles user { id } } }", cases=GLOBAL),
    # --- nodes by id ----------------------------------------------------------------------------
    "node": Row(
        "query($id: ID!) { node(id: $id) { " + NODE_FIELDS + " } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "nodes": Row(
        "query($ids: [ID!]!) { nodes(ids: $ids) { " + NODE_FIELDS + " } }",
        lambda fx, case: {"ids": [fx.id(case, p) for p in ("co", "p1", "project")]},
        expect=expect("p1"),
    ),
    "company": Row(
        "query($id: ID!) { company(id: $id) { id name owner { id } contacts { id name } "
        "subsidiaries { id name } parents { id } shares { level } } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "person": Row(
        "query($id: ID!) { person(id: $id) { id name mobile employer { company { id name } } } }",
        by_case("p1"),
        expect=expect("p1"),
    ),
    "project": Row(
        "query($id: ID!) { project(id: $id) { id name } }",
        by_case("project"),
        expect=expect("project"),
    ),
    "user": Row(
        "query($id: ID!) { user(id: $id) { id name team } }",
        lambda fx, case: {"id": TEAM_MATE},
        cases=GLOBAL,
        expect=lambda fx, case: TEAM_MATE,
    ),
    "auditTrail": Row(
        "query($id: ID!) { auditTrail(id: $id, first: 10) "
        "{ totalCount edges { node { id targetId action } } } }",
        by_case("co"),
        expect=expect("audit"),
        check=audit_total,
    ),
    "writesOfRequest": Row(
        '{ writesOfRequest(requestId: "mx") { id targetId action } }',
        cases=GLOBAL,
        check=request_writes,
    ),
    "fieldHistory": Row(
        'query($id: ID!) { fieldHistory(node: $id, field: "settlementMethod") '
        "{ totalCount edges { node { targetId oldValue newValue } } } }",
        by_case("co"),
        expect=expect("co"),
    ),
    # --- lists and search: counts include only what the viewer may see -------------------------
    "companies": Row(
        "query($f: PartyFilter) { companies(first: 100, filter: $f) "
        "{ totalCount nodes { id name } } }",
        lambda fx, case: {"f": MX},
        cases=GLOBAL,
        check=total(("companies",), 2, extra=1),  # + the public reference company
    ),
    "people": Row(
        "query($f: PartyFilter) { people(first: 100, filter: $f) "
        "{ totalCount nodes { id name } } }",
        lambda fx, case: {"f": MX},
        cases=GLOBAL,
        check=named_filter(total(("people",), 2)),
    ),
    "projects": Row(
        "query($f: ProjectFilter) { projects(first: 100, filter: $f) "
        "{ totalCount nodes { id name } } }",
        lambda fx, case: {"f": MX},
        cases=GLOBAL,
        check=total(("projects",), 1),
    ),
    "customers": Row(
        "query($f: CustomerFilter) { customers(first: 100, filter: $f) "
        "{ totalCount nodes { ... on Company { id name } ... on Person { id name } } } }",
        lambda fx, case: {"f": MX},
        cases=GLOBAL,
        check=total(("customers",), 2),
    ),
    "search": Row(
        "query($text: String!) { search(text: $text, first: 50) { id name } }",
        lambda fx, case: {"text": TOKENS[case or ""]},
        expect=expect("co"),
    ),
    # --- maps, trees, paths, rankings: hidden nodes are left out with their edges --------------
    "accountMap": Row(
        "query($id: ID!) { accountMap(center: $id, depth: 3) { " + MAP + " } }",
        by_case("co", "id"),
        expect=expect("co"),
    ),
    "groupHierarchy": Row(
        "query($id: ID!) { groupHierarchy(company: $id) { roots map { " + MAP + " } "
        "rollups { companyId } } }",
        by_case("co", "id"),
        expect=expect("co2"),
    ),
    "contactMap": Row(
        "query($id: ID!) { contactMap(company: $id, includeSubsidiaries: true) { " + MAP + " } }",
        by_case("co", "id"),
        expect=expect("p1"),
    ),
    "decisionTree": Row(
        "query($id: ID!) { decisionTree(project: $id) { roots map { " + MAP + " } "
        "riskyOpponents unconnectedDecisionMakers decisionMakersNobodyKnows "
        "stanceHistory { id personId } } }",
        by_case("project", "id"),
        expect=expect("p1"),
    ),
    "relatedAccounts": Row(
        "query($id: ID!) { relatedAccounts(company: $id, maxHops: 3) "
        "{ company { id name } paths { nodes { id name } } } }",
        by_case("co", "id"),
    ),
    "path": Row(
        "query($from: ID!, $to: ID!) { path(from: $from, to: $to, maxHops: 4) "
        "{ nodes { id name } edges { id } explanation } }",
        lambda fx, case: {"from": fx.id(case, "co"), "to": PUBLIC_REF},
        expect=expect("co"),
    ),
    "warmIntroPaths": Row(
        "query($id: ID!) { warmIntroPaths(target: $id, maxHops: 4) "
        "{ nodes { id name } edges { id } explanation } }",
        by_case("p1", "id"),
    ),
    "influenceRanking": Row(
        "query($id: ID!) { influenceRanking(scope: $id) { person { id name } explanation } }",
        by_case("co", "id"),
        expect=expect("p1"),
    ),
    "relationship": Row(
        "query($id: ID!) { relationship(id: $id) { id type fromNode { id } toNode { id } } }",
        by_case("works"),
        expect=expect("works"),
    ),
    "stanceHistory": Row(
        "query($id: ID!) { stanceHistory(project: $id) { id personId by } }",
        by_case("project", "id"),
        expect=expect("stance"),
    ),
    # --- teams: every signed-in viewer ---------------------------------------------------------
    "teams": Row("{ teams { id code members { id } } }", cases=GLOBAL, expect=lambda fx, c: NORTH),
    "team": Row(
        "query($id: ID!) { team(id: $id) { code } }",
        lambda fx, case: {"id": NORTH},
        cases=GLOBAL,
        expect=lambda fx, c: "NORTH",
    ),
    # --- node writes ------------------------------------------------------------------------------
    "createCompany": Row(
        'mutation { createCompany(input: {name: "MXNEW co"}) { company { id } ' + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=writers,
    ),
    "updateCompany": Row(
        "mutation($id: ID!) { updateCompany(input: {id: $id, expectedVersion: 1, "
        'industry: "changed"}) { company { id } ' + PAYLOAD + " } }",
        by_case("co"),
        write=True,
    ),
    "upsertCompany": Row(
        'mutation($x: String!) { upsertCompany(input: {externalSource: "mx", externalId: $x, '
        'name: "MXUPSERT", industry: "changed"}) { company { id name } created ' + PAYLOAD + " } }",
        lambda fx, case: {"x": TOKENS[case or ""]},
        write=True,
    ),
    "archiveCompany": Row(
        "mutation($id: ID!) { archiveCompany(input: {id: $id}) { company { id } "
        + PAYLOAD
        + " } }",
        by_case("co"),
        write=True,
        allowed=sharers,  # nor archives, which no mutation undoes (tester BO)
    ),
    "deleteCompany": Row(
        "mutation($id: ID!) { deleteCompany(input: {id: $id}) { deletedId " + PAYLOAD + " } }",
        by_case("co2"),
        write=True,
        allowed=sharers,  # an EDIT share neither deletes nor merges
    ),
    "createPerson": Row(
        'mutation { createPerson(input: {name: "MXNEW person"}) { person { id } '
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=writers,
    ),
    "updatePerson": Row(
        "mutation($id: ID!) { updatePerson(input: {id: $id, expectedVersion: 1, "
        'education: "changed"}) { person { id } ' + PAYLOAD + " } }",
        by_case("p1"),
        write=True,
    ),
    "upsertPerson": Row(
        'mutation($x: String!) { upsertPerson(input: {externalSource: "mx", externalId: $x, '
        'name: "MXUPSERT", education: "changed"}) { person { id name } created ' + PAYLOAD + " } }",
        lambda fx, case: {"x": TOKENS[case or ""]},
        write=True,
    ),
    "archivePerson": Row(
        "mutation($id: ID!) { archivePerson(input: {id: $id}) { person { id } " + PAYLOAD + " } }",
        by_case("p2"),
        write=True,
        allowed=sharers,  # nor archives, which no mutation undoes (tester BO)
    ),
    "deletePerson": Row(
        "mutation($id: ID!) { deletePerson(input: {id: $id}) { deletedId " + PAYLOAD + " } }",
        by_case("p2"),
        write=True,
        allowed=sharers,  # an EDIT share neither deletes nor merges
    ),
    "createProject": Row(
        'mutation { createProject(input: {name: "MXNEW project"}) { project { id } '
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=writers,
    ),
    "updateProject": Row(
        "mutation($id: ID!) { updateProject(input: {id: $id, expectedVersion: 1, "
        'currency: "USD"}) { project { id } ' + PAYLOAD + " } }",
        by_case("project"),
        write=True,
    ),
    "upsertProject": Row(
        'mutation($x: String!) { upsertProject(input: {externalSource: "mx", externalId: $x, '
        'name: "MXUPSERT", currency: "USD"}) { project { id name } created ' + PAYLOAD + " } }",
        lambda fx, case: {"x": TOKENS[case or ""]},
        write=True,
    ),
    "archiveProject": Row(
        "mutation($id: ID!) { archiveProject(input: {id: $id}) { project { id } "
        + PAYLOAD
        + " } }",
        by_case("project"),
        write=True,
        allowed=sharers,  # nor archives, which no mutation undoes (tester BO)
    ),
    "deleteProject": Row(
        "mutation($id: ID!) { deleteProject(input: {id: $id}) { deletedId " + PAYLOAD + " } }",
        by_case("project"),
        write=True,
        allowed=sharers,  # an EDIT share neither deletes nor merges
    ),
    # --- staff and teams: admins only -----------------------------------------------------------
    "createUser": Row(
        'mutation { createUser(input: {name: "MXNEW user", team: "EAST"}) { user { id } '
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "updateUser": Row(
        "mutation($id: ID!) { updateUser(input: {id: $id, expectedVersion: 1, "
        "roles: [ADMIN]}) { user { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_USER},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "archiveUser": Row(
        "mutation($id: ID!) { archiveUser(input: {id: $id}) { user { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_USER},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "deleteUser": Row(
        "mutation($id: ID!) { deleteUser(input: {id: $id}) { deletedId " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_USER},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # --- custom fields: definitions for all, changes by admins ----------------------------------
    "customFieldDefinitions": Row(
        "{ customFieldDefinitions { id key } }", cases=GLOBAL, expect=lambda fx, c: SPARE_FIELD
    ),
    "defineCustomField": Row(
        'mutation { defineCustomField(input: {kind: COMPANY, key: "mxNew", type: TEXT}) '
        "{ definition { id } " + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "updateCustomFieldDefinition": Row(
        "mutation($id: ID!) { updateCustomFieldDefinition(input: {id: $id, expectedVersion: 1, "
        'labelZh: "备用"}) { definition { id } misfits { count } ' + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_FIELD},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "archiveCustomFieldDefinition": Row(
        "mutation($id: ID!) { archiveCustomFieldDefinition(input: {id: $id}) "
        "{ definition { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_FIELD},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "createTeam": Row(
        'mutation { createTeam(input: {code: "MXNEWTEAM", name: "x"}) { team { id } '
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "updateTeam": Row(
        'mutation($id: ID!) { updateTeam(input: {id: $id, expectedVersion: 1, name: "y"}) '
        "{ team { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_TEAM},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "archiveTeam": Row(
        "mutation($id: ID!) { archiveTeam(input: {id: $id}) { team { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_TEAM},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # --- edges ------------------------------------------------------------------------------------
    "linkNodes": Row(
        "mutation($a: ID!, $b: ID!) { linkNodes(input: {type: RELATED_TO, from: $a, to: $b, "
        'kind: "FRIEND"}) { relationship { id } ' + PAYLOAD + " } }",
        lambda fx, case: {"a": fx.id(case, "p2"), "b": fx.id(case, "p1")},
        write=True,
    ),
    "updateLink": Row(
        "mutation($id: ID!) { updateLink(input: {id: $id, expectedVersion: 1, "
        'title: "changed"}) { relationship { id } ' + PAYLOAD + " } }",
        by_case("works"),
        write=True,
    ),
    "endLink": Row(
        "mutation($id: ID!) { endLink(input: {id: $id}) { relationship { id } " + PAYLOAD + " } }",
        by_case("works"),
        write=True,
    ),
    "unlink": Row(
        "mutation($id: ID!) { unlink(input: {id: $id}) { relationship { id } " + PAYLOAD + " } }",
        by_case("works"),
        write=True,
    ),
    "setStance": Row(
        "mutation($p: ID!, $who: ID!) { setStance(input: {project: $p, person: $who, "
        "stance: SUPPORTER}) { relationship { id } " + PAYLOAD + " } }",
        lambda fx, case: {"p": fx.id(case, "project"), "who": fx.id(case, "p1")},
        write=True,
    ),
    "transferOwnership": Row(
        "mutation($c: ID!, $to: ID!) { transferOwnership(input: {customer: $c, toUser: $to}) "
        "{ relationship { id } " + PAYLOAD + " } }",
        lambda fx, case: {"c": fx.id(case, "co"), "to": SPARE_USER},
        write=True,
        allowed=holders,
    ),
    "mergeCompanies": Row(
        "mutation($s: ID!, $m: ID!) { mergeCompanies(input: {survivor: $s, merged: [$m]}) "
        "{ mergedIds " + PAYLOAD + " } }",
        lambda fx, case: {"s": fx.id(case, "co"), "m": fx.id(case, "co2")},
        write=True,
        allowed=sharers,  # an EDIT share neither deletes nor merges
    ),
    "mergePeople": Row(
        "mutation($s: ID!, $m: ID!) { mergePeople(input: {survivor: $s, merged: [$m]}) "
        "{ mergedIds " + PAYLOAD + " } }",
        lambda fx, case: {"s": fx.id(case, "p1"), "m": fx.id(case, "p2")},
        write=True,
        allowed=sharers,  # an EDIT share neither deletes nor merges
    ),
    # --- Duplicates (R22): the queue shows candidates with a visible side; deciding takes
    # edit rights on both; scanning is for ADMIN ---------------------------------------------
    "duplicateCandidates": Row(
        "{ duplicateCandidates(label: COMPANY, first: 20) { totalCount "
        "edges { node { id score a { id } b { id } } } } }",
        expect=expect("dupe"),
        check=total(("duplicateCandidates",), 1),
    ),
    "scanDuplicates": Row(
        "mutation { scanDuplicates(input: {kind: COMPANY}) { scans { label } " + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "dismissDuplicate": Row(
        "mutation($id: ID!) { dismissDuplicate(input: {candidateId: $id}) { candidateId "
        + PAYLOAD
        + " } }",
        by_case("dupe"),
        write=True,
    ),
    "mergeDuplicate": Row(
        "mutation($id: ID!, $s: ID!) { mergeDuplicate(input: {candidateId: $id, survivorId: $s}) "
        "{ mergedIds " + PAYLOAD + " } }",
        lambda fx, case: {"id": fx.id(case, "dupe"), "s": fx.id(case, "co")},
        write=True,
        allowed=sharers,  # a merge, as mergeCompanies: not through an EDIT share
    ),
    # --- API keys (the keys helper's fields): admins, and users for their own keys -----------
    "apiKeys": Row(
        "query($u: ID) { apiKeys(userId: $u) { id name } }",
        lambda fx, case: {"u": SPARE_USER},
        cases=GLOBAL,
        readers=admins,
        expect=lambda fx, case: SPARE_KEY,
    ),
    "createApiKey": Row(
        'mutation($u: ID!) { createApiKey(input: {userId: $u, name: "mx"}) '
        "{ apiKey { id } " + PAYLOAD + " } }",
        lambda fx, case: {"u": SPARE_USER},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "rotateApiKey": Row(
        "mutation($id: ID!) { rotateApiKey(input: {id: $id}) { apiKey { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_KEY},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "revokeApiKey": Row(
        "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": SPARE_KEY},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # --- change review: each case holds a pending request by TEAM_MATE (EAST) on its p2 -------
    "changeRequests": Row(
        "{ changeRequests(first: 50) { edges { node { id targetId } } totalCount } }",
        cases=GLOBAL,
        check=total(("changeRequests",), 1),
    ),
    # Deciding needs a MANAGER above the requester's team who may edit the target, or ADMIN.
    "approveChangeRequest": Row(
        "mutation($id: ID!) { approveChangeRequest(input: {id: $id}) "
        "{ changeRequest { id status } " + PAYLOAD + " } }",
        by_case("request"),
        write=True,
        allowed=deciders,
    ),
    "rejectChangeRequest": Row(
        'mutation($id: ID!) { rejectChangeRequest(input: {id: $id, note: "mx"}) '
        "{ changeRequest { id status } " + PAYLOAD + " } }",
        by_case("request"),
        write=True,
        allowed=deciders,
    ),
    # Only the requester (TEAM_MATE, not a persona) may withdraw.
    "withdrawChangeRequest": Row(
        "mutation($id: ID!) { withdrawChangeRequest(input: {id: $id}) "
        "{ changeRequest { id status } " + PAYLOAD + " } }",
        by_case("request"),
        write=True,
        allowed=nobody,
    ),
    # --- personal data -----------------------------------------------------------------------
    "recordConsent": Row(
        "mutation($p: ID!) { recordConsent(input: {person: $p, purpose: MARKETING, "
        "source: WRITTEN}) { consent { id } " + PAYLOAD + " } }",
        by_case("p1", "p"),
        write=True,
    ),
    "withdrawConsent": Row(
        "mutation($p: ID!) { withdrawConsent(input: {person: $p, purpose: MARKETING, "
        "source: WRITTEN}) { consent { id } " + PAYLOAD + " } }",
        by_case("p1", "p"),
        write=True,
    ),
    "processingAllowed": Row(
        "query($p: ID!) { processingAllowed(person: $p, purpose: MARKETING) "
        "{ person allowed reason } }",
        by_case("p1", "p"),
        expect=expect("p1"),
    ),
    # ID numbers are looked up by keyed hash; no fixture person has one, so this checks the
    # role gate and that nothing leaks.
    "peopleByIdNumber": Row(
        '{ peopleByIdNumber(idNumber: "11010519491231002X") { id } }',
        cases=GLOBAL,
        readers=privileged,
    ),
    "personalDataExport": Row(
        "mutation($p: ID!) { personalDataExport(input: {person: $p}) { export " + PAYLOAD + " } }",
        by_case("p1", "p"),
        write=True,
        allowed=exporters,
    ),
    "erasePerson": Row(
        "mutation($p: ID!) { erasePerson(input: {person: $p, reason: SUBJECT_REQUEST}) "
        "{ personId outcome " + PAYLOAD + " } }",
        by_case("p2", "p"),
        write=True,
        allowed=admins_on_cases,
    ),
    "setDataRetention": Row(
        "mutation($id: ID!) { setDataRetention(input: {id: $id, legalHold: true, "
        'legalHoldReason: "mx"}) { retention { id } ' + PAYLOAD + " } }",
        by_case("co"),
        write=True,
        allowed=admins_on_cases,
    ),
    # --- shares -----------------------------------------------------------------------------------
    "shareAccount": Row(
        "mutation($a: ID!, $u: ID!) { shareAccount(input: {account: $a, withUser: $u, "
        "level: EDIT}) { share { id } " + PAYLOAD + " } }",
        lambda fx, case: {"a": fx.id(case, "co"), "u": SPARE_USER},
        write=True,
        allowed=sharers,
    ),
    "unshareAccount": Row(
        "mutation($a: ID!, $u: ID!) { unshareAccount(input: {account: $a, withUser: $u}) "
        "{ unsharedId " + PAYLOAD + " } }",
        lambda fx, case: {"a": fx.id(case, "co"), "u": SPARE_USER},
        write=True,
        allowed=sharers,
    ),
    # --- records over time: they follow their customer ------------------------------------------
    "timeline": Row(
        "query($id: ID!) { timeline(party: $id, first: 10, includeSubsidiaries: true) "
        "{ nodes { id subject notes contacts { id name } customer { ... on Company { id name } } "
        "... on Interaction { followUps { id action } } } totalCount } }",
        by_case("co"),
        expect=expect("record"),
    ),
    "record": Row(
        "query($id: ID!) { record(id: $id) { id subject contacts { id name } } }",
        by_case("record"),
        expect=expect("record"),
    ),
    "followUps": Row(
        "{ followUps(first: 50) { nodes { id action customer { ... on Company { id name } } "
        "record { id } } totalCount } }",
        cases=GLOBAL,
        check=total(("followUps",), 1),
    ),
    "products": Row("{ products(first: 10) { nodes { id sku name } } }", cases=GLOBAL),
    # Catalogue aggregates (support >= 3 customers): every signed-in viewer reads them.
    "relatedProducts": Row(
        "query($id: ID!) { relatedProducts(product: $id, first: 5) "
        "{ basedOn { id } product { id sku } support confidence lift } }",
        lambda fx, case: {"id": PRODUCT},
        cases=GLOBAL,
    ),
    "saveRecord": Row(
        "mutation($c: ID!, $p: ID!) { saveRecord(input: {customer: $c, "
        'occurredAt: "2026-11-01T10:00:00+08:00", contacts: [$p], '
        "interaction: {channel: CALL}}) { record { id } " + PAYLOAD + " } }",
        lambda fx, case: {"c": fx.id(case, "co"), "p": fx.id(case, "p1")},
        write=True,
    ),
    "voidRecord": Row(
        'mutation($id: ID!) { voidRecord(input: {id: $id, reason: "mx"}) { record { id } '
        + PAYLOAD
        + " } }",
        by_case("record"),
        write=True,
    ),
    "closeFollowUp": Row(
        "mutation($id: ID!) { closeFollowUp(input: {id: $id}) { followUp { id } "
        + PAYLOAD
        + " } }",
        by_case("followup"),
        write=True,
    ),
    "saveProduct": Row(
        'mutation($id: ID!) { saveProduct(input: {id: $id, name: "MXPRODUCT 改名"}) '
        "{ product { id } " + PAYLOAD + " } }",
        lambda fx, case: {"id": PRODUCT},
        cases=GLOBAL,
        write=True,
        allowed=privileged,
    ),
    # --- sales plans and team knowledge: figures and notes follow their customer -------------
    "planVsActual": Row(
        'query($id: ID!) { planVsActual(period: "2026-11", dimension: CUSTOMER, ids: [$id]) '
        "{ rows { targetId plan actual customer { ... on Company { id name } } } } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "savePlans": Row(
        'mutation($id: ID!) { savePlans(input: {plans: [{period: "2026-11", dimension: CUSTOMER, '
        'target: $id, currency: "CNY", amount: "1000"}]}) { changed plans { targetId } '
        + PAYLOAD
        + " } }",
        by_case("co"),
        write=True,
        allowed=planners,
    ),
    "knowledgeSearch": Row(
        # By the tag: an anonymised viewer matches tags only (docs/ACCESS.md).
        '{ knowledgeSearch(text: "矩阵", first: 50) { nodes { title record { id notes '
        "customer { ... on Company { id name } } } } totalCount } }",
        cases=GLOBAL,
        check=total(("knowledgeSearch",), 1),
    ),
    "markKnowledge": Row(
        'mutation($id: ID!) { markKnowledge(input: {record: $id, title: "mx", tags: ["矩阵"]}) '
        "{ record { id } " + PAYLOAD + " } }",
        by_case("record"),
        write=True,
    ),
    # --- customer intelligence: scores follow their customer -----------------------------------
    "scoreHistory": Row(
        "query($id: ID!) { scoreHistory(customer: $id, first: 5) "
        "{ nodes { id value stageReason } } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "lifecycleHistory": Row(
        "query($id: ID!) { lifecycleHistory(customer: $id) { id reason } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "churnWarnings": Row(
        "{ churnWarnings(first: 50) { nodes { id churnRisk customer { ... on Company { id name } "
        "} } } }",
        cases=GLOBAL,
        check=warned,
    ),
    "pareto": Row("{ pareto { customers topShare } }", cases=GLOBAL),
    "churnAnalysis": Row(
        "{ churnAnalysis { atRiskByReason { key count } lostByStage { key count } } }",
        cases=GLOBAL,
        check=at_risk,
    ),
    "scoringSettings": Row("{ scoringSettings { version coreAt } }", cases=GLOBAL),
    "scoringRuns": Row("{ scoringRuns { id customers } }", cases=GLOBAL, readers=privileged),
    "setLifecycleStage": Row(
        'mutation($id: ID!) { setLifecycleStage(input: {customer: $id, stage: NEW, note: "mx"}) '
        "{ intelligence { scored } " + PAYLOAD + " } }",
        by_case("co"),
        write=True,
    ),
    "saveScoringSettings": Row(
        "mutation { saveScoringSettings(input: {coreAt: 65}) { settings { version } "
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "runScoring": Row(
        "mutation { runScoring(input: {wait: true}) { accepted run { customers } "
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # --- verification and data quality (R19): statuses follow their record ---------------------
    "verificationRules": Row(
        "{ verificationRules { version rules { label field days } } }", cases=GLOBAL
    ),
    "verificationHistory": Row(
        "query($id: ID!) { verificationHistory(id: $id) { id status } }", by_case("co")
    ),
    "dataQualityReport": Row(
        "{ dataQualityReport(by: OWNER) { customers groups { key customers } } }",
        cases=GLOBAL,
        check=quality_counted,
    ),
    "verifyChannels": Row(
        # p1's mobile: a check of a channel without a value is refused (the company has none).
        "mutation($id: ID!) { verifyChannels(input: {checks: [{id: $id, field: MOBILE, "
        "status: VERIFIED, method: CALL}]}) { verifications " + PAYLOAD + " } }",
        by_case("p1"),
        write=True,
    ),
    "saveVerificationRules": Row(
        "mutation { saveVerificationRules(input: {rules: [{label: PERSON, field: MOBILE, "
        "days: 90}]}) { rules { version } " + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # --- pipeline: figures over the visible deals; hand-over by ADMIN and managers above ------
    "pipelineSettings": Row("{ pipelineSettings { version staleDays } }", cases=GLOBAL),
    "funnel": Row(
        "{ funnel { cohort steps { stage reached } } }",
        cases=GLOBAL,
        check=lambda data, persona, case: counted(data["funnel"]["cohort"], persona),
    ),
    "forecast": Row("{ forecast { total { open weighted } totalThen { open } } }", cases=GLOBAL),
    "atRiskOpportunities": Row(
        "{ atRiskOpportunities(first: 50) { totalCount items { project { id name } "
        "flags { flag people { id ... on Person { name } } } } } }",
        cases=GLOBAL,
        check=lambda data, persona, case: counted(
            data["atRiskOpportunities"]["totalCount"], persona
        ),
    ),
    "handOverBrief": Row(
        "query($id: ID!) { handOverBrief(account: $id) { account { ... on Company { id name } } "
        "openOpportunities { project { id name } flags { flag } } "
        "openFollowUps { nodes { id action } } lastInteractions { nodes { id } } "
        "keyPeople { person { id ... on Person { name } } ties { userId } } } }",
        by_case("co"),
        expect=expect("co"),
    ),
    "savePipelineSettings": Row(
        "mutation { savePipelineSettings(input: {staleDays: 10}) { settings { version } "
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "handOver": Row(
        "mutation($from: ID!, $to: ID!) { handOver(input: {from: $from, to: $to}) "
        "{ handOver { id accounts { id } } " + PAYLOAD + " } }",
        lambda fx, case: {"from": CASE_OWNER[str(case)], "to": SPARE_USER},
        write=True,
        allowed=lambda persona, case: persona in {"admin", "manager_above"},
    ),
    # --- classification: rules for all, edited by admins; changes follow their customer -------
    "classificationRules": Row(
        "{ classificationRules { id classKey } }", cases=GLOBAL, expect=lambda fx, c: RULE
    ),
    "classificationReviews": Row(
        "{ classificationReviews(first: 10) { nodes { id customers changes(first: 50) { totalCount "
        "nodes { customerId customer { ... on Company { id name } } } } } } }",
        cases=GLOBAL,
        expect=lambda fx, c: REVIEW,
        check=lambda data, persona, case: review_total(
            data["classificationReviews"]["nodes"][0], persona
        ),
    ),
    "classificationReview": Row(
        "query($id: ID!) { classificationReview(id: $id) { id customers changes(first: 50) { "
        "totalCount "
        "nodes { customerId customer { ... on Company { id name } } } } } }",
        lambda fx, case: {"id": REVIEW},
        cases=GLOBAL,
        expect=lambda fx, c: REVIEW,
        check=lambda data, persona, case: review_total(data["classificationReview"], persona),
    ),
    "saveClassificationRule": Row(
        'mutation { saveClassificationRule(input: {dimension: TRADE, classKey: "MXNEW", '
        'nameZh: "矩阵新类", conditions: []}) { rule { id } ' + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    "deleteClassificationRule": Row(
        "mutation($id: ID!) { deleteClassificationRule(input: {id: $id}) { deletedId "
        + PAYLOAD
        + " } }",
        lambda fx, case: {"id": RULE},
        cases=GLOBAL,
        write=True,
        allowed=admins,
    ),
    # A review writes every customer's classes; what it names is filtered per viewer.
    "runClassificationReview": Row(
        "mutation { runClassificationReview(input: {dryRun: false}) { review { id "
        "changes(first: 50) { nodes { customerId customer { ... on Company { id name } } } } } "
        "run { changes { customerId customer { ... on Company { id name } } } } "
        + PAYLOAD
        + " } }",
        cases=GLOBAL,
        write=True,
        allowed=privileged,
    ),
}


# --- outreach ---------------------------------------------------------------------------------
# Who sees the owner's job: the owner, the HQ manager above them, roles that read everything.
JOB_VIEWERS = frozenset({"owner", "manager_above", "admin", "auditor", "analyst"})


def template_keepers(persona: str, case: str | None) -> bool:
    """The template's creator (owner), and ADMIN or MANAGER."""
    return persona in {"owner", "admin", "manager_above", "manager_west"}


def seen_job(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    seen = data["outreachJob"] is not None
    return None if seen == (persona in JOB_VIEWERS) else f"job seen: {seen}"


def seen_jobs(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    got, want = len(data["outreachJobs"]), int(persona in JOB_VIEWERS)
    return None if got == want else f"{got} jobs, expected {want}"


def seen_audiences(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    got, want = len(data["outreachAudiences"]), int(persona in JOB_VIEWERS)
    return None if got == want else f"{got} audiences, expected {want}"


def seen_messages(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    got = len(data["outreachMessages"])
    want = len(VISIBLE[persona]) if persona in JOB_VIEWERS else 0
    return None if got == want else f"{got} messages, expected {want}"


def seen_outbox(data: dict[str, Any], persona: str, case: str | None) -> str | None:
    got, want = len(data["outboxMessages"]), len(VISIBLE[persona])
    return None if got == want else f"{got} outbox entries, expected {want}"


ROWS.update({
    "messageTemplates": Row(
        "{ messageTemplates { id name body } }", cases=GLOBAL, expect=lambda fx, c: TEMPLATE
    ),
    "previewMessage": Row(
        "query($t: ID!, $c: ID!) { previewMessage(templateId: $t, customerId: $c) "
        "{ customerId recipients { personId willSend reason body mobile } } }",
        lambda fx, case: {"t": TEMPLATE, "c": fx.id(case, "co")},
        expect=expect("co"),
        readers=writers,
    ),
    "saveMessageTemplate": Row(
        'mutation { saveMessageTemplate(input: {name: "MX 新模板", channel: SMS, locale: ZH_CN, '
        'body: "{{ contact.name }} 您好"}) { template { id } ' + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=writers,
    ),
    "archiveMessageTemplate": Row(
        "mutation($id: ID!) { archiveMessageTemplate(input: {id: $id}) { template { id } "
        + PAYLOAD + " } }",
        lambda fx, case: {"id": TEMPLATE},
        cases=GLOBAL,
        write=True,
        allowed=template_keepers,
    ),
    # Only customers the sender may edit; a listed one they may not is refused, nothing written.
    "sendOutreach": Row(
        "mutation($c: ID!, $t: ID!) { sendOutreach(input: {template: $t, audience: "
        "{customers: [$c]}}) { job { id status } addressed skipped planned { personId reason } "
        + PAYLOAD + " } }",
        lambda fx, case: {"c": fx.id(case, "co"), "t": TEMPLATE},
        write=True,
    ),
    # The sender, or a MANAGER or ADMIN who sees the job (the fixture's has finished: a
    # no-op for them, refused for everyone else).
    "cancelOutreachJob": Row(
        "mutation($id: ID!) { cancelOutreachJob(input: {id: $id}) { job { id status } "
        "cancelled " + PAYLOAD + " } }",
        lambda fx, case: {"id": JOB},
        cases=GLOBAL,
        write=True,
        allowed=lambda persona, case: persona in {"owner", "manager_above", "admin"},
    ),
    "outreachAudiences": Row(
        "{ outreachAudiences { id name tiers } }", cases=GLOBAL, check=seen_audiences
    ),
    "saveOutreachAudience": Row(
        'mutation { saveOutreachAudience(input: {name: "MX 新受众", audience: {tiers: [CORE]}}) '
        "{ audience { id } " + PAYLOAD + " } }",
        cases=GLOBAL,
        write=True,
        allowed=writers,
    ),
    # Only its creator or ADMIN deletes it.
    "deleteOutreachAudience": Row(
        "mutation($id: ID!) { deleteOutreachAudience(input: {id: $id}) { id " + PAYLOAD + " } }",
        lambda fx, case: {"id": AUDIENCE},
        cases=GLOBAL,
        write=True,
        allowed=lambda persona, case: persona in {"owner", "admin"},
    ),
    "outreachJob": Row(
        "query($id: ID!) { outreachJob(id: $id) { id status counts { total sent } } }",
        lambda fx, case: {"id": JOB},
        cases=GLOBAL,
        check=seen_job,
    ),
    "outreachJobs": Row("{ outreachJobs { id counts { total } } }", cases=GLOBAL, check=seen_jobs),
    "outreachMessages": Row(
        "query($id: ID!) { outreachMessages(jobId: $id) { id customerId mobile body "
        "customer { ... on Company { id name } } person { id name } } }",
        lambda fx, case: {"id": JOB},
        cases=GLOBAL,
        check=seen_messages,
    ),
    "outboxMessages": Row(
        "{ outboxMessages { id customerId mobile body } }", cases=GLOBAL, check=seen_outbox
    ),
})  # fmt: skip


def review_total(review: dict[str, Any], persona: str) -> str | None:
    """A review's changes count one per visible case (its `co`); its totals, of every
    customer, only for roles that read them all."""
    got = review["changes"]["totalCount"]
    want = len(VISIBLE[persona])
    if got != want:
        return f"totalCount {got}, expected {want}"
    whole = not access.READ_ALL_ROLES.isdisjoint(PERSONAS[persona]["roles"])
    if (review["customers"] is None) == whole:
        return f"customers {review['customers']} for {persona}"
    return None


def root_fields() -> list[str]:
    """Every root Query and Mutation field of the schema, from its SDL."""
    schema = graphql.build_schema(build_schema().as_str())
    out = []
    for root in (schema.query_type, schema.mutation_type):
        if root is not None:
            out.extend(root.fields)
    return out


FIELDS = root_fields()


def test_every_root_field_has_a_row() -> None:
    missing = sorted(set(FIELDS) - set(ROWS))
    stale = sorted(set(ROWS) - set(FIELDS))
    assert missing == [], f"root fields without a matrix row in ROWS: {missing}"
    assert stale == [], f"rows for fields the schema no longer has: {stale}"


def post(client: TestClient, persona: str, text: str, variables: dict[str, Any]) -> tuple[int, str]:
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {PERSONAS[persona]['key']}"
    r = client.post("/graphql", json={"query": text, "variables": variables}, headers=headers)
    return r.status_code, r.text


def leaked(persona: str, body: str, sent: dict[str, Any]) -> list[str]:
    """Tokens and ids of cases hidden from `persona` found in a response, except values the
    request sent itself."""
    echoed = json.dumps(sent)
    found = []
    for case in CASES:
        if case in VISIBLE[persona]:
            continue
        found.extend(sorted(t for t in FX.leaks(case) if t in body and t not in echoed))
    return found


def refused(body: dict[str, Any], name: str) -> bool:
    if body.get("errors"):
        return True
    payload = (body.get("data") or {}).get(name) or {}
    return bool(payload.get("errors"))


def succeeded(body: dict[str, Any], name: str) -> bool:
    return not body.get("errors") and not ((body.get("data") or {}).get(name) or {}).get("errors")


@pytest.fixture
def matrix(app_client: TestClient, cypher: Driver) -> TestClient:
    build(cypher)
    # Scopes are cached per key (resolvers/auth.py); the fixture's users and teams are new to
    # whatever an earlier test cached, so sign everyone in afresh.
    cast(Any, app_client.app).state.auth._cache.clear()
    return app_client


@pytest.mark.parametrize("name", FIELDS)
def test_matrix(name: str, matrix: TestClient, cypher: Driver) -> None:
    row = ROWS.get(name)
    assert row is not None, f"{name}: no row in ROWS (see the module docstring)"
    failures: list[str] = []
    baseline = snapshot(cypher) if row.write else ""
    dirty = False
    for persona in PERSONA_NAMES:
        for case in row.cases:
            if row.write and dirty:
                reset_database(cypher)
                build(cypher)
                # Timestamps differ from one build to the next: compare with this one.
                baseline = snapshot(cypher)
                dirty = False
            sent = row.variables(FX, case)
            status, text = post(matrix, persona, row.text, sent)
            where = f"{name} as {persona}, case {case or '-'}"
            if leaks := leaked(persona, text, sent):
                failures.append(f"{where}: LEAK {leaks}")
            if persona == "anonymous":
                if status != 401:
                    failures.append(f"{where}: anonymous got HTTP {status}")
                continue
            body = json.loads(text)
            if row.write:
                allowed = row.allowed(persona, case)
                changed = snapshot(cypher) != baseline
                dirty = changed
                if allowed and not succeeded(body, name):
                    failures.append(f"{where}: allowed write refused: {text[:300]}")
                elif not allowed and not refused(body, name):
                    failures.append(f"{where}: forbidden write accepted")
                if not allowed and changed:
                    failures.append(f"{where}: forbidden write changed the database")
                continue
            visible = case is None or case in VISIBLE[persona]
            if row.readers is not None and not row.readers(persona, case):
                if not body.get("errors"):
                    failures.append(f"{where}: a read only others may make was answered")
                continue
            if body.get("errors") and visible:
                failures.append(f"{where}: errors on a visible read: {text[:300]}")
                continue
            if visible and row.expect is not None:
                want = row.expect(FX, case)
                if want and want not in text:
                    failures.append(f"{where}: visible, but {want} is not in the response")
            problem = (
                row.check(body["data"], persona, case) if row.check and body.get("data") else None
            )
            if problem:
                failures.append(f"{where}: {problem}")
    if failures:
        pytest.fail(f"{len(failures)} failing (persona, case) of {name}:\n" + "\n".join(failures))


PREDICATE = {
    edit: Cypher(
        f"test.matrix.{'editable' if edit else 'visible'}",
        "MATCH (n:Company:Customer) WHERE n.id IN $ids AND "
        + (access.editable("n") if edit else access.visible("n"))
        + " RETURN n.id AS id",
    )
    for edit in (False, True)
}


def predicate_cases(server: LocalNeo4j, persona: str, edit: bool) -> frozenset[str]:
    """The cases whose account graph/access.py lets `persona` see (or edit)."""
    by_id = {FX.id(case, "co"): case for case in CASES}
    rows = read_as(server, persona, PREDICATE[edit], ids=list(by_id))
    return frozenset(by_id[r["id"]] for r in rows)


def test_tables_restate_the_predicate(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    """VISIBLE and EDITABLE agree with graph/access.py on this graph, so a failing matrix row
    is a filter missing in a resolver's path, not a wrong expectation."""
    build(cypher)
    for persona in SIGNED_IN:
        assert predicate_cases(neo4j_server, persona, edit=False) == VISIBLE[persona], persona
        assert predicate_cases(neo4j_server, persona, edit=True) == EDITABLE[persona], persona
