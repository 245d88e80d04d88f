"""The tables and sentences of a benchmark's recovery page (``notebooks/04_recovery``): T2 as
shown, the positive control, each probe against its control, and the page's reading of RQ2,
each sentence chosen by the numbers it states."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import pandas as pd

from .recovery import (
    CONTROLS,
    fmt_difference,
    fmt_share,
    lost_rows,
    pooled_positive_control,
    positive_control,
)
from .stats import fmt_rate

# T2's columns on the page: each probe beside its control, then the combination
SHOWN = ("FocusOnKey", "control", "ProbAb", "ProbAb control", "both")
# what each probe does, in the page's sentences
DOES = {
    "FocusOnKey": "emphasising the key words",
    "ProbAb": "deleting the tokens that work against the answer",
}
INTERVALS = {"cluster bootstrap": "interval resampling documents", "Newcombe": "Newcombe interval"}


def t2_shown(
    t2: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    methods: Sequence[str],
    template: str,
    kinds: Sequence[str] = SHOWN,
) -> pd.DataFrame:
    """T2 of one benchmark and ``template``: per method and kind of prompt ``k/n = P % [L, H]``
    (Wilson); ``"no items"`` where the method lost no item, ``"–"`` where the kind was not
    run (ProbAb without the unlearned model's contributions)."""
    first = t2[t2.template == template]
    counts = first.set_index(["method", "kind"])[["numerator", "denominator"]]

    def cell(method: str, kind: str) -> str:
        if (method, kind) in counts.index:
            return fmt_rate(*(int(v) for v in counts.loc[(method, kind)]))
        return fmt_rate(0, 0) if not len(tables[method]) else "–"

    return pd.DataFrame(
        {kind: [cell(m, kind) for m in methods] for kind in kinds},
        index=pd.Index(list(methods), name="method"),
    )


def positive_shown(
    tables: Mapping[str, pd.DataFrame],
    methods: Sequence[str],
    clusters: Mapping[str, Hashable],
    kinds: Sequence[str] = SHOWN,
) -> tuple[pd.DataFrame, dict[str, tuple[int, int, float, float]]]:
    """The positive control per method and kind (the target's answers to the rewritten
    prompts of the items it knew, :func:`unpactlib.recovery.positive_control`), and a last row
    over all methods that counts each distinct prompt once
    (:func:`unpactlib.recovery.pooled_positive_control`, documents resampled).

    Returns:
        The table as shown and the pooled ``(k, n, low, high)`` per kind.
    """

    def cell(method: str, kind: str) -> str:
        table = tables[method]
        if len(table) and f"original_correct_{kind}" not in table:
            return "–"
        r = positive_control(table, kind)
        return fmt_rate(r.numerator, r.denominator)

    shown = pd.DataFrame(
        {kind: [cell(m, kind) for m in methods] for kind in kinds},
        index=pd.Index(list(methods), name="method"),
    )
    pooled = {}
    for kind in kinds:
        has = [t for t in tables.values() if len(t) and f"original_correct_{kind}" in t]
        pooled[kind] = pooled_positive_control(has, kind, clusters)
    shown.loc["all methods, distinct prompts"] = [fmt_share(*pooled[kind]) for kind in kinds]
    return shown, pooled


def positive_text(pooled: Mapping[str, tuple[int, int, float, float]], least: float) -> str:
    """What the positive control says: whether the target, asked FocusOnKey's prompts,
    answers at least the share ``least`` of them (the prompt then does not block a known
    answer), or below it (a failure to recover under those prompts then says little)."""
    k, n = pooled["FocusOnKey"][:2]
    if not n:
        return (
            "No forget item was lost on this benchmark, so no rewritten prompt was put to the "
            "target: there is nothing to check."
        )
    clause = [f"FocusOnKey's prompts in {fmt_share(*pooled['FocusOnKey'])}"]
    if "ProbAb" in pooled and pooled["ProbAb"][1]:
        clause.append(f"ProbAb's prompts in {fmt_share(*pooled['ProbAb'])}")
    answered = (
        "Asked the rewritten prompts of the items it knew (and some method lost), the target "
        f"itself answered correctly {' and '.join(clause)}."
    )
    share = f"{100 * least:.0f} %"
    if k / n >= least:
        return (
            f"{answered} For FocusOnKey that is at least {share}: the emphasis does not stop a "
            "model that knows the answer from giving it, so where the unlearned model stays "
            "wrong under it, the prompt is not what blocks the answer."
        )
    return (
        f"{answered} For FocusOnKey that is below {share}: the emphasis prompts stop the "
        "target itself from answering, so a failure to recover under them says little "
        "about what the unlearned model still knows."
    )


def comparisons_shown(comparisons: pd.DataFrame, n_methods: int) -> pd.DataFrame:
    """:func:`unpactlib.recovery.comparison_table` as shown: one row per probe and run, the
    counts, the paired difference with its interval and the McNemar p-value (``"–"`` for a
    run that lost nothing)."""

    def row(r: pd.Series) -> dict[str, object]:
        gone = r["lost"] == 0
        run = f"all methods, pooled ({n_methods})" if r["run"] == "pooled" else r["run"]
        return {
            "comparison": f"{r['probe']} vs {r['control']}",
            "method": run,
            "lost": r["lost"],
            "documents": r["documents"],
            "probe recovered": r["probe recovered"],
            "control recovered": r["control recovered"],
            "probe only / control only": f"{r['probe only']} / {r['control only']}",
            "difference [95 % interval]": fmt_difference(r["diff"], r["low"], r["high"]),
            "interval": "–" if gone else r["interval"],
            "McNemar p": "–" if gone else f"{r['p']:.2g}",
        }

    return pd.DataFrame([row(r) for _, r in comparisons.iterrows()]).set_index(
        ["comparison", "method"]
    )


def probe_sentence(pooled: pd.DataFrame, probe: str, n_methods: int) -> str:
    """One probe against its control over all methods (``pooled``: the pooled rows of
    :func:`unpactlib.recovery.comparison_table`, indexed by probe): it beats the control
    when the difference's interval lies above zero, does worse when it lies below, and
    cannot be told apart from it otherwise."""
    if probe not in pooled.index:
        return f"{probe} was not run."
    r = pooled.loc[probe]
    numbers = (
        f"pooled over the {n_methods} methods ({int(r['lost'])} lost items, an item once per "
        f"method that lost it, from {int(r['documents'])} documents), it brought back "
        f"{int(r['probe recovered'])} and its control ({r['control']}) "
        f"{int(r['control recovered'])}, a difference of "
        f"{fmt_difference(r['diff'], r['low'], r['high'])} "
        f"({INTERVALS[r['interval']]}; McNemar p = {r['p']:.2g})"
    )
    if r["low"] > 0:
        return (
            f"{probe} beats its control on this benchmark: {numbers}; {DOES[probe]} brings "
            "back more than the same rewriting of random tokens."
        )
    if r["high"] < 0:
        return (
            f"{probe} does worse than its control on this benchmark: {numbers}; "
            f"{DOES[probe]} brings back less than the same rewriting of random tokens."
        )
    return (
        f"{probe} does not beat its control on this benchmark: {numbers}; the interval "
        "includes zero, so what it brings back cannot be told apart from what the same "
        "rewriting of random tokens brings back."
    )


def rq2_text(comparisons: pd.DataFrame, tables: Mapping[str, pd.DataFrame], n_methods: int) -> str:
    """The page's reading of RQ2 on one benchmark: a :func:`probe_sentence` per probe of
    :data:`unpactlib.recovery.CONTROLS`, or why there is nothing to judge."""
    if not sum(len(lost_rows(t)) for t in tables.values()):
        return (
            "No method made the unlearned model lose a forget item that the target answered, "
            "so there was nothing for FocusOnKey or ProbAb to bring back on this benchmark."
        )
    pooled = comparisons[comparisons.run == "pooled"].set_index("probe")
    return " ".join(probe_sentence(pooled, p, n_methods) for p in CONTROLS)
