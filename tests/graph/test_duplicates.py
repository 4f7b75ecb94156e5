"""graph/duplicates.py on a real Neo4j: the scan stores candidates by pair, keeps dismissed
pairs dismissed, drops merged and stale ones; likely_duplicates reads without writing; a
merge dry run shows what would move and changes nothing."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import pytest

import migrations
from graph import access, duplicates, merge
from graph.actor import Actor
from graph.db import Database
from graph.migrate import split_statements
from graph.nodes import Audit
from graph.server import LocalNeo4j
from graph.vocab import Label
from neo4j import Driver
from tests.graph.reading import run

T = TypeVar("T")
NS = uuid.UUID("9d0c7f1e-4b2a-4c8e-a1f3-6e5d4c3b2a10")
# The namespace older code made candidate ids from: uuid5(LEGACY_NS, "Company:<a>:<b>").
LEGACY_NS = uuid.UUID("3b7f0c52-9a1e-4d6b-8c2f-1e5d7a9b4c30")
ADMIN = Actor("test:admin", frozenset({"ADMIN"}), access.Scope.everything())


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


COMPANIES = [
    # (key, name, credit code, phone)
    ("hw", "华为技术有限公司", "91440300708461393Q", None),
    ("hw_bj", "华为技术有限公司北京分公司", None, None),  # same core: a candidate
    ("hw_code", "深圳市华为", "91440300708461393Q", None),  # same code: a candidate of hw only
    ("zte", "中兴通讯股份有限公司", None, "+8675526770000"),
    ("zte_tel", "中兴通讯", None, "0755-2677 0000"),  # same phone and core
    ("other", "瑞达物流有限公司", None, None),  # nothing shared
]
PEOPLE = [
    # (key, name, mobile, email, employer key)
    ("zw", "张伟", "+8613800138000", None, "hw"),
    ("zw_py", "Zhang Wei", None, None, "hw"),  # pinyin at the same company
    ("zw_tel", "张 伟", "138 0013 8000", None, None),  # same mobile, spaced name
    ("lf", "李芳", None, "lf@example.cn", "zte"),
    ("lf_mail", "李芳", None, "LF@Example.CN", None),  # same e-mail
    ("lw", "李伟", None, None, "hw"),  # a colleague: different pinyin
]


@pytest.fixture
def data(cypher: Driver) -> dict[str, str]:
    ids = {key: fid(key) for key, *_ in COMPANIES + PEOPLE}
    cypher.execute_query(
        "UNWIND $companies AS c CREATE (:Company {id: c.id, name: c.name, version: 1, "
        "unifiedSocialCreditCode: c.code, phone: c.phone, createdAt: datetime(), "
        "updatedAt: datetime()}) "
        "WITH count(*) AS _ UNWIND $people AS p "
        "CREATE (n:Person {id: p.id, name: p.name, mobile: p.mobile, email: p.email, version: 1, "
        "createdAt: datetime(), updatedAt: datetime()}) "
        "WITH n, p MATCH (c:Company {id: p.employer}) "
        "CREATE (n)-[:WORKS_AT {id: randomUUID(), version: 1}]->(c)",
        companies=[
            {"id": ids[k], "name": n, "code": code, "phone": tel} for k, n, code, tel in COMPANIES
        ],
        people=[
            {"id": ids[k], "name": n, "mobile": m, "email": e, "employer": ids.get(w or "")}
            for k, n, m, e, w in PEOPLE
        ],
        database_="neo4j",
    )
    return ids


def pair(ids: dict[str, str], a: str, b: str) -> tuple[str, str]:
    x, y = sorted((ids[a], ids[b]))
    return (x, y)


def stored(cypher: Driver) -> dict[tuple[str, str], dict[str, Any]]:
    rows = cypher.execute_query(
        "MATCH (d:DuplicateCandidate) RETURN d{.*} AS d", database_="neo4j"
    ).records
    return {(r["d"]["a"], r["d"]["b"]): r["d"] for r in rows}


def scan_both(server: LocalNeo4j) -> list[duplicates.ScanRow]:
    audit = Audit(ADMIN, "duplicates.scan", "test")

    async def work(db: Database) -> list[duplicates.ScanRow]:
        return [await duplicates.scan(db, label, audit) for label in duplicates.LABELS]

    return run(server, work)


def test_scan_stores_the_planted_pairs_and_only_them(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    company, person = scan_both(neo4j_server)
    expected = {
        pair(data, "hw", "hw_bj"),
        pair(data, "hw", "hw_code"),
        pair(data, "zte", "zte_tel"),
        pair(data, "zw", "zw_py"),
        pair(data, "zw", "zw_tel"),
        pair(data, "lf", "lf_mail"),
    }
    found = stored(cypher)
    assert set(found) == expected
    assert (company["records"], company["candidates"]) == (6, 3)
    assert (person["records"], person["candidates"]) == (6, 3)
    code = found[pair(data, "hw", "hw_code")]
    assert code["reasons"] == ["SAME_CREDIT_CODE", "NAME_EQUAL"]  # 华为技术 / 华为: trade names
    assert code["status"] == "OPEN"
    assert found[pair(data, "zte", "zte_tel")]["reasons"] == ["SAME_PHONE", "NAME_EQUAL"]
    assert found[pair(data, "zw", "zw_py")]["reasons"] == ["SAME_COMPANY", "PINYIN_EQUAL"]
    assert found[pair(data, "lf", "lf_mail")]["reasons"] == ["SAME_EMAIL", "NAME_EQUAL"]
    # The audit names the scan, no personal values.
    audits = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'duplicates.scan'}) RETURN a.fields AS f", database_="neo4j"
    ).records
    assert [r["f"] for r in audits] == [[], []]


def test_rescan_keeps_dismissed_drops_merged_and_stale(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    scan_both(neo4j_server)
    before = stored(cypher)
    dismissed = before[pair(data, "zte", "zte_tel")]["id"]
    audit = Audit(ADMIN, "duplicates.dismiss", "test")
    assert run(neo4j_server, lambda db: duplicates.dismiss(db, dismissed, audit)) is None
    # The merge of one pair removes every candidate naming the merged record at once.
    merged = run(
        neo4j_server,
        lambda db: merge.merge(
            db, Label.COMPANY, data["hw"], [data["hw_bj"]], {}, Audit(ADMIN, "x", "test")
        ),
    )
    assert merged.refusal is None
    assert pair(data, "hw", "hw_bj") not in stored(cypher)
    # Data changes: the e-mail pair no longer shares anything.
    cypher.execute_query(
        "MATCH (p:Person {id: $id}) SET p.email = 'other@example.cn'",
        id=data["lf_mail"],
        database_="neo4j",
    )
    company, person = scan_both(neo4j_server)
    after = stored(cypher)
    assert after[pair(data, "zte", "zte_tel")]["status"] == "DISMISSED"
    assert after[pair(data, "zte", "zte_tel")]["id"] == dismissed
    assert pair(data, "hw", "hw_bj") not in after
    assert pair(data, "lf", "lf_mail") not in after
    assert pair(data, "hw", "hw_code") in after
    assert (company["candidates"], company["dismissed"], company["open"]) == (2, 1, 1)
    assert person["removed"] == 1


# 3: the rows go in two statements, and a row of the second is still reported by its index.
@pytest.mark.parametrize("batch", [duplicates.PROBE_BATCH, 3])
def test_likely_duplicates_flags_incoming_rows_without_writing(
    neo4j_server: LocalNeo4j,
    cypher: Driver,
    data: dict[str, str],
    batch: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(duplicates, "PROBE_BATCH", batch)
    count = "MATCH (n) RETURN count(n) AS n"
    nodes_before = cypher.execute_query(count, database_="neo4j").records[0]["n"]
    rows = [
        {"name": "北京华为技术股份有限公司"},  # 0: the name core
        {"name": "某某公司", "unifiedSocialCreditCode": "91440300708461393Q"},  # 1: the code
        {"name": "瑞丰贸易有限公司"},  # 2: new
        {"name": "中兴通讯（深圳）有限公司", "phone": "+86 755 2677 0000"},  # 3: phone and core
    ]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.COMPANY, rows))
    by_row: dict[int, set[str]] = {}
    for h in hits:
        by_row.setdefault(h["row"], set()).add(h["existingId"])
    assert by_row[0] == {data["hw"], data["hw_bj"]}
    assert by_row[1] == {data["hw"], data["hw_code"]}
    assert 2 not in by_row
    assert by_row[3] == {data["zte"], data["zte_tel"]}
    code_hit = next(h for h in hits if h["row"] == 1 and h["existingId"] == data["hw"])
    assert code_hit["reasons"][0] == "SAME_CREDIT_CODE"
    people = [
        {"name": "Wei Zhang", "companies": [data["hw"]]},
        {"name": "王五", "mobile": "13800138000"},
        {"name": "王五", "mobile": "13900000000"},
    ]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.PERSON, people))
    assert {(h["row"], h["existingId"]) for h in hits} == {(0, data["zw"]), (0, data["zw_py"])}
    assert cypher.execute_query(count, database_="neo4j").records[0]["n"] == nodes_before


def test_an_exact_copy_is_flagged_whatever_its_brackets(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    # 昆山 is no region the normaliser strips, so this name's core (…有限公司昆山) is not
    # inside the stored name: only the name itself finds it.
    stored = "华星智能制造(苏州)有限公司昆山分公司"
    cypher.execute_query(
        "CREATE (:Company {id: 'exact-copy', name: $name, version: 1})",
        name=stored,
        database_="neo4j",
    )
    rows = [{"name": stored}, {"name": "华星智能制造（苏州）有限公司昆山分公司"}]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.COMPANY, rows))
    assert {(h["row"], h["existingId"]) for h in hits} >= {(0, "exact-copy"), (1, "exact-copy")}


def test_a_name_with_a_character_the_core_converts_is_flagged(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    # The comparable core turns 乾 into 干: looked for in the stored name as written, it
    # was never found (a tester's import created 5 such pairs that a scan then paired).
    cypher.execute_query(
        "CREATE (:Company {id: 'qian', name: '兰州方泰通乾化工有限责任公司', version: 1})",
        database_="neo4j",
    )
    rows = [{"name": "兰州方泰通乾化工股份有限公司"}]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.COMPANY, rows))
    assert [(h["row"], h["existingId"]) for h in hits] == [(0, "qian")]


def test_a_name_whose_latin_letters_differ_in_case_or_width_is_flagged(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    # The core is folded (ABC → abc) and stored names are not: a tester's re-run import
    # created 上海瑄屹璟科技ＡＢＣ有限公司 beside its stored half-width twin.
    cypher.execute_query(
        "CREATE (:Company {id: 'abc', name: '上海瑄屹璟科技ABC有限公司', version: 1})",
        database_="neo4j",
    )
    rows = [
        {"name": "上海瑄屹璟科技ａｂｃ有限公司"},
        {"name": "上海瑄屹璟科技abc有限公司"},
        {"name": "上海瑄屹璟科技ABC股份有限公司"},
    ]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.COMPANY, rows))
    assert sorted((h["row"], h["existingId"]) for h in hits) == [(0, "abc"), (1, "abc"), (2, "abc")]


def test_a_simplified_name_finds_its_stored_traditional_twin(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    # Tester BA: 东方华瑞机械有限公司 was created beside the stored 東方華瑞機械有限公司 (the
    # core is simplified and found nothing in the traditional name); a scan then paired them.
    cypher.execute_query(
        "CREATE (:Company {id: 'trad', name: '東方華瑞機械有限公司', version: 1})",
        database_="neo4j",
    )
    rows = [{"name": "东方华瑞机械有限公司"}, {"name": "东方华瑞机械股份有限公司"}]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.COMPANY, rows))
    assert sorted((h["row"], h["existingId"]) for h in hits) == [(0, "trad"), (1, "trad")]


def test_an_incoming_person_with_a_stored_id_number_is_flagged(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    cypher.execute_query(
        "CREATE (:Person {id: 'same-idn', name: '赵敏', idNumberDigest: 'digest-1', version: 1})",
        database_="neo4j",
    )
    rows = [{"name": "赵 敏", "mobile": "13700137000", "idNumberDigest": "digest-1"}]
    hits = run(neo4j_server, lambda db: duplicates.likely_duplicates(db, Label.PERSON, rows))
    assert [(h["existingId"], h["reasons"][0]) for h in hits] == [("same-idn", "SAME_ID_NUMBER")]


def test_merge_dry_run_shows_what_would_move_and_changes_nothing(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    snapshot = (
        "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) "
        "RETURN collect(DISTINCT n{.*}) AS nodes, collect([n.id, type(r), m.id]) AS edges"
    )
    before = cypher.execute_query(snapshot, database_="neo4j").records[0]
    out = run(
        neo4j_server,
        lambda db: merge.merge(
            db,
            Label.COMPANY,
            data["hw"],
            [data["zte"]],
            {},
            Audit(ADMIN, "company.merge", "test"),
            dry_run=True,
        ),
    )
    assert out.dry_run
    assert out.refusal is None
    assert out.moved == 1
    assert out.moved_by_type == {"WORKS_AT": 1}  # 李芳 would follow to the survivor
    assert out.copied == ("phone",)
    assert out.node is not None
    assert out.node["phone"] == "+8675526770000"  # the survivor as it would be
    after = cypher.execute_query(snapshot, database_="neo4j").records[0]
    assert sorted(map(str, after["nodes"])) == sorted(map(str, before["nodes"]))
    assert sorted(map(str, after["edges"])) == sorted(map(str, before["edges"]))


def legacy_id(d: dict[str, Any]) -> str:
    return str(uuid.uuid5(LEGACY_NS, f"{d['label']}:{d['a']}:{d['b']}"))


def ids(cypher: Driver) -> dict[tuple[str, str], str]:
    return {pair: d["id"] for pair, d in stored(cypher).items()}


def listed(server: LocalNeo4j, label: Label, status: str) -> list[str]:
    rows, _ = run(
        server, lambda db: duplicates.page(db, ADMIN, label, status, 100, None, False, [])
    )
    return [r["id"] for r in rows]


def test_candidate_ids_are_random_and_kept_by_rescans(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    """A candidate's id says nothing of its records: a viewer who sees one side cannot try
    ids of the other through a formula. A rescan keeps it; a pair stored afresh gets another."""
    scan_both(neo4j_server)
    first = stored(cypher)
    assert len(first) == 6
    for d in first.values():
        assert uuid.UUID(d["id"]).version == 4
        assert d["id"] != legacy_id(d)
    scan_both(neo4j_server)
    assert ids(cypher) == {pair: d["id"] for pair, d in first.items()}
    cypher.execute_query("MATCH (d:DuplicateCandidate) DETACH DELETE d", database_="neo4j")
    scan_both(neo4j_server)
    again = ids(cypher)
    assert set(again) == set(first)
    assert all(again[pair] != d["id"] for pair, d in first.items())


def test_ids_made_by_older_code_are_replaced_by_the_upgrade(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    scan_both(neo4j_server)
    zte = stored(cypher)[pair(data, "zte", "zte_tel")]
    old = legacy_id(zte)
    cypher.execute_query(
        "MATCH (d:DuplicateCandidate {id: $id}) SET d.id = $old, d.status = 'DISMISSED'",
        id=zte["id"],
        old=old,
        database_="neo4j",
    )
    upgrade = migrations.DIRECTORY / "V0017__random_duplicate_candidate_ids.cypher"
    for statement in split_statements(upgrade.read_text(encoding="utf-8")):
        cypher.execute_query(statement, database_="neo4j")
    now = stored(cypher)[pair(data, "zte", "zte_tel")]
    assert now["id"] != old
    assert uuid.UUID(now["id"]).version == 4
    assert now["status"] == "DISMISSED"  # the decision survives its new id
    company, _ = scan_both(neo4j_server)  # and the scan keeps both
    after = stored(cypher)[pair(data, "zte", "zte_tel")]
    assert (after["id"], after["status"]) == (now["id"], "DISMISSED")
    assert company["dismissed"] == 1
    assert listed(neo4j_server, Label.COMPANY, "DISMISSED") == [now["id"]]


def test_a_pair_stored_twice_is_kept_once_by_the_next_scan(
    neo4j_server: LocalNeo4j, cypher: Driver, data: dict[str, str]
) -> None:
    """Nothing but the scan makes a pair unique (two scans at one moment could both create
    it): the sweep keeps the dismissed one, else one of them."""
    scan_both(neo4j_server)
    zte = stored(cypher)[pair(data, "zte", "zte_tel")]
    cypher.execute_query(
        # Copies made from maps that never hold d's id: the id is unique in the store.
        "MATCH (d:DuplicateCandidate {id: $id}) SET d.status = 'DISMISSED' "
        "CREATE (e:DuplicateCandidate) SET e = d{.*, id: randomUUID(), status: 'OPEN'} "
        "CREATE (f:DuplicateCandidate) SET f = d{.*, id: randomUUID()}",
        id=zte["id"],
        database_="neo4j",
    )
    scan_both(neo4j_server)
    rows = cypher.execute_query(
        "MATCH (d:DuplicateCandidate {a: $a, b: $b}) RETURN d.id AS id, d.status AS status",
        a=zte["a"],
        b=zte["b"],
        database_="neo4j",
    ).records
    assert [r["status"] for r in rows] == ["DISMISSED"]


GROUP = [
    # (key, name, parent key, link ended): SUBSIDIARY_OF child -> parent
    ("hx", "华星智能制造有限公司", None, False),
    ("hx_wh", "华星智能制造有限公司武汉分公司", "hx", False),  # its own branch
    ("hx_sz", "华星智能制造（苏州）有限公司", "hx", False),  # its own subsidiary
    ("hx_hz", "华星智能制造有限公司杭州分公司", "hx", True),  # a branch no longer its own
    ("hx_2", "华星智能制造股份有限公司", None, False),  # the parent entered twice
]


def test_a_company_and_its_own_subsidiaries_are_not_duplicates(
    neo4j_server: LocalNeo4j, cypher: Driver
) -> None:
    gid = {key: fid(key) for key, *_ in GROUP}
    cypher.execute_query(
        "UNWIND $rows AS c CREATE (:Company {id: c.id, name: c.name, version: 1, "
        "createdAt: datetime(), updatedAt: datetime()}) "
        "WITH count(*) AS _ UNWIND $rows AS c MATCH (x:Company {id: c.id}), "
        "(p:Company {id: c.parent}) "
        "CREATE (x)-[:SUBSIDIARY_OF {id: randomUUID(), version: 1, "
        "until: CASE WHEN c.ended THEN date('2020-01-01') END}]->(p)",
        rows=[
            {"id": gid[k], "name": n, "parent": gid.get(p or ""), "ended": ended}
            for k, n, p, ended in GROUP
        ],
        database_="neo4j",
    )
    company, _ = scan_both(neo4j_server)
    found = {frozenset(p) for p in stored(cypher)}
    names = {gid[k]: k for k in gid}
    assert {frozenset(names[i] for i in p) for p in found} == {
        frozenset({"hx", "hx_2"}),  # one company twice
        frozenset({"hx", "hx_hz"}),  # the link has ended: a reviewer decides
        frozenset({"hx_2", "hx_wh"}),  # hx_2 is not linked to the branches
        frozenset({"hx_2", "hx_sz"}),
        frozenset({"hx_2", "hx_hz"}),
        # not hx/hx_wh, hx/hx_sz (linked), nor hx_wh/hx_sz/hx_hz among themselves (three
        # places: 武汉, 苏州, 杭州)
    }
    assert company["candidates"] == 5
    # A link made after a scan: the next scan removes the pair.
    cypher.execute_query(
        "MATCH (x:Company {id: $child}), (p:Company {id: $parent}) "
        "CREATE (x)-[:SUBSIDIARY_OF {id: randomUUID(), version: 1}]->(p)",
        child=gid["hx_2"],
        parent=gid["hx"],
        database_="neo4j",
    )
    company, _ = scan_both(neo4j_server)
    assert (company["candidates"], company["removed"]) == (4, 1)
    assert frozenset({gid["hx"], gid["hx_2"]}) not in {frozenset(p) for p in stored(cypher)}


def test_a_phone_too_common_to_block_on_is_no_evidence_either() -> None:
    """Fifty-two companies shared one switchboard (its block skipped), yet two of them found
    by their names were still scored SAME_PHONE."""
    from graph import matching

    switchboard = "+86 755 2878 0808"
    records = [
        matching.CompanyRecord(id=f"x{i:02}", name=f"深圳第{i}号贸易有限公司", phone=switchboard)
        for i in range(duplicates.MAX_BLOCK + 2)
    ]
    twins = [
        matching.CompanyRecord(id="t1", name="深圳华澜科技有限公司", phone=switchboard),
        matching.CompanyRecord(id="t2", name="深圳华澜科技股份有限公司", phone=switchboard),
    ]
    found = duplicates.candidate_pairs(Label.COMPANY, [*records, *twins])
    assert found["skippedBlocks"] == 1
    assert list(found["found"]) == [("t1", "t2")]
    assert "SAME_PHONE" not in found["found"][("t1", "t2")].reasons
    # The same two alone: their shared phone counts.
    alone = duplicates.candidate_pairs(Label.COMPANY, twins)
    assert "SAME_PHONE" in alone["found"][("t1", "t2")].reasons
