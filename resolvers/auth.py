"""Maps a request's credentials to a Viewer.

`Authorization: Bearer <credential>` carries either an API key (stored only as the SHA-256 of
the secret on an `:ApiKey` node, graph/apikey.py) or, when OpenID Connect is configured, a
JWT from the provider (resolvers/oidc.py). Without one the viewer is anonymous, which only
dev/demo mode allows.

Look-ups are cached per worker for `cache_seconds` (5 s by default) and never past a key's
expiry, so a key revoked on any worker stops working on every worker within that time; a
revocation through this worker drops the entry at once (`forget`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import weakref
from datetime import UTC, datetime

from graph import access, demo_data
from graph import apikey as keys
from graph import user as users
from graph.db import Database
from graph.rows import SignInRow
from resolvers.context import DEMO, Viewer
from resolvers.errors import ApiError, ErrorCode
from resolvers.oidc import OidcVerifier, looks_like_jwt

# Bounds the cache against many distinct valid keys; past it the cache starts over.
_CACHE_ENTRIES = 10_000
KEY_PREFIX = "crm_"


# Every authenticator of this process (an app's), for work done outside a request (an import
# job writing users and teams) to drop their cached sign-ins (`forget_everywhere`).
_LIVE: weakref.WeakSet[Authenticator] = weakref.WeakSet()


def forget_everywhere() -> None:
    """Drop every cached sign-in of this process: users, teams or staff edges were changed
    outside a request (an import job), so their viewers' roles and scopes are resolved anew."""
    for auth in list(_LIVE):
        auth.forget_all()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """A new API key and its display prefix (`crm_` and 8 characters: not enough to guess)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[: len(KEY_PREFIX) + 8]


class Authenticator:
    def __init__(
        self,
        db: Database,
        allow_anonymous: bool,
        cache_seconds: float = 5.0,
        oidc: OidcVerifier | None = None,
        public_companies: bool = True,
    ) -> None:
        self.db = db
        self.allow_anonymous = allow_anonymous
        self.cache_seconds = cache_seconds
        self.oidc = oidc
        self.public_companies = public_companies
        # A short cache keeps auth off the per-request round-trip budget for repeat callers.
        self._cache: dict[str, tuple[float, Viewer, str | None]] = {}
        _LIVE.add(self)

    def forget(self, key_id: str) -> None:
        """Drop cached sign-ins of a key this worker has just revoked."""
        for digest, (_, _, cached_key) in list(self._cache.items()):
            if cached_key == key_id:
                del self._cache[digest]

    def forget_user(self, user_id: str) -> None:
        """Drop cached sign-ins of a user this worker has just changed (roles, team), archived
        or deleted, so that the change holds from the next request."""
        for digest, (_, viewer, _) in list(self._cache.items()):
            if viewer.user_id == user_id:
                del self._cache[digest]

    def forget_all(self) -> None:
        """Drop every cached sign-in: the users and teams they were resolved from are gone
        (a database replaced under a running app, as the tests do between cases)."""
        self._cache.clear()

    async def viewer(self, authorization: str | list[str] | None) -> Viewer:
        """The viewer a request's `Authorization` header(s) sign in as."""
        if isinstance(authorization, list):
            if len(authorization) > 1:
                # A proxy that appends its own header would otherwise pick the identity.
                raise ApiError(
                    ErrorCode.UNAUTHENTICATED, "Send one Authorization header, not several."
                )
            authorization = authorization[0] if authorization else None
        if not authorization:
            if self.allow_anonymous:
                return DEMO
            raise ApiError(ErrorCode.UNAUTHENTICATED, "An API key is required.")
        scheme, _, credential = authorization.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Use `Authorization: Bearer <api key>`.")
        digest = hash_key(credential)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and now < hit[0]:
            return hit[1]
        if self.oidc is not None and looks_like_jwt(credential):
            claims = await self.oidc.verify(credential)
            row = await users.user_by_claim(self.db, self.oidc.claim, claims.value)
            if row is None:
                raise ApiError(ErrorCode.UNAUTHENTICATED, "No active user has this identity.")
            until = min(now + self.cache_seconds, now + claims.seconds_left())
        else:
            row = await keys.sign_in(self.db, digest)
            if row is None:
                raise ApiError(ErrorCode.UNAUTHENTICATED, "Unknown, expired or revoked API key.")
            await self._touch(row)
            until = now + min(self.cache_seconds, _seconds_left(row))
        roles = frozenset(row["roles"])
        scope = await access.load_scope(
            self.db, row["id"], roles, public_companies=self.public_companies
        )
        viewer = Viewer(user_id=row["id"], name=row["name"], roles=roles, scope=scope)
        if len(self._cache) >= _CACHE_ENTRIES:
            self._cache.clear()
        self._cache[digest] = (until, viewer, row["keyId"])
        return viewer

    async def _touch(self, row: SignInRow) -> None:
        """Record when a key was last used, at most every few minutes (a write)."""
        last = row["lastUsedAt"]
        if row["keyId"] is None:
            return
        if last is None or datetime.now(UTC) - last.to_native() > keys.LAST_USED_PRECISION:
            await keys.touch(self.db, row["keyId"])


def _seconds_left(row: SignInRow) -> float:
    expires = row["expiresAt"]
    if expires is None:
        return float("inf")
    return max(0.0, (expires.to_native() - datetime.now(UTC)).total_seconds())


async def demo_key_holders(db: Database) -> list[str]:
    """Users whose public demo key (graph/demo_data.py) still works; production refuses them."""
    hashes = [hash_key(user[4]) for user in demo_data.USERS.values()]
    return await keys.holders_of_active(db, hashes)
