"""Business context (feature, team, user, session, extra keys) attached to every recorded call.

Context comes from ``instrument(client, feature=..., team=...)`` and can be narrowed per request
with ``with track(user_id=..., session_id=...):``; inner values win, tags and metadata merge.
Values go on the Langfuse trace (``propagate_attributes``) and on the generation's metadata, so
the v2 observations API and Langfuse's UI both see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from cost_pipeline import settings

# propagate_attributes drops (with a warning per call) a value longer than this. Langfuse 5
# measures metadata values JSON-encoded (quotes and escapes count), Langfuse 4 as they are; tags
# are measured whole, so ``feature:<value>`` must fit too.
MAX_VALUE_CHARS = 200
_RESERVED_KEYS = frozenset({"user_id", "session_id", "tags", "trace_name", "name"})


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str | int | float | bool):
        raise TypeError(f"context value {key!r} must be str, int, float or bool, not {type(value)}")
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(f"context value {key!r} is longer than {MAX_VALUE_CHARS} characters")
    return text


def _metadata_text(key: str, value: Any) -> str:
    text = _text(key, value)
    encoded = len(json.dumps(text, ensure_ascii=False))  # as langfuse 5 serialises it
    if encoded > MAX_VALUE_CHARS:
        raise ValueError(
            f"context value {key!r} is {encoded} characters JSON-encoded (quotes and escapes "
            f"included); Langfuse drops trace metadata values over {MAX_VALUE_CHARS}"
        )
    return text


def _tag_text(key: str, value: str) -> None:
    if len(tag := f"{key}:{value}") > MAX_VALUE_CHARS:
        raise ValueError(
            f"context value {key!r} makes the tag {tag[:20]!r}... {len(tag)} characters long; "
            f"Langfuse drops tags over {MAX_VALUE_CHARS}"
        )


@dataclass(frozen=True)
class CallContext:
    user_id: str | None = None
    session_id: str | None = None
    trace_name: str | None = None
    generation_name: str | None = None
    tags: tuple[str, ...] = ()
    # feature, team and any extra business keys, as strings (what Langfuse trace metadata takes)
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(
        cls,
        *,
        feature: str | None = None,
        team: str | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        trace_name: str | None = None,
        name: str | None = None,
        tags: tuple[str, ...] | list[str] = (),
        **metadata: Any,
    ) -> CallContext:
        keys = settings.attribution_keys()
        clash = _RESERVED_KEYS & set(metadata)
        if clash:
            raise ValueError(f"reserved context key(s) given as metadata: {sorted(clash)}")
        if isinstance(tags, str):  # tags="beta" means one tag, not four letters
            tags = (tags,)
        values = {keys.feature: feature, keys.team: team, **metadata}
        attributes = {k: _metadata_text(k, v) for k, v in values.items() if v is not None}
        for key in (keys.feature, keys.team):  # trace_tags() makes them "<key>:<value>" tags
            if key in attributes:
                _tag_text(key, attributes[key])
        return cls(
            user_id=_text("user_id", user_id) if user_id is not None else None,
            session_id=_text("session_id", session_id) if session_id is not None else None,
            trace_name=_text("trace_name", trace_name) if trace_name is not None else None,
            generation_name=name,
            tags=tuple(_text("tags", t) for t in tags),
            attributes=MappingProxyType(attributes),
        )

    def merged(self, inner: CallContext) -> CallContext:
        """``inner`` (the narrower scope) wins; tags and metadata keys accumulate."""
        return replace(
            self,
            user_id=inner.user_id or self.user_id,
            session_id=inner.session_id or self.session_id,
            trace_name=inner.trace_name or self.trace_name,
            generation_name=inner.generation_name or self.generation_name,
            tags=tuple(dict.fromkeys((*self.tags, *inner.tags))),
            attributes=MappingProxyType({**self.attributes, **inner.attributes}),
        )

    def trace_tags(self) -> list[str]:
        """``feature:search``, ``team:growth`` (tags are Langfuse's groupable dimension)."""
        keys = settings.attribution_keys()
        derived = [
            f"{key}:{self.attributes[key]}"
            for key in (keys.feature, keys.team)
            if key in self.attributes
        ]
        return list(dict.fromkeys((*derived, *self.tags)))

    def propagate_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "user_id": self.user_id,
            "session_id": self.session_id,
            "trace_name": self.trace_name,
            "tags": self.trace_tags() or None,
            "metadata": dict(self.attributes) or None,
        }
        return {key: value for key, value in kwargs.items() if value is not None}


_current: ContextVar[CallContext | None] = ContextVar("cost_pipeline_call_context", default=None)
_EMPTY = CallContext()


def current_context() -> CallContext:
    return _current.get() or _EMPTY


@contextmanager
def track(**context: Any) -> Iterator[CallContext]:
    """Add business context to instrumented calls made inside the block.

    Accepts ``feature``, ``team``, ``user_id``, ``session_id``, ``trace_name``, ``name``,
    ``tags`` and any extra metadata keys (str / number / bool values, at most 200 characters
    JSON-encoded; feature and team also as a ``<key>:<value>`` tag).
    """
    merged = current_context().merged(CallContext.build(**context))
    token = _current.set(merged)
    try:
        yield merged
    finally:
        _current.reset(token)
