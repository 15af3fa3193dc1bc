"""The common batch in one statement: its pages parsed, typed and inserted straight into
``raw_generations``, with no staged copy of the rows.

Staging a batch in a temp table first (parse.py / upsert.py, the careful path) costs a second
copy of every row; it is only needed when a batch holds something to sort out: a row to reject,
an id twice, a page that does not fit the typed read. Those are rare, so a batch is first
written optimistically: any such row makes the statement fail (``error()`` in the SQL, or the
typed read's own error), the transaction is rolled back, and the caller writes the batch the
careful way. Either way the batch lands whole with its checkpoint, or not at all.

The rows a statement inserted are told apart from older ones by their ``loaded_at``: the pipeline
hands each batch a newer one than any stored. Should stored rows share it anyway, those with one
of the batch's ids show up as a repeated id, and the batch goes the careful way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import duckdb

from cost_pipeline.warehouse.batch_result import BatchResult, window_progress
from cost_pipeline.warehouse.day_ids import add_batch_hashes, ensure_day_hashes
from cost_pipeline.warehouse.parse import fast_typed_sql, register_batch_pages
from cost_pipeline.warehouse.spool import SpooledPage
from cost_pipeline.warehouse.state import LoadCounters, record_checkpoint

_NOT_WRITTEN = ("seq", "element_index", "raw", "reject_reason")


def _insert_sql() -> str:
    return (
        f"insert into raw_generations by name "
        f"select * exclude ({', '.join(_NOT_WRITTEN)}) from ({fast_typed_sql()}) "
        # A row the careful path would reject stops the statement: that batch goes there.
        "where case when reject_reason is null then true "
        "else error('single pass: a row to reject') end"
    )


# Only this batch's rows carry its loaded_at.
_THIS_BATCH = "partition_date = $day and loaded_at = $loaded_at"


# The batch's repeated ids, its newest start time, and whether any of its ids hashes like one
# stored before it (day_ids.py; only then is there an earlier copy to look for). Ids hash alike
# at least as often as they repeat, so counting hashes lets no repeated id through.
_BATCH_FIGURES_SQL = f"""
with fresh as (select hash(id) as h, start_time from raw_generations where {_THIS_BATCH})
select
    count(*) - count(distinct h),
    max(start_time),
    exists (select 1 from stored_id_hashes where stored_id_hashes.h in (select h from fresh))
from fresh
"""


# For each id of this batch stored before, the copy that gives way (its loaded_at): the one
# Langfuse updated earlier, and on a tie the stored one (this batch read it later). The rule of
# cross_day.py, within the day.
_SUPERSEDED_SQL = f"""
create or replace temp table superseded as
select
    fresh.id,
    case
        when coalesce(stored.updated_at, '-infinity'::timestamp)
            > coalesce(fresh.updated_at, '-infinity'::timestamp)
            then fresh.loaded_at
        else stored.loaded_at
    end as loaded_at
from raw_generations as stored
join (select id, updated_at, loaded_at from raw_generations where {_THIS_BATCH}) as fresh
    on stored.id = fresh.id
where stored.partition_date = $day and stored.loaded_at <> $loaded_at
"""


def write_single_pass(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    pages: list[SpooledPage],
    loaded_at: datetime,
    counters: LoadCounters,
) -> BatchResult | None:
    """Write ``pages`` in one pass and commit; None (nothing written) when the batch needs the
    careful path."""
    register_batch_pages(conn, pages)
    ensure_day_hashes(conn, day)
    conn.execute("begin")
    try:
        result = _write(conn, day, pages, loaded_at, counters)
    except (duckdb.InvalidInputException, duckdb.ConversionException):
        # A row to reject, a value the typed read cannot take, a page that is not JSON.
        conn.execute("rollback")
        return None
    except BaseException:
        conn.execute("rollback")
        raise
    if result is None:
        conn.execute("rollback")
        return None
    conn.execute("commit")
    return result


def _write(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    pages: list[SpooledPage],
    loaded_at: datetime,
    counters: LoadCounters,
) -> BatchResult | None:
    inserted = _count(conn, _insert_sql(), [[p.path for p in pages], loaded_at])
    batch = {"day": day, "loaded_at": loaded_at}
    repeated, high_water, meets_stored = conn.execute(_BATCH_FIGURES_SQL, batch).fetchone()
    if repeated:
        return None  # which copy wins depends on page order: the careful path knows it
    # An id that is usable now is no longer a reject.
    conn.execute(
        f"delete from rejected_generations where id in "
        f"(select id from raw_generations where {_THIS_BATCH})",
        batch,
    )
    replaced, stale = (0, 0) if not meets_stored else _supersede_earlier_copies(conn, batch)
    add_batch_hashes(conn, day, loaded_at)
    loaded = inserted - stale
    after = replace(
        counters, pages=counters.pages + len(pages), rows_loaded=counters.rows_loaded + loaded
    )
    record_checkpoint(conn, day, window_progress(pages), after, high_water, loaded_at)
    return BatchResult(
        committed=pages,
        corrupt=[],
        rows_received=inserted,
        rows_loaded=loaded,
        rows_new=loaded - replaced,
        rows_rejected=0,
        rows_duplicate=stale,
        robust_pages=0,
        high_water=high_water,
        counters=after,
        single_pass=True,
    )


def _supersede_earlier_copies(
    conn: duckdb.DuckDBPyConnection, batch: dict[str, object]
) -> tuple[int, int]:
    """Earlier copies of the batch's ids (an overlapping window, a re-run) give way to the
    batch's, unless Langfuse updated the stored copy later: then the batch's copy is the stale
    one. Returns (stored copies replaced, batch copies that were stale)."""
    conn.execute(_SUPERSEDED_SQL, batch)
    replaced, stale = conn.execute(
        "select count(*) filter (where loaded_at <> $loaded_at), "
        "count(*) filter (where loaded_at = $loaded_at) from superseded",
        {"loaded_at": batch["loaded_at"]},
    ).fetchone()
    if replaced or stale:
        conn.execute(
            "delete from raw_generations as r using superseded as s where r.partition_date = "
            "$day and r.id = s.id and r.loaded_at = s.loaded_at",
            {"day": batch["day"]},
        )
    return replaced, stale


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: object) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0
