"""Benchmark harness: `uv run --group bench python -m bench.run --scale S` (or `make bench`).

1. Starts its own Neo4j (LocalNeo4j) in a temporary directory, applies the migrations,
   generates the scale's data set from the seed and loads it through graph/bulk.py.
2. Starts our app under uvicorn on a free loopback port, pointed at that Neo4j, and the peer
   (bench/peer/server.js: @neo4j/graphql on Apollo Server) on another.
3. Runs every workload of bench/workloads.py in three variants on the same data and the same
   seeded request sequence: `graphql` (ours, over HTTP), `raw` (the same Cypher through the
   Python driver) and `peer`. Per variant: p50/p95/p99 with a single client, then throughput
   at each concurrency level, each phase bounded by a request count and a time budget.
4. Writes bench/results/<scale>.json, bench/results/<scale>.md and PNG plots, and stops
   everything it started.

A GraphQL workload our build does not serve yet (a validation error such as an unknown field)
is recorded as "not available in this build", never measured and never faked.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import httpx2
import psutil

from bench.generate import SCALES, arguments, generate
from bench.load import load
from bench.workloads import WORKLOADS, Centres, Step, Workload, peer_cypher
from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database, rows
from graph.server import LocalNeo4j, free_port
from neo4j import READ_ACCESS, AsyncGraphDatabase
from resolvers.auth import hash_key
from settings import ROOT, Settings

RESULTS = ROOT / "bench" / "results"
PEER_DIR = ROOT / "bench" / "peer"
# `sales` and `sales_admin`: our GraphQL as a SALES user and as the admin, on the same centres
# (the ones that SALES user may see), for the map workloads: what the visibility costs.
VARIANTS = ("graphql", "sales", "sales_admin", "raw", "peer")
SALES_VARIANTS = ("sales", "sales_admin")
SALES_WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")
NOT_AVAILABLE = "not available in this build"
BENCH_USER_ID = "00000000-0000-4000-8000-0000000be7c4"
BENCH_KEY = "bench-admin-key"
# A sales rep of team EAST: the generated data spreads its owners over four teams, so it sees
# about a quarter of the customers, plus the non-customer companies and what hangs off them.
BENCH_SALES_ID = "00000000-0000-4000-8000-0000000be7c5"
BENCH_SALES_KEY = "bench-sales-key"
BENCH_SALES_ROLES = frozenset({"SALES"})
# The raw variant runs our statements as the admin would: `$acl` reads everything.
ADMIN_ACL = access.acl_params(Actor(BENCH_USER_ID, frozenset({"ADMIN"}), access.Scope.everything()))

# Untimed, after the load: read every node and relationship with its properties once, so no
# variant pays for first touches of the store.
WARM_PAGE_CACHE = Cypher(
    "bench.warm",
    "MATCH (n) OPTIONAL MATCH (n)-[r]->() "
    "RETURN count(r) AS rels, sum(size(keys(n))) + sum(size(keys(r))) AS props",
)

# Which of the sampled centres a viewer may see (the centres of the SALES variants).
VISIBLE_IDS = Cypher(
    "bench.visible_ids",
    "UNWIND $ids AS id "
    "CALL (id) { "
    "  MATCH (n:Company {id: id}) RETURN n UNION "
    "  MATCH (n:Project {id: id}) RETURN n UNION "
    "  MATCH (n:Person {id: id}) RETURN n "
    "} "
    "WITH id, n WHERE " + access.visible("n") + " RETURN collect(DISTINCT id) AS ids",
)

# The benchmark's users, each with an API key node (migrations/V0006): the admin and the rep.
CREATE_BENCH_USER = Cypher(
    "bench.user",
    "MERGE (u:User {id: $id}) SET u.name = $name, u.roles = $roles, "
    "u.team = $team, u.version = 1, u.createdAt = datetime(), u.updatedAt = datetime() "
    "MERGE (k:ApiKey {hash: $hash}) ON CREATE SET k.id = randomUUID(), k.name = 'bench', "
    "k.createdAt = datetime(), k.createdBy = 'bench' MERGE (u)-[:HAS_KEY]->(k)",
)
BENCH_ADMIN = {
    "id": BENCH_USER_ID,
    "name": "Benchmark admin",
    "roles": ["ADMIN"],
    "team": "HQ",
    "hash": hash_key(BENCH_KEY),
}
BENCH_SALES = {
    "id": BENCH_SALES_ID,
    "name": "Benchmark sales rep",
    "roles": sorted(BENCH_SALES_ROLES),
    "team": "EAST",
    "hash": hash_key(BENCH_SALES_KEY),
}


# --- measuring --------------------------------------------------------------------------------


class RequestFailed(Exception):
    pass


class Unavailable(Exception):
    pass


Call = Callable[[Step, int], Awaitable[None]]


@dataclass
class VariantResult:
    status: str = "ok"
    detail: str = ""
    n: int = 0
    errors: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    throughput: dict[str, float] = field(default_factory=dict)  # concurrency -> requests/s

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * (len(s) - 1))))
    return s[k]


async def one(call: Call, w: Workload, i: int) -> None:
    for step in w.steps:
        await call(step, i)


async def measure(
    call: Call, w: Workload, requests: int, seconds: float, concurrency: list[int]
) -> VariantResult:
    res = VariantResult()
    # Warm-up on indices the measured phase does not use.
    for i in range(5):
        with contextlib.suppress(RequestFailed):
            await one(call, w, 900_000 + i)
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    for i in range(requests):
        t = time.perf_counter()
        try:
            await one(call, w, i)
        except RequestFailed as exc:
            res.errors += 1
            res.detail = res.detail or str(exc)[:300]
            continue
        lat.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() > deadline and len(lat) >= 20:
            break
    res.n = len(lat)
    if lat:
        res.p50_ms = round(percentile(lat, 50), 2)
        res.p95_ms = round(percentile(lat, 95), 2)
        res.p99_ms = round(percentile(lat, 99), 2)
        res.mean_ms = round(statistics.fmean(lat), 2)
    for phase, c in enumerate(concurrency):
        base = (phase + 1) * 100_000
        counter = iter(range(base, base + 99_999))
        done = 0
        stop = time.perf_counter() + seconds

        async def worker(counter: Iterator[int], stop: float) -> None:
            nonlocal done
            for i in counter:
                if time.perf_counter() > stop:
                    return
                try:
                    await one(call, w, i)
                    done += 1
                except RequestFailed as exc:
                    res.errors += 1
                    res.detail = res.detail or str(exc)[:300]

        started = time.perf_counter()
        await asyncio.gather(*(worker(counter, stop) for _ in range(c)))
        res.throughput[str(c)] = round(done / (time.perf_counter() - started), 1)
    return res


# --- variants ---------------------------------------------------------------------------------


def graphql_call(
    client: httpx2.AsyncClient,
    url: str,
    centres: Centres,
    variant: str,
    ours: bool,
    key: str = BENCH_KEY,
) -> Call:
    headers = {"Authorization": f"Bearer {key}"} if ours else {}
    # Response data of the earlier steps of request i, for steps that need server-made ids.
    earlier: dict[int, dict[str, Any]] = {}

    async def call(step: Step, i: int) -> None:
        query = step.gql if ours else step.peer
        make = step.gql_vars if ours else step.peer_vars
        variables = make(centres, i, variant)
        if ours and step.gql_chain is not None:
            try:
                variables = step.gql_chain(variables, earlier.get(i, {}))
            except (KeyError, TypeError) as exc:
                raise RequestFailed(f"no id from the previous step: {exc!r}") from exc
        try:
            r = await client.post(
                url, json={"query": query, "variables": variables}, headers=headers
            )
            body = r.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise RequestFailed(f"{type(exc).__name__}: {exc}") from exc
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            codes = {(e.get("extensions") or {}).get("code") for e in errors}
            msg = "; ".join(str(e.get("message", ""))[:200] for e in errors[:3])
            if codes & {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"} or any(
                m in msg for m in ("Cannot query field", "Unknown type", "Unknown argument")
            ):
                raise Unavailable(msg)
            raise RequestFailed(msg)
        if r.status_code != 200:
            raise RequestFailed(f"HTTP {r.status_code}")
        data = body.get("data") or {}
        # Our mutations report refusals in the payload (`errors: [UserError]`), not as
        # GraphQL errors: a refused write is a failed request.
        for payload in data.values():
            if isinstance(payload, dict) and payload.get("errors"):
                raise RequestFailed(json.dumps(payload["errors"], ensure_ascii=False)[:300])
        if ours and step.write:
            earlier[i] = {**earlier.get(i, {}), **data}

    return call


async def raw_rows(driver: Any, step: Step, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Run a step's statements in sequence, each as graph/db.py sends it (W9: one per
    DataLoader batch): a read auto-committed in a read session, a write in a managed write
    transaction. The rows of each. A step with `raw_chain` takes each statement's parameters
    from the rows before it, and skips a statement the app would not send."""
    results: list[list[dict[str, Any]]] = []
    for k, text in enumerate(step.raw):
        ps = params if step.raw_chain is None else step.raw_chain(k, params, results)
        if ps is None:
            results.append([])
            continue
        if "$acl" in text:
            ps = {**ps, "acl": ADMIN_ACL}

        # Decoded the way our Database decodes them (graph.db.rows).
        if not step.write:
            async with driver.session(database="neo4j", default_access_mode=READ_ACCESS) as s:
                results.append(await rows(await s.run(text, ps)))
            continue

        async def work(
            tx: Any, text: LiteralString = text, ps: dict[str, Any] = ps
        ) -> list[dict[str, Any]]:
            return await rows(await tx.run(text, ps))

        async with driver.session(database="neo4j") as s:
            results.append(await s.execute_write(work))
    return results


