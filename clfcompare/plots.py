"""Figures for a classifier comparison: data, loss curves, decision regions, scores, intervals,
reliability.

Every function draws with matplotlib and returns what it drew on; none calls ``plt.show()``.

* Single-panel figures (:func:`plot_curve_data`, :func:`plot_scores_box`,
  :func:`plot_simultaneous_intervals`, :func:`plot_critical_difference`) take ``ax=None`` and
  return the :class:`~matplotlib.axes.Axes` (a new figure is created when ``ax`` is None; reach
  it with ``ax.figure``).
* Multi-panel figures (:func:`plot_loss_curves`, :func:`plot_decision_regions`) return the
  :class:`~matplotlib.figure.Figure` they create, one panel per model, or the Axes they were given.

Colours are consistent across figures: :func:`model_colors` gives each model the same colour in
every figure of a study (the box plot, the loss curves), and :func:`class_colors` gives the
classes the seed's green and red, extended for more classes.

The figures read results and comparisons and never run a test: the simultaneous intervals draw
the :class:`~clfcompare.stats.SimultaneousResult` that :func:`clfcompare.analysis.analyse`
computed (several models on one data set). The critical-difference diagram draws a Friedman
result; it belongs to comparisons across data sets (a rank test needs independent rows, and
the splits of one data set are not), so a single-data-set study does not draw it.

Why one module of about 1,050 lines: it is the one place of the study's figures, which share the
palette (:func:`model_colors`, :func:`class_colors`), the input checks of results and score tables
and the axes conventions above; each figure is one function of 50-150 lines (most of it
matplotlib layout: the loss curves' runs of different lengths and log axis, the decision
regions' grid, the CD diagram's label placement, the reliability diagram's two panels). Split
it by figure if it grows further.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, MaxNLocator
from sklearn.utils.validation import check_is_fitted

from clfcompare._checks import check_int, check_names
from clfcompare.analysis import check_references, has_halves, main_scores
from clfcompare.datasets import true_curve

__all__ = [
    "plain_text",
    "class_colors",
    "model_colors",
    "plot_curve_data",
    "plot_loss_curves",
    "plot_decision_regions",
    "plot_scores_box",
    "plot_simultaneous_intervals",
    "plot_reliability",
    "plot_critical_difference",  # noqa: F822 (clfcompare.benchmark.plots, see __getattr__)
    "cd_cliques",  # noqa: F822
]

# The seed colours class 0 green and class 1 red; further classes get other distinct colours.
_CLASS_BASE = [
    "tab:green",
    "tab:red",
    "tab:blue",
    "tab:orange",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
    "tab:gray",
]


def class_colors(n_classes):
    """Colours for ``n_classes`` classes: the seed's green and red first.

    Parameters
    ----------
    n_classes : int
        Number of classes, at least 1.

    Returns
    -------
    colors : list of str
        Hex colours, one per class, all distinct.

    Examples
    --------
    >>> from clfcompare.plots import class_colors
    >>> class_colors(2)
    ['#2ca02c', '#d62728']
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    if n_classes <= len(_CLASS_BASE):
        return [to_hex(c) for c in _CLASS_BASE[:n_classes]]
    cmap = plt.get_cmap("gist_ncar")
    return [to_hex(cmap(v)) for v in np.linspace(0.05, 0.95, n_classes)]


def plain_text(text):
    """``text`` for a matplotlib label, title or annotation, drawn as written (no mathtext).

    Matplotlib parses a string with an even number of unescaped ``$`` as mathtext: a model,
    class or column name such as ``"cost $k$"`` would be typeset as math, and one that is not
    valid mathtext (``"$\\foo$"``) makes the figure fail when it is drawn. Every ``$`` is
    escaped as ``\\$``, which matplotlib draws as a plain dollar sign. Every user-supplied
    string the figures of :mod:`clfcompare.plots` and :mod:`clfcompare.benchmark.plots` draw
    (model, class, data set and reference names, the metric, titles) goes through it. A
    carriage return or a tab becomes a line break or a space, and bidi formatting and other
    control characters are shown as ``[U+XXXX]``, as in the reports
    (:func:`clfcompare.report.escape.visible`; matplotlib has no glyph for them). (With
    ``text.usetex`` on, LaTeX typesets every label and this is not enough.)

    Examples
    --------
    >>> print(plain_text("gain in $"))
    gain in \\$
    """
    from clfcompare.report.escape import visible

    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return visible(text).replace("$", "\\$")


