"""Project decision tree (R3): the tree, influence scores and the coverage checks."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from graph import algorithms as alg
from graph import decision as repo
from graph import layout
from graph.vocab import DecisionRole, Stance
from resolvers.args import as_of_or_today, not_found
from resolvers.context import Context
from resolvers.maps import finish

MAX_PARTICIPANTS = repo.MAX_PARTICIPANTS
MAX_HIDDEN = repo.MAX_HIDDEN
MAX_STAFF_TIES = repo.MAX_STAFF_TIES
INLINE_MAX_PEOPLE = 100
# Roles a well-covered deal has somebody in (the seeds: 负责人, 技术评估, 财务审核, 使用者).
KEY_ROLES = (
    DecisionRole.DECISION_MAKER,
    DecisionRole.ECONOMIC_BUYER,
    DecisionRole.TECHNICAL_EVALUATOR,
    DecisionRole.FINANCIAL_APPROVER,
    DecisionRole.USER,
    DecisionRole.CHAMPION,
)
RISKY_INFLUENCE = 0.5  # an opponent at or above this influence score is a risk
POWER_ROLES = {DecisionRole.DECISION_MAKER.value, DecisionRole.ECONOMIC_BUYER.value}


async def decision_tree(
    ctx: Context, project: str, as_of: dt.date | None, mode: str, *, with_data: bool = True
) -> dict[str, Any]:
    found = await repo.decision_tree(
        ctx.db, ctx.actor, project, as_of_or_today(as_of), with_data=with_data
    )
    if found is None:
        raise not_found("project", project, "project")
    parts = found["parts"][:MAX_PARTICIPANTS]
    hidden = found["hidden"][:MAX_HIDDEN]
    truncated = len(found["parts"]) > MAX_PARTICIPANTS or len(found["hidden"]) > MAX_HIDDEN
    keep = {p["id"] for p in parts} | set(hidden)
    people = {p["id"]: p for p in found["people"] if p["id"] in keep}
    edges = [e for e in found["edges"] if e["source"] in keep and e["target"] in keep]
    history = found["history"]
    by_person: dict[str, list[dict[str, Any]]] = {}
    for h in history:
        # `data` is JSON: the same change, with `at` as ISO text.
        by_person.setdefault(h["personId"], []).append(
            {"from": h["from_"], "to": h["to"], "at": h["at"].isoformat(), "by": h["by"]}
        )
    for part in parts:
        p = people[part["id"]]
        p.update(role=part["role"], stance=part["stance"])
        p["data"] = {
            **(p.get("data") or {}),
            "concerns": part["concerns"],
            "stanceHistory": by_person.get(part["id"], []),
        }
    for hid in hidden:
        people[hid]["hidden"] = True
    roots = sorted(
        (p["id"] for p in parts if p["role"] == DecisionRole.DECISION_MAKER.value),
        key=lambda i: people[i]["name"],
    )
    ids = [p["id"] for p in parts] + list(hidden)

    def compute() -> tuple[list[str], dict[str, str], dict[str, int], dict[str, float], set[str]]:
        order, parent, depth = alg.decision_tree(roots, ids, edges, project)
        scores = alg.influence_scores(alg.influence_graph(ids, edges))
        known = {k["personId"] for k in found["known"]}
        reach = alg.reachable_from(known, edges, ids)
        return order, parent, depth, scores, reach

    # A worker thread keeps a big tree's PageRank off the event loop, but for the usual 5-50
    # people the hop cost more than the work (2 ms of PageRank, 5 ms through to_thread).
    if len(ids) <= INLINE_MAX_PEOPLE:
        order, parent, depth, scores, reach = compute()
    else:
        order, parent, depth, scores, reach = await asyncio.to_thread(compute)
    root_set = set(roots)  # once, not once per edge
    # Someone no decision maker's tree reaches heads a tree of its own in `order` (after the
    # roots'), but is no root: no depth, rather than levels that read as "below a root".
    top: dict[str, str] = {}
    for pid in order:  # a parent comes before its children
        top[pid] = top[parent[pid]] if pid in parent else pid
    nodes = []
    for pid in order:
        p = people[pid]
        p["depth"] = depth.get(pid) if top[pid] in root_set else None
        p["influence"] = round(scores.get(pid, 0.0), 6)
        nodes.append(p)
    filled = {p["role"] for p in parts}
    sways_dm = {e["source"] for e in edges if e["type"] == "INFLUENCES" and e["target"] in root_set}
    graph_map = await finish(nodes, edges, truncated, mode, parent)
    # The trees no decision maker reaches were laid out from the top row, beside the roots,
    # where they read as more roots (tester BC): they go in a band below the tree.
    if mode == "HIERARCHY":
        placed = [p["y"] for p in nodes if p["depth"] is not None and p.get("y") is not None]
        below = max(placed, default=-layout.LEVEL_GAP) + 2 * layout.LEVEL_GAP
        for p in nodes:
            if p["depth"] is None and p.get("y") is not None:
                p["y"] += below
    # Direct coverage: who on our staff KNOWS whom, decision makers first, strongest first.
    staff_ties: list[dict[str, Any]] = [
        {**k, "decisionMaker": k["personId"] in root_set}
        for k in found["known"]
        if k["personId"] in keep
    ]
    staff_ties.sort(
        key=lambda k: (
            not k["decisionMaker"],
            people[k["personId"]]["name"],
            -(k["strength"] if k["strength"] is not None else -1.0),
            k["userName"],
        )
    )
    known_directly = {k["personId"] for k in staff_ties}
    return {
        "map": graph_map,
        "roots": roots,
        "uncoveredRoles": [r.value for r in KEY_ROLES if r.value not in filled],
        "riskyOpponents": [
            p["id"]
            for p in nodes
            if p.get("stance") == Stance.OPPONENT.value
            and (
                p["influence"] >= RISKY_INFLUENCE
                or p.get("role") in POWER_ROLES
                or p["id"] in sways_dm
            )
        ],
        "unconnectedDecisionMakers": [r for r in roots if r not in reach],
        "decisionMakersNobodyKnows": [r for r in roots if r not in known_directly],
        "staffTies": staff_ties,
        "stanceHistory": [h for h in history if h["personId"] in keep],
    }
