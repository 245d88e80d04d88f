"""Prompt-side recovery: FocusOnKey, ProbAb, both combined, and the random control.

The weights are never touched: only the question is rewritten, then answered.

* **FocusOnKey** (STUDY.md): the words holding the KeyTokens are emphasised with one of the
  named :data:`TEMPLATES`. KeyTokens come from the original model by default; the caller may
  take them from the unlearned model instead (``key_source`` of
  :func:`unpactlib.study.recovery`).
* **ProbAb** (*our reading* of the paper's second method, whose definition we do not have):
  the tokens whose contribution under the *unlearned* model is most negative are deleted from
  the question (:func:`probab_tokens` picks them, :func:`delete_tokens` removes them).
* **both**: ProbAb's deletion first, then FocusOnKey's emphasis of the key words that remain.
* **control**: the same template emphasising as many random non-key tokens, so recovery cannot
  come from the prompt merely being longer.

Multiple-choice items: the rewriting applies to the whole user message of the prompt/answer
pair (``mc_prompt``: question, lettered options, "Answer with the letter of the correct
option."). Templates that add a line (``key_line``) add it after the instruction, those that
mark words in place keep the instruction last (see each template). A raw multiple-choice
record (its ``answer`` the option text, not a letter) has its bare question rewritten and the
options and instruction appended after it (:func:`user_message`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .attribution import key_tokens
from .config import check_choice
from .generation import greedy_answers
from .metrics import Rate, exact_match, is_correct, recovery_rate, top1_return_rate
from .multiple_choice import LETTERS, letter_logprobs, mc_prompt
from .prompting import EncodedQuestion, token_words

Template = Callable[[str, list[str]], str]

# ---------------------------------------------------------------------------------------------
# Templates. Each takes the question and the words to emphasise (in question order, as
# returned by ``token_words``); a word is a run of letters/digits or a lone punctuation mark.


def _mark(question: str, words: list[str], fmt: Callable[[str], str]) -> str:
    """Replace every whole-word occurrence of each of ``words`` in ``question`` by ``fmt(w)``."""
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        before = r"(?<!\w)" if re.match(r"\w", w[0]) else ""
        after = r"(?!\w)" if re.match(r"\w", w[-1]) else ""
        parts.append(before + re.escape(w) + after)
    return re.sub("|".join(parts), lambda m: fmt(m.group(0)), question)


def key_line(question: str, words: list[str]) -> str:
    """The question, then a line naming the key words.

    ``"Who leads the Amber Ferry Guild?"``, ``["Amber", "Guild"]`` ->
    ``"Who leads the Amber Ferry Guild?\\nKey words: Amber, Guild."``
    (for a multiple-choice prompt the line comes after the answer instruction).
    """
    return f"{question}\nKey words: {', '.join(words)}."


def key_first(question: str, words: list[str]) -> str:
    """A line naming the key words, then the question (the instruction of a multiple-choice
    prompt stays last).

    ``"Who leads the Amber Ferry Guild?"``, ``["Amber", "Guild"]`` ->
    ``"Key words: Amber, Guild.\\nWho leads the Amber Ferry Guild?"``
    """
    return f"Key words: {', '.join(words)}.\n{question}"


def key_bold(question: str, words: list[str]) -> str:
    """Every occurrence of a key word in the question wrapped in Markdown bold, nothing added.

    ``"Who leads the Amber Ferry Guild?"``, ``["Amber", "Guild"]`` ->
    ``"Who leads the **Amber** Ferry **Guild**?"``
    """
    return _mark(question, words, lambda w: f"**{w}**")


def key_repeat(question: str, words: list[str]) -> str:
    """Every occurrence of a key word in the question said twice, nothing else added.

    ``"Who leads the Amber Ferry Guild?"``, ``["Amber", "Guild"]`` ->
    ``"Who leads the Amber Amber Ferry Guild Guild?"``
    """
    return _mark(question, words, lambda w: f"{w} {w}")


def ask_twice(question: str, words: list[str]) -> str:
    """The question asked twice: as it is, then on a new line with the key words in bold
    (:func:`key_bold`). A multiple-choice prompt is repeated whole, so it ends with its
    instruction.

    ``"Who leads the Amber Ferry Guild?"``, ``["Amber", "Guild"]`` ->
    ``"Who leads the Amber Ferry Guild?\\nWho leads the **Amber** Ferry **Guild**?"``
    """
    return f"{question}\n{key_bold(question, words)}"


TEMPLATES: dict[str, Template] = {
    "key_line": key_line,
    "key_first": key_first,
    "key_bold": key_bold,
    "key_repeat": key_repeat,
    "ask_twice": ask_twice,
}

KINDS = ("FocusOnKey", "ProbAb", "both", "control")

# Where FocusOnKey's KeyTokens come from: the model before (STUDY.md) or after unlearning.
KEY_SOURCES = ("original", "unlearned")


def emphasise(question: str, words: list[str], template: str = "key_line") -> str:
    """Rewrite ``question`` so that ``words`` are emphasised, with the named template.

    With no words there is nothing to emphasise and the question comes back unchanged.
    """
    check_choice("template", template, TEMPLATES)
    return TEMPLATES[template](question, words) if words else question


def focus_on_key(q: EncodedQuestion, keys: list[int], template: str = "key_line") -> str:
    """The FocusOnKey prompt: the words holding KeyTokens ``keys`` emphasised."""
    return emphasise(q.text, token_words(q, keys), template)


def random_control(
    q: EncodedQuestion, keys: list[int], template: str = "key_line", seed: int = 0
) -> str:
    """The control prompt: ``len(keys)`` random tokens emphasised, none of them a KeyToken
    nor inside a word that holds one (so the control never names a key word)."""
    key_words = set(token_words(q, keys))
    candidates = []
    for i in range(len(q.ids)):
        words = set(token_words(q, [i]))
        if i not in keys and words and not words & key_words:
            candidates.append(i)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(candidates, min(len(keys), len(candidates))))
    return emphasise(q.text, token_words(q, chosen), template)


# ---------------------------------------------------------------------------------------------
# ProbAb (our reading) and the combination with FocusOnKey.


def probab_tokens(
    scores: Sequence[float] | np.ndarray,
    alpha: float = 0.5,
    beta: int = 3,
    max_tokens: int | None = None,
) -> list[int]:
    """The tokens ProbAb deletes (our reading): the KeyToken rule mirrored to negative
    contributions under the unlearned model.

    Let ``N = {i : C_i < 0}``. If ``|N| < beta``, take ``N``; otherwise take
    ``{i in N : C_i / min_j C_j > alpha}``. With ``max_tokens``, keep only that many of them,
    the most negative first.

    Returns:
        Indices into ``scores``, ascending.
    """
    c = np.asarray(scores, dtype=float)
    chosen = key_tokens(-c, alpha, beta)
    if max_tokens is not None and len(chosen) > max_tokens:
        chosen = sorted(sorted(chosen, key=lambda i: c[i])[:max_tokens])
    return chosen


def delete_tokens(q: EncodedQuestion, indices: Sequence[int]) -> EncodedQuestion:
    """The question with the characters of tokens ``indices`` removed; the remaining tokens
    keep their ids, and their offsets point into the shorter text (white space not tidied:
    see :func:`tidy`)."""
    gone = set(indices)
    cut = np.zeros(len(q.text) + 1, dtype=bool)
    for i in gone:
        start, end = q.offsets[i]
        cut[start:end] = True
    before = np.concatenate([[0], np.cumsum(~cut[:-1])])  # kept characters before position p
    text = "".join(ch for ch, c in zip(q.text, cut) if not c)
    ids, offsets = [], []
    for i, (tid, (start, end)) in enumerate(zip(q.ids, q.offsets)):
        if i not in gone:
            ids.append(tid)
            offsets.append((int(before[start]), int(before[end])))
    return EncodedQuestion(text, tuple(ids), tuple(offsets))


def tidy(text: str) -> str:
    """Runs of spaces made one, spaces at the start and end of each line dropped."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def probab(q: EncodedQuestion, deleted: Sequence[int]) -> str:
    """The ProbAb prompt (our reading): the question without tokens ``deleted``, tidied.

    ``"Who leads the Amber Ferry Guild?"`` without ``"Who"`` and ``" Ferry"`` ->
    ``"leads the Amber Guild?"``
    """
    return tidy(delete_tokens(q, deleted).text)


