"""Cross-sell and up-sell (graph/crosssell.py): preferences and recommendations batched per
request, one round trip for every customer of a page; related products per product."""

from __future__ import annotations

from graph import crosssell as repo
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.loaders import loader

model = repo  # the caps and points the schema describes
Preferences = repo.Preferences
Recommendation = repo.Recommendation
RelatedProductRow = repo.RelatedProduct
MAX_RELATED = repo.MAX_RELATED
MAX_RECOMMENDATIONS = repo.MAX_RECOMMENDATIONS


async def preferences(ctx: Context, customer_id: str) -> Preferences | None:
    """Null for a party that is no customer (or that the viewer may not see)."""

    async def batch(ids: list[str]) -> list[Preferences | None]:
        found = await repo.preferences(ctx.db, ctx.actor, ids)
        return [found.get(i) for i in ids]

    result: Preferences | None = await loader(ctx, "crosssell.preferences", batch).load(customer_id)
    return result


async def recommendations(ctx: Context, customer_id: str, first: int) -> list[Recommendation]:
    """The best `first`; one loader whatever `first` asks (the list is computed whole, capped,
    and cut here), so a page asking different sizes still costs one round trip."""
    limit = page_size(first, MAX_RECOMMENDATIONS)

    async def batch(ids: list[str]) -> list[list[Recommendation]]:
        found = await repo.recommendations(ctx.db, ctx.actor, ids)
        return [found.get(i, []) for i in ids]

    result: list[Recommendation] = await loader(ctx, "crosssell.recommendations", batch).load(
        customer_id
    )
    return result[:limit]


async def related_products(ctx: Context, product_id: str, first: int) -> list[RelatedProductRow]:
    return await repo.related(ctx.db, ctx.actor, product_id, page_size(first, MAX_RELATED))
