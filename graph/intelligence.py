"""Customer intelligence in the graph (R15-R17): the scoring run, its snapshots and the reads.

A scoring run (`run`) reads every customer's records and graph neighbourhood in batches
(EXTRACT), fits the BG/NBD model on the whole population (graph/clv.py), scores it
(graph/scoring.py) and writes the results back in batches (WRITE):
- on the customer, what lists filter and sort by: `valueScore`, `tier` (the segment),
  `rfmR/F/M`, `churnRisk`, `churnLevel`, `churnReasonCodes`, `pAlive`, `scoredAt`, and
  `scoreId`, the latest snapshot;
- a `(:ScoreSnapshot {id, customerId, scoredAt, confirmedAt, ...})` with the explanation as
  JSON, written only when the result differs from the customer's latest one (rounded value,
  segment, RFM, stage, churn level, risk and reasons), so daily runs keep the history short
  and every snapshot marks a move; a run that moves nothing beyond that writes its exact
  figures (value, pAlive, the explanation) onto the latest snapshot and moves `confirmedAt`,
  so the factors shown always sum to the value shown (a snapshot holds the figures last
  confirmed in its period);
- a lifecycle change as a `:FieldChange` of `lifecycleStage` (graph/history.py) with the rule
  and the reason, so the field's history shows rule moves and manual ones alike.
Scoring is not a user's edit: it leaves `version` and `updatedAt` alone, so it never makes a
user's save conflict.

Only one run at a time, across processes and hosts: a `(:JobLock {name})` lease, taken with a
write lock on the node and renewed per batch; a run that dies leaves a lease that expires.

A person who objects to profiling (the latest PROFILING consent withdrawn, or erased or
restricted; graph/privacy.py) is not scored, and a run removes their scores and snapshots.

Reads apply graph/access.py's predicate to the customer; snapshots have no rights of their own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean
from typing import Any, LiteralString, TypedDict

from graph import access, clock, clv, documents, pages, scoring
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database
from graph.nodes import AUDIT, Audit, new_id
from graph.privacy import forget_scores, objects_to_profiling
from graph.refusal import Refusal

BATCH = 500
LEASE_SECONDS = 600
LOCK = "scoring"
MAX_HISTORY = 100
SNAPSHOTS_NS = uuid.UUID("0b6f2a4e-8c1d-4e7b-9a35-2f1d6c8e4b70")
# The roles whose scores the system writes; the run's audit names this actor.
SYSTEM_ACTOR = "system:scoring"


# --- Settings, stored as data -----------------------------------------------------------------
SETTINGS = documents.document("intelligence.settings", "ScoringModel", "settings")


# The plain settings: their API and stored name, and the Settings attribute.
SCALAR_SETTINGS: tuple[tuple[str, str], ...] = (
    ("currency", "currency"),
    ("coreAt", "core_at"),
    ("problemBelow", "problem_below"),
    ("problemCreditBelow", "problem_credit_below"),
    ("rfmWindowDays", "rfm_window_days"),
    ("growthWindowDays", "growth_window_days"),
    ("lapseFactor", "lapse_factor"),
    ("highRiskAt", "high_risk_at"),
    ("mediumRiskAt", "medium_risk_at"),
)


def scalar_settings(s: scoring.Settings) -> dict[str, Any]:
    return {name: getattr(s, attr) for name, attr in SCALAR_SETTINGS}


def settings_to_json(s: scoring.Settings) -> str:
    body = {
        **scalar_settings(s),
        "rates": s.rates,
        "population": s.population.value,
        "weights": {k.value: v for k, v in s.weights.items()},
    }
    return json.dumps(body, sort_keys=True)


def settings_from_json(text: str | None) -> scoring.Settings:
    if not text:
        return scoring.Settings()
    d = json.loads(text)
    base = scoring.Settings()
    return scoring.Settings(
        **{attr: d.get(name, getattr(base, attr)) for name, attr in SCALAR_SETTINGS},
        rates={k: float(v) for k, v in d.get("rates", {}).items()},
        population=scoring.Population(d.get("population", base.population.value)),
        weights={scoring.Factor(k): float(v) for k, v in d.get("weights", {}).items()}
        or base.weights,
    )


async def settings(db: Database, actor: Actor) -> tuple[scoring.Settings, int]:
    """The model's settings (every signed-in role reads them) and their version (0: defaults)."""
    body, version = await documents.load(db, SETTINGS, actor)
    return settings_from_json(body), version


async def save_settings(
    db: Database, s: scoring.Settings, expected_version: int | None, audit: Audit
) -> tuple[int | None, Refusal | None]:
    return await documents.save(db, SETTINGS, settings_to_json(s), expected_version, audit)


