"""Records over time (R11-R13): interactions, orders, payments, deliveries, service cases,
surveys, contracts, visit plans and marketing activities; the timeline, follow-ups, the
product catalogue and the computed customer figures (R9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from resolvers import records as r
from resolvers.records import FollowUpRow, ProductRow, RecordRow
from resolvers.shapes import ConnectionOf
from resolvers.vocab import (
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
from schema.base import (
    ID_ARG,
    Info,
    input_mutation,
    optional,
    page_type,
    payload_type,
    vocab_enum,
)
from schema.base import wants_total as _wants_total
from schema.common import typename_is
from schema.company import Company
from schema.person import CustomerParty, Person
from schema.project import Project
from schema.user import User

vocab_enum(RecordKind, "Kinds of customer record (R11-R13).", name="RecordKind")
vocab_enum(Channel, "How an interaction happened.", name="InteractionChannel")
vocab_enum(Direction, "Who started an interaction.", name="InteractionDirection")
vocab_enum(ServiceCategory, "Service request, complaint or feedback.")
vocab_enum(Severity, "How serious a service case is.")
vocab_enum(CaseStatus, "Where a service case stands.", name="ServiceCaseStatus")
vocab_enum(ContractStatus, "Where a contract stands.")
vocab_enum(PlanStatus, "Where a visit plan stands.", name="VisitPlanStatus")
vocab_enum(FollowUpStatus, "Whether a follow-up is still to do.")


def money(key: str, description: str) -> Any:
    """A Decimal read from the integer cents the row stores under `key`."""

    def amount(root: strawberry.Parent[dict[str, Any]]) -> Decimal | None:
        value = root.get(key)
        return None if value is None else Decimal(value) / 100

    return strawberry.field(resolver=amount, description=description)


@strawberry.type(description="A product in the catalogue (产品目录), which order lines point at.")
class Product:
    id: strawberry.ID = strawberry.field(description="The product's id.")
    sku: str = strawberry.field(description="Stock-keeping unit, unique, ≤ 64.")
    name: str = strawberry.field(description="Name, ≤ 200.")
    category: str | None = strawberry.field(description="Product line or category, ≤ 100.")
    unit: str | None = strawberry.field(description="Unit of sale (台, 套, kg …), ≤ 20.")
    description: str | None = strawberry.field(description="≤ 2000.")
    currency: str | None = strawberry.field(description="Currency of the list price.")
    listPrice = money("listPriceCents", "List price per unit.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When it left the catalogue; archived products take no new order lines."
    )


@strawberry.type(description="A follow-up (待跟进事项): the next step agreed in an interaction.")
class FollowUp:
    id: strawberry.ID = strawberry.field(description="The follow-up's id.")
    action: str | None = strawberry.field(
        description="What is to be done, ≤ 500; null for roles that do not read personal data."
    )
    dueAt: dt.datetime = strawberry.field(description="When it is due.")
    status: FollowUpStatus = strawberry.field(description="OPEN, DONE or CANCELLED.")
    version: int = strawberry.field(description="Pass as `expectedVersion` to closeFollowUp.")
    closedAt: dt.datetime | None = strawberry.field(description="When it was closed.")
    outcome: str | None = strawberry.field(description="What came of it, as written on close.")
    customer: CustomerParty | None = strawberry.field(description="The customer it concerns.")
    assignee: User | None = strawberry.field(description="Who is to do it.")

    @strawberry.field(
        description="The interaction it came from (batched: one round trip per request).",
        graphql_type=Annotated["CustomerRecord", strawberry.lazy("schema.records")] | None,
    )
    async def record(self, info: Info, root: strawberry.Parent[FollowUpRow]) -> RecordRow | None:
        return await r.record(info.context, root["recordId"]) if root["recordId"] else None


@strawberry.interface(
    description="A customer record (客户记录): something that happened with a customer, kept "
    "over time. Linked to its customer, the customer's people who took part, our staff and a "
    "project. Records are never deleted: voidRecord marks them with a reason."
)
class CustomerRecord:
    id: strawberry.ID = strawberry.field(description="The record's id.")
    kind: RecordKind = strawberry.field(description="What kind of record this is.")
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    occurredAt: dt.datetime = strawberry.field(
        description="When it happened (for a visit plan: when it is planned)."
    )
    subject: str | None = strawberry.field(description="Subject line, ≤ 200.")
    notes: str | None = strawberry.field(description="Free text, ≤ 5000.")
    externalSource: str | None = strawberry.field(description="Source system of `externalId`.")
    externalId: str | None = strawberry.field(description="Id in the source system.")
    createdAt: dt.datetime = strawberry.field(description="When it was recorded.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")
    voidedAt: dt.datetime | None = strawberry.field(
        description="When it was voided; voided records count in no figure."
    )
    voidReason: str | None = strawberry.field(description="Why it was voided.")
    customer: CustomerParty | None = strawberry.field(
        description="The customer (a Company or a Person) the record is about."
    )
    contacts: list[Person] = strawberry.field(
        description="The people on the customer's side who took part (its contacts, or a "
        "partner's), those the viewer may see; ≤ 20."
    )
    staff: list[User] = strawberry.field(description="Our staff who took part; ≤ 10.")
    project: Project | None = strawberry.field(description="The project it belongs to.")
    employer: Company | None = strawberry.field(
        description="In a person's timeline: the company the person worked at when it "
        "happened; null elsewhere."
    )


@strawberry.type(
    description="A communication (沟通记录, R11): call, e-mail, meeting, visit or message."
)
class Interaction(CustomerRecord):
    channel: Channel = strawberry.field(description="How it happened.")
    direction: Direction = strawberry.field(description="Who started it.")
    durationMinutes: int | None = strawberry.field(description="How long, 0..1440 minutes.")
    agreement: str | None = strawberry.field(description="What was agreed, ≤ 2000.")
    followUps: list[FollowUp] = strawberry.field(description="The next step agreed, if any.")
    is_type_of = typename_is("Interaction")


@strawberry.type(description="An order line: a product, how many, at what price.")
class OrderLine:
    position: int = strawberry.field(description="1-based position in the order.")
    product: Product = strawberry.field(description="The product.")
    quantity: float = strawberry.field(description="How many units (≤ 3 decimals).")
    unitPrice = money("unitPriceCents", "Price per unit, in the order's currency.")
    amount = money("amountCents", "quantity × unit price, rounded half up to cents.")


@strawberry.type(description="The order a payment or a delivery is against.")
class OrderRef:
    id: strawberry.ID = strawberry.field(description="The order's id.")
    orderNo: str | None = strawberry.field(description="The order number.")
    currency: str = strawberry.field(description="Its currency.")
    amount = money("amountCents", "Its total.")


@strawberry.type(description="A purchase (订单, R12) with its lines.")
class Order(CustomerRecord):
    orderNo: str | None = strawberry.field(description="Order number, ≤ 100.")
    currency: str = strawberry.field(description="ISO 4217 code of every amount in it.")
    amount = money("amountCents", "Sum of the lines.")
    quantity: float = strawberry.field(description="Sum of the lines' quantities.")
    paymentDueOn: dt.date | None = strawberry.field(
        description="When payment is due; unpaid after it counts as overdue."
    )

    @strawberry.field(description="The lines, in order; ≤ 100.")
    def lines(self, root: strawberry.Parent[RecordRow]) -> list[OrderLine]:
        items: list[Any] = sorted(root["lines"], key=lambda x: x["position"])
        return items

    is_type_of = typename_is("Order")


@strawberry.type(description="A payment received against an order (收款, R12).")
class Payment(CustomerRecord):
    currency: str = strawberry.field(description="Must be the order's currency.")
    amount = money("amountCents", "How much was paid.")
    method: str | None = strawberry.field(description="Bank transfer, cheque, …; ≤ 100.")
    order: OrderRef | None = strawberry.field(description="The order it pays.")
    is_type_of = typename_is("Payment")


@strawberry.type(description="A delivery against an order (发货, R12).")
class Delivery(CustomerRecord):
    trackingNo: str | None = strawberry.field(description="Waybill or tracking number.")
    complete: bool = strawberry.field(description="Whether it completes the order.")
    order: OrderRef | None = strawberry.field(description="The order it delivers.")
    is_type_of = typename_is("Delivery")


@strawberry.type(description="A service request, complaint or feedback (服务记录/投诉, R13).")
class ServiceCase(CustomerRecord):
    category: ServiceCategory = strawberry.field(description="Request, complaint or feedback.")
    severity: Severity = strawberry.field(description="How serious.")
    status: CaseStatus = strawberry.field(description="Where it stands.")
    resolution: str | None = strawberry.field(description="How it was resolved, ≤ 2000.")
    resolvedAt: dt.datetime | None = strawberry.field(description="When it was resolved.")
    resolutionHours: float | None = strawberry.field(
        description="Hours from opening (`occurredAt`) to `resolvedAt`."
    )
    is_type_of = typename_is("ServiceCase")


@strawberry.type(description="One question of a survey with its answer.")
class SurveyAnswer:
    question: str = strawberry.field(description="≤ 300.")
    answer: str | None = strawberry.field(description="≤ 1000.")


@strawberry.type(description="A satisfaction survey answer (满意度调查, R13).")
class Survey(CustomerRecord):
    score: int = strawberry.field(description="Overall satisfaction, 1 (poor) .. 5 (excellent).")

    @strawberry.field(
        description="The questions and answers, ≤ 50; null for roles that do not read "
        "personal data."
    )
    def answers(self, root: strawberry.Parent[RecordRow]) -> list[SurveyAnswer] | None:
        return [
            SurveyAnswer(question=a["question"], answer=a.get("answer"))
            for a in r.survey_answers(root)
        ]

    is_type_of = typename_is("Survey")


@strawberry.type(description="A contract with the customer (合同, R13).")
class Contract(CustomerRecord):
    contractNo: str | None = strawberry.field(description="Contract number, ≤ 100.")
    title: str = strawberry.field(description="Title, ≤ 200.")
    startsOn: dt.date | None = strawberry.field(description="First day in force.")
    endsOn: dt.date | None = strawberry.field(description="Last day in force.")
    currency: str | None = strawberry.field(description="Currency of the amount.")
    amount = money("amountCents", "Contract value.")
    status: ContractStatus = strawberry.field(description="Draft, active, expired, terminated.")
    is_type_of = typename_is("Contract")


@strawberry.type(description="A planned visit (拜访计划, R13); `occurredAt` is when it is planned.")
class VisitPlan(CustomerRecord):
    purpose: str | None = strawberry.field(
        description="What the visit is for, ≤ 500. Free text naming whom it is to see: null "
        "for a role that reads no personal data (ANALYST), and once they are erased."
    )
    status: PlanStatus = strawberry.field(description="Planned, done or cancelled.")
    is_type_of = typename_is("VisitPlan")


@strawberry.type(description="A marketing activity the customer took part in (营销活动, R13).")
class MarketingActivity(CustomerRecord):
    campaign: str = strawberry.field(description="The campaign or event, ≤ 200.")
    channel: str | None = strawberry.field(description="Trade fair, e-mail, seminar …; ≤ 100.")
    response: str | None = strawberry.field(description="How the customer responded, ≤ 500.")
    is_type_of = typename_is("MarketingActivity")


RECORD_TYPES = (
    Interaction,
    Order,
    Payment,
    Delivery,
    ServiceCase,
    Survey,
    Contract,
    VisitPlan,
    MarketingActivity,
)


# --- Pages ------------------------------------------------------------------------------------
CustomerRecordConnection = page_type(
    CustomerRecord, "CustomerRecord", "A record", "records, newest first", "The record."
)
FollowUpConnection = page_type(
    FollowUp, "FollowUp", "A follow-up", "follow-ups, soonest due first", "The follow-up."
)
ProductConnection = page_type(Product, "Product", "A product", "products, by name", "The product.")


# --- Computed figures -------------------------------------------------------------------------
@strawberry.type(
    description="Purchases within a window of business days (China time) before today."
)
class PurchaseWindow:
    days: int | None = strawberry.field(description="30, 90 or 365; null: all time.")
    orders: int = strawberry.field(description="How many orders.")
    amount: Decimal = strawberry.field(description="Their total.")
    quantity: float = strawberry.field(description="Units bought.")
    averagePrice: Decimal | None = strawberry.field(
        description="amount ÷ quantity over every line, whatever its product or unit: a price "
        "per unit only where the customer buys one product (per product: "
        "`purchasePreferences`); null without units."
    )


@strawberry.type(
    description="A customer's purchases in one currency, up to now: an order dated ahead "
    "counts once its time has come."
)
class PurchaseFigures:
    currency: str = strawberry.field(description="ISO 4217 code of the figures.")
    orders: int = strawberry.field(description="Orders, all time (voided ones left out).")
    firstOrderAt: dt.datetime | None = strawberry.field(description="The first order.")
    lastOrderAt: dt.datetime | None = strawberry.field(description="The latest order.")
    meanDaysBetweenOrders: float | None = strawberry.field(
        description="(last − first) ÷ (orders − 1), in days of exact time (two orders an hour "
        "apart: 0.0; the churn signal and `purchasePreferences` count business days "
        "instead); null below two orders."
    )
    windows: list[PurchaseWindow] = strawberry.field(
        description="Last 30, 90 and 365 days, then all time."
    )
    receivable: Decimal = strawberry.field(
        description="Ordered but not yet paid (the payments against each order up to now "
        "subtracted; one dated ahead counts once its time has come)."
    )
    overdue: Decimal = strawberry.field(description="Receivable past the orders' due dates.")
    overpaid: Decimal = strawberry.field(
        description="Paid beyond the orders' amounts (each order's payments up to now less its "
        "amount, where more): a credit the receivable does not net off."
    )


@strawberry.type(
    description="System-generated figures (系统生成信息, R9): computed from the records on "
    "every read, so they are exact after every write; never typed by hand."
)
class CustomerFigures:
    purchases: list[PurchaseFigures] = strawberry.field(
        description="Purchases per currency, the busiest currency first."
    )
    lastInteractionAt: dt.datetime | None = strawberry.field(
        description="The latest interaction up to now."
    )
    lastInteractionChannel: Channel | None = strawberry.field(description="Its channel.")
    nextVisitAt: dt.datetime | None = strawberry.field(description="The next planned visit.")
    openFollowUps: int = strawberry.field(description="Follow-ups still open.")
    overdueFollowUps: int = strawberry.field(description="Open follow-ups past due.")
    openComplaints: int = strawberry.field(description="Complaints open or in progress.")
    meanSatisfaction: float | None = strawberry.field(description="Mean survey score, 1..5.")
    surveys: int = strawberry.field(description="How many survey answers.")


# --- Inputs -----------------------------------------------------------------------------------
@strawberry.input(description="The next step agreed in an interaction: becomes a FollowUp.")
class NextStepInput:
    action: str | None = strawberry.field(
        description="What is to be done, ≤ 500; null for roles that do not read personal data."
    )
    dueAt: dt.datetime = strawberry.field(
        description="When, with an offset; not before the interaction."
    )
    assignee: strawberry.ID | None = optional("Who does it; default the first staff member.")


@strawberry.input(description="An interaction's own fields.")
class InteractionInput:
    channel: Channel = strawberry.field(description="How it happened.")
    direction: Direction | None = optional("Who started it; OUTBOUND when omitted.")
    durationMinutes: int | None = optional("0..1440.")
    agreement: str | None = optional("What was agreed, ≤ 2000.")
    nextStep: NextStepInput | None = optional("The next step, with its due date.")


@strawberry.input(description="An order line.")
class OrderLineInput:
    product: strawberry.ID = strawberry.field(description="An active product of the catalogue.")
    quantity: Decimal = strawberry.field(description="> 0, ≤ 3 decimals.")
    unitPrice: Decimal = strawberry.field(description="≥ 0, ≤ 2 decimals.")
    currency: str | None = optional("Optional; must be the order's currency if given.")


@strawberry.input(description="An order's own fields.")
class OrderInput:
    currency: str = strawberry.field(
        description="ISO 4217 code, e.g. CNY. An order with payments keeps their currency "
        "(VALIDATION here until they are voided)."
    )
    lines: list[OrderLineInput] = strawberry.field(description="1..100 lines.")
    orderNo: str | None = optional("Order number, ≤ 100.")
    paymentDueOn: dt.date | None = optional(
        "When payment is due: not before the order's business day (VALIDATION)."
    )


@strawberry.input(description="A payment's own fields.")
class PaymentInput:
    order: strawberry.ID = strawberry.field(description="The order paid (same customer).")
    amount: Decimal = strawberry.field(description="> 0, ≤ 2 decimals.")
    currency: str = strawberry.field(description="Must be the order's currency.")
    method: str | None = optional("≤ 100.")


@strawberry.input(description="A delivery's own fields.")
class DeliveryInput:
    order: strawberry.ID = strawberry.field(description="The order delivered (same customer).")
    trackingNo: str | None = optional("≤ 100.")
    complete: bool | None = optional("Whether it completes the order (default true).")


@strawberry.input(description="A service case's own fields.")
class ServiceCaseInput:
    category: ServiceCategory = strawberry.field(description="Request, complaint or feedback.")
    severity: Severity | None = optional("MEDIUM when omitted.")
    status: CaseStatus | None = optional("OPEN when omitted.")
    resolution: str | None = optional("≤ 2000.")
    resolvedAt: dt.datetime | None = optional("Not before `occurredAt`; only once resolved.")


@strawberry.input(description="A survey question with its answer.")
class SurveyAnswerInput:
    question: str = strawberry.field(description="≤ 300.")
    answer: str | None = optional("≤ 1000.")


@strawberry.input(description="A survey's own fields.")
class SurveyInput:
    score: int = strawberry.field(description="1..5.")
    answers: list[SurveyAnswerInput] | None = optional("≤ 50.")


@strawberry.input(description="A contract's own fields.")
class ContractInput:
    title: str = strawberry.field(description="≤ 200.")
    contractNo: str | None = optional("≤ 100.")
    startsOn: dt.date | None = optional("First day in force.")
    endsOn: dt.date | None = optional("Last day; not before `startsOn`.")
    amount: Decimal | None = optional("Contract value, > 0, ≤ 2 decimals; needs `currency`.")
    currency: str | None = optional("ISO 4217.")
    status: ContractStatus | None = optional("ACTIVE when omitted.")


@strawberry.input(description="A visit plan's own fields.")
class VisitPlanInput:
    purpose: str = strawberry.field(description="≤ 500.")
    status: PlanStatus | None = optional("PLANNED when omitted.")


@strawberry.input(description="A marketing activity's own fields.")
class MarketingActivityInput:
    campaign: str = strawberry.field(description="≤ 200.")
    channel: str | None = optional("≤ 100.")
    response: str | None = optional("≤ 500.")


@strawberry.input(
    description="Save a record: give the common fields and exactly one kind's section. With "
    "`externalSource` + `externalId` it is an upsert (the same key again replaces the content; "
    "identical content changes nothing); with `id` it replaces that record's content."
)
class SaveRecordInput:
    customer: strawberry.ID = strawberry.field(
        description="A company or person with a customer profile that you may edit."
    )
    occurredAt: dt.datetime = strawberry.field(
        description="When it happened, with an offset; from 1900 to 20 years ahead."
    )
    id: strawberry.ID | None = optional(
        "Replace this record (same kind and customer; its external key stays)."
    )
    expectedVersion: int | None = optional(
        "Required with `id`; optional with an external key: CONFLICT if stale."
    )
    externalSource: str | None = optional("Source system, ≤ 100 (with externalId).")
    externalId: str | None = optional("Id in the source system, ≤ 200.")
    subject: str | None = optional("≤ 200.")
    notes: str | None = optional("≤ 5000.")
    contacts: list[strawberry.ID] | None = optional(
        "People on the customer's side who took part, ≤ 20: any person the viewer may see (its "
        "contacts, or a partner's or consultant's people, who keep their own employer)."
    )
    staff: list[strawberry.ID] | None = optional(
        "Our staff who took part, ≤ 10; the signed-in user when omitted."
    )
    project: strawberry.ID | None = optional("A project for this customer.")
    interaction: InteractionInput | None = optional("An interaction (R11).")
    order: OrderInput | None = optional("An order (R12).")
    payment: PaymentInput | None = optional("A payment against an order (R12).")
    delivery: DeliveryInput | None = optional("A delivery against an order (R12).")
    serviceCase: ServiceCaseInput | None = optional("A service request, complaint or feedback.")
    survey: SurveyInput | None = optional("A satisfaction survey answer (R13).")
    contract: ContractInput | None = optional("A contract (R13).")
    visitPlan: VisitPlanInput | None = optional("A visit plan (R13).")
    marketing: MarketingActivityInput | None = optional("A marketing activity (R13).")


@strawberry.input(description="Void a record: it stays, marked, and counts no more.")
class VoidRecordInput:
    id: strawberry.ID = strawberry.field(description="The record.")
    reason: str = strawberry.field(description="Why, ≤ 500; required.")
    expectedVersion: int | None = optional("CONFLICT if stale.")


@strawberry.input(description="Close a follow-up.")
class CloseFollowUpInput:
    id: strawberry.ID = strawberry.field(description="The follow-up.")
    status: FollowUpStatus | None = optional("DONE (default) or CANCELLED.")
    outcome: str | None = optional("What came of it, ≤ 500.")
    expectedVersion: int | None = optional("CONFLICT if stale.")


@strawberry.input(description="Create a product (no id) or change one.")
class SaveProductInput:
    id: strawberry.ID | None = optional("The product to change; omit to create.")
    expectedVersion: int | None = optional("When changing: CONFLICT if stale.")
    sku: str | None = optional("Unique, ≤ 64; required to create.")
    name: str | None = optional("≤ 200; required to create.")
    category: str | None = optional("≤ 100.")
    unit: str | None = optional("≤ 20.")
    description: str | None = optional("≤ 2000.")
    listPrice: Decimal | None = optional("≥ 0, ≤ 2 decimals.")
    currency: str | None = optional("ISO 4217.")
    archived: bool | None = optional("True: leaves the catalogue; false: back in it.")


RecordPayload = payload_type(
    "RecordPayload",
    "Result of saveRecord or voidRecord.",
    record=(CustomerRecord | None, "The record as stored; null when `errors` is not empty."),
    created=(bool, "Whether a new record was created."),
    changed=(bool, "Whether anything was written (false: the same content again)."),
)
FollowUpPayload = payload_type(
    "FollowUpPayload",
    "Result of closeFollowUp.",
    followUp=(FollowUp | None, "The follow-up as stored; null when `errors` is not empty."),
)
ProductPayload = payload_type(
    "ProductPayload",
    "Result of saveProduct.",
    product=(Product | None, "The product as stored; null when `errors` is not empty."),
)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.type
class Query:
    @strawberry.field(
        description="A customer's records, newest first (客户时间线): about the party, about "
        "its subsidiaries down 6 levels (≤ 500 companies) with `includeSubsidiaries`, and, "
        "for a person, what they took part in at any customer the viewer sees (with their "
        "employer at the time). NOT_FOUND at `party` when the viewer sees no such company "
        "or person. `first` 1..100. One round trip a page, one more for `totalCount` (and "
        "one for an empty first page, to tell an unknown party; a merged-away id reads as its "
        "survivor, for one round trip more).",
        graphql_type=CustomerRecordConnection,
    )
    async def timeline(
        self,
        info: Info,
        party: Annotated[strawberry.ID, arg("A company or person.")],
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        includeSubsidiaries: Annotated[bool, arg("Also the group below (default false).")] = False,
        kinds: Annotated[
            list[RecordKind] | None, arg("Only these kinds (not empty; omit it for all).")
        ] = None,
        since: Annotated[dt.datetime | None, arg("From this instant (inclusive).")] = None,
        until: Annotated[dt.datetime | None, arg("Before this instant.")] = None,
        staff: Annotated[strawberry.ID | None, arg("Only records this user took part in.")] = None,
        project: Annotated[strawberry.ID | None, arg("Only records of this project.")] = None,
        includeVoided: Annotated[bool, arg("Also voided records (default false).")] = False,
    ) -> ConnectionOf[RecordRow]:
        q = r.TimelineQuery(
            party=str(party),
            group=includeSubsidiaries,
            kinds=None if kinds is None else [k.value for k in kinds],
            since=since,
            until=until,
            staff=str(staff) if staff else None,
            project=str(project) if project else None,
            voided=includeVoided,
        )
        return await r.timeline(info.context, q, first, after, _wants_total(info))

    @strawberry.field(
        description="One record by id, if its customer is visible. Batched per request.",
        graphql_type=CustomerRecord | None,
    )
    async def record(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> RecordRow | None:
        return await r.record(info.context, str(id))

    @strawberry.field(
        description="Follow-ups of customers the viewer sees, soonest due first; `first` "
        "1..100. One round trip a page, one more for `totalCount`.",
        graphql_type=FollowUpConnection,
    )
    async def followUps(
        self,
        info: Info,
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        status: Annotated[FollowUpStatus | None, arg("Only this status (default OPEN).")] = (
            FollowUpStatus.OPEN
        ),
        assignee: Annotated[strawberry.ID | None, arg("Only this user's.")] = None,
        customer: Annotated[strawberry.ID | None, arg("Only this customer's.")] = None,
        dueBefore: Annotated[dt.datetime | None, arg("Only due before this instant.")] = None,
    ) -> ConnectionOf[FollowUpRow]:
        filters = {
            "status": status.value if status else None,
            "assignee": str(assignee) if assignee else None,
            "customerId": str(customer) if customer else None,
            "dueBefore": dueBefore,
        }
        return await r.follow_ups(info.context, filters, first, after, _wants_total(info))

    @strawberry.field(
        description="The product catalogue by name; `text` matches name, category or the SKU's "
        "start, ignoring case. `first` 1..100. One round trip a page, one more for `totalCount`.",
        graphql_type=ProductConnection,
    )
    async def products(
        self,
        info: Info,
        first: Annotated[int, arg("Page size, 1..100.")],
        after: Annotated[str | None, arg("Continue after this cursor.")] = None,
        text: Annotated[str | None, arg("Filter text, e.g. 机床; ≤ 100 characters.")] = None,
        includeArchived: Annotated[bool, arg("Also archived products.")] = False,
    ) -> ConnectionOf[ProductRow]:
        return await r.products(
            info.context, text or None, includeArchived, first, after, _wants_total(info)
        )


@strawberry.type
class Mutation:
    saveRecord = input_mutation(
        SaveRecordInput,
        r.save_record,
        RecordPayload,
        "Record an interaction, order, payment, delivery, service case, survey, contract, "
        "visit plan or marketing activity for a customer you may edit (or upsert / replace "
        "one). Every input problem is reported at once, with its path; nothing is written "
        "then. An interaction's next step becomes an open FollowUp. Audited.",
    )
    voidRecord = input_mutation(
        VoidRecordInput,
        r.void_record,
        RecordPayload,
        "Void a record with a reason: it stays visible with `includeVoided`, counts in no "
        "figure, and its open follow-ups are cancelled. Same rights as saveRecord. An order "
        "with payments or deliveries against it that are not voided is refused (CONFLICT): "
        "void them first. Audited.",
    )
    closeFollowUp = input_mutation(
        CloseFollowUpInput,
        r.close_follow_up,
        FollowUpPayload,
        "Close an open follow-up as DONE or CANCELLED, with an outcome. Same rights as "
        "saveRecord on its customer. Audited.",
    )
    saveProduct = input_mutation(
        SaveProductInput,
        r.save_product,
        ProductPayload,
        "Create or change a catalogue product (ADMIN, MANAGER). A taken SKU is DUPLICATE. Audited.",
    )
