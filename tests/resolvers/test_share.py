"""Manual shares: edit rights to share, the edge graph/access.py reads, audited, and expired
shares stop counting at once."""

from __future__ import annotations

import datetime as dt

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, TEAMS

SHARE = """mutation($input: ShareAccountInput!) {
  shareAccount(input: $input) {
    share { id level until reason active byId by { name } user { name } team { code } }
    errors { code field } } }"""
UNSHARE = """mutation($input: UnshareAccountInput!) {
  unshareAccount(input: $input) { unsharedId errors { code field } } }"""
SHARES = """query($id: ID!) { company(id: $id) {
  shares(includeExpired: true) { level active user { name } team { code } } } }"""
OWNER = PERSONAS["owner"]["id"]
WEST_REP = PERSONAS["other_team"]["id"]


@pytest.fixture
def accounts(cypher: Driver) -> dict[str, str]:
    """`east` owned by the owner persona (EAST), `west` by other_team, `ref` no customer."""
    rows = cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $west}) "
        "CREATE (o)-[:OWNS]->(e:Company:Customer {id: randomUUID(), name: '东方客户', version: 1}) "
        "CREATE (w)-[:OWNS]->(x:Company:Customer {id: randomUUID(), name: '西方客户', version: 1}) "
        "CREATE (r:Company {id: randomUUID(), name: '参考公司', version: 1}) "
        "RETURN e.id AS east, x.id AS west, r.id AS ref",
        owner=OWNER,
        west=WEST_REP,
    ).records
    return dict(rows[0])


def test_owner_shares_and_the_grantee_sees_at_once(
    gql: GQL, cypher: Driver, accounts: dict[str, str]
) -> None:
    east = accounts["east"]
    r = gql.as_("owner")(
        SHARE, {"input": {"account": east, "withUser": WEST_REP, "level": "READ", "reason": "投标"}}
    )
    share = r.data["shareAccount"]["share"]
    assert (share["level"], share["active"], share["reason"], share["byId"]) == (
        "READ",
        True,
        "投标",
        OWNER,
    )
    assert share["user"] == {"name": PERSONAS["other_team"]["name"]}
    assert share["by"] == {"name": PERSONAS["owner"]["name"]}
    edge = cypher.execute_query(
        "MATCH (:Company {id: $id})-[s:SHARED_WITH]->(u:User) RETURN s, u.id AS u", id=east
    ).records
    assert [e["u"] for e in edge] == [WEST_REP]
    assert set(edge[0]["s"].keys()) >= {"id", "level", "by", "at", "reason"}
    audit = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id, action: 'account.share'}) "
        "RETURN a.actor AS actor, a.principalId AS principal, a.fields AS fields",
        id=east,
    ).records
    assert [dict(a) for a in audit] == [
        {"actor": OWNER, "principal": WEST_REP, "fields": ["level", "principal", "reason"]}
    ]
    # The west rep's scope does not change: the predicate reads the edge per statement.
    seen = gql.as_("other_team")(SHARES, {"id": east})
    assert seen.data["company"]["shares"][0]["user"]["name"] == PERSONAS["other_team"]["name"]

    # Sharing again replaces the terms; a read share does not let the grantee re-share.
    again = gql.as_("owner")(
        SHARE, {"input": {"account": east, "withUser": WEST_REP, "level": "EDIT"}}
    )
    assert again.data["shareAccount"]["share"]["id"] == share["id"]
    gone = gql.as_("owner")(UNSHARE, {"input": {"account": east, "withUser": WEST_REP}})
    assert gone.data["unshareAccount"] == {"unsharedId": share["id"], "errors": []}
    twice = gql.as_("owner")(UNSHARE, {"input": {"account": east, "withUser": WEST_REP}})
    assert twice.data["unshareAccount"]["errors"] == [
        {"code": "NOT_FOUND", "field": "input.withUser"}
    ]


def test_sharing_needs_edit_rights(gql: GQL, cypher: Driver, accounts: dict[str, str]) -> None:
    east = accounts["east"]
    data = {"account": east, "withTeam": TEAMS["WEST"][0], "level": "EDIT"}
    # Invisible to the west rep: refused as if missing.
    r = gql.as_("other_team")(SHARE, {"input": data})
    assert r.data["shareAccount"]["errors"] == [{"code": "NOT_FOUND", "field": "input.account"}]
    # Visible but read-only to the auditor: FORBIDDEN.
    r = gql.as_("auditor")(SHARE, {"input": data})
    assert r.data["shareAccount"]["errors"] == [{"code": "FORBIDDEN", "field": "input.account"}]
    assert cypher.execute_query("MATCH ()-[s:SHARED_WITH]->() RETURN s").records == []
    # The HQ manager edits EAST's accounts; the admin edits any.
    r = gql.as_("manager_above")(SHARE, {"input": data})
    assert r.data["shareAccount"]["share"]["team"] == {"code": "WEST"}
    r = gql(SHARE, {"input": {**data, "account": accounts["west"], "withTeam": TEAMS["EAST"][0]}})
    assert r.data["shareAccount"]["errors"] == []


