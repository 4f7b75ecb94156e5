"""Import and export over HTTP (resolvers/transfer_jobs.py), through the real ASGI app on a real
Neo4j: uploads become jobs, the rejected rows come back as a report, an export shows what the
key sees, masked, a job is its creator's (and ADMIN's), refusals carry codes, a job
interrupted mid-import finishes after a restart without writing a row twice, jobs are listed
and paged, cancelled, and their folders removed once finished long enough ago.

Each test's app keeps its jobs in a folder of its own; a worker claims and sweeps only the
jobs whose folders it holds, so the session app's worker (if one runs) never races these."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import logging
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from starlette.testclient import TestClient

from neo4j import Driver
from resolvers.pages import encode_cursor
from settings import ROOT, Settings
from tests.conftest import PERSONAS, TEAMS, create_user_with_key

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
        if body["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
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
    # A long sign-in cache: a job changing a user must clear it, not wait for it to lapse.
    with _app(settings, tmp_path / "jobs", auth_cache_seconds=600) as client:
        r = _upload(client, "owner", _csv(6, bad=(4,)))
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.json()["statusUrl"] == f"/transfer/jobs/{job_id}"
        assert r.headers["location"] == f"/transfer/jobs/{job_id}"
        job = _wait(client, "owner", job_id)
        assert job["status"] == "SUCCEEDED", job
        assert job["kind"] == "IMPORT"
        assert job["counts"] == {
            "rows": 6, "created": 5, "updated": 0, "rejected": 1, "duplicates": 0,
            "valid": 5, "unchanged": 0,
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
        assert (again["counts"]["valid"], again["counts"]["unchanged"]) == (5, 5)
        # A dry run says how many rows it would write.
        dry = _wait(client, "owner", _upload(client, "owner", _csv(6, bad=(4,)),
                                             dryRun="true").json()["id"])  # fmt: skip
        assert (dry["counts"]["valid"], dry["counts"]["rejected"]) == (5, 1), dry
        assert dry["counts"]["unchanged"] is None
        # An import archiving a signed-in user: their cached sign-in goes with the job.
        query = {"query": "{ __typename }"}
        assert client.post("/graphql", json=query, headers=_auth("analyst")).status_code == 200
        analyst = PERSONAS["analyst"]
        line = {"kind": "user", "id": analyst["id"], "fields": {
            "name": analyst["name"], "team": analyst["team"], "roles": analyst["roles"],
            "archivedAt": "2026-03-01T00:00:00Z"}}  # fmt: skip
        files = {"file": ("staff.jsonl", orjson.dumps(line) + b"\n", "application/x-ndjson")}
        r = client.post(
            "/transfer/imports", params={"format": "jsonl"}, files=files, headers=_auth("admin")
        )
        assert r.status_code == 202, r.text
        job = _wait(client, "admin", r.json()["id"])
        assert job["counts"]["updated"] == 1, job
        assert client.post("/graphql", json=query, headers=_auth("analyst")).status_code == 401

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


def test_a_sales_import_changes_no_field_that_needs_review(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    # Both the rep's own customers. The first's name differs from the file's, and a SALES
    # rep changes a company's name only through a change request (R20): the row is refused.
    # The second differs from its row only in fields the rep edits directly: it is updated.
    cypher.execute_query(
        "MATCH (u:User {id: $owner}) "
        "CREATE (a:Company:Customer {id: 'tj-a', name: '旧名称有限公司', "
        "unifiedSocialCreditCode: '913613593AENB8C8BF', tier: 'GENERAL', "
        "externalSource: 'demo-erp', externalId: 'ERP-00001', version: 1}) "
        "CREATE (c:Company:Customer {id: 'tj-c', name: '杭州长城启明物流有限公司', "
        "unifiedSocialCreditCode: '916234052EJRBEJAXE', tier: 'PROBLEM', phone: '+862100000000', "
        "externalSource: 'demo-erp', externalId: 'ERP-00002', version: 1}) "
        "CREATE (u)-[:OWNS {id: 'tj-oa'}]->(a), (u)-[:OWNS {id: 'tj-oc'}]->(c)",
        owner=PERSONAS["owner"]["id"],
    )
    with _app(settings, tmp_path / "jobs") as client:
        job = _wait(client, "owner", _upload(client, "owner", _csv(3)).json()["id"])
        assert job["status"] == "SUCCEEDED", job
        counts = job["counts"]
        assert (counts["created"], counts["updated"], counts["rejected"]) == (1, 1, 1), job
        report = client.get(job["reportUrl"], headers=_auth("owner")).text
        rows = list(csv.DictReader(io.StringIO(report)))
        assert [(x["row"], x["field"], x["code"]) for x in rows] == [("1", "name", "FORBIDDEN")]
        assert "change request" in rows[0]["message"]
        # Tester AN: a row repeating an earlier row's id is that, first: it read as a
        # forbidden name change once the first row's node was stored.
        data = _csv(3)
        again = data + data.decode().splitlines()[1].encode() + b"\n"
        job = _wait(client, "owner", _upload(client, "owner", again).json()["id"])
        report = client.get(job["reportUrl"], headers=_auth("owner")).text
        rows = list(csv.DictReader(io.StringIO(report)))
        assert [(x["row"], x["field"], x["code"]) for x in rows] == [
            ("1", "name", "FORBIDDEN"),
            ("4", "externalId", "DUPLICATE"),
        ]
    stored = cypher.execute_query(
        "MATCH (c:Company) WHERE c.id IN ['tj-a', 'tj-c'] "
        "RETURN c.id AS id, c.name AS name, c.phone AS phone, c.version AS v ORDER BY id"
    ).records
    assert [(r["id"], r["name"], r["v"]) for r in stored] == [
        ("tj-a", "旧名称有限公司", 1),
        ("tj-c", "杭州长城启明物流有限公司", 2),
    ]
    assert stored[1]["phone"] == "+8657178579364"


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
        first = job
        # Our staff (3 teams, 7 personas: every viewer reads them), the customer, its owner's
        # OWNS, the person and the job.
        assert job["counts"] == {"exported": 14}
        got = client.get(job["downloadUrl"], headers=_auth("owner"))
        assert got.status_code == 200
        seen = {r["id"]: r for r in map(orjson.loads, got.content.splitlines())}
        staff = {t for t, _ in TEAMS.values()} | {p["id"] for p in PERSONAS.values()}
        # Not the other team's customer, nor its owner's OWNS.
        assert set(seen) == {"tj-a", "tj-o1", "tj-p", "tj-w"} | staff
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
        assert sorted(names) == [
            "edges-OWNS.csv",
            "edges-WORKS_AT.csv",
            "nodes-Company.csv",
            "nodes-Person.csv",
            "teams.csv",
            "users.csv",
        ]
        # Tester BO: an export stayed downloadable after its key lost sight of what is in it.
        cypher.execute_query("MATCH ()-[o:OWNS {id: 'tj-o1'}]->() DELETE o")
        stale = client.get(first["downloadUrl"], headers=_auth("owner"))
        assert stale.status_code == 409
        assert _error(stale)["code"] == "CONFLICT"
        assert "Export again" in _error(stale)["message"]
        assert client.get(first["downloadUrl"], headers=_auth("admin")).status_code == 200


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
        # A column the mapping names and the header lacks: accepted, every row was rejected.
        header = _csv(2).replace("编号".encode(), b"code", 1)
        unheaded = _upload(client, "admin", header)
        assert (unheaded.status_code, _error(unheaded)["code"]) == (400, "VALIDATION")
        assert _error(unheaded)["field"] == "mapping"
        assert _error(unheaded)["message"].startswith(
            'the CSV header has no column "编号" (the mapping\'s id); its columns: code, 公司名称'
        )
        # A multipart content type without its boundary: the body cannot be split (it was a
        # 500 INTERNAL from the form parser's own 400).
        no_boundary = client.post(
            "/transfer/imports", params={"format": "csv"}, content=_csv(2),
            headers={**_auth("admin"), "content-type": "multipart/form-data"},
        )  # fmt: skip
        assert (no_boundary.status_code, _error(no_boundary)["code"]) == (400, "BAD_REQUEST")
        assert "boundary" in _error(no_boundary)["message"]
        for persona in ("analyst", "auditor"):
            refused = _upload(client, persona, _csv(2))
            assert (refused.status_code, _error(refused)["code"]) == (403, "FORBIDDEN")
            # The role before the parameters (tester AZ was told of a format first).
            unformatted = client.post("/transfer/imports", headers=_auth(persona))
            assert (unformatted.status_code, _error(unformatted)["code"]) == (403, "FORBIDDEN")
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
    # Run twice: a batch committed before its checkpoint would be read again as unchanged.
    assert (job["restarted"], job["counts"]["unchanged"]) == (True, None)
    assert job["counts"]["rows"] == 10
    assert job["counts"]["rejected"] == 2
    assert job["counts"]["created"] == 2  # rows 8 and 10: the first run wrote the others
    ids = _companies(cypher)
    assert len(ids) == len(set(ids)) == 8
    report = (jobs / job_id / "report.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in report[1:]] == ["2", "9"]


def test_a_file_that_cannot_be_read_fails_its_job_with_the_reason(
    settings: Settings, cypher: Driver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crm.transfer")
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
        # The operator sees why, once, as information: the file was the caller's fault.
        lines = [r for r in caplog.records if f"job {job['id']} failed" in r.getMessage()]
        assert [(r.levelno, "unclosed token" in r.getMessage()) for r in lines] == [
            (logging.INFO, True)
        ]
        # The report was begun before the file failed: it is served.
        report = client.get(job["reportUrl"], headers=_auth("admin"))
        assert report.status_code == 200
        assert report.text.splitlines() == ["row,field,code,message"]
        # A rep's import reads the file for its guard before the report is begun: failed
        # there, it has none, and says why (it said "The import has not started yet.").
        r = client.post(
            "/transfer/imports",
            params={"format": "graphml"},
            content=b"<graphml><node",
            headers=_auth("owner"),
        )
        job = _wait(client, "owner", r.json()["id"])
        assert job["status"] == "FAILED"
        report = client.get(job["reportUrl"], headers=_auth("owner"))
        assert (report.status_code, _error(report)["code"]) == (409, "CONFLICT")
        message = _error(report)["message"]
        assert message.startswith("The import failed before it wrote a report: ")
        assert "unclosed token" in message


def test_an_anonymised_exports_people_are_rejected_by_an_admins_import_job(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """An ANALYST's export, imported by ADMIN, replaced real names with pseudonyms."""
    cypher.execute_query(
        "CREATE (a:Company {id: 'an-a', name: '甲公司', version: 1}) "
        "CREATE (:Person {id: 'an-p', name: '张三', version: 1})"
        "-[:WORKS_AT {id: 'an-w', title: '经理'}]->(a)"
    )
    lines = [
        {"kind": "node", "label": "Company", "id": "an-a", "customer": None,
         "fields": {"name": "甲公司"}},
        {"kind": "node", "label": "Person", "id": "an-p", "anonymised": True, "customer": None,
         "fields": {"name": "Person 818e2a"}},
        {"kind": "edge", "type": "WORKS_AT", "id": "an-w", "from": "an-p", "fromLabel": "Person",
         "to": "an-a", "toLabel": "Company", "fields": {"title": "经理"}},
    ]  # fmt: skip
    with _app(settings, tmp_path / "jobs") as client:
        r = client.post(
            "/transfer/imports",
            params={"format": "jsonl"},
            content=b"".join(orjson.dumps(x) + b"\n" for x in lines),
            headers=_auth("admin"),
        )
        assert r.status_code == 202, r.text
        job = _wait(client, "admin", r.json()["id"])
        assert job["status"] == "SUCCEEDED", job
        assert job["counts"] == {
            "rows": 3, "created": 0, "updated": 0, "rejected": 1, "duplicates": 0,
            "valid": 2, "unchanged": 2,
        }  # fmt: skip
        report = client.get(job["reportUrl"], headers=_auth("admin"))
        rows = list(csv.DictReader(io.StringIO(report.text)))
        assert [(x["row"], x["field"], x["code"]) for x in rows] == [("2", "name", "VALIDATION")]
        assert "anonymised export's people cannot be imported" in rows[0]["message"]
    stored = cypher.execute_query("MATCH (p:Person {id: 'an-p'}) RETURN p.name AS name, "
                                  "p.version AS version").records  # fmt: skip
    assert [dict(x) for x in stored] == [{"name": "张三", "version": 1}]


