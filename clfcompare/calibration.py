r"""Calibration of the significance tests: Type I error and power, by simulation.

A significance test at level :math:`\alpha` should reject a true null hypothesis in at most a
fraction :math:`\alpha` of experiments. Dietterich (1998), Nadeau & Bengio (2003) and Bouckaert
& Frank (2004) showed that several popular tests for comparing classifiers do not: the
uncorrected t-test on repeated cross-validation treats overlapping training and test sets as
independent and rejects far too often. This module measures the Type I error and the power of
every test of :mod:`clfcompare.stats`, applied as a user would apply it.

The simulation
--------------
Two classes of equal size (``n_samples // 2`` and the rest), labels :math:`y \in \{0, 1\}`,
and two features that are independent given the class:

.. math::

    x_j \mid y \sim \mathcal{N}\!\left((y - \tfrac12)\, d_j,\; 1\right), \qquad j \in \{a, b\}.

Learner A is trained on :math:`x_a` alone, learner B on :math:`x_b` alone; both are the same
closed-form learner, the one-dimensional **nearest class mean** classifier (equivalently a
Gaussian class-conditional model with shared variance and equal priors): from the training
rows it computes the class means :math:`\hat m_0, \hat m_1`, the threshold
:math:`t = (\hat m_0 + \hat m_1)/2` and the direction :math:`s = \operatorname{sign}(\hat m_1 -
\hat m_0)`, and predicts class 1 when :math:`s\,(x - t) > 0`. Fitting is a pair of masked sums,
so every fit of every split of every replicate of a block is computed at once with numpy.

*Null arm* (``effect=0``): :math:`d_a = d_b`, so swapping the two features leaves the joint
distribution of the data unchanged. The two learners then have exactly equal expected accuracy
for every split, while their accuracies on any one split differ (they make different errors).

*Power arm* (``effect > 0``): feature *a* is made more informative. The Bayes accuracy of a
threshold on feature *j* is :math:`\Phi(d_j/2)`; with ``base_accuracy`` :math:`p` we set

.. math::

    d_b = 2\,\Phi^{-1}(p), \qquad d_a = 2\,\Phi^{-1}(p + \delta),

with :math:`\delta` the ``effect``: the difference of the two population (infinite-training)
accuracies. The learners are trained on finite samples, so their expected accuracy difference
at a given training size is slightly smaller than :math:`\delta`. It is reported too, computed in
closed form: a fitted model :math:`(t, s)` on a feature with separation :math:`d` has accuracy

.. math::

    \operatorname{acc}(t, s; d) = \tfrac12\left[\Phi\!\big(s\,(t + d/2)\big)
    + \Phi\!\big(s\,(d/2 - t)\big)\right]

on the population, and ``true_difference`` is the mean of
:math:`\operatorname{acc}(t_a, s_a; d_a) - \operatorname{acc}(t_b, s_b; d_b)` over the splits of
the test's protocol and over the replicates.

Every replicate draws a fresh data set and fresh splits. All splits are stratified (round-robin
assignment of each class, in a random order, to the folds).

The tests and their protocols
-----------------------------
============================  ========================  ==========================================
``test``                      protocol                  call
============================  ========================  ==========================================
``corrected_ttest``           10x10 CV                  ``corrected_ttest(a, b, n_train, n_test)``
``paired_ttest_10x10``        10x10 CV (same scores)    ``paired_ttest(a, b)`` (uncorrected)
``paired_ttest_10fold``       10-fold CV                ``paired_ttest(a, b)``
``wilcoxon_10x10``            10x10 CV                  ``wilcoxon_test(a, b)``
``wilcoxon_10fold``           10-fold CV                ``wilcoxon_test(a, b)``
``paired_ttest_5x2cv``        5x2 CV                    ``paired_ttest_5x2cv(a, b)``
``combined_ftest_5x2cv``      5x2 CV                    ``combined_ftest_5x2cv(a, b)``
``mcnemar_exact``             hold-out (2/3 : 1/3)      ``mcnemar(y, pred_a, pred_b, exact=True)``
``mcnemar_chi2``              hold-out (2/3 : 1/3)      ``mcnemar(y, pred_a, pred_b, exact=False)``
``bayesian_correlated_ttest`` 10x10 CV                  ``bayesian_correlated_ttest(a, b, n_train,
                                                        n_test, rope=rope)``
============================  ========================  ==========================================

The 10-fold CV is the first repeat of the 10x10 CV (a single 10-fold CV in its own right).
A frequentist test rejects when its p-value is at most ``alpha``. The Bayesian correlated
t-test "rejects equality" when the posterior probability that A is better, or that B is better
(by more than ``rope``), exceeds ``threshold`` (0.95 by default).

What the simulation can and cannot show
---------------------------------------
The nearest-class-mean learner is very *stable*: its one threshold barely moves between
training sets. That is the best case for the tests that ignore training-set variability (the
single 10-fold t-test and Wilcoxon, McNemar on one split); with unstable learners (trees,
neural networks) Dietterich (1998) found the 10-fold t-test liberal. The failure of the
uncorrected tests on 10x10 CV does not need instability: the ten repeats reuse the same test
rows, so their 100 scores carry little more information than 10, and that failure shows here.

The Bayesian rule is not a level-``alpha`` test by construction: with ``rope=0`` and
``threshold=0.95`` it rejects exactly when the corrected t-test's two-sided p-value is below
0.10 (the posterior is the corrected t distribution), and a wider rope makes it stricter, so its
rejection rate under the null depends on ``rope`` relative to the standard error of the mean
difference.

Cost: every test call takes well under a millisecond (``wilcoxon_test`` computes the exact
signed-rank null with tied ranks itself, about 0.1 ms per call); the ``cpu_s`` column of the
tables shows each test's share.

Monte Carlo error
-----------------
With :math:`k` rejections in :math:`R` replicates the rate is :math:`\hat r = k/R`, its Monte
Carlo standard error :math:`\sqrt{\hat r (1 - \hat r)/R}` (Morris et al., 2019), and the 95%
interval is Wilson's score interval or the Clopper–Pearson interval.

Reproducibility and parallelism
-------------------------------
Replicate :math:`i` draws all of its random numbers from its own generator, seeded by the
:math:`i`-th child of ``np.random.SeedSequence(random_state)``. Replicates run in blocks of
:data:`BLOCK_SIZE` (one vectorised fit per block) dispatched with joblib, so results are
identical for every ``n_jobs``, and the first :math:`R` replicates of a longer run are the same
data sets as a run of :math:`R`. Different effects use the same random numbers (common random
numbers), so a power curve is smooth and differences between effects are not Monte Carlo noise.

Why one module of about 1,050 lines: the simulated data, the vectorised learner, each test's
protocol, the rejection summaries and their two figures all read and write one table of
replicates whose columns they define together; this is the one concept "how often the tests
err", and the figures are only its two views.

References
----------
.. [1] T. G. Dietterich, "Approximate statistical tests for comparing supervised classification
   learning algorithms", Neural Computation 10(7), 1895-1923, 1998.
.. [2] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine Learning 52,
   239-281, 2003.
.. [3] R. R. Bouckaert and E. Frank, "Evaluating the replicability of significance tests for
   comparing learning algorithms", PAKDD 2004, LNCS 3056, 3-12.
.. [4] E. Alpaydin, "Combined 5x2cv F test for comparing supervised classification learning
   algorithms", Neural Computation 11(8), 1885-1892, 1999.
.. [5] A. Benavoli, G. Corani, J. Demšar and M. Zaffalon, "Time for a change: a tutorial for
   comparing multiple classifiers through Bayesian analysis", JMLR 18(77), 1-36, 2017.
.. [6] T. P. Morris, I. R. White and M. J. Crowther, "Using simulation studies to evaluate
   statistical methods", Statistics in Medicine 38(11), 2074-2102, 2019.
.. [7] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   JASA 22(158), 209-212, 1927; C. J. Clopper and E. S. Pearson, "The use of confidence or
   fiducial limits illustrated in the case of the binomial", Biometrika 26(4), 404-413, 1934.
"""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import special
from scipy import stats as sps

