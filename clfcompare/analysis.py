"""Every number of a classifier comparison, computed once: :func:`analyse` -> :class:`Comparison`.

autorank's pattern: ``autorank()`` computes a ``RankResult`` that ``plot_stats`` and
``create_report`` only read. Here :func:`analyse` turns a :class:`~clfcompare.trials.TrialResults`
into a frozen :class:`Comparison` (the summary table, the pairwise table of
:func:`clfcompare.stats.compare`, the Friedman/Nemenyi ranking, the stalled trials, the answer's
pair and its test without the stalled splits); :func:`clfcompare.report.write_report` and the
figures read it and run no test of their own.

One verdict, one threshold: a pair is significantly different when its Holm-adjusted p-value is
below ``alpha``, and a Bayesian outcome is called when its posterior probability reaches
:func:`clfcompare.stats.equivalence_threshold` of ``alpha`` (``1 - alpha``), the rule of the
``verdict`` column of :func:`clfcompare.stats.compare`; :attr:`Comparison.posterior_level`
holds it for the report's prose.

The statistical tests are imported when :func:`analyse` runs, so that importing this module (and
the report, which reads its result) loads no test code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clfcompare._checks import check_real

__all__ = [
    "Comparison",
    "StalledSensitivity",
    "analyse",
    "check_references",
    "find_contrast",
    "pair_row",
    "stalled_trials",
    "summary_table",
]


# --------------------------------------------------------------------------- inputs


def check_references(references, name="references"):
    """``{label: finite float}`` from a mapping of reference values (None: empty).

    >>> check_references({"Bayes-optimal accuracy": 0.625})
    {'Bayes-optimal accuracy': 0.625}
    """
    if references is None:
        return {}
    if not isinstance(references, Mapping):
        raise TypeError(
            f"{name} must be a mapping {{label: value}}, got {type(references).__name__}"
        )
    out = {}
    for label, value in references.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"reference {label!r} must be a number, got {value!r}") from None
        if not np.isfinite(v):
            raise ValueError(f"reference {label!r} must be finite, got {v}")
        out[str(label)] = v
    return out


def _check_results(results):
    for attr in ("scores", "models", "scoring"):
        if not hasattr(results, attr):
            raise TypeError(
                f"expected a TrialResults (with .scores, .models, .scoring), got "
                f"{type(results).__name__} without .{attr}"
            )
    scores = results.scores
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"results.scores must be a DataFrame, got {type(scores).__name__}")
    if scores.shape[0] == 0:
        raise ValueError("results hold no finished trials")
    return scores


# --------------------------------------------------------------------------- tables


def summary_table(results, metric="accuracy"):
    """Mean, standard deviation and range of a score per model over all trials.

    For model :math:`m` with per-trial scores :math:`s_1, \\dots, s_J`,

    .. math::
        \\bar s = \\frac{1}{J} \\sum_j s_j, \\qquad
        \\mathrm{sd} = \\sqrt{\\frac{1}{J - 1} \\sum_j (s_j - \\bar s)^2}

    (the sample standard deviation, ``ddof=1``; NaN for a single trial). A NaN or infinite
    score raises ``ValueError`` naming the model and split (pandas would skip a NaN in the
    mean while ``n_trials`` still counted it).

    Parameters
    ----------
    results : TrialResults
    metric : str, default="accuracy"
        A column of ``results.scores``.

    Returns
    -------
    table : DataFrame
        Index ``model`` (in ``results.models`` order), columns ``mean``, ``sd``, ``min``,
        ``median``, ``max``, ``n_trials``, ``fit_time_mean`` (seconds per trial),
        ``fit_time_total``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> from clfcompare.analysis import summary_table
    >>> scores = pd.DataFrame({"model": ["a", "a", "b", "b"], "split": [0, 1, 0, 1],
    ...                        "fit_time": [1.0, 1.0, 2.0, 2.0],
    ...                        "accuracy": [0.5, 0.7, 0.8, 0.8]})
    >>> res = SimpleNamespace(scores=scores, models=("a", "b"), scoring=("accuracy",))
    >>> table = summary_table(res)
    >>> table["mean"].round(4).to_dict(), table["sd"].round(4).to_dict()
    ({'a': 0.6, 'b': 0.8}, {'a': 0.1414, 'b': 0.0})
    """
    scores = _check_results(results)
    if metric not in scores.columns:
        raise ValueError(
            f"metric {metric!r} is not a score of these results; available: "
            f"{list(results.scoring)}"
        )
    models = [m for m in results.models if m in set(scores["model"])]
    values = pd.to_numeric(scores[metric], errors="coerce").to_numpy(dtype=float)
    bad = scores.loc[~np.isfinite(values), ["model", "split"]]
    if len(bad):
        where = "; ".join(
            f"{m!r} split(s) {rows['split'].tolist()}"
            for m, rows in bad.groupby("model", sort=False)
        )
        raise ValueError(f"non-finite {metric!r} score(s) in the results: {where}")
    g = scores.groupby("model", sort=False)
    table = pd.DataFrame(
        {
            "mean": g[metric].mean(),
            "sd": g[metric].std(ddof=1),
            "min": g[metric].min(),
            "median": g[metric].median(),
            "max": g[metric].max(),
            "n_trials": g[metric].size(),
            "fit_time_mean": g["fit_time"].mean(),
            "fit_time_total": g["fit_time"].sum(),
        }
    ).loc[models]
    table.index.name = "model"
    return table


def stalled_trials(results, *, rel_tol=0.01, metric="accuracy"):
    """Trials whose training loss never moved: last epoch within ``rel_tol`` of the first.

    A network that stays on its initial plateau (e.g. the cross-entropy stuck at
    :math:`\\ln K` because a small initialisation leaves the gradients tiny) predicts one class
    and scores chance. Such trials are real outcomes of the training recipe and stay in the
    tables; this function names them so the report can say so.

    Parameters
    ----------
    results : TrialResults
    rel_tol : float in [0, 1), default=0.01
        A trial is stalled when :math:`L_{last} \\ge (1 - \\text{rel\\_tol}) L_{first}`.
    metric : str, default="accuracy"
        Score reported next to each stalled trial.

    Returns
    -------
    DataFrame
        Columns ``model, split, first_loss, last_loss`` and ``metric``; empty when none.
    """
    rel_tol = check_real(rel_tol, "rel_tol", low=0, high=1, high_open=True)
    cols = ["model", "split", "first_loss", "last_loss", metric]
    curves = getattr(results, "loss_curves", None)
    if not isinstance(curves, pd.DataFrame) or curves.empty:
        return pd.DataFrame(columns=cols)
    ordered = curves.sort_values(["model", "split", "epoch"])
    g = ordered.groupby(["model", "split"], sort=False)["loss"]
    ends = pd.DataFrame({"first_loss": g.first(), "last_loss": g.last(), "n": g.size()})
    ends = ends[(ends["n"] >= 2) & (ends["last_loss"] >= (1 - rel_tol) * ends["first_loss"])]
    ends = ends.reset_index()
    scores = results.scores[["model", "split", metric]] if metric in results.scores else None
    if scores is not None:
        ends = ends.merge(scores, on=["model", "split"], how="left")
    else:
        ends[metric] = np.nan
    return ends[cols].reset_index(drop=True)


_TOKEN = re.compile(r"[a-z0-9]+")


def find_contrast(models, tokens=("mse", "ce")):
    """The pair of models whose names contain the tokens (default: the MSE and the CE model).

    Names are split into lower-case alphanumeric tokens (``"mlp_mse"`` → ``mlp``, ``mse``);
    exactly one model must carry each token. Returns ``None`` otherwise. :func:`analyse` never
    calls it: a study that knows its question passes the pair as ``contrast``.

    Examples
    --------
    >>> from clfcompare.analysis import find_contrast
    >>> find_contrast(["gaussian", "MLP (MSE)", "MLP (CE)"])
    ('MLP (MSE)', 'MLP (CE)')
    >>> find_contrast(["a", "b"]) is None
    True
    """
    found = []
    for tok in tokens:
        hits = [m for m in models if tok in _TOKEN.findall(str(m).lower())]
        if len(hits) != 1:
            return None
        found.append(hits[0])
    if len(set(found)) != len(found):
        return None
    return tuple(found)


def pair_row(pairwise, model_a, model_b):
    """The row of a :func:`clfcompare.stats.compare` table for ``model_a`` vs ``model_b``.

    If the table holds the pair the other way round, the row is flipped to read as
    ``model_a - model_b``: the difference, its CI and the statistic change sign and the two
    "better" probabilities swap; p-values are symmetric.

    Returns
    -------
    row : dict
    """
    if not isinstance(pairwise, pd.DataFrame):
        raise TypeError(f"pairwise must be a compare() DataFrame, got {type(pairwise).__name__}")
    needed = {"model_a", "model_b", "mean_difference", "pvalue", "pvalue_adjusted"}
    if not needed <= set(pairwise.columns):
        raise ValueError(
            f"pairwise lacks compare() columns {sorted(needed - set(pairwise.columns))}"
        )
    fwd = pairwise[(pairwise["model_a"] == model_a) & (pairwise["model_b"] == model_b)]
    rev = pairwise[(pairwise["model_a"] == model_b) & (pairwise["model_b"] == model_a)]
    if len(fwd) == 1:
        return dict(fwd.iloc[0])
    if len(rev) == 1:
        r = dict(rev.iloc[0])
        r.update(
            model_a=model_a,
            model_b=model_b,
            mean_difference=-r["mean_difference"],
            ci_low=-r["ci_high"],
            ci_high=-r["ci_low"],
            statistic=-r["statistic"],
            prob_a_better=r["prob_b_better"],
            prob_b_better=r["prob_a_better"],
        )
        return r
    raise ValueError(f"the comparison table has no row for {model_a!r} vs {model_b!r}")


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class StalledSensitivity:
    """The answer pair's tests again without the splits where either model stalled.

    Attributes
    ----------
    model_a, model_b : str
    dropped_splits : tuple of int
        Splits dropped for both models (a stalled trial of either).
    n_stalled : int
        Stalled trials of the two models.
    n_left : int
        Paired splits left.
    mean_a, mean_b : float
        Mean ``metric`` of each model over the splits left (NaN when fewer than 2 are left).
    pvalue : float
        Corrected repeated-CV t-test over the splits left (unadjusted; NaN when fewer than 2).
    pvalue_all : float
        The same test over all splits (unadjusted), from the pairwise table.
    prob_equivalent : float
        Bayesian correlated t-test's P(practically equivalent) over the splits left.
    same_conclusion : bool
        Whether ``pvalue < alpha`` agrees with ``pvalue_all < alpha``.

    Notes
    -----
    An approximation: the corrected t-test's :math:`n_{test}/n_{train}` term assumes complete
    repeats of cross-validation, and these splits are dropped for their outcome; a sensitivity
    check, not a test.
    """

    model_a: str
    model_b: str
    dropped_splits: tuple
    n_stalled: int
    n_left: int
    mean_a: float = math.nan
    mean_b: float = math.nan
    pvalue: float = math.nan
    pvalue_all: float = math.nan
    prob_equivalent: float = math.nan
    same_conclusion: bool = False

    @property
    def tested(self):
        """Whether at least 2 splits were left to test."""
        return self.n_left >= 2


@dataclass(frozen=True)
class Comparison:
    """Everything :func:`analyse` computed about one comparison; reports and figures read it.

    Attributes
    ----------
    results : TrialResults
        What was analysed (figures read its scores and loss curves).
    metric : str
    alpha : float
        Significance level of every verdict.
    posterior_level : float
        Posterior probability at which a Bayesian outcome is called
        (:func:`clfcompare.stats.equivalence_threshold`, ``1 - alpha``): the table's verdict
        and the report's prose apply this one number.
    rope : float
        Half-width of the region of practical equivalence of the Bayesian test.
    models : tuple of str
        The models, in ``results.models`` order.
    summary : DataFrame
        :func:`summary_table` of ``metric``.
    other_summaries : dict
        ``{score: summary_table}`` of every other score of the results.
    pairwise : DataFrame or None
        :func:`clfcompare.stats.compare` over all pairs (Holm); None for one model.
    friedman : FriedmanResult or None
        :func:`clfcompare.stats.friedman_nemenyi` of the score table; None below 3 models.
    stalled : DataFrame
        :func:`stalled_trials`.
    contrast : tuple of str or None
        The pair the study asks about.
    answer_pair : tuple of str or None
        The pair the answer is about: the contrast, else the best model and the runner-up
        (None for one model).
    answer_row : dict or None
        :func:`pair_row` of ``answer_pair``.
    sensitivity : StalledSensitivity or None
        The answer pair without its stalled splits (None when none stalled).
    references : dict
        ``{label: value}`` of ``metric`` to judge the models against.
    loss_references : dict
        ``{label: value}`` of the training loss (e.g. the Bayes-optimal cross-entropy).
    """

    results: object
    metric: str
    alpha: float
    posterior_level: float
    rope: float
    models: tuple
    summary: pd.DataFrame
    other_summaries: dict = field(default_factory=dict)
    pairwise: pd.DataFrame | None = None
    friedman: object = None
    stalled: pd.DataFrame | None = None
    contrast: tuple | None = None
    answer_pair: tuple | None = None
    answer_row: dict | None = None
    sensitivity: StalledSensitivity | None = None
    references: dict = field(default_factory=dict)
    loss_references: dict = field(default_factory=dict)

    def is_significant(self, row):
        """Whether a pairwise row's adjusted p-value is below ``alpha``."""
        return float(row["pvalue_adjusted"]) < self.alpha

    def n_splits(self, model=None):
        """Paired splits of ``model`` (default: of all trials)."""
        scores = self.results.scores
        if model is not None:
            scores = scores[scores["model"] == model]
        return int(scores["split"].nunique())

    def row(self, model_a, model_b):
        """:func:`pair_row` of this comparison's pairwise table."""
        if self.pairwise is None:
            raise ValueError("a comparison of one model has no pairs")
        return pair_row(self.pairwise, model_a, model_b)


