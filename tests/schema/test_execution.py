"""The flat-object execution context gives exactly what graphql-core's own path gives.

A toy schema is enough here: this is execution machinery, not data access. Every query runs
twice, once per execution context, and the two results (data and errors) must be equal.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from resolvers.context import Viewer
from resolvers.masking import Guards
from schema.common import typename_is
from schema.execution import FlatObjectExecutionContext, default_resolver
from schema.fieldrules import install


@strawberry.enum
class Kind(Enum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"


@strawberry.type
class Leafy:
    id: strawberry.ID
    name: str
    kind: Kind
    score: float | None
    tags: list[str] | None
    extra: JSON | None
    kinds: list[Kind] | None
    marks: list[int | None] | None
    weights: list[float] | None

    @strawberry.field
    def shout(self, root: strawberry.Parent[dict[str, Any]]) -> str:
        return str(root["name"]).upper()


ROWS: list[dict[str, Any]] = [
    {
        "id": "a",
        "name": "华星",
        "kind": "COMPANY",
        "score": 0.5,
        "tags": ["x"],
        "extra": {"k": [1]},
        "kinds": ["COMPANY", "PERSON", "COMPANY"],
        "marks": [1, None, -3],
        "weights": [0.5, 2],
    },
    {"id": "b", "name": "Li", "kind": "PERSON", "score": None, "tags": None, "kinds": []},
]
BROKEN: list[dict[str, Any]] = [
    {"id": "c", "name": None, "kind": "COMPANY", "score": 1.0},  # null in a non-null field
    {"id": "d", "name": "ok", "kind": "NOT_A_KIND", "score": 1.0},  # refused by the enum
]

# Lists of leaves the flat path must leave to the stock one, which reports them located.
ODD_LISTS: list[dict[str, Any]] = [
    {"id": "l1", "name": "n", "kind": "PERSON", "tags": ["a", None]},  # null where refused
    {"id": "l2", "name": "n", "kind": "PERSON", "kinds": ["PERSON", "NOT_A_KIND"]},
    {"id": "l3", "name": "n", "kind": "PERSON", "tags": ("a", "b")},  # a tuple
    {"id": "l4", "name": "n", "kind": "PERSON", "tags": "ab"},  # a string, not a list
    {"id": "l5", "name": "n", "kind": "PERSON", "marks": [1, 2**40]},  # beyond Int
    {"id": "l6", "name": "n", "kind": "PERSON", "weights": [1.0, float("nan")]},
    {"id": "l7", "name": "n", "kind": "PERSON", "tags": ["a", 7], "weights": [True]},
]


# Objects inside objects: a page of union members (rows carrying `__typename`, as ours do)
# wrapped in strawberry objects, as the connections are.
@strawberry.type
class Owner:
    id: strawberry.ID
    name: str


@strawberry.type
class Firm:
    id: strawberry.ID
    name: str
    owner: Owner | None
    boss: Owner
    staff: list[Owner] | None
    members: list[Owner | None] | None
    kind: Kind | None
    is_type_of = typename_is("Firm")


@strawberry.type
class Human:
    id: strawberry.ID
    name: str
    is_type_of = typename_is("Human")


Party = Annotated[Firm | Human, strawberry.union("Party")]


@strawberry.type
class PartyEdge:
    cursor: str
    node: Party


@strawberry.type
class PartyPage:
    edges: list[PartyEdge]
    total: int


OWNER = {"id": "o1", "name": "王总"}
FIRM = {
    "__typename": "Firm",
    "id": "f1",
    "name": "华星",
    "owner": OWNER,
    "boss": OWNER,
    "staff": [OWNER, {"id": "o2", "name": "Li"}],
    "members": [None, OWNER],
    "kind": "COMPANY",
}
PARTIES: list[dict[str, Any]] = [
    FIRM,
    {"__typename": "Human", "id": "h1", "name": "张伟"},
    {**FIRM, "id": "f2", "owner": None, "staff": None, "members": []},
]
ODD_PARTIES: list[dict[str, Any]] = [
    {**FIRM, "id": "f3", "boss": None},  # null in a non-null object field
    {**FIRM, "id": "f4", "owner": {"id": "o3", "name": None}},  # null deeper down
    {"__typename": "Robot", "id": "r1", "name": "R2"},  # no member of the union
    {**FIRM, "id": "f5", "staff": (OWNER,)},  # a tuple: an iterable, not a list
    {**FIRM, "id": "f6", "members": [OWNER, None], "kind": "NOT_A_KIND"},
    {**FIRM, "id": "f7", "staff": [None]},  # a null item where the list refuses one
    {**FIRM, "id": "f8", "staff": "o1"},  # not a list at all
]


def _page(rows: list[dict[str, Any]]) -> PartyPage:
    edges = [PartyEdge(cursor=f"c{i}", node=row) for i, row in enumerate(rows)]  # type: ignore[arg-type]
    return PartyPage(edges=edges, total=len(rows))


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Leafy]:
        return ROWS  # type: ignore[return-value]

    @strawberry.field
    def parties(self) -> PartyPage:
        return _page(PARTIES)

    @strawberry.field
    def odd(self) -> list[PartyPage | None]:
        return [_page([row]) for row in ODD_PARTIES]

    @strawberry.field
    def firms(self) -> list[Firm]:
        return [PARTIES[0], PARTIES[2]]  # type: ignore[list-item]

    @strawberry.field
    def broken(self) -> list[Leafy | None]:
        return BROKEN  # type: ignore[return-value]

    @strawberry.field
    def lists(self) -> list[Leafy | None]:
        return ODD_LISTS  # type: ignore[return-value]

    @strawberry.field
    def gaps(self) -> list[Leafy | None]:
        return [ROWS[0], None, ROWS[1]]  # type: ignore[list-item]

    @strawberry.field
    def holes(self) -> list[Leafy]:
        return [ROWS[0], None]  # type: ignore[list-item]

    @strawberry.field
    def nested(self) -> list[list[Leafy]]:
        return [ROWS, [], ROWS[:1]]  # type: ignore[list-item]


def schema(context: type) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(default_resolver=default_resolver),
        execution_context_class=context,
    )


FAST = schema(FlatObjectExecutionContext)
STOCK = schema(StrawberryGraphQLCoreExecutionContext)

PAGE_QUERY = (
    "{ parties { total edges { cursor node { __typename ... on Firm { id name "
    "owner { id name } boss { name } staff { name } members { id } kind } "
    "... on Human { id name } } } } }"
)
QUERIES = [
    "{ rows { id name kind score } }",
    "{ rows { __typename ident: id name n2: name kind } }",
    "{ rows { ...F } } fragment F on Leafy { id kind }",
    "{ rows { ... on Leafy { id } name } }",
    "query($s: Boolean!) { rows { id name @skip(if: $s) score @include(if: $s) } }",
    "{ rows { id tags } }",
    "{ rows { id tags kinds marks weights } }",
    "{ lists { id tags kinds marks weights } }",
    "{ lists { id } gaps { kinds weights } }",
    "query($s: Boolean!) { rows { kinds @skip(if: $s) marks @include(if: $s) } }",
    "{ rows { id kind extra } }",
    "{ rows { id shout } }",  # a field with a resolver: not flat
    "{ broken { id name kind } }",
    "{ gaps { id kind } }",  # null items in a nullable list
    "{ holes { id } }",  # a null item where the list refuses one
    "{ nested { id name } }",
    "{ rows { id } gaps { name } nested { kind } }",
    PAGE_QUERY,
    "{ parties { edges { node { ...P } } } } "
    "fragment P on Firm { a: owner { id } b: owner { name } owner { id } }",
    "query($s: Boolean!) { parties { edges { node { ... on Firm { "
    "owner @include(if: $s) { id } name @skip(if: $s) staff { id @skip(if: $s) name } } } } } }",
    "query($s: Boolean!) { parties { edges { node { ... on Firm @include(if: $s) { id } "
    "... on Human { name } } } } }",
    "{ odd { edges { cursor node { ... on Firm { id boss { id } owner { name } "
    "staff { id } members { name } kind } ... on Human { id } } } } }",
    "{ firms { id owner { id } } }",
]


def run(s: strawberry.Schema, query: str, skip: bool = True) -> tuple[Any, Any]:
    result = asyncio.run(s.execute(query, variable_values={"s": skip}))
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
def test_same_result_as_graphql_core(query: str) -> None:
    for skip in (True, False):
        fast, stock = run(FAST, query, skip), run(STOCK, query, skip)
        assert fast == stock
        # and the same JSON: equality alone takes True, 1 and 1.0 for one another
        assert json.dumps(fast[0]) == json.dumps(stock[0])


def test_nested_objects_errors_keep_their_path() -> None:
    q = QUERIES[-2]
    data, errors = run(FAST, q)
    # a null in a non-null field, or no union member, nulls the page (its edges and nodes are
    # non-null); elsewhere only the field itself
    assert [e["edges"][0]["node"]["id"] if e else None for e in data["odd"]] == [
        None, "f4", None, "f5", "f6", "f7", "f8",
    ]  # fmt: skip
    assert sorted(str(p) for _, p in errors) == [
        "['odd', 0, 'edges', 0, 'node', 'boss']",
        "['odd', 1, 'edges', 0, 'node', 'owner', 'name']",
        "['odd', 2, 'edges', 0, 'node']",
        "['odd', 4, 'edges', 0, 'node', 'kind']",
        "['odd', 5, 'edges', 0, 'node', 'staff', 0]",
        "['odd', 6, 'edges', 0, 'node', 'staff']",
    ]


def test_nested_objects_skip_per_field_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stock_calls(monkeypatch, "execute_field")
    q = PAGE_QUERY
    fast = run(FAST, q)
    assert not fast[1]
    assert calls.count("Query") == 1  # the root field; the page, edges and nodes are flat
    assert len(calls) == 1
    assert fast == run(STOCK, q)
    assert {"PartyPage", "PartyEdge", "Firm", "Human", "Owner"} <= set(calls)


def test_errors_keep_their_path() -> None:
    data, errors = run(FAST, "{ broken { id name kind } }")
    assert data == {"broken": [None, None]}
    assert sorted(str(p) for _, p in errors) == ["['broken', 0, 'name']", "['broken', 1, 'kind']"]


def stock_calls(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """The type names the stock context's `method` is called with, call by call."""
    calls: list[str] = []
    original = getattr(StrawberryGraphQLCoreExecutionContext, method)

    def counting(self: Any, graphql_type: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(graphql_type.name)
        return original(self, graphql_type, *args, **kwargs)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, method, counting)
    return calls


