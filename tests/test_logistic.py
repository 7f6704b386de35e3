"""Tests of clfcompare.estimators.logistic.

Reference values come from statsmodels (Logit / MNLogit maximum-likelihood fits by Newton's
method, their bse / tvalues / pvalues / conf_int), scikit-learn (LogisticRegression with lbfgs,
sklearn.metrics.log_loss), scipy (finite-difference gradients) and closed-form formulas
(sigmoid / softmax, the Hessian of the cross-entropy).
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import statsmodels.api as sm
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import approx_fprime
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.fixes import parse_version

from clfcompare.estimators.logistic import (
    GDLogisticRegression,
    cross_entropy,
    fisher_information,
    lipschitz_constant,
)

# (seed, n_classes, n_features, n_samples): well-conditioned, not separable
PROBLEMS = [(0, 2, 3, 300), (1, 2, 6, 500), (2, 3, 4, 400), (3, 4, 3, 600)]
TIGHT = {"tol": 1e-10, "max_iter": 20_000}


def logistic_problem(seed, n_classes, n_features, n_samples):
    """Standard normal features, labels drawn from a softmax model with moderate weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    B = rng.normal(scale=0.8, size=(n_classes, n_features))
    P = softmax(X @ B.T + rng.normal(scale=0.3, size=n_classes), axis=1)
    y = (rng.random(n_samples)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, np.minimum(y, n_classes - 1)


def statsmodels_fit(X, y):
    """statsmodels' ML fit; Logit for two classes, MNLogit (reference = first class) else."""
    exog = sm.add_constant(X, has_constant="add")
    model = sm.Logit(y, exog) if np.unique(y).size == 2 else sm.MNLogit(y, exog)
    return model.fit(disp=0, method="newton", maxiter=100)


def flat(a):
    """statsmodels' (n_terms,) or (n_terms, K-1) arrays in our row order (class, term)."""
    return np.asarray(a).T.ravel()


def unpenalised_sklearn():
    """scikit-learn's LogisticRegression(penalty=None), spelled C=np.inf from 1.8 on (where
    penalty is deprecated with a FutureWarning; C=np.inf is the same unpenalised model)."""
    if parse_version(sklearn.__version__) >= parse_version("1.8"):
        return LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
    return LogisticRegression(penalty=None, tol=1e-12, max_iter=10_000)


# --- parity with statsmodels and scikit-learn -----------------------------------------------


@pytest.mark.parametrize("problem", PROBLEMS)
def test_coefficients_and_inference_match_statsmodels(problem):
    X, y = logistic_problem(*problem)
    clf = GDLogisticRegression(**TIGHT).fit(X, y)
    assert clf.converged_
    ref = statsmodels_fit(X, y)
    table = clf.coef_table(X)
    assert_allclose(table["coef"], flat(ref.params), rtol=1e-4, atol=1e-4)
    assert_allclose(table["std_err"], flat(ref.bse), rtol=1e-4, atol=1e-4)
    assert_allclose(table["z"], flat(ref.tvalues), rtol=1e-4, atol=1e-4)
    assert_allclose(table["pvalue"], flat(ref.pvalues), rtol=1e-4, atol=1e-4)
    ci = np.asarray(ref.conf_int(alpha=0.1))
    ci_low, ci_high = (ci[..., 0], ci[..., 1]) if ci.ndim == 3 else (ci[:, 0], ci[:, 1])
    table90 = clf.coef_table(X, confidence_level=0.9)
    assert_allclose(table90["ci_low"], ci_low.ravel(), rtol=1e-4, atol=1e-4)
    assert_allclose(table90["ci_high"], ci_high.ravel(), rtol=1e-4, atol=1e-4)
    # the covariance of the identified parameters is statsmodels' cov_params(); MNLogit orders
    # it class by class, intercept first, like our table
    assert_allclose(clf.coef_covariance(X), np.asarray(ref.cov_params()), rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_default_settings_match_statsmodels(problem):
    # the defaults (learning_rate="auto", tol=1e-6) already reach 1e-4 on standardised data
    X, y = logistic_problem(*problem)
    clf = GDLogisticRegression().fit(X, y)
    ref = statsmodels_fit(X, y)
    assert_allclose(clf._contrasts(), flat(ref.params), rtol=0, atol=1e-4)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_probabilities_match_sklearn_unpenalised(problem):
    X, y = logistic_problem(*problem)
    X_test, _ = logistic_problem(problem[0] + 100, *problem[1:])
    ours = GDLogisticRegression(**TIGHT).fit(X, y)
    ref = unpenalised_sklearn().fit(X, y)
    assert_allclose(ours.predict_proba(X_test), ref.predict_proba(X_test), rtol=0, atol=1e-6)
    assert_array_equal(ours.predict(X_test), ref.predict(X_test))
    # the training loss is sklearn's log_loss of the fitted probabilities
    assert_allclose(ours.loss_curve_[-1], log_loss(y, ours.predict_proba(X)), rtol=1e-12)


@pytest.mark.parametrize("problem", [PROBLEMS[1], PROBLEMS[3]])
def test_l2_penalty_matches_sklearn(problem):
    # our mean loss + alpha/2 ||W||^2 is sklearn's C * sum loss + 1/2 ||W||^2 divided by C N
    X, y = logistic_problem(*problem)
    alpha = 0.05
    ours = GDLogisticRegression(alpha=alpha, **TIGHT).fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * X.shape[0]), tol=1e-12, max_iter=10_000).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
    assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-7)


