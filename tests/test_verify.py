"""scripts/verify.py: a re-run compared with the committed results, table by table."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from unpactlib.paths import REPO_ROOT

_spec = importlib.util.spec_from_file_location("verify", REPO_ROOT / "scripts" / "verify.py")
verify = importlib.util.module_from_spec(_spec)
sys.modules["verify"] = verify
_spec.loader.exec_module(verify)

PROFILE = "embedded"
RUNS = ["news__target__s0", "news__npo_gdr__s0"]
UNLEARNED = "news__npo_gdr__s0"


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """A results root holding two committed run folders, as git has them at HEAD (the working
    tree's copies may be in the middle of a rewrite)."""
    root = tmp_path_factory.mktemp("committed")
    archive = subprocess.run(
        ["git", "archive", "HEAD", *(f"data/results/{PROFILE}/{r}" for r in RUNS)],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)
    return root / "data" / "results"


@pytest.fixture
def roots(committed, tmp_path) -> tuple[Path, Path]:
    """Two copies of the committed results root: the reference and the re-run."""
    reference, results = tmp_path / "reference", tmp_path / "results"
    shutil.copytree(committed, reference)
    shutil.copytree(committed, results)
    return reference, results


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def run_main(reference: Path, results: Path, *extra: str) -> int:
    return verify.main(
        ["--against", str(reference), "--results", str(results), "--no-claims", *extra]
    )


def t1(report: verify.Report) -> verify.Table:
    return next(t for t in report.tables if t.name == "T1")


def table(report: verify.Report, name: str) -> verify.Table:
    return next(t for t in report.tables if t.name == name)


def test_wilson_interval_by_hand():
    k, n, z = 1, 8, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = verify.wilson(k, n)
    assert low == pytest.approx(centre - half, abs=1e-9)
    assert high == pytest.approx(centre + half, abs=1e-9)
    assert (round(low, 4), round(high, 4)) == (0.0224, 0.4709)
    assert verify.wilson(0, 0) is None


def test_identical_copies_are_the_same(roots, tmp_path, capsys):
    reference, results = roots
    report_path = tmp_path / "report.json"
    assert run_main(reference, results, "--report", str(report_path)) == 0
    out = capsys.readouterr().out
    assert "verify: OK" in out
    run = reference / PROFILE / UNLEARNED
    n_t1 = len(verify.t1_names(json.loads((run / "metrics.json").read_text())))
    assert f"T1 (metrics.json, 1 runs): {n_t1} numbers, {n_t1} same, 0 moved" in out
    report = json.loads(report_path.read_text())
    assert report["ok"] and not report["reasons"]
    for name, t in report["tables"].items():
        assert t["count"] > 0 and t["same"] == t["count"] and not t["moved"], name
    prompts = sum(
        len((reference / PROFILE / r / "contributions.jsonl").read_text().splitlines())
        for r in RUNS
    )
    assert report["tables"]["Attribution"]["count"] == prompts  # every prompt of both runs
    files = report["files"]
    assert files["differ"] == 0 and files["missing_in_results"] == 0 and files["identical"] > 10
    assert report["environment"]["reference"][0]["torch"]  # read from provenance.json


def test_a_move_inside_its_interval_passes(roots, capsys):
    reference, results = roots
    run = results / PROFILE / UNLEARNED
    k, n = json.loads((run / "metrics.json").read_text())["destructive rate counts"]
    low, high = verify.wilson(k, n)
    assert low <= (k + 1) / n <= high  # one retain item more lost stays inside

    def lose_one(m):
        m["destructive rate"], m["destructive rate counts"] = (k + 1) / n, [k + 1, n]

    edit_json(run / "metrics.json", lose_one)
    assert run_main(reference, results) == 0
    out = capsys.readouterr().out
    line = f"destructive rate  {k / n:.3f} -> {(k + 1) / n:.3f}  [{low:.2f}, {high:.2f}]  inside"
    assert f"news npo_gdr s0  {line}" in out
    assert "1 moved: 1 inside their 95 % interval, 0 outside" in out
    assert "verify: OK" in out


def forget_counts(run: Path) -> tuple[int, int]:
    """The forget split's correct answers after unlearning and its size, from items.csv."""
    items = pd.read_csv(run / "items.csv")
    forget = items[items.split == "forget"]
    return int(forget.correct_after.sum()), len(forget)


def test_a_score_interval_comes_from_the_items(roots):
    """``forget score`` has no counts: k/n comes from items.csv; (k + 1)/n lies inside."""
    reference, results = roots
    run = results / PROFILE / UNLEARNED
    k, n = forget_counts(run)
    items = pd.read_csv(run / "items.csv")
    wrong = items.index[(items.split == "forget") & ~items.correct_after][0]
    items.loc[wrong, "correct_after"] = True
    items.loc[wrong, "prediction_after"] = items.loc[wrong, "answer"]
    items.to_csv(run / "items.csv", index=False)
    edit_json(run / "metrics.json", lambda m: m.update({"forget score": (k + 1) / n}))
    report = verify.compare(reference, results, PROFILE, with_claims=False)
    (moved,) = t1(report).moved
    assert (moved.name, moved.note, moved.inside) == ("forget score", f"{k}/{n}", True)
    assert moved.interval == pytest.approx(verify.wilson(k, n))
    answers = table(report, "Answers")
    assert len(answers.moved) == 1 and not answers.judged  # reported, not judged
    assert report.ok


def test_a_move_outside_its_interval_fails(roots, capsys):
    reference, results = roots
    k, n = forget_counts(results / PROFILE / UNLEARNED)
    low, high = verify.wilson(k, n)
    moved_to = min(1.0, high + 0.1)
    edit_json(
        results / PROFILE / UNLEARNED / "metrics.json",
        lambda m: m.update({"forget score": moved_to}),
    )
    assert run_main(reference, results) == 1
    out = capsys.readouterr().out
    line = f"forget score  {k / n:.3f} -> {moved_to:.3f}  [{low:.2f}, {high:.2f}]  outside"
    assert f"news npo_gdr s0  {line}" in out
    assert "verify: FAILED (T1: 1 moved outside their 95 % interval)" in out


def test_a_changed_recovery_rate_is_reported_under_t2(roots, capsys):
    reference, results = roots
    recovery = results / PROFILE / UNLEARNED / "recovery.json"
    stored = json.loads(recovery.read_text())["rates"]["key_line"]["ProbAb"]
    k, n = stored["numerator"], stored["denominator"]
    assert stored["ci_low"] < stored["ci_high"] and (k + 1) / n <= stored["ci_high"]

    def recover_one_more(r):
        rate = r["rates"]["key_line"]["ProbAb"]
        rate["numerator"], rate["value"] = k + 1, (k + 1) / n

    edit_json(recovery, recover_one_more)
    report = verify.compare(reference, results, PROFILE, with_claims=False)
    (moved,) = table(report, "T2").moved
    assert moved.name == "key_line ProbAb"
    assert (moved.reference, moved.result) == (
        f"{k / n:.3f} ({k}/{n})",
        f"{(k + 1) / n:.3f} ({k + 1}/{n})",
    )
    assert moved.inside and moved.interval == [stored["ci_low"], stored["ci_high"]]
    rates = len(
        verify._rates(json.loads((reference / PROFILE / UNLEARNED / "recovery.json").read_text()))
    )
    assert f"T2 (recovery.json, 1 runs): {rates} rates, {rates - 1} same, 1 moved" in report.text()


def test_a_zero_width_stored_interval_is_replaced_by_wilson():
    interval, how = verify.rate_interval(
        {"numerator": 0, "denominator": 8, "value": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    )
    assert interval == pytest.approx(verify.wilson(0, 8)) and interval[1] > 0.3
    assert how.startswith("Wilson")


def test_attribution_judges_the_keytoken_sets(roots):
    reference, results = roots
    path = results / PROFILE / UNLEARNED / "contributions.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["scores"][0] += 1e-3  # a small move: the KeyTokens stay
    top = max(range(len(rows[1]["scores"])), key=lambda i: rows[1]["scores"][i])
    rows[1]["scores"][top] = -1.0  # the largest contribution turns negative
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = verify.compare(reference, results, PROFILE, with_claims=False)
    attribution = table(report, "Attribution")
    assert (len(attribution.moved), attribution.inside, attribution.outside) == (2, 1, 1)
    assert attribution.moved[0].difference == pytest.approx(1e-3, abs=1e-9)
    assert not report.ok and "Attribution" in report.reasons[0]


def test_a_changed_verdict_fails(roots, monkeypatch, capsys):
    reference, results = roots

    def fake_claims(results_dir: Path, profile: str) -> dict[str, str]:
        v2 = "partly" if Path(results_dir) == results else "does not"
        return {"v1": "agrees", "v2": v2, "v3": "agrees", "n_runs": "1", "rq1_before": "+0.10"}

    monkeypatch.setattr(verify, "claims", fake_claims)
    assert verify.main(["--against", str(reference), "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert "Verdicts: RQ1 same (agrees), RQ2 CHANGED (does not -> partly), RQ3 same" in out
    assert "verify: FAILED (verdict RQ2 changed)" in out


def test_other_glued_values_are_reported_not_judged():
    out = verify.compare_verdicts(
        {"v1": "agrees", "rq1_before": "+0.10"}, {"v1": "agrees", "rq1_before": "+0.12"}
    )
    assert out["changed"] == [] and out["other_differ"] == {"rq1_before": ["+0.10", "+0.12"]}


def test_the_git_path(committed, tmp_path, monkeypatch, capsys):
    """--ref extracts the committed results of a revision; the unchanged working tree passes."""
    repo = tmp_path / "repo"
    shutil.copytree(committed, repo / "data" / "results")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "data"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "results"], check=True)
    monkeypatch.setattr(verify, "REPO_ROOT", repo)
    args = ["--results", str(repo / "data" / "results"), "--no-claims"]
    assert verify.main(["--ref", "HEAD", *args]) == 0
    assert "at HEAD" in capsys.readouterr().out
    edit_json(
        repo / "data" / "results" / PROFILE / UNLEARNED / "metrics.json",
        lambda m: m.update({"retain score": 0.25}),
    )
    assert verify.main(["--ref", "HEAD", *args]) == 1
    with pytest.raises(SystemExit) as e:
        verify.main(["--ref", "no-such-revision", *args])
    assert e.value.code == 2
    assert "--ref 'no-such-revision'" in capsys.readouterr().err


def test_clear_errors(roots, capsys):
    reference, results = roots
    with pytest.raises(SystemExit):
        verify.main(["--profile", "nope", "--against", str(reference), "--results", str(results)])
    err = capsys.readouterr().err
    assert "--profile 'nope'" in err and "embedded" in err
    with pytest.raises(SystemExit):
        verify.main(["--against", str(reference), "--results", str(results / "missing")])
    assert "--results: no results folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        verify.main(["--against", str(reference / "missing"), "--results", str(results)])
    assert "--against: no results folder" in capsys.readouterr().err


def test_a_report_names_folders_inside_the_repository_relative_to_it(tmp_path: Path) -> None:
    assert verify.shown_path(REPO_ROOT / "data" / "results" / "embedded") == (
        "data/results/embedded"
    )
    assert verify.shown_path(tmp_path) == str(tmp_path)
