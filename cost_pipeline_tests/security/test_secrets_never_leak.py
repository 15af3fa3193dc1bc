"""Keys never leak: the whole chain runs through the dagster CLI with distinctive keys (plus one
run with a wrong secret), then every place a key could end up is scanned.

Scanned: the commands' stdout/stderr, every file under DAGSTER_HOME (run and event log storage,
compute logs), the materialization metadata and failure messages read back through the instance,
every table of the warehouse (dumped as text: DuckDB compresses strings on disk), the export
files, serve-local's data dir and log.

Secrets (the Langfuse secret key, a wrong secret, provider API keys, the HTTP Basic credentials)
must appear nowhere. The public key is an identifier, not a credential: the Langfuse SDK itself
records it in every span's metadata, so it may appear where Langfuse's own data is kept verbatim
(serve-local's store, raw_generations.metadata) and in serve-local's start-up banner, but in no
pipeline log, event, metadata, error or export.
"""

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cost_pipeline.demo.dagster_home import ensure_dagster_home
from cost_pipeline_tests.conftest import start_serve_local

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("security_leaks")]

DAY = datetime.now(UTC).date() - timedelta(days=2)
PUBLIC = "pk-lf-PUBLIC-8d2e7b19c4"
SECRET = "sk-lf-SECRET-4f1c9a7e2b"
WRONG = "sk-lf-WRONGSECRET-77aa31d0"
OPENAI = "sk-proj-OPENAIKEY-5e9d0c2a"
ANTHROPIC = "sk-ant-ANTHROPICKEY-3c8b6f1e"
SECRETS = {
    "secret key": SECRET,
    "secret key (unmasked part)": SECRET[:-4],
    "wrong secret": WRONG,
    "wrong secret (unmasked part)": WRONG[:-4],
    "openai key": OPENAI,
    "anthropic key": ANTHROPIC,
    "basic credentials": base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode(),
    "wrong basic credentials": base64.b64encode(f"{PUBLIC}:{WRONG}".encode()).decode(),
}
PUBLIC_PARTS = {"public key": PUBLIC, "public key (unmasked part)": PUBLIC[:-4]}
CHAIN = "llm_traffic,raw_generations,stg_generations,spend_by_feature_team,spend_export"
DAGSTER = str(Path(sys.executable).parent / "dagster")


def found(data: bytes, needles: dict[str, str]) -> list[str]:
    return [name for name, needle in needles.items() if needle.encode() in data]


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def warehouse_dump(database: Path) -> dict[str, bytes]:
    """Every table as text, column by column (what a SELECT would show)."""
    dump = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        ]
        for table in tables:
            rows = con.execute(f'select * from "{table}"').fetchall()
            dump[table] = repr(rows).encode()
    return dump


def events_text(dagster_home: Path) -> bytes:
    """Every event of every run as the instance returns it: metadata, messages, errors."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        entries = [entry for run in instance.get_runs() for entry in instance.all_logs(run.run_id)]
        return "\n".join(repr(entry) for entry in entries).encode()


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaks")
    keys = {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET}
    with start_serve_local(root, env=keys) as server:
        dagster_home = ensure_dagster_home(root / "dagster_home")
        env = {
            **os.environ,
            **server.env(),
            "OPENAI_API_KEY": OPENAI,
            "ANTHROPIC_API_KEY": ANTHROPIC,
            "DAGSTER_HOME": str(dagster_home),
            "COST_PIPELINE_HOME": str(root / "home"),
        }
        traffic = {"ops": {"llm_traffic": {"config": {"calls_per_partition": 12}}}}
        chain = subprocess.run(
            [DAGSTER, "asset", "materialize", "-m", "cost_pipeline.definitions",
             "--select", CHAIN, "--partition", DAY.isoformat(),
             "--config-json", json.dumps(traffic)],
            env=env, cwd=root, capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        assert chain.returncode == 0, chain.stderr[-3000:]
        wrong = subprocess.run(
            [DAGSTER, "asset", "materialize", "-m", "cost_pipeline.definitions",
             "--select", "raw_generations", "--partition", DAY.isoformat()],
            env={**env, "LANGFUSE_SECRET_KEY": WRONG},
            cwd=root, capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        assert wrong.returncode != 0
        yield {
            "root": root,
            "server": server,
            "dagster_home": dagster_home,
            "output": chain.stdout + chain.stderr + wrong.stdout + wrong.stderr,
        }


def test_the_runs_did_what_they_should(ran):
    output = ran["output"].decode(errors="replace")
    assert "RUN_SUCCESS" in output
    # The failure names the variables to fix, with the key masked.
    assert "LANGFUSE_SECRET_KEY" in output and "LANGFUSE_PUBLIC_KEY (pk-lf-…19c4)" in output
    events = events_text(ran["dagster_home"]).decode()
    assert "rows_loaded" in events and "ASSET_MATERIALIZATION" in events


def test_no_secret_in_command_output_or_dagster_storage(ran):
    assert found(ran["output"], SECRETS | PUBLIC_PARTS) == []
    assert found(events_text(ran["dagster_home"]), SECRETS | PUBLIC_PARTS) == []
    stored = files_under(ran["dagster_home"])
    assert any(path.suffix == ".db" for path in stored)  # the event log storage was scanned
    leaks = {
        str(path): hits
        for path in stored
        if (hits := found(path.read_bytes(), SECRETS | PUBLIC_PARTS))
    }
    assert leaks == {}


def test_no_secret_in_the_warehouse_and_the_public_key_only_in_langfuse_metadata(ran):
    dump = warehouse_dump(ran["root"] / "home" / "warehouse.duckdb")
    assert {"raw_generations", "ingest_runs", "ingest_state", "spend_by_feature_team"} <= set(dump)
    assert {table: hits for table, data in dump.items() if (hits := found(data, SECRETS))} == {}
    public = {table for table, data in dump.items() if found(data, PUBLIC_PARTS)}
    # The SDK's span metadata carries the public key (a positive control: the scan finds keys).
    assert public == {"raw_generations"}
    with duckdb.connect(str(ran["root"] / "home" / "warehouse.duckdb"), read_only=True) as con:
        errors = con.execute("select error from ingest_runs where error is not null").fetchall()
    assert errors and "LANGFUSE_SECRET_KEY" in errors[0][0]  # the failure is recorded, masked


def test_no_key_in_the_exports(ran):
    exported = files_under(ran["root"] / "home" / "exports")
    assert {path.suffix for path in exported} == {".csv", ".parquet"}
    for path in exported:
        assert found(path.read_bytes(), SECRETS | PUBLIC_PARTS) == [], path


def test_no_secret_in_serve_locals_data_or_log(ran):
    server = ran["server"]
    places = [*files_under(server.data_dir), server.log_file]
    leaks = {str(path): hits for path in places if (hits := found(path.read_bytes(), SECRETS))}
    assert leaks == {}
    # Positive control: the same byte scan does find the public key in the server's store.
    assert any(found(path.read_bytes(), PUBLIC_PARTS) for path in files_under(server.data_dir))
    assert "set from LANGFUSE_SECRET_KEY (not shown)" in server.log_file.read_text()
