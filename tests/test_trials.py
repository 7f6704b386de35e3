"""Tests of clfcompare.trials: run_trials, TrialResults, the SQLite store, resume, kill, parallel.

References: scores and predictions are checked against scikit-learn's own `cross_validate`
and against `clone(est).fit(X[train], y[train])` on the same splits; split indices against
scikit-learn's splitters; summaries against numpy.
"""

import contextlib
import json
import os
import pickle
import re
import signal
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import (
    GroupKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedKFold,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from clfcompare.datasets import make_curve
from clfcompare.trials import (
    SetupDifference,
    SetupMismatch,
    TrialResults,
    count_finished,
    load_results,
    run_trials,
)
from clfcompare.trials._fingerprint import model_fingerprint, render_param

HERE = Path(__file__).resolve().parent

FIT_SPLITS_CALLS = []  # lengths of train_indices passed to ManySplitTree.fit_splits


class ManySplitTree(DecisionTreeClassifier):
    """A decision tree that advertises the many-split hook of docs/interfaces.md."""

    def fit_splits(self, X, y, train_indices, random_states=None):
        FIT_SPLITS_CALLS.append(len(train_indices))
        if random_states is None:
            random_states = [self.random_state] * len(train_indices)
        return [
            DecisionTreeClassifier(**{**self.get_params(), "random_state": rs}).fit(X[i], y[i])
            for i, rs in zip(train_indices, random_states, strict=True)
        ]


def _seed(random_state, split, replica=0):
    """The seed run_trials gives a model with an int random_state on a split (its documented
    formula, computed here independently of clfcompare)."""
    seq = np.random.SeedSequence(random_state, spawn_key=(split, replica))
    return int(seq.generate_state(1, np.uint32)[0]) >> 1


class FailOnMarker(DecisionTreeClassifier):
    """Fails to fit whenever the training data holds the marker value 999 in column 0."""

    def fit(self, X, y):
        if np.any(np.asarray(X)[:, 0] == 999):
            raise RuntimeError("marker row in the training data")
        return super().fit(X, y)


class VaryingCurve(DecisionTreeClassifier):
    """A tree with a ``loss_curve_`` whose length depends on the training data, like an
    early-stopped learner's; a diverged epoch (NaN) ends every curve of odd length."""

    def fit(self, X, y):
        super().fit(X, y)
        n_epochs = 2 + len(y) % 4 + int(np.sum(y)) % 3
        curve = 1.0 / np.arange(1.0, n_epochs + 1)
        if n_epochs % 2:
            curve[-1] = np.nan
        self.loss_curve_ = curve
        return self


def _mlp():
    # tol far above any loss change: stops after n_iter_no_change + 1 epochs, converged,
    # so no ConvergenceWarning; still a real estimator with a loss_curve_
    return MLPClassifier(
        hidden_layer_sizes=(3,), tol=1e3, n_iter_no_change=2, max_iter=50, random_state=0
    )


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=60, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )


def _drop_time(frame):
    return frame.drop(columns="fit_time")


def _assert_same(a, b, *, fit_time=False):
    """Same tables; fit_time compared only when asked (it is a wall-clock measurement)."""
    assert a.models == b.models and a.scoring == b.scoring and a.n_splits == b.n_splits
    if fit_time:
        pd.testing.assert_frame_equal(a.scores, b.scores)
    else:
        pd.testing.assert_frame_equal(_drop_time(a.scores), _drop_time(b.scores))
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    pd.testing.assert_frame_equal(a.loss_curves, b.loss_curves)


