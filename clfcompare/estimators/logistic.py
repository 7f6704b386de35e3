"""Logistic regression fitted by gradient descent, as in the lecture, with classical inference.

The lecture finds ``w, b`` of ``P(C_1 | x) = sigma(w . x + b)`` by gradient descent on the
cross-entropy. :class:`GDLogisticRegression` does exactly that (full-batch gradient descent,
or mini-batch SGD), for two classes (sigmoid) and for ``K`` classes (softmax), and reports
standard errors, z-values, p-values and confidence intervals from the Fisher information at the
fitted solution, as a tidy table (:meth:`GDLogisticRegression.coef_table`).

The maths lives in small pure functions (``cross_entropy``, ``lipschitz_constant``,
``gradient_descent``, ``fisher_information``, ``wald_table``); the class is a thin sklearn shell.
Full-batch descent is accelerated by default (Nesterov momentum, backtracking, adaptive
restart); ``solver="gd"`` is the lecture's plain descent. Sample weights, class weights and
scipy sparse input are supported throughout. :meth:`GDLogisticRegression.fit_splits` fits
many cross-validation splits at once (the trial runner's hook): their full-batch descents run
as one batched numpy computation (``_batched_descent``), each split's iterates those of its
own fit.

Why one module of about 1,600 lines: one model (the logistic regression), its optimiser (one
fit at a time or many splits batched, the same steps) and its inference share the loss, the
weights and the data checks; the length is mostly the derivations and measurements in the
docstrings.
"""

from __future__ import annotations

import hashlib
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg, stats
from scipy.special import expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import _safe_indexing, check_random_state

from clfcompare._checks import check_choice, check_int, check_real
from clfcompare.estimators._base import (
    ScoreClassifierMixin,
    check_random_states,
    check_scores,
    check_train_indices,
    effective_weights,
    log_proba_from_scores,
    validate_sample_weight,
    validate_test_data,
    validate_training_data,
)

__all__ = [
    "GDLogisticRegression",
    "cross_entropy",
    "lipschitz_constant",
    "gradient_descent",
    "DescentResult",
    "fisher_information",
    "wald_table",
    "DIVERGENCE_FACTOR",
]

#: The fit is declared divergent when the training loss exceeds this multiple of the loss at
#: the start (``ln K`` at zero weights), or is not finite.
DIVERGENCE_FACTOR = 100.0


def cross_entropy(coef, intercept, X, Y, alpha=0.0, sample_weight=None):
    r"""Mean cross-entropy plus L2 penalty, and its gradient.

    Two classes (``coef`` of shape (1, n_features), ``Y`` of 0/1 of shape (n_samples,)),
    with :math:`z_n = w \cdot x_n + b` and :math:`f(x) = \sigma(z)`:

    .. math::

        J(w, b) = \frac{1}{N}\sum_n -\left[\hat y^n \ln f(x^n)
                   + (1 - \hat y^n)\ln(1 - f(x^n))\right] + \frac{\alpha}{2}\lVert w\rVert^2,
        \quad \nabla_w J = \frac{1}{N}\sum_n (f(x^n) - \hat y^n)\,x^n + \alpha w

    :math:`K` classes (``coef`` of shape (K, n_features), ``Y`` one-hot of shape
    (n_samples, K)), :math:`p_{nk} = \operatorname{softmax}_k(W x_n + b)`:

    .. math::

        J(W, b) = -\frac{1}{N}\sum_n \sum_k \hat y_{nk}\ln p_{nk}
                  + \frac{\alpha}{2}\lVert W\rVert_F^2,
        \quad \nabla_{w_k} J = \frac{1}{N}\sum_n (p_{nk} - \hat y_{nk})\,x_n + \alpha w_k

    With ``sample_weight`` :math:`s_n` the mean is the weighted mean,
    :math:`\frac{1}{N}\sum_n \to \sum_n s_n (\cdot) / \sum_n s_n`, so an integer weight counts
    a row that many times. The intercept is not penalised. Losses are computed from
    log-probabilities (:math:`\ln(1 + e^z)` and ``log_softmax``), so they never overflow.

    Parameters
    ----------
    coef : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept : ndarray of shape (1,) or (n_classes,)
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples,) (two classes) or (n_samples, n_classes)
    alpha : float, default=0.0
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    loss : float
    grad_coef : ndarray, shape of ``coef``
    grad_intercept : ndarray, shape of ``intercept``
    """
    z = _scores(X, coef, intercept)
    loss, g_coef, g_int = _loss_and_grad(z, X, Y, sample_weight)
    if alpha:
        loss = loss + 0.5 * alpha * np.sum(coef * coef)
        g_coef = g_coef + alpha * coef
    return float(loss), g_coef, g_int


def _scores(X, coef, intercept):
    """``X @ coef.T + intercept``: shape (n_samples,) for one output, else (n_samples, K)."""
    if coef.shape[0] == 1:
        return X @ coef[0] + intercept[0]
    return X @ coef.T + intercept


def _loss(z, Y, sample_weight):
    """The (weighted) mean cross-entropy of the scores ``z``, without the penalty."""
    if z.ndim == 1:
        per = np.logaddexp(0.0, z) - Y * z
        if sample_weight is None:
            return np.mean(per)
    else:
        logp = log_softmax(z, axis=1)
        if sample_weight is None:
            return -np.sum(Y * logp) / z.shape[0]
        per = -np.sum(Y * logp, axis=1)
    return (sample_weight @ per) / sample_weight.sum()


def _loss_and_grad(z, X, Y, sample_weight):
    """Loss (no penalty) and its gradient with respect to ``coef`` and ``intercept``."""
    n = X.shape[0]
    if z.ndim == 1:
        r = expit(z) - Y
        per = np.logaddexp(0.0, z) - Y * z
        if sample_weight is None:
            return np.mean(per), (r @ X)[None, :] / n, np.array([r.mean()])
        total = sample_weight.sum()
        r = r * (sample_weight / total)
        return (sample_weight @ per) / total, (r @ X)[None, :], np.array([r.sum()])
    logp = log_softmax(z, axis=1)
    R = np.exp(logp) - Y
    if sample_weight is None:
        return -np.sum(Y * logp) / n, R.T @ X / n, R.mean(axis=0)
    total = sample_weight.sum()
    R = R * (sample_weight / total)[:, None]
    loss = -(sample_weight @ np.sum(Y * logp, axis=1)) / total
    return loss, R.T @ X, R.sum(axis=0)


def lipschitz_constant(X, n_classes, alpha=0.0, *, per_sample=False, sample_weight=None):
    r"""Lipschitz constant :math:`L` of the gradient of :func:`cross_entropy`.

    With :math:`\tilde x = (1, x)`, the Hessian of the mean loss is bounded by
    :math:`c\,\frac{1}{N}\sum_n \tilde x_n \tilde x_n^\top + \alpha I`, where
    :math:`c = \frac{1}{4}` for the sigmoid (:math:`\sigma' \le \frac{1}{4}`) and
    :math:`c = \frac{1}{2}` for the softmax (:math:`\lambda_{\max}(\operatorname{diag} p -
    pp^\top) \le \frac{1}{2}`, Böhning's bound). Hence

    .. math::

        L = c\,\lambda_{\max}\!\left(\tfrac{1}{N}\tilde X^\top \tilde X\right) + \alpha
        \qquad\text{(full batch)}, \qquad
        L = c\,\max_n \lVert \tilde x_n \rVert^2 + \alpha \qquad\text{(any mini-batch)}.

    Gradient descent with step :math:`1/L` decreases the loss at every step. With
    ``sample_weight`` the mean is the weighted mean (full batch), and the maximum runs over
    the rows of positive weight (a weighted mean of per-row curvatures is bounded by their
    maximum, so the bound holds for every weighted mini-batch).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    n_classes : int
    alpha : float, default=0.0
    per_sample : bool, default=False
        Return the bound valid for every mini-batch instead of the full-batch one.
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    L : float

    Raises
    ------
    ValueError
        If the squares of ``X`` overflow float64 (no finite step bound exists).
    """
    c = 0.25 if n_classes == 2 else 0.5
    sparse = hasattr(X, "toarray")
    with np.errstate(over="ignore", invalid="ignore"):  # reported just below
        if per_sample:
            if sparse:
                norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
            else:
                norms = np.einsum("ij,ij->i", X, X)
            if sample_weight is not None:
                norms = norms[sample_weight > 0]
            sq = np.max(norms)
        elif sparse or sample_weight is not None:
            w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
            total = w.sum()
            Xw = X.multiply(w[:, None]).tocsr() if sparse else X * w[:, None]
            gram = X.T @ Xw
            gram = gram.toarray() if hasattr(gram, "toarray") else gram
            sums = np.asarray(Xw.sum(axis=0)).ravel()
            sq = np.block([[np.array([[total]]), sums[None, :]], [sums[:, None], gram]]) / total
        else:
            Xt = np.hstack([np.ones((X.shape[0], 1)), X])
            sq = Xt.T @ Xt / X.shape[0]
    if not np.all(np.isfinite(sq)):
        largest = abs(X).max() if sparse else np.max(np.abs(X))
        raise ValueError(
            f"The features are too large to square in float64 (largest |x| = "
            f"{largest:.3g}), so no gradient step can be bounded; rescale them "
            "(e.g. StandardScaler)."
        )
    if per_sample:
        return float(c * (1.0 + sq) + alpha)
    return float(c * linalg.eigvalsh(sq)[-1] + alpha)


