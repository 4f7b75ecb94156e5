"""Custom fields (R10): definitions (ADMIN only), and the values of companies, people and
projects checked against them on every write.

Values travel as the `custom` JSON object of the node inputs. Every key must be defined and
active. On create and upsert (an import gives the whole record) every required field must be
present; on update the object is a patch: the keys given are set, a null removes one, and
the keys left out keep their values. Each bad value is a VALIDATION error at `input.custom.<key>`;
nothing is written then. Storage: graph/customfields.py.

Narrowing a definition (a lower maximum, fewer options, another type, `required` where
values are missing) reports the stored values that no longer fit. Without `force` it is
refused (VALIDATION at `input`, the misfits in the payload) and nothing changes; with
`force: true` it applies and the values stay as they are, listed in the payload for hand
correction. Values are never rewritten or dropped by a definition change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from typing import Any, TypedDict

import regex

from graph import clock
from graph import customfields as g
from graph import transfer_formats as fmt
from graph.customfields import DefinitionRow

__all__ = ["DefinitionRow"]
from graph.db import ConstraintViolation
from graph.history import CUSTOM_PREFIX
from graph.refusal import Refusal
from graph.vocab import Label
from resolvers import validation as v
from resolvers.common import Required, admin_only, audit, load_node
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import loader
from resolvers.node import node as visible_node
from resolvers.permissions import anonymised
from resolvers.shapes import NodeRow, UserErrorRow, parse_date

KEY = re.compile(r"^[a-z][a-zA-Z0-9_]{0,39}$")
MAX_OPTIONS = 100
MAX_OPTION = 100
MAX_LABEL = 100
MAX_TEXT = 2000  # a TEXT value without its own maxLength
MAX_PATTERN = 200
# An admin's pattern runs on every value a user enters. Python's `re` cannot be stopped, and a
# pattern such as `(a|aa)+c` backtracks for minutes on 60 characters, holding the event loop
# (every request) meanwhile; `regex` takes the same syntax and stops at a timeout.
PATTERN_SECONDS = 0.05
MAX_FILTERS = 10


class CustomFieldKind(Enum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"
    PROJECT = "PROJECT"


class CustomFieldType(Enum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    ENUM = "ENUM"
    MULTI_ENUM = "MULTI_ENUM"
    REFERENCE = "REFERENCE"


class ReferenceKind(Enum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"
    PROJECT = "PROJECT"
    USER = "USER"


class CustomFilterOp(Enum):
    EQ = "EQ"
    GT = "GT"
    LT = "LT"
    CONTAINS = "CONTAINS"
    IN = "IN"


class MisfitsRow(TypedDict):
    count: int
    nodes: list[NodeRow]


class DefinitionPayload(TypedDict):
    definition: DefinitionRow | None
    misfits: MisfitsRow
    errors: list[UserErrorRow]


KIND_OF_LABEL = {label: kind for kind, label in g.KINDS.items()}
REFERENCE_LABELS = {
    "COMPANY": Label.COMPANY,
    "PERSON": Label.PERSON,
    "PROJECT": Label.PROJECT,
    "USER": Label.USER,
}
RANGED = {"NUMBER", "DATE"}
OPTIONED = {"ENUM", "MULTI_ENUM"}


def _no_misfits() -> MisfitsRow:
    return {"count": 0, "nodes": []}


def _payload(
    definition: DefinitionRow | None,
    errors: list[UserErrorRow],
    misfits: MisfitsRow | None = None,
) -> DefinitionPayload:
    return {"definition": definition, "misfits": misfits or _no_misfits(), "errors": errors}


FIELDS_BY_ADMIN = "only admins define custom fields"


# Definitions -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _definition_props(
    errors: v.Errors, data: dict[str, Any], creating: bool, field_type: str
) -> dict[str, Any]:
    """The validated definition properties present in `data` (`field_type`: the type the
    definition will have)."""
    props: dict[str, Any] = {}
    for key in ("labelZh", "labelEn"):
        if key in data:
            props[key] = v.text(errors, data[key], f"input.{key}", max_len=MAX_LABEL)
    for key in ("required", "personal", "dynamic"):
        if key in data or creating:
            props[key] = bool(data.get(key))
    if "type" in data:
        props["type"] = field_type
    if "options" in data or creating:
        props["options"] = _options(errors, data.get("options"), field_type)
    if "referenceKind" in data or creating:
        ref = _plain(data.get("referenceKind"))
        if field_type == "REFERENCE" and ref is None:
            errors.add(ErrorCode.VALIDATION, "a REFERENCE names its kind", "input.referenceKind")
        props["referenceKind"] = ref if field_type == "REFERENCE" else None
    if "validation" in data or creating:
        props.update(_validation(errors, data.get("validation") or {}, field_type))
    return props


def _options(errors: v.Errors, values: list[str] | None, field_type: str) -> list[str] | None:
    if field_type not in OPTIONED:
        if values:
            errors.add(
                ErrorCode.VALIDATION, "only ENUM and MULTI_ENUM have options", "input.options"
            )
        return None
    if not values:
        errors.add(ErrorCode.VALIDATION, "an enum needs at least one option", "input.options")
        return None
    if len(values) > MAX_OPTIONS:
        errors.add(ErrorCode.VALIDATION, f"at most {MAX_OPTIONS} options", "input.options")
        return None
    cleaned = [
        v.text(errors, o, f"input.options.{i}", required=True, max_len=MAX_OPTION)
        for i, o in enumerate(values)
    ]
    for i, o in enumerate(cleaned):
        if o is not None and fmt.LIST_SEP in o:
            # A CSV cell lists values as `a;b`: "财务;采购" came back as two options and two
            # values from an export's round trip (tester AY).
            errors.add(
                ErrorCode.VALIDATION,
                f"an option may not hold '{fmt.LIST_SEP}', which separates a list's values "
                "in CSV files",
                f"input.options.{i}",
            )
    if len(set(cleaned)) != len(cleaned):
        errors.add(ErrorCode.VALIDATION, "options must be distinct", "input.options")
    return [o for o in cleaned if o]


def _validation(errors: v.Errors, rules: dict[str, Any], field_type: str) -> dict[str, Any]:
    """min/max (NUMBER), minDate/maxDate (DATE), pattern/maxLength (TEXT); others refused."""
    allowed = {"NUMBER": {"min", "max"}, "DATE": {"minDate", "maxDate"}}.get(
        field_type, {"pattern", "maxLength"} if field_type == "TEXT" else set()
    )
    out: dict[str, Any] = dict.fromkeys(
        ("min", "max", "minDate", "maxDate", "pattern", "maxLength")
    )
    for key, value in rules.items():
        if value is None:
            continue
        if key not in allowed:
            errors.add(
                ErrorCode.VALIDATION,
                f"{key} does not apply to {field_type}",
                f"input.validation.{key}",
            )
            continue
        out[key] = value
    for low, high in (("min", "max"), ("minDate", "maxDate")):
        if out[low] is not None and out[high] is not None and out[low] > out[high]:
            errors.add(ErrorCode.VALIDATION, f"{low} is above {high}", f"input.validation.{low}")
    if out["maxLength"] is not None and not 1 <= out["maxLength"] <= MAX_TEXT:
        errors.add(ErrorCode.VALIDATION, f"must be 1..{MAX_TEXT}", "input.validation.maxLength")
    if out["pattern"] is not None:
        if len(out["pattern"]) > MAX_PATTERN:
            errors.add(ErrorCode.VALIDATION, "pattern too long", "input.validation.pattern")
        else:
            try:
                regex.compile(out["pattern"])
            except regex.error as exc:
                errors.add(
                    ErrorCode.VALIDATION,
                    f"not a regular expression: {exc}",
                    "input.validation.pattern",
                )
    for key in ("min", "max"):
        if out[key] is not None:
            out[key] = float(out[key])
    return out


async def define(ctx: Context, data: dict[str, Any]) -> DefinitionPayload:
    """defineCustomField: ADMIN only."""
    if denied := admin_only(ctx, FIELDS_BY_ADMIN, "input"):
        return _payload(None, denied)
    errors = v.Errors()
    if not KEY.match(data["key"]):
        errors.add(
            ErrorCode.VALIDATION,
            "a key is a letter a-z, then letters, digits or _ (at most 40)",
            "input.key",
        )
    field_type = _plain(data["type"])
    props = _definition_props(errors, data, True, field_type)
    props.update(kind=_plain(data["kind"]), key=data["key"], type=field_type)
    if errors:
        return _payload(None, errors)
    try:
        result = await g.define(ctx.db, props, audit(ctx, "customField.define"))
    except ConstraintViolation:
        message = f"{props['kind']} already has a custom field {props['key']}"
        return _payload(None, [payload_error(ErrorCode.DUPLICATE, message, "input.key")])
    return _payload(result.definition, [], await _misfits(ctx, props["kind"], result))


async def _misfits(ctx: Context, kind: str, result: g.DefinitionResult) -> MisfitsRow:
    label = g.KINDS[kind]
    found = [await load_node(ctx, label, i) for i in result.misfits.ids]
    return {"count": result.misfits.total, "nodes": [n for n in found if n is not None]}


def _changed(ctx: Context, result: g.DefinitionResult, def_id: str) -> list[UserErrorRow]:
    if result.refusal is Refusal.NOT_FOUND:
        return [payload_error(ErrorCode.NOT_FOUND, f"no custom field {def_id}", "input.id")]
    if result.refusal is Refusal.CONFLICT:
        return [
            payload_error(
                ErrorCode.CONFLICT,
                f"stale expectedVersion: the definition is at version {result.current_version}",
                "input.expectedVersion",
            )
        ]
    if result.refusal is Refusal.IN_USE:
        return [
            payload_error(
                ErrorCode.VALIDATION,
                f"{result.misfits.total} stored values would no longer fit (see `misfits`); "
                "nothing changed. Correct them, or pass force: true to apply anyway (the "
                "values stay as they are)",
                "input.force",
            )
        ]
    return []


async def update(ctx: Context, data: dict[str, Any]) -> DefinitionPayload:
    """updateCustomFieldDefinition: ADMIN only; see the module doc for narrowing."""
    if denied := admin_only(ctx, FIELDS_BY_ADMIN, "input"):
        return _payload(None, denied)
    stored = await _by_id(ctx, data["id"])
    if stored is None:
        return _payload(
            None, [payload_error(ErrorCode.NOT_FOUND, f"no custom field {data['id']}", "input.id")]
        )
    errors = v.Errors()
    field_type = _plain(data.get("type")) or stored["type"]
    if "type" in data and field_type != stored["type"]:
        # Another type: the options and bounds are the new type's, given anew or none.
        data = {"options": None, "validation": None, "referenceKind": None, **data}
    props = _definition_props(errors, data, False, field_type)
    if errors:
        return _payload(None, errors)
    result = await g.change(
        ctx.db,
        data["id"],
        data["expectedVersion"],
        props,
        bool(data.get("force")),
        audit(ctx, "customField.update"),
    )
    misfits = await _misfits(ctx, stored["kind"], result)
    if result.refusal is not None:
        return _payload(None, _changed(ctx, result, data["id"]), misfits)
    return _payload(result.definition, [], misfits)


async def archive(ctx: Context, def_id: str, expected_version: int | None) -> DefinitionPayload:
    """archiveCustomFieldDefinition: ADMIN only. The field leaves forms and writes; its stored
    values stay (and stay readable)."""
    if denied := admin_only(ctx, FIELDS_BY_ADMIN, "input"):
        return _payload(None, denied)
    stored = await _by_id(ctx, def_id)
    # Archived already: when it was stays as it was (a retried call changes nothing).
    if (
        stored is not None
        and stored.get("archivedAt") is not None
        and expected_version in (None, stored["version"])
    ):
        return _payload(stored, [])
    result = await g.change(
        ctx.db,
        def_id,
        expected_version,
        {"archivedAt": clock.now()},
        False,
        audit(ctx, "customField.archive"),
    )
    if result.refusal is not None:
        return _payload(None, _changed(ctx, result, def_id))
    return _payload(result.definition, [])


async def _by_id(ctx: Context, def_id: str) -> DefinitionRow | None:
    for d in await all_definitions(ctx):
        if d["id"] == def_id:
            return d
    return None


async def all_definitions(ctx: Context) -> list[DefinitionRow]:
    """Every definition, archived ones too: once per request."""

    async def batch(keys: list[str]) -> list[list[DefinitionRow]]:
        found = await g.definitions(ctx.db, ctx.actor, None, include_archived=True)
        return [found for _ in keys]

    result: list[DefinitionRow] = await loader(ctx, "customfields", batch).load("all")
    return result


async def definitions(
    ctx: Context, kind: CustomFieldKind | None, include_archived: bool
) -> list[DefinitionRow]:
    """customFieldDefinitions: every signed-in viewer."""
    return await g.definitions(ctx.db, ctx.actor, kind.value if kind else None, include_archived)


async def of_kind(ctx: Context, label: Label, active: bool = True) -> dict[str, DefinitionRow]:
    kind = KIND_OF_LABEL[label]
    return {
        d["key"]: d
        for d in await all_definitions(ctx)
        if d["kind"] == kind and (not active or d.get("archivedAt") is None)
    }


# Values ----------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _native(value: Any) -> Any:
    to_native = getattr(value, "to_native", None)  # neo4j.time values
    return to_native() if to_native is not None else value


def _bounds(low: Any, high: Any, shown: Callable[[Any], str]) -> str:
    """The bounds a value missed, naming only those the field sets."""
    if low is None:
        return f"must be at most {shown(high)}"
    if high is None:
        return f"must be at least {shown(low)}"
    return f"must be between {shown(low)} and {shown(high)}"


def check_value(errors: v.Errors, d: Mapping[str, Any], value: Any, path: str) -> Any:
    """`value` as stored for definition `d`, or None with an error at `path`."""
    kind = d["type"]

    def bad(message: str) -> None:
        errors.add(ErrorCode.VALIDATION, message, path)

    if kind == "TEXT":
        if not isinstance(value, str):
            return bad("must be text (a JSON string)")
        if not value.strip():
            return bad("must not be blank")
        # As every other text: NFC, no zero-width, control or text-direction characters.
        text = v.text(errors, value, path, max_len=d.get("maxLength") or MAX_TEXT)
        if text is None:
            return None
        pattern = d.get("pattern")
        if pattern:
            try:
                if not regex.fullmatch(pattern, text, timeout=PATTERN_SECONDS):
                    return bad(f"does not match the pattern {pattern}")
            except TimeoutError:
                return bad("could not be checked against the field's pattern in time")
        return text
    if kind == "NUMBER":
        number = _number(value)
        if number is None:
            return bad("must be a finite number")
        low, high = d.get("min"), d.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            return bad(_bounds(low, high, lambda x: f"{x:g}"))
        return number
    if kind == "DATE":
        day = _date(value)
        if day is None:
            return bad("must be a date, YYYY-MM-DD")
        low, high = _native(d.get("minDate")), _native(d.get("maxDate"))
        if (low is not None and day < low) or (high is not None and day > high):
            return bad(_bounds(low, high, str))
        return day
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            return bad("must be true or false")
        return value
    options = d.get("options") or []
    if kind == "ENUM":
        if value not in options:
            return bad(f"must be one of {', '.join(options)}")
        return value
    if kind == "MULTI_ENUM":
        if not isinstance(value, list) or any(x not in options for x in value):
            return bad(f"must be a list of {', '.join(options)}")
        return sorted(set(value), key=options.index) or None
    if not isinstance(value, str) or not value:  # REFERENCE: checked to exist by the caller
        return bad("must be a node id")
    return value


def checked_values(
    errors: v.Errors,
    defined: Mapping[str, DefinitionRow],
    given: dict[str, Any],
    creating: bool,
    archived: Collection[str] = (),
) -> tuple[dict[str, Any], list[tuple[str, DefinitionRow, str]]]:
    """The `custom.<key>` properties of `given` checked against `defined` (key -> definition),
    and the REFERENCE values still to be found (path, definition, node id). With `creating`,
    every required field of an active definition must be given. Bad values are errors at
    `input.custom.<key>`. A value of an `archived` field may only be cleared (null). No
    database: the API (`values`) and the import (resolvers/transfer_customfields.py) both
    check with it."""
    props: dict[str, Any] = {}
    references: list[tuple[str, DefinitionRow, str]] = []
    for key, value in given.items():
        path = f"input.custom.{key}"
        d = defined.get(key)
        if d is None and value is None and key in archived:
            props[g.prop(key)] = None  # an archived field's value stays readable until cleared
            continue
        if d is None:
            message = "no such custom field for this kind"
            if key in archived:
                message = "the field is archived: its value may only be cleared (null)"
            errors.add(ErrorCode.VALIDATION, message, path)
            continue
        if value is None:
            if d["required"]:
                errors.add(ErrorCode.VALIDATION, "is required", path)
            props[g.prop(key)] = None
            continue
        checked = check_value(errors, d, value, path)
        if checked is not None and d["type"] == "REFERENCE":
            references.append((path, d, checked))
        props[g.prop(key)] = checked
    if creating:
        for key, d in defined.items():
            if d["required"] and d.get("archivedAt") is None and key not in given:
                errors.add(ErrorCode.VALIDATION, "is required", f"input.custom.{key}")
    return props, references


def deferred(ctx: Context, label: Label, data: dict[str, Any]) -> Required | None:
    """For a create whose input has no `custom` values: the required-field check the create
    statement makes itself (one round trip in the common case). None when there are values
    to check first, with `values`."""
    if "custom" in data:
        return None

    async def missing() -> v.Errors:
        errors = v.Errors()
        await values(ctx, label, errors, {}, creating=True)
        return errors

    return Required(KIND_OF_LABEL[label], missing)


async def values(
    ctx: Context, label: Label, errors: v.Errors, data: dict[str, Any], creating: bool
) -> dict[str, Any]:
    """The `custom.<key>` properties of the `custom` input, checked against the active
    definitions of the kind (one round trip, shared by the request). With `creating`, every
    required field must be given; otherwise the input is a patch."""
    if ("custom" not in data and not creating) or not ctx.actor.scope.may_edit:
        return {}  # nothing to check, or a viewer whose write is refused before any read
    given = data.get("custom")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        errors.add(ErrorCode.VALIDATION, "must be a JSON object", "input.custom")
        return {}
    defined = await of_kind(ctx, label)
    archived = (await of_kind(ctx, label, active=False)).keys() - defined.keys()
    props, references = checked_values(errors, defined, given, creating, archived)
    for path, d, node_id in references:
        target = REFERENCE_LABELS[d.get("referenceKind") or "COMPANY"]
        if await load_node(ctx, target, node_id) is None:
            errors.add(ErrorCode.VALIDATION, f"no {target.value} with this id", path)
    if given or "custom" in data:
        props["custom"] = None  # the JSON text of earlier versions: values live per key now
    return props


def _shown(value: Any) -> Any:
    value = _native(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def read(ctx: Context, node: NodeRow) -> dict[str, Any] | None:
    """A node's custom values as a JSON object: its `custom.<key>` properties (and, for data
    stored before definitions existed, the old JSON text). A viewer who may not read
    personal data (ANALYST) gets no value of a field marked personal."""
    out: dict[str, Any] = {}
    raw = node.get("custom")
    if isinstance(raw, str) and raw:
        out.update(json.loads(raw))
    row: dict[str, Any] = dict(node)
    out.update(
        {k[len(CUSTOM_PREFIX) :]: _shown(v) for k, v in row.items() if k.startswith(CUSTOM_PREFIX)}
    )
    if not out:
        return None
    if anonymised(ctx.viewer.roles):
        label = Label(node.get("__typename") or node.get("label") or "Company")
        defined = await of_kind(ctx, label, active=False)
        out = {k: val for k, val in out.items() if k in defined and not defined[k]["personal"]}
    if not ctx.actor.scope.read_all:
        out = await _without_hidden_references(ctx, node, out)
    return out


async def _without_hidden_references(
    ctx: Context, node: NodeRow, values: dict[str, Any]
) -> dict[str, Any]:
    """`values` without a REFERENCE naming a node the viewer may not see: hidden means
    missing, and the id would tell that the node exists. One batched look-up per request."""
    label = Label(node.get("__typename") or node.get("label") or "Company")
    defined = await of_kind(ctx, label, active=False)
    refs = {
        k: x
        for k, x in values.items()
        if isinstance(x, str) and k in defined and defined[k]["type"] == "REFERENCE"
    }
    if not refs:
        return values
    shown = await asyncio.gather(*(visible_node(ctx, x) for x in refs.values()))
    hidden = {k for k, found in zip(refs, shown, strict=True) if found is None}
    return {k: x for k, x in values.items() if k not in hidden}


# Lists -----------------------------------------------------------------------------------


_WITHHELD = (
    "your role does not read this field's values (a personal one, or a person's), so it cannot "
    "filter or sort by them"
)
SORT_TYPES = {"TEXT": "TEXT", "ENUM": "TEXT", "REFERENCE": "TEXT", "NUMBER": "NUMBER",
              "DATE": "DATE", "BOOLEAN": "BOOLEAN"}  # fmt: skip


async def list_params(
    ctx: Context,
    label: Label | None,
    filters: list[dict[str, Any]] | None,
    sort_key: str | None,
    descending: bool,
) -> tuple[list[dict[str, Any]] | None, str | None, str | None]:
    """(custom filter parameters, the sort order's name, the sort property) for a list of
    `label` (None: the customers list, companies and people: `_of_customers`). Bad keys or
    values raise BAD_USER_INPUT naming the argument."""
    if not filters and sort_key is None:
        return None, None, None
    if filters and len(filters) > MAX_FILTERS:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, f"at most {MAX_FILTERS} custom filters", "filter.custom"
        )
    defined = await (_of_customers(ctx) if label is None else of_kind(ctx, label, active=False))
    withheld: set[str] = set()
    if anonymised(ctx.viewer.roles):
        # Filtering or sorting on a value one may not read would reveal it, row by row: a
        # field marked personal, and any field people have (ANALYST reads no person's values).
        people = (
            defined if label is Label.PERSON
            else await of_kind(ctx, Label.PERSON, active=False) if label is None
            else {}
        )  # fmt: skip
        withheld = {k for k, d in defined.items() if d["personal"] or k in people}
    out: list[dict[str, Any]] = []
    for i, f in enumerate(filters or []):
        if f["key"] in withheld:
            raise ApiError(ErrorCode.BAD_USER_INPUT, _WITHHELD, f"filter.custom[{i}].key")
        out.append(_filter(defined, f, f"filter.custom[{i}]"))
    if not ctx.actor.scope.read_all:
        pairs = zip(out, filters or (), strict=True)
        refs = [p for p, f in pairs if defined[f["key"]]["type"] == "REFERENCE"]
        await _only_visible_references(ctx, refs)
    order = prop = None
    if sort_key in withheld:
        raise ApiError(ErrorCode.BAD_USER_INPUT, _WITHHELD, "customSortKey")
    if sort_key is not None:
        d = defined.get(sort_key)
        if d is None or d["type"] not in SORT_TYPES:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, "no sortable custom field with this key", "customSortKey"
            )
        order = f"CUSTOM_{SORT_TYPES[d['type']]}_{'DESC' if descending else 'ASC'}"
        prop = g.prop(sort_key)
    return out or None, order, prop


async def _only_visible_references(ctx: Context, params: list[dict[str, Any]]) -> None:
    """REFERENCE filters (EQ, IN) match no id the viewer may not see: a row pointing at a
    hidden node shows no value, and a filter on the hidden id that found it told the node
    existed, as one on a made-up id did not (tester BH). Hidden means missing here too."""
    ids = {x for p in params for x in (p["values"] or [p["value"]]) if isinstance(x, str)}
    if not ids:
        return
    shown = await asyncio.gather(*(visible_node(ctx, x) for x in ids))
    seen = {x for x, found in zip(ids, shown, strict=True) if found is not None}
    for p in params:
        if p["op"] == "EQ" and p["value"] not in seen:
            p.update(op="IN", value=None, values=[])  # matches nothing, as a missing id
        elif p["op"] == "IN":
            p["values"] = [x for x in p["values"] if x in seen]


async def _of_customers(ctx: Context) -> dict[str, DefinitionRow]:
    """The fields a customers list filters and sorts on: those of companies and of people. A
    value lives in one property whatever the kind, so a key defined for one kind filters both
    (the other kind's nodes lack it); a key defined for both must have one type there, its
    options are either kind's, and it is personal if either says so."""
    out = dict(await of_kind(ctx, Label.PERSON, active=False))
    for key, d in (await of_kind(ctx, Label.COMPANY, active=False)).items():
        other = out.get(key)
        if other is None:
            out[key] = d
        elif other["type"] != d["type"]:
            out.pop(key)  # no one reading of its values: "no such custom field" for customers
        else:
            options = sorted({*(other.get("options") or []), *(d.get("options") or [])})
            # Each kind's bounds apply when saving; a filter value is checked without them.
            out[key] = {
                **d,
                "options": options or None,
                "personal": d["personal"] or other["personal"],
                "min": None, "max": None, "minDate": None, "maxDate": None,
                "pattern": None, "maxLength": None,
            }  # fmt: skip
    return out


def _filter(defined: dict[str, DefinitionRow], f: dict[str, Any], path: str) -> dict[str, Any]:
    d = defined.get(f["key"])
    if d is None:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "no such custom field", f"{path}.key")
    op = _plain(f["op"])
    kind = d["type"]
    errors = v.Errors()
    # A filter value is typed as the field's, without its bounds (GT 0 on a field >= 1).
    unbounded = dict.fromkeys(("maxLength", "pattern", "min", "max", "minDate", "maxDate"))
    one = {**d, **unbounded, "type": "ENUM" if kind == "MULTI_ENUM" else kind}
    if op == "IN":
        raw = f.get("values") or []
        if not raw or len(raw) > MAX_OPTIONS:  # none matched nothing, silently (tester AV)
            message = f"IN takes 1..{MAX_OPTIONS} values"
            raise ApiError(ErrorCode.BAD_USER_INPUT, message, f"{path}.values")
        typed = [check_value(errors, one, x, f"{path}.values") for x in raw]
        out = {"prop": g.prop(d["key"]), "op": "HAS_ANY" if kind == "MULTI_ENUM" else "IN",
               "values": typed, "value": None}  # fmt: skip
    else:
        # The operator first: GT on an ENUM read "must be one of ..." (tester AV).
        if op == "CONTAINS" and kind not in ("TEXT", "MULTI_ENUM"):
            errors.add(ErrorCode.VALIDATION, "CONTAINS applies to TEXT and MULTI_ENUM", path)
        if op in ("GT", "LT") and kind not in ("NUMBER", "DATE", "TEXT"):
            errors.add(ErrorCode.VALIDATION, "GT and LT apply to NUMBER, DATE and TEXT", path)
        value = check_value(errors, one, f.get("value"), f"{path}.value")
        if kind == "MULTI_ENUM":
            op = "HAS"
        out = {"prop": g.prop(d["key"]), "op": op, "value": value, "values": None}
    if errors:
        raise ApiError(ErrorCode.BAD_USER_INPUT, errors[0]["message"], errors[0]["field"])
    return out
