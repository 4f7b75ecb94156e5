"""Layouts are seeded and put parents above children."""

from __future__ import annotations

import random

from graph import layout

NODES = [{"id": i} for i in ("ceo", "cto", "cfo", "eng")]
EDGES = [
    {"id": "1", "source": "cto", "target": "ceo", "type": "REPORTS_TO"},
    {"id": "2", "source": "cfo", "target": "ceo", "type": "REPORTS_TO"},
    {"id": "3", "source": "eng", "target": "cto", "type": "REPORTS_TO"},
    {"id": "4", "source": "eng", "target": "cfo", "type": "INFLUENCES"},
]


def test_hierarchy_levels_and_centring() -> None:
    pos = layout.layout(NODES, EDGES, "HIERARCHY")
    assert pos["ceo"][1] < pos["cto"][1] < pos["eng"][1]
    assert pos["cto"][1] == pos["cfo"][1]
    assert pos["ceo"][0] == (pos["cto"][0] + pos["cfo"][0]) / 2
    assert pos["eng"][0] == pos["cto"][0]  # an only child sits under its parent


def test_hierarchy_breaks_cycles() -> None:
    loop = [
        {"id": "a", "source": "x", "target": "y", "type": "REPORTS_TO"},
        {"id": "b", "source": "y", "target": "x", "type": "REPORTS_TO"},
    ]
    parents = layout.hierarchy_parents([{"id": "x"}, {"id": "y"}], loop)
    assert parents == {"x": "y"}


def test_a_solid_line_places_a_person_before_a_dotted_one() -> None:
    # eng reports solid to cto (under ceo) and dotted to ceo itself; the dotted edge's ids
    # sort first, so only the line's kind can place eng at level 2.
    edges = [
        {"id": "0", "source": "eng", "target": "ceo", "type": "REPORTS_TO", "kind": "DOTTED"},
        {"id": "1", "source": "cto", "target": "ceo", "type": "REPORTS_TO", "kind": "SOLID"},
        {"id": "2", "source": "eng", "target": "cto", "type": "REPORTS_TO", "kind": "SOLID"},
        {"id": "3", "source": "ops", "target": "ceo", "type": "REPORTS_TO", "kind": "DOTTED"},
    ]
    nodes = [{"id": i} for i in ("ceo", "cto", "eng", "ops")]
    parents = layout.hierarchy_parents(nodes, edges)
    assert parents == {"eng": "cto", "cto": "ceo", "ops": "ceo"}  # a dotted line alone counts
    assert layout.depths(nodes, parents) == {"ceo": 0, "cto": 1, "eng": 2, "ops": 1}


def test_force_is_deterministic_and_spread() -> None:
    a = layout.layout(NODES, EDGES, "FORCE")
    b = layout.layout(list(reversed(NODES)), list(reversed(EDGES)), "FORCE")
    assert a == b
    assert len(set(a.values())) == len(NODES)


def test_none_gives_no_positions() -> None:
    assert layout.layout(NODES, EDGES, "NONE") == {}


def _naive_parents(nodes: list[dict[str, str]], edges: list[dict[str, str]]) -> dict[str, str]:
    """hierarchy_parents as first written: walk up from the parent for every candidate."""
    ids = {n["id"] for n in nodes}
    rank = {t: i for i, t in enumerate(layout.CHILD_TO_PARENT)}
    candidates = []
    for e in edges:
        s, d, t = e["source"], e["target"], e["type"]
        if s in ids and d in ids and s != d:
            if t in rank:
                candidates.append((rank[t], s, d, e["id"]))
            elif t in layout.PARENT_TO_CHILD:
                candidates.append((len(rank) + 1, d, s, e["id"]))
    parents: dict[str, str] = {}
    for _, child, parent, _ in sorted(candidates):
        cur: str | None = parent
        while cur is not None and cur != child:
            cur = parents.get(cur)
        if child not in parents and cur != child:
            parents[child] = parent
    return parents


def _naive_depth(node: str, parents: dict[str, str]) -> int:
    level = 0
    while node in parents:
        node, level = parents[node], level + 1
    return level


def test_parents_and_depths_match_the_walk_on_random_charts() -> None:
    # Charts with loops, several edge types and deep chains: the root look-up must refuse
    # exactly the edges the walk up from each parent refused.
    rng = random.Random(11)
    types = ["REPORTS_TO", "WORKS_AT", "INFLUENCES", "RELATED_TO", "KNOWS", "SUBSIDIARY_OF"]
    for size in (1, 2, 5, 30, 200):
        for _ in range(20):
            nodes = [{"id": f"n{i}"} for i in range(size)]
            edges = [
                {
                    "id": f"e{k}",
                    "type": rng.choice(types),
                    "source": f"n{rng.randrange(size + 1)}",  # n{size}: not on the map
                    "target": f"n{rng.randrange(size)}",
                }
                for k in range(rng.randrange(3 * size + 1))
            ]
            parents = layout.hierarchy_parents(nodes, edges)
            assert parents == _naive_parents(nodes, edges)
            levels = layout.depths(nodes, parents)
            assert levels == {n["id"]: _naive_depth(n["id"], parents) for n in nodes}


def test_depths_of_a_long_chain() -> None:
    nodes = [{"id": str(i)} for i in range(1000)]
    parents = {str(i): str(i - 1) for i in range(1, 1000)}
    assert layout.depths(list(reversed(nodes)), parents) == {str(i): i for i in range(1000)}
