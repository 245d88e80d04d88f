"""ruff (lint and format) is clean on the whole repository: the library, the tests, the source
notebooks, the scripts and the measurement tools (pyproject.toml leaves out the executed
pages under book/, which papermill writes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from unpactlib.paths import REPO_ROOT

RUFF = str(Path(sys.executable).parent / "ruff")
TARGETS = ["."]


def test_ruff_check():
    proc = subprocess.run([RUFF, "check", *TARGETS], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_ruff_format():
    proc = subprocess.run(
        [RUFF, "format", "--check", *TARGETS], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout
