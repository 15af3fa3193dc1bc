"""Start-up configuration of serve-local: where it listens, its keys, where data lives."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cost_pipeline import settings

DB_FILE_NAME = "serve-local.sqlite3"
RUNTIME_FILE_NAME = "serve-local.json"
ADMIN_KEY_FILE_NAME = "admin.key"
ADMIN_KEY_ENV = "COST_PIPELINE_ADMIN_KEY"
PROJECT_ID = "serve-local"
PROJECT_NAME = "serve-local"
# The Langfuse server version whose API behaviour we emulate (see reference notes).
EMULATED_VERSION = "4.16.0"


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    data_dir: Path
    public_key: str
    secret_key: str
    admin_key: str

    def __repr__(self) -> str:
        # Keys must never reach a log line or a traceback.
        return (
            f"ServerConfig(host={self.host!r}, port={self.port}, data_dir={str(self.data_dir)!r})"
        )

    __str__ = __repr__

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE_NAME

    @property
    def runtime_file(self) -> Path:
        return self.data_dir / RUNTIME_FILE_NAME

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key == settings.LOCAL_SECRET_KEY


def load_admin_key(data_dir: Path) -> str:
    """Admin key from the environment, else one random key per data dir, persisted (mode 0600)."""
    from_env = os.environ.get(ADMIN_KEY_ENV)
    if from_env:
        return from_env
    key_file = data_dir / ADMIN_KEY_FILE_NAME
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(24)
    write_private_file(key_file, key)
    return key


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` atomically to a file only the owner can read."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def remove_runtime_file(path: Path) -> None:
    """Delete serve-local.json if this process wrote it (a newer server may have replaced it)."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def build_config(host: str, port: int, data_dir: Path | None) -> ServerConfig:
    directory = (data_dir or settings.local_data_dir()).expanduser().resolve()
    # Owner-only when we create it: the store holds business data and the admin key.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return ServerConfig(
        host=host,
        port=port,
        data_dir=directory,
        public_key=os.environ.get("LANGFUSE_PUBLIC_KEY", settings.LOCAL_PUBLIC_KEY),
        secret_key=os.environ.get("LANGFUSE_SECRET_KEY", settings.LOCAL_SECRET_KEY),
        admin_key=load_admin_key(directory),
    )
