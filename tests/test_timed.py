"""scripts/timed.py: a stage's time is kept from the run that did its work."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

from unpactlib import records
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


def test_stamped_since_reads_the_stage_stamps(tmp_path):
    """A skipped stage writes no stamp; a stage that worked writes one (records.finish_stage)."""
    stamps = tmp_path / "stages"
    assert not timed.stamped_since(stamps, 0.0)  # no stamp folder yet
    stamps.mkdir()
    old = stamps / "old.json"
    old.write_text("{}")
    os.utime(old, (time.time() - 100, time.time() - 100))
    since = time.time() - 10
    assert not timed.stamped_since(stamps, since)
    records.finish_stage(
        tmp_path / "run", "config.json", {"k": 1}, files=[], cache_dir=tmp_path, seconds=1.0
    )
    assert timed.stamped_since(stamps, since)


def test_stamps_of_other_results_do_not_count(tmp_path):
    """Stages side by side (make -j): a wmdp stage's stamp is not a news stage's work."""
    stamps = tmp_path / "stages"
    since = time.time() - 10
    for folder in ("wmdp__rmu__s0", "news__tv__s0"):
        records.finish_stage(tmp_path / folder, "r.json", {"k": 1}, files=[], cache_dir=tmp_path)
        assert timed.stamped_since(stamps, since, folder[:6])
    assert not timed.stamped_since(stamps, since, "books__")
    assert timed.stamped_since(stamps, since)  # no prefix: any stamp


def test_side_by_side_records_keep_both_stages(tmp_path):
    """Two processes recording at once into one file: both stages are kept (the lock)."""
    path = tmp_path / "timings.json"
    code = (
        "import sys; sys.path.insert(0, 'scripts'); import timed, pathlib\n"
        "for k in range(30):\n"
        "    timed.record(pathlib.Path(sys.argv[1]), f'{sys.argv[2]} {k}', 1.0, True)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path), name], cwd=REPO_ROOT)
        for name in ("a", "b")
    ]
    assert [p.wait() for p in procs] == [0, 0]
    assert len(read_json(path)) == 60


def test_the_command_peak_memory_is_recorded(tmp_path):
    """A command that holds about 300 MB: its stage's peak_gb says so (the largest process's
    resident memory, as getrusage reports it for children)."""
    path = tmp_path / "timings.json"
    hold = "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"
    code = subprocess.call(
        [sys.executable, str(REPO_ROOT / "scripts" / "timed.py"), str(path), "hold", "--"]
        + [sys.executable, "-c", hold],
        cwd=tmp_path,
    )
    assert code == 0
    entry = read_json(path)["hold"]
    assert 0.3 <= entry["peak_gb"] < 0.5, entry
