-- raw_generations without its primary key. Ids stay unique because every batch deletes its ids
-- from the day's rows and inserts them again in one transaction (upsert.py), and only that asset
-- writes the table. The key's ART index held every id of every day in memory while loading (it
-- grew with the warehouse, not with the batch) and was checked row by row (BENCHMARKS.md,
-- loader section).
create table raw_generations_unkeyed (
    ---------- ids
    id varchar not null,
    trace_id varchar,
    parent_observation_id varchar,
    partition_date date not null,
    ---------- timestamps (UTC, ms)
    start_time timestamp not null,
    end_time timestamp,
    completion_start_time timestamp,
    ---------- observation
    type varchar,
    name varchar,
    level varchar,
    status_message varchar,
    version varchar,
    environment varchar,
    ---------- trace context
    user_id varchar,
    session_id varchar,
    trace_name varchar,
    release varchar,
    tags varchar[],
    ---------- model and usage classes (Langfuse canonical keys, no class overlaps another)
    model varchar,
    model_id varchar,
    uncached_input_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,
    cache_write_1h_tokens bigint,
    visible_output_tokens bigint,
    reasoning_tokens bigint,
    reported_total_tokens bigint,
    ---------- Langfuse's own cost, null when it has none
    langfuse_total_cost decimal(38, 12),
    langfuse_input_cost decimal(38, 12),
    langfuse_output_cost decimal(38, 12),
    latency_s double,
    time_to_first_token_s double,
    ---------- verbatim from the API
    usage_details json,
    cost_details json,
    metadata json,
    loaded_at timestamp not null
);

insert into raw_generations_unkeyed select * from raw_generations;

drop table raw_generations;

alter table raw_generations_unkeyed rename to raw_generations;