def model_colors(models):
    """One colour per model, in the order given; the same order gives the same colours.

    Use the same ``models`` order (e.g. ``results.models``) for every figure of a study and
    each model keeps its colour across figures.

    Parameters
    ----------
    models : sequence of str
        Model names, unique.

    Returns
    -------
    colors : dict
        ``{name: hex colour}``.

    Examples
    --------
    >>> from clfcompare.plots import model_colors
    >>> model_colors(["mlp_mse", "mlp_ce"])
    {'mlp_mse': '#1f77b4', 'mlp_ce': '#ff7f0e'}
    """
    models = check_names(models, "models")
    n = len(models)
    if n <= 10:
        palette = [plt.get_cmap("tab10")(i) for i in range(n)]
    elif n <= 20:
        palette = [plt.get_cmap("tab20")(i) for i in range(n)]
    else:
        palette = [plt.get_cmap("turbo")(v) for v in np.linspace(0.05, 0.95, n)]
    return {m: to_hex(c) for m, c in zip(models, palette, strict=True)}


# --------------------------------------------------------------------------- validation


def _check_xy(X, y, *, n_features=2):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X must have shape (n_samples, {n_features}) for a 2-D plot, got shape {X.shape}"
        )
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    X = X.astype(float)
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError("X and y are empty")
    return X, y


def _axis_labels(feature_names, default):
    """The x and y axis labels of a 2-D figure: ``feature_names`` (two names) as plain text
    (:func:`plain_text`), or ``default`` (mathtext of the figure's own) when None."""
    if feature_names is None:
        return default
    names = check_names(feature_names, "feature_names", n=2, of="features")
    return plain_text(names[0]), plain_text(names[1])


def _check_ax(ax):
    if ax is not None and not isinstance(ax, plt.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")


def _check_quantiles(values, n, name):
    """``values`` as a list of ``n`` non-decreasing floats in [0, 1], or raise."""
    try:
        q = [float(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {n} numbers in [0, 1], got {values!r}") from None
    if len(q) != n or not all(0 <= a <= b <= 1 for a, b in zip(q, q[1:] + [1.0], strict=True)):
        raise ValueError(f"{name} must be {n} increasing numbers in [0, 1], got {values!r}")
    return q


def _frame(results, attr, columns):
    """The DataFrame ``results.<attr>`` (or ``results`` itself if it is a DataFrame), checked."""
    if isinstance(results, pd.DataFrame):
        df = results
    elif hasattr(results, attr):
        df = getattr(results, attr)
    else:
        raise TypeError(
            f"expected a TrialResults (with .{attr}) or a DataFrame, got {type(results).__name__}"
        )
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"results.{attr} must be a DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0:
        return pd.DataFrame({c: [] for c in columns})
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"results.{attr} lacks the column(s) {missing}; has {list(df.columns)}")
    return df


def _model_order(results, df, models):
    """Models to draw: ``models`` if given, else ``results.models``, else order of appearance."""
    present = list(pd.unique(df["model"].astype(str)))
    if models is None:
        order = getattr(results, "models", None)
        order = [str(m) for m in order] if order is not None else present
        order = [m for m in order if m in present]
        if not order:
            raise ValueError("results contain no models to plot")
        return order
    models = check_names(models, "models")
    unknown = [m for m in models if m not in present]
    if unknown:
        raise ValueError(f"model(s) {unknown} not in results; available: {present}")
    return models


def _palette_for(results, models):
    """Colours keyed by the study's full model list, so subsets keep their colours."""
    full = getattr(results, "models", None)
    if full is not None and all(m in [str(f) for f in full] for m in models):
        return model_colors([str(f) for f in full])
    return model_colors(models)


# --------------------------------------------------------------------------- curve data


def plot_curve_data(X, y, *, ax=None, show_curve=True, title=None, feature_names=None):
    """Scatter the curve data by class, with the true curve they were drawn around.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        Points ``(x1, x2)``, e.g. from :func:`clfcompare.datasets.load_curve`.
    y : array-like of shape (n_samples,)
        Class labels.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    show_curve : bool, default=True
        Draw the curve :math:`y = 3x^3 + 2x^2 + 5x` (normalised) as a black line.
    title : str, default=None
        Defaults to ``"Curve data: K classes, N points"``; drawn as plain text
        (:func:`plain_text`), as are the class labels.
    feature_names : sequence of 2 str, default=None
        The axis labels, drawn as plain text (:func:`plain_text`): the names of the
        columns of other data (``("feature 1", "feature 2")`` for unnamed ones). None: the
        curve data's :math:`x_1` (normalised) and :math:`x_2`.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from clfcompare.datasets import load_curve
    >>> from clfcompare.plots import plot_curve_data
    >>> X, y = load_curve(4)
    >>> ax = plot_curve_data(X, y)
    >>> len(ax.collections)  # one scatter per class
    4
    """
    X, y = _check_xy(X, y)
    _check_ax(ax)
    xlabel, ylabel = _axis_labels(feature_names, ("$x_1$ (normalised)", "$x_2$"))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.8, 4.8), layout="constrained")
    classes = np.unique(y)
    colors = class_colors(len(classes))
    for c, col in zip(classes, colors, strict=True):
        sel = y == c
        ax.scatter(
            X[sel, 0], X[sel, 1], s=14, color=col, alpha=0.8, label=plain_text(f"class {c}")
        )
    if show_curve:
        cx, cy = true_curve()
        ax.plot(cx, cy, color="black", lw=1.2, label="curve $3x^3+2x^2+5x$ (normalised)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(
        plain_text(title) if title else f"Curve data: {len(classes)} classes, {len(y)} points"
    )
    # beside the axes: inside, it hides points of the top band
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


