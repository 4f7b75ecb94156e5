"""Soak: mixed reads and writes against a served app for a long while (`make soak`).

`uv run --group bench python -m bench.soak --minutes 10 --concurrency 32` starts its own Neo4j
with the demo data and the app under uvicorn (as bench/run.py does), then keeps
`--concurrency` clients busy for `--minutes` with a seeded mix:

- reads (55%): accountMap, contactMap, relatedAccounts and search around the demo group, and
  `node` of a company this run created;
- creates (25%): `createCompany`; every id the API acknowledges is remembered;
- updates (20%): `updateCompany` of a created company with the version last acknowledged
  for it; a CONFLICT (another client got there first) is an expected answer.

At the end it reads every created company straight from Neo4j: an acknowledged create that is
missing, or a company whose stored version is below the last version the API acknowledged,
is a lost acknowledged write; there must be none. Reports requests, errors by code (HTTP
status or `extensions.code`; payload codes such as CONFLICT separately), p50/p99 per kind,
and writes bench/results/soak.json and soak.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from bench.run import RESULTS, RssSampler, app_server, demo_neo4j, machine, percentile
from graph.db import Cypher, Database
from graph.server import LocalNeo4j

GROUP = "6f88f0cf-4ed5-5ef6-ac86-889cfd5ff937"  # 华星集团 (README, demo data)
FACTORY = "97fc5d8a-f078-5bb9-8222-0549470b78e2"  # 华星智能制造
HEADERS = {"Authorization": "Bearer demo-admin-key"}
READS = {
    "accountMap": (
        "query($c: ID!) { accountMap(center: $c, depth: 2) "
        "{ nodes { id name } edges { source target type } truncated } }"
    ),
    "contactMap": (
        "query($c: ID!) { contactMap(company: $c) "
        "{ nodes { id name } edges { source target type } truncated } }"
    ),
    "relatedAccounts": (
        "query($c: ID!) { relatedAccounts(company: $c) { company { id name } score } }"
    ),
    "search": '{ search(text: "华星") { id kind name } }',
}
NODE = "query($id: ID!) { node(id: $id) { id ... on Company { name version } } }"
CREATE = (
    'mutation($name: String!) { createCompany(input: {name: $name, industry: "制造业"}) '
    "{ company { id version } errors { code message } } }"
)
UPDATE = (
    "mutation($id: ID!, $v: Int!, $n: Int!) { updateCompany(input: "
    "{id: $id, expectedVersion: $v, employeeCount: $n}) "
    "{ company { id version } errors { code } } }"
)
STORED = Cypher(
    "soak.stored",
    "UNWIND $ids AS id OPTIONAL MATCH (c:Company {id: id}) RETURN id, c.version AS version",
)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    payload_codes: Counter[str] = field(default_factory=Counter)
    versions: dict[str, int] = field(default_factory=dict)  # id -> last acknowledged
    requests: int = 0


async def call(
    client: httpx2.AsyncClient, tally: Tally, kind: str, query: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        r = await client.post("/graphql", json={"query": query, "variables": variables})
    except httpx2.HTTPError as exc:
        tally.requests += 1
        tally.errors[f"transport:{type(exc).__name__}"] += 1
        return None
    tally.requests += 1
    tally.latencies.setdefault(kind, []).append(time.perf_counter() - started)
    try:
        body = r.json()
    except ValueError:
        tally.errors[f"HTTP {r.status_code} (not JSON)"] += 1
        return None
    if body.get("errors"):
        for e in body["errors"]:
            tally.errors[f"HTTP {r.status_code} {e.get('extensions', {}).get('code')}"] += 1
        return None
    data: dict[str, Any] = body["data"]
    return data


async def client_loop(url: str, tally: Tally, seed: int, until: float, created: list[str]) -> None:
    rng = random.Random(seed)
    async with httpx2.AsyncClient(base_url=url, headers=HEADERS, timeout=60) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            roll = rng.random()
            if roll < 0.55:
                if created and rng.random() < 0.2:
                    await call(client, tally, "node", NODE, {"id": rng.choice(created)})
                else:
                    kind = rng.choice(list(READS))
                    centre = FACTORY if kind != "accountMap" else rng.choice([GROUP, FACTORY])
                    await call(client, tally, kind, READS[kind], {"c": centre})
            elif roll < 0.80 or not created:
                data = await call(
                    client, tally, "createCompany", CREATE, {"name": f"soak-{seed}-{n}"}
                )
                payload = (data or {}).get("createCompany") or {}
                if payload.get("company"):
                    company = payload["company"]
                    tally.versions[company["id"]] = company["version"]
                    created.append(company["id"])
                for e in payload.get("errors") or []:
                    tally.payload_codes[e["code"]] += 1
            else:
                target = rng.choice(created)
                data = await call(
                    client,
                    tally,
                    "updateCompany",
                    UPDATE,
                    {"id": target, "v": tally.versions[target], "n": rng.randint(1, 10**5)},
                )
                payload = (data or {}).get("updateCompany") or {}
                if payload.get("company"):
                    version = payload["company"]["version"]
                    tally.versions[target] = max(tally.versions[target], version)
                for e in payload.get("errors") or []:
                    tally.payload_codes[e["code"]] += 1


async def soak(url: str, minutes: float, concurrency: int) -> Tally:
    tally = Tally()
    created: list[str] = []
    until = time.monotonic() + minutes * 60
    await asyncio.gather(
        *(client_loop(url, tally, seed, until, created) for seed in range(concurrency))
    )
    return tally


async def lost_writes(server: LocalNeo4j, versions: dict[str, int]) -> list[str]:
    db = Database(server.uri, "neo4j", server.password)
    try:
        stored = {
            row["id"]: row["version"] for row in await db.read(STORED, {"ids": list(versions)})
        }
    finally:
        await db.close()
    return [i for i, v in versions.items() if stored.get(i) is None or stored[i] < v]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--out", type=Path, default=RESULTS / "soak")
    args = parser.parse_args()
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with demo_neo4j("crm-soak-") as (server, tmp):
        with app_server(server, tmp / "app.log", 1) as (url, pid):
            rss = RssSampler(pid)
            began = time.perf_counter()
            tally = asyncio.run(soak(url.removesuffix("/graphql"), args.minutes, args.concurrency))
            elapsed = time.perf_counter() - began
            peak_rss = rss.stop()
        lost = asyncio.run(lost_writes(server, tally.versions))
    every = [x for xs in tally.latencies.values() for x in xs]
    result: dict[str, Any] = {
        "started_at": started_at,
        "machine": machine(),
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 1),
        "requests": tally.requests,
        "requests_per_s": round(tally.requests / elapsed, 1),
        "errors_by_code": dict(tally.errors.most_common()),
        "payload_codes": dict(tally.payload_codes.most_common()),
        "p50_ms": round(percentile(every, 50) * 1000, 1) if every else None,
        "p99_ms": round(percentile(every, 99) * 1000, 1) if every else None,
        "by_kind": {
            kind: {
                "requests": len(xs),
                "p50_ms": round(percentile(xs, 50) * 1000, 1),
                "p99_ms": round(percentile(xs, 99) * 1000, 1),
            }
            for kind, xs in sorted(tally.latencies.items())
        },
        "acknowledged_companies": len(tally.versions),
        "lost_acknowledged_writes": len(lost),
        "lost_ids": lost[:20],
        "app_peak_rss_mib": peak_rss,
    }
    args.out.with_suffix(".json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    )
    lines = [
        f"# Soak: {args.minutes:g} min, {args.concurrency} clients, mixed reads and writes",
        "",
        f"Started {started_at} on {result['machine']['cpus']} CPUs "
        f"(load at start {result['machine']['load_average_at_start']}; the machine was shared "
        "with other work, so latencies are noisy).",
        "",
        f"- requests: {result['requests']} ({result['requests_per_s']}/s)",
        f"- p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
        f"- errors by code: {result['errors_by_code'] or 'none'}",
        f"- payload codes (expected answers): {result['payload_codes'] or 'none'}",
        f"- acknowledged companies: {result['acknowledged_companies']}; "
        f"lost acknowledged writes: **{result['lost_acknowledged_writes']}**",
        f"- app peak RSS: {peak_rss} MiB",
        "",
        "| kind | requests | p50 ms | p99 ms |",
        "| --- | --- | --- | --- |",
    ]
    for kind, k in result["by_kind"].items():
        lines.append(f"| {kind} | {k['requests']} | {k['p50_ms']} | {k['p99_ms']} |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if lost:
        raise SystemExit(f"{len(lost)} acknowledged writes lost")


if __name__ == "__main__":
    main()
