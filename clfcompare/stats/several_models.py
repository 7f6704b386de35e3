"""Several models on one data set: :func:`compare` tests every pair of a trial run.

For each pair (or each model against a baseline) :func:`compare` runs a frequentist test on
the models' scores over the same splits (by default Nadeau and Bengio's
:func:`~clfcompare.stats.conservative_z` when the trials were run with half/half partitions,
``clfcompare.trials.RepeatedKFoldWithHalves``, else :func:`~clfcompare.stats.corrected_ttest`),
adjusts the p-values over the whole table (:func:`~clfcompare.stats.adjust_pvalues`, Holm by
default) and adds the Bayesian posterior of :func:`~clfcompare.stats.bayesian_correlated_ttest`.
:func:`verdict` words each row; it is the one rule for "better", "practically equivalent" and
"no significant difference", so prose elsewhere (the report) words its sentences from it and
from :func:`equivalence_threshold`.

(The module is not called ``compare``: a submodule of that name would be shadowed by the
function :func:`compare` that ``clfcompare.stats`` re-exports.)
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clfcompare._checks import check_choice, check_level, check_real
from clfcompare.stats._common import half_scores, paired_differences
from clfcompare.stats.across_datasets import _signed_rank_ranks, wilcoxon_test
from clfcompare.stats.bayesian import bayesian_correlated_ttest
from clfcompare.stats.corrections import CORRECTIONS, adjust_pvalues
from clfcompare.stats.two_models import conservative_z, corrected_ttest, paired_ttest

__all__ = ["COMPARE_COLUMNS", "compare", "equivalence_threshold", "verdict"]


_COMPARE_TESTS = ("auto", "conservative_z", "corrected_ttest", "paired_ttest", "wilcoxon")
#: The columns of :func:`compare`'s table, in order.
COMPARE_COLUMNS = (
    "model_a",
    "model_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "pvalue",
    "pvalue_adjusted",
    "prob_a_better",
    "prob_equivalent",
    "prob_b_better",
    "significant",
    "verdict",
    "test",
)


def _check_results(results, metric):
    """``(results.scores, models)`` after checking the results' type, columns and models."""
    scores = getattr(results, "scores", None)
    models = getattr(results, "models", None)
    if not isinstance(scores, pd.DataFrame) or models is None:
        raise TypeError(
            "results must be a TrialResults (with a .scores DataFrame and a .models tuple), "
            f"got {type(results).__name__}"
        )
    models = tuple(models)
    required = {"model", "split", "n_train", "n_test", metric}
    missing_cols = sorted(required - set(scores.columns))
    if missing_cols:
        raise ValueError(
            f"results.scores lacks column(s) {missing_cols}; available score columns: "
            f"{[c for c in scores.columns if c not in ('model', 'split', 'repeat', 'fold')]}"
        )
    if len(models) < 2:
        raise ValueError(f"compare needs at least 2 models, results has {len(models)}")
    duplicates = sorted({m for m in models if models.count(m) > 1}, key=str)
    if duplicates:
        raise ValueError(f"results.models has duplicate model name(s) {duplicates}: {models}")
    present = set(scores["model"])
    absent = [m for m in models if m not in present]
    if absent:
        raise ValueError(f"results.scores has no rows for model(s) {absent} listed in .models")
    return scores, models


def _split_table(results, metric, splits=None):
    """Pivot ``results.scores``: (split x model score table, n_train, n_test per split).

    ``splits``: the split ids to keep (the main CV of a design), None for all.
    """
    scores, models = _check_results(results, metric)
    rows = scores[scores["model"].isin(models)]
    if splits is not None:
        rows = rows[rows["split"].isin(splits)]
    if rows.duplicated(["model", "split"]).any():
        raise ValueError("results.scores has more than one row for some (model, split) pair")
    table = rows.pivot(index="split", columns="model", values=metric)
    table = table.reindex(columns=list(models))
    for m in models:
        missing = table.index[table[m].isna()]
        if len(missing):
            raise ValueError(
                f"model {m!r} has no {metric!r} score (missing row or NaN) for split(s) "
                f"{list(missing)}; every model must be scored on every split"
            )
    sizes = rows.groupby("split")[["n_train", "n_test"]].agg(["min", "max"])
    if (sizes[("n_train", "min")] != sizes[("n_train", "max")]).any() or (
        sizes[("n_test", "min")] != sizes[("n_test", "max")]
    ).any():
        raise ValueError("models disagree on n_train/n_test for the same split; not paired")
    sizes = sizes.reindex(table.index)
    return (
        table,
        sizes[("n_train", "min")].to_numpy(float),
        sizes[("n_test", "min")].to_numpy(float),
    )


