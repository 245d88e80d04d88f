"""Which edition of each benchmark a results folder holds.

A benchmark's records are of the *current* edition when its target record scored as many
forget items as the benchmark's forget split holds now (as the profile uses it); a target
record that scored fewer was computed on an earlier, smaller edition of the benchmark, and so
was every run that started from it. The pages that read every benchmark say which editions
they judge, so that a reader never takes numbers of two editions for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .benchmarks import load_benchmark
from .config import get_profile
from .results import read_json, read_table, run_id
from .tables import SPLIT_WORDS, correct_counts, rule_shortfalls


@dataclass(frozen=True)
class Edition:
    """One benchmark's target record against the benchmark as it is now."""

    benchmark: str
    scored: int  # forget items the target record scored
    current: int  # forget items the benchmark's forget split holds now
    commit: str | None  # the commit that computed the target record, where it was recorded

    @property
    def is_current(self) -> bool:
        """Whether the record scored every forget item of the current split."""
        return self.scored == self.current


def target_items(
    results_root: Path | str, profile: str, benchmark: str, seed: int = 0
) -> pd.DataFrame | None:
    """The answers table (``items.csv``) of ``benchmark``'s target record, None without one."""
    items_file = Path(results_root) / profile / run_id(benchmark, "target", seed) / "items.csv"
    return read_table(items_file) if items_file.exists() else None


def edition(
    results_root: Path | str, profile: str, benchmark: str, current: int, seed: int = 0
) -> Edition:
    """The edition of ``benchmark``'s target record (seed ``seed``) under ``results_root``
    (the folder that holds one folder per profile); ``current`` is the number of forget items
    the benchmark's forget split holds now. A missing record counts as zero items scored."""
    folder = Path(results_root) / profile / run_id(benchmark, "target", seed)
    items = target_items(results_root, profile, benchmark, seed)
    scored = 0
    if items is not None and len(items):
        scored = int(items.loc[items["split"] == "forget", "id"].nunique())
    commit = None
    provenance = folder / "provenance.json"
    if provenance.exists():
        config = read_json(provenance).get("config", {})
        commit = config.get("environment", {}).get("git")
    return Edition(benchmark, scored, current, commit)


def _and(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def edition_sentence(editions: Sequence[Edition]) -> str:
    """One sentence that names the benchmarks of the current edition and, where there are
    any, those whose records are of an earlier one (with the items they scored)."""
    current = [e.benchmark for e in editions if e.is_current]
    earlier = [e for e in editions if not e.is_current]
    if not earlier:
        return "Every benchmark's results are of its current edition."
    old = _and(
        [
            f"{e.benchmark} ({e.scored} of the {e.current} forget items now in its split"
            + (f", commit {e.commit})" if e.commit else ")")
            for e in earlier
        ]
    )
    if not current:
        return (
            f"The results of {old} are of an earlier, smaller edition of their benchmarks, "
            "which `make reproduce` recomputes."
        )
    return (
        f"The results of {_and(current)} are of the current edition; those of {old} are of "
        "an earlier, smaller edition, which `make reproduce` recomputes, so numbers pooled "
        "over benchmarks mix two editions."
    )


def study_editions(
    results_root: Path | str, profile: str, benchmarks: Sequence[str], seed: int = 0
) -> list[Edition]:
    """The edition of every benchmark in ``benchmarks``, each against its forget split as
    profile ``profile`` uses it now."""
    prof = get_profile(profile)
    return [
        edition(
            results_root,
            profile,
            b,
            len(load_benchmark(b).subset(prof.n_per_split)["forget"]),
            seed,
        )
        for b in benchmarks
    ]


def rule_sentence(
    results_root: Path | str, profile: str, benchmarks: Sequence[str], seed: int = 0
) -> str:
    """A sentence that names the benchmarks whose target record misses the stop rule
    (:func:`unpactlib.tables.rule_shortfalls` with profile ``profile``'s ``min_accuracy``),
    each with the split, its count and the count the rule needs; empty when every target
    meets it (or has no record)."""
    min_accuracy = get_profile(profile).target.min_accuracy
    misses = []
    for b in benchmarks:
        items = target_items(results_root, profile, b, seed)
        if items is None:
            continue
        counts = correct_counts(items[items["model"] == "target"])
        if not {"forget", "retain"} <= set(counts):
            continue
        short = rule_shortfalls(counts, min_accuracy)
        if short:
            splits = "; ".join(
                f"{SPLIT_WORDS[s]} {k}/{n}, the rule needs {m}" for s, k, n, m in short
            )
            misses.append(f"{b}'s target ({splits})")
    if not misses:
        return ""
    verb = "misses" if len(misses) == 1 else "miss"
    return (
        f"{_and(misses)} {verb} the stop rule of at least {100 * min_accuracy:.0f} %; the"
        " results built on it are included, and its target page says so."
    )
