-- The verbatim JSON of each observation about to be rejected, cut out of its page file (one
-- parse per page, only for pages holding such rows).
with flagged as (
    select
        seq,
        list(element_index order by element_index) as element_indexes
    from batch_rows
    where reject_reason is not null
    group by seq
),

page_text as (
    select
        flagged.seq,
        flagged.element_indexes,
        files.content
    from flagged
    inner join batch_pages as pages using (seq)
    inner join read_text(?) as files on files.filename = pages.filename
)

select
    seq,
    element_index,
    coalesce(raw, 'null'::json) as raw  -- a JSON null element comes back as SQL null
from (
    select
        seq,
        unnest(element_indexes) as element_index,
        unnest(
            list_select(
                from_json(data_array_of(content::json), '["JSON"]'),
                list_transform(element_indexes, lambda i: i + 1)
            )
        ) as raw
    from page_text
)
