"""The import's batches and checkpoint (resolvers/transfer.py over graph/transfer.py), on a real
Neo4j: an interrupted import resumes after its last committed batch; bad mappings are refused
before any row is read."""

from __future__ import annotations

import asyncio
import codecs
import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
import pytest

import migrations
from graph import transfer_formats as fmt
from graph.access import Scope
from graph.actor import Actor
from graph.db import Database
from graph.migrate import Runner
from graph.nodes import Audit
from graph.server import LocalNeo4j
from neo4j import Driver
from resolvers import transfer
from settings import ROOT
from tests.resolvers.importing import AUDIT, assert_mapping_refused, run_import

EXAMPLES = ROOT / "docs" / "examples"


def _import(
    server: LocalNeo4j, tmp: Path, stop_after: int | None = None
) -> transfer.Outcome | None:
    """Import the first 250 sample rows in batches of 50; stop after `stop_after` rows."""
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp / "companies.csv"
    if not path.exists():
        path.write_text("".join(lines[:251]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    checkpoint = transfer.Checkpoint(
        tmp / "companies.csv.progress.json", transfer.fingerprint(path, mapping.digest)
    )
    return run_import(
        server, mapping, path, tmp / "rejected.csv", checkpoint=checkpoint, stop_after=stop_after
    )


def _count(cypher: Driver) -> int:
    n: int = cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n").records[0]["n"]
    return n


def test_an_interrupted_import_resumes_after_its_last_committed_batch(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    # Stopped while reading row 131: two batches of 50 valid rows (rows 1-101, row 37
    # rejected) are committed; the third (rows 102-130 so far) was never written.
    assert _import(neo4j_server, tmp_path, stop_after=130) is None
    assert _count(cypher) == 100
    progress = tmp_path / "companies.csv.progress.json"
    assert b'"committed":101' in progress.read_bytes()

    out = _import(neo4j_server, tmp_path)
    assert out is not None
    assert out.skipped == 101  # not written again: the checkpoint said where to go on
    assert (out.rows, out.created, out.updated, out.rejected) == (149, 148, 0, 1)
    # Tester AN: the CLI then said "0 rejected" and exited 0; row 37 was the first run's.
    assert out.rejected_before == 1
    assert _count(cypher) == 248
    assert not progress.exists()
    # The report of the first run is kept, the second run appends to it.
    report = (tmp_path / "rejected.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "row,field,code,message"
    assert [line.split(",")[0] for line in report[1:]] == ["37", "148"]
    # Both runs' batches share one import id in the audit trail.
    targets = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'transfer.import'}) RETURN collect(DISTINCT a.targetId) AS t"
    ).records[0]["t"]
    assert len(targets) == 1

    again = _import(neo4j_server, tmp_path)
    assert again is not None
    assert (again.skipped, again.created, again.updated) == (0, 0, 0)


def test_a_changed_file_starts_over_instead_of_resuming(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    assert _import(neo4j_server, tmp_path, stop_after=60) is None
    assert _count(cypher) == 50
    path = tmp_path / "companies.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("GENERAL", "CORE"), encoding="utf-8")
    out = _import(neo4j_server, tmp_path)
    assert out is not None
    assert out.skipped == 0  # another file: the old checkpoint does not apply
    assert out.created == 198
    assert out.updated > 0  # the tiers that changed in rows 1-51
    assert _count(cypher) == 248


def test_a_person_row_with_a_stored_id_number_is_held_whatever_the_name(
    neo4j_server: LocalNeo4j, tmp_path: Path
) -> None:
    (tmp_path / "p.toml").write_text(
        'label = "Person"\nsource = "hr"\nid = "no"\n'
        '[fields]\nname = "name"\nidType = "type"\nidNumber = "idn"\n',
        encoding="utf-8",
    )
    mapping = transfer.load_mapping(tmp_path / "p.toml", None)

    async def go(line: str) -> transfer.Outcome:
        (tmp_path / "p.csv").write_text(f"no,name,type,idn\n{line}\n", encoding="utf-8")
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            return await transfer.run_import(
                db,
                transfer.mapped_rows(mapping, tmp_path / "p.csv", "csv"),
                AUDIT,
                report=tmp_path / "rejected.csv",
                checkpoint=transfer.Checkpoint(None, line),
            )
        finally:
            await db.close()

    assert asyncio.run(go("P1,欧阳娜娜,RESIDENT_ID,11010519491231002X")).created == 1
    # Another system's record of her: the name written otherwise, the same ID number.
    again = asyncio.run(go("Q7,欧阳 娜,RESIDENT_ID,11010519491231002x"))
    assert (again.created, again.duplicates) == (0, 1)
    report = (tmp_path / "rejected.csv").read_text(encoding="utf-8")
    assert "SAME_ID_NUMBER" in report
    assert "11010519491231002" not in report  # the number is never written out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('label = "Company"\nid = "x"\n', "say which system"),
        ('label = "Robot"\nsource = "s"\nid = "x"\n', "label must be one of Company, Person"),
        (
            'label = "Company"\nsource = "s"\nid = "x"\n[fields]\nnmae = "n"\n',
            "unknown field(s) nmae",
        ),
        ('type = "OWNS"\nsource = "s"\nid = "x"\nfrom = "a"\nto = "b"\n', "type must be one of"),
        ('type = "REFERRED"\nsource = "s"\nid = "x"\nfrom = "a"\nto = "b"\n', "from_label ="),
        (
            'type = "WORKS_AT"\nsource = "s"\nid = "x"\nfrom = "a"\nto = "b"\n'
            '[fields]\nkind = "k"\n',
            None,
        ),
        ("label = [", "not a TOML file"),
    ],
)
def test_mappings_are_checked_before_any_row_is_read(
    tmp_path: Path, text: str, message: str | None
) -> None:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    if message is None:
        # WORKS_AT has no `kind`, but that is the API's rule per row (edge_props), not a
        # mapping error: the mapping names a known relationship field.
        assert transfer.load_mapping(path, None).rel is not None
        return
    with pytest.raises(transfer.TransferError, match=re.escape(message)):
        transfer.load_mapping(path, None)


def test_a_mapped_jsonl_file_takes_typed_values_and_reports_bad_ones(tmp_path: Path) -> None:
    """A dry run: every row checked, nothing written (no database at all)."""
    (tmp_path / "people.jsonl").write_text(
        '{"no": "H1", "name": "张伟", "born": "1980-05-04", "likes": ["读书", "钓鱼"], '
        '"buyer": true, "tier": "core"}\n'
        '{"no": "H2", "name": "李娜", "born": 1990, "likes": "围棋", "buyer": "maybe"}\n'
        '["not", "an", "object"]\n'
        '{"no": "", "name": "王芳", "email": "not-an-address"}\n'
        '{"no": "H5", "name": "赵六",\n',  # cut off: this line alone is rejected
        encoding="utf-8",
    )
    (tmp_path / "people.toml").write_text(
        'label = "Person"\nsource = "crm-x"\nid = "no"\n'
        '[fields]\nname = "name"\nbirthDate = "born"\nhobbies = "likes"\n'
        'hasPurchasingPower = "buyer"\nemail = "email"\n[profile]\ntier = "tier"\n',
        encoding="utf-8",
    )
    mapping = transfer.load_mapping(tmp_path / "people.toml", "override")
    assert mapping.source == "override"  # --source wins over the file
    rows = list(transfer.mapped_rows(mapping, tmp_path / "people.jsonl", "jsonl"))
    first = rows[0]
    assert isinstance(first, transfer.Prepared)
    assert first.row["props"]["hobbies"] == ["读书", "钓鱼"]
    assert first.row["props"]["tier"] == "CORE"
    assert first.row["props"]["customerKind"] == "INDIVIDUAL"  # the API's default for people
    assert first.row["customer"] is True
    assert first.row["id"] == transfer.derived_id("override", "Person", "H1")
    report = tmp_path / "rejected.csv"
    out = asyncio.run(
        transfer.run_import(
            None,
            iter(rows),
            AUDIT,
            report=report,
            checkpoint=transfer.Checkpoint(None, ""),
        )
    )
    assert (out.rows, out.rejected, out.created) == (5, 4, 0)
    lines = report.read_text(encoding="utf-8").splitlines()[1:]
    assert lines[:5] == [
        "2,birthDate,VALIDATION,must be a date (YYYY-MM-DD)",
        "2,hasPurchasingPower,VALIDATION,must be true or false",
        "3,row,VALIDATION,is not an object",
        "4,email,VALIDATION,is not a valid email address: An email address must have an @-sign.",
        "4,externalId,VALIDATION,must not be blank",
    ]
    assert lines[5].startswith("5,row,VALIDATION,not JSON: ")


