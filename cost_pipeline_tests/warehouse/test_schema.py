from decimal import Decimal

import duckdb

from cost_pipeline.warehouse.prices import priced_by
from cost_pipeline.warehouse.schema import ensure_schema, migration_files
from cost_pipeline_tests.price_history import model_with_input_tiers
from cost_pipeline_tests.warehouse.older_schema import apply_first_migrations

# The raw_generations contract of ARCHITECTURE.md, column by column.
RAW_GENERATIONS = {
    "id": "VARCHAR",
    "trace_id": "VARCHAR",
    "parent_observation_id": "VARCHAR",
    "partition_date": "DATE",
    "start_time": "TIMESTAMP",
    "end_time": "TIMESTAMP",
    "completion_start_time": "TIMESTAMP",
    "updated_at": "TIMESTAMP",
    "type": "VARCHAR",
    "name": "VARCHAR",
    "level": "VARCHAR",
    "status_message": "VARCHAR",
    "version": "VARCHAR",
    "environment": "VARCHAR",
    "user_id": "VARCHAR",
    "session_id": "VARCHAR",
    "trace_name": "VARCHAR",
    "release": "VARCHAR",
    "tags": "VARCHAR[]",
    "model": "VARCHAR",
    "model_id": "VARCHAR",
    "uncached_input_tokens": "BIGINT",
    "cache_read_tokens": "BIGINT",
    "cache_write_tokens": "BIGINT",
    "cache_write_1h_tokens": "BIGINT",
    "visible_output_tokens": "BIGINT",
    "reasoning_tokens": "BIGINT",
    "reported_total_tokens": "BIGINT",
    "input_audio_tokens": "BIGINT",
    "output_audio_tokens": "BIGINT",
    "derived_total_tokens": "BIGINT",
    "langfuse_total_cost": "DECIMAL(38,12)",
    "langfuse_input_cost": "DECIMAL(38,12)",
    "langfuse_output_cost": "DECIMAL(38,12)",
    "latency_s": "DOUBLE",
    "time_to_first_token_s": "DOUBLE",
    "usage_details": "JSON",
    "cost_details": "JSON",
    "metadata": "JSON",
    "loaded_at": "TIMESTAMP",
}

MODEL_PRICES = {
    "model": "VARCHAR",
    "partition_date": "DATE",
    "valid_from": "TIMESTAMP",
    "valid_to": "TIMESTAMP",
    "input_tokens_from": "BIGINT",
    "input_tokens_to": "BIGINT",
    "provider_id": "VARCHAR",
    "priced_model_id": "VARCHAR",
    "input_per_token": "DECIMAL(38,18)",
    "cache_read_per_token": "DECIMAL(38,18)",
    "cache_write_per_token": "DECIMAL(38,18)",
    "cache_write_1h_per_token": "DECIMAL(38,18)",
    "output_per_token": "DECIMAL(38,18)",
    "reasoning_per_token": "DECIMAL(38,18)",
    "input_audio_per_token": "DECIMAL(38,18)",
    "output_audio_per_token": "DECIMAL(38,18)",
    "tiered": "BOOLEAN",
    "priced_by": "VARCHAR",
    "updated_at": "TIMESTAMP",
}


def columns(conn, table):
    return dict(conn.execute(f"select column_name, column_type from (describe {table})").fetchall())


