"""Error shaping and request limits.

Every error leaves with `extensions.code`. Errors we expect (the project's own `CrmError`s
marked expected, GraphQL validation, values a scalar refused) keep their message and are
logged in one line with the request id; anything else is masked to a generic message with the
request id, and logged once at ERROR with its traceback.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    ValueNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext

from resolvers.errors import ApiError, CrmError, ErrorCode
from schema.cost import configure_cost_memo, mutation_range_errors, request_cost, too_costly
from schema.limits import ByteBoundedLRU, Limits, analyse, check_text

log = logging.getLogger("crm.errors")
# What strawberry's validate_document adds to the rules it is given.
STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)


class FiniteNumberLiterals(ASTValidationRule):
    """A number literal beyond a double's range (`1e400`) parses as infinity: graphql-core
    checks a variable's value but not a literal's, and neither JSON nor Neo4j can keep one
    (a stored infinity made every later read of the field fail)."""

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        self._check(node)

    def enter_int_value(self, node: IntValueNode, *_args: Any) -> None:
        self._check(node)  # an Int literal may stand for a Float

    def _check(self, node: FloatValueNode | IntValueNode) -> None:
        if not math.isfinite(float(node.value)):
            self.report_error(
                GraphQLError(f"{node.value[:20]} is beyond the range of a number", node)
            )


def validation_rules(dev: bool) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core rules ValidationMemo adds to the standard ones. Cost, depth and aliases
    are checked by schema/cost.py and `schema.limits.analyse` before validation (see
    ValidationMemo); introspection is refused outside dev mode."""
    return (
        (FiniteNumberLiterals,) if dev else (FiniteNumberLiterals, NoSchemaIntrospectionCustomRule)
    )