def _design_table(results, metric):
    """The main CV's (split x model) table and sizes of results with a ``design``.

    ``results.score_table(metric)`` holds the main splits only, each model's scores averaged
    over the seeds of a split in a design with ``n_seeds``; ``results.split_sizes("main")``
    (when there is one; else ``results.scores`` on the same split ids) gives the sizes.
    """
    _, models = _check_results(results, metric)
    table = results.score_table(metric)
    models = list(models)
    table = table.reindex(columns=models)
    for m in models:
        missing = table.index[table[m].isna()]
        if len(missing):
            raise ValueError(
                f"model {m!r} has no {metric!r} score (missing row or NaN) for split(s) "
                f"{list(missing)}; every model must be scored on every split"
            )
    if callable(getattr(results, "split_sizes", None)):
        sizes = results.split_sizes("main").reindex(table.index)
        return table, sizes["n_train"].to_numpy(float), sizes["n_test"].to_numpy(float)
    _, n_train, n_test = _split_table(results, metric, splits=table.index)
    return table, n_train, n_test


def _halves_design(results):
    """``results.design`` when it describes the half/half partitions of
    ``RepeatedKFoldWithHalves`` (``kind == "halves"``), else None (ordinary CV)."""
    design = getattr(results, "design", None)
    if isinstance(design, Mapping) and design.get("kind") == "halves":
        return design
    return None


def _signed_rank_direction(scores_a, scores_b):
    """Sign of :math:`T^+ - T^-`: +1 when the signed-rank test leans towards A, -1 towards B.

    It can differ from the sign of the mean difference (many small losses of A and one large
    win), and it is the direction in which :func:`wilcoxon_test` finds a difference.
    """
    ranks2, positive, _ = _signed_rank_ranks(*paired_differences(scores_a, scores_b))
    return float(np.sign(2 * int(ranks2[positive].sum()) - int(ranks2.sum())))


def equivalence_threshold(alpha):
    """Posterior probability of the rope at or above which :func:`verdict` calls a pair
    practically equivalent: ``1 - alpha``.

    Parameters
    ----------
    alpha : float
        Significance level, strictly between 0 and 1.

    Returns
    -------
    float

    Examples
    --------
    >>> from clfcompare.stats import equivalence_threshold
    >>> equivalence_threshold(0.05)
    0.95
    """
    return 1.0 - check_level(alpha, "alpha")


def verdict(name_a, name_b, direction, p_adjusted, prob_equivalent, alpha):
    """The plain-words verdict on one comparison, as in :func:`compare`'s ``verdict`` column.

    The rule, the only one in the package:

    - significant (``p_adjusted < alpha``): ``"<winner> better than <loser> (p_adj=...)"``, the
      winner the side ``direction`` points to, followed by ``", but practically equivalent
      (P(rope)=...)"`` when the difference is also practically negligible;
    - otherwise, practically equivalent: ``"practically equivalent (P(rope)=...)"``;
    - otherwise ``"no significant difference (p_adj=...)"``.

    A pair is practically equivalent when ``prob_equivalent >= 1 - alpha``
    (:func:`equivalence_threshold`): the same level for the test and for the posterior.

    Parameters
    ----------
    name_a, name_b : str
        The two models' names.
    direction : float
        The side the test found: positive when A did better (the sign of t, or of
        :math:`T^+ - T^-` for the signed-rank test), otherwise B. Only its sign is read.
    p_adjusted : float
        The comparison's p-value after the multiple-comparison adjustment, in [0, 1].
    prob_equivalent : float
        Posterior probability that the difference lies in the region of practical
        equivalence, in [0, 1].
    alpha : float
        Significance level, strictly between 0 and 1.

    Returns
    -------
    str

    Examples
    --------
    >>> from clfcompare.stats import verdict
    >>> verdict("mlp", "logistic", 2.7, 0.003, 0.10, alpha=0.05)
    'mlp better than logistic (p_adj=0.003)'
    >>> verdict("mlp", "logistic", -0.4, 0.41, 0.97, alpha=0.05)
    'practically equivalent (P(rope)=0.97)'
    """
    alpha = check_level(alpha, "alpha")
    if (
        isinstance(direction, bool)
        or not isinstance(direction, numbers.Real)
        or math.isnan(direction)
    ):
        raise ValueError(f"direction must be a number (its sign is read), got {direction!r}")
    p_adj = check_real(p_adjusted, "p_adjusted", low=0, high=1)
    prob_equivalent = check_real(prob_equivalent, "prob_equivalent", low=0, high=1)
    equivalent = prob_equivalent >= equivalence_threshold(alpha)
    if p_adj < alpha:
        winner, loser = (name_a, name_b) if direction > 0 else (name_b, name_a)
        text = f"{winner} better than {loser} (p_adj={p_adj:.3g})"
        if equivalent:
            text += f", but practically equivalent (P(rope)={prob_equivalent:.2f})"
        return text
    if equivalent:
        return f"practically equivalent (P(rope)={prob_equivalent:.2f})"
    return f"no significant difference (p_adj={p_adj:.3g})"


