"""Tests of clfcompare.stats.

Reference values come from independent implementations fed the same inputs: SciPy
(ttest_rel, wilcoxon, friedmanchisquare), statsmodels (mcnemar, multipletests), mlxtend
(paired_ttest_5x2cv, combined_ftest_5x2cv, mcnemar, mcnemar_table), baycomp (two_on_single,
CorrelatedTTest), the corrected t-test of scikit-learn's example "Statistical comparison of
models using grid search" (re-derived below), Demšar (2006, Table 5) and closed forms.
"""

import dataclasses
import itertools
import math
from types import SimpleNamespace

import baycomp
import numpy as np
import pandas as pd
import pytest
from mlxtend.evaluate import combined_ftest_5x2cv as mlx_combined_ftest_5x2cv
from mlxtend.evaluate import mcnemar as mlx_mcnemar
from mlxtend.evaluate import mcnemar_table as mlx_mcnemar_table
from mlxtend.evaluate import paired_ttest_5x2cv as mlx_paired_ttest_5x2cv
from numpy.testing import assert_allclose
from scipy import stats as sps
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

import clfcompare.stats as cstats
from clfcompare.stats import (
    BayesianResult,
    FriedmanResult,
    TestResult,
    bayesian_correlated_ttest,
    combined_ftest_5x2cv,
    compare,
    corrected_ttest,
    friedman_nemenyi,
    mcnemar,
    paired_ttest,
    paired_ttest_5x2cv,
    run_5x2cv,
    wilcoxon_test,
)

RTOL = 1e-10  # same formula, same inputs: agreement to rounding


