"""The report's sentences, read from a :class:`~clfcompare.analysis.Comparison`.

Nothing here computes a test: every p-value, probability and mean comes from the comparison,
and every verdict applies its one rule (adjusted p below ``alpha``; a Bayesian outcome called
at posterior probability ``comparison.posterior_level`` = ``1 - alpha``). The functions take
the models' names as the comparison holds them and escape every name (and the metric) as they
write it (:func:`~clfcompare.report.escape.escape_markdown`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from clfcompare.analysis import main_scores, n_data_splits, pair_row
from clfcompare.report.escape import escape_markdown as md
from clfcompare.report.markdown import decimals_for, mean_sd

__all__ = ["contrast_paragraph"]


def better_words(better, worse, metric):
    """The verdict's "A is more accurate than B", worded for ``metric``.

    Higher is better, as for every scikit-learn scorer: a ``neg_`` score is a loss with its
    sign flipped.
    """
    better, worse = md(better), md(worse)
    if metric == "accuracy":
        return f"{better} is more accurate than {worse}"
    if metric.startswith("neg_"):
        return f"{better} has the lower {md(metric[4:])} (higher {md(metric)}) than {worse}"
    return f"{better} scores a higher {md(metric)} than {worse}"


def not_equal_sentence(r, model_a, model_b, rope):
    """ "Not significant" read as "the same" is the commonest misreading: say what is known."""
    lo, hi = float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))
    ci = ""
    if np.isfinite(lo) and np.isfinite(hi):
        ci = (
            f": the 95% CI of {md(model_a)} − {md(model_b)}, {lo:+.3f} to {hi:+.3f}, still admits "
            f"differences of up to {max(abs(lo), abs(hi)):.3f}"
        )
    return (
        f"A non-significant test is not evidence that they are equal{ci}. Whether they are "
        f"the same for practical purposes is what the Bayesian test's P(practically "
        f"equivalent) = {float(r['prob_equivalent']):.3f} measures: the posterior probability "
        f"that the difference lies within the ROPE ±{rope}."
    )


#: Type I error at alpha = 0.05 under an exact null (two models with equal expected accuracy,
#: a fresh data set of 300 rows per replicate, 10 x 10 CV, R = 1000 per cell;
#: ``analyses/calibration.py --arm cpu``, the README's table in "Which test to use when"): the
#: corrected t-test and the conservative Z for a stable learner (nearest class mean) and for the
#: unstable ones (fully grown tree, 1-NN, in that order).
CALIBRATION = {
    "corrected_ttest": {"stable": 0.041, "unstable": (0.072, 0.119)},
    "conservative_z": {"stable": 0.019, "unstable": (0.008, 0.016)},
}

#: The tests' names in the report.
TEST_NAMES = {
    "conservative_z": "conservative Z test (Nadeau–Bengio, half/half partitions)",
    "corrected_ttest": "corrected repeated-CV t-test (Nadeau–Bengio)",
}
#: The statistic's symbol per test.
STAT_SYMBOL = {"conservative_z": "Z", "corrected_ttest": "t"}

WHICH_TEST = 'README, "Which test to use when"'


def test_name(test):
    """The report's name of a test of :func:`clfcompare.stats.compare`."""
    return TEST_NAMES.get(test) or md(test)


def _tree_and_1nn(rates):
    """The unstable learners' rates of one test, e.g. ``"0.072 and 0.119"``."""
    tree, nn = rates["unstable"]
    return f"{tree:.3f} and {nn:.3f}"


def calibration_sentence():
    """What the calibration measured, in one sentence (the numbers of :data:`CALIBRATION`)."""
    t, z = CALIBRATION["corrected_ttest"], CALIBRATION["conservative_z"]
    return (
        f"Under an exact null at α = 0.05 the corrected t-test rejected {t['stable']:.3f} of "
        f"the time for a stable learner (nearest class mean) but {_tree_and_1nn(t)} for "
        f"unstable ones (a fully grown tree, 1-NN); the conservative Z rejected "
        f"{z['stable']:.3f}, {_tree_and_1nn(z)} ({WHICH_TEST}). The corrected t-test is valid "
        "for stable learners only, where it has more power; the conservative Z holds for both."
    )


