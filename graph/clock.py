"""The business calendar: what "today" means, decided in one place.

The customers and the staff are in China, so a day is a China day (Asia/Shanghai, +08:00, no
daylight saving): an order placed at 07:00 on 5 November in Shanghai is a 5 November order,
although it is still 4 November in UTC. Python code asks `today()`; Cypher's `date()` gives the
same day because the embedded Neo4j runs with `db.temporal.timezone` set to `neo4j_zone()`
(graph/server.py). An external server needs that setting too: the app warns at start-up when
its offset differs (README, Configuration). `CRM_TIMEZONE` moves both, e.g. for a team abroad.

Every instant is stored at the zone's offset, as Cypher's own `datetime()` writes it: Neo4j
orders equal instants at different offsets apart, so a `since` at 01:00+08:00 missed a record
saved at 17:00Z the evening before. `fixed()` moves an instant there and `now()` gives the
current one so. The offset is a fixed `dt.timezone`, never ZONE itself: the driver hands a
ZoneInfo value's offset question to zoneinfo with its own DateTime type, which crashed the
process once (a segmentation fault in a test run).
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


_MINUTE = dt.timedelta(minutes=1)  # offsets are whole minutes, in and out


def fixed(instant: dt.datetime) -> dt.datetime:
    """The same instant at the zone's offset then, as a fixed offset: how every instant is
    stored and compared. A naive value is read as UTC (none is stored so), not guessed."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    offset = instant.astimezone(ZONE).utcoffset() or dt.timedelta()
    if offset % _MINUTE:
        # Before 1901 the zone's data gives local mean time (+08:05:43), which ISO 8601
        # profiles (RFC 3339) and JavaScript cannot read: the zone's standard offset instead.
        return instant.astimezone(standard_offset())
    return instant.astimezone(dt.timezone(offset))


def now() -> dt.datetime:
    """The current instant, at the zone's offset as every stored instant (`fixed`)."""
    return fixed(dt.datetime.now(dt.UTC))


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
