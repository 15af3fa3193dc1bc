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


def make_uv(folder: Path, python: str | Path) -> subprocess.CompletedProcess[str]:
    """`make uv` in ``folder`` with a PATH that holds make and nothing else: no uv to find."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "make").exists():
        (bin_dir / "make").symlink_to(shutil.which("make") or "/usr/bin/make")
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("UV", None)  # `uv run` exports it; the Makefile must not need it
    return subprocess.run(
        ["make", "-f", str(MAKEFILE), "uv", f"PYTHON={python}"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_make_uv_installs_uv_into_the_project_folder(tmp_path):
    pythons = _system_pythons()
    if not pythons:
        pytest.skip("no python3 with pip on this machine to bootstrap uv with")
    python, externally_managed = pythons[0]

    made = make_uv(tmp_path, python)

    assert made.returncode == 0, f"{python} (externally managed: {externally_managed})\n" + (
        made.stdout + made.stderr
    )
    uv = tmp_path / ".tools" / "uv" / "bin" / "uv"
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("uv "), version.stderr
    again = make_uv(tmp_path, "/bin/false")  # installed once: no pip (nor any Python) needed
    assert again.returncode == 0, again.stdout + again.stderr


def test_without_pip_make_uv_says_what_to_install(tmp_path):
    no_pip = tmp_path / "python-without-pip"  # this suite's venv python, made by uv: no pip
    no_pip.write_text(f'#!/bin/sh\nexec {sys.executable} -I "$@"\n')
    no_pip.chmod(0o755)

    made = make_uv(tmp_path, no_pip)

    assert made.returncode != 0
    assert "uv is not installed" in made.stderr
    assert "https://docs.astral.sh/uv/" in made.stderr
    assert not (tmp_path / ".tools" / "uv" / "bin" / "uv").exists()
