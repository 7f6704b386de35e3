"""Tests of clfcompare.calibration: the simulation machinery and the calibration acceptance.

Acceptance (issue 6) is checked on a reduced number of replicates with intervals that account
for it: "not above alpha beyond Monte Carlo error" means the one-sided exact binomial test of
H0: rate <= alpha (scipy.stats.binomtest) does not reject at level 0.001; "clearly above alpha"
means the one-sided Clopper-Pearson 99.9% lower bound of the rate exceeds 2 * alpha.
"""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats as sps
from sklearn.neighbors import NearestCentroid
from statsmodels.stats.proportion import proportion_confint

from clfcompare import calibration as cal
from clfcompare.stats import corrected_ttest, mcnemar

matplotlib.use("Agg")

ALPHA = 0.05
CHECK_LEVEL = 0.001  # level of the statistical checks on simulated rates

CALIBRATED = [
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


def test_vectorised_cv_scores_match_a_per_split_loop():
    # the vectorised fit/score path against sklearn NearestCentroid, one split at a time
    rng = np.random.default_rng(4)
    y = np.repeat([0, 1], 30)
    x = rng.standard_normal((2, 60)) + (y - 0.5) * 1.0
    folds = cal.stratified_fold_ids(y, 5, rng.random((2, 3, 60)))
    test_mask = folds[:, :, None, :] == np.arange(5)[:, None]
    acc, cond, pred = cal._evaluate(x, y, test_mask, 1.0)
    assert acc.shape == cond.shape == (2, 3, 5)
    for b in range(2):
        for r in range(3):
            for k in range(5):
                te = test_mask[b, r, k]
                ref = NearestCentroid().fit(x[b, ~te, None], y[~te])
                assert_allclose(acc[b, r, k], ref.score(x[b, te, None], y[te]), rtol=1e-12)
                assert_array_equal(pred[b, r, k, te], ref.predict(x[b, te, None]) == 1)


def test_holdout_predictions_feed_mcnemar_as_a_user_would():
    # re-run McNemar on the simulated hold-out predictions of one replicate
    y = cal._labels(90)
    rng = np.random.default_rng(9)
    noise = rng.standard_normal((1, 2, 90))
    u = rng.random((1, cal._N_ORDERS, 90))
    masks = cal._protocol_masks(y, u)
    hold = masks["holdout"]
    assert int(hold.sum()) == 30
    d = cal.separation_for_accuracy(0.75)
    _, _, pa = cal._evaluate(noise[:, 0] + (y - 0.5) * d, y, hold, d)
    _, _, pb = cal._evaluate(noise[:, 1] + (y - 0.5) * d, y, hold, d)
    te = hold[0, 0, 0]
    res = mcnemar(y[te], pa[0, 0, 0, te].astype(int), pb[0, 0, 0, te].astype(int))
    assert 0 <= res.pvalue <= 1 and res.n == 30


def test_ten_by_ten_split_sizes_are_passed_to_the_corrected_test():
    y = cal._labels(300)
    masks = cal._protocol_masks(y, np.random.default_rng(0).random((1, cal._N_ORDERS, 300)))
    sizes = masks["10x10"].sum(axis=-1)
    assert (sizes == 30).all() and masks["5x2"].sum(axis=-1).min() == 150
    assert cal._size_arg(sizes) == 30 and isinstance(cal._size_arg(sizes), int)
    # and the simulated corrected test equals a direct call with n_train=270, n_test=30
    a = np.linspace(0.7, 0.8, 100)
    b = a[::-1].copy()
    direct = corrected_ttest(a, b, 270, 30)
    data = {"a10x10": a, "b10x10": b, "n_train": 270, "n_test": 30}
    assert cal._run_test("corrected_ttest", data, 0.01, 0.95, ALPHA)[0] == direct.pvalue


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
