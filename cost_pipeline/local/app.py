"""The Starlette application: routes, the auth/stats gate, and Langfuse-shaped errors."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cost_pipeline.local import admin, metrics_api, observations_api, public_api, simulator
from cost_pipeline.local.auth import check_basic_auth
from cost_pipeline.local.config import ServerConfig, remove_runtime_file
from cost_pipeline.local.cost import match_model
from cost_pipeline.local.errors import ApiError, error_response, internal_error, not_found
from cost_pipeline.local.errors import json_response as _json
from cost_pipeline.local.fault_responses import quiet_deliberate_drops
from cost_pipeline.local.faults import FaultEngine
from cost_pipeline.local.ingest_pool import IngestPool
from cost_pipeline.local.knobs import Knobs
from cost_pipeline.local.state import ServerState
from cost_pipeline.local.stats import Stats
from cost_pipeline.local.store import Store

log = logging.getLogger(__name__)
PUBLIC_PREFIX = "/api/public"
# Langfuse answers its health probe without credentials; every other public route needs them.
OPEN_PATHS = frozenset({"/api/public/health"})


def _routes() -> list[BaseRoute]:
    return [
        Route("/api/public/health", public_api.health, methods=["GET"]),
        Route("/api/public/projects", public_api.projects, methods=["GET"]),
        Route("/api/public/otel/v1/traces", public_api.otel_traces, methods=["POST"]),
        Route("/api/public/ingestion", public_api.legacy_ingestion, methods=["POST"]),
        Route("/api/public/scores", public_api.scores, methods=["POST"]),
        Route("/api/public/v2/observations", observations_api.list_observations, methods=["GET"]),
        Route("/api/public/v2/metrics", metrics_api.metrics, methods=["GET"]),
        Route("/admin/knobs", admin.get_knobs, methods=["GET"]),
        Route("/admin/knobs", admin.set_knobs, methods=["POST"]),
        Route("/admin/stats", admin.get_stats, methods=["GET"]),
        Route("/admin/stats/reset", admin.reset_stats, methods=["POST"]),
        Route("/admin/truth", admin.truth, methods=["GET"]),
        Route("/admin/observations", admin.inject, methods=["POST"]),
    ]


class GateMiddleware:
    """Basic auth on the public API and per-route/status counters, as plain ASGI (cheap)."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        path: str = scope["path"]
        try:
            if path.startswith(PUBLIC_PREFIX) and path not in OPEN_PATHS:
                config = self.state.config
                check_basic_auth(
                    _header(scope, b"authorization"), config.public_key, config.secret_key
                )
            await self.app(scope, receive, capture)
        except ApiError as error:
            await error_response(error)(scope, receive, capture)
        finally:
            route = "unmatched" if status == 404 else f"{scope['method']} {path}"
            self.state.stats.request(route, status)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(not_found(request.url.path))
    return _json({"message": exc.detail}, exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(internal_error(type(exc).__name__))


def _warm_prices() -> None:
    # genai-prices loads its data on first use (~0.25 s); pay that before the first batch.
    for model in ("gpt-4o-mini", "claude-haiku-4-5"):
        match_model(model)


def _tune_gc() -> None:
    # An OTLP batch allocates ~50 short-lived objects per span; with the default thresholds
    # the collector runs thousands of times per batch and re-scans everything that survived
    # start-up. Freezing start-up objects and collecting less often halves mapping time.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    _tune_gc()
    quiet_deliberate_drops()
    threading.Thread(target=_warm_prices, name="warm-prices", daemon=True).start()
    try:
        yield
    finally:
        # Here, not after uvicorn returns: on SIGTERM uvicorn re-raises the signal once it
        # has shut down, which ends the process before any code after run() could execute.
        remove_runtime_file(app.state.server.config.runtime_file)
        app.state.server.ingest_pool.close()
        app.state.server.store.close()


def create_app(config: ServerConfig, knobs: Knobs | None = None) -> Starlette:
    state = ServerState(
        config=config,
        store=Store(config.db_path),
        faults=FaultEngine(knobs or Knobs()),
        stats=Stats(),
        ingest_pool=IngestPool(),
        simulator_knobs=simulator.knobs,
    )
    app = Starlette(
        routes=[*_routes(), *simulator.simulator_routes()],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=_lifespan,
    )
    app.state.server = state
    app.add_middleware(GateMiddleware, state=state)
    return app
