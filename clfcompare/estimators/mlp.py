"""TorchMLPClassifier: the lecture's two network designs as one scikit-learn classifier.

The seed trains a 2-50-100-50-K ReLU network with Adam, every weight and bias drawn from
N(0, 0.02²), in two designs: *Design 1* regresses a single output on 0/1 targets with the mean
squared error and predicts class 2 when the output exceeds 0.5; *Design 2* has one output per
class and minimises the cross-entropy. Both designs are ``TorchMLPClassifier(loss="mse")`` and
``TorchMLPClassifier(loss="ce")``. Training runs on the batched engine
(:func:`clfcompare.estimators.train_mlps`, with the options of
:meth:`TorchMLPClassifier.engine_options`), which also trains one configuration on many
cross-validation splits in one call (:meth:`TorchMLPClassifier.fit_splits`).

Why one module of about 1,400 lines: one estimator and what turns its outputs into
probabilities (the square-loss map and its temperature, searched for all networks of a run
at once) and its fits into the engine's calls (weights, warm starts, ``partial_fit``,
splits, stacked configurations); most of the length is the parameter documentation, with
the measurements behind the defaults.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import warnings

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from clfcompare._checks import check_bool, check_choice, check_real
from clfcompare.estimators._base import (
    check_random_states,
    check_train_indices,
    effective_weights,
    validate_sample_weight,
)
from clfcompare.estimators._engine import (
    LOSSES,
    SHARED_OPTIONS,
    EngineOptions,
    stacked_runs,
    train_mlps,
)

__all__ = ["TorchMLPClassifier", "DEFAULT_LEARNING_RATES", "fit_splits_stacked"]

#: Adam's learning rate when ``learning_rate=None``: the seed's values (Design 2 passes
#: ``lr=0.005``; Design 1 uses ``torch.optim.Adam``'s default 0.001).
DEFAULT_LEARNING_RATES = {"ce": 0.005, "mse": 0.001}

_SEED_HIGH = 2**31 - 1


def draw_seed(random_state):
    """The integer seed of one fit: the first draw of ``check_random_state(random_state)``.

    An int always gives the same seed, a ``RandomState`` is advanced by one draw, ``None``
    draws from numpy's global generator.

    Examples
    --------
    >>> from clfcompare.estimators.mlp import draw_seed
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(_SEED_HIGH))


def _relu(a):
    return np.maximum(a, 0.0)


def _logistic(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


_NUMPY_ACTIVATIONS = {"relu": _relu, "tanh": np.tanh, "logistic": _logistic, "identity": None}


def network_forward(X, coefs, intercepts, activation):
    """Outputs of the network, in float64: ``h_{l+1} = f(h_l W_l + b_l)``, no ``f`` on the last.

    Inference runs in float64 on the CPU from float64 copies of the float32 weights, so that a
    row's output does not depend on which other rows are predicted with it (scikit-learn's
    invariance checks compare at ``rtol=1e-7``).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import network_forward
    >>> network_forward(np.ones((1, 2)), [np.ones((2, 1))], [np.zeros(1)], "relu")
    array([[2.]])
    """
    func = _NUMPY_ACTIVATIONS[activation]
    h = X if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)  # sparse: X @ W
    last = len(coefs) - 1
    for layer, (weight, bias) in enumerate(zip(coefs, intercepts, strict=True)):
        h = np.asarray(h @ weight.astype(np.float64)) + bias.astype(np.float64)
        if layer < last and func is not None:
            h = func(h)
    return h


def square_loss_proba(outputs, scale=1.0):
    """Class probabilities from the outputs of a network trained with the square loss.

    One output (two classes, the seed's Design 1): :math:`p_1 = \\min(\\max(o / M, 0), 1)` and
    :math:`p_0 = 1 - p_1`, so that :math:`p_1 > 1/2` exactly when the output exceeds the
    seed's threshold :math:`M / 2`. ``K`` outputs: clip at zero and normalise,
    :math:`p_k = \\max(o_k, 0) / \\sum_j \\max(o_j, 0)`, and, for a row whose outputs are all
    :math:`\\le 0`, the softmax of the outputs. Either way the argmax of the probabilities is
    the argmax of the outputs. These are scores on the probability simplex, not calibrated
    probabilities: the square loss gives no likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import square_loss_proba
    >>> square_loss_proba(np.array([[0.8], [1.3], [-0.2]]))
    array([[0.2, 0.8],
           [0. , 1. ],
           [1. , 0. ]])
    >>> square_loss_proba(np.array([[0.6, 0.2, -0.1]]))
    array([[0.75, 0.25, 0.  ]])
    """
    outputs = np.asarray(outputs, dtype=np.float64) / scale
    if outputs.shape[1] == 1:
        p1 = np.clip(outputs[:, 0], 0.0, 1.0)
        return np.column_stack([1.0 - p1, p1])
    clipped = np.maximum(outputs, 0.0)
    total = clipped.sum(axis=1, keepdims=True)
    positive = total[:, 0] > 0
    proba = softmax(outputs, axis=1)
    proba[positive] = clipped[positive] / total[positive]
    return proba


#: Width of the soft clip of :func:`soft_clip` outside [0, 1].
SOFT_CLIP = 0.1

#: Bounds of the fitted temperature of the square-loss probabilities. The class scores lie in
#: (-0.1, 1.1), so logits differ by at most 1.2 / T <= 24: no probability is 0 or 1 in
#: float64 (exp(-24) = 3.8e-11).
TEMPERATURE_BOUNDS = (0.05, 100.0)


def soft_clip(u):
    """``clip(u, 0, 1)`` plus ``SOFT_CLIP * d / (1 + |d|)`` of what was clipped off,
    ``d = u - clip(u, 0, 1)``: strictly increasing, the identity on [0, 1], bounded in
    (-0.1, 1.1). (The algebraic squash keeps outputs up to about 1e15 apart in float64,
    where ``tanh`` would tie them from about 20 on.)

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import soft_clip
    >>> soft_clip(np.array([-50.0, 0.25, 1.0, 3.0])).round(4)
    array([-0.098 ,  0.25  ,  1.    ,  1.0667])
    """
    clipped = np.clip(u, 0.0, 1.0)
    excess = u - clipped
    return clipped + SOFT_CLIP * excess / (1.0 + np.abs(excess))


def square_loss_scores(outputs, scale=1.0):
    """Per-class scores of a square-loss network: :func:`soft_clip` of ``outputs / M``.

    One output (two classes): the columns ``1 - s`` and ``s`` (class 0's node is the one the
    seed's Design 1 dropped; its target is 1 minus class 1's). Shape (n_samples, n_classes).
    """
    s = soft_clip(np.asarray(outputs, dtype=np.float64) / scale)
    return np.column_stack([1.0 - s[:, 0], s[:, 0]]) if s.shape[1] == 1 else s


