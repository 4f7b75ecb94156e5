"""`crm-graph import` of records (issue 15): interactions, orders, payments, deliveries, service
cases, surveys, contracts, visit plans and marketing activities from a mapped CSV or JSONL file.

A record mapping (`record = "INTERACTION"`) maps saveRecord's input fields, its kind's section
flattened, to columns. Each row becomes the input dict the mutation gets and goes through
resolvers/records.py's own `parse_as`; it is written by graph/records.py's `save`, one record
per transaction, with the same checks and audit event as saveRecord. The row's id in `source`
is the record's (externalSource, externalId): saving it again with the same content changes
nothing, so a re-run creates nothing. The customer is a CRM id, or with `customer_source` the
externalId of a company or person imported from that system.

`crm-graph export` writes records too (`export_row`): each with its CRM id, its customer's,
and its fields as a mapping names them, so the export's own file imports again without a
mapping (`exported_row`) and each record keeps its id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

import orjson

from graph import clock, pages
from graph import records as repo
from graph import transfer as transfer_repo
from graph import transfer_formats as fmt
from graph.access import Scope
from graph.actor import Actor
from graph.db import Database
from graph.export import jsonable
from graph.nodes import Audit
from graph.vocab import (
    CaseStatus,
    Channel,
    ContractStatus,
    Direction,
    FollowUpStatus,
    PlanStatus,
    RecordKind,
    ServiceCategory,
    Severity,
)
from resolvers import records
from resolvers import validation as v
from resolvers.errors import ErrorCode
from resolvers.masking import Guards, Roles
from resolvers.permissions import may_read, rule
from resolvers.shapes import parse_instant
from resolvers.transfer import Kind, Prepared, Rejection, _convert, _errors_of

# Each kind's fields as a mapping names them: the section's fields of saveRecord, a next
# step's as `nextStep.<field>`. A field's kind: a converter's name or an enum.
COMMON_FIELDS: dict[str, Kind] = {
    "customer": "text",
    "occurredAt": "datetime",
    "subject": "text",
    "notes": "text",
    "contacts": "list",
    "staff": "list",
    "project": "text",
}
KIND_FIELDS: dict[RecordKind, dict[str, Kind]] = {
    RecordKind.INTERACTION: {
        "channel": Channel,
        "direction": Direction,
        "durationMinutes": "int",
        "agreement": "text",
        "nextStep.action": "text",
        "nextStep.dueAt": "datetime",
        "nextStep.assignee": "text",
        # Import only (saveRecord opens a next step; closeFollowUp closes it): a closed next
        # step stays closed through export and import.
        "nextStep.status": FollowUpStatus,
        "nextStep.outcome": "text",
        "nextStep.closedAt": "datetime",
    },
    RecordKind.ORDER: {
        "currency": "text",
        "lines": "lines",
        "orderNo": "text",
        "paymentDueOn": "date",
    },
    RecordKind.PAYMENT: {
        "order": "text",
        "amount": "decimal",
        "currency": "text",
        "method": "text",
    },
    RecordKind.DELIVERY: {"order": "text", "trackingNo": "text", "complete": "bool"},
    RecordKind.SERVICE_CASE: {
        "category": ServiceCategory,
        "severity": Severity,
        "status": CaseStatus,
        "resolution": "text",
        "resolvedAt": "datetime",
    },
    RecordKind.SURVEY: {"score": "int", "answers": "json"},
    RecordKind.CONTRACT: {
        "title": "text",
        "contractNo": "text",
        "startsOn": "date",
        "endsOn": "date",
        "amount": "decimal",
        "currency": "text",
        "status": ContractStatus,
    },
    RecordKind.VISIT_PLAN: {"purpose": "text", "status": PlanStatus},
    RecordKind.MARKETING: {"campaign": "text", "channel": "text", "response": "text"},
}
# What saveRecord's input requires (the GraphQL schema refuses an input without them).
REQUIRED: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.INTERACTION: ("channel",),
    RecordKind.ORDER: ("currency", "lines"),
    RecordKind.PAYMENT: ("order", "amount", "currency"),
    RecordKind.DELIVERY: ("order",),
    RecordKind.SERVICE_CASE: ("category",),
    RecordKind.SURVEY: ("score",),
    RecordKind.CONTRACT: ("title",),
    RecordKind.VISIT_PLAN: ("purpose",),
    RecordKind.MARKETING: ("campaign",),
}
COMMON_REQUIRED = ("customer", "occurredAt")
SECTION_OF = {kind: key for key, kind in records.SECTIONS.items()}
IMPORT_ACTOR = "system:import"  # validation only: the write uses the import's actor
LINE_FORM = "product:quantity:unitPrice items separated by ;"


def record_kind(name: Any) -> RecordKind | None:
    """The kind a mapping's `record =` names (INTERACTION or Interaction), or None."""
    return next((k for k in RecordKind if name in (k.name, k.value)), None)


