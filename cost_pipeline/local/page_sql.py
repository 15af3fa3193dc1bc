"""SQL that assembles a whole v2 page inside SQLite.

Each row's JSON is the concatenation of its stored fragments for the requested groups, and the
page is one ``group_concat`` over the ordered rows, so Python receives a single bytes object per
page. Order: ``start_time desc, trace_id desc, id desc`` (then insertion order for injected
duplicates). Langfuse breaks start-time ties with ``xxHash32(trace_id)``; any deterministic
tiebreak keeps cursor paging exact, and the plain trace id lets the index serve the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cost_pipeline.local.encode import NULL_PRICES, SLICED_GROUPS
from cost_pipeline.local.observations_query import Cursor, PageQuery
from cost_pipeline.local.rows import LENGTH_COLUMNS

_ORDER = "order by start_ms desc, trace_id desc, id desc, seq desc"


@dataclass(frozen=True)
class PageResult:
    body: bytes  # the rows' JSON objects joined by commas
    rows: int
    next_cursor: Cursor | None


def _metadata_expr(expand: tuple[str, ...], params: dict[str, Any]) -> str:
    """Truncated metadata, with the full values of the expandMetadata keys put back."""
    served = "m_trunc"
    for index, key in enumerate(k for k in expand if _path_label_safe(k)):
        name = f"mpath{index}"
        params[name] = f'$."{key}"'
        full = f"json_extract(cast(m_over as text), :{name})"
        # Only strings, objects and arrays are ever truncated; objects and arrays must be put
        # back as JSON, not as the text json_extract returns (no ->: SQLite < 3.38 lacks it).
        value = (
            f"(case json_type(cast(m_over as text), :{name}) when 'object' then json({full}) "
            f"when 'array' then json({full}) else {full} end)"
        )
        served = (
            f"(case when json_type(cast(m_over as text), :{name}) is null then {served} "
            f"else json_set(cast({served} as text), :{name}, {value}) end)"
        )
    if served != "m_trunc":
        served = f"(case when m_over is null then m_trunc else {served} end)"
    return f"""coalesce(',"metadata":' || {served}, '')"""


def _path_label_safe(key: str) -> bool:
    # Quotes and backslashes cannot be written in a SQLite JSON path label, and whether a control
    # character matches depends on the SQLite release (3.40 no, 3.53 yes): such keys stay
    # truncated on every release.
    return not any(char in '"\\' or ord(char) < 0x20 for char in key)


def _slices(wanted: list[bool]) -> list[tuple[str, str]]:
    """(offset, length) of each run of adjacent wanted groups in the fragments blob."""
    out: list[tuple[str, str]] = []
    index = 0
    while index < len(wanted):
        if not wanted[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(wanted) and wanted[end + 1]:
            end += 1
        offset = " + ".join(["1", *LENGTH_COLUMNS[:index]])
        length = " + ".join(LENGTH_COLUMNS[index : end + 1])
        out.append((offset, length))
        index = end + 1
    return out


def row_json_expr(query: PageQuery, params: dict[str, Any]) -> str:
    served = set(query.groups) | {"metrics"}  # latency and timeToFirstToken always present
    if "model" in query.groups:
        served.add("prices")
    else:
        params["null_prices"] = NULL_PRICES
    slices = _slices([group in served for group in SLICED_GROUPS])
    extras = [] if "prices" in served else [":null_prices"]
    if "metadata" in query.groups:
        extras.append(_metadata_expr(query.expand_metadata, params))
    if "io" in query.groups:
        extras.append("io")
    # Every fragment starts with a comma, which the object must not. Reading the first slice
    # from its second byte spares copying the whole row once more to cut it (~1 ms of a
    # 1000-row page's ~6 ms). A row whose first slice is empty (injected without those keys)
    # is cut the slow way. Its slices are read from the blob (offsets count bytes; on text they
    # would count characters) with '' for an empty blob, whose substr() is null and would drop
    # the row from the page.
    (first_offset, first_length), *others = slices  # never none: metrics is always served
    fast = " || ".join(
        [
            "'{'",
            f"substr(frags, {first_offset} + 1, {first_length} - 1)",
            *_slice_exprs(others),
            *extras,
            "'}'",
        ]
    )
    careful = " || ".join([*(f"coalesce({expr}, '')" for expr in _slice_exprs(slices)), *extras])
    return (
        f"(case when {first_length} > 0 then {fast} else '{{' || substr({careful}, 2) || '}}' end)"
    )


def _slice_exprs(slices: list[tuple[str, str]]) -> list[str]:
    return [f"substr(frags, {offset}, {length})" for offset, length in slices]


def _in(column: str, values: tuple[str, ...], params: dict[str, Any]) -> str:
    names = []
    for value in values:
        name = f"p{len(params)}"
        params[name] = value
        names.append(f":{name}")
    return f"{column} in ({', '.join(names)})"


def where_clause(query: PageQuery, now_ms: int, params: dict[str, Any]) -> str:
    params["now_ms"] = now_ms
    clauses = ["visible_at_ms <= :now_ms"]
    for column, values in query.filters.items():
        clauses.append(_in(column, values, params))
    if query.parent_ids:
        real_ids = tuple(v for v in query.parent_ids if v)
        options = [_in("parent_observation_id", real_ids, params)] if real_ids else []
        if "" in query.parent_ids:
            options.append("parent_observation_id is null")
        clauses.append("(" + " or ".join(options) + ")")
    if query.roots_only is not None:
        clauses.append(f"is_root = {1 if query.roots_only else 0}")
    if query.from_ms is not None:
        params["from_ms"] = query.from_ms
        clauses.append("start_ms >= :from_ms")
    # ONE upper bound, the tighter of toStartTime and the cursor: given two, SQLite may seek
    # the index from toStartTime and walk past every row before the cursor, which makes each
    # page slower than the one before (measured: 6 ms -> 19 ms per page 300 pages deep).
    upper = None if query.to_ms is None else query.to_ms - 1
    if query.cursor is not None:
        upper = query.cursor.start_ms if upper is None else min(upper, query.cursor.start_ms)
        params.update(
            c_start=query.cursor.start_ms, c_trace=query.cursor.trace_id, c_id=query.cursor.id
        )
        clauses.append(
            "(start_ms < :c_start or trace_id < :c_trace or (trace_id = :c_trace and id < :c_id))"
        )
    if upper is not None:
        params["upper_ms"] = upper
        clauses.append("start_ms <= :upper_ms")
    return " and ".join(clauses)


def page_sql(query: PageQuery, now_ms: int) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {"limit": query.limit, "fetch": query.limit + 1}
    row_json = row_json_expr(query, params)
    where = where_clause(query, now_ms, params)
    # Fetch limit+1 rows: the extra one only tells whether another page exists.
    sql = f"""
        select cast(group_concat(j, ',') filter (where rn <= :limit) as blob),
               count(*),
               max(case when rn = :limit then start_ms end),
               max(case when rn = :limit then trace_id end),
               max(case when rn = :limit then id end)
        from (
            select row_number() over () as rn, start_ms, trace_id, id, {row_json} as j
            from (select * from observations where {where} {_ORDER} limit :fetch)
        )
    """
    return sql, params


def run_page(conn: Any, query: PageQuery, now_ms: int) -> PageResult:
    if query.limit == 0:
        return PageResult(b"", 0, None)
    sql, params = page_sql(query, now_ms)
    # fetchall, not fetchone: it steps the statement to its end, which ends the read
    # transaction at once (an open one would stop WAL checkpoints from resetting the log).
    ((body, fetched, last_start, last_trace, last_id),) = conn.execute(sql, params).fetchall()
    more = fetched > query.limit
    cursor = Cursor(last_start, last_trace, last_id) if more else None
    return PageResult(body or b"", min(fetched, query.limit), cursor)