def test_softmax_is_centred_and_contrasts_are_mnlogit_params():
    X, y = logistic_problem(*PROBLEMS[2])
    clf = GDLogisticRegression(**TIGHT).fit(X, y)
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)
    # descent from zero keeps sum_k w_k = 0 (the minimum-norm ML solution)
    assert_allclose(clf.coef_.sum(axis=0), 0.0, atol=1e-12)
    assert_allclose(clf.intercept_.sum(), 0.0, atol=1e-12)
    ref = statsmodels_fit(X, y)
    contrasts = (
        np.hstack([clf.intercept_[:, None], clf.coef_])[1:]
        - np.r_[clf.intercept_[0], clf.coef_[0]]
    )
    assert_allclose(contrasts, np.asarray(ref.params).T, atol=1e-6)


def test_binary_model_is_the_lectures_sigmoid():
    X, y = logistic_problem(*PROBLEMS[0])
    labels = np.array(["yes", "no"])[y]  # y == 1 -> "no" = classes_[0]
    clf = GDLogisticRegression(**TIGHT).fit(X, labels)
    assert_array_equal(clf.classes_, ["no", "yes"])
    z = X @ clf.coef_[0] + clf.intercept_[0]
    # P(classes_[1] | x) = sigma(w . x + b)
    assert_allclose(clf.predict_proba(X)[:, 1], expit(z), rtol=1e-12)
    assert_allclose(clf.decision_function(X), z, rtol=1e-12)
    assert_array_equal(clf.predict(X), np.where(z > 0, "yes", "no"))
    # statsmodels with classes_[1] ("yes") as the event gives the same w, b
    ref = statsmodels_fit(X, (labels == "yes").astype(float))
    assert_allclose(np.r_[clf.intercept_, clf.coef_[0]], ref.params, atol=1e-6)


def test_coef_table_layout_with_feature_names_and_string_labels():
    X, y = logistic_problem(*PROBLEMS[2])
    Xd = pd.DataFrame(X, columns=["age", "dose", "weight", "height"])
    labels = np.array(["low", "mid", "high"])[y]
    clf = GDLogisticRegression(**TIGHT).fit(Xd, labels)
    table = clf.coef_table(Xd)
    assert list(table.columns) == [
        "term", "class", "reference", "coef", "std_err", "z", "pvalue", "ci_low", "ci_high"
    ]  # fmt: skip
    assert table["term"].tolist() == ["intercept", "age", "dose", "weight", "height"] * 2
    assert table["class"].tolist() == ["low"] * 5 + ["mid"] * 5
    assert set(table["reference"]) == {"high"}
    ref = sm.MNLogit(pd.Series(labels), sm.add_constant(Xd)).fit(disp=0, method="newton")
    assert_allclose(table["coef"], flat(ref.params), atol=1e-6)
    assert_allclose(table["std_err"], flat(ref.bse), rtol=1e-5)


