"""The committed utility split is what the embedded base model selects from the candidates."""

from __future__ import annotations

import pytest

from unpactlib.synthetic.general import general_candidates
from unpactlib.synthetic.utility import UTILITY_PATH, render_utility

pytestmark = pytest.mark.slow


def test_utility_split_reproduces():
    assert UTILITY_PATH.read_text(encoding="utf-8") == render_utility()


def test_utility_is_a_subset_of_the_candidates_with_enough_items():
    from unpactlib.results import read_jsonl

    kept = read_jsonl(UTILITY_PATH)
    assert {r["id"] for r in kept} <= {c["id"] for c in general_candidates()}
    assert len(kept) >= 60


def test_base_model_answers_every_utility_item_as_the_study_scores_it():
    """The study scores the utility split the way it was selected (cloze): the untouched base
    model must get all of it right, so any later loss is damage."""
    from unpactlib.benchmarks import load_benchmark
    from unpactlib.evaluation import answer_table
    from unpactlib.models import load_model

    bench = load_benchmark("news")
    model, tok = load_model("embedded", device="cpu")
    table = answer_table(model, tok, bench["utility"], mc_scoring=bench.mc_scoring("utility"))
    assert table["correct"].all()
