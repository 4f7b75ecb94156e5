"""Import and export jobs over HTTP (issue 15): the `(:TransferJob)` nodes that survive a
restart, and the statements that guard what a job may write.

`(:TransferJob {id, kind, format, status, createdBy, createdAt, startedAt, finishedAt, dryRun,
allowDuplicates, rows, created, updated, rejected, duplicates, exported, resumedAfter, restarted,
error, cancelRequested, note, expiredAt})`. `kind` is IMPORT or EXPORT; `status` goes QUEUED ->
RUNNING -> SUCCEEDED | FAILED | CANCELLED (QUEUED -> CANCELLED at once). The files (upload,
mapping, checkpoint, report, export output) live in the jobs directory
(resolvers/transfer_jobs.py), one folder per job id; the node holds what the status shows.
A finished job past its keeping time gets `expiredAt` (EXPIRE_JOBS) and loses its folder; the
node stays, so its status still answers and its files answer 410.

A job is visible to its creator and to ADMIN only (`$acl.editAll`); anyone else gets nothing,
as if it did not exist.

The guards: an import written for a viewer who does not edit everything may change only the
companies and people that viewer may edit (graph/access.py `editable`), and may link only as
linkNodes would (graph/relationship.py `may_write`: ends it sees, edit rights on one end or on
both as the type asks). `node_rights` and `edge_rights` say, before the import runs, which rows
name a record the viewer may not see or change; `claim_created` makes the importer the
owner of the customers its import created, as createCompany does (graph/nodes.py CLAIM).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any, LiteralString, NotRequired, TypedDict

from graph import access, pages
from graph.access import editable, visible
from graph.actor import Actor
from graph.cypher import any_label_union
from graph.db import Cypher, Database, native
from graph.nodes import AUDIT, Audit, new_id
from graph.transfer import LABELS, Key, find_node, match_node
from graph.vocab import Label


class JobKind(Enum):
    IMPORT = "IMPORT"
    EXPORT = "EXPORT"


class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINISHED = frozenset({JobStatus.SUCCEEDED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value})


class Beat(Enum):
    """What a heartbeat found: the claim lost, held, or held with a cancel asked for."""

    LOST = "LOST"
    HELD = "HELD"
    CANCEL = "CANCEL"


class TransferJobRow(TypedDict):
    id: str
    kind: str
    format: str
    status: str
    createdBy: str
    createdAt: Any
    startedAt: NotRequired[Any]
    finishedAt: NotRequired[Any]
    dryRun: NotRequired[bool]
    allowDuplicates: NotRequired[bool]
    rows: NotRequired[int]
    created: NotRequired[int]
    updated: NotRequired[int]
    rejected: NotRequired[int]
    duplicates: NotRequired[int]
    exported: NotRequired[int]
    resumedAfter: NotRequired[int]
    restarted: NotRequired[bool]
    error: NotRequired[str | None]
    runner: NotRequired[str]  # the worker that claims it (CLAIM_JOB)
    heartbeatAt: NotRequired[Any]
    claims: NotRequired[int]
    cancelRequested: NotRequired[bool]  # CANCEL_JOB on a RUNNING job: stop at a batch boundary
    cancelAsks: NotRequired[int]
    note: NotRequired[str | None]  # what a cancelled job kept
    expiredAt: NotRequired[Any]  # its folder was removed (EXPIRE_JOBS)


class JobPageRow(TypedDict):
    job: TransferJobRow
    at: str  # createdAt as Neo4j writes it (nanoseconds), for the page cursor


class CancelRow(TypedDict):
    job: TransferJobRow
    was: str  # the status the cancel found


class NodeRight(TypedDict):
    n: int
    exists: bool
    mayEdit: bool
    stored: dict[str, Any]  # the stored node's values of the keys asked for (None: unset)


class EdgeRight(TypedDict):
    n: int
    # Per end (from, to): stored and seen by the actor; editable by it; editable by rights
    # of its own, not an EDIT share (graph/relationship.py OWN_ENDS).
    seen: tuple[bool, bool]
    may: tuple[bool, bool]
    own: tuple[bool, bool]


# How many of the ids an export showed the viewer no longer sees (or were deleted since): an
# export stays downloadable for days, and its key's access may shrink meanwhile (tester BO
# moved a rep to another team, and revoked a share, and downloaded the old team's data).
UNSEEN = Cypher(
    "transfer.unseen",
    "UNWIND $ids AS key OPTIONAL CALL (key) { " + any_label_union("t", "key") + " } "
    "WITH key, t WHERE t IS NULL OR NOT " + visible("t", unplaced=True) + " "
    "RETURN count(key) AS n",
)
UNSEEN_BATCH = 5000


async def unseen(db: Database, actor: Actor, ids: Sequence[str]) -> int:
    """How many of `ids` (companies, people, projects) the viewer does not see now."""
    acl = access.acl_params(actor)
    missing = 0
    for i in range(0, len(ids), UNSEEN_BATCH):
        rows = await db.read(UNSEEN, {"ids": list(ids[i : i + UNSEEN_BATCH]), "acl": acl})
        missing += rows[0]["n"]
    return int(missing)


CREATE_JOB = Cypher(
    "transfer.job.create",
    "CREATE (j:TransferJob {id: $id}) SET j += $props, j.status = 'QUEUED', "
    "j.createdBy = $actor, j.createdAt = datetime() WITH j " + AUDIT + " RETURN j.id AS id",
)
_JOB_VISIBLE: LiteralString = "($acl.editAll OR j.createdBy = $acl.me)"
JOB_BY_ID = Cypher(
    "transfer.job.by_id",
    "MATCH (j:TransferJob {id: $id}) WHERE " + _JOB_VISIBLE + " RETURN j{.*} AS job",
)
# A worker claims a job before running it: `runner` names the worker (one per process) and
# `heartbeatAt` is renewed while it runs. A job is free when nobody claims it, or when its
# claim was not renewed for `$lease` seconds (the process died), so a RUNNING job resumes in
# another process, and two processes (uvicorn workers, hosts sharing the jobs directory) never
# run one job at once. Only jobs whose files the worker holds (`$held`) are its to run.
# RUNNING first (an interrupted job resumes before newer ones start), then oldest first.
_FREE: LiteralString = (
    "j.status IN ['RUNNING', 'QUEUED'] AND (j.runner IS NULL "
    "OR j.heartbeatAt < datetime() - duration({seconds: $lease}))"
)
CLAIM_JOB = Cypher(
    "transfer.job.claim",
    "MATCH (j:TransferJob) WHERE j.id IN $held AND " + _FREE + " "
    "WITH j ORDER BY CASE j.status WHEN 'RUNNING' THEN 0 ELSE 1 END, j.createdAt, j.id LIMIT 1 "
    # Lock, then look again: another worker may have claimed it meanwhile.
    "SET j.claims = coalesce(j.claims, 0) + 1 "
    "WITH j WHERE " + _FREE + " "
    "WITH j, j.startedAt IS NOT NULL AS resumed "
    "SET j.status = 'RUNNING', j.runner = $runner, j.heartbeatAt = datetime(), "
    "j.startedAt = coalesce(j.startedAt, datetime()) "
    "RETURN j{.*} AS job, resumed",
)
HEARTBEAT = Cypher(
    "transfer.job.heartbeat",
    "MATCH (j:TransferJob {id: $id}) WHERE j.runner = $runner AND j.status = 'RUNNING' "
    "SET j.heartbeatAt = datetime() RETURN coalesce(j.cancelRequested, false) AS cancel",
)
# At shutdown: the worker's RUNNING job is free at once for the next start, not after a lease.
RELEASE = Cypher(
    "transfer.job.release",
    "MATCH (j:TransferJob) WHERE j.runner = $runner AND j.status = 'RUNNING' "
    "REMOVE j.runner RETURN count(j) AS released",
)
FINISH_JOB = Cypher(
    "transfer.job.finish",
    "MATCH (j:TransferJob {id: $id}) SET j += $props, j.status = $status, "
    "j.finishedAt = datetime() REMOVE j.runner RETURN j.id AS id",
)
# Newest first, in (createdAt, id) order; `$afterAt` is the text of the last page's createdAt
# (Neo4j's, to the nanosecond, so the cursor is exact).
LIST_JOBS = Cypher(
    "transfer.job.list",
    "MATCH (j:TransferJob) WHERE " + _JOB_VISIBLE + " "
    "AND ($status IS NULL OR j.status = $status) "
    "AND ($afterAt IS NULL OR j.createdAt < datetime($afterAt) "
    "OR (j.createdAt = datetime($afterAt) AND j.id < $afterId)) "
    "WITH j ORDER BY j.createdAt DESC, j.id DESC LIMIT $limit "
    "RETURN j{.*} AS job, toString(j.createdAt) AS at",
)
# Lock, then look again (as CLAIM_JOB): a worker may claim the QUEUED job meanwhile, and then
# it is RUNNING and stops at its next batch boundary instead. A finished job is left as it is
# and reported by `was`; only a cancel that takes effect is audited.
_CANCELLABLE: LiteralString = "was IN ['QUEUED', 'RUNNING']"
CANCEL_JOB = Cypher(
    "transfer.job.cancel",
    "MATCH (j:TransferJob {id: $id}) WHERE " + _JOB_VISIBLE + " "
    "SET j.cancelAsks = coalesce(j.cancelAsks, 0) + 1 "
    "WITH j, j.status AS was "
    "SET j.status = CASE WHEN was = 'QUEUED' THEN 'CANCELLED' ELSE was END, "
    "j.finishedAt = CASE WHEN was = 'QUEUED' THEN datetime() ELSE j.finishedAt END, "
    "j.cancelRequested = CASE WHEN " + _CANCELLABLE + " THEN true ELSE j.cancelRequested END "
    "WITH j, was "
    "FOREACH (_ IN CASE WHEN " + _CANCELLABLE + " THEN [1] ELSE [] END | " + AUDIT + ") "
    "RETURN j{.*} AS job, was",
)
# Retention: among the folders a worker holds (`$ids`), the finished jobs that finished before
# `$before` are marked expired; the ones marked earlier (a sweep that died before removing the
# folder) come back too, so their folders go now. One audit event per sweep that expires any.
EXPIRE_JOBS = Cypher(
    "transfer.job.expire",
    "UNWIND $ids AS id MATCH (j:TransferJob {id: id}) "
    "WHERE j.status IN ['SUCCEEDED', 'FAILED', 'CANCELLED'] "
    "AND (j.expiredAt IS NOT NULL OR j.finishedAt < $before) "
    "WITH j, j.expiredAt IS NULL AS fresh "
    "SET j.expiredAt = coalesce(j.expiredAt, datetime()) "
    "WITH collect(j.id) AS gone, sum(CASE WHEN fresh THEN 1 ELSE 0 END) AS expired "
    "FOREACH (_ IN CASE WHEN expired > 0 THEN [1] ELSE [] END | " + AUDIT + ") "
    "RETURN gone, expired",
)
# The status of each job a worker holds the folder of (null: no such job).
JOB_STATES = Cypher(
    "transfer.job.states",
    "UNWIND $ids AS id OPTIONAL MATCH (j:TransferJob {id: id}) RETURN id, j.status AS status",
)


def _node_rights(label: Label, key: Key) -> Cypher:
    return Cypher(
        f"transfer.guard.{label.value}.{key.value}",
        "UNWIND $rows AS row "
        + find_node("x", label, key, "row.externalId" if key is Key.EXTERNAL else "row.id")
        + "RETURN row.n AS n, x IS NOT NULL AS exists, "
        "x IS NOT NULL AND " + editable("x") + " AS mayEdit, "
        "CASE WHEN x IS NULL THEN [] ELSE [k IN $reviewed | x[k]] END AS stored",
    )


NODE_RIGHTS: dict[tuple[Label, Key], Cypher] = {
    (label, key): _node_rights(label, key) for label in LABELS for key in Key
}


def _edge_rights(a: Label, b: Label, key: Key) -> Cypher:
    return Cypher(
        f"transfer.guard.edge.{a.value}.{b.value}.{key.value}",
        "UNWIND $rows AS row "
        + find_node("a", a, key, "row.from", "row.fromSource")
        + find_node("b", b, key, "row.to", "row.toSource")
        + "RETURN row.n AS n, "
        "[a IS NOT NULL AND "
        + visible("a", True)
        + ", b IS NOT NULL AND "
        + visible("b", True)
        + "] AS seen, "
        "[a IS NOT NULL AND "
        + editable("a", True)
        + ", b IS NOT NULL AND "
        + editable("b", True)
        + "] AS may, "
        "[a IS NOT NULL AND "
        + editable("a", True, shares=False)
        + ", b IS NOT NULL AND "
        + editable("b", True, shares=False)
        + "] AS own",
    )


EDGE_RIGHTS: dict[tuple[Label, Label, Key], Cypher] = {
    (a, b, key): _edge_rights(a, b, key) for a in LABELS for b in LABELS for key in Key
}


def _claim(label: Label, key: Key) -> Cypher:
    return Cypher(
        f"transfer.claim.{label.value}.{key.value}",
        "UNWIND $rows AS row MATCH "
        + match_node("x", label, key, "row.externalId" if key is Key.EXTERNAL else "row.id")
        + " "
        "WHERE x:Customer AND NOT EXISTS { MATCH (x)<-[w:OWNS]-(:User) "
        "WHERE w.until IS NULL OR w.until > date() } "
        "MATCH (u:User {id: $owner}) "
        "MERGE (u)-[c:OWNS {id: row.claimId}]->(x) ON CREATE SET c.since = date(), "
        "c.version = 1, c.createdAt = datetime(), c.updatedAt = datetime() "
        "WITH count(c) AS n WITH n WHERE n > 0 " + AUDIT + " RETURN n",
    )


CLAIMS: dict[tuple[Label, Key], Cypher] = {
    (label, key): _claim(label, key) for label in LABELS for key in Key
}


async def create_job(
    db: Database, job_id: str, kind: JobKind, props: dict[str, Any], audit: Audit
) -> str:
    params = {
        "id": job_id,
        "props": {**props, "kind": kind.value},
        **audit.params(job_id, "TransferJob", ["status"]),
    }
    rows = await db.write(CREATE_JOB, params)
    return str(rows[0]["id"])


async def job(db: Database, actor: Actor, job_id: str) -> TransferJobRow | None:
    """The job, when the actor created it or is ADMIN; else None."""
    rows = await db.read(JOB_BY_ID, {"id": job_id, "acl": access.acl_params(actor)})
    return rows[0]["job"] if rows else None


async def claim(
    db: Database, held: list[str], runner: str, lease_seconds: float, audit: Audit
) -> tuple[TransferJobRow, bool] | None:
    """Claim the job `runner` runs next among those whose files it `held`: an interrupted one
    (RUNNING, its claim released or lapsed), else the oldest QUEUED; with whether it resumes.
    None: nothing to run."""
    params = {"held": held, "runner": runner, "lease": lease_seconds}
    rows = await db.write(CLAIM_JOB, params)
    return (rows[0]["job"], bool(rows[0]["resumed"])) if rows else None


async def heartbeat(db: Database, job_id: str, runner: str, audit: Audit) -> Beat:
    """Renew the claim: LOST when the job is no longer this runner's, CANCEL when its creator
    (or ADMIN) asked it to stop."""
    rows = await db.write(HEARTBEAT, {"id": job_id, "runner": runner})
    if not rows:
        return Beat.LOST
    return Beat.CANCEL if rows[0]["cancel"] else Beat.HELD


async def jobs(
    db: Database,
    actor: Actor,
    limit: int,
    status: JobStatus | None = None,
    after: tuple[str, str] | None = None,
) -> list[JobPageRow]:
    """The jobs the actor sees (their own; ADMIN: all), newest first, after the position
    `after` (createdAt text, id) of an earlier page."""
    params = {
        "acl": access.acl_params(actor),
        "limit": limit,
        "status": status.value if status else None,
        **pages.after(after),
    }
    return [{"job": r["job"], "at": r["at"]} for r in await db.read(LIST_JOBS, params)]


async def cancel(db: Database, actor: Actor, job_id: str, audit: Audit) -> CancelRow | None:
    """Cancel the job when the actor sees it: a QUEUED one is CANCELLED now, a RUNNING one is
    asked to stop (`cancelRequested`). None: no such job for the actor. `was` says which; a
    finished job is returned unchanged."""
    params = {
        "id": job_id,
        "acl": access.acl_params(actor),
        **audit.params(job_id, "TransferJob", ["status", "cancelRequested"]),
    }
    rows = await db.write(CANCEL_JOB, params)
    return {"job": rows[0]["job"], "was": rows[0]["was"]} if rows else None


async def expire(db: Database, ids: list[str], before: datetime, audit: Audit) -> list[str]:
    """Mark the finished jobs among `ids` that finished before `before` expired; the ids of
    those (and of any marked earlier), whose folders are to be removed."""
    params = {
        "ids": ids,
        "before": before,
        **audit.params("transfer-jobs", "TransferJob", ["expiredAt"]),
    }
    rows = await db.write(EXPIRE_JOBS, params)
    return [str(x) for x in rows[0]["gone"]] if rows else []


async def states(db: Database, actor: Actor, ids: list[str]) -> dict[str, str | None]:
    """Each id's job status; None when there is no such job."""
    return {r["id"]: r["status"] for r in await db.read(JOB_STATES, {"ids": ids})}


