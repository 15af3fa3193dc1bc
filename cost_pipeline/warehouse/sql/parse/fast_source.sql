-- Every page of a batch in one read_json: each file listed in batch_pages holds one page's `data`
-- array (see page_array.py), read as records with a fixed set of columns. Scalars are read as
-- text (any JSON value converts, so an odd type never fails a page) and cast in typed_rows.sql;
-- nested values stay JSON. This is about twice as fast as one from_json per page document.
select
    pages.seq,
    null::bigint as element_index,  -- set from the staged row order afterwards (parse.py)
    pages.window_from,
    pages.window_to,
    pages.owned_from,
    false as missing_observation,
    null::json as raw,
    null::varchar as shape_problem,
    observations.* exclude (filename)
from read_json(
    ?,
    format = 'array',
    records = true,
    columns = {{ observation_columns }},
    filename = true
) as observations
inner join batch_pages as pages on pages.filename = observations.filename
