"""Driver lifecycle and the one gate every Cypher statement passes through.

`Database.read` runs one named, parameterised statement auto-committed in a read session (one
round trip to the server, where a managed transaction takes three: BEGIN, RUN, COMMIT), and
retries it as the driver retries a managed one. `Database.write` runs one in a managed write
transaction, and `Database.transaction` a function with several statements in one. Every
statement sent is counted in the current request's `RoundTrips`, which is how tests assert that
a request's cost is bounded.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypeVar

from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.errors import (
    ConstraintViolation,
    DatabaseBusy,
    DatabaseUnavailable,
    QueryTimeout,
    WriteOutcomeUnknown,
)
from neo4j import (
    READ_ACCESS,
    AsyncGraphDatabase,
    AsyncManagedTransaction,
    AsyncResult,
    Query,
    unit_of_work,
)

log = logging.getLogger(__name__)

# How long a failed statement is retried (managed transactions and reads alike): fail fast
# when the server is gone, so clients get DATABASE_UNAVAILABLE promptly, rather than waiting
# out the driver's default 30 s budget. Reads wait between attempts as the driver does.
RETRY_SECONDS = 5.0
_RETRY_FIRST_DELAY, _RETRY_MULTIPLIER, _RETRY_JITTER = 1.0, 2.0, 0.2
# The client's own deadline: a statement with a timeout that has no answer this long after the
# timeout, which the server enforces, waits on a frozen server or a lost network. The
# embedded server sends no read-timeout hint (graph/server.py), so this is the only one.
ANSWER_GRACE_SECONDS = 10.0
# Planning counts against a statement's timeout, and a statement Neo4j has not planned yet
# (after a start or a restart of Neo4j, before the warm-up reached it) took 12-17 s to plan
# on a loaded 2-core machine: longer than the whole budget of a request. Its first run in this
# process gets this many times the budget; later runs hit the plan cache.
COLD_TIMEOUT_FACTOR = 4.0
# At most this many statement texts are remembered as planned (the list pages build texts
# from their filters); past it the memory starts over, and some first runs wait longer.
_PLANNED_MAX = 10_000

T = TypeVar("T")
Row = dict[str, Any]


# The role-dependent parts of a visibility predicate (graph/access.py) are marked in the text:
# a viewer who reads (or edits) every row gets the statement with those parts replaced by
# `true`. The marks are comments, so the full text is what runs for everyone else.
READ_ALL_MARK: tuple[LiteralString, LiteralString] = ("/*read-all{*/", "/*}read-all*/")
EDIT_ALL_MARK: tuple[LiteralString, LiteralString] = ("/*edit-all{*/", "/*}edit-all*/")


def _open(text: LiteralString, mark: tuple[LiteralString, LiteralString]) -> LiteralString:
    """`text` with every marked part replaced by `true` (marks never nest). Only literal text
    is cut out, so the result is as literal as `text`."""
    return re.sub(re.escape(mark[0]) + ".*?" + re.escape(mark[1]), "true", text, flags=re.S)


@dataclass(frozen=True)
class Cypher:
    """A named statement. The name shows up in logs and round-trip counts, never to clients.

    `for_params` picks the text to send: a read-all viewer's (`$acl.all`) statement has no
    visibility subqueries left, which Neo4j plans several times faster (measured: 5 s against
    50 s for the four largest traversal statements) and which then runs without them."""

    name: str
    text: LiteralString
    # The texts for a viewer who reads every row, and for one who also edits every row.
    read_all: LiteralString = field(init=False, repr=False, compare=False)
    edit_all: LiteralString = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        read_all = _open(self.text, READ_ALL_MARK)
        object.__setattr__(self, "read_all", read_all)
        object.__setattr__(self, "edit_all", _open(read_all, EDIT_ALL_MARK))

    def for_params(self, params: Mapping[str, Any] | None) -> LiteralString:
        acl = params.get("acl") if params else None
        if not isinstance(acl, Mapping) or acl.get("all") is not True:
            return self.text
        return self.edit_all if acl.get("editAll") is True else self.read_all

    def variants(self) -> tuple[LiteralString, ...]:
        """The distinct texts this statement can be sent as (the warm-up plans each)."""
        return tuple(dict.fromkeys((self.text, self.read_all, self.edit_all)))


# The error classes live in graph/errors.py (one root, CrmError); these names stay importable.
__all__ = [
    "ConstraintViolation",
    "Cypher",
    "Database",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "QueryTimeout",
    "RoundTrips",
    "Row",
    "Tx",
    "current_round_trips",
    "rows",
]


@dataclass
class RoundTrips:
    """Statements sent during one request, by name, and the write transactions it committed
    (a request that fails after some were saved must not be retried whole)."""

    names: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def count(self) -> int:
        return len(self.names)


current_round_trips: ContextVar[RoundTrips | None] = ContextVar("round_trips", default=None)


def _count(name: str) -> None:
    trips = current_round_trips.get()
    if trips is not None:
        trips.names.append(name)


_CONSTRAINED = re.compile(r"`(\w+)` = ")


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, ConnectionAcquisitionTimeoutError):
        return DatabaseBusy(str(exc))
    if isinstance(exc, ServiceUnavailable | SessionExpired | AuthError | OSError):
        return DatabaseUnavailable(str(exc))
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, Neo4jError) and _timed_out(exc):
        return QueryTimeout(exc.message or code)
    # A restarting server answers Bolt before its database is online; that is an outage.
    if isinstance(exc, Neo4jError) and code.endswith("General.DatabaseUnavailable"):
        return DatabaseUnavailable(exc.message or code)
    if isinstance(exc, ClientError) and "ConstraintValidationFailed" in code:
        # "... already exists with label `Customer` and property `customerCode` = '...'"
        message = exc.message or ""
        return ConstraintViolation(message, tuple(_CONSTRAINED.findall(message)))
    if isinstance(exc, TransientError):
        # Still failing after the retries, e.g. deadlocks while many writers change one
        # node: Neo4j rolled it back, so nothing was saved and the client may try again.
        return DatabaseBusy(exc.message or code)
    return exc


def _timed_out(exc: Exception) -> bool:
    """Neo4j's own answer that it stopped the transaction at its timeout: on a loaded
    machine it can arrive just as the client's deadline passes, and it is the truer cause."""
    code = (exc.code or "") if isinstance(exc, Neo4jError) else ""
    # LockClientStopped: stopped at its timeout while it waited for another's write lock.
    return "TransactionTimedOut" in code or code.endswith("Transaction.LockClientStopped")