class DescentResult(NamedTuple):
    """What :func:`gradient_descent` returns."""

    coef: np.ndarray
    intercept: np.ndarray
    losses: np.ndarray
    loss0: float
    n_iter: int
    converged: bool
    diverged: bool
    n_increase: int
    grad_max: float
    loss_iters: np.ndarray | None = None


class _Prepared(NamedTuple):
    """The checked inputs of one fit (:meth:`GDLogisticRegression._prepare`)."""

    X: object
    Y: np.ndarray
    classes: np.ndarray
    y_idx: np.ndarray
    weights: np.ndarray | None
    lr: float
    L: float


#: ``loss_curve_`` keeps at most this many points (see :class:`_Curve`).
MAX_CURVE_POINTS = 1000

#: Accelerated descent: factor by which the step grows after every accepted step, and by
#: which backtracking shrinks it.
STEP_GROWTH, STEP_SHRINK = 1.1, 0.5


class _Curve:
    """The losses of a descent, thinned to at most ``MAX_CURVE_POINTS`` points.

    Iteration ``i`` is kept when it is a multiple of the stride; when the points reach
    ``MAX_CURVE_POINTS`` every other one is dropped and the stride doubles. The last
    iteration is always kept. Runs of at most ``MAX_CURVE_POINTS`` iterations keep every
    point.
    """

    def __init__(self):
        self.values, self.iters, self.stride = [], [], 1
        self.last = None

    def append(self, it, value):
        self.last = (it, value)
        if it % self.stride:
            return
        self.values.append(value)
        self.iters.append(it)
        if len(self.values) > MAX_CURVE_POINTS:
            self.stride *= 2
            keep = [j for j, i in enumerate(self.iters) if i % self.stride == 0]
            self.values = [self.values[j] for j in keep]
            self.iters = [self.iters[j] for j in keep]

    def arrays(self):
        values, iters = list(self.values), list(self.iters)
        if self.last is not None:
            if iters and iters[-1] == self.last[0]:
                values[-1] = self.last[1]
            else:
                values.append(self.last[1])
                iters.append(self.last[0])
        return np.asarray(values, dtype=np.float64), np.asarray(iters, dtype=np.int64)


def _column_stats(X, sample_weight, *, zero_to_one=True):
    """(Weighted) mean and standard deviation of every column; 1 for a zero deviation."""
    if sample_weight is None and not hasattr(X, "toarray"):
        center = X.mean(axis=0)
        size = np.max(np.abs(X), axis=0)
        size[size == 0] = 1.0
        spread = (X / size).std(axis=0) * size  # no underflow of tiny variances
    else:
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        total = w.sum()
        center = np.asarray(w @ X).ravel() / total
        sq = X.multiply(X) if hasattr(X, "toarray") else X * X
        second = np.asarray(w @ sq).ravel() / total
        spread = np.sqrt(np.maximum(second - center**2, 0.0))
    if zero_to_one:
        spread[spread == 0] = 1.0  # a constant feature: its centred gradient is 0 anyway
    return center, spread


