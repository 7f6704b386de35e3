"""Tests of clfcompare.stats.several_models: compare() over a TrialResults, and its verdict.

References: direct calls of the single tests on the same scores, statsmodels' multipletests,
SciPy's wilcoxon, and the verdict rule written out. Results with Nadeau and Bengio's half/half
partitions are a stand-in with the attributes of docs/interfaces.md's issue-11 contract
(``design``, ``score_table(metric, role=...)``, ``split_roles()``) and a real run of
``RepeatedKFoldWithHalves``.
"""

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from statsmodels.stats.multitest import multipletests

from clfcompare.stats import (
    bayesian_correlated_ttest,
    compare,
    conservative_z,
    corrected_ttest,
    equivalence_threshold,
    paired_ttest,
    verdict,
    wilcoxon_test,
)


# --------------------------------------------------------------------------------------------
# compare() over a TrialResults stand-in (the contract of docs/interfaces.md)
# --------------------------------------------------------------------------------------------
def _fake_results(score_dict, n_train=160, n_test=40, metric="accuracy"):
    """Minimal TrialResults: .scores with the contract's columns, .models in the given order."""
    rows = []
    for model, values in score_dict.items():
        for split, value in enumerate(values):
            rows.append(
                {
                    "model": model,
                    "split": split,
                    "repeat": split // 5,
                    "fold": split % 5,
                    "n_train": n_train,
                    "n_test": n_test,
                    "fit_time": 0.01,
                    metric: value,
                }
            )
    return SimpleNamespace(scores=pd.DataFrame(rows), models=tuple(score_dict))


@pytest.fixture()
def three_model_results():
    rng = np.random.default_rng(0)
    common = rng.normal(0.8, 0.02, 50)
    scores = {
        "good": common + 0.05 + rng.normal(0, 0.01, 50),  # clearly better than the others
        "base": common + rng.normal(0, 0.01, 50),
        "twin": common + rng.normal(0, 0.003, 50),  # practically equivalent to base
    }
    return _fake_results(scores), scores


def test_compare_all_pairs_matches_direct_calls(three_model_results):
    results, scores = three_model_results
    table = compare(results)
    assert list(table.columns) == [
        "model_a",
        "model_b",
        "mean_difference",
        "ci_low",
        "ci_high",
        "statistic",
        "df",
        "pvalue",
        "pvalue_adjusted",
        "prob_a_better",
        "prob_equivalent",
        "prob_b_better",
        "significant",
        "verdict",
        "test",
    ]
    # results without half/half partitions: "auto" is the corrected t-test, as before
    assert (table.test == "corrected_ttest").all() and table.attrs["test"] == "corrected_ttest"
    assert list(zip(table.model_a, table.model_b, strict=True)) == [
        ("good", "base"),
        ("good", "twin"),
        ("base", "twin"),
    ]
    for row in table.itertuples():
        a, b = scores[row.model_a], scores[row.model_b]
        ref = corrected_ttest(a, b, 160, 40)
        bayes = bayesian_correlated_ttest(a, b, 160, 40, rope=0.01)
        assert_allclose(
            [row.mean_difference, row.ci_low, row.ci_high, row.statistic, row.df, row.pvalue],
            [ref.mean_difference, ref.ci_low, ref.ci_high, ref.statistic, ref.df, ref.pvalue],
            rtol=1e-12,
        )
        assert_allclose(
            [row.prob_a_better, row.prob_equivalent, row.prob_b_better],
            [bayes.prob_better, bayes.prob_equivalent, bayes.prob_worse],
            rtol=1e-12,
        )
    # Holm through statsmodels, named explicitly (its default is Holm-Sidak)
    assert_allclose(
        table.pvalue_adjusted,
        multipletests(table.pvalue, method="holm")[1],
        rtol=1e-12,
    )
    verdicts = dict(
        zip(zip(table.model_a, table.model_b, strict=True), table.verdict, strict=True)
    )
    assert verdicts[("good", "base")].startswith("good better than base (p_adj=")
    assert verdicts[("base", "twin")].startswith("practically equivalent (P(rope)=")
    assert table.significant.tolist() == [True, True, False]