# --- the pure functions ----------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_cross_entropy_gradient_matches_finite_differences(n_classes):
    X, y = logistic_problem(4, n_classes, 3, 50)
    n_out = 1 if n_classes == 2 else n_classes
    Y = y.astype(float) if n_classes == 2 else np.eye(n_classes)[y]
    rng = np.random.default_rng(0)
    theta = rng.normal(size=n_out * 4)

    def f(t):
        return cross_entropy(t[: n_out * 3].reshape(n_out, 3), t[n_out * 3 :], X, Y, 0.3)[0]

    _, g_coef, g_int = cross_entropy(theta[: n_out * 3].reshape(n_out, 3), theta[n_out * 3 :],
                                     X, Y, 0.3)  # fmt: skip
    assert_allclose(np.r_[g_coef.ravel(), g_int], approx_fprime(theta, f, 1e-7), atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_lipschitz_constant_bounds_the_hessian(n_classes):
    X, y = logistic_problem(5, n_classes, 3, 80)
    X = X * np.array([1.0, 3.0, 0.2]) + 1.0
    Xt = np.hstack([np.ones((80, 1)), X])
    L = lipschitz_constant(X, n_classes)
    L_batch = lipschitz_constant(X, n_classes, per_sample=True)
    rng = np.random.default_rng(1)
    for _ in range(20):
        scores = rng.normal(scale=0.5, size=(80, n_classes))
        if n_classes == 2:
            p = expit(scores[:, 0])
            H = (Xt * (p * (1 - p))[:, None]).T @ Xt / 80  # closed-form Hessian
        else:
            P = softmax(scores, axis=1)
            # closed-form Hessian: mean over n of (diag p - p p^T) kron x x^T
            H = sum(
                np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
                for p, x in zip(P, Xt, strict=True)
            )
            H = H / 80
        assert np.linalg.eigvalsh(H)[-1] <= L * (1 + 1e-12)
        assert L <= L_batch
    # the bound is attained by the sigmoid at p = 1/2
    if n_classes == 2:
        assert_allclose(L, 0.25 * np.linalg.eigvalsh(Xt.T @ Xt / 80)[-1])


def test_fisher_information_binary_closed_form():
    X, _ = logistic_problem(6, 2, 2, 40)
    p = expit(X @ np.array([0.5, -1.0]) + 0.2)
    Xt = np.hstack([np.ones((40, 1)), X])
    expected = (Xt * (p * (1 - p))[:, None]).T @ Xt  # sum_n p(1-p) x x^T
    assert_allclose(fisher_information(X, np.column_stack([1 - p, p])), expected, rtol=1e-12)


# --- optimisation behaviour ------------------------------------------------------------------


@pytest.mark.parametrize("problem", PROBLEMS)
def test_full_batch_loss_curve_is_monotone(problem):
    X, y = logistic_problem(*problem)
    clf = GDLogisticRegression().fit(X, y)
    assert clf.loss_curve_.shape == (clf.n_iter_,)
    assert np.all(np.diff(clf.loss_curve_) <= 1e-12)
    assert clf.loss_curve_[0] < np.log(problem[1])  # below the loss of the zero start
    assert_allclose(clf.learning_rate_, 1 / lipschitz_constant(X, problem[1]))


def test_stopping_rule_does_not_depend_on_the_units_of_the_features():
    # The MLE of X * s is w / s. The stopping rule is the gradient in standardised
    # coordinates, so the accuracy of w * s does not depend on s (measured: max error
    # 6.2e-6 at s = 1, 6.7e-6 at s = 0.1 and 0.3). Features in tiny units make gradient
    # descent hopelessly slow: that must be a ConvergenceWarning, not a fit declared
    # converged at the zero start (the plain gradient is below tol there: 3 steps, z = 0).
    X, y = logistic_problem(*PROBLEMS[0])
    ref = statsmodels_fit(X, y)
    for s in (0.1, 1.0):
        clf = GDLogisticRegression().fit(X * s, y)
        assert clf.converged_
        assert_allclose(clf.coef_[0] * s, ref.params[1:], rtol=0, atol=1e-4)
    for s in (1e-6, 1e-200):  # at 1e-200 the variance of a feature underflows float64
        with pytest.warns(ConvergenceWarning, match="max_iter=200"):
            clf = GDLogisticRegression(max_iter=200).fit(X * s, y)
        assert not clf.converged_


def test_max_iter_raises_convergence_warning():
    X, y = logistic_problem(*PROBLEMS[1])
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        clf = GDLogisticRegression(max_iter=5).fit(X, y)
    assert clf.n_iter_ == 5 and clf.loss_curve_.shape == (5,) and not clf.converged_
    with pytest.warns(ConvergenceWarning, match="not the maximum-likelihood estimate"):
        clf.coef_table(X)


def test_separable_data_does_not_converge():
    # no finite MLE: plain gradient descent keeps growing the weights until max_iter
    X = np.r_[np.linspace(-2, -0.5, 10), np.linspace(0.5, 2, 10)][:, None]
    y = np.r_[np.zeros(10), np.ones(10)]
    with pytest.warns(ConvergenceWarning, match="separable"):
        clf = GDLogisticRegression(max_iter=300, solver="gd").fit(X, y)
    assert clf.coef_[0, 0] > 5
    assert np.all(np.diff(clf.loss_curve_) < 0)
    # accelerated descent's growing steps reach a gradient below tol along the diverging
    # path: a fit that meets tol, but no maximum-likelihood estimate (coef_table refuses)
    fast = GDLogisticRegression().fit(X, y)
    assert fast.converged_ and fast.coef_[0, 0] > clf.coef_[0, 0]
    assert np.all(np.diff(fast.loss_curve_) <= 0)
    with pytest.raises(ValueError, match="perfectly separated"):
        fast.coef_table(X)


@pytest.mark.parametrize("batch_size", [None, 10])
@pytest.mark.parametrize("learning_rate", [1e3, 1e6, 1e308])
def test_diverging_loss_is_a_clear_error(learning_rate, batch_size):
    # 1e308 overflows the scores to inf: still this error, no NaN and no numpy warning
    X, y = logistic_problem(*PROBLEMS[2])
    clf = GDLogisticRegression(learning_rate=learning_rate, batch_size=batch_size, solver="gd")
    with pytest.raises(ValueError, match=re.escape(f"learning_rate={learning_rate!r}")) as info:
        clf.fit(X, y)
    assert "diverged" in str(info.value)


@pytest.mark.parametrize("learning_rate", [1e3, 1e308])
def test_accelerated_descent_backtracks_from_a_too_large_first_step(learning_rate):
    # the same steps that make plain descent diverge are only the first trial of "agd"
    X, y = logistic_problem(*PROBLEMS[2])
    clf = GDLogisticRegression(learning_rate=learning_rate, **TIGHT).fit(X, y)
    ref = GDLogisticRegression(**TIGHT).fit(X, y)
    assert clf.converged_ and np.all(np.diff(clf.loss_curve_) <= 1e-12)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-7, atol=1e-8)


