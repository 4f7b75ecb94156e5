"""Relation fields (parents, subsidiaries, contacts, employer, owner, a project's customer)
through per-request DataLoaders: a page of any size costs one round trip per field kind."""

from __future__ import annotations

from typing import Any

from graph import relations as repo
from graph.db import Cypher, Row
from resolvers.context import Context
from resolvers.loaders import loader
from resolvers.masking import present, present_all
from resolvers.node import page_size


async def _list(
    ctx: Context, name: str, q: Cypher, node_id: str, cap: int = repo.MAX_ITEMS
) -> list[Row]:
    async def batch(ids: list[str]) -> list[list[Row]]:
        found = await repo.lists(ctx.db, q, ids, cap)
        return [found.get(i, []) for i in ids]

    result: list[Row] = await loader(ctx, name, batch).load(node_id)
    return result


async def _single(ctx: Context, name: str, q: Cypher, node_id: str) -> Any:
    async def batch(ids: list[str]) -> list[Row | None]:
        found = await repo.single(ctx.db, q, ids)
        return [found.get(i) for i in ids]

    return await loader(ctx, name, batch).load(node_id)


async def parents(ctx: Context, company_id: str) -> list[Row]:
    return await _list(ctx, "rel.parents", repo.PARENTS, company_id)


async def subsidiaries(ctx: Context, company_id: str) -> list[Row]:
    return await _list(ctx, "rel.subsidiaries", repo.SUBSIDIARIES, company_id)


async def contacts(ctx: Context, company_id: str, first: int) -> list[Row]:
    """Current staff of a company, masked for the viewer. One loader per `first`, so sibling
    fields asking the same size share a round trip."""
    cap = page_size(first)
    rows = await _list(ctx, f"rel.contacts.{cap}", repo.CONTACTS, company_id, cap)
    return [r for r in present_all(ctx, list(rows)) if r is not None]


async def employer(ctx: Context, person_id: str) -> Row | None:
    result: Row | None = await _single(ctx, "rel.employer", repo.EMPLOYER, person_id)
    return result


async def owner(ctx: Context, party_id: str) -> Row | None:
    result: Row | None = await _single(ctx, "rel.owner", repo.OWNER, party_id)
    return result


async def project_customer(ctx: Context, project_id: str) -> Row | None:
    result = await _single(ctx, "rel.project_customer", repo.PROJECT_CUSTOMER, project_id)
    return present(ctx, result)
