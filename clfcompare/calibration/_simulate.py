r"""The simulation: replicates, the tests' protocols, rejection rates (private to the package).

See the package documentation (:mod:`clfcompare.calibration`) for the data, the learner arms
and the protocols; this module runs them: :func:`simulate_replicates` (one row per replicate,
effect and test), :func:`summarize_rejections` (rates, Monte Carlo standard errors and
intervals), :func:`simulate_rejection_rates` and :func:`power_curve` (both in one call).
"""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy import special
from scipy import stats as sps

from clfcompare._checks import check_int, check_real
from clfcompare.calibration import _data
from clfcompare.calibration._learners import resolve_learner
from clfcompare.stats import (
    bayesian_correlated_ttest,
    combined_ftest_5x2cv,
    conservative_z,
    corrected_ttest,
    mcnemar,
    paired_ttest,
    paired_ttest_5x2cv,
    wilcoxon_test,
)

__all__ = [
    "BLOCK_SIZE",
    "TESTS",
    "binomial_interval",
    "monte_carlo_se",
    "power_curve",
    "simulate_rejection_rates",
    "simulate_replicates",
    "summarize_rejections",
]

#: check_real's bounds for a probability strictly between 0 and 1 (alpha, a threshold, a level)
_OPEN_UNIT = dict(low=0.0, high=1.0, low_open=True, high_open=True)

#: Replicates per vectorised block (and per joblib task). Results do not depend on it.
BLOCK_SIZE = 25

#: Test name -> protocol, in the order of the tables and figures.
TESTS = {
    "conservative_z": "10x10 CV + 10 halves",
    "corrected_ttest": "10x10 CV",
    "paired_ttest_10x10": "10x10 CV",
    "paired_ttest_10fold": "10-fold CV",
    "wilcoxon_10x10": "10x10 CV",
    "wilcoxon_10fold": "10-fold CV",
    "paired_ttest_5x2cv": "5x2 CV",
    "combined_ftest_5x2cv": "5x2 CV",
    "mcnemar_exact": "hold-out 1/3",
    "mcnemar_chi2": "hold-out 1/3",
    "bayesian_correlated_ttest": "10x10 CV",
}

# which splits' mean difference a test's true/observed difference is: its estimate's
_DIFF_KEY = {
    "10x10 CV + 10 halves": "10x10",
    "10x10 CV": "10x10",
    "10-fold CV": "10fold",
    "5x2 CV": "5x2",
    "hold-out 1/3": "holdout",
}

_REPLICATE_COLUMNS = [
    "learner",
    "replicate",
    "effect",
    "test",
    "protocol",
    "pvalue",
    "prob_worse",
    "prob_better",
    "reject",
    "undefined",
    "n_warnings",
    "true_difference",
    "observed_difference",
    "cpu_s",
]

_SUMMARY_COLUMNS = [
    "learner",
    "test",
    "protocol",
    "effect",
    "true_difference",
    "observed_difference",
    "alpha",
    "n_replicates",
    "rejections",
    "rate",
    "mc_se",
    "ci_low",
    "ci_high",
    "n_undefined",
    "n_warnings",
    "cpu_s",
]


# --------------------------------------------------------------------------------------------
# Monte Carlo error
# --------------------------------------------------------------------------------------------
def monte_carlo_se(rejections, n_replicates):
    r"""Monte Carlo standard error of a rejection rate, :math:`\sqrt{\hat r (1 - \hat r) / R}`.

    Examples
    --------
    >>> from clfcompare.calibration import monte_carlo_se
    >>> round(monte_carlo_se(50, 1000), 6)
    0.006892
    """
    k, n = _check_counts(rejections, n_replicates)
    r = k / n
    return math.sqrt(r * (1.0 - r) / n)


