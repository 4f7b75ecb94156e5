"""Duplicate matching (R22), pure: normalisers, blocking keys and pair scores with reasons.

No database here: graph/duplicates.py feeds records in and stores what comes out, and the
unit tests call these functions alone.

- Company names are compared after `company_name`: full-width/half-width and case folded,
  bracketed parts dropped (they hold a region or a trade name: 华为技术（深圳）有限公司), the
  branch or division suffix (北京分公司, 办事处, 事业部 …), the legal form (有限公司, 股份有限公司,
  Co., Ltd. …) and the leading region (广东省深圳市, 上海市, 北京 …) stripped.
- Person names are compared in simplified Chinese and in tone-less pinyin (pypinyin), so 张伟,
  "Zhang Wei", "Wei Zhang" and "ZHANGWEI" meet, a family name read as search reads it (单 as
  shan and dan); the pinyin key only blocks people of the same company.
- Scores combine evidence as a noisy-or (1 - Π(1 - wᵢ)): each reason adds its weight without
  the total passing 1, and each reason is listed with the score, so a reviewer sees why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import opencc
import phonenumbers
from rapidfuzz import fuzz

# Candidates at or above this score are stored for review.
THRESHOLD = 0.75

# Evidence weights (noisy-or). A shared credit code identifies the legal entity; a shared
# phone or e-mail is strong for a person, weaker for a company (a switchboard, an agent).
W_CREDIT_CODE = 0.99
W_ID_NUMBER = 0.99  # a resident ID number is one person's, as a credit code is one entity's
W_COMPANY_PHONE = 0.5
W_PERSON_PHONE = 0.7
W_EMAIL = 0.8
W_SAME_COMPANY = 0.3
# Contradicting contact data: both records have mobiles (or e-mails) and none is shared. Two
# namesakes in one 500-person company are two people unless something else joins them.
DIFFERENT_CONTACT = 0.85
# Names below this similarity count against a pair whatever else is shared (family members
# share a landline; a group shares a switchboard).
NAME_FLOOR = 0.5
CAP_WHEN_NAMES_DIFFER = 0.6
# People's names are short: 卢艳婷 and 尹婷 share a character and are two people.
PERSON_NAME_FLOOR = 0.8

_BRACKETS = re.compile(r"[(\[{（【〔][^)\]}）】〕]*[)\]}）】〕]")
_PUNCT = re.compile(r"[\s\-_.,，。·・'\"“”‘’&/\\:：;；!！?？]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")

# Longest first: 集团有限公司 before 有限公司 before 公司.
LEGAL_FORMS = sorted(
    [
        "集团股份有限公司", "集团有限责任公司", "集团有限公司", "股份有限公司", "有限责任公司",
        "有限公司", "股份公司", "集团公司", "总公司", "公司", "集团", "厂",
        "co.,ltd.", "co., ltd.", "co.,ltd", "co., ltd", "co ltd", "company limited",
        "corporation", "limited", "company", "group", "corp.", "corp", "inc.", "inc", "ltd.",
        "ltd", "llc", "gmbh", "co.",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
BRANCHES = sorted(
    ["分公司", "子公司", "办事处", "事业部", "代表处", "营业部", "分部", "分厂", "分店",
     "分所", "分行", "支行", "分中心", "branch", "office", "division"],
    key=len,
    reverse=True,
)  # fmt: skip
# Provinces, autonomous regions and the larger cities, without their 省/市 suffix.
REGIONS = sorted(
    {
        "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
        "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
        "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
        "澳门", "深圳", "广州", "杭州", "成都", "南京", "武汉", "西安", "苏州", "青岛", "大连",
        "宁波", "厦门", "沈阳", "长沙", "郑州", "济南", "合肥", "福州", "昆明", "哈尔滨",
        "长春", "石家庄", "太原", "南昌", "南宁", "贵阳", "兰州", "无锡", "佛山", "东莞",
        "珠海", "温州", "烟台", "常州", "徐州", "中国",
    },
    key=len,
    reverse=True,
)  # fmt: skip
REGIONS_EN = sorted(
    {"beijing", "shanghai", "tianjin", "chongqing", "shenzhen", "guangzhou", "hangzhou",
     "chengdu", "nanjing", "wuhan", "xian", "suzhou", "qingdao", "dalian", "xiamen", "china",
     "guangdong", "jiangsu", "zhejiang", "shandong"},
    key=len,
    reverse=True,
)  # fmt: skip
# Line-of-business words that end most Chinese company names: two names ending in different
# ones are sister companies or strangers, not one company spelled two ways.
INDUSTRY_WORDS = sorted(
    {"科技", "技术", "物流", "制造", "医药", "能源", "建设", "贸易", "电子", "软件", "食品",
     "投资", "实业", "咨询", "传媒", "地产", "置业", "化工", "机械", "电气", "环保", "材料",
     "通信", "网络", "信息", "金融", "保险", "证券", "汽车", "服装", "教育", "文化", "农业"},
    key=len,
    reverse=True,
)  # fmt: skip
# The listed cities of each province: a province and a city in it are not two places (广东省
# 深圳市 is one place, 深圳; 广东 and 深圳 may name it too), a city elsewhere is another place.
PROVINCE_CITIES = {
    "广东": ("深圳", "广州", "佛山", "东莞", "珠海"), "浙江": ("杭州", "宁波", "温州"),
    "江苏": ("南京", "苏州", "无锡", "常州", "徐州"), "山东": ("青岛", "济南", "烟台"),
    "辽宁": ("大连", "沈阳"), "福建": ("厦门", "福州"), "四川": ("成都",), "湖北": ("武汉",),
    "陕西": ("西安",), "湖南": ("长沙",), "河南": ("郑州",), "安徽": ("合肥",),
    "云南": ("昆明",), "黑龙江": ("哈尔滨",), "吉林": ("长春",), "河北": ("石家庄",),
    "山西": ("太原",), "江西": ("南昌",), "广西": ("南宁",), "贵州": ("贵阳",),
    "甘肃": ("兰州",), "海南": (), "青海": (), "台湾": (), "内蒙古": (), "西藏": (),
    "宁夏": (), "新疆": (),
    "guangdong": ("shenzhen", "guangzhou"), "zhejiang": ("hangzhou",),
    "jiangsu": ("nanjing", "suzhou"), "shandong": ("qingdao",),
}  # fmt: skip
PROVINCE_OF = {city: province for province, cs in PROVINCE_CITIES.items() for city in cs}
_REGION_SUFFIX = ("特别行政区", "自治区", "省", "市")
# A leading administrative unit that is not on the list: two or three characters and a suffix.
_ADMIN_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:省|市|自治区)")
# A district or county, stripped only right after a region: 北京市海淀区华为 → 华为.
_DISTRICT_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}?(?:区|县)")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


# Format characters that show nothing (soft hyphen, zero-width, direction marks, BOM): names
# stored before the text rule (resolvers/validation.py) or loaded raw may still hold them.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), case folded, invisible format characters dropped."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold().strip()


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # its phrase tables load once, in about 0.1 s


def simplified(text: str) -> str:
    """Traditional characters as simplified ones (華星集團 → 华星集团), as search folds them
    (graph/search.py): one company written both ways is one company."""
    if text.isascii():
        return text
    return str(_to_simplified().convert(text))


def _strip_suffix(s: str, suffixes: Iterable[str]) -> tuple[str, bool]:
    for suffix in suffixes:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)].rstrip(" ,.-"), True
    return s, False


def _strip_region_prefix(s: str) -> str:
    changed, stripped = True, False
    while changed:
        changed = False
        for region in REGIONS:
            if s.startswith(region) and len(s) > len(region) + 1:
                s = s[len(region) :]
                for suffix in _REGION_SUFFIX:
                    if s.startswith(suffix) and len(s) > len(suffix) + 1:
                        s = s[len(suffix) :]
                        break
                changed = True
                break
        if not changed:
            m = _ADMIN_PREFIX.match(s) or (_DISTRICT_PREFIX.match(s) if stripped else None)
            if m and len(s) > m.end() + 1:
                s = s[m.end() :]
                changed = True
        stripped = stripped or changed
    words = s.split(" ")
    while len(words) > 1 and words[0] in REGIONS_EN:
        words = words[1:]
    return " ".join(words)


def without_leading_region(name: str) -> str:
    """A folded name without the region it starts with: 深圳市华星科技 → 华星科技."""
    return _strip_region_prefix(fold(name))


def _strip_region_suffix(s: str) -> str:
    """Regions left at the end once the branch is gone: 华为广东省深圳(分公司) → 华为."""
    changed = True
    while changed:
        changed = False
        for region in REGIONS:
            for suffix in ("", *_REGION_SUFFIX):
                tail = region + suffix
                if s.endswith(tail) and len(s) > len(tail) + 1:
                    s, changed = s[: -len(tail)], True
                    break
            if changed:
                break
    words = s.split(" ")
    while len(words) > 1 and words[-1] in REGIONS_EN:
        words = words[:-1]
    return " ".join(words)


def industry_word(core: str) -> str:
    """The line-of-business word a normalised name ends with, or ""."""
    return next((w for w in INDUSTRY_WORDS if core.endswith(w) and len(core) > len(w)), "")


@lru_cache(maxsize=1 << 18)
def trade_name(name: str | None) -> str:
    """`company_name` without its line-of-business word: the part that tells companies apart
    (华瑞泰科技 and 华瑞泰 are one trade name; 华瑞泰科技 and 中海金科技 share only 科技)."""
    core = company_name(name)
    word = industry_word(core)
    return core[: -len(word)] if word else core


# 中国 in a name is the national entity (华为技术（中国）), not an establishment somewhere.
_NOT_PLACES = frozenset({"中国", "china"})


def _region_at_end(s: str) -> str:
    """The region a text ends with, 省/市 and all: 有限公司广东省深圳 → 深圳; or ""."""
    for region in REGIONS:
        for suffix in ("", *_REGION_SUFFIX):
            if s.endswith(region + suffix) and region not in _NOT_PLACES:
                return region
    words = s.split(" ")
    return words[-1] if words[-1] in REGIONS_EN and words[-1] not in _NOT_PLACES else ""


@lru_cache(maxsize=1 << 18)
def branch_place(name: str | None) -> str:
    """The place an establishment is named for, which `company_name` strips: the region
    before a branch suffix (华星有限公司武汉分公司 → 武汉), else one in brackets (华星（苏州）
    有限公司 → 苏州); "" when there is none. A leading region is not one: 北京华星有限公司 is
    华星 registered in Beijing, and the same company is often entered without it."""
    if not name:
        return ""
    s = fold(name)
    rest = re.sub(r"\s+", " ", _BRACKETS.sub(" ", s)).strip()
    rest, branch = _strip_suffix(rest, BRANCHES)
    if branch and (place := _region_at_end(rest)):
        return place
    for bracket in _BRACKETS.findall(s):
        if place := _region_at_end(bracket[1:-1].strip()):
            return place
    return ""


def _leading_region(s: str) -> tuple[str, str]:
    """The listed region a folded name starts with, and the rest after it and its 省/市."""
    for region in REGIONS:
        if s.startswith(region) and len(s) > len(region) + 1:
            rest = s[len(region) :]
            for suffix in _REGION_SUFFIX:
                if rest.startswith(suffix) and len(rest) > len(suffix) + 1:
                    return region, rest[len(suffix) :]
            return region, rest
    words = s.split(" ")
    if len(words) > 1 and words[0] in REGIONS_EN:
        return words[0], " ".join(words[1:])
    return "", s


@lru_cache(maxsize=1 << 18)
def leading_place(name: str | None) -> str:
    """The region a name starts with (苏州华星有限公司 → 苏州), or "". A province followed by a
    city is the city (广东省深圳市华星 → 深圳); 中国 is no place."""
    if not name:
        return ""
    place, rest = "", fold(name)
    for _ in range(3):  # 中国, a province, a city
        region, rest = _leading_region(rest)
        if not region:
            break
        if region in _NOT_PLACES:
            continue
        if place and region not in PROVINCE_OF:
            break  # a province and then not a city: the trade name starts like a region
        place = region
        if region not in PROVINCE_CITIES:
            break
    return place


def _one_place(x: str, y: str) -> bool:
    """The same place, or a province and a city that can be in it (浙江 and 杭州)."""
    return x == y or PROVINCE_OF.get(x) == y or PROVINCE_OF.get(y) == x


def places(a: str | None, b: str | None) -> tuple[str, str]:
    """The places two names are establishments of. A leading region counts only when both
    names start with one: 北京华星 may be 华星 entered with its city, or the company whose
    branch 华星…武汉分公司 is, but 苏州华星 and 北京华星 are registered in two cities, and
    杭州华星 and 杭州华星…上海分公司 are establishments in two."""
    x, y = branch_place(a), branch_place(b)
    lead_x, lead_y = leading_place(a), leading_place(b)
    if lead_x and lead_y:
        return x or lead_x, y or lead_y
    if x or y:
        return x, y
    return lead_x, lead_y


def different_places(a: str | None, b: str | None) -> bool:
    """Both names are establishments named for places, and not the same place (a Latin and a
    Chinese place name are not compared: beijing and 北京 are one)."""
    x, y = places(a, b)
    return bool(x and y) and has_han(x) == has_han(y) and not _one_place(x, y)


@lru_cache(maxsize=1 << 18)
def company_name(name: str | None, convert: bool = True) -> str:
    """The comparable core of a company name: 广东省深圳市华为技术有限公司北京分公司 → 华为技术.
    `convert=False` keeps the characters as written (no traditional to simplified): the core
    to look for inside stored names, which are kept as written (乾 is not 干 there)."""
    if not name:
        return ""
    s = _BRACKETS.sub(" ", fold(simplified(name) if convert else name))
    s = re.sub(r"\s+", " ", s).strip()
    # Branch first (it follows the legal form: …有限公司北京分公司), then what it leaves.
    for _ in range(3):
        s, branch = _strip_suffix(s, BRANCHES)
        if branch:
            s = _strip_region_suffix(s)
        s, legal = _strip_suffix(s, LEGAL_FORMS)
        if not branch and not legal:
            break
    s = _strip_region_prefix(s)
    s, _ = _strip_suffix(s, LEGAL_FORMS)
    return _PUNCT.sub("", s)


def email(value: str | None) -> str:
    return fold(value) if value and "@" in value else ""


@lru_cache(maxsize=1 << 18)
def phone(value: str | None, region: str = "CN") -> str:
    """E.164, or "" when it does not parse as a possible number (then it blocks nothing)."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def credit_code(value: str | None) -> str:
    return re.sub(r"[^0-9A-Z]", "", fold(value).upper()) if value else ""


