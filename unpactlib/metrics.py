"""The study's scores: answer correctness and the three rates (defined in book/methods.md).

Every rate is a :class:`Rate` (the counts behind a share); :meth:`Rate.ci` gives its Wilson
score confidence interval (:func:`unpactlib.stats.wilson`), 95 % unless asked otherwise.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rouge_score import rouge_scorer

from unpactlib.stats import wilson


@lru_cache(maxsize=1)
def _scorer() -> rouge_scorer.RougeScorer:
    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l_recall(prediction: str, reference: str) -> float:
    """ROUGE-L recall of ``prediction`` against ``reference`` (rouge-score, stemmer on)."""
    return _scorer().score(reference, prediction)["rougeL"].recall


def rouge_l_f1(prediction: str, reference: str) -> float:
    """ROUGE-L F1 of ``prediction`` against ``reference`` (rouge-score, stemmer on)."""
    return _scorer().score(reference, prediction)["rougeL"].fmeasure


def mean_rouge_l_f1(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Mean ROUGE-L F1 over items: MUSE's KnowMem (answers to QA pairs) and VerbMem
    (continuations of forget passages) are both this score."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        return float("nan")
    return sum(map(rouge_l_f1, predictions, references)) / len(predictions)


def is_correct(prediction: str, reference: str, tau: float = 0.5) -> bool:
    """A free-text answer is correct when its ROUGE-L recall is at least ``tau``."""
    return rouge_l_recall(prediction, reference) >= tau


def normalise_answer(text: str) -> str:
    """Lower case, ASCII punctuation removed, runs of white space made one space, stripped."""
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return re.sub(r"\s+", " ", text).strip()


def exact_match(prediction: str, reference: str) -> bool:
    """The greedy answer *is* the gold answer: equal after :func:`normalise_answer`.

    Stricter than :func:`is_correct` (ROUGE-L recall at least ``tau``), which also accepts an
    answer that contains the gold words among others ("It was Selwyn Thornmoor").
    """
    return normalise_answer(prediction) == normalise_answer(reference)


@dataclass(frozen=True)
class Rate:
    """A share with the counts behind it; ``value`` is NaN when nothing qualifies."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else float("nan")

    def ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """Wilson score interval of :attr:`value` at ``confidence``
        (:func:`unpactlib.stats.wilson` of ``numerator`` out of ``denominator``); returns
        ``(low, high)``, ``(nan, nan)`` when the denominator is 0."""
        return wilson(self.numerator, self.denominator, confidence)

    def __str__(self) -> str:
        return f"{self.value:.1%} ({self.numerator}/{self.denominator})"


def _lost(before: Sequence[bool], after: Sequence[bool]) -> Rate:
    if len(before) != len(after):
        raise ValueError(f"{len(before)} items before but {len(after)} after")
    base = [i for i, ok in enumerate(before) if ok]
    return Rate(sum(1 for i in base if not after[i]), len(base))


def forget_efficacy(correct_before: Sequence[bool], correct_after: Sequence[bool]) -> Rate:
    """Share of forget items correct under the original model that are wrong after unlearning."""
    return _lost(correct_before, correct_after)


def destructive_rate(correct_before: Sequence[bool], correct_after: Sequence[bool]) -> Rate:
    """Share of retain / utility items correct before unlearning that are wrong after it."""
    return _lost(correct_before, correct_after)


def _returned(
    correct_before: Sequence[bool], correct_after: Sequence[bool], hit: Sequence[bool]
) -> Rate:
    """Among items correct before and wrong after unlearning, the share with ``hit``."""
    if not len(correct_before) == len(correct_after) == len(hit):
        raise ValueError("the three sequences must have one entry per item")
    forgotten = [i for i, (b, a) in enumerate(zip(correct_before, correct_after)) if b and not a]
    return Rate(sum(1 for i in forgotten if hit[i]), len(forgotten))


def recovery_rate(
    correct_before: Sequence[bool],
    correct_after: Sequence[bool],
    correct_prompted: Sequence[bool],
) -> Rate:
    """Among forget items correct before and wrong after unlearning, the share that a
    prompt-side method (weights untouched) makes correct again (correct = ROUGE-L recall at
    least ``tau`` for QA, gold option on top for multiple choice)."""
    return _returned(correct_before, correct_after, correct_prompted)


def top1_return_rate(
    correct_before: Sequence[bool],
    correct_after: Sequence[bool],
    top1_prompted: Sequence[bool],
) -> Rate:
    """Among the same forgotten items as :func:`recovery_rate`, the share whose gold answer is
    again the model's top-1 answer under the prompt-side method.

    ``top1_prompted`` per item: QA, the greedy answer is the gold answer
    (:func:`exact_match`); multiple choice, the gold option has the highest score, which is
    the same as correct, so there the two rates coincide. For QA an exact match has ROUGE-L
    recall 1, so the top-1 return rate is at most the recovery rate.
    """
    return _returned(correct_before, correct_after, top1_prompted)


def accuracy(correct: Sequence[bool]) -> Rate:
    """Share of items answered correctly."""
    return Rate(sum(map(bool, correct)), len(correct))
