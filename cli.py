"""`crm-graph`: serve the API, run migrations, manage the local Neo4j, seed, manage API keys,
export the SDL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import migrations
from graph import crypto, demo
from graph.actor import Actor
from graph.db import Database
from graph.migrate import MigrationError, Runner
from graph.server import LocalNeo4j, LocalServerError, Supervisor, ensure_jars
from settings import ROOT, Settings, SettingsError
from settings import port as settings_port
from settings import workers as settings_workers

if TYPE_CHECKING:  # the resolvers load only for the commands that use them
    from resolvers.transfer_parallel import Check

log = logging.getLogger("crm.cli")


def _local(settings: Settings) -> LocalNeo4j:
    return LocalNeo4j(
        settings.local_home,
        settings.local_data_dir,
        settings.local_bolt_port,
        settings.local_heap,
        settings.local_pagecache,
    )


def _check_data_dir(settings: Settings) -> None:
    """The embedded Neo4j's directories under a file, or not ours to write: said in one line
    (LocalServerError) before Neo4j or neo4j-admin fails on them with a traceback. The
    instance directory (configuration, logs) sits beside the data directory."""
    if settings.neo4j_uri:
        return
    local = _local(settings)
    assert local.data_dir is not None
    for variable, directory in (
        ("CRM_NEO4J_HOME", local.home),
        ("CRM_NEO4J_DATA_DIR", local.data_dir),
        ("CRM_NEO4J_DATA_DIR", local.instance_dir),
    ):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if not os.access(directory, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "Permission denied")
        except OSError as exc:
            shown = local.data_dir if directory == local.instance_dir else directory
            where = "" if directory == shown else f" (its instance directory {directory})"
            raise LocalServerError(
                f"{variable}={shown}: cannot make or write the directory{where} "
                f"({exc.strerror or exc})"
            ) from None


@contextlib.contextmanager
def database_settings(settings: Settings, supervise: bool = False) -> Iterator[Settings]:
    """Settings pointing at a running Neo4j: NEO4J_URI, a running local one, or one we start
    here and stop on the way out (Ctrl-C included). `supervise` restarts the one we start
    whenever it dies (serve)."""
    if settings.neo4j_uri:
        yield settings
        return
    local = _local(settings)  # its directories were checked first (_main, _serve)
    started = False
    supervisor: Supervisor | None = None
    if local.running_pid() is None:
        print(f"starting the embedded Neo4j (data in {local.data_dir}) ...", flush=True)
        local.start()
        started = True
        if supervise:
            supervisor = Supervisor(local, max_backoff=settings.local_restart_max_backoff).start()
    try:
        yield replace(settings, neo4j_uri=local.uri, neo4j_password=local.password)
    finally:
        if started:
            print("stopping the embedded Neo4j ...", flush=True)
            if supervisor is not None:
                supervisor.stop()
            local.stop()


def _db(settings: Settings) -> Database:
    assert settings.neo4j_uri
    return Database(
        settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database
    )


async def _migrate(settings: Settings, action: str) -> int:
    db = _db(settings)
    try:
        runner = Runner(db, migrations.DIRECTORY, settings.neo4j_user)
        if action == "apply":
            done = await runner.apply()
            print("applied: " + (", ".join(done) if done else "nothing (up to date)"))
        else:
            for st in await runner.status():
                print(f"{'applied' if st.applied else 'pending':8} {st.version:>6}  {st.source}")
        return 0
    finally:
        await db.close()


async def _seed(settings: Settings) -> int:
    db = _db(settings)
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        loaded = await demo.seed_if_empty(db)
        if loaded:
            from resolvers import transfer_records

            await transfer_records.settle_digests(db)
        print("demo data loaded" if loaded else "database not empty: demo data not loaded")
        return 0
    finally:
        await db.close()


async def _score(settings: Settings, args: argparse.Namespace) -> int:
    """One scoring run with a progress bar; exits 3 when another process holds the lock."""
    from tqdm import tqdm

    from graph import intelligence
    from graph.nodes import Audit

    db = _db(settings)
    bar = tqdm(unit=" customers", desc="scoring", disable=args.quiet)
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()

        def total(n: int) -> None:
            bar.total = n
            bar.refresh()

        progress = intelligence.Progress(total=total, advance=bar.update)
        today = date.fromisoformat(args.today) if args.today else None
        who = Audit(Actor("system:cli"), "scoring.run", "cli")
        out = await intelligence.run(db, who, today, progress)
        bar.close()
        if out is None:
            print("another scoring run holds the lock; nothing done", file=sys.stderr)
            return 3
        fit = "BG/NBD fitted" if out["fitted"] else f"BG/NBD not fitted: {out['fitSkipped']}"
        print(
            f"scored {out['customers']} customers in {out['seconds']:.1f}s: {out['moved']} "
            f"moved, {out['stageChanges']} lifecycle changes, {out['excluded']} excluded "
            f"(objected to profiling); {fit}"
        )
        return 0
    finally:
        bar.close()
        await db.close()


async def _api_key(settings: Settings, args: argparse.Namespace) -> int:
    """Keys without the API: the first admin's key in production, and the demo keys' end."""
    from graph import apikey, demo_data
    from graph.actor import Actor
    from graph.nodes import Audit
    from resolvers.auth import hash_key, new_secret

    audit = Audit(Actor("system:cli"), "apiKey." + args.action, "cli")
    db = _db(settings)
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        if args.action == "revoke-demo":
            hashes = [hash_key(user[4]) for user in demo_data.USERS.values()]
            names = await apikey.revoke_hashes(db, hashes, audit)
            print("revoked demo keys of: " + (", ".join(names) if names else "nobody"))
            return 0
        if not args.user or not args.name:
            print("crm-graph: api-key create needs --user and --name", file=sys.stderr)
            return 2
        expires = datetime.fromisoformat(args.expires) if args.expires else None
        secret, prefix = new_secret()
        new = apikey.NewKey(args.user, args.name, hash_key(secret), prefix, expires)
        made = await apikey.create(db, new, audit)
        if made.key is None:
            print(f"crm-graph: no active user with id {args.user}", file=sys.stderr)
            return 1
        print(f"key {made.key['id']} for {args.user}; the secret, shown this once:")
        print(secret)
        return 0
    finally:
        await db.close()


async def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    """The first admin of an empty database (production loads no demo users): a User with the
    ADMIN role, checked as createUser checks it; `api-key create` then gives it a key."""
    from graph.access import Scope
    from resolvers import user
    from resolvers.context import Context, Viewer

    viewer = Viewer("system:cli", "cli", frozenset({"ADMIN"}), scope=Scope.everything())
    db = _db(settings)
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        data: dict[str, Any] = {"name": args.name, "roles": ["ADMIN"]}
        if args.email:
            data["email"] = args.email
        made = await user.create_user(Context(db, viewer, "cli"), data)
        for e in made["errors"]:
            field = str(e["field"] or "").removeprefix("input.")
            print(f"crm-graph: --{field or 'name'}: {e['message']} ({e['code']})", file=sys.stderr)
        if made["errors"]:
            return 2
        uid = made["user"]["id"]
        print(f"admin user {uid}; give it a key: crm-graph api-key create --user {uid} --name ops")
        return 0
    finally:
        await db.close()


async def _data_keys(settings: Settings, action: str) -> int:
    """`encrypt-ids`: encrypt plain ID numbers; `rotate-data-key`: re-encrypt under the
    newest key and recompute digests (README, Personal data). Both idempotent."""
    crypto.configure(crypto.keyring_for(settings))
    db = _db(settings)
    actor = Actor(f"system:cli:{action}")
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        if action == "encrypt-ids":
            done = await crypto.encrypt_plain_ids(db, actor)
            print(f"encrypted {done} plain ID numbers")
        else:
            done = await crypto.rotate(db, actor)
            print(
                f"re-encrypted or re-hashed {done} ID numbers under key {crypto.keyring().newest}"
            )
        return 0
    finally:
        await db.close()


async def _classify(settings: Settings, dry_run: bool) -> int:
    """Re-run the classification rules over every customer (graph/classification.py)."""
    from graph import classification
    from graph.nodes import Audit

    db = _db(settings)
    audit = Audit(
        Actor("system:cli:classify", frozenset({"ADMIN"})), "classification.review", "cli"
    )
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        try:
            done = await classification.review(db, audit, dry_run)
        except classification.ReviewRunning as exc:
            print(f"crm-graph: {exc}", file=sys.stderr)
            return 1
        verb = "would change" if dry_run else "changed"
        print(f"classified {done['customers']} customers: {verb} {done['changed']} classes")
        if done["id"]:
            print(f"review {done['id']}")
        return 0
    finally:
        await db.close()


async def _find_duplicates(settings: Settings, kinds: list[str]) -> int:
    """Scan for duplicate companies and people and store the candidates (graph/duplicates.py)."""
    from graph import duplicates
    from graph.nodes import Audit
    from graph.vocab import Label

    db = _db(settings)
    audit = Audit(Actor("system:cli:duplicates", frozenset({"ADMIN"})), "duplicates.scan", "cli")
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        for kind in kinds:
            done = await duplicates.scan(db, Label(kind), audit)
            print(
                f"{kind}: {done['records']} records, {done['comparisons']} pairs compared in "
                f"{done['blocks']} blocks ({done['skippedBlocks']} over "
                f"{duplicates.MAX_BLOCK} skipped), {done['candidates']} candidates "
                f"({done['dismissed']} dismissed before), {done['removed']} removed, "
                f"{done['seconds']} s"
            )
        return 0
    finally:
        await db.close()


def _plan_rows(path: str) -> list[dict[str, object]]:
    """The rows of a plans CSV (header: period,dimension,target,currency,amount[,note]) as
    savePlans input rows."""
    import csv
    from decimal import Decimal, InvalidOperation

    rows: list[dict[str, object]] = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for line in csv.DictReader(f):
            row: dict[str, object] = {k: (v or "").strip() or None for k, v in line.items() if k}
            try:
                row["amount"] = Decimal(str(row["amount"])) if row.get("amount") else None
            except InvalidOperation:
                row["amount"] = Decimal("NaN")  # reported as a bad amount with its line
            rows.append(row)
    return rows


async def _import_plans(settings: Settings, path: str, rows: list[dict[str, object]]) -> int:
    """Sales plans from a CSV file, saved as one savePlans call by ADMIN: every row checked
    first, nothing written on any problem, the same file again writes nothing."""
    from graph import plans
    from graph.access import Scope
    from graph.nodes import Audit
    from resolvers import plans as resolve
    from resolvers.validation import Errors

    errors = Errors()
    parsed = resolve.parse_rows(rows, errors)
    if not errors:
        db = _db(settings)
        actor = Actor("system:cli:import-plans", frozenset({"ADMIN"}), Scope.everything())
        try:
            await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
            result = await plans.save(db, parsed, Audit(actor, "plans.import", "cli"))
        finally:
            await db.close()
        errors.extend(resolve.refusal_error(r) for r in result.refusals)
        if not errors:
            print(f"{len(parsed)} plans read, {result.changed} written")
            return 0
    for e in errors:
        where = str(e["field"] or "")
        line_no = ""
        if where.startswith("input.plans["):
            index = int(where[len("input.plans[") : where.index("]")])
            line_no = f"line {index + 2}: "
            where = where[where.index("]") + 2 :]
        # A message naming another row ("the same plan as input.plans[0]") names its line.
        message = re.sub(
            r"input\.plans\[(\d+)\]", lambda m: f"line {int(m[1]) + 2}", str(e["message"])
        )
        field = f"{where}: " if where else ""
        print(f"crm-graph: {path}: {line_no}{field}{message}", file=sys.stderr)
    print("nothing written", file=sys.stderr)
    return 1


def _csv_rows(path: str) -> list[dict[str, str | None]]:
    """A CSV file's rows, keyed by its header, values trimmed (blank: None)."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        return [
            {k: (v or "").strip() or None for k, v in r.items() if k} for r in csv.DictReader(f)
        ]


