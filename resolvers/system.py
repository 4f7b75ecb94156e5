"""Service-level fields: version and database status."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from graph import system as repo
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode


@cache  # the installed package's metadata is read from disk: about 4 ms a call
def api_version() -> str:
    try:
        return version("crm-graph")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


async def database_info(ctx: Context) -> dict[str, str]:
    return await repo.server_info(ctx.db)


def enum_labels(
    enum: str | None, table: dict[str, list[tuple[str, str, str]]], aliases: dict[str, str]
) -> list[dict[str, str]]:
    """Every vocabulary's labels (`table`, by the name a client meets), or one's, named so
    or by its vocabulary's own name (`aliases`: `Channel` for `InteractionChannel`)."""
    wanted = aliases.get(enum, enum) if enum is not None else None
    rows = [
        {"enum": name, "value": value, "zh": zh, "en": en}
        for name, labels in table.items()
        if wanted is None or wanted == name
        for value, zh, en in labels
    ]
    if not rows:
        message = f"no vocabulary named {enum!r}; one of {', '.join(sorted(table))}"
        raise ApiError(ErrorCode.BAD_USER_INPUT, message[:2000], "enum")
    return rows