def gradient_descent(
    X,
    Y,
    *,
    learning_rate,
    alpha=0.0,
    max_iter=10000,
    tol=1e-6,
    batch_size=None,
    n_iter_no_change=5,
    random_state=None,
    solver="gd",
    sample_weight=None,
    min_step=None,
):
    r"""Minimise :func:`cross_entropy` from zero weights by (mini-batch) gradient descent.

    Full batch (``batch_size=None``), ``solver="gd"``: one iteration is one step
    :math:`\theta_{t} = \theta_{t-1} - \eta \nabla J(\theta_{t-1})`. ``solver="agd"``:
    Nesterov's accelerated gradient with backtracking and adaptive restart,

    .. math::

        y_t = \theta_{t-1} + \tfrac{k - 1}{k + 2}(\theta_{t-1} - \theta_{t-2}), \qquad
        \theta_t = y_t - \eta_t \nabla J(y_t),

    where :math:`\eta_t` starts at ``learning_rate``, grows by ``STEP_GROWTH`` after every
    step and is halved (``STEP_SHRINK``) until the sufficient-decrease condition
    :math:`J(\theta_t) \le J(y_t) - \frac{\eta_t}{2}\lVert\nabla J(y_t)\rVert^2` holds (but
    never below ``min_step``, the safe :math:`1/L`, for which it holds by theory);
    :math:`k` counts the steps since the last restart, and the momentum restarts
    (:math:`k = 1`, i.e. a plain step from :math:`\theta_{t-1}`) whenever a step would
    increase the loss, so the loss decreases at every iteration (O'Donoghue and Candès).
    The linear scores are updated along the way
    (:math:`X y_t` and :math:`X \theta_t` are combinations of :math:`X\theta_{t-1}`,
    :math:`X\theta_{t-2}` and :math:`X\nabla J`), so an iteration costs about one and a half
    of plain gradient descent's. Either stops when the gradient of the same model written
    in standardised features is small,

    .. math::

        \max\Big(\max_k \lvert g_{b_k} \rvert,\;
            \max_{k,j} \frac{\lvert g_{w_{kj}} - m_j\, g_{b_k} \rvert}{s_j}\Big) \le
            \texttt{tol},

    with :math:`m_j, s_j` the (weighted) mean and standard deviation of feature :math:`j`
    (the partial derivatives with respect to :math:`b'_k = b_k + \sum_j w_{kj} m_j` and
    :math:`w'_{kj} = w_{kj} s_j`). It is the largest absolute gradient entry when the
    features are standardised, and does not depend on their units. Mini-batch, one iteration
    is an epoch of plain steps (whatever ``solver``) on the batches of a fresh permutation
    of the rows (drawn from ``random_state``), each with the gradient of the batch's
    (weighted) mean loss (a batch whose weights are all 0 makes no step); it stops when the
    full training loss after an epoch has not improved on its best value by more than
    ``tol`` for ``n_iter_no_change`` consecutive epochs. Either stops as divergent when the
    loss is not finite or exceeds ``DIVERGENCE_FACTOR`` times the starting loss.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples,) of 0/1 (sigmoid) or (n_samples, n_classes) one-hot
    learning_rate : float
        The step (``"gd"``, mini-batch) or the first step (``"agd"``).
    alpha, max_iter, tol, batch_size, n_iter_no_change, random_state, solver
        As in :class:`GDLogisticRegression`.
    sample_weight : ndarray of shape (n_samples,), optional
        Frequency weights (see :func:`cross_entropy`).
    min_step : float, optional
        ``"agd"``: the smallest step backtracking may reach (default ``learning_rate``).

    Returns
    -------
    result : DescentResult
        ``coef``, ``intercept``, ``losses`` (objective after each iteration, thinned to at
        most ``MAX_CURVE_POINTS`` points), ``loss_iters`` (their iteration numbers, from
        1), ``loss0`` (at the zero start), ``n_iter``, ``converged``, ``diverged``,
        ``n_increase`` (full batch: steps that increased the loss), ``grad_max`` (full
        batch: the final value of the standardised gradient criterion above, else NaN).

    References
    ----------
    .. [1] Y. Nesterov, "A method for solving the convex programming problem with
       convergence rate O(1/k^2)", Soviet Mathematics Doklady 27 (1983), 372-376.
    .. [2] B. O'Donoghue and E. Candès, "Adaptive restart for accelerated gradient
       schemes", Foundations of Computational Mathematics 15 (2015), 715-732.
    .. [3] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for
       linear inverse problems", SIAM Journal on Imaging Sciences 2 (2009), 183-202
       (backtracking).
    """
    n_samples, n_features = X.shape
    n_out = 1 if Y.ndim == 1 else Y.shape[1]
    coef = np.zeros((n_out, n_features))
    intercept = np.zeros(n_out)
    w = sample_weight
    loss0, g_coef, g_int = cross_entropy(coef, intercept, X, Y, alpha, w)
    curve = _Curve()
    converged = diverged = False
    n_increase, prev = 0, loss0
    grad_max = np.nan
    if batch_size is None:
        center, spread = _column_stats(X, w)
    else:
        rng = check_random_state(random_state)
        batch = min(int(batch_size), n_samples)
        best, stall = loss0, 0

    def criterion(gc, gi):
        return max(np.max(np.abs((gc - gi[:, None] * center) / spread)), np.max(np.abs(gi)))

    def penalised(z_, coef_):
        value = _loss(z_, Y, w)
        return value + 0.5 * alpha * np.sum(coef_ * coef_) if alpha else value

    def value_and_grad(z_, coef_):
        value, gc, gi = _loss_and_grad(z_, X, Y, w)
        if alpha:
            value = value + 0.5 * alpha * np.sum(coef_ * coef_)
            gc = gc + alpha * coef_
        return value, gc, gi

    def backtrack(c0, b0, z0, f0, gc, gi):
        """The step from (c0, b0) along -g: backtracking on sufficient decrease."""
        nonlocal step
        Xg = _scores(X, gc, gi)
        sq = np.sum(gc * gc) + np.sum(gi * gi)
        while True:
            z1 = z0 - step * Xg
            f1 = penalised(z1, c0 - step * gc)
            if step <= floor or f1 <= f0 - 0.5 * step * sq:
                break
            step = max(step * STEP_SHRINK, floor)
        c1, b1 = c0 - step * gc, b0 - step * gi
        step *= STEP_GROWTH
        return c1, b1, z1, f1

    accelerated = batch_size is None and solver == "agd"
    if accelerated:
        floor = learning_rate if min_step is None else min(min_step, learning_rate)
        step = learning_rate
        z = _scores(X, coef, intercept)
        loss, k = loss0, 1
        coef_prev, intercept_prev, z_prev = coef, intercept, z

    # overflow only happens on a diverging run, which the finiteness check reports
    with np.errstate(over="ignore", invalid="ignore"):
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            if batch_size is not None:
                order = rng.permutation(n_samples)
                for start in range(0, n_samples, batch):
                    idx = order[start : start + batch]
                    w_b = None if w is None else w[idx]
                    if w_b is not None and not np.any(w_b > 0):
                        continue
                    _, gc, gi = cross_entropy(coef, intercept, X[idx], Y[idx], alpha, w_b)
                    coef -= learning_rate * gc
                    intercept -= learning_rate * gi
                loss, _, _ = cross_entropy(coef, intercept, X, Y, alpha, w)
            elif accelerated:
                beta = (k - 1) / (k + 2)
                if beta > 0:
                    y_coef = coef + beta * (coef - coef_prev)
                    y_int = intercept + beta * (intercept - intercept_prev)
                    z_y = z + beta * (z - z_prev)
                    f_y, gc, gi = value_and_grad(z_y, y_coef)
                    grad_max = criterion(gc, gi)
                    if grad_max <= tol and f_y <= loss:  # y is the solution
                        coef, intercept, z, loss = y_coef, y_int, z_y, f_y
                        curve.append(n_iter, loss)
                        converged = True
                        break
                    coef_new, int_new, z_new, f_new = backtrack(y_coef, y_int, z_y, f_y, gc, gi)
                if beta <= 0 or f_new > loss or not np.isfinite(f_new):
                    # a plain step from theta: at the start, or the momentum made it worse
                    if g_coef is None:
                        loss, g_coef, g_int = value_and_grad(z, coef)
                    grad_max = criterion(g_coef, g_int)
                    if grad_max <= tol:
                        curve.append(n_iter, loss)
                        converged = True
                        break
                    coef_new, int_new, z_new, f_new = backtrack(
                        coef, intercept, z, loss, g_coef, g_int
                    )
                    k = 1
                coef_prev, intercept_prev, z_prev = coef, intercept, z
                coef, intercept, z = coef_new, int_new, z_new
                if n_iter % 50 == 0:  # recompute the scores: rounding must not accumulate
                    z, z_prev = _scores(X, coef, intercept), _scores(X, coef_prev, intercept_prev)
                    f_new = penalised(z, coef)
                n_increase += f_new > loss + 1e-12 * abs(loss)
                loss, g_coef, g_int = f_new, None, None  # the gradient at theta when needed
                k += 1
            else:
                coef -= learning_rate * g_coef
                intercept -= learning_rate * g_int
                loss, g_coef, g_int = cross_entropy(coef, intercept, X, Y, alpha, w)
                n_increase += loss > prev + 1e-12 * abs(prev)
                prev = loss
                grad_max = criterion(g_coef, g_int)
            curve.append(n_iter, loss)
            if accelerated:
                continue  # it stops on tol itself, and cannot diverge (backtracking)
            if not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * loss0:
                diverged = True
                break
            if batch_size is not None:
                stall = stall + 1 if loss > best - tol else 0
                best = min(best, loss)
                converged = stall >= n_iter_no_change
            else:
                converged = grad_max <= tol
            if converged:
                break
    if accelerated:  # the last loss and gradient from the weights, not from the updates
        loss, g_coef, g_int = cross_entropy(coef, intercept, X, Y, alpha, w)
        curve.last = (n_iter, loss)
        grad_max = criterion(g_coef, g_int)
    losses, iters = curve.arrays()
    return DescentResult(
        coef,
        intercept,
        losses,
        float(loss0),
        n_iter,
        bool(converged),
        diverged,
        int(n_increase),
        float(grad_max),
        iters,
    )


def _log_softmax_last(z):
    """``scipy.special.log_softmax(z, axis=-1)`` in its own operations (the same numbers),
    without its array-API dispatch, which costs more than the arithmetic on small arrays."""
    z_max = np.max(z, axis=-1, keepdims=True)
    z_max[~np.isfinite(z_max)] = 0.0
    tmp = z - z_max
    with np.errstate(divide="ignore"):
        return tmp - np.log(np.sum(np.exp(tmp), axis=-1, keepdims=True))


