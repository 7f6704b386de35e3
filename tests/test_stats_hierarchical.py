"""Tests of clfcompare.stats.hierarchical: the Gibbs-sampled hierarchical model.

References: scmamp's published Stan run (tests/test_stats_published.py), the Bayesian
signed-rank test where the two should agree (many data sets, a clear outcome), recovery of a
known mean from simulated data, and SciPy's distributions for the sampler's exact draws.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import bayesian_hierarchical, bayesian_signed_rank
from clfcompare.stats.hierarchical import _slice_sample, _truncated_gamma, _truncated_normal

FAST = {"n_samples": 2000, "n_warmup": 300, "n_chains": 4}


def _cv_diffs(seed, q, n_folds, mean, between, within):
    """Differences A - B on every fold of q data sets, correlated within a data set."""
    rng = np.random.default_rng(seed)
    delta = mean + between * rng.standard_normal(q)
    shared = 0.3 * within * rng.standard_normal((q, 1))  # folds share training data
    return delta[:, None] + shared + within * rng.standard_normal((q, n_folds))


@pytest.mark.parametrize(
    ("mean", "rope", "expected"),
    [(0.03, 0.01, "better"), (-0.03, 0.01, "worse"), (0.0, 0.02, "equivalent")],
)
def test_agrees_with_signed_rank_on_a_clear_outcome(mean, rope, expected):
    diffs = _cv_diffs(1, 30, 10, mean, 0.004, 0.01)
    hier = bayesian_hierarchical(diffs, 90, 10, rope=rope, random_state=0, **FAST)
    means = diffs.mean(axis=1)
    sr = bayesian_signed_rank(means, np.zeros_like(means), rope=rope, random_state=0)
    for res in (hier, sr):
        probs = {"worse": res.prob_worse, "equivalent": res.prob_equivalent}
        probs["better"] = res.prob_better
        assert max(probs, key=probs.get) == expected
        assert probs[expected] > 0.9


def test_recovers_the_mean_of_simulated_data():
    diffs = _cv_diffs(2, 20, 10, 0.02, 0.01, 0.02)
    res = bayesian_hierarchical(diffs, 90, 10, rope=0.01, random_state=1, **FAST)
    # the posterior of delta0 covers the true 0.02 (and the mean over data sets)
    low, high = res.credible_interval(0.99)
    assert low < 0.02 < high
    assert abs(res.mean_difference - diffs.mean()) < 3 * res.scale
    assert res.rhat < 1.05
    table = res.per_dataset
    assert table.shape == (20, 4)
    assert_allclose(table[["prob_worse", "prob_equivalent", "prob_better"]].sum(axis=1), 1.0)
    # shrinkage: per-data-set means lie between their raw means and the grand mean
    raw = diffs.mean(axis=1)
    grand = res.mean_difference
    assert np.mean(np.abs(table["mean_delta"] - grand) <= np.abs(raw - grand) + 1e-3) > 0.9


def test_seeded_and_symmetric():
    diffs = _cv_diffs(3, 8, 10, 0.008, 0.005, 0.02)
    one = bayesian_hierarchical(diffs, 90, 10, random_state=5, **FAST)
    two = bayesian_hierarchical(diffs, 90, 10, random_state=5, **FAST)
    assert np.array_equal(one.posterior, two.posterior)
    flipped = bayesian_hierarchical(-diffs, 90, 10, random_state=6, **FAST)
    # swapping A and B swaps worse and better (different draws: Monte Carlo error of
    # autocorrelated chains, about 0.03)
    assert_allclose(flipped.prob_better, one.prob_worse, atol=0.08)
    assert_allclose(flipped.prob_worse, one.prob_better, atol=0.08)


def test_ragged_rows_sizes_per_dataset_and_zero_variance():
    rng = np.random.default_rng(4)
    rows = [0.01 + 0.02 * rng.standard_normal(n) for n in (10, 5, 20, 10)]
    rows.append(np.full(10, 0.0125))  # zero variance: no jitter needed
    res = bayesian_hierarchical(
        rows, [90, 40, 180, 90, 90], [10, 10, 20, 10, 10], random_state=0, **FAST
    )
    assert res.n == 5
    assert_allclose(res.rho, np.mean([0.1, 0.2, 0.1, 0.1, 0.1]))
    assert np.all(np.isfinite(res.posterior))
    assert res.per_dataset["mean_delta"].notna().all()


@pytest.mark.parametrize(
    ("diffs", "kwargs", "match"),
    [
        (np.zeros((1, 10)), {}, "at least 2 data sets"),
        (np.zeros((3, 1)), {}, "at least 2 folds"),
        (np.zeros(10), {}, "2-dimensional"),
        ([[0.1, np.nan], [0.1, 0.2]], {}, "non-finite"),
        (np.zeros((3, 5)), {"rope": -1}, "rope"),
        (np.zeros((3, 5)), {"alpha_bounds": (2, 1)}, "alpha_bounds"),
    ],
)
def test_bad_inputs(diffs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        bayesian_hierarchical(diffs, 90, 10, **kwargs)


def test_bad_sizes():
    with pytest.raises(ValueError, match="n_train"):
        bayesian_hierarchical(np.zeros((3, 5)), [90, 90], 10)
    with pytest.raises(ValueError, match="n_test"):
        bayesian_hierarchical(np.zeros((3, 5)), 90, 0)


# --------------------------------------------------------------------------------------------
# the sampler's building blocks against SciPy
# --------------------------------------------------------------------------------------------
def test_truncated_gamma_matches_scipy():
    rng = np.random.default_rng(0)
    shape, rate, lower, upper = 2.5, 3.0, 0.4, 1.5
    draws = _truncated_gamma(np.full(20000, shape), np.full(20000, rate), lower, upper, rng)
    dist = sps.gamma(shape, scale=1 / rate)
    norm = dist.cdf(upper) - dist.cdf(lower)
    cdf = lambda x: (dist.cdf(np.clip(x, lower, upper)) - dist.cdf(lower)) / norm  # noqa: E731
    assert sps.kstest(draws, cdf).pvalue > 0.01
    assert draws.min() >= lower and draws.max() <= upper


def test_truncated_normal_matches_scipy():
    rng = np.random.default_rng(1)
    draws = np.array([_truncated_normal(0.3, 0.5, -0.2, 1.0, rng) for _ in range(5000)])
    ref = sps.truncnorm((-0.2 - 0.3) / 0.5, (1.0 - 0.3) / 0.5, loc=0.3, scale=0.5)
    assert sps.kstest(draws, ref.cdf).pvalue > 0.01


def test_slice_sampler_targets_its_density():
    rng = np.random.default_rng(2)
    logp = lambda x: sps.gamma.logpdf(x, 3.0) if x > 0 else -math.inf  # noqa: E731
    x, draws = 1.0, []
    for _ in range(6000):
        x = _slice_sample(x, logp, rng, lower=0.0)
        draws.append(x)
    draws = np.array(draws[500:])
    assert_allclose(draws.mean(), 3.0, atol=0.15)
    assert_allclose(draws.var(), 3.0, atol=0.5)
