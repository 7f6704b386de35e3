"""Significance tests for comparing classifiers, grouped by experimental design.

Plain functions over per-split scores (or per-sample predictions), each returning a small
frozen result object. Differences are always ``scores_a - scores_b``; scores are assumed to be
"higher is better" (scikit-learn's scorer convention), so a positive difference means model A
did better. Every public name is importable from ``clfcompare.stats`` itself; the modules say
which design a test is for, as baycomp splits ``single.py`` and ``multiple.py``.

Where each design lives
-----------------------
:mod:`~clfcompare.stats.two_models`
    Two models on one data set, scored on the same resampling splits. Repeated k-fold
    cross-validation (the default of ``run_trials``): :func:`corrected_ttest` (Nadeau and
    Bengio), which inflates the variance for the overlap between training sets and holds its
    level for stable learners only; :func:`conservative_z` (Nadeau and Bengio's conservative
    Z, the default of :func:`compare` when the trials include half/half partitions of the data,
    ``clfcompare.trials.RepeatedKFoldWithHalves``), which holds it for unstable learners too
    (the calibration in the README measures both). Five
    repetitions of 2-fold CV: :func:`paired_ttest_5x2cv` (Dietterich) and
    :func:`combined_ftest_5x2cv` (Alpaydın), with :func:`run_5x2cv` to produce the scores.
    :func:`paired_ttest` treats the folds as independent, which they are not, and rejects a
    true null hypothesis too often on CV folds.
:mod:`~clfcompare.stats.equivalence`
    The same design, asking "practically the same?": :func:`equivalence_test` (TOST with the
    corrected or the conservative variance and a margin, the counterpart of the Bayesian ROPE).
:mod:`~clfcompare.stats.planning`
    How many repeats: :func:`plan_repeats` / :func:`cv_power` from a pilot study's scores.
:mod:`~clfcompare.stats.bayesian`
    The same design, answered with posterior probabilities (worse / practically equivalent /
    better): :func:`bayesian_correlated_ttest` (Benavoli et al.).
:mod:`~clfcompare.stats.predictions`
    Two models trained once, evaluated on one test set, per-sample predictions:
    :func:`mcnemar`.
:mod:`~clfcompare.stats.across_datasets`
    Tests whose rows must be independent, e.g. one score per data set (Demšar 2006):
    :func:`wilcoxon_test` and :func:`sign_test` for two models (like :func:`paired_ttest`
    anti-conservative on CV folds) and :func:`friedman_nemenyi` for more than two.
:mod:`~clfcompare.stats.posthoc`
    Several models across data sets: :func:`compare_datasets` (Friedman with Nemenyi, Holm or
    Bonferroni–Dunn against a control, Wilcoxon–Holm), :func:`cliques` from the test run.
:mod:`~clfcompare.stats.hierarchical`
    :func:`bayesian_hierarchical`: Benavoli et al.'s hierarchical model over data sets x folds
    (Gibbs sampling in numpy; no Stan). :func:`bayesian_signed_rank` is in ``bayesian``.
:mod:`~clfcompare.stats.effect_sizes`
    :func:`cohens_d`, :func:`cliffs_delta`, :func:`akinshin_gamma`, with intervals.
:mod:`~clfcompare.stats.inputs`
    Score tables made elsewhere (wide or long DataFrames, ``cv_results_``): :func:`as_score_table`.
:mod:`~clfcompare.stats.several_models`
    Several models on one data set: :func:`compare` tests every pair (or every model against
    a baseline) of a :class:`~clfcompare.trials.TrialResults`, adjusts the p-values and words
    a :func:`verdict` per pair (practically equivalent when ``P(rope) >= 1 - alpha``,
    :func:`equivalence_threshold`).
:mod:`~clfcompare.stats.simultaneous`
    Several models on one data set, simultaneously: :func:`simultaneous_comparisons` (max-|t|
    over all pairs or against a baseline on the corrected or conservative covariance, with
    simultaneous intervals). Rank tests over the splits of ONE data set are not offered here:
    the splits are not independent (Friedman + Nemenyi rejected 91-96 % under an exact null).
:mod:`~clfcompare.stats.corrections`
    Multiple-comparison adjustment of p-values: :func:`adjust_pvalues` (Holm, Bonferroni).

The result objects (:class:`TestResult`, :class:`BayesianResult`, :class:`FriedmanResult`) are
defined in the private ``_results`` module and the shared numerics in ``_common``.

Degenerate inputs
-----------------
Differences whose magnitude is within floating-point rounding of the scores
(``16 * eps * max|score|``, ``eps`` that of the scores' floating type: float32 scores are
rounded at float32 precision) are treated as exactly zero, so that, e.g., accuracies
``0.9 - 0.8`` and ``0.8 - 0.7`` count as the same difference (and :func:`wilcoxon_test` ranks
magnitudes within that tolerance of each other as ties). When the differences have zero
variance the t-type statistics are ``0`` (all differences zero: identical models, p-value 1 for a
two-sided test) or ``+/-inf`` (a constant nonzero difference, p-value 0 for a two-sided test);
they are never NaN.
"""

