"""Tests of the issue-11 trial designs: RepeatedKFoldWithHalves, per-split seeds, split x seed.

References: the main splits against scikit-learn's RepeatedStratifiedKFold/RepeatedKFold; the
half splits against set arithmetic on the rows; the derived seeds against the documented
formula (numpy's SeedSequence, computed here) and against
``clone(est).set_params(random_state=seed).fit`` on the same split; tables against numpy.
"""

import hashlib
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from clfcompare.trials import (
    RepeatedKFoldWithHalves,
    SetupMismatch,
    TrialResults,
    count_finished,
    derive_seed,
    load_results,
    run_trials,
)

DATA = Path(__file__).resolve().parent / "data"


def _seed(random_state, *key):
    """The documented derivation: SeedSequence(random_state, spawn_key=key), one uint32 word,
    shifted right by one bit (computed here, not through clfcompare)."""
    seq = np.random.SeedSequence(random_state, spawn_key=key)
    return int(seq.generate_state(1, np.uint32)[0]) >> 1


def _name_key(name):
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


class SeedCurve(DecisionTreeClassifier):
    """A tree whose ``loss_curve_`` is the ``random_state`` it was fitted with (NaN when that
    is not an int), so the trial tables show which seed every trial used."""

    def fit(self, X, y):
        super().fit(X, y)
        rs = self.random_state
        self.loss_curve_ = np.array([float(rs) if isinstance(rs, int) else np.nan])
        return self


class SeedHook(SeedCurve):
    """SeedCurve with the many-split hook, taking the per-split seeds (docs/interfaces.md)."""

    calls = []

    def fit_splits(self, X, y, train_indices, random_states=None):
        SeedHook.calls.append(None if random_states is None else list(random_states))
        states = random_states or [self.random_state] * len(train_indices)
        return [
            SeedCurve(**{**self.get_params(), "random_state": rs}).fit(X[i], y[i])
            for i, rs in zip(train_indices, states, strict=True)
        ]


class OldHook(SeedCurve):
    """A many-split hook of the old signature (no random_states)."""

    calls = 0

    def fit_splits(self, X, y, train_indices):
        OldHook.calls += 1
        return [clone(self).fit(X[i], y[i]) for i in train_indices]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
        n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    return X, y


def _seeds_used(res, model):
    """The seed of every trial of ``model``, read from its SeedCurve loss curve."""
    lc = res.loss_curves[res.loss_curves["model"] == model]
    return lc.set_index("split")["loss"]


# ------------------------------------------------------------------------- the splitter
@pytest.mark.parametrize("stratify", [True, False])
def test_main_splits_are_repeated_kfolds(data, stratify):
    X, y = data
    cv = RepeatedKFoldWithHalves(
        n_splits=5, n_repeats=3, n_partitions=2, stratify=stratify, random_state=4
    )
    splits = list(cv.split(X, y))
    assert len(splits) == cv.get_n_splits() == 15 + 2 * 2 * 2
    ref_cls = RepeatedStratifiedKFold if stratify else RepeatedKFold
    ref = list(ref_cls(n_splits=5, n_repeats=3, random_state=4).split(X, y))
    assert cv.n_main == 15
    for (train, test), (rtrain, rtest) in zip(splits[:15], ref, strict=True):
        assert_array_equal(train, rtrain)
        assert_array_equal(test, rtest)


