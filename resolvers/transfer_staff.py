"""Our own staff in `crm-graph export` and `import`: teams, users and the staff edges.

An export writes every team (`{"kind": "team", "id", "fields": {code, name, parent,
archivedAt}}`, a parent before its children) and every user (`{"kind": "user", "id",
"fields": {name, email, team, roles, externalSource, externalId, oidcSubject, archivedAt}}`)
before the nodes, as the `teams` and `user` queries show them to the exporting key (every
viewer reads them; `email` masked as the API masks it; nothing of an API key, ever). Staff
edges (OWNS with its since/until history, ON_TEAM, KNOWS) are ordinary edge lines from a
User, exported when the viewer sees both ends, like every edge.

Importing a team or user line is ADMIN's, as the team and user mutations are (another
importer's lines are FORBIDDEN rows in the report). A team is checked as createTeam checks
it (code pattern, name ≤ 100; a code never changes; the parent an active team, no cycle,
not too deep; archiving an active team waits, as archiveTeam does, until no active user or
child team is left in it) and a user as createUser checks one (name ≤ 100, email
normalised, roles of UserRole, team an active team's code: an archived user may keep an
archived team); each is saved under its own id with the mutation's audit action
(team.create/team.update, user.create/user.update). Every field is stated: one a line leaves
out is cleared. A team or user already as the line states it is not written (no version, no
audit), so a re-run changes nothing. Staff edges are written by the edge import with its
refusals (and OWNS with linkNodes' DUPLICATE: the user already owns the customer over
overlapping dates through another edge, stored or earlier in the batch), and only by a key
that edits everything: OWNS moves who holds an account, ON_TEAM and KNOWS widen who sees
one, and the import cannot judge "holds the account" row by row as linkNodes does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from graph import clock, pages
from graph import nodes as node_repo
from graph import transfer as transfer_repo
from graph import transfer_formats as fmt
from graph import transfer_staff as repo
from graph import user as user_repo
from graph.actor import Actor
from graph.db import Database, native
from graph.errors import ConstraintViolation
from graph.export import jsonable
from graph.nodes import Audit
from graph.refusal import Refusal
from graph.vocab import Label, Rel
from resolvers import records
from resolvers import team as team_rules
from resolvers import validation as v
from resolvers.common import external_props
from resolvers.errors import ErrorCode
from resolvers.masking import Guards
from resolvers.permissions import rule
from resolvers.transfer import (
    Prepared,
    Rejection,
    _edge_refusal,
    _errors_of,
    archive_moment,
    blank,
    cell_text,
    unknown_fields,
)
from resolvers.user import TAKEN, UserRole, user_props

TEAM_FIELDS = ("code", "name", "parent", "archivedAt")
USER_TEXT = ("name", "email", "team", "externalSource", "externalId", "oidcSubject")
USER_FIELDS = (*USER_TEXT, "roles", "archivedAt")
LIST_SEP = ";"
STAFF_KEEPER = "ADMIN"


def _shown(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: jsonable(row[k]) for k in keys if row.get(k) is not None}


def _ordered(teams: list[Any]) -> list[Any]:
    """Parents before their children (then by id): an import finds each parent saved."""
    parent = {t["id"]: t.get("parentId") for t in teams}

    def depth(team_id: str) -> int:
        n, seen = 0, {team_id}
        while (up := parent.get(team_id)) is not None and up not in seen:
            n, team_id = n + 1, up
            seen.add(up)
        return n

    return sorted(teams, key=lambda t: (depth(t["id"]), t["id"]))


async def export_staff(db: Database, actor: Actor, guards: Guards) -> AsyncIterator[dict[str, Any]]:
    """Every team, parents first, then every user, as the API shows them to the actor."""
    for t in _ordered(await repo.all_teams(db, actor)):
        fields = {"code": t["code"], "name": t["name"], "parent": t.get("parentId")}
        fields["archivedAt"] = t.get("archivedAt")
        yield {"kind": "team", "id": t["id"], "fields": _shown(fields, TEAM_FIELDS)}
    # A key that sees a user field masked or not at all (ANALYST: e-mails) marks its user
    # lines: every field of one is stated, so importing it would overwrite the real values.
    marked = {fmt.ANONYMISED: True} if withheld(actor.roles) else {}
    async for user in pages.every(partial(repo.export_users, db, actor)):
        shown = guards.row("User", user, actor.roles)
        fields = _shown(shown, USER_FIELDS)
        # Stated even when empty (no roles), and sorted as createUser stores them.
        fields["roles"] = sorted(set(user.get("roles") or []))
        yield {"kind": "user", "id": user["id"], **marked, "fields": fields}


def withheld(roles: frozenset[str]) -> bool:
    """Whether `roles` see some user field masked or not at all."""
    return any(rule("User", f).read.isdisjoint(roles) for f in USER_FIELDS)


# --- lines -> rows ------------------------------------------------------------------------------


def _ident(errors: v.Errors, rec: dict[str, Any]) -> str | None:
    return v.text(errors, cell_text(rec.get("id")), "input.id", True, 200)


def team_row(n: int, rec: dict[str, Any]) -> Prepared | list[Rejection]:
    """A team line, checked as createTeam checks its input."""
    cells = dict(rec.get("fields") or {})
    if bad := unknown_fields(n, cells, TEAM_FIELDS, "a team"):
        return bad
    errors = v.Errors()
    team_id = _ident(errors, rec)
    code = team_rules._code(errors, cell_text(cells.get("code")))
    name = v.text(errors, cell_text(cells.get("name")), "input.name", True, 100)
    parent = v.text(errors, cell_text(cells.get("parent")), "input.parent", False, 200)
    archived = archive_moment(errors, cells.get("archivedAt"))
    if errors:
        return _errors_of(n, errors)
    row = {"n": n, "id": team_id, "code": code, "name": name, "parent": parent}
    return Prepared(n, ("team",), {**row, "archivedAt": archived})


def user_row(n: int, rec: dict[str, Any]) -> Prepared | list[Rejection]:
    """A user line, checked as createUser checks its input (every field stated)."""
    cells = dict(rec.get("fields") or {})
    if fmt.said_yes(rec.get(fmt.ANONYMISED)):
        message = (
            "this user line comes from an export that withholds or masks users' data "
            "(an anonymised one): importing it would overwrite their real values"
        )
        return [Rejection(n, "row", ErrorCode.VALIDATION.value, message)]
    if bad := unknown_fields(n, cells, USER_FIELDS, "a user"):
        return bad
    errors = v.Errors()
    user_id = _ident(errors, rec)
    raw = cells.get("roles")
    given = raw if isinstance(raw, list) else ([] if blank(raw) else str(raw).split(LIST_SEP))
    roles = [str(r).strip().upper() for r in given if str(r).strip()]
    known = {r.value for r in UserRole}
    if wrong := [r for r in roles if r not in known]:
        message = f"unknown role(s) {', '.join(wrong)}: one of {', '.join(sorted(known))}"
        errors.add(ErrorCode.VALIDATION, message, "input.roles")
    data: dict[str, Any] = {k: cell_text(cells.get(k)) for k in USER_TEXT}
    props = user_props(errors, {**data, "roles": roles}, True)
    props.update(external_props(errors, data))
    props["archivedAt"] = archive_moment(errors, cells.get("archivedAt"))
    if errors:
        return _errors_of(n, errors)
    return Prepared(n, ("user",), {"n": n, "id": user_id, "props": props})


# --- rows -> the database -------------------------------------------------------------------------


def _forbidden(rows: list[dict[str, Any]], message: str) -> list[Rejection]:
    return [Rejection(r["n"], "row", ErrorCode.FORBIDDEN.value, message) for r in rows]


# Lines a role may not import at all, by group: judged before any read, so that a dry run
# says it too (tester AY: a rep's dry run passed 17 team, user and product lines that the
# import then refused).
ROLE_RULES: dict[str, tuple[frozenset[str], str]] = {
    "team": (frozenset({STAFF_KEEPER}), "only admins manage teams"),
    "user": (frozenset({STAFF_KEEPER}), "only admins manage staff accounts"),
    "product": (records.PRODUCT_KEEPERS, "the product catalogue is kept by ADMIN and MANAGER"),
    # As defineCustomField is.
    "customField": (frozenset({"ADMIN"}), "only admins define custom fields"),
}


STAFF_EDGES = "staff edges (OWNS, ON_TEAM, KNOWS) are imported by admins"


def refused_for_role(
    actor: Actor, group: tuple[Any, ...], numbers: list[int]
) -> list[Rejection] | None:
    """The rows' FORBIDDEN lines when the actor's roles may not import a `group` line."""
    if is_staff_edge(group):
        ok, message = actor.scope.edit_all, STAFF_EDGES
    elif (rule := ROLE_RULES.get(group[0])) is not None:
        ok, message = bool(rule[0] & actor.roles), rule[1]
    else:
        return None
    return None if ok else _forbidden([{"n": n} for n in numbers], message)


def _same(stored: Any, given: Any) -> bool:
    return bool(native(stored) == given)


PLACEMENT_REFUSALS: dict[Refusal, tuple[ErrorCode, str]] = {
    Refusal.NOT_FOUND: (ErrorCode.NOT_FOUND, "no active team with this id (parents first)"),
    Refusal.CYCLE: (ErrorCode.CYCLE, "the parent is this team or a team below it"),
    Refusal.TOO_DEEP: (ErrorCode.VALIDATION, "the team hierarchy would be too deep"),
}


async def write_teams(
    db: Database, rows: list[dict[str, Any]], audit: Audit
) -> tuple[transfer_repo.Written, list[Rejection]]:
    """Save each team as the team mutations do, keeping its id, in file order (a parent
    first); a team already as the row states it is left alone."""
    if denied := refused_for_role(audit.actor, ("team",), [r["n"] for r in rows]):
        return transfer_repo.Written(), denied
    stored = {t["id"]: t for t in await repo.all_teams(db, audit.actor)}
    created = updated = 0
    refused: list[Rejection] = []
    for row in rows:
        old = stored.get(row["id"])
        want = {"name": row["name"], "archivedAt": row["archivedAt"]}
        if old is not None:
            if old["code"] != row["code"]:
                message = f"a team's code never changes (users name it): this team is {old['code']}"
                refused.append(Rejection(row["n"], "code", ErrorCode.VALIDATION.value, message))
                continue
            fields = [k for k, x in want.items() if not _same(old.get(k), x)]
            if old.get("parentId") != row["parent"]:
                fields.append("parent")
            if not fields:
                continue
            who = Audit(audit.actor, "team.update", audit.request_id)
        else:
            want["code"] = row["code"]
            fields = [k for k, x in want.items() if x is not None]
            fields += ["parent"] if row["parent"] else []
            who = Audit(audit.actor, "team.create", audit.request_id)
        try:
            saved = await repo.save_team(db, row["id"], want, row["parent"], fields, who)
        except ConstraintViolation:
            message = f"a team with code {row['code']} exists"
            refused.append(Rejection(row["n"], "code", ErrorCode.DUPLICATE.value, message))
            continue
        if saved.refusal is Refusal.IN_USE:
            message = (
                f"the team still has {saved.members} active members and {saved.children} "
                "active child teams; move them first (archiveTeam's rule)"
            )
            refused.append(Rejection(row["n"], "archivedAt", ErrorCode.VALIDATION.value, message))
            continue
        if saved.team is None:
            code, message = PLACEMENT_REFUSALS[saved.refusal or Refusal.NOT_FOUND]
            refused.append(Rejection(row["n"], "parent", code.value, message))
            continue
        stored[row["id"]] = saved.team
        if old is None:
            created += 1
        else:
            updated += 1
    return transfer_repo.Written(created, updated), refused


async def write_users(
    db: Database, rows: list[dict[str, Any]], audit: Audit
) -> tuple[transfer_repo.Written, list[Rejection]]:
    """Save each user as createUser and updateUser do, keeping its id; a user already as the
    row states it is left alone. API keys are never touched."""
    if denied := refused_for_role(audit.actor, ("user",), [r["n"] for r in rows]):
        return transfer_repo.Written(), denied
    teams = await repo.all_teams(db, audit.actor)
    archived = {t["code"]: t.get("archivedAt") is not None for t in teams}
    stored = await repo.users_by_id(db, audit.actor, sorted({r["id"] for r in rows}))
    created = updated = 0
    refused: list[Rejection] = []
    for row in rows:
        props: dict[str, Any] = row["props"]
        code = props.get("team")
        # createUser's rule: an active team's code (an archived user may keep an archived one).
        if code is not None and (
            code not in archived or (archived[code] and props.get("archivedAt") is None)
        ):
            message = f"no active team with code {code} (import the teams first)"
            refused.append(Rejection(row["n"], "team", ErrorCode.NOT_FOUND.value, message))
            continue
        old = stored.get(row["id"])
        if old is not None:  # roles are a set: stored by hand, they may be in any order
            old = {**old, "roles": sorted(set(old.get("roles") or []))}
        if taken := await _identity_taken(db, row, old):
            refused.append(taken)
            continue
        try:
            if old is None:
                who = Audit(audit.actor, "user.create", audit.request_id)
                given = {k: x for k, x in props.items() if x is not None}
                result = await node_repo.create(db, Label.USER, given, who, node_id=row["id"])
            else:
                changed = {k: x for k, x in props.items() if not _same(old.get(k), x)}
                if not changed:
                    continue
                who = Audit(audit.actor, "user.update", audit.request_id)
                result = await node_repo.update(db, Label.USER, row["id"], None, changed, who)
        except ConstraintViolation:
            message = "another user has this externalSource and externalId"
            refused.append(Rejection(row["n"], "externalId", ErrorCode.DUPLICATE.value, message))
            continue
        if result.node is None:
            message = f"the user could not be saved ({result.refusal})"
            refused.append(Rejection(row["n"], "row", ErrorCode.FORBIDDEN.value, message))
            continue
        stored[row["id"]] = dict(result.node)
        if old is None:
            created += 1
        else:
            updated += 1
    return transfer_repo.Written(created, updated), refused


async def _identity_taken(
    db: Database, row: dict[str, Any], old: dict[str, Any] | None
) -> Rejection | None:
    """createUser's DUPLICATE for an active user's email or oidcSubject that another active
    user holds (resolvers/user.py), checked only when the line sets it anew."""
    props: dict[str, Any] = row["props"]
    if props.get("archivedAt") is not None:
        return None  # an archived user signs in with nothing
    ident = {
        k: props.get(k)
        for k in ("email", "oidcSubject")
        if old is None or old.get("archivedAt") is not None or not _same(old.get(k), props.get(k))
    }
    fields = await user_repo.identity_taken(
        db, row["id"], ident.get("email"), ident.get("oidcSubject")
    )
    if not fields:
        return None
    return Rejection(row["n"], fields[0], ErrorCode.DUPLICATE.value, TAKEN[fields[0]])


def is_staff_edge(group: tuple[Any, ...]) -> bool:
    return group[0] == "edge" and Label.USER in group[2]


async def write_edges(
    db: Database, group: tuple[Any, ...], rows: list[dict[str, Any]], audit: Audit, import_id: str
) -> tuple[transfer_repo.Written, list[Rejection]]:
    """Staff edges by the edge import, for a key that edits everything (module doc)."""
    if denied := refused_for_role(audit.actor, group, [r["n"] for r in rows]):
        return transfer_repo.Written(), denied
    overlapping: list[Rejection] = []
    if group[1] is Rel.OWNS:
        rows, overlapping = await _owns_apart(db, group[2][1], rows, audit.actor)
        if not rows:
            return transfer_repo.Written(), overlapping
    written, refusals = await transfer_repo.write_edges(
        db, group[1], group[2], group[3], rows, audit, import_id
    )
    return written, sorted(overlapping + [_edge_refusal(r) for r in refusals], key=lambda r: r.row)


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Do two OWNS spans overlap, as relationship.py's OVERLAP judges (no `since`: today)?"""
    today = clock.today()
    return (b["since"] is None or a["until"] is None or b["since"] < a["until"]) and (
        b["until"] is None or (a["since"] or today) < b["until"]
    )


