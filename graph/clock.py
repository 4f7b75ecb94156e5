"""The business calendar: what "today" means, decided in one place.

The customers and the staff are in China, so a day is a China day (Asia/Shanghai, +08:00, no
daylight saving): an order placed at 07:00 on 5 November in Shanghai is a 5 November order,
although it is still 4 November in UTC. Python code asks `today()`; Cypher's `date()` gives the
same day because the embedded Neo4j runs with `db.temporal.timezone` set to `neo4j_zone()`
(graph/server.py). An external server needs that setting too: the app warns at start-up when
its offset differs (README, Configuration). `CRM_TIMEZONE` moves both, e.g. for a team abroad.

Instants stay instants: they are compared as such whatever offset they carry. Send them to
the database in UTC, never with ZONE attached: the driver hands such a value's offset question
to zoneinfo with its own DateTime type, which crashed the process once (a segmentation fault
in a test run).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"


def _zone(name: str) -> ZoneInfo:
    # A name that is no zone is reported by settings.py (`Settings.from_env`), as one line
    # naming the variable, before anything runs; not here, at import, inside a traceback.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


ZONE_NAME = os.environ.get("CRM_TIMEZONE", "").strip() or DEFAULT_ZONE
ZONE = _zone(ZONE_NAME)


def now() -> dt.datetime:
    """The current instant, in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The current business day."""
    return dt.datetime.now(ZONE).date()


def day_of(instant: dt.datetime) -> dt.date:
    """The business day an instant falls on."""
    return instant.astimezone(ZONE).date()


@functools.cache  # ZONE is fixed at import; the figures statement asks on every request
def neo4j_zone() -> str:
    """The value for Neo4j's `db.temporal.timezone`.

    A fixed offset when the zone never changes it (China), so that `toString(datetime())` stays
    plain ISO-8601 without a "[Asia/Shanghai]" suffix; the zone's name where it has daylight
    saving, so that Neo4j follows the changes.
    """
    year = dt.datetime.now(ZONE).year
    offsets = {dt.datetime(year, month, 1, 12, tzinfo=ZONE).utcoffset() for month in range(1, 13)}
    if len(offsets) != 1:
        return ZONE_NAME
    offset = offsets.pop() or dt.timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@functools.cache
def standard_offset() -> dt.timezone:
    """The zone's offset now, as a fixed one: for instants its data gives an offset that is
    not whole minutes (local mean time before 1901), which nothing downstream can write."""
    return dt.timezone(dt.timedelta(seconds=offset_seconds()))


def offset_seconds() -> int:
    """The zone's offset from UTC now, for comparing with a server's."""
    offset = dt.datetime.now(ZONE).utcoffset() or dt.timedelta()
    return int(offset.total_seconds())
