"""Outreach templates cost a bounded amount to check and render: big powers, string
multiplication, nested loops, amplifying filters, macros and Jinja's globals are refused at save
with a typed error, quickly; a stored template that exceeds the bounds (saved before them, or
through a customer's data) is skipped as RENDER_FAILED; ordinary templates still render."""

from __future__ import annotations

import time
from typing import Any

import pytest

from neo4j import Driver
from tests.conftest import GQL
from tests.resolvers.test_outreach import C1, EMAIL_ZH, SAVE, ZHANG, by_person, send
from tests.resolvers.test_outreach import people as people  # the fixture
from tests.resolvers.test_outreach import template as saved_template

PREVIEW = """query($t: ID!, $c: ID!) { previewMessage(templateId: $t, customerId: $c) {
  recipients { personId willSend reason subject body } } }"""

NESTED_LOOPS = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{{ (7**12000000) % 10 }}", "too costly"),
        ("{{ 7**3000000 }}", "too costly"),
        ("{{ ('x' * 10**7)|length }}", "too costly"),
        ("{{ (customer.name * 100)|replace('', customer.name * 100)|length }}", "too costly"),
        ("{{ ('%.2000000f' % 1)|length }}", "too costly"),
        (NESTED_LOOPS, "too costly"),
        (
            "{% for c in customer.name * 200 %}{% for d in customer.name * 200 %}"
            "{% endfor %}{% endfor %}",
            "too costly",
        ),
        ("{{ customer.name|center(10000000)|length }}", "not allowed"),
        ("{{ lipsum(2000)|length }}", "may be called"),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(16)|length }}",
            "not allowed",
        ),
        ("{% set s = customer.name ~ customer.name %}{{ s }}", "not allowed"),
        ("{{ " + "(" * 100 + "1" + ")" * 100 + " }}", "cannot be read"),
        ("{{ customer.name }}" * 520, "too costly"),
        ("{{ 1" + "0" * 5000 + " }}", "cannot be read"),
        # Mistakes, not costs (tester AS read "too costly" for them).
        ("{{ customer.name|list }}", "fails on sample data: a list is output"),
        ("{{ customer.name|list ~ customer.name }}", "fails on sample data: a list is used"),
        ("{{ customer.name + 1 }}", "fails on sample data: TypeError"),
    ],
)
def test_a_costly_template_is_refused_quickly_at_save(gql: GQL, body: str, words: str) -> None:
    started = time.monotonic()
    reply = gql.as_("owner")(SAVE, {"input": {**EMAIL_ZH, "body": body}})
    assert time.monotonic() - started < 3
    payload = reply.data["saveMessageTemplate"]
    assert payload["template"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "input.body")]
    assert words in payload["errors"][0]["message"]


def test_a_costly_subject_is_refused_at_its_path(gql: GQL) -> None:
    subject = "{{ (customer.name * 100)|list|join(customer.name * 100)|length }}"
    payload = gql.as_("owner")(SAVE, {"input": {**EMAIL_ZH, "subject": subject}}).data
    errors = payload["saveMessageTemplate"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", "input.subject")]
    assert "too costly" in errors[0]["message"]


def test_ordinary_templates_still_render(gql: GQL, people: None) -> None:
    owner = gql.as_("owner")
    body = ("{% for word in ['您好', '再见'] %}{{ loop.index + 1 }}.{{ word }}{{ '-' * 3 }}"
            "{% endfor %}{{ contact.name|default('客户') }}{{ (customer.name ~ '!')|upper }}"
            "{% if contact.title is string and contact.title|length > 1 %}"
            "{{ contact.title|truncate(20) }}{% endif %}")  # fmt: skip
    tid = saved_template(owner, {**EMAIL_ZH, "body": body})
    recipients = by_person(owner(PREVIEW, {"t": tid, "c": C1}).data["previewMessage"]["recipients"])
    assert recipients[ZHANG]["body"] == "2.您好---3.再见---张伟华东机械!采购经理"


def _stored(cypher: Driver, template_id: str, body: str) -> None:
    """A template saved before the bounds existed."""
    cypher.execute_query("MATCH (t:MessageTemplate {id: $id}) SET t.body = $body",
                         id=template_id, body=body, database_="neo4j")  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        NESTED_LOOPS,
        "{{ 7**1000000 % 10 }}",
        "{{ (customer.name * 10**6)|length }}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(16)|length }}",
    ],
)
def test_a_costly_stored_template_fails_to_render_quickly(
    gql: GQL, people: None, cypher: Driver, body: str
) -> None:
    owner = gql.as_("owner")
    tid = saved_template(owner, EMAIL_ZH)
    owner(PREVIEW, {"t": tid, "c": C1})  # the queries planned by Neo4j: only rendering is timed
    send(owner, {"template": tid, "audience": {"customers": [C1]}, "dryRun": True})
    _stored(cypher, tid, body)
    started = time.monotonic()
    preview = owner(PREVIEW, {"t": tid, "c": C1}).data["previewMessage"]["recipients"]
    dry = send(owner, {"template": tid, "audience": {"customers": [C1]}, "dryRun": True})
    assert time.monotonic() - started < 3
    assert (by_person(preview)[ZHANG]["willSend"], by_person(preview)[ZHANG]["reason"]) == (
        False,
        "RENDER_FAILED",
    )
    assert dry["errors"] == []
    assert dry["addressed"] == 0


def test_a_customer_value_too_long_for_the_template_fails_that_recipient(
    gql: GQL, people: None, cypher: Driver
) -> None:
    owner = gql.as_("owner")
    # 8 characters in the sample: 4,000; 30 in this customer's name: past the bound.
    tid = saved_template(owner, {**EMAIL_ZH, "body": "{{ (customer.name * 500)|length }}"})
    cypher.execute_query("MATCH (c:Customer {id: $id}) SET c.name = $name", id=C1,
                         name="华" * 30, database_="neo4j")  # fmt: skip
    recipients: list[dict[str, Any]] = owner(PREVIEW, {"t": tid, "c": C1}).data["previewMessage"][
        "recipients"
    ]
    assert by_person(recipients)[ZHANG]["reason"] == "RENDER_FAILED"
