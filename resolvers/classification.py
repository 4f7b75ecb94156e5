"""Customer classification (R14, graph/classification.py): rules checked into storage terms with
errors at their input paths (`input.conditions[2].op`), the review as a mutation, and the
classes, reviews and changes read in batches.

Who may: every signed-in viewer reads rules and reviews; ADMIN alone saves and deletes rules;
ADMIN and MANAGER run a review. A review's changes name customers: each viewer reads only
those of customers it may see (the graph filters).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

from graph import classification as g
from graph.classification import (
    AssignmentRow,
    ChangeRow,
    ClassRow,
    ConditionOp,
    Feature,
    ReviewRow,
    ReviewRunning,
    RuleRow,
)
from graph.refusal import Refusal
from graph.vocab import Dimension
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.common import admin_only, audit
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import load_one, loader
from resolvers.pages import connection, decode_cursor, encode_cursor, time_ordered, time_position
from resolvers.shapes import ConnectionOf, UserErrorRow

__all__ = [
    "AssignmentRow",
    "ChangeRow",
    "ClassRow",
    "ConditionOp",
    "Dimension",
    "Feature",
    "ReviewRow",
    "RuleRow",
    "ValueType",
]
ValueType = g.ValueType
FEATURES = g.FEATURES
KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
MAX_PRIORITY = 1_000_000
CAPS = {"nameZh": 100, "nameEn": 100, "description": 500}
PAYLOAD_CHANGES = 100  # changes a runClassificationReview payload lists


class RulePayload(TypedDict):
    rule: RuleRow | None
    errors: list[UserErrorRow]


class DeletePayload(TypedDict):
    deletedId: str | None
    errors: list[UserErrorRow]


class RunRow(TypedDict):
    dryRun: bool
    counts: str  # JSON, as a review's
    changes: list[ChangeRow]


class RunPayload(TypedDict):
    review: ReviewRow | None
    run: RunRow | None
    errors: list[UserErrorRow]


# --- Rules ------------------------------------------------------------------------------------
RULES_BY_ADMIN = "only admins edit classification rules"


def conditions_of(row: RuleRow) -> list[dict[str, Any]]:
    """A stored rule's conditions as the schema reads them."""
    items: list[dict[str, Any]] = json.loads(row.get("conditions") or "[]")
    return [
        {"field": Feature(c["field"]), "op": ConditionOp(c["op"]), "value": c.get("value")}
        for c in items
    ]


def _conditions(errors: v.Errors, raw: list[dict[str, Any]]) -> str | None:
    """The conditions as stored JSON, or None with every problem at its path."""
    checked, problems = g.check_conditions(raw)
    for p in problems:
        path = "input.conditions"
        if p.index is not None:
            path += f"[{p.index}]" + (f".{p.part}" if p.part else "")
        errors.add(ErrorCode.VALIDATION, p.message, path)
    if problems:
        return None
    return json.dumps([c.as_json() for c in checked], ensure_ascii=False)


def _props(errors: v.Errors, data: dict[str, Any], old: RuleRow | None) -> dict[str, Any]:
    """Every stored property of the rule after this save (`old`: the rule as read)."""
    creating = old is None
    props: dict[str, Any] = {}
    if creating or "dimension" in data:
        if data.get("dimension") is None:
            errors.add(ErrorCode.VALIDATION, "is required", "input.dimension")
        else:
            props["dimension"] = data["dimension"].value
    if creating or "classKey" in data:
        key = v.text(errors, data.get("classKey"), "input.classKey", required=True, max_len=40)
        if key is not None and not KEY.match(key):
            message = "A-Z first, then A-Z, 0-9 or _ (≤ 40), e.g. LONG_TERM"
            errors.add(ErrorCode.VALIDATION, message, "input.classKey")
        props["classKey"] = key
    if creating or "nameZh" in data:
        props["nameZh"] = v.text(errors, data.get("nameZh"), "input.nameZh", True, CAPS["nameZh"])
    for key in ("nameEn", "description"):
        if key in data:
            props[key] = v.text(errors, data[key], f"input.{key}", max_len=CAPS[key])
    if creating or "priority" in data:
        priority = data.get("priority")
        if priority is None:
            priority = 100
        if not 0 <= priority <= MAX_PRIORITY:
            errors.add(ErrorCode.VALIDATION, f"0..{MAX_PRIORITY}", "input.priority")
        props["priority"] = priority
    if creating or "enabled" in data:
        props["enabled"] = data.get("enabled") is not False
    if creating or "conditions" in data:
        raw = data.get("conditions")
        if raw is None:
            errors.add(ErrorCode.VALIDATION, "is required ([] matches all)", "input.conditions")
        else:
            props["conditions"] = _conditions(errors, raw)
    if old is not None:
        kept = {k: old.get(k) for k in ("dimension", "classKey", "nameZh", "nameEn")}
        props = {**{k: x for k, x in kept.items() if k not in props}, **props}
    return props


def _refused(refusal: Refusal, current: int | None) -> list[UserErrorRow]:
    if refusal is Refusal.CONFLICT:
        message = f"stale expectedVersion: the rule is at version {current}"
        return [payload_error(ErrorCode.CONFLICT, message, "input.expectedVersion")]
    return [payload_error(ErrorCode.NOT_FOUND, "no classification rule with this id", "input.id")]