@pytest.mark.parametrize("stratify", [True, False])
def test_half_splits_lie_inside_disjoint_stratified_halves(data, stratify):
    X, y = data
    M, F = 4, 3
    cv = RepeatedKFoldWithHalves(
        n_splits=4, n_repeats=2, n_partitions=M, inner_splits=F, stratify=stratify,
        random_state=1,
    )  # fmt: skip
    halves_splits = list(cv.split(X, y))[8:]
    assert len(halves_splits) == 2 * M * F
    rows = np.arange(len(y))
    partitions = []
    for m in range(M):
        halves = []
        for h in range(2):
            block = halves_splits[(2 * m + h) * F : (2 * m + h + 1) * F]
            tests = [test for _, test in block]
            half = np.sort(np.concatenate(tests))
            assert len(np.unique(half)) == len(half)  # the inner test folds are disjoint
            for train, test in block:
                assert not np.intersect1d(train, test).size
                # the inner CV: training rows = the half without the test fold
                assert_array_equal(np.sort(train), np.setdiff1d(half, test))
            halves.append(half)
        a, b = halves
        assert not np.intersect1d(a, b).size  # disjoint
        assert_array_equal(np.union1d(a, b), rows)  # cover every row
        assert abs(len(a) - len(b)) <= 1
        if stratify:
            counts = [np.bincount(y[half], minlength=3) for half in halves]
            assert np.abs(counts[0] - counts[1]).max() <= 1
            for _, test in halves_splits[(2 * m) * F : (2 * m + 1) * F]:
                want = np.bincount(y[a], minlength=3) / F
                assert np.abs(np.bincount(y[test], minlength=3) - want).max() < 1
        partitions.append(tuple(a))
    assert len(set(partitions)) == M  # the partitions differ


def test_splitter_is_deterministic_and_independent_of_main(data):
    X, y = data

    def run(**kw):
        return [
            (tuple(a), tuple(b)) for a, b in RepeatedKFoldWithHalves(4, 2, 3, **kw).split(X, y)
        ]

    assert run(random_state=0) == run(random_state=0)
    assert run(random_state=0)[8:] != run(random_state=1)[8:]
    # a RandomState is drawn from: two calls differ, and a fresh copy repeats the first
    rs = np.random.RandomState(0)
    cv = RepeatedKFoldWithHalves(4, 2, 3, random_state=rs)
    first = [tuple(t) for _, t in cv.split(X, y)]
    second = [tuple(t) for _, t in cv.split(X, y)]
    assert first != second
    again = RepeatedKFoldWithHalves(4, 2, 3, random_state=np.random.RandomState(0))
    assert [tuple(t) for _, t in again.split(X, y)] == first


def test_splitter_sizes_design_and_labels():
    cv = RepeatedKFoldWithHalves(n_splits=10, n_repeats=2, n_partitions=3)
    assert cv.inner_splits_ == 5  # 10-fold main -> 5-fold inside each half
    assert RepeatedKFoldWithHalves(n_splits=3).inner_splits_ == 2
    assert RepeatedKFoldWithHalves(n_splits=5, inner_splits=4).inner_splits_ == 4
    assert cv.get_n_splits() == 20 + 2 * 3 * 5
    assert cv.design() == {
        "kind": "halves", "n_main": 20, "n_splits": 10, "n_repeats": 2, "n_partitions": 3,
        "inner_splits": 5,
    }  # fmt: skip
    repeats, folds = cv.repeat_fold()
    labels = list(zip(repeats.tolist(), folds.tolist(), strict=True))
    assert len(set(labels)) == len(labels)  # every split its own (repeat, fold)
    assert labels[:11] == [(0, f) for f in range(10)] + [(1, 0)]
    # partition 1, half 0, inner fold 3: repeat R + 2 * 1 + 0 = 4
    assert labels[20 + 2 * 5 + 3] == (4, 3)
    assert "n_partitions=3" in repr(cv)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_splits": 1}, ValueError, "n_splits must be >= 2"),
        ({"n_repeats": 0}, ValueError, "n_repeats must be >= 1"),
        ({"n_partitions": 0}, ValueError, "n_partitions must be >= 1"),
        ({"inner_splits": 1}, ValueError, "inner_splits must be >= 2"),
        ({"n_partitions": 2.0}, TypeError, "n_partitions must be an int"),
        ({"stratify": "yes"}, TypeError, "stratify"),
        ({"random_state": "a"}, ValueError, "random_state must be"),
        ({"random_state": True}, TypeError, "random_state"),
    ],
)
def test_splitter_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        RepeatedKFoldWithHalves(**kwargs)


