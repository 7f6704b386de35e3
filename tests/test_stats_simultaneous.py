"""Tests of clfcompare.stats.simultaneous (max-|t| simultaneous inference) and its figure.

References: corrected_ttest and conservative_z (one comparison: the same numbers), SciPy's
tukey_hsd, dunnett, studentized_range and multivariate_t (the joint reference), and a
simulation of the family-wise error under a global null.
"""

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.plots import plot_simultaneous_intervals
from clfcompare.stats import (
    SIMULTANEOUS_COLUMNS,
    conservative_z,
    corrected_ttest,
    simultaneous_comparisons,
)


def _nb_scores(rng, n_splits, n_models, ratio, shifts=None, corr=0.5, sd=0.02):
    """Split x model scores whose mean vector has covariance (1/J + ratio) * Sigma_e exactly:
    x_j = mu + U + E_j, U ~ N(0, ratio * Sigma_e) shared by the splits, E_j ~ N(0, Sigma_e)."""
    sigma = sd**2 * (corr * np.ones((n_models, n_models)) + (1 - corr) * np.eye(n_models))
    root = np.linalg.cholesky(sigma)
    u = math.sqrt(ratio) * root @ rng.standard_normal(n_models)
    e = rng.standard_normal((n_splits, n_models)) @ root.T
    mu = 0.8 + (np.zeros(n_models) if shifts is None else np.asarray(shifts))
    return mu + u + e


# --------------------------------------------------------------------------------------------
# one comparison: the two-model tests' numbers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_models_reduce_to_the_corrected_ttest(seed):
    rng = np.random.default_rng(seed)
    table = _nb_scores(rng, 30, 2, 0.25, shifts=[0.0, 0.005])
    res = simultaneous_comparisons(table, 80, 20, models=["a", "b"])
    ref = corrected_ttest(table[:, 0], table[:, 1], 80, 20)
    row = res.table.iloc[0]
    assert res.variance == "corrected" and res.df == 29
    assert_allclose(row["statistic"], ref.statistic, rtol=1e-12)
    assert_allclose(row["pvalue"], ref.pvalue, rtol=1e-12)
    assert_allclose(row["pvalue_adjusted"], ref.pvalue, rtol=1e-12)  # exact, no Monte Carlo
    assert_allclose([row["ci_low"], row["ci_high"]], [ref.ci_low, ref.ci_high], rtol=1e-12)
    assert_allclose(row["std_error"], ref.std_error, rtol=1e-12)
    assert res.critical_value_mc_error == 0 and res.n_draws == 0
    assert list(res.table.columns) == list(SIMULTANEOUS_COLUMNS)


def test_two_models_with_halves_reduce_to_conservative_z():
    rng = np.random.default_rng(3)
    table = _nb_scores(rng, 50, 2, 0.1, shifts=[0.0, 0.01])
    halves = 0.78 + rng.normal(0, 0.02, (10, 2, 5, 2))
    res = simultaneous_comparisons(table, 270, 30, half_scores=halves, models=["a", "b"])
    ref = conservative_z(table[:, 0], table[:, 1], halves[..., 0], halves[..., 1])
    row = res.table.iloc[0]
    assert res.variance == "conservative" and math.isinf(res.df)
    assert_allclose(row["statistic"], ref.statistic, rtol=1e-12)
    assert_allclose(row["pvalue_adjusted"], ref.pvalue, rtol=1e-12)
    assert_allclose([row["ci_low"], row["ci_high"]], [ref.ci_low, ref.ci_high], rtol=1e-12)
    # the closed form of the contract: sigma2 = (1/(2M)) sum_m (mu_m^0 - mu_m^1)^2
    mu = (halves[..., 0] - halves[..., 1]).mean(axis=2)
    sigma2 = np.sum((mu[:, 0] - mu[:, 1]) ** 2) / 20
    assert_allclose(row["std_error"], math.sqrt(sigma2), rtol=1e-12)
    # (M, 2, k) already averaged over inner folds gives the same
    res2 = simultaneous_comparisons(table, 270, 30, half_scores=halves.mean(axis=2))
    assert_allclose(res2.table["statistic"], res.table["statistic"], rtol=1e-12)