# ------------------------------------------------------------------------- results
def test_scores_match_sklearn_cross_validate(data):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=1)
    models = {"logreg": LogisticRegression(), "tree": DecisionTreeClassifier(random_state=0)}
    scoring = ("accuracy", "f1_macro", "neg_log_loss")
    res = run_trials(models, X, y, cv=cv, scoring=scoring, progress=False)
    assert res.models == ("logreg", "tree")
    assert res.scoring == scoring
    assert list(res.scores.columns) == [
        "model", "split", "repeat", "fold", "n_train", "n_test", "fit_time", *scoring
    ]  # fmt: skip
    ref = cross_validate(models["logreg"], X, y, cv=cv, scoring=scoring)  # reference: sklearn
    for metric in scoring:
        assert_allclose(
            res.score_table(metric)["logreg"], ref[f"test_{metric}"], rtol=0, atol=1e-12
        )
    # the tree's int random_state: split s is fitted with the seed derived for s
    for s, (train, test) in enumerate(cv.split(X, y)):
        tree = clone(models["tree"]).set_params(random_state=_seed(0, s)).fit(X[train], y[train])
        for metric in scoring:
            want = get_scorer(metric)(tree, X[test], y[test])
            assert_allclose(res.score_table(metric)["tree"][s], want, rtol=0, atol=1e-12)
    # repeat/fold per docs/interfaces.md: s // 3, s % 3
    assert_array_equal(res.scores["repeat"], np.tile(np.arange(6) // 3, 2))
    assert_array_equal(res.scores["fold"], np.tile(np.arange(6) % 3, 2))
    assert (res.scores["fit_time"] > 0).all()


def test_predictions_match_manual_fits(data):
    X, y = data
    cv = StratifiedKFold(n_splits=3)
    est = LogisticRegression(C=0.3)
    res = run_trials({"lr": est}, X, y, cv=cv, progress=False)
    for s, (train, test) in enumerate(cv.split(X, y)):
        p = res.predictions[res.predictions["split"] == s]
        assert_array_equal(p["sample"], test)
        assert_array_equal(p["y_true"], y[test])
        assert_array_equal(p["y_pred"], clone(est).fit(X[train], y[train]).predict(X[test]))
        row = res.scores[res.scores["split"] == s].iloc[0]
        assert (row["n_train"], row["n_test"]) == (len(train), len(test))
        assert row["accuracy"] == np.mean(p["y_true"].to_numpy() == p["y_pred"].to_numpy())


def test_default_cv_is_repeated_stratified_5x10(data):
    X, y = data
    res = run_trials({"d": DummyClassifier()}, X, y, random_state=3, progress=False)
    assert res.n_splits == 50 and len(res.scores) == 50
    ref = RepeatedStratifiedKFold(n_splits=5, n_repeats=10, random_state=3).split(X, y)
    for s, (_, test) in enumerate(ref):
        assert_array_equal(res.predictions.loc[res.predictions["split"] == s, "sample"], test)
    assert_array_equal(res.scores["repeat"], np.arange(50) // 5)
    assert_array_equal(res.scores["fold"], np.arange(50) % 5)


@pytest.mark.parametrize(
    ("cv", "ref"),
    [
        (4, StratifiedKFold(n_splits=4)),
        (ShuffleSplit(n_splits=3, test_size=0.25, random_state=0), None),
        ("pairs", None),
    ],
)
def test_other_splitters(data, cv, ref):
    X, y = data
    if isinstance(cv, str):  # an iterable of (train, test) pairs
        cv = [(np.arange(20, 60), np.arange(20)), (np.arange(40), np.arange(40, 60))]
    pairs = list((ref or cv).split(X, y)) if ref is not None or hasattr(cv, "split") else cv
    res = run_trials({"d": DummyClassifier()}, X, y, cv=cv, progress=False)
    assert res.n_splits == len(pairs)
    assert_array_equal(res.scores["repeat"], 0)
    assert_array_equal(res.scores["fold"], np.arange(len(pairs)))
    for s, (train, test) in enumerate(pairs):
        assert_array_equal(res.predictions.loc[res.predictions["split"] == s, "sample"], test)
        assert res.scores.loc[s, "n_train"] == len(train)


def test_group_splitters_get_groups(data, tmp_path):
    X, y = data
    groups = np.arange(len(y)) % 7
    cv = GroupKFold(n_splits=3)
    models = {"lr": LogisticRegression(), "nb": GaussianNB()}
    scoring = ("accuracy", "neg_log_loss")
    res = run_trials(models, X, y, cv=cv, groups=groups, scoring=scoring, progress=False)
    for name, est in models.items():
        ref = cross_validate(est, X, y, cv=cv, groups=groups, scoring=scoring)  # sklearn
        for metric in scoring:
            assert_allclose(res.score_table(metric)[name], ref[f"test_{metric}"], atol=1e-12)
    pred = res.predictions[res.predictions["model"] == "nb"]
    for s, (_, test) in enumerate(cv.split(X, y, groups)):
        assert_array_equal(pred.loc[pred["split"] == s, "sample"], test)
    path = tmp_path / "g.sqlite"
    stored = run_trials(models, X, y, cv=cv, groups=list(groups), progress=False, store=path)
    again = run_trials(models, X, y, cv=cv, groups=groups, progress=False, store=path)
    _assert_same(stored, again, fit_time=True)  # resumed: nothing refitted
    with pytest.raises(ValueError, match="splits differ"):  # other groups, other splits
        run_trials(models, X, y, cv=cv, groups=groups % 4, progress=False, store=path)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        run_trials(models, X, y, cv=cv, groups=groups[:-1], progress=False)
    with pytest.raises(ValueError, match="groups are passed to cv.split"):
        run_trials(models, X, y, cv=list(cv.split(X, y, groups)), groups=groups, progress=False)


def test_paired_design_every_model_sees_the_same_splits(data):
    X, y = data
    models = {"b": DecisionTreeClassifier(random_state=0), "a": DummyClassifier()}
    res = run_trials(models, X, y, cv=3, random_state=0, progress=False)
    assert res.models == ("b", "a")  # dict order, not alphabetical
    assert list(res.scores["model"]) == ["b"] * 3 + ["a"] * 3
    pa = res.predictions[res.predictions["model"] == "a"][["split", "sample"]]
    pb = res.predictions[res.predictions["model"] == "b"][["split", "sample"]]
    assert_array_equal(pa.to_numpy(), pb.to_numpy())
    table = res.score_table()
    assert list(table.columns) == ["b", "a"] and list(table.index) == [0, 1, 2]


def test_loss_curves_from_estimator_and_pipeline_last_step(data):
    X, y = data
    cv = StratifiedKFold(n_splits=3)
    models = {
        "mlp": _mlp(),
        "pipe": make_pipeline(StandardScaler(), _mlp()),
        "tree": DecisionTreeClassifier(random_state=0),
    }
    res = run_trials(models, X, y, cv=cv, progress=False)
    lc = res.loss_curves
    assert set(lc["model"]) == {"mlp", "pipe"}  # the tree has no loss_curve_
    for name in ("mlp", "pipe"):
        key = "random_state" if name == "mlp" else "mlpclassifier__random_state"
        for s, (train, _) in enumerate(cv.split(X, y)):
            seeded = clone(models[name]).set_params(**{key: _seed(0, s)})
            fitted = seeded.fit(X[train], y[train])
            ref = fitted.loss_curve_ if name == "mlp" else fitted[-1].loss_curve_
            got = lc[(lc["model"] == name) & (lc["split"] == s)]
            assert_array_equal(got["epoch"], np.arange(1, len(ref) + 1))
            assert_allclose(got["loss"], ref, rtol=0, atol=0)


def test_summary_and_long_scores(data):
    X, y = data
    res = run_trials(
        {"lr": LogisticRegression(), "d": DummyClassifier()},
        X,
        y,
        cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0),
        scoring=("accuracy", "balanced_accuracy"),
        progress=False,
    )
    summary = res.summary()
    assert list(summary.columns) == ["model", "metric", "n", "mean", "std", "min", "max"]
    for model in res.models:
        for metric in ("accuracy", "balanced_accuracy", "fit_time"):
            v = res.scores.loc[res.scores["model"] == model, metric].to_numpy()
            row = summary[(summary["model"] == model) & (summary["metric"] == metric)].iloc[0]
            # reference: numpy (std with ddof=1)
            assert_allclose(
                row[["n", "mean", "std", "min", "max"]].to_numpy(dtype=float),
                [len(v), v.mean(), v.std(ddof=1), v.min(), v.max()],
                rtol=1e-12,
            )
    long = res.scores_long()
    assert len(long) == 2 * 6 * 2
    assert "TrialResults(models=('lr', 'd')" in repr(res) and "trials=12/12" in repr(res)


def test_string_labels_keep_their_dtype(data, tmp_path):
    X, y = data
    labels = np.array(["no", "yes"])[y]
    res = run_trials({"lr": LogisticRegression()}, X, labels, cv=3, progress=False)
    stored = run_trials(
        {"lr": LogisticRegression()}, X, labels, cv=3, progress=False, store=tmp_path / "s.db"
    )
    assert set(res.predictions["y_pred"]) <= {"no", "yes"}
    _assert_same(res, stored)
    _assert_same(stored, load_results(tmp_path / "s.db"), fit_time=True)


def test_dataframe_input_with_store(data, tmp_path):
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = pd.Series(np.array(["neg", "pos"])[y], name="label")
    path = tmp_path / "df.sqlite"
    models = {"lr": make_pipeline(StandardScaler(), LogisticRegression())}
    first = run_trials(models, frame, labels, cv=3, progress=False, store=path)
    ref = run_trials(models, X, np.asarray(labels), cv=3, progress=False)
    _assert_same(first, ref)
    again = run_trials(models, frame.copy(), labels.copy(), cv=3, progress=False, store=path)
    _assert_same(first, again, fit_time=True)  # resumed from the store, nothing refitted
    renamed = frame.rename(columns={"d": "e"})
    with pytest.raises(ValueError, match="X differs"):
        run_trials(models, renamed, labels, cv=3, progress=False, store=path)


# ------------------------------------------------------------------------- fast path
def test_fit_splits_fast_path_matches_split_by_split(data):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    FIT_SPLITS_CALLS.clear()
    res = run_trials(
        {
            "fast": ManySplitTree(max_depth=3, random_state=0),
            "plain": DecisionTreeClassifier(max_depth=3, random_state=0),
        },
        X,
        y,
        cv=cv,
        progress=False,
    )
    assert FIT_SPLITS_CALLS == [6]  # one call with all six splits
    fast = res.scores[res.scores["model"] == "fast"]
    plain = res.scores[res.scores["model"] == "plain"]
    assert_array_equal(fast["accuracy"], plain["accuracy"])
    # fit_time of the fast path is the total divided evenly among the splits
    assert fast["fit_time"].nunique() == 1
    pf = res.predictions[res.predictions["model"] == "fast"].drop(columns="model")
    pp = res.predictions[res.predictions["model"] == "plain"].drop(columns="model")
    pd.testing.assert_frame_equal(pf.reset_index(drop=True), pp.reset_index(drop=True))


def test_fit_splits_wrong_length_is_an_error(data):
    X, y = data

    class Broken(ManySplitTree):
        def fit_splits(self, X, y, train_indices):
            return super().fit_splits(X, y, train_indices)[:-1]

    with pytest.raises(ValueError, match="fit_splits returned 2 estimators for 3 splits"):
        run_trials({"b": Broken()}, X, y, cv=3, progress=False)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_torch_mlp_fast_path_matches_split_by_split(tmp_path, device):
    # imported here, not at the top: loky/dask workers import this module to unpickle its
    # toy estimators, and should not pay for importing torch
    from clfcompare.estimators.mlp import TorchMLPClassifier

    X, y = make_curve(4, random_state=0)
    est = TorchMLPClassifier(
        hidden_layer_sizes=(8,), max_epochs=5, batch_size=10, device=device, random_state=0
    )
    assert callable(getattr(est, "fit_splits", None))
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    scoring = ("accuracy", "neg_log_loss")
    path = tmp_path / "mlp.sqlite"

    class NoHook(TorchMLPClassifier):  # without the many-split hook: split by split
        fit_splits = None

    # a one-step Pipeline ending in the hook is batched too (tests/test_trials_batching.py)
    models = {"fast": est, "plain": NoHook(**est.get_params())}
    res = run_trials(models, X, y, cv=cv, scoring=scoring, progress=False, store=path)
    fast = res.scores[res.scores["model"] == "fast"].reset_index(drop=True)
    plain = res.scores[res.scores["model"] == "plain"].reset_index(drop=True)
    assert fast["fit_time"].nunique() == 1  # the one fit_splits call, divided evenly
    # float32 training, equivalent to docs/interfaces.md's rtol 1e-4; on the GPU a rounding
    # difference may flip the odd prediction, so accuracy may move by a test point or two
    assert_allclose(fast["neg_log_loss"], plain["neg_log_loss"], rtol=1e-4, atol=1e-6)
    assert_allclose(fast["accuracy"], plain["accuracy"], atol=1e-12 if device == "cpu" else 0.02)
    pf = res.predictions[res.predictions["model"] == "fast"]
    pp = res.predictions[res.predictions["model"] == "plain"]
    assert_array_equal(pf[["split", "sample"]], pp[["split", "sample"]])
    assert (pf["y_pred"].to_numpy() == pp["y_pred"].to_numpy()).mean() >= 0.98
    lf = res.loss_curves[res.loss_curves["model"] == "fast"]
    lp = res.loss_curves[res.loss_curves["model"] == "plain"]
    assert len(lf) == len(lp) == 6 * 5
    assert_allclose(lf["loss"], lp["loss"], rtol=1e-4)
    _assert_same(res, load_results(path), fit_time=True)


# ------------------------------------------------------------------------- store
def _sql(path, query, params=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def test_store_roundtrip_holds_only_data(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    models = {"mlp": _mlp(), "tree": DecisionTreeClassifier(random_state=0)}
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    plain = run_trials(models, X, y, cv=cv, progress=False)
    stored = run_trials(models, X, y, cv=cv, progress=False, store=path)
    _assert_same(plain, stored)
    loaded = load_results(path)
    _assert_same(stored, loaded, fit_time=True)
    _assert_same(loaded, TrialResults.from_store(str(path)), fit_time=True)
    assert _sql(path, "PRAGMA journal_mode") == [("wal",)]
    for table in ("meta", "models", "trials", "predictions", "loss_curves"):
        cols = [r[1] for r in _sql(path, f"PRAGMA table_info({table})")]
        for col in cols:
            types = {r[0] for r in _sql(path, f"SELECT DISTINCT typeof({col}) FROM {table}")}
            assert types <= {"integer", "real", "text"}, (table, col, types)


def test_loss_curves_of_varying_length_round_trip(data, tmp_path):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=3, random_state=0)
    models = {"vary": VaryingCurve(random_state=0), "tree": DecisionTreeClassifier(random_state=0)}
    plain = run_trials(models, X[:-5], y[:-5], cv=cv, progress=False)
    stored = run_trials(models, X[:-5], y[:-5], cv=cv, progress=False, store=tmp_path / "v.db")
    lc = plain.loss_curves
    lengths = lc.groupby("split").size()
    assert lengths.nunique() > 1 and lc["loss"].isna().any()  # the case is really exercised
    for s, (train, _) in enumerate(cv.split(X[:-5], y[:-5])):
        ref = clone(models["vary"]).fit(X[train], y[train]).loss_curve_  # reference: a plain fit
        assert_array_equal(lc.loc[lc["split"] == s, "loss"], ref)  # NaN == NaN here
        assert_array_equal(lc.loc[lc["split"] == s, "epoch"], np.arange(1, len(ref) + 1))
    _assert_same(plain, stored)
    _assert_same(stored, load_results(tmp_path / "v.db"), fit_time=True)


def test_resume_runs_only_missing_trials(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    models = {"fast": ManySplitTree(random_state=0), "lr": LogisticRegression()}
    first = run_trials(models, X, y, cv=cv, progress=False, store=path)
    # remove two trials of each model (with their predictions) as if never run
    con = sqlite3.connect(path)
    with con:
        for table in ("predictions", "loss_curves", "trials"):
            con.execute(f"DELETE FROM {table} WHERE split IN (1, 4)")
    con.close()
    partial = load_results(path)
    assert not partial.is_complete
    assert partial.missing_trials().to_numpy().tolist() == [
        ["fast", 1], ["fast", 4], ["lr", 1], ["lr", 4]
    ]  # fmt: skip
    with pytest.raises(ValueError, match="incomplete"):
        partial.score_table()
    FIT_SPLITS_CALLS.clear()
    resumed = run_trials(models, X, y, cv=cv, progress=False, store=path)
    assert FIT_SPLITS_CALLS == [2]  # the fast path got only the two missing splits
    _assert_same(first, resumed)
    # the kept trials were not refitted: their measured fit_time is the stored one
    kept = ~first.scores["split"].isin([1, 4])
    assert_array_equal(first.scores["fit_time"][kept], resumed.scores["fit_time"][kept])
    # a complete store: nothing to run
    FIT_SPLITS_CALLS.clear()
    again = run_trials(models, X, y, cv=cv, progress=False, store=path)
    assert FIT_SPLITS_CALLS == []
    _assert_same(resumed, again, fit_time=True)


def test_store_accepts_new_models_and_subsets(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    a = {"a": DecisionTreeClassifier(random_state=0)}
    b = {"b": LogisticRegression()}
    first = run_trials(a, X, y, cv=3, progress=False, store=path)
    both = run_trials({**b, **a}, X, y, cv=3, progress=False, store=path)
    assert both.models == ("b", "a")
    assert_array_equal(
        both.scores.loc[both.scores["model"] == "a", "fit_time"], first.scores["fit_time"]
    )
    assert load_results(path).models == ("a", "b")  # order of first storage
    only_b = run_trials(b, X, y, cv=3, progress=False, store=path)
    assert only_b.models == ("b",) and set(only_b.scores["model"]) == {"b"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("X", "X differs"),
        ("y", "y differs"),
        ("X float32", "X differs"),
        ("y int32", "y differs"),
        ("cv", "splits differ"),
        ("cv kind", r"numbered differently \(stored repeat/fold from a RepeatedStratifiedKFold"),
        ("params", r"model 'tree' parameters differ: max_depth \(stored None, now 2\)"),
        ("class", "model 'tree': class stored"),
        ("scoring", r"scoring: stored \('accuracy',\), now \('accuracy', 'f1_macro'\)"),
    ],
)
def test_store_refuses_a_different_setup(data, tmp_path, change, message):
    X, y = data
    path = tmp_path / "run.sqlite"
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    kwargs = dict(cv=cv, scoring=("accuracy",), progress=False, store=path)
    run_trials({"tree": DecisionTreeClassifier(random_state=0)}, X, y, **kwargs)
    models = {"tree": DecisionTreeClassifier(random_state=0)}
    X2, y2 = X.copy(), y.copy()
    if change == "X":
        X2[5, 1] += 1e-9
    elif change == "X float32":
        X2 = X.astype(np.float32)
    elif change == "y":
        y2[[0, 1]] = y2[[1, 0]] if y2[0] != y2[1] else (1 - y2[0], y2[1])
    elif change == "y int32":
        y2 = y.astype(np.int32)  # same labels, another dtype: predictions would change dtype
    elif change == "cv":
        kwargs["cv"] = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=1)
    elif change == "cv kind":
        # the very same split indices, but numbered as one repeat of six folds
        kwargs["cv"] = list(cv.split(X, y))
    elif change == "params":
        models = {"tree": DecisionTreeClassifier(random_state=0, max_depth=2)}
    elif change == "class":
        models = {"tree": ManySplitTree(random_state=0)}
    elif change == "scoring":
        kwargs["scoring"] = ("accuracy", "f1_macro")
    n_rows = _sql(path, "SELECT COUNT(*) FROM trials")
    with pytest.raises(ValueError, match=message):
        run_trials(models, X2, y2, **kwargs)
    assert _sql(path, "SELECT COUNT(*) FROM trials") == n_rows  # nothing mixed in


def test_a_store_without_finished_trials_says_so_when_the_setup_differs(data, tmp_path):
    # the first trial failed (SVC has no predict_proba for neg_log_loss), so the store holds
    # the set-up and no trial: a rerun with another scoring must say the file holds nothing
    X, y = data
    path = tmp_path / "run.sqlite"
    kwargs = dict(cv=3, progress=False, store=path)
    with pytest.raises(AttributeError, match="predict_proba"):
        run_trials({"svc": SVC()}, X, y, scoring="neg_log_loss", **kwargs)
    assert _sql(path, "SELECT COUNT(*) FROM trials") == [(0,)]
    with pytest.raises(ValueError, match="different set-up") as info:
        run_trials({"svc": SVC()}, X, y, scoring="accuracy", **kwargs)
    msg = str(info.value)
    assert f"the trial store {str(path)!r} holds no finished trial" in msg, msg
    assert "scoring: stored ('neg_log_loss',), now ('accuracy',)" in msg, msg
    assert "delete it or use another store path" in msg, msg
    assert isinstance(info.value, SetupMismatch) and info.value.empty
    assert info.value.path == str(path)
    assert info.value.differences == [
        SetupDifference("scoring", "scoring", ("neg_log_loss",), ("accuracy",))
    ]
    # a store holding trials keeps the old wording (nothing in it may be thrown away)
    run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, store=tmp_path / "b.db")
    with pytest.raises(ValueError, match="different set-up") as info:
        run_trials(
            {"d": DummyClassifier()},
            X,
            y,
            scoring="f1_macro",
            **{**kwargs, "store": tmp_path / "b.db"},
        )
    assert "holds no finished trial" not in str(info.value)
    assert not info.value.empty
    # the refusal survives pickling (a caller's worker process) with its fields
    back = pickle.loads(pickle.dumps(info.value))
    assert str(back) == str(info.value)
    assert (back.path, back.differences, back.empty) == (
        info.value.path,
        info.value.differences,
        False,
    )


def test_a_refusal_names_each_changed_parameter_as_a_field(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    tree = DecisionTreeClassifier(random_state=0, max_depth=2)
    run_trials({"t": tree, "d": DummyClassifier()}, X, y, cv=3, progress=False, store=path)
    changed = {"t": clone(tree).set_params(max_depth=3, random_state=1), "d": GaussianNB()}
    with pytest.raises(SetupMismatch) as info:
        run_trials(changed, X, y, cv=3, progress=False, store=path)
    assert info.value.differences == [
        SetupDifference("model-param", "max_depth", "2", "3", model="t"),
        SetupDifference("model-param", "random_state", "0", "1", model="t"),
        SetupDifference(
            "model-class",
            "class",
            "sklearn.dummy.DummyClassifier",
            "sklearn.naive_bayes.GaussianNB",
            model="d",
        ),
    ]
    assert "Differences: model 't' parameters differ: max_depth (stored 2, now 3); " in str(
        info.value
    )
    assert " | model 'd': class stored sklearn.dummy.DummyClassifier, now " in str(info.value)


class CountingTree(DecisionTreeClassifier):
    """A tree that records each fit, to show that a refusal came before any fit."""

    fits = []

    def fit(self, X, y):
        CountingTree.fits.append(len(y))
        return super().fit(X, y)


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        # sqlite INTEGER is 64-bit signed: binding 2**63 raises OverflowError
        (lambda y: y.astype(np.uint64) + np.uint64(2**63), "9223372036854775808"),
        # sqlite3 binds a numpy longdouble as its raw buffer (a BLOB, padding bytes and all)
        pytest.param(
            lambda y: y.astype(np.longdouble),
            str(np.dtype(np.longdouble)),
            marks=pytest.mark.skipif(
                np.dtype(np.longdouble).itemsize == 8, reason="longdouble is double here"
            ),
        ),
    ],
)
def test_labels_the_store_cannot_hold_are_refused_before_any_fit(data, tmp_path, labels, shown):
    X, y = data
    path = tmp_path / "run.sqlite"
    CountingTree.fits.clear()
    with pytest.raises(ValueError, match="y holds labels the trial store cannot hold") as info:
        run_trials({"t": CountingTree(random_state=0)}, X, labels(y), cv=3, store=path)
    assert shown in str(info.value), str(info.value)
    assert CountingTree.fits == []  # refused up front: no fitted work is lost
    # without a store the same labels run (nothing has to be written)
    res = run_trials({"t": CountingTree(random_state=0)}, X, labels(y), cv=3, progress=False)
    assert res.is_complete


def test_uint64_labels_below_two_to_the_63_round_trip(data, tmp_path):
    X, y = data
    y64 = y.astype(np.uint64) + np.uint64(2**63 - 2)  # the largest labels sqlite can hold
    path = tmp_path / "run.sqlite"
    stored = run_trials({"t": DecisionTreeClassifier(random_state=0)}, X, y64, cv=3, store=path)
    plain = run_trials({"t": DecisionTreeClassifier(random_state=0)}, X, y64, cv=3)
    assert stored.predictions["y_true"].dtype == np.uint64
    _assert_same(plain, stored)
    _assert_same(stored, load_results(path), fit_time=True)


def test_store_refuses_files_that_are_not_stores(data, tmp_path):
    X, y = data
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database, just text " * 100)
    with pytest.raises(ValueError, match="not a clfcompare trial store"):
        run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, store=text)
    other = tmp_path / "other.sqlite"
    _sql(other, "CREATE TABLE people (name TEXT)")
    with pytest.raises(ValueError, match="not a clfcompare trial store"):
        run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, store=other)
    with pytest.raises(ValueError, match="not a clfcompare trial store"):
        load_results(other)
    with pytest.raises(FileNotFoundError, match="no trial store"):
        load_results(tmp_path / "missing.sqlite")


def test_count_finished_reads_the_index_of_finished_trials(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    assert count_finished(path) == 0 and not path.exists()  # counting creates nothing
    models = {"a": DummyClassifier(), "b": DummyClassifier(strategy="uniform")}
    run_trials(models, X, y, cv=3, progress=False, store=path)
    # a trial lost (as if the run had been killed before it): counted from the rows
    with contextlib.closing(sqlite3.connect(path)) as con, con:  # commits
        con.execute("DELETE FROM trials WHERE model = 'a' AND split = 1")
    assert _sql(path, "SELECT COUNT(*) FROM trials") == [(5,)]
    assert count_finished(path) == 5
    assert count_finished(str(path), ["a"]) == 2
    assert count_finished(path, models) == 5  # a dict counts its keys
    assert count_finished(path, ["b", "c"]) == 3
    assert count_finished(path, n_splits=3) == 5
    assert count_finished(path, models, n_splits=4) == 0  # made for other splits
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database, just text " * 100)
    with pytest.raises(ValueError, match="not a clfcompare trial store"):
        count_finished(text)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, got int"):
        count_finished(3)
    with pytest.raises(ValueError, match="n_splits must be >= 1"):
        count_finished(path, n_splits=0)


def test_a_refusal_groups_a_models_parameters_as_its_message_does():
    diffs = [
        SetupDifference("scoring", "scoring", ("accuracy",), ("f1",)),
        SetupDifference("model-param", "C", "1.0", "2.0", model="svc"),
        SetupDifference("model-param", "gamma", "'scale'", "0.1", model="svc"),
        SetupDifference("model-param", "max_depth", "None", "3", model="tree"),
        SetupDifference("n_samples", "n_samples", 9, 8),
    ]
    err = SetupMismatch("run.sqlite", diffs)
    groups = err.grouped_differences()
    assert groups == [
        (None, diffs[:1]),
        ("svc", diffs[1:3]),
        ("tree", diffs[3:4]),
        (None, diffs[4:]),
    ]
    assert str(err).count("parameters differ") == 2
    assert "model 'svc' parameters differ: C (stored 1.0, now 2.0); gamma (stored" in str(err)


def test_model_names_are_sql_parameters(data, tmp_path):
    X, y = data
    path = tmp_path / "run.sqlite"
    evil = "x'); DROP TABLE trials; --"
    models = {evil: DummyClassifier(), 'quote"name': DecisionTreeClassifier(random_state=0)}
    res = run_trials(models, X, y, cv=3, progress=False, store=path)
    tables = {r[0] for r in _sql(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"trials", "predictions", "models", "meta", "loss_curves"} <= tables
    assert _sql(path, "SELECT COUNT(*) FROM trials WHERE model = ?", (evil,)) == [(3,)]
    loaded = load_results(path)
    assert loaded.models == (evil, 'quote"name')
    _assert_same(res, loaded, fit_time=True)


def test_failed_trial_keeps_the_finished_ones(data, tmp_path):
    X, y = data
    X = X.copy()
    X[0, 0] = 999  # sample 0 is in the test fold of split 0 and in the training set after
    path = tmp_path / "run.sqlite"
    with pytest.raises(RuntimeError, match="marker row") as info:
        run_trials({"f": FailOnMarker()}, X, y, cv=3, progress=False, store=path)
    assert any("model 'f'" in note for note in info.value.__notes__)
    # the same for code, and through pickling (a process worker's exception)
    for exc in (info.value, pickle.loads(pickle.dumps(info.value))):
        assert exc.clfcompare_model == "f"
        assert exc.clfcompare_context == "fitting/scoring split 1"  # the marker trains it
    partial = load_results(path)
    assert list(partial.scores["split"]) == [0]


class NoteRefusingError(RuntimeError):
    """An error whose ``add_note`` must not be called (as on Python 3.10, which has none)."""

    def add_note(self, note):
        raise AssertionError("add_note called although the fallback was asked for")


class FailWithNoteRefusingError(DecisionTreeClassifier):
    def fit(self, X, y):
        raise NoteRefusingError("fit failed")


def test_failure_note_without_add_note_names_model_and_split(data, monkeypatch):
    # Python 3.10 has no BaseException.add_note: the note goes into __notes__ directly (the
    # list 3.11+ prints under the traceback, and clfcompare.cli reads)
    import clfcompare.trials._runner as runner_module

    X, y = data
    monkeypatch.setattr(runner_module, "_HAS_ADD_NOTE", False)
    with pytest.raises(NoteRefusingError, match="fit failed") as info:
        run_trials({"m": FailWithNoteRefusingError()}, X, y, cv=3, progress=False)
    assert info.value.__notes__ == [
        "(clfcompare.run_trials: while fitting/scoring split 0 of model 'm')"
    ]
    assert info.value.clfcompare_model == "m"
    assert info.value.clfcompare_context == "fitting/scoring split 0"


class SleepThenFailOnMarker(FailOnMarker):
    """``FailOnMarker`` that sleeps first, so that other trials finish before it fails."""

    def fit(self, X, y):
        time.sleep(0.1)
        return super().fit(X, y)


class ManySplitFailOnMarker(DecisionTreeClassifier):
    """Many-split hook whose fitted trees fail to predict test data holding the marker."""

    def fit_splits(self, X, y, train_indices):
        return [FailPredictOnMarker(**self.get_params()).fit(X[i], y[i]) for i in train_indices]


class FailPredictOnMarker(DecisionTreeClassifier):
    def predict(self, X):
        if np.any(np.asarray(X)[:, 0] == 999):
            raise RuntimeError("marker row in the test data")
        return super().predict(X)


class ManySplitFailFit(DecisionTreeClassifier):
    def fit_splits(self, X, y, train_indices):
        raise RuntimeError("the many-split fit failed")


def test_parallel_failure_keeps_the_trials_finished_before_it(data, tmp_path, monkeypatch):
    # joblib aborts on a worker's exception and drops results that had finished but were not
    # yet handed to the caller; here the caller is slowed down (a slow first write) so that
    # the "ok" trials finish while it is busy, before the failing trial fails
    import clfcompare.trials._store as store_module

    X, y = data
    X = X.copy()
    X[0, 0] = 999  # in the test fold of split 0, in the training set of splits 1 and 2
    path = tmp_path / "run.sqlite"
    original = store_module.TrialStore.write
    writes = []

    def slow_first_write(self, trial, repeat, fold):
        writes.append(1)
        if len(writes) == 1:
            time.sleep(0.5)
        return original(self, trial, repeat, fold)

    monkeypatch.setattr(store_module.TrialStore, "write", slow_first_write)
    models = {"ok": DummyClassifier(), "f": SleepThenFailOnMarker()}
    with (
        joblib.parallel_backend("threading", n_jobs=2),
        pytest.raises(RuntimeError, match="marker row") as info,
    ):
        run_trials(models, X, y, cv=3, progress=False, store=path)
    assert any("model 'f'" in n for n in info.value.__notes__)
    stored = load_results(path).scores
    # all three "ok" trials finished (in microseconds) 0.1 s before any "f" trial failed
    assert sorted(stored.loc[stored["model"] == "ok", "split"]) == [0, 1, 2]


def test_fit_splits_failure_names_the_split_and_keeps_the_scored_ones(data, tmp_path):
    X, y = data
    X = X.copy()
    X[25, 0] = 999  # in the test fold of split 1 only
    path = tmp_path / "run.sqlite"
    cv = StratifiedKFold(n_splits=3)
    assert [25 in test for _, test in cv.split(X, y)] == [False, True, False]
    with pytest.raises(RuntimeError, match="marker row in the test data") as info:
        run_trials({"m": ManySplitFailOnMarker()}, X, y, cv=cv, progress=False, store=path)
    notes = info.value.__notes__
    assert any("split 1 of model 'm'" in n for n in notes), notes
    # split 0 was fitted and scored before split 1 failed: it is committed
    assert list(load_results(path).scores["split"]) == [0]
    with pytest.raises(RuntimeError, match="many-split fit failed") as info:
        run_trials({"x": ManySplitFailFit()}, X, y, cv=cv, progress=False)
    notes = info.value.__notes__
    assert any("splits [0, 1, 2] of model 'x'" in n for n in notes), notes
    assert info.value.clfcompare_context == "fitting (one fit_splits call) splits [0, 1, 2]"


def test_a_trial_interrupted_mid_write_leaves_nothing(data, tmp_path, monkeypatch):
    # fail after the score row of the second trial is inserted, before its predictions:
    # the transaction must roll the score row back (a half-written trial is never visible)
    import clfcompare.trials._store as store_module

    X, y = data
    path = tmp_path / "run.sqlite"
    original = store_module.to_sql_values
    calls = []

    def flaky(values):
        calls.append(1)
        if len(calls) == 3:  # 2 calls per trial (y_true, y_pred): the 2nd trial's y_true
            raise OSError("simulated crash in the middle of a write")
        return original(values)

    monkeypatch.setattr(store_module, "to_sql_values", flaky)
    with pytest.raises(OSError, match="simulated crash"):
        run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, store=path)
    assert _sql(path, "SELECT model, split FROM trials") == [("d", 0)]
    assert _sql(path, "SELECT COUNT(*) FROM predictions") == [(20,)]
    monkeypatch.setattr(store_module, "to_sql_values", original)
    res = run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, store=path)
    assert res.is_complete and len(res.predictions) == 60


