"""The per-request context: database, viewer, request id and dataloaders."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graph.access import Scope
from graph.actor import Actor
from graph.db import Database, current_round_trips


@dataclass(frozen=True)
class Viewer:
    """Who is asking. Repository calls get it as `Context.actor`; audit events record it."""

    user_id: str | None
    name: str
    roles: frozenset[str] = frozenset()
    anonymous: bool = False
    # Which rows this viewer reaches (graph/access.py); loaded with the key, cached with it.
    scope: Scope = field(default_factory=Scope)

    @property
    def actor(self) -> str:
        return self.user_id or f"anonymous:{self.name}"

    def has(self, role: str) -> bool:
        return role in self.roles or "ADMIN" in self.roles


# A client's own request id is kept (to trace a call through its systems) when it is a
# plain token; anything else (spaces, markup, over 64 characters) gets one of ours.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

ANONYMOUS = Viewer(user_id=None, name="anonymous", roles=frozenset(), anonymous=True)
DEMO = Viewer(
    user_id=None,
    name="demo",
    roles=frozenset({"ADMIN"}),
    anonymous=True,
    scope=Scope.everything(),
)


@dataclass
class Context:
    db: Database
    viewer: Viewer
    request_id: str
    dev: bool = False
    # One DataLoader per key kind, created on first use and dropped with the request.
    loaders: dict[str, Any] = field(default_factory=dict)
    # Told the id of a key revoked in this request, so this worker's auth cache drops it now.
    on_key_revoked: Callable[[str], None] | None = None
    # Told the id of a user changed, archived or deleted in this request (the same cache).
    on_user_changed: Callable[[str], None] | None = None
    # The app's background scoring (resolvers/intelligence.Scheduler); None outside an app.
    scheduler: Any = None
    # The app's outreach job runner (resolvers/outreach.Runner); None outside an app.
    outreach: Any = None

    @staticmethod
    def commits() -> int:
        """Write transactions this request has committed so far."""
        trips = current_round_trips.get()
        return 0 if trips is None else trips.commits

    def user_changed(self, user_id: str) -> None:
        if self.on_user_changed is not None:
            self.on_user_changed(user_id)

    @cached_property
    def actor(self) -> Actor:
        """The viewer as graph/ sees it: passed to every repository call."""
        return Actor(self.viewer.actor, self.viewer.roles, self.viewer.scope)
