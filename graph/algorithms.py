"""Pure graph algorithms over bounded subgraphs (networkx and plain Python; no numpy).

Everything here takes the flat `nodes`/`edges` dicts the map queries return and is unit-tested
alone (tests/graph/test_algorithms.py). Nothing here talks to Neo4j.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

Node = Mapping[str, Any]
Edge = Mapping[str, Any]

# Strength of one hop when the edge has no `strength` of its own (warm-intro ranking).
TIE_STRENGTH = {
    "SPOUSE": 0.9,
    "FAMILY": 0.85,
    "FRIEND": 0.75,
    "CLASSMATE": 0.6,
    "FORMER_COLLEAGUE": 0.55,
}
DEFAULT_HOP = {
    "WORKS_AT": 0.7,
    "REPORTS_TO": 0.7,
    "RELATED_TO": 0.6,
    "KNOWS": 0.5,
    "INFLUENCES": 0.5,
    "PARTICIPATES_IN": 0.5,
    "ON_TEAM": 0.6,
    "OWNS": 0.6,
    "FOR": 0.5,
}
COMPANY_HOP = 0.5
NEGATIVE_FACTOR = 0.3  # a negative influence tie is a poor route for an introduction

VERBS = {
    "SUBSIDIARY_OF": "is a subsidiary of",
    "SUPPLIES": "supplies",
    "DISTRIBUTES_FOR": "distributes for",
    "PARTNERS_WITH": "partners with",
    "INVESTS_IN": "invests in",
    "INFLUENCES_PURCHASE": "influences purchases of",
    "INCUMBENT_AT": "is the incumbent supplier at",
    "WORKS_AT": "works at",
    "REPORTS_TO": "reports to",
    "INFLUENCES": "influences",
    "RELATED_TO": "is related to",
    "PARTICIPATES_IN": "takes part in",
    "FOR": "is a project for",
    "OWNS": "owns the account",
    "ON_TEAM": "is on the team of",
    "KNOWS": "knows",
    "REFERRED": "referred",
}
# A tie that had ended by the moment asked (a former employee's old job) is told as past.
PAST_VERBS = {
    "WORKS_AT": "worked at",
    "REPORTS_TO": "reported to",
    "KNOWS": "knew",
    "INFLUENCES": "influenced",
    "PARTICIPATES_IN": "took part in",
    "ON_TEAM": "was on the team of",
}


def _strength(edge: Edge, default: float = 0.5) -> float:
    value = edge.get("strength")
    return default if value is None else float(value)


def bfs_depths(sources: Iterable[str], edges: Iterable[Edge]) -> dict[str, int]:
    """Hop distance from the nearest of `sources`, edges taken in both directions. A walk
    over an adjacency dict: building a networkx graph of a map's edges cost more than the
    rest of the map's post-processing (1.3 ms for 500 edges)."""
    adjacent: dict[str, list[str]] = {}
    for e in edges:
        a, b = str(e["source"]), str(e["target"])
        adjacent.setdefault(a, []).append(b)
        adjacent.setdefault(b, []).append(a)
    depth = dict.fromkeys(sources, 0)
    level, frontier = 0, list(depth)
    while frontier:
        level += 1
        reached = []
        for node in frontier:
            for other in adjacent.get(node, ()):
                if other not in depth:
                    depth[other] = level
                    reached.append(other)
        frontier = reached
    return depth