def test_a_share_is_not_passed_on(gql: GQL, accounts: dict[str, str]) -> None:
    """A reshare by a share's holder would outlive the share it came from."""
    west = accounts["west"]
    given = {"account": west, "withUser": OWNER, "level": "EDIT"}
    assert gql.as_("other_team")(SHARE, {"input": given}).data["shareAccount"]["errors"] == []
    # The holder edits the account, but may not share it on.
    onward = {"account": west, "withUser": PERSONAS["manager_west"]["id"], "level": "READ"}
    r = gql.as_("owner")(SHARE, {"input": onward}).data["shareAccount"]
    assert r["errors"] == [{"code": "FORBIDDEN", "field": "input.account"}]
    update = """mutation($input: UpdateCompanyInput!) {
      updateCompany(input: $input) { errors { code } } }"""
    edit = {"id": west, "expectedVersion": 1, "employeeCount": 7}
    assert gql.as_("owner")(update, {"input": edit}).data["updateCompany"]["errors"] == []
    # Revoked, the share leaves nothing behind.
    revoke = {"account": west, "withUser": OWNER}
    assert gql.as_("other_team")(UNSHARE, {"input": revoke}).data["unshareAccount"]["errors"] == []
    assert gql(SHARES, {"id": west}).data["company"]["shares"] == []


def test_bad_share_input(gql: GQL, accounts: dict[str, str]) -> None:
    east = accounts["east"]
    both = {"account": east, "withUser": OWNER, "withTeam": TEAMS["EAST"][0], "level": "READ"}
    r = gql(SHARE, {"input": both})
    assert r.data["shareAccount"]["errors"] == [{"code": "VALIDATION", "field": "input"}]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    r = gql(SHARE, {"input": {"account": east, "withUser": OWNER, "level": "READ",
                              "until": past.isoformat()}})  # fmt: skip
    assert r.data["shareAccount"]["errors"] == [{"code": "VALIDATION", "field": "input.until"}]
    naive = {"account": east, "withUser": OWNER, "level": "READ", "until": "2099-01-01T00:00:00"}
    r = gql(SHARE, {"input": naive})
    assert r.data["shareAccount"]["errors"] == [{"code": "VALIDATION", "field": "input.until"}]
    r = gql(SHARE, {"input": {"account": accounts["ref"], "withUser": OWNER, "level": "READ"}})
    assert r.data["shareAccount"]["errors"] == [{"code": "VALIDATION", "field": "input.account"}]
    r = gql(SHARE, {"input": {"account": east, "withUser": "nobody", "level": "READ"}})
    assert r.data["shareAccount"]["errors"] == [{"code": "NOT_FOUND", "field": "input.withUser"}]


def test_expired_share_stops_counting_at_once(
    gql: GQL, cypher: Driver, accounts: dict[str, str]
) -> None:
    east = accounts["east"]
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    r = gql.as_("owner")(
        SHARE,
        {"input": {"account": east, "withUser": WEST_REP, "level": "READ",
                   "until": until.isoformat()}},
    )  # fmt: skip
    assert r.data["shareAccount"]["share"]["active"] is True
    # Move the expiry into the past instead of sleeping: the predicate compares with datetime().
    cypher.execute_query(
        "MATCH (:Company {id: $id})-[s:SHARED_WITH]->() "
        "SET s.until = datetime() - duration('PT1S')",
        id=east,
    )
    listed = gql.as_("owner")(SHARES, {"id": east}).data["company"]["shares"]
    assert [s["active"] for s in listed] == [False]
    live = gql.as_("owner")(
        """query($id: ID!) { company(id: $id) { shares { level } } }""", {"id": east}
    )
    assert live.data["company"]["shares"] == []


MAY_EDIT = """query($ids: [ID!]!) { nodes(ids: $ids) {
  ... on Company { id mayEdit } ... on Person { id mayEdit } } }"""


def test_may_edit_follows_the_share_level(
    gql: GQL, cypher: Driver, accounts: dict[str, str]
) -> None:
    """`mayEdit` answers what a write would: a read share shows the account and says false,
    an edit share true; the viewer's forms are built from it."""
    east, west, ref = accounts["east"], accounts["west"], accounts["ref"]
    contact = cypher.execute_query(
        "MATCH (c:Company {id: $east}) "
        "CREATE (p:Person {id: randomUUID(), name: '李联系', version: 1})-[:WORKS_AT]->(c) "
        "RETURN p.id AS id",
        east=east,
    ).records[0]["id"]
    ids = [east, west, ref, contact]

    def may(persona: str) -> tuple[dict[str, bool], int]:
        r = gql.as_(persona)(MAY_EDIT, {"ids": ids})
        return {n["id"]: n["mayEdit"] for n in r.data["nodes"] if n}, r.round_trips

    def plain(persona: str) -> int:
        return gql.as_(persona)(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}
        ).round_trips

    owner, trips = may("owner")
    assert owner == {east: True, contact: True, ref: True}
    # One round trip per kind for every node of the request, not one per node.
    assert trips == plain("owner") + 2
    assert may("other_team")[0] == {west: True, ref: True}

    for level, expected in (("READ", False), ("EDIT", True)):
        shared = gql.as_("owner")(
            SHARE, {"input": {"account": east, "withUser": WEST_REP, "level": level}}
        )
        assert shared.data["shareAccount"]["errors"] == []
        seen = may("other_team")[0]
        assert (seen[east], seen[contact], seen[west]) == (expected, expected, True)

    # Keys that edit nothing or everything are answered without asking the database.
    for persona, expected in (("analyst", False), ("admin", True)):
        answer, trips = may(persona)
        assert answer == dict.fromkeys(ids, expected)
        assert trips == plain(persona)
