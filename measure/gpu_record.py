"""Bring a GPU run of a profile (``scripts/gpu_run.sh OUT``) into this checkout.

    python measure/gpu_record.py OUT [--profile embedded] [--commit REV]

- Unpacks the seed-0 result folders of ``OUT/results.tar.gz`` into
  ``data/results/gpu/<profile>/``, where notebooks take them with ``-p results_dir
  data/results/gpu``.
- Copies ``OUT/timings.json`` (the stage times there) beside them.
- Writes ``run.json`` beside them. It holds the machine and versions (``OUT/gpu.txt``), the
  last line of the GPU tests (``OUT/pytest.log``) and the wall time of ``make results`` there.
  It also holds the claims verdicts of the GPU results: ``notebooks/07_claims.ipynb`` is run
  on them here, and its glued ``v1``-``v3`` are read back.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from common import parser
from unpactlib.paths import RESULTS_DIR
from unpactlib.results import claims, write_json

GPU_RESULTS = RESULTS_DIR / "gpu"


def unpack(archive: Path, profile: str, into: Path) -> list[str]:
    """Copy the archive's ``data/results/<profile>/*__s0`` folders into ``into``."""
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        runs = sorted((Path(tmp) / "data" / "results" / profile).glob("*__s0"))
        for run in runs:
            shutil.rmtree(into / run.name, ignore_errors=True)
            shutil.copytree(run, into / run.name)
    return [run.name for run in runs]


def machine(gpu_txt: str) -> dict[str, object]:
    """Device, versions and ``make results`` exit status and wall time from ``gpu.txt``."""
    name, memory, driver = gpu_txt.splitlines()[1].split(", ")
    versions = re.search(r"torch (\S+) transformers (\S+)", gpu_txt)
    make = re.search(r"make results: exit (\d+), (\d+) s wall", gpu_txt)
    return {
        "device": name,
        "memory": memory,
        "driver": driver,
        "torch": versions.group(1) if versions else "",
        "transformers": versions.group(2) if versions else "",
        "make_results_exit": int(make.group(1)) if make else None,
        "make_results_seconds": int(make.group(2)) if make else None,
    }


def main() -> None:
    options = parser(__doc__, "profile")
    options.add_argument("out", type=Path, help="the folder gpu_run.sh wrote")
    options.add_argument("--commit", default="", help="the commit the GPU run ran")
    args = options.parse_args()
    into = GPU_RESULTS / args.profile
    into.mkdir(parents=True, exist_ok=True)
    runs = unpack(args.out / "results.tar.gz", args.profile, into)
    shutil.copyfile(args.out / "timings.json", into / "timings.json")
    glued = claims(GPU_RESULTS, args.profile)
    verdicts = {k: v for k, v in glued.items() if re.fullmatch(r"v\d", k)}
    tests = (args.out / "pytest.log").read_text().strip().splitlines()
    record = {
        **machine((args.out / "gpu.txt").read_text()),
        "commit": args.commit,
        "gpu_tests": tests[-1] if tests else "",
        "runs": runs,
        "verdicts": verdicts,
    }
    write_json(into / "run.json", record)
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
