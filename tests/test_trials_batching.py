"""run_trials: Pipelines keep the many-split path, probabilities and fit batches in the
results and the store, progress that shows everywhere, kept estimators, pinned workers.

References: every batched result is checked against ``clone(model).set_params(<derived
seeds>).fit(X[train], y[train])`` fitted here one split at a time (sklearn's own Pipeline);
stored probabilities against :func:`sklearn.metrics.log_loss` and
:func:`sklearn.metrics.brier_score_loss` of such refits.
"""

import contextlib
import shutil
import sqlite3
import sys
import warnings
from io import StringIO
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from clfcompare.datasets import make_curve
from clfcompare.trials import _runner, derive_seed, load_results, run_trials

DATA = Path(__file__).resolve().parent / "data"


# torch and the estimators are imported inside the tests: loky workers import this module
# to unpickle its toy estimators, and should not pay for torch unless a test needs it
def _mlp(**kw):
    from clfcompare.estimators.mlp import TorchMLPClassifier

    return TorchMLPClassifier(
        hidden_layer_sizes=(8,), max_epochs=5, batch_size=16, device="cpu", random_state=3,
        **kw,
    )  # fmt: skip


def _splits(X, y, n_splits=3, n_repeats=2):
    cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=0)
    return cv, list(cv.split(X, y))


def _one_at_a_time(model, X, y, splits, seed_key, seed):
    """The reference: sklearn's own fit, one split at a time, with the derived seeds."""
    out = []
    for s, (train, test) in enumerate(splits):
        est = clone(model)
        if seed_key is not None:
            est.set_params(**{seed_key: derive_seed(seed, s, 0)})
        est.fit(X[train], y[train])
        out.append((est, test))
    return out


# ------------------------------------------------------------------- Pipeline batching
def test_a_pipeline_ending_in_the_mlp_is_batched_and_equals_one_at_a_time():
    X, y = make_curve(2, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", _mlp())])
    cv, splits = _splits(X, y)
    res = run_trials({"p": pipe}, X, y, cv=cv, progress=False, keep_estimators=range(6))
    # one fit_splits call for the six splits
    assert (res.fit_batches["fit_batch_size"] == 6).all()
    assert res.fit_batches["fit_batch_time"].nunique() == 1
    assert_allclose(res.scores["fit_time"], res.fit_batches["fit_batch_time"] / 6, rtol=1e-12)
    ref = _one_at_a_time(pipe, X, y, splits, "mlp__random_state", 3)
    proba = res.probabilities
    for s, (est, test) in enumerate(ref):
        kept = res.estimators[("p", s)]
        # the same derived seed as the one-at-a-time path
        assert kept.named_steps["mlp"].random_state == derive_seed(3, s, 0)
        assert isinstance(kept, Pipeline) and kept.named_steps["scale"].n_samples_seen_ == len(
            splits[s][0]
        )
        got = proba[proba["split"] == s]
        assert_array_equal(got["sample"], test)
        # CPU, one thread (tests/conftest.py): bitwise
        assert_array_equal(got[["proba_0", "proba_1"]].to_numpy(), est.predict_proba(X[test]))
        pred = res.predictions[res.predictions["split"] == s]["y_pred"].to_numpy()
        assert_array_equal(pred, est.predict(X[test]))
        assert res.scores.loc[res.scores["split"] == s, "accuracy"].item() == est.score(
            X[test], y[test]
        )
        assert_array_equal(kept.named_steps["mlp"].coefs_[0], est.named_steps["mlp"].coefs_[0])


def test_a_pipeline_ending_in_the_logistic_regression_is_batched():
    from clfcompare.estimators.logistic import GDLogisticRegression

    X, y = make_classification(n_samples=90, n_features=5, n_informative=3, n_classes=3,
                               random_state=1)  # fmt: skip
    X[:, 0] *= 50.0  # scaling matters
    pipe = Pipeline([("scale", StandardScaler()), ("lr", GDLogisticRegression())])
    cv, splits = _splits(X, y, 3, 1)
    res = run_trials({"p": pipe}, X, y, cv=cv, progress=False)
    assert (res.fit_batches["fit_batch_size"] == 3).all()
    for s, (est, test) in enumerate(_one_at_a_time(pipe, X, y, splits, None, None)):
        got = res.probabilities[res.probabilities["split"] == s]
        # the batched descents sum in another order: to rounding
        assert_allclose(
            got[["proba_0", "proba_1", "proba_2"]].to_numpy(), est.predict_proba(X[test]),
            rtol=1e-6, atol=1e-12,
        )  # fmt: skip
        pred = res.predictions[res.predictions["split"] == s]["y_pred"].to_numpy()
        assert_array_equal(pred, est.predict(X[test]))


def test_a_pipeline_without_a_hook_and_a_hook_that_cannot_take_seeds_go_split_by_split():
    from clfcompare.estimators.mlp import TorchMLPClassifier

    class NoHookMLP(TorchMLPClassifier):  # without the many-split hook: split by split
        fit_splits = None

    X, y = make_curve(2, random_state=0)
    models = {
        "sk": Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]),
        "nohook": Pipeline([("scale", StandardScaler()), ("mlp", NoHookMLP(
            hidden_layer_sizes=(8,), max_epochs=5, batch_size=16, device="cpu",
            random_state=3))]),
        "batched": Pipeline([("scale", StandardScaler()), ("mlp", _mlp())]),
    }  # fmt: skip
    cv, splits = _splits(X, y, 3, 1)
    res = run_trials(models, X, y, cv=cv, progress=False)
    sizes = res.fit_batches.groupby("model")["fit_batch_size"].unique()
    assert sizes["sk"].tolist() == [1] and sizes["nohook"].tolist() == [1]
    assert sizes["batched"].tolist() == [3]
    single = res.fit_batches[res.fit_batches["model"] == "sk"]
    fit = res.scores[res.scores["model"] == "sk"]
    assert_array_equal(single["fit_batch_time"], fit["fit_time"])  # alone: its own time
    # the batched pipeline and the split-by-split one fit the same networks
    pb = res.probabilities
    assert_array_equal(
        pb[pb["model"] == "nohook"][["proba_0", "proba_1"]].to_numpy(),
        pb[pb["model"] == "batched"][["proba_0", "proba_1"]].to_numpy(),
    )
    # a seed nested below the hook's own random_state cannot be passed to it
    assert _runner._batch_plan(models["batched"], {"mlp__random_state": 3}) is not None
    assert _runner._batch_plan(models["batched"], {"mlp__inner__random_state": 3}) is None
    assert _runner._batch_plan(models["sk"], {}) is None


