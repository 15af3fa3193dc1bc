"""Warehouse tables for the SQL model tests (real DuckDB files), filled row by row.

The tables come from the loader's own migrations (the ARCHITECTURE.md contract), so a schema
change reaches these tests; the rows are built here, so the models are tested without the
loader's parsing code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count

import duckdb

from cost_pipeline.warehouse.schema import ensure_schema

_ids = count(1)


@dataclass
class Generation:
    """One raw_generations row; only the fields the models read have meaningful defaults."""

    day: date
    model: str | None = "gpt-4o-mini"
    metadata: dict | str | None = None
    tags: list[str] | None = None
    user_id: str | None = "user-1"
    session_id: str | None = "session-1"
    level: str = "DEFAULT"
    uncached_input_tokens: int | None = 100
    cache_read_tokens: int | None = 0
    cache_write_tokens: int | None = 0
    cache_write_1h_tokens: int | None = 0
    visible_output_tokens: int | None = 50
    reasoning_tokens: int | None = 0
    input_audio_tokens: int | None = 0
    output_audio_tokens: int | None = 0
    reported_total_tokens: int | None = None
    derived_total_tokens: int | None = None
    usage_details: dict | None = None  # verbatim usage; the class columns above are what counts
    langfuse_total_cost: Decimal | None = None
    cost_details: dict | None = None
    id: str = field(default_factory=lambda: f"gen-{next(_ids):06d}")
    minute: int = 0
    loaded_at: datetime = datetime(2030, 1, 1)


@dataclass(frozen=True)
class Rates:
    input: Decimal
    cache_read: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal
    output: Decimal
    reasoning: Decimal
    input_audio: Decimal | None = Decimal(0)
    output_audio: Decimal | None = Decimal(0)


def create_contract_tables(con: duckdb.DuckDBPyConnection) -> None:
    """raw_generations and model_prices exactly as the loader's migrations create them."""
    ensure_schema(con)


def insert_generations(con: duckdb.DuckDBPyConnection, rows: list[Generation]) -> None:
    con.begin()  # one commit: a file-backed DuckDB commits slowly row by row
    for row in rows:
        start = datetime.combine(row.day, datetime.min.time()) + timedelta(minutes=row.minute)
        values = asdict(row)
        metadata = values.pop("metadata")
        cost_details = values.pop("cost_details")
        usage_details = values.pop("usage_details")
        values.pop("day")
        values.pop("minute")
        values |= {
            "trace_id": f"trace-{row.id}",
            "partition_date": row.day,
            "start_time": start,
            "end_time": start + timedelta(seconds=1),
            "type": "GENERATION",
            "name": "llm-call",
            "environment": "default",
            "metadata": None if metadata is None else json.dumps(metadata),
            "cost_details": None if cost_details is None else json.dumps(cost_details),
            "usage_details": None if usage_details is None else json.dumps(usage_details),
        }
        names = ", ".join(values)
        placeholders = ", ".join(f"${name}" for name in values)
        con.execute(f"insert into raw_generations ({names}) values ({placeholders})", values)
    con.commit()


def insert_rates(
    con: duckdb.DuckDBPyConnection,
    model: str,
    rates: Rates,
    days: tuple[date, date] = (date(2020, 1, 1), date(2031, 1, 1)),
) -> None:
    """The same rates for ``model`` on the days from ``days[0]`` up to ``days[1]`` (by default
    every day the tests use), as rows not written by genai-prices (which the pricing step leaves
    alone). A test run per example passes only its own days: the staging view reads every price
    row, ~45 us each, so 4,018 days of them cost ~0.2 s per example."""
    con.execute(
        "insert or replace into model_prices by name "
        "select ? as model, day::date as partition_date, day as valid_from, "
        "day + interval 1 day as valid_to, 0 as input_tokens_from, 'test' as provider_id, "
        "? as priced_model_id, "
        "? as input_per_token, ? as cache_read_per_token, ? as cache_write_per_token, "
        "? as cache_write_1h_per_token, ? as output_per_token, ? as reasoning_per_token, "
        "? as input_audio_per_token, ? as output_audio_per_token, false as tiered, "
        "'test' as priced_by, now()::timestamp as updated_at "
        "from range(?::timestamp, ?::timestamp, interval 1 day) as t(day)",
        [
            model,
            model,
            rates.input,
            rates.cache_read,
            rates.cache_write,
            rates.cache_write_1h,
            rates.output,
            rates.reasoning,
            rates.input_audio,
            rates.output_audio,
            *days,
        ],
    )
