"""Significance tests for comparing classifiers.

Plain functions over per-split scores (or per-sample predictions), each returning a small
frozen result object. Differences are always ``scores_a - scores_b``; scores are assumed to be
"higher is better" (scikit-learn's scorer convention), so a positive difference means model A
did better.

Which test to use
-----------------
- Repeated k-fold cross-validation (the default of ``run_trials``): :func:`corrected_ttest`
  (Nadeau and Bengio) and :func:`bayesian_correlated_ttest` (Benavoli et al.). Both inflate the
  variance for the overlap between training sets. The plain :func:`paired_ttest` and
  :func:`wilcoxon_test` treat the folds as independent, which they are not, and reject a true
  null hypothesis too often on CV folds.
- Five repetitions of 2-fold CV: :func:`paired_ttest_5x2cv` (Dietterich) and
  :func:`combined_ftest_5x2cv` (Alpaydın), with :func:`run_5x2cv` to produce the scores.
- One test set, per-sample predictions: :func:`mcnemar`.
- More than two models over several data sets: :func:`friedman_nemenyi`.
- A whole :class:`~clfcompare.trials.TrialResults`: :func:`compare`.

Degenerate inputs
-----------------
Differences whose magnitude is within floating-point rounding of the scores
(``16 * eps * max|score|``, ``eps`` that of the scores' floating type: float32 scores are
rounded at float32 precision) are treated as exactly zero, so that, e.g., accuracies
``0.9 - 0.8`` and ``0.8 - 0.7`` count as the same difference (and :func:`wilcoxon_test` ranks
magnitudes within that tolerance of each other as ties). When the differences have zero
variance the t-type statistics are ``0`` (all differences zero: identical models, p-value 1 for a
two-sided test) or ``+/-inf`` (a constant nonzero difference, p-value 0 for a two-sided test);
they are never NaN.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import special as sps_special
from scipy import stats as sps
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
from sklearn.utils import check_consistent_length

__all__ = [
    "BayesianResult",
    "FriedmanResult",
    "TestResult",
    "bayesian_correlated_ttest",
    "combined_ftest_5x2cv",
    "compare",
    "corrected_ttest",
    "friedman_nemenyi",
    "mcnemar",
    "paired_ttest",
    "paired_ttest_5x2cv",
    "run_5x2cv",
    "wilcoxon_test",
]

_ALTERNATIVES = ("two-sided", "less", "greater")
_EPS = np.finfo(np.float64).eps


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------
def _as_float(value):
    """Return ``value`` as a Python float (or ``None``), so reprs stay readable."""
    if value is None:
        return None
    return float(value)


def _fmt(value, digits=4):
    if value is None:
        return "None"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


@dataclass(frozen=True)
class TestResult:
    """Result of a two-model significance test.

    Attributes
    ----------
    test : str
        Name of the test (the function that produced it).
    statistic : float
        Test statistic (t, F, chi-squared, Wilcoxon's W or McNemar's ``min(b, c)``).
    pvalue : float
        p-value for ``alternative``.
    df : float or None
        Degrees of freedom (the numerator degrees of freedom for an F statistic).
    mean_difference : float or None
        Mean of ``scores_a - scores_b`` (for McNemar: ``accuracy_a - accuracy_b``).
    ci_low, ci_high : float or None
        Confidence interval of the mean difference, where the test defines one. One-sided
        alternatives give one-sided intervals (one bound infinite), as in SciPy.
    alternative : str
        ``"two-sided"``, ``"less"`` (A worse than B) or ``"greater"`` (A better than B).
    confidence_level : float or None
        Level of the confidence interval.
    df_denominator : float or None
        Denominator degrees of freedom of an F statistic.
    std_error : float or None
        Standard error of the mean difference used by the statistic.
    n : int or None
        Number of paired observations (splits or samples).
    b, c : int or None
        McNemar's discordant counts: ``b`` samples only A classified correctly, ``c`` samples
        only B classified correctly.
    """

    __test__ = False  # not a pytest test class, despite the name

    test: str
    statistic: float
    pvalue: float
    df: float | None = None
    mean_difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    alternative: str = "two-sided"
    confidence_level: float | None = None
    df_denominator: float | None = None
    std_error: float | None = None
    n: int | None = None
    b: int | None = None
    c: int | None = None

    def __post_init__(self):
        for f in fields(self):
            if f.name in ("test", "alternative"):
                continue
            value = getattr(self, f.name)
            if f.name in ("n", "b", "c"):
                value = None if value is None else int(value)
            else:
                value = _as_float(value)
            object.__setattr__(self, f.name, value)

    def __str__(self):
        parts = [f"{self.test}: statistic={_fmt(self.statistic)}"]
        if self.df is not None:
            df = _fmt(self.df)
            if self.df_denominator is not None:
                df += f", {_fmt(self.df_denominator)}"
            parts.append(f"df={df}")
        parts.append(f"pvalue={_fmt(self.pvalue)} ({self.alternative})")
        text = ", ".join(parts)
        if self.mean_difference is not None:
            text += f"; mean difference={_fmt(self.mean_difference)}"
            if self.ci_low is not None and self.confidence_level is not None:
                level = f"{100 * self.confidence_level:g}%"
                text += f", {level} CI [{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"
        if self.b is not None:
            text += f"; b={self.b}, c={self.c}"
        return text


@dataclass(frozen=True)
class BayesianResult:
    """Posterior of the mean difference from :func:`bayesian_correlated_ttest`.

    The posterior is a Student t distribution with ``df`` degrees of freedom, location
    ``mean_difference`` and scale ``scale``. "Worse" and "better" are of model A relative to
    model B: ``prob_worse = P(mu < -rope)``, ``prob_equivalent = P(-rope <= mu <= rope)``,
    ``prob_better = P(mu > rope)``.

    Attributes
    ----------
    prob_worse, prob_equivalent, prob_better : float
        Posterior probabilities; they sum to one.
    mean_difference : float
        Posterior location, the mean of ``scores_a - scores_b``.
    scale : float
        Posterior scale (0 when all differences are equal: a point mass).
    df : float
        Degrees of freedom, ``J - 1``.
    rope : float
        Half-width of the region of practical equivalence.
    rho : float or None
        Correlation between splits used, ``n_test / (n_test + n_train)``.
    n : int or None
        Number of splits ``J``.
    """

    prob_worse: float
    prob_equivalent: float
    prob_better: float
    mean_difference: float
    scale: float
    df: float
    rope: float
    rho: float | None = None
    n: int | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            value = (None if value is None else int(value)) if f.name == "n" else value
            if f.name != "n":
                value = _as_float(value)
            object.__setattr__(self, f.name, value)

    def credible_interval(self, level=0.95):
        """Equal-tailed credible interval of the mean difference.

        Parameters
        ----------
        level : float, default=0.95
            Posterior probability inside the interval, in (0, 1).

        Returns
        -------
        (low, high) : tuple of float
        """
        level = _check_level(level, "level")
        if self.scale == 0:
            return (self.mean_difference, self.mean_difference)
        low, high = sps.t.interval(level, self.df, loc=self.mean_difference, scale=self.scale)
        return (float(low), float(high))

    def __str__(self):
        return (
            f"bayesian_correlated_ttest: P(A worse)={_fmt(self.prob_worse)}, "
            f"P(equivalent)={_fmt(self.prob_equivalent)}, P(A better)={_fmt(self.prob_better)} "
            f"(rope={_fmt(self.rope)}); posterior t(df={_fmt(self.df)}, "
            f"loc={_fmt(self.mean_difference)}, scale={_fmt(self.scale)})"
        )


@dataclass(frozen=True, eq=False)
class FriedmanResult:
    """Result of :func:`friedman_nemenyi`.

    Attributes
    ----------
    statistic : float
        Friedman's chi-squared statistic (with the correction for ties).
    pvalue : float
        p-value from the chi-squared distribution with ``df = k - 1``.
    df : float
        ``k - 1``.
    average_ranks : pandas.Series
        Average rank of each model (rank 1 = highest score), indexed by model.
    critical_difference : float
        Nemenyi critical difference at level ``alpha``: two models whose average ranks differ by
        at least this much differ significantly.
    pairwise_pvalues : pandas.DataFrame
        Symmetric k-by-k table of Nemenyi p-values (diagonal 1), indexed by model.
    alpha : float
        Significance level of ``critical_difference``.
    q_alpha : float
        Critical value ``q_alpha`` of the Nemenyi test (studentized range / sqrt(2)).
    n_blocks : int
        Number of rows (splits or data sets), ``N``.
    n_models : int
        Number of columns (models), ``k``.
    iman_davenport_statistic : float
        Iman and Davenport's F statistic (``inf`` when every row ranks the models alike).
    iman_davenport_pvalue : float
        Its p-value from F(k - 1, (k - 1)(N - 1)).
    iman_davenport_df : tuple of float
        ``(k - 1, (k - 1)(N - 1))``.
    """

    statistic: float
    pvalue: float
    df: float
    average_ranks: pd.Series
    critical_difference: float
    pairwise_pvalues: pd.DataFrame = field(repr=False)
    alpha: float
    q_alpha: float
    n_blocks: int
    n_models: int
    iman_davenport_statistic: float
    iman_davenport_pvalue: float
    iman_davenport_df: tuple
    test: str = "friedman_nemenyi"

    def __repr__(self):
        ranks = ", ".join(f"{k}: {v:.3g}" for k, v in self.average_ranks.items())
        return (
            f"FriedmanResult(statistic={self.statistic!r}, pvalue={self.pvalue!r}, "
            f"df={self.df!r}, critical_difference={self.critical_difference!r}, "
            f"alpha={self.alpha!r}, n_blocks={self.n_blocks}, n_models={self.n_models}, "
            f"average_ranks={{{ranks}}})"
        )

    def __str__(self):
        ranks = ", ".join(f"{k}={v:.3g}" for k, v in self.average_ranks.items())
        return (
            f"Friedman chi2={_fmt(self.statistic)} (df={_fmt(self.df)}), "
            f"pvalue={_fmt(self.pvalue)}; Iman-Davenport F={_fmt(self.iman_davenport_statistic)}, "
            f"pvalue={_fmt(self.iman_davenport_pvalue)}; N={self.n_blocks}, k={self.n_models}; "
            f"average ranks: {ranks}; Nemenyi CD={_fmt(self.critical_difference)} "
            f"(alpha={_fmt(self.alpha)})"
        )


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _as_float_array(values, name):
    if values is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    if isinstance(values, str):
        raise TypeError(f"{name} must be an array of numbers, got a string {values!r}")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers; cannot convert it: {exc}") from exc
    return array


def _check_finite(array, name):
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf) out of "
            f"{array.size}; remove or impute them before testing"
        )


def _check_alternative(alternative):
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")


def _check_level(level, name="confidence_level"):
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < float(level) < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {level!r}")
    return float(level)


def _input_eps(values):
    """Machine epsilon of the floating type ``values`` came in (float64's for other types).

    Scores stored in float32 are rounded at float32's precision, so their rounding tolerance
    must be float32's, not that of the float64 copy the tests compute on.
    """
    try:
        dtype = np.asarray(values).dtype
    except (TypeError, ValueError):
        return _EPS
    if np.issubdtype(dtype, np.floating):
        return max(float(np.finfo(dtype).eps), _EPS)
    return _EPS


def _paired_differences(scores_a, scores_b, *, shape=None, min_n=2):
    """Validate two paired score arrays and return ``(differences, tolerance)``.

    Differences with ``|d| <= tolerance = 16 * eps * max(|a|, |b|)`` are set to exactly 0,
    ``eps`` the machine epsilon of the input's floating type (float64's for other inputs).
    """
    a = _as_float_array(scores_a, "scores_a")
    b = _as_float_array(scores_b, "scores_b")
    if shape is None:
        for name, arr in (("scores_a", a), ("scores_b", b)):
            if arr.ndim != 1:
                raise ValueError(
                    f"{name} must be 1-dimensional (one score per split), got shape {arr.shape}"
                )
    if a.shape != b.shape:
        raise ValueError(
            "scores_a and scores_b must have the same shape (paired scores, one per split), "
            f"got {a.shape} and {b.shape}"
        )
    if shape is not None and a.shape != shape:
        raise ValueError(f"scores must be shaped {shape}, got {a.shape}")
    _check_finite(a, "scores_a")
    _check_finite(b, "scores_b")
    if a.size < min_n:
        raise ValueError(
            f"need at least {min_n} paired scores (splits) to estimate a variance, got {a.size}"
        )
    eps = max(_input_eps(scores_a), _input_eps(scores_b))
    tol = 16 * eps * max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    d = a - b
    d[np.abs(d) <= tol] = 0.0
    return d, tol


def _mean_size(value, n_splits, name):
    """Validate a training/test-set size (scalar or one per split) and return its mean."""
    arr = _as_float_array(value, name)
    if np.asarray(value).dtype == bool:  # convertible, as _as_float_array just showed
        raise TypeError(f"{name} must be a number of samples, got bool {value!r}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n_splits):
        raise ValueError(
            f"{name} must be a number or a 1-D array with one entry per split "
            f"({n_splits}), got shape {arr.shape}"
        )
    _check_finite(arr, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive (a number of samples), got {value!r}")
    return float(np.mean(arr))


def _ratio(numerator, denominator):
    """``numerator / denominator`` with 0/0 -> 0 and x/0 -> sign(x) * inf (x != 0)."""
    if denominator > 0:
        return numerator / denominator
    if numerator == 0:
        return 0.0
    return math.copysign(math.inf, numerator)


def _t_pvalue(t, df, alternative):
    if alternative == "two-sided":
        return float(min(1.0, 2.0 * sps.t.sf(abs(t), df)))
    if alternative == "greater":
        return float(sps.t.sf(t, df))
    return float(sps.t.cdf(t, df))


# --------------------------------------------------------------------------------------------
# t-tests on per-split differences
# --------------------------------------------------------------------------------------------
def _power_of_two_scale(x):
    """Power of two ``s`` with ``max|x| / s`` in [0.5, 1) (1 for all-zero ``x``).

    Dividing by it is exact and keeps squares of tiny or huge differences from underflowing or
    overflowing; the tests' statistics do not depend on the unit of the scores.
    """
    top = float(np.max(np.abs(x)))
    return 1.0 if top == 0 else math.ldexp(1.0, math.frexp(top)[1])


def _mean_and_std(d, tol):
    """Sample mean and standard deviation (ddof=1) of ``d``.

    The standard deviation is exactly 0 when the spread of ``d`` is within rounding
    (``ptp(d) <= tol``); it is computed on ``d`` rescaled by a power of two.
    """
    mean = float(np.mean(d))
    if np.ptp(d) <= tol:
        return mean, 0.0
    scale = _power_of_two_scale(d)
    return mean, scale * float(np.std(d / scale, ddof=1))


def _t_test(d, tol, variance_factor, *, test, alternative, confidence_level):
    """Shared core of the (corrected) paired t-tests.

    ``t = mean(d) / sqrt(variance_factor * var(d))`` with ``df = J - 1``.
    """
    _check_alternative(alternative)
    confidence_level = _check_level(confidence_level)
    n = d.size
    df = n - 1
    mean, std = _mean_and_std(d, tol)
    std_error = math.sqrt(variance_factor) * std
    statistic = _ratio(mean, std_error)
    pvalue = _t_pvalue(statistic, df, alternative)
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
    nonzero difference; p = 0), see the module notes.

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
    d, tol = _paired_differences(scores_a, scores_b)
    n = d.size
    mean_train = _mean_size(n_train, n, "n_train")
    mean_test = _mean_size(n_test, n, "n_test")
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

    the same as :func:`scipy.stats.ttest_rel`, except for the zero-variance convention of the
    module notes.

    Examples
    --------
    >>> from clfcompare.stats import paired_ttest
    >>> res = paired_ttest([0.9, 0.8, 0.85, 0.95], [0.8, 0.8, 0.8, 0.85])
    >>> round(res.statistic, 4), round(res.pvalue, 4)
    (2.6112, 0.0796)
    """
    d, tol = _paired_differences(scores_a, scores_b)
    return _t_test(
        d,
        tol,
        1.0 / d.size,
        test="paired_ttest",
        alternative=alternative,
        confidence_level=confidence_level,
    )


