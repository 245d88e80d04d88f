"""The Makefile's stage stamps: which stage notebooks `make results` runs again, and which it
skips, checked on a copy of the Makefile whose papermill is a stand-in that writes stage
records the way the notebooks do (unpactlib.records.finish_stage) and logs each call."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unpactlib.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")

# papermill's stand-in: NOTEBOOK OUTPUT -p name value ... ; writes what the stage would
PAPERMILL = r"""#!PYTHON
import hashlib, json, os, sys
from pathlib import Path
args = sys.argv[1:]
if "--log-level" in args:  # the Makefile's options: --log-output --no-progress-bar --log-level X
    del args[args.index("--log-level") : args.index("--log-level") + 2]
args = [a for a in args if a not in ("--log-output", "--no-progress-bar")]
notebook, output = args[0], args[1]
params = {args[i + 1]: args[i + 2] for i in range(2, len(args) - 2) if args[i] in ("-p", "-r")}
stage = Path(notebook).stem
with open("calls.log", "a") as log:
    log.write(f"{stage} {params.get('benchmark', '-')}\n")
if os.environ.get("FAIL") == stage:
    sys.exit(1)
root = Path("data/results") / params["profile"]
b = params.get("benchmark")
def finish(folder, record, files):
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name in files:
        (folder / name).write_text(f"{name} of {folder.name}\n")
        digests[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "provenance.json").write_text(stage)  # every stage rewrites it
    (folder / record).write_text(json.dumps({"key": params, "files": digests}))
methods = ["ga", "npo"]
if stage == "01_target":
    finish(root / f"{b}__target__s0", "config.json", ["items.csv"])
elif stage == "02_unlearn":
    for m in methods:
        finish(root / f"{b}__{m}__s0", "config.json", ["items.csv"])
elif stage == "03_attribution":
    for m in ["target", *methods]:
        finish(root / f"{b}__{m}__s0", "attribution_config.json", ["contributions.jsonl"])
elif stage == "04_recovery":
    for m in methods:
        finish(root / f"{b}__{m}__s0", "recovery_config.json", ["recovery.json"])
elif stage == "09_ladder":
    finish(root / f"{b}__target__s0", "ladder_reference.json", ["ladder_reference.csv"])
    for m in methods:
        finish(root / f"{b}__{m}__s0", "ladder_config.json", ["ladder.csv"])
elif stage == "10_frontier":
    for m in methods:
        finish(root / f"{b}__{m}__s0", "frontier_config.json", ["frontier.csv"])
elif stage == "08_seeds":
    (root / "seeds.csv").write_text("seed\n0\n")  # a page that writes a result, as 08 does
Path(output).parent.mkdir(parents=True, exist_ok=True)
Path(output).write_text(json.dumps(params))
"""

NOTEBOOKS = ["01_target", "02_unlearn", "03_attribution", "04_recovery", "09_ladder"]
FRONTIER = "10_frontier"
PAGES = [
    "00_benchmarks",
    "02_settings",
    "05_summary",
    "07_claims",
    "11_overview",
    "12_report",
    "08_seeds",
    "06_reproduce",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the Makefile and scripts/stage_deps.py with stand-in notebooks, library,
    data, virtual environment and model."""
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "stage_deps.py", tmp_path / "scripts")
    (tmp_path / "timed.sh").write_text('while [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n')
    for name in [
        "requirements.txt",
        "pyproject.toml",
        "unpactlib/core.py",
        "data/general/utility.jsonl",
        "data/news/forget.jsonl",
        "data/books/forget.jsonl",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("stand-in\n")
    for name in NOTEBOOKS + [FRONTIER] + PAGES:
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "papermill").write_text(PAPERMILL.replace("PYTHON", sys.executable))
    (bin_dir / "papermill").chmod(0o755)
    time.sleep(0.01)
    (tmp_path / ".venv" / ".installed").touch()
    model = tmp_path / ".cache/models/smollm2-135m-instruct/model.safetensors"
    model.parent.mkdir(parents=True)
    time.sleep(0.01)
    model.touch()
    return tmp_path


def make(project: Path, *args: str, fail: str = "", check: bool = True, jobs: int = 1) -> list[str]:
    """Run `make results` there with the stand-ins (``jobs`` stages at a time); the stage and
    page notebooks it ran."""
    log = project / "calls.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "FAIL": fail}
    command = [
        "make",
        "--no-print-directory",
        "results",
        "ORDER=news books",
        f"JOBS={jobs}",
        "TIMED=sh timed.sh",
        *args,
    ]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text().split("\n")[:-1] if log.exists() else []


def later(path: Path) -> None:
    """Rewrite ``path`` (same bytes), as an edit would, after the clock's tick (file times are
    as coarse as the kernel's timer)."""
    time.sleep(0.05)
    path.write_bytes(path.read_bytes())


ALL_NEWS = [f"{nb} news" for nb in NOTEBOOKS]
ALL_BOOKS = [s.replace("news", "books") for s in ALL_NEWS]
FRONT = [f"{FRONTIER} news"]  # the frontier: news only (FRONTIER), after every chain
ALL_PAGES = [f"{p} -" for p in PAGES]


