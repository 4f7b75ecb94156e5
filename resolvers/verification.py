"""Contact-channel verification and data quality (R19): argument checks, the request's
freshness rules (one round trip per request, through a loader), and the report's grouping.

A profile's `channels` and `dataQuality` are computed from the node the request already has;
a company's reachability also looks at its current contacts (one round trip for every company
of the request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypedDict

from graph import clock
from graph import verification as repo
from graph.refusal import Refusal
from graph.vocab import CHANNELS, ContactField, Label, VerificationMethod, VerificationStatus
from resolvers import args
from resolvers import validation as v
from resolvers.common import admin_only, audit, read_only, save_document
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import load_grouped, loader
from resolvers.shapes import UserErrorRow, parse_instant

Flag = repo.Flag
MAX_NOTE = 500
MAX_HISTORY = 100


class Holder(Enum):
    """The kinds of record that have contact channels."""

    COMPANY = "Company"
    PERSON = "Person"


class QualityDimension(Enum):
    """How the data-quality report groups customers."""

    OWNER = "OWNER"
    TEAM = "TEAM"
    SOURCE = "SOURCE"


async def rules_of(ctx: Context) -> repo.Rules:
    """The freshness rules, read once per request."""

    async def batch(keys: list[str]) -> list[repo.Rules]:
        found, _ = await repo.rules(ctx.db, ctx.actor)
        return [found for _ in keys]

    found: repo.Rules = await loader(ctx, "verification.rules", batch).load("default")
    return found


# --- Rules ------------------------------------------------------------------------------------
def rules_row(r: repo.Rules, version: int) -> dict[str, Any]:
    return {
        "version": version,
        "rules": [
            {"label": Holder(label.value), "field": ContactField(field), "days": days}
            for label in CHANNELS
            for field, days in sorted(r.valid_days[label].items())
            if field in CHANNELS[label]
        ],
    }


async def rules(ctx: Context) -> dict[str, Any]:
    r, version = await repo.rules(ctx.db, ctx.actor)
    return rules_row(r, version)


class RulesPayload(TypedDict):
    rules: dict[str, Any] | None
    errors: list[UserErrorRow]


async def save_rules(ctx: Context, data: dict[str, Any]) -> RulesPayload:
    if denied := admin_only(ctx, "freshness rules are kept by ADMIN"):
        return {"rules": None, "errors": denied}
    current, current_version = await repo.rules(ctx.db, ctx.actor)
    days = {label: dict(d) for label, d in current.valid_days.items()}
    errors = v.Errors()
    named: set[tuple[Label, str]] = set()
    for i, item in enumerate(data.get("rules") or []):
        label, field = Label(item["label"].value), item["field"].value
        if (label, field) in named:  # which of two values was meant is not ours to guess
            errors.add(
                ErrorCode.VALIDATION, f"{label.value} {field} is named twice", f"input.rules.{i}"
            )
        named.add((label, field))
        if field not in CHANNELS[label]:
            errors.add(
                ErrorCode.VALIDATION, f"a {label.value} has no {field}", f"input.rules.{i}.field"
            )
        if not 1 <= item["days"] <= repo.MAX_VALID_DAYS:
            errors.add(
                ErrorCode.VALIDATION,
                f"1..{repo.MAX_VALID_DAYS} days",
                f"input.rules.{i}.days",
            )
        days[label][field] = int(item["days"])
    if errors:
        return {"rules": None, "errors": errors}
    merged = repo.Rules(days)
    expected = data.get("expectedVersion")
    if days == current.valid_days and expected in (None, current_version):
        # Nothing changes: no new version, no audit event (a stale version still conflicts).
        return {"rules": rules_row(current, current_version), "errors": []}
    version, conflict = await save_document(
        ctx, repo.save_rules, merged, expected, "verification.rules", "rules"
    )
    if version is None:
        return {"rules": None, "errors": conflict}
    return {"rules": rules_row(merged, version), "errors": []}


# --- Recording checks -------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckInput:
    """One check as a caller gives it (the API's input, a CSV row)."""

    id: str
    field: ContactField
    status: VerificationStatus
    method: VerificationMethod
    note: str | None = None
    at: dt.datetime | None = None


# A check older than this is a typo (a year of 1900 from a spreadsheet), not a history.
EARLIEST_CHECK = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


# Statuses that only some channels can have: a mail or text message bounces (a landline or
# an address does not), and only a line rings unanswered (tester BA stored BOUNCED on a
# company phone, which then read as INVALID).
ONLY_ON: dict[VerificationStatus, frozenset[ContactField]] = {
    VerificationStatus.BOUNCED: frozenset({ContactField.EMAIL, ContactField.MOBILE}),
    VerificationStatus.NO_ANSWER: frozenset(
        {ContactField.PHONE, ContactField.FAX, ContactField.MOBILE, ContactField.OFFICE_PHONE}
    ),
}


def check_of(c: CheckInput, errors: v.Errors, path: str) -> repo.Check:
    """The repository's check, with `at` defaulted to now and refused in the future or
    before 1990, and a status the channel cannot have refused."""
    fits = ONLY_ON.get(c.status)
    if fits is not None and c.field not in fits:
        names = " or ".join(sorted(f.name for f in fits))
        errors.add(
            ErrorCode.VALIDATION, f"{c.status.name} is a status of {names} only", f"{path}.status"
        )
    now = dt.datetime.now(dt.UTC)
    at = c.at or now
    if at.tzinfo is None:
        errors.add(ErrorCode.VALIDATION, "needs a time zone offset", f"{path}.at")
    elif at > now + dt.timedelta(minutes=5):
        errors.add(ErrorCode.VALIDATION, "is in the future", f"{path}.at")
    elif at < EARLIEST_CHECK:
        errors.add(ErrorCode.VALIDATION, "is before 1990", f"{path}.at")
    note = v.text(errors, c.note, f"{path}.note", max_len=MAX_NOTE)
    return {
        "id": c.id,
        "field": c.field.value,
        "status": c.status,
        "method": c.method.value,
        "note": note,
        "at": at,
    }


def parse_rows(rows: Sequence[dict[str, str | None]], errors: v.Errors) -> list[CheckInput]:
    """Rows of a call- or mail-results file (id, field, status, method[, at, note]; enum
    names as in the API, `at` ISO 8601 with offset) as checks; problems named
    `input.checks.<index>.<column>`."""
    out: list[CheckInput] = []
    for i, row in enumerate(rows):
        path = f"input.checks.{i}"
        missing = [k for k in ("id", "field", "status", "method") if not row.get(k)]
        for k in missing:
            errors.add(ErrorCode.VALIDATION, "is required", f"{path}.{k}")
        if missing:
            continue
        named: dict[str, Any] = {}
        for column, kind in (
            ("field", ContactField),
            ("status", VerificationStatus),
            ("method", VerificationMethod),
        ):
            try:
                named[column] = kind[str(row[column]).upper()]
            except KeyError:
                choices = ", ".join(m.name for m in kind)
                message = f"unknown value {row[column]!r}; one of {choices}"
                errors.add(ErrorCode.VALIDATION, message, f"{path}.{column}")
        if len(named) < 3:
            continue
        field, status, method = named["field"], named["status"], named["method"]
        at = None
        if row.get("at"):
            try:  # the API's own reading: offsets within ±18:00, whole minutes
                at = parse_instant(str(row["at"]))
            except ValueError as exc:
                errors.add(ErrorCode.VALIDATION, str(exc), f"{path}.at")
                continue
        out.append(CheckInput(str(row["id"]), field, status, method, row.get("note"), at))
    return out


_REFUSED: dict[Refusal, tuple[ErrorCode, str, str]] = {
    Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no such company or person", "id"),
    Refusal.FORBIDDEN: (ErrorCode.FORBIDDEN, "you may not edit this record", "id"),
    Refusal.WRONG_LABEL: (ErrorCode.VALIDATION, "this record has no such channel", "field"),
    Refusal.INCOMPLETE: (ErrorCode.VALIDATION, "this record has no value to check here", "field"),
}


async def record(
    ctx: Context, checks: Sequence[CheckInput], path: str
) -> tuple[list[str | None], list[UserErrorRow]]:
    """Record the checks: each one's Verification id (None where refused) and the errors,
    each naming `<path>.<index>.<field>`."""
    if denied := read_only(ctx):
        return [None] * len(checks), denied
    errors = v.Errors()
    repo_checks = [check_of(c, errors, f"{path}.{i}") for i, c in enumerate(checks)]
    if errors:
        return [None] * len(checks), errors
    outcomes = await repo.record_checks(ctx.db, repo_checks, audit(ctx, "verification.record"))
    out: list[UserErrorRow] = []
    for o in outcomes:
        if o["refusal"] is not None:
            code, message, field = _REFUSED[o["refusal"]]
            out.append(payload_error(code, message, f"{path}.{o['index']}.{field}"))
    return [o["verification"] for o in outcomes], out


class VerifyPayload(TypedDict):
    verifications: list[str | None]
    errors: list[UserErrorRow]


async def verify(ctx: Context, data: dict[str, Any]) -> VerifyPayload:
    """`verifyChannels`: up to repo.MAX_BATCH checks, each refused alone."""
    items = data["checks"]
    if not 1 <= len(items) <= repo.MAX_BATCH:
        error = payload_error(ErrorCode.VALIDATION, f"1..{repo.MAX_BATCH} checks", "input.checks")
        return {"verifications": [], "errors": [error]}
    checks = [
        CheckInput(
            id=str(c["id"]),
            field=c["field"],
            status=c["status"],
            method=c["method"],
            note=c.get("note"),
            at=c.get("at"),
        )
        for c in items
    ]
    ids, errors = await record(ctx, checks, "input.checks")
    return {"verifications": ids, "errors": errors}


# --- Reading ----------------------------------------------------------------------------------
def channel_row(state: repo.ChannelState) -> dict[str, Any]:
    return {**state, "field": ContactField(state["field"])}


async def channels(ctx: Context, label: Label, node: dict[str, Any]) -> list[dict[str, Any]]:
    r = await rules_of(ctx)
    return [channel_row(s) for s in repo.assess(label, node, r, clock.today())]


async def _contacts(ctx: Context, company_id: str) -> list[dict[str, Any]]:
    async def fetch(ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        return await repo.contacts_of(ctx.db, ctx.actor, ids)

    return await load_grouped(ctx, "verification.contacts", company_id, fetch)


async def quality(ctx: Context, label: Label, node: dict[str, Any]) -> repo.QualityRow:
    r = await rules_of(ctx)
    contacts = await _contacts(ctx, node["id"]) if label is Label.COMPANY else []
    return repo.quality(label, node, r, clock.today(), contacts)


async def history(
    ctx: Context, node_id: str, field: ContactField | None, first: int
) -> list[repo.VerificationRow]:
    args.page_size(first, MAX_HISTORY)
    return await repo.history(ctx.db, ctx.actor, node_id, field.value if field else None, first)


class Group(TypedDict):
    key: str | None
    name: str | None
    customers: int
    reachable: int
    reachableShare: float
    averageScore: float
    neverVerified: int
    stale: int
    invalid: int


def group_quality(
    facts: Sequence[repo.CustomerFacts], by: QualityDimension, r: repo.Rules, today: dt.date
) -> list[Group]:
    """The report's rows: customers per owner, team or source with their figures, largest
    group first. Pure."""
    groups: dict[str | None, list[tuple[repo.QualityRow, str | None]]] = {}
    for f in facts:
        q = repo.quality(Label(f["label"]), f["props"], r, today, f["contacts"])
        if by is QualityDimension.OWNER:
            key, name = f["ownerId"], f["ownerName"]
        elif by is QualityDimension.TEAM:
            key, name = f["team"], f["team"]
        else:
            key, name = f["source"], f["source"]
        groups.setdefault(key, []).append((q, name))
    out: list[Group] = []
    for key, rows in groups.items():
        n = len(rows)
        reach = sum(1 for q, _ in rows if q["reachable"])
        out.append(
            {
                "key": key,
                "name": rows[0][1],
                "customers": n,
                "reachable": reach,
                "reachableShare": round(reach / n, 4),
                "averageScore": round(sum(q["score"] for q, _ in rows) / n, 1),
                "neverVerified": sum(len(q["neverVerified"]) for q, _ in rows),
                "stale": sum(len(q["stale"]) for q, _ in rows),
                "invalid": sum(len(q["invalid"]) for q, _ in rows),
            }
        )
    out.sort(key=lambda g: (-g["customers"], g["key"] or ""))
    return out


async def report(ctx: Context, by: QualityDimension) -> dict[str, Any]:
    facts, truncated = await repo.customer_facts(ctx.db, ctx.actor)
    groups = group_quality(facts, by, await rules_of(ctx), clock.today())
    customers = sum(g["customers"] for g in groups)
    reach = sum(g["reachable"] for g in groups)
    return {
        "by": by,
        "groups": groups,
        "customers": customers,
        "reachableShare": round(reach / customers, 4) if customers else 0.0,
        "truncated": truncated,
    }