def test_too_large_step_that_oscillates_is_named_in_the_warning():
    X, y = logistic_problem(*PROBLEMS[0])  # 1/L is about 3.6 here
    with pytest.warns(ConvergenceWarning, match="loss increased.*too large"):
        GDLogisticRegression(learning_rate=50.0, max_iter=100, solver="gd").fit(X, y)


@pytest.mark.parametrize("batch_size", [5, 16])
def test_minibatch_sgd_is_reproducible_and_close_to_the_mle(batch_size):
    X, y = logistic_problem(*PROBLEMS[2])
    a = GDLogisticRegression(batch_size=batch_size, random_state=3).fit(X, y)
    b = GDLogisticRegression(batch_size=batch_size, random_state=3).fit(X, y)
    c = GDLogisticRegression(batch_size=batch_size, random_state=4).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.loss_curve_, b.loss_curve_)
    assert not np.array_equal(a.coef_, c.coef_)
    assert a.converged_ and a.loss_curve_.shape == (a.n_iter_,)
    mle = GDLogisticRegression(**TIGHT).fit(X, y)
    # constant-step SGD stops in a neighbourhood of the optimum, not on it (measured over
    # random_state 0-3: loss gap <= 0.008 and largest coefficient error <= 0.123 for batches
    # of 5, <= 0.0008 and <= 0.032 for batches of 16)
    assert 0 <= a.loss_curve_[-1] - mle.loss_curve_[-1] < 0.02
    assert_allclose(a.coef_, mle.coef_, atol=0.25)


def test_batch_size_larger_than_data_is_full_batch_sgd():
    X, y = logistic_problem(*PROBLEMS[0])
    a = GDLogisticRegression(batch_size=10_000, learning_rate=1.0, max_iter=30, tol=0.0)
    b = GDLogisticRegression(learning_rate=1.0, max_iter=30, tol=0.0, solver="gd")
    with pytest.warns(ConvergenceWarning):
        a.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        b.fit(X, y)
    assert_allclose(a.coef_, b.coef_, rtol=1e-12)


# --- inference errors ------------------------------------------------------------------------


def test_coef_table_refuses_other_data_penalised_fits_and_singular_information():
    X, y = logistic_problem(*PROBLEMS[0])
    clf = GDLogisticRegression(**TIGHT).fit(X, y)
    with pytest.raises(ValueError, match="training data"):
        clf.coef_table(X[:-1])
    with pytest.raises(ValueError, match="training data"):
        clf.coef_table(X + 1e-9)
    with pytest.raises(ValueError, match="confidence_level"):
        clf.coef_table(X, confidence_level=95)
    # not a number: was "'<' not supported between instances of 'int' and 'NoneType'"
    for bad in (None, "0.95", True):
        with pytest.raises(TypeError, match=f"confidence_level must be a real number.*{bad!r}"):
            clf.coef_table(X, confidence_level=bad)
    with pytest.raises(ValueError, match="alpha=0.1"):
        GDLogisticRegression(alpha=0.1).fit(X, y).coef_table(X)
    # what counts is the alpha of the fit, not one set afterwards
    with pytest.raises(ValueError, match="alpha=0.1"):
        GDLogisticRegression(alpha=0.1).fit(X, y).set_params(alpha=0.0).coef_table(X)
    # a duplicated feature: GD converges (to the minimum-norm solution) but the MLE is not
    # identified, so there are no standard errors
    X_dup = np.hstack([X, X[:, :1]])
    dup = GDLogisticRegression(**TIGHT).fit(X_dup, y)
    assert dup.converged_
    with pytest.raises(ValueError, match="Fisher information is singular"):
        dup.coef_table(X_dup)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_coef_table_refuses_perfectly_separated_classes(n_classes):
    # Separable classes have no finite MLE (statsmodels' Logit/MNLogit report perfect
    # separation). With a loose tol gradient descent still "converges" at some finite weights,
    # whose Wald table (p-values of 0.008 were seen) would be meaningless.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5] if n_classes == 3 else [0.0])
    clf = GDLogisticRegression(tol=1e-3).fit(X, y)
    assert clf.converged_ and np.all(clf.predict(X) == y)
    with pytest.raises(ValueError, match="perfectly separate"):
        clf.coef_table(X)
    # an unconverged fit: the same error, not standard errors at an arbitrary point
    with pytest.warns(ConvergenceWarning, match="every training sample correctly"):
        slow = GDLogisticRegression(max_iter=500, solver="gd").fit(X, y)
    assert not slow.converged_ and np.all(slow.predict(X) == y)
    with pytest.raises(ValueError, match="perfectly separate"):
        slow.coef_covariance(X)
    # with an L2 penalty the estimate exists, but Wald inference is refused for alpha > 0 anyway
    with pytest.raises(ValueError, match="alpha=0.1"):
        GDLogisticRegression(alpha=0.1).fit(X, y).coef_table(X)


# --- estimator contract ----------------------------------------------------------------------