from clfcompare._checks import check_int, check_real
from clfcompare.stats import (
    bayesian_correlated_ttest,
    combined_ftest_5x2cv,
    corrected_ttest,
    mcnemar,
    paired_ttest,
    paired_ttest_5x2cv,
    wilcoxon_test,
)

__all__ = [
    "BLOCK_SIZE",
    "TESTS",
    "binomial_interval",
    "conditional_accuracy",
    "fit_nearest_mean",
    "monte_carlo_se",
    "plot_power_curve",
    "plot_rejection_rates",
    "power_curve",
    "separation_for_accuracy",
    "simulate_rejection_rates",
    "simulate_replicates",
    "stratified_fold_ids",
    "summarize_rejections",
]

#: check_real's bounds for a probability strictly between 0 and 1 (alpha, a threshold, a level)
_OPEN_UNIT = dict(low=0.0, high=1.0, low_open=True, high_open=True)


#: Replicates per vectorised block (and per joblib task). Results do not depend on it.
BLOCK_SIZE = 25

#: Test name -> protocol, in the order of the tables and figures.
TESTS = {
    "corrected_ttest": "10x10 CV",
    "paired_ttest_10x10": "10x10 CV",
    "paired_ttest_10fold": "10-fold CV",
    "wilcoxon_10x10": "10x10 CV",
    "wilcoxon_10fold": "10-fold CV",
    "paired_ttest_5x2cv": "5x2 CV",
    "combined_ftest_5x2cv": "5x2 CV",
    "mcnemar_exact": "hold-out 1/3",
    "mcnemar_chi2": "hold-out 1/3",
    "bayesian_correlated_ttest": "10x10 CV",
}

# The random numbers of one replicate: 2 feature noises, then split orders for the 10 repeats
# of 10-fold CV, the 5 repeats of 2-fold CV and the hold-out split, in this order.
_N_REPEATS_10, _N_REPEATS_2 = 10, 5
_N_ORDERS = _N_REPEATS_10 + _N_REPEATS_2 + 1
_HOLDOUT_PARTS = 3  # one part of three is the test set

_SUMMARY_COLUMNS = [
    "test",
    "protocol",
    "effect",
    "true_difference",
    "observed_difference",
    "alpha",
    "n_replicates",
    "rejections",
    "rate",
    "mc_se",
    "ci_low",
    "ci_high",
    "n_undefined",
    "n_warnings",
    "cpu_s",
]