def compare(
    results,
    *,
    metric="accuracy",
    test="auto",
    correction="holm",
    baseline=None,
    rope=0.01,
    alpha=0.05,
):
    """Compare every pair of models (or every model with a baseline) of a trial run.

    Parameters
    ----------
    results : TrialResults
        Output of ``run_trials``; uses ``results.scores`` (columns ``model``, ``split``,
        ``n_train``, ``n_test`` and ``metric``), ``results.models`` and, when present,
        ``results.design``. With a design (half/half partitions, ``design["kind"] ==
        "halves"``, from ``cv=clfcompare.trials.RepeatedKFoldWithHalves(...)``, or several
        seeds per split) every test and the Bayesian posterior use the main CV's splits only,
        each model's scores averaged over a split's seeds (``results.score_table(metric)``,
        sizes from ``results.split_sizes("main")``), and the conservative Z also
        ``results.score_table(metric, role="half")``.
    metric : str, default="accuracy"
        Score column to compare (higher is better).
    test : {"auto", "conservative_z", "corrected_ttest", "paired_ttest", "wilcoxon"}, \
default="auto"
        Frequentist test per pair. ``"auto"``: :func:`~clfcompare.stats.conservative_z` when
        ``results.design`` has halves, else :func:`corrected_ttest`. The conservative Z holds
        its level for stable and unstable learners (trees, 1-NN, neural networks); the
        corrected t-test is valid for stable learners only (it rejected a true null 0.072 of
        the time at alpha = 0.05 for a fully grown tree and 0.119 for 1-NN, against 0.041 for
        the nearest class mean; ``analyses/calibration.py``, the README's "Which test to use
        when") but has more power for them. ``"conservative_z"`` on
        results without halves is a ValueError. :func:`paired_ttest` and
        :func:`wilcoxon_test` are anti-conservative on CV folds.
    correction : {"holm", "bonferroni", "none"}, default="holm"
        Multiple-comparison adjustment of the p-values over all comparisons in the table,
        by :func:`~clfcompare.stats.adjust_pvalues` (the numbers of statsmodels'
        ``multipletests`` with this method, not its default Holm-Šidák).
    baseline : str or None, default=None
        If given, compare each other model with it (``model_b`` is the baseline) instead of
        all pairs.
    rope : float, default=0.01
        Region of practical equivalence for :func:`bayesian_correlated_ttest`.
    alpha : float, default=0.05
        Significance level for ``significant`` and the verdict; a pair is called practically
        equivalent when ``prob_equivalent >= 1 - alpha`` (:func:`equivalence_threshold`).

    Returns
    -------
    DataFrame
        One row per comparison, pairs in the order of ``results.models`` (``model_a`` before
        ``model_b``), columns ``model_a, model_b, mean_difference`` (A - B), ``ci_low, ci_high,
        statistic, df, pvalue, pvalue_adjusted, prob_a_better, prob_equivalent, prob_b_better,
        significant`` (``pvalue_adjusted < alpha``) and ``verdict`` (plain words, e.g.
        ``"mlp better than logistic (p_adj=0.003)"``, ``"no significant difference
        (p_adj=0.41)"``, ``"practically equivalent (P(rope)=0.97)"``). The winner a verdict
        names is the side the test found: the sign of t, or for ``test="wilcoxon"`` the larger
        of :math:`T^+` and :math:`T^-`, which can disagree with the sign of
        ``mean_difference`` (many small losses and one large win). The Bayesian
        probabilities are never adjusted (they are posterior statements per pair). The last
        column, ``test``, names the test that made each row (``"conservative_z"``,
        ``"corrected_ttest"``, ...), so ``"auto"`` is never ambiguous; it is also in
        ``attrs["test"]``.

    Raises
    ------
    ValueError
        ``test="conservative_z"`` on results without half/half partitions (the message says
        how to get them), unknown names, missing or unpaired scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from clfcompare.stats import compare
    >>> acc = {"A": [0.90, 0.92, 0.91, 0.93, 0.90, 0.92],
    ...        "B": [0.80, 0.83, 0.81, 0.82, 0.80, 0.84]}
    >>> rows = [dict(model=m, split=s, n_train=80, n_test=40, accuracy=v)
    ...         for m, vals in acc.items() for s, v in enumerate(vals)]
    >>> results = SimpleNamespace(scores=pd.DataFrame(rows), models=("A", "B"))
    >>> table = compare(results)
    >>> table.loc[0, "verdict"]
    'A better than B (p_adj=8.85e-05)'
    """
    test = check_choice(test, "test", _COMPARE_TESTS)
    correction = check_choice(correction, "correction", CORRECTIONS)
    alpha = check_level(alpha, "alpha")
    design = _halves_design(results)
    if test == "auto":
        test = "conservative_z" if design is not None else "corrected_ttest"
    if test == "conservative_z" and design is None:
        raise ValueError(
            "test='conservative_z' needs Nadeau and Bengio's half/half partitions besides the "
            "main CV, and these results have none (results.design is not a design with "
            "halves); run the trials with cv=clfcompare.trials.RepeatedKFoldWithHalves(...) "
            "(the main repeated k-fold CV plus M random half/half partitions), or choose "
            "test='corrected_ttest' (valid for stable learners only)"
        )
    if isinstance(getattr(results, "design", None), Mapping) and callable(
        getattr(results, "score_table", None)
    ):
        table, n_train, n_test = _design_table(results, metric)
    else:
        table, n_train, n_test = _split_table(results, metric)
    models = list(table.columns)
    if baseline is None:
        pairs = list(itertools.combinations(models, 2))
    else:
        if baseline not in models:
            raise ValueError(f"baseline {baseline!r} is not one of the models {models}")
        pairs = [(m, baseline) for m in models if m != baseline]

    halves = None
    if test == "conservative_z":
        halves = half_scores(results, metric, design, list(table.columns))
    records = []
    for name_a, name_b in pairs:
        # the column's own dtype: float32 scores get float32's rounding tolerance
        a = table[name_a].to_numpy()
        b = table[name_b].to_numpy()
        if test == "conservative_z":
            res = conservative_z(a, b, halves[name_a], halves[name_b])
        elif test == "corrected_ttest":
            res = corrected_ttest(a, b, n_train, n_test)
        elif test == "paired_ttest":
            res = paired_ttest(a, b)
        else:
            res = wilcoxon_test(a, b)
        # the side the test found: the sign of t (that of the mean difference), or of T+ - T-
        direction = _signed_rank_direction(a, b) if test == "wilcoxon" else res.statistic
        bayes = bayesian_correlated_ttest(a, b, n_train, n_test, rope=rope)
        records.append(
            {
                "model_a": name_a,
                "model_b": name_b,
                "mean_difference": res.mean_difference,
                "ci_low": np.nan if res.ci_low is None else res.ci_low,
                "ci_high": np.nan if res.ci_high is None else res.ci_high,
                "statistic": res.statistic,
                "df": np.nan if res.df is None else res.df,
                "pvalue": res.pvalue,
                "prob_a_better": bayes.prob_better,
                "prob_equivalent": bayes.prob_equivalent,
                "prob_b_better": bayes.prob_worse,
                "direction": direction,
            }
        )
    out = pd.DataFrame.from_records(records)
    pvalues = out["pvalue"].to_numpy(float)
    adjusted = adjust_pvalues(pvalues, correction)
    out["pvalue_adjusted"] = adjusted
    out["significant"] = adjusted < alpha
    out["test"] = test
    out["verdict"] = [
        verdict(r.model_a, r.model_b, r.direction, r.pvalue_adjusted, r.prob_equivalent, alpha)
        for r in out.itertuples(index=False)
    ]
    out.attrs.update(test=test, correction=correction, metric=metric, rope=rope, alpha=alpha)
    return out[list(COMPARE_COLUMNS)]
