"""Hostile names (issue 14, items 6 and 7): model, class, column, reference and data set names,
titles and captions that are invalid or valid mathtext, HTML, ``javascript:`` links, bidi
overrides, backticks, line breaks, pipes and HTML entities.

* Figures (item 6): every plotting function draws them as plain text: saving each figure
  (``fig.savefig`` into a BytesIO renders it) does not fail, and every text of the figure that
  shows a name is not mathtext and shows the name as written.
* Reports (item 7): the study's ``report.md`` (through :func:`clfcompare.study.run_study` and
  through the command on a CSV file with hostile file, column and class names) and the
  benchmark's ``report.md``, ``report.html`` and ``tables.tex`` hold no raw HTML tag (only the
  report's own ``<br>`` and ``<code>``), no link other than the figures, no bidi control
  character, no unbalanced code span, no line the names started, and every table row has its
  header's number of columns.

The checks read the output files with regular expressions of their own (not the escaping
functions under test), so they fail if a name gets through unescaped.
"""

import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import cbook
from matplotlib.text import Text
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from clfcompare import cli, plots
from clfcompare.benchmark import analyse_benchmark
from clfcompare.benchmark import plots as bplots
from clfcompare.benchmark.report import write_benchmark_report
from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
from clfcompare.report import code_span, escape_markdown
from clfcompare.report.escape import escape_html, escape_latex
from clfcompare.stats import simultaneous_comparisons
from clfcompare.study import run_study

#: Invalid mathtext: matplotlib raised "Unknown symbol: \foo" when drawing it (item 6).
BAD_MATH = r"$\foo{$ cost"
#: Valid mathtext: it must be drawn as written, not typeset.
GOOD_MATH = "gain $x^2$"
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'
LINK = "[click](javascript:alert(1))"
AUTOLINK = "<javascript:alert(1)>"
BIDI = "abc\u202edcba\u2066x\u2069"
TICKS = "tick` ``code``"
BREAKS = "two\nlines\r\n# heading\n| a | b |"
ENTITY = "&#x202E;&lt;b&gt;"
PIPE = "a|b"

MODEL_NAMES = [BAD_MATH, SCRIPT, LINK, BIDI, TICKS]
CLASS_NAMES = [GOOD_MATH, IMG, BREAKS]

#: Bidirectional formatting characters (Unicode TR9), written out here independently.
BIDI_CHARS = [
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- figures (item 6)


def render(fig):
    """Draw ``fig`` fully (a PNG into memory): a mathtext error is raised here."""
    fig.savefig(io.BytesIO(), format="png")


def shown_as(name):
    """How a figure shows ``name``: a bidi character as its code point (no glyph for it)."""
    return "".join(f"[U+{ord(c):04X}]" if c in BIDI_CHARS else c for c in name)


def assert_plain(fig, names):
    """Every text of ``fig`` that shows one of ``names`` is not mathtext and shows it."""
    names = [shown_as(n) for n in names]
    shown = []
    for t in fig.findobj(Text):
        s = t.get_text()
        if not s:
            continue
        if cbook.is_math_text(s):
            assert not any(n in s.replace("\\$", "$") for n in names), s
            continue
        shown.append(s.replace("\\$", "$"))
    for name in names:  # each name is drawn somewhere, as written
        assert any(name in s for s in shown), (name, shown[:20])


def two_features(labels, n_per=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = [(0, 0), (3, 0), (0, 3)]
    X = np.vstack([rng.normal(c, 0.8, (n_per, 2)) for c in centres[: len(labels)]])
    y = np.repeat(np.array(labels, dtype=object), n_per).astype(str)
    return X, y


def test_plain_text_escapes_every_dollar():
    assert plots.plain_text("a $x$ b") == "a \\$x\\$ b"
    assert plots.plain_text(3) == "3"
    fig, ax = plt.subplots()
    ax.set_title(BAD_MATH)
    with pytest.raises(ValueError):  # the defect: unescaped, drawing fails
        render(fig)
    ax.set_title(plots.plain_text(BAD_MATH))
    render(fig)


def test_curve_data_and_decision_regions_draw_hostile_class_names():
    X, y = two_features([BAD_MATH, GOOD_MATH, SCRIPT])
    ax = plots.plot_curve_data(X, y, show_curve=False, title=BAD_MATH)
    render(ax.figure)
    assert_plain(ax.figure, [BAD_MATH, GOOD_MATH, SCRIPT])
    est = LogisticRegression().fit(X, y)
    fig = plots.plot_decision_regions({GOOD_MATH: est, BAD_MATH: est}, X, y, title=GOOD_MATH)
    render(fig)
    assert_plain(fig, [BAD_MATH, GOOD_MATH, SCRIPT])


@pytest.mark.parametrize("overlay", [False, True])
def test_loss_curves_draw_hostile_model_names(overlay):
    rows = [
        {"model": m, "split": s, "epoch": e, "loss": 1.0 / (e + s + 1)}
        for m in (BAD_MATH, GOOD_MATH)
        for s in range(3)
        for e in range(1, 6)
    ]
    lc = pd.DataFrame(rows)
    if overlay:
        _, ax = plt.subplots()
        fig = plots.plot_loss_curves(lc, ax=ax).figure
    else:
        fig = plots.plot_loss_curves(lc)
    render(fig)
    assert_plain(fig, [BAD_MATH, GOOD_MATH])


def test_scores_box_draws_hostile_models_metric_and_references():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.uniform(0.6, 0.9, (6, 3)), columns=[BAD_MATH, GOOD_MATH, BIDI])
    ax = plots.plot_scores_box(table, metric="$m$", references={BAD_MATH: 0.8})
    render(ax.figure)
    assert_plain(ax.figure, [BAD_MATH, GOOD_MATH, BIDI, "$m$"])


def test_simultaneous_intervals_draw_hostile_models_and_baseline():
    table = 0.8 + np.random.default_rng(0).normal(0, 0.02, (20, 3)) + [0.0, 0.0, 0.05]
    res = simultaneous_comparisons(
        table, 80, 20, models=[BAD_MATH, GOOD_MATH, SCRIPT], baseline=BAD_MATH, n_draws=5000
    )
    ax = plots.plot_simultaneous_intervals(res)
    render(ax.figure)
    assert_plain(ax.figure, [BAD_MATH, GOOD_MATH])


def benchmark_table():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.6, 0.9, size=8)
    return pd.DataFrame(
        {
            BAD_MATH: base + 0.05 + rng.normal(0, 0.01, 8),
            GOOD_MATH: base + 0.02 + rng.normal(0, 0.02, 8),
            SCRIPT: base + rng.normal(0, 0.01, 8),
            BIDI: base + 0.01 + rng.normal(0, 0.01, 8),
        },
        index=[BAD_MATH + str(i) if i % 2 else f"{SCRIPT}{i}{BREAKS}" for i in range(8)],
    )


