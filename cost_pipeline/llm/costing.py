"""Cost of a call from genai-prices rates, as Langfuse ``cost_details`` (always with ``total``)."""

from __future__ import annotations

from cost_pipeline.llm.pricing import PriceContext, TokenUsage, price_usage


def cost_details(
    model: str | None, usage: TokenUsage, context: PriceContext = ()
) -> dict[str, float] | None:
    """Per-class USD cost for a priced model; None when genai-prices does not know the model.

    Langfuse uses provided costs as-is (no double pricing), and a ``total`` key is what its
    totals read, so it is always present.
    """
    cost = price_usage(model, usage, context)
    return None if cost is None else cost.as_cost_details()
