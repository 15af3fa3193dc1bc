-- Every page of a batch in one statement: each page is one file listed in batch_pages.
-- read_text + from_json is about three times faster than read_json with a typed schema here, and
-- never fails on an odd value (mismatches become nulls that typed_rows.sql names).
with page_lists as (
    select
        filename,
        from_json(content, '{"data": [{{ observation_structure }}]}').data as observations
    from read_text(?)
),

observations as (
    select
        filename,
        unnest(observations) as o,
        generate_subscripts(observations, 1) - 1 as element_index
    from page_lists
)

select
    pages.seq,
    observations.element_index,
    pages.window_from,
    pages.window_to,
    observations.o,
    null::json as raw,
    null::varchar as shape_problem
from observations
inner join batch_pages as pages using (filename)