# --------------------------------------------------------------------------------------------
# 5x2 cross-validation
# --------------------------------------------------------------------------------------------
def _differences_5x2(scores_a, scores_b):
    """Validated (5, 2) differences ``d``, ``d / scale`` and its per-replication variances.

    ``s_i^2 = sum_j (d_ij - mean_i)^2 = (d_i1 - d_i2)^2 / 2``, computed on ``d / scale``
    (a power of two, so that the squares neither underflow nor overflow; the statistics are
    scale-free); spreads within rounding (module notes) count as 0.
    """
    d, tol = _paired_differences(scores_a, scores_b, shape=(5, 2))
    spread = d[:, 0] - d[:, 1]
    spread[np.abs(spread) <= tol] = 0.0
    scale = _power_of_two_scale(d)
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
    statistic = _ratio(float(scaled[0, 0]), math.sqrt(float(np.mean(s2))))
    return TestResult(
        test="paired_ttest_5x2cv",
        statistic=statistic,
        pvalue=_t_pvalue(statistic, 5, "two-sided"),
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
    statistic = _ratio(float(np.sum(scaled**2)), 2.0 * float(np.sum(s2)))
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
    stratify = _check_bool(stratify, "stratify")
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


# --------------------------------------------------------------------------------------------
# McNemar and Wilcoxon
# --------------------------------------------------------------------------------------------
def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_labels(values, name):
    try:
        arr = np.asarray(values)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(
            f"{name} must be a 1-D array of labels; cannot convert it: {exc}"
        ) from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional (one label per sample), got {arr.shape}")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf labels")
    return arr


