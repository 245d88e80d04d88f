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
) -> Figure:
    """F2: one panel per prompt; rows are models, columns the prompt's tokens.

    Args:
        tokens: per prompt, its attributable tokens.
        scores: per prompt, an array ``[n_models, n_tokens]`` of contributions.
        row_labels: model names (``original``, the method).
        titles: per prompt, a short title (the gold answer).

    The colour scale diverges at zero (red supports the answer, blue works against it) and is
    shared by all panels, so colours compare across prompts and models.
    """
    limit = max(float(np.abs(s).max()) for s in scores) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    widths = [len(t) for t in tokens]
    fig, axes = plt.subplots(
        len(tokens), 1, figsize=(max(8.0, 0.6 * max(widths)), 2.1 * len(tokens) + 0.4),
        squeeze=False, layout="constrained",
    )
    for ax, toks, s, title in zip(axes[:, 0], tokens, scores, titles):
        im = ax.imshow(s, cmap="RdBu_r", norm=norm, aspect="auto")
        ax.set_xticks(range(len(toks)), [t.strip() or "␣" for t in toks], rotation=40, ha="right", fontsize=9)
        ax.set_yticks(range(len(row_labels)), row_labels, fontsize=9)
        for (r, c), v in np.ndenumerate(s):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(v) > 0.6 * limit else "black")
        ax.set_title(title, fontsize=10, loc="left", pad=4)
        ax.tick_params(length=0)
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="contribution C(xᵢ, y)  (nats)", shrink=0.6)
    return fig


def rate_bars(labels: Sequence[str], values: Sequence[float], counts: Sequence[str], title: str) -> Figure:
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
