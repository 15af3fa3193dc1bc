"""Migration 006: raw_generations' ids stored with ZSTD where the file's
format has it, every row and the column order kept; an older-format file is left as it was."""

import duckdb

from cost_pipeline.warehouse.resource import WarehouseResource
from cost_pipeline.warehouse.schema import ensure_schema, migration_files
from cost_pipeline_tests.warehouse.older_schema import apply_first_migrations

ZSTD_COLUMNS = {
    "id",
    "trace_id",
    "parent_observation_id",
    "session_id",
}
BEFORE_ZSTD = 5  # migrations applied by the loader before this one

ROWS = """
insert into raw_generations (id, trace_id, parent_observation_id, session_id, partition_date,
    start_time, name, tags, usage_details, cost_details, metadata, loaded_at)
select
    md5(i::varchar), md5('t' || i), md5('p' || i), 'sess-' || (i % 97), '2026-11-20',
    '2026-11-20 01:00'::timestamp + to_seconds(i), 'call-' || (i % 3), ['feature:x'],
    json_object('input', i, 'output', 2 * i), json_object('total', i / 1000),
    json_object('feature', 'f' || (i % 5), 'team', 'payments'), '2026-11-21'
from range(3000) as r(i)
"""


def compression_by_column(conn) -> dict[str, set[str]]:
    conn.execute("checkpoint")
    found: dict[str, set[str]] = {}
    for column, compression in conn.execute(
        "select column_name, compression from pragma_storage_info('raw_generations') "
        "where segment_type in ('VARCHAR', 'JSON')"
    ).fetchall():
        found.setdefault(column, set()).add(compression)
    return found


def table_oid(conn) -> int:
    return conn.execute(
        "select table_oid from duckdb_tables() where table_name = 'raw_generations'"
    ).fetchone()[0]


def test_a_new_warehouse_file_stores_ids_and_documents_with_zstd(tmp_path):
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection() as conn:
        ensure_schema(conn)
        conn.execute(ROWS)
        found = compression_by_column(conn)
    assert {column for column, methods in found.items() if methods == {"ZSTD"}} == ZSTD_COLUMNS
    # The other columns keep DuckDB's own choice.
    assert not any("ZSTD" in found[column] for column in ("name", "metadata", "usage_details"))


def test_an_existing_warehouse_is_rebuilt_with_every_row_its_columns_and_views(tmp_path):
    with WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection() as conn:
        apply_first_migrations(conn, BEFORE_ZSTD)
        conn.execute(ROWS)
        conn.execute("create view feature_calls as select id, metadata from raw_generations")
        order = conn.execute("select column_name from (describe raw_generations)").fetchall()
        rows = conn.execute("select * from raw_generations order by id").fetchall()

        assert ensure_schema(conn) == [version for version, _ in migration_files()][BEFORE_ZSTD:]

        assert conn.execute("select column_name from (describe raw_generations)").fetchall() == (
            order
        )
        assert conn.execute("select * from raw_generations order by id").fetchall() == rows
        assert conn.execute("select count(*) from feature_calls").fetchone() == (3000,)
        not_null = conn.execute(
            "select constraint_column_names from duckdb_constraints() "
            "where table_name = 'raw_generations' and constraint_type = 'NOT NULL'"
        ).fetchall()
        assert sorted(name for (names,) in not_null for name in names) == [
            "id",
            "loaded_at",
            "partition_date",
            "start_time",
        ]
        found = compression_by_column(conn)
    assert {column for column, methods in found.items() if methods == {"ZSTD"}} == ZSTD_COLUMNS


def test_a_file_in_an_older_format_is_left_as_it_was(tmp_path):
    # duckdb.connect writes a new file in DuckDB's default v1.0.0 format, which has no ZSTD.
    with duckdb.connect(str(tmp_path / "old.duckdb")) as conn:
        apply_first_migrations(conn, BEFORE_ZSTD)
        conn.execute(ROWS)
        oid = table_oid(conn)

        assert ensure_schema(conn) == [version for version, _ in migration_files()][BEFORE_ZSTD:]

        assert table_oid(conn) == oid  # not rebuilt
        assert conn.execute("select count(*) from raw_generations").fetchone() == (3000,)
        assert not any("ZSTD" in methods for methods in compression_by_column(conn).values())
