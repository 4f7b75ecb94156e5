"""Demo data: a bilingual group of companies, contacts, projects and our staff."""

from __future__ import annotations

from graph.db import Cypher, Database

IS_EMPTY = Cypher(
    "demo.is_empty",
    "OPTIONAL MATCH (n) WHERE n:Company OR n:Person OR n:Project OR n:User "
    "RETURN count(n) = 0 AS empty LIMIT 1",
)


async def seed_if_empty(db: Database) -> bool:
    """Load the demo data set into an empty database. True if it loaded anything."""
    rows = await db.read(IS_EMPTY)
    if not rows[0]["empty"]:
        return False
    # The data set itself arrives with the graph core (issue 3).
    return False
