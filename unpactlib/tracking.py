"""Contribution tracking: the same prompts attributed under two models.

Rows are those of :func:`attribution_rows` (one per prompt and model, with ``tokens``,
``scores`` and ``keys``), stored as ``contributions.jsonl`` in a run folder. KeyTokens always
come from the *original* model, so the question is what unlearning did to the tokens that
used to carry the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .attribution import Attribution, key_tokens
from .results import read_jsonl


def attribution_rows(
    records: Sequence[dict], attrs: Sequence[Attribution], model_name: str, alpha: float, beta: int
) -> list[dict]:
    """Flat, JSON-ready rows: one per (record, model), with tokens, scores and KeyTokens.

    ``keys`` index ``tokens``; ``positions`` give each token's index among the question's
    tokens (they differ when only part of the question was attributable, e.g. an MC stem).
    """
    return [
        {
            "id": r["id"],
            "split": r["split"],
            "model": model_name,
            "tokens": a.tokens,
            "positions": list(a.positions),
            "scores": [round(float(s), 6) for s in a.scores],
            "lp_full": round(a.lp_full, 6),
            "keys": key_tokens(a.scores, alpha, beta),
        }
        for r, a in zip(records, attrs)
    ]


def read_rows(path: Path) -> list[dict]:
    """Read a ``contributions.jsonl`` file (rows of :func:`attribution_rows`)."""
    return read_jsonl(path)


def question_scores(row: dict, n_tokens: int) -> list[float]:
    """A row's scores laid out over all ``n_tokens`` question tokens (NaN where a token was
    not attributable, so it is never a KeyToken nor deleted by ProbAb)."""
    full = [float("nan")] * n_tokens
    for p, score in zip(row.get("positions") or range(len(row["scores"])), row["scores"]):
        full[p] = score
    return full


def original_keys(rows: Sequence[dict], original: str = "original") -> dict[str, list[int]]:
    """KeyTokens of every prompt under the original model: id -> token indices."""
    return {r["id"]: r["keys"] for r in rows if r["model"] == original}


def keytoken_summary(
    rows: Sequence[dict],
    ids_by_split: dict[str, list[str]],
    method: str,
    original: str = "original",
) -> pd.DataFrame:
    """Per split: mean contribution of the original KeyTokens and of all tokens under both
    models, and the share of prompts whose KeyToken set is unchanged.

    A prompt with no KeyTokens counts as 0 in the KeyToken means.
    """
    by = {(r["id"], r["model"]): r for r in rows}
    out = []
    for split, ids in ids_by_split.items():

        def key_mean(i: str, model: str) -> float:
            keys = by[(i, original)]["keys"]
            return float(np.mean([by[(i, model)]["scores"][k] for k in keys])) if keys else 0.0

        out.append(
            {
                "split": split,
                "prompts": len(ids),
                "KeyTokens, original": np.mean([key_mean(i, original) for i in ids]),
                f"KeyTokens, {method}": np.mean([key_mean(i, method) for i in ids]),
                "all tokens, original": np.mean(
                    [np.mean(by[(i, original)]["scores"]) for i in ids]
                ),
                f"all tokens, {method}": np.mean([np.mean(by[(i, method)]["scores"]) for i in ids]),
                "same KeyToken set": np.mean(
                    [set(by[(i, original)]["keys"]) == set(by[(i, method)]["keys"]) for i in ids]
                ),
            }
        )
    return pd.DataFrame(out).set_index("split")


# --- per-prompt tracking: one definition per function -------------------------------------


def score_change(before: Sequence[float], after: Sequence[float]) -> np.ndarray:
    """Per-token change of contribution, ``C_after - C_before`` (same prompt, same tokens)."""
    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if b.shape != a.shape:
        raise ValueError("before and after must score the same tokens")
    return a - b


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """Jaccard overlap ``|A & B| / |A | B|`` of two KeyToken sets; 1 when both are empty."""
    sa, sb = set(a), set(b)
    return 1.0 if not sa | sb else len(sa & sb) / len(sa | sb)


def lost_positive(keys: Sequence[int], before: Sequence[float], after: Sequence[float]) -> int:
    """How many of ``keys`` had a positive contribution before (``C > 0``) and none after
    (``C <= 0``)."""
    return sum(1 for k in keys if before[k] > 0 and after[k] <= 0)


def key_contrast(
    keys: Sequence[int], before: Sequence[float], after: Sequence[float]
) -> dict[str, float]:
    """RQ1's comparison on one prompt, each a mean of ``C_after - C_before``:

    * ``key change``: over the KeyTokens ``keys``;
    * ``other change``: over the other tokens;
    * ``random change``: the expected mean over ``len(keys)`` tokens drawn at random without
      replacement from all tokens, which is exactly the mean over all tokens (every token is
      drawn with the same probability), so no draws are needed.

    NaN where the set is empty.
    """
    change = score_change(before, after)
    chosen = np.zeros(change.size, dtype=bool)
    chosen[list(keys)] = True
    ok = ~np.isnan(change)
    key, other = change[chosen & ok], change[~chosen & ok]
    return {
        "key change": float(key.mean()) if key.size else np.nan,
        "other change": float(other.mean()) if other.size else np.nan,
        "random change": float(change[ok].mean()) if keys and ok.any() else np.nan,
    }


def _pairs(rows: Sequence[dict], method: str, original: str) -> list[tuple[dict, dict]]:
    """(original row, method row) for every prompt scored under both models, in row order."""
    by = {(r["id"], r["model"]): r for r in rows}
    return [
        (r, by[(r["id"], method)])
        for r in rows
        if r["model"] == original and (r["id"], method) in by
    ]


def token_changes(rows: Sequence[dict], method: str, original: str = "original") -> pd.DataFrame:
    """One row per prompt token: its contribution before and after unlearning, the change,
    and whether it is one of the original model's KeyTokens."""
    out = []
    for b, a in _pairs(rows, method, original):
        change = score_change(b["scores"], a["scores"])
        keys = set(b["keys"])
        for i, token in enumerate(b["tokens"]):
            out.append(
                {
                    "id": b["id"],
                    "split": b["split"],
                    "index": i,
                    "token": token,
                    "before": float(b["scores"][i]),
                    "after": float(a["scores"][i]),
                    "change": float(change[i]),
                    "key": i in keys,
                }
            )
    return pd.DataFrame(out)


