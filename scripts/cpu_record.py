"""Bring the results of a fresh clone made on another CPU into this checkout, beside the
committed ones they are compared with.

    python scripts/cpu_record.py CLONE [--name cpu_amx] [--profile embedded] [--note TEXT]

Run it on the machine that made the clone's results (``scripts/fresh_reproduce.py
--workdir DIR`` leaves the clone in ``DIR/unpact``):

- copies the clone's seed-0 result folders ``data/results/<profile>/*__s0`` into
  ``data/results/<name>/<profile>/``, where every notebook reads them with ``-p results_dir
  data/results/<name>`` (its stage times are the ones ``fresh_reproduce.py`` brought back);
- writes ``run.json`` beside them: this machine's CPU (model name and
  :func:`unpactlib.results.cpu_kernels`), the clone's commit, and the claims numbers and
  verdicts that ``notebooks/07_claims.ipynb`` glues, run here on the clone's results and on the
  committed ones, so the book shows both side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import papermill as pm

from unpactlib.paths import REPO_ROOT, RESULTS_DIR
from unpactlib.results import cpu_info, cpu_kernels, write_json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_record import glued  # noqa: E402  (a sibling script)


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name as the kernel reports it (empty when unknown)."""
    return cpu_info(cpuinfo).get("model name", "")


def claims(results_dir: Path, profile: str) -> dict[str, str]:
    """Every value ``07_claims`` glues when it runs on ``results_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "07_claims.ipynb"
        pm.execute_notebook(
            str(REPO_ROOT / "notebooks" / "07_claims.ipynb"),
            str(out),
            parameters={"profile": profile, "results_dir": str(results_dir)},
            progress_bar=False,
        )
        return glued(out)


def copy_runs(source: Path, into: Path) -> list[str]:
    """Replace ``into`` with the seed-0 result folders of ``source``."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    runs = sorted(source.glob("*__s0"))
    for run in runs:
        shutil.copytree(run, into / run.name)
    return [run.name for run in runs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clone", type=Path, help="a clone whose make reproduce finished")
    parser.add_argument("--name", default="cpu_amx", help="folder under data/results")
    parser.add_argument("--profile", default="embedded")
    parser.add_argument("--note", default="", help="a sentence kept in the record")
    args = parser.parse_args()
    source = args.clone / "data" / "results" / args.profile
    if not any(source.glob("*__s0")):
        parser.error(f"no result folders in {source}")
    into = RESULTS_DIR / args.name / args.profile
    runs = copy_runs(source, into)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=args.clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    record = {
        "cpu": cpu_model(),
        "cpu_kernels": cpu_kernels(),
        "commit": commit,
        "date": dt.date.today().isoformat(),
        "runs": runs,
        "claims": {
            "committed": claims(RESULTS_DIR, args.profile),
            "this cpu": claims(RESULTS_DIR / args.name, args.profile),
        },
        **({"note": args.note} if args.note else {}),
    }
    write_json(into / "run.json", record)
    print(json.dumps({k: v for k, v in record.items() if k != "claims"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
