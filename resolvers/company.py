"""Companies (R7): validation, mutations and look-ups."""

from __future__ import annotations

from typing import Any

from graph.vocab import CustomerKind, Label
from resolvers import review
from resolvers import validation as v
from resolvers.common import archive_delete_load, custom_json

# Plain text fields and their length caps.
TEXT_FIELDS: dict[str, int] = {
    "nameEn": 200,
    "shortName": 100,
    "industry": 100,
    "scale": 50,
    "companyType": 50,
    "legalRepresentative": 100,
    "address": 300,
    "postcode": 20,
    "website": 300,
    "mainBusiness": 500,
    "taxNumber": 40,
}


def company_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated, normalised properties for the fields present in `data`."""
    props = v.texts(errors, data, creating, 200, TEXT_FIELDS)
    if "unifiedSocialCreditCode" in data:
        props["unifiedSocialCreditCode"] = v.credit_code(
            errors, data["unifiedSocialCreditCode"], "input.unifiedSocialCreditCode"
        )
    for key in ("phone", "fax"):
        if key in data:
            props[key] = v.phone(errors, data[key], f"input.{key}")
    for key in ("employeeCount", "registeredCapital"):
        if key in data:
            props[key] = v.non_negative(errors, data[key], f"input.{key}")
    if "foundedOn" in data:
        props["foundedOn"] = data["foundedOn"]
    if "custom" in data:
        props["custom"] = custom_json(errors, data["custom"], "input.custom")
    return props


create_company, update_company, upsert_company = review.account_writes(
    Label.COMPANY, company_props, CustomerKind.ENTERPRISE
)
archive_company, delete_company, company = archive_delete_load(Label.COMPANY)
