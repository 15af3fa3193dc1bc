"""Hostile and odd observations served by the API (injected verbatim through /admin/observations).

Unusable rows go to rejected_generations with a reason; odd but usable rows are kept. Every kind
is named in a log line and counted in the materialization metadata, and the whole chain (SQL
models, CSV + Parquet export) runs on top of them. Nothing crashes, nothing is dropped silently.
"""

import csv
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dagster as dg
import duckdb
import orjson
import pytest

from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.ingest import raw_generations
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.conftest import start_serve_local
from cost_pipeline_tests.reliability.support import (
    assert_exactly_the_truth,
    day_start,
    failure_text,
    log_messages,
    query,
)
from cost_pipeline_tests.warehouse.observations import iso, observation

pytestmark = pytest.mark.xdist_group("reliability_hostile")

DAY = datetime.now(UTC).date() - timedelta(days=70)
AT = day_start(DAY) + timedelta(hours=9)
LISTED = iso(AT)
NAMES = {
    "quotes": 'o\'brien "quoted"',
    "newline": "line one\nline two",
    "emoji": "chat 🚀 bot",
    "sql": "x'); drop table raw_generations; --",
    "formula": '=HYPERLINK("http://evil","click")',
}


def rejected_rows() -> dict[str, tuple[dict, str]]:
    """id -> (observation, the start of the reason it must be rejected with)."""
    cases = [
        ("neg-tokens", {"usageDetails": {"input": -3}}, "usageDetails.input"),
        ("float-tokens", {"usageDetails": {"output": 1.5}}, "usageDetails.output"),
        ("string-tokens", {"usageDetails": {"input": "12"}}, "usageDetails.input"),
        ("huge-tokens", {"usageDetails": {"total": 10**15}}, "usageDetails.total"),
        ("usage-not-object", {"usageDetails": "lots"}, "usageDetails is not a JSON object"),
        ("bad-cost", {"costDetails": {"total": -1}}, "costDetails.total"),
        (
            "outside-window",
            {"startTime": iso(AT + timedelta(days=3)), "_listStartTime": LISTED},
            "startTime is outside the requested window",
        ),
        (
            "bad-start",
            {"startTime": "yesterday", "_listStartTime": LISTED},
            "startTime is not an ISO-8601",
        ),
    ]
    return {obs_id: (observation(obs_id, AT, **fields), reason) for obs_id, fields, reason in cases}


def kept_rows() -> list[dict]:
    rows = [
        observation("no-usage-key", AT),
        observation("usage-null", AT, usageDetails=None, costDetails=None),
        observation("meta-string", AT, metadata="feature=search"),
        observation("meta-null", AT, metadata=None),
        observation("meta-nested", AT, metadata={"feature": "deep", "a": {"b": [1, {"c": 2}]}}),
        observation("meta-10kb", AT, metadata={"feature": "big-" + "x" * 10_240, "team": "t"}),
        observation("unknown-model", AT, model="no-such-model-anywhere", costDetails=None),
    ]  # fmt: skip
    del rows[0]["usageDetails"]
    rows += [
        observation(f"name-{kind}", AT, metadata={"feature": name, "team": name})
        for kind, name in NAMES.items()
    ]
    # The same id on the first and the last page (page_limit 5 below): stored once.
    rows += [
        observation("dup-id", AT + timedelta(hours=10)),
        observation("dup-id", AT - timedelta(hours=8)),
    ]
    return rows


