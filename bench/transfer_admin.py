"""`crm-graph import`'s admin path, measured (issue 15): an initial load of a whole export file
into an empty embedded database through neo4j-admin database import.

    uv run --group bench python -m bench.transfer_admin --scale S

Generates the scale's customer network as one export file (JSONL, nodes then edges, as
bench/transfer.py builds it), and times, on a stopped scratch Neo4j in a temporary directory:
1. prepare: reading and validating every row with the API's rules, settled in memory;
2. csv: writing neo4j-admin's CSV files;
3. neo4j-admin: `database import full`, its JVM start included (the tool's own count of its
   import time is reported beside it);
4. start and migrations: the server started on the new store, the constraints and indexes
   built over the imported data, the one audit event.
And, on its own, neo4j-admin importing a single node: the tool's fixed cost.
Writes bench/results/transfer-admin-<scale>.json and .md.
"""

from __future__ import annotations

import asyncio
import gc
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import migrations
from bench.generate import arguments
from bench.run import machine, write_results
from bench.transfer import AUDIT, records
from graph import transfer_admin as graph_admin
from graph import transfer_formats as fmt
from graph.db import Database
from graph.migrate import Runner
from graph.server import LocalNeo4j, free_port
from graph.vocab import Label
from resolvers import transfer, transfer_admin, transfer_parallel
from settings import ROOT

_DONE = re.compile(r"IMPORT DONE in ((?:\d+h ?)?(?:\d+m ?)?(?:\d+s ?)?(?:\d+ms)?)")


def _tool_seconds(output: str) -> float | None:
    """neo4j-admin's own "IMPORT DONE in 1m 2s 345ms", in seconds."""
    found = _DONE.search(output)
    if not found:
        return None
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return round(
        sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|h|m|s)", found.group(1))), 3
    )


def _server(tmp: Path, heap: str) -> LocalNeo4j:
    return LocalNeo4j(ROOT / ".neo4j", tmp / "data", free_port(), heap=heap, pagecache="1g")


async def _migrate(db: Database) -> None:
    await Runner(db, migrations.DIRECTORY).apply()


def _connect(server: LocalNeo4j) -> Database:
    return Database(server.uri, "neo4j", server.password)


def fixed_cost(heap: str) -> dict[str, Any]:
    """neo4j-admin importing one node: what every admin import pays whatever its size."""
    with tempfile.TemporaryDirectory(prefix="crm-admin-fixed-") as name:
        tmp = Path(name)
        node = graph_admin.AdminNode(Label.COMPANY, False, {"id": "x", "name": "x"})
        files = graph_admin.write_files([node], [], tmp)
        seconds, output = graph_admin.run_tool(_server(tmp, heap), files, "neo4j", tmp)
    return {"seconds": round(seconds, 2), "tool_seconds": _tool_seconds(output)}


def serial_prepare(path: Path) -> float:
    """The prepare step in this process alone, its plan dropped: the side-by-side figure for
    the worker processes'."""
    with tempfile.TemporaryDirectory(prefix="crm-admin-serial-") as name:
        plan, out = transfer_admin.prepare(
            transfer.graph_rows(fmt.read_jsonl(path)), Path(name) / "rejected.csv"
        )
        del plan
        gc.collect()
    return out.seconds["prepare"]


def measure(path: Path, heap: str, workers: int) -> dict[str, Any]:
    serial = serial_prepare(path) if workers > 1 else None
    with tempfile.TemporaryDirectory(prefix="crm-admin-bench-") as name:
        tmp = Path(name)
        server = _server(tmp, heap)
        rows = transfer_parallel.checked(fmt.read_jsonl(path), transfer.graph_rows, workers)
        plan, out = transfer_admin.prepare(rows, tmp / "rejected.csv")
        began = time.perf_counter()
        asyncio.run(transfer_admin.load(plan, out, server, "neo4j", _connect, _migrate, AUDIT))
        after_prepare = time.perf_counter() - began
    total = out.seconds["prepare"] + after_prepare
    tool = out.seconds["neo4j-admin"]
    tool_own = _tool_seconds(out.tool_output)
    return {
        "workers": workers,
        "prepare_one_process": serial,
        "rows": out.rows,
        "created": out.created,
        "rejected": out.rejected,
        "nodes": out.nodes,
        "edges": out.edges,
        "seconds": out.seconds,
        "tool_seconds": tool_own,
        "total_seconds": round(total, 2),
        "edges_per_s": {
            "total": round(out.edges / total),
            "neo4j_admin": round(out.edges / tool),
            "neo4j_admin_own": round(out.edges / tool_own) if tool_own else None,
        },
    }


def markdown(scale: str, r: dict[str, Any], fixed: dict[str, Any], env: dict[str, Any]) -> str:
    s = r["seconds"]
    eps = r["edges_per_s"]
    lines = [
        f"# Import, admin path (neo4j-admin database import), scale {scale}",
        "",
        f"`python -m bench.transfer_admin --scale {scale}`: one export file (JSONL) of the "
        "scale's companies, people and the relationships between them, into an empty "
        "embedded database.",
        f"Machine: {env['cpus']} CPUs ({env['cpu']}), load average at start "
        f"{env['load_average_at_start']} (other work ran on the machine at the same time).",
        "",
        f"{r['rows']} rows: {r['nodes']} nodes and {r['edges']} relationships stored, "
        f"{r['rejected']} rows rejected.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| prepare (read; validate with the API's rules, in {r['workers']} processes; "
        f"settle in memory) | {s['prepare']} |",
        *(
            [
                f"| ... the same in this process alone, run just before (not in the total) | "
                f"{r['prepare_one_process']} |"
            ]
            if r["prepare_one_process"] is not None
            else []
        ),
        f"| csv (neo4j-admin's input files) | {s['csv']} |",
        f"| neo4j-admin database import full (JVM start included) | {s['neo4j-admin']} |",
        f"| ... of which the tool's own import time (IMPORT DONE) | {r['tool_seconds']} |",
        f"| server start on the new store | {s['start']} |",
        f"| migrations (constraints and indexes over the data), audit event | {s['migrations']} |",
        f"| **total** | **{r['total_seconds']}** |",
        "",
        f"Edges/s: **{eps['total']}** over the whole import; {eps['neo4j_admin']} over the "
        f"neo4j-admin step; {eps['neo4j_admin_own']} over the tool's own import time. "
        "Issue 15's target: 500,000 edges/s at M and L.",
        "",
        f"neo4j-admin's fixed cost (one node): {fixed['seconds']} s, of which its own import "
        f"time {fixed['tool_seconds']} s: JVM start, store creation and the import's stages "
        "run whatever the size.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = arguments(__doc__ or "", heap="1g")
    parser.add_argument(
        "--workers",
        type=int,
        default=transfer_parallel.processes(),
        help="processes that validate rows (default: one per CPU, as crm-graph import)",
    )
    args = parser.parse_args()
    env = machine()
    nodes, edges = records(args.scale, args.seed)
    with tempfile.TemporaryDirectory(prefix="crm-admin-file-") as tmp_name:
        path = Path(tmp_name) / "export.jsonl"
        fmt.write_jsonl([*nodes, *edges], path)
        del nodes, edges
        result = measure(path, args.heap, args.workers)
    fixed = fixed_cost(args.heap)
    out = {"scale": args.scale, "machine": env, "result": result, "fixed_cost": fixed}
    write_results(f"transfer-admin-{args.scale}", out, markdown(args.scale, result, fixed, env))


if __name__ == "__main__":
    main()
