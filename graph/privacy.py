"""Personal data (issue 12; PIPL, and GDPR for foreign contacts): consent, the data-subject
export, erasure, and legal holds.

Consent: `(:Consent {id, personId, purpose, granted, source, note, at, by, expiresAt})`, one
node per grant or withdrawal, never updated, so the history stays. The current answer for a
(person, purpose) is the newest record: granted and not expired. `consented(v, purpose)` is
that answer as a Cypher expression, for statements that process many people at once (the
outreach feature: `WHERE privacy.consented("p", "$purpose")`); `may_process` is the one-person
question with its reason. Restricted and erased persons are never processed. A withdrawal of
PROFILING takes the person's scores, score snapshots and computed tier at once.

Erasure: without a hold, the person is anonymised: every property outside `KEPT` is removed,
the name becomes a stable placeholder, and the personal ties (KNOWS, RELATED_TO) go, while the
structure (WORKS_AT, REPORTS_TO, PARTICIPATES_IN, INFLUENCES, OWNS) and the customer profile
(kind, stage, tier) stay, so org charts and aggregates survive; consent notes and change
requests about the person are emptied (pending ones withdrawn), and so are the outreach
messages sent to them (address and text, in the outbox and on the timeline) and the free text
of the records they took part in or are the customer of (subject, notes, agreement, ...).
With a legal hold or a retention period on the person or an employer, the person is
*restricted* instead:
values stay stored, and graph/access.py's `visible()` hides them from every query, map and export
(PIPL art. 47). Audit events name fields, never values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import Enum
from typing import Any, LiteralString

from graph import access, crypto, pinyin
from graph.actor import Actor
from graph.cypher import NODE_LABELS
from graph.db import Cypher, Database, Tx
from graph.nodes import AUDIT, PROJECTION, Audit, by_ids, new_id, ownership_edges
from graph.refusal import Refusal
from graph.rows import ConsentRow, NodeRow, ProcessingRow, RetentionRow
from graph.vocab import ConsentPurpose, ConsentSource, ErasureReason, Label, Rel

# Caps: consent history per person shown on Person.consents, and each section of an export.
CONSENT_HISTORY = 200
EXPORT_CAP = 5000

# Kept by an erasure: identity and bookkeeping of the record, and the non-personal customer
# profile that aggregates count. Everything else on the node goes.
KEPT = frozenset(
    {
        "id",
        "version",
        "createdAt",
        "updatedAt",
        "archivedAt",
        "customerKind",
        "lifecycleStage",
        "classification",
        "tier",
        "hasPurchasingPower",
        "legalHold",
        "retentionUntil",
    }
)
# Personal ties that an erasure removes; every other edge is structure and stays.
PERSONAL_TIES = (Rel.KNOWS, Rel.RELATED_TO)
EXPORT_TYPES = [rel.value for rel in Rel]


class ProcessingReason(Enum):
    GRANTED = "GRANTED"  # the newest record grants it and has not expired
    NO_CONSENT = "NO_CONSENT"  # nothing recorded for this purpose
    WITHDRAWN = "WITHDRAWN"  # the newest record withdraws it
    EXPIRED = "EXPIRED"  # the newest grant has expired
    ERASED = "ERASED"  # the person was erased


class Hold(Enum):
    """Why an erasure restricted the person instead of anonymising them."""

    PERSON_LEGAL_HOLD = "PERSON_LEGAL_HOLD"
    PERSON_RETENTION = "PERSON_RETENTION"
    EMPLOYER_LEGAL_HOLD = "EMPLOYER_LEGAL_HOLD"
    EMPLOYER_RETENTION = "EMPLOYER_RETENTION"


class ErasureOutcome(Enum):
    ERASED = "ERASED"
    RESTRICTED = "RESTRICTED"


def consented(v: LiteralString, purpose: LiteralString) -> LiteralString:
    """A boolean Cypher expression: may person `v` be processed for `purpose` (a parameter
    such as `$purpose`, or a quoted ConsentPurpose value) now? Helper variables: `v_consent`."""
    c: LiteralString = v + "_consent"
    return (
        "(" + v + ".erasedAt IS NULL AND NOT coalesce(" + v + ".restricted, false) AND "
        "coalesce(head(COLLECT { MATCH (" + c + ":Consent {personId: " + v + ".id, purpose: "
        + purpose + "}) WITH " + c + " ORDER BY " + c + ".at DESC, " + c + ".id DESC LIMIT 1 "
        "RETURN " + c + ".granted AND (" + c + ".expiresAt IS NULL OR " + c
        + ".expiresAt > datetime()) }), false))"
    )  # fmt: skip


def objects_to_profiling(v: LiteralString) -> LiteralString:
    """A boolean Cypher expression: is `v` a person who objects to automated profiling (PIPL
    art. 24)? Their latest PROFILING consent is withdrawn, or they are erased or restricted.
    Unlike `consented`, no record means no objection: scoring is opt-out. Helper variables:
    `v_obj`."""
    o: LiteralString = v + "_obj"
    return (
        "(" + v + ":Person AND (" + v + ".erasedAt IS NOT NULL OR coalesce(" + v
        + ".restricted, false) OR coalesce(head(COLLECT { MATCH (" + o + ":Consent {personId: "
        + v + ".id, purpose: 'PROFILING'}) WITH " + o + " ORDER BY " + o + ".at DESC, " + o
        + ".id DESC LIMIT 1 RETURN NOT " + o + ".granted }), false)))"
    )  # fmt: skip


# What the scoring run writes on a customer (graph/intelligence.py): removed with its
# snapshots when a person objects to profiling. Not `tier`, which a user may set too
# (`forget_segment` takes the computed one).
SCORE_PROPS: tuple[LiteralString, ...] = (
    "valueScore", "rfmR", "rfmF", "rfmM", "churnRisk", "churnLevel", "churnReasonCodes",
    "pAlive", "scoredAt", "scoreModel", "scoreId",
)  # fmt: skip


def forget_scores(v: LiteralString) -> LiteralString:
    """Remove the scores of the bound node `v` and delete its snapshots. Helper: `v_s`."""
    props: LiteralString = ""
    for i, k in enumerate(SCORE_PROPS):
        props += ("" if i == 0 else ", ") + v + "." + k
    return (
        "REMOVE " + props + " WITH " + v + " CALL (" + v + ") { MATCH (" + v
        + "_s:ScoreSnapshot {customerId: " + v + ".id}) DETACH DELETE " + v + "_s } "
    )  # fmt: skip


def forget_segment(v: LiteralString) -> LiteralString:
    """Remove the `tier` of the bound node `v` when it is the segment its latest scoring run
    computed (the snapshot's); a tier set by hand since, a person's judgement rather than
    profiling, stays. Before `forget_scores`, which deletes that snapshot. Helper: `v_t`."""
    t: LiteralString = v + "_t"
    return (
        "SET " + v + ".tier = CASE WHEN EXISTS { MATCH (" + t + ":ScoreSnapshot {id: " + v
        + ".scoreId}) WHERE " + t + ".segment = " + v + ".tier } THEN null ELSE " + v
        + ".tier END "
    )  # fmt: skip


def placeholder(person_id: str) -> str:
    """The stable stand-in name of an erased person: the same id gives the same name."""
    return "已删除个人 Erased person " + hashlib.sha256(person_id.encode()).hexdigest()[:8]


RECORD_CONSENT = Cypher(
    "privacy.record_consent",
    "MATCH (p:Person {id: $person}) WHERE p.erasedAt IS NULL AND ($acl.editAll OR "
    + access.editable("p")
    + ") MERGE (c:Consent {id: $consentId}) ON CREATE SET c.personId = p.id, "
    "c.purpose = $purpose, c.granted = $granted, c.source = $source, c.note = $note, "
    "c.at = datetime(), c.by = $actor, "
    "c.expiresAt = CASE WHEN $expiresAt IS NULL THEN null ELSE datetime($expiresAt) END "
    # An objection to profiling takes the person's scores with it now, not at the next run,
    # and the segment the run stored as their tier (lists filter by it).
    "WITH p, c CALL (p, c) { WITH p, c WHERE c.purpose = 'PROFILING' AND NOT c.granted "
    + forget_segment("p")
    + forget_scores("p")
    + "} "
    "WITH c " + AUDIT + " RETURN c{.*} AS consent",
)

CONSENTS_OF = Cypher(
    "privacy.consents_of",
    "UNWIND $ids AS pid "
    "RETURN pid, COLLECT { MATCH (c:Consent {personId: pid}) "
    "WITH c ORDER BY c.at DESC, c.id DESC LIMIT $limit RETURN c{.*} } AS consents",
)

PROCESSING = Cypher(
    "privacy.processing",
    "MATCH (p:Person {id: $person}) WHERE " + access.visible("p") + " "
    "RETURN p.id AS person, p.erasedAt IS NOT NULL AS erased, "
    + consented("p", "$purpose")
    + " AS allowed, head(COLLECT { MATCH (c:Consent {personId: p.id, purpose: $purpose}) "
    "WITH c ORDER BY c.at DESC, c.id DESC LIMIT 1 RETURN c{.*} }) AS consent",
)

BY_DIGEST = Cypher(
    "privacy.by_id_number",
    "MATCH (n:Person {idNumberDigest: $digest}) WHERE " + access.visible("n") + " "
    "WITH n ORDER BY n.id LIMIT $limit RETURN " + PROJECTION + " AS node",
)

_OTHER: LiteralString = "o"
EXPORT = Cypher(
    "privacy.export",
    # visible() for every role: a restricted person is exported to nobody, ADMIN included
    # (PIPL art. 47: stored, not processed); `unplaced` as for any look-up by id.
    "MATCH (p:Person {id: $person}) WHERE " + access.visible("p", unplaced=True) + " "
    "RETURN p{.*, idNumberDigest: null, __lock: null} AS properties, "
    "[l IN labels(p) WHERE l <> 'Person'] AS extraLabels, "
    "COLLECT { MATCH (p)-[r]-(o) WHERE type(r) IN $types AND " + access.visible(_OTHER) + " "
    "RETURN {id: r.id, type: type(r), direction: CASE WHEN startNode(r) = p THEN 'OUT' "
    "ELSE 'IN' END, properties: properties(r), other: {id: o.id, "
    "label: head([l IN labels(o) WHERE l IN " + NODE_LABELS + "]), name: o.name}} "
    "LIMIT $cap } AS edges, "
    "COLLECT { MATCH (c:Consent {personId: p.id}) WITH c ORDER BY c.at DESC, c.id DESC "
    "LIMIT $cap RETURN c{.*} } AS consents, "
    "COLLECT { MATCH (s:StanceChange {personId: p.id}) WITH s ORDER BY s.at DESC, s.id DESC "
    "LIMIT $cap RETURN s{.*} } AS stanceHistory, "
    # Earlier values are data held about them too (graph/history.py).
    "COLLECT { MATCH (h:FieldChange {targetId: p.id}) WITH h ORDER BY h.at DESC, h.id DESC "
    "LIMIT $cap RETURN h{.*} } AS fieldHistory, "
    # With its ownership edges' events: its hand-overs.
    "COLLECT { MATCH (a:AuditEvent) WHERE a.targetId IN [p.id] + "
    + ownership_edges("p")
    + " WITH a ORDER BY a.at DESC, a.id DESC "
    "LIMIT $cap RETURN a{.*} } AS auditEvents, "
    "COLLECT { MATCH (m:MergedId)-[:MERGED_INTO]->(p) RETURN m.id LIMIT $cap } AS mergedIds",
)
AUDIT_ONLY = Cypher("privacy.audit", AUDIT + " RETURN a.id AS id")

ERASE_LOCK = Cypher(
    "privacy.erase_lock",
    "MATCH (p:Person {id: $person}) SET p.__lock = true REMOVE p.__lock "
    "RETURN keys(p) AS keys, p.erasedAt IS NOT NULL AS erased, "
    "[x IN [CASE WHEN coalesce(p.legalHold, false) THEN 'PERSON_LEGAL_HOLD' END, "
    "CASE WHEN p.retentionUntil > date() THEN 'PERSON_RETENTION' END] WHERE x IS NOT NULL] "
    "+ COLLECT { MATCH (p)-[:WORKS_AT]->(c:Company) "
    "UNWIND [CASE WHEN coalesce(c.legalHold, false) THEN 'EMPLOYER_LEGAL_HOLD' END, "
    "CASE WHEN c.retentionUntil > date() THEN 'EMPLOYER_RETENTION' END] AS h "
    "WITH h WHERE h IS NOT NULL RETURN DISTINCT h } AS holds",
)
# Duplicate candidates (graph/duplicates.py) pairing the person: the other side's name
# would tell theirs, and no merge of an erased or restricted person is wanted.
DROP_CANDIDATES: LiteralString = (
    "CALL (p) { OPTIONAL MATCH (d:DuplicateCandidate) WHERE d.a = p.id OR d.b = p.id "
    "WITH collect(d) AS pairs FOREACH (d IN pairs | DETACH DELETE d) "
    "RETURN size(pairs) AS pairs }"
)
RESTRICT = Cypher(
    "privacy.restrict",
    "MATCH (p:Person {id: $person}) " + DROP_CANDIDATES + " "
    "SET p.restricted = true, p.restrictedAt = datetime(), "
    "p.restrictionReason = $reason, p.version = p.version + 1, p.updatedAt = datetime() "
    "WITH p " + AUDIT + " RETURN p.id AS id",
)
ANONYMISE = Cypher(
    "privacy.anonymise",
    "MATCH (p:Person {id: $person}) "
    "CALL (p) { MATCH (p)-[t:RELATED_TO]-(:Person) DELETE t RETURN count(t) AS related } "
    "CALL (p) { MATCH (:User)-[k:KNOWS]->(p) DELETE k RETURN count(k) AS knows } "
    "CALL (p) { MATCH (c:Consent {personId: p.id}) SET c.note = null RETURN count(c) AS n } "
    # Change requests (graph/review.py) hold old and new values: emptied, pending ones closed.
    "CALL (p) { MATCH (r:ChangeRequest {targetId: p.id}) SET r.changes = '[]', "
    "r.reason = null, r.decisionNote = null, r.status = CASE r.status WHEN 'PENDING' "
    "THEN 'WITHDRAWN' ELSE r.status END RETURN count(r) AS requests } "
    # Field history (graph/history.py) holds old values: kept as "changed then", valueless.
    "CALL (p) { MATCH (fc:FieldChange {targetId: p.id}) SET fc.old = null, fc.new = null, "
    "fc.oldCipher = null, fc.newCipher = null RETURN count(fc) AS history } "
    # Outreach (graph/outreach.py): the rendered texts and addresses name the person; the
    # message's status and dates stay, so job counts and "contacted then" survive.
    "CALL (p) { MATCH (m:OutreachMessage)-[:TO_PERSON]->(p) "
    "SET m.address = null, m.subject = null, m.body = null "
    "WITH m OPTIONAL MATCH (o:OutboxEntry {id: m.id}) "
    "SET o.address = null, o.subject = null, o.body = null "
    "WITH m OPTIONAL MATCH (r:Record {id: m.recordId}) SET r.subject = null, r.notes = null "
    "RETURN count(m) AS messages } "
    # Records the person took part in, or is the customer of: their free text names them
    # (a call's subject, its notes); kind, dates, amounts and links stay for the figures.
    "CALL (p) { MATCH (r:Record) WHERE (r)-[:INVOLVES]->(p) OR (r)-[:ABOUT]->(p) "
    "SET r.subject = null, r.notes = null, r.agreement = null, r.resolution = null, "
    "r.response = null, r.answers = null, r.voidReason = null, r.purpose = null "
    "RETURN count(r) AS records } "
    # A merged record's key in its source system (graph/merge.py) names the person too.
    "CALL (p) { MATCH (mi:MergedId)-[:MERGED_INTO]->(p) WHERE mi.externalId IS NOT NULL "
    "SET mi.externalSource = null, mi.externalId = null RETURN count(mi) AS aliases } "
    # A channel check's note (graph/verification.py) is free text about them ("本人接听 ...");
    # its status and dates stay for the data-quality figures.
    "CALL (p) { MATCH (v:Verification {targetId: p.id}) SET v.note = null "
    "RETURN count(v) AS checks } " + DROP_CANDIDATES + " "
    "FOREACH (key IN $gone | SET p[key] = null) "
    "SET p.name = $placeholder, p.erasedAt = datetime(), p.erasureReason = $reason, "
    "p.version = p.version + 1, p.updatedAt = datetime() "
    "WITH p, related + knows AS ties " + AUDIT + " RETURN ties",
)


def _locate(label: Label) -> LiteralString:
    lb: LiteralString = label.value
    return "MATCH (n:" + lb + " {id: $id}) RETURN '" + lb + "' AS label"


LOCATE_HOLDABLE = Cypher(
    "privacy.locate",
    "CALL () { " + _locate(Label.PERSON) + " UNION " + _locate(Label.COMPANY) + " } "
    "RETURN label LIMIT 1",
)


def _set_retention(label: Label) -> Cypher:
    lb: LiteralString = label.value
    return Cypher(
        f"privacy.set_retention.{label.value.lower()}",
        "MATCH (n:" + lb + " {id: $id}) SET n.legalHold = $legalHold, "
        "n.legalHoldReason = $legalHoldReason, "
        "n.retentionUntil = CASE WHEN $retentionUntil IS NULL THEN null "
        "ELSE date($retentionUntil) END, n.version = n.version + 1, n.updatedAt = datetime() "
        "WITH n " + AUDIT + " RETURN n.id AS id, n.legalHold AS legalHold, "
        "n.legalHoldReason AS legalHoldReason, n.retentionUntil AS retentionUntil",
    )


SET_RETENTION = {label: _set_retention(label) for label in (Label.PERSON, Label.COMPANY)}


async def record_consent(
    db: Database,
    person_id: str,
    purpose: ConsentPurpose,
    granted: bool,
    source: ConsentSource,
    note: str | None,
    expires_at: dt.datetime | None,
    audit: Audit,
) -> ConsentRow | Refusal:
    """A new consent record (a grant, or with `granted=False` a withdrawal) for a person the
    actor may edit (any person for ADMIN); FORBIDDEN for one they only see, else NOT_FOUND."""
    consent_id = new_id()
    params = {
        "person": person_id,
        "consentId": consent_id,
        "purpose": purpose.value,
        "granted": granted,
        "source": source.value,
        "note": note,
        "expiresAt": expires_at.isoformat() if expires_at else None,
        "acl": access.acl_params(audit.actor),
        **audit.params(person_id, Label.PERSON, ["consents"]),
    }
    rows = await db.write(RECORD_CONSENT, params)
    if rows:
        consent: ConsentRow = rows[0]["consent"]
        return consent
    # Refused: one the actor sees (a READ share) is FORBIDDEN; else it is missing to them,
    # as an erased person is to the write.
    seen = (await by_ids(db, audit.actor, Label.PERSON, [person_id])).get(person_id)
    return Refusal.FORBIDDEN if seen and not seen.get("erasedAt") else Refusal.NOT_FOUND


async def consents_of(
    db: Database, actor: Actor, person_ids: list[str], limit: int = CONSENT_HISTORY
) -> dict[str, list[ConsentRow]]:
    """Consent history of each person (newest first), for persons already shown to `actor`."""
    rows = await db.read(CONSENTS_OF, {"ids": person_ids, "limit": limit})
    return {r["pid"]: r["consents"] for r in rows}


async def may_process(
    db: Database, actor: Actor, person_id: str, purpose: ConsentPurpose
) -> ProcessingRow | None:
    """May we process this person for `purpose` now? None when the actor cannot see them
    (restricted persons included: they are not processed at all)."""
    rows = await db.read(
        PROCESSING,
        {"person": person_id, "purpose": purpose.value, "acl": access.acl_params(actor)},
    )
    if not rows:
        return None
    row = rows[0]
    consent: ConsentRow | None = row["consent"]
    if row["erased"]:
        reason = ProcessingReason.ERASED
    elif row["allowed"]:
        reason = ProcessingReason.GRANTED
    elif consent is None:
        reason = ProcessingReason.NO_CONSENT
    elif not consent["granted"]:
        reason = ProcessingReason.WITHDRAWN
    else:
        reason = ProcessingReason.EXPIRED
    return {
        "person": row["person"],
        "purpose": purpose.value,
        "allowed": bool(row["allowed"]),
        "reason": reason.value,
        "consent": consent,
    }


async def by_id_number(db: Database, actor: Actor, id_number: str, limit: int) -> list[NodeRow]:
    """Persons with exactly this ID number (by its keyed hash), as far as `actor` sees."""
    digest = crypto.keyring().digest(id_number)
    rows = await db.read(
        BY_DIGEST, {"digest": digest, "limit": limit, "acl": access.acl_params(actor)}
    )
    return [r["node"] for r in rows]


def _plain(value: Any) -> Any:
    """JSON-ready: temporal values as ISO text, recursively through maps and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    fmt = getattr(value, "iso_format", None) or getattr(value, "isoformat", None)
    return fmt() if fmt is not None else value


async def export_person(db: Database, person_id: str, audit: Audit) -> dict[str, Any] | None:
    """Everything held about a person, as JSON-ready data, with its audit event written in
    the same transaction, for a person the actor sees (ADMIN: every person but the
    restricted ones, which no role exports). Edges to nodes the actor cannot see are left
    out (the map policy), so only ADMIN's export is complete. None when the person is not
    there for this actor."""
    acl = access.acl_params(audit.actor)
    audit_params = audit.params(person_id, Label.PERSON, [], new_id())

    async def work(tx: Tx) -> dict[str, Any] | None:
        rows = await tx.run(
            EXPORT,
            {"person": person_id, "acl": acl, "types": EXPORT_TYPES, "cap": EXPORT_CAP + 1},
        )
        if not rows:
            return None
        # Shaped (ID numbers decrypted) before the event is written: an export that fails,
        # for a data key the server lacks, is no export in the trail (tester BN).
        out = _exported(rows[0], person_id, bool(acl["all"]))
        await tx.run(AUDIT_ONLY, audit_params)
        return out

    return await db.transaction(work)


def _exported(row: dict[str, Any], person_id: str, reads_all: bool) -> dict[str, Any]:
    props = dict(row["properties"])
    if props.get(crypto.CIPHER):
        props[crypto.ID_NUMBER] = crypto.reveal(props)
    props.pop(crypto.CIPHER, None)
    props.pop(crypto.DIGEST, None)
    history = [_revealed(change) for change in row["fieldHistory"]]
    sections = ("edges", "consents", "stanceHistory", "fieldHistory", "auditEvents", "mergedIds")
    out: dict[str, Any] = {
        "format": "crm-graph/personal-data-export/1",
        "personId": person_id,
        "labels": ["Person", *row["extraLabels"]],
        "properties": _plain(props),
    }
    truncated = []
    for key in sections:
        items = history if key == "fieldHistory" else row[key]
        if len(items) > EXPORT_CAP:
            truncated.append(key)
            items = items[:EXPORT_CAP]
        out[key] = _plain(items)
    out["truncated"] = truncated
    out["complete"] = reads_all and not truncated
    return out


def _revealed(change: dict[str, Any]) -> dict[str, Any]:
    """A field change with an ID number's old and new values in full, as `properties` shows
    the current one, instead of their masks and ciphertexts."""
    out = {"old": None, "new": None, **change}  # an unset value is not stored: say null
    for side in ("old", "new"):
        if (token := out.pop(side + "Cipher", None)) is not None:
            out[side] = crypto.reveal({crypto.CIPHER: token})
    return out


async def erase_person(
    db: Database, person_id: str, reason: ErasureReason, audit: Audit
) -> tuple[ErasureOutcome | None, list[Hold]]:
    """Anonymise a person, or restrict them when a hold applies. (None, []) when there is
    no such person. An already erased person is left as is (ERASED, no new event)."""
    audit_id = new_id()

    async def work(tx: Tx) -> tuple[ErasureOutcome | None, list[Hold]]:
        locked = await tx.run(ERASE_LOCK, {"person": person_id})
        if not locked:
            return None, []
        row = locked[0]
        if row["erased"]:
            return ErasureOutcome.ERASED, []
        holds = sorted({Hold(h) for h in row["holds"]}, key=lambda h: h.value)
        if holds:
            params = {
                "person": person_id,
                "reason": reason.value,
                **Audit(audit.actor, "person.restrict", audit.request_id).params(
                    person_id, Label.PERSON, ["restricted"], audit_id
                ),
            }
            await tx.run(RESTRICT, params)
            return ErasureOutcome.RESTRICTED, holds
        gone = sorted(k for k in row["keys"] if k not in KEPT and not k.startswith("__"))
        params = {
            "person": person_id,
            "gone": [k for k in gone if k != "name"],
            "placeholder": placeholder(person_id),
            "reason": reason.value,
            **audit.params(
                person_id,
                Label.PERSON,
                crypto.field_names([k for k in gone if k not in pinyin.DERIVED]),
                audit_id,
            ),
        }
        await tx.run(ANONYMISE, params)
        return ErasureOutcome.ERASED, []

    return await db.transaction(work)


async def set_retention(
    db: Database,
    node_id: str,
    legal_hold: bool,
    legal_hold_reason: str | None,
    retention_until: dt.date | None,
    audit: Audit,
) -> tuple[RetentionRow | None, Refusal | None]:
    """Set the legal hold and retention of a person or a company (ADMIN's decision)."""
    audit_id = new_id()

    async def work(tx: Tx) -> tuple[RetentionRow | None, Refusal | None]:
        found = await tx.run(LOCATE_HOLDABLE, {"id": node_id})
        if not found:
            return None, Refusal.NOT_FOUND
        label = Label(found[0]["label"])
        params = {
            "id": node_id,
            "legalHold": legal_hold,
            "legalHoldReason": legal_hold_reason,
            "retentionUntil": retention_until.isoformat() if retention_until else None,
            **audit.params(
                node_id, label, ["legalHold", "legalHoldReason", "retentionUntil"], audit_id
            ),
        }
        rows = await tx.run(SET_RETENTION[label], params)
        r = rows[0]
        return (
            {
                "id": r["id"],
                "label": label.value,
                "legalHold": bool(r["legalHold"]),
                "legalHoldReason": r["legalHoldReason"],
                "retentionUntil": r["retentionUntil"],
            },
            None,
        )

    return await db.transaction(work)
