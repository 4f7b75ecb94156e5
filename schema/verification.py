"""Contact-channel verification and freshness, and data quality (R19).

Every phone, e-mail and address of a company or person has a verification status with its
date, method and author; freshness rules (data, kept by ADMIN) say how long a VERIFIED status
stays valid. Profiles and lists flag stale and invalid channels (`channels`, `dataQuality` on
Company and Person); `dataQualityReport` sums them up per owner, team or source.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import verification as r
from resolvers.verification import Flag, Holder, QualityDimension
from resolvers.vocab import ContactField, VerificationMethod, VerificationStatus
from schema.base import ID_ARG, Info, input_mutation, payload_type, vocab_enum

vocab_enum(
    ContactField,
    "A contact channel of a company (PHONE, FAX, ADDRESS) or a person (MOBILE, OFFICE_PHONE, "
    "EMAIL).",
    {
        "PHONE": "Company main phone.",
        "FAX": "Company fax.",
        "ADDRESS": "Company registered address.",
        "MOBILE": "Person's mobile phone.",
        "OFFICE_PHONE": "Person's office phone.",
        "EMAIL": "Person's e-mail address.",
    },
)
vocab_enum(
    VerificationStatus,
    "What the last check of a channel found.",
    {
        "UNVERIFIED": "Never checked, or its value changed since the last check.",
        "VERIFIED": "Checked and working: it reaches the right party.",
        "INVALID": "Not a working number or address.",
        "NO_ANSWER": "Tried; nobody answered. Phones, fax and mobile only.",
        "BOUNCED": "Mail or SMS refused by the provider. E-mail and mobile only.",
        "WRONG_PERSON": "Works, but reaches someone else.",
    },
)
vocab_enum(
    VerificationMethod,
    "How a verification status was established.",
    {
        "CALL": "A phone call.",
        "SMS": "A text message answered.",
        "EMAIL": "An e-mail answered.",
        "VISIT": "A visit.",
        "DOCUMENT": "A document: business licence, credit report, letter.",
        "IMPORT": "A file of call or mail results.",
        "SMTP_REJECT": "An outreach e-mail the mail server refused.",
        "OTHER": "Another way; say which in the note.",
    },
)
vocab_enum(
    Flag,
    "A channel's state today.",
    {
        "OK": "Verified and within its validity.",
        "STALE": "Verified longer ago than `verificationRules` allow.",
        "NEVER_VERIFIED": "Has a value nobody has checked.",
        "NO_ANSWER": "The last check found nobody answering.",
        "INVALID": "The last check found it INVALID, BOUNCED or WRONG_PERSON.",
        "EMPTY": "No value.",
    },
    name="ChannelFlag",
)
vocab_enum(
    Holder,
    "A kind of record with contact channels.",
    {"COMPANY": "A company.", "PERSON": "A person."},
    name="ChannelHolder",
)
vocab_enum(
    QualityDimension,
    "How `dataQualityReport` groups customers.",
    {
        "OWNER": "By current owner (null: unowned).",
        "TEAM": "By the owner's team code.",
        "SOURCE": "By `externalSource` (null: entered by hand).",
    },
)


@strawberry.type(description="A contact channel's verification (R19). The value is not shown.")
class ChannelVerification:
    field: ContactField = strawberry.field(description="The channel.")
    present: bool = strawberry.field(description="Whether the record has a value for it.")
    status: VerificationStatus | None = strawberry.field(
        description="The last check's finding; UNVERIFIED for a value never checked; null "
        "without a value."
    )
    at: dt.datetime | None = strawberry.field(description="When it was checked.")
    by: strawberry.ID | None = strawberry.field(
        description="Who recorded it: a user id, or `system:cli:import-verifications` for a file "
        "imported with the CLI.",
    )
    method: VerificationMethod | None = strawberry.field(description="How it was checked.")
    validUntil: dt.date | None = strawberry.field(
        description="Last day a VERIFIED status counts as fresh under the rules."
    )
    flag: Flag = strawberry.field(description="Its state today.")


@strawberry.type(description="A record's data quality (R19).")
class DataQuality:
    score: int = strawberry.field(
        description="0-100: the mean worth of the channels a file should have checked "
        "(company: phone, address; person: mobile, email); OK 1, STALE 0.5, NEVER_VERIFIED "
        "0.3, NO_ANSWER 0.1, INVALID or EMPTY 0."
    )
    reachable: bool = strawberry.field(
        description="A reaching channel (phone, mobile, office phone, e-mail) is OK; for a "
        "company, its own phone or a current contact's."
    )
    neverVerified: list[ContactField] = strawberry.field(
        description="Channels with a value never checked."
    )
    stale: list[ContactField] = strawberry.field(description="Channels verified too long ago.")
    invalid: list[ContactField] = strawberry.field(
        description="Channels found INVALID, BOUNCED or WRONG_PERSON."
    )


@strawberry.type(description="How long a VERIFIED status stays fresh for one channel.")
class VerificationRule:
    label: Holder = strawberry.field(description="Company or person.")
    field: ContactField = strawberry.field(description="The channel.")
    days: int = strawberry.field(description="Days of validity, 1..3660.")


@strawberry.type(description="The freshness rules (data, kept by ADMIN).")
class VerificationRules:
    version: int = strawberry.field(description="0: the defaults.")
    rules: list[VerificationRule] = strawberry.field(description="One per label and channel.")


@strawberry.type(description="One recorded check of a channel, as it was entered.")
class VerificationEvent:
    id: strawberry.ID = strawberry.field(description="Check id (UUID).")
    field: ContactField = strawberry.field(description="The channel.")
    status: VerificationStatus = strawberry.field(description="What the check found.")
    method: VerificationMethod = strawberry.field(description="How.")
    note: str | None = strawberry.field(
        description="The checker's note: free text about whom they reached, so null for a "
        "role that reads no personal data (ANALYST), and emptied when a person is erased."
    )
    at: dt.datetime = strawberry.field(description="When the check happened.")
    by: strawberry.ID = strawberry.field(
        description="Who recorded it: a user id, or `system:cli:import-verifications` for a file "
        "imported with the CLI.",
    )
    recordedAt: dt.datetime = strawberry.field(description="When it was recorded.")
    mergedFrom: strawberry.ID | None = strawberry.field(
        description="The merged record whose channel was checked, when the check came to "
        "this record with a merge: it was about that record's value, which this one may "
        "not have. Null for the record's own checks."
    )


@strawberry.type(description="Data quality of one group of customers.")
class DataQualityGroup:
    key: str | None = strawberry.field(
        description="Owner id, team code or source; null: unowned or entered by hand."
    )
    name: str | None = strawberry.field(description="The owner's name, or the key.")
    customers: int = strawberry.field(description="Customers in the group.")
    reachable: int = strawberry.field(description="Of them, reachable.")
    reachableShare: float = strawberry.field(description="reachable / customers.")
    averageScore: float = strawberry.field(
        description="Mean data-quality score, rounded to one decimal (16.67 is 16.7)."
    )
    neverVerified: int = strawberry.field(description="Channels with a value never checked.")
    stale: int = strawberry.field(description="Channels verified too long ago.")
    invalid: int = strawberry.field(description="Channels found not working.")


@strawberry.type(description="The data-quality report over the customers the viewer sees.")
class DataQualityReport:
    by: QualityDimension = strawberry.field(description="The grouping.")
    groups: list[DataQualityGroup] = strawberry.field(description="Largest group first.")
    customers: int = strawberry.field(description="Customers counted.")
    reachableShare: float = strawberry.field(description="Share of them reachable.")
    truncated: bool = strawberry.field(
        description="More than 50,000 customers: only the first were counted."
    )


@strawberry.input(description="One check of a channel.")
class ChannelCheckInput:
    id: strawberry.ID = strawberry.field(description="A company or person you may edit.")
    field: ContactField = strawberry.field(description="One of its channels.")
    status: VerificationStatus = strawberry.field(description="What the check found.")
    method: VerificationMethod = strawberry.field(description="How it was checked.")
    note: str | None = strawberry.field(default=strawberry.UNSET, description="≤ 500.")
    at: dt.datetime | None = strawberry.field(
        default=strawberry.UNSET,
        description="When it happened (with offset), not in the future nor before 1990; "
        "default now. An older "
        "check than the current status joins the history without replacing it.",
    )


@strawberry.input(description="Checks to record, e.g. a morning's call results.")
class VerifyChannelsInput:
    checks: list[ChannelCheckInput] = strawberry.field(description="1..500 checks.")


VerifyChannelsPayload = payload_type(
    "VerifyChannelsPayload",
    "Result of verifyChannels: each check is recorded or refused for its record alone; "
    "invalid input refuses the whole batch.",
    verifications=(
        list[strawberry.ID | None],
        "Per check, in order: the recorded check's id, or null when refused (see errors, whose "
        "field is `input.checks[<index>]` or one of its fields, e.g. `input.checks[1].at`).",
    ),
)


@strawberry.input(description="One freshness rule to set.")
class VerificationRuleInput:
    label: Holder = strawberry.field(description="Company or person.")
    field: ContactField = strawberry.field(description="One of its channels.")
    days: int = strawberry.field(description="1..3660.")


@strawberry.input(description="Rules to change; the others stay.")
class SaveVerificationRulesInput:
    rules: list[VerificationRuleInput] = strawberry.field(description="Rules to set.")
    expectedVersion: int | None = strawberry.field(
        default=strawberry.UNSET, description="Refused with CONFLICT when the rules moved."
    )


VerificationRulesPayload = payload_type(
    "VerificationRulesPayload",
    "Result of saveVerificationRules.",
    rules=(VerificationRules | None, "The rules as saved."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="The freshness rules (every signed-in role reads them). One round trip.",
        graphql_type=VerificationRules,
    )
    async def verificationRules(self, info: Info) -> dict[str, Any]:
        return await r.rules(info.context)

    @strawberry.field(
        description="The recorded checks of a company's or person's channels, newest first; "
        "empty when the record is not visible. One round trip.",
        graphql_type=list[VerificationEvent],
    )
    async def verificationHistory(
        self,
        info: Info,
        id: Annotated[strawberry.ID, ID_ARG],
        field: Annotated[ContactField | None, arg("Only this channel.")] = None,
        first: Annotated[int, arg("1..100 (default 20).")] = 20,
    ) -> Any:
        return await r.history(info.context, str(id), field, first)

    @strawberry.field(
        description="Data quality per owner, team or source (R19) over the customers the "
        "viewer sees (at most 50,000): how many are reachable, their mean score, and the "
        "channels never verified, stale or invalid. One round trip (two with the rules).",
        graphql_type=DataQualityReport,
    )
    async def dataQualityReport(
        self, info: Info, by: Annotated[QualityDimension, arg("The grouping.")]
    ) -> dict[str, Any]:
        return await r.report(info.context, by)


@strawberry.type
class Mutation:
    verifyChannels = input_mutation(
        VerifyChannelsInput,
        r.verify,
        VerifyChannelsPayload,
        "Record checks of contact channels (call and mail results): per check, a status with "
        "its date, method and author, and the history entry. Whoever may edit the record. "
        "A check whose record is missing, not editable or has no such channel is refused "
        "alone; invalid input (a date in the future or without offset, a note too long) "
        "refuses the whole batch before anything is written. One audit event per check (no "
        "values). Recording a status is not an edit: the record's version stays.",
    )
    saveVerificationRules = input_mutation(
        SaveVerificationRulesInput,
        r.save_rules,
        VerificationRulesPayload,
        "Change how long a VERIFIED status stays fresh per channel (ADMIN). Audited.",
    )
