"""Import and export over HTTP (issue 15): uploads become jobs, a worker runs them one at a
time, and the status, the rejected-rows report and the export file are fetched by job id.

Routes (app.py), authenticated with the same `Authorization: Bearer <api key>` as /graphql:
- `POST /transfer/imports?format=csv|jsonl|graphml[&dryRun=true][&allowDuplicates=true]`:
  the file as the whole body, or multipart with a `file` part and an optional `mapping` part
  (the TOML mapping file; needed for CSV). 202 with the job id and its status URL.
- `POST /transfer/exports?format=csv|jsonl|graphml`: 202 with the job id. CSV comes as a ZIP
  of the export's CSV files.
- `GET /transfer/jobs/{id}`: status and counts; `/report`: the rejected rows (CSV);
  `/download`: the export, once SUCCEEDED.
- `GET /transfer/jobs?first=N&after=<cursor>&status=S`: the caller's jobs (ADMIN: everyone's),
  newest first, each as `GET /transfer/jobs/{id}` shows it; `pageInfo.endCursor` continues.
- `POST /transfer/jobs/{id}/cancel`: a QUEUED job is CANCELLED at once (200); a RUNNING one is
  asked to stop (202) and stops at its next batch boundary: an import keeps the batches it
  committed (its `note` says how far it got), an export's partial file is removed. POST, not
  DELETE: the job and its report stay, only its run stops.

Retention: the worker removes the folders of jobs finished more than `CRM_TRANSFER_KEEP_DAYS`
ago (at start, then hourly) and marks the jobs expired; their `/report` and `/download` then
answer 410 EXPIRED.

Refusals are JSON, `{"errors": [{"code", "message", "field"}]}` with the codes of
resolvers/errors.py: 400 VALIDATION (a bad parameter or file, with its field), 401
UNAUTHENTICATED, 403 FORBIDDEN (a role that never edits asks to import), 404 NOT_FOUND (no
such job, or someone else's: a job is visible to its creator and ADMIN only), 409 CONFLICT
(no report or download yet, saying why; cancelling a finished job), 410 EXPIRED (the job's
files were removed), 413 PAYLOAD_TOO_LARGE (past `CRM_TRANSFER_MAX_BYTES`), 503
DATABASE_UNAVAILABLE.

Jobs survive a restart: the `(:TransferJob)` node (graph/transfer_jobs.py) holds the status,
the job's folder in the jobs directory its files. The worker (started from the app's
lifespan) runs RUNNING jobs first, so an interrupted import continues after its last
committed batch (resolvers/transfer.py's Checkpoint) and an interrupted export starts over.

Rights. An import runs as its creator, with their rights as they are when it runs: ADMIN
writes anything (as `crm-graph import`); another writer (SALES, MANAGER) may only change
records they may edit and link as linkNodes lets them (ends they see; edit rights on one end,
or on both for the types that widen who sees what and for SUBSIDIARY_OF). Rows naming records
they may not change are rejected (FORBIDDEN in the report), an edge end they may not see as a
missing one (NOT_FOUND at `from` or `to`), and customers the import creates are owned by the
importer, as createCompany makes them. An export shows exactly what the creator's key sees,
masked for their roles, as `crm-graph export --key` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import logging
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.types import Message, Receive

from graph import crypto
from graph import transfer_formats as fmt
from graph import transfer_jobs as repo
from graph.access import Scope
from graph.actor import Actor, of_user
from graph.db import Database, native
from graph.errors import DatabaseUnavailable, QueryTimeout
from graph.nodes import Audit
from graph.relationship import may_write
from graph.transfer import LABELS, Key
from graph.transfer_jobs import FINISHED, Beat, JobKind, JobStatus, TransferJobRow
from graph.vocab import Label, Rel
from resolvers import auth, review, transfer
from resolvers.background import Background
from resolvers.context import Viewer
from resolvers.errors import ApiError, ErrorCode
from resolvers.masking import Guards
from resolvers.pages import decode_cursor, encode_cursor, is_time
from resolvers.permissions import may_edit

log = logging.getLogger("crm.transfer")
SYSTEM = Actor("system:transfer")
FORMATS = ("csv", "jsonl", "graphml")
# Roles that create companies and people (resolvers/permissions.py WRITERS).
IMPORTERS = frozenset({"ADMIN", "MANAGER", "SALES"})
GUARD_CHUNK = 1000
MAPPING_MAX_BYTES = 1 << 20
EXPORT_ATTEMPTS = 3  # reads of a whole export, when one times out
DOWNLOAD_NAMES = {"csv": "export.zip", "jsonl": "export.jsonl", "graphml": "export.graphml"}
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MEDIA = {"csv": "application/zip", "jsonl": "application/x-ndjson", "graphml": "application/xml"}
# The job folders one claim or sweep statement names at most (`$held`, `$ids`): a worker with
# more sends them in turns, so no statement grows with the jobs directory.
MAX_HELD = 500
SWEEP_SECONDS = 3600.0
PAGE_DEFAULT, PAGE_MAX = 20, 100
_NEO4J_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")


class TransferCode(Enum):
    """Codes of this HTTP API beyond resolvers/errors.py's (which the GraphQL schema shows)."""

    EXPIRED = "EXPIRED"  # 410: the job's files were removed (CRM_TRANSFER_KEEP_DAYS)


