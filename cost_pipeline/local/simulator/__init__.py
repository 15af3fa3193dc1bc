"""OpenAI- and Anthropic-compatible provider simulator served by ``cost-pipeline serve-local``.

Point the real SDKs at it with ``OPENAI_BASE_URL=<base>/openai/v1`` and
``ANTHROPIC_BASE_URL=<base>/anthropic`` (any non-empty API key); OpenAI's chat completions and
Responses API (``instructions`` counted as the system message), Anthropic's messages. Rules:

- tokens: 4 characters of the canonical prompt (tools, system, ``role: text`` lines) per token;
- OpenAI caches repeated prefixes of 1024+ tokens in 128-token steps (``cached_tokens``);
  Anthropic caches up to ``cache_control`` breakpoints (creation first, reads afterwards, 5m/1h);
- reasoning tokens for o-series / gpt-5 models, thinking tokens for Claude with ``thinking``;
- aliases answer with the resolved snapshot name (``gpt-4o-mini`` -> ``gpt-4o-mini-2024-07-18``);
- ``knobs.latency_ms`` / ``knobs.error_rate`` / ``knobs.seed`` apply to every request;
- header ``x-simulator-fault: no-usage | status-<code>`` or a model named ``sim-no-usage*``
  force one request's fault; ``response-failed`` ends a Responses stream in ``response.failed``.
"""

from cost_pipeline.local.simulator.knobs import SimulatorKnobs, knobs
from cost_pipeline.local.simulator.request_checks import FAULT_HEADER
from cost_pipeline.local.simulator.routes import simulator_routes

__all__ = ["FAULT_HEADER", "SimulatorKnobs", "knobs", "simulator_routes"]