def _check_contrast(contrast, models):
    if contrast is None:
        return None
    if (
        not isinstance(contrast, Sequence)
        or isinstance(contrast, str)
        or len(contrast) != 2
        or any(m not in models for m in contrast)
    ):
        raise ValueError(f"contrast must be two of the models {models}, got {contrast!r}")
    return tuple(contrast)


def _without_stalled(results, pair, row, stalled, metric, alpha, rope):
    """:class:`StalledSensitivity` of ``pair`` (None when neither model stalled)."""
    from clfcompare.stats import bayesian_correlated_ttest, corrected_ttest

    model_a, model_b = pair
    rows = stalled[stalled["model"].isin([model_a, model_b])]
    drop = tuple(sorted({int(s) for s in rows["split"]}))
    if not drop:
        return None
    table = results.score_table(metric)
    keep = table.drop(index=list(drop))
    common = dict(
        model_a=model_a,
        model_b=model_b,
        dropped_splits=drop,
        n_stalled=len(rows),
        n_left=len(keep),
        pvalue_all=float(row["pvalue"]),
    )
    if len(keep) < 2:
        return StalledSensitivity(**common)
    sizes = results.scores.groupby("split")[["n_train", "n_test"]].first().loc[keep.index]
    a, b = keep[model_a].to_numpy(dtype=float), keep[model_b].to_numpy(dtype=float)
    n_train, n_test = sizes["n_train"].to_numpy(), sizes["n_test"].to_numpy()
    t = corrected_ttest(a, b, n_train, n_test)
    bayes = bayesian_correlated_ttest(a, b, n_train, n_test, rope=rope)
    return StalledSensitivity(
        **common,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        pvalue=float(t.pvalue),
        prob_equivalent=float(bayes.prob_equivalent),
        same_conclusion=bool((t.pvalue < alpha) == (common["pvalue_all"] < alpha)),
    )