def test_unopenable_store_path(data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="cannot open the trial store"):
        run_trials(
            {"d": DummyClassifier()}, X, y, cv=3, progress=False, store=tmp_path / "no" / "x.db"
        )


# ------------------------------------------------------------------------- SIGKILL
def _check_store_consistent(path):
    """Independent SQL checks: integrity, foreign keys, no partial or orphaned trial."""
    con = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        trials = con.execute("SELECT model, split, n_test, n_epochs FROM trials").fetchall()
        for model, split, n_test, n_epochs in trials:
            key = (model, split)
            q = "SELECT COUNT(*) FROM {} WHERE model = ? AND split = ?"
            assert con.execute(q.format("predictions"), key).fetchone()[0] == n_test
            assert con.execute(q.format("loss_curves"), key).fetchone()[0] == n_epochs == 5
        for table in ("predictions", "loss_curves"):
            orphans = con.execute(
                f"SELECT COUNT(*) FROM {table} p WHERE NOT EXISTS (SELECT 1 FROM trials t"
                " WHERE t.model = p.model AND t.split = p.split)"
            ).fetchone()[0]
            assert orphans == 0
        return len(trials)
    finally:
        con.close()


def _count_trials(path):
    if not path.exists():
        return 0
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # not created yet
        return 0


def _target_env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE)]))


