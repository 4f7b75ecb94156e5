"""Document limits (schema/limits.py): linear in the document, memoised per fragment."""

from __future__ import annotations

import pytest
from graphql import parse

from schema.limits import ByteBoundedLRU, Limits, analyse, check_text

LIMITS = Limits(max_depth=3, max_aliases=2, max_fragments=5, max_nesting=8)


def limits_broken(query: str, limits: Limits = LIMITS) -> list[str]:
    return [e.extensions["limit"] for e in analyse(parse(query), limits)]  # type: ignore[index]


def test_depth_counts_nested_selections_through_fragments() -> None:
    assert limits_broken("{ a { b { c { d } } } }") == []  # depth 3
    assert limits_broken("{ a { b { c { d { e } } } } }") == ["maxDepth"]
    spread = "{ a { ...F } } fragment F on T { b { c { d { e } } } }"
    assert limits_broken(spread) == ["maxDepth"]
    inline = "{ a { ... on T { b { c { d { e } } } } } }"
    assert limits_broken(inline) == ["maxDepth"]


def test_introspection_is_left_out_of_depth() -> None:
    assert limits_broken("{ __schema { types { fields { type { ofType { name } } } } } }") == []


def test_aliases_are_counted_once_per_use_of_a_fragment() -> None:
    assert limits_broken("{ x: a y: a }") == []
    assert limits_broken("{ ...F ...F } fragment F on T { x: a y: a }") == ["maxAliases"]


def test_fragment_count_and_cycles() -> None:
    many = "{ a } " + " ".join(f"fragment F{i} on T {{ a }}" for i in range(6))
    assert limits_broken(many) == ["maxFragments"]
    # A cycle is graphql-core's to report (NoFragmentCycles); the analysis must just end.
    assert limits_broken("{ ...A } fragment A on T { ...B } fragment B on T { a ...A }") == []


def test_text_checks_before_parsing() -> None:
    ok, tokens = check_text("{ a { b } }", LIMITS)
    assert ok is None
    assert tokens == 6
    deep, _ = check_text("{" * 9 + "}" * 9, LIMITS)
    assert deep is not None
    assert deep.extensions == {"code": "GRAPHQL_VALIDATION_FAILED", "limit": "maxNesting"}
    big, _ = check_text('{ a(s: "' + "字" * 40_000 + '") }', LIMITS)  # 120 KB in UTF-8
    assert big is not None
    assert big.extensions["limit"] == "maxQueryBytes"  # type: ignore[index]
    many, _ = check_text("{ " + "a " * 6000 + "}", LIMITS)
    assert many is not None
    assert many.extensions["limit"] == "maxTokens"  # type: ignore[index]
    # Unreadable text is the parser's to report, with its position.
    assert check_text('{ a(s: "unterminated) }', LIMITS)[0] is None


@pytest.mark.parametrize("sizes", [[40, 40, 40], [10] * 20])
def test_byte_bounded_lru_keeps_within_bytes_and_entries(sizes: list[int]) -> None:
    cache: ByteBoundedLRU[int, str] = ByteBoundedLRU(max_entries=8, max_bytes=100)
    for i, size in enumerate(sizes):
        cache.put(i, "v", size)
        assert cache.bytes <= 100
        assert len(cache) <= 8
    last = len(sizes) - 1
    assert cache.get(last) == "v"  # the newest always survives
    assert cache.get(0) is None  # the oldest was evicted


def test_byte_bounded_lru_skips_what_cannot_fit_and_refreshes_on_get() -> None:
    cache: ByteBoundedLRU[str, int] = ByteBoundedLRU(max_entries=2, max_bytes=100)
    cache.put("huge", 1, 101)
    assert cache.get("huge") is None
    cache.put("a", 1, 10)
    cache.put("b", 2, 10)
    assert cache.get("a") == 1  # now the most recent
    cache.put("c", 3, 10)
    assert cache.get("b") is None
    assert cache.get("a") == 1
