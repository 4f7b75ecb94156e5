"""The database gate's limits on a real Neo4j: transaction timeout, read retries, warm-up
planning."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired

import graph.db
from graph import maps, related
from graph.db import Cypher, Database, Tx
from graph.errors import (
    CrmError,
    DatabaseBusy,
    DatabaseUnavailable,
    QueryTimeout,
    WriteOutcomeUnknown,
)
from graph.server import LocalNeo4j
from graph.warmup import sample_parameters, statements, warm_up
from neo4j import READ_ACCESS, Driver
from tests.graph.reading import run

T = TypeVar("T")
SLOW = Cypher(
    "test.slow",
    "UNWIND range(1, 500000000) AS i WITH i WHERE i % 7 = 0 RETURN count(*) AS n",
)


# Room for the shared server's start, counted when the test runs first on its worker (a
# loaded CI machine once took over 120 s for it).
@pytest.mark.timeout(300)
def test_a_transaction_past_its_timeout_is_stopped_with_a_code(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph.db, "COLD_TIMEOUT_FACTOR", 1.0)  # 3 s, not 12, on its first run
    with pytest.raises(QueryTimeout) as caught:
        run(neo4j_server, lambda db: db.read(SLOW), transaction_timeout=3.0)
    assert isinstance(caught.value, CrmError)
    assert caught.value.code == "QUERY_TIMEOUT"
    assert caught.value.expected
    # A statement inside its limit is not affected. The limit is wider than the slow
    # statement's: a loaded 2-core CI machine once took over 3 s to plan and run `RETURN 1`.
    rows = run(
        neo4j_server,
        lambda db: db.read(Cypher("t.one", "RETURN 1 AS one")),
        transaction_timeout=60.0,
    )
    assert rows == [{"one": 1}]


def test_a_statements_first_run_gets_time_to_be_planned(neo4j_server: LocalNeo4j) -> None:
    """Planning counts against the timeout: a text not yet run or planned in this process
    gets COLD_TIMEOUT_FACTOR times the budget, once; a restart of Neo4j makes it cold again."""
    cold = Cypher("t.cold", "RETURN 2 AS two")
    warmed = Cypher("t.warmed", "RETURN 3 AS three")

    async def main(db: Database) -> list[float | None]:
        seen = [db.timeout_for(cold.text)]
        assert await db.read(cold) == [{"two": 2}]
        seen.append(db.timeout_for(cold.text))
        await db.explain("EXPLAIN " + warmed.text, {})  # as the warm-up plans it
        seen.append(db.timeout_for(warmed.text))
        db.forget_plans()
        seen.append(db.timeout_for(cold.text))
        return seen

    budget = 15.0
    assert run(neo4j_server, main, transaction_timeout=budget) == [
        budget * graph.db.COLD_TIMEOUT_FACTOR,
        budget,
        budget,
        budget * graph.db.COLD_TIMEOUT_FACTOR,
    ]


@pytest.mark.timeout(300)
def test_a_write_stopped_on_a_first_run_is_tried_once_with_the_first_run_allowance(
    neo4j_server: LocalNeo4j,
) -> None:
    """Tester AO: writes timed out at the plain budget on their first run after a start
    (their timeout is fixed before their statements are known). Stopped on a first run, a
    write is tried once more with COLD_TIMEOUT_FACTOR times the budget; once planned, not."""
    slow_write = Cypher("t.slow_write", "CREATE (:TSlowWrite) WITH 1 AS one " + SLOW.text)

    async def attempts(db: Database) -> tuple[list[str], float]:
        trips = graph.db.RoundTrips()
        token = graph.db.current_round_trips.set(trips)
        started = time.monotonic()
        try:
            with pytest.raises(QueryTimeout):
                await db.transaction(lambda tx: tx.run(slow_write))
        finally:
            graph.db.current_round_trips.reset(token)
        return trips.names, time.monotonic() - started

    async def main(db: Database) -> tuple[tuple[list[str], float], tuple[list[str], float]]:
        return await attempts(db), await attempts(db)

    (cold, cold_s), (warm, warm_s) = run(neo4j_server, main, transaction_timeout=1.0)
    assert cold == ["t.slow_write", "t.slow_write"]  # 1 s, then 4 s
    assert cold_s >= 1.0 + graph.db.COLD_TIMEOUT_FACTOR
    # The first attempt planned it: the next run has the plain budget, once
    assert warm == ["t.slow_write"]
    assert warm_s < graph.db.COLD_TIMEOUT_FACTOR
    left = Cypher("t.left", "MATCH (n:TSlowWrite) RETURN count(n) AS n")
    stored = run(neo4j_server, lambda db: db.read(left))
    assert stored == [{"n": 0}]  # rolled back, every time


def test_statements_are_found_in_graph_modules() -> None:
    found = {q.name for q in statements()}
    assert {q.name for q in maps.ACCOUNT_MAP.values()} <= found
    assert {q.name for q in related.RELATED.values()} <= found
    assert any(name.startswith("maps.contact_map.") for name in found)
    # What users wait for comes first: the key look-up every request makes, then the maps.
    names = [q.name for q in statements()]
    assert names[0] == "apikey.by_hash"
    assert names[1].startswith("maps.")


def test_sample_parameters_cover_every_parameter() -> None:
    unknown = {
        name
        for q in statements()
        for name, value in sample_parameters(q.text).items()
        if value is None
    }
    assert unknown == set()


# About 650 statement variants (635 s at the last CI on a slow 2-core machine, beside
# another worker): the guard leaves room for planning, it does not time it (benchmarks do).
@pytest.mark.timeout(1560)
def test_warm_up_plans_every_statement(
    neo4j_server: LocalNeo4j, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="graph.warmup")
    planned, left = run(neo4j_server, lambda db: warm_up(db, budget=1500))
    assert left == 0, [r.getMessage() for r in caplog.records]
    assert planned == sum(len(q.variants()) for q in statements())


ONE = Cypher("t.one", "RETURN 1 AS one")


def _failing_sessions(
    db: Database, monkeypatch: pytest.MonkeyPatch, fail: Callable[[int], Exception | None]
) -> list[dict[str, Any]]:
    """Wrap the driver's sessions: the n-th (from 1) raises `fail(n)` from `run` when that is
    not None, the way a dropped connection surfaces. The options of each session opened."""
    real = db.driver.session
    opened: list[dict[str, Any]] = []

    def session(**options: Any) -> Any:
        opened.append(options)
        s = real(**options)
        error = fail(len(opened))
        if error is not None:

            async def broken(*_: Any, **__: Any) -> Any:
                raise error

            monkeypatch.setattr(s, "run", broken)
        return s

    monkeypatch.setattr(db.driver, "session", session)
    return opened


def test_a_read_is_retried_after_a_retryable_failure(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph.db, "_RETRY_FIRST_DELAY", 0.01)

    async def main(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        opened = _failing_sessions(
            db, monkeypatch, lambda n: SessionExpired("injected: gone") if n == 1 else None
        )
        return await db.read(ONE), opened

    rows, opened = run(neo4j_server, main)
    assert rows == [{"one": 1}]
    assert len(opened) == 2
    assert all(o["default_access_mode"] == READ_ACCESS for o in opened)


def test_a_read_is_not_retried_after_its_own_error(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph.db, "_RETRY_FIRST_DELAY", 0.01)

    async def main(db: Database) -> tuple[ClientError, int]:
        opened = _failing_sessions(db, monkeypatch, lambda n: None)
        with pytest.raises(ClientError) as caught:
            await db.read(Cypher("t.divide", "RETURN 1 / $zero AS x"), {"zero": 0})
        return caught.value, len(opened)

    error, attempts = run(neo4j_server, main)
    assert "ArithmeticError" in (error.code or "")
    assert attempts == 1


def test_retrying_a_read_stops_at_its_budget(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph.db, "_RETRY_FIRST_DELAY", 0.05)
    monkeypatch.setattr(graph.db, "RETRY_SECONDS", 0.3)

    async def main(db: Database) -> tuple[float, int]:
        opened = _failing_sessions(db, monkeypatch, lambda n: ServiceUnavailable("injected"))
        began = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            await db.read(ONE)
        return time.monotonic() - began, len(opened)

    took, attempts = run(neo4j_server, main)
    # Waits of about 0.05, 0.1, 0.2 and 0.4 s: the fourth attempt starts past the budget.
    assert 3 <= attempts <= 5
    assert took < 5


def test_the_embedded_server_sends_no_read_timeout_hint(cypher: Driver) -> None:
    # With the hint the driver times every socket read with a task of its own (about 0.5 ms
    # of CPU a statement); Database's own deadline stands in for it.
    with cypher.session() as s:
        value = s.run(
            "CALL dbms.listConfig('server.bolt.connection_keep_alive_for_requests') "
            "YIELD value RETURN value"
        ).single(strict=True)["value"]
    assert value == "STREAMING"


def _state(pid: int) -> str:
    """The process state letter from /proc (T: stopped)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