def _batched_descent(Xs, Ys, lrs, min_steps, *, alpha, max_iter, tol, solver):
    """Full-batch :func:`gradient_descent` (dense, unweighted) of many fits at once.

    Fit ``s`` minimises the cross-entropy on ``Xs[s], Ys[s]`` from zero, exactly as
    ``gradient_descent(Xs[s], Ys[s], learning_rate=lrs[s], min_step=min_steps[s], ...)``
    does: the same steps, backtracking, restarts and stopping, decided for every fit on its
    own. The fits' rows are zero-padded to the longest fit and stacked, so one iteration is
    a few batched numpy products over all the fits still running; the padding rows are
    masked out of every loss and gradient. Results agree with the one-by-one descents to
    rounding (the sums run over padded arrays, in a different order).

    Parameters
    ----------
    Xs : list of ndarray of shape (n_samples_s, n_features)
    Ys : list of ndarray
        0/1 of shape (n_samples_s,) for all fits, or one-hot (n_samples_s, n_classes) with
        the same ``n_classes`` for all fits.
    lrs, min_steps : list of float
    alpha, max_iter, tol, solver
        As in :func:`gradient_descent`.

    Returns
    -------
    list of DescentResult
    """
    S = len(Xs)
    n = np.array([x.shape[0] for x in Xs], dtype=np.float64)
    N, F = int(n.max()), Xs[0].shape[1]
    binary = Ys[0].ndim == 1
    K = 1 if binary else Ys[0].shape[1]
    XA = np.zeros((S, N, F))
    YA = np.zeros((S, N)) if binary else np.zeros((S, N, K))
    MA = np.zeros((S, N))
    for s, (x, yv) in enumerate(zip(Xs, Ys, strict=True)):
        XA[s, : x.shape[0]] = x
        YA[s, : x.shape[0]] = yv
        MA[s, : x.shape[0]] = 1.0
    stats_ = [_column_stats(x, None) for x in Xs]
    CA = np.stack([c for c, _ in stats_])[:, None, :]
    SA = np.stack([sp for _, sp in stats_])[:, None, :]
    lr = np.asarray(lrs, dtype=np.float64)
    floor_all = np.minimum(np.asarray(min_steps, dtype=np.float64), lr)

    def scores(ix, c, b):  # (m, N) for one output, else (m, N, K)
        if binary:
            return (XA[ix] @ c[:, 0, :, None])[..., 0] + b[:, :1]
        return XA[ix] @ c.transpose(0, 2, 1) + b[:, None, :]

    def loss_only(ix, z, c):
        if binary:
            per = (np.logaddexp(0.0, z) - YA[ix] * z) * MA[ix]
            value = per.sum(axis=1) / n[ix]
        else:
            logp = _log_softmax_last(z)
            value = -np.sum(YA[ix] * logp, axis=(1, 2)) / n[ix]
        if alpha:
            value = value + 0.5 * alpha * np.sum(c * c, axis=(1, 2))
        return value

    def value_and_grad(ix, z, c):
        m = MA[ix]
        if binary:
            r = (expit(z) - YA[ix]) * m
            per = (np.logaddexp(0.0, z) - YA[ix] * z) * m
            value = per.sum(axis=1) / n[ix]
            gc = (r[:, None, :] @ XA[ix]) / n[ix, None, None]
            gi = r.sum(axis=1)[:, None] / n[ix, None]
        else:
            logp = _log_softmax_last(z)
            value = -np.sum(YA[ix] * logp, axis=(1, 2)) / n[ix]
            R = (np.exp(logp) - YA[ix]) * m[:, :, None]
            gc = R.transpose(0, 2, 1) @ XA[ix] / n[ix, None, None]
            gi = R.sum(axis=1) / n[ix, None]
        if alpha:
            value = value + 0.5 * alpha * np.sum(c * c, axis=(1, 2))
            gc = gc + alpha * c
        return value, gc, gi

    def criterion(ix, gc, gi):
        a = np.max(np.abs((gc - gi[:, :, None] * CA[ix]) / SA[ix]), axis=(1, 2))
        return np.maximum(a, np.max(np.abs(gi), axis=1))

    def expand(v, ndim):
        return v.reshape(v.shape + (1,) * (ndim - 1))

    coef = np.zeros((S, K, F))
    intercept = np.zeros((S, K))
    all_ix = np.arange(S)
    loss0, g_coef, g_int = value_and_grad(all_ix, scores(all_ix, coef, intercept), coef)
    # per-fit records: the loss of every iteration, the final state
    history = []  # (active indices, losses) per iteration
    conv_at = {}  # fit -> (n_iter, loss appended at convergence)
    n_iter_of = np.full(S, max_iter)
    converged = np.zeros(S, dtype=bool)
    diverged = np.zeros(S, dtype=bool)
    n_increase = np.zeros(S, dtype=np.int64)
    grad_max = np.full(S, np.nan)
    out_coef, out_int = coef.copy(), intercept.copy()

    with np.errstate(over="ignore", invalid="ignore"):
        if solver == "agd":
            step = lr.copy()
            z = scores(all_ix, coef, intercept)
            loss, k = loss0.copy(), np.ones(S, dtype=np.int64)
            coef_prev, int_prev, z_prev = coef, intercept, z
            act = all_ix  # fits still running; their state lives in the arrays below

            def backtrack(ix, sel, c0, b0, z0, f0, gc, gi):
                """Backtracking steps of the fits ``ix`` (positions ``sel`` of ``step``)."""
                Xg = scores(ix, gc, gi)
                sq = np.sum(gc * gc, axis=(1, 2)) + np.sum(gi * gi, axis=1)
                fl = floor_all[ix]
                st = step[sel]
                pending = np.ones(len(ix), dtype=bool)
                z1 = np.empty_like(z0)
                f1 = np.empty(len(ix))
                while True:
                    p = np.flatnonzero(pending)
                    zz = z0[p] - expand(st[p], z0.ndim) * Xg[p]
                    ff = loss_only(ix[p], zz, c0[p] - st[p, None, None] * gc[p])
                    z1[p], f1[p] = zz, ff
                    done = (st[p] <= fl[p]) | (ff <= f0[p] - 0.5 * st[p] * sq[p])
                    pending[p[done]] = False
                    if not pending.any():
                        break
                    q = p[~done]
                    st[q] = np.maximum(st[q] * STEP_SHRINK, fl[q])
                c1 = c0 - st[:, None, None] * gc
                b1 = b0 - st[:, None] * gi
                step[sel] = st * STEP_GROWTH
                return c1, b1, z1, f1

            n_it = 0
            while n_it < max_iter and act.size:
                n_it += 1
                m = act.size
                beta = (k[act] - 1) / (k[act] + 2)
                mom = np.flatnonzero(beta > 0)
                finished = np.zeros(m, dtype=bool)
                coef_new, int_new = np.empty_like(coef), np.empty_like(intercept)
                z_new, f_new = np.empty_like(z), np.full(m, np.inf)
                if mom.size:
                    bm = beta[mom]
                    y_c = coef[mom] + bm[:, None, None] * (coef[mom] - coef_prev[mom])
                    y_b = intercept[mom] + bm[:, None] * (intercept[mom] - int_prev[mom])
                    z_y = z[mom] + expand(bm, z.ndim) * (z[mom] - z_prev[mom])
                    f_y, gc, gi = value_and_grad(act[mom], z_y, y_c)
                    gm = criterion(act[mom], gc, gi)
                    stop = (gm <= tol) & (f_y <= loss[act[mom]])
                    for j in np.flatnonzero(stop):
                        s = act[mom[j]]
                        out_coef[s], out_int[s] = y_c[j], y_b[j]
                        conv_at[s] = (n_it, f_y[j])
                        converged[s], n_iter_of[s] = True, n_it
                        finished[mom[j]] = True
                    go = np.flatnonzero(~stop)
                    if go.size:
                        gpos = mom[go]
                        c1, b1, z1, f1 = backtrack(
                            act[gpos],
                            act[gpos],
                            y_c[go],
                            y_b[go],
                            z_y[go],
                            f_y[go],
                            gc[go],
                            gi[go],
                        )
                        coef_new[gpos], int_new[gpos], z_new[gpos], f_new[gpos] = c1, b1, z1, f1
                    done_m = np.zeros(m, dtype=bool)
                    done_m[mom[go]] = True
                else:
                    done_m = np.zeros(m, dtype=bool)
                lo = loss[act]
                plain = ~finished & (~done_m | (f_new > lo) | ~np.isfinite(f_new))
                pl = np.flatnonzero(plain)
                if pl.size:
                    ix = act[pl]
                    lv, gc, gi = value_and_grad(ix, z[pl], coef[pl])
                    lo[pl] = lv
                    gm = criterion(ix, gc, gi)
                    stop = gm <= tol
                    for j in np.flatnonzero(stop):
                        s = ix[j]
                        out_coef[s], out_int[s] = coef[pl[j]], intercept[pl[j]]
                        conv_at[s] = (n_it, lv[j])
                        converged[s], n_iter_of[s] = True, n_it
                        finished[pl[j]] = True
                    go = np.flatnonzero(~stop)
                    if go.size:
                        gpos = pl[go]
                        c1, b1, z1, f1 = backtrack(
                            act[gpos],
                            act[gpos],
                            coef[gpos],
                            intercept[gpos],
                            z[gpos],
                            lv[go],
                            gc[go],
                            gi[go],
                        )
                        coef_new[gpos], int_new[gpos], z_new[gpos], f_new[gpos] = c1, b1, z1, f1
                        k[act[gpos]] = 1
                keep = np.flatnonzero(~finished)
                ka = act[keep]
                coef_prev, int_prev, z_prev = coef[keep], intercept[keep], z[keep]
                coef, intercept, z = coef_new[keep], int_new[keep], z_new[keep]
                fn = f_new[keep]
                if n_it % 50 == 0:
                    z, z_prev = scores(ka, coef, intercept), scores(ka, coef_prev, int_prev)
                    fn = loss_only(ka, z, coef)
                lk = lo[keep]
                n_increase[ka] += fn > lk + 1e-12 * np.abs(lk)
                loss[ka] = fn
                k[ka] += 1
                history.append((ka, fn.copy()))
                act = ka
            out_coef[act], out_int[act] = coef, intercept
        else:
            lr3 = lr[:, None, None]
            act = all_ix
            prev = loss0.copy()
            n_it = 0
            while n_it < max_iter and act.size:
                n_it += 1
                coef = coef - lr3[act] * g_coef
                intercept = intercept - lr[act, None] * g_int
                lv, g_coef, g_int = value_and_grad(act, scores(act, coef, intercept), coef)
                n_increase[act] += lv > prev[act] + 1e-12 * np.abs(prev[act])
                prev[act] = lv
                gm = criterion(act, g_coef, g_int)
                grad_max[act] = gm
                history.append((act, lv))
                div = ~np.isfinite(lv) | (lv > DIVERGENCE_FACTOR * loss0[act])
                conv = ~div & (gm <= tol)
                stop = div | conv
                diverged[act[div]] = True
                converged[act[conv]] = True
                if stop.any():
                    n_iter_of[act[stop]] = n_it
                    out_coef[act[stop]], out_int[act[stop]] = coef[stop], intercept[stop]
                    keep = ~stop
                    act, coef, intercept = act[keep], coef[keep], intercept[keep]
                    g_coef, g_int = g_coef[keep], g_int[keep]
            out_coef[act], out_int[act] = coef, intercept

    T = len(history)
    table = np.full((T, S), np.nan)
    for t, (ix, values) in enumerate(history):
        table[t, ix] = values
    results = []
    for s in range(S):
        curve = _Curve()
        last = n_iter_of[s] - 1 if s in conv_at else n_iter_of[s]
        for t in range(last):
            curve.append(t + 1, float(table[t, s]))
        if s in conv_at:
            curve.append(conv_at[s][0], float(conv_at[s][1]))
        c, b = out_coef[s], out_int[s]
        y_s = Ys[s]
        if solver == "agd":
            loss_s, gc, gi = cross_entropy(c, b, Xs[s], y_s, alpha)
            curve.last = (int(n_iter_of[s]), loss_s)
            center, spread = stats_[s]
            gmax = max(np.max(np.abs((gc - gi[:, None] * center) / spread)), np.max(np.abs(gi)))
        else:
            gmax = grad_max[s]
        losses, iters = curve.arrays()
        results.append(
            DescentResult(
                c,
                b,
                losses,
                float(loss0[s]),
                int(n_iter_of[s]),
                bool(converged[s]),
                bool(diverged[s]),
                int(n_increase[s]),
                float(gmax),
                iters,
            )
        )
    return results