def probab_focus(
    q: EncodedQuestion, keys: list[int], deleted: Sequence[int], template: str = "key_line"
) -> str:
    """ProbAb and FocusOnKey combined: tokens ``deleted`` removed first, then the words that
    hold the remaining KeyTokens (as they read after the deletion) emphasised."""
    gone = set(deleted)
    kept = [i for i in range(len(q.ids)) if i not in gone]
    new_index = {old: new for new, old in enumerate(kept)}
    short = delete_tokens(q, deleted)
    words = token_words(short, [new_index[k] for k in keys if k not in gone])
    return emphasise(tidy(short.text), words, template)


def item_prompts(
    q: EncodedQuestion,
    keys: list[int],
    *,
    template: str = "key_line",
    control_seed: int = 0,
    deleted: Sequence[int] | None = None,
) -> dict[str, str]:
    """Every rewritten prompt of one item, by kind: ``FocusOnKey`` and ``control``, and with
    ``deleted`` (ProbAb's tokens) also ``ProbAb`` and ``both``."""
    if any(not 0 <= k < len(q.ids) for k in [*keys, *(deleted or [])]):
        raise ValueError(f"token index out of range for a {len(q.ids)}-token question")
    out = {
        "FocusOnKey": focus_on_key(q, keys, template),
        "control": random_control(q, keys, template, seed=control_seed),
    }
    if deleted is not None:
        out["ProbAb"] = probab(q, deleted)
        out["both"] = probab_focus(q, keys, deleted, template)
    return {k: out[k] for k in KINDS if k in out}


