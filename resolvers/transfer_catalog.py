"""The product catalogue in `crm-graph export` and `import` (issue 15).

An export writes every product (the catalogue is reference data every signed-in viewer reads
in full, as the `products` query shows it) as its own line, `{"kind": "product", "id": ...,
"fields": {...}}`, before the records, so that an order's lines find their products when the
file is imported into an empty database.

Importing such a line checks it with saveProduct's own rules (resolvers/records.py
`product_props`) and saves it with saveProduct's repository function (graph/records.py
`save_product`: one transaction and one audit event per product written), keeping its id. A
product whose stored fields already equal the line's is not written (no version, no audit),
so a re-run changes nothing. The roles that keep the catalogue (ADMIN, MANAGER) may import
products; another importer's product lines are rejected (FORBIDDEN), and a SKU another
product holds is rejected (DUPLICATE, field sku), as saveProduct refuses them.
"""

from __future__ import annotations

from typing import Any

from graph import records as repo
from graph import transfer as transfer_repo
from graph.db import Database, native
from graph.errors import ConstraintViolation
from graph.export import jsonable
from graph.nodes import Audit
from resolvers import records
from resolvers import validation as v
from resolvers.errors import ErrorCode
from resolvers.transfer import (
    Prepared,
    Rejection,
    _errors_of,
    archive_moment,
    blank,
    unknown_fields,
)
from resolvers.transfer_records import _decimal, _money
from resolvers.transfer_staff import refused_for_role

# An exported product's fields: saveProduct's, but the archive moment (kept as it is, where
# saveProduct's `archived` would stamp the moment of the import).
TEXT_FIELDS = ("sku", "name", "category", "unit", "description", "currency")
FIELDS = (*TEXT_FIELDS, "listPrice", "archivedAt")
GROUP = ("product",)


def export_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored product as the export writes it: every field the API shows but its version."""
    fields: dict[str, Any] = {k: row.get(k) for k in TEXT_FIELDS}
    fields["listPrice"] = _money(row.get("listPriceCents"))
    fields["archivedAt"] = row.get("archivedAt")
    return {
        "kind": "product",
        "id": row["id"],
        "fields": {k: jsonable(x) for k, x in fields.items() if x is not None},
    }


def exported_row(n: int, rec: dict[str, Any]) -> Prepared | list[Rejection]:
    """A product line of the export, checked as saveProduct checks its input (every field
    stated: a field the line leaves out is cleared)."""
    cells = dict(rec.get("fields") or {})
    if bad := unknown_fields(n, cells, FIELDS, "a product"):
        return bad
    errors = v.Errors()
    data: dict[str, Any] = {k: None if blank(cells.get(k)) else str(cells[k]) for k in TEXT_FIELDS}
    data["listPrice"] = None
    if not blank(cells.get("listPrice")):
        data["listPrice"] = _decimal(errors, cells["listPrice"], "input.listPrice")
    archived_at = archive_moment(errors, cells.get("archivedAt"))
    product_id = v.text(
        errors, None if rec.get("id") is None else str(rec["id"]), "input.id", True, 200
    )
    props = records.product_props(errors, data, True)
    if errors:
        return _errors_of(n, errors)
    props["archivedAt"] = archived_at
    return Prepared(n, GROUP, {"n": n, "id": product_id, "props": props})


def _same(stored: dict[str, Any], props: dict[str, Any]) -> bool:
    return all(native(stored.get(k)) == x for k, x in props.items())


async def write_products(
    db: Database, rows: list[dict[str, Any]], audit: Audit
) -> tuple[transfer_repo.Written, list[Rejection]]:
    """Save each row as saveProduct does, with its id; a product already as the row states
    it is left alone."""
    if denied := refused_for_role(audit.actor, ("product",), [row["n"] for row in rows]):
        return transfer_repo.Written(), denied
    stored: dict[str, Any] = dict(
        await repo.products_by_id(db, audit.actor, sorted({r["id"] for r in rows}))
    )
    who = Audit(audit.actor, "product.save", audit.request_id)
    created, updated, refused = 0, 0, []
    for row in rows:
        old = stored.get(row["id"])
        if old is not None and _same(old, row["props"]):
            continue
        try:
            product, refusal, _ = await repo.save_product(
                db, row["id"], row["props"], None, who, keep_id=True
            )
        except ConstraintViolation:
            message = "another product has this SKU"
            refused.append(Rejection(row["n"], "sku", ErrorCode.DUPLICATE.value, message))
            continue
        if product is None:  # keep_id creates what is missing: only a changed rule gets here
            message = f"the product could not be saved ({refusal})"
            refused.append(Rejection(row["n"], "row", ErrorCode.VALIDATION.value, message))
            continue
        stored[row["id"]] = product
        if old is None:
            created += 1
        else:
            updated += 1
    return transfer_repo.Written(created, updated), refused
