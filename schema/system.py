"""Service-level queries."""

from __future__ import annotations

import strawberry

from resolvers import system as r
from resolvers.context import Context


@strawberry.type(description="The Neo4j server behind the API.")
class DatabaseInfo:
    name: str = strawberry.field(description="Component name, e.g. `Neo4j Kernel`.")
    version: str = strawberry.field(description="Server version, e.g. `5.26.30`.")
    edition: str = strawberry.field(description="`community` or `enterprise`.")


@strawberry.type
class Query:
    @strawberry.field(description="The API's version (the package version).")
    def version(self) -> str:
        return r.api_version()

    @strawberry.field(description="Facts about the Neo4j server. Costs one Cypher round trip.")
    async def database(self, info: strawberry.Info[Context, None]) -> DatabaseInfo:
        return DatabaseInfo(**await r.database_info(info.context))
