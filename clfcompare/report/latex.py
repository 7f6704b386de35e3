"""``report_tables.tex``: every table of the report as a LaTeX ``booktabs`` table.

:func:`render_latex` reads the :class:`~clfcompare.report.markdown.MarkdownTable` parts of the
report (their header and formatted cells, the same the markdown and the HTML show) and writes
one ``table`` environment per table: a ``tabular`` with ``\\toprule``/``\\midrule``/
``\\bottomrule``, numeric columns right-aligned, every cell escaped by
:func:`~clfcompare.report.escape.escape_latex` (a markdown cell first read as plain text), the
caption the table's own or its section's heading. The file is meant for ``\\input``: it needs
``\\usepackage{booktabs}`` and a UTF-8 input (the default of LaTeX since 2018); ``±``, ``−``
and ``×`` are written as ``\\textpm``, ``\\textminus`` and ``\\texttimes``.
"""

from __future__ import annotations

import re

from clfcompare.report.escape import Markdown, escape_latex
from clfcompare.report.html import markdown_text
from clfcompare.report.markdown import MarkdownTable

__all__ = ["latex_tabular", "render_latex"]

_SYMBOLS = {"±": r"\textpm{}", "−": r"\textminus{}", "×": r"\texttimes{}"}
_NUMBER = re.compile(r"[+\-−]?[0-9.,]+(e[+\-]?[0-9]+)?%?( ± [0-9.,e+\-]+)?|–|")


def _latex(text):
    """Plain text as LaTeX: escaped, the three symbols as text-mode commands."""
    out = escape_latex(text)
    for char, command in _SYMBOLS.items():
        out = out.replace(char, command)
    return out


def _plain(cell):
    """A cell as plain text: a markdown cell read (escapes undone, tags dropped)."""
    if isinstance(cell, Markdown):
        return " ".join(markdown_text(p) for p in str(cell).splitlines())
    return str(cell)


