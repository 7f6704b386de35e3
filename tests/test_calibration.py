"""Tests of clfcompare.calibration: the simulation machinery and the calibration acceptance.

The learner arms are checked against scikit-learn (NearestCentroid, KNeighborsClassifier(1),
DecisionTreeClassifier) and TorchMLPClassifier fitted split by split; the arms run here at a
small size (tens of replicates), the full tables come from ``analyses/calibration.py``.

Acceptance (issue 6) is checked on a reduced number of replicates with intervals that account
for it: "not above alpha beyond Monte Carlo error" means the one-sided exact binomial test of
H0: rate <= alpha (scipy.stats.binomtest) does not reject at level 0.001; "clearly above alpha"
means the one-sided Clopper-Pearson 99.9% lower bound of the rate exceeds 2 * alpha.
"""

from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats as sps
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.proportion import proportion_confint

from clfcompare import calibration as cal
from clfcompare.calibration import _data, _learners, _simulate
from clfcompare.stats import conservative_z, corrected_ttest, mcnemar

matplotlib.use("Agg")

ALPHA = 0.05
CHECK_LEVEL = 0.001  # level of the statistical checks on simulated rates

CALIBRATED = [
    "conservative_z",
    "corrected_ttest",
    "paired_ttest_5x2cv",
    "combined_ftest_5x2cv",
    "mcnemar_exact",
    "mcnemar_chi2",
]
MISCALIBRATED = ["paired_ttest_10x10", "wilcoxon_10x10"]


# --------------------------------------------------------------------------------------------
# shared simulations (module scope: each is run once)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def null_replicates():
    # every test of cal.TESTS (about 1 s on one core: the test calls take well under 1 ms)
    return cal.simulate_replicates(1000, 0.0, ALPHA, random_state=20240601)


@pytest.fixture(scope="module")
def null_table(null_replicates):
    return cal.summarize_rejections(null_replicates, alpha=ALPHA)


@pytest.fixture(scope="module")
def power_table():
    return cal.power_curve([0.0, 0.05, 0.1, 0.15], 150, ALPHA, tests=CALIBRATED, random_state=7)


def _row(table, test, effect=0.0):
    sub = table[(table["test"] == test) & (table["effect"] == effect)]
    assert len(sub) == 1
    return sub.iloc[0]


# --------------------------------------------------------------------------------------------
# acceptance
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("test", CALIBRATED)
def test_calibrated_tests_type_one_error_not_above_alpha(null_table, test):
    row = _row(null_table, test)
    # one-sided exact binomial test of H0: rate <= alpha
    p = sps.binomtest(int(row.rejections), int(row.n_replicates), ALPHA, alternative="greater")
    assert p.pvalue > CHECK_LEVEL, (test, row.rate)


@pytest.mark.parametrize("test", MISCALIBRATED)
def test_uncorrected_tests_on_repeated_cv_reject_far_too_often(null_table, test):
    row = _row(null_table, test)
    k, n = int(row.rejections), int(row.n_replicates)
    # one-sided Clopper-Pearson lower bound (scipy.stats.binomtest)
    low = sps.binomtest(k, n).proportion_ci(1 - 2 * CHECK_LEVEL, method="exact").low
    assert low > 2 * ALPHA, (test, row.rate)


@pytest.mark.parametrize("test", CALIBRATED)
def test_power_grows_with_the_effect(power_table, test):
    sub = power_table[power_table["test"] == test].sort_values("effect")
    rates = sub["rate"].to_numpy()
    assert np.all(np.diff(rates) > 0), rates
    # at the largest effect the rate is above alpha beyond Monte Carlo error
    top = sub.iloc[-1]
    p = sps.binomtest(int(top.rejections), int(top.n_replicates), ALPHA, alternative="greater")
    assert p.pvalue < CHECK_LEVEL


def test_power_arm_true_difference_is_near_the_population_effect(power_table):
    # the closed-form expected accuracy difference of the fitted learners differs from the
    # population (infinite-training) effect only by the small finite-training loss, which is
    # O(1 / n_train) and below 3e-3 for n_train >= 150 at these accuracies
    for effect, sub in power_table.groupby("effect"):
        assert_allclose(sub["true_difference"], effect, atol=3e-3)


def test_null_is_exchangeable(null_replicates):
    # E[acc_a - acc_b] = 0 exactly; the per-replicate means average to 0 within MC error
    for _, g in null_replicates.groupby("protocol"):
        obs = g.drop_duplicates("replicate")["observed_difference"].to_numpy()
        se = obs.std(ddof=1) / np.sqrt(obs.size)
        assert abs(obs.mean()) < 4 * se
        true = g.drop_duplicates("replicate")["true_difference"].to_numpy()
        assert abs(true.mean()) < 4 * true.std(ddof=1) / np.sqrt(true.size)


