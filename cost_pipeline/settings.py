"""Where local state lives and how we reach Langfuse, resolved from the environment.

Everything user-facing is an environment variable from the contract in README.md; this module is
the one place that reads them so that defaults stay consistent between the CLI, Dagster and tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LOCAL_PUBLIC_KEY = "pk-lf-local"
LOCAL_SECRET_KEY = "sk-lf-local"  # noqa: S105 - the documented key of the offline server
LOCAL_BASE_URL = "http://127.0.0.1:3000"


def _setting(name: str, default: str) -> str:
    """A ``COST_PIPELINE_*`` variable, its default when unset or blank.

    ``export X=`` and a ``.env`` line ``X=`` leave the variable set to nothing, which a user means
    as "not set": the default applies. (The Langfuse variables follow the Langfuse SDK instead:
    see ``langfuse_base_url`` and ``langfuse_keys``.)
    """
    value = os.environ.get(name, "")
    return value if value.strip() else default


def home_dir() -> Path:
    """Root of local state: warehouse, exports and serve-local's data."""
    return Path(_setting("COST_PIPELINE_HOME", ".cost_pipeline")).expanduser()


def warehouse_target() -> str:
    """DuckDB path or connection string (e.g. MotherDuck's ``md:``) for the warehouse."""
    return _setting("COST_PIPELINE_WAREHOUSE", "") or str(home_dir() / "warehouse.duckdb")


def export_root() -> str:
    """Directory or object-store prefix (``s3://bucket/prefix``) that exports are written under."""
    return _setting("COST_PIPELINE_EXPORT_DIR", "") or str(home_dir() / "exports")


def local_data_dir() -> Path:
    return home_dir() / "langfuse-local"


# How many trailing characters of a key may be shown so a user can tell which key is in use.
_VISIBLE_TAIL = 4


def mask_key(key: str | None) -> str:
    """``pk-lf-…1234``: the conventional prefix and the last characters, never the whole key."""
    if not key:
        return "(empty)"
    if len(key) <= 2 * _VISIBLE_TAIL + 4:
        return "…" * 3
    prefix = key[:6] if key.startswith(("pk-lf-", "sk-lf-")) else ""
    return f"{prefix}…{key[-_VISIBLE_TAIL:]}"


@dataclass(frozen=True)
class LangfuseConnection:
    base_url: str
    public_key: str
    secret_key: str

    def __post_init__(self) -> None:
        # Credentials in the URL would reach every message and log line that names the host.
        # Read by hand: without a scheme, urlsplit takes "pk-...:sk-...@host" for a scheme.
        scheme, separator, rest = self.base_url.partition("://")
        if not separator:
            scheme, rest = "", self.base_url
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            host = authority.rpartition("@")[2]
            raise ValueError(
                "LANGFUSE_BASE_URL carries credentials (user:password@ before the host): put "
                "the keys in LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY and set LANGFUSE_BASE_URL "
                f"to {scheme}{separator}{host}{slash}{path}"
            )

    def __repr__(self) -> str:
        # Never let the secret reach a log line or an exception message, even from the URL.
        base_url = self.base_url
        for key in (self.secret_key, self.public_key):
            if key:
                base_url = base_url.replace(key, mask_key(key))
        return (
            f"LangfuseConnection(base_url={base_url!r}, public_key={mask_key(self.public_key)!r})"
        )

    __str__ = __repr__


def langfuse_connection() -> LangfuseConnection:
    """Langfuse endpoint and keys; ``LANGFUSE_HOST`` is accepted as an alias of the base URL."""
    public_key, secret_key = langfuse_keys()
    return LangfuseConnection(langfuse_base_url(), public_key, secret_key)


