"""Starlette application: GraphQL, health, metrics and the web viewer.

`create_app(settings)` builds the ASGI app; uvicorn calls it as a factory
(`uvicorn --factory app:create_app`), so importing this module starts nothing. The lifespan
opens one AsyncDriver (to NEO4J_URI, or to a local server it starts and supervises), applies
pending migrations, optionally seeds demo data, and closes everything on shutdown.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import gc
import logging
import mimetypes
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pythonjsonlogger.json import JsonFormatter
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

import migrations
from graph import clock, crypto, demo, pinyin, system
from graph.actor import Actor
from graph.db import Database, RoundTrips, current_round_trips
from graph.errors import CrmError, DatabaseUnavailable
from graph.migrate import Runner
from graph.server import LocalNeo4j, Supervisor
from graph.warmup import warm_up
from resolvers import intelligence as scoring_jobs
from resolvers import outreach as outreach_jobs
from resolvers import transfer_jobs, transfer_records
from resolvers.auth import Authenticator, demo_key_holders
from resolvers.context import ANONYMOUS, REQUEST_ID, Context, Viewer
from resolvers.errors import ApiError, ErrorCode
from resolvers.oidc import OidcConfigError, OidcVerifier
from schema import build_schema
from schema.extensions import configure_caches
from schema.limits import Limits
from settings import ROOT, Settings

log = logging.getLogger("crm.app")
VIEWER_DIR = ROOT / "viewer"
# The viewer loads its graph library as ES modules (.mjs); browsers refuse module scripts served
# as text/plain, and Python only knows .mjs when the system's mime.types lists it.
mimetypes.add_type("text/javascript", ".mjs")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "crm_http_requests", "HTTP requests", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "crm_graphql_seconds", "GraphQL request latency", registry=self.registry
        )
        self.round_trips = Counter(
            "crm_cypher_round_trips", "Cypher statements sent", registry=self.registry
        )
        # What an operator watches besides traffic: the errors clients got by their code
        # (WRITE_OUTCOME_UNKNOWN answers HTTP 200), readiness, load, and Neo4j's restarts.
        self.graphql_errors = Counter(
            "crm_graphql_errors",
            "GraphQL errors answered, by extensions.code",
            ["code"],
            registry=self.registry,
        )
        self.ready = Gauge("crm_ready", "1 while /readyz answers 200", registry=self.registry)
        self.in_flight = Gauge(
            "crm_graphql_in_flight", "GraphQL requests in flight", registry=self.registry
        )
        self.neo4j_restarts = Gauge(
            "crm_neo4j_restarts",
            "Restarts of the embedded Neo4j by this process since it started",
            registry=self.registry,
        )


# Paths counted by name in crm_http_requests_total; the rest (viewer files, jobs) as "*".
_PATHS = frozenset({"/graphql", "/readyz", "/healthz", "/metrics"})


class RequestScope:
    """Pure ASGI middleware: request id, per-request round-trip counter, metrics.

    Pure ASGI (not BaseHTTPMiddleware) so the contextvar set here is the one resolvers see.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        trips = RoundTrips()
        token = current_round_trips.set(trips)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-cypher-round-trips", str(trips.count).encode()),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_round_trips.reset(token)
            path = scope["path"] if scope["path"] in _PATHS else "*"
            self.metrics.requests.labels(path, str(status)).inc()
            if scope["path"] == "/graphql":
                self.metrics.latency.observe(time.perf_counter() - started)
                self.metrics.round_trips.inc(trips.count)


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
RETRY_AFTER_SECONDS = 1


def _media_type(accept: str) -> str:
    """graphql-over-http: a client that accepts application/graphql-response+json gets it;
    everyone else gets application/json (the legacy type, with its always-200 rules)."""
    return GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else "application/json"


_JSON_TYPES = frozenset({"application/json", GRAPHQL_RESPONSE_JSON})


def _media_range(item: str) -> str:
    return item.split(";", 1)[0].strip().lower()