def test_compare_baseline_and_reversed_direction(three_model_results):
    results, scores = three_model_results
    table = compare(results, baseline="good", correction="bonferroni")
    assert list(zip(table.model_a, table.model_b, strict=True)) == [
        ("base", "good"),
        ("twin", "good"),
    ]
    assert (table.mean_difference < 0).all()
    assert table.verdict.str.startswith("good better than").all()
    assert_allclose(table.pvalue_adjusted, np.minimum(1, 2 * table.pvalue), rtol=1e-12)
    assert (table.prob_b_better > 0.99).all()


def test_compare_no_difference_verdict():
    rng = np.random.default_rng(1)
    common = rng.normal(0.8, 0.02, 20)
    results = _fake_results(
        {"A": common + rng.normal(0, 0.03, 20), "B": common + rng.normal(0, 0.03, 20)}
    )
    row = compare(results, correction="none").iloc[0]
    assert row.pvalue_adjusted == row.pvalue > 0.05
    assert row.verdict == f"no significant difference (p_adj={row.pvalue:.3g})"


def test_compare_significant_but_practically_equivalent_verdict():
    # B wins by 0.003 on every split with little spread: significant, and inside the rope
    rng = np.random.default_rng(0)
    common = rng.normal(0.8, 0.03, 50)
    results = _fake_results({"A": common, "B": common + 0.003 + rng.normal(0, 0.001, 50)})
    row = compare(results, rope=0.01).iloc[0]
    assert row.significant and row.statistic < 0 and row.prob_equivalent > 0.95
    assert row.verdict == (
        f"B better than A (p_adj={row.pvalue_adjusted:.3g}), "
        f"but practically equivalent (P(rope)={row.prob_equivalent:.2f})"
    )
    # rope=0: nothing is practically equivalent, the verdict is the test's alone
    row0 = compare(results, rope=0).iloc[0]
    assert row0.prob_equivalent == 0.0
    assert row0.verdict == f"B better than A (p_adj={row0.pvalue_adjusted:.3g})"


def test_compare_holm_differs_from_statsmodels_default():
    # five models of increasing strength give p-values where Holm and Holm-Sidak differ
    rng = np.random.default_rng(3)
    common = rng.normal(0.8, 0.02, 30)
    scores = {f"m{i}": common + 0.004 * i + rng.normal(0, 0.01, 30) for i in range(5)}
    table = compare(_fake_results(scores))
    holm = multipletests(table.pvalue, method="holm")[1]
    holm_sidak = multipletests(table.pvalue)[1]  # statsmodels' default method "hs"
    assert_allclose(table.pvalue_adjusted, holm, rtol=1e-12)
    assert not np.allclose(holm, holm_sidak, rtol=1e-6)


@pytest.mark.parametrize("test", ["paired_ttest", "wilcoxon"])
def test_compare_other_tests(three_model_results, test):
    results, scores = three_model_results
    table = compare(results, test=test, correction="none")
    ref = (paired_ttest if test == "paired_ttest" else wilcoxon_test)(
        scores["good"], scores["base"]
    )
    assert_allclose(table.pvalue.iloc[0], ref.pvalue, rtol=1e-12)
    assert_allclose(table.statistic.iloc[0], ref.statistic, rtol=1e-12)
    if test == "wilcoxon":
        assert table.df.isna().all() and table.ci_low.isna().all()


def test_compare_wilcoxon_verdict_follows_the_ranks_not_the_mean():
    # A loses by 0.01 on 19 splits and wins by 0.2 on one: mean difference +0.0005, but
    # T+ = 20 and T- = 190, so the signed-rank test finds B better (scipy: alternative="less")
    b = np.linspace(0.7, 0.8, 20)
    a = b - 0.01
    a[-1] = b[-1] + 0.2
    row = compare(_fake_results({"A": a, "B": b}), test="wilcoxon").iloc[0]
    assert row.mean_difference > 0 and row.pvalue < 0.05
    assert sps.wilcoxon(a - b, alternative="less").pvalue < 0.05
    assert row.verdict.startswith("B better than A")


def test_compare_float32_scores_match_direct_calls():
    # a float32 score column was cast to float64 before testing, so compare() ranked the
    # float32 rounding of 0.9 - 0.8 and 0.8 - 0.7 apart (p 0.1719) where wilcoxon_test on the
    # same scores ties them (p 0.1875, scipy's exact permutation p on the exact differences)
    b = np.array([0.8, 0.7, 0.9, 0.6, 0.5, 0.4, 0.55])
    d = np.array([1, 2, -3, 1, 2, 3, 4]) / 10
    results = _fake_results({"A": b + d, "B": b})
    results.scores["accuracy"] = results.scores["accuracy"].astype(np.float32)
    table = compare(results, test="wilcoxon", correction="none")
    assert_allclose(table.pvalue[0], sps.wilcoxon(d).pvalue, rtol=1e-12)
    a32, b32 = (b + d).astype(np.float32), b.astype(np.float32)
    assert table.pvalue[0] == wilcoxon_test(a32, b32).pvalue