def fisher_information(X, proba, sample_weight=None):
    r"""Fisher information of the identified (reference-class) parameters.

    Class 0 is the reference. The parameters are :math:`\beta_k = (b_k - b_0, w_k - w_0)`
    for :math:`k = 1, \dots, K-1` (for two classes, :math:`\beta_1 = (b, w)` of the sigmoid
    model), ordered class by class, intercept first. With :math:`\tilde x = (1, x)` and
    :math:`q_n = (p_{n1}, \dots, p_{n,K-1})`:

    .. math:: \mathcal{I} = \sum_n \left(\operatorname{diag} q_n - q_n q_n^\top\right)
              \otimes \tilde x_n \tilde x_n^\top

    (for two classes :math:`\sum_n p_n(1 - p_n)\,\tilde x_n\tilde x_n^\top`). For the
    canonical link the observed and expected information coincide.

    With frequency weights :math:`s_n` every term is multiplied by :math:`s_n`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    proba : ndarray of shape (n_samples, n_classes)
        Fitted probabilities, columns in class order.
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    information : ndarray of shape ((n_classes - 1) * (n_features + 1),) * 2
    """
    Xt = np.hstack([np.ones((X.shape[0], 1)), X])
    Q = proba[:, 1:]
    m, p = Q.shape[1], Xt.shape[1]
    info = np.empty((m * p, m * p))
    for j in range(m):
        for k in range(j, m):
            w = Q[:, j] * ((j == k) - Q[:, k])
            if sample_weight is not None:
                w = w * sample_weight
            block = (Xt * w[:, None]).T @ Xt
            info[j * p : (j + 1) * p, k * p : (k + 1) * p] = block
            info[k * p : (k + 1) * p, j * p : (j + 1) * p] = block.T
    return info


def wald_table(params, covariance, *, confidence_level=0.95):
    r"""Wald statistics from estimates and their covariance matrix.

    .. math::

        \mathrm{se}_j = \sqrt{(\mathcal{I}^{-1})_{jj}}, \quad z_j = \hat\beta_j / \mathrm{se}_j,
        \quad p_j = 2\,(1 - \Phi(|z_j|)), \quad
        \hat\beta_j \pm \Phi^{-1}\!\left(\tfrac{1 + \gamma}{2}\right)\mathrm{se}_j

    with :math:`\gamma` the confidence level (normal reference distribution, as statsmodels'
    ``Logit``/``MNLogit``).

    Parameters
    ----------
    params : ndarray of shape (n_params,)
    covariance : ndarray of shape (n_params, n_params)
    confidence_level : float, default=0.95

    Returns
    -------
    table : dict of str to ndarray of shape (n_params,)
        Keys ``coef``, ``std_err``, ``z``, ``pvalue``, ``ci_low``, ``ci_high``.
    """
    se = np.sqrt(np.diag(covariance))
    z = params / se
    q = stats.norm.ppf(0.5 + confidence_level / 2)
    return {
        "coef": params,
        "std_err": se,
        "z": z,
        "pvalue": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": params - q * se,
        "ci_high": params + q * se,
    }


def _separates(scores, y_idx):
    """Whether the linear scores put every sample strictly on its own class's side.

    If they do, the classes are linearly separable and scaling the weights up drives the
    unpenalised cross-entropy to 0: no finite maximum-likelihood estimate exists.
    """
    if scores.ndim == 1:
        return bool(np.all(np.where(y_idx == 1, scores, -scores) > 0))
    own = scores[np.arange(scores.shape[0]), y_idx]
    others = scores.copy()
    others[np.arange(scores.shape[0]), y_idx] = -np.inf
    return bool(np.all(own > others.max(axis=1)))


def _linear_scores(X, coef, intercept):
    """``X @ coef.T + intercept``, raveled for one output; overflow is left to the caller."""
    with np.errstate(over="ignore", invalid="ignore"):
        scores = np.asarray(X @ coef.T) + intercept
    return scores.ravel() if scores.shape[1] == 1 else scores


def _fingerprint(X):
    digest = hashlib.blake2b(digest_size=16)
    if hasattr(X, "tocsr"):  # sparse: the CSR arrays
        X = X.tocsr()
        for part in (X.data, X.indices, X.indptr):
            digest.update(np.ascontiguousarray(part).data)
    else:
        digest.update(np.ascontiguousarray(X).data)
    return (X.shape, digest.hexdigest())


