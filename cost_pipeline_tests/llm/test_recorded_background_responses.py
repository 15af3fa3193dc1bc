"""``responses.create(background=True)`` through instrumented clients, polled with ``retrieve``
against serve-local's simulator (``in_progress`` on the first retrieve, finished on later ones):
one generation, recorded when the finished response is first seen, read back through the v2 API.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import openai
import pytest

from cost_pipeline.llm import track
from cost_pipeline.llm.background_responses import PendingResponses
from cost_pipeline.llm.pricing import TokenUsage, price_usage
from cost_pipeline_tests.llm.conftest import business_metadata, read_generation
from cost_pipeline_tests.llm.responses_calls import expected_usage, instrumented_openai

# One worker runs the whole module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("llm_background_responses")

FAULT = "x-simulator-fault"
MAX_POLLS = 5  # the simulator finishes a background response on its second retrieve


def _poll(client: Any, response_id: str) -> tuple[Any, list[str]]:
    """Retrieve until finished, as an application polls (no sleeps: the simulator is
    deterministic); the final response and every status seen."""
    statuses = []
    for _ in range(MAX_POLLS):
        response = client.responses.retrieve(response_id)
        statuses.append(response.status)
        if response.status not in ("queued", "in_progress"):
            return response, statuses
    raise AssertionError(f"{response_id} still {statuses[-1]} after {MAX_POLLS} retrieves")


async def _poll_async(client: Any, response_id: str) -> tuple[Any, list[str]]:
    statuses = []
    for _ in range(MAX_POLLS):
        response = await client.responses.retrieve(response_id)
        statuses.append(response.status)
        if response.status not in ("queued", "in_progress"):
            return response, statuses
    raise AssertionError(f"{response_id} still {statuses[-1]} after {MAX_POLLS} retrieves")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _create_and_poll(client: Any, is_async: bool, user: str, **kwargs: Any) -> dict[str, Any]:
    """Create inside ``track(user_id=user)``, poll outside it (in another context), retrieve
    twice more once finished; what each step returned."""

    async def run_async() -> dict[str, Any]:
        with track(user_id=user, session_id="sess-bg"):
            created = await client.responses.create(background=True, **kwargs)
        created_at = datetime.now(UTC)
        with track(feature="poller", user_id="someone-else"):
            final, statuses = await _poll_async(client, created.id)
            again = [await client.responses.retrieve(created.id) for _ in range(2)]
        return {"created": created, "created_at": created_at, "final": final,
                "statuses": statuses, "again": again}  # fmt: skip

    if is_async:
        return asyncio.run(run_async())
    with track(user_id=user, session_id="sess-bg"):
        created = client.responses.create(background=True, **kwargs)
    created_at = datetime.now(UTC)
    with track(feature="poller", user_id="someone-else"):
        final, statuses = _poll(client, created.id)
        again = [client.responses.retrieve(created.id) for _ in range(2)]
    return {"created": created, "created_at": created_at, "final": final,
            "statuses": statuses, "again": again}  # fmt: skip


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_polled_to_completion_records_one_priced_generation_with_the_creates_context(
    server, langfuse, recorded, is_async
):
    client = instrumented_openai(server, langfuse, recorded, is_async, feature="search", team="g")
    before = datetime.now(UTC)
    seen = _create_and_poll(client, is_async, "user-bg", model="gpt-4o-mini", input="Say hi.")

    created, final = seen["created"], seen["final"]
    assert (created.status, created.usage) == ("queued", None)
    assert seen["statuses"] == ["in_progress", "completed"]
    assert all(r.status == "completed" for r in seen["again"])
    assert len(recorded) == 1, "recorded once, when first seen finished, never on later polls"
    call = recorded[0]
    assert call.context.user_id == "user-bg"
    assert before <= call.start_time <= seen["created_at"], "starts when the create started"

    generation = read_generation(server, langfuse, call)
    assert generation["name"] == "openai.responses" and generation["level"] == "DEFAULT"
    assert generation["model"] == final.model == "gpt-4o-mini-2024-07-18"
    assert final.usage.output_tokens > 0
    assert generation["usageDetails"] == expected_usage(final.usage)
    tokens = TokenUsage(input=final.usage.input_tokens, output=final.usage.output_tokens)
    assert generation["costDetails"]["total"] == pytest.approx(
        float(price_usage(final.model, tokens).total), rel=1e-9
    )
    assert business_metadata(generation) == {"feature": "search", "team": "g", "provider": "openai"}
    assert (generation["userId"], generation["sessionId"]) == ("user-bg", "sess-bg")
    assert generation["tags"] == ["feature:search", "team:g"]
    assert generation["modelParameters"] == {"background": "true"}
    assert abs(_time(generation["startTime"]) - call.start_time) < timedelta(milliseconds=1)
    assert _time(generation["startTime"]) <= _time(generation["endTime"])


def test_failed_background_response_is_an_error_with_its_usage(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    created = client.responses.create(
        model="gpt-4o-mini", input="x", background=True, extra_headers={FAULT: "response-failed"}
    )
    final, _ = _poll(client, created.id)
    assert final.status == "failed" and final.usage is not None
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["level"] == "ERROR"
    assert generation["statusMessage"] == (
        "response failed: server_error: The model failed to finish (simulated)."
    )
    assert generation["usageDetails"] == expected_usage(final.usage)


def test_cancelled_background_response_is_recorded_once_without_usage(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    created = client.responses.create(model="gpt-4o-mini", input="x", background=True)
    cancelled = client.responses.cancel(created.id)
    assert (cancelled.status, cancelled.usage) == ("cancelled", None)
    assert client.responses.retrieve(created.id).status == "cancelled"
    assert len(recorded) == 1
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == {} and not generation["costDetails"]
    assert business_metadata(generation)["usage_missing"] is True


def test_unknown_and_other_clients_ids_pass_through_unrecorded(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(f"resp_unknown{uuid.uuid4().hex}")
    others: list = []
    other_client = instrumented_openai(server, langfuse, others, is_async=False)
    theirs = other_client.responses.create(model="gpt-4o-mini", input="x", background=True)
    final, _ = _poll(client, theirs.id)  # finished, but created elsewhere
    assert final.status == "completed" and final.usage is not None
    assert recorded == [] and others == []
    plain = client.unwrapped.responses.create(model="gpt-4o-mini", input="x", background=True)
    assert _poll(client, plain.id)[0].status == "completed"
    assert recorded == []


def test_with_options_copy_records_what_its_original_created(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    created = client.responses.create(model="gpt-4o-mini", input="x", background=True)
    _poll(client.with_options(timeout=30.0), created.id)
    assert len(recorded) == 1 and recorded[0].usage is not None


def test_plain_create_is_recorded_at_once_as_before(server, langfuse, recorded):
    client = instrumented_openai(server, langfuse, recorded, is_async=False)
    response = client.responses.create(model="gpt-4o-mini", input="x", background=False)
    assert response.status == "completed" and len(recorded) == 1
    generation = read_generation(server, langfuse, recorded[0])
    assert generation["usageDetails"] == expected_usage(response.usage)
    assert generation["modelParameters"] == {"background": "false"}


def test_pending_ids_are_bounded_oldest_dropped_with_a_warning(caplog):
    pending = PendingResponses(limit=2)
    with caplog.at_level(logging.WARNING, logger="cost_pipeline.llm"):
        for response_id in ("resp_a", "resp_b", "resp_c"):
            pending.remember(response_id, object())  # type: ignore[arg-type]
    assert len(pending) == 2
    assert pending.take("resp_a") is None and pending.take("resp_c") is not None
    assert "resp_a" in caplog.text