async def _import_checks(settings: Settings, path: str, rows: list[dict[str, str | None]]) -> int:
    """Call and mail results (R19) from a CSV file, recorded by ADMIN in batches of 500. A
    malformed file writes nothing; a row naming no such record is reported and skipped. The
    same file again changes nothing (a check's id follows from its content)."""
    from graph import verification as repo
    from graph.access import Scope
    from resolvers import verification as resolve
    from resolvers.context import Context, Viewer
    from resolvers.validation import Errors

    errors = Errors()
    checks = resolve.parse_rows(rows, errors)
    recorded = 0
    if not errors:
        db = _db(settings)
        admin = frozenset({"ADMIN"})
        viewer = Viewer(
            "system:cli:import-verifications", "import", admin, scope=Scope.everything()
        )
        ctx = Context(db, viewer, "cli")
        try:
            await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
            for start in range(0, len(checks), repo.MAX_BATCH):
                ids, refused = await resolve.record(
                    ctx, checks[start : start + repo.MAX_BATCH], "input.checks"
                )
                recorded += sum(1 for x in ids if x)
                for e in refused:
                    # input.checks[<index in the batch>][.<column>]: the column is kept.
                    index, column = _check_position(str(e["field"]))
                    errors.add(
                        e["code"], e["message"], f"input.checks[{index + start}].{column or 'id'}"
                    )
        finally:
            await db.close()
    for e in errors:
        index, column = _check_position(str(e["field"]))
        where = f"line {index + 2}: {column or 'row'}"
        code = getattr(e["code"], "value", e["code"])
        print(f"crm-graph: {path}: {where}: {code}: {e['message']}", file=sys.stderr)
    # A check's id is what it says: one already on file counts here and changes nothing.
    print(
        f"{len(rows)} rows read, {recorded} checks on file "
        "(a check already there is not written twice)"
    )
    return 1 if errors else 0


