"""Staff accounts: admins only, roles, and the API-key hash never leaves the server."""

from __future__ import annotations

from neo4j import Driver
from resolvers.auth import hash_key
from tests.conftest import GQL, PERSONAS

CREATE = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { user { id name email team roles version } errors { code field } } }"""
UPDATE = """mutation($input: UpdateUserInput!) {
  updateUser(input: $input) { user { roles version } errors { code field } } }"""


def test_create_update_and_defaults(gql: GQL) -> None:
    r = gql(CREATE, {"input": {"name": "赵经理", "email": "Zhao@Example.com", "team": "EAST"}})
    payload = r.data["createUser"]
    assert payload["errors"] == []
    u = payload["user"]
    assert (u["email"], u["team"], u["roles"], u["version"]) == (
        "Zhao@example.com",
        "EAST",
        ["SALES"],
        1,
    )
    up = gql(UPDATE, {"input": {"id": u["id"], "expectedVersion": 1, "roles": ["MANAGER"]}})
    assert up.data["updateUser"]["user"] == {"roles": ["MANAGER"], "version": 2}
    stale = gql(UPDATE, {"input": {"id": u["id"], "expectedVersion": 1, "roles": []}})
    assert [e["code"] for e in stale.data["updateUser"]["errors"]] == ["CONFLICT"]
    missing = gql(UPDATE, {"input": {"id": "nope", "expectedVersion": 1}})
    assert [e["code"] for e in missing.data["updateUser"]["errors"]] == ["NOT_FOUND"]
    bad = gql(CREATE, {"input": {"name": " ", "email": "x"}})
    assert {e["field"] for e in bad.data["createUser"]["errors"]} == {"input.name", "input.email"}


def test_a_staff_users_trail_is_for_roles_that_read_everything(gql: GQL) -> None:
    """Who changed a colleague's roles and team is not a rep's to read (tester AT)."""
    u = gql(CREATE, {"input": {"name": "钱经理", "team": "EAST"}}).data["createUser"]["user"]
    gql(UPDATE, {"input": {"id": u["id"], "expectedVersion": 1, "roles": ["MANAGER"]}})
    trail = "query($id: ID!) { auditTrail(id: $id, first: 10) { totalCount } }"
    counts = {
        persona: gql.as_(persona)(trail, {"id": u["id"]}).data["auditTrail"]["totalCount"]
        for persona in ("admin", "auditor", "owner", "manager_above")
    }
    assert counts == {"admin": 2, "auditor": 2, "owner": 0, "manager_above": 0}


def test_only_admins_manage_staff(gql: GQL) -> None:
    r = gql.as_("owner")(CREATE, {"input": {"name": "X", "roles": ["ADMIN"]}})
    assert r.data["createUser"] == {"user": None, "errors": [{"code": "FORBIDDEN", "field": None}]}
    me = PERSONAS["owner"]["id"]
    up = gql.as_("owner")(UPDATE, {"input": {"id": me, "expectedVersion": 1, "roles": ["ADMIN"]}})
    assert [e["code"] for e in up.data["updateUser"]["errors"]] == ["FORBIDDEN"]
    delete = "mutation($i: NodeRefInput!) { deleteUser(input: $i) { deletedId errors { code } } }"
    assert gql.as_("owner")(delete, {"i": {"id": me}}).data["deleteUser"]["errors"] == [
        {"code": "FORBIDDEN"}
    ]


def test_an_email_or_oidc_subject_is_one_active_users(gql: GQL, cypher: Driver) -> None:
    """Sign-in maps a token to the one active user holding its email or `sub`: a retried
    createUser that made a second holder would lock both out."""
    first = gql(CREATE, {"input": {"name": "钱七", "email": "qian@example.com"}})
    u = first.data["createUser"]["user"]
    again = gql(CREATE, {"input": {"name": "钱七", "email": "qian@EXAMPLE.com"}})
    assert again.data["createUser"] == {
        "user": None,
        "errors": [{"code": "DUPLICATE", "field": "input.email"}],
    }
    sub = {"name": "孙八", "oidcSubject": "idp|sun"}
    made = gql(CREATE, {"input": sub}).data["createUser"]
    assert made["errors"] == []
    other = made["user"]
    assert gql(CREATE, {"input": sub}).data["createUser"]["errors"] == [
        {"code": "DUPLICATE", "field": "input.oidcSubject"}
    ]
    # Taking another's email by update is refused; restating one's own is not.
    steal = {"id": other["id"], "expectedVersion": 1, "email": "qian@example.com"}
    assert gql(UPDATE, {"input": steal}).data["updateUser"]["errors"] == [
        {"code": "DUPLICATE", "field": "input.email"}
    ]
    own = {"id": u["id"], "expectedVersion": 1, "email": "qian@example.com", "roles": ["MANAGER"]}
    assert gql(UPDATE, {"input": own}).data["updateUser"]["errors"] == []
    # Archived, the holder no longer signs in: the value is free again.
    archive = "mutation($i: NodeRefInput!) { archiveUser(input: $i) { errors { code } } }"
    assert gql(archive, {"i": {"id": u["id"]}}).data["archiveUser"]["errors"] == []
    assert gql(UPDATE, {"input": steal}).data["updateUser"]["errors"] == []
    count = "MATCH (u:User) WHERE u.email = 'qian@example.com' RETURN count(u) AS n"
    assert cypher.execute_query(count).records[0]["n"] == 2


def test_api_key_hash_is_never_exposed(gql: GQL) -> None:
    me = PERSONAS["owner"]["id"]
    r = gql("query($id: ID!) { user(id: $id) { name roles team } }", {"id": me})
    assert r.data["user"] == {"name": PERSONAS["owner"]["name"], "roles": ["SALES"], "team": "EAST"}
    bad = gql("query($id: ID!) { user(id: $id) { apiKeyHash } }", {"id": me})
    assert bad.codes() == ["GRAPHQL_VALIDATION_FAILED"]
    full = gql(
        "query($id: ID!) { user(id: $id) { id name email team roles version createdAt "
        "updatedAt archivedAt externalSource externalId } }",
        {"id": me},
    )
    assert full.data["user"]["id"] == me
    assert hash_key("key-owner") not in str(full.body)


def test_archived_user_cannot_sign_in(gql: GQL) -> None:
    u = gql(CREATE, {"input": {"name": "临时"}}).data["createUser"]["user"]
    archive = (
        "mutation($i: NodeRefInput!) { archiveUser(input: $i) { user { id } errors { code } } }"
    )
    assert (
        gql(archive, {"i": {"id": u["id"], "expectedVersion": 1}}).data["archiveUser"]["errors"]
        == []
    )
    delete = "mutation($i: NodeRefInput!) { deleteUser(input: $i) { deletedId errors { code } } }"
    assert gql(delete, {"i": {"id": u["id"]}}).data["deleteUser"]["deletedId"] == u["id"]
    assert gql(delete, {"i": {"id": u["id"]}}).data["deleteUser"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]


ME = "{ me { name roles demo readsEverything editsEverything mayEdit anonymised } }"


def test_me_says_who_the_key_signs_in_as_without_a_round_trip(gql: GQL) -> None:
    owner = gql.as_("owner")(ME)
    assert owner.data["me"] == {
        "name": PERSONAS["owner"]["name"],
        "roles": ["SALES"],
        "demo": False,
        "readsEverything": False,
        "editsEverything": False,
        "mayEdit": True,
        "anonymised": False,
    }
    assert owner.round_trips == 0
    analyst = gql.as_("analyst")(ME).data["me"]
    assert (analyst["readsEverything"], analyst["mayEdit"], analyst["anonymised"]) == (
        True,
        False,
        True,
    )
    admin = gql(ME).data["me"]
    assert (admin["roles"], admin["editsEverything"]) == (["ADMIN"], True)
    west = gql.as_("manager_west")(ME).data["me"]
    assert west["roles"] == ["MANAGER", "SALES"]


def test_me_user_is_the_signed_in_staff_record(gql: GQL) -> None:
    r = gql.as_("other_team")("{ me { user { id name team roles } } }")
    assert r.data["me"]["user"] == {
        "id": PERSONAS["other_team"]["id"],
        "name": PERSONAS["other_team"]["name"],
        "team": "WEST",
        "roles": ["SALES"],
    }
    assert r.round_trips == 1
    assert gql.as_("anonymous")(ME).codes() == ["UNAUTHENTICATED"]
