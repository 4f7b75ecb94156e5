"""Writes a run's results: `<scale>.json`, `<scale>.md` and PNG plots in bench/results/.

Plots: latency (p50 and p99) against scale for every scale with a results file, and
throughput against concurrency for this run's scale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SCALE_ORDER = ["XS", "S", "M", "L"]
VARIANTS = ("graphql", "sales", "sales_admin", "raw", "peer")


def _fmt(x: Any, unit: str = "") -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.1f}{unit}"
    return f"{x}{unit}"


def _r(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    load = r["load"]
    lines = [
        f"# Benchmark results, scale {r['scale']}",
        "",
        f"Run {r['started']}, seed {r['seed']}, {r['wall_seconds']} s wall. "
        f"Machine: {m['cpu']}, {m['cpus']} vCPU, {m['memory_gib']} GiB, Python {m['python']}, "
        f"Node {m['node']}. Load average at start {m['load_average_at_start']}, "
        f"at end {m.get('load_average_at_end')} (the machine is shared).",
        "",
        f"Bulk load: {load['nodes']:,} nodes at {load['nodes_per_s']:,} nodes/s, "
        f"{load['edges']:,} edges at {load['edges_per_s']:,} edges/s "
        f"(batches of {load['batch']:,} rows).",
        "",
        f"Peak RSS: app {_fmt(r['rss_mb']['app_peak'], ' MiB')}, "
        f"peer {_fmt(r['rss_mb']['peer_peak'], ' MiB')}.",
        "",
        "| workload | variant | status | p50 ms | p95 ms | p99 ms | n | "
        + " | ".join(f"req/s c={c}" for c in r["settings"]["concurrency"])
        + " | errors |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | "
        + " | ".join("---:" for _ in r["settings"]["concurrency"])
        + " | ---: |",
    ]
    for key, w in r["workloads"].items():
        for v in VARIANTS:
            x = w["variants"].get(v)
            if x is None:
                continue
            status = x["status"] if x["status"] != "ok" else "ok"
            tps = [_fmt(x["throughput"].get(str(c))) for c in r["settings"]["concurrency"]]
            lines.append(
                f"| {key} {w['title']} | {v} | {status} | {_fmt(x['p50_ms'])} | "
                f"{_fmt(x['p95_ms'])} | {_fmt(x['p99_ms'])} | {x['n']} | "
                + " | ".join(tps)
                + f" | {x['errors']} |"
            )
    lines += ["", "Ratios (– where a variant is missing):", ""]
    lines += [
        "| workload | GraphQL/raw p50 | GraphQL/raw p99 | ours/peer throughput "
        "| raw/peer throughput (headroom) | raw/peer p50 |"
    ]
    lines += ["| --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, w in r["workloads"].items():
        q = w.get("ratios", {})
        hr = _raw_vs_peer(w["variants"])
        lines.append(
            f"| {key} | {_r(q.get('graphql_over_raw_p50'))} | "
            f"{_r(q.get('graphql_over_raw_p99'))} | {_r(q.get('ours_over_peer_throughput'))} "
            f"| {_r(hr[0])} | {_r(hr[1])} |"
        )
    sales = {k: w["ratios"] for k, w in r["workloads"].items() if "sales" in w["variants"]}
    if sales:
        viewer = r.get("sales_viewer", {})
        lines += [
            "",
            "Row-level visibility: the map workloads as a SALES user (`sales`, team "
            f"{viewer.get('team', '?')}) beside the admin (`sales_admin`) on the same centres, "
            "the ones that user may see "
            f"(visible/sampled: {viewer.get('centres_visible')} / "
            f"{viewer.get('centres_sampled')}):",
            "",
            "| workload | SALES/admin p50 | SALES/admin p99 | SALES/admin throughput |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {key} | {_r(q.get('sales_over_admin_p50'))} | "
            f"{_r(q.get('sales_over_admin_p99'))} | {_r(q.get('sales_over_admin_throughput'))} |"
            for key, q in sales.items()
        ]
    details = [
        f"- {key} {v}: {x['detail']}"
        for key, w in r["workloads"].items()
        for v, x in w["variants"].items()
        if x["status"] != "ok" or x["errors"]
    ]
    if details:
        lines += ["", "Why a variant is missing or had errors:", "", *details]
    return "\n".join(lines) + "\n"


def _raw_vs_peer(vs: dict[str, Any]) -> tuple[float | None, float | None]:
    """Best throughput and p50 of raw relative to the peer: the room a thin layer has."""
    raw, peer = vs.get("raw"), vs.get("peer")
    if not (raw and peer and raw["status"] == "ok" and peer["status"] == "ok"):
        return None, None
    best_raw = max(raw["throughput"].values(), default=0.0)
    best_peer = max(peer["throughput"].values(), default=0.0)
    tp = round(best_raw / best_peer, 2) if best_peer else None
    p50 = round(raw["p50_ms"] / peer["p50_ms"], 2) if raw["p50_ms"] and peer["p50_ms"] else None
    return tp, p50


def plot_throughput(r: dict[str, Any], path: Path) -> None:
    keys = list(r["workloads"])
    cols = 4
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        w = r["workloads"][key]
        for v in VARIANTS:
            x = w["variants"].get(v)
            if x and x["status"] == "ok" and x["throughput"]:
                cs = [int(c) for c in x["throughput"]]
                ax.plot(cs, list(x["throughput"].values()), marker="o", label=v)
        ax.set_title(f"{key} {w['title']}"[:40], fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrency")
        ax.set_ylabel("requests/s")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.suptitle(f"Throughput vs concurrency, scale {r['scale']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_latency_vs_scale(results_dir: Path, path: Path) -> None:
    runs = {}
    for s in SCALE_ORDER:
        f = results_dir / f"{s}.json"
        if f.exists():
            runs[s] = json.loads(f.read_text())
    if not runs:
        return
    keys = list(next(iter(runs.values()))["workloads"])
    cols = 4
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    scales = list(runs)
    for ax, key in zip(axes.flat, keys, strict=False):
        for v in VARIANTS:
            for q, style in (("p50_ms", "-o"), ("p99_ms", "--x")):
                xs, ys = [], []
                for s in scales:
                    x = runs[s]["workloads"].get(key, {}).get("variants", {}).get(v)
                    if x and x["status"] == "ok" and x[q] is not None:
                        xs.append(s)
                        ys.append(x[q])
                if ys:
                    ax.plot(xs, ys, style, label=f"{v} {q[:3]}")
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("scale")
        ax.set_ylabel("ms")
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.suptitle("Latency vs scale (single client)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_reports(r: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    scale = r["scale"]
    j = out / f"{scale}.json"
    j.write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
    md = out / f"{scale}.md"
    md.write_text(markdown(r))
    tp = out / f"throughput-{scale}.png"
    plot_throughput(r, tp)
    lat = out / "latency-vs-scale.png"
    plot_latency_vs_scale(out, lat)
    return [j, md, tp, lat]


if __name__ == "__main__":
    import sys

    src = Path(sys.argv[1])
    print(write_reports(json.loads(src.read_text()), src.parent))
