"""The lifecycle of one Langfuse generation around a provider call.

Recording must never break the caller's LLM call: problems while recording are logged, the
provider's response (or exception) always reaches the caller unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from langfuse import LangfuseGeneration, get_client, propagate_attributes
from opentelemetry import context as otel_context

from cost_pipeline.llm.call import DEFAULT_GENERATION_NAMES, CallConfig, CallSpec, RecordedCall
from cost_pipeline.llm.clock import CallClock
from cost_pipeline.llm.context import CallContext, current_context
from cost_pipeline.llm.costing import cost_details
from cost_pipeline.llm.langfuse_compat import open_generation
from cost_pipeline.llm.pricing import PriceContext, TokenUsage
from cost_pipeline.llm.usage import usage_details

logger = logging.getLogger("cost_pipeline.llm")

UsageMapper = Callable[[Any], TokenUsage | None]
_KEY_LIKE = re.compile(r"\b(sk|pk|sk-ant|sk-proj|sk-lf|pk-lf)-[A-Za-z0-9_\-]{6,}")
MAX_STATUS_CHARS = 1000


def status_message_for(exc: BaseException) -> str:
    """``429 RateLimitError: ...`` with anything that looks like a key masked."""
    status = getattr(exc, "status_code", None)
    text = f"{type(exc).__name__}: {exc}"
    if status is not None:
        text = f"{status} {text}"
    return _KEY_LIKE.sub(lambda m: m.group(1) + "-***", text)[:MAX_STATUS_CHARS]


def _search_flags(tokens: TokenUsage) -> dict[str, int]:
    """Metadata counts of the searches billed per call (not tokens), those made only."""
    counts = {
        "web_search_requests": tokens.web_searches,
        "file_search_requests": tokens.file_searches,
    }
    return {key: count for key, count in counts.items() if count}


class ActiveGeneration:
    """An open generation; exactly one of ``succeed`` / ``fail`` / ``abandon`` ends it."""

    def __init__(
        self,
        spec: CallSpec,
        config: CallConfig,
        context: CallContext,
        generation: LangfuseGeneration,
        clock: CallClock,
        map_usage: UsageMapper,
    ) -> None:
        self._spec = spec
        self._config = config
        self._context = context
        self._generation = generation
        self._clock = clock
        self._map_usage = map_usage
        self._completion_start: datetime | None = None
        self.ended = False

    def first_token(self) -> None:
        if self._completion_start is None:
            self._completion_start = self._clock.now()

    def succeed(
        self,
        *,
        model: str | None,
        usage: Any,
        output: Any,
        price_context: PriceContext = (),
        failure: str | None = None,
    ) -> None:
        """The response arrived; ``failure``: it says the model failed (a Responses stream's
        ``response.failed``), recorded as ERROR with that message and the usage it reports."""
        flags: dict[str, Any] = {}
        tokens: TokenUsage | None = None
        try:
            tokens = self._map_usage(usage)
        except ValueError as exc:
            logger.warning("%s usage could not be read, recorded without usage: %s", model, exc)
            flags["usage_invalid"] = True
        if tokens is None:
            flags["usage_missing"] = True
            if "usage_invalid" not in flags:
                logger.warning(
                    "%s response (model %s) carried no usage; recorded without usage_details",
                    self._spec.provider,
                    model or self._spec.requested_model,
                )
        if tokens is not None:
            # Searches are billed, not tokens: the count goes beside the usage, its cost in it.
            flags.update(_search_flags(tokens))
        details = usage_details(tokens) if tokens else None
        costs = cost_details(model, tokens, price_context) if tokens else None
        self._end(
            level="ERROR" if failure else "DEFAULT",
            status=failure[:MAX_STATUS_CHARS] if failure else None,
            model=model,
            tokens=tokens,
            details=details,
            costs=costs,
            output=output,
            flags=flags,
        )

    def fail(self, exc: BaseException) -> None:
        cancelled = not isinstance(exc, Exception)
        status = "cancelled before the response arrived" if cancelled else status_message_for(exc)
        level: Literal["WARNING", "ERROR"] = "WARNING" if cancelled else "ERROR"
        self._end(level=level, status=status, flags={})

    def abandon(
        self, *, model: str | None, usage: Any, output: Any, price_context: PriceContext = ()
    ) -> None:
        """The caller stopped reading a stream early: keep what arrived, flag it."""
        tokens = None
        with suppress(ValueError):
            tokens = self._map_usage(usage)
        flags: dict[str, Any] = {"stream_incomplete": True}
        if tokens is None:
            flags["usage_missing"] = True
        else:
            flags.update(_search_flags(tokens))
        self._end(
            level="WARNING",
            status="stream closed before the provider finished",
            model=model,
            tokens=tokens,
            details=usage_details(tokens) if tokens else None,
            costs=cost_details(model, tokens, price_context) if tokens else None,
            output=output,
            flags=flags,
        )

    def _end(
        self,
        *,
        level: Literal["DEFAULT", "WARNING", "ERROR"],
        status: str | None,
        flags: dict[str, Any],
        model: str | None = None,
        tokens: TokenUsage | None = None,
        details: dict[str, int] | None = None,
        costs: dict[str, float] | None = None,
        output: Any = None,
    ) -> None:
        if self.ended:
            return
        self.ended = True
        try:
            self._generation.update(
                model=model or self._spec.requested_model,
                output=output if self._config.capture_io else None,
                usage_details=details,
                cost_details=costs,
                completion_start_time=self._completion_start,
                level=level if level != "DEFAULT" else None,
                status_message=status,
                metadata=flags or None,
            )
            self._generation.end(end_time=self._clock.now_ns() if self._clock.explicit else None)
        except Exception:  # never let recording break the caller's call
            logger.exception("recording the %s generation failed", self._spec.provider)
            return
        if self._config.on_record is not None:
            self._config.on_record(
                RecordedCall(
                    provider=self._spec.provider,
                    trace_id=self._generation.trace_id,
                    observation_id=self._generation.id,
                    requested_model=self._spec.requested_model,
                    model=model,
                    start_time=datetime.fromtimestamp(self._clock.start_ns / 1e9, tz=UTC),
                    usage=tokens,
                    usage_details=details,
                    cost_details=costs,
                    level=level,
                    status_message=status,
                    context=self._context,
                    stream=self._spec.stream,
                )
            )


@dataclass(frozen=True)
class CallStart:
    """What a call's generation needs from the moment the call started, kept when the
    generation is opened later (a background response): its business context, its clock and
    the OpenTelemetry context (parent span) it was made in."""

    context: CallContext
    clock: CallClock = field(default_factory=CallClock)
    otel: otel_context.Context = field(default_factory=otel_context.get_current)


def call_start(config: CallConfig) -> CallStart:
    return CallStart(config.context.merged(current_context()))


@contextmanager
def start_call(
    config: CallConfig,
    spec: CallSpec,
    map_usage: UsageMapper,
    started: CallStart | None = None,
    ended_ns: int | None = None,
) -> Iterator[ActiveGeneration]:
    """Open the generation (current inside the block) inside the call's trace attributes.

    ``started``: the call started earlier (a background response recorded when retrieved): the
    generation starts then, under the context of then; it ends at ``ended_ns`` (real time) if
    given, else when it is ended."""
    if started is None:
        yield from _opened(config, spec, map_usage, call_start(config).context, CallClock())
        return
    token = otel_context.attach(started.otel)
    try:
        clock = started.clock.resumed(ended_ns)
        yield from _opened(config, spec, map_usage, started.context, clock)
    finally:
        otel_context.detach(token)


def _opened(
    config: CallConfig,
    spec: CallSpec,
    map_usage: UsageMapper,
    context: CallContext,
    clock: CallClock,
) -> Iterator[ActiveGeneration]:
    langfuse = config.langfuse or get_client()
    metadata = {**context.attributes, "provider": spec.provider}
    name = context.generation_name or spec.name or DEFAULT_GENERATION_NAMES[spec.provider]
    with (
        propagate_attributes(**context.propagate_kwargs()),
        open_generation(
            langfuse,
            clock,
            name=name,
            model=spec.requested_model,
            model_parameters=spec.model_parameters or None,
            input=spec.input if config.capture_io else None,
            metadata=metadata,
        ) as generation,
    ):
        yield ActiveGeneration(spec, config, context, generation, clock, map_usage)
