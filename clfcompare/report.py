"""A markdown report of a classifier comparison, with its figures as PNG files beside it.

:func:`write_report` turns a :class:`~clfcompare.trials.TrialResults` into ``report.md``: first the
answer in short (the contrast, or the best model against the runner-up, with its tests), the data,
the models and their settings, mean ± sd of every score per model, the pairwise significance
table of :func:`clfcompare.stats.compare` (Nadeau–Bengio corrected t-test, Holm-adjusted, with
the Bayesian correlated t-test's probabilities), the Friedman/Nemenyi ranking, a plain-words
answer to "are these two models different here?" (by default the MSE and CE networks), the
machine, the library versions and the timings.

The pieces are small functions that tests and scripts can call on their own:
:func:`summary_table`, :func:`markdown_table`, :func:`contrast_paragraph`,
:func:`describe_machine`,
:func:`library_versions`.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import os
import platform
import re
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from clfcompare.datasets import bayes_cross_entropy

__all__ = [
    "write_report",
    "summary_table",
    "markdown_table",
    "contrast_paragraph",
    "find_contrast",
    "pair_row",
    "describe_machine",
    "stalled_trials",
    "library_versions",
]

_LIBRARIES = (
    "clfcompare",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "torch",
    "statsmodels",
    "matplotlib",
)


# --------------------------------------------------------------------------- tables


def _check_number(name, value, low, high, *, low_open=True, high_open=True):
    """``value`` as a float in the interval, else TypeError/ValueError naming ``name``."""
    shown = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number in {shown}, got {type(value).__name__} {value!r}"
        )
    v = float(value)
    above = low < v if low_open else low <= v
    below = v < high if high_open else v <= high
    if not (above and below):  # NaN fails both
        raise ValueError(f"{name} must be in {shown}, got {value!r}")
    return v


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
    >>> from clfcompare.report import summary_table
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


def _fmt(value, digits=3):
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "–"
        if v != 0 and abs(v) < 10 ** (-digits):
            return f"{v:.2e}"
        return f"{v:.{digits}f}"
    return str(value)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown_table(df, *, digits=3, index=True):
    """A DataFrame as a GitHub-flavoured markdown table.

    Floats get ``digits`` decimals (tiny ones scientific notation), NaN shows as "–",
    booleans as yes/no. In cells and headers ``|`` is escaped as ``\\|`` and a line break
    (``\\n``, ``\\r\\n``, ``\\r``) becomes ``<br>`` (GitHub-flavoured markdown keeps it as a
    line break inside the cell), so that every row stays one line of the table.

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.report import markdown_table
    >>> print(markdown_table(pd.DataFrame({"x": [0.12345], "ok": [True]}), index=False))
    | x | ok |
    | --- | --- |
    | 0.123 | yes |
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"markdown_table needs a DataFrame, got {type(df).__name__}")
    if isinstance(digits, bool | np.bool_) or not isinstance(digits, numbers.Integral):
        raise TypeError(f"digits must be an int >= 0, got {type(digits).__name__} {digits!r}")
    if digits < 0:
        raise ValueError(f"digits must be an int >= 0, got {digits!r}")
    frame = df.reset_index() if index else df
    header = [str(c) for c in frame.columns]
    rows = [[_fmt(v, digits) for v in row] for row in frame.itertuples(index=False, name=None)]

    def line(cells):
        cells = (_LINE_BREAK.sub("<br>", c).replace("|", "\\|") for c in cells)
        return "| " + " | ".join(cells) + " |"

    out = [line(header), "| " + " | ".join("---" for _ in header) + " |"]
    out += [line(r) for r in rows]
    return "\n".join(out)


# --------------------------------------------------------------------------- MSE vs CE


_TOKEN = re.compile(r"[a-z0-9]+")


