"""Several models on one data set: simultaneous intervals and adjusted p-values (max-|t|).

:func:`simultaneous_comparisons` compares every pair of models (Tukey-style) or every model
with a baseline (Dunnett-style) on the splits of one data set. The comparisons share splits, so
their statistics are correlated; instead of Holm's or Bonferroni's worst-case bound it uses the
joint distribution of the statistics, estimated from the covariance of the pairwise differences
over the splits (the Nadeau-Bengio correction applied to the whole covariance matrix), or from
the half-partition scores of Nadeau and Bengio's conservative Z. This replaces Friedman and
Nemenyi, whose rows must be independent, for a single-data-set study.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from clfcompare._checks import check_choice, check_finite, check_int, check_level
from clfcompare.stats._common import (
    as_float_array,
    half_scores,
    input_eps,
    mean_size,
    power_of_two_scale,
    ratio,
)

__all__ = ["SIMULTANEOUS_COLUMNS", "SimultaneousResult", "simultaneous_comparisons"]

#: The columns of :attr:`SimultaneousResult.table`, in order.
SIMULTANEOUS_COLUMNS = (
    "model_a",
    "model_b",
    "mean_difference",
    "std_error",
    "ci_low",
    "ci_high",
    "statistic",
    "pvalue",
    "pvalue_adjusted",
)
_VARIANCES = ("auto", "corrected", "conservative")
_REFERENCES = ("wishart", "multivariate_t")
_N_BATCHES = 20


@dataclass(frozen=True, eq=False)
class SimultaneousResult:
    """Result of :func:`simultaneous_comparisons`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per comparison, columns :data:`SIMULTANEOUS_COLUMNS`: ``model_a, model_b,
        mean_difference`` (A - B), ``std_error``, the simultaneous interval ``ci_low, ci_high``
        (``mean_difference +- critical_value * std_error``), ``statistic`` (t or Z),
        ``pvalue`` (unadjusted, two-sided) and ``pvalue_adjusted`` (single-step max-|t|).
    critical_value : float
        The ``confidence_level`` quantile of ``max |T|`` over the family.
    critical_value_mc_error : float
        Monte Carlo standard error of ``critical_value`` (0 when it is exact: one comparison).
    pvalue_mc_error : float
        Largest Monte Carlo standard error of an adjusted p-value in ``table``.
    confidence_level : float
        Simultaneous coverage of the intervals (family-wise error ``1 - confidence_level``).
    family : str
        ``"all_pairs"`` or ``"baseline"``.
    baseline : str or None
        The baseline model (``model_b`` of every row) when ``family == "baseline"``.
    variance : str
        ``"corrected"`` (Nadeau-Bengio factor ``1/J + n_test/n_train`` on the covariance of the
        split scores, ``J - 1`` degrees of freedom) or ``"conservative"`` (half-partition
        covariance, multivariate normal).
    reference : str
        ``"wishart"`` or ``"multivariate_t"`` for the corrected variance, ``"normal"`` for the
        conservative one.
    df : float
        Degrees of freedom of the reference (``inf`` for the conservative variant).
    correlation : pandas.DataFrame
        Correlation matrix of the comparisons' statistics used for the joint distribution.
    models : tuple of str
    n_splits : int
        Number of main splits ``J``.
    n_draws : int
        Monte Carlo draws of ``max |T|`` (0 when exact).
    """

    table: pd.DataFrame = field(repr=False)
    critical_value: float
    critical_value_mc_error: float
    pvalue_mc_error: float
    confidence_level: float
    family: str
    baseline: str | None
    variance: str
    reference: str
    df: float
    correlation: pd.DataFrame = field(repr=False)
    models: tuple
    n_splits: int
    n_draws: int

    def __str__(self):
        level = f"{100 * self.confidence_level:g}%"
        lines = [
            f"simultaneous {level} intervals ({self.family}, {self.variance} variance, "
            f"df={self.df:g}): critical value {self.critical_value:.4g} "
            f"(MC error {self.critical_value_mc_error:.2g})"
        ]
        for r in self.table.itertuples(index=False):
            lines.append(
                f"  {r.model_a} - {r.model_b}: {r.mean_difference:.4g} "
                f"[{r.ci_low:.4g}, {r.ci_high:.4g}], p_adj={r.pvalue_adjusted:.3g}"
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def _from_results(results, metric):
    """(main score table, n_train, n_test, half scores (M, 2, F, k) or None) of a
    ``TrialResults`` (``score_table``, ``split_sizes`` or ``scores``, and ``design``)."""
    table = results.score_table(metric)  # the main splits (all splits for ordinary CV)
    if hasattr(results, "split_sizes"):
        sizes = results.split_sizes().reindex(table.index)
    else:
        rows = results.scores[results.scores["split"].isin(table.index)]
        sizes = rows.groupby("split")[["n_train", "n_test"]].first().reindex(table.index)
    design = getattr(results, "design", None)
    half = None
    if isinstance(design, Mapping) and design.get("kind") == "halves":
        per_model = half_scores(results, metric, design, list(table.columns))
        half = np.stack([per_model[c].astype(float) for c in table.columns], axis=-1)
    return table, sizes["n_train"].to_numpy(float), sizes["n_test"].to_numpy(float), half


def _as_table(scores, models):
    """``scores`` as ``(values (J, k) float64, model names, the input's rounding eps)``."""
    if isinstance(scores, pd.DataFrame):
        names = [str(c) for c in scores.columns] if models is None else list(models)
        if models is not None and len(names) != scores.shape[1]:
            raise ValueError(
                f"models names {len(names)} columns, the score table has {scores.shape[1]}"
            )
        eps = max(input_eps(scores[c].to_numpy()) for c in scores.columns) if scores.size else 1
        values = as_float_array(scores.to_numpy(), "score_table")
    else:
        values = as_float_array(scores, "score_table")
        eps = input_eps(scores)
        if values.ndim == 2:
            names = (
                [f"model_{i}" for i in range(values.shape[1])] if models is None else list(models)
            )
        else:
            names = []
    if values.ndim != 2:
        raise ValueError(
            f"score_table must be 2-dimensional (split x model), got shape {values.shape}"
        )
    if values.shape[1] < 2:
        raise ValueError(f"need at least 2 models (columns), got {values.shape[1]}")
    if values.shape[0] < 2:
        raise ValueError(
            f"need at least 2 splits (rows) to estimate a variance, got {values.shape[0]}"
        )
    if len(names) != values.shape[1]:
        raise ValueError(f"models must name the {values.shape[1]} columns, got {len(names)} names")
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names}")
    check_finite(values, "score_table")
    return values, names, eps


