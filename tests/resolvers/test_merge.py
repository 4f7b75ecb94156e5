"""Merging duplicates through the real app: edges move, history stays, old ids resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS, plan_operators
from tests.resolvers.accounts import (
    EDITS_EAST,
    EDITS_WEST,
    PERSONA_NAMES,
    READ_ONLY,
    build_accounts,
)
from tests.resolvers.test_relationship import count, link, node, totals

MERGE_COMPANIES = """mutation($i: MergeInput!) { mergeCompanies(input: $i) {
  survivor { id ... on Company { name nameEn industry version custom customer { customerCode } } }
  mergedIds movedEdges errors { code field message } } }"""
MERGE_PEOPLE = """mutation($i: MergeInput!) { mergePeople(input: $i) {
  mergedIds movedEdges errors { code field message } } }"""
OWNER = PERSONAS["owner"]["id"]


def edges_of(cypher: Driver, node_id: str) -> set[tuple[str, str, str]]:
    rows = cypher.execute_query(
        "MATCH (a)-[r]->(b) WHERE (a.id = $id OR b.id = $id) AND NOT a:MergedId "
        "RETURN a.id AS a, type(r) AS t, b.id AS b",
        id=node_id,
        database_="neo4j",
    ).records
    return {(r["a"], r["t"], r["b"]) for r in rows}


def test_merge_companies_moves_edges_and_resolves_old_ids(gql: GQL, cypher: Driver) -> None:
    keep = node(cypher, "Company", "华为技术有限公司")
    dup = node(cypher, "Company", "华为技术")
    dup2 = node(cypher, "Company", "Huawei")
    parent = node(cypher, "Company", "华为投资控股")
    child = node(cypher, "Company", "海思")
    zhang = node(cypher, "Person", "张伟")
    project = node(cypher, "Project", "云迁移")
    cypher.execute_query(
        "MATCH (d:Company {id: $dup}) SET d.nameEn = 'Huawei Technologies', d.industry = 'ICT', "
        "d.name = 'ignored: survivor has a name', d:Customer, d.customerCode = 'C-77', "
        "d.custom = $custom",
        dup=dup,
        custom=json.dumps({"渠道": "直销"}),
        database_="neo4j",
    )
    works = link(gql, type="WORKS_AT", **{"from": zhang}, to=dup, title="CIO", since="2020-01-01")
    link(gql, type="SUBSIDIARY_OF", **{"from": dup}, to=parent, ownership=1.0)
    link(gql, type="SUBSIDIARY_OF", **{"from": child}, to=dup2)
    link(gql, type="FOR", **{"from": project}, to=dup2)
    link(gql, type="OWNS", **{"from": OWNER}, to=dup)
    link(gql, type="PARTNERS_WITH", **{"from": dup}, to=dup2)  # between merged: dropped
    link(gql, type="SUPPLIES", **{"from": dup2}, to=keep)  # would be a self-loop: dropped
    # an earlier merge into dup: its id must follow to the new survivor
    older = "00000000-0000-4000-8000-0000000000aa"
    cypher.execute_query(
        "MATCH (d:Company {id: $dup}) CREATE (:MergedId {id: $old})-[:MERGED_INTO]->(d)",
        dup=dup,
        old=older,
        database_="neo4j",
    )

    r = gql(MERGE_COMPANIES, {"i": {"survivor": keep, "merged": [dup, dup2]}}).data[
        "mergeCompanies"
    ]
    assert r["errors"] == []
    assert r["mergedIds"] == [dup, dup2]
    assert r["movedEdges"] == 5
    survivor = r["survivor"]
    assert survivor["id"] == keep
    assert survivor["name"] == "华为技术有限公司"
    assert survivor["nameEn"] == "Huawei Technologies"
    assert survivor["industry"] == "ICT"
    assert survivor["customer"] == {"customerCode": "C-77"}
    assert survivor["custom"] == {"渠道": "直销"}
    assert survivor["version"] == 2

    assert edges_of(cypher, keep) == {
        (zhang, "WORKS_AT", keep),
        (keep, "SUBSIDIARY_OF", parent),
        (child, "SUBSIDIARY_OF", keep),
        (project, "FOR", keep),
        (OWNER, "OWNS", keep),
    }
    # properties, ids and history of a moved edge are kept
    moved = cypher.execute_query(
        "MATCH (:Person {id: $z})-[r:WORKS_AT]->(:Company {id: $k}) "
        "RETURN r.id AS id, r.title AS title, toString(r.since) AS since, r.version AS v",
        z=zhang,
        k=keep,
        database_="neo4j",
    ).records[0]
    assert (moved["id"], moved["title"], moved["since"], moved["v"]) == (
        works["id"],
        "CIO",
        "2020-01-01",
        1,
    )
    assert (
        count(cypher, "MATCH (c:Company) WHERE c.id IN $ids RETURN count(c)", ids=[dup, dup2]) == 0
    )
    # old ids, including the one merged earlier, resolve to the survivor
    for old in (dup, dup2, older):
        got = gql("query($id: ID!) { node(id: $id) { id } }", {"id": old}).data["node"]
        assert got == {"id": keep}, old
    # an update of an old id is refused with the survivor named, to re-read
    update = """mutation($i: UpdateCompanyInput!) {
      updateCompany(input: $i) { company { id } errors { code field message } } }"""
    stale = gql(update, {"i": {"id": dup, "expectedVersion": 1, "industry": "x"}}).data
    [error] = stale["updateCompany"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "input.id")
    assert keep in error["message"]
    # linking to an old id links to the survivor
    again = link(gql, type="PARTNERS_WITH", **{"from": dup}, to=parent)
    assert (again["fromId"], again["toId"]) == (keep, parent)
    assert count(cypher, "MATCH (m:MergedId)-[:MERGED_INTO]->(t) WHERE t.id <> $k RETURN count(m)",
                 k=keep) == 0  # fmt: skip
    # audited: the survivor and each merged record
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'company.merge'}) RETURN a.targetId AS t, a.fields AS f",
        database_="neo4j",
    ).records
    by_target = {e["t"]: e["f"] for e in events}
    assert set(by_target) == {keep, dup, dup2}
    assert by_target[dup] == ["mergedInto"]
    assert "nameEn" in by_target[keep]
    assert "mergedFrom" in by_target[keep]


SAVE_RECORD = """mutation($input: SaveRecordInput!) { saveRecord(input: $input) {
  record { id } errors { code field } } }"""
TIMELINE = """query($id: ID!) { timeline(party: $id, first: 20) { totalCount
  nodes { id subject contacts { id } } } }"""
CHECKS = """query($id: ID!) { verificationHistory(id: $id) { field status } }"""


def test_the_survivor_keeps_its_owner_and_the_merged_owner_is_history(
    gql: GQL, cypher: Driver
) -> None:
    """A merged record's current owner does not become a second owner of the survivor (nor
    their team its reader); with no owner of its own, the survivor takes the merged one's."""
    west = PERSONAS["other_team"]["id"]
    keep, dup = node(cypher, "Company", "钱塘橡胶有限公司"), node(cypher, "Company", "钱塘橡胶")
    orphan, dup2 = node(cypher, "Company", "钱江化工"), node(cypher, "Company", "钱江化工厂")
    cypher.execute_query(
        "MATCH (c:Company) WHERE c.id IN $ids SET c:Customer", ids=[keep, dup, orphan, dup2]
    )
    link(gql, type="OWNS", **{"from": OWNER}, to=keep, since="2025-01-01")
    link(gql, type="OWNS", **{"from": west}, to=dup, since="2025-02-01")
    link(gql, type="OWNS", **{"from": west}, to=dup2, since="2025-03-01")
    for survivor, merged in ((keep, dup), (orphan, dup2)):
        r = gql(MERGE_COMPANIES, {"i": {"survivor": survivor, "merged": [merged]}}).data
        assert r["mergeCompanies"]["errors"] == []
    owners = cypher.execute_query(
        "MATCH (u:User)-[o:OWNS]->(c:Company) WHERE c.id IN $ids "
        "RETURN c.id AS c, u.id AS u, toString(o.since) AS since, o.until = date() AS ended",
        ids=[keep, orphan],
    ).records
    assert sorted((r["c"], r["u"], r["since"], r["ended"]) for r in owners) == sorted(
        [
            (keep, OWNER, "2025-01-01", None),
            (keep, west, "2025-02-01", True),  # kept as history, ended today
            (orphan, west, "2025-03-01", None),
        ]
    )
    seen = """query($id: ID!) { company(id: $id) { id owner { id } } }"""
    assert gql.as_("other_team")(seen, {"id": keep}).data["company"] is None
    assert gql.as_("owner")(seen, {"id": keep}).data["company"]["owner"] == {"id": OWNER}
    assert gql.as_("other_team")(seen, {"id": orphan}).data["company"]["owner"] == {"id": west}


