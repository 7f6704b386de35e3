"""Tests of the split x seed variance components (clfcompare/trials/_variance.py).

References: closed forms on constructed grids whose mean squares are known by construction;
statsmodels' ANOVA tables (mean squares) and MixedLM REML fits (the random-effects variances);
a Monte Carlo check that the estimators are unbiased for known components.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from clfcompare.trials import (
    VARIANCE_COLUMNS,
    RepeatedKFoldWithHalves,
    anova_components,
    run_trials,
    variance_components,
)


def _centred(rng, shape, axes):
    e = rng.normal(size=shape)
    for axis in axes:
        e = e - e.mean(axis=axis, keepdims=True)
    return e


def _long(grid):
    D, S = grid.shape
    return pd.DataFrame(
        {
            "y": grid.ravel(),
            "split": np.repeat(np.arange(D), S).astype(str),
            "seed": np.tile(np.arange(S), D).astype(str),
        }
    )


# ------------------------------------------------------------------------- closed forms
def test_nested_closed_form_on_a_constructed_grid():
    rng = np.random.default_rng(0)
    D, S = 6, 4
    a = np.array([0.3, -0.1, 0.2, -0.4, 0.0, 0.0])
    a = a - a.mean()
    e = _centred(rng, (D, S), axes=[1])  # zero mean within every split
    e *= 0.05 / np.sqrt((e**2).sum() / (D * (S - 1)))  # within mean square exactly 0.0025
    grid = 0.8 + a[:, None] + e
    out = anova_components(grid).set_index("component")
    ms_split = S * a.var(ddof=1)
    assert_allclose(out.loc["split", "mean_square"], ms_split, rtol=1e-12)
    assert_allclose(out.loc["seed", "mean_square"], 0.0025, rtol=1e-12)
    assert_allclose(out.loc["split", "variance"], a.var(ddof=1) - 0.0025 / S, rtol=1e-12)
    assert_allclose(out.loc["seed", "variance"], 0.0025, rtol=1e-12)
    assert out["df"].tolist() == [D - 1, D * (S - 1)]
    assert_allclose(out["share"].sum(), 1.0, rtol=1e-15)
    assert_allclose(
        out.loc["seed", "share"], 0.0025 / (a.var(ddof=1) - 0.0025 / S + 0.0025), rtol=1e-12
    )


def test_crossed_closed_form_on_a_constructed_grid():
    rng = np.random.default_rng(1)
    D, S = 5, 4
    a = rng.normal(size=D)
    a -= a.mean()
    b = np.array([0.5, -0.5, 0.25, -0.25])
    e = _centred(rng, (D, S), axes=[0, 1])  # zero row and column means: pure interaction
    ss_e = (e**2).sum()
    grid = 2.0 + a[:, None] + b[None, :] + e
    out = anova_components(grid, design="crossed").set_index("component")
    ms_res = ss_e / ((D - 1) * (S - 1))
    assert out.index.tolist() == ["split", "seed", "residual"]
    assert_allclose(out.loc["split", "mean_square"], S * a.var(ddof=1), rtol=1e-12)
    assert_allclose(out.loc["seed", "mean_square"], D * b.var(ddof=1), rtol=1e-12)
    assert_allclose(out.loc["residual", "mean_square"], ms_res, rtol=1e-12)
    assert_allclose(out.loc["split", "variance"], a.var(ddof=1) - ms_res / S, rtol=1e-12)
    assert_allclose(out.loc["seed", "variance"], b.var(ddof=1) - ms_res / D, rtol=1e-12)
    assert out["df"].tolist() == [D - 1, S - 1, (D - 1) * (S - 1)]


def test_negative_estimates_are_truncated_and_zero_variance_has_no_share():
    # split means identical: MS_split = 0 < MS_within
    grid = np.array([[1.0, 2.0], [2.0, 1.0], [1.5, 1.5]])
    out = anova_components(grid).set_index("component")
    assert out.loc["split", "mean_square"] == 0.0
    assert out.loc["split", "variance"] == 0.0 and out.loc["seed", "share"] == 1.0
    flat = anova_components(np.full((3, 2), 0.7))
    assert (flat["variance"] == 0).all() and flat["share"].isna().all()


# ------------------------------------------------------------------------- statsmodels
def test_mean_squares_equal_statsmodels_anova():
    smf = pytest.importorskip("statsmodels.formula.api")
    from statsmodels.stats.anova import anova_lm

    rng = np.random.default_rng(2)
    grid = rng.normal(size=(7, 3)) + rng.normal(size=(7, 1)) + rng.normal(size=(1, 3))
    df = _long(grid)
    nested = anova_components(grid).set_index("component")
    table = anova_lm(smf.ols("y ~ C(split)", df).fit())
    assert_allclose(nested.loc["split", "mean_square"], table.loc["C(split)", "mean_sq"], 1e-10)
    assert_allclose(nested.loc["seed", "mean_square"], table.loc["Residual", "mean_sq"], 1e-10)
    crossed = anova_components(grid, design="crossed").set_index("component")
    table = anova_lm(smf.ols("y ~ C(split) + C(seed)", df).fit())
    assert_allclose(crossed.loc["split", "mean_square"], table.loc["C(split)", "mean_sq"], 1e-10)
    assert_allclose(crossed.loc["seed", "mean_square"], table.loc["C(seed)", "mean_sq"], 1e-10)
    assert_allclose(
        crossed.loc["residual", "mean_square"], table.loc["Residual", "mean_sq"], 1e-10
    )


def test_components_equal_mixedlm_reml():
    sm = pytest.importorskip("statsmodels.api")
    smf = pytest.importorskip("statsmodels.formula.api")
    rng = np.random.default_rng(3)
    D, S = 12, 4
    grid = 0.7 + 0.05 * rng.normal(size=(D, 1)) + 0.03 * rng.normal(size=(D, S))
    df = _long(grid)
    ours = anova_components(grid).set_index("component")["variance"]
    assert (ours > 0).all()  # REML equals ANOVA only without truncation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.mixedlm("y ~ 1", df, groups=df["split"]).fit(reml=True)
    assert_allclose(ours["split"], float(fit.cov_re.iloc[0, 0]), rtol=1e-3)
    assert_allclose(ours["seed"], fit.scale, rtol=1e-3)

    grid = (
        0.7
        + 0.05 * rng.normal(size=(D, 1))
        + 0.04 * rng.normal(size=(1, S))
        + 0.02 * rng.normal(size=(D, S))
    )
    df = _long(grid)
    ours = anova_components(grid, design="crossed").set_index("component")["variance"]
    assert (ours > 0).all()
    model = sm.MixedLM.from_formula(
        "y ~ 1",
        groups=np.ones(len(df)),
        vc_formula={"split": "0 + C(split)", "seed": "0 + C(seed)"},
        data=df,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True)
    vcomp = dict(zip(model.exog_vc.names, fit.vcomp, strict=True))
    assert_allclose(ours["split"], vcomp["split"], rtol=1e-3)
    assert_allclose(ours["seed"], vcomp["seed"], rtol=1e-3)
    assert_allclose(ours["residual"], fit.scale, rtol=1e-3)


def test_estimates_are_unbiased_for_known_components():
    rng = np.random.default_rng(4)
    R, D, S = 4000, 8, 5
    sa, sb, se = 1.0, 0.6, 0.5  # variances
    a = rng.normal(scale=np.sqrt(sa), size=(R, D, 1))
    e = rng.normal(scale=np.sqrt(se), size=(R, D, S))
    nested = np.array([anova_components(g)["variance"].to_numpy() for g in a + e])
    b = rng.normal(scale=np.sqrt(sb), size=(R, 1, S))
    crossed = np.array(
        [anova_components(g, design="crossed")["variance"].to_numpy() for g in a + b + e]
    )
    for est, truth in ((nested, [sa, se]), (crossed, [sa, sb, se])):
        mean, se_mc = est.mean(axis=0), est.std(axis=0, ddof=1) / np.sqrt(R)
        # within 4 Monte Carlo standard errors (truncation at 0 is rare at these sizes,
        # except the seed component of the crossed design, S = 5: allowed a small upward bias)
        assert (np.abs(mean - truth) < 4 * se_mc + 0.02 * np.asarray(truth)).all(), (mean, truth)


# ------------------------------------------------------------------------- from run_trials
@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=80, n_features=5, random_state=0)


def test_variance_components_of_a_run(data):
    X, y = data
    models = {
        "tree": DecisionTreeClassifier(max_features=1, random_state=0),
        "d": DummyClassifier(),
    }
    res = run_trials(models, X, y, cv=StratifiedKFold(4), n_seeds=3, progress=False)
    out = variance_components(res)
    assert tuple(out.columns) == VARIANCE_COLUMNS
    assert out["model"].tolist() == ["tree", "tree", "d", "d"]
    acc = res.scores.pivot(index="split", columns="model", values="accuracy")
    for model in models:
        grid = acc[model].to_numpy().reshape(4, 3)  # trial t = split t // 3, seed t % 3
        want = anova_components(grid)
        got = out[out["model"] == model].drop(columns="model").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    # the dummy does not depend on the seed: all its variance is the split's
    dummy = out[out["model"] == "d"].set_index("component")
    assert dummy.loc["seed", "variance"] == 0.0
    crossed = run_trials(
        models, X, y, cv=StratifiedKFold(4), n_seeds=3, seed_design="crossed", progress=False
    )
    assert variance_components(crossed)["component"].tolist()[:3] == ["split", "seed", "residual"]
    assert variance_components(crossed, design="nested")["component"].tolist()[:2] == [
        "split",
        "seed",
    ]


def test_variance_components_of_half_splits(data):
    X, y = data
    cv = RepeatedKFoldWithHalves(n_splits=2, n_repeats=2, n_partitions=2, random_state=0)
    tree = DecisionTreeClassifier(max_features=1, random_state=1)
    res = run_trials({"t": tree}, X, y, cv=cv, n_seeds=2, progress=False)
    half = variance_components(res, role="half").set_index("component")
    assert half.loc["split", "df"] == 2 * 2 * 2 - 1  # 8 (partition, half, fold) splits
    table = res.score_table(role="half", by_seed=True)["t"].unstack("seed").to_numpy()
    assert_allclose(half["variance"], anova_components(table)["variance"], rtol=1e-15)


def test_variance_components_errors(data):
    X, y = data
    plain = run_trials({"d": DummyClassifier()}, X, y, cv=3, progress=False)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        variance_components(plain)
    one = run_trials({"d": DummyClassifier()}, X, y, cv=3, n_seeds=1, progress=False)
    with pytest.raises(ValueError, match="have 1"):
        variance_components(one)
    two = run_trials({"d": DummyClassifier()}, X, y, cv=3, n_seeds=2, progress=False)
    with pytest.raises(ValueError, match="role must be"):
        variance_components(two, role="all")
    with pytest.raises(ValueError, match="metric must be one of"):
        variance_components(two, "f1")
    with pytest.raises(TypeError, match="results must be a TrialResults"):
        variance_components(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="design"):
        variance_components(two, design="split-plot")


@pytest.mark.parametrize(
    ("scores", "match"),
    [
        (np.zeros(4), "2-D"),
        ("abc", "2-D"),
        (np.zeros((1, 3)), "at least 2 data splits and 2 seeds"),
        (np.zeros((3, 1)), "at least 2 data splits and 2 seeds"),
        (np.array([[0.1, np.nan], [0.2, 0.3]]), "finite"),
    ],
)
def test_anova_components_input_errors(scores, match):
    with pytest.raises(ValueError, match=match):
        anova_components(scores)