# --------------------------------------------------------------------------- loss curves


def loss_curve_summary(loss_curves, *, quantiles=(0.25, 0.5, 0.75)):
    """Per-model, per-epoch quantiles of the training loss across trials.

    Parameters
    ----------
    loss_curves : DataFrame
        Columns ``model``, ``split``, ``epoch``, ``loss`` (``TrialResults.loss_curves``).
    quantiles : tuple of 3 floats, default=(0.25, 0.5, 0.75)
        Lower band edge, centre line, upper band edge.

    Returns
    -------
    summary : DataFrame
        Columns ``model``, ``epoch``, ``low``, ``median``, ``high``, ``n_trials``.
    """
    df = _frame(loss_curves, "loss_curves", ("model", "split", "epoch", "loss"))
    if df.empty:
        raise ValueError("results have no loss curves (no iterative model was run)")
    q = _check_quantiles(quantiles, 3, "quantiles")
    loss = pd.to_numeric(df["loss"], errors="coerce")
    if loss.isna().any() or not np.all(np.isfinite(loss.to_numpy())):
        raise ValueError("loss_curves contain NaN or infinite losses")
    grouped = df.assign(loss=loss).groupby(["model", "epoch"], sort=True)["loss"]
    out = grouped.quantile(q).unstack()
    out.columns = ["low", "median", "high"]
    out["n_trials"] = grouped.size()
    return out.reset_index()


