"""The duplicate review queue through the real app: who may scan, what each viewer sees of a
pair (masked and hidden sides), who may decide, the merge dry run and the real merge."""

from __future__ import annotations

import uuid
from typing import Any

from neo4j import Driver
from tests.conftest import GQL, PERSONAS

NS = uuid.UUID("5a1e3c7d-2b9f-4e6a-8d0c-7f4b2e1a9c35")
# The namespace older code made candidate ids from: uuid5(LEGACY_NS, "Company:<a>:<b>").
LEGACY_NS = uuid.UUID("3b7f0c52-9a1e-4d6b-8c2f-1e5d7a9b4c30")
OWNER = PERSONAS["owner"]["id"]  # SALES, EAST
OTHER = PERSONAS["other_team"]["id"]  # SALES, WEST

SCAN = """mutation($k: DuplicateKind) { scanDuplicates(input: {kind: $k}) {
  scans { label records candidates dismissed } errors { code } } }"""
QUEUE = """query($l: DuplicateKind!, $s: DuplicateStatus) {
  duplicateCandidates(label: $l, status: $s, first: 10) { totalCount edges { node {
    id kind score reasons status mayResolve
    a { id ... on Company { name } ... on Person { name mobile } }
    b { id ... on Company { name } ... on Person { name mobile } } } } } }"""
DISMISS = """mutation($id: ID!) { dismissDuplicate(input: {candidateId: $id}) {
  candidateId status errors { code field } } }"""
MERGE = """mutation($id: ID!, $s: ID!, $dry: Boolean!) {
  mergeDuplicate(input: {candidateId: $id, survivorId: $s, dryRun: $dry}) {
    survivor { id ... on Company { name phone } } mergedIds movedEdges
    movedByType { type count } collapsedByType { type count } copiedFields dryRun
    errors { code field } } }"""


def fid(name: str) -> str:
    return str(uuid.uuid5(NS, name))


EAST_CO = fid("east co")  # owned by the owner persona
WEST_CO = fid("west co")  # owned by other_team: the owner may not see it
EAST_TWIN = fid("east twin")  # also the owner's
ZW_EAST = fid("zw east")  # works at EAST_CO
ZW_WEST = fid("zw west")  # works at WEST_CO, same mobile


def build(cypher: Driver) -> None:
    # WEST's company is EAST's entered with another legal form: under two different cities
    # they would be two registrations, not a pair (graph/matching.py `places`).
    cypher.execute_query(
        "MATCH (o:User {id: $owner}), (w:User {id: $other}) "
        "CREATE (e:Company:Customer {id: $east, name: '北京华星科技有限公司', version: 1, "
        "phone: '+861062661234', createdAt: datetime(), updatedAt: datetime()}) "
        "CREATE (x:Company:Customer {id: $west, name: '华星科技股份有限公司', version: 1, "
        "createdAt: datetime(), updatedAt: datetime()}) "
        "CREATE (t:Company:Customer {id: $twin, name: '华星科技有限公司深圳分公司', version: 1, "
        "createdAt: datetime(), updatedAt: datetime()}) "
        "CREATE (o)-[:OWNS {id: randomUUID(), version: 1}]->(e) "
        "CREATE (o)-[:OWNS {id: randomUUID(), version: 1}]->(t) "
        "CREATE (w)-[:OWNS {id: randomUUID(), version: 1}]->(x) "
        "CREATE (pe:Person {id: $zwEast, name: '张伟', mobile: '+8613800138000', version: 1, "
        "createdAt: datetime(), updatedAt: datetime()})-[:WORKS_AT {id: randomUUID(), "
        "version: 1}]->(e) "
        "CREATE (pw:Person {id: $zwWest, name: 'Zhang Wei (West)', mobile: '+8613800138000', "
        "version: 1, createdAt: datetime(), updatedAt: datetime()})-[:WORKS_AT {id: "
        "randomUUID(), version: 1}]->(x)",
        owner=OWNER,
        other=OTHER,
        east=EAST_CO,
        west=WEST_CO,
        twin=EAST_TWIN,
        zwEast=ZW_EAST,
        zwWest=ZW_WEST,
        database_="neo4j",
    )


def queue(gql: GQL, label: str, status: str = "OPEN") -> tuple[int, list[dict[str, Any]]]:
    r = gql(QUEUE, {"l": label, "s": status}).data["duplicateCandidates"]
    return r["totalCount"], [e["node"] for e in r["edges"]]


def sides(node: dict[str, Any]) -> set[str | None]:
    return {(s or {}).get("id") for s in (node["a"], node["b"])}


def test_only_admins_scan(gql: GQL, cypher: Driver) -> None:
    build(cypher)
    refused = gql.as_("manager_above")(SCAN, {"k": "COMPANY"}).data["scanDuplicates"]
    assert refused["errors"] == [{"code": "FORBIDDEN"}]
    assert (
        cypher.execute_query(
            "MATCH (d:DuplicateCandidate) RETURN count(d) AS n", database_="neo4j"
        ).records[0]["n"]
        == 0
    )
    scans = gql(SCAN, {"k": None}).data["scanDuplicates"]["scans"]
    assert [(s["label"], s["records"], s["candidates"]) for s in scans] == [
        ("Company", 3, 3),
        ("Person", 2, 1),
    ]
    # Pages by score, then id: two, then the third after the cursor.
    _, every = queue(gql, "COMPANY")
    page = """query($after: String) { duplicateCandidates(label: COMPANY, first: 2,
      after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
    first = gql(page, {"after": None}).data["duplicateCandidates"]
    assert [e["node"]["id"] for e in first["edges"]] == [r["id"] for r in every[:2]]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = gql(page, {"after": first["pageInfo"]["endCursor"]}).data["duplicateCandidates"]
    assert [e["node"]["id"] for e in rest["edges"]] == [every[2]["id"]]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_erased_people_are_never_paired(gql: GQL, cypher: Driver) -> None:
    """Two people erased at one company: their placeholders (已删除个人 Erased person 1a2b...)
    scored 0.765 as SAME_COMPANY and PINYIN_EQUAL, above the threshold, so a scan put them
    back in the review queue, as a pair nobody should merge."""
    cypher.execute_query(
        "CREATE (c:Company {id: 'er-co', name: '抹除测试有限公司', version: 1}) "
        "WITH c UNWIND ['cc546042', 'c1105ebb'] AS tail "
        "CREATE (:Person {id: 'er-' + tail, name: '已删除个人 Erased person ' + tail, "
        "version: 2, erasedAt: datetime()})-[:WORKS_AT {id: 'er-w-' + tail}]->(c)",
        database_="neo4j",
    )
    assert gql(SCAN, {"k": "PERSON"}).data["scanDuplicates"]["errors"] == []
    pairs = cypher.execute_query(
        "MATCH (d:DuplicateCandidate) WHERE d.a STARTS WITH 'er-' OR d.b STARTS WITH 'er-' "
        "RETURN count(d) AS n",
        database_="neo4j",
    ).records[0]["n"]
    assert pairs == 0


def test_the_queue_shows_each_viewer_what_they_may_see(gql: GQL, cypher: Driver) -> None:
    build(cypher)
    gql(SCAN, {"k": None})
    # The admin sees all three company pairs, both sides.
    total, rows = queue(gql, "COMPANY")
    assert total == 3
    assert all(None not in sides(r) for r in rows)
    assert all(r["mayResolve"] for r in rows)
    assert rows[0]["reasons"] == ["NAME_EQUAL"]
    # The owner (EAST) sees the pair of its own two companies and the two pairs with the WEST
    # company, whose side is null: no id, no name.
    owner = gql.as_("owner")
    r = owner(QUEUE, {"l": "COMPANY", "s": "OPEN"})
    total, rows = queue(owner, "COMPANY")
    assert total == 3
    assert {frozenset(sides(x)) for x in rows} == {
        frozenset({EAST_CO, EAST_TWIN}),
        frozenset({EAST_CO, None}),
        frozenset({EAST_TWIN, None}),
    }
    assert [x["mayResolve"] for x in rows if None in sides(x)] == [False, False]
    raw = str(r.body)
    assert WEST_CO not in raw
    assert "股份" not in raw
    # other_team (WEST) sees only the two pairs with its company, the EAST sides hidden.
    total, rows = queue(gql.as_("other_team"), "COMPANY")
    assert total == 2
    assert all(sides(x) == {WEST_CO, None} for x in rows)
    # People: the pair rests on a mobile, which a SALES viewer reads masked. With its other
    # side hidden, listing it would confirm the masked number (a contact made with a guessed
    # number, once scanned): neither rep is shown it. A MANAGER above both sees both,
    # unmasked.
    assert queue(owner, "PERSON") == (0, [])
    assert queue(gql.as_("other_team"), "PERSON") == (0, [])
    _, rows = queue(gql.as_("manager_above"), "PERSON")
    assert {rows[0]["a"]["mobile"], rows[0]["b"]["mobile"]} == {"+8613800138000"}
    assert "SAME_PHONE" in rows[0]["reasons"]


def test_deciding_takes_edit_rights_on_both_sides(gql: GQL, cypher: Driver) -> None:
    build(cypher)
    gql(SCAN, {"k": "COMPANY"})
    _, rows = queue(gql, "COMPANY")
    mixed = next(r for r in rows if sides(r) == {EAST_CO, WEST_CO})
    own = next(r for r in rows if sides(r) == {EAST_CO, EAST_TWIN})
    owner = gql.as_("owner")
    out = owner(DISMISS, {"id": mixed["id"]}).data["dismissDuplicate"]
    assert out == {
        "candidateId": None,
        "status": None,
        "errors": [{"code": "FORBIDDEN", "field": "input.candidateId"}],
    }
    out = owner(MERGE, {"id": mixed["id"], "s": EAST_CO, "dry": True}).data["mergeDuplicate"]
    assert out["errors"] == [{"code": "FORBIDDEN", "field": "input.candidateId"}]
    assert WEST_CO not in str(out)
    # A pair the viewer sees neither side of does not exist for them.
    _, west_rows = queue(gql.as_("other_team"), "COMPANY")
    assert all(r["id"] != own["id"] for r in west_rows)
    out = gql.as_("other_team")(DISMISS, {"id": own["id"]}).data["dismissDuplicate"]
    assert out["errors"] == [{"code": "NOT_FOUND", "field": "input.candidateId"}]
    out = gql.as_("auditor")(DISMISS, {"id": own["id"]}).data["dismissDuplicate"]
    assert out["errors"][0]["code"] == "FORBIDDEN"
    # The owner may edit both of its companies: dismissed, and it stays so on a re-scan.
    out = owner(DISMISS, {"id": own["id"]}).data["dismissDuplicate"]
    assert out == {"candidateId": own["id"], "status": "DISMISSED", "errors": []}
    scans = gql(SCAN, {"k": "COMPANY"}).data["scanDuplicates"]["scans"]
    assert scans[0]["dismissed"] == 1
    total, rows = queue(owner, "COMPANY", "DISMISSED")
    assert (total, [r["id"] for r in rows]) == (1, [own["id"]])
    assert rows[0]["status"] == "DISMISSED"
    total, _ = queue(owner, "COMPANY")
    assert total == 2
    audit = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'duplicates.dismiss'}) RETURN a.actor AS actor, "
        "a.targetId AS target",
        database_="neo4j",
    ).records
    assert [(a["actor"], a["target"]) for a in audit] == [(OWNER, own["id"])]


def test_merge_dry_run_then_the_real_merge(gql: GQL, cypher: Driver) -> None:
    build(cypher)
    gql(SCAN, {"k": None})
    _, rows = queue(gql, "COMPANY")
    pair = next(r for r in rows if sides(r) == {EAST_CO, EAST_TWIN})
    edges = "MATCH (a)-[r]->(b) RETURN collect([a.id, type(r), b.id]) AS e"
    before = sorted(map(str, cypher.execute_query(edges, database_="neo4j").records[0]["e"]))
    owner = gql.as_("owner")
    bad = owner(MERGE, {"id": pair["id"], "s": WEST_CO, "dry": True}).data["mergeDuplicate"]
    assert bad["errors"] == [{"code": "VALIDATION", "field": "input.survivorId"}]
    assert bad["dryRun"] is True  # refused, but still the dry run that was asked for
    dry = owner(MERGE, {"id": pair["id"], "s": EAST_TWIN, "dry": True}).data["mergeDuplicate"]
    assert dry["errors"] == []
    assert dry["dryRun"] is True
    assert dry["mergedIds"] == [EAST_CO]
    # 张伟's WORKS_AT would move; the owner's OWNS of EAST_CO would fold into its OWNS of
    # EAST_TWIN (one owner, one edge); EAST_TWIN would take EAST_CO's phone.
    assert dry["movedByType"] == [{"type": "WORKS_AT", "count": 1}]
    assert dry["collapsedByType"] == [{"type": "OWNS", "count": 1}]
    assert dry["movedEdges"] == 1
    assert dry["copiedFields"] == ["phone"]
    assert dry["survivor"] == {"id": EAST_TWIN, "name": "华星科技有限公司深圳分公司",
                               "phone": "+861062661234"}  # fmt: skip
    after = sorted(map(str, cypher.execute_query(edges, database_="neo4j").records[0]["e"]))
    assert after == before
    assert queue(gql, "COMPANY")[0] == 3
    real = owner(MERGE, {"id": pair["id"], "s": EAST_TWIN, "dry": False}).data["mergeDuplicate"]
    assert real["errors"] == []
    assert real["dryRun"] is False
    assert real["movedByType"] == dry["movedByType"]
    assert real["collapsedByType"] == dry["collapsedByType"]
    owns = cypher.execute_query(
        "MATCH (:User {id: $o})-[r:OWNS]->(c:Company) RETURN c.id AS c, count(r) AS n",
        o=OWNER, database_="neo4j",
    ).records  # fmt: skip
    assert [(r["c"], r["n"]) for r in owns] == [(EAST_TWIN, 1)]
    # The merged record is gone, with every candidate naming it; its id resolves to the twin.
    total, rows = queue(gql, "COMPANY")
    assert total == 1
    assert sides(rows[0]) == {EAST_TWIN, WEST_CO}
    audits = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'company.merge'}) "
        "RETURN a.targetId AS t, a.targetLabel AS l, a.fields AS f, a.actor AS by",
        database_="neo4j",
    ).records
    assert sorted((a["t"], a["by"]) for a in audits if a["l"] == "Company") == sorted(
        [(EAST_TWIN, OWNER), (EAST_CO, OWNER)]
    )
    # The folded OWNS edge is audited as merged into the kept one, by the same request.
    assert [(a["f"], a["by"]) for a in audits if a["l"] == "OWNS"] == [(["mergedInto"], OWNER)]
    node = gql("query($id: ID!) { node(id: $id) { id } }", {"id": EAST_CO}).data["node"]
    assert node == {"id": EAST_TWIN}


def test_a_hidden_side_cannot_be_told_from_the_pair(gql: GQL, cypher: Driver) -> None:
    """other_team (WEST) sees two pairs whose other side is an EAST company it may not see.
    Neither the candidate's id nor the place of the null tells which: the id is not made from
    the pair, and the hidden side is always `b` (the EAST ids sort before WEST's, so `a`/`b` by
    id would put the hidden one first)."""
    build(cypher)
    gql(SCAN, {"k": None})
    west = gql.as_("other_team")
    r = west(QUEUE, {"l": "COMPANY", "s": "OPEN"})
    _, rows = queue(west, "COMPANY")
    assert len(rows) == 2
    for row in rows:
        assert row["a"] == {"id": WEST_CO, "name": "华星科技股份有限公司"}
        assert row["b"] is None
        for guess in (EAST_CO, EAST_TWIN, fid("anything")):
            x, y = sorted((WEST_CO, guess))
            assert row["id"] != str(uuid.uuid5(LEGACY_NS, f"Company:{x}:{y}"))
    raw = str(r.body)
    assert EAST_CO not in raw
    assert EAST_TWIN not in raw
    assert "北京" not in raw
    assert "深圳" not in raw
    # A rescan keeps every id; a dismissed pair stays dismissed under its id.
    ids = sorted(row["id"] for row in rows)
    gql(SCAN, {"k": None})
    assert sorted(row["id"] for row in queue(west, "COMPANY")[1]) == ids
    out = gql(DISMISS, {"id": ids[0]}).data["dismissDuplicate"]
    assert out["errors"] == []
    gql(SCAN, {"k": None})
    _, dismissed = queue(west, "COMPANY", "DISMISSED")
    assert [row["id"] for row in dismissed] == [ids[0]]
    assert [row["id"] for row in queue(west, "COMPANY")[1]] == [ids[1]]


def test_merge_errors_name_this_mutations_inputs() -> None:
    """mergeNodes' refusals, as mergeDuplicate reports them: its own input paths, and a side
    merged away by someone else since the verdict (a race) as a CONFLICT on the pair."""
    from resolvers.duplicates import _pair_error
    from resolvers.errors import ErrorCode, payload_error

    gone = _pair_error(
        payload_error(ErrorCode.NOT_FOUND, "no company with id x", "input.merged[0]")
    )
    assert (gone["code"], gone["field"]) == (ErrorCode.CONFLICT, "input.candidateId")
    stale = _pair_error(payload_error(ErrorCode.CONFLICT, "stale", "input.expectedVersions[0].id"))
    assert (stale["code"], stale["field"]) == (ErrorCode.CONFLICT, "input.candidateId")
    survivor = _pair_error(payload_error(ErrorCode.NOT_FOUND, "no company", "input.survivor"))
    assert (survivor["code"], survivor["field"]) == (ErrorCode.NOT_FOUND, "input.survivorId")
    other = payload_error(ErrorCode.FORBIDDEN, "no", None)
    assert _pair_error(other) == other


def test_a_person_without_employer_is_their_creators_in_the_queue(gql: GQL, cypher: Driver) -> None:
    """person(id) shows a rep the contact they created before it has an employer; the queue,
    dismiss and merge judge that person the same way."""
    owner = gql.as_("owner")
    create = """mutation($i: CreatePersonInput!) { createPerson(input: $i) {
      person { id } errors { code } } }"""
    made = [
        owner(create, {"i": {"name": name, "mobile": "13912345678"}}).data["createPerson"]
        for name in ("王小红", "王晓红")
    ]
    assert [m["errors"] for m in made] == [[], []]
    ids = {m["person"]["id"] for m in made}
    gql(SCAN, {"k": "PERSON"})
    total, rows = queue(owner, "PERSON")
    assert total == 1
    assert sides(rows[0]) == ids
    assert rows[0]["mayResolve"] is True
    assert "SAME_PHONE" in rows[0]["reasons"]
    # Another team's rep sees neither: no pair at all.
    assert queue(gql.as_("other_team"), "PERSON")[0] == 0
    survivor = min(ids)
    out = owner(MERGE, {"id": rows[0]["id"], "s": survivor, "dry": False}).data
    assert out["mergeDuplicate"]["errors"] == []
    assert out["mergeDuplicate"]["mergedIds"] == sorted(ids - {survivor})


CREATE_COMPANY = """mutation($input: CreateCompanyInput!) { createCompany(input: $input) {
  company { id } likelyDuplicates { score reasons record { id ... on Company { name } } }
  errors { code } } }"""
UPSERT_COMPANY = """mutation($input: UpsertCompanyInput!) { upsertCompany(input: $input) {
  created likelyDuplicates { record { id } } errors { code } } }"""
CREATE_PERSON = """mutation($input: CreatePersonInput!) { createPerson(input: $input) {
  person { id } likelyDuplicates { reasons record { id } } errors { code } } }"""


def test_a_created_record_lists_the_records_it_likely_duplicates(gql: GQL, cypher: Driver) -> None:
    """Hidden ones without the record, visible ones with it; only on creation; a value the
    creator may not read in full (a SALES key: the mobile) is not compared."""
    hidden, shown, someone = fid("hidden"), fid("shown"), fid("someone")
    cypher.execute_query(
        "MATCH (w:User {id: $other}) "
        "CREATE (h:Company:Customer {id: $hidden, name: '青岛海岳精密机械有限公司', version: 1, "
        "unifiedSocialCreditCode: '913613593AENB8C8BF'})<-[:OWNS {id: randomUUID()}]-(w) "
        "CREATE (:Company {id: $shown, name: '成都蓝湾食品有限公司', phone: '+862885551234', "
        "version: 1}) "
        "CREATE (:Person {id: $someone, name: '李四', mobile: '+8613912345678', version: 1})",
        other=OTHER,
        hidden=hidden,
        shown=shown,
        someone=someone,
        database_="neo4j",
    )
    sales = gql.as_("owner")

    def create(name: str, **fields: str) -> tuple[list[dict[str, Any]], int]:
        r = sales(CREATE_COMPANY, {"input": {"name": name, **fields}})
        assert r.data["createCompany"]["errors"] == []
        return r.data["createCompany"]["likelyDuplicates"], r.round_trips

    code = {"unifiedSocialCreditCode": "913613593AENB8C8BF"}
    [twin], _ = create("海岳精密机械（青岛）有限公司", **code)
    assert (twin["record"], "SAME_CREDIT_CODE" in twin["reasons"]) == (None, True)
    assert twin["score"] >= 0.75
    [same], hit_trips = create("成都蓝湾食品有限公司", phone="028 8555 1234")
    assert same["record"] == {"id": shown, "name": "成都蓝湾食品有限公司"}
    assert {"SAME_PHONE", "NAME_EQUAL"} <= set(same["reasons"])
    none, miss_trips = create("完全无关贸易有限公司")
    assert none == []
    plain = sales(
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }",
        {"input": {"name": "另一家无关公司"}},
    )
    assert (miss_trips, hit_trips) == (plain.round_trips + 1, plain.round_trips + 2)
    # Not on an update, nor on an upsert that finds its record.
    key = {"externalSource": "erp", "externalId": "LD-1", "name": "成都蓝湾食品有限公司"}
    first = sales(UPSERT_COMPANY, {"input": key}).data["upsertCompany"]
    assert first["created"] is True
    assert {"id": shown} in [d["record"] for d in first["likelyDuplicates"]]
    again = sales(UPSERT_COMPANY, {"input": key}).data["upsertCompany"]
    assert (again["created"], again["likelyDuplicates"]) == (False, [])
    # The mobile: SALES reads it masked, so it is not compared; an admin's create compares it.
    person = {"name": "李思", "mobile": "13912345678"}
    by_sales = sales(CREATE_PERSON, {"input": person}).data["createPerson"]
    assert (by_sales["errors"], by_sales["likelyDuplicates"]) == ([], [])
    by_admin = gql(CREATE_PERSON, {"input": person}).data["createPerson"]
    assert {"id": someone} in [d["record"] for d in by_admin["likelyDuplicates"]]
    # Nor through the office phone, which is compared with stored mobiles.
    office = {"name": "李四", "officePhone": "13912345678"}
    by_sales = sales(CREATE_PERSON, {"input": office}).data["createPerson"]
    assert (by_sales["errors"], by_sales["likelyDuplicates"]) == ([], [])
    by_admin = gql(CREATE_PERSON, {"input": office}).data["createPerson"]
    assert {"id": someone} in [d["record"] for d in by_admin["likelyDuplicates"]]
