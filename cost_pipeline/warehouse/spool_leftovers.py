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

import psutil

PREFIX = "cost-pipeline-pages-"


def owned_prefix() -> str:
    """The name prefix of this process's spool folders: ``PREFIX<host>-<pid>-``."""
    return f"{PREFIX}{_host()}-{os.getpid()}-"


def remove_abandoned_spools(parent: Path) -> list[Path]:
    """Remove this host's spool folders in ``parent`` whose process has ended; the removed."""
    host, removed = _host(), []
    for path in parent.glob(f"{PREFIX}{host}-*"):
        owner = _owner(path.name, host)
        if owner is None or owner == os.getpid() or not path.is_dir() or _in_use(path, owner):
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


def _in_use(folder: Path, pid: int) -> bool:
    """Whether the process that wrote ``folder`` may still run (as recovery/stale_runs.py
    judges a run's process): gone, exited, or a reused pid started after the folder's last
    page means no."""
    try:
        process = psutil.Process(pid)
        started = process.create_time()
        exited = process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # e.g. another user's process we may not inspect: leave its folder
    return not exited and started <= folder.stat().st_mtime
