"""The sections of ``report.md``, in order: each reads the comparison and returns its lines.

A section is ``section(comparison, page) -> list of str`` (no lines: the section is left out).
:data:`SECTIONS` is the report; :func:`clfcompare.report.write_report` joins them. Every
user-supplied string (model names, the metric, reference labels, the title, captions) is
escaped by :func:`~clfcompare.report.escape.escape_markdown` as it is written; tables escape
their cells (:func:`~clfcompare.report.markdown.markdown_table`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clfcompare.report.escape import escape_markdown as md
from clfcompare.report.files import check_no_links, open_new
from clfcompare.report.machine import describe_machine, library_versions
from clfcompare.report.markdown import (
    MarkdownImage,
    decimals_for,
    describe,
    kv_table,
    markdown_table,
    mean_sd,
    slug,
)
from clfcompare.report.prose import (
    STAT_SYMBOL,
    answer_sentences,
    calibration_sentence,
    contrast_paragraph,
    design_sentence,
    stalled_notes,
    stalled_sentence,
    test_name,
)


@dataclass(frozen=True)
class Page:
    """What the report states beside the comparison (all validated by write_report)."""

    out_dir: Path
    title: str = "Classifier comparison"
    data_description: object = None
    models_description: object = None
    machine_info: dict | None = None
    timings: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    standard_figures: bool = True
    notes: tuple = ()
    reference_notes: dict = field(default_factory=dict)
    write_png: bool = True  # the figures as PNG files beside report.md


def header(comparison, page):
    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return [f"# {md(page.title)}", "", f"_Generated {stamp} by clfcompare._", ""]


def answer(comparison, page):
    if comparison.pairwise is None:
        return []
    return ["## In short", "", *(f"- {p}" for p in answer_sentences(comparison)), ""]


def data(comparison, page):
    return ["## Data", "", describe(page.data_description), ""]


def models(comparison, page):
    return ["## Models and settings", "", describe(page.models_description), ""]


def design(comparison, page):
    return ["## Design", "", design_sentence(comparison.results), ""]


def scores(comparison, page):
    summary, metric = comparison.summary, comparison.metric
    shown = summary.copy()
    shown[f"mean ± sd {metric}"] = [
        mean_sd(m, s) for m, s in zip(summary["mean"], summary["sd"], strict=True)
    ]
    # milliseconds: fits range from under 1 ms (closed form) to seconds (networks)
    shown["fit ms/trial"] = [f"{1e3 * v:.1f}" for v in summary["fit_time_mean"]]
    shown = shown[[f"mean ± sd {metric}", "median", "min", "max", "n_trials", "fit ms/trial"]]
    lines = [f"## Test {md(metric)} per model", "", markdown_table(shown), ""]
    for label, value in comparison.references.items():
        lines += [
            f"Reference: {md(label)} = {value:.3f} (the dashed line in the box plot). Best mean: "
            f"{md(summary['mean'].idxmax())} at {summary['mean'].max():.3f} "
            f"({summary['mean'].max() - value:+.3f}).",
            "",
        ]
    if comparison.other_summaries:
        extra = pd.DataFrame(
            {
                s: [mean_sd(r["mean"], r["sd"]) for _, r in table.iterrows()]
                for s, table in comparison.other_summaries.items()
            },
            index=summary.index,
        )
        table = markdown_table(extra, caption="Other scores (mean ± sd)")
        lines += ["Other scores (mean ± sd):", "", table, ""]
    return lines


def _p3(v):
    return f"{v:.3g}" if np.isfinite(v) else "–"


def _ci(lo, hi):
    """``"lo to hi"`` with the decimals that show half its width (:func:`decimals_for`)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "–"
    d = decimals_for((hi - lo) / 2)
    return f"{lo:+.{d}f} to {hi:+.{d}f}"


def _diffs(table):
    """The mean differences of a table, each with the decimals of its interval."""
    return [
        f"{v:+.{decimals_for((hi - lo) / 2)}f}"
        for v, lo, hi in zip(
            table["mean_difference"], table["ci_low"], table["ci_high"], strict=True
        )
    ]


