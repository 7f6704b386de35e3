"""Rank tests whose rows must be independent: models compared across data sets.

Demšar (2006): to compare classifiers over several data sets, score each on every data set
and rank them per data set.

- Two models: :func:`wilcoxon_test`, the signed-rank test on paired scores. It is also a
  paired test for two models on one data set when the pairs are independent, but **not** on
  cross-validation folds, which share training data (use
  :func:`~clfcompare.stats.corrected_ttest` there).
- More than two models: :func:`friedman_nemenyi`, Friedman's test with the Nemenyi post-hoc
  comparison of all pairs. It accepts the splits of one data set as rows too (the report's
  critical-difference figure does), where it is anti-conservative for the same reason.

The signed-rank null distribution is exact up to :data:`WILCOXON_EXACT_MAX_N` pairs (a
generating-function expansion, ties and zeros included); its helpers are private to the
package (:mod:`clfcompare.stats.several_models` reads the ranks for a verdict's direction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special as sps_special
from scipy import stats as sps

from clfcompare._checks import check_bool, check_choice, check_finite, check_level
from clfcompare.stats._common import as_float_array, check_alternative, paired_differences
from clfcompare.stats._results import FriedmanResult, TestResult

__all__ = [
    "SIGN_TEST_TIES",
    "WILCOXON_EXACT_MAX_N",
    "SignTestResult",
    "friedman_nemenyi",
    "sign_test",
    "wilcoxon_test",
]


# --------------------------------------------------------------------------------------------
# Wilcoxon signed-rank test
# --------------------------------------------------------------------------------------------
#: Largest number of paired scores ``J`` for which :func:`wilcoxon_test` uses the exact null
#: distribution; above it, the normal approximation (the same switch as SciPy's
#: ``method="auto"``).
WILCOXON_EXACT_MAX_N = 50


def _signed_rank_ranks(d, tol):
    """Doubled midranks of ``|d|`` over the nonzero differences, and the tie-group sizes.

    Differences with ``|d| == 0`` are dropped (Wilcoxon's zero method). Magnitudes within
    ``tol`` of their neighbour in sorted order form one tie group (package notes: differences
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
    other count as tied (package notes), so accuracies ``0.9 - 0.8`` and ``0.8 - 0.7`` share a
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
    check_alternative(alternative)
    d, tol = paired_differences(scores_a, scores_b)
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
# Sign test
# --------------------------------------------------------------------------------------------
#: The ``ties`` values of :func:`sign_test`.
SIGN_TEST_TIES = ("split", "drop")


@dataclass(frozen=True)
class SignTestResult(TestResult):
    """Result of :func:`sign_test`: a :class:`TestResult` with the counts of the rows.

    Attributes
    ----------
    wins, ties, losses : int
        Rows (data sets) on which model A scored higher than, the same as (within rounding),
        or lower than model B.

    The inherited ``statistic`` is the number of wins the binomial test counts (wins plus half
    the ties with ``ties="split"``) and ``n`` the number of trials it counts.
    """

    wins: int = 0
    ties: int = 0
    losses: int = 0

    def __post_init__(self):
        super().__post_init__()
        for name in ("wins", "ties", "losses"):
            object.__setattr__(self, name, int(getattr(self, name)))

    def __str__(self):
        return (
            f"{super().__str__()}; wins/ties/losses of A = {self.wins}/{self.ties}/{self.losses}"
        )


def sign_test(scores_a, scores_b, *, ties="split", alternative="two-sided"):
    r"""Sign test: count the data sets each model wins, exact binomial p-value.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (N,)
        Scores of models A and B on the same N data sets (higher is better).
    ties : {"split", "drop"}, default="split"
        ``"split"`` (Demšar 2006, section 3.1.2): tied data sets support the null hypothesis,
        so they are split evenly between the two models, and one is ignored if their number is
        odd. ``"drop"``: ties are discarded (the textbook sign test).
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: A wins more often than B.

    Returns
    -------
    SignTestResult
        ``statistic`` the wins counted for A (wins plus ``ties // 2`` when split), ``n`` the
        number of trials of the binomial test, ``pvalue`` the exact binomial p-value of
        ``statistic`` out of ``n`` at probability 1/2, ``mean_difference`` the mean of
        ``scores_a - scores_b``, and ``wins``, ``ties``, ``losses``.

    Notes
    -----
    Differences within rounding of zero (package notes) are ties, so ``0.9 - 0.8`` and
    ``0.8 - 0.7`` give no spurious win. Under :math:`H_0` the number of wins is
    :math:`\mathrm{Binomial}(n, 1/2)`; the p-value is that of SciPy's ``binomtest`` (two-sided:
    the sum of the probabilities no larger than that of the observed count). With no trials
    left (every row a tie, ``ties="drop"``, or a single tie) the p-value is 1.

    The sign test uses only the direction of each difference, so it is weaker than
    :func:`wilcoxon_test`, but it makes no assumption about the differences being
    commensurable across data sets (Demšar 2006).

    References
    ----------
    .. [1] J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7,
       1-30 (2006), section 3.1.2.
    .. [2] W. J. Conover, "Practical Nonparametric Statistics", 3rd ed., Wiley (1999), 3.4.

    Examples
    --------
    >>> from clfcompare.stats import sign_test
    >>> a = [0.81, 0.84, 0.80, 0.86, 0.83, 0.85, 0.82, 0.84]
    >>> b = [0.80, 0.82, 0.81, 0.83, 0.80, 0.83, 0.78, 0.84]
    >>> res = sign_test(a, b)
    >>> res.wins, res.ties, res.losses, res.statistic, res.n
    (6, 1, 1, 6.0, 7)
    >>> round(res.pvalue, 4)
    0.125
    """
    check_choice(ties, "ties", SIGN_TEST_TIES)
    check_alternative(alternative)
    d, _ = paired_differences(scores_a, scores_b, min_n=1)
    wins, losses = int(np.sum(d > 0)), int(np.sum(d < 0))
    n_ties = d.size - wins - losses
    half = n_ties // 2 if ties == "split" else 0
    k, n = wins + half, wins + losses + 2 * half
    pvalue = 1.0 if n == 0 else float(sps.binomtest(k, n, 0.5, alternative=alternative).pvalue)
    return SignTestResult(
        test="sign_test",
        statistic=k,
        pvalue=min(1.0, pvalue),
        mean_difference=float(np.mean(d)),
        alternative=alternative,
        n=n,
        wins=wins,
        ties=n_ties,
        losses=losses,
    )


# --------------------------------------------------------------------------------------------
# Friedman + Nemenyi
# --------------------------------------------------------------------------------------------
def _nemenyi_q(alpha, k):
    """Critical value ``q_alpha = q_{1-alpha}(k, inf) / sqrt(2)`` of the Nemenyi test."""
    return float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def friedman_nemenyi(score_table, *, alpha=0.05, higher_is_better=True, tie_correction=True):
    r"""Friedman test over k models and the Nemenyi post-hoc comparison of all pairs.

    Parameters
    ----------
    score_table : DataFrame or array-like of shape (N, k)
        Rows are blocks (data sets, or splits), columns are models; higher scores are better
        unless ``higher_is_better=False``. DataFrame column labels name the models, otherwise
        models are numbered 0..k-1.
    alpha : float, default=0.05
        Significance level of the Nemenyi critical difference.
    higher_is_better : bool, default=True
        Rank 1 goes to the highest score (accuracy) or, if False, to the lowest (an error or a
        loss).
    tie_correction : bool, default=True
        Divide :math:`\chi^2_F` by the tie correction :math:`C` (SciPy's
        ``friedmanchisquare``, R's ``friedman.test``). Demšar (2006) and García and Herrera
        (2008) report the uncorrected statistic computed from the average ranks
        (``tie_correction=False`` reproduces their numbers).

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
    alpha = check_level(alpha, "alpha")
    higher_is_better = check_bool(higher_is_better, "higher_is_better")
    tie_correction = check_bool(tie_correction, "tie_correction")
    if isinstance(score_table, pd.DataFrame):
        labels = list(score_table.columns)
        values = score_table.to_numpy()
    else:
        values = score_table
        labels = None
    table = as_float_array(values, "score_table")
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
    check_finite(table, "score_table")
    if labels is None:
        labels = list(range(k))
    if len(set(labels)) != k:
        raise ValueError(f"score_table has duplicate model (column) labels: {labels}")

    ranks = sps.rankdata(-table if higher_is_better else table, axis=1, method="average")
    avg = ranks.mean(axis=0)
    tie_sum = 0.0
    for row in ranks:
        _, counts = np.unique(row, return_counts=True)
        tie_sum += float(np.sum(counts**3 - counts))
    tie_factor = 1.0 - tie_sum / (n_blocks * k * (k * k - 1))
    raw = 12.0 * n_blocks / (k * (k + 1)) * (np.sum(avg**2) - k * (k + 1) ** 2 / 4.0)
    if not tie_correction:
        tie_factor = 1.0 if tie_factor > 1e-12 else tie_factor
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
