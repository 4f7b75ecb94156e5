"""Companies (R7): validation, mutations and look-ups."""

from __future__ import annotations

from typing import Any

from graph.vocab import CustomerKind, Label
from resolvers import review
from resolvers import validation as v
from resolvers.common import (
    archive_node,
    create_node,
    custom_json,
    customer_role,
    delete_node,
    external_props,
    invalid,
    load_node,
)
from resolvers.context import Context
from resolvers.shapes import DeleteRow, NodePayload, NodeRow

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


async def create_company(ctx: Context, data: dict[str, Any]) -> NodePayload:
    errors = v.Errors()
    props = company_props(errors, data, creating=True)
    customer = customer_role(errors, data, props, CustomerKind.ENTERPRISE)
    props.update(external_props(errors, data))
    if errors:
        return invalid("company", errors)
    return await create_node(ctx, Label.COMPANY, props, bool(customer))


async def update_company(ctx: Context, data: dict[str, Any]) -> NodePayload:
    errors = v.Errors()
    props = company_props(errors, data, creating=False)
    customer = customer_role(errors, data, props, CustomerKind.ENTERPRISE)
    if errors:
        return invalid("company", errors)
    # Fields needing review wait for a reviewer (R20); the rest applies now.
    return await review.update(ctx, Label.COMPANY, data, props, customer)


async def upsert_company(ctx: Context, data: dict[str, Any]) -> NodePayload:
    """Create or update by (externalSource, externalId); idempotent for repeated imports."""
    errors = v.Errors()
    external = external_props(errors, data, required=True)
    props = company_props(errors, data, creating=True)
    customer = customer_role(errors, data, props, CustomerKind.ENTERPRISE)
    if errors:
        return invalid("company", errors, upsert=True)
    return await review.upsert(ctx, Label.COMPANY, data, external, props, customer)


async def archive_company(ctx: Context, node_id: str, expected_version: int | None) -> NodePayload:
    return await archive_node(ctx, Label.COMPANY, node_id, expected_version)


async def delete_company(ctx: Context, node_id: str) -> DeleteRow:
    return await delete_node(ctx, Label.COMPANY, node_id)


async def company(ctx: Context, node_id: str) -> NodeRow | None:
    return await load_node(ctx, Label.COMPANY, node_id)
