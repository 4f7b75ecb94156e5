"""Manual shares of customer accounts (`AccountShare`, shareAccount, unshareAccount)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import share as r
from resolvers import user as users
from resolvers.share import ShareLevel
from schema.base import input_mutation, payload_type, vocab_enum
from schema.common import by_parent
from schema.team import Team
from schema.user import User

vocab_enum(
    ShareLevel,
    "What a share grants.",
    {
        "READ": "只读 / Read: see the account and what hangs off it.",
        "EDIT": "可编辑 / Edit: also change it (a viewer with edit rights somewhere).",
    },
)


@strawberry.type(
    description="A manual share (共享) of a customer account with a user or a team: they "
    "see it (READ) or may also change it (EDIT) until `until`. A team share reaches the "
    "team's members and the managers above it."
)
class AccountShare:
    id: strawberry.ID = strawberry.field(description="The share's id.")
    level: ShareLevel = strawberry.field(description="READ or EDIT.")
    until: dt.datetime | None = strawberry.field(
        description="When it stops counting; null: until revoked. Expired shares count no "
        "more from that instant."
    )
    at: dt.datetime = strawberry.field(description="When it was granted or last changed.")
    reason: str | None = strawberry.field(description="Why, as the sharer wrote it (≤ 300).")
    active: bool = strawberry.field(description="False once `until` has passed.")
    byId: str | None = strawberry.field(
        description="Who granted it: a user id, or `anonymous:<name>` in dev mode."
    )
    user: User | None = strawberry.field(description="The user it is shared with, if a user.")
    team: Team | None = strawberry.field(description="The team it is shared with, if a team.")

    by = by_parent(
        users.user,
        User | None,
        "The user who granted it; null when that was no user or they were deleted.",
        key="by",
        optional=True,
    )


@strawberry.input(
    description="Share a customer account with one user or one team (give exactly one)."
)
class ShareAccountInput:
    account: strawberry.ID = strawberry.field(
        description="A company or person with a customer profile that you may edit."
    )
    withUser: strawberry.ID | None = strawberry.field(
        default=None, description="The user to share it with."
    )
    withTeam: strawberry.ID | None = strawberry.field(
        default=None, description="The team to share it with (its members and managers above)."
    )
    level: ShareLevel = strawberry.field(description="READ or EDIT.")
    until: dt.datetime | None = strawberry.field(
        default=None,
        description="When the share ends: in the future, with an offset. Null: until revoked.",
    )
    reason: str | None = strawberry.field(default=None, description="Why, ≤ 300 characters.")


@strawberry.input(description="Revoke the share of an account with one user or one team.")
class UnshareAccountInput:
    account: strawberry.ID = strawberry.field(description="The shared account.")
    withUser: strawberry.ID | None = strawberry.field(default=None, description="The user.")
    withTeam: strawberry.ID | None = strawberry.field(default=None, description="The team.")


SharePayload = payload_type(
    "SharePayload",
    "Result of shareAccount.",
    share=(AccountShare | None, "The share as stored; null when `errors` is not empty."),
)


UnsharePayload = payload_type(
    "UnsharePayload",
    "Result of unshareAccount.",
    unsharedId=(
        strawberry.ID | None,
        "The id of the share removed; null when `errors` is not empty.",
    ),
)


@strawberry.type
class Mutation:
    shareAccount = input_mutation(
        ShareAccountInput,
        r.share_account,
        SharePayload,
        "Share a customer account with a user or a team, READ or EDIT, until a "
        "time or until revoked. Sharing again with the same principal replaces the terms. "
        "Needs edit rights on the account (admins: any); an account you cannot see is "
        "NOT_FOUND, one you cannot edit FORBIDDEN. Audited.",
    )
    unshareAccount = input_mutation(
        UnshareAccountInput,
        r.unshare_account,
        UnsharePayload,
        "Revoke a share; it stops counting at once. Same rights as shareAccount. Audited.",
    )