# --- The lock ---------------------------------------------------------------------------------
# SET first: the write lock on the node makes a second claimant wait, then read the holder
# the first one committed.
LOCK_TAKE = Cypher(
    "intelligence.lock.take",
    "MERGE (l:JobLock {name: $name}) SET l.__lock = true REMOVE l.__lock "
    "WITH l, (l.holder IS NULL OR l.holder = $holder OR l.expiresAt < datetime()) AS free "
    "FOREACH (_ IN CASE WHEN free THEN [1] ELSE [] END | SET l.holder = $holder, "
    "l.expiresAt = datetime() + duration({seconds: $lease}), l.takenAt = datetime()) "
    "RETURN free, l.holder AS holder, l.expiresAt AS expiresAt",
)
LOCK_RELEASE = Cypher(
    "intelligence.lock.release",
    "MATCH (l:JobLock {name: $name, holder: $holder}) REMOVE l.holder, l.expiresAt",
)


async def _take_lock(db: Database, holder: str) -> bool:
    rows = await db.write(LOCK_TAKE, {"name": LOCK, "holder": holder, "lease": LEASE_SECONDS})
    return bool(rows[0]["free"])


async def _release_lock(db: Database, holder: str) -> None:
    await db.write(LOCK_RELEASE, {"name": LOCK, "holder": holder})


# --- Extract ----------------------------------------------------------------------------------
BATCH_IDS = Cypher(
    "intelligence.batch_ids",
    "MATCH (c:Customer) WHERE c.id > $afterId WITH c ORDER BY c.id LIMIT $limit "
    "RETURN c.id AS id, " + objects_to_profiling("c") + " AS objects",
)

EXTRACT = Cypher(
    "intelligence.extract",
    "UNWIND $ids AS key MATCH (c:Customer {id: key}) "
    "RETURN c.id AS id, CASE WHEN c:Company THEN 'Company' ELSE 'Person' END AS kind, "
    "c.classification AS classification, c.lifecycleStage AS stage, "
    "c.lifecycleChangedAt AS stageSince, coalesce(c.lifecycleManual, false) AS stageManual, "
    # News after the stage was set, to the instant (lifecycleMovedAt): an order placed an
    # hour after a manual move releases it, although both fall on one day. A stage stored
    # with its day only counts orders from the next day on, as before.
    "EXISTS { MATCH (c)<-[:ABOUT]-(o:Order) WHERE o.voidedAt IS NULL "
    "  AND o.occurredAt <= datetime($now) AND o.occurredAt > CASE "
    "  WHEN c.lifecycleMovedAt IS NOT NULL THEN c.lifecycleMovedAt "
    "  WHEN c.lifecycleChangedAt IS NOT NULL "
    "  THEN datetime({date: c.lifecycleChangedAt, timezone: $zone}) + duration('P1D') END } "
    "AS orderedSinceStage, "
    "COLLECT { MATCH (c)<-[:ABOUT]-(o:Order) WHERE o.voidedAt IS NULL "
    "  AND o.occurredAt <= datetime($now) "
    "  RETURN {at: o.occurredAt, cents: o.amountCents, currency: o.currency, "
    "  dueOn: o.paymentDueOn, pays: COLLECT { MATCH (o)<-[:AGAINST]-(p:Payment) "
    "    WHERE p.voidedAt IS NULL AND p.occurredAt <= datetime($now) "
    "    RETURN [p.occurredAt, p.amountCents] "
    "    ORDER BY p.occurredAt }} } AS orders, "
    # Each window ends at $now: a run as of an earlier day counted the payments and surveys
    # dated after it (tester BP).
    "COUNT { (c)<-[:ABOUT]-(s:Survey) WHERE s.voidedAt IS NULL AND s.occurredAt <= datetime($now) "
    "  AND s.occurredAt > datetime($now) - duration('P365D') } AS surveys365, "
    "COLLECT { MATCH (c)<-[:ABOUT]-(s:Survey) WHERE s.voidedAt IS NULL "
    "  AND s.occurredAt <= datetime($now) "
    "  AND s.occurredAt > datetime($now) - duration('P365D') RETURN s.score } AS scores365, "
    "COUNT { (c)<-[:ABOUT]-(s:ServiceCase) WHERE s.voidedAt IS NULL "
    "  AND s.category = 'COMPLAINT' AND s.occurredAt <= datetime($now) "
    "  AND s.occurredAt > datetime($now) - duration('P180D') } AS complaints180, "
    "COUNT { (c)<-[:ABOUT]-(s:ServiceCase) WHERE s.voidedAt IS NULL "
    "  AND s.category = 'COMPLAINT' AND s.status IN ['OPEN', 'IN_PROGRESS'] } AS openComplaints, "
    "COUNT { (c)<-[:ABOUT]-(f:FollowUp) WHERE f.status <> 'CANCELLED' "
    "  AND f.dueAt <= datetime($now) AND f.dueAt > datetime($now) - duration('P365D') } "
    "AS followUpsDue, "
    "COUNT { (c)<-[:ABOUT]-(f:FollowUp {status: 'DONE'}) WHERE f.closedAt <= f.dueAt "
    "  AND f.dueAt <= datetime($now) AND f.dueAt > datetime($now) - duration('P365D') } "
    "AS followUpsKept, "
    "COUNT { (c)<-[:ABOUT]-(i:Interaction) WHERE i.voidedAt IS NULL "
    "  AND i.occurredAt <= datetime($now) AND i.occurredAt > datetime($now) - duration('P90D') } "
    "AS interactions90, "
    "COUNT { (c)<-[:ABOUT]-(i:Interaction {direction: 'INBOUND'}) WHERE i.voidedAt IS NULL "
    "  AND i.occurredAt <= datetime($now) AND i.occurredAt > datetime($now) - duration('P90D') } "
    "AS inbound90, "
    "COUNT { (c)-[:REFERRED]->(:Customer) } AS referrals, "
    "size(COLLECT { MATCH (c)<-[:SUBSIDIARY_OF*1..6]-(g:Company) RETURN DISTINCT g.id "
    "  LIMIT 50 }) AS groupCompanies, "
    "COUNT { (c)-[x:SUPPLIES|DISTRIBUTES_FOR|PARTNERS_WITH]-(:Company) WHERE " + current("x")
    + " } AS chainPartners, "
    "COUNT { (c)-[x:INFLUENCES_PURCHASE]->(:Company) WHERE " + current("x") + " } "
    "+ COUNT { (c)<-[w:WORKS_AT]-(:Person)-[x:INFLUENCES]->(:Person)-[w2:WORKS_AT]->(o:Company) "
    "  WHERE o <> c AND " + current("w") + " AND " + current("x") + " AND " + current("w2")
    + " } + COUNT { (c:Person)-[x:INFLUENCES]->(:Person) WHERE " + current("x") + " } "
    "AS peopleInfluence, "
    "COLLECT { MATCH (c)<-[w:WORKS_AT]-(p:Person) WHERE w.until IS NOT NULL "
    "  AND w.until <= date($today) AND w.until > date($today) - duration('P180D') "
    "  AND (EXISTS { (p)-[:PARTICIPATES_IN]->(:Project)-[:FOR]->(c) } "
    "    OR EXISTS { (p)<-[:INVOLVES]-(:Record)-[:ABOUT]->(c) }) "
    "  AND NOT EXISTS { (p)-[w3:WORKS_AT]->(c) WHERE " + current("w3") + " } "
    "  RETURN DISTINCT p.id LIMIT 5 } AS contactsLeft, "
    "COLLECT { MATCH (c)<-[x:INCUMBENT_AT]-(k:Company) WHERE " + current("x")
    + "  AND x.since > date($today) - duration('P365D') RETURN DISTINCT k.id LIMIT 5 } "
    "AS newIncumbents",
)  # fmt: skip


