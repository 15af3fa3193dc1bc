"""Client for Langfuse's ``GET /api/public/v2/observations`` (cursor paging, retries)."""

from cost_pipeline.langfuse.client import ObservationsClient
from cost_pipeline.langfuse.errors import (
    CursorLoopError,
    CursorRejectedError,
    FetchCancelled,
    InvalidPageError,
    LangfuseAuthError,
    LangfuseError,
    LangfuseRequestError,
    LangfuseUnavailableError,
)
from cost_pipeline.langfuse.page import Page
from cost_pipeline.langfuse.query import COST_FIELD_GROUPS, ObservationWindow
from cost_pipeline.langfuse.retry import RequestStats, RetryPolicy

__all__ = [
    "COST_FIELD_GROUPS",
    "CursorLoopError",
    "CursorRejectedError",
    "FetchCancelled",
    "InvalidPageError",
    "LangfuseAuthError",
    "LangfuseError",
    "LangfuseRequestError",
    "LangfuseUnavailableError",
    "ObservationWindow",
    "ObservationsClient",
    "Page",
    "RequestStats",
    "RetryPolicy",
]