def _cv_scores(seed, n_splits=50, shift=0.01, noise=0.02):
    """Correlated-looking paired accuracies for two models on ``n_splits`` splits."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.8, 0.03, n_splits)
    a = common + shift + rng.normal(0, noise, n_splits)
    b = common + rng.normal(0, noise, n_splits)
    return a, b


# --------------------------------------------------------------------------------------------
# corrected t-test: the formula of scikit-learn's example, re-derived
# --------------------------------------------------------------------------------------------
def _sklearn_example_corrected_ttest(differences, n_train, n_test):
    """scikit-learn example plot_grid_search_stats.py (current version).

    corrected_std: var(differences, ddof=1) * (1/kr + n_test/n_train), kr = len(differences);
    t = mean / corrected_std, df = n - 1. The example once reported the one-sided
    ``t.sf(|t|, df)`` (and used 1/(n_train + n_test) instead of 1/kr); the current one doubles
    it: p = 2 * t.sf(|t|, df).
    """
    kr = len(differences)
    corrected_std = np.sqrt(np.var(differences, ddof=1) * (1 / kr + n_test / n_train))
    t_stat = np.mean(differences) / corrected_std
    df = kr - 1
    return t_stat, 2 * sps.t.sf(np.abs(t_stat), df), corrected_std


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("n_train", "n_test"), [(90, 10), (160, 40), (50, 50)])
def test_corrected_ttest_matches_sklearn_example(seed, n_train, n_test):
    a, b = _cv_scores(seed)
    t_ref, p_ref, std_ref = _sklearn_example_corrected_ttest(a - b, n_train, n_test)
    res = corrected_ttest(a, b, n_train, n_test)
    assert_allclose(res.statistic, t_ref, rtol=RTOL)
    assert_allclose(res.pvalue, p_ref, rtol=RTOL)
    assert_allclose(res.std_error, std_ref, rtol=RTOL)
    assert res.df == len(a) - 1
    # the example's old one-sided p-value is half of ours (the known trap)
    assert_allclose(res.pvalue, 2 * sps.t.sf(abs(t_ref), len(a) - 1), rtol=RTOL)


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_corrected_ttest_one_sided(alternative):
    a, b = _cv_scores(3, shift=0.005)
    t_ref, _, _ = _sklearn_example_corrected_ttest(a - b, 90, 10)
    res = corrected_ttest(a, b, 90, 10, alternative=alternative)
    # scipy.stats.t: right tail for "greater", left tail for "less"
    expected = sps.t.sf(t_ref, 49) if alternative == "greater" else sps.t.cdf(t_ref, 49)
    assert_allclose(res.pvalue, expected, rtol=RTOL)
    assert res.alternative == alternative
    if alternative == "greater":
        assert res.ci_high == math.inf and np.isfinite(res.ci_low)
    else:
        assert res.ci_low == -math.inf and np.isfinite(res.ci_high)


@pytest.mark.parametrize("confidence_level", [0.9, 0.95, 0.99])
def test_corrected_ttest_ci_inverts_the_test(confidence_level):
    # closed form: shifting A by a CI bound gives p = 1 - confidence_level exactly
    a, b = _cv_scores(4)
    res = corrected_ttest(a, b, 90, 10, confidence_level=confidence_level)
    assert res.ci_low < res.mean_difference < res.ci_high
    for bound in (res.ci_low, res.ci_high):
        shifted = corrected_ttest(a - bound, b, 90, 10)
        assert_allclose(shifted.pvalue, 1 - confidence_level, rtol=1e-8)


def test_corrected_ttest_per_split_sizes_use_means():
    a, b = _cv_scores(5, n_splits=10)
    n_train = np.array([89, 90, 90, 91, 90, 90, 89, 91, 90, 90])
    n_test = np.array([11, 10, 10, 9, 10, 10, 11, 9, 10, 10])
    per_split = corrected_ttest(a, b, n_train, n_test)
    scalar = corrected_ttest(a, b, n_train.mean(), n_test.mean())
    assert per_split == scalar
    # and the correction makes the test more conservative than the plain paired t-test
    assert abs(per_split.statistic) < abs(paired_ttest(a, b).statistic)


# --------------------------------------------------------------------------------------------
# plain paired t-test vs scipy.stats.ttest_rel
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("seed", [0, 1])
def test_paired_ttest_matches_scipy_ttest_rel(alternative, seed):
    a, b = _cv_scores(seed, n_splits=12, shift=0.004)
    ref = sps.ttest_rel(a, b, alternative=alternative)
    ci = ref.confidence_interval(0.95)
    res = paired_ttest(a, b, alternative=alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=RTOL)
    assert_allclose(res.pvalue, ref.pvalue, rtol=RTOL)
    assert res.df == ref.df
    assert_allclose([res.ci_low, res.ci_high], [ci.low, ci.high], rtol=RTOL)


# --------------------------------------------------------------------------------------------
# 5x2cv tests vs mlxtend, on mlxtend's own splits
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def classification_data():
    return make_classification(
        n_samples=200, n_features=6, n_informative=3, flip_y=0.1, random_state=0
    )


def _mlxtend_5x2_scores(est1, est2, X, y, random_seed):
    """Scores on the splits mlxtend 0.25 uses (read with inspect.getsource):
    rng = np.random.RandomState(random_seed); per replication
    train_test_split(X, y, test_size=0.5, random_state=rng.randint(low=0, high=32767)),
    first fit on X_1 / score on X_2, then fit on X_2 / score on X_1; accuracy scorer.
    """
    rng = np.random.RandomState(random_seed)
    scorer = get_scorer("accuracy")
    sa, sb = np.empty((5, 2)), np.empty((5, 2))
    for i in range(5):
        randint = rng.randint(low=0, high=32767)
        X_1, X_2, y_1, y_2 = train_test_split(X, y, test_size=0.5, random_state=randint)
        for j, (Xtr, ytr, Xte, yte) in enumerate([(X_1, y_1, X_2, y_2), (X_2, y_2, X_1, y_1)]):
            sa[i, j] = scorer(clone(est1).fit(Xtr, ytr), Xte, yte)
            sb[i, j] = scorer(clone(est2).fit(Xtr, ytr), Xte, yte)
    return sa, sb


_MODEL_PAIRS = [
    (LogisticRegression(), GaussianNB()),
    (DecisionTreeClassifier(max_depth=3, random_state=0), GaussianNB()),
]


@pytest.mark.parametrize("seed", [0, 123])
@pytest.mark.parametrize("pair", range(len(_MODEL_PAIRS)))
def test_5x2cv_tests_match_mlxtend(classification_data, seed, pair):
    X, y = classification_data
    est1, est2 = _MODEL_PAIRS[pair]
    sa, sb = _mlxtend_5x2_scores(est1, est2, X, y, seed)
    t_ref, p_ref = mlx_paired_ttest_5x2cv(clone(est1), clone(est2), X, y, random_seed=seed)
    f_ref, pf_ref = mlx_combined_ftest_5x2cv(clone(est1), clone(est2), X, y, random_seed=seed)

    t_res = paired_ttest_5x2cv(sa, sb)
    f_res = combined_ftest_5x2cv(sa, sb)
    assert_allclose(t_res.statistic, t_ref, rtol=RTOL)
    assert_allclose(t_res.pvalue, p_ref, rtol=RTOL)
    assert t_res.df == 5
    assert_allclose(f_res.statistic, f_ref, rtol=RTOL)
    assert_allclose(f_res.pvalue, pf_ref, rtol=RTOL)
    assert (f_res.df, f_res.df_denominator) == (10, 5)


def test_5x2cv_closed_form():
    # Dietterich (1998) / Alpaydın (1999) formulas written out by hand
    a = np.array([[0.90, 0.88], [0.91, 0.87], [0.89, 0.90], [0.92, 0.88], [0.90, 0.89]])
    b = np.array([[0.86, 0.86], [0.88, 0.85], [0.87, 0.86], [0.87, 0.87], [0.88, 0.85]])
    p = a - b
    s2 = ((p - p.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    t = p[0, 0] / np.sqrt(s2.mean())
    f = (p**2).sum() / (2 * s2.sum())
    res_t, res_f = paired_ttest_5x2cv(a, b), combined_ftest_5x2cv(a, b)
    assert_allclose(res_t.statistic, t, rtol=1e-12)
    assert_allclose(res_t.pvalue, 2 * sps.t.sf(abs(t), 5), rtol=1e-12)
    assert_allclose(res_f.statistic, f, rtol=1e-12)
    assert_allclose(res_f.pvalue, sps.f.sf(f, 10, 5), rtol=1e-12)
    assert_allclose(res_t.mean_difference, p.mean(), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# run_5x2cv
# --------------------------------------------------------------------------------------------
def test_run_5x2cv_splits_scores_and_cloning(classification_data):
    X, y = classification_data
    model_a, model_b = LogisticRegression(), GaussianNB()
    sa, sb = run_5x2cv(model_a, model_b, X, y, random_state=7)
    assert sa.shape == sb.shape == (5, 2)
    assert not hasattr(model_a, "coef_") and not hasattr(model_b, "theta_")  # cloned
    # recomputed by hand on RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=7)
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=7)
    splits = list(cv.split(X, y))
    expected_a = [LogisticRegression().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in splits]
    expected_b = [GaussianNB().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in splits]
    assert_allclose(sa.ravel(), expected_a, rtol=1e-12)
    assert_allclose(sb.ravel(), expected_b, rtol=1e-12)


def test_run_5x2cv_reproducible_and_seed_dependent(classification_data):
    X, y = classification_data
    models = (DecisionTreeClassifier(max_depth=2, random_state=0), GaussianNB())
    first = run_5x2cv(*models, X, y, random_state=3)
    again = run_5x2cv(*models, X, y, random_state=3)
    other = run_5x2cv(*models, X, y, random_state=4)
    assert_allclose(first[0], again[0], rtol=0)
    assert_allclose(first[1], again[1], rtol=0)
    assert not np.array_equal(first[1], other[1])


def test_run_5x2cv_dataframe_and_callable_scorer(classification_data):
    X, y = classification_data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])

    def error_rate_negated(est, X_, y_):
        return -np.mean(est.predict(X_) != y_)

    sa, sb = run_5x2cv(
        GaussianNB(), GaussianNB(), frame, y, scoring=error_rate_negated, random_state=0
    )
    acc, _ = run_5x2cv(GaussianNB(), GaussianNB(), X, y, random_state=0)
    assert_allclose(sa, acc - 1, atol=1e-12)  # -error = accuracy - 1
    assert_allclose(sa, sb, rtol=0)


@pytest.mark.parametrize(
    ("models", "match"),
    [
        # was sklearn's InvalidParameterError about "the 'estimator' parameter of check_scoring"
        (("a", GaussianNB()), "model_a must be an sklearn estimator"),
        ((GaussianNB(), None), "model_b must be an sklearn estimator"),
        ((GaussianNB, GaussianNB()), r"model_a is the class GaussianNB.*GaussianNB\(\)"),
    ],
)
def test_run_5x2cv_rejects_non_estimators(classification_data, models, match):
    X, y = classification_data
    with pytest.raises(TypeError, match=match):
        run_5x2cv(*models, X, y, random_state=0)


def test_run_5x2cv_length_mismatch(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        run_5x2cv(GaussianNB(), GaussianNB(), X, y[:-1], random_state=0)


@pytest.mark.parametrize("scoring", [["accuracy", "f1_macro"], {"acc": "accuracy"}])
def test_run_5x2cv_needs_one_metric(classification_data, scoring):
    # sklearn's check_scoring accepts several metrics; the dict of scores then failed after
    # fitting with "float() argument must be ... not 'dict'"
    X, y = classification_data
    with pytest.raises(TypeError, match="scoring must be one scoring name"):
        run_5x2cv(GaussianNB(), GaussianNB(), X, y, scoring=scoring, random_state=0)


@pytest.mark.parametrize("stratify", ["no", None, 0])
def test_run_5x2cv_stratify_must_be_bool(classification_data, stratify):
    # stratify="no" is truthy: it silently stratified; None silently did not
    X, y = classification_data
    with pytest.raises(TypeError, match="stratify must be True or False"):
        run_5x2cv(GaussianNB(), GaussianNB(), X, y, random_state=0, stratify=stratify)


# --------------------------------------------------------------------------------------------
# McNemar vs mlxtend and statsmodels
# --------------------------------------------------------------------------------------------
def _predictions(seed, n=300, acc_a=0.8, acc_b=0.72):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    wrong = lambda acc: rng.random(n) > acc  # noqa: E731
    pred_a = np.where(wrong(acc_a), (y + 1) % 3, y)
    pred_b = np.where(wrong(acc_b), (y + 2) % 3, y)
    return y, pred_a, pred_b


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mcnemar_matches_mlxtend_and_statsmodels(seed):
    y, pa, pb = _predictions(seed)
    table = mlx_mcnemar_table(y, pa, pb)
    exact = mcnemar(y, pa, pb)  # exact=True default, like statsmodels
    chi2 = mcnemar(y, pa, pb, exact=False)  # corrected chi2, mlxtend's default
    chi2_raw = mcnemar(y, pa, pb, exact=False, correction=False)
    assert (exact.b, exact.c) == (table[0, 1], table[1, 0])
    assert exact.b != exact.c  # the correction clamp below plays no role here

    sm_exact = sm_mcnemar(table)  # statsmodels default: exact=True
    assert_allclose(exact.pvalue, sm_exact.pvalue, rtol=RTOL)
    assert exact.statistic == sm_exact.statistic  # min(b, c)
    _, mlx_p_exact = mlx_mcnemar(table, exact=True)
    assert_allclose(exact.pvalue, mlx_p_exact, rtol=RTOL)

    mlx_chi2, mlx_p = mlx_mcnemar(table)  # mlxtend default: chi2 with correction
    assert_allclose([chi2.statistic, chi2.pvalue], [mlx_chi2, mlx_p], rtol=RTOL)
    sm_chi2 = sm_mcnemar(table, exact=False, correction=True)
    assert_allclose([chi2.statistic, chi2.pvalue], [sm_chi2.statistic, sm_chi2.pvalue], rtol=RTOL)
    mlx_chi2_raw, mlx_p_raw = mlx_mcnemar(table, corrected=False)
    assert_allclose([chi2_raw.statistic, chi2_raw.pvalue], [mlx_chi2_raw, mlx_p_raw], rtol=RTOL)
    assert chi2.df == 1

    # accuracy difference = (b - c) / n
    assert_allclose(exact.mean_difference, np.mean(pa == y) - np.mean(pb == y), rtol=1e-12)


def test_mcnemar_closed_form_and_defaults_differ():
    # b = 6, c = 0: exact two-sided p = 2 * 0.5**6; chi2 (corrected) = (6 - 1)^2 / 6
    y = np.zeros(20, dtype=int)
    pa = np.zeros(20, dtype=int)
    pb = np.r_[np.ones(6, dtype=int), np.zeros(14, dtype=int)]
    exact = mcnemar(y, pa, pb)
    chi2 = mcnemar(y, pa, pb, exact=False)
    assert (exact.b, exact.c) == (6, 0)
    assert_allclose(exact.pvalue, 2 * 0.5**6, rtol=1e-12)
    assert_allclose(chi2.statistic, 25 / 6, rtol=1e-12)
    assert_allclose(chi2.pvalue, sps.chi2.sf(25 / 6, 1), rtol=1e-12)
    assert exact.pvalue != pytest.approx(chi2.pvalue, rel=0.05)  # the trap: defaults differ
    # Wald CI of accuracy_a - accuracy_b = 6/20: (b-c)/n +- z sqrt(b+c-(b-c)^2/n)/n
    half = sps.norm.ppf(0.975) * math.sqrt(6 - 36 / 20) / 20
    assert_allclose([exact.ci_low, exact.ci_high], [0.3 - half, 0.3 + half], rtol=1e-12)


def test_mcnemar_wald_interval_is_not_the_test_inversion():
    # the documented example: b = 5, c = 0, n = 20; exact p = 2 * 0.5**5 (closed form), while
    # the Wald interval 0.25 +- 1.96 * sqrt(5 - 25/20) / 20 excludes 0
    y, pa = np.zeros(20, dtype=int), np.zeros(20, dtype=int)
    pb = np.r_[np.ones(5, dtype=int), np.zeros(15, dtype=int)]
    res = mcnemar(y, pa, pb)
    assert_allclose(res.pvalue, 2 * 0.5**5, rtol=1e-12)
    half = sps.norm.ppf(0.975) * math.sqrt(5 - 25 / 20) / 20
    assert_allclose([res.ci_low, res.ci_high], [0.25 - half, 0.25 + half], rtol=1e-12)
    assert res.pvalue > 0.05 and res.ci_low > 0
    assert_allclose([res.ci_low, res.ci_high], [0.060, 0.440], atol=5e-4)  # as the docs say


def test_mcnemar_ties_and_no_discordant_pairs():
    y = np.array(["x", "y", "x", "y", "x", "y"])
    pa = np.array(["x", "x", "x", "y", "x", "y"])  # wrong on sample 1
    pb = np.array(["x", "y", "y", "y", "x", "y"])  # wrong on sample 2
    for exact in (True, False):
        res = mcnemar(y, pa, pb, exact=exact)
        assert (res.b, res.c) == (1, 1)
        assert res.pvalue == 1.0
    # b == c: statsmodels/mlxtend report chi2 = (|b-c|-1)^2/(b+c) = 1/2; we clamp to 0 (p = 1)
    assert mcnemar(y, pa, pb, exact=False).statistic == 0.0
    assert_allclose(sm_mcnemar([[4, 1], [1, 0]], exact=False).statistic, 0.5)
    same = mcnemar(y, pa, pa, exact=False)
    assert (same.b, same.c, same.statistic, same.pvalue) == (0, 0, 0.0, 1.0)
    assert mcnemar(y, pa, pa).pvalue == 1.0


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (([0, 1, 1], [0, 1], [0, 1, 1]), ValueError, "same length"),
        (([], [], []), ValueError, "at least one sample"),
        (([[0, 1]], [[0, 1]], [[0, 1]]), ValueError, "1-dimensional"),
        (([0.0, 1.0], [np.nan, 1.0], [0.0, 1.0]), ValueError, "NaN"),
        (([[0, 1], [1]], [0, 1], [0, 1]), ValueError, "y_true must be a 1-D array of labels"),
    ],
)
def test_mcnemar_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        mcnemar(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((["a", "b", "a"], [0, 1, 0], [0, 1, 1]), "y_true has string labels, pred_a has numeric"),
        (([0, 1, 1], [0, 1, 1], ["0", "1", "0"]), "y_true has numeric labels, pred_b has string"),
        (([None, 1, 0], [1, 1, 0], [0, 1, 0]), "y_true contains None"),
        (([0, 1, 0], ["a", 1, 0], [0, 1, 0]), "pred_a has string"),  # numpy: ["a", "1", "0"]
        (
            ([0, 1, 0], np.array(["a", 1, 0], dtype=object), [0, 1, 0]),
            "pred_a mixes numeric and string labels",
        ),
    ],
)
def test_mcnemar_label_types_must_match(args, match):
    # a string label never equals a numeric one: every prediction counted as wrong for both
    # models, b = c = 0, p = 1, silently (sklearn's accuracy_score raises "Mix of label input
    # types (string and number)")
    with pytest.raises(ValueError, match=match):
        mcnemar(*args)


def test_mcnemar_numeric_label_types_may_differ():
    # bool/int/float labels compare by value, as in sklearn's accuracy_score
    y = [0, 1, 1, 0]
    res = mcnemar(y, [0.0, 1.0, 0.0, 0.0], [True, True, True, True])
    assert (res.b, res.c) == (2, 1)  # A alone right on samples 0 and 3, B alone on 2


@pytest.mark.parametrize("kwargs", [{"exact": "False"}, {"exact": None}, {"correction": 0}])
def test_mcnemar_flags_must_be_bool(kwargs):
    # exact="False" is truthy: it silently ran the exact test
    with pytest.raises(TypeError, match="must be True or False"):
        mcnemar([0, 1, 1], [0, 1, 0], [0, 0, 1], **kwargs)


# --------------------------------------------------------------------------------------------
# Wilcoxon vs scipy, closed forms and enumeration
# --------------------------------------------------------------------------------------------
_ALTS = ["two-sided", "greater", "less"]


def _wilcoxon_differences(n, kind, seed):
    """Paired differences of one of three kinds, exactly representable (multiples of 1/8).

    "distinct": no ties, no zeros; "ties": tied magnitudes, no zeros; "zeros": tied magnitudes
    and at least one zero (and at least one nonzero) difference.
    """
    rng = np.random.default_rng([seed, n, len(kind)])
    if kind == "distinct":
        d = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1, 1], n)
    elif kind == "ties":
        d = rng.choice([-3, -2, -1, 1, 2, 3], n)
    else:
        d = rng.integers(-3, 4, n)
        d[0], d[-1] = 0, 2  # (n = 1 keeps the nonzero one)
    return d / 8.0


def _grouped_binomial_pvalues(d):
    """Closed-form exact null with ties (Lehmann 1975, ch. 3), independent of the module's DP.

    Given the magnitudes, the nonzero differences fall into groups g of m_g equal |d| with
    midrank r_g (scipy.stats.rankdata), and T+ = sum_g r_g K_g with independent
    K_g ~ Binomial(m_g, 1/2) (how many of the group are positive). Enumerates every (K_g) and
    returns (two-sided, greater, less) with SciPy's definitions.
    """
    nz = d[d != 0]
    ranks = sps.rankdata(np.abs(nz))
    t_obs = ranks[nz > 0].sum()
    _, first, sizes = np.unique(np.abs(nz), return_index=True, return_counts=True)
    if np.prod(sizes + 1.0) > 1e6:
        raise ValueError("too many tie groups to enumerate; use few distinct magnitudes")
    midranks = ranks[first]
    grids = np.meshgrid(*[np.arange(m + 1) for m in sizes], indexing="ij")
    t_null = sum(r * k for r, k in zip(midranks, grids, strict=True))
    prob = np.prod([sps.binom.pmf(k, m, 0.5) for k, m in zip(grids, sizes, strict=True)], axis=0)
    greater = prob[t_null >= t_obs].sum()
    less = prob[t_null <= t_obs].sum()
    return {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater, "less": less}


def _ours_on_differences(d, alternative):
    res = wilcoxon_test(d, np.zeros_like(d), alternative=alternative)
    assert res.n == d.size
    return res


_SMALL_CASES = [
    (n, kind, alt) for n in range(2, 11) for kind in ("distinct", "ties", "zeros") for alt in _ALTS
] + [(13, "zeros", "two-sided")]  # largest n of scipy's permutation path (~1 s per call)


@pytest.mark.parametrize(("n", "kind", "alternative"), _SMALL_CASES)
def test_wilcoxon_small_n_matches_scipy_exact_and_permutation(n, kind, alternative):
    # scipy's default (method="auto"): exact distribution without ties/zeros, otherwise for
    # n <= 13 a permutation test over all 2^n sign flips; both exact.
    d = _wilcoxon_differences(n, kind, seed=0)
    ref = sps.wilcoxon(d, zero_method="wilcox", alternative=alternative)
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("n", [*range(11, 21), 30, 49, 50])
def test_wilcoxon_larger_n_distinct_matches_scipy_exact(n, alternative):
    d = _wilcoxon_differences(n, "distinct", seed=1)
    ref = sps.wilcoxon(d, alternative=alternative, method="exact")
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["ties", "zeros"])
@pytest.mark.parametrize("n", [*range(2, 21), 30, 49, 50])
def test_wilcoxon_ties_match_grouped_binomial_closed_form(n, kind, alternative):
    # scipy has no exact reference here for n > 13 (its permutation path needs 2^n resamples;
    # its default uses the normal approximation for 14 <= n <= 50 with ties or zeros).
    d = _wilcoxon_differences(n, kind, seed=2)
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.pvalue, _grouped_binomial_pvalues(d)[alternative], rtol=1e-12)
    # statistic: scipy's, which does not depend on the method
    ref = sps.wilcoxon(d, alternative=alternative, method="asymptotic")
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["distinct", "ties", "zeros"])
@pytest.mark.parametrize("n", [51, 60, 200])
def test_wilcoxon_large_n_matches_scipy_normal_approximation(n, kind, alternative):
    # above WILCOXON_EXACT_MAX_N (counting zeros, as scipy's method="auto"): scipy's normal
    # approximation with tie correction and its default correction=False
    d = _wilcoxon_differences(n, kind, seed=3)
    ref = sps.wilcoxon(d, alternative=alternative, method="asymptotic")
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    assert_allclose(res.pvalue, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["distinct", "ties", "zeros"])
@pytest.mark.parametrize("correction", [False, True])
def test_wilcoxon_normal_helper_matches_scipy(kind, alternative, correction):
    d = _wilcoxon_differences(40, kind, seed=4)
    ranks2, positive, tie_sizes = cstats._signed_rank_ranks(d, tol=0.0)
    r_plus = ranks2[positive].sum() / 2
    p = cstats._signed_rank_normal_pvalue(
        r_plus, ranks2.size, tie_sizes, alternative, correction=correction
    )
    ref = sps.wilcoxon(d, alternative=alternative, correction=correction, method="asymptotic")
    assert_allclose(p, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("d", [[0.5], [-0.5]])
def test_wilcoxon_exact_helper_one_difference(d, alternative):
    # n = 1 (the public function needs 2 pairs): null T+ in {0, 1} with probability 1/2 each
    d = np.array(d)
    ranks2, positive, _ = cstats._signed_rank_ranks(d, tol=0.0)
    p = cstats._signed_rank_exact_pvalue(int(ranks2[positive].sum()), ranks2, alternative)
    assert_allclose(p, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)


@pytest.mark.parametrize(
    ("d", "t_plus"),
    [
        ([1.0, -2.0, 3.0], 4.0),  # distinct: ranks 1, 2, 3
        ([1.0, 1.0, -1.0], 4.0),  # one tie group: midranks 2, 2, 2
        ([0.0, 2.0, -1.0, 2.0], 5.0),  # zero dropped; ranks 1 | 2.5, 2.5
    ],
)
@pytest.mark.parametrize("alternative", _ALTS)
def test_wilcoxon_exact_by_hand_enumeration(d, t_plus, alternative):
    # closed form: list all 2^n sign patterns of the nonzero differences by hand
    d = np.array(d)
    nz = d[d != 0]
    ranks = sps.rankdata(np.abs(nz))
    null = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s > 0)
        for signs in itertools.product([-1, 1], repeat=nz.size)
    ]
    greater = sum(t >= t_plus for t in null) / len(null)
    less = sum(t <= t_plus for t in null) / len(null)
    expected = {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater, "less": less}
    res = wilcoxon_test(d, np.zeros_like(d), alternative=alternative)
    assert_allclose(res.pvalue, expected[alternative], rtol=1e-12)
    assert_allclose(ranks[nz > 0].sum(), t_plus, rtol=0)


def test_wilcoxon_three_distinct_by_hand():
    # d = (1, -2, 3): T+ = 1 + 3 = 4; over the 8 sign patterns T+ takes the values
    # 0, 1, 2, 3, 3, 4, 5, 6, so P(T+ >= 4) = 3/8, P(T+ <= 4) = 6/8, two-sided 2 * 3/8.
    d = np.array([1.0, -2.0, 3.0])
    p = {alt: wilcoxon_test(d, np.zeros(3), alternative=alt).pvalue for alt in _ALTS}
    assert_allclose([p["greater"], p["less"], p["two-sided"]], [3 / 8, 6 / 8, 6 / 8], rtol=1e-15)


def test_wilcoxon_null_counts():
    # generating function prod_i (1 + z^(2 r_i)) for ranks 1, 2, 3 (doubled: 2, 4, 6):
    # 1 + z^2 + z^4 + 2 z^6 + z^8 + z^10 + z^12
    counts = cstats._signed_rank_null_counts([2, 4, 6])
    assert counts.tolist() == [1, 0, 1, 0, 1, 0, 2, 0, 1, 0, 1, 0, 1]
    # n = 50 distinct ranks: 2^50 patterns, symmetric about n(n+1)/2, exact integers
    counts = cstats._signed_rank_null_counts(2 * np.arange(1, 51))
    assert int(counts.sum()) == 2**50
    assert np.array_equal(counts, counts[::-1])


def test_wilcoxon_rounding_ties():
    # accuracies k/20: a - b is only equal to (ka - kb)/20 up to rounding, e.g.
    # 0.9 - 0.8 != 0.8 - 0.7 in floating point; they must share a midrank (module notes)
    ka = np.array([18, 16, 17, 19, 15, 18, 16, 17, 14, 19])
    kb = np.array([17, 15, 16, 17, 16, 16, 16, 13, 15, 18])
    a, b = ka / 20, kb / 20
    exact_d = (ka - kb) / 20  # equal numerators -> bitwise equal differences
    assert len(np.unique(np.abs(a - b)[a != b])) > len(np.unique(np.abs(exact_d[exact_d != 0])))
    ref = sps.wilcoxon(exact_d)  # ties and a zero, n = 10: scipy's exact permutation path
    res = wilcoxon_test(a, b)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    # scipy on the raw differences ranks the rounding-distinct magnitudes apart
    assert not np.isclose(sps.wilcoxon(a - b).pvalue, ref.pvalue, rtol=1e-6)


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


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("n_splits", [10, 30])
def test_wilcoxon_cv_scores(alternative, n_splits):
    a, b = _cv_scores(7, n_splits=n_splits, shift=0.005)
    b[:2] = a[:2]  # exact zero differences: dropped (zero_method="wilcox")
    res = wilcoxon_test(a, b, alternative=alternative)
    d = a - b
    # no tied magnitudes: without the zeros, scipy's exact distribution applies for any n
    ref = sps.wilcoxon(d[d != 0], alternative=alternative, method="exact")
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    if n_splits <= 13:  # with the zeros, scipy's permutation path (also exact)
        assert_allclose(res.pvalue, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)
    assert res.n == n_splits


def test_wilcoxon_degenerate():
    a = np.full(8, 0.8)
    same = wilcoxon_test(a, a)  # scipy would give NaN with a RuntimeWarning
    assert (same.statistic, same.pvalue) == (0.0, 1.0)
    const = wilcoxon_test(a + 0.05, a)
    assert const.statistic == 0.0
    assert_allclose(const.pvalue, 2 / 2**8, rtol=1e-12)  # exact null: all 2^8 sign patterns
    big = np.full(60, 0.8)
    assert (wilcoxon_test(big, big).statistic, wilcoxon_test(big, big).pvalue) == (0.0, 1.0)
    const_big = wilcoxon_test(big + 0.05, big)  # normal approximation, all 60 tied
    ref = sps.wilcoxon(np.full(60, 0.05), method="asymptotic")
    assert_allclose(const_big.pvalue, ref.pvalue, rtol=1e-12)
    assert 0 < const_big.pvalue < 1e-10


# --------------------------------------------------------------------------------------------
# Friedman + Nemenyi
# --------------------------------------------------------------------------------------------
def _score_table(seed, n_blocks=12, k=4, decimals=None):
    rng = np.random.default_rng(seed)
    base = rng.normal(0.8, 0.05, (n_blocks, 1))
    effects = np.linspace(0.03, 0.0, k)
    table = base + effects + rng.normal(0, 0.02, (n_blocks, k))
    if decimals is not None:
        table = np.round(table, decimals)  # creates ties
    return pd.DataFrame(table, columns=[f"m{j}" for j in range(k)])


@pytest.mark.parametrize(("seed", "decimals"), [(0, None), (1, None), (2, 2), (3, 1)])
def test_friedman_matches_scipy(seed, decimals):
    table = _score_table(seed, decimals=decimals)
    ref = sps.friedmanchisquare(*[table[c].to_numpy() for c in table.columns])
    res = friedman_nemenyi(table)
    assert_allclose(res.statistic, ref.statistic, rtol=RTOL)
    assert_allclose(res.pvalue, ref.pvalue, rtol=RTOL)
    assert res.df == table.shape[1] - 1
    # average ranks: rank 1 = highest score (scipy rankdata of the negated scores)
    expected_ranks = sps.rankdata(-table.to_numpy(), axis=1).mean(axis=0)
    assert_allclose(res.average_ranks.to_numpy(), expected_ranks, rtol=1e-12)
    assert list(res.average_ranks.index) == list(table.columns)
    # Iman-Davenport closed form
    n, k = table.shape
    ff = (n - 1) * ref.statistic / (n * (k - 1) - ref.statistic)
    assert_allclose(res.iman_davenport_statistic, ff, rtol=1e-10)
    assert_allclose(res.iman_davenport_pvalue, sps.f.sf(ff, k - 1, (k - 1) * (n - 1)), rtol=1e-9)


# Demšar (2006), Table 5(a): critical values q_alpha of the two-tailed Nemenyi test, k = 2..10
_DEMSAR_Q = {
    0.05: [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164],
    0.10: [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920],
}


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_nemenyi_q_alpha_matches_demsar_table(alpha):
    for k, q in zip(range(2, 11), _DEMSAR_Q[alpha], strict=True):
        res = friedman_nemenyi(_score_table(0, n_blocks=5, k=k), alpha=alpha)
        # the table's three decimals differ from the exact quantile by up to 7e-4 (measured:
        # k = 3 at 0.05, 2.3437 vs 2.343), so the tolerance is 1e-3
        assert_allclose(res.q_alpha, q, atol=1e-3)
        assert_allclose(res.critical_difference, q * math.sqrt(k * (k + 1) / 30), atol=1e-3)


def test_nemenyi_demsar_worked_example_cd():
    # Demšar (2006), section 3.2.2: k = 4 classifiers, N = 14 data sets, CD = 1.25 at 0.05
    res = friedman_nemenyi(_score_table(5, n_blocks=14, k=4))
    assert_allclose(res.critical_difference, 1.25, atol=5e-3)


@pytest.mark.parametrize("seed", [0, 4, 8])
def test_nemenyi_pairwise_pvalues_consistent_with_cd(seed):
    res = friedman_nemenyi(_score_table(seed, n_blocks=20, k=5))
    ranks = res.average_ranks.to_numpy()
    p = res.pairwise_pvalues.to_numpy()
    diff = np.abs(ranks[:, None] - ranks[None, :])
    off = ~np.eye(5, dtype=bool)
    assert np.array_equal((p < res.alpha)[off], (diff > res.critical_difference)[off])
    assert_allclose(p, p.T, rtol=0)
    assert np.all(np.diag(p) == 1)
    assert ((p < 0.05) & off).any() and ((p > 0.05) & off).any()  # the check has teeth


def test_nemenyi_two_models_is_a_normal_z_test():
    # closed form for k = 2: the range of two standard normals is sqrt(2)|Z|, so
    # p = 2 * norm.sf(|R1 - R2| / sqrt(k(k+1)/(6N)))
    table = _score_table(9, n_blocks=15, k=2)
    res = friedman_nemenyi(table)
    r = res.average_ranks.to_numpy()
    z = abs(r[0] - r[1]) / math.sqrt(2 * 3 / (6 * 15))
    assert_allclose(res.pairwise_pvalues.iloc[0, 1], 2 * sps.norm.sf(z), rtol=1e-6)


def test_friedman_degenerate_tables():
    tied = pd.DataFrame({"A": [0.8, 0.7, 0.9], "B": [0.8, 0.7, 0.9], "C": [0.8, 0.7, 0.9]})
    res = friedman_nemenyi(tied)
    assert (res.statistic, res.pvalue) == (0.0, 1.0)
    assert (res.iman_davenport_statistic, res.iman_davenport_pvalue) == (0.0, 1.0)
    assert_allclose(res.pairwise_pvalues.to_numpy(), 1.0)
    # every row ranks the models alike: chi2 = N(k-1), Iman-Davenport F infinite
    ordered = pd.DataFrame({"A": [0.9, 0.8, 0.95], "B": [0.8, 0.7, 0.9], "C": [0.7, 0.6, 0.5]})
    res = friedman_nemenyi(ordered)
    assert_allclose(res.statistic, 3 * 2, rtol=1e-12)
    assert res.iman_davenport_statistic == math.inf and res.iman_davenport_pvalue == 0.0
    # numpy input: models numbered 0..k-1
    assert list(friedman_nemenyi(ordered.to_numpy()).average_ranks.index) == [0, 1, 2]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (np.ones(5), "2-dimensional"),
        (np.ones((5, 1)), "at least 2 models"),
        (np.ones((1, 3)), "at least 2 rows"),
        (np.array([[0.1, np.nan], [0.2, 0.3]]), "non-finite"),
    ],
)
def test_friedman_bad_input(table, match):
    with pytest.raises(ValueError, match=match):
        friedman_nemenyi(table)


# --------------------------------------------------------------------------------------------
# Bayesian correlated t-test vs baycomp and the scikit-learn example
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("runs", "n_folds"), [(1, 10), (10, 10), (5, 4)])
@pytest.mark.parametrize("rope", [0.01, 0.002])
@pytest.mark.parametrize("seed", [0, 1])
def test_bayesian_matches_baycomp(runs, n_folds, rope, seed):
    a, b = _cv_scores(seed, n_splits=runs * n_folds, shift=0.004)
    # k-fold on n = 200 samples: n_test = n / k, so n_test / (n_test + n_train) = 1 / k,
    # which is baycomp's rho = 1 / nfolds (nfolds = len(x) / runs)
    n_test = 200 / n_folds
    res = bayesian_correlated_ttest(a, b, 200 - n_test, n_test, rope=rope)
    # baycomp: diff = y - x, p_left = P(diff < -rope); with x = b, y = a that is P(A worse)
    p_left, p_rope, p_right = baycomp.two_on_single(b, a, rope=rope, runs=runs)
    assert_allclose(
        [res.prob_worse, res.prob_equivalent, res.prob_better],
        [p_left, p_rope, p_right],
        rtol=1e-9,
        atol=1e-12,
    )
    mean, var, df = baycomp.CorrelatedTTest.compute_statistics(b, a, runs=runs)
    assert_allclose([res.mean_difference, res.scale**2, res.df], [mean, var, df], rtol=1e-10)
    assert_allclose(res.rho, 1 / n_folds, rtol=1e-12)


def test_bayesian_matches_sklearn_example_posterior():
    # scikit-learn example: t_post = t(df, loc=mean(differences), scale=corrected_std),
    # worse = cdf(-rope), better = 1 - cdf(rope), rope = cdf(rope) - cdf(-rope)
    a, b = _cv_scores(11, shift=0.006)
    _, _, std = _sklearn_example_corrected_ttest(a - b, 160, 40)
    post = sps.t(len(a) - 1, loc=np.mean(a - b), scale=std)
    res = bayesian_correlated_ttest(a, b, 160, 40, rope=0.01)
    assert_allclose(res.prob_worse, post.cdf(-0.01), rtol=1e-9)
    assert_allclose(res.prob_better, 1 - post.cdf(0.01), rtol=1e-9)
    assert_allclose(res.prob_equivalent, post.cdf(0.01) - post.cdf(-0.01), rtol=1e-9)
    assert_allclose(res.credible_interval(0.95), post.interval(0.95), rtol=1e-9)
    # the posterior scale is the corrected t-test's standard error
    assert_allclose(res.scale, corrected_ttest(a, b, 160, 40).std_error, rtol=1e-12)


@pytest.mark.parametrize(
    ("shift", "expected"),
    [(0.0, (0.0, 1.0, 0.0)), (0.05, (0.0, 0.0, 1.0)), (-0.05, (1.0, 0.0, 0.0))],
)
def test_bayesian_zero_variance_is_a_point_mass(shift, expected):
    b = np.array([0.8, 0.7, 0.9, 0.85, 0.75])
    res = bayesian_correlated_ttest(b + shift, b, 80, 20, rope=0.01)
    assert (res.prob_worse, res.prob_equivalent, res.prob_better) == expected
    assert res.scale == 0.0
    # baycomp's var == 0 branch gives the same
    assert_allclose(baycomp.two_on_single(b, b + shift, rope=0.01), expected)


# --------------------------------------------------------------------------------------------
# Zero variance and bad input for the score-based tests
# --------------------------------------------------------------------------------------------
def test_identical_models_give_statistic_zero_p_one():
    a = np.array([0.8, 0.7, 0.9, 0.85, 0.75, 0.8])
    for res in (corrected_ttest(a, a, 80, 20), paired_ttest(a, a)):
        assert (res.statistic, res.pvalue) == (0.0, 1.0)
        assert (res.ci_low, res.ci_high, res.std_error) == (0.0, 0.0, 0.0)
    five = np.arange(10.0).reshape(5, 2) / 10
    for res in (paired_ttest_5x2cv(five, five), combined_ftest_5x2cv(five, five)):
        assert (res.statistic, res.pvalue, res.mean_difference) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("sign", [1, -1])
def test_constant_nonzero_difference_gives_infinite_statistic(sign):
    # accuracies 0.9 - 0.8 and 0.8 - 0.7 differ in the last bit; they count as one difference
    high = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    low = np.array([0.8, 0.7, 0.6, 0.5, 0.4])
    a, b = (high, low) if sign > 0 else (low, high)
    assert np.ptp(a - b) > 0  # floating-point noise is really there
    for res in (corrected_ttest(a, b, 80, 20), paired_ttest(a, b)):
        assert res.statistic == sign * math.inf
        assert res.pvalue == 0.0
        assert_allclose([res.ci_low, res.ci_high], [sign * 0.1, sign * 0.1], rtol=1e-12)
    greater = corrected_ttest(a, b, 80, 20, alternative="greater")
    assert greater.pvalue == (0.0 if sign > 0 else 1.0)
    five_b = np.full((5, 2), 0.7)
    t5 = paired_ttest_5x2cv(five_b + sign * 0.1, five_b)
    f5 = combined_ftest_5x2cv(five_b + sign * 0.1, five_b)
    assert (t5.statistic, t5.pvalue) == (sign * math.inf, 0.0)
    assert (f5.statistic, f5.pvalue) == (math.inf, 0.0)


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


@pytest.mark.parametrize("func", [paired_ttest_5x2cv, combined_ftest_5x2cv])
def test_5x2cv_shape_errors(func):
    with pytest.raises(ValueError, match=r"shaped \(5, 2\)"):
        func(np.ones((10,)), np.ones((10,)))
    with pytest.raises(ValueError, match="same shape"):
        func(np.ones((5, 2)), np.ones((2, 5)))
    bad = np.ones((5, 2))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        func(bad, np.ones((5, 2)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_train": [80, 80], "n_test": 20}, "one entry per split"),
        ({"n_train": 80, "n_test": -1}, "n_test must be positive"),
        ({"n_train": 0, "n_test": 20}, "n_train must be positive"),
        ({"n_train": 80, "n_test": np.nan}, "non-finite"),
        ({"n_train": 80, "n_test": 20, "alternative": "two_sided"}, "alternative must be"),
        ({"n_train": 80, "n_test": 20, "confidence_level": 95}, "confidence_level"),
    ],
)
def test_corrected_ttest_bad_arguments(kwargs, match):
    a, b = _cv_scores(0, n_splits=5)
    with pytest.raises(ValueError, match=match):
        corrected_ttest(a, b, **kwargs)


@pytest.mark.parametrize("func", [corrected_ttest, bayesian_correlated_ttest])
def test_none_sample_size_is_a_type_error(func):
    # None became NaN and was reported as "n_train contains 1 non-finite value(s) ... impute"
    a, b = _cv_scores(0, n_splits=5)
    with pytest.raises(TypeError, match="n_train must be an array of numbers, got None"):
        func(a, b, None, 20)


@pytest.mark.parametrize("func", [corrected_ttest, bayesian_correlated_ttest])
@pytest.mark.parametrize("size", [True, np.True_, [True] * 5])
def test_bool_sample_size_is_a_type_error(func, size):
    # n_test=True became 1.0: a test set of one sample, silently
    a, b = _cv_scores(0, n_splits=5)
    with pytest.raises(TypeError, match="n_test must be a number of samples, got bool"):
        func(a, b, 80, size)


@pytest.mark.parametrize("rope", [-0.01, np.nan, "0.01"])
def test_bayesian_bad_rope(rope):
    a, b = _cv_scores(0, n_splits=5)
    with pytest.raises(ValueError, match="rope must be"):
        bayesian_correlated_ttest(a, b, 80, 20, rope=rope)


# --------------------------------------------------------------------------------------------
# compare() over a TrialResults stand-in (the contract of docs/interfaces.md)
# --------------------------------------------------------------------------------------------
def _fake_results(score_dict, n_train=160, n_test=40, metric="accuracy"):
    """Minimal TrialResults: .scores with the contract's columns, .models in the given order."""
    rows = []
    for model, values in score_dict.items():
        for split, value in enumerate(values):
            rows.append(
                {
                    "model": model,
                    "split": split,
                    "repeat": split // 5,
                    "fold": split % 5,
                    "n_train": n_train,
                    "n_test": n_test,
                    "fit_time": 0.01,
                    metric: value,
                }
            )
    return SimpleNamespace(scores=pd.DataFrame(rows), models=tuple(score_dict))