def square_loss_softmax(outputs, scale=1.0, temperature=1.0, *, log=False):
    """Class probabilities of a square-loss network: ``softmax(square_loss_scores / T)``.

    The scores are the outputs where they are valid estimates of the class indicators
    (in [0, 1]) and squeezed into (-0.1, 1.1) beyond, so the probabilities lie strictly
    inside (0, 1), sum to 1, and rank the classes as the raw outputs do (the class of
    largest output is the most probable; two classes: class 1 iff ``output > M / 2``).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import square_loss_softmax
    >>> square_loss_softmax(np.array([[0.8], [1.3], [-0.2]]), temperature=0.25).round(4)
    array([[0.0832, 0.9168],
           [0.015 , 0.985 ],
           [0.9842, 0.0158]])
    """
    z = square_loss_scores(outputs, scale) / temperature
    return log_softmax(z, axis=1) if log else softmax(z, axis=1)


def fit_square_loss_temperature(outputs, codes, scale=1.0, sample_weight=None):
    """The temperature ``T`` of :func:`square_loss_softmax` of least (weighted) log loss.

    One-dimensional minimisation of the mean of :math:`-\\ln p_{y_n}` over
    :math:`\\ln T` in ``TEMPERATURE_BOUNDS`` by scipy's bounded Brent method
    (``minimize_scalar(method="bounded", options={"xatol": 1e-6})``, the same iterates; the
    log loss of a softmax of fixed scores is smooth in ``T``). One network of
    :func:`fit_square_loss_temperatures`.

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, n_outputs)
        Raw network outputs on the training rows.
    codes : ndarray of shape (n_samples,)
        Class indices ``0 .. K-1``.
    scale : float
        ``square_loss_M``.
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import fit_square_loss_temperature
    >>> out = np.array([[0.9], [0.2], [0.7], [0.4]])
    >>> round(fit_square_loss_temperature(out, np.array([1, 0, 1, 1])), 4)
    0.2421
    """
    (temperature,) = fit_square_loss_temperatures(
        [square_loss_scores(outputs, scale)], [codes], [sample_weight]
    )
    return float(temperature)


def fit_square_loss_temperatures(scores, codes, sample_weights=None):
    """:func:`fit_square_loss_temperature` of several networks in one vectorised search.

    The bounded Brent method of scipy's ``minimize_scalar`` (``_minimize_scalar_bounded``,
    ``xatol=1e-6``) run elementwise over the networks: every network takes the branches and
    iterates that the scalar method takes on its own (each step's arithmetic is the scalar
    step's, in float64), and the log losses of the networks still searching are evaluated
    together, one array operation per group of networks of equal row and class counts. A
    network's temperature therefore does not depend on which other networks are fitted
    with it.

    Parameters
    ----------
    scores : list of ndarray of shape (n_samples_i, n_classes_i)
        :func:`square_loss_scores` of each network on its training rows.
    codes : list of ndarray of shape (n_samples_i,)
        Class indices of those rows.
    sample_weights : list of (ndarray of shape (n_samples_i,) or None), optional
        Row weights per network (``None``: all networks unweighted).

    Returns
    -------
    ndarray of shape (n_networks,)
        The temperatures, in ``TEMPERATURE_BOUNDS``.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators.mlp import fit_square_loss_temperatures, square_loss_scores
    >>> out = np.array([[0.9], [0.2], [0.7], [0.4]])
    >>> s = square_loss_scores(out)
    >>> codes = [np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1])]
    >>> fit_square_loss_temperatures([s, s], codes).round(4)
    array([0.2421, 0.6952])
    """
    n = len(scores)
    if sample_weights is None:
        sample_weights = [None] * n
    if not (len(codes) == len(sample_weights) == n):
        raise ValueError(
            f"scores, codes and sample_weights need one entry per network: got {n}, "
            f"{len(codes)} and {len(sample_weights)}"
        )
    groups = {}  # networks whose log losses are one array computation
    for i, (s, c, w) in enumerate(zip(scores, codes, sample_weights, strict=True)):
        if s.ndim != 2 or c.shape != (s.shape[0],):
            raise ValueError(
                f"network {i}: scores must be (n_samples, n_classes) and codes (n_samples,); "
                f"got {s.shape} and {c.shape}"
            )
        groups.setdefault((s.shape, w is None), []).append(i)
    stacks = []
    for (_, unweighted), members in groups.items():
        s = np.stack([np.asarray(scores[i], dtype=np.float64) for i in members])
        c = np.stack([np.asarray(codes[i], dtype=np.intp) for i in members])[..., None]
        w = None if unweighted else np.stack([sample_weights[i] for i in members])
        # max_k(s_k / T) = max_k(s_k) / T and the true class's s_c / T exactly (rounding is
        # monotone), so only the sum of exponentials is a reduction per step
        top = s.max(axis=-1, keepdims=True)
        true = np.take_along_axis(s, c, -1)[..., 0]
        stacks.append((np.asarray(members), s, top, true, w))

    def nll(log_t, active):
        """Mean log loss of each active network at ``exp(log_t)`` (others: NaN).

        scipy's ``log_softmax(s / T)[rows, codes]`` term by term: ``tmp = z - max z``,
        ``tmp_c - log(sum(exp(tmp)))``, in the same float64 operations.
        """
        value = np.full(n, np.nan)
        for members, s, top, true, w in stacks:
            on = active[members]
            if not on.any():
                continue
            where = members[on]
            t = np.array([np.exp(v) for v in log_t[where]])[:, None]  # the scalar method's exp
            z_max = top[on] / t[..., None]
            total = np.sum(np.exp(s[on] / t[..., None] - z_max), axis=-1)
            per = -((true[on] / t - z_max[..., 0]) - np.log(total))
            value[where] = np.average(per, axis=1, weights=None if w is None else w[on])
        return value

    low, high = np.log(TEMPERATURE_BOUNDS[0]), np.log(TEMPERATURE_BOUNDS[1])
    return np.exp(_bounded_brent(nll, n, low, high, xatol=1e-6))


