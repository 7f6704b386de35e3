"""Markdown formatting of the report: tables, cells, headings, file names."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clfcompare._checks import check_int

__all__ = ["markdown_table"]


def _fmt(value, digits=3):
    if value is None:
        return ""
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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def markdown_table(df, *, digits=3, index=True):
    """A DataFrame as a GitHub-flavoured markdown table.

    Floats get ``digits`` decimals (tiny ones scientific notation), NaN shows as "–",
    booleans as yes/no. In cells and headers ``|`` is escaped as ``\\|`` and a line break
    (``\\n``, ``\\r\\n``, ``\\r``) becomes ``<br>`` (GitHub-flavoured markdown keeps it as a
    line break inside the cell), so that every row stays one line of the table.

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
    header = [str(c) for c in frame.columns]
    rows = [[_fmt(v, digits) for v in row] for row in frame.itertuples(index=False, name=None)]

    def line(cells):
        cells = (_LINE_BREAK.sub("<br>", c).replace("|", "\\|") for c in cells)
        return "| " + " | ".join(cells) + " |"

    out = [line(header), "| " + " | ".join("---" for _ in header) + " |"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def one_line(text):
    """``text`` with every run of whitespace, line breaks included, as one space (headings)."""
    return " ".join(str(text).split())


def slug(text):
    """A file stem from a caption: lower-case alphanumeric runs joined by ``_``."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return s or "figure"


def describe(value):
    """Markdown for a description: a string as is, a mapping as a two-column table."""
    if value is None:
        return "_Not described._"
    if isinstance(value, Mapping):
        df = pd.DataFrame(
            {"": list(value.keys()), "description": [str(v) for v in value.values()]}
        )
        return markdown_table(df, index=False)
    return str(value)


def kv_table(mapping, key="item", value="value"):
    """A mapping as a two-column markdown table."""
    df = pd.DataFrame({key: [str(k) for k in mapping], value: list(mapping.values())})
    return markdown_table(df, index=False)
