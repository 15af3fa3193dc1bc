-- Tables written by the raw_generations asset. Column contract: ARCHITECTURE.md.

create table if not exists raw_generations (
    ---------- ids
    id varchar primary key,
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

create table if not exists model_prices (
    model varchar primary key,
    provider_id varchar,
    priced_model_id varchar,
    input_per_token decimal(38, 18),
    cache_read_per_token decimal(38, 18),
    cache_write_per_token decimal(38, 18),
    cache_write_1h_per_token decimal(38, 18),
    output_per_token decimal(38, 18),
    reasoning_per_token decimal(38, 18),
    tiered boolean,
    priced_by varchar,
    updated_at timestamp
);

-- Observations that could not be used, kept with the reason instead of being dropped.
create table if not exists rejected_generations (
    id varchar,
    partition_date date not null,
    reason varchar not null,
    raw json,
    loaded_at timestamp not null
);

-- One row per partition: what the last (or current) load of that day did and where it stands.
create table if not exists ingest_state (
    partition_date date primary key,
    status varchar not null,        -- running | failed | complete
    mode varchar not null,          -- full | incremental | resumed
    high_water timestamp,           -- max start_time ever loaded for the day
    last_cursor varchar,            -- cursor after the last committed page (null when done)
    window_from timestamp,
    window_to timestamp,
    pages bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_rejected bigint not null default 0,
    api_requests bigint not null default 0,
    api_bytes bigint not null default 0,
    retries bigint not null default 0,
    retry_wait_s double not null default 0,
    started_at timestamp,
    updated_at timestamp,
    finished_at timestamp,
    duration_s double,
    error varchar
);

-- The time windows of the current load of a day and how far each has been read. A crashed load
-- continues each open window from its cursor.
create table if not exists ingest_windows (
    partition_date date not null,
    window_from timestamp not null,
    window_to timestamp not null,
    status varchar not null,        -- open | complete
    next_cursor varchar,            -- null: start of the window (open) or nothing left (complete)
    pages bigint not null default 0,
    updated_at timestamp,
    primary key (partition_date, window_from)
);

-- History: one row per load attempt.
create table if not exists ingest_runs (
    run_id varchar,
    partition_date date not null,
    mode varchar,
    status varchar,
    window_from timestamp,
    window_to timestamp,
    pages bigint,
    rows_loaded bigint,
    rows_new bigint,
    rows_rejected bigint,
    api_requests bigint,
    api_bytes bigint,
    retries bigint,
    retry_wait_s double,
    started_at timestamp,
    finished_at timestamp,
    duration_s double,
    error varchar
);
