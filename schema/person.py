"""People (R8): contacts at companies and individual customers.

`idNumber` and `mobile` are personal data (R21): masked, e.g. `1101**********002X` and
`+86138****5678`, unless the viewer has role ADMIN or MANAGER.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers import person as r
from resolvers import privacy, relations
from resolvers.vocab import Gender, Label
from schema import crosssell
from schema import duplicates as duplicates_schema
from schema import review as review_schema
from schema.base import CUSTOM_INPUT, NodeSchema, Record, optional, vocab_enum
from schema.common import (
    by_parent,
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
from schema.company import Company, CustomerProfile, CustomerProfileInput
from schema.review import ReviewRequestInput

if TYPE_CHECKING:
    from schema.privacy import Consent
    from schema.user import User


vocab_enum(Gender, "Gender (性别).")


@strawberry.type(description="Where a person works now: a current WORKS_AT edge.")
class Employment:
    company: Company = strawberry.field(description="The employer.")
    title: str | None = strawberry.field(description="Job title (职务).")
    department: str | None = strawberry.field(description="Department (部门).")
    since: dt.date | None = strawberry.field(description="Start date, when known.")
    relationshipId: strawberry.ID = strawberry.field(description="Id of the WORKS_AT edge.")


@strawberry.type(
    description="A person (个人): a contact at a company, an individual customer, or both. "
    "`idNumber` and `mobile` are masked unless the viewer is ADMIN or MANAGER."
)
class Person(Record):
    name: str = strawberry.field(description="Full name, e.g. 张伟 (at most 100 characters).")
    nameEn: str | None = strawberry.field(description="Name in Latin letters.")
    gender: Gender | None = strawberry.field(description="Gender.")
    birthDate: dt.date | None = strawberry.field(description="Date of birth.")
    nationality: str | None = strawberry.field(description="Nationality.")
    idType: str | None = strawberry.field(
        description="ID document type; RESIDENT_ID (居民身份证) unless stated otherwise."
    )
    idNumber: str | None = strawberry.field(
        description="ID document number. Personal data, encrypted at rest: masked "
        "(`1101**********002X`) unless the viewer is ADMIN or MANAGER."
    )
    mobile: str | None = strawberry.field(
        description="Mobile phone, E.164. Personal data: masked (`+86138****5678`) unless "
        "the viewer is ADMIN or MANAGER."
    )
    officePhone: str | None = strawberry.field(
        description="Office phone, E.164 (an extension after `;ext=`)."
    )
    email: str | None = strawberry.field(description="Email address, normalised.")
    education: str | None = strawberry.field(description="Education (学历).")
    occupation: str | None = strawberry.field(description="Occupation (职业).")
    hasPurchasingPower: bool | None = strawberry.field(
        description="Whether the person decides purchases (采购决策权)."
    )
    hobbies: list[str] | None = strawberry.field(description="Hobbies and preferences, at most 20.")
    customer: CustomerProfile | None = strawberry.field(
        description="The customer profile, or null when this person is not a customer."
    )

    consents = by_parent(
        privacy.consents,
        list[Annotated["Consent", strawberry.lazy("schema.privacy")]],
        "Consent records (grants and withdrawals), newest first, at most 200; "
        "the newest per purpose decides. One round trip per request for all people.",
    )
    custom = custom_field()
    mayEdit = may_edit_field(Label.PERSON)
    figures = figures_field()
    intelligence = intelligence_field()
    purchasePreferences = crosssell.preferences_field()
    recommendations = crosssell.recommendations_field()
    classes = classes_field()
    channels = channels_field(Label.PERSON)
    dataQuality = quality_field(Label.PERSON)
    employer = by_parent(
        relations.employer,
        Employment | None,
        "The current employer with title and department (the latest current "
        "WORKS_AT edge); null when none. One round trip per request for all people.",
    )
    owner = by_parent(
        relations.owner,
        Annotated["User", strawberry.lazy("schema.user")] | None,
        "The customer owner: the staff member with a current OWNS edge to this "
        "person; null when nobody owns them. One round trip per request.",
    )
    pendingChanges = pending_changes_field("person")
    shares = shares_field()
    is_type_of = typename_is("Person")


CustomerParty = Annotated[
    Company | Person,
    strawberry.union(
        "CustomerParty",
        description="A party we sell to: a Company (enterprise customer) or a Person "
        "(individual customer). Use `... on Company` / `... on Person`.",
    ),
]


@strawberry.input(description="Person fields. Text is trimmed; blank means absent.")
class PersonFields:
    nameEn: str | None = optional("≤ 200.")
    gender: Gender | None = optional("Gender.")
    birthDate: dt.date | None = optional("Between 1900-01-01 and today.")
    nationality: str | None = optional("≤ 100.")
    idType: str | None = optional(
        "Document type, ≤ 30; RESIDENT_ID when a number is given without one."
    )
    idNumber: str | None = optional(
        "For RESIDENT_ID: 18 characters, birth date and check digit validated "
        "(VALIDATION error when wrong); other documents ≤ 40."
    )
    mobile: str | None = optional("Normalised to E.164; numbers without country code are Chinese.")
    officePhone: str | None = optional("As `mobile`.")
    email: str | None = optional("Email address.")
    education: str | None = optional("≤ 100.")
    occupation: str | None = optional("≤ 100.")
    hasPurchasingPower: bool | None = optional("Decides purchases.")
    hobbies: list[str] | None = optional("At most 20, each ≤ 50.")
    custom: JSON | None = optional(CUSTOM_INPUT)
    customer: CustomerProfileInput | None = optional(
        "Make the person an individual customer (kind defaults to INDIVIDUAL); "
        "on update, null removes the customer role (CONFLICT at input.customer when it has "
        "records: they stay with their customer)."
    )


_SCHEMA = NodeSchema(
    Person,
    r,
    PersonFields,
    change_input=ReviewRequestInput,
    payload_fields=lambda: {
        **review_schema.payload_fields(),
        **duplicates_schema.likely_fields(Label.PERSON),
    },
    name_max=100,
    lookup="One person by id (merged ids resolve). Batched per request.",
    keeps="they leave lists, keep edges and history",
)
Query = _SCHEMA.query()
Mutation, PersonPayload, UpsertPersonPayload = _SCHEMA.mutation()
