"""Helpers shared by the tests of :mod:`clfcompare.stats` (private to the package).

Conversion of scores to float arrays, paired differences with the rounding tolerance of the
package notes (``16 * eps * max|score|``), training/test-set sizes, the zero-variance-safe
ratio, Student-t p-values and the power-of-two rescaling that keeps squares of tiny or huge
differences finite. Names here carry no underscore because the module itself is private.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from clfcompare._checks import check_choice, check_finite

#: The ``alternative`` values of the two-model tests.
ALTERNATIVES = ("two-sided", "less", "greater")
_EPS = np.finfo(np.float64).eps


def check_alternative(alternative):
    """``alternative`` if it is one of :data:`ALTERNATIVES`, else ValueError naming them."""
    return check_choice(alternative, "alternative", ALTERNATIVES)


def as_float_array(values, name):
    """``values`` as a float64 array, or TypeError naming ``name`` (None, strings, non-numbers)."""
    if values is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    if isinstance(values, str):
        raise TypeError(f"{name} must be an array of numbers, got a string {values!r}")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers; cannot convert it: {exc}") from exc
    return array


def input_eps(values):
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


def paired_differences(scores_a, scores_b, *, shape=None, min_n=2):
    """Validate two paired score arrays and return ``(differences, tolerance)``.

    Differences with ``|d| <= tolerance = 16 * eps * max(|a|, |b|)`` are set to exactly 0,
    ``eps`` the machine epsilon of the input's floating type (float64's for other inputs).
    """
    a = as_float_array(scores_a, "scores_a")
    b = as_float_array(scores_b, "scores_b")
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
    check_finite(a, "scores_a")
    check_finite(b, "scores_b")
    if a.size < min_n:
        raise ValueError(
            f"need at least {min_n} paired scores (splits) to estimate a variance, got {a.size}"
        )
    eps = max(input_eps(scores_a), input_eps(scores_b))
    tol = 16 * eps * max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    d = a - b
    d[np.abs(d) <= tol] = 0.0
    return d, tol


def mean_size(value, n_splits, name):
    """Validate a training/test-set size (scalar or one per split) and return its mean."""
    arr = as_float_array(value, name)
    if np.asarray(value).dtype == bool:  # convertible, as as_float_array just showed
        raise TypeError(f"{name} must be a number of samples, got bool {value!r}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n_splits):
        raise ValueError(
            f"{name} must be a number or a 1-D array with one entry per split "
            f"({n_splits}), got shape {arr.shape}"
        )
    check_finite(arr, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive (a number of samples), got {value!r}")
    return float(np.mean(arr))


def ratio(numerator, denominator):
    """``numerator / denominator`` with 0/0 -> 0 and x/0 -> sign(x) * inf (x != 0)."""
    if denominator > 0:
        return numerator / denominator
    if numerator == 0:
        return 0.0
    return math.copysign(math.inf, numerator)


def t_pvalue(t, df, alternative):
    """p-value of the t statistic ``t`` with ``df`` degrees of freedom for ``alternative``."""
    if alternative == "two-sided":
        return float(min(1.0, 2.0 * sps.t.sf(abs(t), df)))
    if alternative == "greater":
        return float(sps.t.sf(t, df))
    return float(sps.t.cdf(t, df))


def power_of_two_scale(x):
    """Power of two ``s`` with ``max|x| / s`` in [0.5, 1) (1 for all-zero ``x``).

    Dividing by it is exact and keeps squares of tiny or huge differences from underflowing or
    overflowing; the tests' statistics do not depend on the unit of the scores.
    """
    top = float(np.max(np.abs(x)))
    return 1.0 if top == 0 else math.ldexp(1.0, math.frexp(top)[1])


def mean_and_std(d, tol):
    """Sample mean and standard deviation (ddof=1) of ``d``.

    The standard deviation is exactly 0 when the spread of ``d`` is within rounding
    (``ptp(d) <= tol``); it is computed on ``d`` rescaled by a power of two.
    """
    mean = float(np.mean(d))
    if np.ptp(d) <= tol:
        return mean, 0.0
    scale = power_of_two_scale(d)
    return mean, scale * float(np.std(d / scale, ddof=1))


def half_scores(results, metric, design, models):
    """Half-split scores per model of a ``TrialResults`` with a half/half design, each shaped
    (M, 2, F) (partition, half, inner fold); the one reader of them for every test."""
    table = results.score_table(metric, role="half")
    try:
        n_partitions = int(design["n_partitions"])
        inner = int(design["inner_splits"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            "results.design must give n_partitions and inner_splits (ints) for a design with "
            f"halves, got {dict(design)!r}"
        ) from exc
    expected = n_partitions * 2 * inner
    if len(table) != expected:
        raise ValueError(
            f"results have {len(table)} half-split scores, expected n_partitions * 2 * "
            f"inner_splits = {expected}; every model must be scored on every half split"
        )
    table = table.sort_index()
    out = {}
    for m in models:
        values = table[m].to_numpy()
        if np.isnan(np.asarray(values, dtype=float)).any():
            raise ValueError(
                f"model {m!r} has no {metric!r} score (missing or NaN) on some half split; "
                "every model must be scored on every split"
            )
        out[m] = values.reshape(n_partitions, 2, inner)
    return out