def validity_sentence(comparison, model_a, model_b):
    """Which of the two tests holds for this pair, in words ("" for one test and unknown
    stability)."""
    stable = comparison.pair_is_stable(model_a, model_b)
    t = CALIBRATION["corrected_ttest"]
    if comparison.pairwise_corrected is None:  # the corrected t-test is the study's test
        if stable is True:
            return (
                f"{md(model_a)} and {md(model_b)} are stable learners, for which the corrected "
                "t-test holds its level."
            )
        caution = ""
        if stable is False:
            unstable = [md(m) for m in (model_a, model_b) if m not in comparison.stable]
            caution = (
                f"{' and '.join(unstable)} "
                f"{'is not a stable learner' if len(unstable) == 1 else 'are not stable learners'}"
                ", so read this p-value with caution: "
            )
        text = (
            f"{caution}the corrected t-test is valid for stable learners only (Type I error "
            f"{t['stable']:.3f} at α = 0.05 for a nearest-mean classifier, "
            f"{t['unstable'][0]:.3f} for a fully grown tree and {t['unstable'][1]:.3f} for 1-NN; "
            f"{WHICH_TEST}). Trials with half/half partitions "
            "(`RepeatedKFoldWithHalves`) give the conservative Z, which holds for both."
        )
        return text[0].upper() + text[1:]
    if stable is True:
        return (
            f"Both are stable learners: the corrected t-test holds its level for them and has "
            f"more power, so its p-value may be read as well ({WHICH_TEST})."
        )
    if stable is False:
        unstable = [md(m) for m in (model_a, model_b) if m not in comparison.stable]
        verb, fit = (
            ("is not a stable learner", "its fit moves")
            if len(unstable) == 1
            else ("are not stable learners", "their fits move")
        )
        return (
            f"{' and '.join(unstable)} {verb} ({fit} with the training data and, for a "
            "network, the initial weights): the corrected t-test is not valid for this pair "
            f"(it rejected a true null {_tree_and_1nn(t)} of the time at α = 0.05 for "
            f"a fully grown tree and 1-NN, {WHICH_TEST}); the conservative Z decides."
        )
    return (
        "The conservative Z holds its level for stable and unstable learners; the corrected "
        f"t-test only for stable ones ({WHICH_TEST})."
    )


class PairFacts(NamedTuple):
    """What both answers quote of a pair_row ``model_a − model_b``."""

    diff: float  # mean difference a − b
    diff_text: str  # "+0.012": as many decimals as the CI
    ci: str  # " (95% CI lo to hi)", or "" when the CI is not finite
    stat: str  # "Z = 1.23" or "t = 1.23"
    p: float  # the default test, unadjusted
    p_adj: float  # Holm-adjusted over the pairs of the table
    p_decides: float  # p for the pre-specified contrast, else p_adj
    adj: str  # how p_decides was reached, in words
    significant: bool  # p_decides < alpha
    test: str  # the default test's name
    better: str  # "A is more accurate than B" (the better by the mean), worded for the metric
    probs: tuple[float, float, float]  # Bayesian P(a better), P(equivalent), P(b better)
    probs_text: str  # "P(a better) = …, P(practically equivalent) = …, P(b better) = …"


def _is_contrast(comparison, model_a, model_b):
    return comparison.contrast is not None and set(comparison.contrast) == {model_a, model_b}


def pair_facts(comparison, r, model_a, model_b):
    """The numbers and phrases of a pair_row ``r`` that the contrast and the answer quote."""
    diff = float(r["mean_difference"])
    lo, hi = float(r.get("ci_low", np.nan)), float(r.get("ci_high", np.nan))
    level = f"{100 * (1 - comparison.alpha):g}%"
    d = decimals_for((hi - lo) / 2)  # 3, or more for a narrow interval
    ci = f" ({level} CI {lo:+.{d}f} to {hi:+.{d}f})" if np.isfinite(lo) and np.isfinite(hi) else ""
    p, p_adj = float(r["pvalue"]), float(r["pvalue_adjusted"])
    better, worse = (model_a, model_b) if diff > 0 else (model_b, model_a)
    probs = tuple(float(r[k]) for k in ("prob_a_better", "prob_equivalent", "prob_b_better"))
    n_pairs = len(comparison.pairwise)
    test = str(r.get("test", comparison.test or "corrected_ttest"))
    if _is_contrast(comparison, model_a, model_b):
        p_decides, adj = p, "the pre-specified contrast, tested on its own: unadjusted"
    else:
        p_decides = p_adj
        adj = (
            f"exploratory, Holm-adjusted over the {n_pairs} pairs"
            if n_pairs > 1
            else "one comparison"
        )
    return PairFacts(
        diff=diff,
        diff_text=f"{diff:+.{d}f}",
        ci=ci,
        stat=f"{STAT_SYMBOL.get(test, 'statistic')} = {float(r['statistic']):.2f}",
        p=p,
        p_adj=p_adj,
        p_decides=p_decides,
        adj=adj,
        significant=p_decides < comparison.alpha,
        test=test_name(test),
        better=better_words(better, worse, comparison.metric),
        probs=probs,
        probs_text=(
            f"P({md(model_a)} better) = {probs[0]:.3f}, P(practically equivalent) = "
            f"{probs[1]:.3f}, P({md(model_b)} better) = {probs[2]:.3f}"
        ),
    )


