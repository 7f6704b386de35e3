r"""The learner arms: each fits and predicts every split of a block of replicates at once.

Every arm is a function ``evaluate(xs, y, train, test, **options)``: ``xs`` is a list of
feature groups, each ``(B, p, n)`` (replicate, feature, row), ``train`` and ``test`` the masks
``(B, S, n)`` of :func:`~clfcompare.calibration._data.split_masks`. It returns, per feature
group, the accuracy on each split's test rows ``(B, S)``, the closed-form population accuracy
of each fitted model ``(B, S)`` (NaN where there is none) and the predictions ``(B, S, n)``
(class 1 or not; meaningful on the test rows only). Taking several feature groups at once lets
the MLP train all of them in one batched call.

- **nearest class mean** (stable; closed form): fully vectorised, masked sums;
- **1-NN** (unstable): the rows sorted by distance once per replicate, then for every split the
  first training row in that order (a window of the nearest rows, with an exact fall-back);
- **fully grown decision tree** (unstable): scikit-learn's ``DecisionTreeClassifier`` (pure
  leaves, Gini, ``random_state=0``), one fit per split with input checks skipped;
- **MLP** (in between): :func:`~clfcompare.estimators.train_mlps` with the options of a
  :class:`~clfcompare.estimators.TorchMLPClassifier` trains every network of the block as one
  stacked model (CPU or GPU), each split from its own seed; the predictions are one batched
  forward pass (the estimator's).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import special

__all__ = ["LEARNERS", "fit_nearest_mean", "lecture_mlp"]

#: The learner arms by name. ``"mlp"`` is the lecture's network, see :func:`lecture_mlp`.
LEARNERS = ("nearest_mean", "tree", "1nn", "mlp")

#: Rows of the nearest-neighbour window searched before the exact fall-back.
_NN_WINDOW = 24
#: Networks per chunk of the batched forward pass (bounds its memory).
_FORWARD_CHUNK = 1024


def fit_nearest_mean(x, y, train_mask):
    r"""Fit one-feature nearest-class-mean classifiers on many training sets at once.

    .. math::

        \hat m_c = \frac{\sum_i [i \in \text{train}][y_i = c]\, x_i}
                        {\sum_i [i \in \text{train}][y_i = c]}, \qquad
        t = \frac{\hat m_0 + \hat m_1}{2}, \qquad s = \operatorname{sign}(\hat m_1 - \hat m_0).

    The classifier predicts class 1 when :math:`s\,(x - t) > 0`. (The simulation's arm is the
    same rule for a group of ``p`` features: class 1 when
    :math:`(\hat m_1 - \hat m_0) \cdot (x - (\hat m_0 + \hat m_1)/2) > 0`.)

    Parameters
    ----------
    x : ndarray of shape (..., n_samples)
        One feature.
    y : ndarray of shape (n_samples,)
        Labels 0 or 1.
    train_mask : ndarray of bool, broadcastable with ``x``
        The training rows of each fit; each must contain both classes.

    Returns
    -------
    threshold, direction : ndarray
        The broadcast shape of ``x`` and ``train_mask`` without the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.calibration import fit_nearest_mean
    >>> t, s = fit_nearest_mean(np.array([0.0, 1.0, 3.0, 5.0]), np.array([0, 0, 1, 1]),
    ...                         np.array([True, True, True, True]))
    >>> float(t), float(s)
    (2.25, 1.0)
    """
    x = np.asarray(x, dtype=float)
    train_mask = np.asarray(train_mask, dtype=bool)
    is1 = np.asarray(y) == 1
    w1 = train_mask & is1
    w0 = train_mask & ~is1
    n1 = w1.sum(axis=-1)
    n0 = w0.sum(axis=-1)
    if np.any(n0 == 0) or np.any(n1 == 0):
        raise ValueError("every training set must contain both classes")
    m1 = np.where(w1, x, 0.0).sum(axis=-1) / n1
    m0 = np.where(w0, x, 0.0).sum(axis=-1) / n0
    return 0.5 * (m0 + m1), np.sign(m1 - m0)


def lecture_mlp(device="auto", max_epochs=100):
    """The lecture's MLP (HW4's Design 2): cross-entropy, 50-100-50 ReLU, Adam, mini-batches
    of 5, ``max_epochs`` epochs (100 as in the issue's measurement), on ``device``."""
    from clfcompare.estimators import TorchMLPClassifier

    return TorchMLPClassifier(
        loss="ce",
        hidden_layer_sizes=(50, 100, 50),
        batch_size=5,
        max_epochs=max_epochs,
        device=device,
    )


def _accuracy(pred, y, test):
    correct = pred == (y == 1)
    return (correct & test).sum(axis=-1) / test.sum(axis=-1)


# --------------------------------------------------------------------------------------------
# nearest class mean, p features (closed form)
# --------------------------------------------------------------------------------------------
def evaluate_nearest_mean(xs, y, train, test, separations):
    r"""Nearest class mean on each feature group, with its closed-form population accuracy.

    For the rule "class 1 when :math:`w \cdot x > c`" (:math:`w = \hat m_1 - \hat m_0`,
    :math:`c = w \cdot (\hat m_0 + \hat m_1)/2`) and class means :math:`\pm \mu`,
    :math:`\mu = \frac{d}{2\sqrt p} \mathbf 1`, identity covariance, equal priors:

    .. math::

        \operatorname{acc} = \tfrac12\left[\Phi\!\left(\frac{w\cdot\mu - c}{\|w\|}\right)
        + \Phi\!\left(\frac{w\cdot\mu + c}{\|w\|}\right)\right],

    for one feature :func:`~clfcompare.calibration.conditional_accuracy`.
    """
    is1 = y == 1
    w1 = (train & is1).astype(float)
    w0 = (train & ~is1).astype(float)
    n1 = w1.sum(axis=-1, keepdims=True)
    n0 = w0.sum(axis=-1, keepdims=True)
    if np.any(n0 == 0) or np.any(n1 == 0):
        raise ValueError("every training set must contain both classes")
    out = []
    for x, d in zip(xs, separations, strict=True):
        xt = np.swapaxes(x, 1, 2)  # (B, n, p)
        m1 = (w1 @ xt) / n1  # (B, S, p)
        m0 = (w0 @ xt) / n0
        w = m1 - m0
        c = np.sum(w * (m0 + m1), axis=-1) / 2.0  # (B, S)
        pred = (w @ x) > c[..., None]
        p = x.shape[1]
        wmu = w.sum(axis=-1) * (d / (2.0 * np.sqrt(p)))
        norm = np.sqrt(np.sum(w * w, axis=-1))
        with np.errstate(divide="ignore", invalid="ignore"):
            cond = 0.5 * (special.ndtr((wmu - c) / norm) + special.ndtr((wmu + c) / norm))
        out.append((_accuracy(pred, y, test), cond, pred))
    return out


# --------------------------------------------------------------------------------------------
# 1-NN
# --------------------------------------------------------------------------------------------
def nearest_training_row(x, train, window=_NN_WINDOW):
    """Index of the nearest training row of every row, for every split of one replicate.

    ``x`` (p, n); ``train`` (S, n). Distances are Euclidean; each row's candidates are searched
    in the order of their distance (computed once), first in a window of the ``window`` nearest
    rows, then, for the few rows with no training row in it, over all rows.
    """
    diff = x[:, :, None] - x[:, None, :]
    order = np.argsort(np.sum(diff * diff, axis=0), axis=1, kind="stable")  # (n, n)
    win = order[:, :window]
    hit = train[:, win]  # (S, n, window)
    first = hit.argmax(axis=-1)
    nearest = np.take_along_axis(win[None], first[..., None], axis=-1)[..., 0]  # (S, n)
    for s, i in zip(*np.nonzero(~hit.any(axis=-1)), strict=True):
        nearest[s, i] = order[i][np.argmax(train[s, order[i]])]
    return nearest


def evaluate_1nn(xs, y, train, test, separations):
    """1-NN on each feature group (Euclidean distance), every split of every replicate."""
    out = []
    for x in xs:
        pred = np.empty(train.shape, dtype=bool)
        for b in range(x.shape[0]):
            pred[b] = y[nearest_training_row(x[b], train[b])] == 1
        out.append((_accuracy(pred, y, test), np.full(train.shape[:2], np.nan), pred))
    return out


# --------------------------------------------------------------------------------------------
# fully grown decision tree
# --------------------------------------------------------------------------------------------
def evaluate_tree(xs, y, train, test, separations):
    """A fully grown ``DecisionTreeClassifier(random_state=0)`` per split (scikit-learn's
    defaults: Gini, best splits, leaves pure), fitted on the training rows and predicting the
    test rows. The inputs are converted once per replicate to what the tree uses internally
    (float32, C order), so the per-fit checks are skipped (``check_input=False``)."""
    import sklearn
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(random_state=0)
    yf = y.astype(np.float64)
    out = []
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        for x in xs:
            pred = np.zeros(train.shape, dtype=bool)
            for b in range(x.shape[0]):
                X = np.ascontiguousarray(x[b].T, dtype=np.float32)
                for s in range(train.shape[1]):
                    tr, te = train[b, s], test[b, s]
                    tree.fit(X[tr], yf[tr], check_input=False)
                    pred[b, s, te] = tree.predict(X[te], check_input=False) == 1.0
            out.append((_accuracy(pred, y, test), np.full(train.shape[:2], np.nan), pred))
    return out


# --------------------------------------------------------------------------------------------
# MLP through the batched engine
# --------------------------------------------------------------------------------------------
def mlp_predictions(networks, X_models, *, activation, square_loss_M=1.0, device="cpu"):
    """Class-1 predictions of two-class networks (``TrainedMLP``), in batches, with torch.

    ``X_models`` (M, n, p): network ``m`` predicts the rows ``X_models[m]``. The forward pass is
    :class:`~clfcompare.estimators.TorchMLPClassifier`'s (float64, its activation; here on
    ``device``, so a GPU run does not wait for the CPU), and so is the decision of its
    ``predict``: with two outputs (cross-entropy) class 1 when logit 1 exceeds logit 0, with
    one output (square loss) when ``output / square_loss_M > 1/2``.
    """
    import torch

    acts = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "logistic": lambda h: 0.5 * (1.0 + torch.tanh(0.5 * h)),  # as the estimator's
        "identity": lambda h: h,
    }
    act = acts[activation]
    pred = np.empty(X_models.shape[:2], dtype=bool)
    n_layers = len(networks[0].coefs)
    with torch.no_grad():
        for lo in range(0, len(networks), _FORWARD_CHUNK):
            chunk = networks[lo : lo + _FORWARD_CHUNK]
            h = torch.as_tensor(np.ascontiguousarray(X_models[lo : lo + len(chunk)]))
            h = h.to(device=device, dtype=torch.float64)
            for layer in range(n_layers):
                W = np.stack([net.coefs[layer] for net in chunk])
                bias = np.stack([net.intercepts[layer] for net in chunk])
                W = torch.as_tensor(W).to(device=device, dtype=torch.float64)
                bias = torch.as_tensor(bias).to(device=device, dtype=torch.float64)
                h = torch.baddbmm(bias[:, None, :], h, W)
                if layer < n_layers - 1:
                    h = act(h)
            if h.shape[-1] == 1:
                decided = h[..., 0] / square_loss_M > 0.5
            else:
                decided = h[..., 1] > h[..., 0]
            pred[lo : lo + len(chunk)] = decided.cpu().numpy()
    return pred


