"""Every number of a classifier comparison, computed once: :func:`analyse` -> :class:`Comparison`.

autorank's pattern: ``autorank()`` computes a ``RankResult`` that ``plot_stats`` and
``create_report`` only read. Here :func:`analyse` turns a :class:`~clfcompare.trials.TrialResults`
into a frozen :class:`Comparison` (the summary table, the pairwise table of
:func:`clfcompare.stats.compare` with its default test and, beside it, the corrected t-test's,
the simultaneous intervals of :func:`clfcompare.stats.simultaneous_comparisons`, the
pre-specified contrast with its equivalence test, the split of the score variance into data
split and initialisation, the stalled trials, the answer's pair and its test without the
stalled splits); :func:`clfcompare.report.write_report` and the figures read it and run no test
of their own.

One data set, several models: no rank test. Friedman and Nemenyi need independent rows (data
sets); over the splits of one data set they reject a true null most of the time (issue 11), so
a single-data-set comparison answers with the calibrated pairwise tests and the max-|t|
simultaneous intervals over the corrected covariance of the pairwise differences.

The study's own question first: a pre-specified ``contrast`` (e.g. MSE vs CE) is tested on its
own, unadjusted, at ``alpha``; every other pair is exploratory and judged by p-values adjusted
over all pairs of the table (Holm) and by the simultaneous intervals. Without a contrast the
answer (the best model against the runner-up, a pair chosen from the data) is exploratory too.

One verdict, one threshold: an exploratory pair is significantly different when its
Holm-adjusted p-value is below ``alpha``, and a Bayesian outcome is called when its posterior
probability reaches :func:`clfcompare.stats.equivalence_threshold` of ``alpha`` (``1 - alpha``),
the rule of the ``verdict`` column of :func:`clfcompare.stats.compare`;
:attr:`Comparison.posterior_level` holds it for the report's prose.

The statistical tests are imported when :func:`analyse` runs, so that importing this module (and
the report, which reads its result) loads no test code.

The stored test probabilities are scored here too (:func:`probability_scores`: log loss,
multi-class Brier score, over-confidence; :func:`reliability_bins`; per model and split
:func:`probability_table`), for the study's calibration note and reliability diagram.

Why one module of about 1,040 lines: every number of a one-data-set comparison is computed
here once (summaries, the default and the corrected pairwise tables, the simultaneous
intervals, the contrast, its equivalence test, stalled runs, variance components) into one
frozen :class:`Comparison`, and the probability scores beside it; they share the same inputs
and checks (the main splits of a half-partition design), and the report reads them all.
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
    "has_halves",
    "main_scores",
    "n_data_splits",
    "pair_row",
    "probabilities_by_model",
    "probability_scores",
    "probability_table",
    "reliability_bins",
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
    return main_scores(results)


def has_halves(results):
    """Whether ``results`` were run with Nadeau and Bengio's half/half partitions
    (``results.design["kind"] == "halves"``, from
    :class:`clfcompare.trials.RepeatedKFoldWithHalves`)."""
    design = getattr(results, "design", None)
    return isinstance(design, Mapping) and design.get("kind") == "halves"


def main_scores(results):
    """``results.scores`` restricted to the main cross-validation's splits.

    A design with half/half partitions also holds the splits inside each half (they feed the
    conservative Z's variance, not the estimate of the scores): the tables, the figures and
    the prose read the main splits only, those of ``results.score_table(metric)``. Ordinary
    CV: ``results.scores`` itself.
    """
    scores = results.scores
    if not has_halves(results):
        return scores
    roles = results.split_roles()
    main = roles.loc[roles["role"] == "main", "split"]
    return scores[scores["split"].isin(set(main))]


def n_data_splits(results):
    """The main CV's data splits (a split fitted with several seeds counts once)."""
    design = getattr(results, "design", None)
    if isinstance(design, Mapping) and (design.get("n_seeds") or 1) > 1:
        roles = results.split_roles()
        return int(roles.loc[roles["role"] == "main", "data_split"].nunique())
    return int(main_scores(results)["split"].nunique())


# --------------------------------------------------------------------------- tables


def summary_table(results, metric="accuracy"):
    """Mean, standard deviation and range of a score per model over the main CV's trials.

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
        Trials of the main CV only (:func:`main_scores`).
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
    main = main_scores(results)
    ends = ends[ends["split"].isin(set(main["split"]))]
    scores = main[["model", "split", metric]] if metric in main else None
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


# --------------------------------------------------------------------------- probabilities


def _check_proba(y_true, proba, classes):
    """``(index of each row's true class, proba as floats)``, checked."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) < 2 or len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes must be at least 2 distinct labels, got {classes.tolist()}")
    proba = np.asarray(proba, dtype=float)
    y_true = np.asarray(y_true)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(
            f"proba must have shape (n_samples, {len(classes)}) (one column per class), got "
            f"shape {proba.shape}"
        )
    if y_true.ndim != 1 or len(y_true) != proba.shape[0] or len(y_true) == 0:
        raise ValueError(
            f"y_true must be 1-D with one label per row of proba ({proba.shape[0]}), got shape "
            f"{y_true.shape}"
        )
    if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
        raise ValueError("proba must hold finite probabilities in [0, 1]")
    position = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(classes)}
    try:
        index = np.array([position[v.item() if hasattr(v, "item") else v] for v in y_true])
    except KeyError as err:
        raise ValueError(
            f"y_true holds {err.args[0]!r}, which is not among classes {classes.tolist()}"
        ) from None
    return index, proba


def probability_scores(y_true, proba, classes):
    """Log loss, Brier score and over-confidence of predicted class probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels, each one of ``classes``.
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, column ``k`` for ``classes[k]``.
    classes : array-like of shape (n_classes,)

    Returns
    -------
    scores : dict
        ``n``; ``log_loss``: mean of ``-log p(true class)``, a probability below float64's
        machine epsilon counted as that epsilon (the clip of
        :func:`sklearn.metrics.log_loss` for float64 input), so that a zero on the true class
        gives a large finite loss (36.04) instead of infinity; ``n_zero``: rows with a
        probability of exactly 0 on their true class; ``brier``: the multi-class Brier score,
        mean over rows of :math:`\\sum_k (p_k - [y = k])^2` (Brier 1950; 0 to 2; for two
        classes twice :func:`sklearn.metrics.brier_score_loss`'s default, which scores the
        positive class only); ``confidence``: mean of the top probability; ``accuracy`` of
        the top class (ties: the first); ``overconfidence``: ``confidence - accuracy``
        (positive: over-confident).

    Examples
    --------
    >>> from clfcompare.analysis import probability_scores
    >>> s = probability_scores([0, 1], [[0.8, 0.2], [0.4, 0.6]], [0, 1])
    >>> round(s["brier"], 4), round(s["overconfidence"], 4)
    (0.2, -0.3)
    """
    index, proba = _check_proba(y_true, proba, classes)
    rows = np.arange(len(index))
    p_true = proba[rows, index]
    onehot = np.zeros_like(proba)
    onehot[rows, index] = 1.0
    confidence = proba.max(axis=1)
    accuracy = float(np.mean(proba.argmax(axis=1) == index))
    return {
        "n": len(index),
        "log_loss": float(np.mean(-np.log(np.maximum(p_true, np.finfo(float).eps)))),
        "n_zero": int(np.count_nonzero(p_true == 0)),
        "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        "confidence": float(confidence.mean()),
        "accuracy": accuracy,
        "overconfidence": float(confidence.mean()) - accuracy,
    }


def reliability_bins(y_true, proba, classes, *, n_bins=10):
    """Top-label reliability: the accuracy of the predicted class against its probability.

    The top probability of each row (its confidence) is binned into ``n_bins`` equal bins of
    [0, 1], right-closed as :func:`sklearn.calibration.calibration_curve` bins them (the
    first closed on both sides); a calibrated model's accuracy in a bin equals its mean
    confidence there.

    Parameters
    ----------
    y_true, proba, classes
        As :func:`probability_scores`.
    n_bins : int >= 1, default=10

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``bin``, ``lower``, ``upper``, ``count``, ``confidence``
        (mean top probability), ``accuracy`` (share of rows whose top class is the true one).
    """
    from clfcompare._checks import check_int

    n_bins = check_int(n_bins, "n_bins", low=1)
    index, proba = _check_proba(y_true, proba, classes)
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == index).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(ids, minlength=n_bins)
    keep = count > 0
    conf_sum = np.bincount(ids, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(ids, weights=correct, minlength=n_bins)
    return pd.DataFrame(
        {
            "bin": np.arange(n_bins)[keep],
            "lower": edges[:-1][keep],
            "upper": edges[1:][keep],
            "count": count[keep],
            "confidence": conf_sum[keep] / count[keep],
            "accuracy": acc_sum[keep] / count[keep],
        }
    )


def probabilities_by_model(results, *, role="main"):
    """Every model's stored test probabilities: ``({model: (y_true, proba)}, classes)``.

    Read from ``results.probabilities`` (columns ``model``, ``split``, ``sample``,
    ``y_true``, ``proba_0`` .. ``proba_{K-1}`` in the order of ``results.classes``), the rows
    of ``role``'s splits (``"main"``: the main CV, ``None``: all), pooled over the splits. A
    model without probabilities (no ``predict_proba``: no rows, or NaN) is left out; results
    without probabilities give ``({}, classes)``.
    """
    probs = getattr(results, "probabilities", None)
    classes = getattr(results, "classes", None)
    if not isinstance(probs, pd.DataFrame) or probs.empty:
        return {}, classes
    columns = [c for c in probs.columns if re.fullmatch(r"proba_\d+", str(c))]
    columns.sort(key=lambda c: int(str(c).split("_")[1]))
    if classes is None:  # older results: the labels seen, sorted as scikit-learn sorts them
        classes = np.unique(probs["y_true"])
    if len(columns) != len(classes):
        raise ValueError(
            f"results.probabilities has {len(columns)} proba_k columns for {len(classes)} classes"
        )
    if role is not None and has_halves(results):
        roles = results.split_roles()
        probs = probs[probs["split"].isin(set(roles.loc[roles["role"] == role, "split"]))]
    probs = probs.dropna(subset=columns)
    out = {}
    for model in getattr(results, "models", None) or list(dict.fromkeys(probs["model"])):
        rows = probs[probs["model"] == model]
        if len(rows):
            out[model] = (rows["y_true"].to_numpy(), rows[columns].to_numpy(float))
    return out, classes


def probability_table(results, *, role="main"):
    """Log loss, Brier score and over-confidence per model and split (:func:`probability_scores`).

    Parameters
    ----------
    results : TrialResults
        With ``probabilities`` (see :func:`probabilities_by_model`).
    role : {"main", "half"} or None, default="main"
        The splits scored (``None``: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``split`` and those of :func:`probability_scores`; no rows when the
        results hold no probabilities.
    """
    pooled, classes = probabilities_by_model(results, role=role)
    columns = ["model", "split", "n", "log_loss", "n_zero", "brier", "confidence", "accuracy"]
    columns.append("overconfidence")
    if not pooled:
        return pd.DataFrame(columns=columns)
    probs = results.probabilities
    proba_cols = sorted(
        (c for c in probs.columns if re.fullmatch(r"proba_\d+", str(c))),
        key=lambda c: int(str(c).split("_")[1]),
    )
    if role is not None and has_halves(results):
        roles = results.split_roles()
        probs = probs[probs["split"].isin(set(roles.loc[roles["role"] == role, "split"]))]
    probs = probs.dropna(subset=proba_cols)
    rows = []
    for model in pooled:  # the results' model order, each model's splits in order
        for split, part in probs[probs["model"] == model].groupby("split", sort=True):
            scores = probability_scores(part["y_true"], part[proba_cols].to_numpy(float), classes)
            rows.append({"model": model, "split": int(split), **scores})
    return pd.DataFrame(rows, columns=columns)


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
        The same test over all splits (unadjusted), from the corrected t-test's table.
    prob_equivalent : float
        Bayesian correlated t-test's P(practically equivalent) over the splits left.
    same_conclusion : bool
        Whether ``pvalue < alpha`` agrees with ``pvalue_all < alpha``.

    Notes
    -----
    An approximation: the corrected t-test's :math:`n_{test}/n_{train}` term assumes complete
    repeats of cross-validation, and these splits are dropped for their outcome; a sensitivity
    check, not a test. It uses the corrected t-test also when the study's default test is the
    conservative Z (dropping main splits leaves the half-partition variance as it was).
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
        Half-width of the region of practical equivalence of the Bayesian test, and the
        margin of the equivalence test (TOST).
    models : tuple of str
        The models, in ``results.models`` order.
    summary : DataFrame
        :func:`summary_table` of ``metric`` (main CV splits).
    other_summaries : dict
        ``{score: summary_table}`` of every other score of the results.
    pairwise : DataFrame or None
        :func:`clfcompare.stats.compare` over all pairs with its default test
        (``test="auto"``: the conservative Z when the design has half/half partitions, else
        the corrected t-test), Holm-adjusted; None for one model.
    test : str or None
        The test of ``pairwise`` (``"conservative_z"`` or ``"corrected_ttest"``).
    pairwise_corrected : DataFrame or None
        The same table with the corrected t-test (``test="corrected_ttest"``) when the
        default test is another one (None otherwise: ``pairwise`` is the corrected t-test's).
        Valid for stable learners only, more powerful for them.
    simultaneous : SimultaneousResult or None
        :func:`clfcompare.stats.simultaneous_comparisons` at confidence ``1 - alpha`` (all
        pairs, or every model against ``baseline``), with the default test's variance; None
        below 3 models.
    baseline : str or None
        The baseline of the simultaneous intervals (None: all pairs).
    stalled : DataFrame
        :func:`stalled_trials`.
    contrast : tuple of str or None
        The pre-specified pair the study asks about: tested on its own, unadjusted.
    answer_pair : tuple of str or None
        The pair the answer is about: the contrast, else the best model and the runner-up
        (None for one model).
    answer_row : dict or None
        :func:`pair_row` of ``answer_pair`` in ``pairwise``.
    answer_row_corrected : dict or None
        :func:`pair_row` of ``answer_pair`` in ``pairwise_corrected`` (None when that is).
    answer_verdict : str or None
        :func:`clfcompare.stats.verdict` of ``answer_row`` with the p-value that decides it
        (:meth:`answer_pvalue`: for the pre-specified contrast the unadjusted one, worded
        ``p=`` instead of ``p_adj=``).
    equivalence : EquivalenceResult or None
        :func:`clfcompare.stats.equivalence_test` (TOST) of ``answer_pair`` with margin
        ``rope`` at level ``alpha``, with the default test's variance (None for one model or a
        zero ``rope``).
    equivalence_corrected : EquivalenceResult or None
        The same TOST with the corrected variance, when the default variance is another one.
    variance_components : DataFrame or None
        How the score variance splits into data split and initialisation per model (a
        crossed split x seed design only, else None); see :func:`analyse`.
    stable : frozenset of str or None
        The models known to be stable learners (the corrected t-test holds its level for a
        pair of them); None: not known.
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
    test: str | None = None
    pairwise_corrected: pd.DataFrame | None = None
    simultaneous: object = None
    baseline: str | None = None
    stalled: pd.DataFrame | None = None
    contrast: tuple | None = None
    answer_pair: tuple | None = None
    answer_row: dict | None = None
    answer_row_corrected: dict | None = None
    answer_verdict: str | None = None
    equivalence: object = None
    equivalence_corrected: object = None
    variance_components: pd.DataFrame | None = None
    stable: frozenset | None = None
    sensitivity: StalledSensitivity | None = None
    references: dict = field(default_factory=dict)
    loss_references: dict = field(default_factory=dict)

    def is_significant(self, row):
        """Whether a pairwise row's adjusted p-value is below ``alpha`` (an exploratory pair)."""
        return float(row["pvalue_adjusted"]) < self.alpha

    @property
    def answer_adjusted(self):
        """Whether the answer's pair is judged by its adjusted p-value: True unless it is the
        pre-specified contrast (tested on its own, unadjusted)."""
        return self.contrast is None

    def answer_pvalue(self, row=None):
        """The p-value that decides the answer's pair: unadjusted for the pre-specified
        contrast, Holm-adjusted for a pair chosen from the data (``row``: default
        ``answer_row``)."""
        row = self.answer_row if row is None else row
        return float(row["pvalue_adjusted" if self.answer_adjusted else "pvalue"])

    def answer_significant(self, row=None):
        """Whether :meth:`answer_pvalue` is below ``alpha``."""
        return self.answer_pvalue(row) < self.alpha

    @property
    def has_halves(self):
        """Whether the trials have Nadeau and Bengio's half/half partitions."""
        return has_halves(self.results)

    def n_splits(self, model=None):
        """Paired main-CV splits of ``model`` (default: of all trials); a data split fitted
        with several seeds counts once."""
        if model is None:
            return n_data_splits(self.results)
        scores = main_scores(self.results)
        n = int(scores.loc[scores["model"] == model, "split"].nunique())
        return n // int((getattr(self.results, "design", None) or {}).get("n_seeds") or 1)

    def row(self, model_a, model_b):
        """:func:`pair_row` of this comparison's pairwise table."""
        if self.pairwise is None:
            raise ValueError("a comparison of one model has no pairs")
        return pair_row(self.pairwise, model_a, model_b)

    def pair_is_stable(self, model_a, model_b):
        """True when both models are known stable learners, False when one is known not to
        be, None when not known."""
        if self.stable is None:
            return None
        return model_a in self.stable and model_b in self.stable


def _check_contrast(contrast, models, name="contrast"):
    if contrast is None:
        return None
    if (
        not isinstance(contrast, Sequence)
        or isinstance(contrast, str)
        or len(contrast) != 2
        or any(m not in models for m in contrast)
        or contrast[0] == contrast[1]
    ):
        raise ValueError(f"{name} must be two different models of {models}, got {contrast!r}")
    return tuple(contrast)


def _check_stable(stable, models):
    if stable is None:
        return None
    if isinstance(stable, str) or not isinstance(stable, Sequence | set | frozenset):
        raise TypeError(f"stable must be a collection of model names, got {stable!r}")
    unknown = [m for m in stable if m not in models]
    if unknown:
        raise ValueError(f"stable names model(s) {unknown} that are not among {models}")
    return frozenset(str(m) for m in stable)


def _half_scores(results, metric, model):
    """``model``'s half-partition scores shaped ``(M, 2, F)`` (partition, half, inner fold)."""
    design = results.design
    table = results.score_table(metric, role="half").sort_index()
    m, f = int(design["n_partitions"]), int(design["inner_splits"])
    return table[model].to_numpy(dtype=float).reshape(m, 2, f)


def _pair_arrays(results, metric, pair):
    """Main-CV scores of the two models and the splits' sizes (in split order)."""
    table = results.score_table(metric)
    sizes = _sizes(results, table.index)
    return (
        table[pair[0]].to_numpy(dtype=float),
        table[pair[1]].to_numpy(dtype=float),
        sizes["n_train"].to_numpy(),
        sizes["n_test"].to_numpy(),
    )


def _equivalence(results, metric, pair, rope, alpha, conservative):
    """TOST of ``pair`` with margin ``rope`` (None when ``rope`` is 0)."""
    from clfcompare.stats import equivalence_test

    if rope <= 0:
        return None
    a, b, n_train, n_test = _pair_arrays(results, metric, pair)
    halves = {}
    if conservative:
        halves = dict(
            half_scores_a=_half_scores(results, metric, pair[0]),
            half_scores_b=_half_scores(results, metric, pair[1]),
        )
    return equivalence_test(
        a, b, n_train, n_test, margin=rope, confidence_level=1 - alpha, **halves
    )


def _sizes(results, index):
    """``n_train``/``n_test`` of the main splits on the index of ``score_table``."""
    if callable(getattr(results, "split_sizes", None)):
        return results.split_sizes().loc[index]
    return main_scores(results).groupby("split")[["n_train", "n_test"]].first().loc[index]


def _data_splits(results, trials):
    """The data splits (index of ``score_table``) of the trial numbers ``trials``."""
    design = getattr(results, "design", None)
    if isinstance(design, Mapping) and (design.get("n_seeds") or 1) > 1:
        roles = results.split_roles().set_index("split")
        return sorted({int(roles.loc[t, "data_split"]) for t in trials})
    return sorted({int(t) for t in trials})


def _variance_components(results, metric):
    """Per model, the variance of ``metric`` due to the data split and to the seed (a design
    with several seeds per split, else None): the variances of
    :func:`clfcompare.trials.variance_components` side by side, with the shares."""
    design = getattr(results, "design", None)
    if not isinstance(design, Mapping) or (design.get("n_seeds") or 1) < 2:
        return None
    from clfcompare.trials import variance_components

    long = variance_components(results, metric)
    wide = long.pivot(index="model", columns="component", values="variance")
    wide = wide.reindex([m for m in results.models if m in wide.index])
    out = pd.DataFrame(index=wide.index)
    out["split"] = wide["split"]
    out["seed"] = wide["seed"]
    if "residual" in wide.columns:
        out["residual"] = wide["residual"]
    total = out.sum(axis=1)
    out["total"] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        out["split_share"] = np.where(total > 0, out["split"] / total, np.nan)
        out["seed_share"] = np.where(total > 0, 1 - out["split"] / total, np.nan)
    out.index.name = "model"
    out.attrs["seed_design"] = design.get("seed_design", "nested")
    out.attrs["n_seeds"] = int(design["n_seeds"])
    return out


def _without_stalled(results, pair, row, stalled, metric, alpha, rope):
    """:class:`StalledSensitivity` of ``pair`` (None when neither model stalled); ``row`` is
    the pair's row of the corrected t-test's table."""
    from clfcompare.stats import bayesian_correlated_ttest, corrected_ttest

    model_a, model_b = pair
    rows = stalled[stalled["model"].isin([model_a, model_b])]
    drop = tuple(_data_splits(results, rows["split"]))
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
    sizes = _sizes(results, keep.index)
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
    baseline=None,
    stable=None,
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
        ``1 - alpha``; the simultaneous intervals have coverage ``1 - alpha``.
    rope : float >= 0, default=0.01
        Region of practical equivalence of the Bayesian correlated t-test, and the margin of
        the equivalence test (TOST) of the answer's pair (none when 0).
    contrast : (str, str) or None, default=None
        The pre-specified pair the study asks "is A different from B?" about, tested on its
        own (unadjusted); None: the answer is about the best model and the runner-up (a pair
        chosen from the data, judged by its adjusted p-value), and there is no contrast
        section.
    baseline : str or None, default=None
        The simultaneous intervals compare every model with this one (Dunnett-style) instead
        of all pairs (Tukey-style).
    stable : collection of str, optional
        The models known to be stable learners (e.g. a Gaussian generative model, a convex
        fit): the report then says for each pair whether the corrected t-test holds.
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

    Notes
    -----
    The tests: :func:`clfcompare.stats.compare` with ``test="auto"`` (Nadeau and Bengio's
    conservative Z when the trials have half/half partitions,
    :class:`clfcompare.trials.RepeatedKFoldWithHalves`; it holds its level for unstable
    learners too) and, beside it, the corrected repeated-CV t-test (valid for stable learners
    only); :func:`clfcompare.stats.simultaneous_comparisons` for 3 or more models;
    :func:`clfcompare.stats.equivalence_test` for the answer's pair. No rank test: Friedman
    and Nemenyi need independent rows, and the splits of one data set are not.

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
    >>> comp.answer_pair, comp.answer_significant()
    (('nb', 'dummy'), True)
    """
    from clfcompare.stats import (
        compare,
        equivalence_threshold,
        simultaneous_comparisons,
        verdict,
    )

    scores = _check_results(results)
    if metric not in scores.columns:
        raise ValueError(
            f"metric {metric!r} is not in the results' scores {list(results.scoring)}"
        )
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    rope = check_real(rope, "rope", low=0)
    models = tuple(str(m) for m in results.models)
    contrast = _check_contrast(contrast, list(models))
    if baseline is not None and baseline not in models:
        raise ValueError(f"baseline must be one of the models {list(models)}, got {baseline!r}")
    stable = _check_stable(stable, list(models))
    references = check_references(references)
    loss_references = check_references(loss_references, "loss_references")

    summary = summary_table(results, metric)
    others = {
        s: summary_table(results, s)
        for s in results.scoring
        if s != metric and s in scores.columns
    }
    stalled = stalled_trials(results, rel_tol=rel_tol, metric=metric)
    pairwise = corrected = simultaneous = test = None
    pair = row = row_corrected = sensitivity = equivalence = equivalence_corrected = None
    answer_verdict = None
    if len(summary) >= 2:  # compare reads one score per data split (its seeds averaged)
        pairwise = compare(results, metric=metric, rope=rope, alpha=alpha, test="auto")
        test = str(pairwise["test"].iloc[0])
        if test != "corrected_ttest":
            corrected = compare(
                results, metric=metric, rope=rope, alpha=alpha, test="corrected_ttest"
            )
        if contrast is not None:
            pair = contrast
        else:
            ranked = summary["mean"].sort_values(ascending=False)
            pair = (ranked.index[0], ranked.index[1])
        row = pair_row(pairwise, *pair)
        p_decides = float(row["pvalue"] if contrast is not None else row["pvalue_adjusted"])
        answer_verdict = verdict(
            pair[0], pair[1], float(row["statistic"]), p_decides, row["prob_equivalent"], alpha
        )
        if contrast is not None:
            answer_verdict = answer_verdict.replace("p_adj=", "p=")
        if corrected is not None:
            row_corrected = pair_row(corrected, *pair)
        sensitivity = _without_stalled(
            results, pair, row_corrected or row, stalled, metric, alpha, rope
        )
        halves = test == "conservative_z"
        equivalence = _equivalence(results, metric, pair, rope, alpha, conservative=halves)
        if halves:
            equivalence_corrected = _equivalence(
                results, metric, pair, rope, alpha, conservative=False
            )
    if len(summary) >= 3:
        simultaneous = simultaneous_comparisons(
            results, metric=metric, baseline=baseline, confidence_level=1 - alpha
        )
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
        test=test,
        pairwise_corrected=corrected,
        simultaneous=simultaneous,
        baseline=baseline,
        stalled=stalled,
        contrast=contrast,
        answer_pair=pair,
        answer_row=row,
        answer_row_corrected=row_corrected,
        answer_verdict=answer_verdict,
        equivalence=equivalence,
        equivalence_corrected=equivalence_corrected,
        variance_components=_variance_components(results, metric),
        stable=stable,
        sensitivity=sensitivity,
        references=references,
        loss_references=loss_references,
    )
