"""Service-level queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import system as r
from resolvers.context import Context
from schema.base import GRAPHQL_NAME, SAME_VALUES, enum_labels_table


@strawberry.type(description="The Neo4j server behind the API.")
class DatabaseInfo:
    name: str = strawberry.field(description="Component name, e.g. `Neo4j Kernel`.")
    version: str = strawberry.field(description="Server version, e.g. `5.26.30`.")
    edition: str = strawberry.field(description="`community` or `enterprise`.")


@strawberry.type(description="Chinese and English display labels of one enum value.")
class EnumLabel:
    enum: str = strawberry.field(
        description="The GraphQL enum, e.g. `InteractionChannel`; for a vocabulary the schema "
        "carries as a plain string (an edge's `kind`, a decision role), its own name, e.g. "
        "`DecisionRole`."
    )
    value: str = strawberry.field(description="The enum value, e.g. `DECISION_MAKER`.")
    zh: str = strawberry.field(description="Chinese label, e.g. 决策者.")
    en: str = strawberry.field(description="English label, e.g. Decision maker.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Display labels for every GraphQL enum whose values have them, and the "
        "vocabularies carried as plain strings (or one, by name). No database round trip."
    )
    def enumLabels(
        self,
        enum: Annotated[
            str | None,
            strawberry.argument(
                description="Only this vocabulary, e.g. `Stance`, by the name `enum` answers "
                "(the GraphQL enum's) or its vocabulary's own (`Channel` for "
                "`InteractionChannel`); an unknown name is BAD_USER_INPUT."
            ),
        ] = None,
    ) -> list[EnumLabel]:
        aliases = {kind.__name__: name for kind, name in GRAPHQL_NAME.items()} | SAME_VALUES
        return [EnumLabel(**row) for row in r.enum_labels(enum, enum_labels_table(), aliases)]

    @strawberry.field(description="The API's version (the package version).")
    def version(self) -> str:
        return r.api_version()

    @strawberry.field(description="Facts about the Neo4j server. Costs one Cypher round trip.")
    async def database(self, info: strawberry.Info[Context, None]) -> DatabaseInfo:
        return DatabaseInfo(**await r.database_info(info.context))
