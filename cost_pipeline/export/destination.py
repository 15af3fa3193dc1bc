"""Where export files land. The one place that knows about the export root's kind.

A file is first written to a temporary name in its final directory and then renamed over the
final name (``os.replace`` is atomic within a filesystem), so a reader sees the old file or the
new one, never half of one, and a failed write leaves no stray file behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cost_pipeline.export.object_store import ObjectStorePrefix


class UnsupportedExportRoot(ValueError):
    """The export root names a destination this version cannot write to."""


@dataclass(frozen=True)
class PublishedFile:
    path: str
    bytes: int


@dataclass(frozen=True)
class LocalDirectory:
    root: Path

    def prepare(self, con: object) -> None:
        """Nothing to set up for local files (object stores load httpfs here)."""

    def publish(self, relative: PurePosixPath, write: Callable[[str], None]) -> PublishedFile:
        """Call ``write(temporary_path)`` then move the result to ``root/relative`` atomically."""
        final = self.root.joinpath(*relative.parts)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            write(str(temporary))
            _fsync(temporary)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(final.parent)
        return PublishedFile(path=str(final), bytes=final.stat().st_size)


def destination_for(root: str) -> LocalDirectory | ObjectStorePrefix:
    """The destination behind an export root (COST_PIPELINE_EXPORT_DIR)."""
    if "://" in root:
        scheme, rest = root.split("://", 1)
        if scheme == "s3" and rest.strip("/"):
            from cost_pipeline.export.object_store import ObjectStorePrefix  # imports this module

            return ObjectStorePrefix(f"s3://{rest.strip('/')}")
        raise UnsupportedExportRoot(
            f"export root {root!r}: {scheme}:// destinations are not supported; set "
            "COST_PIPELINE_EXPORT_DIR to a local directory or s3://bucket/prefix"
        )
    return LocalDirectory(Path(root).expanduser().resolve())


def _fsync(path: Path) -> None:
    # Without it a crash right after the rename can leave an empty file under the final name.
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
