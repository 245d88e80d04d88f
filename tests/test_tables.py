"""The tables and sentences of the benchmark, target and unlearning pages."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from unpactlib.benchmarks import Benchmark, benchmark_stats, example_row, load_benchmark
from unpactlib.tables import (
    MISSING,
    RATE_NAMES,
    chance_level,
    chance_levels,
    chance_sentence,
    checks_table,
    correct_counts,
    interpolated_check,
    replay_sentence,
    score_table,
    split_table,
    stop_rule_sentence,
    t1_rates,
    target_search_table,
    target_sentence,
    utility_share,
    whole_points,
)


def _mc(i: int, split: str, n: int = 4, doc: str = "d0") -> dict:
    choices = [f"c{k}" for k in range(n)]
    return {
        "id": f"{split}-{i}",
        "split": split,
        "doc_id": doc,
        "question": f"q{i}?",
        "paraphrase": f"p{i}?",
        "choices": choices,
        "answer_index": 0,
        "answer": "c0",
    }


def _qa(i: int, split: str, doc: str = "d0", paraphrase: str = "") -> dict:
    r = {"id": f"{split}-{i}", "split": split, "doc_id": doc, "question": f"q{i}?", "answer": "a"}
    return {**r, "paraphrase": paraphrase} if paraphrase else r


def _mixed() -> Benchmark:
    """QA forget and retain items (one retain item without a paraphrase), MC utility."""
    return Benchmark(
        "toy",
        "synthetic",
        {
            "forget": [_qa(0, "forget", "f0", "p0"), _qa(1, "forget", "f1", "p1")],
            "retain": [_qa(0, "retain", "r0", "p0"), _qa(1, "retain", "r0")],
            "utility": [
                {k: v for k, v in _mc(i, "utility").items() if k != "doc_id"} for i in (0, 1)
            ],
        },
    )


def test_split_table_counts_items_and_documents_per_split_and_benchmark():
    stats = [benchmark_stats(_mixed())]
    table = split_table(stats)
    assert list(table.index[:2]) == ["forget", "retain"]
    assert table.index[-2:].tolist() == ["forget_paraphrase", "retain_paraphrase"]
    assert table.loc["forget", ("toy", "items")] == 2
    assert table.loc["forget", ("toy", "documents")] == 2
    assert table.loc["retain", ("toy", "documents")] == 1
    assert table.loc["retain_paraphrase", ("toy", "items")] == 1  # one retain item lacks one
    assert table.loc["utility", ("toy", "items")] == 2
    assert table.loc["utility", ("toy", "documents")] == MISSING  # general knowledge: no docs
    assert table.loc["holdout", ("toy", "items")] == MISSING  # the benchmark lacks it
    assert "never sees it" in table.loc["retain", ("", "used for")]


def test_split_table_of_the_committed_benchmarks_matches_their_files():
    benches = [load_benchmark(b) for b in ("news", "wmdp")]
    table = split_table([benchmark_stats(b) for b in benches])
    for b in benches:
        for split, records in b.splits.items():
            assert table.loc[split, (b.name, "items")] == len(records)
        docs = {r["doc_id"] for r in b.splits["retain_train"]}
        assert table.loc["retain_train", (b.name, "documents")] == len(docs)
        assert table.loc["forget_paraphrase", (b.name, "items")] == len(b["forget_paraphrase"])


def test_example_row_shows_the_paraphrase_and_the_options():
    bench = load_benchmark("wmdp")
    row = example_row(bench, bench["forget"][0])
    assert row["paraphrase"] == bench["forget"][0]["paraphrase"]
    assert "(A)" in row["question"] and "(D)" in row["question"]
    assert "paraphrase" not in example_row(bench, bench["utility"][0])


def test_chance_is_one_over_the_options_and_none_for_qa():
    assert chance_level([_mc(0, "forget"), _mc(1, "forget")]) == 0.25
    assert chance_level([_mc(0, "forget", n=2), _mc(1, "forget", n=4)]) == pytest.approx(0.375)
    assert chance_level([_qa(0, "forget")]) is None
    assert chance_level([]) is None
    levels = chance_levels(load_benchmark("wmdp"), ["forget", "forget_paraphrase", "utility"])
    assert levels == {"forget": 0.25, "forget_paraphrase": 0.25, "utility": 0.25}


def test_chance_sentence_names_the_level_and_the_open_questions():
    wmdp = load_benchmark("wmdp")
    assert chance_sentence(wmdp, ["forget", "retain", "utility"]) == (
        "Chance: picking one of four options at random scores 25 % on every split."
    )
    assert chance_sentence(wmdp, ["forget"], lead="On wmdp") == (
        "On wmdp: picking one of four options at random scores 25 % on the forget items."
    )
    assert chance_sentence(wmdp, []) == ""
    mixed = chance_sentence(_mixed(), ["forget", "retain", "utility"])
    assert "four options at random scores 25 % on the utility items" in mixed
    assert mixed.endswith(
        "the forget and retain-eval items are open questions, with no chance level."
    )
    assert chance_sentence(_mixed(), ["forget"]).startswith("Chance: the forget items are open")
    news = chance_sentence(load_benchmark("news"), load_benchmark("news").split_names())
    assert news == (
        "Chance: picking one of four options at random scores 25 % on the utility items;"
        " the other items are open questions, with no chance level."
    )


def _items() -> pd.DataFrame:
    rows = []
    for model, right in (
        ("base", {"forget": 1, "utility": 4}),
        ("target", {"forget": 3, "utility": 3}),
    ):
        for split, n in (("forget", 4), ("utility", 4)):
            rows += [
                {"model": model, "split": split, "correct": k < right[split]} for k in range(n)
            ]
    return pd.DataFrame(rows)


def test_correct_counts_and_score_table():
    items = _items()
    counts = {m: correct_counts(items[items.model == m]) for m in ("base", "target")}
    assert counts["target"] == {"forget": (3, 4), "utility": (3, 4)}
    table = score_table(counts, ["forget", "retain", "utility"], {"forget": None, "utility": 0.25})
    assert list(table.columns) == ["forget (n=4)", "utility (n=4)"]  # retain: no model has it
    assert table.loc["target", "forget (n=4)"] == 75.0
    assert table.loc["base", "utility (n=4)"] == 100.0
    assert table.loc["chance", "forget (n=4)"] == MISSING
    assert table.loc["chance", "utility (n=4)"] == 25.0
    assert "chance" not in score_table(counts, ["forget"]).index


def test_utility_share_of_the_base_model():
    assert utility_share((10, 10), (9, 10)) == pytest.approx(0.9)
    assert utility_share((5, 10), (5, 10)) == 1.0
    assert math.isnan(utility_share((0, 10), (5, 10)))


def test_target_sentence_glues_every_number_with_its_interval():
    base = {"forget": (1, 4), "retain": (0, 4), "utility": (10, 10), "forget_paraphrase": (1, 4)}
    target = {"forget": (4, 4), "retain": (3, 4), "utility": (8, 10), "forget_paraphrase": (2, 4)}
    chance = {"forget": 0.25, "retain": 0.25, "utility": 0.25, "forget_paraphrase": 0.25}
    text = target_sentence(base, target, chance)
    assert text.startswith("The target answers 4/4 = 100 % [51, 100] of the forget items")
    assert "(base model 1/4 = 25 % [5, 70]; chance 25 %)" in text
    assert "3/4 = 75 % [30, 95] of the retain-eval items" in text
    assert "Asked in words it never trained on, it answers 2/4 = 50 %" in text
    assert "paraphrased forget items" in text and "paraphrased retain-eval" not in text
    assert text.endswith(
        "80 % of the base model's utility accuracy, which misses the study's goal of at least 90 %."
    )
    qa = target_sentence(base, target, {"utility": 0.25})
    assert "(base model 1/4 = 25 % [5, 70]) and" in qa  # no chance level for QA items
    assert "which meets" in target_sentence(base, target, goal=0.8)
    assert "no share of it is defined" in target_sentence(
        {**base, "utility": (0, 10)}, target, chance
    )
    for text in (target_sentence(base, target, chance), qa):
        assert "[0, 0]" not in text


def test_stop_rule_sentence_names_each_split_below_the_rule():
    # 0.8 x 48 = 38.4, so the rule needs 39 of 48; 0.8 x 45 = 36 exactly, so 36 of 45 meets it
    met = stop_rule_sentence({"forget": (43, 48), "retain": (36, 45)}, 0.8)
    assert met == (
        "It meets the stop rule: at least 80 % of the forget and of the retain-eval items."
    )
    missed = stop_rule_sentence({"forget": (43, 48), "retain": (38, 48)}, 0.8)
    assert missed.startswith("**It misses the stop rule** of at least 80 % on the retain-eval")
    assert "(38/48; the rule needs 39)" in missed and "forget items" not in missed
    both = stop_rule_sentence({"forget": (2, 4), "retain": (1, 4)}, 0.8)
    assert "forget items (2/4; the rule needs 4) and the retain-eval items (1/4;" in both


def test_checks_table_is_percent_per_epoch():
    checks = [
        {"epoch": 1, "forget": 0.25, "retain": 0.5, "utility": 1.0},
        {"epoch": 2, "forget": 0.875, "retain": 0.75, "utility": 0.9},
    ]
    table = checks_table(checks)
    assert table.index.name == "epoch" and list(table.index) == [1, 2]
    assert table.loc[2].tolist() == [87.5, 75.0, 90.0]
    assert checks_table([]).empty
    assert interpolated_check(checks) is None


def test_the_interpolated_check_is_apart_from_the_training_checks():
    checks = [
        {"epoch": 2, "forget": 0.875, "retain": 0.75, "utility": 0.8},
        {"epoch": 2, "interpolate": 0.7, "forget": 0.8125, "retain": 0.75, "utility": 0.9},
    ]
    assert list(checks_table(checks).index) == [2]
    assert "interpolate" not in checks_table(checks).columns
    last = interpolated_check(checks)
    assert last == {"epoch": 2, "interpolate": 0.7, "forget": 81.2, "retain": 75.0, "utility": 90.0}


def test_t1_rates_name_both_destructive_rates_and_give_wilson_intervals():
    t1 = pd.DataFrame(
        [
            {"method": "target", "forget score": 1.0},
            {
                "method": "ga",
                "forget score": 0.0,
                "forget efficacy counts": [6, 6],
                "forget efficacy (paraphrase) counts": [0, 3],
                "destructive rate counts": [1, 5],
                "destructive rate (paraphrase) counts": [0, 0],
                "utility destructive rate counts": [2, 6],
            },
            {"method": "rmu", "forget score": 0.5, "forget efficacy counts": [3, 6]},
        ]
    ).set_index("method")
    rates = t1_rates(t1)
    assert list(rates.index) == ["ga", "rmu"]
    assert list(rates.columns) == list(RATE_NAMES.values())
    assert "retain destructive rate" in rates.columns and "utility destructive rate" in rates
    assert rates.loc["ga", "forget efficacy"] == "6/6 = 100 % [61, 100]"
    assert rates.loc["ga", "forget efficacy (paraphrase)"] == "0/3 = 0 % [0, 56]"  # not [0, 0]
    assert rates.loc["ga", "retain destructive rate"] == "1/5 = 20 % [4, 62]"
    assert rates.loc["ga", "retain destructive rate (paraphrase)"] == "no items"
    assert rates.loc["rmu", "utility destructive rate"] == MISSING


def test_paraphrased_items_carry_their_pseudo_split_so_the_pages_score_them_apart():
    bench = load_benchmark("news")
    assert {r["split"] for r in bench["forget_paraphrase"]} == {"forget_paraphrase"}
    assert {r["split"] for r in bench["forget"]} == {"forget"}
    assert {r["split"] for r in bench.prompts("retain_paraphrase")} == {"retain_paraphrase"}


def test_target_search_table_reads_the_last_check_against_the_base_model():
    row = {
        "benchmark": "news",
        "changes": {"replay_questions": 64, "freeze_embeddings": True},
        "epochs": 12,
        "base_utility": 0.8,
        "checks": [
            {"epoch": 2, "forget": 0.0, "retain": 0.0, "utility": 0.8},
            {"epoch": 12, "forget": 0.9375, "retain": 0.8125, "utility": 0.72},
        ],
    }
    table = target_search_table([row, {**row, "changes": {}}])
    first = table.iloc[0].to_dict()
    assert first["changes"] == "freeze_embeddings=True, replay_questions=64"
    assert (first["forget"], first["retain-eval"], first["utility"]) == (93.8, 81.2, 72.0)
    assert first["utility / base"] == 90.0  # 0.72 / 0.8
    assert table.iloc[1]["changes"] == "-"
    assert list(target_search_table([]).columns) == list(table.columns)


def test_t1_finding_names_each_rates_range_and_the_methods_that_forget_without_harm():
    from unpactlib.tables import t1_finding

    t1 = pd.DataFrame(
        {
            "forget efficacy": [None, 0.75, 1.0, 0.25],
            "destructive rate": [None, 0.1, 0.5, 0.0],
            "utility destructive rate": [None, 0.05, 0.2, 0.0],
        },
        index=pd.Index(["target", "npo", "tv", "rmu"], name="method"),
    )
    text = t1_finding(t1, "news")
    assert text.startswith("On news, over the 3 methods: forget efficacy from 25 % (rmu) to")
    assert "100 % (tv)" in text
    assert "retain destructive rate from 0 % (rmu) to 50 % (tv)" in text
    assert "utility destructive rate from 0 % (rmu) to 20 % (tv)" in text
    # npo forgets 75 % and destroys 10 %: the only one at least half and at most a fifth
    assert "1 of 3 methods (npo) forgot at least 50 %" in text
    assert t1_finding(t1.loc[["target"]], "news") == "No unlearning run on news has results yet."


def test_replay_sentence_counts_the_records_or_says_why_there_are_none():
    assert replay_sentence({"pretrained": "some/model"}).startswith("This target was not trained")
    two = replay_sentence({"replay": [{"question": "q", "answer": "a"}] * 2})
    assert two.startswith("In every epoch the target also learned 2 replay records")
    assert replay_sentence({}) == "This target learned no replay records (the profile sets none)."


def test_whole_points_rounds_shares_to_percent_cells_and_marks_missing_ones():
    shares = pd.DataFrame({"a": [0.6875, 0.005, None], "b": [1.0, 0.0, 0.125]})
    cells = whole_points(shares)
    # 68.75 -> 69, 0.5 -> 0 (round half to even), 12.5 -> 12
    assert cells["a"].tolist() == ["69", "0", MISSING]
    assert cells["b"].tolist() == ["100", "0", "12"]
