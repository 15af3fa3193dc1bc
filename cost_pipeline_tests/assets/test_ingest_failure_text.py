"""What ``ingest_runs.error`` says when a load fails: found operating the pipeline, a run
terminated from the UI left ``DagsterExecutionInterruptedError: `` and nothing after it."""

import dagster as dg
import pytest

from cost_pipeline.assets.ingest_load import failure_text
from cost_pipeline.langfuse import InvalidPageError


def test_an_interrupt_says_the_load_was_stopped_and_resumes():
    # Dagster raises it without a message when a run is terminated.
    text = failure_text(dg.DagsterExecutionInterruptedError())
    assert text.startswith("DagsterExecutionInterruptedError: the load was stopped")
    assert "resumes from its last checkpoint" in text
    assert failure_text(KeyboardInterrupt()).startswith("KeyboardInterrupt: the load was stopped")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            InvalidPageError("invalid page 3: not JSON"),
            "InvalidPageError: invalid page 3: not JSON",
        ),
        (RuntimeError(), "RuntimeError (no message)"),
        (RuntimeError("  "), "RuntimeError (no message)"),
    ],
)
def test_errors_keep_their_own_message_or_say_they_had_none(error, expected):
    assert failure_text(error) == expected
