"""API keys (issue 12): admins create, rotate and revoke them; everyone may list and revoke
their own. A new secret is returned exactly once, by the mutation that made it; only its
SHA-256 is stored, and no query returns the hash or the secret.

Why users may revoke their own keys: a user who leaked a key should be able to kill it at
once, without waiting for an admin; revoking only ever takes access away. Creating and
rotating stay with admins, since they hand out access.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from graph import apikey as repo
from graph.nodes import Audit
from graph.refusal import Refusal
from graph.rows import ApiKeyRow
from resolvers import validation as v
from resolvers.auth import hash_key, new_secret
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode, payload_error
from resolvers.shapes import UserErrorRow

MAX_GRACE_SECONDS = 7 * 24 * 3600
MAX_LIFETIME = dt.timedelta(days=3 * 366)


class KeyPayload(TypedDict):
    apiKey: ApiKeyRow | None
    errors: list[UserErrorRow]


class SecretPayload(TypedDict):
    apiKey: ApiKeyRow | None
    secret: str | None
    revokedKey: ApiKeyRow | None
    errors: list[UserErrorRow]


def _forbidden(message: str) -> list[UserErrorRow]:
    return [payload_error(ErrorCode.FORBIDDEN, message)]


def _secret_refused(errors: list[UserErrorRow]) -> SecretPayload:
    return {"apiKey": None, "secret": None, "revokedKey": None, "errors": errors}


def _expiry(errors: v.Errors, value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        errors.add(ErrorCode.VALIDATION, "needs a UTC offset", field)
        return None
    now = dt.datetime.now(dt.UTC)
    if value <= now:
        errors.add(ErrorCode.VALIDATION, "must be in the future", field)
    elif value - now > MAX_LIFETIME:
        errors.add(ErrorCode.VALIDATION, "must be within three years", field)
    return value


def _audit(ctx: Context, action: str) -> Audit:
    return Audit(ctx.actor, action, ctx.request_id)


async def api_keys(ctx: Context, user_id: str | None) -> list[ApiKeyRow]:
    """Keys of `user_id` (the viewer's own when None). Admins may list anyone's."""
    me = ctx.viewer.user_id
    target = user_id or me
    if target is None:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "Name a user: you are not signed in as one.")
    if target != me and not ctx.viewer.has("ADMIN"):
        raise ApiError(ErrorCode.FORBIDDEN, "Only admins list other users' keys.", "userId")
    return await repo.list_keys(ctx.db, ctx.actor, target)


async def create_api_key(ctx: Context, data: dict[str, Any]) -> SecretPayload:
    if not ctx.viewer.has("ADMIN"):
        return _secret_refused(_forbidden("only admins create API keys"))
    errors = v.Errors()
    name = v.text(errors, data.get("name"), "input.name", required=True, max_len=100)
    expires = _expiry(errors, data.get("expiresAt"), "input.expiresAt")
    if errors:
        return _secret_refused(errors)
    secret, prefix = new_secret()
    new = repo.NewKey(str(data["userId"]), name or "", hash_key(secret), prefix, expires)
    result = await repo.create(ctx.db, new, _audit(ctx, "apiKey.create"))
    if result.key is None:
        return _secret_refused(
            [payload_error(ErrorCode.NOT_FOUND, "no active user has this id", "input.userId")]
        )
    return {"apiKey": result.key, "secret": secret, "revokedKey": None, "errors": []}


async def rotate_api_key(ctx: Context, data: dict[str, Any]) -> SecretPayload:
    if not ctx.viewer.has("ADMIN"):
        return _secret_refused(_forbidden("only admins rotate API keys"))
    errors = v.Errors()
    grace = data.get("graceSeconds") or 0
    if not 0 <= grace <= MAX_GRACE_SECONDS:
        errors.add(
            ErrorCode.VALIDATION, f"must be 0..{MAX_GRACE_SECONDS} seconds", "input.graceSeconds"
        )
    name = v.text(errors, data.get("name"), "input.name", max_len=100)
    expires = _expiry(errors, data.get("expiresAt"), "input.expiresAt")
    if errors:
        return _secret_refused(errors)
    secret, prefix = new_secret()
    # The user id and, without a new name, the name are the old key's (graph.apikey.rotate);
    # so is the expiry when none is given (tester BO: a key meant to expire stopped expiring).
    new = repo.NewKey("", name or "", hash_key(secret), prefix, expires)
    key_id = str(data["id"])
    result = await repo.rotate(
        ctx.db, key_id, new, grace, _audit(ctx, "apiKey.rotate"), "expiresAt" not in data
    )
    if result.refusal is Refusal.NOT_FOUND:
        return _secret_refused(
            [
                payload_error(
                    ErrorCode.NOT_FOUND, "no such API key (or its user is archived)", "input.id"
                )
            ]
        )
    if result.refusal is Refusal.CONFLICT:
        return _secret_refused(
            [
                payload_error(
                    ErrorCode.CONFLICT,
                    "the key is already revoked or rotated: rotate its successor",
                    "input.id",
                )
            ]
        )
    if grace == 0 and ctx.on_key_revoked is not None:
        ctx.on_key_revoked(key_id)
    return {"apiKey": result.key, "secret": secret, "revokedKey": result.old, "errors": []}


async def revoke_api_key(ctx: Context, data: dict[str, Any]) -> KeyPayload:
    key_id = str(data["id"])
    if not ctx.viewer.has("ADMIN"):
        owner = await repo.owner_of(ctx.db, ctx.actor, key_id)
        # Someone else's key reads as missing: its existence is not the viewer's business.
        if owner is None or owner != ctx.viewer.user_id:
            return {
                "apiKey": None,
                "errors": [payload_error(ErrorCode.NOT_FOUND, "no such API key", "input.id")],
            }
    result = await repo.revoke(ctx.db, key_id, _audit(ctx, "apiKey.revoke"))
    if result.key is None:
        return {
            "apiKey": None,
            "errors": [payload_error(ErrorCode.NOT_FOUND, "no such API key", "input.id")],
        }
    if ctx.on_key_revoked is not None:
        ctx.on_key_revoked(key_id)
    return {"apiKey": result.key, "errors": []}
