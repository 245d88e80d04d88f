"""unpactlib.stats against closed forms, hand computations, scipy and published values."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import binomtest, bootstrap, spearmanr

from unpactlib.stats import (
    clopper_pearson,
    cluster_bootstrap,
    fmt_rate,
    newcombe_paired,
    paired,
    pooled_rate,
    spearman,
    wilson,
)


def z_of(confidence: float) -> float:
    """Two-sided normal quantile, from the standard library (independent of scipy)."""
    return NormalDist().inv_cdf((1 + confidence) / 2)


def wilson_by_hand(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = z_of(confidence)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def table(a: int, b: int, c: int, d: int) -> tuple[list[bool], list[bool]]:
    """Paired outcomes with a items both true, b x only, c y only, d neither."""
    x = [True] * a + [True] * b + [False] * c + [False] * d
    y = [True] * a + [False] * b + [True] * c + [False] * d
    return x, y


# --- one share -----------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 8), (3, 10), (8, 8), (17, 40)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_wilson_matches_the_closed_form_and_scipy(k, n, confidence):
    low, high = wilson(k, n, confidence)
    assert (low, high) == pytest.approx(wilson_by_hand(k, n, confidence), abs=1e-9)
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert (low, high) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_wilson_at_zero_and_full_counts_by_hand():
    z2 = z_of(0.95) ** 2
    # k = 0: the closed form reduces to (0, z² / (n + z²)), never of zero width
    low, high = wilson(0, 8)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(z2 / (8 + z2))
    assert high > 0
    # k = 3, n = 10: p = 0.3, centre (0.3 + z²/20) / (1 + z²/10), by hand about 0.108 to 0.603
    assert wilson(3, 10) == pytest.approx((0.108, 0.603), abs=5e-4)
    # k = n: (n / (n + z²), 1), never of zero width either
    low, high = wilson(8, 8)
    assert low == pytest.approx(8 / (8 + z2)) and low < 1


def test_wilson_and_clopper_pearson_edge_cases():
    for f in (wilson, clopper_pearson):
        assert all(math.isnan(v) for v in f(0, 0))
        with pytest.raises(ValueError, match="k=5 and n=4"):
            f(5, 4)
        with pytest.raises(ValueError, match="k=-1"):
            f(-1, 4)


@pytest.mark.parametrize(("k", "n"), [(0, 8), (1, 8), (3, 10), (10, 10), (17, 40)])
def test_clopper_pearson_matches_scipy_exact(k, n):
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert clopper_pearson(k, n) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_clopper_pearson_closed_form_at_the_ends():
    alpha = 0.05
    # k = 0: P(X = 0) = (1 - p)^n = alpha / 2 gives the upper end 1 - (alpha/2)^(1/n)
    low, high = clopper_pearson(0, 8)
    assert low == 0.0
    assert high == pytest.approx(1 - (alpha / 2) ** (1 / 8))
    # k = n: by symmetry the lower end is (alpha/2)^(1/n)
    low, high = clopper_pearson(8, 8)
    assert high == 1.0
    assert low == pytest.approx((alpha / 2) ** (1 / 8))


# --- paired outcomes -----------------------------------------------------------------------


def test_paired_counts_on_a_small_example():
    x = [True, True, True, False, False, True, False]
    y = [True, False, False, True, False, True, False]
    # items 0, 5 both; 1, 2 x only; 3 y only; 4, 6 neither
    r = paired(x, y)
    assert (r.n, r.both, r.x_only, r.y_only, r.neither) == (7, 2, 2, 1, 2)
    assert r.diff == pytest.approx((2 - 1) / 7)
    assert r.low < r.diff < r.high
    with pytest.raises(ValueError):
        paired([True], [True, False])


@pytest.mark.parametrize(("b", "c"), [(9, 2), (2, 9), (1, 0), (5, 5), (12, 0)])
def test_paired_p_is_the_exact_binomial_test_of_the_discordant_pairs(b, c):
    x, y = table(4, b, c, 6)
    assert paired(x, y).p == pytest.approx(binomtest(b, b + c, 0.5).pvalue)


def newcombe_by_hand(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Newcombe (1998) method 10, written out: Wilson limits of each margin, combined with
    the correlation phi, whose numerator ad - bc is reduced by n/2 (not below 0) when
    positive."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_by_hand(a + b, n)
    l2, u2 = wilson_by_hand(a + c, n)
    l1, l2 = max(l1, 0.0), max(l2, 0.0)
    u1, u2 = min(u1, 1.0), min(u2, 1.0)
    numerator = a * d - b * c
    if numerator > 0:
        numerator = max(numerator - n / 2, 0)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = numerator / math.sqrt(margins) if margins else 0.0
    dd = p1 - p2
    delta = math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    eps = math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return dd - delta, dd + eps


def test_newcombe_interval_matches_the_formula_by_hand():
    # a = 12 both, b = 9 x only, c = 2 y only, d = 21 neither, n = 44
    r = paired(*table(12, 9, 2, 21))
    assert (r.n, r.both, r.x_only, r.y_only, r.neither) == (44, 12, 9, 2, 21)
    assert r.diff == pytest.approx(7 / 44) and round(r.diff, 4) == 0.1591
    assert (r.low, r.high) == pytest.approx(newcombe_by_hand(12, 9, 2, 21), abs=1e-9)
    for counts in [(1, 1, 7, 12), (0, 3, 0, 5), (10, 0, 4, 0), (36, 12, 2, 0)]:
        assert newcombe_paired(*counts) == pytest.approx(newcombe_by_hand(*counts), abs=1e-9)


# Method-10 limits that Newcombe (1998, Statistics in Medicine 17, 2635-2650) reports for his
# worked examples, as (a, b, c, d) -> (lower, upper), rounded to 4 decimals. The second and
# third rows have ad > bc + n/2, so they fix the n/2 reduction of phi's numerator: with the
# plain phi = (ad - bc) / sqrt(...) they would come out 0.0618 to 0.3242 and 0.0618 to 0.3239.
NEWCOMBE_EXAMPLES = [
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((20, 12, 2, 16), (0.0562, 0.3292)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((36, 14, 0, 0), (0.1528, 0.4167)),
    ((18, 14, 0, 18), (0.1441, 0.3963)),
    ((0, 29, 1, 0), (0.6666, 0.9882)),
    ((0, 30, 0, 0), (0.8395, 1.0)),
    ((54, 0, 0, 0), (-0.0664, 0.0664)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_EXAMPLES)
def test_newcombe_interval_reproduces_newcombes_examples(counts, published):
    r = paired(*table(*counts))
    assert (r.low, r.high) == pytest.approx(published, abs=1.5e-4)


def test_identical_outcomes_give_no_difference():
    x = [True, False, True, True, False, False, True, False]
    r = paired(x, x)
    assert (r.x_only, r.y_only) == (0, 0)
    assert r.diff == 0.0 and r.p == 1.0
    assert r.low < 0 < r.high
    empty = paired([], [])
    assert empty.n == 0 and math.isnan(empty.diff) and empty.p == 1.0


# --- cluster bootstrap ---------------------------------------------------------------------


def duplicated(values: list[float], times: int) -> tuple[list[float], list[int]]:
    """Each value repeated ``times`` times in a row, its cluster the value's position."""
    return [v for v in values for _ in range(times)], [
        i for i in range(len(values)) for _ in range(times)
    ]


