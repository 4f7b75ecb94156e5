"""Map export: GraphML (for Gephi, via networkx) and Cytoscape.js elements. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import orjson
from neo4j.time import DateTime

# Keys that become GraphML attributes when set; `data` goes along as a JSON string.
NODE_KEYS = (
    "kind",
    "name",
    "nameEn",
    "isCustomer",
    "tier",
    "lifecycleStage",
    "title",
    "department",
    "companyId",
    "depth",
    "role",
    "stance",
    "influence",
    "hidden",
    "x",
    "y",
)
EDGE_KEYS = ("type", "since", "until", "kind", "strength", "polarity")


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def to_graphml(nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]) -> str:
    g = nx.MultiDiGraph()
    for n in nodes:
        attrs = {k: _scalar(n.get(k)) for k in NODE_KEYS if n.get(k) is not None}
        if n.get("data"):
            attrs["data"] = orjson.dumps(n["data"], default=str).decode()
        g.add_node(str(n["id"]), **attrs)
    for e in edges:
        attrs = {k: _scalar(e.get(k)) for k in EDGE_KEYS if e.get(k) is not None}
        if e.get("data"):
            attrs["data"] = orjson.dumps(e["data"], default=str).decode()
        g.add_edge(str(e["source"]), str(e["target"]), key=str(e["id"]), **attrs)
    return "\n".join(nx.generate_graphml(g)) + "\n"


def to_cytoscape(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """`{elements: {nodes: [{data, position?}], edges: [{data}]}}` with JSON-safe values."""
    out_nodes = []
    for n in nodes:
        item: dict[str, Any] = {
            "data": {k: _json(v) for k, v in n.items() if k not in ("x", "y") and v is not None}
        }
        if n.get("x") is not None:
            item["position"] = {"x": n["x"], "y": n["y"]}
        out_nodes.append(item)
    out_edges = [{"data": {k: _json(v) for k, v in e.items() if v is not None}} for e in edges]
    return {"elements": {"nodes": out_nodes, "edges": out_edges}}


def _json(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, DateTime):
        # To the microsecond with its offset, as the API writes instants (Python keeps no
        # more): `.123456000+08:00` read as another value than the API's `.123456+08:00`.
        value = value.to_native()
    fmt = getattr(value, "iso_format", None) or getattr(value, "isoformat", None)
    return str(fmt()) if fmt else str(value)


jsonable = _json
