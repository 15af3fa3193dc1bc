"""COST_PIPELINE_WAREHOUSE: local files are attached with small row groups and new ones written
in the v1.3.0 storage format; connection strings such as MotherDuck's ``md:`` reach DuckDB
unchanged, and a failure names the setting."""

from pathlib import Path

import duckdb
import pytest

from cost_pipeline.warehouse.resource import (
    NEW_FILE_STORAGE_VERSION,
    ROW_GROUP_SIZE,
    WarehouseResource,
    WarehouseUnavailableError,
    is_local_file,
)
from cost_pipeline_tests.warehouse.storage_format import storage_version

TOKEN = "md-token-value-not-for-logs"


def test_md_connection_strings_reach_duckdb_connect_unchanged(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    target = f"md:analytics?motherduck_token={TOKEN}"
    monkeypatch.setenv("COST_PIPELINE_WAREHOUSE", target)
    seen: list[dict] = []

    def unreachable(**kwargs):  # stands in for DuckDB's network call, which cannot work here
        seen.append(kwargs)
        raise duckdb.IOException("IO Error: could not reach MotherDuck")

    monkeypatch.setattr(duckdb, "connect", unreachable)
    with pytest.raises(WarehouseUnavailableError) as failure, WarehouseResource().get_connection():
        pass
    assert [call["database"] for call in seen] == [target]  # as given: not a path, not rewritten
    assert seen[0]["read_only"] is False
    assert "storage_compatibility_version" not in seen[0]["config"]  # MotherDuck decides
    message = str(failure.value)
    assert "COST_PIPELINE_WAREHOUSE" in message and "MotherDuck" in message
    assert TOKEN not in message and "motherduck_token=***" in message
    assert list(tmp_path.iterdir()) == []  # no directory was made for "md:analytics?..."


def test_md_targets_fail_for_real_with_a_clear_message_offline(monkeypatch, tmp_path):
    # The real DuckDB: it needs the motherduck extension and a network neither of which exists
    # here; the point is the message, and that nothing on disk is created for the string.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COST_PIPELINE_WAREHOUSE", "md:cost_pipeline_probe")
    with (
        pytest.raises(WarehouseUnavailableError, match="COST_PIPELINE_WAREHOUSE"),
        WarehouseResource().get_connection(),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_configured_database_is_named_as_the_resource_setting(tmp_path):
    missing = tmp_path / "nope" / "w.duckdb"
    resource = WarehouseResource(database=str(missing))
    with (
        pytest.raises(WarehouseUnavailableError, match="resource's `database`"),
        resource.get_connection(read_only=True),
    ):
        pass


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("/var/lib/warehouse.duckdb", True),
        ("relative/dir/w.duckdb", True),
        (":memory:", False),
        ("md:analytics", False),
        ("md:", False),
        ("s3://bucket/w.duckdb", False),
    ],
)
def test_which_targets_are_files(target, local):
    assert is_local_file(target) is local


def test_local_files_are_written_in_small_row_groups(tmp_path):
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    with resource.get_connection() as con:
        assert con.execute("select current_database()").fetchone() == ("warehouse",)
        con.execute("create table t as select range as i from range(50000)")
        con.execute("checkpoint")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as plain:  # a BI reader
        sizes = plain.execute(
            "select max(count) from pragma_storage_info('t') group by row_group_id"
        ).fetchall()
    assert len(sizes) == 4 and max(size for (size,) in sizes) <= ROW_GROUP_SIZE


def _write_text_through(resource: WarehouseResource) -> None:
    with resource.get_connection() as con:
        con.execute("create table t as select 'feature-' || (range % 500) as s from range(50000)")
        con.execute("checkpoint")


def _format_of(path: Path) -> tuple[str, set[str]]:
    """The file's storage version and the compressions of its text, as a BI reader sees them."""
    with duckdb.connect(str(path), read_only=True) as plain:
        version = storage_version(plain, path)
        compressions = plain.execute(
            "select distinct compression from pragma_storage_info('t') "
            "where segment_type = 'VARCHAR'"
        ).fetchall()
    return version, {name for (name,) in compressions}


def test_a_new_local_file_uses_the_format_with_dictionary_fsst_text(tmp_path):
    _write_text_through(WarehouseResource(database=str(tmp_path / "w.duckdb")))
    version, compressions = _format_of(tmp_path / "w.duckdb")
    assert version == f"{NEW_FILE_STORAGE_VERSION}+"
    assert compressions == {"DICT_FSST"}


def test_an_existing_file_keeps_the_format_it_was_made_with(tmp_path):
    # A warehouse made before (or by another tool) stays readable by the DuckDB that made it.
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    _write_text_through(WarehouseResource(database=str(tmp_path / "w.duckdb")))
    version, compressions = _format_of(tmp_path / "w.duckdb")
    assert version == "v1.0.0+"
    assert "DICT_FSST" not in compressions


def test_a_format_set_in_connection_config_wins_for_a_new_file(tmp_path):
    resource = WarehouseResource(
        database=str(tmp_path / "w.duckdb"),
        connection_config={"storage_compatibility_version": "v1.2.0"},
    )
    _write_text_through(resource)
    assert _format_of(tmp_path / "w.duckdb")[0] == "v1.2.0+"
