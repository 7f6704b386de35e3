"""Tests of clfcompare.stats.predictions: McNemar's test on per-sample predictions.

References: statsmodels' mcnemar, mlxtend's mcnemar and mcnemar_table, and closed forms.
"""

import math

import numpy as np
import pytest
from _stats_data import RTOL, make_predictions
from mlxtend.evaluate import mcnemar as mlx_mcnemar
from mlxtend.evaluate import mcnemar_table as mlx_mcnemar_table
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from clfcompare.stats import (
    mcnemar,
)


# --------------------------------------------------------------------------------------------
# McNemar vs mlxtend and statsmodels
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mcnemar_matches_mlxtend_and_statsmodels(seed):
    y, pa, pb = make_predictions(seed)
    table = mlx_mcnemar_table(y, pa, pb)
    exact = mcnemar(y, pa, pb)  # exact=True default, like statsmodels
    chi2 = mcnemar(y, pa, pb, exact=False)  # corrected chi2, mlxtend's default
    chi2_raw = mcnemar(y, pa, pb, exact=False, correction=False)
    assert (exact.b, exact.c) == (table[0, 1], table[1, 0])
    assert exact.b != exact.c  # the correction clamp below plays no role here

    sm_exact = sm_mcnemar(table)  # statsmodels default: exact=True
    assert_allclose(exact.pvalue, sm_exact.pvalue, rtol=RTOL)
    assert exact.statistic == sm_exact.statistic  # min(b, c)
    _, mlx_p_exact = mlx_mcnemar(table, exact=True)
    assert_allclose(exact.pvalue, mlx_p_exact, rtol=RTOL)

    mlx_chi2, mlx_p = mlx_mcnemar(table)  # mlxtend default: chi2 with correction
    assert_allclose([chi2.statistic, chi2.pvalue], [mlx_chi2, mlx_p], rtol=RTOL)
    sm_chi2 = sm_mcnemar(table, exact=False, correction=True)
    assert_allclose([chi2.statistic, chi2.pvalue], [sm_chi2.statistic, sm_chi2.pvalue], rtol=RTOL)
    mlx_chi2_raw, mlx_p_raw = mlx_mcnemar(table, corrected=False)
    assert_allclose([chi2_raw.statistic, chi2_raw.pvalue], [mlx_chi2_raw, mlx_p_raw], rtol=RTOL)
    assert chi2.df == 1

    # accuracy difference = (b - c) / n
    assert_allclose(exact.mean_difference, np.mean(pa == y) - np.mean(pb == y), rtol=1e-12)


def test_mcnemar_closed_form_and_defaults_differ():
    # b = 6, c = 0: exact two-sided p = 2 * 0.5**6; chi2 (corrected) = (6 - 1)^2 / 6
    y = np.zeros(20, dtype=int)
    pa = np.zeros(20, dtype=int)
    pb = np.r_[np.ones(6, dtype=int), np.zeros(14, dtype=int)]
    exact = mcnemar(y, pa, pb)
    chi2 = mcnemar(y, pa, pb, exact=False)
    assert (exact.b, exact.c) == (6, 0)
    assert_allclose(exact.pvalue, 2 * 0.5**6, rtol=1e-12)
    assert_allclose(chi2.statistic, 25 / 6, rtol=1e-12)
    assert_allclose(chi2.pvalue, sps.chi2.sf(25 / 6, 1), rtol=1e-12)
    assert exact.pvalue != pytest.approx(chi2.pvalue, rel=0.05)  # the trap: defaults differ
    # Wald CI of accuracy_a - accuracy_b = 6/20: (b-c)/n +- z sqrt(b+c-(b-c)^2/n)/n
    half = sps.norm.ppf(0.975) * math.sqrt(6 - 36 / 20) / 20
    assert_allclose([exact.ci_low, exact.ci_high], [0.3 - half, 0.3 + half], rtol=1e-12)


def test_mcnemar_wald_interval_is_not_the_test_inversion():
    # the documented example: b = 5, c = 0, n = 20; exact p = 2 * 0.5**5 (closed form), while
    # the Wald interval 0.25 +- 1.96 * sqrt(5 - 25/20) / 20 excludes 0
    y, pa = np.zeros(20, dtype=int), np.zeros(20, dtype=int)
    pb = np.r_[np.ones(5, dtype=int), np.zeros(15, dtype=int)]
    res = mcnemar(y, pa, pb)
    assert_allclose(res.pvalue, 2 * 0.5**5, rtol=1e-12)
    half = sps.norm.ppf(0.975) * math.sqrt(5 - 25 / 20) / 20
    assert_allclose([res.ci_low, res.ci_high], [0.25 - half, 0.25 + half], rtol=1e-12)
    assert res.pvalue > 0.05 and res.ci_low > 0
    assert_allclose([res.ci_low, res.ci_high], [0.060, 0.440], atol=5e-4)  # as the docs say


