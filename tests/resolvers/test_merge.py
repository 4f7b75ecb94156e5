"""Merging duplicates through the real app: edges move, history stays, old ids resolve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL, PERSONAS
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