def test_null_pvalues_of_corrected_ttest_are_not_concentrated_near_zero(null_replicates):
    p = null_replicates.loc[null_replicates.test == "corrected_ttest", "pvalue"].to_numpy()
    # P(p <= 0.2) <= 0.2 for a valid test: one-sided binomial check
    k = int(np.sum(p <= 0.2))
    assert sps.binomtest(k, p.size, 0.2, alternative="greater").pvalue > CHECK_LEVEL


def test_bayesian_rule_with_zero_rope_matches_corrected_ttest():
    # same posterior scale as the corrected t-test's standard error (both documented in
    # clfcompare.stats): P(mu > 0) > 0.975 or P(mu < 0) > 0.975  <=>  two-sided p < 0.05
    reps = cal.simulate_replicates(
        150,
        [0.0, 0.05],
        ALPHA,
        tests=["corrected_ttest", "bayesian_correlated_ttest"],
        rope=0.0,
        threshold=0.975,
        random_state=3,
    )
    t = reps[reps.test == "corrected_ttest"].reset_index(drop=True)
    b = reps[reps.test == "bayesian_correlated_ttest"].reset_index(drop=True)
    assert_array_equal(t["reject"].to_numpy(), b["reject"].to_numpy())
    assert t["reject"].sum() > 0
    assert_allclose(b[["prob_worse", "prob_better"]].min(axis=1), t["pvalue"] / 2, atol=1e-9)


# --------------------------------------------------------------------------------------------
# output and reproducibility
# --------------------------------------------------------------------------------------------
def test_all_tests_run_and_table_is_tidy():
    table = cal.simulate_rejection_rates(
        cal.BLOCK_SIZE + 5, 0.0, ALPHA, 60, interval="clopper-pearson", random_state=1
    )
    assert list(table["test"]) == list(cal.TESTS)
    assert list(table["protocol"]) == list(cal.TESTS.values())
    for col in ["test", "effect", "n_replicates", "rejections", "rate", "mc_se", "ci_low",
                "ci_high", "alpha"]:  # fmt: skip
        assert col in table.columns
    assert (table["n_replicates"] == cal.BLOCK_SIZE + 5).all()
    assert_allclose(table["rate"], table["rejections"] / table["n_replicates"], rtol=0, atol=0)
    r = table["rate"].to_numpy()
    assert_allclose(table["mc_se"], np.sqrt(r * (1 - r) / (cal.BLOCK_SIZE + 5)), rtol=1e-12)
    assert ((table["ci_low"] <= table["rate"]) & (table["rate"] <= table["ci_high"])).all()
    assert (table["n_undefined"] == 0).all() and (table["alpha"] == ALPHA).all()


def _numbers(frame):
    # everything but the CPU time of the test calls (the one column that is not reproducible)
    return frame.drop(columns="cpu_s")


def test_same_random_state_same_numbers_for_any_n_jobs():
    kwargs = dict(tests=["corrected_ttest", "mcnemar_exact"], random_state=11)
    one = cal.simulate_replicates(2 * cal.BLOCK_SIZE + 3, [0.0, 0.1], n_jobs=1, **kwargs)
    two = cal.simulate_replicates(2 * cal.BLOCK_SIZE + 3, [0.0, 0.1], n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(_numbers(one), _numbers(two))
    # the first replicates of a longer run are those of a shorter run
    short = cal.simulate_replicates(7, [0.0, 0.1], **kwargs)
    pd.testing.assert_frame_equal(
        _numbers(short), _numbers(one[one.replicate < 7].reset_index(drop=True))
    )
    other = cal.simulate_replicates(7, [0.0, 0.1], tests=kwargs["tests"], random_state=12)
    assert not np.allclose(other["pvalue"], short["pvalue"])


def test_seed_sequence_and_generator_random_states_are_reproducible():
    kw = dict(tests=["corrected_ttest"])
    a = cal.simulate_replicates(3, random_state=np.random.SeedSequence(5), **kw)
    b = cal.simulate_replicates(3, random_state=5, **kw)
    pd.testing.assert_frame_equal(_numbers(a), _numbers(b))
    g1 = cal.simulate_replicates(3, random_state=np.random.default_rng(2), **kw)
    g2 = cal.simulate_replicates(3, random_state=np.random.default_rng(2), **kw)
    pd.testing.assert_frame_equal(_numbers(g1), _numbers(g2))
    r1 = cal.simulate_replicates(3, random_state=np.random.RandomState(2), **kw)
    r2 = cal.simulate_replicates(3, random_state=np.random.RandomState(2), **kw)
    pd.testing.assert_frame_equal(_numbers(r1), _numbers(r2))


# --------------------------------------------------------------------------------------------
# the machinery
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("accuracy", [0.5, 0.6, 0.75, 0.9])
def test_separation_for_accuracy_inverts_bayes_accuracy(accuracy):
    d = cal.separation_for_accuracy(accuracy)
    # Bayes accuracy of N(-d/2, 1) vs N(d/2, 1) with equal priors: Phi(d/2) (closed form)
    assert_allclose(sps.norm.cdf(d / 2), accuracy, rtol=1e-12)


@pytest.mark.parametrize(
    ("threshold", "direction", "separation"),
    [(0.0, 1.0, 1.5), (0.4, 1.0, 1.0), (-0.3, -1.0, 2.0), (1.2, 1.0, 0.5)],
)
def test_conditional_accuracy_matches_monte_carlo(threshold, direction, separation):
    rng = np.random.default_rng(0)
    n = 400_000
    y = rng.integers(0, 2, n)
    x = rng.standard_normal(n) + (y - 0.5) * separation
    empirical = np.mean((direction * (x - threshold) > 0) == (y == 1))
    closed = cal.conditional_accuracy(threshold, direction, separation)
    se = np.sqrt(closed * (1 - closed) / n)
    assert abs(empirical - closed) < 5 * se


def test_stratified_fold_ids_are_balanced_and_random():
    y = np.repeat([0, 1], [31, 29])
    u = np.random.default_rng(0).random((3, 60))
    folds = cal.stratified_fold_ids(y, 10, u)
    assert folds.shape == (3, 60)
    for f in folds:
        for c, n_c in ((0, 31), (1, 29)):
            counts = np.bincount(f[y == c], minlength=10)
            assert counts.min() >= n_c // 10 and counts.max() <= n_c // 10 + 1
    assert not np.array_equal(folds[0], folds[1])


def test_fit_nearest_mean_matches_sklearn_nearest_centroid():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 40)
    x = rng.standard_normal((5, 80)) + (y - 0.5) * 0.8
    train = rng.random((5, 80)) < 0.7
    threshold, direction = cal.fit_nearest_mean(x, y, train)
    grid = np.linspace(-3, 3, 101)
    for i in range(5):
        ref = NearestCentroid().fit(x[i, train[i], None], y[train[i]])
        ours = (direction[i] * (grid - threshold[i]) > 0).astype(int)
        assert_array_equal(ours, ref.predict(grid[:, None]))