def plot_loss_curves(
    results, models=None, *, ax=None, normalize=None, log_scale=True, band=(0.25, 0.75)
):
    """Training loss per epoch: the median across trials and an inter-quantile band.

    When runs stop at different epochs (convergence, early stopping), the median and its band
    are solid up to the epoch where the first run stops (every run counts); after it a dashed
    line is the median of the runs still training, drawn while at least half of them are, and
    the legend says how many runs each part holds.
    MSE and cross-entropy losses live on different scales (for K one-hot classes the MSE starts
    near :math:`1/K`, the cross-entropy near :math:`\\ln K`), so by default each model gets its
    own panel with its own y-axis (log scale), which keeps both readable. Passing a single
    ``ax`` overlays all models on it; then each curve is divided by its own median first-epoch
    loss (``normalize=True``), so all start at 1 and their *relative* decrease is compared.

    Parameters
    ----------
    results : TrialResults or DataFrame
        Anything with a ``loss_curves`` DataFrame (columns ``model, split, epoch, loss``), or
        that DataFrame itself. Trials run with half/half partitions
        (``results.design["kind"] == "halves"``) draw the main CV's splits only
        (:func:`clfcompare.analysis.main_scores`).
    models : sequence of str, default=None
        Models to draw; default all models that have loss curves, in ``results.models`` order.
    ax : matplotlib Axes, default=None
        None: a new figure with one panel per model. An Axes: overlay all models on it.
    normalize : bool, default=None
        Divide each model's curves by its median first-epoch loss. Default: False for panels,
        True for an overlay of more than one model.
    log_scale : bool, default=True
        Logarithmic loss axis.
    band : tuple of (float, float), default=(0.25, 0.75)
        Quantiles bounding the shaded band (the interquartile range by default).

    Returns
    -------
    fig_or_ax : matplotlib Figure (panels) or the given Axes (overlay)

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.plots import plot_loss_curves
    >>> lc = pd.DataFrame({"model": ["a"] * 6, "split": [0, 0, 0, 1, 1, 1],
    ...                    "epoch": [1, 2, 3] * 2, "loss": [1.0, 0.5, 0.3, 1.2, 0.6, 0.2]})
    >>> fig = plot_loss_curves(lc)
    >>> len(fig.axes)
    1
    """
    _check_ax(ax)
    df = _frame(results, "loss_curves", ("model", "split", "epoch", "loss"))
    if not isinstance(results, pd.DataFrame) and has_halves(results) and not df.empty:
        df = df[df["split"].isin(set(main_scores(results)["split"]))]
    if df.empty:
        raise ValueError("results have no loss curves (no iterative model was run)")
    models = _model_order(results, df, models)
    lo, hi = _check_quantiles(band, 2, "band")
    summary = loss_curve_summary(df[df["model"].astype(str).isin(models)], quantiles=(lo, 0.5, hi))
    summary["model"] = summary["model"].astype(str)
    colors = _palette_for(results, models)
    overlay = ax is not None
    if normalize is None:
        normalize = overlay and len(models) > 1

    if overlay:
        axes = [ax] * len(models)
        fig = None
    else:
        ncols = min(len(models), 3)
        nrows = -(-len(models) // ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(max(4.6 * ncols, 6.0), 3.6 * nrows),
            squeeze=False,
            layout="constrained",
        )
        axes = list(grid.ravel())
        for extra in axes[len(models) :]:
            extra.remove()

    pct = f"{lo:.0%}–{hi:.0%}"
    ylabel = "training loss / first-epoch loss" if normalize else "training loss"
    ylabel += " (log scale)" if log_scale else ""
    for m, a in zip(models, axes, strict=True):
        s = summary[summary["model"] == m].sort_values("epoch")
        # trials that stop early (convergence, early stopping) leave the later epochs to a
        # few: draw only the epochs that at least half of the trials reached
        s = s[s["n_trials"] * 2 >= s["n_trials"].max()]
        scale = 1.0
        if normalize:
            scale = float(s["median"].iloc[0])
            if not scale > 0:
                raise ValueError(f"cannot normalise model {m!r}: its first-epoch loss is {scale}")
        n_trials = int(s["n_trials"].max())
        # once the first run has stopped, the median is that of the runs still training (the
        # slow ones), not of all: solid with its band while every run counts, dashed after
        full = s[s["n_trials"] == n_trials]
        tail = s[s["epoch"] >= full["epoch"].max()]
        a.fill_between(
            full["epoch"],
            full["low"] / scale,
            full["high"] / scale,
            color=colors[m],
            alpha=0.25,
            lw=0,
        )
        a.plot(
            full["epoch"],
            full["median"] / scale,
            color=colors[m],
            lw=1.6,
            label=f"{plain_text(m)} (median of {n_trials} runs, {pct} band)"
            if len(tail) < 2
            else f"{plain_text(m)} (median of all {n_trials} runs, {pct} band,\nto epoch "
            f"{int(full['epoch'].max())}, when the first run stops)",
        )
        if len(tail) >= 2:
            a.plot(
                tail["epoch"],
                tail["median"] / scale,
                color=colors[m],
                lw=1.0,
                ls="--",
                label=f"median of the runs still training\n({int(tail['n_trials'].iloc[1])} "
                f"down to {int(tail['n_trials'].min())} of {n_trials}; not drawn below half)",
            )
        if log_scale:
            a.set_yscale("log")
            _plain_log_labels(a.yaxis)
        # epochs are whole numbers; round steps (1, 2, 5, 10, 100 ...) as the default locator
        a.xaxis.set_major_locator(
            MaxNLocator(nbins="auto", integer=True, steps=[1, 2, 2.5, 5, 10])
        )  # "auto": as many ticks as the panel's width holds (2000 epochs overlapped)
        a.set_xlabel("epoch")
        if not overlay:
            a.set_title(plain_text(m))
            a.set_ylabel(ylabel)
            a.legend(fontsize="small", frameon=False)
    if overlay:
        ax.set_ylabel(ylabel)
        ax.set_title("Training loss per epoch")
        ax.legend(fontsize="small", frameon=False)
        return ax
    fig.suptitle("Training loss per epoch across trials")
    return fig


#: Below this many decades a log axis's minor ticks are round linear steps, all labelled.
_NARROW_DECADES = 0.5


class _NarrowLogMinorLocator(Locator):
    """Minor ticks of a log axis: matplotlib's, or round linear steps over a narrow view.

    A view of under half a decade that contains a power of ten (a cross-entropy falling from
    :math:`\\ln 4 \\approx 1.39` to 0.9) has log minor ticks on one side of it only (0.9), so
    most of the axis went unlabelled; 1.0, 1.1, ..., 1.4 label it evenly.
    """

    def __init__(self, default):
        self._default = default

    def set_axis(self, axis):
        super().set_axis(axis)
        self._default.set_axis(axis)

    def __call__(self):
        vmin, vmax = sorted(self.axis.get_view_interval())
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        if vmin > 0 and np.log10(vmax / vmin) < _NARROW_DECADES:
            ticks = MaxNLocator(nbins=10, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)
            ticks = ticks[ticks > 0]
            exponent = np.log10(ticks)
            return ticks[np.abs(exponent - np.round(exponent)) > 1e-9]  # decades are major
        return self._default.tick_values(vmin, vmax)


