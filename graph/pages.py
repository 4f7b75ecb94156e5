"""Keyset pages: the rows after the last one a client saw, and their total when asked.

A paged statement orders by a sort value and the id, and reads its position as `$<key>` (the
sort value: `$afterAt`, `$afterScore`, ...) and `$afterId`, both null on the first page.

Strings: ORDER BY and the range indexes put stored strings in code point order, but Cypher
compares a stored string with a parameter (or any computed one) by UTF-16 code unit, as Java's
String.compareTo does. The two disagree where the first difference is a character above U+FFFF
(a surrogate pair: CJK Extension B, emoji) against one of U+E000..U+FFFF (full-width forms,
private use). `text_after` compares in code point order whichever Cypher uses: the cursor
value's prefixes before each such character (`text_params`) decide those rows themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, LiteralString, TypeVar

from graph.db import Cypher, Database, Row


def after(position: tuple[Any, str] | None, key: str = "afterAt") -> dict[str, Any]:
    """The parameters of a cursor position `(sort value, id)`; None: the first page."""
    return {key: position[0] if position else None, "afterId": position[1] if position else None}


def _next_char(key: LiteralString) -> LiteralString:
    """The character of `key` after the prefix `cursorPrefix`."""
    return "substring(" + key + ", size(cursorPrefix), 1)"


def _high(key: LiteralString) -> LiteralString:
    """The next character is one of U+E000..U+FFFF, in either order."""
    c = _next_char(key)
    return "(" + c + " >= '\\uE000' AND " + c + " <= '\\uFFFF')"


def _astral(key: LiteralString) -> LiteralString:
    """The next character is above U+FFFF, in either order: U+10000 and up in code points,
    in UTF-16 the surrogate pairs and U+E000..U+FFFF (which `_high` takes out)."""
    c = _next_char(key)
    return "(" + c + " >= '\\uD800\\uDC00' AND NOT " + _high(key) + ")"


def _going_on(key: LiteralString, prefixes: LiteralString, char: LiteralString) -> LiteralString:
    return (
        "any(cursorPrefix IN " + prefixes + " WHERE " + key + " STARTS WITH cursorPrefix AND "
        + char + ")"
    )  # fmt: skip


def text_after(
    key: LiteralString, param: LiteralString, op: LiteralString, tie: LiteralString = "false"
) -> LiteralString:
    """`key op $param` for strings, `op` '>' or '<', in code point order (see the module doc),
    `tie` when they are equal; the statement takes `text_params` for `param` too."""
    # Above: the value's prefixes before a U+E000..U+FFFF character; a string going on with
    # an astral one there sorts after the value. Below: its prefixes before an astral
    # character; a string going on with one of U+E000..U+FFFF sorts before it. Any other
    # string compares alike in both orders. One CASE, the plain comparison first: the
    # planner would spread ORs into a conjunction that repeats each any().
    above = _going_on(key, "$" + param + "Above", _astral(key))
    below = _going_on(key, "$" + param + "Below", _high(key))
    after, before = (above, below) if op == ">" else (below, above)
    return (
        "CASE WHEN " + key + " " + op + " $" + param + " THEN NOT " + before + " "
        "WHEN " + key + " = $" + param + " THEN " + tie + " ELSE " + after + " END"
    )


def text_params(params: Mapping[str, Any], *names: str) -> dict[str, list[str]]:
    """The prefixes `text_after` reads for the string parameters `names` of `params`."""
    out: dict[str, list[str]] = {}
    for name in names:
        value = params.get(name)
        text = value if isinstance(value, str) else ""
        # Python indexes by code point, as Cypher's size() and substring() do.
        out[name + "Above"] = [text[:i] for i, c in enumerate(text) if "\ue000" <= c <= "\uffff"]
        out[name + "Below"] = [text[:i] for i, c in enumerate(text) if c > "\uffff"]
    return out


def turns(params: Mapping[str, Any], name: str) -> bool:
    """Whether `text_after` on the parameter `name` can answer other than a plain comparison:
    only when its value has a character from U+E000 up."""
    return bool(params.get(name + "Above") or params.get(name + "Below"))


async def read(
    db: Database,
    page: Cypher,
    count: Cypher,
    params: Mapping[str, Any],
    position: Mapping[str, Any],
    limit: int,
    with_total: bool,
) -> tuple[list[Row], int | None]:
    """`limit` rows of `page` after `position`, then, when asked, the `total` that `count`
    finds with the same filters (`params`, without the position)."""
    rows = await db.read(page, {**params, **position, "limit": limit})
    total = (await db.read(count, params))[0]["total"] if with_total else None
    return rows, total


RowT = TypeVar("RowT", bound=Mapping[str, Any])


async def every(next_page: Callable[[str], Awaitable[Sequence[RowT]]]) -> AsyncIterator[RowT]:
    """Every row of a walk page by page in id order: `next_page(after)` answers the rows with
    ids above `after` ("" at first), and an empty page after the last."""
    after = ""
    while page := await next_page(after):
        for row in page:
            yield row
        after = page[-1]["id"]
