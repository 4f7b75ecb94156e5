"""Contact-channel verification and freshness (R19), and the data-quality figures built on it.

Seed 003's real case: half of 267 customer records were useless (no answer, wrong number, a
fax machine, never reachable), and nobody knew which numbers had ever been checked.

Each phone, e-mail and address of a Company or Person (vocab.CHANNELS) carries its current
verification as node properties, `<field>Status`, `…StatusAt`, `…StatusBy` and
`…StatusMethod`, so that profiles and lists read it with the node at no extra cost (outreach
already writes BOUNCED there). Every check is also kept as a `(:Verification {id, targetId,
targetLabel, field, status, method, note, at, by, recordedAt})`, never updated, for the
history (a merge moves a merged record's checks to the survivor, marked `mergedFrom`). A
changed value loses its status (graph/history.py `unverify`): the check was about
the old value. Setting a status is not an edit of the record: the version stays, so a
verification never makes someone's open edit conflict.

Freshness rules are data: `(:VerificationRules {id: 'default', rules})`, JSON of how many days
a VERIFIED status stays valid per label and field (a credit report, seed 002: 3 to 12 months;
a mobile number changes hands sooner than a registered address). A VERIFIED status older than
that is STALE.

The assessment (`assess`, `quality`) is pure: a profile computes it from the node it already
has, the report from one statement over the visible customers.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, LiteralString, TypedDict

from graph import access, clock, documents
from graph.access import visible
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database, Tx, native
from graph.history import STATUS_SUFFIXES
from graph.nodes import VERDICT, Audit, audit_from
from graph.refusal import Refusal
from graph.vocab import CHANNELS, Label, VerificationStatus

MAX_BATCH = 500
MAX_HISTORY = 200
MAX_REPORT_CUSTOMERS = 50_000
MAX_CONTACTS = 50
MAX_VALID_DAYS = 3660

# The channels a customer file should have checked: the score's denominator. A fax is
# verifiable but reaches nobody; a person without an office phone is normal.
SCORED: dict[Label, tuple[str, ...]] = {
    Label.COMPANY: ("phone", "address"),
    Label.PERSON: ("mobile", "email"),
}
# The channels that reach someone: a customer is reachable when one of them is OK.
REACH: dict[Label, tuple[str, ...]] = {
    Label.COMPANY: ("phone",),
    Label.PERSON: ("mobile", "officePhone", "email"),
}
DEFAULT_DAYS: dict[Label, dict[str, int]] = {
    Label.COMPANY: {"phone": 365, "fax": 365, "address": 730},
    Label.PERSON: {"mobile": 180, "officePhone": 365, "email": 365},
}
# Not working: a status that says the value is wrong.
DEAD = frozenset(
    {VerificationStatus.INVALID, VerificationStatus.BOUNCED, VerificationStatus.WRONG_PERSON}
)


class Flag(Enum):
    """A channel's state today, from its value, its status and the freshness rules."""

    OK = "OK"  # verified, and still within its validity
    STALE = "STALE"  # verified longer ago than the rules allow
    NEVER_VERIFIED = "NEVER_VERIFIED"  # a value nobody has checked
    NO_ANSWER = "NO_ANSWER"  # tried, nobody answered
    INVALID = "INVALID"  # INVALID, BOUNCED or WRONG_PERSON
    EMPTY = "EMPTY"  # no value


# What each flag is worth in the score (0..1).
WEIGHT: dict[Flag, float] = {
    Flag.OK: 1.0,
    Flag.STALE: 0.5,
    Flag.NEVER_VERIFIED: 0.3,
    Flag.NO_ANSWER: 0.1,
    Flag.INVALID: 0.0,
    Flag.EMPTY: 0.0,
}


@dataclass(frozen=True)
class Rules:
    """Days a VERIFIED status stays valid, per label and channel."""

    valid_days: dict[Label, dict[str, int]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_DAYS.items()}
    )

    def days(self, label: Label, channel: str) -> int:
        return self.valid_days.get(label, {}).get(channel, DEFAULT_DAYS[label][channel])


def rules_to_json(r: Rules) -> str:
    return json.dumps({k.value: v for k, v in r.valid_days.items()}, sort_keys=True)


def rules_from_json(text: str | None) -> Rules:
    base = Rules()
    if not text:
        return base
    stored = json.loads(text)
    merged = {
        label: {**days, **{k: int(v) for k, v in stored.get(label.value, {}).items()}}
        for label, days in base.valid_days.items()
    }
    return Rules(merged)


class ChannelState(TypedDict):
    field: str
    present: bool
    status: VerificationStatus | None
    at: dt.datetime | None
    by: str | None
    method: str | None
    validUntil: dt.date | None
    flag: Flag


