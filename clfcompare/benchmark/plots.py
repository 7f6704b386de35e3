r"""Figures of a comparison across data sets: CD diagram, p-value heat map, wins, posteriors.

Every function draws what :func:`clfcompare.benchmark.analyse_benchmark` computed (a
:class:`~clfcompare.benchmark.BenchmarkComparison`) and runs no test; single-panel figures
take ``ax=None`` and return the Axes, multi-panel ones return the Figure.

* :func:`plot_critical_difference` — average ranks on an axis (1 = best), each model's label
  on the side nearer its rank (best half left, the rest right), thick bars joining the groups
  of models the test actually run did not tell apart (its ``cliques``), and the critical
  difference bar only when the test has one (Nemenyi's, Bonferroni-Dunn's against a control).
  It still draws a plain Friedman result (average ranks and Nemenyi's CD, cliques from
  :func:`cd_cliques`), as it did in :mod:`clfcompare.plots`.
* :func:`plot_pvalue_heatmap` — the test's adjusted p-values, models in rank order.
* :func:`plot_win_tie_loss` — wins/ties/losses of every model against every other.
* :func:`plot_posterior_simplex` — the posterior samples of a Bayesian test with three
  outcomes (worse / practically equivalent / better) in a triangle (Benavoli et al. 2017), and
  :func:`plot_posteriors` one such triangle per pair of a comparison.

Model names and the metric are drawn as plain text (:func:`clfcompare.plots.plain_text`: a
``$`` in a name is not mathtext).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from clfcompare.plots import model_colors, plain_text

__all__ = [
    "cd_cliques",
    "plot_critical_difference",
    "plot_posterior_simplex",
    "plot_posteriors",
    "plot_pvalue_heatmap",
    "plot_win_tie_loss",
]

#: Tests whose critical difference the CD diagram draws as a bar.
_CD_TESTS = ("friedman_nemenyi", "bonferroni_dunn")

_TEST_WORDS = {
    "friedman_nemenyi": "Nemenyi",
    "holm": "rank z-tests, Holm",
    "bonferroni_dunn": "Bonferroni-Dunn",
    "wilcoxon_holm": "Wilcoxon-Holm",
}


def _check_ax(ax):
    if ax is not None and not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")


# --------------------------------------------------------------------------- CD diagram


def cd_cliques(average_ranks, critical_difference):
    """Maximal groups of models whose average ranks differ by at most the critical difference.

    Following Demšar (2006): after sorting by rank, every run of models whose first and last
    ranks differ by no more than CD is "not significantly different"; runs contained in another
    run are dropped, as are single models.

    Parameters
    ----------
    average_ranks : mapping or Series ``{model: average rank}``
    critical_difference : float
        The Nemenyi critical difference, :math:`q_\\alpha \\sqrt{k(k+1)/(6N)}`.

    Returns
    -------
    cliques : list of list of str
        Each clique in rank order; cliques in order of their best member.

    References
    ----------
    J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7, 2006.

    Examples
    --------
    >>> from clfcompare.benchmark.plots import cd_cliques
    >>> cd_cliques({"a": 1.0, "b": 1.5, "c": 3.5}, 1.0)
    [['a', 'b']]
    """
    ranks = pd.Series(dict(average_ranks), dtype=float).sort_values(kind="stable")
    cd = float(critical_difference)
    if not np.isfinite(cd) or cd < 0:
        raise ValueError(f"critical_difference must be a finite number >= 0, got {cd}")
    if ranks.isna().any():
        raise ValueError("average ranks contain NaN")
    names, r = list(ranks.index), ranks.to_numpy()
    spans = []
    for i in range(len(r)):
        j = int(np.searchsorted(r, r[i] + cd * (1 + 1e-12), side="right")) - 1
        if j > i and not any(a <= i and j <= b for a, b in spans):
            spans.append((i, j))
    return [names[a : b + 1] for a, b in spans]


def _cd_inputs(result):
    """What the CD diagram draws, from a comparison, a compare_datasets table or a Friedman
    result: ``(ranks, cd or None, cliques, subtitle parts, test, higher_is_better, control)``."""
    if isinstance(result, pd.DataFrame):
        attrs = result.attrs
        if "cliques" not in attrs or "average_ranks" not in attrs:
            raise TypeError(
                "plot_critical_difference draws a Friedman result; run the test first: "
                "clfcompare.stats.friedman_nemenyi(results.score_table(metric)), "
                "clfcompare.stats.compare_datasets(table) or "
                "clfcompare.benchmark.analyse_benchmark(table)"
            )
        ranks = pd.Series(attrs["average_ranks"], dtype=float)
        test, control = attrs.get("test"), attrs.get("control")
        higher = attrs.get("higher_is_better", True)
        cd = attrs.get("critical_difference")
        cliques = [list(c) for c in attrs["cliques"]]
        friedman = attrs.get("friedman") or {}
        n, what = attrs.get("n_datasets"), "data sets"
        pvalue = friedman.get("pvalue")
    elif hasattr(result, "cliques") and hasattr(result, "test"):  # a BenchmarkComparison
        ranks = pd.Series(result.average_ranks, dtype=float)
        test, control = result.test, result.control
        higher, cd = result.higher_is_better, result.critical_difference
        cliques = [list(c) for c in result.cliques]
        n, what = result.n_datasets, "data sets"
        pvalue = result.friedman.get("pvalue")
    else:
        if callable(getattr(result, "score_table", None)):
            raise TypeError(
                "plot_critical_difference draws a Friedman result; run the test first: "
                "clfcompare.stats.friedman_nemenyi(results.score_table(metric)), or read "
                "clfcompare.analysis.analyse(results).friedman"
            )
        ranks = getattr(result, "average_ranks", None)
        cd = getattr(result, "critical_difference", None)
        if ranks is None or cd is None:
            raise TypeError(
                "expected a FriedmanResult (with average_ranks and critical_difference), a "
                "BenchmarkComparison or a compare_datasets table, got "
                f"{type(result).__name__}"
            )
        ranks = pd.Series(dict(ranks) if not isinstance(ranks, pd.Series) else ranks, dtype=float)
        test, control, higher = "friedman_nemenyi", None, True
        cliques = None
        n, what = getattr(result, "n_blocks", None) or getattr(result, "n_splits", None), "trials"
        pvalue = getattr(result, "pvalue", None)
    ranks.index = [str(i) for i in ranks.index]
    if len(ranks) < 2:
        raise ValueError(f"a CD diagram needs at least 2 models, got {len(ranks)}")
    if ranks.isna().any():
        raise ValueError("average ranks contain NaN")
    if cd is not None:
        cd = float(cd)
    if cliques is None:
        cliques = cd_cliques(ranks, cd)
    if test not in _CD_TESTS:
        cd = None
    sub = []
    if n:
        sub.append(f"N = {n} {what}")
    if pvalue is not None:
        sub.append(f"Friedman p = {float(pvalue):.2g}")
    if test is not None and cliques is not None and what == "data sets":
        sub.append(f"bars: {_TEST_WORDS.get(test, test)}")
    return ranks, cd, cliques, sub, test, bool(higher), control


def plot_critical_difference(result, *, ax=None, colors=None, metric=None):
    """Critical-difference diagram: average ranks, and bars joining models not told apart.

    The axis shows each model's average rank (1 = best: the highest score, or the lowest when
    lower is better); every model is labelled on the side nearer its rank, best half left.
    Thick horizontal bars join the groups of models the test did not find different (the
    test's own cliques: Nemenyi's CD for :func:`~clfcompare.stats.friedman_nemenyi`, the
    adjusted p-values of Holm's or Wilcoxon's tests, or the control and the models not
    different from it). The CD bar at the top is drawn only for the tests that have one,

    .. math:: CD = q_\\alpha \\sqrt{\\frac{k (k + 1)}{6 N}}

    (Nemenyi; Bonferroni-Dunn against a control with its own :math:`q_\\alpha`, the interval
    shaded around the control's rank).

    Parameters
    ----------
    result : BenchmarkComparison, DataFrame or FriedmanResult
        :func:`clfcompare.benchmark.analyse_benchmark`'s comparison,
        :func:`clfcompare.stats.compare_datasets`' table (its ``attrs``), or a Friedman result
        (``average_ranks``, ``critical_difference``, optionally ``n_blocks`` and ``pvalue``;
        cliques from :func:`cd_cliques`). The figure runs no test.
    ax : matplotlib Axes, default=None
    colors : dict, default=None
        Model colours (default :func:`clfcompare.plots.model_colors` over the models in the
        order given).
    metric : str, optional
        The score's name, for the title (default: the comparison's).

    Returns
    -------
    ax : matplotlib Axes

    References
    ----------
    J. Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7, 2006.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from clfcompare.benchmark.plots import plot_critical_difference
    >>> res = SimpleNamespace(average_ranks={"a": 1.2, "b": 1.9, "c": 2.9},
    ...                       critical_difference=0.8)
    >>> ax = plot_critical_difference(res)
    >>> len(ax.lines) > 0
    True
    """
    _check_ax(ax)
    ranks, cd, cliques, sub, test, higher, control = _cd_inputs(result)
    if metric is None:
        metric = getattr(result, "metric", None)
    order = ranks.sort_values(kind="stable")
    k = len(order)
    if colors is None:
        colors = model_colors(list(ranks.index))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 1.6 + 0.32 * k), layout="constrained")

    lo, hi = 1, k
    n_left = (k + 1) // 2
    y_axis = 0.0
    # rank axis with ticks (rank 1 = best on the left); with many models only some ranks
    # are numbered (1, 3, 5, ... or 1, 5, 10, ...: at most about 20), so they stay apart
    ax.plot([lo, hi], [y_axis, y_axis], color="black", lw=1.2)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**9) if k / s <= 20)
    for t in range(lo, hi + 1):
        ax.plot([t, t], [y_axis, y_axis + 0.12], color="black", lw=1.0)
        if (t - 1) % step == 0 if step <= 2 else (t == lo or t % step == 0):
            ax.text(t, y_axis + 0.18, str(t), ha="center", va="bottom", fontsize=9)
    if cd is not None:
        label = "CD" if test == "friedman_nemenyi" else "CD (Bonferroni-Dunn)"
        ax.plot([lo, lo + cd], [0.75, 0.75], color="black", lw=2.0)
        for x in (lo, lo + cd):
            ax.plot([x, x], [0.68, 0.82], color="black", lw=1.0)
        ax.text(lo + cd / 2, 0.86, f"{label} = {cd:.2f}", ha="center", va="bottom", fontsize=9)
        if control is not None and control in order.index:
            rc = float(order[control])
            ax.fill_between(
                [max(lo, rc - cd), min(hi, rc + cd)], -0.05, 0.05, color="0.8", zorder=0
            )

    # model labels: best half to the left, the rest to the right
    for i, (m, r) in enumerate(order.items()):
        left = i < n_left
        depth = -(0.45 + 0.32 * (i if left else k - 1 - i))
        x_text = lo - 0.35 if left else hi + 0.35
        col = colors.get(m, "black")
        ax.plot([r, r, x_text], [y_axis, depth, depth], color=col, lw=1.4)
        ax.plot([r], [y_axis], marker="o", color=col, ms=5)
        ax.text(
            x_text + (-0.05 if left else 0.05),
            depth,
            plain_text(f"{m} ({r:.2f})"),
            ha="right" if left else "left",
            va="center",
            fontsize=9,
            color=col,
            fontweight="bold" if m == control else "normal",
        )
    # cliques: thick bars just below the axis
    drawn = [c for c in cliques if len(c) > 1]
    for j, clique in enumerate(drawn):
        members = [m for m in clique if m in order.index]
        r0 = min(order[m] for m in members)
        r1 = max(order[m] for m in members)
        yy = -0.18 - 0.1 * j
        ax.plot([r0 - 0.03, r1 + 0.03], [yy, yy], color="black", lw=4, solid_capstyle="round")

    depth_max = 0.45 + 0.32 * max(n_left - 1, k - 1 - n_left)
    depth_max = max(depth_max, 0.18 + 0.1 * len(drawn))
    ax.set_xlim(lo - 0.35 - 0.25 * k, hi + 0.35 + 0.25 * k)
    ax.set_ylim(-(depth_max + 0.3), 1.15)
    ax.set_axis_off()
    best = (
        "best"
        if metric is None
        else f"best: {'highest' if higher else 'lowest'} {plain_text(metric)}"
    )
    ax.set_title(
        f"Average rank (1 = {best}); bars join models not significantly different"
        + (f"\n({', '.join(sub)})" if sub else ""),
        fontsize=10,
    )
    return ax


# --------------------------------------------------------------------------- matrices


def _comparison(comparison, what):
    needed = ("pvalues", "wins", "ties", "average_ranks")
    if not all(hasattr(comparison, a) for a in needed):
        raise TypeError(
            f"{what} draws a BenchmarkComparison (clfcompare.benchmark.analyse_benchmark), got "
            f"{type(comparison).__name__}"
        )
    order = [str(m) for m in pd.Series(comparison.average_ranks).sort_values(kind="stable").index]
    return order


def _matrix_axes(ax, k):
    _check_ax(ax)
    if ax is None:
        size = 1.6 + 0.55 * k
        _, ax = plt.subplots(figsize=(size + 1.2, size), layout="constrained")
    return ax


def _label_matrix(ax, order, title):
    k = len(order)
    shown = [plain_text(m) for m in order]
    ax.set_xticks(range(k), shown, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k), shown)
    ax.set_title(title, fontsize=10)


def plot_pvalue_heatmap(comparison, *, ax=None, annotate=True):
    """Heat map of the test's adjusted p-values, models in average-rank order.

    Cells with ``p < alpha`` are framed and their p-value bold; pairs the test did not compare
    (every pair not involving the control) are grey and empty.

    Parameters
    ----------
    comparison : BenchmarkComparison
    ax : matplotlib Axes, default=None
    annotate : bool, default=True
        Write the p-values in the cells.

    Returns
    -------
    ax : matplotlib Axes
    """
    order = _comparison(comparison, "plot_pvalue_heatmap")
    p = comparison.pvalues.reindex(index=order, columns=order).to_numpy(dtype=float)
    k = len(order)
    ax = _matrix_axes(ax, k)
    shown = np.ma.masked_invalid(p)
    cmap = plt.get_cmap("viridis_r").with_extremes(bad="0.9")
    image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=1.0)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="adjusted p-value")
    alpha = float(getattr(comparison, "alpha", 0.05))
    for i in range(k):
        for j in range(k):
            if not np.isfinite(p[i, j]):
                continue
            significant = p[i, j] < alpha
            if significant:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
            if annotate:
                text = f"{p[i, j]:.3f}" if p[i, j] >= 0.001 else f"{p[i, j]:.0e}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="black" if p[i, j] < 0.5 else "white",
                    fontweight="bold" if significant else "normal",
                )
    test = getattr(comparison, "test", None)
    _label_matrix(
        ax,
        order,
        f"Adjusted p-values ({_TEST_WORDS.get(test, test)}); framed: p < {alpha:g}",
    )
    return ax


def plot_win_tie_loss(comparison, *, ax=None):
    """Wins/ties/losses of every model (rows) against every other (columns), in rank order.

    Each cell reads ``wins/ties/losses`` of the row model over the data sets; its colour is
    ``(wins - losses) / N`` (green: the row model wins more often).

    Parameters
    ----------
    comparison : BenchmarkComparison
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    order = _comparison(comparison, "plot_win_tie_loss")
    wins = comparison.wins.reindex(index=order, columns=order).to_numpy(dtype=float)
    ties = comparison.ties.reindex(index=order, columns=order).to_numpy(dtype=float)
    k = len(order)
    n = int(getattr(comparison, "n_datasets", 0)) or int(np.max(wins + ties + wins.T, initial=1))
    balance = (wins - wins.T) / max(n, 1)
    np.fill_diagonal(balance, np.nan)
    ax = _matrix_axes(ax, k)
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="white")
    image = ax.imshow(np.ma.masked_invalid(balance), cmap=cmap, vmin=-1, vmax=1)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="(wins - losses) / data sets")
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            ax.text(
                j,
                i,
                f"{int(wins[i, j])}/{int(ties[i, j])}/{int(wins[j, i])}",
                ha="center",
                va="center",
                fontsize=8,
            )
    _label_matrix(ax, order, f"Wins/ties/losses of the row model over {n} data sets")
    return ax


