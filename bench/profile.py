"""Profile our app in-process on one workload with pyinstrument (bench dependency group).

Loads the scale into its own Neo4j, builds the app with `create_app()`, and sends the
workload's GraphQL requests through an in-process ASGI transport, so the profile shows our
layer (GraphQL, resolvers, driver decoding) without uvicorn or a socket in between.

    uv run --group bench python -m bench.profile --scale XS --workload W3 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import httpx2

import migrations
from bench.generate import arguments, generate
from bench.load import load
from bench.run import BENCH_ADMIN, CREATE_BENCH_USER, RESULTS, graphql_call, production_env
from bench.workloads import BY_KEY, Centres, Workload
from graph.db import Database
from graph.migrate import Runner
from graph.server import LocalNeo4j, free_port
from settings import ROOT


async def profile(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="crm-profile-"))
    server = LocalNeo4j(home=ROOT / ".neo4j", data_dir=work / "data", bolt_port=free_port())
    server.start()
    try:
        db = Database(server.uri, "neo4j", server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            ds = generate(args.scale, args.seed)
            await load(db, ds, progress=False)
            await db.write(CREATE_BENCH_USER, BENCH_ADMIN)
        finally:
            await db.close()
        centres = Centres.sample(ds, args.seed)
        os.environ.update(production_env(server))
        from app import create_app

        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://app") as client:
                for _ in range(400):  # /readyz is 503 until the migrations ran
                    if (await client.get("/readyz")).status_code == 200:
                        break
                    await asyncio.sleep(0.3)
                for key in args.workload.split(","):
                    await _profile_one(client, BY_KEY[key], centres, args)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


async def _profile_one(
    client: httpx2.AsyncClient,
    w: Workload,
    centres: Centres,
    args: argparse.Namespace,
) -> None:
    from pyinstrument import Profiler

    # bench.run's own call: it chains W8's mutations on the ids the create returned, and
    # raises on a refused request, so the profile never times a refusal.
    call = graphql_call(client, "/graphql", centres, "p", ours=True)

    async def send(i: int) -> None:
        for step in w.steps:
            await call(step, i)

    for i in range(5):
        await send(900_000 + i)
    profiler = Profiler(async_mode="enabled")
    with profiler:
        for i in range(args.requests):
            await send(i)
    out = RESULTS / f"profile-{args.scale}-{w.key}.txt"
    out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(profiler.output_text(unicode=False, color=False))
    print("wrote", out)


def main() -> None:
    p = arguments(__doc__.splitlines()[0], scale="XS", heap=None)
    p.add_argument("--workload", default="W3", help="one or more keys, comma-separated")
    p.add_argument("--requests", type=int, default=50)
    asyncio.run(profile(p.parse_args()))


if __name__ == "__main__":
    main()
