"""Search over companies and people by name (Chinese and Latin)."""

from __future__ import annotations

from graph import search as repo
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.shapes import SearchHitRow
from resolvers.validation import visible

MAX_HITS = 50
MAX_TEXT = 200


async def search(ctx: Context, text: str, first: int) -> list[SearchHitRow]:
    page_size(first, MAX_HITS)
    if len(text) > MAX_TEXT:
        raise ApiError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_TEXT} characters", "text")
    # Stored names have no zero-width spaces and are NFC (resolvers/validation.py): a pasted
    # query is made the same before it is tokenised.
    rows = await repo.search(ctx.db, ctx.actor, visible(text), first)
    hits: list[SearchHitRow] = []
    for row in rows:
        node = row["node"]
        hits.append(
            {
                "id": node["id"],
                "kind": node["__typename"].upper(),
                "name": node.get("name"),
                "nameEn": node.get("nameEn"),
                "score": float(row["score"]),
                "node": node,
            }
        )
    return hits