# --------------------------------------------------------------------------------------------
# small pure functions
# --------------------------------------------------------------------------------------------
def separation_for_accuracy(accuracy):
    r"""Distance of the class means that gives a one-feature Bayes accuracy ``accuracy``.

    For :math:`x \mid y \sim \mathcal{N}((y - \frac12) d, 1)` with equal priors the Bayes rule
    thresholds at 0 and has accuracy :math:`\Phi(d/2)`, so

    .. math:: d = 2\,\Phi^{-1}(\text{accuracy}).

    Parameters
    ----------
    accuracy : float or array-like
        In ``[0.5, 1)``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from clfcompare.calibration import separation_for_accuracy
    >>> d = separation_for_accuracy(0.75)   # 2 * norm.ppf(0.75)
    >>> round(separation_for_accuracy(0.5), 12), round(d, 6)
    (0.0, 1.34898)
    """
    accuracy = np.asarray(accuracy, dtype=float)
    if np.any(~np.isfinite(accuracy)) or np.any(accuracy < 0.5) or np.any(accuracy >= 1):
        raise ValueError(f"accuracy must lie in [0.5, 1), got {accuracy}")
    d = 2.0 * special.ndtri(accuracy)
    return float(d) if d.ndim == 0 else d


def conditional_accuracy(threshold, direction, separation):
    r"""Population accuracy of a fitted one-feature threshold classifier, in closed form.

    With class means :math:`\mp d/2`, unit variance and equal priors, the rule "class 1 when
    :math:`s (x - t) > 0`" has accuracy

    .. math::

        \tfrac12\left[\Phi\big(s\,(t + d/2)\big) + \Phi\big(s\,(d/2 - t)\big)\right].

    Parameters
    ----------
    threshold, direction : array-like
        Broadcastable; ``direction`` is +1 or -1.
    separation : float
        :math:`d`, the distance between the class means.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from clfcompare.calibration import conditional_accuracy
    >>> from scipy.stats import norm
    >>> acc = conditional_accuracy(0.0, 1.0, 2.0)   # the Bayes rule: Phi(d / 2)
    >>> bool(abs(acc - norm.cdf(1.0)) < 1e-12)
    True
    >>> float(conditional_accuracy(0.0, -1.0, 2.0) + acc)   # the reversed rule
    1.0
    """
    t = np.asarray(threshold, dtype=float)
    s = np.asarray(direction, dtype=float)
    half = 0.5 * float(separation)
    return 0.5 * (special.ndtr(s * (t + half)) + special.ndtr(s * (half - t)))


def stratified_fold_ids(y, n_folds, uniforms):
    """Stratified fold of every row, from one uniform random number per row.

    The rows are sorted by class and, within a class, by ``uniforms``; the ``i``-th row of that
    order goes to fold ``i % n_folds``. Every fold gets ``n_c // n_folds`` or one more rows of
    each class ``c``, and every assignment is equally likely.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class labels, 0 or 1.
    n_folds : int
    uniforms : ndarray of shape (..., n_samples)
        Values in ``[0, 1)``, one independent set per partition.

    Returns
    -------
    ndarray of int, shape (..., n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.calibration import stratified_fold_ids
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> folds = stratified_fold_ids(y, 2, np.random.default_rng(0).random(8))
    >>> [int(np.sum((folds == k) & (y == c))) for k in (0, 1) for c in (0, 1)]
    [2, 2, 2, 2]
    """
    key = np.asarray(y, dtype=float) + np.asarray(uniforms, dtype=float)
    rank = np.argsort(np.argsort(key, axis=-1, kind="stable"), axis=-1, kind="stable")
    return rank % n_folds


def fit_nearest_mean(x, y, train_mask):
    r"""Fit one-feature nearest-class-mean classifiers on many training sets at once.

    .. math::

        \hat m_c = \frac{\sum_i [i \in \text{train}][y_i = c]\, x_i}
                        {\sum_i [i \in \text{train}][y_i = c]}, \qquad
        t = \frac{\hat m_0 + \hat m_1}{2}, \qquad s = \operatorname{sign}(\hat m_1 - \hat m_0).

    The classifier predicts class 1 when :math:`s\,(x - t) > 0`.

    Parameters
    ----------
    x : ndarray of shape (..., n_samples)
        One feature.
    y : ndarray of shape (n_samples,)
        Labels 0 or 1.
    train_mask : ndarray of bool, broadcastable with ``x``
        The training rows of each fit; each must contain both classes.

    Returns
    -------
    threshold, direction : ndarray
        The broadcast shape of ``x`` and ``train_mask`` without the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.calibration import fit_nearest_mean
    >>> t, s = fit_nearest_mean(np.array([0.0, 1.0, 3.0, 5.0]), np.array([0, 0, 1, 1]),
    ...                         np.array([True, True, True, True]))
    >>> float(t), float(s)
    (2.25, 1.0)
    """
    x = np.asarray(x, dtype=float)
    train_mask = np.asarray(train_mask, dtype=bool)
    is1 = np.asarray(y) == 1
    w1 = train_mask & is1
    w0 = train_mask & ~is1
    n1 = w1.sum(axis=-1)
    n0 = w0.sum(axis=-1)
    if np.any(n0 == 0) or np.any(n1 == 0):
        raise ValueError("every training set must contain both classes")
    m1 = np.where(w1, x, 0.0).sum(axis=-1) / n1
    m0 = np.where(w0, x, 0.0).sum(axis=-1) / n0
    return 0.5 * (m0 + m1), np.sign(m1 - m0)


