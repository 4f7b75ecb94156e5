"""Manual shares of an account: `(account)-[:SHARED_WITH {id, level, until, by, at, reason}]->
(User|Team)`, exactly as graph/access.py reads them.

An account is a `:Customer` company or person. A share gives the user, or every member of the
team (and managers above it), READ or EDIT access until `until` (null: until revoked); an
expired share stops counting at once, since the predicate compares `until` with datetime().
One share per account and principal: sharing again replaces its level, expiry and reason.
Sharing and unsharing need edit rights on the account (`access.editable`) of the viewer's own,
not through a share (so a revoked share leaves no share it passed on), and are audited in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString

from graph import access
from graph.actor import Actor
from graph.db import Cypher, Database, Row, Tx
from graph.nodes import AUDIT, PROJECTION, Audit, new_id
from graph.refusal import Part, Refusal
from graph.rows import ShareRow
from graph.team import projection

# Shares listed per account at most.
MAX_ITEMS = 100


class Principal(Enum):
    """Whom an account is shared with: the label of the edge's end node."""

    _value_: LiteralString

    USER = "User"
    TEAM = "Team"


# The account `acc` with id `$account` (a company or a person), through the per-label indexes.
ACCOUNT: LiteralString = (
    "CALL () { MATCH (acc:Company {id: $account}) RETURN acc "
    "UNION MATCH (acc:Person {id: $account}) RETURN acc } "
)
# A share `s` from account `acc` to principal `n` as a ShareRow.
SHARE: LiteralString = (
    "{id: s.id, accountId: acc.id, level: s.level, until: s.until, by: s.by, byId: s.by, at: s.at, "
    "reason: s.reason, active: s.until IS NULL OR s.until > datetime(), "
    "user: CASE WHEN n:User THEN " + PROJECTION + " END, "
    "team: CASE WHEN n:Team THEN " + projection("n") + " END}"
)

# May the viewer change the account; its write lock is taken when it may, so concurrent shares
# of one account serialise. Only when it may not, SEE tells a hidden account (NOT_FOUND) from a
# visible one (FORBIDDEN): the common path plans and runs one predicate, not two.
EDIT_CHECK = Cypher(
    "share.edit_check",
    ACCOUNT + "WITH acc AS e WHERE " + access.editable("e") + " "
    "SET e.__lock = true REMOVE e.__lock "
    # Deleted by the transaction whose lock this one waited for: no id, and no labels.
    "RETURN e.id IS NULL AS gone, e:Customer AS customer, "
    "head([l IN labels(e) WHERE l IN ['Company', 'Person']]) AS label",
)
SEE = Cypher(
    "share.see",
    ACCOUNT + "WITH acc WHERE " + access.visible("acc") + " RETURN acc:Customer AS customer",
)


def _principal(kind: Principal) -> LiteralString:
    return "MATCH (n:" + kind.value + " {id: $principal}) WHERE n.archivedAt IS NULL "


# No row back: the principal does not exist (the account was checked just before).
SHARE_WRITE = {
    kind: Cypher(
        f"share.write.{kind.value.lower()}",
        ACCOUNT + _principal(kind) + "MERGE (acc)-[s:SHARED_WITH]->(n) "
        "ON CREATE SET s.id = $shareId "
        "SET s.level = $level, s.until = $until, s.by = $actor, s.at = datetime(), "
        "s.reason = $reason "
        "WITH acc, s, n " + AUDIT + ", a.principalId = n.id RETURN " + SHARE + " AS share",
    )
    for kind in Principal
}
UNSHARE = {
    kind: Cypher(
        f"share.delete.{kind.value.lower()}",
        ACCOUNT + "MATCH (acc)-[s:SHARED_WITH]->(n:" + kind.value + " {id: $principal}) "
        "WITH n, s, s.id AS shareId DELETE s "
        "WITH n, shareId " + AUDIT + ", a.principalId = n.id RETURN shareId",
    )
    for kind in Principal
}
LIST = Cypher(
    "share.list",
    "UNWIND $ids AS id "
    "CALL (id) { MATCH (acc:Company {id: id}) RETURN acc "
    "  UNION MATCH (acc:Person {id: id}) RETURN acc } "
    "WITH id, acc WHERE " + access.visible("acc") + " "
    "CALL (acc) { "
    "  MATCH (acc)-[s:SHARED_WITH]->(n) WHERE (n:User OR n:Team) "
    "  AND ($expired OR s.until IS NULL OR s.until > datetime()) "
    "  WITH acc, s, n ORDER BY s.at DESC, s.id LIMIT $cap RETURN collect(" + SHARE + ") AS items "
    "} RETURN id, items",
)


