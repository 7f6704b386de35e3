r"""Several models across data sets: post-hoc tests after Friedman, and :func:`compare_datasets`.

The rows of the score table must be independent (data sets, Demšar 2006). After Friedman's
test (:func:`~clfcompare.stats.friedman_nemenyi`) the pairs are compared by

- Nemenyi's test of all pairs (in :func:`~clfcompare.stats.friedman_nemenyi`);
- :func:`rank_z_test`: the z statistic of two average ranks,
  :math:`z = (R_i - R_j)/\sqrt{k(k+1)/(6N)}`, against a control (Demšar 2006, section 3.2.2)
  or for all pairs (García and Herrera 2008), adjusted by Holm's step-down method or
  Bonferroni's (Bonferroni-Dunn against a control);
- :func:`wilcoxon_holm`: Wilcoxon's signed-rank test per pair with Holm's adjustment (as
  autorank and scikit-posthocs do; Benavoli et al. 2016 argue for it, since the rank z-tests
  depend on the other models in the table).

:func:`cliques` turns the pairs a test could not tell apart into the groups a critical-
difference diagram joins with a bar, and :func:`compare_datasets` runs the whole analysis into
a tidy table like :func:`~clfcompare.stats.compare`, with effect sizes beside every p-value.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from clfcompare._checks import check_bool, check_choice, check_level
from clfcompare.stats._common import paired_differences
from clfcompare.stats.across_datasets import (
    _signed_rank_ranks,
    friedman_nemenyi,
    sign_test,
    wilcoxon_test,
)
from clfcompare.stats.bayesian import bayesian_signed_rank
from clfcompare.stats.corrections import adjust_pvalues
from clfcompare.stats.effect_sizes import akinshin_gamma, cliffs_delta, cohens_d
from clfcompare.stats.inputs import as_score_table
from clfcompare.stats.several_models import verdict

__all__ = [
    "COMPARE_DATASETS_COLUMNS",
    "COMPARE_DATASETS_TESTS",
    "bonferroni_dunn_critical_difference",
    "cliques",
    "compare_datasets",
    "rank_z_test",
    "wilcoxon_holm",
]

#: The ``test`` values of :func:`compare_datasets`.
COMPARE_DATASETS_TESTS = ("friedman_nemenyi", "holm", "bonferroni_dunn", "wilcoxon_holm")

#: The columns of :func:`compare_datasets`' table, in order.
COMPARE_DATASETS_COLUMNS = (
    "model_a",
    "model_b",
    "mean_difference",
    "average_rank_a",
    "average_rank_b",
    "statistic",
    "pvalue",
    "pvalue_adjusted",
    "significant",
    "wins",
    "ties",
    "losses",
    "cohens_dz",
    "cohens_dz_low",
    "cohens_dz_high",
    "cliffs_delta",
    "cliffs_delta_low",
    "cliffs_delta_high",
    "akinshin_gamma",
    "akinshin_gamma_low",
    "akinshin_gamma_high",
    "prob_a_better",
    "prob_equivalent",
    "prob_b_better",
    "verdict",
)

_RANK_CORRECTIONS = ("holm", "bonferroni")


def _table_and_ranks(score_table, higher_is_better):
    """Wide float table, the models, and their average ranks (rank 1 = best)."""
    table = as_score_table(score_table)
    if table.shape[0] < 2:
        raise ValueError(f"need at least 2 rows (data sets), got {table.shape[0]}")
    values = table.to_numpy()
    ranks = sps.rankdata(-values if higher_is_better else values, axis=1, method="average")
    average = pd.Series(ranks.mean(axis=0), index=pd.Index(table.columns, name="model"))
    return table, list(table.columns), average.rename("average_rank")


def _pairs(models, control):
    if control is None:
        return list(itertools.combinations(models, 2))
    if control not in models:
        raise ValueError(f"control {control!r} is not one of the models {models}")
    return [(m, control) for m in models if m != control]


def bonferroni_dunn_critical_difference(alpha, k, n_datasets):
    r"""Critical difference of average ranks against a control (Bonferroni-Dunn).

    :math:`CD = z_{1 - \alpha / (2(k-1))} \sqrt{k(k+1)/(6N)}` (Demšar 2006, Table 5(b) gives
    the quantiles: 2.394 for k = 4 at alpha = 0.05, 2.128 at 0.10; his worked example, k = 4
    and N = 14, has CD = 1.04 at 0.10).

    Parameters
    ----------
    alpha : float
    k : int
        Number of models, control included.
    n_datasets : int

    Returns
    -------
    float

    Examples
    --------
    >>> from clfcompare.stats.posthoc import bonferroni_dunn_critical_difference
    >>> round(bonferroni_dunn_critical_difference(0.10, 4, 14), 3)
    1.038
    """
    alpha = check_level(alpha, "alpha")
    q = float(sps.norm.ppf(1 - alpha / (2 * (k - 1))))
    return q * math.sqrt(k * (k + 1) / (6.0 * n_datasets))


def rank_z_test(score_table, *, control=None, correction="holm", higher_is_better=True):
    r"""z-tests of average ranks after Friedman: against a control, or all pairs.

    Parameters
    ----------
    score_table : DataFrame, mapping or array-like
        Rows data sets, columns models (anything :func:`~clfcompare.stats.inputs.as_score_table`
        reads).
    control : label or None, default=None
        Compare every other model with this one (Demšar 2006, section 3.2.2); None: all pairs
        (García and Herrera 2008).
    correction : {"holm", "bonferroni"}, default="holm"
        Holm's step-down adjustment, or Bonferroni's (against a control: Bonferroni-Dunn).
    higher_is_better : bool, default=True

    Returns
    -------
    DataFrame
        One row per comparison: ``model_a``, ``model_b`` (the control when given),
        ``average_rank_a``, ``average_rank_b``, ``z`` (positive when A has the better, i.e.
        lower, average rank), ``pvalue`` (two-sided, unadjusted), ``pvalue_adjusted``.

    Notes
    -----
    :math:`z = (R_b - R_a) / \sqrt{k(k+1)/(6N)}`, :math:`p = 2\Phi(-|z|)`; the adjustment is
    over the comparisons made (:math:`k - 1` against a control, :math:`k(k-1)/2` otherwise).
    These are the unadjusted p-values of García and Herrera (2008, Table 4) and of scmamp's
    ``friedmanPost``.

    References
    ----------
    .. [1] J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7,
       1-30 (2006).
    .. [2] S. García and F. Herrera, "An extension on 'Statistical comparisons of classifiers
       over multiple data sets' for all pairwise comparisons", JMLR 9, 2677-2694 (2008).
    """
    check_choice(correction, "correction", _RANK_CORRECTIONS)
    higher_is_better = check_bool(higher_is_better, "higher_is_better")
    table, models, average = _table_and_ranks(score_table, higher_is_better)
    n, k = table.shape
    se = math.sqrt(k * (k + 1) / (6.0 * n))
    rows = []
    for a, b in _pairs(models, control):
        z = (average[b] - average[a]) / se
        rows.append(
            {
                "model_a": a,
                "model_b": b,
                "average_rank_a": float(average[a]),
                "average_rank_b": float(average[b]),
                "z": float(z),
                "pvalue": float(2 * sps.norm.sf(abs(z))),
            }
        )
    out = pd.DataFrame.from_records(rows)
    out["pvalue_adjusted"] = adjust_pvalues(out["pvalue"].to_numpy(), correction)
    return out


def wilcoxon_holm(score_table, *, control=None, correction="holm", higher_is_better=True):
    """Wilcoxon signed-rank test for each pair (or against a control), Holm-adjusted.

    Parameters
    ----------
    score_table : DataFrame, mapping or array-like
        Rows data sets, columns models.
    control : label or None, default=None
    correction : {"holm", "bonferroni"}, default="holm"
    higher_is_better : bool, default=True
        Only the direction (``direction``) depends on it; the two-sided test does not.

    Returns
    -------
    DataFrame
        ``model_a``, ``model_b``, ``statistic`` (the smaller of :math:`T^+` and :math:`T^-`),
        ``direction`` (+1 when the signed ranks favour A, -1 when B, 0 when even),
        ``pvalue`` (:func:`~clfcompare.stats.wilcoxon_test`, exact up to 50 data sets),
        ``pvalue_adjusted``.
    """
    check_choice(correction, "correction", _RANK_CORRECTIONS)
    higher_is_better = check_bool(higher_is_better, "higher_is_better")
    table, models, _ = _table_and_ranks(score_table, higher_is_better)
    sign = 1.0 if higher_is_better else -1.0
    rows = []
    for a, b in _pairs(models, control):
        xa, xb = table[a].to_numpy(), table[b].to_numpy()
        res = wilcoxon_test(xa, xb)
        ranks2, positive, _ = _signed_rank_ranks(*paired_differences(sign * xa, sign * xb))
        direction = float(np.sign(2 * int(ranks2[positive].sum()) - int(ranks2.sum())))
        rows.append(
            {
                "model_a": a,
                "model_b": b,
                "statistic": res.statistic,
                "direction": direction,
                "pvalue": res.pvalue,
            }
        )
    out = pd.DataFrame.from_records(rows)
    out["pvalue_adjusted"] = adjust_pvalues(out["pvalue"].to_numpy(), correction)
    return out


def _bron_kerbosch(r, p, x, adjacent, out):
    if not p and not x:
        out.append(r)
        return
    pivot = max(p | x, key=lambda v: len(adjacent[v] & p))
    for v in list(p - adjacent[pivot]):
        _bron_kerbosch(r | {v}, p & adjacent[v], x & adjacent[v], adjacent, out)
        p = p - {v}
        x = x | {v}


def cliques(different, average_ranks, *, contiguous=True):
    """Groups of models no test told apart, for a critical-difference diagram.

    Parameters
    ----------
    different : DataFrame of bool, shape (k, k)
        ``different.loc[a, b]`` is True when the pair (a, b) differs significantly (symmetric;
        the diagonal is ignored).
    average_ranks : Series
        Average rank of each model (rank 1 = best); orders the models and the groups.
    contiguous : bool, default=True
        True: the maximal runs of models, consecutive in average-rank order, within which no
        pair differs (the bars of a CD diagram; a run with one model is kept only if the model
        is in no longer run). False: all maximal sets of mutually not-different models
        (maximal cliques of the "not different" graph, Bron-Kerbosch), which need not be
        consecutive for a test other than Nemenyi's.

    Returns
    -------
    list of tuple
        Each group in average-rank order, the groups ordered by their best rank.

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.stats.posthoc import cliques
    >>> ranks = pd.Series({"a": 1.2, "b": 1.9, "c": 2.9})
    >>> diff = pd.DataFrame(False, index=ranks.index, columns=ranks.index)
    >>> diff.loc["a", "c"] = diff.loc["c", "a"] = True
    >>> cliques(diff, ranks)
    [('a', 'b'), ('b', 'c')]
    """
    contiguous = check_bool(contiguous, "contiguous")
    order = list(pd.Series(average_ranks, dtype=float).sort_values(kind="stable").index)
    diff = pd.DataFrame(different).reindex(index=order, columns=order)
    if diff.isna().to_numpy().any():
        raise ValueError("different must have a row and a column for every model of the ranks")
    d = diff.to_numpy(dtype=bool)
    d = d | d.T
    k = len(order)
    if contiguous:
        runs = []
        for i in range(k):
            j = i
            while j + 1 < k and not d[i : j + 2, i : j + 2].any():
                j += 1
            runs.append((i, j))
        maximal = [
            (i, j)
            for i, j in runs
            if not any(a <= i and j <= b and (a, b) != (i, j) for a, b in runs)
        ]
        maximal = sorted(set(maximal))
        return [tuple(order[i : j + 1]) for i, j in maximal]
    adjacent = {i: {j for j in range(k) if j != i and not d[i, j]} for i in range(k)}
    found = []
    _bron_kerbosch(set(), set(range(k)), set(), adjacent, found)
    groups = sorted(tuple(sorted(c)) for c in found)
    return [tuple(order[i] for i in g) for g in groups]


def compare_datasets(
    table,
    *,
    control=None,
    test="friedman_nemenyi",
    alpha=0.05,
    higher_is_better=True,
    rope=None,
    effect_sizes=True,
    random_state=0,
):
    """Compare several models across data sets: post-hoc test, ranks, cliques, effect sizes.

    Parameters
    ----------
    table : DataFrame, mapping, fitted search or array-like
        Scores, one row per data set and one column per model: a wide or long DataFrame,
        ``{model: scores}``, ``GridSearchCV.cv_results_`` or a 2-D array
        (:func:`~clfcompare.stats.inputs.as_score_table`). Rows must be independent.
    control : label or None, default=None
        Compare every other model with this one (``model_b`` is the control) instead of all
        pairs; fewer comparisons, so more power.
    test : {"friedman_nemenyi", "holm", "bonferroni_dunn", "wilcoxon_holm"}
        ``"friedman_nemenyi"``: Nemenyi's test (``pvalue_adjusted`` from the studentized
        range; ``pvalue`` the unadjusted rank z-test). ``"holm"`` / ``"bonferroni_dunn"``: the
        rank z-tests of :func:`rank_z_test` with Holm's or Bonferroni's adjustment.
        ``"wilcoxon_holm"``: :func:`wilcoxon_holm`.
    alpha : float, default=0.05
        Significance level of ``significant``, the cliques and the verdicts.
    higher_is_better : bool, default=True
        False for errors or losses: rank 1, wins and verdicts go to the lower score.
    rope : float or None, default=None
        If given, :func:`~clfcompare.stats.bayesian_signed_rank` per pair with this rope (the
        ``prob_*`` columns, seeded by ``random_state``); None leaves them NaN.
    effect_sizes : bool, default=True
        Compute the effect-size columns (NaN otherwise).
    random_state : int, default=0
        Seed of the Bayesian samples and of the bootstrap of Akinshin's gamma.

    Returns
    -------
    DataFrame
        One row per comparison with the columns :data:`COMPARE_DATASETS_COLUMNS`:
        ``mean_difference`` (A - B, in score units), ``average_rank_a/_b``, ``statistic``
        (the rank z, positive when A ranks better; for ``"wilcoxon_holm"`` the smaller of
        :math:`T^+` and :math:`T^-`), ``pvalue``, ``pvalue_adjusted``, ``significant``
        (``pvalue_adjusted < alpha``), ``wins/ties/losses`` of A (by ``higher_is_better``,
        ties within rounding), the effect sizes of ``scores_a`` against ``scores_b`` as given
        (:func:`~clfcompare.stats.cohens_d` paired :math:`d_z`,
        :func:`~clfcompare.stats.cliffs_delta`, :func:`~clfcompare.stats.akinshin_gamma`,
        each with its 1 - alpha interval; positive when A's scores are higher), the Bayesian
        probabilities, and a ``verdict`` worded by :func:`~clfcompare.stats.verdict`.

        ``attrs`` holds ``test``, ``alpha``, ``control``, ``higher_is_better``, ``rope``,
        ``n_datasets``, ``average_ranks`` (dict, best first), ``cliques`` (list of tuples,
        from :func:`cliques` on the pairs this test found different; with a control, the
        control and the models not different from it), ``critical_difference`` (Nemenyi's
        or Bonferroni-Dunn's, None for the others) and ``friedman`` (dict: ``statistic``,
        ``pvalue``, ``iman_davenport_statistic``, ``iman_davenport_pvalue``).

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.stats import compare_datasets
    >>> table = pd.DataFrame({"A": [0.90, 0.85, 0.80, 0.88, 0.92, 0.86, 0.91, 0.83],
    ...                       "B": [0.85, 0.84, 0.78, 0.86, 0.90, 0.80, 0.88, 0.82],
    ...                       "C": [0.70, 0.75, 0.79, 0.70, 0.71, 0.72, 0.74, 0.69]})
    >>> out = compare_datasets(table)
    >>> out[["model_a", "model_b", "pvalue_adjusted", "significant"]].round(4)
      model_a model_b  pvalue_adjusted  significant
    0       A       B           0.0631        False
    1       A       C           0.0005         True
    2       B       C           0.2909        False
    >>> out.attrs["cliques"]
    [('A', 'B'), ('B', 'C')]
    """
    check_choice(test, "test", COMPARE_DATASETS_TESTS)
    alpha = check_level(alpha, "alpha")
    higher_is_better = check_bool(higher_is_better, "higher_is_better")
    effect_sizes = check_bool(effect_sizes, "effect_sizes")
    scores, models, average = _table_and_ranks(table, higher_is_better)
    k = len(models)
    if k < 2:
        raise ValueError(f"compare_datasets needs at least 2 models, got {models}")
    friedman = friedman_nemenyi(scores, alpha=alpha, higher_is_better=higher_is_better)
    pairs = _pairs(models, control)
    z_table = rank_z_test(
        scores,
        control=control,
        correction="bonferroni" if test == "bonferroni_dunn" else "holm",
        higher_is_better=higher_is_better,
    )
    critical_difference = None
    if test == "wilcoxon_holm":
        post = wilcoxon_holm(scores, control=control, higher_is_better=higher_is_better)
        statistic, pvalue = post["statistic"], post["pvalue"]
        adjusted, direction = post["pvalue_adjusted"], post["direction"]
    else:
        statistic, pvalue = z_table["z"], z_table["pvalue"]
        direction = np.sign(z_table["z"])
        if test == "friedman_nemenyi":
            nemenyi = friedman.pairwise_pvalues
            adjusted = pd.Series([float(nemenyi.loc[a, b]) for a, b in pairs])
            critical_difference = friedman.critical_difference
        else:
            adjusted = z_table["pvalue_adjusted"]
            if test == "bonferroni_dunn" and control is not None:
                critical_difference = bonferroni_dunn_critical_difference(
                    alpha, k, scores.shape[0]
                )
    sign = 1.0 if higher_is_better else -1.0
    level = 1 - alpha
    nan3 = (np.nan, np.nan, np.nan)
    records = []
    for i, (a, b) in enumerate(pairs):
        xa, xb = scores[a].to_numpy(), scores[b].to_numpy()
        counts = sign_test(sign * xa, sign * xb)
        if effect_sizes:
            d = cohens_d(xa, xb, confidence_level=level)
            c = cliffs_delta(xa, xb, confidence_level=level)
            g = akinshin_gamma(xa, xb, confidence_level=level, random_state=random_state)
            dz, cd, ga = (
                (d.estimate, d.ci_low, d.ci_high),
                (c.estimate, c.ci_low, c.ci_high),
                (g.estimate, g.ci_low, g.ci_high),
            )
        else:
            dz = cd = ga = nan3
        if rope is not None:
            bayes = bayesian_signed_rank(
                sign * xa, sign * xb, rope=rope, random_state=random_state
            )
            probs = (bayes.prob_better, bayes.prob_equivalent, bayes.prob_worse)
        else:
            probs = nan3
        p_adj = float(adjusted.iloc[i])
        records.append(
            {
                "model_a": a,
                "model_b": b,
                "mean_difference": float(np.mean(xa - xb)),
                "average_rank_a": float(average[a]),
                "average_rank_b": float(average[b]),
                "statistic": float(statistic.iloc[i]),
                "pvalue": float(pvalue.iloc[i]),
                "pvalue_adjusted": p_adj,
                "significant": p_adj < alpha,
                "wins": counts.wins,
                "ties": counts.ties,
                "losses": counts.losses,
                "cohens_dz": dz[0],
                "cohens_dz_low": dz[1],
                "cohens_dz_high": dz[2],
                "cliffs_delta": cd[0],
                "cliffs_delta_low": cd[1],
                "cliffs_delta_high": cd[2],
                "akinshin_gamma": ga[0],
                "akinshin_gamma_low": ga[1],
                "akinshin_gamma_high": ga[2],
                "prob_a_better": probs[0],
                "prob_equivalent": probs[1],
                "prob_b_better": probs[2],
                "verdict": verdict(
                    str(a),
                    str(b),
                    float(direction.iloc[i]),
                    p_adj,
                    0.0 if rope is None else probs[1],
                    alpha,
                ),
            }
        )
    out = pd.DataFrame.from_records(records, columns=list(COMPARE_DATASETS_COLUMNS))
    different = pd.DataFrame(False, index=models, columns=models)
    for rec in records:
        if rec["significant"]:
            different.loc[rec["model_a"], rec["model_b"]] = True
            different.loc[rec["model_b"], rec["model_a"]] = True
    if control is None:
        groups = cliques(different, average)
    else:
        members = [m for m in models if m == control or not different.loc[m, control]]
        groups = [tuple(average[members].sort_values(kind="stable").index)]
    out.attrs.update(
        test=test,
        alpha=alpha,
        control=control,
        higher_is_better=higher_is_better,
        rope=rope,
        n_datasets=int(scores.shape[0]),
        average_ranks={m: float(r) for m, r in average.sort_values(kind="stable").items()},
        cliques=groups,
        critical_difference=critical_difference,
        friedman={
            "statistic": friedman.statistic,
            "pvalue": friedman.pvalue,
            "iman_davenport_statistic": friedman.iman_davenport_statistic,
            "iman_davenport_pvalue": friedman.iman_davenport_pvalue,
        },
    )
    return out