def monte_carlo_se(rejections, n_replicates):
    r"""Monte Carlo standard error of a rejection rate, :math:`\sqrt{\hat r (1 - \hat r) / R}`.

    Examples
    --------
    >>> from clfcompare.calibration import monte_carlo_se
    >>> round(monte_carlo_se(50, 1000), 6)
    0.006892
    """
    k, n = _check_counts(rejections, n_replicates)
    r = k / n
    return math.sqrt(r * (1.0 - r) / n)


def binomial_interval(rejections, n_replicates, *, confidence_level=0.95, method="wilson"):
    r"""Two-sided confidence interval for a binomial proportion.

    Wilson's score interval, with :math:`z = \Phi^{-1}(1 - (1 - \gamma)/2)`:

    .. math::

        \frac{k + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}\sqrt{\frac{k (n - k)}{n} + \frac{z^2}{4}}

    or the exact Clopper–Pearson interval,
    :math:`[B(\tfrac{1-\gamma}{2}; k, n - k + 1),\; B(\tfrac{1+\gamma}{2}; k + 1, n - k)]`
    with :math:`B(q; a, b)` the beta quantile (0 and 1 at :math:`k = 0` and :math:`k = n`).

    Parameters
    ----------
    rejections : int
        :math:`k`, number of successes.
    n_replicates : int
        :math:`n`, number of trials (positive).
    confidence_level : float, default=0.95
        :math:`\gamma`.
    method : {"wilson", "clopper-pearson"}, default="wilson"

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> from clfcompare.calibration import binomial_interval
    >>> from statsmodels.stats.proportion import proportion_confint
    >>> lo, hi = binomial_interval(7, 100)
    >>> ref = proportion_confint(7, 100, alpha=0.05, method="wilson")
    >>> bool(abs(lo - ref[0]) < 1e-12 and abs(hi - ref[1]) < 1e-12)
    True
    """
    k, n = _check_counts(rejections, n_replicates)
    gamma = check_real(confidence_level, "confidence_level", **_OPEN_UNIT)
    if method == "wilson":
        z = special.ndtri(0.5 + 0.5 * gamma)
        centre = (k + 0.5 * z * z) / (n + z * z)
        half = z / (n + z * z) * math.sqrt(k * (n - k) / n + 0.25 * z * z)
        # exact ends at k = 0 and k = n (the formula gives them up to rounding)
        low = 0.0 if k == 0 else max(0.0, centre - half)
        high = 1.0 if k == n else min(1.0, centre + half)
        return low, high
    if method == "clopper-pearson":
        tail = 0.5 * (1.0 - gamma)
        low = 0.0 if k == 0 else float(sps.beta.ppf(tail, k, n - k + 1))
        high = 1.0 if k == n else float(sps.beta.ppf(1.0 - tail, k + 1, n - k))
        return low, high
    raise ValueError(f"method must be 'wilson' or 'clopper-pearson', got {method!r}")


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _check_counts(rejections, n_replicates):
    n = check_int(n_replicates, "n_replicates", low=1)
    k = check_int(rejections, "rejections", low=0)
    if k > n:
        raise ValueError(f"rejections must not exceed n_replicates ({n}), got {k}")
    return k, n


def _check_effects(effect, base_accuracy):
    scalar = np.ndim(effect) == 0
    values = [effect] if scalar else list(np.asarray(effect, dtype=object).ravel())
    if not values:
        raise ValueError("effect must contain at least one value, got an empty sequence")
    effects = [check_real(v, "effect") for v in values]
    for e in effects:
        if not 0.5 <= base_accuracy + e < 1.0:
            raise ValueError(
                "base_accuracy + effect must lie in [0.5, 1) (the accuracy of the better "
                f"feature), got base_accuracy={base_accuracy} and effect={e}"
            )
    if len(set(effects)) != len(effects):
        raise ValueError(f"effects must be distinct, got {effects}")
    return effects


def _check_tests(tests):
    if tests is None:
        return list(TESTS)
    if isinstance(tests, str):
        tests = [tests]
    tests = list(tests)
    unknown = [t for t in tests if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown test(s) {unknown}; expected names from {list(TESTS)}")
    if not tests:
        raise ValueError("tests must name at least one test")
    return [t for t in TESTS if t in tests]


def _seed_sequence(random_state):
    if random_state is None or isinstance(random_state, Integral):
        if isinstance(random_state, bool):
            raise TypeError("random_state must be None, an int, a SeedSequence or a generator")
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return np.random.SeedSequence(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**63, size=2).tolist())
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**31, size=4).tolist())
    raise TypeError(
        "random_state must be None, an int, a numpy SeedSequence, Generator or RandomState, "
        f"got {type(random_state).__name__}"
    )


# --------------------------------------------------------------------------------------------
# the simulation
# --------------------------------------------------------------------------------------------
def _labels(n_samples):
    n0 = n_samples // 2
    return np.repeat(np.array([0, 1]), [n0, n_samples - n0])


