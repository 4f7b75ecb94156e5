"""Who a repository call acts for: graph/'s view of the request's Viewer.

Resolvers build it from the Viewer and pass it to every repository call that reads or
writes records. Writes record `id` in their audit events. Row-level visibility is not
enforced yet (docs/DECISIONS.md); when it is, its predicates are built from the Actor here
in graph/, so no resolver has to remember them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: str  # a User id, or `anonymous:<name>` for the dev-mode demo viewer
    roles: frozenset[str] = frozenset()
