"""Versioned Cypher migrations, bookkept the way the Java tool neo4j-migrations does it.

Files live in `migrations/` as `V0001__description.cypher`. Applied versions form a chain
`(:__Neo4jMigration {version:'BASELINE'})-[:MIGRATED_TO]->(:__Neo4jMigration {version:'0001'})...`
with the file's CRC32 checksum, so that tool's CLI can still inspect our database.

A file holds either schema statements (constraints, indexes: each auto-committed, all written
with IF NOT EXISTS so a re-run is harmless) or data statements (run in one transaction together
with their bookkeeping). Neo4j refuses to mix the two in one transaction.

A lock node with a unique name makes concurrent runners take turns: exactly one applies each
version, the others wait and then find nothing left to do.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import re
import time
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

from graph.db import ConstraintViolation, Cypher, Database, Tx
from graph.errors import CrmError

log = logging.getLogger(__name__)

FILE_RE = re.compile(r"^V(?P<version>\d+(?:_\d+)*)__(?P<description>\w+)\.cypher$")
SCHEMA_RE = re.compile(
    r"^\s*(CREATE|DROP)\s+(OR\s+REPLACE\s+)?(CONSTRAINT|INDEX|FULLTEXT|RANGE|"
    r"TEXT|POINT|VECTOR|LOOKUP)\b",
    re.IGNORECASE,
)
LOCK_NAME = "crm-graph-migrations"
STALE_LOCK_SECONDS = 600
# A data migration is a start-up load, not a request: on a large database it may rewrite much
# or wait for an index to fill, beyond the per-request transaction timeout. It still ends
# before its lock counts as stale, so no second runner starts the same work meanwhile.
DATA_MIGRATION_TIMEOUT = STALE_LOCK_SECONDS - 60.0


class MigrationError(CrmError, RuntimeError):
    """A migration cannot be applied, or an applied file has been edited."""


@dataclass(frozen=True)
class Migration:
    version: str
    description: str
    path: Path
    statements: tuple[str, ...]
    checksum: str

    @property
    def source(self) -> str:
        return self.path.name

    @property
    def is_schema(self) -> bool:
        return all(SCHEMA_RE.match(s) for s in self.statements)


def split_statements(text: str) -> list[str]:
    """Split on `;` outside strings, backticks and comments; drop empty statements."""
    out: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and quote != "`" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
            buf.append(c)
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j == -1 else j + 2
            continue
        elif c == ";":
            out.append("".join(buf).strip())
            buf = []
        else:
            buf.append(c)
        i += 1
    out.append("".join(buf).strip())
    return [s for s in out if s]


def load(directory: Path) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.cypher")):
        m = FILE_RE.match(path.name)
        if not m:
            raise MigrationError(f"{path.name}: not named V<version>__<description>.cypher")
        raw = path.read_bytes()
        statements = tuple(split_statements(raw.decode("utf-8")))
        mig = Migration(
            version=m["version"].replace("_", "."),
            description=m["description"].replace("_", " "),
            path=path,
            statements=statements,
            checksum=str(zlib.crc32(raw)),
        )
        if not mig.is_schema and any(SCHEMA_RE.match(s) for s in statements):
            raise MigrationError(f"{path.name}: mixes schema and data statements; split the file")
        migrations.append(mig)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version")
    return sorted(migrations, key=lambda m: tuple(int(p) for p in m.version.split(".")))


LOCK_CONSTRAINT: LiteralString = (
    "CREATE CONSTRAINT neo4j_migrations_lock_name IF NOT EXISTS "
    "FOR (l:__Neo4jMigrationsLock) REQUIRE l.name IS UNIQUE"
)
MIGRATION_INDEX: LiteralString = (
    "CREATE INDEX neo4j_migrations_version IF NOT EXISTS FOR (m:__Neo4jMigration) ON (m.version)"
)
ACQUIRE = Cypher(
    "migrations.acquire_lock",
    "CREATE (:__Neo4jMigrationsLock {id: $id, name: $name, lockedAt: datetime()})",
)
CLEAR_STALE = Cypher(
    "migrations.clear_stale_lock",
    "MATCH (l:__Neo4jMigrationsLock {name: $name}) "
    "WHERE l.lockedAt < datetime() - duration({seconds: $stale}) DELETE l",
)
RELEASE = Cypher("migrations.release_lock", "MATCH (l:__Neo4jMigrationsLock {id: $id}) DELETE l")
APPLIED = Cypher(
    "migrations.applied",
    "MATCH (m:__Neo4jMigration) WHERE m.version <> 'BASELINE' AND m.migrationTarget IS NULL "
    "RETURN m.version AS version, m.checksum AS checksum, m.source AS source, "
    "m.description AS description ORDER BY m.version LIMIT 10000",
)
RECORD = Cypher(
    "migrations.record",
    "MERGE (base:__Neo4jMigration {version: 'BASELINE'}) "
    "ON CREATE SET base.description = 'BASELINE' "
    "WITH base "
    "OPTIONAL MATCH (base)-[:MIGRATED_TO*1..10000]->(tail:__Neo4jMigration) "
    "WHERE NOT (tail)-[:MIGRATED_TO]->() "
    "WITH coalesce(tail, base) AS prev LIMIT 1 "
    "CREATE (prev)-[:MIGRATED_TO {at: datetime(), in: duration({milliseconds: $ms}), "
    "by: $by, connectedAs: $connectedAs}]->"
    "(:__Neo4jMigration {version: $version, description: $description, checksum: $checksum, "
    "type: 'CYPHER', source: $source, repeatable: false})",
)


@dataclass(frozen=True)
class Status:
    version: str
    description: str
    source: str
    applied: bool


class Runner:
    def __init__(self, db: Database, directory: Path, user: str = "neo4j") -> None:
        self.db = db
        self.directory = directory
        self.user = user

    async def _applied(self) -> dict[str, Any]:
        return {r["version"]: r for r in await self.db.read(APPLIED)}

    def _verify(self, migrations: list[Migration], applied: dict[str, Any]) -> None:
        for m in migrations:
            rec = applied.get(m.version)
            if rec is not None and rec["checksum"] != m.checksum:
                raise MigrationError(
                    f"{m.source} was edited after it was applied (checksum {rec['checksum']} "
                    f"in the database, {m.checksum} on disk). Applied migrations are immutable: "
                    "restore the file and put the change in a new V<next>__*.cypher file."
                )

    async def status(self) -> list[Status]:
        migrations = load(self.directory)
        applied = await self._applied()
        self._verify(migrations, applied)
        return [
            Status(m.version, m.description, m.source, m.version in applied) for m in migrations
        ]

    async def _acquire(self, wait_seconds: float) -> str:
        lock_id = str(uuid.uuid4())
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                await self.db.write(CLEAR_STALE, {"name": LOCK_NAME, "stale": STALE_LOCK_SECONDS})
                await self.db.write(ACQUIRE, {"id": lock_id, "name": LOCK_NAME})
                return lock_id
            except ConstraintViolation:
                if time.monotonic() > deadline:
                    raise MigrationError(
                        "another process holds the migration lock; try again later"
                    ) from None
                await asyncio.sleep(0.2)

    async def apply(self, lock_wait: float = 120.0) -> list[str]:
        """Apply every pending migration; return the versions this call applied."""
        migrations = load(self.directory)
        for stmt in (LOCK_CONSTRAINT, MIGRATION_INDEX):
            await self.db.autocommit(stmt, "migrations.bootstrap")
        lock_id = await self._acquire(lock_wait)
        done: list[str] = []
        try:
            applied = await self._applied()
            self._verify(migrations, applied)
            for m in migrations:
                if m.version in applied:
                    continue
                await self._apply_one(m)
                done.append(m.version)
                log.info("applied migration %s", m.source)
        finally:
            await self.db.write(RELEASE, {"id": lock_id})
        return done

    async def _apply_one(self, m: Migration) -> None:
        started = time.monotonic()
        # Migration files are trusted project files, not user input.
        statements: list[LiteralString] = list(m.statements)

        def record_params() -> dict[str, Any]:
            return {
                "version": m.version,
                "description": m.description,
                "checksum": m.checksum,
                "source": m.source,
                "ms": int((time.monotonic() - started) * 1000),
                "by": getpass.getuser(),
                "connectedAs": self.user,
            }

        if m.is_schema:
            for s in statements:
                await self.db.autocommit(s, f"migration.{m.version}")
            await self.db.write(RECORD, record_params())
            return

        async def work(tx: Tx) -> None:
            for i, s in enumerate(statements):
                await tx.run(Cypher(f"migration.{m.version}.{i}", s))
            await tx.run(RECORD, record_params())

        await self.db.transaction(work, server_timeout=DATA_MIGRATION_TIMEOUT)
