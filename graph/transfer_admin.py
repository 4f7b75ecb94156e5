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
import functools
import io
import time
from collections.abc import Callable, Iterable, Sequence
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


# A value's neo4j-admin type by its Python type (exact types: bool is not taken for int).
_KINDS: dict[type, str] = {
    bool: "boolean",
    int: "long",
    float: "double",
    str: "string",
    dt.datetime: "datetime",
    dt.date: "date",
    list: "string[]",
}


def _columns(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Property name -> neo4j-admin type, over every row (a whole number and a fraction in
    one column: double; a list column holds only texts), in the order the names first
    occur. The (name, type) pairs are gathered in one comprehension: a type test per value
    in Python cost a third of the CSV step."""
    pairs = {(k, type(v)): None for props in rows for k, v in props.items() if v is not None}
    out: dict[str, str] = {}
    for k, kind_of in pairs:
        # a subclass (a StrEnum member, say) takes its nearest base's type
        kind = next((_KINDS[t] for t in kind_of.__mro__ if t in _KINDS), None)
        if kind is None:
            raise AdminImportError(f"no neo4j-admin type for {kind_of.__name__} values")
        was = out.setdefault(k, kind)
        if was != kind:
            if {was, kind} == {"long", "double"}:
                out[k] = "double"
            else:
                raise AdminImportError(f"property {k} holds both {was} and {kind} values")
    lists = [k for k, t in out.items() if t == "string[]"]
    for props in rows if lists else ():
        for k in lists:
            value = props.get(k)
            if value is not None and not all(isinstance(x, str) for x in value):
                raise AdminImportError(f"property {k} holds a list of other than texts")
    return out


@functools.lru_cache(maxsize=4096)
def _datetime(value: dt.datetime) -> str:
    # cached: an import stamps most rows with the same createdAt and updatedAt
    return value.isoformat().replace("+00:00", "Z")


# Columns whose cells need a conversion; the csv module writes the others itself (None as
# an empty cell, numbers and texts as str() does).
_CONVERT: dict[str, Callable[[Any], str]] = {
    "boolean": lambda value: "true" if value else "false",
    "datetime": _datetime,
    "date": functools.lru_cache(maxsize=4096)(dt.date.isoformat),
    "string[]": ARRAY_DELIMITER.join,
}


class _Sheet:
    """One CSV file of rows, written a block at a time. Each row ends in one CR LF, and the
    csv module quotes a value holding either, so a block with more of either than rows has a
    value spanning lines: neo4j-admin must then be told (`multiline`). Counting them in the
    block's text costs far less than testing every cell."""

    BLOCK = 5_000

    def __init__(self, path: Path, header: list[str], columns: dict[str, str]) -> None:
        self.path = path
        self._file = path.open("w", newline="", encoding="utf-8")
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)
        self._names = list(columns)
        self._convert = [
            (i, _CONVERT[t])
            for i, t in enumerate(columns.values(), start=len(header) - len(columns))
            if t in _CONVERT
        ]
        self._rows = 0
        self.multiline = False
        self._writer.writerow(header)
        self._flush(1)

    def write(self, lead: list[Any], props: dict[str, Any]) -> None:
        cells = lead + list(map(props.get, self._names))
        for i, convert in self._convert:
            if cells[i] is not None:
                cells[i] = convert(cells[i])
        self._writer.writerow(cells)
        self._rows += 1
        if self._rows == self.BLOCK:
            self._flush(self._rows)

    def _flush(self, rows: int) -> None:
        text = self._buffer.getvalue()
        ends = (text.count("\r"), text.count("\n"))
        self.multiline = self.multiline or ends != (rows, rows)
        self._file.write(text)
        self._buffer.seek(0)
        self._buffer.truncate()
        self._rows = 0

    def __enter__(self) -> _Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self._flush(self._rows)
        finally:
            self._file.close()


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
        columns = _columns([n.props for n in members])
        columns.pop("id", None)
        header = [f"id:ID({label.value})", ":LABEL", *(f"{k}:{t}" for k, t in columns.items())]
        labels = {False: label.value, True: ARRAY_DELIMITER.join([label.value, "Customer"])}
        with _Sheet(to_dir / f"nodes-{label.value}.csv", header, columns) as sheet:
            for node in members:
                sheet.write([str(node.props["id"]), labels[node.customer]], node.props)
        files.multiline = files.multiline or sheet.multiline
        files.nodes.append((label, sheet.path))
    by_ends: dict[tuple[Rel, Label, Label], list[AdminEdge]] = {}
    for edge in edges:
        by_ends.setdefault((edge.rel, edge.start[0], edge.end[0]), []).append(edge)
    for (rel, a, b), group in by_ends.items():
        columns = _columns([e.props for e in group])
        header = [
            f":START_ID({a.value})",
            f":END_ID({b.value})",
            ":TYPE",
            *(f"{k}:{t}" for k, t in columns.items()),
        ]
        path = to_dir / f"edges-{rel.value}-{a.value}-{b.value}.csv"
        with _Sheet(path, header, columns) as sheet:
            for edge in group:
                sheet.write([edge.start[1], edge.end[1], rel.value], edge.props)
        files.multiline = files.multiline or sheet.multiline
        files.relationships.append((rel, sheet.path))
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