def test_a_second_run_runs_nothing(project: Path) -> None:
    assert make(project) == ALL_NEWS + ALL_BOOKS + FRONT + ALL_PAGES
    assert make(project) == []
    # each stamp depends on its records and the files they list, never on provenance.json
    deps = (project / ".cache/make/embedded/unlearn-news.done.d").read_text()
    assert "data/results/embedded/news__ga__s0/config.json" in deps
    assert "data/results/embedded/news__npo__s0/items.csv" in deps
    assert "provenance" not in deps and "news__target__s0" not in deps


def test_stages_side_by_side_run_each_once(project: Path) -> None:
    ran = make(project, jobs=2)
    pages = len(ALL_PAGES)
    assert sorted(ran[:-pages]) == sorted(ALL_NEWS + ALL_BOOKS + FRONT)
    assert ran[-pages:] == ALL_PAGES
    for chain in (ALL_NEWS + FRONT, ALL_BOOKS):  # each benchmark's stages in their order
        assert [s for s in ran if s in chain] == chain
    assert make(project, jobs=2) == []


def test_a_deleted_or_rewritten_result_reruns_its_stage_and_those_after(project: Path) -> None:
    make(project)
    (project / "data/results/embedded/news__npo__s0/items.csv").unlink()
    assert make(project) == ALL_NEWS[1:] + FRONT + ALL_PAGES
    later(project / "data/results/embedded/books__ga__s0/recovery.json")
    assert make(project) == ["04_recovery books", "09_ladder books"] + ALL_PAGES
    assert make(project) == []


def test_inputs_newer_than_a_stage_run_it_again(project: Path) -> None:
    make(project)
    later(project / "data/books/forget.jsonl")
    assert make(project) == ALL_BOOKS + ALL_PAGES
    later(project / "notebooks/03_attribution.ipynb")
    assert make(project) == ALL_NEWS[2:] + ALL_BOOKS[2:] + FRONT + ALL_PAGES
    later(project / "unpactlib/core.py")
    assert make(project) == ALL_NEWS + ALL_BOOKS + FRONT + ALL_PAGES
    later(project / "notebooks/07_claims.ipynb")  # 06 lists every notebook's parameters
    assert make(project) == ["07_claims -", "06_reproduce -"]


def test_changed_parameters_rerun_what_they_change(project: Path) -> None:
    make(project)
    # books gets the extra analyses too: its attribution and recovery run again, nothing else
    extras = "EXTRAS=news books"
    assert make(project, extras) == ALL_BOOKS[2:] + ALL_PAGES
    assert make(project, extras) == []
    # the seed list is a parameter of the seeds page and of T1's spread over seeds
    assert make(project, extras, "SEEDS=1 2 3") == ["05_summary -", "08_seeds -"]
    everything = ALL_NEWS + ALL_BOOKS + FRONT + ALL_PAGES
    assert make(project, extras, "SEEDS=1 2 3", "THREADS=2") == everything
    assert make(project, extras, "SEEDS=1 2 3", "THREADS=2") == []


def test_a_failed_stage_leaves_no_stamp_and_keeps_the_old_page(project: Path) -> None:
    make(project)
    later(project / "notebooks/04_recovery.ipynb")
    page = project / "book/05_summary.ipynb"
    before = page.stat().st_mtime_ns
    assert make(project, fail="04_recovery", check=False) == ["04_recovery news"]
    assert page.stat().st_mtime_ns == before
    assert make(project) == [*ALL_NEWS[3:], *ALL_BOOKS[3:], *FRONT, *ALL_PAGES]
    before = page.stat().st_mtime_ns
    later(project / "notebooks/05_summary.ipynb")
    assert make(project, fail="05_summary", check=False) == ["05_summary -"]
    assert page.stat().st_mtime_ns == before  # papermill's partial output did not replace it
    assert make(project) == ["05_summary -", "06_reproduce -"]


def test_stage_deps_lists_records_and_their_files(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import stage_deps
    finally:
        sys.path.pop(0)
    folder = tmp_path / "news__ga__s0"
    folder.mkdir()
    (folder / "items.csv").write_text("x\n")
    digest = hashlib.sha256(b"x\n").hexdigest()
    (folder / "config.json").write_text(json.dumps({"key": {}, "files": {"items.csv": digest}}))
    stamp = str(tmp_path / "unlearn-news.done")
    assert stage_deps.main([stamp, str(tmp_path / "*__s0/config.json")]) == 0
    text = Path(stamp + ".d").read_text()
    assert f"{stamp}: \\\n  {folder}/config.json \\\n  {folder}/items.csv \\\n" in text
    assert text.endswith(f"{folder}/config.json:\n{folder}/items.csv:\n")
    # nothing matched (or only excluded records): an error, not an empty list
    assert stage_deps.main([stamp, "--exclude", "__ga__", str(tmp_path / "*__s0/config.json")]) == 1
    assert stage_deps.main([stamp, str(tmp_path / "none/*.json")]) == 1
