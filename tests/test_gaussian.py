"""Tests of clfcompare.estimators.gaussian.

Reference values come from scikit-learn's LinearDiscriminantAnalysis /
QuadraticDiscriminantAnalysis, from scipy.stats.multivariate_normal with covariances computed
here by numpy (the closed form of the model), and from the lecture's two-class formula
w = (mu1 - mu2)^T Sigma^-1, b = -1/2 mu1^T Sigma^-1 mu1 + 1/2 mu2^T Sigma^-1 mu2 + ln(N1/N2).
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import linalg
from scipy.special import expit, logsumexp
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from clfcompare.estimators.gaussian import (
    GaussianGenerativeClassifier,
    class_covariances,
    class_means,
    covariance_cholesky,
    gaussian_log_density,
    pooled_covariance,
)

# (seed, n_classes, n_features, samples per class)
PROBLEMS = [(0, 2, 2, 40), (1, 2, 5, 60), (2, 3, 3, 50), (3, 4, 2, 30), (4, 3, 6, 80)]


def gaussian_problem(seed, n_classes, n_features, n_per_class, *, shared=False):
    """Gaussian classes with random means and random (shared or per-class) covariances."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    A = rng.normal(size=(n_features, n_features))
    for k in range(n_classes):
        if not shared:
            A = rng.normal(size=(n_features, n_features))
        cov = A @ A.T / n_features + 0.2 * np.eye(n_features)
        mean = rng.normal(scale=1.5, size=n_features)
        X.append(rng.multivariate_normal(mean, cov, size=n_per_class + k))
        y.append(np.full(n_per_class + k, k))
    X, y = np.vstack(X), np.concatenate(y)
    order = rng.permutation(y.shape[0])
    return X[order], y[order]


def closed_form_log_posterior(X_train, y_train, X, *, shared, priors=None, reg=0.0):
    """Bayes' rule with scipy.stats.multivariate_normal and numpy ML covariances."""
    classes = np.unique(y_train)
    n = y_train.shape[0]
    D = X_train.shape[1]
    counts = np.array([np.sum(y_train == c) for c in classes])
    priors = counts / n if priors is None else np.asarray(priors)
    means = [X_train[y_train == c].mean(axis=0) for c in classes]
    covs = [np.atleast_2d(np.cov(X_train[y_train == c], rowvar=False, bias=True)) for c in classes]
    if shared:
        pooled = sum(nk / n * S for nk, S in zip(counts, covs, strict=True))
        covs = [pooled] * len(classes)
    jll = np.column_stack(
        [
            multivariate_normal(m, S + reg * np.eye(D)).logpdf(X).reshape(-1) + np.log(p)
            for m, S, p in zip(means, covs, priors, strict=True)
        ]
    )
    return jll - logsumexp(jll, axis=1, keepdims=True)


# --- parity with scikit-learn and with the closed form ------------------------------------


