"""Who a repository call acts for: graph/'s view of the request's Viewer.

Resolvers build it from the Viewer and pass it to every repository call that reads or
writes records. Writes record `id` in their audit events; reads and writes filter rows with
the predicates graph/access.py builds from `scope`, so no resolver has to remember them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.access import Scope


@dataclass(frozen=True)
class Actor:
    id: str  # a User id, or `anonymous:<name>` for the dev-mode demo viewer
    roles: frozenset[str] = frozenset()
    # Nothing by default: a caller that forgets to resolve the scope sees nothing.
    scope: Scope = field(default_factory=Scope)
