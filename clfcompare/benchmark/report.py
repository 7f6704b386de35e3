"""The report of a benchmark: markdown (with PNG figures), one self-contained HTML file, LaTeX.

:func:`write_benchmark_report` reads a :class:`~clfcompare.benchmark.BenchmarkComparison`
(what :func:`~clfcompare.benchmark.analyse_benchmark` computed; it runs no test) and writes

* ``report.md`` with the figures as PNG files beside it, in the style of the one-data-set
  report (:func:`clfcompare.report.write_report`);
* ``report.html``: the same content in one file, the figures embedded as base64 PNG;
* ``tables.tex``: the score table (with average ranks) and the post-hoc table as ``booktabs``
  tabulars.

The report is built once as a list of blocks (heading, paragraph, table, figure, key-value
list) and each format renders them; every user-supplied string (title, data set and model
names, descriptions, notes, figure captions, the machine's fields) is escaped for the format
by the one function of that format (:mod:`clfcompare.report.escape`, shared with the study's
report; importable from here as before): :func:`escape_markdown` (markdown's inline syntax,
raw HTML as entities), :func:`escape_html`, :func:`escape_latex` (LaTeX's special
characters); all three show bidi overrides and control characters as ``[U+XXXX]`` and keep
the text on one line where a line break would change the structure.

A symbolic link in the output folder under a name the report writes (``report.md``,
``report.html``, ``tables.tex``, the figures) is refused with an
:class:`~clfcompare._checks.InputError` before anything is written
(:func:`clfcompare.report.check_no_links`).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clfcompare.benchmark.analysis import BenchmarkComparison
from clfcompare.report.escape import escape_html, escape_latex, escape_markdown
from clfcompare.report.files import check_no_links, open_new
from clfcompare.report.latex import latex_tabular
from clfcompare.report.markdown import format_value

__all__ = [
    "escape_html",
    "escape_latex",
    "escape_markdown",
    "latex_table",
    "write_benchmark_report",
]

# --------------------------------------------------------------------------- escaping
# One function per format, shared with the study's report: clfcompare.report.escape.


def _one_line(text):
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- blocks


class _User(str):
    """A table cell or header holding user-supplied text (every format escapes every cell:
    the mark documents where user text goes)."""


@dataclass(frozen=True)
class _Block:
    kind: str  # "h1", "h2", "p", "table", "figure", "list"
    text: str = ""  # template (trusted) for "p"/"h*"/"list" items, caption for figures
    args: tuple = ()  # user values, escaped by each format
    table: pd.DataFrame | None = None
    png: bytes | None = None
    file: str = ""
    items: tuple = ()  # for "list": (template, args) pairs


def _png(fig):
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _ci(est, lo, hi):
    if not np.isfinite(est):
        return "–"
    return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"


def _pairwise_table(comparison):
    pw = comparison.pairwise
    out = pd.DataFrame(
        {
            "A": [_User(m) for m in pw["model_a"]],
            "B": [_User(m) for m in pw["model_b"]],
            "mean A − B": pw["mean_difference"].astype(float),
            "rank A": pw["average_rank_a"].astype(float),
            "rank B": pw["average_rank_b"].astype(float),
            "p": pw["pvalue"].astype(float),
            "p adjusted": pw["pvalue_adjusted"].astype(float),
            "significant": pw["significant"].astype(bool),
            "W/T/L of A": [
                f"{w}/{t}/{v}"
                for w, t, v in zip(pw["wins"], pw["ties"], pw["losses"], strict=True)
            ],
            "Cohen's d_z": [
                _ci(*r)
                for r in pw[["cohens_dz", "cohens_dz_low", "cohens_dz_high"]].to_numpy(float)
            ],
            "Cliff's δ": [
                _ci(*r)
                for r in pw[["cliffs_delta", "cliffs_delta_low", "cliffs_delta_high"]].to_numpy(
                    float
                )
            ],
        }
    )
    if comparison.rope is not None:
        out["P(A better)"] = pw["prob_a_better"].astype(float)
        out["P(equivalent)"] = pw["prob_equivalent"].astype(float)
        out["P(B better)"] = pw["prob_b_better"].astype(float)
    out["verdict"] = [_User(v) for v in pw["verdict"]]
    return out


def _score_table(comparison):
    table = comparison.table.copy()
    ranks = comparison.average_ranks.reindex(table.columns)
    table.loc["average rank"] = ranks.to_numpy()
    table.index = pd.Index([_User(i) for i in table.index[:-1]] + ["average rank"],
                           name="dataset")  # fmt: skip
    table.columns = [_User(m) for m in table.columns]
    return table


def _figures(comparison, figures):
    from clfcompare.benchmark import plots

    out = [
        ("Critical-difference diagram", "cd_diagram.png", plots.plot_critical_difference),
        ("Adjusted p-values of the post-hoc test", "pvalues.png", plots.plot_pvalue_heatmap),
        ("Wins, ties and losses", "win_tie_loss.png", plots.plot_win_tie_loss),
    ]
    out = [(caption, file, draw(comparison).figure) for caption, file, draw in out]
    if comparison.posteriors:
        caption = "Bayesian signed-rank posteriors"
        out.append((caption, "posteriors.png", plots.plot_posteriors(comparison)))
    for i, (caption, fig) in enumerate((figures or {}).items()):
        out.append((str(caption), f"figure_{i + 1}.png", fig))
    return [(caption, file, _png(fig)) for caption, file, fig in out]


def _blocks(comparison, *, title, info, models_description, machine_info, timings, notes,
            figures, draw):  # fmt: skip
    from clfcompare.report import describe_machine, library_versions

    c = comparison
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    blocks = [_Block("h1", "{}", (title,)), _Block("p", f"Generated {stamp} by clfcompare.")]
    ranks = c.average_ranks
    direction = "higher" if c.higher_is_better else "lower"
    fr = c.friedman
    verdict = "differ" if fr["pvalue"] < c.alpha else "show no significant difference"
    significant = c.pairwise[c.pairwise["significant"]]
    items = [
        (
            "{} models on {} data sets, scored by {} (" + direction + " is better).",
            (len(c.models), c.n_datasets, c.metric),
        ),
        ("Best average rank: **{}** ({}).", (ranks.index[0], f"{ranks.iloc[0]:.2f}")),
        (
            f"Friedman's test: the models {verdict} at alpha = {c.alpha:g} "
            f"(chi2_F = {fr['statistic']:.3f}, p = {fr['pvalue']:.3g}; Iman-Davenport "
            f"F_F = {fr['iman_davenport_statistic']:.3f}, p = {fr['iman_davenport_pvalue']:.3g}).",
            (),
        ),
        (
            f"Post-hoc test: {c.test_name}"
            + (" against the control **{}**" if c.control is not None else " of all pairs")
            + f"; {len(significant)} of {len(c.pairwise)} comparisons significant after "
            "adjustment.",
            (c.control,) if c.control is not None else (),
        ),
    ]
    items += [("{}", (v,)) for v in significant["verdict"]]
    if c.n_datasets < 20:
        items.append(
            (
                f"With N = {c.n_datasets} data sets the rank tests have little power: only "
                "large, consistent differences reach significance, and a non-significant pair "
                "is not shown to be equivalent (the Bayesian probabilities say how likely "
                "practical equivalence is).",
                (),
            )
        )
    blocks += [_Block("h2", "In short"), _Block("list", items=tuple(items))]
    if info is not None and len(info):
        frame = info.reset_index()
        for col in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = [_User("" if v is None else v) for v in frame[col]]
        blocks += [_Block("h2", "Data sets"), _Block("table", table=frame)]
    if models_description:
        frame = pd.DataFrame(
            {
                "model": [_User(k) for k in models_description],
                "settings": [_User(v) for v in models_description.values()],
            }
        )
        blocks += [_Block("h2", "Models"), _Block("table", table=frame)]
    blocks += [
        _Block("h2", "Scores"),
        _Block(
            "p",
            "Mean {} over the cross-validation splits of each data set (or as given); the last "
            "row is each model's average rank (1 = best).",
            (c.metric,),
        ),
        _Block("table", table=_score_table(c).reset_index()),
        _Block("h2", "Post-hoc comparisons"),
        _Block(
            "p",
            f"{c.test_name}; alpha = {c.alpha:g}. Effect sizes (paired Cohen's d_z, Cliff's "
            f"delta) with {1 - c.alpha:.0%} intervals; W/T/L counts data sets"
            + (
                f"; the probabilities are the Bayesian signed-rank test's (rope = {c.rope:g})."
                if c.rope is not None
                else "."
            ),
        ),
        _Block("table", table=_pairwise_table(c)),
        _Block("h2", "Groups not told apart"),
        _Block(
            "list",
            items=tuple(("{}", (", ".join(clique),)) for clique in c.cliques)
            or (("(every pair differs)", ()),),
        ),
    ]
    if c.critical_difference is not None:
        blocks.append(
            _Block("p", f"Critical difference of average ranks: {c.critical_difference:.3f}.")
        )
    figs = _figures(c, figures) if draw else []
    if figs:
        blocks.append(_Block("h2", "Figures"))
        blocks += [_Block("figure", caption, png=png, file=file) for caption, file, png in figs]
    if notes:
        blocks += [_Block("h2", "Notes"), *(_Block("p", "{}", (n,)) for n in notes)]
    machine = machine_info if machine_info is not None else describe_machine()
    blocks += [
        _Block("h2", "Machine"),
        _Block("table", table=_kv(machine)),
        _Block("h2", "Library versions"),
        _Block("table", table=_kv(library_versions())),
    ]
    if timings:
        blocks += [
            _Block("h2", "Timings"),
            _Block("table", table=_kv({k: f"{v:.1f} s" for k, v in timings.items()})),
        ]
    return blocks


def _kv(mapping):
    return pd.DataFrame(
        {"item": [_User(k) for k in mapping], "value": [_User(v) for v in mapping.values()]}
    )


# --------------------------------------------------------------------------- renderers


def _fill(template, args, escape):
    return template.format(*(escape(a) for a in args))


def _markdown(blocks):
    from clfcompare.report import markdown_table

    lines = []
    for b in blocks:
        if b.kind == "h1":
            lines += [f"# {_fill(b.text, b.args, escape_markdown)}", ""]
        elif b.kind == "h2":
            lines += [f"## {b.text}", ""]
        elif b.kind == "p":
            lines += [_fill(b.text, b.args, escape_markdown), ""]
        elif b.kind == "list":
            lines += [f"- {_fill(t, a, escape_markdown)}" for t, a in b.items] + [""]
        elif b.kind == "table":
            lines += [markdown_table(b.table, index=False), ""]  # it escapes every cell
        elif b.kind == "figure":
            caption = escape_markdown(b.text)
            lines += [f"![{caption}]({b.file})", "", f"_{caption}_", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } img { max-width: 100%; }
figcaption { font-style: italic; color: #555; }
"""


