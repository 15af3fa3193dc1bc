"""End to end: generations sent with the real Langfuse SDK to serve-local, loaded by
raw_generations, modelled in SQL and exported, through ``dg.materialize`` and through the
``dagster asset materialize`` CLI. Totals in spend_by_feature_team must equal totals computed
here from what was sent.

One serve-local (module scope) holds the sent data; each test loads it into its own warehouse.
"""

import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from langfuse import Langfuse, propagate_attributes

from cost_pipeline.assets.checks import spend_checks
from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.llm.clock import CallClock, recorded_at
from cost_pipeline.llm.langfuse_compat import open_generation
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.conftest import start_serve_local

# One worker runs the whole module, so its module-scoped server starts (and is fed) once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("models_end_to_end")]

DAY = datetime.now(UTC).date() - timedelta(days=3)
CHAIN = "raw_generations,stg_generations,spend_by_feature_team,spend_export"
SEARCH = {"feature": "search", "team": "growth"}
# (day offset, model, metadata, tags, usage_details, cost_details)
SENT = [
    (0, "gpt-4o-mini", SEARCH, [],
     {"input": 1200, "input_cached_tokens": 800, "output": 150}, None),
    (0, "gpt-4o-mini", SEARCH, [], {"input": 500, "output": 50}, {"input": 0.001, "total": 0.003}),
    (0, "claude-haiku-4-5", {}, ["feature:support-chat", "team:cx"],
     {"input": 300, "input_cached_tokens": 2000, "input_cache_creation": 400, "output": 220}, None),
    (0, "o4-mini", {"feature": "summarize", "team": "platform"}, [],
     {"input": 900, "output": 100, "output_reasoning_tokens": 300}, None),
    (0, "mystery-model-x", SEARCH, [], {"input": 100, "output": 10}, None),
    (0, "gpt-4o-mini", {}, [], {"input": 10, "output": 5}, None),
    (-1, "gpt-4o-mini", SEARCH, [], {"input": 7, "output": 7}, None),
    (1, "gpt-4o-mini", SEARCH, [], {"input": 9, "output": 9}, None),
]  # fmt: skip


def send(server) -> None:
    langfuse = Langfuse(
        public_key=server.public_key, secret_key=server.secret_key, base_url=server.base_url
    )
    for index, (offset, model, metadata, tags, usage, cost) in enumerate(SENT):
        start = datetime.combine(DAY + timedelta(days=offset), datetime.min.time(), tzinfo=UTC)
        with recorded_at(start + timedelta(hours=2, minutes=index)):
            clock = CallClock()
            with (
                propagate_attributes(user_id=f"user-{index % 3}", session_id="s1", tags=tags),
                open_generation(
                    langfuse, clock, name="llm-call", model=model, metadata=metadata or None
                ) as generation,
            ):
                generation.update(usage_details=usage, cost_details=cost)
            generation.end(end_time=clock.now_ns())
    langfuse.flush()
    langfuse.shutdown()


def expected_totals() -> dict[tuple[str, str], dict]:
    totals: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(Decimal))
    for offset, model, metadata, tags, usage, cost in SENT:
        if offset != 0:
            continue
        tag_values = dict(tag.split(":", 1) for tag in tags)
        key = tuple(
            metadata.get(name) or tag_values.get(name) or "unattributed"
            for name in ("feature", "team")
        )
        tokens = TokenUsage(
            input=usage.get("input", 0),
            cache_read=usage.get("input_cached_tokens", 0),
            cache_write=usage.get("input_cache_creation", 0),
            output=usage.get("output", 0),
            reasoning=usage.get("output_reasoning_tokens", 0),
        )
        priced = price_usage(model, tokens)
        group = totals[key]
        group["calls"] += 1
        group["input_tokens"] += tokens.input + tokens.cache_read + tokens.cache_write
        group["output_tokens"] += tokens.output + tokens.reasoning
        group["reasoning_tokens"] += tokens.reasoning
        if cost is not None:
            group["cost_usd"] += Decimal(str(cost["total"]))
        elif priced is not None:
            group["cost_usd"] += priced.total
        else:
            group["unpriced_calls"] += 1
    return totals


def mart_totals(database: Path) -> dict[tuple[str, str], dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select feature, team, calls, input_tokens, output_tokens, reasoning_tokens, "
            "total_tokens, cost_usd, unpriced_calls from spend_by_feature_team where date = ?",
            [DAY],
        ).fetchall()
    return {
        (feature, team): {
            "calls": calls,
            "input_tokens": inputs,
            "output_tokens": outputs,
            "reasoning_tokens": reasoning,
            "total_tokens": total,
            "cost_usd": cost,
            "unpriced_calls": unpriced,
        }
        for feature, team, calls, inputs, outputs, reasoning, total, cost, unpriced in rows
    }


def assert_mart_matches_what_was_sent(database: Path) -> None:
    expected, actual = expected_totals(), mart_totals(database)
    assert set(actual) == set(expected)
    for key, want in expected.items():
        got = actual[key]
        for column in ("calls", "input_tokens", "output_tokens", "reasoning_tokens"):
            assert got[column] == want[column], (key, column)
        assert got["total_tokens"] == want["input_tokens"] + want["output_tokens"]
        assert got["unpriced_calls"] == want.get("unpriced_calls", 0), key
        assert abs(got["cost_usd"] - want["cost_usd"]) < Decimal("1e-9"), key


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_serve_local(tmp_path_factory.mktemp("e2e")) as started:
        send(started)
        sent_today = sum(1 for row in SENT if row[0] == 0)
        start = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
        deadline = time.monotonic() + 30
        while len(started.truth(start, start + timedelta(days=1))) < sent_today:
            assert time.monotonic() < deadline, "serve-local never stored the sent generations"
            time.sleep(0.1)
        yield started