def evaluate_mlp(xs, y, train, test, separations, *, estimator, seeds):
    """Train one network per split and feature group in one :func:`train_mlps` call.

    The estimator's hyper-parameters (:meth:`TorchMLPClassifier.engine_options`) say how to
    train; the replicates' data sets are stacked as the rows of one matrix (each split's
    training indices point into its own replicate's rows), so the whole block trains as one
    stacked model. Network ``(group, b, s)`` starts from seed ``seeds[b, s]``: a fresh seed per
    split and replicate, shared by the feature groups (models A and B of a split start from the
    same initial weights: common random numbers, as the trial runner's default). Each network
    is the one ``TorchMLPClassifier(...)`` would fit on the split's rows with that seed.
    """
    from clfcompare.estimators import train_mlps

    options = estimator.engine_options()
    b_size, s_size, n = train.shape
    p = xs[0].shape[1]
    X_all = np.concatenate([x[b].T for x in xs for b in range(b_size)])  # (G * B * n, p)
    y_all = np.tile(y, len(xs) * b_size)
    indices, states = [], []
    for g in range(len(xs)):
        for b in range(b_size):
            offset = (g * b_size + b) * n
            for s in range(s_size):
                indices.append(np.flatnonzero(train[b, s]) + offset)
                states.append(int(seeds[b, s]))
    n_outputs = 1 if options.loss == "mse" else 2
    networks = train_mlps(
        X_all, y_all, indices, n_outputs=n_outputs, seeds=states, options=options
    )
    out = []
    for g, x in enumerate(xs):
        nets = networks[g * b_size * s_size : (g + 1) * b_size * s_size]
        X_models = np.broadcast_to(np.swapaxes(x, 1, 2)[:, None], (b_size, s_size, n, p)).reshape(
            -1, n, p
        )
        pred = mlp_predictions(
            nets,
            X_models,
            activation=options.activation,
            square_loss_M=options.square_loss_M,
            device=options.device,
        ).reshape(b_size, s_size, n)
        out.append((_accuracy(pred, y, test), np.full(train.shape[:2], np.nan), pred))
    return out


