-- Synthetic calls of the window that did not arrive in raw_generations as they were sent:
-- missing, with other token counts, or loaded into another day's partition.
with sent as (
    select
        observation_id,
        partition_date,
        coalesce(uncached_input_tokens, 0) as uncached_input_tokens,
        coalesce(cache_read_tokens, 0) as cache_read_tokens,
        coalesce(cache_write_tokens, 0) as cache_write_tokens,
        coalesce(cache_write_1h_tokens, 0) as cache_write_1h_tokens,
        coalesce(visible_output_tokens, 0) as visible_output_tokens,
        coalesce(reasoning_tokens, 0) as reasoning_tokens,
        coalesce(total_tokens, 0) as total_tokens
    from traffic_log
    where partition_date >= $start and partition_date < $end
),

arrived as (
    select
        id,
        partition_date,
        coalesce(uncached_input_tokens, 0) as uncached_input_tokens,
        coalesce(cache_read_tokens, 0) as cache_read_tokens,
        coalesce(cache_write_tokens, 0) as cache_write_tokens,
        coalesce(cache_write_1h_tokens, 0) as cache_write_1h_tokens,
        coalesce(visible_output_tokens, 0) as visible_output_tokens,
        coalesce(reasoning_tokens, 0) as reasoning_tokens,
        coalesce(reported_total_tokens, 0) as total_tokens
    from raw_generations
    where id in (select observation_id from sent)
),

compared as (
    select
        sent.observation_id,
        arrived.id is null as missing,
        arrived.id is not null
        and sent.partition_date is distinct from arrived.partition_date as wrong_day,
        arrived.id is not null and (
            sent.uncached_input_tokens != arrived.uncached_input_tokens
            or sent.cache_read_tokens != arrived.cache_read_tokens
            or sent.cache_write_tokens != arrived.cache_write_tokens
            or sent.cache_write_1h_tokens != arrived.cache_write_1h_tokens
            or sent.visible_output_tokens != arrived.visible_output_tokens
            or sent.reasoning_tokens != arrived.reasoning_tokens
            or sent.total_tokens != arrived.total_tokens
        ) as mismatched,
        [
            sent.uncached_input_tokens, sent.cache_read_tokens, sent.cache_write_tokens,
            sent.cache_write_1h_tokens, sent.visible_output_tokens, sent.reasoning_tokens,
            sent.total_tokens
        ] as sent_tokens,
        [
            arrived.uncached_input_tokens, arrived.cache_read_tokens, arrived.cache_write_tokens,
            arrived.cache_write_1h_tokens, arrived.visible_output_tokens, arrived.reasoning_tokens,
            arrived.total_tokens
        ] as arrived_tokens
    from sent
    left join arrived on arrived.id = sent.observation_id
)

select observation_id, missing, wrong_day, mismatched, sent_tokens, arrived_tokens
from compared
order by observation_id