def _bounded_brent(func, n, x1, x2, xatol, maxfun=500):
    """scipy's ``_minimize_scalar_bounded`` (1.17) on ``n`` functions at once; returns ``xf``.

    ``func(x, active)`` gives the ``n`` function values at ``x`` (read where ``active``).
    Each line is the scalar method's, made elementwise with ``np.where``; a function stops
    when its own convergence test (or ``maxfun``) says so.
    """
    sqrt_eps = np.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - np.sqrt(5.0))
    a, b = np.full(n, x1, dtype=np.float64), np.full(n, x2, dtype=np.float64)
    fulc = a + golden_mean * (b - a)
    nfc, xf = fulc.copy(), fulc.copy()
    rat, e = np.zeros(n), np.zeros(n)
    everyone = np.ones(n, dtype=bool)
    fx = func(xf, everyone)
    num = np.ones(n, dtype=np.int64)
    ffulc, fnfc = fx.copy(), fx.copy()
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    active = np.abs(xf - xm) > (tol2 - 0.5 * (b - a))
    while active.any():
        with np.errstate(all="ignore"):  # the parabola of a golden step is not used
            parabolic = np.abs(e) > tol1
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            p = np.where(q > 0.0, -p, p)
            q = np.abs(q)
            r = e
            e_parabolic = rat
            accept = (
                parabolic
                & (np.abs(p) < np.abs(0.5 * q * r))
                & (p > q * (a - xf))
                & (p < q * (b - xf))
            )
            rat_parabolic = (p + 0.0) / q
            x = xf + rat_parabolic
            near = ((x - a) < tol2) | ((b - x) < tol2)
            si = np.sign(xm - xf) + ((xm - xf) == 0)
            rat_parabolic = np.where(near, tol1 * si, rat_parabolic)
            e_golden = np.where(xf >= xm, a - xf, b - xf)
            e_new = np.where(accept, e_parabolic, e_golden)
            rat_new = np.where(accept, rat_parabolic, golden_mean * e_golden)
        e = np.where(active, e_new, e)
        rat = np.where(active, rat_new, rat)
        si = np.sign(rat) + (rat == 0)
        x = xf + si * np.maximum(np.abs(rat), tol1)
        fu = func(x, active)
        num += active
        better = active & (fu <= fx)
        worse = active & ~(fu <= fx)
        a = np.where(better & (x >= xf), xf, np.where(worse & (x < xf), x, a))
        b = np.where(better & ~(x >= xf), xf, np.where(worse & ~(x < xf), x, b))
        shift = worse & ((fu <= fnfc) | (nfc == xf))
        last = worse & ~shift & ((fu <= ffulc) | (fulc == xf) | (fulc == nfc))
        fulc, ffulc = (
            np.where(better | shift, nfc, np.where(last, x, fulc)),
            np.where(better | shift, fnfc, np.where(last, fu, ffulc)),
        )
        nfc, fnfc = (
            np.where(better, xf, np.where(shift, x, nfc)),
            np.where(better, fx, np.where(shift, fu, fnfc)),
        )
        xf, fx = np.where(better, x, xf), np.where(better, fu, fx)
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * np.abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        active &= (num < maxfun) & (np.abs(xf - xm) > (tol2 - 0.5 * (b - a)))
    return xf


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier in torch, trained with Adam (the lecture's designs).

    Parameters
    ----------
    loss : {"ce", "mse"}, default="ce"
        ``"ce"``: one output per class and the cross-entropy of the softmax of the outputs
        (the seed's Design 2). The softmax is applied once, inside the loss; the seed's
        mini-batch loop applied ``torch.softmax`` before ``CrossEntropyLoss``, a double
        softmax that this class does not reproduce. ``"mse"``: the square loss; for two classes
        a single output regressed on 0/1 targets, class 1 iff output > ``square_loss_M / 2``
        (the seed's Design 1); for ``K > 2`` classes ``K`` outputs regressed on one-hot
        targets and the prediction is the argmax (Hui & Belkin).
    hidden_layer_sizes : tuple of int, default=(50, 100, 50)
        Widths of the hidden layers; ``()`` gives a linear model.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    batch_size : int or None, default=5
        Rows per Adam step, reshuffled every epoch (the seed's mini-batches of 5); ``None``
        trains on all rows at every step without shuffling (the seed's whole-data loop). A
        batch larger than the data set is the data set.
    max_epochs : int, default=499
        Passes over the training data (the seed's ``range(1, 500)``). Without early stopping
        training always runs this many epochs.
    learning_rate : float or None, default=None
        Adam's step size; ``None`` means the seed's values, 0.005 for ``"ce"`` and 0.001 for
        ``"mse"`` (see ``DEFAULT_LEARNING_RATES``).
    init_std : float or "he", default=0.02
        Every weight and bias is drawn from :math:`N(0, \\text{init\\_std}^2)` (the seed).
        This small initialisation makes a deep ReLU network start almost independent of its
        input: each layer of 2-50-100-50-K shrinks the input-driven spread of the
        pre-activations about tenfold while the biases stay at 0.02, so the last hidden
        layer's units are switched on or off by their biases alone. Adam's normalised steps
        usually escape, but when the first steps switch off every unit of a layer for every
        training row, no gradient reaches the layers below, only the output biases learn,
        and the loss stays at the class-prior entropy (:math:`\\ln K` for balanced classes);
        the classifier predicts one class. Measured: 3 of the 50 cross-entropy trials of the
        hw4 study (curve data, 4 classes, 10 x 5-fold CV, defaults) never trained, each with
        all 50 units of the last hidden layer dead. ``"he"`` draws the weights of a layer with
        ``n_in`` inputs from :math:`N(0, 2 / n_\\text{in})` and sets the biases to 0 (He et
        al., for ReLU networks; see :func:`~clfcompare.estimators._engine.init_parameters`);
        it does not reproduce the seed. Measured on the same 50 splits (499 epochs, one CPU
        thread): no trial stalled with ``"he"``, but the median test accuracy was 0.54
        against 0.57 with the seed's initialisation, so it is an alternative, not a fix.
    square_loss_k, square_loss_M : float, default=1.0
        Hui & Belkin's rescaled square loss for ``loss="mse"``: the true-class term has weight
        ``k`` and target ``M``,

        .. math::

            \\ell(o, c) = \\frac{1}{C}\\Big(k\\,(o_c - M)^2 + \\sum_{j \\ne c} o_j^2\\Big),

        averaged over the rows of a batch (``C`` outputs); ``k = M = 1`` is the mean squared
        error. With one output (two classes) the output is class 1's one-hot node. Ignored
        for ``"ce"``.
    alpha : float, default=0.0
        Strength of the L2 penalty on the weights (not the biases), with scikit-learn's
        ``MLPClassifier`` semantics: each Adam step on a batch of ``b`` rows minimises

        .. math::

            \\frac{1}{b} \\sum_{i \\in \\text{batch}} \\ell_i
            + \\frac{\\alpha}{2 b} \\sum_l \\|W_l\\|_F^2,

        so the gradient of a weight matrix gains :math:`\\alpha W_l / b` (the last, smaller
        batch of an epoch is pulled harder). ``loss_curve_`` and ``step_loss_curve_``
        include the penalty term, as scikit-learn's ``loss_curve_`` does. The default 0 is
        the seed's (no penalty; the penalty code is skipped, not multiplied by 0).
        scikit-learn's default is ``1e-4``. ``torch.optim.Adam(weight_decay=λ)`` is a
        different penalty: it adds :math:`\\lambda\\theta` to the gradient of every
        parameter, biases included, with no :math:`1/b`; on the weights it equals
        ``alpha = λ b`` for batches of ``b`` rows. (``AdamW`` decouples the decay from
        Adam's normalisation and matches neither.)
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's other parameters (torch's defaults).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data (as
        scikit-learn's ``MLPClassifier``), monitor the **validation loss** (the training loss
        function without the penalty, as skorch's ``EarlyStopping``) after every epoch,
        stop when it has not improved on its best by more than ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs, and keep the parameters of the best epoch.
        The validation accuracy is recorded too (``validation_scores_``). Why the loss: on
        small data the hold-out has few rows (12 of standardised iris's 120 training rows
        in 5-fold CV) and its accuracy moves in steps of 1/12, so it stops improving long
        before the network is trained, while the loss keeps decreasing as the network
        learns. Measured on standardised iris, 5-fold CV, ``random_state`` 0-9, whole-data
        steps (``batch_size=None``, ``MLPClassifier``'s batch for 150 rows), defaults
        otherwise: monitoring the accuracy (this class before) stopped after 13-20 epochs,
        mean test accuracy 0.79 (0.59-0.67 for three seeds); the loss after 54-166 epochs,
        0.95 (0.92-0.97). With the default mini-batches of 5: 0.93 (12-28 epochs) against
        0.96.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        Patience of both stopping rules, in epochs.
    tol : float, default=1e-4
        Least improvement that counts for the stopping rules: of the validation loss with
        ``early_stopping=True``, of the training loss with ``stop_on_training_loss=True``.
        Without either, training always runs ``max_epochs`` epochs (the lecture's fixed
        number) and ``tol`` is not used.
    stop_on_training_loss : bool, default=False
        With ``early_stopping=False``: scikit-learn's ``MLPClassifier`` rule on the training
        loss, stop when the epoch loss (``loss_curve_``) has not decreased below its best by
        more than ``tol`` for more than ``n_iter_no_change`` consecutive epochs, keeping the
        last parameters; reaching ``max_epochs`` first raises a ``ConvergenceWarning``.
        ``MLPClassifier`` always applies it; here the default ``False`` keeps the lecture's
        fixed number of epochs (and the parameters of trial stores written before this
        option existed).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight`` (as
        ``LogisticRegression``'s; see
        :func:`sklearn.utils.class_weight.compute_class_weight`). ``"balanced"`` uses the
        training rows of each fit (each split of :meth:`fit_splits`); :meth:`partial_fit`
        takes only a dict.
    warm_start : bool, default=False
        ``fit`` starts from the fitted parameters of the previous ``fit`` (same classes and
        layers), with a fresh Adam state, as ``MLPClassifier(warm_start=True)``. The
        mini-batch order of the new fit still comes from ``random_state``.
    verbose : bool, default=False
        Print the training loss after every epoch (``Iteration k, loss = ...``, as
        ``MLPClassifier``), and with early stopping the validation loss and accuracy.
    record_step_loss : bool, default=False
        Also keep the loss of every Adam step in ``step_loss_curve_`` (the seed plots it).
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Where to train. ``"auto"`` is the GPU when torch sees one and the CPU otherwise. An
        explicit CUDA device that is missing raises ``ValueError``. Fitted parameters are
        stored as numpy arrays and prediction always runs on the CPU, so a model trained on a
        GPU pickles and predicts on a machine without one.
    n_threads : int or None, default=1
        torch intra-op threads on the CPU while training (restored afterwards; ``None`` leaves
        torch's setting alone). One thread is the fastest for small models on a shared
        machine, and gives results that are bitwise independent of how many models are
        trained together (:meth:`fit_splits`); parallelise over fits instead (``n_jobs`` of
        ``GridSearchCV``), or over splits with :meth:`fit_splits`.
    random_state : int, RandomState instance or None, default=None
        Seeds everything: the initial weights, the order of the mini-batches, the validation
        split. The first draw of ``check_random_state(random_state)`` seeds a
        ``torch.Generator``; two fits with the same int give identical models.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.
    n_outputs_ : int
        Output nodes: ``n_classes`` for ``"ce"``, 1 (two classes) or ``n_classes`` for
        ``"mse"``.
    coefs_ : list of ndarray of shape (n_in, n_out), float32
    intercepts_ : list of ndarray of shape (n_out,), float32
    loss_curve_ : ndarray of shape (n_iter_,)
        Training loss per epoch: the mean over the epoch's samples of the loss at the step
        that used them (the step losses weighted by their batch sizes, as scikit-learn does),
        including the L2 penalty when ``alpha > 0``.
    step_loss_curve_ : ndarray or None
        Loss of every step (``record_step_loss=True``), all epochs in order.
    n_iter_ : int
        Epochs trained.
    validation_scores_ : ndarray of shape (n_iter_,) or None
        Validation accuracy after each epoch (early stopping only).
    best_validation_score_ : float or None
        Validation accuracy of the kept epoch (the epoch of least validation loss).
    validation_loss_curve_ : ndarray of shape (n_iter_,) or None
        Validation loss after each epoch (early stopping only): what early stopping monitors.
    best_validation_loss_ : float or None
    temperature_ : float or None
        ``loss="mse"``: the temperature of the square-loss probabilities, fitted on the
        training rows (see Notes). ``None`` for ``"ce"``.
    seed_ : int
        The seed the fit used (see ``random_state``).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : the numpy implementation (Glorot initialisation,
        L2 penalty ``alpha=1e-4`` by default, loss-based stopping).

    Notes
    -----
    The cross-entropy of logits :math:`z` with softmax :math:`p = \\mathrm{softmax}(z)`,

    .. math::

        \\ell(z, c) = -\\log p_c = \\log \\sum_j e^{z_j} - z_c,

    averaged over a batch, is ``torch.nn.CrossEntropyLoss``. Training runs in float32;
    ``predict_proba`` is the softmax of the logits for ``"ce"``, in float64.

    **Square-loss probabilities.** The outputs of a network trained with the square loss
    estimate the class indicators but are not probabilities: they leave [0, 1] and do not
    sum to 1, and clipping them (the old map, :func:`square_loss_proba`) put exactly 0 on
    the true class of 3 of breast_cancer's 569 rows and exactly 0 or 1 on about 40 % of
    the values, so the log loss was infinite. ``predict_proba`` for ``"mse"`` is
    :func:`square_loss_softmax`: the outputs (divided by ``M``) are soft-clipped into
    (-0.1, 1.1) (:func:`soft_clip`, the identity on [0, 1], strictly increasing), and the
    probabilities are the softmax of these scores divided by a temperature ``T``
    (``temperature_``), fitted on the training rows by least log loss
    (:func:`fit_square_loss_temperature`, ``T`` in [0.05, 100]). They lie strictly
    inside (0, 1) (the scores differ by at most 1.2 / 0.05 = 24), sum to 1, and rank the
    classes as the raw outputs; ``predict`` is unchanged (class 1 iff output > ``M / 2``,
    or the largest output). ``T`` fitted on the training data is a choice of scale, not a
    calibration: an over-fitted network gets a small ``T``. Measured on breast_cancer
    (standardised, 5-fold CV, out-of-fold predictions, the lecture's defaults,
    ``random_state=0``): the old map gave 54 % exact 0s and 1s and probability 0 to the true
    class of 4 rows (infinite log loss, Brier 0.020); this map none, log loss 0.23, Brier
    0.022, the same predictions (accuracy 0.977; ``T`` = 0.05-0.15); the cross-entropy
    networks had log loss 0.85 (Brier 0.026).

    **Sample weights, warm start and partial_fit.** ``fit(X, y, sample_weight=s)`` (and
    :meth:`fit_splits`, :meth:`partial_fit`) minimises the weighted loss: the loss of an
    Adam step is the weighted mean :math:`\\sum_b s_b \\ell_b / \\sum_b s_b` over its rows
    and the L2 penalty is divided by the same sum (scikit-learn's ``MLPClassifier``), so
    with ``batch_size=None`` integer weights give the loss and gradients of repeated rows
    (mini-batches of repeated rows are other batches); the validation loss is weighted too.
    ``set_fit_request(sample_weight=True)`` routes the weights through metadata routing.
    :meth:`partial_fit` trains one epoch per call on the data it gets, continuing Adam's
    state from the previous call. Sparse ``X`` (scipy CSR/CSC/COO) is accepted: training
    densifies it (the engine's products are dense), prediction multiplies the sparse
    matrix; both equal the dense results.

    References
    ----------
    .. [1] L. Hui and M. Belkin, "Evaluation of neural architectures trained with square loss
       vs cross-entropy in classification tasks", ICLR 2021, arXiv:2006.07322.
    .. [2] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    .. [3] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015, arXiv:1502.01852.

    Examples
    --------
    >>> from clfcompare.datasets import make_curve
    >>> from clfcompare.estimators.mlp import TorchMLPClassifier
    >>> X, y = make_curve(2, random_state=0)
    >>> clf = TorchMLPClassifier(hidden_layer_sizes=(16,), batch_size=None, max_epochs=50,
    ...                          learning_rate=0.05, device="cpu", random_state=0).fit(X, y)
    >>> clf.loss_curve_.shape
    (50,)
    >>> clf.predict_proba(X[:3]).sum(axis=1)
    array([1., 1., 1.])
    """

    def __init__(
        self,
        *,
        loss="ce",
        hidden_layer_sizes=(50, 100, 50),
        activation="relu",
        batch_size=5,
        max_epochs=499,
        learning_rate=None,
        init_std=0.02,
        square_loss_k=1.0,
        square_loss_M=1.0,
        alpha=0.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        stop_on_training_loss=False,
        class_weight=None,
        warm_start=False,
        verbose=False,
        record_step_loss=False,
        device="auto",
        n_threads=1,
        random_state=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.init_std = init_std
        self.square_loss_k = square_loss_k
        self.square_loss_M = square_loss_M
        self.alpha = alpha
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.stop_on_training_loss = stop_on_training_loss
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.record_step_loss = record_step_loss
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------------------------------
    def engine_options(self):
        """Check every hyper-parameter; the training engine's options for this estimator.

        The one place where the parameters are validated: ``fit`` and ``fit_splits`` call it
        before they touch the data. ``learning_rate=None`` becomes the loss's default
        (``DEFAULT_LEARNING_RATES``) and ``device`` a :class:`torch.device`;
        ``early_stopping`` and ``validation_fraction`` are the estimator's own (they choose
        the rows the engine trains and validates on) and are checked here too.

        Returns
        -------
        EngineOptions
            What :func:`~clfcompare.estimators.train_mlps` takes as ``options``.

        Raises
        ------
        TypeError, ValueError
            Naming the parameter whose value is wrong.

        Examples
        --------
        >>> from clfcompare.estimators import TorchMLPClassifier
        >>> options = TorchMLPClassifier(loss="mse", device="cpu").engine_options()
        >>> options.learning_rate, options.hidden_layer_sizes, options.device
        (0.001, (50, 100, 50), device(type='cpu'))
        """
        loss = check_choice(self.loss, "loss", LOSSES)
        learning_rate = self.learning_rate
        if learning_rate is None:
            learning_rate = DEFAULT_LEARNING_RATES[loss]
        check_bool(self.early_stopping, "early_stopping")
        check_bool(self.warm_start, "warm_start")
        check_bool(self.verbose, "verbose")
        check_real(
            self.validation_fraction, "validation_fraction",
            low=0.0, high=1.0, low_open=True, high_open=True,
        )  # fmt: skip
        return EngineOptions(
            hidden_layer_sizes=self.hidden_layer_sizes,
            loss=loss,
            activation=self.activation,
            learning_rate=learning_rate,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            init_std=self.init_std,
            square_loss_k=self.square_loss_k,
            square_loss_M=self.square_loss_M,
            alpha=self.alpha,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            stop_on_training_loss=self.stop_on_training_loss,
            record_step_loss=self.record_step_loss,
            device=self.device,
            n_threads=self.n_threads,
        )

    def fit_splits(
        self, X, y, train_indices, random_states=None, sample_weight=None, on_epoch=None
    ):
        """Fit one clone of this estimator per split, all trained together.

        The trial runner's hook for repeated cross-validation (``docs/interfaces.md``): the
        ``M`` networks train as one stacked model (:func:`~clfcompare.estimators.train_mlps`),
        and each returned estimator is the one that
        ``clone(self).fit(X[idx], y[idx])`` would give: same seed (``random_state`` is drawn
        from afresh for every split, as a clone would), same batch order, same numbers (on the
        CPU with one thread bitwise, otherwise to float32 rounding). ``self`` is not changed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        train_indices : list of 1-D int arrays
            Rows of ``X`` of each split; splits may differ in size.
        random_states : list of (int, RandomState or None), optional
            One ``random_state`` per split (the trial runner passes the seed it derived for
            each split). Split ``k`` then gives the estimator that
            ``clone(self).set_params(random_state=copy.deepcopy(random_states[k]))`` fits,
            and that is what it returns (its ``random_state`` is ``random_states[k]``; a
            ``RandomState`` passed here is copied, not advanced). ``None`` (the default):
            every split uses ``self.random_state``, as a clone would.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows of ``X``; split ``k`` is ``clone(self).fit(X[idx], y[idx],
            sample_weight=sample_weight[idx])``.
        on_epoch : callable, optional
            Progress: ``on_epoch(epochs_done, n_epochs)`` after every epoch of the stacked
            training (the engine's, see :func:`~clfcompare.estimators.train_mlps`);
            ``epochs_done`` rises from 1 to ``n_epochs``, which is ``max_epochs`` times the
            number of stacked runs (one, unless splits have different class sets or the CPU
            trains the models in blocks). With early stopping or ``stop_on_training_loss`` a
            run ends when all its models have stopped, so the last ``epochs_done`` may be
            below ``n_epochs``. It changes no number of the fits.

        Returns
        -------
        list of TorchMLPClassifier
            Fitted clones, one per split, in the order of ``train_indices``.

        Examples
        --------
        >>> import numpy as np
        >>> from clfcompare.datasets import make_curve
        >>> from clfcompare.estimators.mlp import TorchMLPClassifier
        >>> X, y = make_curve(2, random_state=0)
        >>> clf = TorchMLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, device="cpu",
        ...                          random_state=0)
        >>> fits = clf.fit_splits(X, y, [np.arange(0, 100), np.arange(50, 160)])
        >>> [f.n_iter_ for f in fits]
        [3, 3]
        """
        (fitted,) = _fit_stacked(
            [self], X, y, train_indices, [random_states], sample_weight, on_epoch
        )
        return fitted

    def _set_fitted(self, result, classes, seed, options):
        self.classes_ = classes
        self.n_outputs_ = int(result.coefs[-1].shape[1])
        self.coefs_ = result.coefs
        self.intercepts_ = result.intercepts
        self.loss_curve_ = result.loss_curve
        self.step_loss_curve_ = result.step_losses
        self.n_iter_ = int(result.n_iter)
        self.validation_scores_ = result.validation_scores
        self.best_validation_score_ = result.best_validation_score
        self.validation_loss_curve_ = result.validation_losses
        self.best_validation_loss_ = result.best_validation_loss
        self.seed_ = seed
        self.device_ = str(options.device)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _validate_X_y(self, X, y, *, reset):
        """Validated float64 ``X`` (sparse densified for the engine) and ``y``."""
        X, y = validate_data(
            self, X, y, dtype=np.float64, accept_sparse=["csr", "csc", "coo"], reset=reset
        )
        check_classification_targets(y)
        if hasattr(X, "toarray"):
            X = X.toarray()
        return X, y

    @property
    def clfcompare_behaviour_version(self):
        """2 with ``early_stopping=True`` (it monitors the validation loss since then), else None.

        Read by the trial store's fingerprint (:mod:`clfcompare.trials`): a store written
        when early stopping watched the validation accuracy is not resumed with the new rule.
        """
        return 2 if self.early_stopping else None

    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X``, ``y``; returns ``self``.

        The same engine as :meth:`fit_splits` with a single split of all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows (see Notes).

        Returns
        -------
        self : TorchMLPClassifier
        """
        options = self.engine_options()
        warm = self.warm_start and hasattr(self, "coefs_")
        X, y = self._validate_X_y(X, y, reset=not warm)
        classes, codes = _encode(y, split=None)
        initial = None
        if warm:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit: previously {self.classes_.tolist()}, now "
                    f"{classes.tolist()}"
                )
            initial = [(self._flat_parameters(options, X.shape[1], classes), None)]
        weights = validate_sample_weight(sample_weight, X)
        weights = effective_weights(self, self.class_weight, classes, y, weights)
        seed = draw_seed(self.random_state)
        (fitted,) = _train_group(
            self, options, X, codes, classes, [np.arange(len(y))], [seed],
            weights=weights, initial=initial, callback=self._printer(),
        )  # fmt: skip
        self._set_fitted(fitted, classes, seed, options)
        self._fit_temperature(X, codes, weights)
        self.__dict__.pop("_adam_state", None)
        _warn_unconverged(self, options, [fitted])
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of training on ``X``, ``y``, continuing from the previous call.

        As ``MLPClassifier.partial_fit``: the first call (on an unfitted estimator, or after
        ``fit``) needs ``classes``, every label that any call will see; later calls continue
        the parameters and Adam's moments of the previous call (after ``fit``, the fitted
        parameters with a fresh Adam state). Each call is one epoch over its rows (mini-
        batches of ``batch_size``, drawn from a seed derived from ``seed_`` and the epoch
        number); ``max_epochs`` and the stopping rules do not apply, and
        ``early_stopping=True`` is an error. ``loss_curve_`` and ``n_iter_`` grow by one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the labels; required on the first call, else optional (then checked).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TorchMLPClassifier
        """
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if isinstance(self.class_weight, str):
            raise ValueError(
                "partial_fit cannot use class_weight='balanced' (it would depend on each "
                "call's rows); pass a dict {label: weight}"
            )
        options = dataclasses.replace(
            self.engine_options(), max_epochs=1, stop_on_training_loss=False
        )
        first = not hasattr(self, "coefs_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        X, y = self._validate_X_y(X, y, reset=first)
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if classes.shape[0] < 2:
                raise ValueError(f"classes must hold at least 2 labels, got {classes.tolist()}")
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes={classes.tolist()} is not the same as on the first call to "
                    f"partial_fit ({self.classes_.tolist()})"
                )
        else:
            classes = self.classes_
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()} that are not in classes")
        codes = np.searchsorted(classes, y)
        weights = validate_sample_weight(sample_weight, X)
        weights = effective_weights(self, self.class_weight, classes, y, weights)
        initial, state = None, getattr(self, "_adam_state", None)
        if first:
            seed, epochs, curve = draw_seed(self.random_state), 0, []
        else:
            seed, epochs, curve = self.seed_, self.n_iter_, list(self.loss_curve_)
            initial = [(self._flat_parameters(options, X.shape[1], classes), state)]
        epoch_seed = seed if epochs == 0 else _epoch_seed(seed, epochs)
        (fitted,) = _train_group(
            self, options, X, codes, classes, [np.arange(len(y))], [epoch_seed],
            weights=weights, initial=initial, keep_state=True, callback=self._printer(epochs),
        )  # fmt: skip
        self._set_fitted(fitted, classes, seed, options)
        self.loss_curve_ = np.array(curve + fitted.loss_curve.tolist())
        self.n_iter_ = epochs + 1
        self._adam_state = fitted.adam_state
        self._fit_temperature(X, codes, weights)
        return self

    def _flat_parameters(self, options, n_features, classes):
        """The fitted parameters as the engine's flat vector, checked against the layers."""
        n_outputs = _n_outputs(options, classes)
        sizes = (n_features, *options.hidden_layer_sizes, n_outputs)
        shapes = [(i, o) for i, o in zip(sizes[:-1], sizes[1:], strict=False)]
        if [c.shape for c in self.coefs_] != shapes:
            raise ValueError(
                "warm_start/partial_fit need the layers of the previous fit: it had weight "
                f"matrices {[c.shape for c in self.coefs_]}, the parameters now give {shapes}"
            )
        parts = []
        for coef, bias in zip(self.coefs_, self.intercepts_, strict=True):
            parts += [coef.ravel(), bias.ravel()]
        return np.concatenate(parts).astype(np.float32)

    def _printer(self, first_epoch=0):
        """The engine's per-epoch callback when ``verbose``, else None."""
        if not self.verbose:
            return None

        def report(epoch, info):
            line = f"Iteration {first_epoch + epoch}, loss = {info['loss'][0]:.8f}"
            if info["validation_loss"] is not None:
                line += (
                    f", validation loss = {info['validation_loss'][0]:.8f}"
                    f", validation accuracy = {info['validation_score'][0]:.6f}"
                )
            print(line, flush=True)

        return report

    def _fit_temperature(self, X, codes, weights):
        """``temperature_`` of the square-loss probabilities, on the training rows."""
        _fit_temperatures([self], X, codes, [weights], [np.arange(X.shape[0])])

    # ------------------------------------------------------------------------------------------
    # prediction (float64, CPU, numpy)
    # ------------------------------------------------------------------------------------------
    def _outputs(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=np.float64, reset=False, accept_sparse=["csr", "csc", "coo"]
        )
        return network_forward(X, self.coefs_, self.intercepts_, self.activation)

    def decision_function(self, X):
        """Network outputs; for two classes the margin whose sign gives the class.

        ``K > 2`` classes: the raw outputs, shape (n_samples, K) (logits for ``"ce"``). Two
        classes, shape (n_samples,): ``z_1 - z_0`` (the log-odds of class 1) for ``"ce"`` and
        ``o / M - 1/2`` for ``"mse"`` (positive iff the output exceeds the seed's threshold).
        The raw outputs in every case are :meth:`network_outputs`.
        """
        out = self._outputs(X)
        if out.shape[1] == 1:
            return out[:, 0] / self.square_loss_M - 0.5
        if out.shape[1] == 2:
            return out[:, 1] - out[:, 0]
        return out

    def network_outputs(self, X):
        """Raw outputs of the network, shape (n_samples, n_outputs_), float64."""
        return self._outputs(X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); rows sum to one.

        ``"ce"``: the softmax of the logits. ``"mse"``: :func:`square_loss_softmax` with the
        fitted ``temperature_`` (strictly inside (0, 1); see Notes).
        """
        out = self._outputs(X)
        if self.loss == "ce":
            return softmax(out, axis=1)
        return square_loss_softmax(out, self.square_loss_M, self.temperature_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed in log space (always finite)."""
        out = self._outputs(X)
        if self.loss == "ce":
            return log_softmax(out, axis=1)
        return square_loss_softmax(out, self.square_loss_M, self.temperature_, log=True)

    def predict(self, X):
        """Class labels: the argmax of :meth:`predict_proba`.

        For ``"mse"`` taken from the outputs themselves (class 1 iff output > ``M / 2``, or
        the largest output), which :meth:`predict_proba` ranks the same way.
        """
        if self.loss == "ce":
            proba = self.predict_proba(X)
            return self.classes_[np.argmax(proba, axis=1)]
        out = self._outputs(X)
        if out.shape[1] == 1:
            return self.classes_[(out[:, 0] / self.square_loss_M > 0.5).astype(np.intp)]
        return self.classes_[np.argmax(out, axis=1)]


def _encode(y, split):
    classes, codes = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        where = "" if split is None else f" in split {split}"
        raise ValueError(
            "TorchMLPClassifier needs samples of at least 2 classes; "
            f"y has 1 class{where}: {classes.tolist()}"
        )
    return classes, codes


def _n_outputs(options, classes):
    n_classes = classes.shape[0]
    return 1 if options.loss == "mse" and n_classes == 2 else n_classes


def _epoch_seed(seed, epoch):
    """The batch-order seed of :meth:`TorchMLPClassifier.partial_fit`'s epoch ``epoch``."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0] % _SEED_HIGH)


def _splits_printer(n_models):
    """The engine's per-epoch callback of a stacked run of ``n_models`` (``verbose``)."""

    def report(epoch, info):
        print(
            f"Iteration {epoch}, mean loss of {n_models} models = {np.nanmean(info['loss']):.8f}",
            flush=True,
        )

    return report


def _fit_temperatures(fitted, X, codes, weights, rows):
    """Set ``temperature_`` of fitted estimators, the square-loss ones in one search.

    ``fitted[i]`` was trained on ``X[rows[i]]`` with classes ``codes[rows[i]]`` and row
    weights ``weights[i]`` (None or of shape (n_samples,)); the others get None. The
    float64 forward pass is per network (its rows: a row's outputs as :meth:`predict`'s),
    the temperature search (:func:`fit_square_loss_temperatures`) for all at once.
    """
    square, scores, split_codes, split_weights = [], [], [], []
    for est, w, idx in zip(fitted, weights, rows, strict=True):
        est.temperature_ = None
        if est.loss != "mse":
            continue
        outputs = network_forward(X[idx], est.coefs_, est.intercepts_, est.activation)
        square.append(est)
        scores.append(square_loss_scores(outputs, est.square_loss_M))
        split_codes.append(codes[idx])
        split_weights.append(None if w is None else w[idx])
    if square:
        temperatures = fit_square_loss_temperatures(scores, split_codes, split_weights)
        for est, t in zip(square, temperatures, strict=True):
            est.temperature_ = float(t)


def _warn_unconverged(est, options, results):
    """scikit-learn's ConvergenceWarning when the training-loss rule never stopped a fit."""
    if not options.stop_on_training_loss or est.early_stopping:
        return
    late = sum(not r.stopped for r in results)
    if late:
        which = "" if len(results) == 1 else f" ({late} of {len(results)} fits)"
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({options.max_epochs}) reached and the "
            f"optimization hasn't converged yet{which}.",
            ConvergenceWarning,
            stacklevel=3,
        )


class _Progress:
    """One ``on_epoch(epochs_done, n_epochs)`` over several engine calls, one after another.

    ``runs`` holds, per engine call, ``(n_models, layer_sizes, options, one_run)``
    (``one_run``: the engine gets a per-epoch callback and does not train in blocks); each
    call's own progress is shifted past the epochs of the calls before it.
    """

    def __init__(self, on_epoch, runs):
        self.on_epoch = on_epoch
        if on_epoch is None:
            return
        if not callable(on_epoch):
            raise TypeError(f"on_epoch must be callable, got {type(on_epoch).__name__}")
        self.sizes = [
            o.max_epochs * (1 if one else stacked_runs(n, sizes, o.device))
            for n, sizes, o, one in runs
        ]
        self.total, self.done = sum(self.sizes), 0

    def run(self):
        """The ``on_epoch`` of the next engine call (None without a callback)."""
        if self.on_epoch is None:
            return None
        offset = self.done
        self.done += self.sizes.pop(0)
        total, on_epoch = self.total, self.on_epoch

        def report(epochs_done, _n_epochs):
            on_epoch(offset + epochs_done, total)

        return report


@dataclasses.dataclass
class _Job:
    """One network to train: a fitted-to-be clone on one split."""

    source: TorchMLPClassifier  # the estimator it is a clone of
    fitted: TorchMLPClassifier
    split: np.ndarray
    seed: int
    options: EngineOptions
    classes: np.ndarray
    weights: np.ndarray | None  # (n_samples,) or None


def _stack_key(job, n_outputs):
    """Jobs of equal keys train in one engine run (:func:`train_mlps` with a list of options)."""
    o, est = job.options, job.source
    key = (tuple(job.classes.tolist()), n_outputs, tuple(getattr(o, f) for f in SHARED_OPTIONS))
    key += (job.weights is None, bool(est.early_stopping))
    if est.early_stopping:  # validation rows and the validation loss
        key += (est.validation_fraction, o.loss, o.square_loss_k, o.square_loss_M)
    return key


def _check_per_estimator_states(random_states, n_estimators):
    """``random_states`` of :func:`fit_splits_stacked` as one entry per estimator."""
    if random_states is None:
        return [None] * n_estimators
    if not isinstance(random_states, list | tuple):
        raise TypeError(
            "random_states must be None, a list of one random_state per split, or a list of "
            f"one such list (or None) per estimator; got {type(random_states).__name__}"
        )
    if any(isinstance(r, list | tuple | np.ndarray) for r in random_states):
        if len(random_states) != n_estimators:
            raise ValueError(
                f"random_states has {len(random_states)} lists for {n_estimators} estimators"
            )
        return list(random_states)
    return [random_states] * n_estimators


def _fit_stacked(estimators, X, y, train_indices, random_states, sample_weight, on_epoch):
    """Fit every estimator on every split; stack what can share an engine run.

    ``random_states`` has one entry (None or a list per split) per estimator. Returns one list
    of fitted clones per estimator, each as that estimator's own :meth:`fit_splits`.
    """
    all_options = [est.engine_options() for est in estimators]  # parameters first
    # validated on a throw-away clone: fitting does not change the estimators
    X_checked, y_checked = clone(estimators[0])._validate_X_y(X, y, reset=True)
    all_weights = validate_sample_weight(sample_weight, X_checked)
    splits = check_train_indices(train_indices, len(y_checked))
    jobs, per_estimator = [], []
    split_classes, int_seeds = {}, {}  # the same for every estimator: found once
    for est, options, est_states in zip(estimators, all_options, random_states, strict=True):
        if est_states is None:
            states = [est.random_state] * len(splits)
            fitted = [clone(est) for _ in splits]
        else:
            states = check_random_states(est_states, len(splits))
            fitted = [clone(est).set_params(random_state=state) for state in states]
        mine = []
        for k, (fit, idx) in enumerate(zip(fitted, splits, strict=True)):
            validate_data(fit, X, reset=True, skip_check_array=True)
            y_split = y_checked[idx]
            if k not in split_classes:
                check_classification_targets(y_split)
                split_classes[k] = _encode(y_split, split=k)[0]
            classes = split_classes[k]
            weights = all_weights
            if est.class_weight is not None:  # per split: "balanced" counts its own rows
                weights = np.zeros(len(y_checked))
                weights[idx] = effective_weights(
                    est, est.class_weight, classes, y_split,
                    None if all_weights is None else all_weights[idx],
                )  # fmt: skip
            state = states[k]
            if isinstance(state, numbers.Integral):  # an int always draws the same seed
                if int(state) not in int_seeds:
                    int_seeds[int(state)] = draw_seed(state)
                seed = int_seeds[int(state)]
            else:
                seed = draw_seed(copy.deepcopy(state))
            mine.append(_Job(est, fit, idx, seed, options, classes, weights))
        jobs += mine
        per_estimator.append(mine)
    groups = {}
    for job in jobs:
        key = _stack_key(job, _n_outputs(job.options, job.classes))
        groups.setdefault(key, []).append(job)
    runs = []
    for members in groups.values():
        n_out = _n_outputs(members[0].options, members[0].classes)
        sizes = (X_checked.shape[1], *members[0].options.hidden_layer_sizes, n_out)
        verbose = any(job.source.verbose for job in members)
        runs.append((len(members), sizes, members[0].options, verbose))
    progress = _Progress(on_epoch, runs)
    results = {}
    for members, (_, _, _, verbose) in zip(groups.values(), runs, strict=True):
        classes = members[0].classes
        codes = np.searchsorted(classes, y_checked)  # rows outside a split are not read
        codes = np.where(np.isin(y_checked, classes), codes, 0)
        weights = members[0].weights
        if any(job.weights is not weights for job in members):  # one row per network
            weights = np.stack([job.weights for job in members])
        options = [job.options for job in members]
        trained = _train_group(
            members[0].source, options, X_checked, codes, classes,
            [job.split for job in members], [job.seed for job in members], weights=weights,
            callback=_splits_printer(len(members)) if verbose else None,
            on_epoch=progress.run(),
        )  # fmt: skip
        for job, result in zip(members, trained, strict=True):
            job.fitted._set_fitted(result, classes, job.seed, job.options)
            results[id(job)] = result
        _fit_temperatures(
            [job.fitted for job in members], X_checked, codes,
            [job.weights for job in members], [job.split for job in members],
        )  # fmt: skip
    for mine in per_estimator:
        _warn_unconverged(mine[0].source, mine[0].options, [results[id(j)] for j in mine])
    return [[job.fitted for job in mine] for mine in per_estimator]


def fit_splits_stacked(
    estimators, X, y, train_indices, random_states=None, sample_weight=None, on_epoch=None
):
    """Fit several ``TorchMLPClassifier`` configurations on the same splits, stacked.

    What ``[est.fit_splits(X, y, train_indices, ...) for est in estimators]`` returns, with
    the networks of all estimators and splits trained together: estimators that differ only
    in ``loss``, ``learning_rate``, ``alpha``, ``square_loss_k``, ``square_loss_M``,
    ``beta_1``, ``beta_2``, ``epsilon``, ``init_std`` and ``random_state`` share one
    stacked engine run (:func:`~clfcompare.estimators.train_mlps` with a list of options);
    the others (different layers, activation, batch size, epochs, device, threads, stopping
    rule, early stopping's loss; splits with other class sets; a two-class square loss next
    to a cross-entropy network: other output layers; weighted next to unweighted training,
    e.g. a ``class_weight``) are grouped, and each group is one run. Each fitted network is
    exactly the one its estimator's :meth:`~TorchMLPClassifier.fit_splits` gives (bitwise
    on the CPU with one thread).
    A grid search is the typical user: candidates x folds in one run
    (:class:`clfcompare.search.BatchedGridSearchCV`).

    Parameters
    ----------
    estimators : list of TorchMLPClassifier
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    train_indices : list of 1-D int arrays
        Rows of each split.
    random_states : None, list, or list of lists, optional
        ``None``: every estimator uses its own ``random_state`` (as its ``fit_splits``
        without ``random_states``). A list of one ``random_state`` per split: the same for
        every estimator. A list of one entry per estimator, each ``None`` or a list of one
        ``random_state`` per split (recognised by its entries being lists).
    sample_weight : array-like of shape (n_samples,), default=None
    on_epoch : callable, optional
        ``on_epoch(epochs_done, n_epochs)`` over all runs (see ``fit_splits``).

    Returns
    -------
    list of list of TorchMLPClassifier
        ``result[i][k]``: estimator ``i`` fitted on split ``k``.

    Raises
    ------
    TypeError
        An estimator that is not a ``TorchMLPClassifier``; a malformed ``random_states``.
    ValueError
        No estimators, a bad parameter (named), bad splits or data.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.datasets import make_curve
    >>> from clfcompare.estimators import TorchMLPClassifier, fit_splits_stacked
    >>> X, y = make_curve(2, random_state=0)
    >>> base = dict(hidden_layer_sizes=(8,), max_epochs=3, device="cpu", random_state=0)
    >>> grid = [TorchMLPClassifier(learning_rate=lr, **base) for lr in (0.01, 0.001)]
    >>> fits = fit_splits_stacked(grid, X, y, [np.arange(0, 100), np.arange(50, 160)])
    >>> [[f.learning_rate for f in row] for row in fits]
    [[0.01, 0.01], [0.001, 0.001]]
    """
    if isinstance(estimators, TorchMLPClassifier) or not isinstance(estimators, list | tuple):
        raise TypeError(
            f"estimators must be a list of TorchMLPClassifier, got {type(estimators).__name__}"
        )
    if not estimators:
        raise ValueError("estimators is empty: give at least one TorchMLPClassifier")
    for i, est in enumerate(estimators):
        if not isinstance(est, TorchMLPClassifier):
            raise TypeError(
                f"estimators[{i}] must be a TorchMLPClassifier, got {type(est).__name__}"
            )
    states = _check_per_estimator_states(random_states, len(estimators))
    return _fit_stacked(list(estimators), X, y, train_indices, states, sample_weight, on_epoch)


def _train_group(
    est, options, X, codes, classes, splits, seeds, *, weights=None, initial=None,
    keep_state=False, callback=None, on_epoch=None,
):  # fmt: skip
    """Train the splits of one class set together; returns the engine's results.

    ``weights``: None, (n_samples,) for every split, or (n_splits, n_samples).
    """
    n_outputs = _n_outputs(options[0] if isinstance(options, list) else options, classes)
    train, validation = splits, None
    if est.early_stopping:
        train, validation = [], []
        for idx, seed in zip(splits, seeds, strict=True):
            # what fit(X[idx], y[idx]) does with its rows 0..len(idx)-1
            fit_pos, val_pos = train_test_split(
                np.arange(len(idx)),
                test_size=est.validation_fraction,
                stratify=codes[idx],
                random_state=seed,
            )
            train.append(idx[fit_pos])
            validation.append(idx[val_pos])
    return train_mlps(
        X, codes, train, n_outputs=n_outputs, seeds=seeds, options=options,
        validation_indices=validation, sample_weight=weights,
        validation_metric="loss", initial=initial, keep_state=keep_state, callback=callback,
        on_epoch=on_epoch,
    )  # fmt: skip
