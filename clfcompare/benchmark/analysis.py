"""Every number of a comparison across data sets, computed once: :func:`analyse_benchmark`.

The figures (:mod:`clfcompare.benchmark.plots`) and the report
(:mod:`clfcompare.benchmark.report`) read a :class:`BenchmarkComparison` and run no test, so
the CD diagram's bars, the heat map's p-values and the report's verdicts come from one run of
one test. The tests are :mod:`clfcompare.stats`' (:func:`~clfcompare.stats.compare_datasets`,
:func:`~clfcompare.stats.sign_test`, :func:`~clfcompare.stats.bayesian_signed_rank`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clfcompare._checks import InputError, check_bool, check_choice, check_level, check_real

__all__ = ["BENCHMARK_TESTS", "BenchmarkComparison", "analyse_benchmark", "read_scores"]

#: The tests :func:`analyse_benchmark` can run after Friedman's (those of
#: :func:`clfcompare.stats.compare_datasets`).
BENCHMARK_TESTS = ("friedman_nemenyi", "holm", "bonferroni_dunn", "wilcoxon_holm")

#: What each test is, in words (the report and the figures' titles).
TEST_NAMES = {
    "friedman_nemenyi": "Nemenyi (all pairs)",
    "holm": "rank z-tests, Holm-adjusted",
    "bonferroni_dunn": "rank z-tests, Bonferroni-Dunn",
    "wilcoxon_holm": "Wilcoxon signed-rank, Holm-adjusted",
}


@dataclass(frozen=True, eq=False)
class BenchmarkComparison:
    """A comparison of several models across data sets (from :func:`analyse_benchmark`).

    Attributes
    ----------
    table : DataFrame
        The scores: one row per data set, one column per model.
    metric : str
    higher_is_better : bool
    alpha : float
    test : str
        One of :data:`BENCHMARK_TESTS`: the test whose p-values, cliques and CD are shown.
    control : str or None
        The model every other one is compared with (None: all pairs).
    rope : float or None
        Region of practical equivalence of the Bayesian signed-rank test (None: not run).
    average_ranks : Series
        Average rank of each model (1 = best), best first.
    pairwise : DataFrame
        :func:`clfcompare.stats.compare_datasets`' table (one row per comparison).
    cliques : tuple of tuple
        Groups of models the test did not tell apart, in rank order.
    critical_difference : float or None
        Nemenyi's or Bonferroni-Dunn's CD; None for the other tests (the CD diagram then
        draws no CD bar).
    friedman : dict
        ``statistic``, ``pvalue``, ``iman_davenport_statistic``, ``iman_davenport_pvalue``.
    pvalues : DataFrame
        k x k adjusted p-values of the test (symmetric; NaN on the diagonal and for pairs the
        test did not compare).
    wins, ties : DataFrame
        k x k: ``wins.loc[a, b]`` data sets on which a beat b (by ``higher_is_better``, ties
        within rounding), ``ties.loc[a, b]`` the ties.
    posteriors : dict
        ``{(a, b): SampledBayesianResult}`` of the Bayesian signed-rank test of a against b
        (posterior columns: a worse, equivalent, a better), for the control against every
        other model or the best-ranked against every other; empty without a rope.
    """

    table: pd.DataFrame
    metric: str
    higher_is_better: bool
    alpha: float
    test: str
    control: str | None
    rope: float | None
    average_ranks: pd.Series
    pairwise: pd.DataFrame = field(repr=False)
    cliques: tuple
    critical_difference: float | None
    friedman: dict
    pvalues: pd.DataFrame = field(repr=False)
    wins: pd.DataFrame = field(repr=False)
    ties: pd.DataFrame = field(repr=False)
    posteriors: dict = field(repr=False, default_factory=dict)

    @property
    def models(self):
        """Model names, in the columns' order."""
        return tuple(self.table.columns)

    @property
    def n_datasets(self):
        return int(self.table.shape[0])

    @property
    def test_name(self):
        """The test in words."""
        return TEST_NAMES[self.test]

    @property
    def losses(self):
        """k x k: data sets on which the row model lost to the column model."""
        return self.wins.T.copy()


def _table(table):
    from clfcompare.stats.inputs import as_score_table

    if callable(getattr(table, "score_table", None)) and hasattr(table, "results"):
        raise TypeError(
            "analyse_benchmark needs a score table; pass results.score_table(metric) of the "
            "BenchmarkResults"
        )
    wide = as_score_table(table)
    wide.columns = pd.Index([str(c) for c in wide.columns], name="model")
    wide.index = pd.Index([str(i) for i in wide.index], name="dataset")
    return wide


