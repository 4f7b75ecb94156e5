"""graph/transfer_jobs.py on a real Neo4j: a job is claimed by one worker at a time, a lapsed or
released claim lets another worker resume it, and a worker claims only the jobs it holds the
files of (two apps on one database, uvicorn workers, or a test's app beside another); a cancel
ends a QUEUED job and flags a RUNNING one; retention expires only old finished jobs.

The job ids here name no folder of any app's jobs directory, so no running app's worker
(claims and sweeps name only the folders it holds) can touch them."""

from __future__ import annotations

import datetime as dt

from graph import transfer_jobs as repo
from graph.access import Scope
from graph.actor import Actor
from graph.db import Database
from graph.nodes import Audit
from graph.server import LocalNeo4j
from neo4j import Driver
from tests.graph.reading import run

WHO = Audit(Actor("system:test", frozenset({"ADMIN"}), Scope.everything()), "test", "t")
LEASE = 120.0


async def _jobs(db: Database) -> None:
    for job_id in ("job-a", "job-b"):
        props = {"format": "jsonl", "createdBy": "system:test"}
        await repo.create_job(db, job_id, repo.JobKind.IMPORT, props, WHO)


def test_a_job_is_run_by_one_worker_and_resumed_by_another_once_released(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    async def scenario(db: Database) -> list[object]:
        await _jobs(db)
        seen: list[object] = []
        first = await repo.claim(db, ["job-a"], "w1", LEASE, WHO)
        assert first is not None
        seen.append((first[0]["id"], first[0]["status"], first[1]))
        # Claimed and renewed: a second worker holding the same files finds nothing to run.
        seen.append(await repo.claim(db, ["job-a"], "w2", LEASE, WHO))
        seen.append(await repo.heartbeat(db, "job-a", "w1", WHO))
        seen.append(await repo.heartbeat(db, "job-a", "w2", WHO))
        # w1 shuts down: the RUNNING job is free at once and resumes in w2.
        seen.append(await repo.release(db, "w1", WHO))
        second = await repo.claim(db, ["job-a"], "w2", LEASE, WHO)
        assert second is not None
        seen.append((second[0]["id"], second[0]["status"], second[1]))
        await repo.finish(db, "job-a", repo.JobStatus.SUCCEEDED, {"rows": 1}, WHO)
        seen.append(await repo.claim(db, ["job-a"], "w2", LEASE, WHO))
        return seen

    seen = run(neo4j_server, scenario)
    assert seen == [
        ("job-a", "RUNNING", False),  # a new job: not a resumption
        None,
        repo.Beat.HELD,
        repo.Beat.LOST,  # not w2's to renew
        1,
        ("job-a", "RUNNING", True),  # resumed after its last committed batch
        None,  # finished: nothing left to claim
    ]
    runner = cypher.execute_query("MATCH (j:TransferJob {id: 'job-a'}) RETURN j.runner AS r")
    assert runner.records[0]["r"] is None


def test_a_lapsed_claim_frees_the_job_and_files_elsewhere_are_left_alone(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    async def scenario(db: Database) -> list[object]:
        await _jobs(db)
        out: list[object] = []
        # A worker without job-b's folder never takes it, even when it is the only one queued.
        out.append(await repo.claim(db, [], "w1", LEASE, WHO))
        out.append(await repo.claim(db, ["job-x"], "w1", LEASE, WHO))
        taken = await repo.claim(db, ["job-b"], "w1", LEASE, WHO)
        out.append(taken and taken[0]["id"])
        return out

    assert run(neo4j_server, scenario) == [None, None, "job-b"]
    # w1 died a while ago: its last heartbeat is older than the lease.
    cypher.execute_query(
        "MATCH (j:TransferJob {id: 'job-b'}) SET j.heartbeatAt = datetime() - duration('PT1H')"
    )

    async def takeover(db: Database) -> object:
        taken = await repo.claim(db, ["job-b"], "w2", LEASE, WHO)
        return taken and (taken[0]["id"], taken[0]["runner"], taken[1])

    assert run(neo4j_server, takeover) == ("job-b", "w2", True)


def test_a_cancel_ends_a_queued_job_flags_a_running_one_and_leaves_a_finished_one(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    stranger = Actor("someone-else", frozenset({"SALES"}), Scope(users=("someone-else",)))

    async def scenario(db: Database) -> list[object]:
        await _jobs(db)
        out: list[object] = []
        # Someone who may not see the job finds nothing to cancel.
        out.append(await repo.cancel(db, stranger, "job-a", WHO))
        queued = await repo.cancel(db, WHO.actor, "job-a", WHO)
        assert queued is not None
        out.append((queued["was"], queued["job"]["status"]))
        out.append(await repo.claim(db, ["job-a"], "w1", LEASE, WHO))  # never runs now
        taken = await repo.claim(db, ["job-b"], "w1", LEASE, WHO)
        assert taken is not None
        running = await repo.cancel(db, WHO.actor, "job-b", WHO)
        assert running is not None
        out.append((running["was"], running["job"]["status"], running["job"]["cancelRequested"]))
        out.append(await repo.heartbeat(db, "job-b", "w1", WHO))  # the worker learns of it
        await repo.finish(db, "job-b", repo.JobStatus.CANCELLED, {"note": "x"}, WHO)
        done = await repo.cancel(db, WHO.actor, "job-b", WHO)
        assert done is not None
        out.append((done["was"], done["job"]["status"]))
        return out

    assert run(neo4j_server, scenario) == [
        None,
        ("QUEUED", "CANCELLED"),
        None,
        ("RUNNING", "RUNNING", True),
        repo.Beat.CANCEL,
        ("CANCELLED", "CANCELLED"),
    ]
    # Two cancels took effect, so two events; the third found the job finished.
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'test', targetLabel: 'TransferJob'}) "
        "WHERE 'cancelRequested' IN a.fields RETURN a.targetId AS id ORDER BY id"
    ).records
    assert [r["id"] for r in events] == ["job-a", "job-b"]


