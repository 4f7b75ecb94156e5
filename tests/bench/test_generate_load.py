"""The benchmark data generator is deterministic and has the documented shapes; the bulk path
loads it into a real Neo4j exactly (two writers at once), and loading again changes nothing."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

import migrations
from bench.generate import LARGE_COMPANY, generate
from bench.load import load
from graph.db import Cypher, Database
from graph.migrate import Runner
from graph.server import LocalNeo4j
from graph.vocab import Label, Rel
from neo4j import Driver
from tests.conftest import PERSONAS

CJK = re.compile(r"[\u4e00-\u9fff]")
SNAPSHOT_NODES = Cypher(
    "test.nodes", "MATCH (n) RETURN n.id AS id, labels(n) AS l, properties(n) AS p ORDER BY id"
)
SNAPSHOT_RELS = Cypher(
    "test.rels",
    "MATCH (a)-[r]->(b) RETURN r.id AS id, type(r) AS t, a.id AS a, b.id AS b, "
    "properties(r) AS p ORDER BY id",
)


def test_same_seed_same_data() -> None:
    a, b = generate("XS", 7), generate("XS", 7)
    assert a.nodes == b.nodes
    assert a.rels == b.rels
    assert generate("XS", 8).nodes[Label.COMPANY] != a.nodes[Label.COMPANY]


def test_shapes() -> None:
    ds = generate("XS", 7)
    parents: defaultdict[str, list[str]] = defaultdict(list)
    for r in ds.rels[Rel.SUBSIDIARY_OF]:
        parents[r["src"]].append(r["dst"])
    assert any(len(p) == 2 for p in parents.values()), "some company has two parents"

    def depth(c: str) -> int:
        return 1 + max((depth(p) for p in parents[c]), default=0)

    assert max(depth(c["id"]) for c in ds.nodes[Label.COMPANY]) <= 5

    staff = Counter(r["dst"] for r in ds.rels[Rel.WORKS_AT] if "until" not in r["props"])
    assert min(staff.values()) >= 5
    assert max(staff.values()) <= 500
    assert all(LARGE_COMPANY[0] <= staff[c] <= LARGE_COMPANY[1] for c in ds.large_companies)
    assert any("until" in r["props"] for r in ds.rels[Rel.WORKS_AT]), "job changes"

    per_project = Counter(r["dst"] for r in ds.rels[Rel.PARTICIPATES_IN])
    assert set(per_project.values()) <= set(range(3, 16))
    assert all({"role", "stance"} <= r["props"].keys() for r in ds.rels[Rel.PARTICIPATES_IN])

    employer = {r["src"]: r["dst"] for r in ds.rels[Rel.WORKS_AT] if "until" not in r["props"]}
    assert any(employer.get(r["src"]) != employer.get(r["dst"]) for r in ds.rels[Rel.INFLUENCES]), (
        "influence across companies"
    )
    assert ds.rels[Rel.KNOWS]

    names = [p["props"]["name"] for p in ds.nodes[Label.PERSON]]
    assert any(CJK.search(n) for n in names)
    assert any(n.isascii() for n in names)


@pytest.mark.usefixtures("cypher")  # resets the database first
def test_bulk_load_is_exact_and_idempotent(neo4j_server: LocalNeo4j, cypher: Driver) -> None:
    ds = generate("XS", 7)

    async def snapshot(db: Database) -> tuple[list[Any], list[Any]]:
        nodes = await db.read(SNAPSHOT_NODES)
        rels = await db.read(SNAPSHOT_RELS)
        return nodes, rels

    async def run() -> None:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            await load(db, ds, batch=700, progress=False, writers=2)
            first = await snapshot(db)
            await load(db, ds, batch=700, progress=False)  # again: nothing changes
            assert await snapshot(db) == first
        finally:
            await db.close()

    asyncio.run(run())
    with cypher.session(database="neo4j") as s:
        for label, rows in ds.nodes.items():
            n = s.run(f"MATCH (n:{label.value}) WHERE n.id IS NOT NULL RETURN count(n) AS n")
            # the test personas are :User nodes too
            extra = len(PERSONAS) if label is Label.USER else 0
            assert n.single()["n"] == len(rows) + extra, label
        for rel, rows in ds.rels.items():
            n = s.run(f"MATCH ()-[r:{rel.value}]->() RETURN count(r) AS n").single()["n"]
            assert n == len(rows), rel
        customers = s.run("MATCH (c:Customer) RETURN count(c) AS n").single()["n"]
        assert customers == sum(
            1 for label in (Label.COMPANY, Label.PERSON) for r in ds.nodes[label] if r["customer"]
        )
        two_parents = s.run(
            "MATCH (c:Company)-[:SUBSIDIARY_OF]->(p:Company) WITH c, count(p) AS k "
            "WHERE k = 2 RETURN count(c) AS n"
        ).single()["n"]
        assert two_parents > 0
