"""The code location loads, and every CLI entry point finds it."""

import subprocess
import sys
import tomllib
from pathlib import Path

import dagster as dg
import yaml

from cost_pipeline.definitions import defs
from cost_pipeline.partitions import daily_partitions
from cost_pipeline.warehouse.resource import WRITER_POOL

ROOT = Path(__file__).resolve().parents[2]
ASSETS = {
    "llm_traffic",
    "raw_generations",
    "stg_generations",
    "spend_by_feature_team",
    "spend_export",
}


def test_definitions_validate_loadable():
    dg.Definitions.validate_loadable(defs)


def test_the_chain_shares_one_partitioning_and_every_warehouse_step_is_in_the_writer_pool():
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == ASSETS
    for assets_def in defs.resolve_all_asset_specs():
        assert assets_def.partitions_def == daily_partitions, assets_def.key
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if not assets_def.keys:
            continue  # checks run in their asset's run
        # A backfill of any range is one run (what Dagster plans from this policy).
        assert assets_def.backfill_policy == dg.BackfillPolicy.single_run(), assets_def.keys
    job = defs.resolve_job_def("daily_spend_job")
    for node in job.graph.node_defs:
        if "warehouse" in node.required_resource_keys:
            assert node.pool == WRITER_POOL, node.name
    lineage = [
        ("raw_generations", "llm_traffic"),
        ("stg_generations", "raw_generations"),
        ("spend_by_feature_team", "stg_generations"),
        ("spend_export", "spend_by_feature_team"),
    ]
    for child, parent in lineage:
        assert dg.AssetKey(parent) in graph.get(dg.AssetKey(child)).parent_keys


def test_checks_are_registered():
    checks = {
        (key.asset_key.to_user_string(), key.name)
        for key in defs.resolve_asset_graph().asset_check_keys
    }
    assert {
        ("raw_generations", "unique_ids"),
        ("spend_by_feature_team", "unattributed_share"),
        ("spend_by_feature_team", "unpriced_calls"),
        ("spend_by_feature_team", "synthetic_traffic_canary"),
    } <= checks


def test_workspace_yaml_and_pyproject_point_at_the_same_module():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "cost_pipeline.definitions"
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert tool["dagster"]["module_name"] == "cost_pipeline.definitions"
    assert tool["dg"]["project"]["code_location_target_module"] == "cost_pipeline.definitions"


def test_dagster_cli_validates_the_workspace(tmp_path):
    completed = subprocess.run(
        [
            Path(sys.executable).parent / "dagster",
            "definitions",
            "validate",
            "-w",
            "workspace.yaml",
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert (
        "Validation successful for code location cost_pipeline"
        in completed.stdout + completed.stderr
    )