CLUSTER_VALUES = [0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_cluster_bootstrap_is_reproducible():
    values, clusters = duplicated(CLUSTER_VALUES, 3)
    first = cluster_bootstrap(values, clusters, seed=3)
    assert cluster_bootstrap(values, clusters, seed=3) == first
    assert cluster_bootstrap(np.asarray(values), tuple(clusters), seed=3) == first
    assert first[0] == pytest.approx(sum(CLUSTER_VALUES) / len(CLUSTER_VALUES))
    assert first[1] < first[0] < first[2]


def test_cluster_bootstrap_of_repeated_rows_is_the_bootstrap_of_the_clusters():
    # every cluster is one item repeated 6 times (the same item under six methods): resampling
    # clusters gives the same resampled means as resampling the de-duplicated items, and a
    # wider interval than resampling the 96 rows as if they were independent.
    values, clusters = duplicated(CLUSTER_VALUES, 6)
    by_cluster = cluster_bootstrap(values, clusters, seed=0)
    dedup = cluster_bootstrap(CLUSTER_VALUES, list(range(len(CLUSTER_VALUES))), seed=0)
    assert by_cluster == pytest.approx(dedup, abs=1e-12)
    naive = cluster_bootstrap(values, list(range(len(values))), seed=0)
    assert by_cluster[2] - by_cluster[1] > naive[2] - naive[1]
    # an independent percentile bootstrap of the 16 items (scipy) agrees up to resampling noise
    ref = bootstrap(
        (np.asarray(CLUSTER_VALUES),), np.mean, n_resamples=2000, method="percentile", rng=1
    ).confidence_interval
    assert by_cluster[1] == pytest.approx(ref.low, abs=0.07)
    assert by_cluster[2] == pytest.approx(ref.high, abs=0.07)


def ratio(rows: np.ndarray) -> float:
    """Sum of column 0 over sum of column 1."""
    return float(rows[:, 0].sum() / rows[:, 1].sum())


def test_cluster_bootstrap_with_two_columns_and_a_ratio():
    # hits and trials per row; clusters of different size
    rows = np.array([[1, 2], [0, 1], [2, 2], [1, 3], [0, 2], [3, 4], [1, 1], [0, 3], [2, 5]])
    clusters = ["a", "a", "b", "c", "c", "c", "d", "e", "e"]
    est, low, high = cluster_bootstrap(rows, clusters, ratio, seed=2)
    assert est == pytest.approx(10 / 23)  # by hand: (1+0+2+1+0+3+1+0+2) / (2+1+2+3+2+4+1+3+5)
    # a ratio of pooled sums lies between the smallest and the largest cluster ratio
    per_cluster = [1 / 3, 2 / 2, 4 / 9, 1 / 1, 2 / 8]
    assert min(per_cluster) <= low < est < high <= max(per_cluster)
    # every cluster with the same ratio: every resample gives it, although rows differ
    same = np.array([[1, 2], [2, 4], [3, 6], [1, 2], [5, 10]])
    assert cluster_bootstrap(same, [0, 0, 1, 2, 2], ratio) == pytest.approx((0.5, 0.5, 0.5))


def test_cluster_bootstrap_degenerate_cases_and_errors():
    assert cluster_bootstrap([0.2, 0.4, 0.9], ["x", "x", "x"]) == pytest.approx((0.5, 0.5, 0.5))
    assert cluster_bootstrap([0.3] * 5, [0, 1, 2, 3, 4]) == pytest.approx((0.3, 0.3, 0.3))
    with pytest.raises(ValueError):
        cluster_bootstrap([1.0, 2.0], [0])


# --- pooled rate ---------------------------------------------------------------------------


def test_pooled_rate_falls_back_to_wilson_over_clusters_at_zero_width():
    # 16 documents x 6 methods, no hit: Wilson of 0/16 (each document once), upper end
    # z² / (16 + z²) by the closed form.
    clusters = [doc for doc in range(16) for _ in range(6)]
    k, n, low, high = pooled_rate([False] * 96, clusters)
    z2 = z_of(0.95) ** 2
    assert (k, n) == (0, 96)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(z2 / (16 + z2)) and high > 0
    assert (low, high) == pytest.approx(wilson(0, 16))
    # every row a hit: the mirror image
    k, n, low, high = pooled_rate([True] * 96, clusters)
    assert (k, n, high) == (96, 96, pytest.approx(1.0))
    assert low == pytest.approx(16 / (16 + z2))
    # one document: Wilson of the share 1/2 with n = 1, by hand centre 1/2, half-width
    # z / (2 sqrt(1 + z²))
    _, _, low, high = pooled_rate([True, False, True, False, True, False], ["doc"] * 6)
    half = math.sqrt(z2) / (2 * math.sqrt(1 + z2))
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))


