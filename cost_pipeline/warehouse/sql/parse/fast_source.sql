-- Every page of a batch in one read_json call: each page is one file listed in batch_pages.
select
    pages.seq,
    pages.window_from,
    pages.window_to,
    observations.o,
    null::json as raw,
    null::varchar as shape_problem
from (
    select
        filename,
        unnest(data) as o
    from read_json(
        ?,
        format = 'unstructured',
        filename = true,
        columns = {'data': '{{ observation_type }}[]'}
    )
) as observations
inner join batch_pages as pages using (filename)