def test_pairwise_standard_errors_are_each_pairs_corrected_ttest():
    rng = np.random.default_rng(4)
    table = _nb_scores(rng, 40, 4, 0.2, shifts=[0, 0.01, 0.0, -0.01])
    res = simultaneous_comparisons(table, 160, 40)
    assert len(res.table) == 6
    for row in res.table.itertuples(index=False):
        i, j = int(row.model_a[-1]), int(row.model_b[-1])
        ref = corrected_ttest(table[:, i], table[:, j], 160, 40)
        assert_allclose([row.statistic, row.pvalue], [ref.statistic, ref.pvalue], rtol=1e-10)
        assert row.pvalue <= row.pvalue_adjusted <= min(1, 6 * row.pvalue) + 1e-15
    # simultaneous intervals are wider than the per-pair ones, narrower than Bonferroni's
    q1, qb = sps.t.isf(0.025, 39), sps.t.isf(0.025 / 6, 39)
    assert q1 < res.critical_value < qb


# --------------------------------------------------------------------------------------------
# the joint reference against SciPy (independent groups, pooled variance)
# --------------------------------------------------------------------------------------------
def _table_with_exact_covariance(rng, means, variance, n_splits):
    """Split x model table whose column means are ``means`` and whose sample covariance is
    exactly ``variance * I`` (orthonormal centred columns)."""
    k = len(means)
    z = rng.standard_normal((n_splits, k))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    return np.asarray(means) + q * math.sqrt((n_splits - 1) * variance)


def _groups_and_matched_table(seed, k=4, n=8):
    """k independent normal groups of n, and a split table whose corrected covariance equals
    the pooled one-way ANOVA covariance: same means, variance MSE, factor 1/n, df k(n-1)."""
    rng = np.random.default_rng(seed)
    groups = [rng.normal(0.8 + 0.02 * i * (i % 2), 0.03, n) for i in range(k)]
    means = [g.mean() for g in groups]
    mse = sum(((g - g.mean()) ** 2).sum() for g in groups) / (k * (n - 1))
    n_splits = k * (n - 1) + 1  # df = J - 1 = k (n - 1)
    table = _table_with_exact_covariance(rng, means, mse, n_splits)
    ratio = 1 / n - 1 / n_splits  # 1/J + n_test/n_train = 1/n
    return groups, table, ratio


@pytest.mark.parametrize("seed", [0, 1])
def test_all_pairs_match_scipy_tukey_hsd(seed):
    groups, table, ratio = _groups_and_matched_table(seed)
    # a pooled variance: Tukey's reference is the multivariate t with one denominator
    res = simultaneous_comparisons(
        table, 1.0, ratio, confidence_level=0.95, reference="multivariate_t"
    )
    ref = sps.tukey_hsd(*groups)
    ref_ci = ref.confidence_interval(0.95)
    k, df = len(groups), table.shape[0] - 1
    q_ref = sps.studentized_range.ppf(0.95, k, df) / math.sqrt(2)
    # tolerance: 4 Monte Carlo standard errors (reported by the result)
    assert abs(res.critical_value - q_ref) < 4 * res.critical_value_mc_error
    assert 0 < res.critical_value_mc_error < 0.01
    tol_p = 4 * res.pvalue_mc_error + 1e-6
    for row in res.table.itertuples(index=False):
        i, j = int(row.model_a[-1]), int(row.model_b[-1])
        assert_allclose(row.mean_difference, ref.statistic[i, j], rtol=1e-10)
        assert abs(row.pvalue_adjusted - ref.pvalue[i, j]) < tol_p
        tol_ci = 4 * res.critical_value_mc_error * row.std_error + 1e-12
        assert abs(row.ci_low - ref_ci.low[i, j]) < tol_ci
        assert abs(row.ci_high - ref_ci.high[i, j]) < tol_ci


