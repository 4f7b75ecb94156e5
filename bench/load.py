"""Load a generated data set through the project's bulk path (graph/bulk.py), with a progress bar.

Nodes first (every label), then relationships (every type), in batches of `batch` rows per
transaction, `writers` batches at a time (two use both cores of the bench machine: one batch
is encoded and sent while Neo4j writes another). Reports nodes/s and edges/s separately,
measured around the writes only (generation is not counted).

    uv run --group bench python -m bench.load --scale S --uri bolt://... --password ...
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from bench.generate import Dataset, Row, arguments, batches, generate
from graph import bulk, records
from graph.db import Database
from graph.vocab import Label, RecordKind, Rel


@dataclass
class LoadStats:
    nodes: int
    edges: int
    node_seconds: float
    edge_seconds: float
    batch: int
    writers: int = 1
    records: int = 0
    record_seconds: float = 0.0

    @property
    def nodes_per_s(self) -> float:
        return self.nodes / self.node_seconds if self.node_seconds else 0.0

    @property
    def edges_per_s(self) -> float:
        return self.edges / self.edge_seconds if self.edge_seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "nodes_per_s": round(self.nodes_per_s),
            "edges_per_s": round(self.edges_per_s),
        }


def _rel_groups(ds: Dataset) -> list[tuple[Rel, Label | None, list[Row]]]:
    groups: list[tuple[Rel, Label | None, list[Row]]] = []
    for rel, rows in ds.rels.items():
        if rows and "toLabel" in rows[0]:
            for label in (Label.COMPANY, Label.PERSON):
                part = [r for r in rows if r["toLabel"] == label.value]
                groups.append((rel, label, part))
        else:
            groups.append((rel, None, rows))
    return groups


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(ds: Dataset, progress: bool) -> Any:
    # tqdm is in the "bench" dependency group; tests load without a bar and without it.
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=ds.node_count() + ds.edge_count(),
        unit="row",
        unit_scale=True,
        desc=f"load {ds.scale.name}",
    )


Write = Callable[[], Awaitable[int]]


async def _run(writes: Iterable[tuple[str, Write]], writers: int, bar: Any) -> None:
    """Run the writes, at most `writers` at a time; the first failure cancels the rest."""
    slots = asyncio.Semaphore(writers)

    async def one(name: str, write: Write) -> None:
        async with slots:
            bar.set_postfix_str(name)
            bar.update(await write())

    try:
        async with asyncio.TaskGroup() as tg:
            for name, write in writes:
                tg.create_task(one(name, write))
    except ExceptionGroup as group:
        raise group.exceptions[0] from None


async def load(
    db: Database, ds: Dataset, batch: int = 10_000, progress: bool = True, writers: int = 1
) -> LoadStats:
    bar = _bar(ds, progress)
    try:
        started = time.perf_counter()
        await _run(
            (
                (label.value, partial(bulk.upsert_nodes, db, label, chunk))
                for label, rows in ds.nodes.items()
                for chunk in batches(rows, batch)
            ),
            writers,
            bar,
        )
        node_seconds = time.perf_counter() - started
        started = time.perf_counter()
        await _run(
            (
                (rel.value, partial(bulk.upsert_rels, db, rel, chunk, dst))
                for rel, dst, rows in _rel_groups(ds)
                for chunk in batches(rows, batch)
            ),
            writers,
            bar,
        )
        edge_seconds = time.perf_counter() - started
        started = time.perf_counter()
        await load_records(db, ds, batch)
        record_seconds = time.perf_counter() - started
    finally:
        bar.close()
    return LoadStats(
        ds.node_count(),
        ds.edge_count(),
        node_seconds,
        edge_seconds,
        batch,
        writers,
        ds.record_count(),
        record_seconds,
    )


async def load_records(db: Database, ds: Dataset, batch: int) -> None:
    """Products, then records per kind (orders before what points at them), through the
    batch write of graph/records.py."""
    await db.write(records.PRODUCT_LOAD, {"rows": ds.products})
    for kind in RecordKind:
        for chunk in batches(ds.records.get(kind, []), max(1, batch // 4)):
            await db.write(records.LOAD[kind], {"rows": chunk, "actor": "bench"})


async def _main(args: argparse.Namespace) -> None:
    import migrations
    from graph.migrate import Runner

    ds = generate(args.scale, args.seed)
    db = Database(args.uri, "neo4j", args.password)
    try:
        await Runner(db, migrations.DIRECTORY).apply()
        stats = await load(db, ds, args.batch, writers=args.writers)
    finally:
        await db.close()
    print(stats.as_dict())


def main() -> None:
    p = arguments(__doc__.splitlines()[0], heap=None)
    p.add_argument("--batch", type=int, default=10_000)
    p.add_argument("--writers", type=int, default=2, help="batches written concurrently")
    p.add_argument("--uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    p.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD"))
    asyncio.run(_main(p.parse_args()))


if __name__ == "__main__":
    main()
