"""Interval estimates and tests for the study's counts.

* :func:`wilson` and :func:`clopper_pearson`: intervals for one share ``k/n``.
* :func:`paired` (:class:`Paired`): two binary outcomes on the same items, with Newcombe's
  interval for the difference of the two shares and the exact McNemar test.
* :func:`cluster_bootstrap` and :func:`pooled_rate`: intervals when rows are not independent
  (the same item under several methods), resampling whole clusters.
* :func:`spearman`: rank correlation with a Fisher-z interval.
* :func:`fmt_rate`: a share as text, ``"k/n = P % [L, H]"``.

Every ``confidence`` is the two-sided level, a number strictly between 0 and 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, spearmanr
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

NAN = float("nan")


def _alpha(confidence: float) -> float:
    """``1 - confidence``, after checking that ``0 < confidence < 1`` (ValueError otherwise)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return 1.0 - confidence


def _check_counts(k: int, n: int) -> None:
    """ValueError unless ``0 <= k <= n``."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k} and n={n}")


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the share ``k/n``.

    With ``p = k/n`` and ``z`` the ``(1 + confidence)/2`` normal quantile, the ends are
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``
    (``statsmodels.stats.proportion.proportion_confint``, ``method="wilson"``).
    Returns ``(low, high)``; ``(nan, nan)`` when ``n == 0``. ValueError unless
    ``0 <= k <= n``.
    """
    _check_counts(k, n)
    alpha = _alpha(confidence)
    if n == 0:
        return NAN, NAN
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return float(low), float(high)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) binomial interval of the share ``k/n``.

    The ends are the ``alpha/2`` quantile of Beta(k, n - k + 1) and the ``1 - alpha/2``
    quantile of Beta(k + 1, n - k), ``alpha = 1 - confidence``
    (``proportion_confint``, ``method="beta"``); the lower end is 0 when ``k == 0`` and the
    upper end 1 when ``k == n``. Returns ``(low, high)``; ``(nan, nan)`` when ``n == 0``.
    ValueError unless ``0 <= k <= n``.
    """
    _check_counts(k, n)
    alpha = _alpha(confidence)
    if n == 0:
        return NAN, NAN
    low, high = proportion_confint(k, n, alpha=alpha, method="beta")
    return (0.0 if k == 0 else float(low)), (1.0 if k == n else float(high))


@dataclass(frozen=True)
class Paired:
    """Two binary outcomes x and y on the same n items."""

    n: int
    both: int  # x and y true
    x_only: int  # x true, y false  (McNemar's b)
    y_only: int  # y true, x false  (McNemar's c)
    neither: int
    diff: float  # share of x minus share of y = (x_only - y_only) / n  (nan if n == 0)
    # Newcombe's (1998) hybrid score interval for a difference of paired proportions
    # ("method 10", :func:`newcombe_paired`), at `confidence`
    low: float
    high: float
    # two-sided exact McNemar test: binomial test of x_only successes in x_only + y_only
    # trials at 1/2 (:func:`mcnemar_exact`); 1.0 when there are no discordant pairs
    p: float


def newcombe_paired(
    both: int, x_only: int, y_only: int, neither: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's (1998) hybrid score interval ("method 10") for the difference of two paired
    shares, ``D = p1 - p2`` with ``p1 = (a + b)/n`` and ``p2 = (a + c)/n`` (a = ``both``,
    b = ``x_only``, c = ``y_only``, d = ``neither``).

    With ``(l1, u1)`` and ``(l2, u2)`` the :func:`wilson` intervals of ``p1`` and ``p2``:
    ``low = D - sqrt((p1 - l1)² - 2φ(p1 - l1)(u2 - p2) + (u2 - p2)²)`` and
    ``high = D + sqrt((u1 - p1)² - 2φ(u1 - p1)(p2 - l2) + (p2 - l2)²)``, where
    ``φ = A / sqrt((a+b)(c+d)(a+c)(b+d))`` with Newcombe's continuity-corrected numerator
    ``A = max(ad - bc - n/2, 0)`` when ``ad > bc`` and ``A = ad - bc`` otherwise; ``φ = 0``
    when a margin is empty. Returns ``(low, high)``, clipped to ``[-1, 1]``;
    ``(nan, nan)`` when ``n == 0``. ValueError for a negative count.
    """
    counts = (both, x_only, y_only, neither)
    if min(counts) < 0:
        raise ValueError(f"counts must not be negative, got {counts}")
    n = sum(counts)
    _alpha(confidence)
    if n == 0:
        return NAN, NAN
    a, b, c, d = counts
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, confidence)
    l2, u2 = wilson(a + c, n, confidence)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    if cross > 0:
        cross = max(cross - n / 2, 0.0)
    phi = cross / math.sqrt(margins) if margins else 0.0
    diff = p1 - p2
    down = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    up = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    return max(-1.0, diff - math.sqrt(max(down, 0.0))), min(1.0, diff + math.sqrt(max(up, 0.0)))


