"""ruff (lint and format) is clean on the library, the tests, the source notebooks and the
measurement tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from unpactlib.paths import REPO_ROOT

RUFF = str(Path(sys.executable).parent / "ruff")
TARGETS = ["unpactlib", "tests", "notebooks", "measure"]


def test_ruff_check():
    proc = subprocess.run([RUFF, "check", *TARGETS], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_ruff_format():
    proc = subprocess.run(
        [RUFF, "format", "--check", *TARGETS], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout
