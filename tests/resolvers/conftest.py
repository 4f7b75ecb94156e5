"""The hand-built graphs of tests/resolvers/graphs.py as fixtures, for the tests that share them."""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.resolvers.graphs import GROUP, PEOPLE, PROJECT, build, build_access


@pytest.fixture
def project_graph(cypher: Driver) -> None:
    """The group, its people and the project with a hidden influencer."""
    build(cypher, GROUP, PEOPLE, PROJECT)


@pytest.fixture
def access_graph(cypher: Driver) -> None:
    """Two teams' accounts, each partly hidden from the other (graphs.ACCESS)."""
    build_access(cypher)
