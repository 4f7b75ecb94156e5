"""Our own staff (`:User`): the look-ups of sign-in. API keys live in graph/apikey.py."""

from __future__ import annotations

from graph.apikey import USER_FIELDS, sign_in_row
from graph.db import Cypher, Database
from graph.rows import SignInRow

BY_OIDC_SUBJECT = Cypher(
    "user.by_oidc_subject",
    "MATCH (u:User {oidcSubject: $value}) WHERE u.archivedAt IS NULL RETURN "
    + USER_FIELDS
    + ", null AS keyId, null AS expiresAt, null AS lastUsedAt LIMIT 2",
)
BY_EMAIL = Cypher(
    "user.by_email",
    "MATCH (u:User {email: $value}) WHERE u.archivedAt IS NULL RETURN "
    + USER_FIELDS
    + ", null AS keyId, null AS expiresAt, null AS lastUsedAt LIMIT 2",
)


async def user_by_claim(db: Database, claim: str, value: str) -> SignInRow | None:
    """The one active user whose `oidcSubject` (claim `sub`) or `email` is `value`; None when
    there is none or more than one."""
    rows = await db.read(BY_OIDC_SUBJECT if claim == "sub" else BY_EMAIL, {"value": value})
    return sign_in_row(rows[0]) if len(rows) == 1 else None