def test_an_exports_line_of_the_wrong_shape_is_that_lines_rejection(tmp_path: Path) -> None:
    """Lines an integrator writes by hand: each is rejected with what is wrong, and the
    others still import (they crashed the whole job with an AttributeError)."""
    node = '{"kind": "node", "label": "Company", "id": "c1"'
    path = tmp_path / "hand.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"  # a BOM, as Windows editors save UTF-8
        + "\n".join(
            [
                "[1, 2]",
                '"hello"',
                "null",
                node + ', "fields": [1]}',
                node + ', "customer": false, "fields": {"name": "甲公司"}}',
                '{"kind": "edge", "type": "SUBSIDIARY_OF", "id": "e1", "from": "a", "to": "b"}',
                node + ', "fields": {"name": "乙公司"}}',
            ]
        ).encode()
    )
    rows = list(transfer.graph_rows(fmt.read_jsonl(path)))
    assert [r.row["id"] for r in rows if isinstance(r, transfer.Prepared)] == ["c1"]
    assert _dry_run(rows, tmp_path / "rejected.csv") == [
        "1|row|VALIDATION|a line must be a JSON object, not an array",
        "2|row|VALIDATION|a line must be a JSON object, not a string",
        "3|row|VALIDATION|a line must be a JSON object, not null",
        "4|fields|VALIDATION|fields must be a JSON object or null, not an array",
        "5|customer|VALIDATION|customer must be a JSON object or null, not true or false",
        "6|fromLabel|VALIDATION|fromLabel is missing: one of Company, Person, Project, User",
    ]


def test_a_value_of_the_wrong_json_type_is_rejected_not_stored_as_text(tmp_path: Path) -> None:
    """Tester BF: a name given as an array was stored as "['复现列表名A', 'B']"."""
    node = '{"kind": "node", "label": "Company", "id": "c%d", "fields": {"name": %s}}'
    path = tmp_path / "typed.jsonl"
    values = ['["复现列表名A", "B"]', '{"zh": "对象名"}', "true", "12345", '"正常有限公司"']
    path.write_text("\n".join(node % (i, v) for i, v in enumerate(values)), encoding="utf-8")
    rows = list(transfer.graph_rows(fmt.read_jsonl(path)))
    kept = [r.row for r in rows if isinstance(r, transfer.Prepared)]
    assert [(r["id"], r["props"]["name"]) for r in kept] == [
        ("c3", "12345"),
        ("c4", "正常有限公司"),
    ]
    assert _dry_run(rows, tmp_path / "rejected.csv") == [
        "1|name|VALIDATION|must be one text or number, not an array",
        "2|name|VALIDATION|must be one text or number, not an object",
        "3|name|VALIDATION|must be one text or number, not true or false",
    ]


@pytest.mark.parametrize("codec", ["gb18030", "utf-16"])
def test_a_jsonl_file_that_is_not_utf8_stops_with_a_clear_reason(
    tmp_path: Path, codec: str
) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(
        '{"kind": "node", "label": "Company", "fields": {"name": "华星"}}\n'.encode(codec)
    )
    with pytest.raises(ValueError, match=r"^line 1 is not UTF-8 text: a JSON Lines file is UTF-8"):
        list(fmt.read_jsonl(path))


def test_a_mapping_saved_with_a_bom_reads(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_bytes(b"\xef\xbb\xbf" + COMPANIES_TOML.encode())
    assert transfer.load_mapping(path, None).source == "erp"


def test_a_number_beyond_a_doubles_range_or_not_a_number_is_rejected(tmp_path: Path) -> None:
    # float() reads all of these; none can be sent as JSON or kept usefully (an infinity
    # stored made every read of the field fail).
    lines = ["编号,公司名称,注册资本"]
    lines += [
        f"N{i},数字测试{i}有限公司,{v}" for i, v in enumerate(["NaN", "inf", "1e400", "12.5"])
    ]
    mapping = 'label = "Company"\nsource = "s"\nid = "编号"\n'
    mapping += '[fields]\nname = "公司名称"\nregisteredCapital = "注册资本"\n'
    refused, kept = _company_rows(tmp_path, "\n".join(lines) + "\n", mapping)
    assert [(r.row, r.field, r.message) for r in refused] == [
        (n, "registeredCapital", "must be a finite number") for n in (1, 2, 3)
    ]
    assert [row.row["props"]["registeredCapital"] for row in kept] == [12.5]


def _company_rows(
    tmp_path: Path, text: str, mapping: str
) -> tuple[list[transfer.Rejection], list[transfer.Prepared]]:
    """A CSV read through its mapping (no database): the rejections and the rows kept."""
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    (tmp_path / "c.toml").write_text(mapping, encoding="utf-8")
    loaded = transfer.load_mapping(tmp_path / "c.toml", None)
    rows = list(transfer.mapped_rows(loaded, tmp_path / "c.csv", "csv"))
    refused = [r for row in rows if isinstance(row, list) for r in row]
    return refused, [row for row in rows if isinstance(row, transfer.Prepared)]


def test_a_company_row_is_checked_as_the_api_checks_it(tmp_path: Path) -> None:
    """A future founding date, a person's customer kind, a phone with letters, a date not
    written YYYY-MM-DD: refused as createCompany refuses them (the same company_props)."""
    refused, kept = _company_rows(
        tmp_path,
        "编号,公司名称,电话,成立日期,客户类型\n"
        "F1,未来有限公司,010-88888888,2099-01-01,ENTERPRISE\n"
        "F2,个人有限公司,010-88888888,2001-01-01,INDIVIDUAL\n"
        "F3,字母有限公司,010-ABCD1234,2001-01-01,\n"
        "F4,分机有限公司,010-88888888 ext 12,2001-01-01,\n"
        "F5,紧凑日期有限公司,010-88888888,20120304,\n"
        "F6,周日期有限公司,010-88888888,2012-W10-7,\n",
        'label = "Company"\nsource = "s"\nid = "编号"\ncustomer = true\n'
        '[fields]\nname = "公司名称"\nphone = "电话"\nfoundedOn = "成立日期"\n'
        '[profile]\ncustomerKind = "客户类型"\n',
    )
    assert [(r.row, r.field, r.code) for r in refused] == [
        (1, "foundedOn", "VALIDATION"),
        (2, "customer.customerKind", "VALIDATION"),
        (3, "phone", "VALIDATION"),
        (5, "foundedOn", "VALIDATION"),  # dates are YYYY-MM-DD, as in the API
        (6, "foundedOn", "VALIDATION"),
    ]
    assert [(row.row["props"]["phone"], row.row["props"]["customerKind"]) for row in kept] == [
        ("+861088888888;ext=12", "ENTERPRISE")  # the extension kept, as the API keeps it
    ]


def test_rows_likely_duplicating_a_record_are_held_back_with_the_reason(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    # Already in the CRM, entered by hand: the first sample company under another name form
    # (its branch office), with the same credit code.
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'hand-made', name: '智联恒通科技（杭州）有限公司', "
        "unifiedSocialCreditCode: '913613593AENB8C8BF', version: 1})"
    )
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "companies.csv"
    path.write_text("".join(lines[:4]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)

    async def go(allow: bool, dry: bool = False) -> transfer.Outcome:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            return await transfer.run_import(
                None if dry else db,
                transfer.mapped_rows(mapping, path, "csv"),
                AUDIT,
                report=tmp_path / "rejected.csv",
                checkpoint=transfer.Checkpoint(None, "x"),
                allow_duplicates=allow,
                reader=db if dry else None,
            )
        finally:
            await db.close()

    # A dry run that reads the database holds back the same row, and writes nothing.
    dry = asyncio.run(go(False, dry=True))
    assert (dry.rows, dry.created, dry.rejected, dry.duplicates) == (3, 0, 1, 1)
    assert _count(cypher) == 1
    out = asyncio.run(go(False))
    assert (out.rows, out.created, out.rejected, out.duplicates) == (3, 2, 1, 1)
    with (tmp_path / "rejected.csv").open(encoding="utf-8") as f:
        [held] = list(csv.DictReader(f))
    assert (held["row"], held["field"], held["code"]) == ("1", "row", "DUPLICATE")
    assert held["message"].startswith("likely the same as hand-made (score 1.00: ")
    assert "SAME_CREDIT_CODE" in held["message"]
    assert _count(cypher) == 3
    # Told to, the import creates it; a re-run then holds nothing (its own record is no
    # duplicate of itself).
    assert asyncio.run(go(True)).created == 1
    assert (asyncio.run(go(False)).duplicates, _count(cypher)) == (0, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[nodes]\nlabel = "Company"\n[edges]\ntype = "SUPPLIES"\n', "source = ..."),
        (
            'source = "g"\n[nodes]\nlabel = "Company"\nlabel_attribute = "k"\n'
            '[edges]\ntype = "SUPPLIES"\n',
            "[nodes]: give label_attribute =",
        ),
        ('source = "g"\n[nodes]\nlabel = "Company"\n[edges]\n', "[edges]: give type_attribute"),
        (
            'source = "g"\n[nodes]\nlabel = "Company"\n[nodes.Company]\nbirthDate = "b"\n'
            '[edges]\ntype = "SUPPLIES"\n',
            "[nodes.Company]: unknown field(s) birthDate",
        ),
        (
            'source = "g"\n[nodes]\nlabel_attribute = "k"\nlabels = { x = "Project" }\n'
            '[edges]\ntype = "SUPPLIES"\n',
            "[nodes.labels] x must be one of Company, Person",
        ),
        (
            'source = "g"\n[nodes]\nlabel = "Company"\n[edges]\ntype_attribute = "t"\n'
            'types = { a = "OWNS" }\n',
            "[edges.types] a must be one of",
        ),
        (
            'source = "g"\nid = "x"\n[nodes]\nlabel = "Company"\n[edges]\ntype = "SUPPLIES"\n',
            "not id",
        ),
    ],
)
def test_graphml_mappings_are_checked_before_any_row_is_read(
    tmp_path: Path, text: str, message: str
) -> None:
    assert_mapping_refused(tmp_path, text, message)


GRAPHML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
    '<key id="d0" for="node" attr.name="名称" attr.type="string"/>'
    '<key id="d1" for="node" attr.name="类型" attr.type="string"><default>公司</default></key>'
    '<graph edgedefault="directed">'
)


