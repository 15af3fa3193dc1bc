-- Every page of a batch in one read_json: each file listed in batch_pages holds one page's `data`
-- array (see page_array.py), read as records with a fixed set of columns. Scalars are read as
-- text (any JSON value converts, so an odd type never fails a page) and cast in typed_rows.sql;
-- nested values stay JSON. This is about twice as fast as one from_json per page document.
-- Each row finds its page's attributes by read_json's file_index in lists built once per batch:
-- a hash join on the file name held ~8 MB of hash table for 25 rows, and a batch runs within
-- a small memory_limit (loading_session.py).
with batch as (
    select
        list(seq order by file_index) as seqs,
        list(window_from order by file_index) as windows_from,
        list(window_to order by file_index) as windows_to,
        list(owned_from order by file_index) as owned_froms
    from batch_pages
)

select
    batch.seqs[observations.page] as seq,
    null::bigint as element_index,  -- set from the staged row order afterwards (parse.py)
    batch.windows_from[observations.page] as window_from,
    batch.windows_to[observations.page] as window_to,
    batch.owned_froms[observations.page] as owned_from,
    false as missing_observation,
    null::json as raw,
    null::varchar as shape_problem,
    observations.* exclude (page)
from (
    select
        *,
        file_index::bigint + 1 as page  -- lists count from 1
    from read_json(
        ?,
        format = 'array',
        records = true,
        columns = {{ observation_columns }},
        -- A folder like `id=x` in the spool path must not become a column over the page's own.
        hive_partitioning = false
    )
) as observations
cross join batch
