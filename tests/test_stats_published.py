"""Published tables reproduced: Demšar (2006), García and Herrera (2008), García et al. (2010),
scmamp's hierarchical example.

Every expected number names where it was published. The tables are bundled in data/benchmarks
(README there: citations, and why Demšar's *voting* row needs its tie broken).
"""

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from clfcompare.stats import (
    bayesian_hierarchical,
    compare_datasets,
    friedman_nemenyi,
    published_table,
    rank_z_test,
)
from clfcompare.stats.posthoc import bonferroni_dunn_critical_difference


@pytest.fixture(scope="module")
def demsar():
    """Demšar (2006) Table 6 with the voting tie broken as the paper's ranks do (4, 1, 2, 3)."""
    table = published_table("demsar_2006")
    table.loc["voting", "C4.5+cf"] = 0.9751  # printed 0.975 = C4.5+m+cf; ranked 2 vs 3
    return table


# --------------------------------------------------------------------------------------------
# Demšar (2006), section 3.2.4 (the worked example of the Friedman test and its post-hoc tests)
# --------------------------------------------------------------------------------------------
def test_demsar_average_ranks_chi2_ff(demsar):
    res = friedman_nemenyi(demsar, tie_correction=False)
    # published: average ranks 3.143, 2.000, 2.893, 1.964; chi2_F = 9.28; F_F = 3.69
    assert_allclose(res.average_ranks.to_numpy(), [3.143, 2.000, 2.893, 1.964], atol=5e-4)
    assert_allclose(res.statistic, 9.28, atol=5e-3)
    assert_allclose(res.iman_davenport_statistic, 3.69, atol=5e-3)
    assert res.iman_davenport_df == (3.0, 39.0)
    # published: the critical value of F(3, 39) at 0.05 is 2.85, so F_F = 3.69 rejects
    assert_allclose(sps.f.ppf(0.95, 3, 39), 2.85, atol=5e-3)
    assert res.iman_davenport_pvalue < 0.05


def test_demsar_nemenyi_and_bonferroni_dunn_critical_differences(demsar):
    res = friedman_nemenyi(demsar, tie_correction=False)
    # published: Nemenyi CD = 2.569 * sqrt(4*5 / (6*14)) = 1.25 at alpha = 0.05
    assert_allclose(res.q_alpha, 2.569, atol=1e-3)
    assert_allclose(res.critical_difference, 1.25, atol=5e-3)
    # published: Bonferroni-Dunn with C4.5+m+cf as control, CD = 2.128 * sqrt(...) = 1.04 at
    # alpha = 0.10 (Table 5(b): q_0.10 = 2.128 for k = 4)
    assert_allclose(bonferroni_dunn_critical_difference(0.10, 4, 14), 1.04, atol=5e-3)
    out = compare_datasets(
        demsar, control="C4.5+m+cf", test="bonferroni_dunn", alpha=0.10, effect_sizes=False
    )
    assert_allclose(out.attrs["critical_difference"], 1.04, atol=5e-3)
    # published conclusion: at 0.10 C4.5 is significantly worse than the control (3.143 -
    # 1.964 = 1.18 > 1.04), C4.5+cf (0.93) and C4.5+m (0.04) are not
    sig = dict(zip(out["model_a"], out["significant"], strict=True))
    assert sig == {"C4.5": True, "C4.5+m": False, "C4.5+cf": False}
    # Nemenyi at 0.05 (published): the largest difference, 3.143 - 1.964 = 1.18, is below the
    # CD of 1.25, so the post-hoc test finds no pair apart; one clique holds all four
    nemenyi = compare_datasets(demsar, effect_sizes=False)
    assert not nemenyi["significant"].any()
    assert nemenyi.attrs["cliques"] == [("C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5")]


def test_demsar_printed_table_matches_autorank_and_scipy():
    # the printed table (voting tied) against independent implementations
    autorank = pytest.importorskip("autorank")
    table = published_table("demsar_2006")
    res = friedman_nemenyi(table)
    ar = autorank.autorank(table, alpha=0.05, verbose=False, force_mode="nonparametric")
    assert_allclose(res.average_ranks.to_numpy(), ar.rankdf["meanrank"][table.columns], rtol=1e-12)
    # autorank takes q from statsmodels' qsturng, an approximation of the studentized range
    # quantile (measured: 6.3e-6 relative to SciPy's exact quantile here)
    assert_allclose(res.critical_difference, ar.cd, rtol=2e-5)
    assert_allclose(res.pvalue, ar.pvalue, rtol=1e-9)
    chi2, p = sps.friedmanchisquare(*[table[c] for c in table.columns])
    assert_allclose([res.statistic, res.pvalue], [chi2, p], rtol=1e-10)


