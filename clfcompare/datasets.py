"""The synthetic curve data of the lecture notes, and its K-class extension.

The seed draws 80 points ``x1`` on ``[-10, 10)`` in steps of 0.25, computes the curve
``y = 3 x1**3 + 2 x1**2 + 5 x1``, min-max normalises both to ``[0, 1]`` and then puts one
point above and one below the curve for every ``x1``::

    class 0: (x1, y + u),  u ~ U(-0.1, 0.3)
    class 1: (x1, y - u),  u ~ U(-0.1, 0.3)

so class 0 lives in the band ``[y - 0.1, y + 0.3]`` and class 1 in ``[y - 0.3, y + 0.1]``:
two bands of width 0.4 whose centres are 0.2 apart and which overlap over half their width.
No classifier can separate them perfectly.

For ``K`` classes we keep exactly that geometry: ``K`` bands of the same width, stacked along
the curve with the same spacing (0.2 between neighbouring centres), symmetric about the curve.
Band ``k`` (``k = 0`` is the top band) has centre ``c_k = s * ((K - 1) / 2 - k)`` with
``s = low + high`` (0.2 for the seed's noise) and its points are::

    upper bands (c_k > 0): (x1, y + c_k + (u - m))
    lower bands (c_k < 0): (x1, y + c_k - (u - m))

with ``m = (low + high) / 2`` the mean of ``u``. For ``K = 2`` this is the seed's construction
literally (``c_0 = 0.1``: ``y + u``; ``c_1 = -0.1``: ``y - u``). Every band overlaps half of each
neighbour, as the seed's two do. For odd ``K`` the middle band is centred on the curve and uses
``+(u - m)``.

Rows are interleaved as in the seed: for each ``x1``, one point of class 0, then class 1, ...

Because the bands have equal width and equal size, the best any classifier can do is known in
closed form (:func:`bayes_accuracy`): ``(K + 1) / (2K)``, i.e. 0.75 for the seed's two classes
and 0.625 for HW4's four.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "CANONICAL_RANDOM_STATE",
    "bayes_accuracy",
    "curve",
    "load_curve",
    "make_curve",
    "write_curve_csv",
]

#: ``random_state`` used to generate the canonical CSV files in ``data/``.
CANONICAL_RANDOM_STATE = 0

_X_START, _X_STOP, _X_STEP = -10.0, 10.0, 0.25


def curve(x):
    """The seed's curve ``y = 3 x**3 + 2 x**2 + 5 x`` (before normalisation)."""
    x = np.asarray(x, dtype=float)
    return 3 * x**3 + 2 * x**2 + 5 * x


def _minmax(v):
    return (v - v.min()) / (v.max() - v.min())


