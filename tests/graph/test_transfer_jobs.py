"""graph/transfer_jobs.py on a real Neo4j: a job is claimed by one worker at a time, a lapsed or
released claim lets another worker resume it, and a worker claims only the jobs it holds the
files of (two apps on one database, uvicorn workers, or a test's app beside another)."""

from __future__ import annotations

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
        True,
        False,  # not w2's to renew
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