# --------------------------------------------------------------------------- posteriors

#: Corners of the simplex: worse (left), equivalent (top), better (right).
_CORNERS = np.array([[0.0, 0.0], [0.5, math.sqrt(3) / 2], [1.0, 0.0]])


def _posterior_samples(posterior):
    samples = getattr(posterior, "posterior", posterior)
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2 or samples.shape[1] != 3 or samples.shape[0] < 1:
        raise ValueError(
            "the posterior must be samples shaped (n, 3): the probabilities of worse, "
            f"equivalent, better; got shape {samples.shape}"
        )
    if not np.all(np.isfinite(samples)):
        raise ValueError("the posterior samples contain NaN or infinite values")
    if np.any(samples < -1e-9) or not np.allclose(samples.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("every posterior sample must be 3 probabilities summing to 1")
    return samples


def plot_posterior_simplex(
    posterior,
    *,
    ax=None,
    names=("A", "B"),
    max_points=5000,
    random_state=0,
    color="tab:blue",
):
    """Posterior samples of a three-outcome Bayesian test in a triangle (Benavoli et al. 2017).

    Each sample :math:`(\\theta_{worse}, \\theta_{equiv}, \\theta_{better})` is drawn at its
    barycentric position: near the left corner when A is probably worse than B, the top when
    they are practically equivalent, the right when A is better. Thin lines from the centre
    split the triangle into the three regions where each outcome is the most probable; the
    corners are labelled with the fraction of samples in that region.

    Parameters
    ----------
    posterior : SampledBayesianResult or array-like of shape (n, 3)
        E.g. :func:`clfcompare.stats.bayesian_signed_rank`'s result (its ``posterior``).
    ax : matplotlib Axes, default=None
    names : (str, str), default=("A", "B")
        The two models, for the corner labels.
    max_points : int, default=5000
        Draw at most this many samples (a seeded random subset; the fractions use all).
    random_state : int, default=0
    color : matplotlib colour

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.benchmark.plots import plot_posterior_simplex
    >>> samples = np.random.default_rng(0).dirichlet([2, 1, 5], size=200)
    >>> ax = plot_posterior_simplex(samples, names=("svc", "tree"))
    >>> len(ax.collections)
    1
    """
    _check_ax(ax)
    samples = _posterior_samples(posterior)
    a, b = (plain_text(n) for n in names)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.0), layout="constrained")
    winners = np.bincount(np.argmax(samples, axis=1), minlength=3) / len(samples)
    shown = samples
    if len(samples) > max_points:
        pick = np.random.default_rng(random_state).choice(len(samples), max_points, replace=False)
        shown = samples[np.sort(pick)]
    xy = shown @ _CORNERS
    ax.scatter(xy[:, 0], xy[:, 1], s=3, alpha=0.25, color=color, linewidths=0, rasterized=True)
    tri = np.vstack([_CORNERS, _CORNERS[:1]])
    ax.plot(tri[:, 0], tri[:, 1], color="black", lw=1.0)
    centre = _CORNERS.mean(axis=0)
    for i, j in ((0, 1), (1, 2), (0, 2)):
        mid = (_CORNERS[i] + _CORNERS[j]) / 2
        ax.plot([centre[0], mid[0]], [centre[1], mid[1]], color="0.4", lw=0.8, ls="--")
    labels = (
        f"{a} worse\n{winners[0]:.3f}",
        f"equivalent\n{winners[1]:.3f}",
        f"{a} better\n{winners[2]:.3f}",
    )
    places = ((0.0, -0.05, "center", "top"), (0.5, math.sqrt(3) / 2 + 0.04, "center", "bottom"),
              (1.0, -0.05, "center", "top"))  # fmt: skip
    for text, (x, y, ha, va) in zip(labels, places, strict=True):
        ax.text(x, y, text, ha=ha, va=va, fontsize=8)
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.3, math.sqrt(3) / 2 + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"{a} vs {b}", fontsize=10)
    return ax


