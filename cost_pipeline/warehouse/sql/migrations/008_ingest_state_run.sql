-- The attempt that holds a day's load: its Dagster run id, its mode (a resumed attempt keeps the
-- load's own mode in `mode`) and when it began (`started_at` is the load's first attempt). A
-- process killed with -9, or a host that dies, records no outcome; the next load of the day
-- finds the state still `running` and records that attempt in ingest_runs from these columns
-- (vanished_load.py). States written before this migration have none: the run id is then null.
alter table ingest_state add column if not exists run_id varchar;
alter table ingest_state add column if not exists run_mode varchar;
alter table ingest_state add column if not exists run_started_at timestamp;
