"""The migration runner against a scratch Neo4j of its own (its bookkeeping is global)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, LiteralString

import pytest

import migrations
from graph.db import ConstraintViolation, Cypher, Database
from graph.migrate import MigrationError, Runner, load, split_statements
from graph.server import LocalNeo4j
from neo4j import GraphDatabase
from tests.conftest import start_local_server
from tests.graph.reading import run


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    server = start_local_server(tmp_path_factory.mktemp("scratch"))
    yield server
    server.stop()


def query(server: LocalNeo4j, text: str) -> list[dict[str, Any]]:
    with GraphDatabase.driver(server.uri, auth=("neo4j", server.password)) as d:
        return d.execute_query(text, database_="neo4j").records  # type: ignore[return-value]


async def wipe(db: Database) -> None:
    await db.autocommit("MATCH (n) DETACH DELETE n")


def write_files(tmp: Path, files: dict[str, str]) -> Path:
    d = tmp / "migs"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


FILES = {
    "V0001__schema.cypher": "CREATE CONSTRAINT t_id IF NOT EXISTS FOR (n:T) "
    "REQUIRE n.id IS UNIQUE;",
    "V0002__data.cypher": "// a ; in a comment\nCREATE (:T {id: 'a', s: 'x;y'});\n"
    "CREATE (:T {id: 'b'});",
}


def test_split_statements_respects_strings_and_comments() -> None:
    text = 'CREATE (:A {s: \'a;b\'}); // c;\n/* d; */ CREATE (:B {s: "e\\";f"});;'
    assert split_statements(text) == ["CREATE (:A {s: 'a;b'})", 'CREATE (:B {s: "e\\";f"})']


def test_project_migrations_load() -> None:
    loaded = load(migrations.DIRECTORY)
    assert [m.version for m in loaded][:3] == ["0001", "0002", "0003"]
    assert loaded[0].is_schema


def test_apply_is_idempotent_and_chained(scratch: LocalNeo4j, tmp_path: Path) -> None:
    d = write_files(tmp_path, FILES)

    async def go(db: Database):  # type: ignore[no-untyped-def]
        await wipe(db)
        first = await Runner(db, d).apply()
        second = await Runner(db, d).apply()
        return first, second

    first, second = run(scratch, go)
    chain = query(
        scratch,
        "MATCH p=(:__Neo4jMigration {version:'BASELINE'})"
        "-[:MIGRATED_TO*1..10]->(m) RETURN m.version AS v, m.checksum AS c "
        "ORDER BY length(p)",
    )
    n = query(scratch, "MATCH (t:T) RETURN count(t) AS n")[0]["n"]
    assert first == ["0001", "0002"]
    assert second == []
    assert [r["v"] for r in chain] == ["0001", "0002"]
    assert all(r["c"] for r in chain)
    assert n == 2


def test_edited_file_is_refused(scratch: LocalNeo4j, tmp_path: Path) -> None:
    d = write_files(tmp_path, FILES)

    async def go(db: Database) -> None:
        await wipe(db)
        await Runner(db, d).apply()
        (d / "V0002__data.cypher").write_text("CREATE (:T {id: 'c'});")
        await Runner(db, d).apply()

    with pytest.raises(MigrationError, match=r"V0002__data\.cypher was edited"):
        run(scratch, go)


def test_failed_data_migration_writes_nothing(scratch: LocalNeo4j, tmp_path: Path) -> None:
    d = write_files(
        tmp_path, {**FILES, "V0003__bad.cypher": "CREATE (:T {id: 'z'});\nCREATE (:T {id: 'a'});"}
    )

    async def go(db: Database):  # type: ignore[no-untyped-def]
        await wipe(db)
        await Runner(db, d).apply()

    with pytest.raises(ConstraintViolation):
        run(scratch, go)
    z = query(scratch, "MATCH (t:T {id: 'z'}) RETURN count(t) AS n")[0]["n"]
    applied = query(scratch, "MATCH (m:__Neo4jMigration {version: '0003'}) RETURN count(m) AS n")[
        0
    ]["n"]
    assert z == 0
    assert applied == 0


def test_two_runners_at_once_apply_each_version_once(scratch: LocalNeo4j, tmp_path: Path) -> None:
    slow = {**FILES, "V0003__more.cypher": "UNWIND range(1, 20000) AS i CREATE (:Row {i: i});"}
    d = write_files(tmp_path, slow)

    async def go(db: Database):  # type: ignore[no-untyped-def]
        await wipe(db)
        return await asyncio.gather(
            Runner(db, d).apply(), Runner(db, d).apply(), Runner(db, d).apply()
        )

    results = run(scratch, go)
    rows = query(scratch, "MATCH (r:Row) RETURN count(r) AS n")[0]["n"]
    nodes = query(
        scratch, "MATCH (m:__Neo4jMigration) WHERE m.version <> 'BASELINE' RETURN count(m) AS n"
    )[0]["n"]
    assert sorted(v for r in results for v in r) == ["0001", "0002", "0003"]
    assert rows == 20000
    assert nodes == 3


def test_v0006_moves_api_key_hashes_to_key_nodes(scratch: LocalNeo4j, tmp_path: Path) -> None:
    """A database from before V0006 keeps its keys working: each `apiKeyHash` becomes an
    :ApiKey that sign-in finds, and the property leaves the user."""
    from graph import apikey
    from resolvers.auth import hash_key

    before = tmp_path / "before"
    before.mkdir()
    for f in sorted(migrations.DIRECTORY.glob("V*.cypher")):
        if f.name < "V0006":
            (before / f.name).write_text(f.read_text())

    async def go(db: Database) -> tuple[list[str], Any]:
        await wipe(db)
        await Runner(db, before).apply()
        await db.write(
            Cypher(
                "test.legacy_user",
                "CREATE (:User {id: 'u1', name: 'Old', roles: ['SALES'], apiKeyHash: $h})",
            ),
            {"h": hash_key("old-key")},
        )
        applied = await Runner(db, migrations.DIRECTORY).apply()
        found = await apikey.sign_in(db, hash_key("old-key"))
        return applied, found

    applied, found = run(scratch, go)
    assert applied[:2] == ["0006", "0006.1"]
    assert found is not None
    assert (found["id"], found["roles"]) == ("u1", ["SALES"])
    rows = query(
        scratch,
        "MATCH (u:User {id: 'u1'})-[:HAS_KEY]->(k:ApiKey) "
        "RETURN u.apiKeyHash AS legacy, k.name AS name, k.prefix AS prefix",
    )
    assert [dict(r) for r in rows] == [{"legacy": None, "name": "migrated", "prefix": None}]
    audit = query(scratch, "MATCH (a:AuditEvent {action: 'apiKey.migrate'}) RETURN a.fields AS f")
    assert [r["f"] for r in audit] == [["userId"]]


def migrated_over(
    scratch: LocalNeo4j, tmp_path: Path, first: str, legacy: LiteralString
) -> list[str]:
    """A database migrated up to before `first` (a file name prefix), holding what `legacy`
    creates, then migrated to the end: the versions that last run applied."""
    before = tmp_path / f"before-{first}"
    before.mkdir()
    for f in sorted(migrations.DIRECTORY.glob("V*.cypher")):
        if f.name < first:
            (before / f.name).write_text(f.read_text())

    async def go(db: Database) -> list[str]:
        await wipe(db)
        await Runner(db, before).apply()
        await db.write(Cypher("test.legacy_values", legacy), {})
        return await Runner(db, migrations.DIRECTORY).apply()

    return run(scratch, go)


def test_v0021_moves_instants_to_the_business_offset(scratch: LocalNeo4j, tmp_path: Path) -> None:
    """Instants stored at another offset before V0021 move to the database's zone (the
    business zone, +08:00 here), keeping the instant; dates, texts and numbers stay."""
    applied = migrated_over(
        scratch,
        tmp_path,
        "V0021",
        "CREATE (r:Record {id: 'r1', occurredAt: datetime('2026-11-19T17:00:00Z'), "
        "on: date('2026-11-19'), note: '2026-11-19T17:00:00Z', n: 3}) "
        "CREATE (f:FollowUp {id: 'f1', dueAt: datetime('2026-12-04T11:00:00-05:00')}) "
        "CREATE (r)-[:ABOUT {at: datetime('2026-01-01T00:00:00.5Z')}]->(f) "
        "CREATE (:Record {id: 'r2', occurredAt: datetime('2026-11-20T09:00:00+08:00')})",
    )
    assert applied[0] == "0021"
    rows = query(
        scratch,
        "MATCH (r:Record {id: 'r1'})-[a:ABOUT]->(f:FollowUp) "
        "MATCH (r2:Record {id: 'r2'}) "
        "RETURN toString(r.occurredAt) AS at, toString(f.dueAt) AS due, toString(a.at) AS rel, "
        "toString(r2.occurredAt) AS kept, r.on AS on, r.note AS note, r.n AS n, "
        "r.occurredAt >= datetime('2026-11-20T01:00:00+08:00') AS since",
    )
    row = dict(rows[0])
    assert row["at"] == "2026-11-20T01:00:00+08:00"
    assert row["due"] == "2026-12-05T00:00:00+08:00"
    assert row["rel"] == "2026-01-01T08:00:00.5+08:00"
    assert row["kept"] == "2026-11-20T09:00:00+08:00"
    assert (str(row["on"]), row["note"], row["n"]) == ("2026-11-19", "2026-11-19T17:00:00Z", 3)
    assert row["since"] is True


def test_v0022_moves_the_servers_own_utc_instants(scratch: LocalNeo4j, tmp_path: Path) -> None:
    """The server still wrote archivedAt and the admin import's createdAt in UTC after V0021;
    V0022 moves those to the business offset too."""
    legacy = (
        "CREATE (:Team {id: 't1', archivedAt: datetime('2026-12-06T16:30:00Z'), "
        "createdAt: datetime('2026-12-01T08:00:00+08:00')})"
    )
    assert migrated_over(scratch, tmp_path, "V0022", legacy)[0] == "0022"
    [row] = query(
        scratch,
        "MATCH (t:Team {id: 't1'}) RETURN toString(t.archivedAt) AS at, "
        "toString(t.createdAt) AS created",
    )
    assert dict(row) == {"at": "2026-12-07T00:30:00+08:00", "created": "2026-12-01T08:00:00+08:00"}


def test_every_relationship_type_has_an_id_index(cypher: Any) -> None:
    """Edges are looked up by id whatever their type (graph/relationship.py, an import's id
    check with its index hints): REFERRED had no index, so each look-up scanned its type."""
    from graph.vocab import Rel

    found = cypher.execute_query(
        "SHOW INDEXES YIELD entityType, labelsOrTypes, properties, state "
        "WHERE entityType = 'RELATIONSHIP' AND properties = ['id'] AND state = 'ONLINE' "
        "RETURN labelsOrTypes[0] AS type"
    ).records
    assert {r["type"] for r in found} >= {rel.value for rel in Rel}
