"""Error shaping and request limits.

Every error leaves with `extensions.code`. Errors we expect (bad arguments, an unavailable
database, GraphQL validation) keep their message; anything else is masked to a generic message
with the request id, and logged whole with its traceback.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from resolvers.errors import ApiError, ConstraintViolation, DatabaseUnavailable, ErrorCode

log = logging.getLogger("crm.errors")

# Set per request by the HTTP view; the validation rule below reads it.
introspection_allowed: ContextVar[bool] = ContextVar("introspection_allowed", default=True)


class IntrospectionGate(NoSchemaIntrospectionCustomRule):
    """Refuses __schema/__type outside dev mode."""

    def enter_field(self, node: Any, *args: Any) -> None:
        if not introspection_allowed.get():
            super().enter_field(node, *args)


def validation_rules(max_depth: int, max_aliases: int) -> list[type[ASTValidationRule]]:
    # Built once and passed as plain rules: factories defeat strawberry's validation cache.
    return [depth_rule(max_depth, None), aliases_rule(max_aliases), IntrospectionGate]


def _shape(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    ext: dict[str, Any] = dict(error.extensions or {})
    if original is None:
        ext.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None, ext
        )
    if isinstance(original, ApiError):
        ext.update(code=original.code.value, field=original.field)
        message = original.message
    elif isinstance(original, DatabaseUnavailable):
        ext.update(code=ErrorCode.DATABASE_UNAVAILABLE.value, requestId=request_id)
        message = "The database is unavailable right now; retry shortly."
    elif isinstance(original, ConstraintViolation):
        ext.update(code=ErrorCode.DUPLICATE.value)
        message = "A record with the same unique key already exists."
    elif isinstance(original, GraphQLError):  # e.g. a scalar that failed to parse
        ext.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
        message = original.message
    else:
        log.error("unexpected error in request %s at %s", request_id, error.path, exc_info=original)
        ext = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        message = f"Internal error. Quote request id {request_id} when reporting it."
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None, ext)


class ErrorShaping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        ctx = self.execution_context.context
        request_id = getattr(ctx, "request_id", "-")
        result.errors = [_shape(e, request_id) for e in errors]


VALIDATED_MAX = 512
# Values keep their schema alive, so its id in the key cannot be reused by another schema.
_VALIDATED: OrderedDict[tuple[int, str, bool], tuple[Any, list[GraphQLError]]] = OrderedDict()


class ValidationMemo(SchemaExtension):
    """Validation errors per (schema, query text, introspection allowed).

    Clients send the same few operations again and again, and validating a map query took
    longer than executing it (W4 in bench/). Keyed by the text rather than the parsed
    document, whose hash walks the whole tree; bounded, so unique texts cannot grow it.
    """

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is None or ec.graphql_document is None:
            yield
            return
        schema = ec.schema._schema
        key = (id(schema), ec.query, introspection_allowed.get())
        hit = _VALIDATED.get(key)
        if hit is None:
            errors = validate_document(schema, ec.graphql_document, ec.validation_rules)
            _VALIDATED[key] = (schema, errors)
            if len(_VALIDATED) > VALIDATED_MAX:
                _VALIDATED.popitem(last=False)
        else:
            errors = hit[1]
            _VALIDATED.move_to_end(key)
        ec.pre_execution_errors = list(errors)
        yield


@lru_cache(maxsize=512)
def _parse(query: str, options: tuple[tuple[str, Any], ...]) -> DocumentNode:
    return parse(query, **dict(options))


class ParseMemo(SchemaExtension):
    """Parsed documents per query text and parse options (the token limit), bounded.

    Not strawberry's ParserCache: its syntax errors escape our error shaping. Here a text that
    does not parse is left to strawberry, which parses it again and reports it as usual.
    """

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                ec.graphql_document = _parse(ec.query, tuple(sorted(ec.parse_options.items())))
        yield