def _start_and_kill(path, at_least):
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_kill_target.py"), str(path)],
        env=_target_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _count_trials(path) < at_least:
            if proc.poll() is not None:
                pytest.fail(f"target exited early: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no trial committed within 120 s")
            time.sleep(0.01)
        # read while the target is still committing trials: a consistent snapshot
        live = load_results(path)
        assert len(live.scores) >= at_least
        assert len(live.predictions) == live.scores["n_test"].sum()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_loses_no_finished_trial_and_leaves_none_half_written(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import _kill_target

    path = tmp_path / "killed.sqlite"
    _start_and_kill(path, at_least=1)
    n1 = _check_store_consistent(path)
    assert 1 <= n1 < _kill_target.N_TRIALS
    # a second run resumes and is killed again, later
    _start_and_kill(path, at_least=n1 + 2)
    n2 = _check_store_consistent(path)
    assert n1 + 2 <= n2 < _kill_target.N_TRIALS
    partial = load_results(path)
    assert len(partial.scores) == n2 and not partial.is_complete

    models, X, y, cv = _kill_target.build()  # same set-up: the store accepts it
    resumed = run_trials(models, X, y, cv=cv, store=path, progress=False)
    assert _check_store_consistent(path) == _kill_target.N_TRIALS
    models, X, y, cv = _kill_target.build(delay=0.0)  # reference: no store, no sleeping
    reference = run_trials(models, X, y, cv=cv, progress=False)
    _assert_same(resumed, reference)
    _assert_same(resumed, load_results(path), fit_time=True)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_inside_a_write_transaction_leaves_no_trace(tmp_path, monkeypatch):
    # the target kills itself after inserting the trials row of trial 4, before its predictions
    monkeypatch.syspath_prepend(str(HERE))
    import _kill_target

    path = tmp_path / "midwrite.sqlite"
    proc = subprocess.run(
        [sys.executable, str(HERE / "_kill_target.py"), str(path), "3"],
        env=_target_env(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert _check_store_consistent(path) == 3  # the three committed trials, nothing of the 4th
    assert load_results(path).scores["split"].tolist() == [0, 1, 2]
    models, X, y, cv = _kill_target.build(delay=0.0)  # the target's set-up
    resumed = run_trials(models, X, y, cv=cv, store=path, progress=False)
    assert _check_store_consistent(path) == _kill_target.N_TRIALS
    _assert_same(resumed, run_trials(models, X, y, cv=cv, progress=False))


# ------------------------------------------------------------------------- parallel
def _parallel_models():
    return {
        "fast": ManySplitTree(max_depth=3, random_state=0),
        "mlp": _mlp(),
        "lr": LogisticRegression(C=0.5),
    }


@pytest.mark.slow
def test_n_jobs_gives_identical_results(data, tmp_path):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    serial = run_trials(_parallel_models(), X, y, cv=cv, n_jobs=1, progress=False)
    parallel = run_trials(
        _parallel_models(), X, y, cv=cv, n_jobs=2, progress=False, store=tmp_path / "p.db"
    )
    _assert_same(serial, parallel)
    _assert_same(parallel, load_results(tmp_path / "p.db"), fit_time=True)


@pytest.mark.slow
def test_dask_backend_gives_identical_results(data):
    distributed = pytest.importorskip("distributed")
    X, y = data
    cv = StratifiedKFold(n_splits=3)
    models = {"fast": ManySplitTree(max_depth=3, random_state=0), "lr": LogisticRegression()}
    serial = run_trials(models, X, y, cv=cv, n_jobs=1, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        joblib.parallel_backend("dask"),
    ):
        FIT_SPLITS_CALLS.clear()
        on_dask = run_trials(models, X, y, cv=cv, progress=False)
        # the work ran on the cluster's worker processes: fit_splits was not called here
        assert FIT_SPLITS_CALLS == []
        assert len(client.scheduler_info()["workers"]) == 2
    _assert_same(serial, on_dask)


# ------------------------------------------------------------------------- progress
class _TTY(StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("stream", "progress", "shown"),
    [(_TTY, True, True), (_TTY, False, False), (StringIO, True, True), (StringIO, False, False)],
)
def test_progress_shows_only_when_asked_a_bar_on_a_terminal_lines_in_a_log(
    data, monkeypatch, stream, progress, shown
):
    monkeypatch.syspath_prepend(str(HERE))
    import _kill_target

    X, y = data
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    # 3 trials of 0.25 s: longer than the bar's 0.5 s delay
    run_trials({"d": _kill_target.SlowCentroid(delay=0.25)}, X, y, cv=3, progress=progress)
    out = err.getvalue()
    assert ("run_trials" in out and "3/3" in out) if shown else out == ""
    if shown and stream is StringIO:  # a log file: plain lines, no bar
        lines = out.splitlines()
        assert lines[-1].startswith("run_trials: 3/3 trials (100%), ") and "\r" not in out
        assert 1 <= len(lines) <= 3


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("models", "kwargs", "error", "message"),
    [
        ([DummyClassifier()], {}, TypeError, "models must be a dict"),
        ({}, {}, ValueError, "at least one estimator"),
        ({1: DummyClassifier()}, {}, TypeError, "model names must be non-empty str"),
        ({"d": DummyClassifier}, {}, TypeError, "is the class DummyClassifier"),
        ({"d": StandardScaler()}, {}, TypeError, "with fit and predict"),
        ({"d": DummyClassifier()}, {"scoring": "acc"}, ValueError, "unknown scoring 'acc'"),
        ({"d": DummyClassifier()}, {"scoring": ("accuracy",) * 2}, ValueError, "unique"),
        ({"d": DummyClassifier()}, {"scoring": (len,)}, TypeError, "scoring names must be str"),
        ({"d": DummyClassifier()}, {"scoring": ()}, TypeError, "non-empty tuple"),
        ({"d": DummyClassifier()}, {"cv": 1}, ValueError, "integer cv must be >= 2"),
        ({"d": DummyClassifier()}, {"cv": "kfold"}, TypeError, "cv must be None, an int"),
        ({"d": DummyClassifier()}, {"cv": [(np.arange(5), [])]}, ValueError, "non-empty 1-D"),
        ({"d": DummyClassifier()}, {"cv": [([0, 1], [60])]}, ValueError, r"lie in \[0, 60\)"),
        ({"d": DummyClassifier()}, {"store": 3}, TypeError, "store must be a path"),
        ({"d": DummyClassifier()}, {"cv": StratifiedKFold}, TypeError, "cv is the class"),
        ({"d": DummyClassifier()}, {"n_jobs": "2"}, TypeError, "n_jobs must be an int or None"),
        ({"d": DummyClassifier()}, {"n_jobs": 1.5}, TypeError, "n_jobs must be an int or None"),
        ({"d": DummyClassifier()}, {"n_jobs": True}, TypeError, "n_jobs must be an int or None"),
        ({"d": DummyClassifier()}, {"n_jobs": 0}, ValueError, "n_jobs must be non-zero"),
        ({"d": DummyClassifier()}, {"random_state": "a"}, ValueError, "random_state must be"),
        ({"d": DummyClassifier()}, {"random_state": 1.5}, ValueError, "random_state must be"),
    ],
)
def test_bad_input(data, models, kwargs, error, message):
    X, y = data
    with pytest.raises(error, match=message):
        run_trials(models, X, y, progress=False, **kwargs)


def test_bad_data_and_metric(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        run_trials({"d": DummyClassifier()}, X[:-1], y, cv=3, progress=False)
    with pytest.raises(ValueError, match="y must be 1-D"):
        run_trials({"d": DummyClassifier()}, X, np.c_[y, y], cv=3, progress=False)
    res = run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False)
    with pytest.raises(ValueError, match="metric must be one of"):
        res.score_table("roc_auc")


def test_fingerprint_is_deterministic_and_address_free():
    a = LogisticRegression(random_state=np.random.RandomState(0))
    b = LogisticRegression(random_state=np.random.RandomState(0))
    c = LogisticRegression(random_state=np.random.RandomState(1))
    assert model_fingerprint(a) == model_fingerprint(b) != model_fingerprint(c)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=2.0))
    cls, params = model_fingerprint(pipe)
    assert cls == "sklearn.pipeline.Pipeline"
    assert params["logisticregression__C"] == "2.0"
    assert " at 0x" not in render_param(np.sum) and " at 0x" not in render_param(object())
    assert render_param(np.arange(3)) != render_param(np.arange(1, 4))