@pytest.mark.parametrize("solver", ["lsqr", "eigen", "svd"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_shared_matches_sklearn_lda(problem, solver):
    # LDA's lsqr/eigen solvers use the pooled ML covariance sum_k (N_k/N) Sigma_k (divide by
    # N), the same estimator as ours; so does the svd solver of scikit-learn 1.9 (checked).
    X, y = gaussian_problem(*problem, shared=True)
    X_test, _ = gaussian_problem(problem[0] + 100, *problem[1:])
    ours = GaussianGenerativeClassifier().fit(X, y)
    lda = LinearDiscriminantAnalysis(solver=solver, store_covariance=True).fit(X, y)
    n, k = y.size, problem[1]
    if solver == "svd" and np.allclose(lda.covariance_, ours.covariance_ * n / (n - k)):
        pytest.skip("this scikit-learn's svd solver divides by N - K; lsqr/eigen are compared")
    assert_allclose(ours.means_, lda.means_, rtol=1e-12, atol=1e-12)
    assert_allclose(ours.covariance_, lda.covariance_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.priors_, lda.priors_, rtol=1e-14)
    assert_allclose(ours.predict_proba(X_test), lda.predict_proba(X_test), rtol=0, atol=1e-8)
    assert_array_equal(ours.predict(X_test), lda.predict(X_test))


@pytest.mark.parametrize("problem", PROBLEMS)
def test_separate_matches_sklearn_qda(problem):
    X, y = gaussian_problem(*problem)
    X_test, _ = gaussian_problem(problem[0] + 100, *problem[1:])
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    ml = [np.cov(X[y == k], rowvar=False, bias=True) for k in np.unique(y)]
    unbiased = [np.cov(X[y == k], rowvar=False) for k in np.unique(y)]
    if np.allclose(qda.covariance_, unbiased) and not np.allclose(qda.covariance_, ml):
        pytest.skip("this scikit-learn's QDA divides by N_k - 1 (<= 1.7); covered by the formula")
    # scikit-learn 1.9 (svd solver): the ML covariance, dividing by N_k, like ours.
    assert_allclose(qda.covariance_, ml, rtol=1e-10, atol=1e-12)
    ours = GaussianGenerativeClassifier(covariance="separate").fit(X, y)
    assert_allclose(ours.covariances_, ml, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.predict_proba(X_test), qda.predict_proba(X_test), rtol=0, atol=1e-8)
    assert_array_equal(ours.predict(X_test), qda.predict(X_test))


@pytest.mark.parametrize("covariance", ["shared", "separate"])
@pytest.mark.parametrize("problem", PROBLEMS)
def test_posteriors_match_closed_form(problem, covariance):
    X, y = gaussian_problem(*problem)
    X_test, _ = gaussian_problem(problem[0] + 100, *problem[1:])
    shared = covariance == "shared"
    ref = closed_form_log_posterior(X, y, X_test, shared=shared)
    ours = GaussianGenerativeClassifier(covariance=covariance).fit(X, y)
    assert_allclose(ours.predict_log_proba(X_test), ref, rtol=1e-8, atol=1e-8)
    assert_allclose(ours.predict_proba(X_test), np.exp(ref), rtol=0, atol=1e-8)


@pytest.mark.parametrize("covariance", ["shared", "separate"])
def test_priors_and_reg_covar_match_closed_form(covariance):
    X, y = gaussian_problem(5, 3, 3, 40)
    X_test, _ = gaussian_problem(105, 3, 3, 20)
    priors = [0.2, 0.5, 0.3]
    ref = closed_form_log_posterior(
        X, y, X_test, shared=covariance == "shared", priors=priors, reg=0.3
    )
    ours = GaussianGenerativeClassifier(covariance=covariance, priors=priors, reg_covar=0.3)
    assert_allclose(ours.fit(X, y).predict_log_proba(X_test), ref, rtol=1e-8, atol=1e-8)
    assert_allclose(ours.priors_, priors)


def test_far_points_have_finite_log_posteriors():
    # 1e3 standard deviations away every density underflows to 0 in linear space; Bayes'
    # rule in log space still gives finite log posteriors equal to the closed form's.
    X, y = gaussian_problem(6, 3, 2, 40)
    X_far = np.array([[1e3, -1e3], [-2e3, 5e2]])
    for covariance in ("shared", "separate"):
        clf = GaussianGenerativeClassifier(covariance=covariance).fit(X, y)
        logp = clf.predict_log_proba(X_far)
        assert np.all(np.isfinite(logp))
        ref = closed_form_log_posterior(X, y, X_far, shared=covariance == "shared")
        assert_allclose(logp, ref, rtol=1e-7, atol=1e-8)
        assert_allclose(clf.predict_proba(X_far).sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_overflowing_densities_are_a_clear_error_not_nan(n_classes):
    # 1e200 from the means the squared Mahalanobis distance overflows float64 for every class,
    # so log f_k(x) = -inf for all k and Bayes' rule is 0/0. Before the check this gave NaN
    # posteriors and predict silently returned classes_[0].
    X, y = gaussian_problem(6, n_classes, 2, 40)
    clf = GaussianGenerativeClassifier(covariance="separate").fit(X, y)
    X_far = np.array([[0.0, 0.0], [1e200, -1e200]])
    for method in ("decision_function", "predict_log_proba", "predict_proba", "predict"):
        with pytest.raises(ValueError, match=r"1 sample\(s\) \(rows \[1\]\) overflow float64"):
            getattr(clf, method)(X_far)
    # the shared model is linear: its scores stay finite there, as do its log posteriors
    shared = GaussianGenerativeClassifier().fit(X, y)
    assert np.all(np.isfinite(shared.predict_log_proba(X_far)))


def test_pure_functions_match_numpy():
    X, y = gaussian_problem(7, 3, 4, 30)
    means = class_means(X, y, 3)
    assert_allclose(means, [X[y == k].mean(axis=0) for k in range(3)], rtol=1e-13)
    covs = class_covariances(X, y, means)
    assert_allclose(covs, [np.cov(X[y == k], rowvar=False, bias=True) for k in range(3)])
    counts = np.bincount(y)
    assert_allclose(pooled_covariance(X, y, means), np.tensordot(counts / y.size, covs, 1))
    chol = linalg.cholesky(covs[1], lower=True)
    assert_allclose(
        gaussian_log_density(X, means[1], chol),
        multivariate_normal(means[1], covs[1]).logpdf(X),
        rtol=1e-12,
    )


# --- the lecture's two-class formula and the sign convention --------------------------------


@pytest.mark.parametrize("priors", [None, [0.3, 0.7]])
def test_two_class_coef_is_the_lectures_w_and_b(priors):
    X, y = gaussian_problem(8, 2, 3, 50, shared=True)
    clf = GaussianGenerativeClassifier(priors=priors).fit(X, y)
    # the lecture: C1 is classes_[1], C2 is classes_[0]
    mu1, mu2 = X[y == 1].mean(axis=0), X[y == 0].mean(axis=0)
    n1, n2 = np.sum(y == 1), np.sum(y == 0)
    sigma = n1 / y.size * np.cov(X[y == 1], rowvar=False, bias=True) + n2 / y.size * np.cov(
        X[y == 0], rowvar=False, bias=True
    )
    inv = np.linalg.inv(sigma)
    log_prior_ratio = np.log(n1 / n2) if priors is None else np.log(priors[1] / priors[0])
    w = (mu1 - mu2) @ inv
    b = -0.5 * mu1 @ inv @ mu1 + 0.5 * mu2 @ inv @ mu2 + log_prior_ratio
    assert clf.coef_.shape == (1, 3) and clf.intercept_.shape == (1,)
    assert_allclose(clf.coef_[0], w, rtol=1e-9)
    assert_allclose(clf.intercept_[0], b, rtol=1e-9)
    # P(C1 | x) = sigma(w . x + b) is the probability of classes_[1]
    assert_allclose(clf.predict_proba(X)[:, 1], expit(X @ w + b), rtol=1e-9, atol=1e-12)
    assert_allclose(clf.decision_function(X), X @ w + b, rtol=1e-9, atol=1e-9)


def test_k_class_linear_discriminants():
    X, y = gaussian_problem(9, 4, 3, 30, shared=True)
    clf = GaussianGenerativeClassifier().fit(X, y)
    inv = np.linalg.inv(clf.covariance_)
    # formula: w_k = Sigma^-1 mu_k, b_k = -1/2 mu_k^T Sigma^-1 mu_k + ln(N_k / N)
    W = clf.means_ @ inv
    b = -0.5 * np.einsum("kd,kd->k", W, clf.means_) + np.log(np.bincount(y) / y.size)
    assert clf.coef_.shape == (4, 3)
    assert_allclose(clf.coef_, W, rtol=1e-9)
    assert_allclose(clf.intercept_, b, rtol=1e-9)
    # computed about the training mean m: the discriminants less the constant m^T Sigma^-1 m / 2
    m = X.mean(axis=0)
    shift = 0.5 * m @ inv @ m
    assert_allclose(clf.decision_function(X), X @ W.T + b - shift, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("covariance", ["shared", "separate"])
def test_sign_convention_with_string_labels(covariance):
    X, y = gaussian_problem(10, 2, 2, 40)
    labels = np.array(["zebra", "ant"])[y]  # class 1 -> "ant" = classes_[0]
    clf = GaussianGenerativeClassifier(covariance=covariance).fit(X, labels)
    assert_array_equal(clf.classes_, ["ant", "zebra"])
    scores = clf.decision_function(X)
    assert scores.shape == (X.shape[0],)
    assert_array_equal(clf.predict(X), np.where(scores > 0, "zebra", "ant"))
    logp = clf.predict_log_proba(X)
    assert_allclose(scores, logp[:, 1] - logp[:, 0], rtol=1e-9, atol=1e-9)


# --- singular covariances -------------------------------------------------------------------


def singular_cases():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 3))
    y = np.repeat([0, 1, 2], 20)
    const = X.copy()
    const[:, 1] = 4.2
    collinear = X.copy()
    collinear[:, 2] = 2 * X[:, 0] - X[:, 1]
    near = collinear.copy()
    near[:, 2] += 1e-9 * rng.normal(size=60)
    wide = rng.normal(size=(12, 5))  # 4 samples per class, 5 features
    y_wide = np.repeat([0, 1, 2], 4)
    return {
        "constant feature": (const, y, "shared", "zero variance"),
        "constant feature, separate": (const, y, "separate", "zero variance"),
        "collinear": (collinear, y, "shared", "collinear"),
        "nearly collinear": (near, y, "separate", "collinear"),
        "fewer samples than features": (wide, y_wide, "separate", "has 4 sample"),
        "N - K < D": (wide[:7], np.array([0, 0, 0, 1, 1, 2, 2]), "shared", "rank at most"),
    }


@pytest.mark.parametrize("case", list(singular_cases()))
def test_singular_covariance_is_a_clear_error(case):
    X, y, covariance, cause = singular_cases()[case]
    clf = GaussianGenerativeClassifier(covariance=covariance)
    with pytest.raises(ValueError, match="reg_covar") as info:
        clf.fit(X, y)
    assert cause in str(info.value)
    # the documented way out: a regularised fit with finite posteriors
    clf.set_params(reg_covar=1e-3).fit(X, y)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("covariance", ["shared", "separate"])
def test_features_too_small_to_square_are_named_as_such(covariance):
    # at 1e-200 the squares underflow to 0: the variance is lost, but the feature is not
    # constant, so the message says to rescale (not "zero variance"); 1e-150 still fits
    X, y = gaussian_problem(12, 3, 2, 20)
    with pytest.raises(ValueError, match=r"too small to square"):
        GaussianGenerativeClassifier(covariance=covariance).fit(X * 1e-200, y)
    small = GaussianGenerativeClassifier(covariance=covariance).fit(X * 1e-150, y)
    ref = GaussianGenerativeClassifier(covariance=covariance).fit(X, y)
    assert_allclose(small.predict_proba(X * 1e-150), ref.predict_proba(X), rtol=1e-9, atol=1e-12)


def test_covariance_cholesky_checks_are_scale_free():
    # features in wildly different units are fine: the checks use the correlation matrix
    rng = np.random.default_rng(12)
    X = rng.normal(size=(50, 2)) * np.array([1e-6, 1e6])
    cov = np.cov(X, rowvar=False, bias=True)
    L = covariance_cholesky(cov, scale=np.abs(X).max(axis=0), what="cov", reg_covar=0.0)
    assert_allclose(L @ L.T, cov, rtol=1e-12)


# --- estimator contract ---------------------------------------------------------------------


def expected_failed_checks(estimator):
    # check_array_api_input only runs with SCIPY_ARRAY_API=1 (skipped otherwise). Its data,
    # make_classification(n_samples=30, n_features=10), have 2 redundant features that are
    # exact linear combinations of the informative ones: the covariance is singular, and
    # the unregularised model refuses it by design (test_singular_covariance_is_a_clear_error).
    # The regularised instance runs the check and passes. The sample-weight checks' data
    # have a feature that is constant within each class (or 30 features for 15 samples):
    # singular covariances again; the instances with reg_covar, shrinkage or
    # allow_singular=True run those checks.
    if estimator.reg_covar == 0 and not estimator.allow_singular and estimator.shrinkage is None:
        singular = "check data with a within-class constant feature: singular covariance"
        return {
            "check_array_api_input": "collinear check data: singular covariance",
            "check_sample_weights_shape": singular,
            "check_sample_weights_not_overwritten": singular,
            "check_sample_weight_equivalence_on_dense_data": "30 features, 15 samples: singular",
        }
    return {}


@parametrize_with_checks(
    [
        GaussianGenerativeClassifier(),
        GaussianGenerativeClassifier(covariance="separate"),
        GaussianGenerativeClassifier(covariance="separate", reg_covar=1e-3),
        GaussianGenerativeClassifier(allow_singular=True),
        GaussianGenerativeClassifier(covariance="separate", allow_singular=True),
        GaussianGenerativeClassifier(shrinkage=0.5),
        GaussianGenerativeClassifier(shrinkage="auto", allow_singular=True),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_one_class_is_an_error():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="at least 2 classes; y has 1 class"):
        GaussianGenerativeClassifier().fit(X, np.zeros(10))


@pytest.mark.parametrize(
    "priors, message",
    [
        ([0.5, 0.5], r"shape \(3,\)"),
        ([0.5, 0.6, -0.1], "positive"),
        ([0.2, 0.2, 0.2], "sum to 1"),
        ([0.2, np.nan, 0.8], "finite"),
        (["a", "b", "c"], "must be numbers"),
    ],
)
def test_bad_priors(priors, message):
    X, y = gaussian_problem(13, 3, 2, 20)
    with pytest.raises(ValueError, match=message):
        GaussianGenerativeClassifier(priors=priors).fit(X, y)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"covariance": "diagonal"}, ValueError),
        ({"covariance": ["shared"]}, ValueError),
        ({"reg_covar": -1.0}, ValueError),
        ({"reg_covar": np.nan}, ValueError),
        ({"reg_covar": "big"}, TypeError),  # the wrong kind of value (was sklearn's
        ({"reg_covar": True}, TypeError),  # InvalidParameterError, a ValueError and TypeError)
    ],
)
def test_bad_parameters(params, error):
    X, y = gaussian_problem(13, 2, 2, 20)
    with pytest.raises(error, match=list(params)[0]):
        GaussianGenerativeClassifier(**params).fit(X, y)