def test_flat_objects_skip_per_field_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stock_calls(monkeypatch, "execute_field")
    assert run(FAST, "{ rows { id name kind } }")[0] == run(STOCK, "{ rows { id name kind } }")[0]
    # the stock run executes 1 root field + 2 x 3 leaves; the flat one only the root
    assert calls.count("Leafy") == 6
    assert calls.count("Query") == 2


def test_lists_of_leaves_skip_per_field_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stock_calls(monkeypatch, "execute_field")
    q = "{ rows { id tags kinds marks weights } }"
    fast = run(FAST, q)
    assert not fast[1]
    assert fast == run(STOCK, q)
    # the stock run executes 1 root field + 2 x 5 fields; the flat one only the root
    assert calls.count("Leafy") == 10
    assert calls.count("Query") == 2
    assert fast[0]["rows"][0]["kinds"] == ["COMPANY", "PERSON", "COMPANY"]
    assert fast[0]["rows"][0]["weights"] == [0.5, 2.0]


def test_flat_lists_complete_in_one_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stock_calls(monkeypatch, "complete_object_value")
    q = "{ rows { id name kind } gaps { id } }"
    assert run(FAST, q) == run(STOCK, q)
    # stock: one completion per object (2 rows + 2 non-null gaps); flat lists: none
    assert calls.count("Leafy") == 4
    calls.clear()
    run(FAST, "{ holes { id } }")  # declined by the flat loop: the stock path, per item
    assert calls.count("Leafy") == 1


