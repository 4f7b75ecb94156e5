"""The business calendar: Python's today() and Cypher's date() name the same day."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator

import pytest

from graph import clock
from neo4j import Driver
from settings import Settings, SettingsError
from tests.conftest import GQL
from tests.resolvers.customfields import ARCHIVE as ARCHIVE_FIELD
from tests.resolvers.customfields import define

TEAM = """mutation($input: CreateTeamInput!) { createTeam(input: $input) {
  team { id } errors { code field } } }"""
ARCHIVE_TEAM = """mutation($input: NodeRefInput!) {
  archiveTeam(input: $input) { errors { code field } } }"""
PRODUCT = """mutation($input: SaveProductInput!) { saveProduct(input: $input) {
  errors { code field } } }"""
RECORD = """mutation($input: SaveRecordInput!) { saveRecord(input: $input) {
  errors { code field message } } }"""


@pytest.fixture
def reload_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    importlib.reload(clock)  # back to this run's zone


def test_cypher_date_is_the_business_day(cypher: Driver) -> None:
    row = cypher.execute_query(
        "RETURN date() AS d, datetime().offsetSeconds AS s", database_="neo4j"
    ).records[0]
    before, after = clock.today(), clock.today()  # a run across midnight sees one of them
    assert row["d"].to_native() in (before, after)
    assert row["s"] == clock.offset_seconds()


def test_the_default_is_china_with_a_plain_offset(reload_clock: pytest.MonkeyPatch) -> None:
    reload_clock.delenv("CRM_TIMEZONE", raising=False)
    importlib.reload(clock)
    assert clock.ZONE_NAME == "Asia/Shanghai"
    assert clock.neo4j_zone() == "+08:00"  # no "[Asia/Shanghai]" in toString(datetime())
    # 07:00 in Shanghai on 5 November is still 4 November in UTC: it is a 5 November order.
    at = dt.datetime(2026, 11, 4, 23, 0, tzinfo=dt.UTC)
    assert clock.day_of(at) == dt.date(2026, 11, 5)


def test_a_zone_with_daylight_saving_is_passed_by_name(reload_clock: pytest.MonkeyPatch) -> None:
    reload_clock.setenv("CRM_TIMEZONE", "Europe/Berlin")
    importlib.reload(clock)
    assert clock.neo4j_zone() == "Europe/Berlin"
    reload_clock.setenv("CRM_TIMEZONE", "Etc/GMT+12")
    importlib.reload(clock)
    assert clock.neo4j_zone() == "-12:00"


def test_an_unknown_zone_is_refused_by_the_settings_not_at_import(
    reload_clock: pytest.MonkeyPatch,
) -> None:
    reload_clock.setenv("CRM_TIMEZONE", "Mars/Olympus")
    importlib.reload(clock)  # an import that raised gave a traceback before any message
    with pytest.raises(SettingsError, match="CRM_TIMEZONE='Mars/Olympus': give an IANA time zone"):
        Settings.from_env()
    reload_clock.setenv("CRM_TIMEZONE", " Europe/Berlin ")
    assert Settings.from_env().timezone == "Europe/Berlin"


STORED_OFFSETS = """
CALL () { MATCH (n) UNWIND keys(n) AS k WITH labels(n)[0] + '.' + k AS key, n[k] AS v
          WHERE v IS :: ZONED DATETIME RETURN key, v
          UNION ALL
          MATCH ()-[r]->() UNWIND keys(r) AS k WITH type(r) + '.' + k AS key, r[k] AS v
          WHERE v IS :: ZONED DATETIME RETURN key, v }
RETURN key, collect(DISTINCT v.offsetSeconds) AS offsets ORDER BY key"""


def test_every_stored_instant_is_at_the_business_offset(gql: GQL, cypher: Driver) -> None:
    # Neo4j orders equal instants at different offsets apart: one written by the server in
    # UTC is missed by a `since` the client sends at +08:00 for the same moment.
    definition = define(gql, "COMPANY", "tier", "TEXT")
    assert (
        gql(ARCHIVE_FIELD, {"input": {"id": definition["id"]}}).data[
            "archiveCustomFieldDefinition"
        ]["errors"]
        == []
    )
    team = gql(TEAM, {"input": {"code": "NORTH", "name": "华北"}}).data["createTeam"]["team"]
    assert gql(ARCHIVE_TEAM, {"input": {"id": team["id"]}}).data["archiveTeam"]["errors"] == []
    product = gql(PRODUCT, {"input": {"sku": "P-1", "name": "机床", "archived": True}})
    assert product.data["saveProduct"]["errors"] == []
    customer = cypher.execute_query(
        "CREATE (c:Company:Customer {id: randomUUID(), name: '时区公司', version: 1}) "
        "RETURN c.id AS id"
    ).records[0]["id"]
    record = {
        "customer": customer,
        "occurredAt": "2026-03-01T01:00:00-05:00",  # a call taken in New York
        "interaction": {"channel": "CALL"},
    }
    assert gql(RECORD, {"input": record}).data["saveRecord"]["errors"] == []
    stored = {r["key"]: r["offsets"] for r in cypher.execute_query(STORED_OFFSETS).records}
    for key in ("CustomFieldDefinition.archivedAt", "Team.archivedAt", "Product.archivedAt"):
        assert key in stored
    assert "Interaction.occurredAt" in stored
    assert {k: o for k, o in stored.items() if o != [clock.offset_seconds()]} == {}