def _scale_by(k):
    def scale(X):  # a local function: its qualified name does not identify it
        return X * k

    return scale


def _lambda_pipe(func):
    return make_pipeline(FunctionTransformer(func), DecisionTreeClassifier(random_state=0))


def test_store_tells_lambdas_and_local_functions_apart(data, tmp_path):
    # both lambdas are "<lambda>" by name: compared by name only, the second run would have
    # resumed the first one's trials under another function and mixed the results
    X, y = data
    path = tmp_path / "run.sqlite"
    kwargs = dict(cv=3, progress=False, store=path)
    first = run_trials({"p": _lambda_pipe(lambda X: X[:, :2])}, X, y, **kwargs)
    with pytest.raises(
        ValueError, match=r"; functiontransformer__func \(stored .*<lambda>\[code "
    ):
        run_trials({"p": _lambda_pipe(lambda X: X[:, 2:])}, X, y, **kwargs)
    # the same code again (a new function object, as in a rerun of the script) resumes
    again = run_trials({"p": _lambda_pipe(lambda X: X[:, :2])}, X, y, **kwargs)
    _assert_same(first, again, fit_time=True)
    # local functions of the same name and code differ by the values they close over
    other = tmp_path / "local.sqlite"
    run_trials({"p": _lambda_pipe(_scale_by(2.0))}, X, y, cv=3, progress=False, store=other)
    with pytest.raises(ValueError, match=r"functiontransformer__func \(stored .*scale\["):
        run_trials({"p": _lambda_pipe(_scale_by(3.0))}, X, y, cv=3, progress=False, store=other)
    assert render_param(_scale_by(2.0)) == render_param(_scale_by(2.0))
    # a function of an importable module keeps its name (its module identifies it)
    assert render_param(clone) == "sklearn.base.clone"


