"""A benchmark's records are of the current edition exactly when its target record scored
every forget item of the split as it is now; the sentence names both kinds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from unpactlib.benchmarks import load_benchmark
from unpactlib.editions import Edition, edition, edition_sentence, rule_sentence, study_editions
from unpactlib.results import run_id, write_json, write_table


def _target(root: Path, benchmark: str, n_forget: int, commit: str | None) -> None:
    folder = root / "embedded" / run_id(benchmark, "target", 0)
    rows = [
        {"id": f"{benchmark}-forget-{i}", "split": "forget", "model": model}
        for i in range(n_forget)
        for model in ("base", "target")  # each item once per model: counted once
    ] + [{"id": f"{benchmark}-retain-0", "split": "retain", "model": "base"}]
    write_table(folder / "items.csv", pd.DataFrame(rows))
    if commit:
        write_json(folder / "provenance.json", {"config": {"environment": {"git": commit}}})


def test_an_edition_counts_forget_items_once_per_item(tmp_path):
    _target(tmp_path, "news", 48, "abc1234")
    _target(tmp_path, "books", 12, None)
    news = edition(tmp_path, "embedded", "news", current=48)
    books = edition(tmp_path, "embedded", "books", current=48)
    assert news == Edition("news", 48, 48, "abc1234") and news.is_current
    assert books == Edition("books", 12, 48, None) and not books.is_current
    missing = edition(tmp_path, "embedded", "wmdp", current=48)
    assert missing.scored == 0 and missing.commit is None and not missing.is_current


def test_the_sentence_names_each_edition():
    news = Edition("news", 48, 48, "abc1234")
    books = Edition("books", 12, 48, "def5678")
    wmdp = Edition("wmdp", 12, 48, None)
    assert edition_sentence([news]) == "Every benchmark's results are of its current edition."
    mixed = edition_sentence([news, books, wmdp])
    assert mixed == (
        "The results of news are of the current edition; those of books (12 of the 48 forget "
        "items now in its split, commit def5678) and wmdp (12 of the 48 forget items now in "
        "its split) are of an earlier, smaller edition, which `make reproduce` recomputes, so "
        "numbers pooled over benchmarks mix two editions."
    )
    old = edition_sentence([books])
    assert old.startswith("The results of books (12 of the 48") and "pooled" not in old


def test_the_study_editions_read_the_forget_split_as_the_profile_uses_it(tmp_path):

    n = len(load_benchmark("news")["forget"])
    _target(tmp_path, "news", n, "abc1234")
    (news,) = study_editions(tmp_path, "embedded", ["news"])
    assert news.is_current and news.current == n
    (smoke,) = study_editions(tmp_path, "smoke", ["news"])  # the smoke profile's subset
    assert smoke.current < n and smoke.scored == 0


def test_the_rule_sentence_names_a_target_below_the_stop_rule(tmp_path):
    def target(benchmark: str, forget: int, retain: int) -> None:
        rows = [
            {"id": f"{split}-{i}", "split": split, "model": "target", "correct": i < k}
            for split, k in (("forget", forget), ("retain", retain))
            for i in range(48)
        ]
        folder = tmp_path / "embedded" / run_id(benchmark, "target", 0)
        write_table(folder / "items.csv", pd.DataFrame(rows))

    target("news", 45, 45)
    assert rule_sentence(tmp_path, "embedded", ["news", "wmdp"]) == ""  # wmdp: no record
    target("wmdp", 43, 38)  # 0.8 x 48 = 38.4: the rule needs 39
    assert rule_sentence(tmp_path, "embedded", ["news", "wmdp"]) == (
        "wmdp's target (retain-eval 38/48, the rule needs 39) misses the stop rule of at least"
        " 80 %; the results built on it are included, and its target page says so."
    )
