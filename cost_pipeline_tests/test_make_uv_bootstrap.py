"""`make uv` on a machine without uv: pip puts it in .tools/uv, even where the system Python
refuses `pip install --user` (PEP 668, "externally managed": Debian 12, Ubuntu 23.04+)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
MARKER_CHECK = (
    "import os, sysconfig; "
    "print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"
)


def _system_pythons() -> list[tuple[str, bool]]:
    """(python, externally managed) for each python3 on this machine that has pip."""
    found: dict[str, bool] = {}
    for folder in ["/usr/bin", *os.environ.get("PATH", "").split(os.pathsep)]:
        python = shutil.which("python3", path=folder)
        if not python:
            continue
        # Also makes a venv's python3 its base interpreter, and /bin and /usr/bin one folder.
        python = os.path.realpath(python)
        if python in found:
            continue
        has_pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True)
        if has_pip.returncode == 0:
            marker = subprocess.run([python, "-c", MARKER_CHECK], capture_output=True, text=True)
            found[python] = marker.stdout.strip() == "True"
    return sorted(found.items(), key=lambda item: not item[1])  # externally managed first


def test_make_uv_installs_uv_into_the_project_folder(tmp_path):
    pythons = _system_pythons()
    if not pythons:
        pytest.skip("no python3 with pip on this machine to bootstrap uv with")
    python, externally_managed = pythons[0]
    bin_dir = tmp_path / "bin"  # a PATH with make and nothing else: no uv to find
    bin_dir.mkdir()
    (bin_dir / "make").symlink_to(shutil.which("make") or "/usr/bin/make")
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("UV", None)

    made = subprocess.run(
        ["make", "-f", str(MAKEFILE), "uv", f"PYTHON={python}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert made.returncode == 0, f"{python} (externally managed: {externally_managed})\n" + (
        made.stdout + made.stderr
    )
    uv = tmp_path / ".tools" / "uv" / "bin" / "uv"
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("uv "), version.stderr
    again = subprocess.run(  # installed once: the next make needs no pip (nor any Python)
        ["make", "-f", str(MAKEFILE), "uv", "PYTHON=/bin/false"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stdout + again.stderr


def test_without_pip_make_uv_says_what_to_install(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").symlink_to(shutil.which("make") or "/usr/bin/make")
    no_pip = tmp_path / "python-without-pip"  # this suite's venv python, made by uv: no pip
    no_pip.write_text(f'#!/bin/sh\nexec {sys.executable} -I "$@"\n')
    no_pip.chmod(0o755)
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("UV", None)

    made = subprocess.run(
        ["make", "-f", str(MAKEFILE), "uv", f"PYTHON={no_pip}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert made.returncode != 0
    assert "uv is not installed" in made.stderr
    assert "https://docs.astral.sh/uv/" in made.stderr
    assert not (tmp_path / ".tools" / "uv" / "bin" / "uv").exists()
