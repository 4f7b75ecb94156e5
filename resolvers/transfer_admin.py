"""The admin path of `crm-graph import` (issue 15): an initial load into an empty embedded
database through neo4j-admin (graph/transfer_admin.py), instead of batched writes.

Rows are validated by the live path's own functions (resolvers/transfer.py: `mapped_rows`,
`graph_rows`), and rejected rows go to the same report with the same codes. What the live
path learns from the database, this path keeps in memory: the nodes imported so far, by
label and CRM id and by (externalSource, externalId), so that a relationship whose endpoint
is missing (NOT_FOUND), that joins a node to itself, or whose id already joins other
endpoints is refused as the live path refuses it; a row naming a node, relationship or
record an earlier row of the file named is rejected, as on the live path. Every node
and relationship gets the properties the live path gives it when it creates one: id,
version, createdAt and updatedAt (one moment for the whole import), externalSource and
externalId, the :Customer label, the protected ID number. The migrations then create the
constraints and indexes, and one audit event records the import.

Our staff (an export's teams, users and OWNS/ON_TEAM/KNOWS edges) are not written by
neo4j-admin: once the store is up they are saved by the live path's writers, before the
products and records (which name users), so they get exactly the live path's checks (the
team and user mutations' rules, ADMIN only, unique codes and external keys enforced by the
migrated constraints) and audit events; there are few of them, so the bulk tool gains
nothing there.

An in-memory check stands in for the constraints the store does not have yet: two rows may
not give one label's nodes the same (externalSource, externalId), nor two customers the same
customerCode (the live path fails the batch on either).
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph import clock, crypto
from graph import transfer as repo
from graph import transfer_admin as admin
from graph.db import Database
from graph.nodes import Audit
from graph.relationship import CYCLE_HOPS
from graph.server import LocalNeo4j
from graph.transfer import Key
from graph.vocab import ACYCLIC, Label, Rel
from resolvers import transfer, transfer_staff
from resolvers import transfer_customfields as tcf
from resolvers.errors import ErrorCode
from resolvers.transfer import Prepared, Rejection, Report


@dataclass
class AdminOutcome(transfer.Outcome):
    """The live path's counters, and what the store files hold."""

    nodes: int = 0
    edges: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    tool_output: str = ""  # what neo4j-admin printed


