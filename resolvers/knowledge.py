"""Team knowledge (graph/knowledge.py): marking a record's notes as knowledge, and the search."""

from __future__ import annotations

from typing import Any, TypedDict

from graph import knowledge as repo
from graph.refusal import Refusal
from resolvers import validation as v
from resolvers.args import page_size
from resolvers.common import audit, read_only
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.pages import connection, decode_cursor, encode_cursor
from resolvers.records import RecordRow
from resolvers.shapes import ConnectionOf, UserErrorRow

NoteRow = repo.NoteRow
# Longer text makes Lucene fail (a long word's prefix automaton is "too large", many words pass
# its clause limit): refused here as bad input instead of failing as an internal error.
MAX_TEXT = 500


class KnowledgePayload(TypedDict):
    record: RecordRow | None
    errors: list[UserErrorRow]


def tags(errors: v.Errors, values: list[str] | None, path: str) -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(values or []):
        tag = v.text(errors, raw, f"{path}[{i}]", required=True, max_len=50)
        if tag is not None and tag not in out:
            out.append(tag)
    if len(out) > repo.MAX_TAGS:
        errors.add(ErrorCode.VALIDATION, f"at most {repo.MAX_TAGS}", path)
    return out


async def mark_knowledge(ctx: Context, data: dict[str, Any]) -> KnowledgePayload:
    if denied := read_only(ctx):
        return {"record": None, "errors": denied}
    errors = v.Errors()
    remove = bool(data.get("remove"))
    title = None
    if not remove:
        title = v.text(errors, data.get("title"), "input.title", required=True, max_len=200)
    kept = tags(errors, data.get("tags"), "input.tags")
    if errors:
        return {"record": None, "errors": errors}
    result = await repo.mark(
        ctx.db,
        str(data["record"]),
        title,
        kept,
        data.get("expectedVersion"),
        audit(ctx, "knowledge.unmark" if remove else "knowledge.mark"),
    )
    if result.refusal is not None:
        code, message, field = {
            Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no record with this id", "input.record"),
            Refusal.FORBIDDEN: (
                ErrorCode.FORBIDDEN,
                "you may not change this record's customer",
                "input.record",
            ),
            Refusal.ENDED: (ErrorCode.VALIDATION, "the record is voided", "input.record"),
            Refusal.CONFLICT: (
                ErrorCode.CONFLICT,
                f"stale expectedVersion: the record is at version {result.current_version}",
                "input.expectedVersion",
            ),
        }[result.refusal]
        return {"record": None, "errors": [payload_error(code, message, field)]}
    return {"record": result.record, "errors": []}


def _position(after: str | None, of: object) -> tuple[float, str] | None:
    if after is None:  # an empty cursor is no cursor, not the first page
        return None
    score, note_id = decode_cursor("knowledgeSearch", after, 2, of=of)
    try:
        return float(score), note_id
    except ValueError:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "not a cursor this API issued", "after") from None


async def search(
    ctx: Context,
    text: str,
    tag_filter: list[str] | None,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[NoteRow]:
    if len(text) > MAX_TEXT:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_TEXT} characters", "text")
    limit = page_size(first)
    of = [text, tag_filter]
    rows, total = await repo.search(
        ctx.db, ctx.actor, text, tag_filter, limit + 1, _position(after, of), with_total
    )
    items = [
        (encode_cursor("knowledgeSearch", repr(r["score"]), r["record"]["id"], of=of), r)
        for r in rows[:limit]
    ]
    return connection(items, len(rows) > limit, after, total)