def test_dg_materialize_of_the_chain_matches_what_was_sent(server, tmp_path, monkeypatch):
    monkeypatch.setenv("COST_PIPELINE_EXPORT_DIR", str(tmp_path / "exports"))
    database = tmp_path / "warehouse.duckdb"
    result = dg.materialize(
        [raw_generations, *sql_model_assets, spend_export, *spend_checks],
        partition_key=DAY.isoformat(),
        resources={
            "warehouse": WarehouseResource(database=str(database)),
            "langfuse": LangfuseResource(
                base_url=server.base_url, public_key=server.public_key, secret_key=server.secret_key
            ),
        },
    )
    assert result.success
    assert_mart_matches_what_was_sent(database)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"unique_ids": True, "unattributed_share": True, "unpriced_calls": False}
    mart = result.asset_materializations_for_node("spend_by_feature_team")[0].metadata
    assert mart["total_calls"].value == 6
    assert "search" in mart["preview"].value
    folder = tmp_path / "exports" / "spend_by_feature_team" / f"date={DAY.isoformat()}"
    assert sorted(p.name for p in folder.iterdir()) == [
        "spend_by_feature_team.csv",
        "spend_by_feature_team.parquet",
    ]


def materialize_from_the_shell(server, tmp_path: Path, *selection: str) -> Path:
    """`dagster asset materialize` of the code location, as a user types it; returns the
    COST_PIPELINE_HOME it wrote (the Dagster instance is ``tmp_path / "dagster_home"``)."""
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DAGSTER_HOME": str(ensure_dagster_home(tmp_path / "dagster_home")),
        "COST_PIPELINE_HOME": str(home),
        **server.env(),
    }
    completed = subprocess.run(
        [Path(sys.executable).parent / "dagster", "asset", "materialize",
         "-m", "cost_pipeline.definitions", *selection],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    return home


def test_dagster_cli_materialize_of_the_chain_matches_what_was_sent(server, tmp_path):
    home = materialize_from_the_shell(
        server, tmp_path, "--select", CHAIN, "--partition", DAY.isoformat()
    )
    assert_mart_matches_what_was_sent(home / "warehouse.duckdb")
    export = home / "exports" / "spend_by_feature_team" / f"date={DAY.isoformat()}"
    assert (export / "spend_by_feature_team.parquet").stat().st_size > 0


def test_a_range_from_the_shell_is_one_run_that_builds_every_day(server, tmp_path):
    """`--partition-range` is what a UI backfill does too: one run over the range."""
    days = f"{DAY - timedelta(days=1)}...{DAY + timedelta(days=1)}"
    # The selection as the README shows it.
    home = materialize_from_the_shell(
        server, tmp_path, "--select", "raw_generations*", "--partition-range", days
    )
    assert_mart_matches_what_was_sent(home / "warehouse.duckdb")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        calls_by_day = dict(
            con.execute(
                "select date, sum(calls) from spend_by_feature_team group by date"
            ).fetchall()
        )
    sent_by_day = defaultdict(int)
    for offset, *_ in SENT:
        sent_by_day[DAY + timedelta(days=offset)] += 1
    assert calls_by_day == sent_by_day
    exports = home / "exports" / "spend_by_feature_team"
    assert sorted(p.name for p in exports.iterdir()) == [
        f"date={day}" for day in sorted(sent_by_day)
    ]
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
        for asset in CHAIN.split(","):
            materialized = instance.get_materialized_partitions(dg.AssetKey(asset))
            assert materialized == {day.isoformat() for day in sent_by_day}, asset

        # Each asset reports each day's own figures beside the range's totals.
        def per_day(asset: str, key: str) -> dict[str, int]:
            records = instance.fetch_observations(dg.AssetKey(asset), limit=100).records
            observed = (r.asset_observation for r in records)
            return {o.partition: o.metadata[key].value for o in observed if o and key in o.metadata}

        sent = {day.isoformat(): calls for day, calls in sent_by_day.items()}
        assert per_day("stg_generations", "rows") == sent  # a row per generation
        assert per_day("spend_by_feature_team", "total_calls") == sent
        assert per_day("spend_export", "rows") == per_day("spend_by_feature_team", "rows")
        # Each check has a result of its own for each day, as one-day runs give it.
        for (asset, check), expected in {
            ("raw_generations", "unique_ids"): {},
            ("spend_by_feature_team", "unattributed_share"): {},
            ("spend_by_feature_team", "unpriced_calls"): {DAY: "FAILED"},  # mystery-model-x
            ("spend_by_feature_team", "synthetic_traffic_canary"): {},
        }.items():
            history = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey(asset), check), limit=100
            )
            # (The run's own result, for the whole range, is filed under no partition.)
            by_day = {r.partition: r.status.value for r in history if r.partition is not None}
            want = {d.isoformat(): expected.get(d, "SUCCEEDED") for d in sent_by_day}
            assert by_day == want, check
