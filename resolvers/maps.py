"""Relationship maps (R1, R2, R4): argument checks, one repository call, networkx post-work.

Resolvers return plain dicts whose keys are the GraphQL field names (see schema/maps.py).
Layout runs in a worker thread so a big map never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from graph import export, layout
from graph import maps as repo
from graph.algorithms import bfs_depths, subtree_rollups
from resolvers.args import as_of_or_today, check_range, not_found
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode

MAX_DEPTH = repo.MAX_DEPTH
MAX_LIMIT = repo.MAX_LIMIT
GROUP_MAX_LEVELS = repo.GROUP_MAX_LEVELS
GROUP_MAX_COMPANIES = repo.GROUP_MAX_COMPANIES
COMPANY_EDGE_TYPES = tuple(r.value for r in repo.COMPANY_RELS)


async def finish(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    truncated: bool,
    mode: str,
    parents: Mapping[str, str] | None = None,
    *,
    beyond: bool = False,
) -> dict[str, Any]:
    """A GraphMap dict, with x/y filled in when `mode` asks for a layout. `truncated`: a size
    cap cut the map; `beyond`: nothing was cut, but the graph goes on past the depth asked."""
    if mode != "NONE" and nodes:
        positions = await asyncio.to_thread(layout.layout, nodes, edges, mode, parents)
        layout.apply(nodes, positions)
    return {"nodes": nodes, "edges": edges, "truncated": truncated, "moreBeyondDepth": beyond}


def cytoscape(graph_map: Mapping[str, Any]) -> dict[str, Any]:
    return export.to_cytoscape(graph_map["nodes"], graph_map["edges"])


def graphml(graph_map: Mapping[str, Any]) -> str:
    return export.to_graphml(graph_map["nodes"], graph_map["edges"])


async def account_map(
    ctx: Context,
    center: str,
    depth: int,
    edge_kinds: Sequence[str] | None,
    limit: int,
    as_of: dt.date | None,
    mode: str,
    *,
    with_data: bool = True,
) -> dict[str, Any]:
    check_range(depth, 1, MAX_DEPTH, "depth")
    check_range(limit, 1, MAX_LIMIT, "limit")
    types = list(COMPANY_EDGE_TYPES) if edge_kinds is None else list(dict.fromkeys(edge_kinds))
    if not types:  # worded as relatedAccounts' and path's empty lists
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`edgeKinds` must not be empty.", "edgeKinds")
    wrong = [t for t in types if t not in COMPANY_EDGE_TYPES]
    if wrong:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            "`edgeKinds` must be company-to-company kinds: " + ", ".join(COMPANY_EDGE_TYPES),
            "edgeKinds",
        )
    found = await repo.account_map(
        ctx.db, ctx.actor, center, depth, types, limit, as_of_or_today(as_of), with_data=with_data
    )
    if found is None:
        raise not_found("company", center, "center")
    depths = bfs_depths([center], found["edges"])
    for n in found["nodes"]:
        n["depth"] = depths.get(n["id"])
    found["nodes"].sort(key=lambda n: (n["depth"] if n["depth"] is not None else 99, n["name"]))
    return await finish(
        found["nodes"], found["edges"], found["truncated"], mode, beyond=found["beyond"]
    )


async def group_hierarchy(
    ctx: Context, company: str, as_of: dt.date | None, mode: str, *, with_data: bool = True
) -> dict[str, Any]:
    found = await repo.group_hierarchy(
        ctx.db, ctx.actor, company, as_of_or_today(as_of), with_data=with_data
    )
    if found is None:
        raise not_found("company", company, "company")
    nodes, edges = found["nodes"], found["edges"]
    rollups = subtree_rollups(nodes, edges, found["archivedCentre"])
    # Level = longest distance below a root is unstable for diamonds; use BFS from the roots.
    levels = bfs_depths(found["roots"], edges)  # from the nearest root
    for n in nodes:
        n["depth"] = levels.get(n["id"])
        n["data"] = {**(n.get("data") or {}), "openProjectAmount": n.pop("openProjectAmount")}
    nodes.sort(key=lambda n: (n["depth"] if n["depth"] is not None else 99, n["name"]))
    graph_map = await finish(nodes, edges, found["truncated"], mode, beyond=found["beyond"])
    order = {n["id"]: i for i, n in enumerate(nodes)}
    rollups.sort(key=lambda r: order[r["companyId"]])
    return {"map": graph_map, "roots": found["roots"], "rollups": rollups}


async def contact_map(
    ctx: Context,
    company: str,
    include_subsidiaries: bool,
    include_influence: bool,
    limit: int,
    as_of: dt.date | None,
    mode: str,
    *,
    with_data: bool = True,
) -> dict[str, Any]:
    check_range(limit, 1, MAX_LIMIT, "limit")
    found = await repo.contact_map(
        ctx.db,
        ctx.actor,
        company,
        include_subsidiaries,
        include_influence,
        limit,
        as_of_or_today(as_of),
        with_data=with_data,
    )
    if found is None:
        raise not_found("company", company, "company")
    nodes: list[dict[str, Any]] = list(found["companies"])
    edges: list[dict[str, Any]] = list(found["edges"])
    people: dict[str, dict[str, Any]] = {}
    for row in found["people"]:
        p, w = row["person"], row["works"]
        edges.append(w)
        if p["id"] in people:  # works at two companies of the group: keep the first title
            continue
        roles = row["roles"]
        p["data"] = {**(p.get("data") or {}), "projectRoles": roles}
        if roles:
            p["role"] = roles[0]["role"]
            p["stance"] = roles[0]["stance"]
        people[p["id"]] = p
        nodes.append(p)
    # Levels follow the org chart: company 0, then down the solid reporting lines.
    parents = layout.hierarchy_parents(nodes, edges)
    levels = layout.depths(nodes, parents)
    for n in nodes:
        n["depth"] = levels[n["id"]]
    return await finish(nodes, edges, found["truncated"], mode, parents)
