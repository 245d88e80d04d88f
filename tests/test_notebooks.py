"""The notebooks, run by papermill under the smoke profile, then checked by nbval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

from unpactlib.paths import REPO_ROOT

NOTEBOOKS = ["00_benchmarks", "01_target", "02_unlearn", "03_attribution", "04_recovery"]
BENCHMARKS = ["news", "books", "wmdp"]
# (output name, source notebook, extra parameters), in the order make reproduce runs them
RUNS = [(f"target_{b}", "01_target", {"benchmark": b}) for b in BENCHMARKS] + [
    ("00_benchmarks", "00_benchmarks", {}),
    ("02_unlearn", "02_unlearn", {}),
    ("03_attribution", "03_attribution", {}),
    ("04_recovery", "04_recovery", {}),
]
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
        pm.execute_notebook(
            str(REPO_ROOT / "notebooks" / f"{source}.ipynb"),
            str(out),
            parameters={**params, **extra},
            cwd=str(tmp),
            progress_bar=False,
        )
        outputs[name] = out
    outputs["results"] = tmp / "results" / "smoke"
    return outputs


def test_notebooks_write_their_results(smoke_run):
    target = smoke_run["results"] / "news__target__s0"
    run = smoke_run["results"] / "news__npo_gdr__s0"
    for path in [
        target / "metrics.json",
        target / "items.csv",
        run / "metrics.json",
        run / "items.csv",
        run / "contributions.jsonl",
        run / "recovery__key_line.json",
    ]:
        assert path.exists(), path
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= metrics["forget before"] <= 1.0
    lines = (run / "contributions.jsonl").read_text().splitlines()
    assert len(lines) == 2 * 12  # (6 forget + 6 retain prompts) x (original, unlearned)
    row = json.loads(lines[0])
    assert len(row["tokens"]) == len(row["scores"]) and set(row["keys"]) <= set(
        range(len(row["tokens"]))
    )


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
    with pytest.raises(pm.PapermillExecutionError, match=r"method='gd'.*npo_gdr"):
        pm.execute_notebook(
            str(REPO_ROOT / "notebooks" / "02_unlearn.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"profile": "smoke", "method": "gd", "results_dir": str(tmp_path)},
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