def test_bad_inputs():
    X, y = gaussian_problem(14, 2, 3, 20)
    clf = GaussianGenerativeClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    with pytest.raises(ValueError, match="continuous"):
        clf.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="non-finite"):  # the covariance overflows
        clf.fit(X * 1e200, y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(X[:, :2])


@pytest.mark.parametrize("covariance", ["shared", "separate"])
def test_non_contiguous_labels_and_float32(covariance):
    X, y = gaussian_problem(15, 3, 2, 30)
    labels = np.array([3, 7, 11])[y]
    X32 = X.astype(np.float32)
    clf = GaussianGenerativeClassifier(covariance=covariance)
    proba32 = clf.fit(X32, labels).predict_proba(X32)
    assert_array_equal(clf.classes_, [3, 7, 11])
    assert set(clf.predict(X32)) <= {3, 7, 11}
    assert proba32.dtype == np.float64
    # float32 input is converted exactly to float64, so it is the float64 fit of those values
    proba64 = clone(clf).fit(X32.astype(np.float64), labels).predict_proba(X32)
    assert_array_equal(proba32, proba64)
    # and within float32 rounding of the fit on the unrounded data
    assert_allclose(proba32, clone(clf).fit(X, labels).predict_proba(X), atol=1e-4)


def test_pipeline_grid_search_cross_val_score():
    X, y = gaussian_problem(16, 3, 3, 40)
    pipe = make_pipeline(StandardScaler(), GaussianGenerativeClassifier())
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    assert scores.shape == (5,) and np.all((scores > 0.5) & (scores <= 1))
    grid = GridSearchCV(
        pipe,
        {
            "gaussiangenerativeclassifier__covariance": ["shared", "separate"],
            "gaussiangenerativeclassifier__reg_covar": [0.0, 0.1],
        },
        cv=cv,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.score(X, y) > 0.5
    # repeated cross-validation gives the same numbers (the fit is deterministic)
    assert_array_equal(cross_val_score(clone(pipe), X, y, cv=cv), scores)


@pytest.mark.parametrize("covariance", ["shared", "separate"])
def test_clone_and_pickle(covariance):
    X, y = gaussian_problem(17, 3, 2, 30)
    clf = GaussianGenerativeClassifier(covariance=covariance, priors=[0.2, 0.3, 0.5]).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "classes_")
    assert_array_equal(fresh.fit(X, y).predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(("fitted", "other"), [("shared", "separate"), ("separate", "shared")])
def test_set_params_after_fit_does_not_change_the_fitted_model(fitted, other):
    # predictions come from the fit, as in sklearn's LDA/QDA: changing `covariance` without
    # refitting crashed with AttributeError ('coef_' / '_chols'); a refit with the other
    # covariance left the first fit's attributes (covariance_ or covariances_) behind
    X, y = gaussian_problem(5, 3, 2, 20)
    clf = GaussianGenerativeClassifier(covariance=fitted).fit(X, y)
    expected = clf.predict_proba(X)
    clf.set_params(covariance=other)
    assert_array_equal(clf.predict_proba(X), expected)
    assert_array_equal(clf.decision_function(X), clf.decision_function(X))
    clf.fit(X, y)
    only = {"shared": ("covariance_", "coef_", "intercept_"), "separate": ("covariances_",)}
    assert all(hasattr(clf, name) for name in only[other])
    assert not any(hasattr(clf, name) for name in only[fitted])
    fresh = GaussianGenerativeClassifier(covariance=other).fit(X, y)
    assert_array_equal(clf.predict_proba(X), fresh.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("offset", [1e5, 1e7])
def test_shared_posteriors_do_not_depend_on_the_origin(n_classes, offset):
    # Bayes' rule is translation invariant. The linear scores w.x + b of raw features far from
    # the origin cancel catastrophically: with an offset of 1e7 on unit-variance features the
    # posteriors were off by up to 1.2e-2 (scikit-learn's LDA: 1.1e-2); computed about the
    # training mean they agree to rounding. Reference: the same model fitted without offset.
    rng = np.random.default_rng(0)
    y = np.arange(90) % n_classes
    X = rng.normal(size=(90, 2)) + 0.7 * y[:, None]
    base = GaussianGenerativeClassifier().fit(X, y)
    moved = GaussianGenerativeClassifier().fit(X + offset, y)
    assert_allclose(moved.predict_proba(X + offset), base.predict_proba(X), rtol=0, atol=1e-7)

    # the weights of the log-odds against classes_[0] (Sigma^-1 mu_k itself moves with mu_k)
    def contrasts(clf):
        return clf.coef_ if n_classes == 2 else clf.coef_[1:] - clf.coef_[0]

    assert_allclose(contrasts(moved), contrasts(base), rtol=1e-7)


# --- sample weights (issue 13) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"covariance": "separate"},
        {"shrinkage": "auto"},
        {"covariance": "separate", "shrinkage": 0.2},
        {"covariance": "separate", "priors": [0.2, 0.3, 0.5]},
    ],
)
def test_integer_weights_are_repeated_rows_and_zero_weights_dropped_rows(params):
    # weighted maximum likelihood with frequency weights: the fit of the repeated data
    X, y = gaussian_problem(21, 3, 3, 30)
    w = np.random.default_rng(21).integers(0, 4, size=len(y))
    weighted = GaussianGenerativeClassifier(**params).fit(X, y, sample_weight=w)
    repeated = GaussianGenerativeClassifier(**params).fit(np.repeat(X, w, 0), np.repeat(y, w))
    assert_allclose(weighted.means_, repeated.means_, rtol=1e-12)
    assert_allclose(weighted.priors_, repeated.priors_, rtol=1e-12)
    assert_allclose(weighted.class_count_, repeated.class_count_, rtol=0)
    cov = "covariance_" if weighted.covariance == "shared" else "covariances_"
    assert_allclose(getattr(weighted, cov), getattr(repeated, cov), rtol=1e-10, atol=1e-13)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9, atol=1e-13)
    # weights of one are the unweighted fit
    ones = GaussianGenerativeClassifier(**params).fit(X, y, sample_weight=np.ones(len(y)))
    plain = GaussianGenerativeClassifier(**params).fit(X, y)
    assert_allclose(ones.predict_proba(X), plain.predict_proba(X), rtol=1e-10, atol=1e-14)