def _refused_range(item: str) -> bool:
    """An Accept item with `q=0`: that type is not acceptable (RFC 9110, 12.4.2)."""
    for param in item.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            with contextlib.suppress(ValueError):
                return float(value) == 0
    return False


def _accepts_json(accept: str) -> bool:
    """No Accept header, or one that allows a JSON answer (a wildcard counts)."""
    items = [x for x in accept.split(",") if x.strip()]
    ranges = {_media_range(x) for x in items if not _refused_range(x)}
    return not items or bool(ranges & {"*/*", "application/*", *_JSON_TYPES})


def _error_response(
    code: str,
    message: str,
    status: int,
    request_id: str,
    *,
    retryable: bool = False,
    media_type: str = "application/json",
    close: bool = False,
    allow: str = "",
) -> Response:
    ext: dict[str, Any] = {"code": code, "requestId": request_id}
    headers = {}
    if allow:
        headers["Allow"] = allow
    if close:  # the rest of the body was never read: the connection cannot carry another
        headers["Connection"] = "close"
    if retryable:
        ext["retryable"] = True
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    body = {"errors": [{"message": message, "extensions": ext}]}
    log.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "request %s: %s (HTTP %d): %s",
        request_id,
        code,
        status,
        message,
    )
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


def _retry_later(code: str, what: str, request_id: str, media_type: str) -> Response:
    """A 503 the client may retry after Retry-After: `what` is the reason, without the advice."""
    return _error_response(
        code, f"{what}; retry shortly.", 503, request_id, retryable=True, media_type=media_type
    )


# Every code here is an ErrorCode member, so clients find it in the SDL.
HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST.value,
    404: ErrorCode.NOT_FOUND.value,
    405: ErrorCode.METHOD_NOT_ALLOWED.value,
    406: ErrorCode.NOT_ACCEPTABLE.value,
    413: ErrorCode.PAYLOAD_TOO_LARGE.value,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE.value,
}
TOO_LARGE_NUMBER = (
    "A number in the request body is beyond the range of a double (about 1.8e308): send "
    "such a figure as a string."
)


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body, refused past `limit` bytes without reading the rest."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class _SubResponse(Response):
    """strawberry's per-request response holder, plus the media type the client accepts."""

    media_type_wanted: str = "application/json"