def langfuse_base_url() -> str:
    """LANGFUSE_BASE_URL, else LANGFUSE_HOST (the Langfuse SDK's order), else serve-local's.

    A variable set to nothing but whitespace is an error unless the other one names a host:
    taken for unset, it sent the keys to serve-local's address, to whatever listens there.
    """
    blank = []
    for variable in ("LANGFUSE_BASE_URL", "LANGFUSE_HOST"):
        value = os.environ.get(variable)
        if value is None:
            continue
        if value.strip():
            return value.rstrip("/")
        blank.append(variable)
    if blank:
        named = " and ".join(blank) + (" is" if len(blank) == 1 else " are")
        raise ValueError(
            f"{named} set but empty: set LANGFUSE_BASE_URL to your Langfuse host (e.g. "
            f"https://cloud.langfuse.com), or unset it to read serve-local at {LOCAL_BASE_URL} "
            "(an empty value is not taken to mean serve-local: the keys would go to whatever "
            "listens there)"
        )
    return LOCAL_BASE_URL


def langfuse_keys() -> tuple[str, str]:
    """The public and secret key, serve-local's built-in ones when unset.

    An empty key is sent as it is, as the Langfuse SDK sends it (it falls back only when the
    variable is unset): taken for unset, serve-local's well-known keys would go to the real host.
    The server's 401 then reads ``LANGFUSE_SECRET_KEY ((empty))``.
    """
    return (
        os.environ.get("LANGFUSE_PUBLIC_KEY", LOCAL_PUBLIC_KEY),
        os.environ.get("LANGFUSE_SECRET_KEY", LOCAL_SECRET_KEY),
    )


@dataclass(frozen=True)
class AttributionKeys:
    """Metadata keys that carry the business context a generation is attributed to."""

    feature: str = "feature"
    team: str = "team"


def attribution_keys() -> AttributionKeys:
    return AttributionKeys(
        feature=_setting("COST_PIPELINE_FEATURE_KEY", "feature"),
        team=_setting("COST_PIPELINE_TEAM_KEY", "team"),
    )


def unattributed_warn_share() -> float:
    """Share (0..1) of a day's spend that may be `unattributed` before the asset check warns."""
    raw = _setting("COST_PIPELINE_UNATTRIBUTED_WARN_SHARE", "0.2")
    try:
        share = float(raw)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise ValueError(
            f"COST_PIPELINE_UNATTRIBUTED_WARN_SHARE={raw!r}: expected a number in [0, 1]"
        )
    return share


def partitions_start_date() -> str:
    """The first daily partition, as YYYY-MM-DD.

    Read when the code location is imported, so a bad value must say which setting to fix:
    Dagster's own parse error names neither the variable nor where it came from.
    """
    raw = _setting("COST_PIPELINE_START_DATE", "2026-01-01")
    try:
        # The format Dagster's DailyPartitionsDefinition parses, so what passes here loads there.
        start = datetime.strptime(raw.strip(), "%Y-%m-%d")
    except ValueError:
        raise ValueError(
            f"COST_PIPELINE_START_DATE={raw!r}: expected a date as YYYY-MM-DD (the first daily "
            "partition, e.g. 2026-01-01)"
        ) from None
    return start.date().isoformat()


def langfuse_requests_per_minute() -> int:
    """The loader's request budget when the langfuse resource sets none: Langfuse Cloud's
    ``public-api`` limit is per organisation and plan (1,000/min on Pro, 30/min on Hobby)."""
    raw = _setting("COST_PIPELINE_REQUESTS_PER_MINUTE", "1000")
    if not raw.strip().isdigit():
        raise ValueError(
            f"COST_PIPELINE_REQUESTS_PER_MINUTE={raw!r}: expected a whole number of requests per "
            "minute (your Langfuse plan's public-api limit; 0 for no limit)"
        )
    return int(raw)


def schedule_sends_traffic() -> bool:
    """Whether the daily schedule's run for yesterday starts with the synthetic ``llm_traffic``.

    Turn it off (COST_PIPELINE_SCHEDULE_TRAFFIC=false) where only real application traffic
    should be loaded, e.g. against Langfuse Cloud without the provider simulator.
    """
    raw = _setting("COST_PIPELINE_SCHEDULE_TRAFFIC", "true").strip().lower()
    if raw not in {"true", "false", "1", "0", "yes", "no"}:
        raise ValueError(f"COST_PIPELINE_SCHEDULE_TRAFFIC={raw!r}: expected true or false")
    return raw in {"true", "1", "yes"}
