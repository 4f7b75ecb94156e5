"""First-request latency after a start, without and with the warm-up (issue 11).

`uv run --group bench python -m bench.warmstart` starts its own Neo4j with the demo data, then
twice: clears Neo4j's query caches, starts the app under uvicorn (once with
CRM_WARM_UP_SECONDS=0, once with the default warm-up), waits for /readyz and times the first
and the second accountMap, contactMap and relatedAccounts over HTTP. Writes
bench/results/warmstart.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx2

from bench.run import RESULTS, app_server, demo_neo4j, machine
from graph.db import Cypher, Database
from graph.server import LocalNeo4j

CLEAR = Cypher("bench.clear_query_caches", "CALL db.clearQueryCaches()")
FACTORY = "97fc5d8a-f078-5bb9-8222-0549470b78e2"  # 华星智能制造有限公司 (README)
QUERIES = {
    "accountMap": (
        "query($c: ID!) { accountMap(center: $c, depth: 2) "
        "{ nodes { id name } edges { source target type } truncated } }"
    ),
    "contactMap": (
        "query($c: ID!) { contactMap(company: $c, includeSubsidiaries: true) "
        "{ nodes { id name } edges { source target type } truncated } }"
    ),
    "relatedAccounts": (
        "query($c: ID!) { relatedAccounts(company: $c) { company { id name } score via } }"
    ),
}


def timed(url: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    with httpx2.Client(timeout=120) as client:
        for name, query in QUERIES.items():
            for _ in range(2):
                started = time.perf_counter()
                r = client.post(url, json={"query": query, "variables": {"c": FACTORY}})
                elapsed = time.perf_counter() - started
                body = r.json()
                if r.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{name}: {r.status_code} {str(body)[:300]}")
                out.setdefault(name, []).append(round(elapsed * 1000, 1))
    return out


async def clear_caches(server: LocalNeo4j) -> None:
    db = Database(server.uri, "neo4j", server.password)
    try:
        await db.read(CLEAR)
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS / "warmstart")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "company": FACTORY, "runs": {}}
    with demo_neo4j("crm-warmstart-") as (server, tmp):
        for mode, seconds in (("without warm-up", "0"), ("with warm-up", "60")):
            asyncio.run(clear_caches(server))
            os.environ["CRM_WARM_UP_SECONDS"] = seconds
            started = time.perf_counter()
            with app_server(server, tmp / "app.log", 1) as (url, _pid):
                ready = round(time.perf_counter() - started, 1)
                results["runs"][mode] = {"ready_after_s": ready, "ms": timed(url)}
            print(mode, json.dumps(results["runs"][mode]))
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# First requests after a start, without and with the warm-up",
        "",
        "Each cell: first request / second request, ms over HTTP (demo data, "
        "华星智能制造). Neo4j's query caches were cleared before each start.",
        f"Machine: {results['machine']['cpus']} CPUs, load at start "
        f"{results['machine']['load_average_at_start']} (shared with other work: noisy).",
        "",
        "| start | ready after (s) | " + " | ".join(QUERIES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in QUERIES) + " |",
    ]
    for mode, run in results["runs"].items():
        cells = [f"{run['ms'][q][0]} / {run['ms'][q][1]}" for q in QUERIES]
        lines.append(f"| {mode} | {run['ready_after_s']} | " + " | ".join(cells) + " |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
