"""Custom fields (R10): definitions per node kind, managed by admins, read by everyone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers import customfields as r
from resolvers.customfields import (
    CustomFieldKind,
    CustomFieldType,
    CustomFilterOp,
    DefinitionRow,
    ReferenceKind,
)
from schema.base import (
    Info,
    Node,
    archive_mutation,
    input_mutation,
    optional,
    payload_type,
    vocab_enum,
)

vocab_enum(
    CustomFieldKind,
    "The node kinds that take custom fields.",
    {"COMPANY": "企业 / Company.", "PERSON": "个人 / Person.", "PROJECT": "项目 / Project."},
)
vocab_enum(
    CustomFieldType,
    "Value types of a custom field.",
    {
        "TEXT": "Text (`validation.pattern`, `validation.maxLength` ≤ 2000).",
        "NUMBER": "A number, stored as a float (`validation.min`, `validation.max`).",
        "DATE": "A date, `YYYY-MM-DD` (`validation.minDate`, `validation.maxDate`).",
        "BOOLEAN": "true or false.",
        "ENUM": "One of `options`.",
        "MULTI_ENUM": "A list of `options` (kept in the options' order, without repeats).",
        "REFERENCE": "The id of a node of `referenceKind`, which must exist and be visible "
        "to the writer.",
    },
)
vocab_enum(
    ReferenceKind,
    "What a REFERENCE field points to.",
    {
        "COMPANY": "A Company.",
        "PERSON": "A Person.",
        "PROJECT": "A Project.",
        "USER": "A staff User.",
    },
)
vocab_enum(
    CustomFilterOp,
    "Comparisons of a custom field filter.",
    {
        "EQ": "Equal (MULTI_ENUM: holds the option).",
        "GT": "Greater than (NUMBER, DATE, TEXT).",
        "LT": "Less than (NUMBER, DATE, TEXT).",
        "CONTAINS": "TEXT: contains the text (case-sensitive); MULTI_ENUM: holds the option.",
        "IN": "One of `values` (MULTI_ENUM: holds any of them).",
    },
)


@strawberry.type(description="Bounds a value must keep; only those of the field's type apply.")
class CustomFieldValidation:
    min: float | None = strawberry.field(description="NUMBER: lowest value allowed.")
    max: float | None = strawberry.field(description="NUMBER: highest value allowed.")
    minDate: dt.date | None = strawberry.field(description="DATE: earliest date allowed.")
    maxDate: dt.date | None = strawberry.field(description="DATE: latest date allowed.")
    pattern: str | None = strawberry.field(
        description="TEXT: a regular expression the whole value must match (≤ 200; Python "
        "syntax). A value it cannot decide within 50 ms is refused (VALIDATION)."
    )
    maxLength: int | None = strawberry.field(
        description="TEXT: at most this many characters (1..2000; 2000 when absent)."
    )


@strawberry.type(
    description="A custom field of a node kind (自定义字段, R10). Values are set through the "
    "`custom` object of the kind's create/update inputs and read from its `custom` field."
)
class CustomFieldDefinition(Node):
    kind: CustomFieldKind = strawberry.field(description="The node kind it belongs to.")
    key: str = strawberry.field(
        description="The key in `custom`: a-z first, then letters, digits, `_` (≤ 40). "
        "Unique per kind; never changes."
    )
    type: CustomFieldType = strawberry.field(description="The value type.")
    required: bool = strawberry.field(description="Whether a create must give a value.")
    options: list[str] | None = strawberry.field(description="ENUM / MULTI_ENUM options.")
    referenceKind: ReferenceKind | None = strawberry.field(
        description="REFERENCE: the kind of node it points to."
    )
    labelZh: str | None = strawberry.field(description="Chinese label, ≤ 100.")
    labelEn: str | None = strawberry.field(description="English label, ≤ 100.")
    personal: bool = strawberry.field(
        description="Personal data: hidden from roles that may not read personal data "
        "(ANALYST), in `custom` and in its history."
    )
    dynamic: bool = strawberry.field(
        description='Changes are kept as history: `fieldHistory(field: "custom.<key>")`.'
    )
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    createdAt: dt.datetime = strawberry.field(description="When it was defined.")
    updatedAt: dt.datetime = strawberry.field(description="When it last changed.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When it was archived: no longer accepted on writes; stored values stay."
    )

    @strawberry.field(description="The value bounds of its type.")
    def validation(self, root: strawberry.Parent[DefinitionRow]) -> CustomFieldValidation:
        return CustomFieldValidation(
            min=root.get("min"),
            max=root.get("max"),
            minDate=_date(root.get("minDate")),
            maxDate=_date(root.get("maxDate")),
            pattern=root.get("pattern"),
            maxLength=root.get("maxLength"),
        )

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, dict) and "key" in obj and "kind" in obj


def _date(value: Any) -> dt.date | None:
    to_native = getattr(value, "to_native", None)
    result: dt.date | None = to_native() if to_native is not None else value
    return result


@strawberry.input(description="Bounds; give only those of the field's type (else VALIDATION).")
class CustomFieldValidationInput:
    min: float | None = optional("NUMBER: lowest value.")
    max: float | None = optional("NUMBER: highest value (≥ min).")
    minDate: dt.date | None = optional("DATE: earliest date.")
    maxDate: dt.date | None = optional("DATE: latest date (≥ minDate).")
    pattern: str | None = optional(
        "TEXT: regular expression for the whole value, ≤ 200 (Python syntax); a value it "
        "cannot decide within 50 ms is refused."
    )
    maxLength: int | None = optional("TEXT: 1..2000.")


@strawberry.input(description="A new custom field (admins only).")
class DefineCustomFieldInput:
    kind: CustomFieldKind = strawberry.field(description="The node kind.")
    key: str = strawberry.field(description="a-z first, then letters, digits, `_`; ≤ 40.")
    type: CustomFieldType = strawberry.field(description="The value type.")
    required: bool | None = optional("A create must give a value (default false).")
    options: list[str] | None = optional(
        "ENUM / MULTI_ENUM: 1..100 distinct options, each ≤ 100 (required for them)."
    )
    referenceKind: ReferenceKind | None = optional("REFERENCE: required.")
    validation: CustomFieldValidationInput | None = optional("Bounds of the type.")
    labelZh: str | None = optional("Chinese label, ≤ 100.")
    labelEn: str | None = optional("English label, ≤ 100.")
    personal: bool | None = optional("Personal data (default false).")
    dynamic: bool | None = optional("Keep the history of its changes (default false).")


@strawberry.input(
    description="Changes to a custom field (admins only). Omitted fields stay. A change that "
    "stored values would no longer fit (narrowing) is refused unless `force`."
)
class UpdateCustomFieldDefinitionInput:
    id: strawberry.ID = strawberry.field(description="The definition.")
    expectedVersion: int = strawberry.field(description="The version you read; stale: CONFLICT.")
    type: CustomFieldType | None = optional(
        "A new type; its options, bounds and referenceKind are then those given here, or none."
    )
    required: bool | None = optional("Required on create.")
    options: list[str] | None = optional("The new option list (replaces the old one).")
    referenceKind: ReferenceKind | None = optional("REFERENCE: the kind.")
    validation: CustomFieldValidationInput | None = optional(
        "The new bounds (replace the old ones; omitted bounds are removed)."
    )
    labelZh: str | None = optional("Chinese label.")
    labelEn: str | None = optional("English label.")
    personal: bool | None = optional("Personal data.")
    dynamic: bool | None = optional("Keep history from now on.")
    force: bool | None = optional(
        "Apply even when stored values no longer fit; they stay as they are and are listed "
        "in `misfits`. Default false: refused with VALIDATION at `input.force`."
    )


@strawberry.type(description="Stored values a definition change would not accept.")
class CustomFieldMisfits:
    count: int = strawberry.field(description="How many nodes hold such a value.")
    nodes: list[Node] = strawberry.field(
        description="The first 20 of them (Company, Person or Project)."
    )


CustomFieldPayload = payload_type(
    "CustomFieldPayload",
    "Result of a custom field definition mutation.",
    definition=(
        CustomFieldDefinition | None,
        "The definition after the change; null when `errors` is not empty.",
    ),
    misfits=(
        CustomFieldMisfits,
        "Stored values that do not fit the definition as changed (count 0 otherwise).",
    ),
)


@strawberry.input(description="A filter on a custom field; the value is typed as the field.")
class CustomFieldFilter:
    key: str = strawberry.field(description="The custom field's key.")
    op: CustomFilterOp = strawberry.field(description="The comparison.")
    value: JSON | None = strawberry.field(
        default=None, description="The value for EQ, GT, LT and CONTAINS (dates as text)."
    )
    values: list[JSON] | None = strawberry.field(
        default=None, description="The values for IN, at most 100."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Custom field definitions, by kind and key (every kind when `kind` is "
        "omitted), at most 200 per kind. Every signed-in viewer. One round trip.",
        graphql_type=list[CustomFieldDefinition],
    )
    async def customFieldDefinitions(
        self,
        info: Info,
        kind: Annotated[
            CustomFieldKind | None, strawberry.argument(description="Only this kind.")
        ] = None,
        includeArchived: Annotated[
            bool, strawberry.argument(description="Also archived ones (default false).")
        ] = False,
    ) -> list[DefinitionRow]:
        return await r.definitions(info.context, kind, includeArchived)


@strawberry.type
class Mutation:
    defineCustomField = input_mutation(
        DefineCustomFieldInput,
        r.define,
        CustomFieldPayload,
        "Define a custom field. Admins only (else FORBIDDEN); a taken key of the kind gives "
        "DUPLICATE; bad options or bounds VALIDATION. A required field applies to every "
        "create and import from then on: the nodes of the kind without a value are counted "
        "and listed (first 20) in `misfits`, to be filled in (one read of every node of the "
        "kind). Audited.",
    )
    updateCustomFieldDefinition = input_mutation(
        UpdateCustomFieldDefinitionInput,
        r.update,
        CustomFieldPayload,
        "Change a custom field. Admins only; optimistic concurrency. Stored values that "
        "would no longer fit are counted and listed (first 20) in `misfits`; without "
        "`force` nothing changes (VALIDATION at `input.force`); with it the change applies and "
        "the values stay untouched. One read of every node of the kind. Audited.",
    )
    archiveCustomFieldDefinition = archive_mutation(
        CustomFieldPayload,
        r.archive,
        "Archive a custom field: writes no longer accept it; stored values stay readable. "
        "Admins only. Audited.",
    )
