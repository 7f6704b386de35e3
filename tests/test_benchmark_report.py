"""The benchmark report: markdown + PNGs, one self-contained HTML file, LaTeX tables; escaping."""

import base64
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from clfcompare.benchmark import analyse_benchmark
from clfcompare.benchmark.report import (
    escape_html,
    escape_latex,
    escape_markdown,
    latex_table,
    write_benchmark_report,
)

EVIL = "<script>alert(1)</script>|*x*_$&%#{}~^\\"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def table(names=("A", "B", "C")):
    rng = np.random.default_rng(1)
    base = rng.uniform(0.6, 0.9, size=8)
    data = {
        n: base + 0.03 * (len(names) - i) + rng.normal(0, 0.01, 8) for i, n in enumerate(names)
    }
    return pd.DataFrame(data, index=pd.Index([f"set {i}" for i in range(8)], name="dataset"))


def test_report_files_and_numbers(tmp_path):
    t = table()
    comp = analyse_benchmark(t, rope=0.01)
    paths = write_benchmark_report(comp, tmp_path, title="My benchmark", timings={"trials": 2.5})
    assert set(paths) == {"md", "html", "tex"}
    md = paths["md"].read_text()
    # the Friedman statistic the report prints is scipy's
    chi2 = sps.friedmanchisquare(*(t[c] for c in t.columns)).statistic
    assert f"chi2_F = {chi2:.3f}" in md
    # every mean score is printed, 3 decimals, with the average ranks row
    for name, row in t.iterrows():
        assert f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |" in md
    ranks = comp.average_ranks.reindex(t.columns)
    assert "| average rank | " + " | ".join(f"{r:.3f}" for r in ranks) + " |" in md
    for png in ("cd_diagram.png", "pvalues.png", "win_tie_loss.png", "posteriors.png"):
        assert f"]({png})" in md
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| trials | 2.5 s |" in md


def test_html_is_self_contained(tmp_path):
    comp = analyse_benchmark(table(), rope=0.01)
    html = write_benchmark_report(comp, tmp_path, formats="html")["html"].read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 4
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    # nothing is fetched from elsewhere
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert not list(tmp_path.glob("*.png"))  # HTML only: no PNG files


def test_latex_tables(tmp_path):
    t = table()
    comp = analyse_benchmark(t, rope=None)
    tex = write_benchmark_report(comp, tmp_path, formats=["tex"])["tex"].read_text()
    assert tex.count("\\begin{tabular}") == 3
    # the best of every row is bold
    first = t.iloc[0]
    assert f"\\textbf{{{first.max():.3f}}}" in tex
    assert not list(tmp_path.glob("*.png"))


def test_user_strings_are_escaped_in_every_format(tmp_path):
    comp = analyse_benchmark(table(("A", EVIL, "C")), rope=0.01)
    info = pd.DataFrame(
        {"n_samples": [10] * 8, "description": [EVIL] * 8},
        index=pd.Index([f"set {i}" for i in range(8)], name="dataset"),
    )
    paths = write_benchmark_report(
        comp, tmp_path, title=EVIL, info=info, notes=[EVIL],
        models_description={EVIL: EVIL}, machine_info={"cpu": EVIL},
    )  # fmt: skip
    md = paths["md"].read_text()
    html = paths["html"].read_text()
    tex = paths["tex"].read_text()
    assert "<script>" not in md and "<script>" not in html
    assert "&lt;script&gt;" in html and "&lt;script&gt;" in md
    assert f"# {escape_markdown(EVIL)}" in md
    # every markdown table row keeps its number of cells: no unescaped | slipped in
    for block in re.findall(r"((?:^\|.*\|$\n?)+)", md, flags=re.M):
        rows = block.strip().splitlines()
        cells = [len(re.split(r"(?<!\\)\|", r)) for r in rows]
        assert len(set(cells)) == 1, rows[:3]
    assert "\\textless{}script\\textgreater{}" in tex
    assert "<script>" not in tex and "$" not in tex.replace("\\$", "")


