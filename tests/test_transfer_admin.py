"""`crm-graph import`'s admin path (neo4j-admin database import into an empty embedded
database): the rows it refuses, and, run as a user would against a real Neo4j, that it stores
what the live path stores, picks itself only for an empty embedded database, and never
overwrites one holding data."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path
from typing import Any

from graph import transfer_admin as graph_admin
from graph.server import LocalNeo4j
from graph.vocab import Label, Rel
from neo4j import Driver, GraphDatabase
from resolvers import transfer, transfer_admin
from settings import ROOT
from tests.process import crm
from tests.test_transfer_cli import (
    PEOPLE,
    PEOPLE_MAP,
    STAFF_LINES,
    _env,
    _records,
    _report,
    _seed,
    _seed_records,
    _seed_staff,
    wipe,
)

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _node(ident: str, label: str = "Company", **fields: Any) -> dict[str, Any]:
    return {"kind": "node", "label": label, "id": ident, "customer": None, "fields": fields}


def _edge(ident: str, src: str, dst: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "edge",
        "type": "WORKS_AT",
        "id": ident,
        "from": src,
        "fromLabel": "Person",
        "to": dst,
        "toLabel": "Company",
        "fields": fields,
    }


def test_rows_are_refused_as_the_live_path_refuses_them(tmp_path: Path) -> None:
    # A mapped file: the same validation, codes and report as the live path.
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "people.toml").write_text(PEOPLE_MAP, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "people.toml", None)
    rows = transfer.mapped_rows(mapping, tmp_path / "people.csv", "csv")
    plan, out = transfer_admin.prepare(rows, tmp_path / "people-rejected.csv", now=NOW)
    assert (out.rows, out.created, out.rejected, out.nodes) == (5, 3, 2, 3)
    assert [
        (r["row"], r["field"], r["code"]) for r in _report(tmp_path / "people-rejected.csv")
    ] == [
        ("4", "birthDate", "VALIDATION"),
        ("5", "idNumber", "VALIDATION"),
    ]
    zhang = plan.nodes[(Label.PERSON, transfer.derived_id("demo-hr", "Person", "P-1"))]
    assert zhang.props["idNumber"] == "1101**********002X"  # masked; the number encrypted
    assert zhang.props["idNumberCipher"]
    assert zhang.props["idNumberDigest"]
    assert (zhang.props["externalSource"], zhang.props["externalId"]) == ("demo-hr", "P-1")
    assert (zhang.props["version"], zhang.props["createdAt"]) == (1, NOW)

    # An export's records: endpoints checked against the nodes read so far.
    records = [
        _node("c1", name="甲公司"),
        _node("p1", "Person", name="张三"),
        _edge("e1", "p1", "c1", title="经理"),
        _edge("e2", "p9", "c1"),  # no such person
        _edge("e3", "p1", "c9"),  # no such company
        _edge("e1", "p1", "c2"),  # e1 again: rejected, as on the live path (not moved)
        _node("c2", name="乙公司"),
        _edge("e1", "p1", "c2"),  # again, now that c2 exists
        _edge("e1", "p1", "c1", title="总经理"),  # again, with the same ends (not merged)
        _node("c1", name="甲公司"),  # c1 again
        _node("c3", name="丙公司", externalSource="erp", externalId="X"),
        _node("c4", name="丁公司", externalSource="erp", externalId="X"),  # the same key
    ]
    plan, out = transfer_admin.prepare(
        transfer.graph_rows(iter(enumerate(records, 1))), tmp_path / "r.csv", now=NOW
    )
    report = [(r["row"], r["field"], r["code"]) for r in _report(tmp_path / "r.csv")]
    assert report == [
        ("4", "from", "NOT_FOUND"),
        ("5", "to", "NOT_FOUND"),
        ("6", "id", "DUPLICATE"),
        ("8", "id", "DUPLICATE"),
        ("9", "id", "DUPLICATE"),
        ("10", "id", "DUPLICATE"),
        ("12", "externalId", "VALIDATION"),
    ]
    assert (out.rows, out.created, out.updated, out.rejected) == (12, 5, 0, 7)
    edge = plan.edges[(Rel.WORKS_AT, "e1")]
    assert (edge.props["title"], edge.props["version"]) == ("经理", 1)
    assert plan.nodes[(Label.COMPANY, "c1")].props["version"] == 1

    # The CSV files neo4j-admin reads: typed headers, the Customer label, lists.
    files = graph_admin.write_files(plan.nodes.values(), plan.edges.values(), tmp_path)
    with files.nodes[0][1].open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:2] == ["id:ID(Company)", ":LABEL"]
    assert {"version:long", "createdAt:datetime", "name:string"} <= set(header)
    with files.relationships[0][1].open(encoding="utf-8") as f:
        sheet = list(csv.reader(f))
    assert sheet[0][:3] == [":START_ID(Person)", ":END_ID(Company)", ":TYPE"]
    assert sheet[1][:3] == ["p1", "c1", "WORKS_AT"]
    assert not files.multiline


def test_a_loop_in_the_hierarchy_is_refused_as_the_live_path_refuses_it(tmp_path: Path) -> None:
    def sub(ident: str, child: str, parent: str, **fields: Any) -> dict[str, Any]:
        edge = _edge(ident, child, parent, **fields)
        return {**edge, "type": "SUBSIDIARY_OF", "fromLabel": "Company"}

    records = [
        *(_node(f"c{i}", name=f"公司{i}") for i in range(1, 6)),
        sub("s1", "c2", "c1"),
        sub("s2", "c3", "c2"),
        sub("s3", "c1", "c3"),  # c1 under its own grandchild: a loop today
        sub("s4", "c5", "c4"),
        sub("s5", "c4", "c5", since="2000-01-01", until="2001-01-01"),  # s4 held in 2000
        sub("s6", "c1", "c4", since="2000-01-01", until="2001-01-01"),  # closes nothing
        sub("s7", "c4", "c2", since="2026-01-01"),
    ]
    plan, out = transfer_admin.prepare(
        transfer.graph_rows(iter(enumerate(records, 1))), tmp_path / "r.csv", now=NOW
    )
    report = [(r["row"], r["field"], r["code"]) for r in _report(tmp_path / "r.csv")]
    assert report == [("8", "to", "CYCLE"), ("10", "to", "CYCLE")]
    kept = sorted(i for rel, i in plan.edges if rel is Rel.SUBSIDIARY_OF)
    assert kept == ["s1", "s2", "s4", "s6", "s7"]
    assert (out.created, out.rejected) == (10, 2)


def _stored(driver: Driver) -> list[tuple[Any, ...]]:
    """Every imported node and relationship with all its properties, but for the moments and
    the ID number's ciphertext (encrypted afresh each time), and their types; our staff and
    their edges too."""
    rows = driver.execute_query(
        "MATCH (n) WHERE n:Company OR n:Person OR n:User OR n:Team "
        "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props, "
        "valueType(n.createdAt) AS created, n.createdAt = n.updatedAt AS same "
        "UNION ALL MATCH (:Person|Company|User)-[r]->(:Person|Company|Project) "
        "RETURN r.id AS id, [type(r)] AS labels, properties(r) AS props, "
        "valueType(r.createdAt) AS created, r.createdAt = r.updatedAt AS same"
    ).records
    out = []
    for r in rows:
        props = {
            k: v
            for k, v in r["props"].items()
            if k not in ("createdAt", "updatedAt", "idNumberCipher")
        }
        kinds = {k: type(v).__name__ for k, v in props.items()}
        out.append((r["id"], sorted(r["labels"]), props, kinds, r["created"], r["same"]))
    return sorted(out, key=lambda x: str(x[0]))


def test_admin_import_stores_what_the_live_path_stores_and_never_overwrites_data(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    _seed(env, tmp_path)  # 59 companies, 3 people, 2 jobs through the live path
    _seed_records(env, cypher, tmp_path)  # 3 products, a project and its 2 links, 3 records
    _seed_staff(cypher)  # 2 more teams, 2 more users, 4 staff edges (an ownership history)
    first = tmp_path / "first.jsonl"
    assert crm(["export", "--format", "jsonl", "--out", str(first)], env).returncode == 0
    total = 73 + STAFF_LINES
    # The same export through the live path into the (emptied) shared server ...
    wipe(cypher)
    live = crm(["import", str(first), "--quiet"], env)
    assert "path: live" in live.stdout, live.stdout + live.stderr
    assert f"{total} rows read: {total} created, 0 updated, 0 unchanged, 0 rejected" in live.stdout
    live_stored = _stored(cypher)
    # 62 nodes, 2 jobs, a participation; our staff: 5 teams, 9 users, 4 staff edges.
    assert len(live_stored) == 65 + 5 + 9 + 4

    # ... and through the admin path into an embedded database that has no store yet.
    data = tmp_path / "embedded" / "data"
    embedded = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    embedded.update(CRM_NEO4J_DATA_DIR=str(data), CRM_NEO4J_HEAP="512m", CRM_NEO4J_PAGECACHE="128m")
    out = crm(["import", str(first), "--quiet"], embedded, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "path: admin" in out.stdout
    # Our staff, the products, then the records, are saved once the store is up: the order
    # finds its products, the records and the staff edges their users.
    assert f"{total} rows read: {total} created, 0 updated, 0 unchanged, 0 rejected" in out.stdout
    assert "neo4j-admin wrote 63 nodes and 4 relationships" in out.stdout
    assert _report(tmp_path / "first.jsonl.rejected.csv") == []

    # Not empty any more: --path admin is refused and nothing is touched (the CLI starts the
    # embedded Neo4j to look, and stops it again).
    refused = crm(["import", str(first), "--path", "admin", "--quiet"], embedded, timeout=600)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--path admin refused" in refused.stderr
    assert "not empty" in refused.stderr

    # One embedded server, started as a user would, serves the rest: each start of a fresh
    # JVM plans every statement anew, which made this test the suite's slowest.
    assert crm(["neo4j", "start"], embedded).returncode == 0
    server = LocalNeo4j(ROOT / ".neo4j", data)
    rec = server.record()
    assert rec is not None
    server.bolt_port = rec.port
    try:
        driver = GraphDatabase.driver(server.uri, auth=("neo4j", server.password))
        try:
            assert _stored(driver) == live_stored  # the same properties, types, labels
            audits = driver.execute_query(
                "MATCH (a:AuditEvent {action: 'transfer.import', targetLabel: 'Import'}) "
                "RETURN a.fields AS fields"
            ).records
            assert len(audits) == 1  # one event for the whole store
            assert {"name", "idNumber", "customer", "title"} <= set(audits[0]["fields"])
            constraints = driver.execute_query("SHOW CONSTRAINTS YIELD name").records
            assert "company_id" in {r["name"] for r in constraints}  # migrations ran
            # Export again from the admin-imported database: the same records, the order,
            # its products and its project included.
            second = tmp_path / "second.jsonl"
            again = crm(["export", "--format", "jsonl", "--out", str(second)], _env(server))
            assert again.returncode == 0, again.stderr
            kept = _records(first, "jsonl")
            assert len(kept) == total
            assert sum(b'"kind":"user"' in r for r in kept) == 9
            assert sum(b'"type":"OWNS"' in r for r in kept) == 2
            assert sum(b'"kind":"product"' in r for r in kept) == 3
            assert sum(b'"label":"Project"' in r for r in kept) == 1
            assert sum(b'"type":"FOR"' in r or b'"type":"PARTICIPATES_IN"' in r for r in kept) == 2
            assert sum(b'"type":"ORDER"' in r for r in kept) == 1
            assert kept == _records(second, "jsonl")

            # Into the embedded database that holds data, auto goes live.
            (tmp_path / "more.csv").write_text(PEOPLE.replace("P-", "Q-"), encoding="utf-8")
            (tmp_path / "people.toml").write_text(PEOPLE_MAP, encoding="utf-8")
            # A dry run without NEO4J_URI reads the embedded database too: it finds the twins
            # the import would hold back, and writes nothing.
            people = ["import", str(tmp_path / "more.csv"), "--mapping"]
            people.append(str(tmp_path / "people.toml"))
            dry = crm([*people, "--dry-run", "--quiet"], embedded, timeout=600)
            assert "dry run: 5 rows read, 0 valid, 5 rejected" in dry.stdout, dry.stdout
            assert "3 of them likely duplicates of existing records" in dry.stdout
            more = crm(
                # twins of the P- people: held back otherwise
                [*people, "--allow-duplicates", "--quiet"],
                embedded,
                timeout=600,
            )
            assert more.returncode == 1, more.stdout + more.stderr  # two rows rejected
            assert "path: live" in more.stdout
            assert "5 rows read: 3 created" in more.stdout
            counts = driver.execute_query(
                "MATCH (n) WHERE n:Company OR n:Person RETURN count(n) AS n, "
                "count { MATCH ()-[:WORKS_AT]->() } AS jobs, "
                "count { MATCH (a:AuditEvent {action: 'transfer.import'}) } AS audits"
            ).records[0]
            assert (counts["n"], counts["jobs"]) == (65, 2)  # 62 kept, 3 people added
            # The admin import's, its three staff-edge batches' (saved by the live path's
            # writer once the store was up), and the live batch's.
            assert counts["audits"] == 5
        finally:
            driver.close()
    finally:
        assert crm(["neo4j", "stop"], embedded).returncode == 0
