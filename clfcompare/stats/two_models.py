"""Two models on one data set, from their scores on the same resampling splits.

The splits of one data set share training data, so their scores are correlated; which test
applies depends on how the splits were made:

- repeated k-fold cross-validation (``run_trials``' default): :func:`corrected_ttest`
  (Nadeau and Bengio), which inflates the variance for the overlap between training sets;
- five repetitions of 2-fold CV: :func:`paired_ttest_5x2cv` (Dietterich) and
  :func:`combined_ftest_5x2cv` (Alpaydın), with :func:`run_5x2cv` to produce the scores;
- repeated k-fold cross-validation plus ``M`` random half/half partitions of the rows with a
  CV inside each half (``clfcompare.trials.RepeatedKFoldWithHalves``): :func:`conservative_z`
  (Nadeau and Bengio), whose variance comes from independent halves and so also holds for
  unstable learners (trees, 1-NN, neural networks), where :func:`corrected_ttest` is liberal;
- independent pairs (not CV folds): :func:`paired_ttest`, anti-conservative on CV folds.

The Bayesian counterpart of :func:`corrected_ttest` is in :mod:`clfcompare.stats.bayesian`;
the signed-rank test in :mod:`clfcompare.stats.across_datasets`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from sklearn.utils import check_consistent_length

from clfcompare._checks import check_bool, check_finite, check_level
from clfcompare.stats._common import (
    as_float_array,
    check_alternative,
    input_eps,
    mean_and_std,
    mean_size,
    paired_differences,
    power_of_two_scale,
    ratio,
    t_pvalue,
)
from clfcompare.stats._results import TestResult

__all__ = [
    "combined_ftest_5x2cv",
    "conservative_z",
    "corrected_ttest",
    "paired_ttest",
    "paired_ttest_5x2cv",
    "run_5x2cv",
]


# --------------------------------------------------------------------------------------------
# t-tests on per-split differences
# --------------------------------------------------------------------------------------------
def _t_test(d, tol, variance_factor, *, test, alternative, confidence_level):
    """Shared core of the (corrected) paired t-tests.

    ``t = mean(d) / sqrt(variance_factor * var(d))`` with ``df = J - 1``.
    """
    check_alternative(alternative)
    confidence_level = check_level(confidence_level)
    n = d.size
    df = n - 1
    mean, std = mean_and_std(d, tol)
    std_error = math.sqrt(variance_factor) * std
    statistic = ratio(mean, std_error)
    pvalue = t_pvalue(statistic, df, alternative)
    if alternative == "two-sided":
        half = sps.t.ppf(0.5 + confidence_level / 2, df) * std_error
        ci_low, ci_high = mean - half, mean + half
    elif alternative == "greater":
        ci_low, ci_high = mean - sps.t.ppf(confidence_level, df) * std_error, math.inf
    else:
        ci_low, ci_high = -math.inf, mean + sps.t.ppf(confidence_level, df) * std_error
    return TestResult(
        test=test,
        statistic=statistic,
        pvalue=pvalue,
        df=df,
        mean_difference=mean,
        ci_low=ci_low,
        ci_high=ci_high,
        alternative=alternative,
        confidence_level=confidence_level,
        std_error=std_error,
        n=n,
    )


def corrected_ttest(
    scores_a, scores_b, n_train, n_test, *, alternative="two-sided", confidence_level=0.95
):
    r"""Nadeau and Bengio's corrected resampled t-test for repeated cross-validation.

    The folds of (repeated) cross-validation share training data, so their scores are
    positively correlated and the plain paired t-test underestimates the variance of the mean
    difference. Nadeau and Bengio replace the factor :math:`1/J` by
    :math:`1/J + n_{test}/n_{train}`.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
        Scores of models A and B on the same J splits (higher is better).
    n_train, n_test : int or array-like of shape (J,)
        Training- and test-set sizes. Per-split sizes (k-fold splits may differ by one row) are
        averaged: the correction uses ``mean(n_test) / mean(n_train)``.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: A is better than B (mean difference > 0).
    confidence_level : float, default=0.95
        Level of the confidence interval of the mean difference.

    Returns
    -------
    TestResult
        ``statistic`` is t, ``df = J - 1``, ``std_error`` the corrected standard error.

    Notes
    -----
    With differences :math:`d_j = a_j - b_j`, :math:`j = 1..J`, mean :math:`\bar d` and sample
    variance :math:`\hat\sigma^2` (``ddof=1``):

    .. math::

        t = \frac{\bar d}{\sqrt{\left(\frac{1}{J} + \frac{n_{test}}{n_{train}}\right)
        \hat\sigma^2}}, \qquad t \sim t_{J-1}.

    The confidence interval is :math:`\bar d \pm t_{J-1, 1-\alpha/2}\,\mathrm{SE}`. With zero
    variance the statistic is 0 (all differences 0; p = 1) or :math:`\pm\infty` (a constant
    nonzero difference; p = 0), see the notes of :mod:`clfcompare.stats`.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine
       Learning 52, 239-281 (2003).
    .. [2] R. Bouckaert and E. Frank, "Evaluating the replicability of significance tests for
       comparing learning algorithms", PAKDD 2004.

    Examples
    --------
    >>> from clfcompare.stats import corrected_ttest
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84, 0.81, 0.86]
    >>> b = [0.80, 0.82, 0.80, 0.83, 0.82, 0.83, 0.80, 0.83, 0.80, 0.84]
    >>> res = corrected_ttest(a, b, n_train=180, n_test=20)
    >>> round(res.statistic, 3), round(res.pvalue, 4), res.df
    (3.841, 0.004, 9.0)
    """
    d, tol = paired_differences(scores_a, scores_b)
    n = d.size
    mean_train = mean_size(n_train, n, "n_train")
    mean_test = mean_size(n_test, n, "n_test")
    factor = 1.0 / n + mean_test / mean_train
    return _t_test(
        d,
        tol,
        factor,
        test="corrected_ttest",
        alternative=alternative,
        confidence_level=confidence_level,
    )


def paired_ttest(scores_a, scores_b, *, alternative="two-sided", confidence_level=0.95):
    r"""Plain (uncorrected) paired t-test.

    Valid for independent pairs (e.g. scores on different data sets). On the folds of
    cross-validation it is anti-conservative (rejects a true null too often) because folds
    share training data; use :func:`corrected_ttest` there.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
        Paired scores.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
    confidence_level : float, default=0.95

    Returns
    -------
    TestResult

    Notes
    -----
    .. math::

        t = \frac{\bar d}{\hat\sigma / \sqrt{J}}, \qquad t \sim t_{J-1},

    the same as :func:`scipy.stats.ttest_rel`, except for the zero-variance convention in the
    notes of :mod:`clfcompare.stats`.

    Examples
    --------
    >>> from clfcompare.stats import paired_ttest
    >>> res = paired_ttest([0.9, 0.8, 0.85, 0.95], [0.8, 0.8, 0.8, 0.85])
    >>> round(res.statistic, 4), round(res.pvalue, 4)
    (2.6112, 0.0796)
    """
    d, tol = paired_differences(scores_a, scores_b)
    return _t_test(
        d,
        tol,
        1.0 / d.size,
        test="paired_ttest",
        alternative=alternative,
        confidence_level=confidence_level,
    )


# --------------------------------------------------------------------------------------------
# Nadeau and Bengio's conservative Z (main CV + independent halves)
# --------------------------------------------------------------------------------------------
_HALF_SHAPES = "(M, 2, F) (partition, half, inner fold) or (M, 2) (averaged over the folds)"


def _half_gaps(half_scores_a, half_scores_b):
    """``mu_m^0 - mu_m^1`` per partition (M,) from validated half scores; gaps within
    rounding (package notes) are exactly 0."""
    arrays = []
    for name, values in (("half_scores_a", half_scores_a), ("half_scores_b", half_scores_b)):
        arr = as_float_array(values, name)
        if arr.ndim not in (2, 3) or arr.shape[1] != 2 or 0 in arr.shape:
            raise ValueError(f"{name} must be shaped {_HALF_SHAPES}, got shape {arr.shape}")
        check_finite(arr, name)
        arrays.append(arr)
    a, b = arrays
    if a.shape != b.shape:
        raise ValueError(
            "half_scores_a and half_scores_b must have the same shape (paired scores on the "
            f"same half splits), got {a.shape} and {b.shape}"
        )
    eps = max(input_eps(half_scores_a), input_eps(half_scores_b))
    tol = 16 * eps * max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    d = a - b
    d[np.abs(d) <= tol] = 0.0
    mu = d.mean(axis=2) if d.ndim == 3 else d
    gap = mu[:, 0] - mu[:, 1]
    gap[np.abs(gap) <= tol] = 0.0
    return gap


def _normal_pvalue(z, alternative):
    if alternative == "two-sided":
        return float(min(1.0, 2.0 * sps.norm.sf(abs(z))))
    if alternative == "greater":
        return float(sps.norm.sf(z))
    return float(sps.norm.cdf(z))


def conservative_z(
    scores_a,
    scores_b,
    half_scores_a,
    half_scores_b,
    *,
    alternative="two-sided",
    confidence_level=0.95,
):
    r"""Nadeau and Bengio's conservative Z test: repeated CV plus independent half/half splits.

    The numerator is the mean difference over the main (repeated k-fold) CV, as for
    :func:`corrected_ttest`. The variance is not estimated from those correlated splits but
    from ``M`` random partitions of the rows into two disjoint halves: the CV estimate of the
    difference inside one half and inside the other are two independent realisations (at half
    the data), so their spread measures the variance that training-set variability adds, which
    the corrected t-test's factor ``n_test / n_train`` cannot see for unstable learners (fully
    grown trees, 1-NN, neural networks; measured in :mod:`clfcompare.calibration`). It
    estimates the variance at ``n / 2`` rows, roughly twice the variance at ``n``, so the test
    is conservative (hence the name): it holds its level for stable and unstable learners
    alike and pays for it in power.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
        Scores of models A and B on the J splits of the main CV (higher is better).
    half_scores_a, half_scores_b : array-like of shape (M, 2, F) or (M, 2)
        Scores on the half splits: ``[m, h, f]`` is inner fold ``f`` of the CV inside half
        ``h`` of partition ``m`` (``clfcompare.trials.RepeatedKFoldWithHalves`` makes these
        splits; ``TrialResults.score_table(metric, role="half")`` holds the scores), or
        ``[m, h]`` already averaged over the inner folds.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: A is better than B (mean difference > 0).
    confidence_level : float, default=0.95
        Level of the confidence interval of the mean difference.

    Returns
    -------
    TestResult
        ``test="conservative_z"``; ``statistic`` is Z, referred to N(0, 1) (``df`` is None);
        ``std_error`` is :math:`\hat\sigma`; ``n = J``.

    Notes
    -----
    With main-CV differences :math:`d_j = a_j - b_j` and, for partition :math:`m` and half
    :math:`h`, :math:`\mu_m^h` the mean over the inner folds of the differences:

    .. math::

        \hat\mu = \frac1J \sum_{j=1}^J d_j, \qquad
        \hat\sigma^2 = \frac{1}{2M} \sum_{m=1}^M \left(\mu_m^0 - \mu_m^1\right)^2, \qquad
        Z = \frac{\hat\mu}{\hat\sigma} \sim \mathcal N(0, 1),

    two-sided p-value :math:`2\,(1 - \Phi(|Z|))`, interval
    :math:`\hat\mu \pm z_{1-\alpha/2}\,\hat\sigma`. :math:`\hat\sigma^2` is unbiased for the
    variance of a CV estimate at ``n / 2`` rows (the halves are independent data sets), which
    exceeds that at ``n`` rows. With :math:`\hat\sigma = 0` the statistic is 0 (when
    :math:`\hat\mu = 0`; two-sided p = 1) or :math:`\pm\infty`, see the notes of
    :mod:`clfcompare.stats`. Nadeau and Bengio train on :math:`n/2 - n_2` rows inside each
    half (:math:`n_2` the main CV's test-set size), so that the inner test sets have the main
    CV's size: for a 10-fold main CV that is a 5-fold CV inside each half
    (``RepeatedKFoldWithHalves``' default ``inner_splits``). ``M = 10`` partitions
    held the level in every setting measured (``analyses/calibration.py``).

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine
       Learning 52, 239-281 (2003): the conservative Z.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import conservative_z
    >>> a = [0.84, 0.86, 0.83, 0.85, 0.87, 0.84]
    >>> b = [0.80, 0.83, 0.82, 0.81, 0.84, 0.82]
    >>> half_a = np.array([[0.82, 0.80], [0.81, 0.83], [0.80, 0.82]])
    >>> half_b = np.array([[0.79, 0.79], [0.80, 0.80], [0.79, 0.78]])
    >>> res = conservative_z(a, b, half_a, half_b)
    >>> round(res.statistic, 3), round(res.pvalue, 4), round(res.std_error, 4)
    (1.683, 0.0923, 0.0168)
    """
    check_alternative(alternative)
    confidence_level = check_level(confidence_level)
    d, _ = paired_differences(scores_a, scores_b, min_n=1)
    gap = _half_gaps(half_scores_a, half_scores_b)
    mean = float(np.mean(d))
    scale = power_of_two_scale(gap)
    std_error = scale * math.sqrt(float(np.sum((gap / scale) ** 2)) / (2.0 * gap.size))
    statistic = ratio(mean, std_error)
    if alternative == "two-sided":
        half = sps.norm.ppf(0.5 + confidence_level / 2) * std_error
        ci_low, ci_high = mean - half, mean + half
    elif alternative == "greater":
        ci_low, ci_high = mean - sps.norm.ppf(confidence_level) * std_error, math.inf
    else:
        ci_low, ci_high = -math.inf, mean + sps.norm.ppf(confidence_level) * std_error
    return TestResult(
        test="conservative_z",
        statistic=statistic,
        pvalue=_normal_pvalue(statistic, alternative),
        mean_difference=mean,
        ci_low=ci_low,
        ci_high=ci_high,
        alternative=alternative,
        confidence_level=confidence_level,
        std_error=std_error,
        n=d.size,
    )


# --------------------------------------------------------------------------------------------
# 5x2 cross-validation
# --------------------------------------------------------------------------------------------
def _differences_5x2(scores_a, scores_b):
    """Validated (5, 2) differences ``d``, ``d / scale`` and its per-replication variances.

    ``s_i^2 = sum_j (d_ij - mean_i)^2 = (d_i1 - d_i2)^2 / 2``, computed on ``d / scale``
    (a power of two, so that the squares neither underflow nor overflow; the statistics are
    scale-free); spreads within rounding (package notes) count as 0.
    """
    d, tol = paired_differences(scores_a, scores_b, shape=(5, 2))
    spread = d[:, 0] - d[:, 1]
    spread[np.abs(spread) <= tol] = 0.0
    scale = power_of_two_scale(d)
    return d, d / scale, (spread / scale) ** 2 / 2.0


def paired_ttest_5x2cv(scores_a, scores_b):
    r"""Dietterich's 5x2cv paired t-test.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (5, 2)
        Scores of models A and B; row i is replication i of 2-fold CV, column j the fold
        (as produced by :func:`run_5x2cv`).

    Returns
    -------
    TestResult
        ``statistic`` is t with ``df = 5``; ``mean_difference`` is the mean of all ten
        differences. No confidence interval is reported (the statistic's numerator is the single
        difference :math:`p_1^{(1)}`, not the mean).

    Notes
    -----
    With :math:`p_i^{(j)}` the difference in replication i, fold j,
    :math:`\bar p_i = (p_i^{(1)} + p_i^{(2)})/2` and
    :math:`s_i^2 = (p_i^{(1)} - \bar p_i)^2 + (p_i^{(2)} - \bar p_i)^2`:

    .. math::

        t = \frac{p_1^{(1)}}{\sqrt{\frac{1}{5}\sum_{i=1}^5 s_i^2}} \sim t_5.

    A zero denominator gives statistic 0 (when :math:`p_1^{(1)} = 0`) or :math:`\pm\infty`.

    References
    ----------
    .. [1] T. G. Dietterich, "Approximate statistical tests for comparing supervised
       classification learning algorithms", Neural Computation 10(7), 1895-1923 (1998).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import paired_ttest_5x2cv
    >>> a = np.array([[0.90, 0.88], [0.91, 0.87], [0.89, 0.90], [0.92, 0.88], [0.90, 0.89]])
    >>> b = np.array([[0.86, 0.86], [0.88, 0.85], [0.87, 0.86], [0.87, 0.87], [0.88, 0.85]])
    >>> res = paired_ttest_5x2cv(a, b)
    >>> round(res.statistic, 3), round(res.pvalue, 4)
    (2.349, 0.0657)
    """
    d, scaled, s2 = _differences_5x2(scores_a, scores_b)
    statistic = ratio(float(scaled[0, 0]), math.sqrt(float(np.mean(s2))))
    return TestResult(
        test="paired_ttest_5x2cv",
        statistic=statistic,
        pvalue=t_pvalue(statistic, 5, "two-sided"),
        df=5,
        mean_difference=float(np.mean(d)),
        n=10,
    )


def combined_ftest_5x2cv(scores_a, scores_b):
    r"""Alpaydın's combined 5x2cv F test.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (5, 2)
        As for :func:`paired_ttest_5x2cv`.

    Returns
    -------
    TestResult
        ``statistic`` is F with ``df = 10`` and ``df_denominator = 5``; the test is two-sided
        by construction (it squares the differences).

    Notes
    -----
    .. math::

        F = \frac{\sum_{i=1}^5 \sum_{j=1}^2 \left(p_i^{(j)}\right)^2}
                 {2 \sum_{i=1}^5 s_i^2} \sim F_{10, 5},

    with :math:`s_i^2` as in :func:`paired_ttest_5x2cv`. All differences zero gives F = 0
    (p = 1); a zero denominator with nonzero differences gives F = inf (p = 0).

    References
    ----------
    .. [1] E. Alpaydın, "Combined 5 x 2 cv F test for comparing supervised classification
       learning algorithms", Neural Computation 11(8), 1885-1892 (1999).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import combined_ftest_5x2cv
    >>> a = np.array([[0.90, 0.88], [0.91, 0.87], [0.89, 0.90], [0.92, 0.88], [0.90, 0.89]])
    >>> b = np.array([[0.86, 0.86], [0.88, 0.85], [0.87, 0.86], [0.87, 0.87], [0.88, 0.85]])
    >>> res = combined_ftest_5x2cv(a, b)
    >>> round(res.statistic, 3), round(res.pvalue, 4)
    (3.414, 0.0938)
    """
    d, scaled, s2 = _differences_5x2(scores_a, scores_b)
    statistic = ratio(float(np.sum(scaled**2)), 2.0 * float(np.sum(s2)))
    return TestResult(
        test="combined_ftest_5x2cv",
        statistic=statistic,
        pvalue=float(sps.f.sf(statistic, 10, 5)),
        df=10,
        df_denominator=5,
        mean_difference=float(np.mean(d)),
        n=10,
    )


def _take_rows(X, idx):
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    return X[idx]


def _check_estimator(model, name):
    """Raise ``TypeError`` unless ``model`` is an (unfitted) estimator instance."""
    if isinstance(model, type):
        raise TypeError(
            f"{name} is the class {model.__name__}, not an estimator instance; "
            f"use {model.__name__}()"
        )
    if not all(callable(getattr(model, m, None)) for m in ("fit", "predict", "get_params")):
        raise TypeError(
            f"{name} must be an sklearn estimator (with fit, predict and get_params), "
            f"got {type(model).__name__}"
        )


def run_5x2cv(model_a, model_b, X, y, *, scoring="accuracy", random_state=None, stratify=True):
    """Score two models on five replications of 2-fold cross-validation.

    Each replication shuffles the data afresh (drawn from ``random_state``), splits it in two
    halves (stratified by ``y`` by default), trains clones of both models on one half and
    scores them on the other, then swaps the halves. Both models see the same splits.

    Parameters
    ----------
    model_a, model_b : estimator
        scikit-learn estimators; they are cloned, never fitted in place.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    scoring : str or callable, default="accuracy"
        A scikit-learn scoring name or a scorer ``scorer(estimator, X, y)`` (higher is better).
    random_state : int, RandomState instance or None, default=None
        Seeds the five shuffles (``RepeatedStratifiedKFold(n_splits=2, n_repeats=5)``).
    stratify : bool, default=True
        Stratify the halves by ``y`` (classification); ``False`` uses plain ``RepeatedKFold``.

    Returns
    -------
    scores_a, scores_b : ndarray of shape (5, 2)
        Row i is replication i, column j the half used as test set.

    Notes
    -----
    mlxtend's ``paired_ttest_5x2cv`` splits with ``train_test_split`` (not stratified) and its
    own seeding, so its scores for the same ``random_state`` differ from these; given the same
    scores, :func:`paired_ttest_5x2cv` and :func:`combined_ftest_5x2cv` reproduce its
    statistics.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from clfcompare.stats import run_5x2cv, paired_ttest_5x2cv
    >>> X, y = load_iris(return_X_y=True)
    >>> sa, sb = run_5x2cv(GaussianNB(), DecisionTreeClassifier(random_state=0), X, y,
    ...                    random_state=0)
    >>> sa.shape, sb.shape
    ((5, 2), (5, 2))
    >>> res = paired_ttest_5x2cv(sa, sb)
    >>> 0 <= res.pvalue <= 1
    True
    """
    for name, model in (("model_a", model_a), ("model_b", model_b)):
        _check_estimator(model, name)
    stratify = check_bool(stratify, "stratify")
    if isinstance(scoring, (list, tuple, set, dict)):
        raise TypeError(
            "scoring must be one scoring name (str) or a callable scorer: the 5x2cv tests "
            f"compare one metric; got {type(scoring).__name__} {scoring!r}"
        )
    if not hasattr(X, "iloc") and not hasattr(X, "shape"):
        X = np.asarray(X)
    y_arr = np.asarray(y)
    check_consistent_length(X, y_arr)
    splitter_cls = RepeatedStratifiedKFold if stratify else RepeatedKFold
    splitter = splitter_cls(n_splits=2, n_repeats=5, random_state=random_state)
    scorer = check_scoring(model_a, scoring=scoring)
    scores = np.empty((2, 10))
    for s, (train, test) in enumerate(splitter.split(X, y_arr)):
        X_train, X_test = _take_rows(X, train), _take_rows(X, test)
        for m, model in enumerate((model_a, model_b)):
            fitted = clone(model).fit(X_train, y_arr[train])
            scores[m, s] = scorer(fitted, X_test, y_arr[test])
    return scores[0].reshape(5, 2), scores[1].reshape(5, 2)