@pytest.mark.parametrize("seed", [0, 1])
def test_baseline_matches_scipy_dunnett(seed):
    groups, table, ratio = _groups_and_matched_table(seed, k=4, n=10)
    names = ["base", "m1", "m2", "m3"]
    res = simultaneous_comparisons(
        table, 1.0, ratio, baseline="base", models=names, reference="multivariate_t"
    )
    ref = sps.dunnett(*groups[1:], control=groups[0], random_state=0)
    ref_ci = ref.confidence_interval(0.95)
    assert list(res.table["model_b"]) == ["base"] * 3
    # SciPy's own cdf is quasi-Monte Carlo too: 4 of our MC errors plus 2e-3 for it
    tol_p = 4 * res.pvalue_mc_error + 2e-3
    assert_allclose(
        res.table["mean_difference"],
        ref.statistic * 0 + [g.mean() - groups[0].mean() for g in groups[1:]],
        rtol=1e-10,
    )
    assert np.all(np.abs(res.table["pvalue_adjusted"].to_numpy() - ref.pvalue) < tol_p)
    half = (ref_ci.high - ref_ci.low) / 2
    q_ref = half[0] / res.table["std_error"].iloc[0]
    assert abs(res.critical_value - q_ref) < 4 * res.critical_value_mc_error + 5e-3


def test_critical_value_matches_multivariate_t_cdf_for_correlated_comparisons():
    # a non-Tukey correlation (unequal variances and correlated models), baseline family:
    # P(max |T| <= q) from scipy.stats.multivariate_t.cdf must be the confidence level
    rng = np.random.default_rng(7)
    table = _nb_scores(rng, 25, 4, 0.1, corr=0.6) * [1.0, 1.5, 0.7, 1.2]
    res = simultaneous_comparisons(table, 90, 10, baseline="model_0", reference="multivariate_t")
    q = res.critical_value
    corr = np.ascontiguousarray(res.correlation.to_numpy())
    mvt = sps.multivariate_t(loc=np.zeros(3), shape=corr, df=res.df)
    cover = mvt.cdf(np.full(3, q), lower_limit=np.full(3, -q), random_state=1, maxpts=200_000)
    # tolerance: the MC error of q moved through the density, plus SciPy's integration error
    assert abs(cover - 0.95) < 2e-3
    assert not np.allclose(corr[np.triu_indices(3, 1)], 0.5, atol=0.05)  # not Dunnett's


@pytest.mark.parametrize("baseline", [None, "model_1"])
def test_wishart_reference_is_the_statistics_own_distribution(baseline):
    # the default reference against a direct simulation of the statistic: data sets of J rows
    # drawn with the estimated covariance, each pair's corrected t computed from scratch
    rng = np.random.default_rng(10)
    j, ratio = 12, 0.2
    table = _nb_scores(rng, j, 4, ratio, corr=0.4) * [1.0, 1.4, 0.8, 1.1]
    res = simultaneous_comparisons(table, 1 / ratio, 1.0, baseline=baseline)
    assert res.reference == "wishart" and res.df == j - 1
    centred = table - table.mean(axis=0)
    root = np.linalg.cholesky(centred.T @ centred / (j - 1))
    pairs = (
        [(i, k) for i in range(4) for k in range(i + 1, 4)]
        if baseline is None
        else [(i, 1) for i in (0, 2, 3)]
    )
    n_sim = 80_000
    x = rng.standard_normal((n_sim, j, 4)) @ root.T
    u = math.sqrt(ratio) * rng.standard_normal((n_sim, 4)) @ root.T  # the shared part
    x += u[:, None, :]
    d = np.stack([x[..., a] - x[..., b] for a, b in pairs], axis=-1)
    t = d.mean(axis=1) / np.sqrt((1 / j + ratio) * d.var(axis=1, ddof=1))
    q_direct = np.quantile(np.abs(t).max(axis=1), 0.95)
    # tolerance: 4 x the direct quantile's MC error at 80,000 draws (sd 0.011, measured over
    # repeats) plus 4 x ours; the multivariate t's value is 0.08-0.13 away (it fails this)
    tol = 0.045 + 4 * res.critical_value_mc_error
    assert abs(res.critical_value - q_direct) < tol
    mvt = simultaneous_comparisons(
        table, 1 / ratio, 1.0, baseline=baseline, reference="multivariate_t"
    )
    assert res.critical_value > mvt.critical_value  # own variances: a heavier tail
    assert abs(mvt.critical_value - q_direct) > tol