def _label_kind(arr, name):
    """``"numeric"``, ``"string"`` or ``"other"``: labels of different kinds never compare equal.

    Raises ``ValueError`` for ``None`` labels and for an array mixing strings and numbers.
    """
    if arr.dtype.kind in "biufc":
        return "numeric"
    if arr.dtype.kind in "US":
        return "string"
    kinds = set()
    for value in arr.tolist():
        if value is None:
            raise ValueError(f"{name} contains None (a missing label); every sample needs one")
        if isinstance(value, (str, bytes)):
            kinds.add("string")
        elif isinstance(value, numbers.Number):
            kinds.add("numeric")
        else:
            kinds.add("other")
    if len(kinds) > 1:
        raise ValueError(
            f"{name} mixes {' and '.join(sorted(kinds))} labels (e.g. strings and numbers); "
            "use one label type"
        )
    return kinds.pop() if kinds else "numeric"


def mcnemar(y_true, pred_a, pred_b, *, exact=True, correction=True, confidence_level=0.95):
    r"""McNemar's test on the per-sample predictions of two classifiers on one test set.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    pred_a, pred_b : array-like of shape (n_samples,)
        Predicted labels of models A and B for the same samples.
    exact : bool, default=True
        Exact two-sided binomial test on the discordant pairs (like statsmodels' default). If
        False, the chi-squared approximation (mlxtend's default).
    correction : bool, default=True
        Edwards' continuity correction for the chi-squared version.
    confidence_level : float, default=0.95
        Level of the Wald interval of ``accuracy_a - accuracy_b``.

    Returns
    -------
    TestResult
        ``b`` (only A correct), ``c`` (only B correct); ``statistic`` is ``min(b, c)`` for the
        exact test (as in statsmodels) or chi-squared with ``df = 1``; ``mean_difference`` is
        ``(b - c) / n = accuracy_a - accuracy_b``.

    Notes
    -----
    Exact: :math:`p = \min\{1, 2\,P(X \le \min(b, c))\}`, :math:`X \sim \mathrm{Bin}(b + c,
    1/2)`. Chi-squared with correction:

    .. math::

        \chi^2 = \frac{\max(|b - c| - 1, 0)^2}{b + c} \sim \chi^2_1.

    The ``max(., 0)`` keeps the correction from overshooting when ``b == c`` (statsmodels and
    mlxtend report :math:`1/(b+c)` there; we report 0, p = 1). ``b + c = 0`` gives statistic 0,
    p = 1. The interval is
    :math:`(b - c)/n \pm z_{1-\alpha/2} \sqrt{b + c - (b - c)^2/n}\,/\,n`, a Wald interval
    for the accuracy difference, not the inversion of the test: with few discordant pairs the
    two can disagree (b = 5, c = 0, n = 20: exact p = 0.0625, yet the 95% interval
    [0.060, 0.440] excludes 0). Decide by ``pvalue``; read the interval as a size estimate.

    References
    ----------
    .. [1] Q. McNemar, "Note on the sampling error of the difference between correlated
       proportions or percentages", Psychometrika 12(2), 153-157 (1947).
    .. [2] A. L. Edwards, "Note on the correction for continuity in testing the significance
       of the difference between correlated proportions", Psychometrika 13, 185-187 (1948).

    Examples
    --------
    >>> from clfcompare.stats import mcnemar
    >>> y = [0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0]
    >>> a = [0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0]
    >>> b = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1]
    >>> res = mcnemar(y, a, b)
    >>> res.b, res.c, round(res.pvalue, 4)
    (6, 0, 0.0312)
    """
    confidence_level = _check_level(confidence_level)
    exact = _check_bool(exact, "exact")
    correction = _check_bool(correction, "correction")
    y_true = _check_labels(y_true, "y_true")
    pred_a = _check_labels(pred_a, "pred_a")
    pred_b = _check_labels(pred_b, "pred_b")
    if not (y_true.size == pred_a.size == pred_b.size):
        raise ValueError(
            "y_true, pred_a and pred_b must have the same length, got "
            f"{y_true.size}, {pred_a.size} and {pred_b.size}"
        )
    if y_true.size == 0:
        raise ValueError("mcnemar needs at least one sample, got 0")
    kind_true = _label_kind(y_true, "y_true")
    for name, pred in (("pred_a", pred_a), ("pred_b", pred_b)):
        kind = _label_kind(pred, name)
        if kind != kind_true:
            raise ValueError(
                f"y_true has {kind_true} labels, {name} has {kind} labels; they never compare "
                "equal (every prediction would count as wrong)"
            )
    correct_a = pred_a == y_true
    correct_b = pred_b == y_true
    b = int(np.sum(correct_a & ~correct_b))
    c = int(np.sum(~correct_a & correct_b))
    n = y_true.size
    n_disc = b + c
    if exact:
        statistic = float(min(b, c))
        pvalue = float(min(1.0, 2.0 * sps.binom.cdf(min(b, c), n_disc, 0.5)))
        df = None
    else:
        excess = max(abs(b - c) - (1 if correction else 0), 0)
        statistic = _ratio(float(excess**2), float(n_disc))
        pvalue = float(sps.chi2.sf(statistic, 1))
        df = 1
    mean = (b - c) / n
    se = math.sqrt(max(n_disc - (b - c) ** 2 / n, 0.0)) / n
    half = sps.norm.ppf(0.5 + confidence_level / 2) * se
    return TestResult(
        test="mcnemar",
        statistic=statistic,
        pvalue=pvalue,
        df=df,
        mean_difference=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        confidence_level=confidence_level,
        std_error=se,
        n=n,
        b=b,
        c=c,
    )


