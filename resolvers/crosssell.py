"""Cross-sell and up-sell (graph/crosssell.py): preferences and recommendations batched per
request, one round trip for every customer of a page; related products per product."""

from __future__ import annotations

from graph import crosssell as repo
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.loaders import load_grouped, load_one

model = repo  # the caps and points the schema describes
Preferences = repo.Preferences
Recommendation = repo.Recommendation
RelatedProductRow = repo.RelatedProduct
MAX_RELATED = repo.MAX_RELATED
MAX_RECOMMENDATIONS = repo.MAX_RECOMMENDATIONS


async def preferences(ctx: Context, customer_id: str) -> Preferences | None:
    """Null for a party that is no customer (or that the viewer may not see)."""
    return await load_one(
        ctx,
        "crosssell.preferences",
        customer_id,
        lambda ids: repo.preferences(ctx.db, ctx.actor, ids),
    )


async def recommendations(ctx: Context, customer_id: str, first: int) -> list[Recommendation]:
    """The best `first`; one loader whatever `first` asks (the list is computed whole, capped,
    and cut here), so a page asking different sizes still costs one round trip."""
    limit = page_size(first, MAX_RECOMMENDATIONS)

    result = await load_grouped(
        ctx,
        "crosssell.recommendations",
        customer_id,
        lambda ids: repo.recommendations(ctx.db, ctx.actor, ids),
    )
    return result[:limit]


async def related_products(ctx: Context, product_id: str, first: int) -> list[RelatedProductRow]:
    return await repo.related(ctx.db, ctx.actor, product_id, page_size(first, MAX_RELATED))
