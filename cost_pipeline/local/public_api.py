"""The small public routes: health, projects (auth_check), OTLP ingestion, score sinks."""

from __future__ import annotations

import logging

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cost_pipeline.local.config import EMULATED_VERSION, PROJECT_ID, PROJECT_NAME
from cost_pipeline.local.errors import ApiError, invalid_request, json_response
from cost_pipeline.local.ingest import IngestRequest
from cost_pipeline.local.otlp_response import export_response
from cost_pipeline.local.otlp_types import OtlpError
from cost_pipeline.local.read_guard import admit_read
from cost_pipeline.local.state import ServerState

MAX_INGESTION_VERSION = 4
log = logging.getLogger(__name__)


async def health(request: Request) -> Response:
    return json_response({"status": "OK", "version": EMULATED_VERSION})


async def projects(request: Request) -> Response:
    refused = admit_read(request.app.state.server)
    if refused is not None:
        return refused
    project = {
        "id": PROJECT_ID,
        "name": PROJECT_NAME,
        "organization": {"id": f"{PROJECT_ID}-org", "name": PROJECT_NAME},
        "metadata": {},
    }
    return json_response({"data": [project]})


def _otlp_error(reason: str) -> ApiError:
    message = f"Invalid OTLP trace export: {reason}"
    return ApiError(
        400, {"message": message, "error": [{"code": "invalid_otlp", "message": message}]}
    )


async def otel_traces(request: Request) -> Response:
    state: ServerState = request.app.state.server
    declared = request.headers.get("x-langfuse-ingestion-version")
    if declared and (not declared.isdigit() or int(declared) > MAX_INGESTION_VERSION):
        raise invalid_request("x-langfuse-ingestion-version", f"unsupported version {declared!r}")
    ingest = IngestRequest(
        body=await request.body(),
        content_type=request.headers.get("content-type", ""),
        content_encoding=request.headers.get("content-encoding", ""),
        sdk_version=request.headers.get("x-langfuse-sdk-version"),
    )
    try:
        stored, rejected, pooled = await state.ingest_pool.ingest(
            state.store, ingest, state.faults.knobs.visibility_delay_s
        )
    except OtlpError as exc:
        state.stats.add("batches_rejected")
        raise _otlp_error(str(exc)) from None
    state.stats.add("batches_ingested")
    state.stats.add("batches_mapped_by_workers", int(pooled))
    state.stats.add("spans_ingested", stored)
    state.stats.add("spans_rejected", len(rejected))
    if rejected:
        log.warning("OTLP export: %s span(s) not stored: %s", len(rejected), "; ".join(rejected))
    # Only now, after the commit, is the batch acknowledged.
    return json_response(export_response(rejected))


async def _json_body(request: Request) -> object:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise invalid_request("body", "request body must be JSON") from None


async def legacy_ingestion(request: Request) -> Response:
    """SDK v4 posts scores here; accepted like Langfuse (207 per-event statuses), not stored."""
    body = await _json_body(request)
    batch = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(batch, list):
        raise invalid_request("batch", "batch must be an array")
    successes = [{"id": item.get("id"), "status": 201} for item in batch if isinstance(item, dict)]
    request.app.state.server.stats.add("scores_received", len(successes))
    return json_response({"successes": successes, "errors": []}, 207)


async def scores(request: Request) -> Response:
    """SDK v5 posts scores here; accepted, not stored (cost work does not read scores)."""
    body = await _json_body(request)
    count = len(body) if isinstance(body, list) else 1
    request.app.state.server.stats.add("scores_received", count)
    return json_response({"message": "Accepted"}, 202)
