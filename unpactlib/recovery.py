"""Prompt-side recovery: FocusOnKey, ProbAb, both combined, and the random control.

The weights are never touched: only the question is rewritten, then answered.

* **FocusOnKey**: the words holding the KeyTokens are emphasised with one of the
  named :data:`TEMPLATES`. KeyTokens come from the original model by default; the caller may
  take them from the unlearned model instead (``key_source`` of
  :func:`recover`).
* **ProbAb** (*our reading* of the paper's second method, whose definition we do not have):
  the tokens whose contribution under the *unlearned* model is most negative are deleted from
  the question (:func:`probab_tokens` picks them, :func:`delete_tokens` removes them).
* **both**: ProbAb's deletion first, then FocusOnKey's emphasis of the key words that remain.
* **control**: the same template emphasising as many random non-key tokens, so recovery cannot
  come from the prompt merely being longer.
* **ProbAb control**: as many random non-key tokens deleted as ProbAb deletes, so recovery
  cannot come from the prompt merely being shorter or garbled.

Each probe is compared with its control on the same lost items (:func:`probe_vs_control`:
paired difference, Newcombe interval, exact McNemar test; pooled over runs with an interval
that resamples documents, :func:`pooled_probe_vs_control`). The *positive control*
(:func:`positive_control`) asks the target itself the rewritten prompts: a rewriting that
stops the model that knows the answer from giving it says nothing about what the unlearned
model still knows.

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
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from transformers import PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from .attribution import key_tokens
from .config import ParameterError, check_choice
from .evaluation import Answered, answer
from .metrics import Rate, recovery_rate, top1_return_rate
from .multiple_choice import user_message
from .prompting import EncodedQuestion, encode_question, token_words
from .stats import Paired, cluster_bootstrap, paired, pooled_rate

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

KINDS = ("FocusOnKey", "ProbAb", "both", "control", "ProbAb control")

# Where FocusOnKey's KeyTokens come from: the model before (the default) or after unlearning.
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


def random_deletion(q: EncodedQuestion, keys: list[int], n: int, seed: int = 0) -> list[int]:
    """ProbAb's control: ``n`` tokens drawn at random (seeded) from the tokens that are not
    KeyTokens, ascending (fewer when there are fewer such tokens)."""
    candidates = [i for i in range(len(q.ids)) if i not in set(keys)]
    rng = random.Random(seed)
    return sorted(rng.sample(candidates, min(n, len(candidates))))


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
    ``deleted`` (ProbAb's tokens) also ``ProbAb``, ``both`` and ``ProbAb control`` (as many
    random non-key tokens deleted, :func:`random_deletion` with ``control_seed``)."""
    if any(not 0 <= k < len(q.ids) for k in [*keys, *(deleted or [])]):
        raise ValueError(f"token index out of range for a {len(q.ids)}-token question")
    out = {
        "FocusOnKey": focus_on_key(q, keys, template),
        "control": random_control(q, keys, template, seed=control_seed),
    }
    if deleted is not None:
        out["ProbAb"] = probab(q, deleted)
        out["both"] = probab_focus(q, keys, deleted, template)
        out["ProbAb control"] = probab(q, random_deletion(q, keys, len(deleted), control_seed))
    return {k: out[k] for k in KINDS if k in out}


# ---------------------------------------------------------------------------------------------
# Answering rewritten prompts and the rates of a recovery table.


def table_rates(table: pd.DataFrame, measure: str = "correct") -> dict[str, Rate]:
    """Rates of each prompt kind of a recovery table (:func:`recover`).

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
# A probe against its control on the same lost items, and the positive control.

# the control of each probe: random words emphasised for FocusOnKey, deleted for ProbAb
CONTROLS = {"FocusOnKey": "control", "ProbAb": "ProbAb control"}


def lost_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a recovery table lost to unlearning: ``correct_before`` and not
    ``correct_after`` (every row of the recovery stage's tables, which hold only those)."""
    if table.empty:
        return table
    before = table["correct_before"].astype(bool)
    return table[before & ~table["correct_after"].astype(bool)]


def _hits(rows: pd.DataFrame, column: str) -> list[bool]:
    """``rows[column]`` as booleans; ``[]`` for no rows (a table without lost items lacks
    the ProbAb columns); KeyError when rows lack the column."""
    if rows.empty:
        return []
    if column not in rows:
        raise KeyError(f"the recovery table has no column {column!r}")
    return rows[column].astype(bool).tolist()