@pytest.fixture()
def three_model_results():
    rng = np.random.default_rng(0)
    common = rng.normal(0.8, 0.02, 50)
    scores = {
        "good": common + 0.05 + rng.normal(0, 0.01, 50),  # clearly better than the others
        "base": common + rng.normal(0, 0.01, 50),
        "twin": common + rng.normal(0, 0.003, 50),  # practically equivalent to base
    }
    return _fake_results(scores), scores


def test_compare_all_pairs_matches_direct_calls(three_model_results):
    results, scores = three_model_results
    table = compare(results)
    assert list(table.columns) == [
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
    ]
    assert list(zip(table.model_a, table.model_b, strict=True)) == [
        ("good", "base"),
        ("good", "twin"),
        ("base", "twin"),
    ]
    for row in table.itertuples():
        a, b = scores[row.model_a], scores[row.model_b]
        ref = corrected_ttest(a, b, 160, 40)
        bayes = bayesian_correlated_ttest(a, b, 160, 40, rope=0.01)
        assert_allclose(
            [row.mean_difference, row.ci_low, row.ci_high, row.statistic, row.df, row.pvalue],
            [ref.mean_difference, ref.ci_low, ref.ci_high, ref.statistic, ref.df, ref.pvalue],
            rtol=1e-12,
        )
        assert_allclose(
            [row.prob_a_better, row.prob_equivalent, row.prob_b_better],
            [bayes.prob_better, bayes.prob_equivalent, bayes.prob_worse],
            rtol=1e-12,
        )
    # Holm through statsmodels, named explicitly (its default is Holm-Sidak)
    assert_allclose(
        table.pvalue_adjusted,
        multipletests(table.pvalue, method="holm")[1],
        rtol=1e-12,
    )
    verdicts = dict(
        zip(zip(table.model_a, table.model_b, strict=True), table.verdict, strict=True)
    )
    assert verdicts[("good", "base")].startswith("good better than base (p_adj=")
    assert verdicts[("base", "twin")].startswith("practically equivalent (P(rope)=")
    assert table.significant.tolist() == [True, True, False]


