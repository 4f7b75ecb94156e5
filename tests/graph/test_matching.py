"""graph/matching.py alone (no database): normalisers, blocking keys, scores and their reasons,
and recall and precision of blocking plus scoring on planted duplicates."""

from __future__ import annotations

import pytest

from bench.duplicates import measure_quality, planted
from graph import duplicates, matching, pinyin
from graph.matching import CompanyRecord, PersonRecord
from graph.vocab import Label


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("华为技术有限公司", "华为技术"),
        ("北京华为技术有限公司", "华为技术"),
        ("上海市华为技术股份有限公司", "华为技术"),
        ("广东省深圳市华为技术有限公司", "华为技术"),
        ("北京市海淀区华为技术有限公司", "华为技术"),
        ("华为技术（深圳）有限公司", "华为技术"),
        ("华为技术(深圳)有限公司", "华为技术"),
        ("华为技术有限公司北京分公司", "华为技术"),
        ("华为技术有限公司广东省深圳办事处", "华为技术"),
        ("华为技术有限责任公司上海办事处", "华为技术"),
        ("华为技术集团有限公司", "华为技术"),
        ("华为技术事业部", "华为技术"),
        ("华为技术子公司", "华为技术"),
        ("ＨＵＡＷＥＩ Technologies Co., Ltd.", "huaweitechnologies"),
        ("Huawei Technologies Co.,Ltd. Beijing Branch", "huaweitechnologies"),
        ("Shanghai Huawei Technologies Limited", "huaweitechnologies"),
        # Not regions: a name that merely starts like one keeps its characters.
        ("区块链科技有限公司", "区块链科技"),
        ("北京区块链科技有限公司", "区块链科技"),
        ("重庆长安汽车股份有限公司", "长安汽车"),
        # Invisible characters of names stored before the text rule: no key of their own.
        ("华为\u200b技术\ufeff有限\u00ad公司", "华为技术"),
        ("\u202e华为技术有限公司", "华为技术"),
        # Traditional characters (Taiwan, Hong Kong): the same company.
        ("北京星河數據科技有限公司", "星河数据科技"),
        ("華為技術有限公司", "华为技术"),
        ("", ""),
    ],
)
def test_company_names_normalise_to_their_core(name: str, core: str) -> None:
    assert matching.company_name(name) == core


def test_trade_name_drops_the_line_of_business() -> None:
    assert matching.trade_name("北京华瑞泰科技有限公司") == "华瑞泰"
    assert matching.trade_name("华瑞泰有限公司") == "华瑞泰"
    assert matching.industry_word("华瑞泰物流") == "物流"
    assert matching.industry_word("科技") == ""  # the word alone is the whole name


def test_pinyin_forms_meet_across_scripts_and_orders() -> None:
    zhang = matching.pinyin_forms("张伟")
    assert zhang == {"zhangwei", "weizhang"}
    assert matching.pinyin_forms("Zhang Wei") == zhang
    assert matching.pinyin_forms("WEI ZHANG") == zhang
    assert matching.pinyin_forms("张 伟") == zhang
    assert "zhangwei" in matching.pinyin_forms("zhangwei")
    assert matching.pinyin_forms("李伟") & zhang == frozenset()
    assert matching.pinyin_forms(None) == frozenset()


def test_phones_emails_and_codes_normalise() -> None:
    e164 = "+8613800138000"
    for typed in ("138 0013 8000", "+86-138-0013-8000", "0086 13800138000", "13800138000"):
        assert matching.phone(typed) == e164
    assert matching.phone("(010) 6266 1234") == "+861062661234"
    assert matching.phone("not a number") == ""
    assert matching.email(" Zhang.Wei@Example.CN ") == "zhang.wei@example.cn"
    assert matching.email("no-at-sign") == ""
    assert matching.credit_code("9144 0300 7084 6139 3q") == "91440300708461393Q"


def test_company_keys_block_by_code_phone_and_name() -> None:
    keys = matching.company_keys(
        CompanyRecord(
            "c1", "北京华为技术有限公司", creditCode="91440300708461393Q", phone="010 6266 1234"
        )
    )
    assert keys == {"code:91440300708461393Q", "tel:+861062661234", "name:华为技术"}