def raw_call(driver: Any, centres: Centres) -> Call:
    async def call(step: Step, i: int) -> None:
        try:
            await raw_rows(driver, step, step.raw_vars(centres, i, "raw"))
        except Exception as exc:  # a failed request is counted, not fatal
            raise RequestFailed(f"{type(exc).__name__}: {exc}") from exc

    return call


def ids_in(value: Any, out: set[str] | None = None) -> set[str]:
    """Every string under an `id` key, at any depth, outside `data` maps: the nodes,
    relationships and rows a result holds."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "id" and isinstance(v, str):
                out.add(v)
            elif k != "data":
                ids_in(v, out)
    elif isinstance(value, list):
        for v in value:
            ids_in(v, out)
    return out


async def peer_differs(
    driver: Any, client: httpx2.AsyncClient, url: str, centres: Centres, w: Workload, n: int = 3
) -> str | None:
    """None when the peer and raw return the same node and relationship ids for the first
    `n` requests of a read workload; otherwise what differs. The peer's @cypher fields must
    run our statements with our parameters, so any difference is a bench bug."""
    seen = 0
    for i in range(n):
        for step in w.steps:
            params = step.raw_vars(centres, i, "raw")
            rows = await raw_rows(driver, step, params)
            raw = ids_in(step.raw_view(params, rows) if step.raw_view else rows)
            body = (
                await client.post(
                    url, json={"query": step.peer, "variables": step.peer_vars(centres, i, "peer")}
                )
            ).json()
            if body.get("errors"):
                return f"request {i}: peer errors {body['errors']}"[:400]
            peer = ids_in(body.get("data"))
            if raw != peer:
                return (
                    f"request {i}: {len(raw)} ids raw, {len(peer)} peer; only raw: "
                    f"{sorted(raw - peer)[:3]}, only peer: {sorted(peer - raw)[:3]}"
                )
            seen += len(raw)
    return None if seen else f"no ids in {n} requests; the check would prove nothing"


async def warm_cache(call: Call, w: Workload, requests: int, seconds: float) -> None:
    """Touch the measured requests' data once, untimed, before any variant is measured.

    Without this the first variant measured pays for reading the centres' neighbourhoods into
    the page cache and every later variant gets them warm: an ordering bias.
    """
    deadline = time.perf_counter() + seconds
    for i in range(requests):
        with contextlib.suppress(RequestFailed):
            await one(call, w, i)
        if time.perf_counter() > deadline:
            break


async def probe(call: Call, w: Workload) -> str | None:
    """None if the variant answers request 0 of `w`; otherwise why not."""
    try:
        await one(call, w, 800_000)
    except Unavailable as exc:
        return f"{NOT_AVAILABLE}: {exc}"
    except RequestFailed as exc:
        return f"error: {exc}"
    return None


# --- processes --------------------------------------------------------------------------------


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up (code {proc.returncode})")
        try:
            with httpx2.Client(timeout=2.0) as c:
                r = c.get(url, headers={"apollo-require-preflight": "1"})
                if r.status_code < 500:
                    return
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f}s")


def stop_proc(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class RssSampler:
    """Peak resident set size of a process tree, sampled every 100 ms on a thread."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            self._stop.wait(0.1)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak / 2**20, 1)


