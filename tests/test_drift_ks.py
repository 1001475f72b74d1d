"""The KS p-value rule (issue 15): scipy's p-value where scipy's formula is cheap, the asymptotic Smirnov formula
with a second-order correction where scipy's exact one is slow (N >= 1000 effective rows, N d^2 >= 2.2); every
p-value within 1e-3 relative or 1e-6 absolute of scipy's, measured over a grid of N and D; the statistic bit for bit."""
import math, time

import numpy as np
import pytest
from scipy import stats

from mlparity.drift import ks_2samp_sorted, drift_report
from mlparity.drift import _ks_pvalue, _smirnov_twice, KS_FAST_N


def allowed(p): return max(1e-6, 1e-3 * p)


@pytest.mark.parametrize("N", [1000, 1500, 3000, 10_000, 40_000, 200_000])
def test_asymptotic_formula_against_scipy_over_a_grid(N):
    "Where the fast formula is used, it is within 1e-3 relative or 1e-6 absolute of scipy's kstwo.sf, with room to spare."
    worst = 0.0
    for q in np.concatenate([np.linspace(2.2, 12, 50), np.geomspace(12, 369.9, 20)]):
        d = math.sqrt(q / N)
        exact = stats.kstwo.sf(d, N)
        worst = max(worst, abs(_smirnov_twice(d, N) - exact) / allowed(exact))
    assert worst <= 0.1, worst        # at most a tenth of the allowed error (measured: 0.024 at N = 1000, 0.004 at 1e4)


@pytest.mark.parametrize("n1,n2", [(10_001, 10_001), (20_000, 3_000), (50_000, 50_000), (200_000, 150_000), (10_001, 5)])
@pytest.mark.parametrize("D", [0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.3, 0.7])
def test_p_values_over_a_grid_of_sizes_and_statistics(n1, n2, D):
    "The rule as `drift_report` applies it, for every branch: within the tolerance of scipy's asymptotic p-value."
    m, n = max(n1, n2), min(n1, n2)
    want = stats.distributions.kstwo.sf(D, np.round(m * n / (m + n)))
    d, p = _ks_pvalue(D, n1, n2)
    assert d == D and abs(p - want) <= allowed(want), (p, want)


@pytest.mark.parametrize("seed", range(6))
def test_statistic_is_scipys_bit_for_bit_and_p_within_tolerance(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(10_001, 60_000, 2)
    grid = [None, 0.1, 0.01][seed % 3]                     # ties across and within the samples
    a, b = rng.normal(0, 1, n1), rng.normal(0.02 * seed, 1, n2)
    if grid: a, b = np.round(a / grid) * grid, np.round(b / grid) * grid
    d, p = ks_2samp_sorted(np.sort(a), np.sort(b))
    ref = stats.ks_2samp(a, b)
    assert d == ref.statistic
    assert abs(p - ref.pvalue) <= allowed(ref.pvalue)


def test_the_slow_region_is_fast():
    "N = 5e5 rows, N d^2 = 5: scipy's kstwo.sf takes seconds here; the rule takes microseconds."
    t = time.process_time()
    for _ in range(100): _ks_pvalue(math.sqrt(5 / 500_000), 1_000_000, 1_000_000)
    assert time.process_time() - t < 0.1
    assert KS_FAST_N == 1000


@pytest.mark.parametrize("case", ["identical", "subset", "atoms", "shifted", "one value", "disjoint"])
def test_block_search_finds_scipys_statistic(case):
    "The KS search drops blocks whose bound cannot reach the best gap: whatever it drops, the statistic stays scipy's."
    rng = np.random.default_rng(11)
    a = rng.normal(0, 1, 150_000)
    b = {"identical": a.copy(), "subset": a[rng.integers(0, len(a), 70_001)],
         "atoms": np.where(rng.random(90_000) < 0.3, 0.0, rng.normal(0, 1, 90_000)),
         "shifted": rng.normal(0.01, 1, 123_457), "one value": np.array([0.25]), "disjoint": rng.normal(50, 1, 20_000)}[case]
    if case == "atoms": a = np.where(rng.random(len(a)) < 0.2, 0.0, a)
    d, p = ks_2samp_sorted(np.sort(a), np.sort(b))
    ref = stats.ks_2samp(a, b)
    assert d == ref.statistic
    assert abs(p - ref.pvalue) <= allowed(ref.pvalue)
    rev, _ = ks_2samp_sorted(np.sort(b), np.sort(a))
    assert rev == stats.ks_2samp(b, a).statistic


@pytest.mark.parametrize("n1,n2", [(150_000, 70_001), (70_001, 150_000), (131_072, 65_536), (99_999, 3)])
def test_wasserstein_of_unequal_sizes_over_several_blocks(n1, n2):
    "Unequal sizes: the quantile-function steps, summed block by block, give scipy's distance to 1e-12, ties included."
    from mlparity.drift import wasserstein_sorted
    rng = np.random.default_rng(n1 + 7 * n2)
    a, b = np.round(rng.normal(0, 1, n1), 2), np.round(rng.lognormal(0, 1, n2), 2)
    w, ref = wasserstein_sorted(np.sort(a), np.sort(b)), stats.wasserstein_distance(a, b)
    assert abs(w - ref) <= 1e-12 * max(1.0, ref)


def test_empty_samples_are_refused():
    from mlparity.drift import wasserstein_sorted
    with pytest.raises(ValueError, match="needs a value in each sample, got 0 and 3"): ks_2samp_sorted(np.array([]), np.arange(3.0))
    with pytest.raises(ValueError, match="needs a value in each sample, got 2 and 0"): wasserstein_sorted(np.arange(2.0), np.array([]))
