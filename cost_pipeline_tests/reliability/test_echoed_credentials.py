"""A proxy in front of Langfuse that echoes the request's Authorization header into its errors.

The real raw_generations asset fails with the usual clear error, and no piece of the secret or of
the Basic credential reaches the failure, the run's log lines, the events the Dagster instance
stores, or the warehouse's record of the run.
"""

from pathlib import Path

import dagster as dg
import orjson
import pytest

from cost_pipeline_tests.langfuse.crafted_server import Answer, crafted_server
from cost_pipeline_tests.langfuse.leaks import CREDENTIAL, PUBLIC, SECRET, leaked
from cost_pipeline_tests.reliability.support import (
    failure_text,
    log_messages,
    materialize_day,
    query,
)
from cost_pipeline_tests.warehouse.loading import BASE_DAY

ECHO_PAGE = (
    "<html><body><h1>502 Bad Gateway</h1><pre>GET /api/public/v2/observations\n"
    f"Authorization: Basic {CREDENTIAL}</pre></body></html>"
).encode()
# The key starts at character 270 of the message: cut at 300 before scrubbing, 30 would show.
LONG_401 = orjson.dumps({"message": "Invalid credentials for key " + "." * 242 + SECRET})
# answer, the setting the error must name, what of the server's text must still be shown
CASES = {
    "5xx echo": (
        Answer(502, ECHO_PAGE, {"Content-Type": "text/html"}),
        "max_attempts",
        "Authorization: Basic [redacted]",
    ),
    "long 401": (Answer(401, LONG_401), "LANGFUSE_SECRET_KEY", "Invalid credentials for key ..."),
}


def stored_texts(instance: dg.DagsterInstance, run_id: str, database: Path) -> dict[str, str]:
    errors = query(database, "select error from ingest_runs where error is not null")
    return {
        "run log": "\n".join(log_messages(instance, run_id)),
        "stored events": "\n".join(repr(entry) for entry in instance.all_logs(run_id)),
        "ingest_runs.error": "\n".join(row[0] for row in errors),
    }


@pytest.mark.parametrize("case", CASES)
def test_an_echoed_credential_reaches_no_error_log_or_record(case, tmp_path):
    answer, setting, shown = CASES[case]
    database = tmp_path / "w.duckdb"
    with (
        crafted_server([answer], public_key=PUBLIC, secret_key=SECRET) as server,
        dg.DagsterInstance.ephemeral() as instance,
    ):
        result = materialize_day(server, database, BASE_DAY, instance=instance, max_attempts=2)
        texts = {"failure": failure_text(result), **stored_texts(instance, result.run_id, database)}
    assert not result.success
    assert set(server.authorizations) == {f"Basic {CREDENTIAL}"}  # what the echo would show
    for place in ("failure", "ingest_runs.error"):
        assert setting in texts[place] and shown in texts[place]
    if answer.status >= 500:  # each retry was logged (the page as its text), and the scan read it
        assert (
            f"an HTML page: 502 Bad Gateway GET /api/public/v2/observations {shown}; retry 1 in"
            in (texts["run log"])
        )
    leaks = {place: found for place, text in texts.items() if (found := leaked(text))}
    assert leaks == {}