class WithoutStrawberryLogging(strawberry.Schema):
    """strawberry logs every error at ERROR with a traceback, a BAD_USER_INPUT included.
    Errors are logged where they are shaped instead: here (ErrorShaping) and, for the few
    that leave the operation early, in the HTTP view (app.py)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def expected_log(request_id: str, code: str, message: str, path: Any = None) -> None:
    """One line, no traceback: an outcome the client caused or the server expects."""
    level = logging.INFO
    if code in {"DATABASE_UNAVAILABLE", "SERVER_BUSY", "QUERY_TIMEOUT"}:
        level = logging.WARNING
    log.log(level, "request %s: %s at %s: %s", request_id, code, path or "-", message[:300])


# graphql-core's message for a variable a type refused: `Variable '$in' has invalid value
# at .occurredAt: Expected value of type 'DateTime', but encountered error '...'; found: ...`.
_VARIABLE = re.compile(r"Variable '\$(\w+)' has invalid value(?: at ((?:\.\w+|\[\d+\])+))?: ")
# A scalar's own Python error, e.g. "not datetime.timedelta(days=1, seconds=3600)": noise.
_PYTHON_ERROR = re.compile(r", but encountered error '[^']*datetime\.[^']*'")
# graphql-core repeats the whole refused value ("..., found: {'name': ..., 'idNumber': ...}"):
# the message already names the field, and the value may be personal data bound for the log.
_FOUND = re.compile(r"[,.;]? [Ff]ound: .*\Z", re.S)
# "cannot represent a non string value: 11010519491231002X", "Value cannot represent a
# Decimal: "张伟138..."": the same, for a scalar.
_SCALAR_VALUE = re.compile(r"(cannot represent (?:an? )?[\w -]*?): .*\Z", re.S)
# "Expected value of type 'DateTime', but encountered error 'Invalid isoformat string:
# '张伟138...''": a scalar's parser quotes what it refused; the type says enough.
_EXPECTED = re.compile(r"(Expected value of type '[^']+'), but encountered error .*\Z", re.S)
# Except the reasons resolvers/shapes.py's date parsers give, and Python's for a day the
# calendar lacks ("day is out of range for month"): unquoted, they cannot repeat the value.
_DATE_REASON = re.compile(
    r"(Expected value of type 'Date(?:Time)?'), but encountered error '([^'\"]{1,100})';?\.?\Z"
)
# "Expected value of type 'Int!', found 99999999999999999999; Int cannot represent ...": a
# literal's, before the reason.
_FOUND_LITERAL = re.compile(r"(Expected value of type '[^']+'), found .*?; (?=\w+ cannot)", re.S)
# "Value '张伟138...' does not exist in 'LifecycleStage' enum.": the same, for an enum.
_ENUM_VALUE = re.compile(r"Value '.*' does not exist in ('\w+' enum)", re.S)
# "Did you mean 'name'?" maps the input types by guessing where introspection is off.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")
# A required input field left out, in a variable ("Field 'name' of required type 'String!'
# was not provided.") or written inline ("Expected value of type 'X' to include required
# field 'name'"): the path names the field, so a form puts the error beside it.
_MISSING = re.compile(
    r"Field '(?:\w+\.)?(\w+)' of required type '[^']+' was not provided"
    r"|to include required field '(\w+)'"
    r"|not to include unknown field '(\w+)'"  # in a variable: the field, as inline (tester BB)
)


def _with_missing(field: str, message: str) -> str:
    """`field`, or the path of the field under it that `message` says is missing or
    unknown (written inline, an unknown field's own node gave its path already)."""
    m = _MISSING.search(message)
    if m is None:
        return field
    name = m[1] or m[2] or m[3]
    return field if m[3] and field.endswith("." + name) else f"{field}.{name}"


# Keys of argument_paths for a literal by its text: `=` starts no variable's name.
PRINTED = "="


def argument_paths(document: DocumentNode | None) -> dict[str | tuple[int, int], str]:
    """The argument path each variable feeds (`$in` -> `input`) and, keyed by its place in
    the text, each value written inline, so that a refused value's error names its path
    (`input.order.lines[0].quantity`) as every other input error does."""
    out: dict[str | tuple[int, int], str] = {}

    def walk(value: ValueNode, path: str) -> None:
        if isinstance(value, VariableNode):
            out.setdefault(value.name.value, path)
            return
        if value.loc is not None:
            out.setdefault((value.loc.start, value.loc.end), path)
        if isinstance(value, ObjectValueNode | ListValueNode):
            # A scalar refusing an object or a list is told a copy of it, without its place
            # in the text (graphql-core replaces its variables first): found by its text.
            out.setdefault(PRINTED + print_ast(value), path)
        if isinstance(value, ObjectValueNode):  # `filter: {stage: $s}` feeds filter.stage
            for item in value.fields:
                if item.loc is not None:  # an input field the type lacks is named by its node
                    out.setdefault((item.loc.start, item.loc.end), f"{path}.{item.name.value}")
                walk(item.value, f"{path}.{item.name.value}")
        elif isinstance(value, ListValueNode):
            for i, element in enumerate(value.values):
                walk(element, f"{path}[{i}]")

    class Uses(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            walk(node.value, node.name.value)

    if document is not None:
        visit(document, Uses())
    return out


def _literal_path(error: GraphQLError, paths: dict[str | tuple[int, int], str]) -> str | None:
    """The path of the inline value a validation error is about, if it is about one."""
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, ObjectValueNode | ListValueNode) and node.loc is None:
        return paths.get(PRINTED + print_ast(node))  # tester BM: `id: {idNumber: "…"}`
    if not isinstance(node, ValueNode | ObjectFieldNode) or node.loc is None:
        return None
    return paths.get((node.loc.start, node.loc.end))


def _without_value(message: str, suggestions: bool) -> str:
    """A refused value's message without the value (which may be personal data bound for
    the log, or 50 KB of digits) and without Python's own words for it."""
    # Python's words are for an offset out of range (+24:00): say that instead of nothing.
    message = _PYTHON_ERROR.sub(": the time-zone offset is out of range (±18:00 at most)", message)
    message = _FOUND_LITERAL.sub(r"\1: ", message)
    message = _SCALAR_VALUE.sub(r"\1.", _FOUND.sub(".", message)).replace("?.", "?")
    message = _EXPECTED.sub(r"\1.", _DATE_REASON.sub(r"\1: \2.", message))
    message = _ENUM_VALUE.sub(r"The value is not one of the \1", message)
    return message if suggestions else _SUGGESTION.sub("", message)


def _variable_error(
    error: GraphQLError,
    arguments: dict[str | tuple[int, int], str],
    ext: dict[str, Any],
    suggestions: bool,
) -> str:
    """The message of a refused variable, with its path (`extensions.field`) set, without the
    value it refused (and without suggestions outside dev mode)."""
    message = _without_value(error.message, suggestions)
    if m := _VARIABLE.match(message):
        field = arguments.get(m[1], "$" + m[1]) + (m[2] or "")
        ext.setdefault("field", _with_missing(field, message))
    return message


# graphql-core's whole message when its validation recursed too deep, which a few hundred
# repetitions of one field do, well inside the token limit: say what to change.
VALIDATION_ABORTED = (
    "The query repeats or nests fields too much to be validated: select each field once per "
    "selection set and split very large documents."
)


# A mutation stopped by the transaction timeout: its transaction was rolled back whole, and
# "ask for less" (the query advice) means nothing for a write.
WRITE_TIMEOUT = (
    "The write took longer than the server allows and was stopped; nothing of it was "
    "written. Try again."
)


def _is_mutation(ec: ExecutionContext) -> bool:
    if ec.graphql_document is None:  # not parsed: no operation to speak of
        return False
    op = get_operation_ast(ec.graphql_document, ec.operation_name)
    return op is not None and op.operation is OperationType.MUTATION


def _shape(
    error: GraphQLError,
    request_id: str,
    arguments: dict[str | tuple[int, int], str],
    suggestions: bool = True,
    mutation: bool = False,
) -> GraphQLError:
    original = error.original_error
    ext: dict[str, Any] = dict(error.extensions or {})
    if original is None:
        if error.message == "Validation aborted.":  # graphql-core's recursion ran out
            error = GraphQLError(VALIDATION_ABORTED, error.nodes, error.source, error.positions)
        if (field := _literal_path(error, arguments)) is not None:
            # A value written inline that its type refuses: the client's input, as when the
            # same value comes in a variable (BAD_USER_INPUT with its path, without the value).
            ext.update(
                code=ErrorCode.BAD_USER_INPUT.value, field=_with_missing(field, error.message)
            )
        # Any other refusal of a literal the shape above missed keeps no value either.
        message = _without_value(error.message, suggestions)
        error = GraphQLError(message, error.nodes, error.source, error.positions)
        ext.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        expected_log(request_id, ext["code"], error.message, error.path)
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None, ext
        )
    if isinstance(original, CrmError) and original.expected:
        ext.update(original.client_extensions(request_id))
        if isinstance(original, ApiError):
            ext["field"] = original.field
        message = (
            WRITE_TIMEOUT
            if mutation and original.code == ErrorCode.QUERY_TIMEOUT.value
            else original.client_message()
        )
        log.log(
            original.log_level,
            "request %s: %s at %s: %s",
            request_id,
            original.code,
            error.path or "-",
            str(original)[:300],
        )
    elif isinstance(original, GraphQLError):  # e.g. a scalar that failed to parse
        ext.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
        if _VARIABLE.match(error.message):
            message = _variable_error(error, arguments, ext, suggestions)
        else:
            message = _PYTHON_ERROR.sub("", original.message)
        expected_log(request_id, ext["code"], message, error.path or ext.get("field"))
    else:
        log.error("unexpected error in request %s at %s", request_id, error.path, exc_info=original)
        ext = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        message = f"Internal error. Quote request id {request_id} when reporting it."
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None, ext)


