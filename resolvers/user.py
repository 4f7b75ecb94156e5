"""Our own staff (`:User`, R6): managed by admins only, since roles grant access.

The API-key hash is never returned (graph.nodes.PROJECTION blanks it) and never set here.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, TypedDict

from graph import user as repo
from graph.vocab import Label
from resolvers import team as teams
from resolvers import validation as v
from resolvers.common import archive_node, create_node, delete_node, load_node, update_node
from resolvers.context import Context
from resolvers.errors import ErrorCode, payload_error
from resolvers.permissions import anonymised
from resolvers.shapes import DeleteRow, NodePayload, NodeRow, UserErrorRow


class UserRole(Enum):
    SALES = "SALES"
    MANAGER = "MANAGER"
    ADMIN = "ADMIN"
    ANALYST = "ANALYST"
    AUDITOR = "AUDITOR"


def user_props(errors: v.Errors, data: dict[str, Any], creating: bool) -> dict[str, Any]:
    props = v.texts(errors, data, creating, 100, {"team": 50, "oidcSubject": 255})
    if "email" in data:
        props["email"] = v.email(errors, data["email"], "input.email")
    if "roles" in data:
        roles = data["roles"] or []
        # Stored sorted and de-duplicated, as plain strings; an empty list means no roles.
        props["roles"] = sorted({r.value if isinstance(r, Enum) else r for r in roles})
    elif creating:
        props["roles"] = [UserRole.SALES.value]
    return props


def _denied(ctx: Context) -> list[UserErrorRow]:
    if ctx.viewer.has("ADMIN"):
        return []
    return [payload_error(ErrorCode.FORBIDDEN, "only admins manage staff accounts")]


def _checked(
    ctx: Context, data: dict[str, Any], creating: bool
) -> tuple[dict[str, Any], list[UserErrorRow]]:
    """The properties to write, or the errors refusing the write (not an admin, bad input)."""
    if denied := _denied(ctx):
        return {}, denied
    errors = v.Errors()
    props = user_props(errors, data, creating)
    return props, errors


async def _unknown_team(ctx: Context, props: dict[str, Any], errors: list[UserErrorRow]) -> None:
    """`team` must name an active team (graph/team.py): a typo would otherwise leave the
    user in no team, seeing only their own accounts."""
    code = props.get("team")
    if code is not None and not errors and not await teams.known_code(ctx, code):
        errors.append(
            payload_error(ErrorCode.NOT_FOUND, f"no active team with code {code}", "input.team")
        )


TAKEN = {
    "email": "another active user has this email; sign-in by email would match neither",
    "oidcSubject": "another active user has this oidcSubject; sign-in would match neither",
}


async def _taken(
    ctx: Context, user_id: str | None, props: dict[str, Any], errors: list[UserErrorRow]
) -> None:
    """An e-mail or OIDC subject is one active user's: a token maps to the single active user
    holding it (README, Authentication), so a second one (a retried createUser) locks both
    out. Checked before the write: two creates racing with the same value can both pass."""
    if errors:
        return
    fields = await repo.identity_taken(
        ctx.db, user_id, props.get("email"), props.get("oidcSubject")
    )
    errors.extend(payload_error(ErrorCode.DUPLICATE, TAKEN[f], f"input.{f}") for f in fields)


async def create_user(ctx: Context, data: dict[str, Any]) -> NodePayload:
    props, errors = _checked(ctx, data, creating=True)
    await _unknown_team(ctx, props, errors)
    await _taken(ctx, None, props, errors)
    if errors:
        return {"user": None, "errors": errors}
    return await create_node(ctx, Label.USER, props)


async def update_user(ctx: Context, data: dict[str, Any]) -> NodePayload:
    props, errors = _checked(ctx, data, creating=False)
    await _unknown_team(ctx, props, errors)
    await _taken(ctx, data["id"], props, errors)
    if errors:
        return {"user": None, "errors": errors}
    result = await update_node(ctx, Label.USER, data, props)
    # After the write: a sign-in cached between a drop and the commit would keep the old scope.
    ctx.user_changed(data["id"])  # roles or team may change what their next request sees
    return result


async def archive_user(ctx: Context, node_id: str, expected_version: int | None) -> NodePayload:
    if denied := _denied(ctx):
        return {"user": None, "errors": denied}
    result = await archive_node(ctx, Label.USER, node_id, expected_version)
    ctx.user_changed(node_id)
    return result


async def delete_user(ctx: Context, node_id: str, expected_version: int | None) -> DeleteRow:
    if denied := _denied(ctx):
        return {"deletedId": None, "errors": denied}
    deleted = await delete_node(ctx, Label.USER, node_id, expected_version)
    ctx.user_changed(node_id)
    return deleted


async def user(ctx: Context, node_id: str) -> NodeRow | None:
    return await load_node(ctx, Label.USER, node_id)


class MeRow(TypedDict):
    userId: str | None
    name: str
    roles: list[UserRole]
    demo: bool
    readsEverything: bool
    editsEverything: bool
    mayEdit: bool
    anonymised: bool


def me(ctx: Context) -> MeRow:
    """Who the request's key signs in as, from the sign-in already made: no round trip."""
    viewer = ctx.viewer
    scope = viewer.scope
    return {
        "userId": viewer.user_id,
        "name": viewer.name,
        "roles": [UserRole(role) for role in sorted(viewer.roles)],
        "demo": viewer.user_id is None,
        "readsEverything": scope.read_all,
        "editsEverything": scope.edit_all,
        "mayEdit": scope.may_edit,
        "anonymised": anonymised(viewer.roles),
    }


async def me_user(ctx: Context, user_id: str | None) -> NodeRow | None:
    return None if user_id is None else await user(ctx, user_id)
