"""Spreadsheet formula injection ("CSV injection") protection, per OWASP.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return can be run as a
formula when the CSV is opened in Excel / LibreOffice / Google Sheets. Feature and team names come
from application metadata, i.e. from whoever can call the instrumented code, so the CSV export
prefixes such cells with a single quote (``=1+1`` -> ``'=1+1``). Only text columns are touched
(numbers are safe) and only in the CSV: the Parquet file keeps the true values.
"""

from __future__ import annotations

from collections.abc import Sequence

from cost_pipeline.sql.params import quote_identifier

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralised_select_list(columns: Sequence[tuple[str, str]]) -> str:
    """Select list over ``(name, duckdb_type)`` columns that neutralises the text ones."""
    triggers = ", ".join(f"chr({ord(char)})" for char in FORMULA_TRIGGERS)
    items = []
    for name, data_type in columns:
        column = quote_identifier(name)
        if data_type.upper() == "VARCHAR":
            items.append(
                f"case when left({column}, 1) in ({triggers}) then chr(39) || {column} "
                f"else {column} end as {column}"
            )
        else:
            items.append(column)
    return ", ".join(items)
