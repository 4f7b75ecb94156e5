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