@pytest.mark.parametrize("test", ["friedman_nemenyi", "holm"])
def test_benchmark_figures_draw_hostile_names(test):
    control = BAD_MATH if test == "holm" else None
    comp = analyse_benchmark(benchmark_table(), test=test, control=control, metric="$m$")
    names = [BAD_MATH, GOOD_MATH]
    ax = bplots.plot_critical_difference(comp)
    render(ax.figure)
    assert_plain(ax.figure, [*names, "$m$"])
    for draw in (bplots.plot_pvalue_heatmap, bplots.plot_win_tie_loss):
        ax = draw(comp)
        render(ax.figure)
        assert_plain(ax.figure, names)
    fig = bplots.plot_posteriors(comp)
    render(fig)
    assert_plain(fig, names)


# --------------------------------------------------------------------------- reports (item 7)

#: The tags the reports write themselves.
OWN_TAGS = {"br", "code"}


def unescaped(line):
    """``line`` without its backslash escapes (``\\x`` pairs)."""
    return re.sub(r"\\.", "", line)


def assert_safe_markdown(text, *, figures=()):
    """No raw HTML but the report's own tags, no link but its figures, no bidi character,
    no entity of one, code spans balanced, tables intact, no heading a name started."""
    tags = {t.lower() for t in re.findall(r"<\s*/?\s*([A-Za-z][\w:-]*)", text)}
    assert tags <= OWN_TAGS, tags
    # a link or image is [text](target) with an unescaped ]: only the figures' PNGs and the
    # report's own section anchors
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", text)
    assert all(t in figures or re.fullmatch("#[a-z-]+", t) for t in targets), targets
    assert not re.search(r"<[a-z]+:", text)  # no autolink
    for ch in BIDI_CHARS:
        assert ch not in text, hex(ord(ch))
    assert "&#x" not in text.lower() and "&#" not in text  # no entity of a character
    lines = text.splitlines()
    for ln in lines:
        assert unescaped(ln).count("`") % 2 == 0, ln  # every code span closed on its line
    headings = [ln for ln in lines if ln.startswith("#")]
    assert all(re.match(r"#{1,3} \S", ln) for ln in headings), headings
    assert sum(ln.startswith("# ") for ln in lines) == 1
    assert not any(ln.strip() == "\\# heading" or ln.startswith("# heading") for ln in lines)
    # tables: every row has the header's number of cells
    block = []
    for ln in [*lines, ""]:
        if ln.startswith("|"):
            block.append(len(re.findall(r"(?<!\\)\|", unescaped(ln).replace("\\", ""))))
            continue
        if block:
            assert len(set(block)) == 1, block
            block = []


def hostile_study(tmp_path):
    X, y = two_features(CLASS_NAMES, n_per=15)
    models = {
        BAD_MATH: GaussianGenerativeClassifier(covariance="shared"),
        SCRIPT: GaussianNB(),
        LINK: LogisticRegression(),
        BIDI: KNeighborsClassifier(5),
        TICKS: DecisionTreeClassifier(max_depth=2, random_state=0),
    }
    return run_study(
        X,
        y,
        models=models,
        out_dir=tmp_path / "out",
        store_name="store `x` <b>.sqlite",
        n_repeats=2,
        n_folds=3,
        n_partitions=2,
        contrast=(BAD_MATH, SCRIPT),
        references={IMG: 0.9, BREAKS: 0.5},
        title=f"{SCRIPT} {BREAKS}",
        data_description=escape_markdown(ENTITY),
        progress=False,
    )


