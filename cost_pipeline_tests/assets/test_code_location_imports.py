"""Loading the code location does not import the provider or Langfuse SDKs: every Dagster process
(the UI's code server, each run and step) loads it, and only llm_traffic sends calls. Together
they are ~75 MB of RSS and ~2 s of start-up per process."""

import subprocess
import sys

SDKS = ("openai", "anthropic", "langfuse", "opentelemetry")


def modules_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in output.split()}


def test_loading_the_code_location_leaves_the_sdks_unimported():
    loaded = modules_after("from cost_pipeline.definitions import defs")
    assert "dagster" in loaded and "cost_pipeline" in loaded
    assert loaded.isdisjoint(SDKS), sorted(loaded & set(SDKS))


def test_the_traffic_runner_does_import_them():
    # The check above would pass vacuously if the SDK names were wrong.
    loaded = modules_after("import cost_pipeline.traffic.runner")
    assert {"openai", "anthropic", "langfuse"} <= loaded
