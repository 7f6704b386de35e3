"""Tests of clfcompare.stats.two_models: two models on one data set from per-split scores.

References: the corrected t-test of scikit-learn's example "Statistical comparison of models
using grid search" (re-derived in tests/_stats_data.py), SciPy's ttest_rel, mlxtend's
paired_ttest_5x2cv and combined_ftest_5x2cv on mlxtend's own splits, and closed forms.
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
