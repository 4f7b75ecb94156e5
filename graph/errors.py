"""One exception root for the project, as neo4j-graphrag-python has one.

Every error the project raises on purpose derives from `CrmError`. Each class says what a
client should see: its `code` (the GraphQL `extensions.code`), whether retrying the same
request later may succeed (`retryable`, which the HTTP layer answers with 503 and
`Retry-After`), and whether the failure is an expected outcome (`expected`, logged in one
line at INFO/WARNING) or a fault (logged at ERROR with its traceback). Error shaping in
schema/extensions.py and the HTTP view in app.py work on this root only.

This module imports nothing from neo4j, so every layer may import it.
"""

from __future__ import annotations

import logging
from typing import Any


class CrmError(Exception):
    """Root of the project's own exceptions."""

    code: str = "INTERNAL"
    retryable: bool = False
    expected: bool = False
    log_level: int = logging.ERROR
    #: Shown to clients in place of the exception's own text; None keeps `str(exc)`.
    public_message: str | None = None
    #: The error's `extensions` carry the request id (retryable ones always do).
    names_request: bool = False

    def client_message(self) -> str:
        return self.public_message if self.public_message is not None else str(self)

    def client_extensions(self, request_id: str) -> dict[str, Any]:
        """The GraphQL `extensions` a client sees: the code, and the request id (with
        `retryable`) where the error says so."""
        ext: dict[str, Any] = {"code": self.code}
        if self.retryable:
            ext.update(retryable=True, requestId=request_id)
        elif self.names_request:
            ext["requestId"] = request_id
        return ext


class DatabaseUnavailable(CrmError):
    """Neo4j cannot be reached right now (or refused our credentials)."""

    code = "DATABASE_UNAVAILABLE"
    retryable = True
    expected = True
    log_level = logging.WARNING
    public_message = "The database is unavailable right now; retry shortly."


class WriteOutcomeUnknown(CrmError):
    """The connection failed, or Neo4j fell silent, after a write's statements had all run:
    while its commit was on the way. It may have been saved. Retrying blindly could save it
    twice, so this is not retryable; its audit event carries the request id to look for."""

    code = "WRITE_OUTCOME_UNKNOWN"
    retryable = False
    names_request = True
    expected = True
    log_level = logging.WARNING
    public_message = (
        "The database stopped answering while the change was being saved: it may have been "
        "saved. Check (the audit trail names this request id) before trying again."
    )


class DatabaseBusy(DatabaseUnavailable):
    """No database connection became free within the acquisition timeout (pool exhausted)."""

    code = "SERVER_BUSY"
    public_message = "The server is busy; retry shortly."


class QueryTimeout(CrmError):
    """A statement ran past the per-transaction timeout and was stopped by the database."""

    code = "QUERY_TIMEOUT"
    expected = True
    log_level = logging.WARNING
    public_message = (
        "The query took longer than the server allows and was stopped; "
        "ask for less (a smaller depth, limit or page) and try again, or try again shortly "
        "if it is small: the server may be busy or just restarted."
    )


class ConstraintViolation(CrmError):
    """A uniqueness constraint refused a write (e.g. a duplicate id or externalId).
    `properties` names the constraint's properties, when Neo4j said which."""

    code = "DUPLICATE"
    expected = True
    log_level = logging.INFO
    public_message = "A record with the same unique key already exists."

    def __init__(self, message: str = "", properties: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.properties = properties


__all__ = [
    "ConstraintViolation",
    "CrmError",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "QueryTimeout",
]
