"""Duplicate companies and people (R22): the scan, the review queue and its decisions.

Who may do what (resolvers/duplicates.py):
- `scanDuplicates`: ADMIN only; the scan sees every record whatever anyone's rights.
- `duplicateCandidates`: every signed-in viewer; only candidates with at least one side the
  viewer may see, the other side null. Visible sides are masked as `person(id)` is.
- `dismissDuplicate`, `mergeDuplicate`: a viewer who may edit both records (ADMIN edits all).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import duplicates as r
from resolvers.duplicates import CandidateRow, DuplicateKind, DuplicateStatus, LikelyRow
from resolvers.shapes import ConnectionOf
from resolvers.vocab import Label
from schema.base import Info, Node, input_mutation, page_type, payload_type, vocab_enum, wants_total
from schema.merge import MergePayload

vocab_enum(
    DuplicateKind,
    "What a duplicate candidate pairs.",
    {"COMPANY": "Two companies.", "PERSON": "Two people."},
)
vocab_enum(
    DuplicateStatus,
    "Where a duplicate candidate stands. A merged pair is gone from the queue.",
    {
        "OPEN": "Waiting for a decision.",
        "DISMISSED": "Judged not to be duplicates; stays dismissed on every later scan.",
    },
)


@strawberry.type(
    description="A pair of records that are likely the same company or person (R22), found "
    "by a scan: blocking keys (credit code, phone, e-mail, normalised company name, the "
    "pinyin of a name within one employer), then scored. A side the viewer may not see is "
    "null, and is always `b`."
)
class DuplicateCandidate:
    id: strawberry.ID = strawberry.field(
        description="Random, given when a scan first finds the pair, and kept by later scans; "
        "it is not made from the records' ids."
    )
    score: float = strawberry.field(description="0..1; stored at 0.75 and above.")
    reasons: list[str] = strawberry.field(
        description="Why, e.g. SAME_CREDIT_CODE, SAME_ID_NUMBER, SAME_PHONE, SAME_EMAIL, "
        "SAME_COMPANY, NAME_EQUAL, PINYIN_EQUAL, `NAME_SIMILAR 0.93`, DIFFERENT_CREDIT_CODE, "
        "DIFFERENT_ID_NUMBER, DIFFERENT_INDUSTRY, DIFFERENT_BRANCH (two establishments named "
        "for different places); at most 8."
    )
    status: DuplicateStatus = strawberry.field(description="OPEN or DISMISSED.")
    foundAt: dt.datetime = strawberry.field(description="When a scan first found the pair.")
    dismissedAt: dt.datetime | None = strawberry.field(description="When it was dismissed.")
    a: Node | None = strawberry.field(
        description="One record: the one with the smaller id or, when the viewer may see only "
        "one of the two, that one (so a null `b` tells nothing of the hidden id)."
    )
    b: Node | None = strawberry.field(
        description="The other record; null when the viewer may not see it."
    )
    mayResolve: bool = strawberry.field(
        description="Whether the viewer may dismiss or merge the pair (may edit both records)."
    )

    @strawberry.field(description="Companies or people.")
    def kind(self, root: strawberry.Parent[CandidateRow]) -> DuplicateKind:
        return DuplicateKind(root["label"])


DuplicateCandidateConnection = page_type(
    DuplicateCandidate,
    "DuplicateCandidate",
    "A duplicate candidate",
    "duplicate candidates, highest score first",
    "The candidate.",
)


@strawberry.type(
    description="A stored record that a record just created likely duplicates (R22): found "
    "as an import finds them, by the scan's blocking keys and score."
)
class LikelyDuplicate:
    record: Node | None = strawberry.field(
        description="The stored record; null when the viewer may not see it (it exists, and "
        "the score and reasons say why it matched, but not who it is)."
    )
    score: float = strawberry.field(description="0..1; listed at 0.75 and above.")
    reasons: list[str] = strawberry.field(
        description="Why, as in `DuplicateCandidate.reasons`, e.g. SAME_CREDIT_CODE, "
        "SAME_PHONE, NAME_EQUAL, `NAME_SIMILAR 0.93`."
    )


def likely_fields(label: Label) -> dict[str, Any]:
    """`likelyDuplicates` of a node kind's payloads (a fresh field for each type)."""
    noun = label.value.lower()

    async def likely(root: strawberry.Parent[dict[str, Any]], info: Info) -> list[LikelyRow]:
        node = root.get(noun)
        if node is None or not root.get("created"):
            return []
        return await r.likely_of_new(info.context, label, node)

    return {
        "likelyDuplicates": strawberry.field(
            resolver=likely,
            graphql_type=list[LikelyDuplicate],
            description=f"Set by create{label.value}, and by upsert{label.value} when it "
            f"created the {noun}; empty otherwise: the stored records the new one likely "
            f"duplicates, best first, at most {r.MAX_LIKELY}. The new {noun} is kept: "
            f"archive it, or merge it into the one it repeats "
            f"(`{'mergeCompanies' if label is Label.COMPANY else 'mergePeople'}`). "
            "Ties go to customers, then the oldest. Values the viewer may not read in full (a "
            "masked mobile or ID number, and for SALES a person's phones, which are compared "
            "with each other) are not compared. The reasons speak of the values given here, "
            "also against a record the viewer may not see (a company's phone or credit code "
            "typed in): as an import's report does. Only when selected: one round trip, and "
            "one more when it finds any.",
        )
    }