#: Largest number of paired scores ``J`` for which :func:`wilcoxon_test` uses the exact null
#: distribution; above it, the normal approximation (the same switch as SciPy's
#: ``method="auto"``).
WILCOXON_EXACT_MAX_N = 50


def _signed_rank_ranks(d, tol):
    """Doubled midranks of ``|d|`` over the nonzero differences, and the tie-group sizes.

    Differences with ``|d| == 0`` are dropped (Wilcoxon's zero method). Magnitudes within
    ``tol`` of their neighbour in sorted order form one tie group (module notes: differences
    within rounding count as equal). A group occupying the sorted positions ``i + 1, ..., i + m``
    has midrank ``i + (m + 1) / 2``; its doubled midrank ``2 i + m + 1`` is an integer.

    Returns
    -------
    ranks2 : ndarray of int64, shape (n,)
        Doubled midrank of each nonzero difference, in the order of ``d[d != 0]``.
    positive : ndarray of bool, shape (n,)
        Whether that difference is positive.
    tie_sizes : ndarray of int64
        Size of each tie group (1 for an untied magnitude).
    """
    nonzero = d[d != 0]
    n = nonzero.size
    magnitude = np.abs(nonzero)
    order = np.argsort(magnitude, kind="stable")
    sorted_mag = magnitude[order]
    starts_group = np.empty(n, dtype=bool)
    starts_group[:1] = True
    starts_group[1:] = np.diff(sorted_mag) > tol
    starts = np.flatnonzero(starts_group)
    tie_sizes = np.diff(np.append(starts, n))
    group_ranks2 = 2 * starts + tie_sizes + 1
    ranks2 = np.empty(n, dtype=np.int64)
    ranks2[order] = np.repeat(group_ranks2, tie_sizes)
    return ranks2, nonzero > 0, tie_sizes.astype(np.int64)


def _signed_rank_null_counts(ranks2):
    r"""Exact sign-flip null distribution of the doubled signed-rank statistic.

    Under :math:`H_0` each of the :math:`n` ranks enters :math:`T^+` with probability 1/2,
    independently, so the number of the :math:`2^n` sign patterns giving
    :math:`2T^+ = s` is the coefficient of :math:`z^s` in

    .. math::

        G(z) = \prod_{i=1}^{n} \left(1 + z^{2 r_i}\right),

    with :math:`2 r_i` the (integer) doubled midranks. The product is expanded one factor at a
    time: :math:`O(n \cdot n(n+1))` integer additions.

    Parameters
    ----------
    ranks2 : array-like of int, shape (n,)
        Doubled midranks, positive integers.

    Returns
    -------
    ndarray of int64, shape (sum(ranks2) + 1,)
        ``counts[s]``; they sum to :math:`2^n`. Exact for :math:`n \le 62`.
    """
    ranks2 = np.asarray(ranks2, dtype=np.int64)
    counts = np.zeros(int(ranks2.sum()) + 1, dtype=np.int64)
    counts[0] = 1
    top = 0  # largest attainable sum so far
    for w in ranks2.tolist():
        counts[w : top + w + 1] += counts[: top + 1].copy()
        top += w
    return counts


