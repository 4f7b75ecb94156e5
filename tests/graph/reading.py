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


def run(server: LocalNeo4j, fn: Callable[[Database], Awaitable[T]], **options: Any) -> T:
    """`fn` with a Database of its own on `server` (built with `options`), closed afterwards."""

    async def main() -> T:
        db = Database(server.uri, "neo4j", server.password, **options)
        try:
            return await fn(db)
        finally:
            await db.close()

    return asyncio.run(main())


async def actor_of(db: Database, persona: str) -> Actor:
    """The Actor a persona's key authenticates as, with its scope loaded."""
    p = PERSONAS[persona]
    roles = frozenset(p["roles"])
    return Actor(p["id"], roles, await access.load_scope(db, p["id"], roles))


def as_persona(
    server: LocalNeo4j, persona: str, call: Callable[[Database, Actor], Awaitable[T]]
) -> T:
    """`call` with a Database of its own and the persona's Actor."""

    async def main(db: Database) -> T:
        return await call(db, await actor_of(db, persona))

    return run(server, main)


def read_as(
    server: LocalNeo4j, persona: str, statement: Cypher, **params: Any
) -> list[dict[str, Any]]:
    """The rows of `statement` for `persona`, with its ACL parameters added to `params`."""

    async def read(db: Database, actor: Actor) -> list[dict[str, Any]]:
        return await db.read(statement, {"acl": access.acl_params(actor), **params})

    return as_persona(server, persona, read)
