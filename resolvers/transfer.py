"""`crm-graph import` and `crm-graph export` (issue 15): mapping files, row validation with the
API's own rules, batches, the rejected-rows report, the checkpoint, and the masked export.

Every row goes through the functions the create mutations use (company_props, person_props,
customer_role, external_props, edge_props, date_range), after its text is converted to the
field's type; a row with any problem goes to the report, with the field and the API's code
and message, and is not written. Rows that pass are written batch by batch, each batch in one
transaction (graph/transfer.py). After each batch the checkpoint file records how far the
file is committed: an interrupted import, run again with the same file and mapping, starts
after that row. Re-running a finished import changes nothing (rows are keyed). An export's
teams and users, products and records are read and written by resolvers/transfer_staff.py,
resolvers/transfer_catalog.py and resolvers/transfer_records.py, its custom field
definitions and values by resolvers/transfer_customfields.py.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import itertools
import math
import os
import re
import tomllib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any

import orjson

import resolvers.privacy  # noqa: F401  (registers Person.idNumber's full-value reader)
from graph import crypto, duplicates, pages, pinyin
from graph import nodes as node_repo
from graph import transfer as repo
from graph import transfer_formats as fmt
from graph.actor import Actor
from graph.db import Database
from graph.export import jsonable
from graph.nodes import Audit, plain
from graph.transfer import Key
from graph.vocab import (
    DISTINCT_LINES,
    ENDPOINTS,
    CustomerKind,
    DealLossReason,
    Gender,
    Label,
    LifecycleStage,
    Polarity,
    ProjectStage,
    ProjectStatus,
    RecordKind,
    Rel,
    Stance,
    Tier,
)
from resolvers import company, person, project, relationship
from resolvers import validation as v
from resolvers.common import SAME_LINE, customer_role, external_props
from resolvers.duplicates import matchable
from resolvers.errors import ErrorCode
from resolvers.masking import Guards
from resolvers.shapes import parse_date, parse_instant

# What each field holds: a converter's name, or an enum (its stored values are accepted).
Kind = str | type[Enum]
NODE_FIELDS: dict[Label, dict[str, Kind]] = {
    Label.COMPANY: {
        "name": "text",
        **dict.fromkeys(company.TEXT_FIELDS, "text"),
        **dict.fromkeys(("unifiedSocialCreditCode", "phone", "fax"), "text"),
        "employeeCount": "int",
        "registeredCapital": "float",
        "foundedOn": "date",
        "visitCycleDays": "int",
    },
    Label.PERSON: {
        "name": "text",
        **dict.fromkeys(person.TEXT_FIELDS, "text"),
        "gender": Gender,
        "birthDate": "date",
        **dict.fromkeys(("idType", "idNumber", "mobile", "officePhone", "email"), "text"),
        "hasPurchasingPower": "bool",
        "hobbies": "list",
    },
    # An export's own file only (a mapping names Company or Person).
    Label.PROJECT: {
        "name": "text",
        "stage": ProjectStage,
        "status": ProjectStatus,
        "amount": "float",
        "currency": "text",
        "expectedClose": "date",
        "winProbability": "float",
        "winProbabilityReason": "text",
        "lostReason": DealLossReason,
        "lostNote": "text",
    },
}
EXTERNAL_FIELDS: dict[str, Kind] = {"externalSource": "text", "externalId": "text"}
# An export's node line also says when the node was archived (archiveCompany ...), so that
# the round trip into an empty database does not bring it back active.
ARCHIVED: dict[str, Kind] = {"archivedAt": "instant"}
PROFILE_FIELDS: dict[str, Kind] = {
    "customerCode": "text",
    "customerKind": CustomerKind,
    "lifecycleStage": LifecycleStage,
    "classification": "text",
    "tier": Tier,
}
EDGE_FIELDS: dict[str, Kind] = {
    "since": "date",
    "until": "date",
    **dict.fromkeys(relationship.TEXT_CAPS, "text"),
    **dict.fromkeys(relationship.UNIT_INTERVAL, "float"),
    **dict.fromkeys(("kind", "role"), "text"),
    "stance": Stance,
    "polarity": Polarity,
}
CUSTOMER_KIND = {Label.COMPANY: CustomerKind.ENTERPRISE, Label.PERSON: CustomerKind.INDIVIDUAL}
PROPS_OF = {
    Label.COMPANY: company.company_props,
    Label.PERSON: person.person_props,
    Label.PROJECT: project.project_props,
}
SECRET_KEYS = (crypto.ID_NUMBER, crypto.CIPHER, crypto.DIGEST)
REPORT_COLUMNS = ("row", "field", "code", "message")
DEFAULT_BATCH = 5000
_IDS = uuid.UUID("6f1b2a4c-2d0e-4b8a-9c51-3e7d0a4f8b21")  # namespace of derived ids


class TransferError(Exception):
    """A file or mapping the import cannot read at all (nothing is written), or, raised for
    one line of an export-format file, that line's rejection at `field` (the line's key at
    fault, else `row`: a blank field told an integrator nothing; tester BF)."""

    def __init__(self, message: str, field: str = "row") -> None:
        super().__init__(message)
        self.field = field


def _enum_names(kind: type[Enum]) -> str:
    return ", ".join(str(m.value) for m in kind)


def _convert(errors: v.Errors, kind: Kind, value: Any, path: str) -> Any:
    """`value` (text from a file, or a JSON value) as the field's type; None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    # A JSON array or object where one value belongs (a list field takes an array of plain
    # values) was stored as Python's text of it, "['名A', 'B']" (tester BF).
    plain = (str, int, float) if kind in ("text", "list") else (str, int, float, bool)
    items = text if kind == "list" and isinstance(text, list) else [text]
    odd = next((x for x in items if isinstance(x, bool) or not isinstance(x, plain)), None)
    if odd is not None and not (kind == "bool" and isinstance(odd, bool)):
        shape = "a list of texts or numbers" if kind == "list" else "one text or number"
        errors.add(ErrorCode.VALIDATION, f"must be {shape}, not {_json_kind(odd)}", path)
        return None
    try:
        if isinstance(kind, type):
            return kind(str(text).strip().upper())
        if kind == "text":
            return str(text)
        if kind == "int":
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            return int(text)
        if kind == "float":
            if isinstance(text, bool):
                raise ValueError
            number = float(text)
            if not math.isfinite(number):  # "NaN", "inf", 1e400: nothing JSON or Neo4j keeps
                raise ValueError
            return number
        if kind == "date":  # YYYY-MM-DD, also as the start of a date and time
            return parse_date(str(text)[:10])
        if kind == "bool":
            if isinstance(text, bool):
                return text
            word = str(text).lower()
            if word in ("true", "1", "yes", "是"):
                return True
            if word in ("false", "0", "no", "否"):
                return False
            raise ValueError
        # list: a JSON list, or text with items separated by ';'
        if isinstance(text, list):
            return [str(x) for x in text]
        return [x.strip() for x in str(text).split(fmt.LIST_SEP) if x.strip()]
    except ValueError:
        what = {
            "int": "a whole number",
            "float": "a finite number",
            "date": "a date (YYYY-MM-DD)",
            "bool": "true or false",
        }
        expected = f"one of {_enum_names(kind)}" if isinstance(kind, type) else what.get(kind, kind)
        errors.add(ErrorCode.VALIDATION, f"must be {expected}", path)
        return None