def _evaluate(x, y, test_mask, separation):
    """Fit on the complement of each test mask, score on it.

    ``x`` (B, n); ``test_mask`` (B, R, K, n). Returns accuracy (B, R, K), the closed-form
    population accuracy (B, R, K) and the predictions (B, R, K, n).
    """
    xb = x[:, None, None, :]
    threshold, direction = fit_nearest_mean(xb, y, ~test_mask)
    pred = direction[..., None] * (xb - threshold[..., None]) > 0
    correct = pred == (y == 1)
    accuracy = (correct & test_mask).sum(axis=-1) / test_mask.sum(axis=-1)
    return accuracy, conditional_accuracy(threshold, direction, separation), pred


def _protocol_masks(y, uniforms):
    """Test masks (B, R, K, n) of the 10x10 CV, 5x2 CV and hold-out splits."""
    k10 = np.arange(10)[:, None]
    k2 = np.arange(2)[:, None]
    folds10 = stratified_fold_ids(y, 10, uniforms[:, :_N_REPEATS_10])
    folds2 = stratified_fold_ids(y, 2, uniforms[:, _N_REPEATS_10 : _N_REPEATS_10 + _N_REPEATS_2])
    parts = stratified_fold_ids(y, _HOLDOUT_PARTS, uniforms[:, -1:])
    return {
        "10x10": folds10[:, :, None, :] == k10,
        "5x2": folds2[:, :, None, :] == k2,
        "holdout": (parts == 0)[:, :, None, :],
    }


def _size_arg(sizes):
    """Mean split size, as an int when it is one."""
    value = float(np.mean(sizes))
    return int(value) if value.is_integer() else value


def _run_test(name, data, rope, threshold, alpha):
    """Apply one test to one replicate; returns the per-replicate record fields."""
    pvalue = prob_worse = prob_better = np.nan
    if name == "corrected_ttest":
        res = corrected_ttest(data["a10x10"], data["b10x10"], data["n_train"], data["n_test"])
    elif name == "paired_ttest_10x10":
        res = paired_ttest(data["a10x10"], data["b10x10"])
    elif name == "paired_ttest_10fold":
        res = paired_ttest(data["a10"], data["b10"])
    elif name == "wilcoxon_10x10":
        res = wilcoxon_test(data["a10x10"], data["b10x10"])
    elif name == "wilcoxon_10fold":
        res = wilcoxon_test(data["a10"], data["b10"])
    elif name == "paired_ttest_5x2cv":
        res = paired_ttest_5x2cv(data["a5x2"], data["b5x2"])
    elif name == "combined_ftest_5x2cv":
        res = combined_ftest_5x2cv(data["a5x2"], data["b5x2"])
    elif name in ("mcnemar_exact", "mcnemar_chi2"):
        res = mcnemar(
            data["y_hold"], data["pred_a_hold"], data["pred_b_hold"], exact=name == "mcnemar_exact"
        )
    else:  # bayesian_correlated_ttest
        res = bayesian_correlated_ttest(
            data["a10x10"], data["b10x10"], data["n_train"], data["n_test"], rope=rope
        )
        prob_worse, prob_better = float(res.prob_worse), float(res.prob_better)
        undefined = not (math.isfinite(prob_worse) and math.isfinite(prob_better))
        reject = (not undefined) and (prob_better > threshold or prob_worse > threshold)
        return pvalue, prob_worse, prob_better, reject, undefined
    pvalue = float(res.pvalue)
    undefined = not math.isfinite(pvalue)
    return pvalue, prob_worse, prob_better, (not undefined) and pvalue <= alpha, undefined