def _settled(cents: int, pays: list[list[Any]]) -> tuple[int, dt.date | None]:
    """Paid so far, and the day the payments first covered `cents`."""
    paid, settled = 0, None
    for day, amount in pays:
        paid += amount or 0
        if settled is None and paid >= cents:
            settled = _date(day)
    return paid, settled


def _date(v: Any) -> dt.date | None:
    """A date, or the business day of an instant (graph/clock.py), whatever offset it was
    saved with."""
    if v is None:
        return None
    native = v.to_native() if hasattr(v, "to_native") else v
    out: dt.date = clock.day_of(native) if isinstance(native, dt.datetime) else native
    return out


def features(row: dict[str, Any]) -> scoring.Features:
    orders: list[scoring.OrderIn] = []
    for o in row["orders"]:
        paid, settled = _settled(o["cents"], o["pays"])
        at = _date(o["at"])
        assert at is not None
        orders.append(
            {
                "at": at,
                "cents": o["cents"],
                "currency": o["currency"],
                "dueOn": _date(o["dueOn"]),
                "paidCents": paid,
                "settledOn": settled,
            }
        )
    return scoring.Features(
        id=row["id"],
        kind=row["kind"],
        classification=row["classification"],
        stage=row["stage"],
        stage_since=_date(row["stageSince"]),
        stage_manual=row["stageManual"],
        ordered_since_stage=row["orderedSinceStage"],
        orders=orders,
        surveys_365=row["surveys365"],
        satisfaction_365=mean(scores) if (scores := row["scores365"]) else None,
        complaints_180=row["complaints180"],
        open_complaints=row["openComplaints"],
        follow_ups_due=row["followUpsDue"],
        follow_ups_kept=row["followUpsKept"],
        interactions_90=row["interactions90"],
        inbound_90=row["inbound90"],
        referrals=row["referrals"],
        group_companies=row["groupCompanies"],
        chain_partners=row["chainPartners"],
        people_influence=row["peopleInfluence"],
        contacts_left=list(row["contactsLeft"]),
        new_incumbents=list(row["newIncumbents"]),
    )