def resolve_learner(learner):
    """``(name, evaluate, needs_seeds)`` for a learner name or a ``TorchMLPClassifier``."""
    if isinstance(learner, str):
        if learner not in LEARNERS:
            raise ValueError(f"learner must be one of {list(LEARNERS)} or a TorchMLPClassifier, "
                             f"got {learner!r}")  # fmt: skip
        if learner == "mlp":
            return resolve_learner(lecture_mlp())
        table = {
            "nearest_mean": evaluate_nearest_mean,
            "tree": evaluate_tree,
            "1nn": evaluate_1nn,
        }
        return learner, table[learner], None
    if isinstance(learner, (numbers.Number, bool)) or not callable(
        getattr(learner, "fit_splits", None)
    ):
        raise TypeError(
            f"learner must be one of {list(LEARNERS)} or a TorchMLPClassifier instance, "
            f"got {type(learner).__name__}"
        )
    from clfcompare.estimators import TorchMLPClassifier

    if not isinstance(learner, TorchMLPClassifier):
        raise TypeError(
            "learner must be one of the names or a TorchMLPClassifier instance, "
            f"got {type(learner).__name__}"
        )
    learner.engine_options()  # every hyper-parameter checked before any data are drawn
    if learner.early_stopping:
        raise ValueError(
            "learner: early_stopping=True is not supported by the calibration (every network "
            "trains for max_epochs epochs on its split's training rows)"
        )

    def evaluate(xs, y, train, test, separations, *, seeds):
        return evaluate_mlp(xs, y, train, test, separations, estimator=learner, seeds=seeds)

    return "mlp", evaluate, learner