def test_merge_keeps_the_records_and_checks_of_the_merged(gql: GQL, cypher: Driver) -> None:
    keep = node(cypher, "Company", "山城汽配有限公司")
    dup = node(cypher, "Company", "重庆山城汽配")
    keep_p, dup_p = node(cypher, "Person", "赵敏"), node(cypher, "Person", "赵敏 (ERP)")
    cypher.execute_query(
        "MATCH (c:Company) WHERE c.id IN [$k, $d] SET c:Customer, c.phone = '+862363001234' "
        "WITH count(*) AS _ MATCH (p:Person) WHERE p.id IN [$kp, $dp] "
        "SET p.mobile = '+8613900000001' "
        "WITH count(*) AS _ MATCH (dp:Person {id: $dp}), (d:Company {id: $d}) "
        "CREATE (dp)-[:WORKS_AT {id: randomUUID(), version: 1}]->(d)",
        k=keep,
        d=dup,
        kp=keep_p,
        dp=dup_p,
        database_="neo4j",
    )
    call = {
        "customer": dup,
        "occurredAt": "2026-11-20T10:00:00+08:00",
        "subject": "报价沟通",
        "contacts": [dup_p],
        "interaction": {"channel": "CALL"},
    }
    saved = gql(SAVE_RECORD, {"input": call}).data["saveRecord"]
    assert saved["errors"] == []
    checks = [
        {"id": dup, "field": "PHONE", "status": "VERIFIED", "method": "CALL"},
        {"id": dup_p, "field": "MOBILE", "status": "NO_ANSWER", "method": "CALL"},
    ]
    done = gql("mutation($c: [ChannelCheckInput!]!) { verifyChannels(input: {checks: $c}) "
               "{ errors { code field } } }", {"c": checks})  # fmt: skip
    assert done.data["verifyChannels"]["errors"] == []

    merged = gql(MERGE_COMPANIES, {"i": {"survivor": keep, "merged": [dup]}})
    assert merged.data["mergeCompanies"]["errors"] == []
    people = gql(MERGE_PEOPLE, {"i": {"survivor": keep_p, "merged": [dup_p]}})
    assert people.data["mergePeople"]["errors"] == []

    # The call is the survivor's, with the surviving person as its contact.
    timeline = gql(TIMELINE, {"id": keep}).data["timeline"]
    assert timeline["totalCount"] == 1
    [record] = timeline["nodes"]
    assert (record["id"], record["subject"]) == (saved["record"]["id"], "报价沟通")
    assert record["contacts"] == [{"id": keep_p}]
    # The checks of the merged records are the survivors' history.
    company_checks = gql(CHECKS, {"id": keep}).data["verificationHistory"]
    assert company_checks == [{"field": "PHONE", "status": "VERIFIED"}]
    person_checks = gql(CHECKS, {"id": keep_p}).data["verificationHistory"]
    assert person_checks == [{"field": "MOBILE", "status": "NO_ANSWER"}]
    # A merged id resolves to its survivor, here as for node(id).
    assert gql(CHECKS, {"id": dup}).data["verificationHistory"] == company_checks
    # And for a record saved later under the merged ids: it is the survivors'.
    later = {**call, "contacts": [dup_p], "occurredAt": "2026-11-21T10:00:00+08:00"}
    assert gql(SAVE_RECORD, {"input": later}).data["saveRecord"]["errors"] == []
    assert gql(TIMELINE, {"id": keep}).data["timeline"]["totalCount"] == 2
    newest = gql(TIMELINE, {"id": dup}).data["timeline"]  # the merged id reads the survivor's
    assert newest["totalCount"] == 2
    assert newest["nodes"][0]["contacts"] == [{"id": keep_p}]
    orphans = count(cypher, "MATCH (r:Record) WHERE NOT (r)-[:ABOUT]->() RETURN count(r)")
    assert orphans == 0