# --- Write ------------------------------------------------------------------------------------
WRITE = Cypher(
    "intelligence.write",
    "UNWIND $rows AS row MATCH (c:Customer {id: row.id}) "
    "WITH c, row, c.lifecycleStage AS oldStage "
    "SET c.valueScore = row.value, c.tier = row.segment, c.rfmR = row.recency, "
    "c.rfmF = row.frequency, c.rfmM = row.monetary, c.churnRisk = row.churnRisk, "
    "c.churnLevel = row.churnLevel, c.churnReasonCodes = row.reasonCodes, "
    "c.pAlive = row.pAlive, c.scoredAt = datetime($now), c.scoreModel = $model "
    "FOREACH (_ IN CASE WHEN row.stageRule IS NOT NULL THEN [1] ELSE [] END | "
    "  SET c.lifecycleStage = row.stage, c.lifecycleChangedAt = date($today), "
    "  c.lifecycleMovedAt = datetime($now), "
    "  c.lifecycleManual = false, c.lifecycleNote = null, "
    "  c.lostReason = CASE WHEN row.stage = 'LOST' THEN 'LAPSED' END, "
    "  c.lostNote = CASE WHEN row.stage = 'LOST' THEN row.stageReason END "
    "  MERGE (fc:FieldChange {id: $runId + '/' + c.id + '/lifecycleStage'}) ON CREATE SET "
    "  fc.targetId = c.id, fc.targetLabel = row.kind, fc.field = 'lifecycleStage', "
    "  fc.old = oldStage, fc.new = row.stage, fc.at = datetime($now), fc.by = $actor, "
    "  fc.rule = row.stageRule, fc.reason = row.stageReason, fc.auditId = $runId, "
    # The reason the stage holds, in its history too (tester BD read LAPSED on the stage and
    # null on the entry that set it).
    "  fc.lostReason = CASE WHEN row.stage = 'LOST' THEN 'LAPSED' END) "
    "WITH c, row OPTIONAL MATCH (last:ScoreSnapshot {id: c.scoreId}) "
    "WITH c, row, last, (last IS NULL OR last.digest <> row.digest) AS changed "
    "FOREACH (_ IN CASE WHEN changed THEN [1] ELSE [] END | "
    "  MERGE (s:ScoreSnapshot {id: row.snapshotId}) ON CREATE SET s += row.snapshot, "
    "  s.customerId = c.id, s.scoredAt = datetime($now), s.confirmedAt = datetime($now), "
    "  s.runId = $runId, s.modelVersion = $model, s.digest = row.digest "
    "  SET c.scoreId = row.snapshotId) "
    # Unchanged to rounding: the latest snapshot takes this run's figures (the exact value,
    # pAlive, the explanation), so the factors shown always sum to the value shown.
    "FOREACH (_ IN CASE WHEN NOT changed THEN [1] ELSE [] END | "
    "  SET last += row.snapshot, last.confirmedAt = datetime($now), "
    "  last.modelVersion = $model) "
    "RETURN count(c) AS written, sum(CASE WHEN changed THEN 1 ELSE 0 END) AS moved, "
    "sum(CASE WHEN row.stageRule IS NOT NULL THEN 1 ELSE 0 END) AS stageChanges",
)
# Objectors: their scores and snapshots go.
FORGET = Cypher(
    "intelligence.forget",
    "UNWIND $ids AS key MATCH (c:Customer {id: key}) "
    + forget_scores("c")
    + "RETURN count(c) AS n",
)
RUN_SAVE = Cypher(
    "intelligence.run.save",
    "CREATE (r:ScoringRun {id: $runId}) SET r += $props WITH r " + AUDIT,
)