def _half_means(half_scores, n_models):
    """Half-partition scores ``(M, 2, F, k)`` or ``(M, 2, k)`` as per-half means ``(M, 2, k)``."""
    h = as_float_array(half_scores, "half_scores")
    if h.ndim == 4:
        h = h.mean(axis=2)
    if h.ndim != 3 or h.shape[1] != 2 or h.shape[2] != n_models:
        raise ValueError(
            "half_scores must be shaped (M, 2, F, k) or (M, 2, k) (partition, half, inner fold, "
            f"model) with k = {n_models} models, got {np.shape(half_scores)}"
        )
    if h.shape[0] < 1:
        raise ValueError("half_scores needs at least one partition")
    check_finite(h, "half_scores")
    return h


# --------------------------------------------------------------------------------------------
# the max-|t| distribution
# --------------------------------------------------------------------------------------------
def _max_abs_draws(corr, df, n_draws, rng, reference):
    """``n_draws`` draws of ``max_c |T_c|`` under the reference, ``Z ~ N(0, corr)`` (``corr``
    may be singular: all pairs of k models span k - 1 dimensions).

    ``"multivariate_t"``: ``T = Z / sqrt(W / df)``, one ``W ~ chi2(df)`` for all comparisons.
    ``"wishart"``: ``T_c = Z_c / sqrt(S_cc)``, ``S ~ Wishart(corr, df) / df`` independent of
    ``Z``: each comparison studentized by its own variance estimate, as the statistics are.
    ``df`` inf: ``T = Z``.
    """
    vals, vecs = np.linalg.eigh(corr)
    keep = vals > 1e-12 * max(float(vals.max()), 1e-300)
    root = vecs[:, keep] * np.sqrt(vals[keep])  # corr = root @ root.T, shape (P, r)
    rank = root.shape[1]
    out = np.empty(n_draws)
    chunk = 10_000
    for start in range(0, n_draws, chunk):
        size = min(chunk, n_draws - start)
        z = rng.standard_normal((size, rank)) @ root.T
        if not math.isfinite(df):
            pass
        elif reference == "multivariate_t":
            z /= np.sqrt(rng.chisquare(df, size) / df)[:, None]
        else:
            n = int(round(df))
            if n >= rank:  # Bartlett: Wishart_r(I, n) = A A^T, A lower triangular
                a = np.zeros((size, rank, rank))
                rows, cols = np.tril_indices(rank, -1)
                a[:, rows, cols] = rng.standard_normal((size, rows.size))
                diag = np.arange(rank)
                a[:, diag, diag] = np.sqrt(rng.chisquare(n - diag, (size, rank)))
                b = np.einsum("pr,srq->spq", root, a)
                s_cc = np.einsum("spq,spq->sp", b, b) / n
            else:
                g = rng.standard_normal((size, n, rank)) @ root.T
                s_cc = np.einsum("snp,snp->sp", g, g) / n
            z /= np.sqrt(s_cc)
        out[start : start + size] = np.max(np.abs(z), axis=1)
    return out


