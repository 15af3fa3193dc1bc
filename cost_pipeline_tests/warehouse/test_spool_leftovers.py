"""Spool folders of dead loads are removed by the next load on the same host; nothing else is."""

import os
import subprocess
import sys
from pathlib import Path

from cost_pipeline.warehouse.spool import PageSpool
from cost_pipeline.warehouse.spool_leftovers import PREFIX, owned_prefix


def ended_process_id() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


def spool_folder(parent: Path, prefix: str, pages: int = 2) -> Path:
    folder = parent / f"{prefix}abc_1234"
    folder.mkdir()
    for seq in range(pages):
        (folder / f"page-{seq:08d}.json").write_bytes(b"[]")
    return folder


def this_host_prefix_for(pid: int) -> str:
    # owned_prefix() is PREFIX<host>-<pid>-: the same host, another process.
    return owned_prefix().removesuffix(f"-{os.getpid()}-") + f"-{pid}-"


def test_a_dead_loads_folder_is_removed_when_the_next_spool_opens(tmp_path):
    dead = spool_folder(tmp_path, this_host_prefix_for(ended_process_id()))
    with PageSpool(str(tmp_path)) as spool:
        assert spool.removed_leftovers == [dead]
        assert not dead.exists()
        assert spool.directory.name.startswith(owned_prefix())
    assert list(tmp_path.iterdir()) == []  # and the new spool removed itself


def test_folders_that_may_be_in_use_are_kept(tmp_path):
    live_child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                  stdin=subprocess.PIPE)  # fmt: skip
    try:
        kept = [
            spool_folder(tmp_path, this_host_prefix_for(live_child.pid)),  # a live process
            spool_folder(tmp_path, owned_prefix()),  # this process's own
            spool_folder(tmp_path, f"{PREFIX}another-host-{ended_process_id()}-"),
            spool_folder(tmp_path, PREFIX),  # a name from before folders carried an owner
            spool_folder(tmp_path, "something-else-"),
        ]
        with PageSpool(str(tmp_path)) as spool:
            assert spool.removed_leftovers == []
        assert sorted(tmp_path.iterdir()) == sorted(kept)
        assert all(len(list(folder.iterdir())) == 2 for folder in kept)
    finally:
        live_child.communicate(b"")


def test_a_folder_older_than_the_process_now_holding_its_pid_is_removed(tmp_path):
    # The pid was reused: the running process started after the folder's last page.
    reused = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE)  # fmt: skip
    try:
        stale = spool_folder(tmp_path, this_host_prefix_for(reused.pid))
        an_hour_ago = stale.stat().st_mtime - 3600
        os.utime(stale, (an_hour_ago, an_hour_ago))
        with PageSpool(str(tmp_path)) as spool:
            assert spool.removed_leftovers == [stale]
    finally:
        reused.communicate(b"")