# ---------------------------------------------------------------------- probabilities
def test_probabilities_give_sklearns_log_loss_and_brier_of_the_refitted_model(tmp_path):
    X, y = make_classification(n_samples=80, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=2)  # fmt: skip
    labels = np.array(["emu", "cat", "dog"])[y]
    cv = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    splits = list(cv.split(X, labels))
    models = {"lr": LogisticRegression(C=0.5), "svm": LinearSVC()}
    path = tmp_path / "p.sqlite"
    res = run_trials(models, X, labels, cv=cv, progress=False, store=path)
    assert_array_equal(res.classes, ["cat", "dog", "emu"])
    assert list(res.probabilities.columns) == [
        "model", "split", "sample", "y_true", "proba_0", "proba_1", "proba_2"
    ]  # fmt: skip
    assert set(res.probabilities["model"]) == {"lr"}  # LinearSVC has no predict_proba
    for s, (train, test) in enumerate(splits):
        est = LogisticRegression(C=0.5).fit(X[train], labels[train])
        rows = res.probabilities[res.probabilities["split"] == s]
        assert_array_equal(rows["y_true"], labels[test])
        p = rows[["proba_0", "proba_1", "proba_2"]].to_numpy()
        ref = est.predict_proba(X[test])
        assert_allclose(
            log_loss(rows["y_true"], p, labels=res.classes),
            log_loss(labels[test], ref, labels=est.classes_),
            rtol=1e-9,
        )
        for j, c in enumerate(res.classes):
            assert_allclose(
                brier_score_loss(rows["y_true"] == c, p[:, j]),
                brier_score_loss(labels[test] == c, ref[:, j]),
                rtol=1e-9,
            )
    # the store round trip is exact
    loaded = load_results(path)
    pd.testing.assert_frame_equal(loaded.probabilities, res.probabilities, check_exact=True)
    pd.testing.assert_frame_equal(loaded.fit_batches, res.fit_batches, check_exact=True)
    assert_array_equal(loaded.classes, res.classes)
    assert loaded.classes.dtype == labels.dtype


def test_a_class_missing_from_a_training_split_has_probability_zero():
    X = np.arange(12, dtype=float)[:, None]
    y = np.array([0] * 5 + [1] * 5 + [2] * 2)
    cv = [(np.arange(10), np.arange(10, 12)), (np.arange(2, 12), np.arange(2))]
    res = run_trials({"lr": LogisticRegression()}, X, y, cv=cv, progress=False)
    rows = res.probabilities[res.probabilities["split"] == 0]
    assert (rows["proba_2"] == 0).all()  # class 2 was not among split 0's training labels
    ref = LogisticRegression().fit(X[:10], y[:10]).predict_proba(X[10:])
    assert_array_equal(rows[["proba_0", "proba_1"]].to_numpy(), ref)


def _as_old_store(path):
    """Drop what stores written before issue 13 lack: the store the old code wrote."""
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute("DROP TABLE trial_extras")
        con.execute("DROP TABLE classes")


def test_an_old_store_opens_resumes_and_reads_without_probabilities(tmp_path):
    X, y = make_classification(n_samples=40, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)  # fmt: skip
    path = tmp_path / "old.sqlite"
    fresh = run_trials({"lr": LogisticRegression()}, X, y, cv=3, progress=False, store=path)
    _as_old_store(path)
    old = load_results(path)
    assert len(old.probabilities) == 0 and list(old.probabilities.columns)[-1] == "proba_1"
    assert old.fit_batches["fit_batch_time"].isna().all()
    assert (old.fit_batches["fit_batch_size"] == 1).all()
    assert_array_equal(old.classes, [0, 1])  # from the stored labels
    pd.testing.assert_frame_equal(old.scores, fresh.scores)
    # complete: read, never opened for writing, so still the old layout
    run_trials({"lr": LogisticRegression()}, X, y, cv=3, progress=False, store=path)
    with contextlib.closing(sqlite3.connect(path)) as con:
        tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
    assert "trial_extras" not in tables and "classes" not in tables
    # resumed with another model: opened for writing, the store gets the new tables, and the
    # new model's trials keep their probabilities and fit batches (the old ones stay without)
    both = run_trials(
        {"lr": LogisticRegression(), "lr2": LogisticRegression(C=0.1)},
        X, y, cv=3, progress=False, store=path,
    )  # fmt: skip
    assert both.is_complete
    with contextlib.closing(sqlite3.connect(path)) as con:
        tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
        labels = con.execute("SELECT position, label FROM classes").fetchall()
    assert {"trial_extras", "classes"} <= tables and labels == [(0, 0), (1, 1)]
    back = load_results(path)
    for res in (both, back):
        assert set(res.probabilities["model"]) == {"lr2"}
        assert len(res.probabilities) == len(y)  # every test sample of lr2's 3 splits
        batches = res.fit_batches.set_index("model")
        assert batches.loc["lr", "fit_batch_time"].isna().all()
        assert (batches.loc["lr2", "fit_batch_time"] >= 0).all()
        assert (batches.loc["lr2", "fit_batch_size"] == 1).all()
        pd.testing.assert_frame_equal(
            res.scores[res.scores["model"] == "lr"].reset_index(drop=True), fresh.scores
        )
    # the stored probabilities are those of the refitted model
    cv = StratifiedKFold(3)
    train, test = next(iter(cv.split(X, y)))
    ref = LogisticRegression(C=0.1).fit(X[train], y[train]).predict_proba(X[test])
    rows = back.probabilities[back.probabilities["split"] == 0]
    assert_array_equal(rows["sample"], test)
    assert_allclose(rows[["proba_0", "proba_1"]].to_numpy(), ref, rtol=1e-12)


def test_the_golden_store_of_the_old_code_reads_with_empty_probabilities(tmp_path):
    path = tmp_path / "hw4.sqlite"
    shutil.copy(DATA / "store_hw4_quick.sqlite", path)
    res = load_results(path)
    assert res.probabilities is not None and len(res.probabilities) == 0
    assert len(res.fit_batches) == len(res.scores)
    assert res.fit_batches["fit_batch_time"].isna().all()
    assert_array_equal(res.classes, np.unique(res.predictions["y_true"]))


@pytest.mark.parametrize(
    ("statement", "shown"),
    [
        ("UPDATE trial_extras SET probabilities = '[[0.5]]' WHERE split = 1", "probabilities"),
        ("UPDATE trial_extras SET probabilities = '{' WHERE split = 1", "not valid JSON"),
        ("UPDATE trial_extras SET fit_batch_size = 0 WHERE split = 1", "fit batch"),
        ("UPDATE classes SET label = 'x' WHERE position = 0", "class at position"),
    ],
)
def test_damaged_extras_name_the_row(tmp_path, statement, shown):
    from clfcompare.trials import StoreError

    X, y = make_classification(n_samples=30, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)  # fmt: skip
    path = tmp_path / "d.sqlite"
    run_trials({"lr": LogisticRegression()}, X, y, cv=3, progress=False, store=path)
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute(statement)
    with pytest.raises(StoreError, match=shown):
        load_results(path)


# -------------------------------------------------------------------- kept estimators
def test_keep_estimators_keeps_the_fitted_models_of_this_run(tmp_path):
    X, y = make_curve(2, random_state=0)
    models = {"lr": LogisticRegression(), "p": Pipeline([("s", StandardScaler()), ("m", _mlp())])}
    cv, splits = _splits(X, y, 3, 1)
    assert run_trials(models, X, y, cv=cv, progress=False).estimators == {}
    path = tmp_path / "k.sqlite"
    run_trials({"lr": models["lr"]}, X, y, cv=cv, progress=False, store=path)
    res = run_trials(models, X, y, cv=cv, progress=False, store=path, keep_estimators=[0, 2])
    # lr was resumed (not refitted): absent; p was fitted in this run
    assert sorted(res.estimators) == [("p", 0), ("p", 2)]
    for (name, s), est in res.estimators.items():
        test = splits[s][1]
        pred = res.predictions[
            (res.predictions["model"] == name) & (res.predictions["split"] == s)
        ]
        assert_array_equal(est.predict(X[test]), pred["y_pred"])
    assert load_results(path).estimators == {}  # not persisted
    for bad, error in ((3, TypeError), ("0", TypeError), ([5], ValueError), ([-1], ValueError)):
        with pytest.raises(error, match="keep_estimators"):
            run_trials(models, X, y, cv=cv, progress=False, keep_estimators=bad)


# --------------------------------------------------------------------------- progress
class EpochHook(ClassifierMixin, BaseEstimator):
    """A toy model with a many-split hook that reports epochs (``on_epoch``)."""

    def __init__(self, n_epochs=4):
        self.n_epochs = n_epochs

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.majority_ = self.classes_[np.argmax([np.sum(y == c) for c in self.classes_])]
        self.had_on_epoch_ = False
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)

    def fit_splits(self, X, y, train_indices, on_epoch=None):
        fits = [clone(self).fit(X[idx], y[idx]) for idx in train_indices]
        for e in range(1, self.n_epochs + 1):
            if on_epoch is not None:
                on_epoch(e, self.n_epochs)
                print(f"epoch {e}", file=sys.stderr)
        for f in fits:
            f.had_on_epoch_ = on_epoch is not None
        return fits


class _TTY(StringIO):
    def isatty(self):
        return True


def _progress_lines(monkeypatch, **kw):
    X, y = make_classification(n_samples=40, random_state=0)
    err = StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(_runner, "_PROGRESS_DELAY", 0.0)
    res = run_trials({"e": EpochHook()}, X, y, cv=4, keep_estimators=range(4), **kw)
    return res, err.getvalue().splitlines()


def test_epochs_advance_the_count_by_fractions_in_process(monkeypatch):
    res, lines = _progress_lines(monkeypatch)
    assert all(est.had_on_epoch_ for est in res.estimators.values())
    # 4 trials in one batch of 4 epochs: 1, 2, 3, 4 trials' worth, then the trials land
    shown = [line.split(" trials")[0] for line in lines if line.startswith("run_trials")]
    assert shown[:4] == ["run_trials: 1.0/4", "run_trials: 2.0/4", "run_trials: 3.0/4",
                         "run_trials: 4.0/4"]  # fmt: skip
    assert lines.index("epoch 1") > 0 and shown[-1] == "run_trials: 4/4"
    assert len(shown) == 5


def test_no_epoch_callback_without_progress_or_in_workers(monkeypatch):
    res, lines = _progress_lines(monkeypatch, progress=False)
    assert lines == [] and not any(e.had_on_epoch_ for e in res.estimators.values())
    res, _ = _progress_lines(monkeypatch, n_jobs=2)
    assert not any(e.had_on_epoch_ for e in res.estimators.values())


def test_plain_lines_at_most_every_tenth_or_thirty_seconds():
    now = [0.0]
    err = StringIO()
    bar = _runner._Progress(100, True, err, clock=lambda: now[0])
    assert bar.mode == "lines"
    for i in range(100):
        now[0] = 0.05 * (i + 1)
        bar.advance(1)
    bar.close()
    lines = err.getvalue().splitlines()
    # the first after the half second of silence, then one per 10 %, and the last
    assert lines[0] == "run_trials: 10/100 trials (10%), 0.5 s"
    assert len(lines) == 10 and lines[-1] == "run_trials: 100/100 trials (100%), 5.0 s"
    err = StringIO()
    now[0] = 0.0
    bar = _runner._Progress(1000, True, err, clock=lambda: now[0])
    for _ in range(20):
        now[0] += 20.0
        bar.advance(1)
    # every other 20-s step is 30 s past the last line; never per trial
    assert len(err.getvalue().splitlines()) == 10
    assert _runner._Progress(10, True, _TTY()).mode == "bar"
    assert _runner._Progress(10, False, _TTY()).mode is None


# ---------------------------------------------------------------------- worker threads
class ThreadProbe(ClassifierMixin, BaseEstimator):
    """Records the thread limits it was fitted under (torch and BLAS). Unpickled, it
    imports torch, as a torch estimator's module does."""

    def __setstate__(self, state):
        import torch  # noqa: F401 - in sys.modules before the worker runs, as for the MLP

        self.__dict__.update(state)

    def fit(self, X, y):
        import torch
        from threadpoolctl import threadpool_info

        self.classes_ = np.unique(y)
        self.torch_threads_ = torch.get_num_threads()
        self.blas_threads_ = [p["num_threads"] for p in threadpool_info()]
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_workers_pin_torch_and_blas_to_one_thread():
    X, y = make_classification(n_samples=30, random_state=0)
    # loky would give each worker 4 threads (without the pin torch and BLAS would use them)
    with joblib.parallel_backend("loky", inner_max_num_threads=4):
        res = run_trials({"t": ThreadProbe()}, X, y, cv=3, n_jobs=2, progress=False,
                         keep_estimators=range(3))  # fmt: skip
    for est in res.estimators.values():
        assert est.torch_threads_ == 1
        assert all(n == 1 for n in est.blas_threads_)
    # in process nothing is changed
    import torch

    before = torch.get_num_threads()
    with _runner._one_thread(True):
        assert torch.get_num_threads() == before


# ------------------------------------------------------------- models stacked in one run
def _spy_stacked(monkeypatch):
    """Count the calls of ``fit_splits_stacked`` (the runner looks it up when it runs)."""
    import clfcompare.estimators as package

    calls, real = [], package.fit_splits_stacked

    def spy(estimators, X, y, train_indices, **kw):
        calls.append((len(estimators), len(train_indices), sorted(kw)))
        return real(estimators, X, y, train_indices, **kw)

    monkeypatch.setattr(package, "fit_splits_stacked", spy)
    return calls


def _model_rows(res, name):
    """Every table of ``res`` for model ``name`` (fit times left out), index reset."""
    out = {}
    for what in ("scores", "predictions", "loss_curves", "probabilities"):
        frame = getattr(res, what)
        frame = frame[frame["model"] == name].drop(columns=["fit_time"], errors="ignore")
        out[what] = frame.reset_index(drop=True)
    return out


def _assert_each_as_alone(res, models, X, y, cv, **kw):
    """Every model's tables in ``res`` are bitwise those of ``run_trials`` of it alone."""
    for name, model in models.items():
        alone = run_trials({name: model}, X, y, cv=cv, progress=False, **kw)
        got, want = _model_rows(res, name), _model_rows(alone, name)
        for what in got:
            pd.testing.assert_frame_equal(got[what], want[what], check_exact=True, obj=what)


@pytest.mark.parametrize("seeds", ["common", "per_model"])
def test_networks_of_other_losses_train_in_one_stacked_run_each_as_alone(monkeypatch, seeds):
    X, y = make_curve(4, random_state=0)
    models = {
        "mse": _mlp(loss="mse"),
        "lr": LogisticRegression(max_iter=200),  # no hook: split by split, beside the stack
        "ce": _mlp(loss="ce", learning_rate=0.01),
    }
    cv, splits = _splits(X, y, 3, 2)
    calls = _spy_stacked(monkeypatch)
    res = run_trials(models, X, y, cv=cv, progress=False, seeds=seeds, keep_estimators=[1])
    assert calls == [(2, 6, ["random_states"])]  # one call: 2 models x 6 splits
    batches = res.fit_batches.set_index("model")
    assert (batches.loc[["mse", "ce"], "fit_batch_size"] == 12).all()
    assert batches.loc[["mse", "ce"], "fit_batch_time"].nunique() == 1
    assert (batches.loc["lr", "fit_batch_size"] == 1).all()
    stacked = res.scores[res.scores["model"] != "lr"]
    assert_allclose(stacked["fit_time"], batches.loc[["mse", "ce"], "fit_batch_time"] / 12,
                    rtol=1e-12)  # fmt: skip
    # the independent reference: sklearn's fit of one network on split 1, derived seed
    seed = derive_seed(3, 1, 0) if seeds == "common" else None
    ref = clone(models["ce"])
    if seed is not None:
        ref.set_params(random_state=seed)
        ref.fit(X[splits[1][0]], y[splits[1][0]])
        kept = res.estimators[("ce", 1)]
        assert kept.random_state == seed
        assert_array_equal(kept.predict_proba(X[splits[1][1]]),
                           ref.predict_proba(X[splits[1][1]]))  # fmt: skip
    # each model's scores, predictions, loss curves and probabilities: bitwise its lone run
    _assert_each_as_alone(res, models, X, y, cv, seeds=seeds)


