"""Custom fields (R10) through `crm-graph export` and `import` (resolvers/transfer_customfields.py),
run as a user would against a real Neo4j: definitions and values come back identical, values
are checked by the API's validator, only ADMIN imports definitions, a role that does not see
personal data exports none, and the admin path stores what the live path stores."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph import transfer_formats as fmt
from graph.actor import Actor
from graph.nodes import Audit
from graph.server import LocalNeo4j
from neo4j import Driver, GraphDatabase
from resolvers import transfer, transfer_customfields
from tests.conftest import GQL, reset_database, start_local_server
from tests.graph.reading import run
from tests.process import crm
from tests.resolvers.customfields import ARCHIVE, define, hidden_reference
from tests.test_transfer_cli import _env, _records, _report

COMPANY = """mutation($input: CreateCompanyInput!) { createCompany(input: $input) {
  company { id custom } errors { code field message } } }"""
PERSON = """mutation($input: CreatePersonInput!) { createPerson(input: $input) {
  person { id custom } errors { code field message } } }"""
CUSTOM = "query($id: ID!) { company(id: $id) { custom } person(id: $id) { custom } }"


def _create(gql: GQL, mutation: str, name: str, **custom: Any) -> str:
    r = gql(mutation, {"input": {"name": name, "custom": custom}})
    payload = next(iter(r.data.values()))
    assert payload["errors"] == [], payload["errors"]
    node = payload.get("company") or payload.get("person")
    assert node is not None
    return str(node["id"])


def _seed(gql: GQL, maker: GQL | None = None) -> dict[str, str]:
    """Definitions of every plain type on companies and people (one personal, one archived
    after a value was set), two companies and a person with values (made by `maker`, else
    the admin); their ids."""
    ids = {
        "region": define(gql, "COMPANY", "region", "ENUM", options=["华南", "华北"],
                         required=True, labelZh="区域")["id"],
        "score": define(gql, "COMPANY", "score", "NUMBER",
                        validation={"min": 0, "max": 100})["id"],
        "since": define(gql, "COMPANY", "since", "DATE",
                        validation={"minDate": "2000-01-01"})["id"],
        "wechat": define(gql, "COMPANY", "wechat", "TEXT", personal=True,
                         validation={"maxLength": 20})["id"],
        "vip": define(gql, "PERSON", "vip", "BOOLEAN", dynamic=True)["id"],
        "tags": define(gql, "PERSON", "tags", "MULTI_ENUM", options=["技术", "采购", "财务"])["id"],
        "old": define(gql, "PERSON", "old", "TEXT", labelEn="Old")["id"],
    }  # fmt: skip
    maker = maker or gql
    ids["c1"] = _create(maker, COMPANY, "甲机床有限公司", region="华南", score=87.5,
                        since="2012-03-04", wechat="wx_jia")  # fmt: skip
    ids["c2"] = _create(maker, COMPANY, "乙软件有限公司", region="华北")
    ids["p1"] = _create(maker, PERSON, "张伟", vip=True, tags=["财务", "技术"], old="旧值")
    archived = gql(ARCHIVE, {"input": {"id": ids["old"]}}).data["archiveCustomFieldDefinition"]
    assert archived["errors"] == []
    return ids


def _definitions(cypher: Driver) -> list[dict[str, Any]]:
    """Every definition as stored, but for its moments and version (an import creates it)."""
    rows = cypher.execute_query(
        "MATCH (d:CustomFieldDefinition) "
        "RETURN d{.*, createdAt: null, updatedAt: null, version: null} AS d "
        "ORDER BY d.id"
    ).records
    return [dict(r["d"]) for r in rows]


def _values(cypher: Driver) -> list[tuple[str, str, Any, str]]:
    """Every stored custom value with its Cypher type."""
    rows = cypher.execute_query(
        "MATCH (n) WHERE n:Company OR n:Person UNWIND keys(n) AS k WITH n, k WHERE k STARTS WITH "
        "'custom.' RETURN n.id AS id, k, n[k] AS v, valueType(n[k]) AS t ORDER BY id, k"
    ).records
    return [(r["id"], r["k"], r["v"], r["t"]) for r in rows]


STATE = (
    "MATCH (n) WHERE n:Company OR n:Person OR n:CustomFieldDefinition "
    "RETURN collect([n.id, n.version]) AS versions, "
    "count { MATCH (a:AuditEvent) WHERE a.action STARTS WITH 'customField.' "
    "OR a.action = 'transfer.import' } AS audits"
)


@pytest.mark.parametrize("form", ["jsonl", "csv"])
def test_definitions_and_values_come_back_identical_and_a_rerun_writes_nothing(
    form: str, gql: GQL, neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    ids = _seed(gql)
    definitions, values = _definitions(cypher), _values(cypher)
    assert {(k, t) for _, k, _, t in values} >= {
        ("custom.since", "DATE NOT NULL"), ("custom.score", "FLOAT NOT NULL"),
        ("custom.vip", "BOOLEAN NOT NULL"), ("custom.tags", "LIST<STRING NOT NULL> NOT NULL"),
    }  # fmt: skip
    first = tmp_path / f"first.{form}"
    out = crm(["export", "--format", form, "--out", str(first)], env)
    assert out.returncode == 0, out.stderr
    # 3 teams and 7 users (the personas), 7 definitions, 2 companies, 1 person
    assert "exported 20 " in out.stdout, out.stdout
    exported = {orjson.loads(r)["id"]: orjson.loads(r) for r in _records(first, form)}
    if form == "jsonl":  # native JSON types, the definitions before the nodes
        lines = [rec for _, rec in fmt.read_jsonl(first)]
        assert [x["kind"] for x in lines[10:17]] == ["customField"] * 7  # after the staff
        assert exported[ids["c1"]]["fields"]["custom"] == {
            "region": "华南", "score": 87.5, "since": "2012-03-04", "wechat": "wx_jia",
        }  # fmt: skip
        assert exported[ids["p1"]]["fields"]["custom"] == {
            "vip": True, "tags": ["技术", "财务"], "old": "旧值",  # the archived field's value too
        }  # fmt: skip
        assert exported[ids["score"]]["fields"] == {
            "kind": "COMPANY", "key": "score", "type": "NUMBER", "required": False,
            "personal": False, "dynamic": False, "min": 0.0, "max": 100.0,
        }  # fmt: skip
        assert exported[ids["old"]]["fields"]["archivedAt"]
    else:  # one column per value, a file of definitions
        assert exported[ids["p1"]]["fields"]["custom"] == {
            "vip": "True", "tags": "技术;财务", "old": "旧值",
        }  # fmt: skip
        assert (first / fmt.CUSTOM_FIELDS_CSV).exists()

    reset_database(cypher)
    report = first.with_name(first.name + ".rejected.csv")
    out = crm(["import", str(first), "--format", form, "--quiet"], env)
    assert out.returncode == 0, out.stdout + out.stderr + report.read_text(encoding="utf-8")
    # reset_database seeded the personas and teams again, as the file states them
    assert "20 rows read: 10 created, 0 updated, 10 unchanged, 0 rejected" in out.stdout
    # Saved under their own ids as defineCustomField saves them; the values with their types.
    assert _definitions(cypher) == definitions
    assert _values(cypher) == values
    defined = "MATCH (a:AuditEvent {action: 'customField.define'}) RETURN count(a) AS n"
    assert cypher.execute_query(defined).records[0]["n"] == 7
    second = tmp_path / f"second.{form}"
    assert crm(["export", "--format", form, "--out", str(second)], env).returncode == 0
    assert _records(first, form) == _records(second, form)
    # The API reads them back as it wrote them.
    shown = gql(CUSTOM, {"id": ids["c1"]}).data["company"]["custom"]
    assert shown == {"region": "华南", "score": 87.5, "since": "2012-03-04", "wechat": "wx_jia"}

    before = cypher.execute_query(STATE).records[0]
    again = crm(["import", str(first), "--format", form, "--quiet"], env)
    assert "0 created, 0 updated, 20 unchanged, 0 rejected" in again.stdout, again.stdout
    assert cypher.execute_query(STATE).records[0] == before  # no version, no audit event


def _lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def _definition(ident: str, kind: str, key: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "customField", "id": ident,
            "fields": {"kind": kind, "key": key, "type": type_, **fields}}  # fmt: skip


def _company(ident: str, name: str, **custom: Any) -> dict[str, Any]:
    return {"kind": "node", "label": "Company", "id": ident, "customer": None,
            "fields": {"name": name, "custom": custom}}  # fmt: skip


def test_values_and_definitions_are_checked_with_the_apis_rules(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    cypher.execute_query(
        "CREATE (:CustomFieldDefinition {id: 'held', kind: 'COMPANY', key: 'grade', "
        "type: 'TEXT', required: false, personal: false, dynamic: false, version: 1}) "
        "CREATE (:Company {id: 'c-old', name: '旧公司', version: 1, `custom.score`: 5.0})"
    )
    lines = [
        _definition("d-score", "COMPANY", "score", "NUMBER", min=0, max=100, required=True),
        _definition("d-kind", "COMPANY", "kinds", "MULTI_ENUM", options=["甲", "乙"]),
        _definition("d-bad", "COMPANY", "Bad-Key", "TEXT", min=3),  # key; min on TEXT
        _definition("d-grade", "COMPANY", "grade", "TEXT"),  # another id holds COMPANY.grade
        _definition("held", "PERSON", "grade", "TEXT"),  # an id may not move to another key
        _company("c-ok", "甲公司", score="42", kinds=["乙", "甲"], parent="c-old"),
        _company("c-high", "乙公司", score=500),  # above max
        _company("c-opt", "丙公司", score=1, kinds=["丁"]),  # not an option
        _company("c-none", "丁公司", score=1, nope="x"),  # no such field
        _company("c-miss", "戊公司"),  # score is required
        {**_company("c-text", "己公司"), "fields": {"name": "己公司", "custom": "x"}},
        _company("c-ref", "庚公司", score=1, parent="ghost"),  # names no company
        _definition("d-parent", "COMPANY", "parent", "REFERENCE", referenceKind="COMPANY"),
    ]
    lines.insert(2, lines.pop())  # defined before the nodes
    path = _lines(tmp_path / "fields.jsonl", lines)
    report = tmp_path / "rejected.csv"
    args = ["import", str(path), "--report", str(report), "--quiet"]
    # A dry run reports what the import will: the values judged by the stored definitions
    # and the file's, a REFERENCE by the stored nodes and the file's.
    dry = crm([*args, "--dry-run"], env)
    assert "dry run: 13 rows read, 4 valid, 9 rejected" in dry.stdout, dry.stdout + dry.stderr
    dry_report = [(r["row"], r["field"], r["code"]) for r in _report(report)]
    out = crm(args, env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "13 rows read: 4 created, 0 updated, 0 unchanged, 9 rejected" in out.stdout, out.stdout
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == dry_report
    assert dry_report == [
        ("4", "key", "VALIDATION"),
        ("4", "min", "VALIDATION"),
        ("5", "key", "DUPLICATE"),
        ("6", "key", "VALIDATION"),
        ("8", "custom.score", "VALIDATION"),
        ("9", "custom.kinds", "VALIDATION"),
        ("10", "custom.nope", "VALIDATION"),
        ("11", "custom.score", "VALIDATION"),
        ("12", "custom", "VALIDATION"),
        ("13", "custom.parent", "VALIDATION"),
    ]
    stored = cypher.execute_query(
        "MATCH (c:Company) WHERE c.id <> 'c-old' "
        "RETURN c.id AS id, c.`custom.score` AS score, c.`custom.kinds` AS kinds"
    ).records
    # Typed as the API types them: a number, the options in their order.
    assert [tuple(r.values()) for r in stored] == [("c-ok", 42.0, ["甲", "乙"])]
    held = cypher.execute_query("MATCH (d {id: 'held'}) RETURN d.kind AS k, d.version AS v")
    assert tuple(held.records[0].values()) == ("COMPANY", 1)  # untouched

    # Only ADMIN defines custom fields: another importer's definition rows are refused.
    prepared = transfer_customfields.exported_row(1, _definition("d-x", "COMPANY", "x", "TEXT"))
    assert isinstance(prepared, transfer.Prepared)
    manager = Audit(Actor("test:manager", frozenset({"MANAGER", "SALES"})), "transfer.import", "t")

    written, refused = run(
        neo4j_server,
        lambda db: transfer_customfields.write_definitions(db, [prepared.row], manager),
    )
    assert (written.created, written.updated) == (0, 0)
    assert [(r.row, r.field, r.code) for r in refused] == [(1, "row", "FORBIDDEN")]
    count = "MATCH (d:CustomFieldDefinition) RETURN count(d) AS n"
    assert cypher.execute_query(count).records[0]["n"] == 4  # held, d-score, d-kind, d-parent

    # A changed definition is updated as updateCustomFieldDefinition would: never forced past
    # the stored values it would no longer accept.
    narrowed = [_definition("d-score", "COMPANY", "score", "NUMBER", min=0, max=10)]
    out = crm(["import", str(_lines(tmp_path / "narrow.jsonl", narrowed)), "--report",
               str(report), "--quiet"], env)  # fmt: skip
    assert "1 rejected" in out.stdout, out.stdout
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
        ("1", "row", "VALIDATION")
    ]
    relabelled = [_definition("d-score", "COMPANY", "score", "NUMBER", min=0, max=100,
                              required=True, labelZh="评分")]  # fmt: skip
    out = crm(["import", str(_lines(tmp_path / "label.jsonl", relabelled)), "--quiet"], env)
    assert "0 created, 1 updated" in out.stdout, out.stdout
    score = cypher.execute_query("MATCH (d {id: 'd-score'}) RETURN d.version AS v, d.labelZh AS l")
    assert tuple(score.records[0].values()) == (2, "评分")


def test_a_personal_field_is_exported_as_the_api_shows_it_to_the_keys_role(
    gql: GQL, neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    ids = _seed(gql, gql.as_("owner"))
    # A person follows an employer: the rep (and the analyst) see 张伟 at a company they see.
    cypher.execute_query(
        "MATCH (p:Person {id: $p}), (c:Company {id: $c}) CREATE (p)-[:WORKS_AT {id: 'w-1'}]->(c)",
        p=ids["p1"],
        c=ids["c1"],
    )
    for persona in ("owner", "analyst"):
        path = tmp_path / f"{persona}.jsonl"
        key = f"key-{persona}"
        out = crm(["export", "--format", "jsonl", "--out", str(path), "--key", key], env)
        assert out.returncode == 0, out.stderr
        seen = {rec["id"]: rec for _, rec in fmt.read_jsonl(path)}
        assert sum(rec["kind"] == "customField" for rec in seen.values()) == 7  # all of them
        for node in ("c1", "p1"):
            api = gql.as_(persona)(CUSTOM, {"id": ids[node]}).data
            assert api["company"] or api["person"], (persona, node)
            shown = (api["company"] or api["person"])["custom"]
            assert seen[ids[node]]["fields"].get("custom") == shown
        company = seen[ids["c1"]]["fields"].get("custom")
        if persona == "analyst":  # personal data: not the WeChat id, no person's values
            assert company == {"region": "华南", "score": 87.5, "since": "2012-03-04"}
            assert "custom" not in seen[ids["p1"]]["fields"]
        else:  # a sales rep reads personal data
            assert company is not None
            assert company["wechat"] == "wx_jia"
            assert seen[ids["p1"]]["fields"]["custom"]["vip"] is True


def test_a_reference_to_a_node_the_key_cannot_see_is_not_exported(
    gql: GQL, neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """As the API's `custom` leaves it out for the key (hidden means missing), so does its
    export: a rep's file named another team's hidden contact by id."""
    ids = hidden_reference(gql, cypher)
    env = _env(neo4j_server)
    for key, expected in (
        ("key-owner", {"partner": ids["ref"]}),
        ("key-admin", {"boss": ids["person"], "partner": ids["ref"]}),
    ):
        path = tmp_path / f"{key}.jsonl"
        out = crm(["export", "--format", "jsonl", "--out", str(path), "--key", key], env)
        assert out.returncode == 0, out.stderr
        seen = {rec["id"]: rec for _, rec in fmt.read_jsonl(path)}
        assert seen[ids["company"]]["fields"]["custom"] == expected, key


def test_the_admin_path_stores_the_values_the_live_path_stores(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    lines = [
        _definition("d-score", "COMPANY", "score", "NUMBER", min=0),
        _definition("d-since", "COMPANY", "since", "DATE"),
        _definition("d-ok", "COMPANY", "ok", "BOOLEAN"),
        _definition("d-tags", "COMPANY", "tags", "MULTI_ENUM", options=["a", "b"]),
        _definition("d-note", "COMPANY", "note", "TEXT", archivedAt="2026-01-05T09:00:00+08:00"),
        _definition("d-boss", "COMPANY", "boss", "REFERENCE", referenceKind="PERSON"),
        # Names a person that comes later in the file: written once the nodes are in.
        _company(
            "c1", "甲公司", score=3, since="2020-02-02", ok=False, tags=["b"], note="旧", boss="p1"
        ),
        _company("c2", "乙公司", score=-1),  # below min: rejected on both paths
        _company("c3", "丙公司", boss="nobody"),  # no such node: rejected, as the API does
        _company("c4", "丁公司", boss="c1"),  # a company, not a person
        {
            "kind": "node",
            "label": "Person",
            "id": "p1",
            "customer": None,
            "fields": {"name": "张伟", "custom": {}},
        },
    ]
    path = _lines(tmp_path / "fields.jsonl", lines)
    live = crm(["import", str(path), "--quiet"], _env(neo4j_server))
    assert "11 rows read: 8 created, 0 updated, 0 unchanged, 3 rejected" in live.stdout, live.stdout
    rejected = [("8", "custom.score"), ("9", "custom.boss"), ("10", "custom.boss")]
    assert [(r["row"], r["field"]) for r in _report(path.with_suffix(".jsonl.rejected.csv"))] == (
        rejected
    )
    live_values, live_definitions = _values(cypher), _definitions(cypher)
    assert [v[1:] for v in live_values] == [
        ("custom.boss", "p1", "STRING NOT NULL"),
        ("custom.note", "旧", "STRING NOT NULL"),
        ("custom.ok", False, "BOOLEAN NOT NULL"),
        ("custom.score", 3.0, "FLOAT NOT NULL"),
        ("custom.since", live_values[4][2], "DATE NOT NULL"),
        ("custom.tags", ["b"], "LIST<STRING NOT NULL> NOT NULL"),
    ]

    data = tmp_path / "embedded" / "data"
    embedded = {k: x for k, x in os.environ.items() if not k.startswith("NEO4J_")}
    embedded.update(CRM_NEO4J_DATA_DIR=str(data), CRM_NEO4J_HEAP="512m", CRM_NEO4J_PAGECACHE="128m")
    out = crm(["import", str(path), "--quiet"], embedded, timeout=600)
    assert "path: admin" in out.stdout, out.stdout + out.stderr
    assert "11 rows read: 8 created, 0 updated, 0 unchanged, 3 rejected" in out.stdout
    assert [(r["row"], r["field"]) for r in _report(tmp_path / "fields.jsonl.rejected.csv")] == (
        rejected
    )
    server = start_local_server(tmp_path / "embedded")
    try:
        driver = GraphDatabase.driver(server.uri, auth=("neo4j", server.password))
        try:
            assert _values(driver) == live_values  # the same values, the same types
            assert _definitions(driver) == live_definitions  # saved once the store was up
            audits = driver.execute_query(
                "MATCH (a:AuditEvent {action: 'customField.define'}) RETURN count(a) AS n"
            ).records
            assert audits[0]["n"] == 6
        finally:
            driver.close()
    finally:
        server.stop()


MAPPED = "编号,名称,评分,标签\nM-1,甲公司,42,甲;乙\nM-2,乙公司,很高,\nM-3,丙公司,,丁\n"
MAPPING = """
label = "Company"
source = "erp"
id = "编号"
[fields]
name = "名称"
"custom.score" = "评分"
"custom.kinds" = "标签"
"""


def test_a_mapping_maps_columns_to_custom_fields(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    cypher.execute_query(
        "CREATE (:CustomFieldDefinition {id: 'd-score', kind: 'COMPANY', key: 'score', "
        "type: 'NUMBER', required: true, personal: false, dynamic: false, version: 1}) "
        "CREATE (:CustomFieldDefinition {id: 'd-kinds', kind: 'COMPANY', key: 'kinds', "
        "type: 'MULTI_ENUM', options: ['甲', '乙'], required: false, personal: false, "
        "dynamic: false, version: 1})"
    )
    (tmp_path / "c.csv").write_text(MAPPED, encoding="utf-8")
    (tmp_path / "c.toml").write_text(MAPPING, encoding="utf-8")
    report = tmp_path / "rejected.csv"
    args = ["import", str(tmp_path / "c.csv"), "--mapping", str(tmp_path / "c.toml"),
            "--report", str(report), "--quiet"]  # fmt: skip
    out = crm(args, _env(neo4j_server))
    assert "3 rows read: 1 created, 0 updated, 0 unchanged, 2 rejected" in out.stdout, out.stdout
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
        ("2", "custom.score", "VALIDATION"),  # not a number
        ("3", "custom.kinds", "VALIDATION"),  # not an option
        ("3", "custom.score", "VALIDATION"),  # required, and blank
    ]
    stored = cypher.execute_query(
        "MATCH (c:Company) RETURN c.externalId AS id, c.`custom.score` AS s, c.`custom.kinds` AS k"
    ).records
    assert [tuple(r.values()) for r in stored] == [("M-1", 42.0, ["甲", "乙"])]
    again = crm(args, _env(neo4j_server))
    assert "0 created, 0 updated, 1 unchanged, 2 rejected" in again.stdout, again.stdout
    # A mapping without custom field targets patches M-1, but creates no company without the
    # required score, as createCompany would not: in a dry run and in the real one.
    (tmp_path / "names.csv").write_text("编号,名称\nM-1,甲公司（新）\nM-9,己公司\n", "utf-8")
    (tmp_path / "names.toml").write_text(
        'label = "Company"\nsource = "erp"\nid = "编号"\n[fields]\nname = "名称"\n', "utf-8"
    )
    bare = ["import", str(tmp_path / "names.csv"), "--mapping", str(tmp_path / "names.toml"),
            "--report", str(report), "--quiet"]  # fmt: skip
    for dry in (["--dry-run"], []):
        out = crm(bare + dry, _env(neo4j_server))
        assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
            ("2", "custom.score", "VALIDATION")
        ], out.stdout
    assert "1 updated, 0 unchanged, 1 rejected" in out.stdout, out.stdout
    names = cypher.execute_query("MATCH (c:Company) RETURN c.externalId AS id, c.name AS n")
    assert [tuple(r.values()) for r in names.records] == [("M-1", "甲公司（新）")]
    # A target that is no custom field key is refused before any row is read.
    (tmp_path / "bad.toml").write_text(MAPPING.replace("custom.kinds", "custom.Kinds!"), "utf-8")
    with pytest.raises(transfer.TransferError, match="names no custom field key"):
        transfer.load_mapping(tmp_path / "bad.toml", None)
