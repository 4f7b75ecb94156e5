"""Companies (R7) and the customer profile they may carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types.nodes import SelectedField, Selection

from resolvers import company as r
from resolvers import relations
from resolvers.args import MAX_PAGE
from resolvers.vocab import CustomerKind, Label, LifecycleStage, Tier
from schema import crosssell
from schema import duplicates as duplicates_schema
from schema import review as review_schema
from schema.base import CUSTOM_INPUT, Info, NodeSchema, Record, optional, vocab_enum
from schema.common import (
    by_parent,
    by_parent_first,
    channels_field,
    classes_field,
    custom_field,
    figures_field,
    intelligence_field,
    may_edit_field,
    pending_changes_field,
    quality_field,
    shares_field,
    typename_is,
)
from schema.review import ReviewRequestInput

CONTACTS_DEFAULT = 20  # `contacts(first:)` when the argument is left out
GROUP_DEFAULT = 20  # `parents(first:)`, `subsidiaries(first:)`: the cost model prices by it

if TYPE_CHECKING:
    from schema.person import Person
    from schema.user import User


vocab_enum(CustomerKind, "Enterprise (企业客户) or individual (个人客户).")
vocab_enum(LifecycleStage, "Customer lifecycle (R16): potential → new → active → lost.")
vocab_enum(Tier, "Value tier (R15): core, general or problem customer.")


@strawberry.type(
    description="The customer role of a company or person (客户档案): present "
    "only on parties we sell to."
)
class CustomerProfile:
    customerCode: str | None = strawberry.field(description="Our customer number; unique.")
    customerKind: CustomerKind = strawberry.field(description="Enterprise or individual.")
    lifecycleStage: LifecycleStage | None = strawberry.field(
        description="Lifecycle stage (R16). The scoring run moves it by rule from the records; "
        "`setLifecycleStage` moves it by hand with a reason and pins it until the records "
        "bring news."
    )
    classification: str | None = strawberry.field(
        description="Free classification label (R14), at most 100 characters."
    )
    tier: Tier | None = strawberry.field(
        description="Value tier (R15): the segment the last scoring run computed (see "
        "`intelligence`); a value set here holds until the next run."
    )


@strawberry.type(
    description="An enterprise (企业): a customer, competitor, supplier or any "
    "other organisation in the graph."
)
class Company(Record):
    name: str = strawberry.field(
        description="Registered full name, e.g. 华为技术有限公司 (at most 200 characters)."
    )
    nameEn: str | None = strawberry.field(description="English name.")
    shortName: str | None = strawberry.field(description="Short or trade name (简称).")
    unifiedSocialCreditCode: str | None = strawberry.field(
        description="统一社会信用代码, 18 characters, checksum-validated."
    )
    industry: str | None = strawberry.field(description="Industry.")
    scale: str | None = strawberry.field(description="Size band, e.g. 大型 / 中型 / 小型.")
    companyType: str | None = strawberry.field(description="Legal form, e.g. 有限责任公司.")
    foundedOn: dt.date | None = strawberry.field(description="Founding date.")
    employeeCount: int | None = strawberry.field(description="Number of employees.")
    registeredCapital: float | None = strawberry.field(
        description="Registered capital in CNY 10,000 (万元)."
    )
    legalRepresentative: str | None = strawberry.field(description="Legal representative.")
    address: str | None = strawberry.field(description="Registered address.")
    postcode: str | None = strawberry.field(description="Postcode.")
    phone: str | None = strawberry.field(
        description="Main phone, E.164; an extension after `;ext=` (`+861062751234;ext=8001`)."
    )
    fax: str | None = strawberry.field(description="Fax, E.164 (an extension after `;ext=`).")
    website: str | None = strawberry.field(description="Website URL.")
    mainBusiness: str | None = strawberry.field(description="Main business (主营业务).")
    taxNumber: str | None = strawberry.field(description="Tax registration number.")
    settlementMethod: str | None = strawberry.field(
        description="How we settle with them, e.g. 月结30天 (≤ 50). Dynamic: history kept."
    )
    bankAccount: str | None = strawberry.field(
        description="Bank and account number for settlement (≤ 100). Dynamic: history kept."
    )
    visitCycleDays: int | None = strawberry.field(
        description="Planned days between visits, 1..366. Dynamic: history kept."
    )

    customer: CustomerProfile | None = strawberry.field(
        description="The customer profile, or null when this company is not a customer."
    )

    custom = custom_field()
    mayEdit = may_edit_field(Label.COMPANY)
    figures = figures_field()
    intelligence = intelligence_field()
    purchasePreferences = crosssell.preferences_field()
    recommendations = crosssell.recommendations_field()
    classes = classes_field()
    channels = channels_field(Label.COMPANY)
    dataQuality = quality_field(Label.COMPANY)
    parents = by_parent_first(
        relations.parents,
        list[Annotated["Company", strawberry.lazy("schema.company")]],
        "Parent companies: targets of current SUBSIDIARY_OF edges (several for a "
        "joint venture), by name, at most `first` (1..100, default 20). One round trip per "
        "request for all companies asking the same `first`.",
        items="parents",
        default=GROUP_DEFAULT,
    )
    subsidiaries = by_parent_first(
        relations.subsidiaries,
        list[Annotated["Company", strawberry.lazy("schema.company")]],
        "Direct subsidiaries, branches and divisions (current SUBSIDIARY_OF edges pointing "
        "here), by name, at most `first` (1..100, default 20). One round trip per request; "
        "nested up to 3 levels with the same `first` at each, with or without `contacts`, "
        "one round trip in all. Nesting multiplies the cost by each level's `first`: ask "
        "what a screen shows (groupHierarchy answers a whole group).",
        items="subsidiaries",
        default=GROUP_DEFAULT,
        with_fields=True,
    )

    contacts = by_parent_first(
        relations.contacts,
        list[Annotated["Person", strawberry.lazy("schema.person")]],
        "Current contacts: people with a current WORKS_AT edge to this company, "
        "by name, at most `first` (1..100, default 20). Personal data is masked as on Person. "
        "One round trip per request for all companies asking the same `first`.",
        items="contacts",
        default=CONTACTS_DEFAULT,
        with_fields=True,
    )
    owner = by_parent(
        relations.owner,
        Annotated["User", strawberry.lazy("schema.user")] | None,
        "The account owner: the staff member with a current OWNS edge to this "
        "company (the latest if several); null when nobody owns it. One round trip per request.",
    )
    pendingChanges = pending_changes_field("company")
    shares = shares_field()
    is_type_of = typename_is("Company")


@strawberry.input(description="A customer profile to attach (or, on update, replace).")
class CustomerProfileInput:
    customerCode: str | None = optional("Unique customer number, ≤ 50.")
    customerKind: CustomerKind | None = optional("Defaults to ENTERPRISE for companies.")
    lifecycleStage: LifecycleStage | None = optional(
        "Lifecycle stage when it has none yet; the scoring run moves it by rule and "
        "setLifecycleStage by hand (an update giving another stage than the current one: "
        "VALIDATION)."
    )
    classification: str | None = optional("Classification, ≤ 100.")
    tier: Tier | None = optional("Value tier; the next scoring run replaces it.")


@strawberry.input(description="Company fields. Text is trimmed; blank means absent.")
class CompanyFields:
    nameEn: str | None = optional("≤ 200.")
    shortName: str | None = optional("≤ 100.")
    unifiedSocialCreditCode: str | None = optional(
        "Checked with its check character; VALIDATION error when wrong."
    )
    industry: str | None = optional("≤ 100.")
    scale: str | None = optional("≤ 50.")
    companyType: str | None = optional("≤ 50.")
    foundedOn: dt.date | None = optional("Founding date.")
    employeeCount: int | None = optional("≥ 0.")
    registeredCapital: float | None = optional("CNY 10,000; 0..10^9.")
    legalRepresentative: str | None = optional("≤ 100.")
    address: str | None = optional("≤ 300.")
    postcode: str | None = optional("≤ 20.")
    phone: str | None = optional(
        "Normalised to E.164; numbers without country code are Chinese. An extension (转 8001, "
        "分机, ext, x, #) is kept: `+861062751234;ext=8001`."
    )
    fax: str | None = optional("As `phone`.")
    website: str | None = optional("A web address, ≤ 300: http(s), or no scheme (example.cn).")
    mainBusiness: str | None = optional("≤ 500.")
    taxNumber: str | None = optional("≤ 40.")
    settlementMethod: str | None = optional("≤ 50.")
    bankAccount: str | None = optional("≤ 100.")
    visitCycleDays: int | None = optional("1..366.")
    custom: JSON | None = optional(CUSTOM_INPUT)
    customer: CustomerProfileInput | None = optional(
        "Make it a customer with this profile; on update, null removes the customer role "
        "(CONFLICT at input.customer when it has records: they stay with their customer)."
    )


def flat_fields(selections: list[Selection]) -> Iterator[SelectedField]:
    """The fields of one level of a selection, those inside its fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from flat_fields(selection.selections)