def test_retention_expires_only_finished_jobs_past_the_cutoff_among_those_named(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    cypher.execute_query(
        "UNWIND $jobs AS x CREATE (j:TransferJob {id: x.id, kind: 'EXPORT', format: 'jsonl', "
        "status: x.status, createdBy: 'system:test', createdAt: datetime() - duration('P30D')}) "
        "SET j.finishedAt = CASE WHEN x.age IS NULL THEN null "
        "ELSE datetime() - duration({days: x.age}) END",
        jobs=[
            {"id": "old-done", "status": "SUCCEEDED", "age": 10},
            {"id": "old-failed", "status": "FAILED", "age": 8},
            {"id": "old-cancelled", "status": "CANCELLED", "age": 9},
            {"id": "recent", "status": "SUCCEEDED", "age": 1},
            {"id": "running", "status": "RUNNING", "age": None},
            {"id": "queued", "status": "QUEUED", "age": None},
            {"id": "not-named", "status": "SUCCEEDED", "age": 10},
        ],
    )
    named = ["old-done", "old-failed", "old-cancelled", "recent", "running", "queued", "nothing"]
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)

    async def sweep(db: Database) -> list[str]:
        return sorted(await repo.expire(db, named, before, WHO))

    assert run(neo4j_server, sweep) == ["old-cancelled", "old-done", "old-failed"]
    expired = cypher.execute_query(
        "MATCH (j:TransferJob) WHERE j.expiredAt IS NOT NULL RETURN j.id AS id ORDER BY id"
    ).records
    assert [r["id"] for r in expired] == ["old-cancelled", "old-done", "old-failed"]
    # Again: the jobs expired before come back (their folders may still be there), with no
    # second audit event.
    assert run(neo4j_server, sweep) == ["old-cancelled", "old-done", "old-failed"]
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'test', targetId: 'transfer-jobs'}) RETURN a.fields AS f"
    ).records
    assert [r["f"] for r in events] == [["expiredAt"]]

    async def states(db: Database) -> dict[str, str | None]:
        return await repo.states(db, WHO.actor, ["recent", "running", "nothing"])

    assert run(neo4j_server, states) == {
        "recent": "SUCCEEDED",
        "running": "RUNNING",
        "nothing": None,
    }
