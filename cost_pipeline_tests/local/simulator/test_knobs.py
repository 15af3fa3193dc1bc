"""Knob validation and the seeded error sequence."""

from __future__ import annotations

import pytest

from cost_pipeline.local.simulator import SimulatorKnobs


def test_update_rejects_bad_values_without_changing_anything():
    knobs = SimulatorKnobs()
    with pytest.raises(ValueError, match="error_rate"):
        knobs.update(latency_ms=5, error_rate=1.5)
    with pytest.raises(ValueError, match="unknown"):
        knobs.update(colour=1)
    with pytest.raises(ValueError, match="latency_ms"):
        knobs.update(latency_ms=-1)
    assert knobs.snapshot() == {"latency_ms": 0.0, "error_rate": 0.0, "seed": 0}


def test_same_seed_same_failures_and_rate_is_respected():
    def failures(seed: int) -> list[bool]:
        knobs = SimulatorKnobs()
        knobs.update(error_rate=0.3, seed=seed)
        return [knobs.should_fail() for _ in range(2000)]

    assert failures(7) == failures(7)
    assert failures(7) != failures(8)
    assert 0.25 < sum(failures(7)) / 2000 < 0.35


def test_changing_the_seed_restarts_the_sequence():
    knobs = SimulatorKnobs()
    knobs.update(error_rate=0.5, seed=1)
    first = [knobs.should_fail() for _ in range(50)]
    knobs.update(seed=2)
    knobs.update(seed=1)
    assert [knobs.should_fail() for _ in range(50)] == first
