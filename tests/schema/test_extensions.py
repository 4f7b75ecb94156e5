"""Request limits and the validation memo, on the real schema (no resolver runs here)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import strawberry

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


# The rules added to graphql-core's and the parser's token cap, pinned error for error: they
# are applied by our own extensions, not strawberry's stock ones, and must answer the same.
TIGHT = {dev: build_schema(dev=dev, max_tokens=12) for dev in (True, False)}
TOO_MANY = "{ " + "version " * 12 + "}"
NOT_IN_PRODUCTION = "GraphQL introspection has been disabled, but the requested query contained"
VALIDATION = {"code": "GRAPHQL_VALIDATION_FAILED"}


def formatted(query: str, *, dev: bool, tight: bool = False) -> tuple[Any, list[Any]]:
    schema = TIGHT[dev] if tight else (SCHEMA if dev else PRODUCTION)
    result = asyncio.run(schema.execute(query))
    return result.data, [e.formatted for e in result.errors or []]


@pytest.mark.parametrize("dev", [True, False], ids=["dev", "production"])
def test_too_many_tokens_is_one_coded_refusal(dev: bool) -> None:
    for _ in range(2):  # a refused text is not memoised as parsed
        assert formatted(TOO_MANY, dev=dev, tight=True) == (
            None,
            [
                {
                    "message": "The query has more than 12 tokens.",
                    "extensions": {**VALIDATION, "limit": "maxTokens"},
                }
            ],
        )
    assert formatted("{ version }", dev=dev, tight=True)[1] == []


@pytest.mark.parametrize("dev", [True, False], ids=["dev", "production"])
@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        pytest.param('{ version "abc }', "Syntax Error: Unterminated string.", 17, id="lexer"),
        pytest.param("{ version ", "Syntax Error: Expected Name, found <EOF>.", 11, id="parser"),
    ],
)
def test_syntax_errors_under_the_token_cap(
    dev: bool, query: str, message: str, column: int
) -> None:
    at = [{"line": 1, "column": column}]
    expected = [{"message": message, "locations": at, "extensions": VALIDATION}]
    for _ in range(2):
        assert formatted(query, dev=dev, tight=True) == (None, expected)


def test_production_refuses_introspection_field_by_field() -> None:
    fields = [("__schema", 3), ("queryType", 14)]
    assert formatted(INTROSPECT, dev=False) == (
        None,
        [
            {
                "message": f"{NOT_IN_PRODUCTION} the field '{name}'.",
                "locations": [{"line": 1, "column": column}],
                "extensions": VALIDATION,
            }
            for name, column in fields
        ],
    )
    assert formatted("{ __typename }", dev=False) == ({"__typename": "Query"}, [])


def test_introspection_rule_runs_after_the_standard_rules() -> None:
    query = '{ __type(name: "Query") { name } noSuchField }'
    unknown = {
        "message": "Cannot query field 'noSuchField' on type 'Query'.",
        "locations": [{"line": 1, "column": 34}],
        "extensions": VALIDATION,
    }
    introspection = {
        "message": f"{NOT_IN_PRODUCTION} the field '__type'.",
        "locations": [{"line": 1, "column": 3}],
        "extensions": VALIDATION,
    }
    assert formatted(query, dev=True) == (None, [unknown])
    assert formatted(query, dev=False) == (None, [introspection, unknown])


def test_production_suggests_no_field_names() -> None:
    """With introspection off, "Did you mean 'person'?" would map the schema by guessing."""
    assert "Did you mean" in formatted("{ persn }", dev=True)[1][0]["message"]
    _, errors = formatted("{ persn }", dev=False)
    assert errors == [
        {
            "message": "Cannot query field 'persn' on type 'Query'.",
            "locations": [{"line": 1, "column": 3}],
            "extensions": VALIDATION,
        }
    ]


def test_a_refused_variable_names_its_field_without_its_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """graphql-core repeats the refused value ("found: {... 'idNumber': ...}"); the message
    names the field, and the value, often personal data, would reach the log. Outside dev
    mode the input types get no "Did you mean" either."""
    query = "mutation($i: CreatePersonInput!) { createPerson(input: $i) { person { id } } }"
    given = {"nam": "回显", "idNumber": "11010519491231002X", "mobile": "13800000001"}
    for schema, dev in ((SCHEMA, True), (PRODUCTION, False)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="crm.errors"):
            result = asyncio.run(schema.execute(query, variable_values={"i": given}))
        messages = [e.formatted["message"] for e in result.errors or []]
        assert any("unknown field 'nam'" in m for m in messages), messages
        assert any("required field 'name'" in m for m in messages), messages
        for text in [*messages, caplog.text]:
            assert "11010519491231002X" not in text
            assert "13800000001" not in text
            assert "found" not in text.lower()
        assert any("Did you mean 'name'" in m for m in messages) is dev
        fields = {e.formatted["extensions"]["field"] for e in result.errors or []}
        # The missing field and the unknown one are named in the path (tester BB: the
        # unknown one was `input`, though inline it was `input.nam`).
        assert fields == {"input.nam", "input.name"}
        assert not any("?." in m for m in messages), messages
    # A scalar repeats the value too: "Int cannot represent non-integer value: '...'".
    bad = asyncio.run(
        PRODUCTION.execute(
            'mutation($v: Int!) { createCompany(input: {name: "x", employeeCount: $v}) '
            "{ company { id } } }",
            variable_values={"v": "11010519491231002X"},
        )
    )
    assert bad.errors
    assert "11010519491231002X" not in bad.errors[0].formatted["message"]
    # An offset past ±18:00 said "Expected value of type 'DateTime';." and no reason.
    since = 'query($d: DateTime) { timeline(party: "x", first: 1, since: $d) { totalCount } }'
    late = asyncio.run(PRODUCTION.execute(since, variable_values={"d": "2026-12-01T00:00+24:00"}))
    assert [e.formatted["message"] for e in late.errors or []] == [
        "Variable '$d' has invalid value: Expected value of type 'DateTime': the time-zone "
        "offset is out of range (±18:00 at most)."
    ]


def test_a_missing_required_field_is_named_in_the_path() -> None:
    """The path stopped at the object holding it (`input`, `input.interaction`), so a form
    could not put "required" beside the right input without parsing the message."""
    variable = (
        "mutation($i: SaveRecordInput!) { saveRecord(input: $i) { record { id } } }",
        {"i": {"customer": "c", "occurredAt": "2026-11-20T10:00:00+08:00", "interaction": {}}},
        "input.interaction.channel",
    )
    inline = (
        'mutation { updateCompany(input: {id: "c", name: "x"}) { company { id } } }',
        {},
        "input.expectedVersion",
    )
    top = (
        "mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } } }",
        {"i": {"phone": "010 6677 8899"}},
        "input.name",
    )
    for query, variables, field in (variable, inline, top):
        result = asyncio.run(PRODUCTION.execute(query, variable_values=variables))
        assert [e.formatted["extensions"]["field"] for e in result.errors or []] == [field]


def test_a_timed_out_write_says_nothing_was_written_not_ask_for_less() -> None:
    """A mutation stopped by the transaction timeout was rolled back whole; the query advice
    ("a smaller depth, limit or page") means nothing for a one-field write."""
    from graph.errors import QueryTimeout
    from schema.extensions import WRITE_TIMEOUT, ErrorShaping

    def stopped() -> int:
        raise QueryTimeout("Transaction timed out")

    @strawberry.type
    class Query:
        slow: int = strawberry.field(resolver=stopped)

    @strawberry.type
    class Mutation:
        save: int = strawberry.mutation(resolver=stopped)

    schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[ErrorShaping])
    read = asyncio.run(schema.execute("query Read { slow }"))
    write = asyncio.run(schema.execute("mutation Write { save }"))
    errors = [*(read.errors or []), *(write.errors or [])]
    assert [(e.extensions or {}).get("code") for e in errors] == ["QUERY_TIMEOUT"] * 2
    assert "ask for less" in errors[0].message
    assert errors[1].message == WRITE_TIMEOUT


def test_a_document_validation_cannot_finish_says_what_to_change() -> None:
    """Nine hundred repetitions of one field, well under the token limit, ran graphql-core's
    validation out of stack and answered only "Validation aborted."."""
    from schema.extensions import VALIDATION_ABORTED

    result = asyncio.run(PRODUCTION.execute("{ " + " ".join(["version"] * 950) + " }"))
    assert [e.formatted["message"] for e in result.errors or []] == [VALIDATION_ABORTED]
    assert result.errors is not None
    assert result.errors[0].formatted["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
