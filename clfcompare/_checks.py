"""The one set of parameter checks, and the one input-error class, used by every module.

Each check takes the value first and the name it has for the user second, returns the value
in its canonical type, and raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right
kind, wrong value) with a message that names the parameter, what was expected and what came.
``bool`` is never accepted as a number (``True`` is an ``int`` to Python, never to a user).

This module imports numpy only, so the estimators can use it without loading the analysis
layer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "InputError",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_int",
    "check_level",
    "check_names",
    "check_real",
]


class InputError(ValueError):
    """Bad input to a study or a command (a file, a column, the labels, an option's value).

    A ``ValueError``, so callers that catch ``ValueError`` keep working; the command line
    reports it in one line and exits with status 2.
    """


def _is_int(value):
    return not isinstance(value, bool | np.bool_) and isinstance(value, numbers.Integral)


def _is_real(value):
    return not isinstance(value, bool | np.bool_) and isinstance(value, numbers.Real)


def check_int(value, name, *, low=None, high=None, allow_none=False):
    """``value`` as an ``int`` in ``[low, high]`` (either bound may be None), or raise.

    >>> check_int(3, "n_folds", low=2)
    3
    >>> check_int(True, "n_folds", low=2)
    Traceback (most recent call last):
    ...
    TypeError: n_folds must be an int, got bool True
    """
    if value is None and allow_none:
        return None
    if not _is_int(value):
        expected = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_real(
    value,
    name,
    *,
    low=-math.inf,
    high=math.inf,
    low_open=False,
    high_open=False,
    allow_none=False,
):
    """``value`` as a finite ``float`` in the interval, or raise.

    >>> check_real(0.5, "alpha", low=0, high=1, low_open=True, high_open=True)
    0.5
    >>> check_real(float("nan"), "rope", low=0)
    Traceback (most recent call last):
    ...
    ValueError: rope must be finite and in [0, inf), got nan
    """
    if value is None and allow_none:
        return None
    if not _is_real(value):
        expected = "a real number or None" if allow_none else "a real number"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    v = float(value)
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if not math.isfinite(v) or below or above:
        lo = "(" if low_open or low == -math.inf else "["
        hi = ")" if high_open or high == math.inf else "]"
        low_s = "-inf" if low == -math.inf else f"{low:g}"
        high_s = "inf" if high == math.inf else f"{high:g}"
        raise ValueError(f"{name} must be finite and in {lo}{low_s}, {high_s}{hi}, got {value!r}")
    return v


def check_level(value, name="confidence_level"):
    """A probability strictly between 0 and 1 (a confidence level, an alpha), as a float.

    >>> check_level(0.95)
    0.95
    """
    if not _is_real(value) or not 0 < float(value) < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def check_bool(value, name):
    """``value`` as a ``bool`` (``True``/``False`` or numpy's), or TypeError."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_choice(value, name, options: Iterable):
    """``value`` if it is one of ``options``, else ValueError listing them.

    >>> check_choice("holm", "correction", ("holm", "bonferroni", "none"))
    'holm'
    """
    options = tuple(options)
    try:
        ok = value in options
    except TypeError:  # unhashable or incomparable
        ok = False
    if not ok or isinstance(value, bool):
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_names(names, what, n=None, of=""):
    """``names`` as a non-empty list of unique strings, or raise naming ``what``.

    ``n``: how many there must be (e.g. one per feature; ``of`` says of what, e.g.
    ``"features of X"``).

    >>> check_names(["a", "b"], "models")
    ['a', 'b']
    >>> check_names(["x", "y"], "feature_names", n=2, of="features")
    ['x', 'y']
    """
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray | Iterable):
        raise TypeError(f"{what} must be a sequence of names, got {type(names).__name__}")
    names = [str(name) for name in names]
    if n is not None and len(names) != n:
        raise ValueError(f"{what} must name the {n} {of}, got {len(names)}: {names}")
    if not names:
        raise ValueError(f"{what} must not be empty")
    seen, dupes = set(), []
    for n in names:
        if n in seen and n not in dupes:
            dupes.append(n)
        seen.add(n)
    if dupes:
        raise ValueError(f"{what} must be unique, got duplicates {sorted(dupes)}")
    return names


def check_finite(array, name):
    """Raise ValueError if the float array ``array`` holds NaN or inf; return it."""
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf) out of "
            f"{array.size}; remove or impute them before testing"
        )
    return array
