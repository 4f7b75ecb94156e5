"""How the cross-sell statements scale (graph/crosssell.py's docstring quotes the results).

    uv run python -m tests.graph.crosssell_scale [--customers 10000] [--runs 5]

Starts its own Neo4j (as the tests do: 768 MB heap), applies the migrations (the indexes),
generates a seeded data set and times each statement: the median of `runs` after one warm-up
run (which plans it). Not a test: on the shared 2-core machine the numbers vary too much to
assert on; it prints them.

The data: `customers` companies owned by 20 SALES users in 4 teams; a fifth of them in groups
of five (a parent and four subsidiaries); one chain edge (SUPPLIES, DISTRIBUTES_FOR or
PARTNERS_WITH) per four customers; 60 products in 6 categories, their popularity Zipf-like
(the first few products are in most customers' orders, the worst case for co-purchase);
0-10 orders per customer over two years (mean 5), each of 1-3 lines, and each customer's
orders drawn from three or so favourite products, so repeat cycles exist.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, LiteralString

import migrations
from graph import access, crosssell
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.migrate import Runner
from tests.conftest import start_local_server

NOW = dt.datetime.now(dt.UTC)
TEAMS = ("EAST", "WEST", "NORTH", "SOUTH")
BATCH = 5000


def generate(n: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    users = [{"id": uid(), "team": TEAMS[i % 4]} for i in range(20)]
    companies = [
        {"id": uid(), "name": f"客户{i:05d}", "owner": users[i % 20]["id"]} for i in range(n)
    ]
    products = [
        {"id": uid(), "sku": f"P-{i:03d}", "name": f"产品{i:03d}", "category": f"品类{i % 6}"}
        for i in range(60)
    ]
    weights = [1 / (i + 1) for i in range(60)]
    groups, chain = [], []
    for start in range(0, n // 5, 5):  # a fifth of the customers: groups of five
        parent = companies[start]["id"]
        groups += [{"a": companies[start + k]["id"], "b": parent} for k in range(1, 5)]
    types = ("SUPPLIES", "DISTRIBUTES_FOR", "PARTNERS_WITH")
    for _ in range(n // 4):
        a, b = rng.sample(companies, 2)
        chain.append({"a": a["id"], "b": b["id"], "type": rng.choice(types)})
    orders = []
    for c in companies:
        favourites = rng.choices(products, weights, k=3)
        for _ in range(rng.randint(0, 10)):
            picked = {p["id"] for p in rng.sample(favourites, rng.randint(1, 3))}
            if rng.random() < 0.3:
                picked.add(rng.choices(products, weights)[0]["id"])
            at = NOW - dt.timedelta(days=rng.uniform(1, 730))
            orders.append(
                {"id": uid(), "customer": c["id"], "at": at.isoformat(),
                 "lines": [{"product": p, "quantity": float(rng.randint(1, 20))} for p in picked]}
            )  # fmt: skip
    return {
        "users": users,
        "companies": companies,
        "products": products,
        "groups": groups,
        "chain": chain,
        "orders": orders,
    }


LOAD: dict[str, LiteralString] = {
    "users": "UNWIND $rows AS r CREATE (:User {id: r.id, name: r.id, roles: ['SALES'], "
    "team: r.team, version: 1})",
    "companies": "UNWIND $rows AS r MATCH (u:User {id: r.owner}) "
    "CREATE (u)-[:OWNS]->(:Company:Customer {id: r.id, name: r.name, version: 1})",
    "products": "UNWIND $rows AS r CREATE (:Product {id: r.id, sku: r.sku, name: r.name, "
    "category: r.category, version: 1})",
    "groups": "UNWIND $rows AS r MATCH (a:Company {id: r.a}), (b:Company {id: r.b}) "
    "CREATE (a)-[:SUBSIDIARY_OF]->(b)",
    "chain": "UNWIND $rows AS r MATCH (a:Company {id: r.a}), (b:Company {id: r.b}) "
    "FOREACH (_ IN CASE WHEN r.type = 'SUPPLIES' THEN [1] ELSE [] END | "
    "  CREATE (a)-[:SUPPLIES]->(b)) "
    "FOREACH (_ IN CASE WHEN r.type = 'DISTRIBUTES_FOR' THEN [1] ELSE [] END | "
    "  CREATE (a)-[:DISTRIBUTES_FOR]->(b)) "
    "FOREACH (_ IN CASE WHEN r.type = 'PARTNERS_WITH' THEN [1] ELSE [] END | "
    "  CREATE (a)-[:PARTNERS_WITH]->(b))",
    "orders": "UNWIND $rows AS r MATCH (c:Company {id: r.customer}) "
    "CREATE (o:Record:Order {id: r.id, kind: 'Order', version: 1, currency: 'CNY', "
    "  occurredAt: datetime(r.at)})-[:ABOUT]->(c) "
    "WITH o, r UNWIND r.lines AS l MATCH (p:Product {id: l.product}) "
    "CREATE (o)-[:LINE {quantity: l.quantity, unitPriceCents: 1000, "
    "  amountCents: toInteger(l.quantity * 1000)}]->(p)",
}


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> float:
    await call()  # plans the statement
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def measure(uri: str, password: str, n: int, runs: int) -> None:
    db = Database(uri, "neo4j", password)
    try:
        await Runner(db, migrations.DIRECTORY, "neo4j").apply()
        data = generate(n)
        lines = sum(len(o["lines"]) for o in data["orders"])
        start = time.perf_counter()
        for key, text in LOAD.items():
            rows = data[key]
            for i in range(0, len(rows), BATCH):
                await db.write(Cypher(f"scale.load.{key}", text), {"rows": rows[i : i + BATCH]})
        print(
            f"loaded {n} customers, {len(data['orders'])} orders, {lines} lines, "
            f"{len(data['groups'])} group edges, {len(data['chain'])} chain edges in "
            f"{time.perf_counter() - start:.0f} s"
        )
        sales_user = data["users"][0]["id"]
        sales = Actor(
            sales_user,
            frozenset({"SALES"}),
            await access.load_scope(db, sales_user, frozenset({"SALES"})),
        )
        admin = Actor("admin", frozenset({"ADMIN"}), access.Scope.everything())
        top, mid = data["products"][0]["id"], data["products"][20]["id"]
        for label, pid in (("most bought", top), ("21st", mid)):
            found = await crosssell.related(db, admin, pid, 10)
            ms = await timed(runs, partial(crosssell.related, db, admin, pid, 10))
            buyers = found[0]["buyersOfProduct"] if found else 0
            print(f"related products, {label} product ({buyers} buyers examined): {ms:.0f} ms")
        # Pages of 20: the group parents (the largest groups) and plain customers.
        grouped = [c["id"] for c in data["companies"][0 : 20 * 5 : 5]]
        plain = [c["id"] for c in data["companies"][-20:]]
        for label, page in (("group parents", grouped), ("plain", plain)):
            ms = await timed(runs, partial(crosssell.preferences, db, sales, page))
            print(f"preferences, page of 20 {label} customers (SALES): {ms:.0f} ms")
            for who, actor in (("SALES", sales), ("ADMIN", admin)):
                ms = await timed(runs, partial(crosssell.recommendations, db, actor, page))
                print(f"recommendations, page of 20 {label} customers ({who}): {ms:.0f} ms")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_local_server(Path(tmp))
        try:
            asyncio.run(measure(server.uri, server.password, args.customers, args.runs))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
