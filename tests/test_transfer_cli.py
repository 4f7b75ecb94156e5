"""`crm-graph import` and `crm-graph export`, run as a user would, against a real Neo4j."""

from __future__ import annotations

import csv
import os
import runpy
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson
import pytest

from graph import transfer_formats as fmt
from graph.access import Scope
from graph.actor import Actor
from graph.nodes import Audit
from graph.server import LocalNeo4j
from neo4j import Driver
from resolvers import transfer, transfer_catalog, transfer_jobs, transfer_records
from settings import ROOT
from tests.conftest import GQL, PERSONAS, TEAMS, reset_database
from tests.graph.reading import run
from tests.process import crm

EXAMPLES = ROOT / "docs" / "examples"

PEOPLE = (
    "工号,姓名,性别,出生日期,身份证号,手机,邮箱,爱好,采购权\n"
    "P-1,张伟,MALE,1980-05-04,11010519491231002X,13800138000,zhang.wei@example.cn,读书;钓鱼,是\n"
    "P-2,李娜,FEMALE,1990-01-15,,13900139000,,,否\n"
    "P-3,王芳,female,1975-07-30,,+86 139 0013 9001,wang@example.cn,围棋,\n"
    "P-4,赵六,MALE,2999-01-01,,,,,\n"  # born in the future
    "P-5,钱七,MALE,1985-02-02,110105194912310021,,,,\n"  # bad check digit
)
PEOPLE_MAP = """
label = "Person"
source = "demo-hr"
id = "工号"
[fields]
name = "姓名"
gender = "性别"
birthDate = "出生日期"
idNumber = "身份证号"
mobile = "手机"
email = "邮箱"
hobbies = "爱好"
hasPurchasingPower = "采购权"
"""
JOBS = (
    "编号,人员,公司,职务,入职,离职\n"
    "J-1,P-1,ERP-00001,总经理,2015-03-01,\n"
    "J-2,P-2,ERP-00001,采购经理,2018-06-01,2020-01-01\n"
    "J-3,P-3,ERP-00002,工程师,2020-01-01,2019-01-01\n"  # until before since
    "J-4,P-9,ERP-00002,工程师,,\n"  # no such person
)
JOBS_MAP = """
type = "WORKS_AT"
source = "demo-hr"
id = "编号"
from = "人员"
to = "公司"
to_source = "demo-erp"   # the companies come from the ERP
[fields]
title = "职务"
since = "入职"
until = "离职"
"""


def _env(server: LocalNeo4j) -> dict[str, str]:
    return {**os.environ, "NEO4J_URI": server.uri, "NEO4J_PASSWORD": server.password}


def _report(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _seed(env: dict[str, str], tmp: Path) -> None:
    """The sample's first 60 companies (row 37 invalid), five people (two invalid) and their
    jobs (two invalid)."""
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp / "companies.csv").write_text("".join(lines[:61]), encoding="utf-8")
    out = crm(
        [
            "import",
            str(tmp / "companies.csv"),
            "--mapping",
            str(EXAMPLES / "companies.toml"),
            "--report",
            str(tmp / "companies-rejected.csv"),
            "--quiet",
        ],
        env,
    )
    assert out.returncode == 1, out.stderr  # six rows rejected
    (tmp / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp / "people.toml").write_text(PEOPLE_MAP, encoding="utf-8")
    (tmp / "jobs.csv").write_text(JOBS, encoding="utf-8")
    (tmp / "jobs.toml").write_text(JOBS_MAP, encoding="utf-8")
    for name in ("people", "jobs"):
        out = crm(
            [
                "import",
                str(tmp / f"{name}.csv"),
                "--mapping",
                str(tmp / f"{name}.toml"),
                "--report",
                str(tmp / f"{name}-rejected.csv"),
                "--quiet",
            ],
            env,
        )
        assert out.returncode == 1, out.stderr


def test_sample_companies_import_rejects_six_rows_and_runs_again_as_a_no_op(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    args = [
        "import",
        str(EXAMPLES / "companies.csv"),
        "--mapping",
        str(EXAMPLES / "companies.toml"),
        "--report",
        str(tmp_path / "rejected.csv"),
        "--batch",
        "300",
    ]
    dry = crm([*args, "--dry-run"], env)
    assert "994 valid, 6 rejected" in dry.stdout, dry.stdout + dry.stderr
    assert cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n").records[0]["n"] == 0

    out = crm(args, env)
    assert out.returncode == 1, out.stderr
    assert "1000 rows read: 994 created, 0 updated, 0 unchanged, 6 rejected" in out.stdout
    assert "rows/s" in out.stderr  # the progress bar
    rejected = _report(tmp_path / "rejected.csv")
    assert [(r["row"], r["field"], r["code"]) for r in rejected] == [
        ("37", "name", "VALIDATION"),
        ("148", "unifiedSocialCreditCode", "VALIDATION"),
        ("305", "phone", "VALIDATION"),
        ("512", "foundedOn", "VALIDATION"),
        ("733", "registeredCapital", "VALIDATION"),
        ("901", "customer.tier", "VALIDATION"),
    ]
    assert "must not be negative" in rejected[4]["message"]  # the API's own message

    stored = cypher.execute_query(
        "MATCH (c:Company:Customer {externalSource: 'demo-erp'}) "
        "RETURN count(c) AS n, collect(DISTINCT c.version) AS versions, "
        "count(c.foundedOn) AS dated, min(c.phone) AS phone"
    ).records[0]
    assert stored["n"] == 994
    assert stored["versions"] == [1]
    assert stored["dated"] == 994
    assert stored["phone"].startswith("+86")  # normalised as the API normalises
    one = cypher.execute_query(
        "MATCH (c:Company {externalId: 'ERP-00001'}) RETURN c.name AS name, c.tier AS tier, "
        "c.customerKind AS kind, c.registeredCapital AS capital"
    ).records[0]
    assert (one["name"], one["tier"], one["kind"]) == (
        "杭州智联恒通科技有限公司",
        "GENERAL",
        "ENTERPRISE",
    )
    assert one["capital"] == 455820000.0
    audits = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'transfer.import'}) RETURN a.fields AS fields, "
        "a.targetLabel AS label ORDER BY a.at"
    ).records
    assert len(audits) == 4  # one per batch of 300 (the last one short)
    assert {r["label"] for r in audits} == {"Company"}
    assert "name" in audits[0]["fields"]
    assert not any("公司" in f for r in audits for f in r["fields"])  # names, never values

    again = crm(args, env)
    assert "0 created, 0 updated, 994 unchanged, 6 rejected" in again.stdout, again.stdout
    after = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'transfer.import'}) RETURN count(a) AS n"
    ).records[0]["n"]
    assert after == 4  # nothing changed, nothing audited
    assert not (tmp_path / "companies.csv.progress.json").exists()


