"""F4's example table and F5's intervals, on small hand-made tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from unpactlib.plots import (
    class_change_bars,
    class_change_intervals,
    recovery_examples,
)
from unpactlib.stats import cluster_bootstrap


def _recovery(correct_focus: list[bool], probab: bool = True) -> pd.DataFrame:
    n = len(correct_focus)
    t = pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "question": [f"Who leads guild {k}?" for k in range(n)],
            "answer": ["Selwyn"] * n,
            "key_words": ["['guild']"] * n,
            "prediction_FocusOnKey": [f"focus {k}" for k in range(n)],
            "correct_FocusOnKey": correct_focus,
            "prediction_control": [f"control {k}" for k in range(n)],
            "correct_control": [False] * n,
        }
    )
    if probab:
        for kind in ("ProbAb", "ProbAb control"):
            t[f"prompt_{kind}"] = [f"leads guild {k}? ({kind})" for k in range(n)]
            t[f"prediction_{kind}"] = [f"{kind} {k}" for k in range(n)]
            t[f"correct_{kind}"] = [False] * n
    return t


def test_recovery_examples_pick_a_recovered_item_and_show_probab_and_its_control():
    html = recovery_examples({"ga": _recovery([False, True]), "rmu": _recovery([])})
    assert html.count("<tr><td>") == 1  # a run without lost items has no row
    assert "focus 1 ✔" in html and "focus 0" not in html  # the recovered item
    assert "<mark>guild</mark>" in html
    assert "ProbAb control (random words deleted)" in html
    assert "ProbAb control 1 ✘" in html and "leads guild 1? (ProbAb control)" in html
    # tables without the ProbAb columns: FocusOnKey and the control only
    plain = recovery_examples({"ga": _recovery([False, False], probab=False)})
    assert "ProbAb" not in plain and "control 0 ✘" in plain
    nothing = recovery_examples({"ga": _recovery([]), "tv": pd.DataFrame()})
    assert "No lost item" in nothing and "so there is no example to show" in nothing


def test_class_change_intervals_resample_prompts():
    classes = pd.DataFrame(
        {
            "benchmark": ["news"] * 6,
            "method": ["ga"] * 6,
            "id": ["p1", "p1", "p1", "p2", "p2", "p3"],
            "class": ["function", "function", "content", "function", "content", "function"],
            "change": [-1.0, -3.0, 0.5, 1.0, 0.5, 2.0],
        }
    )
    summary = class_change_intervals(classes)
    assert summary["class"].tolist() == ["function", "content"]
    function = summary.iloc[0]
    assert function["mean"] == pytest.approx((-1 - 3 + 1 + 2) / 4)
    assert (function["tokens"], function["prompts"]) == (4, 3)
    expected = cluster_bootstrap([-1.0, -3.0, 1.0, 2.0], ["p1", "p1", "p2", "p3"])
    assert (function["low"], function["high"]) == pytest.approx(expected[1:])
    # content: every prompt's change is 0.5, so every resample gives 0.5
    content = summary.iloc[1]
    assert (content["mean"], content["low"], content["high"]) == (0.5, 0.5, 0.5)
    fig = class_change_bars(summary, ["ga"], ["news"])
    assert len(fig.axes) == 1
    plt.close(fig)


def test_ladder_heatmap_colours_the_net_recovery_and_greys_empty_cells():
    from unpactlib.plots import ladder_heatmap

    net = pd.DataFrame(
        [
            {"method": "tv", "attack": "int4", "n": 10, "net": 0.3, "low": 0.1, "high": 0.5},
            {"method": "tv", "attack": "few-shot", "n": 0, "net": np.nan, "low": 0, "high": 0},
        ]
    )
    fig = ladder_heatmap(net, ["tv", "rmu"], ["int4", "few-shot"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "+30\n[+10, +50]" in texts
    assert texts.count("–") == 3  # few-shot on tv (no items), both attacks on rmu (no row)
    image = ax.images[0].get_array()
    assert image[0, 0] == 30 and image.mask[0, 1] and image.mask[1].all()
    plt.close(fig)


def test_lens_lines_draw_one_line_per_model_and_panel_per_method():
    from unpactlib.plots import lens_lines

    lens = pd.DataFrame(
        [
            {"method": m, "model": model, "layer": layer, "median rank": 10.0 * layer}
            for m in ("tv", "rmu")
            for model in ("base", "target", "unlearned")
            for layer in range(3)
        ]
    )
    fig = lens_lines(lens, ["tv", "rmu"])
    assert [len(ax.lines) for ax in fig.axes[:2]] == [3, 3]
    assert list(fig.axes[0].lines[1].get_ydata()) == [1.0, 11.0, 21.0]  # rank + 1
    plt.close(fig)


def _frontier_points() -> pd.DataFrame:
    rows = []
    for method in ("tv", "rmu"):
        for s, lost, broken in ((0.5, 4, 1), (1.0, 8, 2)):
            rows.append(
                {
                    "method": method,
                    "strength": s,
                    "forget efficacy k": lost,
                    "forget efficacy n": 10,
                    "forget efficacy low": lost / 10 - 0.1,
                    "forget efficacy high": lost / 10 + 0.1,
                    "retain destructive k": broken,
                    "retain destructive n": 10,
                    "retain destructive low": broken / 10 - 0.05,
                    "retain destructive high": broken / 10 + 0.05,
                    "net": 0.25,
                    "net low": 0.0,
                    "net high": 0.5,
                    "key change": -0.5 * s,
                    "random change": -0.1,
                    "function change": -0.2 * s,
                }
            )
    return pd.DataFrame(rows)


def test_frontier_curves_place_each_strength_by_destruction_and_forgetting():
    from unpactlib.plots import frontier_curves

    fig = frontier_curves(_frontier_points(), ["tv", "rmu"])
    left, right = fig.axes[:2]
    first = left.lines[0]  # tv's curve
    assert list(first.get_xdata()) == [10.0, 20.0] and list(first.get_ydata()) == [40.0, 80.0]
    assert list(right.lines[0].get_ydata()) == [25.0, 25.0]
    assert {t.get_text() for t in left.texts} == {"0.5", "1"}
    plt.close(fig)


def test_frontier_measures_plot_key_minus_random_and_function_words():
    from unpactlib.plots import frontier_measures

    fig = frontier_measures(_frontier_points(), ["tv", "rmu"])
    assert list(fig.axes[0].lines[0].get_ydata()) == pytest.approx([-0.15, -0.4])
    assert list(fig.axes[1].lines[0].get_ydata()) == pytest.approx([-0.1, -0.2])
    plt.close(fig)


def test_probe_bars_draw_each_share_with_its_interval_and_grey_controls():
    shares = pd.DataFrame(
        {"share": [0.25, 0.5], "low": [0.1, 0.3], "high": [0.4, 0.7]},
        index=["FocusOnKey", "FocusOnKey control"],
    )
    from unpactlib.plots import probe_bars

    fig = probe_bars(shares)
    ax = fig.axes[0]
    bars = ax.patches
    assert [round(b.get_width(), 6) for b in bars] == [25.0, 50.0]
    assert bars[1].get_facecolor()[:3] == pytest.approx((0.65, 0.65, 0.65))
    # the first row on top
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text() == "FocusOnKey"
    # the error bar of the first probe spans its interval, in %
    segments = ax.collections[0].get_segments()
    assert sorted(segments[0][:, 0].tolist()) == pytest.approx([10.0, 40.0])
    plt.close(fig)


def test_rate_heatmap_colours_each_share_and_writes_its_wilson_interval():
    from unpactlib.plots import rate_heatmap
    from unpactlib.stats import wilson

    cells = pd.DataFrame(
        [
            {"panel": "news", "row": "tv", "column": "FocusOnKey", "k": 3, "n": 12},
            {"panel": "news", "row": "tv", "column": "control", "k": 0, "n": 0},
            {"panel": "wmdp", "row": "rmu", "column": "FocusOnKey", "k": 6, "n": 6},
        ]
    )
    fig = rate_heatmap(cells, ["news", "wmdp"], ["tv", "rmu"], ["FocusOnKey", "control"], "%")
    news, wmdp = fig.axes[0], fig.axes[1]
    low, high = wilson(3, 12)
    texts = [t.get_text() for t in news.texts]
    assert f"25\n[{100 * low:.0f}, {100 * high:.0f}]" in texts
    assert texts.count("–") == 3  # no items, and rmu's row on news
    image = news.images[0].get_array()
    assert image[0, 0] == 25 and image.mask[0, 1] and image.mask[1].all()
    assert wmdp.images[0].get_array()[1, 0] == 100
    plt.close(fig)


def test_target_checks_draw_a_line_per_split_a_star_after_interpolation_and_the_rule():
    from unpactlib.plots import target_checks

    checks = [
        {"epoch": 1, "forget": 0.5, "retain": 0.25},
        {"epoch": 2, "forget": 1.0, "retain": 0.75},
        {"epoch": 2, "interpolate": 0.7, "forget": 0.875, "retain": 0.625},
    ]
    fig = target_checks(checks, min_accuracy=0.8)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    forget = next(ln for label, ln in lines.items() if label.startswith("forget"))
    assert forget.get_ydata().tolist() == [50.0, 100.0]
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*" and len(ln.get_xdata())]
    assert sorted(ln.get_ydata()[0] for ln in stars) == [62.5, 87.5]
    rule = next(ln for ln in ax.get_lines() if ln.get_linestyle() == "--")
    assert rule.get_ydata()[0] == 80.0
    plt.close(fig)
    empty = target_checks([], min_accuracy=0.8)
    assert not empty.axes[0].axison
    plt.close(empty)