def analyse(
    results,
    *,
    metric="accuracy",
    alpha=0.05,
    rope=0.01,
    contrast=None,
    references=None,
    loss_references=None,
    rel_tol=0.01,
):
    """Compute every number of a comparison once.

    Parameters
    ----------
    results : TrialResults
    metric : str, default="accuracy"
        The score the tables and tests use (higher is better, as for every scikit-learn
        scorer).
    alpha : float in (0, 1), default=0.05
        Significance level; a Bayesian outcome is called at posterior probability
        ``1 - alpha``.
    rope : float >= 0, default=0.01
        Region of practical equivalence of the Bayesian correlated t-test.
    contrast : (str, str) or None, default=None
        The pair the study asks "is A different from B?" about; None: the answer is about the
        best model and the runner-up, and there is no contrast section.
    references : mapping, optional
        ``{label: value}`` of ``metric`` to judge the models against (e.g. the Bayes-optimal
        accuracy of the data).
    loss_references : mapping, optional
        ``{label: value}`` of the training loss (e.g. the Bayes-optimal cross-entropy).
    rel_tol : float in [0, 1), default=0.01
        :func:`stalled_trials`' criterion.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from clfcompare.analysis import analyse
    >>> from clfcompare.trials import run_trials
    >>> X, y = load_iris(return_X_y=True)
    >>> res = run_trials({"nb": GaussianNB(), "dummy": DummyClassifier()}, X, y, cv=5,
    ...                  progress=False)
    >>> comp = analyse(res)
    >>> comp.answer_pair, comp.is_significant(comp.answer_row)
    (('nb', 'dummy'), True)
    """
    from clfcompare.stats import compare, equivalence_threshold, friedman_nemenyi

    scores = _check_results(results)
    if metric not in scores.columns:
        raise ValueError(
            f"metric {metric!r} is not in the results' scores {list(results.scoring)}"
        )
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    rope = check_real(rope, "rope", low=0)
    models = tuple(str(m) for m in results.models)
    contrast = _check_contrast(contrast, list(models))
    references = check_references(references)
    loss_references = check_references(loss_references, "loss_references")

    summary = summary_table(results, metric)
    others = {
        s: summary_table(results, s)
        for s in results.scoring
        if s != metric and s in scores.columns
    }
    stalled = stalled_trials(results, rel_tol=rel_tol, metric=metric)
    pairwise = friedman = pair = row = sensitivity = None
    if len(summary) >= 2:
        pairwise = compare(results, metric=metric, rope=rope, alpha=alpha)
        if contrast is not None:
            pair = contrast
        else:
            ranked = summary["mean"].sort_values(ascending=False)
            pair = (ranked.index[0], ranked.index[1])
        row = pair_row(pairwise, *pair)
        sensitivity = _without_stalled(results, pair, row, stalled, metric, alpha, rope)
    if len(summary) >= 3:
        friedman = friedman_nemenyi(results.score_table(metric), alpha=alpha)
    return Comparison(
        results=results,
        metric=metric,
        alpha=alpha,
        posterior_level=float(equivalence_threshold(alpha)),
        rope=rope,
        models=models,
        summary=summary,
        other_summaries=others,
        pairwise=pairwise,
        friedman=friedman,
        stalled=stalled,
        contrast=contrast,
        answer_pair=pair,
        answer_row=row,
        sensitivity=sensitivity,
        references=references,
        loss_references=loss_references,
    )
