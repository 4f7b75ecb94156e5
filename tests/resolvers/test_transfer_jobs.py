"""Import and export over HTTP (resolvers/transfer_jobs.py), through the real ASGI app on a real
Neo4j: uploads become jobs, the rejected rows come back as a report, an export shows what the
key sees, masked, a job is its creator's (and ADMIN's), refusals carry codes, and a job
interrupted mid-import finishes after a restart without writing a row twice."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from neo4j import Driver
from settings import ROOT, Settings
from tests.conftest import PERSONAS

EXAMPLES = ROOT / "docs" / "examples"
MAPPING = (EXAMPLES / "companies.toml").read_bytes()


def _csv(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    """The sample's first `rows` companies; the rows numbered in `bad` get a capital that is
    not a number (rejected: field registeredCapital)."""
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for n, line in enumerate(lines[1 : rows + 1], 1):
        cells = line.split(",")
        if n in bad:
            cells[6] = "很多"
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()


@contextlib.contextmanager
def _app(settings: Settings, jobs: Path, **changes: Any) -> Iterator[TestClient]:
    """An app of its own, with its jobs in `jobs` (a restart: the same `jobs` again)."""
    from app import create_app

    s = dataclasses.replace(settings, transfer_dir=jobs, warm_up_seconds=0, **changes)
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "app never became ready"
            time.sleep(0.1)
        yield client


def _auth(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {PERSONAS[persona]['key']}"}


def _upload(
    client: TestClient, persona: str, data: bytes, mapping: bytes | None = MAPPING, **query: str
) -> Any:
    files: dict[str, Any] = {"file": ("companies.csv", data, "text/csv")}
    if mapping is not None:
        files["mapping"] = ("companies.toml", mapping, "application/toml")
    params = {"format": "csv", **query}
    return client.post("/transfer/imports", params=params, files=files, headers=_auth(persona))


def _wait(client: TestClient, persona: str, job_id: str) -> dict[str, Any]:
    # Generous: without the start-up warm-up, an export plans its 14 statements with the
    # visibility predicate on first use, which takes minutes on a loaded 2-core machine.
    deadline = time.monotonic() + 400
    while True:
        r = client.get(f"/transfer/jobs/{job_id}", headers=_auth(persona))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("SUCCEEDED", "FAILED"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _error(r: Any) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"errors"}, body
    error: dict[str, Any] = body["errors"][0]
    return error


def _companies(cypher: Driver) -> list[str]:
    rows = cypher.execute_query("MATCH (c:Company) RETURN c.externalId AS id ORDER BY id").records
    return [r["id"] for r in rows]


def test_a_csv_upload_with_its_mapping_imports_and_reports_the_rejected_rows(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    with _app(settings, tmp_path / "jobs") as client:
        r = _upload(client, "owner", _csv(6, bad=(4,)))
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.json()["statusUrl"] == f"/transfer/jobs/{job_id}"
        assert r.headers["location"] == f"/transfer/jobs/{job_id}"
        job = _wait(client, "owner", job_id)
        assert job["status"] == "SUCCEEDED", job
        assert job["kind"] == "IMPORT"
        assert job["counts"] == {
            "rows": 6, "created": 5, "updated": 0, "rejected": 1, "duplicates": 0
        }  # fmt: skip
        assert job["startedAt"]
        assert job["finishedAt"]
        assert job["error"] is None
        report = client.get(job["reportUrl"], headers=_auth("owner"))
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("text/csv")
        lines = list(csv.DictReader(io.StringIO(report.text)))
        assert [(x["row"], x["field"], x["code"]) for x in lines] == [
            ("4", "registeredCapital", "VALIDATION")
        ]
        assert _companies(cypher) == [
            "ERP-00001",
            "ERP-00002",
            "ERP-00003",
            "ERP-00005",
            "ERP-00006",
        ]
        # A sales rep's import makes them the owner of the customers it creates, as
        # createCompany does: they see what they imported.
        owned = cypher.execute_query(
            "MATCH (:User {id: $id})-[:OWNS]->(c:Company:Customer) RETURN count(c) AS n",
            id=PERSONAS["owner"]["id"],
        ).records[0]["n"]
        assert owned == 5
        # The same file again changes nothing (rows are keyed by their externalId).
        again = _wait(client, "owner", _upload(client, "owner", _csv(6, bad=(4,))).json()["id"])
        assert again["counts"]["created"] == 0
        assert again["counts"]["updated"] == 0
        # A dry run writes nothing and still reports.
        dry = _upload(client, "admin", _csv(8, bad=(7,)), dryRun="true")
        job = _wait(client, "admin", dry.json()["id"])
        assert job["status"] == "SUCCEEDED"
        assert job["dryRun"] is True
        assert job["counts"]["rejected"] == 1
        assert job["counts"]["created"] == 0
        assert len(_companies(cypher)) == 5


def test_a_sales_import_may_not_change_another_teams_records(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    cypher.execute_query(
        "MATCH (x:User {id: $other}) "
        "CREATE (:Company:Customer {id: 'tj-b', name: '乙公司', externalSource: 'demo-erp', "
        "externalId: 'ERP-00002', version: 1})<-[:OWNS {id: 'tj-o'}]-(x)",
        other=PERSONAS["other_team"]["id"],
    )
    with _app(settings, tmp_path / "jobs") as client:
        job = _wait(client, "owner", _upload(client, "owner", _csv(3)).json()["id"])
        assert job["status"] == "SUCCEEDED", job
        assert job["counts"]["rejected"] == 1
        assert job["counts"]["created"] == 2
        report = client.get(job["reportUrl"], headers=_auth("owner")).text
        assert [(x["row"], x["code"]) for x in csv.DictReader(io.StringIO(report))] == [
            ("2", "FORBIDDEN")
        ]
    name = cypher.execute_query("MATCH (c:Company {id: 'tj-b'}) RETURN c.name AS n").records
    assert name[0]["n"] == "乙公司"  # untouched


def test_an_export_job_shows_what_the_key_sees_masked_and_only_to_its_creator(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (x:User {id: $other}) "
        "CREATE (a:Company:Customer {id: 'tj-a', name: '甲公司', version: 1})"
        "<-[:OWNS {id: 'tj-o1'}]-(o) "
        "CREATE (b:Company:Customer {id: 'tj-b', name: '乙公司', version: 1})"
        "<-[:OWNS {id: 'tj-o2'}]-(x) "
        "CREATE (:Person {id: 'tj-p', name: '张三', mobile: '+8613800138000', version: 1})"
        "-[:WORKS_AT {id: 'tj-w', title: '经理'}]->(a)",
        owner=PERSONAS["owner"]["id"],
        other=PERSONAS["other_team"]["id"],
    )
    with _app(settings, tmp_path / "jobs") as client:
        r = client.post("/transfer/exports", params={"format": "jsonl"}, headers=_auth("owner"))
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        job = _wait(client, "owner", job_id)
        assert job["status"] == "SUCCEEDED", job
        assert job["counts"] == {"exported": 3}
        got = client.get(job["downloadUrl"], headers=_auth("owner"))
        assert got.status_code == 200
        seen = {r["id"]: r for r in map(orjson.loads, got.content.splitlines())}
        assert set(seen) == {"tj-a", "tj-p", "tj-w"}  # not the other team's customer
        assert seen["tj-p"]["fields"]["mobile"] == "+86138****8000"
        # Someone else's job does not exist for them; ADMIN sees it.
        for path in ("", "/download", "/report"):
            other = client.get(f"/transfer/jobs/{job_id}{path}", headers=_auth("other_team"))
            assert other.status_code == 404
            assert _error(other)["code"] == "NOT_FOUND"
        assert client.get(f"/transfer/jobs/{job_id}", headers=_auth("admin")).status_code == 200
        assert client.get(f"/transfer/jobs/{job_id}", headers=_auth("auditor")).status_code == 404
        # CSV comes as a ZIP of one file per label and relationship type.
        zipped = client.post("/transfer/exports", params={"format": "csv"}, headers=_auth("owner"))
        job = _wait(client, "owner", zipped.json()["id"])
        archive = client.get(job["downloadUrl"], headers=_auth("owner"))
        assert archive.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
        assert sorted(names) == ["edges-WORKS_AT.csv", "nodes-Company.csv", "nodes-Person.csv"]


def test_refusals_carry_a_code_and_a_field(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    with _app(settings, tmp_path / "jobs", transfer_max_bytes=2000) as client:
        big = _upload(client, "admin", _csv(40))
        assert big.status_code == 413
        assert _error(big)["code"] == "PAYLOAD_TOO_LARGE"
        raw = client.post(
            "/transfer/imports", params={"format": "jsonl"}, content=b"{}\n" * 1000,
            headers=_auth("admin"),
        )  # fmt: skip
        assert raw.status_code == 413
        assert _error(raw)["code"] == "PAYLOAD_TOO_LARGE"
        bad = _upload(client, "admin", _csv(2), format="xlsx")
        assert bad.status_code == 400
        assert (_error(bad)["code"], _error(bad)["field"]) == ("VALIDATION", "format")
        export = client.post("/transfer/exports", params={"format": "pdf"}, headers=_auth("admin"))
        assert (export.status_code, _error(export)["field"]) == (400, "format")
        flag = _upload(client, "admin", _csv(2), dryRun="maybe")
        assert (flag.status_code, _error(flag)["field"]) == (400, "dryRun")
        unmapped = _upload(client, "admin", _csv(2), mapping=None)
        assert (unmapped.status_code, _error(unmapped)["field"]) == (400, "mapping")
        wrong = _upload(
            client, "admin", _csv(2), mapping=b'label = "Planet"\nsource = "x"\nid = "x"\n'
        )
        assert (wrong.status_code, _error(wrong)["field"]) == (400, "mapping")
        assert "label must be one of" in _error(wrong)["message"]
        for persona in ("analyst", "auditor"):
            refused = _upload(client, persona, _csv(2))
            assert (refused.status_code, _error(refused)["code"]) == (403, "FORBIDDEN")
        anonymous = client.post("/transfer/exports", params={"format": "jsonl"})
        assert (anonymous.status_code, _error(anonymous)["code"]) == (401, "UNAUTHENTICATED")
        wrong_method = client.get("/transfer/imports", headers=_auth("admin"))
        assert wrong_method.status_code == 405
        assert _error(wrong_method)["code"] == "METHOD_NOT_ALLOWED"
        missing = client.get("/transfer/jobs/no-such-job", headers=_auth("admin"))
        assert (missing.status_code, _error(missing)["code"]) == (404, "NOT_FOUND")
        # Nothing refused left a job or a file behind.
        assert not list((tmp_path / "jobs").iterdir())
    jobs = cypher.execute_query("MATCH (j:TransferJob) RETURN count(j) AS n").records[0]["n"]
    assert jobs == 0


def test_an_import_interrupted_mid_file_resumes_after_a_restart_without_writing_twice(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs"
    with _app(settings, jobs) as client:
        worker = client.app.state.transfer  # type: ignore[attr-defined]
        worker.batch = 3
        read = 0

        def crash_at_row_9(job_id: str) -> Any:
            def advance(n: int) -> None:
                nonlocal read
                read += n
                if read >= 9:  # the process dies while reading row 9
                    raise asyncio.CancelledError

            return advance

        worker._advance = crash_at_row_9
        job_id = _upload(client, "admin", _csv(10, bad=(2, 9))).json()["id"]
        deadline = time.monotonic() + 60
        while worker.running:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        job = client.get(f"/transfer/jobs/{job_id}", headers=_auth("admin")).json()
        assert job["status"] == "RUNNING"
    # Rows 1-7 were committed in two batches of three (row 2 rejected); row 8 never was.
    assert len(_companies(cypher)) == 6
    assert b'"committed":7' in (jobs / job_id / "checkpoint.json").read_bytes()

    with _app(settings, jobs) as client:  # a fresh start resumes the RUNNING job
        job = _wait(client, "admin", job_id)
    assert job["status"] == "SUCCEEDED", job
    assert job["resumedAfterRow"] == 7
    assert job["counts"]["rows"] == 10
    assert job["counts"]["rejected"] == 2
    assert job["counts"]["created"] == 2  # rows 8 and 10: the first run wrote the others
    ids = _companies(cypher)
    assert len(ids) == len(set(ids)) == 8
    report = (jobs / job_id / "report.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in report[1:]] == ["2", "9"]


def test_a_file_that_cannot_be_read_fails_its_job_with_the_reason(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    with _app(settings, tmp_path / "jobs") as client:
        r = client.post(
            "/transfer/imports",
            params={"format": "graphml"},
            content=b"<graphml><node",
            headers=_auth("admin"),
        )
        assert r.status_code == 202, r.text
        job = _wait(client, "admin", r.json()["id"])
        assert job["status"] == "FAILED"
        assert "unclosed token" in job["error"]  # the XML parser's reason, not a trace
        assert job["finishedAt"] is not None


def test_every_transfer_job_statement_plans(cypher: Driver) -> None:
    """The worker's statements are left out of the start-up warm-up (graph/warmup.py), so
    this plans each one here: the guards of edge rows and other labels too, which the tests
    above do not run."""
    from graph import transfer_jobs
    from graph.warmup import sample_parameters, statements

    found = statements([transfer_jobs])
    assert len(found) == 7 + 2 * 2 + 2 * 2 * 2 + 2 * 2  # jobs; node guards, edge guards, claims
    for q in found:
        cypher.execute_query("EXPLAIN " + q.text, sample_parameters(q.text))


def test_a_sales_import_links_only_where_the_rep_may_edit_an_end(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (x:User {id: $other}) "
        "CREATE (a:Company:Customer {id: 'tj-a', externalSource: 'demo-erp', "
        "externalId: 'ERP-00001', name: '甲公司', version: 1})<-[:OWNS {id: 'tj-o1'}]-(o) "
        "CREATE (c:Company:Customer {id: 'tj-c', externalSource: 'demo-erp', "
        "externalId: 'ERP-00002', name: '乙公司', version: 1})<-[:OWNS {id: 'tj-o2'}]-(x) "
        "CREATE (:Person {id: 'tj-p1', externalSource: 'demo-hr', externalId: 'P-1', "
        "name: '张伟', version: 1})-[:WORKS_AT {id: 'tj-w1'}]->(a) "
        "CREATE (:Person {id: 'tj-p2', externalSource: 'demo-hr', externalId: 'P-2', "
        "name: '李娜', version: 1})-[:WORKS_AT {id: 'tj-w2'}]->(c)",
        owner=PERSONAS["owner"]["id"],
        other=PERSONAS["other_team"]["id"],
    )
    jobs = "编号,人员,公司,职务\nJ-1,P-1,ERP-00002,顾问\nJ-2,P-2,ERP-00002,经理\n".encode()
    mapping = (
        'type = "WORKS_AT"\nsource = "demo-hr"\nid = "编号"\nfrom = "人员"\nto = "公司"\n'
        'to_source = "demo-erp"\n[fields]\ntitle = "职务"\n'
    ).encode()
    with _app(settings, tmp_path / "jobs") as client:
        job = _wait(client, "owner", _upload(client, "owner", jobs, mapping).json()["id"])
        assert job["status"] == "SUCCEEDED", job
        assert job["counts"]["created"] == 1  # J-1: the rep may edit 张伟 (at their customer)
        report = client.get(job["reportUrl"], headers=_auth("owner")).text
        assert [(x["row"], x["code"]) for x in csv.DictReader(io.StringIO(report))] == [
            ("2", "FORBIDDEN")  # J-2: neither 李娜 nor 乙公司 is theirs to edit
        ]
    links = cypher.execute_query(
        "MATCH (p:Person)-[w:WORKS_AT]->(:Company {id: 'tj-c'}) RETURN collect(p.id) AS ids"
    ).records[0]["ids"]
    assert sorted(links) == ["tj-p1", "tj-p2"]  # J-1 added; tj-p2's own job was already there