# The checks' data are unscaled and their labels a function of X[:, 0] (linearly separable):
# the unpenalised MLE does not exist and plain gradient descent stops on max_iter with a
# ConvergenceWarning, which is the documented, correct behaviour (tested above). Only that
# warning is ignored; max_iter is lowered to keep the checks fast.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        GDLogisticRegression(max_iter=200),
        GDLogisticRegression(max_iter=200, solver="gd"),
        GDLogisticRegression(batch_size=8, max_iter=20, random_state=0),
    ],
    expected_failed_checks=lambda est: (
        {
            name: "mini-batch SGD: repeated rows change the batches, so weights of 2 are "
            "not two copies (full-batch descent passes these checks)"
            for name in (
                "check_sample_weight_equivalence_on_dense_data",
                "check_sample_weight_equivalence_on_sparse_data",
            )
        }
        if est.batch_size is not None
        else {}
    ),
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_one_class_is_an_error():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="at least 2 classes; y has 1 class"):
        GDLogisticRegression().fit(X, np.ones(10))


@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate": -1.0},
        {"learning_rate": "fast"},
        {"max_iter": 0},
        {"tol": -1e-3},
        {"alpha": -0.1},
        {"batch_size": 0},
        {"n_iter_no_change": 0},
        {"random_state": "seed"},
        {"random_state": -1},
    ],
)
def test_bad_parameters(params):
    X, y = logistic_problem(*PROBLEMS[0])
    with pytest.raises(ValueError, match=list(params)[0]):
        GDLogisticRegression(**params).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [{"learning_rate": True}, {"max_iter": 2.5}, {"tol": "small"}, {"batch_size": 5.0},
     {"alpha": None}],
)  # fmt: skip
def test_parameters_of_the_wrong_kind(params):
    X, y = logistic_problem(*PROBLEMS[0])
    with pytest.raises(TypeError, match=f"{list(params)[0]} must be an? (int|real number)"):
        GDLogisticRegression(**params).fit(X, y)


def test_bad_inputs():
    X, y = logistic_problem(*PROBLEMS[0])
    clf = GDLogisticRegression()
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)
    X_inf = X.copy()
    X_inf[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.fit(X_inf, y)
    with pytest.raises(ValueError, match="continuous"):
        clf.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y[:-1])
    # squares overflow float64: a clear error (was scipy's "array must not contain infs")
    for batch_size in (None, 10):
        with pytest.raises(ValueError, match="too large to square"):
            clone(clf).set_params(batch_size=batch_size).fit(X * 1e160, y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(X[:, :2])


def test_overflowing_scores_are_a_clear_error_not_nan():
    # |x| near the float64 maximum: for three classes some softmax inputs overflow to +-inf
    # and the posteriors would be NaN; for two classes the log-odds are +-inf or finite
    # and log_expit gives exact 0 / -inf log probabilities, never NaN.
    X, y = logistic_problem(*PROBLEMS[2])
    clf = GDLogisticRegression().fit(X, y)
    X_far = np.vstack([X[:2], np.full((1, 4), 1.7e308)])
    for method in ("decision_function", "predict_log_proba", "predict_proba", "predict"):
        with pytest.raises(ValueError, match=r"1 sample\(s\) \(rows \[2\]\) overflow float64"):
            getattr(clf, method)(X_far)
    X2, y2 = logistic_problem(*PROBLEMS[0])
    binary = GDLogisticRegression().fit(X2, y2)
    logp = binary.predict_log_proba(np.full((2, 3), 1.7e308) * np.array([[1.0], [-1.0]]))
    assert not np.any(np.isnan(logp))
    assert_allclose(np.exp(logp).sum(axis=1), 1.0)


def test_non_contiguous_labels_and_float32():
    X, y = logistic_problem(*PROBLEMS[2])
    labels = np.array([-5, 10, 42])[y]
    X32 = X.astype(np.float32)
    clf = GDLogisticRegression().fit(X32, labels)
    assert_array_equal(clf.classes_, [-5, 10, 42])
    assert clf.coef_.dtype == np.float64
    # float32 input is converted exactly, so it is the float64 fit of the same values
    ref = GDLogisticRegression().fit(X32.astype(np.float64), labels)
    assert_array_equal(clf.coef_, ref.coef_)
    assert_allclose(clf.predict_proba(X), GDLogisticRegression().fit(X, labels).predict_proba(X),
                    atol=1e-5)  # fmt: skip


def test_pipeline_grid_search_cross_val_score():
    X, y = logistic_problem(*PROBLEMS[2])
    X = X * np.array([100.0, 0.01, 1.0, 5.0]) + 3.0  # badly scaled: the scaler fixes it
    pipe = make_pipeline(StandardScaler(), GDLogisticRegression())
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    # the same model as scikit-learn's unpenalised LogisticRegression: the same fold scores
    ref = cross_val_score(make_pipeline(StandardScaler(), unpenalised_sklearn()), X, y, cv=cv)
    assert scores.shape == (4,)
    assert_allclose(scores, ref, atol=0.011)  # at most one of 100 test points may differ
    assert_array_equal(cross_val_score(clone(pipe), X, y, cv=cv), scores)
    grid = GridSearchCV(
        pipe,
        {"gdlogisticregression__alpha": [0.0, 0.1], "gdlogisticregression__batch_size": [None]},
        cv=cv,
    ).fit(X, y)
    assert grid.best_params_["gdlogisticregression__alpha"] in (0.0, 0.1)
    # inference through a pipeline uses the transformed training data
    fitted = pipe.fit(X, y)
    table = fitted[-1].coef_table(fitted[:-1].transform(X))
    assert table.shape == (10, 9)


def test_clone_and_pickle():
    X, y = logistic_problem(*PROBLEMS[3])
    clf = GDLogisticRegression(batch_size=32, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(restored.loss_curve_, clf.loss_curve_)
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "coef_")
    assert_array_equal(fresh.fit(X, y).coef_, clf.coef_)


def test_convergence_warning_advises_standardising_only_unscaled_features():
    # the advice "standardise the features" is wrong inside Pipeline(StandardScaler, ...)
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="standardise the features"):
        GDLogisticRegression(max_iter=20).fit(X, y)
    with pytest.warns(ConvergenceWarning) as record:
        GDLogisticRegression(max_iter=20).fit(StandardScaler().fit_transform(X), y)
    assert "standardise the features" not in str(record[0].message)


