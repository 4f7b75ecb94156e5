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


# Which of `$email` and `$oidcSubject` an active user other than `$id` holds already: sign-in
# maps a token to the one active user with it, so two would lock both out.
IDENTITY_TAKEN = Cypher(
    "user.identity_taken",
    "CALL () { MATCH (u:User {email: $email}) RETURN u, 'email' AS field "
    "UNION MATCH (u:User {oidcSubject: $oidcSubject}) RETURN u, 'oidcSubject' AS field } "
    "WITH u, field WHERE u.archivedAt IS NULL AND u.id <> coalesce($id, '') "
    "RETURN DISTINCT field ORDER BY field",
)


async def identity_taken(
    db: Database, user_id: str | None, email: str | None, oidc_subject: str | None
) -> list[str]:
    """The fields (`email`, `oidcSubject`) another active user holds with these values."""
    if email is None and oidc_subject is None:
        return []
    params = {"id": user_id, "email": email, "oidcSubject": oidc_subject}
    return [row["field"] for row in await db.read(IDENTITY_TAKEN, params)]
