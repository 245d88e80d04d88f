"""Tables and sentences of the book's benchmark, target and unlearning pages.

Every number a page states comes out of these functions, computed from the benchmarks and
the stages' results, so a notebook glues it rather than typing it:

* :func:`split_table`: items and source documents per split (from
  :func:`unpactlib.benchmarks.benchmark_stats`), with what each split is for;
* :func:`chance_level`, :func:`chance_levels`, :func:`chance_sentence`: the accuracy of a
  uniform guess among a multiple-choice item's options (QA items have none);
* :func:`correct_counts`, :func:`score_table`, :func:`target_sentence`: accuracies as counts,
  a scores table with a chance row, and the target page's sentence against the base model;
* :func:`checks_table`: the target's training checks over epochs;
* :func:`t1_rates`: T1's rates as ``"k/n = P % [L, H]"`` with their Wilson intervals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from .benchmarks import PARAPHRASE, PARAPHRASED, SPLITS, Benchmark
from .stats import fmt_rate

# what each split (and paraphrased pseudo-split) is for, in a few words
SPLIT_USES: dict[str, str] = {
    "forget": "learned by the target, then unlearned; scored",
    "retain": "retain-eval: learned by the target and scored; unlearning never sees it",
    "retain_train": "learned by the target; the retain set unlearning trains on",
    "tune_forget": "learned by the target; unlearned by the settings search only",
    "tune_retain": "learned by the target; scored by the settings search only",
    "holdout": "never trained: what a model guesses without the facts",
    "utility": "general knowledge the base model answers: damage to general ability",
    "forget_paraphrase": "the forget items asked in words never trained on",
    "retain_paraphrase": "the retain-eval items asked in words never trained on",
}
# the study's goal for the target: at least this share of the base model's utility accuracy
UTILITY_GOAL = 0.9
# the two-sided level of every interval the pages show (Wilson score intervals)
CONFIDENCE = 0.95
# T1's rates (keys of unpactlib.evaluation.unlearning_metrics) -> their names in the book
RATE_NAMES: dict[str, str] = {
    "forget efficacy": "forget efficacy",
    "forget efficacy (paraphrase)": "forget efficacy (paraphrase)",
    "destructive rate": "retain destructive rate",
    "destructive rate (paraphrase)": "retain destructive rate (paraphrase)",
    "utility destructive rate": "utility destructive rate",
}
# how a split is named in a sentence
SPLIT_WORDS: dict[str, str] = {
    "forget": "forget",
    "retain": "retain-eval",
    "retain_train": "retain-train",
    "tune_forget": "tune-forget",
    "tune_retain": "tune-retain",
    "holdout": "holdout",
    "utility": "utility",
    "forget_paraphrase": "paraphrased forget",
    "retain_paraphrase": "paraphrased retain-eval",
}
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
MISSING = "–"


def _pct(share: float) -> str:
    """A share as a whole percent, ``"25 %"``."""
    return f"{100 * share:.0f} %"


def whole_points(shares: pd.DataFrame) -> pd.DataFrame:
    """Shares in [0, 1] as table cells in whole percentage points (``0.6875`` -> ``"69"``),
    :data:`MISSING` where a share is missing: on the 24 to 110 items of a split an interval is
    ten or more points wide, so a decimal would claim more than the data hold."""
    return shares.astype(float).map(lambda v: MISSING if pd.isna(v) else f"{100 * v:.0f}")


def _join(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def split_table(stats: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Items and source documents per split of each benchmark, with what the split is for.

    Args:
        stats: one :func:`unpactlib.benchmarks.benchmark_stats` per benchmark.

    Returns:
        One row per split (:data:`unpactlib.benchmarks.SPLITS`, then the paraphrased
        pseudo-splits), index ``split``; columns ``("", "used for")`` and, per benchmark,
        ``(benchmark, "items")`` and ``(benchmark, "documents")``; ``"–"`` where a split has
        no source documents (utility) or the benchmark lacks the split.
    """
    rows = [*SPLITS, *(f"{s}{PARAPHRASE}" for s in PARAPHRASED)]
    table = pd.DataFrame(index=pd.Index(rows, name="split"))
    table[("", "used for")] = [SPLIT_USES[s] for s in rows]
    for st in stats:
        name = str(st["benchmark"])
        items = [int(st.get(s, 0)) for s in rows]
        docs = [st.get(f"{s} docs") for s in rows]
        table[(name, "items")] = [n if n else MISSING for n in items]
        table[(name, "documents")] = [
            d if d is not None and n else MISSING for d, n in zip(docs, items)
        ]
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.astype(object)


