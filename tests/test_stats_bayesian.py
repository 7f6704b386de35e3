"""Tests of clfcompare.stats.bayesian: the Bayesian correlated t-test and signed-rank test.

References: baycomp (two_on_single, CorrelatedTTest, SignedRankTest) and the posterior of
scikit-learn's example "Statistical comparison of models using grid search".
"""

import baycomp
import numpy as np
import pytest
from _stats_data import cv_scores, sklearn_example_corrected_ttest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import (
    bayesian_correlated_ttest,
    bayesian_signed_rank,
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


# --------------------------------------------------------------------------------------------
# Bayesian signed-rank test (issue 12) vs baycomp's SignedRankTest
# --------------------------------------------------------------------------------------------
def _dataset_scores(seed, n, shift):
    """Per-data-set mean scores of two models: data sets differ in level, A shifted."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.6, 0.95, n)
    return level + shift + rng.normal(0, 0.015, n), level + rng.normal(0, 0.015, n)


# (n data sets, shift, rope): a clear win, a contested case, a tie-ish case, no rope
_SR_CASES = [(20, 0.02, 0.01), (12, 0.006, 0.01), (30, 0.0, 0.01), (15, 0.004, 0.0)]


@pytest.mark.parametrize(("n", "shift", "rope"), _SR_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_signed_rank_matches_baycomp(n, shift, rope, seed):
    a, b = _dataset_scores(seed, n, shift)
    ours = bayesian_signed_rank(a, b, rope=rope, random_state=seed, n_samples=50000)
    sample = baycomp.SignedRankTest.sample(a, b, rope, nsamples=50000, random_state=seed)
    # baycomp's first argument is A: p_left = P(A better), its columns (left, rope, right)
    winners = np.bincount(np.argmax(sample, axis=1), minlength=3) / len(sample)
    ref_better, ref_rope, ref_worse = winners
    # two independent Monte Carlo estimates of a probability from 50,000 draws each: the
    # difference has sd <= sqrt(2 * 0.25 / 50000) = 0.0032; 0.015 is 4.7 sd
    assert_allclose(ours.prob_better, ref_better, atol=0.015)
    assert_allclose(ours.prob_equivalent, ref_rope, atol=0.015)
    assert_allclose(ours.prob_worse, ref_worse, atol=0.015)
    # the expected triple too (columns reordered to worse, rope, better)
    assert_allclose(ours.expected_probabilities, sample.mean(axis=0)[[2, 1, 0]], atol=0.01)
    assert_allclose(ours.prob_worse + ours.prob_equivalent + ours.prob_better, 1.0)
    assert ours.n == n and ours.n_samples == 50000 and ours.posterior.shape == (50000, 3)


def test_signed_rank_posterior_rows_are_probabilities_and_mean_is_consistent():
    a, b = _dataset_scores(3, 25, 0.01)
    res = bayesian_signed_rank(a, b, rope=0.005, random_state=0, n_samples=20000)
    assert np.all(res.posterior >= 0) and np.all(res.posterior <= 1)
    assert_allclose(res.posterior.sum(axis=1), 1.0, atol=1e-12)
    # Dirichlet-process mean: E[sum w_i z_i] = sum(d) / (N + prior), prior mass at 0
    d = a - b
    assert_allclose(res.mean_difference, d.sum() / (d.size + 0.5), rtol=0.01)
    low, high = res.credible_interval(0.9)
    assert low < res.mean_difference < high
    assert "bayesian_signed_rank" in str(res)


def test_signed_rank_is_seeded_and_antisymmetric():
    a, b = _dataset_scores(4, 15, 0.005)
    one = bayesian_signed_rank(a, b, random_state=7, n_samples=5000)
    two = bayesian_signed_rank(a, b, random_state=7, n_samples=5000)
    assert np.array_equal(one.posterior, two.posterior)
    swapped = bayesian_signed_rank(b, a, random_state=7, n_samples=5000)
    # the same Dirichlet draws with z -> -z exchange the two tails exactly
    assert_allclose(swapped.posterior[:, [2, 1, 0]], one.posterior, atol=1e-12)


def test_signed_rank_identical_models_are_equivalent():
    a = np.linspace(0.7, 0.9, 12)
    res = bayesian_signed_rank(a, a.copy(), rope=0.01, random_state=0, n_samples=2000)
    assert res.prob_equivalent == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rope": -0.1}, ValueError),
        ({"prior": 0}, ValueError),
        ({"n_samples": 0}, ValueError),
        ({"n_samples": 2.5}, TypeError),
    ],
)
def test_signed_rank_bad_arguments(kwargs, error):
    with pytest.raises(error):
        bayesian_signed_rank([0.8, 0.9, 0.7], [0.7, 0.8, 0.75], **kwargs)