# --- issue 13: sample and class weights, acceleration, small loss curves, sparse input ----------


@pytest.mark.parametrize("solver", ["agd", "gd"])
@pytest.mark.parametrize("problem", [PROBLEMS[0], PROBLEMS[2]])
def test_integer_weights_are_repeated_rows(problem, solver):
    X, y = logistic_problem(*problem)
    w = np.random.default_rng(problem[0]).integers(0, 4, size=len(y))
    kw = dict(solver=solver, tol=1e-9, max_iter=50_000)
    weighted = GDLogisticRegression(**kw).fit(X, y, sample_weight=w)
    repeated = GDLogisticRegression(**kw).fit(np.repeat(X, w, 0), np.repeat(y, w))
    assert weighted.converged_ and repeated.converged_
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7, atol=1e-9)
    # and the Wald table of the weights (frequency weights) is that of the repeated rows
    table = weighted.coef_table(X, sample_weight=w)
    ref = repeated.coef_table(np.repeat(X, w, 0))
    assert_allclose(table["std_err"], ref["std_err"], rtol=1e-6)
    with pytest.raises(ValueError, match="need the sample_weight the model was fitted with"):
        weighted.coef_table(X)


@pytest.mark.parametrize("problem", [PROBLEMS[1], PROBLEMS[3]])
def test_weighted_and_class_weighted_fits_match_sklearn(problem):
    # sklearn minimises C sum s_n l_n + 1/2 ||W||^2: alpha = 1 / (C sum s_n), where s_n
    # includes the class weights (compute_class_weight, as LogisticRegression)
    X, y = logistic_problem(*problem)
    w = np.random.default_rng(7).uniform(0.2, 3.0, size=len(y))
    C = 0.5
    classes = np.unique(y)
    for class_weight in [None, "balanced", {int(classes[0]): 3.0, int(classes[-1]): 0.5}]:
        ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000, class_weight=class_weight)
        ref.fit(X, y, sample_weight=w)
        from sklearn.utils.class_weight import compute_class_weight

        cw = compute_class_weight(class_weight, classes=classes, y=y, sample_weight=w)
        total = np.sum(w * cw[np.searchsorted(classes, y)])
        ours = GDLogisticRegression(alpha=1 / (C * total), class_weight=class_weight, **TIGHT)
        ours.fit(X, y, sample_weight=w)
        assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
        assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        GDLogisticRegression(class_weight="balanced").fit(X, y).coef_table(X)


def test_sample_weight_through_metadata_routing():
    from sklearn.model_selection import cross_validate

    X, y = logistic_problem(*PROBLEMS[0])
    w = np.random.default_rng(8).integers(1, 4, size=len(y)).astype(float)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = GDLogisticRegression().set_fit_request(sample_weight=True)
        clf = clf.set_score_request(sample_weight=False)
        routed = cross_validate(clf, X, y, cv=cv, params={"sample_weight": w},
                                return_estimator=True)  # fmt: skip
    for est, (train, _) in zip(routed["estimator"], cv.split(X, y), strict=True):
        ref = GDLogisticRegression().fit(X[train], y[train], sample_weight=w[train])
        assert_array_equal(est.coef_, ref.coef_)
        assert not np.allclose(est.coef_, GDLogisticRegression().fit(X[train], y[train]).coef_)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"solver": "newton"}, ValueError, "solver"),
        ({"class_weight": "auto"}, ValueError, "class_weight must be None, 'balanced'"),
        ({"class_weight": [1, 2]}, TypeError, "class_weight must be None, 'balanced'"),
        ({"class_weight": {7: 2.0}}, ValueError, r"label\(s\) \[7\] that are not in y"),
        ({"class_weight": {0: -1.0}}, ValueError, "finite and >= 0"),
    ],
)
def test_bad_solver_and_class_weight(params, error, match):
    X, y = logistic_problem(*PROBLEMS[0])
    with pytest.raises(error, match=match):
        GDLogisticRegression(**params).fit(X, y)


