"""Private helpers shared by the estimators (``gaussian``, ``logistic``, ``mlp``).

Both are score-based classifiers: ``decision_function`` gives the log-odds of ``classes_[1]``
(two classes, shape (n_samples,)) or per-class scores that differ from the log posteriors by a
per-sample constant (shape (n_samples, n_classes)); probabilities and labels follow from the
scores alone. These functions hold that logic, and the input validation (data, sample and
class weights), once.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data


def validate_training_data(estimator, X, y, *, accept_sparse=False):
    """Validate ``X, y`` for ``fit`` and encode the labels.

    Parameters
    ----------
    estimator : BaseEstimator
        Sets ``n_features_in_`` (and ``feature_names_in_``) as ``validate_data`` does.
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    accept_sparse : bool, default=False
        Accept scipy sparse matrices (returned in CSR format).

    Returns
    -------
    X : ndarray or CSR matrix of shape (n_samples, n_features), float64
    classes : ndarray of shape (n_classes,)
        The sorted labels.
    y_idx : ndarray of shape (n_samples,)
        ``classes[y_idx] == y``.

    Raises
    ------
    ValueError
        Non-finite ``X``, non-classification targets, or fewer than two classes.
    """
    sparse = ["csr", "csc", "coo"] if accept_sparse else False
    X, y = validate_data(estimator, X, y, dtype=np.float64, accept_sparse=sparse)
    if accept_sparse and hasattr(X, "tocsr"):
        X = X.tocsr()
    check_classification_targets(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least 2 classes; "
            f"y has 1 class ({classes[:1].tolist()[0]!r})."
        )
    return X, classes, y_idx


def validate_sample_weight(sample_weight, X):
    """``sample_weight`` as a float64 array of one non-negative, finite weight per row of ``X``.

    ``None`` stays ``None`` (the unweighted code paths run unchanged). The weights must not
    all be 0.

    Raises
    ------
    ValueError
        Wrong length or shape, a negative or non-finite weight, or all weights 0.
    """
    if sample_weight is None:
        return None
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
    )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight must be finite")
    if not np.any(weights > 0):
        raise ValueError("sample_weight is 0 for every sample: nothing to fit")
    return weights


def effective_weights(estimator, class_weight, classes, y, sample_weight):
    """Per-row weights ``sample_weight * class_weight[y]``, as scikit-learn's linear models.

    ``class_weight`` is ``None``, ``"balanced"`` (``n_samples / (n_classes * counts)``, the
    counts weighted by ``sample_weight`` when given) or a mapping ``{label: weight}``
    (labels missing from it weigh 1); it goes through
    :func:`sklearn.utils.class_weight.compute_class_weight`. Returns ``sample_weight``
    unchanged (possibly ``None``) when ``class_weight`` is ``None``.

    Raises
    ------
    ValueError
        A ``class_weight`` that is neither ``None``, ``"balanced"`` nor a mapping, or that
        names labels not in ``y``.
    """
    if class_weight is None:
        return sample_weight
    name = type(estimator).__name__
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"{name}: class_weight must be None, 'balanced' or a dict {{label: weight}}, "
                f"got {class_weight!r}"
            )
    elif not isinstance(class_weight, dict):
        raise TypeError(
            f"{name}: class_weight must be None, 'balanced' or a dict {{label: weight}}, "
            f"got {type(class_weight).__name__}"
        )
    else:
        unknown = [k for k in class_weight if k not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"{name}: class_weight names label(s) {unknown} that are not in y "
                f"(classes {classes.tolist()})"
            )
        values = np.asarray(list(class_weight.values()), dtype=np.float64)
        if not (np.all(np.isfinite(values)) and np.all(values >= 0)):
            raise ValueError(f"{name}: class_weight values must be finite and >= 0")
    per_class = compute_class_weight(
        class_weight, classes=classes, y=y, sample_weight=sample_weight
    )
    per_row = per_class[np.searchsorted(classes, y)]
    weights = per_row if sample_weight is None else sample_weight * per_row
    if not np.any(weights > 0):
        raise ValueError(f"{name}: the class weights make every sample weigh 0")
    return weights


def validate_test_data(estimator, X, *, accept_sparse=False):
    """Check that ``estimator`` is fitted and ``X`` matches its training features."""
    check_is_fitted(estimator)
    sparse = ["csr", "csc", "coo"] if accept_sparse else False
    X = validate_data(estimator, X, reset=False, dtype=np.float64, accept_sparse=sparse)
    return X.tocsr() if accept_sparse and hasattr(X, "tocsr") else X


def check_scores(estimator, scores, X):
    """Return ``scores``, or raise if some row's posteriors cannot be computed from them.

    A row is undefined when a score is NaN, or (several classes) when a score is ``+inf``
    or all scores are ``-inf``: float64 overflowed because the sample is absurdly far
    from the training data. ``-inf`` for some classes only is fine (probability 0).

    Raises
    ------
    ValueError
        Naming the rows and their largest absolute feature value.
    """
    if scores.ndim == 1:
        bad = np.isnan(scores)
    else:
        bad = (
            np.isnan(scores).any(axis=1)
            | np.isposinf(scores).any(axis=1)
            | np.isneginf(scores).all(axis=1)
        )
    if np.any(bad):
        rows = np.flatnonzero(bad)
        X_bad = X[rows].toarray() if hasattr(X, "toarray") else X[rows]
        shown = rows[:5].tolist() + (["..."] if rows.size > 5 else [])
        raise ValueError(
            f"{type(estimator).__name__}: the decision scores of {rows.size} sample(s) "
            f"(rows {shown}) overflow float64, so their class probabilities cannot be "
            f"computed; these samples are too far from the training data (largest |x| among "
            f"them: {np.max(np.abs(X_bad)):.3g}). Rescale the features (e.g. StandardScaler "
            "before the classifier, fitted on the training data) or check these rows."
        )
    return scores


def log_proba_from_scores(scores):
    r"""Log posteriors from decision scores, without leaving log space.

    Two classes (``scores`` of shape (n_samples,), the log-odds :math:`s`):
    :math:`(\ln\sigma(-s), \ln\sigma(s))`. More classes: ``log_softmax`` over the columns.

    Returns
    -------
    log_proba : ndarray of shape (n_samples, n_classes)
    """
    if scores.ndim == 1:
        return np.column_stack([log_expit(-scores), log_expit(scores)])
    # s_k - max_j s_j may overflow to -inf, the correctly rounded log of a probability < 1e-308
    with np.errstate(over="ignore"):
        return log_softmax(scores, axis=1)


def labels_from_scores(classes, scores):
    """The label of largest posterior: ``classes[1]`` where the log-odds are positive (two
    classes), else the argmax of the scores."""
    if scores.ndim == 1:
        return classes[(scores > 0).astype(np.intp)]
    return classes[np.argmax(scores, axis=1)]


class ScoreClassifierMixin:
    """``predict``, ``predict_proba`` and ``predict_log_proba`` from ``decision_function``.

    For classifiers whose ``decision_function`` returns log-odds (two classes, shape
    ``(n_samples,)``) or per-class scores that are log posteriors up to a per-row constant
    (``(n_samples, n_classes)``): probabilities are the sigmoid / softmax of the scores, computed
    in log space, and the predicted class is the one of largest score.
    """

    def predict_log_proba(self, X):
        """Log class probabilities, computed without leaving log space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return log_proba_from_scores(self.decision_function(X))

    def predict_proba(self, X):
        """Class probabilities (posteriors).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self.decision_function(X)  # checks that the model is fitted
        return labels_from_scores(self.classes_, scores)


def check_train_indices(train_indices, n_samples):
    """``train_indices`` as a list of int64 arrays of valid row numbers (else raise)."""
    if isinstance(train_indices, np.ndarray) and train_indices.ndim == 1:
        raise TypeError("train_indices must be a list of 1-D integer arrays, got one 1-D array")
    try:
        splits = [np.asarray(idx) for idx in train_indices]
    except TypeError:
        raise TypeError(
            "train_indices must be a list of 1-D integer arrays, "
            f"got {type(train_indices).__name__}"
        ) from None
    if not splits:
        raise ValueError("train_indices is empty: give at least one split")
    for k, idx in enumerate(splits):
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(
                f"train_indices[{k}] must be a 1-D integer array of row numbers, got "
                f"dtype {idx.dtype} with shape {idx.shape}"
            )
        if idx.size == 0:
            raise ValueError(f"train_indices[{k}] is empty")
        if idx.min() < 0 or idx.max() >= n_samples:
            raise ValueError(
                f"train_indices[{k}] has row numbers outside [0, {n_samples - 1}]: "
                f"min {idx.min()}, max {idx.max()}"
            )
    return [idx.astype(np.int64) for idx in splits]


def check_random_states(random_states, n_splits):
    """``random_states`` as a list of ``n_splits`` valid ``random_state`` values."""
    if isinstance(random_states, (str, bytes, np.random.RandomState)) or not hasattr(
        random_states, "__len__"
    ):
        raise TypeError(
            "random_states must be a list with one random_state (None, an int or a "
            f"RandomState) per split, got {type(random_states).__name__}"
        )
    states = list(random_states)
    if len(states) != n_splits:
        raise ValueError(
            f"random_states has {len(states)} entries for {n_splits} splits; give one per split"
        )
    for k, state in enumerate(states):
        if isinstance(state, (bool, np.bool_)):
            raise TypeError(f"random_states[{k}] must be None, an int or a RandomState, got bool")
        try:
            check_random_state(state)
        except ValueError:
            raise ValueError(
                f"random_states[{k}] must be None, an int in [0, 2**32) or a RandomState, "
                f"got {state!r}"
            ) from None
    return states
