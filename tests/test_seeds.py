"""Seeds of the unlearning runs: coverage, the per-seed table and the spread text, on
hand-made result folders."""

from __future__ import annotations

import json
from pathlib import Path

from unpactlib.results import run_id
from unpactlib.seeds import covered_seeds, per_seed_table, spread_text


def _run(root: Path, b: str, m: str, s: int, efficacy: float, lost: int, recovery: bool = True):
    folder = root / "p" / run_id(b, m, s)
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(
        json.dumps(
            {"forget efficacy": efficacy, "destructive rate": 0.25, "utility destructive rate": 0.1}
        )
    )
    if recovery:
        rates = {"key_line": {"FocusOnKey": {"value": 1 / lost, "denominator": lost}}}
        (folder / "recovery.json").write_text(json.dumps({"rates": rates}))


def test_a_benchmark_counts_a_seed_only_when_every_method_has_both_results(tmp_path):
    for s in (0, 1, 2):
        for m in ("ga", "tv"):
            _run(tmp_path, "news", m, s, 0.5, 4, recovery=not (s == 2 and m == "tv"))
    _run(tmp_path, "books", "ga", 0, 0.5, 4)
    _run(tmp_path, "books", "tv", 0, 0.5, 4)
    covered = covered_seeds(tmp_path, "p", ["news", "books"], ["ga", "tv"], [0, 1, 2])
    assert covered == {"news": [0, 1]}  # books has one seed; news's seed 2 lacks tv's recovery
    assert not (tmp_path / "p" / run_id("books", "ga", 1)).exists()  # nothing created


def test_per_seed_table_reads_each_run_and_the_spread_is_mean_and_sample_sd(tmp_path):
    _run(tmp_path, "news", "ga", 0, 0.5, 4)
    _run(tmp_path, "news", "ga", 1, 0.7, 5)
    table = per_seed_table(tmp_path, "p", {"news": [0, 1]}, ["ga"], "key_line")
    assert table["forget efficacy"].tolist() == [0.5, 0.7]
    assert table["recovery: FocusOnKey"].tolist() == [0.25, 0.2]
    assert table["lost"].tolist() == [4, 5]
    assert table["utility destructive rate"].tolist() == [0.1, 0.1]
    # mean 60 %, sample sd of (50, 70) = 14.14 %
    assert spread_text(table["forget efficacy"]) == "60\u00a0±\u00a014"  # no-break spaces
    assert spread_text([0.3]) == "30\u00a0±\u00a00"
    assert spread_text([]) == "–"
    assert list(per_seed_table(tmp_path, "p", {}, ["ga"], "key_line").columns) == [
        "benchmark",
        "method",
        "seed",
        "lost",
    ]


def test_parse_seeds_sorts_unique_integers_and_names_the_parameter_when_bad():
    import pytest

    from unpactlib.config import ParameterError
    from unpactlib.seeds import parse_seeds

    assert parse_seeds("2,0,1,2") == [0, 1, 2]
    with pytest.raises(ParameterError, match="seeds='0,x'"):
        parse_seeds("0,x")