def test_weighted_estimates_are_the_weighted_formulas():
    # real-valued weights against numpy's weighted mean and covariance (np.cov, aweights)
    X, y = gaussian_problem(22, 2, 3, 40)
    w = np.random.default_rng(22).uniform(0.1, 3.0, size=len(y))
    clf = GaussianGenerativeClassifier(covariance="separate").fit(X, y, sample_weight=w)
    for k in range(2):
        m = y == k
        assert_allclose(clf.means_[k], np.average(X[m], axis=0, weights=w[m]), rtol=1e-12)
        ref = np.cov(X[m], rowvar=False, aweights=w[m], bias=True)
        assert_allclose(clf.covariances_[k], ref, rtol=1e-11)
    assert_allclose(clf.priors_, [w[y == 0].sum() / w.sum(), w[y == 1].sum() / w.sum()])


def test_sample_weight_through_metadata_routing():
    import sklearn
    from sklearn.model_selection import cross_validate

    X, y = gaussian_problem(23, 3, 2, 30)
    w = np.random.default_rng(23).integers(1, 4, size=len(y)).astype(float)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = (
            GaussianGenerativeClassifier(covariance="separate")
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        routed = cross_validate(clf, X, y, cv=cv, params={"sample_weight": w},
                                return_estimator=True)  # fmt: skip
    for est, (train, _) in zip(routed["estimator"], cv.split(X, y), strict=True):
        ref = GaussianGenerativeClassifier(covariance="separate").fit(
            X[train], y[train], sample_weight=w[train]
        )
        assert_allclose(est.means_, ref.means_, rtol=1e-12)
        unweighted = GaussianGenerativeClassifier(covariance="separate").fit(X[train], y[train])
        assert not np.allclose(est.means_, unweighted.means_, rtol=1e-6)


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (-np.ones(93), ValueError, "Negative values in data passed to `sample_weight`"),
        (np.ones(92), ValueError, r"sample_weight.shape == \(92,\), expected \(93,\)"),
        (np.zeros(93), ValueError, "Sample weights must contain at least one non-zero"),
        (np.r_[np.zeros(30), np.ones(63)], ValueError, r"class\(es\) \[0\] have sample_weight 0"),
        (np.r_[np.nan, np.ones(92)], ValueError, "NaN"),
    ],
)
def test_bad_sample_weight(weights, error, match):
    X, y = gaussian_problem(24, 3, 2, 30)  # 30, 31 and 32 samples of classes 0, 1, 2
    order = np.argsort(y, kind="stable")
    with pytest.raises(error, match=match):
        GaussianGenerativeClassifier().fit(X[order], y[order], sample_weight=weights)