# --- mapping files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphSpec:
    """What a foreign GraphML file's attributes mean (a mapping with [nodes] and [edges])."""

    label_attribute: str = ""  # the node attribute naming each node's kind ...
    label: Label | None = None  # ... or one kind for every node
    labels: dict[str, Label] = field(default_factory=dict)  # attribute value -> kind
    node_fields: dict[Label, dict[str, str]] = field(default_factory=dict)  # field -> attribute
    type_attribute: str = ""  # the edge attribute naming each edge's type ...
    rel: Rel | None = None  # ... or one type for every edge
    types: dict[str, Rel] = field(default_factory=dict)  # attribute value -> type
    edge_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """What a mapped file's columns mean. See the README, Import and export."""

    source: str
    key: Key
    id_column: str
    label: Label | None = None
    rel: Rel | None = None
    ends: tuple[Label, Label] | None = None
    from_column: str = ""
    to_column: str = ""
    # The systems the endpoints' ids come from (default: `source`).
    from_source: str = ""
    to_source: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # field -> column
    profile: dict[str, str] = field(default_factory=dict)  # customer field -> column
    customer: bool = False
    digest: str = ""
    # A record file (resolvers/transfer_records.py): its kind (a RecordKind), the system whose
    # externalIds name the customers (empty: CRM ids), the offset of times given without one.
    record: Any = None
    customer_source: str = ""
    timezone: dt.tzinfo | None = None
    graph: GraphSpec | None = None  # a foreign GraphML file
    encoding: str = "utf-8"  # a CSV file's (JSONL is UTF-8)


# By name, for the per-row look-ups (an enum's `.value` is a property: a scan costs µs a row).
_LABELS = {x.value: x for x in Label}
_EXPORT_RELS = {r.value: r for r in repo.EXPORT_RELS}


def _label(name: Any, what: str, labels: tuple[Label, ...] = repo.LABELS) -> Label:
    found = _LABELS.get(name) if isinstance(name, str) else None
    if found is not None and found in labels:
        return found
    allowed = ", ".join(x.value for x in labels)
    if name is None:
        raise TransferError(f"{what} is missing: one of {allowed}", what)
    raise TransferError(f"{what} must be one of {allowed}, not {name!r}", what)


def load_mapping(path: Path, source: str | None) -> Mapping:
    """Read and check a mapping file; `source` (--source) overrides its `source`."""
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))  # Notepad saves UTF-8 with a BOM
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TransferError(f"{path}: not a TOML file: {exc}") from exc
    if "nodes" in doc or "edges" in doc:
        return _graph_mapping(path, doc, source, hashlib.sha256(raw).hexdigest())
    key = Key(doc.get("key", "external")) if doc.get("key") in (None, "external", "id") else None
    if key is None:
        raise TransferError(f"{path}: key must be external or id")
    src = source or doc.get("source")
    if key is Key.EXTERNAL and not (isinstance(src, str) and src.strip()):
        raise TransferError(
            f"{path}: say which system the rows come from: source = ... or --source"
        )
    id_column = doc.get("id")
    if not isinstance(id_column, str) or not id_column:
        raise TransferError(f"{path}: id = the column holding each row's id")
    fields = doc.get("fields", {})
    profile = doc.get("profile", {})
    if not isinstance(fields, dict) or not isinstance(profile, dict):
        raise TransferError(f"{path}: [fields] and [profile] map field names to columns")
    encoding = doc.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding if isinstance(encoding, str) else "")
    except LookupError:
        raise TransferError(f"{path}: encoding {encoding!r} is not one Python knows") from None
    common: dict[str, Any] = {
        "encoding": encoding,
        "source": (src or "").strip(),
        "key": key,
        "id_column": id_column,
        "fields": {str(k): str(c) for k, c in fields.items()},
        "profile": {str(k): str(c) for k, c in profile.items()},
        "digest": hashlib.sha256(raw).hexdigest(),
    }
    if sum(k in doc for k in ("label", "type", "record")) != 1:
        raise TransferError(
            f"{path}: give one of label = (a node file), type = (an edge file) or record = "
            "(a record file)"
        )
    if "record" in doc:
        return _record_mapping(path, doc, key, common)
    if "label" in doc:
        from resolvers import transfer_customfields as tcf

        label = _label(doc["label"], "label")
        known = {**NODE_FIELDS[label], **(EXTERNAL_FIELDS if key is Key.ID else {})}
        _known(path, tcf.core_fields(path, common["fields"]), known, "[fields]")
        _known(path, common["profile"], PROFILE_FIELDS, "[profile]")
        return Mapping(label=label, customer=bool(doc.get("customer", False)), **common)
    rel = next((r for r in repo.RELS if r.value == doc["type"]), None)
    if rel is None:
        raise TransferError(f"{path}: type must be one of {', '.join(r.value for r in repo.RELS)}")
    ends = (
        _end(path, doc.get("from_label"), ENDPOINTS[rel][0], "from_label"),
        _end(path, doc.get("to_label"), ENDPOINTS[rel][1], "to_label"),
    )
    if not isinstance(doc.get("from"), str) or not isinstance(doc.get("to"), str):
        raise TransferError(f"{path}: from = and to = name the columns holding the endpoints")
    _known(path, common["fields"], EDGE_FIELDS, "[fields]")
    return Mapping(
        rel=rel,
        ends=ends,
        from_column=doc["from"],
        to_column=doc["to"],
        from_source=str(doc.get("from_source") or common["source"]),
        to_source=str(doc.get("to_source") or common["source"]),
        **common,
    )


def _record_mapping(path: Path, doc: dict[str, Any], key: Key, common: dict[str, Any]) -> Mapping:
    from resolvers import transfer_records as tr

    kind = tr.record_kind(doc["record"])
    if kind is None:
        kinds = ", ".join(k.name for k in tr.KIND_FIELDS)
        raise TransferError(f"{path}: record must be one of {kinds}")
    if key is not Key.EXTERNAL or common["profile"]:
        raise TransferError(f"{path}: a record file has no key = and no [profile]")
    _known(path, common["fields"], tr.fields_of(kind), "[fields]")
    missing = tr.missing_fields(kind, common["fields"])
    if missing:
        raise TransferError(f"{path}: [fields] must map {', '.join(missing)}")
    zone = None
    if doc.get("timezone") is not None:
        try:
            zone = parse_instant(f"2000-01-01T00:00{doc['timezone']}", keep_offset=True).tzinfo
        except (TypeError, ValueError):
            zone = None
        if zone is None:
            raise TransferError(f"{path}: timezone = an offset such as +08:00")
    return Mapping(
        record=kind, customer_source=str(doc.get("customer_source") or ""), timezone=zone, **common
    )