def test_study_with_hostile_names_writes_figures_and_a_safe_report(tmp_path):
    study = hostile_study(tmp_path)
    out = tmp_path / "out"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert {"scores_box.png", "simultaneous_intervals.png", "decision_regions_split_0.png",
            "the_data.png"} <= set(pngs)  # fmt: skip
    text = study.report_path.read_text(encoding="utf-8")
    assert_safe_markdown(text, figures=pngs)
    # the names are there, escaped: an entity for < and >, a visible code point for bidi
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "abc\\[U+202E\\]dcba\\[U+2066\\]x\\[U+2069\\]" in text
    assert "\\[click\\](javascript:alert(1))" in text
    assert "tick\\` \\`\\`code\\`\\`" in text
    assert '&lt;img src=x onerror="alert(1)"&gt;' in text
    assert "two lines \\# heading \\| a \\| b \\|" in text  # one line, pipes escaped
    assert "&amp;\\#x202E;&amp;lt;b&amp;gt;" in text
    assert "<code>store \\`x\\` &lt;b&gt;.sqlite</code>" in text
    assert text.splitlines()[0].startswith("# &lt;script&gt;")


def test_cli_csv_with_hostile_file_column_and_class_names(tmp_path, capsys):
    X, y = two_features(CLASS_NAMES, n_per=15)
    target = "la`bel\u202e <b>"
    frame = pd.DataFrame({"f$1$`": X[:, 0], "<i>f2": X[:, 1], target: y})
    path = tmp_path / "d`a <script> $x$.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = [str(path), "--target", target, "--quick", "--models", "gaussian_shared",
            "logistic_gd", "--out", str(out), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "the_data.png" in pngs
    assert_safe_markdown(text, figures=pngs)
    data = text.split("## Data", 1)[1].split("##", 1)[0]
    # the file, column and class names are there, escaped (a backtick in a name may split the
    # loader's code spans, but every span is closed: assert_safe_markdown)
    parts = [
        "&lt;script&gt; \\$x\\$.csv",
        "&lt;i&gt;f2",
        "\\[U+202E\\] &lt;b&gt;",
        '&lt;img src=x onerror="alert(1)"&gt;: 15',
        "two lines \\# heading",
    ]
    for part in parts:
        assert part in data, part


def test_benchmark_report_with_hostile_names_in_every_format(tmp_path):
    comp = analyse_benchmark(benchmark_table(), metric="acc <b>")
    fig, _ = plt.subplots()
    paths = write_benchmark_report(
        comp,
        tmp_path,
        title=f"{SCRIPT}{BREAKS}",
        models_description={BAD_MATH: IMG, TICKS: LINK},
        machine_info={BIDI: ENTITY},
        notes=[BREAKS, AUTOLINK],
        figures={f"{LINK}{IMG}": fig},
    )
    md = paths["md"].read_text(encoding="utf-8")
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert_safe_markdown(md, figures=pngs)
    html = paths["html"].read_text(encoding="utf-8")
    tags = {t.lower() for t in re.findall(r"<\s*/?\s*([A-Za-z][\w:-]*)", html)}
    assert tags <= {"!doctype", "html", "head", "meta", "title", "style", "body", "h1", "h2",
                    "p", "ul", "li", "strong", "table", "thead", "tbody", "tr", "th", "td",
                    "figure", "img", "figcaption"}, tags  # fmt: skip
    assert "<script" not in html.lower() and 'onerror="' not in html
    assert len(re.findall(r"<img ", html)) == len(pngs)  # only the figures
    for ch in BIDI_CHARS:
        assert ch not in html and ch not in md
    tex = paths["tex"].read_text(encoding="utf-8")
    for ch in BIDI_CHARS:
        assert ch not in tex
    assert "<" not in tex and "$" not in tex.replace("\\$", "")
    # every tabular row has the header's number of cells (& not escaped)
    for table in re.findall(r"\\midrule\n(.*?)\\bottomrule", tex, flags=re.S):
        counts = {len(re.findall(r"(?<!\\)&", row)) for row in table.strip().splitlines()}
        assert len(counts) == 1, table
    assert "\n[" not in tex and "\n*" not in tex  # no cell read as \\[length] or \\*


def test_one_escaping_function_per_format():
    # the benchmark's report uses the same functions as the study's (no second copy)
    from clfcompare.benchmark import report as breport
    from clfcompare.report import markdown as md_module

    assert breport.escape_markdown is escape_markdown
    assert breport.escape_html is escape_html
    assert breport.escape_latex is escape_latex
    assert md_module.escape_markdown is escape_markdown
    assert escape_markdown(escape_markdown("*a*")) == "\\*a\\*"  # already escaped: unchanged
    assert code_span("x") == "`x`"
    assert code_span("a`b") == "<code>a\\`b</code>"
    assert escape_html("a\u202eb") == "a[U+202E]b"
    assert escape_latex("[a]*") == "{[}a{]}{*}"
