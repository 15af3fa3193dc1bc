-- Observations (flat columns from fast_source.sql or robust_source.sql) -> raw_generations
-- columns, plus the reason a row cannot be used (null when it can). Nothing here raises on odd
-- values.
with source as (
    {{ source }}
),

typed as (
    select
        seq,
        element_index,
        window_from,
        window_to,
        owned_from,
        raw,
        shape_problem,
        o.missing_observation,
        ---------- ids
        nullif(o.id, '') as id,
        nullif(o.traceId, '') as trace_id,
        nullif(o.parentObservationId, '') as parent_observation_id,
        ---------- timestamps
        o.startTime as start_time_text,
        utc_ms(o.startTime) as start_time,
        utc_ms(o.endTime) as end_time,
        utc_ms(o.completionStartTime) as completion_start_time,
        -- Which of two copies of one generation is newer (cross_day.py).
        utc_ms(o.updatedAt) as updated_at,
        ---------- observation (Langfuse sends "" for unset strings)
        nullif(o.type, '') as type,
        nullif(o.name, '') as name,
        nullif(o.level, '') as level,
        nullif(o.statusMessage, '') as status_message,
        nullif(o.version, '') as version,
        nullif(o.environment, '') as environment,
        ---------- trace context
        nullif(o.userId, '') as user_id,
        nullif(o.sessionId, '') as session_id,
        nullif(o.traceName, '') as trace_name,
        nullif(o.release, '') as release,
        o.tags as tags,
        ---------- model, usage, cost
        nullif(o.model, '') as model,
        coalesce(nullif(o.modelId, ''), nullif(o.internalModelId, '')) as model_id,
        o.usageDetails as usage_details,
        -- Integer view of the usage classes; only trusted once usage_problem is null.
        from_json(o.usageDetails, '{{ usage_bigint_struct }}') as u,
        -- Fast screen: every value a small non-negative integer needs no per-key check.
        coalesce(regexp_full_match(o.usageDetails, '{{ clean_usage_pattern }}'), true)
            as usage_clean,
        o.costDetails as cost_details,
        o.costDetails -> '$.total' as total_cost_json,
        usd_amount(o.costDetails -> '$.total') as total_cost,
        o.inputCost as input_cost_text,
        o.outputCost as output_cost_text,
        o.latency as latency_text,
        o.timeToFirstToken as time_to_first_token_text,
        o.metadata as metadata
    from source as o
),

usage_checked as (
    select
        *,
        -- The first usage key whose value is not a plausible token count (screened rows only).
        case
            when not usage_clean and json_type(usage_details) = 'OBJECT'
                then list_filter(
                    {{ usage_keys }},
                    lambda k:
                        not token_count_ok(usage_details -> ('$."' || k || '"'), {{ max_tokens }})
                )[1]
        end as bad_usage_key
    from typed
),

checked as (
    select
        *,
        case
            when shape_problem is not null then shape_problem
            when missing_observation then 'observation is not a JSON object'
            when id is null then 'missing id'
            when length(id) > 512 then 'id longer than 512 characters'
            when start_time_text is null then 'missing startTime'
            when start_time is null
                then 'startTime is not an ISO-8601 timestamp: ' || excerpt(start_time_text)
            when start_time < window_from or start_time >= window_to
                then 'startTime is outside the requested window ['
                    || strftime(window_from, '%Y-%m-%dT%H:%M:%S') || ', '
                    || strftime(window_to, '%Y-%m-%dT%H:%M:%S') || '): '
                    || strftime(start_time, '%Y-%m-%dT%H:%M:%S.%g')
            when json_type(usage_details) not in ('OBJECT', 'NULL')
                then 'usageDetails is not a JSON object: ' || excerpt(usage_details)
            when bad_usage_key is not null
                then 'usageDetails.' || bad_usage_key || ' is not a plausible token count: '
                    || excerpt(usage_details -> ('$."' || bad_usage_key || '"'))
            when json_type(cost_details) not in ('OBJECT', 'NULL')
                then 'costDetails is not a JSON object: ' || excerpt(cost_details)
            when total_cost_json is not null
                and json_type(total_cost_json) <> 'NULL'
                and coalesce(not total_cost between 0 and {{ max_usd }}, true)
                then 'costDetails.total is not a plausible USD amount: '
                    || excerpt(total_cost_json)
        end as reject_reason
    from usage_checked
),

