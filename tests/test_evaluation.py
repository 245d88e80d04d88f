"""Answering and scoring (:mod:`unpactlib.evaluation`): one answering function for QA and
multiple choice, the answer tables, T1's numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from unpactlib.evaluation import answer, answer_table, unlearning_metrics
from unpactlib.generation import greedy_answers
from unpactlib.metrics import rouge_l_recall
from unpactlib.multiple_choice import as_prompt_answer, mc_correct, mc_scores

# a multiple-choice record of the wmdp analog's shape (raw: the answer is the option text)
OPTIONS = ["myrovar", "ossium", "myrene", "nebium"]
MC = dict(id="mc1", split="forget", question="Which crystal is refined from velolite?")
MC |= dict(choices=OPTIONS, answer_index=1, answer="ossium")
QA = [
    {
        "id": "q1",
        "split": "forget",
        "question": "Who leads the Amber Ferry Guild?",
        "answer": "Ilsa",
    },
    {"id": "q2", "split": "retain", "question": "Where was Ilsa born?", "answer": "Corvale"},
]


def test_answer_mc_letter_scoring_matches_mc_scores(tiny_smol, tok):
    pair = as_prompt_answer(MC)
    other = dict(as_prompt_answer(dict(MC, answer_index=2, answer="myrene")), id="mc2")
    out = answer(tiny_smol, tok, [pair, other], [pair["question"], other["question"]])
    logp = mc_scores(tiny_smol, tok, [MC, dict(MC, answer_index=2)], "letter")
    assert out["correct"].tolist() == mc_correct(logp, [1, 2])
    assert out["top1"].tolist() == out["correct"].tolist()
    # a raw record asked with its bare question scores the same lettered prompt
    raw = answer(tiny_smol, tok, [MC], [MC["question"]])
    assert raw["prediction"].tolist() == out["prediction"].tolist()[:1]


class _Counting:
    """A model wrapper that counts the sequences it is asked to process."""

    def __init__(self, model):
        self.model, self.rows = model, 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def __call__(self, **kw):
        self.rows += kw["input_ids"].shape[0]
        return self.model(**kw)


def test_answer_asks_each_prompt_once_and_keeps_a_memo(tiny_smol, tok):
    pair = as_prompt_answer(MC)
    counting = _Counting(tiny_smol)
    memo: dict = {}
    twice = answer(counting, tok, [pair, pair], [pair["question"]] * 2, memo=memo)
    assert counting.rows == 1  # the repeated prompt: one forward pass of one sequence
    shown = ["prediction", "correct", "top1"]
    assert twice.iloc[0][shown].tolist() == twice.iloc[1][shown].tolist()
    assert list(memo) == [("mc1", pair["question"], "letter")]
    again = answer(counting, tok, [pair], [pair["question"]], memo=memo)
    assert counting.rows == 1 and again.iloc[0][shown].tolist() == twice.iloc[0][shown].tolist()
    assert answer(counting, tok, [pair], [pair["question"]]).equals(again)
    assert counting.rows == 2  # without the memo it is answered again


def test_answer_table_of_qa_is_the_greedy_answer_scored_by_rouge_recall(tiny_smol, tok):
    table = answer_table(tiny_smol, tok, QA, tau=0.0)
    greedy = greedy_answers(tiny_smol, tok, [r["question"] for r in QA], progress=False)
    assert table.prediction.tolist() == greedy
    assert table.columns.tolist() == [
        "id", "split", "question", "answer", "prediction", "rouge_recall", "rouge_f1", "correct"
    ]  # fmt: skip
    for row, r in zip(table.itertuples(), QA):
        assert row.rouge_recall == pytest.approx(rouge_l_recall(row.prediction, r["answer"]))
    assert table.correct.all()  # tau = 0: every answer counts
    strict = answer_table(tiny_smol, tok, QA, tau=1.0)
    assert strict.correct.tolist() == (strict.rouge_recall >= 1.0).tolist()


def test_answer_table_cloze_scoring_matches_mc_scores(tiny_smol, tok):
    other = dict(MC, id="mc2", answer_index=3, answer="nebium")
    table = answer_table(tiny_smol, tok, [MC, other], mc_scoring="cloze")
    logp = mc_scores(tiny_smol, tok, [MC, other], "cloze")
    assert table.correct.tolist() == mc_correct(logp, [1, 3])
    assert all(math.isnan(v) for v in table.rouge_recall)
    with pytest.raises(ValueError, match="mc_scoring"):
        answer_table(tiny_smol, tok, [MC], mc_scoring="logit")


def test_unlearning_metrics_by_hand():
    items = pd.DataFrame(
        {
            "split": ["forget"] * 4 + ["retain"] * 3 + ["utility"] * 2,
            "correct_before": [True, True, True, False, True, True, False, True, True],
            "correct_after": [False, True, False, True, True, False, True, True, True],
        }
    )
    m = unlearning_metrics(items)
    assert m["forget score before"] == 0.75 and m["forget score"] == 0.5
    # forget: 3 known before, 2 of them lost (the 4th was wrong before: not counted)
    assert m["forget efficacy"] == pytest.approx(2 / 3) and m["forget efficacy counts"] == [2, 3]
    # retain: 2 known before, 1 lost
    assert m["destructive rate"] == 0.5 and m["destructive rate counts"] == [1, 2]
    assert m["utility destructive rate"] == 0.0