def test_pipelines_with_the_same_preprocessing_stack_and_others_do_not(monkeypatch):
    X, y = make_curve(2, random_state=1)
    X = X * [3.0, 0.5] + [1.0, -2.0]  # the scaling matters
    scaled = {
        "mse": Pipeline([("scale", StandardScaler()), ("mlp", _mlp(loss="mse"))]),
        "ce": Pipeline([("std", StandardScaler()), ("net", _mlp(loss="ce"))]),
    }
    cv, _ = _splits(X, y, 3, 1)
    calls = _spy_stacked(monkeypatch)
    res = run_trials(scaled, X, y, cv=cv, progress=False, keep_estimators=[0])
    assert calls == [(2, 3, ["random_states"])]
    assert (res.fit_batches["fit_batch_size"] == 6).all()
    assert res.estimators[("ce", 0)].named_steps["std"].n_samples_seen_ == len(cv_train(cv, X, y))
    _assert_each_as_alone(res, scaled, X, y, cv)
    # other preprocessing parameters, a bare network next to a pipeline, a subclass of the
    # network, seeded preprocessing: each trains on its own
    from clfcompare.estimators.mlp import TorchMLPClassifier

    class OwnMLP(TorchMLPClassifier):
        pass

    apart = {
        "a": Pipeline([("scale", StandardScaler()), ("mlp", _mlp())]),
        "b": Pipeline([("scale", StandardScaler(with_mean=False)), ("mlp", _mlp())]),
        "c": _mlp(),
        "d": OwnMLP(hidden_layer_sizes=(8,), max_epochs=5, batch_size=16, device="cpu",
                    random_state=3),
    }  # fmt: skip
    calls.clear()
    res = run_trials(apart, X, y, cv=cv, progress=False)
    assert calls == []
    assert (res.fit_batches["fit_batch_size"] == 3).all()
    plans = {name: _runner._batch_plan(m, {}) for name, m in apart.items()}
    assert [_runner._stack_key(apart[n], plans[n]) is None for n in "abcd"] == [
        False, False, False, True,
    ]  # fmt: skip
    assert len({_runner._stack_key(apart[n], plans[n]) for n in "abc"}) == 3
    from sklearn.decomposition import PCA

    seeded = Pipeline([("pca", PCA(random_state=0)), ("mlp", _mlp())])
    assert _runner._stack_key(seeded, _runner._batch_plan(seeded, {})) is None


def cv_train(cv, X, y):
    """The training rows of the first split of ``cv``."""
    return next(iter(cv.split(X, y)))[0]


class DriftingScaler(StandardScaler):
    """Scales by one more on every fit: two pipelines with equal parameters, other rows."""

    fits = 0

    def fit(self, X, y=None, sample_weight=None):
        DriftingScaler.fits += 1
        self.drift_ = DriftingScaler.fits
        return super().fit(X, y, sample_weight)

    def transform(self, X, copy=None):
        return super().transform(X, copy) * self.drift_


