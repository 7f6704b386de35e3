"""Escaping user-supplied text for the reports: one function per output format.

Every string a report did not write itself (model, class, column and data set names, paths,
parameter values, titles, captions, the machine's fields) goes through the function of its
format before it is written:

* :func:`escape_markdown` (``report.md`` of a study and of a benchmark), with
  :func:`code_span` for a value shown as code, and :class:`Markdown` marking text that is
  already markdown (a template whose user-supplied parts were escaped);
* :func:`escape_html` (``report.html``);
* :func:`escape_latex` (``tables.tex``).

All three show the characters that could make the text read otherwise than it is written as
visible code points, ``[U+202E]``: the bidirectional overrides, embeddings and isolates
(U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C: a name could otherwise display
reversed, "Trojan source"), the byte-order mark and the control characters. Markdown and LaTeX
also put the text on one line (a line break in a name would end a table row, start a heading
or a new paragraph).
"""

from __future__ import annotations

import html
import re

__all__ = ["Markdown", "code_span", "escape_html", "escape_latex", "escape_markdown", "visible"]

#: Bidirectional formatting characters (Unicode TR9) and the BOM / zero-width no-break space.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
#: What :func:`visible` replaces: the bidi characters and every control character (C0, DEL,
#: C1) except tab, line feed and carriage return (whitespace, handled by each format).
_INVISIBLE = re.compile(f"[{_BIDI}\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]")


def visible(text):
    """``text`` with bidi formatting and control characters shown as ``[U+XXXX]``.

    Examples
    --------
    >>> visible("abc\\u202edef")
    'abc[U+202E]def'
    """
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", str(text))


def _one_line(text):
    """Every run of whitespace, line breaks included, as one space; no space at either end."""
    return " ".join(str(text).split())


class Markdown(str):
    """A string that is already markdown: :func:`escape_markdown` returns it unchanged.

    Build it from a trusted template whose user-supplied parts went through
    :func:`escape_markdown` or :func:`code_span` (both return one). A plain ``str`` given
    where a report expects text is escaped; operations on a ``Markdown`` (``+``, f-strings)
    return plain strings, so wrap the result again.
    """

    __slots__ = ()


# markdown's inline syntax: emphasis, code, links and images, headings, table cells,
# strikethrough, math ($...$ on GitHub), and the backslash itself
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#|~$]")


def _md_escape_char(m):
    char, s, i = m.group(0), m.string, m.start()
    if char == "_" and 0 < i < len(s) - 1 and s[i - 1].isalnum() and s[i + 1].isalnum():
        return char  # an underscore inside a word never emphasises (gaussian_shared)
    return "\\" + char


def escape_markdown(text):
    """``text`` as literal markdown, on one line: what is written is what is shown.

    Line breaks (and every run of whitespace) become one space; bidi formatting and control
    characters become visible (:func:`visible`); ``&``, ``<`` and ``>`` become HTML entities
    (no raw HTML, no ``<javascript:...>`` autolink, no entity such as ``&#x202E;`` gets
    through); the characters of markdown's inline syntax (``\\ ` * _ [ ] # | ~ $``) are
    backslash-escaped (no emphasis, code span, link, image or math is formed, a ``|`` does not
    split a table cell), except an underscore between two letters or digits, which markdown
    leaves alone. A :class:`Markdown` string is returned unchanged.

    Returns
    -------
    Markdown

    Examples
    --------
    >>> print(escape_markdown("*a* b_c <script> [x](javascript:f())"))
    \\*a\\* b_c &lt;script&gt; \\[x\\](javascript:f())
    """
    if isinstance(text, Markdown):
        return text
    s = visible(_one_line(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markdown(_MD_SPECIAL.sub(_md_escape_char, s))


def code_span(text):
    """``text`` shown as code in markdown, literally.

    A backtick code span when the text needs no escaping (``` `GaussianGenerativeClassifier()`
    ```); otherwise ``<code>`` with the text escaped by :func:`escape_markdown` (a backtick in
    the text cannot end the span, and no raw HTML gets through, which a backtick span would
    pass on as it is).

    Returns
    -------
    Markdown

    Examples
    --------
    >>> print(code_span("f(x='a')"))
    `f(x='a')`
    >>> print(code_span("a`b <i>"))
    <code>a\\`b &lt;i&gt;</code>
    """
    s = _one_line(text)
    escaped = escape_markdown(s)
    if escaped == s and s:
        return Markdown(f"`{s}`")
    return Markdown(f"<code>{escaped}</code>")


def escape_html(text):
    """``text`` for HTML element content and attribute values: :func:`visible`, then
    :func:`html.escape` (``& < > " '``).

    Examples
    --------
    >>> escape_html('<img src=x onerror="f()">')
    '&lt;img src=x onerror=&quot;f()&quot;&gt;'
    """
    return html.escape(visible(text), quote=True)


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # a cell starting with [ or * after a row's \\ would be read as \\[length] or \\*
    "[": "{[}",
    "]": "{]}",
    "*": "{*}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))


def escape_latex(text):
    """``text`` as literal LaTeX text, on one line: the ten special characters, ``<``, ``>``
    and ``|`` (which print as other glyphs in text mode), and ``[``, ``]``, ``*`` (which
    after a table row's ``\\\\`` would be read as its argument) escaped; bidi formatting and
    control characters visible (:func:`visible`).

    Examples
    --------
    >>> print(escape_latex("50% of a_b & {c}"))
    50\\% of a\\_b \\& \\{c\\}
    """
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], visible(_one_line(text)))
