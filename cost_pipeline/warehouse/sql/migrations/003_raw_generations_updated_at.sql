-- When Langfuse last updated each generation: of two copies of one generation (its start time
-- moved across midnight), the newer one is kept (cross_day.py). Rows loaded before this column
-- existed have none; for them the copy loaded last wins.
alter table raw_generations add column if not exists updated_at timestamp;
