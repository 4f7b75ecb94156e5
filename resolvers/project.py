"""Projects and opportunities (R3): validation, mutations and look-ups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from graph import clock
from graph.funnel import DEFAULT_CURRENCY
from graph.vocab import Label, ProjectStatus
from resolvers import customfields
from resolvers import validation as v
from resolvers.common import (
    archive_delete_load,
    create_node,
    external_props,
    invalid,
    update_node,
    upsert_node,
)
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.records import MAX_CENTS, currency
from resolvers.shapes import NodePayload

MAX_REASON = 500
MAX_AMOUNT = MAX_CENTS / 100  # 10^13, the cap of order and plan amounts
EARLIEST_CLOSE = dt.date(1990, 1, 1)
CLOSE_AHEAD_DAYS = 20 * 366


def project_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated, normalised properties for the fields present in `data`."""
    props = v.texts(errors, data, creating, 200)
    for key in ("stage", "status"):
        if key in data:
            props[key] = data[key]
    if "expectedClose" in data:
        props["expectedClose"] = _expected_close(errors, data["expectedClose"])
    if "amount" in data:
        props["amount"] = _amount(errors, data["amount"])
    if "currency" in data or creating:
        props["currency"] = _currency(errors, data.get("currency"))
    props.update(_win_probability(errors, data))
    props.update(_loss(errors, data))
    return props


def _loss(errors: v.Errors, data: dict[str, Any]) -> dict[str, Any]:
    """A loss reason travels with `status: LOST`; any other status clears it, so a reopened
    deal does not count as lost for its old reason."""
    status = data.get("status")
    if "status" in data and getattr(status, "value", status) != ProjectStatus.LOST.value:
        for key in ("lostReason", "lostNote"):
            if data.get(key) is not None:
                errors.add(ErrorCode.VALIDATION, "only a LOST project has one", f"input.{key}")
        return {"lostReason": None, "lostNote": None}
    out: dict[str, Any] = {}
    for key in ("lostReason", "lostNote"):
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and len(value) > MAX_REASON:
                errors.add(ErrorCode.VALIDATION, f"at most {MAX_REASON} characters", f"input.{key}")
        if value is not None and "status" not in data:
            errors.add(ErrorCode.VALIDATION, "give it with `status: LOST`", f"input.{key}")
        out[key] = value
    return out


def _amount(errors: v.Errors, value: float | None) -> float | None:
    amount = v.non_negative(errors, value, "input.amount")
    # Beyond the cap (or NaN from an import) the weighted pipeline overflows; orders and
    # plans refuse such amounts the same way.
    if amount is not None and not amount <= MAX_AMOUNT:
        errors.add(ErrorCode.VALIDATION, "must be below 10^13", "input.amount")
        return None
    # Cents, as orders and plans: a third decimal would be rounded differently in each sum.
    exact = Decimal(repr(amount)) if amount is not None else None  # as typed: 0.29, not 0.28999…
    if exact is not None and exact != exact.quantize(Decimal("0.01")):
        errors.add(ErrorCode.VALIDATION, "at most two decimal places", "input.amount")
        return None
    return amount


def _expected_close(errors: v.Errors, day: dt.date | None) -> dt.date | None:
    """A typo (0001, 9999) would sit in a forecast month or a risk list for good."""
    latest = clock.today() + dt.timedelta(days=CLOSE_AHEAD_DAYS)
    if day is not None and not EARLIEST_CLOSE <= day <= latest:
        errors.add(
            ErrorCode.VALIDATION,
            "must lie between 1990 and 20 years from now",
            "input.expectedClose",
        )
        return None
    return day


def _win_probability(errors: v.Errors, data: dict[str, Any]) -> dict[str, Any]:
    """The override and its reason travel together: set with a reason, or cleared both."""
    if "winProbability" not in data:
        if data.get("winProbabilityReason") is not None:
            errors.add(
                ErrorCode.VALIDATION,
                "give the reason with `winProbability`",
                "input.winProbabilityReason",
            )
        return {}
    value = data["winProbability"]
    if value is None:
        return {"winProbability": None, "winProbabilityReason": None}
    if not 0.0 <= value <= 1.0:
        errors.add(ErrorCode.VALIDATION, "must be between 0 and 1", "input.winProbability")
    reason = (data.get("winProbabilityReason") or "").strip()
    if not reason:
        errors.add(ErrorCode.VALIDATION, "an override needs a reason", "input.winProbabilityReason")
    elif len(reason) > MAX_REASON:
        errors.add(
            ErrorCode.VALIDATION, f"at most {MAX_REASON} characters", "input.winProbabilityReason"
        )
    return {"winProbability": float(value), "winProbabilityReason": reason}


def _currency(errors: v.Errors, value: str | None) -> str | None:
    """A currency ISO 4217 lists, upper-cased, as orders and plans take it (RMB is CNY's
    nickname, not a code: a deal in it fell out of every CNY forecast); CNY when absent."""
    if value is None or not value.strip():
        return DEFAULT_CURRENCY
    return currency(errors, value, "input.currency")


async def create_project(ctx: Context, data: dict[str, Any]) -> NodePayload:
    errors = v.Errors()
    props = project_props(errors, data, creating=True)
    props.update(external_props(errors, data))
    required = None if errors else customfields.deferred(ctx, Label.PROJECT, data)
    if required is None:
        props.update(await customfields.values(ctx, Label.PROJECT, errors, data, creating=True))
    if errors:
        return invalid("project", errors)
    return await create_node(ctx, Label.PROJECT, props, required=required)


async def update_project(ctx: Context, data: dict[str, Any]) -> NodePayload:
    errors = v.Errors()
    props = project_props(errors, data, creating=False)
    props.update(await customfields.values(ctx, Label.PROJECT, errors, data, creating=False))
    if errors:
        return invalid("project", errors)
    return await update_node(ctx, Label.PROJECT, data, props)


async def upsert_project(ctx: Context, data: dict[str, Any]) -> NodePayload:
    errors = v.Errors()
    external = external_props(errors, data, required=True)
    props = project_props(errors, data, creating=True)
    required = None if errors else customfields.deferred(ctx, Label.PROJECT, data)
    if required is None:
        props.update(await customfields.values(ctx, Label.PROJECT, errors, data, creating=True))
    if errors:
        return invalid("project", errors, upsert=True)
    return await upsert_node(ctx, Label.PROJECT, external, props, required=required)


archive_project, delete_project, project = archive_delete_load(Label.PROJECT)