def test_compare_baseline_and_reversed_direction(three_model_results):
    results, scores = three_model_results
    table = compare(results, baseline="good", correction="bonferroni")
    assert list(zip(table.model_a, table.model_b, strict=True)) == [
        ("base", "good"),
        ("twin", "good"),
    ]
    assert (table.mean_difference < 0).all()
    assert table.verdict.str.startswith("good better than").all()
    assert_allclose(table.pvalue_adjusted, np.minimum(1, 2 * table.pvalue), rtol=1e-12)
    assert (table.prob_b_better > 0.99).all()


def test_compare_no_difference_verdict():
    rng = np.random.default_rng(1)
    common = rng.normal(0.8, 0.02, 20)
    results = _fake_results(
        {"A": common + rng.normal(0, 0.03, 20), "B": common + rng.normal(0, 0.03, 20)}
    )
    row = compare(results, correction="none").iloc[0]
    assert row.pvalue_adjusted == row.pvalue > 0.05
    assert row.verdict == f"no significant difference (p_adj={row.pvalue:.3g})"


def test_compare_significant_but_practically_equivalent_verdict():
    # B wins by 0.003 on every split with little spread: significant, and inside the rope
    rng = np.random.default_rng(0)
    common = rng.normal(0.8, 0.03, 50)
    results = _fake_results({"A": common, "B": common + 0.003 + rng.normal(0, 0.001, 50)})
    row = compare(results, rope=0.01).iloc[0]
    assert row.significant and row.statistic < 0 and row.prob_equivalent > 0.95
    assert row.verdict == (
        f"B better than A (p_adj={row.pvalue_adjusted:.3g}), "
        f"but practically equivalent (P(rope)={row.prob_equivalent:.2f})"
    )
    # rope=0: nothing is practically equivalent, the verdict is the test's alone
    row0 = compare(results, rope=0).iloc[0]
    assert row0.prob_equivalent == 0.0
    assert row0.verdict == f"B better than A (p_adj={row0.pvalue_adjusted:.3g})"


