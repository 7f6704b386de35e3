"""Bayesian analyses of two models: posterior probabilities of worse / equivalent / better.

- One data set, repeated cross-validation: :func:`bayesian_correlated_ttest`, the counterpart
  of :func:`~clfcompare.stats.corrected_ttest`, in the manner of baycomp's ``CorrelatedTTest``
  (baycomp's ``single.py``).
- Several data sets, one score per data set: :func:`bayesian_signed_rank`, the Bayesian
  signed-rank test of Benavoli et al. (baycomp's ``SignedRankTest`` in ``multiple.py``).
  The hierarchical model over data sets x folds is
  :func:`~clfcompare.stats.hierarchical.bayesian_hierarchical`.

Both give the posterior probabilities that model A is worse, practically equivalent (within
``rope``) or better than model B.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import stats as sps

from clfcompare._checks import check_int, check_level, check_real
from clfcompare.stats._common import mean_and_std, mean_size, paired_differences
from clfcompare.stats._results import BayesianResult

__all__ = ["SampledBayesianResult", "bayesian_correlated_ttest", "bayesian_signed_rank"]


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


# --------------------------------------------------------------------------------------------
# Posteriors known through samples
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SampledBayesianResult(BayesianResult):
    r"""A :class:`BayesianResult` whose posterior is known through samples.

    Returned by :func:`bayesian_signed_rank` and
    :func:`~clfcompare.stats.hierarchical.bayesian_hierarchical`. Each posterior sample is a
    triple :math:`(\theta_{worse}, \theta_{equivalent}, \theta_{better})` of probabilities
    (of the next data set's difference falling left of, inside or right of the rope); as in
    baycomp, ``prob_worse``, ``prob_equivalent`` and ``prob_better`` are the fractions of the
    samples in which that region is the most probable one (the first on a tie).

    Attributes
    ----------
    test : str
        The function that produced it.
    n_samples : int
        Number of posterior samples.
    posterior : ndarray of shape (n_samples, 3), repr=False
        The sampled triples, columns worse, equivalent, better; each row sums to one.
    mean_samples : ndarray of shape (n_samples,), repr=False
        Posterior samples of the mean difference A - B (the Dirichlet-process mean of the
        differences, or the hierarchical model's mean ``delta0``), for
        :meth:`credible_interval`.
    per_dataset : DataFrame or None, repr=False
        Hierarchical model only: per data set, the posterior mean of its difference and the
        fractions of its draws left of, inside and right of the rope.
    rhat : float or None
        Hierarchical model only: Gelman-Rubin statistic of ``delta0`` over the chains.

    The inherited ``mean_difference`` is the posterior mean of ``mean_samples``, ``scale`` its
    posterior standard deviation, ``df`` NaN (no Student-t posterior), ``n`` the number of data
    sets.
    """

    test: str = "bayesian_signed_rank"
    n_samples: int = 0
    posterior: np.ndarray | None = field(default=None, repr=False)
    mean_samples: np.ndarray | None = field(default=None, repr=False)
    per_dataset: pd.DataFrame | None = field(default=None, repr=False)
    rhat: float | None = None

    def __post_init__(self):
        for f in fields(BayesianResult):
            value = getattr(self, f.name)
            if f.name == "n":
                value = None if value is None else int(value)
            elif value is not None:
                value = float(value)
            object.__setattr__(self, f.name, value)
        object.__setattr__(self, "n_samples", int(self.n_samples))

    @property
    def expected_probabilities(self):
        """Posterior means of the three probabilities ``(worse, equivalent, better)``."""
        means = np.mean(self.posterior, axis=0)
        return tuple(float(m) for m in means)

    def credible_interval(self, level=0.95):
        """Equal-tailed credible interval of the mean difference, from ``mean_samples``.

        Parameters
        ----------
        level : float, default=0.95
            Posterior probability inside the interval, in (0, 1).

        Returns
        -------
        (low, high) : tuple of float
        """
        level = check_level(level, "level")
        low, high = np.quantile(self.mean_samples, [(1 - level) / 2, (1 + level) / 2])
        return (float(low), float(high))

    def __str__(self):
        return (
            f"{self.test}: P(A worse)={self.prob_worse:.4g}, "
            f"P(equivalent)={self.prob_equivalent:.4g}, P(A better)={self.prob_better:.4g} "
            f"(rope={self.rope:.4g}, {self.n_samples} posterior samples); posterior mean "
            f"difference={self.mean_difference:.4g} (sd {self.scale:.4g})"
        )


def winner_fractions(posterior):
    """Fractions of the rows of ``posterior`` (n, 3) in which each column is the largest.

    ``np.argmax`` picks the first column on a tie, as baycomp's ``Posterior.probs``.
    """
    winners = np.argmax(posterior, axis=1)
    counts = np.bincount(winners, minlength=3)
    return counts / float(len(winners))


def _check_rope(rope):
    return check_real(rope, "rope", low=0)


def _check_n_samples(n_samples):
    return check_int(n_samples, "n_samples", low=1)


def _heaviside(x, threshold):
    """1 where ``x > threshold``, 1/2 where equal, 0 below (baycomp's ``heaviside``)."""
    return (x > threshold).astype(np.float64) + 0.5 * (x == threshold)


def _signed_rank_posterior(z, weights, rope, n_samples, rng, chunk=4096):
    r"""Sample the Dirichlet-process posterior of the signed-rank test.

    Parameters
    ----------
    z : ndarray of shape (m,)
        The pseudo-observation 0 followed by the differences.
    weights : ndarray of shape (m,)
        Dirichlet parameters (the prior strength for the pseudo-observation, 1 for each data
        set).

    Returns
    -------
    posterior : ndarray of shape (n_samples, 3)
        :math:`\theta_{left} = \sum_{ij} w_i w_j H(-(z_i + z_j) - 2r)`, the rope, and
        :math:`\theta_{right} = \sum_{ij} w_i w_j H(z_i + z_j - 2r)`.
    means : ndarray of shape (n_samples,)
        :math:`\sum_i w_i z_i`, the Dirichlet-process mean of the differences.
    """
    sums = z[:, None] + z[None, :]
    above = _heaviside(sums, 2 * rope)
    below = _heaviside(-sums, 2 * rope)
    posterior = np.empty((n_samples, 3))
    means = np.empty(n_samples)
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        w = rng.dirichlet(weights, stop - start)
        posterior[start:stop, 0] = np.sum((w @ below) * w, axis=1)
        posterior[start:stop, 2] = np.sum((w @ above) * w, axis=1)
        means[start:stop] = w @ z
    posterior[:, 1] = np.clip(1.0 - posterior[:, 0] - posterior[:, 2], 0.0, 1.0)
    return posterior, means


def bayesian_signed_rank(
    scores_a, scores_b, *, rope=0.01, prior=0.5, n_samples=50000, random_state=None
):
    r"""Bayesian signed-rank test over data sets (Benavoli et al. 2014, 2017).

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (N,)
        Scores of models A and B on the same N data sets (e.g. each model's mean over its
        cross-validation splits on each data set); higher is better. The data sets, not the
        splits, must be the independent rows.
    rope : float, default=0.01
        Half-width of the region of practical equivalence, in score units (0: no rope).
    prior : float, default=0.5
        Strength of the Dirichlet-process prior, a pseudo-observation at difference 0
        (baycomp's default).
    n_samples : int, default=50000
        Number of posterior samples.
    random_state : int, numpy Generator or None, default=None
        Seed of ``numpy.random.default_rng`` for the Dirichlet draws.

    Returns
    -------
    SampledBayesianResult
        ``prob_worse`` / ``prob_equivalent`` / ``prob_better``: the posterior probability that
        "A worse by more than the rope", "practically equivalent", "A better" is the most
        probable of the three for the next data set (baycomp's ``SignedRankTest.probs``);
        ``posterior`` the samples, ``n`` the number of data sets.

    Notes
    -----
    The differences :math:`z_1, \dots, z_N` (``scores_a - scores_b``) and a pseudo-observation
    :math:`z_0 = 0` get Dirichlet weights :math:`w \sim \mathrm{Dir}(s, 1, \dots, 1)`,
    :math:`s` = ``prior``: the posterior of a Dirichlet process with base measure at 0.
    Each draw gives

    .. math::

        \theta_{better} = \sum_{i,j=0}^{N} w_i w_j\, H(z_i + z_j - 2r), \qquad
        \theta_{worse} = \sum_{i,j=0}^{N} w_i w_j\, H(-z_i - z_j - 2r),

    :math:`\theta_{equivalent} = 1 - \theta_{better} - \theta_{worse}`, with :math:`H`
    the Heaviside step (1/2 at 0) and :math:`r` the rope: the probabilities that the Walsh
    average of two differences from the posterior lies right of, inside or left of the rope,
    the quantity the signed-rank test is about. The same construction as baycomp's
    ``SignedRankTest`` (its first argument is A here: its ``p_left`` is ``prob_better``);
    the draws come from numpy's ``default_rng``, not baycomp's ``RandomState``, so the two
    agree within Monte Carlo error (about :math:`\sqrt{p(1-p)/n_{samples}}`, 0.002 at
    50,000 samples). Differences within rounding of zero (package notes) are exactly zero.

    References
    ----------
    .. [1] A. Benavoli, G. Corani, F. Mangili, M. Zaffalon and F. Ruggeri, "A Bayesian
       Wilcoxon signed-rank test based on the Dirichlet process", ICML 2014, PMLR 32(2),
       1026-1034.
    .. [2] A. Benavoli, G. Corani, J. Demšar and M. Zaffalon, "Time for a change: a tutorial
       for comparing multiple classifiers through Bayesian analysis", JMLR 18(77), 1-36 (2017).

    Examples
    --------
    >>> from clfcompare.stats import bayesian_signed_rank
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84, 0.91, 0.77]
    >>> b = [0.80, 0.82, 0.81, 0.83, 0.81, 0.85, 0.80, 0.84, 0.90, 0.78]
    >>> res = bayesian_signed_rank(a, b, rope=0.01, random_state=0)
    >>> round(res.prob_worse, 2), round(res.prob_equivalent, 2), round(res.prob_better, 2)
    (0.0, 0.54, 0.46)
    """
    rope = _check_rope(rope)
    prior = check_real(prior, "prior", low=0, low_open=True)
    n_samples = _check_n_samples(n_samples)
    d, _ = paired_differences(scores_a, scores_b)
    rng = np.random.default_rng(random_state)
    z = np.concatenate([[0.0], d])
    weights = np.ones(z.size)
    weights[0] = prior
    posterior, means = _signed_rank_posterior(z, weights, rope, n_samples, rng)
    worse, equivalent, better = winner_fractions(posterior)
    return SampledBayesianResult(
        prob_worse=worse,
        prob_equivalent=equivalent,
        prob_better=better,
        mean_difference=float(np.mean(means)),
        scale=float(np.std(means)),
        df=math.nan,
        rope=rope,
        rho=None,
        n=d.size,
        test="bayesian_signed_rank",
        n_samples=n_samples,
        posterior=posterior,
        mean_samples=means,
    )
