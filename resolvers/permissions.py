"""Field permissions, declared once as data (R20, R21): who reads and who edits each field.

An allow-list. Every field of a *personal type* (a type that holds a person's data) needs its
own rule; other types' fields take their type's default. What a viewer without the read right
sees is the rule's `mask`. A change by a role without the edit right to a field marked
`review` becomes a change request instead of being refused.

The schema enforces these rules on the fields themselves, so a new resolver cannot forget
them; tests walk the schema and fail when a personal field has no rule here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mask(Enum):
    NONE = "NONE"  # shown as stored to every role that sees the row
    ID_NUMBER = "ID_NUMBER"  # 1101**********002X
    PHONE = "PHONE"  # +86138****5678
    EMAIL = "EMAIL"  # z***@example.com
    HIDE = "HIDE"  # null
    PSEUDONYM = "PSEUDONYM"  # a stable stand-in name, for anonymised views (ANALYST)


EVERYONE = frozenset({"ADMIN", "MANAGER", "SALES", "ANALYST", "AUDITOR"})
WRITERS = frozenset({"ADMIN", "MANAGER", "SALES"})
PRIVILEGED = frozenset({"ADMIN", "MANAGER"})
# Roles that see named individuals: everyone but the anonymised ANALYST view.
NAMED = EVERYONE - {"ANALYST"}


@dataclass(frozen=True)
class FieldRule:
    read: frozenset[str]  # roles that see the value in full
    edit: frozenset[str]  # roles that change it directly
    mask: Mask = Mask.NONE  # what the other roles see
    personal: bool = False  # personal information (PIPL): exported, erased, never audited
    review: bool = False  # changes by other writers go through review (R20)


PUBLIC = FieldRule(read=EVERYONE, edit=WRITERS)
SYSTEM = FieldRule(read=EVERYONE, edit=frozenset())  # set by the server only


def personal(
    read: frozenset[str] = NAMED,
    mask: Mask = Mask.HIDE,
    edit: frozenset[str] = WRITERS,
    review: bool = False,
) -> FieldRule:
    return FieldRule(read=read, edit=edit, mask=mask, personal=True, review=review)


# Types whose every field must have its own rule below.
PERSONAL_TYPES = frozenset({"Person"})

TYPE_DEFAULTS: dict[str, FieldRule] = {}
DEFAULT = PUBLIC

FIELD_RULES: dict[tuple[str, str], FieldRule] = {
    ("Person", "id"): SYSTEM,
    ("Person", "externalSource"): PUBLIC,
    ("Person", "externalId"): PUBLIC,
    ("Person", "version"): SYSTEM,
    ("Person", "createdAt"): SYSTEM,
    ("Person", "updatedAt"): SYSTEM,
    ("Person", "archivedAt"): SYSTEM,
    ("Person", "name"): personal(mask=Mask.PSEUDONYM, review=True),
    ("Person", "nameEn"): personal(mask=Mask.HIDE),
    ("Person", "gender"): personal(),
    ("Person", "birthDate"): personal(review=True),
    ("Person", "nationality"): personal(),
    ("Person", "idType"): personal(),
    ("Person", "idNumber"): personal(read=PRIVILEGED, mask=Mask.ID_NUMBER, review=True),
    ("Person", "mobile"): personal(read=PRIVILEGED, mask=Mask.PHONE, review=True),
    ("Person", "officePhone"): personal(),
    ("Person", "email"): personal(mask=Mask.EMAIL),
    ("Person", "education"): personal(),
    ("Person", "occupation"): personal(),
    ("Person", "hasPurchasingPower"): PUBLIC,
    ("Person", "hobbies"): personal(),
    ("Person", "customer"): PUBLIC,
    ("Person", "custom"): personal(),
    ("Person", "employer"): PUBLIC,
    ("Person", "owner"): PUBLIC,
    ("Person", "shares"): PUBLIC,
}


def rule(type_name: str, field: str) -> FieldRule:
    """The rule for `type_name.field`: its own, else its type's default, else PUBLIC."""
    return FIELD_RULES.get((type_name, field)) or TYPE_DEFAULTS.get(type_name, DEFAULT)


def may_read(roles: frozenset[str], r: FieldRule) -> bool:
    return bool(roles & r.read)


def may_edit(roles: frozenset[str], r: FieldRule) -> bool:
    return bool(roles & r.edit)
