"""Usage under the keys real Langfuse deployments carry lands in a token class. What the classes
do not hold stays visible: the reported total, or for usage without one the sum of its counts
(derived_total_tokens), from which stg_generations derives unclassified_tokens."""

from datetime import timedelta

import pytest

from cost_pipeline_tests.warehouse.observations import observation, page_bytes
from cost_pipeline_tests.warehouse.staging import DAY

START = DAY + timedelta(hours=7)
CLASSES = (
    "uncached_input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "input_audio_tokens",
    "visible_output_tokens",
    "reasoning_tokens",
    "output_audio_tokens",
    "reported_total_tokens",
    "derived_total_tokens",
)


def classes(stager, usage):
    _, rows = stager.stage([page_bytes([observation("u", START, usageDetails=usage)])])
    assert rows[0]["reject_reason"] is None
    return tuple(rows[0][name] for name in CLASSES)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # (uncached, cache read, cache write, audio in, output, reasoning, audio out, total,
        #  derived total)
        # Anthropic's raw usage as a flat map: Langfuse keeps it as sent, adding the total.
        (
            {
                "input_tokens": 120000,
                "output_tokens": 30000,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 40,
                "total": 151040,
            },
            (120000, 1000, 40, 0, 30000, 0, 0, 151040, None),
        ),
        # OpenAI's chat usage with audio, as Langfuse normalises it (details split out).
        (
            {
                "input": 500,
                "input_audio_tokens": 1500,
                "output": 200,
                "output_audio_tokens": 800,
                "total": 3000,
            },
            (500, 0, 0, 1500, 200, 0, 800, 3000, None),
        ),
        ({"input_audio": 7, "output_audio": 9, "total": 16}, (0, 0, 0, 7, 0, 0, 9, 16, None)),
        # Predicted-output tokens are billed as output; text parts add to their class.
        (
            {
                "input": 10,
                "input_cached_tokens": 5,
                "output": 20,
                "output_reasoning_tokens": 4,
                "output_accepted_prediction_tokens": 3,
                "output_rejected_prediction_tokens": 2,
                "total": 44,
            },
            (10, 5, 0, 0, 25, 4, 0, 44, None),
        ),
        (
            {"input_text_tokens": 8, "output_text_tokens": 6, "reasoning_tokens": 1, "total": 15},
            (8, 0, 0, 0, 6, 1, 0, 15, None),
        ),
        ({"cache_write_tokens": 30, "input": 1, "total": 31}, (1, 0, 30, 0, 0, 0, 0, 31, None)),
        # Keys no class reads: their tokens are in the total, not in a class.
        (
            {"input": 100, "output": 20, "input_image_tokens": 50, "total": 170},
            (100, 0, 0, 0, 20, 0, 0, 170, None),
        ),
        # Without a total, the plausible counts are summed, as Langfuse computes a missing one.
        (
            {"input": 100, "tokens_in": 40, "web_search_queries": 2, "odd": 1.5, "neg": -4},
            (100, 0, 0, 0, 0, 0, 0, None, 142),
        ),
        ({"input": 5, "output": 7}, (5, 0, 0, 0, 7, 0, 0, None, 12)),
        ({}, (0, 0, 0, 0, 0, 0, 0, None, 0)),
        (None, (0, 0, 0, 0, 0, 0, 0, None, None)),
    ],
)
def test_usage_keys_land_in_their_class_and_usage_without_a_total_gets_one(stager, usage, expected):
    assert classes(stager, usage) == expected


@pytest.mark.parametrize(
    ("usage", "key"),
    [
        ({"input_tokens": 1.5}, "input_tokens"),
        ({"output_audio_tokens": -1}, "output_audio_tokens"),
        # Each value alone is a bigint; their sum in one class would overflow.
        ({"input": 1, "input_text_tokens": 2**63 - 1}, "input_text_tokens"),
        (
            {"output_tokens": 2**63 - 1, "output_rejected_prediction_tokens": 2**63 - 1},
            "output_tokens",
        ),
    ],
)
def test_implausible_counts_under_new_keys_are_rejected_without_failing_the_batch(
    stager, usage, key
):
    bad = observation("bad", START, usageDetails=usage)
    _, rows = stager.stage([page_bytes([observation("good", START), bad])])
    assert rows[0]["reject_reason"] is None
    assert f"usageDetails.{key} is not a plausible token count" in rows[1]["reject_reason"]
