"""Tests for clfcompare.analysis: every number of a comparison computed once, one threshold."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from _report_data import _with_flat_curve, make_results, run_small  # tests/ is on sys.path
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
from clfcompare.stats import (
    compare,
    equivalence_test,
    simultaneous_comparisons,
    verdict,
)

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
    # ordinary CV: the default test is the corrected t-test, and there is no second table
    pd.testing.assert_frame_equal(comp.pairwise, compare(res))
    assert comp.test == "corrected_ttest" and comp.pairwise_corrected is None
    assert not hasattr(comp, "friedman")  # no rank test over the splits of one data set
    sim = simultaneous_comparisons(res, confidence_level=0.95)
    pd.testing.assert_frame_equal(comp.simultaneous.table, sim.table)
    assert comp.simultaneous.family == "all_pairs" and comp.simultaneous.variance == "corrected"
    assert comp.answer_pair == ("mlp_mse", "mlp_ce")
    assert comp.answer_row == pair_row(compare(res), "mlp_mse", "mlp_ce")
    assert list(comp.other_summaries) == ["balanced_accuracy"]
    assert comp.references == {"ceiling": 0.625}
    assert comp.sensitivity is None and comp.stalled.empty
    assert comp.variance_components is None and comp.stable is None


def test_the_contrasts_tost_is_equivalence_test_of_its_scores():
    res = make_results()
    comp = analyse(res, contrast=("mlp_mse", "mlp_ce"), rope=0.02, alpha=0.1)
    table = res.score_table()
    # every split of make_results has 256 training and 64 test rows
    ref = equivalence_test(
        table["mlp_mse"], table["mlp_ce"], 256, 64, margin=0.02, confidence_level=0.9
    )
    assert comp.equivalence == ref
    assert comp.equivalence_corrected is None  # the default variance is the corrected one
    assert analyse(res, rope=0).equivalence is None  # no margin, no TOST


def test_the_contrast_is_unadjusted_and_the_rest_adjusted():
    # a pair with p < 0.05 <= p_adj: significant as the pre-specified contrast, not as a pair
    # picked from the data (best vs runner-up)
    res = make_results({"a": 0.0, "b": 0.0, "c": 0.012}, seed=9, with_curves=False)
    row = pair_row(compare(res), "c", "a")
    assert row["pvalue"] < 0.05 <= row["pvalue_adjusted"]
    pre = analyse(res, contrast=("c", "a"))
    assert pre.answer_pvalue() == row["pvalue"] and pre.answer_significant()
    assert not pre.answer_adjusted
    assert pre.answer_verdict == verdict(
        "c", "a", row["statistic"], row["pvalue"], row["prob_equivalent"], 0.05
    ).replace("p_adj=", "p=")
    assert pre.answer_verdict.startswith("c better than a (p=")
    picked = analyse(res)  # no contrast: the same pair, as best vs runner-up
    assert picked.answer_adjusted and picked.answer_pair == ("c", "a")
    assert picked.answer_pvalue() == row["pvalue_adjusted"]
    assert not picked.answer_significant()
    assert picked.answer_verdict == row["verdict"]
    assert picked.answer_verdict.startswith("no significant difference")


def test_analyse_without_contrast_answers_best_vs_runner_up():
    comp = analyse(make_results({"a": 0.0, "b": 0.05, "c": 0.1}, with_curves=False))
    assert comp.contrast is None and comp.answer_pair == ("c", "b")
    one = analyse(make_results({"a": 0.0}, with_curves=False))
    assert one.pairwise is None and one.simultaneous is None and one.answer_pair is None
    two = analyse(make_results({"a": 0.0, "b": 0.02}, with_curves=False))
    assert two.simultaneous is None and len(two.pairwise) == 1


def test_simultaneous_intervals_against_a_baseline():
    res = make_results()
    comp = analyse(res, baseline="gauss")
    ref = simultaneous_comparisons(res, baseline="gauss", confidence_level=0.95)
    pd.testing.assert_frame_equal(comp.simultaneous.table, ref.table)
    assert comp.simultaneous.family == "baseline" and comp.baseline == "gauss"
    assert list(comp.simultaneous.table["model_b"]) == ["gauss", "gauss"]
    with pytest.raises(ValueError, match="baseline must be one of"):
        analyse(res, baseline="nope")


@pytest.fixture(scope="module")
def halves_results():
    return run_small()


def test_analyse_with_halves_defaults_to_the_conservative_z(halves_results):
    res = halves_results
    comp = analyse(res, contrast=("nb", "tree"), stable=["nb"])
    assert comp.has_halves and comp.test == "conservative_z"
    pd.testing.assert_frame_equal(comp.pairwise, compare(res))
    assert set(comp.pairwise["test"]) == {"conservative_z"}
    pd.testing.assert_frame_equal(comp.pairwise_corrected, compare(res, test="corrected_ttest"))
    assert comp.answer_row_corrected == pair_row(comp.pairwise_corrected, "nb", "tree")
    # the tables read the 12 main splits only, not the 2 x 4 x 2 = 16 half splits
    assert comp.summary["n_trials"].tolist() == [12, 12, 12]
    assert comp.n_splits() == 12 and comp.n_splits("nb") == 12
    assert comp.simultaneous.variance == "conservative"
    assert comp.stable == frozenset({"nb"})
    assert comp.pair_is_stable("nb", "tree") is False


def test_tost_with_halves_uses_the_half_partition_variance(halves_results):
    res = halves_results
    comp = analyse(res, contrast=("nb", "tree"))
    # independent reference: the half scores taken from the raw scores and split_roles
    roles = res.split_roles()
    roles = roles[["split", "role", "partition", "half", "fold"]].rename(columns={"fold": "f"})
    scores = res.scores.merge(roles, on="split")
    main = scores[scores.role == "main"].pivot(index="split", columns="model", values="accuracy")
    half = scores[scores.role == "half"].sort_values(["partition", "half", "f"])

    def halves_of(model):
        return half.loc[half.model == model, "accuracy"].to_numpy().reshape(4, 2, 2)

    ref = equivalence_test(
        main["nb"],
        main["tree"],
        margin=0.01,
        confidence_level=0.95,
        half_scores_a=halves_of("nb"),
        half_scores_b=halves_of("tree"),
    )
    assert comp.equivalence == ref and comp.equivalence.variance == "conservative"
    sizes = scores[scores.role == "main"].groupby("split")[["n_train", "n_test"]].first()
    corrected = equivalence_test(
        main["nb"], main["tree"], sizes["n_train"], sizes["n_test"], margin=0.01
    )
    assert comp.equivalence_corrected == corrected


def test_variance_components_of_a_crossed_seed_design():
    from clfcompare.trials import variance_components

    res = run_small(halves=False, n_seeds=3)
    comp = analyse(res)
    vc = comp.variance_components
    assert list(vc.index) == ["nb", "tree", "stump"]
    long = variance_components(res)
    for model in vc.index:
        rows = long[long.model == model].set_index("component")["variance"]
        assert_allclose(
            vc.loc[model, ["split", "seed", "residual"]],
            rows[["split", "seed", "residual"]],
            rtol=1e-12,
        )
    total = vc[["split", "seed", "residual"]].sum(axis=1)
    assert_allclose(vc["total"], total, rtol=1e-12)
    tree = vc.loc["tree"]
    assert_allclose(tree["split_share"] + tree["seed_share"], 1.0, rtol=1e-12)
    # naive Bayes draws no random numbers: its seeds change nothing
    assert vc.loc["nb", "seed"] == 0 and vc.loc["nb", "residual"] == 0
    assert comp.n_splits() == 12 and comp.summary["n_trials"].tolist() == [36, 36, 36]


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
        ({"contrast": ("gauss", "nope")}, ValueError, "contrast must be two different models"),
        ({"contrast": "gauss"}, ValueError, "contrast must be two different models"),
        ({"contrast": ("gauss", "gauss")}, ValueError, "contrast must be two different models"),
        ({"stable": "gauss"}, TypeError, "stable must be a collection"),
        ({"stable": ["nope"]}, ValueError, r"stable names model\(s\) \['nope'\]"),
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


@pytest.mark.parametrize("halves", [False, True])
def test_the_tests_average_every_split_over_its_seeds(halves):
    from clfcompare.stats import corrected_ttest

    res = run_small(halves=halves, n_seeds=2, n_partitions=2)
    comp = analyse(res, contrast=("nb", "tree"))
    # reference: the seeds of each main data split averaged by hand from the raw trials
    roles = res.split_roles()
    main = res.scores.merge(roles[["split", "role", "data_split"]], on="split")
    main = main[main.role == "main"]
    avg = main.groupby(["data_split", "model"])["accuracy"].mean().unstack("model")
    sizes = main.groupby("data_split")[["n_train", "n_test"]].first()
    assert len(avg) == 12
    row = pair_row(comp.pairwise_corrected if halves else comp.pairwise, "nb", "tree")
    ref = corrected_ttest(avg["nb"], avg["tree"], sizes["n_train"], sizes["n_test"])
    assert_allclose(row["mean_difference"], (avg["nb"] - avg["tree"]).mean(), rtol=1e-12)
    assert_allclose([row["statistic"], row["pvalue"]], [ref.statistic, ref.pvalue], rtol=1e-10)
    assert comp.test == ("conservative_z" if halves else "corrected_ttest")


# --------------------------------------------------------------------------- probabilities


def _random_proba(n, k, seed, *, zero_rows=0):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(k), size=n)
    y = rng.integers(0, k, size=n)
    for i in range(zero_rows):  # exactly 0 on the true class (the old MSE map did this)
        proba[i] = 1.0 / (k - 1)
        proba[i, y[i]] = 0.0
    return y, proba


@pytest.mark.parametrize("k", [2, 3, 4])
def test_probability_scores_match_sklearn(k):
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss

    from clfcompare.analysis import probability_scores

    y, proba = _random_proba(200, k, seed=k)
    labels = np.arange(k)
    s = probability_scores(y, proba, labels)
    assert s["n"] == 200 and s["n_zero"] == 0
    assert_allclose(s["log_loss"], log_loss(y, proba, labels=labels), rtol=1e-12)
    # sklearn's multi-class Brier (sum over classes, scale_by_half=False; for 2 classes the
    # default halves it: the positive class only)
    ref = brier_score_loss(y, proba, labels=labels, scale_by_half=False)
    assert_allclose(s["brier"], ref, rtol=1e-12)
    if k == 2:
        assert_allclose(s["brier"], 2 * brier_score_loss(y, proba[:, 1]), rtol=1e-12)
    acc = accuracy_score(y, proba.argmax(axis=1))
    assert_allclose(s["accuracy"], acc, rtol=0, atol=0)
    assert_allclose(s["overconfidence"], proba.max(axis=1).mean() - acc, rtol=1e-12)


def test_probability_scores_clip_a_zero_on_the_true_class_as_sklearn():
    from sklearn.metrics import log_loss

    from clfcompare.analysis import probability_scores

    y, proba = _random_proba(50, 3, seed=1, zero_rows=3)
    s = probability_scores(y, proba, [0, 1, 2])
    assert s["n_zero"] == 3 and np.isfinite(s["log_loss"])
    # sklearn clips at float64's eps too: -log(eps) = 36.04 per such row
    assert_allclose(s["log_loss"], log_loss(y, proba, labels=[0, 1, 2]), rtol=1e-12)


def test_probability_scores_string_labels_follow_the_classes_order():
    from clfcompare.analysis import probability_scores

    s = probability_scores(["b", "a"], [[0.9, 0.1], [0.3, 0.7]], ["b", "a"])
    # closed form: rows (1 - 0.9)^2 + 0.1^2 = 0.02 and 0.3^2 + (0.7 - 1)^2 = 0.18
    assert_allclose(s["brier"], 0.10, rtol=1e-12)
    assert_allclose(s["log_loss"], -(np.log(0.9) + np.log(0.7)) / 2, rtol=1e-12)
    assert s["accuracy"] == 1.0


@pytest.mark.parametrize(
    "y, proba, classes, match",
    [
        ([0, 1], [[0.5, 0.5]], [0, 1], "one label per row"),
        ([0, 1], [[0.5, 0.5, 0.0]] * 2, [0, 1], r"shape \(n_samples, 2\)"),
        ([0, 2], [[0.5, 0.5]] * 2, [0, 1], "y_true holds 2"),
        ([0, 1], [[1.5, -0.5]] * 2, [0, 1], r"in \[0, 1\]"),
        ([0, 1], [[np.nan, 0.5]] * 2, [0, 1], "finite"),
        ([0, 0], [[0.5, 0.5]] * 2, [0, 0], "distinct"),
    ],
)
def test_probability_scores_refuse_bad_input(y, proba, classes, match):
    from clfcompare.analysis import probability_scores

    with pytest.raises(ValueError, match=match):
        probability_scores(y, proba, classes)


@pytest.mark.parametrize("k, n_bins", [(2, 10), (2, 5), (4, 10), (4, 7)])
def test_reliability_bins_match_sklearns_calibration_curve(k, n_bins):
    from sklearn.calibration import calibration_curve

    from clfcompare.analysis import reliability_bins

    y, proba = _random_proba(500, k, seed=10 + k)
    proba[:20] = np.round(proba[:20], 1)  # some confidences exactly on a bin edge
    proba[:20] /= proba[:20].sum(axis=1, keepdims=True)
    bins = reliability_bins(y, proba, np.arange(k), n_bins=n_bins)
    # reference: sklearn's curve of "the top class is right" against the top probability
    correct = (proba.argmax(axis=1) == y).astype(int)
    acc, conf = calibration_curve(correct, proba.max(axis=1), n_bins=n_bins)
    assert_allclose(bins["accuracy"], acc, rtol=1e-12)
    assert_allclose(bins["confidence"], conf, rtol=1e-12)
    assert bins["count"].sum() == 500
    assert (bins["lower"] < bins["confidence"] + 1e-12).all()
    assert (bins["confidence"] <= bins["upper"] + 1e-12).all()


def _results_with_probabilities(halves):
    """A TrialResults-like object: two models with probabilities, one without."""
    from types import SimpleNamespace

    rows = []
    for m, model in enumerate(["a", "b"]):
        for split in range(4):
            y, proba = _random_proba(30, 3, seed=100 * m + split)
            for i in range(30):
                rows.append(
                    {"model": model, "split": split, "sample": i, "y_true": int(y[i])}
                    | {f"proba_{k}": proba[i, k] for k in range(3)}
                )
    probs = pd.DataFrame(rows)
    roles = pd.DataFrame(
        {"split": range(4), "role": ["main", "main", "half", "half"] if halves else ["main"] * 4}
    )
    return SimpleNamespace(
        probabilities=probs,
        classes=np.array([0, 1, 2]),
        models=["a", "nope", "b"],
        design={"kind": "halves"} if halves else None,
        split_roles=lambda: roles,
    )


@pytest.mark.parametrize("halves", [False, True])
def test_probability_table_scores_every_model_and_main_split(halves):
    from clfcompare.analysis import probabilities_by_model, probability_scores, probability_table

    res = _results_with_probabilities(halves)
    table = probability_table(res)
    splits = [0, 1] if halves else [0, 1, 2, 3]
    assert table["model"].tolist() == ["a"] * len(splits) + ["b"] * len(splits)
    assert table["split"].tolist() == splits * 2
    for row in table.itertuples():
        part = res.probabilities.query("model == @row.model and split == @row.split")
        ref = probability_scores(part.y_true, part[["proba_0", "proba_1", "proba_2"]], [0, 1, 2])
        assert_allclose(row.brier, ref["brier"], rtol=0, atol=0)
        assert_allclose(row.log_loss, ref["log_loss"], rtol=0, atol=0)
    pooled, classes = probabilities_by_model(res)
    assert list(pooled) == ["a", "b"] and classes.tolist() == [0, 1, 2]
    assert pooled["a"][1].shape == (30 * len(splits), 3)


def test_probability_table_without_probabilities_is_empty():
    from types import SimpleNamespace

    from clfcompare.analysis import probabilities_by_model, probability_table

    res = SimpleNamespace(probabilities=None, classes=None, models=["a"], design=None)
    assert probability_table(res).empty
    assert probabilities_by_model(res) == ({}, None)
