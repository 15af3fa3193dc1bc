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


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "01/03/2026", "2026-01-01T00:00"])
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


# Each COST_PIPELINE_* variable settings.py reads, and how to read what it resolves to.
COST_PIPELINE_VARIABLES = {
    "COST_PIPELINE_HOME": settings.home_dir,
    "COST_PIPELINE_WAREHOUSE": settings.warehouse_target,
    "COST_PIPELINE_EXPORT_DIR": settings.export_root,
    "COST_PIPELINE_FEATURE_KEY": lambda: settings.attribution_keys().feature,
    "COST_PIPELINE_TEAM_KEY": lambda: settings.attribution_keys().team,
    "COST_PIPELINE_UNATTRIBUTED_WARN_SHARE": settings.unattributed_warn_share,
    "COST_PIPELINE_START_DATE": settings.partitions_start_date,
    "COST_PIPELINE_REQUESTS_PER_MINUTE": settings.langfuse_requests_per_minute,
    "COST_PIPELINE_SCHEDULE_TRAFFIC": settings.schedule_sends_traffic,
}


@pytest.mark.parametrize("blank", ["", "  ", "\n"])  # `export X=`, a .env line `X= `, a file
@pytest.mark.parametrize("variable", sorted(COST_PIPELINE_VARIABLES))
def test_a_blank_cost_pipeline_variable_means_unset(monkeypatch, variable, blank):
    read = COST_PIPELINE_VARIABLES[variable]
    for name in COST_PIPELINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    unset = read()
    monkeypatch.setenv(variable, blank)
    assert read() == unset


@pytest.mark.parametrize("variable", ["LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"])
def test_an_empty_langfuse_key_is_sent_empty_as_the_sdk_sends_it(monkeypatch, variable):
    """The Langfuse SDK falls back only when a key is unset (``key or os.environ.get(...)``, then
    ``is None``): an empty key is used as it is. Taken for unset here, serve-local's well-known
    keys would go to the real host, and the 401 would blame a variable that is set."""
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-real")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-real")
    monkeypatch.setenv(variable, "")
    public, secret = settings.langfuse_keys()
    keys = {"LANGFUSE_PUBLIC_KEY": public, "LANGFUSE_SECRET_KEY": secret}
    assert keys[variable] == ""
    assert settings.LOCAL_PUBLIC_KEY not in keys.values()
    assert settings.LOCAL_SECRET_KEY not in keys.values()


@pytest.mark.parametrize("variable", ["LANGFUSE_BASE_URL", "LANGFUSE_HOST"])
def test_an_empty_langfuse_url_is_an_error_not_serve_local(monkeypatch, variable):
    """The Langfuse SDK's default is Langfuse Cloud, ours serve-local: an empty URL taken for
    unset would send the keys to whatever listens on 127.0.0.1:3000, so it names the variable."""
    monkeypatch.delenv("LANGFUSE_BASE_URL", raising=False)
    monkeypatch.delenv("LANGFUSE_HOST", raising=False)
    monkeypatch.setenv(variable, "")
    with pytest.raises(ValueError, match=f"{variable} is set but empty"):
        settings.langfuse_base_url()