def chance_level(records: Iterable[Mapping]) -> float | None:
    """The expected accuracy of a uniform guess among each item's options: the mean of
    ``1 / len(choices)``; None when no record has choices (QA: no chance level)."""
    shares = [1 / len(r["choices"]) for r in records if r.get("choices")]
    return sum(shares) / len(shares) if shares else None


def chance_levels(bench: Benchmark, splits: Iterable[str]) -> dict[str, float | None]:
    """:func:`chance_level` of each of ``splits`` of ``bench``."""
    return {s: chance_level(bench[s]) for s in splits}


def _options(records: Iterable[Mapping]) -> int | None:
    """The number of options every record has; None when they differ or there are none."""
    counts = {len(r["choices"]) for r in records if r.get("choices")}
    return counts.pop() if len(counts) == 1 else None


def chance_sentence(bench: Benchmark, splits: Iterable[str], lead: str = "Chance") -> str:
    """A sentence, ``"<lead>: ..."``, stating the chance level of each of ``splits``: the
    multiple-choice ones grouped by level (with their number of options when it is the same
    for all; "every split" when all share one level), the QA ones as open questions without
    a chance level (named when at most two, else "the other items"); empty when ``splits``
    is."""
    splits = list(splits)
    levels = chance_levels(bench, splits)
    by_level: dict[float, list[str]] = {}
    for s, level in levels.items():
        if level is not None:
            by_level.setdefault(round(level, 6), []).append(s)
    parts = []
    for level, names in by_level.items():
        n = _options(r for s in names for r in bench[s])
        options = f"one of {NUMBER_WORDS.get(n, n)} options" if n else "an option"
        where = (
            "every split"
            if len(names) == len(splits) > 1
            else f"the {_join([SPLIT_WORDS.get(s, s) for s in names])} items"
        )
        parts.append(f"picking {options} at random scores {_pct(level)} on {where}")
    open_ = [SPLIT_WORDS.get(s, s) for s, level in levels.items() if level is None]
    if open_ and parts and len(open_) > 2:
        parts.append("the other items are open questions, with no chance level")
    elif open_:
        parts.append(f"the {_join(open_)} items are open questions, with no chance level")
    return f"{lead}: {'; '.join(parts)}." if parts else ""


def correct_counts(items: pd.DataFrame, column: str = "correct") -> dict[str, tuple[int, int]]:
    """``split -> (items correct, items)`` of a per-item table (``split`` and ``column``),
    splits in their order of appearance."""
    out = {}
    for split in items["split"].unique():
        part = items.loc[items["split"] == split, column].astype(bool)
        out[str(split)] = (int(part.sum()), len(part))
    return out


