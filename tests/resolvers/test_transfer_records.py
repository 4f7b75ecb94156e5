"""The import of records (resolvers/transfer_records.py through resolvers/transfer.py's
run_import), on a real Neo4j: interactions and orders of imported companies land on their
timelines as saveRecord saves them; bad rows are reported with the API's codes and fields; a
re-run creates nothing; an interrupted import resumes."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

import cli
from graph import merge as merging
from graph import records
from graph.db import Database
from graph.server import LocalNeo4j
from graph.vocab import Label
from neo4j import Driver
from resolvers import transfer
from settings import ROOT, Settings
from tests.conftest import PERSONAS
from tests.resolvers.importing import AUDIT, assert_mapping_refused, run_import

EXAMPLES = ROOT / "docs" / "examples"
ORDERS_CSV = (
    "编号,客户,时间,币种,明细,单号\n"
    "SO-1,ERP-00001,2026-03-05T14:00:00+08:00,CNY,cnc-1:2:150000.00;spare-9:10:35.5,销-001\n"
    "SO-2,ERP-00002,2026-03-06T09:00:00+08:00,CNY,cnc-1:1:-5,销-002\n"
    "SO-3,ERP-00002,2026-03-06T10:00:00+08:00,CNY,gone-7:1:10,销-003\n"
    'SO-4,ERP-00002,2026-03-07T10:00:00+08:00,CNY,"[{""product"": ""spare-9"", '
    '""quantity"": 3, ""unitPrice"": ""12.50""}]",\n'
)
ORDERS_TOML = (
    'record = "ORDER"\nsource = "demo-shop"\nid = "编号"\ncustomer_source = "demo-erp"\n'
    '[fields]\ncustomer = "客户"\noccurredAt = "时间"\ncurrency = "币种"\nlines = "明细"\n'
    'orderNo = "单号"\n'
)


def _companies(server: LocalNeo4j, cypher: Driver, tmp: Path) -> None:
    """The first two sample companies (ERP-00001, ERP-00002), imported; and two products."""
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp / "companies.csv"
    path.write_text("".join(lines[:3]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    out = run_import(server, mapping, path, tmp / "companies.rejected.csv")
    assert out is not None
    assert out.created == 2
    cypher.execute_query(
        "CREATE (:Product {id: 'cnc-1', sku: 'CNC-1', name: '数控机床', version: 1}) "
        "CREATE (:Product {id: 'spare-9', sku: 'SP-9', name: '主轴备件', version: 1})"
    )


def _timeline(server: LocalNeo4j, party: str) -> list[records.RecordRow]:
    """The party's timeline as the API reads it (graph/records.py), newest first."""

    async def go() -> list[records.RecordRow]:
        db = Database(server.uri, "neo4j", server.password)
        try:
            query = records.TimelineQuery(party=party)
            rows, _ = await records.timeline(db, AUDIT.actor, query, 20, None, False)
            return rows
        finally:
            await db.close()

    return asyncio.run(go())


def _report(path: Path) -> list[tuple[str, str, str, str]]:
    with path.open(encoding="utf-8") as f:
        return [(r["row"], r["field"], r["code"], r["message"]) for r in csv.DictReader(f)]


def _records(cypher: Driver) -> int:
    n: int = cypher.execute_query("MATCH (r:Record) RETURN count(r) AS n").records[0]["n"]
    return n


def _events(cypher: Driver) -> dict[str, int]:
    rows = cypher.execute_query(
        "MATCH (a:AuditEvent) WHERE a.action STARTS WITH 'record.save.' "
        "RETURN a.action AS action, count(*) AS n"
    ).records
    return {r["action"]: r["n"] for r in rows}


