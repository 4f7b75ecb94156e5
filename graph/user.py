"""Our own staff (`:User`): lookups used by authentication."""

from __future__ import annotations

from graph.db import Cypher, Database, Row

BY_API_KEY_HASH = Cypher(
    "user.by_api_key_hash",
    "MATCH (u:User {apiKeyHash: $hash}) WHERE u.archivedAt IS NULL "
    "RETURN u.id AS id, u.name AS name, coalesce(u.roles, []) AS roles, u.team AS team LIMIT 1",
)


async def by_api_key_hash(db: Database, key_hash: str) -> Row | None:
    rows = await db.read(BY_API_KEY_HASH, {"hash": key_hash})
    return rows[0] if rows else None
