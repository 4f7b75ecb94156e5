"""Service-level fields: version and database status."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from graph import system as repo
from resolvers.context import Context
from resolvers.vocab import LABELS


@cache  # the installed package's metadata is read from disk: about 4 ms a call
def api_version() -> str:
    try:
        return version("crm-graph")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


async def database_info(ctx: Context) -> dict[str, str]:
    return await repo.server_info(ctx.db)


def enum_labels(enum: str | None) -> list[dict[str, str]]:
    # GraphQL enum names equal the Python class names, except Label (exposed as NodeKind).
    rows = []
    for member, (zh, en) in LABELS.items():
        name = type(member).__name__
        if enum is None or enum == name:
            rows.append({"enum": name, "value": member.name, "zh": zh, "en": en})
    return rows
