"""Relation fields (parents, subsidiaries, contacts, employer, owner, a project's customer)
through per-request DataLoaders: a page of any size costs one round trip per field kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from graph import relations as repo
from graph.db import Cypher
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.loaders import loader
from resolvers.shapes import EmploymentRow, NodeRow

T = TypeVar("T")


async def _list(
    ctx: Context, name: str, q: Cypher, node_id: str, cap: int = repo.MAX_ITEMS
) -> list[NodeRow]:
    async def batch(ids: list[str]) -> list[list[NodeRow]]:
        found = await repo.lists(ctx.db, ctx.actor, q, ids, cap)
        return [found.get(i, []) for i in ids]

    result: list[NodeRow] = await loader(ctx, name, batch).load(node_id)
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
