"""What a model run reports to Dagster, computed from the staged rows inside the write.

Numbers are plain ints/floats so the Dagster UI plots them across partitions.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from cost_pipeline.sql.params import quote_identifier
from cost_pipeline.sql.preview import markdown_table

# Totals reported when the model has these columns.
SUMMED_COLUMNS = ("calls", "unpriced_calls", "total_tokens", "cost_usd")
# Preferred preview columns; a model without them previews its first columns instead.
PREVIEW_COLUMNS = ("date", "feature", "team", "calls", "total_tokens", "cost_usd", "unpriced_calls")
PREVIEW_ROWS = 10


def summarize_stage(
    con: duckdb.DuckDBPyConnection, stage: str, *, with_preview: bool
) -> dict[str, Any]:
    relation = quote_identifier(stage)
    columns = [row[0] for row in con.execute(f"describe {relation}").fetchall()]
    metadata: dict[str, Any] = {}
    summed = [name for name in SUMMED_COLUMNS if name in columns]
    if summed:
        select = ", ".join(f"coalesce(sum({quote_identifier(n)}), 0)::double" for n in summed)
        totals = con.execute(f"select {select} from {relation}").fetchone()
        for name, total in zip(summed, totals, strict=True):
            value = float(total)
            metadata[f"total_{name}"] = value if name == "cost_usd" else int(value)
    if with_preview:
        metadata["preview"] = dg.MetadataValue.md(_preview(con, relation, columns))
    return metadata


def _preview(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> str:
    shown = [name for name in PREVIEW_COLUMNS if name in columns]
    if len(shown) < 2:
        shown = columns[:8]
    order = "cost_usd desc nulls last" if "cost_usd" in columns else "1"
    select = ", ".join(quote_identifier(name) for name in shown)
    rows = con.execute(f"select {select} from {relation} order by {order} limit {PREVIEW_ROWS}")
    return markdown_table(shown, rows.fetchall())