def _silent(deadline: float | None) -> DatabaseUnavailable:
    """A statement's own deadline passed (it is only set with a deadline)."""
    return DatabaseUnavailable(f"Neo4j did not answer within {deadline or 0:.0f} s")


async def rows(result: AsyncResult) -> list[Row]:
    """Records as dicts of their values as decoded. Not `Result.data()`: that walks every
    nested value again to turn graph entities into dicts, which our statements never return
    (they project maps), and that walk was a fifth of a 500-person org chart's request."""
    keys = result.keys()
    return [dict(zip(keys, values, strict=True)) for values in await result.values()]


class Tx:
    """A write transaction handed to `Database.transaction` callbacks. `cold`: it ran a
    statement this process had not run or planned yet (see COLD_TIMEOUT_FACTOR)."""

    def __init__(self, tx: AsyncManagedTransaction, db: Database) -> None:
        self._tx = tx
        self._db = db
        self.cold: list[str] = []

    async def run(self, q: Cypher, params: Mapping[str, Any] | None = None) -> list[Row]:
        _count(q.name)
        text = q.for_params(params)
        if self._db.timeout_for(text) != self._db.transaction_timeout:
            self.cold.append(text)
        result = await self._tx.run(text, dict(params or {}))
        found = await rows(result)
        self._db._ran(text)
        return found