def test_recursive_local_function_renders():
    def countdown(n):  # closes over itself
        return n if n <= 0 else countdown(n - 1)

    text = render_param(countdown)
    assert "countdown[code " in text and text == render_param(countdown)


def test_store_written_before_function_digests_is_refused_with_the_reason(data, tmp_path):
    # a store of the earlier format holds a lambda parameter by its name alone
    X, y = data
    path = tmp_path / "run.sqlite"
    kwargs = dict(cv=3, progress=False, store=path)
    run_trials({"p": _lambda_pipe(lambda X: X[:, :2])}, X, y, **kwargs)
    (params,) = _sql(path, "SELECT params FROM models")[0]
    old = {k: re.sub(r"\[code \w+, Python [\d.]+\]", "", v) for k, v in json.loads(params).items()}
    assert old["functiontransformer__func"].endswith(".<lambda>")
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE models SET params = ?", (json.dumps(old, sort_keys=True),))
    con.close()
    with pytest.raises(ValueError, match="cannot tell whether this function changed"):
        run_trials({"p": _lambda_pipe(lambda X: X[:, :2])}, X, y, **kwargs)
    assert load_results(path).is_complete  # still readable


def test_int_and_float_parameters_are_different_settings(data, tmp_path):
    # max_features=1 is one feature per split, 1.0 all of them: equal as numbers (1 == 1.0),
    # not as settings, so a store made with one refuses the other, and says why
    X, y = data
    path = tmp_path / "run.sqlite"
    kwargs = dict(cv=3, progress=False, store=path)
    one = run_trials({"t": DecisionTreeClassifier(max_features=1, random_state=0)}, X, y, **kwargs)
    everything = run_trials(
        {"t": DecisionTreeClassifier(max_features=1.0, random_state=0)}, X, y, cv=3, progress=False
    )
    assert not one.scores["accuracy"].equals(everything.scores["accuracy"])
    with pytest.raises(ValueError, match=r"max_features \(stored 1, now 1.0: an int and a float"):
        run_trials({"t": DecisionTreeClassifier(max_features=1.0, random_state=0)}, X, y, **kwargs)