# Field rules: a toy type named like a rule-bearing type gets the real guards; both paths
# must give the same masked answer for each role.
@strawberry.type(name="MapNode")
class ToyMapNode:
    id: strawberry.ID
    kind: Kind
    name: str
    nameEn: str | None
    data: JSON | None


TOY_NODES: list[dict[str, Any]] = [
    {"id": "c", "kind": "COMPANY", "name": "华星", "nameEn": "Star", "data": {"industry": "x"}},
    {"id": "p", "kind": "PERSON", "name": "张伟", "nameEn": "Zhang", "data": {"occupation": "y"}},
]


@strawberry.type(name="Query")
class GuardedQuery:
    @strawberry.field
    def nodes(self) -> list[ToyMapNode]:
        return TOY_NODES  # type: ignore[return-value]


@dataclass
class Ctx:
    viewer: Viewer


def guarded(context: type) -> strawberry.Schema:
    s = strawberry.Schema(
        query=GuardedQuery,
        config=StrawberryConfig(default_resolver=default_resolver),
        execution_context_class=context,
    )
    install(s._schema, Guards("test-key"))
    return s


GUARDED_FAST = guarded(FlatObjectExecutionContext)
GUARDED_STOCK = guarded(StrawberryGraphQLCoreExecutionContext)