def test_every_transfer_job_statement_plans(cypher: Driver) -> None:
    """The worker's statements are left out of the start-up warm-up (graph/warmup.py), so
    this plans each one here: the guards of edge rows and other labels too, which the tests
    above do not run."""
    from graph import transfer_jobs
    from graph.warmup import sample_parameters, statements

    found = statements([transfer_jobs])
    # jobs and the download's check; node guards, edge guards, claims (the creator's look-up
    # is graph/actor.py's `of_user`, which the warm-up plans)
    assert len(found) == 11 + 2 * 2 + 2 * 2 * 2 + 2 * 2
    for q in found:
        cypher.execute_query("EXPLAIN " + q.text, sample_parameters(q.text))


def _edges(
    client: TestClient, rel: str, lines: str, **query: str
) -> list[tuple[str, str, str, str]]:
    """Imports edge rows `编号,人员/公司,公司` of type `rel` as the owner (EAST rep); the report's
    (row, field, code, message) rows."""
    people = rel == "WORKS_AT"
    mapping = (
        f'type = "{rel}"\nsource = "{"demo-hr" if people else "demo-erp"}"\nid = "编号"\n'
        'from = "甲"\nto = "乙"\nto_source = "demo-erp"\n'
    ).encode()
    job = _wait(
        client,
        "owner",
        _upload(client, "owner", f"编号,甲,乙\n{lines}".encode(), mapping, **query).json()["id"],
    )
    assert job["status"] == "SUCCEEDED", job
    report = client.get(job["reportUrl"], headers=_auth("owner")).text
    return [
        (x["row"], x["field"], x["code"], x["message"]) for x in csv.DictReader(io.StringIO(report))
    ]


