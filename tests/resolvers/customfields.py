"""Defining custom fields in tests, as an admin would."""

from __future__ import annotations

from typing import Any

from tests.conftest import GQL

DEFINITION = (
    "id kind key type required options referenceKind labelZh labelEn personal dynamic version "
    "archivedAt validation { min max minDate maxDate pattern maxLength }"
)
PAYLOAD = (
    f"definition {{ {DEFINITION} }} misfits {{ count nodes {{ id }} }} "
    "errors { code field message }"
)
DEFINE = f"""mutation($input: DefineCustomFieldInput!) {{
  defineCustomField(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($input: UpdateCustomFieldDefinitionInput!) {{
  updateCustomFieldDefinition(input: $input) {{ {PAYLOAD} }} }}"""
ARCHIVE = f"""mutation($input: NodeRefInput!) {{
  archiveCustomFieldDefinition(input: $input) {{ {PAYLOAD} }} }}"""


def define(gql: GQL, kind: str, key: str, type_: str, **extra: Any) -> dict[str, Any]:
    """Define a field as the admin; fails the test when refused."""
    r = gql(DEFINE, {"input": {"kind": kind, "key": key, "type": type_, **extra}})
    payload = r.data["defineCustomField"]
    assert payload["errors"] == [], payload["errors"]
    definition: dict[str, Any] = payload["definition"]
    return definition
