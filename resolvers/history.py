"""fieldHistory (R9, R23): a node's changes to one dynamic field, newest first.

The node must be visible to the viewer (else an empty page, as for a missing node). Values
are masked by the field rules exactly as the live field (resolvers/permissions.py
`as_field`): each row names the live field's rule and carries a stand-in for the live row
(the node's id, the value, the ID number's ciphertext), so pseudonyms and decryption work
as on the node itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph import crypto
from graph import history as g
from graph.history import CUSTOM_PREFIX, OWNER, FieldChangeRow
from graph.vocab import Label
from resolvers import customfields
from resolvers.args import page_size
from resolvers.context import Context
from resolvers.errors import ApiError, ErrorCode
from resolvers.pages import connection, time_ordered, time_position
from resolvers.review import PROFILE_TYPE
from resolvers.shapes import ConnectionOf

# Labels whose owner changes through transferOwnership.
OWNED = (Label.COMPANY, Label.PERSON)
# Every fixed field with history, on any label.
KNOWN = frozenset({OWNER, *(f for fields in g.TRACKED.values() for f in fields)})


def _shown(value: Any) -> Any:
    to_native = getattr(value, "to_native", None)  # neo4j.time values
    value = to_native() if to_native is not None else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


async def fields_of(ctx: Context, label: Label) -> dict[str, bool]:
    """The fields with history on `label`: name -> whether it is a personal custom field."""
    out = dict.fromkeys(g.TRACKED.get(label, ()), False)
    if label in OWNED:
        out[OWNER] = False
    if label in customfields.KIND_OF_LABEL:
        for key, d in (await customfields.of_kind(ctx, label, active=False)).items():
            if d["dynamic"]:
                out[CUSTOM_PREFIX + key] = bool(d["personal"])
    return out


def _rule_of(label: Label, field: str) -> tuple[str, str]:
    if field in g.TRACKED.get(label, ()) and field == "lifecycleStage":
        return PROFILE_TYPE, field
    if field.startswith(CUSTOM_PREFIX):
        return label.value, "custom"
    return label.value, field


def _row(change: FieldChangeRow, label: Label, personal: bool) -> dict[str, Any]:
    rule_type, rule_field = _rule_of(label, change["field"])
    old, new = _shown(change.get("old")), _shown(change.get("new"))
    return {
        **change,
        "oldValue": old,
        "newValue": new,
        "ruleType": rule_type,
        "ruleField": rule_field,
        "personal": personal,
        "oldRow": {"id": change["targetId"], crypto.ID_NUMBER: old,
                   crypto.CIPHER: change.get("oldCipher")},
        "newRow": {"id": change["targetId"], crypto.ID_NUMBER: new,
                   crypto.CIPHER: change.get("newCipher")},
    }  # fmt: skip


async def field_history(
    ctx: Context, node_id: str, field: str, first: int, after: str | None, with_total: bool
) -> ConnectionOf[dict[str, Any]]:
    limit = page_size(first)
    of = [node_id, field]
    position = time_position(after, "fieldHistory", of)
    if field not in KNOWN and not field.startswith(CUSTOM_PREFIX):
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            f"no field {field!r} keeps history; known: {', '.join(sorted(KNOWN))} and "
            f"{CUSTOM_PREFIX}<key> for custom fields marked dynamic",
            "field",
        )
    label = await g.label_of(ctx.db, ctx.actor, node_id)
    if label is None:
        return connection([], False, after, 0 if with_total else None)
    fields = await fields_of(ctx, label)
    if field not in fields:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            f"{label.value} keeps no history of {field!r}; fields with history: "
            + ", ".join(sorted(fields)),
            "field",
        )
    rows, total = await g.page(ctx.db, ctx.actor, node_id, field, limit + 1, position, with_total)
    shown = [_row(r, label, fields[field]) for r in rows]
    return time_ordered(
        shown, limit, after, total, lambda r: (str(r["at"]), r["id"]), "fieldHistory", of
    )