def test_a_check_is_copied_only_with_the_value_it_checked(gql: GQL, cypher: Driver) -> None:
    keep, dup = node(cypher, "Company", "甲有限公司"), node(cypher, "Company", "甲公司")
    same, twin = node(cypher, "Company", "乙有限公司"), node(cypher, "Company", "乙公司")
    cypher.execute_query(
        "MATCH (k:Company {id: $k}), (d:Company {id: $d}), (s:Company {id: $s}), "
        "(t:Company {id: $t}) "
        "SET k.phone = '+862162881234', d.phone = '+862162885678', s.phone = '+862162880000', "
        "t.phone = '+862162880000' "
        "SET d.phoneStatus = 'VERIFIED', d.phoneStatusAt = datetime(), d.phoneStatusBy = 'u', "
        "d.phoneStatusMethod = 'CALL', d.address = '新地址', d.addressStatus = 'VERIFIED' "
        "SET t.phoneStatus = 'VERIFIED', t.phoneStatusAt = datetime(), t.phoneStatusBy = 'u', "
        "t.phoneStatusMethod = 'CALL'",
        k=keep, d=dup, s=same, t=twin, database_="neo4j",
    )  # fmt: skip
    for survivor, merged in ((keep, dup), (same, twin)):
        r = gql(MERGE_COMPANIES, {"i": {"survivor": survivor, "merged": [merged]}})
        assert r.data["mergeCompanies"]["errors"] == []
    rows = cypher.execute_query(
        "MATCH (c:Company) WHERE c.id IN [$k, $s] "
        "RETURN c.id AS id, c.phoneStatus AS phone, c.address AS address, "
        "c.addressStatus AS addressStatus",
        k=keep, s=same, database_="neo4j",
    ).records  # fmt: skip
    got = {r["id"]: (r["phone"], r["address"], r["addressStatus"]) for r in rows}
    # Another number: its check stays behind; an address it lacked comes with its check.
    assert got[keep] == (None, "新地址", "VERIFIED")
    # The same number: the check is the survivor's too.
    assert got[same] == ("VERIFIED", None, None)


def test_merge_errors_write_nothing(gql: GQL, cypher: Driver) -> None:
    keep = node(cypher, "Company", "甲")
    dup = node(cypher, "Company", "乙")
    person = node(cypher, "Person", "丙")
    link(gql, type="WORKS_AT", **{"from": person}, to=dup)
    before = totals(cypher)

    def errors(query: str, **fields: Any) -> dict[str | None, str]:
        name = "mergeCompanies" if "mergeCompanies" in query else "mergePeople"
        payload = gql(query, {"i": fields}).data[name]
        assert payload["mergedIds"] == []
        return {e["field"]: e["code"] for e in payload["errors"]}

    assert errors(MERGE_COMPANIES, survivor=keep, merged=[]) == {"input.merged": "VALIDATION"}
    assert errors(MERGE_COMPANIES, survivor=keep, merged=[keep]) == {"input.merged": "VALIDATION"}
    assert errors(MERGE_COMPANIES, survivor=keep, merged=[dup, "nope"]) == {
        "input.merged[1]": "NOT_FOUND"
    }
    assert errors(MERGE_COMPANIES, survivor="nope", merged=[dup]) == {"input.survivor": "NOT_FOUND"}
    # a person is not a company
    assert errors(MERGE_COMPANIES, survivor=keep, merged=[person]) == {
        "input.merged[0]": "NOT_FOUND"
    }
    assert errors(
        MERGE_COMPANIES, survivor=keep, merged=[dup], expectedVersions=[{"id": dup, "version": 9}]
    ) == {"input.expectedVersions": "CONFLICT"}
    assert errors(
        MERGE_COMPANIES, survivor=keep, merged=[dup], expectedVersions=[{"id": "x", "version": 1}]
    ) == {"input.expectedVersions[0].id": "VALIDATION"}
    assert totals(cypher) == before


