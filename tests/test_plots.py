"""Tests for clfcompare.plots: each figure has the expected artists, inputs are validated.

Headless: tests/conftest.py selects the Agg backend.
"""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_hex
from numpy.testing import assert_allclose
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from clfcompare import plots
from clfcompare.datasets import load_curve
from clfcompare.trials import TrialResults


def make_results(models=("gauss", "mlp_mse", "mlp_ce"), n_splits=12, n_epochs=6, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, m in enumerate(models):
        for s in range(n_splits):
            rows.append(
                {
                    "model": m,
                    "split": s,
                    "repeat": s // 4,
                    "fold": s % 4,
                    "n_train": 240,
                    "n_test": 80,
                    "fit_time": 0.01,
                    "accuracy": 0.6 + 0.05 * i + rng.normal(0, 0.02),
                }
            )
    curves = []
    for m, start in (("mlp_mse", 0.25), ("mlp_ce", 1.39)):
        if m not in models:
            continue
        for s in range(n_splits):
            for e in range(1, n_epochs + 1):
                curves.append(
                    {
                        "model": m,
                        "split": s,
                        "epoch": e,
                        "loss": start * 0.8 ** (e - 1) * (1 + 0.05 * rng.random()),
                    }
                )
    preds = pd.DataFrame(columns=["model", "split", "sample", "y_true", "y_pred"])
    # the real TrialResults of clfcompare.trials (the contract of docs/interfaces.md)
    return TrialResults(
        pd.DataFrame(rows),
        preds,
        pd.DataFrame(curves, columns=["model", "split", "epoch", "loss"]),
        models=models,
        scoring=("accuracy",),
        n_splits=n_splits,
    )


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- colours


def test_class_colors_start_with_the_seeds_green_and_red():
    # the seed colours predicted class 0 "green" and class 1 "red"
    assert plots.class_colors(2) == [to_hex("tab:green"), to_hex("tab:red")]


@pytest.mark.parametrize("k", [1, 4, 10, 11, 25])
def test_class_colors_are_distinct(k):
    colors = plots.class_colors(k)
    assert len(colors) == k
    assert len(set(colors)) == k


@pytest.mark.parametrize("bad, err", [(0, ValueError), (2.0, TypeError), (True, TypeError)])
def test_class_colors_validates(bad, err):
    with pytest.raises(err, match="n_classes"):
        plots.class_colors(bad)


def test_model_colors_depend_only_on_order():
    a = plots.model_colors(["x", "y", "z"])
    b = plots.model_colors(("x", "y", "z"))
    assert a == b
    assert len(set(a.values())) == 3
    assert plots.model_colors([f"m{i}" for i in range(30)]).keys() == {f"m{i}" for i in range(30)}


@pytest.mark.parametrize(
    "bad, err", [("abc", TypeError), ([], ValueError), (["a", "a"], ValueError)]
)
def test_model_colors_validates(bad, err):
    with pytest.raises(err):
        plots.model_colors(bad)


# --------------------------------------------------------------------------- curve data


@pytest.mark.parametrize("k", [2, 4])
def test_plot_curve_data_artists(k):
    X, y = load_curve(k)
    ax = plots.plot_curve_data(X, y)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == k
    assert sum(len(c.get_offsets()) for c in scatters) == len(y)
    assert len(ax.lines) == 1  # the true curve
    assert len(ax.get_legend().get_texts()) == k + 1
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    # class colours are the shared class palette
    assert [to_hex(c.get_facecolor()[0], keep_alpha=False) for c in scatters] == (
        plots.class_colors(k)
    )


def test_true_curve_runs_through_the_data():
    # class 0 and class 1 of the 2-class data are y + u and y - u with u ~ U(-0.1, 0.3)
    # (seed), so their mean is the normalised curve at every x1, to within the noise.
    X, y = load_curve(2)
    x1, x2 = plots.true_curve(80)
    mid = 0.5 * (X[y == 0, 1] + X[y == 1, 1])
    assert_allclose(x1, X[y == 0, 0], atol=1e-12)
    assert np.all(np.abs(mid - x2) <= 0.2 + 1e-12)
    assert_allclose([x2[0], x2[-1]], [0.0, 1.0], atol=1e-12)


def test_plot_curve_data_on_given_axes_without_curve():
    X, y = load_curve(2)
    fig, ax = plt.subplots()
    out = plots.plot_curve_data(X, y, ax=ax, show_curve=False, title="mine")
    assert out is ax
    assert len(ax.lines) == 0
    assert ax.get_title() == "mine"


@pytest.mark.parametrize(
    "X, y, err, match",
    [
        (np.zeros((5, 3)), np.zeros(5), ValueError, "shape"),
        (np.zeros((5, 2)), np.zeros(4), ValueError, "y must be 1-D"),
        (np.array([[0.0, np.nan], [1, 1]]), np.zeros(2), ValueError, "NaN"),
        (np.array([["a", "b"], ["c", "d"]]), np.zeros(2), TypeError, "numeric"),
        (np.zeros((0, 2)), np.zeros(0), ValueError, "empty"),
    ],
)
def test_plot_curve_data_validates(X, y, err, match):
    with pytest.raises(err, match=match):
        plots.plot_curve_data(X, y)


def test_plot_curve_data_axis_labels_are_the_feature_names_as_plain_text():
    X, y = load_curve(2)
    ax = plots.plot_curve_data(X, y)
    # the curve data: normalised x1 and x2, in mathtext
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$ (normalised)", "$x_2$")
    # other data: its column names, drawn as written. "$\\foo$" is not valid mathtext, so
    # drawing fails unless the dollars are escaped; an underscore outside math is literal
    ax = plots.plot_curve_data(X, y, show_curve=False, feature_names=["$\\foo$", "size_m"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == (r"\$\foo\$", "size_m")
    ax.figure.canvas.draw()
    ax = plots.plot_curve_data(X, y, show_curve=False, feature_names=("feature 1", "feature 2"))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("feature 1", "feature 2")
    with pytest.raises(ValueError, match="feature_names must name the 2 features, got 3"):
        plots.plot_curve_data(X, y, feature_names=["a", "b", "c"])
    with pytest.raises(TypeError, match="feature_names must be a sequence"):
        plots.plot_curve_data(X, y, feature_names="ab")


def test_plot_curve_data_rejects_non_axes():
    X, y = load_curve(2)
    with pytest.raises(TypeError, match="ax must be"):
        plots.plot_curve_data(X, y, ax="here")


# --------------------------------------------------------------------------- loss curves


def test_loss_curve_summary_matches_numpy_quantiles():
    res = make_results()
    summary = plots.loss_curve_summary(res.loss_curves)
    lc = res.loss_curves
    for (m, e), row in summary.set_index(["model", "epoch"]).iterrows():
        vals = lc.loc[(lc.model == m) & (lc.epoch == e), "loss"].to_numpy()
        # reference: numpy's linear-interpolation quantiles (pandas' default too)
        assert_allclose(
            [row.low, row["median"], row.high], np.quantile(vals, [0.25, 0.5, 0.75]), rtol=1e-12
        )
        assert row.n_trials == 12


def test_loss_curve_summary_of_no_curves_says_so():
    # an empty table crashed inside pandas ("Length mismatch: Expected axis has 0 elements")
    empty = pd.DataFrame(columns=["model", "split", "epoch", "loss"])
    with pytest.raises(ValueError, match="no loss curves"):
        plots.loss_curve_summary(empty)


@pytest.mark.parametrize(
    ("band", "err", "match"),
    [
        ((0.1, 0.5, 0.9), ValueError, "band must be 2 increasing"),  # was: "too many values"
        ((0.9, 0.1), ValueError, "band must be 2 increasing"),
        ((0.1, float("nan")), ValueError, "band must be 2 increasing"),
        (None, TypeError, "band must be 2 numbers"),
        (0.5, TypeError, "band must be 2 numbers"),
    ],
)
def test_plot_loss_curves_validates_band(band, err, match):
    with pytest.raises(err, match=match):
        plots.plot_loss_curves(make_results(), band=band)


@pytest.mark.parametrize("quantiles", [(0.5,), None, ("a", "b", "c")])
def test_loss_curve_summary_validates_quantiles(quantiles):
    with pytest.raises((TypeError, ValueError), match="quantiles must be 3"):
        plots.loss_curve_summary(make_results().loss_curves, quantiles=quantiles)


def test_plot_loss_curves_one_panel_per_model():
    res = make_results()
    fig = plots.plot_loss_curves(res)
    assert len(fig.axes) == 2  # only the models with loss curves
    colors = plots.model_colors(res.models)
    for ax, m in zip(fig.axes, ["mlp_mse", "mlp_ce"], strict=True):
        assert ax.get_title() == m
        assert len(ax.lines) == 1
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
        assert ax.get_yscale() == "log"
        assert ax.get_xlabel().startswith("epoch")
        assert ax.get_ylabel() == "training loss (log scale)"
        # the line is the per-epoch median, in the model's study colour
        lc = res.loss_curves[res.loss_curves.model == m]
        expected = lc.groupby("epoch")["loss"].median().to_numpy()
        assert_allclose(ax.lines[0].get_ydata(), expected, rtol=1e-12)
        assert to_hex(ax.lines[0].get_color()) == colors[m]
    assert fig.get_suptitle()


@pytest.mark.parametrize(
    "lo, hi, must_show",
    [
        (0.09, 0.22, ["0.1", "0.2"]),  # less than one decade: minor ticks 0.2 (and 0.09) named
        (0.55, 1.4, ["0.6", "0.7", "1"]),  # half a decade: every minor tick named
        (1e-4, 2.0, ["0.001", "0.01", "0.1", "1"]),  # several decades: decades only
        # a tenth of a decade (hw4 --quick's MSE loss): ticks every 0.005, labels distinct
        (0.188, 0.2266, ["0.19", "0.195", "0.2"]),
    ],
)
def test_plot_loss_curves_log_axis_has_plain_labels(lo, hi, must_show):
    # a loss falling geometrically from hi to lo; labels must read 0.2, not 2x10^-1
    e = np.arange(1, 6) if hi / lo < 1.5 else np.arange(1, 51)
    loss = hi * (lo / hi) ** ((e - 1) / (e[-1] - 1))
    lc = pd.DataFrame({"model": "m", "split": 0, "epoch": e, "loss": loss})
    fig = plots.plot_loss_curves(lc)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [
        t.get_text()
        for t in ax.yaxis.get_majorticklabels() + ax.yaxis.get_minorticklabels()
        if t.get_text() and lo <= t.get_position()[1] * (1 + 1e-9) and t.get_position()[1] <= hi
    ]
    assert labels, "the log axis has no labels"
    assert not [t for t in labels if "times" in t or "^" in t or "e-" in t]
    assert len(set(labels)) == len(labels), labels  # no two ticks read the same
    # whole epochs only on the x axis
    assert all(float(x).is_integer() for x in ax.get_xticks())
    for text in must_show:
        assert text in labels
    if hi / lo > 100:  # minor ticks unlabelled over several decades
        assert not [t for t in ax.yaxis.get_minorticklabels() if t.get_text()]


def test_plot_loss_curves_overlay_is_normalised_to_first_epoch():
    res = make_results()
    fig, ax = plt.subplots()
    out = plots.plot_loss_curves(res, ax=ax)
    assert out is ax
    assert len(ax.lines) == 2
    for line in ax.lines:
        assert_allclose(line.get_ydata()[0], 1.0, rtol=1e-12)
    assert "first-epoch" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 2


def test_plot_loss_curves_subset_and_linear_scale():
    res = make_results()
    fig = plots.plot_loss_curves(res, models=["mlp_ce"], log_scale=False)
    assert len(fig.axes) == 1
    assert fig.axes[0].get_yscale() == "linear"
    assert fig.axes[0].get_ylabel() == "training loss"  # "(log scale)" only when it is
    assert fig.axes[0].get_title() == "mlp_ce"


@pytest.mark.parametrize("lengths, drawn", [((10, 3, 3, 3), 3), ((10, 10, 3, 3), 10)])
def test_plot_loss_curves_drops_epochs_few_trials_reached(lengths, drawn):
    lc = pd.DataFrame(
        [
            {"model": "m", "split": s, "epoch": e, "loss": 1.0 / e}
            for s, n in enumerate(lengths)
            for e in range(1, n + 1)
        ]
    )
    fig = plots.plot_loss_curves(lc)
    ax = fig.axes[0]
    # solid (with the band) while all 4 runs count: to epoch 3, where the first ones stop
    assert_allclose(ax.lines[0].get_xdata(), np.arange(1, 4))
    assert ax.lines[0].get_linestyle() == "-"
    band = ax.collections[0].get_paths()[0].vertices[:, 0]
    assert band.max() == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    if drawn == 3:
        assert len(ax.lines) == 1 and labels == ["m (median of 4 runs, 25%–75% band)"]
    else:  # the median of the 2 runs still training, dashed, while half remain
        assert_allclose(ax.lines[1].get_xdata(), np.arange(3, drawn + 1))
        assert ax.lines[1].get_linestyle() == "--"
        assert "to epoch 3, when the first run stops" in labels[0]
        assert labels[1].startswith("median of the runs still training\n(2 down to 2 of 4")


def test_plot_loss_curves_accepts_the_dataframe():
    res = make_results()
    fig = plots.plot_loss_curves(res.loss_curves)
    assert len(fig.axes) == 2


def test_plot_loss_curves_validates():
    res = make_results()
    with pytest.raises(ValueError, match="not in results"):
        plots.plot_loss_curves(res, models=["nope"])
    with pytest.raises(ValueError, match="no loss curves"):
        plots.plot_loss_curves(make_results(models=("gauss",)))
    bad = res.loss_curves.copy()
    bad.loc[0, "loss"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plots.plot_loss_curves(bad)
    with pytest.raises(ValueError, match="lacks the column"):
        plots.plot_loss_curves(res.loss_curves.drop(columns="epoch"))
    with pytest.raises(TypeError, match="TrialResults"):
        plots.plot_loss_curves(object())


# --------------------------------------------------------------------------- decision regions


@pytest.fixture(scope="module")
def fitted_pair():
    X, y = load_curve(4)
    train = np.arange(len(y)) % 5 != 0
    ests = {
        "logistic": LogisticRegression().fit(X[train], y[train]),
        "qda": QuadraticDiscriminantAnalysis().fit(X[train], y[train]),
    }
    return ests, X[~train], y[~train]


def test_plot_decision_regions_artists(fitted_pair):
    ests, X, y = fitted_pair
    fig = plots.plot_decision_regions(ests, X, y, resolution=60)
    assert len(fig.axes) == 2
    for ax, (name, est) in zip(fig.axes, ests.items(), strict=True):
        scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(scatters) == 2  # test points, misclassified markers
        assert len(scatters[0].get_offsets()) == len(y)
        n_wrong = int((est.predict(X) != y).sum())
        assert len(scatters[1].get_offsets()) == n_wrong
        assert n_wrong > 0  # the bands overlap: no model is perfect here
        # the regions: one filled contour set
        assert len(ax.collections) == 3
        assert ax.get_title().startswith(f"{name}: accuracy {est.score(X, y):.3f}")
        assert ax.get_xlabel() and ax.get_ylabel()
        # each test point is coloured by its *predicted* class
        colors = plots.class_colors(4)
        got = [to_hex(c, keep_alpha=False) for c in scatters[0].get_facecolors()]
        assert got == [colors[int(p)] for p in est.predict(X)]
    legend = fig.legends[0]
    assert len(legend.get_texts()) == 4 + 1
    assert fig.get_suptitle()


def test_plot_decision_regions_string_labels_and_single_estimator():
    X, y = load_curve(2)
    labels = np.where(y == 0, "above", "below")
    est = LogisticRegression().fit(X, labels)
    fig = plots.plot_decision_regions(est, X, labels, resolution=30)
    assert len(fig.axes) == 1
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["predicted above", "predicted below", "misclassified"]


def test_plot_decision_regions_axis_labels(fitted_pair):
    ests, X, y = fitted_pair
    fig = plots.plot_decision_regions(ests, X, y, resolution=20)
    assert [(a.get_xlabel(), a.get_ylabel()) for a in fig.axes] == [("$x_1$", "$x_2$")] * 2
    fig = plots.plot_decision_regions(ests, X, y, resolution=20, feature_names=["$\\foo$", "b_c"])
    assert [(a.get_xlabel(), a.get_ylabel()) for a in fig.axes] == [(r"\$\foo\$", "b_c")] * 2
    fig.canvas.draw()  # fails if the dollars were read as mathtext
    with pytest.raises(ValueError, match="feature_names must name the 2 features, got 1"):
        plots.plot_decision_regions(ests, X, y, resolution=20, feature_names=["a"])


def test_plot_decision_regions_on_given_axes(fitted_pair):
    ests, X, y = fitted_pair
    fig, axes = plt.subplots(1, 2)
    out = plots.plot_decision_regions(ests, X, y, axes=axes, resolution=20)
    assert out is fig
    with pytest.raises(ValueError, match="one per estimator"):
        plots.plot_decision_regions(ests, X, y, axes=axes[:1], resolution=20)


def test_plot_decision_regions_validates(fitted_pair):
    ests, X, y = fitted_pair
    with pytest.raises(NotFittedError):
        plots.plot_decision_regions({"raw": LogisticRegression()}, X, y)
    with pytest.raises(ValueError, match="shape"):
        plots.plot_decision_regions(ests, np.column_stack([X, X[:, 0]]), y)
    with pytest.raises(ValueError, match="resolution"):
        plots.plot_decision_regions(ests, X, y, resolution=3)
    with pytest.raises(TypeError, match="predict"):
        plots.plot_decision_regions({"junk": object()}, X, y)
    with pytest.raises(ValueError, match="class_labels"):
        plots.plot_decision_regions(ests, X, y, class_labels=[0, 1], resolution=20)
    with pytest.raises(ValueError, match="no estimators"):
        plots.plot_decision_regions({}, X, y)


# --------------------------------------------------------------------------- box plot


def test_plot_scores_box_artists():
    res = make_results()
    ax = plots.plot_scores_box(res)
    table = res.score_table()
    assert [t.get_text() for t in ax.get_xticklabels()] == list(res.models)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 3
    colors = plots.model_colors(res.models)
    for sc, m in zip(scatters, res.models, strict=True):
        offsets = np.asarray(sc.get_offsets())
        # every trial is drawn, at its own score, jittered around its box
        assert_allclose(np.sort(offsets[:, 1]), np.sort(table[m].to_numpy()), rtol=1e-12)
        assert np.all(np.abs(offsets[:, 0] - (list(res.models).index(m) + 1)) <= 0.17)
        assert to_hex(sc.get_facecolor()[0], keep_alpha=False) == colors[m]
    assert len(ax.patches) == 3  # one box per model
    assert ax.get_ylabel() == "test accuracy"
    assert "12 trials" in ax.get_title()


def test_plot_scores_box_jitter_is_reproducible():
    res = make_results()
    a = plots.plot_scores_box(res, random_state=1).collections[0].get_offsets()
    b = plots.plot_scores_box(res, random_state=1).collections[0].get_offsets()
    assert_allclose(a, b, rtol=0)


def test_plot_scores_box_score_table_and_subset():
    table = pd.DataFrame({"a": [0.7, 0.8, 0.75], "b": [0.6, 0.65, 0.7], "c": [0.5, 0.5, 0.6]})
    ax = plots.plot_scores_box(table, models=["c", "a"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["c", "a"]


def test_plot_scores_box_reference_lines():
    res = make_results()
    refs = {"Bayes-optimal accuracy": 0.625, "published": 0.7}
    ax = plots.plot_scores_box(res, references=refs)
    dashed = [
        ln
        for ln in ax.lines
        if ln.get_label() in ("Bayes-optimal accuracy (0.625)", "published (0.700)")
    ]
    assert len(dashed) == 2
    for ln, v in zip(dashed, refs.values(), strict=True):
        assert_allclose(ln.get_ydata(), [v, v], rtol=0)  # a horizontal line at the value
        assert ln.get_linestyle() != "-"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Bayes-optimal accuracy (0.625)",
        "published (0.700)",
    ]
    lo, hi = ax.get_ylim()
    assert lo < 0.625 and hi > 0.7  # the lines are inside the view
    assert plots.plot_scores_box(res).get_legend() is None  # none asked: no legend


@pytest.mark.parametrize(
    "refs, err, match",
    [
        ([0.6], TypeError, "mapping"),
        ({"x": "high"}, TypeError, "must be a number"),
        ({"x": np.nan}, ValueError, "finite"),
    ],
)
def test_plot_scores_box_validates_references(refs, err, match):
    with pytest.raises(err, match=match):
        plots.plot_scores_box(make_results(), references=refs)


def test_plot_scores_box_validates():
    table = pd.DataFrame({"a": [0.7, np.nan], "b": [0.6, 0.65]})
    with pytest.raises(ValueError, match="missing or non-numeric"):
        plots.plot_scores_box(table)
    with pytest.raises(ValueError, match="not in the score table"):
        plots.plot_scores_box(table.fillna(0.5), models=["z"])
    with pytest.raises(TypeError, match="score table"):
        plots.plot_scores_box([0.1, 0.2])
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_scores_box(table.iloc[:0])


# --------------------------------------------------------------------------- CD diagram


@pytest.mark.parametrize(
    "ranks, cd, expected",
    [
        # worked by hand: sorted ranks a=1.0, b=1.5, c=3.5; only |a-b| <= 1
        ({"a": 1.0, "b": 1.5, "c": 3.5}, 1.0, [["a", "b"]]),
        # overlapping groups (Demsar 2006, Fig. 1 pattern): {a,b,c} and {c,d}
        ({"a": 1.0, "b": 1.6, "c": 2.0, "d": 2.9}, 1.0, [["a", "b", "c"], ["c", "d"]]),
        # everything within CD: one group
        ({"a": 1.0, "b": 2.0, "c": 3.0}, 5.0, [["a", "b", "c"]]),
        # CD = 0: no groups unless ranks tie exactly
        ({"a": 1.0, "b": 2.0, "c": 2.0}, 0.0, [["b", "c"]]),
    ],
)
def test_cd_cliques(ranks, cd, expected):
    assert plots.cd_cliques(ranks, cd) == expected


def test_cd_cliques_validates():
    with pytest.raises(ValueError, match="critical_difference"):
        plots.cd_cliques({"a": 1.0, "b": 2.0}, -1.0)
    with pytest.raises(ValueError, match="NaN"):
        plots.cd_cliques({"a": 1.0, "b": np.nan}, 1.0)


def test_plot_critical_difference_artists():
    ranks = {"a": 1.2, "b": 1.9, "c": 2.9, "d": 4.0}
    res = SimpleNamespace(average_ranks=ranks, critical_difference=0.8, n_blocks=50, pvalue=1e-4)
    ax = plots.plot_critical_difference(res)
    texts = [t.get_text() for t in ax.texts]
    for m, r in ranks.items():
        assert f"{m} ({r:.2f})" in texts
    assert "CD = 0.80" in texts
    assert [str(t) for t in range(1, 5)] == [t for t in texts if t.isdigit()]
    # cliques: {a, b} (0.7 <= 0.8), {b, c}? no (1.0 > 0.8); {c}, {d} alone -> one bar of width 4
    thick = [ln for ln in ax.lines if ln.get_linewidth() == 4]
    assert len(thick) == 1
    assert_allclose(thick[0].get_xdata(), [1.2 - 0.03, 1.9 + 0.03])
    assert "N = 50" in ax.get_title() and "Friedman p" in ax.get_title()


def test_plot_critical_difference_uses_model_colours():
    ranks = pd.Series({"x": 2.0, "y": 1.0})
    colors = {"x": "#000001", "y": "#000002"}
    ax = plots.plot_critical_difference(
        SimpleNamespace(average_ranks=ranks, critical_difference=2.0), colors=colors
    )
    label_colors = {t.get_text(): to_hex(t.get_color()) for t in ax.texts}
    assert label_colors["y (1.00)"] == "#000002"
    assert label_colors["x (2.00)"] == "#000001"


def test_plot_critical_difference_validates():
    with pytest.raises(TypeError, match="FriedmanResult"):
        plots.plot_critical_difference(SimpleNamespace(average_ranks={"a": 1}))
    with pytest.raises(ValueError, match="at least 2 models"):
        plots.plot_critical_difference(
            SimpleNamespace(average_ranks={"a": 1.0}, critical_difference=1.0)
        )


def test_plot_critical_difference_from_a_friedman_result():
    from clfcompare import stats

    res = make_results()
    fr = stats.friedman_nemenyi(res.score_table())
    ax = plots.plot_critical_difference(fr)
    names = [t.get_text().split(" (")[0] for t in ax.texts if " (" in t.get_text()]
    assert sorted(names) == sorted(res.models)
    assert f"CD = {fr.critical_difference:.2f}" in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("what", ["results", "table"])
def test_plot_critical_difference_runs_no_test(what):
    # it ran Friedman itself on a hard-coded "accuracy" when given results or a score table;
    # a figure reads what the analysis computed
    res = make_results()
    given = res if what == "results" else res.score_table()
    with pytest.raises(TypeError, match="draws a Friedman result; run the test first"):
        plots.plot_critical_difference(given)


def test_plots_import_no_test():
    # a figure never runs a test: plots.py does not import clfcompare.stats
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(plots))
    imported = [
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    ]
    assert not [m for m in imported if m and m.startswith("clfcompare.stats")], imported


# --------------------------------------------------------------------------- review fixes


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_scores_are_refused(bad):
    # an infinite score reached np.percentile inside boxplot and raised a RuntimeWarning
    # ('invalid value encountered in subtract') instead of a ValueError naming the problem
    table = pd.DataFrame({"a": [0.7, 0.8, 0.75], "b": [0.6, bad, 0.7], "c": [0.5, 0.55, 0.6]})
    with pytest.raises(ValueError, match=r"'accuracy' score table has infinite scores \(model"):
        plots.plot_scores_box(table)


@pytest.mark.parametrize("k", [5, 12, 25, 40])
def test_cd_rank_axis_labels_do_not_overlap(k):
    # with 25 models the rank labels ran together ("1011121314...")
    ranks = {f"model_{i}": 1.0 + (k - 1) * i / (k - 1) for i in range(k)}
    ax = plots.plot_critical_difference(
        SimpleNamespace(average_ranks=ranks, critical_difference=2.0)
    )
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    digits = [t for t in ax.texts if t.get_text().isdigit()]
    assert digits[0].get_text() == "1"
    boxes = sorted((t.get_window_extent(renderer) for t in digits), key=lambda b: b.x0)
    gaps = [b.x0 - a.x1 for a, b in zip(boxes, boxes[1:], strict=False)]
    # neighbouring labels at least half a label's height apart (else "10 11" reads "1011")
    assert min(gaps) >= 0.5 * boxes[0].height, gaps


@pytest.mark.parametrize(
    "lo, hi",
    [
        (0.87, 1.39),  # hw4 --quick's CE loss, from ln 4: only 0.9 and 1 were labelled
        (0.5, 1.39),  # a 4-class CE loss over a longer run
        (1.3858, 1.3863),  # a stalled CE network on its ln 4 plateau: six labels read "1.39"
        (0.45, 1.5),
        (0.01, 0.03),
    ],
)
def test_loss_axis_labels_cover_the_view_and_differ(lo, hi):
    e = np.arange(1, 6)
    loss = hi * (lo / hi) ** ((e - 1) / (e[-1] - 1))
    fig = plots.plot_loss_curves(
        pd.DataFrame({"model": "m", "split": 0, "epoch": e, "loss": loss})
    )
    fig.canvas.draw()
    ax = fig.axes[0]
    y0, y1 = ax.get_ylim()
    ticks = ax.yaxis.get_majorticklabels() + ax.yaxis.get_minorticklabels()
    shown = sorted(
        (t.get_position()[1], t.get_text())
        for t in ticks
        if t.get_text() and y0 <= t.get_position()[1] <= y1
    )
    texts = [s for _, s in shown]
    assert len(set(texts)) == len(texts), texts  # no two labels read the same
    assert all(abs(float(s) - v) <= 0.006 * v for v, s in shown), shown  # and say the value
    # no unlabelled stretch at either end longer than 40% of the (log) axis
    span = np.log10(y1 / y0)
    assert np.log10(shown[0][0] / y0) <= 0.4 * span, shown
    assert np.log10(y1 / shown[-1][0]) <= 0.4 * span, shown


@pytest.mark.parametrize("k", [2, 4])
def test_plot_curve_data_legend_hides_no_point(k):
    # the legend sat inside the axes (upper left) on top of the 4-class data's top band
    X, y = load_curve(k)
    ax = plots.plot_curve_data(X, y)
    ax.figure.canvas.draw()
    box = ax.get_legend().get_window_extent()
    pts = ax.transData.transform(np.asarray(X, dtype=float))
    inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
    inside &= (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
    assert not inside.any(), X[inside]


# --------------------------------------------------------------------------- issue 11


def _simultaneous(baseline=None):
    from clfcompare.stats import simultaneous_comparisons

    rng = np.random.default_rng(9)
    table = 0.8 + rng.normal(0, 0.02, (30, 3)) + np.array([0.0, 0.0, 0.08])
    return simultaneous_comparisons(
        table, 80, 20, models=["a", "b", "c"], baseline=baseline, n_draws=20_000
    )


def test_plot_simultaneous_intervals_draws_each_interval():
    res = _simultaneous()
    fig, ax = plt.subplots()
    assert plots.plot_simultaneous_intervals(res, ax=ax) is ax
    labels = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert labels == {2: "a − b", 1: "a − c", 0: "b − c"}  # first comparison on top
    segments = [
        line.get_xdata()
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] != line.get_xdata()[1]
    ]
    assert_allclose(sorted(s[0] for s in segments), sorted(res.table["ci_low"]), rtol=1e-12)
    assert_allclose(sorted(s[1] for s in segments), sorted(res.table["ci_high"]), rtol=1e-12)
    # an interval that excludes 0 is red with a filled marker, one that covers it blue
    excludes = (res.table["ci_low"] > 0) | (res.table["ci_high"] < 0)
    assert excludes.any() and not excludes.all()  # the set-up: c is better by 0.08
    markers = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 1]
    assert len(markers) == 3
    for line, y in zip(markers, [2, 1, 0], strict=True):
        row = res.table.iloc[2 - y]
        red = bool(row["ci_low"] > 0 or row["ci_high"] < 0)
        assert to_hex(line.get_color()) == to_hex("tab:red" if red else "tab:blue")
    assert ax.get_title().startswith("simultaneous 95% intervals\n(")
    assert f"critical value {res.critical_value:.3g}" in ax.get_title()
    plt.close(fig)


def test_plot_simultaneous_intervals_against_a_baseline_and_validates():
    ax = plots.plot_simultaneous_intervals(_simultaneous(baseline="a"))
    assert ax.get_title().startswith("simultaneous 95% intervals vs a")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b − a", "c − a"]
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="SimultaneousResult"):
        plots.plot_simultaneous_intervals(_simultaneous().table)
    with pytest.raises(TypeError, match="Axes"):
        plots.plot_simultaneous_intervals(_simultaneous(), ax="not axes")


def test_plot_loss_curves_draws_the_main_splits_of_a_design_with_halves():
    # the half-partition splits train on a quarter of the rows: their curves are not the
    # study's (they only feed the conservative Z's variance)
    res = make_results(models=("mlp_ce",), n_splits=4)
    curves = res.loss_curves.copy()
    half = curves.assign(split=curves["split"] + 4, loss=curves["loss"] * 100)
    res.loss_curves = pd.concat([curves, half], ignore_index=True)
    roles = pd.DataFrame({"split": range(8), "role": ["main"] * 4 + ["half"] * 4})
    res.design = {"kind": "halves", "n_main": 4}
    res.split_roles = lambda: roles
    fig = plots.plot_loss_curves(res)
    median = next(ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) > 1)
    expected = curves.groupby("epoch")["loss"].median().to_numpy()
    assert_allclose(median.get_ydata()[: len(expected)], expected, rtol=1e-12)
    plt.close(fig)


# --------------------------------------------------------------------------- reliability


def test_plot_reliability_draws_each_models_bins_and_counts():
    from clfcompare.analysis import probability_scores, reliability_bins

    rng = np.random.default_rng(0)
    data = {}
    for name in ("mlp_mse", "mlp_ce"):
        proba = rng.dirichlet(np.ones(3), size=120)
        data[name] = (rng.integers(0, 3, size=120), proba)
    fig = plots.plot_reliability(data, [0, 1, 2], n_bins=8, title="cal $x$")
    top, bottom = fig.axes
    lines = [ln for ln in top.get_lines() if ln.get_label() != "perfectly calibrated"]
    assert len(lines) == 2
    colors = plots.model_colors(list(data))
    for line, (name, (y, proba)) in zip(lines, data.items(), strict=True):
        bins = reliability_bins(y, proba, [0, 1, 2], n_bins=8)
        assert_allclose(line.get_xdata(), bins["confidence"], rtol=1e-12)
        assert_allclose(line.get_ydata(), bins["accuracy"], rtol=1e-12)
        assert to_hex(line.get_color()) == colors[name]
        s = probability_scores(y, proba, [0, 1, 2])
        assert line.get_label() == f"{name} (log loss {s['log_loss']:.3f}, Brier {s['brier']:.3f})"
    heights = [p.get_height() for p in bottom.patches]
    assert sum(heights) == 240  # every row of both models counted once
    assert fig._suptitle.get_text() == "cal \\$x\\$"
    plt.close(fig)


def test_plot_reliability_refuses_bad_input():
    with pytest.raises(TypeError, match="non-empty dict"):
        plots.plot_reliability({}, [0, 1])
    good = {"m": ([0, 1], np.array([[0.6, 0.4], [0.2, 0.8]]))}
    with pytest.raises(ValueError, match="two Axes"):
        plots.plot_reliability(good, [0, 1], axes=[plt.gca()])
    with pytest.raises(ValueError, match="no colour for"):
        plots.plot_reliability(good, [0, 1], colors={"x": "red"})
    with pytest.raises(ValueError, match="n_bins"):
        plots.plot_reliability(good, [0, 1], n_bins=0)
    plt.close("all")
