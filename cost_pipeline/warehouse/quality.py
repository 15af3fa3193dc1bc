"""Odd but usable input a load kept, counted so it is visible instead of silently absorbed.

Rows that cannot be used are rejected with a reason (see parse); these rows were loaded, but a
user reading the spend should know about them: generations without usage and generations whose
usage holds tokens under keys no token class reads (both unpriced unless Langfuse sent a cost),
models genai-prices does not know (unpriced unless Langfuse sent a cost), metadata that is
not an object (no feature/team can be read from it), extra copies of an id the API returned, and
feature/team names holding control characters or a leading spreadsheet-formula character (kept
verbatim; the CSV export neutralises the latter).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

import duckdb

from cost_pipeline.settings import AttributionKeys
from cost_pipeline.warehouse.loading_session import at_least_threads
from cost_pipeline.warehouse.parse import USAGE_KEYS

# The figures are one scan of the load's rows, run when nothing else is: two DuckDB threads halve
# its wall for ~10% more CPU (0.55 -> 0.31 s over 1M rows, +0.05 CPU-s; bench.quality_threads,
# BENCHMARKS.md, seventh session).
FIGURES_THREADS = 2

# A row's token classes, summed (rows loaded before the audio columns hold null there).
_CLASS_SUM = (
    "(coalesce(uncached_input_tokens, 0) + coalesce(cache_read_tokens, 0) "
    "+ coalesce(cache_write_tokens, 0) + coalesce(input_audio_tokens, 0) "
    "+ coalesce(visible_output_tokens, 0) + coalesce(reasoning_tokens, 0) "
    "+ coalesce(output_audio_tokens, 0))"
)

# One pass over the load's rows, reading each metadata document once. Stored metadata is JSON as
# DuckDB writes it (no leading whitespace), so an object is exactly a value starting with "{"
# (3x cheaper than json_type, which parses the document again).
_QUALITY_SQL = """
with loaded as (
    select
        -- No token count above 0 in any class: null, {}, all-zero or only unknown keys.
        {{ class_sum }} = 0 as without_usage,
        -- The total holds tokens no class holds (keys the loader does not know).
        coalesce(reported_total_tokens, derived_total_tokens) <> {{ class_sum }}
            as unclassified,
        metadata,
        model,
        list_concat(
            json_extract_string(metadata, [$feature_pointer, $team_pointer]), coalesce(tags, [])
        ) as names
    from raw_generations
    where partition_date = $day and loaded_at >= $since
),

known as (
    select model from model_prices
)

select
    count(*) as rows_written,
    count(*) filter (where without_usage) as rows_without_usage,
    count(*) filter (where unclassified) as rows_unclassified_usage,
    count(*) filter (
        where metadata is null or not starts_with(metadata::varchar, '{')
    ) as rows_metadata_not_object,
    count(*) filter (
        where model is null or model not in (select model from known)
    ) as rows_unknown_model,
    count(*) filter (
        where list_bool_or(list_transform(names, lambda name: regexp_matches(name, $unusual_name)))
    ) as rows_unusual_names,
    list_sort(list(distinct model) filter (
        where model is not null and model not in (select model from known)
    ))[1:5] as unknown_models
from loaded
""".replace("{{ class_sum }}", _CLASS_SUM)
# A control character anywhere, or a first character a spreadsheet would run as a formula.
_UNUSUAL_NAME = r"[\x00-\x1f\x7f]|^[=+\-@]"

# The usage keys no token class reads, in the rows whose classes do not add up to their total
# (few rows: this runs only when there are some).
_UNCLASSIFIED_KEYS_SQL = """
with unclassified as (
    select rowid as row_id, usage_details
    from raw_generations
    where partition_date = $day and loaded_at >= $since
        and coalesce(reported_total_tokens, derived_total_tokens) <> {{ class_sum }}
),

usage_keys as (
    select row_id, unnest(json_keys(usage_details)) as usage_key
    from unclassified
    where json_type(usage_details) = 'OBJECT'
)