def binomial_interval(rejections, n_replicates, *, confidence_level=0.95, method="wilson"):
    r"""Two-sided confidence interval for a binomial proportion.

    Wilson's score interval, with :math:`z = \Phi^{-1}(1 - (1 - \gamma)/2)`:

    .. math::

        \frac{k + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}\sqrt{\frac{k (n - k)}{n} + \frac{z^2}{4}}

    or the exact Clopper–Pearson interval,
    :math:`[B(\tfrac{1-\gamma}{2}; k, n - k + 1),\; B(\tfrac{1+\gamma}{2}; k + 1, n - k)]`
    with :math:`B(q; a, b)` the beta quantile (0 and 1 at :math:`k = 0` and :math:`k = n`).

    Parameters
    ----------
    rejections : int
        :math:`k`, number of successes.
    n_replicates : int
        :math:`n`, number of trials (positive).
    confidence_level : float, default=0.95
        :math:`\gamma`.
    method : {"wilson", "clopper-pearson"}, default="wilson"

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> from clfcompare.calibration import binomial_interval
    >>> from statsmodels.stats.proportion import proportion_confint
    >>> lo, hi = binomial_interval(7, 100)
    >>> ref = proportion_confint(7, 100, alpha=0.05, method="wilson")
    >>> bool(abs(lo - ref[0]) < 1e-12 and abs(hi - ref[1]) < 1e-12)
    True
    """
    k, n = _check_counts(rejections, n_replicates)
    gamma = check_real(confidence_level, "confidence_level", **_OPEN_UNIT)
    if method == "wilson":
        z = special.ndtri(0.5 + 0.5 * gamma)
        centre = (k + 0.5 * z * z) / (n + z * z)
        half = z / (n + z * z) * math.sqrt(k * (n - k) / n + 0.25 * z * z)
        # exact ends at k = 0 and k = n (the formula gives them up to rounding)
        low = 0.0 if k == 0 else max(0.0, centre - half)
        high = 1.0 if k == n else min(1.0, centre + half)
        return low, high
    if method == "clopper-pearson":
        tail = 0.5 * (1.0 - gamma)
        low = 0.0 if k == 0 else float(sps.beta.ppf(tail, k, n - k + 1))
        high = 1.0 if k == n else float(sps.beta.ppf(1.0 - tail, k + 1, n - k))
        return low, high
    raise ValueError(f"method must be 'wilson' or 'clopper-pearson', got {method!r}")


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _check_counts(rejections, n_replicates):
    n = check_int(n_replicates, "n_replicates", low=1)
    k = check_int(rejections, "rejections", low=0)
    if k > n:
        raise ValueError(f"rejections must not exceed n_replicates ({n}), got {k}")
    return k, n


def _check_effects(effect, base_accuracy):
    scalar = np.ndim(effect) == 0
    values = [effect] if scalar else list(np.asarray(effect, dtype=object).ravel())
    if not values:
        raise ValueError("effect must contain at least one value, got an empty sequence")
    effects = [check_real(v, "effect") for v in values]
    for e in effects:
        if not 0.5 <= base_accuracy + e < 1.0:
            raise ValueError(
                "base_accuracy + effect must lie in [0.5, 1) (the accuracy of the better "
                f"feature), got base_accuracy={base_accuracy} and effect={e}"
            )
    if len(set(effects)) != len(effects):
        raise ValueError(f"effects must be distinct, got {effects}")
    return effects


def _check_tests(tests):
    if tests is None:
        return list(TESTS)
    if isinstance(tests, str):
        tests = [tests]
    tests = list(tests)
    unknown = [t for t in tests if t not in TESTS]
    if unknown:
        raise ValueError(f"unknown test(s) {unknown}; expected names from {list(TESTS)}")
    if not tests:
        raise ValueError("tests must name at least one test")
    return [t for t in TESTS if t in tests]


