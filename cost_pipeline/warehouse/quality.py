"""Odd but usable input a load kept, counted so it is visible instead of silently absorbed.

Rows that cannot be used are rejected with a reason (see parse); these rows were loaded, but a
user reading the spend should know about them: generations without usage (they cost nothing
here), models genai-prices does not know (unpriced unless Langfuse sent a cost), metadata that is
not an object (no feature/team can be read from it), extra copies of an id the API returned, and
feature/team names holding control characters or a leading spreadsheet-formula character (kept
verbatim; the CSV export neutralises the latter).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

import duckdb

from cost_pipeline.settings import AttributionKeys

# One pass over the load's rows, reading each metadata document once. Stored metadata is JSON as
# DuckDB writes it (no leading whitespace), so an object is exactly a value starting with "{"
# (3x cheaper than json_type, which parses the document again).
_QUALITY_SQL = """
with loaded as (
    select
        usage_details,
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
    count(*) filter (where usage_details is null) as rows_without_usage,
    count(*) filter (
        where metadata is null or not starts_with(metadata::varchar, '{')
    ) as rows_metadata_not_object,
    count(*) filter (
        where model is null or model not in (select model from known)
    ) as rows_unknown_model,
    count(*) filter (
        where list_bool_or(list_transform(names, name -> regexp_matches(name, $unusual_name)))
    ) as rows_unusual_names,
    list_sort(list(distinct model) filter (
        where model is not null and model not in (select model from known)
    ))[1:5] as unknown_models
from loaded
"""
# A control character anywhere, or a first character a spreadsheet would run as a formula.
_UNUSUAL_NAME = r"[\x00-\x1f\x7f]|^[=+\-@]"


@dataclass(frozen=True)
class InputQuality:
    rows_without_usage: int = 0
    rows_metadata_not_object: int = 0
    rows_unknown_model: int = 0
    rows_unusual_names: int = 0
    rows_duplicate: int = 0  # copies of an id beyond the first, over the whole load
    unknown_models: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name.startswith("rows_")}


def input_quality(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    since: datetime,
    keys: AttributionKeys,
    rows_accepted: int,
) -> InputQuality:
    """Figures over the rows of ``day`` written since ``since`` (this load).

    ``rows_accepted`` counts every usable row this load received (copies included); each id
    written appears once, so the difference is the number of extra copies.
    """
    row = conn.execute(
        _QUALITY_SQL,
        {
            "day": day,
            "since": since,
            "feature_pointer": _pointer(keys.feature),
            "team_pointer": _pointer(keys.team),
            "unusual_name": _UNUSUAL_NAME,
        },
    ).fetchone()
    written, without_usage, not_object, unknown, unusual, models = row
    return InputQuality(
        rows_without_usage=without_usage,
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
            f"{quality.rows_without_usage} generation(s) without usage details "
            "(kept; their tokens count as 0)"
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
