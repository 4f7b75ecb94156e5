"""Request limits that a hostile document cannot blow up, and caches bounded in bytes.

Two steps, both linear in the size of the document:

- `check_text` runs before parsing: the document's size in bytes, its token count and how
  deeply its brackets nest (a parser recurses once per level, so 3,000 nested braces would
  exhaust Python's stack) are read off one pass of graphql-core's lexer.
- `analyse` runs before graphql-core's validation: the fragment count, then depth and
  aliases of each operation (its cost is schema/cost.py's, checked just before). Each
  fragment is visited once and its figures are memoised, so a fragment that spreads the next
  one twice, 22 levels deep (4 million fields when expanded), costs 23 visits, not 4 million.
  strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter` re-walk a fragment at each spread,
  which froze the server for 28 s on such a 915-byte document.

A refused document never reaches graphql-core's own rules, which were not written with such
documents in mind either. Refusals are GraphQL errors with `extensions.code`
`GRAPHQL_VALIDATION_FAILED` and `extensions.limit` naming the limit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
)
from graphql.language import Lexer, TokenKind

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
_OPEN = frozenset({TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L})
_CLOSE = frozenset({TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R})


@dataclass(frozen=True)
class Limits:
    """What one GraphQL document may ask for. Every figure is a setting (settings.py)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_bytes: int = 100_000
    max_nesting: int = 64
    max_fragments: int = 100
    max_query_cost: int = 100_000  # schema/cost.py


def refusal(
    message: str, limit: str, nodes: list[OperationDefinitionNode] | None = None
) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": VALIDATION_FAILED, "limit": limit})


def check_text(query: str, limits: Limits) -> tuple[GraphQLError | None, int]:
    """Size, token count and bracket nesting of a document, before it is parsed.

    Returns the refusal (or None) and the token count, which estimates the parsed
    document's memory (about 120 bytes per token of graphql-core AST). A document the lexer
    cannot read is passed: the parser then reports the syntax error with its position.
    """
    size = len(query) if query.isascii() else len(query.encode("utf-8"))
    if size > limits.max_query_bytes:
        return refusal(
            f"The query document is {size} bytes; at most {limits.max_query_bytes} are "
            "accepted. Send values as variables.",
            "maxQueryBytes",
        ), 0
    lexer = Lexer(Source(query))
    depth = tokens = 0
    try:
        token = lexer.advance()
        while token.kind is not TokenKind.EOF:
            tokens += 1
            if tokens > limits.max_tokens:
                return refusal(
                    f"The query has more than {limits.max_tokens} tokens.", "maxTokens"
                ), tokens
            if token.kind in _OPEN:
                depth += 1
                if depth > limits.max_nesting:
                    return refusal(
                        f"The query nests brackets more than {limits.max_nesting} deep.",
                        "maxNesting",
                    ), tokens
            elif token.kind in _CLOSE:
                depth -= 1
            token = lexer.advance()
    except GraphQLError:
        return None, tokens
    return None, tokens


def split_definitions(
    document: DocumentNode,
) -> tuple[dict[str, FragmentDefinitionNode], list[OperationDefinitionNode]]:
    """A document's fragments by name, and its operations in order."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    return fragments, operations


R = TypeVar("R")


class FragmentMemo(Generic[R]):
    """Visits each fragment once: `spread` memoises what `fragment` answers per name, and
    answers `unvisited` for unknown fragments and cycles (validation reports those)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], unvisited: R) -> None:
        self.fragments = fragments
        self.unvisited = unvisited
        self.memo: dict[str, R] = {}
        self.visiting: set[str] = set()

    def fragment(self, fragment: FragmentDefinitionNode) -> R:
        raise NotImplementedError

    def spread(self, name: str) -> R:
        known = self.memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.visiting:
            return self.unvisited
        self.visiting.add(name)
        result = self.fragment(fragment)
        self.visiting.discard(name)
        self.memo[name] = result
        return result


@dataclass(frozen=True)
class Stats:
    depth: int
    aliases: int


_NOTHING = Stats(0, 0)


class _Walker(FragmentMemo[Stats]):
    """Depth and aliases of selection sets, memoised per fragment name."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        super().__init__(fragments, _NOTHING)

    def fragment(self, fragment: FragmentDefinitionNode) -> Stats:
        return self.selections(fragment.selection_set)

    def selections(self, selection_set: SelectionSetNode) -> Stats:
        depth = aliases = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                aliases += 1 if sel.alias is not None else 0
                if sel.selection_set is not None:
                    sub = self.selections(sel.selection_set)
                    aliases += sub.aliases
                    # Introspection is left out of depth, as strawberry's limiter does.
                    if not sel.name.value.startswith("__"):
                        depth = max(depth, 1 + sub.depth)
            else:
                if isinstance(sel, InlineFragmentNode):
                    sub = self.selections(sel.selection_set)
                elif isinstance(sel, FragmentSpreadNode):
                    sub = self.spread(sel.name.value)
                else:  # pragma: no cover - graphql-core has no other selection kind
                    continue
                depth = max(depth, sub.depth)
                aliases += sub.aliases
        return Stats(depth, aliases)


def analyse(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """Errors for the limits `document` breaks; empty when it keeps them all."""
    fragments, operations = split_definitions(document)
    if len(fragments) > limits.max_fragments:
        return [
            refusal(
                f"The query defines {len(fragments)} fragments; at most "
                f"{limits.max_fragments} are accepted.",
                "maxFragments",
            )
        ]
    walker = _Walker(fragments)
    errors: list[GraphQLError] = []
    aliases = 0
    for op in operations:
        stats = walker.selections(op.selection_set)
        name = op.name.value if op.name else "anonymous"
        if stats.depth > limits.max_depth:
            errors.append(
                refusal(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                    "maxDepth",
                    [op],
                )
            )
        aliases += stats.aliases
    if aliases > limits.max_aliases:
        errors.append(
            refusal(f"{aliases} aliases found. Allowed: {limits.max_aliases}", "maxAliases")
        )
    return errors


K = TypeVar("K")
V = TypeVar("V")


class ByteBoundedLRU(Generic[K, V]):
    """A least-recently-used map bounded both in entries and in (estimated) bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        self._items.move_to_end(key)
        return hit[0]

    def put(self, key: K, value: V, size: int) -> None:
        if size > self.max_bytes:
            return  # would evict everything else and still not fit
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (value, size)
        self.bytes += size
        while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0
