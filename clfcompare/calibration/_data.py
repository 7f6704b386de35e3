r"""The simulated data sets and the splits of every protocol (private to the package).

One replicate: ``n_samples`` rows, two balanced classes, and for each of the two models its own
group of ``n_features`` exchangeable Gaussian features; the splits of the 10x10 CV, the 5x2 CV,
the hold-out and the half/half partitions of the conservative Z, as boolean train/test masks
over the rows. Every random number of a replicate comes from the replicate's own generator, in
a fixed order (see :func:`draw`), so that the data do not depend on which tests or learners run.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["conditional_accuracy", "separation_for_accuracy", "stratified_fold_ids"]

# The main design (10 repeats of 10-fold CV), 5 repeats of 2-fold CV, the hold-out (one part of
# three is the test set) and Nadeau and Bengio's half/half partitions, a 5-fold CV inside each
# half (train 0.4 n, test 0.1 n: the main design's test size).
N_FOLDS, N_REPEATS = 10, 10
N_REPEATS_2 = 5
HOLDOUT_PARTS = 3
N_PARTITIONS, INNER_FOLDS = 10, 5
#: uniforms per replicate: split orders of the 10 + 5 repeats and the hold-out, in this order
N_ORDERS = N_REPEATS + N_REPEATS_2 + 1

#: The splits of one replicate, in order, and the shape each protocol's scores take.
PROTOCOL_SHAPES = {
    "10x10": (N_REPEATS, N_FOLDS),
    "5x2": (N_REPEATS_2, 2),
    "holdout": (1,),
    "halves": (N_PARTITIONS, 2, INNER_FOLDS),
}
PROTOCOL_SLICES = {}
_start = 0
for _name, _shape in PROTOCOL_SHAPES.items():
    PROTOCOL_SLICES[_name] = slice(_start, _start + math.prod(_shape))
    _start += math.prod(_shape)
#: Splits (fits per model) of one replicate: 100 + 10 + 1 + 100.
N_SPLITS = _start


def separation_for_accuracy(accuracy):
    r"""Distance of the class means that gives a one-feature Bayes accuracy ``accuracy``.

    For :math:`x \mid y \sim \mathcal{N}((y - \frac12) d, 1)` with equal priors the Bayes rule
    thresholds at 0 and has accuracy :math:`\Phi(d/2)`, so

    .. math:: d = 2\,\Phi^{-1}(\text{accuracy}).

    A group of ``p`` features, each :math:`\mathcal{N}((y - \frac12) d / \sqrt p, 1)`, has the
    same Bayes accuracy (the Mahalanobis distance of its class means is :math:`d`).

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
    each class ``c``, and every assignment is equally likely. (The same holds for any integer
    "class" labels, e.g. ``2 * half + y`` to stratify inside halves.)

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or broadcastable with ``uniforms``
        Class labels, non-negative integers.
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


def labels(n_samples):
    """Two classes of ``n_samples // 2`` and the rest rows: ``[0, ..., 0, 1, ..., 1]``."""
    n0 = n_samples // 2
    return np.repeat(np.array([0, 1]), [n0, n_samples - n0])


def draw(seeds, n_samples, n_features, n_model_seeds=0):
    """The random numbers of each replicate, from its own generator, in this order.

    Feature noise ``(2 * n_features, n)`` (model A's group, then model B's), the split orders
    ``(N_ORDERS, n)`` of the 10 + 5 CV repeats and the hold-out, the half/half partitions and
    their inner folds ``(2 * N_PARTITIONS, n)``, then (only when asked for) ``n_model_seeds``
    integer seeds for the learners' own randomness (the MLP's initial weights). With one
    feature per model the first two draws are those of the package before the half/half
    partitions existed, so its earlier numbers are reproduced.

    Returns
    -------
    noise : ndarray (B, 2 * n_features, n)
    uniforms : ndarray (B, N_ORDERS + 2 * N_PARTITIONS, n)
    model_seeds : ndarray of int64 (B, n_model_seeds)
    """
    b = len(seeds)
    noise = np.empty((b, 2 * n_features, n_samples))
    uniforms = np.empty((b, N_ORDERS + 2 * N_PARTITIONS, n_samples))
    model_seeds = np.zeros((b, n_model_seeds), dtype=np.int64)
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        noise[i] = rng.standard_normal((2 * n_features, n_samples))
        uniforms[i, :N_ORDERS] = rng.random((N_ORDERS, n_samples))
        uniforms[i, N_ORDERS:] = rng.random((2 * N_PARTITIONS, n_samples))
        if n_model_seeds:
            model_seeds[i] = rng.integers(0, 2**31 - 1, size=n_model_seeds)
    return noise, uniforms, model_seeds


def features(noise, y, separation, n_features, model):
    r"""One model's feature group ``(B, n_features, n)``: noise plus
    :math:`(y - \frac12)\, d / \sqrt{p}` (``model`` 0 is A, 1 is B)."""
    group = noise[:, model * n_features : (model + 1) * n_features]
    return group + (y - 0.5) * (separation / math.sqrt(n_features))


def split_masks(y, uniforms):
    """Train and test masks ``(B, N_SPLITS, n)`` of every split of every protocol.

    Splits in the order of :data:`PROTOCOL_SLICES`: the 10x10 CV (repeat-major), the 5x2 CV,
    the hold-out (test: one stratified third), and for partition ``m``, half ``h``, inner fold
    ``f`` the ``f``-th stratified fold of half ``h`` as test set and the rest of that half as
    training set (rows of the other half are in neither).
    """
    b, _, n = uniforms.shape
    folds10 = stratified_fold_ids(y, N_FOLDS, uniforms[:, :N_REPEATS])
    folds2 = stratified_fold_ids(y, 2, uniforms[:, N_REPEATS : N_REPEATS + N_REPEATS_2])
    parts = stratified_fold_ids(y, HOLDOUT_PARTS, uniforms[:, N_ORDERS - 1 : N_ORDERS])
    half = stratified_fold_ids(y, 2, uniforms[:, N_ORDERS : N_ORDERS + N_PARTITIONS])
    # inside each half, stratified by class: "classes" 2 * half + y are consecutive in rank
    inner = stratified_fold_ids(2 * half + y, INNER_FOLDS, uniforms[:, N_ORDERS + N_PARTITIONS :])
    test10 = folds10[:, :, None, :] == np.arange(N_FOLDS)[:, None]
    test2 = folds2[:, :, None, :] == np.arange(2)[:, None]
    hold = parts == 0
    in_half = half[:, :, None, :] == np.arange(2)[:, None]  # (B, M, 2, n)
    in_fold = inner[:, :, None, None, :] == np.arange(INNER_FOLDS)[:, None]  # (B, M, 1, F, n)
    test_half = in_half[:, :, :, None, :] & in_fold
    train_half = in_half[:, :, :, None, :] & ~in_fold
    test = np.concatenate([m.reshape(b, -1, n) for m in (test10, test2, hold, test_half)], axis=1)
    train = np.concatenate(
        [(~m).reshape(b, -1, n) for m in (test10, test2, hold)] + [train_half.reshape(b, -1, n)],
        axis=1,
    )
    return train, test