def _check_n_classes(n_classes):
    """Raise unless ``n_classes`` is an int (not a bool) of at least 2."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, got {type(n_classes).__name__}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")


def _check_noise(noise):
    """Return ``noise`` as finite floats ``(low, high)`` with ``low < high``, or raise."""
    try:
        if isinstance(noise, (str, bytes)):
            raise TypeError  # "12" would read as (1.0, 2.0)
        values = tuple(noise)
        if any(isinstance(v, (str, bytes, bool, np.bool_)) for v in values):
            raise TypeError
        low, high = (float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"noise must be a pair of floats (low, high), got {noise!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise ValueError(f"noise must satisfy low < high and be finite, got {noise!r}")
    return low, high


def make_curve(n_classes=2, *, noise=(-0.1, 0.3), random_state=None):
    """Points in bands above and below the curve ``y = 3x³ + 2x² + 5x``.

    Parameters
    ----------
    n_classes : int, default=2
        Number of bands (classes), at least 2. Two classes is the lecture's data set.
    noise : tuple of (float, float), default=(-0.1, 0.3)
        ``(low, high)`` of the uniform offset ``u`` of the seed. The band width is
        ``high - low`` and the distance between neighbouring band centres is ``low + high``.
    random_state : int, RandomState instance or None, default=None
        Seeds the uniform offsets.

    Returns
    -------
    X : ndarray of shape (80 * n_classes, 2)
        Columns ``x1`` and ``x2``, the normalised abscissa and the point's height.
    y : ndarray of shape (80 * n_classes,)
        Integer class labels ``0 .. n_classes - 1``; 0 is the top band (the bottom one if
        ``low + high < 0``).

    Examples
    --------
    >>> from clfcompare.datasets import make_curve
    >>> X, y = make_curve(4, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((320, 2), [0, 1, 2, 3])
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    rng = check_random_state(random_state)

    x1 = np.arange(_X_START, _X_STOP, _X_STEP)  # 80 points, -10 ... 9.75
    y_curve = _minmax(curve(x1))
    x1 = _minmax(x1)

    spacing = low + high
    mid = 0.5 * (low + high)
    k = np.arange(n_classes)
    centres = spacing * ((n_classes - 1) / 2 - k)
    signs = np.where(centres < 0, -1.0, 1.0)
    # one row per x1, one column per class: drawn in the seed's interleaved order
    u = rng.uniform(low, high, size=(x1.size, n_classes))
    x2 = y_curve[:, None] + centres[None, :] + signs[None, :] * (u - mid)

    X = np.column_stack([np.repeat(x1, n_classes), x2.ravel()])
    y = np.tile(k, x1.size)
    return X, y


def bayes_accuracy(n_classes, *, noise=(-0.1, 0.3)):
    r"""Expected accuracy of the Bayes-optimal classifier on :func:`make_curve` data.

    Given ``x1`` the offset ``o = x2 - y(x1)`` of a point of class ``k`` is uniform on
    ``[c_k - w/2, c_k + w/2]`` (width ``w = high - low``), all classes equally likely. The Bayes
    rule picks any class whose band contains ``o``; its accuracy is

    .. math::

        \frac{1}{K} \int \max_k p(o \mid k)\, do
        = \frac{1}{K}\,\frac{(K - 1)s + w}{w},

    with ``s = |low + high|`` the spacing of the band centres (the integral runs over the union
    of the bands, where the densest band has density ``1/w``), assuming ``s <= w`` (neighbours
    overlap). For the seed's noise, ``s = 0.2``, ``w = 0.4`` and this is ``(K + 1) / (2K)``.
    With ``low + high < 0`` the bands are stacked the other way round (class 0 at the bottom),
    with the same accuracy; with ``low + high = 0`` they coincide and the accuracy is ``1/K``.

    Examples
    --------
    >>> from clfcompare.datasets import bayes_accuracy
    >>> round(bayes_accuracy(2), 12), round(bayes_accuracy(4), 12)
    (0.75, 0.625)
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    width, spacing = high - low, abs(low + high)
    if not spacing <= width:
        raise ValueError(
            f"bayes_accuracy needs overlapping bands, |low + high| <= high - low; got {noise!r}"
        )
    return ((n_classes - 1) * spacing + width) / (n_classes * width)


def bayes_cross_entropy(n_classes, *, noise=(-0.1, 0.3)):
    r"""Expected cross-entropy (nats) of the true posterior on :func:`make_curve` data.

    The smallest expected log loss any classifier can reach: a training loss below it means the
    model fits the noise of its sample. With the offsets of :func:`bayes_accuracy` (band ``k``
    uniform on ``[c_k - w/2, c_k + w/2]``, all classes equally likely), a point at offset ``o``
    lies in :math:`n(o)` bands of equal density, so its true posterior is :math:`1/n(o)` on
    each of them and its loss :math:`\ln n(o)`; the offset's density is :math:`n(o)/(K w)`:

    .. math::

        \mathrm{CE}^* = \frac{1}{K w} \int n(o) \ln n(o)\, do,

    computed exactly from the piecewise-constant :math:`n(o)`. For the seed's noise (``w = 2s``:
    every point lies in two bands but for the outer halves of the two end bands, which hold 1
    of the total mass K) this is :math:`\frac{K - 1}{K} \ln 2`: 0.347 for two classes, 0.520
    for four. Coinciding bands (``low + high = 0``) give :math:`\ln K`.

    Examples
    --------
    >>> import math
    >>> from clfcompare.datasets import bayes_cross_entropy
    >>> math.isclose(bayes_cross_entropy(4), 3 / 4 * math.log(2))
    True
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    width, spacing = high - low, abs(low + high)
    starts = spacing * np.arange(n_classes)
    edges = np.unique(np.concatenate([starts, starts + width]))
    mids = (edges[:-1] + edges[1:]) / 2
    cover = ((mids[:, None] >= starts) & (mids[:, None] <= starts + width)).sum(axis=1)
    lengths = np.diff(edges)
    terms = cover * np.log(np.maximum(cover, 1))  # 0 where no band covers (n ln n -> 0)
    return float(np.sum(lengths * terms) / (n_classes * width))


def _data_path(n_classes):
    name = f"curve_{n_classes}class.csv"
    try:
        res = resources.files("clfcompare.data").joinpath(name)
        if res.is_file():
            return res
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "data" / name


def write_curve_csv(path, n_classes, *, random_state=CANONICAL_RANDOM_STATE):
    """Write ``make_curve(n_classes, random_state=random_state)`` as CSV, bit-exactly.

    Floats are written with 17 significant digits so that reading the file back gives the
    same float64 values. Returns the SHA-256 of the bytes written.
    """
    text = curve_csv_text(n_classes, random_state=random_state)
    data = text.encode("ascii")
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def curve_csv_text(n_classes, *, random_state=CANONICAL_RANDOM_STATE):
    """The CSV text (header ``x1,x2,y``) of ``make_curve(n_classes, random_state=...)``."""
    X, y = make_curve(n_classes, random_state=random_state)
    lines = ["x1,x2,y"]
    lines += [f"{a:.17g},{b:.17g},{int(c)}" for (a, b), c in zip(X, y, strict=True)]
    return "\n".join(lines) + "\n"


def load_curve(n_classes=2):
    """Load the canonical curve data set shipped in ``data/``.

    Parameters
    ----------
    n_classes : {2, 4}, default=2
        Which of the shipped data sets (generated by :func:`make_curve` with
        ``random_state=CANONICAL_RANDOM_STATE``).

    Returns
    -------
    X : ndarray of shape (80 * n_classes, 2)
    y : ndarray of shape (80 * n_classes,)

    Examples
    --------
    >>> from clfcompare.datasets import load_curve
    >>> X, y = load_curve(4)
    >>> X.shape
    (320, 2)
    """
    _check_n_classes(n_classes)
    if n_classes not in (2, 4):
        raise ValueError(
            f"load_curve ships the 2- and 4-class data sets, got n_classes={n_classes!r}; "
            "use make_curve(n_classes, random_state=...) for other numbers of classes"
        )
    path = _data_path(n_classes)
    with path.open("r") as fh:
        table = np.loadtxt(fh, delimiter=",", skiprows=1)
    return table[:, :2].copy(), table[:, 2].astype(np.int64)
