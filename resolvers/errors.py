"""Error vocabulary shared by every resolver.

Expected failures of a mutation are data: `payload_error(...)` dicts in the payload's `errors`.
Bad query arguments raise `ApiError`, which becomes a GraphQL error with `extensions.code`
and `extensions.field`. Anything else is unexpected and is masked (see schema/extensions.py).
"""

from __future__ import annotations

import logging
import re
from enum import Enum
from typing import Any

from graph.errors import ConstraintViolation, CrmError, DatabaseUnavailable

__all__ = [
    "ApiError",
    "ConstraintViolation",
    "CrmError",
    "DatabaseUnavailable",
    "ErrorCode",
    "payload_error",
]


class ErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    DUPLICATE = "DUPLICATE"
    CYCLE = "CYCLE"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    SERVER_BUSY = "SERVER_BUSY"
    QUERY_TIMEOUT = "QUERY_TIMEOUT"
    WRITE_OUTCOME_UNKNOWN = "WRITE_OUTCOME_UNKNOWN"
    PARTLY_SAVED = "PARTLY_SAVED"
    BAD_REQUEST = "BAD_REQUEST"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    INTERNAL = "INTERNAL"
    DATA_KEY_MISSING = "DATA_KEY_MISSING"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class ApiError(CrmError):
    """A client mistake in query arguments; shown to the client as it is."""

    expected = True
    log_level = logging.INFO

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error_code = code
        self.code = code.value
        self.message = message
        self.field = field


# A list position written as a dotted step (`input.checks.1.field`).
_DOTTED_INDEX = re.compile(r"\.(\d+)(?=\.|\[|$)")


def payload_error(code: ErrorCode, message: str, field: str | None = None) -> dict[str, Any]:
    """One entry of a mutation payload's `errors` list. `field` is the input path, written
    one way everywhere: fields dotted, list positions in brackets (`input.lines[0].quantity`)."""
    path = None if field is None else _DOTTED_INDEX.sub(r"[\1]", field)
    return {"code": code, "message": message, "field": path}
