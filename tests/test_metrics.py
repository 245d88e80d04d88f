"""Correctness and the three rates on hand-made cases."""

from __future__ import annotations

import math

import pytest

from unpactlib.metrics import (
    accuracy,
    destructive_rate,
    forget_efficacy,
    is_correct,
    recovery_rate,
    rouge_l_recall,
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
