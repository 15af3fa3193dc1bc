-- Is this page file a JSON `data` array (or a whole page document with one)? (null: not JSON)
select
    page is not null and json_type(data_array_of(page)) = 'ARRAY' as usable,
    page is null as invalid_json
from (select try_cast(content as json) as page from read_text(?))