def test_stratified_splitter_needs_y(data):
    X, _ = data
    with pytest.raises(ValueError, match="needs y"):
        list(RepeatedKFoldWithHalves().split(X))


# ------------------------------------------------------------------------- run_trials with halves
def test_run_trials_records_the_design_and_roles(data, tmp_path):
    X, y = data
    cv = RepeatedKFoldWithHalves(n_splits=3, n_repeats=2, n_partitions=2, random_state=0)
    models = {"lr": LogisticRegression(), "d": DummyClassifier()}
    path = tmp_path / "h.sqlite"
    res = run_trials(models, X, y, cv=cv, store=path, progress=False)
    assert res.design == cv.design()
    assert res.n_splits == 6 + 2 * 2 * 2
    roles = res.split_roles()
    assert list(roles.columns) == ["split", "role", "repeat", "fold", "partition", "half"]
    assert (roles["role"] == "main").sum() == 6 and (roles["role"] == "half").sum() == 8
    half = roles[roles["role"] == "half"]
    assert half[["partition", "half", "fold"]].to_numpy().tolist() == [
        [m, h, f] for m in range(2) for h in range(2) for f in range(2)
    ]
    assert_array_equal(half["repeat"], 2 + 2 * half["partition"] + half["half"])
    # the roles' repeat/fold are those stored with every trial
    merged = res.scores.merge(roles, on="split", suffixes=("", "_role"))
    assert_array_equal(merged["repeat"], merged["repeat_role"])
    assert_array_equal(merged["fold"], merged["fold_role"])

    # score_table: main only by default, as for plain CV on the same main splits
    plain = run_trials(
        models, X, y, cv=RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0),
        progress=False,
    )  # fmt: skip
    pd.testing.assert_frame_equal(res.score_table(), plain.score_table())
    main_acc = res.scores[res.scores["split"] < 6]
    summ = res.summary().set_index(["model", "metric"])
    for m in models:
        v = main_acc.loc[main_acc["model"] == m, "accuracy"].to_numpy()
        assert summ.loc[(m, "accuracy"), "n"] == 6
        assert_allclose(summ.loc[(m, "accuracy"), "mean"], v.mean(), rtol=1e-15)
        assert_allclose(summ.loc[(m, "accuracy"), "std"], v.std(ddof=1), rtol=1e-12)
    halves = res.score_table("accuracy", role="half")
    assert halves.index.names == ["partition", "half", "fold"]
    assert halves.shape == (8, 2)
    splits = list(cv.split(X, y))
    for (m, h, f), row in halves.iterrows():
        train, test = splits[6 + (2 * m + h) * 2 + f]
        want = clone(models["lr"]).fit(X[train], y[train]).score(X[test], y[test])
        assert_allclose(row["lr"], want, rtol=0, atol=1e-12)
    everything = res.score_table(role="all")
    assert everything.shape == (14, 2) and list(everything.index) == list(range(14))
    sizes = res.split_sizes()
    assert_array_equal(sizes.index, res.score_table().index)
    assert_array_equal(sizes["n_test"], [len(t) for _, t in splits[:6]])
    assert_array_equal(res.split_sizes("half")["n_train"], [len(tr) for tr, _ in splits[6:]])

    # the store round trip keeps the design and the roles
    loaded = load_results(path)
    assert loaded.design == res.design
    pd.testing.assert_frame_equal(loaded.split_roles(), roles)
    pd.testing.assert_frame_equal(loaded.score_table(role="half"), halves)
    # resumed with the same set-up: nothing to run; another design is refused
    again = run_trials(models, X, y, cv=cv, store=path, progress=False)
    pd.testing.assert_frame_equal(again.scores, loaded.scores)
    other = RepeatedKFoldWithHalves(n_splits=3, n_repeats=2, n_partitions=3, random_state=0)
    with pytest.raises(SetupMismatch) as err:
        run_trials(models, X, y, cv=other, store=path, progress=False)
    assert "design" in {d.kind for d in err.value.differences}