class Database:
    """One driver. `transaction_timeout` (seconds, None for the server's default) bounds every
    managed transaction: the server stops a statement that runs longer, and the caller gets
    `QueryTimeout`; one left unanswered `ANSWER_GRACE_SECONDS` past it (a frozen server, a lost
    network) ends in `DatabaseUnavailable`. `pool_size` and `acquisition_timeout` bound the
    connection pool; a request that finds no free connection in time gets `DatabaseBusy`."""

    def __init__(
        self,
        uri: str,
        user: str,
        password: str | None,
        database: str = "neo4j",
        *,
        transaction_timeout: float | None = None,
        pool_size: int = 100,
        acquisition_timeout: float = 10.0,
    ):
        self.uri = uri
        self.database = database
        self.transaction_timeout = transaction_timeout
        # Texts this process has run or planned since Neo4j last started (`timeout_for`).
        self._planned: set[str] = set()
        auth = (user, password) if password is not None else None
        self.driver = AsyncGraphDatabase.driver(
            uri,
            auth=auth,
            max_transaction_retry_time=RETRY_SECONDS,
            connection_timeout=3.0,
            connection_acquisition_timeout=acquisition_timeout,
            max_connection_pool_size=pool_size,
            liveness_check_timeout=30.0,
            # Schema-less properties (custom fields) would otherwise log a warning per query.
            notifications_min_severity="OFF",
        )

    async def close(self) -> None:
        await self.driver.close()

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers a trivial query."""
        try:
            async with self.driver.session(database=self.database) as s:
                await (await s.run("RETURN 1")).consume()
        except (DriverError, Neo4jError, OSError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc

    def timeout_for(self, text: str) -> float | None:
        """The server-side timeout of one statement: the transaction timeout, or
        `COLD_TIMEOUT_FACTOR` times it for a text not planned yet (see there)."""
        timeout = self.transaction_timeout
        if timeout is None or text in self._planned:
            return timeout
        return timeout * COLD_TIMEOUT_FACTOR

    def _ran(self, text: str) -> None:
        if len(self._planned) >= _PLANNED_MAX:
            self._planned.clear()
        self._planned.add(text)

    def forget_plans(self) -> None:
        """Neo4j restarted with an empty plan cache: every statement is cold again."""
        self._planned.clear()

    async def _managed(
        self,
        fn: Callable[[AsyncManagedTransaction], Awaitable[T]],
        server_timeout: float | None = None,
    ) -> T:
        """`fn` in one managed write transaction, retried by the driver (within
        `RETRY_SECONDS`, each attempt within the timeout)."""
        timeout = server_timeout or self.transaction_timeout
        committing = False

        async def attempt(tx: AsyncManagedTransaction) -> T:
            nonlocal committing
            result = await fn(tx)
            committing = True  # every statement ran: what fails from here is the commit
            return result

        work = attempt if timeout is None else unit_of_work(timeout=timeout)(attempt)
        deadline = None if timeout is None else timeout + RETRY_SECONDS + ANSWER_GRACE_SECONDS
        limit = asyncio.timeout(deadline)
        try:
            async with limit, self.driver.session(database=self.database) as s:
                result = await s.execute_write(work)
        except (DriverError, Neo4jError, OSError) as exc:
            # No answer to a commit (a lost connection, silence): it may have been saved. An
            # error Neo4j answered with is a refusal, and nothing was saved.
            if committing and (limit.expired() or not isinstance(exc, Neo4jError)):
                raise WriteOutcomeUnknown(str(exc)) from exc
            silent = limit.expired() and not _timed_out(exc)
            raise (_silent(deadline) if silent else _translate(exc)) from exc
        if (trips := current_round_trips.get()) is not None:
            trips.commits += 1
        return result

    async def read(self, q: Cypher, params: Mapping[str, Any] | None = None) -> list[Row]:
        """The rows of one read statement. Auto-committed: a single statement needs no
        transaction of its own, and BEGIN and COMMIT were two of a small read's three round
        trips (measured: W4's statement 1.9 -> 1.35 ms, a third less client CPU). A read is
        idempotent, so a failure the driver calls retryable is tried again, within
        `RETRY_SECONDS`, as `execute_read` would have."""
        _count(q.name)
        text = q.for_params(params)
        timeout = self.timeout_for(text)
        query = Query(text, timeout=timeout)
        values = dict(params or {})
        deadline = None if timeout is None else timeout + ANSWER_GRACE_SECONDS
        delay, started = _RETRY_FIRST_DELAY, time.monotonic()
        while True:
            limit = asyncio.timeout(deadline)
            try:
                async with (
                    limit,
                    self.driver.session(
                        database=self.database, default_access_mode=READ_ACCESS
                    ) as s,
                ):
                    found = await rows(await s.run(query, values))
                self._ran(text)
                return found
            except (DriverError, Neo4jError, OSError) as exc:
                if limit.expired() and not _timed_out(exc):
                    raise _silent(deadline) from exc
                if (
                    isinstance(exc, OSError)
                    or not exc.is_retryable()
                    or time.monotonic() - started > RETRY_SECONDS
                ):
                    raise _translate(exc) from exc
                log.warning("read %s failed and will be retried in %.1f s: %s", q.name, delay, exc)
            await asyncio.sleep(delay * (1 + random.uniform(-_RETRY_JITTER, _RETRY_JITTER)))
            delay *= _RETRY_MULTIPLIER

    async def write(self, q: Cypher, params: Mapping[str, Any] | None = None) -> list[Row]:
        _count(q.name)
        text = q.for_params(params)

        async def work(tx: AsyncManagedTransaction) -> list[Row]:
            return await rows(await tx.run(text, dict(params or {})))

        found = await self._managed(work, self.timeout_for(text))
        self._ran(text)
        return found

    async def transaction(
        self, fn: Callable[[Tx], Awaitable[T]], server_timeout: float | None = None
    ) -> T:
        """Run `fn` in one write transaction. It may be retried, so it must be idempotent.
        `server_timeout` (seconds, enforced by Neo4j) replaces the per-request transaction
        timeout, for start-up loads that are not requests."""

        cold: list[str] = []

        async def work(tx: AsyncManagedTransaction) -> T:
            t = Tx(tx, self)
            try:
                return await fn(t)
            finally:
                cold.extend(t.cold)

        timeout = server_timeout or self.transaction_timeout
        try:
            return await self._managed(work, server_timeout)
        except QueryTimeout:
            # A transaction's timeout is set at its start, before its statements are known.
            # One that ran a statement for the first time (planning counts) and was stopped
            # is tried once more with the first-run allowance; Neo4j rolled it back.
            if not cold or timeout is None:
                raise
            try:
                return await self._managed(work, timeout * COLD_TIMEOUT_FACTOR)
            finally:
                for text in cold:  # planned by now: what still runs long is the running
                    self._ran(text)

    async def explain(self, text: LiteralString, params: Mapping[str, Any]) -> None:
        """Plan a statement without running it (start-up warm-up, graph/warmup.py); not
        counted as a round trip of any request."""
        try:
            async with self.driver.session(database=self.database) as s:
                await (await s.run(text, dict(params))).consume()
        except (DriverError, Neo4jError, OSError) as exc:
            raise _translate(exc) from exc
        self._ran(text.removeprefix("EXPLAIN "))  # the statement's own plan is cached now

    async def autocommit(self, text: LiteralString, name: str = "schema") -> None:
        """Schema statements (constraints, indexes) cannot run inside a managed transaction
        together with writes; they run alone, auto-committed."""
        _count(name)
        try:
            async with self.driver.session(database=self.database) as s:
                await (await s.run(text)).consume()
        except (DriverError, Neo4jError, OSError) as exc:
            raise _translate(exc) from exc


def native(value: Any) -> Any:
    """A driver temporal value (neo4j.time) as Python's; other values unchanged."""
    to_native = getattr(value, "to_native", None)
    return to_native() if to_native is not None else value
