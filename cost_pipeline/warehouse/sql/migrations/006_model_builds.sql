-- What each day of a table model was last built from: raw_generations' rows of that day, as
-- their number and the newest loaded_at among them. Every load writes its rows with a newer
-- loaded_at than any stored, so a day whose figures differ now was loaded again since the build
-- (spend_export refuses to publish it), even when the reload kept the number of rows.
create table if not exists model_builds (
    model varchar not null,
    partition_date date not null,
    generations bigint not null,
    newest_loaded_at timestamp,  -- null for a day without generations
    built_at timestamp not null
);