def test_escape_functions():
    assert escape_latex("a_b & 50% $x$ #1 {y} ~ ^ \\ <|>") == (
        "a\\_b \\& 50\\% \\$x\\$ \\#1 \\{y\\} \\textasciitilde{} \\textasciicircum{} "
        "\\textbackslash{} \\textless{}\\textbar{}\\textgreater{}"
    )
    assert escape_html('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert escape_markdown("*a* [b](c) `d` # e\nf") == "\\*a\\* \\[b\\](c) \\`d\\` \\# e f"
    assert escape_markdown("a|b") == "a\\|b"  # one escape everywhere, tables included


def test_latex_table_bold_min_and_refusals():
    frame = pd.DataFrame({"m": ["r"], "x": [0.2], "y": [0.1]})
    out = latex_table(frame, bold_best="min", caption="c_1", label="tab:x y")
    assert "r & 0.200 & \\textbf{0.100} \\\\" in out
    assert "\\caption{c\\_1}" in out and "\\label{tab:xy}" in out
    with pytest.raises(TypeError, match="DataFrame"):
        latex_table([[1]])


def test_latex_table_against_a_hand_written_reference():
    # escaping of headers and cells, numeric columns right-aligned (bool is not numeric),
    # NaN as "–", ties all bold, caption and label below the tabular, ± as a text-mode
    # command (a raw − U+2212 stops pdflatex: "Unicode character not set up for use")
    frame = pd.DataFrame(
        {
            "model_1": ["a&b", "ü ± {x}"],
            "x%": [0.5, np.nan],
            "y": [0.5, 0.25],
            "n": [0, 2],
            "ok": [True, False],
        }
    )
    top = [r"\begin{table}[ht]", r"\centering", r"\begin{tabular}{lrrrl}", r"\toprule"]
    top += [r"model\_1 & x\% & y & n & ok \\", r"\midrule"]
    bottom = [r"\bottomrule", r"\end{tabular}"]
    got = latex_table(frame, caption="Mean #1 ~ ^", label="tab:s c", bold_best="max")
    assert got.splitlines() == [
        *top,
        r"a\&b & \textbf{0.500} & \textbf{0.500} & 0 & yes \\",
        r"ü \textpm{} \{x\} & – & 0.250 & \textbf{2} & no \\",
        *bottom,
        r"\caption{Mean \#1 \textasciitilde{} \textasciicircum{}}",
        r"\label{tab:sc}",
        r"\end{table}",
    ]
    got = latex_table(frame, bold_best="min", digits=1)
    assert got.splitlines() == [
        *top,
        r"a\&b & 0.5 & 0.5 & \textbf{0} & yes \\",
        r"ü \textpm{} \{x\} & – & \textbf{0.2} & 2 & no \\",
        *bottom,
        r"\end{table}",
    ]
    # a row of NaN only has no best; a frame without rows keeps its columns' alignment
    nan_row = pd.DataFrame({"m": ["a"], "x": [np.nan], "y": [np.nan]})
    assert latex_table(nan_row, bold_best="max").splitlines()[6] == r"a & – & – \\"
    empty = pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype=object)})
    assert latex_table(empty, caption="c").splitlines() == [
        r"\begin{table}[ht]",
        r"\centering",
        r"\begin{tabular}{rl}",
        r"\toprule",
        r"x & s \\",
        r"\midrule",
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{c}",
        r"\end{table}",
    ]


def test_report_refuses_bad_input(tmp_path):
    comp = analyse_benchmark(table(), rope=None)
    with pytest.raises(TypeError, match="BenchmarkComparison"):
        write_benchmark_report(table(), tmp_path)
    with pytest.raises(ValueError, match="formats"):
        write_benchmark_report(comp, tmp_path, formats=["pdf"])
    with pytest.raises(ValueError, match=r"timings\['x'\]"):
        write_benchmark_report(comp, tmp_path, timings={"x": -1})


@pytest.mark.parametrize(
    "name", ["report.md", "report.html", "tables.tex", "cd_diagram.png", "figure_1.png"]
)
def test_report_refuses_a_symlink_in_the_output_folder(tmp_path, name):
    # issue 14 item 8: nothing is written through a link planted in the output folder, and
    # nothing at all is written when one is there
    from clfcompare._checks import InputError

    victim = tmp_path / "outside" / "victim"
    victim.parent.mkdir()
    victim.write_bytes(b"not yours")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    comp = analyse_benchmark(table(), rope=None)
    fig, _ = plt.subplots()
    with pytest.raises(InputError, match="symbolic link") as info:
        write_benchmark_report(comp, out, figures={"extra": fig})
    assert str(out / name) in str(info.value)
    assert victim.read_bytes() == b"not yours"
    assert sorted(p.name for p in out.iterdir()) == [name]
    # a format that does not write the linked name is not refused
    if name == "tables.tex":
        paths = write_benchmark_report(comp, out, formats=("html",))
        assert set(paths) == {"html"} and victim.read_bytes() == b"not yours"
