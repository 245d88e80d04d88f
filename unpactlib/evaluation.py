"""Evaluation: answering items, scoring the answers, and the tables and rates of T1.

One function answers (:func:`answer`): a QA item by greedy decoding, correct when the
answer's ROUGE-L recall against the gold answer is at least ``tau``; a multiple-choice item
by the option of highest score (``letter``: the option letter's next-token log-probability;
``cloze``: the option text's mean log-probability as the answer), correct when it is the
gold option. Everything else here builds tables and rates from those answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from transformers import PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from .benchmarks import Benchmark
from .config import check_choice
from .generation import greedy_answers, greedy_continuations
from .metrics import (
    Rate,
    accuracy,
    destructive_rate,
    exact_match,
    forget_efficacy,
    is_correct,
    mean_rouge_l_f1,
    rouge_l_f1,
    rouge_l_recall,
)
from .multiple_choice import (
    LETTERS,
    MC_SCORING,
    cloze_logprobs,
    letter_logprobs,
    user_message,
)

# (record id, asked text, multiple-choice scoring) -> the answer's columns
Answered = dict[tuple[str, str, str], dict]
ANSWER_COLUMNS = ["prediction", "correct", "top1", "rouge_recall", "rouge_f1"]


def _memo_key(record: dict, text: str, mc_scoring: str) -> tuple[str, str, str]:
    return (record["id"], text, mc_scoring if "choices" in record else "")


def answer(
    model: PreTrainedModel,
    tok: Tokenizer,
    records: Sequence[dict],
    texts: Sequence[str] | None = None,
    *,
    tau: float = 0.5,
    batch_size: int = 16,
    mc_scoring: str = "letter",
    memo: Answered | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Answer each record, asked as ``texts[k]`` (default: its own ``question``).

    QA: the greedy answer; ``correct`` when its ROUGE-L recall is at least ``tau``, ``top1``
    when it is the gold answer (:func:`unpactlib.metrics.exact_match`). Multiple choice: the
    option of highest score under ``mc_scoring`` (``letter``: after
    :func:`unpactlib.multiple_choice.user_message`; ``cloze``: as the answer to the bare
    text), shown as ``"B. <option>"``; ``correct`` and ``top1`` both mean the gold option.

    Each distinct ``(id, text)`` is answered once. With ``memo`` (one per model and ``tau``)
    the answers are kept there and a later call answers only what it has not seen.

    Returns:
        Columns ``prediction``, ``correct``, ``top1``, ``rouge_recall``, ``rouge_f1`` (the
        last two NaN for multiple choice), one row per record, in order.
    """
    check_choice("mc_scoring", mc_scoring, MC_SCORING)
    texts = [r["question"] for r in records] if texts is None else list(texts)
    if len(records) != len(texts):
        raise ValueError(f"{len(records)} records but {len(texts)} texts")
    memo = {} if memo is None else memo
    todo: dict[tuple[str, str, str], dict] = {}
    for r, t in zip(records, texts):
        key = _memo_key(r, t, mc_scoring)
        if key not in memo:
            todo[key] = r
    keys = list(todo)
    qa = [k for k in keys if "choices" not in todo[k]]
    if qa:
        answers = greedy_answers(
            model, tok, [k[1] for k in qa], batch_size=batch_size, progress=progress
        )
        for key, a in zip(qa, answers):
            gold = todo[key]["answer"]
            memo[key] = {
                "prediction": a,
                "correct": is_correct(a, gold, tau),
                "top1": exact_match(a, gold),
                "rouge_recall": rouge_l_recall(a, gold),
                "rouge_f1": rouge_l_f1(a, gold),
            }
    mc = [k for k in keys if "choices" in todo[k]]
    for n in sorted({len(todo[k]["choices"]) for k in mc}):
        group = [k for k in mc if len(todo[k]["choices"]) == n]
        if mc_scoring == "letter":
            messages = [user_message(todo[k], k[1]) for k in group]
            scores = letter_logprobs(model, tok, messages, n, batch_size=batch_size)
        else:
            asked = [dict(todo[k], question=k[1]) for k in group]
            scores = cloze_logprobs(model, tok, asked, batch_size=batch_size)
        for key, row in zip(group, scores):
            pick = int(np.argmax(row))
            ok = pick == todo[key]["answer_index"]
            memo[key] = {
                "prediction": f"{LETTERS[pick]}. {todo[key]['choices'][pick]}",
                "correct": ok,
                "top1": ok,
                "rouge_recall": float("nan"),
                "rouge_f1": float("nan"),
            }
    rows = [memo[_memo_key(r, t, mc_scoring)] for r, t in zip(records, texts)]
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)


