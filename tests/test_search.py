"""Tests of clfcompare.search.BatchedGridSearchCV against scikit-learn's GridSearchCV.

Small networks and few epochs; CPU, one torch thread (tests/conftest.py). The stacked run
trains every network bitwise as alone, so the scores must be *equal* to GridSearchCV's
(compared with rtol 1e-12 only because a score is a float64 mean of predictions, which are
exact; ranks and best parameters compared exactly).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from clfcompare.datasets import load_curve
from clfcompare.estimators import TorchMLPClassifier
from clfcompare.search import BatchedGridSearchCV

NET = dict(hidden_layer_sizes=(8,), batch_size=16, max_epochs=5, device="cpu", random_state=0)
GRID = {"learning_rate": [0.005, 0.05], "alpha": [0.0, 0.5], "loss": ["ce", "mse"]}


@pytest.fixture(scope="module")
def curve4():
    X, y = load_curve(4)
    return X[:240], y[:240]


def _params(est):
    return np.concatenate([a.ravel() for a in est.coefs_ + est.intercepts_])


def _compare(batched, plain):
    a, b = batched.cv_results_, plain.cv_results_
    assert set(a) == set(b)
    assert a["params"] == b["params"]
    for key in a:
        if "score" in key and "time" not in key:
            assert_allclose(a[key], b[key], rtol=1e-12, err_msg=key)
        elif key.startswith("param_"):
            assert list(a[key]) == list(b[key])
    assert_array_equal(a["rank_test_score"], b["rank_test_score"])
    assert batched.best_params_ == plain.best_params_
    assert batched.best_index_ == plain.best_index_
    assert batched.best_score_ == pytest.approx(plain.best_score_, rel=1e-12)


def test_same_results_as_gridsearchcv_over_torch_mlp(curve4):
    X, y = curve4
    net = TorchMLPClassifier(**NET)
    cv = KFold(3, shuffle=True, random_state=0)
    batched = BatchedGridSearchCV(net, GRID, cv=cv, return_train_score=True).fit(X, y)
    plain = GridSearchCV(net, GRID, cv=cv, return_train_score=True).fit(X, y)
    _compare(batched, plain)
    assert len(set(batched.cv_results_["mean_test_score"])) > 2  # the grid did matter
    assert_array_equal(_params(batched.best_estimator_), _params(plain.best_estimator_))
    assert_array_equal(batched.predict(X), plain.predict(X))
    assert batched.score(X, y) == plain.score(X, y)
    assert_array_equal(batched.classes_, plain.classes_)
    assert_allclose(batched.predict_proba(X), plain.predict_proba(X), rtol=1e-12)


def test_pipeline_with_a_scaler_is_batched_per_fold(curve4, monkeypatch):
    X, y = curve4
    X = X * [3.0, 0.5] + [1.0, -2.0]
    pipe = make_pipeline(StandardScaler(), TorchMLPClassifier(**NET))
    grid = {"torchmlpclassifier__learning_rate": [0.005, 0.05],
            "standardscaler__with_mean": [True, False]}  # fmt: skip
    fell_back = []
    monkeypatch.setattr(GridSearchCV, "fit", lambda self, *a, **k: fell_back.append(1))
    batched = BatchedGridSearchCV(pipe, grid, cv=3, scoring="accuracy").fit(X, y)
    monkeypatch.undo()
    assert not fell_back
    plain = GridSearchCV(pipe, grid, cv=3, scoring="accuracy").fit(X, y)
    _compare(batched, plain)
    assert_array_equal(batched.predict(X), plain.predict(X))


def test_bad_parameter_names_and_clone(curve4):
    X, y = curve4
    search = BatchedGridSearchCV(TorchMLPClassifier(**NET), {"learning_rat": [0.1]}, cv=2)
    with pytest.raises(ValueError, match="learning_rat"):
        search.fit(X, y)
    params = search.get_params()
    assert params["param_grid"] == {"learning_rat": [0.1]} and params["cv"] == 2
    twin = clone(search).set_params(param_grid=GRID, estimator__max_epochs=2)
    assert twin.estimator.max_epochs == 2 and search.estimator.max_epochs == 5


def test_refit_false_and_other_estimators_fall_back(curve4):
    X, y = curve4
    search = BatchedGridSearchCV(TorchMLPClassifier(**NET), GRID, cv=2, refit=False).fit(X, y)
    # as GridSearchCV with one metric: the best candidate is named, nothing is refitted
    assert not hasattr(search, "best_estimator_") and hasattr(search, "best_params_")
    assert search.cv_results_["rank_test_score"].shape == (8,)
    from sklearn.linear_model import LogisticRegression

    other = BatchedGridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    assert (
        other.best_params_
        == GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y).best_params_
    )


def test_benchmark_quick_run_agrees_with_gridsearchcv(capsys):
    from _scripts import load_script  # tests/ is on sys.path (no __init__.py)

    bench = load_script("bench_search")
    # exit status 0: same best parameters, mean scores and ranks as GridSearchCV
    assert bench.main(["--quick", "--no-sklearn"]) == 0
    text = capsys.readouterr().out
    assert "8 configurations x 3 folds" in text and "same best params True" in text
    assert "BatchedGridSearchCV(TorchMLPClassifier)" in text
    with pytest.raises(SystemExit):
        bench.main(["--epochs", "0"])


@pytest.mark.gpu
def test_gpu_batched_search_picks_the_same_best_params(curve4):
    # on CUDA the networks agree with GridSearchCV's to float32 rounding, not bits: the
    # mean scores within 6 of the 240 rows (0.025), the best parameters the same (on the
    # CPU the best candidate leads the second by 12 rows: 147 against 135 of 240)
    X, y = curve4
    net = TorchMLPClassifier(**{**NET, "device": "cuda"})
    cv = KFold(3, shuffle=True, random_state=0)
    batched = BatchedGridSearchCV(net, GRID, cv=cv).fit(X, y)
    plain = GridSearchCV(net, GRID, cv=cv).fit(X, y)
    assert batched.cv_results_["params"] == plain.cv_results_["params"]
    assert_allclose(
        batched.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"],
        atol=0.025,
    )  # fmt: skip
    assert batched.best_params_ == plain.best_params_
    assert batched.best_estimator_.device == "cuda"
    assert np.mean(batched.predict(X) == plain.predict(X)) >= 0.98


def test_benchmark_device_option():
    import torch
    from _scripts import load_script

    bench = load_script("bench_search")
    assert bench.parse_args(["--device", "cpu"]).device == "cpu"
    with pytest.raises(SystemExit):
        bench.parse_args(["--device", "gpu"])
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):  # named, never a silent CPU run
            bench.parse_args(["--device", "cuda"])


def test_n_jobs_splits_large_runs_into_threads_with_the_same_results(curve4, monkeypatch):
    import threading

    import torch

    from clfcompare import search as search_module

    X, y = curve4
    net = TorchMLPClassifier(**NET)
    cv = KFold(3, shuffle=True, random_state=0)
    one = BatchedGridSearchCV(net, GRID, cv=cv).fit(X, y)
    parts = []
    fit_parts = search_module._fit_parts

    def spy(estimators, X, y, trains, n_parts):
        parts.append(n_parts)
        return fit_parts(estimators, X, y, trains, n_parts)

    monkeypatch.setattr(search_module, "_fit_parts", spy)
    # 8 candidates x (3 folds + refit) = 32 networks: below the size for a split
    BatchedGridSearchCV(net, GRID, cv=cv, n_jobs=2).fit(X, y)
    assert parts == []
    monkeypatch.setattr(search_module, "MIN_NETWORKS_PER_JOB", 16)
    torch.set_num_threads(2)  # the caller's setting: pinned to 1 in the parts, then restored
    try:
        two = BatchedGridSearchCV(net, GRID, cv=cv, n_jobs=2).fit(X, y)
        assert parts == [2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    _compare(two, one)  # bitwise networks: equal scores, ranks and best parameters
    assert_array_equal(_params(two.best_estimator_), _params(one.best_estimator_))
    # guards: threads of the estimator, no seed, outside the main thread
    for changed in ({"n_threads": 2}, {"random_state": None}):
        BatchedGridSearchCV(clone(net).set_params(**changed), GRID, cv=cv, n_jobs=2).fit(X, y)
    done = []
    worker = threading.Thread(
        target=lambda: done.append(BatchedGridSearchCV(net, GRID, cv=cv, n_jobs=2).fit(X, y))
    )
    worker.start()
    worker.join()
    assert len(done) == 1 and parts == [2]


def _small_net():
    return TorchMLPClassifier(
        hidden_layer_sizes=(8,), batch_size=None, max_epochs=20, device="cpu", random_state=0
    )


def test_refit_false_sets_the_best_candidate_as_gridsearchcv():
    X, y = load_curve(2)
    grid = {"learning_rate": [0.01, 0.05]}
    ref = GridSearchCV(_small_net(), grid, cv=3, refit=False).fit(X, y)
    got = BatchedGridSearchCV(_small_net(), grid, cv=3, refit=False).fit(X, y)
    assert got.best_params_ == ref.best_params_
    assert got.best_index_ == ref.best_index_
    assert_allclose(got.best_score_, ref.best_score_, rtol=1e-12)
    assert not hasattr(got, "best_estimator_") and not hasattr(ref, "best_estimator_")


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
def test_an_invalid_candidate_is_scored_error_score_as_gridsearchcv():
    X, y = load_curve(2)
    grid = {"learning_rate": [-1.0, 0.01]}
    ref = GridSearchCV(_small_net(), grid, cv=3).fit(X, y)
    got = BatchedGridSearchCV(_small_net(), grid, cv=3).fit(X, y)
    assert np.isnan(got.cv_results_["mean_test_score"][0])
    assert_allclose(got.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    assert got.best_params_ == {"learning_rate": 0.01}
    with pytest.raises(ValueError, match="learning_rate"):
        BatchedGridSearchCV(_small_net(), grid, cv=3, error_score="raise").fit(X, y)


def test_a_sparse_step_output_gives_gridsearchcvs_result():
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(90, 2))
    y = (X[:, 0] + rng.integers(0, 2, size=90) > 2).astype(int)
    pipe = make_pipeline(OneHotEncoder(), _small_net())  # sparse output by default
    grid = {"torchmlpclassifier__learning_rate": [0.01, 0.05]}
    ref = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    got = BatchedGridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert got.best_params_ == ref.best_params_
    assert_allclose(got.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