@contextlib.contextmanager
def demo_neo4j(prefix: str) -> Iterator[tuple[LocalNeo4j, Path]]:
    """A fresh embedded Neo4j in a scratch folder (yielded too, for logs), stopped on the way
    out; apps started meanwhile load the demo data."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = LocalNeo4j(
            ROOT / ".neo4j", Path(tmp) / "data", free_port(), heap="768m", pagecache="256m"
        )
        server.start()
        try:
            os.environ["CRM_DEMO_DATA"] = "1"
            yield server, Path(tmp)
        finally:
            server.stop()


def production_env(server: LocalNeo4j) -> dict[str, str]:
    """The app's settings for a benchmark: production mode on `server`."""
    return {
        "NEO4J_URI": server.uri,
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": server.password,
        "CRM_DEV": "0",
        "CRM_ALLOW_ANONYMOUS": "0",  # production refuses anonymous access; we send keys
        # Production mode needs its data keys; fresh ones per run (the data holds no ID numbers).
        "CRM_DATA_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "CRM_DATA_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "CRM_PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "CRM_LOG_LEVEL": "WARNING",
        # No scoring run at start: at M it rewrites every customer for minutes, under the
        # first workloads' measurements (the peer has nothing like it).
        "CRM_SCORING_INTERVAL_HOURS": "0",
    }


