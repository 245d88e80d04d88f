"""Run a command and record its wall time: ``python scripts/timed.py FILE STAGE -- CMD ...``.

The time is stored under ``STAGE`` in the JSON file ``FILE`` (written atomically), which the
book's "Reproduce and extend" page reads. The command's exit status is passed on; a failed
command records nothing.

A stage whose results already exist is skipped by its notebook, which then writes nothing to
the results folder (``FILE``'s folder). Such a run leaves ``seconds``, the time of the run that
did the work, as it was and is stored as ``last_seconds`` only. (Whether the stage worked is
read from the folder, not guessed from the time: a stage that once ran beside another job can
take a quarter of that time alone.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from unpactlib.results import environment, read_json, write_json


def wrote_results(folder: Path, since: float, ignore: Path) -> bool:
    """Whether any file under ``folder`` (``ignore`` aside) was modified at or after ``since``."""
    return any(
        p.is_file() and p != ignore and p.stat().st_mtime >= since for p in folder.rglob("*")
    )


def record(path: Path, stage: str, seconds: float, worked: bool) -> None:
    """Store ``seconds`` for ``stage`` in ``path``: as the stage's time if it did work (or has
    no time yet), else as its latest run's time only."""
    try:
        timings = read_json(path)
    except (OSError, ValueError):
        timings = {}
    old = timings.get(stage)
    if worked or old is None:
        timings[stage] = {"seconds": seconds, "last_seconds": seconds, **environment()}
    else:
        timings[stage] = {**old, "last_seconds": seconds}
    write_json(path, timings)


def main() -> int:
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, stage, cmd = Path(sys.argv[1]), sys.argv[2], sys.argv[4:]
    wall_start, start = time.time(), time.perf_counter()
    code = subprocess.call(cmd)
    if code == 0:
        seconds = round(time.perf_counter() - start, 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        record(path, stage, seconds, wrote_results(path.parent, wall_start - 1.0, path))
    return code


if __name__ == "__main__":
    sys.exit(main())