class GraphQLView(GraphQL[Context, None]):
    """GraphQL over HTTP with the limits issue 11 asks for, in this order: body size (413) and
    time (408 REQUEST_TIMEOUT), requests in flight (503 SERVER_BUSY), JSON shape (400
    BAD_REQUEST), readiness and authentication, then the schema's own document limits
    (schema/limits.py). The body is read before a request takes a place in flight, so clients
    that send slowly hold a socket for at most the body timeout and never a place. Every
    refusal is JSON with `extensions.code`; retryable ones carry `retryable: true` and
    `Retry-After`."""

    def __init__(self, schema: Any, settings: Settings, metrics: Metrics | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.dev else None)
        self.settings = settings
        self.in_flight = 0
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        request_id = scope["state"]["request_id"]
        media = _media_type(request.headers.get("accept", ""))
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            await super().__call__(scope, receive, send)  # the IDE page: static, no data
            return
        if request.method in ("GET", "POST") and not _accepts_json(
            request.headers.get("accept", "")
        ):
            message = "The Accept header allows no JSON answer: accept application/json."
            refusal = _error_response("NOT_ACCEPTABLE", message, 406, request_id)
            await self._refuse("NOT_ACCEPTABLE", refusal, scope, receive, send)
            return
        if request.method == "POST":
            given = request.headers.get("content-type", "")
            kind = _media_range(given)
            if kind not in _JSON_TYPES:
                message = "Send the request as JSON: Content-Type: application/json."
                unsupported = _error_response(
                    "UNSUPPORTED_MEDIA_TYPE", message, 415, request_id, media_type=media
                )
                await self._refuse("UNSUPPORTED_MEDIA_TYPE", unsupported, scope, receive, send)
                return
            # Media types are case-insensitive; strawberry's own check is not.
            if given != given.lower():
                scope["headers"] = [
                    (k, v.lower() if k == b"content-type" else v) for k, v in scope["headers"]
                ]
            limit = self.settings.max_body_bytes
            seconds = self.settings.body_timeout_seconds
            declared = request.headers.get("content-length", "")
            refused: Response | None = None
            code = ""
            try:
                if declared.isdigit() and int(declared) > limit:
                    raise _BodyTooLarge
                async with asyncio.timeout(seconds):
                    body = await _read_body(receive, limit)
            except _BodyTooLarge:
                message = f"The request body is larger than {limit} bytes."
                code = "PAYLOAD_TOO_LARGE"
                refused = _error_response(
                    "PAYLOAD_TOO_LARGE", message, 413, request_id, media_type=media, close=True
                )
            except TimeoutError:
                message = f"The request body did not arrive within {seconds:g} s."
                code = "REQUEST_TIMEOUT"
                refused = _error_response(
                    "REQUEST_TIMEOUT", message, 408, request_id, media_type=media, close=True
                )
            if refused is not None:
                await self._refuse(code, refused, scope, receive, send)
                return
            receive = _replay(body, receive)
        if self.in_flight >= self.settings.max_in_flight:
            busy = _retry_later("SERVER_BUSY", "The server is busy", request_id, media)
            await self._refuse("SERVER_BUSY", busy, scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._serve(scope, receive, send, request, media)
        finally:
            self.in_flight -= 1

    async def _refuse(
        self, code: str, response: Response, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Answer a refusal made before GraphQL runs, counted as the errors GraphQL answers
        are (an operator watching DATABASE_UNAVAILABLE or SERVER_BUSY sees every one)."""
        self._count(code)
        await response(scope, receive, send)

    def _count(self, code: str) -> None:
        """One error answered with `code`, in crm_graphql_errors_total."""
        if self.metrics is not None:
            self.metrics.graphql_errors.labels(code).inc()

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, request: Request, media: str
    ) -> None:
        state = request.app.state
        request_id = scope["state"]["request_id"]
        if not getattr(state, "ready", False) and request.method == "POST":
            unready = _retry_later(
                "DATABASE_UNAVAILABLE", "The database is not ready yet", request_id, media
            )
            await self._refuse("DATABASE_UNAVAILABLE", unready, scope, receive, send)
            return
        # Auth lookups are cached and not part of the query's cost: keep them off the count.
        auth_token = current_round_trips.set(RoundTrips())
        try:
            viewer: Viewer = await state.auth.viewer(request.headers.getlist("authorization"))
        except ApiError as exc:
            refusal = _error_response(exc.code, exc.message, 401, request_id, media_type=media)
            await self._refuse(exc.code, refusal, scope, receive, send)
            return
        except DatabaseUnavailable as exc:
            response = _error_response(
                exc.code, exc.client_message(), 503, request_id, retryable=True, media_type=media
            )
            await self._refuse(exc.code, response, scope, receive, send)
            return
        finally:
            current_round_trips.reset(auth_token)
        scope["state"]["viewer"] = viewer
        await super().__call__(scope, receive, send)

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        """strawberry answers malformed requests with plain text; ours carry a code."""
        try:
            return await super().run(request)
        except HTTPException as exc:
            media = _media_type(request.headers.get("accept", ""))
            status, reason, allow = exc.status_code, exc.reason, ""
            if isinstance(exc.__cause__, InvalidOperationTypeError) and request.method == "GET":
                # GraphQL over HTTP: a mutation sent with GET is 405, and POST is the way.
                status, allow = 405, "POST"
                reason = "A mutation cannot be sent with GET: send it with POST."
            code = HTTP_CODES.get(status, "BAD_REQUEST")
            self._count(code)  # counted as the other refusals are
            return _error_response(
                code, reason, status, _request_id(request), media_type=media, allow=allow
            )

    def decode_json(self, data: str | bytes) -> object:
        # orjson: fast, and it refuses nesting past 1024 levels with a JSONDecodeError
        # (json.loads raised RecursionError at about 1000, which became a plain 500).
        # A byte-order mark before the JSON (some Windows tools write one): RFC 8259 lets a
        # parser ignore it, and a client cannot see it in its own text (tester AO).
        if isinstance(data, bytes) and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        elif isinstance(data, str) and data.startswith("\ufeff"):
            data = data[1:]
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if "infinity" not in str(exc):
                raise
            # Valid JSON, but a number no double holds (400 digits): say so, not "malformed".
            raise HTTPException(400, TOO_LARGE_NUMBER) from None

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        for one in parsed if isinstance(parsed, list) else [parsed]:
            name = one.get("operationName") if isinstance(one, dict) else None
            if name is not None and not isinstance(name, str):
                # A number here read as "unknown operation 3" (tester AO).
                raise HTTPException(400, "`operationName` must be a string or null.")
        return parsed

    async def get_sub_response(self, request: Any) -> Response:
        sub = _SubResponse()
        sub.status_code = None  # type: ignore[assignment]
        del sub.headers["content-length"]
        sub.media_type_wanted = _media_type(request.headers.get("accept", ""))
        return sub

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The last line of the error contract: an error that left the operation before error
        shaping (a refused document, a recursion limit in graphql-core) still gets a code, and
        an unexpected one is logged here, once, with its traceback."""
        if result.errors:
            result.errors = [_coded(e, _request_id(request)) for e in result.errors]
        return await super().process_result(request, result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media = getattr(sub_response, "media_type_wanted", "application/json")
        if isinstance(response_data, list) or not response_data.get("errors"):
            response.headers["content-type"] = media
            return response
        errors: list[dict[str, Any]] = response_data["errors"] or []  # type: ignore[assignment]
        for e in errors:
            self._count(str((e.get("extensions") or {}).get("code") or "UNKNOWN"))
        data = response_data.get("data")
        retryable = any((e.get("extensions") or {}).get("retryable") for e in errors)
        if retryable and (data is None or all(v is None for v in data.values())):
            # Nothing was answered and trying again later may work: say so in HTTP too.
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        elif (
            media == GRAPHQL_RESPONSE_JSON
            and data is None
            and not any(e.get("path") for e in errors)
        ):
            # A request error (parse, validation, variables): nothing was executed.
            response_data.pop("data", None)
            response.body = self.encode_json(response_data)
            response.headers["content-length"] = str(len(response.body))
            response.status_code = 400
        response.headers["content-type"] = media
        return response

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            db=request.app.state.db,
            # The IDE page is served before authentication; it never reaches a resolver.
            viewer=request.scope["state"].get("viewer", ANONYMOUS),
            request_id=request.scope["state"]["request_id"],
            dev=self.settings.dev,
            on_key_revoked=request.app.state.auth.forget,
            on_user_changed=request.app.state.auth.forget_user,
            scheduler=request.app.state.scheduler,
            outreach=request.app.state.outreach,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


async def _coded_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no such path) and 405 (a method the route does not take), as JSON
    with a code like every other refusal, instead of plain text."""
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "No such path.", 405: "This path does not take that method."}
    code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
    media = _media_type(request.headers.get("accept", ""))
    response = _error_response(
        code,
        messages.get(exc.status_code, exc.detail),
        exc.status_code,
        _request_id(request),
        media_type=media,
    )
    response.headers.update(exc.headers or {})
    if request.url.path == "/graphql":  # a PUT or DELETE there: a refusal before GraphQL
        request.app.state.metrics.graphql_errors.labels(code).inc()
    return response


def _request_id(request: Any) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the body already read, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _coded(error: GraphQLError, request_id: str) -> GraphQLError:
    if (error.extensions or {}).get("code"):
        return error
    original = error.original_error
    if isinstance(original, CrmError) and original.expected:
        ext = original.client_extensions(request_id)
        message = original.client_message()
    elif original is None or isinstance(original, GraphQLError):
        ext = {"code": "GRAPHQL_VALIDATION_FAILED"}
        message = error.message
    else:
        log.error("unexpected error in request %s", request_id, exc_info=original)
        ext = {"code": "INTERNAL", "requestId": request_id}
        message = f"Internal error. Quote request id {request_id} when reporting it."
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None, ext)


def _without_query_string(record: logging.LogRecord) -> bool:
    """uvicorn's access line without the query string: a key sent there by mistake (and
    refused) would otherwise be kept in the log."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
        record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
    return True


def _driver_errors_as_warnings(record: logging.LogRecord) -> bool:
    """The Neo4j driver logs a lost connection (a restart, an outage) at ERROR, with no request
    id, several lines per outage; each request it failed is already logged once, with its id
    and level (DATABASE_UNAVAILABLE, WRITE_OUTCOME_UNKNOWN). An alert on ERROR should not fire
    on the driver's echo of it."""
    if record.name.startswith("neo4j") and record.levelno == logging.ERROR:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def _without_color(record: logging.LogRecord) -> bool:
    """uvicorn adds a copy of some messages with terminal colour codes; JSON lines keep one."""
    record.__dict__.pop("color_message", None)
    return True


# C0 controls but the tab, escaped: a client's text (an operation name, a header) with a
# newline in it would otherwise write a line of its own, a forged entry.
_CONTROLS = {c: f"\\x{c:02x}" for c in range(32) if c != 9} | {10: "\\n", 13: "\\r"}


class _TextFormatter(logging.Formatter):
    """One entry per line: the message's controls escaped; a traceback's lines indented, so
    that only an entry's first line starts with its time."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).translate(_CONTROLS)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n  ")


def configure_logging(settings: Settings) -> None:
    """Text or JSON lines (CRM_LOG_FORMAT=json) on stderr, at CRM_LOG_LEVEL."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
            )
        )
        handler.addFilter(_without_color)
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name("crm")
    handler.addFilter(_driver_errors_as_warnings)
    root = logging.getLogger()
    # Replace only our own handler (a second create_app, as tests do); leave others' alone.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "crm"]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    access = logging.getLogger("uvicorn.access")
    if _without_query_string not in access.filters:
        access.addFilter(_without_query_string)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = request.app.state
    if not getattr(state, "ready", False):
        reason = getattr(state, "not_ready_reason", "starting")
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    try:
        await asyncio.wait_for(state.db.ping(), timeout=5.0)
    except TimeoutError:
        return JSONResponse({"status": "unavailable", "reason": "neo4j: timeout"}, status_code=503)
    except DatabaseUnavailable:
        # /readyz needs no key: the driver's text (addresses, ports) stays out of it; the
        # outage is in the log already, from the requests and the supervisor.
        return JSONResponse({"status": "unavailable", "reason": "neo4j: unavailable"}, 503)
    return JSONResponse({"status": "ready"})


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


