"""Spool folders of loads that died (kill -9, out of memory, a host crash), removed by the next
load.

A load spools its pages into a folder of its own and removes it when it ends; a process killed
outside Python's control cannot, and its folder keeps up to a queue of pages (~64 MB). Each
folder is named after its host and process id, so the next load on the same host removes the
folders whose process is gone, and none that may be in use: another host's (a temp directory
shared between machines or containers), a live process's, or a name this module did not write.
Containers that share a temp directory and a hostname but not their process ids would take each
other's loads for dead: give each its own temp directory (TMPDIR).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

PREFIX = "cost-pipeline-pages-"


def owned_prefix() -> str:
    """The name prefix of this process's spool folders: ``PREFIX<host>-<pid>-``."""
    return f"{PREFIX}{_host()}-{os.getpid()}-"


def remove_abandoned_spools(parent: Path) -> list[Path]:
    """Remove this host's spool folders in ``parent`` whose process has ended; the removed."""
    if os.name != "posix":
        return []  # os.kill(pid, 0) would not just probe a process elsewhere
    host, removed = _host(), []
    for path in parent.glob(f"{PREFIX}{host}-*"):
        owner = _owner(path.name, host)
        if owner is None or owner == os.getpid() or _alive(owner) or not path.is_dir():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "host"


def _owner(name: str, host: str) -> int | None:
    # PREFIX, host, pid, then mkdtemp's random part (letters, digits and "_", never "-").
    parts = name[len(PREFIX) :].rsplit("-", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return None
    return int(parts[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