def _masks(y, b=2, seed=0):
    _, uniforms, _ = _data.draw(np.random.SeedSequence(seed).spawn(b), y.size, 1)
    return _data.split_masks(y, uniforms)


@pytest.mark.parametrize("n_features", [1, 2])
def test_vectorised_nearest_mean_matches_a_per_split_loop(n_features):
    # the vectorised fit/score path against sklearn NearestCentroid, one split at a time
    rng = np.random.default_rng(4)
    y = _data.labels(60)
    x = rng.standard_normal((2, n_features, 60)) + (y - 0.5) * 1.0
    train, test = _masks(y)
    ((acc, cond, pred),) = _learners.evaluate_nearest_mean([x], y, train, test, [1.0])
    assert acc.shape == cond.shape == (2, _data.N_SPLITS)
    for b in range(2):
        for s in range(0, _data.N_SPLITS, 7):
            tr, te = train[b, s], test[b, s]
            ref = NearestCentroid().fit(x[b][:, tr].T, y[tr])
            assert_allclose(acc[b, s], ref.score(x[b][:, te].T, y[te]), rtol=1e-12)
            assert_array_equal(pred[b, s, te], ref.predict(x[b][:, te].T) == 1)


def test_nearest_mean_one_feature_is_the_threshold_rule():
    # with one feature the arm is fit_nearest_mean's rule and conditional_accuracy's closed form
    rng = np.random.default_rng(5)
    y = _data.labels(80)
    x = rng.standard_normal((3, 1, 80)) + (y - 0.5) * 1.3
    train, test = _masks(y, b=3, seed=1)
    ((_, cond, pred),) = _learners.evaluate_nearest_mean([x], y, train, test, [1.3])
    t, s = cal.fit_nearest_mean(x[:, :, None, :][:, 0], y, train)
    assert_array_equal(pred, s[..., None] * (x[:, 0][:, None, :] - t[..., None]) > 0)
    assert_allclose(cond, cal.conditional_accuracy(t, s, 1.3), rtol=1e-12)


def test_nearest_mean_closed_form_accuracy_two_features_matches_monte_carlo():
    # a fixed linear rule on two features with class means -/+ d / (2 sqrt 2) per feature
    rng = np.random.default_rng(6)
    d, n = 1.4, 400_000
    y = _data.labels(40)
    x = rng.standard_normal((1, 2, 40)) + (y - 0.5) * d / np.sqrt(2)
    train = np.zeros((1, 1, 40), bool)
    train[0, 0, ::2] = True
    ((_, cond, _),) = _learners.evaluate_nearest_mean([x], y, train, ~train, [d])
    m1 = x[0][:, train[0, 0] & (y == 1)].mean(axis=1)
    m0 = x[0][:, train[0, 0] & (y == 0)].mean(axis=1)
    yy = rng.integers(0, 2, n)
    xx = rng.standard_normal((n, 2)) + (yy[:, None] - 0.5) * d / np.sqrt(2)
    empirical = np.mean(((xx - (m0 + m1) / 2) @ (m1 - m0) > 0) == (yy == 1))
    assert abs(empirical - cond[0, 0]) < 5 * np.sqrt(0.25 / n)


def test_one_nn_matches_sklearn_including_the_fallback():
    rng = np.random.default_rng(7)
    y = _data.labels(90)
    x = rng.standard_normal((2, 2, 90)) + (y - 0.5) * 0.8
    train, test = _masks(y, seed=2)
    ((acc, cond, pred),) = _learners.evaluate_1nn([x], y, train, test, [0.8])
    assert np.isnan(cond).all()
    for b in range(2):
        for s in range(0, _data.N_SPLITS, 5):
            tr, te = train[b, s], test[b, s]
            ref = KNeighborsClassifier(1).fit(x[b][:, tr].T, y[tr])
            assert_array_equal(pred[b, s, te], ref.predict(x[b][:, te].T) == 1)
            assert_allclose(acc[b, s], ref.score(x[b][:, te].T, y[te]), rtol=1e-12)
    # a window of one row: nearly every row falls back to the exact search
    full = _learners.nearest_training_row(x[0], train[0])
    assert_array_equal(_learners.nearest_training_row(x[0], train[0], window=1), full)


def test_tree_matches_sklearn_and_differs_from_one_nn_with_two_features():
    rng = np.random.default_rng(8)
    y = _data.labels(90)
    x = rng.standard_normal((1, 2, 90)) + (y - 0.5) * 0.9
    train, test = _masks(y, b=1, seed=3)
    picks = slice(0, _data.N_SPLITS, 10)
    train, test = train[:, picks], test[:, picks]
    ((acc, _, pred),) = _learners.evaluate_tree([x], y, train, test, [0.9])
    for s in range(train.shape[1]):
        tr, te = train[0, s], test[0, s]
        ref = DecisionTreeClassifier(random_state=0).fit(x[0][:, tr].T, y[tr])
        assert_array_equal(pred[0, s, te], ref.predict(x[0][:, te].T) == 1)
    ((_, _, nn),) = _learners.evaluate_1nn([x], y, train, test, [0.9])
    assert np.any((pred != nn) & test)  # two features: a tree is not 1-NN


def test_tree_is_one_nn_with_one_feature():
    # why the tree and 1-NN arms use two features per model: on one feature a fully grown
    # tree cuts at midpoints between neighbouring training values of different classes, which
    # is exactly where 1-NN's decision changes
    rng = np.random.default_rng(9)
    y = _data.labels(120)
    x = rng.standard_normal((2, 1, 120)) + (y - 0.5) * 1.2
    train, test = _masks(y, seed=4)
    train, test = train[:, :40], test[:, :40]
    ((_, _, tree),) = _learners.evaluate_tree([x], y, train, test, [1.2])
    ((_, _, nn),) = _learners.evaluate_1nn([x], y, train, test, [1.2])
    assert_array_equal(tree & test, nn & test)


def test_mlp_arm_networks_are_the_estimators_fits():
    # every network is TorchMLPClassifier(...).fit on the split's rows with that seed (CPU,
    # one thread: bitwise the same parameters), and the batched forward pass predicts as the
    # estimator's predict
    from clfcompare.estimators import TorchMLPClassifier

    rng = np.random.default_rng(10)
    y = _data.labels(60)
    xs = [rng.standard_normal((2, 2, 60)) + (y - 0.5) * 1.5 for _ in range(2)]
    train, test = _masks(y, seed=5)
    picks = [0, 37, 104, 110, 150]
    train, test = train[:, picks], test[:, picks]
    est = TorchMLPClassifier(hidden_layer_sizes=(6, 5), max_epochs=4, batch_size=16,
                             learning_rate=0.05, device="cpu")  # fmt: skip
    fits = {}
    for g in range(2):
        for b in range(2):
            for s in range(len(picks)):
                tr = train[b, s]
                fit = clone(est).set_params(random_state=100 * b + s)
                fits[g, b, s] = fit.fit(xs[g][b][:, tr].T, y[tr])
    seeds = np.array([[fits[0, b, s].seed_ for s in range(len(picks))] for b in range(2)])
    out = _learners.evaluate_mlp(xs, y, train, test, [0, 0], estimator=est, seeds=seeds)
    for g, (acc, _, pred) in enumerate(out):
        for b in range(2):
            for s in range(len(picks)):
                te = test[b, s]
                ref = fits[g, b, s].predict(xs[g][b][:, te].T)
                assert_array_equal(pred[b, s, te], ref == 1)
                assert_allclose(acc[b, s], np.mean(ref == y[te]), rtol=1e-12)


def test_mlp_predictions_square_loss_and_activations():
    from clfcompare.estimators import TorchMLPClassifier

    rng = np.random.default_rng(11)
    X = rng.standard_normal((50, 2))
    y = (X[:, 0] + 0.3 * rng.standard_normal(50) > 0).astype(int)
    for loss, act in (("mse", "tanh"), ("ce", "logistic"), ("mse", "identity")):
        est = TorchMLPClassifier(loss=loss, activation=act, hidden_layer_sizes=(5,),
                                 max_epochs=30, batch_size=None, learning_rate=0.05,
                                 device="cpu", random_state=0).fit(X, y)  # fmt: skip
        net = SimpleNamespace(coefs=est.coefs_, intercepts=est.intercepts_)
        pred = _learners.mlp_predictions([net], X[None], activation=act,
                                         square_loss_M=est.square_loss_M)  # fmt: skip
        assert_array_equal(pred[0], est.predict(X) == 1)


def test_holdout_predictions_feed_mcnemar_as_a_user_would():
    # re-run McNemar on the simulated hold-out predictions of one replicate
    y = _data.labels(90)
    train, test = _masks(y, b=1, seed=9)
    hold = _data.PROTOCOL_SLICES["holdout"].start
    assert int(test[0, hold].sum()) == 30
    rng = np.random.default_rng(9)
    d = cal.separation_for_accuracy(0.75)
    xs = [rng.standard_normal((1, 1, 90)) + (y - 0.5) * d for _ in range(2)]
    (_, _, pa), (_, _, pb) = _learners.evaluate_nearest_mean(xs, y, train, test, [d, d])
    te = test[0, hold]
    res = mcnemar(y[te], pa[0, hold, te].astype(int), pb[0, hold, te].astype(int))
    assert 0 <= res.pvalue <= 1 and res.n == 30


def test_split_masks_of_every_protocol():
    y = _data.labels(300)
    train, test = _masks(y, b=1)
    train, test = train[0], test[0]
    assert train.shape == (_data.N_SPLITS, 300) == (211, 300)
    assert not np.any(train & test)
    main = _data.PROTOCOL_SLICES["10x10"]
    # each repeat of the 10-fold CV tests every row once; train is the complement
    per_repeat = test[main].reshape(10, 10, 300).sum(axis=1)
    assert (per_repeat == 1).all() and (train[main] == ~test[main]).all()
    assert (test[main].sum(axis=1) == 30).all()
    assert (test[_data.PROTOCOL_SLICES["5x2"]].sum(axis=1) == 150).all()
    halves = _data.PROTOCOL_SLICES["halves"]
    h_train = train[halves].reshape(10, 2, 5, 300)
    h_test = test[halves].reshape(10, 2, 5, 300)
    # inside half h of partition m: 5 folds of 30 test rows (15 per class), 120 training rows
    assert (h_test.sum(axis=-1) == 30).all() and (h_train.sum(axis=-1) == 120).all()
    assert ((h_test & (y == 1)).sum(axis=-1) == 15).all()
    half_rows = h_test.any(axis=2)  # (10, 2, 300): the rows of each half
    assert (half_rows.sum(axis=1) == 1).all()  # the two halves partition the rows
    assert ((h_train | h_test) == half_rows[:, :, None, :]).all()
    # partitions differ
    assert not np.array_equal(half_rows[0], half_rows[1])


def test_one_feature_draws_are_the_earlier_package_draws():
    # the noise and split orders of a replicate with one feature per model are the first
    # draws of its generator, as before the half/half partitions existed
    seed = np.random.SeedSequence(3).spawn(2)[1]
    noise, uniforms, _ = _data.draw([seed], 50, 1)
    rng = np.random.default_rng(seed)
    assert_array_equal(noise[0], rng.standard_normal((2, 50)))
    assert_array_equal(uniforms[0, : _data.N_ORDERS], rng.random((_data.N_ORDERS, 50)))


def test_ten_by_ten_split_sizes_are_passed_to_the_corrected_test():
    y = _data.labels(300)
    train, test = _masks(y, b=1)
    sizes = test[:, _data.PROTOCOL_SLICES["10x10"]].sum(axis=-1)
    assert (sizes == 30).all()
    assert _simulate.size_arg(sizes) == 30 and isinstance(_simulate.size_arg(sizes), int)
    # and the simulated corrected test equals a direct call with n_train=270, n_test=30
    a = np.linspace(0.7, 0.8, 100)
    b = a[::-1].copy()
    direct = corrected_ttest(a, b, 270, 30)
    data = {"a10x10": a, "b10x10": b, "n_train": 270, "n_test": 30}
    assert _simulate.run_test("corrected_ttest", data, 0.01, 0.95, ALPHA)[0] == direct.pvalue
    halves = np.linspace(0.6, 0.9, 100).reshape(10, 2, 5)
    data.update(ahalves=halves, bhalves=halves[::-1].copy())
    ref = conservative_z(a, b, halves, halves[::-1])
    assert _simulate.run_test("conservative_z", data, 0.01, 0.95, ALPHA)[0] == ref.pvalue


@pytest.mark.parametrize(("k", "n"), [(0, 100), (3, 100), (50, 100), (100, 100), (41, 1000)])
@pytest.mark.parametrize(
    ("method", "sm_method"), [("wilson", "wilson"), ("clopper-pearson", "beta")]
)
def test_binomial_interval_matches_statsmodels(k, n, method, sm_method):
    low, high = cal.binomial_interval(k, n, method=method)
    ref = proportion_confint(k, n, alpha=0.05, method=sm_method)  # statsmodels
    assert_allclose([low, high], ref, rtol=1e-10, atol=1e-12)


