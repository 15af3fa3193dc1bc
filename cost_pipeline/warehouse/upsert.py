"""Write one batch of pages: typed rows upserted by id, rejects kept, checkpoint advanced, all in
one transaction, so a crash leaves either the whole batch with its checkpoint or neither.

A batch is first tried in one pass (single_pass.py); this module is the careful path for batches
that hold rows to reject, repeated ids or unreadable pages: stage every row in a temp table, then
sort them out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import duckdb

from cost_pipeline.warehouse.batch_result import BatchResult, window_progress
from cost_pipeline.warehouse.day_ids import forget_day_hashes
from cost_pipeline.warehouse.parse import StagedBatch, stage_batch
from cost_pipeline.warehouse.single_pass import write_single_pass
from cost_pipeline.warehouse.spool import SpooledPage
from cost_pipeline.warehouse.state import LoadCounters, record_checkpoint
from cost_pipeline.warehouse.transaction import transaction


def write_batch(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    pages: list[SpooledPage],
    loaded_at: datetime,
    counters: LoadCounters,
) -> BatchResult:
    """Upsert ``pages`` for partition ``day``; ``counters`` are the load's figures before it.

    Give each batch a ``loaded_at`` newer than any stored: a batch sharing it with stored rows of
    the same ids cannot tell them apart in one pass and takes the careful path."""
    written = write_single_pass(conn, day, pages, loaded_at, counters)
    if written is not None:
        return written
    return write_carefully(conn, day, pages, loaded_at, counters)


def write_carefully(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    pages: list[SpooledPage],
    loaded_at: datetime,
    counters: LoadCounters,
) -> BatchResult:
    """Stage every row of ``pages``, then reject, deduplicate and upsert them in one transaction."""
    # Staging only fills temp tables, and it may try a statement that fails (the typed read on
    # an odd page): DuckDB aborts a transaction on any error, so stage before it begins.
    # Its rows reach the day without their id hashes: the next one-pass batch rebuilds them.
    forget_day_hashes(conn)
    try:
        staged = stage_batch(conn, pages, loaded_at)
        with transaction(conn):
            result = _write(conn, day, pages, staged, loaded_at, counters)
    finally:
        # Kept, the staged rows (~30 MB for 25 pages) would hold DuckDB memory until the next
        # careful batch: the one-pass batches meanwhile would spill them, or run out.
        conn.execute("drop table if exists batch_rows")
        conn.execute("drop table if exists stored_newer")
    return result


def _write(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    pages: list[SpooledPage],
    staged: StagedBatch,
    loaded_at: datetime,
    counters: LoadCounters,
) -> BatchResult:
    committed = _pages_before_corruption(pages, staged.corrupt)
    dropped = [p.seq for p in pages if p not in committed]
    if dropped:
        conn.execute("delete from batch_rows where seq in (select unnest(?::bigint[]))", [dropped])
    rows_received = _count(conn, "select count(*) from batch_rows")
    rows_rejected = _store_rejects(conn, day)
    # Only the day's rows can hold these ids: a row's partition is the day of its start time,
    # and every accepted row started inside this day's window. Zone maps on partition_date keep
    # the scan to this day, so a batch costs the same however many days the warehouse holds.
    # A stored copy Langfuse updated later than every copy in the batch stays; the others give
    # way to the batch's newest copy.
    conn.execute(_STORED_NEWER_SQL, [day])
    replaced = _count(
        conn,
        "delete from raw_generations where partition_date = ? and id in "
        "(select id from batch_rows where reject_reason is null) "
        "and id not in (select id from stored_newer)",
        [day],
    )
    accepted = _count(conn, _insert_sql(deduplicate=_has_repeated_ids(conn)))
    # An id that is usable now is no longer a reject.
    conn.execute(
        "delete from rejected_generations where id in "
        "(select id from batch_rows where reject_reason is null)"
    )
    high_water = conn.execute(
        "select max(start_time) from batch_rows where reject_reason is null"
    ).fetchone()[0]
    after = replace(
        counters,
        pages=counters.pages + len(committed),
        rows_loaded=counters.rows_loaded + accepted,
        rows_rejected=counters.rows_rejected + rows_rejected,
    )
    record_checkpoint(conn, day, window_progress(committed), after, high_water, loaded_at)
    return BatchResult(
        committed=committed,
        corrupt=staged.corrupt,
        rows_received=rows_received,
        rows_loaded=accepted,
        rows_new=accepted - replaced,
        rows_rejected=rows_rejected,
        rows_duplicate=rows_received - rows_rejected - accepted,
        robust_pages=staged.robust_pages,
        high_water=high_water,
        counters=after,
    )


_STORED_NEWER_SQL = """
create or replace temp table stored_newer as
select stored.id
from raw_generations as stored
join (
    select id, max(coalesce(updated_at, '-infinity'::timestamp)) as newest
    from batch_rows
    where reject_reason is null
    group by id
) as fresh on stored.id = fresh.id
where stored.partition_date = ?
    and coalesce(stored.updated_at, '-infinity'::timestamp) > fresh.newest
"""

_INSERT_ACCEPTED = (
    "insert into raw_generations by name "
    "select * exclude (seq, element_index, raw, reject_reason) from batch_rows "
    "where reject_reason is null and id not in (select id from stored_newer)"
)


def _has_repeated_ids(conn: duckdb.DuckDBPyConnection) -> bool:
    # One hash aggregate; the window below costs ~5x more, so it runs only when needed.
    return bool(
        _count(
            conn,
            "select count(*) - count(distinct id) from batch_rows where reject_reason is null",
        )
    )


def _insert_sql(*, deduplicate: bool) -> str:
    if not deduplicate:
        return _INSERT_ACCEPTED
    # The copy Langfuse updated last wins, then the one read last (a row that moved between
    # pages while we read, or listed twice before Langfuse merged its updates).
    return (
        f"{_INSERT_ACCEPTED} qualify row_number() over (partition by id "
        "order by updated_at desc nulls last, seq desc, element_index desc) = 1"
    )


def _store_rejects(conn: duckdb.DuckDBPyConnection, day: date) -> int:
    rejected = _count(conn, "select count(*) from batch_rows where reject_reason is not null")
    if not rejected:
        return 0
    # Re-reading the same bad row (re-run, overlap) replaces its earlier record.
    conn.execute(
        """
        delete from rejected_generations as kept
        using (select id, raw from batch_rows where reject_reason is not null) as fresh
        where kept.id = fresh.id
            or (kept.id is null and fresh.id is null and kept.raw::varchar = fresh.raw::varchar)
        """
    )
    conn.execute(
        "insert into rejected_generations (id, partition_date, reason, raw, loaded_at) "
        "select id, ?, reject_reason, raw, loaded_at from batch_rows "
        "where reject_reason is not null",
        [day],
    )
    return rejected


def _pages_before_corruption(
    pages: list[SpooledPage], corrupt: list[SpooledPage]
) -> list[SpooledPage]:
    """Pages that can be committed: those fetched before the first corrupt page.

    Not just per window: a page fetched later may belong to a child window whose split is
    recorded by an earlier page of its parent, and that record must be committed first.
    """
    if not corrupt:
        return pages
    first_bad = min(page.seq for page in corrupt)
    return [p for p in pages if p.seq < first_bad]


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = conn.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0