def test_score_table_role_errors(data):
    X, y = data
    res = run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False)
    assert res.design is None
    with pytest.raises(ValueError, match="role must be one of"):
        res.score_table(role="inner")
    with pytest.raises(TypeError, match="by_seed must be a bool"):
        res.score_table(by_seed=1)
    assert res.score_table(role="half").shape == (0, 1)  # no half splits in plain CV


def test_trial_results_checks_the_design(data):
    X, y = data
    res = run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False)
    frames = (res.scores, res.predictions, res.loss_curves)
    kw = dict(models=res.models, scoring=res.scoring, n_splits=3)
    with pytest.raises(ValueError, match="design must be None or a dict"):
        TrialResults(*frames, design={"kind": "other"}, **kw)
    with pytest.raises(ValueError, match="describes 4 trials"):
        TrialResults(*frames, design={"kind": "cv", "n_main": 2, "n_seeds": 2}, **kw)


# ------------------------------------------------------------------------- seeds per split
def test_each_split_gets_its_derived_seed(data):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    models = {
        "a": SeedCurve(max_features=1, random_state=7),
        "b": SeedCurve(max_features=1, random_state=7),  # same int: the same seeds
        "c": SeedCurve(max_features=1, random_state=8),
        "none": SeedCurve(max_features=1, random_state=None),
        "rs": SeedCurve(max_features=1, random_state=np.random.RandomState(3)),
    }
    res = run_trials(models, X, y, cv=cv, progress=False)
    want = [_seed(7, s, 0) for s in range(6)]
    assert_array_equal(_seeds_used(res, "a"), want)
    assert len(set(want)) == 6
    assert_array_equal(_seeds_used(res, "b"), want)  # common random numbers
    assert_array_equal(_seeds_used(res, "c"), [_seed(8, s, 0) for s in range(6)])
    assert _seeds_used(res, "none").isna().all() and _seeds_used(res, "rs").isna().all()
    # the public helper is the same formula
    assert [derive_seed(7, s) for s in range(6)] == want
    # scores: the reference fit with the derived seed; the RandomState model as it is
    table = res.score_table()
    for s, (train, test) in enumerate(cv.split(X, y)):
        ref = clone(models["a"]).set_params(random_state=want[s]).fit(X[train], y[train])
        assert table.loc[s, "a"] == ref.score(X[test], y[test])
        ref = clone(models["rs"]).fit(X[train], y[train])
        assert table.loc[s, "rs"] == ref.score(X[test], y[test])
    # seeds="per_model": the model's name enters the key
    per = run_trials(models, X, y, cv=cv, progress=False, seeds="per_model")
    for name, rs in (("a", 7), ("b", 7)):
        assert_array_equal(
            _seeds_used(per, name), [_seed(rs, s, 0, _name_key(name)) for s in range(6)]
        )
    assert (_seeds_used(per, "a") != _seeds_used(per, "b")).all()
    assert per.seeding["seeds"] == "per_model" and res.seeding["seeds"] == "common"


def test_nested_random_states_of_a_pipeline_are_derived(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), SeedCurve(max_features=1, random_state=5))
    res = run_trials({"p": pipe}, X, y, cv=3, progress=False)
    lc = res.loss_curves
    assert_array_equal(lc["loss"], [_seed(5, s, 0) for s in range(3)])


