"""Tests of clfcompare.stats.bayesian: the Bayesian correlated t-test.

References: baycomp (two_on_single, CorrelatedTTest) and the posterior of scikit-learn's
example "Statistical comparison of models using grid search".
"""

import baycomp
import numpy as np
import pytest
from _stats_data import cv_scores, sklearn_example_corrected_ttest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import (
    bayesian_correlated_ttest,
    corrected_ttest,
)


# --------------------------------------------------------------------------------------------
# Bayesian correlated t-test vs baycomp and the scikit-learn example
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("runs", "n_folds"), [(1, 10), (10, 10), (5, 4)])
@pytest.mark.parametrize("rope", [0.01, 0.002])
@pytest.mark.parametrize("seed", [0, 1])
def test_bayesian_matches_baycomp(runs, n_folds, rope, seed):
    a, b = cv_scores(seed, n_splits=runs * n_folds, shift=0.004)
    # k-fold on n = 200 samples: n_test = n / k, so n_test / (n_test + n_train) = 1 / k,
    # which is baycomp's rho = 1 / nfolds (nfolds = len(x) / runs)
    n_test = 200 / n_folds
    res = bayesian_correlated_ttest(a, b, 200 - n_test, n_test, rope=rope)
    # baycomp: diff = y - x, p_left = P(diff < -rope); with x = b, y = a that is P(A worse)
    p_left, p_rope, p_right = baycomp.two_on_single(b, a, rope=rope, runs=runs)
    assert_allclose(
        [res.prob_worse, res.prob_equivalent, res.prob_better],
        [p_left, p_rope, p_right],
        rtol=1e-9,
        atol=1e-12,
    )
    mean, var, df = baycomp.CorrelatedTTest.compute_statistics(b, a, runs=runs)
    assert_allclose([res.mean_difference, res.scale**2, res.df], [mean, var, df], rtol=1e-10)
    assert_allclose(res.rho, 1 / n_folds, rtol=1e-12)


def test_bayesian_matches_sklearn_example_posterior():
    # scikit-learn example: t_post = t(df, loc=mean(differences), scale=corrected_std),
    # worse = cdf(-rope), better = 1 - cdf(rope), rope = cdf(rope) - cdf(-rope)
    a, b = cv_scores(11, shift=0.006)
    _, _, std = sklearn_example_corrected_ttest(a - b, 160, 40)
    post = sps.t(len(a) - 1, loc=np.mean(a - b), scale=std)
    res = bayesian_correlated_ttest(a, b, 160, 40, rope=0.01)
    assert_allclose(res.prob_worse, post.cdf(-0.01), rtol=1e-9)
    assert_allclose(res.prob_better, 1 - post.cdf(0.01), rtol=1e-9)
    assert_allclose(res.prob_equivalent, post.cdf(0.01) - post.cdf(-0.01), rtol=1e-9)
    assert_allclose(res.credible_interval(0.95), post.interval(0.95), rtol=1e-9)
    # the posterior scale is the corrected t-test's standard error
    assert_allclose(res.scale, corrected_ttest(a, b, 160, 40).std_error, rtol=1e-12)


@pytest.mark.parametrize(
    ("shift", "expected"),
    [(0.0, (0.0, 1.0, 0.0)), (0.05, (0.0, 0.0, 1.0)), (-0.05, (1.0, 0.0, 0.0))],
)
def test_bayesian_zero_variance_is_a_point_mass(shift, expected):
    b = np.array([0.8, 0.7, 0.9, 0.85, 0.75])
    res = bayesian_correlated_ttest(b + shift, b, 80, 20, rope=0.01)
    assert (res.prob_worse, res.prob_equivalent, res.prob_better) == expected
    assert res.scale == 0.0
    # baycomp's var == 0 branch gives the same
    assert_allclose(baycomp.two_on_single(b, b + shift, rope=0.01), expected)


@pytest.mark.parametrize("rope", [-0.01, np.nan, "0.01"])
def test_bayesian_bad_rope(rope):
    a, b = cv_scores(0, n_splits=5)
    with pytest.raises(ValueError, match="rope must be"):
        bayesian_correlated_ttest(a, b, 80, 20, rope=rope)