_CHECK_PATH = re.compile(r"input\.checks\[(\d+)\](?:\.(.+))?")


def _check_position(field: str) -> tuple[int, str]:
    """`input.checks[3].at` as (3, "at"): the row of a results file and its column."""
    m = _CHECK_PATH.fullmatch(field)
    return (int(m[1]), m[2] or "") if m else (-1, field)


def _at_least_one(text: str) -> int:
    """A count option's value: a whole number, 1 or more (0 would import nothing, or fail)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def _form(path: Path, given: str | None) -> str:
    if given:
        return given
    if path.is_dir():
        return "csv"
    ext = path.suffix.lower().lstrip(".")
    return {"ndjson": "jsonl", "json": "jsonl", "xml": "graphml"}.get(ext, ext)


@dataclass
class ImportJob:
    """What `crm-graph import` reads and where it reports, settled before any database work."""

    rows: Iterator[Any]
    report: Path
    checkpoint: Any  # resolvers.transfer.Checkpoint
    total: int | None
    records: bool = False  # a record file: the live path only (records need their customers)
    # The file's numbered lines and the check behind `rows`, when it checks each line on its
    # own (not a foreign GraphML file's): the admin path spreads them over processes.
    lines: tuple[Iterator[tuple[int, Any]], Check] | None = None
    # An export's branch-parent pairs, never held as duplicates (fmt.linked_branches).
    linked: frozenset[frozenset[Any]] = frozenset()


def _import_job(args: argparse.Namespace) -> ImportJob | str:
    """The job, or the message saying why there is none."""
    from graph import transfer_formats as fmt
    from resolvers import transfer

    path = Path(args.file)
    form = _form(path, args.format)
    if form not in ("csv", "jsonl", "graphml"):
        return f"say --format csv, jsonl or graphml for {path}"
    if not path.exists():
        return f"no such file: {path}"
    try:
        records = False
        lines: tuple[Iterator[tuple[int, Any]], Check] | None = None
        linked: frozenset[frozenset[Any]] = frozenset()
        if args.mapping:
            if path.is_dir():
                return "a mapping reads one file: CSV, JSONL or GraphML"
            mapping = transfer.load_mapping(Path(args.mapping), args.source)
            rows = transfer.mapped_rows(mapping, path, form)
            digest = mapping.digest
            records = mapping.record is not None
            if mapping.graph is None:
                check = functools.partial(transfer.table_rows, mapping)
                lines = (transfer.table_records(mapping, path, form), check)
        else:
            exported = (
                fmt.read_graphml(path)
                if form == "graphml"
                else fmt.read_csv_dir(path)
                if path.is_dir()
                else fmt.read_jsonl(path)
            )
            rows = transfer.graph_rows(exported)
            digest = "graph"
            lines = (exported, transfer.graph_rows)
            linked = fmt.linked_branches(path, form)
    except transfer.TransferError as exc:
        return str(exc)
    report = Path(args.report) if args.report else path.with_name(path.name + ".rejected.csv")
    checkpoint = transfer.Checkpoint(
        report.with_name(path.name + ".progress.json"), transfer.fingerprint(path, digest)
    )
    total = fmt.count_rows(path, form)
    return ImportJob(rows, report, checkpoint, total, records, lines, linked)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    job = _import_job(args)
    if isinstance(job, str):
        print(f"crm-graph: {job}", file=sys.stderr)
        return 2
    if args.dry_run:
        # The database the import would write is read (custom field definitions, REFERENCE
        # targets, likely duplicates), never written: NEO4J_URI's, or the embedded one when
        # it holds a store (started for the run if it is not serving). Without either there
        # is nothing to read yet, and the rows are checked against the file alone.
        if settings.neo4j_uri:
            return asyncio.run(_import(settings, job, args, dry=True))
        local = _local(settings)
        store = local.data_dir / "databases" / settings.neo4j_database if local.data_dir else None
        if local.running_pid() is None and (store is None or not store.exists()):
            return asyncio.run(_import(None, job, args, dry=True))
        with database_settings(settings) as s:
            return asyncio.run(_import(s, job, args, dry=True))
    if job.records:
        if args.path == "admin":
            print(
                "crm-graph: --path admin loads companies, people and relationships into an "
                "empty database; records need their customers in the database: import them "
                "with --path live (or auto)",
                file=sys.stderr,
            )
            return 2
        return _live_import(settings, job, args)
    if args.path == "live" or (settings.neo4j_uri and args.path == "auto"):
        return _live_import(settings, job, args)
    if settings.neo4j_uri:
        print(
            "crm-graph: --path admin writes the embedded database's store files, but NEO4J_URI "
            "names another server: import into it with --path live",
            file=sys.stderr,
        )
        return 2
    local = _local(settings)
    owner = local.supervisor_pid()
    store = local.data_dir / "databases" / settings.neo4j_database if local.data_dir else None
    if owner is not None or (store is not None and store.exists()):
        # Whether the database holds anything the admin path would overwrite.
        with database_settings(settings) as s:
            held = asyncio.run(_holds_data(s))
            if owner is not None or held is not None:
                why = (
                    f"crm-graph (pid {owner}) serves from the embedded Neo4j"
                    if owner is not None
                    else f"the embedded database is not empty (it holds {held} nodes)"
                )
                if args.path == "admin":
                    print(
                        f"crm-graph: --path admin refused: {why}, and neo4j-admin import would "
                        "overwrite it; import with --path live",
                        file=sys.stderr,
                    )
                    return 2
                print(f"path: live (batched writes; {why})", flush=True)
                return asyncio.run(_import(s, job, args))
    return _admin_import(settings, local, job, args)


def _live_import(settings: Settings, job: ImportJob, args: argparse.Namespace) -> int:
    print("path: live (batched writes)", flush=True)
    with database_settings(settings) as s:
        return asyncio.run(_import(s, job, args))


async def _holds_data(settings: Settings) -> str | None:
    """The label of a node beyond what the migrations seed, or None (an empty database)."""
    from graph import transfer_admin

    db = _db(settings)
    try:
        return await transfer_admin.holds_data(db, Actor("system:cli:import"))
    finally:
        await db.close()


def _admin_import(
    settings: Settings, local: LocalNeo4j, job: ImportJob, args: argparse.Namespace
) -> int:
    """The admin path: every row checked and settled in memory, then neo4j-admin database
    import full into the empty embedded database, the server stopped meanwhile."""
    from tqdm import tqdm

    from graph.access import Scope
    from graph.nodes import Audit
    from resolvers import transfer, transfer_admin, transfer_parallel

    print(
        "path: admin (neo4j-admin database import into the empty embedded database; "
        "the server is stopped meanwhile)",
        flush=True,
    )
    crypto.configure(crypto.keyring_for(settings))
    bar = tqdm(total=job.total, unit=" rows", desc="import", disable=args.quiet)
    try:
        rows = (
            transfer_parallel.checked(*job.lines, workers=args.workers) if job.lines else job.rows
        )
        plan, out = transfer_admin.prepare(rows, job.report, advance=bar.update)
    except (ValueError, transfer.TransferError) as exc:
        print(f"crm-graph: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    actor = Actor("system:cli:import", frozenset({"ADMIN"}), Scope.everything())

    def connect(server: LocalNeo4j) -> Database:
        return Database(server.uri, settings.neo4j_user, server.password, settings.neo4j_database)

    async def migrate(db: Database) -> None:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()

    if out.nodes:
        with _offline(local):
            asyncio.run(
                transfer_admin.load(
                    plan,
                    out,
                    local,
                    settings.neo4j_database,
                    connect,
                    migrate,
                    Audit(actor, "transfer.import", "cli"),
                )
            )
        took = ", ".join(f"{k} {v:.1f} s" for k, v in out.seconds.items())
        print(f"neo4j-admin wrote {out.nodes} nodes and {out.edges} relationships ({took})")
    else:
        print("nothing to write: the database is left as it was")
    unchanged = out.rows - out.rejected - out.created - out.updated
    print(
        f"{out.rows} rows read: {out.created} created, {out.updated} updated, "
        f"{unchanged} unchanged, {out.rejected} rejected (see {job.report})"
    )
    return 1 if out.rejected else 0


async def _import(
    settings: Settings | None, job: ImportJob, args: argparse.Namespace, dry: bool = False
) -> int:
    """`crm-graph import`: see the README, Import and export."""
    from tqdm import tqdm

    from graph.access import Scope
    from graph.nodes import Audit
    from resolvers import transfer

    actor = Actor("system:cli:import", frozenset({"ADMIN"}), Scope.everything())
    bar = tqdm(total=job.total, unit=" rows", desc="import", disable=args.quiet)
    db = None if settings is None else _db(settings)
    try:
        if db is not None and settings is not None and not dry:
            crypto.configure(crypto.keyring_for(settings))
            await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        out = await transfer.run_import(
            None if dry else db,
            job.rows,
            Audit(actor, "transfer.import", "cli"),
            report=job.report,
            checkpoint=job.checkpoint,
            batch=args.batch,
            advance=bar.update,
            allow_duplicates=args.allow_duplicates,
            reader=db if dry else None,
            linked=job.linked,
        )
    except (ValueError, transfer.TransferError) as exc:
        print(f"crm-graph: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
        if db is not None:
            await db.close()
    if out.skipped:
        print(
            f"resumed: {out.skipped} rows were committed by an earlier run, which rejected "
            f"{out.rejected_before} (in the report)"
        )
    if dry:
        print(
            f"dry run: {out.rows} rows read, {out.rows - out.rejected} valid, "
            f"{out.rejected} rejected (see {job.report}); nothing written"
        )
        if out.duplicates:
            print(
                f"{out.duplicates} of them likely duplicates of existing records (code "
                "DUPLICATE in the report): the import holds them back unless --allow-duplicates"
            )
    else:
        unchanged = out.rows - out.rejected - out.created - out.updated
        print(
            f"{out.rows} rows read: {out.created} created, {out.updated} updated, "
            f"{unchanged} unchanged, {out.rejected} rejected (see {job.report})"
        )
        if out.duplicates:
            print(
                f"{out.duplicates} of them held back as likely duplicates of existing records "
                "or of earlier rows "
                "(code DUPLICATE in the report); import them with --allow-duplicates"
            )
    return 1 if out.rejected or out.rejected_before else 0


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    """`crm-graph export`: what the key may see, masked as the API masks it; no key: ADMIN."""
    from graph import transfer_formats as fmt
    from graph.access import Scope
    from resolvers import transfer
    from resolvers.auth import Authenticator
    from resolvers.errors import ApiError
    from resolvers.masking import Guards

    crypto.configure(crypto.keyring_for(settings))
    db = _db(settings)
    try:
        await Runner(db, migrations.DIRECTORY, settings.neo4j_user).apply()
        if args.key:
            try:
                viewer = await Authenticator(db, False).viewer("Bearer " + args.key)
            except ApiError as exc:
                print(f"crm-graph: {exc}", file=sys.stderr)
                return 2
            actor = Actor(viewer.actor, viewer.roles, viewer.scope)
        else:
            actor = Actor("system:cli:export", frozenset({"ADMIN"}), Scope.everything())
        guards = Guards(settings.pseudonym_key)
        records = [r async for r in transfer.export_records(db, actor, guards)]
    finally:
        await db.close()
    out = Path(args.out)
    if args.format == "jsonl":
        n = fmt.write_jsonl(records, out)
    elif args.format == "graphml":
        n = fmt.write_graphml(records, out)
    else:
        n = fmt.write_csv_dir(records, out)
    print(f"exported {n} nodes and edges to {out}")
    return 0


class Terminated(Exception):
    """SIGTERM arrived: unwind like Ctrl-C so the embedded Neo4j is stopped on the way out."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # handled as Ctrl-C is: `finally`s run, the message says what next


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    # uvicorn handles SIGTERM while it serves and raises it again when done; without a handler
    # of ours that would kill the process before the embedded Neo4j is stopped.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return _serve(args, settings)
    except Terminated:
        return 0