@lru_cache(maxsize=1 << 18)
def person_name(name: str | None) -> str:
    """Folded and simplified, without spaces and punctuation: 張 偉 → 张伟, "Zhang Wei" →
    zhangwei (traditional and simplified are one name, as for companies)."""
    return _PUNCT.sub("", fold(simplified(name))) if name else ""


# Family names read otherwise than the character's common reading, which pypinyin gives.
# Search (graph/pinyin.py) reads them from here too, so both find a name by the same readings.
FAMILY_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "区": "ou", "盖": "ge", "乐": "yue", "覃": "qin", "翟": "zhai", "员": "yun", "种": "chong",
    "缪": "miao", "秘": "bi", "召": "shao", "折": "she", "尉": "yu", "长": "zhang", "藏": "zang",
    "谌": "chen", "能": "nai", "祭": "zhai", "句": "gou", "柏": "bai", "薄": "bo", "繁": "po",
    "隗": "wei", "冼": "xian", "黑": "he", "重": "chong", "万": "wan", "沈": "shen",
}  # fmt: skip
# Two-character family names: read as one word (尉迟 yuchi, 单于 chanyu), kept together in the
# Latin order.
COMPOUND_FAMILY = frozenset(
    ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐",
     "宇文", "夏侯", "轩辕", "端木", "司徒", "西门", "南宫", "独孤", "万俟", "呼延", "澹台",
     "单于"]
)  # fmt: skip