class QualityRow(TypedDict):
    score: int
    reachable: bool
    neverVerified: list[str]
    stale: list[str]
    invalid: list[str]


def assess(
    label: Label, props: Mapping[str, Any], rules: Rules, today: dt.date
) -> list[ChannelState]:
    """Each channel of `label` in `props` (a node's properties; a channel's value may also be a
    bool saying whether it is present), as it stands on `today`."""
    out: list[ChannelState] = []
    for channel in CHANNELS[label]:
        present = bool(props.get(channel))
        raw = props.get(channel + "Status")
        status = VerificationStatus(raw) if raw else None
        at = native(props.get(channel + "StatusAt"))
        valid_until = None
        if status is VerificationStatus.VERIFIED and at is not None:
            valid_until = clock.day_of(at) + dt.timedelta(days=rules.days(label, channel))
        if not present:
            flag = Flag.EMPTY
        elif status in DEAD:
            flag = Flag.INVALID
        elif status is VerificationStatus.NO_ANSWER:
            flag = Flag.NO_ANSWER
        elif status is not VerificationStatus.VERIFIED:
            flag = Flag.NEVER_VERIFIED
        elif valid_until is not None and valid_until < today:
            flag = Flag.STALE
        else:
            flag = Flag.OK
        out.append(
            {
                "field": channel,
                "present": present,
                "status": status or (VerificationStatus.UNVERIFIED if present else None),
                "at": at,
                "by": props.get(channel + "StatusBy"),
                "method": props.get(channel + "StatusMethod"),
                "validUntil": valid_until,
                "flag": flag,
            }
        )
    return out


def reachable(label: Label, states: Sequence[ChannelState]) -> bool:
    return any(s["flag"] is Flag.OK for s in states if s["field"] in REACH[label])


def quality(
    label: Label,
    props: Mapping[str, Any],
    rules: Rules,
    today: dt.date,
    contacts: Sequence[Mapping[str, Any]] = (),
) -> QualityRow:
    """The customer's data-quality score (0-100: the mean worth of its SCORED channels) and
    whether anyone can reach it: one of its own channels OK, or, for a company, one of a
    current contact's."""
    states = assess(label, props, rules, today)
    scored = [s for s in states if s["field"] in SCORED[label]]
    score = round(100 * sum(WEIGHT[s["flag"]] for s in scored) / len(scored))
    reach = reachable(label, states) or any(
        reachable(Label.PERSON, assess(Label.PERSON, c, rules, today)) for c in contacts
    )
    return {
        "score": score,
        "reachable": reach,
        "neverVerified": [s["field"] for s in states if s["flag"] is Flag.NEVER_VERIFIED],
        "stale": [s["field"] for s in states if s["flag"] is Flag.STALE],
        "invalid": [s["field"] for s in states if s["flag"] is Flag.INVALID],
    }


# --- Rules ------------------------------------------------------------------------------------
RULES = documents.document("verification.rules", "VerificationRules", "rules")


async def rules(db: Database, actor: Actor) -> tuple[Rules, int]:
    """The freshness rules (every signed-in role reads them) and their version (0: defaults)."""
    body, version = await documents.load(db, RULES, actor)
    return rules_from_json(body), version


async def save_rules(
    db: Database, r: Rules, expected_version: int | None, audit: Audit
) -> tuple[int | None, Refusal | None]:
    return await documents.save(db, RULES, rules_to_json(r), expected_version, audit)


# --- Setting statuses -------------------------------------------------------------------------
class Check(TypedDict):
    """One verification to record: `field` is one of vocab.CHANNELS[label]."""

    id: str
    field: str
    status: VerificationStatus
    method: str
    note: str | None
    at: dt.datetime


class CheckOutcome(TypedDict):
    index: int
    refusal: Refusal | None
    verification: str | None


CHECKS_NS = uuid.UUID("5c0b7f3e-2d41-4a8e-9f6a-1b3c5d7e9f20")


def check_id(c: Check) -> str:
    """A check's id follows from what it says: the same check recorded twice (a call-results
    file imported again) is one history entry and one audit event."""
    key = "|".join((c["id"], c["field"], c["status"].value, c["method"], c["at"].isoformat()))
    return str(uuid.uuid5(CHECKS_NS, key))


# Only records the viewer sees are located: asking for the other kind's channel on a hidden
# id must answer NOT_FOUND like a missing id, not tell that it exists and what it is.
LOCATE = Cypher(
    "verification.locate",
    "UNWIND $ids AS id "
    "CALL (id) { OPTIONAL MATCH (c:Company {id: id}) OPTIONAL MATCH (p:Person {id: id}) "
    "  RETURN coalesce(c, p) AS n } "
    "RETURN id, CASE WHEN n IS NOT NULL AND " + access.visible("n", unplaced=True) + " "
    "THEN head([l IN labels(n) WHERE l IN ['Company', 'Person']]) END AS label",
)