def _plain_log_labels(axis):
    """Label a log axis with plain numbers (0.2, 0.5, 1) instead of :math:`2 \\times 10^{-1}`.

    Decades get labels always; within a span of less than about one decade (a loss that falls
    from 0.22 to 0.09) the minor ticks carry the labels a reader needs: 2 and 5 of each decade,
    or, when the span is under half a decade, round linear steps (1.0, 1.1, ..., 1.4), each
    labelled with as many digits as tell neighbours apart (a loss flat at 1.3860 ... 1.3863).
    Decided at draw time, so later limits are honoured.
    """

    def view():
        return sorted(axis.get_view_interval())

    def span():
        lo, hi = view()
        return np.log10(hi / lo) if lo > 0 else np.inf

    def major(v, _pos):
        return f"{v:.3g}"

    def minor(v, _pos):
        if not v > 0:
            return ""
        decades = span()
        if decades > 1.2:
            return ""
        if decades < _NARROW_DECADES:
            lo, hi = view()
            # significant digits down to a tenth of the view: neighbouring ticks differ
            digits = max(3, int(np.ceil(np.log10(v / ((hi - lo) / 10)))) + 1)
            return f"{v:.{digits}g}"
        lead = round(v / 10 ** np.floor(np.log10(v) + 1e-9))
        return f"{v:.3g}" if lead in (2, 5) else ""

    axis.set_minor_locator(_NarrowLogMinorLocator(axis.get_minor_locator()))
    axis.set_major_formatter(FuncFormatter(major))
    axis.set_minor_formatter(FuncFormatter(minor))


# --------------------------------------------------------------------------- decision regions


def _as_named_estimators(estimators):
    if isinstance(estimators, Mapping):
        items = [(str(k), v) for k, v in estimators.items()]
    elif isinstance(estimators, Sequence) and not isinstance(estimators, str):
        items = [(type(e).__name__, e) for e in estimators]
        names = [n for n, _ in items]
        if len(set(names)) < len(names):
            items = [(f"{n} #{i + 1}", e) for i, (n, e) in enumerate(items)]
    else:
        items = [(type(estimators).__name__, estimators)]
    if not items:
        raise ValueError("no estimators given")
    for name, est in items:
        if not hasattr(est, "predict"):
            raise TypeError(f"estimator {name!r} has no predict method ({type(est).__name__})")
        check_is_fitted(est)
    return items


def plot_decision_regions(
    estimators,
    X,
    y,
    *,
    axes=None,
    resolution=200,
    class_labels=None,
    title=None,
    feature_names=None,
):
    """Test points coloured by predicted class over each model's decision regions.

    The seed's green/red scatter for K classes: the background shows the class the model
    predicts at every point of a grid, each test point is coloured by its predicted class, and
    misclassified test points are marked with a black cross.

    Parameters
    ----------
    estimators : fitted estimator, list of them, or dict ``{name: estimator}``
        Fitted classifiers on two features; one panel per estimator.
    X : array-like of shape (n_samples, 2)
        Test points.
    y : array-like of shape (n_samples,)
        Their true labels.
    axes : sequence of matplotlib Axes, default=None
        One Axes per estimator; a new figure when None.
    resolution : int, default=200
        Grid points per axis for the regions.
    class_labels : sequence, default=None
        The classes in colour order; default the first estimator's ``classes_``
        (or the sorted labels of ``y`` and the predictions).
    title : str, default=None
        Figure title (only when a figure is created), drawn as plain text (:func:`plain_text`).
    feature_names : sequence of 2 str, default=None
        The axis labels, drawn as plain text (:func:`plain_text`); None: :math:`x_1` and
        :math:`x_2`.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from clfcompare.datasets import load_curve
    >>> from clfcompare.plots import plot_decision_regions
    >>> X, y = load_curve(2)
    >>> fig = plot_decision_regions({"logistic": LogisticRegression().fit(X, y)}, X, y)
    >>> len(fig.axes)
    1
    """
    X, y = _check_xy(X, y)
    items = _as_named_estimators(estimators)
    resolution = check_int(resolution, "resolution", low=1)
    if resolution < 10:
        raise ValueError(f"resolution must be at least 10, got {resolution}")
    xlabel, ylabel = _axis_labels(feature_names, ("$x_1$", "$x_2$"))

    preds = [np.asarray(est.predict(X)) for _, est in items]
    if class_labels is None:
        first = getattr(items[0][1], "classes_", None)
        pool = np.concatenate([np.asarray(first if first is not None else [])] + [y] + preds)
        class_labels = np.unique(pool)
    class_labels = np.asarray(class_labels)
    index = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(class_labels)}

    def to_index(labels):
        try:
            return np.array([index[v.item() if hasattr(v, "item") else v] for v in labels])
        except KeyError as err:
            raise ValueError(
                f"label {err.args[0]!r} is not among class_labels {class_labels.tolist()}"
            ) from None

    k = len(class_labels)
    colors = class_colors(k)
    cmap = ListedColormap(colors)

    pad = 0.05 * np.ptp(X, axis=0)
    pad[pad == 0] = 0.5
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])

    if axes is None:
        n = len(items)
        ncols = min(n, 3)
        nrows = -(-n // ncols)
        fig, grid_axes = plt.subplots(
            nrows, ncols, figsize=(4.3 * ncols, 3.9 * nrows), squeeze=False, layout="constrained"
        )
        axes = list(grid_axes.ravel())
        for extra in axes[n:]:
            extra.remove()
        axes = axes[:n]
        created = True
    else:
        axes = list(np.ravel(axes))
        if len(axes) != len(items) or not all(isinstance(a, plt.Axes) for a in axes):
            raise ValueError(f"axes must be {len(items)} matplotlib Axes, one per estimator")
        fig = axes[0].figure
        created = False

    y_idx = to_index(y)
    for (name, est), pred, a in zip(items, preds, axes, strict=True):
        z = to_index(np.asarray(est.predict(grid))).reshape(gx.shape)
        a.contourf(gx, gy, z, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.22)
        p_idx = to_index(pred)
        a.scatter(X[:, 0], X[:, 1], c=colors_of(p_idx, colors), s=16, edgecolors="none", zorder=3)
        wrong = p_idx != y_idx
        a.scatter(
            X[wrong, 0], X[wrong, 1], marker="x", color="black", s=22, linewidths=1.0, zorder=4
        )
        acc = 1.0 - wrong.mean()
        a.set_title(f"{plain_text(name)}: accuracy {acc:.3f} ({int((~wrong).sum())}/{len(y)})")
        a.set_xlabel(xlabel)
        a.set_ylabel(ylabel)
        a.set_xlim(lo[0], hi[0])
        a.set_ylim(lo[1], hi[1])

    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=plain_text(f"predicted {lab}"))
        for c, lab in zip(colors, class_labels, strict=True)
    ]
    handles.append(Line2D([], [], marker="x", ls="", color="black", label="misclassified"))
    if created:
        fig.legend(handles=handles, loc="outside right center", frameon=False, fontsize="small")
        fig.suptitle(
            plain_text(title)
            if title
            else "Test points by predicted class over the decision regions"
        )
    else:
        axes[-1].legend(handles=handles, fontsize="small", frameon=False)
    return fig