def test_pooled_rate_is_the_cluster_bootstrap_of_the_hits():
    hits = [True, True, False, False, False, True, False, False, True, True, False, False]
    clusters = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "f", "f"]
    k, n, low, high = pooled_rate(hits, clusters, seed=4)
    assert (k, n) == (5, 12)
    _, ref_low, ref_high = cluster_bootstrap(np.asarray(hits, float), clusters, seed=4)
    assert (low, high) == (ref_low, ref_high)
    assert low < 5 / 12 < high
    k, n, low, high = pooled_rate([], [])
    assert (k, n) == (0, 0) and math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError):
        pooled_rate([True], ["a", "b"])


# --- rank correlation ----------------------------------------------------------------------


def test_spearman_matches_scipy_and_the_fisher_interval_by_hand():
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    y = [2, 1, 4, 3, 6, 5, 8, 10, 7, 9]
    rho, low, high, p = spearman(x, y)
    # no ties: rho = 1 - 6 Σd² / (n(n² - 1)); d = (-1, 1, -1, 1, -1, 1, -1, -2, 2, 1), Σd² = 16
    assert rho == pytest.approx(1 - 6 * 16 / (10 * 99))
    ref = spearmanr(x, y)
    assert (rho, p) == pytest.approx((ref.statistic, ref.pvalue))
    # Fisher z with the Bonett-Wright standard error sqrt((1 + rho²/2) / (n - 3))
    se = math.sqrt((1 + rho**2 / 2) / 7)
    z = z_of(0.95)
    assert low == pytest.approx(math.tanh(math.atanh(rho) - z * se))
    assert high == pytest.approx(math.tanh(math.atanh(rho) + z * se))
    assert low < rho < high


