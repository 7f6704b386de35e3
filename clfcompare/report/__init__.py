"""A report of a classifier comparison: markdown with PNG figures, one HTML file, LaTeX tables.

:func:`write_report` turns a :class:`~clfcompare.analysis.Comparison` (what
:func:`clfcompare.analysis.analyse` computed) into ``report.md``: first the answer in short (the
pre-specified contrast, tested unadjusted, or the best model against the runner-up; its default
test, the corrected t-test beside it and which of the two holds for these learners, the Bayesian
probabilities, the equivalence test with the ROPE as margin, the split of the score variance
into data split and initialisation), the data, the models and their settings, the design, mean
± sd of every score per model, the pairwise significance table (the default test: Nadeau and
Bengio's conservative Z with half/half partitions, else the corrected t-test; the exploratory
pairs Holm-adjusted; the Bayesian correlated t-test's probabilities) with the corrected
t-test's table beside it, the simultaneous intervals of several models, the variance
components of a split x seed design, a plain-words answer to "are these two models different
here?" (the comparison's contrast), the figures, the machine, the library versions and the
timings. No rank test over the splits of one data set. Beside it, from the same parts:
``report.html`` (one self-contained file, the figures embedded, :mod:`~clfcompare.report.html`)
and ``report_tables.tex`` (every table as a ``booktabs`` tabular,
:mod:`~clfcompare.report.latex`).

The report reads the comparison and runs no test (it never imports :mod:`clfcompare.stats`).
Its parts: :mod:`~clfcompare.report.sections` (one small function per section, in order),
:mod:`~clfcompare.report.prose` (the sentences), :mod:`~clfcompare.report.markdown` (tables),
:mod:`~clfcompare.report.machine` (machine and versions), :mod:`~clfcompare.report.escape`
(escaping user-supplied text for markdown, HTML and LaTeX), :mod:`~clfcompare.report.files`
(writing without following symbolic links), :mod:`~clfcompare.report.html` and
:mod:`~clfcompare.report.latex` (the other two formats).

Every user-supplied string the report writes (model names, the metric, reference labels, the
title, figure captions, the machine's fields, timings' names) is escaped
(:func:`escape_markdown`: no raw HTML, link, code span or table cell is formed, bidi overrides
are visible, a line break is a space). The parameters that *are* markdown (``data_description``,
``models_description``'s descriptions, ``notes``, ``reference_notes``) are written as given:
escape the user-supplied parts of them with :func:`escape_markdown` or :func:`code_span`.

:func:`summary_table`, :func:`stalled_trials`, :func:`find_contrast` and :func:`pair_row` are
:mod:`clfcompare.analysis`'s, importable from here as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from clfcompare._checks import check_bool, check_real
from clfcompare.analysis import (
    Comparison,
    find_contrast,
    pair_row,
    stalled_trials,
    summary_table,
)
from clfcompare.report.escape import Markdown, code_span, escape_markdown
from clfcompare.report.files import check_no_links, open_new
from clfcompare.report.html import render_html
from clfcompare.report.latex import render_latex
from clfcompare.report.machine import describe_machine, library_versions
from clfcompare.report.markdown import markdown_table
from clfcompare.report.prose import contrast_paragraph
from clfcompare.report.sections import SECTIONS, Page

__all__ = [
    "REPORT_FORMATS",
    "report_files",
    "write_report",
    "Markdown",
    "check_no_links",
    "code_span",
    "open_new",
    "escape_markdown",
    "summary_table",
    "markdown_table",
    "contrast_paragraph",
    "find_contrast",
    "pair_row",
    "describe_machine",
    "stalled_trials",
    "library_versions",
]


#: The formats :func:`write_report` writes: markdown (with PNG files), HTML, LaTeX tables.
REPORT_FORMATS = ("md", "html", "tex")


def report_files(filename="report.md"):
    """``{format: file name}`` of the files :func:`write_report` writes for ``filename``.

    >>> report_files("report.md")
    {'md': 'report.md', 'html': 'report.html', 'tex': 'report_tables.tex'}
    """
    stem = Path(filename).stem
    return {"md": str(filename), "html": f"{stem}.html", "tex": f"{stem}_tables.tex"}


def write_report(
    comparison,
    out_dir,
    *,
    title="Classifier comparison",
    data_description=None,
    models_description=None,
    machine_info=None,
    timings=None,
    figures=None,
    standard_figures=True,
    notes=None,
    reference_notes=None,
    filename="report.md",
    formats=REPORT_FORMATS,
):
    """Write the report of a comparison: markdown with PNG figures, HTML, LaTeX tables.

    The markdown ``filename`` with the figures as PNG files beside it; ``report.html``, the
    same content in one self-contained file (the figures embedded as base64 PNG, no
    external file); ``report_tables.tex``, every table as a LaTeX ``booktabs`` table (for
    ``\\input``). All three are written from the same sections, every user-supplied string
    escaped for its format.

    Parameters
    ----------
    comparison : Comparison
        From :func:`clfcompare.analysis.analyse` (the metric, alpha, ROPE, contrast and
        reference values are its).
    out_dir : str or Path
        Folder for ``report.md`` and the PNGs; created if missing.
    title : str
        Plain text (escaped). Line breaks in the title, in model names and in figure
        captions become spaces in the headings (in tables, ``<br>``: see
        :func:`markdown_table`).
    data_description : str or mapping, optional
        Markdown text, or ``{field: markdown}`` shown as a table (the fields escaped).
    models_description : str or mapping, optional
        Markdown text, or ``{model: markdown settings}`` shown as a table (the names
        escaped).
    machine_info : mapping, optional
        ``{field: value}``; default :func:`describe_machine` of this process.
    timings : mapping, optional
        ``{phase: seconds}`` (numbers >= 0), e.g. ``{"trials": 41.2, "figures": 3.1}``.
    figures : mapping, optional
        Extra figures ``{caption: matplotlib Figure}`` (e.g. the data, the decision regions),
        saved as PNG and embedded after the standard ones. They are closed after saving.
    standard_figures : bool, default=True
        Draw the box plot (with the comparison's references), the simultaneous intervals (3+
        models) and the loss curves (if any).
    notes : sequence of str, optional
        Markdown paragraphs for a "Notes and warnings" section (e.g. the warnings the fits
        raised, escaped).
    reference_notes : mapping, optional
        ``{label: paragraph}`` saying what a reference value of the comparison means, e.g.
        the sentence of :func:`clfcompare.datasets.curve_loss_reference` for its
        Bayes-optimal cross-entropy, printed by the loss curves (default: one line naming the
        value).
    filename : str, default="report.md"
        The markdown file; the others are named after it (:func:`report_files`).
    formats : sequence of {"md", "html", "tex"}, default: all three
        Which files to write (the PNG files go with ``"md"``).

    Returns
    -------
    path : Path
        The markdown file (without ``"md"``: the first of the others written).

    Raises
    ------
    InputError
        ``out_dir / filename`` or a figure's file is a symbolic link: refused before it is
        written (nothing is written through a link, :func:`check_no_links`).
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(
            "write_report needs a Comparison from clfcompare.analysis.analyse(results), got "
            f"{type(comparison).__name__}"
        )
    if timings is not None and not isinstance(timings, Mapping):
        raise TypeError(f"timings must be a mapping {{phase: seconds}}, got {type(timings)}")
    timings = {
        str(k): check_real(v, f"timings[{k!r}]", low=0, high=math.inf)
        for k, v in (timings or {}).items()
    }
    if figures is not None and not isinstance(figures, Mapping):
        raise TypeError(f"figures must be a mapping {{caption: Figure}}, got {type(figures)}")
    if reference_notes is not None and not isinstance(reference_notes, Mapping):
        raise TypeError(
            f"reference_notes must be a mapping {{label: text}}, got {type(reference_notes)}"
        )
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    bad = [f for f in formats if f not in REPORT_FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be some of {REPORT_FORMATS}, got {formats!r}")
    notes = [notes] if isinstance(notes, str) else list(notes or [])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = report_files(filename)
    check_no_links(out_dir, [files[f] for f in formats])  # before the figures are drawn
    page = Page(
        out_dir=out_dir,
        title=title,
        data_description=data_description,
        models_description=models_description,
        machine_info=machine_info,
        timings=timings,
        figures=dict(figures or {}),
        standard_figures=check_bool(standard_figures, "standard_figures"),
        notes=tuple(str(n) for n in notes),
        reference_notes={str(k): str(v) for k, v in (reference_notes or {}).items()},
        write_png="md" in formats,
    )
    lines = [line for section in SECTIONS for line in section(comparison, page)]
    render = {
        "md": lambda: "\n".join(lines),
        "html": lambda: render_html(lines, title),
        "tex": lambda: render_latex(lines, title),
    }
    paths = {}
    for f in REPORT_FORMATS:
        if f in formats:
            paths[f] = out_dir / files[f]
            with open_new(paths[f]) as fh:
                fh.write(render[f]())
    return next(iter(paths.values()))
