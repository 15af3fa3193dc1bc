-- genai-prices' rates change over time (from a date on; for some models by time of day), so a
-- model's rates are kept for each day and period in which they hold, and a generation is priced
-- at those of its own start time. The rows of one rate per model (today's rates, applied to
-- every day) are dropped: the days' rates are computed again before any SQL model reads them
-- (warehouse/prices.py), from the same genai-prices.
drop table model_prices;

create table model_prices (
    model varchar not null,
    partition_date date not null,
    valid_from timestamp not null,  -- the rates hold for calls starting in [valid_from, valid_to)
    valid_to timestamp not null,
    provider_id varchar,
    priced_model_id varchar,
    input_per_token decimal(38, 18),
    cache_read_per_token decimal(38, 18),
    cache_write_per_token decimal(38, 18),
    cache_write_1h_per_token decimal(38, 18),
    output_per_token decimal(38, 18),
    reasoning_per_token decimal(38, 18),
    input_audio_per_token decimal(38, 18),
    output_audio_per_token decimal(38, 18),
    tiered boolean,
    priced_by varchar,
    updated_at timestamp,
    primary key (model, partition_date, valid_from)
);
