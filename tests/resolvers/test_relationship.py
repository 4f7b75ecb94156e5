"""Edge mutations through the real app: link / update / end / unlink for the closed vocabulary,
validation per type, acyclicity under concurrency, stance history and ownership hand-over."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from graph import clock
from neo4j import Driver
from tests.conftest import GQL, PERSONAS
from tests.resolvers.accounts import (
    EDITS_WEST,
    PERSONA_NAMES,
    READ_ONLY,
    SEES_EAST,
    SEES_WEST,
    build_accounts,
)

REL = (
    "id type fromId toId since until version kind ownership products region note strength "
    "satisfaction "
    "repName title department polarity basis projectId role stance concerns"
)
OUT = f"relationship {{ {REL} }} errors {{ code field message }}"
LINK = f"mutation($i: LinkInput!) {{ linkNodes(input: $i) {{ {OUT} }} }}"
UPDATE = f"mutation($i: UpdateLinkInput!) {{ updateLink(input: $i) {{ {OUT} }} }}"
END = f"mutation($i: EndLinkInput!) {{ endLink(input: $i) {{ {OUT} }} }}"
UNLINK = f"mutation($i: UnlinkInput!) {{ unlink(input: $i) {{ {OUT} }} }}"
SET_STANCE = f"mutation($i: SetStanceInput!) {{ setStance(input: $i) {{ {OUT} }} }}"
TRANSFER = f"mutation($i: TransferOwnershipInput!) {{ transferOwnership(input: $i) {{ {OUT} }} }}"
ADMIN = PERSONAS["admin"]["id"]
OWNER = PERSONAS["owner"]["id"]
OTHER = PERSONAS["other_team"]["id"]


def node(cypher: Driver, label: str, name: str) -> str:
    """A node as docs/MODEL.md stores it, created with plain Cypher."""
    node_id = str(uuid.uuid4())
    cypher.execute_query(
        "CREATE (n:" + label + " {id: $id, name: $name, version: 1, createdAt: datetime(), "
        "updatedAt: datetime()})",
        id=node_id,
        name=name,
        database_="neo4j",
    )
    return node_id


def count(cypher: Driver, query: str, **params: Any) -> int:
    return int(cypher.execute_query(query, params, database_="neo4j").records[0][0])


def totals(cypher: Driver) -> tuple[int, int]:
    """Nodes and edges stored, leaving out the per-type lock nodes of acyclic edge types
    (bookkeeping created on first use, like the migration nodes)."""
    return (
        count(cypher, "MATCH (n) WHERE NOT n:__EdgeLock RETURN count(n)"),
        count(cypher, "MATCH ()-[r]->() RETURN count(r)"),
    )


def link(gql: GQL, **fields: Any) -> dict[str, Any]:
    payload = gql(LINK, {"i": fields}).data["linkNodes"]
    assert payload["errors"] == [], payload["errors"]
    return payload["relationship"]  # type: ignore[no-any-return]


def link_errors(gql: GQL, **fields: Any) -> list[dict[str, Any]]:
    payload = gql(LINK, {"i": fields}).data["linkNodes"]
    assert payload["relationship"] is None
    return payload["errors"]  # type: ignore[no-any-return]


def codes(errors: list[dict[str, Any]]) -> dict[str | None, str]:
    return {e["field"]: e["code"] for e in errors}


@pytest.fixture
def world(cypher: Driver) -> dict[str, str]:
    return {
        "group": node(cypher, "Company", "华润集团"),
        "sub": node(cypher, "Company", "华润置地"),
        "branch": node(cypher, "Company", "华润置地深圳分公司"),
        "rival": node(cypher, "Company", "竞争对手公司"),
        "zhang": node(cypher, "Person", "张伟"),
        "li": node(cypher, "Person", "李娜"),
        "wang": node(cypher, "Person", "王芳"),
        "project": node(cypher, "Project", "ERP 升级"),
    }


def test_link_every_type_with_its_properties(gql: GQL, world: dict[str, str]) -> None:
    w = world
    cases: list[dict[str, Any]] = [
        {"type": "SUBSIDIARY_OF", "from": w["sub"], "to": w["group"], "kind": "subsidiary",
         "ownership": 0.51, "since": "2020-01-01"},
        {"type": "SUPPLIES", "from": w["rival"], "to": w["sub"], "products": "钢材"},
        {"type": "DISTRIBUTES_FOR", "from": w["branch"], "to": w["rival"], "region": "华南"},
        {"type": "PARTNERS_WITH", "from": w["group"], "to": w["rival"], "note": "战略合作"},
        {"type": "INVESTS_IN", "from": w["group"], "to": w["branch"], "ownership": 0.1},
        {"type": "INFLUENCES_PURCHASE", "from": w["rival"], "to": w["group"], "strength": 0.4},
        {"type": "INCUMBENT_AT", "from": w["rival"], "to": w["group"], "products": "SAP",
         "satisfaction": 0.3, "repName": "赵六"},
        {"type": "WORKS_AT", "from": w["zhang"], "to": w["sub"], "title": "CIO",
         "department": "信息部"},
        {"type": "REPORTS_TO", "from": w["li"], "to": w["zhang"], "kind": "DOTTED"},
        {"type": "INFLUENCES", "from": w["li"], "to": w["zhang"], "strength": 0.8,
         "polarity": "POSITIVE", "basis": "老同事", "projectId": w["project"]},
        {"type": "RELATED_TO", "from": w["zhang"], "to": w["wang"], "kind": "SPOUSE"},
        {"type": "PARTICIPATES_IN", "from": w["zhang"], "to": w["project"],
         "role": "decision_maker", "stance": "SUPPORTER", "concerns": "预算"},
        {"type": "FOR", "from": w["project"], "to": w["sub"]},
        {"type": "FOR", "from": w["project"], "to": w["wang"]},
        {"type": "OWNS", "from": OWNER, "to": w["sub"]},
        {"type": "ON_TEAM", "from": OWNER, "to": w["project"], "role": "售前"},
        {"type": "KNOWS", "from": OTHER, "to": w["zhang"], "strength": 0.9},
    ]  # fmt: skip
    seen = set()
    for case in cases:
        rel = link(gql, **case)
        seen.add(rel["type"])
        assert (rel["type"], rel["fromId"], rel["toId"]) == (case["type"], case["from"], case["to"])
        assert rel["version"] == 1
        for key, value in case.items():
            if key in ("type", "from", "to"):
                continue
            expected = (
                value.upper() if key in ("kind", "role") and case["type"] != "ON_TEAM" else value
            )
            assert rel[key] == expected, (case["type"], key)
    assert seen == {
        "SUBSIDIARY_OF", "SUPPLIES", "DISTRIBUTES_FOR", "PARTNERS_WITH", "INVESTS_IN",
        "INFLUENCES_PURCHASE", "INCUMBENT_AT", "WORKS_AT", "REPORTS_TO", "INFLUENCES",
        "RELATED_TO", "PARTICIPATES_IN", "FOR", "OWNS", "ON_TEAM", "KNOWS",
    }  # fmt: skip


def test_link_is_stored_as_the_model_says_and_audited(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    r = gql(LINK, {"i": {"type": "WORKS_AT", "from": world["zhang"], "to": world["sub"],
                         "title": " CIO ", "since": "2021-03-01"}})  # fmt: skip
    rel = r.data["linkNodes"]["relationship"]
    # the ends' locks and rights, the overlap check and the edge with its audit event: one
    # statement
    assert r.round_trips == 1
    stored = cypher.execute_query(
        "MATCH (:Person {id: $p})-[r:WORKS_AT {id: $id}]->(:Company {id: $c}) "
        "RETURN r.title AS title, r.since AS since, r.version AS version",
        p=world["zhang"],
        c=world["sub"],
        id=rel["id"],
        database_="neo4j",
    ).records
    assert len(stored) == 1
    assert stored[0]["title"] == "CIO"
    assert stored[0]["since"].iso_format() == "2021-03-01"
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action, a.targetLabel AS label, "
        "a.fields AS fields, a.actor AS actor",
        id=rel["id"],
        database_="neo4j",
    ).records
    assert [(e["action"], e["label"], e["fields"], e["actor"]) for e in events] == [
        ("relationship.link.works_at", "WORKS_AT", ["since", "title"], ADMIN)
    ]


def test_link_validation_writes_nothing(gql: GQL, cypher: Driver, world: dict[str, str]) -> None:
    w = world
    before = totals(cypher)
    # wrong endpoint kinds
    errors = link_errors(gql, type="WORKS_AT", **{"from": w["sub"]}, to=w["zhang"])
    assert codes(errors) == {"input.from": "VALIDATION"}
    errors = link_errors(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["li"])
    assert codes(errors) == {"input.to": "VALIDATION"}
    assert "Company" in errors[0]["message"]
    # a property of another type, an enum of another type, ranges, dates — all at once
    errors = link_errors(
        gql,
        type="SUBSIDIARY_OF",
        **{"from": w["sub"]},
        to=w["group"],
        kind="SPOUSE",
        ownership=1.5,
        title="CEO",
        since="2024-01-01",
        until="2023-01-01",
    )
    assert codes(errors) == {
        "input.kind": "VALIDATION",
        "input.ownership": "VALIDATION",
        "input.title": "VALIDATION",
        "input.until": "VALIDATION",
    }
    errors = link_errors(gql, type="PARTICIPATES_IN", **{"from": w["zhang"]}, to=w["project"],
                         role="KING", polarity="NEGATIVE")  # fmt: skip
    assert codes(errors) == {"input.role": "VALIDATION", "input.polarity": "VALIDATION"}
    errors = link_errors(gql, type="KNOWS", **{"from": OWNER}, to=w["zhang"], strength=-0.1)
    assert codes(errors) == {"input.strength": "VALIDATION"}
    # `until` is exclusive: ending on the first day makes an edge valid on no day (tester AU)
    errors = link_errors(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["sub"],
                         since="2025-01-01", until="2025-01-01")  # fmt: skip
    assert codes(errors) == {"input.until": "VALIDATION"}
    assert "exclusive" in errors[0]["message"]
    # self-loop
    errors = link_errors(gql, type="RELATED_TO", **{"from": w["li"]}, to=w["li"], kind="FRIEND")
    assert codes(errors) == {"input.to": "VALIDATION"}
    # unknown ids
    errors = link_errors(gql, type="PARTNERS_WITH", **{"from": w["sub"]}, to="missing")
    assert codes(errors) == {"input.to": "NOT_FOUND"}
    errors = link_errors(gql, type="PARTNERS_WITH", **{"from": "nope"}, to=w["sub"])
    assert codes(errors) == {"input.from": "NOT_FOUND"}
    errors = link_errors(gql, type="INFLUENCES", **{"from": w["li"]}, to=w["zhang"],
                         projectId=w["sub"])  # fmt: skip
    assert codes(errors) == {"input.projectId": "NOT_FOUND"}
    assert totals(cypher) == before


def test_link_through_a_merged_id_joins_the_survivor(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    w = world
    cypher.execute_query(
        "MATCH (p:Person {id: $p}) CREATE (:MergedId {id: 'gone-zhang'})-[:MERGED_INTO]->(p)",
        p=w["zhang"],
        database_="neo4j",
    )
    rel = link(gql, type="WORKS_AT", **{"from": "gone-zhang"}, to=w["sub"], title="CIO")
    assert (rel["fromId"], rel["toId"]) == (w["zhang"], w["sub"])
    # the old id and the survivor's are one person: a self-loop, and nothing written
    before = totals(cypher)
    errors = link_errors(gql, type="RELATED_TO", **{"from": "gone-zhang"}, to=w["zhang"],
                         kind="FRIEND")  # fmt: skip
    assert codes(errors) == {"input.to": "VALIDATION"}
    assert totals(cypher) == before


def test_duplicate_overlapping_edge(gql: GQL, cypher: Driver, world: dict[str, str]) -> None:
    w = world
    first = link(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["sub"], since="2020-01-01")
    errors = link_errors(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["sub"])
    assert codes(errors) == {"input": "DUPLICATE"}
    assert first["id"] in errors[0]["message"]
    # an earlier, closed period of the same job is history, not a duplicate
    link(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["sub"], since="2015-01-01",
         until="2018-01-01")  # fmt: skip
    # influence scoped to a project is a different edge from global influence
    link(gql, type="INFLUENCES", **{"from": w["li"]}, to=w["zhang"], strength=0.5)
    link(gql, type="INFLUENCES", **{"from": w["li"]}, to=w["zhang"], projectId=w["project"])
    errors = link_errors(gql, type="INFLUENCES", **{"from": w["li"]}, to=w["zhang"])
    assert codes(errors) == {"input": "DUPLICATE"}
    assert count(cypher, "MATCH ()-[r:WORKS_AT|INFLUENCES]->() RETURN count(r)") == 4


def test_update_conflict_and_history_fields(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    rel = link(gql, type="WORKS_AT", **{"from": world["zhang"]}, to=world["sub"], title="经理",
               department="采购部")  # fmt: skip
    ok = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 1, "title": "总监",
                            "department": None}}).data["updateLink"]  # fmt: skip
    assert ok["errors"] == []
    assert ok["relationship"]["title"] == "总监"
    assert ok["relationship"]["department"] is None
    assert ok["relationship"]["version"] == 2
    stale = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 1, "title": "X"}})
    payload = stale.data["updateLink"]
    assert payload["relationship"] is None
    assert codes(payload["errors"]) == {"input.expectedVersion": "CONFLICT"}
    wrong = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 2, "strength": 0.5}})
    assert codes(wrong.data["updateLink"]["errors"]) == {"input.strength": "VALIDATION"}
    backwards = gql(
        UPDATE, {"i": {"id": rel["id"], "expectedVersion": 2, "since": "2025-01-01",
                       "until": "2024-01-01"}}
    )  # fmt: skip
    assert codes(backwards.data["updateLink"]["errors"]) == {"input.until": "VALIDATION"}
    missing = gql(UPDATE, {"i": {"id": "nope", "expectedVersion": 1, "title": "X"}})
    assert codes(missing.data["updateLink"]["errors"]) == {"input.id": "NOT_FOUND"}
    stored = cypher.execute_query(
        "MATCH ()-[r:WORKS_AT {id: $id}]->() RETURN r.title AS t, r.version AS v",
        id=rel["id"],
        database_="neo4j",
    ).records[0]
    assert (stored["t"], stored["v"]) == ("总监", 2)
    actions = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action, a.fields AS fields "
        "ORDER BY a.at",
        id=rel["id"],
        database_="neo4j",
    ).records
    assert [(a["action"], a["fields"]) for a in actions] == [
        ("relationship.link.works_at", ["department", "title"]),
        ("relationship.update.works_at", ["department", "title"]),
    ]


def test_an_update_to_the_same_values_writes_nothing(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    rel = link(gql, type="WORKS_AT", **{"from": world["zhang"]}, to=world["sub"], title="经理",
               since="2020-01-01")  # fmt: skip
    same = {"id": rel["id"], "expectedVersion": 1, "title": "经理", "since": "2020-01-01"}
    r = gql(UPDATE, {"i": same}).data["updateLink"]
    assert (r["errors"], r["relationship"]["version"], r["relationship"]["title"]) == (
        [],
        1,
        "经理",
    )
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a) AS n", id=rel["id"]
    ).records[0]["n"]
    assert events == 1  # the link's
    changed = gql(UPDATE, {"i": {**same, "title": "总监"}}).data["updateLink"]
    assert changed["relationship"]["version"] == 2


def test_concurrent_updates_one_wins(gql: GQL, world: dict[str, str]) -> None:
    rel = link(gql, type="KNOWS", **{"from": OWNER}, to=world["zhang"], strength=0.1)

    def attempt(i: int) -> list[dict[str, Any]]:
        # none is the stored 0.1: a change to nothing succeeds at its version (below)
        r = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 1, "strength": i / 10 + 0.2}})
        return r.data["updateLink"]["errors"]  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert sum(1 for errs in results if errs == []) == 1
    assert all(errs[0]["code"] == "CONFLICT" for errs in results if errs)


def test_end_keeps_history_and_unlink_deletes(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    rel = link(gql, type="WORKS_AT", **{"from": world["zhang"]}, to=world["sub"],
               since="2020-01-01")  # fmt: skip
    for until in ("2019-01-01", "2020-01-01"):
        too_early = gql(END, {"i": {"id": rel["id"], "until": until}}).data["endLink"]
        assert codes(too_early["errors"]) == {"input.until": "VALIDATION"}
    stale = gql(END, {"i": {"id": rel["id"], "expectedVersion": 7}}).data["endLink"]
    assert codes(stale["errors"]) == {"input.expectedVersion": "CONFLICT"}
    ended = gql(END, {"i": {"id": rel["id"]}}).data["endLink"]
    assert ended["errors"] == []
    today = cypher.execute_query("RETURN toString(date()) AS d", database_="neo4j").records[0]["d"]
    assert ended["relationship"]["until"] == today
    assert ended["relationship"]["version"] == 2
    again = gql(END, {"i": {"id": rel["id"]}}).data["endLink"]
    assert codes(again["errors"]) == {"input.id": "CONFLICT"}
    # still there, as history
    assert count(cypher, "MATCH ()-[r:WORKS_AT {id: $id}]->() RETURN count(r)", id=rel["id"]) == 1
    # ended: a new current job at the same company is not a duplicate
    link(gql, type="WORKS_AT", **{"from": world["zhang"]}, to=world["sub"], title="顾问")

    gone = gql(UNLINK, {"i": {"id": rel["id"], "expectedVersion": 2}}).data["unlink"]
    assert gone["errors"] == []
    assert gone["relationship"]["id"] == rel["id"]
    assert count(cypher, "MATCH ()-[r:WORKS_AT {id: $id}]->() RETURN count(r)", id=rel["id"]) == 0
    twice = gql(UNLINK, {"i": {"id": rel["id"]}}).data["unlink"]
    assert codes(twice["errors"]) == {"input.id": "NOT_FOUND"}
    actions = cypher.execute_query(
        "MATCH (a:AuditEvent {targetId: $id}) RETURN a.action AS action ORDER BY a.at",
        id=rel["id"],
        database_="neo4j",
    ).records
    assert [a["action"] for a in actions] == [
        "relationship.link.works_at",
        "relationship.end",
        "relationship.unlink",
    ]


def test_a_job_ending_ends_the_reporting_lines_there(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    """张伟 leaves 华润置地: his line to his manager 李娜 and 王芳's dotted line to him end on
    his last day; lines with someone he still works with elsewhere or who never worked
    there, and his influence, stay."""
    w = world
    job = link(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["sub"], since="2020-01-01")
    link(gql, type="WORKS_AT", **{"from": w["li"]}, to=w["sub"])
    link(gql, type="WORKS_AT", **{"from": w["wang"]}, to=w["sub"])
    up = link(gql, type="REPORTS_TO", **{"from": w["zhang"]}, to=w["li"])
    down = link(gql, type="REPORTS_TO", **{"from": w["wang"]}, to=w["zhang"], kind="DOTTED")
    ties = link(gql, type="INFLUENCES", **{"from": w["zhang"]}, to=w["li"], strength=0.6)
    # 赵敏 works at the group as well, as 张伟 does: their line outlives his job here
    zhao = node(cypher, "Person", "赵敏")
    link(gql, type="WORKS_AT", **{"from": zhao}, to=w["sub"])
    link(gql, type="WORKS_AT", **{"from": zhao}, to=w["group"])
    link(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=w["group"])
    shared = link(gql, type="REPORTS_TO", **{"from": zhao}, to=w["zhang"])
    # 陈静 never worked at 华润置地: that line is not this job's
    chen = node(cypher, "Person", "陈静")
    outside = link(gql, type="REPORTS_TO", **{"from": chen}, to=w["zhang"])
    query = (
        "mutation($i: EndLinkInput!) { endLink(input: $i) { relationship { id until } "
        "alsoEnded { id type until version } errors { code } } }"
    )
    ended = gql(query, {"i": {"id": job["id"], "until": "2026-06-30"}}).data["endLink"]
    assert ended["errors"] == []
    assert ended["relationship"]["until"] == "2026-06-30"
    assert sorted(e["id"] for e in ended["alsoEnded"]) == sorted([up["id"], down["id"]])
    assert {(e["type"], e["until"], e["version"]) for e in ended["alsoEnded"]} == {
        ("REPORTS_TO", "2026-06-30", 2)
    }
    still_open = "MATCH ()-[r {id: $id}]->() WHERE r.until IS NULL RETURN count(r)"
    for edge in (shared, outside, ties):
        assert count(cypher, still_open, id=edge["id"]) == 1
    # each ended line has its own audit event, with the job's action
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'relationship.end'}) WHERE a.targetId IN $ids "
        "RETURN a.targetId AS id, a.fields AS fields, a.targetLabel AS label",
        ids=[up["id"], down["id"]],
        database_="neo4j",
    ).records
    assert sorted((e["id"], e["fields"], e["label"]) for e in events) == sorted(
        (i, ["until"], "REPORTS_TO") for i in (up["id"], down["id"])
    )
    # asked not to, a job's end leaves the lines open
    again = link(gql, type="WORKS_AT", **{"from": w["wang"]}, to=w["rival"])
    link(gql, type="WORKS_AT", **{"from": w["li"]}, to=w["rival"])
    line = link(gql, type="REPORTS_TO", **{"from": w["wang"]}, to=w["li"])
    alone = gql(query, {"i": {"id": again["id"], "endReportingLines": False}}).data["endLink"]
    assert alone["errors"] == []
    assert alone["alsoEnded"] == []
    assert count(cypher, still_open, id=line["id"]) == 1


def test_a_job_ending_leaves_a_line_to_someone_hidden_alone(gql: GQL, cypher: Driver) -> None:
    """Tester AQ: a WEST rep ended a reference company's job, and with it the line to an
    EAST contact they cannot see, whose id `alsoEnded` then showed. Hidden means missing."""
    cypher.execute_query(
        "MATCH (o:User {id: $owner}) "
        "CREATE (r:Company {id: 'ref-co', name: '东方精密', version: 1}) "
        "CREATE (o)-[:OWNS {id: 'own-e'}]->(e:Company:Customer {id: 'east-co', name: '华星', "
        "  version: 1}) "
        "CREATE (a:Person {id: 'ref-a', name: '参考人', version: 1}) "
        "CREATE (h:Person {id: 'east-h', name: '周敏', version: 1}) "
        "CREATE (a)-[:WORKS_AT {id: 'job-a', since: date('2019-01-01'), version: 1}]->(r) "
        "CREATE (h)-[:WORKS_AT {id: 'job-h1', since: date('2019-01-01'), "
        "  until: date('2024-07-01'), version: 1}]->(r) "
        "CREATE (h)-[:WORKS_AT {id: 'job-h2', since: date('2024-07-01'), version: 1}]->(e) "
        "CREATE (a)-[:REPORTS_TO {id: 'line-ah', kind: 'SOLID', since: date('2019-06-01'), "
        "  version: 1}]->(h)",
        owner=OWNER,
    )
    west = gql.as_("other_team")
    assert west('{ person(id: "east-h") { id } }').data["person"] is None
    ended = west(
        'mutation { endLink(input: {id: "job-a", until: "2023-01-01"}) { '
        "relationship { until } alsoEnded { id fromId toId } errors { code } } }"
    ).data["endLink"]
    assert ended["errors"] == []
    assert ended["relationship"]["until"] == "2023-01-01"
    assert ended["alsoEnded"] == []
    still = "MATCH ()-[r {id: 'line-ah'}]->() WHERE r.until IS NULL RETURN count(r)"
    assert count(cypher, still) == 1
    # The admin, who sees 周敏, ends hers with a job of its own the same way.
    cypher.execute_query("MATCH ()-[w {id: 'job-a'}]->() SET w.until = null, w.version = 3")
    mine = gql(
        'mutation { endLink(input: {id: "job-a", until: "2023-01-01"}) { '
        "alsoEnded { id } errors { code } } }"
    ).data["endLink"]
    assert mine["alsoEnded"] == [{"id": "line-ah"}]


def test_relationship_query_and_endpoints(gql: GQL, world: dict[str, str]) -> None:
    rel = link(gql, type="SUBSIDIARY_OF", **{"from": world["sub"]}, to=world["group"])
    r = gql(
        "query($id: ID!) { relationship(id: $id) { type fromNode { id ... on Company { name } } "
        "toNode { ... on Company { name } } } }",
        {"id": rel["id"]},
    )
    # the edge, then both endpoints in one batched look-up
    assert r.round_trips == 2
    assert r.data["relationship"] == {
        "type": "SUBSIDIARY_OF",
        "fromNode": {"id": world["sub"], "name": "华润置地"},
        "toNode": {"name": "华润集团"},
    }
    assert gql('{ relationship(id: "nope") { id } }').data["relationship"] is None


def test_cycles_refused(gql: GQL, cypher: Driver, world: dict[str, str]) -> None:
    w = world
    link(gql, type="SUBSIDIARY_OF", **{"from": w["branch"]}, to=w["sub"])
    top = link(gql, type="SUBSIDIARY_OF", **{"from": w["sub"]}, to=w["group"])
    before = totals(cypher)
    errors = link_errors(gql, type="SUBSIDIARY_OF", **{"from": w["group"]}, to=w["branch"])
    assert codes(errors) == {"input.to": "CYCLE"}
    assert totals(cypher) == before
    # a joint venture may have two parents: not a cycle
    link(gql, type="SUBSIDIARY_OF", **{"from": w["branch"]}, to=w["group"], kind="JOINT_VENTURE")
    # reporting lines too
    link(gql, type="REPORTS_TO", **{"from": w["li"]}, to=w["zhang"])
    errors = link_errors(gql, type="REPORTS_TO", **{"from": w["zhang"]}, to=w["li"])
    assert codes(errors) == {"input.to": "CYCLE"}
    # other types may form cycles
    link(gql, type="INFLUENCES", **{"from": w["zhang"]}, to=w["li"])
    link(gql, type="INFLUENCES", **{"from": w["li"]}, to=w["zhang"])
    # once the edge that closed the loop has ended, the reverse edge is allowed from then on
    # (history) ...
    assert gql(END, {"i": {"id": top["id"]}}).data["endLink"]["errors"] == []
    reverse = {"type": "SUBSIDIARY_OF", "from": w["group"], "to": w["sub"]}
    # ... but not without `since`: that reads as "always was", a loop on every earlier day,
    # nor when it ended in the past (a span that ends before today still began before it)
    assert codes(link_errors(gql, **reverse)) == {"input.to": "CYCLE"}
    assert codes(link_errors(gql, **reverse, until="2001-01-01")) == {"input.to": "CYCLE"}
    assert codes(link_errors(gql, **reverse, until=str(clock.today()))) == {"input.to": "CYCLE"}
    later = link(gql, **reverse, since=str(clock.today()))
    # ... nor moved back to "always" afterwards: blamed on the date the update changes
    back = gql(UPDATE, {"i": {"id": later["id"], "expectedVersion": 1, "since": None}})
    assert codes(back.data["updateLink"]["errors"]) == {"input.since": "CYCLE"}
    # ... and re-opening the ended edge would close a cycle again
    reopen = gql(UPDATE, {"i": {"id": top["id"], "expectedVersion": 2, "until": None}})
    assert codes(reopen.data["updateLink"]["errors"]) == {"input.until": "CYCLE"}


def test_a_dated_edge_may_not_close_a_loop_on_any_day_of_its_span(
    gql: GQL, cypher: Driver, world: dict[str, str]
) -> None:
    g, s, b = world["group"], world["sub"], world["branch"]
    link(gql, type="SUBSIDIARY_OF", **{"from": s}, to=g)  # no since: "always was"
    link(gql, type="SUBSIDIARY_OF", **{"from": b}, to=s, since="2010-01-01")
    before = totals(cypher)
    # Long ended, but in 2000 the group would have been its own grandchild's subsidiary:
    # the group map as of that day would draw a loop (found by a tester).
    errors = link_errors(
        gql, type="SUBSIDIARY_OF", **{"from": g}, to=s, since="2000-01-01", until="2001-01-01"
    )
    assert codes(errors) == {"input.to": "CYCLE"}
    # Across the dated edge: its span decides. Before 2010 the branch was no subsidiary yet.
    kept = {"type": "SUBSIDIARY_OF", "from": s, "to": b}
    errors = link_errors(gql, **kept, since="2008-01-01", until="2011-01-01")
    assert codes(errors) == {"input.to": "CYCLE"}
    assert totals(cypher) == before
    history = link(gql, **kept, since="2005-01-01", until="2010-01-01")
    # ... and the dated edge may not be stretched back over it.
    moved = gql(UPDATE, {"i": {"id": history["id"], "expectedVersion": 1, "until": "2010-06-01"}})
    assert codes(moved.data["updateLink"]["errors"]) == {"input.until": "CYCLE"}


def test_a_branch_has_one_parent_at_a_time(gql: GQL, cypher: Driver) -> None:
    """A joint venture may have two parents; a branch or division is part of one company."""
    head, rival, third = (node(cypher, "Company", n) for n in ("华星", "博远", "东方"))
    branch = node(cypher, "Company", "华星华东分公司")
    first = link(gql, type="SUBSIDIARY_OF", **{"from": branch}, to=head, kind="BRANCH",
                 since="2003-07-01")  # fmt: skip
    before = totals(cypher)
    for kind, field in (
        ("BRANCH", "input.kind"),
        ("JOINT_VENTURE", "input.to"),
        (None, "input.to"),
    ):
        errors = link_errors(gql, type="SUBSIDIARY_OF", **{"from": branch}, to=rival, kind=kind)
        assert codes(errors) == {field: "CONFLICT"}, errors
        assert first["id"] in errors[0]["message"]
    assert totals(cypher) == before
    # Days that do not meet are history, not a second parent.
    link(gql, type="SUBSIDIARY_OF", **{"from": branch}, to=rival, kind="BRANCH",
         since="1999-01-01", until="2003-07-01")  # fmt: skip
    # Two joint-venture parents are fine; turning one into a branch is not.
    jv = node(cypher, "Company", "华星博远")
    since = "2021-11-11"
    a = link(gql, type="SUBSIDIARY_OF", **{"from": jv}, to=head, kind="JOINT_VENTURE", since=since)
    link(gql, type="SUBSIDIARY_OF", **{"from": jv}, to=rival, kind="JOINT_VENTURE", since=since)
    changed = gql(UPDATE, {"i": {"id": a["id"], "expectedVersion": 1, "kind": "DIVISION"}})
    assert codes(changed.data["updateLink"]["errors"]) == {"input.kind": "CONFLICT"}
    # Nor may a branch's ended parent edge be reopened over another parent's days.
    ended = link(gql, type="SUBSIDIARY_OF", **{"from": jv}, to=third, kind="BRANCH",
                 since="2000-01-01", until="2001-01-01")  # fmt: skip
    reopened = gql(UPDATE, {"i": {"id": ended["id"], "expectedVersion": 1, "until": None}})
    assert codes(reopened.data["updateLink"]["errors"]) == {"input.until": "CONFLICT"}


def _has_cycle(cypher: Driver, rel: str) -> bool:
    """Whether edges of type `rel` that have not ended form a cycle (ended ones are history)."""
    return bool(
        cypher.execute_query(
            "MATCH (n) WHERE EXISTS { MATCH (n)-[rs:" + rel + "*1..20]->(n) "
            "WHERE all(x IN rs WHERE x.until IS NULL OR x.until > date()) } "
            "RETURN count(n) > 0 AS c",
            database_="neo4j",
        ).records[0]["c"]
    )


def test_racing_halves_of_a_cycle(gql: GQL, cypher: Driver) -> None:
    """Concurrent links that each close a cycle with the others: at most one of each
    conflicting set commits, and no cycle ever ends up stored."""
    for _round in range(4):
        a, b = (node(cypher, "Company", f"C{i}") for i in range(2))
        # two-node cycle: A→B racing B→A
        jobs = [(a, b), (b, a)] * 3
        # three-node cycle: X→Y, Y→Z and Z→X race; endpoint locks alone would not stop it
        x, y, z = (node(cypher, "Company", f"T{i}") for i in range(3))
        jobs += [(x, y), (y, z), (z, x)]

        def attempt(pair: tuple[str, str]) -> str:
            r = gql(LINK, {"i": {"type": "SUBSIDIARY_OF", "from": pair[0], "to": pair[1]}})
            errs = r.data["linkNodes"]["errors"]
            return errs[0]["code"] if errs else "OK"

        with ThreadPoolExecutor(max_workers=9) as pool:
            results = list(pool.map(attempt, jobs))
        pair_results = results[:6]
        triangle = results[6:]
        assert pair_results.count("OK") == 1, pair_results
        assert set(pair_results) <= {"OK", "CYCLE", "DUPLICATE"}
        assert triangle.count("OK") == 2, triangle
        assert triangle.count("CYCLE") == 1, triangle
        assert not _has_cycle(cypher, "SUBSIDIARY_OF")


def test_stance_history(gql: GQL, cypher: Driver, world: dict[str, str]) -> None:
    w = world
    rel = link(gql, type="PARTICIPATES_IN", **{"from": w["zhang"]}, to=w["project"],
               role="DECISION_MAKER", stance="NEUTRAL")  # fmt: skip
    link(gql, type="PARTICIPATES_IN", **{"from": w["li"]}, to=w["project"], role="USER")
    up = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 1, "stance": "OPPONENT"}})
    assert up.data["updateLink"]["errors"] == []
    # unchanged stance: no history entry, no new version
    same = gql(UPDATE, {"i": {"id": rel["id"], "expectedVersion": 2, "stance": "OPPONENT"}})
    assert same.data["updateLink"]["errors"] == []
    assert same.data["updateLink"]["relationship"]["version"] == 2
    via = gql(SET_STANCE, {"i": {"project": w["project"], "person": w["zhang"],
                                 "stance": "SUPPORTER", "expectedVersion": 2}})  # fmt: skip
    assert via.data["setStance"]["errors"] == []
    assert via.data["setStance"]["relationship"]["stance"] == "SUPPORTER"
    stale = gql(SET_STANCE, {"i": {"project": w["project"], "person": w["zhang"],
                                   "stance": "NEUTRAL", "expectedVersion": 1}})  # fmt: skip
    assert codes(stale.data["setStance"]["errors"]) == {"input.expectedVersion": "CONFLICT"}
    nobody = gql(SET_STANCE, {"i": {"project": w["project"], "person": w["wang"],
                                    "stance": "NEUTRAL"}})  # fmt: skip
    assert codes(nobody.data["setStance"]["errors"]) == {"input.person": "NOT_FOUND"}
    for project in (str(uuid.uuid4()), w["sub"]):  # no such project; a company's id
        gone = gql(SET_STANCE, {"i": {"project": project, "person": w["zhang"],
                                      "stance": "NEUTRAL"}})  # fmt: skip
        assert codes(gone.data["setStance"]["errors"]) == {"input.project": "NOT_FOUND"}
    gql(SET_STANCE, {"i": {"project": w["project"], "person": w["li"], "stance": "OPPONENT"}})

    q = (
        "query($p: ID!, $who: ID) { stanceHistory(project: $p, person: $who) { "
        "personId projectId from to by at } }"
    )
    r = gql(q, {"p": w["project"], "who": w["zhang"]})
    assert r.round_trips == 1
    mine = r.data["stanceHistory"]
    assert [(h["from"], h["to"]) for h in mine] == [
        ("OPPONENT", "SUPPORTER"),
        ("NEUTRAL", "OPPONENT"),
        (None, "NEUTRAL"),
    ]
    assert {h["by"] for h in mine} == {ADMIN}
    everyone = gql(q, {"p": w["project"]}).data["stanceHistory"]
    assert len(everyone) == 4
    assert everyone[0]["personId"] == w["li"]
    # the stored shape the decision tree reads (docs/MODEL.md)
    stored = cypher.execute_query(
        "MATCH (c:StanceChange {projectId: $p, personId: $who}) RETURN c.from AS f, c.to AS t, "
        "c.id IS NOT NULL AND c.at IS NOT NULL AS ok ORDER BY c.at",
        p=w["project"],
        who=w["zhang"],
        database_="neo4j",
    ).records
    assert [(s["f"], s["t"], s["ok"]) for s in stored] == [
        (None, "NEUTRAL", True),
        ("NEUTRAL", "OPPONENT", True),
        ("OPPONENT", "SUPPORTER", True),
    ]
    bad = gql("query($p: ID!) { stanceHistory(project: $p, first: 0) { to } }", {"p": "x"})
    assert bad.codes() == ["BAD_USER_INPUT"]


def test_transfer_ownership(gql: GQL, cypher: Driver, world: dict[str, str]) -> None:
    w = world
    # Only a customer has owners (a company or person that is none: NOT_FOUND, see below).
    cypher.execute_query("MATCH (c {id: $id}) SET c:Customer", id=w["sub"], database_="neo4j")
    first = link(gql, type="OWNS", **{"from": OWNER}, to=w["sub"], since="2024-01-01")
    moved = gql(TRANSFER, {"i": {"customer": w["sub"], "toUser": OTHER}}).data["transferOwnership"]
    assert moved["errors"] == []
    assert moved["relationship"]["fromId"] == OTHER
    owners = cypher.execute_query(
        "MATCH (u:User)-[r:OWNS]->(:Company {id: $c}) RETURN u.id AS u, "
        "r.until IS NULL OR r.until > date() AS current, r.id AS id",
        c=w["sub"],
        database_="neo4j",
    ).records
    assert {(o["u"], o["current"]) for o in owners} == {(OWNER, False), (OTHER, True)}
    assert (
        count(cypher, "MATCH (a:AuditEvent {targetId: $id}) RETURN count(a)", id=first["id"]) == 2
    )
    # The customer's own trail shows the hand-over: its OWNS edges' events are in it.
    trail = gql(
        "query($id: ID!) { auditTrail(id: $id, first: 20) { totalCount "
        "edges { node { action targetId } } } }",
        {"id": w["sub"]},
    ).data["auditTrail"]
    actions = [e["node"]["action"] for e in trail["edges"]]
    assert actions.count("relationship.transfer_ownership") == 2  # one edge ended, one made
    assert trail["totalCount"] == len(actions)
    again = gql(TRANSFER, {"i": {"customer": w["sub"], "toUser": OTHER}}).data["transferOwnership"]
    assert codes(again["errors"]) == {"input.toUser": "VALIDATION"}
    not_user = gql(TRANSFER, {"i": {"customer": w["sub"], "toUser": w["zhang"]}}).data[
        "transferOwnership"
    ]
    assert codes(not_user["errors"]) == {"input.toUser": "NOT_FOUND"}
    missing = gql(TRANSFER, {"i": {"customer": "nope", "toUser": OTHER}}).data["transferOwnership"]
    assert codes(missing["errors"]) == {"input.customer": "NOT_FOUND"}


def test_reopening_races_a_link_that_closes_the_cycle(gql: GQL, cypher: Driver) -> None:
    """Re-opening an ended REPORTS_TO edge and adding the reverse edge race: the per-type
    lock lets only one of them through, and no reporting cycle is stored."""
    for _round in range(3):
        a, b, c = (node(cypher, "Person", f"P{i}") for i in range(3))
        link(gql, type="REPORTS_TO", **{"from": b}, to=c)
        old = link(gql, type="REPORTS_TO", **{"from": a}, to=b, since="2020-01-01")
        assert gql(END, {"i": {"id": old["id"]}}).data["endLink"]["errors"] == []

        def reopen(edge_id: str) -> str:
            r = gql(UPDATE, {"i": {"id": edge_id, "expectedVersion": 2, "until": None}})
            errs = r.data["updateLink"]["errors"]
            return errs[0]["code"] if errs else "OK"

        def close(pair: tuple[str, str]) -> str:
            r = gql(LINK, {"i": {"type": "REPORTS_TO", "from": pair[0], "to": pair[1]}})
            errs = r.data["linkNodes"]["errors"]
            return errs[0]["code"] if errs else "OK"

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = [
                f.result() for f in (pool.submit(reopen, old["id"]), pool.submit(close, (c, a)))
            ]
        assert results.count("OK") == 1, results
        assert set(results) == {"OK", "CYCLE"}, results
        assert not _has_cycle(cypher, "REPORTS_TO")


def test_refusals_name_the_input_each_mutation_uses(gql: GQL, world: dict[str, str]) -> None:
    """graph/ refuses with a Refusal and the Part it concerns; each mutation puts the error
    on its own input path and words it for that mutation."""
    w = world
    wrong = link_errors(gql, type="OWNS", **{"from": w["zhang"]}, to=w["sub"])
    assert [(e["code"], e["field"], e["message"]) for e in wrong] == [
        ("VALIDATION", "input.from", "OWNS needs a User here, not a Person")
    ]
    missing = link_errors(gql, type="WORKS_AT", **{"from": w["zhang"]}, to=str(uuid.uuid4()))
    assert codes(missing) == {"input.to": "NOT_FOUND"}
    transfer = gql(TRANSFER, {"i": {"customer": w["sub"], "toUser": w["zhang"]}})
    errors = transfer.data["transferOwnership"]["errors"]
    assert [(e["code"], e["field"], e["message"]) for e in errors] == [
        ("NOT_FOUND", "input.toUser", f"no user with id {w['zhang']}")
    ]
    # A project, and a contact who is no customer: neither has owners.
    for not_customer in (w["project"], w["zhang"]):
        transfer = gql(TRANSFER, {"i": {"customer": not_customer, "toUser": OWNER}})
        errors = transfer.data["transferOwnership"]["errors"]
        assert [(e["code"], e["field"], e["message"]) for e in errors] == [
            ("NOT_FOUND", "input.customer", f"no customer with id {not_customer}")
        ]
    transfer = gql(TRANSFER, {"i": {"customer": str(uuid.uuid4()), "toUser": OWNER}})
    assert codes(transfer.data["transferOwnership"]["errors"]) == {"input.customer": "NOT_FOUND"}


# Row-level access on edges (graph/relationship.py's module doc), on the two teams' accounts.
ERR = "errors { code field }"
BY_EDGE_ID = """query($id: ID!) { relationship(id: $id) { id } }"""
HISTORY = """query($p: ID!) { stanceHistory(project: $p) { id personId } }"""


def share(cypher: Driver, node_id: str, persona: str, level: str) -> None:
    cypher.execute_query(
        "MATCH (c {id: $id}), (u:User {id: $u}) CREATE (c)-[:SHARED_WITH {level: $level}]->(u)",
        id=node_id,
        u=PERSONAS[persona]["id"],
        level=level,
        database_="neo4j",
    )


def test_edges_and_stance_history_of_invisible_nodes_are_missing(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    for persona in PERSONA_NAMES:
        _edges(gql, persona)


def _edges(gql: GQL, persona: str) -> None:
    as_ = gql.as_(persona)
    west, east = persona in SEES_WEST, persona in SEES_EAST
    for edge_id, sees in (
        ("reports-west", west),
        ("works-east", east),
        ("supplies-west-east", west and east),  # an edge is visible when both ends are
    ):
        r = as_(BY_EDGE_ID, {"id": edge_id})
        assert (r.data["relationship"] is not None) == sees, (persona, edge_id)
    history = as_(HISTORY, {"p": "west-project"}).data["stanceHistory"]
    assert [h["id"] for h in history] == (["sc-west"] if west else [])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_edge_writes_on_another_teams_edges(gql: GQL, cypher: Driver, persona: str) -> None:
    build_accounts(cypher)
    before = totals(cypher)
    as_ = gql.as_(persona)
    results = {
        "update": as_(UPDATE, {"i": {"id": "reports-west", "expectedVersion": 1, "kind": "SOLID"}}),
        "end": as_(END, {"i": {"id": "reports-west"}}),
        "stance": as_(
            SET_STANCE,
            {"i": {"project": "west-project", "person": "west-person", "stance": "OPPONENT"}},
        ),
        "unlink": as_(UNLINK, {"i": {"id": "works-west-2"}}),
    }
    payloads = {k: next(iter(r.data.values())) for k, r in results.items()}
    if persona in READ_ONLY:
        for k, r in results.items():
            assert payloads[k]["errors"] == [
                {
                    "code": "FORBIDDEN",
                    "field": "input",
                    "message": payloads[k]["errors"][0]["message"],
                }
            ], k
            assert r.round_trips == 0
    elif persona in EDITS_WEST:
        assert all(p["errors"] == [] for p in payloads.values()), payloads
        # an edge to an account the viewer cannot see is missing, even with their own end
        half = as_(UNLINK, {"i": {"id": "supplies-west-east"}}).data["unlink"]
        sees_east = persona in SEES_EAST
        assert codes(half["errors"]) == ({} if sees_east else {"input.id": "NOT_FOUND"})
        return
    else:  # owner: sees none of WEST's persons or projects
        assert codes(payloads["update"]["errors"]) == {"input.id": "NOT_FOUND"}
        assert codes(payloads["end"]["errors"]) == {"input.id": "NOT_FOUND"}
        # the project is not theirs to see: named first, as a missing project is
        assert codes(payloads["stance"]["errors"]) == {"input.project": "NOT_FOUND"}
        assert codes(payloads["unlink"]["errors"]) == {"input.id": "NOT_FOUND"}
    assert totals(cypher) == before
    kept = cypher.execute_query(
        "MATCH ()-[r:REPORTS_TO {id: 'reports-west'}]->() RETURN r.version AS v, r.until AS u",
        database_="neo4j",
    ).records[0]
    assert (kept["v"], kept["u"]) == (1, None)


def test_linking_needs_edit_rights_on_the_right_end(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    owner = gql.as_("owner")

    def attempt(**fields: Any) -> list[dict[str, Any]]:
        return owner(LINK, {"i": fields}).data["linkNodes"]["errors"]  # type: ignore[no-any-return]

    # an end the rep cannot see is missing
    assert codes(attempt(type="PARTNERS_WITH", **{"from": "east-co"}, to="west-co")) == {
        "input.to": "NOT_FOUND"
    }
    share(cypher, "west-co", "owner", "READ")
    # a business edge: edit one end (their own), see the other
    assert attempt(type="PARTNERS_WITH", **{"from": "east-co"}, to="west-co") == []
    # an edge that widens who sees what needs edit rights on both account ends
    assert codes(attempt(type="WORKS_AT", **{"from": "east-person"}, to="west-co")) == {
        "input.to": "FORBIDDEN"
    }
    # ... and so does a parent, which reshapes the other team's group (either direction)
    assert codes(attempt(type="SUBSIDIARY_OF", **{"from": "east-co"}, to="west-co")) == {
        "input.to": "FORBIDDEN"
    }
    assert codes(attempt(type="SUBSIDIARY_OF", **{"from": "west-co"}, to="east-co")) == {
        "input.from": "FORBIDDEN"
    }
    # OWNS needs the account held (owned in the rep's own scope), not just seen
    assert codes(attempt(type="OWNS", **{"from": OWNER}, to="west-co")) == {"input.to": "FORBIDDEN"}
    # a contact the rep just created, with no employer yet, is theirs: they read it back (so
    # do their managers, not other teams) and may attach it to their account
    created = owner(
        'mutation { createPerson(input: {name: "新联系人"}) { person { id } errors { code } } }'
    ).data["createPerson"]
    assert created["errors"] == []
    new_id = created["person"]["id"]
    read = f'{{ person(id: "{new_id}") {{ id name }} }}'
    assert owner(read).data["person"] == {"id": new_id, "name": "新联系人"}
    assert gql.as_("manager_above")(read).data["person"] == {"id": new_id, "name": "新联系人"}
    assert gql.as_("other_team")(read).data["person"] is None
    # ... and finds it in the people list and in search, which other teams do not
    listed = '{ people(first: 10, filter: {nameContains: "新联系"}) { nodes { id } } }'
    found = '{ search(text: "新联系人") { id } }'
    assert owner(listed).data["people"]["nodes"] == [{"id": new_id}]
    # (search also ranks 西方联系人 and the like, which the owner sees through a share)
    assert {"id": new_id} in owner(found).data["search"]
    assert gql.as_("other_team")(listed).data["people"]["nodes"] == []
    assert {"id": new_id} not in gql.as_("other_team")(found).data["search"]
    assert attempt(type="WORKS_AT", **{"from": new_id}, to="east-co") == []
    assert owner(read).data["person"] == {"id": new_id, "name": "新联系人"}
    # ... but not somebody else's new contact, which stays out of sight
    other = gql.as_("other_team")(
        'mutation { createPerson(input: {name: "别人的"}) { person { id } } }'
    ).data["createPerson"]["person"]["id"]
    assert owner(f'{{ person(id: "{other}") {{ id }} }}').data["person"] is None
    assert codes(attempt(type="WORKS_AT", **{"from": other}, to="east-co")) == {
        "input.from": "NOT_FOUND"
    }


def test_an_edit_share_gives_no_access_away(gql: GQL, cypher: Driver) -> None:
    """Tester AT joined a shared account's project team and kept the account after the share
    ended. Edges that widen who sees what need rights of one's own on the end they give."""
    build_accounts(cypher)
    share(cypher, "west-co", "owner", "EDIT")
    owner = gql.as_("owner")

    def attempt(**fields: Any) -> list[dict[str, Any]]:
        return owner(LINK, {"i": fields}).data["linkNodes"]["errors"]  # type: ignore[no-any-return]

    for fields, field in (
        ({"type": "ON_TEAM", "from": OWNER, "to": "west-project"}, "input.to"),
        ({"type": "FOR", "from": "east-project", "to": "west-co"}, "input.to"),
        ({"type": "KNOWS", "from": OWNER, "to": "west-person", "strength": 0.5}, "input.to"),
        ({"type": "WORKS_AT", "from": "west-person", "to": "east-co"}, "input.from"),
    ):
        errors = attempt(**fields)
        assert codes(errors) == {field: "FORBIDDEN"}, fields
        assert "EDIT share" in errors[0]["message"]
    # The share still edits the account: a new contact joins it, a business edge is drawn.
    created = owner('mutation { createPerson(input: {name: "新联系人"}) { person { id } } }')
    new_id = created.data["createPerson"]["person"]["id"]
    assert attempt(type="WORKS_AT", **{"from": new_id}, to="west-co") == []
    assert attempt(type="PARTNERS_WITH", **{"from": "west-co"}, to="east-co") == []
    # And when it ends, nothing of the account stays in sight.
    cypher.execute_query("MATCH (:Company {id: 'west-co'})-[s:SHARED_WITH]->() DELETE s")
    assert owner('{ company(id: "west-co") { id } }').data["company"] is None
    assert owner('{ project(id: "west-project") { id } }').data["project"] is None


