"""What writing one batch did, and how its pages move their windows' checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cost_pipeline.warehouse.spool import SpooledPage
from cost_pipeline.warehouse.state import LoadCounters, WindowProgress


@dataclass(frozen=True)
class BatchResult:
    committed: list[SpooledPage]
    corrupt: list[SpooledPage]  # unreadable pages; no page from the first of them on was written
    rows_received: int
    rows_loaded: int  # distinct ids written
    rows_new: int  # ids the warehouse did not have before
    rows_rejected: int
    rows_duplicate: int  # extra copies of an id inside the batch (the latest page wins)
    robust_pages: int
    high_water: datetime | None
    counters: LoadCounters  # the load's cumulative counters after this batch
    single_pass: bool = False  # written by the one-statement path (single_pass.py)


def window_progress(pages: list[SpooledPage]) -> list[WindowProgress]:
    """One entry per window, in fetch order (a split parent before its children)."""
    last: dict[tuple[datetime, datetime], SpooledPage] = {}
    count: dict[tuple[datetime, datetime], int] = {}
    for page in sorted(pages, key=lambda p: p.seq):
        last[page.window] = page
        count[page.window] = count.get(page.window, 0) + 1
    return [
        WindowProgress(
            window[0],
            None if page.children else page.next_cursor,
            count[window],
            window_to=window[1],
            children=page.children,
            finished_from=page.owned_from if page.children else None,
        )
        for window, page in sorted(last.items(), key=lambda item: item[1].seq)
    ]