def test_a_record_merged_already_is_a_conflict_naming_its_survivor(
    gql: GQL, cypher: Driver
) -> None:
    """Tester BI: the loser of two racing merges of one record was told NOT_FOUND, while
    `company(id)` answered the survivor for that id."""
    first, second, dup = (node(cypher, "Company", n) for n in ("先到", "后到", "被并"))
    done = gql(MERGE_COMPANIES, {"i": {"survivor": first, "merged": [dup]}})
    assert done.data["mergeCompanies"]["errors"] == []
    late = gql(MERGE_COMPANIES, {"i": {"survivor": second, "merged": [dup]}})
    [error] = late.data["mergeCompanies"]["errors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "input.merged[0]")
    assert first in error["message"]
    assert gql("query($id: ID!) { company(id: $id) { id } }", {"id": dup}).data["company"] == {
        "id": first
    }


def test_merge_that_would_close_a_hierarchy_cycle_is_rolled_back(gql: GQL, cypher: Driver) -> None:
    a = node(cypher, "Company", "A")
    x = node(cypher, "Company", "X")
    b = node(cypher, "Company", "B")
    link(gql, type="SUBSIDIARY_OF", **{"from": a}, to=x)
    link(gql, type="SUBSIDIARY_OF", **{"from": x}, to=b)
    before = totals(cypher)
    payload = gql(MERGE_COMPANIES, {"i": {"survivor": b, "merged": [a]}}).data["mergeCompanies"]
    assert {e["field"]: e["code"] for e in payload["errors"]} == {"input.merged": "CYCLE"}
    assert totals(cypher) == before
    assert edges_of(cypher, a) == {(a, "SUBSIDIARY_OF", x)}


def test_merge_people_moves_reporting_lines_and_stance_history(gql: GQL, cypher: Driver) -> None:
    keep = node(cypher, "Person", "张伟")
    dup = node(cypher, "Person", "张 伟")
    boss = node(cypher, "Person", "老板")
    company = node(cypher, "Company", "公司")
    project = node(cypher, "Project", "项目")
    link(gql, type="REPORTS_TO", **{"from": dup}, to=boss)
    link(gql, type="WORKS_AT", **{"from": keep}, to=company)
    link(gql, type="PARTICIPATES_IN", **{"from": dup}, to=project, stance="SUPPORTER")
    link(gql, type="KNOWS", **{"from": OWNER}, to=dup, strength=0.7)
    r = gql(
        MERGE_PEOPLE,
        {"i": {"survivor": keep, "merged": [dup], "expectedVersions": [
            {"id": keep, "version": 1}, {"id": dup, "version": 1}]}},
    ).data["mergePeople"]  # fmt: skip
    assert r["errors"] == []
    assert r["movedEdges"] == 3
    assert edges_of(cypher, keep) == {
        (keep, "REPORTS_TO", boss),
        (keep, "WORKS_AT", company),
        (keep, "PARTICIPATES_IN", project),
        (OWNER, "KNOWS", keep),
    }
    history = gql(
        "query($p: ID!, $who: ID) { stanceHistory(project: $p, person: $who) { to } }",
        {"p": project, "who": keep},
    ).data["stanceHistory"]
    assert history == [{"to": "SUPPORTER"}]
    # (Person has no GraphQL type on this branch yet, so check the stored redirect.)
    assert count(
        cypher, "MATCH (:MergedId {id: $d})-[:MERGED_INTO]->(:Person {id: $k}) RETURN count(*)",
        d=dup, k=keep,
    ) == 1  # fmt: skip


MERGE_MASKED = """mutation($i: MergeInput!) { mergePeople(input: $i) {
  survivor { id ... on Person { mobile idNumber } } errors { code field } } }"""


def test_merge_survivor_is_masked_as_person_by_id_is(gql: GQL, cypher: Driver) -> None:
    """The leak of issue 12: a SALES user merging people got the survivor's personal data
    unmasked, where `person(id)` masks it."""
    build_accounts(cypher)
    cypher.execute_query(
        "MATCH (c:Company {id: 'east-co'}) CREATE (:Person {id: 'east-dup', name: '东方联系人', "
        "version: 1})-[:WORKS_AT {id: 'works-dup'}]->(c)",
        database_="neo4j",
    )
    i = {"survivor": "east-person", "merged": ["east-dup"]}
    got = gql.as_("owner")(MERGE_MASKED, {"i": i}).data["mergePeople"]
    assert got["errors"] == []
    masked = {"id": "east-person", "mobile": "+86138****5678", "idNumber": "1101**********002X"}
    assert got["survivor"] == masked
    by_id = gql.as_("owner")('{ person(id: "east-person") { id mobile idNumber } }').data["person"]
    assert by_id == masked


def test_an_edit_share_neither_merges_nor_deletes_the_account(gql: GQL, cypher: Driver) -> None:
    """Tester AW merged an account shared with him for an afternoon into his own, and its
    contact into his own company's, and deleted another: all outlive the share."""
    build_accounts(cypher)
    cypher.execute_query(
        "MATCH (c:Company {id: 'west-co'}), (u:User {id: $u}) "
        "CREATE (c)-[:SHARED_WITH {level: 'EDIT'}]->(u)",
        u=OWNER,
    )
    cypher.execute_query(
        "MATCH (c:Company {id: 'east-co'}) CREATE (:Person {id: 'east-own', name: '东方二号', "
        "version: 1})-[:WORKS_AT {id: 'works-own'}]->(c)"
    )
    before = edges_of(cypher, "west-co")
    owner = gql.as_("owner")
    merged = owner(MERGE_COMPANIES, {"i": {"survivor": "east-co", "merged": ["west-co"]}})
    assert [e["code"] for e in merged.data["mergeCompanies"]["errors"]] == ["FORBIDDEN"]
    people = owner(MERGE_PEOPLE, {"i": {"survivor": "west-person", "merged": ["east-own"]}})
    assert [e["code"] for e in people.data["mergePeople"]["errors"]] == ["FORBIDDEN"]
    delete = "mutation($i: NodeRefInput!) { deletePerson(input: $i) { errors { code } } }"
    gone = owner(delete, {"i": {"id": "west-person"}}).data["deletePerson"]
    assert gone["errors"] == [{"code": "FORBIDDEN"}]
    # Tester BO: nor archives it, which no mutation undoes.
    archive = "mutation($i: NodeRefInput!) { archiveCompany(input: $i) { errors { code } } }"
    kept = owner(archive, {"i": {"id": "west-co"}}).data["archiveCompany"]
    assert kept["errors"] == [{"code": "FORBIDDEN"}]
    assert edges_of(cypher, "west-co") == before
    # The share still edits the account itself.
    edit = (
        'mutation { updateCompany(input: {id: "west-co", expectedVersion: 1, industry: "制造"}) '
        "{ errors { code } } }"
    )
    assert owner(edit).data["updateCompany"]["errors"] == []


MERGE_SHARES = """mutation($i: MergeInput!) { mergeCompanies(input: $i) {
  sharesEnded movedByType { type count } errors { code } } }"""


def test_a_merged_accounts_share_ends_and_opens_nothing_of_the_survivor(
    gql: GQL, cypher: Driver
) -> None:
    """Tester AW: a share of the merged account moved onto the survivor, and its holder read
    the survivor's own contacts and records, which its owner never shared."""
    build_accounts(cypher)
    cypher.execute_query(
        "MATCH (ws:Company {id: 'west-sub'}), (wc:Company {id: 'west-co'}), (u:User {id: $u}), "
        "(t:User {id: $t}) "
        "CREATE (ws)-[:SHARED_WITH {id: 'sh-sub', level: 'EDIT', by: $t, at: datetime()}]->(u) "
        "CREATE (wc)-[:SHARED_WITH {id: 'sh-own', level: 'READ', by: $t, at: datetime()}]->(t)",
        u=OWNER,
        t=PERSONAS["manager_west"]["id"],
    )
    merge = {"survivor": "west-co", "merged": ["west-sub"]}
    dry = gql(MERGE_SHARES, {"i": {**merge, "dryRun": True}}).data["mergeCompanies"]
    assert dry["errors"] == []
    assert dry["sharesEnded"] == 1
    assert "SHARED_WITH" not in {m["type"] for m in dry["movedByType"]}
    owner = gql.as_("owner")
    contact = '{ person(id: "west-person") { id } }'
    assert owner('{ company(id: "west-sub") { id } }').data["company"] == {"id": "west-sub"}
    done = gql(MERGE_SHARES, {"i": merge}).data["mergeCompanies"]
    assert done["errors"] == []
    assert done["sharesEnded"] == 1
    assert owner('{ company(id: "west-co") { id } }').data["company"] is None
    assert owner(contact).data["person"] is None
    shares = cypher.execute_query(
        "MATCH (:Company {id: 'west-co'})-[s:SHARED_WITH]->(p) RETURN s.id AS id, p.id AS p",
        database_="neo4j",
    ).records
    assert [(r["id"], r["p"]) for r in shares] == [("sh-own", PERSONAS["manager_west"]["id"])]
    audit = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'account.unshare', targetId: 'west-sub'}) "
        "RETURN a.principalId AS p, a.fields AS fields",
        database_="neo4j",
    ).records
    assert [(r["p"], r["fields"]) for r in audit] == [(OWNER, ["mergedInto"])]


