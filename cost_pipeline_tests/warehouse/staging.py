"""Run the real page parser on pages built in a test and read back what it staged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from cost_pipeline.warehouse.parse import StagedBatch, prepare_session, stage_batch
from cost_pipeline.warehouse.spool import PageSpool, SpooledPage

DAY = datetime(2026, 11, 20)
WINDOW = (DAY, DAY + timedelta(days=1))
LOADED_AT = datetime(2026, 11, 21, 1, 0)


class Stager:
    def __init__(self, spool: PageSpool) -> None:
        self.spool = spool
        self.conn = duckdb.connect()
        prepare_session(self.conn)
        self.seq = 0

    def spool_pages(
        self, bodies: list[bytes], window: tuple[datetime, datetime] = WINDOW
    ) -> list[SpooledPage]:
        pages = []
        for body in bodies:
            self.seq += 1
            pages.append(self.spool.write(self.seq, body, window, None, None))
        return pages

    def stage(self, bodies: list[bytes]) -> tuple[StagedBatch, list[dict[str, Any]]]:
        staged = stage_batch(self.conn, self.spool_pages(bodies), LOADED_AT)
        return staged, self.rows()

    def rows(self) -> list[dict[str, Any]]:
        cursor = self.conn.execute("select * from batch_rows order by seq, element_index")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
