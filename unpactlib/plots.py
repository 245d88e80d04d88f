"""Figures of the book. Functions return a matplotlib Figure and never show or save it."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure


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


def rate_bars(
    labels: Sequence[str], values: Sequence[float], counts: Sequence[str], title: str
) -> Figure:
    """A horizontal bar per rate, labelled with the counts behind it."""
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(labels) + 1))
    y = np.arange(len(labels))
    ax.barh(y, values, color=["#b2182b", "#999999", "#2166ac", "#4d4d4d"][: len(labels)])
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    for yi, v, c in zip(y, values, counts):
        ax.text(min(v, 1) + 0.01, yi, c, va="center", fontsize=9)
    ax.set_xlabel("share of items")
    ax.set_title(title, loc="left", fontsize=10)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig
