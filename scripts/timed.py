"""Run a command and record its wall time and peak memory: ``python scripts/timed.py FILE STAGE
[--results PREFIX] -- CMD ...``.

The time is stored under ``STAGE`` in the JSON file ``FILE`` (written atomically), which the
book's "Reproduce and extend" page reads, with ``peak_gb``: the largest resident memory of
any one process of the command (the notebook's kernel, for a papermill run), as the kernel
reports it for waited-for children (``getrusage``). The command's exit status is passed on; a failed
command records nothing.

A stage whose results already exist is skipped by its notebook. Such a run leaves
``seconds``, the time of the run that did the work, as it was and is stored as
``last_seconds`` only. Whether the stage worked is read from the stamps every finished stage
writes in the cache (:func:`unpactlib.records.stamp_folder`), not from its time (a stage that
once ran beside another job can take a quarter of that time alone) nor from its result files
(a skipped notebook may rewrite a summary; a recomputed one writes identical bytes). When
stages run side by side (``make -j``), ``--results PREFIX`` counts only the stamps of result
folders whose name starts with ``PREFIX`` (``wmdp__``), so one stage's work is not taken for
another's. Writes to ``FILE`` hold a lock, for the same reason.
"""

from __future__ import annotations

import fcntl
import resource
import subprocess
import sys
import time
from pathlib import Path

# unpactlib (torch) is imported only once the command has finished: the wrapper would
# otherwise hold half a gigabyte beside the notebook it waits for


def stamped_since(stamps: Path, since: float, results: str = "") -> bool:
    """Whether a stage stamp in ``stamps`` was written at or after ``since`` (a stage worked),
    for a result folder whose name starts with ``results`` (any, when empty)."""
    from unpactlib.results import read_json

    if not stamps.is_dir():
        return False
    for p in stamps.iterdir():
        if p.suffix == ".json" and p.stat().st_mtime >= since:
            try:
                folder = read_json(p).get("results", "")
            except (OSError, ValueError, AttributeError):
                continue
            if folder.startswith(results):
                return True
    return False


def record(
    path: Path, stage: str, seconds: float, worked: bool, peak_gb: float | None = None
) -> None:
    """Store ``seconds`` (and ``peak_gb``) for ``stage`` in ``path``: as the stage's if it did
    work (or has no time yet), else as its latest run's time only."""
    from unpactlib.results import environment, read_json, write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # stages that run side by side write one file
        try:
            timings = read_json(path)
        except (OSError, ValueError):
            timings = {}
        old = timings.get(stage)
        if worked or old is None:
            timings[stage] = {"seconds": seconds, "last_seconds": seconds, **environment()}
            if peak_gb is not None:
                timings[stage]["peak_gb"] = peak_gb
        else:
            timings[stage] = {**old, "last_seconds": seconds}
        write_json(path, timings)


def main() -> int:
    args = sys.argv[1:]
    results = ""
    if len(args) > 3 and args[2] == "--results":
        results = args[3]
        del args[2:4]
    if len(args) < 4 or args[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, stage, cmd = Path(args[0]), args[1], args[3:]
    wall_start, start = time.time(), time.perf_counter()
    code = subprocess.call(cmd)
    if code == 0:
        seconds = round(time.perf_counter() - start, 1)
        from unpactlib.records import stamp_folder

        worked = stamped_since(stamp_folder(), wall_start - 1.0, results)
        peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6, 2)  # KiB
        record(path, stage, seconds, worked, peak)
    return code


if __name__ == "__main__":
    sys.exit(main())
