"""The SQL chain for one day: stg_generations -> spend_by_feature_team -> spend_export.

    python -m bench.contender_models --warehouse PATH --first-day 2026-06-01 \
        --last-day 2026-06-10 --exports DIR

Materializes the three real assets for one partition (first day = last day) or a partition
range (one range run, like a backfill) with Dagster, in this process, and reports the chain's
wall time and each asset's own duration from the step events.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.loader_common import cpu_now, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--first-day", required=True)
    parser.add_argument("--last-day", required=True)
    parser.add_argument("--exports", required=True)
    args = parser.parse_args()
    os.environ["COST_PIPELINE_EXPORT_DIR"] = args.exports

    import dagster as dg
    import duckdb

    from cost_pipeline.assets.export import spend_export
    from cost_pipeline.assets.models import sql_model_assets
    from cost_pipeline.warehouse.resource import WarehouseResource

    cpu, wall = cpu_now(), time.perf_counter()
    single = args.first_day == args.last_day
    result = dg.materialize(
        [*sql_model_assets, spend_export],
        partition_key=args.first_day if single else None,
        tags=None
        if single
        else {
            "dagster/asset_partition_range_start": args.first_day,
            "dagster/asset_partition_range_end": args.last_day,
        },
        resources={"warehouse": WarehouseResource(database=args.warehouse)},
    )
    load_cpu, load_wall = cpu_now() - cpu, time.perf_counter() - wall
    steps = {
        event.step_key: round(event.event_specific_data.duration_ms / 1000, 3)
        for event in result.all_events
        if event.event_type_value == "STEP_SUCCESS"
    }
    with duckdb.connect(args.warehouse, read_only=True) as con:
        window = [args.first_day, args.last_day]
        (rows,) = con.execute(
            "select count(*) from stg_generations where partition_date between ? and ?", window
        ).fetchone()
        (mart_rows,) = con.execute(
            "select count(*) from spend_by_feature_team where date between ? and ?", window
        ).fetchone()
    report(
        {
            "rows_loaded": rows,
            "mart_rows": mart_rows,
            "load_cpu_s": round(load_cpu, 3),
            "load_wall_s": round(load_wall, 3),
            "steps_s": steps,
        }
    )


if __name__ == "__main__":
    main()
