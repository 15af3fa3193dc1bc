"""What the loader's errors say about a refused request: the details Langfuse sends, not just
its headline. The real client against a real HTTP server on 127.0.0.1 answering in Langfuse's
error shapes (reference notes section 4: a zod 400 lists its issues under ``error``; a BaseError
names itself there)."""

import orjson
import pytest

from cost_pipeline.langfuse import LangfuseRequestError, LangfuseUnavailableError
from cost_pipeline_tests.langfuse.crafted_client import WINDOW, crafted_client
from cost_pipeline_tests.langfuse.crafted_server import Answer
from cost_pipeline_tests.langfuse.leaks import SECRET, leaked


def failure_of(status: int, body: object, error: type[Exception] = LangfuseRequestError) -> str:
    """The message of what the client raised reading WINDOW from a server answering ``body``."""
    answers = [Answer(status, orjson.dumps(body))]
    with crafted_client(answers, max_attempts=2) as (_, client), pytest.raises(error) as failure:
        list(client.fetch_window(WINDOW))
    return str(failure.value)


def zod_issue(path: list[object], message: str, **extra: object) -> dict[str, object]:
    return {"code": "custom", "path": path, "message": message, **extra}


def test_a_400_names_each_parameter_langfuse_found_wrong():
    body = {
        "message": "Invalid request data",
        "error": [
            zod_issue(["limit"], "Number must be less than or equal to 1000", maximum=1000),
            zod_issue(["fromStartTime"], "Invalid datetime", validation="datetime"),
        ],
    }
    message = failure_of(400, body)
    assert (
        "(HTTP 400): Invalid request data: limit: Number must be less than or equal to 1000; "
        "fromStartTime: Invalid datetime." in message
    )


def test_issue_paths_are_joined_and_an_issue_without_a_path_keeps_its_message():
    body = {
        "message": "Invalid request data",
        "error": [
            zod_issue(["filter", 0, "column"], "Required"),
            zod_issue([], "fromStartTime must be before toStartTime"),
            "a bare string issue",
        ],
    }
    message = failure_of(400, body)
    assert (
        "Invalid request data: filter.0.column: Required; fromStartTime must be before "
        "toStartTime; a bare string issue." in message
    )


def test_a_base_error_shows_its_name_when_the_message_does_not():
    message = failure_of(400, {"message": "Invalid cursor format", "error": "InvalidRequestError"})
    assert "(HTTP 400): Invalid cursor format (InvalidRequestError)." in message


def test_a_base_error_name_the_message_already_holds_is_not_repeated():
    body = {"message": "NotFoundError: no such route", "error": "NotFoundError"}
    message = failure_of(404, body)
    assert "(HTTP 404): NotFoundError: no such route." in message


def test_a_500_detail_reaches_the_retry_warning_and_the_final_error():
    body = {"message": "Internal Server Error", "error": "ClickHouse query timed out"}
    message = failure_of(500, body, LangfuseUnavailableError)
    assert "last problem: HTTP 500: Internal Server Error (ClickHouse query timed out)" in message


def test_issues_echoing_the_secret_are_scrubbed_and_many_issues_are_clipped():
    issues = [zod_issue(["cursor"], f"bad value {SECRET}")]
    issues += [zod_issue([f"param{i}"], "Expected string, received number") for i in range(100)]
    message = failure_of(400, {"message": "Invalid request data", "error": issues})
    assert "Invalid request data: cursor: bad value " in message
    assert not leaked(message)
    assert "…" in message and len(message) < 1000  # cut: the issues would be ~4,000 characters