async def _owns_apart(
    db: Database, customer: Label, rows: list[dict[str, Any]], actor: Actor
) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """linkNodes' DUPLICATE for OWNS: a row whose user already owns the customer (another
    OWNS edge, stored or earlier in the batch, over dates overlapping the row's) is refused;
    the row's own edge (its id) is not in its way, so an unchanged file re-runs as a no-op."""
    spans = [
        {"n": r["n"], "id": r["id"], "from": r["from"], "to": r["to"],
         "since": r["props"].get("since"), "until": r["props"].get("until")}
        for r in rows
    ]  # fmt: skip
    stored = await repo.owns_overlaps(db, actor, customer, spans)
    kept: list[dict[str, Any]] = []
    taken: dict[tuple[str, str], list[dict[str, Any]]] = {}
    refused: list[Rejection] = []
    # A stored edge the batch restates is judged by the batch's dates for it (it may end it).
    restated = {s["id"] for s in spans}
    for row, span in zip(rows, spans, strict=True):
        mine = taken.setdefault((span["from"], span["to"]), [])
        other = next((i for i in stored.get(row["n"], []) if i not in restated), None) or next(
            (s["id"] for s in mine if s["id"] != span["id"] and _overlaps(span, s)), None
        )
        if other is not None:
            message = (
                f"the user is already an owner of it over these dates (OWNS {other}): an edge "
                "of this type between these nodes overlaps these dates"
            )
            refused.append(Rejection(row["n"], "row", ErrorCode.DUPLICATE.value, message))
            continue
        mine.append(span)
        kept.append(row)
    return kept, refused