def test_compare_holm_differs_from_statsmodels_default():
    # five models of increasing strength give p-values where Holm and Holm-Sidak differ
    rng = np.random.default_rng(3)
    common = rng.normal(0.8, 0.02, 30)
    scores = {f"m{i}": common + 0.004 * i + rng.normal(0, 0.01, 30) for i in range(5)}
    table = compare(_fake_results(scores))
    holm = multipletests(table.pvalue, method="holm")[1]
    holm_sidak = multipletests(table.pvalue)[1]  # statsmodels' default method "hs"
    assert_allclose(table.pvalue_adjusted, holm, rtol=1e-12)
    assert not np.allclose(holm, holm_sidak, rtol=1e-6)


@pytest.mark.parametrize("test", ["paired_ttest", "wilcoxon"])
def test_compare_other_tests(three_model_results, test):
    results, scores = three_model_results
    table = compare(results, test=test, correction="none")
    ref = (paired_ttest if test == "paired_ttest" else wilcoxon_test)(
        scores["good"], scores["base"]
    )
    assert_allclose(table.pvalue.iloc[0], ref.pvalue, rtol=1e-12)
    assert_allclose(table.statistic.iloc[0], ref.statistic, rtol=1e-12)
    if test == "wilcoxon":
        assert table.df.isna().all() and table.ci_low.isna().all()


