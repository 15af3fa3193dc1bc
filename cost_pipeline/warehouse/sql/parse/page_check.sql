-- Is this page file a JSON document with a `data` array? (null page: not valid JSON)
select
    page is not null and json_type(page -> '$.data') = 'ARRAY' as usable,
    page is null as invalid_json
from (select try_cast(content as json) as page from read_text(?))