def family_readings(name: str, syllables: list[str]) -> list[tuple[list[str], list[str]]]:
    """A Chinese name's pinyin split into family and given name, once per reading of the
    family name: pypinyin's, then its own as a family name where that differs (曾 is ceng in
    a word, zeng as a family name). `syllables` are pypinyin's readings of `name`."""
    head = simplified(name[:2])  # 單 and 歐陽 are family names too
    size = 2 if head in COMPOUND_FAMILY and len(syllables) > 2 else 1
    family, given = syllables[:size], syllables[size:]
    out = [(family, given)]
    own = FAMILY_READINGS.get(head[:1]) if size == 1 else None
    if own is not None and own != family[0]:
        out.append(([own], given))
    return out


# Characters whose first reading in pypinyin, alone, is the one of a single word: 卜 is bo
# (萝卜), 什 shen (什么), though names and transliterations read them bu and shi (阿卜杜拉
# abudula, tester BK). Those words are in its phrase list, which keeps their readings.
_SINGLE_READINGS = {ord("卜"): "bǔ,bo,pú", ord("什"): "shí,shén"}


@lru_cache(maxsize=1)
def _pypinyin() -> Any:
    # Imported here: loading its dictionaries takes about 0.5 s of every process's start, and
    # most processes (CLI commands, serve until a duplicate scan) never need it.
    import pypinyin

    pypinyin.load_single_dict(_SINGLE_READINGS)
    return pypinyin