def test_transfer_needs_the_account_held(gql: GQL, cypher: Driver) -> None:
    build_accounts(cypher)
    share(cypher, "west-co", "owner", "EDIT")

    def transfer(persona: str, customer: str, to: str) -> dict[str, Any]:
        r = gql.as_(persona)(TRANSFER, {"i": {"customer": customer, "toUser": to}})
        return r.data["transferOwnership"]  # type: ignore[no-any-return]

    # an EDIT share lets the rep change the account, not take it over
    assert codes(transfer("owner", "west-co", OWNER)["errors"]) == {"input.customer": "FORBIDDEN"}
    # another team's account the viewer cannot see is missing
    assert codes(transfer("other_team", "east-co", OTHER)["errors"]) == {
        "input.customer": "NOT_FOUND"
    }
    assert transfer("auditor", "east-co", OTHER)["errors"][0]["code"] == "FORBIDDEN"
    owners = "MATCH (u:User)-[o:OWNS]->({id: $id}) WHERE o.until IS NULL RETURN u.id AS u"
    assert [r["u"] for r in cypher.execute_query(owners, id="west-co").records] == [OTHER]
    # a rep hands over their own account; then it leaves their view
    assert transfer("owner", "east-co", OTHER)["errors"] == []
    assert [r["u"] for r in cypher.execute_query(owners, id="east-co").records] == [OTHER]
    assert gql.as_("owner")('{ company(id: "east-co") { id } }').data["company"] is None
    # a manager above may hand over any account below
    assert transfer("manager_above", "west-co", OWNER)["errors"] == []


def test_a_link_whose_end_is_deleted_while_it_waits_is_not_found(gql: GQL, cypher: Driver) -> None:
    """Tester BI: linkNodes racing deleteCompany read the deleted end (no label left) and
    answered INTERNAL. Deterministic here: the delete holds the end's lock until the link
    waits for it, then commits."""
    a, b = (node(cypher, "Company", f"竞删{i}") for i in range(2))
    with cypher.session(database="neo4j") as s, s.begin_transaction() as tx:
        tx.run("MATCH (c:Company {id: $id}) DETACH DELETE c", id=a).consume()
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(gql, LINK, {"i": {"type": "SUBSIDIARY_OF", "from": a, "to": b}})
            waited = 0.0
            while waited < 20 and not _waiting_for_a_lock(cypher):
                time.sleep(0.2)
                waited += 0.2
            tx.commit()
            r = pending.result()
    assert r.errors == [], r.errors
    assert codes(r.data["linkNodes"]["errors"]) == {"input.from": "NOT_FOUND"}


def _waiting_for_a_lock(cypher: Driver) -> bool:
    rows = cypher.execute_query(
        "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n",
        database_="neo4j",
    ).records
    return bool(rows[0]["n"])
