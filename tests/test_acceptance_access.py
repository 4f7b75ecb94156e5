"""Issue 12's acceptance, tried as a new user would: the demo data, the demo keys, the app.

The western sales rep (刘洋, `demo-west-sales-key`) cannot find, open or map the eastern
team's accounts (华星智能制造, its Suzhou subsidiary, the joint venture, the individual customer
陈国栋) nor see the names of the people who work only there, in any query or map; the eastern
manager (王芳, `demo-east-manager-key`) can.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph import demo_data as data
from graph.server import LocalNeo4j
from neo4j import Driver
from tests.graph.test_demo import seed

WEST_REP = "demo-west-sales-key"
EAST_MANAGER = "demo-east-manager-key"
EAST_REP = "demo-east-sales-key"
EAST_COMPANIES = ("hx_smart", "hx_suzhou", "hx_jv")
EAST_IDS = {data.demo_id("company", k) for k in EAST_COMPANIES} | {
    data.demo_id("person", "chen_guodong"),
    data.SMART_FACTORY_PROJECT_ID,
}


def _east_only_people() -> dict[str, str]:
    """People employed only by eastern accounts (ever), whom 刘洋 does not know: id -> name."""
    employers: dict[str, set[str]] = {}
    for who, where, *_ in data.WORKS_AT:
        employers.setdefault(who, set()).add(where)
    known = {person for user, person, _ in data.KNOWS if user == "liu_yang"}
    return {
        data.demo_id("person", p): data.PEOPLE[p][0]
        for p, where in employers.items()
        if where <= set(EAST_COMPANIES) and p not in known
    }


EAST_PEOPLE = _east_only_people()
HX_TECH = data.demo_id("company", "hx_tech")
HX_CLOUD = data.demo_id("company", "hx_cloud")
HX_SUZHOU = data.demo_id("company", "hx_suzhou")

MAP = "nodes { id name } edges { id source target }"
COMPANY = "query($id: ID!) { company(id: $id) { id name } }"
SMART = data.SMART_MANUFACTURING_ID
PROJECT = data.SMART_FACTORY_PROJECT_ID
CHEN = data.demo_id("person", "chen_guodong")
# What a curious western rep would try. Each is (id: what-where, query, variables).
PROBES: list[tuple[str, str, dict[str, Any]]] = [
    ("open-hx_smart", COMPANY, {"id": SMART}),
    ("open-hx_suzhou", COMPANY, {"id": HX_SUZHOU}),
    ("open-hx_jv", COMPANY, {"id": data.JOINT_VENTURE_ID}),
    ("open-chen_guodong", "query($id: ID!) { node(id: $id) { id } }", {"id": CHEN}),
    (
        "open-liu_jianguo",
        "query($id: ID!) { person(id: $id) { id name } }",
        {"id": data.DECISION_MAKER_ID},
    ),
    ("open-smart_factory", "query($id: ID!) { project(id: $id) { id name } }", {"id": PROJECT}),
    ("find-search-hx_smart", '{ search(text: "华星智能制造", first: 50) { id name } }', {}),
    ("find-search-hx_jv", '{ search(text: "博远新能源", first: 50) { id name } }', {}),
    ("find-search-liu_jianguo", '{ search(text: "刘建国", first: 50) { id name } }', {}),
    ("find-companies", "{ companies(first: 100) { totalCount nodes { id name } } }", {}),
    (
        "find-customers",
        "{ customers(first: 100) { totalCount nodes { ... on Company { id name } "
        "... on Person { id name } } } }",
        {},
    ),
    ("find-people", "{ people(first: 100) { totalCount nodes { id name } } }", {}),
    ("find-projects", "{ projects(first: 100) { totalCount nodes { id name } } }", {}),
    (
        "map-accountMap",
        "query($id: ID!) { accountMap(center: $id, depth: 3) { " + MAP + " } }",
        {"id": HX_TECH},
    ),
    (
        "map-groupHierarchy",
        "query($id: ID!) { groupHierarchy(company: $id) { roots map { " + MAP + " } } }",
        {"id": HX_TECH},
    ),
    (
        "map-contactMap",
        "query($id: ID!) { contactMap(company: $id, includeSubsidiaries: true) { " + MAP + " } }",
        {"id": HX_TECH},
    ),
    (
        "map-relatedAccounts",
        "query($id: ID!) { relatedAccounts(company: $id, maxHops: 3) { company { id name } "
        "paths { nodes { id name } } } }",
        {"id": HX_TECH},
    ),
    (
        "map-path",
        "query($a: ID!, $b: ID!) { path(from: $a, to: $b) { nodes { id name } } }",
        {"a": HX_TECH, "b": data.SMART_MANUFACTURING_ID},
    ),
    (
        "map-warmIntroPaths",
        "query($id: ID!) { warmIntroPaths(target: $id) { nodes { id name } explanation } }",
        {"id": data.DECISION_MAKER_ID},
    ),
    (
        "map-decisionTree",
        "query($id: ID!) { decisionTree(project: $id) { map { " + MAP + " } } }",
        {"id": data.SMART_FACTORY_PROJECT_ID},
    ),
    (
        "map-influenceRanking",
        "query($id: ID!) { influenceRanking(scope: $id) { person { id name } } }",
        {"id": data.SMART_MANUFACTURING_ID},
    ),
]


def strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value (so escaped CJK text is compared decoded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def leaks(body: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    """Eastern ids and people's names in a response (except what the request sent)."""
    text = "\n".join(strings(body.get("data")))
    errors = "\n".join(strings(body.get("errors")))
    echoed = json.dumps(sent)
    found = [i for i in EAST_IDS | set(EAST_PEOPLE) if i in text + errors and i not in echoed]
    found += [name for name in EAST_PEOPLE.values() if name in text + errors]
    return sorted(found)


