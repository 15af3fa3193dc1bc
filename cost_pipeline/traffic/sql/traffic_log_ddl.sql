-- What llm_traffic sent: one row per generation, expected tokens per class as the provider
-- reported them (same class split as raw_generations, so the canary compares column by column).
create table if not exists traffic_log (
    observation_id varchar primary key,
    trace_id varchar not null,
    batch_id varchar not null,          -- the Dagster run that sent the call
    call_index integer not null,
    partition_date date not null,
    start_time timestamp not null,      -- UTC
    provider varchar not null,
    requested_model varchar not null,
    model varchar,                      -- as the response named it
    feature varchar,
    team varchar,
    user_id varchar,
    session_id varchar,
    stream boolean not null,
    level varchar not null,
    status_message varchar,
    usage_missing boolean not null,
    uncached_input_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,          -- 5m + 1h
    cache_write_1h_tokens bigint,
    visible_output_tokens bigint,
    reasoning_tokens bigint,
    total_tokens bigint,
    expected_cost_usd decimal(38, 12),
    logged_at timestamp not null
)