def _seed_sequence(random_state):
    if random_state is None or isinstance(random_state, Integral):
        if isinstance(random_state, bool):
            raise TypeError("random_state must be None, an int, a SeedSequence or a generator")
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return np.random.SeedSequence(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(random_state.integers(0, 2**63, size=2).tolist())
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(random_state.randint(0, 2**31, size=4).tolist())
    raise TypeError(
        "random_state must be None, an int, a numpy SeedSequence, Generator or RandomState, "
        f"got {type(random_state).__name__}"
    )


def _check_features(n_features, learner_name):
    if n_features is None:
        return 1 if learner_name == "nearest_mean" else 2
    return check_int(n_features, "n_features", low=1)


# --------------------------------------------------------------------------------------------
# the simulation
# --------------------------------------------------------------------------------------------
def size_arg(sizes):
    """Mean split size, as an int when it is one."""
    value = float(np.mean(sizes))
    return int(value) if value.is_integer() else value


def run_test(name, data, rope, threshold, alpha):
    """Apply one test to one replicate; returns the per-replicate record fields."""
    pvalue = prob_worse = prob_better = np.nan
    if name == "conservative_z":
        res = conservative_z(data["a10x10"], data["b10x10"], data["ahalves"], data["bhalves"])
    elif name == "corrected_ttest":
        res = corrected_ttest(data["a10x10"], data["b10x10"], data["n_train"], data["n_test"])
    elif name == "paired_ttest_10x10":
        res = paired_ttest(data["a10x10"], data["b10x10"])
    elif name == "paired_ttest_10fold":
        res = paired_ttest(data["a10"], data["b10"])
    elif name == "wilcoxon_10x10":
        res = wilcoxon_test(data["a10x10"], data["b10x10"])
    elif name == "wilcoxon_10fold":
        res = wilcoxon_test(data["a10"], data["b10"])
    elif name == "paired_ttest_5x2cv":
        res = paired_ttest_5x2cv(data["a5x2"], data["b5x2"])
    elif name == "combined_ftest_5x2cv":
        res = combined_ftest_5x2cv(data["a5x2"], data["b5x2"])
    elif name in ("mcnemar_exact", "mcnemar_chi2"):
        res = mcnemar(
            data["y_hold"], data["pred_a_hold"], data["pred_b_hold"], exact=name == "mcnemar_exact"
        )
    else:  # bayesian_correlated_ttest
        res = bayesian_correlated_ttest(
            data["a10x10"], data["b10x10"], data["n_train"], data["n_test"], rope=rope
        )
        prob_worse, prob_better = float(res.prob_worse), float(res.prob_better)
        undefined = not (math.isfinite(prob_worse) and math.isfinite(prob_better))
        reject = (not undefined) and (prob_better > threshold or prob_worse > threshold)
        return pvalue, prob_worse, prob_better, reject, undefined
    pvalue = float(res.pvalue)
    undefined = not math.isfinite(pvalue)
    return pvalue, prob_worse, prob_better, (not undefined) and pvalue <= alpha, undefined


def _protocol(values, name):
    """The splits of protocol ``name`` from per-split values (B, N_SPLITS), in its shape."""
    part = values[:, _data.PROTOCOL_SLICES[name]]
    return part.reshape(part.shape[0], *_data.PROTOCOL_SHAPES[name])


def simulate_block(seeds, first, effects, setting, tests, alpha, rope, threshold):
    """All replicates of one block: vectorised fits, one test call per replicate and test.

    Model B's features do not depend on the effect (common random numbers), so its fits are
    made once and shared by every effect; the learner fits model B and model A of every
    effect in one call (one stacked training run for the MLP).
    """
    learner, evaluate, estimator = resolve_learner(setting["learner"])
    n, p = setting["n_samples"], setting["n_features"]
    y = _data.labels(n)
    n_seeds = _data.N_SPLITS if estimator is not None else 0
    noise, uniforms, model_seeds = _data.draw(seeds, n, p, n_seeds)
    train, test = _data.split_masks(y, uniforms)
    sizes = test[:, _data.PROTOCOL_SLICES["10x10"]].sum(axis=-1)
    n_test10, n_train10 = size_arg(sizes), size_arg(n - sizes)
    d_b = _data.separation_for_accuracy(setting["base_accuracy"])
    d_a = [_data.separation_for_accuracy(setting["base_accuracy"] + e) for e in effects]
    xs = [_data.features(noise, y, d_b, p, 1)] + [_data.features(noise, y, d, p, 0) for d in d_a]
    kwargs = {} if estimator is None else {"seeds": model_seeds}
    outs = evaluate(xs, y, train, test, [d_b, *d_a], **kwargs)
    acc_b, cond_b, pred_b = outs[0]
    hold = test[:, _data.PROTOCOL_SLICES["holdout"]][:, 0]  # (B, n)
    hold_split = _data.PROTOCOL_SLICES["holdout"].start
    records = []
    for effect, (acc_a, cond_a, pred_a) in zip(effects, outs[1:], strict=True):
        acc = {"a": acc_a, "b": acc_b}
        true_diff, obs_diff = {}, {}
        for key, proto, cut in (
            ("10x10", "10x10", np.s_[:, :, :]),
            ("10fold", "10x10", np.s_[:, :1, :]),
            ("5x2", "5x2", np.s_[:, :, :]),
            ("holdout", "holdout", np.s_[:, :]),
        ):
            true_diff[key] = (_protocol(cond_a - cond_b, proto)[cut]).reshape(len(seeds), -1)
            true_diff[key] = true_diff[key].mean(axis=1)
            obs_diff[key] = (_protocol(acc_a - acc_b, proto)[cut]).reshape(len(seeds), -1)
            obs_diff[key] = obs_diff[key].mean(axis=1)
        per = {
            (m, proto): _protocol(acc[m], proto) for m in "ab" for proto in _data.PROTOCOL_SHAPES
        }
        for i in range(len(seeds)):
            data = {
                "a10x10": per["a", "10x10"][i].ravel(),
                "b10x10": per["b", "10x10"][i].ravel(),
                "a10": per["a", "10x10"][i, 0],
                "b10": per["b", "10x10"][i, 0],
                "a5x2": per["a", "5x2"][i],
                "b5x2": per["b", "5x2"][i],
                "ahalves": per["a", "halves"][i],
                "bhalves": per["b", "halves"][i],
                "n_train": n_train10,
                "n_test": n_test10,
                "y_hold": y[hold[i]],
                "pred_a_hold": pred_a[i, hold_split, hold[i]].astype(int),
                "pred_b_hold": pred_b[i, hold_split, hold[i]].astype(int),
            }
            for name in tests:
                start = time.process_time()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    pvalue, p_worse, p_better, reject, undefined = run_test(
                        name, data, rope, threshold, alpha
                    )
                cpu = time.process_time() - start
                key = _DIFF_KEY[TESTS[name]]
                records.append(
                    (
                        learner,
                        first + i,
                        effect,
                        name,
                        TESTS[name],
                        pvalue,
                        p_worse,
                        p_better,
                        bool(reject),
                        bool(undefined),
                        len(caught),
                        float(true_diff[key][i]),
                        float(obs_diff[key][i]),
                        cpu,
                    )
                )
    return records


def simulate_replicates(
    n_replicates=1000,
    effect=0.0,
    alpha=0.05,
    n_samples=300,
    *,
    learner="nearest_mean",
    n_features=None,
    base_accuracy=0.75,
    rope=0.01,
    threshold=0.95,
    tests=None,
    random_state=None,
    n_jobs=None,
    block_size=None,
    max_seconds=None,
):
    r"""Run the simulation and return one row per replicate, effect and test.

    See the package documentation for the data, the learner arms and the protocols.

    Parameters
    ----------
    n_replicates : int, default=1000
        Number of simulated data sets (per effect).
    effect : float or sequence of float, default=0.0
        Difference :math:`\delta` of the population (Bayes) accuracies of the two feature
        groups (A minus B); 0 is the null. Several effects share the same random numbers.
    alpha : float, default=0.05
        Significance level of the frequentist tests.
    n_samples : int, default=300
        Size of every simulated data set (at least 20; two classes of ``n_samples // 2`` and the
        rest).
    learner : str or TorchMLPClassifier, default="nearest_mean"
        The learner arm (the same learner for both models), one of :data:`LEARNERS`:
        ``"nearest_mean"``, nearest class mean (stable), ``"tree"``, a
        fully grown decision tree, ``"1nn"`` (both unstable), or an MLP trained by the batched
        engine: ``"mlp"`` is the lecture's network (cross-entropy, 50-100-50, mini-batches of
        5, 100 epochs, ``device="auto"``); a ``TorchMLPClassifier`` instance gives other
        settings (a small network for the CPU, ``device="cuda"``); its ``random_state`` is not
        used: every split's network gets its own seed from the replicate's generator.
    n_features : int or None, default=None
        Features per model (its own group of exchangeable features). None: 1 for
        ``"nearest_mean"``, 2 for the others (with one feature a fully grown tree predicts
        exactly what 1-NN predicts: both cut between neighbouring training values).
    base_accuracy : float, default=0.75
        Population accuracy of feature group B, in ``[0.5, 1)``.
    rope : float, default=0.01
        Region of practical equivalence of the Bayesian correlated t-test.
    threshold : float, default=0.95
        The Bayesian test rejects equality when ``prob_better`` or ``prob_worse`` exceeds it.
    tests : sequence of str or None, default=None
        Names from :data:`TESTS`; None runs all.
    random_state : None, int, SeedSequence, Generator or RandomState, default=None
        Seeds the replicates (see the package documentation).
    n_jobs : int or None, default=None
        joblib workers over blocks of replicates (None: one, -1: all cores). Results do not
        depend on it. For an MLP on a GPU, several workers share the card: each trains its
        own block as one stacked run, and the engine's per-network CPU work (the epochs'
        row orders) runs in parallel.
    block_size : int or None, default=None
        Replicates per vectorised block (None: :data:`BLOCK_SIZE`). Results do not depend on it
        (for the MLP on a GPU, to float32 rounding); a large block lets the GPU train more
        networks at once.
    max_seconds : float or None, default=None
        Wall-clock budget: blocks run in waves of one per worker, and no wave starts once the
        elapsed time plus the last wave's time would exceed it, so the run returns (fewer
        replicates, always whole blocks, at least one wave) before it is cut off. None runs
        all ``n_replicates``.

    Returns
    -------
    DataFrame
        Columns ``learner``, ``replicate`` (int), ``effect``, ``test``, ``protocol``,
        ``pvalue`` (NaN for the Bayesian test), ``prob_worse``, ``prob_better`` (NaN for the
        frequentist tests), ``reject`` (bool), ``undefined`` (bool: the test returned NaN,
        counted as no rejection), ``n_warnings`` (warnings the call emitted; they are recorded,
        not shown), ``true_difference`` (closed-form expected accuracy difference A - B of the
        fitted models, mean over the protocol's splits; NaN for the learners without a closed
        form), ``observed_difference`` (mean accuracy difference over the protocol's splits),
        ``cpu_s`` (CPU seconds of the test call; the only column that is not reproducible).
        ``attrs`` holds ``n_features``, ``wall_s`` and ``stopped_early`` (``max_seconds``).

    Examples
    --------
    >>> from clfcompare.calibration import simulate_replicates
    >>> reps = simulate_replicates(4, tests=["corrected_ttest", "mcnemar_exact"], random_state=0)
    >>> reps.shape
    (8, 14)
    >>> bool(reps["pvalue"].between(0, 1).all())
    True
    """
    n_replicates = check_int(n_replicates, "n_replicates", low=1)
    n_samples = check_int(n_samples, "n_samples", low=20)
    alpha = check_real(alpha, "alpha", **_OPEN_UNIT)
    base_accuracy = check_real(base_accuracy, "base_accuracy", low=0.5, high=1.0, high_open=True)
    effects = _check_effects(effect, base_accuracy)
    rope = check_real(rope, "rope", low=0.0)
    threshold = check_real(threshold, "threshold", **_OPEN_UNIT)
    tests = _check_tests(tests)
    n_jobs = check_int(n_jobs, "n_jobs", allow_none=True)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use None or 1 for one worker, -1 for all)")
    block_size = BLOCK_SIZE if block_size is None else check_int(block_size, "block_size", low=1)
    if max_seconds is not None:
        max_seconds = check_real(max_seconds, "max_seconds", low=0.0, low_open=True)
    name, _, _ = resolve_learner(learner)
    n_features = _check_features(n_features, name)

    setting = dict(
        learner=learner, n_samples=n_samples, n_features=n_features, base_accuracy=base_accuracy
    )
    seeds = _seed_sequence(random_state).spawn(n_replicates)
    starts = range(0, n_replicates, block_size)
    args = (effects, setting, tests, alpha, rope, threshold)
    began = time.perf_counter()
    stopped = False
    if max_seconds is None:
        blocks = Parallel(n_jobs=n_jobs)(
            delayed(simulate_block)(seeds[s : s + block_size], s, *args) for s in starts
        )
    else:
        # waves of one block per worker (the workers are kept between waves); no wave starts
        # when the last one's time would take the run past max_seconds
        wave = effective_n_jobs(n_jobs)
        blocks, last = [], 0.0
        with Parallel(n_jobs=n_jobs) as parallel:
            for w in range(0, len(starts), wave):
                elapsed = time.perf_counter() - began
                if blocks and elapsed + last > max_seconds:
                    stopped = True
                    break
                t0 = time.perf_counter()
                blocks += parallel(
                    delayed(simulate_block)(seeds[s : s + block_size], s, *args)
                    for s in starts[w : w + wave]
                )
                last = time.perf_counter() - t0
    frame = pd.DataFrame([r for block in blocks for r in block], columns=_REPLICATE_COLUMNS)
    order = {t: i for i, t in enumerate(tests)}
    frame = frame.sort_values(
        ["effect", "test", "replicate"], key=lambda c: c.map(order) if c.name == "test" else c
    )
    frame = frame.reset_index(drop=True)
    frame.attrs.update(
        n_features=n_features,
        wall_s=time.perf_counter() - began,
        stopped_early=stopped,
    )
    return frame


def summarize_rejections(replicates, *, alpha=0.05, confidence_level=0.95, method="wilson"):
    """Rejection rates with Monte Carlo standard errors and intervals.

    Parameters
    ----------
    replicates : DataFrame
        As returned by :func:`simulate_replicates`.
    alpha : float, default=0.05
        The level the decisions were made at (copied into the table).
    confidence_level : float, default=0.95
        Of the interval for each rate.
    method : {"wilson", "clopper-pearson"}, default="wilson"

    Returns
    -------
    DataFrame
        One row per (learner, effect, test): ``learner``, ``test``, ``protocol``, ``effect``,
        ``true_difference`` and ``observed_difference`` (means over replicates; the first is
        NaN for learners without a closed form), ``alpha``, ``n_replicates``,
        ``rejections``, ``rate``, ``mc_se``, ``ci_low``, ``ci_high``, ``n_undefined``,
        ``n_warnings``, ``cpu_s`` (total CPU seconds spent in the test's calls).
    """
    if not isinstance(replicates, pd.DataFrame):
        raise TypeError(
            f"replicates must be the DataFrame of simulate_replicates, got {type(replicates)}"
        )
    missing = set(_REPLICATE_COLUMNS) - set(replicates.columns)
    if missing:
        raise ValueError(f"replicates lacks the column(s) {sorted(missing)}")
    if replicates.empty:
        raise ValueError("replicates is empty")
    alpha = check_real(alpha, "alpha", **_OPEN_UNIT)
    rows = []
    order = list(dict.fromkeys(replicates["test"]))
    learners = list(dict.fromkeys(replicates["learner"]))
    for (learner, effect, test), g in replicates.groupby(
        ["learner", "effect", "test"], sort=False
    ):
        n = len(g)
        k = int(g["reject"].sum())
        low, high = binomial_interval(k, n, confidence_level=confidence_level, method=method)
        rows.append(
            {
                "learner": learner,
                "test": test,
                "protocol": g["protocol"].iloc[0],
                "effect": float(effect),
                "true_difference": float(g["true_difference"].mean(skipna=False)),
                "observed_difference": float(g["observed_difference"].mean()),
                "alpha": alpha,
                "n_replicates": n,
                "rejections": k,
                "rate": k / n,
                "mc_se": monte_carlo_se(k, n),
                "ci_low": low,
                "ci_high": high,
                "n_undefined": int(g["undefined"].sum()),
                "n_warnings": int(g["n_warnings"].sum()),
                "cpu_s": float(g["cpu_s"].sum()),
            }
        )
    table = pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)
    table["_order"] = table["test"].map({t: i for i, t in enumerate(order)})
    table["_learner"] = table["learner"].map({m: i for i, m in enumerate(learners)})
    table = table.sort_values(["_learner", "effect", "_order"])
    table = table.drop(columns=["_order", "_learner"])
    return table.reset_index(drop=True)