def _table(path: Path, doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise TransferError(f"{path}: {name} must be a table")
    return value


def _names(path: Path, doc: dict[str, Any], name: str) -> dict[str, str]:
    table = _table(path, doc, name)
    if not all(isinstance(x, str) for x in table.values()):
        raise TransferError(f"{path}: [{name}] maps names to attribute names (text)")
    return {str(k): str(x) for k, x in table.items()}


def _one_of(path: Path, doc: dict[str, Any], attr: str, const: str, where: str) -> None:
    if (attr in doc) == (const in doc):
        raise TransferError(
            f"{path}: [{where}]: give {attr} = (the attribute that says it) or {const} = "
            "(one for all)"
        )


def _graph_mapping(path: Path, doc: dict[str, Any], source: str | None, digest: str) -> Mapping:
    """A mapping for a foreign GraphML file: node ids are externalIds in `source`."""
    src = source or doc.get("source")
    if not (isinstance(src, str) and src.strip()):
        raise TransferError(f"{path}: say which system the file comes from: source = ...")
    unknown = sorted(set(doc) - {"source", "nodes", "edges"})
    if unknown:
        raise TransferError(
            f"{path}: a GraphML mapping has source, [nodes] and [edges], not {', '.join(unknown)}"
        )
    nodes, edges = _table(path, doc, "nodes"), _table(path, doc, "edges")
    _one_of(path, nodes, "label_attribute", "label", "nodes")
    _one_of(path, edges, "type_attribute", "type", "edges")
    labels = {
        str(k): _label(x, f"[nodes.labels] {k}") for k, x in _names(path, nodes, "labels").items()
    }
    node_fields: dict[Label, dict[str, str]] = {}
    for label in repo.LABELS:
        node_fields[label] = _names(path, nodes, label.value)
        _known(path, node_fields[label], NODE_FIELDS[label], f"[nodes.{label.value}]")
    profile = _names(path, nodes, "profile")
    _known(path, profile, PROFILE_FIELDS, "[nodes.profile]")
    allowed = {"label_attribute", "label", "labels", "customer", "profile",
               *(x.value for x in repo.LABELS)}  # fmt: skip
    extra = sorted(set(nodes) - allowed) + sorted(
        set(edges) - {"type_attribute", "type", "types", "fields"}
    )
    if extra:
        raise TransferError(f"{path}: unknown key(s) {', '.join(extra)} in [nodes] or [edges]")

    def rel_of(name: Any, what: str) -> Rel:
        found = next((r for r in repo.RELS if r.value == name), None)
        if found is None:
            raise TransferError(
                f"{path}: {what} must be one of {', '.join(r.value for r in repo.RELS)}"
            )
        return found

    for what, name in (("label_attribute", nodes.get("label_attribute")),
                       ("type_attribute", edges.get("type_attribute"))):  # fmt: skip
        if name is not None and not (isinstance(name, str) and name):
            raise TransferError(f"{path}: {what} = the name of an attribute")
    edge_fields = _names(path, edges, "fields")
    _known(path, edge_fields, EDGE_FIELDS, "[edges.fields]")
    spec = GraphSpec(
        label_attribute=str(nodes.get("label_attribute") or ""),
        label=_label(nodes["label"], "[nodes] label") if "label" in nodes else None,
        labels=labels,
        node_fields=node_fields,
        type_attribute=str(edges.get("type_attribute") or ""),
        rel=rel_of(edges["type"], "[edges] type") if "type" in edges else None,
        types={
            str(k): rel_of(x, f"[edges.types] {k}") for k, x in _names(path, edges, "types").items()
        },
        edge_fields=edge_fields,
    )
    return Mapping(
        source=src.strip(),
        key=Key.EXTERNAL,
        id_column="",
        profile=profile,
        customer=bool(nodes.get("customer", False)),
        digest=digest,
        graph=spec,
    )


def _known(path: Path, given: dict[str, str], known: dict[str, Kind], where: str) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise TransferError(
            f"{path}: {where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )


def _end(path: Path, name: Any, allowed: tuple[Label, ...], what: str) -> Label:
    if name is None:
        if len(allowed) != 1:
            raise TransferError(f"{path}: {what} = one of {', '.join(x.value for x in allowed)}")
        return allowed[0]
    label = _label(name, what)
    if label not in allowed:
        raise TransferError(f"{path}: {what} must be one of {', '.join(x.value for x in allowed)}")
    return label


# --- rows -------------------------------------------------------------------------------------


@dataclass
class Rejection:
    row: int
    field: str
    code: str
    message: str
    name: str | None = None  # what the report calls the row (a GraphML id), if not its number


@dataclass
class Prepared:
    """One valid row, ready for graph/transfer.py: `group` says which statement writes it."""

    n: int
    group: tuple[Any, ...]
    row: dict[str, Any]
    name: str | None = None  # what the report calls the row, if not its number


def blank(value: Any) -> bool:
    """A cell that says nothing: absent, or only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str | None:
    return None if blank(value) else str(value)


def unknown_fields(
    n: int, cells: dict[str, Any], known: Iterable[str], what: str
) -> list[Rejection]:
    """The rejection of an exported line (a product, a team, a custom field ...) that names a
    field its kind does not have; empty when it names none."""
    unknown = sorted(set(cells) - set(known))
    if not unknown:
        return []
    message = f"unknown field(s) {', '.join(unknown)} of {what}"
    return [Rejection(n, unknown[0], ErrorCode.VALIDATION.value, message)]


def archive_moment(errors: v.Errors, value: Any) -> dt.datetime | None:
    """An exported `archivedAt`: None when blank; an ISO time with its offset, else an error
    at `input.archivedAt`."""
    if blank(value):
        return None
    try:
        moment = parse_instant(str(value).strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = "must be a date and time with an offset, e.g. 2026-03-01T10:00+08:00"
        errors.add(ErrorCode.VALIDATION, message, "input.archivedAt")
        return None
    return moment


def _errors_of(n: int, errors: v.Errors) -> list[Rejection]:
    out: list[Rejection] = []
    for e in errors:
        path = str(e["field"] or "")
        where = path[len("input.") :] if path.startswith("input.") else path
        code = e["code"].value if isinstance(e["code"], Enum) else str(e["code"])
        if out and out[-1].field == where and str(e["message"]) == "is required":
            continue  # refused as given, then missing: the first reason says it
        out.append(Rejection(n, where, code, str(e["message"])))
    return out


def derived_id(source: str, kind: str, external_id: str) -> str:
    """The CRM id of what (source, externalId) names: the same on every run and retry."""
    return str(uuid.uuid5(_IDS, f"{source}\x1f{kind}\x1f{external_id}"))


def _node(
    n: int,
    label: Label,
    key: Key,
    source: str,
    node_id: Any,
    values: dict[str, Any],
    profile: dict[str, Any] | None,
) -> Prepared | list[Rejection]:
    errors = v.Errors()
    spec = {**NODE_FIELDS[label], **(EXTERNAL_FIELDS if key is Key.ID else {})}
    data = {k: _convert(errors, spec[k], x, f"input.{k}") for k, x in values.items() if k in spec}
    data = {k: x for k, x in data.items() if x is not None}
    if profile is not None:
        data["customer"] = {
            k: _convert(errors, PROFILE_FIELDS[k], x, f"input.customer.{k}")
            for k, x in profile.items()
            if k in PROFILE_FIELDS
        }
    props = PROPS_OF[label](errors, data, True)
    if key is Key.ID and "archivedAt" in values:  # an export's line (ARCHIVED)
        props["archivedAt"] = archive_moment(errors, values["archivedAt"])
    # A project is never a customer.
    customer = (
        customer_role(errors, data, props, CUSTOMER_KIND[label]) if label in CUSTOMER_KIND else None
    )
    raw = None if node_id is None else str(node_id)
    if key is Key.EXTERNAL:  # the row's id is its externalId, checked as the API checks it
        ident = external_props(errors, {"externalSource": source, "externalId": raw}, True)[
            "externalId"
        ]
    else:
        ident = v.text(errors, raw, "input.id", True, 200)
        props.update(external_props(errors, data))
    if errors:
        return _errors_of(n, errors)
    assert ident is not None
    props = crypto.protect(label, {k: plain(x) for k, x in props.items() if x is not None})
    secret = {k: props.pop(k) for k in SECRET_KEYS if k in props} or None
    row = {
        # Written with the name, not compared as fields (graph/pinyin.py).
        "derived": pinyin.keys_of(label, props),
        "id": derived_id(source, label.value, ident) if key is Key.EXTERNAL else ident,
        "source": source,
        "externalId": ident,
        "props": props,
        "secret": secret,
        "customer": bool(customer),
        "n": n,
    }
    return Prepared(n, ("node", label, key), row)


def _edge(
    n: int,
    rel: Rel,
    ends: tuple[Label, Label],
    key: Key,
    sources: tuple[str, str, str],
    ids: tuple[Any, Any, Any],
    values: dict[str, Any],
) -> Prepared | list[Rejection]:
    """`sources`: the edge's system, then its endpoints' (Key.EXTERNAL)."""
    errors = v.Errors()
    data = {
        k: _convert(errors, EDGE_FIELDS[k], x, f"input.{k}")
        for k, x in values.items()
        if k in EDGE_FIELDS
    }
    data = {k: x for k, x in data.items() if x is not None}
    props = relationship.edge_props(errors, rel, data, creating=True)
    v.date_range(errors, props.get("since"), props.get("until"))
    edge_id, src, dst = (
        v.text(errors, None if x is None else str(x), path, True, 200)
        for x, path in zip(ids, ("input.id", "input.from", "input.to"), strict=True)
    )
    if errors:
        return _errors_of(n, errors)
    assert edge_id is not None
    row = {
        "n": n,
        "id": derived_id(sources[0], rel.value, edge_id) if key is Key.EXTERNAL else edge_id,
        "from": src,
        "fromSource": sources[1],
        "to": dst,
        "toSource": sources[2],
        "props": {k: plain(x) for k, x in props.items() if x is not None},
    }
    return Prepared(n, ("edge", rel, ends, key), row)


def check_form(mapping: Mapping, form: str) -> None:
    """A graph mapping ([nodes] and [edges]) reads GraphML, a table mapping CSV or JSONL."""
    if (form == "graphml") != (mapping.graph is not None):
        raise TransferError(
            "a GraphML file needs a mapping with [nodes] and [edges]"
            if form == "graphml"
            else "a mapping with [nodes] and [edges] reads a GraphML file"
        )


def mapped_rows(mapping: Mapping, path: Path, form: str) -> Iterator[Prepared | list[Rejection]]:
    """The rows of a mapped CSV, JSONL or (foreign) GraphML file, validated."""
    check_form(mapping, form)
    if mapping.graph is not None:
        return graphml_rows(mapping, mapping.graph, path)
    if form == "csv":
        check_header(mapping, path)
    return table_rows(mapping, table_records(mapping, path, form))


def mapped_columns(mapping: Mapping) -> list[tuple[str, str]]:
    """(what the mapping calls it, the column) for every column a table mapping names."""
    out = [("id", mapping.id_column)]
    if mapping.rel is not None:
        out += [("from", mapping.from_column), ("to", mapping.to_column)]
    out += [(f"[fields] {f}", c) for f, c in mapping.fields.items()]
    out += [(f"[profile] {f}", c) for f, c in mapping.profile.items()]
    return out


def check_header(mapping: Mapping, path: Path) -> None:
    """A TransferError naming each column the mapping names that the CSV header lacks: every
    row would be rejected (or read without the value) for want of it. Only the first line is
    read; a header that cannot be read is left to the import to report."""
    header = fmt.csv_header(path, mapping.encoding)
    if header is None:
        return
    have = set(header)
    missing = [f'"{column}" (the mapping\'s {what})' for what, column in mapped_columns(mapping)
               if column not in have]  # fmt: skip
    if missing:
        names = [h for h in header if h]
        shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "") or "none"
        raise TransferError(
            f"the CSV header has no column {', '.join(missing)}; its columns: {shown}. "
            "Fix the mapping or the header"
        )


def table_records(mapping: Mapping, path: Path, form: str) -> Iterator[tuple[int, Any]]:
    """A mapped CSV or JSONL file's lines, numbered, for `table_rows` to check."""
    return fmt.read_csv(path, mapping.encoding) if form == "csv" else fmt.read_jsonl(path)


def table_rows(
    mapping: Mapping, reader: Iterator[tuple[int, Any]]
) -> Iterator[Prepared | list[Rejection]]:
    """A mapped CSV or JSONL file's lines, each checked on its own (resolvers/
    transfer_parallel.py spreads them over processes)."""
    for n, line in reader:
        if isinstance(line, fmt.BadRow):
            yield [Rejection(n, "row", ErrorCode.VALIDATION.value, line.message)]
            continue
        if not isinstance(line, dict):
            yield [Rejection(n, "row", ErrorCode.VALIDATION.value, "is not an object")]
            continue
        values = {f: line.get(c) for f, c in mapping.fields.items()}
        if mapping.record is not None:
            from resolvers import transfer_records as tr

            yield tr.record_row(
                n,
                mapping.record,
                values,
                mapping.source,
                line.get(mapping.id_column),
                mapping.customer_source,
                mapping.timezone,
            )
        elif mapping.label is not None:
            from resolvers import transfer_customfields as tcf

            profile = {f: line.get(c) for f, c in mapping.profile.items()}
            given = {k: x for k, x in profile.items() if x not in (None, "")}
            customer = mapping.customer or bool(given)
            node = _node(
                n,
                mapping.label,
                mapping.key,
                mapping.source,
                line.get(mapping.id_column),
                values,
                given if customer else None,
            )
            yield tcf.mapped_custom(node, values)
        else:
            assert mapping.rel is not None
            assert mapping.ends is not None
            ids = (
                line.get(mapping.id_column),
                line.get(mapping.from_column),
                line.get(mapping.to_column),
            )
            sources = (mapping.source, mapping.from_source, mapping.to_source)
            yield _edge(n, mapping.rel, mapping.ends, mapping.key, sources, ids, values)


def _named(item: Prepared | list[Rejection], name: str) -> Prepared | list[Rejection]:
    if isinstance(item, Prepared):
        item.name = name
    else:
        for r in item:
            r.name = name
    return item


def _pick(name: Any, table: dict[str, Any], known: tuple[Any, ...]) -> Any:
    """What an attribute's value names: by the mapping's table, else a kind's own name."""
    if name is None:
        return None
    text = str(name).strip()
    if text in table:
        return table[text]
    return next((k for k in known if text.upper() == str(k.value).upper()), None)


def graphml_rows(
    mapping: Mapping, spec: GraphSpec, path: Path
) -> Iterator[Prepared | list[Rejection]]:
    """The nodes and edges of a foreign GraphML file, validated: each node's GraphML id is
    its externalId in the mapping's source, edges name their ends by those ids. A rejected
    row is named in the report by its node or edge id."""
    kinds: dict[str, Label] = {}  # node id -> its kind, for the edges
    for n, el in fmt.read_graphml_elements(path):
        attrs: dict[str, Any] = el["attrs"]
        if el["kind"] == "node":
            label = spec.label or _pick(attrs.get(spec.label_attribute), spec.labels, repo.LABELS)
            if label is None:
                message = (
                    f"{attrs.get(spec.label_attribute)!r} is no kind: one of "
                    f"{', '.join(x.value for x in repo.LABELS)}, or map it in [nodes.labels]"
                )
                bad = [Rejection(n, spec.label_attribute, ErrorCode.VALIDATION.value, message)]
                yield _named(bad, el["id"])
                continue
            kinds[el["id"]] = label
            values = {f: attrs.get(a) for f, a in spec.node_fields[label].items()}
            profile = {f: attrs.get(a) for f, a in mapping.profile.items()}
            given = {k: x for k, x in profile.items() if x not in (None, "")}
            customer = mapping.customer or bool(given)
            row = _node(
                n,
                label,
                Key.EXTERNAL,
                mapping.source,
                el["id"],
                values,
                given if customer else None,
            )
            yield _named(row, el["id"])
            continue
        key = el["key"]
        ext = el["id"] or f"{el['from']}->{el['to']}" + (f"#{key}" if key else "")
        yield _named(_graphml_edge(mapping, spec, n, el, ext, kinds), ext)


def _graphml_edge(
    mapping: Mapping,
    spec: GraphSpec,
    n: int,
    el: fmt.Record,
    ext: str,
    kinds: dict[str, Label],
) -> Prepared | list[Rejection]:
    attrs: dict[str, Any] = el["attrs"]
    rel = spec.rel or _pick(attrs.get(spec.type_attribute), spec.types, repo.RELS)
    if rel is None:
        message = (
            f"{attrs.get(spec.type_attribute)!r} is no relationship type: one of "
            f"{', '.join(r.value for r in repo.RELS)}, or map it in [edges.types]"
        )
        return [Rejection(n, spec.type_attribute, ErrorCode.VALIDATION.value, message)]
    src, dst = el["from"], el["to"]
    for part, end in (("from", src), ("to", dst)):
        if end not in kinds:
            message = f"node {end} has no kind this mapping knows (see its row)"
            return [Rejection(n, part, ErrorCode.NOT_FOUND.value, message)]

    def fits(a: str, b: str) -> bool:
        return kinds[a] in ENDPOINTS[rel][0] and kinds[b] in ENDPOINTS[rel][1]

    if not fits(src, dst) and not el["directed"] and fits(dst, src):
        src, dst = dst, src  # an undirected file: the direction the type allows
    if not fits(src, dst):
        message = f"{rel.value} does not join {kinds[src].value} to {kinds[dst].value}"
        return [Rejection(n, spec.type_attribute or "type", ErrorCode.VALIDATION.value, message)]
    values = {f: attrs.get(a) for f, a in spec.edge_fields.items()}
    sources = (mapping.source, mapping.source, mapping.source)
    return _edge(n, rel, (kinds[src], kinds[dst]), Key.EXTERNAL, sources, (ext, src, dst), values)


ANONYMISED_ROW = (
    "this person comes from an anonymised export: its name is a pseudonym (and its personal "
    "data was withheld), so an anonymised export's people cannot be imported; export them "
    "with a key that sees names"
)
# resolvers/masking.py's pseudonyms: an anonymised export written before the marker was.
_PSEUDONYM = re.compile(r"Person [0-9a-f]{6}")


def _pseudonymous(label: Label, rec: fmt.Record, fields: dict[str, Any]) -> bool:
    """Whether an exported node line is the anonymised view's: imported, its pseudonym
    would overwrite the stored name (and its withheld data be lost)."""
    if fmt.said_yes(rec.get(fmt.ANONYMISED)):
        return True
    name = fields.get("name")
    return label is Label.PERSON and isinstance(name, str) and bool(_PSEUDONYM.fullmatch(name))


def _check_shape(rec: Any) -> None:
    """A line is an object whose `fields` (and a node's `customer`) are objects, as exports
    write them; anything else is the line's fault, said as such, not a crash of the job."""
    if not isinstance(rec, dict):
        raise TransferError(f"a line must be a JSON object, not {_json_kind(rec)}")
    for key in ("fields", "customer") if rec.get("kind") == "node" else ("fields",):
        value = rec.get(key)
        if value is not None and not isinstance(value, dict):
            raise TransferError(
                f"{key} must be a JSON object or null, not {_json_kind(value)}", key
            )


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def graph_rows(
    records: Iterator[tuple[int, fmt.Record | fmt.BadRow]],
) -> Iterator[Prepared | list[Rejection]]:
    """The records of an exported file (no mapping: keyed by the CRM id), validated."""
    for n, rec in records:
        if isinstance(rec, fmt.BadRow):
            yield [Rejection(n, "row", ErrorCode.VALIDATION.value, rec.message)]
            continue
        try:
            _check_shape(rec)
            if rec.get("kind") == "node":
                from resolvers import transfer_customfields as tcf

                label = _label(rec.get("label"), "label", repo.EXPORT_LABELS)
                fields = rec.get("fields") or {}
                if _pseudonymous(label, rec, fields):
                    yield [Rejection(n, "name", ErrorCode.VALIDATION.value, ANONYMISED_ROW)]
                    continue
                node = _node(n, label, Key.ID, "", rec.get("id"), fields, rec.get("customer"))
                yield tcf.with_custom(node, fields)
            elif rec.get("kind") == "edge":
                kind = rec.get("type")
                rel = _EXPORT_RELS.get(kind) if isinstance(kind, str) else None
                if rel is None:
                    raise TransferError(f"unknown relationship type {rec.get('type')!r}", "type")
                a, b = (
                    _label(rec.get("fromLabel"), "fromLabel", repo.EDGE_LABELS),
                    _label(rec.get("toLabel"), "toLabel", repo.EDGE_LABELS),
                )
                if a not in ENDPOINTS[rel][0] or b not in ENDPOINTS[rel][1]:
                    raise TransferError(f"{rel.value} does not join {a.value} to {b.value}", "type")
                ids = (rec.get("id"), rec.get("from"), rec.get("to"))
                yield _edge(n, rel, (a, b), Key.ID, ("", "", ""), ids, rec.get("fields") or {})
            elif rec.get("kind") == "product":
                from resolvers import transfer_catalog as tc

                yield tc.exported_row(n, rec)
            elif rec.get("kind") == "record":
                from resolvers import transfer_records as tr

                yield tr.exported_row(n, rec)
            elif rec.get("kind") in ("team", "user"):
                from resolvers import transfer_staff as ts

                yield ts.team_row(n, rec) if rec["kind"] == "team" else ts.user_row(n, rec)
            elif rec.get("kind") == "customField":
                from resolvers import transfer_customfields as tcf

                yield tcf.exported_row(n, rec)
            else:
                raise TransferError(
                    "kind must be team, user, customField, node, edge, product or record", "kind"
                )
        except TransferError as exc:
            yield [Rejection(n, exc.field, ErrorCode.VALIDATION.value, str(exc))]


# --- the import -------------------------------------------------------------------------------


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    skipped: int = 0  # rows an earlier, interrupted run committed
    rejected_before: int = 0  # rows the earlier run rejected (in the report it began)
    duplicates: int = 0  # rows held back as likely duplicates (also counted as rejected)
    batches: int = 0
    staff: int = 0  # teams, users and staff edges created or changed (sign-ins to refresh)


def fingerprint(path: Path, mapping_digest: str) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}:{mapping_digest}"


_MISSING = "no node with this id ({part} end); import the nodes first"


def missing_end(n: int, part: str) -> Rejection:
    """An edge row whose `part` end ("from" or "to") names no node the importer sees."""
    return Rejection(n, part, ErrorCode.NOT_FOUND.value, _MISSING.format(part=part))


def _edge_refusal(r: repo.EdgeRefusal) -> Rejection:
    if r.reason == "missing":
        return missing_end(r.n, r.part)
    messages = {
        "loop": "an edge cannot join a node to itself",
        "moved": "this id already names a relationship between other endpoints or of "
        "another type: a relationship cannot move",
        "cycle": "it would close a loop of edges of its type (a group or a reporting line), "
        "on a day of its span, with the relationships stored or others of this file",
    }
    codes = {"cycle": ErrorCode.CYCLE}
    code = codes.get(r.reason, ErrorCode.VALIDATION)
    return Rejection(r.n, r.part, code.value, messages[r.reason])


async def _write(
    db: Database,
    group: tuple[Any, ...],
    rows: list[dict[str, Any]],
    audit: Audit,
    import_id: str,
    waiting: list[dict[str, Any]] | None = None,
) -> tuple[repo.Written, list[Rejection]]:
    """Write one batch of a group; with `waiting`, node rows whose REFERENCE values name no
    node yet go there, unwritten, to be written once the file's nodes are in."""
    from resolvers import transfer_staff as ts

    if group[0] == "team":
        return await ts.write_teams(db, rows, audit)
    if group[0] == "user":
        return await ts.write_users(db, rows, audit)
    if ts.is_staff_edge(group):
        return await ts.write_edges(db, group, rows, audit, import_id)
    if group[0] == "node":
        from resolvers import transfer_customfields as tcf

        rows, bad = await tcf.check_nodes(db, group[1], group[2], rows, audit.actor, waiting)
        if not rows:
            return repo.Written(), bad
        return await repo.write_nodes(db, group[1], group[2], rows, audit, import_id), bad
    if group[0] == "customField":
        from resolvers import transfer_customfields as tcf

        return await tcf.write_definitions(db, rows, audit)
    if group[0] == "record":
        from resolvers import transfer_records as tr

        return await tr.write_records(db, group[1], group[2], rows, audit)
    if group[0] == "product":
        from resolvers import transfer_catalog as tc

        return await tc.write_products(db, rows, audit)
    written, refused = await repo.write_edges(
        db, group[1], group[2], group[3], rows, audit, import_id
    )
    return written, [_edge_refusal(r) for r in refused]


def _is_staff(group: tuple[Any, ...]) -> bool:
    from resolvers import transfer_staff as ts

    return group[0] in ("team", "user") or ts.is_staff_edge(group)


class Checkpoint:
    """`path` records the last row committed, for this file and mapping (`fingerprint`)."""

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path, self.fingerprint = path, fingerprint
        self.committed, self.import_id = 0, str(uuid.uuid4())
        if path is not None and path.exists():
            state = orjson.loads(path.read_bytes())
            if state.get("fingerprint") == fingerprint:
                self.committed, self.import_id = int(state["committed"]), str(state["importId"])

    def save(self, committed: int) -> None:
        if self.path is None:
            return
        state = {
            "fingerprint": self.fingerprint,
            "committed": committed,
            "importId": self.import_id,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(state))
        os.replace(tmp, self.path)  # atomic: a crash leaves the old state or the new one

    def finish(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class Report:
    """The rejected rows' CSV: started afresh, or appended to when an import resumes."""

    def __init__(self, path: Path, append: bool) -> None:
        # An interrupted run's rejected rows, as it reported them: the import they belong to
        # still rejected them (the exit code and the totals say so).
        self.before = 0
        if append and path.exists():
            with open(path, newline="", encoding="utf-8") as earlier:
                self.before = len(
                    {row[0] for row in itertools.islice(csv.reader(earlier), 1, None) if row}
                )
        self.file = open(path, "a" if append else "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.sheet = csv.writer(self.file)
        if not append:
            self.sheet.writerow(REPORT_COLUMNS)

    def add(self, rejected: list[Rejection]) -> None:
        self.sheet.writerows(
            (r.row if r.name is None else r.name, r.field, r.code, r.message) for r in rejected
        )
        self.file.flush()

    def close(self) -> None:
        self.file.close()


# Pairs of node ids a file links by a current SUBSIDIARY_OF edge (fmt.linked_branches).
Linked = frozenset[frozenset[Any]]


async def _held_as_duplicates(
    db: Database, pending: list[Prepared], actor: Actor, linked: Linked = frozenset()
) -> list[Rejection]:
    """Rows that would create a record likely duplicating an existing one (graph/duplicates.py:
    the scan's keys and scores), each with the record and the reasons. A row whose key is
    already in the database updates its record and creates nothing: it is not held.
    Detection sees every record; the report names only those `actor` may see (hidden means
    missing: the message gives neither the id nor the name of any other). A pair in `linked`
    (a branch and its parent, by the file's own SUBSIDIARY_OF edge) is never held."""
    label, key = pending[0].group[1], pending[0].group[2]
    known = await repo.existing(db, label, key, [p.row for p in pending])
    fresh = [p for p in pending if p.n not in known]
    if not fresh:
        return []
    # The ID number travels as its digest, apart from the props: it identifies a person too.
    rows = [{**p.row["props"], **(p.row["secret"] or {})} for p in fresh]
    hits = await duplicates.likely_duplicates(db, label, [matchable(label, r, actor) for r in rows])
    # Within the file, every value: they are the importer's own.
    twins = {t["row"]: t for t in duplicates.likely_within(label, rows)}
    ids = sorted({h["existingId"] for h in hits})
    shown = await node_repo.by_ids(db, actor, label, ids) if ids else {}
    held: dict[int, Rejection] = {}
    for h in hits:
        p = fresh[h["row"]]
        if p.n in held or frozenset((p.row.get("id"), h["existingId"])) in linked:
            continue  # a weaker hit of a row already held, or its own parent or branch
        what = h["existingId"] if h["existingId"] in shown else "a record you cannot see"
        why = ", ".join(h["reasons"])
        message = f"likely the same as {what} (score {h['score']:.2f}: {why})"
        held[p.n] = Rejection(p.n, "row", ErrorCode.DUPLICATE.value, message)
    for i, t in sorted(twins.items()):
        p = fresh[i]
        if p.n in held or frozenset((p.row.get("id"), fresh[t["earlier"]].row.get("id"))) in linked:
            continue
        earlier = fresh[t["earlier"]].n
        why = ", ".join(t["reasons"])
        message = f"likely the same as row {earlier} of this file (score {t['score']:.2f}: {why})"
        held[p.n] = Rejection(p.n, "row", ErrorCode.DUPLICATE.value, message)
    if held:
        # A key written since the first look (by the API, meanwhile): the row updates that
        # record, which would otherwise be the very one it is held as a duplicate of.
        late = await repo.existing(db, label, key, [p.row for p in fresh if p.n in held])
        for n in late:
            del held[n]
    return sorted(held.values(), key=lambda r: r.row)


async def _same_lines(db: Database, pending: list[Prepared], actor: Actor) -> list[Rejection]:
    """Company rows giving the phone or the fax alone, equal to the company's stored other
    line: refused as updateCompany refuses them (a row giving both is checked on its own).
    One read a batch, only when a row gives one line alone."""
    pair = DISTINCT_LINES[Label.COMPANY]
    alone = [p for p in pending if sum(k in p.row["props"] for k in pair) == 1]
    if not alone:
        return []
    stored = await repo.stored_lines(db, actor, pending[0].group[2], [p.row for p in alone])
    out = []
    for p in alone:
        lines = stored.get(p.n)
        if lines is not None and (key := node_repo.same_line(Label.COMPANY, lines, p.row["props"])):
            out.append(Rejection(p.n, key, ErrorCode.VALIDATION.value, SAME_LINE[key]))
    return out


def _identity(p: Prepared) -> tuple[bytes, str] | None:
    """What the row writes to, as a digest (16 bytes a row: a file of millions is remembered
    whole), and the field a repeat is reported at. Two rows of one file naming one node,
    relationship or record would be merged, the later overwriting the earlier (and on every
    re-run again). None for a row with no key of its own."""
    kind, row = p.group[0], p.row
    if kind == "record" and "id" not in row:  # a mapped record: its kind and external key
        data = row["data"]
        if data.get("externalId") is None:
            return None
        text, where = (
            f"{p.group[1].name}\x1f{data['externalSource']}\x1f{data['externalId']}",
            "externalId",
        )
    elif "id" in row:  # a node's row id is derived from its external key (Key.EXTERNAL)
        label = p.group[1].value if kind in ("node", "edge") else ""
        text = f"{label}\x1f{row['id']}"
        where = "externalId" if kind == "node" and p.group[2] is Key.EXTERNAL else "id"
    else:
        return None
    digest = hashlib.blake2b(f"{kind}\x1f{text}".encode(), digest_size=16).digest()
    return digest, where


def repeated(first: dict[bytes, int], item: Prepared) -> Rejection | None:
    """The rejection of a row naming what an earlier row of the file named, else None.
    `first` holds each key read so far with the row that named it first; the row's own key
    is added to it (both import paths call this for every row, in file order)."""
    key = _identity(item)
    if key is None:
        return None
    earlier = first.setdefault(key[0], item.n)
    if earlier == item.n:
        return None
    message = (
        f"row {earlier} of this file has the same id"
        if item.name is None  # a GraphML id: the earlier one's is the same
        else f"{item.name} is named earlier in this file"
    )
    return Rejection(item.n, key[1], ErrorCode.DUPLICATE.value, message, item.name)


def _take(rows: Iterator[Prepared | list[Rejection]], n: int) -> list[Prepared | list[Rejection]]:
    return list(itertools.islice(rows, n))


async def run_import(
    db: Database | None,
    rows: Iterator[Prepared | list[Rejection]],
    audit: Audit,
    *,
    report: Path,
    checkpoint: Checkpoint,
    batch: int = DEFAULT_BATCH,
    advance: Callable[[int], None] = lambda n: None,
    allow_duplicates: bool = False,
    reader: Database | None = None,
    committed: Callable[[tuple[Any, ...], list[dict[str, Any]]], Awaitable[None]] | None = None,
    linked: Linked = frozenset(),
    stop: Callable[[], bool] | None = None,
) -> Outcome:
    """Validate and write `rows` in batches (db None: a dry run, nothing written; its custom
    field values are checked against the definitions `reader` holds, if given, and the
    file's own: transfer_customfields.DryRun, and its new records against `reader`'s for
    likely duplicates). The report
    gets every rejected row; the checkpoint, after each committed batch, the last row number
    committed, and is removed at the end. A node row likely duplicating an existing record is
    held back and reported (code DUPLICATE) unless `allow_duplicates`, or it and the record
    are a pair in `linked` (fmt.linked_branches). `committed` is awaited with each committed
    batch's group and rows. `stop` (a cancel) is asked before each batch read: when it says
    so, the rows read ahead are dropped and the batch in hand is written as the last."""
    out = Outcome()
    done = 0 if db is None else checkpoint.committed
    sheet = Report(report, append=done > 0)
    out.rejected_before = sheet.before
    pending: list[Prepared] = []
    rejected: list[Rejection] = []
    names: dict[int, str] = {}  # the pending rows' names in the report (GraphML ids)
    # Node rows naming, in a REFERENCE value, a node not in the database yet: the file may
    # bring it later. They are written (or rejected) once the file's nodes are in: before
    # its first other line, or at its end; the checkpoint stays before the first of them.
    deferred: list[Prepared] = []
    # Each key the file has named so far, with the row that named it first: a later row
    # naming it again is rejected, whatever the batches. Rows an interrupted run committed
    # are read again (and skipped), so a resumed run knows their keys too.
    first: dict[bytes, int] = {}
    last = done
    from resolvers import transfer_customfields as tcf

    dry = tcf.DryRun(reader, audit.actor) if db is None else None

    # A dry run with a database to read holds back the same likely duplicates.
    compared = db if db is not None else reader

    async def flush(final: bool = False) -> None:
        nonlocal pending, rejected, names
        if pending and compared is not None and pending[0].group[:2] == ("node", Label.COMPANY):
            lined = await _same_lines(compared, pending, audit.actor)
            rejected.extend(lined)
            pending = [p for p in pending if p.n not in {r.row for r in lined}]
        if (
            pending
            and compared is not None
            and not final
            and pending[0].group[0] == "node"
            and pending[0].group[1] in duplicates.LABELS  # projects have no duplicate scan
            and not allow_duplicates
        ):
            held = await _held_as_duplicates(compared, pending, audit.actor, linked)
            rejected.extend(held)
            out.duplicates += len(held)
            pending = [p for p in pending if p.n not in {r.row for r in held}]
        if pending and dry is not None:
            rejected.extend(await dry.check(pending))
        if pending and db is not None:
            waiting: list[dict[str, Any]] = []
            written, refused = await _write(
                db,
                pending[0].group,
                [p.row for p in pending],
                audit,
                checkpoint.import_id,
                None if final else waiting,
            )
            out.created += written.created
            out.updated += written.updated
            out.batches += 1
            if _is_staff(pending[0].group):
                out.staff += written.created + written.updated
            rejected.extend(refused)
            later = {id(row) for row in waiting}
            deferred.extend(p for p in pending if id(p.row) in later)
            if committed is not None:
                await committed(
                    pending[0].group, [p.row for p in pending if id(p.row) not in later]
                )
        for r in rejected:
            r.name = names.get(r.row) if r.name is None else r.name
        rejected.sort(key=lambda r: r.row)
        sheet.add(rejected)
        out.rejected += len({r.row for r in rejected})
        if db is not None:
            checkpoint.save(min(p.n for p in deferred) - 1 if deferred else last)
        pending, rejected, names = [], [], {}

    async def settle() -> None:
        """The deferred rows, checked again now that the file's nodes are in."""
        nonlocal pending, names
        waited = list(deferred)  # in file order
        for _, run in itertools.groupby(waited, key=lambda p: p.group):
            part = list(run)
            for i in range(0, len(part), batch):
                pending = part[i : i + batch]
                names = {p.n: p.name for p in pending if p.name is not None}
                taken = {id(p) for p in pending}  # the checkpoint stays before the rest
                deferred[:] = [p for p in deferred if id(p) not in taken]
                await flush(final=True)

    # Rows are read and validated in a thread, a batch ahead, while the database writes the
    # batch before: the two cores work at once, and the event loop (a server's, for the HTTP
    # jobs) is never held by validation.
    ahead = asyncio.ensure_future(asyncio.to_thread(_take, rows, batch))
    try:
        while chunk := await ahead:
            if stop is not None and stop():
                break
            ahead = asyncio.ensure_future(asyncio.to_thread(_take, rows, batch))
            for item in chunk:
                n = item.n if isinstance(item, Prepared) else item[0].row
                advance(1)
                repeat = repeated(first, item) if isinstance(item, Prepared) else None
                if n <= done:
                    out.skipped += 1
                    continue
                if repeat is not None:
                    rejected.append(repeat)
                elif isinstance(item, Prepared):
                    if pending and (pending[0].group != item.group or len(pending) >= batch):
                        await flush()
                    if deferred and item.group[0] != "node":
                        await settle()
                    if dry is not None and dry.waiting and item.group[0] != "node":
                        rejected.extend(await dry.settle())
                    pending.append(item)
                    if item.name is not None:
                        names[item.n] = item.name
                else:
                    rejected.extend(item)
                out.rows += 1
                last = n
        await flush()
        if deferred:
            await settle()
        if dry is not None and dry.waiting:
            rejected.extend(await dry.settle())
            await flush()
    finally:
        # The reader thread may still be advancing `rows`: let it finish before leaving.
        if not ahead.done():
            with contextlib.suppress(BaseException):
                await asyncio.shield(ahead)
        elif not ahead.cancelled():
            ahead.exception()  # retrieved: a reader failure after ours is not logged twice
        sheet.close()
    if db is not None:
        checkpoint.finish()
    return out


# --- the export -------------------------------------------------------------------------------
EXPORT_CHUNK = 500  # node lines whose REFERENCE values are checked in one look-up


def _node_line(
    label: Label,
    spec: dict[str, Kind],
    marked: dict[str, Any],
    guards: Guards,
    actor: Actor,
    node: dict[str, Any],
) -> fmt.Record:
    shown = guards.row(label.value, node, actor.roles)
    profile = node.get("customer") if node.get("isCustomer") else None
    return {
        "kind": "node",
        "label": label.value,
        "id": node["id"],
        **marked,
        "customer": _fields(profile, PROFILE_FIELDS) if profile else None,
        "fields": _fields(shown, spec),
    }


def _fields(row: dict[str, Any], keys: Iterator[str] | dict[str, Kind]) -> dict[str, Any]:
    return {k: jsonable(row[k]) for k in keys if row.get(k) is not None}


async def export_records(db: Database, actor: Actor, guards: Guards) -> AsyncIterator[fmt.Record]:
    """Every team and user (resolvers/transfer_staff.py), then the custom field definitions
    (every viewer reads them all), then every Company, Person and Project the actor sees with
    its custom values, then every relationship between them (and from our staff to them)
    whose both ends it sees, then the product catalogue (every viewer reads it whole), then
    every record (not voided) about a customer it sees, kind by kind, with each field as the
    API would show it to the actor's roles."""
    from resolvers import transfer_catalog as tc
    from resolvers import transfer_customfields as tcf
    from resolvers import transfer_records as tr
    from resolvers import transfer_staff as ts

    # Our staff first: the staff edges and the records name users.
    async for staff in ts.export_staff(db, actor, guards):
        yield staff
    # Before the nodes: their values are checked against these when imported.
    defs = await tcf.definitions(db, actor)
    for d in defs:
        yield tcf.export_row(d)
    for label in repo.EXPORT_LABELS:
        spec = {**NODE_FIELDS[label], **EXTERNAL_FIELDS, **ARCHIVED, **tcf.EXPORTED}
        # Pseudonyms are marked, so that the import refuses them (graph_rows).
        marked = {fmt.ANONYMISED: True} if guards.pseudonymised(label.value, actor.roles) else {}
        line = partial(_node_line, label, spec, marked, guards, actor)
        # In chunks: a REFERENCE naming a node the key cannot see is left out, as the API's
        # `custom` leaves it out, with one look-up per chunk.
        chunk: list[dict[str, Any]] = []
        async for node in pages.every(partial(repo.export_nodes, db, actor, label)):
            chunk.append(tcf.with_values(node, defs, actor.roles))
            if len(chunk) == EXPORT_CHUNK:
                for shown_node in await tcf.without_hidden_references(db, actor, defs, chunk):
                    yield line(shown_node)
                chunk = []
        for shown_node in await tcf.without_hidden_references(db, actor, defs, chunk):
            yield line(shown_node)
    for rel in repo.EXPORT_RELS:
        async for edge in pages.every(partial(repo.export_edges, db, actor, rel)):
            shown = guards.row("Relationship", edge, actor.roles)
            yield {
                "kind": "edge",
                "type": rel.value,
                "id": edge["id"],
                "from": edge["fromId"],
                "fromLabel": edge["fromLabel"],
                "to": edge["toId"],
                "toLabel": edge["toLabel"],
                "fields": _fields(shown, EDGE_FIELDS),
            }
    # Before the records: an order's lines name products.
    async for product in pages.every(partial(repo.export_products, db, actor)):
        yield tc.export_row(product)
    # Kind by kind, in RecordKind's order: an order before the payments against it.
    by_kind: dict[RecordKind, list[fmt.Record]] = {kind: [] for kind in RecordKind}
    async for row in pages.every(partial(repo.export_records, db, actor)):
        kind = RecordKind(row["kind"])
        by_kind[kind].append(tr.export_row(kind, row, guards, actor.roles))
    for rows in by_kind.values():
        for rec in rows:
            yield rec