def test_graphml_that_networkx_reads_leniently_is_read_strictly(tmp_path: Path) -> None:
    """Tester BF: a node id given twice became one node (the name of one, the industry of the
    other), a nested graph's nodes vanished, and keys' defaults were ignored."""
    path = tmp_path / "g.graphml"
    node = '<node id="{}"><data key="d0">{}</data></node>'
    path.write_text(
        GRAPHML_HEAD + node.format("n1", "默认值测试有限公司") + "</graph></graphml>",
        encoding="utf-8",
    )
    [(_, read)] = list(fmt.read_graphml_elements(path))
    assert read["attrs"] == {"名称": "默认值测试有限公司", "类型": "公司"}  # the key's default
    twice = node.format("n1", "重复甲有限公司") + node.format("n1", "重复乙有限公司")
    path.write_text(GRAPHML_HEAD + twice + "</graph></graphml>", encoding="utf-8")
    with pytest.raises(ValueError, match="node id 'n1' appears twice"):
        list(fmt.read_graphml_elements(path))
    nested = (
        '<node id="g6"><graph id="g6:" edgedefault="directed">'
        + node.format("g6::n0", "子图节点有限公司")
        + "</graph></node>"
    )
    path.write_text(GRAPHML_HEAD + nested + "</graph></graphml>", encoding="utf-8")
    with pytest.raises(ValueError, match="nested graph"):
        list(fmt.read_graphml_elements(path))


def test_a_foreign_graphml_file_is_read_with_its_mapping(tmp_path: Path) -> None:
    """A dry run of an undirected graph (as Gephi often saves one): constant kinds by
    attribute, edges turned the way their type allows, bad rows named by their ids."""
    g = nx.MultiGraph()
    g.add_node("a", kind="org", title="甲公司")
    g.add_node("b", kind="person", title="张伟")
    g.add_node("c", kind="robot", title="R2")
    g.add_edge("a", "b", key="e1", rel="employs", role="经理")  # Company-Person: turned
    g.add_edge("a", "b", key="e2", rel="likes")
    g.add_edge("a", "c", key="e3", rel="employs")
    nx.write_graphml(g, str(tmp_path / "g.graphml"))
    (tmp_path / "map.toml").write_text(
        'source = "gephi"\n[nodes]\nlabel_attribute = "kind"\n'
        'labels = { org = "Company", person = "Person" }\n'
        '[nodes.Company]\nname = "title"\n[nodes.Person]\nname = "title"\n'
        '[edges]\ntype_attribute = "rel"\ntypes = { employs = "WORKS_AT" }\n'
        '[edges.fields]\ntitle = "role"\n',
        encoding="utf-8",
    )
    mapping = transfer.load_mapping(tmp_path / "map.toml", None)
    csv_mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    with pytest.raises(transfer.TransferError, match="needs a mapping with"):
        transfer.mapped_rows(csv_mapping, tmp_path / "g.graphml", "graphml")
    rows = list(transfer.mapped_rows(mapping, tmp_path / "g.graphml", "graphml"))
    done = {r.name: r for r in rows if isinstance(r, transfer.Prepared)}
    assert set(done) == {"a", "b", "e1"}
    assert done["a"].row["externalId"] == "a"
    assert done["a"].row["id"] == transfer.derived_id("gephi", "Company", "a")
    job = done["e1"]
    assert job.group[1].value == "WORKS_AT"
    assert (job.row["from"], job.row["to"], job.row["props"]) == ("b", "a", {"title": "经理"})
    bad = sorted((r.name, r.field, r.code) for x in rows if isinstance(x, list) for r in x)
    assert bad == [
        ("c", "kind", "VALIDATION"),
        ("e2", "rel", "VALIDATION"),
        ("e3", "to", "NOT_FOUND"),
    ]
    report = tmp_path / "rejected.csv"
    rows_again = transfer.mapped_rows(mapping, tmp_path / "g.graphml", "graphml")
    out = asyncio.run(
        transfer.run_import(
            None, rows_again, AUDIT, report=report, checkpoint=transfer.Checkpoint(None, "")
        )
    )
    assert (out.rows, out.rejected) == (6, 3)
    with open(report, newline="", encoding="utf-8") as f:
        assert [r["row"] for r in csv.DictReader(f)] == ["c", "e2", "e3"]


def _dry_run(rows: list[transfer.Prepared | list[transfer.Rejection]], report: Path) -> list[str]:
    """The report's rows (row, field, code, message), each joined with "|"."""
    out = asyncio.run(
        transfer.run_import(
            None, iter(rows), AUDIT, report=report, checkpoint=transfer.Checkpoint(None, "")
        )
    )
    assert out.rows == len(rows)
    with report.open(encoding="utf-8", newline="") as f:
        return ["|".join(cells) for cells in list(csv.reader(f))[1:]]


COMPANIES_TOML = 'label = "Company"\nsource = "erp"\nid = "编号"\n[fields]\nname = "名称"\n'


