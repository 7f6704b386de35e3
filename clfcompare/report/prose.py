"""The report's sentences, read from a :class:`~clfcompare.analysis.Comparison`.

Nothing here computes a test: every p-value, probability and mean comes from the comparison,
and every verdict applies its one rule (adjusted p below ``alpha``; a Bayesian outcome called
at posterior probability ``comparison.posterior_level`` = ``1 - alpha``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["contrast_paragraph"]


def better_words(better, worse, metric):
    """The verdict's "A is more accurate than B", worded for ``metric``.

    Higher is better, as for every scikit-learn scorer: a ``neg_`` score is a loss with its
    sign flipped.
    """
    if metric == "accuracy":
        return f"{better} is more accurate than {worse}"
    if metric.startswith("neg_"):
        return f"{better} has the lower {metric[4:]} (higher {metric}) than {worse}"
    return f"{better} scores a higher {metric} than {worse}"


def not_equal_sentence(r, model_a, model_b, rope):
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


class PairFacts(NamedTuple):
    """What both answers quote of a pair_row ``model_a − model_b``."""

    diff: float  # mean difference a − b
    ci: str  # " (95% CI lo to hi)", or "" when the CI is not finite
    p: float  # corrected t-test, unadjusted
    p_adj: float  # Holm-adjusted over the pairs of the table
    adj: str  # how p_adj was adjusted, in words
    significant: bool  # p_adj < alpha
    better: str  # "A is more accurate than B" (the better by the mean), worded for the metric
    probs: tuple[float, float, float]  # Bayesian P(a better), P(equivalent), P(b better)
    probs_text: str  # "P(a better) = …, P(practically equivalent) = …, P(b better) = …"


def pair_facts(comparison, r, model_a, model_b):
    """The numbers and phrases of a pair_row ``r`` that the contrast and the answer quote."""
    diff = float(r["mean_difference"])
    lo, hi = float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))
    ci = f" (95% CI {lo:+.3f} to {hi:+.3f})" if np.isfinite(lo) and np.isfinite(hi) else ""
    p, p_adj = float(r["pvalue"]), float(r["pvalue_adjusted"])
    better, worse = (model_a, model_b) if diff > 0 else (model_b, model_a)
    probs = tuple(float(r[k]) for k in ("prob_a_better", "prob_equivalent", "prob_b_better"))
    n_pairs = len(comparison.pairwise)
    return PairFacts(
        diff=diff,
        ci=ci,
        p=p,
        p_adj=p_adj,
        adj=f"Holm-adjusted over the {n_pairs} pairs" if n_pairs > 1 else "one comparison",
        significant=comparison.is_significant(r),
        better=better_words(better, worse, comparison.metric),
        probs=probs,
        probs_text=(
            f"P({model_a} better) = {probs[0]:.3f}, P(practically equivalent) = "
            f"{probs[1]:.3f}, P({model_b} better) = {probs[2]:.3f}"
        ),
    )


def contrast_paragraph(comparison, model_a, model_b):
    """A plain-words answer to "is ``model_a`` different from ``model_b`` here?".

    Reads the pair's row of the comparison's :func:`clfcompare.stats.compare` table: the
    Nadeau–Bengio corrected repeated-CV t-test (the variance of the per-split differences
    :math:`d_j` inflated for the overlap of training sets,
    :math:`\\hat\\sigma^2 (1/J + n_{test}/n_{train})`), its p-value adjusted over all pairs of
    the table (Holm), and the Bayesian correlated t-test with a region of practical equivalence
    :math:`|\\Delta| \\le` ``rope``. The verdict is worded for the comparison's metric ("more
    accurate" for accuracy, "the lower log_loss" for ``neg_log_loss``, "a higher f1_macro"
    otherwise).

    Parameters
    ----------
    comparison : Comparison
        From :func:`clfcompare.analysis.analyse`.
    model_a, model_b : str
        The two models; differences are ``a - b``.

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
    metric, alpha, rope = comparison.metric, comparison.alpha, comparison.rope
    r = comparison.row(model_a, model_b)
    scores = comparison.results.scores
    mean_a = float(scores.loc[scores["model"] == model_a, metric].mean())
    mean_b = float(scores.loc[scores["model"] == model_b, metric].mean())
    n_splits = comparison.n_splits(model_a)
    f = pair_facts(comparison, r, model_a, model_b)
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
    level = comparison.posterior_level
    if best[0] >= level:
        bayes_words = f"With posterior probability {best[0]:.3f}, {best[1]}."
    else:
        bayes_words = (
            f"No outcome reaches posterior probability {level:g}; the most probable is that "
            f"{best[1]} ({best[0]:.3f})."
        )
    parts = [first, verdict, probs, bayes_words]
    if f.p_adj >= alpha:
        parts.append(not_equal_sentence(r, model_a, model_b, rope))
    return " ".join(parts)