@pytest.mark.parametrize("roles", [{"ADMIN"}, {"SALES"}, {"ANALYST"}, set()])
def test_flat_path_applies_the_field_rules(roles: set[str]) -> None:
    ctx = Ctx(Viewer("u", "u", frozenset(roles)))
    q = "{ nodes { id kind name nameEn data } }"
    fast = asyncio.run(GUARDED_FAST.execute(q, context_value=ctx))
    stock = asyncio.run(GUARDED_STOCK.execute(q, context_value=ctx))
    assert fast.errors is None
    assert stock.errors is None
    assert fast.data == stock.data
    assert fast.data is not None
    company, person = fast.data["nodes"]
    assert company == {**TOY_NODES[0], "data": {"industry": "x"}}
    if roles & {"ADMIN", "SALES"}:
        assert person == TOY_NODES[1]
    else:
        assert person["name"] == Guards("test-key").pseudonym("p")
        assert person["nameEn"] is None
        assert person["data"] == {}


# Scalars the flat path passes through without their coercion: values at and past the
# edges of what each type returns unchanged must come out as the stock path gives them.
@strawberry.type
class Numbers:
    count: int | None
    ratio: float | None
    flag: bool | None


NUMBER_ROWS: list[dict[str, Any]] = [
    {"count": 2**31 - 1, "ratio": 0.1, "flag": True},
    {"count": -(2**31), "ratio": 3.0, "flag": False},
    {"count": True, "ratio": 7, "flag": 1},  # a bool as Int, an int as Float and as Boolean
    {"count": 2.0, "ratio": False, "flag": 0.0},
    {"count": 2**31, "ratio": 1.0, "flag": True},  # past 32 bits: an error
    {"count": 1, "ratio": float("nan"), "flag": True},  # not finite: an error
    {"count": 1, "ratio": float("inf"), "flag": None},
    {"count": "12", "ratio": "1.5", "flag": "yes"},
]


@strawberry.type(name="Query")
class NumbersQuery:
    @strawberry.field
    def numbers(self) -> list[Numbers | None]:
        return NUMBER_ROWS  # type: ignore[return-value]

    @strawberry.field
    def one(self, i: int) -> Numbers | None:
        return NUMBER_ROWS[i]  # type: ignore[return-value]


