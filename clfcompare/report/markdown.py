"""Markdown formatting of the report: tables, cells, headings, file names.

Every user-supplied string is escaped by :func:`clfcompare.report.escape.escape_markdown`
(a :class:`~clfcompare.report.escape.Markdown` string is written as it is).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clfcompare._checks import check_int
from clfcompare.report.escape import Markdown, escape_markdown

__all__ = [
    "MarkdownImage",
    "MarkdownTable",
    "decimals_for",
    "format_value",
    "markdown_table",
    "mean_sd",
]


class MarkdownTable(Markdown):
    """A markdown table (:func:`markdown_table`) that keeps its cells for the other formats.

    Attributes
    ----------
    header : list of str
        The column names, as given (not escaped).
    rows : list of list of str
        The formatted cells (:func:`format_value`), not escaped: a
        :class:`~clfcompare.report.escape.Markdown` cell is markdown, any other text.
    caption : str or None
        Plain text naming the table (the LaTeX caption), if given.
    """

    header: list
    rows: list
    caption: str | None


class MarkdownImage(Markdown):
    """A figure's markdown line ``![caption](file)`` that keeps its PNG for the HTML file.

    Attributes
    ----------
    caption : str
        Plain text.
    png : bytes
    """

    caption: str
    png: bytes


def format_value(value, digits=3):
    """One table cell as text: ``None`` empty, booleans yes/no, ints as they are, NaN as "–",
    floats with ``digits`` decimals (scientific below ``10**-digits``), strings unchanged.

    >>> [format_value(v) for v in (None, True, 3, float("nan"), 0.12345, 1e-5, "a")]
    ['', 'yes', '3', '–', '0.123', '1.00e-05', 'a']
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value  # a Markdown cell stays one
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "–"
        if v != 0 and abs(v) < 10 ** (-digits):
            return f"{v:.2e}"
        return f"{v:.{digits}f}"
    return str(value)


def decimals_for(spread, *, least=3, most=6):
    """Decimals that show ``spread`` (an sd, half a confidence interval) with at least one
    significant digit: ``least``, or more for a spread below ``10**-least`` (at most
    ``most``); 0, NaN and inf get ``least``.

    >>> [decimals_for(v) for v in (0.04, 0.0004, 0.00099, 0.0, float("nan"), 1e-12)]
    [3, 4, 4, 3, 3, 6]
    """
    s = abs(float(spread))
    if not math.isfinite(s) or s == 0:
        return least
    return int(min(most, max(least, -math.floor(math.log10(s)))))


def mean_sd(mean, sd):
    """``"mean ± sd"`` with the decimals of :func:`decimals_for` ``(sd)`` (the mean alone,
    with 3 decimals, when the sd is not finite: one trial).

    >>> mean_sd(0.99934, 0.00041), mean_sd(0.9512, 0.0234), mean_sd(0.9, float("nan"))
    ('0.9993 ± 0.0004', '0.951 ± 0.023', '0.900')
    """
    mean, sd = float(mean), float(sd)
    if not math.isfinite(sd):
        return f"{mean:.3f}"
    d = decimals_for(sd)
    return f"{mean:.{d}f} ± {sd:.{d}f}"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown_table(df, *, digits=3, index=True, caption=None):
    """A DataFrame as a GitHub-flavoured markdown table.

    Floats get ``digits`` decimals (tiny ones scientific notation), NaN shows as "–",
    booleans as yes/no. Every cell and header is literal text, escaped by
    :func:`~clfcompare.report.escape.escape_markdown` (``|`` as ``\\|``, markdown's inline
    syntax and raw HTML escaped, bidi and control characters visible), except a
    :class:`~clfcompare.report.escape.Markdown` one, written as it is; a line break (``\\n``,
    ``\\r\\n``, ``\\r``) becomes ``<br>`` (GitHub-flavoured markdown keeps it as a line
    break inside the cell), so that every row stays one line of the table.

    Returns a :class:`MarkdownTable`: the markdown, with the header and the formatted cells
    kept (and ``caption``, plain text) for the HTML and LaTeX versions of a report.

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.report import markdown_table
    >>> print(markdown_table(pd.DataFrame({"x": [0.12345], "ok": [True]}), index=False))
    | x | ok |
    | --- | --- |
    | 0.123 | yes |
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"markdown_table needs a DataFrame, got {type(df).__name__}")
    digits = check_int(digits, "digits", low=0)
    frame = df.reset_index() if index else df
    header = [c if isinstance(c, str) else str(c) for c in frame.columns]
    rows = [
        [format_value(v, digits) for v in row] for row in frame.itertuples(index=False, name=None)
    ]

    def cell(c):
        if isinstance(c, Markdown):
            return _LINE_BREAK.sub("<br>", c)
        return "<br>".join(escape_markdown(part) for part in _LINE_BREAK.split(c))

    def line(cells):
        return "| " + " | ".join(cell(c) for c in cells) + " |"

    out = [line(header), "| " + " | ".join("---" for _ in header) + " |"]
    out += [line(r) for r in rows]
    table = MarkdownTable("\n".join(out))
    table.header, table.rows = header, rows
    table.caption = None if caption is None else str(caption)
    return table


def slug(text):
    """A file stem from a caption: lower-case alphanumeric runs joined by ``_``."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s or "figure"


def describe(value):
    """Markdown for a description: a string as is (markdown), a mapping ``{name: markdown}``
    as a two-column table (the names escaped, the descriptions as they are)."""
    if value is None:
        return "_Not described._"
    if isinstance(value, Mapping):
        df = pd.DataFrame(
            {
                "": [str(k) for k in value.keys()],
                "description": [Markdown(v) for v in value.values()],
            }
        )
        return markdown_table(df, index=False)
    return str(value)


def kv_table(mapping, key="item", value="value", caption=None):
    """A mapping as a two-column markdown table (keys and values escaped as text)."""
    df = pd.DataFrame({key: [str(k) for k in mapping], value: list(mapping.values())})
    return markdown_table(df, index=False, caption=caption)