# uvicorn's loggers hand their lines (start-up, access) to the root logger, whose handler
# (app.configure_logging) writes JSON; by default they have text handlers of their own.
UVICORN_TO_ROOT: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        name: {"handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    },
}


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app import StartupRefused, check_production, configure_logging

    # This process's own lines (the embedded server's supervisor, uvicorn's parent process)
    # in the format asked for, as the app's are.
    configure_logging(settings)
    try:
        check_production(settings)
        if not settings.dev:
            # The app refuses without data keys too, but after "serving ..." was printed
            # (tester BN): refused here, before that line. Dev makes its own keys.
            crypto.keyring_for(settings)
    except (StartupRefused, ValueError, crypto.DataKeyError) as exc:
        # One line, before anything starts, not a traceback.
        logging.getLogger("crm.cli").critical("crm-graph: %s", exc)
        return 2
    try:
        _check_data_dir(settings)
    except LocalServerError as exc:
        logging.getLogger("crm.cli").critical("crm-graph: %s", exc)
        return 2

    # One worker: the app's lifespan starts and supervises the embedded server itself, so it
    # knows at once when Neo4j is down and answers 503 without waiting on the driver. Several
    # workers share one server, which this process starts and supervises.
    app_owns = not settings.neo4j_uri and args.workers == 1
    owner = contextlib.nullcontext(settings) if app_owns else database_settings(settings, True)
    with owner as s:
        env = {
            "NEO4J_URI": s.neo4j_uri or "",
            "NEO4J_USER": s.neo4j_user,
            "NEO4J_PASSWORD": s.neo4j_password or "",
            "CRM_DEMO_DATA": "1" if args.demo else os.environ.get("CRM_DEMO_DATA", "0"),
        }
        os.environ.update(env)  # uvicorn's workers build the app from the environment
        # The viewer's address first: it is the one a new user should open.
        where = (
            f"serving the viewer at http://{args.host}:{args.port}/  "
            f"(GraphQL: http://{args.host}:{args.port}/graphql)"
        )
        if settings.log_format == "json":  # every line a JSON object, this one too
            logging.getLogger("crm.cli").info(where)
        else:
            print(where, flush=True)
        # SIGTERM or Ctrl-C: uvicorn stops accepting, lets requests in flight finish within
        # the grace time, then runs the lifespan's shutdown (driver closed); Neo4j stops last.
        options: dict[str, Any] = {
            "factory": True,
            "host": args.host,
            "port": args.port,
            "workers": args.workers,
            "log_level": "info",
            "timeout_graceful_shutdown": max(1, round(s.shutdown_grace_seconds)),
            "timeout_keep_alive": max(1, round(s.keep_alive_seconds)),
        }
        if settings.log_format == "json":
            options["log_config"] = UVICORN_TO_ROOT
        if args.workers > 1:
            uvicorn.run("app:create_app", app_dir=str(ROOT), **options)
            return 0
        if str(ROOT) not in sys.path:  # what uvicorn.run's app_dir does
            sys.path.insert(0, str(ROOT))
        server = _one_interrupt_server()(uvicorn.Config("app:create_app", **options))
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        return 0 if server.started else 3


