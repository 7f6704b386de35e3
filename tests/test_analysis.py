"""Tests for clfcompare.analysis: every number of a comparison computed once, one threshold."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from _report_data import _with_flat_curve, make_results  # tests/ is on sys.path
from numpy.testing import assert_allclose

from clfcompare import report
from clfcompare.analysis import (
    Comparison,
    analyse,
    check_references,
    find_contrast,
    pair_row,
    stalled_trials,
    summary_table,
)
from clfcompare.stats import compare, friedman_nemenyi

# --------------------------------------------------------------------------- tables


def test_summary_table_matches_numpy():
    res = make_results()
    table = summary_table(res)
    assert list(table.index) == list(res.models)
    for m in res.models:
        acc = res.scores.loc[res.scores.model == m, "accuracy"].to_numpy()
        fit = res.scores.loc[res.scores.model == m, "fit_time"].to_numpy()
        # reference: numpy mean / sample sd (ddof=1) / median / range
        assert_allclose(
            table.loc[m, ["mean", "sd", "min", "median", "max"]].to_numpy(float),
            [acc.mean(), acc.std(ddof=1), acc.min(), np.median(acc), acc.max()],
            rtol=1e-12,
        )
        assert table.loc[m, "n_trials"] == 20
        assert_allclose(table.loc[m, "fit_time_total"], fit.sum(), rtol=1e-12)


def test_summary_table_validates():
    res = make_results()
    with pytest.raises(ValueError, match="metric 'f1'"):
        summary_table(res, "f1")
    with pytest.raises(TypeError, match="TrialResults"):
        summary_table(pd.DataFrame())
    empty = make_results()
    empty.scores = empty.scores.iloc[:0]
    with pytest.raises(ValueError, match="no finished trials"):
        summary_table(empty)


def test_summary_table_refuses_nan_scores():
    # a NaN score was skipped by the mean while n_trials still counted it
    res = make_results()
    res.scores.loc[(res.scores.model == "gauss") & (res.scores.split == 4), "accuracy"] = np.nan
    with pytest.raises(
        ValueError, match=r"non-finite 'accuracy' score.*'gauss'.*split\(s\) \[4\]"
    ):
        summary_table(res)


@pytest.mark.parametrize(
    "models, expected",
    [
        (["gauss", "mlp_mse", "mlp_ce"], ("mlp_mse", "mlp_ce")),
        (["MLP (CE)", "MLP (MSE)"], ("MLP (MSE)", "MLP (CE)")),
        (["mse-a", "mse-b", "ce"], None),  # two MSE models: ambiguous
        (["gaussian_separate", "logistic"], None),  # "ce" only inside words does not count
    ],
)
def test_find_contrast(models, expected):
    assert find_contrast(models) == expected


def test_pair_row_flips_a_reversed_pair():
    res = make_results()
    table = compare(res)
    fwd = pair_row(table, "mlp_mse", "mlp_ce")
    rev = pair_row(table, "mlp_ce", "mlp_mse")
    assert_allclose(rev["mean_difference"], -fwd["mean_difference"], rtol=1e-12)
    assert_allclose([rev["ci_low"], rev["ci_high"]], [-fwd["ci_high"], -fwd["ci_low"]])
    assert_allclose(rev["prob_a_better"], fwd["prob_b_better"])
    assert_allclose(rev["pvalue_adjusted"], fwd["pvalue_adjusted"])
    with pytest.raises(ValueError, match="no row"):
        pair_row(table, "mlp_ce", "nope")


def test_stalled_trials_finds_flat_curves():
    res = _with_flat_curve(make_results())
    stalled = stalled_trials(res)
    assert list(stalled["model"]) == ["mlp_ce"] and list(stalled["split"]) == [3]
    acc = res.scores.loc[(res.scores.model == "mlp_ce") & (res.scores.split == 3), "accuracy"]
    assert_allclose(stalled["accuracy"], acc.to_numpy(), rtol=1e-12)
    # the decreasing curves (loss / epoch) are not flagged
    assert stalled_trials(make_results()).empty
    assert stalled_trials(make_results(with_curves=False)).empty


def test_report_reexports_the_analysis_tables():
    # names that scripts import from clfcompare.report (design1_mse: stalled_trials)
    assert report.summary_table is summary_table
    assert report.stalled_trials is stalled_trials
    assert report.find_contrast is find_contrast
    assert report.pair_row is pair_row


# --------------------------------------------------------------------------- analyse


def test_analyse_computes_every_number_once():
    res = make_results()
    comp = analyse(res, contrast=("mlp_mse", "mlp_ce"), references={"ceiling": 0.625})
    assert isinstance(comp, Comparison)
    with pytest.raises(dataclasses.FrozenInstanceError):
        comp.alpha = 0.1
    pd.testing.assert_frame_equal(comp.summary, summary_table(res))
    pd.testing.assert_frame_equal(comp.pairwise, compare(res))
    fr = friedman_nemenyi(res.score_table(), alpha=0.05)
    assert_allclose(comp.friedman.statistic, fr.statistic, rtol=1e-12)
    assert_allclose(comp.friedman.critical_difference, fr.critical_difference, rtol=1e-12)
    assert comp.answer_pair == ("mlp_mse", "mlp_ce")
    assert comp.answer_row == pair_row(compare(res), "mlp_mse", "mlp_ce")
    assert list(comp.other_summaries) == ["balanced_accuracy"]
    assert comp.references == {"ceiling": 0.625}
    assert comp.sensitivity is None and comp.stalled.empty


def test_analyse_without_contrast_answers_best_vs_runner_up():
    comp = analyse(make_results({"a": 0.0, "b": 0.05, "c": 0.1}, with_curves=False))
    assert comp.contrast is None and comp.answer_pair == ("c", "b")
    one = analyse(make_results({"a": 0.0}, with_curves=False))
    assert one.pairwise is None and one.friedman is None and one.answer_pair is None
    two = analyse(make_results({"a": 0.0, "b": 0.02}, with_curves=False))
    assert two.friedman is None and len(two.pairwise) == 1


def test_analyse_without_stalled_splits_matches_a_hand_computation():
    from scipy import stats as sps

    res = _with_flat_curve(make_results(), split=3)
    comp = analyse(res, contrast=("mlp_mse", "mlp_ce"))
    s = comp.sensitivity
    table = res.score_table("accuracy").drop(index=3)
    d = (table["mlp_mse"] - table["mlp_ce"]).to_numpy()
    # Nadeau-Bengio by hand (scipy's t distribution): 19 splits, n_test/n_train = 64/256
    t = d.mean() / np.sqrt((1 / d.size + 64 / 256) * d.var(ddof=1))
    assert (s.dropped_splits, s.n_stalled, s.n_left) == ((3,), 1, 19)
    assert_allclose(s.pvalue, 2 * sps.t.sf(abs(t), d.size - 1), rtol=1e-10)
    assert_allclose([s.mean_a, s.mean_b], [table["mlp_mse"].mean(), table["mlp_ce"].mean()])
    assert s.pvalue_all == comp.answer_row["pvalue"]


@pytest.mark.parametrize(
    "seed, rope, alpha, called",
    [
        # P(rope) = 0.865: called at alpha = 0.2 (level 0.8), not at 0.05 (level 0.95)
        (1, 0.01, 0.2, True),
        (1, 0.01, 0.05, False),
        # P(rope) = 0.959: called at 0.05, not at 0.01 (level 0.99)
        (0, 0.02, 0.05, True),
        (0, 0.02, 0.01, False),
    ],
)
def test_one_threshold_for_the_table_and_the_prose(seed, rope, alpha, called):
    # the report's prose called a Bayesian outcome at a literal 0.95 while the table's
    # verdict used 1 - alpha: with alpha = 0.01 or 0.2 the table and the prose disagreed
    res = make_results({"gauss": 0.0, "mlp_mse": 0.0, "mlp_ce": 0.001}, seed=seed)
    comp = analyse(res, contrast=("mlp_mse", "mlp_ce"), alpha=alpha, rope=rope)
    assert comp.posterior_level == pytest.approx(1 - alpha)
    row = comp.answer_row
    text = report.contrast_paragraph(comp, "mlp_mse", "mlp_ce")
    assert ("practically equivalent" in row["verdict"]) is called
    prose_calls = f"With posterior probability {row['prob_equivalent']:.3f}, the two are" in text
    assert prose_calls is called, text
    if not called:
        assert f"No outcome reaches posterior probability {1 - alpha:g};" in text


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"metric": "f1"}, ValueError, "metric 'f1'"),
        ({"contrast": ("gauss", "nope")}, ValueError, "contrast must be two of"),
        ({"contrast": "gauss"}, ValueError, "contrast must be two of"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": "x"}, TypeError, r"alpha .*got str 'x'"),
        ({"alpha": None}, TypeError, "alpha .*NoneType"),
        ({"alpha": True}, TypeError, "alpha .*bool"),
        ({"alpha": np.nan}, ValueError, r"alpha must .*\(0, 1"),
        ({"rope": "x"}, TypeError, "rope .*got str"),
        ({"rope": -0.1}, ValueError, "rope must .*-0.1"),
        ({"rope": np.inf}, ValueError, "rope must be .*inf"),
        ({"references": 0.7}, TypeError, "references must be a mapping"),
        ({"references": {"x": "a"}}, TypeError, "reference 'x' must be a number"),
        ({"loss_references": {"x": np.nan}}, ValueError, "reference 'x' must be finite"),
        ({"rel_tol": 1.5}, ValueError, r"rel_tol .*\[0, 1"),
    ],
)
def test_analyse_validates(kwargs, err, match):
    with pytest.raises(err, match=match):
        analyse(make_results(), **kwargs)


def test_analyse_rejects_non_results():
    with pytest.raises(TypeError, match="TrialResults"):
        analyse({"scores": None})


def test_check_references():
    assert check_references(None) == {}
    assert check_references({1: np.float32(0.5)}) == {"1": 0.5}
    with pytest.raises(TypeError, match="loss_references must be a mapping"):
        check_references([1], "loss_references")