def test_monte_carlo_se_formula():
    # sqrt(p (1 - p) / n) with p = 0.05, n = 1000 (closed form)
    assert_allclose(cal.monte_carlo_se(50, 1000), np.sqrt(0.05 * 0.95 / 1000), rtol=1e-14)
    assert cal.monte_carlo_se(0, 10) == 0.0


# --------------------------------------------------------------------------------------------
# the learner arms at a small size (the full tables: analyses/calibration.py)
# --------------------------------------------------------------------------------------------
def _small_mlp():
    from clfcompare.estimators import TorchMLPClassifier

    return TorchMLPClassifier(hidden_layer_sizes=(4,), max_epochs=5, batch_size=None,
                              learning_rate=0.1, device="cpu")  # fmt: skip


ARMS = {
    # learner, replicates, the power arm's effect
    "1nn": ("1nn", 50, 0.15),
    "tree": ("tree", 20, 0.2),
    "mlp": (_small_mlp, 20, 0.2),
}


@pytest.fixture(scope="module", params=list(ARMS))
def arm_table(request):
    learner, n, effect = ARMS[request.param]
    learner = learner() if callable(learner) else learner
    table = cal.simulate_rejection_rates(
        n, [0.0, effect], ALPHA, learner=learner, random_state=123,
        tests=["conservative_z", "corrected_ttest", "mcnemar_exact"],
    )  # fmt: skip
    return request.param, effect, table


def test_arm_conservative_z_holds_its_level_and_has_power(arm_table):
    name, effect, table = arm_table
    assert (table["learner"] == ("mlp" if name == "mlp" else name)).all()
    assert table.attrs["n_features"] == 2
    null = _row(table, "conservative_z")
    p = sps.binomtest(int(null.rejections), int(null.n_replicates), ALPHA, alternative="greater")
    assert p.pvalue > CHECK_LEVEL, (name, null.rate)
    for test in ("conservative_z", "corrected_ttest"):
        assert _row(table, test, effect).rate > _row(table, test).rate, (name, test)
    # the learners have no closed form: no true difference; observed differences are there
    assert table["true_difference"].isna().all()
    assert _row(table, "corrected_ttest", effect).observed_difference > 0.5 * effect


def test_arm_null_is_exchangeable():
    reps = cal.simulate_replicates(60, 0.0, learner="1nn", tests=["corrected_ttest"],
                                   random_state=4)  # fmt: skip
    obs = reps["observed_difference"].to_numpy()
    assert abs(obs.mean()) < 4 * obs.std(ddof=1) / np.sqrt(obs.size)


def test_unstable_arm_shares_model_b_across_effects():
    # model B's features do not depend on the effect: its scores are the same in every effect
    one = cal.simulate_replicates(3, [0.0, 0.1], learner="1nn", tests=["mcnemar_exact"],
                                  random_state=8)  # fmt: skip
    alone = cal.simulate_replicates(3, 0.1, learner="1nn", tests=["mcnemar_exact"],
                                    random_state=8)  # fmt: skip
    pd.testing.assert_frame_equal(
        _numbers(one[one.effect == 0.1].reset_index(drop=True)), _numbers(alone)
    )


def test_block_size_and_n_features_options():
    kw = dict(tests=["conservative_z", "corrected_ttest"], random_state=2, learner="1nn")
    a = cal.simulate_replicates(9, [0.0, 0.1], block_size=4, **kw)
    b = cal.simulate_replicates(9, [0.0, 0.1], **kw)
    pd.testing.assert_frame_equal(_numbers(a), _numbers(b))
    three = cal.simulate_replicates(4, 0.0, n_features=3, **kw)
    assert three.attrs["n_features"] == 3
    assert not np.allclose(three["pvalue"], b[b.replicate < 4]["pvalue"].iloc[:8])


def test_max_seconds_stops_after_whole_blocks():
    reps = cal.simulate_replicates(
        30, 0.0, tests=["corrected_ttest"], random_state=1, block_size=10, max_seconds=1e-9
    )
    assert reps.attrs["stopped_early"] is True
    assert sorted(reps["replicate"]) == list(range(10))  # one whole block
    full = cal.simulate_replicates(30, 0.0, tests=["corrected_ttest"], random_state=1,
                                   max_seconds=600)  # fmt: skip
    assert full.attrs["stopped_early"] is False and len(full) == 30
    # with two workers a wave is two blocks; the numbers are those of one worker
    two = cal.simulate_replicates(
        30, 0.0, tests=["corrected_ttest"], random_state=1, block_size=10, max_seconds=1e-9,
        n_jobs=2,
    )  # fmt: skip
    assert sorted(two["replicate"]) == list(range(20))
    pd.testing.assert_frame_equal(
        _numbers(two), _numbers(full[full.replicate < 20].reset_index(drop=True))
    )


