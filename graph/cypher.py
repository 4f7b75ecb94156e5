"""The pieces Cypher text is composed from, besides literals in the statements themselves.

Statements are `LiteralString`s (graph.db.Cypher.text). Names come from the closed vocabulary,
whose enum values are typed `LiteralString` (graph/vocab.py), and numbers from code constants;
nothing a client sends is ever part of the text. Fragments are functions of such values that
return `LiteralString`, composed with `+` or f-strings of `LiteralString`s. (mypy treats
`LiteralString` as `str`; the annotation states the contract for readers and for checkers
that enforce PEP 675.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import LiteralString

from graph.vocab import Label


def label_list(labels: Iterable[Label]) -> LiteralString:
    """These labels as a Cypher list of strings."""
    return "[" + ", ".join("'" + label.value + "'" for label in labels) + "]"


# Every node label a party, project or user can carry, as a Cypher list.
NODE_LABELS: LiteralString = label_list(Label)


def hops(low: int, high: int) -> LiteralString:
    """A variable-length range `*low..high`. Hop caps are code constants, never input (a
    PEP 675 checker would want a cast here: a formatted int is not a LiteralString)."""
    return f"*{low}..{high}"


def current(r: LiteralString) -> LiteralString:
    """Relationship `r` is valid today (docs/MODEL.md: since <= today < until)."""
    return (
        "(" + r + ".since IS NULL OR " + r + ".since <= date()) "
        "AND (" + r + ".until IS NULL OR " + r + ".until > date())"
    )


def counts(r: LiteralString) -> LiteralString:
    """Record `r` (an order, a payment) counts now: not voided, and not dated ahead (an order
    dated next month is no purchase yet; it counts once its time has come)."""
    return r + ".voidedAt IS NULL AND " + r + ".occurredAt <= datetime()"


def any_label_union(var: LiteralString, key: LiteralString) -> LiteralString:
    """`MATCH (var:L {id: key}) RETURN var` for each label, joined by UNION: one index seek
    per label where a label-less match would scan."""
    return " UNION ".join(
        "MATCH (" + var + ":" + label.value + " {id: " + key + "}) RETURN " + var for label in Label
    )


def merged_survivor(
    var: LiteralString, label: Label, key: LiteralString, scope: LiteralString
) -> LiteralString:
    """`OPTIONAL CALL` binding `var` to the survivor of a merged `label` node that was known by
    `key` (a map literal: `{id: ...}`, or `{externalSource: ..., externalId: ...}`), when no
    `label` node holds that key now; else null. A merge keeps the merged node's keys on its
    `MergedId` (graph/merge.py), so a source system still reaches the account by them.
    `scope`: the variables the key's expressions use."""
    lb: LiteralString = label.value
    return (
        "OPTIONAL CALL (" + scope + ") { MATCH (:MergedId " + key + ")-[:MERGED_INTO]->("
        + var + ":" + lb + ") WHERE NOT EXISTS { MATCH (:" + lb + " " + key + ") } "
        "RETURN " + var + " LIMIT 1 } "
    )  # fmt: skip