def test_a_malformed_csv_row_is_rejected_not_shifted_into_other_columns(tmp_path: Path) -> None:
    """A lenient reader read 华星,集团 as name 华星 (集团 lost) and an unclosed quote as one
    cell holding the rest of the file."""
    (tmp_path / "c.csv").write_text(
        "编号,名称\n"
        "1,华星,集团\n"  # an unquoted comma: three cells
        '2,"中兴"通讯\n'  # text after a closing quote
        "3,华润集团\n"
        '8,华"星北京\n'  # a quote inside an unquoted cell: a typo, not text (tester AY)
        '9,"华""星"\n'  # a quote written as "" in a quoted cell: text
        "7,北京,华星,\n"  # a blank extra cell, after a comma in the name: shifted, refused
        "4\n"  # fewer cells: the missing name is the API's rule
        "\n"
        '5,"华为技术\n'  # a quote never closed: the rest of the file is this one cell
        "6,比亚迪\n",
        encoding="utf-8",
    )
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "m.toml", None)
    rows = list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    assert [r.row["props"]["name"] for r in rows if isinstance(r, transfer.Prepared)] == [
        "华润集团",
        '华"星',
    ]
    stray = fmt.STRAY_QUOTE.format(line=5)
    assert _dry_run(rows, tmp_path / "rejected.csv") == [
        "1|row|VALIDATION|has 3 cells, the header 2: quote a value that holds a comma",
        "2|row|VALIDATION|not valid CSV (line 3: ',' expected after '\"'); check this row's quotes",
        f"4|row|VALIDATION|{stray}",
        "6|row|VALIDATION|has 4 cells, the header 2: quote a value that holds a comma",
        "7|name|VALIDATION|is required",
        f"8|row|VALIDATION|{UNCLOSED.format(start=10, rest='lines 10-11')}",
    ]


UNCLOSED = (
    "a quote opened on line {start} is never closed: the rest of the file ({rest}) was read "
    "as one cell, so no row from that line on was read; close the quote (a quote inside a "
    'quoted cell is written "") and import the file again'
)


def test_a_quote_never_closed_says_where_it_opened_and_that_the_rest_was_not_read(
    tmp_path: Path,
) -> None:
    """Eight rows, row 2 opening a quote it never closes: the report said only `not valid CSV
    (line 9: unexpected end of data)`, and rows 3-8 were neither imported nor reported."""
    lines = ["编号,名称"] + [f"Q-{i},引号测试{i}有限公司" for i in range(1, 9)]
    lines[2] = 'Q-2,"引号测试二有限公司'
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "m.toml", None)
    rows = list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    assert len(rows) == 2
    assert _dry_run(rows, tmp_path / "rejected.csv") == [
        f"2|row|VALIDATION|{UNCLOSED.format(start=3, rest='lines 3-9')}"
    ]


def test_an_oversized_cell_is_said_as_such_not_as_a_quoting_fault(tmp_path: Path) -> None:
    """Tester AN: a correctly quoted 2,000,000-character name was reported as "check this
    row's quotes"."""
    huge = "华" * 200_000
    (tmp_path / "c.csv").write_text(f'编号,名称\n1,"{huge}"\n2,华润集团\n', encoding="utf-8")
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "m.toml", None)
    rows = list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    assert _dry_run(rows, tmp_path / "rejected.csv")[0] == (
        "1|row|VALIDATION|a cell on line 2 is longer than 131,072 characters, the most a CSV "
        "cell may hold here; no field takes that much"
    )


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    # Tester BF: the mapping read the second 公司名称 in silence.
    path = tmp_path / "c.csv"
    path.write_text("\ufeff编号,公司名称,公司名称,电话\nD-1,甲有限公司,乙有限公司,\n", "utf-8")
    with pytest.raises(ValueError, match=re.escape("names column(s) 公司名称 twice")):
        list(fmt.read_csv(path, "utf-8"))


def test_the_bytes_decide_over_a_mapping_encoding_that_would_garble_them(tmp_path: Path) -> None:
    """Tester BK: a UTF-8 file under `encoding = "gb18030"` was imported as mojibake (深圳 as
    娣卞湷), every row accepted; with a BOM it was refused as "not gb18030 text"."""
    path = tmp_path / "c.csv"
    body = "id,name\r\nA0,深圳市腾讯计算机系统有限公司\r\n"
    path.write_bytes(body.encode("utf-8"))
    with pytest.raises(ValueError, match=re.escape("the file is UTF-8, not gb18030")):
        list(fmt.read_csv(path, "gb18030"))
    assert fmt.csv_header(path, "gb18030") is None  # left to the import to say why
    path.write_bytes(codecs.BOM_UTF8 + body.encode("utf-8"))  # a BOM says UTF-8
    assert [r for _, r in fmt.read_csv(path, "gb18030")] == [
        {"id": "A0", "name": "深圳市腾讯计算机系统有限公司"}
    ]
    path.write_bytes(body.encode("gb18030"))  # what the mapping says: read as it says
    read = next(r for _, r in fmt.read_csv(path, "gb18030"))
    assert read == {"id": "A0", "name": "深圳市腾讯计算机系统有限公司"}
    path.write_bytes("id,name\r\nA0,abc\r\n".encode("ascii"))  # ASCII: either reads it
    assert [r for _, r in fmt.read_csv(path, "gb18030")] == [{"id": "A0", "name": "abc"}]
    path.write_bytes(body.encode("utf-16"))  # with its BOM
    with pytest.raises(ValueError, match=re.escape("the file is UTF-16")):
        list(fmt.read_csv(path, "utf-8"))
    assert next(r for _, r in fmt.read_csv(path, "utf-16")) == read


def test_a_csv_header_lacking_a_column_the_mapping_names_is_refused_before_any_row_is_read(
    tmp_path: Path,
) -> None:
    """Accepted, every row was rejected: `1,externalId,VALIDATION,is required`."""
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    nodes = transfer.load_mapping(tmp_path / "m.toml", None)
    (tmp_path / "c.csv").write_text("code,名称\n1,甲公司\n", encoding="utf-8")
    with pytest.raises(
        transfer.TransferError,
        match=re.escape('the CSV header has no column "编号" (the mapping\'s id); its columns: '
                        "code, 名称. Fix the mapping or the header"),
    ):  # fmt: skip
        transfer.mapped_rows(nodes, tmp_path / "c.csv", "csv")  # raised before any row is read
    (tmp_path / "e.toml").write_text(
        'type = "SUBSIDIARY_OF"\nsource = "erp"\nid = "编号"\nfrom = "子"\nto = "母"\n'
        '[fields]\nsince = "起"\n',
        encoding="utf-8",
    )
    edges = transfer.load_mapping(tmp_path / "e.toml", None)
    (tmp_path / "e.csv").write_text("编号,子,母公司\ns1,1,2\n", encoding="utf-8")
    with pytest.raises(transfer.TransferError) as refused:
        transfer.mapped_rows(edges, tmp_path / "e.csv", "csv")
    assert str(refused.value).startswith(
        'the CSV header has no column "母" (the mapping\'s to), "起" (the mapping\'s [fields] '
        "since); its columns: 编号, 子, 母公司."
    )
    # A header read as the import reads it: a BOM, quotes, spaces; the mapping's encoding.
    (tmp_path / "c.csv").write_bytes('\ufeff"编号", 名称 \r\n1,甲公司\r\n'.encode())
    assert len(list(transfer.mapped_rows(nodes, tmp_path / "c.csv", "csv"))) == 1
    (tmp_path / "g.csv").write_bytes("编号,名称\n1,甲公司\n".encode("gb18030"))
    (tmp_path / "g.toml").write_text('encoding = "gb18030"\n' + COMPANIES_TOML, "utf-8")
    gbk = transfer.load_mapping(tmp_path / "g.toml", None)
    assert len(list(transfer.mapped_rows(gbk, tmp_path / "g.csv", "csv"))) == 1


ANONYMISED_EXPORT = [
    {"kind": "node", "label": "Company", "id": "c1", "customer": None, "fields": {"name": "甲"}},
    {"kind": "node", "label": "Person", "id": "p1", "anonymised": True, "customer": None,
     "fields": {"name": "Person 818e2a"}},
    # A line of an export written before the marker was: the pseudonym gives it away.
    {"kind": "node", "label": "Person", "id": "p2", "customer": None,
     "fields": {"name": "Person 0a1b2c"}},
    {"kind": "node", "label": "Person", "id": "p3", "customer": None, "fields": {"name": "张伟"}},
    {"kind": "edge", "type": "WORKS_AT", "id": "w1", "from": "p1", "fromLabel": "Person",
     "to": "c1", "toLabel": "Company", "fields": {"title": "经理"}},
]  # fmt: skip


