"""Every connection the pipeline opens rejects the arrow lambda DuckDB 2.0 removed, so SQL that
runs today keeps running after a DuckDB upgrade."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb
import pytest

from cost_pipeline.warehouse.reader import read_only_connection
from cost_pipeline.warehouse.resource import WarehouseResource

Opener = Callable[[Path], AbstractContextManager[duckdb.DuckDBPyConnection]]


def _local_file(tmp_path: Path) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return WarehouseResource(database=str(tmp_path / "w.duckdb")).get_connection()


def _connection_string(tmp_path: Path) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    # Not a local file: reaches duckdb.connect as given, as an md: string would.
    return WarehouseResource(database=":memory:").get_connection()


def _read_only(tmp_path: Path) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    database = tmp_path / "r.duckdb"
    duckdb.connect(str(database)).close()
    return read_only_connection(str(database))


@pytest.mark.parametrize("opener", [_local_file, _connection_string, _read_only])
def test_arrow_lambdas_fail_with_duckdbs_hint_and_the_new_form_runs(tmp_path, opener: Opener):
    with opener(tmp_path) as conn:
        assert conn.execute("select list_transform([1, 2], lambda x: x + 1)").fetchone() == (
            [2, 3],
        )
        with pytest.raises(duckdb.BinderException, match="lambda x, i: x \\+ i"):
            conn.execute("select list_transform([1, 2], x -> x + 1)")
        # The JSON arrow is a different operator and stays.
        assert conn.execute("""select '{"a": 1}'::json -> '$.a'""").fetchone() == ("1",)