# --- shrinkage and the pseudo-inverse (issue 13) ----------------------------------------------


def test_ledoit_wolf_shrinkage_matches_sklearn_and_weights_are_repeats():
    from sklearn.covariance import ledoit_wolf_shrinkage as sk_shrinkage

    from clfcompare.estimators.gaussian import ledoit_wolf_shrinkage

    rng = np.random.default_rng(25)
    for n, d in [(50, 4), (8, 20), (200, 3)]:
        Z = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 3.0
        assert ledoit_wolf_shrinkage(Z) == pytest.approx(sk_shrinkage(Z), rel=1e-12)
        w = rng.integers(0, 4, size=n)
        assert ledoit_wolf_shrinkage(Z, w.astype(float)) == pytest.approx(
            sk_shrinkage(np.repeat(Z, w, axis=0)), rel=1e-12
        )
    assert ledoit_wolf_shrinkage(rng.normal(size=(10, 1))) == 0.0


@pytest.mark.parametrize("shrinkage", ["auto", 0.0, 0.3, 1.0])
def test_shrinkage_gives_lda_lsqr_posteriors_on_digits(shrinkage):
    # digits: 3 constant pixels, so the maximum-likelihood covariance is singular; the
    # shrunk one is LinearDiscriminantAnalysis(solver="lsqr", shrinkage=...)'s (measured:
    # posteriors equal to 5e-14)
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if shrinkage == 0.0:
        with pytest.raises(ValueError, match="zero variance"):
            GaussianGenerativeClassifier(shrinkage=0.0).fit(X, y)
        return
    ours = GaussianGenerativeClassifier(shrinkage=shrinkage).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage).fit(X, y)
    assert_allclose(ours.covariance_, lda.covariance_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.predict_proba(X), lda.predict_proba(X), atol=1e-10)
    assert_array_equal(ours.predict(X), lda.predict(X))


