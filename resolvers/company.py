"""Companies (R7): validation, mutations and look-ups."""

from __future__ import annotations

import json
from typing import Any

from graph import nodes
from graph.db import ConstraintViolation, Row
from graph.vocab import CustomerKind, Label
from resolvers import validation as v
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
CUSTOMER_FIELDS = ("customerCode", "customerKind", "lifecycleStage", "classification", "tier")


def customer_props(
    errors: v.Errors, profile: dict[str, Any], field: str, default_kind: CustomerKind
) -> dict[str, Any]:
    """Flatten a customer profile input into `:Customer` properties."""
    props: dict[str, Any] = {"customerKind": profile.get("customerKind") or default_kind}
    if "customerCode" in profile:
        props["customerCode"] = v.text(
            errors, profile["customerCode"], f"{field}.customerCode", max_len=50
        )
    for key in ("lifecycleStage", "tier"):
        if key in profile:
            props[key] = profile[key]
    if "classification" in profile:
        props["classification"] = v.text(
            errors, profile["classification"], f"{field}.classification", max_len=100
        )
    return props


def custom_json(errors: v.Errors, value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.add(ErrorCode.VALIDATION, "must be a JSON object", field)
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def custom_fields(node: Row) -> Any:
    raw = node.get("custom")
    return json.loads(raw) if raw else None


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


def _audit(ctx: Context, action: str) -> nodes.Audit:
    return nodes.Audit(ctx.viewer.actor, action, ctx.request_id)


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


def node_payload(result: nodes.UpdateResult, key: str, node_id: str) -> dict[str, Any]:
    if result.status == "not_found":
        return {
            key: None,
            "errors": [
                payload_error(ErrorCode.NOT_FOUND, f"no {key} with id {node_id}", "input.id")
            ],
        }
    if result.status == "conflict":
        return {
            key: None,
            "errors": [
                payload_error(
                    ErrorCode.CONFLICT,
                    f"stale expectedVersion: the {key} is at version {result.current_version}; "
                    "re-read it and apply your change again",
                    "input.expectedVersion",
                )
            ],
        }
    return {key: result.node, "errors": []}


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
