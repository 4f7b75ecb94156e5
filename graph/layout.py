"""Seeded 2-D layouts for flat maps, computed with networkx and plain Python (no numpy).

`layout(nodes, edges, mode)` returns `{node id: (x, y)}`. The same input always gives the same
picture: node and edge order are normalised first, and the force layout starts from a seeded
position. Both layouts are O(n log n) to O(n² · iterations) pure Python, so resolvers run
them off the event loop (`asyncio.to_thread`).

- HIERARCHY: a layered tidy tree. Each node keeps one parent (the first tree edge in the
  caller's preference order); roots are nodes without a parent; a node's y is its level, its x
  the centre of its children (leaves get consecutive slots). Cycles are broken by BFS order.
- FORCE: Fruchterman-Reingold on the undirected graph, seeded, capped at `FORCE_ITERATIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

FORCE_ITERATIONS = 60
FORCE_SEED = 4
LEVEL_GAP = 120.0
SLOT_GAP = 90.0
# Edge types that point from child to parent; others (INFLUENCES, KNOWS, ...) are overlays.
CHILD_TO_PARENT = ("REPORTS_TO", "SUBSIDIARY_OF", "WORKS_AT", "PARTICIPATES_IN", "FOR")
PARENT_TO_CHILD = ("INFLUENCES", "KNOWS", "ON_TEAM", "OWNS")

Position = tuple[float, float]


def _ordered(nodes: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted(str(n["id"]) for n in nodes)


def hierarchy_parents(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    prefer: Sequence[str] = CHILD_TO_PARENT,
) -> dict[str, str]:
    """One parent per node, chosen by edge type preference, never creating a cycle. Of two
    reporting lines, the solid one places a person; a dotted one only when it is the only one."""
    ids = {str(n["id"]) for n in nodes}
    rank = {t: i for i, t in enumerate(prefer)}
    candidates: list[tuple[int, bool, str, str, str]] = []
    for e in edges:
        t = str(e["type"])
        s, d = str(e["source"]), str(e["target"])
        if s not in ids or d not in ids or s == d:
            continue
        dotted = e.get("kind") == "DOTTED"
        if t in rank:
            candidates.append((rank[t], dotted, s, d, str(e.get("id", ""))))
        elif t in PARENT_TO_CHILD:
            candidates.append((len(rank) + 1, dotted, d, s, str(e.get("id", ""))))
    candidates.sort()
    parents: dict[str, str] = {}
    # `up` points each node at an ancestor (its tree's root, once looked up): a child without
    # a parent is its tree's root, so an edge closes a loop exactly when the parent's root is
    # the child. Looking roots up this way keeps a 500-person chart linear, where walking
    # up from every parent was quadratic in the chart's depth.
    up: dict[str, str] = {}
    for _, _, child, parent, _ in candidates:
        if child in parents or _root(up, parent) == child:
            continue
        parents[child] = up[child] = parent
    return parents


def _root(up: dict[str, str], node: str) -> str:
    top = node
    while (above := up.get(top)) is not None:
        top = above
    while node != top:  # point the path walked at the root, for the next look-up
        nxt = up[node]
        up[node] = top
        node = nxt
    return top


def depths(nodes: Sequence[Mapping[str, Any]], parents: Mapping[str, str]) -> dict[str, int]:
    """Each node's level under `parents` (hierarchy_parents' forest): 0 at a root."""
    level: dict[str, int] = {}
    for n in nodes:
        path, cur = [], str(n["id"])
        while cur not in level:
            path.append(cur)
            above = parents.get(cur)
            if above is None or len(path) > len(parents):  # a root, or a loop given
                level[cur] = 0
                path.pop()
                break
            cur = above
        for i, node in enumerate(reversed(path), 1):
            level[node] = level[cur] + i
    return level


def hierarchy(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    parents: Mapping[str, str] | None = None,
) -> dict[str, Position]:
    ids = [str(n["id"]) for n in nodes]  # caller order = sibling order
    if parents is None:
        parents = hierarchy_parents(nodes, edges)
    tree = nx.DiGraph()
    tree.add_nodes_from(ids)
    tree.add_edges_from((p, c) for c, p in parents.items())
    order = {n: i for i, n in enumerate(ids)}
    pos: dict[str, Position] = {}
    next_slot = 0.0

    def place(root: str) -> None:
        nonlocal next_slot
        # Iterative post-order so deep chains cannot overflow the stack.
        stack: list[tuple[str, int, bool]] = [(root, 0, False)]
        while stack:
            node, level, done = stack.pop()
            kids = sorted(tree.successors(node), key=order.__getitem__)
            if not done:
                stack.append((node, level, True))
                stack.extend((k, level + 1, False) for k in reversed(kids))
                continue
            if kids:
                x = (pos[kids[0]][0] + pos[kids[-1]][0]) / 2
            else:
                x = next_slot * SLOT_GAP
                next_slot += 1
            pos[node] = (x, level * LEVEL_GAP)

    for root in ids:
        if tree.in_degree(root) == 0:
            place(root)
            next_slot += 0.5  # a gap between separate trees
    return pos


def force(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> dict[str, Position]:
    ids = _ordered(nodes)
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(
        sorted(
            (str(e["source"]), str(e["target"]))
            for e in edges
            if str(e["source"]) in g and str(e["target"]) in g
        )
    )
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: (0.0, 0.0)}
    # networkx's Fruchterman-Reingold, seeded: the same input always gives the same picture.
    pos = nx.spring_layout(
        g, seed=FORCE_SEED, iterations=FORCE_ITERATIONS, scale=100.0 * math.sqrt(n)
    )
    return {str(v): (round(float(p[0]), 2), round(float(p[1]), 2)) for v, p in pos.items()}


def layout(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    mode: str,
    parents: Mapping[str, str] | None = None,
) -> dict[str, Position]:
    """Positions for `mode` FORCE or HIERARCHY; {} for NONE."""
    if mode == "FORCE":
        return force(nodes, edges)
    if mode == "HIERARCHY":
        return hierarchy(nodes, edges, parents)
    return {}


def apply(nodes: Iterable[dict[str, Any]], positions: Mapping[str, Position]) -> None:
    """Write x and y into the node dicts (in place)."""
    for n in nodes:
        p = positions.get(str(n["id"]))
        if p is not None:
            n["x"], n["y"] = p
