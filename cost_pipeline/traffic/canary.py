"""The canary comparison: traffic_log (what was sent) against raw_generations (what arrived)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from cost_pipeline.warehouse.tables import table_exists

CANARY_SQL = (Path(__file__).parent / "sql" / "canary.sql").read_text()
TOKEN_COLUMNS = (
    "uncached_input",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "visible_output",
    "reasoning",
    "total",
)


@dataclass(frozen=True)
class Mismatch:
    observation_id: str
    sent: tuple[int, ...]
    arrived: tuple[int, ...]

    def differences(self) -> str:
        return ", ".join(
            f"{name} {s}->{a}"
            for name, s, a in zip(TOKEN_COLUMNS, self.sent, self.arrived, strict=True)
            if s != a
        )


@dataclass(frozen=True)
class CanaryResult:
    checked: int
    missing: list[str] = field(default_factory=list)
    wrong_day: list[str] = field(default_factory=list)
    mismatched: list[Mismatch] = field(default_factory=list)
    traffic_logged: bool = True

    @property
    def passed(self) -> bool:
        return not (self.missing or self.wrong_day or self.mismatched)


def compare(con: duckdb.DuckDBPyConnection, start: date, end: date) -> CanaryResult:
    """Synthetic calls logged for [start, end) compared with the loaded generations."""
    if not table_exists(con, "traffic_log"):
        return CanaryResult(checked=0, traffic_logged=False)
    if not table_exists(con, "raw_generations"):
        logged = con.execute(
            "select observation_id from traffic_log "
            "where partition_date >= ? and partition_date < ?",
            [start, end],
        ).fetchall()
        return CanaryResult(checked=len(logged), missing=sorted(row[0] for row in logged))
    rows = con.execute(CANARY_SQL, {"start": start, "end": end}).fetchall()
    return CanaryResult(
        checked=len(rows),
        missing=[r[0] for r in rows if r[1]],
        wrong_day=[r[0] for r in rows if r[2]],
        mismatched=[Mismatch(r[0], tuple(r[4]), tuple(r[5])) for r in rows if r[3]],
    )
