"""The admin path of `crm-graph import` (issue 15): an initial load into an empty embedded
database through `neo4j-admin database import full`, which writes the store files directly.

Rows arrive settled (resolvers/transfer_admin.py): every node and relationship with every
property it is to have, bookkeeping included. Here they become neo4j-admin's CSV files (one
per label and one per relationship type, with a typed header), the tool runs against the
stopped embedded server (graph/server.py), and afterwards one audit event records the whole
import. Nothing here knows a file format, a mapping or a GraphQL path.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

from graph.actor import Actor
from graph.db import Cypher, Database
from graph.nodes import AUDIT, Audit
from graph.server import LocalNeo4j, LocalServerError
from graph.vocab import Label, Rel

# Between the items of a list value (and of the :LABEL column): a control character no text
# field holds, so that an item may contain ';' or ','.
ARRAY_DELIMITER = "\x1f"
_ARRAY_OPTION = "U+001F"

# Nodes other than these mean the database holds data (the import would overwrite it): the
# migrations' own bookkeeping and the nodes they seed, which they seed again afterwards.
_SEEDED: LiteralString = (
    "NOT n:__Neo4jMigration AND NOT n:__Neo4jMigrationsLock "
    "AND NOT n:CustomerClass AND NOT n:ClassificationRule"
)
HOLDS_DATA = Cypher(
    "transfer.admin.holds_data",
    "OPTIONAL MATCH (n) WHERE " + _SEEDED + " WITH n LIMIT 1 "
    "RETURN n IS NOT NULL AS held, head([l IN labels(n)]) AS label",
)
IMPORT_AUDIT = Cypher("transfer.admin.audit", AUDIT)


@dataclass
class AdminNode:
    """A node as it is to be stored: its label, whether it is a customer, every property."""

    label: Label
    customer: bool
    props: dict[str, Any]


@dataclass
class AdminEdge:
    """A relationship as it is to be stored, between two nodes named by label and CRM id."""

    rel: Rel
    start: tuple[Label, str]
    end: tuple[Label, str]
    props: dict[str, Any]


@dataclass
class Files:
    """The CSV files written for one import, and what neo4j-admin needs to be told."""

    nodes: list[tuple[Label, Path]] = field(default_factory=list)
    relationships: list[tuple[Rel, Path]] = field(default_factory=list)
    multiline: bool = False


class AdminImportError(LocalServerError):
    """neo4j-admin refused the files, or a value has no CSV type (the message says which)."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "string[]"
    raise AdminImportError(f"no neo4j-admin type for {type(value).__name__} values")


def _columns(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Property name -> neo4j-admin type, over every row (a whole number and a fraction in
    one column: double)."""
    out: dict[str, str] = {}
    for props in rows:
        for k, value in props.items():
            if value is None:
                continue
            kind = _kind(value)
            was = out.setdefault(k, kind)
            if was != kind:
                if {was, kind} == {"long", "double"}:
                    out[k] = "double"
                else:
                    raise AdminImportError(f"property {k} holds both {was} and {kind} values")
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(value)
    return str(value)


def _multiline(cells: Sequence[str]) -> bool:
    return any("\n" in c or "\r" in c for c in cells)


def write_files(nodes: Iterable[AdminNode], edges: Iterable[AdminEdge], to_dir: Path) -> Files:
    """neo4j-admin's CSV files for `nodes` and `edges` in `to_dir`: per label, `id:ID(<label>)`
    (an id space per label, as the live path keys nodes by label and id), `:LABEL` (with
    Customer) and the typed properties; per type, `:START_ID(<label>)`, `:END_ID(<label>)`
    (a file per pair of endpoint labels), `:TYPE` and the typed properties."""
    files = Files()
    by_label: dict[Label, list[AdminNode]] = {}
    for node in nodes:
        by_label.setdefault(node.label, []).append(node)
    for label, members in by_label.items():
        columns = _columns(n.props for n in members)
        columns.pop("id", None)
        path = to_dir / f"nodes-{label.value}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            sheet = csv.writer(f)
            sheet.writerow(
                [f"id:ID({label.value})", ":LABEL", *(f"{k}:{t}" for k, t in columns.items())]
            )
            for node in members:
                labels = [label.value, *(["Customer"] if node.customer else [])]
                cells = [str(node.props["id"]), ARRAY_DELIMITER.join(labels)]
                cells += [_text(node.props.get(k)) for k in columns]
                files.multiline = files.multiline or _multiline(cells)
                sheet.writerow(cells)
        files.nodes.append((label, path))
    by_ends: dict[tuple[Rel, Label, Label], list[AdminEdge]] = {}
    for edge in edges:
        by_ends.setdefault((edge.rel, edge.start[0], edge.end[0]), []).append(edge)
    for (rel, a, b), group in by_ends.items():
        columns = _columns(e.props for e in group)
        path = to_dir / f"edges-{rel.value}-{a.value}-{b.value}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            sheet = csv.writer(f)
            sheet.writerow(
                [
                    f":START_ID({a.value})",
                    f":END_ID({b.value})",
                    ":TYPE",
                    *(f"{k}:{t}" for k, t in columns.items()),
                ]
            )
            for edge in group:
                cells = [edge.start[1], edge.end[1], rel.value]
                cells += [_text(edge.props.get(k)) for k in columns]
                files.multiline = files.multiline or _multiline(cells)
                sheet.writerow(cells)
        files.relationships.append((rel, path))
    return files


def run_tool(local: LocalNeo4j, files: Files, database: str, work_dir: Path) -> tuple[float, str]:
    """`neo4j-admin database import full` of `files` into `database` of the stopped embedded
    server, replacing its store. The seconds the tool took (its JVM start included), and its
    output."""
    if local.running_pid() is not None:
        raise AdminImportError("the embedded Neo4j is running; stop it for neo4j-admin import")
    args = [
        "database",
        "import",
        "full",
        database,
        "--overwrite-destination=true",
        f"--array-delimiter={_ARRAY_OPTION}",
        f"--report-file={work_dir / 'import.report'}",
        "--bad-tolerance=0",
        *(f"--nodes={path}" for _, path in files.nodes),
        *(f"--relationships={path}" for _, path in files.relationships),
    ]
    if files.multiline:
        args.append("--multiline-fields=true")
    began = time.perf_counter()
    try:
        output = local.admin(*args)
    except LocalServerError as exc:
        raise AdminImportError(str(exc)) from exc
    return time.perf_counter() - began, output


async def holds_data(db: Database, actor: Actor) -> str | None:
    """The label of a node the database holds beyond what the migrations seed, or None. It
    looks at every node, whatever `actor` may see: the check guards the whole store."""
    row = (await db.read(HOLDS_DATA))[0]
    return str(row["label"]) if row["held"] else None


async def audit_import(db: Database, audit: Audit, import_id: str, fields: Sequence[str]) -> None:
    """The one audit event of an admin import: its id, and the names of the fields written."""
    await db.write(IMPORT_AUDIT, audit.params(import_id, "Import", [f for f in fields if f]))