def _simulate_block(
    seeds, first, effects, n_samples, base_accuracy, tests, alpha, rope, threshold
):
    """All replicates of one block (vectorised fits, one test call per replicate and test)."""
    y = _labels(n_samples)
    noise = np.empty((len(seeds), 2, n_samples))
    uniforms = np.empty((len(seeds), _N_ORDERS, n_samples))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        noise[i] = rng.standard_normal((2, n_samples))
        uniforms[i] = rng.random((_N_ORDERS, n_samples))
    masks = _protocol_masks(y, uniforms)
    sizes = {p: m.sum(axis=-1) for p, m in masks.items()}
    n_test10, n_train10 = _size_arg(sizes["10x10"]), _size_arg(n_samples - sizes["10x10"])
    d_b = separation_for_accuracy(base_accuracy)
    centred = y - 0.5
    records = []
    for effect in effects:
        d_a = separation_for_accuracy(base_accuracy + effect)
        x = {"a": noise[:, 0] + centred * d_a, "b": noise[:, 1] + centred * d_b}
        sep = {"a": d_a, "b": d_b}
        out = {
            (arm, p): _evaluate(x[arm], y, m, sep[arm]) for arm in "ab" for p, m in masks.items()
        }
        # true (closed-form) and observed accuracy differences per replicate and protocol
        true_diff, obs_diff = {}, {}
        for key, proto, sl in (
            ("10x10", "10x10", np.s_[:, :, :]),
            ("10fold", "10x10", np.s_[:, :1, :]),
            ("5x2", "5x2", np.s_[:, :, :]),
            ("holdout", "holdout", np.s_[:, :, :]),
        ):
            acc_a, cond_a, _ = out["a", proto]
            acc_b, cond_b, _ = out["b", proto]
            true_diff[key] = (cond_a[sl] - cond_b[sl]).mean(axis=(1, 2))
            obs_diff[key] = (acc_a[sl] - acc_b[sl]).mean(axis=(1, 2))
        hold = masks["holdout"][:, 0, 0]
        for i in range(len(seeds)):
            data = {
                "a10x10": out["a", "10x10"][0][i].ravel(),
                "b10x10": out["b", "10x10"][0][i].ravel(),
                "a10": out["a", "10x10"][0][i, 0],
                "b10": out["b", "10x10"][0][i, 0],
                "a5x2": out["a", "5x2"][0][i],
                "b5x2": out["b", "5x2"][0][i],
                "n_train": n_train10,
                "n_test": n_test10,
                "y_hold": y[hold[i]],
                "pred_a_hold": out["a", "holdout"][2][i, 0, 0, hold[i]].astype(int),
                "pred_b_hold": out["b", "holdout"][2][i, 0, 0, hold[i]].astype(int),
            }
            for name in tests:
                start = time.process_time()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    pvalue, p_worse, p_better, reject, undefined = _run_test(
                        name, data, rope, threshold, alpha
                    )
                cpu = time.process_time() - start
                key = _TRUE_KEY[TESTS[name]]
                records.append(
                    (
                        first + i,
                        effect,
                        name,
                        TESTS[name],
                        pvalue,
                        p_worse,
                        p_better,
                        bool(reject),
                        bool(undefined),
                        len(caught),
                        float(true_diff[key][i]),
                        float(obs_diff[key][i]),
                        cpu,
                    )
                )
    return records


_TRUE_KEY = {
    "10x10 CV": "10x10",
    "10-fold CV": "10fold",
    "5x2 CV": "5x2",
    "hold-out 1/3": "holdout",
}

_REPLICATE_COLUMNS = [
    "replicate",
    "effect",
    "test",
    "protocol",
    "pvalue",
    "prob_worse",
    "prob_better",
    "reject",
    "undefined",
    "n_warnings",
    "true_difference",
    "observed_difference",
    "cpu_s",
]


def simulate_replicates(
    n_replicates=1000,
    effect=0.0,
    alpha=0.05,
    n_samples=300,
    *,
    base_accuracy=0.75,
    rope=0.01,
    threshold=0.95,
    tests=None,
    random_state=None,
    n_jobs=None,
):
    r"""Run the simulation and return one row per replicate, effect and test.

    See the module documentation for the data, the learner and the protocols.

    Parameters
    ----------
    n_replicates : int, default=1000
        Number of simulated data sets (per effect).
    effect : float or sequence of float, default=0.0
        Difference :math:`\delta` of the population accuracies of the two features (A minus B);
        0 is the null. Several effects share the same random numbers.
    alpha : float, default=0.05
        Significance level of the frequentist tests.
    n_samples : int, default=300
        Size of every simulated data set (at least 20; two classes of ``n_samples // 2`` and the
        rest).
    base_accuracy : float, default=0.75
        Population accuracy of feature B, in ``[0.5, 1)``.
    rope : float, default=0.01
        Region of practical equivalence of the Bayesian correlated t-test.
    threshold : float, default=0.95
        The Bayesian test rejects equality when ``prob_better`` or ``prob_worse`` exceeds it.
    tests : sequence of str or None, default=None
        Names from :data:`TESTS`; None runs all.
    random_state : None, int, SeedSequence, Generator or RandomState, default=None
        Seeds the replicates (see the module documentation).
    n_jobs : int or None, default=None
        joblib workers over blocks of :data:`BLOCK_SIZE` replicates (None: one, -1: all cores).
        Results do not depend on it.

    Returns
    -------
    DataFrame
        Columns ``replicate`` (int), ``effect``, ``test``, ``protocol``, ``pvalue`` (NaN for
        the Bayesian test), ``prob_worse``, ``prob_better`` (NaN for the frequentist tests),
        ``reject`` (bool), ``undefined`` (bool: the test returned NaN, counted as no rejection),
        ``n_warnings`` (warnings the call emitted; they are recorded, not shown),
        ``true_difference`` (closed-form expected accuracy difference A - B of the fitted
        models, mean over the protocol's splits), ``observed_difference`` (mean accuracy
        difference over the protocol's splits), ``cpu_s`` (CPU seconds of the test call; the
        only column that is not reproducible).

    Examples
    --------
    >>> from clfcompare.calibration import simulate_replicates
    >>> reps = simulate_replicates(4, tests=["corrected_ttest", "mcnemar_exact"], random_state=0)
    >>> reps.shape
    (8, 13)
    >>> bool(reps["pvalue"].between(0, 1).all())
    True
    """
    n_replicates = check_int(n_replicates, "n_replicates", low=1)
    n_samples = check_int(n_samples, "n_samples", low=20)
    alpha = check_real(alpha, "alpha", **_OPEN_UNIT)
    base_accuracy = check_real(base_accuracy, "base_accuracy", low=0.5, high=1.0, high_open=True)
    effects = _check_effects(effect, base_accuracy)
    rope = check_real(rope, "rope", low=0.0)
    threshold = check_real(threshold, "threshold", **_OPEN_UNIT)
    tests = _check_tests(tests)
    n_jobs = check_int(n_jobs, "n_jobs", allow_none=True)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use None or 1 for one worker, -1 for all)")

    seeds = _seed_sequence(random_state).spawn(n_replicates)
    starts = range(0, n_replicates, BLOCK_SIZE)
    blocks = Parallel(n_jobs=n_jobs)(
        delayed(_simulate_block)(
            seeds[s : s + BLOCK_SIZE],
            s,
            effects,
            n_samples,
            base_accuracy,
            tests,
            alpha,
            rope,
            threshold,
        )
        for s in starts
    )
    frame = pd.DataFrame([r for block in blocks for r in block], columns=_REPLICATE_COLUMNS)
    order = {t: i for i, t in enumerate(tests)}
    frame = frame.sort_values(
        ["effect", "test", "replicate"], key=lambda c: c.map(order) if c.name == "test" else c
    )
    return frame.reset_index(drop=True)


