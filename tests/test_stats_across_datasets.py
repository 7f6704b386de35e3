"""Tests of clfcompare.stats.across_datasets and .posthoc: Wilcoxon, sign test, Friedman/Nemenyi,
rank z-tests (Holm, Bonferroni-Dunn), Wilcoxon-Holm, cliques and compare_datasets.

References: SciPy (wilcoxon with its exact, permutation and asymptotic methods,
friedmanchisquare), the grouped-binomial closed form of the signed-rank null with ties
(Lehmann 1975), enumeration by hand, Demšar (2006, Table 5 and section 3.2.2), scipy's
binomtest, scikit-posthocs (posthoc_siegel_friedman, posthoc_wilcoxon) and statsmodels.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from _stats_data import RTOL, cv_scores, score_table
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import (
    COMPARE_DATASETS_COLUMNS,
    cliffs_delta,
    cliques,
    cohens_d,
    compare_datasets,
    friedman_nemenyi,
    published_table,
    rank_z_test,
    sign_test,
    wilcoxon_holm,
    wilcoxon_test,
)
from clfcompare.stats.across_datasets import (
    _signed_rank_exact_pvalue,
    _signed_rank_normal_pvalue,
    _signed_rank_null_counts,
    _signed_rank_ranks,
)
from clfcompare.stats.posthoc import bonferroni_dunn_critical_difference

# --------------------------------------------------------------------------------------------
# Wilcoxon vs scipy, closed forms and enumeration
# --------------------------------------------------------------------------------------------
_ALTS = ["two-sided", "greater", "less"]


def _wilcoxon_differences(n, kind, seed):
    """Paired differences of one of three kinds, exactly representable (multiples of 1/8).

    "distinct": no ties, no zeros; "ties": tied magnitudes, no zeros; "zeros": tied magnitudes
    and at least one zero (and at least one nonzero) difference.
    """
    rng = np.random.default_rng([seed, n, len(kind)])
    if kind == "distinct":
        d = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1, 1], n)
    elif kind == "ties":
        d = rng.choice([-3, -2, -1, 1, 2, 3], n)
    else:
        d = rng.integers(-3, 4, n)
        d[0], d[-1] = 0, 2  # (n = 1 keeps the nonzero one)
    return d / 8.0


def _grouped_binomial_pvalues(d):
    """Closed-form exact null with ties (Lehmann 1975, ch. 3), independent of the module's DP.

    Given the magnitudes, the nonzero differences fall into groups g of m_g equal |d| with
    midrank r_g (scipy.stats.rankdata), and T+ = sum_g r_g K_g with independent
    K_g ~ Binomial(m_g, 1/2) (how many of the group are positive). Enumerates every (K_g) and
    returns (two-sided, greater, less) with SciPy's definitions.
    """
    nz = d[d != 0]
    ranks = sps.rankdata(np.abs(nz))
    t_obs = ranks[nz > 0].sum()
    _, first, sizes = np.unique(np.abs(nz), return_index=True, return_counts=True)
    if np.prod(sizes + 1.0) > 1e6:
        raise ValueError("too many tie groups to enumerate; use few distinct magnitudes")
    midranks = ranks[first]
    grids = np.meshgrid(*[np.arange(m + 1) for m in sizes], indexing="ij")
    t_null = sum(r * k for r, k in zip(midranks, grids, strict=True))
    prob = np.prod([sps.binom.pmf(k, m, 0.5) for k, m in zip(grids, sizes, strict=True)], axis=0)
    greater = prob[t_null >= t_obs].sum()
    less = prob[t_null <= t_obs].sum()
    return {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater, "less": less}


def _ours_on_differences(d, alternative):
    res = wilcoxon_test(d, np.zeros_like(d), alternative=alternative)
    assert res.n == d.size
    return res


_SMALL_CASES = [
    (n, kind, alt) for n in range(2, 11) for kind in ("distinct", "ties", "zeros") for alt in _ALTS
] + [(13, "zeros", "two-sided")]  # largest n of scipy's permutation path (~1 s per call)


@pytest.mark.parametrize(("n", "kind", "alternative"), _SMALL_CASES)
def test_wilcoxon_small_n_matches_scipy_exact_and_permutation(n, kind, alternative):
    # scipy's default (method="auto"): exact distribution without ties/zeros, otherwise for
    # n <= 13 a permutation test over all 2^n sign flips; both exact.
    d = _wilcoxon_differences(n, kind, seed=0)
    ref = sps.wilcoxon(d, zero_method="wilcox", alternative=alternative)
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("n", [*range(11, 21), 30, 49, 50])
def test_wilcoxon_larger_n_distinct_matches_scipy_exact(n, alternative):
    d = _wilcoxon_differences(n, "distinct", seed=1)
    ref = sps.wilcoxon(d, alternative=alternative, method="exact")
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["ties", "zeros"])
@pytest.mark.parametrize("n", [*range(2, 21), 30, 49, 50])
def test_wilcoxon_ties_match_grouped_binomial_closed_form(n, kind, alternative):
    # scipy has no exact reference here for n > 13 (its permutation path needs 2^n resamples;
    # its default uses the normal approximation for 14 <= n <= 50 with ties or zeros).
    d = _wilcoxon_differences(n, kind, seed=2)
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.pvalue, _grouped_binomial_pvalues(d)[alternative], rtol=1e-12)
    # statistic: scipy's, which does not depend on the method
    ref = sps.wilcoxon(d, alternative=alternative, method="asymptotic")
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["distinct", "ties", "zeros"])
@pytest.mark.parametrize("n", [51, 60, 200])
def test_wilcoxon_large_n_matches_scipy_normal_approximation(n, kind, alternative):
    # above WILCOXON_EXACT_MAX_N (counting zeros, as scipy's method="auto"): scipy's normal
    # approximation with tie correction and its default correction=False
    d = _wilcoxon_differences(n, kind, seed=3)
    ref = sps.wilcoxon(d, alternative=alternative, method="asymptotic")
    res = _ours_on_differences(d, alternative)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    assert_allclose(res.pvalue, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("kind", ["distinct", "ties", "zeros"])
@pytest.mark.parametrize("correction", [False, True])
def test_wilcoxon_normal_helper_matches_scipy(kind, alternative, correction):
    d = _wilcoxon_differences(40, kind, seed=4)
    ranks2, positive, tie_sizes = _signed_rank_ranks(d, tol=0.0)
    r_plus = ranks2[positive].sum() / 2
    p = _signed_rank_normal_pvalue(
        r_plus, ranks2.size, tie_sizes, alternative, correction=correction
    )
    ref = sps.wilcoxon(d, alternative=alternative, correction=correction, method="asymptotic")
    assert_allclose(p, ref.pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("d", [[0.5], [-0.5]])
def test_wilcoxon_exact_helper_one_difference(d, alternative):
    # n = 1 (the public function needs 2 pairs): null T+ in {0, 1} with probability 1/2 each
    d = np.array(d)
    ranks2, positive, _ = _signed_rank_ranks(d, tol=0.0)
    p = _signed_rank_exact_pvalue(int(ranks2[positive].sum()), ranks2, alternative)
    assert_allclose(p, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)


@pytest.mark.parametrize(
    ("d", "t_plus"),
    [
        ([1.0, -2.0, 3.0], 4.0),  # distinct: ranks 1, 2, 3
        ([1.0, 1.0, -1.0], 4.0),  # one tie group: midranks 2, 2, 2
        ([0.0, 2.0, -1.0, 2.0], 5.0),  # zero dropped; ranks 1 | 2.5, 2.5
    ],
)
@pytest.mark.parametrize("alternative", _ALTS)
def test_wilcoxon_exact_by_hand_enumeration(d, t_plus, alternative):
    # closed form: list all 2^n sign patterns of the nonzero differences by hand
    d = np.array(d)
    nz = d[d != 0]
    ranks = sps.rankdata(np.abs(nz))
    null = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s > 0)
        for signs in itertools.product([-1, 1], repeat=nz.size)
    ]
    greater = sum(t >= t_plus for t in null) / len(null)
    less = sum(t <= t_plus for t in null) / len(null)
    expected = {"two-sided": min(1.0, 2 * min(greater, less)), "greater": greater, "less": less}
    res = wilcoxon_test(d, np.zeros_like(d), alternative=alternative)
    assert_allclose(res.pvalue, expected[alternative], rtol=1e-12)
    assert_allclose(ranks[nz > 0].sum(), t_plus, rtol=0)


def test_wilcoxon_three_distinct_by_hand():
    # d = (1, -2, 3): T+ = 1 + 3 = 4; over the 8 sign patterns T+ takes the values
    # 0, 1, 2, 3, 3, 4, 5, 6, so P(T+ >= 4) = 3/8, P(T+ <= 4) = 6/8, two-sided 2 * 3/8.
    d = np.array([1.0, -2.0, 3.0])
    p = {alt: wilcoxon_test(d, np.zeros(3), alternative=alt).pvalue for alt in _ALTS}
    assert_allclose([p["greater"], p["less"], p["two-sided"]], [3 / 8, 6 / 8, 6 / 8], rtol=1e-15)


def test_wilcoxon_null_counts():
    # generating function prod_i (1 + z^(2 r_i)) for ranks 1, 2, 3 (doubled: 2, 4, 6):
    # 1 + z^2 + z^4 + 2 z^6 + z^8 + z^10 + z^12
    counts = _signed_rank_null_counts([2, 4, 6])
    assert counts.tolist() == [1, 0, 1, 0, 1, 0, 2, 0, 1, 0, 1, 0, 1]
    # n = 50 distinct ranks: 2^50 patterns, symmetric about n(n+1)/2, exact integers
    counts = _signed_rank_null_counts(2 * np.arange(1, 51))
    assert int(counts.sum()) == 2**50
    assert np.array_equal(counts, counts[::-1])


def test_wilcoxon_rounding_ties():
    # accuracies k/20: a - b is only equal to (ka - kb)/20 up to rounding, e.g.
    # 0.9 - 0.8 != 0.8 - 0.7 in floating point; they must share a midrank (module notes)
    ka = np.array([18, 16, 17, 19, 15, 18, 16, 17, 14, 19])
    kb = np.array([17, 15, 16, 17, 16, 16, 16, 13, 15, 18])
    a, b = ka / 20, kb / 20
    exact_d = (ka - kb) / 20  # equal numerators -> bitwise equal differences
    assert len(np.unique(np.abs(a - b)[a != b])) > len(np.unique(np.abs(exact_d[exact_d != 0])))
    ref = sps.wilcoxon(exact_d)  # ties and a zero, n = 10: scipy's exact permutation path
    res = wilcoxon_test(a, b)
    assert_allclose(res.statistic, ref.statistic, rtol=1e-12)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    # scipy on the raw differences ranks the rounding-distinct magnitudes apart
    assert not np.isclose(sps.wilcoxon(a - b).pvalue, ref.pvalue, rtol=1e-6)


@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("n_splits", [10, 30])
def test_wilcoxon_cv_scores(alternative, n_splits):
    a, b = cv_scores(7, n_splits=n_splits, shift=0.005)
    b[:2] = a[:2]  # exact zero differences: dropped (zero_method="wilcox")
    res = wilcoxon_test(a, b, alternative=alternative)
    d = a - b
    # no tied magnitudes: without the zeros, scipy's exact distribution applies for any n
    ref = sps.wilcoxon(d[d != 0], alternative=alternative, method="exact")
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    if n_splits <= 13:  # with the zeros, scipy's permutation path (also exact)
        assert_allclose(res.pvalue, sps.wilcoxon(d, alternative=alternative).pvalue, rtol=1e-12)
    assert res.n == n_splits


def test_wilcoxon_degenerate():
    a = np.full(8, 0.8)
    same = wilcoxon_test(a, a)  # scipy would give NaN with a RuntimeWarning
    assert (same.statistic, same.pvalue) == (0.0, 1.0)
    const = wilcoxon_test(a + 0.05, a)
    assert const.statistic == 0.0
    assert_allclose(const.pvalue, 2 / 2**8, rtol=1e-12)  # exact null: all 2^8 sign patterns
    big = np.full(60, 0.8)
    assert (wilcoxon_test(big, big).statistic, wilcoxon_test(big, big).pvalue) == (0.0, 1.0)
    const_big = wilcoxon_test(big + 0.05, big)  # normal approximation, all 60 tied
    ref = sps.wilcoxon(np.full(60, 0.05), method="asymptotic")
    assert_allclose(const_big.pvalue, ref.pvalue, rtol=1e-12)
    assert 0 < const_big.pvalue < 1e-10


# --------------------------------------------------------------------------------------------
# Friedman + Nemenyi
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "decimals"), [(0, None), (1, None), (2, 2), (3, 1)])
def test_friedman_matches_scipy(seed, decimals):
    table = score_table(seed, decimals=decimals)
    ref = sps.friedmanchisquare(*[table[c].to_numpy() for c in table.columns])
    res = friedman_nemenyi(table)
    assert_allclose(res.statistic, ref.statistic, rtol=RTOL)
    assert_allclose(res.pvalue, ref.pvalue, rtol=RTOL)
    assert res.df == table.shape[1] - 1
    # average ranks: rank 1 = highest score (scipy rankdata of the negated scores)
    expected_ranks = sps.rankdata(-table.to_numpy(), axis=1).mean(axis=0)
    assert_allclose(res.average_ranks.to_numpy(), expected_ranks, rtol=1e-12)
    assert list(res.average_ranks.index) == list(table.columns)
    # Iman-Davenport closed form
    n, k = table.shape
    ff = (n - 1) * ref.statistic / (n * (k - 1) - ref.statistic)
    assert_allclose(res.iman_davenport_statistic, ff, rtol=1e-10)
    assert_allclose(res.iman_davenport_pvalue, sps.f.sf(ff, k - 1, (k - 1) * (n - 1)), rtol=1e-9)


# Demšar (2006), Table 5(a): critical values q_alpha of the two-tailed Nemenyi test, k = 2..10
_DEMSAR_Q = {
    0.05: [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164],
    0.10: [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920],
}


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_nemenyi_q_alpha_matches_demsar_table(alpha):
    for k, q in zip(range(2, 11), _DEMSAR_Q[alpha], strict=True):
        res = friedman_nemenyi(score_table(0, n_blocks=5, k=k), alpha=alpha)
        # the table's three decimals differ from the exact quantile by up to 7e-4 (measured:
        # k = 3 at 0.05, 2.3437 vs 2.343), so the tolerance is 1e-3
        assert_allclose(res.q_alpha, q, atol=1e-3)
        assert_allclose(res.critical_difference, q * math.sqrt(k * (k + 1) / 30), atol=1e-3)


def test_nemenyi_demsar_worked_example_cd():
    # Demšar (2006), section 3.2.2: k = 4 classifiers, N = 14 data sets, CD = 1.25 at 0.05
    res = friedman_nemenyi(score_table(5, n_blocks=14, k=4))
    assert_allclose(res.critical_difference, 1.25, atol=5e-3)


@pytest.mark.parametrize("seed", [0, 4, 8])
def test_nemenyi_pairwise_pvalues_consistent_with_cd(seed):
    res = friedman_nemenyi(score_table(seed, n_blocks=20, k=5))
    ranks = res.average_ranks.to_numpy()
    p = res.pairwise_pvalues.to_numpy()
    diff = np.abs(ranks[:, None] - ranks[None, :])
    off = ~np.eye(5, dtype=bool)
    assert np.array_equal((p < res.alpha)[off], (diff > res.critical_difference)[off])
    assert_allclose(p, p.T, rtol=0)
    assert np.all(np.diag(p) == 1)
    assert ((p < 0.05) & off).any() and ((p > 0.05) & off).any()  # the check has teeth


def test_nemenyi_two_models_is_a_normal_z_test():
    # closed form for k = 2: the range of two standard normals is sqrt(2)|Z|, so
    # p = 2 * norm.sf(|R1 - R2| / sqrt(k(k+1)/(6N)))
    table = score_table(9, n_blocks=15, k=2)
    res = friedman_nemenyi(table)
    r = res.average_ranks.to_numpy()
    z = abs(r[0] - r[1]) / math.sqrt(2 * 3 / (6 * 15))
    assert_allclose(res.pairwise_pvalues.iloc[0, 1], 2 * sps.norm.sf(z), rtol=1e-6)


def test_friedman_degenerate_tables():
    tied = pd.DataFrame({"A": [0.8, 0.7, 0.9], "B": [0.8, 0.7, 0.9], "C": [0.8, 0.7, 0.9]})
    res = friedman_nemenyi(tied)
    assert (res.statistic, res.pvalue) == (0.0, 1.0)
    assert (res.iman_davenport_statistic, res.iman_davenport_pvalue) == (0.0, 1.0)
    assert_allclose(res.pairwise_pvalues.to_numpy(), 1.0)
    # every row ranks the models alike: chi2 = N(k-1), Iman-Davenport F infinite
    ordered = pd.DataFrame({"A": [0.9, 0.8, 0.95], "B": [0.8, 0.7, 0.9], "C": [0.7, 0.6, 0.5]})
    res = friedman_nemenyi(ordered)
    assert_allclose(res.statistic, 3 * 2, rtol=1e-12)
    assert res.iman_davenport_statistic == math.inf and res.iman_davenport_pvalue == 0.0
    # numpy input: models numbered 0..k-1
    assert list(friedman_nemenyi(ordered.to_numpy()).average_ranks.index) == [0, 1, 2]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (np.ones(5), "2-dimensional"),
        (np.ones((5, 1)), "at least 2 models"),
        (np.ones((1, 3)), "at least 2 rows"),
        (np.array([[0.1, np.nan], [0.2, 0.3]]), "non-finite"),
    ],
)
def test_friedman_bad_input(table, match):
    with pytest.raises(ValueError, match=match):
        friedman_nemenyi(table)


# --------------------------------------------------------------------------------------------
# Friedman's new options (issue 12)
# --------------------------------------------------------------------------------------------
def test_friedman_lower_is_better_is_the_mirror():
    table = score_table(2, n_blocks=10, k=4)
    high = friedman_nemenyi(table)
    low = friedman_nemenyi(-table, higher_is_better=False)
    assert_allclose(low.average_ranks, high.average_ranks, rtol=0)
    assert_allclose(low.statistic, high.statistic, rtol=0)
    flipped = friedman_nemenyi(table, higher_is_better=False)
    assert_allclose(flipped.average_ranks, 5 - high.average_ranks, rtol=1e-12)


def test_friedman_tie_correction_off_is_the_rank_formula():
    table = score_table(3, n_blocks=12, k=4, decimals=2)  # ties
    res = friedman_nemenyi(table, tie_correction=False)
    r = res.average_ranks.to_numpy()
    n, k = table.shape
    # Demšar (2006), eq. for chi2_F from the average ranks, no correction
    assert_allclose(res.statistic, 12 * n / (k * (k + 1)) * (np.sum(r**2) - k * (k + 1) ** 2 / 4))
    corrected = friedman_nemenyi(table)
    chi2 = sps.friedmanchisquare(*[table[c] for c in table.columns]).statistic
    assert_allclose(corrected.statistic, chi2, rtol=RTOL)
    assert corrected.statistic > res.statistic  # ties present: the correction raises it


# --------------------------------------------------------------------------------------------
# sign test vs scipy.stats.binomtest and Demšar's tie rule
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alternative", _ALTS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sign_test_matches_binomtest(alternative, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, 17) / 8.0
    b = rng.integers(0, 5, 17) / 8.0
    wins, losses = int(np.sum(a > b)), int(np.sum(a < b))
    ties = 17 - wins - losses
    res = sign_test(a, b, alternative=alternative)
    assert (res.wins, res.ties, res.losses) == (wins, ties, losses)
    k, n = wins + ties // 2, wins + losses + 2 * (ties // 2)
    assert (res.statistic, res.n) == (k, n)
    assert_allclose(res.pvalue, sps.binomtest(k, n, alternative=alternative).pvalue, rtol=RTOL)
    drop = sign_test(a, b, ties="drop", alternative=alternative)
    ref = sps.binomtest(wins, wins + losses, alternative=alternative).pvalue
    assert_allclose(drop.pvalue, ref, rtol=RTOL)


def test_sign_test_demsar_example_counts():
    # Demšar (2006), Table 6: C4.5+m against C4.5 -- 10 wins, 2 ties (lung cancer, mushroom),
    # 2 losses; split ties: 11 wins of 14
    table = published_table("demsar_2006")
    res = sign_test(table["C4.5+m"], table["C4.5"])
    assert (res.wins, res.ties, res.losses) == (10, 2, 2)
    assert (res.statistic, res.n) == (11, 14)
    assert_allclose(res.pvalue, sps.binomtest(11, 14).pvalue, rtol=RTOL)


def test_sign_test_rounding_ties_and_degenerate():
    # 0.9 - 0.8 and 0.8 - 0.7 differ in floating point; with a = b + that, no spurious win
    a = np.array([0.9, 0.8, 0.6])
    b = np.array([0.8, 0.7, 0.5]) + 0.1
    res = sign_test(a, b)
    assert res.ties == 3 and res.pvalue == 1.0
    one = sign_test([0.5], [0.5], ties="split")
    assert one.n == 0 and one.pvalue == 1.0
    with pytest.raises(ValueError, match="ties"):
        sign_test(a, b, ties="half")


# --------------------------------------------------------------------------------------------
# post-hoc tests: rank z-tests, Wilcoxon-Holm, cliques, compare_datasets
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("correction", ["holm", "bonferroni"])
def test_rank_z_test_matches_scikit_posthocs(correction):
    sp = pytest.importorskip("scikit_posthocs")
    table = score_table(6, n_blocks=15, k=5)
    out = rank_z_test(table, correction=correction)
    ref = sp.posthoc_siegel_friedman(table.to_numpy(), p_adjust=correction)
    cols = list(table.columns)
    pairs = zip(out.model_a, out.model_b, strict=True)
    got = [ref.iloc[cols.index(a), cols.index(b)] for a, b in pairs]
    assert_allclose(out["pvalue_adjusted"], got, rtol=1e-10)


def test_rank_z_test_against_a_control_by_hand():
    table = score_table(7, n_blocks=14, k=4)
    out = rank_z_test(table, control="m3", correction="bonferroni")
    ranks = friedman_nemenyi(table).average_ranks
    se = math.sqrt(4 * 5 / (6 * 14))
    z = [(ranks["m3"] - ranks[m]) / se for m in ["m0", "m1", "m2"]]
    assert list(out["model_a"]) == ["m0", "m1", "m2"] and set(out["model_b"]) == {"m3"}
    assert_allclose(out["z"], z, rtol=1e-12)
    assert_allclose(out["pvalue_adjusted"], np.minimum(1, 3 * 2 * sps.norm.sf(np.abs(z))))


def test_wilcoxon_holm_matches_scikit_posthocs():
    sp = pytest.importorskip("scikit_posthocs")
    table = score_table(8, n_blocks=20, k=4)  # continuous: no ties, scipy's exact method
    out = wilcoxon_holm(table)
    ref = sp.posthoc_wilcoxon(
        table.melt(var_name="g", value_name="v"), val_col="v", group_col="g", p_adjust="holm"
    )
    got = [ref.loc[a, b] for a, b in zip(out.model_a, out.model_b, strict=True)]
    assert_allclose(out["pvalue_adjusted"], got, rtol=1e-10)
    # the direction is that of the signed ranks: m0 (best by construction) against the rest
    assert (out.loc[out.model_a == "m0", "direction"] == 1).all()


def _diff_frame(names, pairs):
    diff = pd.DataFrame(False, index=names, columns=names)
    for a, b in pairs:
        diff.loc[a, b] = diff.loc[b, a] = True
    return diff


def test_cliques_contiguous_and_maximal():
    ranks = pd.Series({"a": 1.0, "b": 1.5, "c": 2.5, "d": 3.0, "e": 4.0})
    names = list(ranks.index)
    none = _diff_frame(names, [])
    assert cliques(none, ranks) == [tuple(names)]
    # a differs from d and e; b from e: runs a-c, b-d, d-e? c-e: c and e not different
    diff = _diff_frame(names, [("a", "d"), ("a", "e"), ("b", "e")])
    assert cliques(diff, ranks) == [("a", "b", "c"), ("b", "c", "d"), ("c", "d", "e")]
    # every pair different: singletons
    every = _diff_frame(names, list(itertools.combinations(names, 2)))
    assert cliques(every, ranks) == [(n,) for n in names]


def test_cliques_noncontiguous_bron_kerbosch():
    ranks = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0})
    diff = _diff_frame(list(ranks.index), [("a", "b"), ("b", "c")])  # a ~ c, b alone
    assert cliques(diff, ranks) == [("a",), ("b",), ("c",)]
    assert cliques(diff, ranks, contiguous=False) == [("a", "c"), ("b",)]


@pytest.mark.parametrize("test", ["friedman_nemenyi", "holm", "bonferroni_dunn", "wilcoxon_holm"])
def test_compare_datasets_columns_and_cliques_follow_the_test(test):
    table = score_table(9, n_blocks=25, k=4)
    out = compare_datasets(table, test=test, effect_sizes=False)
    assert tuple(out.columns) == COMPARE_DATASETS_COLUMNS
    assert len(out) == 6
    assert (out["significant"] == (out["pvalue_adjusted"] < 0.05)).all()
    # the cliques are those of the significance the test found
    names = list(table.columns)
    diff = _diff_frame(names, [(r.model_a, r.model_b) for r in out.itertuples() if r.significant])
    ranks = pd.Series(out.attrs["average_ranks"])
    assert out.attrs["cliques"] == cliques(diff, ranks)
    assert list(ranks.index) == sorted(names, key=lambda m: ranks[m])
    if test == "friedman_nemenyi":
        res = friedman_nemenyi(table)
        assert_allclose(out.attrs["critical_difference"], res.critical_difference)
        for r in out.itertuples():
            assert_allclose(r.pvalue_adjusted, res.pairwise_pvalues.loc[r.model_a, r.model_b])
    assert_allclose(out.attrs["friedman"]["statistic"], friedman_nemenyi(table).statistic)


def test_compare_datasets_effect_sizes_wins_and_verdicts():
    table = score_table(10, n_blocks=20, k=3)
    out = compare_datasets(table, rope=0.01)
    row = out.iloc[0]
    a, b = table[row.model_a], table[row.model_b]
    assert_allclose(row.mean_difference, np.mean(a - b))
    d = cohens_d(a, b, confidence_level=0.95)
    assert_allclose(
        [row.cohens_dz, row.cohens_dz_low, row.cohens_dz_high], [d.estimate, d.ci_low, d.ci_high]
    )
    assert_allclose(row.cliffs_delta, cliffs_delta(a, b).estimate)
    assert row.wins == int(np.sum(a > b)) and row.losses == int(np.sum(a < b))
    assert_allclose(row.prob_a_better + row.prob_equivalent + row.prob_b_better, 1.0)
    for r in out.itertuples():
        if r.significant:
            winner = r.model_a if r.average_rank_a < r.average_rank_b else r.model_b
            assert r.verdict.startswith(f"{winner} better than")
        else:
            assert "better than" not in r.verdict


def test_compare_datasets_lower_is_better_and_control():
    table = score_table(11, n_blocks=20, k=4)
    errors = 1 - table
    high = compare_datasets(table, control="m3", test="holm", effect_sizes=False)
    low = compare_datasets(
        errors, control="m3", test="holm", higher_is_better=False, effect_sizes=False
    )
    assert_allclose(low["pvalue_adjusted"], high["pvalue_adjusted"], rtol=1e-12)
    assert list(low["verdict"]) == list(high["verdict"])
    assert (low["wins"] == high["wins"]).all()
    assert set(high["model_b"]) == {"m3"} and len(high) == 3
    members = [
        m
        for m in table.columns
        if m == "m3" or not high.set_index("model_a")["significant"].get(m, False)
    ]
    assert set(high.attrs["cliques"][0]) == set(members)
    bd = compare_datasets(table, control="m3", test="bonferroni_dunn", effect_sizes=False)
    assert_allclose(
        bd.attrs["critical_difference"], bonferroni_dunn_critical_difference(0.05, 4, 20)
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"test": "nemenyi"}, ValueError, "test must be one of"),
        ({"control": "zz"}, ValueError, "control 'zz'"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"higher_is_better": "yes"}, TypeError, "higher_is_better"),
    ],
)
def test_compare_datasets_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        compare_datasets(score_table(0, n_blocks=6, k=3), **kwargs)
