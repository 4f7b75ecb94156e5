"""Personal-data masking (R21).

A person's resident ID number and mobile number are shown in full only to viewers with role
ADMIN or MANAGER; everyone else sees them masked, e.g. `1101**********002X` and
`+86138****5678`. Masking happens on the row dicts before they reach the schema, so the
GraphQL fields stay plain attributes (no per-field resolvers).
"""

from __future__ import annotations

from resolvers.context import Context, Viewer
from resolvers.shapes import NodeRow

# Fields of :Person holding personal data: idNumber and mobile (see mask_person).
REVEALING_ROLES = ("ADMIN", "MANAGER")


def mask_id_number(value: str) -> str:
    """Keep the region prefix (4) and the last 4 characters: `1101**********002X`."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the country code and carrier prefix, and the last 4 digits: `+86138****5678`."""
    if len(value) <= 8:
        return "*" * max(len(value) - 2, 0) + value[-2:]
    return value[:-8] + "****" + value[-4:]


def may_see_personal_data(viewer: Viewer) -> bool:
    return any(viewer.has(role) for role in REVEALING_ROLES)


def mask_person(row: NodeRow, reveal: bool) -> NodeRow:
    """A copy of a Person row with personal fields masked unless `reveal`; other rows (or
    rows without personal values) come back unchanged, as the same object."""
    if reveal or row.get("__typename") != "Person":
        return row
    id_number, mobile = row.get("idNumber"), row.get("mobile")
    if not (id_number or mobile):
        return row
    out = row.copy()
    if id_number:
        out["idNumber"] = mask_id_number(id_number)
    if mobile:
        out["mobile"] = mask_phone(mobile)
    return out


def present(ctx: Context, row: NodeRow | None) -> NodeRow | None:
    """Mask one row for this request's viewer."""
    if row is None:
        return None
    return mask_person(row, may_see_personal_data(ctx.viewer))


def present_all(ctx: Context, rows: list[NodeRow]) -> list[NodeRow]:
    reveal = may_see_personal_data(ctx.viewer)
    return [mask_person(r, reveal) for r in rows]


def present_optional(ctx: Context, rows: list[NodeRow | None]) -> list[NodeRow | None]:
    """As present_all, keeping the None of ids not found."""
    reveal = may_see_personal_data(ctx.viewer)
    return [None if r is None else mask_person(r, reveal) for r in rows]