def _critical_and_pvalues(stats, corr, df, level, n_draws, rng, reference):
    """Critical value, its MC error, adjusted p-values and their largest MC error."""
    alpha = 1 - level
    ref = sps.norm if not math.isfinite(df) else sps.t(df)
    raw = np.array([min(1.0, 2 * float(ref.sf(abs(t)))) for t in stats])
    active = np.diag(corr) > 0
    n_active = int(active.sum())
    if n_active <= 1:  # one comparison (or one with nonzero variance): exact
        return float(ref.isf(alpha / 2)), 0.0, raw, 0.0, 0
    sub = corr[np.ix_(active, active)]
    draws = _max_abs_draws(sub, df, n_draws, rng, reference)
    # bounded by the exact single-comparison and Bonferroni quantiles
    low_q, high_q = float(ref.isf(alpha / 2)), float(ref.isf(alpha / (2 * n_active)))
    crit = float(np.clip(np.quantile(draws, level), low_q, high_q))
    batches = np.array_split(draws, _N_BATCHES)
    batch_q = [np.quantile(b, level) for b in batches]
    crit_err = float(np.std(batch_q, ddof=1) / math.sqrt(_N_BATCHES))
    sorted_draws = np.sort(draws)
    exceed = 1 - np.searchsorted(sorted_draws, np.abs(stats), side="left") / n_draws
    adjusted = np.clip(exceed, raw, np.minimum(1.0, n_active * raw))
    p_err = float(np.max(np.sqrt(adjusted * (1 - adjusted) / n_draws)))
    return crit, crit_err, adjusted, p_err, n_draws