def fields_of(kind: RecordKind) -> dict[str, Kind]:
    return {**COMMON_FIELDS, **KIND_FIELDS[kind]}


def missing_fields(kind: RecordKind, mapped: dict[str, str]) -> list[str]:
    """The required fields a mapping does not map."""
    return [f for f in (*COMMON_REQUIRED, *REQUIRED[kind]) if f not in mapped]


def _moment(errors: v.Errors, value: Any, path: str, zone: dt.tzinfo | None) -> Any:
    if isinstance(value, str):
        try:
            moment = parse_instant(value.strip())
        except ValueError:
            errors.add(
                ErrorCode.VALIDATION, "must be a date and time, e.g. 2026-03-01T10:00+08:00", path
            )
            return None
        if moment.tzinfo is None and zone is not None:
            moment = clock.fixed(moment.replace(tzinfo=zone))
        return moment  # without an offset: parse refuses it, as the API does
    errors.add(ErrorCode.VALIDATION, "must be a date and time, e.g. 2026-03-01T10:00+08:00", path)
    return None


def _decimal(errors: v.Errors, value: Any, path: str) -> Decimal | None:
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(ErrorCode.VALIDATION, "must be a number", path)
        return None


def _lines(errors: v.Errors, value: Any, path: str) -> list[dict[str, Any]] | None:
    """Order lines: a JSON list of {product, quantity, unitPrice[, currency]} (JSONL, or JSON
    text in a column), or text `product:quantity:unitPrice;...`."""
    items: Any = value
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            items = orjson.loads(value)
        except orjson.JSONDecodeError:
            errors.add(ErrorCode.VALIDATION, "is not a JSON list", path)
            return None
    if isinstance(items, str):
        items = []
        for part in (p.strip() for p in value.split(";")):
            pieces = [x.strip() for x in part.split(":")]
            if len(pieces) != 3 or not all(pieces):
                errors.add(ErrorCode.VALIDATION, f"must be {LINE_FORM}", path)
                return None
            items.append(dict(zip(("product", "quantity", "unitPrice"), pieces, strict=True)))
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        errors.add(ErrorCode.VALIDATION, f"must be a list of lines ({LINE_FORM})", path)
        return None
    out = []
    for i, item in enumerate(items):
        lp = f"{path}[{i}]"
        line: dict[str, Any] = {}
        for key in ("product", "quantity", "unitPrice"):
            if item.get(key) in (None, ""):
                errors.add(ErrorCode.VALIDATION, "is required", f"{lp}.{key}")
            elif key == "product":
                line[key] = str(item[key])
            else:
                line[key] = _decimal(errors, item[key], f"{lp}.{key}")
        if item.get("currency") not in (None, ""):
            line["currency"] = str(item["currency"])
        out.append(line)
    return out