async def release(db: Database, runner: str, audit: Audit) -> int:
    """Free the runner's RUNNING jobs (shutdown), for whoever starts next."""
    rows = await db.write(RELEASE, {"runner": runner})
    return int(rows[0]["released"]) if rows else 0


async def finish(
    db: Database, job_id: str, status: JobStatus, props: dict[str, Any], audit: Audit
) -> None:
    await db.write(FINISH_JOB, {"id": job_id, "status": status.value, "props": props})


async def node_rights(
    db: Database,
    actor: Actor,
    label: Label,
    key: Key,
    rows: list[dict[str, Any]],
    reviewed: Sequence[str] = (),
) -> list[NodeRight]:
    """For node rows `{n, source, externalId, id}`: whether each names a stored node, whether
    the actor may edit it, and its stored values of the `reviewed` property keys."""
    params = {"rows": rows, "acl": access.acl_params(actor), "reviewed": list(reviewed)}
    return [
        {
            "n": r["n"],
            "exists": r["exists"],
            "mayEdit": r["mayEdit"],
            "stored": {k: native(x) for k, x in zip(reviewed, r["stored"], strict=False)},
        }
        for r in await db.read(NODE_RIGHTS[(label, key)], params)
    ]


async def edge_rights(
    db: Database, actor: Actor, ends: tuple[Label, Label], key: Key, rows: list[dict[str, Any]]
) -> list[EdgeRight]:
    """For edge rows `{n, from, fromSource, to, toSource}`: whether the actor sees and may
    edit each end (false for an end not stored)."""
    params = {"rows": rows, "acl": access.acl_params(actor)}
    return [
        {
            "n": r["n"],
            "seen": (r["seen"][0], r["seen"][1]),
            "may": (r["may"][0], r["may"][1]),
            "own": (r["own"][0], r["own"][1]),
        }
        for r in await db.read(EDGE_RIGHTS[(ends[0], ends[1], key)], params)
    ]


async def claim_created(
    db: Database, label: Label, key: Key, rows: list[dict[str, Any]], audit: Audit
) -> int:
    """Make the audit's actor the owner of the customers among `rows` (node keys) that have
    no owner: the records their import created. One audit event for the batch."""
    if not rows:
        return 0
    params = {
        "rows": [{**r, "claimId": new_id()} for r in rows],
        "owner": audit.actor.id,
        **audit.params(new_id(), "OWNS", ["since"]),
    }
    out = await db.write(CLAIMS[(label, key)], params)
    return int(out[0]["n"]) if out else 0