def chain_paths(
    center: str, nodes: Sequence[Node], edges: Sequence[Edge], max_hops: int
) -> list[tuple[str, tuple[list[str], list[Edge]]]]:
    """Per reachable node (sorted by id): one shortest path from `center`, as node ids and
    the edges walked (the lowest edge id where two nodes share several edges). Edges count
    in both directions. Among equally short paths, the first found breadth-first, each
    node's neighbours taken in the order of their first edge (networkx's choice, which this
    replaced: building its MultiGraph was most of this function's time on W5)."""
    adjacent: dict[str, dict[str, Edge]] = {str(n["id"]): {} for n in nodes}
    for e in edges:
        a, b = str(e["source"]), str(e["target"])
        for x, y in ((a, b), (b, a)):
            row = adjacent.setdefault(x, {})
            held = row.get(y)  # a later, lower id replaces it but keeps its place
            if held is None or str(e["id"]) < str(held["id"]):
                row[y] = e
    paths: dict[str, list[str]] = {center: [center]}
    frontier, level = [center], 0
    while frontier and level < max_hops:
        reached = []
        for v in frontier:
            for w in adjacent.get(v, {}):
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    reached.append(w)
        frontier, level = reached, level + 1
    return [
        (target, (seq, [adjacent[a][b] for a, b in itertools.pairwise(seq)]))
        for target, seq in sorted(paths.items())
        if target != center
    ]


def hop_strength(edge: Edge) -> float:
    t = str(edge["type"])
    s = edge.get("strength")
    if t == "RELATED_TO" and s is None:
        s = TIE_STRENGTH.get(str(edge.get("kind")), DEFAULT_HOP["RELATED_TO"])
    if s is None:
        s = DEFAULT_HOP.get(t, COMPANY_HOP)
    s = max(0.0, min(1.0, float(s)))
    if t == "INFLUENCES" and edge.get("polarity") == "NEGATIVE":
        s *= NEGATIVE_FACTOR
    return s


def explain_hop(edge: Edge, names: Mapping[str, str], as_of: dt.date | None = None) -> str:
    """One sentence for one hop; a tie that ended by `as_of` in the past tense, with its last
    day (`until` is exclusive: "until 2026-12-01" read as a last working day, tester AU)."""
    src = names.get(str(edge["source"]), str(edge["source"]))
    dst = names.get(str(edge["target"]), str(edge["target"]))
    t = str(edge["type"])
    until = edge.get("until")
    if as_of is not None and until is not None and str(until) <= as_of.isoformat():
        last = dt.date.fromisoformat(str(until)[:10]) - dt.timedelta(days=1)
        verb = PAST_VERBS.get(t, "was linked by " + t.lower() + " to")
        text = f"{src} {verb} {dst} through {last.isoformat()}"
    else:
        text = f"{src} {VERBS.get(t, t.lower())} {dst}"
    details = []
    if edge.get("title"):
        details.append(str(edge["title"]))
    if edge.get("kind"):
        details.append(str(edge["kind"]).lower())
    if edge.get("polarity") == "NEGATIVE":
        details.append("negative")
    if edge.get("strength") is not None:
        details.append(f"{float(edge['strength']):.2g}")
    if t == "INFLUENCES" and edge.get("polarity") == "NEGATIVE":
        details.append(f"counted {hop_strength(edge):.3g} on a route")
    return f"{text} ({', '.join(details)})" if details else text


def describe_path(
    node_seq: Sequence[Node], edge_seq: Sequence[Edge], as_of: dt.date | None = None
) -> dict[str, Any]:
    """A RelPath dict: nodes, edges, strength (product of hops) and one sentence per hop, as
    on `as_of`."""
    names = {str(n["id"]): str(n.get("name") or n["id"]) for n in node_seq}
    strength = 1.0
    for e in edge_seq:
        strength *= hop_strength(e)
    return {
        "nodes": list(node_seq),
        "edges": list(edge_seq),
        "strength": round(strength, 6),
        "explanation": [explain_hop(e, names, as_of) for e in edge_seq],
    }