select usage_key, count(distinct row_id) as generations
from usage_keys
where not list_contains($known_keys, usage_key)
group by usage_key
order by generations desc, usage_key
limit 10
""".replace("{{ class_sum }}", _CLASS_SUM)


@dataclass(frozen=True)
class InputQuality:
    rows_without_usage: int = 0
    rows_unclassified_usage: int = 0
    rows_metadata_not_object: int = 0
    rows_unknown_model: int = 0
    rows_unusual_names: int = 0
    rows_duplicate: int = 0  # copies of an id beyond the first, over the whole load
    unknown_models: tuple[str, ...] = ()
    # (usage key no class reads, generations holding it), most frequent first
    unclassified_usage_keys: tuple[tuple[str, int], ...] = ()

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name.startswith("rows_")}


def input_quality(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    since: datetime,
    keys: AttributionKeys,
    rows_accepted: int,
    threads: int = FIGURES_THREADS,
) -> InputQuality:
    """Figures over the rows of ``day`` written since ``since`` (this load).

    ``rows_accepted`` counts every usable row this load received (copies included); each id
    written appears once, so the difference is the number of extra copies.
    """
    params = {
        "day": day,
        "since": since,
        "feature_pointer": _pointer(keys.feature),
        "team_pointer": _pointer(keys.team),
        "unusual_name": _UNUSUAL_NAME,
    }
    with at_least_threads(conn, threads):
        row = conn.execute(_QUALITY_SQL, params).fetchone()
    written, without_usage, unclassified, not_object, unknown, unusual, models = row
    unclassified_keys = []
    if unclassified:
        unclassified_keys = conn.execute(
            _UNCLASSIFIED_KEYS_SQL, {"day": day, "since": since, "known_keys": list(USAGE_KEYS)}
        ).fetchall()
    return InputQuality(
        rows_without_usage=without_usage,
        rows_unclassified_usage=unclassified,
        unclassified_usage_keys=tuple((key, count) for key, count in unclassified_keys),
        rows_metadata_not_object=not_object,
        rows_unknown_model=unknown,
        rows_unusual_names=unusual,
        rows_duplicate=max(0, rows_accepted - written),
        unknown_models=tuple(models or ()),
    )


def describe(quality: InputQuality) -> list[str]:
    """One log line per kind of odd input found (none when the input was clean)."""
    lines = []
    if quality.rows_duplicate:
        lines.append(
            f"{quality.rows_duplicate} extra copies of ids the API returned more than once "
            "(each id is stored once, the latest copy wins)"
        )
    if quality.rows_without_usage:
        lines.append(
            f"{quality.rows_without_usage} generation(s) without usage details (usageDetails "
            "null, {} or no token count above 0): their cost is unknown unless Langfuse reported "
            "a non-zero one, so they count in unpriced_calls (unpriced_reason 'no usage' in "
            "stg_generations). Failed calls (level ERROR) are among them; for the others, record "
            "the provider's usage on the generation (OpenAI streams report it only with "
            "stream_options={'include_usage': True}, which cost_pipeline.llm.instrument sets)"
        )
    if quality.rows_unclassified_usage:
        keys = ", ".join(f"{key!r} in {n}" for key, n in quality.unclassified_usage_keys)
        lines.append(
            f"{quality.rows_unclassified_usage} generation(s) whose usage the loader cannot "
            "classify: their token classes do not add up to usageDetails.total ("
            + (
                f"keys no class reads: {keys}"
                if keys
                else "no unknown key: the known keys do not match the total"
            )
            + "), so their tokens are undercounted and, without a Langfuse cost, they count in "
            "unpriced_calls (unpriced_reason 'unclassified usage' in stg_generations). Record "
            "usage under Langfuse's usage keys (input, input_cached_tokens, "
            "input_cache_creation, output, output_reasoning_tokens, input_audio_tokens, "
            "output_audio_tokens, total), or have the loader learn the key "
            "(cost_pipeline/warehouse/parse.py USAGE_KEYS)"
        )
    if quality.rows_unknown_model:
        models = ", ".join(repr(model) for model in quality.unknown_models) or "no model name"
        lines.append(
            f"{quality.rows_unknown_model} generation(s) with a model genai-prices does not know "
            f"({models}); they are unpriced unless Langfuse reported a cost"
        )
    if quality.rows_metadata_not_object:
        lines.append(
            f"{quality.rows_metadata_not_object} generation(s) whose metadata is not a JSON "
            "object (kept; feature/team can only come from tags)"
        )
    if quality.rows_unusual_names:
        lines.append(
            f"{quality.rows_unusual_names} generation(s) with a feature/team name or tag holding "
            "a control character or starting like a spreadsheet formula (kept verbatim; CSV "
            "exports prefix formula-like cells with ')"
        )
    return lines


def _pointer(key: str) -> str:
    # RFC 6901: the key is data, bound as a parameter, never spliced into the SQL.
    return "/" + key.replace("~", "~0").replace("/", "~1")
