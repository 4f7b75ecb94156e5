"""Pure algorithms: rollups, path strength, PageRank, decision-tree order."""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import numpy as np
import pytest

from graph import algorithms as alg


def e(i: str, s: str, t: str, typ: str, **kw: object) -> dict[str, object]:
    return {"id": i, "source": s, "target": t, "type": typ, **kw}


def test_rollups_count_a_joint_venture_under_both_parents() -> None:
    nodes = [
        {"id": "p1", "isCustomer": True, "openProjectAmount": 1.0},
        {"id": "p2", "isCustomer": False, "openProjectAmount": 0.0},
        {"id": "jv", "isCustomer": True, "openProjectAmount": 10.0},
    ]
    edges = [e("1", "jv", "p1", "SUBSIDIARY_OF"), e("2", "jv", "p2", "SUBSIDIARY_OF")]
    roll = {r["companyId"]: r for r in alg.subtree_rollups(nodes, edges)}
    assert roll["p1"] == {
        "companyId": "p1",
        "companies": 2,
        "customers": 2,
        "openProjectAmount": 11.0,
    }
    assert roll["p2"]["companies"] == 2
    assert roll["jv"]["companies"] == 1


@pytest.mark.parametrize("cycle", [False, True])
def test_rollups_match_a_search_per_company(cycle: bool) -> None:
    rng = random.Random(5)
    ids = [f"c{i}" for i in range(40)]
    nodes = [
        {"id": c, "isCustomer": rng.random() < 0.5, "openProjectAmount": rng.choice([0.1, 2.5, 0])}
        for c in ids
    ]
    # child -> parent, parents later in the list (a DAG), joint ventures under two parents
    edges = [
        e(f"{i}-{j}", ids[i], ids[j], "SUBSIDIARY_OF")
        for i in range(39)
        for j in rng.sample(range(i + 1, 40), min(39 - i, rng.choice([1, 1, 2])))
    ]
    if cycle:
        edges.append(e("back", ids[39], ids[0], "SUBSIDIARY_OF"))
    g = nx.DiGraph((x["source"], x["target"]) for x in edges)
    amount = {n["id"]: n["openProjectAmount"] for n in nodes}
    for r in alg.subtree_rollups(nodes, edges):
        members = nx.ancestors(g, r["companyId"]) | {r["companyId"]}
        assert r["companies"] == len(members)
        assert r["customers"] == sum(1 for n in nodes if n["id"] in members and n["isCustomer"])
        assert r["openProjectAmount"] == pytest.approx(sum(amount[m] for m in members))


def test_path_strength_and_explanation() -> None:
    nodes = [
        {"id": "u", "name": "王销售"},
        {"id": "a", "name": "张伟"},
        {"id": "b", "name": "李娜"},
    ]
    edges = [
        e("k", "u", "a", "KNOWS", strength=0.8),
        e("r", "a", "b", "RELATED_TO", kind="SPOUSE"),
    ]
    p = alg.describe_path(nodes, edges)
    assert p["strength"] == pytest.approx(0.8 * 0.9)
    assert p["explanation"] == ["王销售 knows 张伟 (0.8)", "张伟 is related to 李娜 (spouse)"]


def test_negative_influence_is_a_weak_hop() -> None:
    assert alg.hop_strength(e("i", "a", "b", "INFLUENCES", strength=1.0, polarity="NEGATIVE")) < 0.5


def test_pagerank_favours_the_influencer() -> None:
    people = [{"id": x, "name": x} for x in ("boss", "a", "b", "c")]
    edges = [e(f"i{x}", "boss", x, "INFLUENCES", strength=0.9) for x in ("a", "b", "c")]
    ranks = alg.ranking(people, edges, 10)
    assert ranks[0]["person"]["id"] == "boss"
    assert ranks[0]["score"] == 1.0
    assert ranks[0]["rank"] == 1
    assert "influences 3: a (0.9), b (0.9), c (0.9)" in ranks[0]["explanation"]
    # Tester AP: equal people had ranks 2, 3 and 4 by their ids. Ties share a rank.
    assert [r["rank"] for r in ranks] == [1, 2, 2, 2]
    assert ranks[0]["explanation"].startswith("rank 1 of 4;")
    assert all(r["explanation"].startswith("rank 2 of 4 (tied);") for r in ranks[1:])


