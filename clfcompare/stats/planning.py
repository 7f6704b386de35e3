"""How many repeats of cross-validation does a comparison need? :func:`plan_repeats`.

From a pilot study's scores of two models (``R0`` repeats of ``K``-fold CV, optionally with the
half-partition scores of Nadeau and Bengio's conservative Z) :func:`plan_repeats` estimates how
the variance of a per-split difference splits into a fold part and a repeat part, and returns
the power of the default test (conservative Z) and of the corrected t for an effect and a list
of repeat counts; :func:`cv_power` is the closed form behind it, for given variance components.

The model (documented in :func:`cv_power`): the difference on fold ``k`` of repeat ``r`` is
``d_rk = delta + u + v_r + e_rk`` with independent normal parts: ``u`` the data set's own
deviation (shared by every split; variance ``data_variance``, not estimable from one CV run),
``v_r`` the repeat's (partition's) deviation (``repeat_variance``) and ``e_rk`` the fold's
(``fold_variance``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from clfcompare._checks import check_int, check_level, check_real
from clfcompare.stats._common import as_float_array, mean_size, paired_differences

__all__ = ["PLAN_COLUMNS", "RepeatsPlan", "cv_power", "plan_repeats"]

#: The columns of :attr:`RepeatsPlan.table`, in order.
PLAN_COLUMNS = ("n_repeats", "n_splits", "test", "power", "std_error_of_mean")


@dataclass(frozen=True, eq=False)
class RepeatsPlan:
    """Result of :func:`plan_repeats`.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`PLAN_COLUMNS`: ``n_repeats``, ``n_splits`` (``K * n_repeats``), ``test``
        (``"conservative_z"``, ``"corrected_ttest"``), ``power`` and ``std_error_of_mean``
        (the true standard deviation of the main-CV mean difference under the model).
    effect : float
        The mean difference ``A - B`` the power is for.
    alpha : float
    n_folds : int
        ``K``, folds per repeat.
    fold_variance, repeat_variance, data_variance : float
        The variance components of the model (see :func:`cv_power`).
    half_variance : float
        Variance ``tau^2`` of one half's CV estimate of the difference (conservative Z).
    data_variance_source, half_variance_source : str
        ``"estimated"``, ``"given"`` or ``"assumed"`` (and how).
    n_partitions : int
        ``M``, half/half partitions of the conservative Z.
    pilot_repeats : int
        ``R0``.
    """

    table: pd.DataFrame = field(repr=False)
    effect: float
    alpha: float
    n_folds: int
    fold_variance: float
    repeat_variance: float
    data_variance: float
    half_variance: float
    data_variance_source: str
    half_variance_source: str
    n_partitions: int
    pilot_repeats: int

    def power(self, test, n_repeats):
        """The power of ``test`` with ``n_repeats`` repeats, from ``table``."""
        rows = self.table[(self.table["test"] == test) & (self.table["n_repeats"] == n_repeats)]
        if rows.empty:
            raise KeyError(f"no row for test={test!r}, n_repeats={n_repeats!r}")
        return float(rows["power"].iloc[0])


def _two_sided_power(scale, df, noncentrality, critical):
    """``P(|c T'| > q)``, ``T'`` noncentral t(df, noncentrality) (normal when df is inf)."""
    if scale == 0:
        return 0.0
    x = critical / scale
    if math.isinf(df):
        return float(sps.norm.sf(x - noncentrality) + sps.norm.cdf(-x - noncentrality))
    return float(sps.nct.sf(x, df, noncentrality) + sps.nct.cdf(-x, df, noncentrality))


def cv_power(
    effect,
    n_repeats,
    n_folds,
    *,
    fold_variance,
    repeat_variance,
    data_variance,
    n_train,
    n_test,
    half_variance=None,
    n_partitions=10,
    alpha=0.05,
):
    r"""Power of the corrected t and the conservative Z under a normal model of CV scores.

    Parameters
    ----------
    effect : float
        True mean difference :math:`\delta` (A - B).
    n_repeats, n_folds : int
        ``R`` repeats of ``K``-fold CV (``J = R K`` splits).
    fold_variance, repeat_variance, data_variance : float
        :math:`\sigma_e^2, \sigma_v^2, \sigma_u^2` of the model below (>= 0).
    n_train, n_test : float
        Training- and test-set sizes of the main splits (the corrected t's factor).
    half_variance : float or None
        :math:`\tau^2`, variance of one half's CV estimate of the difference; ``None`` skips
        the conservative Z (its power is NaN).
    n_partitions : int, default=10
        ``M`` half/half partitions of the conservative Z.
    alpha : float, default=0.05
        Two-sided level of both tests.

    Returns
    -------
    dict
        ``{"corrected_ttest": power, "conservative_z": power, "std_error_of_mean": sqrt(V)}``.

    Notes
    -----
    Model: :math:`d_{rk} = \delta + u + v_r + e_{rk}`, independent normal parts with variances
    :math:`\sigma_u^2, \sigma_v^2, \sigma_e^2`. The main-CV mean has variance
    :math:`V = \sigma_u^2 + \sigma_v^2/R + \sigma_e^2/(RK)`. Its sample variance is
    :math:`S^2 = (SS_w + SS_b)/(J-1)`, :math:`SS_w \sim \sigma_e^2\chi^2_{R(K-1)}`,
    :math:`SS_b \sim (K\sigma_v^2 + \sigma_e^2)\chi^2_{R-1}`, independent of the mean;
    Satterthwaite's :math:`S^2 \approx E[S^2]\chi^2_\nu/\nu`. The corrected t
    :math:`\bar d/\sqrt{f S^2}`, :math:`f = 1/J + n_{test}/n_{train}`, is then
    :math:`c\,T'` with :math:`T' \sim t'_\nu(\delta/\sqrt V)`, :math:`c = \sqrt{V/(f E[S^2])}`,
    and rejects when :math:`|c T'| > t_{J-1,1-\alpha/2}` (exact when :math:`\sigma_v^2 = 0` or
    :math:`\sigma_e^2 = 0`, an approximation otherwise).
    The conservative Z's variance estimate is :math:`\tau^2\chi^2_M/M` (M independent pairs of
    halves), independent of the main mean, so :math:`Z = c\,T'`, :math:`T' \sim
    t'_M(\delta/\sqrt V)`, :math:`c = \sqrt{V/\tau^2}`, rejecting when :math:`|Z| >
    z_{1-\alpha/2}` (exact under the model).
    """
    effect = check_real(effect, "effect")
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    n_folds = check_int(n_folds, "n_folds", low=2)
    s_e = check_real(fold_variance, "fold_variance", low=0)
    s_v = check_real(repeat_variance, "repeat_variance", low=0)
    s_u = check_real(data_variance, "data_variance", low=0)
    n_train = check_real(n_train, "n_train", low=0, low_open=True)
    n_test = check_real(n_test, "n_test", low=0, low_open=True)
    tau2 = check_real(half_variance, "half_variance", low=0, allow_none=True)
    n_partitions = check_int(n_partitions, "n_partitions", low=1)
    alpha = check_level(alpha, "alpha")
    r, k = n_repeats, n_folds
    j = r * k
    v = s_u + s_v / r + s_e / j
    sd = math.sqrt(v)
    lam = effect / sd if sd > 0 else (0.0 if effect == 0 else math.copysign(math.inf, effect))
    # corrected t
    f = 1.0 / j + n_test / n_train
    a1, nu1 = s_e, r * (k - 1)
    a2, nu2 = k * s_v + s_e, r - 1
    expected_s2 = (a1 * nu1 + a2 * nu2) / (j - 1)
    denom = a1**2 * nu1 + a2**2 * nu2
    nu = (a1 * nu1 + a2 * nu2) ** 2 / denom if denom > 0 else math.inf
    if expected_s2 > 0 and sd > 0:
        power_t = _two_sided_power(
            math.sqrt(v / (f * expected_s2)), nu, lam, float(sps.t.isf(alpha / 2, j - 1))
        )
    else:
        power_t = math.nan
    # conservative Z
    if tau2 is not None and tau2 > 0 and sd > 0:
        power_z = _two_sided_power(
            math.sqrt(v / tau2), float(n_partitions), lam, float(sps.norm.isf(alpha / 2))
        )
    else:
        power_z = math.nan
    return {"corrected_ttest": power_t, "conservative_z": power_z, "std_error_of_mean": sd}


def _pilot_components(d, n_folds):
    """Fold and repeat variance components from pilot differences shaped (R0, K)."""
    r0, k = d.shape
    within = float(np.sum((d - d.mean(axis=1, keepdims=True)) ** 2)) / (r0 * (k - 1))
    if r0 >= 2:
        ms_between = k * float(np.var(d.mean(axis=1), ddof=1))
        repeat = max(0.0, (ms_between - within) / k)
    else:
        repeat = 0.0
    return within, repeat


def plan_repeats(
    scores_a,
    scores_b,
    n_train,
    n_test,
    *,
    effect,
    n_repeats=(1, 2, 3, 5, 10, 20, 50),
    n_folds=None,
    half_scores_a=None,
    half_scores_b=None,
    n_partitions=None,
    data_variance=None,
    alpha=0.05,
):
    r"""Power of the default test (conservative Z) and of the corrected t against repeats.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (R0, K) or (R0 * K,)
        A pilot study's main-CV scores of models A and B (repeat x fold; a flat array is
        read repeat by repeat with ``n_folds`` folds each, as ``RepeatedKFold`` orders them).
    n_train, n_test : int or array-like
        Training- and test-set sizes of the main splits (averaged when per split).
    effect : float
        The mean difference A - B to detect (e.g. 0.02 accuracy).
    n_repeats : sequence of int, default=(1, 2, 3, 5, 10, 20, 50)
        Repeat counts ``R`` to plan for (the number of folds stays ``K``).
    n_folds : int, optional
        ``K``; required for flat pilot scores.
    half_scores_a, half_scores_b : array-like of shape (M, 2, F) or (M, 2), optional
        The pilot's half-partition scores; they estimate the conservative Z's variance
        :math:`\tau^2` (the mean of :math:`(\mu^0_m - \mu^1_m)^2/2`, unbiased for it).
    n_partitions : int, optional
        ``M`` planned for the conservative Z (default: the pilot's, else 10).
    data_variance : float, optional
        :math:`\sigma_u^2`, the variance of the infinite-repeat CV estimate over data sets.
        Default: Nadeau and Bengio's assumption :math:`(n_{test}/n_{train})(\sigma_e^2 +
        \sigma_v^2)`, which makes the corrected t exact for many repeats; an unstable learner
        has more (issue-11 calibration: the corrected t's variance was 0.63 of the truth for
        1-NN), so the corrected t's power is then overstated and its size too.
    alpha : float, default=0.05

    Returns
    -------
    RepeatsPlan
        ``table`` with one row per (repeat count, test) and the estimated components.

    Notes
    -----
    Components from the pilot (``R0`` repeats of ``K`` folds, differences :math:`d_{rk}`):
    :math:`\hat\sigma_e^2` = the pooled within-repeat variance, :math:`\hat\sigma_v^2 =
    \max(0, (K s^2_{\bar d_r} - \hat\sigma_e^2)/K)` (one-way random effects; 0 when
    ``R0 = 1``). Without half scores :math:`\tau^2` is assumed to be
    :math:`2(\sigma_u^2 + \sigma_v^2 + \sigma_e^2/K)`, twice the variance of one K-fold CV
    (a CV estimate's variance taken to scale as 1/n; the issue-11 research measured 1.9-2.1
    for the ratio of the half variance to the 10 x 10 mean's); ``half_variance_source`` says
    which. The powers are :func:`cv_power`'s closed forms.

    More repeats shrink only the main mean's variance :math:`V`; the conservative Z's
    denominator, :math:`\tau^2` from the half partitions, does not shrink (``n_partitions``
    and the data size set it), so its power levels off at
    :math:`P(|N(\delta, \sigma_u^2)| > z_{1-\alpha/2}\,\tau\sqrt{\chi^2_M/M})` and, for an
    effect below :math:`z_{1-\alpha/2}\tau`, can even fall as repeats are added (less noise
    in the mean to push it over the threshold). The corrected t's power rises with repeats.
    The pilot's components are estimates: with few pilot repeats, read the table as a rough
    guide.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import plan_repeats
    >>> rng = np.random.default_rng(0)
    >>> a = 0.80 + rng.normal(0, 0.03, (3, 10))
    >>> b = 0.79 + rng.normal(0, 0.03, (3, 10))
    >>> plan = plan_repeats(a, b, 270, 30, effect=0.02, n_repeats=[1, 10])
    >>> list(plan.table["test"].unique())
    ['conservative_z', 'corrected_ttest']
    """
    effect = check_real(effect, "effect")
    alpha = check_level(alpha, "alpha")
    a = as_float_array(scores_a, "scores_a")
    b = as_float_array(scores_b, "scores_b")
    if a.shape != b.shape:
        raise ValueError(
            f"scores_a and scores_b must have the same shape, got {a.shape} and {b.shape}"
        )
    if a.ndim == 1:
        if n_folds is None:
            raise ValueError("flat pilot scores need n_folds (folds per repeat)")
        n_folds = check_int(n_folds, "n_folds", low=2)
        if a.size % n_folds:
            raise ValueError(
                f"{a.size} pilot scores are not a whole number of repeats of {n_folds} folds"
            )
        a, b = a.reshape(-1, n_folds), b.reshape(-1, n_folds)
    elif a.ndim == 2:
        if n_folds is not None and check_int(n_folds, "n_folds", low=2) != a.shape[1]:
            raise ValueError(f"n_folds={n_folds} but the pilot scores have {a.shape[1]} folds")
    else:
        raise ValueError(f"pilot scores must be shaped (R0, K) or (R0 * K,), got {a.shape}")
    r0, k = a.shape
    if k < 2:
        raise ValueError(f"need at least 2 folds per repeat, got {k}")
    d, _ = paired_differences(a.ravel(), b.ravel())
    d = d.reshape(r0, k)
    mean_train = mean_size(n_train, d.size, "n_train")
    mean_test = mean_size(n_test, d.size, "n_test")
    s_e, s_v = _pilot_components(d, k)
    if data_variance is None:
        s_u = mean_test / mean_train * (s_e + s_v)
        data_source = "assumed (Nadeau-Bengio: n_test/n_train x per-split variance)"
    else:
        s_u = check_real(data_variance, "data_variance", low=0)
        data_source = "given"
    pilot_m = None
    if (half_scores_a is None) != (half_scores_b is None):
        raise ValueError("give both half_scores_a and half_scores_b, or neither")
    if half_scores_a is not None:
        ha = as_float_array(half_scores_a, "half_scores_a")
        hb = as_float_array(half_scores_b, "half_scores_b")
        if ha.shape != hb.shape or ha.ndim not in (2, 3) or ha.shape[1] != 2:
            raise ValueError(
                "half scores must be two arrays of the same shape (M, 2, F) or (M, 2), got "
                f"{ha.shape} and {hb.shape}"
            )
        hd = ha - hb
        mu = hd.mean(axis=2) if hd.ndim == 3 else hd
        if not np.all(np.isfinite(mu)):
            raise ValueError("half scores contain NaN or inf")
        pilot_m = mu.shape[0]
        tau2 = float(np.sum((mu[:, 0] - mu[:, 1]) ** 2)) / (2 * pilot_m)
        half_source = f"estimated from {pilot_m} pilot partitions"
    else:
        tau2 = 2.0 * (s_u + s_v + s_e / k)
        half_source = "assumed (2 x the variance of one K-fold CV: variance ~ 1/n)"
    if n_partitions is None:
        n_partitions = pilot_m if pilot_m is not None else 10
    n_partitions = check_int(n_partitions, "n_partitions", low=1)
    if isinstance(n_repeats, (int, np.integer)):
        n_repeats = [n_repeats]
    repeats = [check_int(r, "n_repeats", low=1) for r in n_repeats]
    if not repeats:
        raise ValueError("n_repeats must list at least one repeat count")
    rows = []
    for r in repeats:
        res = cv_power(
            effect,
            r,
            k,
            fold_variance=s_e,
            repeat_variance=s_v,
            data_variance=s_u,
            n_train=mean_train,
            n_test=mean_test,
            half_variance=tau2,
            n_partitions=n_partitions,
            alpha=alpha,
        )
        for test in ("conservative_z", "corrected_ttest"):
            rows.append((r, r * k, test, res[test], res["std_error_of_mean"]))
    table = pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    return RepeatsPlan(
        table=table,
        effect=effect,
        alpha=alpha,
        n_folds=k,
        fold_variance=s_e,
        repeat_variance=s_v,
        data_variance=s_u,
        half_variance=tau2,
        data_variance_source=data_source,
        half_variance_source=half_source,
        n_partitions=n_partitions,
        pilot_repeats=r0,
    )
