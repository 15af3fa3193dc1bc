"""The per-day plan: deterministic, inside the day, never in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cost_pipeline.traffic.plan import plan_calls
from cost_pipeline.traffic.prompts import request_for
from cost_pipeline.traffic.workload import WorkloadError, load_workload

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def workload():
    return load_workload().with_overrides(calls_per_partition=400)


def test_same_seed_and_day_plan_the_same_calls(workload):
    assert plan_calls(workload, date(2026, 3, 5), NOW) == plan_calls(
        workload, date(2026, 3, 5), NOW
    )
    assert plan_calls(workload, date(2026, 3, 5), NOW) != plan_calls(
        workload, date(2026, 3, 6), NOW
    )
    reseeded = workload.with_overrides(seed=1)
    assert plan_calls(reseeded, date(2026, 3, 5), NOW) != plan_calls(
        workload, date(2026, 3, 5), NOW
    )


def test_start_times_fall_inside_the_day_in_order(workload):
    day = date(2026, 3, 5)
    starts = [call.start for call in plan_calls(workload, day, NOW)]
    assert starts == sorted(starts)
    assert all(start.date() == day and start.tzinfo is not None for start in starts)
    assert starts[-1] - starts[0] > timedelta(hours=20)  # spread over the day


def test_today_stops_at_now_and_future_days_are_refused(workload):
    starts = [call.start for call in plan_calls(workload, NOW.date(), NOW)]
    assert all(NOW.replace(hour=0) <= start < NOW for start in starts)
    with pytest.raises(WorkloadError, match="not started"):
        plan_calls(workload, NOW.date() + timedelta(days=1), NOW)


def test_shares_and_faults(workload):
    calls = plan_calls(workload, date(2026, 3, 5), NOW)
    streamed = sum(call.stream for call in calls) / len(calls)
    assert abs(streamed - workload.stream_share) < 0.1
    assert any(not call.attributed for call in calls)
    assert {call.model.provider for call in calls} == {"openai", "anthropic"}
    assert not any(
        call.fault for call in plan_calls(workload, date(2026, 3, 5), NOW, with_faults=False)
    )


def test_requests_use_each_sdks_shape(workload):
    calls = plan_calls(workload, date(2026, 3, 5), NOW)
    by_provider = {call.model.provider: call for call in calls if call.stream}
    openai_kwargs = request_for(by_provider["openai"], simulated=True)
    assert openai_kwargs["messages"][0]["role"] == "system" and openai_kwargs["stream"] is True
    anthropic_kwargs = request_for(by_provider["anthropic"], simulated=False)
    assert anthropic_kwargs["max_tokens"] > 0 and "extra_headers" not in anthropic_kwargs
    faulty = next(call for call in calls if call.fault)
    assert request_for(faulty, simulated=True)["extra_headers"]["x-simulator-fault"] == faulty.fault
    assert "extra_headers" not in request_for(faulty, simulated=False)
