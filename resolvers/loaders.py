"""Per-request DataLoaders: list fields batch their look-ups into one round trip per kind."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
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


def forget(ctx: Context, key: str) -> None:
    """Drop `key` from every loader of the request: a write changed what it names, and a later
    field of the same request (another alias) must read it as now stored (tester BJ: a second
    archiveCompany of one request read the cached, unarchived row and archived it again)."""
    for found in ctx.loaders.values():
        with contextlib.suppress(KeyError):  # not asked for in this request
            found.clear(key)


Keyed = Callable[[list[str]], Awaitable[Mapping[str, V]]]
Grouped = Keyed[list[V]]


async def load_one(ctx: Context, name: str, key: str, fetch: Keyed[V]) -> V | None:
    """The row `fetch` finds under `key` (none: None), through the request's loader `name`:
    one round trip for every key the request asks for."""

    async def batch(keys: list[str]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(k) for k in keys]

    result: V | None = await loader(ctx, name, batch).load(key)
    return result


async def load_grouped(ctx: Context, name: str, key: str, fetch: Grouped[V]) -> list[V]:
    """The rows `fetch` groups under `key` (none: an empty list), through the request's loader
    `name`: one round trip for every key the request asks for."""

    async def batch(keys: list[str]) -> list[list[V]]:
        found = await fetch(keys)
        return [found.get(k, []) for k in keys]

    result: list[V] = await loader(ctx, name, batch).load(key)
    return result