def _one_interrupt_server() -> type[Any]:
    import uvicorn

    class OneInterrupt(uvicorn.Server):
        """Ctrl-C reaches uvicorn twice at once: the terminal signals the whole process group,
        and `uv run` (`make run`) forwards the signal to its child. uvicorn takes a second
        SIGINT for "quit now" and cuts the requests in flight; one within a second of the
        first is the same Ctrl-C."""

        first_interrupt = 0.0

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            now = time.monotonic()
            if sig == signal.SIGINT and self.should_exit and now - self.first_interrupt < 1.0:
                return
            if sig == signal.SIGINT and not self.should_exit:
                self.first_interrupt = now
            super().handle_exit(sig, frame)

    return OneInterrupt


def cmd_neo4j(args: argparse.Namespace, settings: Settings) -> int:
    local = _local(settings)
    if args.action == "fetch":
        print(f"Neo4j jars in {ensure_jars(local.home)}")
    elif args.action == "start":
        local.start(detach=True)
        print(f"Neo4j running: {local.uri} (user neo4j, password in {local.home / 'password'})")
    elif args.action == "stop":
        owner = local.supervisor_pid()
        if owner is not None:
            print(
                f"crm-graph: crm-graph (pid {owner}) runs this Neo4j and would restart it; "
                "stop that process instead",
                file=sys.stderr,
            )
            return 1
        print("stopped" if local.stop() else "not running")
    else:
        pid = local.running_pid()
        owner = local.supervisor_pid()
        if pid:
            by = f", supervised by crm-graph pid {owner}" if owner else ""
            print(f"running, pid {pid}, {local.uri}{by}")
        else:
            print(
                f"not running (crm-graph pid {owner} is restarting it)" if owner else "not running"
            )
        return 0 if pid else 3
    return 0