@pytest.mark.parametrize("n", [1, 2, 7, 40, alg.DENSE_PAGERANK_MAX])
def test_dense_pagerank_is_networkx_pagerank(n: int) -> None:
    rng = random.Random(n)
    g = nx.DiGraph()
    g.add_nodes_from(f"p{i}" for i in range(n))  # some stay dangling or isolated
    for _ in range(2 * n):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            g.add_edge(f"p{a}", f"p{b}", weight=rng.choice([0.15, 0.3, rng.random()]))
    ours = alg.weighted_pagerank(g)
    theirs = nx.pagerank(g, alpha=0.85, weight="weight", max_iter=1000, tol=1.0e-9)
    assert list(ours) == list(theirs)
    assert max(abs(ours[k] - theirs[k]) for k in ours) < 1.0e-6
    assert sum(ours.values()) == pytest.approx(1.0)


def _two_rounds(g: nx.DiGraph, alpha: float = 0.85, max_iter: int = 100) -> dict[str, float]:
    """The dense PageRank as it was written first: a round to 1e-9, then one to 1e-6 (over
    the same matrix: what changed is the iteration)."""
    nodes, m, linked = alg.transition(g)
    n = len(nodes)
    dangling = ~linked
    p = np.full(n, 1.0 / n)
    for iterations, tolerance in ((max_iter, 1.0e-9), (10 * max_iter, 1.0e-6)):
        x = p
        for _ in range(iterations):
            last = x
            x = alpha * (last @ m + last[dangling].sum() * p) + (1 - alpha) * p
            if np.abs(x - last).sum() < n * tolerance:
                return {str(k): float(v) for k, v in zip(nodes, x, strict=True)}
    raise AssertionError("no convergence")


def test_dense_pagerank_is_bit_for_bit_the_two_round_iteration() -> None:
    # One pass with buffers instead of two rounds of fresh arrays: the same floats, for
    # graphs that stop in the first round and for ones that need the second (with `max_iter`
    # 20 most graphs miss 1e-9 in the first round).
    second_round = 0
    for seed in range(400):
        rng = random.Random(seed)
        n = 1 + seed % 60
        g = nx.DiGraph()
        g.add_nodes_from(f"p{i}" for i in range(n))
        for _ in range(rng.randrange(3 * n)):
            a, b = rng.randrange(n), rng.randrange(n)
            if a != b:
                g.add_edge(f"p{a}", f"p{b}", weight=rng.choice([0.15, 0.3, rng.random()]))
        full = alg.weighted_pagerank(g)
        assert list(full.items()) == list(_two_rounds(g).items())
        short = alg._dense_pagerank(g, 0.85, 20, 1.0e-9)
        assert list(short.items()) == list(_two_rounds(g, max_iter=20).items())
        second_round += short != full
    assert second_round > 100  # the second round's branch was taken


def test_ranking_explains_influence_and_reporting_apart_with_stored_strengths() -> None:
    people = [{"id": x, "name": n} for x, n in (("b", "李总"), ("w", "王芳"), ("m", "马强"))]
    people += [{"id": "z", "name": "赵敏"}, {"id": "q", "name": "钱工"}]
    edges = [
        e("i1", "b", "w", "INFLUENCES", strength=0.8, polarity="POSITIVE"),
        e("i2", "b", "m", "INFLUENCES", strength=0.9, polarity="NEGATIVE"),
        e("i3", "b", "q", "INFLUENCES"),
        e("r1", "w", "b", "REPORTS_TO", kind="SOLID"),
        e("r2", "z", "b", "REPORTS_TO", kind="DOTTED"),
    ]
    boss = next(r for r in alg.ranking(people, edges, 10) if r["person"]["id"] == "b")
    text = boss["explanation"]
    # 王芳 is both influenced (0.8) and a report; no summed weight such as 1.1 or 0.3 shows
    assert "influences 2: 王芳 (0.8), 钱工 (strength not recorded)" in text
    assert "negative influence on 1: 马强 (0.9)" in text
    assert "manages 1 directly: 王芳" in text
    assert "manages 1 on a dotted line: 赵敏" in text
    assert not any(w in text for w in ("0.3", "1.1", "0.15"))
    quiet = next(r for r in alg.ranking(people, edges, 10) if r["person"]["id"] == "q")
    assert "no recorded influence on or reports from others in scope" in quiet["explanation"]


