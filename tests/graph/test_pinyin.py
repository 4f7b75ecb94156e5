"""Pinyin keys of names (graph/pinyin.py): pure functions, and `fill` on a real Neo4j."""

from __future__ import annotations

import asyncio
from pathlib import Path

from graph import matching, pinyin
from graph.actor import Actor
from graph.db import Database
from graph.server import LocalNeo4j
from graph.vocab import Label
from neo4j import Driver


def words(label: Label, name: str) -> set[str]:
    return set((pinyin.name_keys(label, name) or "").split())


def test_company_keys_with_and_without_the_leading_region() -> None:
    assert words(Label.COMPANY, "华星集团有限公司") == {"huaxingjituanyouxiangongsi", "hxjtyxgs"}
    assert words(Label.COMPANY, "深圳市华星科技有限公司") == {
        "shenzhenshihuaxingkejiyouxiangongsi",
        "szshxkjyxgs",
        "huaxingkejiyouxiangongsi",
        "hxkjyxgs",
    }
    # Phrases read as phrases: 银行 is yinhang, 重庆 chongqing, not character by character.
    assert "chongqingyinhang" in words(Label.COMPANY, "重庆银行")
    # Full-width letters fold; a Latin run stays one word with one initial.
    assert words(Label.COMPANY, "ＡＢＣ华星") == {"abchuaxing", "ahx"}
    assert pinyin.name_keys(Label.COMPANY, "Huawei Technologies") is None


def test_bu_and_shi_alone_read_as_names_read_them() -> None:
    # Tester BK: 阿卜杜拉 was keyed abodula (pypinyin reads a lone 卜 as in 萝卜).
    assert "abudula" in words(Label.PERSON, "阿卜杜拉")
    assert "ashidun" in words(Label.PERSON, "阿什顿")
    assert "abudula" in matching.pinyin_forms("阿卜杜拉")
    # The words keep their own readings.
    assert "luoboshangdian" in words(Label.COMPANY, "萝卜商店")
    assert "shenmegongsi" in words(Label.COMPANY, "什么公司")


def test_person_keys_in_both_orders_and_family_readings() -> None:
    assert words(Label.PERSON, "王芳") == {"wangfang", "wf", "fangwang"}
    # 曾 is ceng in a word and zeng as a family name: both are kept.
    assert {"zengfang", "zf", "fangzeng", "cengfang"} <= words(Label.PERSON, "曾芳")
    assert "shanxiongxin" in words(Label.PERSON, "单雄信")
    # A two-character family name stays together in the Latin order.
    assert "jianguoouyang" in words(Label.PERSON, "欧阳建国")
    assert "lvbu" in words(Label.PERSON, "吕布")  # ü is typed v
    assert pinyin.name_keys(Label.PERSON, "Zhang Wei") is None


def test_keys_follow_the_name_only() -> None:
    made = pinyin.with_keys(Label.COMPANY, {"name": "华星", "phone": "1"})
    assert made[pinyin.SOURCE] == "华星"
    assert made[pinyin.KEYS] == "huaxing hx"
    # A name that is already stored makes no keys: an idempotent upsert stays a no-op.
    assert pinyin.with_keys(Label.COMPANY, {"name": "华星"}, {"name": "华星"}) == {"name": "华星"}
    assert pinyin.with_keys(Label.COMPANY, {"phone": "1"}) == {"phone": "1"}
    assert pinyin.with_keys(Label.PROJECT, {"name": "华星"}) == {"name": "华星"}
    # A Latin name is marked done without keys (a stale key is then removed).
    assert pinyin.with_keys(Label.PERSON, {"name": "Li"}) == {
        "name": "Li",
        pinyin.KEYS: None,
        pinyin.SOURCE: "Li",
    }


def test_query_takes_latin_letters_only() -> None:
    assert pinyin.query("hua xing") == "huaxing*"
    assert pinyin.query(" HXJT ") == "hxjt*"
    assert pinyin.query("h") is None
    assert pinyin.query("华星") is None
    assert pinyin.query("hx2") is None
    assert pinyin.query("a*b") is None  # nothing of Lucene's syntax gets through


def test_fill_makes_missing_and_stale_keys_once(cypher: Driver, neo4j_server: LocalNeo4j) -> None:
    cypher.execute_query(
        "CREATE (:Company {id: 'c1', name: '华星集团'}), (:Person {id: 'p1', name: '王芳'}), "
        "(:Person {id: 'p2', name: 'Li Lei'}), "
        "(:Company {id: 'c2', name: '新名字', namePinyin: 'jiumingzi jmz', "
        "namePinyinOf: '旧名字'}), "
        "(:Person {id: 'p3', name: '阿卜杜拉', namePinyin: 'abodula abdl', "
        "namePinyinOf: '阿卜杜拉'})",
        database_="neo4j",
    )
    # Keys made before 卜 read bu are forgotten by V0025, and remade.
    rekey = Path(__file__).parents[2] / "migrations" / "V0025__pinyin_of_bu_and_shi.cypher"
    cypher.execute_query(rekey.read_text(encoding="utf-8").rstrip().rstrip(";"), database_="neo4j")

    async def run() -> int:
        db = Database(neo4j_server.uri, "neo4j", neo4j_server.password)
        try:
            return await pinyin.fill(db, Actor("system:test"), batch=2)
        finally:
            await db.close()

    assert asyncio.run(run()) == 5
    assert asyncio.run(run()) == 0  # idempotent
    rows = cypher.execute_query(
        "MATCH (n) WHERE n.id IN ['c1', 'c2', 'p1', 'p2', 'p3'] "
        "RETURN n.id AS id, n.namePinyin AS keys, n.namePinyinOf AS source",
        database_="neo4j",
    ).records
    got = {r["id"]: (r["keys"], r["source"]) for r in rows}
    assert got == {
        "c1": ("huaxingjituan hxjt", "华星集团"),
        "c2": ("xinmingzi xmz", "新名字"),
        "p1": ("wangfang wf fangwang", "王芳"),
        "p2": (None, "Li Lei"),
        "p3": ("abudula abdl budulaa", "阿卜杜拉"),
    }