def _int(value: object) -> object:
    """An argument as selected_fields gives it: a variable's value, or a literal's text."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


def tree_ask(selected: list[Selection]) -> relations.TreeAsk | None:
    """What a company's selection nests of its group (`subsidiaries` within `subsidiaries`,
    `contacts` at any level), or None when it nests no `subsidiaries`. Contacts are included
    when every level asks the same `first`. The fields selected on the items of all those
    lists, per kind, decide their projection (resolvers/relations.py `projection`)."""
    caps: set[object] = set()
    sub_caps: set[object] = set()
    levels: set[int] = set()
    company_fields: set[str] = set()
    contact_fields: set[str] = set()

    def walk(selections: list[Selection], level: int) -> int:
        deepest = 0
        for field in flat_fields(selections):
            if field.name == "subsidiaries":
                sub_caps.add(_int(field.arguments.get("first", GROUP_DEFAULT)))
                company_fields.update(f.name for f in flat_fields(field.selections))
                deepest = max(deepest, 1 + walk(field.selections, level + 1))
            elif field.name == "contacts":
                caps.add(_int(field.arguments.get("first", CONTACTS_DEFAULT)))
                levels.add(level)
                contact_fields.update(f.name for f in flat_fields(field.selections))
        return deepest

    depth = min(walk(selected, 0), relations.TREE_MAX_DEPTH)
    if depth == 0 or not all(type(c) is int and 1 <= c <= MAX_PAGE for c in caps | sub_caps):
        return None  # nothing nested, or a `first` the field refuses: left to the fields
    if len(sub_caps) != 1:
        return None  # levels asking different sizes: each field reads its own
    sub_cap = sub_caps.pop()
    cap = caps.pop() if len(caps) == 1 else None
    return relations.TreeAsk(
        depth,
        sub_cap if isinstance(sub_cap, int) else MAX_PAGE,
        cap if isinstance(cap, int) else None,
        frozenset(k for k in levels if k <= depth),
        frozenset(company_fields),
        frozenset(contact_fields),
    )


async def _prefetch(info: Info, company_id: str) -> None:
    for field in info.selected_fields:
        ask = tree_ask(field.selections)
        if ask is not None:
            await relations.prefetch_tree(info.context, company_id, ask)


_SCHEMA = NodeSchema(
    Company,
    r,
    CompanyFields,
    prefetch=_prefetch,
    change_input=ReviewRequestInput,
    payload_fields=lambda: {
        **review_schema.payload_fields(),
        **duplicates_schema.likely_fields(Label.COMPANY),
    },
    name_max=200,
    lookup="One company by id (merged ids resolve to the survivor). Batched per request.",
    keeps="it leaves lists, keeps its edges and history",
    upsert_note=" VALIDATION or DUPLICATE errors write nothing.",
)
Query = _SCHEMA.query()
Mutation, CompanyPayload, UpsertCompanyPayload = _SCHEMA.mutation()
