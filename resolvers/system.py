"""Service-level fields: version and database status."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from graph import system as repo
from resolvers.context import Context


def api_version() -> str:
    try:
        return version("crm-graph")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


async def database_info(ctx: Context) -> dict[str, str]:
    return await repo.server_info(ctx.db)
