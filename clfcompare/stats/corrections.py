"""Multiple-comparison adjustment of p-values: :func:`adjust_pvalues`.

Comparing k models pair by pair runs ``k (k - 1) / 2`` tests; the chance that at least one
rejects a true null hypothesis grows with their number. Holm's step-down method controls that
family-wise error rate at ``alpha`` and is uniformly more powerful than Bonferroni's; both are
valid under any dependence between the tests (the pairs of one trial share their splits).
"""

from __future__ import annotations

import numpy as np

from clfcompare._checks import check_choice, check_finite
from clfcompare.stats._common import as_float_array

__all__ = ["CORRECTIONS", "adjust_pvalues"]

#: The ``method`` values of :func:`adjust_pvalues` (and ``correction`` of ``compare``).
CORRECTIONS = ("holm", "bonferroni", "none")


def adjust_pvalues(pvalues, method="holm"):
    r"""p-values adjusted for multiple comparisons (family-wise error rate).

    Parameters
    ----------
    pvalues : array-like of shape (m,)
        Unadjusted p-values of the m comparisons, each in [0, 1].
    method : {"holm", "bonferroni", "none"}, default="holm"
        Holm's step-down method, Bonferroni's, or no adjustment (a copy).

    Returns
    -------
    ndarray of float64, shape (m,)
        Adjusted p-values, in the order of ``pvalues``; a comparison is significant at level
        ``alpha`` when its adjusted p-value is below ``alpha``.

    Notes
    -----
    Bonferroni: :math:`\tilde p_i = \min(1, m\,p_i)`. Holm: with :math:`p_{(1)} \le \dots \le
    p_{(m)}` the sorted p-values,

    .. math::

        \tilde p_{(i)} = \min\Bigl(1, \max_{j \le i} (m - j + 1)\, p_{(j)}\Bigr).

    Tied p-values get the same adjusted value. The arithmetic is that of statsmodels'
    ``multipletests(pvalues, method="holm")`` / ``method="bonferroni"`` (not its default,
    Holm-Šidák), so the results agree to the last bit.

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test procedure", Scandinavian
       Journal of Statistics 6(2), 65-70 (1979).

    Examples
    --------
    >>> from clfcompare.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bonferroni").round(2).tolist()
    [0.03, 0.12, 0.09]
    """
    method = check_choice(method, "method", CORRECTIONS)
    p = as_float_array(pvalues, "pvalues")
    if p.ndim != 1:
        raise ValueError(f"pvalues must be 1-dimensional (one per comparison), got {p.shape}")
    check_finite(p, "pvalues")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"pvalues must lie in [0, 1], got {p.tolist()}")
    m = p.size
    if method == "none":
        return p.copy()
    if method == "bonferroni":
        adjusted = p * float(m)
    else:
        order = np.argsort(p)
        stepped = np.maximum.accumulate(p[order] * np.arange(m, 0, -1))
        adjusted = np.empty_like(stepped)
        adjusted[order] = stepped
    adjusted[adjusted > 1] = 1.0
    return adjusted
