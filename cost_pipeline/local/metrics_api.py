"""GET /api/public/v2/metrics for the observations view, computed with SQL over stored columns.

Totals mirror Langfuse: totalCost sums the stored total cost, which is null (not 0) for rows
whose cost could not be derived; input/output tokens are the sums of the usage keys containing
"input" / "output"; a tags dimension counts an observation fully under each of its tags.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cost_pipeline.local.errors import ApiError, invalid_request, json_response
from cost_pipeline.local.metrics_query import (
    AGGREGATIONS,
    DIMENSIONS,
    FILTER_COLUMNS,
    GRANULARITY,
    MEASURES,
    MetricsQuery,
    parse_metrics_query,
)
from cost_pipeline.local.read_guard import admit_read
from cost_pipeline.local.state import ServerState
from cost_pipeline.local.timefmt import now_ms

# m_over holds the full values of truncated keys; filters compare the full value.
_METADATA = (
    "coalesce(json_extract(cast(o.m_over as text), :{name}),"
    " json_extract(cast(o.m_trunc as text), :{name}))"
)


def _bad(message: str) -> ApiError:
    return invalid_request("query", message)


def _bind(params: dict[str, Any], value: Any) -> str:
    name = f"v{len(params)}"
    params[name] = value
    return f":{name}"


def _string_condition(expr: str, operator: Any, value: Any, params: dict[str, Any]) -> str:
    if operator in ("any of", "none of"):
        if not isinstance(value, list) or not value:
            raise _bad(f"operator {operator!r} needs a non-empty array value")
        names = ", ".join(_bind(params, str(v)) for v in value)
        return f"{expr} {'not ' if operator == 'none of' else ''}in ({names})"
    if not isinstance(value, str):
        raise _bad(f"operator {operator!r} needs a string value")
    bound = _bind(params, value)
    conditions = {
        "=": f"{expr} = {bound}",
        "!=": f"({expr} is null or {expr} != {bound})",
        "contains": f"instr({expr}, {bound}) > 0",
        "does not contain": f"({expr} is null or instr({expr}, {bound}) = 0)",
        "starts with": f"substr({expr}, 1, length({bound})) = {bound}",
        "ends with": f"substr({expr}, -length({bound})) = {bound}",
    }
    if operator not in conditions:
        raise _bad(f"unsupported operator {operator!r}")
    return conditions[operator]


def _tags_condition(operator: Any, value: Any, params: dict[str, Any]) -> str:
    if not isinstance(value, list) or not value:
        raise _bad("tags filters need a non-empty array value")
    names = ", ".join(_bind(params, str(v)) for v in value)
    matching = (
        "select count(distinct value) from json_each(coalesce(o.tags, '[]'))"
        f" where value in ({names})"
    )
    if operator == "any of":
        return f"({matching}) > 0"
    if operator == "none of":
        return f"({matching}) = 0"
    if operator == "all of":
        return f"({matching}) = {len(set(map(str, value)))}"
    raise _bad(f"unsupported tags operator {operator!r}")


def _filter_sql(item: dict[str, Any], params: dict[str, Any]) -> str:
    column, operator, value = item.get("column"), item.get("operator"), item.get("value")
    if column == "metadata":
        key = item.get("key")
        if item.get("type") != "stringObject" or not isinstance(key, str) or '"' in key:
            raise _bad("metadata filters need type stringObject and a key")
        expr = _METADATA.format(name=_bind(params, f'$."{key}"')[1:])
        return _string_condition(expr, operator, value, params)
    if column in ("tags", "traceTags"):
        return _tags_condition(operator, value, params)
    if column not in FILTER_COLUMNS:
        raise _bad(f"unsupported filter column {column!r}")
    return _string_condition(FILTER_COLUMNS[column], operator, value, params)


def metrics_sql(query: MetricsQuery, now: int) -> tuple[str, dict[str, Any], list[str]]:
    params: dict[str, Any] = {"now_ms": now, "from_ms": query.from_ms, "to_ms": query.to_ms}
    selects: list[str] = []
    keys: list[str] = []
    for dimension in query.dimensions:
        selects.append(DIMENSIONS[dimension])
        keys.append(dimension)
    if query.granularity:
        params["time_format"] = GRANULARITY[query.granularity]
        selects.append("strftime(:time_format, o.start_ms / 1000, 'unixepoch')")
        keys.append("time_dimension")
    group_count = len(selects)
    for measure, aggregation in query.metrics:
        selects.append(f"{AGGREGATIONS[aggregation]}({MEASURES[measure]})")
        keys.append(f"{aggregation}_{measure}")
    where = ["o.visible_at_ms <= :now_ms", "o.start_ms >= :from_ms", "o.start_ms < :to_ms"]
    where += [_filter_sql(item, params) for item in query.filters]
    source = "observations o"
    if query.explodes_tags:
        source += " join json_each(coalesce(o.tags, '[]')) tag"
    sql = f"select {', '.join(selects)} from {source} where {' and '.join(where)}"
    if group_count:
        sql += " group by " + ", ".join(str(i + 1) for i in range(group_count))
    order = []
    for field_name, direction in query.order_by:
        if field_name not in keys:
            raise _bad(f"orderBy field {field_name!r} is not a dimension or metric of the query")
        order.append(f"{keys.index(field_name) + 1} {direction}")
    if order or group_count:
        sql += " order by " + ", ".join(order or [str(i + 1) for i in range(group_count)])
    params["row_limit"] = query.row_limit
    return sql + " limit :row_limit", params, keys


def _run(state: ServerState, query: MetricsQuery) -> list[dict[str, Any]]:
    sql, params, keys = metrics_sql(query, now_ms())
    rows = state.store.query(sql, params)
    out = [dict(zip(keys, row, strict=True)) for row in rows]
    if "isRootObservation" in query.dimensions:
        for item in out:
            item["isRootObservation"] = bool(item["isRootObservation"])
    return out


async def metrics(request: Request) -> Response:
    state: ServerState = request.app.state.server
    refused = admit_read(state)
    if refused is not None:
        return refused
    query = parse_metrics_query(request.query_params.get("query"))
    data = await run_in_threadpool(_run, state, query)
    return json_response({"data": data})