# --------------------------------------------------------------------------------------------
# the function
# --------------------------------------------------------------------------------------------
def simultaneous_comparisons(
    score_table,
    n_train=None,
    n_test=None,
    *,
    baseline=None,
    confidence_level=0.95,
    half_scores=None,
    variance="auto",
    metric="accuracy",
    models=None,
    reference="wishart",
    n_draws=200_000,
    random_state=0,
):
    r"""Simultaneous intervals and max-|t| adjusted p-values for several models on one data set.

    Parameters
    ----------
    score_table : DataFrame, array-like of shape (J, k), or TrialResults
        Scores of ``k`` models (columns) on the same ``J`` main splits (rows), higher is
        better; or a results object (``score_table(metric)``, ``scores`` with ``split``,
        ``n_train``, ``n_test``, and ``design``): then the sizes and, when
        ``results.design["kind"] == "halves"``, the half-partition scores are read from it.
    n_train, n_test : int or array-like of shape (J,), optional
        Training- and test-set sizes of the main splits (required for the corrected variance
        unless ``score_table`` is a results object); per-split sizes are averaged.
    baseline : str or None, default=None
        ``None``: every pair (Tukey-style, ``model_a`` before ``model_b`` in column order).
        A model name: every other model against it (Dunnett-style, ``model_b`` is the baseline).
    confidence_level : float, default=0.95
        Simultaneous coverage of the intervals; ``alpha = 1 - confidence_level`` is the
        family-wise error of the adjusted p-values.
    half_scores : array-like of shape (M, 2, F, k) or (M, 2, k), optional
        Scores on the half-partition design of Nadeau and Bengio's conservative Z (partition,
        half, inner fold, model; or already averaged over inner folds), models in the columns'
        order.
    variance : {"auto", "corrected", "conservative"}, default="auto"
        ``"auto"``: conservative when half scores are available, else corrected (as
        ``compare(test="auto")``).
    metric : str, default="accuracy"
        Score column, when ``score_table`` is a results object.
    models : sequence of str, optional
        Names of the columns of an array ``score_table`` (default ``model_0, ...``).
    reference : {"wishart", "multivariate_t"}, default="wishart"
        Joint distribution of the corrected t statistics (see Notes); not used by the
        conservative variance (multivariate normal).
    n_draws : int, default=200000
        Monte Carlo draws of ``max |T|``.
    random_state : int, default=0
        Seed of the Monte Carlo draws (the same inputs give the same numbers).

    Returns
    -------
    SimultaneousResult
        ``table`` (one row per comparison), ``critical_value`` and its Monte Carlo error,
        ``correlation`` of the statistics, ``df``.

    Notes
    -----
    Corrected variance: with the split scores :math:`x_j \in \mathbb{R}^k`, :math:`j = 1..J`,
    and the pair contrasts :math:`d_{j,c} = x_{j,a} - x_{j,b}`, the vector of mean differences
    :math:`\bar d` has covariance :math:`(1/J + n_{test}/n_{train})\,\hat C`, :math:`\hat C`
    the sample covariance of the :math:`d_{j,\cdot}` (``ddof=1``) -- Nadeau and Bengio's
    factor on the whole covariance matrix. :math:`T_c = \bar d_c / \mathrm{SE}_c` is the
    corrected t of each pair, studentized by its own variance. With normal scores and the
    correction exact, :math:`(T_c)` is distributed as :math:`Z_c/\sqrt{S_{cc}}`,
    :math:`Z \sim N(0, R)`, :math:`(J-1)S \sim \mathrm{Wishart}(R, J-1)` independent,
    :math:`R` the correlation of :math:`C`; ``reference="wishart"`` (default) draws from it
    with :math:`R` estimated by that of :math:`\hat C` (a parametric bootstrap; exact for one
    comparison, where the result is :func:`~clfcompare.stats.corrected_ttest`'s).
    ``reference="multivariate_t"`` uses one common denominator, :math:`Z/\sqrt{\chi^2_{J-1}
    /(J-1)}` (multcomp's general linear hypothesis; Tukey's and Dunnett's reference for a pooled
    variance), which understates the tail when each comparison has its own variance: measured
    family-wise error at 95%, k = 4 models, all pairs, J = 20, R = 2000 global-null data sets:
    0.064 +- 0.005 (multivariate t) vs 0.057 +- 0.005 (Wishart); J = 50: 0.056 (multivariate t).
    The estimated :math:`R` leaves a small excess for few splits (Wishart, J = 10: 0.068).

    Conservative variance: with :math:`\mu^h_{m}` the mean over the inner folds of half
    :math:`h` of partition :math:`m` (a k-vector), the contrasts' covariance is
    :math:`\frac{1}{2M}\sum_m \delta_m \delta_m^\top`, :math:`\delta_m` the contrasts of
    :math:`\mu^0_m - \mu^1_m`; the reference is the multivariate normal (for one pair this is
    ``conservative_z``).

    The critical value :math:`q` is the ``confidence_level`` quantile of
    :math:`\max_c |T_c|` under the reference, by Monte Carlo (``n_draws`` draws, seed
    ``random_state``; its standard error from 20 batches is ``critical_value_mc_error``),
    clipped to the exact interval between the one-comparison and the Bonferroni quantiles;
    intervals are :math:`\bar d_c \pm q\,\mathrm{SE}_c` and the adjusted p-value is
    :math:`P(\max|T| \ge |t_c|)` (single-step), clipped to ``[p, min(1, m p)]``. A
    comparison with zero variance has statistic 0 (zero difference) or ``+/-inf`` and takes
    no part in the maximum.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import simultaneous_comparisons
    >>> rng = np.random.default_rng(0)
    >>> table = 0.8 + rng.normal(0, 0.02, (50, 3)) + [0.0, 0.0, 0.03]
    >>> res = simultaneous_comparisons(table, 180, 20, models=["a", "b", "c"])
    >>> round(res.critical_value, 1)  # Tukey's q(0.95; 3, 49) / sqrt(2) = 2.42
    2.4
    >>> res.table[["model_a", "model_b"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    >>> (res.table["pvalue_adjusted"] < 0.05).tolist()
    [False, True, True]
    """
    confidence_level = check_level(confidence_level)
    variance = check_choice(variance, "variance", _VARIANCES)
    reference = check_choice(reference, "reference", _REFERENCES)
    n_draws = check_int(n_draws, "n_draws", low=1000)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(f"random_state must be an int, got {type(random_state).__name__}")
    if hasattr(score_table, "score_table"):
        table, res_train, res_test, res_half = _from_results(score_table, metric)
        n_train = res_train if n_train is None else n_train
        n_test = res_test if n_test is None else n_test
        half_scores = res_half if half_scores is None else half_scores
        score_table = table
    values, names, eps = _as_table(score_table, models)
    n_splits, k = values.shape

    if baseline is None:
        pairs = list(itertools.combinations(range(k), 2))
        family = "all_pairs"
    else:
        if str(baseline) not in names:
            raise ValueError(f"baseline {baseline!r} is not one of the models {names}")
        base = names.index(str(baseline))
        pairs = [(i, base) for i in range(k) if i != base]
        family = "baseline"
    contrasts = np.zeros((len(pairs), k))
    for c, (i, j) in enumerate(pairs):
        contrasts[c, i], contrasts[c, j] = 1.0, -1.0

    if variance == "auto":
        variance = "conservative" if half_scores is not None else "corrected"
    tol = 16 * eps * float(np.max(np.abs(values)))
    d = values @ contrasts.T  # (J, P) pair differences
    d[np.abs(d) <= tol] = 0.0
    mean = d.mean(axis=0)
    if variance == "corrected":
        if n_train is None or n_test is None:
            raise ValueError(
                "the corrected variance needs n_train and n_test (or pass a results object)"
            )
        factor = 1.0 / n_splits + mean_size(n_test, n_splits, "n_test") / mean_size(
            n_train, n_splits, "n_train"
        )
        scale = power_of_two_scale(d)
        centred = (d - mean) / scale
        flat = np.ptp(d, axis=0) <= tol  # spread within rounding: zero variance
        centred[:, flat] = 0.0
        cov = factor * scale**2 * (centred.T @ centred) / (n_splits - 1)
        df = float(n_splits - 1)
    else:
        if half_scores is None:
            raise ValueError(
                "variance='conservative' needs half_scores (or a results object "
                "with the half-partition design)"
            )
        h = _half_means(half_scores, k)
        delta = (h[:, 0, :] - h[:, 1, :]) @ contrasts.T  # (M, P)
        delta[np.abs(delta) <= tol] = 0.0
        scale = power_of_two_scale(delta)
        delta = delta / scale
        cov = scale**2 * (delta.T @ delta) / (2 * h.shape[0])
        df = math.inf
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    stats = np.array([ratio(float(m), float(s)) for m, s in zip(mean, se, strict=True)])
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    corr[~np.isfinite(corr)] = 0.0
    zero = se == 0
    corr[zero, :] = 0.0
    corr[:, zero] = 0.0
    np.fill_diagonal(corr, np.where(zero, 0.0, 1.0))
    corr = np.clip(corr, -1.0, 1.0)

    rng = np.random.default_rng(random_state)
    crit, crit_err, adjusted, p_err, used = _critical_and_pvalues(
        stats, corr, df, confidence_level, n_draws, rng, reference
    )
    ref = sps.norm if not math.isfinite(df) else sps.t(df)
    raw = np.array([min(1.0, 2 * float(ref.sf(abs(t)))) for t in stats])
    # zero-variance rows: the statistic decides (0 -> p = 1; inf -> p = 0), as corrected_ttest
    adjusted = np.where(zero, raw, adjusted)
    labels = [f"{names[i]} - {names[j]}" for i, j in pairs]
    out = pd.DataFrame(
        {
            "model_a": [names[i] for i, _ in pairs],
            "model_b": [names[j] for _, j in pairs],
            "mean_difference": mean,
            "std_error": se,
            "ci_low": mean - crit * se,
            "ci_high": mean + crit * se,
            "statistic": stats,
            "pvalue": raw,
            "pvalue_adjusted": adjusted,
        }
    )
    out.attrs.update(
        family=family,
        variance=variance,
        confidence_level=confidence_level,
        critical_value=crit,
    )
    return SimultaneousResult(
        table=out[list(SIMULTANEOUS_COLUMNS)],
        critical_value=crit,
        critical_value_mc_error=crit_err,
        pvalue_mc_error=p_err,
        confidence_level=confidence_level,
        family=family,
        baseline=None if baseline is None else str(baseline),
        variance=variance,
        reference="normal" if variance == "conservative" else reference,
        df=df,
        correlation=pd.DataFrame(corr, index=labels, columns=labels),
        models=tuple(names),
        n_splits=n_splits,
        n_draws=used,
    )
