"""Outreach (R26): e-mail and SMS templates in Chinese and English, batch sends to a list of
customers or a segment as rate-limited jobs, each message sent kept as an Interaction on the
customer's timeline, and the outbox of what the outbox channel 'sent' (resolvers/outreach.py
has the rules: variables, recipients, consent, at-most-once delivery)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import outreach as r
from resolvers.intelligence import RiskLevel
from resolvers.node import node
from resolvers.outreach import JobStatus, Locale, MessageStatus, OutreachChannel, SkipReason
from resolvers.outreach import TemplateRow as TemplateRowT
from resolvers.vocab import LifecycleStage, Tier
from schema.base import Info, input_mutation, optional, payload_type, vocab_enum
from schema.person import CustomerParty, Person

vocab_enum(OutreachChannel, "How an outreach message goes out.",
           {"EMAIL": "E-mail (邮件), over SMTP or into the outbox.",
            "SMS": "SMS (短信), into the outbox until an SMS provider is plugged in."})  # fmt: skip
vocab_enum(Locale, "A template's language.", {"ZH_CN": "简体中文 (zh-CN).", "EN": "English (en)."},
           name="TemplateLocale")  # fmt: skip
vocab_enum(JobStatus, "Where an outreach job stands.",
           {"RUNNING": "Messages are still PENDING or SENDING.",
            "DONE": "Every message has ended (SENT, FAILED, SKIPPED or UNKNOWN).",
            "CANCELLED": "Cancelled (`cancelOutreachJob`), and every message has ended: what "
                         "had not gone out is SKIPPED with reason CANCELLED."},
           name="OutreachJobStatus")  # fmt: skip
vocab_enum(MessageStatus, "Where one outreach message stands.",
           {"PENDING": "Waiting to be sent.",
            "SENDING": "Handed to the channel; the answer is awaited.",
            "SENT": "Accepted by the channel; an Interaction records it on the timeline.",
            "FAILED": "Refused by the channel; `reason` says why.",
            "SKIPPED": "Not sent: `reason` says why (consent, address, ...).",
            "UNKNOWN": "Interrupted while SENDING (a restart): never resent automatically; "
                       "check with the recipient."},
           name="OutreachMessageStatus")  # fmt: skip
vocab_enum(SkipReason, "Why a recipient was skipped (or a message ended UNKNOWN).",
           {"NO_CONSENT": "No MARKETING consent is recorded for the person.",
            "CONSENT_WITHDRAWN": "The person's newest MARKETING consent record withdraws it.",
            "CONSENT_EXPIRED": "The person's MARKETING consent has expired.",
            "ERASED": "The person was erased or is restricted.",
            "NO_ADDRESS": "No e-mail address (or mobile number) for the channel.",
            "BOUNCED": "The address bounced before (the person's emailStatus/mobileStatus).",
            "NOT_WORKING": "The channel was checked and found INVALID or WRONG_PERSON.",
            "NO_RECIPIENT": "A company without a current decision maker the sender sees.",
            "DUPLICATE": "The person is addressed already in this job, for another customer.",
            "RECENTLY_SENT": "Another job of this template addressed the person in the last "
                             "24 hours (queued, sent or maybe sent): one send never reaches "
                             "anyone twice, even when clicked twice.",
            "RENDER_FAILED": "The template failed for this recipient.",
            "NOT_PERMITTED": "When it was due the sender could no longer edit the customer.",
            "CANCELLED": "The job was cancelled (cancelOutreachJob) before it went out.",
            "INTERRUPTED": "The process stopped while the message was being sent."},
           name="OutreachSkipReason")  # fmt: skip

VARIABLES = [f"{k}.{f}" for k, fields in r.VARIABLES.items() for f in fields]


@strawberry.type(
    description="A message template (消息模板) for e-mail or SMS, in Chinese or English, shared by "
    "the whole team. Jinja2 syntax, sandboxed: `{{ contact.name }}` etc. (see `variables`)."
)
class MessageTemplate:
    id: strawberry.ID = strawberry.field(description="The template's id.")
    name: str = strawberry.field(description="Name, ≤ 100.")
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    locale: Locale = strawberry.field(description="zh-CN or en.")
    subject: str | None = strawberry.field(description="E-mail subject template; null for SMS.")
    body: str = strawberry.field(
        description="Body template: e-mail ≤ 10000, SMS ≤ 1000 characters; sent as plain text."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    createdBy: str = strawberry.field(description="Id of the user who created it.")
    createdAt: dt.datetime = strawberry.field(description="When it was created.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When it was archived; archived templates send nothing."
    )

    @strawberry.field(description="The variables every template may use.")
    def variables(self) -> list[str]:
        return VARIABLES


async def _party(info: Info, root: dict[str, Any], key: str) -> Any:
    value = root.get(key)
    return await node(info.context, value) if value else None


def _customer_field() -> Any:
    async def resolve(info: Info, root: strawberry.Parent[dict[str, Any]]) -> Any:
        return await _party(info, root, "customerId")

    return strawberry.field(
        resolver=resolve,
        graphql_type=CustomerParty | None,
        description="The customer, where the viewer sees it (batched per request).",
    )


def _person_field() -> Any:
    async def resolve(info: Info, root: strawberry.Parent[dict[str, Any]]) -> Any:
        return await _party(info, root, "personId")

    return strawberry.field(
        resolver=resolve,
        graphql_type=Person | None,
        description="The recipient, where the viewer sees them (batched per request).",
    )


@strawberry.type(
    description="One recipient of a send or a preview: who, whether they would be written to, "
    "and the text they would get."
)
class PlannedMessage:
    customerId: strawberry.ID = strawberry.field(description="The customer addressed.")
    personId: strawberry.ID | None = strawberry.field(
        description="The recipient; null for a company without a decision maker."
    )
    customer = _customer_field()
    person = _person_field()
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    willSend: bool = strawberry.field(description="Whether a message goes to them.")
    reason: SkipReason | None = strawberry.field(description="Why not, when not.")
    email: str | None = strawberry.field(description="The e-mail address, for EMAIL.")
    mobile: str | None = strawberry.field(description="The mobile number, for SMS.")
    subject: str | None = strawberry.field(description="Rendered subject (e-mail), if sent.")
    body: str | None = strawberry.field(description="Rendered text, if sent.")


@strawberry.type(description="A template rendered for one customer's recipients.")
class MessagePreview:
    templateId: strawberry.ID = strawberry.field(description="The template.")
    customerId: strawberry.ID = strawberry.field(description="The customer.")
    recipients: list[PlannedMessage] = strawberry.field(
        description="Each recipient (≤ 20 for a company), with why they would be skipped."
    )


@strawberry.type(description="How many messages of a job are in each state.")
class OutreachCounts:
    total: int = strawberry.field(description="All messages, skipped ones included.")
    pending: int = strawberry.field(description="Waiting.")
    sending: int = strawberry.field(description="Handed to the channel, answer awaited.")
    sent: int = strawberry.field(description="Sent.")
    failed: int = strawberry.field(description="Refused by the channel.")
    skipped: int = strawberry.field(description="Never sent (consent, address, ...).")
    unknown: int = strawberry.field(description="Interrupted while sending; to review.")


@strawberry.type(
    description="An outreach job (群发任务): one template sent to a set of customers, at most "
    "`ratePerMinute` messages a minute. Visible to its sender, their managers and roles that "
    "read everything."
)
class OutreachJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    status: JobStatus = strawberry.field(
        description="RUNNING, DONE or CANCELLED. A job cancelled while a message was being "
        "handed to the channel stays RUNNING until the channel answers."
    )
    templateId: strawberry.ID = strawberry.field(description="The template sent.")
    ratePerMinute: int = strawberry.field(description="Messages a minute, 1..6000.")
    createdBy: str = strawberry.field(description="Id of the sender.")
    createdAt: dt.datetime = strawberry.field(description="When it was created.")
    finishedAt: dt.datetime | None = strawberry.field(description="When it ended.")
    cancelledAt: dt.datetime | None = strawberry.field(
        description="When it was cancelled; null if it was not."
    )
    cancelledBy: str | None = strawberry.field(
        description="Id of the user who cancelled it; null if nobody did."
    )
    counts: OutreachCounts = strawberry.field(description="Messages per state.")

    @strawberry.field(
        description="The template (it may have changed since the job rendered it).",
        graphql_type=MessageTemplate | None,
    )
    async def template(
        self, info: Info, root: strawberry.Parent[dict[str, Any]]
    ) -> TemplateRowT | None:
        return await r.message_template(info.context, root["templateId"])


@strawberry.type(
    description="One message of a job, to one recipient at one customer; listed only where the "
    "viewer sees the customer."
)
class OutreachMessage:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    seq: int = strawberry.field(description="Its position in the job.")
    jobId: strawberry.ID = strawberry.field(description="The job.")
    status: MessageStatus = strawberry.field(description="Where it stands.")
    reason: SkipReason | None = strawberry.field(
        description="Why it was skipped (or is UNKNOWN); null otherwise."
    )
    failure: str | None = strawberry.field(description="The channel's answer, when FAILED.")
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    customerId: strawberry.ID = strawberry.field(description="The customer addressed.")
    personId: strawberry.ID | None = strawberry.field(description="The recipient.")
    customer: CustomerParty | None = strawberry.field(description="The customer.")
    person: Person | None = strawberry.field(description="The recipient, if visible.")
    email: str | None = strawberry.field(description="The address it went to (EMAIL).")
    mobile: str | None = strawberry.field(description="The number it went to (SMS).")
    subject: str | None = strawberry.field(description="Rendered subject (e-mail).")
    body: str | None = strawberry.field(description="Rendered text; null when skipped.")
    sendingAt: dt.datetime | None = strawberry.field(description="When it was handed over.")
    sentAt: dt.datetime | None = strawberry.field(description="When the channel took it.")
    recordId: strawberry.ID | None = strawberry.field(
        description="The Interaction on the customer's timeline, once SENT."
    )


@strawberry.type(
    description="What the outbox channel stored instead of sending (SMS by default; e-mail "
    "while SMTP is not configured). Listed where the viewer sees the customer."
)
class OutboxMessage:
    id: strawberry.ID = strawberry.field(description="The outreach message's id.")
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    email: str | None = strawberry.field(description="E-mail address (EMAIL).")
    mobile: str | None = strawberry.field(description="Mobile number (SMS).")
    subject: str | None = strawberry.field(description="Subject (e-mail).")
    body: str | None = strawberry.field(description="The text.")
    at: dt.datetime = strawberry.field(description="When it was stored.")
    jobId: strawberry.ID = strawberry.field(description="The job.")
    customerId: strawberry.ID = strawberry.field(description="The customer.")


@strawberry.input(
    description="Create a template (no id) or replace one's content (id and, best, "
    "expectedVersion). Checked at save: syntax, variables, unsafe access, a sample render."
)
class SaveMessageTemplateInput:
    id: strawberry.ID | None = optional("The template to change; omit to create.")
    expectedVersion: int | None = optional("When changing: CONFLICT if stale.")
    name: str = strawberry.field(description="≤ 100.")
    channel: OutreachChannel = strawberry.field(description="EMAIL or SMS.")
    locale: Locale = strawberry.field(description="ZH_CN or EN.")
    subject: str | None = optional("E-mail: required template, ≤ 200; SMS: none.")
    body: str = strawberry.field(description="Template text: e-mail ≤ 10000, SMS ≤ 1000.")


@strawberry.input(description="Archive a template: it stays listed with includeArchived.")
class ArchiveMessageTemplateInput:
    id: strawberry.ID = strawberry.field(description="The template.")
    expectedVersion: int | None = optional("CONFLICT if stale.")


@strawberry.input(
    description="Who to write to: a saved audience, `customers`, or a segment (any of the "
    "other fields, ANDed). Only customers you may edit are addressed; a segment is capped at "
    "2000 customers."
)
class OutreachAudienceInput:
    saved: strawberry.ID | None = optional(
        "A saved audience (`outreachAudiences`), resolved now; alone, without the fields below."
    )
    customers: list[strawberry.ID] | None = optional("Customers by id, ≤ 2000.")
    tiers: list[Tier] | None = optional("Value tiers (CORE, GENERAL, PROBLEM).")
    churnLevels: list[RiskLevel] | None = optional("Churn levels of the last scoring run.")
    lifecycleStages: list[LifecycleStage] | None = optional("Lifecycle stages.")
    customerClass: strawberry.ID | None = optional("A class id, `<dimension>:<key>`.")


@strawberry.type(
    description="A saved audience: a named filter (customers or a segment), resolved each time "
    "it is used, so a segment follows the scores."
)
class SavedAudience:
    id: strawberry.ID = strawberry.field(description="Audience id (UUID).")
    name: str = strawberry.field(description="Its name, ≤ 100.")
    customers: list[strawberry.ID] | None = strawberry.field(description="Customers by id.")
    tiers: list[Tier] | None = strawberry.field(description="Value tiers.")
    churnLevels: list[RiskLevel] | None = strawberry.field(description="Churn levels.")
    lifecycleStages: list[LifecycleStage] | None = strawberry.field(description="Lifecycle stages.")
    customerClass: strawberry.ID | None = strawberry.field(description="A class id.")
    createdBy: strawberry.ID = strawberry.field(description="Its creator (a user id).")
    createdAt: dt.datetime = strawberry.field(description="When it was created.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Starts at 1; +1 per save.")


@strawberry.input(description="Save a named audience (new without `id`).")
class SaveOutreachAudienceInput:
    id: strawberry.ID | None = optional("The audience to replace; omit to create one.")
    name: str = strawberry.field(description="≤ 100 characters.")
    audience: OutreachAudienceInput = strawberry.field(
        description="`customers` or a segment; not `saved`."
    )


@strawberry.input(description="Delete a saved audience.")
class DeleteOutreachAudienceInput:
    id: strawberry.ID = strawberry.field(description="The audience.")


@strawberry.input(description="Send a template to an audience as a job (or a dry run).")
class SendOutreachInput:
    template: strawberry.ID = strawberry.field(description="A template that is not archived.")
    audience: OutreachAudienceInput = strawberry.field(description="Who to write to.")
    ratePerMinute: int | None = optional("1..6000; CRM_OUTREACH_RATE_PER_MINUTE when omitted.")
    dryRun: bool | None = optional("True: list who would be addressed or skipped; no job.")


MessageTemplatePayload = payload_type(
    "MessageTemplatePayload",
    "Result of saveMessageTemplate or archiveMessageTemplate.",
    template=(MessageTemplate | None, "The template as stored; null when `errors` is not empty."),
)
SendOutreachPayload = payload_type(
    "SendOutreachPayload",
    "Result of sendOutreach.",
    job=(OutreachJob | None, "The job created; null on a dry run or when `errors` is not empty."),
    dryRun=(bool, "Whether this was a dry run (nothing written)."),
    customers=(int, "Customers addressed."),
    addressed=(int, "Recipients a message goes to."),
    skipped=(int, "Recipients skipped, each with a reason."),
    planned=(list[PlannedMessage], "Each recipient with its outcome, the first 500."),
)


@strawberry.input(description="The outreach job to stop.")
class CancelOutreachJobInput:
    id: strawberry.ID = strawberry.field(description="The job.")


CancelOutreachJobPayload = payload_type(
    "CancelOutreachJobPayload",
    "Result of cancelOutreachJob.",
    job=(OutreachJob | None, "The job after the cancel; null when `errors` is not empty."),
    cancelled=(int, "Messages that will not be sent now (they end SKIPPED, CANCELLED)."),
)


OutreachAudiencePayload = payload_type(
    "OutreachAudiencePayload",
    "Result of saveOutreachAudience.",
    audience=(SavedAudience | None, "The audience as saved; null when `errors` is not empty."),
)
DeleteOutreachAudiencePayload = payload_type(
    "DeleteOutreachAudiencePayload",
    "Result of deleteOutreachAudience.",
    id=(strawberry.ID | None, "The id deleted; null when `errors` is not empty."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="Saved audiences by name, at most 100: the viewer's, those of the users in "
        "their scope (a manager's team), or all for roles that read everything. One round trip.",
        graphql_type=list[SavedAudience],
    )
    async def outreachAudiences(self, info: Info) -> list[dict[str, Any]]:
        return await r.outreach_audiences(info.context)

    @strawberry.field(
        description="Message templates by name, at most 500; every signed-in viewer reads them.",
        graphql_type=list[MessageTemplate],
    )
    async def messageTemplates(
        self,
        info: Info,
        channel: Annotated[OutreachChannel | None, arg("Only this channel.")] = None,
        locale: Annotated[Locale | None, arg("Only this language.")] = None,
        includeArchived: Annotated[bool, arg("Also archived templates.")] = False,
    ) -> list[TemplateRowT]:
        return await r.message_templates(
            info.context,
            channel.value if channel else None,
            locale.value if locale else None,
            includeArchived,
        )

    @strawberry.field(
        description="A template rendered for each recipient of one customer you see, with who "
        "would be skipped and why. ADMIN, MANAGER and SALES. Sends nothing.",
        graphql_type=MessagePreview,
    )
    async def previewMessage(
        self,
        info: Info,
        templateId: Annotated[strawberry.ID, arg("The template.")],
        customerId: Annotated[strawberry.ID, arg("A customer you see.")],
    ) -> r.PreviewRow:
        return await r.preview_message(info.context, str(templateId), str(customerId))

    @strawberry.field(
        description="One outreach job, if visible to you: yours, your team's (as your team's "
        "accounts are: a team member's job, or a team below yours when you manage it), or any "
        "for roles that read everything. Its messages show only customers you see.",
        graphql_type=OutreachJob | None,
    )
    async def outreachJob(
        self, info: Info, id: Annotated[strawberry.ID, arg("The job.")]
    ) -> dict[str, Any] | None:
        return await r.outreach_job(info.context, str(id))

    @strawberry.field(
        description="Outreach jobs visible to you, newest first; `first` 1..500.",
        graphql_type=list[OutreachJob],
    )
    async def outreachJobs(
        self,
        info: Info,
        status: Annotated[JobStatus | None, arg("Only this status.")] = None,
        first: Annotated[int, arg("How many, 1..500.")] = 50,
    ) -> list[dict[str, Any]]:
        return await r.outreach_jobs(info.context, status.value if status else None, first)

    @strawberry.field(
        description="A visible job's messages in order, only those whose customer you see; "
        "`first` 1..500, continue with `after` = the last `seq`.",
        graphql_type=list[OutreachMessage],
    )
    async def outreachMessages(
        self,
        info: Info,
        jobId: Annotated[strawberry.ID, arg("The job.")],
        status: Annotated[MessageStatus | None, arg("Only this status.")] = None,
        first: Annotated[int, arg("How many, 1..500.")] = 100,
        after: Annotated[int | None, arg("After this `seq`.")] = None,
    ) -> list[dict[str, Any]]:
        return await r.outreach_messages(
            info.context, str(jobId), status.value if status else None, first, after
        )

    @strawberry.field(
        description="What the outbox channel stored, newest first, where you see the customer; "
        "`first` 1..500.",
        graphql_type=list[OutboxMessage],
    )
    async def outboxMessages(
        self,
        info: Info,
        channel: Annotated[OutreachChannel | None, arg("Only this channel.")] = None,
        jobId: Annotated[strawberry.ID | None, arg("Only this job's.")] = None,
        first: Annotated[int, arg("How many, 1..500.")] = 50,
    ) -> list[dict[str, Any]]:
        return await r.outbox_messages(
            info.context, channel.value if channel else None, str(jobId) if jobId else None, first
        )


@strawberry.type
class Mutation:
    saveMessageTemplate = input_mutation(
        SaveMessageTemplateInput,
        r.save_message_template,
        MessageTemplatePayload,
        "Create a template or replace one's content. ADMIN and MANAGER change any template, "
        "SALES their own. Template errors are VALIDATION at `input.body` / `input.subject`. "
        "Audited.",
    )
    archiveMessageTemplate = input_mutation(
        ArchiveMessageTemplateInput,
        r.archive_message_template,
        MessageTemplatePayload,
        "Archive a template: it sends nothing more; jobs already created keep their text. Same "
        "rights as saveMessageTemplate. Audited.",
    )
    saveOutreachAudience = input_mutation(
        SaveOutreachAudienceInput,
        r.save_outreach_audience,
        OutreachAudiencePayload,
        "Save a named audience to send to later (ADMIN, MANAGER, SALES); replacing one is for "
        "its creator or ADMIN. Audited.",
    )
    deleteOutreachAudience = input_mutation(
        DeleteOutreachAudienceInput,
        r.delete_outreach_audience,
        DeleteOutreachAudiencePayload,
        "Delete a saved audience (its creator or ADMIN); jobs sent to it keep their messages. "
        "Audited.",
    )
    cancelOutreachJob = input_mutation(
        CancelOutreachJobInput,
        r.cancel_outreach_job,
        CancelOutreachJobPayload,
        "Stop a RUNNING job: its messages not yet sent end SKIPPED (CANCELLED); one being "
        "handed to the channel at that moment still goes. The sender, or a MANAGER or ADMIN "
        "who sees the job (else FORBIDDEN); an unknown one gives NOT_FOUND. A finished job "
        "is returned as it is, with `cancelled` 0. One round trip, then one to read the job. "
        "Audited.",
    )
    sendOutreach = input_mutation(
        SendOutreachInput,
        r.send_outreach,
        SendOutreachPayload,
        "Send a template to customers you may edit, as a job (ADMIN, MANAGER, SALES): one "
        "message per recipient with consent, each SENT one an Interaction on the customer's "
        "timeline. `dryRun` lists who would be addressed or skipped and why. Audited.",
    )
