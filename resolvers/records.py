"""Records over time (graph/records.py): validation into storage terms, typed errors with input
paths, the timeline and follow-up pages, the computed customer figures and the products.

Every check runs before anything is written and reports every problem at once; the graph then
refuses what only the database can judge (ids that do not exist, rights, versions), with
nothing written either.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, Overflow
from typing import Any, TypedDict

import pycountry

from graph import clock
from graph import records as repo
from graph.errors import ConstraintViolation
from graph.refusal import Part, Refusal
from graph.vocab import RecordKind
from resolvers import validation as v
from resolvers.args import page_size, zoned
from resolvers.common import audit, read_only
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import load_one, loader
from resolvers.node import node, nodes_by_ids
from resolvers.pages import decode_cursor, time_ordered, time_position
from resolvers.shapes import ConnectionOf, UserErrorRow

FollowUpRow = repo.FollowUpRow
ProductRow = repo.ProductRow
RecordRow = repo.RecordRow
TimelineQuery = repo.TimelineQuery

# The input section of each kind (exactly one per saveRecord).
SECTIONS: dict[str, RecordKind] = {
    "interaction": RecordKind.INTERACTION,
    "order": RecordKind.ORDER,
    "payment": RecordKind.PAYMENT,
    "delivery": RecordKind.DELIVERY,
    "serviceCase": RecordKind.SERVICE_CASE,
    "survey": RecordKind.SURVEY,
    "contract": RecordKind.CONTRACT,
    "visitPlan": RecordKind.VISIT_PLAN,
    "marketing": RecordKind.MARKETING,
}
MAX_CENTS = 10**15  # a trillion in any currency: beyond it is a typing error
MAX_QUANTITY = Decimal(10**9)
SURVEY_ANSWERS = 50


class RecordPayload(TypedDict):
    record: RecordRow | None
    created: bool
    changed: bool
    errors: list[UserErrorRow]


class FollowUpPayload(TypedDict):
    followUp: FollowUpRow | None
    errors: list[UserErrorRow]


class ProductPayload(TypedDict):
    product: ProductRow | None
    errors: list[UserErrorRow]


# --- Values -----------------------------------------------------------------------------------
EARLIEST = dt.date(1900, 1, 1)  # a business day (graph/clock.py), whatever offset is sent
AHEAD = dt.timedelta(days=20 * 366)


def _moment(errors: v.Errors, value: dt.datetime | None, path: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        # Stored without an offset it would never compare with datetime().
        errors.add(ErrorCode.VALIDATION, "needs a time-zone offset, e.g. +08:00", path)
        return None
    # A typo (0001, 9999) would sit at an end of every timeline for good.
    # The upper bound first: day_of() of an instant late in year 9999 would overflow.
    if value is not None and not (
        value <= dt.datetime.now(dt.UTC) + AHEAD and clock.day_of(value) >= EARLIEST
    ):
        errors.add(ErrorCode.VALIDATION, "must lie between 1900 and 20 years from now", path)
        return None
    return value


# ISO 4217 lists these, but they are no money: "no currency" and "for testing". Amounts in them
# never convert to anything.
NOT_MONEY = frozenset({"XXX", "XTS"})


def currency(errors: v.Errors, value: str | None, path: str) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        errors.add(ErrorCode.VALIDATION, "not an ISO 4217 currency code, e.g. CNY", path)
        return None
    if code in NOT_MONEY:
        errors.add(ErrorCode.VALIDATION, f"{code} is ISO 4217's code for no real currency", path)
        return None
    return code


def cents(errors: v.Errors, value: Decimal | None, path: str, positive: bool = True) -> int | None:
    """An amount of money as integer cents: at most two decimals, positive (or zero)."""
    if value is None:
        return None
    if not value.is_finite():
        errors.add(ErrorCode.VALIDATION, "must be a number, not NaN or Infinity", path)
        return None
    try:
        scaled = value * 100
        # Below a cent and not zero: no whole number of cents, though 1e-999999999 × 100
        # underflows to a zero that would pass.
        whole = scaled == scaled.to_integral_value() and not (value and value.adjusted() < -2)
    except Overflow:  # 1e999999999 × 100 overflows the context
        errors.add(ErrorCode.VALIDATION, "must be below 10^13", path)
        return None
    except InvalidOperation:
        whole = False
    if not whole:
        errors.add(ErrorCode.VALIDATION, "at most two decimal places", path)
        return None
    amount = int(scaled)
    if amount < 0 or (positive and amount == 0) or amount > MAX_CENTS:
        # Zero is allowed where `positive` is not asked (a plan may be zero; tester BM).
        floor = "positive" if positive else "zero or more"
        errors.add(ErrorCode.VALIDATION, f"must be {floor} and below 10^13", path)
        return None
    return amount


def quantity(errors: v.Errors, value: Decimal, path: str) -> Decimal | None:
    if not value.is_finite() or value <= 0 or value > MAX_QUANTITY:
        errors.add(ErrorCode.VALIDATION, "must be positive (up to 10^9)", path)
        return None
    if value != value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP):
        errors.add(ErrorCode.VALIDATION, "at most three decimal places", path)
        return None
    return value


def _ids(errors: v.Errors, values: list[Any] | None, path: str, cap: int) -> list[str]:
    ids = [str(x) for x in values or []]
    if len(ids) > cap:
        errors.add(ErrorCode.VALIDATION, f"at most {cap}", path)
        return []
    return list(dict.fromkeys(ids))  # a repeated id counts once


def _enum(value: Any) -> str | None:
    return None if value is None else str(value.value)


# --- Each kind's section ----------------------------------------------------------------------
Section = dict[str, Any]


def _interaction(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    props: Section = {
        "channel": _enum(d["channel"]),
        "direction": _enum(d.get("direction")) or "OUTBOUND",
        "agreement": v.text(errors, d.get("agreement"), f"{s['path']}.agreement", max_len=2000),
    }
    minutes = d.get("durationMinutes")
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        errors.add(ErrorCode.VALIDATION, "0..1440 minutes", f"{s['path']}.durationMinutes")
    props["durationMinutes"] = minutes
    step = d.get("nextStep")
    if step is not None:
        path = f"{s['path']}.nextStep"
        action = v.text(errors, step.get("action"), f"{path}.action", required=True, max_len=500)
        due = _moment(errors, step.get("dueAt"), f"{path}.dueAt")
        if due is not None and at is not None and due < at:
            errors.add(ErrorCode.VALIDATION, "is due before the interaction", f"{path}.dueAt")
        assignee = step.get("assignee")
        s["followUps"] = [
            {
                "props": {"action": action, "dueAt": due},
                "assignee": str(assignee) if assignee else None,
            }
        ]
    return props


def _order(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    code = currency(errors, d.get("currency"), f"{path}.currency")
    lines = d.get("lines") or []
    if not lines or len(lines) > repo.MAX_LINES:
        errors.add(ErrorCode.VALIDATION, f"1..{repo.MAX_LINES} lines", f"{path}.lines")
    total, units, stored = 0, Decimal(0), []
    for i, line in enumerate(lines[: repo.MAX_LINES]):
        lp = f"{path}.lines[{i}]"
        if line.get("currency") is not None and code is not None:
            other = currency(errors, line["currency"], f"{lp}.currency")
            if other is not None and other != code:
                errors.add(
                    ErrorCode.VALIDATION, f"differs from the order's {code}", f"{lp}.currency"
                )
        qty = quantity(errors, line["quantity"], f"{lp}.quantity")
        price = cents(errors, line["unitPrice"], f"{lp}.unitPrice", positive=False)
        if qty is None or price is None:
            continue
        amount = int((qty * price).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if amount > MAX_CENTS:  # else it could never be paid, nor stored as a 64-bit integer
            errors.add(ErrorCode.VALIDATION, "quantity × unit price must be below 10^13", lp)
            continue
        total += amount
        units += qty
        stored.append(
            {
                "product": str(line["product"]),
                "props": {
                    "position": i + 1,
                    "quantity": float(qty),
                    "unitPriceCents": price,
                    "amountCents": amount,
                },
            }
        )
    if total > MAX_CENTS:
        errors.add(ErrorCode.VALIDATION, "the order's total must be below 10^13", f"{path}.lines")
    s["lines"] = stored
    due: dt.date | None = d.get("paymentDueOn")
    # Due before it was ordered, the order would be overdue the moment it is saved.
    if due is not None and at is not None and due < clock.day_of(at):
        errors.add(
            ErrorCode.VALIDATION, "must not be before the order's day", f"{path}.paymentDueOn"
        )
    return {
        "orderNo": v.text(errors, d.get("orderNo"), f"{path}.orderNo", max_len=100),
        "currency": code,
        "amountCents": total,
        "quantity": float(units),
        "paymentDueOn": due,
    }


def _payment(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    s["order"] = str(d["order"])
    return {
        "amountCents": cents(errors, d.get("amount"), f"{path}.amount"),
        "currency": currency(errors, d.get("currency"), f"{path}.currency"),
        "method": v.text(errors, d.get("method"), f"{path}.method", max_len=100),
    }


def _delivery(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    s["order"] = str(d["order"])
    return {
        "trackingNo": v.text(errors, d.get("trackingNo"), f"{path}.trackingNo", max_len=100),
        "complete": bool(d.get("complete", True)),
    }


def _service(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    resolved = _moment(errors, d.get("resolvedAt"), f"{path}.resolvedAt")
    if resolved is not None and at is not None and resolved < at:
        errors.add(ErrorCode.VALIDATION, "is before the case was opened", f"{path}.resolvedAt")
    status = _enum(d.get("status")) or "OPEN"
    if resolved is not None and status in ("OPEN", "IN_PROGRESS"):
        errors.add(ErrorCode.VALIDATION, "an open case has no resolution time", f"{path}.status")
    hours = None
    if resolved is not None and at is not None:
        hours = round((resolved - at).total_seconds() / 3600, 2)
    return {
        "category": _enum(d["category"]),
        "severity": _enum(d.get("severity")) or "MEDIUM",
        "status": status,
        "resolution": v.text(errors, d.get("resolution"), f"{path}.resolution", max_len=2000),
        "resolvedAt": resolved,
        "resolutionHours": hours,
    }


def _survey(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    score = d["score"]
    if not 1 <= score <= 5:
        errors.add(ErrorCode.VALIDATION, "1..5", f"{path}.score")
    answers = d.get("answers") or []
    if len(answers) > SURVEY_ANSWERS:
        errors.add(ErrorCode.VALIDATION, f"at most {SURVEY_ANSWERS}", f"{path}.answers")
    kept = [
        {
            "question": v.text(
                errors,
                a.get("question"),
                f"{path}.answers[{i}].question",
                required=True,
                max_len=300,
            ),
            "answer": v.text(errors, a.get("answer"), f"{path}.answers[{i}].answer", max_len=1000),
        }
        for i, a in enumerate(answers[:SURVEY_ANSWERS])
    ]
    return {"score": score, "answers": json.dumps(kept, ensure_ascii=False) if kept else None}


def _contract(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    starts, ends = d.get("startsOn"), d.get("endsOn")
    if starts is not None and ends is not None and ends < starts:
        errors.add(ErrorCode.VALIDATION, "ends before it starts", f"{path}.endsOn")
    amount = d.get("amount")
    code = currency(errors, d.get("currency"), f"{path}.currency")
    if amount is not None and code is None and d.get("currency") is None:
        errors.add(ErrorCode.VALIDATION, "an amount needs its currency", f"{path}.currency")
    return {
        "contractNo": v.text(errors, d.get("contractNo"), f"{path}.contractNo", max_len=100),
        "title": v.text(errors, d.get("title"), f"{path}.title", required=True, max_len=200),
        "startsOn": starts,
        "endsOn": ends,
        "amountCents": cents(errors, amount, f"{path}.amount"),
        "currency": code,
        "status": _enum(d.get("status")) or "ACTIVE",
    }


def _visit_plan(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    return {
        "purpose": v.text(errors, d.get("purpose"), f"{path}.purpose", required=True, max_len=500),
        "status": _enum(d.get("status")) or "PLANNED",
    }


def _marketing(errors: v.Errors, d: Section, at: dt.datetime | None, s: Section) -> Section:
    path = s["path"]
    return {
        "campaign": v.text(
            errors, d.get("campaign"), f"{path}.campaign", required=True, max_len=200
        ),
        "channel": v.text(errors, d.get("channel"), f"{path}.channel", max_len=100),
        "response": v.text(errors, d.get("response"), f"{path}.response", max_len=500),
    }


KIND_RULES = {
    RecordKind.INTERACTION: _interaction,
    RecordKind.ORDER: _order,
    RecordKind.PAYMENT: _payment,
    RecordKind.DELIVERY: _delivery,
    RecordKind.SERVICE_CASE: _service,
    RecordKind.SURVEY: _survey,
    RecordKind.CONTRACT: _contract,
    RecordKind.VISIT_PLAN: _visit_plan,
    RecordKind.MARKETING: _marketing,
}


def _digest(kind: RecordKind, customer: str, props: dict[str, Any], links: Section) -> str:
    """What makes two saves the same content (ids chosen per call are left out)."""
    body = {"kind": kind.name, "customer": customer, "props": props, **links}
    for key in ("contacts", "staff", "projects"):  # sets (edges): their order is no content
        body[key] = sorted(body.get(key) or [])
    text = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse(ctx: Context, data: dict[str, Any]) -> tuple[repo.Save | None, v.Errors]:
    """The input as a `repo.Save`, or every problem with it."""
    return parse_as(ctx.actor.id, data)


def parse_as(actor_id: str, data: dict[str, Any]) -> tuple[repo.Save | None, v.Errors]:
    """`parse` for the actor `actor_id`, without a request (the import): the same rules."""
    errors = v.Errors()
    given = [key for key in SECTIONS if data.get(key) is not None]
    if len(given) != 1:
        errors.add(ErrorCode.VALIDATION, "give exactly one of " + ", ".join(SECTIONS), "input")
        return None, errors
    section = given[0]
    kind = SECTIONS[section]
    at = _moment(errors, data.get("occurredAt"), "input.occurredAt")
    source = v.text(errors, data.get("externalSource"), "input.externalSource", max_len=100)
    external = v.text(errors, data.get("externalId"), "input.externalId", max_len=200)
    if (source is None) != (external is None):
        errors.add(
            ErrorCode.VALIDATION, "externalId and externalSource go together", "input.externalId"
        )
    record_id = str(data["id"]) if data.get("id") is not None else None
    if record_id is not None and source is not None:
        errors.add(ErrorCode.VALIDATION, "replace by id or by external id, not both", "input.id")
    # A replacement by id comes from someone who read the record: it names that version, so
    # it cannot silently overwrite a change made since (an upsert by key stays a blind sync).
    if record_id is not None and data.get("expectedVersion") is None:
        errors.add(
            ErrorCode.VALIDATION,
            "required when replacing a record by id: the version you read",
            "input.expectedVersion",
        )
    staff = _ids(errors, data.get("staff"), "input.staff", repo.MAX_STAFF)
    if data.get("staff") is None and not actor_id.startswith("anonymous:"):
        staff = [actor_id]  # who logs it took part, unless told otherwise
    links: Section = {
        "path": f"input.{section}",
        "contacts": _ids(errors, data.get("contacts"), "input.contacts", repo.MAX_CONTACTS),
        "staff": staff,
        "projects": [str(data["project"])] if data.get("project") else [],
    }
    props = {
        "occurredAt": at,
        "subject": v.text(errors, data.get("subject"), "input.subject", max_len=200),
        "notes": v.text(errors, data.get("notes"), "input.notes", max_len=5000),
        "externalSource": source,
        "externalId": external,
        **KIND_RULES[kind](errors, data[section], at, links),
    }
    if errors:
        return None, errors
    ext_key = f"{kind.name}\x1f{source}\x1f{external}" if source else None
    follow_ups = links.pop("followUps", [])
    links.pop("path")
    customer = str(data["customer"])
    content = copy.deepcopy({**links, "followUps": follow_ups})  # assignees are filled below
    digest = _digest(kind, customer, props, content)

    def redigest(source: str | None, external: str | None) -> str:
        keyed = {**props, "externalSource": source, "externalId": external}
        return _digest(kind, customer, keyed, content)

    for f in follow_ups:
        f["assignee"] = f["assignee"] or (staff[0] if staff else actor_id)
    return (
        repo.Save(
            kind=kind,
            customer=customer,
            props=props,
            digest=digest,
            record_id=record_id,
            expected_version=data.get("expectedVersion"),
            ext_key=ext_key,
            contacts=links["contacts"],
            staff=staff,
            projects=links["projects"],
            lines=links.get("lines", []),
            order=links.get("order"),
            follow_ups=follow_ups,
            redigest=redigest,
        ),
        errors,
    )


# --- Mutations --------------------------------------------------------------------------------
def _failed(errors: list[UserErrorRow]) -> RecordPayload:
    return {"record": None, "created": False, "changed": False, "errors": errors}


# Where each reference of a record write is in the input, and what its absence is called.
REF_WHAT = {
    Part.CONTACTS: ("input.contacts", "no person with this id"),
    Part.STAFF: ("input.staff", "no active user with this id"),
    Part.PROJECT: ("input.project", "no project with this id for this customer"),
    Part.PRODUCTS: ("input.{section}.lines", "no active product with this id"),
}


def _unknown(
    section: str, given: dict[Part, list[str]], missing: dict[Part, list[str]]
) -> list[UserErrorRow]:
    """NOT_FOUND at each given id that is `missing`, at its input path."""
    out = []
    for part, ids in given.items():
        gone = set(missing.get(part, ()))
        base, message = REF_WHAT[part]
        base = base.format(section=section)
        for i, ident in enumerate(ids):
            if ident in gone:
                path = {Part.PROJECT: base, Part.PRODUCTS: f"{base}[{i}].product"}.get(
                    part, f"{base}[{i}]"
                )
                out.append(payload_error(ErrorCode.NOT_FOUND, message, path))
    return out


async def _also_unknown(
    ctx: Context, data: dict[str, Any], errors: list[UserErrorRow]
) -> list[UserErrorRow]:
    """For input refused by its own checks: the ids it names that do not exist, so that it
    is refused with every problem at once (one or two round trips, only when refused)."""
    section = next((k for k in SECTIONS if data.get(k) is not None), None)
    if section is None or not ctx.actor.scope.may_edit:
        return []
    body = data[section]
    lines = (body.get("lines") or []) if section == "order" else []
    given = {
        Part.CONTACTS: [str(x) for x in data.get("contacts") or []][: repo.MAX_CONTACTS],
        Part.STAFF: [str(x) for x in data.get("staff") or []][: repo.MAX_STAFF],
        Part.PROJECT: [str(data["project"])] if data.get("project") else [],
        Part.PRODUCTS: [str(line.get("product")) for line in lines][: repo.MAX_LINES],
    }
    order = str(body["order"]) if section in ("payment", "delivery") and body.get("order") else None
    customer = str(data.get("customer") or "")
    at = data.get("occurredAt") if isinstance(data.get("occurredAt"), dt.datetime) else None
    missing = await repo.unknown_refs(ctx.db, ctx.actor, customer, given, order, at)
    out = _unknown(section, given, missing)
    if Part.ORDER in missing:
        message = "no order of this customer with this id"
        out.append(payload_error(ErrorCode.NOT_FOUND, message, f"input.{section}.order"))
    if await node(ctx, customer) is None:
        out.append(payload_error(ErrorCode.NOT_FOUND, "no company or person with this id",
                                 "input.customer"))  # fmt: skip
    taken = {e["field"] for e in errors}
    return [e for e in out if e["field"] not in taken]


def refused(result: repo.SaveResult, save: repo.Save) -> list[UserErrorRow]:
    section = next(k for k, kind in SECTIONS.items() if kind is save.kind)
    part, refusal = result.part, result.refusal
    if part is Part.ACCOUNT:
        code, message = {
            Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no company or person with this id"),
            Refusal.WRONG_LABEL: (
                ErrorCode.VALIDATION,
                "records are kept for customers: give the party a customer profile first",
            ),
        }.get(
            refusal or Refusal.FORBIDDEN, (ErrorCode.FORBIDDEN, "you may not change this account")
        )
        return [payload_error(code, message, "input.customer")]
    if part in REF_WHAT:
        given = {
            Part.CONTACTS: save.contacts,
            Part.STAFF: save.staff,
            Part.PROJECT: save.projects,
            Part.PRODUCTS: [line["product"] for line in save.lines],
        }
        return _unknown(section, given, result.unknown or {part: result.missing})
    if part is Part.NEXT_STEP:
        message = (
            "this record's next step is closed, and a closed follow-up is not changed: log a "
            "new interaction for a new next step"
        )
        return [payload_error(ErrorCode.VALIDATION, message, f"input.{section}.nextStep")]
    if part is Part.ORDER:
        path = f"input.{section}.order"
        if refusal is Refusal.MISMATCH:
            return [
                payload_error(
                    ErrorCode.VALIDATION,
                    f"the order is in {result.currency}",
                    f"input.{section}.currency",
                )
            ]
        if refusal is Refusal.ENDED:
            return [payload_error(ErrorCode.VALIDATION, "the order is voided", path)]
        return [payload_error(ErrorCode.NOT_FOUND, "no order of this customer with this id", path)]
    if part is Part.VERSION:
        return [
            payload_error(
                ErrorCode.CONFLICT,
                f"stale expectedVersion: the record is at version {result.current_version}",
                "input.expectedVersion",
            )
        ]
    if refusal is Refusal.MISMATCH:
        message = (
            f"payments against this order are in {result.currency}: void them before "
            "changing the order's currency"
        )
        return [payload_error(ErrorCode.VALIDATION, message, f"input.{section}.currency")]
    # An import's line may name its record's own id (`create_id`) and no key: then the id is
    # the unique key another customer's record holds (tester AT read of an externalId).
    by_id = save.record_id is not None or (save.create_id is not None and save.ext_key is None)
    field = "input.id" if by_id else "input.externalId"
    code, message = {
        Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no record with this id"),
        # A unique key another customer's record holds: DUPLICATE, as for any unique key
        # (docs/ACCESS.md), whether or not the viewer may see that record.
        Refusal.WRONG_LABEL: (
            (
                ErrorCode.VALIDATION,
                "that record is of another kind or another customer; records do not move",
            )
            if save.record_id
            else (
                ErrorCode.DUPLICATE,
                "a record of another customer has this id; records do not move",
            )
            if by_id
            else (
                ErrorCode.DUPLICATE,
                "this externalSource and externalId name a record of "
                "another customer; records do not move",
            )
        ),
        Refusal.ENDED: (ErrorCode.CONFLICT, "that record is voided; record a new one"),
    }[refusal or Refusal.NOT_FOUND]
    return [payload_error(code, message, field)]


async def save_record(ctx: Context, data: dict[str, Any]) -> RecordPayload:
    if denied := read_only(ctx):
        return _failed(denied)
    save, errors = parse(ctx, data)
    if save is None:
        return _failed([*errors, *await _also_unknown(ctx, data, list(errors))])
    if unseen := await _assignees_unseen(ctx, save, data):
        return _failed(unseen)
    result = await repo.save(ctx.db, save, audit(ctx, f"record.save.{save.kind.name.lower()}"))
    if result.refusal is Refusal.NOT_FOUND and result.part in (Part.ACCOUNT, Part.CONTACTS):
        # A merged-away customer or contact id resolves to its survivor, as everywhere else
        # (looked up only when refused, so a save costs no more round trips).
        ids = [save.customer, *save.contacts]
        found = await nodes_by_ids(ctx, ids)
        now = [row["id"] if row is not None else i for i, row in zip(ids, found, strict=True)]
        if now != ids:
            resolved = {**data, "customer": now[0]}
            if data.get("contacts") is not None:
                resolved["contacts"] = now[1:]
            again, _ = parse(ctx, resolved)
            if again is not None:
                save = again
                result = await repo.save(
                    ctx.db, save, audit(ctx, f"record.save.{save.kind.name.lower()}")
                )
    if result.refusal is not None:
        return _failed(refused(result, save))
    return {
        "record": result.record,
        "created": result.created,
        "changed": result.changed,
        "errors": [],
    }


async def _assignees_unseen(
    ctx: Context, save: repo.Save, data: dict[str, Any]
) -> list[UserErrorRow]:
    """A next step goes to someone who may see its customer, else nobody would see the task."""
    for f in save.follow_ups:
        who = f["assignee"]
        # ctx.actor.id: the dev-mode demo viewer has no user id, and assigns to itself.
        if who == ctx.actor.id or await repo.sees_account(ctx.db, ctx.actor, who, save.customer):
            continue
        named = (data.get("interaction") or {}).get("nextStep", {}).get("assignee")
        return [
            payload_error(
                ErrorCode.VALIDATION,
                "no active user who may see this customer",
                "input.interaction.nextStep.assignee" if named else "input.staff",
            )
        ]
    return []


def _verdict_error(refusal: Refusal, what: str, current: int | None) -> UserErrorRow:
    code, message, field = {
        Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, f"no {what} with this id", "input.id"),
        Refusal.FORBIDDEN: (ErrorCode.FORBIDDEN, f"you may not change this {what}", "input.id"),
        Refusal.ENDED: (
            ErrorCode.CONFLICT,
            f"the {what} is already {'voided' if what == 'record' else 'closed'}",
            "input.id",
        ),
        Refusal.CONFLICT: (
            ErrorCode.CONFLICT,
            f"stale expectedVersion: the {what} is at version {current}",
            "input.expectedVersion",
        ),
        Refusal.IN_USE: (
            ErrorCode.CONFLICT,
            "payments or deliveries against this order are not voided: void them first, "
            "or the money received would drop out of the figures",
            "input.id",
        ),
    }[refusal]
    return payload_error(code, message, field)


async def void_record(ctx: Context, data: dict[str, Any]) -> RecordPayload:
    if denied := read_only(ctx):
        return _failed(denied)
    errors = v.Errors()
    reason = v.text(errors, data.get("reason"), "input.reason", required=True, max_len=500)
    if errors or reason is None:
        return _failed(errors)
    verdict = await repo.void(
        ctx.db, str(data["id"]), reason, data.get("expectedVersion"), audit(ctx, "record.void")
    )
    if verdict.refusal is not None:
        return _failed([_verdict_error(verdict.refusal, "record", verdict.current_version)])
    return {"record": verdict.row, "created": False, "changed": True, "errors": []}


async def close_follow_up(ctx: Context, data: dict[str, Any]) -> FollowUpPayload:
    if denied := read_only(ctx):
        return {"followUp": None, "errors": denied}
    errors = v.Errors()
    outcome = v.text(errors, data.get("outcome"), "input.outcome", max_len=500)
    if errors:
        return {"followUp": None, "errors": errors}
    status = _enum(data.get("status")) or "DONE"
    if status == "OPEN":
        errors.add(ErrorCode.VALIDATION, "close as DONE or CANCELLED", "input.status")
        return {"followUp": None, "errors": errors}
    verdict = await repo.close_follow_up(
        ctx.db,
        str(data["id"]),
        status,
        outcome,
        data.get("expectedVersion"),
        audit(ctx, "follow_up.close"),
    )
    if verdict.refusal is not None:
        error = _verdict_error(verdict.refusal, "follow-up", verdict.current_version)
        return {"followUp": None, "errors": [error]}
    return {"followUp": verdict.row, "errors": []}


PRODUCT_CAPS = {"name": 200, "category": 100, "unit": 20, "description": 2000}


PRODUCT_KEEPERS = frozenset({"ADMIN", "MANAGER"})  # the roles that keep the catalogue


def product_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """saveProduct's input as the product's properties (what `data` gives), problems in
    `errors`; `crm-graph import` checks an exported product with it too."""
    props: dict[str, Any] = {}
    if creating or "sku" in data:
        props["sku"] = v.text(errors, data.get("sku"), "input.sku", required=True, max_len=64)
    if creating or "name" in data:
        props["name"] = v.text(
            errors, data.get("name"), "input.name", required=True, max_len=200, one_line=True
        )
    for key in ("category", "unit", "description"):
        if key in data:
            props[key] = v.text(errors, data[key], f"input.{key}", max_len=PRODUCT_CAPS[key])
    if "listPrice" in data:
        props["listPriceCents"] = cents(errors, data["listPrice"], "input.listPrice", False)
    if "currency" in data:
        props["currency"] = currency(errors, data["currency"], "input.currency")
    if "archived" in data:
        props["archivedAt"] = clock.now() if data["archived"] else None
    return props


async def save_product(ctx: Context, data: dict[str, Any]) -> ProductPayload:
    if not PRODUCT_KEEPERS & ctx.actor.roles:
        message = "the product catalogue is kept by ADMIN and MANAGER"
        return {"product": None, "errors": [payload_error(ErrorCode.FORBIDDEN, message, None)]}
    errors = v.Errors()
    props = product_props(errors, data, data.get("id") is None)
    if errors:
        return {"product": None, "errors": errors}
    try:
        product, refusal, current = await repo.save_product(
            ctx.db,
            str(data["id"]) if data.get("id") else None,
            props,
            data.get("expectedVersion"),
            audit(ctx, "product.save"),
        )
    except ConstraintViolation:
        return {
            "product": None,
            "errors": [
                payload_error(ErrorCode.DUPLICATE, "another product has this SKU", "input.sku")
            ],
        }
    if refusal is not None:
        return {"product": None, "errors": [_verdict_error(refusal, "product", current)]}
    return {"product": product, "errors": []}


# --- Reads ------------------------------------------------------------------------------------
async def record(ctx: Context, record_id: str) -> RecordRow | None:
    return await load_one(
        ctx, "records.by_id", record_id, lambda ids: repo.records(ctx.db, ctx.actor, ids)
    )


def _at(row: Any, key: str) -> str:
    value = row[key]
    return str(value.iso_format() if hasattr(value, "iso_format") else value.isoformat())


async def timeline(
    ctx: Context, q: repo.TimelineQuery, first: int, after: str | None, with_total: bool
) -> ConnectionOf[RecordRow]:
    limit = page_size(first)
    if q.kinds == []:  # as a filter of nothing would answer: not "every kind"
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`kinds` must not be empty; omit it", "kinds")
    zoned(("since", q.since), ("until", q.until))
    if q.since is not None and q.until is not None and q.since >= q.until:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "since must be before until", "since")
    of = dataclasses.asdict(q)  # as asked: a merged-away party's cursors stay its own
    rows, total = await repo.timeline(
        ctx.db, ctx.actor, q, limit + 1, time_position(after, "timeline", of), with_total
    )
    if not rows and after is None:
        # An empty timeline should mean a party without records, not a wrong or hidden id;
        # a merged-away id reads as its survivor, as everywhere.
        party = await node(ctx, q.party)
        if party is None:
            raise ApiError(ErrorCode.NOT_FOUND, "no company or person with this id", "party")
        if party["id"] != q.party:
            q = dataclasses.replace(q, party=party["id"])
            rows, total = await repo.timeline(ctx.db, ctx.actor, q, limit + 1, None, with_total)
    return time_ordered(
        rows, limit, after, total, lambda r: (_at(r, "occurredAt"), r["id"]), "timeline", of
    )


async def follow_ups(
    ctx: Context, filters: dict[str, Any], first: int, after: str | None, with_total: bool
) -> ConnectionOf[FollowUpRow]:
    limit = page_size(first)
    zoned(("dueBefore", filters.get("dueBefore")))
    of = copy.deepcopy(filters)  # as asked, before the statement reads them
    position = time_position(after, "followUps", of)
    rows, total = await repo.follow_ups(ctx.db, ctx.actor, filters, limit + 1, position, with_total)
    return time_ordered(
        rows, limit, after, total, lambda r: (_at(r, "dueAt"), r["id"]), "followUps", of
    )


def _decimal(value_cents: int) -> Decimal:
    return Decimal(value_cents) / 100


def _average(cents: int, quantity: float) -> Decimal:
    """The price per unit, in yuan, rounded to the cent half up as line amounts are (tester
    BP: round() took 50.125 to 50.12, half to even)."""
    per_unit = Decimal(cents) / Decimal(str(quantity))
    return _decimal(int(per_unit.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def shape_figures(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The figures statement's row as the `CustomerFigures` type reads it."""
    if row is None:
        return None
    money = []
    for m in sorted(row["money"], key=lambda m: -m["orders"]):
        windows = []
        for days in repo.WINDOWS:
            n, amount, qty = m[f"n{days}"], m[f"a{days}"], m[f"q{days}"]
            windows.append(
                {
                    "days": days or None,
                    "orders": n,
                    "amount": _decimal(amount),
                    "quantity": qty,
                    "averagePrice": _average(amount, qty) if qty else None,
                }
            )
        first, last = m["firstAt"], m["lastAt"]
        interval = None
        if m["orders"] > 1:
            span = last.to_native() - first.to_native()
            interval = round(span.total_seconds() / 86400 / (m["orders"] - 1), 1)
        money.append(
            {
                "currency": m["currency"],
                "orders": m["orders"],
                "firstOrderAt": first,
                "lastOrderAt": last,
                "meanDaysBetweenOrders": interval,
                "windows": windows,
                "receivable": _decimal(m["receivable"]),
                "overdue": _decimal(m["overdue"]),
                "overpaid": _decimal(m["overpaid"]),
            }
        )
    satisfaction = row["satisfaction"]
    return {
        "purchases": money,
        "lastInteractionAt": row["lastInteractionAt"],
        "lastInteractionChannel": row["lastInteractionChannel"],
        "nextVisitAt": row["nextVisitAt"],
        "openFollowUps": row["openFollowUps"],
        "overdueFollowUps": row["overdueFollowUps"],
        "openComplaints": row["openComplaints"],
        "meanSatisfaction": round(satisfaction, 2) if satisfaction is not None else None,
        "surveys": row["surveys"],
    }


