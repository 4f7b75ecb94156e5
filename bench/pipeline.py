"""Funnel and forecast on generated data (issue 17): the GraphQL request against the raw
statement it runs, side by side in one run, as ratios.

`uv run --group bench python -m bench.pipeline --scale M` starts its own Neo4j, generates the
scale's data set (bench/generate.py; M has 20,000 projects), loads it, gives every project a
year of dated stage history (`FieldChange`s as the update statement writes them: one to four
stage moves, and the move to WON or LOST for the closed ones), then times, as an ADMIN (the
whole pipeline) and as a SALES rep (under the visibility predicate):
- raw: graph/pipeline.py's OPPORTUNITIES statement through the driver, rows fetched;
- GraphQL: `funnel` and `forecast` through the ASGI app (the statement, the replay in Python,
  the response), over HTTP in process.
Writes bench/results/pipeline-<scale>.json and .md.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from typing import Any

from starlette.testclient import TestClient

import migrations
from bench.generate import arguments, generate
from bench.load import load
from bench.run import machine, scratch_server, write_results
from graph import pipeline
from graph.access import Scope, acl_params
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.migrate import Runner
from graph.server import LocalNeo4j
from neo4j import GraphDatabase
from resolvers.auth import hash_key
from settings import Settings

STAGES = ("LEAD", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "CLOSED")
HISTORY = Cypher(
    "bench.pipeline.history",
    "UNWIND $rows AS row MATCH (p:Project {id: row.id}) SET p.createdAt = row.createdAt "
    "WITH p, row UNWIND row.changes AS ch "
    "CREATE (:FieldChange {id: ch.id, targetId: p.id, targetLabel: 'Project', field: ch.field, "
    "old: ch.old, new: ch.new, at: ch.at, by: 'bench'})",
)
PROJECTS = Cypher(
    "bench.pipeline.projects",
    "MATCH (p:Project) RETURN p.id AS id, p.stage AS stage, p.status AS status",
)
KEYS = Cypher(
    "bench.pipeline.keys",
    "MERGE (a:User {id: 'bench-admin'}) SET a.name = 'Bench admin', a.roles = ['ADMIN'], "
    "a.team = 'EAST', a.version = 1 "
    "MERGE (a)-[:HAS_KEY]->(:ApiKey {id: 'bench-admin-key', hash: $admin, prefix: 'bench', "
    "name: 'bench', createdAt: datetime(), createdBy: 'bench'}) "
    "WITH 1 AS one MATCH (u:User) WHERE u.id <> 'bench-admin' AND 'SALES' IN u.roles "
    "AND NOT 'MANAGER' IN u.roles WITH u ORDER BY u.id LIMIT 1 "
    "MERGE (u)-[:HAS_KEY]->(:ApiKey {id: 'bench-sales-key', hash: $sales, prefix: 'benchs', "
    "name: 'bench', createdAt: datetime(), createdBy: 'bench'}) RETURN u.id AS sales",
)
FUNNEL = '{ funnel(since: "%s") { cohort won lost steps { stage reached conversion } } }'
FORECAST = "{ forecast { total { open weighted } totalThen { weighted } } }"


def history_rows(projects: list[dict[str, Any]], seed: int, today: dt.date) -> list[dict[str, Any]]:
    r = random.Random(seed)
    now = dt.datetime(today.year, today.month, today.day, 10, tzinfo=dt.UTC)
    out = []
    for p in projects:
        top = STAGES.index(p["stage"]) if p["stage"] in STAGES else 0
        age = r.randint(30, 400)
        moments = sorted(r.sample(range(1, age), min(top, age - 1)), reverse=True)
        changes = []
        for i, ago in enumerate(moments):
            at = now - dt.timedelta(days=ago)
            changes.append(
                {"id": f"{p['id']}/s{i}", "field": "stage", "old": STAGES[i], "new": STAGES[i + 1],
                 "at": at}
            )  # fmt: skip
        if p["status"] in ("WON", "LOST"):
            ago = r.randint(0, moments[-1] - 1) if moments and moments[-1] > 1 else 0
            changes.append(
                {"id": f"{p['id']}/st", "field": "status", "old": "OPEN", "new": p["status"],
                 "at": now - dt.timedelta(days=ago)}
            )  # fmt: skip
        out.append({"id": p["id"], "createdAt": now - dt.timedelta(days=age), "changes": changes})
    return out


def timed(fn: Any, n: int) -> list[float]:
    fn()  # planned and warmed
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    return {"p50": round(statistics.median(ms), 1), "p95": round(qs[94], 1)}


async def prepare(server: LocalNeo4j, scale: str, seed: int) -> dict[str, Any]:
    db = Database(server.uri, "neo4j", server.password, transaction_timeout=600.0)
    try:
        await Runner(db, migrations.DIRECTORY).apply()
        ds = generate(scale, seed)
        started = time.perf_counter()
        await load(db, ds, writers=2)
        loaded = time.perf_counter() - started
        projects = await db.read(PROJECTS)
        rows = history_rows(projects, seed, dt.date.today())
        for i in range(0, len(rows), 2_000):
            await db.write(HISTORY, {"rows": rows[i : i + 2_000]})
        keys = await db.write(
            KEYS, {"admin": hash_key("bench-admin"), "sales": hash_key("bench-sales")}
        )
        return {
            "load_seconds": round(loaded, 1),
            "projects": len(projects),
            "changes": sum(len(r["changes"]) for r in rows),
            "sales": keys[0]["sales"],
        }
    finally:
        await db.close()


def _viewer(
    client: TestClient, driver: Any, key: str, actor: Actor, since: str, n: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    params = {
        "within": pipeline.scope_params(),
        "before": dt.datetime.now(dt.UTC),
        "fields": list(pipeline.REPLAYED),
        "cap": pipeline.MAX_OPPORTUNITIES + 1,
        "acl": acl_params(actor),
    }

    def raw() -> int:
        records, _, _ = driver.execute_query(pipeline.OPPORTUNITIES.text, params, database_="neo4j")
        return len(records)

    def gql(text: str) -> Any:
        body = client.post("/graphql", json={"query": text}, headers=headers).json()
        if body.get("errors"):
            raise Refused(body["errors"][0].get("extensions", {}).get("code", "ERROR"))
        return body["data"]

    def measured(fn: Any) -> dict[str, Any]:
        # A request the server refuses (the 15 s transaction timeout) is a result, not a crash.
        try:
            return dict(summary(timed(fn, n)))
        except Refused as exc:
            return {"refused": str(exc)}

    out: dict[str, Any] = {
        "rows": raw(),
        "raw": measured(raw),
        "funnel": measured(lambda: gql(FUNNEL % since)),
        "forecast": measured(lambda: gql(FORECAST)),
    }
    for k in ("funnel", "forecast"):
        if "p50" in out[k]:
            out[k]["ratio"] = round(out[k]["p50"] / max(out["raw"]["p50"], 0.1), 2)
    return out


class Refused(Exception):
    """The API answered with an error (its code is the message)."""


def measure(server: LocalNeo4j, prepared: dict[str, Any], n: int) -> dict[str, Any]:
    from app import create_app

    since = (dt.date.today() - dt.timedelta(days=365)).isoformat()
    settings = Settings(neo4j_uri=server.uri, neo4j_password=server.password)
    rep = prepared["sales"]
    admin = Actor("bench-admin", frozenset({"ADMIN"}), Scope.everything())
    # The rep's scope as the app resolves it for a rep alone on their team.
    sales = Actor(rep, frozenset({"SALES"}), Scope(users=(rep,), principals=(rep,)))
    driver = GraphDatabase.driver(server.uri, auth=("neo4j", server.password))
    try:
        with TestClient(create_app(settings)) as client:
            # Requests wait for the migrations check and the statement warm-up.
            deadline = time.monotonic() + 900
            while client.get("/readyz").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("the app did not get ready in 15 minutes")
                time.sleep(1)
            return {
                "ADMIN": _viewer(client, driver, "bench-admin", admin, since, n),
                "SALES": _viewer(client, driver, "bench-sales", sales, since, n),
            }
    finally:
        driver.close()


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# Funnel and forecast at {r['scale']} (seed {r['seed']})",
        "",
        f"{r['projects']} projects with {r['changes']} stage and status changes; loaded in "
        f"{r['load_seconds']} s; machine: {r['machine']['cpus']} CPUs, "
        f"{r['machine']['memory_gib']} GiB; {r['n']} requests each after one warm-up.",
        "",
        "| viewer | deals read | raw p50 ms | funnel p50 | funnel / raw | forecast p50 | "
        "forecast / raw | funnel p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for who in ("ADMIN", "SALES"):
        x = r["results"][who]

        def cell(k: str, f: str, x: dict[str, Any] = x) -> str:
            return str(x[k].get(f, x[k].get("refused", "")))

        lines.append(
            f"| {who} | {x['rows']} | {cell('raw', 'p50')} | {cell('funnel', 'p50')} | "
            f"{cell('funnel', 'ratio')} | {cell('forecast', 'p50')} | "
            f"{cell('forecast', 'ratio')} | {cell('funnel', 'p95')} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    p = arguments(__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=20, help="timed requests per measurement")
    args = p.parse_args()
    with scratch_server("crm-pipeline-", args.heap) as server:
        prepared = asyncio.run(prepare(server, args.scale, args.seed))
        results = measure(server, prepared, args.n)
    result = {
        "scale": args.scale,
        "seed": args.seed,
        "machine": machine(),
        "n": args.n,
        **{k: v for k, v in prepared.items() if k != "sales"},
        "results": results,
    }
    write_results(f"pipeline-{args.scale}", result, markdown(result))


if __name__ == "__main__":
    main()
