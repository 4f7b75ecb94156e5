"""API keys (`ApiKey`): metadata only; a secret is shown once, by the mutation that made it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import apikey as r
from resolvers.shapes import ApiKeyRow
from schema.base import Info, input_mutation, optional, payload_type


@strawberry.type(
    description="An API key of a staff member: its metadata. The secret is never shown again "
    "after creation, and its hash never at all. A key works while it is neither expired nor "
    "revoked and its user is not archived."
)
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key's id (not the secret).")
    userId: strawberry.ID = strawberry.field(description="The user the key signs in as.")
    name: str = strawberry.field(description="What the key is for, at most 100 characters.")
    prefix: str | None = strawberry.field(
        description="The secret's first 12 characters, to recognise it (`crm_` + 8); null "
        "for keys moved over from the old single-key storage."
    )
    createdAt: dt.datetime = strawberry.field(description="When the key was created.")
    createdBy: str | None = strawberry.field(description="The user id of who created it.")
    expiresAt: dt.datetime | None = strawberry.field(
        description="When it stops working; null: it does not expire."
    )
    revokedAt: dt.datetime | None = strawberry.field(
        description="When it was (or, within a rotation's grace period, will be) revoked."
    )
    lastUsedAt: dt.datetime | None = strawberry.field(
        description="When it last signed a request in, to within 5 minutes."
    )
    replacedBy: strawberry.ID | None = strawberry.field(
        description="The key that replaced it in a rotation."
    )

    @strawberry.field(
        description="Whether the key works now: not revoked, not expired, and its user not "
        "archived (revocations reach every worker within CRM_AUTH_CACHE_SECONDS, 5 s by "
        "default)."
    )
    def active(self, root: strawberry.Parent[ApiKeyRow]) -> bool:
        now = dt.datetime.now(dt.UTC)
        revoked, expires = root.get("revokedAt"), root.get("expiresAt")
        return (
            not root.get("userArchived", False)
            and (revoked is None or revoked.to_native() > now)
            and (expires is None or expires.to_native() > now)
        )


@strawberry.input(description="A new API key for a user (admins only).")
class CreateApiKeyInput:
    userId: strawberry.ID = strawberry.field(description="The user the key signs in as.")
    name: str = strawberry.field(description="What the key is for; required, ≤ 100 characters.")
    expiresAt: dt.datetime | None = strawberry.field(
        default=None,
        description="When it stops working, with a UTC offset, within 3 years; null: never.",
    )


@strawberry.input(description="Replace a key by a new one (admins only).")
class RotateApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key to replace; must not be revoked.")
    graceSeconds: int = strawberry.field(
        default=0,
        description="How long the old key keeps working, 0..604800 (7 days); 0: revoked now.",
    )
    name: str | None = strawberry.field(
        default=None, description="The new key's name; the old one's when omitted. ≤ 100."
    )
    expiresAt: dt.datetime | None = optional(
        "The new key's expiry, within 3 years; null: never; the old key's when omitted."
    )


@strawberry.input(description="Revoke a key: it stops working within seconds on every worker.")
class RevokeApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key to revoke.")


ApiKeySecretPayload = payload_type(
    "ApiKeySecretPayload",
    "A new key and its secret (shown this once; store it now).",
    apiKey=(ApiKey | None, "The new key; null on errors."),
    secret=(str | None, "The key to send as `Authorization: Bearer <secret>`. Never shown again."),
    revokedKey=(ApiKey | None, "On rotation: the replaced key, with its `revokedAt`."),
)


ApiKeyPayload = payload_type(
    "ApiKeyPayload",
    "Result of revoking a key.",
    apiKey=(ApiKey | None, "The key after the change."),
)


@strawberry.type
class Query:
    @strawberry.field(
        description="API keys of a user, newest first, at most 100: metadata only. Without "
        "`userId`, the viewer's own; admins may name anyone (else FORBIDDEN). One round trip.",
        graphql_type=list[ApiKey],
    )
    async def apiKeys(
        self,
        info: Info,
        userId: Annotated[
            strawberry.ID | None, strawberry.argument(description="The user; default: you.")
        ] = None,
    ) -> list[ApiKeyRow]:
        return await r.api_keys(info.context, userId)


@strawberry.type
class Mutation:
    createApiKey = input_mutation(
        CreateApiKeyInput,
        r.create_api_key,
        ApiKeySecretPayload,
        "Create an API key for a user and return its secret, once. Admins only "
        "(else FORBIDDEN). Audited without the secret.",
    )
    rotateApiKey = input_mutation(
        RotateApiKeyInput,
        r.rotate_api_key,
        ApiKeySecretPayload,
        "Replace a key: a new secret (returned once) for the same user, and the "
        "old key revoked now or after `graceSeconds`. Admins only. Audited.",
    )
    revokeApiKey = input_mutation(
        RevokeApiKeyInput,
        r.revoke_api_key,
        ApiKeyPayload,
        "Revoke a key. Admins may revoke any key; other users their own (someone "
        "else's is NOT_FOUND). Every worker refuses it within CRM_AUTH_CACHE_SECONDS. Audited.",
    )
