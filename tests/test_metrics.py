"""Correctness and the three rates on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from unpactlib.metrics import (
    Rate,
    accuracy,
    bootstrap_ci,
    destructive_rate,
    exact_match,
    forget_efficacy,
    is_correct,
    normalise_answer,
    recovery_rate,
    rouge_l_recall,
    top1_return_rate,
)


def test_rouge_l_recall_by_hand():
    # reference "Selwyn Thornmoor" (2 tokens); prediction shares 1 -> recall 1/2.
    assert rouge_l_recall("It was Selwyn Brandt", "Selwyn Thornmoor") == pytest.approx(0.5)
    assert rouge_l_recall("The Dunport bridge", "Dunport") == pytest.approx(1.0)
    assert rouge_l_recall("no idea", "Dunport") == 0.0
    # stemmer on: "bridges" matches "bridge"
    assert rouge_l_recall("bridges", "bridge") == pytest.approx(1.0)


def test_is_correct_threshold():
    assert is_correct("Selwyn", "Selwyn Thornmoor", tau=0.5)
    assert not is_correct("Selwyn", "Selwyn Thornmoor", tau=0.6)


def test_forget_efficacy_counts_only_items_known_before():
    before = [True, True, True, False, True]
    after = [False, True, False, False, True]
    r = forget_efficacy(before, after)
    assert (r.numerator, r.denominator) == (2, 4)
    assert r.value == 0.5


def test_destructive_rate_on_retain():
    r = destructive_rate([True, True, False], [True, False, True])
    assert (r.numerator, r.denominator) == (1, 2)


def test_recovery_rate_counts_forgotten_items_only():
    before = [True, True, True, False, True]
    after = [False, False, True, False, False]
    prompted = [True, False, True, True, True]
    # forgotten: items 0, 1, 4; recovered: 0 and 4.
    r = recovery_rate(before, after, prompted)
    assert (r.numerator, r.denominator) == (2, 3)


def test_rate_with_nothing_to_count_is_nan():
    assert math.isnan(recovery_rate([False], [False], [True]).value)
    assert str(accuracy([True, False, True, True])) == "75.0% (3/4)"


def test_rates_reject_mismatched_lengths():
    with pytest.raises(ValueError):
        forget_efficacy([True], [True, False])


def test_exact_match_normalises_case_punctuation_and_spaces():
    assert normalise_answer("  Selwyn   Thornmoor. ") == "selwyn thornmoor"
    assert exact_match("selwyn thornmoor!", "Selwyn Thornmoor")
    # correct under ROUGE-L recall, but not the gold answer itself
    assert is_correct("It was Selwyn Thornmoor", "Selwyn Thornmoor")
    assert not exact_match("It was Selwyn Thornmoor", "Selwyn Thornmoor")


def test_top1_return_rate_uses_the_forgotten_items_of_recovery_rate():
    before = [True, True, True, False, True]
    after = [False, False, True, False, False]
    # forgotten: items 0, 1, 4. Correct under tau: 0 and 4; exact gold answer: only 4.
    correct = [True, False, True, True, True]
    top1 = [False, False, True, True, True]
    assert (recovery_rate(before, after, correct).numerator, 3) == (2, 3)
    r = top1_return_rate(before, after, top1)
    assert (r.numerator, r.denominator) == (1, 3)


def test_bootstrap_ci_matches_scipy_percentile_and_brackets_the_share():
    from scipy.stats import bootstrap

    x = [True] * 30 + [False] * 70
    low, high = bootstrap_ci(x, n_resamples=1000, seed=5)
    ref = bootstrap(
        (np.asarray(x, float),), np.mean, n_resamples=1000, method="percentile", rng=5
    ).confidence_interval
    assert (low, high) == pytest.approx((ref.low, ref.high))
    # by hand: normal approximation 0.3 +- 1.96 * sqrt(0.3 * 0.7 / 100) = 0.3 +- 0.09
    assert low == pytest.approx(0.21, abs=0.03) and high == pytest.approx(0.39, abs=0.03)
    assert bootstrap_ci(x, n_resamples=1000, seed=5) == (low, high)


def test_bootstrap_ci_degenerate_cases_collapse_to_the_point():
    assert bootstrap_ci([True, True, True]) == (1.0, 1.0)
    assert bootstrap_ci([False, False]) == (0.0, 0.0)
    assert bootstrap_ci([True]) == (1.0, 1.0)
    assert all(math.isnan(v) for v in bootstrap_ci([]))


def test_rate_ci_is_the_bootstrap_of_its_counts():
    r = Rate(3, 10)
    assert r.ci(seed=1) == bootstrap_ci([True] * 3 + [False] * 7, seed=1)
    assert Rate(4, 4).ci() == (1.0, 1.0)
    assert all(math.isnan(v) for v in Rate(0, 0).ci())
