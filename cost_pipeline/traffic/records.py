"""One sent call as traffic_log stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cost_pipeline.llm import RecordedCall
from cost_pipeline.llm.usage import total_tokens
from cost_pipeline.traffic.plan import PlannedCall

COLUMNS = (
    "observation_id",
    "trace_id",
    "batch_id",
    "call_index",
    "partition_date",
    "start_time",
    "provider",
    "requested_model",
    "model",
    "feature",
    "team",
    "user_id",
    "session_id",
    "stream",
    "level",
    "status_message",
    "usage_missing",
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "visible_output_tokens",
    "reasoning_tokens",
    "total_tokens",
    "expected_cost_usd",
    "logged_at",
)


@dataclass(frozen=True)
class TrafficRecord:
    call: PlannedCall
    recorded: RecordedCall
    batch_id: str
    day: date

    @property
    def feature(self) -> str | None:
        return self.call.feature.name if self.call.attributed else None

    @property
    def team(self) -> str | None:
        return self.call.feature.team if self.call.attributed else None

    @property
    def usage_missing(self) -> bool:
        # Failed calls have no usage by nature; only answered calls without usage are flagged.
        return self.recorded.usage is None and self.recorded.level != "ERROR"

    @property
    def total_tokens(self) -> int:
        return 0 if self.recorded.usage is None else total_tokens(self.recorded.usage)

    @property
    def expected_cost_usd(self) -> Decimal | None:
        cost = (self.recorded.cost_details or {}).get("total")
        return None if cost is None else Decimal(str(cost))

    def row(self) -> tuple[Any, ...]:
        recorded, call, usage = self.recorded, self.call, self.recorded.usage
        counts: tuple[int | None, ...] = (None,) * 7
        if usage is not None:
            counts = (
                usage.input,
                usage.cache_read,
                usage.cache_write + usage.cache_write_1h,
                usage.cache_write_1h,
                usage.output,
                usage.reasoning,
                total_tokens(usage),
            )
        return (
            recorded.observation_id,
            recorded.trace_id,
            self.batch_id,
            call.index,
            self.day,
            _naive_utc(recorded.start_time),
            recorded.provider,
            recorded.requested_model,
            recorded.model,
            self.feature,
            self.team,
            call.user_id,
            call.session_id,
            recorded.stream,
            recorded.level,
            recorded.status_message,
            self.usage_missing,
            *counts,
            self.expected_cost_usd,
            _naive_utc(datetime.now(UTC)),
        )


def _naive_utc(moment: datetime) -> datetime:
    # The warehouse stores naive UTC timestamps (ARCHITECTURE.md).
    return moment.astimezone(UTC).replace(tzinfo=None)
