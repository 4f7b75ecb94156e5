"""How long a full customer-scoring run takes (issue 14): `crm-graph score` on generated data.

`uv run --group bench python -m bench.scoring --scale M` starts its own Neo4j, generates the
scale's data set with its records (bench/generate.py: orders of company and individual
customers over two years, payments, complaints, surveys), loads it through the bulk path,
then times scoring runs (graph/intelligence.py `run`, as the CLI and the scheduler call it;
`--runs`, default 2): the first writes every score and snapshot, a second finds most
unchanged. Writes bench/results/scoring-<scale>.json and .md with the phases (extract,
BG/NBD fit, write).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import migrations
from bench.generate import arguments, generate
from bench.load import load
from bench.run import machine, scratch_server, write_results
from graph import intelligence
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.migrate import Runner
from graph.nodes import Audit
from graph.server import LocalNeo4j

COUNTS = Cypher(
    "bench.scoring.counts",
    "MATCH (c:Customer) RETURN count(c) AS customers, "
    "count { MATCH (:Order) } AS orders, count { MATCH (:ScoreSnapshot) } AS snapshots",
)


async def measure(server: LocalNeo4j, scale: str, seed: int, count: int) -> dict[str, Any]:
    db = Database(server.uri, "neo4j", server.password, transaction_timeout=600.0)
    try:
        await Runner(db, migrations.DIRECTORY).apply()
        ds = generate(scale, seed)
        started = time.perf_counter()
        stats = await load(db, ds, writers=2)
        loaded = time.perf_counter() - started
        who = Audit(Actor("system:bench"), "scoring.run", "bench")
        runs = []
        for _ in range(count):
            out = await intelligence.run(db, who)
            assert out is not None
            runs.append(dict(out))
        counts = (await db.read(COUNTS))[0]
        return {
            "scale": scale,
            "seed": seed,
            "machine": machine(),
            "load_seconds": round(loaded, 1),
            "records": stats.records,
            "counts": dict(counts),
            "runs": runs,
        }
    finally:
        await db.close()


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# Scoring run at {r['scale']} (seed {r['seed']})",
        "",
        f"{r['counts']['customers']} customers, {r['counts']['orders']} orders, "
        f"{r['records']} records loaded in {r['load_seconds']} s; machine: "
        f"{r['machine']['cpus']} CPUs, {r['machine']['memory_gib']} GiB.",
        "",
        "| run | customers | total s | extract s | BG/NBD fit s | score+write s | moved |"
        " lifecycle moves | fitted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, run in enumerate(r["runs"], 1):
        lines.append(
            f"| {i} | {run['customers']} | {run['seconds']:.1f} | {run['extractSeconds']:.1f} | "
            f"{run['fitSeconds']:.1f} | {run['writeSeconds']:.1f} | {run['moved']} | "
            f"{run['stageChanges']} | {run['fitted'] or run['fitSkipped']} |"
        )
    lines += ["", f"Snapshots kept after the runs: {r['counts']['snapshots']}.", ""]
    return "\n".join(lines)


def main() -> None:
    p = arguments(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2, help="scoring runs one after the other")
    args = p.parse_args()
    with scratch_server("crm-scoring-", args.heap) as server:
        result = asyncio.run(measure(server, args.scale, args.seed, args.runs))
    write_results(f"scoring-{args.scale}", result, markdown(result))


if __name__ == "__main__":
    main()
