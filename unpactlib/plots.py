"""Figures of the book. Functions return a matplotlib Figure (or an HTML table) and never
show or save it."""

from __future__ import annotations

import html
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .stats import cluster_bootstrap
from .tables import SPLIT_WORDS, checks_table, interpolated_check


def contribution_heatmap(
    tokens: Sequence[Sequence[str]],
    scores: Sequence[np.ndarray],
    row_labels: Sequence[str],
    titles: Sequence[str],
    marked: Sequence[Sequence[int]] | None = None,
    ncols: int = 2,
) -> Figure:
    """F2: one panel per prompt; the prompt's tokens read top to bottom, one column per model.

    Args:
        tokens: per prompt, its attributable tokens.
        scores: per prompt, an array ``[n_models, n_tokens]`` of contributions.
        row_labels: model names (``original``, the method), one column each in a panel.
        titles: per prompt, a short title (the gold answer).
        marked: per prompt, token indices whose labels are set in bold (the KeyTokens).
        ncols: panels per row of the figure.

    The colour scale diverges at zero (red supports the answer, blue works against it) and is
    shared by all panels, so colours compare across prompts and models.
    """
    limit = max(float(np.nanmax(np.abs(s), initial=0.0)) for s in scores) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    ncols = min(ncols, len(tokens))
    nrows = -(-len(tokens) // ncols)
    longest = max(len(t) for t in tokens)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * (0.62 * len(row_labels) + 1.8) + 0.8, (0.24 * longest + 1.3) * nrows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[len(tokens) :]:
        ax.axis("off")
    marked = marked or [[] for _ in tokens]
    for ax, toks, s, title, bold in zip(axes.flat, tokens, scores, titles, marked):
        grid = np.asarray(s).T  # [n_tokens, n_models]
        im = ax.imshow(grid, cmap="RdBu_r", norm=norm, aspect="auto")
        ax.set_yticks(range(len(toks)), [t.strip() or "␣" for t in toks], fontsize=10)
        ax.set_xticks(range(len(row_labels)), row_labels, fontsize=9, rotation=40, ha="left")
        ax.xaxis.tick_top()
        for k in bold:
            ax.get_yticklabels()[k].set_fontweight("bold")
        for (r, c), v in np.ndenumerate(grid):
            ax.text(
                c,
                r,
                f"{v:+.2f}",
                ha="center",
                va="center",
                fontsize=8 if len(row_labels) > 3 else 9,
                color="white" if abs(v) > 0.6 * limit else "black",
            )
        ax.set_title(title, fontsize=11, loc="left")
        ax.tick_params(length=0)
    fig.colorbar(im, ax=axes.flat[: len(tokens)], label="contribution C(xᵢ, y)  (nats)", shrink=0.5)
    return fig


def keytoken_shift(
    changes: pd.DataFrame, per_prompt: pd.DataFrame, methods: Sequence[str]
) -> Figure:
    """F3: boxes of the original KeyTokens' contribution on the forget prompts before and
    after each method, and the mean Jaccard overlap of the KeyToken sets per method.

    Args:
        changes: :func:`unpactlib.tracking.token_changes` rows with a ``method`` column.
        per_prompt: :func:`unpactlib.tracking.prompt_tracking` rows with a ``method`` column.
    """
    methods = list(methods)
    keys_forget = changes[changes.key & (changes.split == "forget")]
    long = pd.concat(
        [
            keys_forget.assign(model="original", C=keys_forget.before),
            keys_forget.assign(model="after unlearning", C=keys_forget.after),
        ]
    )
    fig, axes = plt.subplots(
        1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [3, 1.2]}, squeeze=False
    )
    ax = axes[0][0]
    sns.boxplot(
        data=long,
        x="method",
        y="C",
        hue="model",
        ax=ax,
        fliersize=1.5,
        palette=["#b2182b", "#2166ac"],
    )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel("C of original KeyTokens (nats)")
    ax.set_xlabel("")
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=7, frameon=False)
    n_keys = keys_forget.groupby("method").size().reindex(methods)
    ax.set_xticks(range(len(methods)), [f"{m}\n{n} keys" for m, n in n_keys.items()])
    overlap = per_prompt[per_prompt.split == "forget"].groupby("method")["jaccard"].mean()
    ax2 = axes[0][1]
    ax2.barh(list(reversed(methods)), overlap.reindex(list(reversed(methods))), color="0.45")
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("KeyToken overlap (Jaccard)")
    ax2.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def template_bars(t2: pd.DataFrame, methods: Sequence[str], templates: Sequence[str]) -> Figure:
    """Recovery rate (%) of FocusOnKey (solid) and its control (pale) per method, one colour
    per template. ``t2`` has columns ``method``, ``template``, ``kind`` and ``value``."""
    methods, templates = list(methods), list(templates)
    focus = t2[t2.kind.isin(["FocusOnKey", "control"])]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    width = 0.8 / max(1, 2 * len(templates))
    for j, template in enumerate(templates):
        for c, kind in enumerate(["FocusOnKey", "control"]):
            part = focus[(focus.template == template) & (focus.kind == kind)].set_index("method")
            part = part.reindex(methods)
            xs = [i + (2 * j + c) * width - 0.4 + width / 2 for i in range(len(methods))]
            ax.bar(
                xs,
                part["value"].fillna(0) * 100,
                width,
                label=f"{template} {'(control)' if kind == 'control' else ''}",
                color=plt.cm.tab10(j),
                alpha=1.0 if kind == "FocusOnKey" else 0.35,
            )
    ax.set_xticks(range(len(methods)), methods, fontsize=8)
    ax.set_ylabel("recovery rate (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=6, ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def grid_heatmaps(grid: pd.DataFrame, methods: Sequence[str]) -> Figure:
    """FocusOnKey's recovery rate (%) over the alpha x beta grid, one panel per method.
    ``grid`` has columns ``method``, ``kind``, ``alpha``, ``beta`` and ``rate``."""
    methods = list(methods)
    fig, axes = plt.subplots(1, len(methods), figsize=(2.1 * len(methods), 2.2), squeeze=False)
    for ax, method in zip(axes[0], methods):
        part = grid[grid.method == method]
        if "kind" in part and len(part[part.kind == "FocusOnKey"]):
            part = part[part.kind == "FocusOnKey"]
            m = part.pivot(index="beta", columns="alpha", values="rate") * 100
            ax.imshow(m.values, vmin=0, vmax=100, cmap="viridis", aspect="auto")
            for (yi, xi), v in pd.DataFrame(m.values).stack().items():
                ax.text(xi, yi, f"{v:.0f}", ha="center", va="center", fontsize=7, color="w")
            ax.set_xticks(range(len(m.columns)), [f"{a:g}" for a in m.columns], fontsize=7)
            ax.set_yticks(range(len(m.index)), m.index, fontsize=7)
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("α", fontsize=8)
    axes[0][0].set_ylabel("β", fontsize=8)
    fig.tight_layout()
    return fig


def _marked(question: str, words: list[str]) -> str:
    """The question as HTML with the key words highlighted."""
    text = html.escape(question)
    for w in sorted(set(words), key=len, reverse=True):
        text = text.replace(html.escape(w), f"<mark>{html.escape(w)}</mark>")
    return text.replace("\n", "<br>")


def _short(text: object, n: int = 80) -> str:
    """An answer for the table, cut to ``n`` characters."""
    text = str(text)
    return html.escape(text if len(text) <= n else text[: n - 1] + "…")


# F4's answer columns: (kind, heading), the ProbAb pair only where the table has it
EXAMPLE_KINDS = [
    ("FocusOnKey", "FocusOnKey prompt"),
    ("control", "control prompt (random words emphasised)"),
    ("ProbAb", "ProbAb prompt"),
    ("ProbAb control", "ProbAb control (random words deleted)"),
]


def _answer_cell(r: pd.Series, kind: str) -> str:
    """One answer of F4 with a tick or a cross; for ProbAb and its control, the prompt sent
    (the question with tokens deleted) in small print above it."""
    mark = "✔" if bool(r[f"correct_{kind}"]) else "✘"
    cell = f"{_short(r[f'prediction_{kind}'])} {mark}"
    if kind.startswith("ProbAb"):
        cell = f"<small><i>{_short(r[f'prompt_{kind}'], 120)}</i></small><br>{cell}"
    return f"<td>{cell}</td>"


def recovery_examples(tables: dict[str, pd.DataFrame]) -> str:
    """F4 as an HTML table: per method, one lost item (the first that FocusOnKey recovered,
    else the first ProbAb recovered, else the first), with the original model's KeyTokens
    marked, the gold answer, and the unlearned model's answers to the FocusOnKey and control
    prompts and, where the tables have them, to the ProbAb prompt and its control (random
    tokens deleted). With no lost item in any table, a sentence saying so."""
    present = [t for t in tables.values() if len(t)]
    if not present:
        return (
            "<p><i>No lost item</i>: no method made the unlearned model lose a forget item "
            "that the target answered, so there is no example to show.</p>"
        )
    kinds = [(k, h) for k, h in EXAMPLE_KINDS if all(f"correct_{k}" in t for t in present)]
    cells = []
    for method, table in tables.items():
        if not len(table):
            continue
        order = [f"correct_{k}" for k in ("FocusOnKey", "ProbAb") if f"correct_{k}" in table]
        r = table.sort_values(order, ascending=False, kind="stable").iloc[0]
        words = [w.strip("' ") for w in str(r.key_words).strip("[]").split(",") if w.strip()]
        cells.append(
            "<tr>"
            f"<td><b>{method}</b></td><td>{_marked(r.question, words)}</td>"
            f"<td>{_short(r.answer)}</td>" + "".join(_answer_cell(r, k) for k, _ in kinds) + "</tr>"
        )
    answers = 46 // max(1, len(kinds))
    cols = '<col style="width:10%"><col style="width:30%"><col style="width:14%">'
    cols += f'<col style="width:{answers}%">' * len(kinds)
    heads = "".join(f"<th>unlearned, {h}</th>" for _, h in kinds)
    return (
        '<table style="width:100%; table-layout:fixed; word-break:break-word">'
        + cols
        + "<tr><th>method</th><th>question (KeyTokens of the original model marked)</th>"
        "<th>gold (target answered it)</th>" + heads + "</tr>" + "".join(cells) + "</table>"
    )


def class_change_intervals(
    classes: pd.DataFrame, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """F5's numbers: the mean contribution change of each word class per benchmark and
    method, with the percentile interval of a bootstrap that resamples *prompts*
    (:func:`unpactlib.stats.cluster_bootstrap`, clusters = prompt ids): the tokens of one
    prompt are not independent draws.

    Args:
        classes: :func:`unpactlib.token_classes.class_change_table` rows with columns
            ``benchmark``, ``method``, ``id``, ``class`` and ``change``.

    Returns:
        One row per benchmark, method and class (in order of first appearance): ``mean``,
        ``low``, ``high``, ``tokens`` and ``prompts``.
    """
    rows = []
    for (b, m, c), part in classes.groupby(["benchmark", "method", "class"], sort=False):
        mean, low, high = cluster_bootstrap(
            part["change"].to_numpy(float), part["id"].tolist(), confidence=confidence, seed=seed
        )
        rows.append(
            {
                "benchmark": b,
                "method": m,
                "class": c,
                "mean": mean,
                "low": low,
                "high": high,
                "tokens": len(part),
                "prompts": part["id"].nunique(),
            }
        )
    return pd.DataFrame(rows)


def class_change_bars(
    summary: pd.DataFrame,
    methods: Sequence[str],
    benchmarks: Sequence[str],
    palette: dict[str, str] | None = None,
) -> Figure:
    """F5: bars of :func:`class_change_intervals` (one panel per benchmark, one bar per
    method and class, error bars its interval)."""
    methods, benchmarks = list(methods), list(benchmarks)
    palette = palette or {"function": "#d95f02", "content": "#1b9e77"}
    kinds = [c for c in palette if c in set(summary["class"])]
    fig, axes = plt.subplots(
        1, len(benchmarks), figsize=(3.6 * len(benchmarks), 3), sharey=True, squeeze=False
    )
    width = 0.8 / max(1, len(kinds))
    for ax, b in zip(axes[0], benchmarks):
        for j, c in enumerate(kinds):
            part = summary[(summary.benchmark == b) & (summary["class"] == c)]
            part = part.set_index("method").reindex(methods)
            xs = np.arange(len(methods)) + (j - (len(kinds) - 1) / 2) * width
            err = np.vstack([part["mean"] - part["low"], part["high"] - part["mean"]])
            ax.bar(xs, part["mean"], width, color=palette[c], label=c)
            ax.errorbar(xs, part["mean"], yerr=err, fmt="none", ecolor="0.2", lw=1, capsize=2)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_xticks(range(len(methods)), methods, rotation=45, fontsize=7)
        ax.set_title(f"benchmark = {b}", fontsize=9)
    axes[0][0].set_ylabel("change of C after unlearning (nats)")
    axes[0][-1].legend(title="class", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def ladder_heatmap(net: pd.DataFrame, methods: Sequence[str], attacks: Sequence[str]) -> Figure:
    """Net recovery (percentage points: the unlearned model's success minus the base
    model's on the same lost items) per method (rows) and attack (columns), each cell
    annotated with its value and 95 % interval; grey where no item was asked.

    ``net`` has columns ``method``, ``attack``, ``n``, ``net``, ``low`` and ``high``
    (:func:`unpactlib.stages.ladder.net_table`)."""
    methods, attacks = list(methods), list(attacks)
    cells = net.set_index(["method", "attack"])
    values = np.full((len(methods), len(attacks)), np.nan)
    fig, ax = plt.subplots(figsize=(1.05 * len(attacks) + 1.6, 0.5 * len(methods) + 1.4))
    for i, m in enumerate(methods):
        for j, a in enumerate(attacks):
            if (m, a) in cells.index and cells.loc[(m, a), "n"] > 0:
                row = cells.loc[(m, a)]
                values[i, j] = 100 * row["net"]
                text = (
                    f"{100 * row['net']:+.0f}\n[{100 * row['low']:+.0f}, {100 * row['high']:+.0f}]"
                )
                ax.text(j, i, text, ha="center", va="center", fontsize=6.5)
            else:
                ax.text(j, i, "–", ha="center", va="center", fontsize=7, color="0.4")
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="0.92")
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=cmap, norm=TwoSlopeNorm(0, -100, 100), aspect="auto"
    )
    ax.set_xticks(range(len(attacks)), attacks, rotation=35, ha="right", fontsize=7.5)
    ax.set_yticks(range(len(methods)), methods, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.02).set_label("net recovery (pp)", fontsize=7)
    fig.tight_layout()
    return fig


def lens_lines(lens: pd.DataFrame, methods: Sequence[str]) -> Figure:
    """The logit lens: median rank of the gold answer's first token at each layer (log scale,
    rank 0 drawn at 1), one panel per method, a line per model (base, target, unlearned).
    ``lens`` has columns ``method``, ``model``, ``layer`` and ``median rank``."""
    methods = list(methods)
    fig, axes = plt.subplots(
        1,
        max(1, len(methods)),
        figsize=(2.2 * max(1, len(methods)), 2.3),
        squeeze=False,
        sharey=True,
    )
    colours = {"base": "0.55", "target": "tab:blue", "unlearned": "tab:red"}
    for ax, method in zip(axes[0], methods):
        part = lens[lens.method == method]
        for model, colour in colours.items():
            line = part[part.model == model].sort_values("layer")
            if len(line):
                ax.plot(line.layer, line["median rank"] + 1, color=colour, label=model, lw=1.4)
        ax.set_yscale("log")
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("layer", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("median rank + 1", fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig


def frontier_curves(points: pd.DataFrame, methods: Sequence[str]) -> Figure:
    """F1 as curves: for each method, its unlearning update at every strength, placed by the
    retain-eval destructive rate (x) against forget efficacy (left) and against the
    strongest attack's net recovery (right), in %, with 95 % intervals; the strength is
    written beside each point. ``points`` holds :func:`unpactlib.stages.run_frontier`'s rows."""
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), sharex=True)
    colours = dict(zip(methods, sns.color_palette("tab10", len(methods))))
    panels = [("forget efficacy", "forget efficacy (%)"), ("net", "net recovery (pp)")]
    for ax, (measure, label) in zip(axes, panels):
        for method in methods:
            part = points[points.method == method].sort_values("strength")
            if not len(part):
                continue
            x = 100 * part["retain destructive k"] / part["retain destructive n"].replace(0, np.nan)
            xerr = 100 * np.abs(
                part[["retain destructive low", "retain destructive high"]].to_numpy().T
                - (x.to_numpy() / 100)
            )
            if measure == "net":
                y, low, high = 100 * part["net"], 100 * part["net low"], 100 * part["net high"]
            else:
                n = part["forget efficacy n"].replace(0, np.nan)
                y = 100 * part["forget efficacy k"] / n
                low, high = 100 * part["forget efficacy low"], 100 * part["forget efficacy high"]
            yerr = np.abs(np.vstack([low, high]) - y.to_numpy())
            ax.errorbar(
                x,
                y,
                xerr=xerr,
                yerr=yerr,
                marker="o",
                ms=4,
                lw=1.3,
                capsize=2,
                color=colours[method],
                label=method,
                elinewidth=0.6,
            )
            for xi, yi, s in zip(x, y, part["strength"]):
                if np.isfinite(xi) and np.isfinite(yi):
                    ax.annotate(
                        f"{s:g}",
                        (xi, yi),
                        fontsize=6,
                        xytext=(3, 3),
                        textcoords="offset points",
                        color=colours[method],
                    )
        ax.set_xlabel("retain-eval destructive rate (%)", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[1].axhline(0, color="0.6", lw=0.7)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


def frontier_measures(points: pd.DataFrame, methods: Sequence[str]) -> Figure:
    """RQ1's and RQ3's measures along the strength axis, per method: the KeyTokens' mean
    contribution change minus random tokens' on forget prompts (left), and the function
    words' mean change on retain-eval prompts (right), in nats."""
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 2.8), sharex=True)
    colours = dict(zip(methods, sns.color_palette("tab10", len(methods))))
    for method in methods:
        part = points[points.method == method].sort_values("strength")
        if not len(part):
            continue
        axes[0].plot(
            part.strength,
            part["key change"] - part["random change"],
            marker="o",
            ms=3,
            color=colours[method],
            label=method,
        )
        axes[1].plot(
            part.strength,
            part["function change"],
            marker="o",
            ms=3,
            color=colours[method],
            label=method,
        )
    axes[0].set_ylabel("KeyTokens − random (nats)", fontsize=8)
    axes[1].set_ylabel("function words (nats)", fontsize=8)
    for ax in axes:
        ax.axhline(0, color="0.6", lw=0.7)
        ax.set_xlabel("strength s (target + s · update)", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.86))
    return fig


