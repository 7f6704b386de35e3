"""Tests of clfcompare.stats.two_models: two models on one data set from per-split scores.

References: the corrected t-test of scikit-learn's example "Statistical comparison of models
using grid search" (re-derived in tests/_stats_data.py), SciPy's ttest_rel, mlxtend's
paired_ttest_5x2cv and combined_ftest_5x2cv on mlxtend's own splits, Nadeau and Bengio's
conservative Z re-derived below as plain loops (the research reference of issue 11,
/work/scratch/issue11/tests_ref.py), and closed forms.
"""

import math

import numpy as np
import pandas as pd
import pytest
from _stats_data import RTOL, cv_scores, sklearn_example_corrected_ttest
from mlxtend.evaluate import combined_ftest_5x2cv as mlx_combined_ftest_5x2cv
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

from clfcompare.stats import (
    combined_ftest_5x2cv,
    conservative_z,
    corrected_ttest,
    paired_ttest,
    paired_ttest_5x2cv,
    run_5x2cv,
)


# --------------------------------------------------------------------------------------------
# corrected t-test: the formula of scikit-learn's example, re-derived
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("n_train", "n_test"), [(90, 10), (160, 40), (50, 50)])
def test_corrected_ttest_matches_sklearn_example(seed, n_train, n_test):
    a, b = cv_scores(seed)
    t_ref, p_ref, std_ref = sklearn_example_corrected_ttest(a - b, n_train, n_test)
    res = corrected_ttest(a, b, n_train, n_test)
    assert_allclose(res.statistic, t_ref, rtol=RTOL)
    assert_allclose(res.pvalue, p_ref, rtol=RTOL)
    assert_allclose(res.std_error, std_ref, rtol=RTOL)
    assert res.df == len(a) - 1
    # the example's old one-sided p-value is half of ours (the known trap)
    assert_allclose(res.pvalue, 2 * sps.t.sf(abs(t_ref), len(a) - 1), rtol=RTOL)


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_corrected_ttest_one_sided(alternative):
    a, b = cv_scores(3, shift=0.005)
    t_ref, _, _ = sklearn_example_corrected_ttest(a - b, 90, 10)
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
    a, b = cv_scores(4)
    res = corrected_ttest(a, b, 90, 10, confidence_level=confidence_level)
    assert res.ci_low < res.mean_difference < res.ci_high
    for bound in (res.ci_low, res.ci_high):
        shifted = corrected_ttest(a - bound, b, 90, 10)
        assert_allclose(shifted.pvalue, 1 - confidence_level, rtol=1e-8)


def test_corrected_ttest_per_split_sizes_use_means():
    a, b = cv_scores(5, n_splits=10)
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
    a, b = cv_scores(seed, n_splits=12, shift=0.004)
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
# zero variance and bad arguments
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
    a, b = cv_scores(0, n_splits=5)
    with pytest.raises(ValueError, match=match):
        corrected_ttest(a, b, **kwargs)


# --------------------------------------------------------------------------------------------
# conservative Z (Nadeau and Bengio 2003, section 5)
# --------------------------------------------------------------------------------------------
def reference_conservative_z(d_main, d_half):
    """The formula as plain loops: mu_hat = mean(d_main); for each partition m the mean over
    the inner folds of each half, sigma2 = sum_m (mu_m^0 - mu_m^1)^2 / (2 M), Z = mu / sigma,
    two-sided p = erfc(|Z| / sqrt(2)) (no SciPy)."""
    mu = sum(d_main) / len(d_main)
    total = 0.0
    for partition in d_half:
        means = [sum(fold_values) / len(fold_values) for fold_values in partition]
        total += (means[0] - means[1]) ** 2
    sigma = math.sqrt(total / (2 * len(d_half)))
    z = mu / sigma
    return z, math.erfc(abs(z) / math.sqrt(2)), sigma, mu


def _halves(seed, m=10, folds=5, j=100, shift=0.01):
    rng = np.random.default_rng(seed)
    a, b = cv_scores(seed, n_splits=j, shift=shift)
    half_b = rng.normal(0.78, 0.03, (m, 2, folds))
    half_a = half_b + shift + rng.normal(0, 0.02, (m, 2, folds))
    return a, b, half_a, half_b