def test_person_keys_block_pinyin_only_within_a_company() -> None:
    alone = matching.person_keys(PersonRecord("p1", "张伟"))
    assert alone == set()  # a name alone blocks nothing: 张伟 is common across the country
    keys = matching.person_keys(
        PersonRecord("p1", "张伟", mobile="138 0013 8000", email="A@B.cn", companies=("c1",))
    )
    assert keys == {"tel:+8613800138000", "mail:a@b.cn", "py:c1:zhangwei", "py:c1:weizhang"}


def test_company_scores_come_with_their_reasons() -> None:
    same_code = matching.score_companies(
        CompanyRecord("a", "华为技术有限公司", creditCode="91440300708461393Q"),
        CompanyRecord("b", "深圳华为", creditCode="91440300708461393Q"),
    )
    assert same_code.score >= 0.99
    assert same_code.reasons[0] == "SAME_CREDIT_CODE"
    variant = matching.score_companies(
        CompanyRecord("a", "北京华为技术有限公司"), CompanyRecord("b", "华为技术有限公司深圳分公司")
    )
    assert variant.reasons == ("NAME_EQUAL",)
    assert variant.score >= matching.THRESHOLD
    sister = matching.score_companies(
        CompanyRecord("a", "华瑞泰科技有限公司", phone="+861062661234"),
        CompanyRecord("b", "华瑞泰物流有限公司", phone="010-62661234"),
    )
    assert "SAME_PHONE" in sister.reasons
    assert "DIFFERENT_INDUSTRY" in sister.reasons
    assert sister.score < matching.THRESHOLD
    two_codes = matching.score_companies(
        CompanyRecord("a", "华为技术有限公司", creditCode="91440300708461393Q"),
        CompanyRecord("b", "华为技术有限公司", creditCode="91110000802100433B"),
    )
    assert "DIFFERENT_CREDIT_CODE" in two_codes.reasons
    assert two_codes.score < matching.THRESHOLD
    similar = matching.score_companies(
        CompanyRecord("a", "华瑞泰达科技有限公司"), CompanyRecord("b", "华瑞泰科技有限公司")
    )
    assert similar.reasons == ("NAME_SIMILAR 0.86",)


def test_person_scores_come_with_their_reasons() -> None:
    pinyin = matching.score_people(
        PersonRecord("a", "张伟", companies=("c",)),
        PersonRecord("b", "Zhang Wei", companies=("c",)),
    )
    assert pinyin.reasons == ("SAME_COMPANY", "PINYIN_EQUAL")
    assert pinyin.score >= matching.THRESHOLD
    phone = matching.score_people(
        PersonRecord("a", "张伟", mobile="+8613800138000"),
        PersonRecord("b", "张 伟", mobile="138-0013-8000"),
    )
    assert phone.reasons == ("SAME_PHONE", "NAME_EQUAL")
    assert phone.score == pytest.approx(0.91)
    relative = matching.score_people(
        PersonRecord("a", "卢艳婷", mobile="+8613800138000"),
        PersonRecord("b", "尹婷", mobile="+8613800138000"),
    )
    assert relative.score <= matching.CAP_WHEN_NAMES_DIFFER  # a shared line, two people
    mail = matching.score_people(
        PersonRecord("a", "王芳", email="wf@example.cn"),
        PersonRecord("b", "王芳", email="WF@Example.cn"),
    )
    assert mail.reasons == ("SAME_EMAIL", "NAME_EQUAL")


def test_blocks_over_the_cap_are_skipped_not_compared() -> None:
    switchboard = [
        CompanyRecord(f"c{i:03d}", f"公司{i:03d}号", phone="+861062661234")
        for i in range(duplicates.MAX_BLOCK + 1)
    ]
    out = duplicates.candidate_pairs(Label.COMPANY, switchboard)
    assert out["skippedBlocks"] == 1
    assert out["comparisons"] == 0
    out = duplicates.candidate_pairs(Label.COMPANY, switchboard[:3])
    assert (out["blocks"], out["comparisons"]) == (1, 3)


