"""How the score variance of a split x seed design divides into data split and initialisation.

Bouthillier et al. (2021) show that the random initialisation (and data order) of a learner
can add as much variance to its benchmark score as the choice of the data split, and that
an estimate of the expected score must sample both. :func:`variance_components` estimates,
per model, the variance component of each source from the trials of
``run_trials(..., n_seeds=S)`` by the classical ANOVA (method of moments) estimators of a
balanced random-effects model, and the share of each in their total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clfcompare._checks import check_choice, check_finite

#: The columns of :func:`variance_components` (without ``model`` for :func:`anova_components`).
VARIANCE_COLUMNS = ("model", "component", "df", "mean_square", "variance", "share")
_DESIGNS = ("nested", "crossed")


def anova_components(scores, *, design="nested"):
    """Variance components of one model's scores on a balanced split x seed grid.

    Parameters
    ----------
    scores : array-like of shape (D, S)
        ``scores[s, k]``: the score on data split ``s`` with seed replica ``k``;
        ``D >= 2`` splits, ``S >= 2`` seeds.
    design : {"nested", "crossed"}, default="nested"
        ``"nested"``: every (split, replica) has its own seed (seeds nested within splits,
        ``run_trials``' default), the model
        :math:`y_{sk} = \\mu + a_s + e_{sk}` with :math:`a_s \\sim (0, \\sigma^2_{split})`,
        :math:`e_{sk} \\sim (0, \\sigma^2_{seed})`. ``"crossed"``: replica ``k`` is the same
        seed on every split (``seed_design="crossed"``), the two-way model without
        replication :math:`y_{sk} = \\mu + a_s + b_k + e_{sk}`, :math:`b_k \\sim (0,
        \\sigma^2_{seed})`, :math:`e_{sk} \\sim (0, \\sigma^2_{residual})` (the split x seed
        interaction, which one observation per cell cannot tell from noise).

    Returns
    -------
    pandas.DataFrame
        One row per component (``split``, ``seed``, and ``residual`` when crossed) with
        ``df``, ``mean_square``, ``variance`` (the estimate, truncated at 0) and ``share``
        (``variance`` over the sum of the components; NaN when every component is 0). A mean
        square within rounding of the scores (``(16 eps max|score|)^2``) counts as 0.

    Notes
    -----
    With the split means :math:`\\bar y_{s\\cdot}`, seed means :math:`\\bar y_{\\cdot k}` and
    grand mean :math:`\\bar y`:

    .. math::

        MS_{split} = \\frac{S \\sum_s (\\bar y_{s\\cdot} - \\bar y)^2}{D - 1}, \\qquad
        MS_{seed} = \\frac{D \\sum_k (\\bar y_{\\cdot k} - \\bar y)^2}{S - 1}.

    Nested: :math:`MS_{within} = \\sum_{s,k} (y_{sk} - \\bar y_{s\\cdot})^2 / (D (S - 1))`,
    :math:`\\hat\\sigma^2_{seed} = MS_{within}` (the ``seed`` row) and
    :math:`\\hat\\sigma^2_{split} = (MS_{split} - MS_{within}) / S`. Crossed:
    :math:`MS_{res} = \\sum (y_{sk} - \\bar y_{s\\cdot} - \\bar y_{\\cdot k} + \\bar y)^2 /
    ((D - 1)(S - 1))`, :math:`\\hat\\sigma^2_{split} = (MS_{split} - MS_{res}) / S`,
    :math:`\\hat\\sigma^2_{seed} = (MS_{seed} - MS_{res}) / D`,
    :math:`\\hat\\sigma^2_{residual} = MS_{res}`. These are unbiased before truncation at 0
    and equal the REML estimates of the random-effects model when none is truncated
    (balanced data; Searle, Casella & McCulloch 1992, ch. 3-4).

    In the nested design ``split`` is the variance the data split adds to the score averaged
    over initialisations, ``seed`` the variance of the initialisation with the split fixed
    (Bouthillier et al.'s two sources). Crossed, the initialisation's part is ``seed``
    (a seed good or bad on every split) plus ``residual`` (how a seed suits a split).
    CV splits overlap in their training rows, so ``split`` measures the variance between
    the splits of this data set, not the variance over data sets.

    References
    ----------
    .. [1] X. Bouthillier et al., "Accounting for variance in machine learning benchmarks",
       MLSys 2021, arXiv:2103.03098.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.trials import anova_components
    >>> scores = np.array([[0.80, 0.82], [0.70, 0.72], [0.75, 0.79]])
    >>> anova_components(scores).round(6)
      component  df  mean_square  variance     share
    0     split   2     0.005067  0.002333  0.853659
    1      seed   3     0.000400  0.000400  0.146341
    """
    design = check_choice(design, "design", _DESIGNS)
    y = np.asarray(scores, dtype=np.float64) if not isinstance(scores, str) else None
    if y is None or y.ndim != 2:
        raise ValueError(
            "scores must be a 2-D array (data splits x seeds), got "
            f"{'a string' if y is None else f'shape {y.shape}'}"
        )
    n_splits, n_seeds = y.shape
    if n_splits < 2 or n_seeds < 2:
        raise ValueError(
            f"scores must have at least 2 data splits and 2 seeds, got shape {y.shape}"
        )
    check_finite(y, "scores")
    grand = y.mean()
    split_means = y.mean(axis=1)
    seed_means = y.mean(axis=0)
    # a mean square within rounding of the scores is 0 (a constant grid has no variance)
    tol = (16 * np.finfo(np.float64).eps * np.abs(y).max()) ** 2

    def mean_square(squares, df):
        value = float(np.sum(squares)) / df
        return 0.0 if value <= tol else value

    df_split = n_splits - 1
    ms_split = mean_square(n_seeds * (split_means - grand) ** 2, df_split)
    if design == "nested":
        df_within = n_splits * (n_seeds - 1)
        ms_within = mean_square((y - split_means[:, None]) ** 2, df_within)
        rows = [
            ("split", df_split, ms_split, (ms_split - ms_within) / n_seeds),
            ("seed", df_within, ms_within, ms_within),
        ]
    else:
        df_seed = n_seeds - 1
        df_res = df_split * df_seed
        ms_seed = mean_square(n_splits * (seed_means - grand) ** 2, df_seed)
        resid = y - split_means[:, None] - seed_means[None, :] + grand
        ms_res = mean_square(resid**2, df_res)
        rows = [
            ("split", df_split, ms_split, (ms_split - ms_res) / n_seeds),
            ("seed", df_seed, ms_seed, (ms_seed - ms_res) / n_splits),
            ("residual", df_res, ms_res, ms_res),
        ]
    frame = pd.DataFrame(rows, columns=["component", "df", "mean_square", "variance"])
    frame["variance"] = frame["variance"].clip(lower=0.0)
    total = frame["variance"].sum()
    frame["share"] = frame["variance"] / total if total > 0 else np.nan
    frame["df"] = frame["df"].astype(np.int64)
    frame["component"] = frame["component"].astype(str)
    return frame


def variance_components(results, metric="accuracy", *, role="main", design=None):
    """Per model, the score variance due to the data split and due to the seed.

    Parameters
    ----------
    results : TrialResults
        From ``run_trials(..., n_seeds=S)`` with ``S >= 2`` (``results.design`` records the
        number of seeds and the seed design), complete.
    metric : str, default="accuracy"
        A score column (see :meth:`TrialResults.score_table`).
    role : {"main", "half"}, default="main"
        Which splits: the main CV, or the half-partition splits of
        :class:`RepeatedKFoldWithHalves` (each (partition, half, fold) a data split).
    design : {"nested", "crossed"} or None, default=None
        The model of :func:`anova_components`; None: the run's ``seed_design``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VARIANCE_COLUMNS`: ``model``, ``component`` (``split``, ``seed``,
        and ``residual`` when crossed), ``df``, ``mean_square``, ``variance``, ``share``;
        the models in ``results.models`` order.

    Raises
    ------
    ValueError
        When the results have no split x seed design with at least 2 seeds, are incomplete,
        or ``metric`` / ``role`` is unknown.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from clfcompare.trials import run_trials, variance_components
    >>> X, y = make_classification(n_samples=80, random_state=0)
    >>> res = run_trials({"tree": DecisionTreeClassifier(max_features=1, random_state=0)},
    ...                  X, y, cv=4, n_seeds=3, progress=False)
    >>> variance_components(res)[["model", "component", "df"]]
      model component  df
    0  tree     split   3
    1  tree      seed   8
    """
    if not callable(getattr(results, "score_table", None)):
        raise TypeError(
            f"results must be a TrialResults (from run_trials), got {type(results).__name__}"
        )
    if role not in ("main", "half"):
        raise ValueError(f"role must be 'main' or 'half', got {role!r}")
    run_design = getattr(results, "design", None) or {}
    n_seeds = run_design.get("n_seeds") or 1
    if n_seeds < 2:
        raise ValueError(
            "variance_components needs a split x seed design with at least 2 seeds per split: "
            f"run_trials(..., n_seeds=S) with S >= 2 (these results have {n_seeds})"
        )
    if design is None:
        design = run_design.get("seed_design", "nested")
    design = check_choice(design, "design", _DESIGNS)
    table = results.score_table(metric, role=role, by_seed=True)
    frames = []
    for model in table.columns:
        grid = table[model].unstack("seed")
        part = anova_components(grid.to_numpy(), design=design)
        part.insert(0, "model", str(model))
        frames.append(part)
    return pd.concat(frames, ignore_index=True).loc[:, list(VARIANCE_COLUMNS)]