def score_table(
    counts: Mapping[str, Mapping[str, tuple[int, int]]],
    splits: Sequence[str],
    chance: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """Accuracy (%, one decimal) per model and split, with the items per split in the column
    names (``"forget (n=48)"``) and, given ``chance``, a last row ``chance`` (``"–"`` for a
    split without a chance level).

    Args:
        counts: ``model -> split -> (correct, items)`` (:func:`correct_counts`).
        splits: the columns, in order; a split no model has is left out.
    """
    shown = [s for s in splits if any(s in c for c in counts.values())]
    sizes = {s: next(c[s][1] for c in counts.values() if s in c) for s in shown}
    names = {s: f"{s} (n={sizes[s]})" for s in shown}
    rows = {
        model: {
            names[s]: round(100 * c[s][0] / c[s][1], 1) if s in c and c[s][1] else MISSING
            for s in shown
        }
        for model, c in counts.items()
    }
    if chance is not None:
        rows["chance"] = {
            names[s]: MISSING if chance.get(s) is None else round(100 * chance[s], 1) for s in shown
        }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    return table.astype(object)


def utility_share(base: tuple[int, int], target: tuple[int, int]) -> float:
    """The target's utility accuracy as a share of the base model's (NaN when the base model
    answers none)."""
    b = base[0] / base[1] if base[1] else 0.0
    t = target[0] / target[1] if target[1] else float("nan")
    return t / b if b else float("nan")


def target_sentence(
    base: Mapping[str, tuple[int, int]],
    target: Mapping[str, tuple[int, int]],
    chance: Mapping[str, float | None] | None = None,
    goal: float = UTILITY_GOAL,
    confidence: float = CONFIDENCE,
) -> str:
    """The target page's sentence: the target's accuracy on the forget, retain-eval,
    paraphrased and utility items against the base model's, each as
    ``"k/n = P % [L, H]"`` (:func:`unpactlib.stats.fmt_rate`) with the chance level where
    the split has one, and the target's utility accuracy as a share of the base model's
    against ``goal``. Splits missing from ``target`` are left out.

    Args:
        base, target: ``split -> (correct, items)`` of each model (:func:`correct_counts`).
        chance: ``split -> chance level or None`` (:func:`chance_levels`).
        confidence: the level of the Wilson intervals.
    """
    chance = chance or {}

    def versus(split: str) -> str:
        extra = [f"base model {fmt_rate(*base[split], confidence)}" if split in base else ""]
        if chance.get(split) is not None:
            extra.append(f"chance {_pct(chance[split])}")
        note = "; ".join(e for e in extra if e)
        return f"{fmt_rate(*target[split], confidence)} of the {SPLIT_WORDS[split]} items ({note})"

    sentences = []
    facts = [s for s in ("forget", "retain") if s in target]
    if facts:
        sentences.append(f"The target answers {_join([versus(s) for s in facts])}.")
    asked = [f"{s}{PARAPHRASE}" for s in ("forget", "retain") if f"{s}{PARAPHRASE}" in target]
    if asked:
        sentences.append(
            f"Asked in words it never trained on, it answers {_join([versus(s) for s in asked])}."
        )
    if "utility" in target:
        text = f"On general knowledge it answers {versus('utility')}"
        share = utility_share(base["utility"], target["utility"]) if "utility" in base else None
        if share is None or math.isnan(share):
            text += "; the base model answers none, so no share of it is defined."
        else:
            verdict = "meets" if share >= goal else "misses"
            text += (
                f": {_pct(share)} of the base model's utility accuracy, which {verdict} the"
                f" study's goal of at least {_pct(goal)}."
            )
        sentences.append(text)
    return " ".join(sentences)


def rule_shortfalls(
    target: Mapping[str, tuple[int, int]], min_accuracy: float
) -> list[tuple[str, int, int, int]]:
    """The splits where the target misses the stop rule, correct on at least ``min_accuracy``
    of the forget and of the retain-eval items: ``(split, correct, items, needed)`` with
    ``needed = ceil(min_accuracy * items)``; empty when it meets the rule.

    Args:
        target: ``split -> (correct, items)`` of the target (:func:`correct_counts`).
        min_accuracy: the rule's share (``TargetConfig.min_accuracy``).
    """
    out = []
    for split in ("forget", "retain"):
        k, n = target[split]
        needed = math.ceil(min_accuracy * n - 1e-9)
        if k < needed:
            out.append((split, k, n, needed))
    return out


def stop_rule_sentence(target: Mapping[str, tuple[int, int]], min_accuracy: float) -> str:
    """Whether the target meets the stop rule (:func:`rule_shortfalls`), as a sentence for
    the target page; a miss names each split below the rule with its count and the count the
    rule needs, and says that the results built on this target come from a target below it.
    """
    missed = [
        f"the {SPLIT_WORDS[split]} items ({k}/{n}; the rule needs {needed})"
        for split, k, n, needed in rule_shortfalls(target, min_accuracy)
    ]
    if not missed:
        return (
            f"It meets the stop rule: at least {_pct(min_accuracy)} of the forget and of the"
            " retain-eval items."
        )
    return (
        f"**It misses the stop rule** of at least {_pct(min_accuracy)} on {_join(missed)}. The"
        ' stage went on (`on_miss = "report"`), so every result on this benchmark comes from'
        " a target below the rule."
    )


def checks_table(checks: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """The target's training checks (``training["checks"]``: ``epoch`` and an accuracy per
    checked split) as accuracy (%, one decimal), one row per check, index ``epoch``.

    The check after the weights' interpolation (the one with an ``interpolate`` weight) is
    left out: :func:`interpolated_check` returns it."""
    trained = [c for c in checks if "interpolate" not in c]
    if not trained:
        return pd.DataFrame(index=pd.Index([], name="epoch"))
    table = pd.DataFrame(trained).set_index("epoch")
    return (table * 100).round(1)


def interpolated_check(checks: Sequence[Mapping[str, float]]) -> dict[str, float] | None:
    """The check made after the trained weights were interpolated towards the base model's
    (:func:`unpactlib.training.finetune_target`), its accuracies in % (one decimal) beside
    ``epoch`` and ``interpolate``; None when the weights were not interpolated."""
    for c in checks:
        if "interpolate" in c:
            keep = ("epoch", "interpolate")
            return {k: (v if k in keep else round(100 * v, 1)) for k, v in c.items()}
    return None


def target_search_table(rows: Sequence[Mapping]) -> pd.DataFrame:
    """The recorded target-recipe search (``scripts/search_target.py``'s records) as one row
    per try: the benchmark, the settings changed from the profile's defaults at the time
    (``"-"``: none), the epochs trained, the last check's accuracy (%) on forget, retain-eval
    and utility, and utility as a share of the base model's (%)."""
    out = []
    for row in rows:
        last = row["checks"][-1]
        changes = ", ".join(f"{k}={v}" for k, v in sorted(row["changes"].items())) or "-"
        out.append(
            {
                "benchmark": row["benchmark"],
                "changes": changes,
                "epochs": row["epochs"],
                **{SPLIT_WORDS[s]: round(100 * last[s], 1) for s in ("forget", "retain")},
                "utility": round(100 * last["utility"], 1),
                "utility / base": round(100 * last["utility"] / row["base_utility"], 1),
            }
        )
    columns = ["benchmark", "changes", "epochs", "forget", "retain-eval", "utility"]
    return pd.DataFrame(out, columns=[*columns, "utility / base"])


def t1_rates(t1: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """T1's rates per method as ``"k/n = P % [L, H]"`` (:func:`unpactlib.stats.fmt_rate`,
    Wilson interval at ``confidence``), named as in :data:`RATE_NAMES` (the destructive rate
    on the retain-eval items is the *retain* destructive rate).

    Args:
        t1: :attr:`unpactlib.stages.unlearning.UnlearningResult.t1`: one row per method with
            each rate's ``"<rate> counts"`` (``[k, n]``); rows without counts (the target)
            are left out, and so are rates no method has.
    """
    rows = {}
    for method, row in t1.iterrows():
        have = {
            shown: row[f"{key} counts"]
            for key, shown in RATE_NAMES.items()
            if f"{key} counts" in row and isinstance(row[f"{key} counts"], list | tuple)
        }
        if have:
            rows[method] = {
                shown: fmt_rate(int(k), int(n), confidence) for shown, (k, n) in have.items()
            }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")
    order = [c for c in RATE_NAMES.values() if c in table.columns]
    return table[order].fillna(MISSING).astype(object)


def t1_finding(t1: pd.DataFrame, benchmark: str) -> str:
    """The T1 page's opening sentences: the range of each rate over the methods, with the
    methods at its ends, and how many methods forgot at least half of the known forget items
    while destroying at most a fifth of the known retain-eval items (point estimates; the
    frontier's rule, :func:`unpactlib.verdicts.frontier_verdict`, asks the same of the
    intervals).

    Args:
        t1: :attr:`unpactlib.stages.unlearning.UnlearningResult.t1` (rates as shares, one row
            per method; the ``target`` row is left out).
        benchmark: the benchmark's name, for the sentence.
    """
    from .verdicts import ESCAPE_DESTRUCTION, ESCAPE_FORGET

    runs = t1.drop(index="target", errors="ignore")
    parts = []
    for key in ("forget efficacy", "destructive rate", "utility destructive rate"):
        if key not in runs or runs[key].isna().all():
            continue
        values = runs[key].astype(float).dropna()
        low, high = values.idxmin(), values.idxmax()
        parts.append(
            f"{RATE_NAMES[key]} from {100 * values[low]:.0f} % ({low}) to "
            f"{100 * values[high]:.0f} % ({high})"
        )
    if not parts:
        return f"No unlearning run on {benchmark} has results yet."
    both = runs[
        (runs["forget efficacy"] >= ESCAPE_FORGET)
        & (runs["destructive rate"] <= ESCAPE_DESTRUCTION)
    ]
    named = f" ({', '.join(both.index)})" if len(both) else ""
    return (
        f"On {benchmark}, over the {len(runs)} methods: {'; '.join(parts)}. "
        f"{len(both)} of {len(runs)} methods{named} forgot at least "
        f"{100 * ESCAPE_FORGET:.0f} % of the forget items the target knew while destroying at "
        f"most {100 * ESCAPE_DESTRUCTION:.0f} % of the retain-eval items it knew."
    )


def replay_sentence(training: Mapping) -> str:
    """What the target's record (``training.json``) says about replay: not trained here
    (``pretrained`` set), how many replay records it learned in every epoch, or none."""
    replay = training.get("replay", [])
    if "pretrained" in training:
        return "This target was not trained here, so it learned no replay records."
    if replay:
        return (
            f"In every epoch the target also learned {len(replay)} replay records: everyday"
            " requests with the base model's own answers, which pull it back towards the base"
            " model wherever the facts do not require a change (the first ones below)."
        )
    return "This target learned no replay records (the profile sets none)."
