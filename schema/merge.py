"""Merging duplicate companies or people into one survivor (deduplication)."""

from __future__ import annotations

import strawberry

from resolvers import merge as r
from resolvers.vocab import Label
from schema.base import Node, bound, input_mutation, optional, payload_type


@strawberry.input(description="A version you read, for optimistic concurrency.")
class NodeVersionInput:
    id: strawberry.ID = strawberry.field(description="The node.")
    version: int = strawberry.field(description="Its version as you read it.")


@strawberry.input(
    description="Merge duplicates into one survivor. Every edge of the merged records moves "
    "to the survivor (edges between them are dropped), properties the survivor lacks are "
    "copied, and the merged ids resolve to the survivor from then on. The merged records' "
    "shares end with them (a share gave one account, not the survivor): share the survivor "
    "again where the holder should keep it."
)
class MergeInput:
    survivor: strawberry.ID = strawberry.field(description="The record that stays.")
    merged: list[strawberry.ID] = strawberry.field(
        description="The records merged into it and deleted; 1..20, not the survivor."
    )
    expectedVersions: list[NodeVersionInput] | None = optional(
        "Optional versions of any of the records; a stale one gives CONFLICT."
    )
    dryRun: bool = strawberry.field(
        default=False,
        description="Run the merge and roll it back: the payload shows what would move "
        "(edges per type, copied fields, the survivor's own fields as they would be) and "
        "nothing changes. The survivor's related fields (`owner`, `contacts` ...) are read "
        "after the rollback, so they show it as it is.",
    )


@strawberry.type(description="Edges of one relationship type a merge moves to the survivor.")
class MovedEdges:
    type: str = strawberry.field(description="The relationship type, e.g. WORKS_AT.")
    count: int = strawberry.field(description="How many edges of it move.")


MergePayload = payload_type(
    "MergePayload",
    "Result of a merge.",
    survivor=(Node | None, "The survivor after the merge; null when `errors` is not empty."),
    mergedIds=(list[strawberry.ID], "Ids now resolving to the survivor."),
    movedEdges=(int, "How many edges moved to the survivor."),
    movedByType=(list[MovedEdges], "The moved edges per relationship type, by type."),
    collapsedByType=(
        list[MovedEdges],
        "Edges a merged record held that the survivor holds too (same type, direction and "
        "other end, overlapping dates), folded into the survivor's edge instead of moving, per "
        "type; not counted in `movedEdges`.",
    ),
    plansRetargeted=(int, "Sales plans of a merged customer that became the survivor's."),
    plansCombined=(
        int,
        "Sales plans of a merged customer added to the survivor's plan for the same period and "
        "currency (then removed).",
    ),
    sharesEnded=(
        int,
        "Shares of the merged records (with users or teams) that ended with them, each audited "
        "as an unshare; the survivor's own shares stay.",
    ),
    copiedFields=(
        list[str],
        "Fields the survivor lacked and took from a merged record (a custom field as "
        "`custom.<key>`), and `channels.<field>` where a merged record's check of the same "
        "value came with it: one the survivor lacked, or newer than its own.",
    ),
    droppedFields=(
        list[str],
        "Fields both records had with different values: the survivor's value stays and the "
        "merged record's is dropped, with its check (a custom field as `custom.<key>`). A dry "
        "run lists them before anything is lost.",
    ),
    dryRun=(bool, "True when nothing was written: the figures say what the merge would do."),
)


@strawberry.type
class Mutation:
    mergeCompanies = input_mutation(
        MergeInput,
        bound(r.merge_nodes, Label.COMPANY),
        MergePayload,
        "Merge duplicate companies in one transaction, audited. The survivor keeps its owner: "
        "a merged record's current owner joins it only when it has none, else that ownership "
        "ends today (kept as history). Errors: "
        "VALIDATION, NOT_FOUND (also a record the viewer may not see), FORBIDDEN (the viewer "
        "may not edit one of the records, or never edits), CONFLICT (a stale expected version, "
        "or a record merged already: the message names its survivor), CYCLE (the merge would "
        "close a hierarchy cycle).",
    )
    mergePeople = input_mutation(
        MergeInput,
        bound(r.merge_nodes, Label.PERSON),
        MergePayload,
        "Merge duplicate people in one transaction, audited; their stance "
        "history follows. Errors: VALIDATION, NOT_FOUND, FORBIDDEN (as mergeCompanies), "
        "CONFLICT, CYCLE (reporting lines). The survivor is masked as `person(id)` is.",
    )
