"""Personal-data masking (R21, R22): the rules of resolvers/permissions.py applied to values.

Nothing here is called by a resolver. schema/fieldrules.py installs `Guards.field(...)` on
every guarded field of the schema when it is built, and the flat execution path
(schema/execution.py) applies the same guard, so every place a field can appear (queries,
mutation payloads, unions, maps, exports) goes through one function per field.

The full value. `full_value` is the single place where a guarded field's complete value is
obtained before the mask decides what the viewer sees: by default the value the resolver
returned (the stored property). A module that stores a field differently (e.g. encrypted,
with the plain property holding only the masked form) registers a reader with
`register_full_value(type, field, reader)`; the reader gets the row and is called only for
viewers allowed the full value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from resolvers.permissions import (
    DATA_RULES,
    FIELD_RULES,
    PERSONAL_TYPES,
    FieldRule,
    Mask,
    live_rule,
    mask_for,
    rule,
)

Roles = frozenset[str]
# (value as resolved, the parent row, the viewer's roles) -> the value the viewer sees
Guard = Callable[[Any, Any, Roles], Any]
FullValue = Callable[[Any], Any]

WITHHELD_TEXT = "(withheld: names are not shown to this role)"
# Used when no key is configured (development); production sets CRM_PSEUDONYM_KEY.
DEV_PSEUDONYM_KEY = "crm-dev-pseudonyms"

_FULL_VALUES: dict[tuple[str, str], FullValue] = {}


def register_full_value(type_name: str, field: str, reader: FullValue) -> None:
    """Read `type_name.field`'s full value from the row (e.g. decrypt it) for viewers allowed
    to see it. Register before the schema is built."""
    _FULL_VALUES[(type_name, field)] = reader


def has_full_value_reader(type_name: str, field: str) -> bool:
    return (type_name, field) in _FULL_VALUES


def full_value(type_name: str, field: str, value: Any, row: Any) -> Any:
    """The complete value of `type_name.field` on `row`: THE place to obtain it unmasked."""
    reader = _FULL_VALUES.get((type_name, field))
    return value if reader is None else reader(row)


def mask_id_number(value: str) -> str:
    """Keep the region prefix (4) and the last 4 characters: `1101**********002X`."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the country code and carrier prefix, and the last 4 digits: `+86138****5678`; an
    extension (`;ext=8001`) is masked as the number's own digits (it names a desk)."""
    number, sep, extension = value.partition(";ext=")
    if sep:
        return mask_phone(number) + sep + "*" * len(extension)
    if len(value) <= 8:
        return "*" * max(len(value) - 2, 0) + value[-2:]
    return value[:-8] + "****" + value[-4:]


def mask_email(value: str) -> str:
    """Keep the first character and the domain: `z***@example.com`."""
    local, at, domain = value.partition("@")
    return (local[:1] + "***" + at + domain) if at else "***"


def roles_of(context: Any) -> Roles:
    viewer = getattr(context, "viewer", None)
    return frozenset(getattr(viewer, "roles", ()) or ())


