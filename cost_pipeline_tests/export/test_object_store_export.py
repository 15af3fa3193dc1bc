"""spend_export to s3:// for real: DuckDB's httpfs (from the pinned wheel) against a local S3
server (moto, a subprocess on 127.0.0.1), credentials from the usual AWS_* variables."""

import contextlib
import io
import re
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pandas as pd
import pytest

from cost_pipeline.assets.export import spend_export
from cost_pipeline.assets.models import sql_model_assets
from cost_pipeline.export.object_store import ObjectStoreError, httpfs_path, s3_settings
from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline_tests.sql.warehouse_tables import (
    Generation,
    Rates,
    create_contract_tables,
    insert_generations,
    insert_rates,
)

pytestmark = pytest.mark.xdist_group("object_store")

DAY = date(2026, 9, 12)
KEY_ID, SECRET = "AKIAEXPORTTEST", "export-test-secret-0000"
BUCKET = "spend-exports"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    moto_server = Path(sys.executable).with_name("moto_server")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", "0"], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        endpoint = None
        deadline = time.monotonic() + 30
        while endpoint is None and time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited:\n{log_path.read_text()}")
            match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            endpoint = match.group(1) if match else None
            time.sleep(0.05)  # polling the log for the port, with a deadline
        assert endpoint, f"moto_server did not start:\n{log_path.read_text()}"
        yield endpoint
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    for name, value in {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    return client


@pytest.fixture
def warehouse(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_contract_tables(con)
        insert_rates(con, "gpt-4o-mini", Rates(*(Decimal("0.000001") for _ in range(6))))
        insert_generations(
            con,
            [
                Generation(DAY, metadata={"feature": "search", "team": "growth"}),
                Generation(DAY, metadata={"feature": "search", "team": "growth"}),
                Generation(DAY, tags=["feature:=HYPERLINK(1)", "team:platform"]),
            ],
        )
    return WarehouseResource(database=str(database))


def materialize(warehouse):
    return dg.materialize(
        [*sql_model_assets, spend_export],
        partition_key=DAY.isoformat(),
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )


def test_the_day_lands_in_s3_and_reads_back_like_the_mart(s3, warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("COST_PIPELINE_EXPORT_DIR", f"s3://{BUCKET}/team-finance/")
    result = materialize(warehouse)
    assert result.success
    meta = result.asset_materializations_for_node("spend_export")[0].metadata
    prefix = f"team-finance/spend_by_feature_team/date={DAY.isoformat()}/"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    sizes = {item["Key"]: item["Size"] for item in listed}
    parquet_key, csv_key = (
        prefix + "spend_by_feature_team.parquet",
        prefix + "spend_by_feature_team.csv",
    )
    assert set(sizes) == {parquet_key, csv_key}  # final keys only, nothing else left behind
    assert meta["parquet_path"].value == f"s3://{BUCKET}/{parquet_key}"
    assert meta["parquet_bytes"].value == sizes[parquet_key]
    assert meta["csv_bytes"].value == sizes[csv_key]

    parquet = tmp_path / "day.parquet"
    s3.download_file(BUCKET, parquet_key, str(parquet))
    with warehouse.get_connection(read_only=True) as con:
        mart = con.execute("select * from spend_by_feature_team order by feature, team").fetchall()
        exported = con.execute(
            "select * from read_parquet(?) order by feature, team", [str(parquet)]
        ).fetchall()
    assert exported == mart and len(mart) == 2
    csv = s3.get_object(Bucket=BUCKET, Key=csv_key)["Body"].read().decode()
    assert "'=HYPERLINK(1)" in csv  # formula cells neutralised in S3 as well
    assert len(pd.read_csv(io.StringIO(csv))) == len(mart)


def test_a_missing_bucket_fails_naming_the_setting_and_no_secret(s3, warehouse, monkeypatch):
    monkeypatch.setenv("COST_PIPELINE_EXPORT_DIR", "s3://no-such-bucket-anywhere/spend")
    result = materialize(warehouse)
    assert not result.success
    failure = "\n".join(
        str(event.event_specific_data.error.to_string())
        for event in result.all_events
        if event.is_step_failure
    )
    assert "COST_PIPELINE_EXPORT_DIR" in failure and "no-such-bucket-anywhere" in failure
    assert SECRET not in failure
    assert ObjectStoreError.__name__ in failure


def test_aws_variables_become_duckdb_s3_settings():
    env = {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-2",
        "AWS_ENDPOINT_URL": "http://minio.local:9000",
    }
    assert s3_settings(env) == {
        "key_id": "k",
        "secret": "s",
        "region": "us-east-2",
        "endpoint": "minio.local:9000",
        "use_ssl": False,
        "url_style": "path",
    }
    assert s3_settings({"AWS_ENDPOINT_URL_S3": "https://s3.example.com"})["use_ssl"] is True
    assert s3_settings({}) == {}  # nothing set: DuckDB's own secrets apply


def test_httpfs_is_loaded_from_the_installed_wheel():
    path = Path(httpfs_path())
    assert path.is_file() and f"v{duckdb.__version__}" in path.parts
    with duckdb.connect() as con:
        con.execute(f"load '{path}'")
        loaded = con.execute(
            "select loaded from duckdb_extensions() where extension_name = 'httpfs'"
        ).fetchone()
    assert loaded == (True,)