def _signed_rank_exact_pvalue(t2, ranks2, alternative):
    r"""p-value of the doubled statistic ``t2`` under the exact sign-flip null.

    ``"greater"``: :math:`P(T^+ \ge t)`; ``"less"``: :math:`P(T^+ \le t)`; ``"two-sided"``:
    :math:`\min(1, 2 \min(P(T^+ \ge t), P(T^+ \le t)))`, SciPy's definitions for its exact and
    permutation methods.
    """
    counts = _signed_rank_null_counts(ranks2)
    total = 2 ** len(ranks2)
    p_less = int(counts[: t2 + 1].sum()) / total
    p_greater = int(counts[t2:].sum()) / total
    if alternative == "less":
        return p_less
    if alternative == "greater":
        return p_greater
    return min(1.0, 2.0 * min(p_less, p_greater))


def _signed_rank_normal_pvalue(r_plus, n, tie_sizes, alternative, correction=False):
    r"""p-value of :math:`T^+` from the normal approximation with the tie correction.

    .. math::

        z = \frac{T^+ - n(n+1)/4}
                 {\sqrt{\left[n(n+1)(2n+1) - \tfrac12 \sum_g (t_g^3 - t_g)\right] / 24}},

    :math:`t_g` the tie-group sizes. With ``correction``, :math:`z` moves by :math:`0.5/\sigma`
    towards zero (two-sided: by the sign of :math:`z`; ``"greater"``: down; ``"less"``: up),
    as SciPy's ``correction=True``. p-values: :math:`\Phi(z)` (less), :math:`1 - \Phi(z)`
    (greater), :math:`2(1 - \Phi(|z|))` (two-sided).
    """
    mean = n * (n + 1.0) * 0.25
    tie_term = float(np.sum(tie_sizes.astype(np.float64) ** 3 - tie_sizes))
    sd = math.sqrt((n * (n + 1.0) * (2.0 * n + 1.0) - tie_term / 2) / 24)
    z = (r_plus - mean) / sd
    if correction:
        sign = {"greater": 1.0, "less": -1.0}.get(alternative, float(np.sign(z)))
        z -= sign * 0.5 / sd
    if alternative == "less":
        return float(sps_special.ndtr(z))
    if alternative == "greater":
        return float(sps_special.ndtr(-z))
    return float(2 * sps_special.ndtr(-abs(z)))


def wilcoxon_test(scores_a, scores_b, *, alternative="two-sided"):
    r"""Wilcoxon signed-rank test on paired scores.

    Valid for independent pairs, e.g. scores of two models on several data sets (Demšar 2006).
    **Anti-conservative on cross-validation folds**: folds share training data, so their
    differences are positively correlated, which no rank test accounts for; on repeated CV of
    one data set prefer :func:`corrected_ttest` or :func:`bayesian_correlated_ttest`.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
    alternative : {"two-sided", "greater", "less"}, default="two-sided"

    Returns
    -------
    TestResult
        ``statistic`` as SciPy reports it (:math:`T^+` for one-sided alternatives, the smaller
        of :math:`T^+` and :math:`T^-` for two-sided), ``mean_difference`` the mean of the
        differences; no df or interval.

    Notes
    -----
    Zero differences are dropped (SciPy's ``zero_method="wilcox"``), leaving :math:`n`;
    differences within rounding of zero count as zero, and magnitudes within rounding of each
    other count as tied (module notes), so accuracies ``0.9 - 0.8`` and ``0.8 - 0.7`` share a
    midrank. :math:`T^+` is the sum of the midranks of :math:`|d_i|` over the positive
    differences.

    For :math:`J \le` :data:`WILCOXON_EXACT_MAX_N` (50) the p-value is exact: under
    :math:`H_0` the signs are independent fair coin flips given the magnitudes, and the null
    distribution of :math:`2T^+` (an integer, since doubled midranks are) is read off the
    generating function :math:`\prod_i (1 + z^{2 r_i})`, expanded in microseconds. With ties
    or zeros this is the distribution SciPy's permutation method enumerates (over all
    :math:`2^J` sign flips, its default only for :math:`J \le 13`: about 0.1 s per call at
    :math:`J = 10`, and at :math:`14 \le J \le 50` SciPy falls back to the normal
    approximation, where this function stays exact); without ties or zeros it is SciPy's
    ``method="exact"``. p-values as SciPy defines them: :math:`P(T^+ \ge t)` (greater),
    :math:`P(T^+ \le t)` (less), :math:`\min(1, 2\min(\cdot,\cdot))` (two-sided).

    For :math:`J > 50` the p-value comes from the normal approximation with the tie
    correction and no continuity correction, as SciPy's default:

    .. math::

        z = \frac{T^+ - n(n+1)/4}
                 {\sqrt{\left[n(n+1)(2n+1) - \tfrac12 \sum_g (t_g^3 - t_g)\right] / 24}}.

    The cut-off is SciPy's (``method="auto"`` uses the normal approximation above 50 pairs,
    counting zeros, as here), so the two agree above it. The exact counts stay integers
    below :math:`2^{50}`.

    If every difference is zero the result is statistic 0, p-value 1 (SciPy would return
    NaN). A constant nonzero difference gives the smallest p-value the test can reach,
    :math:`2 / 2^J` two-sided (for :math:`J \le 50`), not 0.

    References
    ----------
    .. [1] F. Wilcoxon, "Individual comparisons by ranking methods", Biometrics Bulletin 1(6),
       80-83 (1945).
    .. [2] J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7,
       1-30 (2006).
    .. [3] E. L. Lehmann, "Nonparametrics: Statistical Methods Based on Ranks", Holden-Day
       (1975), ch. 3 (the signed-rank null distribution with ties, conditional on the
       midranks).

    Examples
    --------
    >>> from clfcompare.stats import wilcoxon_test
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84]
    >>> b = [0.80, 0.82, 0.81, 0.83, 0.80, 0.83, 0.78, 0.79]
    >>> res = wilcoxon_test(a, b)
    >>> res.statistic, round(res.pvalue, 4)
    (1.5, 0.0234)
    """
    _check_alternative(alternative)
    d, tol = _paired_differences(scores_a, scores_b)
    ranks2, positive, tie_sizes = _signed_rank_ranks(d, tol)
    n = ranks2.size
    if n == 0:
        statistic, pvalue = 0.0, 1.0
    else:
        t2 = int(ranks2[positive].sum())
        r_plus, r_minus = t2 / 2, (int(ranks2.sum()) - t2) / 2
        statistic = min(r_plus, r_minus) if alternative == "two-sided" else r_plus
        if d.size <= WILCOXON_EXACT_MAX_N:
            pvalue = _signed_rank_exact_pvalue(t2, ranks2, alternative)
        else:
            pvalue = _signed_rank_normal_pvalue(r_plus, n, tie_sizes, alternative)
    return TestResult(
        test="wilcoxon_test",
        statistic=statistic,
        pvalue=pvalue,
        mean_difference=float(np.mean(d)),
        alternative=alternative,
        n=d.size,
    )