def simulate_rejection_rates(
    n_replicates=1000,
    effect=0.0,
    alpha=0.05,
    n_samples=300,
    *,
    interval="wilson",
    **kwargs,
):
    """Rejection rate of every test (Type I error at ``effect=0``, power otherwise).

    :func:`simulate_replicates` followed by :func:`summarize_rejections`; the parameters are
    theirs (``interval`` is the ``method`` of the 95% interval; the keyword arguments, e.g.
    ``learner``, ``tests``, ``random_state``, go to :func:`simulate_replicates`).

    Returns
    -------
    DataFrame
        One row per (effect, test); columns ``learner``, ``test``, ``protocol``, ``effect``,
        ``true_difference``, ``observed_difference``, ``alpha``, ``n_replicates``,
        ``rejections``, ``rate``, ``mc_se``, ``ci_low``, ``ci_high``, ``n_undefined``,
        ``n_warnings``, ``cpu_s``; ``attrs`` as :func:`simulate_replicates`'.

    Examples
    --------
    >>> from clfcompare.calibration import simulate_rejection_rates
    >>> table = simulate_rejection_rates(50, tests=["paired_ttest_5x2cv"], random_state=0)
    >>> table[["test", "n_replicates"]].values.tolist()
    [['paired_ttest_5x2cv', 50]]
    >>> row = table.iloc[0]
    >>> bool(row.ci_low <= row.rate <= row.ci_high)
    True
    """
    if interval not in ("wilson", "clopper-pearson"):
        raise ValueError(f"interval must be 'wilson' or 'clopper-pearson', got {interval!r}")
    reps = simulate_replicates(n_replicates, effect, alpha, n_samples, **kwargs)
    table = summarize_rejections(reps, alpha=alpha, method=interval)
    table.attrs.update(reps.attrs)
    return table


def power_curve(
    effects=(0.0, 0.025, 0.05, 0.075, 0.1, 0.125),
    n_replicates=1000,
    alpha=0.05,
    n_samples=300,
    **kwargs,
):
    """Rejection rate of every test as a function of the true accuracy difference.

    The effects share their random numbers (same data noise and splits), so the curves are
    smooth. Keyword arguments go to :func:`simulate_rejection_rates`.

    Returns
    -------
    DataFrame
        As :func:`simulate_rejection_rates`, one row per (effect, test).

    Examples
    --------
    >>> from clfcompare.calibration import power_curve
    >>> t = power_curve([0.0, 0.1], 20, tests=["corrected_ttest"], random_state=0)
    >>> t["effect"].tolist()
    [0.0, 0.1]
    """
    if np.ndim(effects) != 1:
        raise ValueError(f"effects must be a 1-D sequence of floats, got {effects!r}")
    return simulate_rejection_rates(n_replicates, list(effects), alpha, n_samples, **kwargs)
