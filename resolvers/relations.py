"""Relation fields (parents, subsidiaries, contacts, employer, owner, a project's customer)
through per-request DataLoaders: a page of any size costs one round trip per field kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from graph import relations as repo
from graph.db import Cypher
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.loaders import loader
from resolvers.shapes import EmploymentRow, NodeRow

T = TypeVar("T")


def _list_loader(
    ctx: Context, name: str, q: Cypher, cap: int = repo.MAX_ITEMS
) -> DataLoader[str, list[NodeRow]]:
    async def batch(ids: list[str]) -> list[list[NodeRow]]:
        found = await repo.lists(ctx.db, ctx.actor, q, ids, cap)
        return [found.get(i, []) for i in ids]

    return loader(ctx, name, batch)


async def _list(
    ctx: Context, name: str, q: Cypher, node_id: str, cap: int = repo.MAX_ITEMS
) -> list[NodeRow]:
    result: list[NodeRow] = await _list_loader(ctx, name, q, cap).load(node_id)
    return result


async def _single(
    ctx: Context,
    name: str,
    fetch: Callable[[list[str]], Awaitable[Mapping[str, T | None]]],
    node_id: str,
) -> T | None:
    async def batch(ids: list[str]) -> list[T | None]:
        found = await fetch(ids)
        return [found.get(i) for i in ids]

    result: T | None = await loader(ctx, name, batch).load(node_id)
    return result


async def parents(ctx: Context, company_id: str) -> list[NodeRow]:
    return await _list(ctx, "rel.parents", repo.PARENTS, company_id)


async def subsidiaries(ctx: Context, company_id: str) -> list[NodeRow]:
    return await _list(ctx, "rel.subsidiaries", repo.SUBSIDIARIES, company_id)


async def contacts(ctx: Context, company_id: str, first: int) -> list[NodeRow]:
    """Current staff of a company. One loader per `first`, so sibling
    fields asking the same size share a round trip."""
    cap = page_size(first)
    return await _list(ctx, f"rel.contacts.{cap}", repo.CONTACTS, company_id, cap)


# Above this many companies in the walk, the loaders answer level by level as before.
TREE_MAX_COMPANIES = 1000
TREE_MAX_DEPTH = repo.TREE_MAX_DEPTH


@dataclass(frozen=True)
class TreeAsk:
    """What a selection asks below one company: `subsidiaries` nested `depth` levels deep
    (1..3) and `contacts(first: cap)` at the levels in `contact_levels` (0 is the company)."""

    depth: int
    cap: int | None
    contact_levels: frozenset[int]


async def prefetch_tree(ctx: Context, company_id: str, ask: TreeAsk) -> None:
    """Answer a company's nested subsidiaries and contacts with one statement, ahead of the
    fields: the loaders the fields read (`subsidiaries`, `contacts`) are primed with exactly
    the lists they would fetch, so a three-level tree costs one round trip, not one per
    level and field. A walk over too many companies primes nothing."""
    rows = await repo.subtree(
        ctx.db, ctx.actor, company_id, ask.depth, ask.cap, TREE_MAX_COMPANIES + 1
    )
    if len(rows) > TREE_MAX_COMPANIES:
        return
    by_id = {row["id"]: row for row in rows}
    subsidiaries = _list_loader(ctx, "rel.subsidiaries", repo.SUBSIDIARIES)
    contacts = (
        _list_loader(ctx, f"rel.contacts.{ask.cap}", repo.CONTACTS, ask.cap)
        if ask.cap is not None
        else None
    )
    level = [company_id]
    for k in range(ask.depth + 1):
        below: dict[str, None] = {}
        for cid in level:
            row = by_id.get(cid)
            if row is None:
                continue
            if k < ask.depth:
                subsidiaries.prime(cid, row["subsidiaries"])
                below.update(dict.fromkeys(n["id"] for n in row["subsidiaries"]))
            if contacts is not None and k in ask.contact_levels:
                contacts.prime(cid, row["contacts"])
        level = list(below)


async def employer(ctx: Context, person_id: str) -> EmploymentRow | None:
    return await _single(
        ctx, "rel.employer", lambda ids: repo.employers(ctx.db, ctx.actor, ids), person_id
    )


async def owner(ctx: Context, party_id: str) -> NodeRow | None:
    return await _single(
        ctx, "rel.owner", lambda ids: repo.single(ctx.db, ctx.actor, repo.OWNER, ids), party_id
    )


async def project_customer(ctx: Context, project_id: str) -> NodeRow | None:
    return await _single(
        ctx,
        "rel.project_customer",
        lambda ids: repo.single(ctx.db, ctx.actor, repo.PROJECT_CUSTOMER, ids),
        project_id,
    )