class Plan:
    """What the import will store, built row by row; `add` refuses what the live path would."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.nodes: dict[tuple[Label, str], admin.AdminNode] = {}
        self.external: dict[tuple[Label, str, str], str] = {}  # -> the node's CRM id
        self.codes: dict[str, tuple[Label, str]] = {}  # customerCode -> its node
        self.edges: dict[tuple[Rel, str], admin.AdminEdge] = {}
        self.fields: set[str] = set()
        self.created = self.updated = 0
        # Products and records (an export's own file): saved as saveProduct and saveRecord
        # save them once the store is loaded and the server up (`load`), the products first;
        # their rejections go to `report`. Before them our staff: teams, users and the staff
        # edges, by the live path's writers (transfer_staff.py), so that they get the team and
        # user mutations' checks and audit, and the edge import's rights.
        self.staff: list[Prepared] = []
        self.products: list[Prepared] = []
        self.records: list[Prepared] = []
        self.report: Path | None = None
        # Custom field definitions: the nodes' values are checked against them here, and they
        # are saved, before the products, once the store is up.
        self.custom = tcf.Planned()
        # Node rows whose REFERENCE values name a node not planned yet (the file may bring it
        # later): planned, or rejected, once the file's nodes are read (`settle`).
        self.waiting: list[Prepared] = []
        self.users: set[str] = set()  # the file's users, saved once the store is up
        # The hierarchies planned so far: node -> [(the node above, since, until)] per type,
        # for the loop check the live path makes in the store (graph/relationship.py).
        self.above: dict[Rel, dict[str, list[tuple[str, Any, Any]]]] = {r: {} for r in ACYCLIC}

    def _has(self, label: Label, node_id: str) -> bool:
        if label is Label.USER:
            return node_id in self.users
        return (label, node_id) in self.nodes

    def add(self, p: Prepared) -> list[Rejection]:
        if p.group[0] in ("team", "user") or transfer_staff.is_staff_edge(p.group):
            self.staff.append(p)
            if p.group[0] == "user":
                self.users.add(p.row["id"])
            return []
        if p.group[0] == "customField":
            return self.custom.add(p)
        if p.group[0] == "record":
            self.records.append(p)
            return []
        if p.group[0] == "product":
            self.products.append(p)
            return []
        return self._node(p) if p.group[0] == "node" else self._edge(p)

    def settle(self) -> list[Rejection]:
        """The waiting rows, planned now that the file's nodes are read, or rejected."""
        waited, self.waiting = self.waiting, []
        return [r for p in waited for r in self._node(p, final=True)]

    def _node(self, p: Prepared, final: bool = False) -> list[Rejection]:
        label: Label = p.group[1]
        key: Key = p.group[2]
        row = p.row
        refused = self.custom.values(label, row)  # its custom values join its properties
        if refused:
            return refused
        found = {(t, i) for _, t, i in row.get(tcf.REFERENCES) or [] if self._has(t, i)}
        refused = tcf.missing(row, found | {(label, row["id"])})
        if refused and not final:
            self.waiting.append(p)
            return []
        if refused:
            return refused
        row.pop(tcf.REFERENCES, None)
        given: dict[str, Any] = dict(row["props"])
        secret: dict[str, Any] = row["secret"] or {}
        pinned: dict[str, Any] = {}  # what the live path's MERGE pattern sets
        if key is Key.EXTERNAL:
            pinned = {"externalSource": row["source"], "externalId": row["externalId"]}
            node_id = self.external.get((label, row["source"], row["externalId"]), row["id"])
        else:
            node_id = row["id"]
        stored = self.nodes.get((label, node_id))
        after = {**(stored.props if stored else {}), **given, **pinned}
        ext = (after.get("externalSource"), after.get("externalId"))
        if ext[0] is not None and ext[1] is not None:
            other = self.external.get((label, ext[0], ext[1]))
            if other is not None and other != node_id:
                return [
                    Rejection(
                        p.n,
                        "externalId",
                        ErrorCode.VALIDATION.value,
                        f"another {label.value} of this import has this externalSource and "
                        "externalId",
                    )
                ]
        customer = bool(row["customer"]) or bool(stored and stored.customer)
        code = after.get("customerCode")
        holder = self.codes.get(code) if customer and code is not None else None
        if holder is not None and holder != (label, node_id):
            return [
                Rejection(
                    p.n,
                    "customer.customerCode",
                    ErrorCode.VALIDATION.value,
                    "another customer of this import has this customerCode",
                )
            ]
        if stored is None:
            props = {
                **given,
                **secret,
                **(row.get("derived") or {}),
                **pinned,
                "id": node_id,
                "version": 1,
                "createdAt": self.now,
                "updatedAt": self.now,
            }
            self.nodes[(label, node_id)] = admin.AdminNode(label, customer, props)
            self.created += 1
            changed = [
                *given,
                *(["idNumber"] if secret else []),
                *(["customer"] if customer else []),
            ]
        else:
            changed = [k for k, x in given.items() if stored.props.get(k) != x]
            if secret and stored.props.get(crypto.DIGEST) != secret.get(crypto.DIGEST):
                changed.append("idNumber")
            if row["customer"] and not stored.customer:
                changed.append("customer")
            if changed:
                old = (stored.props.get("externalSource"), stored.props.get("externalId"))
                if old[0] is not None and old[1] is not None and old != ext:
                    self.external.pop((label, old[0], old[1]), None)
                stored.props.update(given)
                if "name" in changed:
                    stored.props.update(row.get("derived") or {})
                if "idNumber" in changed:
                    stored.props.update(secret)
                stored.customer = customer
                stored.props["version"] += 1
                self.updated += 1
        if ext[0] is not None and ext[1] is not None:
            self.external[(label, ext[0], ext[1])] = node_id
        if customer and code is not None:
            self.codes[code] = (label, node_id)
        self.fields.update(changed)
        return []

    def _find(self, label: Label, key: Key, ident: str, source: str) -> str | None:
        if key is Key.EXTERNAL:
            return self.external.get((label, source, ident))
        return ident if (label, ident) in self.nodes else None

    def _edge(self, p: Prepared) -> list[Rejection]:
        # Each edge id comes here once: `prepare` rejects a row repeating an earlier id first
        # (transfer.repeated), so there is no stored edge to move or update.
        rel: Rel = p.group[1]
        ends: tuple[Label, Label] = p.group[2]
        key: Key = p.group[3]
        row = p.row
        a = self._find(ends[0], key, row["from"], row["fromSource"])
        b = self._find(ends[1], key, row["to"], row["toSource"])
        why: tuple[str, str] | None = None
        if a is None:
            why = ("from", "missing")
        elif b is None:
            why = ("to", "missing")
        elif a == b:
            why = ("to", "loop")
        if why is not None or a is None or b is None:
            assert why is not None
            return [transfer._edge_refusal(repo.EdgeRefusal(p.n, *why))]
        given: dict[str, Any] = dict(row["props"])
        if rel in ACYCLIC:
            since, until = given.get("since"), given.get("until")
            if self._closes_loop(rel, a, b, since, until):
                return [transfer._edge_refusal(repo.EdgeRefusal(p.n, "to", "cycle"))]
            self.above[rel].setdefault(a, []).append((b, since, until))
        props = {
            **given,
            "id": row["id"],
            "version": 1,
            "createdAt": self.now,
            "updatedAt": self.now,
        }
        self.edges[(rel, row["id"])] = admin.AdminEdge(rel, (ends[0], a), (ends[1], b), props)
        self.created += 1
        self.fields.update(given)
        return []

    def _closes_loop(self, rel: Rel, child: str, parent: str, since: Any, until: Any) -> bool:
        """Whether edges planned so far lead from `parent` back up to `child`, all valid on
        one day of the new edge's span: the rule of graph/relationship.py's `loop_back` (a
        missing `since` is "always was", above and on the new edge), walked up at most
        CYCLE_HOPS levels, each level narrowing the days the path shares."""
        start = since if since is not None else dt.date.min
        stop = until if until is not None else dt.date.max
        above = self.above[rel]
        todo, seen = [(parent, start, stop, 0)], set()
        while todo:
            node, first, last, depth = todo.pop()
            if node == child:
                return True
            if depth == CYCLE_HOPS or (node, first, last) in seen:
                continue
            seen.add((node, first, last))
            for up, a, b in above.get(node, ()):
                lo = first if a is None or a < first else a
                hi = last if b is None or b > last else b
                if lo < hi:
                    todo.append((up, lo, hi, depth + 1))
        return False


def _settle(plan: Plan, sheet: Report, out: AdminOutcome) -> None:
    refused = plan.settle()
    sheet.add(refused)
    out.rejected += len({r.row for r in refused})


def prepare(
    rows: Iterator[Prepared | list[Rejection]],
    report: Path,
    advance: Callable[[int], None] = lambda n: None,
    now: dt.datetime | None = None,
) -> tuple[Plan, AdminOutcome]:
    """Every row validated and settled in memory; the rejected ones written to `report`.

    The cycle collector is paused meanwhile: each full collection walked the whole growing
    plan (a fifth of the time at M: 137 s with it, 107 s without). The rows are plain dicts
    and lists, freed by their reference counts; the admin path runs in a command of its own."""
    out = AdminOutcome()
    plan = Plan(clock.fixed(now) if now else clock.now())
    plan.report = report
    sheet = Report(report, append=False)
    began = time.perf_counter()
    collecting = gc.isenabled()
    first: dict[bytes, int] = {}  # each key read so far: a row naming one again is rejected
    gc.disable()
    try:
        for item in rows:
            advance(1)
            out.rows += 1
            if plan.waiting and isinstance(item, Prepared) and item.group[0] != "node":
                _settle(plan, sheet, out)
            if isinstance(item, Prepared):
                repeat = transfer.repeated(first, item)
                refused = [repeat] if repeat is not None else plan.add(item)
            else:
                refused = item
            if refused:
                sheet.add(refused)
                out.rejected += 1
        _settle(plan, sheet, out)
    finally:
        sheet.close()
        if collecting:
            gc.enable()
    out.created, out.updated = plan.created, plan.updated
    out.nodes, out.edges = len(plan.nodes), len(plan.edges)
    out.seconds["prepare"] = round(time.perf_counter() - began, 2)
    return plan, out


