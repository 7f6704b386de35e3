"""run_benchmark, its store folder, BenchmarkResults, and where data sets come from."""

import csv
import json
import urllib.error

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_blobs, make_moons
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from clfcompare._checks import InputError
from clfcompare.benchmark import (
    MANIFEST,
    SUITE_DATASETS,
    BenchmarkMismatch,
    BenchmarkResults,
    load_datasets,
    load_suite,
    run_benchmark,
)
from clfcompare.trials import SetupMismatch, run_trials


def small_data():
    Xm, ym = make_moons(n_samples=60, noise=0.3, random_state=0)
    Xb, yb = make_blobs(n_samples=45, centers=3, random_state=1)
    return {"moons": (Xm, ym), "blobs": (Xb, yb)}


def models():
    return {
        "nb": GaussianNB(),
        "knn": KNeighborsClassifier(n_neighbors=3),
        "tree": DecisionTreeClassifier(random_state=0),
    }


#: data sets on which Flaky fails (module state, not a parameter: the store's fingerprint of
#: the model is the same whether it fails or not, as with a kill)
FAIL_ON = set()


class Flaky(ClassifierMixin, BaseEstimator):
    """Nearest class mean; fails when its training data has the size in FAIL_ON."""

    def fit(self, X, y):
        if len(y) in FAIL_ON:
            raise ValueError("flaky failure")
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict(self, X):
        d = ((np.asarray(X)[:, None, :] - self.means_[None]) ** 2).sum(axis=2)
        return self.classes_[d.argmin(axis=1)]


# --------------------------------------------------------------------------- running


def test_score_table_is_the_mean_over_each_data_sets_splits():
    data = small_data()
    bench = run_benchmark(models(), data, cv=3, progress=False)
    assert isinstance(bench, BenchmarkResults)
    table = bench.score_table("accuracy")
    assert list(table.index) == ["moons", "blobs"] and table.index.name == "dataset"
    assert list(table.columns) == ["nb", "knn", "tree"]
    # independent reference: run_trials on each data set alone, same cv and seed
    for name, (X, y) in data.items():
        ref = run_trials(models(), X, y, cv=3, random_state=0, progress=False)
        assert_allclose(table.loc[name].to_numpy(), ref.score_table().mean().to_numpy())
        pd.testing.assert_frame_equal(
            bench.results[name].scores.drop(columns="fit_time"),
            ref.scores.drop(columns="fit_time"),
        )
    assert bench.is_complete
    assert bench.info.loc["blobs", "n_classes"] == 3
    long = bench.scores_long()
    assert len(long) == 2 * 3 * 3 and set(long["dataset"]) == {"moons", "blobs"}


def test_every_model_sees_the_same_splits_of_a_data_set():
    bench = run_benchmark(models(), small_data(), cv=3, progress=False)
    pred = bench.results["moons"].predictions
    samples = {m: sorted(map(tuple, g.groupby("split")["sample"].apply(list).tolist()))
               for m, g in pred.groupby("model")}  # fmt: skip
    assert samples["nb"] == samples["knn"] == samples["tree"]


def test_store_resumes_what_a_failed_run_finished(tmp_path):
    data = small_data()  # moons: 60 rows -> 40 training rows with cv=3; blobs: 30
    store = tmp_path / "bench"
    FAIL_ON.clear()
    FAIL_ON.add(30)  # every training split of blobs fails
    try:
        with pytest.raises(ValueError, match="flaky failure") as info:
            run_benchmark({"flaky": Flaky(), "nb": GaussianNB()}, data, cv=3, store=store,
                          progress=False)  # fmt: skip
        assert info.value.clfcompare_dataset == "blobs"
    finally:
        FAIL_ON.clear()
    manifest = json.loads((store / MANIFEST).read_text())
    assert [d["name"] for d in manifest["datasets"]] == ["moons", "blobs"]
    bench = run_benchmark({"flaky": Flaky(), "nb": GaussianNB()}, data, cv=3, store=store,
                          progress=False)  # fmt: skip
    # moons' 6 trials were kept (blobs failed on flaky's first split, before any nb trial)
    assert bench.n_resumed == 6
    assert bench.is_complete
    loaded = BenchmarkResults.from_store(store)
    assert loaded.datasets == ("moons", "blobs") and loaded.models == ("flaky", "nb")
    pd.testing.assert_frame_equal(loaded.score_table(), bench.score_table())
    # a third run runs nothing
    again = run_benchmark({"flaky": Flaky(), "nb": GaussianNB()}, data, cv=3, store=store,
                          progress=False)  # fmt: skip
    assert again.n_resumed == 2 * 2 * 3


