"""Run a command and record its wall time: ``python scripts/timed.py FILE STAGE -- CMD ...``.

The time is stored under ``STAGE`` in the JSON file ``FILE`` (written atomically), which the
book's "Reproduce and extend" page reads. The command's exit status is passed on; a failed
command records nothing.

A stage whose results already exist is skipped by the notebook and takes seconds. Such a run
(under a quarter of the stored time) leaves ``seconds``, the time of the run that did the
work, as it was and is stored as ``last_seconds``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from unpactlib.results import environment, read_json, write_json


def main() -> int:
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    path, stage, cmd = Path(sys.argv[1]), sys.argv[2], sys.argv[4:]
    start = time.perf_counter()
    code = subprocess.call(cmd)
    if code == 0:
        try:
            timings = read_json(path)
        except (OSError, ValueError):
            timings = {}
        seconds = round(time.perf_counter() - start, 1)
        old = timings.get(stage, {})
        if seconds < 0.25 * old.get("seconds", 0):
            timings[stage] = {**old, "last_seconds": seconds}
        else:
            timings[stage] = {"seconds": seconds, "last_seconds": seconds, **environment()}
        write_json(path, timings)
    return code


if __name__ == "__main__":
    sys.exit(main())