def test_one_id_number_is_one_person_and_two_are_two() -> None:
    # Entered twice: a typo in the name, a new mobile; the ID number's digest is the same.
    a = PersonRecord("a", "张伟", mobile="13800138000", idDigest="d1")
    b = PersonRecord("b", "章伟", mobile="13900139000", idDigest="d1")
    same = matching.score_people(a, b)
    assert same.reasons[0] == "SAME_ID_NUMBER"
    assert same.score >= matching.THRESHOLD  # despite the name and the mobiles
    assert "idn:d1" in matching.person_keys(a) & matching.person_keys(b)
    # Namesakes at one company with two ID numbers: two people.
    x = PersonRecord("x", "王芳", companies=("c",), idDigest="d2")
    y = PersonRecord("y", "王芳", companies=("c",), idDigest="d3")
    two = matching.score_people(x, y)
    assert "DIFFERENT_ID_NUMBER" in two.reasons
    assert two.score < matching.THRESHOLD


def test_recall_and_precision_on_planted_duplicates() -> None:
    """Known answers: a generated set with planted Chinese-name variants (bench/duplicates.py).
    Companies miss only `no_industry` variants that share no key; people miss none."""
    q = measure_quality(planted(n_companies=600, n_people=1200, seed=11))
    companies, people = q["companies"], q["people"]
    assert companies["planted"] > 150
    assert people["planted"] > 300
    assert companies["recall"] >= 0.88
    assert companies["precision"] >= 0.97
    assert people["recall"] >= 0.99
    assert people["precision"] >= 0.98
    # Blocking, not all pairs: comparisons stay near the number of planted pairs.
    assert companies["comparisons"] < 3 * companies["planted"]
    assert people["comparisons"] < 3 * people["planted"]


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("华星智能制造有限公司武汉分公司", "武汉"),
        ("华星智能制造有限公司武汉市分公司", "武汉"),
        ("华星智能制造（苏州）有限公司", "苏州"),
        ("华为技术有限公司广东省深圳办事处", "深圳"),
        ("Huawei Technologies Co.,Ltd. Beijing Branch", "beijing"),
        # No establishment named: a registered name's leading region, a trade name in brackets,
        # the national entity, a branch without a place.
        ("北京华为技术有限公司", ""),
        ("华为技术（集团）有限公司", ""),
        ("华为技术(中国)有限公司", ""),
        ("华为技术事业部", ""),
        (None, ""),
    ],
)
def test_branch_place_is_the_place_a_branch_is_named_for(name: str | None, place: str) -> None:
    assert matching.branch_place(name) == place


def test_two_leading_regions_are_two_registrations() -> None:
    two_cities = matching.score_companies(
        CompanyRecord("a", "苏州华星智能制造有限公司"),
        CompanyRecord("b", "北京华星智能制造有限公司"),
    )
    assert "DIFFERENT_BRANCH" in two_cities.reasons
    assert two_cities.score < matching.THRESHOLD
    # one company entered with and without its city, or with the city twice: still one
    for a, b in [
        ("上海华星集团有限公司", "华星集团有限公司"),
        ("北京华星有限公司", "北京市华星有限公司"),
    ]:
        assert matching.score_companies(CompanyRecord("a", a), CompanyRecord("b", b)).reasons == (
            "NAME_EQUAL",
        ), (a, b)