def test_decision_tree_prefers_project_scoped_influence() -> None:
    edges = [
        e("g", "general", "dm", "INFLUENCES", strength=0.9, data={}),
        e("s", "scoped", "dm", "INFLUENCES", strength=0.2, projectId="p"),
        e("r", "sub", "dm", "REPORTS_TO", kind="SOLID"),
    ]
    order, parent, depth = alg.decision_tree(["dm"], ["dm", "general", "scoped", "sub"], edges, "p")
    assert order == ["dm", "scoped", "general", "sub"]
    assert parent == {"scoped": "dm", "general": "dm", "sub": "dm"}
    assert depth["sub"] == 1


def test_every_decision_maker_is_a_root_at_depth_zero() -> None:
    """Two decision makers who sway each other through a third: both at depth 0, and each
    other person under the nearer (tester AU found the second two levels below the first)."""
    edges = [
        e("1", "p2", "p1", "REPORTS_TO", kind="SOLID"),
        e("2", "p2", "p1", "INFLUENCES", strength=0.8),
        e("3", "p1", "p3", "INFLUENCES", strength=0.2),
        e("4", "p3", "p2", "INFLUENCES", strength=0.5),
        e("5", "p9", "p1", "INFLUENCES", strength=0.6),
        e("6", "lone", "nobody", "INFLUENCES", strength=0.6),
    ]
    people = ["p1", "p2", "p3", "p9", "lone"]
    order, parent, depth = alg.decision_tree(["p2", "p1"], people, edges, "x")
    assert depth == {"p1": 0, "p2": 0, "p3": 1, "p9": 1, "lone": 0}
    assert parent == {"p3": "p2", "p9": "p1"}
    assert order == ["p2", "p1", "p3", "p9", "lone"]


def test_chain_paths_are_shortest_and_cut_at_max_hops() -> None:
    nodes = [{"id": x} for x in ("c", "a", "b", "far")]
    edges = [
        e("2", "a", "c", "SUPPLIES"),
        e("1", "a", "c", "PARTNERS_WITH"),
        e("3", "b", "a", "SUBSIDIARY_OF"),
        e("4", "far", "b", "SUPPLIES"),
    ]
    paths = dict(alg.chain_paths("c", nodes, edges, 2))
    assert set(paths) == {"a", "b"}
    seq, walked = paths["b"]
    assert seq == ["c", "a", "b"]
    assert [x["id"] for x in walked] == ["1", "3"]  # lowest edge id between a and c


def _chain_paths_by_networkx(
    center: str, nodes: list[dict[str, object]], edges: list[dict[str, object]], hops: int
) -> list[tuple[str, tuple[list[str], list[dict[str, object]]]]]:
    """The implementation chain_paths replaced, kept as the reference."""
    g = nx.MultiGraph()
    g.add_nodes_from(str(n["id"]) for n in nodes)
    for x in edges:
        g.add_edge(str(x["source"]), str(x["target"]), key=str(x["id"]), edge=x)
    out = []
    for target, seq in sorted(nx.single_source_shortest_path(g, center, cutoff=hops).items()):
        if target == center:
            continue
        walked = []
        for a, b in itertools.pairwise(seq):
            options = sorted(g.get_edge_data(a, b).values(), key=lambda d: str(d["edge"]["id"]))
            walked.append(options[0]["edge"])
        out.append((target, (list(seq), walked)))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_chain_paths_choose_the_paths_networkx_chose(seed: int) -> None:
    # Random multigraphs: parallel edges both ways, self-loops, ends missing from `nodes`,
    # isolated nodes, and many equally short paths, so the choice among them is tested too.
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(rng.randint(2, 30))]
    nodes = [{"id": x} for x in ids if rng.random() < 0.8] + [{"id": "n0"}]
    # Edge ids are unique, as in the database; their order is random, not the list's.
    edge_ids = rng.sample(range(1000), rng.randint(0, 80))
    edges = [e(f"e{i}", rng.choice(ids), rng.choice(ids), "SUPPLIES") for i in edge_ids]
    hops = rng.randint(1, 5)
    assert alg.chain_paths("n0", nodes, edges, hops) == _chain_paths_by_networkx(
        "n0", nodes, edges, hops
    )