MERGE_REFUSED = """mutation($i: MergeInput!) { mergeCompanies(input: $i) {
  survivor { id } errors { code field } } }"""


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_merge_needs_edit_rights_on_every_record(gql: GQL, cypher: Driver, persona: str) -> None:
    build_accounts(cypher)
    # WEST shares its subsidiary with the EAST rep, read-only
    cypher.execute_query(
        "MATCH (c:Company {id: 'west-sub'}), (u:User {id: $u}) "
        "CREATE (c)-[:SHARED_WITH {level: 'READ'}]->(u)",
        u=OWNER,
        database_="neo4j",
    )
    before = edges_of(cypher, "west-sub")
    r = gql.as_(persona)(MERGE_REFUSED, {"i": {"survivor": "east-co", "merged": ["west-sub"]}})
    errors = r.data["mergeCompanies"]["errors"]
    if persona in READ_ONLY:
        assert errors == [{"code": "FORBIDDEN", "field": "input"}]
        assert r.round_trips == 0
    elif persona == "owner":  # sees west-sub through the read share, may not edit it
        assert errors == [{"code": "FORBIDDEN", "field": "input.merged[0]"}]
    elif persona in EDITS_EAST and persona in EDITS_WEST:
        assert errors == []
        return
    elif persona in EDITS_WEST:  # cannot see the survivor
        assert errors == [{"code": "NOT_FOUND", "field": "input.survivor"}]
    assert edges_of(cypher, "west-sub") == before  # nothing moved, nothing deleted


SAVE_PLANS = """mutation($input: SavePlansInput!) { savePlans(input: $input) {
  changed errors { code field } plans { id targetId amount version } } }"""
PLAN_TABLE = """query($period: String!) { planVsActual(period: $period, dimension: CUSTOMER,
  asOf: "2026-12-31T00:00:00+08:00") { rows { targetId currency plan planVersion } } }"""


def customer_plan(target: str, period: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"period": period, "dimension": "CUSTOMER", "target": target, "currency": "CNY",
            "amount": amount, **extra}  # fmt: skip