def rank_paths(paths: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
    """Strongest first; shorter first on ties; then by node ids so the order is stable."""
    seen: set[tuple[str, ...]] = set()
    unique = []
    for p in paths:
        key = tuple(str(e["id"]) for e in p["edges"])
        if key not in seen:
            seen.add(key)
            unique.append(p)
    unique.sort(key=lambda p: (-p["strength"], len(p["edges"]), [str(n["id"]) for n in p["nodes"]]))
    return unique[:first]


# Warm introductions. A hop between two people is worth its strongest tie; sharing an
# employer is no tie at all (a big company's staff need not know each other), so it counts
# below every default of a direct tie, and paths through colleagues rank after the others.
COLLEAGUE_HOP = 0.3
PERSONAL_TIES = ("KNOWS", "RELATED_TO", "INFLUENCES")
TIE_ORDER = {"PERSONAL": 0, "REPORTING": 1, "COLLEAGUE": 2}


def _tie_kind(edge_type: str) -> str:
    return "PERSONAL" if edge_type in PERSONAL_TIES else "REPORTING"


def _tie_rank(edge: Edge) -> tuple[float, int, str]:
    """Stronger ties first; a personal one before a reporting line of the same strength."""
    return -hop_strength(edge), TIE_ORDER[_tie_kind(str(edge["type"]))], str(edge["id"])


def _hop_tie(ties: Sequence[Edge]) -> tuple[float, str]:
    """A hop's strength and tie kind: its best tie's, or a shared employer's."""
    if not ties:
        return COLLEAGUE_HOP, "COLLEAGUE"
    best = min(ties, key=_tie_rank)
    return hop_strength(best), _tie_kind(str(best["type"]))


def intro_hop(
    a: Node, b: Node, ties: Sequence[Edge], employers: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """An IntroHop dict: the strongest connection between consecutive people `a` and `b`
    decides its tie kind and strength; every tie and shared employer is explained."""
    names = {
        str(a["id"]): str(a.get("name") or a["id"]),
        str(b["id"]): str(b.get("name") or b["id"]),
    }
    options = sorted(ties, key=_tie_rank)
    sentences = [explain_hop(e, names) for e in options]
    edges = list(options)
    for x in employers:
        company = str(x["company"].get("name") or x["company"]["id"])
        sentences.append(f"{names[str(a['id'])]} and {names[str(b['id'])]} both work at {company}")
        edges += x["edges"]
    strength, tie = _hop_tie(ties)
    return {
        "from_": str(a["id"]),
        "to": str(b["id"]),
        "tie": tie,
        "types": sorted({str(e["type"]) for e in edges}),
        "strength": round(strength, 6),
        "explanation": "; ".join(sentences),
        "edgeIds": [str(e["id"]) for e in edges],
        "edges": edges,
        "companies": [x["company"] for x in employers],
    }


def intro_path(people: Sequence[Node], hops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An IntroPath dict from a chain of people and, per hop, its ties and shared employers."""
    described = [
        intro_hop(people[i], people[i + 1], h["ties"], h["employers"]) for i, h in enumerate(hops)
    ]
    strength = 1.0
    for h in described:
        strength *= h["strength"]
    nodes: dict[str, Node] = {str(p["id"]): p for p in people}
    edges: dict[str, Edge] = {}
    for h in described:
        for c in h.pop("companies"):
            nodes.setdefault(str(c["id"]), c)
        for e in h.pop("edges"):
            edges.setdefault(str(e["id"]), e)
    colleague = sum(1 for h in described if h["tie"] == "COLLEAGUE")
    factors = " x ".join(f"{h['strength']:.3g}" for h in described)
    if colleague:
        why = (
            f"{colleague} of {len(described)} hops only through a shared employer (colleagues, "
            f"counted {COLLEAGUE_HOP:.2g}): ranked after every introduction with fewer such "
            "hops, whatever its strength"
        )
    else:
        which = "the one hop is a" if len(described) == 1 else f"all {len(described)} hops are"
        why = (
            f"{which} personal or reporting tie{'' if len(described) == 1 else 's'}: ranked "
            "ahead of every introduction through colleagues"
        )
    return {
        "nodes": list(nodes.values()),
        "edges": list(edges.values()),
        "hops": described,
        "strength": round(strength, 6),
        "colleagueHops": colleague,
        "explanation": [h["explanation"] for h in described],
        "ranking": f"{why}; strength {strength:.3g} = {factors} (each hop's strongest tie)",
    }


def intro_rank(people: Sequence[Node], hops: Sequence[Mapping[str, Any]]) -> tuple[Any, ...]:
    """Where a chain of people (as `intro_path` takes it) ranks: fewer colleague-only hops
    first, then stronger, then shorter; node ids keep it stable. Cheap: the chains are ranked
    before the few kept are described."""
    strength, colleague = 1.0, 0
    for h in hops:
        s, tie = _hop_tie(h["ties"])
        strength *= round(s, 6)
        colleague += tie == "COLLEAGUE"
    return colleague, -round(strength, 6), len(hops), [str(p["id"]) for p in people] if hops else []


def best_intros(paths: Sequence[Mapping[str, Any]], first: int) -> list[dict[str, Any]]:
    """The `first` best chains (`{people, hops}`), each described as `intro_path` does."""
    ranked = sorted(paths, key=lambda p: intro_rank(p["people"], p["hops"]))
    return [intro_path(p["people"], p["hops"]) for p in ranked[:first]]


def subtree_rollups(
    nodes: Sequence[Node], edges: Sequence[Edge], wall: str | None = None
) -> list[dict[str, Any]]:
    """Per company: companies, customers and open project amount in its subtree (itself
    included). SUBSIDIARY_OF points child -> parent, so a subtree is the set of ancestors in
    that DAG; a joint venture under two parents counts once in each parent's subtree. `wall`
    (an archived centre) heads its own subtree but is in no parent's: a parent's figures are
    the same whichever of its companies the map was opened from (tester BC)."""
    by_id = {str(n["id"]): n for n in nodes}
    # Plain dicts, not a networkx graph: building one cost about as much as the rest (W2).
    children: dict[str, set[str]] = {cid: set() for cid in by_id}
    for e in edges:
        if e["type"] == "SUBSIDIARY_OF":
            s, t = str(e["source"]), str(e["target"])
            if s in children and t in children and s != t and s != wall:
                children[t].add(s)
    parents: dict[str, list[str]] = {cid: [] for cid in by_id}
    for cid, kids in children.items():
        for kid in kids:
            parents[kid].append(cid)
    # Children before parents: each subtree is its own company and its children's subtrees,
    # one pass instead of a search per company. A cycle (an import can make one) leaves
    # companies unreached; then each subtree is what reaches its company (the same sets).
    waiting = {cid: len(kids) for cid, kids in children.items()}
    ready = [cid for cid, count in waiting.items() if count == 0]
    subtree: dict[str, set[str]] = {}
    while ready:
        cid = ready.pop()
        subtree[cid] = {cid}.union(*(subtree[kid] for kid in children[cid]))
        for parent in parents[cid]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    if len(subtree) < len(by_id):
        subtree = {cid: _reaching(cid, children) for cid in by_id}
    amount = {m: float(n.get("openProjectAmount") or 0.0) for m, n in by_id.items()}
    return [
        {
            "companyId": cid,
            "companies": len(members),
            "customers": sum(1 for m in members if by_id[m].get("isCustomer")),
            "openProjectAmount": math.fsum(amount[m] for m in members),  # in any order
        }
        for cid, members in ((cid, subtree[cid]) for cid in by_id)
    ]


def _reaching(cid: str, children: dict[str, set[str]]) -> set[str]:
    """`cid` and every company below it, through any number of SUBSIDIARY_OF edges."""
    seen: set[str] = set()
    _search(children, cid, seen)
    return seen


def _search(adjacent: Mapping[str, Iterable[str]], start: str, seen: set[str]) -> None:
    """Add `start` and every node reachable from it to `seen` (a depth-first search)."""
    seen.add(start)
    stack = [start]
    while stack:
        for nxt in adjacent[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)


def influence_graph(people: Iterable[str], edges: Iterable[Edge]) -> nx.DiGraph:
    """Edge u -> v with weight w means "u lends rank to v": v influences u with strength w,
    or u reports to v (weight 0.3). Polarity is kept as an attribute (sign)."""
    g = nx.DiGraph()
    g.add_nodes_from(people)
    for e in edges:
        s, t = str(e["source"]), str(e["target"])
        if s not in g or t not in g or s == t:
            continue
        if e["type"] == "INFLUENCES":
            w = max(0.0, min(1.0, _strength(e)))
            sign = -1 if e.get("polarity") == "NEGATIVE" else 1
            prev = g.get_edge_data(t, s, {}).get("weight", 0.0)
            g.add_edge(t, s, weight=prev + w, sign=sign)
        elif e["type"] == "REPORTS_TO":
            prev = g.get_edge_data(s, t, {}).get("weight", 0.0)
            g.add_edge(s, t, weight=prev + (0.3 if e.get("kind") != "DOTTED" else 0.15), sign=1)
    return g


# Up to this many people PageRank runs on a dense matrix (2 MB at 500); above, networkx's.
DENSE_PAGERANK_MAX = 500


def weighted_pagerank(
    g: nx.DiGraph, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-9
) -> dict[str, float]:
    """networkx PageRank over `weight` (influence strength, always positive here: polarity is
    kept apart in `sign`). Dangling rank is spread uniformly.

    Seen on generated projects (the benchmark's W4): some small weighted graphs do not reach
    1e-9 in 100 iterations. A looser tolerance with more iterations always does (the error
    shrinks by `alpha` per iteration); ranking needs no more precision."""
    if g.number_of_nodes() == 0:
        return {}
    if g.number_of_nodes() <= DENSE_PAGERANK_MAX:
        return _dense_pagerank(g, alpha, max_iter, tol)
    try:
        ranks = nx.pagerank(g, alpha=alpha, weight="weight", max_iter=max_iter, tol=tol)
    except nx.PowerIterationFailedConvergence:
        ranks = nx.pagerank(g, alpha=alpha, weight="weight", max_iter=10 * max_iter, tol=1.0e-6)
    return {str(k): float(v) for k, v in ranks.items()}


def transition(g: nx.DiGraph) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The nodes of `g` in order, its dense matrix of weights with each row divided by the
    row's sum, and which rows have any out-weight (a dangling node's row stays zero)."""
    nodes = list(g)
    n = len(nodes)
    index = {k: i for i, k in enumerate(nodes)}
    m = np.zeros((n, n))
    for u, v, w in g.edges(data="weight", default=1.0):
        m[index[u], index[v]] += w
    out = m.sum(axis=1)
    linked = out != 0
    m[linked] /= out[linked][:, None]
    return nodes, m, linked


def _dense_pagerank(g: nx.DiGraph, alpha: float, max_iter: int, tol: float) -> dict[str, float]:
    """The iteration networkx runs (uniform start and teleport, the same stopping rule), on a
    dense matrix: for a decision tree's 5-100 people networkx spent about 3 ms a call building
    its sparse matrix, and this whole function takes a tenth of that (bench/README.md, W4)."""
    nodes, m, linked = transition(g)
    n = len(nodes)
    dangling = np.flatnonzero(~linked)
    p = np.full(n, 1.0 / n)
    teleport = (1 - alpha) * p
    # Two rounds, as before: up to `max_iter` steps to `tol`, else up to ten times as many to
    # 1e-6, both from the uniform start. The second round's steps are the first round's
    # again, so one pass serves both: the first step within 1e-6 is kept while the pass
    # looks for one within `tol`. And each step is
    #     x = alpha * (last @ m + last[dangling].sum() * p) + (1 - alpha) * p,
    # the same operations in the same order, into buffers: it was a dozen small numpy calls,
    # each allocating, and call overhead was most of the time for 5-100 people. The ranks
    # are bit for bit the two rounds' (tests/graph/test_algorithms.py).
    fine, coarse = n * tol, n * 1.0e-6
    x, last = p.copy(), np.empty(n)
    spread, diff = np.empty(n), np.empty(n)
    within_coarse: np.ndarray | None = None
    for step in range(1, 10 * max_iter + 1):
        x, last = last, x
        np.matmul(last, m, out=x)
        if dangling.size:
            np.multiply(last[dangling].sum(), p, out=spread)
            x += spread
        x *= alpha
        x += teleport
        np.subtract(x, last, out=diff)
        np.abs(diff, out=diff)
        error = diff.sum()
        if step <= max_iter and error < fine:
            return _ranks(nodes, x)
        if error < coarse and within_coarse is None:
            within_coarse = x.copy()
        if step >= max_iter and within_coarse is not None:
            return _ranks(nodes, within_coarse)
    raise nx.PowerIterationFailedConvergence(10 * max_iter)


def _ranks(nodes: list[Any], x: np.ndarray) -> dict[str, float]:
    return {str(k): float(v) for k, v in zip(nodes, x, strict=True)}


def betweenness(g: nx.DiGraph, sample_above: int = 300) -> dict[str, float]:
    """Brokerage on the undirected influence graph; sampled (seeded) on large scopes."""
    u = g.to_undirected(as_view=False)
    if u.number_of_nodes() > sample_above:
        return dict(nx.betweenness_centrality(u, k=sample_above, normalized=True, seed=11))
    return dict(nx.betweenness_centrality(u, normalized=True))


def influence_scores(g: nx.DiGraph) -> dict[str, float]:
    """PageRank scaled so the most influential person scores 1.0."""
    pr = weighted_pagerank(g)
    top = max(pr.values(), default=0.0)
    return {k: (v / top if top else 0.0) for k, v in pr.items()}


def ranking(people: Sequence[Node], edges: Sequence[Edge], first: int) -> list[dict[str, Any]]:
    """InfluenceRank dicts: person, score, betweenness, rank, explanation."""
    by_id = {str(p["id"]): p for p in people}
    g = influence_graph(by_id, edges)
    scores = influence_scores(g)
    brokers = betweenness(g)

    # Ties (equal as shown, to 6 places) share a rank, the next one skipping: 1, 2, 2, 4.
    def standing(k: str) -> tuple[float, float]:
        return (-round(scores.get(k, 0.0), 6), -round(brokers.get(k, 0.0), 6))

    order = sorted(by_id, key=lambda k: (*standing(k), k))
    ranks: dict[tuple[float, float], int] = {}
    shared: Counter[tuple[float, float]] = Counter()
    for i, k in enumerate(order, start=1):
        ranks.setdefault(standing(k), i)
        shared[standing(k)] += 1
    # The explanation reads the stored edges, not the PageRank graph: there, influence and
    # reporting lines are summed into one weight that was never stored.
    influences: dict[str, list[Edge]] = {}
    reports: dict[str, list[Edge]] = {}
    for e in edges:
        s, t = str(e["source"]), str(e["target"])
        if s not in by_id or t not in by_id or s == t:
            continue
        if e["type"] == "INFLUENCES":
            influences.setdefault(s, []).append(e)
        elif e["type"] == "REPORTS_TO":
            reports.setdefault(t, []).append(e)
    out = []
    for pid in order[:first]:
        i = ranks[standing(pid)]
        tied = " (tied)" if shared[standing(pid)] > 1 else ""
        parts = [f"rank {i} of {len(by_id)}{tied}"]
        parts += _explain_influence(influences.get(pid, []), by_id)
        parts += _explain_reports(reports.get(pid, []), by_id)
        if pid not in influences and pid not in reports:
            parts.append("no recorded influence on or reports from others in scope")
        b = brokers.get(pid, 0.0)
        if b > 0:
            parts.append(
                f"broker on {b:.0%} of shortest paths between others over influence and "
                "reporting ties, in either direction"
            )
        person = dict(by_id[pid])
        person["influence"] = round(scores.get(pid, 0.0), 6)
        out.append(
            {
                "person": person,
                "score": round(scores.get(pid, 0.0), 6),
                "betweenness": round(b, 6),
                "rank": i,
                "explanation": "; ".join(parts),
            }
        )
    return out


def _name(by_id: Mapping[str, Node], pid: str) -> str:
    return str(by_id[pid].get("name") or pid)


def _explain_influence(out_edges: Sequence[Edge], by_id: Mapping[str, Node]) -> list[str]:
    """ "influences 2: 王芳 (0.8), 李娜 (0.6)" and "negative influence on 1: 马强 (0.9)",
    strongest first, with each INFLUENCES edge's stored strength ("strength not recorded")."""

    def item(e: Edge) -> str:
        s = e.get("strength")
        shown = "strength not recorded" if s is None else f"{float(s):.2g}"
        return f"{_name(by_id, str(e['target']))} ({shown})"

    parts = []
    for label, negative in (("influences", False), ("negative influence on", True)):
        group = [e for e in out_edges if (e.get("polarity") == "NEGATIVE") is negative]
        if group:
            group = sorted(group, key=lambda e: (-_strength(e, -1.0), str(e["target"])))
            people = len({str(e["target"]) for e in group})
            parts.append(f"{label} {people}: " + ", ".join(item(e) for e in group[:3]))
    return parts


def _explain_reports(in_edges: Sequence[Edge], by_id: Mapping[str, Node]) -> list[str]:
    """ "manages 2 directly: 王强, 陈工" and "manages 1 on a dotted line: 赵敏" (reporting lines
    carry no stored strength, so none is shown)."""
    parts = []
    for label, dotted in (("directly", False), ("on a dotted line", True)):
        group = sorted(
            {
                _name(by_id, str(e["source"]))
                for e in in_edges
                if (e.get("kind") == "DOTTED") is dotted
            }
        )
        if group:
            parts.append(f"manages {len(group)} {label}: " + ", ".join(group[:3]))
    return parts


def reachable_from(sources: Iterable[str], edges: Iterable[Edge], nodes: Iterable[str]) -> set[str]:
    """Nodes connected (edges in both directions) to any of `sources`. A plain search over
    an adjacency dict: building a networkx graph for it cost more than the search (W4)."""
    adjacent: dict[str, list[str]] = {n: [] for n in nodes}
    for e in edges:
        s, t = str(e["source"]), str(e["target"])
        adjacent.setdefault(s, []).append(t)
        adjacent.setdefault(t, []).append(s)
    seen: set[str] = set()
    for source in sources:
        if source in adjacent and source not in seen:
            _search(adjacent, source, seen)
    return seen


def decision_tree(
    roots: Sequence[str], people: Sequence[str], edges: Sequence[Edge], project_id: str
) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """Tree order, parent and depth per person. A node's children are those who influence it
    or report to it: project-scoped influence first, then general influence, then reporting
    lines, strongest first within each group. People the roots cannot reach come last as
    roots of their own (depth None is avoided: they start a new level-0 tree)."""
    incoming: dict[str, list[tuple[int, float, str]]] = {p: [] for p in people}
    for e in edges:
        s, t = str(e["source"]), str(e["target"])
        if s not in incoming or t not in incoming or s == t:
            continue
        if e["type"] == "INFLUENCES":
            scoped = e.get("projectId") == project_id
            w = _strength(e)
            incoming[t].append((0 if scoped else 1, -w, s))
        elif e["type"] == "REPORTS_TO":
            incoming[t].append((2, 0.0 if e.get("kind") != "DOTTED" else 0.5, s))
    for lst in incoming.values():
        lst.sort()
    order: list[str] = []
    parent: dict[str, str] = {}
    depth: dict[str, int] = {}

    def walk(starts: list[str]) -> None:
        # One breadth-first walk from all `starts` at once: every root is at depth 0 and
        # each person hangs under the nearest one (walking from one root after another put
        # a second decision maker two levels below the first, tester AU).
        for start in starts:
            depth[start] = 0
        queue = deque(starts)
        while queue:
            cur = queue.popleft()
            order.append(cur)
            for _, _, child in incoming[cur]:
                if child not in depth:
                    depth[child] = depth[cur] + 1
                    parent[child] = cur
                    queue.append(child)

    walk(list(dict.fromkeys(r for r in roots if r in incoming)))
    for p in people:
        if p not in depth:
            walk([p])
    return order, parent, depth