def test_shrinkage_of_separate_covariances_is_per_class():
    from sklearn.covariance import ledoit_wolf

    from clfcompare.estimators.gaussian import shrunk_covariance

    X, y = gaussian_problem(26, 3, 4, 15)
    clf = GaussianGenerativeClassifier(covariance="separate", shrinkage="auto").fit(X, y)
    for k in range(3):
        Xk = X[y == k]
        s = Xk.std(axis=0)
        ref = ledoit_wolf(Xk / s)[0] * s[:, None] * s[None, :]  # LDA's _cov(X, "auto")
        assert_allclose(clf.covariances_[k], ref, rtol=1e-10)
        assert_allclose(shrunk_covariance(Xk, "auto"), ref, rtol=1e-10)


def test_allow_singular_with_a_constant_feature_is_the_model_without_it():
    X, y = gaussian_problem(27, 3, 3, 30)
    Xc = np.column_stack([X[:, :2], np.full(len(y), 5.0), X[:, 2:]])
    with pytest.raises(ValueError, match="zero variance.*allow_singular=True"):
        GaussianGenerativeClassifier().fit(Xc, y)
    pinv = GaussianGenerativeClassifier(allow_singular=True).fit(Xc, y)
    reduced = GaussianGenerativeClassifier().fit(X, y)
    assert pinv.covariance_rank_ == 3
    assert_allclose(pinv.predict_proba(Xc), reduced.predict_proba(X), rtol=1e-9, atol=1e-13)
    # non-singular data: allow_singular changes nothing (the Cholesky path)
    same = GaussianGenerativeClassifier(allow_singular=True).fit(X, y)
    assert_array_equal(same.predict_proba(X), reduced.predict_proba(X))
    assert same.covariance_rank_ == 3


