"""Where the uv that runs this suite lives, for tests that start a second SDK version with it."""

from __future__ import annotations

import os
import shutil


def uv_binary() -> str:
    # `uv run` exports UV with its own path. On a fresh machine `make setup` pip-installs uv into
    # .tools/uv, which is not on PATH, so PATH alone is not enough.
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv not found: run the suite with `make test` (it installs uv and runs it)"
    return uv