def latex_tabular(
    header, rows, *, caption=None, label=None, align=None, bold=None, caption_below=False,
    symbols=True,
):  # fmt: skip
    """One table as a LaTeX ``table`` environment with a ``booktabs`` tabular.

    The one writer of a LaTeX table in clfcompare: the study's ``report_tables.tex``
    (:func:`render_latex`) and the benchmark's ``tables.tex``
    (:func:`clfcompare.benchmark.report.latex_table`, which formats a DataFrame and calls
    this) both go through it.

    Parameters
    ----------
    header : sequence of str
        Plain text (a :class:`~clfcompare.report.escape.Markdown` one is read first).
    rows : sequence of sequence of str
        Cells, as ``header``; each row has as many as ``header``.
    caption : str, optional
        Plain text.
    label : str, optional
        Kept to letters, digits and ``:_-``.
    align : str, optional
        The tabular's column spec, one of ``l``, ``c``, ``r`` per column. By default a column
        whose cells all read as numbers (``0.950``, ``+0.012``, ``0.95 ± 0.01``, ``12%``,
        ``–``) is right-aligned and every other one (and every column of a table without
        rows) left-aligned.
    bold : sequence of sequence of bool, optional
        One flag per cell of ``rows``: a true one writes that cell as ``\\textbf{...}``.
    caption_below : bool, default=False
        Put the caption and label after the tabular instead of before it.
    symbols : bool, default=True
        Write ``±``, ``−`` and ``×`` (in the header, the cells and the caption) as
        ``\\textpm{}``, ``\\textminus{}`` and ``\\texttimes{}``; with ``False`` they stay as
        they are (every other character is escaped either way).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A row without as many cells as the header, an ``align`` without one letter ``l``,
        ``c`` or ``r`` per column, a ``bold`` not shaped as ``rows``.
    TypeError
        An ``align`` that is not a string.

    Examples
    --------
    >>> print(latex_tabular(["a_1", "b"], [["0.500", "x&y"]], caption="50%"))
    \\begin{table}[ht]
    \\centering
    \\caption{50\\%}
    \\begin{tabular}{rl}
    \\toprule
    a\\_1 & b \\\\
    \\midrule
    0.500 & x\\&y \\\\
    \\bottomrule
    \\end{tabular}
    \\end{table}
    >>> print(latex_tabular(["m", "x"], [["a", "1"]], bold=[[False, True]], caption="c",
    ...                     caption_below=True))
    \\begin{table}[ht]
    \\centering
    \\begin{tabular}{lr}
    \\toprule
    m & x \\\\
    \\midrule
    a & \\textbf{1} \\\\
    \\bottomrule
    \\end{tabular}
    \\caption{c}
    \\end{table}
    """
    header = [_plain(h) for h in header]
    rows = [[_plain(c) for c in row] for row in rows]
    if any(len(r) != len(header) for r in rows):
        raise ValueError("every row of a table needs as many cells as its header")
    if align is None:
        spec = "".join(
            "r" if rows and all(_NUMBER.fullmatch(r[j].strip()) for r in rows) else "l"
            for j in range(len(header))
        )
    elif not isinstance(align, str):
        raise TypeError(f"align must be a string such as 'lrr', got {type(align).__name__}")
    elif len(align) != len(header) or set(align) - set("lcr"):
        raise ValueError(
            f"align must have one letter l, c or r per column ({len(header)}), got {align!r}"
        )
    else:
        spec = align
    if bold is None:
        flags = [[False] * len(header) for _ in rows]
    else:
        flags = [[bool(f) for f in row] for row in bold]
        if len(flags) != len(rows) or any(len(f) != len(header) for f in flags):
            raise ValueError(
                "bold needs one flag per cell: as many rows as rows, as many flags as header"
            )
    text = _latex if symbols else escape_latex

    def cell(value, strong):
        out = text(value)
        return f"\\textbf{{{out}}}" if strong else out

    titles = []
    if caption is not None:
        titles.append(f"\\caption{{{text(caption)}}}")
    if label is not None:
        titles.append(f"\\label{{{re.sub(r'[^A-Za-z0-9:_-]', '', str(label))}}}")
    lines = ["\\begin{table}[ht]", "\\centering"]
    if not caption_below:
        lines += titles
    lines += [f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    lines.append(" & ".join(text(h) for h in header) + " \\\\")
    lines.append("\\midrule")
    lines += [
        " & ".join(cell(c, f) for c, f in zip(row, strong, strict=True)) + " \\\\"
        for row, strong in zip(rows, flags, strict=True)
    ]
    lines += ["\\bottomrule", "\\end{tabular}"]
    if caption_below:
        lines += titles
    lines.append("\\end{table}")
    return "\n".join(lines)


def render_latex(parts, title):
    """The report's tables as one LaTeX file (see the module's docstring).

    Parameters
    ----------
    parts : sequence of str
        The report's lines as the sections returned them; the
        :class:`~clfcompare.report.markdown.MarkdownTable` ones are written, captioned by
        their own caption or else by the last heading before them.
    title : str
        Plain text, in the file's first comment line.

    Returns
    -------
    str
    """
    one_line = " ".join(str(title).split())
    out = [
        f"% {escape_latex(one_line)}: the tables of the report (clfcompare)",
        "% needs \\usepackage{booktabs}; \\input this file into a document",
    ]
    heading, used = None, {}
    for part in parts:
        if isinstance(part, MarkdownTable):
            caption = part.caption or heading or "Table"
            stem = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-") or "table"
            used[stem] = used.get(stem, 0) + 1
            label = f"tab:{stem}" + (f"-{used[stem]}" if used[stem] > 1 else "")
            out += ["", latex_tabular(part.header, part.rows, caption=caption, label=label)]
        else:
            for line in str(part).splitlines():
                m = re.match(r"#{1,6} (.*)", line.strip())
                if m:
                    heading = markdown_text(m.group(1))
    return "\n".join(out) + "\n"