@contextlib.contextmanager
def _frozen(server: LocalNeo4j) -> Iterator[None]:
    """The server stopped (SIGSTOP): it keeps its connections open and answers nothing."""
    pid = server.running_pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        # kill() returns before every thread has stopped: on a loaded machine a thread still
        # running answered one read (a clean-clone run, once). Wait for the stopped state.
        deadline = time.monotonic() + 10
        while _state(pid) != "T":
            assert time.monotonic() < deadline, "the server did not stop"
            time.sleep(0.01)
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.timeout(120)
def test_a_commit_left_unanswered_may_have_saved_and_is_not_retryable(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every statement of the write ran; then the server fell silent, so the commit got no
    answer. The write may have been saved: DATABASE_UNAVAILABLE (retryable) would invite a
    second copy, as a tester saw. A silence before the statements ran stays retryable (the
    test above)."""
    monkeypatch.setattr(graph.db, "ANSWER_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(graph.db, "RETRY_SECONDS", 0.5)
    write = Cypher("t.commit_probe", "CREATE (n:CommitProbe) RETURN 1 AS one")

    async def main(db: Database) -> WriteOutcomeUnknown:
        for _ in range(20):  # a pooled connection; the first answer may be slow under load
            with contextlib.suppress(DatabaseUnavailable):
                await db.read(ONE)
                break
        await db.write(write)  # planned, so the probe's statement answers in time
        frozen = contextlib.ExitStack()

        async def work(tx: Tx) -> int:
            await tx.run(write)
            frozen.enter_context(_frozen(neo4j_server))  # before COMMIT is sent
            return 1

        try:
            with pytest.raises(WriteOutcomeUnknown) as caught:
                await db.transaction(work)
        finally:
            frozen.close()
        for _ in range(40):
            with contextlib.suppress(DatabaseUnavailable):
                await db.read(ONE)
                return caught.value
            await asyncio.sleep(0.5)
        raise AssertionError("no answer after the server resumed")

    error = run(neo4j_server, main, transaction_timeout=5.0)
    assert error.code == "WRITE_OUTCOME_UNKNOWN"
    assert not error.retryable
    assert error.names_request
    assert "may have been saved" in error.client_message()


@pytest.mark.timeout(120)
def test_a_silent_server_ends_reads_and_writes_at_their_deadline(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Deadlines of 1.5 s (read) and 2 s (write), inside the driver's 3 s connection timeout:
    # the write finds the read's connection cut and has to open one to the frozen server.
    monkeypatch.setattr(graph.db, "ANSWER_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(graph.db, "RETRY_SECONDS", 0.5)
    monkeypatch.setattr(graph.db, "COLD_TIMEOUT_FACTOR", 1.0)  # the write runs cold
    write = Cypher("t.write", "CREATE (n:DeadlineProbe) RETURN 1 AS one")

    async def main(db: Database) -> list[tuple[str, float]]:
        await db.read(ONE)  # a pooled connection, which the frozen server leaves open
        ended: list[tuple[str, float]] = []
        with _frozen(neo4j_server):
            for call in (lambda: db.read(ONE), lambda: db.write(write)):
                began = time.monotonic()
                with pytest.raises(DatabaseUnavailable) as caught:
                    await call()
                ended.append((str(caught.value), time.monotonic() - began))
        # The same Database answers again once the server runs (it may take a moment to
        # catch up after the stop).
        for _ in range(40):
            with contextlib.suppress(DatabaseUnavailable):
                assert await db.read(ONE) == [{"one": 1}]
                return ended
            await asyncio.sleep(0.5)
        raise AssertionError("no answer after the server resumed")

    (read_error, read_took), (write_error, write_took) = run(
        neo4j_server, main, transaction_timeout=1.0
    )
    # The timeout, then the grace; a write's deadline also leaves room for the retries.
    assert read_error == "Neo4j did not answer within 2 s"  # 1.5, rounded
    assert 1.4 < read_took < 6
    assert write_error == "Neo4j did not answer within 2 s"
    assert 1.9 < write_took < 6


def test_a_network_timeout_is_not_taken_for_the_deadline(
    neo4j_server: LocalNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main(db: Database) -> tuple[str, int]:
        opened = _failing_sessions(db, monkeypatch, lambda n: TimeoutError("injected: socket"))
        with pytest.raises(DatabaseUnavailable) as caught:
            await db.read(ONE)
        return str(caught.value), len(opened)

    message, attempts = run(neo4j_server, main, transaction_timeout=5.0)
    assert message == "injected: socket"
    assert attempts == 1  # the network's own error, not retried, as before the deadline


LOCK = "MATCH (n:DeadlockProbe {id: $id}) SET n.hits = coalesce(n.hits, 0) + 1"


@pytest.mark.timeout(120)
def test_a_deadlock_that_outlasts_the_retries_is_busy_not_internal(
    neo4j_server: LocalNeo4j, cypher: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real deadlock: another transaction holds B and waits for A, which ours holds; ours then
    # asks for B, closing the cycle, and Neo4j aborts ours. Without retry time left, the
    # caller gets SERVER_BUSY (retryable), not the driver's TransientError (INTERNAL).
    monkeypatch.setattr(graph.db, "RETRY_SECONDS", 0.0)
    cypher.execute_query("MATCH (n:DeadlockProbe) DELETE n", database_="neo4j")
    cypher.execute_query(
        "CREATE (:DeadlockProbe {id: 'a'}), (:DeadlockProbe {id: 'b'})", database_="neo4j"
    )
    holds_b, holds_a = threading.Event(), threading.Event()

    def other() -> None:
        with cypher.session(database="neo4j") as s, s.begin_transaction() as tx:
            tx.run(LOCK, id="b").consume()
            holds_b.set()
            holds_a.wait(30)
            tx.run(LOCK, id="a").consume()  # waits for ours, which is then aborted
            tx.commit()

    thread = threading.Thread(target=other)
    thread.start()

    async def ours(db: Database) -> None:
        async def work(tx: Tx) -> None:
            await tx.run(Cypher("t.lock_a", LOCK), {"id": "a"})
            holds_a.set()
            await asyncio.sleep(1.0)  # the other transaction is now waiting for A
            await tx.run(Cypher("t.lock_b", LOCK), {"id": "b"})

        assert await asyncio.to_thread(holds_b.wait, 30)
        await db.transaction(work)

    try:
        with pytest.raises(DatabaseBusy) as caught:
            run(neo4j_server, ours)
    finally:
        thread.join(60)
    assert (caught.value.code, caught.value.retryable) == ("SERVER_BUSY", True)
    # Ours was rolled back; the other committed.
    hits = cypher.execute_query(
        "MATCH (n:DeadlockProbe) RETURN n.id AS id, n.hits AS hits ORDER BY id", database_="neo4j"
    ).records
    assert [(r["id"], r["hits"]) for r in hits] == [("a", 1), ("b", 1)]
    cypher.execute_query("MATCH (n:DeadlockProbe) DELETE n", database_="neo4j")
