// Every instant a client sends is stored at the business zone's offset from now on
// (resolvers/shapes.py `business_instant`), as the database's own datetime() writes them:
// Neo4j orders equal instants at different offsets apart, so a timeline `since` at
// 01:00+08:00 missed a record saved at 17:00Z the evening before, and the same instant sent
// again at another offset counted as a change. Instants stored before move to that offset;
// the instant itself stays.
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