def pair_test_sentences(comparison, r, model_a, model_b):
    """The answer section's test results for ``model_a − model_b`` (a pair_row ``r``)."""
    alpha, rope = comparison.alpha, comparison.rope
    f = pair_facts(comparison, r, model_a, model_b)
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
        out.append(not_equal_sentence(r, model_a, model_b, rope))
    return out


def sensitivity_sentence(comparison):
    """The answer pair's test without its stalled splits, in words ("" when none stalled)."""
    s = comparison.sensitivity
    if s is None:
        return ""
    alpha = comparison.alpha
    drop = s.dropped_splits
    trials = f"{s.n_stalled} stalled trial{'s' if s.n_stalled > 1 else ''}"
    where = f"split{'s' if len(drop) > 1 else ''} {', '.join(map(str, drop))}"
    if not s.tested:
        return f"Without the {trials} ({where}) fewer than 2 splits are left: no test."
    return (
        f"Without the {trials} ({where}; dropped for both models, {s.n_left} paired splits "
        f"left): {s.model_a} {s.mean_a:.3f} vs {s.model_b} {s.mean_b:.3f}, corrected t-test "
        f"p = {s.pvalue:.3g} (all splits: p = {s.pvalue_all:.3g}; both unadjusted), "
        f"P(practically equivalent) = {s.prob_equivalent:.3f}: "
        f"{'the same' if s.same_conclusion else 'a different'} conclusion at α = {alpha}. This "
        "is an approximation: the corrected t-test's n_test/n_train term assumes complete "
        "repeats of cross-validation, and these splits are dropped for their outcome, so read "
        "it as a sensitivity check, not as a test."
    )


def answer_sentences(comparison):
    """The bullet points of "In short": the question answered from this run."""
    summary, metric = comparison.summary, comparison.metric
    n_splits = comparison.n_splits()

    def ms(m):
        """``m``'s "mean ± sd" (the mean alone for one trial); callers name the model."""
        sd = summary.loc[m, "sd"]
        return f"{summary.loc[m, 'mean']:.3f}" + (f" ± {sd:.3f}" if np.isfinite(sd) else "")

    pair = comparison.answer_pair
    a, b = pair
    if comparison.contrast is not None:
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
    parts = [lead, *pair_test_sentences(comparison, comparison.answer_row, a, b), *others]
    for label, value in comparison.references.items():
        parts.append(
            f"Against the {label} {value:.3f}: "
            + ", ".join(f"{m} {summary.loc[m, 'mean'] - value:+.3f}" for m in pair)
            + "."
        )
    sensitivity = sensitivity_sentence(comparison)
    if sensitivity:
        parts.append(sensitivity)
    return parts


def design_sentence(results):
    """The splits of the trials in one sentence."""
    scores = results.scores
    n_splits = int(scores["split"].nunique())
    repeats = int(scores["repeat"].nunique()) if "repeat" in scores else 1
    folds = int(scores["fold"].nunique()) if "fold" in scores else n_splits

    def rng(s):
        lo, hi = int(s.min()), int(s.max())
        return str(lo) if lo == hi else f"{lo}–{hi}"

    return (
        f"{n_splits} train/test splits ({repeats} repeat(s) × {folds} fold(s)), every model on "
        f"the same splits (a paired design); {rng(scores['n_train'])} training and "
        f"{rng(scores['n_test'])} test rows per split."
    )


def stalled_sentence(comparison, models):
    """One sentence naming the trials of ``models`` whose training never moved (or "")."""
    stalled, metric = comparison.stalled, comparison.metric
    n_total = comparison.results.scores.groupby("model")["split"].nunique()
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


def stalled_notes(comparison):
    """One note per model with stalled trials, for "Notes and warnings"."""
    stalled, metric = comparison.stalled, comparison.metric
    notes = []
    n_total = comparison.results.scores.groupby("model")["split"].nunique()
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
