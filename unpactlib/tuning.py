"""The settings search's selection rule: which tried setting each method uses.

The search (``scripts/tune_unlearning.py``) unlearns the ``tune_forget`` split with each
setting of a small grid and scores ``tune_forget``, ``tune_retain`` and ``utility``; the book
never scores those tuning splits, so the choice cannot favour the reported numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

# a setting must forget at least this share of the known tuning-forget items to be a candidate
MIN_EFFICACY = 0.5


def choose(rows: Sequence[dict], min_efficacy: float = MIN_EFFICACY) -> dict[str, dict]:
    """Per method, the tried setting it uses: among the rows whose ``forget efficacy`` is at
    least ``min_efficacy``, the one with the lowest ``destructive rate`` (tuning retain
    items), then the lowest ``utility destructive rate``, then the highest efficacy; where no
    row reaches ``min_efficacy``, the row of highest efficacy (then lowest destructive rate).
    Later rows win exact ties (the search's most recent setting).

    Args:
        rows: search records with ``method``, ``forget efficacy``, ``destructive rate`` and
            ``utility destructive rate``.
    """
    out: dict[str, dict] = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        good = [r for r in mine if r["forget efficacy"] >= min_efficacy]
        if good:
            rank = [
                (r["destructive rate"], r["utility destructive rate"], -r["forget efficacy"])
                for r in good
            ]
            pool = good
        else:
            rank = [(-r["forget efficacy"], r["destructive rate"]) for r in mine]
            pool = mine
        best = min(rank)
        out[method] = [r for r, k in zip(pool, rank) if k == best][-1]
    return out


def latest_target(rows: Sequence[dict]) -> list[dict]:
    """The search records made on the target model of the last record (``key["target"]``):
    a search on a retrained target starts again, and only its records count."""
    if not rows:
        return []
    last = rows[-1]["key"].get("target")
    return [r for r in rows if r["key"].get("target") == last]
