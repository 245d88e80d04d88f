"""measure/fresh_reproduce.py: memory of a process session, an interrupted run, changed files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fresh_reproduce as fresh  # measure/ is on pytest's pythonpath


def _own_rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_tree_rss_counts_children_in_their_own_session():
    """A child in a session of its own (as Jupyter starts kernels) is counted with its parent."""
    child = subprocess.Popen(
        [sys.executable, "-c", "x = bytearray(200 * 2**20); import time; time.sleep(30)"],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while fresh.tree_rss(os.getpid()) < _own_rss() + 200 * 2**20:
            assert time.monotonic() < deadline, "the child's memory was never counted"
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert fresh.tree_rss(-1) == 0  # no such process


def _makefile(folder: Path, recipe: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Makefile").write_text(f"reproduce:\n\t{recipe}\n")
    return folder


def test_run_times_a_finished_make(tmp_path):
    clone = _makefile(tmp_path / "ok", "python3 -c 'x = bytearray(50 * 2**20); print(len(x))'")
    out = fresh.run(clone, tmp_path / "ok.log", interrupt_after=None)
    assert out["exit_status"] == 0 and not out["interrupted"]
    assert out["peak_gb"] >= 0.0 and out["wall_seconds"] < 30
    assert "52428800" in (tmp_path / "ok.log").read_text()


def test_run_interrupts_with_sigint(tmp_path):
    """SIGINT reaches make's recipe (as Ctrl-C would) and the run stops long before it ends,
    even when this process ignores SIGINT (as a shell's background job does)."""
    clone = _makefile(tmp_path / "slow", "echo '== stage one'; echo '== stage two'; sleep 60")
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        out = fresh.run(clone, tmp_path / "slow.log", interrupt_after=1.0)
    finally:
        signal.signal(signal.SIGINT, before)
    assert out["interrupted"]
    assert out["interrupted_in"] == "stage two"
    assert out["exit_status"] != 0
    assert out["wall_seconds"] < 30


def test_changed_results_leaves_out_expected_rewrites(tmp_path):
    repo = tmp_path / "repo"
    results = repo / "data" / "results" / "p" / "run"
    results.mkdir(parents=True)
    for name in ("items.csv", "provenance.json", "same.csv"):
        (results / name).write_text("a\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "results"], cwd=repo, check=True)
    (results / "items.csv").write_text("b\n")
    (results / "provenance.json").write_text("b\n")
    assert fresh.changed_results(repo) == ["data/results/p/run/items.csv"]


def test_notebooks_run_counts_the_announced_notebooks():
    log = "== 01_target: news (profile embedded, 1 thread)\nsome output\n== page book/x.ipynb\n"
    assert fresh.notebooks_run(log) == 2
    assert fresh.notebooks_run("make: Nothing to be done for 'reproduce'.\n") == 0