def test_conservative_z_closed_form_small_arrays():
    # d = (0.02, 0.04): mu = 0.03; partition 0 halves mean 0.03 and 0.01 (gap 0.02),
    # partition 1 halves 0.00 and 0.04 (gap -0.04): sigma2 = (0.02^2 + 0.04^2) / 4 = 5e-4
    a = np.array([0.82, 0.84])
    b = np.array([0.80, 0.80])
    half_b = np.full((2, 2, 2), 0.5)
    half_a = half_b + np.array([[[0.02, 0.04], [0.0, 0.02]], [[0.0, 0.0], [0.03, 0.05]]])
    res = conservative_z(a, b, half_a, half_b)
    sigma = math.sqrt(5e-4)
    z = 0.03 / sigma
    assert res.test == "conservative_z" and res.df is None and res.n == 2
    assert_allclose([res.mean_difference, res.std_error, res.statistic], [0.03, sigma, z])
    assert_allclose(res.pvalue, math.erfc(z / math.sqrt(2)), rtol=1e-12)
    q = 1.959963984540054  # z_{0.975}
    assert_allclose([res.ci_low, res.ci_high], [0.03 - q * sigma, 0.03 + q * sigma])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("m", "folds"), [(10, 5), (3, 2), (1, 1), (5, 3)])
def test_conservative_z_matches_the_loop_reference(seed, m, folds):
    a, b, half_a, half_b = _halves(seed, m, folds)
    z, p, sigma, mu = reference_conservative_z(list(a - b), (half_a - half_b).tolist())
    res = conservative_z(a, b, half_a, half_b)
    assert_allclose([res.statistic, res.pvalue, res.std_error], [z, p, sigma], rtol=RTOL)
    assert_allclose(res.mean_difference, mu, rtol=RTOL)
    # the (M, 2) form: half scores already averaged over the inner folds
    averaged = conservative_z(a, b, half_a.mean(axis=2), half_b.mean(axis=2))
    assert_allclose(averaged.statistic, res.statistic, rtol=RTOL)


@pytest.mark.parametrize("seed", [0, 5])
def test_conservative_z_alternatives_and_symmetry(seed):
    a, b, half_a, half_b = _halves(seed, shift=0.004)
    two = conservative_z(a, b, half_a, half_b)
    greater = conservative_z(a, b, half_a, half_b, alternative="greater")
    less = conservative_z(a, b, half_a, half_b, alternative="less")
    z = two.statistic
    assert_allclose(greater.pvalue, 0.5 * math.erfc(z / math.sqrt(2)), rtol=1e-12)
    assert_allclose(less.pvalue, 1 - greater.pvalue, rtol=1e-12)
    assert_allclose(two.pvalue, 2 * min(greater.pvalue, less.pvalue), rtol=1e-12)
    swapped = conservative_z(b, a, half_b, half_a)
    assert_allclose([swapped.statistic, swapped.pvalue], [-z, two.pvalue], rtol=1e-12)
    # one-sided intervals: one bound infinite, the other at z_{level} standard errors
    q = sps.norm.ppf(0.95)
    assert greater.ci_high == math.inf and less.ci_low == -math.inf
    assert_allclose(greater.ci_low, two.mean_difference - q * two.std_error, rtol=1e-12)
    assert_allclose(less.ci_high, two.mean_difference + q * two.std_error, rtol=1e-12)


@pytest.mark.parametrize("confidence_level", [0.9, 0.95, 0.99])
def test_conservative_z_ci_inverts_the_test(confidence_level):
    # the interval holds exactly the shifts delta not rejected at 1 - confidence_level:
    # at its bounds the test of (a - delta) vs b has p = 1 - confidence_level
    a, b, half_a, half_b = _halves(3)
    res = conservative_z(a, b, half_a, half_b, confidence_level=confidence_level)
    assert res.ci_low < res.mean_difference < res.ci_high
    for bound in (res.ci_low, res.ci_high):
        shifted = conservative_z(a - bound, b, half_a - bound, half_b)
        assert_allclose(shifted.pvalue, 1 - confidence_level, rtol=1e-8)


