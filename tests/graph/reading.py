"""Reading the database as a persona, straight through graph/ (no API in between)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.server import LocalNeo4j
from tests.conftest import PERSONAS

T = TypeVar("T")


def run(server: LocalNeo4j, fn: Callable[[Database], Awaitable[T]]) -> T:
    """`fn` with a Database of its own on `server`, closed afterwards."""

    async def main() -> T:
        db = Database(server.uri, "neo4j", server.password)
        try:
            return await fn(db)
        finally:
            await db.close()

    return asyncio.run(main())


def read_as(
    server: LocalNeo4j, persona: str, statement: Cypher, **params: Any
) -> list[dict[str, Any]]:
    """The rows of `statement` for `persona`, with its ACL parameters added to `params`."""
    p = PERSONAS[persona]

    async def main() -> list[dict[str, Any]]:
        db = Database(server.uri, "neo4j", server.password)
        try:
            roles = frozenset(p["roles"])
            actor = Actor(p["id"], roles, await access.load_scope(db, p["id"], roles))
            return await db.read(statement, {"acl": access.acl_params(actor), **params})
        finally:
            await db.close()

    return asyncio.run(main())
