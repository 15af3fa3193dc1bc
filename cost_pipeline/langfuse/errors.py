"""Failures of the Langfuse read API that a caller can act on, each with a message fit for a log."""

from __future__ import annotations


class LangfuseError(RuntimeError):
    """Base class: the message is always safe to log (keys are masked before it is built)."""


class LangfuseAuthError(LangfuseError):
    """401/403: retrying cannot help, the user has to fix a setting."""


class LangfuseRequestError(LangfuseError):
    """The server refused the request itself (400, 404, ...): a bug or an unsupported server."""


class CursorRejectedError(LangfuseRequestError):
    """400/422 to a request carrying a cursor: a cursor saved by an earlier load may no longer
    be accepted (Langfuse upgraded, cursor format changed); one from the same load is a fault."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail  # what the server said, e.g. "HTTP 400: Invalid cursor format"


class LangfuseUnavailableError(LangfuseError):
    """Transient failures outlasted the retry budget."""


class CursorLoopError(LangfuseError):
    """The server handed back a cursor this window had already followed."""


class InvalidPageError(LangfuseError):
    """A 200 response whose body is not a complete observations page (cut or corrupt)."""


class FetchCancelled(LangfuseError):
    """The load was stopped (another part failed) while this fetch waited."""