@pytest.mark.parametrize("form", ["jsonl", "csv", "graphml"])
def test_an_anonymised_exports_people_are_marked_and_rejected_in_every_format(
    tmp_path: Path, form: str
) -> None:
    """An ADMIN importing an ANALYST's export overwrote real names with pseudonyms."""
    path = tmp_path / f"export.{form}"
    if form == "jsonl":
        fmt.write_jsonl(ANONYMISED_EXPORT, path)
        records = fmt.read_jsonl(path)
    elif form == "csv":
        fmt.write_csv_dir(ANONYMISED_EXPORT, path)
        assert "anonymised" in (path / "nodes-Person.csv").read_text(encoding="utf-8")
        records = fmt.read_csv_dir(path)
    else:
        fmt.write_graphml(ANONYMISED_EXPORT, path)
        records = fmt.read_graphml(path)
    rows = list(transfer.graph_rows(records))
    kept = [r.row["id"] for r in rows if isinstance(r, transfer.Prepared)]
    assert kept == ["c1", "p3", "w1"]  # the company and the edge are fine
    assert _dry_run(rows, tmp_path / "rejected.csv") == [
        f"{n}|name|VALIDATION|{transfer.ANONYMISED_ROW}" for n in (2, 3)
    ]
    assert "anonymised export's people cannot be imported" in transfer.ANONYMISED_ROW