# Who start-up maintenance runs as (encrypting stored ID numbers).
SYSTEM_ACTOR = Actor("system:start-up")


async def _prepare_database(app: Starlette, settings: Settings) -> None:
    """Migrate (and seed) until it works: the app serves /healthz meanwhile, /readyz is 503."""
    state = app.state
    delay = 0.5
    while True:
        try:
            applied = await Runner(state.db, migrations.DIRECTORY, settings.neo4j_user).apply()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            if settings.demo_data and not settings.dev:
                # Its API keys are published in the README: production would then refuse.
                log.warning("demo data is not loaded in production mode (CRM_DEV=0)")
            elif settings.demo_data and await demo.seed_if_empty(state.db):
                await transfer_records.settle_digests(state.db)
                log.info("loaded demo data")
            if not settings.dev and (holders := await demo_key_holders(state.db)):
                raise StartupRefused(
                    "Production mode (CRM_DEV=0) refuses to start: the public demo API keys "
                    f"of {', '.join(holders)} still work. Give your admin a key of their "
                    "own (`crm-graph api-key create --user <admin id> --name ...`), then "
                    "revoke the demo keys (`crm-graph api-key revoke-demo`), with the same "
                    "settings and this server stopped."
                )
            if (seconds := await system.zone_offset_seconds(state.db)) != clock.offset_seconds():
                # An external server: its date() would disagree with ours (graph/clock.py).
                log.warning(
                    "Neo4j's db.temporal.timezone is %+.1f h from UTC, CRM_TIMEZONE (%s) %+.1f h: "
                    "set db.temporal.timezone=%s on the server, or dates near midnight will differ",
                    seconds / 3600,
                    clock.ZONE_NAME,
                    clock.offset_seconds() / 3600,
                    clock.neo4j_zone(),
                )
            # ID numbers written before encryption (or by an older version): encrypt them.
            encrypted = await crypto.encrypt_plain_ids(state.db, SYSTEM_ACTOR)
            if encrypted:
                log.info("encrypted %d plain ID numbers", encrypted)
            if unknown := await crypto.unknown_keys(state.db, SYSTEM_ACTOR):
                log.error(
                    "stored ID numbers are under data keys this server lacks: %s; reading "
                    "them answers DATA_KEY_MISSING until CRM_DATA_KEYS holds those keys "
                    "(README, Personal data)",
                    ", ".join(f"{kid} ({n} people)" for kid, n in unknown),
                )
            # Names stored before their pinyin keys (or renamed without them): make them.
            if keyed := await pinyin.fill(state.db, SYSTEM_ACTOR):
                log.info("made the pinyin keys of %d names", keyed)
            pinyin.load()  # before the heap is frozen: the dictionaries are kept for good
            if settings.warm_up_seconds > 0:
                await warm_up(state.db, settings.warm_up_seconds)
            _freeze_heap()
            state.migrated = True
            state.ready = True
            # Scores for a new database (the demo's included) come with the first run.
            state.scheduler.start(state.db, settings.scoring_interval_hours, scoring_jobs.SYSTEM)
            # Outreach jobs resume where they stopped (resolvers/outreach.py).
            state.outreach.start(state.db)
            # Import and export jobs too: RUNNING ones first (resolvers/transfer_jobs.py).
            state.transfer.start(state.db)
            return
        except DatabaseUnavailable as exc:
            state.not_ready_reason = "neo4j unavailable"
            log.warning("database not reachable yet (%s); retrying in %.1fs", exc, delay)
        except StartupRefused:
            raise
        except Exception as exc:
            # Anything else (a timeout, a failed migration, a bug) would otherwise leave
            # /readyz at "starting" with nothing in the log. Production fails the start-up
            # (uvicorn exits non-zero, a supervisor sees it); dev keeps retrying.
            if not settings.dev:
                raise  # uvicorn logs it whole and exits
            log.exception("preparing the database failed; retrying in %.1fs", delay)
            state.not_ready_reason = f"start-up failed: {type(exc).__name__}; retrying"
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10.0)


