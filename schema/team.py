"""Teams (`Team`): the hierarchy row-level access follows (docs/ACCESS.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import team as r
from resolvers.shapes import TeamRow
from schema.base import Info, Node, archive_mutation, input_mutation, optional, payload_type
from schema.common import by_parent, by_parent_first
from schema.user import User


@strawberry.type(
    description="A sales team (团队). A user belongs to the team whose `code` is in "
    "`User.team`; managers see the accounts of their team and of every team below it, at "
    "most 8 levels down. Visible to every signed-in viewer; only admins change teams."
)
class Team(Node):
    code: str = strawberry.field(
        description="Stable code, e.g. EAST: upper-case letters, digits, `_`, `-`, at most "
        "50. Never changes (users refer to it)."
    )
    name: str = strawberry.field(description="Display name, at most 100 characters.")
    version: int = strawberry.field(description="Optimistic-concurrency version.")
    createdAt: dt.datetime | None = strawberry.field(
        description="When the team was created; null for teams made by a data migration."
    )
    updatedAt: dt.datetime | None = strawberry.field(description="When it last changed.")
    archivedAt: dt.datetime | None = strawberry.field(
        description="When it was archived; archived teams leave `teams` and take no members."
    )

    parent = by_parent(
        r.team,
        Annotated["Team", strawberry.lazy("schema.team")] | None,
        "The team above this one; null at the top. One round trip per request.",
        key="parentId",
        optional=True,
    )
    children = by_parent(
        r.children,
        list[Annotated["Team", strawberry.lazy("schema.team")]],
        "Active teams directly below this one, by code, at most 100. One round "
        "trip per request for all teams.",
    )

    members = by_parent_first(
        r.members,
        list[User],
        "Active users whose `team` is this team's code, by name, at most "
        "`first` (1..100, default 50). One round trip per request for all teams.",
        items="members",
        default=50,
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, dict) and "code" in obj and "parentId" in obj


@strawberry.input(description="A new team (admins only).")
class CreateTeamInput:
    code: str = strawberry.field(
        description="Required and unique: upper-case letters, digits, `_`, `-`, ≤ 50; "
        "never changes."
    )
    name: str = strawberry.field(description="Required, ≤ 100 characters.")
    parent: strawberry.ID | None = optional(
        "The team above it; omitted or null puts it at the top. The hierarchy "
        "stays at most 8 levels deep."
    )


@strawberry.input(description="Changes to a team (admins only). Omitted fields stay.")
class UpdateTeamInput:
    id: strawberry.ID = strawberry.field(description="The team to change.")
    expectedVersion: int = strawberry.field(
        description="The version you read; a stale one gives CONFLICT."
    )
    name: str | None = optional("≤ 100.")
    parent: strawberry.ID | None = optional(
        "Move the team under this one; null moves it to the top. A parent that "
        "is the team itself or below it gives CYCLE; a hierarchy deeper than 8 levels gives "
        "VALIDATION."
    )


TeamPayload = payload_type(
    "TeamPayload",
    "Result of a team mutation.",
    team=(Team | None, "The team after the change; null when `errors` is not empty."),
)


@strawberry.type
class Query:
    @strawberry.field(
        description="Teams by code, at most `first` (1..100, default 100). Every signed-in "
        "viewer may list them.",
        graphql_type=list[Team],
    )
    async def teams(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="1..100 (default 100).")] = 100,
        includeArchived: Annotated[
            bool, strawberry.argument(description="Also list archived teams (default false).")
        ] = False,
    ) -> list[TeamRow]:
        return await r.teams(info.context, first, includeArchived)

    @strawberry.field(
        description="One team by id, archived or not. Batched per request.",
        graphql_type=Team | None,
    )
    async def team(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A team id.")],
    ) -> TeamRow | None:
        return await r.team(info.context, id)


@strawberry.type
class Mutation:
    createTeam = input_mutation(
        CreateTeamInput,
        r.create_team,
        TeamPayload,
        "Create a team. Admins only (else FORBIDDEN); a taken code gives DUPLICATE. Audited.",
    )
    updateTeam = input_mutation(
        UpdateTeamInput,
        r.update_team,
        TeamPayload,
        "Rename a team or move it in the hierarchy. Admins only; optimistic "
        "concurrency. Viewers' scopes follow within the key cache time (30 s). Audited.",
    )
    archiveTeam = archive_mutation(
        TeamPayload,
        r.archive_team,
        "Archive a team that has no active members and no active child teams "
        "(else VALIDATION). Admins only. Audited.",
    )
