"""Page files -> the typed ``batch_rows`` temp table, in DuckDB, with no Python object per row.

The fast path reads all pages of a batch in one ``read_json`` over their ``data`` arrays (one
record per observation, fixed columns); the raw JSON of rows it rejects is cut out of their pages
afterwards. If that read fails (an element that is not an object, duplicate keys), each page is
read element by element instead (the robust path), so one odd observation becomes one rejected
row. A page that is not valid JSON at all is reported as corrupt: the caller fetches it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from cost_pipeline.warehouse.spool import SpooledPage, restore_whole_page
from cost_pipeline.warehouse.sql_files import read_sql

# Observation keys we read. Scalars are read as text (any JSON value converts, so an odd type
# never fails a page) and cast in SQL; nested values stay JSON.
OBSERVATION_FIELDS: tuple[tuple[str, str], ...] = (
    *(
        (name, "VARCHAR")
        for name in (
            "id",
            "traceId",
            "parentObservationId",
            "startTime",
            "endTime",
            "completionStartTime",
            "updatedAt",
            "type",
            "name",
            "level",
            "statusMessage",
            "version",
            "environment",
            "userId",
            "sessionId",
            "traceName",
            "release",
            "model",
            "modelId",
            "internalModelId",
            "inputCost",
            "outputCost",
            "latency",
            "timeToFirstToken",
        )
    ),
    ("tags", "VARCHAR[]"),
    ("usageDetails", "JSON"),
    ("costDetails", "JSON"),
    ("metadata", "JSON"),
)

# usageDetails keys that feed a token class (see typed_rows.sql); each must be a plausible count.
# Langfuse's canonical keys, the keys its default price table prices for OpenAI and Anthropic
# models, and the raw keys it keeps as sent (a flat Anthropic usage map). Counts under any other
# key are in no class: stg_generations.unclassified_tokens shows them (total minus the classes).
USAGE_KEYS: tuple[str, ...] = (
    "input",
    "input_tokens",  # Anthropic's raw key: uncached prompt tokens
    "input_text_tokens",
    "input_cached_tokens",
    "input_cache_read",
    "cache_read_input_tokens",
    "input_cache_creation",
    "input_cache_creation_5m",
    "input_cache_creation_1h",
    "cache_creation_input_tokens",
    "cache_write_tokens",
    "input_audio_tokens",
    "input_audio",
    "output",
    "output_tokens",  # Anthropic's raw key (thinking included)
    "output_text_tokens",
    "output_accepted_prediction_tokens",
    "output_rejected_prediction_tokens",
    "output_reasoning_tokens",
    "output_reasoning",
    "reasoning_tokens",
    "output_audio_tokens",
    "output_audio",
    "total",
)

# No model takes 100M tokens in one call; a bigger count is a bug or hostile, not usage.
MAX_TOKENS_PER_OBSERVATION = 100_000_000
MAX_USD_PER_OBSERVATION = 1_000_000

# usageDetails whose values are all integers below MAX_TOKENS_PER_OBSERVATION (at most 8 digits)
# skip the per-key checks; DuckDB re-serialises JSON compactly, so no whitespace to allow for.
_CLEAN_USAGE_PATTERN = r'\{("[A-Za-z0-9_]+":[0-9]{1,8}(,"[A-Za-z0-9_]+":[0-9]{1,8})*)?\}'


@dataclass(frozen=True)
class StagedBatch:
    corrupt: list[SpooledPage]  # pages that are not valid JSON documents with a data array
    robust_pages: int  # pages that needed the element-by-element read


def prepare_session(conn: duckdb.DuckDBPyConnection) -> None:
    """Once per connection: UTC for offset-less timestamps, the parsing macros.

    Staging relies on DuckDB keeping file order (element positions, the latest copy of an id
    wins): insertion order is preserved, and the loader runs its connections on one thread
    (warehouse/loading_session.py).
    """
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set preserve_insertion_order = true")
    conn.execute(read_sql("parse/macros.sql"))


def stage_batch(
    conn: duckdb.DuckDBPyConnection, pages: list[SpooledPage], loaded_at: datetime
) -> StagedBatch:
    """Fill temp table ``batch_rows`` (typed columns + seq, raw, reject_reason) from ``pages``."""
    register_batch_pages(conn, pages)
    try:
        conn.execute(
            f"create or replace temp table batch_rows as {fast_typed_sql()}",
            [[p.path for p in pages], loaded_at],
        )
    except (duckdb.InvalidInputException, duckdb.ConversionException):
        # Some page does not fit the typed read: take each page on its own. (Anything else,
        # e.g. running out of memory, is not about the pages and fails the batch.)
        conn.execute(
            f"create or replace temp table batch_rows as {_typed_sql(_empty_source())}",
            [loaded_at],
        )
        return _stage_robustly(conn, pages, loaded_at)
    # read_json has no element position: rows are staged in file order, so the position in
    # the page is the row's offset from its page's first row (cheaper than a window function).
    conn.execute(
        "update batch_rows set element_index = batch_rows.rowid - firsts.first_row "
        "from (select seq, min(rowid) as first_row from batch_rows group by seq) as firsts "
        "where batch_rows.seq = firsts.seq"
    )
    flagged = {
        row[0]
        for row in conn.execute(
            "select distinct seq from batch_rows where reject_reason is not null"
        ).fetchall()
    }
    if flagged:
        conn.execute(
            f"update batch_rows set raw = flagged.raw from ({read_sql('parse/flagged_raw.sql')}) "
            "as flagged where batch_rows.seq = flagged.seq "
            "and batch_rows.element_index = flagged.element_index",
            [[p.path for p in pages if p.seq in flagged]],
        )
        # The typed read turns a non-object element into an all-null row; say what it was.
        conn.execute(
            "update batch_rows set reject_reason = 'observation is not a JSON object' "
            "where reject_reason is not null and coalesce(json_type(raw), 'NULL') <> 'OBJECT'"
        )
    return StagedBatch(corrupt=[], robust_pages=0)


def register_batch_pages(conn: duckdb.DuckDBPyConnection, pages: list[SpooledPage]) -> None:
    """Temp table ``batch_pages``: each page file with its position in the batch's file list
    (read_json's ``file_index``), fetch order and window."""
    conn.execute(
        "create or replace temp table batch_pages as select "
        "unnest(?::varchar[]) as filename, unnest(?::bigint[]) as file_index, "
        "unnest(?::bigint[]) as seq, "
        "unnest(?::timestamp[]) as window_from, unnest(?::timestamp[]) as window_to, "
        "unnest(?::timestamp[]) as owned_from",
        [
            [p.path for p in pages],
            list(range(len(pages))),
            [p.seq for p in pages],
            [p.window_from for p in pages],
            [p.window_to for p in pages],
            [p.owned_from for p in pages],
        ],
    )


def fast_typed_sql() -> str:
    """Typed rows of the pages listed in ``batch_pages`` (parameters: the page paths, then
    loaded_at), read in one ``read_json``; raises on a page that does not fit it."""
    return _typed_sql(_fast_source())


def _stage_robustly(
    conn: duckdb.DuckDBPyConnection, pages: list[SpooledPage], loaded_at: datetime
) -> StagedBatch:
    corrupt = []
    robust_sql = f"insert into batch_rows {_typed_sql(_robust_source())}"
    for page in pages:
        usable = _page_is_usable(conn, page)
        if not usable and restore_whole_page(page):
            # Not corrupt, maybe: a valid page that only looked sliceable (page_array.py).
            usable = _page_is_usable(conn, page)
        if not usable:
            corrupt.append(page)
            continue
        conn.execute(
            robust_sql,
            [page.path, page.seq, page.window_from, page.window_to, page.owned_from, loaded_at],
        )
    return StagedBatch(corrupt=corrupt, robust_pages=len(pages) - len(corrupt))


def _page_is_usable(conn: duckdb.DuckDBPyConnection, page: SpooledPage) -> bool:
    usable = conn.execute(read_sql("parse/page_check.sql"), [page.path]).fetchone()
    return bool(usable and usable[0])


def _typed_sql(source_sql: str) -> str:
    usage_keys = "[" + ", ".join(f"'{key}'" for key in USAGE_KEYS) + "]"
    return (
        read_sql("parse/typed_rows.sql")
        .replace("{{ source }}", source_sql)
        .replace("{{ usage_bigint_struct }}", _json_structure([(k, "BIGINT") for k in USAGE_KEYS]))
        .replace("{{ clean_usage_pattern }}", _CLEAN_USAGE_PATTERN)
        .replace("{{ usage_keys }}", usage_keys)
        .replace("{{ max_tokens }}", str(MAX_TOKENS_PER_OBSERVATION))
        .replace("{{ max_usd }}", str(MAX_USD_PER_OBSERVATION))
    )


def _fast_source() -> str:
    columns = "{" + ", ".join(f"'{name}': '{type_}'" for name, type_ in OBSERVATION_FIELDS) + "}"
    return read_sql("parse/fast_source.sql").replace("{{ observation_columns }}", columns)


def _empty_source() -> str:
    observation = ", ".join(f'null::{type_} as "{name}"' for name, type_ in OBSERVATION_FIELDS)
    return (
        "select null::bigint as seq, null::bigint as element_index, "
        "null::timestamp as window_from, null::timestamp as window_to, "
        "null::timestamp as owned_from, false as missing_observation, null::json as raw, "
        "null::varchar as shape_problem, "
        f"{observation} where false"
    )


def _robust_source() -> str:
    return read_sql("parse/robust_source.sql").replace(
        "{{ observation_structure }}", _json_structure(OBSERVATION_FIELDS)
    )


def _json_structure(fields: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    """DuckDB's ``from_json`` structure for (name, type) pairs; ``X[]`` is a list of X."""

    def shape(type_: str) -> str:
        return f'["{type_[:-2]}"]' if type_.endswith("[]") else f'"{type_}"'

    return "{" + ",".join(f'"{name}":{shape(type_)}' for name, type_ in fields) + "}"
