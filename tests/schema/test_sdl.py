"""The checked-in SDL matches the code, and every type and field is described."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema import build_schema
from settings import ROOT


def test_schema_graphql_is_current() -> None:
    expected = build_schema().as_str() + "\n"
    actual = (ROOT / "schema.graphql").read_text()
    assert actual == expected, "schema.graphql is stale: run `make schema`"


def test_every_type_and_field_is_described() -> None:
    gql_schema = build_schema()._schema
    missing = []
    for name, t in gql_schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                for aname, a in getattr(f, "args", {}).items():
                    if not a.description:
                        missing.append(f"{name}.{fname}({aname})")
        if isinstance(t, GraphQLEnumType):
            missing.extend(f"{name}.{v}" for v, ev in t.values.items() if not ev.description)
    assert missing == [], "undescribed: " + ", ".join(missing)


def test_every_code_the_server_sends_is_in_the_error_code_enum() -> None:
    """Clients switch on `extensions.code`; each value they can meet is listed in the SDL."""
    import inspect

    from app import HTTP_CODES
    from graph import crypto, errors

    enum = build_schema()._schema.type_map["ErrorCode"]
    assert isinstance(enum, GraphQLEnumType)
    sent = set(HTTP_CODES.values())
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if isinstance(getattr(cls, "code", None), str):
            sent.add(cls.code)
    sent.add(crypto.DataKeyMissing.code)  # the one of crypto's errors a response shows
    assert sent, "found no codes: the test would pass vacuously"
    assert sent - set(enum.values) == set()
