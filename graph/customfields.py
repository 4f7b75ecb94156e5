"""Custom field definitions (R10) and the stored values that no longer fit one.

A `(:CustomFieldDefinition {id, kind, key, type, required, options, min, max, minDate,
maxDate, pattern, maxLength, referenceKind, labelZh, labelEn, personal, dynamic, version,
createdAt, updatedAt, archivedAt})` describes one field of a node kind (COMPANY, PERSON,
PROJECT); (kind, key) is unique (migrations/V0008_1).

Values: each one is a property of its node named `custom.<key>` (history.CUSTOM_PREFIX),
in its native type (string, float, boolean, date, list of strings). Why not one JSON text:
the lists filter and sort on a value with `n[$prop]` (a parameter, so no user string ever
becomes Cypher text), numbers and dates compare as numbers and dates, and the update
statement can record a dynamic field's old value in Cypher (graph/history.py), which JSON
text (no APOC) would not allow. The prefix keeps them apart from the core properties, and
maps drop them (resolvers/permissions.py DATA_RULES lists no such key). The key's own rules
(a lower-case identifier) are checked by the resolver before it becomes a property name.

Every write here is one transaction with its audit event (field names only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, LiteralString, NotRequired, TypedDict

from graph.actor import Actor
from graph.db import Cypher, Database, Tx
from graph.history import CUSTOM_PREFIX
from graph.nodes import AUDIT, Audit, new_id
from graph.refusal import Refusal
from graph.vocab import Label

KINDS: dict[str, Label] = {
    "COMPANY": Label.COMPANY,
    "PERSON": Label.PERSON,
    "PROJECT": Label.PROJECT,
}
# Definitions per kind, at most (the validator reads them all on every write).
MAX_PER_KIND = 200
# Nodes named in a narrowing report, at most (the count covers all of them).
MAX_MISFITS = 20

# The stored value types each field type accepts (Cypher `valueType`).
VALUE_TYPES: dict[str, list[str]] = {
    "TEXT": ["STRING NOT NULL"],
    "NUMBER": ["INTEGER NOT NULL", "FLOAT NOT NULL"],
    "DATE": ["DATE NOT NULL"],
    "BOOLEAN": ["BOOLEAN NOT NULL"],
    "ENUM": ["STRING NOT NULL"],
    "MULTI_ENUM": ["LIST<STRING NOT NULL> NOT NULL"],
    "REFERENCE": ["STRING NOT NULL"],
}


class DefinitionRow(TypedDict):
    id: str
    kind: str
    key: str
    type: str
    required: bool
    personal: bool
    dynamic: bool
    version: int
    createdAt: Any
    updatedAt: Any
    options: NotRequired[list[str] | None]
    min: NotRequired[float | None]
    max: NotRequired[float | None]
    minDate: NotRequired[Any]
    maxDate: NotRequired[Any]
    pattern: NotRequired[str | None]
    maxLength: NotRequired[int | None]
    referenceKind: NotRequired[str | None]
    labelZh: NotRequired[str | None]
    labelEn: NotRequired[str | None]
    archivedAt: NotRequired[Any]


def prop(key: str) -> str:
    """The node property holding the value of custom field `key` (a validated identifier)."""
    return CUSTOM_PREFIX + key


LIST = Cypher(
    "customfields.list",
    "MATCH (d:CustomFieldDefinition) WHERE ($kind IS NULL OR d.kind = $kind) "
    "AND ($archived OR d.archivedAt IS NULL) "
    "WITH d ORDER BY d.kind, d.key LIMIT $limit RETURN d{.*} AS definition",
)
CREATE = Cypher(
    "customfields.create",
    "MERGE (d:CustomFieldDefinition {id: $id}) ON CREATE SET d += $props, d.version = 1, "
    "d.createdAt = datetime(), d.updatedAt = datetime() "
    "WITH d " + AUDIT + " RETURN d{.*} AS definition",
)
LOCK = Cypher(
    "customfields.lock",
    "MATCH (d:CustomFieldDefinition {id: $id}) SET d.__lock = true REMOVE d.__lock "
    "RETURN d{.*} AS definition",
)
UPDATE = Cypher(
    "customfields.update",
    "MATCH (d:CustomFieldDefinition {id: $id}) "
    "SET d += $props, d.version = d.version + 1, d.updatedAt = datetime() "
    "WITH d " + AUDIT + " RETURN d{.*} AS definition",
)


# Whether the stored value `v` of node `n` is one the definition in the parameters does not
# accept. A CASE, so that each bound is compared only with a value of its own type; a null
# bound compares as null and the coalesce reads that as "within bounds".
MISFIT: LiteralString = (
    "CASE WHEN v IS NULL THEN $required AND n.archivedAt IS NULL "
    "WHEN NOT valueType(v) IN $valueTypes THEN true "
    "WHEN $type = 'TEXT' THEN coalesce(size(v) > $maxLength, false) "
    "OR coalesce(NOT v =~ $pattern, false) "
    "WHEN $type = 'NUMBER' THEN coalesce(v < $min, false) OR coalesce(v > $max, false) "
    "WHEN $type = 'DATE' THEN coalesce(v < $minDate, false) OR coalesce(v > $maxDate, false) "
    "WHEN $type = 'ENUM' THEN NOT v IN $options "
    "WHEN $type = 'MULTI_ENUM' THEN any(x IN v WHERE NOT x IN $options) "
    "ELSE false END"
)


def _misfits(label: Label) -> Cypher:
    lb: LiteralString = label.value  # closed vocabulary, never input
    return Cypher(
        f"customfields.misfits.{label.value.lower()}",
        "MATCH (n:" + lb + ") WITH n, n[$prop] AS v WHERE " + MISFIT + " "
        "WITH collect(n.id) AS ids RETURN size(ids) AS total, ids[..$cap] AS ids",
    )


MISFITS: dict[Label, Cypher] = {label: _misfits(label) for label in KINDS.values()}


@dataclass(frozen=True)
class Misfits:
    total: int
    ids: list[str]


@dataclass(frozen=True)
class DefinitionResult:
    definition: DefinitionRow | None
    refusal: Refusal | None = None  # NOT_FOUND, CONFLICT, or IN_USE (misfits, not forced)
    current_version: int | None = None
    misfits: Misfits = field(default_factory=lambda: Misfits(0, []))


async def definitions(
    db: Database, actor: Actor, kind: str | None, include_archived: bool = False
) -> list[DefinitionRow]:
    """The definitions of `kind` (every kind when None), by kind and key. Every signed-in
    viewer reads them all: a definition is a form's shape, not a record."""
    rows = await db.read(
        LIST,
        {"kind": kind, "archived": include_archived, "limit": MAX_PER_KIND * len(KINDS)},
    )
    return [r["definition"] for r in rows]