def test_summary_and_figure_of_several_learners():
    import matplotlib.pyplot as plt

    kw = dict(tests=["conservative_z", "corrected_ttest"], random_state=5)
    reps = pd.concat(
        [cal.simulate_replicates(10, 0.0, learner=m, **kw) for m in ("nearest_mean", "1nn")]
    )
    table = cal.summarize_rejections(reps)
    assert list(table["learner"]) == ["nearest_mean"] * 2 + ["1nn"] * 2
    for learner, sub in table.groupby("learner"):
        own = cal.summarize_rejections(reps[reps.learner == learner])
        assert_array_equal(sub["rejections"], own["rejections"])
    ax = cal.plot_rejection_rates(table)
    assert len(ax.containers) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()][1:] == ["nearest_mean", "1nn"]
    plt.close(ax.figure)
    learners = ("1nn", "nearest_mean")
    arms = [cal.simulate_replicates(5, [0.0, 0.1], learner=m, **kw) for m in learners]
    ax = cal.plot_power_curve(cal.summarize_rejections(pd.concat(arms)))
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:4] == [f"{m}: {t}" for m in learners for t in kw["tests"]]
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learner": "svm"}, ValueError, r"learner must be one of \['nearest_mean'"),
        ({"learner": 3}, TypeError, "learner must be one of"),
        ({"learner": DecisionTreeClassifier()}, TypeError, "TorchMLPClassifier instance"),
        ({"n_features": 0}, ValueError, "n_features must be >= 1"),
        ({"block_size": 0}, ValueError, "block_size must be >= 1"),
        ({"max_seconds": 0}, ValueError, "max_seconds must be finite and in"),
    ],
)
def test_simulate_bad_learner_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        cal.simulate_replicates(2, tests=["corrected_ttest"], **kwargs)


def test_simulate_bad_mlp_options():
    from clfcompare.estimators import TorchMLPClassifier

    with pytest.raises(ValueError, match="early_stopping=True is not supported"):
        cal.simulate_replicates(2, learner=TorchMLPClassifier(early_stopping=True))
    with pytest.raises(ValueError, match="max_epochs"):
        cal.simulate_replicates(2, learner=TorchMLPClassifier(max_epochs=0))


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def test_plot_rejection_rates_draws_rates_intervals_and_alpha(null_table):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = cal.plot_rejection_rates(null_table, ax=ax)
    assert out is ax
    assert len(ax.containers) == 1  # one error-bar series (one effect)
    xs = ax.containers[0].lines[0].get_xdata()
    assert_allclose(xs, null_table["rate"])
    assert any(np.allclose(line.get_xdata(), ALPHA) for line in ax.get_lines())
    assert [t.get_text().split(" (")[0] for t in ax.get_yticklabels()] == list(null_table.test)
    plt.close(fig)


def test_plot_power_curve_one_line_per_test(power_table):
    import matplotlib.pyplot as plt

    ax = cal.plot_power_curve(power_table)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[: len(CALIBRATED)] == CALIBRATED
    assert_allclose(ax.get_lines()[0].get_ydata(), _row_rates(power_table, CALIBRATED[0]))
    plt.close(ax.figure)


def _row_rates(table, test):
    return table[table.test == test].sort_values("effect")["rate"].to_numpy()


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_replicates": 0}, ValueError, "n_replicates must be >= 1"),
        ({"n_replicates": 2.5}, TypeError, "n_replicates must be an int"),
        ({"n_replicates": True}, TypeError, "n_replicates must be an int"),
        ({"effect": 0.3}, ValueError, r"base_accuracy \+ effect must lie in \[0.5, 1\)"),
        ({"effect": -0.3}, ValueError, r"base_accuracy \+ effect"),
        ({"effect": "big"}, TypeError, "effect must be a real number"),
        ({"effect": []}, ValueError, "at least one value"),
        ({"effect": [0.0, 0.0]}, ValueError, "distinct"),
        ({"effect": float("nan")}, ValueError, "effect must be finite"),
        ({"alpha": 1.5}, ValueError, r"alpha must be finite and in \(0, 1\), got 1.5"),
        ({"alpha": 0}, ValueError, "alpha must be finite and in"),
        ({"n_samples": 10}, ValueError, "n_samples must be >= 20"),
        ({"base_accuracy": 0.4}, ValueError, r"base_accuracy must be finite and in \[0.5, 1\)"),
        ({"rope": -0.1}, ValueError, r"rope must be finite and in \[0, inf\)"),
        ({"threshold": 1.0}, ValueError, "threshold must be finite and in"),
        ({"tests": ["ttest"]}, ValueError, "unknown test"),
        ({"tests": []}, ValueError, "at least one test"),
        ({"random_state": "seed"}, TypeError, "random_state must be"),
        ({"random_state": -1}, ValueError, "random_state must be non-negative"),
        ({"n_jobs": 0}, ValueError, "n_jobs must not be 0"),
        ({"n_jobs": 1.0}, TypeError, "n_jobs must be an int"),
    ],
)
def test_simulate_bad_input(kwargs, error, match):
    args = {"n_replicates": 2, "tests": ["corrected_ttest"]} | kwargs
    with pytest.raises(error, match=match):
        cal.simulate_replicates(**args)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((5, 3), {}, ValueError, "rejections must not exceed"),
        ((-1, 3), {}, ValueError, "rejections must be >= 0"),
        ((1, 0), {}, ValueError, "n_replicates must be >= 1"),
        ((1, 3), {"method": "exact"}, ValueError, "method must be"),
        ((1, 3), {"confidence_level": 95}, ValueError, "confidence_level must be finite and in"),
    ],
)
def test_binomial_interval_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        cal.binomial_interval(*args, **kwargs)