def summarize_rejections(replicates, *, alpha=0.05, confidence_level=0.95, method="wilson"):
    """Rejection rates with Monte Carlo standard errors and intervals.

    Parameters
    ----------
    replicates : DataFrame
        As returned by :func:`simulate_replicates`.
    alpha : float, default=0.05
        The level the decisions were made at (copied into the table).
    confidence_level : float, default=0.95
        Of the interval for each rate.
    method : {"wilson", "clopper-pearson"}, default="wilson"

    Returns
    -------
    DataFrame
        One row per (effect, test): ``test``, ``protocol``, ``effect``, ``true_difference``
        and ``observed_difference`` (means over replicates), ``alpha``, ``n_replicates``,
        ``rejections``, ``rate``, ``mc_se``, ``ci_low``, ``ci_high``, ``n_undefined``,
        ``n_warnings``, ``cpu_s`` (total CPU seconds spent in the test's calls).
    """
    if not isinstance(replicates, pd.DataFrame):
        raise TypeError(
            f"replicates must be the DataFrame of simulate_replicates, got {type(replicates)}"
        )
    missing = set(_REPLICATE_COLUMNS) - set(replicates.columns)
    if missing:
        raise ValueError(f"replicates lacks the column(s) {sorted(missing)}")
    if replicates.empty:
        raise ValueError("replicates is empty")
    alpha = check_real(alpha, "alpha", **_OPEN_UNIT)
    rows = []
    order = list(dict.fromkeys(replicates["test"]))
    for (effect, test), g in replicates.groupby(["effect", "test"], sort=False):
        n = len(g)
        k = int(g["reject"].sum())
        low, high = binomial_interval(k, n, confidence_level=confidence_level, method=method)
        rows.append(
            {
                "test": test,
                "protocol": g["protocol"].iloc[0],
                "effect": float(effect),
                "true_difference": float(g["true_difference"].mean()),
                "observed_difference": float(g["observed_difference"].mean()),
                "alpha": alpha,
                "n_replicates": n,
                "rejections": k,
                "rate": k / n,
                "mc_se": monte_carlo_se(k, n),
                "ci_low": low,
                "ci_high": high,
                "n_undefined": int(g["undefined"].sum()),
                "n_warnings": int(g["n_warnings"].sum()),
                "cpu_s": float(g["cpu_s"].sum()),
            }
        )
    table = pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
    table["_order"] = table["test"].map({t: i for i, t in enumerate(order)})
    table = table.sort_values(["effect", "_order"]).drop(columns="_order")
    return table.reset_index(drop=True)


