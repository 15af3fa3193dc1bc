-- raw_generations with its four random ids stored with ZSTD: DuckDB's own choice for them
-- (dictionary + FSST) took ~0.75 CPU-s more to store a day of 1M generations, in a file ~5%
-- smaller (BENCHMARKS.md, seventh session). The JSON documents keep DuckDB's choice: with ZSTD
-- they were cheaper to store still, but the 10M-row model chain then peaked ~110-150 MB higher.
-- The columns and their order are those of migrations 002-004.
-- Only applied to a file whose format can store ZSTD (schema.py): in an older format DuckDB
-- would store these columns uncompressed instead.
create table raw_generations_zstd (
    id varchar not null using compression zstd,
    trace_id varchar using compression zstd,
    parent_observation_id varchar using compression zstd,
    partition_date date not null,
    start_time timestamp not null,
    end_time timestamp,
    completion_start_time timestamp,
    type varchar,
    name varchar,
    level varchar,
    status_message varchar,
    version varchar,
    environment varchar,
    user_id varchar,
    session_id varchar using compression zstd,
    trace_name varchar,
    release varchar,
    tags varchar[],
    model varchar,
    model_id varchar,
    uncached_input_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,
    cache_write_1h_tokens bigint,
    visible_output_tokens bigint,
    reasoning_tokens bigint,
    reported_total_tokens bigint,
    langfuse_total_cost decimal(38, 12),
    langfuse_input_cost decimal(38, 12),
    langfuse_output_cost decimal(38, 12),
    latency_s double,
    time_to_first_token_s double,
    usage_details json,
    cost_details json,
    metadata json,
    loaded_at timestamp not null,
    updated_at timestamp,
    input_audio_tokens bigint,
    output_audio_tokens bigint,
    derived_total_tokens bigint
);

insert into raw_generations_zstd select * from raw_generations;

drop table raw_generations;

alter table raw_generations_zstd rename to raw_generations;