def survey_answers(row: RecordRow) -> list[dict[str, Any]]:
    raw = row.get("answers")
    answers: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else []
    return answers


async def figures(ctx: Context, customer_id: str) -> dict[str, Any] | None:
    """A customer's computed figures, batched: one round trip for every customer of a page."""

    async def batch(ids: list[str]) -> list[dict[str, Any] | None]:
        found = await repo.figures(ctx.db, ctx.actor, ids)
        return [shape_figures(found.get(i)) for i in ids]

    result: dict[str, Any] | None = await loader(ctx, "records.figures", batch).load(customer_id)
    return result


MAX_PRODUCT_TEXT = 100


async def products(
    ctx: Context,
    text: str | None,
    archived: bool,
    first: int,
    after: str | None,
    with_total: bool,
) -> ConnectionOf[ProductRow]:
    limit = page_size(first)
    if text is not None:
        if len(text) > MAX_PRODUCT_TEXT:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT, f"at most {MAX_PRODUCT_TEXT} characters", "text"
            )
        text = v.visible(text) or None  # as names are stored
    # Products page by (name, id): the cursor's first part is a name, not a time.
    position: tuple[str, str] | None = None
    if after is not None:  # an empty cursor is no cursor, not the first page
        name, row_id = decode_cursor("products", after, 2, of=[text, archived])
        position = (name, row_id)
    rows, total = await repo.products(
        ctx.db, ctx.actor, text, archived, limit + 1, position, with_total
    )
    return time_ordered(
        rows, limit, after, total, lambda r: (r["name"], r["id"]), "products", [text, archived]
    )


async def product(ctx: Context, product_id: str) -> ProductRow | None:
    return await load_one(
        ctx, "records.product", product_id, lambda ids: repo.products_by_id(ctx.db, ctx.actor, ids)
    )
