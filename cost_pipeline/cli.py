"""`cost-pipeline` console script.

Subcommands live beside the code they drive and are imported only when invoked, so that
`cost-pipeline serve-local` starts without paying for Dagster's import time.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command
SUBCOMMANDS: dict[str, str] = {
    "serve-local": "cost_pipeline.local.commands:serve_local",
    "seed": "cost_pipeline.local.commands:seed",
    "demo": "cost_pipeline.demo.command:demo",
    "dev": "cost_pipeline.demo.command:dev",
    "recover": "cost_pipeline.recovery.command:recover",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup)
def main() -> None:
    """LLM cost attribution: Langfuse generations -> DuckDB -> spend by feature and team."""


if __name__ == "__main__":
    main()