def mcnemar_exact(x_only: int, y_only: int) -> float:
    """Two-sided exact McNemar p-value: the binomial test of ``x_only`` successes in
    ``x_only + y_only`` trials at probability 1/2
    (``statsmodels.stats.contingency_tables.mcnemar(exact=True)``). Returns 1.0 when there
    are no discordant pairs."""
    if x_only < 0 or y_only < 0:
        raise ValueError(f"counts must not be negative, got {x_only} and {y_only}")
    if x_only + y_only == 0:
        return 1.0
    return float(mcnemar([[0, x_only], [y_only, 0]], exact=True).pvalue)


def paired(x: Sequence[bool], y: Sequence[bool], confidence: float = 0.95) -> Paired:
    """The 2×2 table of two binary outcomes on the same items, with the difference of their
    shares ``(x_only - y_only) / n``, its :func:`newcombe_paired` interval and the
    :func:`mcnemar_exact` p-value. Returns a :class:`Paired`; ValueError when ``x`` and ``y``
    differ in length."""
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} items but y has {len(y)}")
    xs = [bool(v) for v in x]
    ys = [bool(v) for v in y]
    both = sum(1 for u, v in zip(xs, ys) if u and v)
    x_only = sum(1 for u, v in zip(xs, ys) if u and not v)
    y_only = sum(1 for u, v in zip(xs, ys) if v and not u)
    n = len(xs)
    neither = n - both - x_only - y_only
    low, high = newcombe_paired(both, x_only, y_only, neither, confidence)
    return Paired(
        n=n,
        both=both,
        x_only=x_only,
        y_only=y_only,
        neither=neither,
        diff=(x_only - y_only) / n if n else NAN,
        low=low,
        high=high,
        p=mcnemar_exact(x_only, y_only),
    )


