"""Pinyin keys of names, so that `huaxing` or `hxjt` finds 华星集团 (graph/search.py).

A company or person whose name has Chinese characters stores `namePinyin`: words of tone-less
pinyin, syllables run together, and of their initials. A company has them for its whole name
and for its name without the leading region (深圳市华星科技 is found by `huaxing` and `hxkj`
too); a person in both name orders (`fangwang`, as `Fang Wang` is written in Latin order), and
with the family name's own reading where it differs (曾 is zeng as a family name, ceng
elsewhere).

`namePinyinOf` is the name the keys were made from, also stored for a name without Chinese
(then without keys), which marks the node as done. Search trusts the keys only while it
equals the name, so a name changed by a path that does not call `with_keys` (an erasure, a
hand-written statement) is never found by its old pinyin; `fill` then remakes them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from graph.actor import Actor
from graph.db import Cypher, Database
from graph.matching import family_readings, fold, has_han, readings, without_leading_region
from graph.vocab import Label

KEYS: Final = "namePinyin"
SOURCE: Final = "namePinyinOf"
LABELS = (Label.COMPANY, Label.PERSON)
# Readings of a family name's character kept (单 has three: dan, chan, shan).
MAX_READINGS = 3
BATCH = 2000


def load() -> None:
    """Load pypinyin's dictionaries now (about 0.25 s and 57 MB), so that the first write of
    a name after start-up does not pay for them."""
    readings("华")


_NOT_KEY = re.compile(r"[^a-z0-9]+")


def _syllables(items: list[str]) -> list[str]:
    # A Chinese character's reading is already lower-case letters; other runs are cleaned.
    out = [p if p.isascii() and p.isalpha() else _NOT_KEY.sub("", p) for p in items]
    return [p for p in out if p]


def _person_words(name: str) -> list[str]:
    syllables = _syllables(readings(name))
    if not syllables:
        return []
    words: list[str] = []
    for family, given in family_readings(name, syllables):
        words += _words(family + given)
        if given:  # Latin order: 芳 王 as Fang Wang
            words.append("".join(given + family))
    return words


def _words(syllables: list[str]) -> list[str]:
    return ["".join(syllables), "".join(s[0] for s in syllables)]


@lru_cache(maxsize=1 << 16)
def name_keys(label: Label, name: str) -> str | None:
    """The space-separated pinyin words of `name`, or None when it has no Chinese."""
    folded = fold(name)
    if not has_han(folded):
        return None
    words: list[str] = []
    if label is Label.PERSON:
        words = _person_words(folded)
    else:
        items = readings(folded)
        if syllables := _syllables(items):
            words += _words(syllables)
        rest = without_leading_region(folded)
        region = folded[: len(folded) - len(rest)]
        if rest and folded.endswith(rest) and region and all(has_han(ch) for ch in region):
            # One reading per character of the region: the same readings, without its own.
            words += _words(_syllables(items[len(region) :]))
        elif rest != folded and (syllables := _syllables(readings(rest))):
            words += _words(syllables)
    return " ".join(dict.fromkeys(w for w in words if w)) or None


DERIVED = frozenset({KEYS, SOURCE})


def keys_of(label: Label, props: dict[str, Any], stored: Any = None) -> dict[str, Any] | None:
    """The keys of the name `props` sets, or None when it sets none. With `stored` (the
    current row), a name set to what it already is makes none, so an idempotent upsert stays
    a no-op."""
    name = props.get("name")
    if label not in LABELS or not isinstance(name, str):
        return None
    if stored is not None and stored.get("name") == name:
        return None
    return {KEYS: name_keys(label, name), SOURCE: name}


def with_keys(label: Label, props: dict[str, Any], stored: Any = None) -> dict[str, Any]:
    """`props` with the keys of the name it sets (see `keys_of`)."""
    keys = keys_of(label, props, stored)
    return props if keys is None else {**props, **keys}


def query(text: str) -> str | None:
    """A prefix query on the keys for text typed in Latin letters (`hua xing`, `hxjt`,
    full-width too), or None: the letters run together, as the keys are stored."""
    letters = "".join(fold(text).split())
    if len(letters) < 2 or not (letters.isascii() and letters.isalpha()):
        return None
    return letters + "*"


def _missing(label: Label) -> Cypher:
    lb = label.value  # closed vocabulary, never input
    return Cypher(
        f"pinyin.missing.{lb}",
        "MATCH (n:" + lb + ") WHERE n.name IS NOT NULL "
        "AND (n." + SOURCE + " IS NULL OR n." + SOURCE + " <> n.name) "
        "RETURN n.id AS id, n.name AS name LIMIT $limit",
    )


def _store(label: Label) -> Cypher:
    lb = label.value
    return Cypher(
        f"pinyin.store.{lb}",
        "UNWIND $rows AS row MATCH (n:" + lb + " {id: row.id}) WHERE n.name = row.name "
        "SET n." + KEYS + " = row.keys, n." + SOURCE + " = row.name RETURN count(n) AS n",
    )


MISSING = {label: _missing(label) for label in LABELS}
STORE = {label: _store(label) for label in LABELS}


async def fill(db: Database, actor: Actor, batch: int = BATCH) -> int:
    """Make the keys of every name that has none or stale ones (nodes written before them,
    or renamed by a statement that does not make them); idempotent. How many it made.
    (`actor` is the system actor running it: the keys follow from the name alone, so
    nothing is audited.)"""
    done = 0
    for label in LABELS:
        while True:
            found = await db.read(MISSING[label], {"limit": batch})
            if not found:
                break
            rows = [
                {"id": r["id"], "name": r["name"], "keys": name_keys(label, r["name"])}
                for r in found
                if isinstance(r["name"], str)
            ]
            written = (await db.write(STORE[label], {"rows": rows}))[0]["n"]
            done += written
            if written == 0:  # every one renamed under us: stop rather than spin
                break
    return done
