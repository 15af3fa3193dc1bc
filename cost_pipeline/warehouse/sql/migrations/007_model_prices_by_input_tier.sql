-- Long-context models charge every token of a call at a higher rate once its input tokens pass
-- a threshold (genai-prices' tiers). A model's rates in a period are kept per tier of input
-- size: [input_tokens_from, input_tokens_to) (null: no upper bound), and a generation is priced
-- at the tier of its input tokens (uncached + cache read + cache write + audio). Rows kept from
-- before hold for every size; genai-prices' rows of tiered models go, so that the next load or
-- model build prices those days again with their tiers (warehouse/prices.py).
create table model_prices_by_tier (
    model varchar not null,
    partition_date date not null,
    valid_from timestamp not null,  -- the rates hold for calls starting in [valid_from, valid_to)
    valid_to timestamp not null,
    input_tokens_from bigint not null default 0,  -- ... with at least this many input tokens
    input_tokens_to bigint,  -- ... and fewer than this many (null: no upper bound)
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
    primary key (model, partition_date, valid_from, input_tokens_from)
);

insert into model_prices_by_tier by name
select * from model_prices
where not (coalesce(tiered, false) and starts_with(coalesce(priced_by, ''), 'genai-prices '));

drop table model_prices;

alter table model_prices_by_tier rename to model_prices;
