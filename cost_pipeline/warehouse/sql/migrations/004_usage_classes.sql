-- Usage classes the loader learned later. Audio tokens are priced apart from text ones (OpenAI's
-- audio models). derived_total_tokens is the total of usage that came without one, so that the
-- tokens no class holds (usage under keys the loader does not know) show in every row
-- (stg_generations.unclassified_tokens: the total minus the classes) instead of being lost.
-- Rows loaded before have no audio columns (null): whatever their reported total holds beyond
-- their classes counts as unclassified; a full_refresh of the day reads them with every key.
alter table raw_generations add column if not exists input_audio_tokens bigint;

alter table raw_generations add column if not exists output_audio_tokens bigint;

alter table raw_generations add column if not exists derived_total_tokens bigint;

-- genai-prices' audio rates. Models priced before have none: the ingest asset prices them again
-- (warehouse/prices.py).
alter table model_prices add column if not exists input_audio_per_token decimal(38, 18);

alter table model_prices add column if not exists output_audio_per_token decimal(38, 18);
