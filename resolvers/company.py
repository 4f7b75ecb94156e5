"""Companies (R7): validation, mutations and look-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import clock, nodes
from graph.vocab import DISTINCT_LINES, CustomerKind, Label
from resolvers import review
from resolvers import validation as v
from resolvers.common import SAME_LINE, archive_delete_load, load_node
from resolvers.context import Context
from resolvers.errors import ErrorCode

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
    # Dynamic business terms (R9): their changes are kept as history (graph/history.py).
    "settlementMethod": 50,
    "bankAccount": 100,
}
MAX_VISIT_CYCLE = 366
MAX_CAPITAL = 1e9


def company_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated, normalised properties for the fields present in `data`."""
    props = v.texts(errors, data, creating, 200, TEXT_FIELDS)
    if "website" in props:
        props["website"] = v.website(errors, props["website"], "input.website")
    if "unifiedSocialCreditCode" in data:
        props["unifiedSocialCreditCode"] = v.credit_code(
            errors, data["unifiedSocialCreditCode"], "input.unifiedSocialCreditCode"
        )
    for key in ("phone", "fax"):
        if key in data:
            props[key] = v.phone(errors, data[key], f"input.{key}")
    if (line := nodes.same_line(Label.COMPANY, {}, props)) is not None:
        # Seed 003: a "phone" that is a fax machine reaches nobody (both given, equal).
        errors.add(ErrorCode.VALIDATION, SAME_LINE[line], f"input.{line}")
    for key in ("employeeCount", "registeredCapital"):
        if key in data:
            props[key] = v.non_negative(errors, data[key], f"input.{key}")
    if (capital := props.get("registeredCapital")) is not None and capital > MAX_CAPITAL:
        # In CNY 10,000: the cap of amounts elsewhere (10^13 CNY), so sums cannot overflow.
        errors.add(
            ErrorCode.VALIDATION, "must be at most 10^9 (CNY 10,000)", "input.registeredCapital"
        )
        props["registeredCapital"] = None
    if "foundedOn" in data:
        props["foundedOn"] = _founded_on(errors, data["foundedOn"])
    if "visitCycleDays" in data:
        props["visitCycleDays"] = _visit_cycle(errors, data["visitCycleDays"])
    return props


def _founded_on(errors: v.Errors, day: dt.date | None) -> dt.date | None:
    # The business day (China): UTC would refuse a company founded this morning.
    today = clock.today()
    if day is not None and day > today:
        errors.add(ErrorCode.VALIDATION, "must not be after today (China time)", "input.foundedOn")
        return None
    return day


def _visit_cycle(errors: v.Errors, days: int | None) -> int | None:
    if days is not None and not 1 <= days <= MAX_VISIT_CYCLE:
        errors.add(
            ErrorCode.VALIDATION, f"must be 1..{MAX_VISIT_CYCLE} days", "input.visitCycleDays"
        )
        return None
    return days


async def phone_not_fax(
    ctx: Context, data: dict[str, Any], props: dict[str, Any], errors: v.Errors
) -> None:
    """An update giving the phone or the fax alone: it must not equal the stored other one.
    (Both given are compared in company_props; upserts are judged in their transaction.)
    One read, only then."""
    given = [key for key in DISTINCT_LINES[Label.COMPANY] if key in props]
    if len(given) != 1 or not props[given[0]]:
        return
    stored = await load_node(ctx, Label.COMPANY, data["id"])
    if stored is None:  # the update itself says NOT_FOUND
        return
    if (key := nodes.same_line(Label.COMPANY, stored, props)) is not None:
        errors.add(ErrorCode.VALIDATION, SAME_LINE[key], f"input.{key}")


create_company, update_company, upsert_company = review.account_writes(
    Label.COMPANY, company_props, CustomerKind.ENTERPRISE, phone_not_fax
)
archive_company, delete_company, company = archive_delete_load(Label.COMPANY)