@contextlib.contextmanager
def app_server(server: LocalNeo4j, log: Path, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, **production_env(server)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        # As `crm-graph serve` runs it: the client's pool (5 s) closes an idle connection first.
        "--timeout-keep-alive",
        str(round(Settings().keep_alive_seconds)),
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # A loaded 2-core machine needs more than two minutes to import and start the workers.
        wait_http(f"http://127.0.0.1:{port}/readyz", 600, proc, "the app")
        # /readyz answers 503 until migrations ran; wait for 200.
        deadline = time.monotonic() + 600
        while httpx2.get(f"http://127.0.0.1:{port}/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the app never became ready")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/graphql", proc.pid
    finally:
        stop_proc(proc)


def ensure_peer_packages() -> str | None:
    """`npm ci` when node_modules is missing or older than the lockfile; None when ready."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not installed"
    stamp = PEER_DIR / "node_modules" / ".package-lock.json"
    lock = PEER_DIR / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return "npm ci failed: " + proc.stderr[-500:]
    return None


@contextlib.contextmanager
def peer_server(server: LocalNeo4j, work: Path, log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    cypher_file = work / "peer-cypher.json"
    cypher_file.write_text(json.dumps(peer_cypher()))
    env = {
        **os.environ,
        "NEO4J_URI": server.uri,
        "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": server.password,
        "PORT": str(port),
        "PEER_CYPHER": str(cypher_file),
        "NODE_ENV": "production",
        # The library reads a Date argument in the process's zone; ours are UTC dates.
        "TZ": "UTC",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["node", "server.js"], cwd=PEER_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not _port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the peer did not start; see " + str(log))
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", proc.pid
    finally:
        stop_proc(proc)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def scratch_server(prefix: str, heap: str) -> Iterator[LocalNeo4j]:
    """A Neo4j of its own in a temporary directory, stopped and removed afterwards (the
    one-off benchmarks: bench.scoring, bench.pipeline)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        server = LocalNeo4j(
            ROOT / ".neo4j", Path(tmp) / "data", free_port(), heap=heap, pagecache="2g"
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


def write_results(name: str, result: dict[str, Any], markdown: str) -> None:
    """bench/results/<name>.json and .md, and the table on stdout."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)


def machine() -> dict[str, Any]:
    model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "node": subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if shutil.which("node")
        else None,
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- the run ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scale = SCALES[args.scale]
    work = Path(tempfile.mkdtemp(prefix=f"crm-bench-{scale.name}-"))
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "scale": scale.name,
        "seed": args.seed,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "requests": args.requests,
            "seconds_per_phase": args.seconds,
            "concurrency": args.concurrency,
            "neo4j_heap": args.heap,
            "neo4j_pagecache": args.pagecache,
            "uvicorn_workers": args.workers,
        },
    }
    server = LocalNeo4j(
        home=ROOT / ".neo4j",
        data_dir=work / "data",
        bolt_port=free_port(),
        heap=args.heap,
        pagecache=args.pagecache,
    )
    t0 = time.perf_counter()
    print(f"bench: starting Neo4j in {work}", flush=True)
    server.start()
    try:
        import migrations
        from graph.migrate import Runner

        db = Database(server.uri, "neo4j", server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            ds = generate(scale, args.seed)
            stats = await load(db, ds, args.batch, writers=args.writers)
            await db.write(CREATE_BENCH_USER, BENCH_ADMIN)
            await db.write(CREATE_BENCH_USER, BENCH_SALES)
            await db.read(WARM_PAGE_CACHE)
        finally:
            await db.close()
        result["load"] = stats.as_dict()
        result["counts"] = ds.counts()
        print(
            f"bench: loaded {stats.nodes} nodes ({stats.nodes_per_s:,.0f}/s), "
            f"{stats.edges} edges ({stats.edges_per_s:,.0f}/s)",
            flush=True,
        )
        centres = Centres.sample(ds, args.seed)
        del ds
        sales_centres = await visible_centres(server, centres)
        result["sales_viewer"] = {
            "roles": sorted(BENCH_SALES_ROLES),
            "team": "EAST",
            "centres_visible": {k: len(v) for k, v in sales_centres.lists().items()},
            "centres_sampled": {k: len(v) for k, v in centres.lists().items()},
        }
        result["workloads"] = await run_workloads(
            args, server, work, logs, centres, result, sales_centres
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return result


async def visible_centres(server: LocalNeo4j, centres: Centres) -> Centres:
    """The sampled centres the bench SALES user may see, in the same order."""
    db = Database(server.uri, "neo4j", server.password)
    try:
        scope = await access.load_scope(db, BENCH_SALES_ID, BENCH_SALES_ROLES)
        acl = access.acl_params(Actor(BENCH_SALES_ID, BENCH_SALES_ROLES, scope))
        every = sorted({x for xs in centres.lists().values() for x in xs})
        found = await db.read(VISIBLE_IDS, {"ids": every, "acl": acl})
    finally:
        await db.close()
    return centres.only(set(found[0]["ids"]) if found else set())


async def run_workloads(
    args: argparse.Namespace,
    server: LocalNeo4j,
    work: Path,
    logs: Path,
    centres: Centres,
    result: dict[str, Any],
    sales_centres: Centres | None = None,
) -> dict[str, Any]:
    selected = [w for w in WORKLOADS if w.key in args.workloads]
    out: dict[str, Any] = {
        w.key: {"title": w.title, "notes": w.notes, "variants": {}} for w in selected
    }
    variants = [v for v in VARIANTS if v in args.variants]
    peer_problem = ensure_peer_packages() if "peer" in variants else None
    with contextlib.ExitStack() as stack:
        app_url, app_pid = (
            stack.enter_context(app_server(server, logs / "app.log", args.workers))
            if "graphql" in variants
            else ("", 0)
        )
        peer_url, peer_pid = ("", 0)
        if "peer" in variants and peer_problem is None:
            peer_url, peer_pid = stack.enter_context(peer_server(server, work, logs / "peer.log"))
        app_rss = RssSampler(app_pid) if app_pid else None
        peer_rss = RssSampler(peer_pid) if peer_pid else None
        driver = AsyncGraphDatabase.driver(
            server.uri,
            auth=("neo4j", server.password),
            max_connection_pool_size=64,
            notifications_min_severity="OFF",
        )
        limits = httpx2.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx2.AsyncClient(timeout=60.0, limits=limits) as client:
            calls: dict[str, Call] = {"raw": raw_call(driver, centres)}
            if app_url:
                calls["graphql"] = graphql_call(client, app_url, centres, "graphql", ours=True)
                if sales_centres is not None:
                    calls["sales"] = graphql_call(
                        client, app_url, sales_centres, "graphql", ours=True, key=BENCH_SALES_KEY
                    )
                    calls["sales_admin"] = graphql_call(
                        client, app_url, sales_centres, "graphql", ours=True
                    )
            if peer_url:
                calls["peer"] = graphql_call(client, peer_url, centres, "peer", ours=False)
                # The peer's first request probes the server version: warm it up first.
                with contextlib.suppress(RequestFailed, Unavailable):
                    await one(calls["peer"], selected[0], 700_000)
            for w in selected:
                if not w.write:
                    await warm_cache(calls["raw"], w, args.requests, args.seconds)
                for v in variants:
                    if v in SALES_VARIANTS and w.key not in SALES_WORKLOADS:
                        continue
                    if v not in calls:
                        res = VariantResult(status="missing", detail=peer_problem or "")
                    else:
                        problem = await probe(calls[v], w)
                        if problem is None and v == "peer" and w.peer_checked:
                            diff = await peer_differs(driver, client, peer_url, centres, w)
                            problem = diff and f"error: peer results differ from raw: {diff}"
                        if problem is not None:
                            status = NOT_AVAILABLE if problem.startswith(NOT_AVAILABLE) else "error"
                            res = VariantResult(status=status, detail=problem[:400])
                        else:
                            res = await measure(
                                calls[v], w, args.requests, args.seconds, args.concurrency
                            )
                    out[w.key]["variants"][v] = res.as_dict()
                    print(f"bench: {w.key} {v:8s} {_summary(res)}", flush=True)
                out[w.key]["ratios"] = ratios(out[w.key]["variants"])
        await driver.close()
        result["rss_mb"] = {
            "app_peak": app_rss.stop() if app_rss else None,
            "peer_peak": peer_rss.stop() if peer_rss else None,
        }
    return out


def _summary(r: VariantResult) -> str:
    if r.status != "ok":
        return f"{r.status} {r.detail[:120]}"
    tp = " ".join(f"c{c}={v}/s" for c, v in r.throughput.items())
    return f"p50={r.p50_ms}ms p95={r.p95_ms}ms p99={r.p99_ms}ms n={r.n} {tp} errors={r.errors}"


def ratios(vs: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    def ok(v: str) -> dict[str, Any] | None:
        r = vs.get(v)
        return r if r and r["status"] == "ok" and r["p50_ms"] else None

    g, raw, peer = ok("graphql"), ok("raw"), ok("peer")
    sales, sales_admin = ok("sales"), ok("sales_admin")
    out: dict[str, float | None] = {
        "graphql_over_raw_p50": None,
        "graphql_over_raw_p99": None,
        "ours_over_peer_throughput": None,
        "ours_over_peer_p50": None,
        "sales_over_admin_p50": None,
        "sales_over_admin_p99": None,
        "sales_over_admin_throughput": None,
    }
    if sales and sales_admin:
        out["sales_over_admin_p50"] = round(sales["p50_ms"] / sales_admin["p50_ms"], 2)
        out["sales_over_admin_p99"] = round(sales["p99_ms"] / sales_admin["p99_ms"], 2)
        best = max(sales_admin["throughput"].values(), default=0.0)
        out["sales_over_admin_throughput"] = (
            round(max(sales["throughput"].values(), default=0.0) / best, 2) if best else None
        )
    if g and raw:
        out["graphql_over_raw_p50"] = round(g["p50_ms"] / raw["p50_ms"], 2)
        out["graphql_over_raw_p99"] = round(g["p99_ms"] / raw["p99_ms"], 2)
    if g and peer:
        best = max(g["throughput"].values(), default=0.0)
        peer_best = max(peer["throughput"].values(), default=0.0)
        out["ours_over_peer_throughput"] = round(best / peer_best, 2) if peer_best else None
        out["ours_over_peer_p50"] = round(g["p50_ms"] / peer["p50_ms"], 2)
    return out


def main() -> None:
    p = arguments("Run the benchmarks (see bench/README.md).")
    p.add_argument("--requests", type=int, default=100, help="max requests, latency phase")
    p.add_argument("--seconds", type=float, default=3.0, help="time budget per phase")
    p.add_argument(
        "--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32]
    )
    p.add_argument("--workloads", type=lambda s: s.split(","), default=[w.key for w in WORKLOADS])
    p.add_argument("--variants", type=lambda s: s.split(","), default=list(VARIANTS))
    p.add_argument("--batch", type=int, default=20_000, help="bulk-load rows per statement")
    p.add_argument("--writers", type=int, default=2, help="bulk-load batches written at once")
    p.add_argument("--pagecache", default="2g")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn workers (default: one per core, as in production)",
    )
    args = p.parse_args()
    result = asyncio.run(run(args))
    from bench.report import write_reports

    paths = write_reports(result, RESULTS)
    print("bench: wrote " + ", ".join(str(x.relative_to(ROOT)) for x in paths))


if __name__ == "__main__":
    main()
