"""Server facts, for the `database` field and health checks."""

from __future__ import annotations

from graph.db import Cypher, Database

SERVER_INFO = Cypher(
    "system.server_info",
    "CALL dbms.components() YIELD name, versions, edition "
    "RETURN name, versions[0] AS version, edition LIMIT 1",
)

# Seconds east of UTC of a datetime made without a zone: db.temporal.timezone.
ZONE_OFFSET = Cypher("system.zone_offset", "RETURN datetime().offsetSeconds AS seconds")


async def server_info(db: Database) -> dict[str, str]:
    rows = await db.read(SERVER_INFO)
    return {"name": rows[0]["name"], "version": rows[0]["version"], "edition": rows[0]["edition"]}


async def zone_offset_seconds(db: Database) -> int:
    """The server's default offset now, which makes Cypher's date() (graph/clock.py)."""
    rows = await db.read(ZONE_OFFSET)
    return int(rows[0]["seconds"])
