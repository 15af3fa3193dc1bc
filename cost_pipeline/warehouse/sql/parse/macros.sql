-- Helpers for turning Langfuse JSON values into typed columns without ever failing a batch:
-- anything unusable becomes null here and is named as the row's reject reason further on.

-- ISO-8601 text -> naive UTC timestamp at Langfuse's millisecond precision: "Z" and numeric
-- offsets (+hh:mm, +hhmm, +hh) are converted, text without an offset is UTC (the session time
-- zone, parse.prepare_session). The format Langfuse sends (UTC, "Z") is cast directly (a plain
-- cast ignores any other offset, hence the pattern; 2-3x cheaper than strptime); anything else
-- goes through a time-zone aware cast.
-- A named time zone ("10:00 Asia/Tokyo", "EST", "UTC") gives null, i.e. the row is rejected as
-- not ISO-8601 (it is not). Not converted because in DuckDB 1.4.4 the timestamptz cast keeps
-- the last zone name it read for the offset-less values after it in the same vector (up to 2048
-- rows): one such row would silently shift its neighbours (warehouse/test_timestamp_zones.py).
-- Langfuse never sends zone names, and abbreviations are ambiguous, so no per-row conversion.
-- The allowed text (digits, separators, one "T", a final "Z") holds no zone name, so the cast's
-- zone stays the session's for every row.
-- (case, not coalesce: only rows in another format pay for the slow path)
create or replace temp macro utc_ms(iso_text) as
    case
        when iso_text like '____-__-__T__:__:__.___Z'
            then try_cast(iso_text as timestamp)
        when regexp_full_match(iso_text, '[0-9 :.+-]*(T[0-9 :.+-]*)?Z?')
            then date_trunc('millisecond', timezone('UTC', try_cast(iso_text as timestamptz)))
    end;

-- A token count is a JSON integer; floats, strings and overflowing numbers are not.
create or replace temp macro token_count(value) as
    case when json_type(value) in ('UBIGINT', 'BIGINT') then try_cast(value as bigint) end;

create or replace temp macro token_count_ok(value, max_tokens) as
    value is null
    or json_type(value) = 'NULL'
    or coalesce(token_count(value) between 0 and max_tokens, false);

create or replace temp macro usd_amount(value) as
    case
        when json_type(value) in ('UBIGINT', 'BIGINT', 'DOUBLE')
            then try_cast(value as decimal(38, 12))
    end;

-- Decimal text -> USD. decimal(18, 12) parses as a 64-bit integer (about 20x faster than the
-- 128-bit decimal(38, 12) parse, measured); only values beyond its range take the wide parse.
create or replace temp macro usd_text(value) as
    coalesce(try_cast(value as decimal(18, 12)), try_cast(value as decimal(38, 12)));

create or replace temp macro usd_amount_ok(value, max_usd) as
    value is null
    or json_type(value) = 'NULL'
    or coalesce(usd_amount(value) between 0 and max_usd, false);

-- Short, single-line excerpt of a JSON value for a reject reason.
create or replace temp macro excerpt(value) as
    left(replace(coalesce(value::varchar, 'null'), chr(10), ' '), 80);

-- A spooled page file holds the page's `data` array; a whole page document (a body the spool
-- could not slice) is accepted too.
create or replace temp macro data_array_of(page) as
    case when json_type(page) = 'ARRAY' then page else page -> '$.data' end;
