"""Stage records (resume and skip), T1's numbers from an answer table, method lists."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from unpactlib import study
from unpactlib.attribution import key_tokens
from unpactlib.config import ParameterError, get_profile
from unpactlib.recovery import probab_tokens
from unpactlib.unlearn import METHODS, parse_methods


def test_stage_done_needs_same_key_and_a_readable_record(tmp_path):
    key = {"target": "t", "unlearn": {"lr": 4e-5}}
    assert not study.stage_done(tmp_path, "config.json", key)
    study.finish_stage(tmp_path, "config.json", key, method="ga_gdr")
    assert study.stage_done(tmp_path, "config.json", key)
    assert not study.stage_done(tmp_path, "config.json", {**key, "unlearn": {"lr": 1e-4}})
    (tmp_path / "config.json").write_text('{"key": {"target"')  # cut short
    assert not study.stage_done(tmp_path, "config.json", key)


def test_unlearning_metrics_by_hand():
    items = pd.DataFrame(
        {
            "split": ["forget"] * 4 + ["retain"] * 3 + ["utility"] * 2,
            "correct_before": [True, True, True, False, True, True, False, True, True],
            "correct_after": [False, True, False, True, True, False, True, True, True],
        }
    )
    m = study.unlearning_metrics(items)
    assert m["forget score before"] == 0.75 and m["forget score"] == 0.5
    # forget: 3 known before, 2 of them lost (the 4th was wrong before: not counted)
    assert m["forget efficacy"] == pytest.approx(2 / 3) and m["forget efficacy counts"] == [2, 3]
    # retain: 2 known before, 1 lost
    assert m["destructive rate"] == 0.5 and m["destructive rate counts"] == [1, 2]
    assert m["utility destructive rate"] == 0.0


def test_parse_methods():
    assert parse_methods("all") == list(METHODS)
    assert parse_methods("tv, rmu") == ["tv", "rmu"]
    with pytest.raises(ParameterError, match=r"methods='gd'.*npo_gdr"):
        parse_methods("ga_gdr,gd")
    with pytest.raises(ParameterError, match="names nothing"):
        parse_methods(" , ")


def test_question_scores_lay_a_stem_attribution_over_all_question_tokens():
    row = {"scores": [0.5, -0.2], "positions": [1, 2]}
    full = study.question_scores(row, 5)
    assert full[1:3] == [0.5, -0.2]
    assert all(math.isnan(full[i]) for i in (0, 3, 4))
    # NaN never counts as positive or negative: not a KeyToken, never deleted by ProbAb
    assert key_tokens(full, 0.5, 3) == [1]
    assert probab_tokens(full, 0.5, 3) == [2]
    # rows written before positions existed cover the whole question
    assert study.question_scores({"scores": [1.0, 2.0]}, 2) == [1.0, 2.0]


def test_profile_overrides_apply_to_one_run_only():
    prof = get_profile("embedded")
    rmu = prof.unlearn_config("news", "rmu")
    assert rmu.rmu_c == 300.0 and rmu.epochs == 9
    assert prof.unlearn_config("news", "npo_gdr").epochs == prof.unlearn.epochs
    assert get_profile("smoke").unlearn_config("news", "rmu") == get_profile("smoke").unlearn
