"""Related accounts, paths and warm introductions: validation, one repository call each,
then ranking and hop-by-hop explanations (graph/algorithms.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from graph import algorithms as alg
from graph import maps as maps_repo
from graph import related as repo
from graph.vocab import DECISION_CHAIN, HIERARCHY, INDUSTRY_CHAIN, Rel
from resolvers.args import as_of_or_today, check_range, not_found
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode

# What a hop counts for when its edge has no `strength` of its own (the SDL says it: tester
# AU found the 0.7 of a dotted reporting line nowhere).
HOP_DOC = (
    "A hop without a strength of its own counts: a reporting line (solid or dotted) "
    f"{alg.DEFAULT_HOP['REPORTS_TO']:g}, RELATED_TO by kind ("
    + ", ".join(f"{k} {x:g}" for k, x in alg.TIE_STRENGTH.items())
    + f"), KNOWS {alg.DEFAULT_HOP['KNOWS']:g}, INFLUENCES {alg.DEFAULT_HOP['INFLUENCES']:g} "
    f"(a negative one {alg.NEGATIVE_FACTOR:g} of its strength); two colleagues "
    f"{alg.COLLEAGUE_HOP:g}."
)

MAX_HOPS_RELATED = repo.MAX_HOPS_RELATED
MAX_HOPS_PATH = repo.MAX_HOPS_PATH
GROUP_MAX_LEVELS = maps_repo.GROUP_MAX_LEVELS
GROUP_HOPS = 2 * GROUP_MAX_LEVELS  # up to an ultimate parent and down again
RELATED_MAX_COMPANIES = repo.RELATED_MAX_COMPANIES
INTRO_MAX_USERS = repo.INTRO_MAX_USERS
INTRO_MAX_TARGETS = repo.INTRO_MAX_TARGETS
INTRO_PATHS_PER_PAIR = repo.INTRO_PATHS_PER_PAIR
PATHS_PER_QUERY = repo.PATHS_PER_QUERY
PATH_CANDIDATES = repo.PATH_CANDIDATES
COLLEAGUE_HOP = alg.COLLEAGUE_HOP
MAX_FIRST = 100
ALL_TYPES = tuple(r.value for r in Rel)
VIA_TYPES = {
    "HIERARCHY": tuple(r.value for r in HIERARCHY),
    "INDUSTRY_CHAIN": tuple(r.value for r in INDUSTRY_CHAIN),
    "DECISION_CHAIN": tuple(r.value for r in DECISION_CHAIN),
}
VIA_OF_TYPE = {t: via for via, types in VIA_TYPES.items() for t in types}
ALL_VIAS = (*VIA_TYPES, "SHARED_PEOPLE", "FORMER_EMPLOYEES", "SHARED_PROJECTS")
# Score weights: the shortest chain path adds its strongest kind's weight / hops; people
# links add per link, at most 3 each.
WEIGHTS = {
    "HIERARCHY": 1.0,
    "DECISION_CHAIN": 0.9,
    "INDUSTRY_CHAIN": 0.8,
    "SHARED_PEOPLE": 0.6,
    "SHARED_PROJECTS": 0.5,
    "FORMER_EMPLOYEES": 0.4,
}
LINKS_COUNTED = 3
PATHS_SHOWN = 3


async def related_accounts(
    ctx: Context,
    company: str,
    via: Sequence[str] | None,
    max_hops: int,
    first: int,
    as_of: dt.date | None,
    *,
    whole_group: bool = True,
    with_data: bool = True,
) -> list[dict[str, Any]]:
    check_range(max_hops, 1, MAX_HOPS_RELATED, "maxHops")
    check_range(first, 1, MAX_FIRST, "first")
    vias = set(ALL_VIAS if via is None else via)
    if not vias:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`via` must not be empty.", "via")
    types = [t for v in VIA_TYPES if v in vias for t in VIA_TYPES[v]]
    found = await repo.related_accounts(
        ctx.db,
        ctx.actor,
        company,
        max_hops,
        types,
        "SHARED_PEOPLE" in vias,
        "FORMER_EMPLOYEES" in vias,
        "SHARED_PROJECTS" in vias,
        as_of_or_today(as_of),
        whole_group=whole_group and "HIERARCHY" in vias,
        with_data=with_data,
    )
    if found is None:
        raise not_found("company", company, "company")
    results: dict[str, dict[str, Any]] = {}

    def entry(node: dict[str, Any]) -> dict[str, Any]:
        if node["id"] not in results:
            results[node["id"]] = {"company": node, "score": 0.0, "via": {}, "paths": []}
        return results[node["id"]]

    # Company chains: the shortest path to each company in the bounded subgraph.
    by_id = {n["id"]: n for n in found["nodes"]}
    walks = dict(alg.chain_paths(company, found["nodes"], found["edges"], max_hops))
    if whole_group and "HIERARCHY" in vias:
        # The rest of the group, past maxHops: by hierarchy edges alone, however far.
        hierarchy = [e for e in found["edges"] if e["type"] in VIA_TYPES["HIERARCHY"]]
        for target, walk in alg.chain_paths(company, found["nodes"], hierarchy, GROUP_HOPS):
            walks.setdefault(target, walk)
    for target, (seq, hops) in sorted(walks.items()):
        path_vias = {VIA_OF_TYPE.get(h["type"], "INDUSTRY_CHAIN") for h in hops}
        node = dict(by_id[target], depth=len(hops))
        item = entry(node)
        item["score"] += max(WEIGHTS[v] for v in path_vias) / len(hops)
        for v in path_vias:
            item["via"][v] = item["via"].get(v, 0) + 1
        item["paths"].append(([by_id[n] for n in seq], hops))

    centre = by_id[company]
    for link in found["people"]:
        v = "SHARED_PEOPLE" if link["shared"] else "FORMER_EMPLOYEES"
        if v not in vias:
            continue
        item = entry(link["company"])
        count = item["via"].get(v, 0)
        item["via"][v] = count + 1
        if count < LINKS_COUNTED:
            item["score"] += WEIGHTS[v]
        item["paths"].append(([centre, link["person"], link["company"]], link["edges"]))
    projects_counted: dict[str, set[str]] = {}
    for link in found["projects"]:
        item = entry(link["company"])
        item["via"]["SHARED_PROJECTS"] = 1
        # A project counts once, however many of its people link the two companies.
        counted = projects_counted.setdefault(link["company"]["id"], set())
        if link["project"]["id"] not in counted and len(counted) < LINKS_COUNTED:
            counted.add(link["project"]["id"])
            item["score"] += WEIGHTS["SHARED_PROJECTS"]
        first_edge = link["edges"][0]
        if first_edge["type"] == "FOR":  # centre <- project <- person -> other
            chain = [centre, link["project"], link["person"], link["company"]]
        else:  # centre <- person -> project -> other
            chain = [centre, link["person"], link["project"], link["company"]]
        item["paths"].append((chain, link["edges"]))

    ranked = sorted(results.values(), key=lambda i: (-i["score"], i["company"]["name"]))
    out = []
    for item in ranked[:first]:
        item["score"] = round(item["score"], 6)
        item["via"] = [v for v in ALL_VIAS if v in item["via"]]
        # Described only for the companies returned: most candidates are ranked out.
        described = [
            alg.describe_path(nodes, edges, as_of_or_today(as_of)) for nodes, edges in item["paths"]
        ]
        item["paths"] = alg.rank_paths(described, PATHS_SHOWN)
        out.append(item)
    return out


def _types(edge_kinds: Sequence[str] | None) -> list[str]:
    if edge_kinds is None:
        return list(ALL_TYPES)
    if not edge_kinds:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`edgeKinds` must not be empty.", "edgeKinds")
    return list(dict.fromkeys(edge_kinds))


async def path(
    ctx: Context,
    source: str,
    target: str,
    max_hops: int,
    edge_kinds: Sequence[str] | None,
    as_of: dt.date | None,
    *,
    with_data: bool = True,
) -> list[dict[str, Any]]:
    check_range(max_hops, 1, MAX_HOPS_PATH, "maxHops")
    types = _types(edge_kinds)
    found = await repo.paths(
        ctx.db,
        ctx.actor,
        source,
        target,
        max_hops,
        types,
        as_of_or_today(as_of),
        with_data=with_data,
    )
    if not found["fromFound"]:
        raise not_found("node", source, "from")
    if not found["toFound"]:
        raise not_found("node", target, "to")
    day = as_of_or_today(as_of)
    described = [alg.describe_path(p["nodes"], p["edges"], day) for p in found["paths"]]
    return alg.rank_paths(described, PATHS_PER_QUERY)


async def warm_intro_paths(
    ctx: Context,
    target: str,
    users: Sequence[str] | None,
    max_hops: int,
    first: int,
    as_of: dt.date | None,
    *,
    with_data: bool = True,
) -> list[dict[str, Any]]:
    check_range(max_hops, 1, MAX_HOPS_PATH, "maxHops")
    check_range(first, 1, MAX_FIRST, "first")
    if users is not None and not users:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`from` must not be empty.", "from")
    wanted = None if users is None else list(dict.fromkeys(users))
    found = await repo.warm_intro_paths(
        ctx.db, ctx.actor, target, wanted, max_hops, as_of_or_today(as_of), with_data=with_data
    )
    if not found["targetFound"]:
        raise not_found("person or project", target, "target")
    if wanted is not None:
        missing = sorted(set(wanted) - set(found["users"]))
        if missing:
            raise not_found("staff member", missing[0], "from")
    return alg.best_intros(found["paths"], first)