def _html_inline(template, args):
    # the template's **bold** first: a user value with ** in it stays as it is
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape_html(template))
    return text.format(*(escape_html(a) for a in args))


def _html_table(frame):
    head = "".join(f"<th>{escape_html(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for v in row:
            numeric = isinstance(v, int | float | np.integer | np.floating) and not isinstance(
                v, bool | np.bool_
            )
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{escape_html(format_value(v))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html(blocks, title):
    body = []
    for b in blocks:
        if b.kind == "h1":
            body.append(f"<h1>{_html_inline(b.text, b.args)}</h1>")
        elif b.kind == "h2":
            body.append(f"<h2>{escape_html(b.text)}</h2>")
        elif b.kind == "p":
            body.append(f"<p>{_html_inline(b.text, b.args)}</p>")
        elif b.kind == "list":
            items = "".join(f"<li>{_html_inline(t, a)}</li>" for t, a in b.items)
            body.append(f"<ul>{items}</ul>")
        elif b.kind == "table":
            body.append(_html_table(b.table))
        elif b.kind == "figure":
            data = base64.b64encode(b.png).decode("ascii")
            body.append(
                f'<figure><img alt="{escape_html(b.text)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{escape_html(b.text)}</figcaption></figure>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape_html(_one_line(title))}</title>\n<style>{_CSS}</style>\n</head>\n"
        "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def latex_table(frame, *, caption=None, label=None, digits=3, bold_best=None):
    """A DataFrame as a LaTeX ``booktabs`` table; every cell and header escaped.

    The cells formatted by :func:`~clfcompare.report.markdown.format_value`, numeric columns
    right-aligned, the caption below the tabular, then written by
    :func:`clfcompare.report.latex.latex_tabular` (``±``, ``−``, ``×`` as ``\\textpm{}``,
    ``\\textminus{}``, ``\\texttimes{}``, as in the study's tables: a raw ``−`` stops pdflatex).

    Parameters
    ----------
    frame : DataFrame
        Rows as given (the index is not printed; ``reset_index()`` first to show it).
    caption, label : str, optional
    digits : int, default=3
    bold_best : {"max", "min"} or None
        Bold the best numeric cell of every row (of the numeric columns).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"model": ["x&y"], "a_1": [0.5], "b": [0.25]})
    >>> print(latex_table(frame, caption="Mean", bold_best="max"))
    \\begin{table}[ht]
    \\centering
    \\begin{tabular}{lrr}
    \\toprule
    model & a\\_1 & b \\\\
    \\midrule
    x\\&y & \\textbf{0.500} & 0.250 \\\\
    \\bottomrule
    \\end{tabular}
    \\caption{Mean}
    \\end{table}
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"latex_table needs a DataFrame, got {type(frame).__name__}")
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool
               for c in frame.columns]  # fmt: skip
    num_cols = [i for i, n in enumerate(numeric) if n]
    rows, bold = [], []
    for row in frame.itertuples(index=False, name=None):
        # str(): a Markdown cell is written as its text, not read as markdown
        rows.append([str(format_value(v, digits)) for v in row])
        flags = [False] * len(row)
        if bold_best in ("max", "min") and num_cols:
            values = np.array([float(row[i]) for i in num_cols])
            if np.isfinite(values).any():
                best = np.nanmax(values) if bold_best == "max" else np.nanmin(values)
                for i in num_cols:
                    flags[i] = float(row[i]) == best
        bold.append(flags)
    return latex_tabular(
        [str(c) for c in frame.columns],
        rows,
        caption=caption,
        label=label,
        align="".join("r" if n else "l" for n in numeric),
        bold=bold,
        caption_below=True,
    )


def _latex(comparison):
    c = comparison
    scores = c.table.reset_index()
    ranks = c.average_ranks.reindex(c.table.columns)
    rank_row = pd.DataFrame([["average rank", *ranks.to_numpy()]], columns=scores.columns)
    best = "max" if c.higher_is_better else "min"
    pw = _pairwise_table(c)
    keep = ["A", "B", "mean A − B", "p", "p adjusted", "W/T/L of A", "Cohen's d_z", "Cliff's δ"]
    pw = pw[keep].rename(columns={"mean A − B": "mean A - B", "Cliff's δ": "Cliff's delta"})
    parts = [
        "% clfcompare benchmark tables; needs \\usepackage{booktabs}",
        latex_table(
            scores,
            caption=f"Mean {c.metric} per data set (bold: best)",
            label="tab:scores",
            bold_best=best,
        ),  # fmt: skip
        latex_table(
            rank_row,
            caption="Average ranks (1 = best)",
            label="tab:ranks",
            digits=2,
            bold_best="min",
        ),  # fmt: skip
        latex_table(
            pw,
            caption=f"Post-hoc comparisons: {c.test_name}, alpha = {c.alpha:g}",
            label="tab:posthoc",
        ),  # fmt: skip
    ]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------- public


def write_benchmark_report(
    comparison,
    out_dir,
    *,
    title="Benchmark across data sets",
    results=None,
    info=None,
    models_description=None,
    machine_info=None,
    timings=None,
    notes=None,
    figures=None,
    formats=("md", "html", "tex"),
):
    """Write the benchmark report: ``report.md`` (+ PNGs), ``report.html``, ``tables.tex``.

    Parameters
    ----------
    comparison : BenchmarkComparison
        From :func:`clfcompare.benchmark.analyse_benchmark`.
    out_dir : str or Path
        Created if missing.
    title : str
    results : BenchmarkResults, optional
        The run, for the data sets table (its ``info``) and the timings per data set.
    info : DataFrame, optional
        One row per data set (overrides ``results.info``).
    models_description : mapping, optional
        ``{model: settings}``.
    machine_info : mapping, optional
        Default :func:`clfcompare.report.describe_machine` of this process.
    timings : mapping, optional
        ``{phase: seconds}``.
    notes : str or sequence of str, optional
    figures : mapping, optional
        Extra ``{caption: matplotlib Figure}`` (closed after saving).
    formats : sequence of {"md", "html", "tex"}

    Returns
    -------
    dict
        ``{"md": Path, "html": Path, "tex": Path}`` for the formats written.

    Raises
    ------
    InputError
        A file the report writes is a symbolic link in ``out_dir``: refused before anything
        is written.
    """
    if not isinstance(comparison, BenchmarkComparison):
        raise TypeError(
            "write_benchmark_report needs a BenchmarkComparison from "
            f"clfcompare.benchmark.analyse_benchmark, got {type(comparison).__name__}"
        )
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    bad = [f for f in formats if f not in ("md", "html", "tex")]
    if bad or not formats:
        raise ValueError(f"formats must be some of ('md', 'html', 'tex'), got {formats}")
    for name, value in (("models_description", models_description), ("timings", timings),
                        ("machine_info", machine_info), ("figures", figures)):  # fmt: skip
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    timings = dict(timings or {})
    for k, v in timings.items():
        if not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise ValueError(f"timings[{k!r}] must be a number of seconds >= 0, got {v!r}")
    if info is None and results is not None:
        info = results.info
    if results is not None and results.timings and "trials" not in timings:
        timings = {"trials (all data sets)": sum(results.timings.values()), **timings}
    notes = [notes] if isinstance(notes, str) else [str(n) for n in (notes or [])]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"md": "report.md", "html": "report.html", "tex": "tables.tex"}
    check_no_links(out_dir, [files[f] for f in formats])  # before the figures are drawn
    blocks = _blocks(
        comparison,
        title=str(title),
        info=info,
        models_description=models_description,
        machine_info=machine_info,
        timings=timings,
        notes=notes,
        figures=figures,
        draw="md" in formats or "html" in formats,
    )
    pngs = [b.file for b in blocks if b.kind == "figure"] if "md" in formats else []
    check_no_links(out_dir, pngs)  # before any file is written
    texts = {
        "md": lambda: _markdown(blocks),
        "html": lambda: _html(blocks, str(title)),
        "tex": lambda: _latex(comparison),
    }
    for b in blocks:
        if b.kind == "figure" and "md" in formats:
            with open_new(out_dir / b.file, "wb") as fh:
                fh.write(b.png)
    paths = {}
    for f in ("md", "html", "tex"):
        if f in formats:
            paths[f] = out_dir / files[f]
            with open_new(paths[f]) as fh:
                fh.write(texts[f]())
    return paths