@contextlib.contextmanager
def _offline(local: LocalNeo4j) -> Iterator[None]:
    """The embedded server stopped for a dump or load, and started again (detached, on its
    port) afterwards if it ran before."""
    owner = local.supervisor_pid()
    if owner is not None:
        raise LocalServerError(
            f"crm-graph (pid {owner}) serves from this Neo4j and would restart it; "
            "stop that process first"
        )
    was_running = local.running_pid() is not None
    if was_running:
        print(f"stopping the embedded Neo4j on port {local.bolt_port} ...", flush=True)
        local.stop()
    try:
        yield
    finally:
        if was_running:
            print(f"starting the embedded Neo4j again on port {local.bolt_port} ...", flush=True)
            local.start(detach=True)


def _external_server(settings: Settings, verb: str) -> bool:
    """Whether NEO4J_URI names a server that is not ours to `verb` (then it says so)."""
    if settings.neo4j_uri:
        print(
            f"crm-graph: NEO4J_URI is set: {verb} that server with its own neo4j-admin "
            "(see the README, Operations)",
            file=sys.stderr,
        )
    return bool(settings.neo4j_uri)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    if _external_server(settings, "back up"):
        return 2
    local = _local(settings)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(args.to) if args.to else ROOT / "backups" / stamp
    existing = target / f"{settings.neo4j_database}.dump"
    if existing.exists():  # tester BN: a second backup replaced the first in silence
        print(
            f"crm-graph: {existing} exists: back up to another --to, or move it away first",
            file=sys.stderr,
        )
        return 2
    with _offline(local):
        dump = local.dump(target, settings.neo4j_database)
    # Names and numbers in plain text: owner-only, as the keys and the password are.
    target.chmod(0o700)
    dump.chmod(0o600)
    print(f"backup written: {dump}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    if _external_server(settings, "restore"):
        return 2
    local = _local(settings)
    with _offline(local):
        local.load(Path(args.source), settings.neo4j_database)
    print(f"restored {settings.neo4j_database} from {args.source}")
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.check:
        current = Path(args.output).read_text() if Path(args.output).exists() else ""
        if current != sdl:
            print(f"{args.output} is stale; run `crm-graph export-schema`", file=sys.stderr)
            return 1
        return 0
    Path(args.output).write_text(sdl)
    print(f"wrote {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (`timeout`, a supervisor) unwinds like Ctrl-C, so an embedded Neo4j a command
    # started is stopped on the way out, not left running without its parent.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _main(argv)
    except SettingsError as exc:  # a variable of the README's configuration table
        print(f"crm-graph: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)  # main() may be called in a longer process


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm-graph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "serve", help="run the API and viewer (starts the embedded Neo4j if NEO4J_URI is unset)"
    )
    p.add_argument("--host", default=os.environ.get("CRM_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=settings_port("CRM_PORT", 8000))
    p.add_argument("--workers", type=int, default=settings_workers())
    p.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    p = sub.add_parser("migrate", help="apply or list migrations")
    p.add_argument("action", choices=["apply", "list"], nargs="?", default="apply")
    p = sub.add_parser("neo4j", help="manage the local Neo4j server")
    p.add_argument("action", choices=["fetch", "start", "stop", "status"])
    sub.add_parser("seed", help="load demo data into an empty database").add_argument(
        "--demo", action="store_true", required=True
    )
    p = sub.add_parser(
        "create-admin", help="create an ADMIN user (the first one of an empty database)"
    )
    p.add_argument("--name", required=True, help="the person's name")
    p.add_argument("--email", help="their e-mail (OpenID Connect sign-in by e-mail)")
    p = sub.add_parser("api-key", help="create an API key, or revoke the demo keys")
    p.add_argument("action", choices=["create", "revoke-demo"])
    p.add_argument("--user", help="the user id the key signs in as (create)")
    p.add_argument("--name", help="what the key is for (create)")
    p.add_argument("--expires", help="ISO date-time with offset when it stops working (create)")
    p = sub.add_parser("backup", help="dump the embedded Neo4j's database (neo4j-admin dump)")
    p.add_argument("--to", help="directory for the dump (default: backups/<UTC time>)")
    p = sub.add_parser("restore", help="replace the embedded Neo4j's database with a dump")
    p.add_argument("source", help="a .dump file, or a directory holding neo4j.dump")
    sub.add_parser("encrypt-ids", help="encrypt ID numbers stored in plain text (idempotent)")
    p = sub.add_parser(
        "rotate-data-key", help="re-encrypt ID numbers under the newest data key (idempotent)"
    )
    p.add_argument(
        "--new-dev-key",
        action="store_true",
        help="dev only: first add a freshly generated key to the dev key file",
    )
    p = sub.add_parser("score", help="score every customer now (value, lifecycle, churn)")
    p.add_argument("--today", help="score as of this ISO date (default: today)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("classify", help="re-run the customer classification rules (R14)")
    p.add_argument("--dry-run", action="store_true", help="list the changes, write nothing")
    p = sub.add_parser("find-duplicates", help="scan for duplicate companies and people (R22)")
    p.add_argument("--kind", choices=["Company", "Person"], help="only this kind (default both)")
    p = sub.add_parser("import-plans", help="save sales plans from a CSV file (R25)")
    p.add_argument("file", help="CSV: period,dimension,target,currency,amount[,note]")
    p = sub.add_parser(
        "import-verifications", help="record call and mail results from a CSV file (R19)"
    )
    p.add_argument("file", help="CSV: id,field,status,method[,at,note]")
    p = sub.add_parser(
        "import",
        help="import companies, people, relationships and records (README: Import and export)",
    )
    p.add_argument("file", help="a CSV or JSONL file, an export's GraphML file or CSV directory")
    p.add_argument("--mapping", help="TOML mapping of columns to fields (omit for an export)")
    p.add_argument("--format", choices=["csv", "jsonl", "graphml"], help="default: by extension")
    p.add_argument("--source", help="the externalSource of the rows (overrides the mapping's)")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.add_argument("--report", help="CSV of rejected rows (default: FILE.rejected.csv)")
    p.add_argument("--batch", type=_at_least_one, default=5000, help="rows per transaction")
    p.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="also create rows that likely duplicate an existing record (reported otherwise)",
    )
    p.add_argument(
        "--path",
        choices=["auto", "admin", "live"],
        default="auto",
        help="admin: neo4j-admin import into the empty embedded database; live: batched "
        "writes; auto (default): admin when the embedded database is empty, else live",
    )
    p.add_argument(
        "--workers",
        type=_at_least_one,
        help="processes that check rows on the admin path, for files of more than 20,000 "
        "rows (default: one per CPU; 1: the command's own process)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("export", help="export what a key may see (no key: everything)")
    p.add_argument("--format", choices=["csv", "jsonl", "graphml"], required=True)
    p.add_argument("--out", required=True, help="a file (jsonl, graphml) or directory (csv)")
    p.add_argument("--key", help="export as this API key sees and masks the data")
    p = sub.add_parser("export-schema", help="write the GraphQL SDL")
    p.add_argument("--output", default=str(ROOT / "schema.graphql"))
    p.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    others = set(logging.getLogger().handlers)
    logging.basicConfig(level=settings.log_level)
    # Named as the app names its own handler, which replaces it (app.configure_logging):
    # `serve` then prints each line once, in the format CRM_LOG_FORMAT asks for.
    for handler in set(logging.getLogger().handlers) - others:
        handler.set_name("crm")
    try:
        # serve checks them itself, after the production checks, through its own logger.
        if args.command not in ("export-schema", "serve"):
            _check_data_dir(settings)
        if args.command == "serve":
            return cmd_serve(args, settings)
        if args.command == "neo4j":
            return cmd_neo4j(args, settings)
        if args.command == "export-schema":
            return cmd_export_schema(args, settings)
        if args.command == "backup":
            return cmd_backup(args, settings)
        if args.command == "restore":
            return cmd_restore(args, settings)
        if args.command == "rotate-data-key" and args.new_dev_key:
            if settings.data_keys or not settings.dev:
                print(
                    "crm-graph: --new-dev-key is for dev keys; put the new key first in "
                    "CRM_DATA_KEYS instead",
                    file=sys.stderr,
                )
                return 2
            if not settings.neo4j_uri and (owner := _local(settings).supervisor_pid()):
                # It read the dev keys at start: values under a new one would be unreadable.
                print(
                    f"crm-graph: crm-graph (pid {owner}) serves from this database with the "
                    "dev keys it read at start and could not read ID numbers under a new "
                    "one; stop it, rotate, then start it again",
                    file=sys.stderr,
                )
                return 2
            print(f"new dev data key: {crypto.add_dev_key(settings.local_home)}")
        if args.command == "import":
            return cmd_import(args, settings)
        with database_settings(settings) as s:
            if args.command == "export":
                return asyncio.run(_export(s, args))
            if args.command == "migrate":
                return asyncio.run(_migrate(s, args.action))
            if args.command == "api-key":
                return asyncio.run(_api_key(s, args))
            if args.command == "create-admin":
                return asyncio.run(_create_admin(s, args))
            if args.command == "score":
                return asyncio.run(_score(s, args))
            if args.command in ("encrypt-ids", "rotate-data-key"):
                return asyncio.run(_data_keys(s, args.command))
            if args.command == "classify":
                return asyncio.run(_classify(s, args.dry_run))
            if args.command == "find-duplicates":
                kinds = [args.kind] if args.kind else ["Company", "Person"]
                return asyncio.run(_find_duplicates(s, kinds))
            if args.command == "import-plans":
                return asyncio.run(_import_plans(s, args.file, _plan_rows(args.file)))
            if args.command == "import-verifications":
                return asyncio.run(_import_checks(s, args.file, _csv_rows(args.file)))
            return asyncio.run(_seed(s))
    except (LocalServerError, MigrationError, crypto.DataKeyError) as exc:
        print(f"crm-graph: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.filename is None:  # not a path we were given: a real fault, shown whole
            raise
        # A file or directory of the command line or the settings that cannot be used.
        print(f"crm-graph: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.command == "import" and not getattr(args, "dry_run", False):
            # The live path commits batch by batch and checkpoints them; the admin path is
            # all or nothing. Either way the same command again is what to do next.
            print(
                "crm-graph: interrupted. Run the same command again: it resumes after the "
                "last committed batch (the admin path starts over).",
                file=sys.stderr,
            )
        return 130


if __name__ == "__main__":
    sys.exit(main())
