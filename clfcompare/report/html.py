"""``report.html``: the report's markdown parts as one self-contained HTML file.

The sections (:mod:`~clfcompare.report.sections`) return their lines; a table among them is
a :class:`~clfcompare.report.markdown.MarkdownTable` (its cells kept) and a figure a
:class:`~clfcompare.report.markdown.MarkdownImage` (its PNG bytes kept). :func:`render_html`
writes the tables from their cells (:func:`~clfcompare.report.escape.escape_html` for a text
cell) and the figures as ``data:image/png;base64`` URIs, so the file needs nothing beside it
(no external CSS, script or image). The prose between them is markdown the report wrote
itself, its user-supplied parts escaped by :func:`~clfcompare.report.escape.escape_markdown`:
it is read here as the small markdown the report uses (headings, paragraphs, ``-`` lists,
pipe tables of a markdown description, backslash escapes, entities, code spans,
``<code>``/``<br>``, ``**strong**``, ``_em_``/``*em*``, ``[text](#anchor or http(s) URL)``).
Anything else is text: every ``<`` that is not one of the report's own tags is written as
``&lt;``, every entity is decoded and written again (no bidi override gets through as
``&#x202E;``), so no markup a name or a markdown description holds becomes HTML.
"""

from __future__ import annotations

import base64
import html
import re

from clfcompare.report.escape import Markdown, escape_html, visible
from clfcompare.report.markdown import MarkdownImage, MarkdownTable

__all__ = ["markdown_inline_html", "markdown_text", "render_html"]

_TOKEN = re.compile(
    r"(?P<esc>\\[!-/:-@\[-`{-~])"  # a backslash escape of ASCII punctuation
    r"|(?P<tick>`+)(?P<code>.+?)(?P=tick)"  # a code span
    r"|<code>(?P<hcode>.*?)</code>"  # the report's <code> (escaped markdown inside)
    r"|(?P<br><br\s*/?>)"
    r"|(?P<entity>&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)"
)
_PLACE = re.compile("\x00([0-9]+)\x00")
_STRONG = re.compile(r"\*\*(?=\S)([^<>*]+?)(?<=\S)\*\*")
_EM_UNDERSCORE = re.compile(r"(?<![\w\\])_(?=\S)([^<>_]+?)(?<=\S)_(?!\w)")
_EM_STAR = re.compile(r"(?<![*\w])\*(?=\S)([^<>*]+?)(?<=\S)\*(?![*\w])")
_LINK = re.compile(r"\[([^\[\]<>]+)\]\((#[A-Za-z0-9_-]+|https?://[^\s()<>\"']+)\)")


def markdown_inline_html(text):
    """One line of the report's markdown as HTML (see the module's docstring).

    Examples
    --------
    >>> markdown_inline_html(r"**a** \\*b\\* `<i>` &lt;x&gt; [c](#c) <b>")
    '<strong>a</strong> *b* <code>&lt;i&gt;</code> &lt;x&gt; <a href="#c">c</a> &lt;b&gt;'
    """
    saved = []

    def keep(m):
        if m.group("esc"):
            out = html.escape(m.group("esc")[1], quote=False)
        elif m.group("tick"):
            out = f"<code>{escape_html(m.group('code').strip())}</code>"
        elif m.group("hcode") is not None:
            out = f"<code>{markdown_inline_html(m.group('hcode'))}</code>"
        elif m.group("br"):
            out = "<br>"
        else:  # decoded and written again: no entity of a bidi or control character
            out = escape_html(html.unescape(m.group("entity")))
        saved.append(out)
        return f"\x00{len(saved) - 1}\x00"

    s = _TOKEN.sub(keep, visible(text))  # visible(): no NUL of the text is a placeholder
    s = html.escape(s, quote=True)
    s = _STRONG.sub(r"<strong>\1</strong>", s)
    s = _EM_UNDERSCORE.sub(r"<em>\1</em>", s)
    s = _EM_STAR.sub(r"<em>\1</em>", s)
    s = _LINK.sub(r'<a href="\2">\1</a>', s)
    return _PLACE.sub(lambda m: saved[int(m.group(1))], s)