# --------------------------------------------------------------------------------------------
# Friedman + Nemenyi
# --------------------------------------------------------------------------------------------
def _nemenyi_q(alpha, k):
    """Critical value ``q_alpha = q_{1-alpha}(k, inf) / sqrt(2)`` of the Nemenyi test."""
    return float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def friedman_nemenyi(score_table, *, alpha=0.05):
    r"""Friedman test over k models and the Nemenyi post-hoc comparison of all pairs.

    Parameters
    ----------
    score_table : DataFrame or array-like of shape (N, k)
        Rows are blocks (data sets, or splits), columns are models; higher scores are better.
        DataFrame column labels name the models, otherwise models are numbered 0..k-1.
    alpha : float, default=0.05
        Significance level of the Nemenyi critical difference.

    Returns
    -------
    FriedmanResult

    Notes
    -----
    Within each row the models are ranked, rank 1 for the highest score, ties get their average
    rank; :math:`R_j` is the average rank of model j over the N rows. Friedman's statistic
    (with SciPy's tie correction :math:`C = 1 - \sum (t^3 - t) / (N k (k^2 - 1))`):

    .. math::

        \chi^2_F = \frac{1}{C}\,\frac{12 N}{k(k+1)}
        \left[\sum_j R_j^2 - \frac{k(k+1)^2}{4}\right] \sim \chi^2_{k-1},

    Iman and Davenport's :math:`F_F = (N-1)\chi^2_F / (N(k-1) - \chi^2_F) \sim F_{k-1,
    (k-1)(N-1)}`, and the Nemenyi critical difference

    .. math::

        CD = q_\alpha \sqrt{\frac{k(k+1)}{6N}}, \qquad
        q_\alpha = \frac{q_{1-\alpha}(k, \infty)}{\sqrt 2}

    with :math:`q` the studentized range distribution. The pairwise p-value of models i, j is
    :math:`P(Q_{k,\infty} > \sqrt 2 |R_i - R_j| / \sqrt{k(k+1)/(6N)})`, so that it falls below
    ``alpha`` exactly when :math:`|R_i - R_j| > CD`. If every row is a complete tie the result is
    statistic 0, p = 1. Rows should be independent (data sets, Demšar 2006); on the splits of
    one data set the test is anti-conservative, like :func:`wilcoxon_test`.

    References
    ----------
    .. [1] M. Friedman, "The use of ranks to avoid the assumption of normality implicit in the
       analysis of variance", JASA 32, 675-701 (1937).
    .. [2] R. L. Iman and J. M. Davenport, "Approximations of the critical region of the
       Friedman statistic", Comm. Statist. A 9, 571-595 (1980).
    .. [3] J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7,
       1-30 (2006).

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.stats import friedman_nemenyi
    >>> table = pd.DataFrame({"A": [0.90, 0.85, 0.80, 0.88, 0.92, 0.86],
    ...                       "B": [0.85, 0.84, 0.78, 0.86, 0.90, 0.80],
    ...                       "C": [0.70, 0.75, 0.79, 0.70, 0.71, 0.72]})
    >>> res = friedman_nemenyi(table)
    >>> round(res.statistic, 3), round(res.pvalue, 4)
    (10.333, 0.0057)
    >>> res.average_ranks.round(3).to_dict()
    {'A': 1.0, 'B': 2.167, 'C': 2.833}
    >>> round(res.critical_difference, 3)
    1.353
    """
    alpha = _check_level(alpha, "alpha")
    if isinstance(score_table, pd.DataFrame):
        labels = list(score_table.columns)
        values = score_table.to_numpy()
    else:
        values = score_table
        labels = None
    table = _as_float_array(values, "score_table")
    if table.ndim != 2:
        raise ValueError(
            f"score_table must be 2-dimensional (rows = blocks, columns = models), "
            f"got shape {table.shape}"
        )
    n_blocks, k = table.shape
    if k < 2:
        raise ValueError(f"friedman_nemenyi needs at least 2 models (columns), got {k}")
    if n_blocks < 2:
        raise ValueError(f"friedman_nemenyi needs at least 2 rows (blocks), got {n_blocks}")
    _check_finite(table, "score_table")
    if labels is None:
        labels = list(range(k))
    if len(set(labels)) != k:
        raise ValueError(f"score_table has duplicate model (column) labels: {labels}")

    ranks = sps.rankdata(-table, axis=1, method="average")
    avg = ranks.mean(axis=0)
    tie_sum = 0.0
    for row in ranks:
        _, counts = np.unique(row, return_counts=True)
        tie_sum += float(np.sum(counts**3 - counts))
    tie_factor = 1.0 - tie_sum / (n_blocks * k * (k * k - 1))
    raw = 12.0 * n_blocks / (k * (k + 1)) * (np.sum(avg**2) - k * (k + 1) ** 2 / 4.0)
    if tie_factor <= 1e-12:  # every row a complete tie
        chi2 = 0.0
    else:
        chi2 = max(float(raw / tie_factor), 0.0)
    df = k - 1
    pvalue = float(sps.chi2.sf(chi2, df))

    df1, df2 = float(k - 1), float((k - 1) * (n_blocks - 1))
    denom = n_blocks * (k - 1) - chi2
    if denom <= 1e-9 * n_blocks * (k - 1):
        ff = math.inf if chi2 > 0 else 0.0
    else:
        ff = (n_blocks - 1) * chi2 / denom
    ff_p = float(sps.f.sf(ff, df1, df2))

    q_alpha = _nemenyi_q(alpha, k)
    se = math.sqrt(k * (k + 1) / (6.0 * n_blocks))
    cd = q_alpha * se
    diff = np.abs(avg[:, None] - avg[None, :])
    pair_p = sps.studentized_range.sf(diff * math.sqrt(2.0) / se, k, np.inf)
    pair_p = np.clip(pair_p, 0.0, 1.0)
    np.fill_diagonal(pair_p, 1.0)
    index = pd.Index(labels, name="model")
    return FriedmanResult(
        statistic=chi2,
        pvalue=pvalue,
        df=float(df),
        average_ranks=pd.Series(avg, index=index, name="average_rank"),
        critical_difference=float(cd),
        pairwise_pvalues=pd.DataFrame(pair_p, index=index, columns=index.copy()),
        alpha=alpha,
        q_alpha=q_alpha,
        n_blocks=n_blocks,
        n_models=k,
        iman_davenport_statistic=float(ff),
        iman_davenport_pvalue=ff_p,
        iman_davenport_df=(df1, df2),
    )