def missing_id_row() -> dict:
    row = observation("placeholder", AT, _listStartTime=LISTED)
    del row["id"]
    return row


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """One load of the hostile day (and the chain on top), shared by the module's tests."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    rejected = rejected_rows()
    with (
        start_serve_local(tmp_path) as server,
        pytest.MonkeyPatch.context() as patch,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        server.inject([obs for obs, _ in rejected.values()] + kept_rows() + [missing_id_row()])
        patch.setenv("COST_PIPELINE_EXPORT_DIR", str(tmp_path / "exports"))
        database = tmp_path / "w.duckdb"
        result = dg.materialize(
            [raw_generations, *sql_model_assets, spend_export],
            partition_key=DAY.isoformat(),
            resources={
                "warehouse": WarehouseResource(database=str(database)),
                "langfuse": LangfuseResource(
                    base_url=server.base_url,
                    public_key=server.public_key,
                    secret_key=server.secret_key,
                ),
            },
            # Small pages, one per transaction: the duplicate id lands in two batches.
            run_config={
                "ops": {"raw_generations": {"config": {"page_limit": 5, "batch_pages": 1}}}
            },
            instance=instance,
            raise_on_error=False,
        )
        assert result.success, failure_text(result)
        yield SimpleNamespace(
            server=server,
            database=database,
            result=result,
            logs="\n".join(log_messages(instance, result.run_id)),
            rejected=rejected,
            root=tmp_path,
        )


def test_unusable_rows_are_rejected_with_their_reason(loaded):
    server, database, rejected = loaded.server, loaded.database, loaded.rejected
    reasons = dict(query(database, "select id, reason from rejected_generations"))
    for obs_id, (obs, reason) in rejected.items():
        assert reasons[obs_id].startswith(reason), (obs_id, reasons[obs_id])
        (raw,) = query(database, "select raw from rejected_generations where id = ?", [obs_id])[0]
        assert orjson.loads(raw) == {k: v for k, v in obs.items() if k != "_listStartTime"}
    assert reasons[None] == "missing id"
    assert_exactly_the_truth(server, database, DAY, rejected=set(rejected))


def test_every_kind_is_counted_in_the_metadata_and_named_in_a_log_line(loaded):
    result, rejected = loaded.result, loaded.rejected
    meta = result.asset_materializations_for_node("raw_generations")[0].metadata
    counts = {key: value.value for key, value in meta.items()}
    assert counts["rows_rejected"] == len(rejected) + 1  # + the row without an id
    assert sum(counts["rejected_by_reason"].values()) == counts["rows_rejected"]
    assert counts["rejected_by_reason"]["missing id"] == 1
    assert counts["rows_without_usage"] == 2
    assert counts["rows_metadata_not_object"] == 2
    assert counts["rows_unknown_model"] == 1
    assert counts["rows_unusual_names"] == 2  # the newline and the formula
    assert counts["rows_duplicate"] == 1
    # The duplicate is stored once: the copy Langfuse updated last (read first here); the one
    # read later is older, so it is counted as a duplicate and not written.
    assert counts["rows_loaded"] == counts["partition_rows"] == len(kept_rows()) - 1
    (updated,) = query(
        loaded.database, "select updated_at from raw_generations where id = 'dup-id'"
    )[0]
    assert updated == (AT + timedelta(hours=10, milliseconds=850)).replace(tzinfo=None)
    logs = loaded.logs
    for reason in {reason for _, reason in rejected.values()} | {"missing id"}:
        assert f"rejected: {reason}" in logs
    for phrase in (
        "1 extra copies of ids the API returned more than once",
        "2 generation(s) without usage details",
        "with a model genai-prices does not know ('no-such-model-anywhere')",
        "2 generation(s) whose metadata is not a JSON object",
        "2 generation(s) with a feature/team name or tag holding a control character",
    ):
        assert phrase in logs


def test_odd_names_flow_verbatim_through_sql_and_exports(loaded):
    database = loaded.database
    mart = dict(
        query(database, "select feature, calls from spend_by_feature_team where date = ?", [DAY])
    )
    for name in NAMES.values():
        assert mart[name] == 1
    assert mart["big-" + "x" * 10_240] == 1  # expandMetadata: the value arrives whole
    assert mart["deep"] == 1
    # Including metadata that is not an object: attributed by its "feature:search" tag.
    search = {"no-usage-key", "usage-null", "meta-string", "meta-null", "unknown-model", "dup-id"}
    assert mart["search"] == len(search)
    folder = loaded.root / "exports" / "spend_by_feature_team" / f"date={DAY.isoformat()}"
    with duckdb.connect() as con:
        parquet = dict(
            con.execute(
                "select feature, calls from read_parquet(?)",
                [str(folder / "spend_by_feature_team.parquet")],
            ).fetchall()
        )
    assert parquet == mart
    with (folder / "spend_by_feature_team.csv").open(newline="", encoding="utf-8") as handle:
        csv_features = {row["feature"] for row in csv.DictReader(handle)}
    assert "'" + NAMES["formula"] in csv_features and NAMES["formula"] not in csv_features
    for kind in ("quotes", "newline", "emoji", "sql"):
        assert NAMES[kind] in csv_features
    tables = {row[0] for row in query(database, "select table_name from duckdb_tables()")}
    assert "raw_generations" in tables  # the SQL fragment stayed data