def _freeze_heap() -> None:
    """Leave what start-up built (schema, modules, caches: about 600k objects) out of every
    later garbage collection. A full collection walked them all: 100-450 ms, in which every
    request in flight waited (bench/README.md, "where the time goes"). Frozen, a full
    collection takes about a millisecond. The lifespan unfreezes them when the app stops."""
    gc.collect()
    gc.freeze()


class StartupRefused(RuntimeError):
    """The configuration is unsafe for production; the app does not start."""


class QuietRefusal:
    """A start-up refusal is logged as one CRITICAL line. Starlette also hands uvicorn the
    traceback as the failure's message, which uvicorn prints after it: blank that message.
    uvicorn still exits non-zero."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state

        async def quiet(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and getattr(state, "refused", False):
                message = {**message, "message": ""}
            await send(message)

        await self.app(scope, receive, quiet)


def outreach_runner(settings: Settings) -> outreach_jobs.Runner:
    """The outreach job runner: e-mail over SMTP when CRM_SMTP_HOST is set, else (and SMS
    always) into the outbox."""
    email = None
    if settings.smtp_host:
        email = outreach_jobs.SmtpChannel(
            outreach_jobs.SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                sender=settings.smtp_from,
                starttls=settings.smtp_starttls,
                timeout=settings.smtp_timeout,
            )
        )
    return outreach_jobs.Runner(
        email,
        default_rate=settings.outreach_rate_per_minute,
        public_companies=settings.public_companies,
    )


def check_production(settings: Settings) -> None:
    """What production mode, or any mode, refuses before touching the database."""
    if not settings.dev and settings.allow_anonymous:
        raise StartupRefused(
            "Production mode (CRM_DEV=0) refuses to start with anonymous access on: "
            "unset CRM_ALLOW_ANONYMOUS (or set it to 0)."
        )
    try:
        _oidc(settings)
    except OidcConfigError as exc:
        raise StartupRefused(f"CRM_OIDC_*: {exc}") from None


def _oidc(settings: Settings) -> OidcVerifier | None:
    if not settings.oidc_enabled:
        return None
    return OidcVerifier(
        settings.oidc_issuer or "",
        settings.oidc_audience or "",
        settings.oidc_jwks_url or "",
        settings.oidc_user_claim,
        settings.oidc_algorithms,
    )


def create_app(settings: Settings | None = None, *, oidc: OidcVerifier | None = None) -> Starlette:
    """The app. `oidc` replaces the verifier the settings describe (tests inject one with
    their own JWKS)."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    try:
        check_production(settings)
        oidc = oidc or _oidc(settings)
        # Production refuses to start without data keys (graph/crypto.py); dev makes its own.
        crypto.configure(crypto.keyring_for(settings))
    except (StartupRefused, ValueError, crypto.DataKeyError) as exc:
        log.critical("%s", exc)
        raise
    schema = build_schema(
        dev=settings.dev, limits=_limits(settings), pseudonym_key=settings.pseudonym_key
    )
    configure_caches(settings.query_cache_bytes, settings.query_cache_bytes // 4)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        local: LocalNeo4j | None = None
        supervisor: Supervisor | None = None
        app.state.ready = False
        app.state.migrated = False
        if settings.neo4j_uri:
            db = Database(
                settings.neo4j_uri,
                settings.neo4j_user,
                settings.neo4j_password,
                settings.neo4j_database,
                **_db_options(settings),
            )
        else:
            local = LocalNeo4j(
                settings.local_home,
                settings.local_data_dir,
                settings.local_bolt_port,
                settings.local_heap,
                settings.local_pagecache,
            )
            if local.running_pid() is None:
                log.info("starting the embedded Neo4j (data in %s)", local.data_dir)
                local.start()
                supervisor = _supervise(app, local, settings)
                app.state.supervisor = supervisor
            else:  # started earlier with `crm-graph neo4j start`: share it, leave it running
                log.info("using the running local Neo4j on port %s", local.bolt_port)
                local = _Borrowed(local)
            db = Database(
                local.uri,
                local.user,
                local.password,
                settings.neo4j_database,
                **_db_options(settings),
            )
        app.state.db = db
        app.state.scheduler = scoring_jobs.Scheduler()
        app.state.outreach = outreach_runner(settings)
        app.state.transfer = transfer_jobs.Worker(
            settings.transfer_jobs_dir,
            pseudonym_key=settings.pseudonym_key,
            public_companies=settings.public_companies,
            keep_days=settings.transfer_keep_days,
        )
        app.state.auth = Authenticator(
            db,
            settings.allow_anonymous,
            settings.auth_cache_seconds,
            oidc,
            public_companies=settings.public_companies,
        )
        prepare = asyncio.create_task(_prepare_database(app, settings))
        try:
            if not settings.dev:
                # Production checks the database before serving, so that a refusal (demo
                # keys) fails the start-up itself: uvicorn then exits non-zero.
                try:
                    await prepare
                except StartupRefused as exc:
                    log.critical("%s", exc)
                    app.state.refused = True
                    raise
            yield
        finally:
            app.state.ready = False
            prepare.cancel()
            with contextlib.suppress(asyncio.CancelledError, StartupRefused):
                await prepare
            await app.state.scheduler.stop()
            await app.state.outreach.stop()
            await app.state.transfer.stop()
            await db.close()
            if supervisor is not None:
                await asyncio.to_thread(supervisor.stop)
            gc.unfreeze()  # what this app built may be collected again once it is gone

    view = GraphQLView(schema, settings, metrics)
    metrics.in_flight.set_function(lambda: view.in_flight)
    routes: list[Route | Mount] = [
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        # Import and export as jobs (issue 15): file bodies, so REST beside GraphQL.
        # Every method reaches the handler, which refuses a wrong one as JSON (405).
        *(
            Route(path, handler, methods=transfer_jobs.ANY_METHOD)
            for path, handler in (
                ("/transfer/imports", transfer_jobs.submit_import),
                ("/transfer/exports", transfer_jobs.submit_export),
                ("/transfer/jobs", transfer_jobs.list_jobs),
                ("/transfer/jobs/{id}", transfer_jobs.job_status),
                ("/transfer/jobs/{id}/cancel", transfer_jobs.cancel_job),
                ("/transfer/jobs/{id}/report", transfer_jobs.job_report),
                ("/transfer/jobs/{id}/download", transfer_jobs.job_download),
            )
        ),
    ]
    if (VIEWER_DIR / "index.html").exists():
        routes.append(Route("/", lambda r: RedirectResponse("/viewer/")))
        routes.append(Mount("/viewer", StaticFiles(directory=VIEWER_DIR, html=True)))
    coded = {status: _coded_http_error for status in (404, 405)}
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=coded)
    app.state.metrics = metrics
    app.state.settings = settings
    metrics.ready.set_function(lambda: float(bool(getattr(app.state, "ready", False))))
    metrics.neo4j_restarts.set_function(
        lambda: float(getattr(getattr(app.state, "supervisor", None), "restarts", 0))
    )
    app.add_middleware(RequestScope, metrics=metrics)
    app.add_middleware(QuietRefusal)
    return app


