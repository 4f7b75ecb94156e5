"""Batched reads of relation fields: one statement per field kind for any number of nodes.

Each statement takes `$ids` and returns one row per id asked (`UNWIND ... OPTIONAL MATCH ...
collect`), so a DataLoader can serve a whole page in one round trip. Only current edges count:
valid today per docs/MODEL.md. Archived nodes are left out, as in lists, and so are nodes the
viewer may not see (graph/access.py): a nested list never names an invisible node.
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.access import acl_params, visible
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database
from graph.nodes import PROJECTION
from graph.rows import EmploymentRow, NodeRow, TreeRow
from graph.vocab import Label

# Per related-node list; a page of 100 nodes therefore returns at most 100 x 100 items.
MAX_ITEMS = 100

CURRENT = current("r")
# The related node `n` is live and the viewer may see it.
SHOWN: LiteralString = "n.archivedAt IS NULL AND " + visible("n")
# The party (Company or Person) with this id, through the per-label id indexes.
PARTY: LiteralString = (
    "CALL (id) { "
    + " UNION ".join(
        "MATCH (c:" + label.value + " {id: id}) RETURN c" for label in (Label.COMPANY, Label.PERSON)
    )
    + " } "
)
# Latest `since` first; open-ended (null since) counts as oldest.
LATEST: LiteralString = "ORDER BY coalesce(r.since, date('0001-01-01')) DESC, r.createdAt DESC"

PARENTS = Cypher(
    "relations.parents",
    "UNWIND $ids AS id "
    "OPTIONAL MATCH (:Company {id: id})-[r:SUBSIDIARY_OF]->(n:Company) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH id, n ORDER BY n.name, n.id "
    "RETURN id, collect(" + PROJECTION + ")[..$cap] AS items",
)
SUBSIDIARIES = Cypher(
    "relations.subsidiaries",
    "UNWIND $ids AS id "
    "OPTIONAL MATCH (:Company {id: id})<-[r:SUBSIDIARY_OF]-(n:Company) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH id, n ORDER BY n.name, n.id "
    "RETURN id, collect(" + PROJECTION + ")[..$cap] AS items",
)
# A company's current staff, by name: LIMIT per company inside the subquery, so a company
# of 500 people projects only the `$cap` it returns.
CONTACTS = Cypher(
    "relations.contacts",
    "UNWIND $ids AS id "
    "CALL (id) { "
    "  MATCH (:Company {id: id})<-[r:WORKS_AT]-(n:Person) "
    "  WHERE " + CURRENT + " AND " + SHOWN + " "
    "  WITH DISTINCT n ORDER BY n.name, n.id LIMIT $cap "
    "  RETURN collect(" + PROJECTION + ") AS items "
    "} "
    "RETURN id, items",
)
EMPLOYER = Cypher(
    "relations.employer",
    "UNWIND $ids AS id "
    "OPTIONAL MATCH (:Person {id: id})-[r:WORKS_AT]->(n:Company) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH id, r, n " + LATEST + " "
    "RETURN id, head(collect(CASE WHEN n IS NULL THEN null ELSE {company: " + PROJECTION + ", "
    "title: r.title, department: r.department, since: r.since, relationshipId: r.id} END)) "
    "AS item",
)
OWNER = Cypher(
    "relations.owner",
    "UNWIND $ids AS id " + PARTY + "OPTIONAL MATCH (n:User)-[r:OWNS]->(c) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH id, r, n " + LATEST + " "
    "RETURN id, head(collect(" + PROJECTION + ")) AS item",
)
PROJECT_CUSTOMER = Cypher(
    "relations.project_customer",
    "UNWIND $ids AS id "
    "OPTIONAL MATCH (:Project {id: id})-[r:FOR]->(n) "
    "WHERE " + CURRENT + " AND (n:Company OR n:Person) AND " + SHOWN + " "
    "WITH id, r, n " + LATEST + " "
    "RETURN id, head(collect(" + PROJECTION + ")) AS item",
)


# A company's subsidiaries to `depth` levels and every one's contacts, in one statement: what
# `subsidiaries { contacts subsidiaries { contacts } }` asks level by level (resolvers
# prime the loaders with it). Per company, the same lists SUBSIDIARIES and CONTACTS give.
# The walk `*0..depth` ignores edge dates and visibility, so it finds a superset of the
# companies the lists name; `$limit` caps it, and a capped answer is not used.
TREE_MAX_DEPTH = 3
_TREE_SUBSIDIARIES: LiteralString = (
    "CALL (c) { OPTIONAL MATCH (c)<-[r:SUBSIDIARY_OF]-(n:Company) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH n ORDER BY n.name, n.id "
    "RETURN collect(" + PROJECTION + ")[..$subCap] AS subsidiaries } "
)
_TREE_CONTACTS: LiteralString = (
    "CALL (c) { OPTIONAL MATCH (c)<-[r:WORKS_AT]-(n:Person) "
    "WHERE " + CURRENT + " AND " + SHOWN + " "
    "WITH DISTINCT n ORDER BY n.name, n.id LIMIT $cap "
    "RETURN collect(" + PROJECTION + ") AS contacts } "
)
_TREE_WALKS: dict[int, LiteralString] = {
    1: "MATCH (top)<-[:SUBSIDIARY_OF*0..1]-(c:Company) ",
    2: "MATCH (top)<-[:SUBSIDIARY_OF*0..2]-(c:Company) ",
    3: "MATCH (top)<-[:SUBSIDIARY_OF*0..3]-(c:Company) ",
}
TREE: dict[tuple[int, bool], Cypher] = {
    (depth, contacts): Cypher(
        f"relations.tree.d{depth}{'.contacts' if contacts else ''}",
        "MATCH (top:Company {id: $id}) "
        + walk
        + "WITH DISTINCT c LIMIT $limit "
        + _TREE_SUBSIDIARIES
        + (_TREE_CONTACTS if contacts else "WITH c, subsidiaries, [] AS contacts ")
        + "RETURN c.id AS id, subsidiaries, contacts",
    )
    for depth, walk in _TREE_WALKS.items()
    for contacts in (False, True)
}


async def subtree(
    db: Database, actor: Actor, company: str, depth: int, cap: int | None, limit: int
) -> list[TreeRow]:
    """Per company of the walk (at most `limit`): its subsidiaries and, with a `cap`, its
    first `cap` contacts."""
    q = TREE[(depth, cap is not None)]
    params = {"id": company, "limit": limit, "subCap": MAX_ITEMS, "cap": cap or 0}
    rows = await db.read(q, {**params, "acl": acl_params(actor)})
    return cast(list[TreeRow], rows)


async def lists(
    db: Database, actor: Actor, q: Cypher, ids: list[str], cap: int = MAX_ITEMS
) -> dict[str, list[NodeRow]]:
    """PARENTS, SUBSIDIARIES, CONTACTS: the related nodes of each id."""
    rows = await db.read(q, {"ids": ids, "cap": min(cap, MAX_ITEMS), "acl": acl_params(actor)})
    return {r["id"]: r["items"] for r in rows}


async def single(
    db: Database, actor: Actor, q: Cypher, ids: list[str]
) -> dict[str, NodeRow | None]:
    """OWNER, PROJECT_CUSTOMER: the one related node of each id, if any."""
    rows = await db.read(q, {"ids": ids, "acl": acl_params(actor)})
    return {r["id"]: r["item"] for r in rows}


async def employers(db: Database, actor: Actor, ids: list[str]) -> dict[str, EmploymentRow | None]:
    rows = await db.read(EMPLOYER, {"ids": ids, "acl": acl_params(actor)})
    return {r["id"]: r["item"] for r in rows}