# --------------------------------------------------------------------------------------------
# family-wise error under a global null (simulation)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("baseline", [None, "model_0"])
def test_family_wise_error_is_alpha_within_monte_carlo_error(baseline):
    # R = 200 data sets of correlated normal scores where Nadeau-Bengio's factor is exact
    # (shared part with covariance n_test/n_train * Sigma_e), all models equal: FWER = P(any
    # adjusted p < 0.05). MC SE of a rate 0.05 at R = 200 is 0.0154; accept within 3 SE.
    rng = np.random.default_rng(2024)
    reps, alpha = 200, 0.05
    hits_adj = hits_raw = 0
    for _ in range(reps):
        table = _nb_scores(rng, 20, 4, 0.25, corr=0.3)
        res = simultaneous_comparisons(table, 80, 20, baseline=baseline, n_draws=20_000)
        hits_adj += bool((res.table["pvalue_adjusted"] < alpha).any())
        hits_raw += bool((res.table["pvalue"] < alpha).any())
    fwer, raw = hits_adj / reps, hits_raw / reps
    se = math.sqrt(alpha * (1 - alpha) / reps)
    assert abs(fwer - alpha) < 3 * se, fwer
    # the unadjusted tests do not hold the family's level (they can fail this suite)
    assert raw > alpha + 3 * se, raw


# --------------------------------------------------------------------------------------------
# a results object, degenerate inputs, errors
# --------------------------------------------------------------------------------------------
def _fake_results(table, halves, names, n_train=120, n_test=30):
    j, k = table.shape
    m, _, f, _ = halves.shape
    main = pd.DataFrame(table, columns=names, index=pd.Index(range(j), name="split"))
    idx = pd.MultiIndex.from_product(
        [range(m), range(2), range(f)], names=["partition", "half", "fold"]
    )
    half = pd.DataFrame(halves.reshape(-1, k), columns=names, index=idx)
    rows = [
        {"model": n, "split": s, "n_train": n_train, "n_test": n_test, "accuracy": table[s, i]}
        for s in range(j)
        for i, n in enumerate(names)
    ]

    def score_table(metric="accuracy", role="main"):
        assert metric == "accuracy"
        return main if role == "main" else half.sample(frac=1, random_state=0)  # unsorted

    design = {
        "kind": "halves",
        "n_main": j,
        "n_splits": 5,
        "n_repeats": j // 5,
        "n_partitions": m,
        "inner_splits": f,
    }
    return SimpleNamespace(
        scores=pd.DataFrame(rows), models=tuple(names), design=design, score_table=score_table
    )


def test_results_object_reads_sizes_and_halves():
    rng = np.random.default_rng(5)
    names = ["lr", "mlp", "tree"]
    table = _nb_scores(rng, 20, 3, 0.25)
    halves = 0.8 + rng.normal(0, 0.02, (10, 2, 2, 3))
    results = _fake_results(table, halves, names)
    res = simultaneous_comparisons(results, random_state=3)
    ref = simultaneous_comparisons(
        table, 120, 30, half_scores=halves, models=names, random_state=3
    )
    assert res.variance == "conservative"
    pd.testing.assert_frame_equal(res.table, ref.table)
    corrected = simultaneous_comparisons(results, variance="corrected", random_state=3)
    ref_c = simultaneous_comparisons(table, 120, 30, models=names, random_state=3)
    pd.testing.assert_frame_equal(corrected.table, ref_c.table)


def test_trial_results_with_halves_agree_with_compare():
    # a real run of the issue-11 design: the per-pair statistics and raw p-values are those of
    # compare(test="auto") (the conservative Z), and the corrected variant those of its
    # corrected t; sizes come from split_sizes()
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier

    from clfcompare.stats import compare
    from clfcompare.trials import RepeatedKFoldWithHalves, run_trials

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = (x[:, 0] + rng.normal(0, 1, 120) > 0).astype(int)
    cv = RepeatedKFoldWithHalves(n_splits=4, n_repeats=3, n_partitions=5, random_state=0)
    models = {"lr": LogisticRegression(), "nb": GaussianNB(), "knn": KNeighborsClassifier(1)}
    results = run_trials(models, x, y, cv=cv, progress=False)
    for variance, test in (("auto", "auto"), ("corrected", "corrected_ttest")):
        res = simultaneous_comparisons(results, variance=variance)
        ref = compare(results, test=test, correction="none")
        assert res.variance == ("conservative" if test == "auto" else "corrected")
        assert list(ref["test"].unique()) == ["conservative_z" if test == "auto" else test]
        assert_allclose(res.table["statistic"], ref["statistic"], rtol=1e-10)
        assert_allclose(res.table["pvalue"], ref["pvalue"], rtol=1e-10)
        assert_allclose(res.table["mean_difference"], ref["mean_difference"], rtol=1e-10)
        assert res.n_splits == 12