def _limits(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_query_bytes=settings.max_query_bytes,
        max_nesting=settings.max_nesting,
        max_fragments=settings.max_fragments,
        max_query_cost=settings.max_query_cost,
    )


def _db_options(settings: Settings) -> dict[str, Any]:
    return {
        "transaction_timeout": settings.transaction_timeout or None,
        "pool_size": settings.neo4j_pool_size,
        "acquisition_timeout": settings.neo4j_acquisition_timeout,
    }


def _supervise(app: Starlette, local: LocalNeo4j, settings: Settings) -> Supervisor:
    """Restart the embedded server when it dies; /readyz and /graphql say 503 meanwhile."""
    loop = asyncio.get_running_loop()

    def down(restarts: int) -> None:
        app.state.ready = False
        app.state.not_ready_reason = f"neo4j restarting (restart {restarts})"
        app.state.db.forget_plans()  # its plan cache starts empty: first runs get longer

    async def back() -> None:
        # Bolt can open before the database is online: ready only once a query answers.
        while True:
            try:
                await asyncio.wait_for(app.state.db.ping(), timeout=5.0)
                break
            except (DatabaseUnavailable, TimeoutError):
                await asyncio.sleep(0.5)
        app.state.ready = app.state.migrated
        if app.state.migrated and settings.warm_up_seconds > 0:
            # The restarted server's plan cache is empty: fill it while requests are served,
            # so that the first ones plan fewer statements themselves.
            with contextlib.suppress(CrmError):
                await warm_up(app.state.db, settings.warm_up_seconds, parallel=1)

    def up(restarts: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: we are shutting down
            asyncio.run_coroutine_threadsafe(asyncio.wait_for(back(), 300), loop)

    return Supervisor(
        local, on_down=down, on_up=up, max_backoff=settings.local_restart_max_backoff
    ).start()


class _Borrowed(LocalNeo4j):
    """A local server someone else started; we connect to it but never stop it."""

    def __init__(self, running: LocalNeo4j) -> None:
        self.__dict__.update(running.__dict__)