def test_merge_moves_the_merged_customers_plans(gql: GQL, cypher: Driver) -> None:
    """H3: the merged customer's target is added to the survivor's plan of the same key, and
    a plan the survivor lacks is re-targeted; savePlans then finds it under the survivor."""
    c10, c11 = node(cypher, "Company", "十号客户"), node(cypher, "Company", "十号客户 (重复)")
    cypher.execute_query(
        "MATCH (c:Company) WHERE c.id IN $ids SET c:Customer", ids=[c10, c11], database_="neo4j"
    )
    plans = [
        customer_plan(c10, "2026-Q4", "100000"),
        customer_plan(c11, "2026-Q4", "200000"),
        customer_plan(c11, "2026-Q3", "30000", note="华东区"),
    ]
    saved = gql(SAVE_PLANS, {"input": {"plans": plans}}).data["savePlans"]
    assert saved["errors"] == []
    plan_counts = """mutation($i: MergeInput!) { mergeCompanies(input: $i) { dryRun
      plansRetargeted plansCombined errors { code } } }"""
    dry = gql(plan_counts, {"i": {"survivor": c10, "merged": [c11], "dryRun": True}})
    assert dry.data["mergeCompanies"] == {
        "dryRun": True, "plansRetargeted": 1, "plansCombined": 1, "errors": []
    }  # fmt: skip
    assert count(cypher, "MATCH (p:SalesPlan {targetId: $t}) RETURN count(p)", t=c11) == 2
    r = gql(MERGE_COMPANIES, {"i": {"survivor": c10, "merged": [c11]}}).data["mergeCompanies"]
    assert r["errors"] == []

    def rows(period: str) -> list[tuple[str, str, str, int]]:
        got = gql(PLAN_TABLE, {"period": period}).data["planVsActual"]["rows"]
        return [(x["targetId"], x["currency"], x["plan"], x["planVersion"]) for x in got]

    assert rows("2026-Q4") == [(c10, "CNY", "300000", 2)]
    assert rows("2026-Q3") == [(c10, "CNY", "30000", 2)]
    assert count(cypher, "MATCH (p:SalesPlan) WHERE p.targetId = $t RETURN count(p)", t=c11) == 0
    left = cypher.execute_query(
        "MATCH (p:SalesPlan) RETURN p.targetId AS t, p.period AS period, p.note AS note",
        database_="neo4j",
    ).records
    assert sorted((x["t"], x["period"], x["note"]) for x in left) == [
        (c10, "2026-Q3", "华东区"),
        (c10, "2026-Q4", None),
    ]
    # The plans are the survivor's to save: the stored versions, no second node per key.
    again = gql(SAVE_PLANS, {"input": {"plans": [
        customer_plan(c10, "2026-Q4", "310000", expectedVersion=2),
        customer_plan(c10, "2026-Q3", "30000", note="华东区", expectedVersion=2),
    ]}}).data["savePlans"]  # fmt: skip
    assert again["errors"] == []
    assert again["changed"] == 1
    assert count(cypher, "MATCH (p:SalesPlan) RETURN count(p)") == 2
    audited = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'company.merge', targetLabel: 'SalesPlan'}) "
        "RETURN a.fields AS fields ORDER BY size(a.fields)",
        database_="neo4j",
    ).records
    # the survivor's plan took the amount, the merged one folded in went, one re-targeted
    assert sorted(x["fields"] for x in audited) == [
        ["amountCents"], ["amountCents"], ["id", "targetId"]
    ]  # fmt: skip
    # A merged customer's id, kept by a client or a spreadsheet, saves the survivor's plan.
    by_old = gql(SAVE_PLANS, {"input": {"plans": [
        customer_plan(c11, "2026-Q4", "320000", expectedVersion=3),
    ]}}).data["savePlans"]  # fmt: skip
    assert by_old["errors"] == []
    assert [(x["targetId"], x["amount"], x["version"]) for x in by_old["plans"]] == [
        (c10, "320000", 4)
    ]
    assert count(cypher, "MATCH (p:SalesPlan) RETURN count(p)") == 2
    # Both ids in one save name one plan: refused, nothing written.
    both = gql(SAVE_PLANS, {"input": {"plans": [
        customer_plan(c10, "2026-Q3", "1"), customer_plan(c11, "2026-Q3", "2"),
    ]}}).data["savePlans"]  # fmt: skip
    assert both["errors"] == [{"code": "VALIDATION", "field": "input.plans[1].target"}]
    assert rows("2026-Q3") == [(c10, "CNY", "30000", 2)]
    # Asked for by the merged id, or by both: the survivor's row, once.
    by_ids = """query($ids: [ID!]) { planVsActual(period: "2026-Q4", dimension: CUSTOMER,
      ids: $ids) { rows { targetId plan } } }"""
    for ids in ([c11], [c11, c10]):
        got = gql(by_ids, {"ids": ids}).data["planVsActual"]["rows"]
        assert got == [{"targetId": c10, "plan": "320000"}], ids


def test_one_owner_of_both_keeps_one_ownership_begun_today(gql: GQL, cypher: Driver) -> None:
    """Two customers a rep created today: the merged one's OWNS is not ended (that left an
    empty [today, today) edge beside the survivor's) but folds into the survivor's."""
    create = """mutation($n: String!) { createCompany(input: {name: $n, customer: {}}) {
      company { id } errors { code } } }"""
    owner = gql.as_("owner")
    a, b = (
        owner(create, {"n": n}).data["createCompany"]["company"]["id"]
        for n in ("今日客户甲", "今日客户乙")
    )
    asked = """mutation($i: MergeInput!) { mergeCompanies(input: $i) { movedByType { type count }
      collapsedByType { type count } errors { code } } }"""
    dry = owner(asked, {"i": {"survivor": a, "merged": [b], "dryRun": True}}).data
    real = owner(asked, {"i": {"survivor": a, "merged": [b]}}).data
    assert real == dry
    assert real["mergeCompanies"]["collapsedByType"] == [{"type": "OWNS", "count": 1}]
    assert {"type": "OWNS", "count": 1} not in real["mergeCompanies"]["movedByType"]
    owns = cypher.execute_query(
        "MATCH (:User {id: $o})-[r:OWNS]->(:Company {id: $a}) "
        "RETURN toString(r.since) AS since, r.until AS until",
        o=OWNER, a=a, database_="neo4j",
    ).records  # fmt: skip
    assert [(r["since"], r["until"]) for r in owns] == [(owns[0]["since"], None)]