def probe_vs_control(
    table: pd.DataFrame,
    probe: str = "FocusOnKey",
    control: str = "control",
    confidence: float = 0.95,
) -> Paired:
    """A probe against its control on the lost items of one run's recovery table
    (:func:`recover`): x = ``correct_<probe>``, y = ``correct_<control>`` on the same items,
    their 2x2 table, the difference of the two recovery rates with Newcombe's paired interval
    and the exact McNemar p-value (:func:`unpactlib.stats.paired`). ``n == 0`` (difference and
    interval NaN, p = 1) when nothing was lost."""
    rows = lost_rows(table)
    return paired(_hits(rows, f"correct_{probe}"), _hits(rows, f"correct_{control}"), confidence)


@dataclass(frozen=True)
class PooledComparison:
    """A probe against its control on the lost items of several runs together."""

    pairs: Paired  # the 2x2 table of every pooled row, its McNemar p and Newcombe interval
    clusters: int  # distinct documents among the pooled rows
    diff: float  # probe's recovery rate minus the control's (nan with no rows)
    low: float  # interval of diff, by `interval`
    high: float
    interval: str  # "cluster bootstrap", "Newcombe" (every resample alike) or "none"

    @property
    def p(self) -> float:
        """The exact McNemar p-value of the pooled rows (taken as independent)."""
        return self.pairs.p


