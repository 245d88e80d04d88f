"""scripts/timed.py: a stage's time is kept from the run that did its work."""

from __future__ import annotations

import importlib.util
import os
import sys
import time

from unpactlib.paths import REPO_ROOT
from unpactlib.results import read_json

_spec = importlib.util.spec_from_file_location("timed", REPO_ROOT / "scripts" / "timed.py")
timed = importlib.util.module_from_spec(_spec)
sys.modules["timed"] = timed
_spec.loader.exec_module(timed)


def test_a_skipped_run_keeps_the_working_runs_time(tmp_path):
    path = tmp_path / "timings.json"
    timed.record(path, "03_attribution news", 216.0, worked=False)  # first time: stored
    assert read_json(path)["03_attribution news"]["seconds"] == 216.0
    timed.record(path, "03_attribution news", 9.5, worked=False)  # a skip: latest run only
    entry = read_json(path)["03_attribution news"]
    assert (entry["seconds"], entry["last_seconds"]) == (216.0, 9.5)
    timed.record(path, "03_attribution news", 40.0, worked=True)  # faster, but it worked
    entry = read_json(path)["03_attribution news"]
    assert (entry["seconds"], entry["last_seconds"]) == (40.0, 40.0)
    assert "torch" in entry  # the environment that measured it


def test_wrote_results_reads_modification_times(tmp_path):
    timings = tmp_path / "timings.json"
    old = tmp_path / "run" / "items.csv"
    old.parent.mkdir()
    old.write_text("a\n")
    os.utime(old, (time.time() - 100, time.time() - 100))
    since = time.time() - 10
    timings.write_text("{}")  # the timings file itself is not a result
    assert not timed.wrote_results(tmp_path, since, timings)
    (tmp_path / "run" / "metrics.json").write_text("{}")
    assert timed.wrote_results(tmp_path, since, timings)