# --------------------------------------------------------------------------------------------
# Bayesian correlated t-test
# --------------------------------------------------------------------------------------------
def bayesian_correlated_ttest(scores_a, scores_b, n_train, n_test, *, rope=0.01):
    r"""Bayesian correlated t-test (Corani and Benavoli 2015; Benavoli et al. 2017).

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
        Scores of models A and B on the same J cross-validation splits.
    n_train, n_test : int or array-like of shape (J,)
        Training- and test-set sizes; per-split sizes are averaged.
    rope : float, default=0.01
        Half-width of the region of practical equivalence, in score units.

    Returns
    -------
    BayesianResult
        ``prob_worse`` = P(A worse by more than ``rope``), ``prob_equivalent``,
        ``prob_better`` = P(A better by more than ``rope``).

    Notes
    -----
    The correlation between the scores of two splits is modelled as
    :math:`\rho = n_{test} / (n_{test} + n_{train})` (``1/k`` for k-fold CV). The posterior of
    the mean difference :math:`\mu` is

    .. math::

        \mu \sim t_{J-1}\!\left(\bar d,\;
        \sqrt{\left(\frac{1}{J} + \frac{\rho}{1-\rho}\right)\hat\sigma^2}\right),

    with :math:`\rho/(1-\rho) = n_{test}/n_{train}`: the same scale as the standard error of
    :func:`corrected_ttest`. baycomp's ``CorrelatedTTest`` uses
    :math:`\rho = 1/\text{nfolds}` with ``nfolds = J / runs``, which agrees for k-fold splits.
    With zero variance the posterior is a point mass at :math:`\bar d` and the probabilities
    are 0 or 1 (a mean exactly on the rope boundary counts as equivalent).

    References
    ----------
    .. [1] G. Corani and A. Benavoli, "A Bayesian approach for comparing cross-validated
       algorithms on multiple data sets", Machine Learning 100, 285-304 (2015).
    .. [2] A. Benavoli, G. Corani, J. Demšar and M. Zaffalon, "Time for a change: a tutorial
       for comparing multiple classifiers through Bayesian analysis", JMLR 18(77), 1-36 (2017).

    Examples
    --------
    >>> from clfcompare.stats import bayesian_correlated_ttest
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84, 0.81, 0.86]
    >>> b = [0.80, 0.82, 0.80, 0.83, 0.82, 0.83, 0.80, 0.83, 0.80, 0.84]
    >>> res = bayesian_correlated_ttest(a, b, n_train=180, n_test=20, rope=0.01)
    >>> round(res.prob_worse, 4), round(res.prob_equivalent, 4), round(res.prob_better, 4)
    (0.0001, 0.1161, 0.8838)
    """
    if (
        isinstance(rope, bool)
        or not isinstance(rope, numbers.Real)
        or not math.isfinite(rope)
        or rope < 0
    ):
        raise ValueError(f"rope must be a finite number >= 0, got {rope!r}")
    d, tol = _paired_differences(scores_a, scores_b)
    n = d.size
    mean_train = _mean_size(n_train, n, "n_train")
    mean_test = _mean_size(n_test, n, "n_test")
    rho = mean_test / (mean_test + mean_train)
    mean, std = _mean_and_std(d, tol)
    scale = math.sqrt(1.0 / n + rho / (1.0 - rho)) * std
    df = n - 1
    if scale == 0:
        worse = float(mean < -rope)
        better = float(mean > rope)
    else:
        worse = float(sps.t.cdf(-rope, df, loc=mean, scale=scale))
        better = float(sps.t.sf(rope, df, loc=mean, scale=scale))
    equivalent = max(0.0, 1.0 - worse - better)
    return BayesianResult(
        prob_worse=worse,
        prob_equivalent=equivalent,
        prob_better=better,
        mean_difference=mean,
        scale=scale,
        df=df,
        rope=float(rope),
        rho=rho,
        n=n,
    )


# --------------------------------------------------------------------------------------------
# compare(): every pair of a TrialResults
# --------------------------------------------------------------------------------------------
_COMPARE_TESTS = ("corrected_ttest", "paired_ttest", "wilcoxon")
_CORRECTIONS = ("holm", "bonferroni", "none")
COMPARE_COLUMNS = (
    "model_a",
    "model_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "pvalue",
    "pvalue_adjusted",
    "prob_a_better",
    "prob_equivalent",
    "prob_b_better",
    "significant",
    "verdict",
)


def _split_table(results, metric):
    """Pivot ``results.scores``: (split x model score table, n_train, n_test per split)."""
    scores = getattr(results, "scores", None)
    models = getattr(results, "models", None)
    if not isinstance(scores, pd.DataFrame) or models is None:
        raise TypeError(
            "results must be a TrialResults (with a .scores DataFrame and a .models tuple), "
            f"got {type(results).__name__}"
        )
    models = tuple(models)
    required = {"model", "split", "n_train", "n_test", metric}
    missing_cols = sorted(required - set(scores.columns))
    if missing_cols:
        raise ValueError(
            f"results.scores lacks column(s) {missing_cols}; available score columns: "
            f"{[c for c in scores.columns if c not in ('model', 'split', 'repeat', 'fold')]}"
        )
    if len(models) < 2:
        raise ValueError(f"compare needs at least 2 models, results has {len(models)}")
    duplicates = sorted({m for m in models if models.count(m) > 1}, key=str)
    if duplicates:
        raise ValueError(f"results.models has duplicate model name(s) {duplicates}: {models}")
    present = set(scores["model"])
    absent = [m for m in models if m not in present]
    if absent:
        raise ValueError(f"results.scores has no rows for model(s) {absent} listed in .models")
    rows = scores[scores["model"].isin(models)]
    if rows.duplicated(["model", "split"]).any():
        raise ValueError("results.scores has more than one row for some (model, split) pair")
    table = rows.pivot(index="split", columns="model", values=metric)
    table = table.reindex(columns=list(models))
    for m in models:
        missing = table.index[table[m].isna()]
        if len(missing):
            raise ValueError(
                f"model {m!r} has no {metric!r} score (missing row or NaN) for split(s) "
                f"{list(missing)}; every model must be scored on every split"
            )
    sizes = rows.groupby("split")[["n_train", "n_test"]].agg(["min", "max"])
    if (sizes[("n_train", "min")] != sizes[("n_train", "max")]).any() or (
        sizes[("n_test", "min")] != sizes[("n_test", "max")]
    ).any():
        raise ValueError("models disagree on n_train/n_test for the same split; not paired")
    sizes = sizes.reindex(table.index)
    return (
        table,
        sizes[("n_train", "min")].to_numpy(float),
        sizes[("n_test", "min")].to_numpy(float),
    )