class Guards:
    """The guards of one schema: built once, with the key that makes pseudonyms."""

    def __init__(self, pseudonym_key: str = "") -> None:
        key = (pseudonym_key or DEV_PSEUDONYM_KEY).encode()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        # A map repeats its people in every request: remember their pseudonyms (bounded).
        self.pseudonym = lru_cache(maxsize=1 << 16)(self._pseudonym)
        self._rows: dict[str, list[tuple[str, Guard]]] = {}
        self._fields: dict[str, set[str]] = {}
        for (type_name, field), r in FIELD_RULES.items():
            self._fields.setdefault(type_name, set()).add(field)
            if r.guarded or has_full_value_reader(type_name, field):
                self._rows.setdefault(type_name, []).append((field, self.field(type_name, field)))

    def _pseudonym(self, row_id: Any) -> str:
        """`Person 3f2a9c`: stable for one key, not reversible without it."""
        mac = self._mac.copy()
        mac.update(str(row_id).encode())
        return "Person " + mac.hexdigest()[:6]

    def _mask(self, mask: Mask, value: Any, row: Any) -> Any:
        if mask is Mask.NONE:
            return value
        if mask is Mask.PSEUDONYM:
            return self.pseudonym(_get(row, "id"))
        if mask is Mask.WITHHELD:
            return [WITHHELD_TEXT for _ in value] if isinstance(value, list) else WITHHELD_TEXT
        if mask is Mask.HIDE or not isinstance(value, str):
            return None
        if mask is Mask.ID_NUMBER:
            return mask_id_number(value)
        if mask is Mask.PHONE:
            return mask_phone(value)
        return mask_email(value)

    def field(self, type_name: str, field: str) -> Guard:
        """The guard of `type_name.field` (an identity when the rule shows it to everyone)."""
        r = rule(type_name, field)
        if r.keys is not None:
            return self._keys_guard(DATA_RULES[r.keys])
        if r.delegate is not None:
            return self._delegated_guard(r.delegate)
        return self._value_guard(type_name, field, r)

    def _delegated_guard(self, stand_in: str) -> Guard:
        """The guard of the field the row names, applied to its stand-in for the live row."""
        cache: dict[tuple[str, str, bool], Guard] = {}

        def guard(value: Any, row: Any, roles: Roles) -> Any:
            key = (str(_get(row, "ruleType")), str(_get(row, "ruleField")),
                   bool(_get(row, "personal")))  # fmt: skip
            inner = cache.get(key)
            if inner is None:
                inner = cache[key] = self._value_guard(key[0], key[1], live_rule(*key))
            return inner(value, _get(row, stand_in) or {}, roles)

        return guard

    def _value_guard(self, type_name: str, field: str, r: FieldRule) -> Guard:
        mask, read, kind = r.mask, r.read, r.only_kind
        reader = has_full_value_reader(type_name, field)

        def guard(value: Any, row: Any, roles: Roles) -> Any:
            if kind is not None and _get(row, "kind") != kind:
                return value
            if not read.isdisjoint(roles):
                return full_value(type_name, field, value, row) if reader else value
            if value is None:
                return None
            return self._mask(mask_for(mask, roles), value, row)

        return guard

    def _keys_guard(self, keys: Mapping[str, FieldRule]) -> Guard:
        def guard(value: Any, row: Any, roles: Roles) -> Any:
            if not isinstance(value, Mapping):
                return None
            out = {}
            for k, v in value.items():
                r = keys.get(k)
                if r is None:
                    continue  # not on the allow-list: never shown
                if v is None or not r.read.isdisjoint(roles):
                    out[k] = v
                elif (shown := mask_for(r.mask, roles)) is not Mask.HIDE:
                    out[k] = self._mask(shown, v, row)
            return out

        return guard

    @staticmethod
    def pseudonymised(type_name: str, roles: Roles) -> bool:
        """Whether `roles` see `type_name`'s rows under a pseudonym instead of their name
        (the anonymised view): an export marks such rows, whose names cannot be imported."""
        r = rule(type_name, "name")
        return r.read.isdisjoint(roles) and mask_for(r.mask, roles) is Mask.PSEUDONYM

    def row(self, type_name: str, row: Mapping[str, Any], roles: Roles) -> dict[str, Any]:
        """A copy of `row` as `type_name`'s guards show it to `roles` (for exports). Of a type
        that holds a person's data, only the fields with a rule are kept: an export shows no
        more than the typed fields would. Any other type's fields without a rule are public
        (DEFAULT), and kept."""
        if type_name in PERSONAL_TYPES:
            fields = self._fields.get(type_name, set())
            out = {k: v for k, v in row.items() if k in fields}
        else:
            out = dict(row)
        for field, guard in self._rows.get(type_name, ()):
            if field in out:
                out[field] = guard(out[field], row, roles)
        return out

    def export_source(self, exports: Mapping[str, str], source: Any, roles: Roles) -> Any:
        """The parent of an export field with its row lists masked, each as its type."""
        out = dict(source)
        for key, type_name in exports.items():
            rows = out.get(key)
            if rows is not None:
                out[key] = [self.row(type_name, r, roles) for r in rows]
        return out


def _get(row: Any, name: str) -> Any:
    if type(row) is dict or isinstance(row, Mapping):  # the first test is the cheap one
        return row.get(name)
    return getattr(row, name, None)