def readings(text: str) -> list[str]:
    """Tone-less pinyin of `text` read as a whole (phrases as phrases): one item per Chinese
    character, and one per run of other characters."""
    p = _pypinyin()
    return list(p.lazy_pinyin(text, style=p.Style.NORMAL, errors="default"))


@lru_cache(maxsize=1 << 18)
def pinyin_forms(name: str | None) -> frozenset[str]:
    """Tone-less pinyin of a name in both orders: 张伟 → {zhangwei, weizhang}; "Wei Zhang" →
    {weizhang, zhangwei}; a one-word Latin name only as written. A family name is read as
    search reads it (`family_readings`): 单雄飞 is shanxiongfei and danxiongfei."""
    if not name:
        return frozenset()
    folded = fold(name)
    if _HAN.search(folded):
        han = "".join(c for c in folded if _HAN.match(c))
        # The whole name at once, as search reads it: 尉迟 is yuchi as a phrase, weichi
        # character by character.
        syllables = [s for s in readings(han) if s.isalpha()]
        if not syllables:
            return frozenset()
        forms: set[str] = set()
        for family, given in family_readings(han, syllables):
            # Family name first in Chinese; the Latin order puts it last.
            forms |= {"".join(family + given), "".join(given + family)}
        return frozenset(forms)
    words = [w for w in re.split(r"[\s\-_.,]+", folded) if w.isalpha()]
    if not words:
        return frozenset()
    return frozenset({"".join(words), "".join(words[1:] + words[:1])})


