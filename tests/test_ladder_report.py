"""Examples drawn from ladder tables: which item each attack and each method shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from unpactlib import ladder_report

PROMPTS = {
    i: {"id": i, "question": f"Where was {i} born?", "answer": f"town {i}"} for i in ("a", "b", "c")
}


def _rows(model: str, ids, question, sampling, int4):
    return pd.DataFrame(
        {
            "id": ids,
            "model": model,
            "question": question,
            "question answer": [f"{model} says {i}" for i in ids],
            "sampling": sampling,
            "sampling answer": [f"sampled {i}" for i in ids],
            "int4": int4,
        }
    )


def _table(ids, sampling, int4):
    n = len(ids)
    return pd.concat(
        [
            _rows("unlearned", ids, [False] * n, sampling, int4),
            _rows("target", ids, [True] * n, [True] * n, [True] * n),
            _rows("base", ids, [False] * n, [False] * n, [False] * n),
        ]
    )


TABLES = {
    "ga": _table(["a", "b"], [False, True], [True, True]),
    "npo": _table(["a", "c"], [True, False], [np.nan, False]),
}


def test_method_examples_pick_the_most_recovered_item_a_different_one_per_method():
    f4 = ladder_report.method_examples(TABLES, PROMPTS, ["sampling", "int4"])
    # ga: b is recovered by both attacks; npo: a (sampling) is recovered once, c never
    assert f4.index.tolist() == ["ga", "npo"]
    assert f4.loc["ga", "question"] == "Where was b born?"
    assert f4.loc["ga", "sampling"] == "✓ sampled b" and f4.loc["ga", "int4"] == "✓"
    assert f4.loc["npo", "question"] == "Where was a born?"
    assert f4.loc["npo", "int4"] == ""  # not asked
    assert f4.loc["npo", "target"] == "target says a" and f4.loc["npo", "gold"] == "town a"
    # a method's only item is shown even when an earlier method showed it
    only = {"ga": _table(["a"], [True], [True]), "npo": _table(["a"], [False], [False])}
    assert ladder_report.method_examples(only, PROMPTS, ["sampling"]).loc["npo", "gold"] == "town a"
    # a method that lost nothing is left out
    none = {"ga": _table([], [], [])}
    assert ladder_report.method_examples(none, PROMPTS, ["sampling"]).empty


def test_attack_examples_prefer_a_recovered_item_not_shown_before():
    ex = ladder_report.attack_examples(TABLES, PROMPTS, ["sampling", "int4"])
    assert ex.loc["sampling", "method"] == "ga" and ex.loc["sampling", "gold"] == "town b"
    assert ex.loc["sampling", "attacked"] == "sampled b" and ex.loc["sampling", "recovered"]
    # int4 recovered a and b under ga; b is shown already, so a
    assert ex.loc["int4", "gold"] == "town a" and ex.loc["int4", "attacked"] == ""
    # no method recovered it: the first fresh item, marked not recovered
    miss = {"npo": _table(["a", "c"], [False, False], [False, False])}
    ex = ladder_report.attack_examples(miss, PROMPTS, ["sampling"])
    assert ex.loc["sampling", "gold"] == "town a" and not ex.loc["sampling", "recovered"]


def test_ladder_finding_names_each_methods_strongest_attack_and_which_clear_zero():
    from unpactlib.ladder_report import ladder_finding

    net = pd.DataFrame(
        [
            {"method": "tv", "attack": "int4", "n": 10, "net": 0.3, "low": 0.1, "high": 0.5},
            {"method": "tv", "attack": "few-shot", "n": 10, "net": 0.1, "low": -0.1, "high": 0.3},
            {"method": "rmu", "attack": "int4", "n": 8, "net": 0.0, "low": -0.2, "high": 0.2},
            {"method": "npo", "attack": "int4", "n": 0, "net": 0.0, "low": 0.0, "high": 0.0},
        ]
    )
    text = ladder_finding(net, ["tv", "rmu", "npo"], "news")
    assert "tv: int4, +30 pp [+10, +50]; rmu: int4, +0 pp [-20, +20]." in text
    assert "For 1 of 2 methods (tv) some attack's interval lies above zero." in text
    assert text.endswith("No lost item: npo.")
    quiet = ladder_finding(net[net.method == "rmu"], ["rmu"], "news")
    assert "For none of the 1 methods" in quiet
    assert "nothing to recover" in ladder_finding(net[net.n == 0], ["npo"], "news")
