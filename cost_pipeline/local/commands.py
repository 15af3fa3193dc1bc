"""Click commands ``cost-pipeline serve-local`` and ``cost-pipeline seed``."""

from __future__ import annotations

import sys
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import click
import orjson

from cost_pipeline import settings
from cost_pipeline.local.knobs import ENV_PREFIX, Knobs, knobs_from_env, validated_updates

_KNOB_HELP = {
    "rate_limit_per_minute": "Read requests allowed per minute, then 429 (0 = unlimited).",
    "error_rate": "Share of read pages answered with 500.",
    "drop_rate": "Share of read pages whose connection is cut mid-body.",
    "truncate_rate": "Share of read pages whose JSON body is cut short.",
    "invalid_json_rate": "Share of read pages answered with a non-JSON body.",
    "repeat_cursor_rate": "Share of cursor pages whose meta.cursor repeats the request's.",
    "page_latency_ms": "Delay added before every read page (a far network).",
    "visibility_delay_s": "Seconds before ingested rows become readable.",
    "fault_seed": "Seed of the random fault sequence.",
    "fail_next": 'JSON list of faults for the next reads, e.g. [{"status":429,"count":2}].',
}


def _knob_options(command: Any) -> Any:
    for knob in reversed(fields(Knobs)):
        flag = "--" + knob.name.replace("_", "-")
        help_text = f"{_KNOB_HELP[knob.name]} [env {ENV_PREFIX}{knob.name.upper()}]"
        metavar = "JSON" if knob.name == "fail_next" else "NUMBER"
        option = click.option(flag, knob.name, default=None, metavar=metavar, help=help_text)
        command = option(command)
    return command


def _knobs(flag_values: dict[str, Any]) -> Knobs:
    given = {name: value for name, value in flag_values.items() if value is not None}
    if "fail_next" in given:
        given["fail_next"] = orjson.loads(given["fail_next"])
    try:
        merged = {**knobs_from_env(), **validated_updates(given)}
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise click.BadParameter(str(exc)) from None
    return Knobs(**merged)


@click.command("serve-local")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=3000, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where data lives [default: $COST_PIPELINE_HOME/langfuse-local].",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@_knob_options
def serve_local(
    host: str, port: int, data_dir: Path | None, log_level: str, **knob_values: Any
) -> None:
    """Run the local Langfuse-compatible server (and the provider simulator)."""
    from cost_pipeline.local.config import build_config
    from cost_pipeline.local.server import run_server

    knobs = _knobs(knob_values)
    config = build_config(host, port, data_dir)

    def announce(base_url: str) -> None:
        secret = (
            f"{settings.LOCAL_SECRET_KEY} (local default)"
            if config.uses_default_secret
            else "set from LANGFUSE_SECRET_KEY (not shown)"
        )
        click.echo(f"serve-local listening on {base_url}")
        click.echo(f"  data dir:   {config.data_dir}")
        click.echo(f"  public key: {config.public_key}")
        click.echo(f"  secret key: {secret}")
        click.echo(f"  admin key:  in {config.runtime_file} (mode 0600)")
        click.echo(f"  export LANGFUSE_BASE_URL={base_url}")
        sys.stdout.flush()

    run_server(config, knobs, announce, log_level)


@click.command("seed")
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="UTC day the generations start in (YYYY-MM-DD).",
)
@click.option("--count", required=True, type=click.IntRange(min=1), help="How many generations.")
@click.option(
    "--seed", "random_seed", default=0, show_default=True, type=int, help="Same seed, same rows."
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="serve-local data dir [default: $COST_PIPELINE_HOME/langfuse-local].",
)
def seed(day: Any, count: int, random_seed: int, data_dir: Path | None) -> None:
    """Bulk-load realistic generations for one day straight into serve-local's store."""
    from cost_pipeline.local.seed import seed_generations

    target = (data_dir or settings.local_data_dir()).expanduser()
    summary = seed_generations(target, date.fromordinal(day.toordinal()), count, random_seed)
    click.echo(
        f"seeded {summary.rows:,} generations for {summary.day} "
        f"in {summary.seconds:.1f} s ({summary.rows / max(summary.seconds, 1e-9):,.0f} rows/s) "
        f"into {summary.db_path}"
    )
