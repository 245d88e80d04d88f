"""T1 and T2 over seeds of the unlearning runs: which seeds a benchmark has, one row per
benchmark, method and seed, and a measure's spread across seeds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ParameterError
from .results import read_json, run_id

RESULT_FILES = ("metrics.json", "recovery.json")


def parse_seeds(seeds: str) -> list[int]:
    """The ``seeds`` parameter (comma-separated integers, e.g. ``"0,1,2"``) as sorted unique
    seeds; a :class:`ParameterError` naming the parameter otherwise."""
    try:
        return sorted({int(s) for s in str(seeds).split(",")})
    except ValueError:
        raise ParameterError(f"seeds={seeds!r}: expected comma-separated integers") from None


def _folder(root: Path, profile: str, benchmark: str, method: str, seed: int) -> Path:
    return Path(root) / profile / run_id(benchmark, method, seed)


def covered_seeds(
    root: Path,
    profile: str,
    benchmarks: Iterable[str],
    methods: Sequence[str],
    seeds: Iterable[int],
) -> dict[str, list[int]]:
    """Per benchmark, the seeds (sorted) whose runs of every method have unlearning and
    recovery results; benchmarks with fewer than two such seeds are left out."""
    out = {}
    for b in benchmarks:
        done = [
            s
            for s in sorted(set(seeds))
            if all(
                (_folder(root, profile, b, m, s) / f).exists()
                for m in methods
                for f in RESULT_FILES
            )
        ]
        if len(done) > 1:
            out[b] = done
    return out


def per_seed_table(
    root: Path,
    profile: str,
    covered: dict[str, list[int]],
    methods: Sequence[str],
    template: str,
) -> pd.DataFrame:
    """One row per benchmark, method and seed of ``covered``: forget efficacy, the retain
    destructive rate (``destructive rate``), the utility destructive rate (``utility
    destructive rate``), each recovery rate of ``template`` (columns
    ``recovery: <kind>``) as shares in [0, 1], and ``lost``, the lost forget items that
    FocusOnKey rewrote (the recovery rates' denominator)."""
    rows = []
    for b, seeds in covered.items():
        for s in seeds:
            for m in methods:
                folder = _folder(root, profile, b, m, s)
                metrics = read_json(folder / "metrics.json")
                rates = read_json(folder / "recovery.json")["rates"][template]
                rows.append(
                    {
                        "benchmark": b,
                        "method": m,
                        "seed": s,
                        "forget efficacy": metrics["forget efficacy"],
                        "destructive rate": metrics["destructive rate"],
                        "utility destructive rate": metrics["utility destructive rate"],
                        **{f"recovery: {k}": r["value"] for k, r in rates.items()},
                        "lost": rates["FocusOnKey"]["denominator"],
                    }
                )
    return pd.DataFrame(rows, columns=None if rows else ["benchmark", "method", "seed", "lost"])


def spread_text(shares: Sequence[float]) -> str:
    """Shares in [0, 1] across seeds as ``"mean ± sd"`` in % (sample standard deviation,
    no decimals; 0 for one seed), with no-break spaces so that a table cell never wraps
    inside it; ``"–"`` when no share is given."""
    values = np.asarray([v for v in shares if pd.notna(v)], dtype=float)
    if not len(values):
        return "–"
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{100 * values.mean():.0f}\u00a0±\u00a0{100 * sd:.0f}"
