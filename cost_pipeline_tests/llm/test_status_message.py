"""Error status messages keep the provider's reason but never a key."""

from __future__ import annotations

import httpx
import openai

from cost_pipeline.llm.recording import status_message_for


def test_status_code_and_type_lead_the_message():
    response = httpx.Response(429, request=httpx.Request("POST", "http://x/v1/chat/completions"))
    error = openai.RateLimitError("Rate limit reached", response=response, body=None)
    assert status_message_for(error) == "429 RateLimitError: Rate limit reached"


def test_keys_in_provider_messages_are_masked():
    error = ValueError("Incorrect API key provided: sk-proj-AbC123xyz987 (also pk-lf-1234567)")
    message = status_message_for(error)
    assert "AbC123" not in message and "1234567" not in message
    assert message == "ValueError: Incorrect API key provided: sk-*** (also pk-***)"
