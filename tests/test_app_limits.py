"""Hostile and malformed requests, backpressure and the error contract, through the real app.

Every refusal must be a 4xx/503 or a GraphQL error with `extensions.code`, and must leave the
server responsive: a /healthz sent alongside answers within a generous bound.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from neo4j import Driver
from settings import Settings
from tests.conftest import GQL, PERSONAS

ADMIN = {"Authorization": f"Bearer {PERSONAS['admin']['key']}"}
RESPONSIVE_SECONDS = 5.0  # generous: the bomb froze everything for 28 s before


def bomb(levels: int) -> str:
    parts = ["query Bomb { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ version }}")
    return "\n".join(parts)


def chain(length: int) -> str:
    parts = ["query Chain { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length)]
    parts.append(f"fragment F{length} on Query {{ version }}")
    return "\n".join(parts)


def alongside(client: TestClient, send: Callable[[], httpx2.Response]) -> httpx2.Response:
    """Send a request on a thread and, while it runs, check that /healthz stays fast."""
    out: dict[str, httpx2.Response] = {}
    worker = threading.Thread(target=lambda: out.update(r=send()))
    worker.start()
    started = time.monotonic()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert time.monotonic() - started < RESPONSIVE_SECONDS
    worker.join(timeout=60)
    assert not worker.is_alive()
    return out["r"]


def code(r: httpx2.Response) -> str:
    return str(r.json()["errors"][0]["extensions"]["code"])


def test_fragment_bomb_is_refused_while_healthz_answers(client: TestClient) -> None:
    query = bomb(22)  # 4 million fields once expanded, under 1 KB of text
    assert len(query) < 1000
    r = alongside(client, lambda: client.post("/graphql", json={"query": query}, headers=ADMIN))
    assert r.status_code == 200
    error = r.json()["errors"][0]
    # Priced before validation (schema/cost.py): each `version` costs 1, 2^22 of them.
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 4194304, "budget": 100_000}
    assert "4194304" in error["message"]


def test_a_smaller_bomb_is_validated_as_usual(gql: GQL) -> None:
    # 2^12 fields: within the cost limit, so graphql-core validates it and it runs.
    r = gql(bomb(12))
    assert r.data == {"version": r.data["version"]}


def test_fragment_chain_is_refused_with_a_code(gql: GQL) -> None:
    r = gql(chain(300))
    assert r.codes() == ["GRAPHQL_VALIDATION_FAILED"]
    assert r.errors[0]["extensions"]["limit"] == "maxFragments"


def test_deep_selection_nesting_is_refused_before_parsing(gql: GQL) -> None:
    r = gql("{" * 3000 + "}" * 3000)
    assert r.codes() == ["GRAPHQL_VALIDATION_FAILED"]
    assert r.errors[0]["extensions"]["limit"] == "maxNesting"


DEEP_JSON = '{"query": "{ version }", "variables": ' + "[" * 3000 + "]" * 3000 + "}"
TEN_MEGABYTES = '{"query": "{ version }", "variables": {"x": "' + "a" * (10 << 20) + '"}}'


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param(DEEP_JSON, 400, "BAD_REQUEST", id="deep-json"),
        pytest.param('"{ version }"', 400, "BAD_REQUEST", id="json-string"),
        pytest.param("{not json", 400, "BAD_REQUEST", id="malformed-json"),
        pytest.param(TEN_MEGABYTES, 413, "PAYLOAD_TOO_LARGE", id="ten-megabytes"),
    ],
)
def test_a_bad_body_is_refused_with_a_code_while_healthz_answers(
    client: TestClient, body: str, status: int, expected: str
) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    r = alongside(client, lambda: client.post("/graphql", content=body, headers=headers))
    assert r.status_code == status
    assert code(r) == expected


def test_large_query_document_is_refused(gql: GQL) -> None:
    r = gql('{ version enumLabels(enum: "' + "x" * 200_000 + '") { value } }')
    assert r.codes() == ["GRAPHQL_VALIDATION_FAILED"]
    assert r.errors[0]["extensions"]["limit"] == "maxQueryBytes"


def test_too_many_tokens_is_refused_before_parsing(gql: GQL) -> None:
    r = gql("{ " + "version " * 5000 + "}")  # 5,002 tokens, 40 KB: under the byte limit
    assert r.status == 200
    assert r.body == {
        "data": None,
        "errors": [
            {
                "message": "The query has more than 5000 tokens.",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED", "limit": "maxTokens"},
            }
        ],
    }
    # 5,000 tokens pass the cap (graphql-core's validation then gives up on so many fields).
    at_cap = gql("{ " + "version " * 4998 + "}")
    assert [e["extensions"].get("limit") for e in at_cap.errors] == [None]


def test_invalid_date_is_bad_user_input_as_literal_and_as_variable(gql: GQL) -> None:
    center = "00000000-0000-4000-8000-00000000abcd"
    literal = gql(f'{{ accountMap(center: "{center}", asOf: "2024-02-30") {{ truncated }} }}')
    assert literal.codes() == ["BAD_USER_INPUT"]
    assert literal.errors[0]["extensions"]["field"] == "asOf"
    # The reason, without the value (as for a variable): a literal may be 50 KB of digits.
    assert literal.errors[0]["message"] == (
        "Expected value of type 'Date': day is out of range for month."
    )
    # Written inline deep in an input, of any scalar: the same code, with the value's path.
    for value, path in (
        ('{name: "x", foundedOn: "2026-02-30"}', "input.foundedOn"),
        ('{name: "x", employeeCount: 99999999999}', "input.employeeCount"),
        ('{name: "x", customer: {customerKind: NOPE}}', "input.customer.customerKind"),
        # An input field the type lacks, as the same object in a variable would be.
        ('{name: "x", customer: {tierr: CORE}}', "input.customer.tierr"),
    ):
        r = gql(f"mutation {{ createCompany(input: {value}) {{ errors {{ code }} }} }}")
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r.errors] == [
            ("BAD_USER_INPUT", path)
        ], value
    # An object or a list written where a scalar goes (tester BM): the scalar is told a copy
    # without its place in the text; still its path, and never the value (an ID number).
    for query, path in (
        ('{ person(id: {idNumber: "110101199003078888"}) { id } }', "id"),
        ('{ search(text: ["13800138000"]) { id } }', "text"),
        ("{ companies(first: {n: 5}) { totalCount } }", "first"),
        ('mutation { createCompany(input: {name: {x: "13800138000"}}) { errors { code } } }',
         "input.name"),
    ):  # fmt: skip
        r = gql(query)
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r.errors] == [
            ("BAD_USER_INPUT", path)
        ], query
        assert "1380013" not in r.errors[0]["message"]
        assert "110101" not in r.errors[0]["message"]
    lines = (
        '[{product: "p", quantity: 1, unitPrice: "1"}, '
        '{product: "p", quantity: "x", unitPrice: "2"}]'
    )
    order = (
        '{customer: "c", occurredAt: "2026-01-01T00:00:00+08:00", '
        f'order: {{currency: "CNY", lines: {lines}}}}}'
    )
    r = gql(f"mutation {{ saveRecord(input: {order}) {{ errors {{ code }} }} }}")
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r.errors] == [
        ("BAD_USER_INPUT", "input.order.lines[1].quantity")
    ]
    variable = gql(
        'query($d: Date) { accountMap(center: "' + center + '", asOf: $d) { truncated } }',
        {"d": "2024-02-30"},
    )
    assert variable.codes() == ["BAD_USER_INPUT"]
    assert variable.errors[0]["extensions"]["field"] == "asOf"
    # Nested in an input: the argument's path, and no Python internals in the message.
    save = """mutation($in: SaveRecordInput!) { saveRecord(input: $in) { errors { code } } }"""
    for when in ("2025-02-30T10:00:00+08:00", "2025-02-03T10:00:00+25:00"):
        nested = gql(save, {"in": {"customer": center, "occurredAt": when, "survey": {"score": 3}}})
        assert nested.codes() == ["BAD_USER_INPUT"]
        assert nested.errors[0]["extensions"]["field"] == "input.occurredAt"
        assert "Variable '$in' has invalid value at .occurredAt" in nested.errors[0]["message"]
        assert "datetime." not in nested.errors[0]["message"]
    # An enum refused inside an object literal: the path through it, and not the value.
    stage = """query($s: LifecycleStage!) {
      customers(first: 1, filter: {lifecycleStage: $s}) { totalCount } }"""
    wrong = gql(stage, {"s": "张伟13800138000"})
    assert wrong.codes() == ["BAD_USER_INPUT"]
    assert wrong.errors[0]["extensions"]["field"] == "filter.lifecycleStage"
    assert "13800138000" not in wrong.errors[0]["message"]
    assert "'LifecycleStage' enum" in wrong.errors[0]["message"]
    # The same for scalars whose parsers quote what they refused.
    for kind, document in (
        ("DateTime", "query($v: DateTime) { followUps(first: 1, dueBefore: $v) { totalCount } }"),
        ("Date", 'query($v: Date) { accountMap(center: "x", asOf: $v) { truncated } }'),
        ("Decimal", 'mutation($v: Decimal) { saveProduct(input: {sku: "s-1", name: "x", '
                    'listPrice: $v, currency: "CNY"}) { errors { code } } }'),
    ):  # fmt: skip
        refused = gql(document, {"v": "张伟13800138000"})
        assert refused.codes() == ["BAD_USER_INPUT"], (kind, refused.errors)
        assert "13800138000" not in refused.errors[0]["message"], kind
        assert refused.errors[0]["extensions"]["field"] in ("dueBefore", "asOf", "input.listPrice")
    # Decimals beyond what a sum holds, or rounding to nothing, and instants beyond year 9999
    # in UTC: refused by their scalar, inline and as variables, never stored or INTERNAL.
    product = (
        'mutation($v: Decimal) { saveProduct(input: {sku: "s-9", name: "x", '
        'listPrice: $v, currency: "CNY"}) { product { id } errors { code } } }'
    )
    # ... and forms Python reads that no client means: underscores, full-width digits, blanks.
    odd = ("12_000", "１２", " 5", "5 ", "sNaN")
    for value in ("1e999999999", "1e-999999999", "0.000000000000000000001", "1e20", *odd):
        r = gql(product, {"v": value})
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r.errors] == [
            ("BAD_USER_INPUT", "input.listPrice")
        ], value
        inline = gql(product.replace("($v: Decimal)", "").replace("$v", f'"{value}"'))
        assert [e["extensions"]["field"] for e in inline.errors] == ["input.listPrice"], value
    for value in ("12000", "-1.5", ".5", "1.", "1E2", 7, 2.5):
        r = gql(product, {"v": value})
        assert r.codes() == [], (value, r.errors)
    follow_ups = "query($v: DateTime) { followUps(first: 1, dueBefore: $v) { totalCount } }"
    for moment in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
        r = gql(follow_ups, {"v": moment})
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in r.errors] == [
            ("BAD_USER_INPUT", "dueBefore")
        ], moment


def test_offsets_neo4j_cannot_keep_and_dates_in_other_iso_forms_are_bad_user_input(
    gql: GQL,
) -> None:
    """Python reads offsets to ±23:59 and dates such as 20120304 or 2012-W10-7; Neo4j keeps
    offsets to ±18:00 and the API documents YYYY-MM-DD. Each is refused at its field, not
    passed on to fail in the database as an internal error or read as another day."""
    from resolvers.pages import encode_cursor

    follow_ups = "query($v: DateTime) { followUps(first: 1, dueBefore: $v) { totalCount } }"
    for offset in ("+18:01", "-23:00", "+23:59"):
        r = gql(follow_ups, {"v": "2026-12-01T10:00:00" + offset})
        assert r.codes() == ["BAD_USER_INPUT"], (offset, r.errors)
        assert r.errors[0]["extensions"]["field"] == "dueBefore"
        assert "the offset must be within ±18:00" in r.errors[0]["message"]  # the reason, too
    assert gql(follow_ups, {"v": "2026-12-01T10:00:00-18:00"}).errors == []
    as_of = 'query($d: Date) { accountMap(center: "x", asOf: $d) { truncated } }'
    for day in ("20120304", "2012-W10-7", "2012-064"):
        r = gql(as_of, {"d": day})
        assert r.codes() == ["BAD_USER_INPUT"], (day, r.errors)
        assert r.errors[0]["extensions"]["field"] == "asOf"
        assert "YYYY-MM-DD" in r.errors[0]["message"]
        assert day not in r.errors[0]["message"]  # as ever, not the value refused
    # A time-ordered list's cursor rebuilt by hand with such an offset.
    cursor = encode_cursor("followUps", "2026-12-01T10:00:00+23:00", "x")
    r = gql("query($a: String) { followUps(first: 1, after: $a) { totalCount } }", {"a": cursor})
    assert r.codes() == ["BAD_USER_INPUT"], r.errors
    assert r.errors[0]["extensions"]["field"] == "after"


def test_a_number_beyond_a_doubles_range_is_refused_as_literal_and_as_variable(
    gql: GQL, cypher: Driver
) -> None:
    create = (
        'mutation { createCompany(input: {name: "无穷大公司", registeredCapital: %s}) '
        "{ company { id } } }"
    )
    for literal in ("1e400", "-1e400", "1" + "0" * 400):
        r = gql(create % literal)
        assert r.codes() == ["BAD_USER_INPUT"], (literal, r.errors)
        assert r.errors[0]["extensions"]["field"] == "input.registeredCapital"
        assert "beyond the range of a number" in r.errors[0]["message"]
    found = cypher.execute_query("MATCH (c:Company {name: '无穷大公司'}) RETURN count(c) AS n")
    assert found.records[0]["n"] == 0


def test_a_huge_integer_gets_no_python_words_and_no_echo(gql: GQL, client: TestClient) -> None:
    digits = "9" * 4400  # past Python's 4,300-digit limit of int("...")
    r = gql(f'{{ company(id: "x") {{ contacts(first: {digits}) {{ name }} }} }}')
    assert set(r.codes()) == {"BAD_USER_INPUT"}
    text = str(r.errors)
    for word in ("sys.", "digits", "9" * 30):
        assert word not in text, text
    assert r.errors[0]["extensions"]["field"] == "first"
    # The same number in a variable: valid JSON that no double holds.
    body = '{"query": "query($n: Int) { version }", "variables": {"n": ' + digits + "}}"
    headers = {**ADMIN, "Content-Type": "application/json"}
    answer = client.post("/graphql", content=body, headers=headers)
    assert (answer.status_code, code(answer)) == (400, "BAD_REQUEST")
    assert "beyond the range of a double" in answer.text


def test_a_byte_order_mark_before_the_json_is_ignored(client: TestClient) -> None:
    """Some Windows tools write one; RFC 8259 lets a parser ignore it (tester AO)."""
    body = codecs.BOM_UTF8 + b'{"query": "{ version }"}'
    headers = {**ADMIN, "Content-Type": "application/json"}
    answer = client.post("/graphql", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["version"]
    # ... and an operationName of the wrong type is said as such
    named = client.post("/graphql", json={"query": "{ version }", "operationName": 3},
                        headers=ADMIN)  # fmt: skip
    assert (named.status_code, code(named)) == (400, "BAD_REQUEST")
    assert "operationName" in named.text


def test_expected_errors_are_logged_in_one_line(gql: GQL, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    r = gql('{ accountMap(center: "x", asOf: "2024-02-30") { truncated } }')
    assert r.codes() == ["BAD_USER_INPUT"]
    ours = [rec for rec in caplog.records if rec.name.startswith("crm.")]
    assert any("BAD_USER_INPUT" in rec.getMessage() for rec in ours)
    assert all(rec.levelno < 40 and rec.exc_info is None for rec in ours)
    assert not [rec for rec in caplog.records if rec.name.startswith("strawberry")]


def test_every_refused_document_is_logged_once_with_its_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    costly = 'accountMap(center: "x", limit: 2000) { nodes { id } }'
    refused = {
        "maxNesting": "{" * 70 + "}" * 70,
        "maxTokens": "{ " + "version " * 6000 + "}",
        "QUERY_TOO_COSTLY": "{ " + " ".join(f"m{i}: {costly}" for i in range(30)) + " }",
    }
    for name, query in refused.items():
        rid = f"rq-{name}"
        r = client.post("/graphql", json={"query": query}, headers={**ADMIN, "x-request-id": rid})
        ext = r.json()["errors"][0]["extensions"]
        assert name in (ext.get("limit"), ext["code"]), ext
        lines = [rec for rec in caplog.records if rid in rec.getMessage()]
        assert len(lines) == 1, (name, [x.getMessage() for x in lines])
        assert lines[0].levelno == logging.INFO


GRAPHQL_RESPONSE = "application/graphql-response+json"


def test_graphql_response_json_rules(client: TestClient) -> None:
    headers = {**ADMIN, "Accept": GRAPHQL_RESPONSE}
    ok = client.post("/graphql", json={"query": "{ version }"}, headers=headers)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == GRAPHQL_RESPONSE
    for query in ("{ version ", "{ nope }"):
        bad = client.post("/graphql", json={"query": query}, headers=headers)
        assert bad.status_code == 400
        assert bad.headers["content-type"] == GRAPHQL_RESPONSE
        assert "data" not in bad.json()
        assert bad.json()["errors"][0]["extensions"]["code"].startswith("GRAPHQL_")
    # The legacy media type keeps its rule: 200 for every well-formed request.
    legacy = client.post("/graphql", json={"query": "{ nope }"}, headers=ADMIN)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


def test_media_types_the_api_does_not_speak_are_refused_with_their_codes(
    client: TestClient,
) -> None:
    query = b'{"query": "{ version }"}'
    for kind in ("text/plain", "application/x-www-form-urlencoded", "application/graphql", ""):
        sent = client.post("/graphql", content=query, headers={**ADMIN, "Content-Type": kind})
        assert (sent.status_code, code(sent)) == (415, "UNSUPPORTED_MEDIA_TYPE"), kind
    for accept in ("application/xml", "text/html, text/plain", "text/html, application/json;q=0"):
        asked = client.post("/graphql", json={"query": "{ version }"},
                            headers={**ADMIN, "Accept": accept})  # fmt: skip
        assert (asked.status_code, code(asked)) == (406, "NOT_ACCEPTABLE"), accept
    for accept in ("", "*/*", "application/*;q=0.8", "text/html, application/json;q=0.9"):
        fine = client.post("/graphql", json={"query": "{ version }"},
                           headers={**ADMIN, "Accept": accept})  # fmt: skip
        assert fine.status_code == 200, accept
    # Media types are case-insensitive (RFC 9110).
    for kind in (
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "Application/Json;Charset=UTF-8",
    ):
        fine = client.post("/graphql", content=query, headers={**ADMIN, "Content-Type": kind})
        assert (fine.status_code, "errors" in fine.json()) == (200, False), kind
        assert fine.json()["data"]["version"], kind


@pytest.fixture
def client(app_client: TestClient, cypher: Driver) -> TestClient:
    """The session app, with the personas (and ADMIN's key) in the database."""
    return app_client


def _tight_app(settings: Settings, **limits: Any) -> Iterator[tuple[TestClient, Any]]:
    """An app with one request in flight at a time and the given `limits`, on the session's
    Neo4j, once it is ready."""
    from app import create_app

    tight = replace(settings, max_in_flight=1, warm_up_seconds=0, allow_anonymous=True, **limits)
    app = create_app(tight)
    with TestClient(app, raise_server_exceptions=False) as client:
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "app never became ready"
            time.sleep(0.1)
        yield client, app


@pytest.fixture
def busy_app(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    """One pooled connection and a short acquisition timeout."""
    yield from _tight_app(settings, neo4j_pool_size=1, neo4j_acquisition_timeout=1.0)


def test_pool_exhaustion_and_in_flight_limit_are_retryable(
    busy_app: tuple[TestClient, Any],
) -> None:
    client, app = busy_app
    view = next(r for r in app.routes if getattr(r, "path", "") == "/graphql").app
    held, release = threading.Event(), threading.Event()

    async def hold_the_only_connection() -> None:
        async with app.state.db.driver.session(database="neo4j") as s:
            tx = await s.begin_transaction()
            await (await tx.run("RETURN 1")).consume()
            held.set()
            while not release.is_set():  # noqa: ASYNC110 - set from the test's thread
                await asyncio.sleep(0.02)
            await tx.rollback()

    assert client.portal is not None
    holder = client.portal.start_task_soon(hold_the_only_connection)
    try:
        assert held.wait(30)
        query = {"query": "{ database { version } }"}
        waiting: dict[str, httpx2.Response] = {}
        worker = threading.Thread(
            target=lambda: waiting.update(r=client.post("/graphql", json=query))
        )
        worker.start()
        deadline = time.monotonic() + 10
        while view.in_flight < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert view.in_flight == 1
        # A second request while the first waits for a connection: over the in-flight limit.
        refused = client.post("/graphql", json=query)
        assert refused.status_code == 503
        assert refused.headers["retry-after"]
        assert refused.json()["errors"][0]["extensions"]["code"] == "SERVER_BUSY"
        assert refused.json()["errors"][0]["extensions"]["retryable"] is True
        # The first one gives up waiting for a connection: retryable too, never INTERNAL.
        worker.join(timeout=30)
        exhausted = waiting["r"]
        assert exhausted.status_code == 503
        assert exhausted.headers["retry-after"]
        ext = exhausted.json()["errors"][0]["extensions"]
        assert ext["code"] == "SERVER_BUSY"
        assert ext["retryable"] is True
    finally:
        release.set()
        holder.result(timeout=30)
    again = client.post("/graphql", json={"query": "{ database { version } }"})
    assert again.status_code == 200
    assert again.json()["data"]["database"]["version"].startswith("5.26.")


@pytest.fixture
def short_tx_app(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    """Transactions stopped by Neo4j after 3 s."""
    yield from _tight_app(settings, transaction_timeout=3.0)


def test_a_mutation_that_fails_after_saving_some_fields_is_not_retryable(
    short_tx_app: tuple[TestClient, Any], cypher: Driver
) -> None:
    """`a` is saved, then `b` waits for a lock the test holds until Neo4j stops it: `data`
    is null (payloads are non-null), so `a`'s answer is lost. Retrying the request whole
    would create `a` twice: the error says so, whatever `b`'s own failure was."""
    client, _ = short_tx_app
    cypher.execute_query(
        "CREATE (:Company {id: 'locked', name: '锁定', version: 1}), "
        "(:Company {id: 'warm', name: '预热', version: 1})"
    )
    # Plan both mutations' statements first: planning on a busy machine must not eat `a`'s
    # share of the short timeout.
    warm = client.post(
        "/graphql",
        json={
            "query": 'mutation { a: createCompany(input: {name: "预热一"}) { company { id } } '
            'b: updateCompany(input: {id: "warm", expectedVersion: 1, name: "预热二"}) '
            "{ company { id } } }"
        },
    )
    assert "errors" not in warm.json(), warm.text
    mutation = (
        'mutation { a: createCompany(input: {name: "先存的"}) { company { id } } '
        'b: updateCompany(input: {id: "locked", expectedVersion: 1, name: "等锁"}) '
        "{ company { id } } "
        'c: createCompany(input: {name: "没跑的"}) { company { id } } }'
    )
    with cypher.session(database="neo4j") as s, s.begin_transaction() as tx:
        tx.run("MATCH (c:Company {id: 'locked'}) SET c.name = '持锁'").consume()
        r = client.post("/graphql", json={"query": mutation}, headers={"x-request-id": "rq-part"})
        tx.rollback()
    assert r.status_code == 200, r.text  # not 503: nothing says "retry"
    body = r.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["b"]
    assert error["extensions"] == {
        "code": "PARTLY_SAVED",
        "cause": "QUERY_TIMEOUT",
        "saved": 1,
        "ranBefore": ["a"],
        "requestId": "rq-part",
    }
    assert "rq-part" in error["message"]
    names = cypher.execute_query(
        "MATCH (c:Company) WHERE c.name IN ['先存的', '没跑的', '等锁'] RETURN c.name AS n"
    ).records
    assert [x["n"] for x in names] == ["先存的"]
    # one field alone, timed out: nothing was saved, and it still says so
    with cypher.session(database="neo4j") as s, s.begin_transaction() as tx:
        tx.run("MATCH (c:Company {id: 'locked'}) SET c.name = '持锁'").consume()
        alone = client.post(
            "/graphql",
            json={
                "query": "mutation { updateCompany(input: "
                '{id: "locked", expectedVersion: 1, name: "x"}) { company { id } } }'
            },
        )
        tx.rollback()
    assert alone.json()["errors"][0]["extensions"]["code"] == "QUERY_TIMEOUT"


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import logging

    from app import configure_logging

    configure_logging(Settings(log_format="json"))
    try:
        logging.getLogger("crm.errors").info("request %s: %s", "r1", "BAD_USER_INPUT")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("crm.errors").exception("unexpected error in request %s", "r2")
        # The driver's own line on a lost connection: the request it failed is logged above.
        logging.getLogger("neo4j.io").error("Failed to read from defunct connection")
    finally:
        configure_logging(Settings())
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    expected, unexpected, driver = lines[-3], lines[-2], lines[-1]
    assert (driver["logger"], driver["level"]) == ("neo4j.io", "WARNING")
    assert expected["level"] == "INFO"
    assert expected["message"] == "request r1: BAD_USER_INPUT"
    assert "exc_info" not in expected
    assert unexpected["level"] == "ERROR"
    assert "ValueError: boom" in unexpected["exc_info"]


def test_a_clients_newline_cannot_forge_a_text_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Tester AO: an operation name with a newline wrote an attacker's line, looking like an
    ERROR entry with a request id of its choosing. Every entry starts with its time, once."""
    import logging

    from app import configure_logging

    forged = "x\n2026-12-07 11:21:00,000 ERROR crm.app: request deadbeef: INTERNAL\r\x1b[2J"
    configure_logging(Settings())
    logging.getLogger("crm.errors").info("request %s: unknown operation %s", "r1", forged)
    try:
        raise ValueError("boom\n2026-12-07 11:21:01,000 CRITICAL forged")
    except ValueError:
        logging.getLogger("crm.errors").exception("unexpected error in request %s", "r2")
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    entries = [line for line in lines if not line.startswith("  ")]
    assert len(entries) == 2
    assert entries[0].endswith(
        "unknown operation x\\n2026-12-07 11:21:00,000 ERROR crm.app: request deadbeef: "
        "INTERNAL\\r\\x1b[2J"
    )
    assert " ERROR crm.errors: unexpected error in request r2" in entries[1]
    assert "  ValueError: boom" in lines
    assert "  2026-12-07 11:21:01,000 CRITICAL forged" in lines


@pytest.fixture
def slow_body_app(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    """A one-second body timeout."""
    yield from _tight_app(settings, body_timeout_seconds=1.0)


def test_a_slow_body_holds_no_place_in_flight_and_times_out(
    slow_body_app: tuple[TestClient, Any],
) -> None:
    """A client sending its body byte by byte (with no key: it is never checked) must not
    hold one of the places in flight: 64 of them once locked every caller out."""
    client, app = slow_body_app
    view = next(r for r in app.routes if getattr(r, "path", "") == "/graphql").app
    began = threading.Event()

    async def trickle() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if not began.is_set():
                began.set()
                return {"type": "http.request", "body": b'{"query": "{', "more_body": True}
            await asyncio.sleep(60)  # the rest never comes
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        await app(scope, receive, send)
        return sent

    assert client.portal is not None
    slow = client.portal.start_task_soon(trickle)
    assert began.wait(10)
    assert view.in_flight == 0
    # The only place in flight is free for a caller that sends its request at once.
    served = client.post("/graphql", json={"query": "{ __typename }"})
    assert served.status_code == 200, served.text
    sent = slow.result(timeout=30)
    assert sent[0]["status"] == 408
    # The unread body leaves the connection unusable: the server closes it at once.
    assert (b"connection", b"close") in sent[0]["headers"]
    error = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert error["extensions"]["requestId"]


def test_the_access_log_keeps_no_query_string(caplog: pytest.LogCaptureFixture) -> None:
    """A key sent in the query string is refused, and must not stay in uvicorn's access log."""
    import logging

    from app import configure_logging

    configure_logging(Settings())
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "POST",
            "/graphql?api_key=crm_SECRETSECRET",
            "1.1",
            401,
        )
    assert "/graphql" in caplog.text
    assert "crm_SECRETSECRET" not in caplog.text


def test_unknown_paths_and_methods_are_refused_with_a_code(client: TestClient) -> None:
    """Starlette's own 404 and 405 were plain text; every refusal has a code."""
    for method in ("PUT", "DELETE"):
        r = client.request(method, "/graphql", json={"query": "{ __typename }"})
        assert r.status_code == 405
        assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
        ext = r.json()["errors"][0]["extensions"]
        assert ext["code"] == "METHOD_NOT_ALLOWED"
        assert ext["requestId"] == r.headers["x-request-id"]
    for path in ("/no/such/path", "/viewer/no-such-file.js"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_mutation_sent_with_get_is_405_and_changes_nothing(client: TestClient) -> None:
    """GraphQL over HTTP: GET must not run a mutation, and the answer is 405 with Allow: POST
    (it was a 400 BAD_REQUEST, which tells a client its document is wrong)."""
    name = f"GET变更{uuid.uuid4().hex[:8]}"
    mutation = f'mutation {{ createCompany(input: {{name: "{name}"}}) {{ company {{ id }} }} }}'
    r = client.get("/graphql", params={"query": mutation}, headers=ADMIN)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    ext = r.json()["errors"][0]["extensions"]
    assert (ext["code"], ext["requestId"]) == ("METHOD_NOT_ALLOWED", r.headers["x-request-id"])
    found = client.post(
        "/graphql",
        json={
            "query": "query($q: String!) "
            "{ companies(first: 1, filter: {nameContains: $q}) { totalCount } }",
            "variables": {"q": name},
        },
        headers=ADMIN,
    )
    assert found.json()["data"]["companies"]["totalCount"] == 0
    # A query with GET still runs.
    ok = client.get("/graphql", params={"query": "{ version }"}, headers=ADMIN)
    assert ok.status_code == 200
    assert ok.json()["data"]["version"]
