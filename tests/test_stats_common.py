"""Tests of what every test of clfcompare.stats shares: input checks, rounding, scale, results.

The conventions of the package notes (differences within rounding count as zero, float32
scores are rounded at float32 precision, statistics do not depend on the unit of the
scores), the validation of scores and sample sizes (clfcompare/stats/_common.py), and the
frozen result objects (clfcompare/stats/_results.py).
"""

import dataclasses
import math

import numpy as np
import pytest
from _stats_data import (
    cv_scores,
    make_predictions,
    score_table,
)
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import (
    BayesianResult,
    FriedmanResult,
    TestResult,
    bayesian_correlated_ttest,
    combined_ftest_5x2cv,
    corrected_ttest,
    friedman_nemenyi,
    mcnemar,
    paired_ttest,
    paired_ttest_5x2cv,
    wilcoxon_test,
)


# --------------------------------------------------------------------------------------------
# rounding, float32 and scale
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_scores_round_like_float64(dtype):
    # accuracies stored as float32 (a torch metric, a float32 DataFrame column): 0.9 - 0.8 and
    # 0.8 - 0.7 differ by ~6e-8 in float32, far above float64's rounding tolerance; they were
    # ranked apart by wilcoxon_test (p 0.1719 instead of 0.1875) and a constant difference got a
    # finite t (7.5e6) instead of the module's inf
    b = np.array([0.8, 0.7, 0.9, 0.6, 0.5, 0.4, 0.55])
    d = np.array([1, 2, -3, 1, 2, 3, 4]) / 10
    a = b + d
    assert len(np.unique(np.abs(a.astype(np.float32) - b.astype(np.float32)))) > 4
    res = wilcoxon_test(a.astype(dtype), b.astype(dtype))
    ref = sps.wilcoxon(d)  # bitwise-tied magnitudes, n = 7: scipy's exact permutation path
    assert_allclose([res.statistic, res.pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    const_a = np.array([0.9, 0.8, 0.7, 0.95, 0.85, 0.6], dtype=dtype)
    const_b = np.array([0.8, 0.7, 0.6, 0.85, 0.75, 0.5], dtype=dtype)
    t = corrected_ttest(const_a, const_b, 90, 10)
    assert (t.statistic, t.pvalue) == (math.inf, 0.0)
    assert bayesian_correlated_ttest(const_a, const_b, 90, 10).scale == 0.0
    f5 = combined_ftest_5x2cv(const_a[:5, None].repeat(2, 1), const_b[:5, None].repeat(2, 1))
    assert f5.statistic == math.inf


@pytest.mark.parametrize("scale", [2.0**-1000, 2.0**-600, 2.0**540])
def test_tests_are_scale_invariant_for_tiny_and_huge_scores(scale):
    # t, F and the posterior probabilities do not depend on the unit of the scores; a power of
    # two rescales exactly. Squares of tiny differences underflowed (var = 0: t = inf, p = 0)
    # and of huge ones overflowed (var = inf: t = 0, p = 1)
    a, b = cv_scores(3, n_splits=10, shift=0.01)
    ref_t = corrected_ttest(a, b, 90, 10, alternative="greater")
    res_t = corrected_ttest(a * scale, b * scale, 90, 10, alternative="greater")
    assert_allclose([res_t.statistic, res_t.pvalue], [ref_t.statistic, ref_t.pvalue], rtol=1e-12)
    assert_allclose(
        [res_t.mean_difference, res_t.std_error, res_t.ci_low],
        [scale * ref_t.mean_difference, scale * ref_t.std_error, scale * ref_t.ci_low],
        rtol=1e-12,
    )
    ref_p, res_p = paired_ttest(a, b), paired_ttest(a * scale, b * scale)
    assert_allclose(res_p.statistic, ref_p.statistic, rtol=1e-12)
    ref_b = bayesian_correlated_ttest(a, b, 90, 10, rope=0.005)
    res_b = bayesian_correlated_ttest(a * scale, b * scale, 90, 10, rope=0.005 * scale)
    assert_allclose(
        [res_b.prob_worse, res_b.prob_equivalent, res_b.prob_better, res_b.scale / scale],
        [ref_b.prob_worse, ref_b.prob_equivalent, ref_b.prob_better, ref_b.scale],
        rtol=1e-12,
    )
    a5, b5 = a.reshape(5, 2), b.reshape(5, 2)
    for func in (paired_ttest_5x2cv, combined_ftest_5x2cv):
        ref, res = func(a5, b5), func(a5 * scale, b5 * scale)
        assert_allclose([res.statistic, res.pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    ref_w, res_w = wilcoxon_test(a, b), wilcoxon_test(a * scale, b * scale)
    assert (res_w.statistic, res_w.pvalue) == (ref_w.statistic, ref_w.pvalue)


# --------------------------------------------------------------------------------------------
# bad input to the score-based tests
# --------------------------------------------------------------------------------------------
_TWO_SAMPLE_TESTS = {
    "corrected_ttest": lambda a, b: corrected_ttest(a, b, 80, 20),
    "paired_ttest": paired_ttest,
    "wilcoxon_test": wilcoxon_test,
    "bayesian": lambda a, b: bayesian_correlated_ttest(a, b, 80, 20),
}


@pytest.mark.parametrize("name", list(_TWO_SAMPLE_TESTS))
@pytest.mark.parametrize(
    ("a", "b", "exc", "match"),
    [
        ([0.8, 0.7, 0.9], [0.8, 0.7], ValueError, r"same shape.*\(3,\) and \(2,\)"),
        ([0.8, np.nan, 0.9], [0.8, 0.7, 0.6], ValueError, "scores_a contains 1 non-finite"),
        ([0.8, 0.7, 0.9], [0.8, 0.7, np.inf], ValueError, "scores_b contains 1 non-finite"),
        ([0.8], [0.7], ValueError, "at least 2 paired scores"),
        ([], [], ValueError, "at least 2 paired scores"),
        ([[0.8, 0.7]], [[0.8, 0.7]], ValueError, "1-dimensional"),
        (["a", "b"], [0.1, 0.2], TypeError, "array of numbers"),
        ("0.8", [0.1], TypeError, "array of numbers"),
        (None, [0.1, 0.2], TypeError, "scores_a must be an array of numbers, got None"),
    ],
)
def test_bad_scores_raise_clear_errors(name, a, b, exc, match):
    with pytest.raises(exc, match=match):
        _TWO_SAMPLE_TESTS[name](a, b)


@pytest.mark.parametrize("func", [corrected_ttest, bayesian_correlated_ttest])
def test_none_sample_size_is_a_type_error(func):
    # None became NaN and was reported as "n_train contains 1 non-finite value(s) ... impute"
    a, b = cv_scores(0, n_splits=5)
    with pytest.raises(TypeError, match="n_train must be an array of numbers, got None"):
        func(a, b, None, 20)


@pytest.mark.parametrize("func", [corrected_ttest, bayesian_correlated_ttest])
@pytest.mark.parametrize("size", [True, np.True_, [True] * 5])
def test_bool_sample_size_is_a_type_error(func, size):
    # n_test=True became 1.0: a test set of one sample, silently
    a, b = cv_scores(0, n_splits=5)
    with pytest.raises(TypeError, match="n_test must be a number of samples, got bool"):
        func(a, b, 80, size)


# --------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------
def test_results_are_frozen_and_readable():
    a, b = cv_scores(0, n_splits=10)
    res = corrected_ttest(a, b, 90, 10)
    assert isinstance(res, TestResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.pvalue = 0.5
    assert "np.float64" not in repr(res) and repr(res).startswith("TestResult(test=")
    text = str(res)
    assert text.startswith("corrected_ttest: statistic=") and "95% CI [" in text
    assert f"{res.pvalue:.4g}" in text

    bayes = bayesian_correlated_ttest(a, b, 90, 10)
    assert isinstance(bayes, BayesianResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bayes.rope = 0.0
    assert_allclose(bayes.prob_worse + bayes.prob_equivalent + bayes.prob_better, 1.0)
    assert "P(A better)=" in str(bayes) and "np.float64" not in repr(bayes)

    fr = friedman_nemenyi(score_table(0))
    assert isinstance(fr, FriedmanResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fr.alpha = 0.1
    assert "average ranks: m0=" in str(fr) and repr(fr).startswith("FriedmanResult(statistic=")

    mc = mcnemar(*make_predictions(0))
    assert f"b={mc.b}, c={mc.c}" in str(mc)


# --------------------------------------------------------------------------------------------
# the package: every public name at clfcompare.stats, each module one design
# --------------------------------------------------------------------------------------------
_PUBLIC = {
    "two_models": [
        "corrected_ttest",
        "conservative_z",
        "paired_ttest",
        "paired_ttest_5x2cv",
        "combined_ftest_5x2cv",
        "run_5x2cv",
    ],
    "predictions": ["mcnemar"],
    "bayesian": ["bayesian_correlated_ttest", "bayesian_signed_rank", "SampledBayesianResult"],
    "across_datasets": [
        "wilcoxon_test",
        "friedman_nemenyi",
        "sign_test",
        "SignTestResult",
        "SIGN_TEST_TIES",
        "WILCOXON_EXACT_MAX_N",
    ],
    "posthoc": [
        "compare_datasets",
        "rank_z_test",
        "wilcoxon_holm",
        "cliques",
        "bonferroni_dunn_critical_difference",
        "COMPARE_DATASETS_COLUMNS",
        "COMPARE_DATASETS_TESTS",
    ],
    "effect_sizes": [
        "cohens_d",
        "cliffs_delta",
        "akinshin_gamma",
        "harrell_davis_quantile",
        "EffectSize",
        "MAD_CONSISTENCY",
    ],
    "hierarchical": ["bayesian_hierarchical"],
    "inputs": [
        "as_score_table",
        "from_cv_results",
        "published_table",
        "BLOCK_COLUMNS",
        "PUBLISHED_TABLES",
    ],
    "corrections": ["adjust_pvalues", "CORRECTIONS"],
    "several_models": ["compare", "verdict", "equivalence_threshold", "COMPARE_COLUMNS"],
    "simultaneous": ["simultaneous_comparisons", "SimultaneousResult", "SIMULTANEOUS_COLUMNS"],
    "equivalence": ["equivalence_test", "EquivalenceResult"],
    "planning": ["plan_repeats", "cv_power", "RepeatsPlan", "PLAN_COLUMNS"],
}


def test_package_reexports_every_public_name():
    import importlib

    import clfcompare
    import clfcompare.stats as cstats

    results = ["TestResult", "BayesianResult", "FriedmanResult"]
    assert sorted(cstats.__all__) == sorted(results + sum(_PUBLIC.values(), []))
    for module_name, names in _PUBLIC.items():
        module = importlib.import_module(f"clfcompare.stats.{module_name}")
        assert sorted(module.__all__) == sorted(names)
        for name in names:
            assert getattr(cstats, name) is getattr(module, name)
    # the function, not a submodule of the same name; and the lazy top-level name
    assert callable(cstats.compare) and clfcompare.compare is cstats.compare
    assert cstats.WILCOXON_EXACT_MAX_N == 50
