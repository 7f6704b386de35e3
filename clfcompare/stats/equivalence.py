"""Two models on one data set: are they equivalent within a margin? :func:`equivalence_test`.

Two one-sided tests (TOST, Schuirmann 1987) on the scores of repeated cross-validation, with
the Nadeau-Bengio corrected variance of :func:`~clfcompare.stats.corrected_ttest` or, given
the half-partition scores, the variance of Nadeau and Bengio's conservative Z. It is the
frequentist counterpart of the Bayesian region of practical equivalence
(:func:`~clfcompare.stats.bayesian_correlated_ttest`'s ``rope``): "not significantly
different" is not evidence of equivalence; a TOST rejection is.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields

import numpy as np
from scipy import stats as sps

from clfcompare._checks import check_level
from clfcompare.stats._common import (
    mean_and_std,
    mean_size,
    paired_differences,
    power_of_two_scale,
)
from clfcompare.stats.two_models import _half_gaps

__all__ = ["EquivalenceResult", "equivalence_test"]


@dataclass(frozen=True)
class EquivalenceResult:
    """Result of :func:`equivalence_test` (TOST).

    Attributes
    ----------
    test : str
        ``"equivalence_test"``.
    statistic : float
        The smaller of the two one-sided statistics, ``min(statistic_lower, statistic_upper)``:
        the one whose p-value is ``pvalue``.
    pvalue : float
        ``max(pvalue_lower, pvalue_upper)``; equivalence is concluded when it is below
        ``alpha``.
    statistic_lower, pvalue_lower : float
        Test of H0: ``mu <= margin_low`` against ``mu > margin_low``;
        statistic ``(mean - margin_low) / std_error``.
    statistic_upper, pvalue_upper : float
        Test of H0: ``mu >= margin_high`` against ``mu < margin_high``;
        statistic ``(margin_high - mean) / std_error``.
    df : float
        Degrees of freedom, ``J - 1`` (``inf`` for the conservative variance: normal reference).
    mean_difference : float
        Mean of ``scores_a - scores_b`` over the main splits.
    std_error : float
        Standard error of the mean difference.
    ci_low, ci_high : float
        The ``1 - 2 alpha`` confidence interval; equivalent exactly when it lies inside
        ``(margin_low, margin_high)``.
    margin_low, margin_high : float
        The equivalence region, ``margin_low < 0 < margin_high``.
    alpha : float
        ``1 - confidence_level``.
    confidence_level : float
    equivalent : bool
        ``pvalue < alpha``.
    variance : str
        ``"corrected"`` or ``"conservative"``.
    n : int
        Number of main splits ``J``.
    """

    test: str
    statistic: float
    pvalue: float
    statistic_lower: float
    pvalue_lower: float
    statistic_upper: float
    pvalue_upper: float
    df: float
    mean_difference: float
    std_error: float
    ci_low: float
    ci_high: float
    margin_low: float
    margin_high: float
    alpha: float
    confidence_level: float
    equivalent: bool
    variance: str
    n: int

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "n":
                value = int(value)
            elif f.name == "equivalent":
                value = bool(value)
            elif f.name not in ("test", "variance"):
                value = float(value)
            object.__setattr__(self, f.name, value)

    def __str__(self):
        word = "equivalent" if self.equivalent else "equivalence not shown"
        level = f"{100 * (1 - 2 * self.alpha):g}%"
        return (
            f"equivalence_test ({self.variance} variance): margin "
            f"({self.margin_low:.4g}, {self.margin_high:.4g}), mean difference "
            f"{self.mean_difference:.4g}, {level} CI [{self.ci_low:.4g}, {self.ci_high:.4g}], "
            f"pvalue={self.pvalue:.4g} -> {word} at alpha={self.alpha:g}"
        )


def _margins(margin):
    """``(low, high)`` from a positive number or a pair ``(low < 0 < high)``."""
    if isinstance(margin, numbers.Real) and not isinstance(margin, bool):
        m = float(margin)
        if not math.isfinite(m) or m <= 0:
            raise ValueError(f"margin must be a positive finite number, got {margin!r}")
        return -m, m
    try:
        low, high = margin
    except (TypeError, ValueError):
        raise TypeError(
            "margin must be a positive number or a pair (low, high) with low < 0 < high, "
            f"got {margin!r}"
        ) from None
    for name, v in (("margin low", low), ("margin high", high)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must be a number, got {type(v).__name__} {v!r}")
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")
    low, high = float(low), float(high)
    if not low < 0 < high:
        raise ValueError(
            f"margin (low, high) must satisfy low < 0 < high (an interval around no "
            f"difference), got ({low!r}, {high!r})"
        )
    return low, high


def _half_sigma2(half_a, half_b):
    """Nadeau-Bengio's half-partition variance ``(1/(2M)) sum_m (mu_m^0 - mu_m^1)^2``, from
    the same validated gaps as :func:`~clfcompare.stats.conservative_z` (so the two agree on
    the variance, rounding tolerance of float32 scores included)."""
    gap = _half_gaps(half_a, half_b)
    scale = power_of_two_scale(gap)
    return scale**2 * float(np.sum((gap / scale) ** 2)) / (2 * gap.size)


def _one_sided_p(t, df):
    """``P(T >= t)`` for the reference (``t_df``, or N(0, 1) when ``df`` is inf)."""
    if math.isnan(t):  # 0/0: the mean sits on the margin with zero variance
        return 0.5
    return float(sps.norm.sf(t)) if math.isinf(df) else float(sps.t.sf(t, df))


def equivalence_test(
    scores_a,
    scores_b,
    n_train=None,
    n_test=None,
    *,
    margin,
    confidence_level=0.95,
    half_scores_a=None,
    half_scores_b=None,
):
    r"""Two one-sided tests (TOST) of equivalence for repeated cross-validation.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (J,)
        Scores of models A and B on the same J main splits (higher is better).
    n_train, n_test : int or array-like of shape (J,), optional
        Training- and test-set sizes of the splits (per-split sizes are averaged), for the
        corrected variance; not used with half scores.
    margin : float or (float, float)
        Equivalence region of the mean difference ``A - B``: ``(-margin, margin)``, or
        ``(low, high)`` with ``low < 0 < high``.
    confidence_level : float, default=0.95
        ``alpha = 1 - confidence_level`` is the level of each one-sided test and of the TOST;
        the reported interval is the ``1 - 2 alpha`` one (90% for the default), the interval
        that decides: equivalent exactly when it lies inside the margins.
    half_scores_a, half_scores_b : array-like of shape (M, 2, F) or (M, 2), optional
        Half-partition scores of Nadeau and Bengio's conservative Z (partition, half, inner
        fold). When given, the variance is the conservative one and the reference N(0, 1).

    Returns
    -------
    EquivalenceResult

    Notes
    -----
    With mean difference :math:`\bar d` and standard error :math:`s` (corrected:
    :math:`s^2 = (1/J + n_{test}/n_{train})\hat\sigma^2`, reference :math:`t_{J-1}`;
    conservative: :math:`s^2 = \frac{1}{2M}\sum_m (\mu^0_m - \mu^1_m)^2`, reference
    :math:`N(0, 1)`):

    .. math::

        t_L = \frac{\bar d - \Delta_L}{s},\quad p_L = P(T \ge t_L); \qquad
        t_U = \frac{\Delta_U - \bar d}{s},\quad p_U = P(T \ge t_U); \qquad
        p = \max(p_L, p_U).

    ``p < alpha`` exactly when :math:`\bar d \pm q_{1-\alpha} s` lies inside
    :math:`(\Delta_L, \Delta_U)`. With zero variance the statistics are :math:`\pm\infty`
    (p = 0 inside the margins, 1 outside; 0.5 on a margin).

    References
    ----------
    .. [1] D. J. Schuirmann, "A comparison of the two one-sided tests procedure and the power
       approach for assessing the equivalence of average bioavailability", J. Pharmacokinet.
       Biopharm. 15, 657-680 (1987).
    .. [2] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine
       Learning 52, 239-281 (2003).

    Examples
    --------
    >>> from clfcompare.stats import equivalence_test
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84, 0.81, 0.86]
    >>> b = [0.81, 0.83, 0.81, 0.85, 0.83, 0.84, 0.82, 0.84, 0.82, 0.85]
    >>> res = equivalence_test(a, b, 180, 20, margin=0.02)
    >>> res.equivalent, round(res.pvalue, 4)
    (True, 0.0004)
    """
    confidence_level = check_level(confidence_level)
    alpha = 1.0 - confidence_level
    if alpha >= 0.5:
        raise ValueError(
            f"confidence_level must be above 0.5 for a TOST (its interval has level "
            f"1 - 2 alpha), got {confidence_level!r}"
        )
    low, high = _margins(margin)
    d, tol = paired_differences(scores_a, scores_b)
    n = d.size
    mean, std = mean_and_std(d, tol)
    if (half_scores_a is None) != (half_scores_b is None):
        raise ValueError("give both half_scores_a and half_scores_b, or neither")
    if half_scores_a is not None:
        se = math.sqrt(_half_sigma2(half_scores_a, half_scores_b))
        df = math.inf
        variance = "conservative"
    else:
        if n_train is None or n_test is None:
            raise ValueError("the corrected variance needs n_train and n_test")
        factor = 1.0 / n + mean_size(n_test, n, "n_test") / mean_size(n_train, n, "n_train")
        se = math.sqrt(factor) * std
        df = float(n - 1)
        variance = "corrected"

    def stat(x):
        if se > 0:
            return x / se
        return math.nan if x == 0 else math.copysign(math.inf, x)

    t_low = stat(mean - low)
    t_high = stat(high - mean)
    p_low = _one_sided_p(t_low, df)
    p_high = _one_sided_p(t_high, df)
    q = (
        float(sps.norm.ppf(confidence_level))
        if math.isinf(df)
        else float(sps.t.ppf(confidence_level, df))
    )
    t_min = min(t_low, t_high) if not (math.isnan(t_low) or math.isnan(t_high)) else 0.0
    pvalue = max(p_low, p_high)
    return EquivalenceResult(
        test="equivalence_test",
        statistic=t_min,
        pvalue=pvalue,
        statistic_lower=0.0 if math.isnan(t_low) else t_low,
        pvalue_lower=p_low,
        statistic_upper=0.0 if math.isnan(t_high) else t_high,
        pvalue_upper=p_high,
        df=df,
        mean_difference=mean,
        std_error=se,
        ci_low=mean - q * se,
        ci_high=mean + q * se,
        margin_low=low,
        margin_high=high,
        alpha=alpha,
        confidence_level=confidence_level,
        equivalent=pvalue < alpha,
        variance=variance,
        n=n,
    )
