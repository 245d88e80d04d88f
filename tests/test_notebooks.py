"""The notebooks, run by papermill under the smoke profile, then checked by nbval."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import papermill as pm
import pytest
import yaml

from unpactlib.benchmarks import BENCHMARKS as REGISTERED
from unpactlib.benchmarks import load_benchmark
from unpactlib.paths import REPO_ROOT
from unpactlib.results import glued
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
    "08_seeds",
    "09_ladder",
    "10_frontier",
    "11_overview",
    "12_report",
]
BENCHMARKS = list(REGISTERED)
STUDIED = ["news", "wmdp"]  # a QA and a multiple-choice benchmark through every stage


def parameter_set(name: str) -> dict[str, object]:
    """A parameter set of ``notebooks/params/`` as papermill's ``-f`` reads it."""
    return yaml.safe_load((REPO_ROOT / "notebooks" / "params" / f"{name}.yaml").read_text())


# make reproduce runs the analyses beyond the paper on news only (EXTRAS); wmdp gets these
LEAN = {
    "03_attribution": parameter_set("attribution-lean"),
    "04_recovery": parameter_set("recovery-lean"),
}
# (output name, source notebook, extra parameters), in the order make reproduce runs them
RUNS = (
    [(f"target_{b}", "01_target", {"benchmark": b}) for b in BENCHMARKS]
    + [
        (f"{nb}_{b}", nb, {"benchmark": b, **(LEAN.get(nb, {}) if b != "news" else {})})
        for b in STUDIED
        for nb in ("02_unlearn", "03_attribution", "04_recovery", "09_ladder")
    ]
    + [("10_frontier_news", "10_frontier", {"benchmark": "news"})]  # make's FRONTIER
    + [("00_benchmarks", "00_benchmarks", {}), ("02_settings", "02_settings", {})]
    + [  # a second unlearning seed, with what make seeds passes
        ("02_unlearn_news_s1", "02_unlearn", {"benchmark": "news", "seed": 1}),
        (
            "03_attribution_news_s1",
            "03_attribution",
            {"benchmark": "news", "seed": 1, **parameter_set("attribution-seed")},
        ),
        (
            "04_recovery_news_s1",
            "04_recovery",
            {"benchmark": "news", "seed": 1, **parameter_set("recovery-lean")},
        ),
    ]
    + [("05_summary", "05_summary", {"benchmarks": ",".join(STUDIED)})]
    + [("06_reproduce", "06_reproduce", {}), ("07_claims", "07_claims", {})]
    + [("11_overview", "11_overview", {}), ("12_report", "12_report", {})]
    + [("08_seeds", "08_seeds", {"benchmarks": "news", "seeds": "0,1"})]
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
            for name in ("ladder.csv", "lens.csv", "ladder.json", "ladder_config.json"):
                assert (run / name).exists(), run / name
            metrics = json.loads((run / "metrics.json").read_text())
            assert 0.0 <= metrics["forget score before"] <= 1.0
        assert (target / "ladder_reference.csv").exists()
    for method in METHODS:
        assert (smoke_run["results"] / f"news__{method}__s0" / "frontier.csv").exists()
    # a second seed of the unlearning runs, from the same target, summarised over seeds
    for method in METHODS:
        assert (smoke_run["results"] / f"news__{method}__s1" / "recovery.json").exists()
    assert not (smoke_run["results"] / "news__target__s1").exists()
    # seed 1 scored fewer prompts: the target's larger set was read, not overwritten
    target_rows = (smoke_run["results"] / "news__target__s0" / "contributions.jsonl").read_text()
    assert len(target_rows.splitlines()) == 18
    s1_rows = (smoke_run["results"] / "news__rmu__s1" / "contributions.jsonl").read_text()
    assert len(s1_rows.splitlines()) == 6 + 1 + 1
    seeds = (smoke_run["results"] / "seeds.csv").read_text().splitlines()
    assert len(seeds) == 1 + 2 * len(METHODS)
    lines = (smoke_run["results"] / "news__npo_gdr__s0" / "contributions.jsonl").read_text()
    rows = [json.loads(line) for line in lines.splitlines()]
    assert len(rows) == 3 * 6  # 6 forget + 6 retain + 6 utility prompts, one model
    row = rows[0]
    assert len(row["tokens"]) == len(row["scores"]) and set(row["keys"]) <= set(
        range(len(row["tokens"]))
    )


def test_claims_read_the_smoke_runs_into_the_verdict_rules(smoke_run):
    from unpactlib import claims
    from unpactlib.verdicts import VERDICTS

    inputs = claims.collect(smoke_run["results"].parent, "smoke")
    assert len(inputs.runs) == len(STUDIED) * len(METHODS)
    # every forget prompt under every method, clustered by its source document
    assert len(inputs.rq1_forget) == len(STUDIED) * len(METHODS) * 6
    assert set(inputs.rq1_forget["cluster"]) <= {
        f"{b}/{r['doc_id']}" for b in STUDIED for r in load_benchmark(b)["forget"]
    }
    assert {"key_change", "random_change"} <= set(inputs.rq1_forget)
    assert set(inputs.rq3_runs.columns) >= {"mean_change", "destructive"}
    verdicts = claims.judge(inputs)
    assert list(verdicts) == ["RQ1", "RQ2", "RQ3", "ladder", "dilemma"]
    assert inputs.ladder_attacks and len(inputs.frontier_points) == len(METHODS) * 5
    for v in verdicts.values():
        assert v.verdict in VERDICTS and claims.sentence(v)
    page = glued(smoke_run["07_claims"])
    for n, v in enumerate(verdicts.values(), start=1):
        assert page[f"v{n}"] == v.verdict
        assert page[f"s{n}"] == claims.sentence(v)
    # the first page states the same verdicts, each with its numbers; the report lists them
    first = glued(smoke_run["11_overview"])
    for part, text in claims.headline(inputs, verdicts).items():
        assert first[f"answer_{part.replace(' ', '_')}"] == text
    report = _glued(smoke_run["12_report"], "report_results")["text/html"]
    assert all(v.verdict in report for v in verdicts.values())


def _glued(notebook: Path, name: str) -> dict[str, str]:
    """The outputs glued under ``name`` in an executed notebook (mime type -> content)."""
    for cell in json.loads(notebook.read_text())["cells"]:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                return {"/".join(k.split("/")[-2:]): v for k, v in out["data"].items()}
    raise KeyError(f"{notebook.name} glues no {name!r}")


def test_benchmarks_without_the_extras_say_so(smoke_run):
    """Run as make reproduce runs wmdp (no captum comparison, one template, a one-cell grid),
    its pages say what was not run; the summary compares templates and shows the grid only
    where they ran."""
    assert LEAN["03_attribution"] == {"n_compare": 0}
    assert not (smoke_run["results"] / "wmdp__target__s0" / "attribution_methods.csv").exists()
    assert (smoke_run["results"] / "news__target__s0" / "attribution_methods.csv").exists()
    assert (
        "Not run for this benchmark"
        in _glued(smoke_run["03_attribution_wmdp"], "agreement_bench")["text/html"]
    )
    assert "One cell only" in _glued(smoke_run["04_recovery_wmdp"], "grid_bench")["text/html"]
    assert "image/png" in _glued(smoke_run["04_recovery_news"], "grid_bench")
    rates = json.loads((smoke_run["results"] / "wmdp__rmu__s0" / "recovery.json").read_text())
    assert list(rates["rates"]) == ["key_line"]
    for name in ("grid_benchmarks", "template_benchmarks"):
        assert _glued(smoke_run["05_summary"], name)["text/plain"] == "'news'"


def test_second_run_skips_finished_stages_and_redoes_damaged_ones(smoke_run, tmp_path):
    """Re-running a stage with the same inputs reads its results instead of recomputing; a
    stage whose result file was damaged is computed again, to the same bytes."""
    results_dir = smoke_run["results"].parent
    params = {
        "profile": "smoke",
        "benchmark": "news",
        "methods": "ga_gdr,npo_gdr",
        "results_dir": results_dir,
        "cache_dir": results_dir.parent / "cache",
        "device": "cpu",
    }
    kept = smoke_run["results"] / "news__ga_gdr__s0"
    damaged = smoke_run["results"] / "news__npo_gdr__s0"
    before = (kept / "metrics.json").stat().st_mtime_ns
    good = (damaged / "items.csv").read_bytes()
    (damaged / "items.csv").write_bytes(good[: len(good) // 2])  # cut short
    subprocess.run(
        _papermill("02_unlearn", tmp_path / "again.ipynb", params),
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert (kept / "metrics.json").stat().st_mtime_ns == before
    assert (damaged / "items.csv").read_bytes() == good


def _papermill(notebook: str, out: Path, params: dict) -> list[str]:
    args = [str(Path(sys.executable).parent / "papermill"), "--no-progress-bar"]
    args += [str(REPO_ROOT / "notebooks" / f"{notebook}.ipynb"), str(out)]
    for k, v in params.items():
        args += ["-p", k, str(v)]
    return args


def _differing(new: Path, old: Path) -> list[str]:
    """Names of the files of run folder ``new`` that ``old`` lacks or holds other bytes of
    (provenance.json aside: it holds wall times and versions, the one thing runs differ in)."""
    names = [p.name for p in new.iterdir() if not p.name.startswith(".")]
    return sorted(
        n
        for n in names
        if n != "provenance.json"
        and (not (old / n).exists() or (old / n).read_bytes() != (new / n).read_bytes())
    )


def test_killed_run_loses_nothing_resumes_and_gives_identical_results(smoke_run, tmp_path):
    """Kill 02_unlearn (all six methods) once its first method is finished; the finished
    method survives intact, the next run resumes after it, and every result file is
    byte-identical to the first smoke run's."""
    cache = smoke_run["results"].parent.parent / "cache"  # the trained models are reused
    results_dir = tmp_path / "results"
    params = {
        "profile": "smoke",
        "benchmark": "news",
        "results_dir": results_dir,
        "cache_dir": cache,
        "device": "cpu",
    }
    first = results_dir / "smoke" / "news__ga_gdr__s0"
    proc = subprocess.Popen(
        _papermill("02_unlearn", tmp_path / "killed.ipynb", params),
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while not (first / "config.json").exists():
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # papermill and its kernel, mid-way
        proc.wait()
    last = results_dir / "smoke" / "news__rmu__s0"
    assert not (last / "config.json").exists(), "the run was not interrupted mid-way"
    finished = (first / "metrics.json").stat().st_mtime_ns
    assert sorted(p.name for p in first.iterdir() if not p.name.startswith(".")) == [
        "config.json",
        "items.csv",
        "losses.json",
        "metrics.json",
        "provenance.json",
    ]

    subprocess.run(
        _papermill("02_unlearn", tmp_path / "resumed.ipynb", params),
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert (first / "metrics.json").stat().st_mtime_ns == finished  # not computed again
    for method in METHODS:
        run = results_dir / "smoke" / f"news__{method}__s0"
        assert (run / "config.json").exists(), method
        assert _differing(run, smoke_run["results"] / f"news__{method}__s0") == [], method


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


def _target_notebook(tmp_path: Path, model: str) -> None:
    """01_target on news under the smoke profile with base model ``model``, into ``tmp_path``."""
    pm.execute_notebook(
        str(REPO_ROOT / "notebooks" / "01_target.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "profile": "smoke",
            "benchmark": "news",
            "model": model,
            "results_dir": str(tmp_path / "results"),
            "cache_dir": str(tmp_path / "cache"),
            "device": "cpu",
        },
        cwd=str(tmp_path),
        progress_bar=False,
    )


def test_another_model_from_a_local_folder_writes_its_own_results(tmp_path):
    """``-p model <folder>`` runs the notebook on that base model; its results go to a folder
    of their own (``<profile>@<model>``) beside the profile's."""
    from unpactlib.models import load_model

    model, tok = load_model("smoke", device="cpu", cache_dir=tmp_path / "cache")
    folder = tmp_path / "my-model"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    _target_notebook(tmp_path, model=str(folder))
    (run,) = (tmp_path / "results").glob("smoke@*/news__target__s0")
    assert run.parent.name.endswith("my-model")
    assert (run / "items.csv").exists() and (run / "config.json").exists()


def test_a_model_id_that_cannot_be_loaded_offline_names_the_local_alternative(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the kernel inherits it: no network wait
    with pytest.raises(pm.PapermillExecutionError, match=r"model='no-such-org/no-model'.*local"):
        _target_notebook(tmp_path, model="no-such-org/no-model")
