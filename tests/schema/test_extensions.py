"""Request limits and the validation memo, on the real schema (no resolver runs here)."""

from __future__ import annotations

import asyncio
from typing import Any

from schema import build_schema

SCHEMA = build_schema(dev=True)
PRODUCTION = build_schema(dev=False)
INTROSPECT = "{ __schema { queryType { name } } }"


def run(query: str, allowed: bool) -> Any:
    return asyncio.run((SCHEMA if allowed else PRODUCTION).execute(query))


def test_memoised_validation_respects_the_introspection_switch() -> None:
    # The same text, validated by a dev and a production schema, in both orders: the memo
    # must not carry one schema's verdict over to the other.
    for allowed in (False, True, False, True):
        result = run(INTROSPECT, allowed)
        if allowed:
            assert result.errors is None
            assert result.data == {"__schema": {"queryType": {"name": "Query"}}}
        else:
            assert result.data is None
            assert result.errors
            assert "introspection" in result.errors[0].message.lower()


def test_memoised_validation_errors_repeat() -> None:
    first = run("{ noSuchField }", True)
    again = run("{ noSuchField }", True)
    assert first.errors
    assert again.errors
    assert [e.message for e in first.errors] == [e.message for e in again.errors]
    assert again.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_memoised_parsing_keeps_syntax_errors_shaped() -> None:
    for _ in range(2):
        bad = run("{ rows {", True)
        assert bad.data is None
        assert bad.errors
        assert "Syntax Error" in bad.errors[0].message
    for _ in range(2):
        ok = run("{ version }", True)
        assert ok.errors is None


def test_memoised_validation_is_per_schema() -> None:
    strict = build_schema(max_aliases=1)
    query = "{ a: version b: version }"
    assert run(query, True).errors is None  # the default schema allows 30 aliases
    refused = asyncio.run(strict.execute(query))
    assert refused.errors
    assert "aliases" in refused.errors[0].message.lower()
