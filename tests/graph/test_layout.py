"""Layouts are seeded and put parents above children."""

from __future__ import annotations

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


def test_force_is_deterministic_and_spread() -> None:
    a = layout.layout(NODES, EDGES, "FORCE")
    b = layout.layout(list(reversed(NODES)), list(reversed(EDGES)), "FORCE")
    assert a == b
    assert len(set(a.values())) == len(NODES)


def test_none_gives_no_positions() -> None:
    assert layout.layout(NODES, EDGES, "NONE") == {}
