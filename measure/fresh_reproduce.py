"""Measure ``make reproduce`` on a fresh clone: wall time, peak memory, resume after Ctrl-C.

    python3 measure/fresh_reproduce.py [--interrupt-after SECONDS] [--profile embedded]

Clones this checkout's HEAD into a temporary folder (no venv, no model, no caches: what a new
user has), runs ``make reproduce`` there and, every second, sums the resident memory of make
and every process below it (papermill, the notebook kernels).
With ``--interrupt-after``, the run gets SIGINT (what Ctrl-C sends) after that many seconds,
and ``make reproduce`` is started again in the same clone, which must resume. Once a run has
finished, ``make reproduce`` runs once more (``second_run``: its wall time and how many
notebooks it ran, which should be none).

Writes, in this checkout, ``data/results/<profile>/fresh_clone.json`` (each run's wall time and
exit status, the peak memory, the commit, and the result files of the clone that differ from
the committed ones) and replaces ``timings.json`` with the clone's (its per-stage times, the
latest measured). Standard library only (``common`` included): it runs before the clone's
virtual environment exists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, git, parser

PAGE = os.sysconf("SC_PAGE_SIZE")
# files a re-run is expected to rewrite: run times and the machine that measured them
EXPECTED_CHANGES = ("provenance.json", "timings.json")


def _processes() -> dict[int, tuple[int, int]]:
    """Every process: pid -> (parent pid, resident bytes)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])  # after "pid (comm) state"
            rss = int((entry / "statm").read_text().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            continue  # the process ended while being read
        table[int(entry.name)] = (ppid, rss)
    return table


def tree_rss(root: int) -> int:
    """Bytes resident in memory, summed over process ``root`` and all its descendants.

    A tree, not a session: Jupyter starts each notebook kernel in a session of its own.
    """
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo += children.get(pid, [])
    return total


def _default_sigint() -> None:
    """In the child: Ctrl-C's signal does its default (a shell's background jobs ignore it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(clone: Path, log: Path, interrupt_after: float | None) -> dict:
    """One ``make reproduce`` in ``clone``; its wall time, exit status and peak memory."""
    start = time.monotonic()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["make", "reproduce"],
            cwd=clone,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
        peak, interrupted, stage = 0, False, ""
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            due = interrupt_after is not None and time.monotonic() - start >= interrupt_after
            if due and not interrupted:
                os.killpg(proc.pid, signal.SIGINT)
                interrupted, stage = True, current_stage(log)
            time.sleep(1.0)
    return {
        "wall_seconds": round(time.monotonic() - start, 1),
        "exit_status": proc.returncode,
        "interrupted": interrupted,
        "interrupted_in": stage,
        "signal": "SIGINT" if interrupted else "",
        "peak_gb": round(peak / 2**30, 2),
    }


def notebooks_run(log_text: str) -> int:
    """How many stage and page notebooks a ``make reproduce`` log announces (``== `` lines)."""
    return sum(1 for line in log_text.splitlines() if line.startswith("== "))


def current_stage(log: Path) -> str:
    """The stage ``make reproduce`` last announced in its log (its last ``== ...`` line)."""
    lines = log.read_text(errors="replace").splitlines()
    return next((ln[3:] for ln in reversed(lines) if ln.startswith("== ")), "")


def changed_results(clone: Path) -> list[str]:
    """Result files of the clone that differ from the commit (expected rewrites left out)."""
    out = git(clone, "status", "--porcelain", "--", "data/results")
    paths = [line[3:] for line in out.splitlines()]
    return [p for p in paths if Path(p).name not in EXPECTED_CHANGES]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> int:
    options = parser(__doc__, "profile", "note")
    options.add_argument("--interrupt-after", type=float, default=None, metavar="SECONDS")
    options.add_argument("--workdir", default=None, help="where to clone (default: a temp dir)")
    options.add_argument(
        "--again", action="store_true", help="run again in WORKDIR's clone (resume), no new clone"
    )
    args = options.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="unpact-fresh-"))
    clone = work / "unpact"
    if args.again and not (clone / ".git").is_dir():
        options.error(f"--again: no clone at {clone}")
    if not args.again:
        git(ROOT, "clone", "--quiet", str(ROOT), str(clone))
    commit = git(clone, "rev-parse", "--short", "HEAD").strip()
    log = work / "reproduce.log"
    print(f"fresh clone of {commit} in {clone}; log: {log}", flush=True)

    runs = [run(clone, log, args.interrupt_after)]
    if runs[0]["interrupted"]:
        print(f"interrupted after {runs[0]['wall_seconds']} s; running again", flush=True)
        runs.append(run(clone, log, None))
    second = None
    if runs[-1]["exit_status"] == 0:
        start = log.stat().st_size
        second = run(clone, log, None)
        with log.open("rb") as f:
            f.seek(start)
            second["notebooks_run"] = notebooks_run(f.read().decode(errors="replace"))
    record = {
        "commit": commit,
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * PAGE / 2**30, 1),
        "runs": runs,
        "wall_seconds": round(sum(r["wall_seconds"] for r in runs), 1),
        "peak_gb": max(r["peak_gb"] for r in runs),
        "changed_results": changed_results(clone),
        **({"second_run": second} if second else {}),
        **({"note": args.note} if args.note else {}),
    }
    results = ROOT / "data" / "results" / args.profile
    results.mkdir(parents=True, exist_ok=True)
    write_atomic(results / "fresh_clone.json", json.dumps(record, indent=2) + "\n")
    timings = clone / "data" / "results" / args.profile / "timings.json"
    if timings.exists():  # the clone's stage times are the latest measured: they come back
        write_atomic(results / "timings.json", timings.read_text())
    print(json.dumps(record, indent=2))
    return 0 if runs[-1]["exit_status"] == 0 and second and second["exit_status"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