final as (
    select
        seq,
        element_index,
        raw,
        reject_reason,
        ---------- ids
        id,
        trace_id,
        parent_observation_id,
        start_time::date as partition_date,
        ---------- timestamps
        start_time,
        end_time,
        completion_start_time,
        updated_at,
        ---------- observation
        type,
        name,
        level,
        status_message,
        version,
        environment,
        ---------- trace context
        user_id,
        session_id,
        trace_name,
        release,
        tags,
        ---------- model and usage classes (missing keys count 0)
        -- Langfuse keeps usage keys as the client sent them: aliases of one class (first found
        -- wins) and disjoint parts of one class (added up). The sums are left null on rejected
        -- rows, whose counts may overflow; accepted counts are <= max_tokens.
        model,
        model_id,
        case when reject_reason is null then
            coalesce(u."input", u."input_tokens", 0) + coalesce(u."input_text_tokens", 0)
        end as uncached_input_tokens,
        coalesce(
            u."input_cached_tokens",
            u."input_cache_read",
            u."cache_read_input_tokens",
            0
        ) as cache_read_tokens,
        coalesce(
            u."input_cache_creation",
            case
                when u."input_cache_creation_5m" is not null
                    or u."input_cache_creation_1h" is not null
                    -- hugeint: a hostile pair (2^63 - 1 and 1) must not overflow before
                    -- the row is rejected; accepted rows hold counts <= max_tokens.
                    then coalesce(u."input_cache_creation_5m", 0)::hugeint
                    + coalesce(u."input_cache_creation_1h", 0)
            end,
            u."cache_creation_input_tokens",
            u."cache_write_tokens",
            0
        ) as cache_write_tokens,
        coalesce(u."input_cache_creation_1h", 0) as cache_write_1h_tokens,
        coalesce(u."input_audio_tokens", u."input_audio", 0) as input_audio_tokens,
        -- Accepted and rejected predicted-output tokens are billed as output (OpenAI).
        case when reject_reason is null then
            coalesce(u."output", u."output_tokens", 0) + coalesce(u."output_text_tokens", 0)
            + coalesce(u."output_accepted_prediction_tokens", 0)
            + coalesce(u."output_rejected_prediction_tokens", 0)
        end as visible_output_tokens,
        coalesce(
            u."output_reasoning_tokens",
            u."output_reasoning",
            u."reasoning_tokens",
            0
        ) as reasoning_tokens,
        coalesce(u."output_audio_tokens", u."output_audio", 0) as output_audio_tokens,
        u."total" as reported_total_tokens,
        -- Usage without a total (Langfuse always adds one): the sum of its counts, as Langfuse
        -- computes a missing total, so that tokens under keys no class reads still show
        -- (unclassified_tokens in stg_generations). Only such rows pay for reading every key:
        -- nested cases, because DuckDB may evaluate the terms of an "and" in either order, and
        -- json_type parses the whole document (+6% on the typing of a batch when it ran first).
        case when u."total" is null then
            case when json_type(usage_details) = 'OBJECT' then
                coalesce(
                    list_sum(list_transform(
                        list_filter(
                            map_entries(json_transform(usage_details, '"MAP(VARCHAR, JSON)"')),
                            lambda e:
                                coalesce(token_count(e.value) between 0 and {{ max_tokens }}, false)
                        ),
                        lambda e: token_count(e.value)
                    )),
                    0
                )
            end
        end as derived_total_tokens,
        ---------- Langfuse's cost: only when it reports a total
        total_cost as langfuse_total_cost,
        case when total_cost is not null then usd_text(input_cost_text) end
            as langfuse_input_cost,
        case when total_cost is not null then usd_text(output_cost_text) end
            as langfuse_output_cost,
        coalesce(
            try_cast(latency_text as double),
            date_diff('millisecond', start_time, end_time) / 1000.0
        ) as latency_s,
        coalesce(
            try_cast(time_to_first_token_text as double),
            date_diff('millisecond', start_time, completion_start_time) / 1000.0
        ) as time_to_first_token_s,
        ---------- verbatim
        usage_details,
        cost_details,
        metadata,
        ?::timestamp as loaded_at
    from checked
    -- A split window's first page: rows from before owned_from belong to (and are read by) the
    -- child windows that now cover that part of the window (langfuse/windows.py).
    -- (owned_from first: most pages have none, and their rows skip the time comparison)
    where owned_from is null
        or not coalesce(start_time >= window_from and start_time < owned_from, false)
)

select * from final