def test_spearman_edge_cases():
    rho, low, high, _ = spearman([1, 2, 3, 4], [10, 20, 30, 40])
    assert rho == pytest.approx(1.0) and (low, high) == (rho, rho)
    rho, low, high, _ = spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    assert rho == pytest.approx(-1.0) and (low, high) == (rho, rho)
    with pytest.raises(ValueError):
        spearman([1, 2, 3], [3, 2, 1])
    with pytest.raises(ValueError):
        spearman([1, 2, 3, 4], [1, 2, 3])


# --- text ----------------------------------------------------------------------------------


def test_fmt_rate():
    assert fmt_rate(0, 0) == "no items"
    # Wilson by hand: 3/10 -> 0.108 to 0.603; 0/8 -> 0 to z²/(8 + z²) = 0.324;
    # 8/8 -> 8/(8 + z²) = 0.676 to 1
    assert fmt_rate(3, 10) == "3/10 = 30 % [11, 60]"
    assert fmt_rate(0, 8) == "0/8 = 0 % [0, 32]"
    assert fmt_rate(8, 8) == "8/8 = 100 % [68, 100]"
    low, high = wilson_by_hand(14, 40)
    assert fmt_rate(14, 40) == f"14/40 = 35 % [{100 * low:.0f}, {100 * high:.0f}]"


def test_cluster_bootstrap_leaves_out_resamples_where_the_statistic_is_undefined():
    # a statistic undefined (NaN) on a resample whose rows are all equal: only resamples that
    # draw both clusters count, and each of those has the rows of p once and of q once
    def mean_if_varied(rows: np.ndarray) -> float:
        return float(rows.mean()) if rows.min() < rows.max() else float("nan")

    est, low, high = cluster_bootstrap([0.0, 1.0], ["p", "q"], mean_if_varied)
    assert (est, low, high) == pytest.approx((0.5, 0.5, 0.5))
    est, low, high = cluster_bootstrap([0.0, 0.0, 1.0], ["p", "p", "q"], mean_if_varied)
    # by hand: p + q or q + p are the rows 0, 0, 1, mean 1/3
    assert (est, low, high) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
