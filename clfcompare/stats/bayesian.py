"""Bayesian analysis of two models on one data set: :func:`bayesian_correlated_ttest`.

The counterpart of :func:`~clfcompare.stats.corrected_ttest` for repeated cross-validation:
instead of a p-value it gives the posterior probabilities that model A is worse, practically
equivalent (within ``rope``) or better than model B, in the manner of baycomp's
``CorrelatedTTest`` (baycomp's ``single.py``).
"""

from __future__ import annotations

import math
import numbers

from scipy import stats as sps

from clfcompare.stats._common import mean_and_std, mean_size, paired_differences
from clfcompare.stats._results import BayesianResult

__all__ = ["bayesian_correlated_ttest"]


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
    d, tol = paired_differences(scores_a, scores_b)
    n = d.size
    mean_train = mean_size(n_train, n, "n_train")
    mean_test = mean_size(n_test, n, "n_test")
    rho = mean_test / (mean_test + mean_train)
    mean, std = mean_and_std(d, tol)
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