def test_a_merge_finds_the_plans_by_their_target_index(gql: GQL, cypher: Driver) -> None:
    from graph.merge import PLANS_OF

    assert gql("{ version }").status == 200  # the app has migrated: indexes exist
    summary = cypher.execute_query("EXPLAIN " + PLANS_OF.text, {"all": ["a", "b"]},
                                   database_="neo4j").summary  # fmt: skip
    assert "NodeIndexSeek" in plan_operators(summary.plan)


def edge_rows(cypher: Driver, node_id: str, rel: str) -> list[dict[str, Any]]:
    return [
        dict(x)
        for x in cypher.execute_query(
            "MATCH (a)-[r:" + rel + "]->(b) WHERE a.id = $id OR b.id = $id "
            "RETURN a.id AS a, b.id AS b, r.id AS id, toString(r.since) AS since, "
            "toString(r.until) AS until, r.title AS title, r.department AS department, "
            "r.kind AS kind, r.ownership AS ownership, r.products AS products, "
            "keys(r) AS keys ORDER BY since",
            id=node_id,
            database_="neo4j",
        ).records
    ]


MERGE_PEOPLE_BY_TYPE = """mutation($i: MergeInput!) { mergePeople(input: $i) {
  movedEdges movedByType { type count } collapsedByType { type count }
  errors { code field message } } }"""


def test_merging_people_collapses_their_overlapping_parallel_edges(
    gql: GQL, cypher: Driver
) -> None:
    """M1: P08 into P07, both working at C09 now: one WORKS_AT remains, the survivor's, with
    dates covering both and the title it lacked; the same for reporting lines; a REPORTS_TO
    between the two leaves no self-loop; an employment that ended before is history."""
    p07, p08 = node(cypher, "Person", "王五"), node(cypher, "Person", "王五 (名片)")
    c09, boss = node(cypher, "Company", "九号公司"), node(cypher, "Person", "九号老板")
    works = link(gql, type="WORKS_AT", **{"from": p07}, to=c09, since="2022-05-01",
                 department="采购部")  # fmt: skip
    link(gql, type="WORKS_AT", **{"from": p08}, to=c09, since="2021-01-01", title="经理")
    link(gql, type="WORKS_AT", **{"from": p08}, to=c09, since="2015-01-01", until="2018-01-01",
         title="专员")  # fmt: skip
    link(gql, type="REPORTS_TO", **{"from": p07}, to=boss, since="2022-05-01")
    link(gql, type="REPORTS_TO", **{"from": p08}, to=boss, kind="DOTTED")
    link(gql, type="REPORTS_TO", **{"from": p08}, to=p07)

    r = gql(MERGE_PEOPLE_BY_TYPE, {"i": {"survivor": p07, "merged": [p08]}}).data["mergePeople"]
    assert r["errors"] == []
    # Only the old employment came as an edge of its own.
    assert r["movedByType"] == [{"type": "WORKS_AT", "count": 1}]
    assert r["movedEdges"] == 1
    assert r["collapsedByType"] == [
        {"type": "REPORTS_TO", "count": 1},
        {"type": "WORKS_AT", "count": 1},
    ]

    jobs = edge_rows(cypher, p07, "WORKS_AT")
    assert [(j["since"], j["until"], j["title"]) for j in jobs] == [
        ("2015-01-01", "2018-01-01", "专员"),
        ("2021-01-01", None, "经理"),
    ]
    current = jobs[1]
    assert (current["id"], current["department"]) == (works["id"], "采购部")
    assert not any(k.startswith("__") for j in jobs for k in j["keys"])
    lines = edge_rows(cypher, p07, "REPORTS_TO")
    assert [(x["a"], x["b"], x["since"], x["kind"]) for x in lines] == [
        (p07, boss, None, "DOTTED")  # no `since` on the merged one: it always was
    ]
    # linkNodes agrees that one current job is there: a second overlapping one is refused.
    again = gql(
        "mutation($i: LinkInput!) { linkNodes(input: $i) { errors { code } } }",
        {"i": {"type": "WORKS_AT", "from": p07, "to": c09}},
    ).data["linkNodes"]
    assert again["errors"] != []
    events = cypher.execute_query(
        "MATCH (a:AuditEvent {action: 'person.merge', targetLabel: 'WORKS_AT'}) "
        "RETURN a.targetId AS t, a.fields AS f",
        database_="neo4j",
    ).records
    assert {x["t"]: x["f"] for x in events}[works["id"]] == ["since", "title"]


MERGE_BY_TYPE = """mutation($i: MergeInput!) { mergeCompanies(input: $i) {
  movedEdges movedByType { type count } errors { code field message } } }"""


def test_merging_companies_collapses_parallel_edges_both_ways(gql: GQL, cypher: Driver) -> None:
    keep, dup = node(cypher, "Company", "十一号集团"), node(cypher, "Company", "十一号")
    parent, buyer = node(cypher, "Company", "母公司"), node(cypher, "Company", "采购方")
    vendor = node(cypher, "Company", "供应商")
    link(gql, type="SUBSIDIARY_OF", **{"from": keep}, to=parent, since="2020-01-01")
    link(gql, type="SUBSIDIARY_OF", **{"from": dup}, to=parent, ownership=0.6)
    link(gql, type="SUPPLIES", **{"from": keep}, to=buyer, until="2030-01-01")
    link(gql, type="SUPPLIES", **{"from": dup}, to=buyer, products="钢材")
    link(gql, type="SUPPLIES", **{"from": vendor}, to=keep, since="2019-01-01")
    link(gql, type="SUPPLIES", **{"from": vendor}, to=dup, since="2018-01-01",
         until="2019-06-01")  # fmt: skip
    link(gql, type="SUPPLIES", **{"from": keep}, to=dup)  # between the two: dropped

    r = gql(MERGE_BY_TYPE, {"i": {"survivor": keep, "merged": [dup]}}).data["mergeCompanies"]
    assert r["errors"] == []
    assert (r["movedEdges"], r["movedByType"]) == (0, [])
    parents = edge_rows(cypher, keep, "SUBSIDIARY_OF")
    assert [(x["a"], x["b"], x["since"], x["ownership"]) for x in parents] == [
        (keep, parent, None, 0.6)
    ]
    supplies = edge_rows(cypher, keep, "SUPPLIES")
    assert len(supplies) == 2
    assert {(x["a"], x["b"], x["since"], x["until"], x["products"]) for x in supplies} == {
        (keep, buyer, None, None, "钢材"),
        (vendor, keep, "2018-01-01", None, None),
    }