def test_allow_singular_with_one_hot_columns_is_the_model_without_one_of_them():
    # the one-hot columns of a categorical feature sum to 1: a rank-deficient covariance
    rng = np.random.default_rng(28)
    X, y = gaussian_problem(28, 2, 2, 40)
    cat = rng.integers(0, 3, size=len(y))
    onehot = np.eye(3)[cat]
    full = np.column_stack([X, onehot])
    with pytest.raises(ValueError, match="collinear"):
        GaussianGenerativeClassifier().fit(full, y)
    pinv = GaussianGenerativeClassifier(allow_singular=True).fit(full, y)
    reduced = GaussianGenerativeClassifier().fit(full[:, :-1], y)
    assert pinv.covariance_rank_ == 4
    assert_allclose(pinv.predict_proba(full), reduced.predict_proba(full[:, :-1]), rtol=1e-8)


def test_allow_singular_separate_uses_scipys_degenerate_density():
    X, y = gaussian_problem(29, 2, 3, 25)
    X = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])  # collinear in every class
    clf = GaussianGenerativeClassifier(covariance="separate", allow_singular=True).fit(X, y)
    assert_array_equal(clf.covariance_rank_, [3, 3])
    jll = np.column_stack([
        multivariate_normal(clf.means_[k], clf.covariances_[k], allow_singular=True).logpdf(X)
        + np.log(clf.priors_[k])
        for k in range(2)
    ])  # fmt: skip
    assert_allclose(clf.decision_function(X), jll[:, 1] - jll[:, 0], rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"shrinkage": 1.5}, ValueError, "shrinkage"),
        ({"shrinkage": "ledoit"}, ValueError, "shrinkage must be None, 'auto' or a float"),
        ({"shrinkage": [0.1]}, TypeError, "shrinkage"),
        ({"allow_singular": "yes"}, TypeError, "allow_singular"),
    ],
)
def test_bad_shrinkage_and_allow_singular(params, error, match):
    X, y = gaussian_problem(30, 2, 2, 20)
    with pytest.raises(error, match=match):
        GaussianGenerativeClassifier(**params).fit(X, y)
