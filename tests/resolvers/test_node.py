"""node / nodes / company / person / project by id and auditTrail, per persona: another
team's rows are exactly like missing ones (resolvers/node.py, graph/nodes.py)."""

from __future__ import annotations

from typing import Any

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.accounts import (
    EAST_IDS,
    PERSONA_NAMES,
    SEES_EAST,
    SEES_WEST,
    WEST_IDS,
    build_accounts,
    hidden_leaks,
)

BY_ID = """query($ids: [ID!]!) {
  ec: node(id: "east-co") { id } wc: node(id: "west-co") { id }
  many: nodes(ids: $ids) { id ... on Company { name } ... on Person { name }
                           ... on Project { name } }
  company(id: "west-co") { id name } person(id: "west-person") { id name mobile }
  project(id: "west-project") { id name }
  eastCompany: company(id: "east-co") { id name subsidiaries { id name } }
  eastPerson: person(id: "east-person") { id name employer { company { id name } } }
}"""


def test_lookups_by_id_hide_what_the_viewer_may_not_see(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    for persona in PERSONA_NAMES:
        _lookups(gql, persona)


def _lookups(gql: GQL, persona: str) -> None:
    ids = [*EAST_IDS, *WEST_IDS]
    r = gql.as_(persona)(BY_ID, {"ids": ids})
    data = r.data
    east, west = persona in SEES_EAST, persona in SEES_WEST
    assert (data["ec"] is not None) == east
    assert (data["wc"] is not None) == west
    assert (data["company"] is not None) == west
    assert (data["person"] is not None) == west
    assert (data["project"] is not None) == west
    # nodes(ids): null in place of what the viewer may not see, in the order asked
    expected = [i if (east if i in EAST_IDS else west) else None for i in ids]
    assert [n and n["id"] for n in data["many"]] == expected
    if east:
        # the subsidiary owned by WEST hangs off the EAST account: listed only for WEST viewers
        subs = {s["id"] for s in data["eastCompany"]["subsidiaries"]}
        assert subs == ({"east-sub", "west-sub"} if west else {"east-sub"})
        assert data["eastPerson"]["employer"]["company"]["id"] == "east-co"
    assert hidden_leaks(persona, data) == set()


def test_sales_lookups_cost_what_admin_lookups_cost(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    ids = [*EAST_IDS, *WEST_IDS]
    admin = gql(BY_ID, {"ids": ids})
    sales = gql.as_("owner")(BY_ID, {"ids": ids})
    assert admin.round_trips == sales.round_trips
    # node + nodes share one loader; company, person, project one each; subsidiaries; employer
    assert sales.round_trips == 6


TRAIL = """query($id: ID!) { auditTrail(id: $id, first: 10) { totalCount
  edges { node { targetId action } } } }"""


def test_audit_trail_shows_events_on_visible_nodes_only(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    cypher.execute_query(
        "CREATE (:AuditEvent {id: 'ev-gone', at: datetime(), actor: 'x', action: "
        "'company.delete', targetId: 'gone-co', targetLabel: 'Company', fields: []})",
        database_="neo4j",
    )
    for persona in PERSONA_NAMES:
        _trail(gql, persona)


def _trail(gql: GQL, persona: str) -> None:
    for node_id, sees in (
        ("west-co", persona in SEES_WEST),
        ("west-person", persona in SEES_WEST),
        ("east-co", persona in SEES_EAST),
        # a deleted node: only the roles that read everything
        ("gone-co", persona in {"admin", "auditor", "analyst"}),
    ):
        r = gql.as_(persona)(TRAIL, {"id": node_id})
        trail = r.data["auditTrail"]
        assert trail["totalCount"] == (1 if sees else 0), (persona, node_id)
        assert [e["node"]["targetId"] for e in trail["edges"]] == ([node_id] if sees else [])
        assert r.round_trips == 2  # the page and the count, as before


REQUEST = '{ writesOfRequest(requestId: "hAZ-u1-30-ln") { targetId action requestId } }'


def test_a_client_finds_what_its_unanswered_request_saved(gql: GQL, app_client: Any) -> None:
    """Tester AZ: a create whose answer was lost could be found only by its name; the trail
    by node needs the id that the lost answer held."""
    create = 'mutation { createCompany(input: {name: "请求查询测试"}) { company { id } } }'
    owner = PERSONAS["owner"]
    sent = app_client.post(
        "/graphql",
        json={"query": create},
        headers={"Authorization": f"Bearer {owner['key']}", "X-Request-Id": "hAZ-u1-30-ln"},
    )
    made = sent.json()["data"]["createCompany"]["company"]["id"]
    mine = gql.as_("owner")(REQUEST).data["writesOfRequest"]
    assert [(e["targetId"], e["action"]) for e in mine][:1] == [(made, "company.create")]
    assert {e["requestId"] for e in mine} == {"hAZ-u1-30-ln"}
    assert gql.as_("other_team")(REQUEST).data["writesOfRequest"] == []
    assert [e["targetId"] for e in gql.as_("auditor")(REQUEST).data["writesOfRequest"]][:1] == [
        made
    ]
    assert gql.as_("owner")('{ writesOfRequest(requestId: "nothing-saved") { id } }').data == {
        "writesOfRequest": []
    }
    bad = gql.as_("owner")('{ writesOfRequest(requestId: "a b") { id } }')
    assert bad.codes() == ["BAD_USER_INPUT"]
    assert bad.errors[0]["extensions"]["field"] == "requestId"
