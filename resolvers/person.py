"""People (R8): contacts and individual customers. Validation, mutations and look-ups.

Personal data (`idNumber`, `mobile`, ...) is masked for viewers without the right (R21) by
the field rules on the schema's fields (resolvers/permissions.py), not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import clock
from graph.vocab import CustomerKind, Label
from resolvers import review
from resolvers import validation as v
from resolvers.common import archive_delete_load
from resolvers.errors import ErrorCode

TEXT_FIELDS: dict[str, int] = {
    "nameEn": 200,
    "nationality": 100,
    "education": 100,
    "occupation": 100,
}
RESIDENT_ID = "RESIDENT_ID"
MAX_HOBBIES = 20
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def _id_document(errors: v.Errors, data: dict[str, Any], props: dict[str, Any]) -> None:
    """`idType` defaults to RESIDENT_ID (居民身份证) when a number is given; resident ID
    numbers are checked with their checksum and birth date, other documents by length only."""
    if "idType" in data:
        props["idType"] = v.text(errors, data["idType"], "input.idType", max_len=30)
    if "idNumber" not in data:
        return
    kind = props.get("idType") or RESIDENT_ID
    if v.masked(errors, data["idNumber"], "input.idNumber"):
        props["idNumber"] = None
    elif kind == RESIDENT_ID:
        props["idNumber"] = v.resident_id(errors, data["idNumber"], "input.idNumber")
        if props["idNumber"] is not None:
            _id_birth_date(errors, props)
    else:
        props["idNumber"] = v.text(errors, data["idNumber"], "input.idNumber", max_len=40)
    if props["idNumber"] is not None and not props.get("idType"):
        props["idType"] = RESIDENT_ID


def _id_birth_date(errors: v.Errors, props: dict[str, Any]) -> None:
    """A resident ID number's birth date is a real one (1900 to today). A `birthDate` of
    another day is kept: many keep the lunar birthday they celebrate, and imported files
    disagree with their ID numbers more often than the people do."""
    born = v.resident_id_birth(props["idNumber"])
    if not EARLIEST_BIRTH <= born <= clock.today():
        errors.add(
            ErrorCode.VALIDATION,
            f"is not a valid resident ID number: its birth date {born} is not between "
            "1900-01-01 and today",
            "input.idNumber",
        )
        props["idNumber"] = None


def person_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated, normalised properties for the fields present in `data`."""
    props = v.texts(errors, data, creating, 100, TEXT_FIELDS)
    if "gender" in data:
        props["gender"] = data["gender"]
    if "birthDate" in data:
        born = data["birthDate"]
        if born is not None and not EARLIEST_BIRTH <= born <= clock.today():
            errors.add(
                ErrorCode.VALIDATION, "must be between 1900-01-01 and today", "input.birthDate"
            )
            born = None
        props["birthDate"] = born
    _id_document(errors, data, props)
    if "mobile" in data:
        props["mobile"] = v.phone(errors, data["mobile"], "input.mobile", mobile=True)
    if "officePhone" in data:
        props["officePhone"] = v.phone(errors, data["officePhone"], "input.officePhone")
    if "email" in data:
        props["email"] = v.email(errors, data["email"], "input.email")
    if "hasPurchasingPower" in data:
        props["hasPurchasingPower"] = data["hasPurchasingPower"]
    if "hobbies" in data:
        props["hobbies"] = _hobbies(errors, data["hobbies"])
    return props


def _hobbies(errors: v.Errors, values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if len(values) > MAX_HOBBIES:
        errors.add(ErrorCode.VALIDATION, f"at most {MAX_HOBBIES} entries", "input.hobbies")
        return None
    cleaned = [v.text(errors, h, f"input.hobbies.{i}", max_len=50) for i, h in enumerate(values)]
    return [h for h in cleaned if h] or None


create_person, update_person, upsert_person = review.account_writes(
    Label.PERSON, person_props, CustomerKind.INDIVIDUAL
)
archive_person, delete_person, person = archive_delete_load(Label.PERSON)
