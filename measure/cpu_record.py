"""Bring the results of a fresh clone made on another CPU into this checkout, beside the
committed ones they are compared with.

    python measure/cpu_record.py CLONE [--name cpu_amx] [--profile embedded] [--note TEXT]

Run it on the machine that made the clone's results (``measure/fresh_reproduce.py
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

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

from common import claims, git, parser
from unpactlib.paths import RESULTS_DIR
from unpactlib.results import cpu_info, cpu_kernels, write_json


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name as the kernel reports it (empty when unknown)."""
    return cpu_info(cpuinfo).get("model name", "")


def copy_runs(source: Path, into: Path) -> list[str]:
    """Replace ``into`` with the seed-0 result folders of ``source``."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    runs = sorted(source.glob("*__s0"))
    for run in runs:
        shutil.copytree(run, into / run.name)
    return [run.name for run in runs]


def main() -> int:
    options = parser(__doc__, "profile", "note")
    options.add_argument("clone", type=Path, help="a clone whose make reproduce finished")
    options.add_argument("--name", default="cpu_amx", help="folder under data/results")
    args = options.parse_args()
    source = args.clone / "data" / "results" / args.profile
    if not any(source.glob("*__s0")):
        options.error(f"no result folders in {source}")
    into = RESULTS_DIR / args.name / args.profile
    runs = copy_runs(source, into)
    record = {
        "cpu": cpu_model(),
        "cpu_kernels": cpu_kernels(),
        "commit": git(args.clone, "rev-parse", "--short", "HEAD").strip(),
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
