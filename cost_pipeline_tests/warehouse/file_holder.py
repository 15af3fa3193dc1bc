"""Another process holding a DuckDB file open (a BI tool, a notebook, a writer) until the test
closes its stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_HOLD = """
import sys, duckdb
read_only = sys.argv[2] == "read_only"
con = duckdb.connect(sys.argv[1], read_only=read_only)
if not read_only:
    con.execute("create table if not exists t as select 42 as answer")
print("holding", flush=True)
sys.stdin.read()  # hold the file until the test closes stdin
"""


def hold_file(database: Path, *, read_only: bool) -> subprocess.Popen[str]:
    """Start the holder and return once it has the file open; close its stdin to let go."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(database), "read_only" if read_only else "write"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder
