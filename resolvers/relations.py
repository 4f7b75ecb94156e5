"""Relation fields (parents, subsidiaries, contacts, employer, owner, a project's customer)
through per-request DataLoaders: a page of any size costs one round trip per field kind."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from graph import relations as repo
from graph.db import Cypher
from resolvers.args import page_size
from resolvers.connections import SUMMARY_FIELDS
from resolvers.context import Context
from resolvers.loaders import load_one, loader
from resolvers.shapes import EmploymentRow, NodeRow


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


async def parents(ctx: Context, company_id: str, first: int) -> list[NodeRow]:
    """A company's parents, the first `first` by name."""
    cap = page_size(first)
    return await _list(ctx, f"rel.parents.{cap}", repo.PARENTS, company_id, cap)


# The fields a summary row (graph/lists.py PROJECTIONS) answers on the items of each list:
# the summary's own, and the relation fields, which read only the item's id.
SUMMARY_ITEM_FIELDS = {
    "subsidiaries": SUMMARY_FIELDS["company"] | {"parents", "subsidiaries", "contacts", "owner"},
    "contacts": SUMMARY_FIELDS["person"] | {"employer", "owner"},
}


def projection(items: str, fields: frozenset[str] | None) -> str:
    """`summary` when the fields selected on a list's items (`subsidiaries` or `contacts`)
    read nothing else, else `full` (also when not known)."""
    if fields is not None and fields <= SUMMARY_ITEM_FIELDS[items]:
        return "summary"
    return "full"


# Loaders are per projection: a field that needs every property never reads a summary
# row. A summary loader may hold full rows (prefetch_tree), which carry the same keys.
def _subsidiaries_loader(ctx: Context, cap: int, kind: str) -> DataLoader[str, list[NodeRow]]:
    return _list_loader(ctx, f"rel.subsidiaries.{cap}.{kind}", repo.SUBSIDIARIES[kind], cap)


def _contacts_loader(ctx: Context, cap: int, kind: str) -> DataLoader[str, list[NodeRow]]:
    return _list_loader(ctx, f"rel.contacts.{cap}.{kind}", repo.CONTACTS[kind], cap)


async def subsidiaries(
    ctx: Context, company_id: str, first: int, fields: frozenset[str] | None = None
) -> list[NodeRow]:
    """The first `first` subsidiaries by name. `fields`: those selected on the items (None:
    not known, every property). One loader per `first` and projection, as for contacts."""
    cap = page_size(first)
    loader_ = _subsidiaries_loader(ctx, cap, projection("subsidiaries", fields))
    found: list[NodeRow] = await loader_.load(company_id)
    return found


async def contacts(
    ctx: Context, company_id: str, first: int, fields: frozenset[str] | None = None
) -> list[NodeRow]:
    """Current staff of a company. One loader per `first` and projection, so sibling
    fields asking the same size share a round trip."""
    cap = page_size(first)
    found: list[NodeRow] = await _contacts_loader(ctx, cap, projection("contacts", fields)).load(
        company_id
    )
    return found


# Above this many companies in the walk, the loaders answer level by level as before.
TREE_MAX_COMPANIES = 1000
TREE_MAX_DEPTH = repo.TREE_MAX_DEPTH


@dataclass(frozen=True)
class TreeAsk:
    """What a selection asks below one company: `subsidiaries(first: sub_cap)` nested `depth`
    levels deep (1..3) and `contacts(first: cap)` at the levels in `contact_levels` (0 is the
    company).
    `company_fields` and `contact_fields`: every field selected on the items of those
    `subsidiaries` and `contacts` fields (None: not known)."""

    depth: int
    sub_cap: int
    cap: int | None
    contact_levels: frozenset[int]
    company_fields: frozenset[str] | None = None
    contact_fields: frozenset[str] | None = None


async def prefetch_tree(ctx: Context, company_id: str, ask: TreeAsk) -> None:
    """Answer a company's nested subsidiaries and contacts with one statement, ahead of the
    fields: the loaders the fields read (`subsidiaries`, `contacts`) are primed with exactly
    the lists they would fetch, so a three-level tree costs one round trip, not one per
    level and field. A walk over too many companies primes nothing.
    Each kind of list is projected as a summary when every field of that kind asks only
    what a summary carries; full rows prime the summary loaders too (same keys, more), so a
    field asking less still finds its list primed."""
    companies = projection("subsidiaries", ask.company_fields)
    staff = projection("contacts", ask.contact_fields)
    rows = await repo.subtree(
        ctx.db,
        ctx.actor,
        company_id,
        ask.depth,
        ask.sub_cap,
        ask.cap,
        TREE_MAX_COMPANIES + 1,
        companies,
        staff,
    )
    if len(rows) > TREE_MAX_COMPANIES:
        return
    by_id = {row["id"]: row for row in rows}
    subsidiaries = [_subsidiaries_loader(ctx, ask.sub_cap, k) for k in _served(companies)]
    contacts = (
        [_contacts_loader(ctx, ask.cap, k) for k in _served(staff)] if ask.cap is not None else []
    )
    level = [company_id]
    for k in range(ask.depth + 1):
        below: dict[str, None] = {}
        for cid in level:
            row = by_id.get(cid)
            if row is None:
                continue
            if k < ask.depth:
                for subs in subsidiaries:
                    subs.prime(cid, row["subsidiaries"])
                below.update(dict.fromkeys(n["id"] for n in row["subsidiaries"]))
            if k in ask.contact_levels:
                for staff_loader in contacts:
                    staff_loader.prime(cid, row["contacts"])
        level = list(below)


def _served(kind: str) -> tuple[str, ...]:
    """The loaders rows of projection `kind` can answer: a full row serves a summary field."""
    return ("full", "summary") if kind == "full" else (kind,)


async def employer(ctx: Context, person_id: str) -> EmploymentRow | None:
    return await load_one(
        ctx, "rel.employer", person_id, lambda ids: repo.employers(ctx.db, ctx.actor, ids)
    )


async def owner(ctx: Context, party_id: str) -> NodeRow | None:
    return await load_one(
        ctx, "rel.owner", party_id, lambda ids: repo.single(ctx.db, ctx.actor, repo.OWNER, ids)
    )


async def project_customer(ctx: Context, project_id: str) -> NodeRow | None:
    return await load_one(
        ctx,
        "rel.project_customer",
        project_id,
        lambda ids: repo.single(ctx.db, ctx.actor, repo.PROJECT_CUSTOMER, ids),
    )
