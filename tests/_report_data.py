"""Constructed trial results for the tests of clfcompare.analysis and clfcompare.report."""

import numpy as np
import pandas as pd

from clfcompare.trials import TrialResults


def make_results(offsets=None, n_splits=20, seed=0, with_curves=True):
    offsets = offsets or {"gauss": 0.0, "mlp_mse": 0.05, "mlp_ce": 0.1}
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.02, n_splits)  # split effect common to all models (paired design)
    rows = []
    for m, off in offsets.items():
        for s in range(n_splits):
            acc = 0.6 + off + shared[s] + rng.normal(0, 0.01)
            rows.append(
                {
                    "model": m,
                    "split": s,
                    "repeat": s // 5,
                    "fold": s % 5,
                    "n_train": 256,
                    "n_test": 64,
                    "fit_time": 0.5 + 0.01 * s,
                    "accuracy": acc,
                    "balanced_accuracy": acc - 0.01,
                }
            )
    curves = pd.DataFrame(
        [
            {"model": m, "split": s, "epoch": e, "loss": (0.25 if "mse" in m else 1.4) / e}
            for m in offsets
            if with_curves and m.startswith("mlp")
            for s in range(n_splits)
            for e in range(1, 5)
        ],
        columns=["model", "split", "epoch", "loss"],
    )
    preds = pd.DataFrame(columns=["model", "split", "sample", "y_true", "y_pred"])
    # the real TrialResults of clfcompare.trials (the contract of docs/interfaces.md)
    return TrialResults(
        pd.DataFrame(rows),
        preds,
        curves,
        models=offsets,
        scoring=("accuracy", "balanced_accuracy"),
        n_splits=n_splits,
    )


def _with_flat_curve(res, model="mlp_ce", split=3, level=1.386):
    lc = res.loss_curves.copy()
    sel = (lc.model == model) & (lc.split == split)
    lc.loc[sel, "loss"] = level * (1 + 0.001 * (lc.loc[sel, "epoch"] % 2))  # flat, jittery
    res.loss_curves = lc
    return res


def _with_score(res, name, values):
    """``res`` with one more score column ``name`` (a TrialResults of the real class)."""
    scores = res.scores.copy()
    scores[name] = values
    return TrialResults(
        scores,
        res.predictions,
        res.loss_curves,
        models=res.models,
        scoring=(*res.scoring, name),
        n_splits=res.n_splits,
    )


def run_small(*, halves=True, n_seeds=None, seed_design="crossed", n_partitions=4):
    """Real trials of three fast models (a stable Gaussian naive Bayes, two unstable trees) on
    a small synthetic data set: 3 x 4-fold repeated stratified CV, with ``n_partitions``
    half/half partitions beside it unless ``halves=False``."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    from clfcompare.trials import RepeatedKFoldWithHalves, run_trials

    X, y = make_classification(n_samples=160, n_informative=3, random_state=0)
    models = {
        "nb": GaussianNB(),
        "tree": DecisionTreeClassifier(max_features=1, random_state=0),
        "stump": DecisionTreeClassifier(max_depth=2, max_features=1, random_state=0),
    }
    if halves:
        cv = RepeatedKFoldWithHalves(
            n_splits=4, n_repeats=3, n_partitions=n_partitions, random_state=0
        )
    else:
        cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=3, random_state=0)
    kwargs = {} if n_seeds is None else {"n_seeds": n_seeds, "seed_design": seed_design}
    return run_trials(models, X, y, cv=cv, progress=False, **kwargs)