def colors_of(indices, colors):
    """``colors[i]`` for every class index ``i`` (an array of colours for a scatter)."""
    return np.asarray(colors, dtype=object)[np.asarray(indices, dtype=int)].tolist()


# --------------------------------------------------------------------------- scores


def _score_table(results, metric):
    if isinstance(results, pd.DataFrame):
        table = results
    elif callable(getattr(results, "score_table", None)):
        table = results.score_table(metric)
    else:
        raise TypeError(
            "expected a TrialResults (with .score_table) or a score table DataFrame "
            f"(index split, one column per model), got {type(results).__name__}"
        )
    if not isinstance(table, pd.DataFrame) or table.shape[1] == 0:
        raise ValueError("the score table must be a DataFrame with one column per model")
    if table.shape[0] == 0:
        raise ValueError("the score table has no rows (no trials)")
    values = table.apply(pd.to_numeric, errors="coerce")
    if values.isna().to_numpy().any():
        raise ValueError(f"the {metric!r} score table has missing or non-numeric scores")
    infinite = [str(c) for c in values.columns if not np.isfinite(values[c].to_numpy()).all()]
    if infinite:
        raise ValueError(f"the {metric!r} score table has infinite scores (model(s) {infinite})")
    values.columns = [str(c) for c in values.columns]
    return values