def test_store_refuses_changed_data_and_scoring(tmp_path):
    data = small_data()
    store = tmp_path / "bench"
    run_benchmark({"nb": GaussianNB()}, data, cv=3, store=store, progress=False)
    changed = dict(data)
    X, y = data["blobs"]
    changed["blobs"] = (X + 1.0, y)
    with pytest.raises(BenchmarkMismatch, match="data set 'blobs'") as info:
        run_benchmark({"nb": GaussianNB()}, changed, cv=3, store=store, progress=False)
    assert [d[:2] for d in info.value.differences] == [("blobs", "data")]
    with pytest.raises(BenchmarkMismatch, match="scoring"):
        run_benchmark({"nb": GaussianNB()}, data, cv=3, store=store, scoring="f1_macro",
                      progress=False)  # fmt: skip
    # another model under a stored name: the data set's trial store refuses, naming the set
    with pytest.raises(SetupMismatch) as info:
        run_benchmark({"nb": GaussianNB(var_smoothing=1e-3)}, data, cv=3, store=store,
                      progress=False)  # fmt: skip
    assert info.value.clfcompare_dataset == "moons"
    # new data sets and new models are added to the store
    more = {**data, "moons2": make_moons(n_samples=30, random_state=3)}
    bench = run_benchmark({"nb": GaussianNB(), "knn": KNeighborsClassifier()}, more, cv=3,
                          store=store, progress=False)  # fmt: skip
    assert bench.n_resumed == 2 * 3 and bench.datasets == ("moons", "blobs", "moons2")


def test_parallel_over_data_sets_gives_the_same_results():
    data = small_data()
    serial = run_benchmark(models(), data, cv=3, progress=False)
    parallel = run_benchmark(models(), data, cv=3, progress=False, n_jobs=2)
    pd.testing.assert_frame_equal(serial.score_table(), parallel.score_table())


def test_dask_local_cluster_gives_the_same_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    import joblib

    data = small_data()
    serial = run_benchmark(models(), data, cv=3, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
        distributed.get_task_stream() as stream,
    ):
        on_dask = run_benchmark(models(), data, cv=3, progress=False, n_jobs=2,
                                store=tmp_path / "b")  # fmt: skip
    # the trials ran on the cluster: tasks of both data sets
    assert len(stream.data) >= 2
    pd.testing.assert_frame_equal(serial.score_table(), on_dask.score_table())
    assert BenchmarkResults.from_store(tmp_path / "b").is_complete


def test_run_benchmark_refuses_bad_arguments():
    data = small_data()
    with pytest.raises(TypeError, match="index pairs fit one data set only"):
        run_benchmark(models(), data, cv=[(np.arange(10), np.arange(10, 20))], progress=False)
    with pytest.raises(ValueError, match="n_jobs must be non-zero"):
        run_benchmark(models(), data, n_jobs=0, progress=False)
    with pytest.raises(TypeError, match="non-empty dict"):
        run_benchmark({}, data, progress=False)
    with pytest.raises(TypeError, match="not a splitter instance"):
        run_benchmark(models(), data, cv=StratifiedKFold, progress=False)


# --------------------------------------------------------------------------- data sets


def test_offline_suite_holds_the_documented_sets_and_targets():
    suite = load_suite("offline")
    assert list(suite) == list(SUITE_DATASETS)
    assert len(suite) == 13
    from sklearn.datasets import load_digits
    from statsmodels import datasets as smd

    fair = smd.fair.load_pandas().data
    X, y = suite["fair"]
    assert_allclose(y, (fair["affairs"] > 0).astype(int))
    assert X.shape == (6366, 8)
    anes = smd.anes96.load_pandas().data
    X, y = suite["anes96"]
    assert_allclose(y, anes["vote"])
    assert X.shape == (944, 10)
    X, y = suite["digits"]
    assert_allclose(X, load_digits().data)
    for name, (X, y) in suite.items():
        assert X.dtype == float and len(np.unique(y)) >= 2, name
    # the seeded generators are reproducible
    X1, _ = load_suite("offline", names=["moons"])["moons"]
    assert_allclose(X1, suite["moons"][0])