def _set(label: Label) -> Cypher:
    lb: LiteralString = label.value  # closed vocabulary
    values: tuple[LiteralString, ...] = (
        "row.status",
        "datetime(row.at)",
        "row.actor",
        "row.method",
    )
    sets: LiteralString = ""
    for i, suffix in enumerate(STATUS_SUFFIXES):
        sets += ("" if i == 0 else ", ") + "n[row.field + '" + suffix + "'] = " + values[i]
    return Cypher(
        f"verification.set.{label.value.lower()}",
        "UNWIND $rows AS row OPTIONAL MATCH (n:" + lb + " {id: row.id}) "
        "WITH row, n, " + VERDICT + " AS verdict "
        # Locked before the value is read: an edit clearing it cannot come in between.
        "FOREACH (_ IN CASE WHEN verdict = 'ok' THEN [1] ELSE [] END | "
        "SET n.__lock = true REMOVE n.__lock) "
        # A check of no value checks nothing (and would outlive the value set later).
        "WITH row, n, CASE WHEN verdict = 'ok' AND coalesce(n[row.field], '') = '' "
        "THEN 'empty' ELSE verdict END AS verdict "
        "FOREACH (_ IN CASE WHEN verdict = 'ok' THEN [1] ELSE [] END | "
        "MERGE (v:Verification {id: row.vid}) ON CREATE SET v.targetId = n.id, "
        "v.targetLabel = '" + lb + "', v.field = row.field, v.status = row.status, "
        "v.method = row.method, v.note = row.note, v.at = datetime(row.at), v.by = row.actor, "
        "v.recordedAt = datetime() " + audit_from("row") + ") "
        "WITH row, n, verdict "
        # Only a newer check replaces the current status; an older one joins the history.
        "FOREACH (_ IN CASE WHEN verdict = 'ok' AND NOT coalesce(n[row.field + 'StatusAt'] > "
        "datetime(row.at), false) THEN [1] ELSE [] END | SET " + sets + ") "
        "RETURN row.i AS i, verdict",
    )


SET = {label: _set(label) for label in CHANNELS}
_VERDICT = {
    "ok": None,
    "missing": Refusal.NOT_FOUND,
    "forbidden": Refusal.FORBIDDEN,
    "empty": Refusal.INCOMPLETE,
}


async def record_checks(db: Database, checks: Sequence[Check], audit: Audit) -> list[CheckOutcome]:
    """Record up to MAX_BATCH checks in one transaction; each is refused alone (NOT_FOUND: no
    such visible Company or Person, FORBIDDEN: not editable by the actor, WRONG_LABEL: the
    record has no such channel, INCOMPLETE: the channel has no value). One audit event per
    check, naming the field, never a value."""
    if len(checks) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} checks at once")

    async def work(tx: Tx) -> list[CheckOutcome]:
        located = await tx.run(
            LOCATE,
            {"ids": sorted({c["id"] for c in checks}), "acl": access.acl_params(audit.actor)},
        )
        labels = {r["id"]: r["label"] for r in located}
        outcomes: list[CheckOutcome] = []
        batches: dict[Label, list[dict[str, Any]]] = {}
        for i, c in enumerate(checks):
            name = labels.get(c["id"])
            if name is None:
                outcomes.append({"index": i, "refusal": Refusal.NOT_FOUND, "verification": None})
                continue
            label = Label(name)
            if c["field"] not in CHANNELS[label]:
                outcomes.append({"index": i, "refusal": Refusal.WRONG_LABEL, "verification": None})
                continue
            vid = check_id(c)
            outcomes.append({"index": i, "refusal": None, "verification": vid})
            batches.setdefault(label, []).append(
                {
                    "i": i,
                    "vid": vid,
                    "id": c["id"],
                    "field": c["field"],
                    "status": c["status"].value,
                    "method": c["method"],
                    "note": c["note"],
                    "at": c["at"].isoformat(),
                    **audit.params(
                        c["id"], label, [c["field"] + "Status"], audit_id=vid + "/audit"
                    ),
                }
            )
        for label, rows in batches.items():
            for r in await tx.run(
                SET[label], {"rows": rows, "acl": access.acl_params(audit.actor)}
            ):
                refusal = _VERDICT[r["verdict"]]
                if refusal is not None:
                    outcomes[r["i"]] = {"index": r["i"], "refusal": refusal, "verification": None}
        return outcomes

    return await db.transaction(work)


# --- History ----------------------------------------------------------------------------------
class VerificationRow(TypedDict):
    id: str
    field: str
    status: str
    method: str
    note: str | None
    at: dt.datetime
    by: str
    recordedAt: dt.datetime
    mergedFrom: str | None