async def define(
    db: Database, props: dict[str, Any], audit: Audit, def_id: str | None = None
) -> DefinitionResult:
    """A new definition (with `def_id`: under that id, as an import keeps an exported one's);
    a taken (kind, key) raises ConstraintViolation."""
    def_id = def_id or new_id()
    rows = await db.write(CREATE, {"id": def_id, "props": props, **_audit(audit, def_id, props)})
    definition = rows[0]["definition"]
    if not props.get("required"):
        return DefinitionResult(definition)
    # A new required field: the nodes of the kind that lack it are listed, for filling in;
    # the field applies to their next write (graph/ reads them all once, as change() does).
    found = await db.read(MISFITS[KINDS[props["kind"]]], _misfit_params(props, MAX_MISFITS))
    return DefinitionResult(definition, misfits=Misfits(found[0]["total"], list(found[0]["ids"])))


def _audit(audit: Audit, def_id: str, props: dict[str, Any]) -> dict[str, Any]:
    """The audit event's parameters; a definition is no node of the vocabulary's labels."""
    params = audit.params(def_id, Label.USER, sorted(props))
    params["targetLabel"] = "CustomFieldDefinition"
    return params


def _misfit_params(d: dict[str, Any], cap: int) -> dict[str, Any]:
    return {
        "prop": prop(d["key"]),
        "type": d["type"],
        "valueTypes": VALUE_TYPES[d["type"]],
        "required": bool(d.get("required")),
        "maxLength": d.get("maxLength"),
        "pattern": d.get("pattern"),
        "min": d.get("min"),
        "max": d.get("max"),
        "minDate": d.get("minDate"),
        "maxDate": d.get("maxDate"),
        "options": d.get("options") or [],
        "cap": cap,
    }


async def misfits_in(tx: Tx, definition: dict[str, Any], gaps: bool = True) -> Misfits:
    """The nodes whose stored value the (new) definition would not accept: all counted,
    the first MAX_MISFITS named. Without `gaps`, a node without a value is no misfit even of
    a required field (a change that leaves `required` as it was makes no new gap). One round
    trip; it reads every node of the kind."""
    params = _misfit_params(definition, MAX_MISFITS)
    params["required"] = params["required"] and gaps
    rows = await tx.run(MISFITS[KINDS[definition["kind"]]], params)
    return Misfits(rows[0]["total"], list(rows[0]["ids"]))


async def change(
    db: Database,
    def_id: str,
    expected_version: int | None,
    props: dict[str, Any],
    force: bool,
    audit: Audit,
) -> DefinitionResult:
    """Apply `props` to a definition, in one transaction. The stored values the changed
    definition would not accept are counted first; when there are any and not `force`,
    nothing is written (IN_USE, with the misfits). Values are never rewritten: a forced
    narrowing leaves them as they are, to be corrected by hand (the report names them)."""

    async def work(tx: Tx) -> DefinitionResult:
        rows = await tx.run(LOCK, {"id": def_id})
        if not rows:
            return DefinitionResult(None, Refusal.NOT_FOUND)
        stored: DefinitionRow = rows[0]["definition"]
        if expected_version is not None and stored["version"] != expected_version:
            return DefinitionResult(None, Refusal.CONFLICT, stored["version"])
        merged = {**stored, **props}
        # Gaps count only when this change makes the field required: narrowing the options
        # of a required field counted every node without a value (tester BO: "13 stored
        # values would no longer fit" where none was stored).
        gaps = not stored.get("required")
        found = (
            await misfits_in(tx, merged, gaps)
            if merged.get("archivedAt") is None
            else Misfits(0, [])
        )
        if found.total and not force:
            return DefinitionResult(stored, Refusal.IN_USE, stored["version"], found)
        params = {"id": def_id, "props": props, **_audit(audit, def_id, props)}
        updated = await tx.run(UPDATE, params)
        return DefinitionResult(updated[0]["definition"], misfits=found)

    return await db.transaction(work)
