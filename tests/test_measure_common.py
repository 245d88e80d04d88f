"""measure/common.py: the measurement tools' shared options, timing and output."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import pandas as pd
import pytest
import torch

import common  # measure/ is on pytest's pythonpath
from unpactlib.paths import REPO_ROOT

DOC = """A tool's summary line.

Its details, which the parser leaves out.
"""


def test_parser_takes_the_named_shared_options():
    options = common.parser(DOC, "repeats", "threads", "profile", "note")
    assert options.description == "A tool's summary line."
    defaults = vars(options.parse_args([]))
    assert defaults == {"repeats": 3, "threads": 0, "profile": "embedded", "note": ""}
    args = options.parse_args(["--repeats", "5", "--threads", "2", "--note", "why"])
    assert (args.repeats, args.threads, args.note) == (5, 2, "why")


def test_parser_leaves_out_options_not_named():
    options = common.parser(DOC, "profile")
    assert vars(options.parse_args([])) == {"profile": "embedded"}
    with pytest.raises(SystemExit):
        options.parse_args(["--repeats", "2"])
    with pytest.raises(KeyError):
        common.parser(DOC, "no such option")


def test_use_threads_sets_the_given_count_else_the_default():
    before = torch.get_num_threads()
    try:
        assert common.use_threads(0) == before  # neither: torch's own count
        assert common.use_threads(0, 1) == 1 == torch.get_num_threads()
        assert common.use_threads(2, 1) == 2 == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_median_seconds_warms_up_once_inside_the_setting():
    calls, entered = [], []

    @contextmanager
    def setting():
        entered.append(1)
        yield

    seconds = common.median_seconds(lambda: calls.append(1), 3, setting)
    assert len(calls) == len(entered) == 4  # one warm-up, three timed
    assert 0.0 <= seconds < 1.0


def test_ratio_of_numbers_and_columns():
    assert common.ratio(1.0, 3.0) == 0.33
    pd.testing.assert_series_equal(
        common.ratio(pd.Series([2.0, 1.0]), pd.Series([1.0, 3.0])), pd.Series([2.0, 0.33])
    )


def test_write_bench_prints_and_writes_the_table(tmp_path, capsys):
    table = pd.DataFrame({"work": ["step"], "a s": [2.0], "b s": [1.0], "a / b": [2.0]})
    path = common.write_bench("unit_cpu", table, "A note.", {"rows": 1}, folder=tmp_path)
    assert path == tmp_path / "unit_cpu.json"
    printed = capsys.readouterr().out
    assert "a / b" in printed and "A note." in printed
    markdown = (tmp_path / "unit_cpu.md").read_text()
    assert markdown.startswith("| work") and markdown.endswith("\n\nA note.\n")
    record = json.loads(path.read_text())
    assert record["rows"] == 1 and "torch" in record["environment"]


def test_common_imports_the_standard_library_only():
    """fresh_reproduce.py imports it before any virtual environment exists."""
    code = (
        "import sys; sys.path.insert(0, 'measure'); import common; "
        "print([m for m in ('pandas', 'torch', 'papermill', 'unpactlib') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_tool_runs_as_a_script_from_the_repository_root():
    out = subprocess.run(
        [sys.executable, "measure/fresh_reproduce.py", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--interrupt-after" in out.stdout and "--note" in out.stdout
