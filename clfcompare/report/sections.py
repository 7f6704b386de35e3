"""The sections of ``report.md``, in order: each reads the comparison and returns its lines.

A section is ``section(comparison, page) -> list of str`` (no lines: the section is left out).
:data:`SECTIONS` is the report; :func:`clfcompare.report.write_report` joins them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clfcompare.report.machine import describe_machine, library_versions
from clfcompare.report.markdown import describe, kv_table, markdown_table, one_line, slug
from clfcompare.report.prose import (
    answer_sentences,
    contrast_paragraph,
    design_sentence,
    stalled_notes,
    stalled_sentence,
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


def header(comparison, page):
    stamp = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return [f"# {one_line(page.title)}", "", f"_Generated {stamp} by clfcompare._", ""]


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
        f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}"
        for m, s in zip(summary["mean"], summary["sd"], strict=True)
    ]
    # milliseconds: fits range from under 1 ms (closed form) to seconds (networks)
    shown["fit ms/trial"] = [f"{1e3 * v:.1f}" for v in summary["fit_time_mean"]]
    shown = shown[[f"mean ± sd {metric}", "median", "min", "max", "n_trials", "fit ms/trial"]]
    lines = [f"## Test {metric} per model", "", markdown_table(shown), ""]
    for label, value in comparison.references.items():
        lines += [
            f"Reference: {label} = {value:.3f} (the dashed line in the box plot). Best mean: "
            f"{summary['mean'].idxmax()} at {summary['mean'].max():.3f} "
            f"({summary['mean'].max() - value:+.3f}).",
            "",
        ]
    if comparison.other_summaries:
        extra = pd.DataFrame(
            {
                s: [f"{r['mean']:.3f} ± {r['sd']:.3f}" for _, r in table.iterrows()]
                for s, table in comparison.other_summaries.items()
            },
            index=summary.index,
        )
        lines += ["Other scores (mean ± sd):", "", markdown_table(extra), ""]
    return lines


def _readable_pairwise(pairwise, alpha):
    """A compare() table with short, formatted columns for the report."""

    def p3(v):
        return f"{v:.3g}" if np.isfinite(v) else "–"

    return pd.DataFrame(
        {
            "A": pairwise["model_a"],
            "B": pairwise["model_b"],
            "mean A − B": [f"{v:+.3f}" for v in pairwise["mean_difference"]],
            "95% CI": [
                f"{lo:+.3f} to {hi:+.3f}" if np.isfinite(lo) and np.isfinite(hi) else "–"
                for lo, hi in zip(pairwise["ci_low"], pairwise["ci_high"], strict=True)
            ],
            "t": [f"{v:.2f}" for v in pairwise["statistic"]],
            "p": [p3(v) for v in pairwise["pvalue"]],
            "p (Holm)": [p3(v) for v in pairwise["pvalue_adjusted"]],
            f"significant at {alpha}": pairwise["significant"].astype(bool),
            "P(A better)": [f"{v:.3f}" for v in pairwise["prob_a_better"]],
            "P(equivalent)": [f"{v:.3f}" for v in pairwise["prob_equivalent"]],
            "P(B better)": [f"{v:.3f}" for v in pairwise["prob_b_better"]],
            "verdict": pairwise["verdict"],
        }
    )


def pairwise(comparison, page):
    if comparison.pairwise is None:
        return []
    return [
        "## Pairwise comparisons",
        "",
        "Every pair of models on the same splits: Nadeau–Bengio corrected repeated-CV "
        "t-test (two-sided), p-values adjusted for multiple comparisons with Holm's method, "
        f"and the Bayesian correlated t-test's probabilities (ROPE ±{comparison.rope}). "
        "Differences are first model − second model.",
        "",
        markdown_table(_readable_pairwise(comparison.pairwise, comparison.alpha), index=False),
        "",
    ]


def ranking(comparison, page):
    friedman = comparison.friedman
    if friedman is None:
        return []
    ranks = pd.Series(friedman.average_ranks, dtype=float).sort_values()
    return [
        "## Ranking of all models (Friedman test, Nemenyi post-hoc)",
        "",
        f"Friedman χ² = {friedman.statistic:.2f}, p = {friedman.pvalue:.3g}; Nemenyi "
        f"critical difference CD = {friedman.critical_difference:.3f} "
        f"(α = {comparison.alpha}): models whose average ranks differ by less are not "
        "significantly different. Caution: the rows here are splits of one data set, not "
        "independent data sets, so these rank tests are anti-conservative (Demšar 2006); the "
        "corrected t-test above is the calibrated one.",
        "",
        markdown_table(ranks.rename("average rank (1 = best)").to_frame().rename_axis("model")),
        "",
    ]


def contrast(comparison, page):
    if comparison.contrast is None or comparison.pairwise is None:
        return []
    a, b = comparison.contrast
    lines = [
        f"## Is {one_line(a)} different from {one_line(b)} here?",
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
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)


def _standard_figures(comparison):
    from clfcompare import plots

    results, metric = comparison.results, comparison.metric
    figs = {}
    ax = plots.plot_scores_box(results, metric=metric, references=comparison.references)
    figs["scores_box"] = (f"Test {metric} per model over all trials", ax.figure)
    if comparison.friedman is not None:
        ax = plots.plot_critical_difference(
            comparison.friedman, colors=plots.model_colors(list(results.models))
        )
        figs["critical_difference"] = ("Critical-difference diagram (Friedman/Nemenyi)", ax.figure)
    curves = getattr(results, "loss_curves", None)
    with_curves = (
        [m for m in comparison.models if m in set(curves["model"])]
        if isinstance(curves, pd.DataFrame) and len(curves)
        else []
    )
    if with_curves:
        fig = plots.plot_loss_curves(results, models=with_curves)
        figs["loss_curves"] = ("Training loss per epoch (median and interquartile band)", fig)
    return figs


def _loss_reference_lines(comparison, page):
    lines = []
    for label, value in comparison.loss_references.items():
        text = page.reference_notes.get(label) or (
            f"Reference for the training loss: {label} = {value:.3f}."
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
    lines = ["## Figures", ""]
    for stem, (caption, fig) in all_figs.items():
        name = f"{stem}.png"
        _save(fig, page.out_dir / name)
        caption = one_line(caption)
        lines += [f"### {caption}", "", f"![{caption}]({name})", ""]
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
    ranking,
    contrast,
    figures,
    notes,
    machine,
    versions,
    timings,
)
