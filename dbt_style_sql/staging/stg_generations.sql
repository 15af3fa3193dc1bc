{{ config(materialized='view', partition_by='partition_date') }}

-- One row per generation, attributed to a feature and a team, and priced. No generation is ever
-- dropped: missing context becomes 'unattributed', and a generation whose cost is not known is
-- 'unpriced' (cost_usd null, unpriced_reason says why) so that totals admit they are incomplete.
--
-- A view (dbt's staging convention): readers filter on partition_date, which reaches
-- raw_generations' scan; writing these rows cost more than the mart (10M rows: ~17 s vs ~1 s).
-- Attribution key names (COST_PIPELINE_FEATURE_KEY / _TEAM_KEY) are printed as string literals:
-- a view cannot hold bound parameters. Each materialisation re-creates it with the current keys.

{%- set feature_tag = tag_prefix(var('feature_key')) %}
{#- The costDetails keys that price each token class: Langfuse's, genai-prices' and ours. #}
{%- set cost_keys_by_class = {
    'uncached_input_tokens': ['input', 'input_tokens', 'input_text_tokens'],
    'cache_read_tokens': ['input_cached_tokens', 'input_cache_read', 'cache_read_input_tokens'],
    'cache_write_tokens': ['input_cache_creation', 'input_cache_creation_5m',
        'input_cache_creation_1h', 'cache_creation_input_tokens', 'cache_write_tokens'],
    'input_audio_tokens': ['input_audio_tokens', 'input_audio'],
    'visible_output_tokens': ['output', 'output_tokens', 'output_text_tokens'],
    'reasoning_tokens': ['output_reasoning_tokens', 'output_reasoning', 'reasoning_tokens'],
    'output_audio_tokens': ['output_audio_tokens', 'output_audio'],
} %}
{%- set team_tag = tag_prefix(var('team_key')) %}
{#- Each token class's count, with the model_prices column of its rate. #}
{%- set tokens_by_rate = [
    ('costed.uncached_input_tokens', 'input_per_token'),
    ('costed.cache_read_tokens', 'cache_read_per_token'),
    ('(costed.cache_write_tokens - costed.cache_write_1h_tokens)', 'cache_write_per_token'),
    ('costed.cache_write_1h_tokens', 'cache_write_1h_per_token'),
    ('costed.visible_output_tokens', 'output_per_token'),
    ('costed.reasoning_tokens', 'reasoning_per_token'),
    ('costed.input_audio_tokens', 'input_audio_per_token'),
    ('costed.output_audio_tokens', 'output_audio_per_token'),
] %}
{#- unit: 'usd' (the rate, a missing one as 0) or 'pico' (the same in whole pico-USD). #}
{%- macro cost_sum(unit) -%}
    {%- for tokens, rate in tokens_by_rate -%}
        {{ ' + ' if not loop.first }}{{ tokens }} * prices.{{ unit }}_{{ rate }}
    {%- endfor -%}
{%- endmacro %}

with

source as (

    select * from {{ source('langfuse', 'raw_generations') }}

),

prices as (

    select
        *,
        -- A tier's upper bound as a value, never null: an "is null or" in the join's condition
        -- turns DuckDB's hash join into a nested loop (+10 CPU-s over 10M generations).
        coalesce(input_tokens_to, 9223372036854775807) as input_tokens_below,
        -- Each rate in whole pico-USD (1e-12) per token, when it is one: then a generation's
        -- cost is exact in 64-bit integers (see priced). Null for a rate with finer digits or
        -- above 0.001 USD per token, whose generations take the 128-bit decimal path. One
        -- column per rate, not a list: a list carried through the join and indexed per
        -- generation cost ~1.9 CPU-s more over 10M generations.
        {%- for _, rate in tokens_by_rate %}
        coalesce({{ rate }}, 0) as usd_{{ rate }},
        case
            when usd_{{ rate }} between 0 and 0.001
                and (usd_{{ rate }} * 1000000000000)::bigint = usd_{{ rate }} * 1000000000000
                then (usd_{{ rate }} * 1000000000000)::bigint
        end as pico_{{ rate }},
        {%- endfor %}
        {% for _, rate in tokens_by_rate -%}
        {{ 'and ' if not loop.first }}pico_{{ rate }} is not null
        {% endfor -%}
            as has_pico_rates
    from {{ source('langfuse', 'model_prices') }}

),

renamed as (

    select

        ---------- ids
        id as generation_id,
        trace_id,
        -- An id of only blanks (whitespace, zero-width marks) is no id: it would count as a user.
        case when not regexp_full_match(session_id, {{ only_blanks }}) then session_id end
            as session_id,
        case when not regexp_full_match(user_id, {{ only_blanks }}) then user_id end as user_id,

        ---------- context
        environment,
        name as generation_name,
        trace_name,
        model,
        coalesce(level = 'ERROR', false) as is_error,

        ---------- attribution candidates: metadata first, then "<key>:<value>" tags
        -- Names lose the blanks at their ends (any whitespace, zero-width marks).
        nullif(regexp_replace(
            json_extract_string(metadata, {{ json_pointer(var('feature_key')) }}),
            {{ blank_ends }}, '', 'g'
        ), '') as metadata_feature,
        nullif(regexp_replace(
            json_extract_string(metadata, {{ json_pointer(var('team_key')) }}),
            {{ blank_ends }}, '', 'g'
        ), '') as metadata_team,
        list_transform(
            list_filter(tags, lambda tag: starts_with(tag, {{ feature_tag }})),
            lambda tag: regexp_replace(
                substr(tag, length({{ feature_tag }}) + 1), {{ blank_ends }}, '', 'g'
            )
        ) as feature_tags,
        list_transform(
            list_filter(tags, lambda tag: starts_with(tag, {{ team_tag }})),
            lambda tag: regexp_replace(
                substr(tag, length({{ team_tag }}) + 1), {{ blank_ends }}, '', 'g'
            )
        ) as team_tags,

        ---------- token classes (disjoint: no class includes another)
        coalesce(uncached_input_tokens, 0) as uncached_input_tokens,
        coalesce(cache_read_tokens, 0) as cache_read_tokens,
        coalesce(cache_write_tokens, 0) as cache_write_tokens,
        least(coalesce(cache_write_1h_tokens, 0), coalesce(cache_write_tokens, 0))
            as cache_write_1h_tokens,
        coalesce(visible_output_tokens, 0) as visible_output_tokens,
        coalesce(reasoning_tokens, 0) as reasoning_tokens,
        coalesce(input_audio_tokens, 0) as input_audio_tokens,
        coalesce(output_audio_tokens, 0) as output_audio_tokens,
        reported_total_tokens,
        -- What the usage's total holds beyond the classes: tokens under keys the loader does
        -- not know (negative: the classes hold more than the total). Usage without a total:
        -- the sum of its counts (derived_total_tokens).
        coalesce(coalesce(reported_total_tokens, derived_total_tokens) - (
            coalesce(uncached_input_tokens, 0) + coalesce(cache_read_tokens, 0)
            + coalesce(cache_write_tokens, 0) + coalesce(input_audio_tokens, 0)
            + coalesce(visible_output_tokens, 0) + coalesce(reasoning_tokens, 0)
            + coalesce(output_audio_tokens, 0)
        ), 0) as unclassified_tokens,

        ---------- cost as Langfuse reported it
        langfuse_total_cost,
        json_exists(cost_details, '$.total') as langfuse_cost_has_total,
        -- The keys it is itemised by, for the partial-cost check (flagged).
        list_filter(json_keys(cost_details), lambda key: key <> 'total') as langfuse_cost_keys,

        ---------- timings
        partition_date,
        start_time,
        latency_s,
        time_to_first_token_s

    from source

),

attributed as (

    select
        *,
        list_min(list_filter(feature_tags, lambda value: value <> '')) as tag_feature,
        list_min(list_filter(team_tags, lambda value: value <> '')) as tag_team,
        -- Usage is a token count above 0 in some class: null, {} and all-zero usage are none.
        uncached_input_tokens + cache_read_tokens + cache_write_tokens + input_audio_tokens
        + visible_output_tokens + reasoning_tokens + output_audio_tokens > 0 as has_usage,
        uncached_input_tokens + cache_read_tokens + cache_write_tokens + input_audio_tokens
            as input_tokens
    from renamed

),

costed as (

    select
        *,
        -- Langfuse reports totalCost 0 when it has no price; a cost counts only when it is
        -- non-zero, or when costDetails carries an explicit total for real usage (a model
        -- priced at zero: without usage, a zero total is only a price times nothing).
        coalesce(
            langfuse_total_cost <> 0 or (langfuse_cost_has_total and has_usage), false
        ) as has_langfuse_cost,
        -- Only usage that every token lands in a class of can be priced from rates: tokens
        -- under unknown keys would be priced at 0.
        has_usage and unclassified_tokens = 0 as has_classified_usage
    from attributed

),

priced as (

    select
        costed.*,
        -- Rates without an audio rate (written by other means than genai-prices) leave audio
        -- unpriced rather than priced at 0.
        prices.model is not null
        and (costed.input_audio_tokens = 0 or prices.input_audio_per_token is not null)
        and (costed.output_audio_tokens = 0 or prices.output_audio_per_token is not null)
            as has_price,
        -- Linear in each class (at the rates of the call's tier). Exact either way: with whole
        -- pico-USD rates and counts up to 1e9, every product and the sum stay below 8.1e18, in
        -- 64-bit integers. Otherwise the rates' 18 digits are used and the cost rounded to 12
        -- digits (half away from zero), ~20x slower (a 128-bit rescale per generation).
        case
            when prices.model is null then null
            when prices.has_pico_rates
                and costed.cache_write_1h_tokens between 0 and costed.cache_write_tokens
                {%- for tokens, _ in tokens_by_rate %}
                and {{ tokens }} between 0 and 1000000000
                {%- endfor %}
                then ({{ cost_sum('pico') }})::decimal(38, 0) * 0.000000000001
            else ({{ cost_sum('usd') }})::decimal(38, 12)
        end as recomputed_cost_usd
    from costed
    -- The rates in force when the call started (by day, and by time of day where they vary),
    -- of the tier its input tokens put it in (long-context prices: every token of a call above
    -- a tier's threshold costs the tier's rate; genai-prices counts cache and audio as input).
    left join prices
        on costed.model = prices.model
        and costed.partition_date = prices.partition_date
        and costed.start_time >= prices.valid_from
        and costed.start_time < prices.valid_to
        and costed.input_tokens >= prices.input_tokens_from
        and costed.input_tokens < prices.input_tokens_below

),

flagged as (

    -- Langfuse prices only the usage keys its price for the model names (some models lack a
    -- reasoning key): an itemised cost below genai-prices' price without a key of a class holding
    -- tokens may have left that class out. Flagged, not replaced: a cost the client provided
    -- looks the same (e.g. {input, output, total} at a batch discount) and is right as sent.
    select
        *,
        case when has_langfuse_cost and len(langfuse_cost_keys) > 0 and (false
        {%- for column, keys in cost_keys_by_class.items() %}
            or ({{ column }} > 0 and not list_has_any(langfuse_cost_keys, {{ keys }}))
        {%- endfor %})
            then coalesce(langfuse_total_cost < recomputed_cost_usd * 0.999999, true)
        else false end as langfuse_cost_partial
    from priced

),

final as (

    select

        ---------- ids
        generation_id, trace_id, session_id, user_id,

        ---------- attribution
        coalesce(metadata_feature, tag_feature, 'unattributed') as feature,
        coalesce(metadata_team, tag_team, 'unattributed') as team,
        case when metadata_feature is not null then 'metadata'
            when tag_feature is not null then 'tags' else 'none' end as feature_source,
        case when metadata_team is not null then 'metadata'
            when tag_team is not null then 'tags' else 'none' end as team_source,

        ---------- context
        environment,
        generation_name,
        trace_name,
        model,
        is_error,
        has_usage,

        ---------- tokens
        uncached_input_tokens,
        cache_read_tokens,
        cache_write_tokens,
        cache_write_1h_tokens,
        input_audio_tokens,
        input_tokens,
        visible_output_tokens,
        reasoning_tokens,
        output_audio_tokens,
        visible_output_tokens + reasoning_tokens + output_audio_tokens as output_tokens,
        uncached_input_tokens + cache_read_tokens + cache_write_tokens + input_audio_tokens
        + visible_output_tokens + reasoning_tokens + output_audio_tokens as total_tokens,
        reported_total_tokens,
        unclassified_tokens,

        ---------- cost (USD)
        case
            when has_langfuse_cost then langfuse_total_cost
            when has_price and has_classified_usage then recomputed_cost_usd
        end as cost_usd,
        case
            when has_langfuse_cost then 'langfuse'
            when has_price and has_classified_usage then 'genai_prices'
            else 'unpriced'
        end as cost_source,
        case
            when has_langfuse_cost or (has_price and has_classified_usage) then null
            when unclassified_tokens <> 0 then 'unclassified usage'
            when not has_usage then 'no usage'
            else 'no price'
        end as unpriced_reason,
        case when has_langfuse_cost then langfuse_total_cost end as langfuse_cost_usd,
        langfuse_cost_partial,
        -- Null without usage (as cost_usd): a call recorded without usage is unknown, not free.
        case when has_price and has_usage then recomputed_cost_usd end as genai_prices_cost_usd,

        ---------- timings
        partition_date,
        start_time,
        latency_s,
        time_to_first_token_s

    from flagged

)

select * from final
