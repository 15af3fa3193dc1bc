"""Exports to object storage (``s3://bucket/prefix``) through DuckDB's httpfs extension.

Spark, Trino, Athena, BigQuery or Snowflake external tables then read the same hive-style
Parquet. The extension comes from the ``duckdb-ext-httpfs`` wheel (pinned in pyproject.toml) and
is loaded from its installed path, so nothing is downloaded at run time.

Credentials: the usual AWS variables when set (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for
S3-compatible stores such as MinIO), else whatever DuckDB secrets the user configured. Values
reach DuckDB as bound parameters of ``SET s3_...``, never as SQL text, and are never logged.

Atomic enough: S3 has no rename, so each file is written straight to its final key. An object
becomes visible only when its upload completes (a single PUT, or the completion of DuckDB's
multipart upload), so a reader sees the previous file or the new one, never a part of one. The
CSV and the Parquet of a day are two objects: for a moment a reader may see the new one next to
the old other one. A failed upload leaves the previous object in place (an aborted multipart
upload may keep invisible parts until the bucket's lifecycle rule removes them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import duckdb

from cost_pipeline.export.destination import PublishedFile
from cost_pipeline.warehouse.inline_params import sql_literal

_EXTENSION_WHEEL = "duckdb-ext-httpfs"


class ObjectStoreError(RuntimeError):
    """The object store cannot be written; the message says which setting to look at."""


@dataclass
class ObjectStorePrefix:
    root: str  # "s3://bucket/prefix", no trailing slash
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False, compare=False)

    def prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        """Load httpfs into ``con`` and hand it the credentials from the environment."""
        con.execute(f"load {sql_literal(httpfs_path())}")
        for setting, value in s3_settings(os.environ).items():
            con.execute(f"set {S3_SETTINGS[setting]} = ?", [value])
        self._con = con

    def publish(self, relative: PurePosixPath, write: Callable[[str], None]) -> PublishedFile:
        """Write ``root/relative`` in one upload; visible to readers only once complete."""
        if self._con is None:
            raise ObjectStoreError("prepare(con) first: it loads httpfs and the credentials")
        target = f"{self.root}/{relative.as_posix()}"
        try:
            write(target)
            (size,) = self._con.execute("select size from read_blob(?)", [target]).fetchone()
        except duckdb.Error as exc:
            raise ObjectStoreError(
                f"could not write {target} (COST_PIPELINE_EXPORT_DIR={self.root}): {exc}. "
                "Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION (or DuckDB "
                "secrets), and AWS_ENDPOINT_URL_S3 for S3-compatible stores."
            ) from exc
        return PublishedFile(path=target, bytes=int(size))


# Our names for DuckDB's S3 settings; only these are ever set.
S3_SETTINGS = {
    "key_id": "s3_access_key_id",
    "secret": "s3_secret_access_key",
    "session_token": "s3_session_token",
    "region": "s3_region",
    "endpoint": "s3_endpoint",
    "url_style": "s3_url_style",
    "use_ssl": "s3_use_ssl",
}


def s3_settings(env: Mapping[str, str]) -> dict[str, str | bool]:
    """DuckDB S3 settings from the AWS SDK's environment variables (only those that are set)."""
    found: dict[str, str | bool] = {}
    for name, variable in (
        ("key_id", "AWS_ACCESS_KEY_ID"),
        ("secret", "AWS_SECRET_ACCESS_KEY"),
        ("session_token", "AWS_SESSION_TOKEN"),
    ):
        if env.get(variable):
            found[name] = env[variable]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        found["region"] = region
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        found["endpoint"] = parts.netloc
        found["use_ssl"] = parts.scheme != "http"
        # S3-compatible servers rarely serve virtual-host buckets on their own hostname.
        found["url_style"] = "path"
    return found


def httpfs_path() -> str:
    """The httpfs extension file the pinned wheel installed for this DuckDB and platform."""
    try:
        distribution = metadata.distribution(_EXTENSION_WHEEL)
    except metadata.PackageNotFoundError:
        raise ObjectStoreError(
            f"exports to object storage need DuckDB's httpfs extension: install the "
            f"{_EXTENSION_WHEEL} wheel matching duckdb {duckdb.__version__}"
        ) from None
    wanted = f"/v{duckdb.__version__}/"
    for file in distribution.files or ():
        if str(file).endswith("httpfs.duckdb_extension") and wanted in f"/{file}":
            return str(distribution.locate_file(file))
    raise ObjectStoreError(
        f"the installed {_EXTENSION_WHEEL} has no httpfs build for duckdb {duckdb.__version__}; "
        f"install the version pinned in pyproject.toml"
    )
