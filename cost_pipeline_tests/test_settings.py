"""Environment resolution and what a connection may show of its keys."""

import pytest

from cost_pipeline import settings
from cost_pipeline.langfuse.resource import LangfuseResource


def test_langfuse_host_is_an_alias_of_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANGFUSE_BASE_URL", raising=False)
    monkeypatch.setenv("LANGFUSE_HOST", "https://eu.example.test/")
    assert settings.langfuse_connection().base_url == "https://eu.example.test"
    monkeypatch.setenv("LANGFUSE_BASE_URL", "https://us.example.test")
    assert settings.langfuse_connection().base_url == "https://us.example.test"


def test_connection_repr_shows_neither_key(monkeypatch: pytest.MonkeyPatch) -> None:
    public, secret = "pk-lf-1234567890abcdef", "sk-lf-fedcba0987654321"
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", public)
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", secret)
    connection = settings.langfuse_connection()
    for text in (repr(connection), str(connection), f"{connection}"):
        assert secret not in text and public not in text
        assert "pk-lf-…cdef" in text
    pasted = settings.LangfuseConnection(f"http://127.0.0.1:3000/{secret}", public, secret)
    assert secret not in repr(pasted) and "/sk-lf-…4321'" in repr(pasted)


def test_local_state_follows_cost_pipeline_home(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("COST_PIPELINE_HOME", str(tmp_path))
    monkeypatch.delenv("COST_PIPELINE_WAREHOUSE", raising=False)
    monkeypatch.delenv("COST_PIPELINE_EXPORT_DIR", raising=False)
    assert settings.warehouse_target() == str(tmp_path / "warehouse.duckdb")
    assert settings.export_root() == str(tmp_path / "exports")
    monkeypatch.setenv("COST_PIPELINE_WAREHOUSE", "md:analytics")
    assert settings.warehouse_target() == "md:analytics"


def test_the_request_budget_comes_from_the_resource_else_the_environment(monkeypatch):
    monkeypatch.delenv("COST_PIPELINE_REQUESTS_PER_MINUTE", raising=False)
    assert LangfuseResource().budget_per_minute() == 1000
    monkeypatch.setenv("COST_PIPELINE_REQUESTS_PER_MINUTE", "30")
    assert LangfuseResource().budget_per_minute() == 30
    assert LangfuseResource(requests_per_minute=0).budget_per_minute() == 0
    monkeypatch.setenv("COST_PIPELINE_REQUESTS_PER_MINUTE", "thirty")
    with pytest.raises(ValueError, match="COST_PIPELINE_REQUESTS_PER_MINUTE='thirty'"):
        LangfuseResource().budget_per_minute()


@pytest.mark.parametrize(
    "value", ["2026-13-01", "2026-02-30", "01/03/2026", "2026-01-01T00:00", ""]
)
def test_a_bad_start_date_names_the_variable_and_the_format(monkeypatch, value):
    monkeypatch.setenv("COST_PIPELINE_START_DATE", value)
    with pytest.raises(ValueError) as raised:
        settings.partitions_start_date()
    assert str(raised.value).startswith(f"COST_PIPELINE_START_DATE={value!r}: expected a date")
    assert "YYYY-MM-DD" in str(raised.value)
    assert raised.value.__suppress_context__  # strptime's own message would not name the setting


def test_the_start_date_is_read_as_dagster_reads_it(monkeypatch):
    monkeypatch.delenv("COST_PIPELINE_START_DATE", raising=False)
    assert settings.partitions_start_date() == "2026-01-01"
    monkeypatch.setenv("COST_PIPELINE_START_DATE", " 2025-6-1 ")
    assert settings.partitions_start_date() == "2025-06-01"
