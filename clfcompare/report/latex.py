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


def latex_tabular(header, rows, *, caption=None, label=None):
    """One table as a LaTeX ``table`` environment with a ``booktabs`` tabular.

    Parameters
    ----------
    header : sequence of str
        Plain text (a :class:`~clfcompare.report.escape.Markdown` one is read first).
    rows : sequence of sequence of str
        Cells, as ``header``; a column whose cells all read as numbers (``0.950``,
        ``+0.012``, ``0.95 ± 0.01``, ``12%``, ``–``) is right-aligned.
    caption : str, optional
        Plain text.
    label : str, optional
        Kept to letters, digits and ``:_-``.

    Returns
    -------
    str

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
    """
    header = [_plain(h) for h in header]
    rows = [[_plain(c) for c in row] for row in rows]
    if any(len(r) != len(header) for r in rows):
        raise ValueError("every row of a table needs as many cells as its header")
    spec = "".join(
        "r" if rows and all(_NUMBER.fullmatch(r[j].strip()) for r in rows) else "l"
        for j in range(len(header))
    )
    lines = ["\\begin{table}[ht]", "\\centering"]
    if caption is not None:
        lines.append(f"\\caption{{{_latex(caption)}}}")
    if label is not None:
        lines.append(f"\\label{{{re.sub(r'[^A-Za-z0-9:_-]', '', str(label))}}}")
    lines += [f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    lines.append(" & ".join(_latex(h) for h in header) + " \\\\")
    lines.append("\\midrule")
    lines += [" & ".join(_latex(c) for c in row) + " \\\\" for row in rows]
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
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
