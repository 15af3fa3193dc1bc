"""Filters of one ``GET /api/public/v2/observations`` window, sent unchanged with every cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

OBSERVATIONS_PATH = "/api/public/v2/observations"

# Every group cost work reads. Never "io": prompts and completions dominate the bytes.
COST_FIELD_GROUPS: tuple[str, ...] = (
    "core",
    "basic",
    "time",
    "model",
    "usage",
    "metadata",
    "trace_context",
)

MAX_PAGE_LIMIT = 1000


def iso_utc(moment: datetime) -> str:
    """Millisecond ISO-8601 in UTC with ``Z``: the precision Langfuse stores start times at."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ObservationWindow:
    """Generations with ``from_start <= startTime < to_start``, newest first."""

    from_start: datetime
    to_start: datetime
    limit: int = MAX_PAGE_LIMIT
    fields: tuple[str, ...] = COST_FIELD_GROUPS
    expand_metadata: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"page limit must be 1..{MAX_PAGE_LIMIT}, got {self.limit}")
        if "io" in self.fields:
            raise ValueError("the io field group is never requested: it is not needed for cost")
        if self.to_start <= self.from_start:
            raise ValueError(f"empty window: {self.describe()}")

    def params(self, cursor: str | None) -> list[tuple[str, str]]:
        # The same filters on every page: the cursor only says where to continue inside them.
        params = [
            ("type", "GENERATION"),
            ("fromStartTime", iso_utc(self.from_start)),
            ("toStartTime", iso_utc(self.to_start)),
            ("limit", str(self.limit)),
            ("fields", ",".join(self.fields)),
        ]
        if self.expand_metadata:
            params.append(("expandMetadata", ",".join(self.expand_metadata)))
        if cursor:
            params.append(("cursor", cursor))
        return params

    def describe(self) -> str:
        return f"[{iso_utc(self.from_start)}, {iso_utc(self.to_start)})"