def plot_scores_box(
    results, metric="accuracy", *, models=None, ax=None, random_state=0, references=None
):
    """Box plot of a test score per model over all trials, with every trial shown.

    Each box spans the quartiles with whiskers to 1.5 IQR; the white diamond is the mean; each
    trial's score is a jittered dot, so the spread across repeated-CV trials (the seed's
    "variance of model performance") is visible. Reference values (the Bayes-optimal accuracy
    of the data, a published result) are dashed horizontal lines, named in a legend.

    Parameters
    ----------
    results : TrialResults or DataFrame
        A ``TrialResults`` (its ``score_table(metric)`` is used) or a score table: index split,
        one column per model.
    metric : str, default="accuracy"
        Score to plot.
    models : sequence of str, default=None
        Models (columns) to draw, in order; default all.
    ax : matplotlib Axes, default=None
    random_state : int, default=0
        Seeds the horizontal jitter (the plot is reproducible).
    references : mapping, default=None
        ``{label: value}`` of reference scores, e.g.
        ``{"Bayes-optimal accuracy": bayes_accuracy(4)}``; each is a dashed line labelled
        ``"label (value)"`` in the legend.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.plots import plot_scores_box
    >>> table = pd.DataFrame({"a": [0.7, 0.8, 0.75], "b": [0.6, 0.65, 0.7]})
    >>> ax = plot_scores_box(table, references={"Bayes-optimal accuracy": 0.75})
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['a', 'b']
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Bayes-optimal accuracy (0.750)']
    """
    _check_ax(ax)
    references = check_references(references)
    table = _score_table(results, metric)
    if models is None:
        full = getattr(results, "models", None)
        models = [str(m) for m in full if str(m) in table.columns] if full is not None else []
        models = models or list(table.columns)
    else:
        models = check_names(models, "models")
        unknown = [m for m in models if m not in table.columns]
        if unknown:
            raise ValueError(f"model(s) {unknown} not in the score table {list(table.columns)}")
    colors = _palette_for(results, models)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.5, 1.3 * len(models) + 2), 4.4), layout="constrained")
    data = [table[m].to_numpy(dtype=float) for m in models]
    positions = np.arange(1, len(models) + 1)
    bp = ax.boxplot(
        data,
        positions=positions,
        widths=0.55,
        patch_artist=True,
        showmeans=True,
        showfliers=False,
        meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black"},
        medianprops={"color": "black"},
    )
    for patch, m in zip(bp["boxes"], models, strict=True):
        patch.set_facecolor(colors[m])
        patch.set_alpha(0.45)
    rng = np.random.default_rng(random_state)
    for pos, m, vals in zip(positions, models, data, strict=True):
        jitter = rng.uniform(-0.17, 0.17, size=vals.size)
        ax.scatter(
            pos + jitter, vals, s=12, color=colors[m], alpha=0.9, zorder=3, label=plain_text(m)
        )
    ax.set_xticks(
        positions, [plain_text(m) for m in models], rotation=20 if len(models) > 3 else 0
    )
    ax.set_xlabel("model")
    ax.set_ylabel(plain_text(f"test {metric}"))
    ax.set_title(plain_text(f"Test {metric} per model over {table.shape[0]} trials"))
    ax.grid(axis="y", alpha=0.3)
    styles = ("--", ":", "-.")
    lines = [
        ax.axhline(
            v,
            color="black",
            lw=1.1,
            ls=styles[i % 3],
            zorder=2,
            label=plain_text(f"{k} ({v:.3f})"),
        )
        for i, (k, v) in enumerate(references.items())
    ]
    if lines:  # beside the axes: inside, it would hide some trials' dots
        ax.legend(
            handles=lines,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
        )
    return ax


# ------------------------------------------------------------------------- simultaneous intervals

_SIMULTANEOUS_NEEDED = (
    "model_a",
    "model_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "pvalue_adjusted",
)


def plot_simultaneous_intervals(result, ax=None, *, alpha=None):
    """Simultaneous intervals of several models on one data set: one line per comparison.

    Draws a :class:`~clfcompare.stats.SimultaneousResult` (from
    :func:`clfcompare.stats.simultaneous_comparisons`, e.g. ``Comparison.simultaneous``):
    each comparison's simultaneous interval of ``A - B`` with its mean difference, a dashed
    line at no difference; a comparison whose adjusted p-value is below ``alpha`` (an
    interval that excludes 0) is red with a filled marker. It computes nothing. This is the
    single-data-set figure of several models; the critical-difference diagram belongs to
    comparisons across data sets (its rank test needs independent rows).

    Parameters
    ----------
    result : SimultaneousResult
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when None).
    alpha : float, optional
        Adjusted p-value below which a comparison is drawn as significant; default
        ``1 - result.confidence_level``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.plots import plot_simultaneous_intervals
    >>> from clfcompare.stats import simultaneous_comparisons
    >>> table = 0.8 + np.random.default_rng(0).normal(0, 0.02, (20, 3)) + [0.0, 0.0, 0.05]
    >>> res = simultaneous_comparisons(table, 80, 20, models=["a", "b", "c"], n_draws=20_000)
    >>> ax = plot_simultaneous_intervals(res)
    >>> [t.get_text() for t in ax.get_yticklabels()]  # top to bottom, in the table's order
    ['a − b', 'a − c', 'b − c']
    >>> [float(y) for y in ax.get_yticks()]
    [2.0, 1.0, 0.0]
    """
    _check_ax(ax)
    table = getattr(result, "table", None)
    level = getattr(result, "confidence_level", None)
    if (
        not isinstance(table, pd.DataFrame)
        or level is None
        or any(c not in table.columns for c in _SIMULTANEOUS_NEEDED)
    ):
        raise TypeError(
            "result must be a SimultaneousResult (a .table with columns "
            f"{list(_SIMULTANEOUS_NEEDED)} and a .confidence_level), got "
            f"{type(result).__name__}"
        )
    alpha = 1.0 - float(level) if alpha is None else float(alpha)
    n = len(table)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * n + 1.7), layout="constrained")
    ys = list(range(n))[::-1]  # first comparison at the top
    means = table["mean_difference"].to_numpy(float)
    low = table["ci_low"].to_numpy(float)
    high = table["ci_high"].to_numpy(float)
    significant = table["pvalue_adjusted"].to_numpy(float) < alpha
    for y, m, lo, hi, sig in zip(ys, means, low, high, significant, strict=True):
        color = "tab:red" if sig else "tab:blue"
        ax.plot([lo, hi], [y, y], color=color, lw=2, solid_capstyle="butt")
        ax.plot([m], [y], "o", color=color, mfc=color if sig else "white", ms=6)
    ax.axvline(0.0, color="0.4", lw=1, ls="--")
    ax.set_yticks(ys)
    pairs = zip(table["model_a"], table["model_b"], strict=True)
    ax.set_yticklabels([plain_text(f"{a} − {b}") for a, b in pairs])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("mean difference (A − B)")
    head = f"simultaneous {100 * float(level):g}% intervals"
    if getattr(result, "family", None) == "baseline":
        head += f" vs {plain_text(getattr(result, 'baseline', 'baseline'))}"
    parts = []
    variance = getattr(result, "variance", None)
    if variance:
        parts.append(f"{variance} variance")
    crit = getattr(result, "critical_value", None)
    if crit is not None:
        parts.append(f"critical value {float(crit):.3g}")
    ax.set_title(head + (f"\n({', '.join(parts)})" if parts else ""), fontsize=10)
    return ax