async def save_rule(ctx: Context, data: dict[str, Any]) -> RulePayload:
    if errors := admin_only(ctx, RULES_BY_ADMIN, "input"):
        return {"rule": None, "errors": errors}
    rule_id = str(data["id"]) if data.get("id") is not None else None
    old = None
    errs = v.Errors()
    if rule_id is not None:
        if data.get("expectedVersion") is None:
            errs.add(ErrorCode.VALIDATION, "required when changing a rule", "input.expectedVersion")
            return {"rule": None, "errors": errs}
        old = (await g.rules_by_id(ctx.db, ctx.actor, [rule_id])).get(rule_id)
        if old is None:
            return {"rule": None, "errors": _refused(Refusal.NOT_FOUND, None)}
    props = _props(errs, data, old)
    if errs:
        return {"rule": None, "errors": errs}
    save = g.RuleSave(props, rule_id, data.get("expectedVersion"))
    rule, refusal, current = await g.save_rule(ctx.db, save, audit(ctx, "classification.rule.save"))
    if refusal is not None:
        return {"rule": None, "errors": _refused(refusal, current)}
    return {"rule": rule, "errors": []}


async def delete_rule(ctx: Context, data: dict[str, Any]) -> DeletePayload:
    if errors := admin_only(ctx, RULES_BY_ADMIN, "input"):
        return {"deletedId": None, "errors": errors}
    rule_id = str(data["id"])
    refusal, current = await g.delete_rule(
        ctx.db, rule_id, data.get("expectedVersion"), audit(ctx, "classification.rule.delete")
    )
    if refusal is not None:
        return {"deletedId": None, "errors": _refused(refusal, current)}
    return {"deletedId": rule_id, "errors": []}


async def rules(ctx: Context, dimension: Dimension | None) -> list[RuleRow]:
    return await g.rules(ctx.db, ctx.actor, dimension)


async def rule(ctx: Context, rule_id: str) -> RuleRow | None:
    return await load_one(
        ctx, "classification.rule", rule_id, lambda ids: g.rules_by_id(ctx.db, ctx.actor, ids)
    )


async def customer_class(ctx: Context, class_id: str) -> ClassRow | None:
    return await load_one(
        ctx, "classification.class", class_id, lambda ids: g.classes_by_id(ctx.db, ctx.actor, ids)
    )


async def classes(ctx: Context, customer_id: str) -> list[AssignmentRow]:
    """A customer's classes, batched: one round trip for every customer of a page."""

    async def batch(ids: list[str]) -> list[list[AssignmentRow]]:
        found = await g.assignments(ctx.db, ctx.actor, ids)
        return [sorted(found.get(i, []), key=lambda a: a["dimension"]) for i in ids]

    result: list[AssignmentRow] = await loader(ctx, "classification.classes", batch).load(
        customer_id
    )
    return result


# --- Reviews ----------------------------------------------------------------------------------
def counts(row: Any) -> dict[str, Any]:
    """A review's counts: customers, changes, changed per dimension, customers per class."""
    parsed: dict[str, Any] = json.loads(row.get("counts") or "{}")
    return parsed


async def run_review(ctx: Context, data: dict[str, Any]) -> RunPayload:
    dry_run = bool(data.get("dryRun"))

    def failed(code: ErrorCode, message: str) -> RunPayload:
        error = payload_error(code, message, "input")
        return {"review": None, "run": None, "errors": [error]}

    if not {"ADMIN", "MANAGER"} & ctx.viewer.roles:
        return failed(ErrorCode.FORBIDDEN, "reviews are run by ADMIN and MANAGER")
    try:
        summary = await g.review(ctx.db, audit(ctx, "classification.review"), dry_run)
    except ReviewRunning as exc:
        return failed(ErrorCode.CONFLICT, str(exc))
    # The payload names only customers the viewer sees.
    preview = summary["preview"]
    seen = await g.visible_customers(ctx.db, ctx.actor, sorted({c["customerId"] for c in preview}))
    shown: list[ChangeRow] = []
    for change in preview:
        if change["customerId"] in seen and len(shown) < PAYLOAD_CHANGES:
            named = change.copy()
            named["customer"] = seen[change["customerId"]]
            shown.append(named)
    stored = None
    if summary["id"] is not None:
        stored = (await g.reviews_by_id(ctx.db, ctx.actor, [summary["id"]])).get(summary["id"])
    return {
        "review": stored,
        "run": {"dryRun": dry_run, "counts": summary["counts"], "changes": shown},
        "errors": [],
    }


async def reviews(
    ctx: Context, first: int, after: str | None, with_total: bool
) -> ConnectionOf[ReviewRow]:
    limit = page_size(first)
    position = time_position(after, "classificationReviews")
    rows, total = await g.reviews(ctx.db, ctx.actor, limit + 1, position, with_total)
    return time_ordered(
        rows,
        limit,
        after,
        total,
        lambda r: (_at(r["startedAt"]), r["id"] or ""),
        "classificationReviews",
    )


def _at(value: Any) -> str:
    return str(value.iso_format() if hasattr(value, "iso_format") else value.isoformat())


async def review(ctx: Context, review_id: str) -> ReviewRow | None:
    return await load_one(
        ctx, "classification.review", review_id, lambda ids: g.reviews_by_id(ctx.db, ctx.actor, ids)
    )


async def changes(
    ctx: Context,
    review_id: str,
    dimension: Dimension | None,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[ChangeRow]:
    limit = page_size(first)
    after_seq = 0
    of = [review_id, None if dimension is None else dimension.value]
    if after is not None:  # an empty cursor is no cursor, not the first page
        (seq,) = decode_cursor("classificationChanges", after, 1, of=of)
        if not seq.isdigit():
            raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after")
        after_seq = int(seq)
    rows, total = await g.changes(
        ctx.db, ctx.actor, review_id, dimension, limit + 1, after_seq, with_total
    )
    items = [
        (encode_cursor("classificationChanges", str(r["seq"]), of=of), r) for r in rows[:limit]
    ]
    return connection(items, len(rows) > limit, after, total)