def test_branches_named_for_different_places_are_not_one_company() -> None:
    suzhou = CompanyRecord("a", "华星智能制造（苏州）有限公司", phone="+862788881234")
    wuhan = CompanyRecord("b", "华星智能制造有限公司武汉分公司", phone="027-8888 1234")
    two = matching.score_companies(suzhou, wuhan)
    assert "NAME_EQUAL" not in two.reasons
    assert "DIFFERENT_BRANCH" in two.reasons
    assert two.score < matching.THRESHOLD  # even on the group's switchboard
    long = matching.score_companies(
        CompanyRecord("a", "华瑞泰达恒信鼎聚有限公司上海分公司"),
        CompanyRecord("b", "华瑞泰达恒信鼎聚有限公司杭州分公司"),
    )
    assert long.score < matching.THRESHOLD
    # The same place written two ways, and a parent with a branch that is not linked to it
    # (one company entered twice, the planted `branch` variant): still equal.
    same = matching.score_companies(
        CompanyRecord("a", "华星智能制造有限公司武汉分公司"),
        CompanyRecord("b", "华星智能制造有限公司武汉市分公司"),
    )
    assert same.reasons == ("NAME_EQUAL",)
    parent = matching.score_companies(
        CompanyRecord("a", "华星智能制造有限公司"),
        CompanyRecord("b", "华星智能制造有限公司武汉分公司"),
    )
    assert parent.reasons == ("NAME_EQUAL",)
    # Latin and Chinese spellings of a place are not compared.
    mixed = matching.score_companies(
        CompanyRecord(
            "a", "华为技术有限公司北京分公司", nameEn="Huawei Technologies Beijing Branch"
        ),
        CompanyRecord("b", "Huawei Technologies Co.,Ltd. Beijing Branch"),
    )
    assert "DIFFERENT_BRANCH" not in mixed.reasons


def test_a_company_and_its_own_subsidiary_are_never_a_pair() -> None:
    parent = CompanyRecord("p", "华星智能制造有限公司", linked=frozenset({"w"}))
    wuhan = CompanyRecord("w", "华星智能制造有限公司武汉分公司", linked=frozenset({"p"}))
    twice = CompanyRecord("t", "华星智能制造股份有限公司")  # the parent entered twice
    out = duplicates.candidate_pairs(Label.COMPANY, [parent, wuhan, twice])
    assert set(out["found"]) == {("p", "t"), ("t", "w")}


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("广东省深圳市瀚川精密有限公司", "深圳"),
        ("广东深圳博衍精密有限公司", "深圳"),
        ("浙江省杭州市云帆软件有限公司", "杭州"),
        ("中国广东省深圳市华星有限公司", "深圳"),
        ("广东省博衍精密有限公司", "广东"),  # a province alone is still a place
        ("Guangdong Shenzhen Huawei Technologies", "shenzhen"),
        ("深圳市博衍精密有限公司", "深圳"),
        ("中国华星有限公司", ""),
    ],
)
def test_a_province_and_then_a_city_lead_with_the_city(name: str, place: str) -> None:
    assert matching.leading_place(name) == place


def test_a_province_and_a_city_in_it_are_one_place() -> None:
    for a, b in [
        ("深圳市瀚川精密有限公司", "广东省深圳市瀚川精密有限公司"),
        ("深圳市博衍精密有限公司", "广东省深圳市博衍精密有限公司"),
        ("深圳市博衍精密有限公司", "广东深圳博衍精密有限公司"),
        ("深圳市博衍精密有限公司", "广东省博衍精密有限公司"),
        ("杭州云帆软件有限公司", "浙江省杭州市云帆软件有限公司"),
    ]:
        x, y = CompanyRecord("a", a), CompanyRecord("b", b)
        assert matching.company_keys(x) & matching.company_keys(y), (a, b)  # one block
        assert matching.score_companies(x, y).reasons == ("NAME_EQUAL",), (a, b)
    # A province and a city outside it are two places, as two provinces are.
    for a, b in [
        ("广东省博衍精密有限公司", "杭州博衍精密有限公司"),
        ("广东省博衍精密有限公司", "浙江省博衍精密有限公司"),
        ("广东省深圳市博衍精密有限公司", "江苏省苏州市博衍精密有限公司"),
    ]:
        two = matching.score_companies(CompanyRecord("a", a), CompanyRecord("b", b))
        assert "DIFFERENT_BRANCH" in two.reasons, (a, b)
        assert two.score < matching.THRESHOLD, (a, b)


def test_every_city_of_a_province_is_a_listed_region() -> None:
    listed = set(matching.REGIONS) | set(matching.REGIONS_EN)
    assert set(matching.PROVINCE_CITIES) <= listed
    assert set(matching.PROVINCE_OF) <= listed


