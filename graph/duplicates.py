"""Duplicate companies and people (R22): the scan, its stored candidates and the review queue.

The scan reads EVERY company or person (detection sees every record whatever the viewer's
rights; only restricted people, who exist for nobody, are left out), groups them by the
blocking keys of graph/matching.py, scores the pairs inside each block and stores those at
or above `matching.THRESHOLD` as `(:DuplicateCandidate {id, label, a, b, score, reasons,
status})`. A company and one it is linked to by a current SUBSIDIARY_OF edge (its parent, its
own subsidiary or branch) are never a pair. `a` < `b` are the record ids and key the node, so
a pair found again is the same node: a DISMISSED pair stays dismissed (and is kept when no
longer found, so the dismissal holds if it comes back), an OPEN one gets its new score, an
OPEN one no longer found (or any whose record is gone) is removed. A merge removes every
candidate naming the merged record (graph/merge.py), so a merged pair disappears.

The node's `id`, the one the API shows, is random, given when the pair is first stored: an id
made from the pair would let a viewer who sees one side test guesses of the other.

No all-pairs comparison: a block larger than `MAX_BLOCK` is skipped (and counted). A key
shared by that many records (a group switchboard, a generic name core such as 科技) says
nothing about any one pair, and a block of k records costs k(k-1)/2 comparisons. Nor does it
count as evidence for a pair found by another key: such a shared phone is no `SAME_PHONE`.

The queue applies the visibility predicate to both sides: a viewer sees a candidate when they
may see at least one side, and the side they may not see comes back null, always as `b` (by
id order its place would tell whether its id sorts before the visible one's). A pair with a
hidden side is not listed when its reasons rest on a value the viewer may not read in full
(the caller names those reasons): a person made with a guessed ID number would otherwise have
it confirmed by the next scan.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, LiteralString, TypedDict

from graph import matching, pages, search
from graph.access import acl_params, editable, visible_as
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database, Row, Tx
from graph.nodes import AUDIT, PROJECTION, Audit, new_id, verdict
from graph.refusal import Refusal
from graph.vocab import Label

MAX_BLOCK = 50
BATCH = 2000
# Incoming rows probed per statement: about 1.4 ms a row into 17k companies on an idle
# 2-core machine, ten times that loaded; 2,000 a statement outlasted the 15 s transaction
# timeout there and failed imports of 8,000 rows.
PROBE_BATCH = 200
LABELS = (Label.COMPANY, Label.PERSON)
OPEN, DISMISSED = "OPEN", "DISMISSED"


class CandidateRow(TypedDict):
    id: str
    label: str
    score: float
    reasons: list[str]
    status: str
    foundAt: Any
    dismissedAt: Any
    a: Row | None  # the node as PROJECTION gives it, or None when the viewer may not see it
    b: Row | None
    mayResolve: bool


class ScanRow(TypedDict):
    label: str
    records: int
    blocks: int
    skippedBlocks: int
    comparisons: int
    candidates: int
    open: int
    dismissed: int
    removed: int
    seconds: float


class LikelyDuplicate(TypedDict):
    row: int  # index of the incoming row
    existingId: str
    score: float
    reasons: list[str]


class Verdicts(TypedDict):
    label: str
    a: str
    b: str
    status: str
    va: str  # VERDICT of each side: ok, forbidden or missing (invisible counts as missing)
    vb: str


def _load(label: Label) -> Cypher:
    if label is Label.COMPANY:
        return Cypher(
            "duplicates.load.company",
            "MATCH (n:Company) RETURN n.id AS id, n.name AS name, n.nameEn AS nameEn, "
            "n.shortName AS shortName, n.unifiedSocialCreditCode AS creditCode, "
            "n.phone AS phone, "
            "[(n)-[r:SUBSIDIARY_OF]-(m:Company) WHERE " + current("r") + " | m.id] AS linked",
        )
    return Cypher(
        "duplicates.load.person",
        # Nor erased ones: two placeholders at one company read as similar names.
        "MATCH (n:Person) WHERE NOT coalesce(n.restricted, false) AND n.erasedAt IS NULL "
        "RETURN n.id AS id, n.name AS name, n.nameEn AS nameEn, n.mobile AS mobile, "
        "n.officePhone AS officePhone, n.email AS email, n.idNumberDigest AS idNumberDigest, "
        "[(n)-[:WORKS_AT]->(c:Company) | c.id][..20] AS companies",
    )


UPSERT = Cypher(
    "duplicates.upsert",
    "UNWIND $rows AS row "
    "MERGE (d:DuplicateCandidate {label: $label, a: row.a, b: row.b}) "
    "ON CREATE SET d.id = randomUUID(), d.status = 'OPEN', d.foundAt = datetime() "
    "SET d.score = row.score, d.reasons = row.reasons, d.scanId = $scanId, "
    "d.scannedAt = datetime() "
    "RETURN count(CASE WHEN d.status = 'OPEN' THEN 1 END) AS open, "
    "count(CASE WHEN d.status = 'DISMISSED' THEN 1 END) AS dismissed",
)


def _sweep(label: Label) -> Cypher:
    lb: LiteralString = label.value
    return Cypher(
        f"duplicates.sweep.{label.value.lower()}",
        "OPTIONAL MATCH (d:DuplicateCandidate {label: $label}) "
        "WHERE (d.status = 'OPEN' AND d.scanId <> $scanId) "
        "OR NOT EXISTS { MATCH (:" + lb + " {id: d.a}) } "
        "OR NOT EXISTS { MATCH (:" + lb + " {id: d.b}) } "
        # No constraint makes a pair unique (two scans at one moment could both store it):
        # of two nodes for one pair the dismissed one stays, else either.
        "OR EXISTS { MATCH (e:DuplicateCandidate {a: d.a}) WHERE e.b = d.b AND e <> d "
        "AND ((e.status = 'DISMISSED' AND d.status = 'OPEN') "
        "OR (e.status = d.status AND elementId(e) < elementId(d))) } "
        "WITH collect(d) AS gone "
        "FOREACH (d IN gone | DETACH DELETE d) "
        "WITH size(gone) AS removed " + AUDIT + " RETURN removed",
    )


def _side(v: LiteralString, seen: LiteralString, out: LiteralString) -> LiteralString:
    # PROJECTION is written for `n`: project the side under that name, only when visible.
    return "OPTIONAL CALL (" + v + ", " + seen + ") { WITH " + v + " AS n WHERE " + seen + \
        " RETURN " + PROJECTION + " AS " + out + " } "  # fmt: skip


def _queue(label: Label) -> LiteralString:
    lb: LiteralString = label.value
    # A person with no employer yet is their creator's (as person(id) and dismiss judge it).
    unplaced = label is Label.PERSON
    return (
        "MATCH (d:DuplicateCandidate {label: $label, status: $status}) "
        "MATCH (a:" + lb + " {id: d.a}), (b:" + lb + " {id: d.b}) "
        "WITH d, a, b, " + visible_as("a", lb, unplaced) + " AS va, "
        + visible_as("b", lb, unplaced) + " AS vb WHERE (va OR vb) "
        # A pair with a hidden side is not listed on evidence the viewer may not read.
        "AND ((va AND vb) OR none(r IN coalesce(d.reasons, []) WHERE r IN $concealed)) "
    )  # fmt: skip


def _page(label: Label) -> Cypher:
    return Cypher(
        f"duplicates.page.{label.value.lower()}",
        _queue(label) + "AND ($afterScore IS NULL OR d.score < $afterScore "
        "OR (d.score = $afterScore AND d.id > $afterId)) "
        "WITH d, a, b, va, vb ORDER BY d.score DESC, d.id LIMIT $limit "
        + _side("a", "va", "pa")
        + _side("b", "vb", "pb")
        + "RETURN d{.id, .label, .score, .reasons, .status, .foundAt, .dismissedAt, "
        "a: coalesce(pa, pb), b: CASE WHEN pa IS NULL THEN null ELSE pb END, "
        "mayResolve: "
        + editable("a", label is Label.PERSON)
        + " AND "
        + editable("b", label is Label.PERSON)
        + "} AS row "
        "ORDER BY d.score DESC, d.id",
    )


def _count(label: Label) -> Cypher:
    return Cypher(
        f"duplicates.count.{label.value.lower()}", _queue(label) + "RETURN count(d) AS total"
    )


def _verdicts(label: Label) -> Cypher:
    lb: LiteralString = label.value
    judged = verdict(label is Label.PERSON)
    return Cypher(
        f"duplicates.verdicts.{label.value.lower()}",
        "MATCH (d:DuplicateCandidate {id: $id, label: $label}) "
        "SET d.__lock = true REMOVE d.__lock "
        "WITH d OPTIONAL MATCH (n:" + lb + " {id: d.a}) WITH d, " + judged + " AS va "
        "OPTIONAL MATCH (n:" + lb + " {id: d.b}) WITH d, va, " + judged + " AS vb "
        "RETURN d.label AS label, d.a AS a, d.b AS b, d.status AS status, va, vb",
    )


LABEL_OF = Cypher(
    "duplicates.label_of", "MATCH (d:DuplicateCandidate {id: $id}) RETURN d.label AS label"
)
DISMISS = Cypher(
    "duplicates.dismiss",
    "MATCH (d:DuplicateCandidate {id: $id}) "
    "SET d.status = 'DISMISSED', d.dismissedAt = datetime(), d.dismissedBy = $actor "
    "WITH d " + AUDIT + " RETURN d.id AS id",
)


# Existing records read per incoming row and key (likely_duplicates): 20 by exact key, by the
# name as written (either bracket width) or by its core, 500 colleagues for the pinyin check.
# The name itself is looked up too: a core is not always inside the name it came from (a
# place the normaliser does not know, left before 分公司, stays in the core).
def _probe(label: Label) -> Cypher:
    if label is Label.COMPANY:
        return Cypher(
            "duplicates.probe.company",
            "UNWIND $probes AS p CALL (p) { "
            "MATCH (n:Company) WHERE n.unifiedSocialCreditCode IN p.codes "
            "RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE n.phone IN p.tels RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE n.name IN p.names RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE p.core IS NOT NULL AND n.name CONTAINS p.core "
            "RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE p.written IS NOT NULL AND n.name CONTAINS p.written "
            "RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE p.han IS NOT NULL AND n.name CONTAINS p.han "
            "RETURN n LIMIT 20 UNION "
            "MATCH (n:Company) WHERE p.trad IS NOT NULL AND n.name CONTAINS p.trad "
            "RETURN n LIMIT 20 } "
            "RETURN p.i AS i, collect(DISTINCT n{.id, .name, .nameEn, .shortName, "
            ".unifiedSocialCreditCode, .phone}) AS found",
        )
    return Cypher(
        "duplicates.probe.person",
        "UNWIND $probes AS p CALL (p) { "
        "MATCH (n:Person) WHERE n.mobile IN p.tels RETURN n LIMIT 20 UNION "
        "MATCH (n:Person) WHERE n.email = p.mail RETURN n LIMIT 20 UNION "
        "MATCH (n:Person) WHERE n.idNumberDigest = p.digest RETURN n LIMIT 20 UNION "
        "UNWIND p.companies AS cid MATCH (:Company {id: cid})<-[:WORKS_AT]-(n:Person) "
        "RETURN n LIMIT 500 } "
        "WITH p, n WHERE NOT coalesce(n.restricted, false) AND n.erasedAt IS NULL "
        "RETURN p.i AS i, collect(DISTINCT n{.id, .name, .nameEn, .mobile, .officePhone, "
        ".email, .idNumberDigest, companies: [(n)-[:WORKS_AT]->(c:Company) | c.id][..20]}) "
        "AS found",
    )


LOAD = {label: _load(label) for label in LABELS}
SWEEP = {label: _sweep(label) for label in LABELS}
PAGE = {label: _page(label) for label in LABELS}
COUNT = {label: _count(label) for label in LABELS}
VERDICTS = {label: _verdicts(label) for label in LABELS}
PROBE = {label: _probe(label) for label in LABELS}


# --- blocking and scoring (no database) ----------------------------------------------------


Record = matching.CompanyRecord | matching.PersonRecord


def _record(label: Label, row: Row) -> Record:
    return matching.company_from(row) if label is Label.COMPANY else matching.person_from(row)


def _keys(label: Label, record: Record) -> set[str]:
    if isinstance(record, matching.CompanyRecord):
        return matching.company_keys(record)
    return matching.person_keys(record)


def _score(a: Record, b: Record, common: frozenset[str] = frozenset()) -> matching.Scored:
    if isinstance(a, matching.CompanyRecord) and isinstance(b, matching.CompanyRecord):
        return matching.score_companies(a, b, common)
    assert isinstance(a, matching.PersonRecord)
    assert isinstance(b, matching.PersonRecord)
    return matching.score_people(a, b, common)


def _linked(x: Record, y: Record) -> bool:
    """A company and its parent or its own subsidiary or branch: never duplicates."""
    if isinstance(x, matching.CompanyRecord) and isinstance(y, matching.CompanyRecord):
        return y.id in x.linked or x.id in y.linked
    return False


class Pairs(TypedDict):
    blocks: int
    skippedBlocks: int
    comparisons: int
    found: dict[tuple[str, str], matching.Scored]


def candidate_pairs(label: Label, records: Iterable[Record]) -> Pairs:
    """Block, then score each pair sharing a key once; keep those at or above THRESHOLD."""
    blocks: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        for key in _keys(label, record):
            blocks[key].append(record)
    seen: set[tuple[str, str]] = set()
    found: dict[tuple[str, str], matching.Scored] = {}
    # A key too common to block on is too common to count as evidence either.
    common = frozenset(key for key, members in blocks.items() if len(members) > MAX_BLOCK)
    skipped = len(common)
    used = 0
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        used += 1
        for i, x in enumerate(members):
            for y in members[i + 1 :]:
                if x.id == y.id:
                    continue
                pair = (x.id, y.id) if x.id < y.id else (y.id, x.id)
                if pair in seen:
                    continue
                seen.add(pair)
                if _linked(x, y):
                    continue
                scored = _score(x, y, common)
                if scored.score >= matching.THRESHOLD:
                    found[pair] = scored
    return {"blocks": used, "skippedBlocks": skipped, "comparisons": len(seen), "found": found}


# --- the scan ------------------------------------------------------------------------------


async def scan(db: Database, label: Label, audit: Audit) -> ScanRow:
    """Find and store the candidates of one label; see the module doc."""
    started = time.perf_counter()
    rows = await db.read(LOAD[label])
    pairs = candidate_pairs(label, (_record(label, r) for r in rows))
    scan_id = new_id()
    items = [
        {
            "a": a,
            "b": b,
            "score": s.score,
            "reasons": list(s.reasons),
        }
        for (a, b), s in sorted(pairs["found"].items())
    ]
    opened = dismissed = 0
    for start in range(0, len(items), BATCH):
        out = await db.write(
            UPSERT,
            {"rows": items[start : start + BATCH], "label": label.value, "scanId": scan_id},
        )
        opened += out[0]["open"]
        dismissed += out[0]["dismissed"]
    swept = await db.write(
        SWEEP[label],
        {
            "label": label.value,
            "scanId": scan_id,
            "auditId": new_id(),
            "actor": audit.actor.id,
            "action": audit.action,
            "targetId": scan_id,
            "targetLabel": "DuplicateCandidate",
            "fields": [],
            "requestId": audit.request_id,
        },
    )
    return {
        "label": label.value,
        "records": len(rows),
        "blocks": pairs["blocks"],
        "skippedBlocks": pairs["skippedBlocks"],
        "comparisons": pairs["comparisons"],
        "candidates": len(items),
        "open": opened,
        "dismissed": dismissed,
        "removed": swept[0]["removed"] if swept else 0,
        "seconds": round(time.perf_counter() - started, 2),
    }


# --- the review queue ----------------------------------------------------------------------


async def page(
    db: Database,
    actor: Actor,
    label: Label,
    status: str,
    limit: int,
    after: tuple[float, str] | None,
    with_total: bool,
    concealed: list[str],
) -> tuple[list[CandidateRow], int | None]:
    """Candidates by score (highest first) the actor may see one side of; `limit` rows.
    One with a side the actor may not see is left out when a reason in `concealed` (the
    evidence the actor may not read in full) is among its reasons."""
    params = {
        "label": label.value,
        "status": status,
        "concealed": concealed,
        "acl": acl_params(actor),
        "limit": limit,
        **pages.after(after, "afterScore"),
    }
    rows = [r["row"] for r in await db.read(PAGE[label], params)]
    total = None
    if with_total:
        total = (await db.read(COUNT[label], params))[0]["total"]
    return rows, total


async def _verdicts_in(tx: Tx, actor: Actor, candidate: str) -> Verdicts | None:
    found = await tx.run(LABEL_OF, {"id": candidate})
    if not found or found[0]["label"] not in {x.value for x in LABELS}:
        return None
    label = Label(found[0]["label"])
    out = await tx.run(
        VERDICTS[label], {"id": candidate, "label": label.value, "acl": acl_params(actor)}
    )
    if not out:
        return None
    r = out[0]
    return {"label": r["label"], "a": r["a"], "b": r["b"], "status": r["status"],
            "va": r["va"], "vb": r["vb"]}  # fmt: skip


async def verdicts(db: Database, actor: Actor, candidate: str) -> Verdicts | None:
    """Who the actor is to each side of a candidate; None when there is no such candidate."""

    async def work(tx: Tx) -> Verdicts | None:
        return await _verdicts_in(tx, actor, candidate)

    return await db.transaction(work)


def judge(v: Verdicts | None) -> Refusal | None:
    """Dismissing or merging a pair takes the right to edit both sides (ADMIN edits all). A
    pair the actor sees neither side of does not exist for them."""
    if v is None or (v["va"] == "missing" and v["vb"] == "missing"):
        return Refusal.NOT_FOUND
    if v["va"] != "ok" or v["vb"] != "ok":
        return Refusal.FORBIDDEN
    return None


async def dismiss(db: Database, candidate: str, audit: Audit) -> Refusal | None:
    """Mark a pair DISMISSED (it stays so on every later scan), audited, in one transaction."""

    async def work(tx: Tx) -> Refusal | None:
        v = await _verdicts_in(tx, audit.actor, candidate)
        refusal = judge(v)
        if refusal is not None:
            return refusal
        assert v is not None
        await tx.run(
            DISMISS,
            {
                "id": candidate,
                "auditId": new_id(),
                "actor": audit.actor.id,
                "action": audit.action,
                "targetId": candidate,
                "targetLabel": "DuplicateCandidate",
                "fields": ["status"],
                "requestId": audit.request_id,
            },
        )
        return None

    return await db.transaction(work)


# --- incoming rows (the importer) ----------------------------------------------------------


_HALF = str.maketrans("（）", "()")
_FULL = str.maketrans("()", "（）")


def _written(name: str | None) -> list[str]:
    """`name` with its brackets as typed, half-width and full-width: Chinese names are
    entered both ways."""
    if not name:
        return []
    return list(dict.fromkeys([name, name.translate(_HALF), name.translate(_FULL)]))


def _contains_key(core: str) -> str | None:
    """A Chinese core of two characters or more is specific enough for CONTAINS."""
    return core if len(core) >= 2 and matching.has_han(core) else None


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _probe_params(label: Label, i: int, record: Record) -> dict[str, Any]:
    if isinstance(record, matching.CompanyRecord):
        # The core as compared, and as written: stored names keep their characters, and
        # the comparable core turns some into others (乾 → 干), which CONTAINS then misses.
        # (Separate statement branches, not a list: CONTAINS on a list element scans the index.)
        core, written = (
            _contains_key(matching.company_name(record.name, convert)) for convert in (True, False)
        )
        # The core is folded (ABC → abc, full width → half), stored names are not: its longest
        # run of Han characters finds 科技ABC有限公司 for 科技ａｂｃ股份有限公司 all the same.
        runs = _HAN_RUN.findall(written or core or "")
        han = max(runs, key=len) if runs else None
        # The core is simplified, and a name stored in traditional characters holds none of
        # it (东方华瑞机械 in 東方華瑞機械有限公司; tester BA): its traditional form too.
        trad = (
            next((f for f in search.written_forms(core)[1:] if f != core), None) if core else None
        )
        return {
            "i": i,
            "codes": [c for c in {record.creditCode, matching.credit_code(record.creditCode)} if c],
            "tels": [t for t in {matching.phone(record.phone)} if t],
            "names": _written(record.name),
            "core": core,
            "written": None if written == core else written,
            "han": None if han in (core, written) else han,
            "trad": None if trad in (written, han) else trad,
        }
    assert isinstance(record, matching.PersonRecord)
    return {
        "i": i,
        "tels": [
            t for t in {matching.phone(record.mobile), matching.phone(record.officePhone)} if t
        ],
        "mail": matching.email(record.email) or None,
        "digest": record.idDigest,
        "companies": list(record.companies),
    }


async def likely_duplicates(
    db: Database, label: Label, rows: list[dict[str, Any]]
) -> list[LikelyDuplicate]:
    """Which incoming rows (API field names; people may carry `companies`, the ids of their
    employers) likely duplicate an existing record: the scan's keys and scores, read only,
    over every record (detection is not limited by the importer's rights)."""
    records = [_record(label, {**row, "id": f"incoming:{i}"}) for i, row in enumerate(rows)]
    probes = [_probe_params(label, i, r) for i, r in enumerate(records)]
    out: list[LikelyDuplicate] = []
    for start in range(0, len(probes), PROBE_BATCH):
        found = await db.read(PROBE[label], {"probes": probes[start : start + PROBE_BATCH]})
        for hit in found:
            incoming = records[hit["i"]]
            keys = _keys(label, incoming)
            for existing in hit["found"]:
                record = _record(label, existing)
                if not keys & _keys(label, record):
                    continue
                scored = _score(incoming, record)
                if scored.score >= matching.THRESHOLD:
                    out.append(
                        {
                            "row": hit["i"],
                            "existingId": record.id,
                            "score": scored.score,
                            "reasons": list(scored.reasons),
                        }
                    )
    out.sort(key=lambda d: (d["row"], -d["score"], d["existingId"]))
    return out


class RowTwin(TypedDict):
    row: int  # index of the later incoming row
    earlier: int  # index of the earlier row it likely repeats
    score: float
    reasons: list[str]


def likely_within(label: Label, rows: list[dict[str, Any]]) -> list[RowTwin]:
    """Incoming rows likely repeating an earlier row of the same batch (same keys and scores
    as the scan; no database). A batch is written at once: checked against the database
    alone, a file's two spellings of one company would both be created, or only one, as the
    batch size happened to split them."""
    records = [_record(label, {**row, "id": f"incoming:{i}"}) for i, row in enumerate(rows)]
    by_key: dict[str, list[int]] = {}
    out: list[RowTwin] = []
    for i, record in enumerate(records):
        best: RowTwin | None = None
        seen: set[int] = set()
        for key in _keys(label, record):
            for j in by_key.get(key, []):
                if j in seen:
                    continue
                seen.add(j)
                scored = _score(record, records[j])
                if scored.score >= matching.THRESHOLD and (
                    best is None or scored.score > best["score"]
                ):
                    best = {"row": i, "earlier": j, "score": scored.score,
                            "reasons": list(scored.reasons)}  # fmt: skip
            by_key.setdefault(key, []).append(i)
        if best is not None:
            out.append(best)
    return out