def _p_words(f):
    """ "p = 0.01 (the pre-specified contrast…)" or "p = 0.01 (exploratory…: p = 0.03)"."""
    if f.p_decides == f.p and f.adj.startswith("the pre-specified"):
        return f"p = {f.p:.3g} ({f.adj})"
    return f"p = {f.p:.3g}; {f.adj}: p = {f.p_adj:.3g}"


def corrected_sentence(comparison, model_a, model_b):
    """The corrected t-test's result for the pair beside the default test ("" when the
    corrected t-test is the default)."""
    if comparison.pairwise_corrected is None:
        return ""
    r = pair_row(comparison.pairwise_corrected, model_a, model_b)
    p, p_adj = float(r["pvalue"]), float(r["pvalue_adjusted"])
    which = p if _is_contrast(comparison, model_a, model_b) else p_adj
    adj = "unadjusted" if which == p else f"Holm-adjusted: p = {p_adj:.3g}"
    verdict = "significant" if which < comparison.alpha else "not significant"
    return (
        f"The corrected repeated-CV t-test gives t = {float(r['statistic']):.2f}, p = {p:.3g} "
        f"({adj}), {verdict} at α = {comparison.alpha}. "
        + validity_sentence(comparison, model_a, model_b)
    )


def equivalence_sentence(comparison):
    """The answer pair's TOST beside the Bayesian ROPE ("" when there is none)."""
    eq = comparison.equivalence
    if eq is None:
        return ""
    a, b = (md(m) for m in comparison.answer_pair)
    alpha, rope = comparison.alpha, comparison.rope
    level = f"{100 * (1 - 2 * alpha):g}%"
    where = "lies inside" if eq.equivalent else "does not lie inside"
    words = (
        f"equivalent within ±{rope} at α = {alpha}"
        if eq.equivalent
        else f"equivalence within ±{rope} not shown at α = {alpha}"
    )
    text = (
        f"Equivalence test (TOST, two one-sided tests with margin ±{rope}, the ROPE; "
        f"{eq.variance} variance): p = {eq.pvalue:.3g}; the {level} CI of {a} − {b}, "
        f"{eq.ci_low:+.3f} to {eq.ci_high:+.3f}, {where} ±{rope}: {words}."
    )
    if comparison.equivalence_corrected is not None:
        ec = comparison.equivalence_corrected
        text += (
            f" With the corrected variance (stable learners only): p = {ec.pvalue:.3g}, "
            f"{'equivalent' if ec.equivalent else 'not shown'}."
        )
    return text


