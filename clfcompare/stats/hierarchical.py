r"""Bayesian hierarchical model of two models' differences over data sets x folds.

The model of Corani et al. (2017) and Benavoli et al. (2017, "Time for a change"), baycomp's
``HierarchicalTest`` and scmamp's ``bHierarchicalTest``, both of which run it in Stan. Here it
is sampled without Stan or a C++ toolchain, by a Gibbs sampler in numpy: the Student-t prior of
the per-data-set means is written as a scale mixture of normals, and then every block of
parameters has a conditional posterior that can be drawn exactly (normal, truncated gamma) or
by a univariate slice sampler (the degrees of freedom and the shape of their prior); the
hyper-mean and hyper-scale are drawn a second time in the non-centred parametrization
(interweaving), which keeps the chain mixing when the data sets agree. No new
dependency is needed (a NUTS sampler such as pyro-ppl's would add one and run slower on this
small, conditionally conjugate model).

The model, for data set :math:`i = 1..q` with the vector :math:`x_i` of its :math:`n_i`
cross-validation differences (A - B):

.. math::

    x_i \mid \delta_i, \sigma_i &\sim \mathrm{MVN}(\delta_i \mathbf 1,\ \sigma_i^2 M_i),
    \quad M_i = (1 - \rho_i) I + \rho_i \mathbf 1 \mathbf 1^\top,\ \rho_i =
    n_{test} / (n_{train} + n_{test}) \\
    \delta_i \mid \delta_0, \sigma_0, \nu &\sim t_\nu(\delta_0, \sigma_0), \qquad
    \sigma_i \sim U(0, \bar s\,u), \\
    \delta_0 &\sim U(-\max|x|, \max|x|), \quad \sigma_0 \sim U(0, s_{\bar x}\,u), \quad
    \nu - 1 \sim \mathrm{Gamma}(\alpha, \beta), \\
    \alpha &\sim U(\alpha_{lo}, \alpha_{hi}), \quad \beta \sim U(\beta_{lo}, \beta_{hi}),

on differences divided by the mean within-data-set standard deviation :math:`\bar s` (as
baycomp does), :math:`s_{\bar x}` the standard deviation of the data-set means and
:math:`u` = ``upper_sigma``. The compound-symmetric :math:`M_i` makes the likelihood depend on
:math:`x_i` through its mean :math:`\bar x_i` and :math:`SS_i = \sum (x_{ij} - \bar x_i)^2`:

.. math::

    (x_i - \delta_i \mathbf 1)^\top M_i^{-1} (x_i - \delta_i \mathbf 1) =
    \frac{SS_i}{1 - \rho_i} + \frac{n_i (\bar x_i - \delta_i)^2}{1 + (n_i - 1)\rho_i}.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special as sps_special

from clfcompare._checks import check_int, check_real
from clfcompare.stats._common import as_float_array
from clfcompare.stats.bayesian import SampledBayesianResult, winner_fractions

__all__ = ["bayesian_hierarchical"]


# --------------------------------------------------------------------------------------------
# exact draws from truncated distributions (inverse cdf with the special functions)
# --------------------------------------------------------------------------------------------
def _truncated_gamma(shape, rate, lower, upper, rng):
    """Gamma(shape, rate) draws restricted to ``[lower, upper]`` (arrays broadcast)."""
    shape, rate = np.asarray(shape, float), np.asarray(rate, float)
    lo = sps_special.gammainc(shape, lower * rate)
    hi = sps_special.gammainc(shape, upper * rate) if np.isfinite(upper) else np.ones_like(lo)
    u = lo + (hi - lo) * rng.random(np.broadcast(lo, hi).shape)
    u = np.clip(u, np.finfo(float).tiny, 1 - np.finfo(float).epsneg)
    x = sps_special.gammaincinv(shape, u) / rate
    return np.clip(x, lower, upper)


def _truncated_normal(mean, sd, lower, upper, rng):
    """One normal draw restricted to ``[lower, upper]``."""
    a = sps_special.ndtr((lower - mean) / sd)
    b = sps_special.ndtr((upper - mean) / sd)
    u = a + (b - a) * rng.random()
    u = min(max(u, np.finfo(float).tiny), 1 - np.finfo(float).epsneg)
    return float(np.clip(mean + sd * sps_special.ndtri(u), lower, upper))


def _slice_sample(x0, logp, rng, width=1.0, lower=-math.inf, upper=math.inf, max_steps=50):
    """One univariate slice-sampling update (Neal 2003: stepping out, then shrinkage)."""
    level = logp(x0) + math.log(rng.random())
    left = x0 - width * rng.random()
    right = left + width
    steps = max_steps
    while steps > 0 and left > lower and logp(left) > level:
        left -= width
        steps -= 1
    steps = max_steps
    while steps > 0 and right < upper and logp(right) > level:
        right += width
        steps -= 1
    left, right = max(left, lower), min(right, upper)
    while True:
        x1 = left + (right - left) * rng.random()
        if logp(x1) > level:
            return x1
        if x1 < x0:
            left = x1
        else:
            right = x1
        if right - left < 1e-12:
            return x0


def _t_logpdf_sum(x, nu, loc, scale):
    z = (x - loc) / scale
    return float(
        np.sum(
            sps_special.gammaln((nu + 1) / 2)
            - sps_special.gammaln(nu / 2)
            - 0.5 * math.log(nu * math.pi)
            - math.log(scale)
            - (nu + 1) / 2 * np.log1p(z * z / nu)
        )
    )


def _run_chain(stats, bounds, n_warmup, n_keep, rng):
    """One Gibbs chain; returns the kept draws of delta0, std0, nu, delta (scaled units)."""
    xbar, ss, n, rho, c = stats["xbar"], stats["ss"], stats["n"], stats["rho"], stats["c"]
    q = xbar.size
    (d0_lo, d0_hi), std_hi, std0_hi = bounds["delta0"], bounds["std"], bounds["std0"]
    (a_lo, a_hi), (b_lo, b_hi) = bounds["alpha"], bounds["beta"]
    # start near the data, jittered so that chains differ
    delta = xbar + 0.1 * rng.standard_normal(q) * math.sqrt(float(np.mean(c)))
    delta0 = float(np.clip(np.mean(xbar), d0_lo, d0_hi))
    std0 = max(float(np.std(xbar)), 0.1)
    lam = np.ones(q)
    alpha, beta = (a_lo + a_hi) / 2, (b_lo + b_hi) / 2
    nu = 1.0 + alpha / beta
    out = {
        "delta0": np.empty(n_keep),
        "std0": np.empty(n_keep),
        "nu": np.empty(n_keep),
        "delta": np.empty((n_keep, q)),
    }
    for it in range(n_warmup + n_keep):
        # sigma_i | delta_i: 1/sigma^2 ~ Gamma((n - 1)/2, Q/2), sigma <= std_hi
        quad = ss / (1 - rho) + (xbar - delta) ** 2 / c
        tau = _truncated_gamma((n - 1) / 2, quad / 2, 1 / std_hi**2, np.inf, rng)
        sigma2 = 1 / tau
        # delta_i | lambda_i, sigma_i, delta0, std0: normal-normal
        prec_prior = lam / std0**2
        prec_lik = 1 / (sigma2 * c)
        var = 1 / (prec_prior + prec_lik)
        delta = var * (prec_prior * delta0 + prec_lik * xbar) + np.sqrt(var) * (
            rng.standard_normal(q)
        )
        # delta0 | delta, lambda, std0: truncated normal
        lam_sum = float(lam.sum())
        delta0 = _truncated_normal(
            float(np.dot(lam, delta)) / lam_sum, std0 / math.sqrt(lam_sum), d0_lo, d0_hi, rng
        )
        # std0 | delta, delta0, lambda: 1/std0^2 ~ Gamma((q - 1)/2, S/2), std0 <= std0_hi
        spread = float(np.dot(lam, (delta - delta0) ** 2))
        tau0 = _truncated_gamma((q - 1) / 2, spread / 2, 1 / std0_hi**2, np.inf, rng)
        std0 = float(1 / math.sqrt(float(tau0)))

        # interweaving (Yu and Meng 2011): redraw delta0 and std0 in the non-centred
        # parametrization delta = delta0 + std0 * z, z fixed, whose conditionals given the
        # data are a truncated normal each; it keeps the chain from sticking in the funnel
        # of small std0
        z = (delta - delta0) / std0
        v = sigma2 * c
        w_sum = float(np.sum(1 / v))
        delta0 = _truncated_normal(
            float(np.sum((xbar - std0 * z) / v)) / w_sum, 1 / math.sqrt(w_sum), d0_lo, d0_hi, rng
        )
        zz = float(np.sum(z * z / v))
        if zz > 0:
            std0 = _truncated_normal(
                float(np.sum(z * (xbar - delta0) / v)) / zz, 1 / math.sqrt(zz), 0.0, std0_hi, rng
            )
            std0 = max(std0, 1e-300)
        delta = delta0 + std0 * z

        # nu | delta, delta0, std0, alpha, beta (lambda integrated out), on log(nu - 1)
        def logp_nu(v, alpha=alpha, beta=beta, delta=delta, delta0=delta0, std0=std0):
            m = math.exp(v)
            prior = alpha * math.log(beta) - math.lgamma(alpha) + (alpha - 1) * v - beta * m
            return prior + v + _t_logpdf_sum(delta, 1 + m, delta0, std0)

        nu = 1 + math.exp(_slice_sample(math.log(nu - 1), logp_nu, rng))
        # lambda | nu, ...: the scale-mixture weights
        z2 = ((delta - delta0) / std0) ** 2
        lam = rng.gamma((nu + 1) / 2, 2 / (nu + z2))

        # alpha | nu, beta on (a_lo, a_hi); beta | alpha, nu: truncated Gamma(alpha + 1, nu - 1)
        def logp_alpha(a, nu=nu, beta=beta):
            return a * math.log(beta) + (a - 1) * math.log(nu - 1) - math.lgamma(a)

        alpha = _slice_sample(alpha, logp_alpha, rng, width=0.5, lower=a_lo, upper=a_hi)
        beta = float(_truncated_gamma(alpha + 1, nu - 1, b_lo, b_hi, rng))
        if it >= n_warmup:
            k = it - n_warmup
            out["delta0"][k], out["std0"][k], out["nu"][k] = delta0, std0, nu
            out["delta"][k] = delta
    return out


def _rhat(chains):
    """Gelman-Rubin potential scale reduction of ``chains`` (n_chains, n_draws)."""
    m, n = chains.shape
    if m < 2 or n < 2:
        return math.nan
    within = float(np.mean(np.var(chains, axis=1, ddof=1)))
    between = n * float(np.var(np.mean(chains, axis=1), ddof=1))
    if within == 0:
        return 1.0
    return math.sqrt(((n - 1) / n * within + between / n) / within)


def _as_rows(diffs):
    """The per-data-set difference vectors (a 2-D array or a sequence of 1-D arrays)."""
    if isinstance(diffs, pd.DataFrame):
        diffs = diffs.to_numpy()
    if isinstance(diffs, np.ndarray) or not hasattr(diffs, "__len__"):
        array = as_float_array(diffs, "diffs_per_dataset_fold")
        if array.ndim != 2:
            raise ValueError(
                "diffs_per_dataset_fold must be 2-dimensional (rows = data sets, columns = "
                f"folds) or a sequence of 1-D arrays, got shape {array.shape}"
            )
        rows = list(array)
    else:
        rows = []
        for i, row in enumerate(diffs):
            arr = as_float_array(row, f"diffs_per_dataset_fold[{i}]")
            if arr.ndim != 1:
                raise ValueError(
                    f"diffs_per_dataset_fold[{i}] must be 1-dimensional, got shape {arr.shape}"
                )
            rows.append(arr)
    if len(rows) < 2:
        raise ValueError(
            f"the hierarchical model needs at least 2 data sets (rows), got {len(rows)}"
        )
    for i, row in enumerate(rows):
        if row.size < 2:
            raise ValueError(f"data set {i} needs at least 2 folds, got {row.size}")
        if not np.all(np.isfinite(row)):
            raise ValueError(f"data set {i} has non-finite differences (NaN or inf)")
    return rows


def _per_dataset_size(value, q, name):
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        arr = np.full(q, float(arr))
    if arr.shape != (q,):
        raise ValueError(f"{name} must be a number or one per data set ({q}), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive numbers of samples, got {value!r}")
    return arr


def bayesian_hierarchical(
    diffs_per_dataset_fold,
    n_train,
    n_test,
    *,
    rope=0.01,
    random_state=None,
    n_samples=4000,
    n_chains=4,
    n_warmup=1000,
    alpha_bounds=(1.0, 2.0),
    beta_bounds=(0.01, 0.1),
    upper_sigma=1000.0,
):
    r"""Bayesian hierarchical comparison of two models over data sets x CV folds.

    Parameters
    ----------
    diffs_per_dataset_fold : array-like of shape (q, n) or sequence of q 1-D arrays
        ``scores_a - scores_b`` on every fold (split) of every data set: a row per data set
        (rows may differ in length).
    n_train, n_test : float or array-like of shape (q,)
        Training- and test-set sizes of the splits of each data set; the correlation of the
        folds of data set i is :math:`\rho_i = n_{test} / (n_{train} + n_{test})` (1/k for
        k-fold CV, baycomp's ``1 / nfolds``).
    rope : float, default=0.01
        Half-width of the region of practical equivalence, in score units.
    random_state : int, numpy Generator or None, default=None
    n_samples : int, default=4000
        Posterior draws kept, over all chains.
    n_chains : int, default=4
        Independent Gibbs chains (for ``rhat``).
    n_warmup : int, default=1000
        Draws discarded at the start of each chain.
    alpha_bounds, beta_bounds : (float, float)
        Uniform priors of the shape and rate of the Gamma prior of :math:`\nu - 1` (baycomp's
        defaults; scmamp uses (0.5, 5) and (0.05, 0.15)).
    upper_sigma : float, default=1000
        Upper bounds of the uniform priors of :math:`\sigma_i` and :math:`\sigma_0`, in units
        of the within-data-set and between-data-set standard deviations.

    Returns
    -------
    SampledBayesianResult
        ``prob_worse`` / ``prob_equivalent`` / ``prob_better``: the fraction of posterior draws
        in which the next data set's difference :math:`\delta \sim t_\nu(\delta_0, \sigma_0)`
        is most probably left of, inside, or right of the rope (baycomp's
        ``HierarchicalTest.probs``); ``posterior`` those per-draw probabilities;
        ``mean_samples`` the draws of :math:`\delta_0` (score units); ``rho`` the mean
        correlation; ``per_dataset`` a DataFrame (one row per data set: the posterior mean of
        :math:`\delta_i` and the fractions of its draws left of, inside and right of the rope,
        as scmamp reports); ``rhat`` the Gelman-Rubin statistic of :math:`\delta_0`.

    Notes
    -----
    The model and its Gibbs sampler are described in the module docstring. A draw of the
    posterior gives :math:`p_{worse} = F_\nu((-r - \delta_0)/\sigma_0)`,
    :math:`p_{better} = 1 - F_\nu((r - \delta_0)/\sigma_0)` (:math:`F_\nu` the standard t
    cdf, :math:`r` the rope); as in baycomp, each probability reported is the fraction of draws
    in which that region is the most probable. Unlike baycomp, data sets whose differences have
    zero variance need no jitter: their :math:`\sigma_i` keeps a proper posterior.

    References
    ----------
    .. [1] G. Corani, A. Benavoli, J. Demšar, F. Mangili and M. Zaffalon, "Statistical
       comparison of classifiers through Bayesian hierarchical modelling", Machine Learning
       106, 1817-1837 (2017).
    .. [2] A. Benavoli, G. Corani, J. Demšar and M. Zaffalon, "Time for a change: a tutorial
       for comparing multiple classifiers through Bayesian analysis", JMLR 18(77), 1-36 (2017).
    .. [3] R. M. Neal, "Slice sampling", Annals of Statistics 31(3), 705-767 (2003).
    .. [4] Y. Yu and X.-L. Meng, "To center or not to center: that is not the question",
       J. Computational and Graphical Statistics 20(3), 531-570 (2011).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats import bayesian_hierarchical
    >>> rng = np.random.default_rng(0)
    >>> diffs = 0.03 + rng.normal(0, 0.02, (8, 10))
    >>> res = bayesian_hierarchical(diffs, n_train=90, n_test=10, random_state=0,
    ...                             n_samples=1000, n_warmup=300)
    >>> res.prob_better > 0.9
    True
    """
    rope = check_real(rope, "rope", low=0)
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_chains = check_int(n_chains, "n_chains", low=1)
    n_warmup = check_int(n_warmup, "n_warmup", low=0)
    upper_sigma = check_real(upper_sigma, "upper_sigma", low=1)
    bounds_ok = []
    for name, pair in (("alpha_bounds", alpha_bounds), ("beta_bounds", beta_bounds)):
        if len(tuple(pair)) != 2:
            raise ValueError(f"{name} must be a pair (low, high), got {pair!r}")
        lo = check_real(pair[0], f"{name}[0]", low=0, low_open=True)
        hi = check_real(pair[1], f"{name}[1]", low=lo, low_open=True)
        bounds_ok.append((lo, hi))
    rows = _as_rows(diffs_per_dataset_fold)
    q = len(rows)
    n = np.array([r.size for r in rows], dtype=float)
    train = _per_dataset_size(n_train, q, "n_train")
    test = _per_dataset_size(n_test, q, "n_test")
    rho = test / (train + test)

    stds = np.array([np.std(r) for r in rows])
    scale = float(np.mean(stds))
    if scale == 0:
        top = max(float(np.max(np.abs(r))) for r in rows)
        scale = top if top > 0 else 1.0
    scaled = [r / scale for r in rows]
    xbar = np.array([np.mean(r) for r in scaled])
    ss = np.array([float(np.sum((r - np.mean(r)) ** 2)) for r in scaled])
    std_within = float(np.mean([np.std(r) for r in scaled])) or 1.0
    std_among = float(np.std(xbar)) or std_within
    max_abs = max(float(np.max(np.abs(r))) for r in scaled) or 1.0
    stats = {"xbar": xbar, "ss": ss, "n": n, "rho": rho, "c": (1 + (n - 1) * rho) / n}
    bounds = {
        "delta0": (-max_abs, max_abs),
        "std": std_within * upper_sigma,
        "std0": std_among * upper_sigma,
        "alpha": bounds_ok[0],
        "beta": bounds_ok[1],
    }
    rng = np.random.default_rng(random_state)
    per_chain = -(-n_samples // n_chains)
    chains = [
        _run_chain(stats, bounds, n_warmup, per_chain, np.random.default_rng(seed))
        for seed in rng.integers(0, 2**63 - 1, n_chains)
    ]
    rhat = _rhat(np.vstack([c["delta0"] for c in chains]))
    delta0 = np.concatenate([c["delta0"] for c in chains])[:n_samples]
    std0 = np.concatenate([c["std0"] for c in chains])[:n_samples]
    nu = np.concatenate([c["nu"] for c in chains])[:n_samples]
    delta = np.vstack([c["delta"] for c in chains])[:n_samples] * scale

    r = rope / scale
    worse = sps_special.stdtr(nu, (-r - delta0) / std0)
    better = 1.0 - sps_special.stdtr(nu, (r - delta0) / std0)
    posterior = np.column_stack([worse, np.clip(1.0 - worse - better, 0.0, 1.0), better])
    p_worse, p_equivalent, p_better = winner_fractions(posterior)
    per_dataset = pd.DataFrame(
        {
            "mean_delta": delta.mean(axis=0),
            "prob_worse": np.mean(delta < -rope, axis=0),
            "prob_equivalent": np.mean((delta >= -rope) & (delta <= rope), axis=0),
            "prob_better": np.mean(delta > rope, axis=0),
        },
        index=pd.RangeIndex(q, name="dataset"),
    )
    mean_samples = delta0 * scale
    return SampledBayesianResult(
        prob_worse=p_worse,
        prob_equivalent=p_equivalent,
        prob_better=p_better,
        mean_difference=float(np.mean(mean_samples)),
        scale=float(np.std(mean_samples)),
        df=math.nan,
        rope=rope,
        rho=float(np.mean(rho)),
        n=q,
        test="bayesian_hierarchical",
        n_samples=delta0.size,
        posterior=posterior,
        mean_samples=mean_samples,
        per_dataset=per_dataset,
        rhat=rhat,
    )
