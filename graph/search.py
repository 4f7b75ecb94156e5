"""Full-text search over companies and people (the `party_names` index, cjk analyzer).

User text never reaches Lucene's query syntax: it is split on white space, each token has
every special character backslash-escaped and is lower-cased (so `AND`, `OR`, `NOT` are plain
words, not operators). Latin tokens also match as prefixes (`huaw` finds Huawei).

The cjk analyzer indexes Chinese as overlapping bigrams, so a single Chinese character cannot
match; for that case `search_contains` falls back to `CONTAINS` on the name text indexes.

Chinese is written in simplified and in traditional characters (Taiwan's and Hong Kong's
differ too): a token with Chinese in it also looks for its other forms, converted with
OpenCC's phrase tables, so 华为 finds 華為 and the other way round.

Text typed in Latin letters also finds Chinese names by their pinyin (graph/pinyin.py):
`huaxing`, `hua xing` and the initials `hxjt` find 华星集团. Those hits come after the
name index's, in a second statement only when the first leaves the page short, shortest name
first among the first `PINYIN_POOL` the viewer may see; for words typed apart (`hua xing`,
syllables) they come first.

Hits the viewer may not see (graph/access.py) are dropped before the limit, so a page is
never short because of them and never names them. A viewer who sees people anonymised finds
companies only (`personal_key`): a person found by a guessed name would unmask a pseudonym.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any, cast

import opencc

from graph import pinyin
from graph.access import acl_params, personal_key, visible
from graph.actor import Actor
from graph.db import Cypher, Database
from graph.nodes import PROJECTION
from graph.rows import SearchRow

LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')

# The index takes its updates just after each commit (migrations/V0016): the wait makes a
# search see every write committed before it, as it did when updates were part of the commit.
FULLTEXT = Cypher(
    "search.fulltext",
    "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh() "
    "CALL db.index.fulltext.queryNodes('party_names', $query) YIELD node AS n, score "
    "WHERE n.archivedAt IS NULL AND " + personal_key("n") + " "
    "AND " + visible("n", unplaced=True) + " "
    "RETURN " + PROJECTION + " AS node, score LIMIT $limit",
)
PINYIN_POOL = 500
# Keys made from another name than the current one are never trusted (graph/pinyin.py).
PINYIN = Cypher(
    "search.pinyin",
    "CALL db.index.fulltext.queryNodes('party_pinyin', $query) YIELD node AS n "
    "WHERE n."
    + pinyin.SOURCE
    + " = n.name AND NOT n.id IN $seen AND n.archivedAt IS NULL AND "
    + personal_key("n")
    + " AND "
    + visible("n", unplaced=True)
    + " WITH n LIMIT "
    + str(PINYIN_POOL)
    + " WITH n, 1.0 / size(n.name) AS score "
    "ORDER BY score DESC, n.name, n.id LIMIT $limit "
    "RETURN " + PROJECTION + " AS node, score",
)
# One index seek per written form of the character ($texts: the character and its others).
CONTAINS = Cypher(
    "search.contains",
    "CALL () { "
    "  UNWIND $texts AS text "
    "  CALL (text) { "
    "    MATCH (n:Company) WHERE n.name CONTAINS text AND n.archivedAt IS NULL "
    "    AND " + visible("n") + " RETURN n LIMIT $limit "
    "    UNION MATCH (n:Person) WHERE n.name CONTAINS text AND n.archivedAt IS NULL "
    "    AND $acl.named AND " + visible("n", unplaced=True) + " RETURN n LIMIT $limit "
    "  } "
    "  RETURN DISTINCT n "
    "} "
    "WITH n, 1.0 / size(n.name) AS score "
    "ORDER BY score DESC, n.name, n.id LIMIT $limit "
    "RETURN " + PROJECTION + " AS node, score",
)

# simplified -> traditional (generic, Taiwan, Hong Kong) and traditional -> simplified
_SCRIPTS = ("s2t", "s2tw", "s2hk", "t2s")


@functools.cache
def _converters() -> tuple[opencc.OpenCC, ...]:
    # loaded on the first Chinese search: the phrase tables take about 0.1 s to read
    return tuple(opencc.OpenCC(config) for config in _SCRIPTS)


def written_forms(text: str) -> list[str]:
    """`text` and its other Chinese forms (simplified, traditional), each once, `text` first.
    Text without a Chinese character has no other form."""
    if text.isascii() or not any(_is_han(ch) for ch in text):
        return [text]
    return list(dict.fromkeys([text, *(c.convert(text) for c in _converters())]))


def _is_han(ch: str) -> bool:
    return (
        "\u3400" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\U00020000" <= ch <= "\U0003134f"
    )


def _escape(token: str) -> str:
    return "".join("\\" + ch if ch in LUCENE_SPECIAL else ch for ch in token)


# Legal-form and group endings, longest first: nearly every company name ends in one, so
# their bigrams (有限, 限公, 公司) match almost every company. A name typed whole must also
# match its distinctive part; the ending still counts towards the score.
LEGAL_ENDINGS = (
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "分公司",
    "集团",
    "公司",
)
# The same in traditional characters, and the brackets a typed name may put around one.
_ENDINGS = tuple(
    dict.fromkeys(
        form
        for ending in LEGAL_ENDINGS
        for form in (ending, ending.replace("团", "團").replace("责", "責"))
    )
)


def _core(token: str) -> str | None:
    """The part of a Chinese name before its legal ending, when two characters or more are
    left (a bigram the index can match); else None."""
    bare = token.rstrip(")）")
    for ending in _ENDINGS:
        core = bare.removesuffix(ending)
        if core != bare:
            core = core.rstrip("(（") if bare != token else core
            return core if sum(map(_is_han, core)) >= 2 else None
    return None


def _only_ending(token: str) -> bool:
    return token.strip("()（）") in _ENDINGS


def lucene_query(text: str) -> str | None:
    """A safe Lucene query for free user text, or None when nothing searchable is left."""
    parts: list[str] = []
    tokens = text.lower().split()
    # A token that is a legal ending alone (鼎盛 精密 有限公司) says nothing of which company:
    # left out when the text has other words.
    if any(not _only_ending(t) for t in tokens):
        tokens = [t for t in tokens if not _only_ending(t)]
    for raw in tokens:
        if not any(ch.isalnum() for ch in raw):
            continue
        if (core := _core(raw)) is not None:
            parts.append("+(" + " ".join(_escape(form) for form in written_forms(core)) + ")")
        parts.extend(_escape(form) for form in written_forms(raw))
        if raw.isascii() and raw.isalnum() and len(raw) >= 2:
            parts.append(raw + "*")
    return " ".join(parts) or None


def is_single_cjk(text: str) -> bool:
    """One Chinese/Japanese/Korean character: the bigram index cannot match it."""
    return len(text) == 1 and not text.isascii() and text.isalpha()


async def search(db: Database, actor: Actor, text: str, limit: int) -> list[SearchRow]:
    """Best matches first."""
    text = text.strip()
    if is_single_cjk(text):
        params = {"texts": written_forms(text), "limit": limit, "acl": acl_params(actor)}
        rows = await db.read(CONTAINS, params)
    else:
        query = lucene_query(text)
        if query is None:
            return []
        keys = pinyin.query(text)
        named = {"query": query, "limit": limit, "acl": acl_params(actor)}
        if keys is not None and len(text.split()) > 1:
            # Latin words apart (`hua xing`) are syllables: a name they spell whole comes
            # before names that hold one of them (邵华, Shao Hua, for `hua`).
            spelled = await _pinyin(db, actor, keys, [], limit)
            rest: list[dict[str, Any]] = []
            if len(spelled) < limit:
                seen = {r["node"]["id"] for r in spelled}
                more = await db.read(FULLTEXT, named)
                rest = [r for r in more if r["node"]["id"] not in seen][: limit - len(spelled)]
            rows = tiered(spelled, rest)
        else:
            found = await db.read(FULLTEXT, named)
            exact, rest = typed_first(found, text)
            spelled = []
            if len(found) < limit and keys is not None:
                # The first statement waited for the indexes; this one sees the same writes.
                spelled = await _pinyin(db, actor, keys, found, limit - len(found))
            rows = tiered(exact, rest, spelled)
    return cast(list[SearchRow], rows)  # the projection's shape: node AS node, score


def tiered(*tiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tiers' hits in order, each tier's in its own score order, with scores that say so:
    the tiers score on scales of their own (Lucene's, or one over a name's length), so a
    hit of a later tier could score above one of an earlier (tester BM: `wu fang` gave 0.5,
    2.78, 2.78, 1.0). A hit's score becomes its tier's rank (the last tier 0) plus its own
    score as a share of its tier's best, below 1."""
    out: list[dict[str, Any]] = []
    for rank, tier in zip(range(len(tiers) - 1, -1, -1), tiers, strict=True):
        best = max((float(r["score"]) for r in tier), default=0.0) or 1.0
        out += [{**r, "score": rank + 0.999 * float(r["score"]) / best} for r in tier]
    return out


def _plain(text: str) -> str:
    """A name as compared whole: width, case, brackets and spaces aside."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def typed_first(
    rows: list[dict[str, Any]], text: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the names that are the text typed, in any written form; the rest), each in score
    order: a branch typed in full came after its parent, whose name holds more of the
    text's bigrams (tester AQ)."""
    whole = {_plain(form) for form in written_forms(text)}
    exact = [r for r in rows if _plain(str(r["node"].get("name") or "")) in whole]
    return exact, [r for r in rows if not any(r is e for e in exact)]


async def _pinyin(
    db: Database, actor: Actor, keys: str, seen: list[Any], limit: int
) -> list[dict[str, Any]]:
    params = {
        "query": keys,
        "seen": [r["node"]["id"] for r in seen],
        "limit": limit,
        "acl": acl_params(actor),
    }
    return await db.read(PINYIN, params)