def test_compare_wilcoxon_verdict_follows_the_ranks_not_the_mean():
    # A loses by 0.01 on 19 splits and wins by 0.2 on one: mean difference +0.0005, but
    # T+ = 20 and T- = 190, so the signed-rank test finds B better (scipy: alternative="less")
    b = np.linspace(0.7, 0.8, 20)
    a = b - 0.01
    a[-1] = b[-1] + 0.2
    row = compare(_fake_results({"A": a, "B": b}), test="wilcoxon").iloc[0]
    assert row.mean_difference > 0 and row.pvalue < 0.05
    assert sps.wilcoxon(a - b, alternative="less").pvalue < 0.05
    assert row.verdict.startswith("B better than A")


def test_compare_float32_scores_match_direct_calls():
    # a float32 score column was cast to float64 before testing, so compare() ranked the
    # float32 rounding of 0.9 - 0.8 and 0.8 - 0.7 apart (p 0.1719) where wilcoxon_test on the
    # same scores ties them (p 0.1875, scipy's exact permutation p on the exact differences)
    b = np.array([0.8, 0.7, 0.9, 0.6, 0.5, 0.4, 0.55])
    d = np.array([1, 2, -3, 1, 2, 3, 4]) / 10
    results = _fake_results({"A": b + d, "B": b})
    results.scores["accuracy"] = results.scores["accuracy"].astype(np.float32)
    table = compare(results, test="wilcoxon", correction="none")
    assert_allclose(table.pvalue[0], sps.wilcoxon(d).pvalue, rtol=1e-12)
    a32, b32 = (b + d).astype(np.float32), b.astype(np.float32)
    assert table.pvalue[0] == wilcoxon_test(a32, b32).pvalue


