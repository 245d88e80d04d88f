"""The settings search's selection rule, on hand-made search records."""

from __future__ import annotations

import pytest

from unpactlib.tuning import MIN_EFFICACY, choose, latest_target, same_target


def _row(method: str, name: str, eff: float, dest: float, util: float = 0.0) -> dict:
    return {
        "method": method,
        "name": name,
        "forget efficacy": eff,
        "destructive rate": dest,
        "utility destructive rate": util,
    }


def test_lowest_damage_among_settings_that_forget_enough():
    rows = [
        _row("ga", "weak", 0.3, 0.0),  # forgets too little: not a candidate
        _row("ga", "strong", 1.0, 0.5),
        _row("ga", "middle", 0.6, 0.1),
        _row("ga", "middle, more utility damage", 0.7, 0.1, 0.2),
    ]
    assert choose(rows)["ga"]["name"] == "middle"


def test_no_setting_forgets_enough_takes_the_most_efficacious():
    rows = [_row("rmu", "a", 0.1, 0.0), _row("rmu", "b", 0.4, 0.3), _row("rmu", "c", 0.4, 0.2)]
    assert MIN_EFFICACY == 0.5
    assert choose(rows)["rmu"]["name"] == "c"


def test_each_method_separately_and_ties_go_to_the_later_row():
    rows = [_row("tv", "x", 0.5, 0.1), _row("npo", "y", 0.9, 0.2), _row("tv", "z", 0.5, 0.1)]
    chosen = choose(rows)
    assert list(chosen) == ["tv", "npo"]
    assert chosen["tv"]["name"] == "z" and chosen["npo"]["name"] == "y"
    assert choose(rows, min_efficacy=0.95)["npo"]["name"] == "y"


def test_only_the_latest_targets_records_count():
    rows = [{"key": {"target": t}, "n": n} for n, t in enumerate(["a", "b", "a", "b"])]
    assert [r["n"] for r in latest_target(rows)] == [1, 3]
    assert latest_target([]) == []


def test_a_target_of_the_same_name_that_scores_otherwise_starts_the_search_again():
    # the same cache key retrained on another CPU: its scores before unlearning differ
    before = {"tune_forget before": 0.75, "tune_retain before": 0.875, "utility before": 0.9}
    other = {**before, "tune_forget before": 0.7}
    rows = [
        {"key": {"target": "a"}, "n": 0, **before},
        {"key": {"target": "a"}, "n": 1, **other},
        {"key": {"target": "a"}, "n": 2, **other},
    ]
    assert [r["n"] for r in latest_target(rows)] == [1, 2]
    assert same_target(rows[0], "a", before) and not same_target(rows[0], "a", other)
    assert not same_target(rows[0], "b", before)


def test_the_embedded_settings_are_the_searchs_choice():
    """Each method's setting in the embedded profile is what the rule picks from the committed
    search on the latest news target, field for field."""
    import json

    from unpactlib.config import get_profile
    from unpactlib.paths import RESULTS_DIR

    path = RESULTS_DIR / "embedded" / "tuning" / "news.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    prof = get_profile("embedded")
    chosen = choose(latest_target(rows))
    assert set(chosen) == {"ga_gdr", "ga_klr", "npo_gdr", "npo_klr", "tv", "rmu"}
    for method, row in chosen.items():
        cfg = prof.unlearn_config("news", method)
        for name, value in row["changed"].items():
            assert getattr(cfg, name) == pytest.approx(value), (method, name)
