"""Who a repository call acts for: graph/'s view of the request's Viewer.

Resolvers build it from the Viewer and pass it to every repository call that reads or
writes records. Writes record `id` in their audit events; reads and writes filter rows with
the predicates graph/access.py builds from `scope`, so no resolver has to remember them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.access import Scope, load_scope
from graph.db import Cypher, Database


@dataclass(frozen=True)
class Actor:
    id: str  # a User id, or `anonymous:<name>` for the dev-mode demo viewer
    roles: frozenset[str] = frozenset()
    # Nothing by default: a caller that forgets to resolve the scope sees nothing.
    scope: Scope = field(default_factory=Scope)


ACTIVE_ROLES = Cypher(
    "actor.active_roles",
    "MATCH (u:User {id: $id}) WHERE u.archivedAt IS NULL RETURN coalesce(u.roles, []) AS roles",
)


async def of_user(
    db: Database, actor: Actor, user_id: str, *, public_companies: bool
) -> Actor | None:
    """User `user_id` as an Actor, with their roles and scope as they are now, for work done or
    judged without their request (a job's creator, a send's sender, a follow-up's assignee)
    and asked for by `actor`; None when the user is archived or unknown."""
    rows = await db.read(ACTIVE_ROLES, {"id": user_id})
    if not rows:
        return None
    roles = frozenset(rows[0]["roles"])
    scope = await load_scope(db, user_id, roles, public_companies=public_companies)
    return Actor(user_id, roles, scope)
