"""Maps a request's API key to a Viewer.

Keys are sent as `Authorization: Bearer <key>` and stored only as SHA-256 hashes on `:User`
nodes. Without a key the viewer is anonymous, which only dev/demo mode allows.
"""

from __future__ import annotations

import hashlib
import time

from graph import access
from graph import user as repo
from graph.db import Database
from resolvers.context import DEMO, Viewer
from resolvers.errors import ApiError, ErrorCode

_CACHE_SECONDS = 30.0


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Authenticator:
    def __init__(self, db: Database, allow_anonymous: bool, public_companies: bool = True) -> None:
        self.db = db
        self.allow_anonymous = allow_anonymous
        self.public_companies = public_companies
        # A short cache keeps auth off the per-request round-trip budget for repeat callers.
        self._cache: dict[str, tuple[float, Viewer]] = {}

    async def viewer(self, authorization: str | None) -> Viewer:
        if not authorization:
            if self.allow_anonymous:
                return DEMO
            raise ApiError(ErrorCode.UNAUTHENTICATED, "An API key is required.")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Use `Authorization: Bearer <api key>`.")
        digest = hash_key(key.strip())
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and now - hit[0] < _CACHE_SECONDS:
            return hit[1]
        row = await repo.by_api_key_hash(self.db, digest)
        if row is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Unknown or revoked API key.")
        roles = frozenset(row["roles"])
        scope = await access.load_scope(
            self.db, row["id"], roles, public_companies=self.public_companies
        )
        viewer = Viewer(user_id=row["id"], name=row["name"], roles=roles, scope=scope)
        self._cache[digest] = (now, viewer)
        return viewer