# --- records and blocking keys ------------------------------------------------------------


@dataclass(frozen=True)
class CompanyRecord:
    id: str
    name: str | None = None
    nameEn: str | None = None
    shortName: str | None = None
    creditCode: str | None = None
    phone: str | None = None
    # Companies linked to this one by a current SUBSIDIARY_OF edge, either way: its parent
    # and its own subsidiaries and branches, which are never its duplicates.
    linked: frozenset[str] = field(default=frozenset())


@dataclass(frozen=True)
class PersonRecord:
    id: str
    name: str | None = None
    nameEn: str | None = None
    mobile: str | None = None
    officePhone: str | None = None
    email: str | None = None
    companies: tuple[str, ...] = field(default=())
    idDigest: str | None = None  # the ID number's keyed digest (graph/crypto.py), never the number


def company_from(row: dict[str, Any]) -> CompanyRecord:
    return CompanyRecord(
        id=str(row.get("id") or ""),
        name=row.get("name"),
        nameEn=row.get("nameEn"),
        shortName=row.get("shortName"),
        creditCode=row.get("unifiedSocialCreditCode") or row.get("creditCode"),
        phone=row.get("phone"),
        linked=frozenset(row.get("linked") or ()),
    )


def person_from(row: dict[str, Any]) -> PersonRecord:
    return PersonRecord(
        id=str(row.get("id") or ""),
        name=row.get("name"),
        nameEn=row.get("nameEn"),
        mobile=row.get("mobile"),
        officePhone=row.get("officePhone"),
        email=row.get("email"),
        companies=tuple(row.get("companies") or ()),
        idDigest=row.get("idNumberDigest"),
    )


