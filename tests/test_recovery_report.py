"""The recovery page's tables and sentences: each sentence follows the numbers it states."""

from __future__ import annotations

import pandas as pd

from unpactlib import recovery_report as report

T, F = True, False


def _table(ids, before, after, focus, control, **more) -> pd.DataFrame:
    cols = {"id": ids, "correct_before": before, "correct_after": after}
    cols |= {"correct_FocusOnKey": focus, "correct_control": control}
    return pd.DataFrame({**cols, **more})


def test_t2_shown_counts_no_items_and_kinds_not_run():
    t2 = pd.DataFrame(
        [
            {
                "method": "ga",
                "template": "key_line",
                "kind": "FocusOnKey",
                "numerator": 1,
                "denominator": 4,
            },
            {
                "method": "ga",
                "template": "key_bold",
                "kind": "FocusOnKey",
                "numerator": 4,
                "denominator": 4,
            },
        ]
    )
    tables = {"ga": _table(["x"], [T], [F], [T], [F]), "npo": pd.DataFrame()}
    shown = report.t2_shown(t2, tables, ["ga", "npo"], "key_line", kinds=("FocusOnKey", "ProbAb"))
    assert shown.loc["ga", "FocusOnKey"] == "1/4 = 25 % [5, 70]"  # Wilson: 4.6 %, 69.9 %
    assert shown.loc["ga", "ProbAb"] == "–"  # not run for ga
    assert shown.loc["npo", "FocusOnKey"] == "no items"  # npo lost nothing


def test_positive_shown_and_text_follow_the_share():
    known = _table(
        ["a", "b"],
        [T, T],
        [F, F],
        [F, F],
        [F, F],
        original_correct_FocusOnKey=[T, T],
        prompt_FocusOnKey=["pa", "pb"],
    )
    shown, pooled = report.positive_shown(
        {"ga": known, "npo": known}, ["ga", "npo"], {"a": "A", "b": "B"}, kinds=("FocusOnKey",)
    )
    assert shown.loc["ga", "FocusOnKey"].startswith("2/2 = 100 %")
    # the same prompts under two methods count once
    assert pooled["FocusOnKey"][:2] == (2, 2)
    assert "at least 90 %" in report.positive_text(pooled, 0.9)
    blocked = {"FocusOnKey": (1, 2, 0.0, 1.0)}
    assert "below 90 %" in report.positive_text(blocked, 0.9)
    assert "nothing to check" in report.positive_text({"FocusOnKey": (0, 0, 0, 0)}, 0.9)


def _pooled(low: float, high: float) -> pd.DataFrame:
    row = {
        "probe": "FocusOnKey",
        "control": "control",
        "run": "pooled",
        "lost": 10,
        "documents": 5,
        "probe recovered": 4,
        "control recovered": 1,
        "probe only": 3,
        "control only": 0,
        "diff": 0.3,
        "low": low,
        "high": high,
        "interval": "cluster bootstrap",
        "p": 0.25,
    }
    return pd.DataFrame([row]).set_index("probe")


def test_probe_sentence_reads_the_interval_for_each_verdict():
    assert "beats its control" in report.probe_sentence(_pooled(0.1, 0.5), "FocusOnKey", 6)
    worse = report.probe_sentence(_pooled(-0.5, -0.1), "FocusOnKey", 6)
    assert "does worse than its control" in worse
    tied = report.probe_sentence(_pooled(-0.1, 0.5), "FocusOnKey", 6)
    assert "does not beat its control" in tied and "+30 pp [-10, +50]" in tied
    assert report.probe_sentence(_pooled(0.1, 0.5), "ProbAb", 6) == "ProbAb was not run."


def test_rq2_text_without_lost_items_and_comparisons_shown():
    kept = _table(["x"], [T], [T], [F], [F])
    assert "nothing for FocusOnKey" in report.rq2_text(pd.DataFrame(), {"ga": kept}, 1)
    comparisons = _pooled(-0.1, 0.5).reset_index()
    gone = comparisons.assign(run="ga", lost=0)
    shown = report.comparisons_shown(pd.concat([gone, comparisons]), 6)
    assert shown.index.tolist() == [
        ("FocusOnKey vs control", "ga"),
        ("FocusOnKey vs control", "all methods, pooled (6)"),
    ]
    assert shown.iloc[0]["McNemar p"] == "–" and shown.iloc[1]["McNemar p"] == "0.25"