def plot_posteriors(comparison, *, ncols=3, max_points=3000):
    """One posterior simplex per pair of a comparison's Bayesian signed-rank tests.

    Parameters
    ----------
    comparison : BenchmarkComparison
        With ``posteriors`` (computed when :func:`~clfcompare.benchmark.analyse_benchmark`
        had a ``rope``).
    ncols : int, default=3
    max_points : int, default=3000

    Returns
    -------
    fig : matplotlib Figure
    """
    posteriors = getattr(comparison, "posteriors", None)
    if not posteriors:
        raise ValueError(
            "the comparison has no posteriors; analyse_benchmark(..., rope=0.01) computes them"
        )
    pairs = list(posteriors)
    ncols = max(1, min(int(ncols), len(pairs)))
    nrows = math.ceil(len(pairs) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.6 * ncols, 3.5 * nrows), layout="constrained", squeeze=False
    )
    colors = model_colors([str(m) for m in comparison.table.columns])
    for ax, (a, b) in zip(axes.flat, pairs, strict=False):
        plot_posterior_simplex(
            posteriors[(a, b)], ax=ax, names=(a, b), max_points=max_points,
            color=colors.get(a, "tab:blue"),
        )  # fmt: skip
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_axis_off()
    rope = getattr(comparison, "rope", None)
    fig.suptitle(
        "Bayesian signed-rank test: posterior of (worse, equivalent, better)"
        + (f", rope = {rope:g}" if rope is not None else ""),
        fontsize=10,
    )
    return fig
