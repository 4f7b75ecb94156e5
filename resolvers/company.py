"""Companies (R7): validation, mutations and look-ups."""

from __future__ import annotations

from typing import Any

from graph import nodes
from graph.db import ConstraintViolation, Row
from graph.vocab import CustomerKind, Label
from resolvers import validation as v
from resolvers.common import (
    CUSTOMER_FIELDS,
    custom_fields,
    custom_json,
    customer_props,
    external_props,
    node_payload,
    upsert_node,
)
from resolvers.common import audit as _audit
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.loaders import loader

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
# Re-exported for modules that imported them from here before resolvers.common existed.
__all__ = ["CUSTOMER_FIELDS", "custom_fields", "customer_props", "node_payload"]


def company_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated, normalised properties for the fields present in `data`."""
    props: dict[str, Any] = {}
    if creating or "name" in data:
        props["name"] = v.text(errors, data.get("name"), "input.name", required=True, max_len=200)
    for key, cap in TEXT_FIELDS.items():
        if key in data:
            props[key] = v.text(errors, data[key], f"input.{key}", max_len=cap)
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


def payload(company: Row | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"company": company, "errors": errors}


async def create_company(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    errors = v.Errors()
    props = company_props(errors, data, creating=True)
    profile = data.get("customer")
    if profile is not None:
        props.update(customer_props(errors, profile, "input.customer", CustomerKind.ENTERPRISE))
    if ("externalId" in data) != ("externalSource" in data):
        errors.add(
            ErrorCode.VALIDATION, "externalId and externalSource go together", "input.externalId"
        )
    else:
        props["externalSource"] = data.get("externalSource")
        props["externalId"] = data.get("externalId")
    if errors:
        return payload(None, errors)
    try:
        node = await nodes.create(
            ctx.db,
            Label.COMPANY,
            props,
            _audit(ctx, "company.create"),
            customer=profile is not None,
        )
    except ConstraintViolation:
        return payload(
            None,
            [
                payload_error(
                    ErrorCode.DUPLICATE,
                    "a company with this customer code or external id exists",
                    "input",
                )
            ],
        )
    return payload(node, [])


async def update_company(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    errors = v.Errors()
    props = company_props(errors, data, creating=False)
    customer: bool | None = None
    if "customer" in data:
        profile = data["customer"]
        customer = profile is not None
        if profile is not None:
            props.update(customer_props(errors, profile, "input.customer", CustomerKind.ENTERPRISE))
    if errors:
        return payload(None, errors)
    try:
        result = await nodes.update(
            ctx.db,
            Label.COMPANY,
            data["id"],
            data["expectedVersion"],
            props,
            _audit(ctx, "company.update"),
            customer=customer,
        )
    except ConstraintViolation:
        return payload(
            None,
            [
                payload_error(
                    ErrorCode.DUPLICATE, "another company has this customer code", "input.customer"
                )
            ],
        )
    return node_payload(result, "company", data["id"])


async def upsert_company(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create or update by (externalSource, externalId); idempotent for repeated imports."""
    errors = v.Errors()
    external = external_props(errors, data, required=True)
    props = company_props(errors, data, creating=True)
    customer: bool | None = None
    if "customer" in data:
        profile = data["customer"]
        customer = profile is not None
        if profile is not None:
            props.update(customer_props(errors, profile, "input.customer", CustomerKind.ENTERPRISE))
    if errors:
        return {"company": None, "created": False, "changedFields": [], "errors": errors}
    return await upsert_node(ctx, Label.COMPANY, external, props, customer)


async def archive_company(
    ctx: Context, node_id: str, expected_version: int | None
) -> dict[str, Any]:
    from datetime import UTC, datetime

    result = await nodes.update(
        ctx.db,
        Label.COMPANY,
        node_id,
        expected_version,
        {"archivedAt": datetime.now(UTC)},
        _audit(ctx, "company.archive"),
    )
    return node_payload(result, "company", node_id)


async def delete_company(ctx: Context, node_id: str) -> dict[str, Any]:
    deleted = await nodes.delete(ctx.db, Label.COMPANY, node_id, _audit(ctx, "company.delete"))
    if not deleted:
        return {
            "deletedId": None,
            "errors": [
                payload_error(ErrorCode.NOT_FOUND, f"no company with id {node_id}", "input.id")
            ],
        }
    return {"deletedId": node_id, "errors": []}


async def company(ctx: Context, node_id: str) -> Row | None:
    async def batch(ids: list[str]) -> list[Row | None]:
        found = await nodes.by_ids(ctx.db, Label.COMPANY, ids)
        return [found.get(i) for i in ids]

    result: Row | None = await loader(ctx, "company", batch).load(node_id)
    return result
