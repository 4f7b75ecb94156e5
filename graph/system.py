"""Server facts, for the `database` field and health checks."""

from __future__ import annotations

from graph.db import Cypher, Database

SERVER_INFO = Cypher(
    "system.server_info",
    "CALL dbms.components() YIELD name, versions, edition "
    "RETURN name, versions[0] AS version, edition LIMIT 1",
)


async def server_info(db: Database) -> dict[str, str]:
    rows = await db.read(SERVER_INFO)
    return {"name": rows[0]["name"], "version": rows[0]["version"], "edition": rows[0]["edition"]}
