"""Per-request DataLoaders: list fields batch their look-ups into one round trip per kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from resolvers.context import Context

K = TypeVar("K")
V = TypeVar("V")


def loader(
    ctx: Context, name: str, batch: Callable[[list[Any]], Awaitable[Sequence[Any]]]
) -> DataLoader[Any, Any]:
    """The request's loader called `name`, created on first use."""
    found = ctx.loaders.get(name)
    if found is None:
        found = DataLoader(load_fn=batch)
        ctx.loaders[name] = found
    return found
