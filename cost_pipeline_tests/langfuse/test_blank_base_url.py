"""LANGFUSE_BASE_URL (or its alias LANGFUSE_HOST) set but empty is a mistake, not "unset": taking
it for unset sent the keys to serve-local's default address, to whatever listens on
127.0.0.1:3000. It fails at once naming the variable, before a run touches the warehouse."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from cost_pipeline import settings
from cost_pipeline.langfuse.resource import LangfuseResource
from cost_pipeline_tests.reliability.support import failure_text, materialize_day

DAY = datetime.now(UTC).date() - timedelta(days=12)
BLANKS = ["", "   ", "\n"]


@pytest.fixture(autouse=True)
def no_langfuse_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANGFUSE_BASE_URL", raising=False)
    monkeypatch.delenv("LANGFUSE_HOST", raising=False)


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_a_blank_base_url_fails_naming_it(monkeypatch, blank):
    monkeypatch.setenv("LANGFUSE_BASE_URL", blank)
    with pytest.raises(ValueError, match=r"^LANGFUSE_BASE_URL is set but empty") as failure:
        settings.langfuse_connection()
    assert "unset it" in str(failure.value) and settings.LOCAL_BASE_URL in str(failure.value)
    with pytest.raises(ValueError, match="LANGFUSE_BASE_URL is set but empty"):
        LangfuseResource().connection()


def test_a_blank_alias_fails_naming_it(monkeypatch):
    monkeypatch.setenv("LANGFUSE_HOST", "")
    with pytest.raises(ValueError, match=r"^LANGFUSE_HOST is set but empty"):
        settings.langfuse_connection()
    monkeypatch.setenv("LANGFUSE_BASE_URL", " ")
    with pytest.raises(ValueError, match=r"^LANGFUSE_BASE_URL and LANGFUSE_HOST are set but"):
        settings.langfuse_connection()


def test_a_blank_base_url_beside_a_host_uses_the_host_as_the_langfuse_sdk_does(monkeypatch):
    # The SDK reads LANGFUSE_BASE_URL or else LANGFUSE_HOST: the loader reads where it writes.
    monkeypatch.setenv("LANGFUSE_BASE_URL", "")
    monkeypatch.setenv("LANGFUSE_HOST", "https://cloud.langfuse.com/")
    assert settings.langfuse_connection().base_url == "https://cloud.langfuse.com"


def test_a_url_set_on_the_resource_needs_no_environment(monkeypatch):
    monkeypatch.setenv("LANGFUSE_BASE_URL", "")
    resource = LangfuseResource(base_url="https://cloud.langfuse.com", public_key="pk-lf-a")
    assert resource.connection().base_url == "https://cloud.langfuse.com"


@dataclass(frozen=True)
class Misconfigured:
    """A LangfuseResource's settings as the loading helpers take them."""

    base_url: str
    public_key: str = "pk-lf-test"
    secret_key: str = "sk-lf-test"


def test_a_run_with_a_url_mistake_fails_before_touching_the_warehouse(tmp_path):
    # Credentials in the URL: a setting mistake that needs no server to show (a blank URL
    # without the fix would send a request to 127.0.0.1:3000, somebody else's port).
    database = tmp_path / "w.duckdb"
    result = materialize_day(Misconfigured("http://user:pw@127.0.0.1:9"), database, DAY)
    assert not result.success
    assert "LANGFUSE_BASE_URL carries credentials" in failure_text(result)
    assert not database.exists()  # no load was started, so none is left "running"