# --------------------------------------------------------------------------------------------
# García and Herrera (2008): 30 data sets x 5 classifiers
# --------------------------------------------------------------------------------------------
GH2008_RAW_P = pd.DataFrame(
    # scmamp's vignette "Statistical assessment of the differences": friedmanPost(data.gh.2008)
    # (the unadjusted z-test p-values of García and Herrera 2008, Table 4), R output to 7 digits
    [
        [np.nan, 4.848763e-03, 8.064959e-01, 4.486991e-08, 1.276301e-02],
        [4.848763e-03, np.nan, 1.011233e-02, 7.963489e-03, 7.439715e-01],
        [8.064959e-01, 1.011233e-02, np.nan, 1.736118e-07, 2.474467e-02],
        [4.486991e-08, 7.963489e-03, 1.736118e-07, np.nan, 2.880485e-03],
        [1.276301e-02, 7.439715e-01, 2.474467e-02, 2.880485e-03, np.nan],
    ],
    index=["C4.5", "k-NN(k=1)", "NaiveBayes", "Kernel", "CN2"],
    columns=["C4.5", "k-NN(k=1)", "NaiveBayes", "Kernel", "CN2"],
)


def test_garcia_herrera_2008_ranks_and_omnibus():
    table = published_table("garcia_herrera_2008")
    res = friedman_nemenyi(table, tie_correction=False)
    # published (and scmamp's summary): 2.100, 3.250, 2.200, 4.333, 3.117
    assert_allclose(res.average_ranks.to_numpy(), [2.1, 3.25, 2.2, 13 / 3, 3.116667], atol=1e-6)
    # published and scmamp: Friedman 39.647 (p 5.121e-08), Iman-Davenport 14.309 (4, 116),
    # p 1.593e-09
    assert_allclose(res.statistic, 39.647, atol=5e-4)
    assert_allclose(res.pvalue, 5.121e-08, rtol=1e-3)
    assert_allclose(res.iman_davenport_statistic, 14.309, atol=5e-4)
    assert res.iman_davenport_df == (4.0, 116.0)
    assert_allclose(res.iman_davenport_pvalue, 1.593e-09, rtol=1e-3)
    # the Nemenyi CD with q_0.05 = 2.728 (Demšar Table 5(a), k = 5); scmamp prints 1.1277
    # because it takes the studentized range with N*k - k = 145 degrees of freedom, not infinity
    assert_allclose(res.critical_difference, 2.728 * math.sqrt(5 * 6 / (6 * 30)), atol=5e-4)


def test_garcia_herrera_2008_pairwise_z_pvalues():
    table = published_table("garcia_herrera_2008")
    out = rank_z_test(table)
    expected = [
        GH2008_RAW_P.loc[a, b] for a, b in zip(out["model_a"], out["model_b"], strict=True)
    ]
    assert_allclose(out["pvalue"], expected, rtol=2e-6)
    # García and Herrera's "Nemenyi" adjusted p-values are m * p (m = 10): Bonferroni's
    bonf = rank_z_test(table, correction="bonferroni")
    assert_allclose(bonf["pvalue_adjusted"], np.minimum(1, 10 * np.array(expected)), rtol=2e-6)


def test_garcia_herrera_2008_holm_matches_scikit_posthocs_and_statsmodels():
    sp = pytest.importorskip("scikit_posthocs")
    from statsmodels.stats.multitest import multipletests

    table = published_table("garcia_herrera_2008")
    out = rank_z_test(table, correction="holm")
    ref = sp.posthoc_siegel_friedman(table.to_numpy(), p_adjust="holm")
    got = [
        ref.iloc[table.columns.get_loc(a), table.columns.get_loc(b)]
        for a, b in zip(out["model_a"], out["model_b"], strict=True)
    ]
    assert_allclose(out["pvalue_adjusted"], got, rtol=1e-10)
    assert_allclose(
        out["pvalue_adjusted"], multipletests(out["pvalue"], method="holm")[1], rtol=1e-12
    )
    # scikit-posthocs' Nemenyi (studentized range, infinite df) = ours
    nem = sp.posthoc_nemenyi_friedman(table.to_numpy())
    ours = friedman_nemenyi(table).pairwise_pvalues.to_numpy()
    assert_allclose(ours, nem.to_numpy(), rtol=1e-9)


