"""GET /api/public/v2/observations: cursor pages assembled in SQLite, with fault injection."""

from __future__ import annotations

import asyncio

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cost_pipeline.local.fault_responses import body_fault, status_fault
from cost_pipeline.local.observations_query import PageQuery, parse_page_query
from cost_pipeline.local.page_sql import PageResult, run_page
from cost_pipeline.local.read_guard import admit_read
from cost_pipeline.local.state import ServerState
from cost_pipeline.local.timefmt import now_ms


def _read_page(state: ServerState, query: PageQuery) -> PageResult:
    # Runs in a worker thread: each thread reads through its own SQLite connection.
    return run_page(state.store.reader(), query, now_ms())


def _meta(query: PageQuery, result: PageResult, repeat_cursor: bool) -> bytes:
    if repeat_cursor and query.raw_cursor:
        return orjson.dumps({"cursor": query.raw_cursor})
    if result.next_cursor is not None:
        return orjson.dumps({"cursor": result.next_cursor.encode()})
    return b"{}"


async def list_observations(request: Request) -> Response:
    state: ServerState = request.app.state.server
    refused = admit_read(state)
    if refused is not None:
        return refused
    query = parse_page_query(request.query_params)
    fault = state.faults.next_fault(has_cursor=query.raw_cursor is not None)
    if fault is not None:
        state.stats.fault(fault.kind)
        if fault.kind == "status":
            return status_fault(fault, state.faults.knobs.rate_limit_per_minute)
    delay_ms = state.faults.knobs.page_latency_ms + (fault.delay_ms if fault else 0.0)
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)
    result = await run_in_threadpool(_read_page, state, query)
    repeat = fault is not None and fault.kind == "repeat_cursor"
    body = b'{"data":[' + result.body + b'],"meta":' + _meta(query, result, repeat) + b"}"
    state.stats.add("pages_served")
    state.stats.add("rows_served", result.rows)
    state.stats.add("bytes_served", len(body))
    if fault is not None:
        broken = body_fault(fault, body)
        if broken is not None:
            return broken
    return Response(body, 200, media_type="application/json")
