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


class UnsupportedExportRoot(ValueError):
    """The export root names a destination this version cannot write to."""


@dataclass(frozen=True)
class PublishedFile:
    path: str
    bytes: int


@dataclass(frozen=True)
class LocalDirectory:
    root: Path

    def publish(self, relative: PurePosixPath, write: Callable[[Path], None]) -> PublishedFile:
        """Call ``write(temporary_path)`` then move the result to ``root/relative`` atomically."""
        final = self.root.joinpath(*relative.parts)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            write(temporary)
            _fsync(temporary)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(final.parent)
        return PublishedFile(path=str(final), bytes=final.stat().st_size)


def destination_for(root: str) -> LocalDirectory:
    """The destination behind an export root (COST_PIPELINE_EXPORT_DIR)."""
    if "://" in root:
        scheme = root.split("://", 1)[0]
        raise UnsupportedExportRoot(
            f"export root {root!r}: {scheme}:// destinations are not supported yet; "
            "set COST_PIPELINE_EXPORT_DIR to a local directory"
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