@pytest.mark.parametrize(
    ("name", "most_iterations"), [("breast_cancer", 8000), ("iris", 1000), ("wine", 200)]
)
def test_accelerated_descent_converges_on_standardised_benchmarks(name, most_iterations):
    # plain descent stops on max_iter=10000 with a ConvergenceWarning on all three (measured:
    # 0.6-0.9 s each); accelerated descent met tol=1e-6 after 6,396 / 411 / 93 iterations.
    # breast_cancer and wine are linearly separable and iris's setosa is: no finite MLE,
    # tol is met along growing weights, with nearly sklearn's training loss
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = GDLogisticRegression().fit(X, y)
    assert clf.converged_ and clf.n_iter_ <= most_iterations
    assert np.all(np.diff(clf.loss_curve_) <= 1e-12)
    with pytest.warns(ConvergenceWarning, match="max_iter=1000"):
        GDLogisticRegression(solver="gd", max_iter=1000).fit(X, y)
    if name == "iris":  # the training loss of sklearn's unpenalised fit (lbfgs), to 1e-3
        ref = unpenalised_sklearn().fit(X, y)
        assert clf.loss_curve_[-1] == pytest.approx(log_loss(y, ref.predict_proba(X)), abs=1e-3)
    else:  # separable: the fit found a separating hyperplane
        assert np.all(clf.predict(X) == y)


