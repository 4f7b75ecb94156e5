"""Batched reads of relation fields: one statement per field kind for any number of nodes.

Each statement takes `$ids` and returns one row per id asked (`UNWIND ... OPTIONAL MATCH ...
collect`), so a DataLoader can serve a whole page in one round trip. Only current edges count:
valid today per docs/MODEL.md. Archived nodes are left out, as in lists, and so are nodes the
viewer may not see (graph/access.py): a nested list never names an invisible node.
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.access import acl_params, name_order, visible
from graph.actor import Actor
from graph.cypher import current
from graph.db import Cypher, Database
from graph.lists import PROJECTIONS
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
# SUBSIDIARIES and CONTACTS come in both of graph/lists.py's PROJECTIONS, `full` (every
# stored property) and `summary` (id, names, profile): the resolver picks the summary when
# the field's selection reads nothing else.
SUBSIDIARIES = {
    kind: Cypher(
        "relations.subsidiaries" + ("" if kind == "full" else "." + kind),
        "UNWIND $ids AS id "
        "OPTIONAL MATCH (:Company {id: id})<-[r:SUBSIDIARY_OF]-(n:Company) "
        "WHERE " + CURRENT + " AND " + SHOWN + " "
        "WITH id, n ORDER BY n.name, n.id "
        "RETURN id, collect(" + projected + ")[..$cap] AS items",
    )
    for kind, projected in PROJECTIONS.items()
}
# A company's current staff, by name (by id for a viewer who sees people anonymised: the
# name order would spell pseudonyms out): LIMIT per company inside the subquery, so a company
# of 500 people projects only the `$cap` it returns.
CONTACTS = {
    kind: Cypher(
        "relations.contacts" + ("" if kind == "full" else "." + kind),
        "UNWIND $ids AS id "
        "CALL (id) { "
        "  MATCH (:Company {id: id})<-[r:WORKS_AT]-(n:Person) "
        "  WHERE " + CURRENT + " AND " + SHOWN + " "
        "  WITH DISTINCT n ORDER BY " + name_order("n") + ", n.id LIMIT $cap "
        "  RETURN collect(" + projected + ") AS items "
        "} "
        "RETURN id, items",
    )
    for kind, projected in PROJECTIONS.items()
}
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
# It goes level by level through those lists themselves: level k+1 is the companies level
# k's lists name that no earlier level holds, so only companies the fields will show are
# visited, and the last level's are asked for contacts alone. (A `*0..depth` walk, which
# ignored edge dates and visibility and asked every company it met for both lists: this
# takes 0.83x-1.00x of its time and 0.52x-0.89x of its db hits at scale S, the gain growing
# with the tree and for viewers who see less; bench/README.md, W9.)
# Each list kind is projected whole or as a summary, as its fields ask (W9's summaries: the
# request takes about 0.7x the time of the full projections; bench/README.md, W9).
# `$limit` caps each level and the answer; a capped answer is not used.
TREE_MAX_DEPTH = 3


def _tree_subsidiaries(c: LiteralString) -> LiteralString:
    """`subs`: company `c`'s SUBSIDIARIES list, as nodes (projected at the end)."""
    return (
        "CALL (" + c + ") { OPTIONAL MATCH (" + c + ")<-[r:SUBSIDIARY_OF]-(n:Company) "
        "WHERE " + CURRENT + " AND " + SHOWN + " "
        "WITH n ORDER BY n.name, n.id "
        "RETURN collect(n)[..$subCap] AS subs } "
    )


# The companies of `frontier` no earlier level holds (`done`: {c, subs} per company).
_TREE_NEW: LiteralString = (
    "UNWIND frontier AS c WITH DISTINCT c WHERE NOT c IN [d IN done | d.c] WITH c LIMIT $limit "
)
_TREE_LEVEL: LiteralString = (
    "CALL (done, frontier) { "
    + _TREE_NEW
    + _tree_subsidiaries("c")
    + "RETURN collect({c: c, subs: subs}) AS below } "
    "WITH done + below AS done, reduce(a = [], x IN below | a + x.subs) AS frontier "
)
_TREE_LAST: LiteralString = (
    "CALL (done, frontier) { " + _TREE_NEW + "RETURN collect({c: c, subs: []}) AS leaves } "
    "UNWIND done + leaves AS row WITH row.c AS c, row.subs AS subs LIMIT $limit "
)


def _tree_contacts(projected: LiteralString) -> LiteralString:
    return (
        "CALL (c) { OPTIONAL MATCH (c)<-[r:WORKS_AT]-(n:Person) "
        "WHERE " + CURRENT + " AND " + SHOWN + " "
        "WITH DISTINCT n ORDER BY " + name_order("n") + ", n.id LIMIT $cap "
        "RETURN collect(" + projected + ") AS contacts } "
    )


def _tree_name(depth: int, contacts: str | None, companies: str) -> str:
    """`relations.tree.d2.contacts` for the full projections, `.summary` after the part
    projected as a summary: `relations.tree.d2.summary.contacts.summary`."""
    name = f"relations.tree.d{depth}" + ("" if companies == "full" else f".{companies}")
    if contacts is not None:
        name += ".contacts" + ("" if contacts == "full" else f".{contacts}")
    return name


# Levels below the top that are expanded: depth - 1 of them (the top is level 0).
_TREE_LEVELS: dict[int, LiteralString] = {1: "", 2: _TREE_LEVEL, 3: _TREE_LEVEL + _TREE_LEVEL}
# Keyed (depth, contacts' projection or None for no contacts, the companies' projection):
# each list is projected as the fields reading it need (a key of lists.PROJECTIONS).
TREE: dict[tuple[int, str | None, str], Cypher] = {
    (depth, contacts, companies): Cypher(
        _tree_name(depth, contacts, companies),
        "MATCH (top:Company {id: $id}) "
        + _tree_subsidiaries("top")
        + "WITH [{c: top, subs: subs}] AS done, subs AS frontier "
        + levels
        + _TREE_LAST
        + (_tree_contacts(PROJECTIONS[contacts]) if contacts else "WITH c, subs, [] AS contacts ")
        + "RETURN c.id AS id, [n IN subs | "
        + PROJECTIONS[companies]
        + "] AS subsidiaries, contacts",
    )
    for depth, levels in _TREE_LEVELS.items()
    for contacts in (None, *PROJECTIONS)
    for companies in PROJECTIONS
}


async def subtree(
    db: Database,
    actor: Actor,
    company: str,
    depth: int,
    sub_cap: int,
    cap: int | None,
    limit: int,
    companies: str = "full",
    contacts: str = "full",
) -> list[TreeRow]:
    """Per company the lists reach within `depth` levels (at most `limit`): its first
    `sub_cap` subsidiaries (empty at the last level, which does not ask) and, with a `cap`,
    its first `cap` contacts, each list projected as named (keys of lists.PROJECTIONS)."""
    q = TREE[(depth, contacts if cap is not None else None, companies)]
    params = {"id": company, "limit": limit, "subCap": min(sub_cap, MAX_ITEMS), "cap": cap or 0}
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
