"""Teams: every viewer lists them, admins change them; the hierarchy stays acyclic and capped,
and a user's team must exist."""

from __future__ import annotations

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, TEAMS

TEAMS_Q = """{ teams { code name parent { code } children { code } members { name } } }"""
CREATE = """mutation($input: CreateTeamInput!) { createTeam(input: $input) {
  team { id code name version parent { code } } errors { code field } } }"""
UPDATE = """mutation($input: UpdateTeamInput!) {
  updateTeam(input: $input) { team { id name version parent { code } } errors { code field } } }"""
ARCHIVE = """mutation($input: NodeRefInput!) {
  archiveTeam(input: $input) { team { archivedAt } errors { code field } } }"""


def test_every_viewer_lists_the_hierarchy(gql: GQL) -> None:
    teams = {t["code"]: t for t in gql.as_("other_team")(TEAMS_Q).data["teams"]}
    assert set(teams) == {"HQ", "EAST", "WEST"}
    assert teams["EAST"]["parent"] == {"code": "HQ"}
    assert sorted(c["code"] for c in teams["HQ"]["children"]) == ["EAST", "WEST"]
    assert [m["name"] for m in teams["EAST"]["members"]] == [PERSONAS["owner"]["name"]]
    one = gql.as_("owner")("query($id: ID!) { team(id: $id) { code } }", {"id": TEAMS["WEST"][0]})
    assert one.data["team"] == {"code": "WEST"}


def test_only_admins_change_teams(gql: GQL, cypher: Driver) -> None:
    for persona in ("owner", "manager_above", "auditor"):
        r = gql.as_(persona)(CREATE, {"input": {"code": "NORTH", "name": "North"}})
        assert [e["code"] for e in r.data["createTeam"]["errors"]] == ["FORBIDDEN"]
    assert cypher.execute_query("MATCH (t:Team {code: 'NORTH'}) RETURN t").records == []


def test_create_move_and_archive_with_audit(gql: GQL, cypher: Driver) -> None:
    r = gql(CREATE, {"input": {"code": "NORTH", "name": "华北", "parent": TEAMS["HQ"][0]}})
    team = r.data["createTeam"]["team"]
    assert (team["code"], team["version"], team["parent"]) == ("NORTH", 1, {"code": "HQ"})
    dup = gql(CREATE, {"input": {"code": "NORTH", "name": "again"}})
    assert dup.data["createTeam"]["errors"] == [{"code": "DUPLICATE", "field": "input.code"}]
    bad = gql(CREATE, {"input": {"code": "north east", "name": " "}})
    assert {e["field"] for e in bad.data["createTeam"]["errors"]} == {"input.code", "input.name"}

    moved = gql(UPDATE, {"input": {"id": team["id"], "expectedVersion": 1, "parent": None}})
    assert moved.data["updateTeam"]["team"]["parent"] is None
    stale = gql(UPDATE, {"input": {"id": team["id"], "expectedVersion": 1, "name": "x"}})
    assert stale.data["updateTeam"]["errors"] == [
        {"code": "CONFLICT", "field": "input.expectedVersion"}
    ]
    archived = gql(ARCHIVE, {"input": {"id": team["id"]}})
    assert archived.data["archiveTeam"]["team"]["archivedAt"]
    # Archived again (a retry): answered as it is, no second time nor event (tester BO).
    assert gql(ARCHIVE, {"input": {"id": team["id"]}}).data == archived.data
    actions = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action ORDER BY a.at",
        id=team["id"],
    ).records
    assert [r["action"] for r in actions] == ["team.create", "team.update", "team.archive"]
    listed = {t["code"] for t in gql(TEAMS_Q).data["teams"]}
    assert "NORTH" not in listed


def test_hierarchy_stays_acyclic_and_capped(gql: GQL) -> None:
    hq = TEAMS["HQ"][0]
    cycle = gql(UPDATE, {"input": {"id": hq, "expectedVersion": 1, "parent": TEAMS["EAST"][0]}})
    assert cycle.data["updateTeam"]["errors"] == [{"code": "CYCLE", "field": "input.parent"}]
    itself = gql(UPDATE, {"input": {"id": hq, "expectedVersion": 1, "parent": hq}})
    assert itself.data["updateTeam"]["errors"] == [{"code": "CYCLE", "field": "input.parent"}]
    # HQ > EAST is 1 edge; seven more levels below EAST make 8, the cap; a ninth is refused.
    parent = TEAMS["EAST"][0]
    for level in range(7):
        r = gql(CREATE, {"input": {"code": f"L{level}", "name": "x", "parent": parent}})
        assert r.data["createTeam"]["errors"] == [], level
        parent = r.data["createTeam"]["team"]["id"]
    deep = gql(CREATE, {"input": {"code": "L7", "name": "x", "parent": parent}})
    assert deep.data["createTeam"]["errors"] == [{"code": "VALIDATION", "field": "input.parent"}]
    # Moving WEST (no children) under the deepest team would also pass the cap.
    west = TEAMS["WEST"][0]
    move = gql(UPDATE, {"input": {"id": west, "expectedVersion": 1, "parent": parent}})
    assert move.data["updateTeam"]["errors"] == [{"code": "VALIDATION", "field": "input.parent"}]
    gone = gql(UPDATE, {"input": {"id": west, "expectedVersion": 1, "parent": "no-such-team"}})
    assert gone.data["updateTeam"]["errors"] == [{"code": "NOT_FOUND", "field": "input.parent"}]


def test_a_team_in_use_is_not_archived(gql: GQL) -> None:
    r = gql(ARCHIVE, {"input": {"id": TEAMS["EAST"][0]}})
    assert r.data["archiveTeam"]["errors"] == [{"code": "VALIDATION", "field": "input.id"}]


def test_users_must_name_an_active_team(gql: GQL) -> None:
    create = """mutation($input: CreateUserInput!) {
      createUser(input: $input) { user { team } errors { code field } } }"""
    bad = gql(create, {"input": {"name": "新人", "team": "NOWHERE"}})
    assert bad.data["createUser"] == {
        "user": None,
        "errors": [{"code": "NOT_FOUND", "field": "input.team"}],
    }
    ok = gql(create, {"input": {"name": "新人", "team": "WEST", "roles": ["AUDITOR"]}})
    assert ok.data["createUser"] == {"user": {"team": "WEST"}, "errors": []}