@dataclass(frozen=True)
class ShareResult:
    share: ShareRow | None = None
    share_id: str | None = None  # what unshare removed
    refusal: Refusal | None = None
    part: Part | None = None


async def shares(
    db: Database, actor: Actor, ids: list[str], expired: bool, cap: int = MAX_ITEMS
) -> dict[str, list[ShareRow]]:
    """The shares of each visible account; live ones only unless `expired`."""
    params = {"ids": ids, "expired": expired, "cap": min(cap, MAX_ITEMS)}
    rows = await db.read(LIST, {**params, "acl": access.acl_params(actor)})
    return {r["id"]: r["items"] for r in rows}


async def check_account(
    tx: Tx, actor: Actor, account: str, through_shares: bool = True
) -> tuple[Refusal | None, str]:
    """May the actor change what hangs off customer `account` (its shares, its records)? The
    refusal, or None and the account's label; the account's write lock is taken when it may.
    Without `through_shares`, an EDIT share does not count as an edit right."""
    acl = access.acl_params(actor)
    if not through_shares:
        acl["editPrincipals"] = []
    params = {"account": account, "acl": acl}
    rows = await tx.run(EDIT_CHECK, params)
    if rows and rows[0]["gone"]:
        return Refusal.NOT_FOUND, ""
    if rows:
        if not rows[0]["customer"]:
            return Refusal.WRONG_LABEL, ""
        return None, str(rows[0]["label"])
    seen = await tx.run(SEE, params)
    if not seen:  # missing or invisible: the same answer, so existence does not leak
        return Refusal.NOT_FOUND, ""
    if not seen[0]["customer"]:
        return Refusal.WRONG_LABEL, ""
    return Refusal.FORBIDDEN, ""


async def _check(tx: Tx, actor: Actor, account: str) -> tuple[ShareResult | None, str]:
    # A share is not passed on: one made by a share's holder would outlive its revocation.
    refusal, label = await check_account(tx, actor, account, through_shares=False)
    if refusal is not None:
        return ShareResult(refusal=refusal, part=Part.ACCOUNT), ""
    return None, label


def _audit(audit: Audit, account: str, label: str, fields: list[str]) -> dict[str, Any]:
    return {
        "auditId": new_id(),
        "actor": audit.actor.id,
        "action": audit.action,
        "targetId": account,
        "targetLabel": label,
        "fields": sorted(fields),
        "requestId": audit.request_id,
    }


async def _write(
    db: Database,
    account: str,
    q: Cypher,
    params: dict[str, Any],
    fields: list[str],
    audit: Audit,
    result: Callable[[Row], ShareResult],
) -> ShareResult:
    """Run `q` on the shares of `account` once the actor may change them, with its audit
    event; no row back means the principal does not exist."""

    async def work(tx: Tx) -> ShareResult:
        refused, label = await _check(tx, audit.actor, account)
        if refused:
            return refused
        audited = _audit(audit, account, label, fields)
        rows = await tx.run(q, {"account": account, **params, **audited})
        if not rows:
            return ShareResult(refusal=Refusal.NOT_FOUND, part=Part.PRINCIPAL)
        return result(rows[0])

    return await db.transaction(work)


async def share(
    db: Database,
    account: str,
    kind: Principal,
    principal: str,
    level: str,
    until: dt.datetime | None,
    reason: str | None,
    audit: Audit,
) -> ShareResult:
    """Share `account` with a user or team (or change an existing share's terms)."""
    fields = ["level", "principal"] + (["until"] if until else []) + (["reason"] if reason else [])
    terms = {
        "principal": principal,
        "shareId": new_id(),
        "level": level,
        "until": until,
        "reason": reason,
    }
    return await _write(
        db,
        account,
        SHARE_WRITE[kind],
        terms,
        fields,
        audit,
        lambda row: ShareResult(share=row["share"]),
    )


async def unshare(
    db: Database, account: str, kind: Principal, principal: str, audit: Audit
) -> ShareResult:
    """Remove the share of `account` with this user or team."""
    return await _write(
        db,
        account,
        UNSHARE[kind],
        {"principal": principal},
        ["principal"],
        audit,
        lambda row: ShareResult(share_id=row["shareId"]),
    )