# --------------------------------------------------------------------------- reliability


def plot_reliability(probabilities, classes, *, n_bins=10, axes=None, colors=None, title=None):
    """Reliability diagram: each model's top-label accuracy against its confidence, with counts.

    For every model the rows' top probabilities are binned (:func:`clfcompare.analysis.
    reliability_bins`) and the accuracy of the predicted class in each bin is drawn against
    the bin's mean confidence (a calibrated model lies on the diagonal; below it, it is
    over-confident). A lower panel shows how many rows fall in each bin. The legend gives each
    model's log loss and multi-class Brier score (:func:`clfcompare.analysis.
    probability_scores`).

    Parameters
    ----------
    probabilities : dict ``{model: (y_true, proba)}``
        Each model's true labels and predicted probabilities (columns in ``classes`` order),
        e.g. :func:`clfcompare.analysis.probabilities_by_model`.
    classes : array-like of shape (n_classes,)
    n_bins : int >= 1, default=10
    axes : sequence of two matplotlib Axes, default=None
        The reliability panel and the counts panel; a new figure when None.
    colors : dict, default=None
        ``{model: colour}``; default :func:`model_colors` of the models given.
    title : str, default=None
        Figure title (only when a figure is created), drawn as plain text.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.plots import plot_reliability
    >>> proba = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    >>> fig = plot_reliability({"m": ([0, 1, 1], proba)}, [0, 1], n_bins=5)
    >>> len(fig.axes)
    2
    """
    from clfcompare.analysis import probability_scores, reliability_bins

    if not isinstance(probabilities, Mapping) or not probabilities:
        raise TypeError(
            "probabilities must be a non-empty dict {model: (y_true, proba)}, got "
            f"{type(probabilities).__name__}"
            + (" (empty)" if isinstance(probabilities, Mapping) else "")
        )
    models = check_names(list(probabilities), "models")
    n_bins = check_int(n_bins, "n_bins", low=1)
    colors = dict(colors) if colors is not None else model_colors(models)
    missing = [m for m in models if m not in colors]
    if missing:
        raise ValueError(f"colors has no colour for {missing}")
    if axes is None:
        fig, axes = plt.subplots(
            2, 1, figsize=(6, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
        if title is not None:
            fig.suptitle(plain_text(title))
    else:
        axes = list(axes)
        if len(axes) != 2:
            raise ValueError(f"axes must be two Axes (reliability, counts), got {len(axes)}")
        for a in axes:
            _check_ax(a)
        fig = axes[0].figure
    top, bottom = axes
    top.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1, label="perfectly calibrated")
    width = 1.0 / n_bins / (len(models) + 1)
    for i, (model, (y_true, proba)) in enumerate(probabilities.items()):
        bins = reliability_bins(y_true, proba, classes, n_bins=n_bins)
        s = probability_scores(y_true, proba, classes)
        label = f"{plain_text(model)} (log loss {s['log_loss']:.3f}, Brier {s['brier']:.3f})"
        top.plot(
            bins["confidence"], bins["accuracy"], marker="o", color=colors[model], label=label
        )
        bottom.bar(
            bins["lower"] + (i + 0.5) * width,
            bins["count"],
            width=width,
            color=colors[model],
            align="edge",
        )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy of the predicted class")
    top.legend(fontsize=8, loc="upper left", framealpha=0.9)
    top.grid(alpha=0.3)
    bottom.set_xlabel("confidence (top predicted probability)")
    bottom.set_ylabel("rows")
    bottom.set_xlim(0, 1)
    return fig


# --------------------------------------------------------------------------- CD diagram
#: Moved to :mod:`clfcompare.benchmark.plots` (the figures across data sets); importable from
#: here as before, loaded on first use.
_MOVED = {"cd_cliques", "plot_critical_difference"}


def __getattr__(name):
    if name in _MOVED:
        from clfcompare.benchmark import plots as benchmark_plots

        return getattr(benchmark_plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