def answer_table(
    model: PreTrainedModel,
    tok: Tokenizer,
    records: Sequence[dict],
    *,
    tau: float = 0.5,
    batch_size: int = 16,
    mc_scoring: str = "letter",
) -> pd.DataFrame:
    """The model's answer to every record's own question and whether it is correct
    (:func:`answer`), one row each with the record's ``id``, ``split``, ``question`` and
    ``answer``."""
    answers = answer(
        model, tok, records, tau=tau, batch_size=batch_size, mc_scoring=mc_scoring, progress=True
    )
    items = pd.DataFrame(
        {c: [r[c] for r in records] for c in ("id", "split", "question", "answer")},
        columns=["id", "split", "question", "answer"],
    )
    shown = ["prediction", "rouge_recall", "rouge_f1", "correct"]
    return pd.concat([items, answers[shown].reset_index(drop=True)], axis=1)


def answer_splits(
    model: PreTrainedModel,
    tok: Tokenizer,
    bench: Benchmark,
    splits: Sequence[str],
    *,
    tau: float = 0.5,
    batch_size: int = 16,
) -> pd.DataFrame:
    """:func:`answer_table` of several splits of ``bench``, each scored its own way
    (:meth:`Benchmark.mc_scoring`)."""
    return pd.concat(
        [
            answer_table(
                model, tok, bench[s], tau=tau, batch_size=batch_size, mc_scoring=bench.mc_scoring(s)
            )
            for s in splits
        ],
        ignore_index=True,
    )


def verbmem_table(
    model: PreTrainedModel,
    tok: Tokenizer,
    records: Sequence[dict],
    *,
    batch_size: int = 16,
) -> pd.DataFrame:
    """Greedy continuations of VerbMem prompts (raw text) with their ROUGE-L F1, one row each.

    The continuation is cut to as many words as the reference before scoring.
    """
    outs = greedy_continuations(model, tok, [r["prompt"] for r in records], batch_size=batch_size)
    rows = []
    for r, o in zip(records, outs):
        cut = " ".join(o.split()[: len(r["continuation"].split())])
        rows.append(
            {
                "id": r["id"],
                "split": r["split"],
                "prompt": r["prompt"],
                "continuation": r["continuation"],
                "prediction": cut,
                "rouge_f1": rouge_l_f1(cut, r["continuation"]),
            }
        )
    return pd.DataFrame(rows)


def evaluate(
    model: PreTrainedModel,
    tok: Tokenizer,
    bench: Benchmark,
    *,
    tau: float = 0.5,
    batch_size: int = 16,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Score a model on every split of ``bench`` (paraphrased splits included:
    :meth:`Benchmark.split_names`) and on its VerbMem prompts.

    Returns:
        The per-item answer table (all splits), the VerbMem table, and a summary:
        accuracy per split, KnowMem (mean ROUGE-L F1 of QA answers) on forget and retain,
        VerbMem (mean ROUGE-L F1 of continuations) where the benchmark has prompts.
    """
    names = bench.split_names()
    items = answer_splits(model, tok, bench, names, tau=tau, batch_size=batch_size)
    verb = (
        verbmem_table(model, tok, bench.verbmem, batch_size=batch_size)
        if bench.verbmem
        else pd.DataFrame()
    )
    summary = {f"{s}": accuracy(items[items.split == s]["correct"].tolist()).value for s in names}
    for s in ("forget", "retain"):
        part = items[(items.split == s) & items.rouge_f1.notna()]
        if len(part):
            summary[f"knowmem_{s}"] = float(part.rouge_f1.mean())
    if len(verb):
        summary["verbmem"] = mean_rouge_l_f1(verb.prediction.tolist(), verb.continuation.tolist())
    return items, verb, summary


def unlearning_metrics(items: pd.DataFrame) -> dict[str, object]:
    """T1's numbers from a table with ``split``, ``correct_before`` and ``correct_after``:
    accuracy per split before and after, forget efficacy, and the destructive rate on the
    retain (retain-eval) split and on the utility split, each also on the paraphrased
    forget and retain items where they were scored (each with its counts)."""
    out: dict[str, object] = {}
    for split in items.split.unique():
        part = items[items.split == split]
        out[f"{split} score before"] = float(part.correct_before.mean())
        out[f"{split} score"] = float(part.correct_after.mean())
    rates = {
        "forget efficacy": ("forget", forget_efficacy),
        "forget efficacy (paraphrase)": ("forget_paraphrase", forget_efficacy),
        "destructive rate": ("retain", destructive_rate),
        "destructive rate (paraphrase)": ("retain_paraphrase", destructive_rate),
        "utility destructive rate": ("utility", destructive_rate),
    }
    for name, (split, rate) in rates.items():
        part = items[items.split == split]
        if len(part):
            r = rate(part.correct_before.tolist(), part.correct_after.tolist())
            out[name] = r.value
            out[f"{name} counts"] = [r.numerator, r.denominator]
    return out


def rate_record(rate: Rate, confidence: float = 0.95) -> dict[str, object]:
    """A rate as stored in results: counts, value, Wilson interval, and a short text."""
    low, high = rate.ci(confidence)
    text = f"{rate.numerator}/{rate.denominator}"
    if rate.denominator:
        text += f" = {100 * rate.value:.0f} % [{100 * low:.0f}, {100 * high:.0f}]"
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "value": rate.value if rate.denominator else None,
        "ci_low": low if rate.denominator else None,
        "ci_high": high if rate.denominator else None,
        "text": text,
    }