class Refused(Exception):
    """A request the API answers with an error body (code, message, field) and a status."""

    def __init__(
        self, status: int, code: ErrorCode | TransferCode, message: str, field: str | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> Response:
        body = {"errors": [{"code": self.code.value, "message": self.message, "field": self.field}]}
        headers = {"Retry-After": "1"} if self.status == 503 else None
        return Response(
            orjson.dumps(body), self.status, media_type="application/json", headers=headers
        )


def may_import(viewer: Viewer) -> bool:
    """The right to create companies and people: a writer's role and edit rights."""
    return bool(viewer.roles & IMPORTERS) and viewer.scope.may_edit


# --- the jobs directory -------------------------------------------------------------------------


@dataclass(frozen=True)
class Files:
    """Where one job's files live."""

    folder: Path
    form: str

    @property
    def upload(self) -> Path:
        return self.folder / f"upload.{self.form}"

    @property
    def mapping(self) -> Path:
        return self.folder / "mapping.toml"

    @property
    def unzipped(self) -> Path:
        """A CSV export's files, out of the uploaded ZIP (checked at submit)."""
        return self.folder / "upload-csv"

    @property
    def exported(self) -> Path:
        """What an import without a mapping reads: the upload, or the CSV export's files."""
        return self.unzipped if self.form == "csv" else self.upload

    @property
    def checkpoint(self) -> Path:
        return self.folder / "checkpoint.json"

    @property
    def report(self) -> Path:
        return self.folder / "report.csv"

    @property
    def guard(self) -> Path:
        return self.folder / "guard.json"

    @property
    def output(self) -> Path:
        return self.folder / DOWNLOAD_NAMES[self.form]

    @property
    def shown(self) -> Path:
        """The ids of the nodes an export of a viewer who does not read everything shows,
        checked again at each download (`job_download`)."""
        return self.folder / "shown.json"


def files_of(directory: Path, job_id: str, form: str) -> Files:
    return Files(directory / job_id, form)


def _rows(files: Files) -> Iterator[transfer.Prepared | list[transfer.Rejection]]:
    """The job's rows, validated, read afresh from its files."""
    if files.mapping.exists():
        mapping = transfer.load_mapping(files.mapping, None)
        return transfer.mapped_rows(mapping, files.upload, files.form)
    records = (
        fmt.read_graphml(files.upload)
        if files.form == "graphml"
        else fmt.read_csv_dir(files.unzipped)
        if files.form == "csv"
        else fmt.read_jsonl(files.upload)
    )
    return transfer.graph_rows(records)


def _digest(files: Files) -> str:
    if files.mapping.exists():
        return transfer.load_mapping(files.mapping, None).digest
    return "graph"


# --- the guard: what a writer who does not edit everything may change ---------------------------


def _node_key(row: dict[str, Any], key: Key) -> tuple[str, ...]:
    return (row["source"], row["externalId"]) if key is Key.EXTERNAL else (row["id"],)


async def _claim(
    db: Database, label: Label, key: Key, keys: list[dict[str, Any]], audit: Audit
) -> None:
    """The importer owns those of `keys` still without an owner, GUARD_CHUNK a statement."""
    for start in range(0, len(keys), GUARD_CHUNK):
        await repo.claim_created(db, label, key, keys[start : start + GUARD_CHUNK], audit)


async def _claim_created(db: Database, guard: dict[str, Any], audit: Audit) -> None:
    """The importer owns the customers its import created (those still without an owner)."""
    for group, keys in guard["fresh"].items():
        label_name, key_name = group.split(":")
        label = next(x for x in Label if x.value == label_name)
        await _claim(db, label, Key(key_name), keys, audit)


def _claims_as_written(
    db: Database, guard: dict[str, Any], audit: Audit
) -> Callable[[tuple[Any, ...], list[dict[str, Any]]], Awaitable[None]]:
    """Claims each batch's new customers once it is committed: a rep's import running for
    minutes must not hide what it has written from the rep (and refuse their own upserts of
    it as taken) until its end. The claim at the end stays, for a resumed job's earlier rows."""
    fresh = {
        group: {_node_key(k, Key(group.split(":")[1])) for k in keys}
        for group, keys in guard["fresh"].items()
    }

    async def claim(group: tuple[Any, ...], rows: list[dict[str, Any]]) -> None:
        if group[0] != "node" or not (mine := fresh.get(f"{group[1].value}:{group[2].value}")):
            return
        keys = [
            {k: r[k] for k in ("source", "externalId", "id")}
            for r in rows
            if _node_key(r, group[2]) in mine
        ]
        await _claim(db, group[1], group[2], keys, audit)

    return claim


def _end_key(row: dict[str, Any], end: str, key: Key) -> tuple[str, ...]:
    return (row[end + "Source"], row[end]) if key is Key.EXTERNAL else (row[end],)


async def _scan(
    db: Database, actor: Actor, rows: Iterator[transfer.Prepared | list[transfer.Rejection]]
) -> dict[str, Any]:
    """Before the first batch: the rows naming a record the actor may not change, the edge
    rows with an end it may not see, and the keys of the nodes the import will create (the
    importer's once written)."""
    forbidden: set[int] = set()
    hidden: dict[str, str] = {}  # row number -> an edge end the actor may not see, or none
    needs_review: dict[str, list[str]] = {}  # row number -> fields only review may change
    fresh: dict[str, list[dict[str, Any]]] = {}
    fresh_keys: set[tuple[str, ...]] = set()
    nodes: dict[tuple[Label, Key], list[dict[str, Any]]] = {}
    edges: dict[tuple[Rel, Label, Label, Key], list[dict[str, Any]]] = {}

    async def check_nodes(label: Label, key: Key, chunk: list[dict[str, Any]]) -> None:
        held = sorted({k for row in chunk for k in row["held"]})
        # Only the keys travel: the held values are compared here, not in the statement.
        keys = [{k: row[k] for k in ("n", "source", "externalId", "id")} for row in chunk]
        rights = {r["n"]: r for r in await repo.node_rights(db, actor, label, key, keys, held)}
        for row in chunk:
            right = rights[row["n"]]
            if right["exists"] and not right["mayEdit"]:
                forbidden.add(row["n"])
            elif right["exists"] and (changed := _changed(row["held"], right["stored"])):
                needs_review[str(row["n"])] = changed
            elif not right["exists"]:
                fresh.setdefault(f"{label.value}:{key.value}", []).append(
                    {k: row[k] for k in ("source", "externalId", "id")}
                )
                fresh_keys.add(_node_key(row, key))

    async def check_edges(
        rel: Rel, ends: tuple[Label, Label], key: Key, chunk: list[dict[str, Any]]
    ) -> None:
        by_n = {x["n"]: x for x in chunk}
        for r in await repo.edge_rights(db, actor, ends, key, chunk):
            row = by_n[r["n"]]
            judged: list[dict[str, Any]] = []
            for i, part in enumerate(("from", "to")):
                if _end_key(row, part, key) in fresh_keys:
                    # A node this import creates is the importer's own.
                    judged.append({"label": ends[i].value, "may": True, "own": True})
                elif not r["seen"][i]:
                    # Missing or hidden, the same answer (as linkNodes gives), here rather
                    # than from the writer: a dry run, which writes nothing, tells them
                    # apart otherwise.
                    hidden.setdefault(str(r["n"]), part)
                    break
                else:
                    judged.append({"label": ends[i].value, "may": r["may"][i], "own": r["own"][i]})
            else:
                if not may_write(rel, judged):
                    forbidden.add(r["n"])

    for item in rows:
        if not isinstance(item, transfer.Prepared):
            continue
        group = item.group
        ends = (group[1],) if group[0] == "node" else group[2] if group[0] == "edge" else ()
        if any(label not in LABELS for label in ends):
            # A project or a link to one (an export's file): these rights are the customer
            # network's, so only a key that edits everything imports projects.
            forbidden.add(item.n)
            continue
        if group[0] == "node":
            node_group: tuple[Label, Key] = (group[1], group[2])
            row = {"n": item.n, **{k: item.row[k] for k in ("source", "externalId", "id")}}
            row["held"] = _held(actor, group[1], item.row)
            nodes.setdefault(node_group, []).append(row)
            if len(nodes[node_group]) >= GUARD_CHUNK:
                await check_nodes(*node_group, nodes.pop(node_group))
        elif group[0] == "edge":  # records: graph/records.py `save` checks each one's rights
            edge_group = (group[1], group[2][0], group[2][1], group[3])
            keys = ("n", "from", "fromSource", "to", "toSource")
            edges.setdefault(edge_group, []).append({k: item.row[k] for k in keys})
    for (label, key), chunk in nodes.items():
        await check_nodes(label, key, chunk)
    for (rel, a, b, key), chunk in edges.items():
        for start in range(0, len(chunk), GUARD_CHUNK):
            await check_edges(rel, (a, b), key, chunk[start : start + GUARD_CHUNK])
    return {
        "forbidden": sorted(forbidden),
        "hidden": hidden,
        "fresh": fresh,
        "review": needs_review,
    }


def _held(actor: Actor, label: Label, row: dict[str, Any]) -> dict[str, Any]:
    """The row's values of the stored keys the actor's roles change only through review
    (R20; resolvers/review.py `split`), the ID number by its digest."""
    given = {**row["props"], **(row["secret"] or {})}
    if crypto.DIGEST in given:
        given[crypto.ID_NUMBER] = given[crypto.DIGEST]
    out: dict[str, Any] = {}
    for k, value in given.items():
        r = review.field_rule(label.value, k)
        if r.review and not may_edit(actor.roles, r):
            out[crypto.DIGEST if k == crypto.ID_NUMBER else k] = value
    return out


def _changed(held: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """The held keys whose value differs from the stored one, by their API field names."""
    keys = [k for k, value in held.items() if value != stored.get(k)]
    return sorted(crypto.ID_NUMBER if k == crypto.DIGEST else k for k in keys)


def _guarded(
    rows: Iterator[transfer.Prepared | list[transfer.Rejection]],
    forbidden: set[int],
    held: dict[str, list[str]] | None = None,
    hidden: dict[str, str] | None = None,
) -> Iterator[transfer.Prepared | list[transfer.Rejection]]:
    held = held or {}
    hidden = hidden or {}
    # A row repeating an earlier row's key is that first (tester AN: a repeated id with
    # another name read as a forbidden name change once the first row had been imported).
    first: dict[bytes, int] = {}
    for item in rows:
        repeat = transfer.repeated(first, item) if isinstance(item, transfer.Prepared) else None
        if repeat is not None:
            yield [repeat]
        elif isinstance(item, transfer.Prepared) and (part := hidden.get(str(item.n))):
            # Worded as the writer words a missing end: a hidden node is not confirmed.
            yield [transfer.missing_end(item.n, part)]
        elif isinstance(item, transfer.Prepared) and item.n in forbidden:
            message = "you may not change this record (or link records you may not edit)"
            yield [transfer.Rejection(item.n, "row", ErrorCode.FORBIDDEN.value, message)]
        elif isinstance(item, transfer.Prepared) and (fields := held.get(str(item.n))):
            message = (
                f"your roles change {', '.join(fields)} only through review: an import "
                "cannot; use the update mutation, which files a change request"
            )
            yield [transfer.Rejection(item.n, fields[0], ErrorCode.FORBIDDEN.value, message)]
        else:
            yield item


# --- the worker -------------------------------------------------------------------------------


@dataclass
class Worker(Background):
    """Runs transfer jobs one at a time (module doc). One per app: `start` after the
    migrations, `wake` when a job is submitted, `stop` at shutdown.

    Each job is claimed first (graph/transfer_jobs.py CLAIM_JOB) and the claim renewed every
    quarter of `lease_seconds` while it runs: other workers on the same database (another
    uvicorn worker, another host sharing the directory) leave it alone, and take it over
    only when the claim lapses (this process died) or is released (at `stop`). A worker runs
    only the jobs whose folder is in its `directory`, and no longer sends the folders of jobs
    it saw finished (`_settled`).

    A cancel (`request_stop`, or `cancelRequested` seen at a heartbeat or a claim) stops the
    running job at its next batch boundary. `sweep` (at start, then every `sweep_seconds`)
    removes the folders of jobs finished more than `keep_days` ago; 0 keeps them."""

    directory: Path
    pseudonym_key: str = ""
    public_companies: bool = True
    poll_seconds: float = 5.0
    lease_seconds: float = 120.0
    batch: int = transfer.DEFAULT_BATCH
    # Rows read so far by the job running in this process (for the status).
    progress: dict[str, int] = field(default_factory=dict)
    runner: str = field(default_factory=lambda: f"worker-{uuid.uuid4()}")
    keep_days: float = 7.0
    sweep_seconds: float = SWEEP_SECONDS
    _db: Database | None = None
    # Jobs asked to stop (read by the import's reader thread: a set, checked by membership).
    _stop: set[str] = field(default_factory=set)
    # Folders of finished jobs: left out of `$held` (they are only the sweep's business).
    _settled: set[str] = field(default_factory=set)
    _swept: float | None = None
    name = "transfer"

    def start(self, db: Database) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._db = db
        super().start(db)

    async def stop(self) -> None:
        await super().stop()
        if self._db is not None:
            with contextlib.suppress(Exception):  # shutting down: a lapsed claim frees it too
                released = await repo.release(self._db, self.runner, self._who("release"))
                if released:
                    log.info("transfer: released %d running job(s) for the next start", released)

    def _who(self, what: str) -> Audit:
        return Audit(SYSTEM, f"transfer.{what}", "transfer")

    async def round(self, db: Database) -> None:
        while True:
            if self._swept is None or time.monotonic() - self._swept >= self.sweep_seconds:
                self._swept = time.monotonic()  # a failed sweep waits for the next hour too
                await self.sweep(db)
            if not await self.run_next(db):
                return

    def _folders(self) -> list[str]:
        return sorted(p.name for p in self.directory.iterdir() if p.is_dir())

    def _held(self, folders: list[str]) -> list[str]:
        self._settled &= set(folders)  # forget the folders removed since
        return [name for name in folders if name not in self._settled]

    async def run_next(self, db: Database) -> bool:
        """Claim the next job and run it to its end; False when there is none."""
        held = self._held(await asyncio.to_thread(self._folders))
        for start in range(0, len(held), MAX_HELD):
            chunk = held[start : start + MAX_HELD]
            claimed = await repo.claim(
                db, chunk, self.runner, self.lease_seconds, self._who("next")
            )
            if claimed is not None:
                await self.run(db, *claimed)
                return True
            # Nothing to run here: learn which of these are finished, and stop sending them.
            found = await repo.states(db, SYSTEM, chunk)
            self._settled.update(k for k, status in found.items() if status in FINISHED)
        return False

    def request_stop(self, job_id: str) -> None:
        """Stop the job at its next batch boundary, if this worker runs it."""
        self._stop.add(job_id)

    def _stopping(self, job_id: str) -> bool:
        return job_id in self._stop

    async def _renew(self, db: Database, job_id: str) -> None:
        # Beats at the poll interval (at most a quarter lease): a cancel asked of another
        # process is seen within seconds.
        while True:
            await asyncio.sleep(min(self.lease_seconds / 4, self.poll_seconds))
            with contextlib.suppress(Exception):  # the next beat tries again
                beat = await repo.heartbeat(db, job_id, self.runner, self._who("heartbeat"))
                if beat is Beat.CANCEL:
                    self.request_stop(job_id)
                elif beat is Beat.LOST:
                    log.warning("transfer: job %s is no longer claimed by this worker", job_id)

    async def sweep(self, db: Database) -> int:
        """Retention: remove the folders of jobs finished more than `keep_days` ago (marking
        the jobs expired first), and folders as old that belong to no job (a submit that died
        half-way). The number of folders removed."""
        if self.keep_days <= 0:
            return 0
        folders = await asyncio.to_thread(self._folders)
        keep = dt.timedelta(days=self.keep_days)
        before = dt.datetime.now(dt.UTC) - keep
        gone: list[str] = []
        orphans: list[str] = []
        for start in range(0, len(folders), MAX_HELD):
            chunk = folders[start : start + MAX_HELD]
            gone += await repo.expire(db, chunk, before, self._who("expire"))
            found = await repo.states(db, SYSTEM, chunk)
            orphans += [k for k in chunk if found.get(k) is None]
        removed = await asyncio.to_thread(self._remove, gone, orphans, before.timestamp())
        if removed:
            log.info("transfer: removed %d job folder(s) past CRM_TRANSFER_KEEP_DAYS", removed)
        return removed

    def _remove(self, gone: list[str], orphans: list[str], before: float) -> int:
        removed = 0
        for name in gone:
            shutil.rmtree(self.directory / name, ignore_errors=True)
            removed += 1
        for name in orphans:
            folder = self.directory / name
            with contextlib.suppress(OSError):  # gone meanwhile
                if folder.stat().st_mtime < before:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
        return removed

    async def run(self, db: Database, row: TransferJobRow, resumed: bool = False) -> None:
        job_id = row["id"]
        who = Audit(SYSTEM, "transfer.run", f"transfer:{job_id}")
        if resumed:
            log.info("transfer: resuming job %s", job_id)
        self.progress[job_id] = 0
        if row.get("cancelRequested"):  # asked while no process ran it: stop at once
            self.request_stop(job_id)
        renew = asyncio.ensure_future(self._renew(db, job_id))
        try:
            actor = await self._actor(db, row["createdBy"])
            if row["kind"] == JobKind.IMPORT.value:
                status, props = await self._import(db, row, actor, resumed)
            else:
                status, props = await self._export(db, row, actor)
            await repo.finish(db, job_id, status, props, who)
            self._settled.add(job_id)
        except asyncio.CancelledError:
            raise  # shutting down: the job stays RUNNING and resumes at the next start
        except DatabaseUnavailable:
            raise  # not the job's fault: it stays RUNNING and is tried again
        except QueryTimeout:
            error = (
                f"the database did not answer a read within CRM_TRANSACTION_TIMEOUT, "
                f"{EXPORT_ATTEMPTS} times; submit the job again when it is less busy"
            )
            log.warning("transfer: job %s failed: %s", job_id, error)
            await repo.finish(db, job_id, JobStatus.FAILED, {"error": error}, who)
            self._settled.add(job_id)
        except (Refused, transfer.TransferError, ValueError, OSError, SyntaxError) as exc:
            # SyntaxError: GraphML that is not well-formed XML (xml.etree's ParseError).
            message = exc.message if isinstance(exc, Refused) else str(exc)
            # The client is told what went wrong with its file, not where the server keeps it.
            message = message.replace(str(self.directory / job_id) + "/", "")
            # The caller's file or rights, not a fault: a line for the operator, not an error.
            log.info("transfer: job %s failed: %s", job_id, message[:1000])
            await repo.finish(db, job_id, JobStatus.FAILED, {"error": message[:1000]}, who)
            self._settled.add(job_id)
        except Exception as exc:
            log.exception("transfer: job %s failed", job_id)
            error = f"internal error ({type(exc).__name__}); see the server log"
            await repo.finish(db, job_id, JobStatus.FAILED, {"error": error}, who)
            self._settled.add(job_id)
        finally:
            renew.cancel()
            self.progress.pop(job_id, None)
            self._stop.discard(job_id)

    async def _actor(self, db: Database, user_id: str) -> Actor:
        """The job's creator with their roles and scope as they are now."""
        if user_id.startswith("anonymous:"):  # the dev-mode demo viewer is ADMIN
            return Actor(user_id, frozenset({"ADMIN"}), Scope.everything())
        creator = await of_user(db, SYSTEM, user_id, public_companies=self.public_companies)
        if creator is None:
            raise Refused(403, ErrorCode.FORBIDDEN, "the job's creator is no longer active")
        return creator

    def _advance(self, job_id: str) -> Any:
        def advance(n: int) -> None:
            self.progress[job_id] = self.progress.get(job_id, 0) + n

        return advance

    async def _import(
        self, db: Database, row: TransferJobRow, actor: Actor, restarted: bool = False
    ) -> tuple[JobStatus, dict[str, Any]]:
        files = files_of(self.directory, row["id"], row["format"])
        viewer = Viewer(actor.id, actor.id, actor.roles, scope=actor.scope)
        if not may_import(viewer):
            raise Refused(403, ErrorCode.FORBIDDEN, "the job's creator may no longer import")
        dry = bool(row.get("dryRun"))
        checkpoint = transfer.Checkpoint(
            files.checkpoint, transfer.fingerprint(files.upload, _digest(files))
        )
        resumed = checkpoint.committed if not dry else 0
        rows = _rows(files)
        linked = (
            frozenset()
            if files.mapping.exists()
            else await asyncio.to_thread(fmt.linked_branches, files.exported, files.form)
        )
        guard: dict[str, Any] | None = None
        if not actor.scope.edit_all:
            # Settled once, before the first batch, and kept: a resumed import judges its rows
            # as the first run did, not by what that run has written since.
            if files.guard.exists():
                guard = orjson.loads(files.guard.read_bytes())
            else:
                guard = await _scan(db, actor, _rows(files))
                files.guard.write_bytes(orjson.dumps(guard))
            rows = _guarded(rows, set(guard["forbidden"]), guard.get("review"), guard.get("hidden"))
        # A cancel stops the reading: the rows already read are written as the last batch.
        until = _Until(rows, lambda: self._stopping(row["id"]))
        audit = Audit(actor, "transfer.import", f"transfer:{row['id']}")
        try:
            out = await transfer.run_import(
                None if dry else db,
                until,
                audit,
                report=files.report,
                checkpoint=checkpoint,
                batch=self.batch,
                advance=self._advance(row["id"]),
                allow_duplicates=bool(row.get("allowDuplicates")),
                reader=db if dry else None,  # a dry run reads the custom field definitions
                committed=None if guard is None else _claims_as_written(db, guard, audit),
                linked=linked,
                stop=until.halted,
            )
        except Exception:
            if not dry:  # it may have written staff lines before it stopped
                auth.forget_everywhere()
                if guard is not None:
                    # What it wrote before it failed is the importer's, as on success: else
                    # those customers would stay hidden from the rep who imported them.
                    with contextlib.suppress(Exception):
                        await _claim_created(db, guard, audit)
            raise
        except BaseException:
            if not dry:
                auth.forget_everywhere()
            raise
        if out.staff:
            # Roles, teams, archived users or staff edges changed: this worker's cached
            # sign-ins would keep the old rights for CRM_AUTH_CACHE_SECONDS.
            auth.forget_everywhere()
        if guard is not None and not dry:
            await _claim_created(db, guard, audit)
        rejected, duplicates = _report_counts(files.report)
        props: dict[str, Any] = {
            "rows": out.rows + out.skipped,
            "created": out.created,
            "updated": out.updated,
            "rejected": rejected,
            "duplicates": duplicates,
            "resumedAfter": resumed,
            # Run again after a stop: a batch the stop caught between its commit and its
            # checkpoint was read again, and is not counted as created here.
            "restarted": restarted,
            "error": None,
        }
        if not until.cut:
            return JobStatus.SUCCEEDED, props
        read = out.rows + out.skipped
        kept = (
            "nothing was written (a dry run)"
            if dry
            else "their changes are kept (the counts and the report show them)"
        )
        props["note"] = (
            f"Cancelled at a batch boundary after row {read}: rows 1-{read} were imported or "
            f"reported and {kept}; the rest of the file was not imported."
        )
        return JobStatus.CANCELLED, props

    async def _export(
        self, db: Database, row: TransferJobRow, actor: Actor
    ) -> tuple[JobStatus, dict[str, Any]]:
        files = files_of(self.directory, row["id"], row["format"])
        files.folder.mkdir(parents=True, exist_ok=True)
        guards = Guards(self.pseudonym_key)
        for attempt in range(1, EXPORT_ATTEMPTS + 1):
            try:
                records = await self._read_export(db, row["id"], actor, guards)
                break
            except QueryTimeout:
                # A page read stalled (a busy server, a long GC): read it all again, a bounded
                # number of times; a database that stays this slow fails the job, saying so.
                if attempt == EXPORT_ATTEMPTS:
                    raise
                log.warning("transfer: job %s: a read timed out; reading again", row["id"])
                await asyncio.sleep(attempt)
        if not self._stopping(row["id"]):
            self.progress[row["id"]] = len(records)
            if not actor.scope.read_all:  # first: no export is downloadable unchecked
                await asyncio.to_thread(_write_shown, records, files)
            n = await asyncio.to_thread(_write_export, records, files)
            return JobStatus.SUCCEEDED, {"exported": n, "error": None}
        await asyncio.to_thread(_remove_export, files)
        note = "Cancelled before the export was written; no file was kept."
        return JobStatus.CANCELLED, {"exported": 0, "error": None, "note": note}

    async def _read_export(
        self, db: Database, job_id: str, actor: Actor, guards: Guards
    ) -> list[fmt.Record]:
        records: list[fmt.Record] = []
        stream = transfer.export_records(db, actor, guards)
        try:
            async for record in stream:
                if self._stopping(job_id):
                    break
                records.append(record)
        finally:
            aclose = getattr(stream, "aclose", None)  # left early: end its read now
            if aclose is not None:
                await aclose()
        return records


class _Until:
    """The rows until `stop()` says so (checked before each row is read); `cut` tells whether
    it stopped early."""

    def __init__(
        self, rows: Iterator[transfer.Prepared | list[transfer.Rejection]], stop: Callable[[], bool]
    ) -> None:
        self.rows, self.stop, self.cut = rows, stop, False

    def __iter__(self) -> _Until:
        return self

    def halted(self) -> bool:
        """A stop asked for: the import drops what it read ahead (run_import's `stop`)."""
        if self.stop():
            self.cut = True
        return self.cut

    def __next__(self) -> transfer.Prepared | list[transfer.Rejection]:
        if self.stop():
            # A stop asked for after the last row cut nothing: the file was read whole.
            next(self.rows)  # StopIteration when so
            self.cut = True
            raise StopIteration
        return next(self.rows)


def _remove_export(files: Files) -> None:
    """A cancelled export's files: the partial one and any earlier run's."""
    shutil.rmtree(files.folder / "export-csv", ignore_errors=True)
    for path in (files.folder / "export.tmp", files.output):
        path.unlink(missing_ok=True)


def _report_counts(report: Path) -> tuple[int, int]:
    """Rows rejected and rows held as duplicates, from the whole report (a resumed import
    appends to it, so this counts both runs)."""
    if not report.exists():
        return 0, 0
    rows: set[str] = set()
    held: set[str] = set()
    with open(report, newline="", encoding="utf-8") as f:
        for line in csv.DictReader(f):
            rows.add(line["row"])
            # Held as a likely duplicate: field `row`. A repeated id in the file is DUPLICATE
            # at its id, a rejection like any other (as the CLI counts).
            if line["code"] == ErrorCode.DUPLICATE.value and line["field"] == "row":
                held.add(line["row"])
    return len(rows), len(held)


def _write_export(records: list[fmt.Record], files: Files) -> int:
    """The export file, written beside and renamed into place: a download never sees half.
    A failed write (a full disk) leaves no partial file behind to keep the disk full."""
    tmp = files.folder / "export.tmp"
    folder = files.folder / "export-csv"
    try:
        if files.form == "jsonl":
            n = fmt.write_jsonl(records, tmp)
        elif files.form == "graphml":
            n = fmt.write_graphml(records, tmp)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            n = fmt.write_csv_dir(records, folder)
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                for path in sorted(folder.iterdir()):
                    z.write(path, path.name)
        tmp.replace(files.output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return n


_ACCOUNT_LABELS = frozenset({Label.COMPANY.value, Label.PERSON.value, Label.PROJECT.value})


def _write_shown(records: list[fmt.Record], files: Files) -> None:
    """The companies, people and projects the export shows, as nodes or edge ends."""
    ids: set[str] = set()
    for r in records:
        if r.get("kind") == "node" and r.get("label") in _ACCOUNT_LABELS:
            ids.add(str(r["id"]))
        elif r.get("kind") == "edge":
            ids.update(
                str(r[end]) for end in ("from", "to") if r.get(end + "Label") in _ACCOUNT_LABELS
            )
    files.shown.write_bytes(orjson.dumps(sorted(ids)))


# --- HTTP -------------------------------------------------------------------------------------


async def _viewer(request: Request) -> Viewer:
    state = request.app.state
    if not getattr(state, "ready", False):
        raise Refused(
            503, ErrorCode.DATABASE_UNAVAILABLE, "The database is not ready yet; retry shortly."
        )
    try:
        viewer: Viewer = await state.auth.viewer(request.headers.getlist("authorization"))
    except ApiError as exc:
        raise Refused(401, ErrorCode.UNAUTHENTICATED, exc.message) from exc
    return viewer


def _actor(viewer: Viewer) -> Actor:
    return Actor(viewer.actor, viewer.roles, viewer.scope)


def _format(request: Request) -> str:
    form = request.query_params.get("format", "")
    if form not in FORMATS:
        raise Refused(
            400, ErrorCode.VALIDATION, f"format must be one of {', '.join(FORMATS)}", "format"
        )
    return form


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").strip().lower()
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no", ""):
        return False
    raise Refused(400, ErrorCode.VALIDATION, f"{name} must be true or false", name)


class _TooLarge(Exception):
    pass


def _capped(receive: Receive, limit: int) -> Receive:
    """A `receive` that stops the request past `limit` body bytes."""
    size = 0

    async def capped() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise _TooLarge
        return message

    return capped


def _too_large(limit: int) -> Refused:
    return Refused(
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The upload is larger than {limit} bytes (CRM_TRANSFER_MAX_BYTES); use "
        "`crm-graph import` for files this size.",
        "file",
    )


async def _save(chunks: AsyncIterator[bytes], path: Path) -> int:
    size = 0
    with open(path, "wb") as out:  # noqa: ASYNC230 (a local file, written chunk by chunk)
        async for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return size


async def _upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 16):
        yield chunk


async def _receive_upload(request: Request, files: Files, limit: int) -> None:
    """The body into the job's folder: the whole body is the file, or multipart parts
    `file` and `mapping`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    capped = Request(request.scope, _capped(request.receive, limit))
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            async with capped.form(max_files=2, max_fields=2) as form:
                part = form.get("file")
                if not isinstance(part, UploadFile):
                    raise Refused(400, ErrorCode.VALIDATION, "send the file as part `file`", "file")
                await _save(_upload_chunks(part), files.upload)
                mapping = form.get("mapping")
                if isinstance(mapping, UploadFile):
                    await _save(_upload_chunks(mapping), files.mapping)
                elif isinstance(mapping, str) and mapping.strip():
                    files.mapping.write_text(mapping, encoding="utf-8")
        else:
            await _save(capped.stream(), files.upload)
    except _TooLarge as exc:
        raise _too_large(limit) from exc
    except MultiPartException as exc:
        raise Refused(400, ErrorCode.BAD_REQUEST, f"malformed multipart body: {exc}") from exc
    except HTTPException as exc:  # Starlette's own form parser says 400 so, inside an app
        raise Refused(
            400, ErrorCode.BAD_REQUEST, f"malformed multipart body: {exc.detail}"
        ) from exc
    if files.upload.stat().st_size == 0:
        raise Refused(400, ErrorCode.VALIDATION, "the file is empty", "file")
    if files.mapping.exists() and files.mapping.stat().st_size > MAPPING_MAX_BYTES:
        raise Refused(400, ErrorCode.VALIDATION, "the mapping file is too large", "mapping")


def _check_files(files: Files, limit: int) -> None:
    """What the worker will read, checked now: a job that cannot start is not queued."""
    if files.mapping.exists():
        try:
            mapping = transfer.load_mapping(files.mapping, None)
            transfer.check_form(mapping, files.form)
            if files.form == "csv" and mapping.graph is None:
                # Else the job would run and reject every row for want of the column.
                transfer.check_header(mapping, files.upload)
        except transfer.TransferError as exc:
            message = str(exc).replace(str(files.mapping) + ": ", "")
            raise Refused(400, ErrorCode.VALIDATION, message, "mapping") from exc
    elif files.form == "csv":
        if not zipfile.is_zipfile(files.upload):
            raise Refused(
                400,
                ErrorCode.VALIDATION,
                "a CSV file needs a mapping: send the request as multipart/form-data with the "
                "parts `file` and `mapping` (a CSV export's ZIP needs none)",
                "mapping",
            )
        _unzip_export(files, limit)


# The files a CSV export's ZIP holds (graph/transfer_formats.py read_csv_dir reads them).
EXPORT_CSV_NAMES = re.compile(
    r"(teams|users|customFields|products|(nodes|edges|records)-[A-Za-z_]+)\.csv"
)
# How much larger than the upload limit a CSV export's files may be, unpacked.
UNZIPPED_FACTOR = 20


def _unzip_export(files: Files, limit: int) -> None:
    """A CSV export's ZIP, unpacked into the job's folder: flat file names the export
    writes only (nothing lands outside the folder), and at most UNZIPPED_FACTOR times the
    upload limit in all (a ZIP bomb is refused before anything is unpacked; zipfile stops
    a member at its declared size)."""

    def refused(message: str) -> Refused:
        return Refused(400, ErrorCode.VALIDATION, message, "file")

    try:
        with zipfile.ZipFile(files.upload) as z:
            members = [m for m in z.infolist() if not m.is_dir()]
            for m in members:
                if not EXPORT_CSV_NAMES.fullmatch(m.filename):
                    raise refused(
                        f"{m.filename[:100]!r} is not a file a CSV export holds (teams.csv, "
                        "users.csv, customFields.csv, nodes-<Label>.csv, edges-<TYPE>.csv, "
                        "products.csv, records-<KIND>.csv)"
                    )
            if sum(m.file_size for m in members) > UNZIPPED_FACTOR * limit:
                raise refused(f"unpacked, the ZIP is over {UNZIPPED_FACTOR} times the upload limit")
            files.unzipped.mkdir(exist_ok=True)
            for m in members:
                with z.open(m) as src, open(files.unzipped / m.filename, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 16)
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:
        raise refused(f"the ZIP cannot be read: {exc}") from exc


def _accepted(request: Request, job_id: str) -> Response:
    url = f"/transfer/jobs/{job_id}"
    body = {"id": job_id, "status": JobStatus.QUEUED.value, "statusUrl": url}
    return JSONResponse(body, status_code=202, headers={"Location": url})


async def _guarded_call(request: Request, handler: Any, method: str = "GET") -> Response:
    """Every handler's refusals as JSON; nothing unexpected leaves as a stack trace. The
    routes take every method, so that a wrong one is refused here, as JSON too."""
    try:
        if request.method != method and (method, request.method) != ("GET", "HEAD"):
            raise Refused(
                405, ErrorCode.METHOD_NOT_ALLOWED, f"Use {method} for {request.url.path}."
            )
        response: Response = await handler(request)
        return response
    except Refused as exc:
        return exc.response()
    except DatabaseUnavailable as exc:
        return Refused(503, ErrorCode.DATABASE_UNAVAILABLE, exc.client_message()).response()
    except Exception:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        log.exception("transfer: unexpected error in request %s", request_id)
        message = f"Internal error. Quote request id {request_id} when reporting it."
        return Refused(500, ErrorCode.INTERNAL, message).response()


async def submit_import(request: Request) -> Response:
    return await _guarded_call(request, _submit_import, "POST")


async def _submit_import(request: Request) -> Response:
    viewer = await _viewer(request)
    if not may_import(viewer):  # the role first: tester AZ's analyst was told of a format
        raise Refused(
            403, ErrorCode.FORBIDDEN, "Your roles may not create companies and people.", None
        )
    form = _format(request)
    dry, allow = _flag(request, "dryRun"), _flag(request, "allowDuplicates")
    worker: Worker = request.app.state.transfer
    settings = request.app.state.settings
    job_id = str(uuid.uuid4())
    files = files_of(worker.directory, job_id, form)
    files.folder.mkdir(parents=True, exist_ok=True)
    try:
        await _receive_upload(request, files, settings.transfer_max_bytes)
        # Off the event loop: a CSV export's ZIP may unpack to many megabytes.
        await asyncio.to_thread(_check_files, files, settings.transfer_max_bytes)
        props = {"format": form, "dryRun": dry, "allowDuplicates": allow}
        audit = Audit(_actor(viewer), "transfer.import.submit", _request_id(request))
        await repo.create_job(request.app.state.db, job_id, JobKind.IMPORT, props, audit)
    except BaseException:
        shutil.rmtree(files.folder, ignore_errors=True)
        raise
    worker.wake()
    return _accepted(request, job_id)


async def submit_export(request: Request) -> Response:
    return await _guarded_call(request, _submit_export, "POST")


async def _submit_export(request: Request) -> Response:
    viewer = await _viewer(request)
    form = _format(request)
    worker: Worker = request.app.state.transfer
    job_id = str(uuid.uuid4())
    # The folder makes it this worker's job to run (Worker: the jobs whose files it holds).
    folder = files_of(worker.directory, job_id, form).folder
    folder.mkdir(parents=True, exist_ok=True)
    audit = Audit(_actor(viewer), "transfer.export.submit", _request_id(request))
    try:
        await repo.create_job(request.app.state.db, job_id, JobKind.EXPORT, {"format": form}, audit)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    worker.wake()
    return _accepted(request, job_id)


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


async def _job(request: Request) -> tuple[TransferJobRow, Worker]:
    viewer = await _viewer(request)
    job_id = request.path_params["id"]
    row = await repo.job(request.app.state.db, _actor(viewer), job_id)
    if row is None:
        raise Refused(404, ErrorCode.NOT_FOUND, f"No transfer job {job_id}.", "id")
    return row, request.app.state.transfer


def _iso(value: Any) -> str | None:
    value = native(value)
    return None if value is None else value.isoformat()


def job_json(row: TransferJobRow, progress: int | None) -> dict[str, Any]:
    base = f"/transfer/jobs/{row['id']}"
    out: dict[str, Any] = {
        "id": row["id"],
        "kind": row["kind"],
        "format": row["format"],
        "status": row["status"],
        "createdBy": row["createdBy"],
        "createdAt": _iso(row["createdAt"]),
        "startedAt": _iso(row.get("startedAt")),
        "finishedAt": _iso(row.get("finishedAt")),
        "error": row.get("error"),
        "statusUrl": base,
        "cancelRequested": bool(row.get("cancelRequested")),
        "note": row.get("note"),
        "expiredAt": _iso(row.get("expiredAt")),
    }
    if row["kind"] == JobKind.IMPORT.value:
        out["dryRun"] = bool(row.get("dryRun"))
        out["allowDuplicates"] = bool(row.get("allowDuplicates"))
        n = {
            k: int(row.get(k) or 0)  # type: ignore[call-overload]
            for k in ("rows", "created", "updated", "rejected", "duplicates")
        }
        out["resumedAfterRow"] = int(row.get("resumedAfter") or 0)
        out["restarted"] = bool(row.get("restarted"))
        # Rows that passed every check (what a dry run would write), and of those, rows the
        # CRM already held as they are: unknown after a resume (the first run's writes are
        # not counted again) or before the job succeeds.
        valid = n["rows"] - n["rejected"]
        known = (
            row["status"] == JobStatus.SUCCEEDED.value
            and not out["dryRun"]
            and not out["resumedAfterRow"]
            and not out["restarted"]
        )
        unchanged = valid - n["created"] - n["updated"] if known else None
        out["counts"] = {**n, "valid": valid, "unchanged": unchanged}
        out["reportUrl"] = base + "/report"
    else:
        out["counts"] = {"exported": int(row.get("exported") or 0)}
        out["downloadUrl"] = base + "/download"
    if progress is not None:
        out["rowsRead"] = progress
    return out


async def job_status(request: Request) -> Response:
    async def handle(request: Request) -> Response:
        row, worker = await _job(request)
        return JSONResponse(job_json(row, worker.progress.get(row["id"])))

    return await _guarded_call(request, handle)


def _not_expired(row: TransferJobRow) -> None:
    if row.get("expiredAt") is not None:
        raise Refused(
            410,
            TransferCode.EXPIRED,
            f"The job finished on {_iso(row.get('finishedAt'))} and its files were removed "
            "(CRM_TRANSFER_KEEP_DAYS); its status remains.",
            "id",
        )


def _no_report(row: TransferJobRow) -> str:
    """Why an import job has no report (yet)."""
    status = row["status"]
    if status == JobStatus.QUEUED.value:
        return "The import has not started yet."
    if status == JobStatus.RUNNING.value:
        return "The import is running and has not started its report yet."
    if status == JobStatus.FAILED.value:
        return f"The import failed before it wrote a report: {row.get('error') or 'no reason'}"
    if status == JobStatus.CANCELLED.value:
        return "The import was cancelled before it started; it has no report."
    return f"The import is {status} and has no report."


async def job_report(request: Request) -> Response:
    async def handle(request: Request) -> Response:
        row, worker = await _job(request)
        files = files_of(worker.directory, row["id"], row["format"])
        if row["kind"] != JobKind.IMPORT.value:
            raise Refused(404, ErrorCode.NOT_FOUND, "An export job has no report.", "id")
        _not_expired(row)
        if not files.report.exists():
            raise Refused(409, ErrorCode.CONFLICT, _no_report(row), "id")
        return FileResponse(
            files.report, media_type="text/csv", filename=f"rejected-{row['id']}.csv"
        )

    return await _guarded_call(request, handle)


async def job_download(request: Request) -> Response:
    async def handle(request: Request) -> Response:
        row, worker = await _job(request)
        files = files_of(worker.directory, row["id"], row["format"])
        if row["kind"] != JobKind.EXPORT.value:
            raise Refused(404, ErrorCode.NOT_FOUND, "An import job has nothing to download.", "id")
        _not_expired(row)
        if row["status"] != JobStatus.SUCCEEDED.value or not files.output.exists():
            raise Refused(
                409, ErrorCode.CONFLICT, f"The export is {row['status']}, not SUCCEEDED.", "id"
            )
        if files.shown.exists():
            ids = orjson.loads(await asyncio.to_thread(files.shown.read_bytes))
            viewer = await _viewer(request)
            gone = await repo.unseen(request.app.state.db, _actor(viewer), ids)
            if gone:
                raise Refused(
                    409,
                    ErrorCode.CONFLICT,
                    f"Your access changed after this export ran: {gone} of the companies, "
                    "people and projects in it are no longer yours to see (or were deleted). "
                    "Export again.",
                    "id",
                )
        return FileResponse(
            files.output,
            media_type=MEDIA[row["format"]],
            filename=f"crm-{row['id']}-{DOWNLOAD_NAMES[row['format']]}",
        )

    return await _guarded_call(request, handle)


def _first(request: Request) -> int:
    raw = request.query_params.get("first", str(PAGE_DEFAULT)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_MAX:
        raise Refused(
            400, ErrorCode.VALIDATION, f"first must be a whole number from 1 to {PAGE_MAX}", "first"
        )
    return int(raw)


def _status_filter(request: Request) -> JobStatus | None:
    raw = request.query_params.get("status")
    if raw is None or raw == "":
        return None
    try:
        return JobStatus(raw.strip().upper())
    except ValueError:
        names = ", ".join(s.value for s in JobStatus)
        raise Refused(
            400, ErrorCode.VALIDATION, f"status must be one of {names}", "status"
        ) from None


def _status_key(status: JobStatus | None) -> str | None:
    return None if status is None else status.value


def _after(request: Request, status: JobStatus | None) -> tuple[str, str] | None:
    raw = request.query_params.get("after")
    if not raw:
        return None
    try:
        at, job_id = decode_cursor("transferJobs", raw, 2, of=[_status_key(status)])
    except ApiError:
        at, job_id = "", ""
    # A date the calendar lacks (2026-02-30) would fail in Cypher's datetime().
    if not _NEO4J_TIME.fullmatch(at) or not is_time(at) or not job_id:
        raise Refused(400, ErrorCode.VALIDATION, "after is not a cursor this API issued", "after")
    return at, job_id


async def list_jobs(request: Request) -> Response:
    async def handle(request: Request) -> Response:
        viewer = await _viewer(request)
        first, status = _first(request), _status_filter(request)
        after = _after(request, status)
        worker: Worker = request.app.state.transfer
        rows = await repo.jobs(request.app.state.db, _actor(viewer), first + 1, status, after)
        page = rows[:first]
        end = (
            encode_cursor(
                "transferJobs", page[-1]["at"], page[-1]["job"]["id"], of=[_status_key(status)]
            )
            if page
            else None
        )
        body = {
            "nodes": [job_json(r["job"], worker.progress.get(r["job"]["id"])) for r in page],
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end},
        }
        return JSONResponse(body)

    return await _guarded_call(request, handle)


async def cancel_job(request: Request) -> Response:
    async def handle(request: Request) -> Response:
        viewer = await _viewer(request)
        job_id = request.path_params["id"]
        worker: Worker = request.app.state.transfer
        audit = Audit(_actor(viewer), "transfer.cancel", _request_id(request))
        found = await repo.cancel(request.app.state.db, _actor(viewer), job_id, audit)
        if found is None:
            raise Refused(404, ErrorCode.NOT_FOUND, f"No transfer job {job_id}.", "id")
        row, was = found["job"], found["was"]
        if was in FINISHED:
            raise Refused(
                409, ErrorCode.CONFLICT, f"The job is already {was}; nothing to cancel.", "id"
            )
        if was == JobStatus.QUEUED.value:  # never started, and now never will: its upload goes
            folder = files_of(worker.directory, job_id, row["format"]).folder
            await asyncio.to_thread(shutil.rmtree, folder, True)
            return JSONResponse(job_json(row, None))
        if job_id in worker.progress:  # running here; another process sees it at a beat
            worker.request_stop(job_id)
        return JSONResponse(job_json(row, worker.progress.get(job_id)), status_code=202)

    return await _guarded_call(request, handle, "POST")