def test_intro_path_collapses_ties_and_ranks_colleagues_last() -> None:
    u, a, t = {"id": "u", "name": "我"}, {"id": "a", "name": "甲"}, {"id": "t", "name": "目标"}
    co = {"id": "co", "name": "公司"}
    knows = e("k", "u", "a", "KNOWS", strength=0.9)
    works = [e("w1", "a", "co", "WORKS_AT"), e("w2", "t", "co", "WORKS_AT")]
    colleague_chain = {
        "people": [u, a, t],
        "hops": [
            {"ties": [knows], "employers": []},
            {"ties": [], "employers": [{"company": co, "edges": works}]},
        ],
    }
    colleague = alg.intro_path(colleague_chain["people"], colleague_chain["hops"])
    assert colleague["colleagueHops"] == 1
    assert colleague["strength"] == pytest.approx(0.9 * alg.COLLEAGUE_HOP)
    assert [h["tie"] for h in colleague["hops"]] == ["PERSONAL", "COLLEAGUE"]
    assert [n["id"] for n in colleague["nodes"]] == ["u", "a", "t", "co"]
    weak = e("k2", "u", "t", "KNOWS", strength=0.1)
    direct_chain = {"people": [u, t], "hops": [{"ties": [weak], "employers": []}]}
    direct = alg.intro_path(direct_chain["people"], direct_chain["hops"])
    assert direct["ranking"].startswith("the one hop is a personal or reporting tie")
    # 0.1 is weaker than 0.27, yet the personal tie ranks first
    best = alg.best_intros([colleague_chain, direct_chain], 5)
    assert best == [direct, colleague]
    assert alg.best_intros([colleague_chain, direct_chain], 1) == [direct]


def test_best_intros_rank_chains_as_their_descriptions_rank() -> None:
    # The chains are ranked before they are described; the order must be the one the
    # described paths' own figures give (colleague hops, strength, length, node ids).
    rng = random.Random(7)
    kinds = ("KNOWS", "RELATED_TO", "INFLUENCES", "REPORTS_TO", "MANAGES")
    people = [{"id": f"p{i}", "name": f"人{i}"} for i in range(8)]
    co = {"id": "co", "name": "公司"}
    chains = []
    for n in range(150):
        chain = rng.sample(people, rng.randint(2, 5))
        hops = []
        for i, (a, b) in enumerate(itertools.pairwise(chain)):
            ties = [
                e(
                    f"t{n}-{i}-{j}",
                    a["id"],
                    b["id"],
                    rng.choice(kinds),
                    strength=rng.choice([None, 0.1, 0.3, 0.5, 0.9]),
                )
                for j in range(rng.choice([0, 0, 1, 2]))
            ]
            shared = [{"company": co, "edges": [e(f"w{n}-{i}", a["id"], "co", "WORKS_AT")]}]
            hops.append({"ties": ties, "employers": [] if ties and rng.random() < 0.5 else shared})
        chains.append({"people": chain, "hops": hops})
    described = [alg.intro_path(c["people"], c["hops"]) for c in chains]
    expected = sorted(
        described,
        key=lambda p: (
            p["colleagueHops"],
            -p["strength"],
            len(p["hops"]),
            [h["from_"] for h in p["hops"]] + [p["hops"][-1]["to"]],
        ),
    )
    for first in (1, 5, 20, 150):
        assert alg.best_intros(chains, first) == expected[:first]


def test_bfs_depths_match_networkx_from_the_nearest_source() -> None:
    rng = random.Random(11)
    ids = [f"n{i}" for i in range(60)]
    edges = [e(str(i), rng.choice(ids), rng.choice(ids), "SUPPLIES") for i in range(90)]
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from((x["source"], x["target"]) for x in edges)
    for sources in (["n0"], ["n0", "n7", "n33"], ["lonely"]):
        expected: dict[str, int] = {}
        for s in sources:
            g.add_node(s)
            for node, d in nx.single_source_shortest_path_length(g, s).items():
                expected[node] = min(d, expected.get(node, d))
        assert alg.bfs_depths(sources, edges) == expected


def _reachable_with_networkx(
    sources: list[str], edges: list[dict[str, object]], nodes: list[str]
) -> set[str]:
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from((str(x["source"]), str(x["target"])) for x in edges)
    seen: set[str] = set()
    for s in sources:
        if s in g and s not in seen:
            seen |= nx.node_connected_component(g, s)
    return seen


