"""Export files are published atomically: a failed write leaves the old file and no debris."""

from pathlib import Path, PurePosixPath

import duckdb
import pytest

from cost_pipeline.export.destination import UnsupportedExportRoot, destination_for

RELATIVE = PurePosixPath("spend_by_feature_team", "date=2026-01-01", "spend_by_feature_team.csv")


def copy_query(query: str):
    def write(path: Path) -> None:
        duckdb.execute(f"copy ({query}) to '{path}' (format csv, header)")

    return write


def test_publish_writes_the_final_file_and_reports_its_size(tmp_path):
    destination = destination_for(str(tmp_path / "exports"))
    published = destination.publish(RELATIVE, copy_query("select 1 as x"))
    final = tmp_path / "exports" / RELATIVE
    assert published.path == str(final)
    assert final.read_text() == "x\n1\n"
    assert published.bytes == final.stat().st_size


def test_a_copy_that_fails_midway_leaves_the_previous_file_and_no_temporary(tmp_path):
    destination = destination_for(str(tmp_path))
    destination.publish(RELATIVE, copy_query("select 'old' as x"))
    # DuckDB streams rows to disk, then raises on row 900,000: a real partial write.
    failing = (
        "select case when i = 900000 then error('boom') else i end as x from range(1000000) t(i)"
    )

    with pytest.raises(duckdb.Error, match="boom"):
        destination.publish(RELATIVE, copy_query(failing))

    folder = tmp_path / RELATIVE.parent
    assert [p.name for p in folder.iterdir()] == [RELATIVE.name]
    assert (tmp_path / RELATIVE).read_text() == "x\nold\n"


def test_a_failed_first_write_creates_no_file(tmp_path):
    destination = destination_for(str(tmp_path))
    with pytest.raises(duckdb.Error):
        destination.publish(RELATIVE, copy_query("select error('boom') as x"))
    assert list((tmp_path / RELATIVE.parent).iterdir()) == []


def test_unsupported_roots_are_refused_with_a_clear_message():
    # s3:// is supported (export/object_store.py, tested against a local S3 server).
    with pytest.raises(UnsupportedExportRoot, match="gs:// destinations are not supported"):
        destination_for("gs://bucket/prefix")
    with pytest.raises(UnsupportedExportRoot, match="COST_PIPELINE_EXPORT_DIR"):
        destination_for("s3://")
