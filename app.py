"""Starlette application: GraphQL, health, metrics and the web viewer.

`create_app(settings)` builds the ASGI app; uvicorn calls it as a factory
(`uvicorn --factory app:create_app`), so importing this module starts nothing. The lifespan
opens one AsyncDriver (to NEO4J_URI, or to a local server it starts and supervises), applies
pending migrations, optionally seeds demo data, and closes everything on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL

import migrations
from graph import demo
from graph.db import Database, DatabaseUnavailable, RoundTrips, current_round_trips
from graph.migrate import Runner
from graph.server import LocalNeo4j, Supervisor
from resolvers.auth import Authenticator
from resolvers.context import ANONYMOUS, Context, Viewer
from resolvers.errors import ApiError
from schema import build_schema
from schema.extensions import introspection_allowed
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
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = incoming if incoming.isprintable() and incoming else uuid.uuid4().hex
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
            path = scope["path"] if scope["path"] in {"/graphql", "/readyz", "/healthz"} else "*"
            self.metrics.requests.labels(path, str(status)).inc()
            if scope["path"] == "/graphql":
                self.metrics.latency.observe(time.perf_counter() - started)
                self.metrics.round_trips.inc(trips.count)


def _error_response(code: str, message: str, status: int, request_id: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.dev else None)
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        state = request.app.state
        request_id = scope["state"]["request_id"]
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            await super().__call__(scope, receive, send)  # the IDE page: static, no data
            return
        if not getattr(state, "ready", False) and request.method == "POST":
            response = _error_response(
                "DATABASE_UNAVAILABLE",
                "The database is not ready yet; retry shortly.",
                503,
                request_id,
            )
            await response(scope, receive, send)
            return
        # Auth lookups are cached and not part of the query's cost: keep them off the count.
        auth_token = current_round_trips.set(RoundTrips())
        try:
            viewer: Viewer = await state.auth.viewer(request.headers.get("authorization"))
        except ApiError as exc:
            await _error_response(exc.code.value, exc.message, 401, request_id)(
                scope, receive, send
            )
            return
        except DatabaseUnavailable:
            response = _error_response(
                "DATABASE_UNAVAILABLE",
                "The database is unavailable right now; retry shortly.",
                503,
                request_id,
            )
            await response(scope, receive, send)
            return
        finally:
            current_round_trips.reset(auth_token)
        scope["state"]["viewer"] = viewer
        token = introspection_allowed.set(self.settings.dev)
        try:
            await super().__call__(scope, receive, send)
        finally:
            introspection_allowed.reset(token)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            db=request.app.state.db,
            # The IDE page is served before authentication; it never reaches a resolver.
            viewer=request.scope["state"].get("viewer", ANONYMOUS),
            request_id=request.scope["state"]["request_id"],
            dev=self.settings.dev,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = request.app.state
    if not getattr(state, "ready", False):
        reason = getattr(state, "not_ready_reason", "starting")
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    try:
        await asyncio.wait_for(state.db.ping(), timeout=5.0)
    except (DatabaseUnavailable, TimeoutError) as exc:
        return JSONResponse(
            {"status": "unavailable", "reason": f"neo4j: {str(exc)[:200] or 'timeout'}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _prepare_database(app: Starlette, settings: Settings) -> None:
    """Migrate (and seed) until it works: the app serves /healthz meanwhile, /readyz is 503."""
    state = app.state
    delay = 0.5
    while True:
        try:
            applied = await Runner(state.db, migrations.DIRECTORY, settings.neo4j_user).apply()
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            if settings.demo_data and await demo.seed_if_empty(state.db):
                log.info("loaded demo data")
            state.migrated = True
            state.ready = True
            return
        except DatabaseUnavailable as exc:
            state.not_ready_reason = f"neo4j unavailable: {str(exc)[:200]}"
            log.warning("database not reachable yet (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    schema = build_schema(settings.max_query_depth, settings.max_aliases, settings.max_tokens)
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
            else:  # started earlier with `crm-graph neo4j start`: share it, leave it running
                log.info("using the running local Neo4j on port %s", local.bolt_port)
                local = _Borrowed(local)
            db = Database(local.uri, local.user, local.password, settings.neo4j_database)
        app.state.db = db
        app.state.auth = Authenticator(db, settings.allow_anonymous)
        prepare = asyncio.create_task(_prepare_database(app, settings))
        try:
            yield
        finally:
            app.state.ready = False
            prepare.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prepare
            await db.close()
            if supervisor is not None:
                await asyncio.to_thread(supervisor.stop)

    routes: list[Route | Mount] = [
        Route("/graphql", GraphQLView(schema, settings), methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]
    if (VIEWER_DIR / "index.html").exists():
        routes.append(Route("/", lambda r: RedirectResponse("/viewer/")))
        routes.append(Mount("/viewer", StaticFiles(directory=VIEWER_DIR, html=True)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.metrics = metrics
    app.state.settings = settings
    app.add_middleware(RequestScope, metrics=metrics)
    return app


def _supervise(app: Starlette, local: LocalNeo4j, settings: Settings) -> Supervisor:
    """Restart the embedded server when it dies; /readyz and /graphql say 503 meanwhile."""
    loop = asyncio.get_running_loop()

    def down(restarts: int) -> None:
        app.state.ready = False
        app.state.not_ready_reason = f"neo4j restarting (restart {restarts})"

    async def back() -> None:
        # Bolt can open before the database is online: ready only once a query answers.
        while True:
            try:
                await asyncio.wait_for(app.state.db.ping(), timeout=5.0)
                break
            except (DatabaseUnavailable, TimeoutError):
                await asyncio.sleep(0.5)
        app.state.ready = app.state.migrated

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