def test_long_fits_keep_a_thinned_loss_curve():
    X, y = logistic_problem(*PROBLEMS[2])
    X = X / 50.0  # badly scaled: plain descent needs many steps
    with pytest.warns(ConvergenceWarning):
        clf = GDLogisticRegression(solver="gd", max_iter=5000).fit(X, y)
    it = clf.loss_curve_iter_
    assert len(clf.loss_curve_) == len(it) <= 1001
    assert it[0] >= 1 and it[-1] == clf.n_iter_ == 5000 and np.all(np.diff(it) > 0)
    # the points are the losses of those iterations: a run stopped there ends on them
    for stop in (it[len(it) // 2], it[-2]):
        with pytest.warns(ConvergenceWarning):
            short = GDLogisticRegression(solver="gd", max_iter=int(stop)).fit(X, y)
        assert short.loss_curve_[-1] == pytest.approx(
            clf.loss_curve_[list(it).index(stop)], rel=1e-12
        )
    assert len(pickle.dumps(clf)) < 25_000  # the full curve alone would be 40 kB
    short = GDLogisticRegression().fit(*logistic_problem(*PROBLEMS[0]))
    assert_array_equal(short.loss_curve_iter_, np.arange(1, short.n_iter_ + 1))


@pytest.mark.parametrize(
    "params",
    [{}, {"solver": "gd", "max_iter": 300}, {"batch_size": 16, "random_state": 0}, {"alpha": 0.1}],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_input_gives_the_dense_fit(params, weighted):
    from scipy import sparse

    X, y = logistic_problem(*PROBLEMS[2])
    X[np.abs(X) < 0.7] = 0.0  # about half the entries
    w = np.random.default_rng(9).uniform(0.5, 2, size=len(y)) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = GDLogisticRegression(**params).fit(X, y, sample_weight=w)
        for fmt in (sparse.csr_matrix, sparse.csc_array):
            sp = GDLogisticRegression(**params).fit(fmt(X), y, sample_weight=w)
            assert sp.n_iter_ == dense.n_iter_
            assert_allclose(sp.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
            assert_allclose(sp.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-9)
    if not params and not weighted:
        assert_allclose(sp.coef_table(sparse.csr_matrix(X))["std_err"],
                        dense.coef_table(X)["std_err"], rtol=1e-9)  # fmt: skip


# --------------------------------------------------------------------------- fit_splits
def _curve_splits(n_classes, n_splits=6):
    from sklearn.model_selection import KFold

    from clfcompare.datasets import load_curve

    X, y = load_curve(n_classes)
    X = StandardScaler().fit_transform(X)
    # KFold(7) gives training sets of different sizes (the padding is exercised)
    splits = [tr for tr, _ in KFold(7, shuffle=True, random_state=1).split(X)][:n_splits]
    return X, y, splits


def _assert_same_fit(a, b):
    """Bitwise-or-rounding equality of two fits (the batched sums may reorder additions)."""
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_
    assert_array_equal(a.classes_, b.classes_)
    assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-12)
    assert_allclose(a.intercept_, b.intercept_, rtol=1e-12, atol=1e-12)
    assert_array_equal(a.loss_curve_iter_, b.loss_curve_iter_)
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-12, atol=1e-14)
    assert a.learning_rate_ == b.learning_rate_


@pytest.mark.parametrize("solver", ["agd", "gd"])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_fit_splits_equals_one_by_one(solver, n_classes, alpha):
    X, y, splits = _curve_splits(n_classes)
    est = GDLogisticRegression(solver=solver, alpha=alpha, max_iter=3000, random_state=3)
    seeds = list(range(10, 10 + len(splits)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        batched = est.fit_splits(X, y, splits, random_states=seeds)
        alone = [
            clone(est).set_params(random_state=s).fit(X[idx], y[idx])
            for s, idx in zip(seeds, splits, strict=True)
        ]
    assert len({f.n_iter_ for f in alone}) > 1  # the fits stop at different iterations
    for a, b, s in zip(alone, batched, seeds, strict=True):
        _assert_same_fit(a, b)
        assert b.random_state == s
    assert est.random_state == 3 and not hasattr(est, "coef_")  # self is not changed


def test_fit_splits_runs_batched(monkeypatch):
    # the full-batch dense path must not call the one-by-one descent at all
    from clfcompare.estimators import logistic

    def refuse(*args, **kwargs):
        raise AssertionError("gradient_descent called: fit_splits did not batch")

    X, y, splits = _curve_splits(4, 3)
    expected = [GDLogisticRegression().fit(X[i], y[i]) for i in splits]
    monkeypatch.setattr(logistic, "gradient_descent", refuse)
    for a, b in zip(expected, GDLogisticRegression().fit_splits(X, y, splits), strict=True):
        _assert_same_fit(a, b)


def test_fit_splits_max_iter_warns_and_missing_class_groups():
    X, y, splits = _curve_splits(4, 3)
    # a split without class 3: a 3-class fit, batched in its own group
    splits = [*splits, np.flatnonzero(y != 3)]
    est = GDLogisticRegression(max_iter=5)
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        batched = est.fit_splits(X, y, splits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        alone = [clone(est).fit(X[i], y[i]) for i in splits]
    assert batched[-1].coef_.shape == (3, 2)
    for a, b in zip(alone, batched, strict=True):
        _assert_same_fit(a, b)
        assert not b.converged_


def test_fit_splits_divergence_raises_like_fit():
    X, y, splits = _curve_splits(2, 2)
    est = GDLogisticRegression(solver="gd", learning_rate=500.0)
    with pytest.raises(ValueError, match="diverged") as one:
        clone(est).fit(X[splits[0]], y[splits[0]])
    with pytest.raises(ValueError, match="diverged") as many:
        est.fit_splits(X, y, splits)
    assert str(many.value) == str(one.value)


@pytest.mark.parametrize(
    "params, weighted",
    [
        ({"batch_size": 16, "max_iter": 30}, False),
        ({}, True),
        ({"class_weight": "balanced"}, False),
    ],
)
def test_fit_splits_fallback_equals_one_by_one(params, weighted):
    X, y, splits = _curve_splits(2, 3)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    est = GDLogisticRegression(**params)
    seeds = [5, 6, 7]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        batched = est.fit_splits(X, y, splits, random_states=seeds, sample_weight=w)
        alone = [
            clone(est)
            .set_params(random_state=s)
            .fit(X[i], y[i], sample_weight=None if w is None else w[i])
            for s, i in zip(seeds, splits, strict=True)
        ]
    for a, b in zip(alone, batched, strict=True):
        assert_array_equal(a.coef_, b.coef_)
        assert a.n_iter_ == b.n_iter_
    if params.get("batch_size"):  # the seeds matter, so the equality above checks them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            other = clone(est).set_params(random_state=6).fit(X[splits[0]], y[splits[0]])
        assert not np.array_equal(other.coef_, batched[0].coef_)


def test_fit_splits_sparse_falls_back():
    from scipy import sparse

    X, y, splits = _curve_splits(2, 2)
    Xs = sparse.csr_matrix(X)
    for a, b in zip(
        [GDLogisticRegression().fit(Xs[i], y[i]) for i in splits],
        GDLogisticRegression().fit_splits(Xs, y, splits),
        strict=True,
    ):
        assert_array_equal(a.coef_, b.coef_)


def test_fit_splits_bad_input():
    X, y, splits = _curve_splits(2, 2)
    est = GDLogisticRegression()
    with pytest.raises(TypeError, match="train_indices must be a list"):
        est.fit_splits(X, y, splits[0])
    with pytest.raises(ValueError, match="train_indices is empty"):
        est.fit_splits(X, y, [])
    with pytest.raises(ValueError, match=r"train_indices\[1\] has row numbers outside"):
        est.fit_splits(X, y, [splits[0], np.array([0, len(y)])])
    with pytest.raises(TypeError, match=r"train_indices\[0\] must be a 1-D integer"):
        est.fit_splits(X, y, [np.array([0.0, 1.0])])
    with pytest.raises(ValueError, match="random_states has 1 entries for 2 splits"):
        est.fit_splits(X, y, splits, random_states=[0])
    with pytest.raises(TypeError, match="random_states must be a list"):
        est.fit_splits(X, y, splits, random_states=3)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        est.fit_splits(X, y, splits, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="solver"):
        GDLogisticRegression(solver="newton").fit_splits(X, y, splits)


def test_run_trials_uses_fit_splits_with_the_same_scores():
    from sklearn.model_selection import KFold

    from clfcompare.trials import run_trials

    X, y, _ = _curve_splits(4, 1)
    est = GDLogisticRegression(random_state=0)

    class OneByOne(GDLogisticRegression):  # the same model without the hook
        fit_splits = None

    cv = KFold(5, shuffle=True, random_state=0)
    fast = run_trials({"m": est}, X, y, cv=cv, progress=False)
    slow = run_trials({"m": OneByOne(random_state=0)}, X, y, cv=cv, progress=False)
    cols = [c for c in fast.scores.columns if c not in ("fit_time", "score_time")]
    assert len(fast.scores) == 5
    assert fast.scores["fit_time"].nunique() == 1  # one fit_splits call, its time shared
    assert slow.scores["fit_time"].nunique() == 5
    pd.testing.assert_frame_equal(fast.scores[cols], slow.scores[cols])