def company_keys(c: CompanyRecord) -> set[str]:
    """Blocking keys: records sharing one are compared (and only those)."""
    keys: set[str] = set()
    if code := credit_code(c.creditCode):
        keys.add("code:" + code)
    if tel := phone(c.phone):
        keys.add("tel:" + tel)
    for name in (c.name, c.nameEn):
        if core := company_name(name):
            keys.add("name:" + core)
    return keys


def person_keys(p: PersonRecord) -> set[str]:
    keys: set[str] = set()
    for number in (p.mobile, p.officePhone):
        if tel := phone(number):
            keys.add("tel:" + tel)
    if mail := email(p.email):
        keys.add("mail:" + mail)
    if p.idDigest:
        keys.add("idn:" + p.idDigest)
    # The pinyin of a name is common across the country: only within one employer.
    forms = pinyin_forms(p.name) | pinyin_forms(p.nameEn)
    for company in p.companies:
        for form in forms:
            keys.add(f"py:{company}:{form}")
    return keys


# --- scores --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    score: float
    reasons: tuple[str, ...]  # e.g. ("SAME_CREDIT_CODE", "NAME_SIMILAR 0.93")


def _combine(weights: list[float]) -> float:
    left = 1.0
    for w in weights:
        left *= 1.0 - w
    return 1.0 - left


def name_similarity(a: str, b: str) -> float:
    """rapidfuzz's normalised Indel similarity, 0..1, of two normalised names."""
    if not a or not b:
        return 0.0
    return float(fuzz.ratio(a, b)) / 100.0


def score_companies(
    a: CompanyRecord, b: CompanyRecord, common: frozenset[str] = frozenset()
) -> Scored:
    """`common`: blocking keys too common to tell anything (a block skipped for its size):
    a phone shared by fifty companies is a switchboard or an agent, no evidence."""
    reasons: list[str] = []
    weights: list[float] = []
    code_a, code_b = credit_code(a.creditCode), credit_code(b.creditCode)
    if code_a and code_a == code_b:
        reasons.append("SAME_CREDIT_CODE")
        weights.append(W_CREDIT_CODE)
    tel_a, tel_b = phone(a.phone), phone(b.phone)
    if tel_a and tel_a == tel_b and "tel:" + tel_a not in common:
        reasons.append("SAME_PHONE")
        weights.append(W_COMPANY_PHONE)
    best = 0.0
    pairs = [(a.name, b.name), (a.nameEn, b.nameEn), (a.name, b.nameEn), (a.nameEn, b.name)]
    for x, y in pairs:
        if different_places(x, y):
            # Two establishments of one company (华星（苏州）, 华星…武汉分公司): their names
            # match only without the place that tells them apart, so compare them with it.
            px, py = places(x, y)
            best = max(best, name_similarity(trade_name(x) + px, trade_name(y) + py))
        else:
            best = max(best, name_similarity(trade_name(x), trade_name(y)))
    trade_a, trade_b = industry_word(company_name(a.name)), industry_word(company_name(b.name))
    short = name_similarity(fold(a.shortName or ""), fold(b.shortName or ""))
    if best >= 0.999:
        reasons.append("NAME_EQUAL")
    elif best > 0:
        reasons.append(f"NAME_SIMILAR {best:.2f}")
    if short >= 0.999 and best < 0.999:
        reasons.append("SHORT_NAME_EQUAL")
        best = max(best, 0.8)
    weights.append(best * 0.95)
    score = _combine(weights)
    if code_a and code_b and code_a != code_b:
        # Two registered entities (a branch has its own code): a reviewer decides, ranked low.
        reasons.append("DIFFERENT_CREDIT_CODE")
        score *= 0.75
    if trade_a and trade_b and trade_a != trade_b and "SAME_CREDIT_CODE" not in reasons:
        reasons.append("DIFFERENT_INDUSTRY")
        score *= 0.75
    if different_places(a.name, b.name) and "SAME_CREDIT_CODE" not in reasons:
        reasons.append("DIFFERENT_BRANCH")
        score *= 0.75
    if best < NAME_FLOOR and "SAME_CREDIT_CODE" not in reasons:
        score = min(score, CAP_WHEN_NAMES_DIFFER)
    return Scored(round(score, 3), tuple(reasons))


