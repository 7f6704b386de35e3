"""The two views of a rejection-rate table: rates with intervals, and power curves (private).

Both take the tables of :func:`~clfcompare.calibration.simulate_rejection_rates` and
:func:`~clfcompare.calibration.power_curve`, for one learner arm or several (a ``learner``
column).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_power_curve", "plot_rejection_rates"]


def _check_table(table):
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame of rejection rates, got {type(table)}")
    missing = {"test", "protocol", "effect", "rate", "ci_low", "ci_high", "alpha"} - set(
        table.columns
    )
    if missing:
        raise ValueError(f"table lacks the column(s) {sorted(missing)}")
    if table.empty:
        raise ValueError("table is empty")


def _table_axes(table, ax, figsize):
    """Validate a rejection-rate table; return ``ax``, or the Axes of a new figure of size
    ``figsize(table)``."""
    _check_table(table)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize(table))
    return ax


def _draw_alpha(table, line):
    """Mark each level ``alpha`` of ``table`` with ``line`` (``ax.axvline`` or ``ax.axhline``)."""
    for a in sorted(table["alpha"].unique()):
        line(a, color="k", linestyle="--", linewidth=1, label=f"α = {a:g}")


def plot_rejection_rates(table, *, ax=None):
    """Rejection rate of each test with its interval, and the level α.

    One row per test (labelled with its protocol); one marker series per effect and, when
    ``table`` has a ``learner`` column with several learners, per learner (e.g. the Type I
    error of every test for every learner arm in one figure).

    Parameters
    ----------
    table : DataFrame
        From :func:`simulate_rejection_rates` or :func:`power_curve`.
    ax : matplotlib Axes or None, default=None
        Drawn into; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clfcompare.calibration import plot_rejection_rates, simulate_rejection_rates
    >>> table = simulate_rejection_rates(
    ...     20, tests=["corrected_ttest", "paired_ttest_10x10"], random_state=0
    ... )
    >>> ax = plot_rejection_rates(table)
    >>> ax.get_xlabel()
    'rejection rate'
    """
    ax = _table_axes(table, ax, lambda t: (7.0, 0.45 * t["test"].nunique() + 1.5))
    tests = list(dict.fromkeys(table["test"]))
    effects = sorted(table["effect"].unique())
    learners = list(dict.fromkeys(table["learner"])) if "learner" in table.columns else [None]
    labels = [f"{t} ({table.loc[table.test == t, 'protocol'].iloc[0]})" for t in tests]
    pos = {t: i for i, t in enumerate(tests)}
    width = 0.6
    series = [(lrn, e) for lrn in learners for e in effects]
    for j, (learner, effect) in enumerate(series):
        sub = table[table["effect"] == effect]
        if learner is not None:
            sub = sub[sub["learner"] == learner]
        offset = 0.0 if len(series) == 1 else width * (j / (len(series) - 1) - 0.5)
        yy = sub["test"].map(pos).to_numpy() + offset
        rate = sub["rate"].to_numpy()
        err = np.vstack([rate - sub["ci_low"].to_numpy(), sub["ci_high"].to_numpy() - rate])
        err = np.clip(err, 0.0, None)
        parts = [] if len(learners) == 1 else [str(learner)]
        if len(effects) > 1 or not parts:
            parts.append(f"effect = {effect:g}")
        ax.errorbar(rate, yy, xerr=err, fmt="o", capsize=3, label=", ".join(parts))
    _draw_alpha(table, ax.axvline)
    ax.set_yticks(range(len(tests)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, min(1.0, max(0.1, float(table["ci_high"].max()) * 1.05)))
    ax.set_xlabel("rejection rate")
    ax.set_title("Rejection rates with 95% intervals")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_power_curve(table, *, ax=None):
    """Rejection rate against the effect, one line (and interval band) per test.

    Parameters
    ----------
    table : DataFrame
        From :func:`power_curve` (several effects); with several learners (a ``learner``
        column), one line per learner and test, labelled ``"learner: test"``.
    ax : matplotlib Axes or None, default=None

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from clfcompare.calibration import plot_power_curve, power_curve
    >>> ax = plot_power_curve(power_curve([0.0, 0.1], 10, tests=["mcnemar_exact"], random_state=0))
    >>> len(ax.get_lines()) >= 1
    True
    """
    ax = _table_axes(table, ax, lambda t: (7.0, 4.5))
    several = "learner" in table.columns and table["learner"].nunique() > 1
    keys = ["learner", "test"] if several else ["test"]
    for key, sub in table.groupby(keys, sort=False):
        label = ": ".join(key) if several else key[0]
        sub = sub.sort_values("effect")
        (line,) = ax.plot(sub["effect"], sub["rate"], marker="o", label=label)
        ax.fill_between(
            sub["effect"], sub["ci_low"], sub["ci_high"], color=line.get_color(), alpha=0.1
        )
    _draw_alpha(table, ax.axhline)
    ax.set_xlabel("effect: difference of population accuracies (A - B)")
    ax.set_ylabel("rejection rate")
    ax.set_ylim(0, 1)
    ax.set_title("Power (effect > 0) and Type I error (effect = 0)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