def test_pipelines_whose_rows_differ_after_all_train_apart(monkeypatch):
    X, y = make_curve(2, random_state=0)
    models = {n: Pipeline([("s", DriftingScaler()), ("m", _mlp(loss=n))]) for n in ("mse", "ce")}
    cv, _ = _splits(X, y, 3, 1)
    calls = _spy_stacked(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # found before the stacked call: no warning
        res = run_trials(models, X, y, cv=cv, progress=False)
    assert calls == []
    assert (res.fit_batches["fit_batch_size"] == 3).all()
    assert _runner._same_rows(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert not _runner._same_rows(np.array([1.0, 2.0]), np.array([1.0, 2.5]))
    assert not _runner._same_rows(np.array([1.0]), np.array([1.0], dtype=np.float32))


def test_a_failing_stacked_fit_falls_back_to_each_model_alone(tmp_path, monkeypatch):
    import clfcompare.estimators as package

    X, y = make_curve(2, random_state=0)
    models = {"mse": _mlp(loss="mse"), "ce": _mlp(loss="ce")}
    cv, _ = _splits(X, y, 3, 1)

    def broken(*args, **kw):
        raise RuntimeError("engine out of order")

    monkeypatch.setattr(package, "fit_splits_stacked", broken)
    with pytest.warns(RuntimeWarning, match="stacked fit of models .'mse', 'ce'. failed"):
        res = run_trials(models, X, y, cv=cv, progress=False)
    assert (res.fit_batches["fit_batch_size"] == 3).all()  # fitted model by model
    monkeypatch.undo()
    _assert_each_as_alone(res, models, X, y, cv)
    # a model that fails on its own is named, and the other model's trials are stored
    bad = {"good": _mlp(loss="mse"), "bad": _mlp(loss="ce", learning_rate=-1.0)}
    path = tmp_path / "bad.sqlite"
    with pytest.warns(RuntimeWarning, match="stacked fit"), pytest.raises(ValueError) as err:
        run_trials(bad, X, y, cv=cv, progress=False, store=path)
    assert err.value.clfcompare_model == "bad"
    assert "learning_rate" in str(err.value)
    with contextlib.closing(sqlite3.connect(path)) as con:
        stored = con.execute("SELECT model, COUNT(*) FROM trials GROUP BY model").fetchall()
    assert stored == [("good", 3)]


def test_stacked_runs_resume_per_model_and_split(tmp_path, monkeypatch):
    X, y = make_curve(2, random_state=0)
    models = {"mse": _mlp(loss="mse"), "ce": _mlp(loss="ce")}
    cv, _ = _splits(X, y, 3, 2)
    path = tmp_path / "s.sqlite"
    full = run_trials(models, X, y, cv=cv, progress=False, store=path)
    calls = _spy_stacked(monkeypatch)

    def resume(where):
        with contextlib.closing(sqlite3.connect(path)) as con, con:
            for table in ("trial_extras", "loss_curves", "predictions", "trials"):
                con.execute(f"DELETE FROM {table} WHERE {where}")
        calls.clear()
        res = run_trials(models, X, y, cv=cv, progress=False, store=path)
        for name in models:  # what was refitted is bitwise what the first run stored
            got, want = _model_rows(res, name), _model_rows(full, name)
            for what in got:
                pd.testing.assert_frame_equal(got[what], want[what], check_exact=True)
        return res.fit_batches.set_index(["model", "split"])["fit_batch_size"]

    # splits 1 and 4 of both models pending: one stacked run of them; the rest not refitted
    sizes = resume("split IN (1, 4)")
    assert calls == [(2, 2, ["random_states"])]
    assert sizes[("mse", 1)] == sizes[("ce", 4)] == 4
    assert sizes[("mse", 5)] == sizes[("ce", 0)] == 12
    # other pending splits: each model on its own (mse's split 2, ce's splits 2 and 5)
    sizes = resume("split = 2 OR (model = 'ce' AND split = 5)")
    assert calls == []
    assert sizes[("mse", 2)] == 1 and sizes[("ce", 2)] == sizes[("ce", 5)] == 2


def test_in_workers_each_model_is_its_own_job_and_progress_spans_the_stack(monkeypatch):
    X, y = make_curve(2, random_state=0)
    models = {"mse": _mlp(loss="mse"), "ce": _mlp(loss="ce")}
    cv, _ = _splits(X, y, 3, 1)
    calls = _spy_stacked(monkeypatch)
    res = run_trials(models, X, y, cv=cv, progress=False, n_jobs=2)
    assert calls == [] and (res.fit_batches["fit_batch_size"] == 3).all()
    # in process, with progress: the stacked run reports its epochs over its 6 trials
    err = StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(_runner, "_PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(_runner, "_LINE_STEP", 0.0)
    run_trials(models, X, y, cv=cv)
    assert calls == [(2, 3, ["on_epoch", "random_states"])]
    shown = [line.split(" trials")[0] for line in err.getvalue().splitlines()]
    assert "run_trials: 1.2/6" in shown and shown[-1] == "run_trials: 6/6"  # 1 of 5 epochs


def test_a_pipeline_subclass_fits_its_own_way_split_by_split():
    # a Pipeline subclass (imblearn's, with resamplers) may fit other rows than
    # fit_transform gives: the runner must not batch it through the stacked rows
    class OwnPipeline(Pipeline):
        pass

    X, y = make_curve(2, random_state=0)
    own = OwnPipeline([("scale", StandardScaler()), ("mlp", _mlp())])
    plain = Pipeline([("scale", StandardScaler()), ("mlp", _mlp())])
    assert _runner._batch_plan(own, {"mlp__random_state": 3}) is None
    assert _runner._batch_plan(plain, {"mlp__random_state": 3}) is not None
    cv, _ = _splits(X, y, 3, 1)
    res = run_trials({"own": own}, X, y, cv=cv, progress=False)
    assert res.fit_batches["fit_batch_size"].tolist() == [1, 1, 1]


def test_in_parallel_the_longest_batched_jobs_are_dispatched_first(monkeypatch):
    """n_jobs=2: the networks' jobs (splits x max_epochs) start before the classical models'.

    Dispatched in model order, a network waited for a classical model's job on the worker it
    shared (0.8 s of the HW4 study's wall time). The results do not depend on the order.
    """
    X, y = make_curve(2, random_state=0)
    models = {
        "short": LogisticRegression(),  # per split, no fit_splits: a plain task, last
        "net5": _mlp(),
        "net9": _mlp().set_params(max_epochs=9),
    }
    cv, _ = _splits(X, y, 3, 1)
    order = []

    def serial_in_order(n_jobs):
        def run(jobs):
            jobs = list(jobs)
            order.extend(
                args[0] if func is _runner._run_fit_splits else func.__name__
                for func, args, _ in jobs
            )
            return [job[0](*job[1], **job[2]) for job in jobs]

        return run

    monkeypatch.setattr(_runner, "_parallel", serial_in_order)
    together = run_trials(models, X, y, cv=cv, progress=False, n_jobs=2)
    assert order[:2] == ["net9", "net5"] and set(order[2:]) == {"_run_split"}
    alone = run_trials(models, X, y, cv=cv, progress=False)
    cols = ["model", "split", "accuracy"]
    pd.testing.assert_frame_equal(together.scores[cols], alone.scores[cols])
    assert _runner._expected_work(models["net9"], 3) == 27
    assert _runner._expected_work(LogisticRegression(), 3) == 3


def _rare_category_data():
    """Two categorical columns (as numbers) tied to the label, and a category (7) in one
    row only: the training split whose test fold holds that row lacks it."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    X = np.column_stack([y + rng.integers(0, 2, 60), rng.integers(0, 3, 60)]).astype(float)
    X[0, 0] = 7.0
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    splits = list(cv.split(X, y))
    has = [bool((X[train, 0] == 7).any()) for train, _ in splits]
    assert any(has) and not all(has)  # the widths differ: the test can fail
    return X, y, cv, splits


def _onehot_mlp(**kw):
    from sklearn.preprocessing import OneHotEncoder

    from clfcompare.estimators.mlp import TorchMLPClassifier

    mlp = TorchMLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, batch_size=16,
                             device="cpu", random_state=3, **kw)  # fmt: skip
    return Pipeline([("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                     ("mlp", mlp)])  # fmt: skip


def test_preprocessing_of_other_widths_per_split_falls_back_to_one_at_a_time(monkeypatch):
    X, y, cv, splits = _rare_category_data()
    pipe = _onehot_mlp()
    res = run_trials({"p": pipe}, X, y, cv=cv, progress=False, keep_estimators=range(3))
    assert (res.fit_batches["fit_batch_size"] == 1).all()  # fitted split by split
    ref = _one_at_a_time(pipe, X, y, splits, "mlp__random_state", 3)
    proba = res.probabilities
    for s, (est, test) in enumerate(ref):
        assert res.estimators[("p", s)].named_steps["mlp"].random_state == derive_seed(3, s, 0)
        # CPU, one thread (tests/conftest.py): exactly sklearn's per-split fit
        assert res.scores.loc[res.scores["split"] == s, "accuracy"].item() == est.score(
            X[test], y[test]
        )
        got = proba[proba["split"] == s][["proba_0", "proba_1"]].to_numpy()
        assert_array_equal(got, est.predict_proba(X[test]))
    # two such pipelines would share a stacked run: each falls back, silently, to the same
    models = {"mse": _onehot_mlp(loss="mse"), "ce": _onehot_mlp(loss="ce")}
    calls = _spy_stacked(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = run_trials(models, X, y, cv=cv, progress=False)
    assert calls == []  # found before the stacked call
    assert (both.fit_batches["fit_batch_size"] == 1).all()
    for name, model in models.items():
        for s, (est, test) in enumerate(
            _one_at_a_time(model, X, y, splits, "mlp__random_state", 3)
        ):
            rows = (both.scores["model"] == name) & (both.scores["split"] == s)
            got = both.scores.loc[rows, "accuracy"].item()
            assert got == est.score(X[test], y[test])
    # the check itself: other widths, other DataFrame columns, sparse blocks
    import scipy.sparse as sp

    with pytest.raises(_runner._WidthsDiffer):
        _runner._stack([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(_runner._WidthsDiffer):
        _runner._stack([pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]})])
    with pytest.raises(_runner._WidthsDiffer):
        _runner._stack([sp.csr_matrix((2, 3)), sp.csr_matrix((2, 4))])
    assert _runner._stack([sp.csr_matrix((2, 3)), sp.csr_matrix((1, 3))]).shape == (3, 3)