HISTORY = Cypher(
    "verification.history",
    # A merged id reads its survivor's history (graph/merge.py moved the checks there).
    "OPTIONAL MATCH (:MergedId {id: $id})-[:MERGED_INTO]->(survivor) "
    "WITH coalesce(survivor.id, $id) AS key "
    "MATCH (n {id: key}) WHERE (n:Company OR n:Person) AND " + visible("n") + " "
    "MATCH (v:Verification {targetId: n.id}) WHERE $field IS NULL OR v.field = $field "
    "WITH v ORDER BY v.at DESC, v.id DESC LIMIT $limit "
    "RETURN v{.id, .field, .status, .method, .note, .at, .by, .recordedAt, .mergedFrom} AS row",
)


async def history(
    db: Database, actor: Actor, node_id: str, channel: str | None, limit: int
) -> list[VerificationRow]:
    """The checks of a visible Company or Person, newest first (empty when not visible)."""
    rows = await db.read(
        HISTORY,
        {"id": node_id, "field": channel, "limit": limit, "acl": access.acl_params(actor)},
    )
    return [
        {
            "id": x["id"],
            "field": x["field"],
            "status": x["status"],
            "method": x["method"],
            "note": x.get("note"),
            "at": native(x["at"]),
            "by": x["by"],
            "recordedAt": native(x["recordedAt"]),
            "mergedFrom": x.get("mergedFrom"),
        }
        for x in (r["row"] for r in rows)
    ]


# --- Contacts and the report ------------------------------------------------------------------
def _presence(var: LiteralString, label: Label) -> LiteralString:
    """`var`'s channels as presence flags with their statuses: no personal value leaves."""
    out: LiteralString = var + "{"
    for i, channel in enumerate(CHANNELS[label]):
        out += ("" if i == 0 else ", ") + channel + ": " + var + "." + channel + " IS NOT NULL"
        for suffix in ("Status", "StatusAt"):
            out += ", " + channel + suffix + ": " + var + "." + channel + suffix
    return out + "}"


CONTACTS: LiteralString = (
    "COLLECT { MATCH (cp:Person)-[w:WORKS_AT]->(n) WHERE " + current("w") + " "
    "RETURN " + _presence("cp", Label.PERSON) + " LIMIT " + str(MAX_CONTACTS) + " }"
)  # fmt: skip
CONTACTS_OF = Cypher(
    "verification.contacts",
    "UNWIND $ids AS id MATCH (n:Company {id: id}) RETURN n.id AS id, " + CONTACTS + " AS contacts",
)


async def contacts_of(
    db: Database, actor: Actor, ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The current contacts' channel presence and statuses per company (companies already
    shown to `actor`; no value is read)."""
    rows = await db.read(CONTACTS_OF, {"ids": ids})
    return {r["id"]: r["contacts"] for r in rows}


class CustomerFacts(TypedDict):
    id: str
    label: str
    props: dict[str, Any]
    contacts: list[dict[str, Any]]
    ownerId: str | None
    ownerName: str | None
    team: str | None
    source: str | None


REPORT = Cypher(
    "verification.report",
    "MATCH (n:Customer) WHERE n.archivedAt IS NULL AND (n:Company OR n:Person) AND "
    + visible("n") + " WITH n LIMIT $cap "
    "WITH n, head(COLLECT { MATCH (n)<-[o:OWNS]-(u:User) WHERE o.until IS NULL "
    "OR o.until > date() RETURN u }) AS owner "
    "RETURN n.id AS id, CASE WHEN n:Company THEN 'Company' ELSE 'Person' END AS label, "
    "CASE WHEN n:Company THEN " + _presence("n", Label.COMPANY) + " ELSE "
    + _presence("n", Label.PERSON) + " END AS props, "
    "CASE WHEN n:Company THEN " + CONTACTS + " ELSE [] END AS contacts, "
    "owner.id AS ownerId, owner.name AS ownerName, owner.team AS team, "
    "n.externalSource AS source",
)  # fmt: skip


async def customer_facts(db: Database, actor: Actor) -> tuple[list[CustomerFacts], bool]:
    """Every customer `actor` sees (capped: the bool says whether more exist), with its
    channels' presence and statuses, its contacts', its owner, team and source."""
    rows = await db.read(REPORT, {"cap": MAX_REPORT_CUSTOMERS + 1, "acl": access.acl_params(actor)})
    facts: list[CustomerFacts] = [
        {
            "id": r["id"],
            "label": r["label"],
            "props": r["props"],
            "contacts": r["contacts"],
            "ownerId": r["ownerId"],
            "ownerName": r["ownerName"],
            "team": r["team"],
            "source": r["source"],
        }
        for r in rows[:MAX_REPORT_CUSTOMERS]
    ]
    return facts, len(rows) > MAX_REPORT_CUSTOMERS
