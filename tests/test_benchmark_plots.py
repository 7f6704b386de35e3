"""Figures across data sets: the CD diagram from any test, p-value heat map, W/T/L, simplex."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from clfcompare import plots as old_plots
from clfcompare.benchmark import analyse_benchmark
from clfcompare.benchmark import plots as bp


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def table():
    # 10 data sets x 4 models: A best, D worst, B and C in between
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 0.9, size=10)
    return pd.DataFrame(
        {
            "A": base + 0.06 + rng.normal(0, 0.005, 10),
            "B": base + 0.03 + rng.normal(0, 0.02, 10),
            "C": base + 0.025 + rng.normal(0, 0.02, 10),
            "D": base + rng.normal(0, 0.005, 10),
        },
        index=[f"d{i}" for i in range(10)],
    )


def thick_bars(ax):
    return [ln for ln in ax.lines if ln.get_linewidth() == 4]


def label_texts(ax):
    return {t.get_text().split(" (")[0]: t for t in ax.texts if " (" in t.get_text()}


def test_old_import_path_still_works():
    assert old_plots.plot_critical_difference is bp.plot_critical_difference
    assert old_plots.cd_cliques is bp.cd_cliques
    from clfcompare.plots import cd_cliques  # noqa: F401 (the re-export)

    with pytest.raises(AttributeError):
        old_plots.no_such_figure  # noqa: B018


@pytest.mark.parametrize("test", ["friedman_nemenyi", "holm", "wilcoxon_holm"])
def test_cd_bars_are_the_cliques_of_the_test_run(test):
    comp = analyse_benchmark(table(), test=test, rope=None)
    ax = bp.plot_critical_difference(comp)
    ranks = comp.average_ranks
    bars = sorted(tuple(np.round(ln.get_xdata(), 6)) for ln in thick_bars(ax))
    expected = sorted(
        (round(ranks[c].min() - 0.03, 6), round(ranks[c].max() + 0.03, 6))
        for c in (list(c) for c in comp.cliques)
        if len(c) > 1
    )
    assert bars == expected
    texts = [t.get_text() for t in ax.texts]
    has_cd_bar = any(t.startswith("CD") for t in texts)
    assert has_cd_bar == (test == "friedman_nemenyi")  # Holm and Wilcoxon have no CD


def test_nemenyi_bars_match_the_critical_difference():
    comp = analyse_benchmark(table(), rope=None)
    # independent reference: Demšar's rule, a run of ranks within CD of its first model
    ranks = comp.average_ranks.sort_values()
    ref = bp.cd_cliques(ranks, comp.critical_difference)
    assert [list(c) for c in comp.cliques if len(c) > 1] == ref  # singletons: no bar
    ax = bp.plot_critical_difference(comp)
    assert f"CD = {comp.critical_difference:.2f}" in [t.get_text() for t in ax.texts]


def test_labels_on_both_sides_in_rank_order():
    comp = analyse_benchmark(table(), rope=None)
    ax = bp.plot_critical_difference(comp)
    labels = label_texts(ax)
    order = list(comp.average_ranks.index)
    left = [m for m in order if labels[m].get_ha() == "right"]
    right = [m for m in order if labels[m].get_ha() == "left"]
    assert left == order[:2] and right == order[2:]
    # the best is at rank position nearest 1 and printed with its rank
    assert labels[order[0]].get_text() == f"{order[0]} ({comp.average_ranks.iloc[0]:.2f})"
    assert "highest accuracy" in ax.get_title()


def test_lower_is_better_reverses_the_ranks():
    errors = 1 - table()
    comp = analyse_benchmark(errors, metric="error", higher_is_better=False, rope=None)
    assert comp.average_ranks.index[0] == "A"  # the lowest error is rank 1
    ax = bp.plot_critical_difference(comp)
    assert "lowest error" in ax.get_title()


def test_bonferroni_dunn_draws_its_cd_and_the_control():
    comp = analyse_benchmark(table(), test="bonferroni_dunn", control="D", rope=None)
    ax = bp.plot_critical_difference(comp)
    texts = [t.get_text() for t in ax.texts]
    assert f"CD (Bonferroni-Dunn) = {comp.critical_difference:.2f}" in texts
    assert label_texts(ax)["D"].get_fontweight() == "bold"
    assert len(ax.collections) == 1  # the shaded interval around the control


def test_cd_from_a_compare_datasets_table():
    from clfcompare.stats import compare_datasets

    out = compare_datasets(table(), test="wilcoxon_holm")
    ax = bp.plot_critical_difference(out)
    assert sorted(label_texts(ax)) == ["A", "B", "C", "D"]
    assert not any(t.get_text().startswith("CD") for t in ax.texts)


def test_cd_refuses_what_it_cannot_draw():
    with pytest.raises(TypeError, match="FriedmanResult"):
        bp.plot_critical_difference(SimpleNamespace(average_ranks={"a": 1}))
    with pytest.raises(TypeError, match="run the test first"):
        bp.plot_critical_difference(table())


def test_pvalue_heatmap_cells_are_the_adjusted_pvalues():
    comp = analyse_benchmark(table(), test="holm", control="A", rope=None)
    ax = bp.plot_pvalue_heatmap(comp)
    data = ax.images[0].get_array()
    order = list(comp.average_ranks.index)
    pw = comp.pairwise.set_index("model_a")
    for m in order:
        if m == "A":
            continue
        i, j = order.index(m), order.index("A")
        assert_allclose(data[i, j], pw.loc[m, "pvalue_adjusted"])
        assert_allclose(data[j, i], pw.loc[m, "pvalue_adjusted"])
    # pairs without the control were not tested: masked
    i, j = order.index("B"), order.index("C")
    assert np.ma.is_masked(data[i, j])
    framed = [p for p in ax.patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert len(framed) == 2 * int(comp.pairwise["significant"].sum())


def test_win_tie_loss_cells():
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0, 1.0], "b": [0.0, 2.0, 4.0, 0.0]})
    comp = analyse_benchmark(t, rope=None, effect_sizes=False)
    # by hand: a beats b on rows 0 and 3, ties on 1, loses on 2
    assert comp.wins.loc["a", "b"] == 2 and comp.wins.loc["b", "a"] == 1
    assert comp.ties.loc["a", "b"] == 1
    ax = bp.plot_win_tie_loss(comp)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1/1/2", "2/1/1"]


def test_posterior_simplex_places_samples_at_their_barycentre():
    samples = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    ax = bp.plot_posterior_simplex(samples, names=("x", "y"))
    xy = ax.collections[0].get_offsets()
    h = np.sqrt(3) / 2
    assert_allclose(xy, [[0, 0], [0.5, h], [1, 0], [0.3 * 0.5 + 0.5, 0.3 * h]])
    texts = [t.get_text() for t in ax.texts]
    # fractions of samples in which each outcome is the most probable
    assert "x worse\n0.250" in texts and "x better\n0.500" in texts
    with pytest.raises(ValueError, match="shaped"):
        bp.plot_posterior_simplex(np.ones((3, 2)))
    with pytest.raises(ValueError, match="summing to 1"):
        bp.plot_posterior_simplex(np.ones((3, 3)))


def test_posteriors_grid_of_a_comparison():
    comp = analyse_benchmark(table(), rope=0.01)
    fig = bp.plot_posteriors(comp)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["A vs B", "A vs C", "A vs D"]  # the best against every other
    with pytest.raises(ValueError, match="no posteriors"):
        bp.plot_posteriors(analyse_benchmark(table(), rope=None))
