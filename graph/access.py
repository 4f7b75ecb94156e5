"""Row-level visibility: who may see and who may edit which node, as Cypher predicates.

One model, applied inside every statement (docs/ACCESS.md):
- an *account* is a `:Customer` (company or person). It is visible to its owner, the owner's
  team, managers of that team or of a team above it, members of its projects' teams
  (`ON_TEAM`), principals it is shared with (`SHARED_WITH {level, until}` to a user or a
  team), and to roles that read everything (ADMIN, AUDITOR, ANALYST);
- what hangs off an account follows it: a project follows its customer (or its own team), a
  person follows any employer, current or past (a reference company they left only while
  they work at no account; or being known by the viewer); a person with
  no employer yet follows whoever created them (through the API or an import), as an account
  follows its owner;
- a company that is not a customer is visible to everyone when `publicCompanies` is set;
- `:User` (our staff) and other nodes are visible to every authenticated viewer.

Edit rights follow the same rules, except that a read-only share, AUDITOR and ANALYST never
edit, and only ADMIN edits everything.

The predicate reads the request's `$acl` map (`acl_params`), built once per request from the
Actor's Scope. The Scope itself (which owners and share principals count as "mine") is
loaded once per authentication (`load_scope`), so the predicate adds no round trip.

Fragments are composed from code (variable names chosen by the statement's author), never
from client strings, so every statement stays one named, parameterised text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, LiteralString, TypedDict

from graph.db import EDIT_ALL_MARK, READ_ALL_MARK, Cypher

if TYPE_CHECKING:
    from graph.actor import Actor
    from graph.db import Database

# Roles that read every row. ADMIN also edits every row; the other two never edit.
READ_ALL_ROLES = frozenset({"ADMIN", "AUDITOR", "ANALYST"})
READ_ONLY_ROLES = frozenset({"AUDITOR", "ANALYST"})
# Roles that see people by name. A viewer with none of them (ANALYST) sees people anonymised:
# resolvers/permissions.py masks their fields (its NAMED is this set), and no statement lets
# such a viewer match, filter, search or order people by a personal value (`personal_key`),
# since a guessed name that matches, or the name order, would tell who a pseudonym is.
NAMED_ROLES = frozenset({"ADMIN", "MANAGER", "SALES", "AUDITOR"})
# Team hierarchy depth a manager's scope reaches down (and the migration's cycle guard).
TEAM_DEPTH = 8

# Access edges are not part of the business vocabulary (graph/vocab.py): linkNodes cannot
# create them and no map traverses them.
SHARED_WITH: LiteralString = "SHARED_WITH"
# The property naming who created a person, where the audit trail does not say it per person
# (an import: graph/transfer.py writes it; `_unplaced` reads it). Bookkeeping, never exported.
CREATED_BY: LiteralString = "createdBy"
PART_OF: LiteralString = "PART_OF"


class ShareLevel:
    READ: LiteralString = "READ"
    EDIT: LiteralString = "EDIT"


@dataclass(frozen=True)
class Scope:
    """Which rows a viewer reaches, resolved once per authentication."""

    read_all: bool = False
    edit_all: bool = False
    # Users whose accounts this viewer sees (itself, its team, teams it manages below).
    users: tuple[str, ...] = ()
    # Share grantees that include this viewer: its own id and the ids of those teams.
    principals: tuple[str, ...] = ()
    # May this viewer edit at all (false for AUDITOR/ANALYST-only viewers).
    may_edit: bool = True
    # Setting: non-customer companies are visible to every viewer.
    public_companies: bool = True

    @staticmethod
    def everything() -> Scope:
        return Scope(read_all=True, edit_all=True)


class AclParams(TypedDict):
    me: str
    all: bool
    users: list[str]
    principals: list[str]
    editAll: bool
    editUsers: list[str]
    editPrincipals: list[str]
    editMe: str | None
    publicCompanies: bool
    named: bool


def named(actor: Actor) -> bool:
    """Whether the viewer sees people by name (else anonymised: see NAMED_ROLES)."""
    return not NAMED_ROLES.isdisjoint(actor.roles)


def acl_params(actor: Actor) -> AclParams:
    """The `$acl` parameter every visibility-filtered statement takes."""
    s = actor.scope
    edit = s.may_edit
    return {
        "me": actor.id,
        "all": s.read_all,
        "users": list(s.users),
        "principals": list(s.principals),
        "editAll": s.edit_all,
        "editUsers": list(s.users) if edit else [],
        "editPrincipals": list(s.principals) if edit else [],
        "editMe": actor.id if edit else None,
        "publicCompanies": s.public_companies,
        "named": named(actor),
    }


def _marked(expr: LiteralString, edit: bool) -> LiteralString:
    """`expr` starts with `$acl.all OR` (`$acl.editAll OR`): marked, so that graph/db.py sends
    a viewer for whom that is true the statement without the rest (Cypher.for_params)."""
    start, end = EDIT_ALL_MARK if edit else READ_ALL_MARK
    return start + expr + end


def _live(r: LiteralString) -> LiteralString:
    """An OWNS or ON_TEAM edge not ended: a hand-over ends both (`until`), and the access."""
    return "(" + r + ".until IS NULL OR " + r + ".until > date())"


def _account(v: LiteralString, edit: bool, shares: bool = True) -> LiteralString:
    """`v` is a customer reachable by this viewer (owner, project team or, with `shares`, a
    live share)."""
    users: LiteralString = "$acl.editUsers" if edit else "$acl.users"
    me: LiteralString = "$acl.editMe" if edit else "$acl.me"
    principals: LiteralString = "$acl.editPrincipals" if edit else "$acl.principals"
    level: LiteralString = " AND " + v + "_s.level = 'EDIT'" if edit else ""
    shared: LiteralString = (
        " OR EXISTS { MATCH (" + v + ")-[" + v + "_s:SHARED_WITH]->(" + v + "_g) WHERE "
        + v + "_g.id IN " + principals + " AND (" + v + "_s.until IS NULL OR " + v
        + "_s.until > datetime())" + level + " }"
    ) if shares else ""  # fmt: skip
    return (
        "(EXISTS { MATCH (" + v + ")<-[" + v + "_w:OWNS]-(" + v + "_o:User) WHERE " + v
        + "_o.id IN " + users + " AND " + _live(v + "_w") + " }"
        " OR EXISTS { MATCH (" + v + ")<-[:FOR]-(:Project)<-[" + v + "_tm:ON_TEAM]-(" + v
        + "_t:User) WHERE " + v + "_t.id = " + me + " AND " + _live(v + "_tm") + " }"
        + shared + ")"
    )  # fmt: skip


def _public(edit: bool) -> LiteralString:
    # Reference companies (not customers) are shared data: anyone who may edit edits them.
    return "($acl.publicCompanies AND $acl.editMe IS NOT NULL)" if edit else "$acl.publicCompanies"


def _person(v: LiteralString, edit: bool, unplaced: bool, shares: bool = True) -> LiteralString:
    """A person who is not a customer: follows any employer, current or past, except that
    while they work at an account now a reference company's job counts only for reading, and
    only while it lasts (or being known by the viewer); with `unplaced`, one with no employer
    yet also follows their creator (see `_unplaced`)."""
    employer: LiteralString = v + "_e"
    # Knowing a person (KNOWS) lets a rep see them, not edit them.
    known: LiteralString = (
        ""
        if edit
        else " OR EXISTS { MATCH (" + v + ")<-[:KNOWS]-(" + v + "_k:User) WHERE " + v
        + "_k.id = $acl.me }"
    )  # fmt: skip
    # Two subqueries, a customer employer and a reference one, rather than one with a CASE on
    # the employer's label: the same rule, and the planner plans it 2-4 times faster
    # (measured: 6.4 s -> 2.9 s for a statement checking three people).
    # Someone who works at an account now is that account's contact: a job at a reference
    # company, past or (for edits) current, no longer opens them to every team. Everyone
    # still sees a reference company's current staff.
    at_account: LiteralString = (
        "EXISTS { MATCH (" + v + ")-[" + v + "_cw:WORKS_AT]->(:Company:Customer) WHERE "
        + v + "_cw.until IS NULL OR " + v + "_cw.until > date() }"
    )  # fmt: skip
    current: LiteralString = (
        "" if edit else v + "_rw.until IS NULL OR " + v + "_rw.until > date() OR "
    )  # fmt: skip
    return (
        "EXISTS { MATCH (" + v + ")-[:WORKS_AT]->(" + employer + ":Company:Customer) WHERE "
        + _account(employer, edit, shares) + " }"
        " OR (" + _public(edit) + " AND EXISTS { MATCH (" + v + ")-[" + v + "_rw:WORKS_AT]->("
        + v + "_r:Company) WHERE NOT " + v + "_r:Customer AND (" + current + "NOT "
        + at_account + ") })"
        + known + (" OR " + _unplaced(v, edit) if unplaced else "")
    )  # fmt: skip


def _unplaced(v: LiteralString, edit: bool) -> LiteralString:
    """`v` has no employer yet and was created by someone in the viewer's scope: else a rep's
    new contact would vanish from their own view until linked.

    The creator is read from the node first: an import marks each person it creates with its
    actor's id (`createdBy`, graph/transfer.py), since it writes one audit event per batch,
    not one per person. A person created through the API (createPerson, upsertPerson) has
    its own `person.create` / `person.upsert` event instead, whose actor is the creator; that
    look-up (indexed on targetId) only runs for people without any WORKS_AT edge and without
    a creator in scope on the node, which are few."""
    users: LiteralString = "$acl.editUsers" if edit else "$acl.users"
    return (
        # `IS NOT NULL` first: `null IN list` is null, and a null here would turn `NOT
        # visible(...)` checks into null (neither refused nor allowed: let through).
        "(NOT EXISTS { MATCH (" + v + ")-[:WORKS_AT]->() } AND ((" + v + "." + CREATED_BY
        + " IS NOT NULL AND " + v + "." + CREATED_BY + " IN " + users + ") OR EXISTS { "
        "MATCH (" + v + "_a:AuditEvent {targetId: " + v + ".id}) WHERE " + v + "_a.action "
        "IN ['person.create', 'person.upsert'] AND " + v + "_a.actor IN " + users + " }))"
    )  # fmt: skip


def _project(v: LiteralString, edit: bool, shares: bool = True) -> LiteralString:
    """A project follows its team and its customer. One with no customer yet also follows
    its team's members as an account follows its owner: their team and managers see it
    (tester AX: a manager could neither see nor hand over his rep's customer-less deals)."""
    me: LiteralString = "$acl.editMe" if edit else "$acl.me"
    users: LiteralString = "$acl.editUsers" if edit else "$acl.users"
    customer: LiteralString = v + "_c"
    return (
        "EXISTS { MATCH (" + v + ")<-[" + v + "_tm:ON_TEAM]-(" + v
        + "_m:User) WHERE " + v + "_m.id = " + me + " AND " + _live(v + "_tm") + " }"
        " OR EXISTS { MATCH (" + v + ")-[:FOR]->(" + customer + ") WHERE "
        + _account(customer, edit, shares) + " }"
        " OR (NOT EXISTS { MATCH (" + v + ")-[:FOR]->() } AND EXISTS { MATCH (" + v
        + ")<-[" + v + "_tu:ON_TEAM]-(" + v + "_u:User) WHERE " + v + "_u.id IN " + users
        + " AND " + _live(v + "_tu") + " })"
    )  # fmt: skip


def _unrestricted(v: LiteralString) -> LiteralString:
    """A restricted person (erasure under a legal hold, PIPL art. 47) is only stored: nobody
    sees or edits them through the API; graph/privacy.py reaches them for ADMIN alone."""
    return "NOT (" + v + ":Person AND coalesce(" + v + ".restricted, false))"


def _node(v: LiteralString, edit: bool, unplaced: bool, shares: bool = True) -> LiteralString:
    every: LiteralString = "$acl.editAll" if edit else "$acl.all"
    rule: LiteralString = (
        "(" + every + " OR CASE"
        " WHEN " + v + ":Customer THEN " + _account(v, edit, shares)
        + " WHEN " + v + ":Company THEN " + _public(edit)
        + " WHEN " + v + ":Person THEN " + _person(v, edit, unplaced, shares)
        + " WHEN " + v + ":Project THEN " + _project(v, edit, shares)
        + " ELSE true END)"
    )  # fmt: skip
    return "(" + _unrestricted(v) + " AND " + _marked(rule, edit) + ")"


def visible(v: LiteralString, unplaced: bool = False) -> LiteralString:
    """A boolean Cypher expression: may the viewer in `$acl` see node `v`?

    `v` must be a variable bound to a node; helper variables are named `v_…`, so use distinct
    variable names when several fragments appear in one statement.

    `unplaced`: also people with no employer yet whom the viewer's scope created. Only the
    statements that find people by id, list, search or export them, change or link them take it:
    maps and traversals reach people through their employers, and the extra subquery adds
    about a quarter to a statement's planning time (EXPLAIN of 40 statements, caches cleared).
    """
    return _node(v, False, unplaced)


def editable(v: LiteralString, unplaced: bool = False, shares: bool = True) -> LiteralString:
    """A boolean Cypher expression: may the viewer in `$acl` change node `v`? Without
    `shares`, through rights of the viewer's own only, not an EDIT share (an edge that gives
    access away needs those: graph/relationship.py `OWN_ENDS`)."""
    return _node(v, True, unplaced, shares)


def visible_as(v: LiteralString, label: LiteralString, unplaced: bool = False) -> LiteralString:
    """`visible(v)` for a node the statement already knows carries `label` (Company, Person or
    Project): the same rules, built from the same branches, without the other labels' ones.
    A traversal statement checks many nodes, and each generic check makes the planner plan
    every label's subqueries (measured: about half the planning time of a map). `unplaced` as
    in `visible`."""
    rule: LiteralString
    if label in ("Company", "Person"):
        # A customer is an account; any other company is reference data, any other person
        # follows their employers.
        other = _public(False) if label == "Company" else _person(v, False, unplaced)
        rule = "CASE WHEN " + v + ":Customer THEN " + _account(v, False) + " ELSE " + other + " END"
    elif label == "Project":
        rule = _project(v, False)
    else:
        raise ValueError(label)
    marked = _marked("($acl.all OR " + rule + ")", False)
    if label == "Person":
        return "(NOT coalesce(" + v + ".restricted, false) AND " + marked + ")"
    return marked


def editable_customer(v: LiteralString) -> LiteralString:
    """`editable(v)` for a node the statement matched as `:Customer` (a company or a person):
    the account rule alone, cheaper to plan (see `visible_as`)."""
    return (
        "("
        + _unrestricted(v)
        + " AND "
        + _marked("($acl.editAll OR " + _account(v, True) + ")", True)
        + ")"
    )


def personal_key(v: LiteralString) -> LiteralString:
    """A boolean Cypher expression: may the viewer in `$acl` find node `v` by a personal value
    (a name, an e-mail)? Not a person for an anonymised viewer (NAMED_ROLES); everything else.
    Statements that match names against a viewer's text add it to the match."""
    return "($acl.named OR NOT " + v + ":Person)"


def own_request(v: LiteralString, by: LiteralString) -> LiteralString:
    """Event `v`'s request id, for its author (`v.<by>`) and the read-all roles; null for
    others, who see a colleague's change but not the id of the request behind it (tester BH:
    a client may send its own `X-Request-Id`, and logs are searched by it)."""
    return "CASE WHEN " + v + "." + by + " = $acl.me OR $acl.all THEN " + v + ".requestId END"


def name_order(v: LiteralString) -> LiteralString:
    """What to order node `v` by where a statement orders by name: its name, but no value for
    a person shown to an anonymised viewer, so people fall back to the tie-break (their id)."""
    return "CASE WHEN " + personal_key(v) + " THEN " + v + ".name END"


def rel_visible(a: LiteralString, b: LiteralString) -> LiteralString:
    """An edge is visible when both its ends are."""
    return "(" + visible(a) + " AND " + visible(b) + ")"


LOAD_SCOPE = Cypher(
    "access.load_scope",
    "MATCH (me:User {id: $id}) "
    "OPTIONAL MATCH (t:Team {code: me.team}) "
    "OPTIONAL MATCH (d:Team)-[:PART_OF*1..8]->(t) WHERE $manager "
    "WITH me, t, collect(DISTINCT d) AS below "
    "WITH me, [x IN [t] + below WHERE x IS NOT NULL] AS teams "
    "WITH me, teams, [me.team] + [x IN teams | x.code] AS codes "
    "OPTIONAL MATCH (u:User) WHERE u.team IN codes "
    "RETURN [x IN teams | x.id] AS teamIds, collect(DISTINCT u.id) AS users LIMIT 1",
)


async def load_scope(
    db: Database, user_id: str, roles: frozenset[str], *, public_companies: bool = True
) -> Scope:
    """Resolve a user's Scope: one statement, run at authentication (and cached with it)."""
    read_all = bool(roles & READ_ALL_ROLES)
    edit_all = "ADMIN" in roles
    may_edit = edit_all or bool(roles - READ_ONLY_ROLES)
    rows = await db.read(LOAD_SCOPE, {"id": user_id, "manager": "MANAGER" in roles})
    row: dict[str, Any] = rows[0] if rows else {"teamIds": [], "users": []}
    users = tuple(sorted({user_id, *row["users"]}))
    principals = tuple(sorted({user_id, *row["teamIds"]}))
    return Scope(
        read_all=read_all,
        edit_all=edit_all,
        users=users,
        principals=principals,
        may_edit=may_edit,
        public_companies=public_companies,
    )