def test_interactions_and_orders_of_imported_companies_land_on_their_timelines(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    _companies(neo4j_server, cypher, tmp_path)
    first = transfer.derived_id("demo-erp", "Company", "ERP-00001")
    second = transfer.derived_id("demo-erp", "Company", "ERP-00002")

    talks = transfer.load_mapping(EXAMPLES / "interactions.toml", None)
    out = run_import(neo4j_server, talks, EXAMPLES / "interactions.csv", tmp_path / "talks.csv")
    assert out is not None
    assert (out.rows, out.created, out.updated, out.rejected) == (4, 2, 0, 2)
    assert _report(tmp_path / "talks.csv") == [
        ("3", "customer", "NOT_FOUND", "no company or person with this externalId in demo-erp"),
        (
            "4",
            "occurredAt",
            "VALIDATION",
            "must be a date and time, e.g. 2026-03-01T10:00+08:00",
        ),
    ]

    (tmp_path / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    (tmp_path / "orders.toml").write_text(ORDERS_TOML, encoding="utf-8")
    orders = transfer.load_mapping(tmp_path / "orders.toml", None)
    out = run_import(neo4j_server, orders, tmp_path / "orders.csv", tmp_path / "orders.rej.csv")
    assert out is not None
    assert (out.rows, out.created, out.rejected) == (4, 2, 2)
    assert _report(tmp_path / "orders.rej.csv") == [
        # Checked when read, as saveRecord checks its input (fields without `input.`) ...
        ("2", "order.lines[0].unitPrice", "VALIDATION", "must be zero or more and below 10^13"),
        # ... and refused when written, as saveRecord refuses it.
        ("3", "order.lines[0].product", "NOT_FOUND", "no active product with this id"),
    ]

    nodes = _timeline(neo4j_server, first)
    assert [(n["kind"], n["externalId"]) for n in nodes] == [
        ("Order", "SO-1"),
        ("Interaction", "I-0001"),
    ]
    order, talk = nodes
    assert order["orderNo"] == "销-001"
    assert (order["currency"], order["amountCents"]) == ("CNY", 30035500)
    lines = sorted(order["lines"], key=lambda x: x["position"])
    assert [(x["product"]["sku"], x["quantity"]) for x in lines] == [
        ("CNC-1", 2.0),
        ("SP-9", 10.0),
    ]
    assert talk["externalSource"] == "demo-crm"
    assert (talk["subject"], talk["agreement"]) == ("季度拜访", "同意下月试用新型号")
    assert (talk["channel"], talk["direction"]) == ("VISIT", "OUTBOUND")
    assert [(f["action"], f["status"]) for f in talk["followUps"]] == [("发送报价单", "OPEN")]
    # Written without an offset: the mapping's timezone.
    assert talk["occurredAt"].to_native().isoformat() == "2026-03-02T10:00:00+08:00"
    assert [n["kind"] for n in _timeline(neo4j_server, second)] == ["Order", "Interaction"]

    # Payments from JSONL, their customer given by CRM id.
    so1 = cypher.execute_query("MATCH (o:Order {externalId: 'SO-1'}) RETURN o.id AS id")
    order_id = so1.records[0]["id"]
    pay = '{"no": "P%s", "who": "%s", "at": "2026-03-10T09:00:00+08:00", "order": "%s", '
    (tmp_path / "pay.jsonl").write_text(
        (pay % (1, first, order_id))
        + '"amount": 100000.00, "cur": "CNY"}\n'
        + (pay % (2, first, order_id))
        + '"amount": "-3", "cur": "CNY"}\n'
        + (pay % (3, first, order_id))
        + '"amount": 5, "cur": "USD"}\n',
        encoding="utf-8",
    )
    (tmp_path / "pay.toml").write_text(
        'record = "PAYMENT"\nsource = "bank"\nid = "no"\n[fields]\ncustomer = "who"\n'
        'occurredAt = "at"\norder = "order"\namount = "amount"\ncurrency = "cur"\n',
        encoding="utf-8",
    )
    payments = transfer.load_mapping(tmp_path / "pay.toml", None)
    out = run_import(neo4j_server, payments, tmp_path / "pay.jsonl", tmp_path / "pay.rej.csv")
    assert out is not None
    assert (out.rows, out.created, out.rejected) == (3, 1, 2)
    assert _report(tmp_path / "pay.rej.csv") == [
        ("2", "payment.amount", "VALIDATION", "must be positive and below 10^13"),
        ("3", "payment.currency", "VALIDATION", "the order is in CNY"),
    ]
    # One audit event per record, as saveRecord writes it.
    saved = {"record.save.interaction": 2, "record.save.order": 2, "record.save.payment": 1}
    assert _events(cypher) == saved

    # Again: the same content, nothing written (no new record, no version bump, no event).
    again = run_import(neo4j_server, talks, EXAMPLES / "interactions.csv", tmp_path / "talks.csv")
    assert again is not None
    assert (again.created, again.updated, again.rejected) == (0, 0, 2)
    again = run_import(neo4j_server, orders, tmp_path / "orders.csv", tmp_path / "orders.rej.csv")
    assert again is not None
    assert (again.created, again.updated, again.rejected) == (0, 0, 2)
    again = run_import(neo4j_server, payments, tmp_path / "pay.jsonl", tmp_path / "pay.rej.csv")
    assert again is not None
    assert (again.created, again.updated, again.rejected) == (0, 0, 2)
    assert _records(cypher) == 5
    assert _events(cypher) == saved
    versions = cypher.execute_query("MATCH (r:Record) RETURN collect(r.version) AS v").records[0]
    assert versions["v"] == [1] * 5

    # A delivery against the same order: it has no currency to compare with the order's.
    (tmp_path / "ship.jsonl").write_text(
        json.dumps(
            {
                "no": "D1",
                "who": first,
                "at": "2026-03-11T09:00:00+08:00",
                "order": order_id,
                "waybill": "SF123",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "ship.toml").write_text(
        'record = "DELIVERY"\nsource = "wms"\nid = "no"\n[fields]\ncustomer = "who"\n'
        'occurredAt = "at"\norder = "order"\ntrackingNo = "waybill"\n',
        encoding="utf-8",
    )
    ships = transfer.load_mapping(tmp_path / "ship.toml", None)
    out = run_import(neo4j_server, ships, tmp_path / "ship.jsonl", tmp_path / "ship.rej.csv")
    assert out is not None
    assert (out.rows, out.created, out.rejected) == (1, 1, 0)
    shipped = cypher.execute_query(
        "MATCH (d:Delivery {externalId: 'D1'})-[:AGAINST]->(o:Order) "
        "RETURN d.trackingNo AS no, o.id AS order"
    ).records
    assert [(r["no"], r["order"]) for r in shipped] == [("SF123", order_id)]


def test_an_interrupted_record_import_resumes_after_its_last_committed_batch(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    _companies(neo4j_server, cypher, tmp_path)
    mapping = transfer.load_mapping(EXAMPLES / "interactions.toml", None)
    path = EXAMPLES / "interactions.csv"
    progress = tmp_path / "interactions.csv.progress.json"

    def checkpoint() -> transfer.Checkpoint:
        return transfer.Checkpoint(progress, transfer.fingerprint(path, mapping.digest))

    report = tmp_path / "rejected.csv"
    stopped = run_import(
        neo4j_server, mapping, path, report, checkpoint=checkpoint(), batch=1, stop_after=2
    )
    assert stopped is None
    assert _records(cypher) == 1  # row 1 committed; row 2 read, not yet written
    assert b'"committed":1' in progress.read_bytes()
    out = run_import(neo4j_server, mapping, path, report, checkpoint=checkpoint(), batch=1)
    assert out is not None
    assert (out.skipped, out.created, out.rejected) == (1, 1, 2)
    assert _records(cypher) == 2
    assert not progress.exists()


def test_a_repeated_record_id_in_one_file_is_rejected_not_merged(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """SO-1 twice: the second row overwrote the first, and every re-run saved both again."""
    _companies(neo4j_server, cypher, tmp_path)
    (tmp_path / "orders.csv").write_text(
        "编号,客户,时间,币种,明细,单号\n"
        "SO-1,ERP-00001,2026-03-05T14:00:00+08:00,CNY,cnc-1:2:150000.00,销-001\n"
        "SO-1,ERP-00001,2026-03-06T09:00:00+08:00,CNY,cnc-1:1:5,销-002\n",
        encoding="utf-8",
    )
    (tmp_path / "orders.toml").write_text(ORDERS_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "orders.toml", None)
    report = tmp_path / "rejected.csv"
    for created in (1, 0):  # a re-run changes nothing
        out = run_import(neo4j_server, mapping, tmp_path / "orders.csv", report)
        assert out is not None
        assert (out.rows, out.created, out.updated, out.rejected) == (2, created, 0, 1)
        assert _report(report) == [
            ("2", "externalId", "DUPLICATE", "row 1 of this file has the same id")
        ]
    found = cypher.execute_query("MATCH (r:Record) RETURN r.orderNo AS no").records
    assert [r["no"] for r in found] == ["销-001"]


def test_a_dry_run_checks_record_rows_with_the_apis_rules(tmp_path: Path) -> None:
    """No database: conversions and saveRecord's rules only (customers are not looked up)."""
    (tmp_path / "cases.jsonl").write_text(
        '{"no": "S1", "cust": "c-1", "at": "2026-03-01T08:00:00+08:00", "cat": "complaint", '
        '"status": "RESOLVED", "done": "2026-03-02T08:00:00+08:00", "text": "已更换零件"}\n'
        '{"no": "S2", "cust": "c-1", "at": "2026-03-01T08:00:00", "cat": "NOISE"}\n'
        '{"no": "S3", "cust": "c-1", "at": "2026-03-05T08:00:00+08:00", "cat": "REQUEST", '
        '"status": "OPEN", "done": "2026-03-04T08:00:00+08:00"}\n'
        '{"no": "", "at": "2026-03-05T08:00:00+08:00", "cat": "REQUEST"}\n',
        encoding="utf-8",
    )
    (tmp_path / "cases.toml").write_text(
        'record = "SERVICE_CASE"\nsource = "hotline"\nid = "no"\n[fields]\ncustomer = "cust"\n'
        'occurredAt = "at"\ncategory = "cat"\nstatus = "status"\nresolvedAt = "done"\n'
        'resolution = "text"\n',
        encoding="utf-8",
    )
    mapping = transfer.load_mapping(tmp_path / "cases.toml", None)
    report = tmp_path / "rejected.csv"
    rows = transfer.mapped_rows(mapping, tmp_path / "cases.jsonl", "jsonl")
    out = asyncio.run(
        transfer.run_import(
            None, rows, AUDIT, report=report, checkpoint=transfer.Checkpoint(None, "")
        )
    )
    assert (out.rows, out.rejected, out.created) == (4, 3, 0)
    enum = "one of REQUEST, COMPLAINT, FEEDBACK"
    assert _report(report) == [
        ("2", "serviceCase.category", "VALIDATION", f"must be {enum}"),
        ("3", "serviceCase.resolvedAt", "VALIDATION", "is before the case was opened"),
        ("3", "serviceCase.status", "VALIDATION", "an open case has no resolution time"),
        ("4", "id", "VALIDATION", "is required (the row's id in its source)"),
        ("4", "customer", "VALIDATION", "is required"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('record = "GOSSIP"\nsource = "s"\nid = "x"\n', "record must be one of INTERACTION"),
        (
            'record = "INTERACTION"\nsource = "s"\nid = "x"\n[fields]\ncustomer = "c"\n'
            'occurredAt = "t"\nchannel = "k"\namount = "a"\n',
            "unknown field(s) amount",
        ),
        (
            'record = "Order"\nsource = "s"\nid = "x"\n[fields]\ncustomer = "c"\n'
            'occurredAt = "t"\n',
            "[fields] must map currency, lines",
        ),
        (
            'record = "VISIT_PLAN"\nsource = "s"\nid = "x"\ntimezone = "Beijing"\n[fields]\n'
            'customer = "c"\noccurredAt = "t"\npurpose = "p"\n',
            "timezone = an offset such as +08:00",
        ),
        ('record = "SURVEY"\nlabel = "Company"\nsource = "s"\nid = "x"\n', "give one of label"),
    ],
)
def test_record_mappings_are_checked_before_any_row_is_read(
    tmp_path: Path, text: str, message: str
) -> None:
    assert_mapping_refused(tmp_path, text, message)


def test_a_record_file_refuses_the_admin_path(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Records need their customers in the database: never neo4j-admin into an empty one."""
    args = argparse.Namespace(
        file=str(EXAMPLES / "interactions.csv"),
        mapping=str(EXAMPLES / "interactions.toml"),
        format=None,
        source=None,
        report=str(tmp_path / "rejected.csv"),
        dry_run=False,
        path="admin",
    )
    assert cli.cmd_import(args, settings) == 2
    assert "records need their customers" in capsys.readouterr().err


def test_a_reps_record_upload_saves_only_for_customers_they_may_edit(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """Over HTTP (resolvers/transfer_jobs.py): saveRecord's rights, per record, for the key."""
    from tests.resolvers.test_transfer_jobs import _app, _auth, _wait

    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $west}) "
        "CREATE (o)-[:OWNS]->(:Company:Customer {id: 'mine', name: '华东机械', version: 1, "
        "  externalSource: 'demo-erp', externalId: 'ERP-00001'}) "
        "CREATE (w)-[:OWNS]->(:Company:Customer {id: 'theirs', name: '西部客户', version: 1, "
        "  externalSource: 'demo-erp', externalId: 'ERP-00002'})",
        owner=PERSONAS["owner"]["id"],
        west=PERSONAS["other_team"]["id"],
    )
    files = {
        "file": ("interactions.csv", (EXAMPLES / "interactions.csv").read_bytes(), "text/csv"),
        "mapping": ("m.toml", (EXAMPLES / "interactions.toml").read_bytes(), "application/toml"),
    }
    with _app(settings, tmp_path / "jobs") as client:
        r = client.post(
            "/transfer/imports", params={"format": "csv"}, files=files, headers=_auth("owner")
        )
        assert r.status_code == 202, r.text
        job = _wait(client, "owner", r.json()["id"])
        assert job["status"] == "SUCCEEDED", job["error"]
        assert (job["counts"]["created"], job["counts"]["rejected"]) == (1, 3)
        report = client.get(job["reportUrl"], headers=_auth("owner"))
        rows = [(x["row"], x["field"], x["code"]) for x in csv.DictReader(io.StringIO(report.text))]
    # The other team's customer is not even visible to the rep: NOT_FOUND, as the API says.
    assert rows == [
        ("2", "customer", "NOT_FOUND"),
        ("3", "customer", "NOT_FOUND"),
        ("4", "occurredAt", "VALIDATION"),
    ]
    about = cypher.execute_query(
        "MATCH (r:Interaction)-[:ABOUT]->(c) RETURN collect(c.id) AS ids"
    ).records[0]["ids"]
    assert about == ["mine"]


def test_a_merged_company_is_still_reached_by_its_key_in_the_source(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """The ERP holds two records of one company: ERP-00002 is merged into ERP-00001's. The
    ERP's next rows and records naming ERP-00002 update the survivor: no second company,
    no duplicate held, no NOT_FOUND."""
    _companies(neo4j_server, cypher, tmp_path)
    first = transfer.derived_id("demo-erp", "Company", "ERP-00001")
    second = transfer.derived_id("demo-erp", "Company", "ERP-00002")

    async def merge() -> merging.MergeResult:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            return await merging.merge(db, Label.COMPANY, first, [second], {}, AUDIT)
        finally:
            await db.close()

    assert asyncio.run(merge()).refusal is None

    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    again = tmp_path / "again.csv"
    again.write_text(lines[0] + lines[2].replace("0571-78579364", "0571-88886666"), "utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    out = run_import(neo4j_server, mapping, again, tmp_path / "again.rejected.csv")
    assert out is not None
    assert (out.created, out.updated, out.rejected, out.duplicates) == (0, 1, 0, 0)
    stored = cypher.execute_query(
        "MATCH (c:Company) RETURN c.id AS id, c.phone AS phone, c.externalId AS ext"
    ).records
    assert [(r["id"], r["phone"], r["ext"]) for r in stored] == [
        (first, "+8657188886666", "ERP-00001")
    ]
    # Unchanged now: a re-run writes nothing.
    rerun = run_import(neo4j_server, mapping, again, tmp_path / "again.rejected.csv")
    assert rerun is not None
    assert (rerun.created, rerun.updated) == (0, 0)

    talks = transfer.load_mapping(EXAMPLES / "interactions.toml", None)
    out = run_import(neo4j_server, talks, EXAMPLES / "interactions.csv", tmp_path / "talks.csv")
    assert out is not None
    # ERP-00001's and ERP-00002's land on the survivor; ERP-09999 is unknown, row 4 bad
    assert (out.created, out.rejected) == (2, 2)
    assert _report(tmp_path / "talks.csv")[0][:3] == ("3", "customer", "NOT_FOUND")
    assert len(_timeline(neo4j_server, first)) == 2