def simulate_rejection_rates(
    n_replicates=1000,
    effect=0.0,
    alpha=0.05,
    n_samples=300,
    *,
    base_accuracy=0.75,
    rope=0.01,
    threshold=0.95,
    tests=None,
    interval="wilson",
    random_state=None,
    n_jobs=None,
):
    """Rejection rate of every test (Type I error at ``effect=0``, power otherwise).

    :func:`simulate_replicates` followed by :func:`summarize_rejections`; the parameters are
    theirs (``interval`` is the ``method`` of the 95% interval).

    Returns
    -------
    DataFrame
        One row per (effect, test); columns ``test``, ``protocol``, ``effect``,
        ``true_difference``, ``observed_difference``, ``alpha``, ``n_replicates``,
        ``rejections``, ``rate``, ``mc_se``, ``ci_low``, ``ci_high``, ``n_undefined``,
        ``n_warnings``, ``cpu_s``.

    Examples
    --------
    >>> from clfcompare.calibration import simulate_rejection_rates
    >>> table = simulate_rejection_rates(50, tests=["paired_ttest_5x2cv"], random_state=0)
    >>> table[["test", "n_replicates"]].values.tolist()
    [['paired_ttest_5x2cv', 50]]
    >>> row = table.iloc[0]
    >>> bool(row.ci_low <= row.rate <= row.ci_high)
    True
    """
    if interval not in ("wilson", "clopper-pearson"):
        raise ValueError(f"interval must be 'wilson' or 'clopper-pearson', got {interval!r}")
    reps = simulate_replicates(
        n_replicates,
        effect,
        alpha,
        n_samples,
        base_accuracy=base_accuracy,
        rope=rope,
        threshold=threshold,
        tests=tests,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    return summarize_rejections(reps, alpha=alpha, method=interval)


def power_curve(
    effects=(0.0, 0.025, 0.05, 0.075, 0.1, 0.125),
    n_replicates=1000,
    alpha=0.05,
    n_samples=300,
    **kwargs,
):
    """Rejection rate of every test as a function of the true accuracy difference.

    The effects share their random numbers (same data noise and splits), so the curves are
    smooth. Keyword arguments go to :func:`simulate_rejection_rates`.

    Returns
    -------
    DataFrame
        As :func:`simulate_rejection_rates`, one row per (effect, test).

    Examples
    --------
    >>> from clfcompare.calibration import power_curve
    >>> t = power_curve([0.0, 0.1], 20, tests=["corrected_ttest"], random_state=0)
    >>> t["effect"].tolist()
    [0.0, 0.1]
    """
    if np.ndim(effects) != 1:
        raise ValueError(f"effects must be a 1-D sequence of floats, got {effects!r}")
    return simulate_rejection_rates(n_replicates, list(effects), alpha, n_samples, **kwargs)


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def _check_table(table):
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame of rejection rates, got {type(table)}")
    missing = {"test", "protocol", "effect", "rate", "ci_low", "ci_high", "alpha"} - set(
        table.columns
    )
    if missing:
        raise ValueError(f"table lacks the column(s) {sorted(missing)}")
    if table.empty:
        raise ValueError("table is empty")


def _table_axes(table, ax, figsize):
    """Validate a rejection-rate table; return ``ax``, or the Axes of a new figure of size
    ``figsize(table)``."""
    _check_table(table)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize(table))
    return ax


def _draw_alpha(table, line):
    """Mark each level ``alpha`` of ``table`` with ``line`` (``ax.axvline`` or ``ax.axhline``)."""
    for a in sorted(table["alpha"].unique()):
        line(a, color="k", linestyle="--", linewidth=1, label=f"α = {a:g}")


def plot_rejection_rates(table, *, ax=None):
    """Rejection rate of each test with its interval, and the level α.

    One row per test (labelled with its protocol); with several effects in ``table``, one
    marker series per effect.

    Parameters
    ----------
    table : DataFrame
        From :func:`simulate_rejection_rates` or :func:`power_curve`.
    ax : matplotlib Axes or None, default=None
        Drawn into; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clfcompare.calibration import plot_rejection_rates, simulate_rejection_rates
    >>> table = simulate_rejection_rates(
    ...     20, tests=["corrected_ttest", "paired_ttest_10x10"], random_state=0
    ... )
    >>> ax = plot_rejection_rates(table)
    >>> ax.get_xlabel()
    'rejection rate'
    """
    ax = _table_axes(table, ax, lambda t: (7.0, 0.45 * t["test"].nunique() + 1.5))
    tests = list(dict.fromkeys(table["test"]))
    effects = sorted(table["effect"].unique())
    labels = [f"{t} ({table.loc[table.test == t, 'protocol'].iloc[0]})" for t in tests]
    pos = {t: i for i, t in enumerate(tests)}
    width = 0.6
    for j, effect in enumerate(effects):
        sub = table[table["effect"] == effect]
        offset = 0.0 if len(effects) == 1 else width * (j / (len(effects) - 1) - 0.5)
        yy = sub["test"].map(pos).to_numpy() + offset
        rate = sub["rate"].to_numpy()
        err = np.vstack([rate - sub["ci_low"].to_numpy(), sub["ci_high"].to_numpy() - rate])
        err = np.clip(err, 0.0, None)
        ax.errorbar(rate, yy, xerr=err, fmt="o", capsize=3, label=f"effect = {effect:g}")
    _draw_alpha(table, ax.axvline)
    ax.set_yticks(range(len(tests)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, min(1.0, max(0.1, float(table["ci_high"].max()) * 1.05)))
    ax.set_xlabel("rejection rate")
    ax.set_title("Rejection rates with 95% intervals")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_power_curve(table, *, ax=None):
    """Rejection rate against the effect, one line (and interval band) per test.

    Parameters
    ----------
    table : DataFrame
        From :func:`power_curve` (several effects).
    ax : matplotlib Axes or None, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clfcompare.calibration import plot_power_curve, power_curve
    >>> ax = plot_power_curve(power_curve([0.0, 0.1], 10, tests=["mcnemar_exact"], random_state=0))
    >>> len(ax.get_lines()) >= 1
    True
    """
    ax = _table_axes(table, ax, lambda t: (7.0, 4.5))
    for test, sub in table.groupby("test", sort=False):
        sub = sub.sort_values("effect")
        (line,) = ax.plot(sub["effect"], sub["rate"], marker="o", label=test)
        ax.fill_between(
            sub["effect"], sub["ci_low"], sub["ci_high"], color=line.get_color(), alpha=0.1
        )
    _draw_alpha(table, ax.axhline)
    ax.set_xlabel("effect: difference of population accuracies (A - B)")
    ax.set_ylabel("rejection rate")
    ax.set_ylim(0, 1)
    ax.set_title("Power (effect > 0) and Type I error (effect = 0)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
