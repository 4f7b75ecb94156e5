"""Custom fields (R10) in `crm-graph export` and `import` (issue 15).

An export writes every definition, archived ones too (every signed-in viewer reads them all,
as `customFieldDefinitions(includeArchived: true)` shows them), as its own line before the
nodes, `{"kind": "customField", "id": ..., "fields": {kind, key, type, required, personal,
dynamic, options, referenceKind, labelZh, labelEn, min, max, minDate, maxDate, pattern,
maxLength, archivedAt}}`, so that the values find their definitions when the file is imported
into an empty database. Each node's values travel in its line as `fields.custom` (`{key:
value}`, JSON types; dates `YYYY-MM-DD`), in CSV as `custom.<key>` columns (lists joined with
`;`), as the API's `custom` shows them to the exporting key: a field marked personal is left
out for a role that does not see personal data (ANALYST), and a person's `custom` as a whole
follows Person.custom's rule. The values of an archived field are exported (the API still
shows them) and imported again, checked against the archived definition: the import restores
what the store held, as a product keeps its archive moment. GraphML (a drawing of the
network) holds neither: without its definitions a value could not be imported again.

Importing a definition line checks it with defineCustomField's own rules (resolvers/
customfields.py `_definition_props`, the key's pattern) and saves it with its id; one that
exists already is changed as updateCustomFieldDefinition changes it (a narrowing that stored
values would no longer fit is refused, never forced). A definition stored as the line states
it is not written (no version, no audit), so a re-run changes nothing. Only ADMIN defines
custom fields: another importer's definition lines are rejected (FORBIDDEN); a (kind, key)
another definition holds is DUPLICATE at `key`; a line may not move an id to another kind or
key (VALIDATION at `key`).

A mapped file's node rows carry values too when the mapping maps columns to custom fields
(`"custom.<key>" = "column"` in `[fields]`), checked the same way.

A node line's values are checked by the API's validator (`checked_values`: known key, type,
options, bounds, every required field of an active definition, as an upsert checks them)
against the stored definitions, when its batch is written; a bad value rejects the row with
the field `custom.<key>`. A REFERENCE value must name a node of the definition's kind that
the importer sees, as the API checks it (VALIDATION, "no Person with this id"), looked up
once per batch and kind. The file's order (companies, then people, then projects) may name a
node that comes later: such a row waits, unwritten, until the file's nodes are in (before its
first other line, or at its end), and is then written or rejected (resolvers/transfer.py
`run_import`). The admin path (neo4j-admin) checks them the same way against the definitions
read earlier in the file and the nodes (and users) the file holds, writes them into the node
CSVs as typed columns, and saves the definitions once the store is up, as products are saved
(resolvers/transfer_admin.py). A dry run checks the same (`DryRun`): the file's definitions
over the stored ones, when it has a database to read, and REFERENCE values once the file's
nodes are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graph import customfields as g
from graph import nodes as node_repo
from graph import transfer as transfer_repo
from graph import transfer_jobs as jobs_repo
from graph.actor import Actor
from graph.db import Database, native
from graph.errors import ConstraintViolation
from graph.export import jsonable
from graph.nodes import Audit
from graph.refusal import Refusal
from graph.transfer import Key, Written
from graph.vocab import Label
from resolvers import customfields as cf
from resolvers import validation as v
from resolvers.errors import ErrorCode
from resolvers.masking import Roles
from resolvers.permissions import NAMED
from resolvers.transfer import (
    Prepared,
    Rejection,
    TransferError,
    _convert,
    _edge_refusal,
    _errors_of,
    archive_moment,
    blank,
    missing_end,
    unknown_fields,
)
from resolvers.transfer_staff import refused_for_role

GROUP = ("customField",)


def _external(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row.get("source"), row["externalId"])


# The node line's field holding the values (`fields.custom`).
EXPORTED = {"custom": "custom"}
# A mapping's target for a custom field's column: `"custom.<key>" = "column"`.
CUSTOM = "custom."
# What defineCustomField sets, flat as stored (its `validation` bounds included), and the
# archive moment (kept as it is, where archiveCustomFieldDefinition would stamp the import's).
LABELS = ("labelZh", "labelEn")
FLAGS = ("required", "personal", "dynamic")
BOUNDS: dict[str, str] = {
    "min": "float",
    "max": "float",
    "minDate": "date",
    "maxDate": "date",
    "pattern": "text",
    "maxLength": "int",
}
FIELDS = ("kind", "key", "type", *FLAGS, "options", "referenceKind", *LABELS, *BOUNDS,
          "archivedAt")  # fmt: skip
ENUMS = {"kind": cf.CustomFieldKind, "type": cf.CustomFieldType, "referenceKind": cf.ReferenceKind}

Definitions = list[cf.DefinitionRow]
# A CSV cell of a BOOLEAN field: the words the import reads for its own true/false fields.
TRUE, FALSE = ("true", "1", "yes", "是"), ("false", "0", "no", "否")


# --- export -----------------------------------------------------------------------------------


async def definitions(db: Database, actor: Actor) -> Definitions:
    """Every definition, archived ones too, by kind and key."""
    return await g.definitions(db, actor, None, include_archived=True)


def export_row(d: cf.DefinitionRow) -> dict[str, Any]:
    """A stored definition as the export writes it: every field the API shows but its version
    and moments (the archive moment kept)."""
    row: dict[str, Any] = dict(d)
    return {
        "kind": "customField",
        "id": d["id"],
        "fields": {k: jsonable(row[k]) for k in FIELDS if row.get(k) is not None},
    }


def with_values(node: dict[str, Any], defs: Definitions, roles: Roles) -> dict[str, Any]:
    """`node` with `custom`: its values (the `custom.<key>` properties of fields defined for its
    kind) as the API's `custom` shows them to `roles`, before the field guards (Person.custom's
    rule) apply. Values of no definition (the JSON text of early versions) are left out."""
    kind = cf.KIND_OF_LABEL[Label(node.get("__typename") or node.get("label"))]
    hidden = roles.isdisjoint(NAMED)  # resolvers/customfields.py `read`
    out = {
        d["key"]: jsonable(native(node[g.prop(d["key"])]))
        for d in defs
        if d["kind"] == kind
        and node.get(g.prop(d["key"])) is not None
        and not (hidden and d["personal"])
    }
    return {**node, "custom": out or None}


async def without_hidden_references(
    db: Database, actor: Actor, defs: Definitions, nodes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`nodes` (with_values') without a REFERENCE value naming a node the actor cannot see,
    as the API's `custom` leaves it out: hidden means missing. One look-up per call."""
    if actor.scope.read_all or not nodes:
        return nodes
    refs = {(d["kind"], d["key"]) for d in defs if d["type"] == "REFERENCE"}
    if not refs:
        return nodes

    def named(node: dict[str, Any]) -> dict[str, str]:
        kind = cf.KIND_OF_LABEL[Label(node.get("__typename") or node.get("label"))]
        values = node.get("custom") or {}
        return {k: x for k, x in values.items() if (kind, k) in refs and isinstance(x, str)}

    wanted = sorted({x for node in nodes for x in named(node).values()})
    if not wanted:
        return nodes
    seen = await node_repo.by_ids(db, actor, None, wanted)
    out = []
    for node in nodes:
        hidden = {k for k, x in named(node).items() if x not in seen}
        if hidden:
            kept = {k: x for k, x in node["custom"].items() if k not in hidden}
            node = {**node, "custom": kept or None}
        out.append(node)
    return out


