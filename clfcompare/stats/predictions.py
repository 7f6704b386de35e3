"""Two classifiers' per-sample predictions on one test set: :func:`mcnemar`.

Use it when each model was trained once and evaluated on the same held-out samples (no
resampling): the test compares the samples only one of the two models got right. Predictions
pooled over repeated cross-validation count each row several times and are refused when the
row ids are given (``samples``); the tests of :mod:`clfcompare.stats.two_models` are for them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import stats as sps

from clfcompare._checks import check_bool, check_level
from clfcompare.stats._common import ratio
from clfcompare.stats._results import TestResult

__all__ = ["mcnemar"]


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


def _check_samples(samples, n):
    """Refuse row ids that repeat: McNemar counts each test row once."""
    ids = np.asarray(samples)
    if ids.ndim != 1 or ids.size != n:
        raise ValueError(
            f"samples must be a 1-D array of row ids, one per prediction ({n}), got shape "
            f"{ids.shape}"
        )
    if ids.dtype.kind in "fc" and not np.all(np.isfinite(ids)):
        raise ValueError("samples contains NaN or inf row ids")
    values, counts = np.unique(ids, return_counts=True)
    repeated = counts > 1
    if repeated.any():
        n_rep = int(repeated.sum())
        shown = ", ".join(repr(v) for v in values[repeated][:5].tolist())
        raise ValueError(
            f"samples: {n_rep} row id(s) occur more than once (e.g. {shown}, up to "
            f"{int(counts.max())} times): these predictions are pooled over repeated "
            "cross-validation or overlapping splits. McNemar's test needs each test row once, "
            "from one held-out split (its discordant counts must be independent rows); on "
            "repeated CV use the per-split scores with corrected_ttest or conservative_z "
            "(clfcompare.stats.compare does this), not mcnemar"
        )


def mcnemar(
    y_true,
    pred_a,
    pred_b,
    *,
    exact=True,
    correction=True,
    confidence_level=0.95,
    samples=None,
):
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
    samples : array-like of shape (n_samples,), optional
        Row ids of the predictions (e.g. the ``sample`` column of ``TrialResults.predictions``).
        If a row occurs more than once -- predictions pooled over repeated cross-validation,
        every row counted once per repeat -- a ``ValueError`` says why McNemar does not apply:
        its counts must come from independent rows of one held-out split.

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
    confidence_level = check_level(confidence_level)
    exact = check_bool(exact, "exact")
    correction = check_bool(correction, "correction")
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
    if samples is not None:
        _check_samples(samples, y_true.size)
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
        statistic = ratio(float(excess**2), float(n_disc))
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