MERGE_REPORT = """mutation($i: MergeInput!) { mergeCompanies(input: $i) {
  copiedFields droppedFields dryRun errors { code field } } }"""
FIELD_HISTORY = """query($n: ID!, $f: String!) { fieldHistory(node: $n, field: $f) {
  nodes { targetId oldValue newValue mergedFrom } } }"""
CHECK_HISTORY = """query($id: ID!) { verificationHistory(id: $id) { field status note mergedFrom }
  node(id: $id) { ... on Person { channels { field status } } } }"""


def test_a_merge_moves_field_history_to_the_survivor_marked(gql: GQL, cypher: Driver) -> None:
    """The merged record's history was left behind on a deleted node: neither id showed it."""
    created = [
        gql(
            "mutation($n: String!) { createCompany(input: {name: $n, phone: $p}) "
            "{ company { id } errors { code } } }".replace("$p", '"0571 8811 0001"'),
            {"n": name},
        ).data["createCompany"]
        for name in ("钱塘精工有限公司", "钱塘精工")
    ]
    keep, dup = (c["company"]["id"] for c in created)
    changed = gql(
        "mutation($id: ID!) { updateCompany(input: "
        '{id: $id, expectedVersion: 1, phone: "0571 8811 0002"}) { errors { code } } }',
        {"id": dup},
    ).data["updateCompany"]
    assert changed["errors"] == []
    merged = gql(MERGE_COMPANIES, {"i": {"survivor": keep, "merged": [dup]}})
    assert merged.data["mergeCompanies"]["errors"] == []
    for asked in (keep, dup):  # the merged id reads the survivor's history
        history = gql(FIELD_HISTORY, {"n": asked, "f": "phone"}).data["fieldHistory"]["nodes"]
        assert history == [
            {"targetId": keep, "oldValue": "+8657188110001", "newValue": "+8657188110002",
             "mergedFrom": dup}
        ]  # fmt: skip


def test_the_newer_check_of_one_number_is_the_current_one_after_a_merge(
    gql: GQL, cypher: Driver
) -> None:
    """A dead number checked INVALID on the merged record stayed VERIFIED on the survivor."""
    for newer_on_merged in (True, False):
        keep, dup = node(cypher, "Person", "林晓"), node(cypher, "Person", "林晓 (ERP)")
        cypher.execute_query(
            "MATCH (p:Person) WHERE p.id IN [$k, $d] SET p.mobile = '+8613911110002'",
            k=keep, d=dup, database_="neo4j",
        )  # fmt: skip
        old, new = "2026-10-01T10:00:00+08:00", "2026-11-20T10:00:00+08:00"
        checks = [
            {"id": keep, "field": "MOBILE", "status": "VERIFIED", "method": "CALL",
             "at": new if not newer_on_merged else old, "note": "ok"},
            {"id": dup, "field": "MOBILE", "status": "INVALID", "method": "CALL",
             "at": new if newer_on_merged else old, "note": "空号"},
        ]  # fmt: skip
        done = gql(
            "mutation($c: [ChannelCheckInput!]!) { verifyChannels(input: {checks: $c}) "
            "{ errors { code field } } }",
            {"c": checks},
        )
        assert done.data["verifyChannels"]["errors"] == []
        r = gql(MERGE_PEOPLE, {"i": {"survivor": keep, "merged": [dup]}})
        assert r.data["mergePeople"]["errors"] == []
        seen = gql(CHECK_HISTORY, {"id": keep}).data
        current = {c["field"]: c["status"] for c in seen["node"]["channels"]}
        assert current["MOBILE"] == ("INVALID" if newer_on_merged else "VERIFIED")
        history = [(c["status"], c["mergedFrom"]) for c in seen["verificationHistory"]]
        expected = [("INVALID", dup), ("VERIFIED", None)]
        assert history == (expected if newer_on_merged else expected[::-1])


def test_a_dry_run_names_the_values_a_merge_would_drop(gql: GQL, cypher: Driver) -> None:
    """Conflicting values were dropped without a word, and copiedFields showed property names
    such as addressStatusAt."""
    keep, dup = node(cypher, "Company", "西湖光电有限公司"), node(cypher, "Company", "西湖光电")
    cypher.execute_query(
        "MATCH (k:Company {id: $k}), (d:Company {id: $d}) "
        "SET k.phone = '+8657188220001', d.phone = '+8657188220002', d.industry = '光电', "
        "d.address = '杭州市西湖区文三路1号', d.addressStatus = 'VERIFIED', "
        "d.addressStatusAt = datetime('2026-11-01T10:00:00+08:00'), d.addressStatusBy = 'u', "
        "d.addressStatusMethod = 'VISIT', d.`custom.grade` = 'A', k.`custom.grade` = 'B'",
        k=keep, d=dup, database_="neo4j",
    )  # fmt: skip
    for dry in (True, False):
        r = gql(MERGE_REPORT, {"i": {"survivor": keep, "merged": [dup], "dryRun": dry}})
        report = r.data["mergeCompanies"]
        assert report["errors"] == []
        assert report["dryRun"] is dry
        assert report["droppedFields"] == ["custom.grade", "name", "phone"]
        assert report["copiedFields"] == ["address", "industry", "channels.address"]
