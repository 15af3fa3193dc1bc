{{ config(partition_by='date') }}

-- Daily LLM spend per feature and team: the table BI tools read and spend_export writes out.
-- cost_usd is complete only when unpriced_calls is 0: an unpriced generation (no price, no
-- usage, or usage the loader could not classify) counts in calls and tokens but adds nothing to
-- cost.

with

generations as (

    select * from {{ ref('stg_generations') }}
    where
        partition_date >= {{ partition_start }}
        and partition_date < {{ partition_end }}

),

aggregated as (

    select

        ---------- grain
        partition_date as date,
        feature,
        team,

        ---------- calls
        count(*) as calls,
        count(*) filter (where cost_source <> 'unpriced') as priced_calls,
        count(*) filter (where cost_source = 'unpriced') as unpriced_calls,
        count(*) filter (where cost_source = 'langfuse') as langfuse_priced_calls,
        count(*) filter (where cost_source = 'genai_prices') as genai_prices_priced_calls,
        count(*) filter (where is_error) as error_calls,
        count(*) filter (where not has_usage) as calls_without_usage,
        count(*) filter (where unclassified_tokens <> 0) as calls_with_unclassified_usage,

        ---------- tokens
        sum(input_tokens)::bigint as input_tokens,
        sum(uncached_input_tokens)::bigint as uncached_input_tokens,
        sum(cache_read_tokens)::bigint as cache_read_tokens,
        sum(cache_write_tokens)::bigint as cache_write_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(reasoning_tokens)::bigint as reasoning_tokens,
        sum(input_audio_tokens)::bigint as input_audio_tokens,
        sum(output_audio_tokens)::bigint as output_audio_tokens,
        sum(total_tokens)::bigint as total_tokens,

        ---------- cost (USD)
        coalesce(sum(cost_usd), 0)::decimal(38, 12) as cost_usd,
        coalesce(sum(cost_usd) filter (where cost_source = 'langfuse'), 0)::decimal(38, 12)
            as langfuse_cost_usd,
        coalesce(sum(cost_usd) filter (where cost_source = 'genai_prices'), 0)::decimal(38, 12)
            as genai_prices_cost_usd,

        ---------- people
        count(distinct user_id) as users,
        count(distinct session_id) as sessions,
        count(distinct model) as models

    from generations
    group by partition_date, feature, team

),

final as (

    select * from aggregated

)

select * from final
