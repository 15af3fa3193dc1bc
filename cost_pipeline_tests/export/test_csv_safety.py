"""The CSV select list puts a ' before text a spreadsheet would run as a formula, and only there."""

import duckdb

from cost_pipeline.export.csv_safety import neutralised_select_list

VALUES = ["=1+1", "+1", "-1", "@A1", "\tTAB", "\rCR", "plain", "a=b", "", None]


def test_formula_leads_get_a_quote_and_other_values_and_numbers_stay():
    with duckdb.connect() as con:
        con.execute("create table t (name varchar, n integer)")
        con.executemany("insert into t values (?, ?)", [(v, -5) for v in VALUES])
        columns = con.execute("select column_name, column_type from (describe t)").fetchall()
        rows = con.execute(f"select {neutralised_select_list(columns)} from t").fetchall()
    leads = ("=", "+", "-", "@", "\t", "\r")
    expected = [("'" + v if v and v.startswith(leads) else v, -5) for v in VALUES]
    assert rows == expected