def _ran_before(ec: ExecutionContext, key: str) -> list[str]:
    """The response keys of the operation's root fields before `key`, in document order:
    a mutation runs its root fields one after the other."""
    if ec.graphql_document is None:
        return []
    op = get_operation_ast(ec.graphql_document, ec.operation_name)
    keys: list[str] = []
    for sel in op.selection_set.selections if op is not None else ():
        if isinstance(sel, FieldNode):
            name = (sel.alias or sel.name).value
            if name == key:
                break
            keys.append(name)
    return keys


def _partly_saved(ec: ExecutionContext, error: GraphQLError, saved: int) -> GraphQLError:
    """A mutation field failed after earlier changes of the request were saved: `data` is
    null (mutation payloads are non-null), so their answers are lost. Retrying the request
    whole would save them twice, whatever the failure's own code says."""
    ext = dict(error.extensions or {})
    cause = str(ext.get("code", ErrorCode.INTERNAL.value))
    request_id = getattr(ec.context, "request_id", "-")
    where = str(error.path[0]) if error.path else "?"
    before = _ran_before(ec, where)
    if error.path and len(error.path) > 1:  # `where` was saved; part of its answer failed
        at = ".".join(str(step) for step in error.path)
        message = (
            f"`{where}` was saved, but `{at}` of its answer failed ({cause}): "
            f"{error.message} Read it back (its audit events carry request id {request_id}) "
            "instead of sending it again."
        )
    else:
        message = (
            f"{saved} change(s) of this request were saved before `{where}` failed ({cause}); "
            "their answers are lost with this one. Read them back (their audit events carry "
            f"request id {request_id}) and send only what is left."
        )
    ext = {
        "code": ErrorCode.PARTLY_SAVED.value,
        "cause": cause,
        "saved": saved,
        "ranBefore": before,
        "requestId": request_id,
    }
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None, ext)


