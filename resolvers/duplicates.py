"""Duplicate companies and people (R22): the scan, the review queue and its decisions.

Who may do what:
- `scanDuplicates`: ADMIN only. The scan reads every record, whatever anyone's rights.
- `duplicateCandidates`: every signed-in viewer; a candidate is listed (and counted) when the
  viewer may see at least one side, and the other side is null.
- `dismissDuplicate`, `mergeDuplicate`: a viewer who may edit BOTH records (ADMIN edits
  every record). Deciding a pair decides about both records; a rep who sees only one side
  cannot judge the pair, and learns nothing more of the other side by trying (FORBIDDEN
  without its id). `mergeDuplicate` goes through the ordinary merge (graph/merge.py) with its
  checks, audit and dry run.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, TypedDict

from graph import crypto, nodes
from graph import duplicates as repo
from graph.actor import Actor
from graph.duplicates import CandidateRow as CandidateRow
from graph.duplicates import ScanRow as ScanRow
from graph.refusal import Refusal
from graph.vocab import Label
from resolvers import merge, permissions
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.pages import connection, decode_cursor, encode_cursor
from resolvers.shapes import ConnectionOf, MergeRow, NodeRow, UserErrorRow


class DuplicateKind(Enum):
    COMPANY = "Company"
    PERSON = "Person"


class DuplicateStatus(Enum):
    OPEN = "OPEN"
    DISMISSED = "DISMISSED"


# Keys holding a field's value under another name (graph/crypto.py): the ID number's.
_STAND_INS = {crypto.ID_NUMBER: "idNumber", crypto.CIPHER: "idNumber", crypto.DIGEST: "idNumber"}
# The stored fields the likely-duplicate probe compares (graph/matching.py), by kind.
_MATCHED = {
    Label.COMPANY: ("name", "nameEn", "shortName", "unifiedSocialCreditCode", "phone"),
    Label.PERSON: ("name", "nameEn", "mobile", "officePhone", "email", crypto.DIGEST),
}
MAX_LIKELY = 5
# Fields the matcher compares with others: each needs the right to read all of them in full.
_COMPARED = {
    (Label.PERSON, "mobile"): ("mobile", "officePhone"),
    (Label.PERSON, "officePhone"): ("mobile", "officePhone"),
}


def matchable(label: Label, row: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """The row without the values `actor` may not read in full (a SALES key: the mobile
    and the ID number). A match through one would tell them a masked value: of a file of
    guesses, the one held as a duplicate is right. The scan, which reads everything, still
    finds such pairs for review."""
    kind = label.value

    def readable(key: str) -> bool:
        # A person's phones are compared with each other (an office phone with a stored
        # mobile): one of them masked masks both.
        keys = _COMPARED.get((label, key), (_STAND_INS.get(key, key),))
        return all(permissions.may_read(actor.roles, permissions.rule(kind, k)) for k in keys)

    return {k: x for k, x in row.items() if readable(k)}


class LikelyRow(TypedDict):
    record: NodeRow | None  # None: a record the viewer may not see
    score: float
    reasons: list[str]


async def likely_of_new(ctx: Context, label: Label, node: NodeRow) -> list[LikelyRow]:
    """The stored records a node just created likely duplicates, best first (ties: customers,
    then the oldest): the probe imports use (graph/duplicates.py), over every record; those
    the viewer may not see are listed without the record. One round trip, and one more when
    it finds any."""
    stored: dict[str, Any] = dict(node)
    row = {k: stored[k] for k in _MATCHED[label] if stored.get(k) is not None}
    hits = await repo.likely_duplicates(ctx.db, label, [matchable(label, row, ctx.actor)])
    # Many copies score alike: a few more are read, so that ties can put the original first.
    hits = [h for h in hits if h["existingId"] != node["id"]][: MAX_LIKELY * 4]
    if not hits:
        return []
    shown = await nodes.by_ids(ctx.db, ctx.actor, label, [h["existingId"] for h in hits])

    def rank(hit: repo.LikelyDuplicate) -> tuple[float, bool, bool, str]:
        # Best score; then, among equals, a customer before other records, the oldest first.
        record = shown.get(hit["existingId"])
        if record is None:
            return (-hit["score"], True, True, "")
        return (-hit["score"], False, not record["isCustomer"], str(record.get("createdAt", "")))

    return [
        {"record": shown.get(h["existingId"]), "score": h["score"], "reasons": h["reasons"]}
        for h in sorted(hits, key=rank)[:MAX_LIKELY]
    ]


class ScanPayloadRow(TypedDict):
    scans: list[ScanRow]
    errors: list[UserErrorRow]


class DismissPayloadRow(TypedDict):
    candidateId: str | None
    status: DuplicateStatus | None
    errors: list[UserErrorRow]


# The field each reason compares, where it compares a value (graph/matching.py): a person's
# SAME_PHONE may be their mobile. A viewer who may not read the field in full is not shown a
# pair with a hidden side on that evidence (as an import never holds a row on it).
EVIDENCE: dict[Label, dict[str, str]] = {
    Label.PERSON: {
        "SAME_ID_NUMBER": "idNumber",
        "DIFFERENT_ID_NUMBER": "idNumber",
        "SAME_PHONE": "mobile",
        "SAME_EMAIL": "email",
    },
    Label.COMPANY: {
        "SAME_CREDIT_CODE": "unifiedSocialCreditCode",
        "DIFFERENT_CREDIT_CODE": "unifiedSocialCreditCode",
        "SAME_PHONE": "phone",
    },
}


def _cursor(row: CandidateRow, of: object) -> str:
    return encode_cursor("duplicateCandidates", repr(float(row["score"])), row["id"], of=of)


async def candidates(
    ctx: Context,
    kind: DuplicateKind,
    status: DuplicateStatus,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[CandidateRow]:
    limit = page_size(first)
    position = None
    of = [kind.value, status.value]
    if after is not None:  # an empty cursor is no cursor, not the first page
        score, cid = decode_cursor("duplicateCandidates", after, 2, of=of)
        try:
            value = float(score)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):  # refused, not read as the first page again
            raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after")
        position = (value, cid)
    label = Label(kind.value)
    concealed = [
        reason
        for reason, field in EVIDENCE[label].items()
        if not permissions.may_read(ctx.actor.roles, permissions.rule(label.value, field))
    ]
    rows, total = await repo.page(
        ctx.db, ctx.actor, label, status.value, limit + 1, position, with_total, concealed
    )
    items = [(_cursor(r, of), r) for r in rows[:limit]]
    return connection(items, len(rows) > limit, after, total)


async def scan(ctx: Context, data: dict[str, Any]) -> ScanPayloadRow:
    if not ctx.viewer.has("ADMIN"):
        error = payload_error(ErrorCode.FORBIDDEN, "duplicate scans are run by ADMIN", None)
        return {"scans": [], "errors": [error]}
    kind: DuplicateKind | None = data.get("kind")
    kinds = [kind] if kind else list(DuplicateKind)
    audit = nodes.Audit(ctx.actor, "duplicates.scan", ctx.request_id)
    out = [await repo.scan(ctx.db, Label(k.value), audit) for k in kinds]
    return {"scans": out, "errors": []}


def _refused(refusal: Refusal) -> UserErrorRow:
    if refusal is Refusal.NOT_FOUND:
        return payload_error(
            ErrorCode.NOT_FOUND, "no such duplicate candidate", "input.candidateId"
        )
    return payload_error(
        ErrorCode.FORBIDDEN,
        "deciding a pair takes the right to edit both of its records",
        "input.candidateId",
    )


async def dismiss(ctx: Context, data: dict[str, Any]) -> DismissPayloadRow:
    candidate = str(data["candidateId"])
    audit = nodes.Audit(ctx.actor, "duplicates.dismiss", ctx.request_id)
    refusal = await repo.dismiss(ctx.db, candidate, audit)
    if refusal is not None:
        return {"candidateId": None, "status": None, "errors": [_refused(refusal)]}
    return {"candidateId": candidate, "status": DuplicateStatus.DISMISSED, "errors": []}


async def merge_pair(ctx: Context, data: dict[str, Any]) -> MergeRow:
    candidate = str(data["candidateId"])
    survivor = str(data["survivorId"])
    dry = bool(data.get("dryRun"))
    v = await repo.verdicts(ctx.db, ctx.actor, candidate)
    refusal = repo.judge(v)
    if refusal is not None:
        return merge.refused([_refused(refusal)], dry)
    assert v is not None
    if survivor not in (v["a"], v["b"]):
        error = "the survivor must be one of the pair"
        return merge.refused([payload_error(ErrorCode.VALIDATION, error, "input.survivorId")], dry)
    other = v["b"] if survivor == v["a"] else v["a"]
    result = await merge.merge_nodes(
        ctx,
        Label(v["label"]),
        {"survivor": survivor, "merged": [other], "dryRun": dry},
    )
    result["errors"] = [_pair_error(e) for e in result["errors"]]
    return result


def _pair_error(error: UserErrorRow) -> UserErrorRow:
    """mergeNodes' errors at this mutation's own input paths; a side already merged away
    (or deleted) since the scan is a CONFLICT on the pair, not a missing id."""
    field = error.get("field") or ""
    if field.startswith("input.merged") and error["code"] is ErrorCode.NOT_FOUND:
        return payload_error(
            ErrorCode.CONFLICT,
            "one of the pair is gone since the scan (already merged or deleted)",
            "input.candidateId",
        )
    if field.startswith("input.survivor"):
        return {**error, "field": "input.survivorId"}
    if field.startswith(("input.merged", "input.expectedVersions")):
        return {**error, "field": "input.candidateId"}
    return error
