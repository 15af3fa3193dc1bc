"""spend_by_feature_team totals equal totals computed independently in Python from the raw rows.

A seeded random day mixes every case the models handle: attribution from metadata, from tags,
both (metadata wins) or neither ('unattributed'); Langfuse cost present, absent, or zero without
an explicit total; priced, unknown and missing models; cache reads, 5m/1h cache writes, reasoning;
usage missing; errors; and neighbouring days that must not leak in.
"""

import random
from collections import defaultdict
from datetime import date, timedelta
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

DAY = date(2026, 6, 10)
RATES = {
    "gpt-test": Rates(
        input=Decimal("0.00000015"),
        cache_read=Decimal("0.000000075"),
        cache_write=Decimal("0"),
        cache_write_1h=Decimal("0"),
        output=Decimal("0.0000006"),
        reasoning=Decimal("0.0000006"),
    ),
    "claude-test": Rates(
        input=Decimal("0.000003"),
        cache_read=Decimal("0.0000003"),
        cache_write=Decimal("0.00000375"),
        cache_write_1h=Decimal("0.000006"),
        output=Decimal("0.000015"),
        reasoning=Decimal("0.000015"),
    ),
}
MODELS = ["gpt-test", "claude-test", "unknown-model", None]


def random_generation(rng: random.Random, day: date) -> Generation:
    def maybe(value):
        return value if rng.random() < 0.6 else None

    feature = rng.choice(["search", "chat", "=cmd", " ", " \t\n", "search\n", "\u200b", "\u3000x"])
    team = rng.choice(["growth", "core", "\u00a0"])
    metadata = {k: v for k, v in {"feature": maybe(feature), "team": maybe(team)}.items() if v}
    team_tag = rng.choice(["ops", "", "\r"])
    tags = [f"feature:{maybe('tagged') or ''}", f"team:{team_tag}", "env:x"]
    has_usage = rng.random() < 0.9
    write = rng.randint(0, 500)
    cost_kind = rng.choice(["none", "none", "value", "zero-no-total", "zero-total"])
    return Generation(
        day,
        model=rng.choice(MODELS),
        metadata=rng.choice([metadata, metadata, None, "not-an-object"]),
        tags=rng.choice([tags, tags, None, []]),
        user_id=rng.choice(["u1", "u2", "u3", "", " ", "\ufeff", None]),
        session_id=rng.choice(["s1", "s2", None]),
        level=rng.choice(["DEFAULT", "DEFAULT", "ERROR"]),
        uncached_input_tokens=rng.randint(0, 5000) if has_usage else None,
        cache_read_tokens=rng.randint(0, 3000) if has_usage else None,
        cache_write_tokens=write if has_usage else None,
        cache_write_1h_tokens=rng.randint(0, write) if has_usage else None,
        visible_output_tokens=rng.randint(0, 800) if has_usage else None,
        reasoning_tokens=rng.randint(0, 400) if has_usage else None,
        langfuse_total_cost={"value": Decimal(rng.randint(1, 10**6)) / 10**9}.get(
            cost_kind, Decimal(0) if cost_kind.startswith("zero") else None
        ),
        cost_details={"total": 0}
        if cost_kind == "zero-total"
        else ({} if cost_kind != "none" else None),
        minute=rng.randint(0, 1439),
    )


def blank_stripped(value: str) -> str:
    # Whitespace as Python knows it, and the zero-width space and BOM, which show as nothing.
    return value.strip().strip("\u200b\ufeff").strip()


def expected_attribution(g: Generation, key: str) -> str:
    if isinstance(g.metadata, dict) and blank_stripped(str(g.metadata.get(key) or "")):
        return blank_stripped(g.metadata[key])
    tagged = sorted(
        blank_stripped(t[len(key) + 1 :]) for t in g.tags or [] if t.startswith(f"{key}:")
    )
    tagged = [t for t in tagged if t]
    return tagged[0] if tagged else "unattributed"


def expected_cost(g: Generation) -> tuple[Decimal | None, str]:
    classes = (
        g.uncached_input_tokens,
        g.cache_read_tokens,
        g.cache_write_tokens,
        g.visible_output_tokens,
        g.reasoning_tokens,
    )
    has_usage = sum(x or 0 for x in classes) > 0
    lf = g.langfuse_total_cost
    # A zero Langfuse total is a cost only for real usage; without usage the cost is unknown.
    if lf is not None and (lf != 0 or ("total" in (g.cost_details or {}) and has_usage)):
        return lf, "langfuse"
    rates = RATES.get(g.model)
    if rates is None or not has_usage:
        return None, "unpriced"
    write_1h = g.cache_write_1h_tokens or 0
    cost = (
        (g.uncached_input_tokens or 0) * rates.input
        + (g.cache_read_tokens or 0) * rates.cache_read
        + ((g.cache_write_tokens or 0) - write_1h) * rates.cache_write
        + write_1h * rates.cache_write_1h
        + (g.visible_output_tokens or 0) * rates.output
        + (g.reasoning_tokens or 0) * rates.reasoning
    )
    return cost, "genai_prices"


def expected_mart(rows: list[Generation]) -> dict[tuple[str, str], dict]:
    groups: dict[tuple[str, str], dict] = defaultdict(
        lambda: defaultdict(int) | {"users": set(), "cost_usd": Decimal(0)}
    )
    for g in rows:
        group = groups[(expected_attribution(g, "feature"), expected_attribution(g, "team"))]
        cost, source = expected_cost(g)
        group["calls"] += 1
        group["unpriced_calls"] += source == "unpriced"
        group["error_calls"] += g.level == "ERROR"
        group["cost_usd"] += cost or 0
        inputs = sum(
            x or 0 for x in (g.uncached_input_tokens, g.cache_read_tokens, g.cache_write_tokens)
        )
        outputs = (g.visible_output_tokens or 0) + (g.reasoning_tokens or 0)
        group["input_tokens"] += inputs
        group["cache_read_tokens"] += g.cache_read_tokens or 0
        group["cache_write_tokens"] += g.cache_write_tokens or 0
        group["output_tokens"] += outputs
        group["reasoning_tokens"] += g.reasoning_tokens or 0
        group["total_tokens"] += inputs + outputs
        if g.user_id and blank_stripped(g.user_id):
            group["users"].add(g.user_id)
    return groups


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    create_contract_tables(con)
    for model, rates in RATES.items():
        insert_rates(con, model, rates)
    yield con
    con.close()


def mart_rows(con, day: date) -> dict[tuple[str, str], dict]:
    cursor = con.execute("select * from spend_by_feature_team where date = ?", [day])
    names = [d[0] for d in cursor.description]
    return {
        (r["feature"], r["team"]): r
        for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    }


def test_mart_totals_equal_independent_python_totals(warehouse):
    rng = random.Random(20260610)
    today = [random_generation(rng, DAY) for _ in range(400)]
    neighbours = [
        random_generation(rng, DAY + timedelta(days=d)) for d in (-1, 1) for _ in range(20)
    ]
    insert_generations(warehouse, today + neighbours)

    results = run_models(warehouse, DAY)

    assert results["stg_generations"].rows_written == len(today)  # nothing dropped, nothing leaked
    expected = expected_mart(today)
    actual = mart_rows(warehouse, DAY)
    assert set(actual) == set(expected)
    assert ("unattributed", "unattributed") in actual
    for key, want in expected.items():
        got = actual[key]
        for column in (
            "calls",
            "unpriced_calls",
            "error_calls",
            "input_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
            "total_tokens",
        ):
            assert got[column] == want[column], (key, column)
        assert got["users"] == len(want["users"]), key
        assert abs(got["cost_usd"] - want["cost_usd"]) < Decimal("1e-9"), key
        assert got["total_tokens"] == got["input_tokens"] + got["output_tokens"]
        assert got["priced_calls"] + got["unpriced_calls"] == got["calls"]
    assert sum(r["calls"] for r in actual.values()) == len(today)
    assert (
        sum(r["unpriced_calls"] for r in actual.values())
        == sum(expected_cost(g)[1] == "unpriced" for g in today)
        > 0
    )


def test_unknown_model_without_langfuse_cost_is_unpriced_and_langfuse_cost_wins(warehouse):
    insert_generations(
        warehouse,
        [
            Generation(DAY, model="mystery-1", metadata={"feature": "f", "team": "t"}),
            Generation(
                DAY,
                model="mystery-1",
                langfuse_total_cost=Decimal("0.25"),
                cost_details={"total": 0.25},
            ),
            Generation(
                DAY,
                model="gpt-test",
                langfuse_total_cost=Decimal("1.5"),
                cost_details={"total": 1.5},
            ),
            Generation(DAY, model="gpt-test", langfuse_total_cost=Decimal(0), cost_details={}),
        ],
    )
    run_models(warehouse, DAY)
    stg = warehouse.execute(
        "select model, cost_source, cost_usd from stg_generations order by generation_id"
    ).fetchall()
    gpt_cost = 100 * RATES["gpt-test"].input + 50 * RATES["gpt-test"].output
    assert stg == [
        ("mystery-1", "unpriced", None),
        ("mystery-1", "langfuse", Decimal("0.25")),
        ("gpt-test", "langfuse", Decimal("1.5")),
        ("gpt-test", "genai_prices", gpt_cost),
    ]
    mart = mart_rows(warehouse, DAY)
    assert mart[("f", "t")]["unpriced_calls"] == 1
    assert mart[("f", "t")]["cost_usd"] == 0
    assert mart[("unattributed", "unattributed")]["cost_usd"] == Decimal("1.75") + gpt_cost


def test_several_tags_for_one_key_give_the_first_name_in_sort_order(warehouse):
    """Whatever order the tags were sent in; blank and blank-only names are passed over."""
    tags = ["feature:zeta", "feature: \u00e9clair", "feature:", "feature:\t", "feature:Beta",
            "team:b", "team:a ", "env:x"]  # fmt: skip
    insert_generations(
        warehouse,
        [Generation(DAY, tags=tags), Generation(DAY, tags=list(reversed(tags)))],
    )
    run_models(warehouse, DAY)
    attributed = warehouse.execute(
        "select feature, team, feature_source from stg_generations order by generation_id"
    ).fetchall()
    # "Beta" < "zeta" < "\u00e9clair" by code point, as Python's sorted() orders them.
    assert attributed == [("Beta", "a", "tags"), ("Beta", "a", "tags")]
