"""Rows checked in several processes (issue 15): the admin path spends most of an import
checking rows with the API's rules (identity numbers, phone numbers, e-mail addresses), one
row at a time, and a row's check does not depend on any other row. Only settling the rows in
the plan depends on file order, and that stays in the calling process, which gets the checked
rows back in file order.

The worker processes are spawned, not forked: they inherit no threads, locks or sockets from
the command (a progress bar's monitor thread, a driver's pool), and they work the same on
every platform. The one piece of state a check reads, the keyring that protects identity
numbers, is handed to each worker when it starts.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from graph import crypto
from resolvers.transfer import TransferError

Check = Callable[[Iterator[tuple[int, Any]]], Iterator[Any]]

CHUNK = 1000  # records a worker checks per task: large enough that pickling is a small part
# Below this many records, starting the workers (each imports the app's modules, about a
# second) costs more than the checks they would share.
SERIAL_UP_TO = 20_000


def processes() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start(ring: crypto.Keyring) -> None:
    """A worker's set-up: the command's keyring, and Ctrl-C left to the command, which stops
    the workers itself (else each would print its own traceback)."""
    crypto.configure(ring)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_chunk(check: Check, chunk: list[tuple[int, Any]]) -> list[Any]:
    return list(check(iter(chunk)))


def _chunks(records: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def checked(
    records: Iterable[tuple[int, Any]],
    check: Check,
    workers: int | None = None,
    serial_up_to: int = SERIAL_UP_TO,
) -> Iterator[Any]:
    """`check(records)`, in file order, computed by `workers` processes (default: one per
    CPU) when there are more than `serial_up_to` records; by this process otherwise. `check`
    must be a module-level function (or a partial of one) that checks each record on its own.
    """
    it = iter(records)
    head = list(itertools.islice(it, serial_up_to + 1))
    n = processes() if workers is None else workers
    if n < 2 or len(head) <= serial_up_to:
        yield from check(itertools.chain(head, it))
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        n, mp_context=context, initializer=_start, initargs=(crypto.keyring(),)
    )
    try:
        # Twice as many chunks in flight as workers: none waits for work, and a large file is
        # never read ahead of the plan by more than that.
        pending: deque[Future[list[Any]]] = deque()
        for chunk in _chunks(itertools.chain(head, it), CHUNK):
            pending.append(pool.submit(_check_chunk, check, chunk))
            if len(pending) >= 2 * n:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool as exc:
        raise TransferError(
            "a worker process checking rows stopped (out of memory?); nothing was written: "
            "--workers 1 checks them in this process"
        ) from exc
    finally:
        pool.shutdown(cancel_futures=True)