def test_set_parameters_render_the_same_in_every_process():
    # a set's repr follows str hashing, which PYTHONHASHSEED randomises per process: the
    # fingerprint of e.g. CountVectorizer(stop_words={...}) must not, or a resume is refused
    code = (  # the module alone (importing the package would take seconds per process)
        "import importlib.util as u, sys; "
        "spec = u.spec_from_file_location('store', sys.argv[1]); "
        "m = u.module_from_spec(spec); spec.loader.exec_module(m); render_param = m.render_param; "
        "print(render_param({'alpha', 'beta', 'gamma', 'delta'}), "
        "render_param(frozenset({'x', 'y', 'z'})), render_param({'a': {'p', 'q', 'r'}}), "
        # a lambda's digest covers its constants: here a frozenset of str
        "render_param(lambda v: v in {'p', 'q', 'r', 's'}))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, str(HERE.parent / "clfcompare/trials/_fingerprint.py")],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outs) == 1, outs
    assert render_param({1, 2}) != render_param(frozenset({1, 2})) != render_param((1, 2))


def test_serial_run_stores_the_per_split_trials_before_a_many_split_job(data, tmp_path):
    # one task at a time: the short per-split trials run before the long many-split job, so
    # when that job fails (or the user interrupts it) they are already in the store
    X, y = data
    path = tmp_path / "run.sqlite"
    models = {"batched": ManySplitFailFit(), "tree": DecisionTreeClassifier(random_state=0)}
    with pytest.raises(RuntimeError, match="the many-split fit failed"):
        run_trials(models, X, y, cv=3, progress=False, store=path)
    stored = load_results(path).scores
    assert list(stored["model"]) == ["tree"] * 3
    assert list(stored["split"]) == [0, 1, 2]
