"""Service-level fields: version and database status."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from graph import system as repo
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.vocab import LABELS


@cache  # the installed package's metadata is read from disk: about 4 ms a call
def api_version() -> str:
    try:
        return version("crm-graph")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+source"


async def database_info(ctx: Context) -> dict[str, str]:
    return await repo.server_info(ctx.db)


# The GraphQL names of the vocabularies exposed under another name; the others are the same,
# or (edge kinds such as DecisionRole) plain strings in the schema.
GRAPHQL_NAMES = {
    "ServiceCaseStatus": "CaseStatus",
    "InteractionChannel": "Channel",
    "ClassificationDimension": "Dimension",
    "InteractionDirection": "Direction",
    "NodeKind": "Label",
    "VisitPlanStatus": "PlanStatus",
    "EdgeType": "Rel",
}


def enum_labels(enum: str | None) -> list[dict[str, str]]:
    """Every vocabulary's labels, or one's, named as `enum` answers or by its GraphQL name."""
    wanted = GRAPHQL_NAMES.get(enum, enum) if enum is not None else None
    rows = []
    for member, (zh, en) in LABELS.items():
        name = type(member).__name__
        if wanted is None or wanted == name:
            rows.append({"enum": name, "value": member.name, "zh": zh, "en": en})
    if not rows:
        known = sorted({type(m).__name__ for m in LABELS})
        message = f"no vocabulary named {enum!r}; one of {', '.join(known)}"
        raise ApiError(ErrorCode.BAD_USER_INPUT, message[:2000], "enum")
    return rows
