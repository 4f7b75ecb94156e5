"""Personal data (issue 12; PIPL, and GDPR for foreign contacts): consent, the data-subject
export, erasure and legal holds. Who may call each field is in its description."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import privacy as r
from resolvers.privacy import (
    ErasureOutcome,
    ErasurePayloadRow,
    ExportPayloadRow,
    Hold,
    ProcessingReason,
    ProcessingRow,
)
from resolvers.shapes import NodeRow
from resolvers.vocab import ConsentPurpose, ConsentSource, ErasureReason
from schema.base import ID_ARG, INPUT, Info, input_mutation, optional, payload_type, vocab_enum

if TYPE_CHECKING:
    from schema.person import Person

vocab_enum(ConsentPurpose, "Processing that needs the person's consent (处理目的).")
vocab_enum(ConsentSource, "How a consent or its withdrawal reached us (同意来源).")
vocab_enum(ErasureReason, "Why a person's data is erased (删除理由, PIPL art. 47).")


vocab_enum(
    ProcessingReason,
    "Why processing is or is not allowed.",
    {
        "GRANTED": "The newest record grants it and has not expired.",
        "NO_CONSENT": "Nothing is recorded for this purpose.",
        "WITHDRAWN": "The newest record withdraws it.",
        "EXPIRED": "The newest grant has expired.",
        "ERASED": "The person's data was erased.",
    },
)
vocab_enum(
    ErasureOutcome,
    "What an erasure did.",
    {
        "ERASED": "Personal values removed and the person anonymised.",
        "RESTRICTED": "A legal hold or retention period applies: the values stay stored, "
        "and the person is left out of every query, map and export.",
    },
)
vocab_enum(
    Hold,
    "A hold that turned an erasure into a restriction.",
    {
        "PERSON_LEGAL_HOLD": "The person is under legal hold.",
        "PERSON_RETENTION": "The person's retention period has not ended.",
        "EMPLOYER_LEGAL_HOLD": "An employer (current or past) is under legal hold.",
        "EMPLOYER_RETENTION": "An employer's retention period has not ended.",
    },
)


@strawberry.type(
    description="One consent record: a grant or a withdrawal for one purpose. Records are "
    "never changed; the newest per purpose decides."
)
class Consent:
    id: strawberry.ID = strawberry.field(description="Record id.")
    purpose: ConsentPurpose = strawberry.field(description="What processing it is about.")
    granted: bool = strawberry.field(description="True for a grant, false for a withdrawal.")
    source: ConsentSource = strawberry.field(description="How it reached us.")
    note: str | None = strawberry.field(
        description="Evidence reference, e.g. a form number; ≤ 500 characters."
    )
    at: dt.datetime = strawberry.field(description="When it was recorded.")
    by: str = strawberry.field(description="The user id that recorded it.")
    expiresAt: dt.datetime | None = strawberry.field(
        description="When a grant lapses; null for no expiry (and for withdrawals)."
    )


@strawberry.type(description="Whether a person may be processed for a purpose now.")
class ProcessingDecision:
    person: strawberry.ID = strawberry.field(description="The person.")
    purpose: ConsentPurpose = strawberry.field(description="The purpose asked about.")
    allowed: bool = strawberry.field(description="True only with a current, unexpired grant.")
    reason: ProcessingReason = strawberry.field(description="Why.")
    consent: Consent | None = strawberry.field(
        description="The newest record for this purpose; null when there is none."
    )


@strawberry.type(description="A person's or company's legal hold and retention period.")
class DataRetention:
    id: strawberry.ID = strawberry.field(description="The person or company.")
    label: str = strawberry.field(description="`Person` or `Company`.")
    legalHold: bool = strawberry.field(description="Under legal hold: erasure only restricts.")
    legalHoldReason: str | None = strawberry.field(description="Why, e.g. a case reference.")
    retentionUntil: dt.date | None = strawberry.field(
        description="Records must be kept until this date: erasure before it only restricts."
    )


@strawberry.input(description="Record that a person grants consent for a purpose.")
class RecordConsentInput:
    person: strawberry.ID = strawberry.field(description="The person.")
    purpose: ConsentPurpose = strawberry.field(description="The purpose.")
    source: ConsentSource = strawberry.field(description="How the consent reached us.")
    note: str | None = optional("Evidence reference, ≤ 500; no personal values.")
    expiresAt: dt.datetime | None = optional("When the grant lapses; in the future.")


@strawberry.input(description="Record that a person withdraws consent for a purpose.")
class WithdrawConsentInput:
    person: strawberry.ID = strawberry.field(description="The person.")
    purpose: ConsentPurpose = strawberry.field(description="The purpose.")
    source: ConsentSource = strawberry.field(description="How the withdrawal reached us.")
    note: str | None = optional("Evidence reference, ≤ 500; no personal values.")


@strawberry.input(description="The person whose data to export.")
class PersonalDataExportInput:
    person: strawberry.ID = strawberry.field(description="The person.")


@strawberry.input(description="Erase a person's personal data.")
class ErasePersonInput:
    person: strawberry.ID = strawberry.field(description="The person.")
    reason: ErasureReason = strawberry.field(description="The legal ground.")


@strawberry.input(description="Set a legal hold and retention period.")
class SetDataRetentionInput:
    id: strawberry.ID = strawberry.field(description="A person or a company (a customer).")
    legalHold: bool = strawberry.field(description="Under legal hold.")
    legalHoldReason: str | None = optional("Why, ≤ 200; no personal values.")
    retentionUntil: dt.date | None = optional("Keep records until this date; null for none.")


ConsentPayload = payload_type(
    "ConsentPayload",
    "Result of recordConsent or withdrawConsent.",
    consent=(Consent | None, "The new record; null when `errors` is not empty."),
)


PersonalDataExportPayload = payload_type(
    "PersonalDataExportPayload",
    "Result of personalDataExport.",
    export=(
        JSON | None,
        "Everything held about the person as one JSON document: `properties` "
        "(the ID number in full), `edges` (type, direction, properties, and the other end's "
        "id, label and name), `consents`, `stanceHistory`, `fieldHistory` (every earlier "
        "value of a tracked field, ID numbers in full), `auditEvents`, `mergedIds`; "
        "each list at most 5,000 (named in `truncated` when cut). Edges to records the "
        "caller cannot see are left out, so `complete` is true only for ADMIN.",
    ),
)


ErasurePayload = payload_type(
    "ErasurePayload",
    "Result of erasePerson.",
    personId=(strawberry.ID | None, "The person."),
    outcome=(ErasureOutcome | None, "ERASED or RESTRICTED; null when `errors` is not empty."),
    holds=(list[Hold], "The holds that restricted it, if any."),
)


DataRetentionPayload = payload_type(
    "DataRetentionPayload",
    "Result of setDataRetention.",
    retention=(
        DataRetention | None,
        "The hold and retention as stored; null when `errors` is not empty.",
    ),
)


@strawberry.type
class Query:
    @strawberry.field(
        description="May this person be processed for this purpose now (a current, "
        "unexpired grant)? Any viewer who sees the person; null when they do not (restricted "
        "persons included). One round trip. Features that process people for a purpose "
        "must ask first.",
        graphql_type=ProcessingDecision | None,
    )
    async def processingAllowed(
        self,
        info: Info,
        person: Annotated[strawberry.ID, ID_ARG],
        purpose: Annotated[ConsentPurpose, strawberry.argument(description="The purpose.")],
    ) -> ProcessingRow | None:
        return await r.processing_allowed(info.context, person, purpose)

    @strawberry.field(
        description="People with exactly this ID number (compared by keyed hash, never "
        "decrypted), as far as the viewer sees; at most 20. ADMIN and MANAGER only "
        "(FORBIDDEN otherwise).",
        graphql_type=list[Annotated["Person", strawberry.lazy("schema.person")]],
    )
    async def peopleByIdNumber(
        self,
        info: Info,
        idNumber: Annotated[str, strawberry.argument(description="1..40 characters.")],
    ) -> list[NodeRow]:
        return await r.people_by_id_number(info.context, idNumber)


@strawberry.type
class Mutation:
    recordConsent = input_mutation(
        RecordConsentInput,
        partial(r.record_consent, granted=True),
        ConsentPayload,
        "Record a consent grant (history kept). Whoever may edit the person "
        "(ADMIN: anyone); read-only roles get FORBIDDEN, an unseen person NOT_FOUND.",
    )
    withdrawConsent = input_mutation(
        WithdrawConsentInput,
        partial(r.record_consent, granted=False),
        ConsentPayload,
        "Record a consent withdrawal; processing for that purpose stops at once. "
        "Same callers as recordConsent.",
    )

    @strawberry.mutation(
        description="Everything held about a person, as machine-readable JSON in one call "
        "(data-subject access, PIPL art. 45 / GDPR art. 15), audited in the same "
        "transaction. ADMIN, or MANAGER for a person they see; never a restricted person "
        "(NOT_FOUND, as for any hidden person).",
        graphql_type=PersonalDataExportPayload,
    )
    async def personalDataExport(
        self, info: Info, input: Annotated[PersonalDataExportInput, INPUT]
    ) -> ExportPayloadRow:
        return await r.personal_data_export(info.context, input.person)

    @strawberry.mutation(
        description="Erase a person (ADMIN only): personal values removed, name replaced by "
        "a stable placeholder, KNOWS and RELATED_TO ties removed, while employment, "
        "reporting lines and project roles stay. Under a legal hold or retention period "
        "(person or employer) the person is RESTRICTED instead: stored, never processed. "
        "Audited without values.",
        graphql_type=ErasurePayload,
    )
    async def erasePerson(
        self, info: Info, input: Annotated[ErasePersonInput, INPUT]
    ) -> ErasurePayloadRow:
        return await r.erase_person(info.context, input.person, input.reason)

    setDataRetention = input_mutation(
        SetDataRetentionInput,
        r.set_data_retention,
        DataRetentionPayload,
        "Set the legal hold and retention period of a person or company (ADMIN only). Audited.",
    )
