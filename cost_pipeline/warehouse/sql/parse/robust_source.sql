-- One page read element by element, so a single odd observation (not an object, duplicate keys)
-- becomes one rejected row with its raw JSON instead of failing the whole page.
with document as (
    select try_cast(content as json) as page
    from read_text(?)
),

element_lists as (
    select from_json(data_array_of(page), '["JSON"]') as element_list
    from document
),

elements as (
    select
        unnest(element_list) as element,
        generate_subscripts(element_list, 1) - 1 as element_index
    from element_lists
),

parsed as (
    select
        element_index,
        element,
        try(from_json(element, '{{ observation_structure }}')) as o
    from elements
)

select
    ?::bigint as seq,
    element_index,
    ?::timestamp as window_from,
    ?::timestamp as window_to,
    ?::timestamp as owned_from,
    o is null as missing_observation,
    coalesce(element, 'null'::json) as raw,  -- a JSON null element comes back as SQL null
    case
        when element is null or json_type(element) <> 'OBJECT'
            then 'observation is not a JSON object'
        when len(json_keys(element)) <> len(list_distinct(json_keys(element)))
            then 'observation has duplicate keys'
    end as shape_problem,
    o.*
from parsed