class ErrorShaping(SchemaExtension):
    def __init__(self, suggestions: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Outside dev mode a refused variable gets no "Did you mean", as the query text gets none.
        self.suggestions = suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        ctx = self.execution_context.context
        request_id = getattr(ctx, "request_id", "-")
        refused = any(
            _VARIABLE.match(e.message)
            or (e.nodes and isinstance(e.nodes[0], ValueNode | ObjectFieldNode))
            for e in errors
        )
        arguments = argument_paths(self.execution_context.graphql_document) if refused else {}
        mutation = _is_mutation(self.execution_context)
        result.errors = [
            _shape(e, request_id, arguments, self.suggestions, mutation) for e in errors
        ]
        saved = ctx.commits() if mutation and hasattr(ctx, "commits") else 0
        if saved:
            # With `data` null every field's answer is lost; else only a failed part of a
            # saved payload (a nested argument its resolver refused): either way a client
            # reading the error's own code (BAD_USER_INPUT: nothing ran) would send it again.
            lost = result.data is None
            result.errors = [
                _partly_saved(self.execution_context, e, saved)
                if e.path and (lost or len(e.path) > 1)
                else e
                for e in result.errors
            ]


# Values keep their schema alive, so its id in the key cannot be reused by another schema.
_VALIDATED: ByteBoundedLRU[tuple[int, str], tuple[Any, list[GraphQLError]]] = ByteBoundedLRU(
    512, 16 << 20
)
_PARSED: ByteBoundedLRU[tuple[str, tuple[tuple[str, Any], ...]], DocumentNode] = ByteBoundedLRU(
    512, 64 << 20
)
# graphql-core's AST takes about 120 bytes per token (measured with tracemalloc).
AST_BYTES_PER_TOKEN = 150


def configure_caches(parse_bytes: int, validation_bytes: int, entries: int = 512) -> None:
    """Bounds for the parse and validation memos (settings: CRM_QUERY_CACHE_BYTES)."""
    for cache, size in ((_PARSED, parse_bytes), (_VALIDATED, validation_bytes)):
        cache.max_bytes = size
        cache.max_entries = entries
        cache.clear()
    configure_cost_memo(validation_bytes, entries)


def _refused_value(error: GraphQLError) -> GraphQLError:
    """A literal a scalar refused (`asOf: "2024-02-30"`): the client's mistake, as it is when
    the same value comes as a variable. graphql-core keeps the scalar's ValueError as the
    original error, which error shaping would mask as INTERNAL."""
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return error
    ext = {**(error.extensions or {}), "code": ErrorCode.BAD_USER_INPUT.value}
    return GraphQLError(error.message, error.nodes, error.source, error.positions, None, None, ext)


def _ambiguous(document: DocumentNode, ec: Any) -> bool:
    """Several operations and no operationName: the spec asks for an error. strawberry
    would run the first one (its ExecutionContext.operation_name falls back to it), so a client
    that forgot the name got an answer to a question it may not have meant."""
    if getattr(ec, "_provided_operation_name", None) is not None:
        return False
    ops = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return next(ops, None) is not None and next(ops, None) is not None


class ValidationMemo(SchemaExtension):
    """Cost, limits, then validation errors per (schema, query text), memoised.

    The operation's cost (schema/cost.py) is computed first, memoised per text and the
    values of the variables it reads, and reported in `extensions.cost`; over the budget, the
    request is refused with QUERY_TOO_COSTLY. The limits of `schema.limits.analyse` run
    next, in time linear in the document; a document they refuse is not given to
    graphql-core's rules. Clients send the same few
    operations again and again, and validating a map query took longer than executing it
    (W4 in bench/), hence the memo. Keyed by the text rather than the parsed document, whose
    hash walks the whole tree; bounded in entries and bytes, so unique texts cannot grow it.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        rules: tuple[type[ASTValidationRule], ...] = (),
        suggestions: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.limits = limits or Limits()
        self.rules = rules
        # "Did you mean 'person'?" maps the schema by guessing where introspection is off.
        self.suggestions = suggestions
        self.cost: int | None = None

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        # What strawberry's AddValidationRules did, without an extension of its own (each one
        # costs hooks on every request).
        if self.rules:
            ec.validation_rules = (*ec.validation_rules, *self.rules)
        if ec.query is None or ec.graphql_document is None:
            yield
            return
        if _ambiguous(ec.graphql_document, ec):
            ec.pre_execution_errors = [
                GraphQLError(
                    "Must provide operationName when the document holds several operations.",
                    extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                )
            ]
            yield
            return
        schema = ec.schema._schema
        self.cost = request_cost(
            schema,
            ec.query,
            ec.graphql_document,
            ec.variables,
            ec.operation_name,
            self.limits.max_query_cost,
        )
        if self.cost > self.limits.max_query_cost:
            # Logged once, by error shaping, as the other refused documents are.
            ec.pre_execution_errors = [too_costly(self.cost, self.limits.max_query_cost)]
            yield
            return
        key = (id(schema), ec.query)
        hit = _VALIDATED.get(key)
        if hit is None:
            errors = analyse(ec.graphql_document, self.limits)
            if not errors:
                errors = [
                    _refused_value(e)
                    for e in validate(
                        schema,
                        ec.graphql_document,
                        (*ec.validation_rules, *STRAWBERRY_RULES),
                        hide_suggestions=not self.suggestions,
                    )
                ]
            size = 2 * len(ec.query) + 256 + sum(512 + len(e.message) for e in errors)
            _VALIDATED.put(key, (schema, errors), size)
        else:
            errors = hit[1]
        if not errors:  # depends on the variables: never memoised with the document
            errors = mutation_range_errors(
                schema, ec.graphql_document, ec.variables, ec.operation_name
            )
        ec.pre_execution_errors = list(errors)
        yield


def _parse(query: str, options: tuple[tuple[str, Any], ...], tokens: int) -> DocumentNode:
    key = (query, options)
    document = _PARSED.get(key)
    if document is None:
        document = parse(query, **dict(options))
        _PARSED.put(key, document, 2 * len(query) + AST_BYTES_PER_TOKEN * tokens)
    return document


class LimitRefused(GraphQLError):
    """A document refused before parsing (size, tokens, nesting)."""


class ParseMemo(SchemaExtension):
    """Size and nesting limits, then parsed documents per query text and parse options.

    Not strawberry's ParserCache: its syntax errors escape our error shaping. Here a text that
    does not parse is left to strawberry, which parses it again and reports it as usual. A
    text over the limits is refused before the parser sees it (the parser recurses once per
    nesting level); the refusal carries its code itself, since it leaves the operation
    before error shaping runs, and the HTTP view shapes it (app.py).
    """

    def __init__(self, limits: Limits | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limits = limits or Limits()

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        # What strawberry's MaxTokensLimiter did: the parser's own cap, for the parse strawberry
        # repeats on a syntax error. check_text has refused longer texts already.
        ec.parse_options["max_tokens"] = self.limits.max_tokens
        if ec.query is not None and ec.graphql_document is None:
            options = tuple(sorted(ec.parse_options.items()))
            cached = _PARSED.get((ec.query, options))
            if cached is not None:
                ec.graphql_document = cached
            else:
                refused, tokens = check_text(ec.query, self.limits)
                if refused is not None:
                    # It leaves before error shaping, which logs every other refusal.
                    code = str((refused.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED"))
                    expected_log(getattr(ec.context, "request_id", "-"), code, refused.message)
                    raise LimitRefused(refused.message, extensions=dict(refused.extensions or {}))
                with contextlib.suppress(GraphQLError):
                    ec.graphql_document = _parse(ec.query, options, tokens)
        yield
