"""Tests of clfcompare.stats.effect_sizes: Cohen's d (d_z), Cliff's delta, Akinshin's gamma.

References: pingouin (compute_effsize, compute_esci), autorank (_cliffs_delta, _cohen_d,
_akinshin_gamma), SciPy (nct, mstats.hdquantiles), R's effsize::cliff.delta (its formulas,
re-derived by hand below), and coverage by simulation.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import akinshin_gamma, cliffs_delta, cohens_d
from clfcompare.stats.effect_sizes import MAD_CONSISTENCY, harrell_davis_quantile


def _paired(seed, n=12, shift=0.02):
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.6, 0.9, n)
    return level + shift + rng.normal(0, 0.02, n), level + rng.normal(0, 0.02, n)


# --------------------------------------------------------------------------------------------
# Cohen's d
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cohens_dz_matches_pingouin(seed):
    pg = pytest.importorskip("pingouin")
    a, b = _paired(seed)
    res = cohens_d(a, b)
    assert_allclose(res.estimate, pg.compute_effsize(a, b, paired=True, eftype="cohen_dz"))
    # the approximate interval is pingouin's compute_esci for a paired d
    approx = cohens_d(a, b, ci_method="approximate")
    ref = pg.compute_esci(res.estimate, nx=a.size, ny=a.size, paired=True, decimals=12)
    assert_allclose([approx.ci_low, approx.ci_high], ref, rtol=1e-9)
    # unpaired: the pooled-sd d of pingouin and autorank
    unpaired = cohens_d(a, b, paired=False)
    assert_allclose(unpaired.estimate, pg.compute_effsize(a, b, paired=False), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_cohens_dz_exact_interval_inverts_the_noncentral_t(seed, level):
    a, b = _paired(seed, n=9, shift=0.01)
    res = cohens_d(a, b, confidence_level=level)
    n = a.size
    t_obs = res.estimate * math.sqrt(n)
    # at the bounds, the observed t is the (1 - level)/2 upper / lower quantile of nct
    tail = (1 - level) / 2
    assert_allclose(sps.nct.cdf(t_obs, n - 1, res.ci_low * math.sqrt(n)), 1 - tail, atol=1e-9)
    assert_allclose(sps.nct.cdf(t_obs, n - 1, res.ci_high * math.sqrt(n)), tail, atol=1e-9)
    # the same t statistic as scipy's paired t-test
    assert_allclose(t_obs, sps.ttest_rel(a, b).statistic, rtol=1e-12)


def test_cohens_dz_interval_close_to_approximation_for_large_n():
    a, b = _paired(5, n=400, shift=0.004)
    exact, approx = cohens_d(a, b), cohens_d(a, b, ci_method="approximate")
    assert_allclose([exact.ci_low, exact.ci_high], [approx.ci_low, approx.ci_high], atol=0.01)


def test_cohens_dz_zero_variance():
    a = np.array([0.8, 0.7, 0.9])
    same = cohens_d(a, a.copy())
    assert same.estimate == 0 and same.ci_low == same.ci_high == 0
    shifted = cohens_d(a + 0.125, a)
    assert shifted.estimate == math.inf


# --------------------------------------------------------------------------------------------
# Cliff's delta
# --------------------------------------------------------------------------------------------
def _cliff_by_hand(x, y, z):
    """effsize::cliff.delta's 'row partitioning' route (R/CliffDelta.R), consistent variance:
    counts of pairs above/below instead of the dominance matrix."""
    n1, n2 = len(x), len(y)
    above = sum(1 for xi in x for yj in y if xi > yj)
    below = sum(1 for xi in x for yj in y if xi < yj)
    d = (above - below) / (n1 * n2)
    di = np.array([(sum(xi > yj for yj in y) - sum(xi < yj for yj in y)) / n2 for xi in x])
    dj = np.array([(sum(xi > yj for xi in x) - sum(xi < yj for xi in x)) / n1 for yj in y])
    ssr = above * (1 - d) ** 2 + (n1 * n2 - above - below) * d**2 + below * (1 + d) ** 2
    s_d = (
        (n2 - 1) * np.sum((di - d) ** 2) / (n1 - 1)
        + (n1 - 1) * np.sum((dj - d) ** 2) / (n2 - 1)
        + ssr / ((n1 - 1) * (n2 - 1))
    ) / (n1 * n2)
    half = z * math.sqrt(s_d) * math.sqrt((1 - d * d) ** 2 + z * z * s_d)
    den = 1 - d * d + z * z * s_d
    return d, (d - d**3 - half) / den, (d - d**3 + half) / den, s_d


def test_cliffs_delta_effsize_example():
    # effsize's test case (tests/testthat/testCliff.R): delta = -0.25, and its three variance
    # terms 0.2669753, 0.447 and 1.0055556 (comment in R/CliffDelta.R)
    treatment = [10, 10, 20, 20, 20, 30, 30, 30, 40, 50]
    control = [10, 20, 30, 40, 40, 50]
    res = cliffs_delta(treatment, control, ci_distribution="normal")
    assert res.estimate == -0.25
    s_d = (5 * 0.2669753 + 9 * 0.447 + 1.0055556) / 60
    d, low, high, s_hand = _cliff_by_hand(treatment, control, sps.norm.ppf(0.975))
    assert_allclose(s_hand, s_d, rtol=1e-6)
    assert_allclose([res.ci_low, res.ci_high], [low, high], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dist", ["t", "normal"])
def test_cliffs_delta_matches_hand_formula_and_autorank(seed, dist):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 6, 11).astype(float), rng.integers(1, 7, 8).astype(float)  # ties
    res = cliffs_delta(x, y, ci_distribution=dist)
    z = sps.t.ppf(0.975, x.size + y.size - 2) if dist == "t" else sps.norm.ppf(0.975)
    d, low, high, _ = _cliff_by_hand(list(x), list(y), z)
    assert_allclose([res.estimate, res.ci_low, res.ci_high], [d, low, high], rtol=1e-12)
    autorank_util = pytest.importorskip("autorank._util")
    assert_allclose(res.estimate, autorank_util._cliffs_delta(x, y), atol=1e-15)


def test_cliffs_delta_interval_covers_at_its_level():
    # coverage by simulation: normal samples, true delta = 2 Phi(shift / sqrt 2) - 1
    rng = np.random.default_rng(0)
    shift, reps = 0.5, 400
    true = 2 * sps.norm.cdf(shift / math.sqrt(2)) - 1
    hits = 0
    for _ in range(reps):
        res = cliffs_delta(rng.normal(shift, 1, 25), rng.normal(0, 1, 25))
        hits += res.ci_low <= true <= res.ci_high
    # binomial sd at 0.95 with 400 reps is 0.011; accept [0.91, 0.99]
    assert 0.91 <= hits / reps <= 0.99


def test_cliffs_delta_disjoint_samples():
    res = cliffs_delta([5.0, 6, 7, 8], [1.0, 2, 3])
    assert res.estimate == 1 and res.ci_high == 1 and -1 < res.ci_low < 1


# --------------------------------------------------------------------------------------------
# Akinshin's gamma
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("n", [2, 7, 30])
def test_harrell_davis_matches_scipy(p, n):
    from scipy.stats.mstats import hdquantiles

    x = np.random.default_rng(n).normal(size=n)
    assert_allclose(harrell_davis_quantile(x, p), hdquantiles(x, [p])[0], rtol=1e-10)


def test_akinshin_gamma_sample_estimator_matches_autorank():
    autorank_util = pytest.importorskip("autorank._util")
    a, b = _paired(2, n=15)
    ours = akinshin_gamma(a, b, estimator="sample").estimate
    # autorank scales the MAD by 1.4826 (rounded); ours by 1/Phi^-1(3/4) = 1.482602...
    assert_allclose(ours, autorank_util._akinshin_gamma(a, b), rtol=2e-6)


def test_akinshin_gamma_by_hand_and_consistent_with_cohens_d():
    from scipy.stats.mstats import hdquantiles

    a, b = _paired(1, n=10)

    def mad(x):
        return MAD_CONSISTENCY * hdquantiles(np.abs(x - hdquantiles(x, [0.5])[0]), [0.5])[0]

    pmad = math.sqrt((9 * mad(a) ** 2 + 9 * mad(b) ** 2) / 18)
    expected = (hdquantiles(a, [0.5])[0] - hdquantiles(b, [0.5])[0]) / pmad
    assert_allclose(akinshin_gamma(a, b).estimate, expected, rtol=1e-10)
    # consistent with Cohen's d: large normal samples with d = 0.5
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.5, 1, 4000), rng.normal(0, 1, 4000)
    gamma = akinshin_gamma(x, y, paired=False, n_bootstrap=50).estimate
    assert_allclose(gamma, 0.5, atol=0.06)


def test_akinshin_gamma_bootstrap_is_seeded_and_brackets_the_estimate():
    a, b = _paired(4, n=12)
    one, two = akinshin_gamma(a, b), akinshin_gamma(a, b)
    assert (one.ci_low, one.ci_high) == (two.ci_low, two.ci_high)
    other = akinshin_gamma(a, b, random_state=1)
    assert (other.ci_low, other.ci_high) != (one.ci_low, one.ci_high)
    assert one.ci_low < one.estimate < one.ci_high


@pytest.mark.parametrize(
    ("func", "kwargs", "error"),
    [
        (cohens_d, {"confidence_level": 1.5}, ValueError),
        (cohens_d, {"ci_method": "bootstrap"}, ValueError),
        (cliffs_delta, {"ci_distribution": "z"}, ValueError),
        (akinshin_gamma, {"estimator": "median"}, ValueError),
        (akinshin_gamma, {"n_bootstrap": 0}, ValueError),
        (akinshin_gamma, {"quantile": 1.0}, ValueError),
    ],
)
def test_bad_arguments(func, kwargs, error):
    with pytest.raises(error):
        func([0.8, 0.9, 0.7, 0.75], [0.7, 0.8, 0.75, 0.7], **kwargs)


def test_bad_scores():
    with pytest.raises(ValueError, match="same shape"):
        cohens_d([0.8, 0.9, 0.7], [0.7, 0.8])
    with pytest.raises(ValueError, match="non-finite"):
        cliffs_delta([0.8, np.nan], [0.7, 0.8])
    with pytest.raises(TypeError):
        akinshin_gamma("abc", [0.7, 0.8])
