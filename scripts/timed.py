"""Run a command and record its wall time: ``python scripts/timed.py FILE STAGE -- CMD ...``.

The time is stored under ``STAGE`` in the JSON file ``FILE`` (written atomically), which the
book's "Reproduce and extend" page reads. The command's exit status is passed on; a failed
command records nothing.

A stage whose results already exist is skipped by its notebook. Such a run leaves
``seconds``, the time of the run that did the work, as it was and is stored as
``last_seconds`` only. Whether the stage worked is read from the stamps every finished stage
writes in the cache (:func:`unpactlib.study.stamp_folder`), not from its time (a stage that
once ran beside another job can take a quarter of that time alone) nor from its result files
(a skipped notebook may rewrite a summary; a recomputed one writes identical bytes).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from unpactlib.results import environment, read_json, write_json
from unpactlib.study import stamp_folder


def stamped_since(stamps: Path, since: float) -> bool:
    """Whether a stage stamp in ``stamps`` was written at or after ``since`` (a stage worked)."""
    return stamps.is_dir() and any(p.stat().st_mtime >= since for p in stamps.iterdir())


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
        record(path, stage, seconds, stamped_since(stamp_folder(), wall_start - 1.0))
    return code


if __name__ == "__main__":
    sys.exit(main())
