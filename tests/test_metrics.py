"""Correctness and the three rates on hand-made cases."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from unpactlib.metrics import (
    Rate,
    accuracy,
    destructive_rate,
    exact_match,
    forget_efficacy,
    is_correct,
    normalise_answer,
    recovery_rate,
    rouge_l_recall,
    top1_return_rate,
)
from unpactlib.stats import wilson


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


def test_rate_ci_is_the_wilson_interval_of_its_counts():
    z2 = NormalDist().inv_cdf(0.975) ** 2
    # 0/8: by the closed form the Wilson ends are 0 and z^2 / (n + z^2), so the interval at a
    # zero count is not of zero width.
    low, high = Rate(0, 8).ci()
    assert (low, high) == wilson(0, 8)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(z2 / (8 + z2)) and high > 0
    # 4/4: by symmetry the ends are n / (n + z^2) and 1, so the lower end is below 1.
    low, high = Rate(4, 4).ci()
    assert low == pytest.approx(4 / (4 + z2)) and low < 1
    assert high == pytest.approx(1.0)
    # confidence passed positionally, as the callers do; a lower level gives a narrower interval
    low90, high90 = Rate(3, 10).ci(0.9)
    low95, high95 = Rate(3, 10).ci()
    assert (low90, high90) == wilson(3, 10, 0.9)
    assert low95 < low90 < 0.3 < high90 < high95
    assert all(math.isnan(v) for v in Rate(0, 0).ci())
