"""Tests of clfcompare.stats.planning: the power of the CV tests against the number of repeats.

Reference: a direct simulation of correlated CV scores (data-set, repeat and fold parts, and
independent half-partition estimates) through the package's own tests (corrected_ttest,
conservative_z), and the recovery of known variance components from a large pilot.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clfcompare.stats import (
    PLAN_COLUMNS,
    conservative_z,
    corrected_ttest,
    cv_power,
    plan_repeats,
)


def _simulate(rng, reps, effect, r, k, s_e, s_v, s_u, tau2, m, ratio, alpha=0.05):
    """Rejection rates of the corrected t and the conservative Z on simulated CV scores:
    d_rk = effect + u + v_r + e_rk (model B scores 0), halves mu_m^h = effect + N(0, tau2)."""
    d = (
        effect
        + rng.normal(0, math.sqrt(s_u), (reps, 1, 1))
        + rng.normal(0, math.sqrt(s_v), (reps, r, 1))
        + rng.normal(0, math.sqrt(s_e), (reps, r, k))
    ).reshape(reps, r * k)
    halves = effect + rng.normal(0, math.sqrt(tau2), (reps, m, 2))
    zeros = np.zeros(r * k)
    hz = np.zeros((m, 2))
    t_rej = z_rej = 0
    for i in range(reps):
        t_rej += corrected_ttest(d[i], zeros, 1.0, ratio).pvalue < alpha
        z_rej += conservative_z(d[i], zeros, halves[i], hz).pvalue < alpha
    return t_rej / reps, z_rej / reps


@pytest.mark.parametrize(
    ("effect", "r", "s_v", "s_u", "tau2"),
    [
        (0.0, 3, 2e-5, 1e-5, 4e-5),  # null: the tests' size under this model
        (0.012, 1, 0.0, 1e-5, 4e-5),  # one repeat: exact forms
        (0.012, 3, 2e-5, 1e-5, 4e-5),  # a repeat part: Satterthwaite for the corrected t
        (0.01, 10, 5e-5, 5e-6, 3e-5),
    ],
)
def test_closed_form_matches_a_direct_simulation(effect, r, s_v, s_u, tau2):
    # R = 4000 simulated studies: MC SE <= 0.0079; tolerance 0.025 (3 SE plus the corrected
    # t's Satterthwaite approximation; measured differences <= 0.012) for the corrected t,
    # 4 SE for the (exact) conservative Z. Powers here 0.04-0.51.
    rng = np.random.default_rng(int(1e6 * effect) + r)
    k, s_e, m, ratio = 5, 4e-4, 10, 0.05
    reps = 4000
    sim_t, sim_z = _simulate(rng, reps, effect, r, k, s_e, s_v, s_u, tau2, m, ratio)
    closed = cv_power(
        effect,
        r,
        k,
        fold_variance=s_e,
        repeat_variance=s_v,
        data_variance=s_u,
        n_train=1.0,
        n_test=ratio,
        half_variance=tau2,
        n_partitions=m,
    )
    se_z = math.sqrt(max(sim_z * (1 - sim_z), 0.01) / reps)
    assert abs(closed["conservative_z"] - sim_z) < 4 * se_z, (closed, sim_z)
    assert abs(closed["corrected_ttest"] - sim_t) < 0.025, (closed, sim_t)
    v = s_u + s_v / r + s_e / (r * k)
    assert_allclose(closed["std_error_of_mean"], math.sqrt(v), rtol=1e-12)


def test_corrected_t_is_exact_without_a_repeat_part():
    # sigma_v = 0 and data part ratio * sigma_e: the corrected t is exactly calibrated, so
    # its "power" under the null is alpha (no simulation error: a closed-form identity)
    out = cv_power(
        0.0,
        4,
        10,
        fold_variance=1e-4,
        repeat_variance=0.0,
        data_variance=0.1 * 1e-4,
        n_train=0.9,
        n_test=0.09,
    )
    assert_allclose(out["corrected_ttest"], 0.05, rtol=1e-9)
    assert math.isnan(out["conservative_z"])  # no half variance given


def test_corrected_t_power_rises_with_repeats_when_folds_dominate():
    powers = [
        cv_power(
            0.01,
            r,
            10,
            fold_variance=4e-4,
            repeat_variance=0.0,
            data_variance=4e-5 / 9,
            n_train=0.9,
            n_test=0.1 / 9,
        )["corrected_ttest"]
        for r in (1, 2, 5, 10, 50)
    ]
    assert np.all(np.diff(powers) > 0) and powers[0] > 0.05


def test_plan_recovers_known_components_from_a_large_pilot():
    rng = np.random.default_rng(3)
    r0, k, s_e, s_v = 400, 5, 4e-4, 1e-4
    d = rng.normal(0, math.sqrt(s_v), (r0, 1)) + rng.normal(0, math.sqrt(s_e), (r0, k))
    a = 0.8 + d
    b = np.full((r0, k), 0.8)
    halves_a = 0.8 + rng.normal(0, math.sqrt(3e-4), (200, 2, 3))
    halves_b = np.full((200, 2, 3), 0.8)
    plan = plan_repeats(
        a,
        b,
        160,
        40,
        effect=0.01,
        n_repeats=[1, 5, 20],
        half_scores_a=halves_a,
        half_scores_b=halves_b,
        n_partitions=10,
    )
    # tolerance: the components' sampling error at these sizes (about 3.5 % and 15 %)
    assert_allclose(plan.fold_variance, s_e, rtol=0.1)
    assert_allclose(plan.repeat_variance, s_v, rtol=0.35)
    # tau^2 from the halves: the mean over inner folds has variance 3e-4 / 3
    assert_allclose(plan.half_variance, 1e-4, rtol=0.2)
    assert_allclose(
        plan.data_variance, 0.25 * (plan.fold_variance + plan.repeat_variance), rtol=1e-12
    )
    assert plan.data_variance_source.startswith("assumed")
    assert plan.half_variance_source.startswith("estimated from 200")
    assert list(plan.table.columns) == list(PLAN_COLUMNS)
    assert len(plan.table) == 6 and plan.n_partitions == 10 and plan.pilot_repeats == r0
    # more repeats: a smaller standard error of the mean; the conservative Z's denominator
    # does not shrink with repeats, and with an effect below z * tau (0.01 < 1.96 * 0.01) less
    # noise in the mean even lowers its power
    for test in ("conservative_z", "corrected_ttest"):
        rows = plan.table[plan.table["test"] == test]
        assert rows["std_error_of_mean"].is_monotonic_decreasing
    z_rows = plan.table[plan.table["test"] == "conservative_z"]
    assert z_rows["power"].is_monotonic_decreasing
    # the table is cv_power's
    ref = cv_power(
        0.01,
        5,
        k,
        fold_variance=plan.fold_variance,
        repeat_variance=plan.repeat_variance,
        data_variance=plan.data_variance,
        n_train=160,
        n_test=40,
        half_variance=plan.half_variance,
        n_partitions=10,
    )
    assert_allclose(plan.power("corrected_ttest", 5), ref["corrected_ttest"], rtol=1e-12)
    assert_allclose(plan.power("conservative_z", 5), ref["conservative_z"], rtol=1e-12)


def test_plan_flat_pilot_defaults_and_errors():
    rng = np.random.default_rng(4)
    a = 0.8 + rng.normal(0, 0.02, 30)
    b = 0.79 + rng.normal(0, 0.02, 30)
    flat = plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, n_repeats=3)
    shaped = plan_repeats(a.reshape(3, 10), b.reshape(3, 10), 90, 10, effect=0.01, n_repeats=3)
    assert_allclose(flat.table["power"], shaped.table["power"], rtol=1e-12)
    assert flat.half_variance_source.startswith("assumed") and flat.n_partitions == 10
    assert_allclose(
        flat.half_variance,
        2 * (flat.data_variance + flat.repeat_variance + flat.fold_variance / 10),
        rtol=1e-12,
    )
    given = plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, data_variance=1e-3)
    assert given.data_variance == 1e-3 and given.data_variance_source == "given"
    single = plan_repeats(a[:10], b[:10], 90, 10, effect=0.01, n_folds=10)
    assert single.repeat_variance == 0 and single.pilot_repeats == 1
    with pytest.raises(ValueError, match="need n_folds"):
        plan_repeats(a, b, 90, 10, effect=0.01)
    with pytest.raises(ValueError, match="whole number of repeats"):
        plan_repeats(a, b, 90, 10, effect=0.01, n_folds=7)
    with pytest.raises(ValueError, match="n_folds=5 but the pilot scores have 10"):
        plan_repeats(a.reshape(3, 10), b.reshape(3, 10), 90, 10, effect=0.01, n_folds=5)
    with pytest.raises(ValueError, match="same shape"):
        plan_repeats(a, b[:-1], 90, 10, effect=0.01, n_folds=10)
    with pytest.raises(ValueError, match="n_repeats must be >= 1"):
        plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, n_repeats=[0, 2])
    with pytest.raises(ValueError, match="at least one repeat count"):
        plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, n_repeats=[])
    with pytest.raises(ValueError, match="both half_scores_a and half_scores_b"):
        plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, half_scores_a=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="effect must be finite"):
        plan_repeats(a, b, 90, 10, effect=math.nan, n_folds=10)
    with pytest.raises(ValueError, match="data_variance"):
        plan_repeats(a, b, 90, 10, effect=0.01, n_folds=10, data_variance=-1.0)
    with pytest.raises(KeyError, match="n_repeats=4"):
        flat.power("corrected_ttest", 4)
