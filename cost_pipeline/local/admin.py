"""/admin routes: knobs, counters, the server's own truth, and verbatim injection.

Only loopback clients presenting X-Admin-Key get an answer (403 otherwise).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cost_pipeline.local.auth import check_admin
from cost_pipeline.local.errors import ApiError, json_response
from cost_pipeline.local.inject import InjectError, injected_rows
from cost_pipeline.local.knobs import validated_updates
from cost_pipeline.local.state import ServerState
from cost_pipeline.local.timefmt import parse_iso_ms

SIMULATOR_KNOBS = {"simulator_latency_ms": "latency_ms", "simulator_error_rate": "error_rate"}


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    check_admin(request, state.config.admin_key)
    return state


def _bad(message: str) -> ApiError:
    return ApiError(400, {"message": "Invalid request data", "error": [message]})


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise _bad("body must be JSON") from None


def knobs_view(state: ServerState) -> dict[str, Any]:
    view = state.faults.snapshot()
    simulator = state.simulator_knobs
    if simulator is not None:
        view["simulator_latency_ms"] = simulator.latency_ms
        view["simulator_error_rate"] = simulator.error_rate
    return view


def apply_knobs(state: ServerState, updates: dict[str, Any]) -> None:
    """Validate everything first, so a bad value changes nothing."""
    simulator_updates = {
        SIMULATOR_KNOBS[name]: updates.pop(name)
        for name in list(updates)
        if name in SIMULATOR_KNOBS
    }
    validated_updates(updates)
    if simulator_updates:
        if state.simulator_knobs is None:
            raise ValueError("the provider simulator is not installed in this server")
        state.simulator_knobs.update(**simulator_updates)
    state.faults.update(updates)


async def get_knobs(request: Request) -> Response:
    return json_response(knobs_view(_state(request)))


async def set_knobs(request: Request) -> Response:
    state = _state(request)
    updates = await _json(request)
    if not isinstance(updates, dict):
        raise _bad("body must be a JSON object of knob values")
    try:
        apply_knobs(state, dict(updates))
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return json_response(knobs_view(state))


async def get_stats(request: Request) -> Response:
    return json_response(_state(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    state = _state(request)
    state.stats.reset()
    return json_response(state.stats.snapshot())


def _truth_ids(state: ServerState, from_ms: int, to_ms: int, types: list[str]) -> list[str]:
    sql = "select distinct id from observations where start_ms >= ? and start_ms < ?"
    params: list[Any] = [from_ms, to_ms]
    if types:
        sql += f" and type in ({', '.join('?' for _ in types)})"
        params.extend(types)
    return [row[0] for row in state.store.query(sql + " order by id", params)]


async def truth(request: Request) -> Response:
    """Every id with a start time in [from, to), visible yet or not."""
    state = _state(request)
    try:
        from_ms = parse_iso_ms(request.query_params.get("fromStartTime", "1970-01-01T00:00:00Z"))
        to_ms = parse_iso_ms(request.query_params.get("toStartTime", "9999-01-01T00:00:00Z"))
    except ValueError as exc:
        raise _bad(str(exc)) from None
    types = request.query_params.getlist("type")
    ids = await run_in_threadpool(_truth_ids, state, from_ms, to_ms, types)
    return json_response({"ids": ids, "count": len(ids)})


async def inject(request: Request) -> Response:
    state = _state(request)
    payload = await _json(request)
    try:
        rows = injected_rows(payload, state.faults.knobs.visibility_delay_s)
    except InjectError as exc:
        raise _bad(str(exc)) from None
    await run_in_threadpool(state.store.write, rows)
    return json_response({"stored": len(rows)})
