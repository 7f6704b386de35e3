"""The lecture's Probabilistic Generative Model: Gaussian class conditionals + Bayes' rule.

Every class ``C_k`` gets a Gaussian ``P(x | C_k) = N(x; mu_k, Sigma_k)`` fitted by maximum
likelihood and a prior ``P(C_k)``; the posterior follows from Bayes' rule, computed in log space::

    log P(C_k | x) = log P(x | C_k) + log P(C_k) - logsumexp_j [log P(x | C_j) + log P(C_j)]

With one covariance shared by all classes the quadratic terms cancel and the model is linear
(the lecture's ``z = w . x + b``); with one covariance per class it is quadratic.

The maths lives in small pure functions (``class_means``, ``pooled_covariance``,
``class_covariances``, ``covariance_cholesky``, ``gaussian_log_density``,
``linear_discriminants``, and for the options ``ledoit_wolf_shrinkage``,
``shrunk_covariance``, ``covariance_pinv``, ``gaussian_log_density_pinv``); every estimate
takes ``sample_weight`` (frequency weights: an integer weight is that many copies of the row).
:class:`GaussianGenerativeClassifier` is a thin sklearn shell.

Why one module of about 860 lines: every function estimates or evaluates one model (Gaussian
class conditionals), and the estimates, their shrinkage, the singularity checks and the two
ways of solving with a covariance (Cholesky, pseudo-inverse) are read together by the fit;
most of the length is the derivations in the docstrings.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, ClassifierMixin

from clfcompare._checks import check_bool, check_choice, check_real
from clfcompare.estimators._base import (
    ScoreClassifierMixin,
    check_scores,
    validate_sample_weight,
    validate_test_data,
    validate_training_data,
)

__all__ = [
    "GaussianGenerativeClassifier",
    "class_means",
    "pooled_covariance",
    "class_covariances",
    "covariance_cholesky",
    "gaussian_log_density",
    "linear_discriminants",
    "ledoit_wolf_shrinkage",
    "shrunk_covariance",
    "covariance_pinv",
    "gaussian_log_density_pinv",
    "RCOND_TOL",
    "SingularCovarianceError",
]

#: A covariance whose correlation matrix has reciprocal condition number (smallest over
#: largest eigenvalue) below this is treated as singular: solving with it would lose more
#: than 10 of the 16 significant digits of float64.
RCOND_TOL = 1e-10

#: A variance below ``(VAR_RTOL * max|x_j|)**2`` is rounding noise of a constant feature.
VAR_RTOL = 1e3 * np.finfo(np.float64).eps


def class_means(X, y_idx, n_classes, sample_weight=None):
    r"""Maximum-likelihood class means.

    .. math:: \mu_k = \frac{1}{N_k} \sum_{n: y_n = k} x_n
              \quad\text{or, weighted,}\quad
              \mu_k = \frac{\sum_{n: y_n = k} s_n x_n}{\sum_{n: y_n = k} s_n}

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y_idx : ndarray of shape (n_samples,)
        Class indices ``0 .. n_classes - 1``; every class must occur (with positive weight).
    n_classes : int
    sample_weight : ndarray of shape (n_samples,), optional
        Frequency weights :math:`s_n \ge 0`.

    Returns
    -------
    means : ndarray of shape (n_classes, n_features)
    """
    sums = np.zeros((n_classes, X.shape[1]), dtype=np.float64)
    if sample_weight is None:
        counts = np.bincount(y_idx, minlength=n_classes)
        np.add.at(sums, y_idx, X)
    else:
        counts = np.bincount(y_idx, weights=sample_weight, minlength=n_classes)
        np.add.at(sums, y_idx, X * sample_weight[:, None])
    return sums / counts[:, None]


def class_covariances(X, y_idx, means, sample_weight=None):
    r"""Maximum-likelihood covariance of every class (divides by :math:`N_k`).

    .. math:: \Sigma_k = \frac{1}{N_k} \sum_{n: y_n = k} (x_n - \mu_k)(x_n - \mu_k)^\top

    (weighted: each term times :math:`s_n`, divided by :math:`\sum_{n: y_n = k} s_n`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y_idx : ndarray of shape (n_samples,)
    means : ndarray of shape (n_classes, n_features)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    covariances : ndarray of shape (n_classes, n_features, n_features)
    """
    n_classes, n_features = means.shape
    covs = np.empty((n_classes, n_features, n_features), dtype=np.float64)
    for k in range(n_classes):
        Xc = X[y_idx == k] - means[k]
        if sample_weight is None:
            covs[k] = Xc.T @ Xc / Xc.shape[0]
        else:
            w = sample_weight[y_idx == k]
            covs[k] = (Xc * w[:, None]).T @ Xc / w.sum()
    return covs


def pooled_covariance(X, y_idx, means, sample_weight=None):
    r"""Maximum-likelihood shared (pooled within-class) covariance (divides by :math:`N`).

    .. math::

        \Sigma = \frac{1}{N} \sum_k \sum_{n: y_n = k} (x_n - \mu_k)(x_n - \mu_k)^\top
               = \sum_k \frac{N_k}{N} \Sigma_k

    the lecture's :math:`\Sigma = \frac{N_1}{N}\Sigma^1 + \frac{N_2}{N}\Sigma^2` (weighted:
    each term times :math:`s_n`, divided by :math:`\sum_n s_n`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y_idx : ndarray of shape (n_samples,)
    means : ndarray of shape (n_classes, n_features)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    covariance : ndarray of shape (n_features, n_features)
    """
    Xc = X - means[y_idx]
    if sample_weight is None:
        return Xc.T @ Xc / X.shape[0]
    return (Xc * sample_weight[:, None]).T @ Xc / sample_weight.sum()


def ledoit_wolf_shrinkage(X, sample_weight=None):
    r"""Ledoit and Wolf's shrinkage intensity for the covariance of the rows of ``X``.

    The optimal :math:`\delta \in [0, 1]` of :math:`(1 - \delta) S + \delta \mu I`
    (:math:`S` the maximum-likelihood covariance, :math:`\mu = \operatorname{tr} S / D`):

    .. math::

        \delta = \min(b^2, d^2) / d^2, \quad
        d^2 = \lVert S - \mu I \rVert_F^2 / D, \quad
        b^2 = \frac{1}{D N}\Big(\frac{1}{N}\sum_n \lVert \tilde x_n \rVert^4
              - \lVert S \rVert_F^2\Big)

    with :math:`\tilde x_n` the centred rows; :func:`sklearn.covariance.ledoit_wolf_shrinkage`
    computes the same (unweighted). With frequency weights :math:`s_n` every mean over rows
    is the weighted mean and :math:`N = \sum_n s_n`, so integer weights give the value of
    repeated rows. One feature: 0.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    shrinkage : float

    References
    ----------
    .. [1] O. Ledoit and M. Wolf, "A well-conditioned estimator for large-dimensional
       covariance matrices", Journal of Multivariate Analysis 88 (2004), 365-411.
    """
    n_samples, n_features = X.shape
    if n_features == 1:
        return 0.0
    w = np.ones(n_samples) if sample_weight is None else sample_weight
    total = w.sum()
    Xc = X - (w @ X) / total
    emp = (Xc * w[:, None]).T @ Xc / total
    mu = np.trace(emp) / n_features
    beta_ = w @ np.einsum("ij,ij->i", Xc, Xc) ** 2
    delta_ = np.sum(emp**2)
    beta = (beta_ / total - delta_) / (n_features * total)
    delta = (delta_ - 2.0 * mu * np.trace(emp) + n_features * mu**2) / n_features
    beta = min(beta, delta)
    return 0.0 if beta == 0 else float(beta / delta)


def shrunk_covariance(X, shrinkage, sample_weight=None):
    r"""Shrunk maximum-likelihood covariance of the rows of ``X``, as scikit-learn's LDA.

    ``shrinkage`` a float :math:`\delta`: :math:`(1 - \delta) S + \delta
    \frac{\operatorname{tr} S}{D} I` (:func:`sklearn.covariance.shrunk_covariance` of the
    empirical covariance). ``"auto"``: the features are standardised
    (:math:`z = (x - m) / s`, :math:`s` the standard deviation, 1 for a constant feature),
    the covariance of :math:`z` is shrunk with :func:`ledoit_wolf_shrinkage`, and the result
    is scaled back, :math:`\operatorname{diag}(s)\,\hat\Sigma_z\operatorname{diag}(s)`:
    what ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")`` does for each class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    shrinkage : float in [0, 1] or "auto"
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    covariance : ndarray of shape (n_features, n_features)
    """
    n_samples, n_features = X.shape
    w = np.ones(n_samples) if sample_weight is None else sample_weight
    total = w.sum()
    Xc = X - (w @ X) / total
    if shrinkage == "auto":
        scale = np.sqrt((w @ Xc**2) / total)
        scale[scale == 0] = 1.0
        Z = Xc / scale
        emp = (Z * w[:, None]).T @ Z / total
        delta = ledoit_wolf_shrinkage(Z, sample_weight)
    else:
        scale = None
        emp = (Xc * w[:, None]).T @ Xc / total
        delta = float(shrinkage)
    cov = (1.0 - delta) * emp
    cov.flat[:: n_features + 1] += delta * np.trace(emp) / n_features
    if scale is not None:
        cov = scale[:, None] * cov * scale[None, :]
    return cov


def covariance_pinv(cov):
    r"""Pseudo-inverse factor, rank and log pseudo-determinant of a covariance.

    From the eigendecomposition :math:`\Sigma = V \Lambda V^\top`, eigenvalues
    :math:`\lambda_j \le 10^6 \epsilon \max_i |\lambda_i|` (:math:`\epsilon` float64's
    machine epsilon) are zero, as in ``scipy.stats.multivariate_normal(allow_singular=True)``;
    :math:`U = V_+ \Lambda_+^{-1/2}` for the others, so that :math:`\Sigma^+ = U U^\top`.

    Parameters
    ----------
    cov : ndarray of shape (n_features, n_features)

    Returns
    -------
    U : ndarray of shape (n_features, rank)
    rank : int
    log_pdet : float
        :math:`\sum_{\lambda_j > 0} \ln \lambda_j`.
    """
    eig, vec = linalg.eigh(cov)
    keep = eig > 1e6 * np.finfo(np.float64).eps * np.max(np.abs(eig))
    return vec[:, keep] / np.sqrt(eig[keep]), int(keep.sum()), float(np.sum(np.log(eig[keep])))


def gaussian_log_density_pinv(X, mean, U, rank, log_pdet):
    r"""Log density of a (possibly degenerate) Gaussian from :func:`covariance_pinv`.

    .. math::

        \ln f(x) = -\frac{r}{2}\ln 2\pi - \frac{1}{2}\ln\operatorname{pdet}\Sigma
            - \frac{1}{2} (x - \mu)^\top \Sigma^+ (x - \mu)

    with :math:`r` the rank: ``scipy.stats.multivariate_normal(mean, cov,
    allow_singular=True).logpdf`` (the density on the affine support of the Gaussian; the
    part of :math:`x - \mu` outside it is ignored).

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
    """
    z = (X - mean) @ U
    maha = np.einsum("ij,ij->i", z, z)
    return -0.5 * (rank * np.log(2 * np.pi) + log_pdet + maha)


class SingularCovarianceError(ValueError):
    """A covariance with a zero variance or collinear features (see
    :func:`covariance_cholesky`); ``allow_singular=True`` takes its pseudo-inverse instead."""


def covariance_cholesky(cov, *, scale, what, reg_covar, hint=""):
    r"""Lower Cholesky factor :math:`L` of a covariance (:math:`\Sigma = L L^\top`), or a
    ``ValueError`` saying why it is (numerically) singular.

    Two checks come before the factorisation, both independent of the units of the features:

    * zero variance: :math:`\Sigma_{jj} \le (\epsilon_v \max_n |x_{nj}|)^2` with
      :math:`\epsilon_v` = ``VAR_RTOL`` (a constant feature, or a class with one sample);
    * collinearity: the correlation matrix :math:`R = D^{-1/2} \Sigma D^{-1/2}`,
      :math:`D = \operatorname{diag}\Sigma`, has
      :math:`\lambda_{\min}(R) / \lambda_{\max}(R)` < ``RCOND_TOL``.

    Parameters
    ----------
    cov : ndarray of shape (n_features, n_features)
        The covariance, ``reg_covar`` already added to its diagonal.
    scale : ndarray of shape (n_features,)
        ``max |x_j|`` over the samples the covariance came from.
    what : str
        How to name the matrix in the error message.
    reg_covar : float
        The regularisation in use (quoted in the error message).
    hint : str, default=""
        Extra sentence for the error message (e.g. too few samples).

    Returns
    -------
    L : ndarray of shape (n_features, n_features)
        Lower triangular.

    Raises
    ------
    SingularCovarianceError
        A ``ValueError``: a zero variance or (nearly) collinear features.
    ValueError
        Non-finite entries, or variances lost to underflow.
    """
    n_features = cov.shape[0]
    advice = (
        f" Raise `reg_covar` (now {reg_covar!r}), which adds it to the diagonal of every "
        "covariance (e.g. reg_covar=1e-6 on standardised features), shrink the covariance "
        "(shrinkage='auto': Ledoit-Wolf, as LinearDiscriminantAnalysis), use its "
        "pseudo-inverse (allow_singular=True), or remove the offending "
        f"features. (n_features={n_features}.)"
    )
    if hint:
        advice = " " + hint + advice
    var = np.diag(cov)
    if not np.all(np.isfinite(cov)):
        raise ValueError(
            f"The {what} has non-finite entries: the features are too large to square in "
            "float64; rescale them (e.g. StandardScaler)."
        )
    with np.errstate(under="ignore"):
        zero = np.flatnonzero(var <= (VAR_RTOL * scale) ** 2)
        tiny = zero[(scale[zero] > 0) & (scale[zero] ** 2 < np.finfo(np.float64).tiny)]
    if tiny.size:
        raise ValueError(
            f"The {what} is singular in float64: feature(s) {tiny.tolist()} have values of "
            f"at most {np.max(scale[tiny]):.3g} in absolute value, too small to square "
            "without underflow, so their variance is lost. Rescale them (e.g. StandardScaler); "
            "reg_covar would swamp them."
        )
    if zero.size:
        raise SingularCovarianceError(
            f"The {what} is singular: feature(s) {zero.tolist()} have zero variance." + advice
        )
    d = 1.0 / np.sqrt(var)
    eig = linalg.eigvalsh(cov * d[:, None] * d[None, :])
    rcond = eig[0] / eig[-1]
    if not rcond >= RCOND_TOL:
        raise SingularCovarianceError(
            f"The {what} is singular or nearly so: the reciprocal condition number of its "
            f"correlation matrix is {rcond:.2g} (below {RCOND_TOL:g}), i.e. features are "
            "(almost) collinear and the Gaussian densities cannot be computed reliably." + advice
        )
    try:
        return linalg.cholesky(cov, lower=True)
    except linalg.LinAlgError as exc:  # pragma: no cover - the checks above catch this
        raise ValueError(f"The {what} is not positive definite." + advice) from exc


def gaussian_log_density(X, mean, chol):
    r"""Log density of :math:`N(\mu, \Sigma)` at the rows of ``X``, from :math:`\Sigma = LL^\top`.

    .. math::

        \log f_{\mu,\Sigma}(x) = -\frac{D}{2}\log 2\pi - \sum_j \log L_{jj}
            - \frac{1}{2} \lVert L^{-1}(x - \mu) \rVert^2

    (the lecture's :math:`f_{\mu,\Sigma}`, with
    :math:`\frac{1}{2}\log|\Sigma| = \sum_j \log L_{jj}` and the Mahalanobis term from a
    triangular solve instead of an inverse).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    mean : ndarray of shape (n_features,)
    chol : ndarray of shape (n_features, n_features)
        Lower Cholesky factor of the covariance.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
    """
    n_features = X.shape[1]
    z = linalg.solve_triangular(chol, (X - mean).T, lower=True)
    maha = np.einsum("ij,ij->j", z, z)
    half_logdet = np.sum(np.log(np.diag(chol)))
    return -0.5 * (n_features * np.log(2 * np.pi) + maha) - half_logdet


def linear_discriminants(means, chol, priors, *, pinv=None):
    r"""The linear discriminants of Gaussians with a shared covariance.

    .. math::

        \log P(x \mid C_k) + \log P(C_k) = w_k^\top x + b_k + c(x), \quad
        w_k = \Sigma^{-1}\mu_k, \quad
        b_k = -\tfrac{1}{2}\mu_k^\top \Sigma^{-1} \mu_k + \log P(C_k)

    where :math:`c(x)` does not depend on the class and cancels in the posterior.

    Parameters
    ----------
    means : ndarray of shape (n_classes, n_features)
    chol : ndarray of shape (n_features, n_features) or None
        Lower Cholesky factor of the shared covariance.
    priors : ndarray of shape (n_classes,)
    pinv : ndarray of shape (n_features, rank), optional
        Instead of ``chol``: :math:`U` with :math:`\Sigma^+ = U U^\top`
        (:func:`covariance_pinv`); then :math:`w_k = \Sigma^+ \mu_k`.

    Returns
    -------
    W : ndarray of shape (n_classes, n_features)
    b : ndarray of shape (n_classes,)
    """
    if pinv is not None:
        W = (means @ pinv) @ pinv.T
    else:
        W = linalg.cho_solve((chol, True), means.T).T
    b = -0.5 * np.einsum("kd,kd->k", means, W) + np.log(priors)
    return W, b


def _check_priors(priors, n_classes, classes):
    try:
        p = np.asarray(priors, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"priors must be numbers, one per class; got {priors!r}.") from None
    if p.shape != (n_classes,):
        raise ValueError(
            f"priors must have one entry per class, i.e. shape ({n_classes},) for the classes "
            f"{classes.tolist()} found in y; got shape {p.shape}."
        )
    if not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"priors must be positive and finite; got {p.tolist()}.")
    if not np.isclose(p.sum(), 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(f"priors must sum to 1; got {p.tolist()} (sum {p.sum():.10g}).")
    return p / p.sum()


class GaussianGenerativeClassifier(ScoreClassifierMixin, ClassifierMixin, BaseEstimator):
    r"""Gaussian class conditionals fitted by maximum likelihood, posteriors by Bayes' rule.

    The Probabilistic Generative Model of the lecture notes, for any number of classes
    :math:`K` and features :math:`D`:

    .. math::

        P(C_k \mid x) = \frac{f_{\mu^k, \Sigma^k}(x) P(C_k)}
                             {\sum_j f_{\mu^j, \Sigma^j}(x) P(C_j)},
        \qquad
        f_{\mu, \Sigma}(x) = \frac{1}{(2\pi)^{D/2} |\Sigma|^{1/2}}
            \exp\left\{-\tfrac{1}{2}(x - \mu)^\top \Sigma^{-1} (x - \mu)\right\}

    computed in log space (Cholesky log densities, ``logsumexp``), so no posterior underflows
    to 0/0.

    Parameters
    ----------
    covariance : {"shared", "separate"}, default="shared"
        ``"shared"``: one covariance for all classes, the pooled maximum-likelihood estimate
        :math:`\Sigma = \sum_k \frac{N_k}{N}\Sigma_k`; the log-odds are linear in :math:`x`
        (see ``coef_``). ``"separate"``: one covariance per class; quadratic boundaries.
    priors : array-like of shape (n_classes,), default=None
        Class priors :math:`P(C_k)` in the order of ``classes_`` (positive, summing to 1).
        ``None`` uses the class frequencies :math:`N_k / N`.
    reg_covar : float, default=0.0
        Non-negative number added to the diagonal of every covariance estimate
        (:math:`\Sigma + r I`, as in :class:`sklearn.mixture.GaussianMixture`). It is in the
        units of the features squared; standardise first to make one value fit all features.
    shrinkage : None, "auto" or float in [0, 1], default=None
        Shrink every class covariance towards a multiple of the identity before it is used
        (see :func:`shrunk_covariance`), as ``LinearDiscriminantAnalysis(solver="lsqr",
        shrinkage=...)`` does: ``"auto"`` is the Ledoit-Wolf intensity on the class's
        standardised features, a float :math:`\delta` gives
        :math:`(1 - \delta)\Sigma_k + \delta\,\frac{\operatorname{tr}\Sigma_k}{D} I`.
        With ``covariance="shared"`` the shrunk class covariances are pooled,
        :math:`\sum_k \frac{N_k}{N}\hat\Sigma_k` (LDA's pooling with its default priors).
        ``None``: the maximum-likelihood estimates. Shrinkage makes the covariance of data
        with constant features or more features than samples (e.g. ``load_digits``)
        invertible.
    allow_singular : bool, default=False
        ``False``: a singular covariance is a ``ValueError`` that names the cause (the model
        is then not defined). ``True``: a covariance that fails the singularity checks of
        :func:`covariance_cholesky` is used through its pseudo-inverse (:func:`covariance_pinv`):
        each Gaussian is the degenerate one on its affine support, with the log density of
        ``scipy.stats.multivariate_normal(allow_singular=True)``
        (:func:`gaussian_log_density_pinv`); for ``"shared"`` the discriminants are
        :math:`w_k = \Sigma^+\mu_k`, which on the training data's affine span score as the
        model without the redundant directions (e.g. without a constant feature, or without
        one of a set of one-hot columns). Non-singular covariances use the Cholesky path
        either way.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels.
    class_count_ : ndarray of shape (n_classes,)
        :math:`N_k`, training samples per class (with ``sample_weight``: the sum of the
        weights of the class, float).
    priors_ : ndarray of shape (n_classes,)
        The priors used.
    means_ : ndarray of shape (n_classes, n_features)
        :math:`\mu_k`, maximum-likelihood class means.
    covariance_ : ndarray of shape (n_features, n_features)
        Only for ``covariance="shared"``: the pooled covariance plus ``reg_covar * I``.
    covariances_ : ndarray of shape (n_classes, n_features, n_features)
        Only for ``covariance="separate"``: :math:`\Sigma_k` plus ``reg_covar * I``.
    covariance_rank_ : int or ndarray of shape (n_classes,)
        The rank of the covariance used (``"shared"``) or of each class's (``"separate"``):
        ``n_features`` unless ``allow_singular=True`` took the pseudo-inverse.
    coef_ : ndarray of shape (1, n_features) if n_classes == 2 else (n_classes, n_features)
        Only for ``covariance="shared"``. See Notes.
    intercept_ : ndarray of shape (1,) if n_classes == 2 else (n_classes,)
        Only for ``covariance="shared"``. See Notes.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : the shared-covariance model.
    sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis : the separate model.

    Notes
    -----
    **Covariance estimator.** All covariances are the maximum-likelihood estimates, dividing
    by :math:`N_k` (per class) and by :math:`N` (pooled), not by :math:`N_k - 1` or
    :math:`N - K`: the model is defined by maximising the likelihood of the training data, as
    in the lecture, and the MLE is what that maximisation gives. It is the covariance of
    ``LinearDiscriminantAnalysis(solver="lsqr")`` and ``"eigen"`` with the default priors
    (and, in scikit-learn 1.9, of its ``"svd"`` solver too); with user priors scikit-learn
    weights the class covariances by the priors, whereas here the priors never change the
    covariance (they are a decision-theoretic prior, not part of the likelihood of
    :math:`x`). scikit-learn's ``QuadraticDiscriminantAnalysis`` divided by :math:`N_k - 1`
    up to version 1.7; version 1.9 (the one tested here) divides by :math:`N_k`, like this class.

    **Sign convention (shared, two classes).** The lecture's :math:`C_1` is ``classes_[1]``
    and its :math:`C_2` is ``classes_[0]``, so, as everywhere in scikit-learn, a positive
    ``decision_function`` means ``classes_[1]``:

    .. math::

        P(\text{classes\_[1]} \mid x) = \sigma(w \cdot x + b), \quad
        w = (\mu^1 - \mu^2)^\top \Sigma^{-1}, \quad
        b = -\tfrac{1}{2}\mu^{1\top}\Sigma^{-1}\mu^1 + \tfrac{1}{2}\mu^{2\top}\Sigma^{-1}\mu^2
            + \ln\frac{P(C_1)}{P(C_2)}

    with :math:`\mu^1` = ``means_[1]``, :math:`\mu^2` = ``means_[0]``,
    :math:`P(C_1)/P(C_2) = N_1/N_2` unless ``priors`` is given; ``coef_ = w[None, :]`` and
    ``intercept_ = [b]``. For :math:`K > 2` classes, ``coef_[k]`` :math:`= \Sigma^{-1}\mu_k`
    and ``intercept_[k]`` :math:`= -\frac{1}{2}\mu_k^\top\Sigma^{-1}\mu_k + \ln P(C_k)`, the
    :math:`K` linear discriminants; the posteriors are their softmax.

    **decision_function.** Two classes: the log-odds
    :math:`\ln P(\text{classes\_[1]}|x) - \ln P(\text{classes\_[0]}|x)`, shape (n_samples,).
    More classes: discriminants :math:`\delta_k(x)` of shape (n_samples, n_classes) that
    differ from :math:`\ln P(C_k|x)` by a per-sample constant (the linear discriminants for
    "shared", :math:`\ln f_{\mu_k,\Sigma_k}(x) + \ln P(C_k)` for "separate").
    "shared" scores are computed about the training mean :math:`\bar x`, as
    :math:`w_k^\top(x - \bar x) + b'_k` with :math:`b'_k` the intercept of the centred means
    :math:`\mu_k - \bar x`: ``x @ coef_.T + intercept_`` of features far from the origin
    cancels catastrophically (an offset of :math:`10^7` on unit-variance features changed the
    posteriors by :math:`10^{-2}`, as in scikit-learn's ``LinearDiscriminantAnalysis``; centred,
    by :math:`4 \cdot 10^{-9}`). The two-class log-odds are unchanged by this; the
    :math:`K`-class discriminants are ``x @ coef_.T + intercept_`` less the constant
    :math:`\frac{1}{2}\bar x^\top \Sigma^{-1} \bar x`.

    **Singular covariance.** A constant feature, collinear features, or too few samples
    (a class with :math:`N_k \le D` for "separate", :math:`N - K < D` for "shared") make the
    covariance singular: ``fit`` raises a ``ValueError`` naming the cause and the ways out
    (``reg_covar``, ``shrinkage``, ``allow_singular``). "Nearly singular" means a
    reciprocal condition number of the correlation matrix below ``RCOND_TOL`` (1e-10).

    **Sample weights.** ``fit(X, y, sample_weight=s)`` maximises the weighted likelihood
    :math:`\sum_n s_n \ln p(x_n, y_n)`: means, covariances (and their Ledoit-Wolf
    shrinkage) and the class priors :math:`\sum_{y_n = k} s_n / \sum_n s_n` are the
    weighted estimates, so an integer weight is that many copies of the row and a weight of
    0 drops it. ``set_fit_request(sample_weight=True)`` routes the weights through
    scikit-learn's metadata routing (e.g. ``cross_validate(..., params={"sample_weight":
    s})``).

    **Far-away samples.** Log posteriors stay finite as long as the log densities do. A
    sample so far from every class mean that the squared Mahalanobis distances overflow
    (``"separate"``, :math:`\lVert L_k^{-1}(x - \mu_k)\rVert \gtrsim 10^{154}`) has no
    computable posterior: prediction raises a ``ValueError`` naming the rows instead of
    returning NaN.

    References
    ----------
    .. [1] C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006,
       sections 4.2.1-4.2.2 (probabilistic generative models, maximum likelihood).
    .. [2] T. Hastie, R. Tibshirani, J. Friedman, *The Elements of Statistical Learning*,
       2nd ed., Springer, 2009, section 4.3 (linear and quadratic discriminant analysis).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
    >>> X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 1.0], [3.0, 3.0], [4.0, 3.5], [3.5, 4.0]])
    >>> y = np.array(["a", "a", "a", "b", "b", "b"])
    >>> clf = GaussianGenerativeClassifier().fit(X, y)
    >>> clf.predict([[0.5, 0.5], [3.5, 3.5]])
    array(['a', 'b'], dtype='<U1')
    >>> clf.predict_proba([[2.0, 2.0]]).round(4)
    array([[0.5, 0.5]])
    >>> clf.coef_.round(4), clf.intercept_.round(4)
    (array([[12., 12.]]), array([-48.]))

    The lecture's two-class formula gives the same ``w`` and ``b`` (:math:`C_1` = "b"):

    >>> mu1, mu2 = clf.means_[1], clf.means_[0]
    >>> P = np.linalg.inv(clf.covariance_)
    >>> w = (mu1 - mu2) @ P
    >>> b = -0.5 * mu1 @ P @ mu1 + 0.5 * mu2 @ P @ mu2 + np.log(3 / 3)
    >>> bool(np.allclose(w, clf.coef_[0]) and np.isclose(b, clf.intercept_[0]))
    True
    """

    def __init__(
        self, *, covariance="shared", priors=None, reg_covar=0.0, shrinkage=None,
        allow_singular=False,
    ):  # fmt: skip
        self.covariance = covariance
        self.priors = priors
        self.reg_covar = reg_covar
        self.shrinkage = shrinkage
        self.allow_singular = allow_singular

    def _factor(self, cov, *, scale, what, hint):
        """``("chol", L)``, or with ``allow_singular`` for a singular ``cov``,
        ``("pinv", U, rank, log_pdet)``."""
        try:
            return ("chol", covariance_cholesky(
                cov, scale=scale, what=what, reg_covar=self.reg_covar, hint=hint
            ))  # fmt: skip
        except SingularCovarianceError:
            if not self.allow_singular:
                raise
        return ("pinv", *covariance_pinv(cov))

    def fit(self, X, y, sample_weight=None):
        """Fit the class means, covariance(s) and priors by maximum likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (converted to float64).
        y : array-like of shape (n_samples,)
            Class labels (any sortable labels: ints, strings, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights of the rows (see Notes).

        Returns
        -------
        self : GaussianGenerativeClassifier
            The fitted estimator.

        Raises
        ------
        TypeError, ValueError
            A parameter of the wrong kind or value (naming it).
        ValueError
            Fewer than two classes, invalid ``priors`` or ``sample_weight``, a class whose
            weights are all 0, or a singular covariance (see Notes).
        """
        check_choice(self.covariance, "covariance", ("shared", "separate"))
        check_real(self.reg_covar, "reg_covar", low=0.0)
        if self.shrinkage is not None and not (
            isinstance(self.shrinkage, str) and self.shrinkage == "auto"
        ):
            if isinstance(self.shrinkage, str):
                raise ValueError(
                    f"shrinkage must be None, 'auto' or a float in [0, 1], got {self.shrinkage!r}"
                )
            check_real(self.shrinkage, "shrinkage", low=0.0, high=1.0)
        check_bool(self.allow_singular, "allow_singular")
        X, classes, y_idx = validate_training_data(self, X, y)
        weights = validate_sample_weight(sample_weight, X)
        n_classes = classes.shape[0]
        if weights is not None:  # rows of weight 0 are left out, as if absent
            keep = weights > 0
            X, y_idx, weights = X[keep], y_idx[keep], weights[keep]
            counts = np.bincount(y_idx, weights=weights, minlength=n_classes)
            empty = np.flatnonzero(counts == 0)
            if empty.size:
                raise ValueError(
                    f"class(es) {classes[empty].tolist()} have sample_weight 0 on every "
                    "sample: their Gaussians cannot be fitted"
                )
            total = counts.sum()
        else:
            counts = np.bincount(y_idx, minlength=n_classes)
            total = X.shape[0]
        rows = np.bincount(y_idx, minlength=n_classes)  # rows (of positive weight)
        n_samples, n_features = X.shape
        if self.priors is None:
            priors = counts / total
        else:
            priors = _check_priors(self.priors, n_classes, classes)
        means = class_means(X, y_idx, n_classes, weights)
        reg = float(self.reg_covar)
        eye = np.eye(n_features)
        ranks = None

        if self.covariance == "shared":
            with np.errstate(over="ignore", invalid="ignore"):  # reported just below
                if self.shrinkage is None:
                    cov = pooled_covariance(X, y_idx, means, weights) + reg * eye
                else:
                    cov = reg * eye
                    for k in range(n_classes):
                        w_k = None if weights is None else weights[y_idx == k]
                        cov = cov + counts[k] / total * shrunk_covariance(
                            X[y_idx == k], self.shrinkage, w_k
                        )
            hint = ""
            if n_samples - n_classes < n_features:
                hint = (
                    f"The pooled covariance of {n_samples} samples in {n_classes} classes has "
                    f"rank at most n_samples - n_classes = {n_samples - n_classes} < "
                    f"n_features = {n_features}."
                )
            factor = self._factor(
                cov,
                scale=np.max(np.abs(X), axis=0),
                what="shared (pooled within-class) covariance",
                hint=hint,
            )
            if factor[0] == "chol":
                chol, pinv, rank = factor[1], None, n_features
            else:
                chol, pinv, rank = None, factor[1], factor[2]
            W, b = linear_discriminants(means, chol, priors, pinv=pinv)
            # predictions use the discriminants of the features centred on the training mean:
            # w.x + b of raw features far from the origin cancels catastrophically
            center = X.mean(axis=0) if weights is None else (weights @ X) / total
            _, b_centred = linear_discriminants(means - center, chol, priors, pinv=pinv)
            self._forget_covariances()
            self.covariance_ = cov
            if n_classes == 2:
                self.coef_ = (W[1] - W[0])[None, :]
                self.intercept_ = np.array([b[1] - b[0]])
                self._intercept_centred = np.array([b_centred[1] - b_centred[0]])
            else:
                self.coef_ = W
                self.intercept_ = b
                self._intercept_centred = b_centred
            self._center = center
            ranks = rank
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # reported just below
                if self.shrinkage is None:
                    covs = class_covariances(X, y_idx, means, weights) + reg * eye
                else:
                    covs = np.stack([
                        shrunk_covariance(
                            X[y_idx == k], self.shrinkage,
                            None if weights is None else weights[y_idx == k],
                        ) + reg * eye
                        for k in range(n_classes)
                    ])  # fmt: skip
            factors = []
            for k in range(n_classes):
                Xk = X[y_idx == k]
                label = classes[k : k + 1].tolist()[0]  # a plain Python value for messages
                hint = ""
                if rows[k] <= n_features:
                    hint = (
                        f"Class {label!r} has {rows[k]} sample(s); a covariance from "
                        f"n_k samples has rank at most n_k - 1 = {rows[k] - 1} < "
                        f"n_features = {n_features}."
                    )
                factors.append(
                    self._factor(
                        covs[k],
                        scale=np.max(np.abs(Xk), axis=0),
                        what=f"covariance of class {label!r}",
                        hint=hint,
                    )
                )
            self._forget_covariances()
            self.covariances_ = covs
            if all(f[0] == "chol" for f in factors):
                self._chols = np.stack([f[1] for f in factors])
                ranks = np.full(n_classes, n_features)
            else:  # at least one singular class: every class through its pseudo-inverse
                self._pinvs = [covariance_pinv(c) for c in covs]
                ranks = np.array([p[1] for p in self._pinvs])

        self._fit_covariance = self.covariance  # predictions follow the fit, not set_params
        self.classes_ = classes
        self.class_count_ = counts
        self.priors_ = priors
        self.means_ = means
        self.covariance_rank_ = ranks
        return self

    def _forget_covariances(self):
        """Drop a previous fit's covariance attributes (it may have used the other kind)."""
        for name in (
            "covariance_",
            "coef_",
            "intercept_",
            "_intercept_centred",
            "_center",
            "covariances_",
            "_chols",
            "_pinvs",
        ):
            self.__dict__.pop(name, None)

    def _joint_log_likelihood(self, X):
        """``log f_k(x) + log P(C_k)`` for "separate", shape (n_samples, n_classes)."""
        jll = np.empty((X.shape[0], self.classes_.shape[0]))
        # far from every mean the Mahalanobis distance overflows: -inf, left to check_scores
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(self.classes_.shape[0]):
                if "_pinvs" in self.__dict__:
                    jll[:, k] = gaussian_log_density_pinv(X, self.means_[k], *self._pinvs[k])
                else:
                    jll[:, k] = gaussian_log_density(X, self.means_[k], self._chols[k])
        return jll + np.log(self.priors_)

    def decision_function(self, X):
        """Log-odds (two classes) or per-class discriminants (more classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: :math:`\\ln P(\\text{classes\\_[1]}|x) - \\ln P(\\text{classes\\_[0]}|x)`
            (positive means ``classes_[1]``). More classes: discriminants that differ from
            the log posteriors by a per-sample constant.
        """
        X = validate_test_data(self, X)
        if self._fit_covariance == "shared":
            with np.errstate(over="ignore", invalid="ignore"):  # reported by check_scores
                scores = (X - self._center) @ self.coef_.T + self._intercept_centred
            scores = scores.ravel() if scores.shape[1] == 1 else scores
        else:
            jll = self._joint_log_likelihood(X)
            with np.errstate(invalid="ignore"):  # -inf - -inf: reported by check_scores
                scores = jll[:, 1] - jll[:, 0] if jll.shape[1] == 2 else jll
        return check_scores(self, scores, X)