def prompt_tracking(rows: Sequence[dict], method: str, original: str = "original") -> pd.DataFrame:
    """One row per prompt: the original KeyTokens' mean contribution before and after (NaN
    when there are none), how many of them lose a positive contribution, the overlap of the
    two models' KeyToken sets (Jaccard, and whether they are the same set), the mean
    change over all tokens, and :func:`key_contrast`'s three changes."""
    out = []
    for b, a in _pairs(rows, method, original):
        keys = b["keys"]
        out.append(
            {
                "id": b["id"],
                "split": b["split"],
                "keys": len(keys),
                "key mean, before": np.mean([b["scores"][k] for k in keys]) if keys else np.nan,
                "key mean, after": np.mean([a["scores"][k] for k in keys]) if keys else np.nan,
                "keys losing C>0": lost_positive(keys, b["scores"], a["scores"]),
                "jaccard": jaccard(keys, a["keys"]),
                "same set": set(keys) == set(a["keys"]),
                "mean change": float(np.mean(score_change(b["scores"], a["scores"])))
                if b["scores"]
                else np.nan,
                **key_contrast(keys, b["scores"], a["scores"]),
            }
        )
    return pd.DataFrame(out)


def tracking_summary(per_prompt: pd.DataFrame) -> pd.DataFrame:
    """Per split, from :func:`prompt_tracking`: prompts, mean KeyToken contribution before and
    after (over prompts that have KeyTokens), the share of all original KeyTokens that lose a
    positive contribution, mean Jaccard, share of prompts with the same KeyToken set, and the
    mean change over all tokens."""
    out = []
    for split, g in per_prompt.groupby("split", sort=False):
        keys = int(g["keys"].sum())
        out.append(
            {
                "split": split,
                "prompts": len(g),
                "key mean, before": g["key mean, before"].mean(),
                "key mean, after": g["key mean, after"].mean(),
                "share of keys losing C>0": g["keys losing C>0"].sum() / keys if keys else np.nan,
                "jaccard": g["jaccard"].mean(),
                "same set": g["same set"].mean(),
                "mean change": g["mean change"].mean(),
            }
        )
    return pd.DataFrame(out).set_index("split")


def focus_shift_text(summary: pd.DataFrame, methods: Sequence[str], n_prompts: int) -> str:
    """The sentences that state F3 on one benchmark: the original KeyTokens' mean
    contribution before and after unlearning on the forget prompts, under how many methods it
    fell, the share of KeyTokens that lost a positive contribution, the KeyToken sets'
    overlap, which methods (if any) kept the focus, and the change on the retain prompts.

    ``summary`` is :func:`tracking_summary` with ``split`` and ``method`` columns."""
    methods = list(methods)
    forget = summary[summary.split == "forget"].set_index("method").reindex(methods)
    fell = forget.index[forget["key mean, after"] < forget["key mean, before"]]
    held = [m for m in methods if m not in fell]
    text = (
        f"On the {n_prompts} forget prompts the original KeyTokens contribute "
        f"{forget['key mean, before'].iloc[0]:+.2f} nats on average under the original model. "
        f"After unlearning their contribution fell under {len(fell)} of {len(methods)} "
        f"methods (to between {forget['key mean, after'].min():+.2f} and "
        f"{forget['key mean, after'].max():+.2f}), and on average "
        f"{100 * forget['share of keys losing C>0'].mean():.0f} % of them lost their positive "
        f"contribution; the KeyToken sets before and after overlap by a mean Jaccard index of "
        f"{forget['jaccard'].mean():.2f}. "
    )
    text += (
        f"Under {', '.join(held)} the KeyTokens kept their contribution: there this page does "
        "not support the paper's first claim."
        if held
        else "Every method broke the focus on the KeyTokens, as the paper's first claim has it."
    )
    if "retain" in set(summary.split):
        retain = summary[summary.split == "retain"]
        text += (
            f" On the retain prompts the original KeyTokens went from "
            f"{retain['key mean, before'].mean():+.2f} to "
            f"{retain['key mean, after'].mean():+.2f} nats (mean over methods)."
        )
    return text