def probe_bars(shares: pd.DataFrame) -> Figure:
    """Each recovery probe beside its control: one horizontal bar per row of ``shares``
    (index: the probe's name, columns ``share``, ``low``, ``high`` in [0, 1]), in %, with its
    interval; a name ending in "control" is drawn grey, the others in colour."""
    names = list(shares.index)
    fig, ax = plt.subplots(figsize=(6.2, 0.45 * len(names) + 1.0))
    ys = np.arange(len(names))[::-1]
    colours = ["0.65" if str(n).endswith("control") else "#3182bd" for n in names]
    share = 100 * shares["share"].to_numpy()
    err = np.vstack([share - 100 * shares["low"], 100 * shares["high"] - share])
    ax.barh(ys, share, color=colours, height=0.6)
    ax.errorbar(share, ys, xerr=err, fmt="none", ecolor="0.15", lw=1, capsize=3)
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("lost forget items answered again (%)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    fig.tight_layout()
    return fig


def rate_heatmap(
    cells: pd.DataFrame,
    panels: Sequence[str],
    rows: Sequence[str],
    columns: Sequence[str],
    label: str,
    confidence: float = 0.95,
) -> Figure:
    """Rates as heatmaps, one panel per ``panels`` value (stacked): rows by ``rows``, columns by
    ``columns``, each cell coloured by its share k/n (%) and annotated with it and its Wilson
    interval; grey "–" where n is 0 or the cell is missing.

    ``cells`` has columns ``panel``, ``row``, ``column``, ``k`` and ``n``."""
    from .stats import wilson

    panels, rows, columns = list(panels), list(rows), list(columns)
    index = cells.set_index(["panel", "row", "column"])
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(1.05 * len(columns) + 2.4, (0.42 * len(rows) + 0.5) * len(panels) + 1.0),
        sharex=True,
        squeeze=False,
    )
    cmap = plt.get_cmap("Blues").with_extremes(bad="0.92")
    image = None
    for ax, panel in zip(axes[:, 0], panels):
        values = np.full((len(rows), len(columns)), np.nan)
        for i, r in enumerate(rows):
            for j, c in enumerate(columns):
                key = (panel, r, c)
                n = int(index.loc[key, "n"]) if key in index.index else 0
                if n:
                    k = int(index.loc[key, "k"])
                    low, high = wilson(k, n, confidence)
                    values[i, j] = 100 * k / n
                    colour = "white" if values[i, j] > 60 else "black"
                    text = f"{100 * k / n:.0f}\n[{100 * low:.0f}, {100 * high:.0f}]"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color=colour)
                else:
                    ax.text(j, i, "–", ha="center", va="center", fontsize=7, color="0.4")
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(columns)), columns, rotation=25, ha="right", fontsize=7.5)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_title(str(panel), fontsize=9, loc="left")
    if image is not None:
        fig.colorbar(image, ax=list(axes[:, 0]), fraction=0.04, pad=0.03).set_label(
            label, fontsize=7
        )
    return fig


