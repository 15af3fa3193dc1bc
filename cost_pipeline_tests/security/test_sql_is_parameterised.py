"""Every SQL statement the package runs is built from our own text, quoted identifiers and bound
parameters. The static check in sql_text.py lists each expression spliced into SQL that it cannot
prove safe; each one must be explained below. A new splice fails this test until a reviewer has
looked at it (better: bind it as a parameter, or pass it through quote_identifier)."""

from pathlib import Path

from cost_pipeline_tests.security.sql_text import spliced_sql

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cost_pipeline"

REVIEWED = {
    ("cost_pipeline/export/partition_files.py", "query"): "COPY of a SELECT built in the same "
    "function from quote_identifier(table/column) and the caller's constant ORDER BY",
    ("cost_pipeline/export/partition_files.py", "options"): "COPY options, constants in the code",
    ("cost_pipeline/sql/replace.py", "rendered.sql"): "a model file of the project rendered in a "
    "sandboxed Jinja environment; every value in it is a bound $parameter (sql/params.py)",
    ("cost_pipeline/sql/view.py", "definition.sql"): "a view model's file rendered in the "
    "sandboxed Jinja environment with inline values: every value is printed by "
    "params.sql_literal (a string's quotes doubled; the window refused), never spliced raw",
    ("cost_pipeline/warehouse/inline_params.py", "inline(query, parameters)"): "every "
    "warehouse connection's client-side binding: the caller's statement with each ?/$name "
    "placeholder replaced by sql_literal of its value (quotes doubled, NUL as chr(0)); the "
    "callers' SQL is checked at their own call sites, and test_inline_params proves the round "
    "trip",
    ("cost_pipeline/warehouse/inline_params.py", "query"): "InliningConnection.execute of a "
    "statement without values, passed on as its caller wrote it: checked at the call sites",
    ("cost_pipeline/sql/replace.py", "data_type"): "a type name read from DuckDB's own catalog "
    "(duckdb_columns) for the staged table",
    ("cost_pipeline/sql/summary.py", "relation"): "quote_identifier(stage), quoted by the caller",
    ("cost_pipeline/warehouse/state.py", "vars(run)"): "column names: RunRecord's field names",
    ("cost_pipeline/warehouse/state.py", "name"): "$placeholders named after RunRecord's fields",
    ("cost_pipeline/warehouse/upsert.py", "sql"): "_count(conn, sql, params) helper; every "
    "caller passes a constant statement",
    ("cost_pipeline/warehouse/single_pass.py", "sql"): "_count(conn, sql, params) helper; "
    "callers pass a constant statement or _insert_sql() (constants and the parser's SQL files)",
    ("cost_pipeline/local/metrics_api.py", "sql"): "built by metrics_sql from allow-listed "
    "dimension / measure / aggregation tables; filter values are bound :parameters",
    ("cost_pipeline/local/page_sql.py", "sql"): "built by page_sql from constants; the page "
    "window, cursor and filters are bound parameters",
    ("cost_pipeline/local/store.py", "synchronous"): "pragma value chosen by our code "
    "('FULL' or 'NORMAL'), never by a request",
    ("cost_pipeline/local/store.py", "statement"): "the store's own DDL statements",
    ("cost_pipeline/local/store.py", "sql"): "Store.query passes through its callers' SQL "
    "(page_sql, metrics_sql, admin truth): checked at those call sites",
}


def test_only_reviewed_expressions_are_spliced_into_sql():
    splices = [s for path in sorted(PACKAGE.rglob("*.py")) for s in spliced_sql(path, ROOT)]
    unexplained = [s for s in splices if s.key() not in REVIEWED]
    assert unexplained == [], "SQL text built from values: bind them as parameters instead"
    stale = set(REVIEWED) - {s.key() for s in splices}
    assert stale == set(), "reviewed splices that no longer exist: remove them from REVIEWED"


def test_the_check_catches_a_value_spliced_into_sql(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def lookup(con, name, table):\n"
        "    relation = quote_identifier(table)\n"
        "    con.execute(f\"select * from {relation} where name = '{name}'\")\n"
        "    con.execute('select * from t where name = ?', [name])\n"
        '    con.execute("select * from t where name = \'" + name + "\'")\n'
        "    sql = f'delete from {relation} where id = {name}'\n"
        "    con.sql(sql)\n"
    )
    found = [(s.line, s.expression) for s in spliced_sql(sample, tmp_path)]
    assert found == [(3, "name"), (5, "name"), (7, "name")]