def test_mcnemar_ties_and_no_discordant_pairs():
    y = np.array(["x", "y", "x", "y", "x", "y"])
    pa = np.array(["x", "x", "x", "y", "x", "y"])  # wrong on sample 1
    pb = np.array(["x", "y", "y", "y", "x", "y"])  # wrong on sample 2
    for exact in (True, False):
        res = mcnemar(y, pa, pb, exact=exact)
        assert (res.b, res.c) == (1, 1)
        assert res.pvalue == 1.0
    # b == c: statsmodels/mlxtend report chi2 = (|b-c|-1)^2/(b+c) = 1/2; we clamp to 0 (p = 1)
    assert mcnemar(y, pa, pb, exact=False).statistic == 0.0
    assert_allclose(sm_mcnemar([[4, 1], [1, 0]], exact=False).statistic, 0.5)
    same = mcnemar(y, pa, pa, exact=False)
    assert (same.b, same.c, same.statistic, same.pvalue) == (0, 0, 0.0, 1.0)
    assert mcnemar(y, pa, pa).pvalue == 1.0


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (([0, 1, 1], [0, 1], [0, 1, 1]), ValueError, "same length"),
        (([], [], []), ValueError, "at least one sample"),
        (([[0, 1]], [[0, 1]], [[0, 1]]), ValueError, "1-dimensional"),
        (([0.0, 1.0], [np.nan, 1.0], [0.0, 1.0]), ValueError, "NaN"),
        (([[0, 1], [1]], [0, 1], [0, 1]), ValueError, "y_true must be a 1-D array of labels"),
    ],
)
def test_mcnemar_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        mcnemar(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((["a", "b", "a"], [0, 1, 0], [0, 1, 1]), "y_true has string labels, pred_a has numeric"),
        (([0, 1, 1], [0, 1, 1], ["0", "1", "0"]), "y_true has numeric labels, pred_b has string"),
        (([None, 1, 0], [1, 1, 0], [0, 1, 0]), "y_true contains None"),
        (([0, 1, 0], ["a", 1, 0], [0, 1, 0]), "pred_a has string"),  # numpy: ["a", "1", "0"]
        (
            ([0, 1, 0], np.array(["a", 1, 0], dtype=object), [0, 1, 0]),
            "pred_a mixes numeric and string labels",
        ),
    ],
)
def test_mcnemar_label_types_must_match(args, match):
    # a string label never equals a numeric one: every prediction counted as wrong for both
    # models, b = c = 0, p = 1, silently (sklearn's accuracy_score raises "Mix of label input
    # types (string and number)")
    with pytest.raises(ValueError, match=match):
        mcnemar(*args)


def test_mcnemar_numeric_label_types_may_differ():
    # bool/int/float labels compare by value, as in sklearn's accuracy_score
    y = [0, 1, 1, 0]
    res = mcnemar(y, [0.0, 1.0, 0.0, 0.0], [True, True, True, True])
    assert (res.b, res.c) == (2, 1)  # A alone right on samples 0 and 3, B alone on 2


@pytest.mark.parametrize("kwargs", [{"exact": "False"}, {"exact": None}, {"correction": 0}])
def test_mcnemar_flags_must_be_bool(kwargs):
    # exact="False" is truthy: it silently ran the exact test
    with pytest.raises(TypeError, match="must be True or False"):
        mcnemar([0, 1, 1], [0, 1, 0], [0, 0, 1], **kwargs)


# --------------------------------------------------------------------------------------------
# misuse refused: predictions pooled over repeated CV (issue 11, item 7)
# --------------------------------------------------------------------------------------------
def test_mcnemar_refuses_rows_counted_several_times():
    y, pa, pb = make_predictions(0, n=60)
    rows = np.arange(60)
    # three repeats of CV pooled: every row predicted three times
    pooled = [np.tile(v, 3) for v in (y, pa, pb)]
    with pytest.raises(ValueError, match="occur more than once") as info:
        mcnemar(*pooled, samples=np.tile(rows, 3))
    text = str(info.value)
    assert "each test row once" in text and "corrected_ttest" in text
    assert "up to 3 times" in text
    # the same predictions without row ids are not checked (and give a too-small p-value)
    assert mcnemar(*pooled).n == 180
    # one held-out split, each row once (in any order, any id type): accepted, same numbers
    once = mcnemar(y, pa, pb, samples=rows[::-1])
    assert once == mcnemar(y, pa, pb)
    assert mcnemar(y, pa, pb, samples=[f"r{i}" for i in rows]) == once
    # a single repeated id is enough
    ids = rows.copy()
    ids[5] = ids[7]
    with pytest.raises(ValueError, match=r"1 row id\(s\) occur more than once \(e.g. 7"):
        mcnemar(y, pa, pb, samples=ids)


def test_mcnemar_samples_must_match_the_predictions():
    y, pa, pb = make_predictions(1, n=30)
    with pytest.raises(ValueError, match=r"one per prediction \(30\)"):
        mcnemar(y, pa, pb, samples=np.arange(29))
    with pytest.raises(ValueError, match="one per prediction"):
        mcnemar(y, pa, pb, samples=np.arange(30).reshape(15, 2))
    with pytest.raises(ValueError, match="NaN or inf row ids"):
        mcnemar(y, pa, pb, samples=np.r_[np.arange(29.0), np.nan])


def test_mcnemar_refuses_pooled_trial_predictions():
    # the predictions a repeated-CV run stores: each sample once per repeat
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.naive_bayes import GaussianNB

    from clfcompare.trials import run_trials

    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] > 0).astype(int)
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0)
    res = run_trials({"a": LogisticRegression(), "b": GaussianNB()}, x, y, cv=cv, progress=False)
    p = res.predictions
    pa = p[p["model"] == "a"].sort_values(["split", "sample"])
    pb = p[p["model"] == "b"].sort_values(["split", "sample"])
    with pytest.raises(ValueError, match="pooled over repeated"):
        mcnemar(pa["y_true"], pa["y_pred"], pb["y_pred"], samples=pa["sample"])