# --- definition lines -------------------------------------------------------------------------


def exported_row(n: int, rec: dict[str, Any]) -> Prepared | list[Rejection]:
    """A definition line of the export, checked as defineCustomField checks its input (every
    field stated: a field the line leaves out is cleared)."""
    cells = dict(rec.get("fields") or {})
    if bad := unknown_fields(n, cells, FIELDS, "a custom field"):
        return bad
    errors = v.Errors()
    given = {k: _convert(errors, kind, cells.get(k), f"input.{k}") for k, kind in ENUMS.items()}
    for k in ("kind", "type"):
        if given[k] is None and not errors:
            errors.add(ErrorCode.VALIDATION, "is required", f"input.{k}")
    key = v.text(errors, None if blank(cells.get("key")) else str(cells["key"]), "input.key", True)
    if key is not None and not cf.KEY.match(key):
        errors.add(
            ErrorCode.VALIDATION,
            "a key is a letter a-z, then letters, digits or _ (at most 40)",
            "input.key",
        )
    data: dict[str, Any] = {k: _convert(errors, "bool", cells.get(k), f"input.{k}") for k in FLAGS}
    data.update({k: None if blank(cells.get(k)) else str(cells[k]) for k in LABELS})
    data["options"] = _convert(errors, "list", cells.get("options"), "input.options")
    data["referenceKind"] = given["referenceKind"]
    data["validation"] = {
        k: _convert(errors, kind, cells.get(k), f"input.validation.{k}")
        for k, kind in BOUNDS.items()
    }
    archived_at = archive_moment(errors, cells.get("archivedAt"))
    def_id = v.text(
        errors, None if rec.get("id") is None else str(rec["id"]), "input.id", True, 200
    )
    field_type = given["type"].value if given["type"] is not None else "TEXT"
    props = cf._definition_props(errors, data, True, field_type)
    if errors:
        # The line is flat: its bounds are named as its own fields, not `validation.<bound>`.
        return [
            Rejection(r.row, r.field.removeprefix("validation."), r.code, r.message)
            for r in _errors_of(n, errors)
        ]
    assert given["kind"] is not None
    assert key is not None
    props.update(kind=given["kind"].value, key=key, type=field_type, archivedAt=archived_at)
    return Prepared(n, GROUP, {"n": n, "id": def_id, "props": props})


