// The server's own instants (archivedAt, an outreach message's occurredAt, the admin
// import's createdAt and updatedAt, a scoring run's) were still written in UTC after V0021
// moved the clients'; graph/clock.py `now` and `fixed` write them at the business zone's
// offset too. Those stored in between move there; the instant itself stays.
MATCH (n) UNWIND keys(n) AS k
WITH n, k, n[k] AS v WHERE v IS :: ZONED DATETIME
WITH n, k, v, datetime({datetime: v, timezone: datetime().timezone}) AS moved
WHERE v.offsetSeconds <> moved.offsetSeconds
SET n[k] = moved;
MATCH ()-[r]->() UNWIND keys(r) AS k
WITH r, k, r[k] AS v WHERE v IS :: ZONED DATETIME
WITH r, k, v, datetime({datetime: v, timezone: datetime().timezone}) AS moved
WHERE v.offsetSeconds <> moved.offsetSeconds
SET r[k] = moved;