def contrast_paragraph(comparison, model_a, model_b):
    """A plain-words answer to "is ``model_a`` different from ``model_b`` here?".

    Reads the pair's row of the comparison's :func:`clfcompare.stats.compare` table: its
    default test (Nadeau and Bengio's conservative Z when the trials have half/half
    partitions, else the corrected repeated-CV t-test, whose variance of the per-split
    differences :math:`d_j` is inflated for the overlap of training sets,
    :math:`\\hat\\sigma^2 (1/J + n_{test}/n_{train})`), its p-value (unadjusted for the
    comparison's pre-specified contrast, else adjusted over all pairs of the table, Holm), the
    corrected t-test beside it with which of the two holds for these learners, the Bayesian
    correlated t-test with a region of practical equivalence :math:`|\\Delta| \\le` ``rope``
    and, for the answer's pair, the equivalence test (TOST) with that margin. The verdict is
    worded for the comparison's metric ("more accurate" for accuracy, "the lower log_loss" for
    ``neg_log_loss``, "a higher f1_macro" otherwise).

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
    scores = main_scores(comparison.results)
    mean_a = float(scores.loc[scores["model"] == model_a, metric].mean())
    mean_b = float(scores.loc[scores["model"] == model_b, metric].mean())
    n_splits = comparison.n_splits(model_a)
    f = pair_facts(comparison, r, model_a, model_b)
    a, b, m = md(model_a), md(model_b), md(metric)
    first = (
        f"Over {n_splits} paired splits, **{a}** has mean {m} {mean_a:.3f} and "
        f"**{b}** {mean_b:.3f}: a difference of {f.diff_text}{f.ci} ({a} − {b})."
    )
    tests = f"{f.stat}, {_p_words(f)}"
    if f.significant:
        verdict = (
            f"**Yes.** The {f.test} finds the difference significant "
            f"({tests} < α = {alpha}): {f.better} on this data."
        )
    else:
        verdict = (
            f"**No significant difference.** The {f.test} does not reject equal "
            f"expected {m} ({tests} ≥ α = {alpha}): the gap is within what the "
            f"split-to-split variation of repeated cross-validation produces."
        )
    pa, pe, pb = f.probs
    probs = f"The Bayesian correlated t-test (ROPE ±{rope}) gives {f.probs_text}."
    outcomes = [
        (pa, f"{a} is better by more than {rope}"),
        (pe, f"the two are practically equivalent (within ±{rope})"),
        (pb, f"{b} is better by more than {rope}"),
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
    parts = [first, verdict]
    corrected = corrected_sentence(comparison, model_a, model_b)
    if corrected:
        parts.append(corrected)
    elif comparison.stable is not None:
        parts.append(validity_sentence(comparison, model_a, model_b))
    parts += [probs, bayes_words]
    if comparison.answer_pair is not None and set(comparison.answer_pair) == {model_a, model_b}:
        eq = equivalence_sentence(comparison)
        if eq:
            parts.append(eq)
    if not f.significant:
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
        f"Difference {md(model_a)} − {md(model_b)} = {f.diff_text}{f.ci}; {f.test}: {f.stat}, "
        f"{_p_words(f)}, {verdict}.",
    ]
    corrected = corrected_sentence(comparison, model_a, model_b)
    if corrected:
        out.append(corrected)
    elif comparison.stable is not None:
        out.append(validity_sentence(comparison, model_a, model_b))
    out.append(
        f"Bayesian correlated t-test (region of practical equivalence, ROPE, ±{rope}): "
        f"{f.probs_text}."
    )
    eq = equivalence_sentence(comparison)
    if eq:
        out.append(eq)
    if not f.significant:
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
        f"left): {md(s.model_a)} {s.mean_a:.3f} vs {md(s.model_b)} {s.mean_b:.3f}, corrected "
        f"t-test p = {s.pvalue:.3g} (all splits: p = {s.pvalue_all:.3g}; both unadjusted), "
        f"P(practically equivalent) = {s.prob_equivalent:.3f}: "
        f"{'the same' if s.same_conclusion else 'a different'} conclusion at α = {alpha}. This "
        "is an approximation: the corrected t-test's n_test/n_train term assumes complete "
        "repeats of cross-validation, and these splits are dropped for their outcome, so read "
        "it as a sensitivity check, not as a test."
    )


def variance_sentence(comparison):
    """How the score variance splits into data split and initialisation ("" when the design
    does not cross splits with seeds)."""
    vc = comparison.variance_components
    if vc is None or len(vc) == 0:
        return ""
    pair = comparison.answer_pair or tuple(vc.index[:2])
    parts = []
    for m in pair:
        if m in vc.index:
            row = vc.loc[m]
            parts.append(
                f"{md(m)} {100 * float(row['split_share']):.0f}% data split, "
                f"{100 * float(row['seed_share']):.0f}% initialisation"
            )
    if not parts:
        return ""
    return (
        "Score variance over the crossed split × seed design: "
        + "; ".join(parts)
        + " (see [Data split vs initialisation](#data-split-vs-initialisation))."
    )


def answer_sentences(comparison):
    """The bullet points of "In short": the question answered from this run."""
    summary, metric = comparison.summary, md(comparison.metric)
    n_splits = comparison.n_splits()

    def ms(m):
        """``m``'s "mean ± sd" (the mean alone for one trial); callers name the model."""
        return mean_sd(summary.loc[m, "mean"], summary.loc[m, "sd"])

    pair = comparison.answer_pair
    a, b = pair
    ea, eb = md(a), md(b)
    n_pairs = len(comparison.pairwise)
    if comparison.contrast is not None:
        ranked = summary["mean"].sort_values(ascending=False)
        best = ranked.index[0]
        lead = (
            f"**{ea} vs {eb}** (the pre-specified question of this study, tested on its own: "
            f"unadjusted), mean ± sd test {metric} over {n_splits} paired splits: **{ea}** "
            f"{ms(a)}, **{eb}** {ms(b)}."
        )
        others = [
            f"The best model is **{md(best)}** ({ranked[best]:.3f}): "
            + ", ".join(f"{md(m)} {summary.loc[m, 'mean'] - ranked[best]:+.3f}" for m in pair)
            + " from it."
        ]
        if n_pairs > 1:
            others.append(
                f"The other {n_pairs - 1} pair{'s are' if n_pairs > 2 else ' is'} exploratory: "
                "judged by p-values adjusted over all pairs (Holm, "
                "[Pairwise comparisons](#pairwise-comparisons))"
                + (
                    " and by the simultaneous intervals "
                    "([Several models at once](#several-models-at-once))."
                    if comparison.simultaneous is not None
                    else "."
                )
            )
    else:
        lead = (
            f"Mean ± sd test {metric} over {n_splits} paired splits: the best model is "
            f"**{ea}** ({ms(a)}), runner-up **{eb}** ({ms(b)}); a pair chosen from the data, so "
            "exploratory: judged by its adjusted p-value."
        )
        others = []
    parts = [lead, *pair_test_sentences(comparison, comparison.answer_row, a, b), *others]
    variance = variance_sentence(comparison)
    if variance:
        parts.append(variance)
    for label, value in comparison.references.items():
        parts.append(
            f"Against the {md(label)} {value:.3f}: "
            + ", ".join(f"{md(m)} {summary.loc[m, 'mean'] - value:+.3f}" for m in pair)
            + "."
        )
    sensitivity = sensitivity_sentence(comparison)
    if sensitivity:
        parts.append(sensitivity)
    return parts


