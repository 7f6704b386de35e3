"""Tests of clfcompare.stats.equivalence: TOST with the corrected or the conservative variance.

References: two one-sided SciPy t-tests (ttest_1samp) on differences rescaled to the corrected
variance, statsmodels' ttost_paired (uncorrected limit), conservative_z's standard error, the
duality with the 1 - 2 alpha interval, and the size at the margin by simulation.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.weightstats import ttost_paired

from clfcompare.stats import conservative_z, corrected_ttest, equivalence_test


def _pair(seed, n=30, shift=0.002, sd=0.01):
    rng = np.random.default_rng(seed)
    common = rng.normal(0.8, 0.03, n)
    return common + shift + rng.normal(0, sd, n), common + rng.normal(0, sd, n)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("margin", [0.01, (-0.005, 0.02)])
def test_matches_two_one_sided_scipy_ttests_on_rescaled_differences(seed, margin):
    a, b = _pair(seed)
    n_train, n_test = 90, 10
    res = equivalence_test(a, b, n_train, n_test, margin=margin)
    low, high = (-margin, margin) if np.isscalar(margin) else margin
    d = a - b
    j = d.size
    # differences with the same mean and the corrected spread: plain one-sample t = corrected t
    scaled = d.mean() + (d - d.mean()) * math.sqrt(j * (1 / j + n_test / n_train))
    lower = sps.ttest_1samp(scaled, low, alternative="greater")
    upper = sps.ttest_1samp(scaled, high, alternative="less")
    assert_allclose(
        [res.statistic_lower, res.pvalue_lower], [lower.statistic, lower.pvalue], rtol=1e-10
    )
    assert_allclose(
        [res.statistic_upper, res.pvalue_upper], [-upper.statistic, upper.pvalue], rtol=1e-10
    )
    assert_allclose(res.pvalue, max(lower.pvalue, upper.pvalue), rtol=1e-10)
    assert res.statistic == min(res.statistic_lower, res.statistic_upper)
    assert (res.margin_low, res.margin_high) == (low, high)
    assert res.df == j - 1 and res.variance == "corrected" and res.n == j
    # the standard error is corrected_ttest's
    assert_allclose(res.std_error, corrected_ttest(a, b, n_train, n_test).std_error, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_uncorrected_limit_matches_statsmodels_ttost_paired(seed):
    a, b = _pair(seed)
    res = equivalence_test(a, b, 1e12, 1, margin=(-0.004, 0.006))
    p, lower, upper = ttost_paired(a, b, -0.004, 0.006)
    assert_allclose(res.pvalue, p, rtol=1e-8)
    assert_allclose([res.statistic_lower, res.pvalue_lower], [lower[0], lower[1]], rtol=1e-8)
    assert_allclose([-res.statistic_upper, res.pvalue_upper], [upper[0], upper[1]], rtol=1e-8)


def test_duality_with_the_one_minus_two_alpha_interval():
    rng = np.random.default_rng(5)
    checked = {True: 0, False: 0}
    for _ in range(300):
        a, b = _pair(
            int(rng.integers(1 << 30)),
            n=int(rng.integers(5, 60)),
            shift=float(rng.normal(0, 0.005)),
        )
        margin = float(rng.uniform(0.002, 0.02))
        level = float(rng.choice([0.9, 0.95, 0.99]))
        res = equivalence_test(a, b, 80, 20, margin=margin, confidence_level=level)
        inside = -margin < res.ci_low and res.ci_high < margin
        assert res.equivalent == inside == (res.pvalue < 1 - level)
        q = sps.t.ppf(level, res.df)
        assert_allclose(
            [res.ci_low, res.ci_high],
            [res.mean_difference - q * res.std_error, res.mean_difference + q * res.std_error],
            rtol=1e-12,
        )
        checked[res.equivalent] += 1
    assert min(checked.values()) > 20  # both outcomes exercised


def test_conservative_variance_from_half_scores():
    rng = np.random.default_rng(6)
    a, b = _pair(7, n=50)
    ha = 0.8 + rng.normal(0, 0.01, (10, 2, 5))
    hb = 0.8 + rng.normal(0, 0.01, (10, 2, 5))
    res = equivalence_test(a, b, margin=0.02, half_scores_a=ha, half_scores_b=hb)
    ref = conservative_z(a, b, ha, hb)
    assert res.variance == "conservative" and math.isinf(res.df)
    assert_allclose(res.std_error, ref.std_error, rtol=1e-12)
    mu = (ha - hb).mean(axis=2)
    sigma = math.sqrt(np.sum((mu[:, 0] - mu[:, 1]) ** 2) / 20)  # closed form
    assert_allclose(res.std_error, sigma, rtol=1e-12)
    z_low = (res.mean_difference + 0.02) / sigma
    z_high = (0.02 - res.mean_difference) / sigma
    assert_allclose(
        [res.pvalue_lower, res.pvalue_upper], [sps.norm.sf(z_low), sps.norm.sf(z_high)], rtol=1e-10
    )
    q = sps.norm.ppf(0.95)
    assert_allclose(res.ci_high, res.mean_difference + q * sigma, rtol=1e-12)
    # (M, 2) already averaged gives the same
    res2 = equivalence_test(
        a, b, margin=0.02, half_scores_a=ha.mean(axis=2), half_scores_b=hb.mean(axis=2)
    )
    assert_allclose(res2.pvalue, res.pvalue, rtol=1e-12)


def test_size_at_the_margin_is_alpha():
    # exact Nadeau-Bengio model (shared part of variance n_test/n_train * sigma^2), true mean
    # difference on the upper margin: TOST rejects with probability alpha (at most); R = 2000,
    # MC SE 0.0049, accept within 3 SE. Inside the margins it rejects more often (power).
    rng = np.random.default_rng(8)
    reps, j, ratio, sd, margin = 2000, 20, 0.25, 0.01, 0.01
    u = rng.normal(0, sd * math.sqrt(ratio), reps)
    e = rng.normal(0, sd, (reps, j))
    at_margin = [
        equivalence_test(
            margin + u[r] + e[r], np.zeros(j), 1 / ratio, 1.0, margin=margin
        ).equivalent
        for r in range(reps)
    ]
    rate = np.mean(at_margin)
    assert abs(rate - 0.05) < 3 * math.sqrt(0.05 * 0.95 / reps), rate
    inside = [
        equivalence_test(u[r] + e[r], np.zeros(j), 1 / ratio, 1.0, margin=2 * margin).equivalent
        for r in range(200)
    ]
    assert np.mean(inside) > 0.5  # true difference 0, margin 3.7 standard errors: 0.93


def test_zero_variance():
    a = np.full(10, 0.8)
    inside = equivalence_test(a + 0.005, a, 80, 20, margin=0.01)
    assert inside.pvalue == 0 and inside.equivalent and inside.statistic == math.inf
    outside = equivalence_test(a + 0.02, a, 80, 20, margin=0.01)
    assert outside.pvalue == 1 and not outside.equivalent
    same = equivalence_test(a, a, 80, 20, margin=0.01)
    assert same.equivalent and same.mean_difference == 0


def test_margins_and_levels_are_validated():
    a, b = _pair(0)
    for bad in (
        0,
        -0.01,
        math.nan,
        math.inf,
        (0.01, -0.01),
        (-0.01, 0.0),
        (0.0, 0.01),
        (-math.inf, 0.01),
    ):
        with pytest.raises(ValueError, match="margin"):
            equivalence_test(a, b, 80, 20, margin=bad)
    for bad in ("0.01", True, None, (0.1,), ("a", 0.1)):
        with pytest.raises(TypeError, match="margin"):
            equivalence_test(a, b, 80, 20, margin=bad)
    with pytest.raises(TypeError):
        equivalence_test(a, b, 80, 20)  # margin is required
    with pytest.raises(ValueError, match="above 0.5"):
        equivalence_test(a, b, 80, 20, margin=0.01, confidence_level=0.4)
    with pytest.raises(ValueError, match="confidence_level"):
        equivalence_test(a, b, 80, 20, margin=0.01, confidence_level=1.5)
    with pytest.raises(ValueError, match="needs n_train and n_test"):
        equivalence_test(a, b, margin=0.01)
    with pytest.raises(ValueError, match="both half_scores_a and half_scores_b"):
        equivalence_test(a, b, margin=0.01, half_scores_a=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shaped \(M, 2, F\)"):
        equivalence_test(
            a, b, margin=0.01, half_scores_a=np.zeros((3, 3)), half_scores_b=np.zeros((3, 3))
        )
    with pytest.raises(ValueError, match="same shape"):
        equivalence_test(a, b[:-1], 80, 20, margin=0.01)
    res = equivalence_test(a, b, 80, 20, margin=(-0.002, 0.03))
    assert (res.margin_low, res.margin_high) == (-0.002, 0.03)
    assert "equivalence_test" in str(res)


def test_conservative_variance_is_conservative_zs_for_float32_half_scores():
    """The TOST's conservative variance is conservative_z's, rounding tolerance included:
    float32 half scores whose halves differ only by float32 rounding (0.9f - 0.8f vs
    0.8f - 0.7f) give zero variance in both (it was 4e-8 in the TOST, 0 in the Z test)."""
    a = np.array([0.85, 0.8, 0.9, 0.82])
    b = a - 0.001
    half_a = np.array([[0.9, 0.8], [0.7, 0.6]], dtype=np.float32)
    half_b = np.array([[0.8, 0.7], [0.6, 0.5]], dtype=np.float32)
    z = conservative_z(a, b, half_a, half_b)
    tost = equivalence_test(a, b, margin=0.02, half_scores_a=half_a, half_scores_b=half_b)
    assert z.std_error == 0.0
    assert tost.std_error == z.std_error
    # float64 scores of a real spread: the same variance too
    rng = np.random.default_rng(3)
    ha, hb = rng.normal(0.8, 0.02, (5, 2, 3)), rng.normal(0.8, 0.02, (5, 2, 3))
    tost = equivalence_test(a, b, margin=0.02, half_scores_a=ha, half_scores_b=hb)
    assert tost.std_error == conservative_z(a, b, ha, hb).std_error > 0
