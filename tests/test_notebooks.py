"""The notebooks, run by papermill under the smoke profile, then checked by nbval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

from unpactlib.paths import REPO_ROOT
from unpactlib.unlearn import METHODS

NOTEBOOKS = [
    "00_benchmarks",
    "01_target",
    "02_settings",
    "02_unlearn",
    "03_attribution",
    "04_recovery",
    "05_summary",
    "06_reproduce",
    "07_claims",
]
BENCHMARKS = ["news", "books", "wmdp"]
STUDIED = ["news", "wmdp"]  # a QA and a multiple-choice benchmark through every stage
# (output name, source notebook, extra parameters), in the order make reproduce runs them
RUNS = (
    [(f"target_{b}", "01_target", {"benchmark": b}) for b in BENCHMARKS]
    + [("00_benchmarks", "00_benchmarks", {}), ("02_settings", "02_settings", {})]
    + [
        (f"{nb}_{b}", nb, {"benchmark": b})
        for nb in ("02_unlearn", "03_attribution", "04_recovery")
        for b in STUDIED
    ]
    + [("05_summary", "05_summary", {"benchmarks": ",".join(STUDIED)})]
    + [("06_reproduce", "06_reproduce", {}), ("07_claims", "07_claims", {})]
)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> dict[str, Path]:
    """Run every notebook in order with the smoke profile into a temporary folder."""
    tmp = tmp_path_factory.mktemp("smoke")
    params = {
        "profile": "smoke",
        "results_dir": str(tmp / "results"),
        "cache_dir": str(tmp / "cache"),
        "device": "cpu",
    }
    outputs = {}
    for name, source, extra in RUNS:
        out = tmp / f"{name}.ipynb"
        path = REPO_ROOT / "notebooks" / f"{source}.ipynb"
        accepted = pm.inspect_notebook(str(path))
        pm.execute_notebook(
            str(path),
            str(out),
            parameters={k: v for k, v in {**params, **extra}.items() if k in accepted},
            cwd=str(tmp),
            progress_bar=False,
        )
        outputs[name] = out
    outputs["results"] = tmp / "results" / "smoke"
    return outputs


def test_notebooks_write_their_results(smoke_run):
    for b in STUDIED:
        target = smoke_run["results"] / f"{b}__target__s0"
        for name in ("metrics.json", "items.csv", "contributions.jsonl"):
            assert (target / name).exists(), target / name
        for method in METHODS:
            run = smoke_run["results"] / f"{b}__{method}__s0"
            for name in ("metrics.json", "items.csv", "config.json", "contributions.jsonl"):
                assert (run / name).exists(), run / name
            for name in ("recovery.json", "recovery_grid.csv", "recovery__key_line.csv"):
                assert (run / name).exists(), run / name
            metrics = json.loads((run / "metrics.json").read_text())
            assert 0.0 <= metrics["forget score before"] <= 1.0
    lines = (smoke_run["results"] / "news__npo_gdr__s0" / "contributions.jsonl").read_text()
    rows = [json.loads(line) for line in lines.splitlines()]
    assert len(rows) == 3 * 6  # 6 forget + 6 retain + 6 utility prompts, one model
    row = rows[0]
    assert len(row["tokens"]) == len(row["scores"]) and set(row["keys"]) <= set(
        range(len(row["tokens"]))
    )


def test_second_run_skips_finished_stages(smoke_run, tmp_path):
    """Re-running a stage with the same inputs reads its results instead of recomputing."""
    run = smoke_run["results"] / "news__ga_gdr__s0"
    before = (run / "metrics.json").stat().st_mtime_ns
    pm.execute_notebook(
        str(REPO_ROOT / "notebooks" / "02_unlearn.ipynb"),
        str(tmp_path / "again.ipynb"),
        parameters={
            "profile": "smoke",
            "benchmark": "news",
            "methods": "ga_gdr",
            "results_dir": str(smoke_run["results"].parent),
            "cache_dir": str(smoke_run["results"].parent.parent / "cache"),
            "device": "cpu",
        },
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (run / "metrics.json").stat().st_mtime_ns == before


def test_nbval_rerun_matches(smoke_run):
    """nbval re-executes each executed notebook and compares the cells marked
    NBVAL_CHECK_OUTPUT: the same parameters give the same printed numbers."""
    files = [str(smoke_run[name]) for name, _, _ in RUNS]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", *files],
        cwd=smoke_run["results"].parent.parent,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_bad_parameter_stops_with_allowed_values(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match=r"methods='gd'.*npo_gdr"):
        pm.execute_notebook(
            str(REPO_ROOT / "notebooks" / "02_unlearn.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"profile": "smoke", "methods": "gd", "results_dir": str(tmp_path)},
            cwd=str(tmp_path),
            progress_bar=False,
        )


def test_source_notebooks_have_no_outputs_and_one_parameters_cell():
    for name in NOTEBOOKS:
        nb = json.loads((REPO_ROOT / "notebooks" / f"{name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] for c in code), name
        tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, name
