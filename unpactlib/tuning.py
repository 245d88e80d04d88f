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


# a target's scores before unlearning, recorded on every search row: two targets of the same
# cache key trained on different CPUs can differ in their last bits, and then in these
TARGET_SCORES = ("tune_forget before", "tune_retain before", "utility before")


def same_target(row: dict, target: str, scores: dict[str, float]) -> bool:
    """Whether the search record ``row`` was made on the target model named ``target``
    (``key["target"]``) that scored ``scores`` (:data:`TARGET_SCORES`) before unlearning."""
    return row["key"].get("target") == target and all(
        row.get(name) == scores.get(name) for name in TARGET_SCORES
    )


def latest_target(rows: Sequence[dict]) -> list[dict]:
    """The search records made on the target model of the last record: the same
    ``key["target"]`` and the same scores before unlearning (:func:`same_target`). A search
    on a retrained target starts again, even one of the same cache key trained on another
    CPU, and only its records count."""
    if not rows:
        return []
    last = rows[-1]
    scores = {name: last.get(name) for name in TARGET_SCORES}
    return [r for r in rows if same_target(r, last["key"].get("target"), scores)]
