"""Run by test_langfuse_v4.py under ``uv run --with langfuse==4.18.0``: make instrumented calls
against serve-local and print what was recorded as JSON (one line) for the test to verify.

Environment: LANGFUSE_BASE_URL / LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY of the server.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import UTC, datetime

import anthropic
import langfuse
import openai

from cost_pipeline.llm import RecordedCall, instrument, recorded_at, track
from cost_pipeline.llm.usage import usage_details


def main() -> None:
    base = os.environ["LANGFUSE_BASE_URL"]
    client = langfuse.Langfuse(
        public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
        secret_key=os.environ["LANGFUSE_SECRET_KEY"],
        base_url=base,
    )
    recorded: list[RecordedCall] = []
    common = {"feature": "search", "team": "growth", "langfuse": client, "tier": "gold"}
    oa = instrument(
        openai.OpenAI(base_url=f"{base}/openai/v1", api_key="k", max_retries=0),
        on_record=recorded.append,
        **common,
    )
    an = instrument(
        anthropic.Anthropic(base_url=f"{base}/anthropic", api_key="k", max_retries=0),
        on_record=recorded.append,
        **common,
    )
    messages = [{"role": "user", "content": "hello from langfuse 4"}]
    with track(user_id="user-4", session_id="sess-4", trace_name="v4-trace"):
        oa.chat.completions.create(model="o4-mini", messages=messages)
        list(oa.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True))
        an.messages.create(model="claude-haiku-4-5", max_tokens=32, messages=messages)
        with recorded_at(datetime(2026, 3, 5, 8, 30, tzinfo=UTC)):
            list(
                an.messages.create(
                    model="claude-haiku-4-5", max_tokens=32, messages=messages, stream=True
                )
            )
        with contextlib.suppress(openai.RateLimitError):  # recorded as ERROR, then re-raised
            oa.chat.completions.create(
                model="gpt-4o-mini",
                messages=messages,
                extra_headers={"x-simulator-fault": "status-429"},
            )
    client.flush()
    print(
        json.dumps(
            {
                "langfuse_version": langfuse.__version__,
                "calls": [
                    {
                        "trace_id": call.trace_id,
                        "observation_id": call.observation_id,
                        "provider": call.provider,
                        "model": call.model,
                        "level": call.level,
                        "start_time": call.start_time.isoformat(),
                        "usage_details": usage_details(call.usage) if call.usage else {},
                    }
                    for call in recorded
                ],
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
