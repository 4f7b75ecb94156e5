"""Shared fixtures: one real Neo4j per test run, the real ASGI app, and persona clients.

Personas (:User nodes, each with one :ApiKey, recreated before every test):
- anonymous: no key;
- owner: a sales rep on team EAST, the owner of the records a test creates;
- other_team: a sales rep on team WEST;
- admin: role ADMIN;
- manager_above: a MANAGER of team HQ, above EAST and WEST;
- manager_west: a MANAGER of team WEST, another branch than the owner's;
- analyst, auditor: roles ANALYST and AUDITOR (read everything, edit nothing).

Teams (`:Team`, recreated before every test with fixed ids): HQ, with EAST and WEST PART_OF it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.testclient import TestClient

from graph.server import LocalNeo4j, free_port
from neo4j import Driver, GraphDatabase
from resolvers.auth import hash_key
from settings import ROOT, Settings

# Servers the tests start as subprocesses (`crm-graph serve`) inherit this: no background
# scoring run competing for the 2 cores; tests that want a run ask for one.
os.environ.setdefault("CRM_SCORING_INTERVAL_HOURS", "0")

PERSONAS: dict[str, dict[str, Any]] = {
    "owner": {
        "id": "00000000-0000-4000-8000-000000000001",
        "name": "王销售 Wang (owner)",
        "roles": ["SALES"],
        "team": "EAST",
        "key": "key-owner",
    },
    "other_team": {
        "id": "00000000-0000-4000-8000-000000000002",
        "name": "李销售 Li (west)",
        "roles": ["SALES"],
        "team": "WEST",
        "key": "key-other",
    },
    "admin": {
        "id": "00000000-0000-4000-8000-000000000003",
        "name": "Admin",
        "roles": ["ADMIN"],
        "team": "HQ",
        "key": "key-admin",
    },
    "manager_above": {
        "id": "00000000-0000-4000-8000-000000000004",
        "name": "赵经理 Zhao (HQ manager)",
        "roles": ["MANAGER"],
        "team": "HQ",
        "key": "key-manager-above",
    },
    "manager_west": {
        "id": "00000000-0000-4000-8000-000000000005",
        "name": "钱经理 Qian (west manager)",
        "roles": ["SALES", "MANAGER"],
        "team": "WEST",
        "key": "key-manager-west",
    },
    "analyst": {
        "id": "00000000-0000-4000-8000-000000000006",
        "name": "孙分析 Sun (analyst)",
        "roles": ["ANALYST"],
        "team": "HQ",
        "key": "key-analyst",
    },
    "auditor": {
        "id": "00000000-0000-4000-8000-000000000007",
        "name": "周审计 Zhou (auditor)",
        "roles": ["AUDITOR"],
        "team": "HQ",
        "key": "key-auditor",
    },
}

# code -> (id, parent code). Fixed ids, so that a scope cached across tests stays right.
TEAMS: dict[str, tuple[str, str | None]] = {
    "HQ": ("00000000-0000-4000-8000-0000000000a0", None),
    "EAST": ("00000000-0000-4000-8000-0000000000a1", "HQ"),
    "WEST": ("00000000-0000-4000-8000-0000000000a2", "HQ"),
}


# Every test empties the database and fills it anew, so the statistics a plan was made with
# always diverge, and Neo4j replans a cached statement once it is older than the minimum
# replan interval (10 s). Planning a map statement takes 5-13 s on this 2-core machine, and
# plans of tiny test graphs are all alike: keep them for the run.
TEST_CONF = (
    "dbms.cypher.min_replan_interval=1h",
    "dbms.cypher.statistics_divergence_threshold=1.0",
)


def start_local_server(tmp: Path) -> LocalNeo4j:
    server = LocalNeo4j(
        home=ROOT / ".neo4j",
        data_dir=tmp / "data",
        bolt_port=free_port(),
        heap="768m",
        pagecache="256m",
        conf=TEST_CONF,
    )
    server.start()
    return server


# Work units of `pytest -n N --dist loadscope` (the README's test command). The browser tests
# share one app with demo data (tests/viewer/conftest.py, package scope): as one unit they run
# back to back on one worker and load it once, where four modules spread over the workers
# loaded it up to four times (70-85 s each). The longest units go first, so that none starts
# last while the other worker idles.
WARM_UP_TEST = "tests/graph/test_db_limits.py"  # plans every named statement (warm_up)
AFTER_WARM_UP = ("tests/viewer", "tests/test_access_matrix.py")
SLOW_FIRST = (
    WARM_UP_TEST,
    "tests/test_operations.py",
    "tests/viewer",
    "tests/test_transfer_admin.py",
    "tests/test_transfer_cli.py",
    "tests/test_cli.py",
    "tests/resolvers/test_transfer_jobs.py",
    "tests/test_app_recovery.py",
)


@pytest.hookimpl(optionalhook=True)  # `-p no:xdist` runs without the hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):  # type: ignore[misc]
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/viewer/"):
                return "tests/viewer"
            return str(super()._split_scope(nodeid))

        def _assign_work_unit(self, node: Any) -> None:
            # First called once the queue is complete (xdist's schedule()): reorder it then.
            if not self.ordered:
                self.ordered = True
                for scope in reversed(SLOW_FIRST):
                    if scope in self.workqueue:
                        self.workqueue.move_to_end(scope, last=False)
            # The units that plan the most statements go to the worker whose Neo4j ran the
            # warm-up test (its plans are cached for the run); the other worker takes them
            # only when nothing else is left.
            warm = WARM_UP_TEST in self.assigned_work.get(node, {})
            for scope in self.workqueue:
                if (scope in AFTER_WARM_UP) == warm:
                    self.workqueue.move_to_end(scope, last=False)
                    break
            super()._assign_work_unit(node)

    return Scheduling(config, log)


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    if os.environ.get("NEO4J_URI"):
        pytest.fail("tests start their own Neo4j; unset NEO4J_URI")
    server = start_local_server(tmp_path_factory.mktemp("neo4j"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cypher(neo4j_server: LocalNeo4j) -> Iterator[Driver]:
    """A plain driver for test setup and for checking what was written."""
    driver = GraphDatabase.driver(neo4j_server.uri, auth=("neo4j", neo4j_server.password))
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def settings(neo4j_server: LocalNeo4j) -> Settings:
    return Settings(
        neo4j_uri=neo4j_server.uri,
        neo4j_password=neo4j_server.password,
        dev=True,
        allow_anonymous=False,
        # The first plan of a map statement with the visibility predicate can take seconds on
        # a loaded 2-core machine; the 15 s production default is tested in test_db_limits.
        transaction_timeout=60.0,
        # Planning every statement up front (60 s before /readyz) would be spent again in each
        # worker; a statement is planned on first use instead. test_db_limits covers warm_up.
        warm_up_seconds=0,
    )


@pytest.fixture(scope="session")
def app_client(settings: Settings) -> Iterator[TestClient]:
    from app import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        # The lifespan migrates in the background; wait until the app says it is ready
        # (up to 5 minutes: schema migrations crawl on a loaded 2-core machine).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        else:
            pytest.fail("app never became ready")
        SESSION_APPS.append(client)
        try:
            yield client
        finally:
            SESSION_APPS.remove(client)


# The session app's outreach sender sends whatever PENDING messages the shared database holds,
# a test's own included. Tests that drive graph/outreach.py themselves pause it.
SESSION_APPS: list[TestClient] = []


@pytest.fixture
def outreach_paused() -> Iterator[None]:
    states = [(c, cast(Any, c.app).state) for c in SESSION_APPS]
    for client, state in states:
        cast(Any, client).portal.call(state.outreach.stop)
    try:
        yield
    finally:
        for client, state in states:
            cast(Any, client).portal.call(state.outreach.start, state.db)


def plan_operators(plan: Any) -> list[str]:
    """The operator names of an EXPLAIN plan (a summary's `plan`), depth first."""
    ops = [plan["operatorType"].split("@")[0]]
    for child in plan.get("children", []):
        ops += plan_operators(child)
    return ops


def reset_database(driver: Driver) -> None:
    with driver.session(database="neo4j") as s:
        s.run(
            "MATCH (n) WHERE NOT n:__Neo4jMigration AND NOT n:__Neo4jMigrationsLock "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
        ).consume()
        for code, (team_id, parent) in TEAMS.items():
            s.run(
                "MERGE (t:Team {code: $code}) SET t.id = $id, t.name = $code "
                "WITH t OPTIONAL MATCH (p:Team {code: $parent}) "
                "FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | "
                "MERGE (t)-[:PART_OF]->(p))",
                code=code,
                id=team_id,
                parent=parent,
            ).consume()
    for p in PERSONAS.values():
        create_user_with_key(driver, p["id"], p["name"], p["roles"], p["team"], p["key"])


def create_user_with_key(
    driver: Driver, user_id: str, name: str, roles: list[str], team: str | None, key: str
) -> None:
    """A :User holding one working :ApiKey whose secret is `key` (as createApiKey stores it)."""
    driver.execute_query(
        "CREATE (u:User {id: $id, name: $name, roles: $roles, team: $team, version: 1, "
        "createdAt: datetime(), updatedAt: datetime()}) "
        "CREATE (u)-[:HAS_KEY]->(:ApiKey {id: randomUUID(), name: 'test', hash: $hash, "
        "prefix: left($key, 12), createdAt: datetime(), createdBy: 'test'})",
        id=user_id,
        name=name,
        roles=roles,
        team=team,
        hash=hash_key(key),
        key=key,
        database_="neo4j",
    )


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> None:
    if "cypher" in request.fixturenames or "gql" in request.fixturenames:
        reset_database(request.getfixturevalue("cypher"))
        # A persona's scope cached by the previous case (CRM_AUTH_CACHE_SECONDS) was resolved
        # from users and teams that are gone: a team mate created now would be missing.
        for client in SESSION_APPS:
            client.app.state.auth.forget_all()  # type: ignore[attr-defined]


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    round_trips: int

    @property
    def data(self) -> dict[str, Any]:
        assert not self.body.get("errors"), self.body.get("errors")
        return self.body["data"]  # type: ignore[no-any-return]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class GQL:
    """Posts GraphQL through the real ASGI app as one persona."""

    def __init__(self, client: TestClient, persona: str = "admin") -> None:
        self.client = client
        self.persona = persona

    def as_(self, persona: str) -> GQL:
        return GQL(self.client, persona)

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Response:
        headers = {}
        if self.persona != "anonymous":
            headers["Authorization"] = f"Bearer {PERSONAS[self.persona]['key']}"
        r = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return Response(r.status_code, r.json(), int(r.headers.get("x-cypher-round-trips", -1)))


@pytest.fixture
def gql(app_client: TestClient, cypher: Driver) -> GQL:
    """GraphQL as the admin persona; `gql.as_("owner")` etc. for the others."""
    return GQL(app_client)