@strawberry.type(description="What one scan of one kind found.")
class DuplicateScan:
    label: str = strawberry.field(description="Company or Person.")
    records: int = strawberry.field(description="Records read (every one, whatever rights).")
    blocks: int = strawberry.field(description="Blocks of 2..50 records sharing a key.")
    skippedBlocks: int = strawberry.field(
        description="Blocks over 50 records, not compared: a key that common tells nothing."
    )
    comparisons: int = strawberry.field(description="Pairs scored.")
    candidates: int = strawberry.field(description="Pairs at or above the threshold.")
    open: int = strawberry.field(description="Of those, OPEN.")
    dismissed: int = strawberry.field(description="Of those, dismissed before: they stay so.")
    removed: int = strawberry.field(
        description="Stored candidates removed: OPEN ones no longer found, and any whose "
        "record is gone. A dismissed pair no longer found is kept, with the reasons it was "
        "dismissed for, so that its dismissal holds if the pair is found again."
    )
    seconds: float = strawberry.field(description="Wall time of the scan.")


@strawberry.input(description="Run a duplicate scan.")
class ScanDuplicatesInput:
    kind: DuplicateKind | None = strawberry.field(
        default=None, description="Only this kind; both when left out."
    )


@strawberry.input(description="Dismiss a candidate: not duplicates.")
class DismissDuplicateInput:
    candidateId: strawberry.ID = strawberry.field(description="The candidate.")


@strawberry.input(description="Merge a candidate pair through the ordinary merge.")
class MergeDuplicateInput:
    candidateId: strawberry.ID = strawberry.field(description="The candidate.")
    survivorId: strawberry.ID = strawberry.field(
        description="Which of the two records stays; the other is merged into it."
    )
    dryRun: bool = strawberry.field(
        default=False,
        description="Show what would move (edges per type, copied fields, the survivor's "
        "own fields as they would be; its related fields, such as `owner`, as it is now) and "
        "change nothing.",
    )


ScanDuplicatesPayload = payload_type(
    "ScanDuplicatesPayload",
    "Result of scanDuplicates.",
    scans=(list[DuplicateScan], "One entry per kind scanned."),
)
DismissDuplicatePayload = payload_type(
    "DismissDuplicatePayload",
    "Result of dismissDuplicate.",
    candidateId=(strawberry.ID | None, "The dismissed candidate; null on errors."),
    status=(DuplicateStatus | None, "DISMISSED; null on errors."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="The duplicate review queue (R22), highest score first: candidates of "
        "which the viewer may see at least one record; the other record is null. `first` "
        "1..100. One round trip a page, one more for `totalCount`.",
        graphql_type=DuplicateCandidateConnection,
    )
    async def duplicateCandidates(
        self,
        info: Info,
        label: Annotated[DuplicateKind, arg("Companies or people.")],
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        status: Annotated[DuplicateStatus, arg("Only this status (default OPEN).")] = (
            DuplicateStatus.OPEN
        ),
    ) -> ConnectionOf[CandidateRow]:
        return await r.candidates(info.context, label, status, first, after, wants_total(info))


@strawberry.type
class Mutation:
    scanDuplicates = input_mutation(
        ScanDuplicatesInput,
        r.scan,
        ScanDuplicatesPayload,
        "Scan every company and/or person for duplicates and store the candidates (ADMIN "
        "only; the scan sees every record). Dismissed pairs stay dismissed (kept even when no "
        "longer found); OPEN pairs no longer found are removed. Runs in batches of 2000 "
        "candidates; blocks over 50 records are skipped. Errors: FORBIDDEN.",
    )
    dismissDuplicate = input_mutation(
        DismissDuplicateInput,
        r.dismiss,
        DismissDuplicatePayload,
        "Dismiss a candidate pair, audited; later scans keep it dismissed. Errors: NOT_FOUND "
        "(also a pair the viewer sees neither record of), FORBIDDEN (the viewer may not edit "
        "both records).",
    )
    mergeDuplicate = input_mutation(
        MergeDuplicateInput,
        r.merge_pair,
        MergePayload,
        "Merge a candidate pair through mergeCompanies / mergePeople (one transaction with "
        "its audit), or show what would move (`dryRun`). Errors: NOT_FOUND, FORBIDDEN (the "
        "viewer may not edit both records), VALIDATION (the survivor is not of the pair), "
        "and the merge's own (CONFLICT, CYCLE).",
    )
