"""Every context value CallContext accepts is kept by the real SDK's propagate_attributes.

The SDK drops, with one warning per call, a propagated value over 200 characters. Langfuse 5
measures metadata values after JSON-encoding them (quotes and escapes count), so a value the
context let through could vanish from the trace silently. The context must refuse it instead.
"""

from __future__ import annotations

import logging

import pytest
from langfuse import propagate_attributes

from cost_pipeline.llm.context import CallContext

VALUES = [
    "x" * 200,  # JSON-encoded: 202 characters
    "x" * 199,
    "x" * 198,  # JSON-encoded: exactly 200
    'say "hi"' * 24,  # 192 characters, every quote escaped
    "é" * 198,  # non-ASCII is kept as is, not escaped
    "tab\t" * 49,
]


@pytest.mark.parametrize("value", VALUES, ids=["200", "199", "198", "quotes", "non-ascii", "tabs"])
@pytest.mark.parametrize("key", ["feature", "team", "tier"])
def test_an_accepted_value_is_not_dropped_by_the_sdk(caplog, key, value):
    try:
        context = CallContext.build(**{key: value})
    except ValueError:
        return  # refused up front, with a clear error: what the context is for
    with (
        caplog.at_level(logging.WARNING, logger="langfuse"),
        propagate_attributes(**context.propagate_kwargs()),
    ):
        pass
    dropped = [r.getMessage() for r in caplog.records if "Dropping" in r.getMessage()]
    assert dropped == []


def test_a_value_the_sdk_keeps_is_still_accepted():
    context = CallContext.build(feature="x" * 190, team="é" * 190, tier="x" * 198)
    assert context.attributes["tier"] == "x" * 198