def _value(errors: v.Errors, kind: Kind, value: Any, path: str, zone: dt.tzinfo | None) -> Any:
    """A cell as saveRecord's input holds it (None when blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "datetime":
        return _moment(errors, value, path, zone)
    if kind == "decimal":
        return _decimal(errors, value, path)
    if kind == "lines":
        return _lines(errors, value, path)
    if kind == "json":
        if not isinstance(value, str):
            return value
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            errors.add(ErrorCode.VALIDATION, "is not JSON", path)
            return None
    return _convert(errors, kind, value, path)


def input_of(
    kind: RecordKind,
    values: dict[str, Any],
    source: str,
    external_id: Any,
    zone: dt.tzinfo | None,
    errors: v.Errors,
    keyed: bool = True,
) -> dict[str, Any]:
    """saveRecord's input for one row (`values`: field -> cell), with the conversion errors
    and missing required fields in `errors` (paths as the API's, `input.` first). `keyed`:
    the row must have its id in `source` (an exported record may have none)."""
    section = SECTION_OF[kind]
    spec = fields_of(kind)
    data: dict[str, Any] = {"externalSource": source or None, "externalId": None, "staff": []}
    body: dict[str, Any] = {}
    for name, cell in values.items():
        common = name in COMMON_FIELDS
        path = f"input.{name}" if common else f"input.{section}.{name}"
        value = _value(errors, spec[name], cell, path, zone)
        if value is None:
            continue
        if common:
            data[name] = value
        elif name.startswith("nextStep."):
            body.setdefault("nextStep", {})[name.removeprefix("nextStep.")] = value
        else:
            body[name] = value
    data["externalId"] = None if external_id in (None, "") else str(external_id).strip()
    if data["externalId"] is None and keyed:
        errors.add(ErrorCode.VALIDATION, "is required (the row's id in its source)", "input.id")
    fields = {e["field"] for e in errors}
    for name in COMMON_REQUIRED:
        if name not in data and f"input.{name}" not in fields:
            errors.add(ErrorCode.VALIDATION, "is required", f"input.{name}")
    for name in REQUIRED[kind]:
        path = f"input.{section}.{name}"
        if name not in body and path not in fields:
            errors.add(ErrorCode.VALIDATION, "is required", path)
    step = f"input.{section}.nextStep.dueAt"
    if "nextStep" in body and "dueAt" not in body["nextStep"] and step not in fields:
        errors.add(ErrorCode.VALIDATION, "a next step needs its due time", step)
    _check_closing(errors, body.get("nextStep") or {}, f"input.{section}.nextStep", fields)
    answers = body.get("answers")
    if answers is not None and not (
        isinstance(answers, list) and all(isinstance(a, dict) for a in answers)
    ):
        errors.add(
            ErrorCode.VALIDATION,
            'must be a JSON list of {"question": ..., "answer": ...}',
            f"input.{section}.answers",
        )
    data[section] = body
    return data


_CLOSING = ("status", "outcome", "closedAt")


def _check_closing(errors: v.Errors, step: dict[str, Any], path: str, fields: set[str]) -> None:
    """A next step's closing fields go together: DONE or CANCELLED with its closing time (and
    an outcome, as closeFollowUp takes it); an open one has neither."""
    status = step.get("status")
    if status in (None, FollowUpStatus.OPEN):
        for name in ("outcome", "closedAt"):
            if step.get(name) is not None:
                errors.add(ErrorCode.VALIDATION, "only a DONE or CANCELLED next step has it",
                           f"{path}.{name}")  # fmt: skip
    elif step.get("closedAt") is None and f"{path}.closedAt" not in fields:
        errors.add(ErrorCode.VALIDATION, "a closed next step needs its closing time",
                   f"{path}.closedAt")  # fmt: skip
    elif isinstance(step.get("closedAt"), dt.datetime) and step["closedAt"].tzinfo is None:
        errors.add(ErrorCode.VALIDATION, "needs a time-zone offset, e.g. +08:00",
                   f"{path}.closedAt")  # fmt: skip
    v.text(errors, step.get("outcome"), f"{path}.outcome", max_len=500)


def _closing(save: repo.Save, data: dict[str, Any], actor_id: str) -> repo.Save:
    """`save` with its next step closed as the row says, by `actor_id` (the import's). The
    content digest leaves the closing out: saving the same record again neither reopens nor
    closes its next step."""
    step = (data.get(SECTION_OF[save.kind]) or {}).get("nextStep")
    closing = {
        k: x.value if isinstance(x, FollowUpStatus) else x
        for k in _CLOSING
        if step and (x := step.get(k)) is not None
    }
    if not closing or not save.follow_ups:
        return save
    if closing.get("status") != FollowUpStatus.OPEN.value:
        closing["closedBy"] = actor_id
    steps = [{**f, "props": {**f["props"], **closing}} for f in save.follow_ups]
    return dataclasses.replace(save, follow_ups=steps)


def record_row(
    n: int,
    kind: RecordKind,
    values: dict[str, Any],
    source: str,
    external_id: Any,
    customer_source: str,
    zone: dt.tzinfo | None,
) -> Prepared | list[Rejection]:
    """One row checked as saveRecord checks its input. The customer, when named by its
    externalId, is looked up when the batch is written (a dry run does not look)."""
    errors = v.Errors()
    data = input_of(kind, values, source, external_id, zone, errors)
    if errors:
        return _errors_of(n, errors)
    _, problems = records.parse_as(IMPORT_ACTOR, data)
    if problems:
        return _errors_of(n, problems)
    return Prepared(n, ("record", kind, customer_source), {"n": n, "data": data})


async def write_records(
    db: Database, kind: RecordKind, customer_source: str, rows: list[dict[str, Any]], audit: Audit
) -> tuple[transfer_repo.Written, list[Rejection]]:
    """Save each row as saveRecord does (graph/records.py `save`: one transaction and one
    audit event per record written; identical content again writes nothing)."""
    found: dict[str, list[str]] = {}
    if customer_source:
        keys = sorted({str(r["data"]["customer"]) for r in rows})
        found = await repo.customers_by_external(db, audit.actor, customer_source, keys)
    created, updated, refused = 0, 0, []
    who = Audit(audit.actor, f"record.save.{kind.name.lower()}", audit.request_id)
    for row in rows:
        n, data = row["n"], dict(row["data"])
        if customer_source:
            ids = found.get(str(data["customer"]), [])
            if len(ids) != 1:
                message = (
                    f"no company or person with this externalId in {customer_source}"
                    if not ids
                    else f"both a company and a person have this externalId in {customer_source}"
                )
                code = ErrorCode.NOT_FOUND if not ids else ErrorCode.VALIDATION
                refused.append(Rejection(n, "customer", code.value, message))
                continue
            data["customer"] = ids[0]
        save, errors = records.parse_as(audit.actor.id, data)
        if save is None:  # checked when read: only a changed rule gets here
            refused.extend(_errors_of(n, errors))
            continue
        save = _closing(save, data, audit.actor.id)
        if row.get("id") is not None:  # an exported record keeps its id
            save = dataclasses.replace(save, create_id=row["id"])
        result = await repo.save(db, save, who)
        if result.refusal is not None:
            refused.extend(_errors_of(n, v.Errors(records.refused(result, save))))
        elif result.created:
            created += 1
        elif result.changed:
            updated += 1
    return transfer_repo.Written(created, updated), refused


async def settle_digests(db: Database) -> int:
    """Give every record the content digest an import of its exported line computes (what
    saveRecord stores): records a bulk load wrote (the demo's) carried another, so importing
    an unchanged export re-saved each of them once, with an audit event and no change
    (tester AN). Returns how many were set."""
    actor = Actor(SETTLE_ACTOR, frozenset({"ADMIN"}), Scope.everything())
    guards = Guards()
    rows: list[dict[str, str]] = []
    async for row in pages.every(partial(transfer_repo.export_records, db, actor)):
        line = export_row(RecordKind(row["kind"]), row, guards, actor.roles)
        prepared = exported_row(0, line)
        if not isinstance(prepared, Prepared):
            continue
        save, _ = records.parse_as(IMPORT_ACTOR, prepared.row["data"])
        if save is not None:
            rows.append({"id": row["id"], "digest": save.digest})
    return await repo.set_digests(db, rows, Audit(actor, "records.settle_digests", "-"))


SETTLE_ACTOR = "system:settle-digests"


# --- the export's own records -------------------------------------------------------------------

# What an exported record's fields are read from, besides its stored property of the same name.
_MONEY = ("amount",)
_LINKED = ("customer", "contacts", "staff", "project", "order", "lines")


def _money(cents: Any) -> str | None:
    return None if cents is None else str(Decimal(int(cents)).scaleb(-2))


def export_row(
    kind: RecordKind, row: dict[str, Any], guards: Guards, roles: Roles
) -> dict[str, Any]:
    """A stored record (graph/transfer.py export_records) as the export writes it: its fields
    named as a mapping names them, with what the roles may not see masked as the API masks
    it."""
    shown = guards.row(kind.value, row, roles)
    fields: dict[str, Any] = {
        "occurredAt": row.get("occurredAt"),
        # Sets, stored as edges: in id order, so that an export is the same file every time
        # (the edges' storage order changes when a file is imported again).
        "contacts": sorted(c["id"] for c in row.get("contacts") or []),
        "staff": sorted(u["id"] for u in row.get("staff") or []),
        "project": (row.get("project") or {}).get("id"),
        "externalSource": row.get("externalSource"),
        "externalId": row.get("externalId"),
    }
    for name in (*COMMON_FIELDS, *KIND_FIELDS[kind]):
        if name in _LINKED or name in fields or name.startswith("nextStep."):
            continue
        if name in _MONEY:
            fields[name] = _money(row.get(name + "Cents"))
        elif name == "answers" and isinstance(row.get(name), str):
            fields[name] = json.loads(shown[name]) if shown.get(name) == row[name] else shown[name]
        else:
            fields[name] = shown.get(name, row.get(name))
    if kind is RecordKind.ORDER:
        lines = sorted(row.get("lines") or [], key=lambda x: x.get("position") or 0)
        fields["lines"] = [
            {
                "product": line["product"]["id"],
                "quantity": str(Decimal(str(line["quantity"]))),
                "unitPrice": _money(line["unitPriceCents"]),
            }
            for line in lines
        ]
    if (row.get("order") or {}).get("id") is not None:
        fields["order"] = row["order"]["id"]
    step = next(iter(row.get("followUps") or []), None)
    if step is not None:
        step_shown = guards.row("FollowUp", step, roles)
        fields["nextStep.action"] = step_shown.get("action", step.get("action"))
        fields["nextStep.dueAt"] = step.get("dueAt")
        fields["nextStep.assignee"] = row.get("nextAssignee")
        if step.get("status") != FollowUpStatus.OPEN.value:
            fields["nextStep.status"] = step.get("status")
            fields["nextStep.outcome"] = step_shown.get("outcome", step.get("outcome"))
            fields["nextStep.closedAt"] = step.get("closedAt")
    # Marked, as an anonymised export's people and users are: imported, the line would clear
    # what it withholds (an interaction's subject, a follow-up's action).
    marked = {fmt.ANONYMISED: True} if withholds(kind, row, step, roles) else {}
    return {
        "kind": "record",
        "type": kind.name,
        "id": row["id"],
        **marked,
        "customer": row["customer"]["id"],
        "fields": {k: jsonable(x) for k, x in fields.items() if x not in (None, [])},
    }


def withholds(
    kind: RecordKind, row: dict[str, Any], step: dict[str, Any] | None, roles: Roles
) -> bool:
    """Whether the line leaves out a value of the record (or of its next step) that `roles`
    may not read."""
    own = (n for n in (*COMMON_FIELDS, *KIND_FIELDS[kind]) if not n.startswith("nextStep."))
    if any(row.get(n) is not None and not may_read(roles, rule(kind.value, n)) for n in own):
        return True
    return step is not None and any(
        step.get(f) is not None and not may_read(roles, rule("FollowUp", f)) for f in STEP_TEXT
    )


STEP_TEXT = ("action", "outcome")
ANONYMISED_RECORD = (
    "this record comes from an export that withholds some of its fields from the exporting "
    "key's roles (an interaction's subject, a follow-up's action ...): imported, it would "
    "clear them; export records with a key that reads them"
)


def exported_row(n: int, rec: dict[str, Any]) -> Prepared | list[Rejection]:
    """A record line of the export, checked as saveRecord checks its input; written with its
    own id, its customer named by CRM id."""
    kind = record_kind(rec.get("type"))
    if kind is None:
        kinds = ", ".join(k.name for k in KIND_FIELDS)
        return [Rejection(n, "type", ErrorCode.VALIDATION.value, f"must be one of {kinds}")]
    if fmt.said_yes(rec.get(fmt.ANONYMISED)):
        return [Rejection(n, "row", ErrorCode.VALIDATION.value, ANONYMISED_RECORD)]
    cells = dict(rec.get("fields") or {})
    source, external = cells.pop("externalSource", None), cells.pop("externalId", None)
    spec = fields_of(kind)
    unknown = sorted(set(cells) - set(spec))
    if unknown:
        message = f"unknown field(s) {', '.join(unknown)} of {kind.name}"
        return [Rejection(n, unknown[0], ErrorCode.VALIDATION.value, message)]
    cells["customer"] = rec.get("customer")
    errors = v.Errors()
    data = input_of(kind, cells, source or "", external, None, errors, keyed=False)
    record_id = v.text(errors, None if rec.get("id") is None else str(rec["id"]), "input.id",
                       True, 200)  # fmt: skip
    if errors:
        return _errors_of(n, errors)
    _, problems = records.parse_as(IMPORT_ACTOR, data)
    if problems:
        return _errors_of(n, problems)
    return Prepared(n, ("record", kind, ""), {"n": n, "data": data, "id": record_id})