def test_bad_tables_and_intervals():
    with pytest.raises(ValueError, match="interval must be"):
        cal.simulate_rejection_rates(2, interval="agresti", tests=["corrected_ttest"])
    with pytest.raises(TypeError, match="DataFrame"):
        cal.summarize_rejections([1, 2])
    with pytest.raises(ValueError, match="lacks the column"):
        cal.summarize_rejections(pd.DataFrame({"test": ["x"]}))
    with pytest.raises(ValueError, match="lacks the column"):
        cal.plot_rejection_rates(pd.DataFrame({"rate": [0.1]}))
    with pytest.raises(TypeError, match="DataFrame"):
        cal.plot_power_curve(None)
    with pytest.raises(ValueError, match="1-D sequence"):
        cal.power_curve(0.1)
    with pytest.raises(ValueError, match="accuracy must lie"):
        cal.separation_for_accuracy(1.0)
    with pytest.raises(ValueError, match="both classes"):
        cal.fit_nearest_mean(np.zeros(4), np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0], bool))


# --------------------------------------------------------------------------------------------
# analyses/calibration.py with several arms (its single-arm runs: tests/test_analyses.py)
# --------------------------------------------------------------------------------------------
def test_calibration_script_several_arms(tmp_path, capsys):
    import json

    from _scripts import load_script

    script = load_script("calibration")
    argv = ["--arm", "nearest_mean", "1nn", "mlp", "--device", "cpu", "--mlp-hidden", "3",
            "--mlp-epochs", "2", "--mlp-batch-size", "0", "--replicates", "6",
            "--power-replicates", "6", "--effects", "0.1", "--block-size", "3",
            "--out", str(tmp_path), "--docs-figure", str(tmp_path / "docs.png")]  # fmt: skip
    assert script.main(argv) == 0
    combined = pd.read_csv(tmp_path / "all_rates.csv")
    assert list(dict.fromkeys(combined["learner"])) == ["nearest_mean", "1nn", "mlp"]
    assert (combined["n_replicates"] == 6).all() and len(combined) == 3 * 2 * len(cal.TESTS)
    for arm in ("nearest_mean", "1nn", "mlp"):
        own = pd.read_csv(tmp_path / arm / "power_curve.csv")
        sub = combined[combined.learner == arm].reset_index(drop=True)
        pd.testing.assert_frame_equal(own.drop(columns="cpu_s"), sub.drop(columns="cpu_s"))
    summary = (tmp_path / "summary.md").read_text().splitlines()
    assert len([line for line in summary if line.startswith("| 1nn |")]) == len(cal.TESTS)
    row = combined[(combined.learner == "1nn") & (combined.test == "conservative_z")]
    null, power = row[row.effect == 0].iloc[0], row[row.effect == 0.1].iloc[0]
    interval = f"[{null.ci_low:.3f}, {null.ci_high:.3f}]"
    expected = (f"| 1nn | `conservative_z` | 10x10 CV + 10 halves | {null.rate:.3f} "
                f"{interval} | 6 | {power.rate:.3f} | 6 |")  # fmt: skip
    assert expected in summary
    for name in ("calibration_arms.png", "docs.png", "run_info.json", "mlp/rejection_rates.png"):
        assert (tmp_path / name).is_file()
    info = json.loads((tmp_path / "run_info.json").read_text())
    assert [a["arm"] for a in info["arms"]] == ["nearest_mean", "1nn", "mlp"]
    assert info["arms"][2]["n_features"] == 2 and info["torch"]["device"] == "cpu"
    # --max-seconds: whole blocks, fewer replicates, said in the output
    assert script.main([*argv[:12], "--replicates", "9", "--power-replicates", "9",
                        "--effects", "0.1", "--block-size", "3", "--max-seconds", "1e-6",
                        "--out", str(tmp_path / "cut")]) == 0  # fmt: skip
    cut = pd.read_csv(tmp_path / "cut" / "all_rates.csv")
    assert (cut["n_replicates"] == 3).all()
    assert "stopped early at --max-seconds" in capsys.readouterr().out


def test_calibration_script_refuses_a_cuda_run_without_cuda(tmp_path, capsys):
    import torch
    from _scripts import load_script

    if torch.cuda.is_available():
        pytest.skip("torch sees a CUDA device")
    script = load_script("calibration")
    argv = ["--arm", "mlp", "--device", "cuda", "--replicates", "3", "--out", str(tmp_path)]
    assert script.main([*argv, "--power-replicates", "3"]) == 2
    assert "torch sees no CUDA device" in capsys.readouterr().err