def test_conservative_z_degenerate_variance():
    a = np.array([0.8, 0.7, 0.9, 0.85])
    halves = np.array([[[0.8, 0.7], [0.75, 0.75]], [[0.6, 0.9], [0.7, 0.8]]])
    same = conservative_z(a, a, halves, halves)
    assert (same.statistic, same.pvalue, same.std_error) == (0.0, 1.0, 0.0)
    assert (same.ci_low, same.ci_high) == (0.0, 0.0)
    # a constant difference of 0.1 everywhere (up to rounding: 0.9 - 0.8 != 0.8 - 0.7 in binary)
    high = np.array([0.9, 0.8, 0.7, 0.6])
    high_half = np.array([[[0.9, 0.8], [0.7, 0.6]], [[0.5, 0.4], [0.3, 0.2]]])
    for sign in (1, -1):
        res = conservative_z(high, high - 0.1, sign * high_half, sign * (high_half - 0.1))
        assert res.std_error == 0.0
        assert res.statistic == math.inf and res.pvalue == 0.0
    # one partition's halves agree, the other's do not: a finite statistic
    mixed = high_half.copy()
    mixed[1, 0] += 0.02
    res = conservative_z(high, high - 0.1, mixed, high_half - 0.1)
    assert_allclose(res.std_error, math.sqrt(0.02**2 / 4), rtol=1e-9)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.ones((4, 3)), np.ones((4, 3))), {}, ValueError, r"shaped \(M, 2, F\)"),
        ((np.ones(4), np.ones(4)), {}, ValueError, r"half_scores_a must be shaped"),
        ((np.ones((4, 2, 3, 1)), np.ones((4, 2, 3, 1))), {}, ValueError, "got shape"),
        ((np.ones((0, 2)), np.ones((0, 2))), {}, ValueError, "half_scores_a must be shaped"),
        ((np.ones((4, 2)), np.ones((4, 3))), {}, ValueError, "half_scores_b must be shaped"),
        ((np.ones((4, 2)), np.ones((3, 2))), {}, ValueError, "same shape"),
        ((np.full((4, 2), np.nan), np.ones((4, 2))), {}, ValueError, "half_scores_a .*finite"),
        ((None, np.ones((4, 2))), {}, TypeError, "half_scores_a must be an array of numbers"),
        ((np.ones((4, 2)), "x"), {}, TypeError, "half_scores_b must be an array of numbers"),
        ((np.ones((4, 2)), np.ones((4, 2))), {"alternative": "bigger"}, ValueError, "alternative"),
        ((np.ones((4, 2)),) * 2, {"confidence_level": 1.0}, ValueError, "confidence_level"),
    ],
)
def test_conservative_z_bad_half_scores(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        conservative_z([0.8, 0.9], [0.7, 0.8], *args, **kwargs)


def test_conservative_z_bad_main_scores():
    half = np.ones((3, 2))
    with pytest.raises(ValueError, match="same shape"):
        conservative_z([0.8, 0.9], [0.7], half, half)
    with pytest.raises(ValueError, match="at least 1"):
        conservative_z([], [], half, half)
    with pytest.raises(ValueError, match="1-dimensional"):
        conservative_z(np.ones((2, 2)), np.ones((2, 2)), half, half)


def test_conservative_z_docstring_renders_its_formula():
    """The Notes' LaTeX survives as written: no backslash escape became a control character
    (``\\f`` of ``\\frac``, ``\\r`` of ``\\right``, ``\\a`` of ``\\alpha``), and the half
    splits' training size is Nadeau and Bengio's n/2 - n_2."""
    doc = conservative_z.__doc__
    control = sorted({hex(ord(c)) for c in doc if ord(c) < 32 and c not in "\n\t"})
    assert control == []
    for text in (r"\frac{1}{2M}", r"\right)^2", r"z_{1-\alpha/2}", r"n/2 - n_2"):
        assert text in doc
    # the docstring's body is indented as the other functions' (numpydoc sections found)
    assert "\n    Parameters\n    ----------\n" in doc
