"""The README's "Try it" session, run verbatim against the demo data through the real app."""

from __future__ import annotations

import re

from graph.server import LocalNeo4j
from neo4j import Driver
from settings import ROOT
from tests.conftest import GQL
from tests.graph.test_demo import seed


def try_it_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.S)


def test_readme_session_works_on_demo_data(
    gql: GQL, cypher: Driver, neo4j_server: LocalNeo4j
) -> None:
    assert seed(neo4j_server) is True
    blocks = try_it_blocks()
    assert len(blocks) == 7, "the README session changed: update this test with it"
    ids: dict[str, str] = {}

    def run(block: str) -> dict:  # type: ignore[type-arg]
        for placeholder, value in ids.items():
            block = block.replace(placeholder, value)
        assert "<id of" not in block
        return gql(block).data

    found = run(blocks[0])["search"]
    assert any(hit["name"] == "华星集团有限公司" for hit in found)

    company = run(blocks[1])["createCompany"]
    assert company["errors"] == []
    ids["<id of the new company>"] = company["company"]["id"]
    assert run(blocks[2])["linkNodes"]["errors"] == []

    person = run(blocks[3])["createPerson"]
    assert person["errors"] == []
    ids["<id of the new person>"] = person["person"]["id"]
    links = run(blocks[4])
    assert [links[k]["errors"] for k in ("works", "reports", "sways")] == [[], [], []]

    first = run(blocks[5])["updateCompany"]
    assert first["errors"] == []
    second = run(blocks[5])["updateCompany"]
    assert [e["code"] for e in second["errors"]] == ["CONFLICT"]

    cycle = run(blocks[6])["linkNodes"]
    assert [e["code"] for e in cycle["errors"]] == ["CYCLE"]

    parent = cypher.execute_query(
        "MATCH (:Company {id: $id})-[:SUBSIDIARY_OF]->(p:Company) RETURN p.name AS name",
        id=ids["<id of the new company>"],
        database_="neo4j",
    ).records
    assert [r["name"] for r in parent] == ["华星集团有限公司"]


def test_readme_records_session_works_on_demo_data(gql: GQL, neo4j_server: LocalNeo4j) -> None:
    """The "Customer records" walk-through: a visit with a next step, two products, an order
    of both, then the figures and the timeline show them."""
    seed(neo4j_server)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Customer records", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 4, "the README session changed: update this test with it"
    before = gql(blocks[3]).data

    visit = gql(blocks[0]).data["saveRecord"]
    assert visit["errors"] == []
    assert visit["record"]["followUps"][0]["status"] == "OPEN"
    catalogue = gql(blocks[1]).data["products"]["nodes"]
    order = blocks[2]
    for product in catalogue:
        order = order.replace(f"<id of {product['sku']}>", product["id"])
    saved = gql(order).data["saveRecord"]
    assert saved["errors"] == []
    assert saved["record"]["amount"] == "1772005"  # 2 × 880000 + 10 × 1200.50

    after = gql(blocks[3]).data
    figures, earlier = after["company"]["figures"], before["company"]["figures"]
    assert figures["openFollowUps"] == earlier["openFollowUps"] + 1
    assert figures["purchases"][0]["orders"] == earlier["purchases"][0]["orders"] + 1
    assert after["timeline"]["totalCount"] == before["timeline"]["totalCount"] + 2


def test_readme_intelligence_query_works_on_demo_data(gql: GQL, neo4j_server: LocalNeo4j) -> None:
    """The "Customer intelligence" query, after a scoring run over the demo data: core
    customers come with explanations that sum to their scores, and what is at risk says why."""
    import asyncio

    from graph import intelligence
    from graph.actor import Actor
    from graph.db import Database
    from graph.nodes import Audit

    seed(neo4j_server)

    async def score() -> None:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            assert await intelligence.run(db, Audit(Actor("system:test"), "scoring.run", "t"))
        finally:
            await db.close()

    asyncio.run(score())
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Customer intelligence", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the README session changed: update this test with it"
    data = gql(blocks[0]).data
    core = data["customers"]["nodes"]
    assert core, "the demo has core customers"
    for c in core:
        i = c["intelligence"]
        assert i["segment"] == "CORE"
        assert round(sum(f["share"] for f in i["factors"]), 2) == i["value"]
    for w in data["churnWarnings"]["nodes"]:
        assert w["reasons"], w
    assert data["pareto"]["customers"] >= len(core)