def test_compare_uses_per_split_sizes():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.8, 0.02, 10), rng.normal(0.79, 0.02, 10)
    results = _fake_results({"A": a, "B": b})
    sizes = np.array([91, 90, 90, 91, 90, 90, 91, 90, 90, 91])
    results.scores["n_train"] = np.tile(sizes, 2)
    results.scores["n_test"] = 200 - results.scores["n_train"]
    row = compare(results, correction="none").iloc[0]
    assert_allclose(row.pvalue, corrected_ttest(a, b, sizes, 200 - sizes).pvalue, rtol=1e-12)


def test_compare_on_real_trial_results():
    # a real TrialResults from run_trials (not the stand-in): same numbers as direct calls
    from clfcompare.trials import run_trials

    X, y = make_classification(n_samples=90, n_features=5, random_state=1)
    models = {"lr": LogisticRegression(), "nb": GaussianNB()}
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    res = run_trials(models, X, y, cv=cv, progress=False)
    row = compare(res, correction="none").iloc[0]
    table = res.score_table()
    sizes = res.scores[res.scores.model == "lr"]
    ref = corrected_ttest(table["lr"], table["nb"], sizes["n_train"], sizes["n_test"])
    assert (row.model_a, row.model_b) == ("lr", "nb")
    assert_allclose([row.statistic, row.pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    assert_allclose(ref.df, 5)


def test_compare_bad_results(three_model_results):
    results, scores = three_model_results
    missing_model = SimpleNamespace(
        scores=results.scores[results.scores.model != "twin"], models=results.models
    )
    with pytest.raises(ValueError, match=r"no rows for model\(s\) \['twin'\]"):
        compare(missing_model)
    missing_split = SimpleNamespace(
        scores=results.scores.drop(
            index=results.scores.index[(results.scores.model == "base")][3]
        ),
        models=results.models,
    )
    with pytest.raises(ValueError, match=r"model 'base' has no 'accuracy' score.*\[3\]"):
        compare(missing_split)
    nan_scores = results.scores.copy()
    nan_scores.loc[0, "accuracy"] = np.nan
    with pytest.raises(ValueError, match="model 'good' has no 'accuracy' score"):
        compare(SimpleNamespace(scores=nan_scores, models=results.models))
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['f1'\]"):
        compare(results, metric="f1")
    with pytest.raises(ValueError, match="baseline 'nope' is not one of the models"):
        compare(results, baseline="nope")
    with pytest.raises(ValueError, match="test must be one of"):
        compare(results, test="mcnemar")
    with pytest.raises(ValueError, match="correction must be one of"):
        compare(results, correction="hs")
    with pytest.raises(TypeError, match="must be a TrialResults"):
        compare({"good": scores["good"]})
    with pytest.raises(ValueError, match="at least 2 models"):
        compare(_fake_results({"only": scores["good"]}))
    duplicated = SimpleNamespace(scores=results.scores, models=("good", "good", "base"))
    with pytest.raises(ValueError, match=r"duplicate model name\(s\) \['good'\]"):
        compare(duplicated)  # was an IndexError deep in pandas
    one_split = _fake_results({"A": [0.8], "B": [0.7]})
    with pytest.raises(ValueError, match="at least 2 paired scores"):
        compare(one_split)


# --------------------------------------------------------------------------------------------
# test="auto": the conservative Z when the results have half/half partitions
# --------------------------------------------------------------------------------------------
class _HalvesResults:
    """Stand-in for a TrialResults of ``RepeatedKFoldWithHalves`` (the issue-11 contract):
    ``scores`` holds the main splits ``0 .. J-1`` and then the half splits; ``design``,
    ``score_table(metric, role)`` and ``split_roles()`` as the trials layer gives them."""

    def __init__(self, main, half, *, n_train=240, n_test=30, half_train=120, half_test=30):
        self.models = tuple(main)
        first = next(iter(main.values()))
        n_main = len(first)
        n_partitions, _, inner = np.shape(next(iter(half.values())))
        self.design = {
            "kind": "halves",
            "n_main": n_main,
            "n_splits": 10,
            "n_repeats": n_main // 10,
            "n_partitions": n_partitions,
            "inner_splits": inner,
        }
        roles = [dict(split=j, role="main", repeat=j // 10, fold=j % 10, partition=-1, half=-1)
                 for j in range(n_main)]  # fmt: skip
        keys = list(itertools.product(range(n_partitions), range(2), range(inner)))
        roles += [dict(split=n_main + i, role="half", repeat=-1, fold=f, partition=m, half=h)
                  for i, (m, h, f) in enumerate(keys)]  # fmt: skip
        self._roles = pd.DataFrame(roles)
        rows = []
        for model in self.models:
            for r in self._roles.itertuples():
                main_row = r.role == "main"
                where = r.split if main_row else (r.partition, r.half, r.fold)
                value = (main if main_row else half)[model][where]
                rows.append(dict(
                    model=model, split=r.split, repeat=r.repeat, fold=r.fold,
                    n_train=n_train if main_row else half_train,
                    n_test=n_test if main_row else half_test, fit_time=0.01, accuracy=value,
                ))  # fmt: skip
        self.scores = pd.DataFrame(rows)

    def split_roles(self):
        return self._roles.copy()

    def score_table(self, metric="accuracy", role="main"):
        rows = self.scores.merge(self._roles[["split", "role", "partition", "half"]], on="split")
        rows = rows[rows["role"] == role]
        index = "split" if role == "main" else ["partition", "half", "fold"]
        table = rows.pivot_table(index=index, columns="model", values=metric, aggfunc="first")
        table = table[list(self.models)]
        # the half rows in a scrambled order: compare() must order them itself
        return table if role == "main" else table.sample(frac=1.0, random_state=0)


def _halves_scores(seed=0, n_main=100, n_partitions=10, inner=5):
    rng = np.random.default_rng(seed)
    common = rng.normal(0.8, 0.02, n_main)
    half_common = rng.normal(0.78, 0.03, (n_partitions, 2, inner))
    main = {
        "a": common + 0.01 + rng.normal(0, 0.01, n_main),
        "b": common + rng.normal(0, 0.01, n_main),
        "c": common - 0.002 + rng.normal(0, 0.01, n_main),
    }
    shifts = {"a": 0.01, "b": 0.0, "c": -0.002}
    noise = {m: rng.normal(0, 0.015, half_common.shape) for m in shifts}
    half = {m: half_common + d + noise[m] for m, d in shifts.items()}
    return main, half


def test_compare_auto_uses_conservative_z_with_halves():
    main, half = _halves_scores()
    results = _HalvesResults(main, half)
    table = compare(results)
    assert (table.test == "conservative_z").all() and table.attrs["test"] == "conservative_z"
    assert list(table.columns)[-1] == "test"
    for row in table.itertuples():
        a, b = row.model_a, row.model_b
        ref = conservative_z(main[a], main[b], half[a], half[b])
        assert_allclose(
            [row.mean_difference, row.ci_low, row.ci_high, row.statistic, row.pvalue],
            [ref.mean_difference, ref.ci_low, ref.ci_high, ref.statistic, ref.pvalue],
            rtol=1e-12,
        )
        assert math.isnan(row.df)
        # the posterior is the main CV's, with the main splits' sizes (not the halves')
        bayes = bayesian_correlated_ttest(main[a], main[b], 240, 30, rope=0.01)
        assert_allclose(row.prob_equivalent, bayes.prob_equivalent, rtol=1e-12)
    assert_allclose(
        table.pvalue_adjusted, multipletests(table.pvalue, method="holm")[1], rtol=1e-12
    )
    # the same call with the test named
    pd.testing.assert_frame_equal(compare(results, test="conservative_z"), table)


def test_compare_named_tests_use_the_main_splits_only():
    main, half = _halves_scores(1)
    results = _HalvesResults(main, half)
    table = compare(results, test="corrected_ttest", correction="none", baseline="b")
    assert (table.test == "corrected_ttest").all()
    ref = corrected_ttest(main["a"], main["b"], 240, 30)
    row = table.iloc[0]
    assert (row.model_a, row.model_b) == ("a", "b")
    assert_allclose([row.statistic, row.pvalue, row.df], [ref.statistic, ref.pvalue, 99])
    wil = compare(results, test="wilcoxon", correction="none").iloc[0]
    assert_allclose(wil.pvalue, wilcoxon_test(main["a"], main["b"]).pvalue, rtol=1e-12)


def test_compare_conservative_z_without_halves_says_how_to_get_them(three_model_results):
    results, _ = three_model_results
    with pytest.raises(ValueError, match=r"clfcompare\.trials\.RepeatedKFoldWithHalves"):
        compare(results, test="conservative_z")
    # a design that is not one with halves is ordinary CV
    results.design = None
    assert (compare(results).test == "corrected_ttest").all()
    results.design = {"kind": "kfold"}
    assert (compare(results).test == "corrected_ttest").all()
    with pytest.raises(ValueError, match="needs Nadeau and Bengio's half/half partitions"):
        compare(results, test="conservative_z")


def test_compare_halves_bad_results():
    main, half = _halves_scores(2, n_partitions=3, inner=2)
    results = _HalvesResults(main, half)
    nan = results.scores.copy()
    nan.loc[(nan.model == "c") & (nan.split == 101), "accuracy"] = np.nan
    results.scores = nan
    with pytest.raises(ValueError, match="model 'c' has no 'accuracy' score .* half split"):
        compare(results)
    results = _HalvesResults(main, half)
    results.design = dict(results.design, n_partitions=4)
    with pytest.raises(ValueError, match="12 half-split scores, expected .* = 16"):
        compare(results)
    results.design = {"kind": "halves"}
    with pytest.raises(ValueError, match="must give n_partitions and inner_splits"):
        compare(results)


def test_compare_on_real_results_with_halves():
    # run_trials with RepeatedKFoldWithHalves: the same numbers as direct calls on its tables
    from sklearn.tree import DecisionTreeClassifier

    from clfcompare.trials import RepeatedKFoldWithHalves, run_trials

    X, y = make_classification(n_samples=120, n_features=5, random_state=1)
    models = {"lr": LogisticRegression(), "tree": DecisionTreeClassifier(random_state=0)}
    cv = RepeatedKFoldWithHalves(n_splits=4, n_repeats=2, n_partitions=3, random_state=0)
    res = run_trials(models, X, y, cv=cv, progress=False)
    row = compare(res).iloc[0]
    main = res.score_table()
    half = res.score_table(role="half").sort_index()
    assert len(main) == 8 and len(half) == 3 * 2 * 2
    ref = conservative_z(
        main["lr"], main["tree"],
        half["lr"].to_numpy().reshape(3, 2, 2), half["tree"].to_numpy().reshape(3, 2, 2),
    )  # fmt: skip
    assert row.test == "conservative_z"
    assert_allclose([row.statistic, row.pvalue], [ref.statistic, ref.pvalue], rtol=1e-12)
    # the corrected t on the main splits with their sizes (not the halves')
    t_row = compare(res, test="corrected_ttest").iloc[0]
    assert_allclose(t_row.pvalue, corrected_ttest(main["lr"], main["tree"], 90, 30).pvalue)


def test_compare_averages_the_seeds_of_a_split():
    # with n_seeds, each data split's scores are averaged over its seeds (score_table), so the
    # tests see the J data splits, not J * n_seeds trials
    from clfcompare.estimators import TorchMLPClassifier
    from clfcompare.trials import RepeatedKFoldWithHalves, run_trials

    X, y = make_classification(n_samples=80, n_features=4, random_state=1)
    mlp = dict(max_epochs=3, device="cpu", random_state=0)
    models = {
        "a": TorchMLPClassifier(hidden_layer_sizes=(4,), **mlp),
        "b": TorchMLPClassifier(hidden_layer_sizes=(3,), **mlp),
    }
    cv = RepeatedKFoldWithHalves(n_splits=4, n_repeats=2, n_partitions=3, random_state=0)
    res = run_trials(models, X, y, cv=cv, progress=False, n_seeds=2)
    assert len(res.scores) == 2 * 2 * (8 + 12)
    main, half = res.score_table(), res.score_table(role="half").sort_index()
    ref = conservative_z(
        main["a"], main["b"],
        half["a"].to_numpy().reshape(3, 2, 2), half["b"].to_numpy().reshape(3, 2, 2),
    )  # fmt: skip
    row = compare(res).iloc[0]
    assert_allclose([row.mean_difference, row.pvalue], [ref.mean_difference, ref.pvalue])
    t_row = compare(res, test="corrected_ttest").iloc[0]
    assert t_row.df == 7  # 8 data splits
    assert_allclose(t_row.pvalue, corrected_ttest(main["a"], main["b"], 60, 20).pvalue)


# --------------------------------------------------------------------------------------------
# the verdict rule, one public function
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_equivalence_threshold_is_one_minus_alpha(alpha):
    assert equivalence_threshold(alpha) == 1 - alpha
    # the verdict switches to "practically equivalent" exactly at the threshold
    below = np.nextafter(1 - alpha, 0)
    assert verdict("A", "B", 1.0, 0.5, 1 - alpha, alpha) == (
        f"practically equivalent (P(rope)={1 - alpha:.2f})"
    )
    assert verdict("A", "B", 1.0, 0.5, below, alpha) == "no significant difference (p_adj=0.5)"


@pytest.mark.parametrize(
    ("direction", "p_adj", "prob_eq", "expected"),
    [
        (2.0, 0.001, 0.2, "A better than B (p_adj=0.001)"),
        (-2.0, 0.001, 0.2, "B better than A (p_adj=0.001)"),
        (-math.inf, 0.0, 0.0, "B better than A (p_adj=0)"),  # constant difference: t = -inf
        (0.0, 0.001, 0.2, "B better than A (p_adj=0.001)"),  # only direction > 0 names A
        (
            2.0,
            0.001,
            0.99,
            "A better than B (p_adj=0.001), but practically equivalent (P(rope)=0.99)",
        ),
        (2.0, 0.05, 0.2, "no significant difference (p_adj=0.05)"),  # p_adj < alpha, strictly
        (2.0, 0.3, 0.96, "practically equivalent (P(rope)=0.96)"),
    ],
)
def test_verdict_rule(direction, p_adj, prob_eq, expected):
    assert verdict("A", "B", direction, p_adj, prob_eq, alpha=0.05) == expected


def test_verdict_threshold_follows_alpha():
    # P(rope) = 0.97: equivalent at alpha = 0.05 (>= 0.95), not at alpha = 0.01 (< 0.99); the
    # report's prose had a literal 0.95 that disagreed with the table at alpha = 0.01
    assert verdict("A", "B", 1.0, 0.5, 0.97, 0.05).startswith("practically equivalent")
    assert verdict("A", "B", 1.0, 0.5, 0.97, 0.01).startswith("no significant difference")


def test_compare_verdicts_are_the_public_rule(three_model_results):
    results, _ = three_model_results
    for alpha in (0.01, 0.05):
        table = compare(results, alpha=alpha)
        for row in table.itertuples():
            direction = row.statistic  # corrected t-test: the sign of t
            assert row.verdict == verdict(
                row.model_a,
                row.model_b,
                direction,
                row.pvalue_adjusted,
                row.prob_equivalent,
                alpha,
            )


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (("A", "B", 1.0, 0.01, 0.5, 0), ValueError, "alpha must be a number strictly between"),
        (("A", "B", 1.0, 1.5, 0.5, 0.05), ValueError, r"p_adjusted must be finite and in \[0"),
        (("A", "B", 1.0, 0.01, np.nan, 0.05), ValueError, "prob_equivalent must be finite"),
        (("A", "B", np.nan, 0.01, 0.5, 0.05), ValueError, "direction must be a number"),
        (("A", "B", "up", 0.01, 0.5, 0.05), ValueError, "direction must be a number"),
        (("A", "B", 1.0, "0.01", 0.5, 0.05), TypeError, "p_adjusted must be a real number"),
    ],
)
def test_verdict_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        verdict(*args)


def test_compare_docstring_quotes_the_calibrations_type_i_errors():
    """compare()'s docstring quotes the corrected t's measured Type I errors (the README's
    "Which test to use when": 0.072 tree, 0.119 1-NN, 0.041 nearest mean), not a rounded
    figure of an older calibration."""
    from clfcompare.report.prose import CALIBRATION

    doc = " ".join(compare.__doc__.split())
    t = CALIBRATION["corrected_ttest"]
    tree, nn = t["unstable"]
    assert f"{tree:.3f} of the time at alpha = 0.05 for a fully grown tree" in doc
    assert f"{nn:.3f} for 1-NN" in doc and f"{t['stable']:.3f} for the nearest class mean" in doc
    assert "13%" not in doc