def pooled_probe_vs_control(
    tables: Sequence[pd.DataFrame],
    probe: str,
    control: str,
    clusters: Mapping[str, Hashable],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> PooledComparison:
    """:func:`probe_vs_control` pooled over the recovery tables of several runs (methods).

    The pooled rows are not independent: the same item is lost to several methods, and the
    items of one source document share their facts. The interval of the difference therefore
    resamples documents: the :func:`unpactlib.stats.cluster_bootstrap` percentile interval of
    the mean of ``correct_<probe> - correct_<control>`` over the pooled rows, with
    ``clusters[id]`` the document of each item (an id missing from ``clusters`` is its own
    document). Where every resample gives the same difference (no discordant row, or a single
    document) Newcombe's paired interval of the pooled rows stands in, so the interval never
    has zero width. The McNemar p-value (``.p``) is the exact test on the pooled 2x2 table,
    which treats the rows as independent: read it beside the interval, not instead of it.
    """
    x: list[bool] = []
    y: list[bool] = []
    groups: list[Hashable] = []
    for table in tables:
        rows = lost_rows(table)
        x += _hits(rows, f"correct_{probe}")
        y += _hits(rows, f"correct_{control}")
        groups += [clusters.get(i, i) for i in rows["id"]] if len(rows) else []
    pairs = paired(x, y, confidence)
    if not x:
        nan = float("nan")
        return PooledComparison(pairs, 0, nan, nan, nan, "none")
    diff = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    est, low, high = cluster_bootstrap(diff, groups, np.mean, n_resamples, seed, confidence)
    how = "cluster bootstrap"
    if low == high:
        low, high, how = pairs.low, pairs.high, "Newcombe"
    return PooledComparison(pairs, len(set(groups)), est, low, high, how)


def positive_control(table: pd.DataFrame, kind: str = "FocusOnKey") -> Rate:
    """The positive control of one kind of prompt: among the items the target answered
    correctly (``correct_before``), how many the target also answers correctly when asked
    the rewritten prompt of ``kind`` (``original_correct_<kind>``, written when
    :func:`recover` is given ``original``). A prompt that stops the model that knows the
    answer from giving it cannot show that the unlearned model still knows it. Returns the
    counts as a :class:`~unpactlib.metrics.Rate` (``Rate(0, 0)`` with no such item)."""
    if table.empty:
        return Rate(0, 0)
    known = table[table["correct_before"].astype(bool)]
    hits = _hits(known, f"original_correct_{kind}")
    return Rate(sum(hits), len(hits))


def pooled_positive_control(
    tables: Sequence[pd.DataFrame],
    kind: str,
    clusters: Mapping[str, Hashable],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[int, int, float, float]:
    """:func:`positive_control` over the tables of several runs of one target: each distinct
    (item, prompt) pair once (the target's answer to the same prompt is the same in every
    run, so the first answer seen counts; FocusOnKey's prompt of an item is the same for every
    method), with the interval of :func:`unpactlib.stats.pooled_rate`, which resamples the
    documents ``clusters[id]``.
    Returns ``(k, n, low, high)``; ``(0, 0, nan, nan)`` with no such item."""
    seen: dict[tuple[str, str], bool] = {}
    for table in tables:
        if table.empty:
            continue
        known = table[table["correct_before"].astype(bool)]
        hits = _hits(known, f"original_correct_{kind}")
        prompts = known[f"prompt_{kind}"].astype(str).tolist() if hits else []
        for i, text, hit in zip(known["id"], prompts, hits):
            seen.setdefault((i, text), hit)
    ids = [i for i, _ in seen]
    return pooled_rate(
        list(seen.values()), [clusters.get(i, i) for i in ids], confidence, n_resamples, seed
    )


def fmt_share(k: int, n: int, low: float, high: float) -> str:
    """``"k/n = P % [L, H]"`` with the given interval, each in percent rounded to a whole
    number; ``"no items"`` when ``n == 0``."""
    if n == 0:
        return "no items"
    return f"{k}/{n} = {100 * k / n:.0f} % [{100 * low:.0f}, {100 * high:.0f}]"


def fmt_difference(diff: float, low: float, high: float) -> str:
    """A difference of two shares in percentage points with its interval,
    ``"+12 pp [-3, +27]"``; ``"–"`` when it is NaN (no items)."""
    if np.isnan(diff):
        return "–"
    return f"{100 * diff:+.0f} pp [{100 * low:+.0f}, {100 * high:+.0f}]"


def comparison_table(
    tables: Mapping[str, pd.DataFrame],
    clusters: Mapping[str, Hashable],
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each probe of :data:`CONTROLS` against its control, per run and pooled over the runs.

    Args:
        tables: recovery tables by run label (the unlearning method).
        clusters: the document of each item id (:func:`pooled_probe_vs_control`).

    Returns:
        One row per probe and run, then one per probe with run ``"pooled"``; columns
        ``probe``, ``control``, ``run``, ``lost`` (items, or pooled rows: an item once per
        run that lost it), ``documents`` (distinct documents among them), ``probe recovered``,
        ``control recovered``, ``probe only``, ``control only`` (the discordant items),
        ``diff``, ``low``, ``high``, ``interval`` (Newcombe per run; cluster bootstrap over
        documents pooled) and ``p`` (exact McNemar). A probe whose columns no table has
        (ProbAb without unlearned scores) is left out.
    """
    rows = []
    for probe, control in CONTROLS.items():
        if not any(f"correct_{probe}" in t for t in tables.values()):
            continue
        for run, table in tables.items():
            pr = probe_vs_control(table, probe, control, confidence)
            how = "Newcombe" if pr.n else "none"
            docs = {clusters.get(i, i) for i in lost_rows(table).get("id", [])}
            row = _comparison_row(probe, control, run, pr, len(docs), pr.low, pr.high, how)
            rows.append(row)
        pooled = pooled_probe_vs_control(
            list(tables.values()), probe, control, clusters, confidence, seed=seed
        )
        rows.append(
            _comparison_row(
                probe,
                control,
                "pooled",
                pooled.pairs,
                pooled.clusters,
                pooled.low,
                pooled.high,
                pooled.interval,
            )
        )
    return pd.DataFrame(rows)


def _comparison_row(
    probe: str,
    control: str,
    run: str,
    pr: Paired,
    documents: int,
    low: float,
    high: float,
    how: str,
) -> dict[str, object]:
    return {
        "probe": probe,
        "control": control,
        "run": run,
        "lost": pr.n,
        "documents": documents,
        "probe recovered": pr.both + pr.x_only,
        "control recovered": pr.both + pr.y_only,
        "probe only": pr.x_only,
        "control only": pr.y_only,
        "diff": pr.diff,
        "low": low,
        "high": high,
        "interval": how,
        "p": pr.p,
    }


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
            ``control_seed + k`` (as in :func:`recover`).
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
    """Recovery (or top-1 return) rate of each kind at each grid point, with Wilson intervals.

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


def recover(
    model: PreTrainedModel,
    tok: Tokenizer,
    forget: Sequence[dict],
    keys: dict[str, list[int]] | None,
    correct_before: Sequence[bool],
    correct_after: Sequence[bool],
    *,
    template: str = "key_line",
    control_seed: int = 0,
    tau: float = 0.5,
    batch_size: int = 16,
    original: PreTrainedModel | None = None,
    key_source: str = "original",
    unlearned_scores: dict[str, Sequence[float]] | None = None,
    alpha: float = 0.5,
    beta: int = 3,
    probab_alpha: float = 0.5,
    probab_beta: int = 3,
    probab_max: int | None = None,
    memo: Answered | None = None,
    original_memo: Answered | None = None,
) -> tuple[pd.DataFrame, dict[str, Rate]]:
    """Prompt-side recovery of the forget items, answered by ``model`` (weights untouched).

    Kinds of prompt (:data:`KINDS`): ``FocusOnKey`` and its random ``control``
    always; ``ProbAb`` (our reading), ``both`` and ``ProbAb control`` when
    ``unlearned_scores`` is given.

    Args:
        model: the unlearned model.
        forget: the forget items as prompt/answer pairs (``bench.prompts("forget")``; a raw
            multiple-choice record also works, see :func:`unpactlib.multiple_choice.user_message`).
        keys: the original model's KeyTokens per item id (indices into the tokens of the
            record's ``question``); unused, and may be None, when ``key_source="unlearned"``.
        correct_before, correct_after: correctness of each forget item under the target and
            the unlearned model (same order as ``forget``).
        template: key of :data:`TEMPLATES`.
        control_seed: the control of item ``k`` uses seed ``control_seed + k``.
        tau: ROUGE-L recall at or above which a QA answer is correct.
        original: when given, the rewritten prompts are also answered by this model (the
            target before unlearning), columns ``original_correct_<kind>``: a check that the
            rewriting itself does not stop a model that knows the answer from giving it.
        key_source: ``"original"`` (the default) emphasises ``keys``; ``"unlearned"``
            emphasises the unlearned model's KeyTokens, ``key_tokens(unlearned_scores[id],
            alpha, beta)``.
        unlearned_scores: contributions of each item's question tokens under the unlearned
            model, per id (the caller runs the attribution); needed by ProbAb and by
            ``key_source="unlearned"``.
        alpha, beta: the KeyToken rule, used only with ``key_source="unlearned"``.
        probab_alpha, probab_beta, probab_max: ProbAb's deletion rule
            (:func:`probab_tokens`).
        memo: answers of ``model`` already given, kept across calls (same model and ``tau``;
            :func:`unpactlib.evaluation.answer`).
        original_memo: the same for ``original``; prompts that several methods or templates
            share (FocusOnKey's rewrite of one item) are then answered by it once.

    Returns:
        One row per forget item (KeyTokens, ProbAb's deleted tokens, and per kind the user
        message sent, the answer, ``correct_<kind>`` and ``top1_<kind>``) and the recovery
        rate of each kind (:class:`~unpactlib.metrics.Rate`, with ``.ci()``); top-1 return
        rates come from ``table_rates(table, "top1")``.
    """
    check_choice("template", template, TEMPLATES)
    check_choice("key_source", key_source, KEY_SOURCES)
    if key_source == "unlearned" and unlearned_scores is None:
        raise ParameterError("key_source='unlearned' needs unlearned_scores")
    if key_source == "original" and keys is None:
        raise ParameterError("key_source='original' needs keys (the original KeyTokens)")
    rows, prompts = [], []
    for k, r in enumerate(forget):
        q = encode_question(tok, r["question"])
        deleted = None
        if unlearned_scores is not None:
            scores = unlearned_scores[r["id"]]
            if len(scores) != len(q.ids):
                raise ValueError(
                    f"item {r['id']}: {len(scores)} unlearned scores for {len(q.ids)} tokens"
                )
            deleted = probab_tokens(scores, probab_alpha, probab_beta, probab_max)
        item_keys = keys[r["id"]] if key_source == "original" else key_tokens(scores, alpha, beta)
        by_kind = item_prompts(
            q, item_keys, template=template, control_seed=control_seed + k, deleted=deleted
        )
        prompts.append(by_kind)
        rows.append(
            {
                "id": r["id"],
                "question": r["question"],
                "answer": r["answer"],
                "correct_before": bool(correct_before[k]),
                "correct_after": bool(correct_after[k]),
                "keys": item_keys,
                "key_words": token_words(q, item_keys),
                "deleted": deleted,
                "deleted_tokens": None
                if deleted is None
                else [tok.decode([q.ids[i]]) for i in deleted],
            }
        )
    columns = ["id", "question", "answer", "correct_before", "correct_after", "keys"]
    columns += ["key_words", "deleted", "deleted_tokens"]
    table = pd.DataFrame(rows, columns=columns)
    kinds = list(prompts[0]) if prompts else ["FocusOnKey", "control"]
    every = [(r, p[kind]) for kind in kinds for r, p in zip(forget, prompts)]
    asked = ([r for r, _ in every], [t for _, t in every])  # every kind in one call
    answers = answer(model, tok, *asked, tau=tau, batch_size=batch_size, memo=memo)
    if original is not None:
        on_original = answer(
            original, tok, *asked, tau=tau, batch_size=batch_size, memo=original_memo
        )
    for j, kind in enumerate(kinds):
        texts = [p[kind] for p in prompts]
        part = slice(j * len(forget), (j + 1) * len(forget))
        table[f"prompt_{kind}"] = [user_message(r, t) for r, t in zip(forget, texts)]
        table[f"prediction_{kind}"] = answers["prediction"].iloc[part].tolist()
        table[f"correct_{kind}"] = answers["correct"].iloc[part].tolist()
        table[f"top1_{kind}"] = answers["top1"].iloc[part].tolist()
        if original is not None:
            table[f"original_correct_{kind}"] = on_original["correct"].iloc[part].tolist()
    return table, table_rates(table, "correct")
