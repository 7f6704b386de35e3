"""Subprocess target of the SIGKILL tests in tests/test_trials.py.

``python tests/_kill_target.py STORE`` runs :func:`clfcompare.trials.run_trials` with a trial
store on a deliberately slow toy estimator, so that the test can kill it with SIGKILL while
trials are being committed. ``python tests/_kill_target.py STORE N`` runs without the delay
and kills itself with SIGKILL inside the write transaction of trial ``N + 1``. The tests
import :func:`build` from this module to resume and to compute the uninterrupted reference,
so both sides see the same class (``_kill_target.SlowCentroid``) and the same set-up
fingerprint. :class:`KillWorkerOnValue` is the estimator of the killed-worker test in
tests/test_store.py.
"""

import os
import signal
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.model_selection import RepeatedStratifiedKFold

N_TRIALS = 24  # 2 models x 4 folds x 3 repeats


class SlowCentroid(ClassifierMixin, BaseEstimator):
    """Nearest class mean, shrunk towards the grand mean, with a sleep in ``fit``.

    ``loss_curve_`` holds the mean squared distance of training points to their class mean
    after ``k`` shrinkage steps, ``k = 1..5`` (deterministic numbers to store).
    """

    def __init__(self, *, delay=0.05, shrink=0.0):
        self.delay = delay
        self.shrink = shrink

    def fit(self, X, y):
        time.sleep(self.delay)
        X = np.asarray(X, dtype=float)
        self.classes_, yi = np.unique(y, return_inverse=True)
        grand = X.mean(axis=0)
        means = np.stack([X[yi == k].mean(axis=0) for k in range(len(self.classes_))])
        curve = []
        for _ in range(5):
            means = (1 - self.shrink) * means + self.shrink * grand
            curve.append(float(((X - means[yi]) ** 2).sum(axis=1).mean()))
        self.centroids_ = means
        self.loss_curve_ = np.array(curve)
        return self

    def predict(self, X):
        d = ((np.asarray(X, dtype=float)[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        return self.classes_[d.argmin(axis=1)]


#: The feature value (column 0) at which :class:`KillWorkerOnValue` kills its process.
KILL_VALUE = 999.0


class KillWorkerOnValue(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; SIGKILLs its own process in ``fit`` when the training
    data holds :data:`KILL_VALUE` in column 0, the file ``marker`` exists and the process is
    not the one whose pid ``marker`` holds (a worker, not the parent). Deleting ``marker``
    stops the killing without changing the set-up's fingerprint."""

    def __init__(self, *, marker=""):
        self.marker = marker

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        if self.marker and os.path.exists(self.marker) and np.any(X[:, 0] == KILL_VALUE):
            with open(self.marker) as fh:
                parent = int(fh.read())
            if os.getpid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def build(delay=0.05):
    """Models, data and splitter of the kill test."""
    X, y = make_classification(
        n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    models = {
        "centroid": SlowCentroid(delay=delay),
        "shrunk": SlowCentroid(delay=delay, shrink=0.5),
    }
    cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=3, random_state=0)
    return models, X, y, cv


def die_inside_write(n_committed):
    """SIGKILL this process inside the store's write transaction of trial ``n_committed + 1``,
    after its ``trials`` row is inserted and before its predictions are (the worst moment)."""
    import clfcompare.trials._store as store_module

    original = store_module.to_sql_values
    calls = []

    def to_sql_values(values):
        calls.append(1)
        if len(calls) == 2 * n_committed + 1:  # y_true of the next trial (y_true, y_pred each)
            os.kill(os.getpid(), signal.SIGKILL)
        return original(values)

    store_module.to_sql_values = to_sql_values


def main(store, die_after=None):
    from clfcompare.trials import run_trials

    if die_after is None:
        models, X, y, cv = build()
    else:
        die_inside_write(die_after)
        models, X, y, cv = build(delay=0.0)
    run_trials(models, X, y, cv=cv, store=store, progress=False)


if __name__ == "__main__":
    # import ourselves by name so the class is _kill_target.SlowCentroid, not __main__'s
    from _kill_target import main as _main

    _main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