def test_people_and_relationships_are_checked_like_the_api(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    _seed(env, tmp_path)
    people = _report(tmp_path / "people-rejected.csv")
    assert [(r["row"], r["field"]) for r in people] == [("4", "birthDate"), ("5", "idNumber")]
    jobs = _report(tmp_path / "jobs-rejected.csv")
    assert [(r["row"], r["field"], r["code"]) for r in jobs] == [
        ("3", "until", "VALIDATION"),
        ("4", "from", "NOT_FOUND"),
    ]
    zhang = cypher.execute_query(
        "MATCH (p:Person {externalSource: 'demo-hr', externalId: 'P-1'})-[w:WORKS_AT]->(c) "
        "RETURN p.idNumber AS shown, p.idNumberCipher IS NOT NULL AS encrypted, "
        "p.mobile AS mobile, p.hobbies AS hobbies, p.hasPurchasingPower AS buyer, "
        "w.title AS title, toString(w.since) AS since, c.externalId AS company"
    ).records[0]
    assert zhang["shown"] == "1101**********002X"  # stored masked, the number encrypted
    assert zhang["encrypted"] is True
    assert zhang["mobile"] == "+8613800138000"
    assert zhang["hobbies"] == ["读书", "钓鱼"]
    assert zhang["buyer"] is True
    assert (zhang["title"], zhang["since"], zhang["company"]) == (
        "总经理",
        "2015-03-01",
        "ERP-00001",
    )
    wang = cypher.execute_query(
        "MATCH (p:Person {externalId: 'P-3'}) RETURN p.gender AS g, p.mobile AS m"
    ).records[0]
    assert (wang["g"], wang["m"]) == ("FEMALE", "+8613900139001")


def _records(path: Path, form: str) -> list[bytes]:
    if form == "jsonl":
        items = [rec for _, rec in fmt.read_jsonl(path)]
    elif form == "graphml":
        items = [rec for _, rec in fmt.read_graphml(path)]
    else:
        items = [rec for _, rec in fmt.read_csv_dir(path)]
    return sorted(orjson.dumps(i, option=orjson.OPT_SORT_KEYS) for i in items)


# The catalogue: two products the order names, and an archived one no order names.
PRODUCTS = (
    "CREATE (:Product {id: 'cnc-1', sku: 'CNC-1', name: '数控机床', category: '机床', "
    "unit: '台', listPriceCents: 15800000, currency: 'CNY', version: 1}) "
    "CREATE (:Product {id: 'spare-9', sku: 'SP-9', name: '主轴备件', version: 1}) "
    "CREATE (:Product {id: 'old-3', sku: 'OLD-3', name: '旧型号', version: 2, "
    "archivedAt: datetime('2026-01-05T09:00:00+08:00')})"
)
# A project for the first company, with Zhang Wei in it; the order below is in it.
PROJECT = (
    "MATCH (c:Company {externalSource: 'demo-erp', externalId: 'ERP-00001'}), "
    "(p:Person {externalSource: 'demo-hr', externalId: 'P-1'}) "
    "CREATE (j:Project {id: 'prj-1', name: '五轴机床改造', stage: 'PROPOSAL', status: 'OPEN', "
    "amount: 300000.0, currency: 'CNY', expectedClose: date('2026-06-30'), version: 1})"
    "-[:FOR {id: 'prj-1-for', version: 1}]->(c) "
    "CREATE (p)-[:PARTICIPATES_IN {id: 'prj-1-p1', role: 'DECISION_MAKER', version: 1}]->(j)"
)
ORDERS = (
    "编号,客户,时间,币种,明细,单号,付款期,项目\n"
    "SO-1,ERP-00001,2026-03-05T14:00:00+08:00,CNY,cnc-1:2:150000.00;spare-9:10:35.5,销-001,"
    "2026-04-05,prj-1\n"
)
ORDERS_MAP = (
    'record = "ORDER"\nsource = "demo-shop"\nid = "编号"\ncustomer_source = "demo-erp"\n'
    '[fields]\ncustomer = "客户"\noccurredAt = "时间"\ncurrency = "币种"\nlines = "明细"\n'
    'orderNo = "单号"\npaymentDueOn = "付款期"\nproject = "项目"\n'
)


def _seed_records(env: dict[str, str], cypher: Driver, tmp: Path) -> None:
    """Three catalogue products, a project (for a company, with a person in it), the
    sample's two valid interactions (one with a next step) and one order of two lines in the
    project, on the seeded companies."""
    cypher.execute_query(PRODUCTS)
    cypher.execute_query(PROJECT)
    (tmp / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (tmp / "orders.toml").write_text(ORDERS_MAP, encoding="utf-8")
    for data, mapping, code in (
        (EXAMPLES / "interactions.csv", EXAMPLES / "interactions.toml", 1),  # two rejected
        (tmp / "orders.csv", tmp / "orders.toml", 0),
    ):
        report = tmp / f"{data.stem}-rejected.csv"
        args = ["import", str(data), "--mapping", str(mapping), "--report", str(report)]
        out = crm([*args, "--quiet"], env)
        assert out.returncode == code, out.stdout + out.stderr


# Our staff: a team under EAST and an archived one, a user with every field and an archived
# one, and the staff edges: ERP-00001's ownership history (an ended owner, then the current
# one), a project team member, who knows Zhang Wei; the first interaction names the user.
STAFF = (
    "MATCH (east:Team {code: 'EAST'}), (hq:Team {code: 'HQ'}) "
    "CREATE (:Team {id: 'team-ea', code: 'EAST-A', name: '华东一组', version: 1})"
    "-[:PART_OF]->(east) "
    "CREATE (:Team {id: 'team-old', code: 'OLD', name: '旧团队', version: 2, "
    "archivedAt: datetime('2025-12-31T18:00:00+08:00')})-[:PART_OF]->(hq) "
    "CREATE (li:User {id: 'u-li', name: '李四', email: 'li.si@example.cn', team: 'EAST-A', "
    "roles: ['SALES'], externalSource: 'hr', externalId: 'E-7', oidcSubject: 'sub-li', "
    "version: 1}) "
    "CREATE (gone:User {id: 'u-gone', name: '周离', team: 'OLD', roles: ['SALES', 'MANAGER'], "
    "version: 3, archivedAt: datetime('2025-12-01T09:00:00+08:00')}) "
    "WITH li, gone "
    "MATCH (c:Company {externalSource: 'demo-erp', externalId: 'ERP-00001'}), "
    "(p:Person {externalSource: 'demo-hr', externalId: 'P-1'}), (j:Project {id: 'prj-1'}) "
    "CREATE (gone)-[:OWNS {id: 'own-1', since: date('2020-01-01'), until: date('2024-06-30'), "
    "version: 2}]->(c) "
    "CREATE (li)-[:OWNS {id: 'own-2', since: date('2024-07-01'), version: 1}]->(c) "
    "CREATE (li)-[:ON_TEAM {id: 'team-1', role: 'LEAD', version: 1}]->(j) "
    "CREATE (li)-[:KNOWS {id: 'knows-1', strength: 0.8, version: 1}]->(p) "
    "WITH li MATCH (r:Record {externalId: 'I-0001'})-[:NEXT_STEP]->(f:FollowUp) "
    "CREATE (r)-[:STAFFED_BY]->(li) "
    "WITH li, f OPTIONAL MATCH (f)-[old:ASSIGNED_TO]->() DELETE old "
    "CREATE (f)-[:ASSIGNED_TO]->(li)"
)
# What the staff add to an export: 5 teams, 9 users (7 personas), 4 staff edges.
STAFF_LINES = 18
OWNERSHIP = (
    "MATCH (u:User)-[o:OWNS]->(c:Company {externalId: 'ERP-00001'}) "
    "RETURN u.id AS user, o.id AS id, toString(o.since) AS since, toString(o.until) AS until "
    "ORDER BY id"
)


def _seed_staff(cypher: Driver) -> None:
    cypher.execute_query(STAFF)


def wipe(cypher: Driver) -> None:
    """An empty database: no personas and no teams either (reset_database recreates them)."""
    cypher.execute_query(
        "MATCH (n) WHERE NOT n:__Neo4jMigration AND NOT n:__Neo4jMigrationsLock DETACH DELETE n"
    )


@pytest.mark.parametrize("form", ["jsonl", "csv", "graphml"])
def test_round_trip_export_import_export_is_identical(
    form: str, neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    _seed(env, tmp_path)
    _seed_records(env, cypher, tmp_path)
    _seed_staff(cypher)
    ownership = [dict(r) for r in cypher.execute_query(OWNERSHIP).records]
    # GraphML (for Gephi) holds the network only; JSONL and CSV hold the products and the
    # records too. The network: our staff (3 + 2 teams, 7 personas + 2 users), 59 companies,
    # 3 people, a project; 2 jobs, the project's customer (FOR) and its person
    # (PARTICIPATES_IN), and 4 staff edges.
    total = (67 if form == "graphml" else 73) + STAFF_LINES  # and 3 products, 3 records
    # A branch named as its parent is: held as its duplicate were the file's own link not
    # read before its nodes (the scan never pairs the two).
    cypher.execute_query(
        "CREATE (p:Company {id: 'hx', name: '华星智能制造有限公司', version: 1}) "
        "CREATE (:Company {id: 'hx-wh', name: '华星智能制造有限公司武汉分公司', version: 1, "
        "archivedAt: datetime('2026-02-01T10:00:00+08:00')})"
        "-[:SUBSIDIARY_OF {id: 'hx-e', kind: 'BRANCH', since: date('2017-06-06'), "
        "version: 1}]->(p)"
    )
    total += 3
    first = tmp_path / f"first.{form}"
    out = crm(["export", "--format", form, "--out", str(first)], env)
    assert out.returncode == 0, out.stderr
    assert f"exported {total} " in out.stdout, out.stdout
    wipe(cypher)  # users, teams and products too: the export brings them back
    out = crm(["import", str(first), "--format", form, "--quiet"], env)
    report = first.with_name(first.name + ".rejected.csv")
    assert out.returncode == 0, out.stdout + out.stderr + report.read_text(encoding="utf-8")
    assert f"{total} created" in out.stdout
    # Our staff come back under their ids, by the team and user mutations' writers, without
    # any API key; the ownership history too.
    staff = cypher.execute_query(
        "MATCH (u:User) WITH count(u) AS users, "
        "count { MATCH (:User)-[:HAS_KEY]->() } AS keys, "
        "count { MATCH (t:Team) } AS teams, "
        "count { MATCH (a:AuditEvent {action: 'user.create'}) } AS made, "
        "count { MATCH (a:AuditEvent {action: 'team.create'}) } AS formed "
        "RETURN users, keys, teams, made, formed"
    ).records[0]
    assert dict(staff) == {"users": 9, "keys": 0, "teams": 5, "made": 9, "formed": 5}
    assert [dict(r) for r in cypher.execute_query(OWNERSHIP).records] == ownership
    li = cypher.execute_query(
        "MATCH (u:User {id: 'u-li'})-[:KNOWS {strength: 0.8}]->(:Person {externalId: 'P-1'}) "
        "MATCH (u)-[:ON_TEAM {role: 'LEAD'}]->(:Project {id: 'prj-1'}) "
        "MATCH (:Team {code: u.team})-[:PART_OF]->(:Team {code: 'EAST'}) "
        "RETURN u.email AS email, u.roles AS roles, u.oidcSubject AS sub"
    ).records
    assert [dict(r) for r in li] == [
        {"email": "li.si@example.cn", "roles": ["SALES"], "sub": "sub-li"}
    ]
    gone = cypher.execute_query(
        "MATCH (u:User {id: 'u-gone'}) RETURN u.roles AS roles, toString(u.archivedAt) AS at"
    ).records[0]
    assert (gone["roles"], gone["at"]) == (["MANAGER", "SALES"], "2025-12-01T09:00:00+08:00")
    branch = "MATCH (c:Company {id: 'hx-wh'}) RETURN toString(c.archivedAt) AS at"
    assert cypher.execute_query(branch).records[0]["at"] == "2026-02-01T10:00:00+08:00"
    saved = "MATCH (a:AuditEvent {action: 'product.save'}) RETURN count(a) AS n"
    products = cypher.execute_query(
        "MATCH (p:Product) RETURN p.id AS id, p.sku AS sku, p.listPriceCents AS cents, "
        "p.archivedAt IS NOT NULL AS archived ORDER BY id"
    ).records
    if form == "graphml":
        assert products == []
        # Booleans as GraphML's xs:boolean spells them, for readers that check the type.
        ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
        doc = ElementTree.parse(first).getroot()  # noqa: S314 - the test's own export
        flags = {k.get("id") for k in doc.iterfind("g:key", ns) if k.get("attr.type") == "boolean"}
        said = {d.text for d in doc.iterfind(".//g:data", ns) if d.get("key") in flags}
        assert flags
        assert said == {"true", "false"}
    else:
        assert [(r["id"], r["sku"], r["cents"], r["archived"]) for r in products] == [
            ("cnc-1", "CNC-1", 15800000, False),
            ("old-3", "OLD-3", None, True),
            ("spare-9", "SP-9", None, False),
        ]
        assert cypher.execute_query(saved).records[0]["n"] == 3  # saveProduct's audit
    second = tmp_path / f"second.{form}"
    assert crm(["export", "--format", form, "--out", str(second)], env).returncode == 0
    before, after = _records(first, form), _records(second, form)
    assert len(before) == total
    assert before == after
    audits = "MATCH (a:AuditEvent) RETURN count(a) AS n"
    events = cypher.execute_query(audits).records[0]["n"]
    again = crm(["import", str(first), "--format", form, "--quiet"], env)
    assert f"0 created, 0 updated, {total} unchanged" in again.stdout, again.stdout
    assert cypher.execute_query(audits).records[0]["n"] == events  # nothing written again
    if form != "graphml":
        assert cypher.execute_query(saved).records[0]["n"] == 3  # nothing written again
        catalogue = [orjson.loads(r) for r in after if b'"kind":"product"' in r]
        assert next(r for r in catalogue if r["id"] == "cnc-1") == {
            "kind": "product",
            "id": "cnc-1",
            "fields": {
                "sku": "CNC-1",
                "name": "数控机床",
                "category": "机床",
                "unit": "台",
                "currency": "CNY",
                "listPrice": "158000.00",
            },
        }
        old = next(r for r in catalogue if r["id"] == "old-3")
        assert old["fields"]["archivedAt"].startswith("2026-01-05T09:00:00")
        kept = [orjson.loads(r) for r in after if b'"kind":"record"' in r]
        assert sorted(r["type"] for r in kept) == ["INTERACTION", "INTERACTION", "ORDER"]
        order = next(r for r in kept if r["type"] == "ORDER")
        assert order["fields"]["orderNo"] == "销-001"
        assert order["fields"]["project"] == "prj-1"
        lines = order["fields"]["lines"]
        if isinstance(lines, str):  # CSV: JSON text
            lines = orjson.loads(lines)
        assert lines == [
            {"product": "cnc-1", "quantity": "2.0", "unitPrice": "150000.00"},
            {"product": "spare-9", "quantity": "10.0", "unitPrice": "35.50"},
        ]
        talk = next(r for r in kept if r["fields"].get("externalId") == "I-0001")
        assert talk["fields"]["nextStep.action"] == "发送报价单"
        # The record names a user: found in the (once empty) database, as imported first.
        assert talk["fields"]["nextStep.assignee"] == "u-li"
        assert talk["fields"]["staff"] in (["u-li"], "u-li")
        assert talk["fields"]["occurredAt"].startswith("2026-03-02T10:00:00")
        stored = cypher.execute_query(
            "MATCH (r:Record)-[:ABOUT]->(c:Company) RETURN r.id AS id, c.id AS customer, "
            "r.amountCents AS cents"
        ).records
        assert {r["id"] for r in stored} == {r["id"] for r in kept}  # the ids are kept
        assert max(r["cents"] or 0 for r in stored) == 30035500
    # The project comes back with its customer and its person, and the order in it.
    project = cypher.execute_query(
        "MATCH (j:Project {id: 'prj-1'})-[:FOR {id: 'prj-1-for'}]->(c:Company) "
        "MATCH (p:Person)-[x:PARTICIPATES_IN {id: 'prj-1-p1'}]->(j) "
        "RETURN j.name AS name, j.stage AS stage, j.amount AS amount, "
        "toString(j.expectedClose) AS close, c.name AS company, p.externalId AS person, "
        "x.role AS role, count { (:Order)-[:IN_PROJECT]->(j) } AS orders"
    ).records
    assert [dict(r) for r in project] == [
        {
            "name": "五轴机床改造",
            "stage": "PROPOSAL",
            "amount": 300000.0,
            "close": "2026-06-30",
            "company": "杭州智联恒通科技有限公司",  # ERP-00001
            "person": "P-1",
            "role": "DECISION_MAKER",
            "orders": 0 if form == "graphml" else 1,
        }
    ]
    user = next(orjson.loads(r) for r in after if r.startswith(b'{"fields"') and b'"u-li"' in r
                and b'"kind":"user"' in r)  # fmt: skip
    assert set(user["fields"]) == {"name", "email", "team", "roles", "externalSource",
                                   "externalId", "oidcSubject"}  # fmt: skip
    assert not any(b"key" in r.lower() or b"hash" in r.lower() for r in after)  # never a key
    person = next(orjson.loads(r) for r in after if b'"P-1"' in r)
    assert person["fields"]["idNumber"] == "11010519491231002X"  # the admin view: in full
    assert person["fields"]["hobbies"] in (["读书", "钓鱼"], "读书;钓鱼")
    # Every field the mapping imported comes back out, the company's keys in its source too.
    company = next(orjson.loads(r) for r in after if b'"ERP-00001"' in r)
    assert {k: company["fields"].get(k) for k in ("externalSource", "phone", "industry")} == {
        "externalSource": "demo-erp",
        "phone": "+8657160283210",  # stored in E.164
        "industry": "软件和信息技术服务业",
    }
    assert company["fields"]["foundedOn"].startswith("1988-11-05")


def test_exported_products_are_checked_as_save_product_checks_them_and_rerun_as_a_no_op(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    cypher.execute_query(PRODUCTS)
    lines: list[dict[str, Any]] = [
        {
            "kind": "product",
            "id": "new-1",
            "fields": {"sku": "NEW-1", "name": "新机床", "listPrice": "99.50", "currency": "cny"},
        },
        # CNC-1 is cnc-1's SKU: another id may not take it.
        {"kind": "product", "id": "copy-2", "fields": {"sku": "CNC-1", "name": "仿制机床"}},
        {"kind": "product", "id": "bad-3", "fields": {"sku": "B-3", "listPrice": "1.005"}},
        {"kind": "product", "id": "spare-9", "fields": {"sku": "SP-9", "name": "主轴备件"}},
    ]
    path = tmp_path / "products.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    report = tmp_path / "rejected.csv"
    args = ["import", str(path), "--report", str(report), "--quiet"]
    out = crm(args, env)
    assert out.returncode == 1, out.stdout + out.stderr
    # spare-9 is stored as the line states it: unchanged, not written.
    assert "4 rows read: 1 created, 0 updated, 1 unchanged, 2 rejected" in out.stdout, out.stdout
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
        ("2", "sku", "DUPLICATE"),
        ("3", "name", "VALIDATION"),
        ("3", "listPrice", "VALIDATION"),
    ]
    state = (
        "MATCH (p:Product) WITH p ORDER BY p.id "
        "RETURN collect([p.id, p.version, p.listPriceCents, p.currency]) AS products, "
        "count { MATCH (a:AuditEvent {action: 'product.save'}) } AS audits"
    )
    before = cypher.execute_query(state).records[0]
    assert before["products"] == [
        ["cnc-1", 1, 15800000, "CNY"],
        ["new-1", 1, 9950, "CNY"],  # created with its id, normalised as saveProduct does
        ["old-3", 2, None, None],
        ["spare-9", 1, None, None],
    ]
    assert before["audits"] == 1
    again = crm(args, env)
    assert "4 rows read: 0 created, 0 updated, 2 unchanged, 2 rejected" in again.stdout
    assert cypher.execute_query(state).records[0] == before  # no version, no audit

    # Only the catalogue's keepers import products: another importer's rows are refused.
    sales = Audit(Actor("test:sales", frozenset({"SALES"})), "transfer.import", "t")
    renamed = transfer_catalog.exported_row(1, {**lines[0], "fields": {"sku": "N", "name": "x"}})
    assert isinstance(renamed, transfer.Prepared)

    written, refused = run(
        neo4j_server, lambda db: transfer_catalog.write_products(db, [renamed.row], sales)
    )
    assert (written.created, written.updated) == (0, 0)
    assert [(r.row, r.field, r.code) for r in refused] == [(1, "row", "FORBIDDEN")]
    assert cypher.execute_query(state).records[0] == before


def test_an_import_job_of_a_key_that_does_not_edit_everything_refuses_project_rows(
    neo4j_server: LocalNeo4j,
) -> None:
    lines: list[dict[str, Any]] = [
        {"kind": "node", "label": "Company", "id": "jb-c", "customer": None,
         "fields": {"name": "丙公司"}},
        {"kind": "node", "label": "Project", "id": "jb-j", "customer": None,
         "fields": {"name": "改造项目"}},
        {"kind": "edge", "type": "FOR", "id": "jb-for", "from": "jb-j", "fromLabel": "Project",
         "to": "jb-c", "toLabel": "Company", "fields": {}},
        # Staff edges change who holds and who sees accounts: a key that edits everything's.
        {"kind": "edge", "type": "OWNS", "id": "jb-own", "from": PERSONAS["owner"]["id"],
         "fromLabel": "User", "to": "jb-c", "toLabel": "Company", "fields": {}},
    ]  # fmt: skip
    sales = Actor(PERSONAS["owner"]["id"], frozenset({"SALES"}), Scope())

    guard = run(
        neo4j_server,
        lambda db: transfer_jobs._scan(db, sales, transfer.graph_rows(enumerate(lines, 1))),
    )
    # The new company is the rep's to create; the project and its link are not judged here.
    assert guard["forbidden"] == [2, 3, 4]
    assert [x["id"] for x in guard["fresh"]["Company:id"]] == ["jb-c"]


def test_foreign_graphml_imports_with_a_mapping_and_runs_again_as_a_no_op(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    # The example is what networkx's write_graphml writes (docs/examples/make_network.py).
    made = tmp_path / "made.graphml"
    runpy.run_path(str(EXAMPLES / "make_network.py"))["write"](made)
    assert made.read_bytes() == (EXAMPLES / "network.graphml").read_bytes()
    assert b'<key id="d0" for="node" attr.name="label"' in made.read_bytes()
    env = _env(neo4j_server)
    report = tmp_path / "rejected.csv"
    args = [
        "import",
        str(made),
        "--mapping",
        str(EXAMPLES / "network.toml"),
        "--report",
        str(report),
        "--quiet",
    ]
    out = crm(args, env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "10 rows read: 8 created, 0 updated, 0 unchanged, 2 rejected" in out.stdout
    # Rows are named by their GraphML ids: the person born in the future, then her job.
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
        ("n4", "birthDate", "VALIDATION"),
        ("n4->n1", "from", "NOT_FOUND"),
    ]
    nodes = cypher.execute_query(
        "MATCH (n {externalSource: 'demo-gephi'}) RETURN n.externalId AS id, labels(n) AS labels, "
        "n.name AS name, n.tier AS tier ORDER BY id"
    ).records
    assert [(r["id"], sorted(r["labels"]), r["tier"]) for r in nodes] == [
        ("n0", ["Company", "Customer"], "CORE"),
        ("n1", ["Company"], None),
        ("n2", ["Person"], None),
        ("n3", ["Person"], None),
    ]
    edges = cypher.execute_query(
        "MATCH (a {externalSource: 'demo-gephi'})-[r]->(b {externalSource: 'demo-gephi'}) "
        "RETURN a.externalId AS a, type(r) AS t, b.externalId AS b, r.title AS title, "
        "toString(r.since) AS since, r.products AS products ORDER BY a, t"
    ).records
    assert [(r["a"], r["t"], r["b"]) for r in edges] == [
        ("n1", "SUPPLIES", "n0"),
        ("n2", "WORKS_AT", "n0"),
        ("n3", "REPORTS_TO", "n2"),
        ("n3", "WORKS_AT", "n0"),
    ]
    assert (edges[1]["title"], edges[1]["since"]) == ("总经理", "2015-03-01")
    assert edges[0]["products"] == "伺服电机"

    again = crm(args, env)
    assert "0 created, 0 updated, 8 unchanged, 2 rejected" in again.stdout, again.stdout
    count = (
        "MATCH (n {externalSource: 'demo-gephi'}) OPTIONAL MATCH (n)-[r]->() RETURN count(r) AS n"
    )
    assert cypher.execute_query(count).records[0]["n"] == 4
    # Without its mapping, a foreign file is not the export's layout: every node is refused.
    bare = crm(["import", str(made), "--report", str(report), "--quiet"], env)
    assert bare.returncode == 1
    assert "0 created" in bare.stdout


def test_export_with_a_key_shows_what_the_key_sees_masked(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    owner = PERSONAS["owner"]["id"]
    other = PERSONAS["other_team"]["id"]
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (x:User {id: $other}) "
        "CREATE (a:Company:Customer {id: 'tx-a', name: '甲公司', version: 1})"
        "<-[:OWNS {id: 'tx-o1'}]-(o) "
        "CREATE (b:Company:Customer {id: 'tx-b', name: '乙公司', version: 1})"
        "<-[:OWNS {id: 'tx-o2'}]-(x) "
        "CREATE (:Person {id: 'tx-p', name: '张三', mobile: '+8613800138000', version: 1})"
        "-[:WORKS_AT {id: 'tx-w', title: '经理'}]->(a) "
        # A record on each customer, and a voided one: only what the key sees is exported.
        "CREATE (:Record:Interaction {id: 'tx-r1', kind: 'Interaction', channel: 'CALL', "
        "direction: 'OUTBOUND', subject: '回访', occurredAt: datetime('2026-03-01T10:00+08:00'), "
        "version: 1})-[:ABOUT]->(a) "
        "CREATE (:Record:Interaction {id: 'tx-r2', kind: 'Interaction', channel: 'CALL', "
        "direction: 'OUTBOUND', occurredAt: datetime('2026-03-01T10:00+08:00'), version: 1})"
        "-[:ABOUT]->(b) "
        "CREATE (:Record:Interaction {id: 'tx-r3', kind: 'Interaction', channel: 'CALL', "
        "direction: 'OUTBOUND', occurredAt: datetime('2026-03-01T10:00+08:00'), version: 1, "
        "voidedAt: datetime()})-[:ABOUT]->(a) "
        # The catalogue: every signed-in viewer reads it whole, so every key exports it.
        "CREATE (:Product {id: 'tx-k', sku: 'TX-K', name: '机床', version: 1})",
        owner=owner,
        other=other,
    )
    cypher.execute_query(
        "MATCH (u:User {id: $owner}) SET u.email = 'wang.xs@example.cn'", owner=owner
    )
    mine = tmp_path / "mine.jsonl"
    out = crm(["export", "--format", "jsonl", "--out", str(mine), "--key", "key-owner"], env)
    assert out.returncode == 0, out.stderr
    seen: dict[str, Any] = {r["id"]: r for _, r in fmt.read_jsonl(mine)}
    # Every team and user (every viewer reads them), the e-mail as the API shows it to the
    # key: in full to a rep, not at all in the analyst's anonymised view (not even masked).
    staff = {t for t, _ in TEAMS.values()} | {p["id"] for p in PERSONAS.values()}
    assert seen[owner]["fields"]["email"] == "wang.xs@example.cn"
    assert seen[owner]["fields"]["roles"] == ["SALES"]
    theirs = tmp_path / "analyst.jsonl"
    args = ["export", "--format", "jsonl", "--out", str(theirs), "--key", "key-analyst"]
    assert crm(args, env).returncode == 0
    masked = {r["id"]: r for _, r in fmt.read_jsonl(theirs)}
    assert masked[owner]["fields"].get("email") is None
    # Not the other team's customer (nor its record, nor its owner's OWNS); the whole
    # catalogue.
    assert set(seen) == {"tx-a", "tx-o1", "tx-p", "tx-w", "tx-k", "tx-r1"} | staff
    assert seen["tx-k"] == {
        "kind": "product",
        "id": "tx-k",
        "fields": {"sku": "TX-K", "name": "机床"},
    }
    assert seen["tx-p"]["fields"]["mobile"] == "+86138****8000"
    assert (seen["tx-r1"]["kind"], seen["tx-r1"]["customer"]) == ("record", "tx-a")
    assert seen["tx-r1"]["fields"]["subject"] == "回访"
    everything = tmp_path / "all.jsonl"
    assert crm(["export", "--format", "jsonl", "--out", str(everything)], env).returncode == 0
    full = {r["id"]: r for _, r in fmt.read_jsonl(everything)}
    assert set(full) == {"tx-a", "tx-b", "tx-o1", "tx-o2", "tx-p", "tx-w", "tx-k", "tx-r1",
                         "tx-r2"} | staff  # not voided  # fmt: skip
    assert full[owner]["fields"]["email"] == "wang.xs@example.cn"
    assert full["tx-p"]["fields"]["mobile"] == "+8613800138000"
    bad = crm(["export", "--format", "jsonl", "--out", str(mine), "--key", "nope"], env)
    assert bad.returncode == 2
    assert "Unknown, expired or revoked API key" in bad.stderr


def _exported(path: Path, form: str) -> list[dict[str, Any]]:
    if form == "jsonl":
        return [rec for _, rec in fmt.read_jsonl(path)]
    if form == "graphml":
        return [rec for _, rec in fmt.read_graphml(path)]
    return [rec for _, rec in fmt.read_csv_dir(path) if isinstance(rec, dict)]


SAVE_RECORD = """mutation($i: SaveRecordInput!) { saveRecord(input: $i) {
  record { id } errors { code field message } } }"""


@pytest.mark.parametrize("form", ["jsonl", "csv", "graphml"])
def test_an_analysts_anonymised_export_imported_by_an_admin_keeps_the_real_names(
    form: str, neo4j_server: LocalNeo4j, cypher: Driver, gql: GQL, tmp_path: Path
) -> None:
    """Imported as ADMIN, an ANALYST's export (people as `Person 818e2a`) replaced the real
    names with the pseudonyms: `updated`, at version 2."""
    env = _env(neo4j_server)
    cypher.execute_query(
        "CREATE (a:Company {id: 'an-a', name: '甲公司', version: 1}) "
        "CREATE (:Person {id: 'an-p', name: '张三', version: 1})"
        "-[:WORKS_AT {id: 'an-w', title: '经理'}]->(a)"
    )
    # Tester AN: an interaction's subject is withheld from the ANALYST, and imported by an
    # admin, the line cleared it (`updated`). One without withheld text is not marked.
    records = form != "graphml"  # GraphML carries no records
    ids = {}
    if records:
        cypher.execute_query(
            "MATCH (a:Company {id: 'an-a'}) SET a:Customer, a.customerKind = 'ENTERPRISE'"
        )
        at = "2026-03-01T10:00:00+08:00"
        for key, given in (
            ("an-r1", {"subject": "季度拜访", "interaction": {"channel": "VISIT",
                                                        "agreement": "下周提交报价"}}),
            ("an-r2", {"interaction": {"channel": "CALL"}}),
        ):  # fmt: skip
            saved = gql(SAVE_RECORD, {"i": {"customer": "an-a", "occurredAt": at, **given}})
            assert saved.data["saveRecord"]["errors"] == []
            ids[key] = saved.data["saveRecord"]["record"]["id"]
    path = tmp_path / f"analyst.{form}"
    out = crm(["export", "--format", form, "--out", str(path), "--key", "key-analyst"], env)
    assert out.returncode == 0, out.stderr
    exported = _exported(path, form)
    nodes = {r["id"]: r for r in exported if r["kind"] == "node"}
    assert nodes["an-p"]["fields"]["name"].startswith("Person ")
    assert nodes["an-p"]["anonymised"] is True  # marked in every format
    assert "anonymised" not in nodes["an-a"]
    kept = {r["id"]: r for r in exported if r["kind"] == "record"}
    if records:
        assert kept[ids["an-r1"]]["anonymised"] is True
        assert "subject" not in kept[ids["an-r1"]]["fields"]
        assert "anonymised" not in kept[ids["an-r2"]]
    # Users' e-mails are withheld from the ANALYST: their lines are marked too, else the
    # import (which takes a user line's every field as stated) would clear the e-mails.
    users = [r for r in exported if r["kind"] == "user"]
    assert users
    assert all(u["anonymised"] is True and not u["fields"].get("email") for u in users)
    emails = "MATCH (u:User) RETURN u.id AS id, u.email AS email, u.version AS v ORDER BY id"
    before = [dict(r) for r in cypher.execute_query(emails).records]
    report = tmp_path / "rejected.csv"
    out = crm(["import", str(path), "--format", form, "--report", str(report), "--quiet"], env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "0 created, 0 updated" in out.stdout, out.stdout
    assert f"{1 + len(users) + bool(records)} rejected" in out.stdout, out.stdout
    rejected = [(r["field"], r["code"], r["message"]) for r in _report(report)]
    assert rejected.count(("name", "VALIDATION", transfer.ANONYMISED_ROW)) == 1
    marked = ("row", "VALIDATION", transfer_records.ANONYMISED_RECORD)
    assert rejected.count(marked) == bool(records)
    assert sum("withholds or masks users' data" in m for _, _, m in rejected) == len(users)
    assert [dict(r) for r in cypher.execute_query(emails).records] == before
    texts = cypher.execute_query(
        "MATCH (r:Interaction) RETURN r.id AS id, r.subject AS subject, r.agreement AS agreed, "
        "r.version AS version"
    ).records
    if records:
        assert sorted(tuple(r) for r in texts) == sorted([
            (ids["an-r1"], "季度拜访", "下周提交报价", 1),
            (ids["an-r2"], None, None, 1),
        ])  # fmt: skip
    stored = cypher.execute_query(
        "MATCH (p:Person {id: 'an-p'})-[w:WORKS_AT]->(c:Company) "
        "RETURN p.name AS name, p.version AS version, c.version AS company, w.title AS title"
    ).records
    assert [dict(r) for r in stored] == [
        {"name": "张三", "version": 1, "company": 1, "title": "经理"}
    ]


def test_a_mapping_naming_a_column_the_csv_header_lacks_is_refused_before_any_row_is_read(
    tmp_path: Path,
) -> None:
    """Taken before, every row was rejected: `1,externalId,VALIDATION,is required`."""
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "c.csv").write_text(
        "\n".join([lines[0].replace("编号", "代码"), *lines[1:4]]) + "\n", encoding="utf-8"
    )
    args = ["import", str(tmp_path / "c.csv"), "--mapping", str(EXAMPLES / "companies.toml")]
    out = crm([*args, "--report", str(tmp_path / "rejected.csv")], dict(os.environ), timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert 'crm-graph: the CSV header has no column "编号" (the mapping\'s id); ' in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "rejected.csv").exists()


FOLLOW_UPS = (
    "编号,客户,时间,方式,下一步,截止,状态,结果,关闭时间\n"
    "F-1,fu-a,2026-03-02 10:00,VISIT,发送报价单,2026-03-09 18:00,DONE,已发送,2026-03-05 09:00\n"
    "F-2,fu-a,2026-03-03 10:00,CALL,安排演示,2026-03-10 18:00,,,\n"
    "F-3,fu-a,2026-03-04 10:00,CALL,回电,2026-03-11 18:00,OPEN,,2026-03-05 09:00\n"
    "F-4,fu-a,2026-03-04 11:00,CALL,回电,2026-03-11 18:00,CANCELLED,客户取消,\n"
)
FOLLOW_UPS_MAP = (
    'record = "INTERACTION"\nsource = "fu-src"\nid = "编号"\ntimezone = "+08:00"\n'
    '[fields]\ncustomer = "客户"\noccurredAt = "时间"\nchannel = "方式"\n'
    '"nextStep.action" = "下一步"\n"nextStep.dueAt" = "截止"\n"nextStep.status" = "状态"\n'
    '"nextStep.outcome" = "结果"\n"nextStep.closedAt" = "关闭时间"\n'
)
STEPS = (
    "MATCH (r:Record)-[:NEXT_STEP]->(f:FollowUp) RETURN r.externalId AS row, f.status AS status, "
    "f.outcome AS outcome, toString(f.closedAt) AS closedAt, f.closedBy IS NOT NULL AS by "
    "ORDER BY row"
)


def test_a_closed_next_step_stays_closed_through_import_and_the_round_trip(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    env = _env(neo4j_server)
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'fu-a', name: '随访公司', customerKind: 'ENTERPRISE', "
        "version: 1})"
    )
    (tmp_path / "steps.csv").write_text(FOLLOW_UPS, encoding="utf-8")
    (tmp_path / "steps.toml").write_text(FOLLOW_UPS_MAP, encoding="utf-8")
    report = tmp_path / "steps-rejected.csv"
    args = ["import", str(tmp_path / "steps.csv"), "--mapping", str(tmp_path / "steps.toml")]
    out = crm([*args, "--report", str(report), "--quiet"], env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert [(r["row"], r["field"], r["code"]) for r in _report(report)] == [
        ("3", "interaction.nextStep.closedAt", "VALIDATION"),  # an open step is not closed
        ("4", "interaction.nextStep.closedAt", "VALIDATION"),  # closed, but when?
    ]
    closed = ("F-1", "DONE", "已发送", "2026-03-05T09:00:00+08:00", True)
    stored = [tuple(r.values()) for r in cypher.execute_query(STEPS).records]
    assert stored == [closed, ("F-2", "OPEN", None, None, False)]

    first = tmp_path / "first.jsonl"
    assert crm(["export", "--format", "jsonl", "--out", str(first)], env).returncode == 0
    row = next(r for _, r in fmt.read_jsonl(first) if r["fields"].get("externalId") == "F-1")
    assert row["fields"]["nextStep.status"] == "DONE"
    reset_database(cypher)
    out = crm(["import", str(first), "--quiet"], env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 created" in out.stdout  # the company and its two interactions
    stored = [tuple(r.values()) for r in cypher.execute_query(STEPS).records]
    assert stored == [closed, ("F-2", "OPEN", None, None, False)]
    second = tmp_path / "second.jsonl"
    assert crm(["export", "--format", "jsonl", "--out", str(second)], env).returncode == 0
    assert _records(first, "jsonl") == _records(second, "jsonl")
    again = crm(["import", str(first), "--quiet"], env)
    # The company, its interactions, and our staff (3 teams, 7 personas) as they were.
    assert "0 created, 0 updated, 13 unchanged" in again.stdout, again.stdout


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--workers", "0", "must be 1 or more, not 0"),
        ("--batch", "0", "must be 1 or more, not 0"),
        ("--batch", "-5", "must be 1 or more, not -5"),
        ("--workers", "two", "'two' is not a whole number"),
    ],
)
def test_a_count_option_below_one_is_refused_before_anything_runs(
    tmp_path: Path, option: str, value: str, said: str
) -> None:
    # Taken as given before, a batch of 0 made the live path read empty batches and a negative
    # one made itertools.islice raise.
    out = crm(
        [
            "import",
            str(EXAMPLES / "companies.csv"),
            "--mapping",
            str(EXAMPLES / "companies.toml"),
            option,
            value,
            "--report",
            str(tmp_path / "rejected.csv"),
        ],
        dict(os.environ),
        timeout=60,
    )
    assert out.returncode == 2
    assert f"argument {option}: {said}" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "rejected.csv").exists()


LISTS = """{ companies(first: 100) { totalCount nodes { id } }
  people(first: 100) { totalCount nodes { id } }
  projects(first: 100) { totalCount nodes { id } } }"""
CREATE_PERSON = """mutation($input: CreatePersonInput!) { createPerson(input: $input) {
  person { id } errors { code field } } }"""


def test_a_reps_export_holds_the_nodes_their_list_queries_list(
    neo4j_server: LocalNeo4j, cypher: Driver, gql: GQL, tmp_path: Path
) -> None:
    """ "An export is exactly what the key sees": each label's lines are what `companies`,
    `people` and `projects` list for the key, the contacts the rep created that have no
    employer yet included (docs/ACCESS.md), whether through the API or an import."""
    owner = PERSONAS["owner"]["id"]
    other = PERSONAS["other_team"]["id"]
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (x:User {id: $other}) "
        "CREATE (a:Company:Customer {id: 'tl-a', name: '甲公司', version: 1})"
        "<-[:OWNS {id: 'tl-o1'}]-(o) "
        "CREATE (b:Company:Customer {id: 'tl-b', name: '乙公司', version: 1})"
        "<-[:OWNS {id: 'tl-o2'}]-(x) "
        "CREATE (r:Company {id: 'tl-r', name: '设计院', version: 1}) "
        "CREATE (:Person {id: 'tl-pa', name: '张三', version: 1})-[:WORKS_AT {id: 'tl-w1'}]->(a) "
        "CREATE (:Person {id: 'tl-pb', name: '李四', version: 1})-[:WORKS_AT {id: 'tl-w2'}]->(b) "
        "CREATE (:Person {id: 'tl-pr', name: '王五', version: 1})-[:WORKS_AT {id: 'tl-w3'}]->(r) "
        # People with no employer: imported by the rep (the import marks its creator), by
        # the other team's rep, and by no one in particular (the CLI's import).
        "CREATE (:Person {id: 'tl-pi', name: '陈志强', version: 1, createdBy: $owner}) "
        "CREATE (:Person {id: 'tl-px', name: '周八', version: 1, createdBy: $other}) "
        "CREATE (:Person {id: 'tl-pc', name: '吴九', version: 1, createdBy: 'system:cli:import'}) "
        "CREATE (:Project {id: 'tl-ja', name: '甲项目', version: 1})-[:FOR {id: 'tl-f1'}]->(a) "
        "CREATE (:Project {id: 'tl-jb', name: '乙项目', version: 1})-[:FOR {id: 'tl-f2'}]->(b)",
        owner=owner,
        other=other,
    )
    created = gql.as_("owner")(CREATE_PERSON, {"input": {"name": "孙新"}}).data["createPerson"]
    assert created["errors"] == []
    mine = created["person"]["id"]
    theirs = gql.as_("other_team")(CREATE_PERSON, {"input": {"name": "钱新"}}).data
    assert theirs["createPerson"]["errors"] == []
    lists = gql.as_("owner")(LISTS).data
    listed = {
        label: {n["id"] for n in lists[field]["nodes"]}
        for label, field in (
            ("Company", "companies"),
            ("Person", "people"),
            ("Project", "projects"),
        )
    }
    assert all(lists[f]["totalCount"] <= 100 for f in ("companies", "people", "projects"))
    assert listed["Person"] == {"tl-pa", "tl-pr", "tl-pi", mine}
    assert listed["Company"] == {"tl-a", "tl-r"}
    assert listed["Project"] == {"tl-ja"}
    out_path = tmp_path / "rep.jsonl"
    args = ["export", "--format", "jsonl", "--out", str(out_path), "--key", "key-owner"]
    out = crm(args, _env(neo4j_server))
    assert out.returncode == 0, out.stderr
    exported: dict[str, set[str]] = {"Company": set(), "Person": set(), "Project": set()}
    for _, rec in fmt.read_jsonl(out_path):
        if rec.get("kind") == "node":
            exported[rec["label"]].add(rec["id"])
    assert exported == listed