def test_seeds_are_independent_of_n_jobs_and_of_resuming(data, tmp_path):
    X, y = data
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    models = {
        "tree": DecisionTreeClassifier(max_features=1, random_state=3),
        "hook": SeedHook(max_features=1, random_state=3),
        "seed": SeedCurve(max_features=1, random_state=3),
    }
    one = run_trials(models, X, y, cv=cv, n_jobs=1, progress=False, n_seeds=2)
    two = run_trials(models, X, y, cv=cv, n_jobs=2, progress=False, n_seeds=2)
    cols = [c for c in one.scores.columns if c != "fit_time"]
    pd.testing.assert_frame_equal(one.scores[cols], two.scores[cols])  # bitwise
    pd.testing.assert_frame_equal(one.predictions, two.predictions)
    pd.testing.assert_frame_equal(one.loss_curves, two.loss_curves)
    # resumed after losing some trials: the same seeds for the refitted ones
    path = tmp_path / "s.sqlite"
    run_trials(models, X, y, cv=cv, store=path, progress=False, n_seeds=2)
    con = sqlite3.connect(path)
    with con:
        for table in ("predictions", "loss_curves", "trials"):
            con.execute(f"DELETE FROM {table} WHERE split IN (0, 5, 9)")
    con.close()
    SeedHook.calls.clear()
    resumed = run_trials(models, X, y, cv=cv, store=path, progress=False, n_seeds=2)
    assert SeedHook.calls == [[_seed(3, s // 2, s % 2) for s in (0, 5, 9)]]
    pd.testing.assert_frame_equal(resumed.predictions, one.predictions)
    pd.testing.assert_frame_equal(resumed.loss_curves, one.loss_curves)


def test_many_split_hooks_get_the_seeds_or_are_bypassed(data):
    X, y = data
    SeedHook.calls.clear()
    OldHook.calls = 0
    models = {
        "new": SeedHook(max_features=1, random_state=2),
        "old": OldHook(max_features=1, random_state=2),
        "unseeded": SeedHook(max_features=1),
    }
    res = run_trials(models, X, y, cv=4, progress=False)
    want = [_seed(2, s, 0) for s in range(4)]
    assert SeedHook.calls == [want, None]  # one call each; none without an int seed
    assert OldHook.calls == 0  # cannot take the seeds: each split fitted alone
    assert_array_equal(_seeds_used(res, "new"), want)
    assert_array_equal(_seeds_used(res, "old"), want)


def test_torch_mlp_gets_a_seed_per_split(tmp_path):
    from clfcompare.datasets import make_curve
    from clfcompare.estimators.mlp import TorchMLPClassifier

    X, y = make_curve(2, random_state=0)
    est = TorchMLPClassifier(
        hidden_layer_sizes=(8,), max_epochs=4, batch_size=16, device="cpu", random_state=0
    )
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    res = run_trials({"mse": clone(est).set_params(loss="mse"), "ce": est}, X, y, cv=cv,
                     scoring=("accuracy", "neg_log_loss"), progress=False)  # fmt: skip
    table = res.score_table("neg_log_loss")
    for s, (train, test) in enumerate(cv.split(X, y)):
        ref = clone(est).set_params(random_state=_seed(0, s, 0)).fit(X[train], y[train])
        proba = ref.predict_proba(X[test])
        want = np.log(proba[np.arange(len(test)), y[test]]).mean()
        assert_allclose(table.loc[s, "ce"], want, rtol=1e-12)
    # the loss curves differ between splits from the first epoch (other initial weights)
    lc = res.loss_curves[(res.loss_curves["model"] == "ce") & (res.loss_curves["epoch"] == 1)]
    assert lc["loss"].nunique() == 3


# ------------------------------------------------------------------------- split x seed designs
def test_n_seeds_nested_and_crossed(data):
    X, y = data
    cv = StratifiedKFold(n_splits=3)
    models = {"t": SeedCurve(max_features=1, random_state=4), "d": DummyClassifier()}
    nested = run_trials(models, X, y, cv=cv, n_seeds=3, progress=False)
    assert nested.n_splits == 9 and nested.design == {
        "kind": "cv", "n_main": 3, "n_seeds": 3, "seed_design": "nested"
    }  # fmt: skip
    roles = nested.split_roles()
    assert_array_equal(roles["data_split"], np.repeat(np.arange(3), 3))
    assert_array_equal(roles["seed"], np.tile(np.arange(3), 3))
    assert_array_equal(roles["fold"], np.repeat(np.arange(3), 3))
    assert_array_equal(
        _seeds_used(nested, "t"), [_seed(4, s, k) for s in range(3) for k in range(3)]
    )
    crossed = run_trials(models, X, y, cv=cv, n_seeds=3, seed_design="crossed", progress=False)
    assert_array_equal(
        _seeds_used(crossed, "t"), [_seed(4, k) for s in range(3) for k in range(3)]
    )
    # n_seeds=1 nested gives the seeds of the default design
    single = run_trials(models, X, y, cv=cv, n_seeds=1, progress=False)
    plain = run_trials(models, X, y, cv=cv, progress=False)
    assert_array_equal(_seeds_used(single, "t"), _seeds_used(plain, "t"))
    assert "seed" in single.split_roles() and "seed" not in plain.split_roles()

    # score_table averages over the seeds; by_seed keeps them
    acc = nested.scores.pivot(index="split", columns="model", values="accuracy")
    mean = nested.score_table()
    assert mean.index.name == "split" and list(mean.index) == [0, 1, 2]
    for s in range(3):
        assert_allclose(mean.loc[s, "t"], acc.loc[3 * s : 3 * s + 2, "t"].mean(), rtol=1e-15)
    full = nested.score_table(by_seed=True)
    assert full.index.names == ["split", "seed"]
    assert_array_equal(full["t"], acc["t"])
    assert_array_equal(nested.split_sizes()["n_test"], [30, 30, 30])
    assert nested.summary().set_index(["model", "metric"]).loc[("t", "accuracy"), "n"] == 9


def test_halves_with_seeds(data):
    X, y = data
    cv = RepeatedKFoldWithHalves(n_splits=2, n_repeats=1, n_partitions=1, random_state=0)
    res = run_trials({"t": SeedCurve(random_state=1)}, X, y, cv=cv, n_seeds=2, progress=False)
    assert res.n_splits == (2 + 4) * 2
    roles = res.split_roles()
    assert roles["role"].tolist() == ["main"] * 4 + ["half"] * 8
    halves = res.score_table(role="half", by_seed=True)
    assert halves.index.names == ["partition", "half", "fold", "seed"] and len(halves) == 8
    assert res.score_table(role="half").shape == (4, 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_seeds": 0}, ValueError, "n_seeds must be >= 1"),
        ({"seeds": "each"}, ValueError, "seeds"),
        ({"seed_design": "grid"}, ValueError, "seed_design"),
        ({"seed_design": "crossed"}, ValueError, "needs n_seeds"),
    ],
)
def test_seed_arguments_are_checked(data, kwargs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False, **kwargs)


def test_negative_random_state_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match=r"models\['t'\] has random_state=-1"):
        run_trials({"t": DecisionTreeClassifier(random_state=-1)}, X, y, cv=3, progress=False)


def test_derive_seed_checks_its_input():
    with pytest.raises(ValueError, match="random_state must be >= 0"):
        derive_seed(-1, 0)
    with pytest.raises(TypeError, match="split must be an int"):
        derive_seed(0, 1.0)
    with pytest.raises(TypeError, match="model must be a str"):
        derive_seed(0, 1, model=3)
    assert 0 <= derive_seed(2**40, 10**6, 5) < 2**31


# ------------------------------------------------------------------------- the store and seeding
def test_store_records_and_checks_the_seeding(data, tmp_path):
    X, y = data
    path = tmp_path / "s.sqlite"
    models = {"t": SeedCurve(max_features=1, random_state=0)}
    first = run_trials(models, X, y, cv=3, store=path, progress=False)
    assert load_results(path).seeding == first.seeding == {
        "scheme": "derived-v1", "seeds": "common", "n_seeds": None, "seed_design": "nested"
    }  # fmt: skip
    with pytest.raises(SetupMismatch, match="the seeding differs") as err:
        run_trials(models, X, y, cv=3, store=path, progress=False, seeds="per_model")
    assert [d.kind for d in err.value.differences] == ["seeding"]


def _as_old_store(path):
    """Remove what issue 11 added to a store's set-up (a store of the code before it)."""
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM meta WHERE key IN ('design', 'seeding')")
    con.close()


def test_old_store_resumes_unless_seeded_trials_are_pending(data, tmp_path):
    X, y = data
    models = {
        "t": SeedCurve(max_features=1, random_state=0),
        "lr": LogisticRegression(),  # random_state=None: not seeded
    }
    path = tmp_path / "old.sqlite"
    made = run_trials(models, X, y, cv=3, store=path, progress=False)
    _as_old_store(path)
    old = load_results(path)
    assert old.design is None and old.seeding is None
    # complete: nothing to run, read as before
    again = run_trials(models, X, y, cv=3, store=path, progress=False)
    pd.testing.assert_frame_equal(again.scores, made.scores)
    # an unseeded model's trial missing: resumed
    con = sqlite3.connect(path)
    with con:
        for table in ("predictions", "loss_curves", "trials"):
            con.execute(f"DELETE FROM {table} WHERE model = 'lr' AND split = 1")
    con.close()
    resumed = run_trials(models, X, y, cv=3, store=path, progress=False)
    cols = [c for c in made.scores.columns if c != "fit_time"]
    pd.testing.assert_frame_equal(resumed.scores[cols], made.scores[cols])
    # a seeded model's trial missing: refused, the two seedings would mix
    con = sqlite3.connect(path)
    with con:
        for table in ("predictions", "loss_curves", "trials"):
            con.execute(f"DELETE FROM {table} WHERE model = 't' AND split = 2")
    con.close()
    with pytest.raises(SetupMismatch, match="would mix the two") as err:
        run_trials(models, X, y, cv=3, store=path, progress=False)
    (diff,) = err.value.differences
    assert diff.kind == "seeding" and diff.stored is None
    # adding a seeded model to an old store is refused too; an unseeded one is not
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM meta WHERE key = 'seeding'")
    con.close()
    with pytest.raises(SetupMismatch, match="would mix"):
        run_trials({"new": SeedCurve(random_state=1)}, X, y, cv=3, store=path, progress=False)
    run_trials({"d": DummyClassifier()}, X, y, cv=3, store=path, progress=False)
    assert count_finished(path, ["d"]) == 3


def test_the_hw4_store_of_the_old_code_loads_and_resumes(tmp_path):
    from clfcompare.datasets import load_curve
    from clfcompare.estimators import GaussianGenerativeClassifier, TorchMLPClassifier

    path = tmp_path / "hw4.sqlite"
    shutil.copy(DATA / "store_hw4_quick.sqlite", path)
    before = load_results(path)
    assert before.design is None and before.seeding is None and before.is_complete
    X, y = load_curve(4)
    mlp = TorchMLPClassifier(max_epochs=5, random_state=0)
    models = {
        "gaussian_shared": GaussianGenerativeClassifier(covariance="shared"),
        "mlp_mse": clone(mlp).set_params(loss="mse"),
        "mlp_ce": mlp,
    }
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    after = run_trials(models, X, y, cv=cv, store=path, progress=False)  # nothing to run
    pd.testing.assert_frame_equal(after.scores, before.scores)  # fit times too: no refit
    pd.testing.assert_frame_equal(after.predictions, before.predictions)
    # incomplete: an MLP trial missing would be refitted with a derived seed: refused
    con = sqlite3.connect(path)
    with con:
        for table in ("predictions", "loss_curves", "trials"):
            con.execute(f"DELETE FROM {table} WHERE model = 'mlp_ce' AND split = 4")
    con.close()
    with pytest.raises(SetupMismatch, match="would mix"):
        run_trials(models, X, y, cv=cv, store=path, progress=False)
    assert count_finished(path) == 17  # nothing written