def _digest(o: scoring.ScoreOut) -> str:
    key = [
        round(o["value"]),
        o["segment"],
        o["recency"],
        o["frequency"],
        o["monetary"],
        o["stage"],
        o["churnLevel"],
        o["churnRisk"],
        [r["reason"] for r in o["churnReasons"]],
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def _write_row(o: scoring.ScoreOut, kind: str, run_id: str, model: dict[str, Any]) -> Any:
    explanation = {
        "factors": o["factors"],
        "rfm": o["rfmInputs"],
        "churnReasons": o["churnReasons"],
        "stageReason": o["stageReason"],
        "model": model,
    }
    # What the customer and its snapshot both hold.
    scores = {
        key: o[key]
        for key in ("value", "segment", "recency", "frequency", "monetary", "churnRisk",
                    "churnLevel", "pAlive", "stage")
    }  # fmt: skip
    explained = json.dumps(explanation, ensure_ascii=False, default=str)
    return {
        **scores,
        "id": o["id"],
        "kind": kind,
        "reasonCodes": [r["reason"] for r in o["churnReasons"]],
        "stageRule": o["stageRule"],
        "stageReason": o["stageReason"],
        "digest": _digest(o),
        "snapshotId": str(uuid.uuid5(SNAPSHOTS_NS, run_id + "/" + o["id"])),
        "snapshot": {**scores, "explanation": explained},
    }


class RunRow(TypedDict):
    id: str
    startedAt: Any
    finishedAt: Any
    by: str
    customers: int
    excluded: int
    moved: int
    stageChanges: int
    fitted: bool
    fitSkipped: str | None
    seconds: float
    extractSeconds: float  # reading customers and their records
    fitSeconds: float  # the BG/NBD fit (0 when skipped)
    writeSeconds: float  # scoring and writing back
    modelVersion: str


@dataclass
class Progress:
    """Callbacks for a progress bar: `total` once, then `advance(n)` per customer batch."""

    total: Callable[[int], None] = lambda n: None
    advance: Callable[[int], None] = lambda n: None


async def run(
    db: Database,
    audit: Audit,
    today: dt.date | None = None,
    progress: Progress | None = None,
    holder: str | None = None,
) -> RunRow | None:
    """One scoring run over every customer; None when another run holds the lock."""
    holder = holder or new_id()
    if not await _take_lock(db, holder):
        return None
    try:
        return await _run(db, audit, today or clock.today(), progress or Progress(), holder)
    finally:
        await _release_lock(db, holder)


async def _run(
    db: Database, audit: Audit, today: dt.date, progress: Progress, holder: str
) -> RunRow:
    started = time.perf_counter()
    run_id = new_id()
    # At a fixed offset for the driver: it must never get a ZoneInfo datetime (graph/clock.py).
    now = clock.fixed(dt.datetime.combine(today, dt.datetime.now(clock.ZONE).timetz()))
    s, settings_version = await settings(db, audit.actor)
    # Ids first (cheap), so the bar knows its total and objectors are set apart.
    ids: list[str] = []
    objectors: list[str] = []
    after = ""
    while True:
        rows = await db.read(BATCH_IDS, {"afterId": after, "limit": 5000})
        if not rows:
            break
        for r in rows:
            (objectors if r["objects"] else ids).append(r["id"])
        after = rows[-1]["id"]
    progress.total(2 * len(ids))
    t0 = time.perf_counter()
    population: list[scoring.Features] = []
    params = {"now": now, "today": today, "zone": clock.neo4j_zone()}
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        population += [features(r) for r in await db.read(EXTRACT, {**params, "ids": chunk})]
        progress.advance(len(chunk))
        await _take_lock(db, holder)  # renew the lease
    histories = [
        h
        for f in population
        if (h := clv.history(f.id, [o["at"] for o in f.orders], today)) is not None
    ]
    t1 = time.perf_counter()
    fitted = await asyncio.to_thread(clv.fit, histories)
    t2 = time.perf_counter()
    for f in population:
        f.p_alive = fitted.p_alive.get(f.id)
    results = scoring.score_population(population, today, s)
    kinds = {f.id: f.kind for f in population}
    model = {
        "version": scoring.MODEL_VERSION,
        "settingsVersion": settings_version,
        "bgnbd": fitted.parameters,
        "bgnbdSkipped": fitted.skipped,
    }
    moved = changes = 0
    base = {"now": now, "today": today, "runId": run_id, "model": scoring.MODEL_VERSION}
    for i in range(0, len(results), BATCH):
        scored = results[i : i + BATCH]
        rows = [_write_row(o, kinds[o["id"]], run_id, model) for o in scored]
        out = await db.write(WRITE, {**base, "rows": rows, "actor": SYSTEM_ACTOR})
        moved += out[0]["moved"] if out else 0
        changes += out[0]["stageChanges"] if out else 0
        progress.advance(len(scored))
        await _take_lock(db, holder)
    if objectors:
        await db.write(FORGET, {"ids": objectors})
    t3 = time.perf_counter()
    row: RunRow = {
        "id": run_id,
        "startedAt": now,
        "finishedAt": clock.now(),
        "by": audit.actor.id,
        "customers": len(results),
        "excluded": len(objectors),
        "moved": moved,
        "stageChanges": changes,
        "fitted": fitted.skipped is None,
        "fitSkipped": fitted.skipped,
        "seconds": round(time.perf_counter() - started, 3),
        "extractSeconds": round(t1 - t0, 3),
        "fitSeconds": round(t2 - t1, 3),
        "writeSeconds": round(t3 - t2, 3),
        "modelVersion": scoring.MODEL_VERSION,
    }
    props = {k: v for k, v in row.items() if k != "id"}
    trail = audit.params(run_id, "ScoringRun", [])
    await db.write(RUN_SAVE, {"runId": run_id, "props": props, **trail})
    return row


# --- Reads ------------------------------------------------------------------------------------
class IntelligenceRow(TypedDict):
    """A customer's latest scores with the snapshot that explains them."""

    id: str
    value: float | None
    segment: str | None
    recency: int | None
    frequency: int | None
    monetary: int | None
    churnRisk: int | None
    churnLevel: str | None
    pAlive: float | None
    scoredAt: Any
    confirmedAt: Any
    modelVersion: str | None
    stage: str | None
    stageSince: Any
    stageManual: bool
    lostReason: str | None
    lostNote: str | None
    stageNote: str | None  # the note of a manual move, while it holds
    explanation: str | None


OF = Cypher(
    "intelligence.of",
    "UNWIND $ids AS key CALL (key) { MATCH (c:Company {id: key}) RETURN c "
    "  UNION MATCH (c:Person {id: key}) RETURN c } "
    "WITH key, c WHERE c:Customer AND " + access.visible("c") + " "
    "OPTIONAL MATCH (s:ScoreSnapshot {id: c.scoreId}) "
    "RETURN key, {id: c.id, value: c.valueScore, segment: c.tier, recency: c.rfmR, "
    "frequency: c.rfmF, monetary: c.rfmM, churnRisk: c.churnRisk, churnLevel: c.churnLevel, "
    "pAlive: c.pAlive, scoredAt: s.scoredAt, confirmedAt: s.confirmedAt, "
    "modelVersion: s.modelVersion, stage: c.lifecycleStage, stageSince: c.lifecycleChangedAt, "
    "stageManual: coalesce(c.lifecycleManual, false), lostReason: c.lostReason, "
    "lostNote: c.lostNote, stageNote: c.lifecycleNote, explanation: s.explanation} AS row",
)


async def of(db: Database, actor: Actor, ids: list[str]) -> dict[str, IntelligenceRow]:
    rows = await db.read(OF, {"ids": ids, "acl": access.acl_params(actor)})
    return {r["key"]: r["row"] for r in rows}


class SnapshotRow(TypedDict):
    id: str
    scoredAt: Any
    confirmedAt: Any
    modelVersion: str
    value: float
    segment: str
    recency: int | None
    frequency: int | None
    monetary: int | None
    churnRisk: int | None
    churnLevel: str | None
    pAlive: float | None
    stage: str
    explanation: str


_SNAPSHOTS: LiteralString = (
    "MATCH (c:Customer {id: $id}) WHERE " + access.visible("c") + " "
    "MATCH (s:ScoreSnapshot {customerId: c.id}) "
)
HISTORY = Cypher(
    "intelligence.history",
    _SNAPSHOTS + "WHERE $afterAt IS NULL OR s.scoredAt < datetime($afterAt) "
    "OR (s.scoredAt = datetime($afterAt) AND s.id < $afterId) "
    "WITH s ORDER BY s.scoredAt DESC, s.id DESC LIMIT $limit "
    "RETURN s{.id, .scoredAt, .confirmedAt, .modelVersion, .value, .segment, .recency, "
    ".frequency, .monetary, .churnRisk, .churnLevel, .pAlive, .stage, .explanation} AS snapshot",
)


HISTORY_COUNT = Cypher("intelligence.history.count", _SNAPSHOTS + "RETURN count(s) AS total")


async def history(
    db: Database,
    actor: Actor,
    customer_id: str,
    limit: int,
    after: tuple[str, str] | None,
    with_total: bool,
) -> tuple[list[SnapshotRow], int | None]:
    """A page of a customer's snapshots, newest first, and their count when asked."""
    params = {"id": customer_id, "acl": access.acl_params(actor)}
    rows, total = await pages.read(
        db, HISTORY, HISTORY_COUNT, params, pages.after(after), limit, with_total
    )
    return [r["snapshot"] for r in rows], total


class StageChangeRow(TypedDict):
    id: str
    at: Any
    old: str | None
    new: str | None
    by: str
    rule: str | None
    reason: str | None
    lostReason: str | None


STAGE_HISTORY = Cypher(
    "intelligence.stage_history",
    "MATCH (c:Customer {id: $id}) WHERE " + access.visible("c") + " "
    "MATCH (fc:FieldChange {targetId: c.id, field: 'lifecycleStage'}) "
    "WITH fc ORDER BY fc.at DESC, fc.id DESC LIMIT $limit "
    "RETURN fc{.id, .at, .old, .new, .by, .rule, .reason, .lostReason} AS change",
)


async def stage_history(
    db: Database, actor: Actor, customer_id: str, limit: int
) -> list[StageChangeRow]:
    params = {"id": customer_id, "limit": limit, "acl": access.acl_params(actor)}
    return [r["change"] for r in await db.read(STAGE_HISTORY, params)]


# The stages that have a churn risk (graph/scoring.py scores churn only for these).
CHURN_STAGES: LiteralString = "['NEW', 'ACTIVE']"

# A manual move with its reason: the customer must be editable; the change is history.
SET_STAGE = Cypher(
    "intelligence.set_stage",
    "OPTIONAL MATCH (n:Customer {id: $id}) "
    # Locked first: the same move sent twice at once is then compared with the first's result.
    "FOREACH (x IN CASE WHEN n IS NULL THEN [] ELSE [n] END | SET x.__lock = true REMOVE x.__lock) "
    # The time of the move is read once the lock is held: datetime() is the statement's start,
    # which for a move that waited on another would put it before the one it followed.
    "WITH n, datetime.realtime() AS now, CASE WHEN n IS NULL OR NOT " + access.visible("n") + " "
    "THEN 'missing' WHEN NOT " + access.editable("n") + " THEN 'forbidden' ELSE 'ok' END "
    "AS verdict "
    # The same move sent twice is one move: no second history entry (churnAnalysis counts them).
    "CALL (n, verdict, now) { WITH n WHERE verdict = 'ok' "
    "  AND NOT (coalesce(n.lifecycleManual, false) "
    "  AND n.lifecycleStage = $stage AND coalesce(n.lifecycleNote, '') = coalesce($note, '') "
    "  AND coalesce(n.lostReason, '') = coalesce(CASE WHEN $stage = 'LOST' THEN $lostReason END, "
    "  '')) "
    "  WITH n, now, n.lifecycleStage AS oldStage "
    "  SET n.lifecycleStage = $stage, n.lifecycleChangedAt = date(now), n.lifecycleManual = true, "
    "  n.lifecycleMovedAt = now, "
    "  n.lifecycleNote = $note, "
    "  n.lostReason = CASE WHEN $stage = 'LOST' THEN $lostReason END, "
    "  n.lostNote = CASE WHEN $stage = 'LOST' THEN $note END "
    # Churn risk is for NEW and ACTIVE customers only: a move out of them ends it now, not
    # at the next run (a move into them waits for the run to compute one).
    "  FOREACH (_ IN CASE WHEN NOT $stage IN " + CHURN_STAGES + " THEN [1] ELSE [] END | "
    "    REMOVE n.churnRisk, n.churnLevel, n.churnReasonCodes) "
    "  MERGE (fc:FieldChange {id: $auditId + '/lifecycleStage'}) ON CREATE SET "
    "  fc.targetId = n.id, fc.targetLabel = CASE WHEN n:Company THEN 'Company' ELSE 'Person' END, "
    "  fc.field = 'lifecycleStage', fc.old = oldStage, fc.new = $stage, fc.at = now, "
    "  fc.by = $actor, fc.rule = 'MANUAL', fc.reason = $note, fc.lostReason = $lostReason, "
    "  fc.requestId = $requestId, fc.auditId = $auditId "
    "  WITH n " + AUDIT + " } "
    "RETURN verdict",
)  # fmt: skip


async def set_stage(
    db: Database,
    customer_id: str,
    stage: str,
    note: str,
    lost_reason: str | None,
    audit: Audit,
) -> Refusal | None:
    params = {
        "id": customer_id,
        "stage": stage,
        "note": note,
        "lostReason": lost_reason,
        "acl": access.acl_params(audit.actor),
        **audit.params(customer_id, "Customer", ["lifecycleStage"]),
    }
    verdict = (await db.write(SET_STAGE, params))[0]["verdict"]
    return {"missing": Refusal.NOT_FOUND, "forbidden": Refusal.FORBIDDEN}.get(verdict)


# --- Lists and analyses over what the viewer sees ---------------------------------------------
# A period's bounds: dates, as the start of the business day.
# Business days (graph/clock.py): $zone is clock.neo4j_zone(), so that an external server
# without db.temporal.timezone counts the same days.
SINCE: LiteralString = "datetime({date: $since, timezone: $zone})"
UNTIL: LiteralString = "datetime({date: $until, timezone: $zone})"


class ParetoRow(TypedDict):
    customers: int
    top: int
    topCents: int
    totalCents: int


PARETO = Cypher(
    "intelligence.pareto",
    "MATCH (o:Order) WHERE o.occurredAt >= " + SINCE + " AND o.occurredAt < " + UNTIL + " "
    "AND o.voidedAt IS NULL AND o.currency = $currency "
    "MATCH (o)-[:ABOUT]->(c:Customer) "
    "WITH c, sum(o.amountCents) AS cents WHERE cents > 0 AND " + access.visible("c") + " "
    "WITH cents ORDER BY cents DESC WITH collect(cents) AS amounts "
    "WITH amounts, toInteger(ceil(size(amounts) * $share)) AS top "
    "RETURN size(amounts) AS customers, top, "
    "reduce(t = 0, x IN amounts[0..top] | t + x) AS topCents, "
    "reduce(t = 0, x IN amounts | t + x) AS totalCents",
)


async def pareto(
    db: Database, actor: Actor, since: dt.date, until: dt.date, currency: str, share: float
) -> ParetoRow:
    params = {
        "since": since,
        "until": until,
        "zone": clock.neo4j_zone(),
        "currency": currency,
        "share": share,
        "acl": access.acl_params(actor),
    }
    row = (await db.read(PARETO, params))[0]
    return {
        "customers": row["customers"],
        "top": row["top"],
        "topCents": row["topCents"],
        "totalCents": row["totalCents"],
    }


class CountRow(TypedDict):
    key: str | None
    count: int


class ChurnAnalysisRow(TypedDict):
    lostByStage: list[CountRow]
    lostByReason: list[CountRow]
    atRiskByReason: list[CountRow]
    atRiskByStage: list[CountRow]


CHURN_ANALYSIS = Cypher(
    "intelligence.churn_analysis",
    "CALL () { MATCH (fc:FieldChange {field: 'lifecycleStage', new: 'LOST'}) "
    "  WHERE fc.at >= " + SINCE + " AND fc.at < " + UNTIL + " "
    "  MATCH (c:Customer {id: fc.targetId}) WHERE " + access.visible("c") + " "
    "  WITH fc.old AS stage, coalesce(fc.lostReason, CASE WHEN fc.rule = 'LAPSED' "
    "  THEN 'LAPSED' ELSE 'OTHER' END) AS reason "
    # In pairs: collect() drops nulls, and a customer lost from no stage is counted too.
    "  RETURN collect([stage, reason]) AS moves } "
    "CALL () { MATCH (c:Customer) WHERE c.churnLevel IN $levels "
    "  AND c.lifecycleStage IN " + CHURN_STAGES + " AND " + access.visible("c")
    + "  RETURN collect(c.lifecycleStage) AS riskStages, "
    "  reduce(a = [], x IN collect(c.churnReasonCodes) | a + x) AS riskReasons } "
    "RETURN moves, riskStages, riskReasons",
)  # fmt: skip


def _counts(values: list[str | None]) -> list[CountRow]:
    seen: dict[str | None, int] = {}
    for v in values:
        seen[v] = seen.get(v, 0) + 1
    ranked = sorted(seen.items(), key=lambda x: (-x[1], str(x[0])))
    return [{"key": k, "count": n} for k, n in ranked]


async def churn_analysis(
    db: Database, actor: Actor, since: dt.date, until: dt.date, levels: list[str]
) -> ChurnAnalysisRow:
    params = {
        "since": since,
        "until": until,
        "zone": clock.neo4j_zone(),
        "levels": levels,
        "acl": access.acl_params(actor),
    }
    row = (await db.read(CHURN_ANALYSIS, params))[0]
    return {
        "lostByStage": _counts([stage for stage, _ in row["moves"]]),
        "lostByReason": _counts([reason for _, reason in row["moves"]]),
        "atRiskByStage": _counts(row["riskStages"]),
        "atRiskByReason": _counts(row["riskReasons"]),
    }


class WarningRow(TypedDict):
    id: str
    churnRisk: int
    churnLevel: str
    reasons: list[str]
    value: float | None
    segment: str | None
    stage: str | None
    pAlive: float | None


# Ranked by risk, then id (keyset). The owner filter is a current OWNS edge; the team filter
# takes the team's owners and those of the teams under it (PART_OF, capped like graph/team.py).
_AT_RISK: LiteralString = (
    "MATCH (c:Customer) WHERE c.churnLevel IN $levels "
    "AND c.lifecycleStage IN " + CHURN_STAGES + " "
    "AND ($owner IS NULL OR EXISTS { MATCH (:User {id: $owner})-[o:OWNS]->(c) WHERE "
    + current("o") + " }) "
    "AND ($team IS NULL OR EXISTS { MATCH (u:User)-[o:OWNS]->(c) WHERE " + current("o")
    + "  AND u.team IN COLLECT { MATCH (t:Team)-[:PART_OF*0..6]->(:Team {code: $team}) "
    "  RETURN t.code LIMIT 200 } }) "
    "AND " + access.visible("c") + " "
)  # fmt: skip
WARNINGS = Cypher(
    "intelligence.warnings",
    _AT_RISK + "AND ($afterRisk IS NULL OR c.churnRisk < $afterRisk "
    "  OR (c.churnRisk = $afterRisk AND c.id > $afterId)) "
    "WITH c ORDER BY c.churnRisk DESC, c.id LIMIT $limit "
    "RETURN c{.id, .churnRisk, .churnLevel, reasons: coalesce(c.churnReasonCodes, []), "
    "value: c.valueScore, segment: c.tier, stage: c.lifecycleStage, .pAlive} AS row",
)  # fmt: skip
WARNINGS_COUNT = Cypher("intelligence.warnings.count", _AT_RISK + "RETURN count(c) AS total")


async def warnings(
    db: Database,
    actor: Actor,
    levels: list[str],
    owner: str | None,
    team: str | None,
    limit: int,
    after: tuple[int, str] | None,
    with_total: bool,
) -> tuple[list[WarningRow], int | None]:
    """A page of the customers at risk, riskiest first, and their count when asked."""
    params = {"levels": levels, "owner": owner, "team": team, "acl": access.acl_params(actor)}
    position = pages.after(after, "afterRisk")
    rows, total = await pages.read(
        db, WARNINGS, WARNINGS_COUNT, params, position, limit, with_total
    )
    return [r["row"] for r in rows], total


RUNS = Cypher(
    "intelligence.runs",
    "MATCH (r:ScoringRun) WITH r ORDER BY r.startedAt DESC LIMIT $limit RETURN r{.*} AS run",
)


async def runs(db: Database, actor: Actor, limit: int) -> list[dict[str, Any]]:
    """The latest scoring runs (admins and managers; the resolver checks)."""
    return [r["run"] for r in await db.read(RUNS, {"limit": limit})]
