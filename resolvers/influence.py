"""influenceRanking: weighted PageRank and betweenness over the scope's influence graph."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from graph import algorithms as alg
from graph import influence as repo
from resolvers.args import as_of_or_today, check_range, not_found
from resolvers.context import Context

MAX_FIRST = 100
SCOPE_MAX_PEOPLE = repo.SCOPE_MAX_PEOPLE
SCOPE_MAX_LEVELS = repo.SCOPE_MAX_LEVELS


async def influence_ranking(
    ctx: Context, scope: str, first: int, as_of: dt.date | None, *, with_data: bool = True
) -> list[dict[str, Any]]:
    check_range(first, 1, MAX_FIRST, "first")
    found = await repo.scope(ctx.db, ctx.actor, scope, as_of_or_today(as_of), with_data=with_data)
    if not found["found"]:
        raise not_found("company or project", scope, "scope")
    return await asyncio.to_thread(alg.ranking, found["people"], found["edges"], first)
