"""Personal data (issue 12): consent, the data-subject export, erasure, legal holds, and the
one place the full ID number is read.

Who may call what:
- recordConsent / withdrawConsent: a viewer who may edit the person (ADMIN: any person);
- processingAllowed, Person.consents: whoever sees the person;
- peopleByIdNumber: ADMIN and MANAGER (the roles that read `idNumber` in full);
- personalDataExport: ADMIN, or MANAGER for a person they see;
- erasePerson, setDataRetention: ADMIN only.

For features that process people for a purpose (the outreach feature to come): ask
`may_process` for one person, or filter a statement with graph.privacy.consented(); never
process a person for MARKETING, PROFILING, CROSS_BORDER_TRANSFER or THIRD_PARTY_SHARING
without it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from graph import crypto, privacy
from graph.privacy import ErasureOutcome as ErasureOutcome
from graph.privacy import Hold as Hold
from graph.privacy import ProcessingReason as ProcessingReason
from graph.refusal import Refusal
from graph.rows import ConsentRow as ConsentRow
from graph.rows import ProcessingRow as ProcessingRow
from graph.rows import RetentionRow
from graph.vocab import ConsentPurpose, ConsentSource, ErasureReason
from resolvers import validation as v
from resolvers.common import audit
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.loaders import load_grouped
from resolvers.masking import register_full_value
from resolvers.permissions import may_read, rule
from resolvers.shapes import NodeRow, UserErrorRow

MAX_NOTE = 500
MAX_HOLD_REASON = 200
MAX_MATCHES = 20


class ConsentPayloadRow(TypedDict):
    consent: ConsentRow | None
    errors: list[UserErrorRow]


class ExportPayloadRow(TypedDict):
    export: dict[str, Any] | None
    errors: list[UserErrorRow]


class ErasurePayloadRow(TypedDict):
    personId: str | None
    outcome: str | None
    holds: list[str]
    errors: list[UserErrorRow]


class RetentionPayloadRow(TypedDict):
    retention: RetentionRow | None
    errors: list[UserErrorRow]


def reveal_id_number(row: NodeRow) -> str | None:
    """The full ID number of a Person row, decrypted from `idNumberCipher` (the stored
    `idNumber` is only its mask). The one place the full value is obtained: callers decide
    whether the viewer may have it."""
    return crypto.reveal(row)


# Person.idNumber's full value comes from its ciphertext; the field rule decides who gets it
# and masks the stored (already masked) value for everyone else (schema/fieldrules.py).
register_full_value("Person", "idNumber", reveal_id_number)


def _forbidden(message: str) -> list[UserErrorRow]:
    return [payload_error(ErrorCode.FORBIDDEN, message, None)]


def _not_found(person_id: str, field: str = "input.person") -> list[UserErrorRow]:
    return [payload_error(ErrorCode.NOT_FOUND, f"no person with id {person_id}", field)]


def _is_admin(ctx: Context) -> bool:
    return "ADMIN" in ctx.viewer.roles


async def consents(ctx: Context, person_id: str) -> list[ConsentRow]:
    """A person's consent history, newest first; batched per request."""
    return await load_grouped(
        ctx, "consents", person_id, lambda ids: privacy.consents_of(ctx.db, ctx.actor, ids)
    )


async def record_consent(ctx: Context, data: dict[str, Any], granted: bool) -> ConsentPayloadRow:
    if not ctx.actor.scope.may_edit:
        return {"consent": None, "errors": _forbidden("read-only roles cannot record consent")}
    errors = v.Errors()
    note = v.text(errors, data.get("note"), "input.note", max_len=MAX_NOTE)
    expires: dt.datetime | None = data.get("expiresAt") if granted else None
    if expires is not None:
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        if expires <= dt.datetime.now(dt.UTC):
            errors.add(ErrorCode.VALIDATION, "must be in the future", "input.expiresAt")
    if errors:
        return {"consent": None, "errors": errors}
    action = "consent.record" if granted else "consent.withdraw"
    row = await privacy.record_consent(
        ctx.db,
        data["person"],
        ConsentPurpose(data["purpose"].value),
        granted,
        ConsentSource(data["source"].value),
        note,
        expires,
        audit(ctx, action),
    )
    if row is Refusal.FORBIDDEN:
        return {"consent": None, "errors": _forbidden("you may not edit this person")}
    if isinstance(row, Refusal):
        return {"consent": None, "errors": _not_found(data["person"])}
    return {"consent": row, "errors": []}


async def processing_allowed(
    ctx: Context, person_id: str, purpose: ConsentPurpose
) -> ProcessingRow | None:
    return await privacy.may_process(ctx.db, ctx.actor, person_id, ConsentPurpose(purpose.value))


async def people_by_id_number(ctx: Context, id_number: str) -> list[NodeRow]:
    if not may_read(ctx.viewer.roles, rule("Person", "idNumber")):
        raise ApiError(ErrorCode.FORBIDDEN, "only ADMIN and MANAGER look people up by ID number")
    value = id_number.strip()
    if not value or len(value) > 40:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "an ID number of 1..40 characters", "idNumber")
    return await privacy.by_id_number(ctx.db, ctx.actor, value, MAX_MATCHES)


async def personal_data_export(ctx: Context, person_id: str) -> ExportPayloadRow:
    if not (_is_admin(ctx) or "MANAGER" in ctx.viewer.roles):
        return {"export": None, "errors": _forbidden("only ADMIN and MANAGER export personal data")}
    out = await privacy.export_person(ctx.db, person_id, audit(ctx, "person.export"))
    if out is None:
        return {"export": None, "errors": _not_found(person_id)}
    return {"export": out, "errors": []}


async def erase_person(ctx: Context, person_id: str, reason: ErasureReason) -> ErasurePayloadRow:
    if not _is_admin(ctx):
        return {
            "personId": None,
            "outcome": None,
            "holds": [],
            "errors": _forbidden("only ADMIN erases personal data"),
        }
    outcome, holds = await privacy.erase_person(
        ctx.db, person_id, ErasureReason(reason.value), audit(ctx, "person.erase")
    )
    if outcome is None:
        return {"personId": None, "outcome": None, "holds": [], "errors": _not_found(person_id)}
    return {
        "personId": person_id,
        "outcome": outcome.value,
        "holds": [h.value for h in holds],
        "errors": [],
    }


async def set_data_retention(ctx: Context, data: dict[str, Any]) -> RetentionPayloadRow:
    if not _is_admin(ctx):
        return {"retention": None, "errors": _forbidden("only ADMIN sets legal holds")}
    errors = v.Errors()
    reason = v.text(
        errors, data.get("legalHoldReason"), "input.legalHoldReason", max_len=MAX_HOLD_REASON
    )
    if errors:
        return {"retention": None, "errors": errors}
    row, refusal = await privacy.set_retention(
        ctx.db,
        data["id"],
        bool(data["legalHold"]),
        reason,
        data.get("retentionUntil"),
        audit(ctx, "privacy.retention"),
    )
    if refusal is Refusal.NOT_FOUND or row is None:
        return {
            "retention": None,
            "errors": [
                payload_error(
                    ErrorCode.NOT_FOUND, f"no person or company with id {data['id']}", "input.id"
                )
            ],
        }
    return {"retention": row, "errors": []}