def test_a_sales_import_links_only_as_link_nodes_would(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """Ends the rep sees, and edit rights on one end or both as the type asks
    (graph/relationship.py `may_write`): an import is no way around linkNodes."""
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

    def links() -> set[tuple[str, str, str]]:
        """The edges the imports wrote (the fixture's ids start with `tj-`)."""
        rows = cypher.execute_query(
            "MATCH (a)-[r]->(b) WHERE (a.id STARTS WITH 'tj-' OR b.id STARTS WITH 'tj-') "
            "AND NOT r.id STARTS WITH 'tj-' RETURN type(r) AS t, a.id AS a, b.id AS b"
        ).records
        return {(r["t"], r["a"], r["b"]) for r in rows}

    def _codes(client: TestClient, rel: str, lines: str) -> list[tuple[str, ...]]:
        return [x[:3] for x in _edges(client, rel, lines)]

    with _app(settings, tmp_path / "jobs") as client:
        # A dry run (nothing written) answers a hidden end as it answers a missing one: the
        # same code and words, so it confirms nothing (tester AJ)
        dry = _edges(
            client, "SUPPLIES", "J-9,ERP-00002,ERP-00001\nJ-10,ERP-NONE,ERP-00001\n", dryRun="true"
        )
        assert [x[:3] for x in dry] == [("1", "from", "NOT_FOUND"), ("2", "from", "NOT_FOUND")]
        assert dry[0][3] == dry[1][3]
        # 乙公司 and 李娜 are out of the rep's sight: missing, as linkNodes answers, whichever
        # end is the rep's own (李娜 at the rep's company would have made her visible)
        assert _codes(
            client, "WORKS_AT", "J-1,P-1,ERP-00002\nJ-2,P-2,ERP-00002\nJ-3,P-2,ERP-00001\n"
        ) == [("1", "to", "NOT_FOUND"), ("2", "from", "NOT_FOUND"), ("3", "from", "NOT_FOUND")]
        assert _codes(client, "SUPPLIES", "J-4,ERP-00001,ERP-00002\n") == [("1", "to", "NOT_FOUND")]
        assert links() == set()
        # shared READ: seen, not editable
        cypher.execute_query(
            "MATCH (c:Company {id: 'tj-c'}), (u:User {id: $u}) "
            "CREATE (c)-[:SHARED_WITH {level: 'READ'}]->(u)",
            u=PERSONAS["owner"]["id"],
        )
        # a business edge: edit rights on one end suffice
        assert _codes(client, "SUPPLIES", "J-5,ERP-00001,ERP-00002\n") == []
        # employment widens who sees the person, a parent reshapes the other team's group:
        # edit rights on both ends
        assert _codes(client, "WORKS_AT", "J-6,P-1,ERP-00002\n") == [("1", "row", "FORBIDDEN")]
        assert _codes(
            client, "SUBSIDIARY_OF", "J-7,ERP-00001,ERP-00002\nJ-8,ERP-00002,ERP-00001\n"
        ) == [
            ("1", "row", "FORBIDDEN"),
            ("2", "row", "FORBIDDEN"),
        ]
        assert links() == {("SUPPLIES", "tj-a", "tj-c")}


PERSON_QUERY = "query($id: ID!) { person(id: $id) { id name } }"


def test_a_reps_imported_contact_without_an_employer_stays_theirs_as_a_created_one_does(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """A person with no employer is visible to whoever created them, their team and their
    managers (docs/ACCESS.md): through an import too, which writes one audit event per batch
    rather than one per person. The rep's export holds them, as her `people` list does."""
    mate = "00000000-0000-4000-8000-0000000000e1"
    create_user_with_key(cypher, mate, "赵同事 (east)", ["SALES"], "EAST", "key-east-mate")
    people = "编号,姓名\nX01,陈志强\n".encode()
    mapping = 'label = "Person"\nsource = "crm-test"\nid = "编号"\n[fields]\nname = "姓名"\n'
    keys = {
        "owner": PERSONAS["owner"]["key"],
        "mate": "key-east-mate",
        "manager_above": PERSONAS["manager_above"]["key"],
        "other_team": PERSONAS["other_team"]["key"],
        "admin": PERSONAS["admin"]["key"],
    }

    def person(client: TestClient, who: str, person_id: str) -> Any:
        r = client.post(
            "/graphql",
            json={"query": PERSON_QUERY, "variables": {"id": person_id}},
            headers={"Authorization": f"Bearer {keys[who]}"},
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]["person"]

    with _app(settings, tmp_path / "jobs") as client:
        job = _wait(
            client, "owner", _upload(client, "owner", people, mapping.encode()).json()["id"]
        )
        assert job["status"] == "SUCCEEDED", job
        assert job["counts"]["created"] == 1, job
        found = cypher.execute_query(
            "MATCH (p:Person {externalSource: 'crm-test', externalId: 'X01'}) RETURN p.id AS id"
        ).records
        assert len(found) == 1
        pid = found[0]["id"]
        # The rep, her team mate and the manager above them see the contact; another team not.
        for who in ("owner", "mate", "manager_above", "admin"):
            assert person(client, who, pid) == {"id": pid, "name": "陈志强"}, who
        assert person(client, "other_team", pid) is None
        # An export is what the key sees: the rep's holds the contact her people list shows.
        listed = client.post(
            "/graphql",
            json={"query": "{ people(first: 10) { totalCount nodes { id } } }"},
            headers=_auth("owner"),
        ).json()["data"]["people"]
        assert listed["totalCount"] == 1
        assert [x["id"] for x in listed["nodes"]] == [pid]
        export = client.post(
            "/transfer/exports", params={"format": "jsonl"}, headers=_auth("owner")
        )
        assert export.status_code == 202, export.text
        done = _wait(client, "owner", export.json()["id"])
        assert done["status"] == "SUCCEEDED", done
        got = client.get(done["downloadUrl"], headers=_auth("owner"))
        lines = [orjson.loads(x) for x in got.content.splitlines()]
        assert [x["id"] for x in lines if x.get("label") == "Person"] == [pid]


def _insert_jobs(cypher: Driver, jobs: list[dict[str, Any]]) -> None:
    """Job nodes as a worker leaves them (`age`: days since created and finished)."""
    cypher.execute_query(
        "UNWIND $jobs AS x CREATE (j:TransferJob {id: x.id, kind: x.kind, format: 'jsonl', "
        "status: x.status, createdBy: x.by, "
        "createdAt: datetime('2026-01-01T00:00:00.123456789Z') + duration({minutes: x.minute})}) "
        "SET j.finishedAt = CASE WHEN x.age IS NULL THEN null "
        "ELSE datetime() - duration({days: x.age}) END, "
        "j.runner = x.runner, j.heartbeatAt = CASE WHEN x.runner IS NULL THEN null "
        "ELSE datetime() END",
        jobs=[
            {"kind": "EXPORT", "status": "SUCCEEDED", "age": 1, "runner": None, **j} for j in jobs
        ],
    )


def test_jobs_are_listed_newest_first_to_their_creator_in_pages(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    owner, other = PERSONAS["owner"]["id"], PERSONAS["other_team"]["id"]
    # Five of the rep's (two created in the same instant: the id orders them), two of another.
    minutes = {"o1": 1, "o2": 2, "o3": 3, "o4a": 4, "o4b": 4}
    _insert_jobs(
        cypher,
        [{"id": k, "by": owner, "minute": m} for k, m in minutes.items()]
        + [{"id": f"x{n}", "by": other, "minute": n} for n in (1, 5)],
    )
    cypher.execute_query("MATCH (j:TransferJob {id: 'o2'}) SET j.status = 'FAILED'")
    with _app(settings, tmp_path / "jobs") as client:
        seen: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            params = {"first": "2", **({"after": after} if after else {})}
            r = client.get("/transfer/jobs", params=params, headers=_auth("owner"))
            assert r.status_code == 200, r.text
            body = r.json()
            pages += 1
            seen += [job["id"] for job in body["nodes"]]
            if not body["pageInfo"]["hasNextPage"]:
                break
            after = body["pageInfo"]["endCursor"]
            assert pages < 5
        assert seen == ["o4b", "o4a", "o3", "o2", "o1"]  # only theirs, newest first
        assert pages == 3
        # Each item as GET /transfer/jobs/{id} shows it.
        one = client.get("/transfer/jobs", params={"first": "1"}, headers=_auth("owner")).json()
        alone = client.get("/transfer/jobs/o4b", headers=_auth("owner")).json()
        assert one["nodes"] == [alone]
        everyone = client.get("/transfer/jobs", headers=_auth("admin")).json()
        assert [j["id"] for j in everyone["nodes"]] == ["x5", "o4b", "o4a", "o3", "o2", "x1", "o1"]
        assert everyone["pageInfo"]["hasNextPage"] is False
        failed = client.get("/transfer/jobs", params={"status": "FAILED"}, headers=_auth("owner"))
        assert [j["id"] for j in failed.json()["nodes"]] == ["o2"]
        assert client.get("/transfer/jobs", headers=_auth("auditor")).json()["nodes"] == []
        for query, field in (
            ({"first": "0"}, "first"),
            ({"first": "101"}, "first"),
            ({"first": "ten"}, "first"),
            ({"status": "DONE"}, "status"),
            ({"after": "not-a-cursor"}, "after"),
            ({"after": "MjAyNi0wMS0wMX8"}, "after"),
            # A date the calendar lacks, in an issued cursor's shape.
            ({"after": encode_cursor("transferJobs", "2026-02-30T10:00:00+08:00", "o1")}, "after"),
        ):
            bad = client.get("/transfer/jobs", params=query, headers=_auth("owner"))
            assert bad.status_code == 400, (query, bad.text)
            assert (_error(bad)["code"], _error(bad)["field"]) == ("VALIDATION", field)
        assert client.get("/transfer/jobs").status_code == 401
        # A finished job cannot be cancelled; someone else's does not exist for them.
        done = client.post("/transfer/jobs/o3/cancel", headers=_auth("owner"))
        assert (done.status_code, _error(done)["code"]) == (409, "CONFLICT")
        theirs = client.post("/transfer/jobs/x1/cancel", headers=_auth("owner"))
        assert (theirs.status_code, _error(theirs)["code"]) == (404, "NOT_FOUND")
        wrong = client.get("/transfer/jobs/o3/cancel", headers=_auth("owner"))
        assert (wrong.status_code, _error(wrong)["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_a_queued_job_is_cancelled_at_once_and_never_runs(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs"
    with _app(settings, jobs) as client:
        state = client.app.state  # type: ignore[attr-defined]
        client.portal.call(state.transfer.stop)  # nothing runs: the job stays QUEUED
        job_id = _upload(client, "owner", _csv(3)).json()["id"]
        assert (jobs / job_id).is_dir()
        assert (
            client.post(f"/transfer/jobs/{job_id}/cancel", headers=_auth("other_team")).status_code
            == 404
        )
        r = client.post(f"/transfer/jobs/{job_id}/cancel", headers=_auth("owner"))
        assert r.status_code == 200, r.text
        job = r.json()
        assert (job["status"], job["cancelRequested"]) == ("CANCELLED", True)
        assert job["finishedAt"] is not None
        assert not (jobs / job_id).exists()  # its upload goes at once
        again = client.post(f"/transfer/jobs/{job_id}/cancel", headers=_auth("owner"))
        assert (again.status_code, _error(again)["code"]) == (409, "CONFLICT")
        client.portal.call(state.transfer.start, state.db)
        time.sleep(1.0)
        assert client.get(f"/transfer/jobs/{job_id}", headers=_auth("owner")).json()["status"] == (
            "CANCELLED"
        )
    assert _companies(cypher) == []
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'transfer.cancel', targetId: $id}) RETURN a.actor AS actor",
        id=job_id,
    ).records
    assert [e["actor"] for e in events] == [PERSONAS["owner"]["id"]]  # the refused ones: none


def test_a_running_import_cancelled_stops_at_a_batch_boundary_and_keeps_what_it_wrote(
    settings: Settings, cypher: Driver, tmp_path: Path, monkeypatch: Any
) -> None:
    from resolvers import transfer_jobs
    from resolvers.transfer import Prepared

    reached, go = threading.Event(), threading.Event()
    read = transfer_jobs._rows

    def held_at_row_4(files: Any) -> Iterator[Any]:
        # The reader thread waits before row 4 while the cancel comes in.
        for item in read(files):
            n = item.n if isinstance(item, Prepared) else item[0].row
            if n == 4:
                reached.set()
                go.wait(120)
            yield item

    monkeypatch.setattr(transfer_jobs, "_rows", held_at_row_4)
    jobs = tmp_path / "jobs"
    with _app(settings, jobs) as client:
        client.app.state.transfer.batch = 3  # type: ignore[attr-defined]
        job_id = _upload(client, "admin", _csv(10)).json()["id"]
        assert reached.wait(300), "the import never reached row 4"
        r = client.post(f"/transfer/jobs/{job_id}/cancel", headers=_auth("admin"))
        go.set()
        assert r.status_code == 202, r.text
        assert (r.json()["status"], r.json()["cancelRequested"]) == ("RUNNING", True)
        job = _wait(client, "admin", job_id)
        assert job["status"] == "CANCELLED", job
        # Rows 1-3 were the batch in hand, written as the last; row 4, read ahead before the
        # cancel, is dropped; 5-10 were never read.
        assert job["counts"] == {
            "rows": 3, "created": 3, "updated": 0, "rejected": 0, "duplicates": 0,
            "valid": 3, "unchanged": None,
        }  # fmt: skip
        assert "after row 3" in job["note"]
        assert "kept" in job["note"]
        assert job["error"] is None
        report = client.get(job["reportUrl"], headers=_auth("admin"))
        assert report.status_code == 200
        assert not (jobs / job_id / "checkpoint.json").exists()
    assert _companies(cypher) == ["ERP-00001", "ERP-00002", "ERP-00003"]


def test_old_finished_jobs_lose_their_folders_and_running_or_recent_ones_keep_them(
    settings: Settings, cypher: Driver, tmp_path: Path, monkeypatch: Any
) -> None:
    from resolvers import transfer_jobs

    monkeypatch.setattr(transfer_jobs, "MAX_HELD", 2)  # the folders go to the database in turns
    admin = PERSONAS["admin"]["id"]
    _insert_jobs(
        cypher,
        [
            {"id": "old", "by": admin, "minute": 1, "age": 8},
            {"id": "old-import", "by": admin, "minute": 2, "age": 30, "kind": "IMPORT"},
            {"id": "recent", "by": admin, "minute": 3, "age": 1},
            # Claimed by a worker elsewhere that is alive: not this app's to run, nor to sweep.
            {"id": "running", "by": admin, "minute": 4, "age": None, "status": "RUNNING",
             "runner": "elsewhere"},
        ],
    )  # fmt: skip
    cypher.execute_query("MATCH (j:TransferJob {id: 'old-import'}) SET j.status = 'CANCELLED'")
    jobs = tmp_path / "jobs"
    for name in ("old", "old-import", "recent", "running", "orphan-old", "orphan-new"):
        (jobs / name).mkdir(parents=True)
        (jobs / name / "export.jsonl").write_text("{}\n")
    month_ago = time.time() - 30 * 86400
    os.utime(jobs / "orphan-old", (month_ago, month_ago))  # a submit that died long ago
    with _app(settings, jobs) as client:
        worker = client.app.state.transfer  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while (jobs / "old").exists() or worker._held(worker._folders()) != [
            "orphan-new", "running"
        ]:  # fmt: skip
            assert time.monotonic() < deadline, sorted(p.name for p in jobs.iterdir())
            time.sleep(0.2)
        # The worker no longer sends the finished job it keeps ("recent") with its claims.
        assert sorted(p.name for p in jobs.iterdir()) == ["orphan-new", "recent", "running"]
        old = client.get("/transfer/jobs/old", headers=_auth("admin")).json()
        assert old["status"] == "SUCCEEDED"
        assert old["expiredAt"] is not None
        gone = client.get("/transfer/jobs/old/download", headers=_auth("admin"))
        assert (gone.status_code, _error(gone)["code"]) == (410, "EXPIRED")
        report = client.get("/transfer/jobs/old-import/report", headers=_auth("admin"))
        assert (report.status_code, _error(report)["code"]) == (410, "EXPIRED")
        kept = client.get("/transfer/jobs/recent/download", headers=_auth("admin"))
        assert kept.status_code == 200
        assert client.get("/transfer/jobs/running", headers=_auth("admin")).json()["status"] == (
            "RUNNING"
        )
    expired = cypher.execute_query(
        "MATCH (j:TransferJob) WHERE j.expiredAt IS NOT NULL RETURN j.id AS id ORDER BY id"
    ).records
    assert [r["id"] for r in expired] == ["old", "old-import"]


@pytest.mark.parametrize("form", ["jsonl", "graphml", "csv"])
def test_a_failed_export_write_leaves_no_partial_file(tmp_path: Path, form: str) -> None:
    """A full disk failed an export and left its partial file, keeping the disk full for
    the retention period."""
    from resolvers.transfer_jobs import Files, _write_export

    class Full(list[Any]):
        def __iter__(self) -> Iterator[Any]:
            yield {"kind": "node", "label": "Company", "id": "c1", "fields": {"name": "华星"}}
            raise OSError(28, "No space left on device")

    files = Files(tmp_path, form)
    with pytest.raises(OSError, match="No space"):
        _write_export(Full(), files)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_reps_failed_import_leaves_what_it_wrote_to_the_rep(
    settings: Settings, cypher: Driver, tmp_path: Path, monkeypatch: Any
) -> None:
    """A rep's import makes the rep the owner of what it created, at the end. One that fails
    midway still does so for what it wrote: else those customers stay hidden from the rep."""
    from resolvers import transfer_jobs
    from resolvers.transfer import Prepared

    read = transfer_jobs._rows
    passes: list[int] = []

    def breaks_at_row_15(files: Any) -> Iterator[Any]:
        passes.append(1)
        for item in read(files):
            n = item.n if isinstance(item, Prepared) else item[0].row
            if len(passes) > 1 and n == 15:  # the guard's scan reads it whole; the import not
                raise OSError("injected: the upload became unreadable")
            yield item

    monkeypatch.setattr(transfer_jobs, "_rows", breaks_at_row_15)
    with _app(settings, tmp_path / "jobs") as client:
        client.app.state.transfer.batch = 3  # type: ignore[attr-defined]
        job_id = _upload(client, "owner", _csv(20)).json()["id"]
        job = _wait(client, "owner", job_id)
        assert job["status"] == "FAILED", job
        written = _companies(cypher)
        assert 3 <= len(written) < 15  # some batches, then the failure
        seen = client.post(
            "/graphql",
            json={"query": "{ companies(first: 20) { nodes { externalId } } }"},
            headers=_auth("owner"),
        ).json()["data"]["companies"]["nodes"]
        assert sorted(c["externalId"] for c in seen) == written


def test_a_reps_running_import_shows_the_rep_each_batch_it_has_written(
    settings: Settings, cypher: Driver, tmp_path: Path, monkeypatch: Any
) -> None:
    """The rep owns each committed batch's new customers at once, not at the job's end: else
    a long import hides them, and the rep's own upsert of one is refused as taken."""
    from resolvers import transfer_jobs
    from resolvers.transfer import Prepared

    read = transfer_jobs._rows
    passes: list[int] = []
    go_on = threading.Event()

    def pauses_at_row_15(files: Any) -> Iterator[Any]:
        passes.append(1)
        for item in read(files):
            n = item.n if isinstance(item, Prepared) else item[0].row
            if len(passes) > 1 and n == 15:  # the guard's scan reads it whole; the import not
                assert go_on.wait(120), "the test never let the import go on"
            yield item

    monkeypatch.setattr(transfer_jobs, "_rows", pauses_at_row_15)
    query = {"query": "{ companies(first: 50) { nodes { externalId } } }"}
    with _app(settings, tmp_path / "jobs") as client:
        client.app.state.transfer.batch = 3  # type: ignore[attr-defined]
        job_id = _upload(client, "owner", _csv(20)).json()["id"]
        try:
            deadline = time.monotonic() + 120
            while len(written := _companies(cypher)) < 9:  # rows 1-9; 10-12 wait for row 13
                assert time.monotonic() < deadline, written
                time.sleep(0.1)
            # A batch is claimed just after its commit, in a transaction of its own: the rep
            # sees rows 1-9 while the job still waits at row 15, not at its end.
            while True:
                seen = client.post("/graphql", json=query, headers=_auth("owner")).json()
                mine = sorted(c["externalId"] for c in seen["data"]["companies"]["nodes"])
                if mine == (written := _companies(cypher)):
                    break
                assert time.monotonic() < deadline, (mine, written)
                time.sleep(0.1)
            assert len(mine) >= 9
            assert (
                client.get(f"/transfer/jobs/{job_id}", headers=_auth("owner")).json()["status"]
                == "RUNNING"
            )
        finally:
            go_on.set()
        job = _wait(client, "owner", job_id)
        assert job["status"] == "SUCCEEDED", job
        seen = client.post("/graphql", json=query, headers=_auth("owner")).json()
        assert len(seen["data"]["companies"]["nodes"]) == 20


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_a_csv_exports_zip_imports_again_as_the_whole_body(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """The ZIP a CSV export downloads is an export file: it imports without a mapping, its
    branch not held as its parent's duplicate. A ZIP holding anything else, or unpacking
    past its bound, is refused before any job exists."""
    cypher.execute_query(
        "CREATE (p:Company {id: 'zx', name: '华星智能制造有限公司', version: 1}) "
        "CREATE (:Company {id: 'zx-wh', name: '华星智能制造有限公司武汉分公司', version: 1})"
        "-[:SUBSIDIARY_OF {id: 'zx-e', kind: 'BRANCH', version: 1}]->(p)"
    )
    with _app(settings, tmp_path / "jobs") as client:
        made = client.post("/transfer/exports", params={"format": "csv"}, headers=_auth("admin"))
        job = _wait(client, "admin", made.json()["id"])
        archive = client.get(job["downloadUrl"], headers=_auth("admin")).content
        cypher.execute_query("MATCH (c:Company) WHERE c.id STARTS WITH 'zx' DETACH DELETE c")
        r = client.post("/transfer/imports", params={"format": "csv"}, content=archive,
                        headers=_auth("admin"))  # fmt: skip
        assert r.status_code == 202, r.text
        job = _wait(client, "admin", r.json()["id"])
        assert job["status"] == "SUCCEEDED", job
        assert (job["counts"]["created"], job["counts"]["rejected"]) == (3, 0), job
        assert job["counts"]["duplicates"] == 0
    linked = cypher.execute_query(
        "MATCH (:Company {id: 'zx-wh'})-[r:SUBSIDIARY_OF {id: 'zx-e'}]->(:Company {id: 'zx'}) "
        "RETURN r.kind AS kind"
    ).records
    assert [r["kind"] for r in linked] == ["BRANCH"]
    with _app(settings, tmp_path / "small", transfer_max_bytes=4000) as client:
        for members, words in (
            ({"../nodes-Company.csv": b"id,name\n"}, "is not a file a CSV export holds"),
            ({"nodes-Company.csv": b"id,name\n", "notes.txt": b"x"}, "is not a file"),
            ({"nodes-Company.csv": b"0" * 100_000}, "over 20 times the upload limit"),
        ):
            refused = client.post("/transfer/imports", params={"format": "csv"},
                                  content=_zip(members), headers=_auth("admin"))  # fmt: skip
            assert (refused.status_code, _error(refused)["field"]) == (400, "file")
            assert words in _error(refused)["message"]
        assert not list((tmp_path / "small").iterdir())


@pytest.mark.parametrize(("rows", "cut"), [(["r1", "r2"], False), (["r1", "r2", "r3"], True)])
def test_a_cancel_after_the_last_row_cuts_nothing(rows: list[str], cut: bool) -> None:
    """A cancel noticed once the file is read whole: the job did everything (SUCCEEDED), not
    "cancelled, the rest of the file not read"."""
    from resolvers.transfer_jobs import _Until

    seen: list[Any] = []
    until = _Until(iter(cast(Any, rows)), lambda: len(seen) >= 2)
    seen.extend(until)
    assert (seen, until.cut) == (["r1", "r2"], cut)


def test_a_graphml_file_with_its_mapping_imports_over_http(
    settings: Settings, cypher: Driver, tmp_path: Path
) -> None:
    """The CLI's foreign GraphML (a Gephi or networkx file) with its graph mapping, as a job;
    a table mapping for GraphML, or a graph mapping for CSV, is refused at submit."""
    graphml = (EXAMPLES / "network.graphml").read_bytes()
    graph_mapping = (EXAMPLES / "network.toml").read_bytes()
    with _app(settings, tmp_path / "jobs") as client:

        def submit(data: bytes, mapping: bytes, form: str) -> Any:
            files = {"file": ("f", data, "application/octet-stream"),
                     "mapping": ("m.toml", mapping, "application/toml")}  # fmt: skip
            return client.post("/transfer/imports", params={"format": form}, files=files,
                               headers=_auth("admin"))  # fmt: skip

        r = submit(graphml, graph_mapping, "graphml")
        assert r.status_code == 202, r.text
        job = _wait(client, "admin", r.json()["id"])
        assert job["status"] == "SUCCEEDED", job
        assert (job["counts"]["rows"], job["counts"]["created"]) == (10, 8), job
        assert job["counts"]["rejected"] == 2
        report = client.get(f"/transfer/jobs/{job['id']}/report", headers=_auth("admin"))
        assert [line.split(",")[:3] for line in report.text.splitlines()[1:]] == [
            ["n4", "birthDate", "VALIDATION"],
            ["n4->n1", "from", "NOT_FOUND"],
        ]
        for data, mapping, form in ((graphml, MAPPING, "graphml"), (_csv(2), graph_mapping, "csv")):
            refused = submit(data, mapping, form)
            assert (refused.status_code, _error(refused)["field"]) == (400, "mapping")
            assert "[nodes] and [edges]" in _error(refused)["message"]
    made = cypher.execute_query(
        "MATCH (n {externalSource: 'demo-gephi'}) RETURN count(n) AS n"
    ).records[0]["n"]
    assert made > 0


def test_a_job_counts_as_duplicates_the_rows_held_not_repeated_ids(tmp_path: Path) -> None:
    # The CLI said 21 held back and the job 26: it also counted 5 rows repeating an id.
    from resolvers import transfer_jobs

    report = tmp_path / "rejected.csv"
    with open(report, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ("row", "field", "code", "message"),
                ("3", "row", "DUPLICATE", "likely a duplicate of Company c-1 (0.93)"),
                ("7", "externalId", "DUPLICATE", "row 2 of this file has the same id"),
                ("9", "name", "VALIDATION", "is required"),
                ("9", "phone", "VALIDATION", "is not a phone number"),
            ]
        )
    assert transfer_jobs._report_counts(report) == (3, 1)