def find_contrast(models, tokens=("mse", "ce")):
    """The pair of models whose names contain the tokens (default: the MSE and the CE model).

    Names are split into lower-case alphanumeric tokens (``"mlp_mse"`` → ``mlp``, ``mse``);
    exactly one model must carry each token. Returns ``None`` otherwise.

    Examples
    --------
    >>> from clfcompare.report import find_contrast
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


def _better_words(better, worse, metric):
    """The verdict's "A is more accurate than B", worded for ``metric``.

    Higher is better, as for every scikit-learn scorer: a ``neg_`` score is a loss with its
    sign flipped.
    """
    if metric == "accuracy":
        return f"{better} is more accurate than {worse}"
    if metric.startswith("neg_"):
        return f"{better} has the lower {metric[4:]} (higher {metric}) than {worse}"
    return f"{better} scores a higher {metric} than {worse}"


def contrast_paragraph(
    results, model_a, model_b, *, metric="accuracy", alpha=0.05, rope=0.01, pairwise=None
):
    """A plain-words answer to "is ``model_a`` different from ``model_b`` here?".

    Reads the pair's row of :func:`clfcompare.stats.compare`: the Nadeau–Bengio corrected
    repeated-CV t-test (the variance of the per-split differences :math:`d_j` inflated for the
    overlap of training sets, :math:`\\hat\\sigma^2 (1/J + n_{test}/n_{train})`), its p-value
    adjusted over all pairs of the table (Holm), and the Bayesian correlated t-test with a
    region of practical equivalence :math:`|\\Delta| \\le` ``rope``.

    Parameters
    ----------
    results : TrialResults
    model_a, model_b : str
        The two models; differences are ``a - b``.
    metric : str, default="accuracy"
        A score column, higher is better (as for every scikit-learn scorer; a ``neg_``
        score such as ``neg_log_loss`` is a loss with its sign flipped). The verdict is
        worded for it: "more accurate" for accuracy, "the lower log_loss" for
        ``neg_log_loss``, "a higher f1_macro" otherwise.
    alpha : float in (0, 1), default=0.05
        Significance level for the verdict (applied to the adjusted p-value).
    rope : float >= 0, default=0.01
        Half-width of the region of practical equivalence (in units of ``metric``).
    pairwise : DataFrame, default=None
        A :func:`clfcompare.stats.compare` table of these results (computed when None, over all
        pairs of ``results.models`` with Holm's adjustment).

    Returns
    -------
    text : str
        A markdown paragraph.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine Learning 52, 2003.
    A. Benavoli, G. Corani, J. Demšar, M. Zaffalon, "Time for a change: a tutorial for comparing
    multiple classifiers through Bayesian analysis", JMLR 18, 2017.
    """
    scores = _check_results(results)
    alpha = _check_number("alpha", alpha, 0, 1)
    rope = _check_number("rope", rope, 0, math.inf, low_open=False)
    if pairwise is None:
        from clfcompare.stats import compare

        pairwise = compare(results, metric=metric, rope=rope, alpha=alpha)
    r = pair_row(pairwise, model_a, model_b)
    n_pairs = len(pairwise)
    mean_a = float(scores.loc[scores["model"] == model_a, metric].mean())
    mean_b = float(scores.loc[scores["model"] == model_b, metric].mean())
    n_splits = int(scores.loc[scores["model"] == model_a, "split"].nunique())
    f = _pair_facts(r, model_a, model_b, metric, alpha, n_pairs)
    first = (
        f"Over {n_splits} paired splits, **{model_a}** has mean {metric} {mean_a:.3f} and "
        f"**{model_b}** {mean_b:.3f}: a difference of {f.diff:+.3f}{f.ci} ({model_a} − {model_b})."
    )
    tests = f"t = {r['statistic']:.2f}, p = {f.p:.3g}; {f.adj}: p = {f.p_adj:.3g}"
    if f.significant:
        verdict = (
            f"**Yes.** The corrected t-test finds the difference significant "
            f"({tests} < α = {alpha}): {f.better} on this data."
        )
    else:
        verdict = (
            f"**No significant difference.** The corrected t-test does not reject equal "
            f"expected {metric} ({tests} ≥ α = {alpha}): the gap is within what the "
            f"split-to-split variation of repeated cross-validation produces."
        )
    pa, pe, pb = f.probs
    probs = f"The Bayesian correlated t-test (ROPE ±{rope}) gives {f.probs_text}."
    outcomes = [
        (pa, f"{model_a} is better by more than {rope}"),
        (pe, f"the two are practically equivalent (within ±{rope})"),
        (pb, f"{model_b} is better by more than {rope}"),
    ]
    best = max(outcomes, key=lambda x: x[0])
    if best[0] >= 0.95:
        bayes_words = f"With posterior probability {best[0]:.3f}, {best[1]}."
    else:
        bayes_words = (
            f"No outcome reaches posterior probability 0.95; the most probable is that "
            f"{best[1]} ({best[0]:.3f})."
        )
    parts = [first, verdict, probs, bayes_words]
    if f.p_adj >= alpha:
        parts.append(_not_equal_sentence(r, model_a, model_b, rope))
    return " ".join(parts)


def _not_equal_sentence(r, model_a, model_b, rope):
    """ "Not significant" read as "the same" is the commonest misreading: say what is known."""
    lo, hi = float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))
    ci = ""
    if np.isfinite(lo) and np.isfinite(hi):
        ci = (
            f": the 95% CI of {model_a} − {model_b}, {lo:+.3f} to {hi:+.3f}, still admits "
            f"differences of up to {max(abs(lo), abs(hi)):.3f}"
        )
    return (
        f"A non-significant test is not evidence that they are equal{ci}. Whether they are "
        f"the same for practical purposes is what the Bayesian test's P(practically "
        f"equivalent) = {float(r['prob_equivalent']):.3f} measures: the posterior probability "
        f"that the difference lies within the ROPE ±{rope}."
    )


class _PairFacts(NamedTuple):
    """What both answers quote of a pair_row ``model_a − model_b``."""

    diff: float  # mean difference a − b
    ci: str  # " (95% CI lo to hi)", or "" when the CI is not finite
    p: float  # corrected t-test, unadjusted
    p_adj: float  # Holm-adjusted over the pairs of the table
    adj: str  # how p_adj was adjusted, in words
    significant: bool  # p_adj < alpha
    better: str  # "A is more accurate than B" (the better by the mean), worded for the metric
    probs: tuple[
        float, float, float
    ]  # Bayesian P(a better), P(practically equivalent), P(b better)
    probs_text: str  # "P(a better) = …, P(practically equivalent) = …, P(b better) = …"


def _pair_facts(r, model_a, model_b, metric, alpha, n_pairs):
    """The numbers and phrases of a pair_row ``r`` that the contrast and the answer quote."""
    diff = float(r["mean_difference"])
    lo, hi = float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))
    ci = f" (95% CI {lo:+.3f} to {hi:+.3f})" if np.isfinite(lo) and np.isfinite(hi) else ""
    p, p_adj = float(r["pvalue"]), float(r["pvalue_adjusted"])
    better, worse = (model_a, model_b) if diff > 0 else (model_b, model_a)
    probs = tuple(float(r[k]) for k in ("prob_a_better", "prob_equivalent", "prob_b_better"))
    return _PairFacts(
        diff=diff,
        ci=ci,
        p=p,
        p_adj=p_adj,
        adj=f"Holm-adjusted over the {n_pairs} pairs" if n_pairs > 1 else "one comparison",
        significant=p_adj < alpha,
        better=_better_words(better, worse, metric),
        probs=probs,
        probs_text=(
            f"P({model_a} better) = {probs[0]:.3f}, P(practically equivalent) = "
            f"{probs[1]:.3f}, P({model_b} better) = {probs[2]:.3f}"
        ),
    )


def _test_sentences(r, model_a, model_b, metric, alpha, rope, n_pairs):
    """The answer section's test results for ``model_a − model_b`` (a pair_row ``r``)."""
    f = _pair_facts(r, model_a, model_b, metric, alpha, n_pairs)
    verdict = (
        f"significant at α = {alpha}: {f.better}"
        if f.significant
        else f"not significant at α = {alpha}"
    )
    out = [
        f"Difference {model_a} − {model_b} = {f.diff:+.3f}{f.ci}; corrected t-test "
        f"p = {f.p:.3g} ({f.adj}: p = {f.p_adj:.3g}), {verdict}.",
        f"Bayesian correlated t-test (region of practical equivalence, ROPE, ±{rope}): "
        f"{f.probs_text}.",
    ]
    if f.p_adj >= alpha:
        out.append(_not_equal_sentence(r, model_a, model_b, rope))
    return out


def _without_stalled(results, model_a, model_b, r, stalled, metric, alpha, rope):
    """The pair's corrected t-test again without the splits where either model stalled ("")."""
    from clfcompare.stats import bayesian_correlated_ttest, corrected_ttest

    rows = stalled[stalled["model"].isin([model_a, model_b])]
    drop = sorted({int(s) for s in rows["split"]})
    if not drop:
        return ""
    table = results.score_table(metric)
    keep = table.drop(index=drop)
    n = len(rows)
    trials = f"{n} stalled trial{'s' if n > 1 else ''}"
    where = f"split{'s' if len(drop) > 1 else ''} {', '.join(map(str, drop))}"
    if len(keep) < 2:
        return f"Without the {trials} ({where}) fewer than 2 splits are left: no test."
    scores = results.scores
    sizes = scores.groupby("split")[["n_train", "n_test"]].first().loc[keep.index]
    a, b = keep[model_a].to_numpy(dtype=float), keep[model_b].to_numpy(dtype=float)
    t = corrected_ttest(a, b, sizes["n_train"].to_numpy(), sizes["n_test"].to_numpy())
    bayes = bayesian_correlated_ttest(
        a, b, sizes["n_train"].to_numpy(), sizes["n_test"].to_numpy(), rope=rope
    )
    p_all = float(r["pvalue"])
    same = (t.pvalue < alpha) == (p_all < alpha)
    return (
        f"Without the {trials} ({where}; dropped for both models, {len(keep)} paired splits "
        f"left): {model_a} {a.mean():.3f} vs {model_b} {b.mean():.3f}, corrected t-test "
        f"p = {t.pvalue:.3g} (all splits: p = {p_all:.3g}; both unadjusted), "
        f"P(practically equivalent) = {bayes.prob_equivalent:.3f}: "
        f"{'the same' if same else 'a different'} conclusion at α = {alpha}. This is an "
        "approximation: the corrected t-test's n_test/n_train term assumes complete repeats "
        "of cross-validation, and these splits are dropped for their outcome, so read it as a "
        "sensitivity check, not as a test."
    )


def _answer_pair(summary, contrast):
    """The pair the "In short" section answers for: the contrast, else best vs runner-up."""
    if contrast is not None:
        return tuple(contrast)
    ranked = summary["mean"].sort_values(ascending=False)
    return ranked.index[0], ranked.index[1]


def _answer_section(
    results, summary, pairwise, pair, is_contrast, sensitivity, metric, alpha, rope, refs
):
    """The report's first section, "In short": the question answered from this run.

    ``pair`` is :func:`_answer_pair`'s (the contrast when ``is_contrast``), ``sensitivity``
    the :func:`_without_stalled` sentence for it ("" when no trial of the pair stalled).
    """
    n_pairs = len(pairwise)
    n_splits = int(results.scores["split"].nunique())

    def ms(m):
        """``m``'s "mean ± sd" (the mean alone for one trial); callers name the model."""
        sd = summary.loc[m, "sd"]
        return f"{summary.loc[m, 'mean']:.3f}" + (f" ± {sd:.3f}" if np.isfinite(sd) else "")

    a, b = pair
    if is_contrast:
        ranked = summary["mean"].sort_values(ascending=False)
        best = ranked.index[0]
        lead = (
            f"**{a} vs {b}** (the question of this study), mean ± sd test {metric} over "
            f"{n_splits} paired splits: **{a}** {ms(a)}, **{b}** {ms(b)}."
        )
        others = [
            f"The best model is **{best}** ({ranked[best]:.3f}): "
            + ", ".join(f"{m} {summary.loc[m, 'mean'] - ranked[best]:+.3f}" for m in pair)
            + " from it."
        ]
    else:
        lead = (
            f"Mean ± sd test {metric} over {n_splits} paired splits: the best model is "
            f"**{a}** ({ms(a)}), runner-up **{b}** ({ms(b)})."
        )
        others = []
    r = pair_row(pairwise, a, b)
    parts = [lead, *_test_sentences(r, a, b, metric, alpha, rope, n_pairs), *others]
    for label, value in refs.items():
        parts.append(
            f"Against the {label} {value:.3f}: "
            + ", ".join(f"{m} {summary.loc[m, 'mean'] - value:+.3f}" for m in pair)
            + "."
        )
    if sensitivity:
        parts.append(sensitivity)
    return ["## In short", "", *(f"- {p}" for p in parts), ""]


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
    rel_tol = _check_number("rel_tol", rel_tol, 0, 1, low_open=False)
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


def _stalled_notes(results, metric, stalled):
    notes = []
    n_total = results.scores.groupby("model")["split"].nunique()
    for model, rows in stalled.groupby("model", sort=False):
        scores_txt = ", ".join(f"{v:.3f}" for v in rows[metric])
        notes.append(
            f"{model}: {len(rows)} of {int(n_total.get(model, 0))} trials did not train (final "
            "training loss within 1% of the first epoch's, e.g. "
            f"{rows['last_loss'].iloc[0]:.4f}); "
            f"splits {', '.join(map(str, rows['split']))}, test {metric} {scores_txt}. They are "
            "kept in every table: they are outcomes of this training recipe."
        )
    return notes


# --------------------------------------------------------------------------- environment


def library_versions(names=_LIBRARIES):
    """Installed versions of the libraries a result depends on, plus Python's.

    Returns
    -------
    versions : dict ``{name: version}`` ("not installed" where missing)
    """
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(device=None):
    """The machine a study ran on: OS, CPU, cores, torch threads and the accelerator.

    Parameters
    ----------
    device : str, default=None
        The device the models were asked to use (e.g. ``"auto"``, ``"cpu"``, ``"cuda"``),
        reported as given alongside what torch sees.

    Returns
    -------
    info : dict ``{field: value}``
    """
    info = {
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu cores (os.cpu_count)": os.cpu_count(),
    }
    try:
        import torch

        info["torch threads (process default)"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["cuda devices"] = ", ".join(
                torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
            )
        else:
            info["cuda devices"] = "none visible to torch"
    except ImportError:  # pragma: no cover - torch is a dependency
        info["cuda devices"] = "torch not installed"
    if device is not None:
        info["device requested"] = str(device)
    return info


# --------------------------------------------------------------------------- the report


def _one_line(text):
    """``text`` with every run of whitespace, line breaks included, as one space (headings)."""
    return " ".join(str(text).split())


def _slug(text):
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s or "figure"


def _describe(value):
    """Markdown for a description: a string as is, a mapping as a two-column table."""
    if value is None:
        return "_Not described._"
    if isinstance(value, Mapping):
        df = pd.DataFrame(
            {"": list(value.keys()), "description": [str(v) for v in value.values()]}
        )
        return markdown_table(df, index=False)
    return str(value)


def _kv_table(mapping, key="item", value="value"):
    df = pd.DataFrame({key: [str(k) for k in mapping], value: list(mapping.values())})
    return markdown_table(df, index=False)


def _design(results):
    scores = results.scores
    n_splits = int(scores["split"].nunique())
    repeats = int(scores["repeat"].nunique()) if "repeat" in scores else 1
    folds = int(scores["fold"].nunique()) if "fold" in scores else n_splits
    n_train = scores["n_train"]
    n_test = scores["n_test"]

    def rng(s):
        lo, hi = int(s.min()), int(s.max())
        return str(lo) if lo == hi else f"{lo}–{hi}"

    return (
        f"{n_splits} train/test splits ({repeats} repeat(s) × {folds} fold(s)), every model on "
        f"the same splits (a paired design); {rng(n_train)} training and {rng(n_test)} test "
        f"rows per split."
    )


def _stalled_sentence(stalled, models, n_total, metric):
    """One sentence naming the trials of ``models`` whose training never moved (or "")."""
    parts = []
    for m in models:
        rows = stalled[stalled["model"] == m]
        if len(rows):
            parts.append(
                f"{len(rows)} of the {int(n_total.get(m, 0))} {m} trials never trained "
                f"(training loss flat at its first-epoch value; test {metric} "
                f"{', '.join(f'{v:.3f}' for v in rows[metric])})"
            )
    if not parts:
        return ""
    return (
        "Beware: "
        + "; ".join(parts)
        + ". They are outcomes of the training recipe and are included in the numbers above; "
        "they pull the mean down and widen the spread (see the box plot)."
    )


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)


def _standard_figures(results, metric, models_with_curves, alpha, friedman, references):
    from clfcompare import plots

    figs = {}
    ax = plots.plot_scores_box(results, metric=metric, references=references)
    figs["scores_box"] = (f"Test {metric} per model over all trials", ax.figure)
    if friedman is not None:
        ax = plots.plot_critical_difference(
            friedman, alpha=alpha, colors=plots.model_colors(list(results.models))
        )
        figs["critical_difference"] = ("Critical-difference diagram (Friedman/Nemenyi)", ax.figure)
    if models_with_curves:
        fig = plots.plot_loss_curves(results, models=models_with_curves)
        figs["loss_curves"] = ("Training loss per epoch (median and interquartile band)", fig)
    return figs


def write_report(
    results,
    out_dir,
    *,
    title="Classifier comparison",
    data_description=None,
    models_description=None,
    machine_info=None,
    timings=None,
    figures=None,
    metric="accuracy",
    contrast="auto",
    alpha=0.05,
    rope=0.01,
    standard_figures=True,
    notes=None,
    references=None,
    curve_classes=None,
    filename="report.md",
):
    """Write a markdown report of a comparison, with its figures as PNG files beside it.

    Sections: data; models and settings; the design of the trials; mean ± sd of ``metric``
    (and of every other score) per model; the pairwise table of
    :func:`clfcompare.stats.compare` (corrected t-test, Holm-adjusted, with Bayesian
    probabilities); the Friedman test with Nemenyi's critical difference (3 or more models);
    a plain-words answer for ``contrast``; figures; machine, versions, timings.

    Parameters
    ----------
    results : TrialResults
    out_dir : str or Path
        Folder for ``report.md`` and the PNGs; created if missing.
    title : str
        Line breaks in the title, in model names and in figure captions become spaces in
        the headings (in tables, ``<br>``: see :func:`markdown_table`).
    data_description : str or mapping, optional
        Markdown text, or ``{field: value}`` shown as a table.
    models_description : str or mapping, optional
        Markdown text, or ``{model: settings}`` shown as a table.
    machine_info : mapping, optional
        ``{field: value}``; default :func:`describe_machine` of this process.
    timings : mapping, optional
        ``{phase: seconds}`` (numbers >= 0), e.g. ``{"trials": 41.2, "figures": 3.1}``.
    figures : mapping, optional
        Extra figures ``{caption: matplotlib Figure}`` (e.g. the data, the decision regions),
        saved as PNG and embedded after the standard ones. They are closed after saving.
    metric : str, default="accuracy"
        The score the tables and tests use.
    contrast : "auto", (str, str) or None, default="auto"
        The pair to answer "is A different from B?" for; "auto" picks the models named with
        ``mse`` and ``ce`` (see :func:`find_contrast`), None skips the section.
    alpha : float in (0, 1), default=0.05
    rope : float >= 0, default=0.01
        Region of practical equivalence of the Bayesian test.
    standard_figures : bool, default=True
        Draw the box plot, the CD diagram (3+ models) and the loss curves (if any).
    notes : sequence of str, optional
        Markdown paragraphs for a "Notes and warnings" section (e.g. the warnings the fits
        raised).
    references : mapping, optional
        ``{label: value}`` of reference values of ``metric`` to judge the models against, e.g.
        ``{"Bayes-optimal accuracy": 0.625}``: listed under the score table and drawn as
        dashed lines in the box plot.
    curve_classes : int >= 2, optional
        Set when the data are :func:`clfcompare.datasets.make_curve` data (default noise) of
        this many classes: the loss-curve figure then states the Bayes-optimal expected
        cross-entropy :math:`\\frac{K-1}{K}\\ln 2`, below which a training loss means the
        network fits noise.
    filename : str, default="report.md"

    Returns
    -------
    path : Path
        The report file.
    """
    from clfcompare.stats import compare, friedman_nemenyi

    scores = _check_results(results)
    if metric not in scores.columns:
        raise ValueError(
            f"metric {metric!r} is not in the results' scores {list(results.scoring)}"
        )
    alpha = _check_number("alpha", alpha, 0, 1)
    rope = _check_number("rope", rope, 0, math.inf, low_open=False)
    if timings is not None and not isinstance(timings, Mapping):
        raise TypeError(f"timings must be a mapping {{phase: seconds}}, got {type(timings)}")
    timings = {
        str(k): _check_number(f"timings[{k!r}]", v, 0, math.inf, low_open=False)
        for k, v in (timings or {}).items()
    }
    models = [str(m) for m in results.models]
    if contrast == "auto":
        contrast = find_contrast(models)
    elif contrast is not None:
        if (
            not isinstance(contrast, Sequence)
            or isinstance(contrast, str)
            or len(contrast) != 2
            or any(m not in models for m in contrast)
        ):
            raise ValueError(f"contrast must be two of the models {models}, got {contrast!r}")
        contrast = tuple(contrast)
    if figures is not None and not isinstance(figures, Mapping):
        raise TypeError(f"figures must be a mapping {{caption: Figure}}, got {type(figures)}")
    from clfcompare.plots import _check_references

    references = _check_references(references)
    try:  # the data's Bayes-optimal cross-entropy, stated by the loss curves
        ce = None if curve_classes is None else bayes_cross_entropy(curve_classes)
    except (TypeError, ValueError) as err:
        raise type(err)(f"curve_classes must be an int >= 2 or None: {err}") from None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    summary = summary_table(results, metric)
    n_models = len(summary)
    pairwise = compare(results, metric=metric, rope=rope, alpha=alpha) if n_models >= 2 else None
    stalled = stalled_trials(results, metric=metric)
    answer, sensitivity = [], ""
    if pairwise is not None:
        pair = _answer_pair(summary, contrast)
        # the pair's test without the splits where either model stalled: computed once, shown
        # in "In short" (the contrast section points there)
        sensitivity = _without_stalled(
            results, *pair, pair_row(pairwise, *pair), stalled, metric, alpha, rope
        )
        answer = _answer_section(
            results,
            summary,
            pairwise,
            pair,
            contrast is not None,
            sensitivity,
            metric,
            alpha,
            rope,
            references,
        )

    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [f"# {_one_line(title)}", "", f"_Generated {stamp} by clfcompare._", "", *answer]

    lines += ["## Data", "", _describe(data_description), ""]
    lines += ["## Models and settings", "", _describe(models_description), ""]
    lines += ["## Design", "", _design(results), ""]

    shown = summary.copy()
    shown[f"mean ± sd {metric}"] = [
        f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}"
        for m, s in zip(summary["mean"], summary["sd"], strict=True)
    ]
    # milliseconds: fits range from under 1 ms (closed form) to seconds (networks)
    shown["fit ms/trial"] = [f"{1e3 * v:.1f}" for v in summary["fit_time_mean"]]
    shown = shown[[f"mean ± sd {metric}", "median", "min", "max", "n_trials", "fit ms/trial"]]
    lines += [f"## Test {metric} per model", "", markdown_table(shown), ""]
    for label, value in references.items():
        lines += [
            f"Reference: {label} = {value:.3f} (the dashed line in the box plot). Best mean: "
            f"{summary['mean'].idxmax()} at {summary['mean'].max():.3f} "
            f"({summary['mean'].max() - value:+.3f}).",
            "",
        ]
    others = [s for s in results.scoring if s != metric and s in scores.columns]
    if others:
        extra = pd.DataFrame(
            {
                s: [
                    f"{r['mean']:.3f} ± {r['sd']:.3f}"
                    for _, r in summary_table(results, s).iterrows()
                ]
                for s in others
            },
            index=summary.index,
        )
        lines += ["Other scores (mean ± sd):", "", markdown_table(extra), ""]

    if pairwise is not None:
        lines += [
            "## Pairwise comparisons",
            "",
            "Every pair of models on the same splits: Nadeau–Bengio corrected repeated-CV "
            "t-test (two-sided), p-values adjusted for multiple comparisons with Holm's method, "
            f"and the Bayesian correlated t-test's probabilities (ROPE ±{rope}). "
            "Differences are first model − second model.",
            "",
            markdown_table(_readable_pairwise(pairwise, alpha), index=False),
            "",
        ]

    friedman = None
    if n_models >= 3:
        friedman = friedman_nemenyi(results.score_table(metric), alpha=alpha)
        ranks = pd.Series(friedman.average_ranks, dtype=float).sort_values()
        lines += [
            "## Ranking of all models (Friedman test, Nemenyi post-hoc)",
            "",
            f"Friedman χ² = {friedman.statistic:.2f}, p = {friedman.pvalue:.3g}; Nemenyi "
            f"critical difference CD = {friedman.critical_difference:.3f} "
            f"(α = {alpha}): models whose average ranks differ by less are not significantly "
            "different. Caution: the rows here are splits of one data set, not independent "
            "data sets, so these rank tests are anti-conservative (Demšar 2006); the corrected "
            "t-test above is the calibrated one.",
            "",
            markdown_table(
                ranks.rename("average rank (1 = best)").to_frame().rename_axis("model")
            ),
            "",
        ]

    n_total = scores.groupby("model")["split"].nunique()
    if contrast is not None and pairwise is not None:
        a, b = contrast
        lines += [
            f"## Is {_one_line(a)} different from {_one_line(b)} here?",
            "",
            contrast_paragraph(
                results, a, b, metric=metric, alpha=alpha, rope=rope, pairwise=pairwise
            ),
            "",
        ]
        beware = _stalled_sentence(stalled, (a, b), n_total, metric)
        if beware:
            lines += [beware, ""]
            if sensitivity:
                lines += [
                    "The test again without the stalled splits (a sensitivity check) is in "
                    "[In short](#in-short) above.",
                    "",
                ]

    all_figs = {}
    if standard_figures:
        curves = getattr(results, "loss_curves", None)
        with_curves = (
            [m for m in models if m in set(curves["model"])]
            if isinstance(curves, pd.DataFrame) and len(curves)
            else []
        )
        all_figs.update(
            _standard_figures(results, metric, with_curves, alpha, friedman, references)
        )
    for caption, fig in (figures or {}).items():
        if not hasattr(fig, "savefig"):
            raise TypeError(f"figure {caption!r} is not a matplotlib Figure: {type(fig).__name__}")
        stem, n = _slug(caption), 1
        while stem in all_figs:  # two captions with one file name: keep both figures
            n += 1
            stem = f"{_slug(caption)}_{n}"
        all_figs[stem] = (str(caption), fig)
    if all_figs:
        lines += ["## Figures", ""]
        for stem, (caption, fig) in all_figs.items():
            name = f"{stem}.png"
            _save(fig, out_dir / name)
            caption = _one_line(caption)
            lines += [f"### {caption}", "", f"![{caption}]({name})", ""]
            if stem == "loss_curves" and ce is not None:
                lines += [
                    f"For the networks trained with the cross-entropy: the best possible "
                    f"expected cross-entropy on this data (the true posterior, {curve_classes} "
                    f"classes) is (K − 1)/K · ln 2 ≈ {ce:.3f} nats (where two bands overlap "
                    "the posterior is 1/2, 1/2; `clfcompare.datasets.bayes_cross_entropy`). "
                    "A training loss below it means the network "
                    "fits the noise of its training set.",
                    "",
                ]

    notes = [notes] if isinstance(notes, str) else list(notes or [])
    notes = _stalled_notes(results, metric, stalled) + notes
    if notes:
        lines += ["## Notes and warnings", ""]
        lines += [f"- {str(n)}" for n in notes]
        lines += [""]

    info = dict(machine_info) if machine_info is not None else describe_machine()
    lines += ["## Machine", "", _kv_table(info, "field", "value"), ""]
    lines += ["## Versions", "", _kv_table(library_versions(), "library", "version"), ""]
    timing_rows = dict(timings)
    timing_rows["sum of per-trial fit times"] = float(summary["fit_time_total"].sum())
    lines += [
        "## Timings",
        "",
        _kv_table({k: float(v) for k, v in timing_rows.items()}, "phase", "seconds"),
        "",
    ]

    path = out_dir / filename
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _readable_pairwise(pairwise, alpha):
    """A compare() table with short, formatted columns for the report."""

    def p3(v):
        return f"{v:.3g}" if np.isfinite(v) else "–"

    return pd.DataFrame(
        {
            "A": pairwise["model_a"],
            "B": pairwise["model_b"],
            "mean A − B": [f"{v:+.3f}" for v in pairwise["mean_difference"]],
            "95% CI": [
                f"{lo:+.3f} to {hi:+.3f}" if np.isfinite(lo) and np.isfinite(hi) else "–"
                for lo, hi in zip(pairwise["ci_low"], pairwise["ci_high"], strict=True)
            ],
            "t": [f"{v:.2f}" for v in pairwise["statistic"]],
            "p": [p3(v) for v in pairwise["pvalue"]],
            "p (Holm)": [p3(v) for v in pairwise["pvalue_adjusted"]],
            f"significant at {alpha}": pairwise["significant"].astype(bool),
            "P(A better)": [f"{v:.3f}" for v in pairwise["prob_a_better"]],
            "P(equivalent)": [f"{v:.3f}" for v in pairwise["prob_equivalent"]],
            "P(B better)": [f"{v:.3f}" for v in pairwise["prob_b_better"]],
            "verdict": pairwise["verdict"],
        }
    )
