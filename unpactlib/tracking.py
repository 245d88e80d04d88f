"""Contribution tracking: the same prompts attributed under two models.

Rows are those of :func:`unpactlib.study.attribution_rows` (one per prompt and model, with
``tokens``, ``scores`` and ``keys``). KeyTokens always come from the *original* model, so the
question is what unlearning did to the tokens that used to carry the answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def read_rows(path: Path) -> list[dict]:
    """Read a ``contributions.jsonl`` file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


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