class GDLogisticRegression(ScoreClassifierMixin, ClassifierMixin, BaseEstimator):
    r"""Logistic regression fitted by gradient descent on the cross-entropy (the lecture's).

    Two classes: :math:`P(\text{classes\_[1]} \mid x) = \sigma(w \cdot x + b)`.
    :math:`K > 2` classes: :math:`P(C_k \mid x) = \operatorname{softmax}_k(Wx + b)`.
    The objective is the mean cross-entropy plus :math:`\frac{\alpha}{2}\lVert W\rVert^2`
    (see :func:`cross_entropy`), minimised from zero weights by gradient steps

    .. math:: \theta \leftarrow \theta - \eta\,\nabla J(\theta)

    over the whole training set (default) or over shuffled mini-batches (``batch_size``).
    Full-batch descent is accelerated by default (``solver="agd"``: Nesterov momentum, a
    backtracking step and adaptive restart, see :func:`gradient_descent`); it is still
    gradient descent, every step along the negative gradient at an extrapolated point.
    ``solver="gd"`` is the lecture's plain descent with a constant step.

    Parameters
    ----------
    learning_rate : "auto" or float, default="auto"
        The step :math:`\eta`. ``"auto"`` uses :math:`1/L`, with :math:`L` the Lipschitz
        constant of the gradient (:func:`lipschitz_constant`; for mini-batches the bound that
        holds for every batch), for which every full-batch step decreases the loss. With
        ``solver="agd"`` it is the first step: the step then grows by 10 % per iteration and
        is halved by backtracking when it does not decrease the loss enough, never below
        ``min(learning_rate, 1/L)``.
    max_iter : int, default=10000
        Maximum number of iterations: gradient steps (full batch) or epochs (mini-batch).
    tol : float, default=1e-6
        Full batch: stop when the largest absolute entry of the gradient, taken with
        respect to the parameters of the standardised features (see
        :func:`gradient_descent`), is :math:`\le` ``tol``; on standardised features that
        is the plain gradient, and the criterion does not depend on the features' units.
        Mini-batch: stop when the training loss, evaluated after every epoch, has not
        improved on its best value by more than ``tol`` for ``n_iter_no_change``
        consecutive epochs.
    alpha : float, default=0.0
        L2 penalty on the coefficients (not the intercept). It relates to scikit-learn's
        ``LogisticRegression(C=...)`` by :math:`\alpha = 1 / (C N)`.
    batch_size : int or None, default=None
        ``None``: full-batch gradient descent. An int: mini-batch SGD with batches of
        ``min(batch_size, n_samples)`` rows, reshuffled every epoch.
    n_iter_no_change : int, default=5
        Mini-batch only: epochs without improvement before stopping (see ``tol``).
    random_state : int, RandomState instance or None, default=None
        Seeds the mini-batch shuffling (full-batch descent is deterministic and does not
        use it).
    solver : {"agd", "gd"}, default="agd"
        Full-batch descent: ``"agd"`` accelerated gradient descent (Nesterov momentum with
        backtracking and adaptive restart), ``"gd"`` plain gradient descent with the
        constant step ``learning_rate``. Mini-batch SGD is plain whatever the solver.
        Measured on standardised breast_cancer / iris / wine (defaults otherwise, one CPU
        thread): ``"gd"`` stopped on ``max_iter=10000`` with a ConvergenceWarning on all
        three (0.6-0.9 s each); ``"agd"`` met ``tol=1e-6`` after 6,396 / 411 / 93
        iterations. breast_cancer and wine are linearly separable, so their unpenalised
        maximum-likelihood estimate does not exist: there the small gradient is reached
        along weights that grow without bound (see Notes).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight`` as in scikit-learn's
        ``LogisticRegression``: ``"balanced"`` gives class :math:`k` the weight
        :math:`N / (K N_k)` (counts weighted by ``sample_weight``), a dict
        ``{label: weight}`` its weights (missing labels weigh 1); see
        :func:`sklearn.utils.class_weight.compute_class_weight`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels.
    coef_ : ndarray of shape (1, n_features) if n_classes == 2 else (n_classes, n_features)
        :math:`w` (two classes; positive scores mean ``classes_[1]``) or :math:`W`.
    intercept_ : ndarray of shape (1,) if n_classes == 2 else (n_classes,)
        :math:`b`.
    n_iter_ : int
        Iterations run (gradient steps or epochs).
    loss_curve_ : ndarray of shape (n_points,)
        Training objective (mean cross-entropy + penalty) after the iterations
        ``loss_curve_iter_``: every iteration for runs of at most 1,000 iterations, else
        thinned to at most 1,000 points (iterations that are multiples of a power of two,
        and always the last), so that a long fit does not make the pickled model large.
    loss_curve_iter_ : ndarray of shape (n_points,)
        The iteration numbers (from 1) of ``loss_curve_``.
    learning_rate_ : float
        The step :math:`\eta` used (``"agd"``: the first step).
    converged_ : bool
        Whether the ``tol`` criterion was met before ``max_iter``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``; only when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the same model fitted by quasi-Newton solvers.
    statsmodels.discrete.discrete_model.Logit, statsmodels.discrete.discrete_model.MNLogit

    Notes
    -----
    **Softmax parametrisation.** The :math:`K`-class model has :math:`K` weight vectors but
    only :math:`K - 1` are identified (adding the same vector to all leaves the probabilities
    unchanged). Descent starts at zero and every gradient sums to zero over classes, so the
    fit satisfies :math:`\sum_k w_k = 0`, :math:`\sum_k b_k = 0`: without penalty it is the
    minimum-norm maximum-likelihood solution; with ``alpha > 0`` it is the unique minimiser.
    :meth:`coef_table` reports the identified contrasts :math:`w_k - w_0` against the first
    class, the parametrisation of statsmodels' ``MNLogit``.

    **Sample and class weights.** ``fit(X, y, sample_weight=s)`` minimises the weighted mean
    :math:`\sum_n s_n \ell_n / \sum_n s_n` plus the penalty, so an integer weight counts
    a row that many times (the fit of the repeated data); ``class_weight`` multiplies in
    per-class weights. scikit-learn's ``LogisticRegression(C=C)`` minimises
    :math:`C\sum_n s_n \ell_n + \frac{1}{2}\lVert W\rVert^2`, i.e.
    :math:`\alpha = 1 / (C \sum_n s_n)`. ``set_fit_request(sample_weight=True)`` routes
    the weights through metadata routing. :meth:`coef_table` treats ``sample_weight`` as
    frequency weights (pass the same weights) and refuses ``class_weight`` fits, whose
    weighted likelihood is not a likelihood of the data.

    **Sparse input.** ``X`` may be a scipy sparse matrix (CSR, CSC or COO, used as CSR):
    the scores and gradients are sparse matrix products and the result is the dense fit's
    (to rounding). :meth:`coef_table` densifies ``X``.

    **Stopping and failure.** Reaching ``max_iter`` raises a ``ConvergenceWarning``; with
    ``solver="gd"`` (and mini-batches) a loss that is not finite or exceeds
    ``DIVERGENCE_FACTOR`` times its starting value raises a ``ValueError`` naming the
    learning rate (``"agd"`` backtracks instead, so it cannot diverge). Unpenalised
    logistic regression has no finite maximum-likelihood estimate on separable data: the
    loss keeps decreasing as the weights grow. Plain descent then stops on ``max_iter``
    (use ``alpha > 0``), and when the fitted weights classify every training sample
    correctly the warning says so; accelerated descent, whose steps grow as the loss
    flattens, usually meets ``tol`` along the diverging path (standardised breast_cancer
    and wine: 6,396 and 93 iterations). Either way :meth:`coef_table` refuses a fit that
    classifies every training sample correctly (whether or not ``tol`` was met) instead of
    reporting standard errors at an arbitrary point. Mini-batch SGD uses a constant
    step, so it ends in a neighbourhood of the optimum whose size grows with the step and
    shrinks with ``batch_size`` (measured on a 3-class, 400-sample problem: training loss
    within 0.008 of the optimum for batches of 5, within 0.001 for batches of 16); use full
    batch for maximum-likelihood estimates. Gradient descent is slow on
    badly scaled or strongly correlated features: standardise them
    (``make_pipeline(StandardScaler(), ...)``). Measured: the 4-class curve data
    (``load_curve(4)``) needs 60 iterations standardised and 193 on its min-max [0, 1] scale
    with ``"agd"``, 1,923 and about 20,000 with ``"gd"``; the 2-class curve data 26 and 83
    (``"agd"``), 206 and 2,802 (``"gd"``).

    References
    ----------
    .. [1] C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006,
       sections 4.3.2 and 4.3.4 (logistic and multiclass logistic regression).
    .. [2] D. Böhning, "Multinomial logistic regression algorithm", *Annals of the
       Institute of Statistical Mathematics* 44 (1992), 197-200 (the Hessian bound).
    .. [3] A. Agresti, *Categorical Data Analysis*, 3rd ed., Wiley, 2013, sections 5.2 and
       8.1 (Wald inference for logistic and baseline-category logit models).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.logistic import GDLogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [-0.5], [0.0], [0.5], [1.0], [1.5], [2.0]])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> clf = GDLogisticRegression(tol=1e-10).fit(X, y)
    >>> clf.coef_.round(4), clf.intercept_.round(4)
    (array([[1.1516]]), array([-0.2533]))
    >>> clf.predict_proba([[0.0]]).round(4)
    array([[0.563, 0.437]])

    Wald inference at the fitted solution (statsmodels' ``Logit`` gives the same numbers):

    >>> table = clf.coef_table(X)
    >>> table[["term", "coef", "std_err", "z", "pvalue"]].round(4)
            term    coef  std_err       z  pvalue
    0  intercept -0.2533   0.8778 -0.2886  0.7729
    1         x0  1.1516   0.8461  1.3611  0.1735
    """

    def __init__(
        self,
        *,
        learning_rate="auto",
        max_iter=10000,
        tol=1e-6,
        alpha=0.0,
        batch_size=None,
        n_iter_no_change=5,
        random_state=None,
        solver="agd",
        class_weight=None,
    ):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.alpha = alpha
        self.batch_size = batch_size
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.solver = solver
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self):
        """Raise ``TypeError``/``ValueError`` naming the first parameter that is wrong."""
        if isinstance(self.learning_rate, str):
            check_choice(self.learning_rate, "learning_rate", ("auto",))
        else:
            check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)
        check_real(self.tol, "tol", low=0.0)
        check_real(self.alpha, "alpha", low=0.0)
        check_int(self.batch_size, "batch_size", low=1, allow_none=True)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_choice(self.solver, "solver", ("agd", "gd"))
        try:
            check_random_state(self.random_state)
        except ValueError:
            raise ValueError(
                "random_state must be None, an int in [0, 2**32 - 1] or a numpy RandomState, "
                f"got {self.random_state!r}"
            ) from None

    @property
    def clfcompare_behaviour_version(self):
        """2 with ``solver="agd"`` (the default since the accelerated descent), else None.

        Read by the trial store's fingerprint (:mod:`clfcompare.trials`): a store written
        before ``solver`` existed held plain gradient descent, so it is not resumed with the
        accelerated one, whose iterates differ, even though ``solver`` is at its default.
        """
        return 2 if self.solver == "agd" else None

    def fit(self, X, y, sample_weight=None):
        """Fit the weights by (mini-batch) gradient descent from zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (converted to float64; sparse matrices to CSR).
        y : array-like of shape (n_samples,)
            Class labels (any sortable labels: ints, strings, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows (see Notes).

        Returns
        -------
        self : GDLogisticRegression
            The fitted estimator.

        Raises
        ------
        TypeError, ValueError
            A parameter of the wrong kind or value (naming it).
        ValueError
            Fewer than two classes, features too large to square in float64, or a diverging
            loss (learning rate too large).
        """
        self._check_params()
        prep = self._prepare(X, y, sample_weight)
        result = gradient_descent(
            prep.X,
            prep.Y,
            learning_rate=prep.lr,
            alpha=float(self.alpha),
            max_iter=self.max_iter,
            tol=self.tol,
            batch_size=self.batch_size,
            n_iter_no_change=self.n_iter_no_change,
            random_state=self.random_state,
            solver=self.solver,
            sample_weight=prep.weights,
            min_step=1.0 / prep.L,
        )
        return self._finish(prep, result, sample_weight, stacklevel=4)

    def _prepare(self, X, y, sample_weight):
        """The checked data, targets, weights and steps of a fit (sets n_features_in_)."""
        X, classes, y_idx = validate_training_data(self, X, y, accept_sparse=True)
        weights = validate_sample_weight(sample_weight, X)
        weights = effective_weights(self, self.class_weight, classes, classes[y_idx], weights)
        n_classes = classes.shape[0]
        n_samples, n_features = X.shape
        if n_classes == 2:
            Y = y_idx.astype(np.float64)
        else:
            Y = np.zeros((n_samples, n_classes))
            Y[np.arange(n_samples), y_idx] = 1.0
        alpha = float(self.alpha)
        minibatch = self.batch_size is not None
        L = lipschitz_constant(X, n_classes, alpha, per_sample=minibatch, sample_weight=weights)
        lr = 1.0 / L if self.learning_rate == "auto" else float(self.learning_rate)
        return _Prepared(X, Y, classes, y_idx, weights, lr, L)

    def _finish(self, prep, result, sample_weight, *, stacklevel):
        """Raise on divergence, warn on max_iter, and set the fitted attributes."""
        X, classes, y_idx, weights, lr, L = (
            prep.X,
            prep.classes,
            prep.y_idx,
            prep.weights,
            prep.lr,
            prep.L,
        )
        alpha = float(self.alpha)
        minibatch = self.batch_size is not None
        if result.diverged:
            raise ValueError(
                f"GDLogisticRegression diverged at iteration {result.n_iter}: the training loss "
                f"went from {result.loss0:.4g} to {result.losses[-1]:.4g}. "
                f"learning_rate={self.learning_rate!r} (step {lr:.4g}) is too large for this "
                f"data; its Lipschitz step 1/L is {1.0 / L:.4g}. Use a smaller learning_rate "
                "or learning_rate='auto', and standardise the features."
            )
        positive = slice(None) if weights is None else weights > 0
        separated = alpha == 0 and _separates(
            _linear_scores(X, result.coef, result.intercept)[positive], y_idx[positive]
        )
        if not result.converged:
            msg = (
                f"GDLogisticRegression stopped on max_iter={self.max_iter} before meeting "
                f"tol={self.tol!r}"
            )
            if minibatch:
                msg += "."
            else:
                msg += f" (largest standardised gradient entry {result.grad_max:.3g})."
            if result.n_increase:
                msg += (
                    f" The loss increased in {result.n_increase} steps: learning_rate={lr:.4g} "
                    f"is probably too large (1/L = {1.0 / L:.4g})."
                )
            center, spread = _column_stats(X, None, zero_to_one=False)
            standardised = np.allclose(center, 0.0, atol=1e-6) and np.allclose(
                spread, 1.0, atol=1e-3
            )
            msg += (
                " Increase max_iter"
                if standardised
                else " Increase max_iter or standardise the features"
            )
            if separated:
                msg += (
                    ". The weights classify every training sample correctly: the classes are "
                    "linearly separable, so the unpenalised maximum-likelihood estimate does not "
                    "exist and the weights grow without bound (add an L2 penalty, alpha > 0)."
                )
            elif alpha == 0:
                msg += (
                    "; on separable data the unpenalised maximum-likelihood estimate does not "
                    "exist (add an L2 penalty, alpha > 0)."
                )
            else:
                msg += "."
            warnings.warn(msg, ConvergenceWarning, stacklevel=stacklevel)

        self.classes_ = classes
        self.coef_ = result.coef
        self.intercept_ = result.intercept
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.losses
        self.loss_curve_iter_ = result.loss_iters
        self.learning_rate_ = lr
        self.converged_ = result.converged
        self._train_fingerprint = _fingerprint(X)
        self._train_weights = None if sample_weight is None else _fingerprint(weights)
        self._fit_class_weight = self.class_weight is not None
        self._train_separated = separated
        self._fit_alpha = self.alpha  # inference checks the fit, not a later set_params
        return self

    def fit_splits(self, X, y, train_indices, random_states=None, sample_weight=None):
        """Fit one clone of this estimator per split; full-batch descents run together.

        The trial runner's hook for repeated cross-validation (``docs/interfaces.md``).
        Returned estimator ``k`` is the one that
        ``clone(self).set_params(random_state=random_states[k]).fit(X[idx], y[idx])`` gives
        (``idx = train_indices[k]``): the same iterates, ``coef_``, ``intercept_``,
        ``n_iter_`` and ``loss_curve_`` (to rounding: the batched sums run in another order),
        the same warnings and errors. Full-batch descent (``batch_size=None``) on dense
        ``X`` without weights (no ``sample_weight``, no ``class_weight``) runs as one batched
        computation: the splits' coefficient matrices are stacked and every iteration is a
        few numpy products over all splits still running, each split keeping its own step,
        backtracking, momentum restart and stopping. Mini-batch SGD, sparse ``X`` and
        weighted fits are fitted one by one here (the same results, no speed-up). ``self``
        is not changed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        train_indices : list of 1-D int arrays
            Rows of ``X`` of each split; splits may differ in size.
        random_states : list of (int, RandomState or None), optional
            One ``random_state`` per split (the trial runner passes the seed it derives per
            split; only mini-batch SGD uses it). ``None``: every split keeps
            ``self.random_state``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows of ``X``; split ``k`` gets ``sample_weight[idx]``.

        Returns
        -------
        list of GDLogisticRegression
            Fitted clones, in the order of ``train_indices``.

        Raises
        ------
        TypeError, ValueError
            Bad ``train_indices`` or ``random_states`` (naming them), or what ``fit`` raises
            for a split (the first failing split, in order).

        Examples
        --------
        >>> import numpy as np
        >>> from clfcompare.estimators.logistic import GDLogisticRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
        >>> fits = GDLogisticRegression().fit_splits(X, y, [np.arange(40), np.arange(20, 60)])
        >>> one = GDLogisticRegression().fit(X[20:60], y[20:60])
        >>> bool(np.allclose(fits[1].coef_, one.coef_)), fits[1].n_iter_ == one.n_iter_
        (True, True)
        """
        self._check_params()
        if hasattr(y, "__len__") and not isinstance(y, str):
            n_samples = len(y)
        else:
            raise TypeError(f"y must be array-like, got {type(y).__name__}")
        splits = check_train_indices(train_indices, n_samples)
        if random_states is None:
            fitted = [clone(self) for _ in splits]
        else:
            states = check_random_states(random_states, len(splits))
            fitted = [clone(self).set_params(random_state=r) for r in states]
        y_arr = np.asarray(y)
        weights = None if sample_weight is None else np.asarray(sample_weight)
        if weights is not None and weights.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},) like y, got {weights.shape}"
            )
        batched = (
            self.batch_size is None
            and self.class_weight is None
            and weights is None
            and not hasattr(X, "toarray")
        )
        if not batched:
            for est, idx in zip(fitted, splits, strict=True):
                w = None if weights is None else weights[idx]
                est.fit(_safe_indexing(X, idx), y_arr[idx], sample_weight=w)
            return fitted
        preps = []
        for est in fitted:
            est._check_params()
        for est, idx in zip(fitted, splits, strict=True):
            preps.append(est._prepare(_safe_indexing(X, idx), y_arr[idx], None))
        results = [None] * len(splits)
        groups = {}
        for k, prep in enumerate(preps):
            groups.setdefault(prep.Y.shape[1:], []).append(k)
        for members in groups.values():
            out = _batched_descent(
                [preps[k].X for k in members],
                [preps[k].Y for k in members],
                [preps[k].lr for k in members],
                [1.0 / preps[k].L for k in members],
                alpha=float(self.alpha),
                max_iter=self.max_iter,
                tol=self.tol,
                solver=self.solver,
            )
            for k, res in zip(members, out, strict=True):
                results[k] = res
        for est, prep, res in zip(fitted, preps, results, strict=True):
            est._finish(prep, res, None, stacklevel=3)
        return fitted

    def decision_function(self, X):
        """Linear scores :math:`Wx + b`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: the log-odds :math:`w \\cdot x + b` (positive means ``classes_[1]``).
            More classes: the softmax inputs.
        """
        X = validate_test_data(self, X, accept_sparse=True)
        return check_scores(self, self._scores(X), X)

    def _scores(self, X):
        return _linear_scores(X, self.coef_, self.intercept_)

    def _contrasts(self):
        """Identified parameters (b_k - b_0, w_k - w_0), k = 1..K-1, flattened class-wise."""
        theta = np.hstack([self.intercept_[:, None], self.coef_])
        if theta.shape[0] > 1:
            theta = theta[1:] - theta[0]
        return theta.ravel()

    def coef_covariance(self, X, sample_weight=None):
        r"""Asymptotic covariance :math:`\mathcal{I}^{-1}` of the identified parameters.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data the model was fitted on (after any pipeline steps before this
            estimator): the Fisher information is a sum over the training samples.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights of the fit, if it had any (frequency weights: the information is
            :math:`\sum_n s_n (\dots)`).

        Returns
        -------
        covariance : ndarray of shape (n_params, n_params)
            Rows/columns in the order of :meth:`coef_table`'s rows.

        Raises
        ------
        ValueError
            If ``X`` or ``sample_weight`` are not the fit's, the fit used ``class_weight``,
            ``alpha > 0``, the fitted model classifies
            every training sample correctly (perfect separation: no finite estimate), or the
            information matrix is singular (collinear features).
        """
        X = validate_test_data(self, X, accept_sparse=True)
        if _fingerprint(X) != self._train_fingerprint:
            raise ValueError(
                "coef_table/coef_covariance need the training data X this model was fitted "
                "on (the Fisher information is a sum over the training samples); the X given "
                "differs. In a Pipeline pass the transformed training data, e.g. "
                "pipe[:-1].transform(X_train)."
            )
        weights = validate_sample_weight(sample_weight, X)
        given = None if weights is None else _fingerprint(weights)
        if given != self._train_weights:
            raise ValueError(
                "coef_table/coef_covariance need the sample_weight the model was fitted with "
                + ("(it was fitted without)" if self._train_weights is None else "(pass it)")
                + "; the weights given differ."
            )
        if self._fit_class_weight:
            raise ValueError(
                "Standard errors from the Fisher information need a likelihood of the data; "
                "this model was fitted with class_weight, whose reweighted likelihood is not "
                "one. Refit with class_weight=None."
            )
        if self._fit_alpha > 0:
            raise ValueError(
                "Standard errors from the Fisher information are those of the unpenalised "
                "maximum-likelihood estimate; this model was fitted with "
                f"alpha={self._fit_alpha!r}. Refit with alpha=0."
            )
        if self._train_separated:
            raise ValueError(
                "The fitted model classifies every training sample correctly: the classes "
                "are perfectly separated by a hyperplane, so the unpenalised maximum-likelihood "
                "estimate does not exist (the likelihood keeps increasing as the weights grow) "
                "and no standard errors exist. Remove the separating features or use a "
                "penalised or exact (e.g. Firth) method."
            )
        if not self.converged_:
            warnings.warn(
                "The fit did not converge (see n_iter_ and max_iter): the standard errors are "
                "evaluated at a point that is not the maximum-likelihood estimate.",
                ConvergenceWarning,
                stacklevel=3,
            )
        proba = np.exp(log_proba_from_scores(self._scores(X)))
        if hasattr(X, "toarray"):
            X = X.toarray()
        info = fisher_information(X, proba, sample_weight=weights)
        d = np.sqrt(np.diag(info))
        scaled = info / d[:, None] / d[None, :] if np.all(d > 0) else None
        if scaled is None or not linalg.eigvalsh(scaled)[0] > 1e-12:
            raise ValueError(
                "The Fisher information is singular: the maximum-likelihood estimate is not "
                "identified (perfectly separated classes, a constant or collinear features). "
                "No standard errors exist; remove collinear features."
            )
        c, low = linalg.cho_factor(scaled)
        cov = linalg.cho_solve((c, low), np.eye(scaled.shape[0]))
        return cov / d[:, None] / d[None, :]

    def coef_table(self, X, *, confidence_level=0.95, sample_weight=None):
        r"""Tidy table of Wald inference for the coefficients.

        One row per identified parameter: for two classes the intercept and weights of
        :math:`\sigma(w \cdot x + b)`; for :math:`K` classes the contrasts
        :math:`b_k - b_0` and :math:`w_k - w_0` of every class against the first
        (``classes_[0]``), exactly the parameters of statsmodels' ``MNLogit``. Standard errors
        come from the inverse Fisher information at the fitted solution
        (:func:`fisher_information`, :func:`wald_table`); they are valid for the converged,
        unpenalised fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data the model was fitted on (checked).
        confidence_level : float, default=0.95
            Of the intervals ``[ci_low, ci_high]``.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights of the fit, if it had any (checked).

        Returns
        -------
        table : pandas.DataFrame
            Columns ``term`` ("intercept", then feature names or ``x0, x1, ...``), ``class``
            (the class whose log-odds against the reference the row describes),
            ``reference`` (``classes_[0]``), ``coef``, ``std_err``, ``z``, ``pvalue``,
            ``ci_low``, ``ci_high``.
        """
        confidence_level = check_real(
            confidence_level, "confidence_level", low=0, high=1, low_open=True, high_open=True
        )
        cov = self.coef_covariance(X, sample_weight=sample_weight)
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        terms = ["intercept", *[str(n) for n in names]]
        others = self.classes_[1:]
        columns = {
            "term": terms * len(others),
            "class": np.repeat(others, len(terms)),
            "reference": np.repeat(self.classes_[:1], len(terms) * len(others)),
        }
        columns.update(wald_table(self._contrasts(), cov, confidence_level=confidence_level))
        return pd.DataFrame(columns)