def markdown_text(text):
    """One line of the report's markdown as plain text (for a LaTeX caption or cell).

    >>> markdown_text(r"**a** \\*b\\* `c_d` &lt;x&gt;")
    'a *b* c_d <x>'
    """
    return html.unescape(re.sub(r"<[^>]*>", "", markdown_inline_html(text)))


def _anchor(heading_html):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as ``-``."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", heading_html)).lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def _is_number(text):
    return bool(re.fullmatch(r"[+\-−]?[0-9.,]+(e[+\-]?[0-9]+)?%?( ± [0-9.,e+\-]+)?", text))


def _cell(c, tag):
    if isinstance(c, Markdown):
        inner = "<br>".join(markdown_inline_html(p) for p in re.split(r"\r\n|\r|\n", c))
    else:
        inner = "<br>".join(escape_html(p) for p in re.split(r"\r\n|\r|\n", str(c)))
    cls = ' class="num"' if tag == "td" and _is_number(str(c)) else ""
    return f"<{tag}{cls}>{inner}</{tag}>"


def _table(header, rows):
    head = "".join(_cell(c, "th") for c in header)
    body = "".join("<tr>" + "".join(_cell(c, "td") for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pipe_cells(line):
    """The cells of a markdown table row, split at ``|`` not escaped by a backslash."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [Markdown(c.strip()) for c in re.split(r"(?<!\\)\|", inner)]


def _blocks(text):
    """The HTML of markdown text: headings, paragraphs, ``-`` lists and pipe tables."""
    out, para, items = [], [], []

    def close():
        if para:
            out.append(f"<p>{markdown_inline_html(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{markdown_inline_html(i)}</li>" for i in items))
            out[-1] += "</ul>"
            items.clear()

    lines = str(text).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        heading = re.match(r"(#{1,6}) (.*)", stripped)
        if not stripped:
            close()
        elif heading:
            close()
            level, inner = len(heading.group(1)), markdown_inline_html(heading.group(2))
            out.append(f'<h{level} id="{_anchor(inner)}">{inner}</h{level}>')
        elif (
            stripped.startswith("|")
            and i + 1 < len(lines)
            and re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", lines[i + 1].strip())
        ):
            close()
            header = _pipe_cells(stripped)
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_pipe_cells(lines[i]))
                i += 1
            out.append(_table(header, rows))
            continue
        elif stripped.startswith("- "):
            if para:
                close()
            items.append(stripped[2:])
        elif items:  # a continuation of the last item
            items[-1] += " " + stripped
        else:
            para.append(stripped)
        i += 1
    close()
    return out


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } img { max-width: 100%; }
figcaption { font-style: italic; color: #555; }
code { background: #f5f5f5; padding: 0 0.2rem; }
"""


def render_html(parts, title):
    """The report as one HTML document.

    Parameters
    ----------
    parts : sequence of str
        The report's lines as the sections returned them (markdown strings,
        :class:`~clfcompare.report.markdown.MarkdownTable`,
        :class:`~clfcompare.report.markdown.MarkdownImage`).
    title : str
        Plain text, for ``<title>``.

    Returns
    -------
    str
    """
    body, text = [], []

    def flush():
        body.extend(_blocks("\n".join(text)))
        text.clear()

    for part in parts:
        if isinstance(part, MarkdownTable):
            flush()
            body.append(_table(part.header, part.rows))
        elif isinstance(part, MarkdownImage):
            flush()
            data = base64.b64encode(part.png).decode("ascii")
            caption = escape_html(part.caption)
            body.append(
                f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
        else:
            text.append(str(part))
    flush()
    one_line = " ".join(str(title).split())
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape_html(one_line)}</title>\n<style>{_CSS}</style>\n</head>\n"
        "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