def test_tables_match_the_contract(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(conn)
    assert columns(conn, "raw_generations") == RAW_GENERATIONS
    assert columns(conn, "model_prices") == MODEL_PRICES
    primary_keys = conn.execute(
        "select table_name, constraint_column_names from duckdb_constraints() "
        "where constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    # raw_generations keeps ids unique by its upsert, not by an index (migration 002).
    assert "raw_generations" not in {table for table, _ in primary_keys}
    assert (
        "model_prices",
        ["model", "partition_date", "valid_from", "input_tokens_from"],
    ) in primary_keys
    not_null = conn.execute(
        "select constraint_column_names from duckdb_constraints() "
        "where table_name = 'raw_generations' and constraint_type = 'NOT NULL'"
    ).fetchall()
    assert (["id"],) in not_null


def test_migrations_apply_once(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        assert ensure_schema(conn) == [version for version, _ in migration_files()]
        conn.execute(
            "insert into raw_generations (id, partition_date, start_time, loaded_at) "
            "values ('x', '2026-11-20', '2026-11-20 01:00', '2026-11-21')"
        )
    with duckdb.connect(path) as conn:
        assert ensure_schema(conn) == []
        assert conn.execute("select count(*) from raw_generations").fetchone() == (1,)


def test_dropping_the_primary_key_keeps_every_row(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        apply_first_migrations(conn, 1)
        conn.execute(
            "insert into raw_generations (id, partition_date, start_time, tags, metadata, "
            "loaded_at) values ('kept', '2026-11-20', '2026-11-20 01:00', ['a'], "
            "'{\"feature\": \"x\"}', '2026-11-21')"
        )
        assert ensure_schema(conn) == [version for version, _ in migration_files()][1:]
        assert columns(conn, "raw_generations") == RAW_GENERATIONS
        assert conn.execute("select id, tags, metadata from raw_generations").fetchall() == [
            ("kept", ["a"], '{"feature": "x"}')
        ]


def test_rates_of_one_price_per_model_are_dropped_for_rates_per_day(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        apply_first_migrations(conn, 4)
        conn.execute(
            "insert into model_prices (model, input_per_token, priced_by) "
            "values ('gpt-4o', 0.0000025, 'genai-prices 0.2.3')"
        )
        conn.execute(
            "insert into raw_generations (id, partition_date, start_time, model, loaded_at) "
            "values ('g1', '2026-11-20', '2026-11-20 01:00', 'gpt-4o', '2026-11-21'), "
            "('g2', '2026-11-22', '2026-11-22 01:00', 'gpt-4o', '2026-11-23')"
        )
        assert ensure_schema(conn) == [version for version, _ in migration_files()[4:]]
        assert columns(conn, "model_prices") == MODEL_PRICES
        # Today's rate, once for every day, gives way to each stored day's own rates at once,
        # so no day reads as unpriced until its models are rebuilt.
        assert conn.execute(
            "select model, partition_date::varchar, priced_by from model_prices order by all"
        ).fetchall() == [
            ("gpt-4o", "2026-11-20", priced_by()),
            ("gpt-4o", "2026-11-22", priced_by()),
        ]


def test_rates_of_tiered_models_are_priced_again_by_tier_of_input_size(tmp_path):
    model, threshold = model_with_input_tiers()
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        apply_first_migrations(conn, 6)
        # Before: one row per period, the base tier's rates, applied to every input size.
        conn.execute(
            "insert into model_prices (model, partition_date, valid_from, valid_to, "
            "input_per_token, tiered, priced_by) values "
            "(?, '2026-11-20', '2026-11-20', '2026-11-21', 0.000003, true, 'genai-prices 0.2.3'), "
            "('my-model', '2026-11-20', '2026-11-20', '2026-11-21', 0.000001, false, 'mine')",
            [model],
        )
        conn.execute(
            "insert into raw_generations (id, partition_date, start_time, model, loaded_at) "
            "values ('g1', '2026-11-20', '2026-11-20 01:00', ?, '2026-11-21')",
            [model],
        )
        assert ensure_schema(conn) == [version for version, _ in migration_files()[6:]]
        assert columns(conn, "model_prices") == MODEL_PRICES
        rows = conn.execute(
            "select model, input_tokens_from, input_tokens_to, input_per_token, priced_by "
            "from model_prices order by all"
        ).fetchall()
    # Rates someone else wrote hold for every input size; the tiered model's day is priced
    # again at once, a row per tier.
    assert ("my-model", 0, None, Decimal("0.000001"), "mine") in rows
    tiers = [row for row in rows if row[0] == model]
    assert [row[1:3] for row in tiers[:2]] == [(0, threshold + 1), (threshold + 1, tiers[1][2])]
    assert {row[4] for row in tiers} == {priced_by()}
    assert tiers[1][3] > tiers[0][3]
