"""The workload file: the shipped one is valid, bad ones fail with the key that is wrong."""

from __future__ import annotations

import pytest
import yaml

from cost_pipeline.traffic.workload import DEFAULT_WORKLOAD, WorkloadError, load_workload


def _write(tmp_path, data) -> str:
    path = tmp_path / "workload.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _valid() -> dict:
    return yaml.safe_load(DEFAULT_WORKLOAD.read_text())


def test_shipped_workload_covers_both_providers_and_streaming():
    workload = load_workload()
    providers = {model.provider for model in workload.models.values()}
    assert providers == {"openai", "anthropic"}
    assert workload.calls_per_partition > 0 and 0 < workload.stream_share < 1
    assert all(feature.team for feature in workload.features)


def test_overrides_replace_scalars_and_are_validated():
    workload = load_workload().with_overrides(calls_per_partition=7, seed=None, stream_share=1.0)
    assert workload.calls_per_partition == 7 and workload.stream_share == 1.0
    with pytest.raises(WorkloadError, match="stream_share"):
        workload.with_overrides(stream_share=1.5)
    with pytest.raises(WorkloadError, match="features"):
        workload.with_overrides(features=[])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["models"]["gpt-4o-mini"].pop("provider"), "models.gpt-4o-mini"),
        (lambda d: d["features"][0]["models"].update({"gpt-9": 1}), "gpt-9"),
        (lambda d: d.update(calls_per_partition=-1), "calls_per_partition"),
        (lambda d: d.update(calls_per_partition="many"), "calls_per_partition"),
        (lambda d: d["faults"].update(error=2), "faults.error"),
        (lambda d: d.pop("users"), "users"),
        (lambda d: d["features"][1].pop("team"), r"features\[1\]"),
    ],
)
def test_bad_workloads_name_the_key(tmp_path, change, message):
    data = _valid()
    change(data)
    with pytest.raises(WorkloadError, match=message):
        load_workload(_write(tmp_path, data))


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(WorkloadError, match="cannot read"):
        load_workload(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [unclosed")
    with pytest.raises(WorkloadError, match="not valid YAML"):
        load_workload(broken)