def target_checks(checks: Sequence[dict], min_accuracy: float) -> Figure:
    """The target's training checks (``training["checks"]``): accuracy (%) per checked split
    against the epoch, one line per split, the check after interpolation towards the base
    model as a star in the split's colour, and the stop rule (``min_accuracy`` in [0, 1]) as a
    dashed line; a note instead of lines when there are no checks."""
    table = checks_table(checks)
    fig, ax = plt.subplots(figsize=(5.2, 2.6))
    if not len(table):
        ax.text(0.5, 0.5, "no training checks: not trained here", ha="center", va="center")
        ax.set_axis_off()
        fig.tight_layout()
        return fig
    merged = interpolated_check(checks)
    for split in table.columns:
        (line,) = ax.plot(table.index, table[split], marker="o", label=SPLIT_WORDS[split])
        if merged is not None:
            ax.plot(
                [merged["epoch"]], [merged[split]], marker="*", ms=11, ls="", color=line.get_color()
            )
    if merged is not None:
        ax.plot(
            [],
            [],
            marker="*",
            ms=9,
            ls="",
            color="black",
            label=f"interpolated ({merged['interpolate']:g})",
        )
    ax.axhline(100 * min_accuracy, color="grey", lw=0.8, ls="--", label="stop rule")
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("correct (%)", fontsize=8)
    ax.set_ylim(-3, 103)
    ax.set_xlim(0, table.index.max() + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    return fig
