"""What the measurement tools share: their options, their timing and their output.

The tools run as scripts from the repository root (``python measure/<tool>.py``), so Python
puts ``measure/`` first on ``sys.path`` and they import this module, and each other, by bare
name. Importing it takes the standard library only (``fresh_reproduce.py`` runs before a
virtual environment exists); pandas, papermill and unpactlib are imported where they are used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "data" / "results" / "bench"

# the options several tools take: name -> add_argument's keywords
OPTIONS: dict[str, dict[str, Any]] = {
    "repeats": {"type": int, "default": 3, "help": "timed runs of each setting (median kept)"},
    "threads": {"type": int, "default": 0, "help": "torch threads (0: the tool's default)"},
    "profile": {"default": "embedded", "help": "the profile, as in data/results/PROFILE"},
    "note": {"default": "", "help": "a sentence kept in the record"},
}


def parser(doc: str, *options: str) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of ``doc`` (the tool's docstring), with
    ``--NAME`` for each name in ``options`` as :data:`OPTIONS` defines it."""
    out = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    for name in options:
        out.add_argument(f"--{name}", **OPTIONS[name])
    return out


def use_threads(threads: int, default: int = 0) -> int:
    """Set torch's thread count to ``threads``, else to ``default`` (0 for both: torch's own);
    return the count in use."""
    import torch

    if threads or default:
        torch.set_num_threads(threads or default)
    return torch.get_num_threads()


def one_thread_env(**extra: str) -> dict[str, str]:
    """This process's environment with one OpenMP (torch) thread, and ``extra`` variables."""
    return {**os.environ, "OMP_NUM_THREADS": "1", **extra}


def worker_command(script: str, *args: str) -> list[str]:
    """The command that runs ``script --worker ARGS`` with this Python."""
    return [sys.executable, script, "--worker", *args]


def median_seconds(
    fn: Callable[[], object],
    repeats: int,
    setting: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after one warm-up run, every run
    inside a new ``setting()`` context."""
    times = []
    for k in range(repeats + 1):
        with setting():
            start = time.perf_counter()
            fn()
            if k:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(a: float | pd.Series, b: float | pd.Series) -> float | pd.Series:
    """``a / b`` rounded to two decimals (numbers or pandas columns)."""
    return round(a / b, 2)


def write_bench(
    name: str, table: pd.DataFrame, note: str, record: dict[str, Any], folder: Path = BENCH
) -> Path:
    """Print ``table`` and ``note`` and write them to ``<folder>/<name>.md``; write ``record``
    with the environment to ``<folder>/<name>.json``, whose path it returns."""
    from unpactlib.results import environment, write_json, write_text_atomic

    print(table.to_string(index=False))
    print(note)
    write_text_atomic(folder / f"{name}.md", table.to_markdown(index=False) + "\n\n" + note + "\n")
    return write_json(folder / f"{name}.json", {**record, "environment": environment()})


def git(cwd: Path, *args: str) -> str:
    """Standard output of ``git ARGS`` run in ``cwd`` (an error if git fails)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