async def load(
    plan: Plan,
    out: AdminOutcome,
    local: LocalNeo4j,
    database: str,
    connect: Callable[[LocalNeo4j], Database],
    migrate: Callable[[Database], Awaitable[Any]],
    audit: Audit,
) -> None:
    """Write the plan's CSV files, run neo4j-admin into the stopped embedded server's
    `database`, then start it, apply the migrations, write the one audit event, and stop it
    again. Products, then records, are saved meanwhile, as the live path saves them. Timings
    go to `out.seconds`."""
    with tempfile.TemporaryDirectory(prefix="crm-admin-import-") as tmp:
        began = time.perf_counter()
        files = admin.write_files(plan.nodes.values(), plan.edges.values(), Path(tmp))
        out.seconds["csv"] = round(time.perf_counter() - began, 2)
        seconds, out.tool_output = admin.run_tool(local, files, database, Path(tmp))
        out.seconds["neo4j-admin"] = round(seconds, 2)
    began = time.perf_counter()
    local.start()
    try:
        out.seconds["start"] = round(time.perf_counter() - began, 2)
        db = connect(local)
        try:
            began = time.perf_counter()
            await migrate(db)
            out.seconds["migrations"] = round(time.perf_counter() - began, 2)
            await admin.audit_import(
                db, audit, str(uuid.uuid4()), crypto.field_names(sorted(plan.fields))
            )
            await _save_later(db, plan, out, audit)
        finally:
            await db.close()
    finally:
        local.stop()


async def _save_later(db: Database, plan: Plan, out: AdminOutcome, audit: Audit) -> None:
    """The plan's teams, users and staff edges, then its custom field definitions, its
    products, then its records (an order's lines name products), run by run in file order (a
    parent team first, an order before what is against it), each by the live path's own
    writer (the team and user mutations', defineCustomField's, saveProduct's and saveRecord's
    checks and audit); refused ones go to the report."""
    if not plan.staff and not plan.custom.rows and not plan.products and not plan.records:
        return
    sheet = Report(plan.report, append=True) if plan.report is not None else None
    try:
        later = [*plan.staff, *plan.custom.rows, *plan.products, *plan.records]
        for group, run in itertools.groupby(later, key=lambda p: p.group):
            began = time.perf_counter()
            written, refused = await transfer._write(db, group, [p.row for p in run], audit, "")
            out.created += written.created
            out.updated += written.updated
            out.rejected += len({r.row for r in refused})
            if sheet is not None:
                sheet.add(refused)
            key = group[0] + "s"  # "teams", "users", "edges", "customFields", "products", ...
            out.seconds[key] = round(out.seconds.get(key, 0.0) + time.perf_counter() - began, 2)
    finally:
        if sheet is not None:
            sheet.close()
