"""One helper for the transfer tests that import through resolvers/transfer.py's run_import
against the session's Neo4j (tests/resolvers/test_transfer.py, test_transfer_records.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

import migrations
from graph.access import Scope
from graph.actor import Actor
from graph.db import Database
from graph.migrate import Runner
from graph.nodes import Audit
from graph.server import LocalNeo4j
from resolvers import transfer

AUDIT = Audit(
    Actor("test:import", frozenset({"ADMIN"}), Scope.everything()), "transfer.import", "t"
)


class Interrupted(Exception):
    """Raised by the progress callback: the import stops as a killed process would."""


def run_import(
    server: LocalNeo4j,
    mapping: transfer.Mapping,
    path: Path,
    report: Path,
    *,
    checkpoint: transfer.Checkpoint | None = None,
    batch: int = 50,
    stop_after: int | None = None,
) -> transfer.Outcome | None:
    """Import `path` (its format from its suffix) with `mapping`, after the migrations; None
    when stopped after reading `stop_after` rows."""
    seen = 0

    def advance(n: int) -> None:
        nonlocal seen
        seen += n
        if stop_after is not None and seen > stop_after:
            raise Interrupted

    async def go() -> transfer.Outcome | None:
        db = Database(server.uri, "neo4j", server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            return await transfer.run_import(
                db,
                transfer.mapped_rows(mapping, path, path.suffix.lstrip(".")),
                AUDIT,
                report=report,
                checkpoint=checkpoint or transfer.Checkpoint(None, "x"),
                batch=batch,
                advance=advance,
            )
        except Interrupted:
            return None
        finally:
            await db.close()

    return asyncio.run(go())


def assert_mapping_refused(tmp_path: Path, text: str, message: str) -> None:
    """The mapping file `text` is refused with `message` before any row is read."""
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(transfer.TransferError, match=re.escape(message)):
        transfer.load_mapping(path, None)