# ---------------------------------------------------------------------------------------------
# Answering rewritten prompts and the rates of a recovery table.


def is_mc_pair(record: dict) -> bool:
    """Whether ``record`` is a multiple-choice prompt/answer pair (``as_prompt_answer``: the
    question is the whole lettered prompt and the answer the gold letter)."""
    return "choices" in record and record["answer"] == LETTERS[record["answer_index"]]


def user_message(record: dict, text: str) -> str:
    """The user message that asks ``text`` (a possibly rewritten ``record["question"]``).

    QA records and multiple-choice prompt/answer pairs: ``text`` itself. A raw
    multiple-choice record: ``text`` followed by the lettered options and the instruction.
    """
    if "choices" in record and not is_mc_pair(record):
        return mc_prompt(dict(record, question=text))
    return text


Answered = dict[tuple[str, str], dict]  # (record id, text) -> prediction, correct, top1


def answer_prompts(
    model: PreTrainedModel,
    tok: PreTrainedTokenizerBase,
    records: Sequence[dict],
    texts: Sequence[str],
    *,
    tau: float = 0.5,
    batch_size: int = 16,
    memo: Answered | None = None,
) -> pd.DataFrame:
    """Answer each record asked as ``texts[k]`` (its rewritten question).

    QA: greedy answer; ``correct`` when ROUGE-L recall is at least ``tau``, ``top1`` when it is
    the gold answer (:func:`unpactlib.metrics.exact_match`). Multiple choice: the option letter
    of highest next-token log-probability after :func:`user_message`, from one forward pass
    per prompt; ``correct`` and ``top1`` both mean it is the gold option.

    Each distinct ``(record id, text)`` is answered once. With ``memo`` (one per model and
    ``tau``) the answers are kept there and a later call answers only prompts it has not seen:
    ProbAb's prompt, for one, is the same under every template.

    Returns:
        Columns ``prediction``, ``correct``, ``top1``, one row per record, in order.
    """
    if len(records) != len(texts):
        raise ValueError(f"{len(records)} records but {len(texts)} texts")
    memo = {} if memo is None else memo
    todo: dict[tuple[str, str], dict] = {}
    for r, t in zip(records, texts):
        if (r["id"], t) not in memo:
            todo[(r["id"], t)] = r
    keys = list(todo)
    qa = [k for k in keys if "choices" not in todo[k]]
    if qa:
        answers = greedy_answers(
            model, tok, [t for _, t in qa], batch_size=batch_size, progress=False
        )
        for key, a in zip(qa, answers):
            gold = todo[key]["answer"]
            memo[key] = {
                "prediction": a,
                "correct": is_correct(a, gold, tau),
                "top1": exact_match(a, gold),
            }
    mc = [k for k in keys if "choices" in todo[k]]
    for n in sorted({len(todo[k]["choices"]) for k in mc}):
        group = [k for k in mc if len(todo[k]["choices"]) == n]
        messages = [user_message(todo[k], k[1]) for k in group]
        logp = letter_logprobs(model, tok, messages, n, batch_size=batch_size)
        for key, scores in zip(group, logp):
            pick = int(np.argmax(scores))
            ok = pick == todo[key]["answer_index"]
            choice = todo[key]["choices"][pick]
            memo[key] = {"prediction": f"{LETTERS[pick]}. {choice}", "correct": ok, "top1": ok}
    rows = [memo[(r["id"], t)] for r, t in zip(records, texts)]
    return pd.DataFrame(rows, columns=["prediction", "correct", "top1"])


