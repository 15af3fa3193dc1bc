"""A generation whose cost the usage cannot tell is unpriced, so the README's completeness rule
(a day's cost_usd is complete only when unpriced_calls is 0) catches it: no usage at all (null,
{} or all zero), usage with tokens no class reads, audio on a model priced without audio rates.
Audio tokens are priced at their own rates."""

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from cost_pipeline_tests.sql.model_runner import run_models
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    Rates,
    create_contract_tables,
    insert_generations,
    insert_rates,
)

DAY = date(2026, 6, 11)
TEXT = Decimal("0.000001")
AUDIO_IN = Decimal("0.00004")
AUDIO_OUT = Decimal("0.00008")
NO_TOKENS = {
    "uncached_input_tokens": 0,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "cache_write_1h_tokens": 0,
    "visible_output_tokens": 0,
    "reasoning_tokens": 0,
}
CASES = {
    # name: (generation fields, cost_source, unpriced_reason, cost_usd)
    "no-usage": (NO_TOKENS, "unpriced", "no usage", None),
    "null-usage": ({name: None for name in NO_TOKENS}, "unpriced", "no usage", None),
    # Langfuse's total for zero usage is a price times nothing, not a cost.
    "zero-usage-zero-langfuse": (
        {**NO_TOKENS, "reported_total_tokens": 0, "langfuse_total_cost": Decimal(0),
         "cost_details": {"input": 0, "output": 0, "total": 0}},
        "unpriced", "no usage", None,
    ),
    "zero-usage-langfuse-cost": (
        {**NO_TOKENS, "langfuse_total_cost": Decimal("0.02"), "cost_details": {"total": 0.02}},
        "langfuse", None, Decimal("0.02"),
    ),
    # The classes (100 input + 50 output) against the total: tokens under unknown keys ...
    "unknown-keys": (
        {"reported_total_tokens": 200}, "unpriced", "unclassified usage", None,
    ),
    "unknown-keys-no-total": (
        {"derived_total_tokens": 190}, "unpriced", "unclassified usage", None,
    ),
    # ... or classes holding more than the total (two keys counted in one class).
    "classes-over-total": (
        {"reported_total_tokens": 100}, "unpriced", "unclassified usage", None,
    ),
    "unknown-keys-langfuse-cost": (
        {"reported_total_tokens": 200, "langfuse_total_cost": Decimal("0.5"),
         "cost_details": {"total": 0.5}},
        "langfuse", None, Decimal("0.5"),
    ),
    # Loaded before the audio columns existed: its audio is in the total, in no class.
    "old-row-with-audio": (
        {"input_audio_tokens": None, "output_audio_tokens": None, "reported_total_tokens": 3150},
        "unpriced", "unclassified usage", None,
    ),
    "total-matches": ({"reported_total_tokens": 150}, "genai_prices", None, 150 * TEXT),
    "audio": (
        {"input_audio_tokens": 1500, "output_audio_tokens": 800, "reported_total_tokens": 2450},
        "genai_prices", None, 150 * TEXT + 1500 * AUDIO_IN + 800 * AUDIO_OUT,
    ),
    "audio-model-without-audio-rates": (
        {"model": "stale-rates", "input_audio_tokens": 10},
        "unpriced", "no price", None,
    ),
    "text-model-without-audio-rates": ({"model": "stale-rates"}, "genai_prices", None, 150 * TEXT),
    # Langfuse priced only the keys its price names: reasoning left out, so its cost may be
    # partial. Flagged and kept (a client's own discounted cost looks the same).
    "partial-langfuse-cost": (
        {"reasoning_tokens": 30, "langfuse_total_cost": 150 * TEXT,
         "cost_details": {"input": 0.0001, "output": 0.00005, "total": 0.00015}},
        "langfuse", None, 150 * TEXT,
    ),
    # Not below genai-prices' price: Langfuse's (a price of the project's own, say) stands.
    "langfuse-cost-missing-a-key-but-higher": (
        {"reasoning_tokens": 30, "langfuse_total_cost": Decimal("0.5"),
         "cost_details": {"input": 0.1, "output": 0.4, "total": 0.5}},
        "langfuse", None, Decimal("0.5"),
    ),
    "partial-langfuse-cost-no-rates": (
        {"model": "no-rates", "input_audio_tokens": 10, "langfuse_total_cost": Decimal("0.4"),
         "cost_details": {"input_audio_tokens": 0.1, "output": 0.3, "total": 0.4}},
        "langfuse", None, Decimal("0.4"),
    ),
    # Every class with tokens has a key, under any of the names that price it.
    "langfuse-cost-raw-keys": (
        {"langfuse_total_cost": Decimal("0.5"),
         "cost_details": {"input_tokens": 0.1, "output_tokens": 0.4, "total": 0.5}},
        "langfuse", None, Decimal("0.5"),
    ),
    "langfuse-cost-by-class": (
        {"cache_write_tokens": 40, "cache_write_1h_tokens": 10, "reasoning_tokens": 5,
         "langfuse_total_cost": Decimal("0.7"),
         "cost_details": {"input": 0.1, "input_cache_creation": 0.2, "output": 0.3,
                          "output_reasoning_tokens": 0.1, "total": 0.7}},
        "langfuse", None, Decimal("0.7"),
    ),
    # A bare total says nothing about which classes it covers: taken as Langfuse's.
    "langfuse-cost-total-only": (
        {"reasoning_tokens": 30, "langfuse_total_cost": Decimal("0.3"),
         "cost_details": {"total": 0.3}},
        "langfuse", None, Decimal("0.3"),
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    create_contract_tables(connection)
    insert_rates(connection, "m", Rates(*[TEXT] * 6, input_audio=AUDIO_IN, output_audio=AUDIO_OUT))
    # Rates written without audio ones (not by genai-prices).
    insert_rates(connection, "stale-rates", Rates(*[TEXT] * 6, input_audio=None, output_audio=None))
    rows = [
        Generation(DAY, **{"model": "m", **fields}, metadata={"feature": name, "team": "t"})
        for name, (fields, *_) in CASES.items()
    ]
    insert_generations(connection, rows)
    run_models(connection, DAY)
    yield connection
    connection.close()


def test_cost_source_and_reason_of_each_case(con):
    got = {
        feature: (source, reason, cost)
        for feature, source, reason, cost in con.execute(
            "select feature, cost_source, unpriced_reason, cost_usd from stg_generations"
        ).fetchall()
    }
    assert got == {name: tuple(case[1:]) for name, case in CASES.items()}


def test_a_partial_langfuse_cost_is_flagged_and_kept_beside_the_cost_used(con):
    rows = con.execute(
        "select feature, langfuse_cost_partial, langfuse_cost_usd from stg_generations"
    ).fetchall()
    partial = {feature: cost for feature, flagged, cost in rows if flagged}
    assert partial == {
        "partial-langfuse-cost": 150 * TEXT,
        "partial-langfuse-cost-no-rates": Decimal("0.4"),
    }


def test_the_mart_counts_them_as_unpriced_and_by_kind(con):
    rows = con.execute(
        "select feature, calls, unpriced_calls, calls_without_usage, "
        "calls_with_unclassified_usage, input_tokens, output_tokens, total_tokens, "
        "input_audio_tokens, output_audio_tokens from spend_by_feature_team"
    ).fetchall()
    mart = {row[0]: row[1:] for row in rows}
    unpriced = {name for name, case in CASES.items() if case[1] == "unpriced"}
    assert {name for name, row in mart.items() if row[1]} == unpriced
    assert {name for name, row in mart.items() if row[2]} == {
        "no-usage",
        "null-usage",
        "zero-usage-zero-langfuse",
        "zero-usage-langfuse-cost",
    }
    assert {name for name, row in mart.items() if row[3]} == {
        "unknown-keys",
        "unknown-keys-no-total",
        "classes-over-total",
        "unknown-keys-langfuse-cost",
        "old-row-with-audio",
    }
    # Audio counts in input and output tokens.
    assert mart["audio"][4:] == (1600, 850, 2450, 1500, 800)


# How a generation's usage arrived -> genai-prices' price of it. Without a token count above 0
# the price is unknown (null), not 0: a generation recorded without usage is not free. Zero
# tokens reported are no usage too, as for cost_usd and the mart's calls_without_usage.
NO_USAGE_CASES = {
    "usage-null": ({}, None),
    "usage-empty": ({"usage_details": {}}, None),
    "usage-counts-null": ({"usage_details": {"input": None, "output": None}}, None),
    "usage-zero-no-total": ({"usage_details": {"input": 0, "output": 0}}, None),
    "usage-zero-total": (
        {"usage_details": {"input": 0, "output": 0, "total": 0}, "reported_total_tokens": 0},
        None,
    ),
    "usage-only-total-zero": (
        {"usage_details": {"total": 0}, "reported_total_tokens": 0}, None,
    ),
    "usage-some": (
        {"uncached_input_tokens": 100, "visible_output_tokens": 50,
         "usage_details": {"input": 100, "output": 50}},
        150 * TEXT,
    ),
}  # fmt: skip


def test_genai_prices_cost_is_null_for_a_generation_without_usage(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        create_contract_tables(connection)
        insert_rates(connection, "m", Rates(*[TEXT] * 6))
        rows = [
            # As the loader stores them: class counts 0 whatever the usage held.
            Generation(DAY, **{"model": "m", **NO_TOKENS, **fields}, metadata={"feature": name})
            for name, (fields, _) in NO_USAGE_CASES.items()
        ]
        insert_generations(connection, rows)
        run_models(connection, DAY)
        got = dict(
            connection.execute(
                "select feature, genai_prices_cost_usd from stg_generations"
            ).fetchall()
        )
        mart = connection.execute(
            "select sum(calls), sum(unpriced_calls), sum(cost_usd), sum(genai_prices_cost_usd) "
            "from spend_by_feature_team"
        ).fetchone()
    assert got == {name: cost for name, (_, cost) in NO_USAGE_CASES.items()}
    # The mart counts every call without usage as unpriced, whatever genai-prices says.
    assert mart == (len(NO_USAGE_CASES), len(NO_USAGE_CASES) - 1, 150 * TEXT, 150 * TEXT)