def _signed_rank_direction(scores_a, scores_b):
    """Sign of :math:`T^+ - T^-`: +1 when the signed-rank test leans towards A, -1 towards B.

    It can differ from the sign of the mean difference (many small losses of A and one large
    win), and it is the direction in which :func:`wilcoxon_test` finds a difference.
    """
    ranks2, positive, _ = _signed_rank_ranks(*_paired_differences(scores_a, scores_b))
    return float(np.sign(2 * int(ranks2[positive].sum()) - int(ranks2.sum())))


def _verdict(name_a, name_b, direction, p_adj, prob_equivalent, alpha):
    equivalent = prob_equivalent >= 1.0 - alpha
    if p_adj < alpha:
        winner, loser = (name_a, name_b) if direction > 0 else (name_b, name_a)
        text = f"{winner} better than {loser} (p_adj={p_adj:.3g})"
        if equivalent:
            text += f", but practically equivalent (P(rope)={prob_equivalent:.2f})"
        return text
    if equivalent:
        return f"practically equivalent (P(rope)={prob_equivalent:.2f})"
    return f"no significant difference (p_adj={p_adj:.3g})"


def compare(
    results,
    *,
    metric="accuracy",
    test="corrected_ttest",
    correction="holm",
    baseline=None,
    rope=0.01,
    alpha=0.05,
):
    """Compare every pair of models (or every model with a baseline) of a trial run.

    Parameters
    ----------
    results : TrialResults
        Output of ``run_trials``; uses ``results.scores`` (columns ``model``, ``split``,
        ``n_train``, ``n_test`` and ``metric``) and ``results.models``.
    metric : str, default="accuracy"
        Score column to compare (higher is better).
    test : {"corrected_ttest", "paired_ttest", "wilcoxon"}, default="corrected_ttest"
        Frequentist test per pair: :func:`corrected_ttest` (for repeated CV),
        :func:`paired_ttest` or :func:`wilcoxon_test` (both anti-conservative on CV folds).
    correction : {"holm", "bonferroni", "none"}, default="holm"
        Multiple-comparison adjustment of the p-values over all comparisons in the table,
        by ``statsmodels.stats.multitest.multipletests`` with this method (not its default,
        Holm-Šidák).
    baseline : str or None, default=None
        If given, compare each other model with it (``model_b`` is the baseline) instead of
        all pairs.
    rope : float, default=0.01
        Region of practical equivalence for :func:`bayesian_correlated_ttest`.
    alpha : float, default=0.05
        Significance level for ``significant`` and the verdict; a pair is called practically
        equivalent when ``prob_equivalent >= 1 - alpha``.

    Returns
    -------
    DataFrame
        One row per comparison, pairs in the order of ``results.models`` (``model_a`` before
        ``model_b``), columns ``model_a, model_b, mean_difference`` (A - B), ``ci_low, ci_high,
        statistic, df, pvalue, pvalue_adjusted, prob_a_better, prob_equivalent, prob_b_better,
        significant`` (``pvalue_adjusted < alpha``) and ``verdict`` (plain words, e.g.
        ``"mlp better than logistic (p_adj=0.003)"``, ``"no significant difference
        (p_adj=0.41)"``, ``"practically equivalent (P(rope)=0.97)"``). The winner a verdict
        names is the side the test found: the sign of t, or for ``test="wilcoxon"`` the larger
        of :math:`T^+` and :math:`T^-`, which can disagree with the sign of
        ``mean_difference`` (many small losses and one large win). The Bayesian
        probabilities are never adjusted (they are posterior statements per pair).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from clfcompare.stats import compare
    >>> acc = {"A": [0.90, 0.92, 0.91, 0.93, 0.90, 0.92],
    ...        "B": [0.80, 0.83, 0.81, 0.82, 0.80, 0.84]}
    >>> rows = [dict(model=m, split=s, n_train=80, n_test=40, accuracy=v)
    ...         for m, vals in acc.items() for s, v in enumerate(vals)]
    >>> results = SimpleNamespace(scores=pd.DataFrame(rows), models=("A", "B"))
    >>> table = compare(results)
    >>> table.loc[0, "verdict"]
    'A better than B (p_adj=8.85e-05)'
    """
    if test not in _COMPARE_TESTS:
        raise ValueError(f"test must be one of {_COMPARE_TESTS}, got {test!r}")
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}, got {correction!r}")
    alpha = _check_level(alpha, "alpha")
    table, n_train, n_test = _split_table(results, metric)
    models = list(table.columns)
    if baseline is None:
        pairs = list(itertools.combinations(models, 2))
    else:
        if baseline not in models:
            raise ValueError(f"baseline {baseline!r} is not one of the models {models}")
        pairs = [(m, baseline) for m in models if m != baseline]

    records = []
    for name_a, name_b in pairs:
        # the column's own dtype: float32 scores get float32's rounding tolerance
        a = table[name_a].to_numpy()
        b = table[name_b].to_numpy()
        if test == "corrected_ttest":
            res = corrected_ttest(a, b, n_train, n_test)
        elif test == "paired_ttest":
            res = paired_ttest(a, b)
        else:
            res = wilcoxon_test(a, b)
        # the side the test found: the sign of t (that of the mean difference), or of T+ - T-
        direction = _signed_rank_direction(a, b) if test == "wilcoxon" else res.statistic
        bayes = bayesian_correlated_ttest(a, b, n_train, n_test, rope=rope)
        records.append(
            {
                "model_a": name_a,
                "model_b": name_b,
                "mean_difference": res.mean_difference,
                "ci_low": np.nan if res.ci_low is None else res.ci_low,
                "ci_high": np.nan if res.ci_high is None else res.ci_high,
                "statistic": res.statistic,
                "df": np.nan if res.df is None else res.df,
                "pvalue": res.pvalue,
                "prob_a_better": bayes.prob_better,
                "prob_equivalent": bayes.prob_equivalent,
                "prob_b_better": bayes.prob_worse,
                "direction": direction,
            }
        )
    out = pd.DataFrame.from_records(records)
    pvalues = out["pvalue"].to_numpy(float)
    if correction == "none":
        adjusted = pvalues.copy()
    else:
        from statsmodels.stats.multitest import multipletests

        adjusted = multipletests(pvalues, alpha=alpha, method=correction)[1]
    out["pvalue_adjusted"] = adjusted
    out["significant"] = adjusted < alpha
    out["verdict"] = [
        _verdict(r.model_a, r.model_b, r.direction, r.pvalue_adjusted, r.prob_equivalent, alpha)
        for r in out.itertuples(index=False)
    ]
    out.attrs.update(test=test, correction=correction, metric=metric, rope=rope, alpha=alpha)
    return out[list(COMPARE_COLUMNS)]
