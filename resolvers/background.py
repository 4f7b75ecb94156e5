"""The loops an app runs beside its requests (outreach sends, import and export jobs): one
round after another, woken early when work arrives, else every `poll_seconds`. A failed round
is logged whole and tried again at the next wake (a round the database was down for, in one
line at WARNING); cancellation (shutdown) ends the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from graph.db import Database
from graph.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


class Background:
    """Subclasses say what one round does (`round`) and how it is named in the log."""

    name = "background"
    poll_seconds: float = 5.0
    _wake: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None

    async def round(self, db: Database) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, db: Database) -> None:
        if not self.running:
            self._wake = self._wake or asyncio.Event()
            self._task = asyncio.create_task(self._loop(db, self._wake))

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._task = None

    async def _loop(self, db: Database, wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            try:
                await self.round(db)
            except asyncio.CancelledError:
                raise
            except DatabaseUnavailable as exc:
                # Expected while Neo4j restarts: one line, not a traceback every round.
                log.warning("%s: the database is unavailable (%s); trying again", self.name, exc)
            except Exception:
                log.exception("%s: a round failed; trying again shortly", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_seconds)
