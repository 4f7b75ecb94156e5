"""GraphML and Cytoscape exports of a flat map."""

from __future__ import annotations

import datetime as dt

import networkx as nx

from graph import export

NODES = [
    {"id": "a", "kind": "COMPANY", "name": "华东集团", "x": 1.0, "y": 2.0, "data": {"k": 1}},
    {"id": "b", "kind": "COMPANY", "name": "B", "x": None, "y": None},
]
EDGES = [
    {
        "id": "e1",
        "source": "b",
        "target": "a",
        "type": "SUBSIDIARY_OF",
        "since": dt.date(2020, 1, 2),
        "data": {"ownership": 0.5},
    },
]


def test_graphml_round_trips_through_networkx() -> None:
    g = nx.parse_graphml(export.to_graphml(NODES, EDGES))
    assert g.nodes["a"]["name"] == "华东集团"
    assert g.nodes["a"]["x"] == 1.0
    ((_, _, attrs),) = g.edges(data=True)
    assert attrs["type"] == "SUBSIDIARY_OF"
    assert attrs["since"] == "2020-01-02"


def test_cytoscape_elements() -> None:
    cy = export.to_cytoscape(NODES, EDGES)["elements"]
    assert cy["nodes"][0] == {
        "data": {"id": "a", "kind": "COMPANY", "name": "华东集团", "data": {"k": 1}},
        "position": {"x": 1.0, "y": 2.0},
    }
    assert "position" not in cy["nodes"][1]
    assert cy["edges"][0]["data"]["since"] == "2020-01-02"
    assert cy["edges"][0]["data"]["source"] == "b"