def numbers(context: type, extensions: list[Any] | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=NumbersQuery,
        config=StrawberryConfig(default_resolver=default_resolver),
        execution_context_class=context,
        extensions=extensions or [],
    )


def test_scalars_passed_through_match_their_coercion() -> None:
    fast, stock = (
        numbers(FlatObjectExecutionContext),
        numbers(StrawberryGraphQLCoreExecutionContext),
    )
    queries = ["{ numbers { count ratio flag } }"]
    queries += [f"{{ one(i: {i}) {{ count ratio flag }} }}" for i in range(len(NUMBER_ROWS))]
    for q in queries:
        assert run(fast, q) == run(stock, q), q
    data, errors = run(fast, "{ numbers { count ratio flag } }")
    assert data["numbers"][0] == NUMBER_ROWS[0]
    assert data["numbers"][2] == {"count": 1, "ratio": 7.0, "flag": True}
    # 2**31, nan, inf and "yes"; the strings "12" and "1.5" parse as Int and Float
    assert sorted(str(p) for _, p in errors) == [
        "['numbers', 4, 'count']",
        "['numbers', 5, 'ratio']",
        "['numbers', 6, 'ratio']",
        "['numbers', 7, 'flag']",
    ]


def test_plans_are_shared_across_requests_of_one_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from schema import execution
    from schema.extensions import ParseMemo

    built: list[str] = []
    original = execution.build_plan

    def counting(schema: Any, parent_type: Any, fields: Any) -> Any:
        built.append(",".join(fields))
        return original(schema, parent_type, fields)

    monkeypatch.setattr(execution, "build_plan", counting)
    # The parse memo hands each request of a text the same document, hence the same nodes.
    fast = numbers(FlatObjectExecutionContext, [ParseMemo])
    stock = numbers(StrawberryGraphQLCoreExecutionContext)
    q = "query($s: Boolean!) { numbers { count @skip(if: $s) ratio flag @include(if: $s) } }"
    for s in (True, False, True, False):
        fast_result = asyncio.run(fast.execute(q, variable_values={"s": s}))
        stock_result = asyncio.run(stock.execute(q, variable_values={"s": s}))
        assert fast_result.data == stock_result.data
        assert [e.message for e in fast_result.errors or []] == [
            e.message for e in stock_result.errors or []
        ]
    # One plan per field group (the variables pick the group), built once for four requests.
    assert sorted(built) == ["count,ratio", "ratio,flag"]
    other = "{ numbers { ratio } }"
    assert asyncio.run(fast.execute(other)).data == asyncio.run(stock.execute(other)).data
    assert sorted(built) == ["count,ratio", "ratio", "ratio,flag"]


def test_compiled_plans_give_what_the_loop_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dict rows complete through each plan's compiled function; with compiling turned off,
    the same queries through the interpreting loop give the same data and errors."""
    from schema import execution

    calls: list[int] = []
    original = execution.compile_plan

    def counting(entries: list[Any]) -> Any:
        compiled = original(entries)

        def complete(ctx: Any, row: dict[str, Any], roles: Any) -> Any:
            calls.append(len(entries))
            return compiled(ctx, row, roles)

        return complete

    def results() -> list[Any]:
        return [run(FAST, q, skip) for q in QUERIES for skip in (True, False)]

    monkeypatch.setattr(execution, "_SHARED_PLANS", {})
    monkeypatch.setattr(execution, "compile_plan", counting)
    compiled = results()
    # every row of every flat list and page above, and of the nested ones
    assert len(calls) > 100
    monkeypatch.setattr(execution, "_SHARED_PLANS", {})
    monkeypatch.setattr(execution, "compile_plan", lambda entries: None)
    calls.clear()
    assert results() == compiled
    assert calls == []