def analyse_benchmark(
    table,
    *,
    metric="accuracy",
    test="friedman_nemenyi",
    control=None,
    alpha=0.05,
    higher_is_better=True,
    rope=0.01,
    random_state=0,
    effect_sizes=True,
):
    """Compare models across data sets: ranks, Friedman, a post-hoc test, cliques, posteriors.

    Parameters
    ----------
    table : DataFrame or BenchmarkResults-like score table
        One row per data set, one column per model (e.g.
        ``BenchmarkResults.score_table(metric)``), or a long table with ``model``,
        ``dataset`` and ``score`` columns (:func:`clfcompare.stats.inputs.as_score_table`).
    metric : str, default="accuracy"
        The name of the score, for the report.
    test : {"friedman_nemenyi", "holm", "bonferroni_dunn", "wilcoxon_holm"}
        The post-hoc test (see :func:`clfcompare.stats.compare_datasets`).
        ``"bonferroni_dunn"`` needs a ``control``.
    control : str, optional
        Compare every model with this one only.
    alpha : float, default=0.05
    higher_is_better : bool, default=True
        False for errors and losses.
    rope : float or None, default=0.01
        Half-width of the region of practical equivalence of the Bayesian signed-rank test,
        in score units; None runs no Bayesian test.
    random_state : int, default=0
        Seeds the posterior samples and the bootstrap of the effect sizes.
    effect_sizes : bool, default=True

    Returns
    -------
    BenchmarkComparison

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.benchmark import analyse_benchmark
    >>> table = pd.DataFrame({"A": [0.90, 0.85, 0.80, 0.88, 0.92, 0.86, 0.91, 0.83],
    ...                       "B": [0.85, 0.84, 0.78, 0.86, 0.90, 0.80, 0.88, 0.82],
    ...                       "C": [0.70, 0.75, 0.79, 0.70, 0.71, 0.72, 0.74, 0.69]})
    >>> comp = analyse_benchmark(table, rope=None)
    >>> comp.cliques
    (('A', 'B'), ('B', 'C'))
    >>> int(comp.wins.loc["A", "C"]), round(comp.critical_difference, 3)
    (8, 1.172)
    """
    from clfcompare.stats import bayesian_signed_rank, compare_datasets, sign_test

    test = check_choice(test, "test", BENCHMARK_TESTS)
    alpha = check_level(alpha, "alpha")
    higher_is_better = check_bool(higher_is_better, "higher_is_better")
    if rope is not None:
        rope = check_real(rope, "rope", low=0)
    if not isinstance(metric, str) or not metric:
        raise TypeError(f"metric must be a non-empty str, got {metric!r}")
    wide = _table(table)
    models = list(wide.columns)
    if control is not None:
        control = str(control)
        if control not in models:
            raise InputError(f"control {control!r} is not one of the models {models}")
    if test == "bonferroni_dunn" and control is None:
        raise InputError(
            "test='bonferroni_dunn' compares every model with a control: give control=<model>"
        )
    pairwise = compare_datasets(
        wide,
        control=control,
        test=test,
        alpha=alpha,
        higher_is_better=higher_is_better,
        rope=rope,
        effect_sizes=effect_sizes,
        random_state=random_state,
    )
    attrs = pairwise.attrs
    ranks = pd.Series(attrs["average_ranks"], dtype=float, name="average_rank")
    ranks.index.name = "model"

    pvalues = pd.DataFrame(np.nan, index=models, columns=models)
    for a, b, p in zip(
        pairwise["model_a"], pairwise["model_b"], pairwise["pvalue_adjusted"], strict=True
    ):
        pvalues.loc[a, b] = pvalues.loc[b, a] = float(p)
    sign = 1.0 if higher_is_better else -1.0
    wins = pd.DataFrame(0, index=models, columns=models, dtype=np.int64)
    ties = pd.DataFrame(0, index=models, columns=models, dtype=np.int64)
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            counts = sign_test(sign * wide[a].to_numpy(), sign * wide[b].to_numpy())
            wins.loc[a, b], wins.loc[b, a] = counts.wins, counts.losses
            ties.loc[a, b] = ties.loc[b, a] = counts.ties

    posteriors = {}
    if rope is not None:
        best = str(ranks.index[0])
        anchor = control if control is not None else best
        for other in models:
            if other == anchor:
                continue
            a, b = (other, anchor) if control is not None else (anchor, other)
            posteriors[(a, b)] = bayesian_signed_rank(
                sign * wide[a].to_numpy(),
                sign * wide[b].to_numpy(),
                rope=rope,
                random_state=random_state,
            )
    cd = attrs.get("critical_difference")
    return BenchmarkComparison(
        table=wide,
        metric=metric,
        higher_is_better=higher_is_better,
        alpha=alpha,
        test=test,
        control=control,
        rope=rope,
        average_ranks=ranks,
        pairwise=pairwise,
        cliques=tuple(tuple(str(m) for m in c) for c in attrs["cliques"]),
        critical_difference=None if cd is None else float(cd),
        friedman=dict(attrs["friedman"]),
        pvalues=pvalues,
        wins=wins,
        ties=ties,
        posteriors=posteriors,
    )


def read_scores(source, *, model=None, block=None, score=None):
    """A score table from a CSV file (or a DataFrame): wide or long.

    Wide: one row per data set, one column per model; a first column of text (or named
    ``dataset``) names the data sets. Long: one row per (model, data set), with columns
    ``model``, ``dataset`` (or ``split``, ``fold``, ``block``) and ``score`` (or give their
    names).

    Returns
    -------
    DataFrame
        Index ``dataset``, one float column per model.

    Examples
    --------
    >>> import io
    >>> read_scores(io.StringIO("dataset,a,b\\nx,0.9,0.8\\ny,0.7,0.75\\n"))
    model      a     b
    dataset
    x        0.9  0.80
    y        0.7  0.75
    """
    from clfcompare.stats.inputs import BLOCK_COLUMNS, as_score_table

    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        if isinstance(source, (str, Path)) and not Path(source).is_file():
            raise InputError(f"no such file: {source}")
        try:
            frame = pd.read_csv(source, sep=None, engine="python")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read {source} as CSV: {str(err).strip()}") from None
    is_long = model is not None or score is not None or "model" in frame.columns
    if is_long:
        if score is None and "score" not in frame.columns:
            skip = {model or "model", block, *BLOCK_COLUMNS}
            numeric = [
                c
                for c in frame.columns
                if c not in skip and pd.api.types.is_numeric_dtype(frame[c])
            ]
            if len(numeric) == 1:
                score = numeric[0]
        wide = as_score_table(frame, model=model or "model", block=block, score=score or "score")
    else:
        first = frame.columns[0]
        if first in ("dataset", "data_set", "Unnamed: 0") or not pd.api.types.is_numeric_dtype(
            frame[first]
        ):
            frame = frame.set_index(first)
        wide = as_score_table(frame)
    return _table(wide)