def table_rates(table: pd.DataFrame, measure: str = "correct") -> dict[str, Rate]:
    """Rates of each prompt kind of a recovery table (:func:`unpactlib.study.recovery`).

    Args:
        table: columns ``correct_before``, ``correct_after`` and, per kind, ``prompt_<kind>``
            and ``<measure>_<kind>``.
        measure: ``"correct"`` for the recovery rate, ``"top1"`` for the top-1 return rate.
    """
    check_choice("measure", measure, ("correct", "top1"))
    rate = recovery_rate if measure == "correct" else top1_return_rate
    before, after = table["correct_before"].tolist(), table["correct_after"].tolist()
    kinds = [k for k in KINDS if f"prompt_{k}" in table]
    return {k: rate(before, after, table[f"{measure}_{k}"].tolist()) for k in kinds}


# ---------------------------------------------------------------------------------------------
# Sensitivity to alpha and beta: KeyTokens per grid point, rewritten prompts without repeats.

GridPoint = tuple[float, int]


def keytoken_grid(
    scores: Mapping[str, Sequence[float]], alphas: Sequence[float], betas: Sequence[int]
) -> dict[GridPoint, dict[str, list[int]]]:
    """KeyTokens of every item at every ``(alpha, beta)`` of the grid.

    Args:
        scores: contributions per item id (under the original model, for FocusOnKey).

    Returns:
        ``{(alpha, beta): {id: key_tokens(scores[id], alpha, beta)}}``.
    """
    return {
        (a, b): {i: key_tokens(s, a, b) for i, s in scores.items()} for a in alphas for b in betas
    }


@dataclass(frozen=True)
class GridPrompts:
    """Rewritten prompts of every grid point and the distinct ones to answer.

    ``prompts[point][id][kind]`` is a prompt text; ``unique`` lists each distinct
    ``(id, text)`` once, in first-seen order: only these need answering, since grid points
    that give an item the same KeyTokens give it the same prompts.
    """

    prompts: dict[GridPoint, dict[str, dict[str, str]]]
    unique: list[tuple[str, str]]


def grid_prompts(
    questions: Mapping[str, EncodedQuestion],
    grid: Mapping[GridPoint, Mapping[str, list[int]]],
    *,
    template: str = "key_line",
    control_seed: int = 0,
    deleted: Mapping[str, Sequence[int]] | None = None,
) -> GridPrompts:
    """The prompts of :func:`item_prompts` at every grid point of :func:`keytoken_grid`.

    Args:
        questions: encoded questions per item id; the item at position ``k`` gets control seed
            ``control_seed + k`` (as in :func:`unpactlib.study.recovery`).
        deleted: ProbAb's tokens per id; when given the ``ProbAb`` and ``both`` kinds are made.
    """
    prompts: dict[GridPoint, dict[str, dict[str, str]]] = {}
    unique: dict[tuple[str, str], None] = {}
    for point, keys in grid.items():
        prompts[point] = {}
        for k, (i, q) in enumerate(questions.items()):
            cut = None if deleted is None else deleted[i]
            by_kind = item_prompts(
                q, keys[i], template=template, control_seed=control_seed + k, deleted=cut
            )
            prompts[point][i] = by_kind
            unique.update(((i, text), None) for text in by_kind.values())
    return GridPrompts(prompts, list(unique))


def grid_rates(
    gp: GridPrompts,
    hits: Mapping[tuple[str, str], bool],
    correct_before: Mapping[str, bool],
    correct_after: Mapping[str, bool],
) -> pd.DataFrame:
    """Recovery (or top-1 return) rate of each kind at each grid point, with bootstrap CIs.

    Args:
        gp: from :func:`grid_prompts`.
        hits: per ``(id, text)`` of ``gp.unique``, whether the answer counts (``correct`` for
            the recovery rate, ``top1`` for the top-1 return rate).
        correct_before, correct_after: per id, correctness under the target and the unlearned
            model.

    Returns:
        Columns ``alpha``, ``beta``, ``kind``, ``recovered``, ``forgotten``, ``rate``,
        ``ci_low``, ``ci_high``.
    """
    rows = []
    for (alpha, beta), items in gp.prompts.items():
        ids = list(items)
        before = [correct_before[i] for i in ids]
        after = [correct_after[i] for i in ids]
        for kind in KINDS:
            if kind not in items[ids[0]]:
                continue
            r = recovery_rate(before, after, [hits[(i, items[i][kind])] for i in ids])
            low, high = r.ci()
            rows.append(
                {
                    "alpha": alpha,
                    "beta": beta,
                    "kind": kind,
                    "recovered": r.numerator,
                    "forgotten": r.denominator,
                    "rate": r.value,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)