def test_reachable_from_is_networkx_connected_components() -> None:
    # Self-loops, sources outside the graph, and edge ends missing from `nodes` included.
    for seed in range(300):
        rng = random.Random(seed)
        n = 1 + seed % 40
        nodes = [f"p{i}" for i in range(n)]
        edges = [
            e(f"e{k}", f"p{rng.randrange(n + 3)}", f"p{rng.randrange(n + 3)}", "KNOWS")
            for k in range(rng.randrange(2 * n))
        ]
        sources = [f"p{rng.randrange(n + 5)}" for _ in range(rng.randrange(4))]
        got = alg.reachable_from(sources, edges, nodes)
        assert got == _reachable_with_networkx(sources, edges, nodes), seed
    assert alg.reachable_from(["a"], [e("x", "a", "b", "KNOWS")], ["c"]) == {"a", "b"}
    assert alg.reachable_from(["z"], [], ["a"]) == set()


def _rollups_with_networkx(
    nodes: list[dict[str, object]], edges: list[dict[str, object]]
) -> list[dict[str, object]]:
    """subtree_rollups as first written, over a networkx graph."""
    g = nx.DiGraph()
    by_id = {str(n["id"]): n for n in nodes}
    g.add_nodes_from(by_id)
    g.add_edges_from(
        (str(x["source"]), str(x["target"]))
        for x in edges
        if x["type"] == "SUBSIDIARY_OF" and str(x["source"]) in by_id and str(x["target"]) in by_id
    )
    subtree: dict[str, set[str]] = {}
    try:
        for cid in nx.topological_sort(g):
            subtree[cid] = {cid}.union(*(subtree[child] for child in g.predecessors(cid)))
    except nx.NetworkXUnfeasible:
        subtree = {cid: nx.ancestors(g, cid) | {cid} for cid in by_id}
    amount = {m: float(str(n.get("openProjectAmount") or 0.0)) for m, n in by_id.items()}
    return [
        {
            "companyId": cid,
            "companies": len(subtree[cid]),
            "customers": sum(1 for m in subtree[cid] if by_id[m].get("isCustomer")),
            "openProjectAmount": math.fsum(amount[m] for m in subtree[cid]),
        }
        for cid in by_id
    ]


def test_rollups_equal_the_networkx_ones_with_cycles_and_joint_ventures() -> None:
    cyclic = 0
    for seed in range(300):
        rng = random.Random(seed)
        n = 1 + seed % 50
        nodes: list[dict[str, object]] = [
            {"id": f"c{i}", "isCustomer": rng.random() < 0.5, "openProjectAmount": rng.random()}
            for i in range(n)
        ]
        edges = []
        for k in range(rng.randrange(2 * n)):
            a, b = rng.randrange(n + 2), rng.randrange(n + 2)
            if seed % 3 and a <= b:  # two seeds in three: a DAG (a child's id above its parent's)
                continue
            typ = "SUBSIDIARY_OF" if rng.random() < 0.9 else "PARTNER_OF"
            edges.append(e(f"e{k}", f"c{a}", f"c{b}", typ))
        got = alg.subtree_rollups(nodes, edges)
        assert got == _rollups_with_networkx(nodes, edges), seed
        links = nx.DiGraph([(x["source"], x["target"]) for x in edges if x["type"] != "PARTNER_OF"])
        cyclic += not nx.is_directed_acyclic_graph(links)
    assert cyclic > 50  # the one-in-three with edges any way round: cycles and self-loops


def test_a_negative_influence_hop_says_what_a_route_counts_it() -> None:
    """A path's strength multiplies a negative INFLUENCES hop by NEGATIVE_FACTOR: its
    sentence says so, or the product would not match the strengths it shows."""
    hop = {"id": "e", "type": "INFLUENCES", "source": "a", "target": "b", "strength": 0.7}
    names = {"a": "赵强", "b": "王建华"}
    assert alg.explain_hop(hop, names) == "赵强 influences 王建华 (0.7)"
    negative = {**hop, "polarity": "NEGATIVE"}
    assert alg.hop_strength(negative) == pytest.approx(0.7 * alg.NEGATIVE_FACTOR)
    assert alg.explain_hop(negative, names) == (
        "赵强 influences 王建华 (negative, 0.7, counted 0.21 on a route)"
    )