def design_sentence(results):
    """The splits of the trials in one sentence (two with half/half partitions)."""
    scores = main_scores(results)
    n_splits = n_data_splits(results)
    repeats = int(scores["repeat"].nunique()) if "repeat" in scores else 1
    folds = int(scores["fold"].nunique()) if "fold" in scores else n_splits

    def rng(s):
        lo, hi = int(s.min()), int(s.max())
        return str(lo) if lo == hi else f"{lo}–{hi}"

    text = (
        f"{n_splits} train/test splits ({repeats} repeat(s) × {folds} fold(s)), every model on "
        f"the same splits (a paired design); {rng(scores['n_train'])} training and "
        f"{rng(scores['n_test'])} test rows per split."
    )
    design = getattr(results, "design", None)
    if isinstance(design, dict) and design.get("kind") == "halves":
        half = results.scores[~results.scores["split"].isin(set(scores["split"]))]
        m, f = int(design["n_partitions"]), int(design["inner_splits"])
        text += (
            f" Besides them, for the variance of Nadeau and Bengio's conservative Z: {m} random "
            f"half/half partitions of the rows with a {f}-fold CV inside each half "
            f"({2 * m * f} more splits per model"
        )
        if len(half):
            text += f"; {rng(half['n_train'])} training and {rng(half['n_test'])} test rows each"
        text += "). Every table and figure reads the main splits; the halves feed the tests."
    if isinstance(design, dict) and (design.get("n_seeds") or 1) > 1:
        how = (
            "seed k the same on every split (crossed)"
            if design.get("seed_design") == "crossed"
            else "each split its own seeds (nested)"
        )
        text += (
            f" Every split was fitted {int(design['n_seeds'])} times with different seeds "
            f"({how}); the tests average each split over its seeds."
        )
    return text


def stalled_sentence(comparison, models):
    """One sentence naming the trials of ``models`` whose training never moved (or "")."""
    stalled, metric = comparison.stalled, comparison.metric
    n_total = main_scores(comparison.results).groupby("model")["split"].nunique()
    parts = []
    for m in models:
        rows = stalled[stalled["model"] == m]
        if len(rows):
            parts.append(
                f"{len(rows)} of the {int(n_total.get(m, 0))} {md(m)} trials never trained "
                f"(training loss flat at its first-epoch value; test {md(metric)} "
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
    n_total = main_scores(comparison.results).groupby("model")["split"].nunique()
    for model, rows in stalled.groupby("model", sort=False):
        scores_txt = ", ".join(f"{v:.3f}" for v in rows[metric])
        notes.append(
            f"{md(model)}: {len(rows)} of {int(n_total.get(model, 0))} trials did not train "
            "(final training loss within 1% of the first epoch's, e.g. "
            f"{rows['last_loss'].iloc[0]:.4f}); "
            f"splits {', '.join(map(str, rows['split']))}, test {md(metric)} {scores_txt}. "
            "They are kept in every table: they are outcomes of this training recipe."
        )
    return notes