def _changes(stored: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {k: x for k, x in props.items() if native(stored.get(k)) != x}


def _moved(n: int, stored: dict[str, Any]) -> Rejection:
    message = (
        f"this id is the custom field {stored['kind']}.{stored['key']}: a definition's kind and "
        "key do not change"
    )
    return Rejection(n, "key", ErrorCode.VALIDATION.value, message)


def _taken(n: int, props: dict[str, Any]) -> Rejection:
    message = f"{props['kind']} already has a custom field {props['key']} (another id)"
    return Rejection(n, "key", ErrorCode.DUPLICATE.value, message)


async def write_definitions(
    db: Database, rows: list[dict[str, Any]], audit: Audit
) -> tuple[Written, list[Rejection]]:
    """Save each row as defineCustomField (new) or updateCustomFieldDefinition (changed, never
    forced) would, with its id; a definition already as the row states it is left alone."""
    actor = audit.actor
    if denied := refused_for_role(actor, GROUP, [row["n"] for row in rows]):
        return Written(), denied
    stored: dict[str, dict[str, Any]] = {d["id"]: dict(d) for d in await definitions(db, actor)}
    holders = {(d["kind"], d["key"]): i for i, d in stored.items()}
    created, updated, refused = 0, 0, []
    for row in rows:
        props, old = row["props"], stored.get(row["id"])
        holder = holders.get((props["kind"], props["key"]))
        if old is None:
            if holder is not None:
                refused.append(_taken(row["n"], props))
                continue
            try:
                result = await g.define(
                    db,
                    {k: x for k, x in props.items() if x is not None},
                    Audit(actor, "customField.define", audit.request_id),
                    row["id"],
                )
            except ConstraintViolation:
                refused.append(_taken(row["n"], props))
                continue
            created += 1
        else:
            if (old["kind"], old["key"]) != (props["kind"], props["key"]):
                refused.append(_moved(row["n"], old))
                continue
            changes = _changes(old, props)
            if not changes:
                continue
            who = Audit(actor, "customField.update", audit.request_id)
            result = await g.change(db, row["id"], None, changes, False, who)
            if result.refusal is not None or result.definition is None:
                why = (
                    f"{result.misfits.total} stored values would no longer fit; nothing changed "
                    "(correct them, or change the definition through the API with force)"
                    if result.refusal is Refusal.IN_USE
                    else f"the definition could not be changed ({result.refusal})"
                )
                refused.append(Rejection(row["n"], "row", ErrorCode.VALIDATION.value, why))
                continue
            updated += 1
        assert result.definition is not None
        stored[row["id"]] = dict(result.definition)
        holders[(props["kind"], props["key"])] = row["id"]
    return Written(created, updated), refused


# --- node values ------------------------------------------------------------------------------


def with_custom(
    item: Prepared | list[Rejection], fields: dict[str, Any]
) -> Prepared | list[Rejection]:
    """A node line's row with its values (`fields.custom`) to check when it is written. An
    export's line is the whole record: no values is an empty object (required fields are
    then missing)."""
    if not isinstance(item, Prepared):
        return item
    given = fields.get("custom")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return [Rejection(item.n, "custom", ErrorCode.VALIDATION.value, "must be a JSON object")]
    item.row["custom"] = given
    return item


def core_fields(path: Path, fields: dict[str, str]) -> dict[str, str]:
    """A node mapping's `[fields]` but its custom field targets (`"custom.<key>" = column`),
    whose keys must be custom field keys (whether the field is defined is judged per row)."""
    for target in fields:
        key = target.removeprefix(CUSTOM)
        if target.startswith(CUSTOM) and not cf.KEY.match(key):
            raise TransferError(f"{path}: [fields]: {target!r} names no custom field key")
    return {k: c for k, c in fields.items() if not k.startswith(CUSTOM)}


def mapped_custom(
    item: Prepared | list[Rejection], values: dict[str, Any]
) -> Prepared | list[Rejection]:
    """A mapped node row with the values of its mapping's custom field targets, to check when
    it is written (as an upsert: every required field must be mapped and given). A mapping
    without such targets leaves custom values alone."""
    custom = {k.removeprefix(CUSTOM): x for k, x in values.items() if k.startswith(CUSTOM)}
    if isinstance(item, Prepared) and custom:
        item.row["custom"] = custom
    return item


def _typed(d: Mapping[str, Any] | None, value: Any) -> Any:
    """A CSV cell (text) as its field's type; JSON values and what cannot be read as the type
    stay as they are, for the API's validator to judge."""
    if d is None or not isinstance(value, str):
        return value
    text = value.strip()
    kind = d["type"]
    if kind == "NUMBER":
        try:
            return float(text)
        except ValueError:
            return value
    if kind == "BOOLEAN":
        word = text.lower()
        return True if word in TRUE else False if word in FALSE else value
    if kind == "MULTI_ENUM":
        return [x.strip() for x in text.split(";") if x.strip()]
    return text


# A REFERENCE value still to be found: (the row's field, the kind of node, its id).
Reference = tuple[str, Label, str]
REFERENCES = "references"  # where a checked row keeps them until they are found


def check_row(defined: Mapping[str, Any], row: dict[str, Any]) -> list[Rejection]:
    """Check the values a node row carries (`custom`, taken out of it) against `defined` (key
    -> definition of its kind, archived ones included) with the API's validator, as an upsert
    checks them; valid ones join the row's properties, and its REFERENCE values wait in
    `row["references"]` to be found (`missing`). A row without `custom` (a mapped file, or a
    row checked before) is left as it is."""
    given = row.pop("custom", None)
    if given is None:
        return []
    values = {k: _typed(defined.get(k), x) for k, x in given.items() if not blank(x)}
    errors = v.Errors()
    props, references = cf.checked_values(errors, defined, values, True)
    if errors:
        return _errors_of(row["n"], errors)
    row["props"].update({k: x for k, x in props.items() if x is not None})
    if references:
        row[REFERENCES] = [
            (path.removeprefix("input."), cf.REFERENCE_LABELS[d.get("referenceKind") or "COMPANY"],
             node_id)
            for path, d, node_id in references
        ]  # fmt: skip
    return []


def missing(row: dict[str, Any], found: set[tuple[Label, str]]) -> list[Rejection]:
    """The row's REFERENCE values naming no node in `found`, as the API refuses them."""
    return [
        Rejection(row["n"], path, ErrorCode.VALIDATION.value, f"no {label.value} with this id")
        for path, label, node_id in row.get(REFERENCES) or []
        if (label, node_id) not in found
    ]


async def _found(
    db: Database, actor: Actor, rows: list[dict[str, Any]], known: set[tuple[Label, str]]
) -> set[tuple[Label, str]]:
    """`known` and the nodes the rows' REFERENCE values name beyond it that exist and `actor`
    sees (as the API's check: load_node), one read per kind of node named."""
    wanted: dict[Label, set[str]] = {}
    for row in rows:
        for _, target, node_id in row.get(REFERENCES) or []:
            if (target, node_id) not in known:
                wanted.setdefault(target, set()).add(node_id)
    found = set(known)
    for target, ids in wanted.items():
        seen = await node_repo.by_ids(db, actor, target, sorted(ids))
        found.update((target, i) for i in seen)
    return found


async def _incomplete(
    db: Database,
    label: Label,
    key: Key,
    defined: Mapping[str, Any],
    rows: list[dict[str, Any]],
) -> list[Rejection]:
    """Rows without values (a mapping with no custom field targets) that would create a node
    of a kind with a required field: refused as createCompany refuses them. A row naming a
    stored node patches it and is not judged here."""
    required = sorted(
        k for k, d in defined.items() if d["required"] and d.get("archivedAt") is None
    )
    # A row checked before (its REFERENCE values waited for the file's nodes) had values.
    bare = [row for row in rows if "custom" not in row and REFERENCES not in row]
    if not required or not bare:
        return []
    known = await transfer_repo.existing(db, label, key, bare)
    return [
        Rejection(row["n"], f"custom.{k}", ErrorCode.VALIDATION.value, "is required")
        for row in bare
        if row["n"] not in known
        for k in required
    ]


async def check_nodes(
    db: Database,
    label: Label,
    key: Key,
    rows: list[dict[str, Any]],
    actor: Actor,
    waiting: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """The rows whose values pass (their values added to their properties), and the
    rejections of the others; the stored definitions of the kind are read once, the nodes
    their REFERENCE values name once per kind. With `waiting`, a row naming a node not found
    (yet: it may come later in the file) goes there instead, to be checked again."""
    kind = cf.KIND_OF_LABEL[label]
    defined = {d["key"]: d for d in await definitions(db, actor) if d["kind"] == kind}
    refused = await _incomplete(db, label, key, defined, rows)
    if refused:
        rows = [row for row in rows if row["n"] not in {r.row for r in refused}]
    if not any("custom" in row or REFERENCES in row for row in rows):
        return rows, refused
    checked = []
    for row in rows:
        bad = check_row(defined, row)
        if bad:
            refused.extend(bad)
        else:
            checked.append(row)
    # The batch's own rows count as found: a row may name another of its batch, or itself.
    found = await _found(db, actor, checked, {(label, row["id"]) for row in checked})
    kept = []
    for row in checked:
        bad = missing(row, found)
        if bad and waiting is not None:
            waiting.append(row)
        elif bad:
            refused.extend(bad)
        else:
            row.pop(REFERENCES, None)
            kept.append(row)
    return kept, refused


class Planned:
    """The admin path's definitions: read from the file before its nodes, checked in memory as
    the store would check them (one (kind, key) per id), saved once the store is up."""

    def __init__(self) -> None:
        self.rows: list[Prepared] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_key: dict[tuple[str, str], str] = {}

    def add(self, p: Prepared) -> list[Rejection]:
        props = p.row["props"]
        old = self.by_id.get(p.row["id"])
        if old is not None and (old["kind"], old["key"]) != (props["kind"], props["key"]):
            return [_moved(p.n, old)]
        holder = self.by_key.get((props["kind"], props["key"]))
        if holder is not None and holder != p.row["id"]:
            return [_taken(p.n, props)]
        self.by_id[p.row["id"]] = {**props, "id": p.row["id"]}
        self.by_key[(props["kind"], props["key"])] = p.row["id"]
        self.rows.append(p)
        return []

    def values(self, label: Label, row: dict[str, Any]) -> list[Rejection]:
        kind = cf.KIND_OF_LABEL[label]
        defined = {d["key"]: d for d in self.by_id.values() if d["kind"] == kind}
        return check_row(defined, row)


class DryRun:
    """A dry run's custom field checks (nothing written): the file's definition lines checked
    as the admin path checks them (over the definitions `reader` stores, when the dry run has
    a database to read), each node row's values against them, and its REFERENCE values, once
    the file's nodes are read (`settle`), against the nodes the file names and those the
    database holds. Without a database, a value of a field the file does not define is not
    judged (the database's definitions are unknown), nor whether a REFERENCE names a node the
    file does not hold."""

    def __init__(self, reader: Database | None, actor: Actor) -> None:
        self.reader, self.actor = reader, actor
        self.plan: Planned | None = None
        self.seen: set[tuple[Label, str]] = set()  # the file's nodes
        self.waiting: list[dict[str, Any]] = []
        # The node rows that passed so far, by each key an edge row may name them with.
        self.nodes: set[tuple[Label, Key, Any]] = set()

    async def _plan(self) -> Planned:
        if self.plan is None:
            self.plan = Planned()
            stored = [] if self.reader is None else await definitions(self.reader, self.actor)
            for d in stored:
                self.plan.by_id[d["id"]] = dict(d)
                self.plan.by_key[(d["kind"], d["key"])] = d["id"]
        return self.plan

    async def check(self, pending: list[Prepared]) -> list[Rejection]:
        """One batch of a group, as its write would judge it: custom fields, and an edge's
        ends (found in the file before it, or stored) and loops."""
        refused = await self._fields(pending)
        group = pending[0].group
        if group[0] == "node":
            bad = {r.row for r in refused}
            for p in pending:
                if p.n not in bad:
                    self.nodes.add((group[1], Key.ID, p.row.get("id")))
                    if p.row.get("externalId") is not None:
                        self.nodes.add((group[1], Key.EXTERNAL, _external(p.row)))
        elif group[0] == "edge" and all(label in transfer_repo.LABELS for label in group[2]):
            refused += await self._ends(group, pending)
        return refused

    async def _ends(self, group: tuple[Any, ...], pending: list[Prepared]) -> list[Rejection]:
        """The writer's refusals of a missing end and of a loop (graph/transfer.py), without
        writing: an end is found among the file's earlier node rows that pass, or stored
        (and visible to the actor); without a database to read, only loops are judged. Not
        judged: cycles, and an id that joins other ends."""
        ends: tuple[Label, Label] = group[2]
        key: Key = group[3]

        def end(row: dict[str, Any], part: str) -> tuple[Any, ...]:
            if key is Key.EXTERNAL:
                return (row[part + "Source"], row[part])
            return (row[part],)

        refused: list[Rejection] = []
        ask: dict[int, dict[str, Any]] = {}
        for p in pending:
            a, b = end(p.row, "from"), end(p.row, "to")
            if ends[0] is ends[1] and a == b:
                refused.append(_edge_refusal(transfer_repo.EdgeRefusal(p.n, "to", "loop")))
            elif not all(self._in_file(ends[i], key, x) for i, x in enumerate((a, b))):
                ask[p.n] = p.row
        if not ask or self.reader is None:  # no database to read: what it holds is unknown
            return refused
        seen: dict[int, tuple[bool, bool]] = {n: (False, False) for n in ask}
        keys = ("from", "fromSource", "to", "toSource")
        rows = [{"n": n, **{k: row.get(k) for k in keys}} for n, row in ask.items()]
        for right in await jobs_repo.edge_rights(self.reader, self.actor, ends, key, rows):
            seen[right["n"]] = right["seen"]
        for n, row in ask.items():
            for i, part in enumerate(("from", "to")):
                if not seen[n][i] and not self._in_file(ends[i], key, end(row, part)):
                    refused.append(missing_end(n, part))
                    break
        return sorted(refused, key=lambda r: r.row)

    def _in_file(self, label: Label, key: Key, value: tuple[Any, ...]) -> bool:
        return (label, key, value if key is Key.EXTERNAL else value[0]) in self.nodes

    async def _fields(self, pending: list[Prepared]) -> list[Rejection]:
        group = pending[0].group
        if denied := refused_for_role(self.actor, group, [p.n for p in pending]):
            return denied
        if group[0] == "customField":
            plan = await self._plan()
            return [r for p in pending for r in plan.add(p)]
        if group[0] == "user":
            self.seen.update((Label.USER, p.row["id"]) for p in pending)
        if group[0] != "node":
            return []
        label: Label = group[1]
        kind = cf.KIND_OF_LABEL[label]
        incomplete: list[Rejection] = []
        if self.reader is not None and any("custom" not in p.row for p in pending):
            plan = await self._plan()
            defined = {d["key"]: d for d in plan.by_id.values() if d["kind"] == kind}
            rows = [p.row for p in pending]
            incomplete = await _incomplete(self.reader, label, group[2], defined, rows)
        if not any("custom" in p.row for p in pending):
            return incomplete
        plan = await self._plan()
        if any(d["type"] == "REFERENCE" for d in plan.by_id.values()):
            self.seen.update((label, p.row["id"]) for p in pending)  # only when one may name it
        defined = {d["key"]: d for d in plan.by_id.values() if d["kind"] == kind}
        refused = incomplete
        for p in pending:
            row = p.row
            if self.reader is None and isinstance(row.get("custom"), dict):
                row["custom"] = {k: x for k, x in row["custom"].items() if k in defined}
            bad = check_row(defined, row)
            refused.extend(bad)
            if not bad and row.get(REFERENCES):
                self.waiting.append(row)
        return refused

    async def settle(self) -> list[Rejection]:
        """The waiting rows' REFERENCE values, now that the file's nodes are read."""
        waited, self.waiting = self.waiting, []
        if not waited:
            return []
        if self.reader is None:
            return []  # whether they exist is unknown without a database
        found = await _found(self.reader, self.actor, waited, self.seen)
        return [r for row in waited for r in missing(row, found)]