from clfcompare.stats._results import BayesianResult, FriedmanResult, TestResult
from clfcompare.stats.across_datasets import (
    SIGN_TEST_TIES,
    WILCOXON_EXACT_MAX_N,
    SignTestResult,
    friedman_nemenyi,
    sign_test,
    wilcoxon_test,
)
from clfcompare.stats.bayesian import (
    SampledBayesianResult,
    bayesian_correlated_ttest,
    bayesian_signed_rank,
)
from clfcompare.stats.corrections import CORRECTIONS, adjust_pvalues
from clfcompare.stats.effect_sizes import (
    MAD_CONSISTENCY,
    EffectSize,
    akinshin_gamma,
    cliffs_delta,
    cohens_d,
    harrell_davis_quantile,
)
from clfcompare.stats.equivalence import EquivalenceResult, equivalence_test
from clfcompare.stats.hierarchical import bayesian_hierarchical
from clfcompare.stats.inputs import (
    BLOCK_COLUMNS,
    PUBLISHED_TABLES,
    as_score_table,
    from_cv_results,
    published_table,
)
from clfcompare.stats.planning import PLAN_COLUMNS, RepeatsPlan, cv_power, plan_repeats
from clfcompare.stats.posthoc import (
    COMPARE_DATASETS_COLUMNS,
    COMPARE_DATASETS_TESTS,
    bonferroni_dunn_critical_difference,
    cliques,
    compare_datasets,
    rank_z_test,
    wilcoxon_holm,
)
from clfcompare.stats.predictions import mcnemar
from clfcompare.stats.several_models import (
    COMPARE_COLUMNS,
    compare,
    equivalence_threshold,
    verdict,
)
from clfcompare.stats.simultaneous import (
    SIMULTANEOUS_COLUMNS,
    SimultaneousResult,
    simultaneous_comparisons,
)
from clfcompare.stats.two_models import (
    combined_ftest_5x2cv,
    conservative_z,
    corrected_ttest,
    paired_ttest,
    paired_ttest_5x2cv,
    run_5x2cv,
)

__all__ = [
    "COMPARE_COLUMNS",
    "CORRECTIONS",
    "WILCOXON_EXACT_MAX_N",
    "BayesianResult",
    "FriedmanResult",
    "TestResult",
    "adjust_pvalues",
    "bayesian_correlated_ttest",
    "combined_ftest_5x2cv",
    "compare",
    "conservative_z",
    "corrected_ttest",
    "equivalence_threshold",
    "friedman_nemenyi",
    "mcnemar",
    "paired_ttest",
    "paired_ttest_5x2cv",
    "run_5x2cv",
    "verdict",
    "wilcoxon_test",
    # issue 11: simultaneous inference, equivalence, planning
    "EquivalenceResult",
    "PLAN_COLUMNS",
    "RepeatsPlan",
    "SIMULTANEOUS_COLUMNS",
    "SimultaneousResult",
    "cv_power",
    "equivalence_test",
    "plan_repeats",
    "simultaneous_comparisons",
    # issue 12: across data sets
    "BLOCK_COLUMNS",
    "MAD_CONSISTENCY",
    "PUBLISHED_TABLES",
    "SIGN_TEST_TIES",
    "bonferroni_dunn_critical_difference",
    "harrell_davis_quantile",
    "COMPARE_DATASETS_COLUMNS",
    "COMPARE_DATASETS_TESTS",
    "EffectSize",
    "SampledBayesianResult",
    "SignTestResult",
    "akinshin_gamma",
    "as_score_table",
    "bayesian_hierarchical",
    "bayesian_signed_rank",
    "cliffs_delta",
    "cliques",
    "cohens_d",
    "compare_datasets",
    "from_cv_results",
    "published_table",
    "rank_z_test",
    "sign_test",
    "wilcoxon_holm",
]