def _cluster_rows(clusters: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by cluster, clusters in order of first appearance: returns ``(order,
    starts, sizes)``, where cluster ``g``'s rows are ``order[starts[g] : starts[g] +
    sizes[g]]``."""
    rows: dict[Hashable, list[int]] = {}
    for i, c in enumerate(clusters):
        rows.setdefault(c, []).append(i)
    sizes = np.array([len(r) for r in rows.values()], dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    order = np.array([i for r in rows.values() for i in r], dtype=np.intp)
    return order, starts, sizes


def _resampled_rows(
    order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, draw: np.ndarray
) -> np.ndarray:
    """Row indices of the clusters ``draw`` (with repeats), concatenated in draw order."""
    size = sizes[draw]
    ends = np.cumsum(size)
    offsets = np.repeat(starts[draw] - (ends - size), size)
    return order[offsets + np.arange(ends[-1])]


def cluster_bootstrap(
    values: Sequence[float] | np.ndarray,
    clusters: Sequence[Hashable],
    statistic: Callable[[np.ndarray], float] = np.mean,
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """Percentile cluster bootstrap of ``statistic(values)``.

    ``values`` is 1-D ``(n,)`` or 2-D ``(n, k)`` with one row per item; ``clusters[i]`` names
    the cluster of row ``i``. Each of ``n_resamples`` resamples draws G clusters with
    replacement (G = the number of distinct clusters) from ``numpy.random.default_rng(seed)``,
    concatenates their rows and applies ``statistic``; ``low`` and ``high`` are the
    ``alpha/2`` and ``1 - alpha/2`` quantiles of those resampled statistics
    (``alpha = 1 - confidence``, linear interpolation), so the same inputs give the same
    interval. Resamples whose statistic is NaN (undefined on that resample) are left out;
    if every one is NaN the interval is ``(nan, nan)``.

    Returns ``(estimate, low, high)`` with ``estimate = statistic(values)``. With a single
    cluster, or all rows equal, ``low == high == estimate`` (every resample gives the
    estimate). ValueError when ``values`` and ``clusters`` differ in length or are empty.
    """
    alpha = _alpha(confidence)
    data = np.asarray(values, dtype=float)
    if data.ndim not in (1, 2):
        raise ValueError(f"values must be 1-D or 2-D, got shape {data.shape}")
    if len(data) != len(clusters):
        raise ValueError(f"{len(data)} rows of values but {len(clusters)} cluster labels")
    if len(data) == 0:
        raise ValueError("no values")
    estimate = float(statistic(data))
    order, starts, sizes = _cluster_rows(clusters)
    if len(sizes) == 1 or np.all(data == data[0]):
        return estimate, estimate, estimate
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(sizes), size=(n_resamples, len(sizes)))
    stats = np.array(
        [float(statistic(data[_resampled_rows(order, starts, sizes, d)])) for d in draws]
    )
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return estimate, NAN, NAN
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return estimate, float(low), float(high)


def pooled_rate(
    hits: Sequence[bool],
    clusters: Sequence[Hashable],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[int, int, float, float]:
    """A share of ``hits`` pooled over rows that are not independent (for example the same
    item under several unlearning methods, ``clusters`` = source documents).

    ``k`` = number of true hits, ``n`` = number of rows; the interval is the
    :func:`cluster_bootstrap` percentile interval of the mean of ``hits``. Where that
    interval has zero width (every row equal, or a single cluster) it is instead the Wilson
    interval of the share ``k/n`` with the number of distinct clusters G as sample size
    (the :func:`wilson` formula with ``p = k/n`` and ``n = G``, each document counted once),
    so a finite count never gets a zero-width interval. Returns ``(k, n, low, high)``;
    ``(0, 0, nan, nan)`` when there are no rows.
    """
    x = np.asarray([bool(h) for h in hits], dtype=float)
    if len(x) != len(clusters):
        raise ValueError(f"{len(x)} hits but {len(clusters)} cluster labels")
    k, n = int(x.sum()), len(x)
    if n == 0:
        return 0, 0, NAN, NAN
    share, low, high = cluster_bootstrap(x, clusters, np.mean, n_resamples, seed, confidence)
    if low == high:
        g = len(set(clusters))
        low, high = proportion_confint(share * g, g, alpha=_alpha(confidence), method="wilson")
    return k, n, float(low), float(high)


def spearman(
    x: Sequence[float], y: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """Spearman's rank correlation with a Fisher-z interval.

    ``rho`` and the two-sided ``p`` come from ``scipy.stats.spearmanr``; the interval is
    ``tanh(atanh(rho) ± z·se)`` with ``z`` the ``(1 + confidence)/2`` normal quantile and
    the Bonett & Wright (2000) standard error ``se = sqrt((1 + rho²/2) / (n - 3))``.
    ``rho`` of ±1 (to within 1e-12) gives the interval ``(rho, rho)``. Returns
    ``(rho, low, high, p)``; ValueError when ``x`` and ``y`` differ in length or ``n < 4``.
    """
    alpha = _alpha(confidence)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} values but y has {len(y)}")
    n = len(x)
    if n < 4:
        raise ValueError(f"need at least 4 pairs for the interval, got {n}")
    res = spearmanr(x, y)
    rho, p = float(res.statistic), float(res.pvalue)
    if abs(rho) >= 1.0 - 1e-12:  # ±1 up to rounding in spearmanr
        return rho, rho, rho, p
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))
    z = float(norm.ppf(1 - alpha / 2))
    centre = math.atanh(rho)
    return rho, math.tanh(centre - z * se), math.tanh(centre + z * se), p


def fmt_rate(k: int, n: int, confidence: float = 0.95) -> str:
    """``"k/n = P % [L, H]"``: the share ``k/n`` and its :func:`wilson` interval, each in
    percent rounded to a whole number; ``"no items"`` when ``n == 0``."""
    if n == 0:
        _check_counts(k, n)
        return "no items"
    low, high = wilson(k, n, confidence)
    return f"{k}/{n} = {100 * k / n:.0f} % [{100 * low:.0f}, {100 * high:.0f}]"