def score_people(a: PersonRecord, b: PersonRecord, common: frozenset[str] = frozenset()) -> Scored:
    """`common`: as for `score_companies` (a shared office switchboard)."""
    reasons: list[str] = []
    weights: list[float] = []
    tels_a = {t for t in (phone(a.mobile), phone(a.officePhone)) if t}
    tels_b = {t for t in (phone(b.mobile), phone(b.officePhone)) if t}
    same_id = bool(a.idDigest) and a.idDigest == b.idDigest
    if same_id:
        reasons.append("SAME_ID_NUMBER")
        weights.append(W_ID_NUMBER)
    if {t for t in tels_a & tels_b if "tel:" + t not in common}:
        reasons.append("SAME_PHONE")
        weights.append(W_PERSON_PHONE)
    if (mail := email(a.email)) and mail == email(b.email):
        reasons.append("SAME_EMAIL")
        weights.append(W_EMAIL)
    if set(a.companies) & set(b.companies):
        reasons.append("SAME_COMPANY")
        weights.append(W_SAME_COMPANY)
    names_a = {n for n in (person_name(a.name), person_name(a.nameEn)) if n}
    names_b = {n for n in (person_name(b.name), person_name(b.nameEn)) if n}
    py_a = pinyin_forms(a.name) | pinyin_forms(a.nameEn)
    py_b = pinyin_forms(b.name) | pinyin_forms(b.nameEn)
    if names_a & names_b:
        reasons.append("NAME_EQUAL")
        similarity = 1.0
    elif py_a & py_b:
        reasons.append("PINYIN_EQUAL")
        similarity = 0.95
    elif has_han(a.name or "") and has_han(b.name or ""):
        # Two Chinese names: compare the characters. Pinyin strings of different names share
        # many letters (chengqiang / shenmingmei: 0.57), so pinyin counts only when equal.
        similarity = name_similarity(person_name(a.name), person_name(b.name))
    else:
        similarity = max(
            [name_similarity(x, y) for x in py_a for y in py_b]
            + [name_similarity(x, y) for x in names_a for y in names_b]
            + [0.0]
        )
    if "NAME_EQUAL" not in reasons and "PINYIN_EQUAL" not in reasons:
        reasons.append(f"NAME_SIMILAR {similarity:.2f}")
    weights.append(similarity * 0.7)
    score = _combine(weights)
    if tels_a and tels_b and not tels_a & tels_b:
        reasons.append("DIFFERENT_PHONE")
        score *= DIFFERENT_CONTACT
    mail_a, mail_b = email(a.email), email(b.email)
    if mail_a and mail_b and mail_a != mail_b:
        reasons.append("DIFFERENT_EMAIL")
        score *= DIFFERENT_CONTACT
    if a.idDigest and b.idDigest and not same_id:
        # Two ID numbers: two people, unless one was mistyped; a reviewer decides, ranked low.
        reasons.append("DIFFERENT_ID_NUMBER")
        score *= 0.75
    if similarity < PERSON_NAME_FLOOR and not same_id:
        score = min(score, CAP_WHEN_NAMES_DIFFER)
    return Scored(round(score, 3), tuple(reasons))