def test_compare_uses_per_split_sizes():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.79, 0.02, 10)
    results = _fake_results({"A": a, "B": b})
    sizes = np.array([91, 90, 90, 91, 90, 90, 91, 90, 90, 91])
    results.scores["n_train"] = np.tile(sizes, 2)
    results.scores["n_test"] = 200 - results.scores["n_train"]
    row = compare(results, correction="none").iloc[0]
    assert_allclose(row.pvalue, corrected_ttest(a, b, sizes, 200 - sizes).pvalue, rtol=1e-12)


def test_compare_on_real_trial_results():
    # a real TrialResults from run_trials (not the stand-in): same numbers as direct calls
    from clfcompare.trials import run_trials

    X, y = make_classification(n_samples=90, n_features=5, random_state=1)
    models = {"lr": LogisticRegression(), "nb": GaussianNB()}
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    res = run_trials(models, X, y, cv=cv, progress=False)
    row = compare(res, correction="none").iloc[0]
    table = res.score_table()
    sizes = res.scores[res.scores.model == "lr"]
    ref = corrected_ttest(table["lr"], table["nb"], sizes["n_train"], sizes["n_test"])
    assert (row.model_a, row.model_b) == ("lr", "nb")
    assert_allclose([row.statistic, row.pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    assert_allclose(ref.df, 5)


def test_compare_bad_results(three_model_results):
    results, scores = three_model_results
    missing_model = SimpleNamespace(
        scores=results.scores[results.scores.model != "twin"], models=results.models
    )
    with pytest.raises(ValueError, match=r"no rows for model\(s\) \['twin'\]"):
        compare(missing_model)
    missing_split = SimpleNamespace(
        scores=results.scores.drop(
            index=results.scores.index[(results.scores.model == "base")][3]
        ),
        models=results.models,
    )
    with pytest.raises(ValueError, match=r"model 'base' has no 'accuracy' score.*\[3\]"):
        compare(missing_split)
    nan_scores = results.scores.copy()
    nan_scores.loc[0, "accuracy"] = np.nan
    with pytest.raises(ValueError, match="model 'good' has no 'accuracy' score"):
        compare(SimpleNamespace(scores=nan_scores, models=results.models))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['f1'\]"):
        compare(results, metric="f1")
    with pytest.raises(ValueError, match="baseline 'nope' is not one of the models"):
        compare(results, baseline="nope")
    with pytest.raises(ValueError, match="test must be one of"):
        compare(results, test="mcnemar")
    with pytest.raises(ValueError, match="correction must be one of"):
        compare(results, correction="hs")
    with pytest.raises(TypeError, match="must be a TrialResults"):
        compare({"good": scores["good"]})
    with pytest.raises(ValueError, match="at least 2 models"):
        compare(_fake_results({"only": scores["good"]}))
    duplicated = SimpleNamespace(scores=results.scores, models=("good", "good", "base"))
    with pytest.raises(ValueError, match=r"duplicate model name\(s\) \['good'\]"):
        compare(duplicated)  # was an IndexError deep in pandas
    one_split = _fake_results({"A": [0.8], "B": [0.7]})
    with pytest.raises(ValueError, match="at least 2 paired scores"):
        compare(one_split)


@pytest.mark.parametrize("scale", [2.0**-1000, 2.0**-600, 2.0**540])
def test_tests_are_scale_invariant_for_tiny_and_huge_scores(scale):
    # t, F and the posterior probabilities do not depend on the unit of the scores; a power of
    # two rescales exactly. Squares of tiny differences underflowed (var = 0: t = inf, p = 0)
    # and of huge ones overflowed (var = inf: t = 0, p = 1)
    a, b = _cv_scores(3, n_splits=10, shift=0.01)
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
# Result objects and docstring examples
# --------------------------------------------------------------------------------------------
def test_results_are_frozen_and_readable():
    a, b = _cv_scores(0, n_splits=10)
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

    fr = friedman_nemenyi(_score_table(0))
    assert isinstance(fr, FriedmanResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fr.alpha = 0.1
    assert "average ranks: m0=" in str(fr) and repr(fr).startswith("FriedmanResult(statistic=")

    mc = mcnemar(*_predictions(0))
    assert f"b={mc.b}, c={mc.c}" in str(mc)
