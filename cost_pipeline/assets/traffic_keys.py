"""``llm_traffic`` checks the Langfuse keys before it sends a single call.

The Langfuse SDK exports spans in the background and a refused export (HTTP 401 for wrong keys)
only reaches its log: the run would log every call in traffic_log and succeed while Langfuse
holds none of them. ``Langfuse.auth_check()`` asks ``GET /api/public/projects`` with the same
client, so it sees the keys and host the exporter will use.

Imported only when traffic is sent: it loads the Langfuse SDK (~2 s).
"""

from __future__ import annotations

import httpx
import orjson
from langfuse import Langfuse
from langfuse.api.core import ApiError

from cost_pipeline import settings
from cost_pipeline.langfuse.errors import LangfuseAuthError, LangfuseRequestError
from cost_pipeline.langfuse.messages import FailureMessages

NOTHING_SENT = " No LLM calls were sent."


def check_langfuse_keys(langfuse: Langfuse, connection: settings.LangfuseConnection) -> None:
    """Raise, naming the LANGFUSE_* variable to fix, unless Langfuse accepts the keys."""
    messages = FailureMessages(connection)
    try:
        accepted = langfuse.auth_check()
    except ApiError as error:
        status = error.status_code or 0
        body = _body_bytes(error.body)
        if status in (401, 403):
            raise LangfuseAuthError(messages.auth(status, body) + NOTHING_SENT) from None
        raise LangfuseRequestError(
            messages.scrub(
                f"Langfuse at LANGFUSE_BASE_URL ({connection.base_url}) answered the key check "
                f"(GET /api/public/projects) with HTTP {status}: {messages.server_text(body)}."
                + NOTHING_SENT
            )
        ) from None
    except httpx.HTTPError as error:
        raise LangfuseRequestError(
            messages.scrub(
                f"Langfuse is unreachable at LANGFUSE_BASE_URL ({connection.base_url}): "
                f"{type(error).__name__}: {error}." + NOTHING_SENT
            )
        ) from None
    except Exception as error:  # what auth_check raises when the keys see no project
        raise LangfuseAuthError(
            messages.scrub(
                f"Langfuse at LANGFUSE_BASE_URL ({connection.base_url}) accepted the keys but "
                f"showed no project for them ({error}): check LANGFUSE_PUBLIC_KEY "
                f"({settings.mask_key(connection.public_key)})." + NOTHING_SENT
            )
        ) from None
    if not accepted:  # the SDK's client is disabled, e.g. without a public key
        raise LangfuseAuthError(
            "the Langfuse SDK could not check the keys (its client is not initialised): set "
            "LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_BASE_URL." + NOTHING_SENT
        )


def _body_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    try:
        return orjson.dumps(body)
    except TypeError:
        return str(body).encode()
