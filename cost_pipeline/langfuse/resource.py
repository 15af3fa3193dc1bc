"""The Langfuse connection as a Dagster resource.

Empty fields are resolved from the environment when a run starts (LANGFUSE_BASE_URL or
LANGFUSE_HOST, LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY), so a secret never has to appear in code
or in the run config Dagster displays. Pass ``dg.EnvVar("...")`` to read other variables.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from cost_pipeline import settings
from cost_pipeline.langfuse.budget import RequestBudget
from cost_pipeline.langfuse.client import ObservationsClient, WarningLog
from cost_pipeline.langfuse.retry import RetryPolicy
from cost_pipeline.langfuse.secrets import mask_key


class LangfuseResource(dg.ConfigurableResource):
    base_url: str = Field(default="", description="Empty: LANGFUSE_BASE_URL / LANGFUSE_HOST.")
    public_key: str = Field(default="", description="Empty: LANGFUSE_PUBLIC_KEY.")
    secret_key: str = Field(default="", description="Empty: LANGFUSE_SECRET_KEY.")
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    requests_per_minute: int | None = Field(
        default=None,
        ge=0,
        description="Most API requests a load sends in any 60 s, retries included (Langfuse "
        "Cloud: 1,000/min on Pro and Team, 30/min on Hobby, per organisation). 0: no limit "
        "(self-hosted Langfuse has none). Empty: COST_PIPELINE_REQUESTS_PER_MINUTE, else 1000.",
    )
    # One budget for every client this resource opens in a run: Langfuse counts requests per
    # organisation and minute, so the next day of a range run must not start a fresh minute.
    _budget: RequestBudget | None = PrivateAttr(default=None)

    def __repr_args__(self) -> list[tuple[str | None, Any]]:
        # pydantic builds repr/str from these: keep the keys out of logs and tracebacks.
        masked = {"public_key": mask_key(self.public_key), "secret_key": "***"}
        return [(name, masked.get(name, value)) for name, value in super().__repr_args__()]

    def connection(self) -> settings.LangfuseConnection:
        # The environment only fills what is not configured: a blank LANGFUSE_BASE_URL is an
        # error (settings.py) only where it would be used.
        public_key, secret_key = settings.langfuse_keys()
        return settings.LangfuseConnection(
            base_url=(self.base_url or settings.langfuse_base_url()).rstrip("/"),
            public_key=self.public_key or public_key,
            secret_key=self.secret_key or secret_key,
        )

    def budget_per_minute(self) -> int:
        if self.requests_per_minute is not None:
            return self.requests_per_minute
        return settings.langfuse_requests_per_minute()

    def open_client(
        self,
        policy: RetryPolicy | None = None,
        *,
        max_connections: int = 4,
        log: WarningLog | None = None,
    ) -> ObservationsClient:
        return ObservationsClient(
            self.connection(),
            policy=policy,
            connect_timeout_s=self.connect_timeout_s,
            read_timeout_s=self.read_timeout_s,
            max_connections=max_connections,
            log=log,
            budget=self._shared_budget(),
        )

    def _shared_budget(self) -> RequestBudget | None:
        if self._budget is None and (limit := self.budget_per_minute()):
            self._budget = RequestBudget(limit)
        return self._budget