def test_a_gb18030_csv_reads_with_the_mappings_encoding_and_is_named_without_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "c.csv").write_bytes("编号,名称\n1,华星集团\n2,中兴通讯\n".encode("gb18030"))
    (tmp_path / "utf8.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    (tmp_path / "gbk.toml").write_text('encoding = "gb18030"\n' + COMPANIES_TOML, "utf-8")
    (tmp_path / "bad.toml").write_text('encoding = "klingon"\n' + COMPANIES_TOML, "utf-8")
    mapping = transfer.load_mapping(tmp_path / "utf8.toml", None)
    with pytest.raises(ValueError, match=r'^line 1 is not utf-8 text .*encoding = "gb18030"'):
        list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    mapping = transfer.load_mapping(tmp_path / "gbk.toml", None)
    rows = list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    names = [r.row["props"]["name"] for r in rows if isinstance(r, transfer.Prepared)]
    assert names == ["华星集团", "中兴通讯"]
    with pytest.raises(transfer.TransferError, match="encoding 'klingon' is not one"):
        transfer.load_mapping(tmp_path / "bad.toml", None)


def _run(
    server: LocalNeo4j,
    rows: Iterator[transfer.Prepared | list[transfer.Rejection]],
    report: Path,
    *,
    dry: bool = False,
    actor: Actor = AUDIT.actor,
    batch: int = 500,
    linked: transfer.Linked = frozenset(),
    stop: Callable[[], bool] | None = None,
    advance: Callable[[int], None] = lambda n: None,
) -> tuple[transfer.Outcome, list[str]]:
    """Import `rows` as `actor` (a dry run reads the database, writes nothing); the outcome
    and the report's rows (row, field, code, message), each joined with "|"."""

    async def go() -> transfer.Outcome:
        db = Database(server.uri, "neo4j", server.password)
        try:
            await Runner(db, migrations.DIRECTORY).apply()
            return await transfer.run_import(
                None if dry else db,
                rows,
                Audit(actor, "transfer.import", "t"),
                report=report,
                checkpoint=transfer.Checkpoint(None, "x"),
                reader=db if dry else None,
                batch=batch,
                linked=linked,
                stop=stop,
                advance=advance,
            )
        finally:
            await db.close()

    out = asyncio.run(go())
    with report.open(encoding="utf-8", newline="") as f:
        return out, ["|".join(cells) for cells in list(csv.reader(f))[1:]]


REPEATS_CSV = "编号,名称\n1,甲公司\n2,乙公司\n1,丙公司\n3,丁公司\n2,戊公司\n"
REPEATS = [
    "3|externalId|DUPLICATE|row 1 of this file has the same id",
    "5|externalId|DUPLICATE|row 2 of this file has the same id",
]


def _names(cypher: Driver) -> dict[str, tuple[str, int]]:
    found = cypher.execute_query(
        "MATCH (c:Company) RETURN c.externalId AS id, c.name AS name, c.version AS version"
    ).records
    return {r["id"]: (r["name"], r["version"]) for r in found}


@pytest.mark.parametrize("batch", [1, 2, 50])
def test_a_repeated_id_in_one_file_is_rejected_not_merged_whatever_the_batch(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path, batch: int
) -> None:
    """Rows 3 and 5 repeat the ids of rows 1 and 2: merged, the later overwrote the earlier,
    two nodes counted as created twice, and every re-run updated them again."""
    (tmp_path / "c.csv").write_text(REPEATS_CSV, encoding="utf-8")
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "m.toml", None)
    rows = list(transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv"))
    assert _dry_run(rows, tmp_path / "dry.csv") == REPEATS
    report = tmp_path / "rejected.csv"
    for created in (3, 0):  # the import, then a re-run that changes nothing
        out = run_import(neo4j_server, mapping, tmp_path / "c.csv", report, batch=batch)
        assert out is not None
        assert (out.rows, out.created, out.updated, out.rejected) == (5, created, 0, 2)
        with report.open(encoding="utf-8", newline="") as f:
            assert ["|".join(cells) for cells in list(csv.reader(f))[1:]] == REPEATS
    assert _names(cypher) == {"1": ("甲公司", 1), "2": ("乙公司", 1), "3": ("丁公司", 1)}


def test_a_resumed_import_remembers_the_ids_read_before_it_stopped(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("编号,名称\n1,甲公司\n2,乙公司\n3,丙公司\n1,丁公司\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    mapping = transfer.load_mapping(tmp_path / "m.toml", None)

    def checkpoint() -> transfer.Checkpoint:
        progress = tmp_path / "c.csv.progress.json"
        return transfer.Checkpoint(progress, transfer.fingerprint(path, mapping.digest))

    report = tmp_path / "rejected.csv"
    # Stopped reading row 4: rows 1-2 (one batch) are committed.
    stopped = run_import(
        neo4j_server, mapping, path, report, checkpoint=checkpoint(), batch=2, stop_after=3
    )
    assert stopped is None
    assert set(_names(cypher)) == {"1", "2"}
    out = run_import(neo4j_server, mapping, path, report, checkpoint=checkpoint(), batch=2)
    assert out is not None
    assert (out.skipped, out.rows, out.created, out.updated, out.rejected) == (2, 2, 1, 0, 1)
    with report.open(encoding="utf-8", newline="") as f:
        assert list(csv.reader(f))[1:] == [
            ["4", "externalId", "DUPLICATE", "row 1 of this file has the same id"]
        ]
    assert _names(cypher) == {"1": ("甲公司", 1), "2": ("乙公司", 1), "3": ("丙公司", 1)}


def test_a_repeated_relationship_id_in_one_file_is_rejected(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    (tmp_path / "c.csv").write_text("编号,名称\n1,甲公司\n2,乙公司\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    nodes = transfer.load_mapping(tmp_path / "m.toml", None)
    assert run_import(neo4j_server, nodes, tmp_path / "c.csv", tmp_path / "nodes.csv")
    (tmp_path / "e.csv").write_text("编号,甲,乙,产品\ne1,1,2,先\ne1,1,2,后\n", encoding="utf-8")
    (tmp_path / "e.toml").write_text(
        'type = "SUPPLIES"\nsource = "erp"\nid = "编号"\nfrom = "甲"\nto = "乙"\n'
        '[fields]\nproducts = "产品"\n',
        encoding="utf-8",
    )
    edges = transfer.load_mapping(tmp_path / "e.toml", None)
    report = tmp_path / "rejected.csv"
    for created in (1, 0):
        out = run_import(neo4j_server, edges, tmp_path / "e.csv", report)
        assert out is not None
        assert (out.rows, out.created, out.updated, out.rejected) == (2, created, 0, 1)
        with report.open(encoding="utf-8", newline="") as f:
            assert list(csv.reader(f))[1:] == [
                ["2", "id", "DUPLICATE", "row 1 of this file has the same id"]
            ]
    found = cypher.execute_query("MATCH ()-[r:SUPPLIES]->() RETURN r.products AS p").records
    assert [r["p"] for r in found] == ["先"]


def test_likely_duplicates_the_importer_may_not_see_are_held_without_their_id(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """Hidden means missing: the rep's report held the row naming a customer of another
    team's that `company(id:)` does not show the rep."""
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'hidden-co', name: '杭州智联恒通科技有限公司', "
        "unifiedSocialCreditCode: '913613593AENB8C8BF', version: 1}) "
        # Not a customer: reference data every viewer sees.
        "CREATE (:Company {id: 'public-co', name: '杭州长城启明物流有限公司', "
        "unifiedSocialCreditCode: '916234052EJRBEJAXE', version: 1})"
    )
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "companies.csv"
    path.write_text("".join(lines[:3]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    rep = Actor("u-rep", frozenset({"SALES"}), Scope(users=("u-rep",), principals=("u-rep",)))

    out, report = _run(
        neo4j_server, transfer.mapped_rows(mapping, path, "csv"), tmp_path / "r.csv",
        dry=True, actor=rep,
    )  # fmt: skip
    assert (out.rows, out.duplicates) == (2, 2)  # still held: detection sees every record
    assert [line.split("|")[:3] for line in report] == [
        ["1", "row", "DUPLICATE"],
        ["2", "row", "DUPLICATE"],
    ]
    assert report[0].split("|")[3].startswith("likely the same as a record you cannot see (")
    assert "SAME_CREDIT_CODE" in report[0]
    assert report[1].split("|")[3].startswith("likely the same as public-co (score 1.00: ")
    assert "hidden-co" not in "".join(report)
    # An administrator sees every record: its report names both.
    _, report = _run(
        neo4j_server, transfer.mapped_rows(mapping, path, "csv"), tmp_path / "r.csv", dry=True
    )
    assert report[0].split("|")[3].startswith("likely the same as hidden-co (score 1.00: ")


def test_a_reps_import_matches_no_value_the_rep_sees_masked(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """A SALES key sees a person's mobile and ID number masked. Were its rows compared on
    them, a file of guesses would tell it the one right value (the row held as a duplicate).
    An administrator's import still compares them; so does the scan."""
    known = {"kind": "node", "label": "Person", "id": "known-1", "customer": None,
             "fields": {"name": "钟意", "mobile": "13622223333", "idType": "RESIDENT_ID",
                        "idNumber": "11010519491231002X"}}  # fmt: skip
    out, _ = _run(neo4j_server, transfer.graph_rows(iter([(1, known)])), tmp_path / "a.csv")
    assert out.created == 1
    guesses = [
        {"kind": "node", "label": "Person", "id": "guess-id", "customer": None,
         "fields": {"name": "猜测甲", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X"}},
        {"kind": "node", "label": "Person", "id": "guess-mobile", "customer": None,
         "fields": {"name": "钟意", "mobile": "13622223333"}},
    ]  # fmt: skip
    rep = Actor("u-rep", frozenset({"SALES"}), Scope(users=("u-rep",), principals=("u-rep",)))

    def held(actor: Actor) -> list[str]:
        rows = transfer.graph_rows(iter(enumerate(guesses, start=1)))
        out, report = _run(neo4j_server, rows, tmp_path / "r.csv", dry=True, actor=actor)
        assert out.rows == 2
        return [line.split("|")[3] for line in report]

    assert held(rep) == []
    admin = held(AUDIT.actor)
    assert len(admin) == 2
    assert "SAME_ID_NUMBER" in admin[0]
    assert "SAME_PHONE" in admin[1]


def test_a_row_updating_its_own_record_is_never_held_as_a_duplicate(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """Two rows whose records exist, each resembling another company: ERP-00001's record was
    created by hand with its external key (its id is not the one the import derives), and
    an export's line updates c-own to the name and credit code of other-2."""
    cypher.execute_query(
        "CREATE (:Company:Customer {id: 'own-1', externalSource: 'demo-erp', "
        "externalId: 'ERP-00001', name: '杭州智联恒通科技有限公司', "
        "unifiedSocialCreditCode: '913613593AENB8C8BF', version: 1}) "
        "CREATE (:Company {id: 'other-1', name: '杭州智联恒通科技有限公司', "
        "unifiedSocialCreditCode: '913613593AENB8C8BF', version: 1}) "
        "CREATE (:Company {id: 'c-own', name: '旧名称有限公司', version: 1}) "
        "CREATE (:Company {id: 'other-2', name: '杭州长城启明物流有限公司', "
        "unifiedSocialCreditCode: '916234052EJRBEJAXE', version: 1})"
    )
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "companies.csv"
    path.write_text("".join(lines[:2]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    out, report = _run(neo4j_server, transfer.mapped_rows(mapping, path, "csv"), tmp_path / "a")
    assert (report, out.created, out.updated) == ([], 0, 1)
    line = {
        "kind": "node", "label": "Company", "id": "c-own", "customer": None,
        "fields": {"name": "杭州长城启明物流有限公司",
                   "unifiedSocialCreditCode": "916234052EJRBEJAXE"},
    }  # fmt: skip
    out, report = _run(neo4j_server, transfer.graph_rows(iter([(1, line)])), tmp_path / "b")
    assert (report, out.created, out.updated) == ([], 0, 1)
    assert cypher.execute_query("MATCH (c:Company) RETURN count(c) AS n").records[0]["n"] == 4


@pytest.mark.parametrize("batch", [1, 50])
def test_an_import_may_not_close_a_loop_in_the_hierarchy(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path, batch: int
) -> None:
    """As linkNodes refuses it, row after row: the last row on a loop is refused (CYCLE),
    whether the loop's rows share a batch or not, and a dated row on any day of its span."""
    (tmp_path / "c.csv").write_text(
        "编号,名称\n1,华星集团\n2,华星控股\n3,华星科技\n4,远航物流\n5,远航仓储\n",
        encoding="utf-8",
    )
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    nodes = transfer.load_mapping(tmp_path / "m.toml", None)
    assert run_import(neo4j_server, nodes, tmp_path / "c.csv", tmp_path / "nodes.csv")
    (tmp_path / "e.csv").write_text(
        "编号,子,母,起,止\n"
        "s1,2,1,,\n"
        "s2,3,2,,\n"
        "s3,1,3,,\n"  # 1 under its own grandchild: a loop today
        "s4,5,4,,\n"
        "s5,4,5,2000-01-01,2001-01-01\n"  # ended, but s4 (no since) held in 2000
        "s6,1,4,2000-01-01,2001-01-01\n"  # history that closes nothing
        "s7,4,2,2026-01-01,\n",
        encoding="utf-8",
    )
    (tmp_path / "e.toml").write_text(
        'type = "SUBSIDIARY_OF"\nsource = "erp"\nid = "编号"\nfrom = "子"\nto = "母"\n'
        '[fields]\nsince = "起"\nuntil = "止"\n',
        encoding="utf-8",
    )
    edges = transfer.load_mapping(tmp_path / "e.toml", None)
    report = tmp_path / "rejected.csv"
    out = run_import(neo4j_server, edges, tmp_path / "e.csv", report, batch=batch)
    assert out is not None
    assert (out.rows, out.created, out.rejected) == (7, 5, 2)
    with report.open(encoding="utf-8", newline="") as f:
        assert [row[:3] for row in list(csv.reader(f))[1:]] == [
            ["3", "to", "CYCLE"],
            ["5", "to", "CYCLE"],
        ]
    stored = cypher.execute_query(
        "MATCH (a)-[:SUBSIDIARY_OF]->(b) RETURN a.externalId + '>' + b.externalId AS e ORDER BY e"
    ).records
    assert [r["e"] for r in stored] == ["1>4", "2>1", "3>2", "4>2", "5>4"]


PLACES = [
    "东方",
    "西山",
    "南湖",
    "北岭",
    "中原",
    "青云",
    "白鹭",
    "金沙",
    "银河",
    "翠竹",
    "红枫",
    "紫荆",
    "黄鹤",
    "蓝湾",
]


def test_a_batch_of_many_loops_refuses_the_rows_left_on_one_after_five_rounds(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """Seven two-company loops in one batch: rounds one to four refuse the last row on a loop
    (rows 14, 12, 10 and 8); the fifth refuses every row still on one (rows 1 to 6), as the
    README says, so the batch is written at most six times."""
    (tmp_path / "c.csv").write_text(
        "编号,名称\n" + "".join(f"{i},{w}实业\n" for i, w in enumerate(PLACES, 1)), encoding="utf-8"
    )
    (tmp_path / "m.toml").write_text(COMPANIES_TOML, encoding="utf-8")
    nodes = transfer.load_mapping(tmp_path / "m.toml", None)
    assert run_import(neo4j_server, nodes, tmp_path / "c.csv", tmp_path / "nodes.csv")
    pairs = [(2 * k - 1, 2 * k) for k in range(1, 8)]
    rows = "".join(f"s{2 * k - 1},{a},{b}\ns{2 * k},{b},{a}\n" for k, (a, b) in enumerate(pairs, 1))
    (tmp_path / "e.csv").write_text("编号,子,母\n" + rows, encoding="utf-8")
    (tmp_path / "e.toml").write_text(
        'type = "SUBSIDIARY_OF"\nsource = "erp"\nid = "编号"\nfrom = "子"\nto = "母"\n',
        encoding="utf-8",
    )
    edges = transfer.load_mapping(tmp_path / "e.toml", None)
    report = tmp_path / "rejected.csv"
    out = run_import(neo4j_server, edges, tmp_path / "e.csv", report, batch=50)
    assert out is not None
    assert (out.rows, out.created, out.rejected) == (14, 4, 10)
    with report.open(encoding="utf-8", newline="") as f:
        assert [(row[0], row[2]) for row in list(csv.reader(f))[1:]] == [
            (str(n), "CYCLE") for n in (1, 2, 3, 4, 5, 6, 8, 10, 12, 14)
        ]
    stored = cypher.execute_query(
        "MATCH (a)-[:SUBSIDIARY_OF]->(b) RETURN a.externalId + '>' + b.externalId AS e ORDER BY e"
    ).records
    assert [r["e"] for r in stored] == ["11>12", "13>14", "7>8", "9>10"]


def test_an_imported_change_of_a_verified_channel_unverifies_it(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """As through updateCompany: a check was about the old value. The same value keeps it."""
    cypher.execute_query(
        "CREATE (:Company {id: 'v-1', name: '核验有限公司', address: '旧地址 1 号', "
        "phone: '+861088888888', addressStatus: 'VERIFIED', addressStatusAt: datetime(), "
        "addressStatusBy: 'u', addressStatusMethod: 'VISIT', phoneStatus: 'VERIFIED', "
        "phoneStatusAt: datetime(), phoneStatusBy: 'u', phoneStatusMethod: 'CALL', version: 1})"
    )
    line = {
        "kind": "node", "label": "Company", "id": "v-1", "customer": None,
        "fields": {"name": "核验有限公司", "address": "新地址 2 号", "phone": "010-88888888"},
    }  # fmt: skip
    out, report = _run(neo4j_server, transfer.graph_rows(iter([(1, line)])), tmp_path / "r")
    assert (report, out.updated) == ([], 1)
    row = cypher.execute_query(
        "MATCH (c:Company {id: 'v-1'}) RETURN c.address AS address, "
        "c.addressStatus AS a, c.addressStatusAt IS NULL AS aGone, c.phoneStatus AS p"
    ).records[0]
    assert (row["address"], row["a"], row["aGone"]) == ("新地址 2 号", None, True)
    assert row["p"] == "VERIFIED"  # the same number, written another way


@pytest.mark.parametrize("batch", [1, 50])
def test_a_company_written_twice_in_one_file_is_held_whatever_the_batch(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path, batch: int
) -> None:
    """One company under two spellings (region prefix, another phone format): created once,
    the second row held back, whether the rows share a batch or not."""
    lines = [
        {"kind": "node", "label": "Company", "id": "hn-1", "customer": None,
         "fields": {"name": "华南精工机械有限公司", "phone": "0755-86001234"}},
        {"kind": "node", "label": "Company", "id": "hn-2", "customer": None,
         "fields": {"name": "深圳市华南精工机械有限公司", "phone": "+86 755 8600 1234"}},
        {"kind": "node", "label": "Company", "id": "other", "customer": None,
         "fields": {"name": "华北重工有限公司", "phone": "010-66001234"}},
    ]  # fmt: skip
    rows = transfer.graph_rows(iter(enumerate(lines, start=1)))
    out, report = _run(neo4j_server, rows, tmp_path / "r", batch=batch)
    assert (out.created, out.duplicates) == (2, 1)
    [held] = report
    assert held.startswith("2|row|DUPLICATE|likely the same as ")
    assert _count(cypher) == 2


def test_a_row_whose_key_is_written_meanwhile_is_not_held_as_its_own_duplicate(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API creates the row's own record (its key, the same credit code) just after the
    import looked for the key: the duplicate check then finds that record. The row updates
    it, as a row whose key is in the CRM always does, and is not held."""
    from graph import transfer as graph_transfer

    real = graph_transfer.existing
    looks: list[int] = []

    async def meanwhile(db: Database, *args: object) -> set[int]:
        found = await real(db, *args)  # type: ignore[arg-type]
        looks.append(len(found))
        if len(looks) == 1:
            cypher.execute_query(
                "CREATE (:Company:Customer {id: 'api-made', externalSource: 'demo-erp', "
                "externalId: 'ERP-00001', name: '杭州智联恒通科技有限公司', "
                "unifiedSocialCreditCode: '913613593AENB8C8BF', version: 1})"
            )
        return found

    monkeypatch.setattr(graph_transfer, "existing", meanwhile)
    lines = (EXAMPLES / "companies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "companies.csv"
    path.write_text("".join(lines[:2]), encoding="utf-8")
    mapping = transfer.load_mapping(EXAMPLES / "companies.toml", None)
    rows = transfer.mapped_rows(mapping, path, "csv")
    out, report = _run(neo4j_server, rows, tmp_path / "r.csv")
    assert looks[0] == 0  # the first look did not see the key
    assert report == []
    assert out.duplicates == 0
    stored = cypher.execute_query(
        "MATCH (c:Company {externalSource: 'demo-erp', externalId: 'ERP-00001'}) "
        "RETURN c.id AS id, c.phone AS phone"
    ).records
    assert [(r["id"], r["phone"]) for r in stored] == [("api-made", "+8657160283210")]


@pytest.mark.parametrize("batch", [1, 50])
def test_an_exported_branch_is_not_held_as_a_duplicate_of_its_parent(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path, batch: int
) -> None:
    """An export into an empty database: the branch, named as its parent is and linked to
    it by the file's SUBSIDIARY_OF edge (after the nodes), is created with its edge, as the
    scan never pairs the two. An unlinked twin in the same file is still held."""
    node = {"kind": "node", "label": "Company", "customer": None}
    lines = [
        {**node, "id": "hx", "fields": {"name": "华星智能制造有限公司"}},
        {**node, "id": "hx-wh", "fields": {"name": "华星智能制造有限公司武汉分公司"}},
        {**node, "id": "hx-sz", "fields": {"name": "华星智能制造有限公司深圳分公司"}},
        {"kind": "edge", "type": "SUBSIDIARY_OF", "id": "e1", "from": "hx-wh",
         "fromLabel": "Company", "to": "hx", "toLabel": "Company",
         "fields": {"kind": "BRANCH"}},
        # Ended: the two were linked once, not now.
        {"kind": "edge", "type": "SUBSIDIARY_OF", "id": "e2", "from": "hx-sz",
         "fromLabel": "Company", "to": "hx", "toLabel": "Company",
         "fields": {"kind": "BRANCH", "since": "2020-01-01", "until": "2021-01-01"}},
    ]  # fmt: skip
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    linked = fmt.linked_branches(path, "jsonl")
    assert linked == {frozenset({"hx", "hx-wh"})}
    rows = transfer.graph_rows(fmt.read_jsonl(path))
    out, report = _run(neo4j_server, rows, tmp_path / "r.csv", batch=batch, linked=linked)
    assert [line.split("|")[:3] for line in report] == [
        ["3", "row", "DUPLICATE"],
        ["5", "from", "NOT_FOUND"],
    ]
    assert (out.created, out.duplicates) == (3, 1)  # two companies and the branch's edge
    branch = cypher.execute_query(
        "MATCH (:Company {id: 'hx-wh'})-[r:SUBSIDIARY_OF]->(:Company {id: 'hx'}) RETURN r.kind AS k"
    ).records
    assert [r["k"] for r in branch] == ["BRANCH"]


def test_an_edge_id_another_relationship_holds_is_refused(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """An id names one relationship: a line may not reuse one of another type (tester AT's
    SUPPLIES line took a hidden WORKS_AT's id) or between other ends."""
    cypher.execute_query(
        "CREATE (a:Company {id: 'mv-a', name: '甲', version: 1}), "
        "(b:Company {id: 'mv-b', name: '乙', version: 1}), "
        "(c:Company {id: 'mv-c', name: '丙', version: 1}), "
        "(p:Person {id: 'mv-p', name: '张伟', version: 1}), "
        "(p)-[:WORKS_AT {id: 'mv-job', version: 1}]->(a), "
        "(a)-[:SUPPLIES {id: 'mv-sup', version: 1}]->(b)"
    )
    edge = {"kind": "edge", "type": "SUPPLIES", "fromLabel": "Company", "toLabel": "Company",
            "fields": {}}  # fmt: skip
    lines = [
        {**edge, "id": "mv-job", "from": "mv-b", "to": "mv-c"},
        {**edge, "id": "mv-sup", "from": "mv-a", "to": "mv-c"},
        {**edge, "id": "mv-new", "from": "mv-b", "to": "mv-c"},
    ]
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    rows = transfer.graph_rows(fmt.read_jsonl(path))
    out, report = _run(neo4j_server, rows, tmp_path / "r.csv")
    assert [line.split("|")[:3] for line in report] == [
        ["1", "id", "VALIDATION"],
        ["2", "id", "VALIDATION"],
    ]
    assert out.created == 1
    held = cypher.execute_query("MATCH ()-[r {id: 'mv-job'}]->() RETURN type(r) AS t").records
    assert [r["t"] for r in held] == ["WORKS_AT"]


def test_a_stop_drops_the_rows_read_ahead_and_writes_the_batch_in_hand(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """Rows are read a batch ahead of the writes; a cancel must not write that batch too (a
    fast JSONL file was read whole before the cancel, and every row was imported)."""
    lines = [
        {"kind": "node", "label": "Company", "id": f"stop-{i}", "customer": None,
         "fields": {"name": f"停止测试{i:02d}号有限公司", "phone": f"010-6600{i:04d}"}}
        for i in range(30)
    ]  # fmt: skip
    seen = [0]

    def advance(n: int) -> None:
        seen[0] += n

    rows = transfer.graph_rows(iter(enumerate(lines, start=1)))
    out, report = _run(neo4j_server, rows, tmp_path / "r.csv", batch=10,
                       stop=lambda: seen[0] >= 10, advance=advance)  # fmt: skip
    assert report == []
    assert (out.rows, out.created) == (10, 10)
    assert _count(cypher) == 10


def test_a_row_giving_one_line_equal_to_the_stored_other_is_rejected(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """As updateCompany: a row's phone alone may not be the stored fax, nor its fax alone the
    stored phone; in a dry run too, and nothing of a rejected row is written."""
    cypher.execute_query(
        "CREATE (:Company {id: 'l1', externalSource: 's', externalId: 'L1', name: '甲传真公司', "
        "fax: '+861088888888', version: 1}) "
        "CREATE (:Company {id: 'l2', externalSource: 's', externalId: 'L2', name: '乙传真公司', "
        "phone: '+861088888889', version: 1}) "
        "CREATE (:Company {id: 'l3', externalSource: 's', externalId: 'L3', name: '丙传真公司', "
        "fax: '+861000000000', version: 1})"
    )
    (tmp_path / "c.csv").write_text(
        "编号,名称,电话,传真\n"
        "L1,甲传真公司,010-88888888,\n"
        "L2,乙传真公司,,010 8888 8889\n"
        "L3,丙传真公司,010-88888888,\n"
        "L4,丁传真公司,010-88888888,\n",
        encoding="utf-8",
    )
    (tmp_path / "c.toml").write_text(
        'label = "Company"\nsource = "s"\nid = "编号"\n'
        '[fields]\nname = "名称"\nphone = "电话"\nfax = "传真"\n',
        encoding="utf-8",
    )
    mapping = transfer.load_mapping(tmp_path / "c.toml", None)
    expected = [
        "1|phone|VALIDATION|is the fax number; give one someone answers",
        "2|fax|VALIDATION|is the phone number; a fax is another line",
    ]
    for dry in (True, False):
        rows = transfer.mapped_rows(mapping, tmp_path / "c.csv", "csv")
        out, report = _run(neo4j_server, rows, tmp_path / f"r{dry}.csv", dry=dry)
        assert (report, out.rejected) == (expected, 2)
    stored = cypher.execute_query(
        "MATCH (c:Company) WHERE c.externalSource = 's' "
        "RETURN c.externalId AS id, c.phone AS phone, c.fax AS fax, c.version AS version "
        "ORDER BY id"
    ).records
    assert [tuple(r.values()) for r in stored] == [
        ("L1", None, "+861088888888", 1),
        ("L2", "+861088888889", None, 1),
        ("L3", "+861088888888", "+861000000000", 2),
        ("L4", "+861088888888", None, 1),
    ]


def _edge_line(rel: str, ident: str, src: str, a: str, dst: str, b: str) -> dict[str, Any]:
    return {"kind": "edge", "type": rel, "id": ident, "from": src, "fromLabel": a,
            "to": dst, "toLabel": b, "fields": {}}  # fmt: skip


def test_an_admins_dry_run_refuses_the_edges_the_import_will(
    neo4j_server: LocalNeo4j, cypher: Driver, tmp_path: Path
) -> None:
    """A dry run answered every edge row valid, then the import refused a missing end or a
    loop: the dry run now finds each end among the file's earlier nodes or stored, and
    reports what the import reports, row for row."""
    cypher.execute_query("CREATE (:Company {id: 'dr-stored', name: '已存公司', version: 1})")
    lines = [
        {"kind": "node", "label": "Company", "id": "dr-c1", "customer": None,
         "fields": {"name": "新公司甲"}},
        {"kind": "node", "label": "Person", "id": "dr-p1", "customer": None,
         "fields": {"name": "张三"}},
        _edge_line("WORKS_AT", "dr-e1", "dr-p1", "Person", "dr-c1", "Company"),  # the file's
        _edge_line("WORKS_AT", "dr-e2", "dr-p1", "Person", "dr-stored", "Company"),  # stored
        _edge_line("WORKS_AT", "dr-e3", "dr-p1", "Person", "dr-nope", "Company"),
        _edge_line("SUBSIDIARY_OF", "dr-e4", "dr-c1", "Company", "dr-c1", "Company"),
        _edge_line("SUPPLIES", "dr-e5", "dr-ghost", "Company", "dr-stored", "Company"),
    ]  # fmt: skip
    expected = [
        "5|to|NOT_FOUND|no node with this id (to end); import the nodes first",
        "6|to|VALIDATION|an edge cannot join a node to itself",
        "7|from|NOT_FOUND|no node with this id (from end); import the nodes first",
    ]
    rows = list(transfer.graph_rows(iter(enumerate(lines, 1))))
    dry, dry_report = _run(neo4j_server, iter(rows), tmp_path / "dry.csv", dry=True)
    assert dry_report == expected
    assert (dry.rows, dry.created, dry.rejected) == (7, 0, 3)
    out, report = _run(neo4j_server, iter(rows), tmp_path / "real.csv")
    assert report == expected
    assert (out.created, out.rejected) == (4, 3)
