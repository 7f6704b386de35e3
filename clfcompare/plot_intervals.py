"""The figure of simultaneous intervals: :func:`plot_simultaneous_intervals`.

It reads a :class:`~clfcompare.stats.SimultaneousResult` (its ``table``, ``confidence_level``,
``critical_value``, ``variance`` and ``family``) and computes nothing.
"""

from __future__ import annotations

__all__ = ["plot_simultaneous_intervals"]

_NEEDED = ("model_a", "model_b", "mean_difference", "ci_low", "ci_high", "pvalue_adjusted")


def plot_simultaneous_intervals(result, ax=None, *, alpha=None):
    """One horizontal interval per comparison, with a line at no difference.

    Parameters
    ----------
    result : SimultaneousResult
        Output of :func:`clfcompare.stats.simultaneous_comparisons`.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when None).
    alpha : float, optional
        Adjusted p-value below which a comparison is drawn as significant (filled marker);
        default ``1 - result.confidence_level``, so a filled marker is an interval that
        excludes 0.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt  # lazily: `import clfcompare` loads no matplotlib

    table = getattr(result, "table", None)
    level = getattr(result, "confidence_level", None)
    if table is None or level is None or any(c not in table.columns for c in _NEEDED):
        raise TypeError(
            "result must be a SimultaneousResult (a .table with columns "
            f"{list(_NEEDED)} and a .confidence_level), got {type(result).__name__}"
        )
    if alpha is None:
        alpha = 1.0 - float(level)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(table) + 1.4))
    n = len(table)
    ys = list(range(n))[::-1]  # first comparison at the top
    means = table["mean_difference"].to_numpy(float)
    low = table["ci_low"].to_numpy(float)
    high = table["ci_high"].to_numpy(float)
    significant = table["pvalue_adjusted"].to_numpy(float) < alpha
    for y, m, lo, hi, sig in zip(ys, means, low, high, significant, strict=True):
        color = "C3" if sig else "C0"
        ax.plot([lo, hi], [y, y], color=color, lw=2, solid_capstyle="butt")
        ax.plot([m], [y], "o", color=color, mfc=color if sig else "white", ms=6)
    ax.axvline(0.0, color="0.4", lw=1, ls="--")
    ax.set_yticks(ys)
    pairs = zip(table["model_a"], table["model_b"], strict=True)
    ax.set_yticklabels([f"{a} − {b}" for a, b in pairs])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("mean difference (A − B)")
    parts = [f"simultaneous {100 * float(level):g}% intervals"]
    family = getattr(result, "family", None)
    if family == "baseline":
        parts.append(f"vs {getattr(result, 'baseline', 'baseline')}")
    variance = getattr(result, "variance", None)
    if variance:
        parts.append(f"{variance} variance")
    crit = getattr(result, "critical_value", None)
    if crit is not None:
        parts.append(f"critical value {float(crit):.3g}")
    ax.set_title(", ".join(parts), fontsize=10)
    return ax