def test_a_head_office_and_its_branch_in_another_city_are_two_places() -> None:
    for a, b in [
        ("杭州澜舟软件有限公司", "杭州澜舟软件有限公司上海分公司"),
        ("杭州博衍精密有限公司", "杭州博衍精密有限公司上海分公司"),
        ("杭州博衍精密有限公司", "杭州博衍精密有限公司上海办事处"),
        ("杭州博衍精密有限公司", "杭州博衍精密(上海)有限公司"),
        ("杭州博衍精密有限公司上海分公司", "杭州博衍精密有限公司武汉分公司"),
    ]:
        two = matching.score_companies(CompanyRecord("a", a), CompanyRecord("b", b))
        assert "NAME_EQUAL" not in two.reasons, (a, b)
        assert "DIFFERENT_BRANCH" in two.reasons, (a, b)
        assert two.score < matching.THRESHOLD, (a, b)
    # An establishment in the head office's own city, or in none, is the head office entered
    # again; so is a branch elsewhere of a name entered with its city (README: Duplicates).
    for a, b in [
        ("北京博衍精密有限公司", "北京博衍精密有限公司北京分公司"),
        ("北京博衍精密有限公司", "北京博衍精密有限公司分公司"),
        ("北京博衍精密有限公司", "北京博衍精密有限公司北京市办事处"),
        ("北京博衍精密有限公司", "博衍精密有限公司武汉分公司"),
    ]:
        same = matching.score_companies(CompanyRecord("a", a), CompanyRecord("b", b))
        assert same.reasons == ("NAME_EQUAL",), (a, b)


# Polyphonic family names, each with the reading search gives it (graph/pinyin.py).
FAMILY_NAMES = [
    ("单雄飞", "Shan Xiongfei"),
    ("曾芳", "Zeng Fang"),
    ("解小龙", "Xie Xiaolong"),
    ("仇大海", "Qiu Dahai"),
    ("区志强", "Ou Zhiqiang"),
    ("查良镛", "Zha Liangyong"),
    ("朴志勇", "Piao Zhiyong"),
    ("盖聂", "Ge Nie"),
    ("秘书华", "Bi Shuhua"),
    ("种师道", "Chong Shidao"),
    ("欧阳建国", "Jianguo Ouyang"),
    ("尉迟恭", "Yuchi Gong"),
    ("单于雄", "Xiong Chanyu"),
    ("單雄飛", "Xiongfei Shan"),  # traditional characters: the same family name
]


@pytest.mark.parametrize(("han", "latin"), FAMILY_NAMES)
def test_family_names_are_read_as_search_reads_them(han: str, latin: str) -> None:
    same = matching.score_people(
        PersonRecord("a", han, companies=("c",)), PersonRecord("b", latin, companies=("c",))
    )
    assert same.reasons == ("SAME_COMPANY", "PINYIN_EQUAL")
    assert same.score >= matching.THRESHOLD
    key = f"py:c:{latin.replace(' ', '').lower()}"
    assert key in matching.person_keys(PersonRecord("a", han, companies=("c",)))
    # Every reading the scan pairs by, search finds the name by.
    searched = set((pinyin.name_keys(Label.PERSON, han) or "").split())
    assert matching.pinyin_forms(han) <= searched


def test_the_common_reading_of_a_family_name_is_kept_as_search_keeps_it() -> None:
    assert "danxiongfei" in set((pinyin.name_keys(Label.PERSON, "单雄飞") or "").split())
    dan = matching.score_people(
        PersonRecord("a", "单雄飞", companies=("c",)),
        PersonRecord("b", "Dan Xiongfei", companies=("c",)),
    )
    assert dan.reasons == ("SAME_COMPANY", "PINYIN_EQUAL")
    # A compound family name is read as one word: not wei chi, and not split in Latin order.
    assert matching.pinyin_forms("尉迟恭") == {"yuchigong", "gongyuchi"}
    assert matching.pinyin_forms("欧阳建国") == {"ouyangjianguo", "jianguoouyang"}


def test_traditional_and_simplified_person_names_are_one_name() -> None:
    assert matching.person_name("劉 建華") == "刘建华"
    same = matching.score_people(
        PersonRecord("a", "劉建華", companies=("c",)),
        PersonRecord("b", "刘建华", companies=("c",)),
    )
    assert same.reasons == ("SAME_COMPANY", "NAME_EQUAL")
    assert same.score >= matching.THRESHOLD