def _readable_pairwise(comparison):
    """The compare() table with short, formatted columns for the report; with a pre-specified
    contrast, a ``role`` column, and the contrast's row judged by its unadjusted p-value."""
    table, alpha = comparison.pairwise, comparison.alpha
    symbol = STAT_SYMBOL.get(comparison.test, "statistic")
    level = f"{100 * (1 - alpha):g}%"
    is_contrast = [
        comparison.contrast is not None and {a, b} == set(comparison.contrast)
        for a, b in zip(table["model_a"], table["model_b"], strict=True)
    ]
    out = {
        "A": table["model_a"],
        "B": table["model_b"],
    }
    if comparison.contrast is not None:
        out["role"] = ["pre-specified" if c else "exploratory" for c in is_contrast]
    significant = table["significant"].astype(bool).tolist()
    verdicts = table["verdict"].tolist()
    for i, c in enumerate(is_contrast):
        if c:
            significant[i] = comparison.answer_significant(comparison.answer_row)
            verdicts[i] = comparison.answer_verdict
    out.update(
        {
            "mean A − B": _diffs(table),
            f"{level} CI": [
                _ci(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            symbol: [f"{v:.2f}" for v in table["statistic"]],
            "p": [_p3(v) for v in table["pvalue"]],
            "p (Holm)": [_p3(v) for v in table["pvalue_adjusted"]],
            f"significant at {alpha}": significant,
            "P(A better)": [f"{v:.3f}" for v in table["prob_a_better"]],
            "P(equivalent)": [f"{v:.3f}" for v in table["prob_equivalent"]],
            "P(B better)": [f"{v:.3f}" for v in table["prob_b_better"]],
            "verdict": verdicts,
        }
    )
    return pd.DataFrame(out)


def _readable_corrected(comparison):
    """The corrected t-test's columns of its compare() table."""
    table = comparison.pairwise_corrected
    return pd.DataFrame(
        {
            "A": table["model_a"],
            "B": table["model_b"],
            "t": [f"{v:.2f}" for v in table["statistic"]],
            "p": [_p3(v) for v in table["pvalue"]],
            "p (Holm)": [_p3(v) for v in table["pvalue_adjusted"]],
            f"{100 * (1 - comparison.alpha):g}% CI": [
                _ci(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
        }
    )


def pairwise(comparison, page):
    if comparison.pairwise is None:
        return []
    n_pairs = len(comparison.pairwise)
    if comparison.contrast is not None:
        a, b = (md(m) for m in comparison.contrast)
        roles = (
            f"The pre-specified contrast, {a} vs {b}, is tested on its own: its unadjusted "
            f"p-value decides (its row's verdict). The other pairs are exploratory: their "
            f"p-values are adjusted for multiple comparisons over all {n_pairs} pairs with "
            "Holm's method, and the verdict reads the adjusted one."
            if n_pairs > 1
            else f"The pre-specified contrast, {a} vs {b}, is the one comparison (unadjusted)."
        )
    else:
        roles = (
            "No pair was pre-specified: every pair is exploratory, its p-value adjusted for "
            f"multiple comparisons over all {n_pairs} pairs with Holm's method."
        )
    lines = [
        "## Pairwise comparisons",
        "",
        f"Every pair of models on the same splits: the {test_name(comparison.test)}, "
        f"two-sided, and the Bayesian correlated t-test's probabilities (ROPE "
        f"±{comparison.rope}). {roles} Differences are first model − second model.",
        "",
        markdown_table(_readable_pairwise(comparison), index=False),
        "",
    ]
    if comparison.pairwise_corrected is not None:
        lines += [
            "The corrected repeated-CV t-test on the same main splits, for comparison "
            "(Holm-adjusted over the same pairs):",
            "",
            markdown_table(
                _readable_corrected(comparison),
                index=False,
                caption="The corrected repeated-CV t-test on the same main splits",
            ),
            "",
        ]
    lines += [f"Which test holds: {calibration_sentence()}"]
    if comparison.stable is not None:
        stable = [m for m in comparison.models if m in comparison.stable]
        unstable = [m for m in comparison.models if m not in comparison.stable]
        lines[-1] += (
            f" Stable learners here: {', '.join(map(md, stable)) or 'none'}; not stable: "
            f"{', '.join(map(md, unstable)) or 'none'}."
        )
        if comparison.pairwise_corrected is not None:
            lines[-1] += (
                " For a pair of stable learners both tables hold (the corrected t has more "
                "power); for any other pair, read the first."
            )
    lines.append("")
    return lines


def simultaneous(comparison, page):
    sim = comparison.simultaneous
    if sim is None:
        return []
    level = f"{100 * sim.confidence_level:g}%"
    family = (
        f"every model against the baseline {md(sim.baseline)} (Dunnett-style)"
        if sim.family == "baseline"
        else f"all {len(sim.table)} pairs (Tukey-style)"
    )
    variance = (
        "the half-partition covariance of Nadeau and Bengio's conservative Z (normal reference)"
        if sim.variance == "conservative"
        else f"the corrected covariance (Nadeau–Bengio factor, t with {sim.df:g} df)"
    )
    t = sim.table
    shown = pd.DataFrame(
        {
            "A": t["model_a"],
            "B": t["model_b"],
            "mean A − B": _diffs(t),
            f"simultaneous {level} interval": [
                _ci(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
            ],
            "p (max-|t|)": [_p3(v) for v in t["pvalue_adjusted"]],
            "excludes 0": [
                bool(lo > 0 or hi < 0) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
            ],
        }
    )
    return [
        "## Several models at once",
        "",
        f"Simultaneous {level} intervals for {family}: the max-|t| procedure over {variance}, "
        f"critical value {sim.critical_value:.3f} (Monte Carlo error "
        f"{sim.critical_value_mc_error:.1g}). All intervals cover their true differences "
        f"together with probability {sim.confidence_level:g}: an interval that excludes 0 is a "
        f"difference at family-wise error {1 - sim.confidence_level:.2g}. They use the "
        "covariance of the pairwise differences over the shared splits, and so are tighter "
        "than Bonferroni's. No rank test is run over the splits: rank tests and their "
        "critical-difference diagram need independent data sets as rows, and the splits of "
        "one data set are not (across data sets, see `clfcompare.benchmark`).",
        "",
        markdown_table(shown, index=False),
        "",
    ]


def variance(comparison, page):
    vc = comparison.variance_components
    if vc is None or len(vc) == 0:
        return []
    crossed = "residual" in vc.columns
    shown = pd.DataFrame(index=vc.index)
    shown["sd from the data split"] = [f"{np.sqrt(v):.4f}" for v in vc["split"]]
    shown["sd from the seed"] = [f"{np.sqrt(v):.4f}" for v in vc["seed"]]
    if crossed:
        shown["sd split × seed"] = [f"{np.sqrt(v):.4f}" for v in vc["residual"]]
    shown["share: data split"] = [
        f"{100 * v:.0f}%" if np.isfinite(v) else "–" for v in vc["split_share"]
    ]
    shown["share: initialisation"] = [
        f"{100 * v:.0f}%" if np.isfinite(v) else "–" for v in vc["seed_share"]
    ]
    n_seeds = vc.attrs.get("n_seeds", "several")
    design = (
        f"every data split was trained with the same {n_seeds} seeds (a crossed split × seed "
        "design: seed k is one initialisation, used on every split)"
        if crossed
        else f"every data split was trained with {n_seeds} seeds of its own (seeds nested in "
        "splits)"
    )
    interaction = (
        " and their interaction (how a seed suits a split, which one fit per cell cannot tell "
        "from noise; counted with the initialisation in the share)"
        if crossed
        else ""
    )
    return [
        "## Data split vs initialisation",
        "",
        f"Here {design}. The variance of the test {md(comparison.metric)} of each model splits "
        "into the part the data split adds and the part the seed adds (the initial weights, "
        f"the order of the mini-batches){interaction}: ANOVA estimates of a random-effects "
        "model (Bouthillier et al. 2021, `clfcompare.trials.variance_components`). A model "
        "without randomness has no seed part. The tests above average each split over its "
        "seeds.",
        "",
        markdown_table(shown),
        "",
    ]


def contrast(comparison, page):
    if comparison.contrast is None or comparison.pairwise is None:
        return []
    a, b = comparison.contrast
    lines = [
        f"## Is {md(a)} different from {md(b)} here?",
        "",
        contrast_paragraph(comparison, a, b),
        "",
    ]
    beware = stalled_sentence(comparison, (a, b))
    if beware:
        lines += [beware, ""]
        if comparison.sensitivity is not None:
            lines += [
                "The test again without the stalled splits (a sensitivity check) is in "
                "[In short](#in-short) above.",
                "",
            ]
    return lines


def _save(fig, path):
    """The figure as PNG bytes, written to ``path`` unless it is None; the figure closed."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    png = buffer.getvalue()
    if path is not None:
        with open_new(path, "wb") as fh:  # not through a symbolic link
            fh.write(png)
    return png


def _standard_figures(comparison):
    from clfcompare import plots

    results, metric = comparison.results, comparison.metric
    figs = {}
    ax = plots.plot_scores_box(results, metric=metric, references=comparison.references)
    figs["scores_box"] = (f"Test {metric} per model over all trials", ax.figure)
    sim = comparison.simultaneous
    if sim is not None:
        ax = plots.plot_simultaneous_intervals(sim)
        level = f"{100 * sim.confidence_level:g}%"
        figs["simultaneous_intervals"] = (f"Simultaneous {level} intervals (max-|t|)", ax.figure)
    curves = getattr(results, "loss_curves", None)
    with_curves = (
        [m for m in comparison.models if m in set(curves["model"])]
        if isinstance(curves, pd.DataFrame) and len(curves)
        else []
    )
    if with_curves:
        fig = plots.plot_loss_curves(results, models=with_curves)  # main CV splits only
        figs["loss_curves"] = ("Training loss per epoch (median and interquartile band)", fig)
    return figs


def _loss_reference_lines(comparison, page):
    lines = []
    for label, value in comparison.loss_references.items():
        text = page.reference_notes.get(label) or (
            f"Reference for the training loss: {md(label)} = {value:.3f}."
        )
        lines += [text, ""]
    return lines


def figures(comparison, page):
    all_figs = _standard_figures(comparison) if page.standard_figures else {}
    for caption, fig in page.figures.items():
        if not hasattr(fig, "savefig"):
            raise TypeError(f"figure {caption!r} is not a matplotlib Figure: {type(fig).__name__}")
        stem, n = slug(caption), 1
        while stem in all_figs:  # two captions with one file name: keep both figures
            n += 1
            stem = f"{slug(caption)}_{n}"
        all_figs[stem] = (str(caption), fig)
    if not all_figs:
        return []
    if page.write_png:
        check_no_links(page.out_dir, [f"{stem}.png" for stem in all_figs])  # before any is
    lines = ["## Figures", ""]
    for stem, (caption, fig) in all_figs.items():
        name = f"{stem}.png"
        png = _save(fig, page.out_dir / name if page.write_png else None)
        image = MarkdownImage(f"![{md(caption)}]({name})")
        image.caption, image.png = " ".join(str(caption).split()), png
        lines += [f"### {md(caption)}", "", image, ""]
        if stem == "loss_curves":
            lines += _loss_reference_lines(comparison, page)
    return lines


def notes(comparison, page):
    all_notes = stalled_notes(comparison) + list(page.notes)
    if not all_notes:
        return []
    return ["## Notes and warnings", "", *(f"- {n}" for n in all_notes), ""]


def machine(comparison, page):
    info = dict(page.machine_info) if page.machine_info is not None else describe_machine()
    return ["## Machine", "", kv_table(info, "field", "value"), ""]


def versions(comparison, page):
    return ["## Versions", "", kv_table(library_versions(), "library", "version"), ""]


def timings(comparison, page):
    rows = dict(page.timings)
    rows["sum of per-trial fit times"] = float(comparison.summary["fit_time_total"].sum())
    return [
        "## Timings",
        "",
        kv_table({k: float(v) for k, v in rows.items()}, "phase", "seconds"),
        "",
    ]


#: The report, top to bottom.
SECTIONS = (
    header,
    answer,
    data,
    models,
    design,
    scores,
    pairwise,
    simultaneous,
    variance,
    contrast,
    figures,
    notes,
    machine,
    versions,
    timings,
)
