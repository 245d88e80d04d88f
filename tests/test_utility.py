"""The committed utility split is what the embedded base model selects from the candidates."""

from __future__ import annotations

import pytest

from unpactlib.synthetic.general import general_candidates
from unpactlib.synthetic.utility import UTILITY_PATH, render_utility

pytestmark = pytest.mark.slow


def test_utility_split_reproduces():
    assert UTILITY_PATH.read_text(encoding="utf-8") == render_utility()


def test_utility_is_a_subset_of_the_candidates_with_enough_items():
    from unpactlib.benchmarks import read_jsonl

    kept = read_jsonl(UTILITY_PATH)
    assert {r["id"] for r in kept} <= {c["id"] for c in general_candidates()}
    assert len(kept) >= 24
