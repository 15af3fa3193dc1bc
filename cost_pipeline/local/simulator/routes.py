"""The simulator's Starlette routes, each set with its own prompt cache."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from cost_pipeline.local.simulator.anthropic_routes import AnthropicMessages, count_tokens_route
from cost_pipeline.local.simulator.knobs import SimulatorKnobs, knobs
from cost_pipeline.local.simulator.openai_responses_routes import OpenAIResponses
from cost_pipeline.local.simulator.openai_routes import OpenAIChat
from cost_pipeline.local.simulator.prompt_cache import PromptCache

OPENAI_PREFIX = "/openai/v1"
ANTHROPIC_PREFIX = "/anthropic"


def simulator_routes(settings: SimulatorKnobs | None = None) -> list[BaseRoute]:
    """Routes for ``OPENAI_BASE_URL=<base>/openai/v1`` and ``ANTHROPIC_BASE_URL=<base>/anthropic``.

    ``settings`` defaults to the module-level ``knobs`` that serve-local's admin route changes.
    """
    active = settings or knobs
    cache = PromptCache()
    responses = OpenAIResponses(active, cache)
    return [
        Route(
            f"{OPENAI_PREFIX}/chat/completions", OpenAIChat(active, cache).handle, methods=["POST"]
        ),
        Route(f"{OPENAI_PREFIX}/responses", responses.handle, methods=["POST"]),
        Route(
            f"{OPENAI_PREFIX}/responses/{{response_id}}",
            responses.background.retrieve,
            methods=["GET"],
        ),
        Route(
            f"{OPENAI_PREFIX}/responses/{{response_id}}",
            responses.background.delete,
            methods=["DELETE"],
        ),
        Route(
            f"{OPENAI_PREFIX}/responses/{{response_id}}/cancel",
            responses.background.cancel,
            methods=["POST"],
        ),
        Route(f"{ANTHROPIC_PREFIX}/v1/messages/count_tokens", count_tokens_route, methods=["POST"]),
        Route(
            f"{ANTHROPIC_PREFIX}/v1/messages",
            AnthropicMessages(active, cache).handle,
            methods=["POST"],
        ),
    ]