def test_identical_and_constantly_shifted_models():
    rng = np.random.default_rng(6)
    base = _nb_scores(rng, 20, 2, 0.25)
    table = np.column_stack([base, base[:, 0], base[:, 0] + 0.01])
    res = simultaneous_comparisons(table, 80, 20, models=["a", "b", "a2", "a3"])
    t = res.table.set_index(["model_a", "model_b"])
    assert t.loc[("a", "a2"), "statistic"] == 0 and t.loc[("a", "a2"), "pvalue_adjusted"] == 1
    assert t.loc[("a2", "a3"), "statistic"] == -math.inf
    assert t.loc[("a2", "a3"), "pvalue_adjusted"] == 0
    assert np.isfinite(res.critical_value)
    assert np.all(np.isfinite(res.correlation.to_numpy()))


def test_deterministic_for_a_seed_and_the_mc_error_is_small():
    rng = np.random.default_rng(8)
    table = _nb_scores(rng, 30, 5, 0.2)
    r1 = simultaneous_comparisons(table, 80, 20, random_state=11)
    r2 = simultaneous_comparisons(table, 80, 20, random_state=11)
    r3 = simultaneous_comparisons(table, 80, 20, random_state=12)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    assert abs(r1.critical_value - r3.critical_value) < 5 * r1.critical_value_mc_error
    assert r1.critical_value_mc_error < 0.01 and r1.pvalue_mc_error < 0.0012


def test_bad_inputs_raise_clear_errors():
    table = np.random.default_rng(0).normal(0.8, 0.02, (10, 3))
    with pytest.raises(ValueError, match="at least 2 models"):
        simultaneous_comparisons(table[:, :1], 80, 20)
    with pytest.raises(ValueError, match="at least 2 splits"):
        simultaneous_comparisons(table[:1], 80, 20)
    with pytest.raises(ValueError, match="2-dimensional"):
        simultaneous_comparisons(table[:, 0], 80, 20)
    with pytest.raises(ValueError, match="baseline 'x' is not one of"):
        simultaneous_comparisons(table, 80, 20, baseline="x")
    bad = table.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        simultaneous_comparisons(bad, 80, 20)
    with pytest.raises(ValueError, match="needs n_train and n_test"):
        simultaneous_comparisons(table)
    with pytest.raises(ValueError, match="needs half_scores"):
        simultaneous_comparisons(table, 80, 20, variance="conservative")
    with pytest.raises(ValueError, match=r"half_scores must be shaped \(M, 2, F, k\)"):
        simultaneous_comparisons(table, 80, 20, half_scores=np.zeros((5, 2, 2, 4)))
    with pytest.raises(ValueError, match="confidence_level"):
        simultaneous_comparisons(table, 80, 20, confidence_level=1.0)
    with pytest.raises(ValueError, match="unique"):
        simultaneous_comparisons(table, 80, 20, models=["a", "a", "b"])
    with pytest.raises(ValueError, match="n_train must be positive"):
        simultaneous_comparisons(table, 0, 20)


# --------------------------------------------------------------------------------------------
# the figure
# --------------------------------------------------------------------------------------------
def test_plot_simultaneous_intervals_draws_each_interval():
    rng = np.random.default_rng(9)
    table = _nb_scores(rng, 30, 3, 0.2, shifts=[0, 0, 0.03])
    res = simultaneous_comparisons(table, 80, 20, models=["a", "b", "c"])
    fig, ax = plt.subplots()
    out = plot_simultaneous_intervals(res, ax=ax)
    assert out is ax
    labels = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert labels == {2: "a − b", 1: "a − c", 0: "b − c"}  # first comparison on top
    segments = [
        line.get_xdata()
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] != line.get_xdata()[1]
    ]
    assert_allclose(sorted(s[0] for s in segments), sorted(res.table["ci_low"]), rtol=1e-12)
    assert "95% intervals" in ax.get_title()
    plt.close(fig)
    ax2 = plot_simultaneous_intervals(res)
    assert ax2.figure is not None
    plt.close(ax2.figure)
    with pytest.raises(TypeError, match="SimultaneousResult"):
        plot_simultaneous_intervals(res.table)
