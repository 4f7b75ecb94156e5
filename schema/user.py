"""Our own staff (`User`): owners of customers and members of project teams (R6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import user as r
from resolvers.shapes import NodeRow
from resolvers.user import UserRole
from schema.base import (
    ID_ARG,
    Info,
    Node,
    archive_mutation,
    delete_mutation,
    input_mutation,
    optional,
    payload_type,
    vocab_enum,
)

vocab_enum(
    UserRole,
    "What a staff member may do.",
    {
        "SALES": "销售 / Sales: works own customers; sees personal data masked.",
        "MANAGER": "经理 / Manager: sees personal data unmasked.",
        "ADMIN": "管理员 / Administrator: everything, including managing staff accounts.",
        "ANALYST": "分析师 / Analyst: reads every account, anonymised; edits nothing.",
        "AUDITOR": "审计 / Auditor: reads every account and the audit trail; edits nothing.",
    },
)


@strawberry.type(
    description="A member of our staff (员工): an account manager or sales rep. API keys "
    "are never exposed."
)
class User(Node):
    name: str = strawberry.field(description="Display name, at most 100 characters.")
    email: str | None = strawberry.field(description="Work email, normalised.")
    team: str | None = strawberry.field(
        description="The code of the user's team (see `teams`), e.g. EAST; at most 50 characters."
    )
    roles: list[UserRole] = strawberry.field(description="Roles; empty means none.")
    externalSource: str | None = strawberry.field(description="Source system of `externalId`.")
    externalId: str | None = strawberry.field(description="Id in the source system.")
    oidcSubject: str | None = strawberry.field(
        description="The `sub` of this user's OpenID Connect identity, when sign-in maps by "
        "subject (CRM_OIDC_USER_CLAIM=sub); at most 255 characters."
    )
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    createdAt: dt.datetime = strawberry.field(description="When the record was created.")
    updatedAt: dt.datetime = strawberry.field(description="When the record last changed.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When the account was archived; archived accounts cannot sign in."
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, dict) and obj.get("__typename") == "User"


@strawberry.input(description="Staff fields. Text is trimmed; blank means absent.")
class UserFields:
    email: str | None = optional(
        "Work email; DUPLICATE when another active user has it (sign-in by email needs one)."
    )
    team: str | None = optional(
        "An active team's code; an unknown one gives NOT_FOUND. Null: no team."
    )
    roles: list[UserRole] | None = optional(
        "Roles; SALES when omitted on create. An empty list gives none: the user reads what "
        "their team reads, anonymised, and edits nothing (archive a user to end access)."
    )
    oidcSubject: str | None = optional(
        "OpenID Connect subject (`sub`), ≤ 255; DUPLICATE when another active user has it."
    )


@strawberry.input(description="A new staff member (admins only).")
class CreateUserInput(UserFields):
    name: str = strawberry.field(description="Required, ≤ 100 characters.")


@strawberry.input(description="Changes to a staff member (admins only). Omitted fields stay.")
class UpdateUserInput(UserFields):
    id: strawberry.ID = strawberry.field(description="The user to change.")
    expectedVersion: int = strawberry.field(
        description="The version you read; a stale one gives CONFLICT."
    )
    name: str | None = optional("≤ 100.")


UserPayload = payload_type(
    "UserPayload",
    "Result of a staff mutation.",
    user=(User | None, "The user after the change; null when `errors` is not empty."),
)


@strawberry.type(
    description="Who the request's API key signs in as, and what that lets it do: what a "
    "client shows in its header and which controls it offers."
)
class Me:
    name: str = strawberry.field(
        description="The staff member's display name; `demo` for the development demo key."
    )
    roles: list[UserRole] = strawberry.field(description="The roles in effect for this key.")
    demo: bool = strawberry.field(
        description="True for the development demo key, which acts as an administrator "
        "without a staff account (`user` is null)."
    )
    readsEverything: bool = strawberry.field(
        description="Sees every account (ADMIN, ANALYST, AUDITOR); otherwise its own, its "
        "teams' and those shared with it (docs/ACCESS.md)."
    )
    editsEverything: bool = strawberry.field(description="May edit every account (ADMIN).")
    mayEdit: bool = strawberry.field(
        description="May edit at all: false for ANALYST and AUDITOR keys, whose writes are "
        "refused with FORBIDDEN."
    )
    anonymised: bool = strawberry.field(
        description="Sees people as pseudonyms, without names or contact details (ANALYST)."
    )
    userId: strawberry.Private[str | None]

    @strawberry.field(
        description="The staff member's own record (team, e-mail, version); null for the "
        "demo key. One batched look-up when selected.",
        graphql_type=User | None,
    )
    async def user(self, info: Info) -> NodeRow | None:
        return await r.me_user(info.context, self.userId)


@strawberry.type
class Query:
    @strawberry.field(
        description="Who the request's key signs in as. No round trip unless `user` is "
        "selected. Cost: 1."
    )
    def me(self, info: Info) -> Me:
        return Me(**r.me(info.context))

    @strawberry.field(
        description="One staff member by id. Batched per request.",
        graphql_type=User | None,
    )
    async def user(self, info: Info, id: Annotated[strawberry.ID, ID_ARG]) -> NodeRow | None:
        return await r.user(info.context, id)


@strawberry.type
class Mutation:
    createUser = input_mutation(
        CreateUserInput,
        r.create_user,
        UserPayload,
        "Create a staff member. Admins only (else FORBIDDEN).",
    )
    updateUser = input_mutation(
        UpdateUserInput,
        r.update_user,
        UserPayload,
        "Update a staff member. Admins only; optimistic concurrency.",
    )
    archiveUser = archive_mutation(
        UserPayload, r.archive_user, "Archive a staff member: their API keys stop working."
    )
    deleteUser = delete_mutation(
        r.delete_user,
        "Delete a staff member and their edges. Admins only; a stale expectedVersion gives "
        "CONFLICT and deletes nothing.",
    )
