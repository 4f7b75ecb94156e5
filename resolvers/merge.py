"""Merging duplicate companies or people (deduplication): input checks and payloads."""

from __future__ import annotations

from typing import Any

from graph import merge as repo
from graph import nodes
from graph.refusal import Refusal
from graph.vocab import Label
from resolvers import validation as v
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.shapes import MergeRow, UserErrorRow


def refused(errors: list[UserErrorRow], dry_run: bool = False) -> MergeRow:
    """A merge that did not happen: nothing moved, and why (`dryRun` as asked)."""
    return {
        "survivor": None,
        "mergedIds": [],
        "movedEdges": 0,
        "movedByType": [],
        "collapsedByType": [],
        "plansRetargeted": 0,
        "plansCombined": 0,
        "sharesEnded": 0,
        "copiedFields": [],
        "droppedFields": [],
        "dryRun": dry_run,
        "errors": errors,
    }


def _payload(
    ctx: Context, result: repo.MergeResult | None, merged: list[str], errors: list[UserErrorRow]
) -> MergeRow:
    if result is None or result.node is None:
        return refused(errors)
    return {
        # Masked by the survivor's fields themselves (schema/fieldrules.py), as in person(id).
        "survivor": result.node,
        "mergedIds": merged,
        "movedEdges": result.moved,
        "movedByType": [
            {"type": t, "count": n} for t, n in sorted((result.moved_by_type or {}).items())
        ],
        "collapsedByType": [
            {"type": t, "count": n} for t, n in sorted((result.collapsed_by_type or {}).items())
        ],
        "plansRetargeted": result.plans_retargeted,
        "plansCombined": result.plans_combined,
        "sharesEnded": result.shares_ended,
        "copiedFields": [*result.copied, *(f"channels.{c}" for c in result.checks_copied)],
        "droppedFields": list(result.dropped),
        "dryRun": result.dry_run,
        "errors": [],
    }


async def merge_nodes(ctx: Context, label: Label, data: dict[str, Any]) -> MergeRow:
    """mergeCompanies / mergePeople, and mergeDuplicate once it knows the pair."""
    errors = v.Errors()
    dry = bool(data.get("dryRun"))
    survivor: str = data["survivor"]
    merged = list(dict.fromkeys(data["merged"]))  # drop repeats, keep the order given
    if not merged:
        errors.add(ErrorCode.VALIDATION, "name at least one record to merge", "input.merged")
    if len(merged) > repo.MAX_MERGED:
        errors.add(
            ErrorCode.VALIDATION, f"at most {repo.MAX_MERGED} records per merge", "input.merged"
        )
    if survivor in merged:
        errors.add(
            ErrorCode.VALIDATION, "the survivor cannot be merged into itself", "input.merged"
        )
    versions: dict[str, int] = {}
    for i, item in enumerate(data.get("expectedVersions") or []):
        if item["id"] != survivor and item["id"] not in merged:
            errors.add(
                ErrorCode.VALIDATION,
                "names a record that is not part of this merge",
                f"input.expectedVersions.{i}.id",
            )
        versions[item["id"]] = item["version"]
    if errors:
        return refused(errors, dry)
    name = label.value.lower()
    result = await repo.merge(
        ctx.db,
        label,
        survivor,
        merged,
        versions,
        nodes.Audit(ctx.actor, f"{name}.merge", ctx.request_id),
        dry_run=dry,
    )
    if result.refusal in (Refusal.NOT_FOUND, Refusal.FORBIDDEN):
        if result.detail is None:  # a role that never edits
            error = payload_error(
                ErrorCode.FORBIDDEN, "your role may read records but not change them", "input"
            )
            return refused([error], dry)
        field = (
            "input.survivor"
            if result.detail == survivor
            else f"input.merged.{merged.index(result.detail)}"
        )
        if result.refusal is Refusal.FORBIDDEN:
            error = payload_error(ErrorCode.FORBIDDEN, f"you may not change this {name}", field)
        else:
            error = payload_error(ErrorCode.NOT_FOUND, f"no {name} with id {result.detail}", field)
        return refused([error], dry)
    if result.refusal is Refusal.CONFLICT:
        node_id, current, folded_into = result.detail
        if folded_into is not None:
            field = (
                "input.survivor" if node_id == survivor else f"input.merged.{merged.index(node_id)}"
            )
            error = payload_error(
                ErrorCode.CONFLICT, f"{node_id} was merged into {folded_into}: re-read it", field
            )
            return refused([error], dry)
        error = payload_error(
            ErrorCode.CONFLICT,
            f"stale expected version for {node_id}: it is at version {current}",
            "input.expectedVersions",
        )
        return refused([error], dry)
    if result.refusal is Refusal.CYCLE:
        error = payload_error(
            ErrorCode.CYCLE,
            f"merging would close a cycle of {result.detail.value} edges; end one of them first",
            "input.merged",
        )
        return refused([error], dry)
    return _payload(ctx, result, merged, [])