@pytest.fixture
def demo(app_client: TestClient, cypher: Driver, neo4j_server: LocalNeo4j) -> TestClient:
    assert seed(neo4j_server) is True
    return app_client


def ask(client: TestClient, key: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("probe", "query", "variables"), PROBES, ids=[probe for probe, *_ in PROBES]
)
def test_west_rep_cannot_find_open_or_map_eastern_accounts(
    demo: TestClient, probe: str, query: str, variables: dict[str, Any]
) -> None:
    body = ask(demo, WEST_REP, query, variables)
    assert leaks(body, variables) == [], f"{probe}: {json.dumps(body, ensure_ascii=False)[:500]}"
    if probe.startswith("open"):
        # Hidden means missing: null, never a FORBIDDEN that tells it exists.
        assert body.get("errors") is None
        assert next(iter(body["data"].values())) is None


def test_east_manager_finds_opens_and_maps_them(demo: TestClient) -> None:
    q = "query($id: ID!) { company(id: $id) { id name } }"
    for key in ("hx_smart", "hx_suzhou", "hx_jv"):
        company = ask(demo, EAST_MANAGER, q, {"id": data.demo_id("company", key)})["data"]
        assert company["company"]["name"] == data.COMPANIES[key]["name"]
    hits = ask(demo, EAST_MANAGER, '{ search(text: "华星智能制造", first: 50) { id } }', {})
    assert data.SMART_MANUFACTURING_ID in {h["id"] for h in hits["data"]["search"]}
    m = ask(
        demo,
        EAST_MANAGER,
        "query($id: ID!) { contactMap(company: $id) { nodes { id name } } }",
        {"id": data.SMART_MANUFACTURING_ID},
    )
    assert data.DECISION_MAKER_ID in {n["id"] for n in m["data"]["contactMap"]["nodes"]}


def test_the_demo_share_shows_and_is_read_only(demo: TestClient) -> None:
    q = """query($id: ID!) { company(id: $id) {
      name shares { level user { name } by { name } } } }"""
    seen = ask(demo, EAST_REP, q, {"id": HX_CLOUD})["data"]["company"]
    assert seen["name"] == data.COMPANIES["hx_cloud"]["name"]
    assert seen["shares"] == [
        {"level": "READ", "user": {"name": "张伟 Zhang Wei"}, "by": {"name": "刘洋 Liu Yang"}}
    ]
    update = """mutation($id: ID!) { updateCompany(input: {id: $id, expectedVersion: 1,
      industry: "x"}) { errors { code } } }"""
    r = ask(demo, EAST_REP, update, {"id": HX_CLOUD})
    assert r["data"]["updateCompany"]["errors"] == [{"code": "FORBIDDEN"}]


def test_demo_teams_and_personas(demo: TestClient) -> None:
    teams = ask(demo, "demo-auditor-key", "{ teams { code parent { code } members { name } } }", {})
    by_code = {t["code"]: t for t in teams["data"]["teams"]}
    assert by_code["EAST"]["parent"] == {"code": "HQ"}
    assert by_code["WEST"]["parent"] == {"code": "HQ"}
    assert "黄磊 Huang Lei" in {m["name"] for m in by_code["WEST"]["members"]}
    for key in ("demo-west-manager-key", "demo-analyst-key", "demo-auditor-key"):
        r = ask(demo, key, "query($id: ID!) { company(id: $id) { id } }", {"id": HX_CLOUD})
        assert r["data"]["company"] == {"id": HX_CLOUD}, key