# --------------------------------------------------------------------------------------------
# García, Fernández, Luengo and Herrera (2010): 24 data sets x 4 classifiers, PDFC the control
# --------------------------------------------------------------------------------------------
def test_garcia_2010_ranks_friedman_and_control_z():
    table = published_table("garcia_herrera_2010")
    res = friedman_nemenyi(table, tie_correction=False)
    # published: average rankings 1.771 (PDFC), 2.479, 2.479, 3.271; Friedman 16.225
    assert_allclose(res.average_ranks.to_numpy(), [1.771, 2.479, 2.479, 3.271], atol=5e-4)
    assert_allclose(res.statistic, 16.225, atol=5e-4)
    out = rank_z_test(table, control="PDFC")
    # z by hand from the average ranks (Demšar 2006, section 3.2.2): SE = sqrt(4*5/(6*24))
    se = math.sqrt(20 / 144)
    ranks = res.average_ranks
    z = [(ranks["PDFC"] - ranks[m]) / se for m in out["model_a"]]
    assert_allclose(out["z"], z, rtol=1e-12)
    assert_allclose(out["pvalue"], 2 * sps.norm.sf(np.abs(z)), rtol=1e-12)
    # Holm over the 3 comparisons with the control: FH-GBML rejected, the others not at 0.05
    sig = dict(zip(out["model_a"], out["pvalue_adjusted"] < 0.05, strict=True))
    assert sig == {"NNEP": False, "IS_CHC_1NN": False, "FH_GBML": True}


# --------------------------------------------------------------------------------------------
# scmamp's vignette "Bayesian analysis of the differences": the hierarchical model (Stan) on
# data.kcv.example, AlgC vs AlgD, rho = 0.1, rope 0.01, scmamp's Gamma-prior bounds
# --------------------------------------------------------------------------------------------
SCMAMP_PER_DATASET = pd.DataFrame(
    {
        "mean_delta": [
            -0.0029651368, 0.0003654082, 0.0060134540, 0.0108973079, 0.0084060413,
            -0.0086159071, 0.0393365794, 0.0064342509, 0.0055261900, 0.0226002341,
        ],
        "prob_worse": [0.0994, 0.0122, 0.0006, 0.0068, 0.0894, 0.4182, 0.0070, 0.0888, 0.0420,
                       0.0048],
        "prob_better": [0.0058, 0.0162, 0.1858, 0.5010, 0.3944, 0.0160, 0.7240, 0.3612, 0.3000,
                        0.7108],
    }
)  # fmt: skip


def test_hierarchical_reproduces_scmamp_per_dataset_posterior():
    data = published_table("scmamp_kcv_example")
    diffs = (data["AlgC"] - data["AlgD"]).to_numpy().reshape(10, 100)
    res = bayesian_hierarchical(
        diffs,
        n_train=9,
        n_test=1,
        rope=0.01,
        random_state=0,
        n_samples=4000,
        n_warmup=500,
        alpha_bounds=(0.5, 5),
        beta_bounds=(0.05, 0.15),
    )
    got = res.per_dataset
    # Stan's 5,000 draws and ours (4,000) each carry Monte Carlo error of about 0.01 to 0.02 in
    # these probabilities (autocorrelated draws); measured differences (20,000 of our draws):
    # at most 0.0018 in the means and 0.04 in the probabilities (data set 8, P(better))
    assert_allclose(got["mean_delta"], SCMAMP_PER_DATASET["mean_delta"], atol=3e-3)
    assert_allclose(got["prob_worse"], SCMAMP_PER_DATASET["prob_worse"], atol=0.06)
    assert_allclose(got["prob_better"], SCMAMP_PER_DATASET["prob_better"], atol=0.07)
    assert res.rhat < 1.05
    # the vignette's reading of its simplex: "C equal to or better than D, quite certainly
    # not worse"
    assert res.prob_worse < 0.1
    assert res.prob_equivalent + res.prob_better > 0.9