def test_load_datasets_from_names_mapping_and_csv_folder(tmp_path):
    X, y = make_moons(n_samples=20, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b"])
    frame["label"] = y
    frame.to_csv(tmp_path / "last.csv", index=False)
    frame[["label", "a", "b"]].to_csv(tmp_path / "first.csv", index=False)
    (tmp_path / "notes.txt").write_text("not a data set")
    out = load_datasets(tmp_path, target="label")
    assert list(out) == ["first", "last"]
    assert_allclose(out["last"][0], X)
    assert_allclose(out["first"][1], y)
    # no target: the last column
    out = load_datasets([tmp_path / "last.csv", "iris"])
    assert_allclose(out["last"].y, y)
    assert "iris" in out
    assert "last.csv" in out["last"].description
    mapping = load_datasets({"m": (X, y, "my data")})
    assert mapping["m"].description == "my data"
    with pytest.raises(InputError, match="occurs twice"):
        load_datasets(["iris", "iris"])
    with pytest.raises(InputError, match="unknown data set 'nope'"):
        load_datasets("nope")
    with pytest.raises(InputError, match="single class"):
        load_datasets({"one": (X, np.zeros(20))})
    with pytest.raises(TypeError, match=r"datasets\['m'\] must be a tuple"):
        load_datasets({"m": X})


def test_a_csv_without_target_reads_its_separator_as_the_command_does(tmp_path):
    # a quoted name holding a comma in a semicolon file, and a gzip-compressed tab file: the
    # last column is the target (the benchmark's default), read with datasets.csv_separator
    X, y = make_moons(n_samples=20, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "weight (kg, net)"])
    frame["label"] = y
    frame.to_csv(tmp_path / "semi.csv", sep=";", index=False, quoting=csv.QUOTE_NONNUMERIC)
    assert '"weight (kg, net)"' in (tmp_path / "semi.csv").read_text()
    frame.to_csv(tmp_path / "tabs.csv.gz", sep="\t", index=False, compression="gzip")
    out = load_datasets([tmp_path / "semi.csv", tmp_path / "tabs.csv.gz"])
    for name in ("semi", "tabs.csv"):
        assert_allclose(out[name].X, X)
        assert_allclose(out[name].y, y)


def test_openml_offline_is_a_clear_error(monkeypatch):
    import sklearn.datasets

    def offline(**kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(InputError, match=r"cannot fetch OpenML data set 61: .*no network"):
        load_datasets([61])
    with pytest.raises(InputError, match="cannot fetch OpenML data set 37"):
        load_datasets("openml:37")


def test_openml_frames_are_encoded(monkeypatch):
    import sklearn.datasets
    from sklearn.utils import Bunch

    def fake(**kwargs):
        assert kwargs["data_id"] == 5 and kwargs["as_frame"]
        data = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0], "c": pd.Categorical(list("abab"))})
        return Bunch(data=data, target=pd.Series(["p", "q", "p", "q"]), details={"name": "toy"})

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake)
    ds = load_datasets(5)["openml5"]
    assert ds.X.shape == (3, 3)  # x, c_a, c_b; the row with a missing value dropped
    assert list(ds.y) == ["p", "q", "q"]
    assert "toy" in ds.description and "1 rows with missing values dropped" in ds.description


def test_a_killed_benchmark_loses_no_finished_trial(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from clfcompare.trials import count_finished

    tests = str(Path(__file__).resolve().parent)
    store = tmp_path / "bench"
    code = (
        f"import sys; sys.path.insert(0, {tests!r})\n"
        "from _kill_target import SlowCentroid\n"
        "from sklearn.datasets import make_classification\n"
        "from clfcompare.benchmark import run_benchmark\n"
        "data = {f'd{i}': make_classification(n_samples=60, n_features=4, random_state=i)\n"
        "        for i in range(3)}\n"
        f"run_benchmark({{'slow': SlowCentroid(delay=0.2)}}, data, cv=4, store={str(store)!r},\n"
        "              progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(tests).parent)

    def finished():
        if not (store / MANIFEST).exists():
            return 0
        entries = json.loads((store / MANIFEST).read_text())["datasets"]
        total = 0
        for e in entries:
            try:
                total += count_finished(store / e["file"])
            except ValueError:  # created by the run but not yet set up: nothing in it
                pass
        return total

    try:
        deadline = time.monotonic() + 120
        while finished() < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    kept = finished()
    assert 5 <= kept < 12
    sys.path.insert(0, tests)
    try:
        from _kill_target import SlowCentroid
    finally:
        sys.path.remove(tests)
    from sklearn.datasets import make_classification

    data = {f"d{i}": make_classification(n_samples=60, n_features=4, random_state=i)
            for i in range(3)}  # fmt: skip
    reference = run_benchmark({"slow": SlowCentroid(delay=0.0)}, data, cv=4, store=tmp_path / "x",
                            progress=False)  # fmt: skip
    again = run_benchmark({"slow": SlowCentroid(delay=0.2)}, data, cv=4, store=store,
                          progress=False)  # fmt: skip
    assert again.n_resumed == kept and again.is_complete
    pd.testing.assert_frame_equal(again.score_table(), reference.score_table())
